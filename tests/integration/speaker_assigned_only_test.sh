#!/usr/bin/env bash
# What a speaker must NOT announce (issue 8, items 2 and 3), with a real Linux client:
#   - a wrong --node: Node objects exist and none is named like --node (the host name where the
#     Node is named otherwise). The speaker announces nothing, logs ONE error listing the known
#     Node names, `speakerctl status` and `explain` say why, l1net_speaker_node_unknown is 1.
#     Once a Node of that name appears it announces, and the gauge drops to 0.
#   - a refused IP: a Service whose requested IP (annotation / spec.loadBalancerIP) is not in
#     status.loadBalancer.ingress (the controller refused it) is never answered for; explain
#     says "not assigned". The assigned IP of the same file is announced.
# Usage: bash tests/integration/speaker_assigned_only_test.sh BUILD_DIR  (root; exit 77 = skipped)
source "$(dirname "$0")/lib.sh"
l1t_require arping jq curl

metric() { l1t_metrics | awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print "absent" }'; }

l1t_topology
m="$L1T_TMP/manifests.yaml"
assigned=198.51.100.201 refused=198.51.100.202 pinned=198.51.100.203
nodes() { # the Node objects; the speaker runs with --node node-a
  local n
  for n in "$@"; do
    printf -- '---\napiVersion: v1\nkind: Node\nmetadata: {name: %s}\n' "$n"
  done
}
refused_services() {
  cat <<YAML
---
apiVersion: v1
kind: Service
metadata:
  name: refused
  namespace: demo
  annotations: {metallb.io/loadBalancerIPs: "$refused"}
spec:
  type: LoadBalancer
  ports: [{port: 80, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: pinned, namespace: demo}
spec:
  type: LoadBalancer
  loadBalancerIP: "$pinned"
  ports: [{port: 80, protocol: TCP}]
status:
  loadBalancer:
    ingress: [{hostname: lb.example.org}]
YAML
}

# --- 1. wrong --node ---
L1T_EXTRA_MANIFESTS="$(nodes worker-1 worker-2)" l1t_manifests "$m" "$assigned"
l1t_start_speaker "$m"
sleep 1
[ -z "$(l1t_arp_mac "$assigned")" ] || l1t_fail "a speaker with an unknown --node answered ARP for $assigned"
errors=$(grep -c 'matches none of the 2 Node object(s) (worker-1, worker-2)' "$L1T_TMP/speaker.log" || true)
[ "$errors" -eq 1 ] || l1t_fail "want one error listing worker-1, worker-2, got $errors"
grep 'matches none' "$L1T_TMP/speaker.log" | grep -q 'error' || l1t_fail "the message is not at error level"
status=$(l1t_ctl status)
echo "$status" | grep -q '^problem: node node-a matches no Node object (known: worker-1, worker-2)' ||
  l1t_fail "status does not say why: $status"
[ "$(l1t_ctl -o json status | jq -r '.node_unknown')" = true ] || l1t_fail "status JSON has no node_unknown"
[ "$(l1t_ctl -o json status | jq '.announced | length')" -eq 0 ] || l1t_fail "status lists announced IPs"
ex=$(l1t_ctl -o json explain "$assigned")
[ "$(echo "$ex" | jq -r .reason)" = node_unknown ] || l1t_fail "explain: $ex"
echo "$ex" | jq -r .message | grep -q 'worker-1, worker-2' || l1t_fail "explain does not list the nodes: $ex"
[ "$(metric l1net_speaker_node_unknown)" = 1 ] ||
  l1t_fail "l1net_speaker_node_unknown is $(metric l1net_speaker_node_unknown), want 1"
# Another reload with the same Nodes: still one error, not one per reload.
L1T_EXTRA_MANIFESTS="$(nodes worker-1 worker-2)" l1t_manifests "$m" "$assigned" 198.51.100.204
sleep 1.5
errors=$(grep -c 'matches none of the' "$L1T_TMP/speaker.log" || true)
[ "$errors" -eq 1 ] || l1t_fail "a reload logged the unknown node again ($errors errors)"
l1t_pass "wrong --node: no ARP answer, one error naming worker-1, worker-2; status, explain, metric say why"

# The Node appears: announcing starts, the gauge drops.
L1T_EXTRA_MANIFESTS="$(nodes worker-1 node-a)" l1t_manifests "$m" "$assigned"
# Re-asked on every try: a request sent just before the reload lands gets no answer.
l1t_wait_for 5 l1t_answered_by_node "$assigned" ||
  l1t_fail "the speaker did not announce $assigned once Node node-a existed"
[ "$(metric l1net_speaker_node_unknown)" = 0 ] ||
  l1t_fail "l1net_speaker_node_unknown stays $(metric l1net_speaker_node_unknown)"
if l1t_ctl status | grep -q '^problem:'; then l1t_fail "status still reports a problem"; fi
l1t_pass "Node node-a added: $assigned answered by $L1T_NODE_MAC, gauge 0"

# --- 2. refused / unassigned requested IPs ---
L1T_EXTRA_MANIFESTS="$(nodes node-a)
$(refused_services)" l1t_manifests "$m" "$assigned"
sleep 1
[ "$(l1t_arp_mac "$assigned")" = "$L1T_NODE_MAC" ] || l1t_fail "the assigned IP $assigned is not answered"
for ip in "$refused" "$pinned"; do
  [ -z "$(l1t_arp_mac "$ip")" ] || l1t_fail "the speaker answered ARP for $ip, which the controller did not assign"
  ex=$(l1t_ctl explain "$ip")
  echo "$ex" | grep -q "^$ip: not_assigned" || l1t_fail "explain $ip: $ex"
  echo "$ex" | grep -q "not assigned" || l1t_fail "explain $ip does not say 'not assigned': $ex"
done
[ "$(l1t_ctl -o json status | jq -r '[.announced[].ip] | join(",")')" = "$assigned" ] ||
  l1t_fail "status announces $(l1t_ctl -o json status | jq -c '[.announced[].ip]')"
l1t_pass "requested but unassigned $refused (annotation) and $pinned (spec.loadBalancerIP): no ARP answer, explain says not assigned"
l1t_log "PASS"
