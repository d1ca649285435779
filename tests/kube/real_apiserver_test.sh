#!/usr/bin/env bash
# The real-kube-apiserver lane: l1net-controller in Kubernetes mode against Debian's kube-apiserver
# 1.20.2 and etcd on loopback (scripts/kube-cluster.sh), driven with kubectl as a user would.
#   1. Services created with kubectl get IPs that `kubectl get svc` shows.
#   2. IPAllocated Events appear and the pool annotation is set.
#   3. Two controllers elect one leader; killing the leader hands over, and the new leader serves.
#   4. A controller whose identity RBAC denies reports it clearly (verb and resource named).
# Also: IPAddressPool status counts, and an invalid pool rejected with a Warning Event while the
# last valid pools keep serving (there is no admission webhook).
# The controllers authenticate as the chart's ServiceAccount (a client certificate whose user name
# is system:serviceaccount:l1net-system:l1net-controller), so the chart's RBAC rules are what
# allows them. Only loopback is used; the pool is the documentation range 203.0.113.0/28.
# Usage: real_apiserver_test.sh BUILD_DIR   (root not needed; exit 77 = skipped)
set -euo pipefail

build=$(cd "${1:-build/default}" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
controller="$build/controller/l1net-controller"
. "$repo/tests/platform/lib.sh"
pt_require_tools
[ -x "$controller" ] || pt_fail "$controller not built"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/l1net-kube.XXXXXX")
pids=()
cleanup() {
  local rc=$?
  set +e
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  if [ $rc -ne 0 ]; then
    for f in "$tmp"/controller-*.log "$tmp/cluster/apiserver.log"; do
      [ -f "$f" ] || continue
      echo "---- last lines of $f ----"
      tail -n 25 "$f"
    done
  fi
  "$repo/scripts/kube-cluster.sh" down "$tmp/cluster" >/dev/null 2>&1
  rm -rf "$tmp" "$HELM_CACHE_HOME" "$HELM_CONFIG_HOME" "$HELM_DATA_HOME"
  exit $rc
}
trap cleanup EXIT
log() { printf '[%s] %s\n' "$(date +%H:%M:%S.%3N)" "$*"; }

"$repo/scripts/kube-cluster.sh" up "$tmp/cluster"
export KUBECONFIG="$tmp/cluster/admin.kubeconfig"
k() { "$KUBECTL" "$@"; }

# The chart's CRDs, namespace, ServiceAccounts and RBAC (nothing else: no pods run here).
k apply -f "$repo/platform/l1net/charts/crds/crds/metallb.io.yaml" >/dev/null
"$HELM" template l1net "$repo/platform/l1net" --namespace l1net-system \
  --show-only templates/namespace.yaml --show-only templates/rbac.yaml >"$tmp/rbac.yaml"
k apply -f "$tmp/rbac.yaml" >/dev/null
k wait --for=condition=Established crd/ipaddresspools.metallb.io crd/l2advertisements.metallb.io >/dev/null

# A client certificate per identity, signed by the cluster's CA.
pki="$tmp/cluster/pki"
identity() {  # name user
  openssl req -newkey rsa:2048 -nodes -keyout "$pki/$1.key" -out "$pki/$1.csr" -subj "/CN=$2" 2>/dev/null
  openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -out "$pki/$1.crt" -days 1 2>/dev/null
  sed -e "s|$pki/admin\.|$pki/$1.|g" -e "s/\badmin\b/$1/g" "$KUBECONFIG" >"$tmp/$1.kubeconfig"
}
identity sa-controller system:serviceaccount:l1net-system:l1net-controller

cat <<EOF | k apply -f - >/dev/null
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: lane, namespace: l1net-system}
spec:
  addresses: [203.0.113.0/28]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: lane, namespace: l1net-system}
spec:
  ipAddressPools: [lane]
EOF

start_controller() {  # name kubeconfig [extra args]
  local name=$1 kc=$2
  shift 2
  POD_NAME="$name" "$controller" --mode kubernetes --kubeconfig "$kc" --namespace l1net-system \
    --metrics-addr 127.0.0.1:0 "$@" >"$tmp/controller-$name.log" 2>&1 &
  pids+=($!)
  eval "pid_$name=$!"
}
wait_for() {  # seconds description command...
  local secs=$1 what=$2
  shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || pt_fail "not within ${secs}s: $what"
    sleep 0.2
  done
}
lease_holder() { k -n l1net-system get lease l1net-controller -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
external_ip() { k -n default get svc "$1" -o jsonpath='{.status.loadBalancer.ingress[0].ip}' 2>/dev/null; }
has_ip() { [ -n "$(external_ip "$1")" ]; }
has_leader() { [ -n "$(lease_holder)" ]; }
leader_is() { [ "$(lease_holder)" = "$1" ]; }

# --- 3 (first half): two controllers, one leader ------------------------------------------------
start_controller a "$tmp/sa-controller.kubeconfig" --leader-elect
start_controller b "$tmp/sa-controller.kubeconfig" --leader-elect
sleep 1
for c in a b; do
  eval "kill -0 \$pid_$c" 2>/dev/null || pt_fail "controller $c exited at start: $(head -3 "$tmp/controller-$c.log")"
done
wait_for 30 "a Lease holder" has_leader
leader=$(lease_holder)
[ "$leader" = a ] || [ "$leader" = b ] || pt_fail "Lease holder '$leader' is neither controller"
log "ok: leader is $leader"

# --- 1: Services get IPs that kubectl shows -----------------------------------------------------
for i in 1 2 3; do
  k -n default create service loadbalancer "web$i" --tcp=80:8080 >/dev/null
done
for i in 1 2 3; do
  wait_for 30 "web$i gets an IP" has_ip "web$i"
done
k -n default get svc -o wide | tee "$tmp/svc.txt"
ips=$(for i in 1 2 3; do external_ip "web$i"; echo; done | sort -u | grep -c .)
[ "$ips" -eq 3 ] || pt_fail "expected 3 distinct IPs, got $ips"
for i in 1 2 3; do
  case $(external_ip "web$i") in 203.0.113.*) ;; *) pt_fail "web$i got $(external_ip "web$i")";; esac
  grep -q "web$i .*203\.0\.113\." "$tmp/svc.txt" || pt_fail "kubectl get svc does not show web$i's IP"
