#!/usr/bin/env bash
# The speaker in Kubernetes mode (issue 9, Tests item 3), with a real Linux ARP client:
#   1. a Service created through the API (and its IP written to status, as the controller does)
#      is answered for; the speaker publishes a ServiceL2Status owned by its pod (MetalLB's
#      name, labels and fields) and a nodeAssigned Event on the Service;
#   2. the API server fixture stops listening for 60 s: every ARP request during the outage is
#      still answered (the speaker announces from its last known state);
#   3. when it is back, the Service is deleted through the API: the speaker stops answering and
#      deletes its ServiceL2Status.
# The fixture (tests/fakes/tools fake-apiserver) runs on 127.0.0.1 inside the speaker's network
# namespace, so the speaker reaches it on loopback and answers ARP on its veth.
# Usage: bash tests/integration/speaker_kube_test.sh BUILD_DIR  (root; exit 77 = skipped)
source "$(dirname "$0")/lib.sh"
l1t_require arping jq curl
FAKE_API="$L1T_BUILD/tests/fake-apiserver"
[ -x "$FAKE_API" ] || l1t_fail "$FAKE_API not built"


l1t_topology
vip=198.51.100.201
objects="$L1T_TMP/objects.yaml"
cat >"$objects" <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: l1net-system}
---
apiVersion: v1
kind: Namespace
metadata: {name: demo}
---
apiVersion: v1
kind: Node
metadata: {name: node-a, labels: {kubernetes.io/hostname: node-a}}
status:
  addresses: [{type: InternalIP, address: 198.51.100.10}]
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: v1
kind: Pod
metadata:
  name: l1net-speaker-aaaaa
  namespace: l1net-system
  labels: {app.kubernetes.io/name: l1net, app.kubernetes.io/component: speaker}
spec:
  nodeName: node-a
  containers: [{name: speaker, image: l1net}]
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: lan, namespace: l1net-system}
spec:
  addresses: [198.51.100.200/29]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: lan, namespace: l1net-system}
spec:
  ipAddressPools: [lan]
YAML

# The fixture in the node namespace (its loopback), ports printed on stdout.
ip netns exec "$L1T_NS_NODE" "$FAKE_API" --objects "$objects" >"$L1T_TMP/api.out" 2>"$L1T_TMP/api.log" &
L1T_PIDS+=("$!")
for _ in $(seq 100); do
  grep -q '^CONTROL ' "$L1T_TMP/api.out" 2>/dev/null && break
  sleep 0.05
done
port=$(awk '$1 == "PORT" { print $2 }' "$L1T_TMP/api.out")
control=$(awk '$1 == "CONTROL" { print $2 }' "$L1T_TMP/api.out")
[ -n "$port" ] && [ -n "$control" ] || l1t_fail "fake-apiserver did not start: $(cat "$L1T_TMP/api.log")"
api() { # api METHOD PATH [BODY [CONTENT-TYPE]]: prints the body; fails on a non-2xx status
  local ct=${4:-application/json}
  l1t_node curl -sf -X "$1" -H "Content-Type: $ct" ${3:+--data "$3"} "http://127.0.0.1:$port$2"
}
cat >"$L1T_TMP/kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: "http://127.0.0.1:$port"}}]
users: [{name: admin, user: {}}]
contexts: [{name: fake, context: {cluster: fake, user: admin}}]
current-context: fake
YAML

# The speaker's pod: its UID is the API server's; the kubelet would report it Running.
pod_uid=$(api GET /api/v1/namespaces/l1net-system/pods/l1net-speaker-aaaaa | jq -r .metadata.uid)
api PATCH /api/v1/namespaces/l1net-system/pods/l1net-speaker-aaaaa/status \
  '{"status":{"phase":"Running"}}' application/merge-patch+json >/dev/null || l1t_fail "cannot set the pod Running"

# The speaker: kubernetes mode, a one-node mesh.
ip netns exec "$L1T_NS_NODE" env POD_NAME=l1net-speaker-aaaaa POD_UID="$pod_uid" \
  "$L1T_SPEAKER" --mode kubernetes --kubeconfig "$L1T_TMP/kubeconfig" --node node-a \
  --insecure-mesh --control-socket "$L1T_SOCK" --metrics-addr "$L1T_METRICS" --log-level debug \
  >>"$L1T_TMP/speaker.log" 2>&1 &
L1T_SPEAKER_PID=$!
L1T_PIDS+=("$L1T_SPEAKER_PID")
l1t_wait_control "$L1T_SOCK" "$L1T_SPEAKER_PID" speaker l1t_fail 200 0.05

# --- 1. a Service created through the API, its IP written to status as the controller does ---
api POST /api/v1/namespaces/demo/services \
  '{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"demo"},"spec":{"type":"LoadBalancer","selector":{"app":"web"},"ports":[{"port":80,"protocol":"TCP"}]}}' >/dev/null ||
  l1t_fail "cannot create the Service"
