#!/usr/bin/env bash
# make demo: l1net for real on the demo manifests (documentation ranges only).
#  1. l1net-controller allocates LoadBalancer IPs with MetalLB's semantics and writes its state.
#  2. (root) three l1net-speakers in network namespaces announce them; a client namespace finds
#     the owners with arping/ndisc6, then one owner is killed and its IPs move in under a second.
set -euo pipefail
build=${1:-build/default}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== l1net-controller --once -o json on scripts/demo/manifests"
"$build/controller/l1net-controller" --manifests "$here/demo/manifests" --state "$work/state.yaml" \
  --once -o json --log-level warn | jq .
echo
echo "== its state file (what kubectl get svc -o yaml shows), first service:"
awk 'NR == 1, /^---/' "$work/state.yaml" | sed '$d'
echo
rc=0
bash "$here/demo-l2.sh" "$build" "$work/state.yaml" "$here/demo/manifests/10-pools.yaml" || rc=$?
if [ "$rc" -eq 77 ]; then
  echo "(the L2 part was skipped: run make demo as root to see the speakers)"
  rc=0
fi
exit "$rc"
