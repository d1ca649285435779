#!/usr/bin/env bash
# The real-kube-apiserver lane, speaker side: l1net-controller and l1net-speaker in Kubernetes mode
# against Debian's kube-apiserver 1.20.2 and etcd (scripts/kube-cluster.sh), with a real Linux
# ARP client:
#   1. a Service created with kubectl gets an IP from the controller, and the speaker answers ARP
#      for it; the speaker publishes a ServiceL2Status (node, service) and a nodeAssigned Event;
#   2. EndpointSlices come from discovery.k8s.io/v1beta1, the only version 1.20 serves (the node
#      in `topology`), so the speaker's fallback from v1 is what lets it sync;
#   3. the Service is deleted: the speaker stops answering and removes its ServiceL2Status.
# Both daemons authenticate as the chart's ServiceAccounts (client certificates for
# system:serviceaccount:l1net-system:l1net-{controller,speaker}), so the chart's RBAC is what
# allows them. The control plane runs inside the node's network namespace (its loopback); the
# client reaches the VIP over the test's bridge. Addresses: documentation ranges only.
# Usage: real_apiserver_speaker_test.sh BUILD_DIR   (root; exit 77 = skipped)
source "$(dirname "$0")/../integration/lib.sh"
repo=$(cd "$(dirname "$0")/../.." && pwd)
l1t_require arping curl openssl jq
controller="$L1T_BUILD/controller/l1net-controller"
[ -x "$controller" ] || l1t_fail "$controller not built"
tools=${L1NET_TOOLS:-/opt/l1net-tools}
KUBECTL=$tools/bin/kubectl
HELM=$tools/bin/helm
[ -x "$KUBECTL" ] && [ -x "$HELM" ] || l1t_fail "kubectl/helm missing in $tools: run scripts/install-deps.sh"
export HELM_CACHE_HOME="$L1T_TMP/helm-cache" HELM_CONFIG_HOME="$L1T_TMP/helm-config" \
  HELM_DATA_HOME="$L1T_TMP/helm-data"

l1t_topology
ip -n "$L1T_NS_CLIENT" addr add 203.0.113.1/24 dev eth-client
ip -n "$L1T_NS_NODE" addr add 203.0.113.10/24 dev eth-node

cluster="$L1T_TMP/cluster"
l1t_node "$repo/scripts/kube-cluster.sh" up "$cluster" >/dev/null ||
  l1t_fail "kube-cluster.sh up failed: $(tail -5 "$cluster/apiserver.log" 2>/dev/null)"
admin="$cluster/admin.kubeconfig"
k() { l1t_node env KUBECONFIG="$admin" "$KUBECTL" "$@"; }

k apply -f "$repo/platform/l1net/charts/crds/crds/metallb.io.yaml" >/dev/null
"$HELM" template l1net "$repo/platform/l1net" --namespace l1net-system \
  --show-only templates/namespace.yaml --show-only templates/rbac.yaml >"$L1T_TMP/rbac.yaml"
k apply -f "$L1T_TMP/rbac.yaml" >/dev/null
k wait --for=condition=Established crd/ipaddresspools.metallb.io crd/l2advertisements.metallb.io \
  crd/servicel2statuses.metallb.io >/dev/null

pki="$cluster/pki"
identity() { # name user: a client certificate and kubeconfig for that user
  openssl req -newkey rsa:2048 -nodes -keyout "$pki/$1.key" -out "$pki/$1.csr" -subj "/CN=$2" 2>/dev/null
  openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -out "$pki/$1.crt" -days 1 2>/dev/null
  sed -e "s|$pki/admin\.|$pki/$1.|g" -e "s/\badmin\b/$1/g" "$admin" >"$L1T_TMP/$1.kubeconfig"
}
identity sa-controller system:serviceaccount:l1net-system:l1net-controller
identity sa-speaker system:serviceaccount:l1net-system:l1net-speaker

# The node, the speaker's pod (no kubelet runs: the test reports it Running), the pool.
k create serviceaccount default -n l1net-system >/dev/null 2>&1 || true
cat <<YAML | k apply -f - >/dev/null
apiVersion: v1
kind: Node
metadata: {name: node-a, labels: {kubernetes.io/hostname: node-a}}
---
apiVersion: v1
kind: Pod
metadata:
  name: l1net-speaker-aaaaa
  namespace: l1net-system
  labels: {app.kubernetes.io/name: l1net, app.kubernetes.io/component: speaker}
spec:
  nodeName: node-a
  automountServiceAccountToken: false
  containers: [{name: speaker, image: l1net}]
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: lane, namespace: l1net-system}
spec:
  addresses: [203.0.113.200/29]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: lane, namespace: l1net-system}
spec:
  ipAddressPools: [lane]