svc_uid=$(api GET /api/v1/namespaces/demo/services/web | jq -r .metadata.uid)
api PATCH /api/v1/namespaces/demo/services/web/status \
  "{\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"$vip\"}]}}}" application/merge-patch+json >/dev/null ||
  l1t_fail "cannot set the Service's status"
api POST /apis/discovery.k8s.io/v1/namespaces/demo/endpointslices \
  '{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"web-1","namespace":"demo","labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4","endpoints":[{"addresses":["203.0.113.5"],"conditions":{"ready":true},"nodeName":"node-a"}],"ports":[{"port":80,"protocol":"TCP"}]}' >/dev/null ||
  l1t_fail "cannot create the EndpointSlice"
l1t_wait_for 10 l1t_answered_by_node "$vip" || l1t_fail "$vip not answered after the Service was created through the API"
l1t_pass "Service demo/web created through the API: $vip answered by $L1T_NODE_MAC"

statuses() { api GET /apis/metallb.io/v1beta1/namespaces/l1net-system/servicel2statuses; }
has_status() { [ "$(statuses | jq '.items | length')" -eq 1 ]; }
l1t_wait_for 10 has_status || l1t_fail "no ServiceL2Status published: $(statuses)"
st=$(statuses | jq -c '.items[0]')
echo "$st" | jq -e '.metadata.name | startswith("l2-")' >/dev/null || l1t_fail "name not from generateName l2-: $st"
echo "$st" | jq -e '.metadata.labels == {"metallb.io/node":"node-a","metallb.io/service-name":"web","metallb.io/service-namespace":"demo"}' >/dev/null ||
  l1t_fail "labels: $st"
echo "$st" | jq -e '.status.node == "node-a" and .status.serviceName == "web" and .status.serviceNamespace == "demo"' >/dev/null ||
  l1t_fail "status: $st"
echo "$st" | jq -e --arg uid "$pod_uid" '.metadata.ownerReferences == [{"apiVersion":"v1","kind":"Pod","name":"l1net-speaker-aaaaa","uid":$uid}]' >/dev/null ||
  l1t_fail "ownerReferences: $st"
ev=$(api GET /api/v1/namespaces/demo/events | jq -c '[.items[] | select(.reason == "nodeAssigned")]')
echo "$ev" | jq -e --arg uid "$svc_uid" 'length == 1 and .[0].involvedObject.name == "web" and .[0].involvedObject.uid == $uid and .[0].message == "announcing from node \"node-a\" with protocol \"layer2\""' >/dev/null ||
  l1t_fail "nodeAssigned event: $ev"
l1t_pass "ServiceL2Status $(echo "$st" | jq -r .metadata.name) (labels, status, owner pod) and one nodeAssigned Event"

# --- 2. the API server away for 60 s: answered throughout ---
l1t_node curl -sf -X POST "http://127.0.0.1:$control/__fixture/stop?seconds=60" >/dev/null ||
  l1t_fail "cannot stop the fixture"
outage_start=$(date +%s)
if l1t_node curl -s -m 1 "http://127.0.0.1:$port/api/v1/nodes" >/dev/null 2>&1; then
  l1t_fail "the fixture still answers after stop"
fi
asked=0 answered=0
while [ $(($(date +%s) - outage_start)) -lt 58 ]; do
  asked=$((asked + 1))
  if l1t_answered_by_node "$vip"; then answered=$((answered + 1)); else
    l1t_fail "ARP for $vip unanswered $(($(date +%s) - outage_start)) s into the API outage"
  fi
  sleep 1
done
l1t_pass "API server stopped for 60 s: $answered/$asked ARP requests for $vip answered during the outage"

# --- 3. back: the Service deleted through the API is withdrawn, and its status object deleted ---
api_back() { l1t_node curl -sf -m 1 "http://127.0.0.1:$port/api/v1/nodes" >/dev/null; }
l1t_wait_for 15 api_back || l1t_fail "the fixture did not come back"
grep -q 'API server unreachable\|publishing failed' "$L1T_TMP/speaker.log" ||
  l1t_fail "the outage was not logged"
api DELETE /api/v1/namespaces/demo/services/web >/dev/null || l1t_fail "cannot delete the Service"
deleted_at=$(l1t_now)
# The informers reconnect with backoff after the outage: allow for its maximum.
l1t_wait_for 45 l1t_not_answered "$vip" || l1t_fail "$vip still answered after the Service was deleted"
withdrawn_ms=$(l1t_elapsed_ms "$deleted_at" "$(l1t_now)")
no_status() { [ "$(statuses | jq '.items | length')" -eq 0 ]; }
l1t_wait_for 30 no_status || l1t_fail "ServiceL2Status not deleted: $(statuses)"
l1t_pass "Service deleted through the API after the outage: $vip no longer answered (${withdrawn_ms} ms), ServiceL2Status deleted"
l1t_log "PASS"