done
log "ok: 3 Services got distinct pool IPs, shown by kubectl get svc"

# --- 2: Events and the pool annotation ------------------------------------------------------------
ann=$(k -n default get svc web1 -o jsonpath='{.metadata.annotations.metallb\.io/ip-allocated-from-pool}')
[ "$ann" = lane ] || pt_fail "web1's metallb.io/ip-allocated-from-pool is '$ann', want lane"
wait_for 15 "an IPAllocated Event for web1" sh -c \
  "'$KUBECTL' -n default get events --field-selector involvedObject.name=web1,reason=IPAllocated -o name | grep -q ."
log "ok: pool annotation set, IPAllocated Event recorded"

# --- 3 (second half): kill the leader, the other takes over and serves --------------------------
follower=a
[ "$leader" = a ] && follower=b
eval "kill -9 \$pid_$leader"
killed_at=$SECONDS
wait_for 40 "the follower $follower takes the Lease after the leader was killed" leader_is "$follower"
log "ok: $follower leads $((SECONDS - killed_at)) s after $leader was killed"
k -n default create service loadbalancer web4 --tcp=80:8080 >/dev/null
wait_for 30 "web4 gets an IP from the new leader" has_ip web4
for i in 1 2 3; do
  grep -q "web$i .*$(external_ip "web$i")" "$tmp/svc.txt" || pt_fail "web$i's IP moved after the handover"
done
log "ok: the new leader assigned web4 ($(external_ip web4)); no IP moved"

# --- pool status counts, as MetalLB's IPAddressPool status -------------------------------------
assigned() { k -n l1net-system get ipaddresspool lane -o jsonpath='{.status.assignedIPv4}/{.status.availableIPv4}' 2>/dev/null; }
pool_counts_are() { [ "$(assigned)" = "$1" ]; }
wait_for 15 "IPAddressPool lane status 4 assigned / 12 available" pool_counts_are 4/12
log "ok: IPAddressPool lane status: assignedIPv4/availableIPv4 = $(assigned)"

# --- an invalid pool is rejected (no webhook): Warning Event, the last valid pools stay ----------
cat <<EOF | k apply -f - >/dev/null
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: broken, namespace: l1net-system}
spec:
  addresses: [203.0.113.300/32]
EOF
invalid_event() {
  k -n l1net-system get events --field-selector involvedObject.name=broken,reason=InvalidConfiguration \
    -o jsonpath='{.items[*].message}' | grep -q '203.0.113.300/32'
}
wait_for 20 "an InvalidConfiguration Event on IPAddressPool broken" invalid_event
invalid_condition() {
  k -n l1net-system get ipaddresspool broken \
    -o jsonpath='{.status.conditions[?(@.type=="Valid")].status} {.status.conditions[?(@.type=="Valid")].message}' |
    grep -q '^False .*203.0.113.300/32'
}
wait_for 20 "a Valid=False condition in IPAddressPool broken's status" invalid_condition
k -n default create service loadbalancer web5 --tcp=80:8080 >/dev/null
wait_for 30 "web5 gets an IP from the last valid pool" has_ip web5
case $(external_ip web5) in 203.0.113.*) ;; *) pt_fail "web5 got $(external_ip web5)";; esac
k -n l1net-system delete ipaddresspool broken >/dev/null
log "ok: invalid pool rejected with a Warning Event and a Valid=False condition; web5 served from the last valid pool ($(external_ip web5))"

# The serving controller's writes all succeeded (a 403 from a missing RBAC rule would show here).
if grep -E "writing the .* failed|not recorded" "$tmp/controller-$follower.log"; then
  pt_fail "controller $follower logged failed API writes"
fi

# --- 4: an RBAC denial is reported clearly --------------------------------------------------------
identity nobody-controller system:serviceaccount:default:nobody
start_controller denied "$tmp/nobody-controller.kubeconfig" --leader-elect=false
wait_for 30 "the denied controller reports the 403" grep -qi "forbidden" "$tmp/controller-denied.log"
grep -i "forbidden" "$tmp/controller-denied.log" | head -3
grep -qiE "(list|watch).*services|services.*(list|watch)" "$tmp/controller-denied.log" ||
  pt_fail "the 403 log line does not name the verb and resource"
log "ok: RBAC denial reported naming the verb and resource"
echo "PASS"
