#!/usr/bin/env bash
# Kubernetes-mode figures (issue 9), printed as BENCH lines; asserts nothing about time.
#   1. Service created -> IP in status (svc_latency): p50/p99 over N Services, l1net-controller
#      against the API fixture (tests/fakes/tools/fake-apiserver).
#   2. The same while the fixture injects faults (every second every open watch is cut mid-event;
#      every 5 s one request answers 500 and the history is compacted, so re-watches get 410):
#      watch reconnects survived, and whether any Service was lost.
#   3. The same against the real kube-apiserver 1.20.2 (scripts/kube-cluster.sh), when its cached
#      binary exists (building it is the kube lane's job, not this benchmark's).
#   4. Initial sync of 10,000 Services that already have their IPs, for the controller (until its
#      pool metric shows all in use) and the speaker (until it announces all): time and VmHWM.
# Only loopback is used (and, for the speaker, a network namespace this script creates and
# deletes); addresses are documentation ranges. Usage: kube_bench.sh BUILD_DIR [N]
# L1NET_KUBE_BENCH_PARTS="1 2 3 4 5" chooses the parts (2 needs 1; 4 is the controller's sync,
# 5 the speaker's).
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "kube_bench: skipped: needs root (the speaker's network namespace)"; exit 77; }
parts=" ${L1NET_KUBE_BENCH_PARTS:-1 2 3 4 5} "
want() { [[ $parts == *" $1 "* ]]; }

build=$(cd "${1:-build/default}" && pwd)
count=${2:-200}
repo=$(cd "$(dirname "$0")/../.." && pwd)
fake_api="$build/tests/fake-apiserver"
controller="$build/controller/l1net-controller"
speaker="$build/speaker/l1net-speaker"
latency="$build/bench/kube/svc_latency"
for b in "$fake_api" "$controller" "$speaker" "$latency"; do
  [ -x "$b" ] || { echo "kube_bench: $b not built" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/l1net-kube-bench.XXXXXX")
netns="l1kb$$"
pids=()
cleanup() {
  set +e
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  ip netns del "$netns" 2>/dev/null
  [ -d "$tmp/cluster" ] && "$repo/scripts/kube-cluster.sh" down "$tmp/cluster" >/dev/null 2>&1
  [ -n "${L1NET_KUBE_BENCH_KEEP:-}" ] && cp -r "$tmp" "$L1NET_KUBE_BENCH_KEEP"
  rm -rf "$tmp"
}
trap cleanup EXIT
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
echo "kube_bench: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"

pool_objects() {  # namespace-of-pools pool-cidr
  cat <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: l1net-system}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: bench, namespace: l1net-system}
spec:
  addresses: [$1]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: bench, namespace: l1net-system}
spec:
  ipAddressPools: [bench]
YAML
}

fixture_prefix=""  # e.g. "ip netns exec NS": where the fixture runs
start_fixture() {  # name objects-file...: sets port/control
  local name=$1
  shift
  local args=()
  for f in "$@"; do args+=(--objects "$f"); done
  $fixture_prefix "$fake_api" "${args[@]}" >"$tmp/$name.out" 2>"$tmp/$name.log" &
  pids+=($!)
  for _ in $(seq 600); do
    grep -q '^CONTROL ' "$tmp/$name.out" 2>/dev/null && break
    sleep 0.05
  done
  port=$(awk '$1 == "PORT" { print $2 }' "$tmp/$name.out")
  control=$(awk '$1 == "CONTROL" { print $2 }' "$tmp/$name.out")
  [ -n "$port" ] || { echo "kube_bench: fixture $name did not start: $(tail -3 "$tmp/$name.log")" >&2; exit 1; }
  cat >"$tmp/$name.kubeconfig" <<YAML
apiVersion: v1
kind: Config
current-context: bench
clusters: [{name: bench, cluster: {server: "http://127.0.0.1:$port"}}]
contexts: [{name: bench, context: {cluster: bench, user: bench}}]
users: [{name: bench, user: {}}]
YAML
}
fixture_state() { curl -sf "http://127.0.0.1:$control/__fixture/state"; }

