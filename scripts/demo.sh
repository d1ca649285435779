#!/usr/bin/env bash
# make demo: run l1net for real on the demo manifests (documentation ranges only).
# 1. The controller allocates LoadBalancer IPs with MetalLB's semantics and writes its state.
set -euo pipefail
build=${1:-build/default}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== l1net-controller --once: allocations for scripts/demo/manifests"
"$build/controller/l1net-controller" --manifests "$here/demo/manifests" --state "$work/state.yaml" \
  --once -o json --log-level warn
echo
echo "== the state file (Service manifests with status.loadBalancer.ingress), first service:"
awk 'NR==1,/^---/' "$work/state.yaml" | sed '$d'
