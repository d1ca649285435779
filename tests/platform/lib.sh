# Shared by tests/platform/*_test.sh: the npm-installed helm/kubectl and the validator.
L1NET_TOOLS=${L1NET_TOOLS:-/opt/l1net-tools}
HELM=$L1NET_TOOLS/bin/helm
KUBECTL=$L1NET_TOOLS/bin/kubectl
VALIDATE=(node "$(dirname "${BASH_SOURCE[0]}")/validate-manifests.mjs")
export KUBECONFIG=/dev/null HELM_CACHE_HOME=${TMPDIR:-/tmp}/l1net-helm-cache.$$ \
  HELM_CONFIG_HOME=${TMPDIR:-/tmp}/l1net-helm-config.$$ HELM_DATA_HOME=${TMPDIR:-/tmp}/l1net-helm-data.$$
pt_require_tools() {
  local t
  for t in "$HELM" "$KUBECTL"; do
    [ -x "$t" ] || { echo "FAIL: $t missing: run scripts/install-deps.sh"; exit 1; }
  done
  command -v node >/dev/null || { echo "FAIL: node missing: run scripts/install-deps.sh"; exit 1; }
  [ -d "$L1NET_TOOLS/node_modules/kubernetes-models" ] ||
    { echo "FAIL: kubernetes-models missing in $L1NET_TOOLS: run scripts/install-deps.sh"; exit 1; }
}
pt_fail() { echo "FAIL: $*"; exit 1; }