start_controller() {  # name kubeconfig metrics-port
  POD_NAME="bench-$1" "$controller" --mode kubernetes --kubeconfig "$2" --namespace l1net-system \
    --metrics-addr "127.0.0.1:$3" >"$tmp/controller-$1.log" 2>&1 &
  pids+=($!)
  controller_pid=$!
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
hwm_kib() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
metric_sum() {  # url metric-name: sum over its series ("" when unreachable)
  curl -sf "$1" 2>/dev/null | awk -v m="$2" '$1 == m || index($1, m "{") == 1 { s += $NF; n++ } END { if (n) printf "%d\n", s }'
}

# --- 1 and 2: the fixture ------------------------------------------------------------------------
if want 1; then
pool_objects "203.0.113.0/24, 192.0.2.0/24" >"$tmp/pools.yaml"  # parts 1 and 2: 2 x 200
start_fixture api "$tmp/pools.yaml"
mport=$(free_port)
start_controller fixture "$tmp/api.kubeconfig" "$mport"
log "1. $count Services against the fixture"
"$latency" --kubeconfig "$tmp/api.kubeconfig" --namespace bench --count "$count" \
  --label fixture --raw "$tmp/fixture.raw"
fi

if want 1 && want 2; then
log "2. $count Services against the fixture while it injects faults every second"
before=$(fixture_state | python3 -c 'import json,sys; print(json.load(sys.stdin)["watchesServed"])')
(
  i=0
  while true; do
    i=$((i + 1))
    curl -sf -X POST "http://127.0.0.1:$control/__fixture/drop-watches" >/dev/null || true
    [ $((i % 5)) -eq 2 ] && curl -sf -X POST "http://127.0.0.1:$control/__fixture/fail?n=1&status=500" >/dev/null
    [ $((i % 5)) -eq 4 ] && curl -sf -X POST "http://127.0.0.1:$control/__fixture/compact" >/dev/null
    sleep 1
  done
) &
faults=$!
pids+=($faults)
"$latency" --kubeconfig "$tmp/api.kubeconfig" --namespace bench-faults --count "$count" \
  --label fixture_faults --raw "$tmp/faults.raw" || true
kill "$faults" 2>/dev/null || true
after=$(fixture_state | python3 -c 'import json,sys; print(json.load(sys.stdin)["watchesServed"])')
# Every watch after the first of each informer is a reconnect (the controller's and svc_latency's).
echo "BENCH name=watch_reconnects_fixture_faults value=$((after - before)) unit=watches"
kill -0 "$controller_pid" 2>/dev/null && alive=1 || alive=0
echo "BENCH name=controller_alive_after_faults value=$alive unit=bool"
kill "$controller_pid" 2>/dev/null || true
fi

# --- 3: the real kube-apiserver ------------------------------------------------------------------
if ! want 3; then
  :
elif [ -x "${L1NET_CACHE:-/var/cache/l1net}/kube-apiserver-1.20.2" ] && command -v etcd >/dev/null; then
  log "3. $count Services against the real kube-apiserver 1.20.2"
  "$repo/scripts/kube-cluster.sh" up "$tmp/cluster" >/dev/null
  export KUBECONFIG="$tmp/cluster/admin.kubeconfig"
  kubectl=${KUBECTL:-$(command -v kubectl || echo /opt/l1net-tools/bin/kubectl)}
  "$kubectl" apply -f "$repo/platform/l1net/charts/crds/crds/metallb.io.yaml" >/dev/null
  "$kubectl" wait --for=condition=Established crd/ipaddresspools.metallb.io \
    crd/l2advertisements.metallb.io >/dev/null
  pool_objects 203.0.113.0/24 | "$kubectl" apply -f - >/dev/null
  start_controller real "$KUBECONFIG" "$(free_port)"
  "$latency" --kubeconfig "$KUBECONFIG" --namespace bench --count "$count" --label real \
    --raw "$tmp/real.raw" || true
  kill "$controller_pid" 2>/dev/null || true
else
  echo "kube_bench: 3 skipped: no cached kube-apiserver (run scripts/kube-apiserver.sh)"
fi

# --- 4: initial sync of 10,000 Services ----------------------------------------------------------
if want 4 || want 5; then
n=10000
log "4. initial sync of $n Services that already hold their IPs"
python3 - "$n" >"$tmp/big.yaml" <<'PY'
import sys
n = int(sys.argv[1])
print("""apiVersion: v1
kind: Namespace
metadata: {name: l1net-system}
---
apiVersion: v1
kind: Namespace
metadata: {name: big}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: big, namespace: l1net-system}
spec:
  addresses: ["2001:db8:1::/112"]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: big, namespace: l1net-system}
spec:
  ipAddressPools: [big]
---
apiVersion: v1
kind: Node
metadata: {name: node-a, labels: {kubernetes.io/hostname: node-a}}
status:
  addresses: [{type: InternalIP, address: "2001:db8:2::10"}]
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: v1
kind: Pod
metadata:
  name: l1net-speaker-bench
  namespace: l1net-system
  labels: {app.kubernetes.io/name: l1net, app.kubernetes.io/component: speaker}
spec: {nodeName: node-a, containers: [{name: speaker, image: l1net}]}
status: {phase: Running, podIP: "2001:db8:2::10"}""")
for i in range(n):
    ip = "2001:db8:1::%x" % (i + 1)
    print(f"""---
apiVersion: v1
kind: Service
metadata:
  name: s{i}
  namespace: big
  annotations: {{metallb.io/ip-allocated-from-pool: big}}
spec:
  type: LoadBalancer
  ipFamilies: [IPv6]
  ipFamilyPolicy: SingleStack
  clusterIP: "2001:db8:3::{i + 1:x}"
  clusterIPs: ["2001:db8:3::{i + 1:x}"]
  ports: [{{name: http, port: 80, protocol: TCP}}]
status:
  loadBalancer:
    ingress: [{{ip: "{ip}"}}]""")
PY
fi
if want 4; then
start_fixture big "$tmp/big.yaml"
mport=$(free_port)
t0=$(date +%s%N)
start_controller big "$tmp/big.kubeconfig" "$mport"
deadline=$((SECONDS + 300))
until [ "$(metric_sum "http://127.0.0.1:$mport/metrics" metallb_allocator_addresses_in_use_total)" = "$n" ]; do
  kill -0 "$controller_pid" 2>/dev/null || { echo "kube_bench: the controller exited" >&2; tail -5 "$tmp/controller-big.log" >&2; exit 1; }
  [ $SECONDS -lt $deadline ] || { echo "kube_bench: controller did not sync $n Services in 300 s" >&2; tail -5 "$tmp/controller-big.log" >&2; exit 1; }
  sleep 0.05
done
t1=$(date +%s%N)
sleep 1
echo "BENCH name=controller_initial_sync_10k value=$(((t1 - t0) / 1000000)) unit=ms"
echo "BENCH name=controller_vmhwm_10k value=$(($(hwm_kib "$controller_pid") / 1024)) unit=MiB"
sleep 2  # let any (unexpected) status writes land
moved=$(curl -sf "http://127.0.0.1:$port/api/v1/namespaces/big/services" | python3 -c '
import json, sys
items = json.load(sys.stdin)["items"]
print(sum(1 for s in items
          if [i.get("ip") for i in s["status"]["loadBalancer"].get("ingress", [])]
          != ["2001:db8:1::%x" % (int(s["metadata"]["name"][1:]) + 1)]))')
kill "$controller_pid" 2>/dev/null || true
echo "BENCH name=controller_ips_moved_10k value=$moved unit=services"
fi

if want 5; then
# The speaker in its own network namespace (its raw sockets need an interface), with the fixture
# on that namespace's loopback.
ip netns add "$netns"
ip -n "$netns" link add kbn type veth peer name kbp
ip -n "$netns" link set kbp up
ip -n "$netns" addr add 203.0.113.1/24 dev kbn
ip -n "$netns" link set kbn up
ip -n "$netns" link set lo up
fixture_prefix="ip netns exec $netns"
start_fixture bigns "$tmp/big.yaml"
smport=$(free_port)
pod_uid=$(ip netns exec "$netns" curl -sf "http://127.0.0.1:$port/api/v1/namespaces/l1net-system/pods/l1net-speaker-bench" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["uid"])')
t0=$(date +%s%N)
ip netns exec "$netns" env POD_NAME=l1net-speaker-bench POD_UID="$pod_uid" \
  "$speaker" --mode kubernetes --kubeconfig "$tmp/bigns.kubeconfig" --node node-a \
  --namespace l1net-system --insecure-mesh --metrics-addr "127.0.0.1:$smport" >"$tmp/speaker-big.log" 2>&1 &
pids+=($!)
speaker_pid=$!
deadline=$((SECONDS + 300))
until [ "$(ip netns exec "$netns" sh -c "curl -sf http://127.0.0.1:$smport/metrics" | awk '$1 ~ /^metallb_speaker_announced/ { s += $NF } END { printf "%d", s }')" = "$n" ]; do
  kill -0 "$speaker_pid" 2>/dev/null || { echo "kube_bench: the speaker exited" >&2; tail -5 "$tmp/speaker-big.log" >&2; exit 1; }
  [ $SECONDS -lt $deadline ] || { echo "kube_bench: speaker did not announce $n in 300 s" >&2; tail -5 "$tmp/speaker-big.log" >&2; exit 1; }
  sleep 0.1
done
t1=$(date +%s%N)
echo "BENCH name=speaker_initial_sync_10k value=$(((t1 - t0) / 1000000)) unit=ms"
echo "BENCH name=speaker_vmhwm_10k value=$(($(hwm_kib "$speaker_pid") / 1024)) unit=MiB"
fi
echo "kube_bench: load average $(cut -d' ' -f1-3 /proc/loadavg) at end"