YAML
k patch node node-a --subresource=status --type=merge -p \
  '{"status":{"addresses":[{"type":"InternalIP","address":"198.51.100.10"}],"conditions":[{"type":"Ready","status":"True","reason":"Test","message":"test","lastHeartbeatTime":null,"lastTransitionTime":null}]}}' >/dev/null
k -n l1net-system patch pod l1net-speaker-aaaaa --subresource=status --type=merge \
  -p '{"status":{"phase":"Running"}}' >/dev/null
pod_uid=$(k -n l1net-system get pod l1net-speaker-aaaaa -o jsonpath='{.metadata.uid}')
[ -n "$pod_uid" ] || l1t_fail "the speaker's pod has no UID"

l1t_node env POD_NAME=ctl-a "$controller" --mode kubernetes --kubeconfig "$L1T_TMP/sa-controller.kubeconfig" \
  --namespace l1net-system --metrics-addr 127.0.0.1:0 >"$L1T_TMP/controller.log" 2>&1 &
L1T_PIDS+=("$!")
mkdir -p "$(dirname "$L1T_SOCK")"
l1t_node env POD_NAME=l1net-speaker-aaaaa POD_UID="$pod_uid" \
  "$L1T_SPEAKER" --mode kubernetes --kubeconfig "$L1T_TMP/sa-speaker.kubeconfig" --node node-a \
  --namespace l1net-system --insecure-mesh --control-socket "$L1T_SOCK" --metrics-addr "$L1T_METRICS" \
  >"$L1T_TMP/speaker.log" 2>&1 &
L1T_SPEAKER_PID=$!
L1T_PIDS+=("$L1T_SPEAKER_PID")
l1t_wait_control "$L1T_SOCK" "$L1T_SPEAKER_PID" speaker l1t_fail 400 0.05

wait_or_fail() { # seconds what command...
  local secs=$1 what=$2
  shift 2
  l1t_wait_for "$secs" "$@" || l1t_fail "not within ${secs} s: $what"
}
external_ip() { k -n default get svc web -o jsonpath='{.status.loadBalancer.ingress[0].ip}' 2>/dev/null; }
has_ip() { [ -n "$(external_ip)" ]; }
l2status() { k -n l1net-system get servicel2statuses -o json | jq -c '[.items[] | .status]'; }

# --- 1 and 2: a Service with a ready endpoint (a v1beta1 EndpointSlice, as 1.20 serves) ------------
k -n default create service loadbalancer web --tcp=80:8080 >/dev/null
cat <<YAML | k apply -f - >/dev/null
apiVersion: discovery.k8s.io/v1beta1
kind: EndpointSlice
metadata:
  name: web-1
  namespace: default
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
endpoints:
- addresses: [198.51.100.50]
  conditions: {ready: true}
  topology: {kubernetes.io/hostname: node-a}
ports: [{name: tcp-80-8080, port: 8080, protocol: TCP}]
YAML
wait_or_fail 30 "web gets an IP from the controller" has_ip
vip=$(external_ip)
case $vip in 203.0.113.20[0-7]) ;; *) l1t_fail "web got $vip, not a pool IP" ;; esac
l1t_pass "the controller assigned $vip to web"
grep -q "discovery.k8s.io/v1beta1/endpointslices" "$L1T_TMP/speaker.log" ||
  l1t_fail "the speaker did not log its switch to v1beta1 EndpointSlices"
wait_or_fail 30 "the speaker answers ARP for $vip" l1t_answered_by_node "$vip"
l1t_pass "the speaker answers ARP for $vip with the node's MAC"
has_l2status() { l2status | jq -e '.[] | select(.node == "node-a" and .serviceName == "web" and .serviceNamespace == "default")' >/dev/null; }
wait_or_fail 30 "a ServiceL2Status for web on node-a" has_l2status
has_event() { k -n default get events --field-selector involvedObject.name=web,reason=nodeAssigned -o name | grep -q .; }
wait_or_fail 30 "a nodeAssigned Event on web" has_event
l1t_pass "ServiceL2Status and nodeAssigned Event published"

# --- 3: the Service is deleted ------------------------------------------------------------------
k -n default delete service web >/dev/null
wait_or_fail 30 "the speaker stops answering for $vip" l1t_not_answered "$vip"
no_l2status() { [ "$(l2status)" = "[]" ]; }
wait_or_fail 30 "the ServiceL2Status is removed" no_l2status
l1t_pass "after the delete: no answer for $vip, no ServiceL2Status"
grep -qi "forbidden" "$L1T_TMP/speaker.log" "$L1T_TMP/controller.log" &&
  l1t_fail "a daemon was denied by the chart's RBAC: $(grep -hi forbidden "$L1T_TMP"/*.log | head -2)"
echo "PASS"
