#!/usr/bin/env bash
# Every platform/<service>/kustomization.yaml rendered with the real `kubectl kustomize` and
# validated offline (kubernetes-models, cert-manager, external-secrets schemas), the secret
# templates too; and the validator itself fails on deliberately broken manifests, naming the
# file and line, so a green result here means something.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
pt_require_tools
work=$(mktemp -d /tmp/l1net-kustomize-test.$$.XXXXXX)
trap 'rm -rf "$work" "$HELM_CACHE_HOME" "$HELM_CONFIG_HOME" "$HELM_DATA_HOME"' EXIT

# Karpenter's own CRDs ship with its chart, not with an npm schema package.
allow=(--allow karpenter.sh/v1/NodePool --allow karpenter.proxmox.sinextra.dev/v1alpha1/ProxmoxNodeClass)
want="cert-manager dnsd external-secrets ingress-nginx karpenter linkerd metrics-server minio storage test-service"
have=$(cd platform && ls -d */kustomization.yaml | cut -d/ -f1 | sort | xargs)
[ "$have" = "$want" ] || pt_fail "platform kustomizations are '$have', want '$want'"
for dir in $want; do
  "$KUBECTL" kustomize "platform/$dir" >"$work/$dir.yaml" || pt_fail "kubectl kustomize platform/$dir"
  "${VALIDATE[@]}" "${allow[@]}" "$work/$dir.yaml" >"$work/$dir.out" ||
    { cat "$work/$dir.out"; pt_fail "platform/$dir: invalid objects"; }
  echo "ok: platform/$dir: $(tail -1 "$work/$dir.out")"
done
# Kinds the checks above must have covered with a real schema (not skipped).
grep -q '^ok .*cert-manager.io/v1/Certificate cert-manager/l1-internal-ca' "$work"/*.out ||
  pt_fail "the CA Certificate was not schema-checked"
grep -q '^ok .*external-secrets.io/v1beta1/ClusterSecretStore vault' "$work"/*.out ||
  pt_fail "the Vault ClusterSecretStore was not schema-checked"
grep -q '^ok .*networking.k8s.io/v1/Ingress test-service/whoami' "$work"/*.out ||
  pt_fail "the whoami Ingress was not schema-checked"

for t in platform/secrets/*.yaml.template; do
  "${VALIDATE[@]}" "$t" >"$work/secret.out" || { cat "$work/secret.out"; pt_fail "$t invalid"; }
done
echo "ok: secret templates valid"
if git ls-files --error-unmatch platform/secrets/*.yaml >/dev/null 2>&1; then
  pt_fail "a filled-in secret is committed under platform/secrets/"
fi

# The validator must fail on each broken manifest, and say where.
data=tests/platform/testdata
expect_fail() {  # expect_fail FILE PATTERN [extra validator args]
  local file=$1 pattern=$2; shift 2
  if "${VALIDATE[@]}" "$@" "$file" >"$work/broken.out" 2>&1; then
    cat "$work/broken.out"; pt_fail "validator accepted $file"
  fi
  grep -q -- "$pattern" "$work/broken.out" || { cat "$work/broken.out"; pt_fail "$file: no '$pattern' in the validator's output"; }
  echo "ok: validator rejects $file ($(grep -m1 FAIL "$work/broken.out" | cut -c1-110))"
}
expect_fail "$data/broken-deployment.yaml" "FAIL $data/broken-deployment.yaml:9: apps/v1/Deployment"
grep -q "^ok   $data/broken-deployment.yaml:2: v1/ConfigMap" "$work/broken.out" || pt_fail "the valid ConfigMap next to it was not accepted"
expect_fail "$data/broken-certificate.yaml" "FAIL $data/broken-certificate.yaml:2: cert-manager.io/v1/Certificate"
expect_fail "$data/broken-store.yaml" "FAIL $data/broken-store.yaml:2: external-secrets.io/v1beta1/ClusterSecretStore"
expect_fail "$data/broken-pool.yaml" "FAIL $data/broken-pool.yaml:2: metallb.io/v1beta1/IPAddressPool" \
  platform/l1net/charts/crds/crds/metallb.io.yaml
expect_fail "$data/broken-yaml.yaml" "FAIL $data/broken-yaml.yaml:1: YAML"
expect_fail "$data/unknown-kind.yaml" "no schema for example.org/v1/Gadget"
