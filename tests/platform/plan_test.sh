#!/usr/bin/env bash
# `make -C platform plan` prints deploy-all's commands in the platform document's order with its
# pinned versions, and runs none of them (kubectl, helm and linkerd are tripwires on PATH).
set -euo pipefail
work=$(mktemp -d /tmp/l1net-plan-test.$$.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
mkdir -p "$work/bin"
for t in kubectl helm linkerd; do
  printf '#!/bin/sh\necho "%s $*" >> %s/ran\nexit 1\n' "$t" "$work" >"$work/bin/$t"
  chmod +x "$work/bin/$t"
done

PATH="$work/bin:$PATH" make -s -C platform plan >"$work/plan" || { cat "$work/plan"; fail "make plan"; }
PATH="$work/bin:$PATH" make -s -C platform plan KARPENTER=1 >"$work/plan-k" || fail "make plan KARPENTER=1"
[ ! -e "$work/ran" ] || { cat "$work/ran"; fail "plan ran commands"; }
echo "ok: plan ran nothing ($(wc -l <"$work/plan") commands printed)"

# Step order (the "==>" banners), without and with Karpenter.
steps=$(sed -n 's/^echo "==> \([^ ]*\).*/\1/p' "$work/plan" | xargs)
want="l1net ingress-nginx metrics-server l1net-dnsd cert-manager nfs-subdir-external-provisioner MinIO external-secrets Linkerd whoami L1"
[ "$steps" = "$want" ] || fail "order is '$steps', want '$want'"
steps_k=$(sed -n 's/^echo "==> \([^ ]*\).*/\1/p' "$work/plan-k" | xargs)
want_k="${want/Linkerd whoami/Linkerd karpenter-provider-proxmox whoami}"
[ "$steps_k" = "$want_k" ] || fail "order with KARPENTER=1 is '$steps_k', want '$want_k'"
echo "ok: order: $steps_k (Karpenter only with KARPENTER=1)"

# Pinned versions, each on its chart's helm command, each with --wait.
expect() {  # expect FILE REGEX WHAT
  grep -Eq -- "$2" "$1" || fail "$3: no line matching '$2'"
  echo "ok: $3"
}
expect "$work/plan" '^helm upgrade --install ingress-nginx ingress-nginx/ingress-nginx .*--version 4\.14\.1 .*--wait' "ingress-nginx 4.14.1"
expect "$work/plan" '^helm upgrade --install metrics-server metrics-server/metrics-server .*--version 3\.13\.0 .*--wait' "metrics-server 3.13.0"
expect "$work/plan" '^helm upgrade --install cert-manager jetstack/cert-manager .*--version v1\.16\.2 .*--wait' "cert-manager v1.16.2"
expect "$work/plan" '^helm upgrade --install nfs-subdir-external-provisioner nfs-subdir-external-provisioner/nfs-subdir-external-provisioner .*--version 4\.0\.18 .*--wait' "nfs-subdir-external-provisioner 4.0.18"
expect "$work/plan" '^helm upgrade --install minio minio/minio .*--version 5\.4\.0 .*--wait' "MinIO 5.4.0"
expect "$work/plan" '^helm upgrade --install external-secrets external-secrets/external-secrets .*--version 0\.12\.1 .*--wait' "external-secrets 0.12.1"
expect "$work/plan" '^test "\$\(linkerd version --client --short\)" = "edge-25\.12\.3"' "Linkerd edge-25.12.3 CLI checked"
expect "$work/plan" '^linkerd install-cni \| kubectl apply -f -' "Linkerd CNI plugin"
expect "$work/plan" '^linkerd install --linkerd-cni-enabled \| kubectl apply -f -' "Linkerd control plane uses the CNI plugin"
expect "$work/plan-k" '^helm upgrade --install karpenter-proxmox oci://[^ ]*karpenter-proxmox .*--version 0\.4\.1 .*--wait' "karpenter-provider-proxmox 0.4.1"
! grep -q karpenter-proxmox "$work/plan" || fail "Karpenter in the plan without KARPENTER=1"
expect "$work/plan" '^helm upgrade --install l1net [^ ]*/platform/l1net .*values-platform\.yaml .*--wait' "l1net chart with the platform values"
expect "$work/plan" '^kubectl label namespace l1net-system .*pod-security\.kubernetes\.io/enforce=privileged' "l1net namespace labelled privileged"

# Readiness waits sit between the steps that need them.
line() { grep -nE -- "$1" "$work/plan" | head -1 | cut -d: -f1; }
ca_wait=$(line 'wait --for=condition=Ready certificate/l1-internal-ca')
issuers=$(line '^kubectl apply -k [^ ]*/cert-manager$')
nfs=$(line '^helm upgrade --install nfs-subdir')
webhook=$(line 'rollout status deployment/cert-manager-webhook')
[ -n "$ca_wait" ] && [ "$webhook" -lt "$issuers" ] && [ "$issuers" -lt "$ca_wait" ] && [ "$ca_wait" -lt "$nfs" ] ||
  fail "cert-manager: webhook wait ($webhook) < issuers ($issuers) < CA Ready wait ($ca_wait) < NFS ($nfs)"
echo "ok: webhook ready, issuers applied, CA Certificate Ready, before NFS"
lb_ip=$(line "wait --for=jsonpath='\{.status.loadBalancer.ingress\[0\].ip\}' service/ingress-nginx-controller")
[ -n "$lb_ip" ] && [ "$lb_ip" -lt "$(line '^helm upgrade --install metrics-server')" ] || fail "no EXTERNAL-IP wait after ingress-nginx"
echo "ok: ingress-nginx waits for its EXTERNAL-IP"

# NFS server and path come from platform/cell-config.yaml.
server=$(sed -n '/^nfs:/,/^[^ ]/s/^ *server: *//p' platform/cell-config.yaml)
path=$(sed -n '/^nfs:/,/^[^ ]/s/^ *path: *//p' platform/cell-config.yaml)
grep -q -- "--set nfs.server=$server --set nfs.path=$path" "$work/plan" || fail "NFS values not from cell-config.yaml"
echo "ok: NFS server and path from platform/cell-config.yaml"

# The top-level Makefile forwards plan.
PATH="$work/bin:$PATH" make -s plan >"$work/plan-top" || fail "top-level make plan"
diff -q <(grep -v '^#' "$work/plan") <(grep -v '^#' "$work/plan-top") >/dev/null || fail "top-level make plan differs"
echo "ok: top-level make plan forwards to platform/"
