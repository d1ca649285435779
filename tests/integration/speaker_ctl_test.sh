#!/usr/bin/env bash
# speakerctl against a running speaker: exit codes (0 ok, 1 unreachable/refused, 2 usage),
# status / explain (every reason this file-mode setup can produce) / stats / garp in text and
# JSON, the metrics endpoint, losing an IP through a manifest edit (answers and series stop at
# once), an invalid edit keeping the last good set, and a clean SIGTERM.
# Usage: bash tests/integration/speaker_ctl_test.sh BUILD_DIR  (root; exit 77 = skipped)
source "$(dirname "$0")/lib.sh"
l1t_require arping jq curl

# expect_rc RC CMD...: runs CMD, checks its exit status, leaves stdout+stderr in $OUT.
expect_rc() {
  local want=$1 rc=0
  shift
  OUT=$("$@" 2>&1) || rc=$?
  [ "$rc" -eq "$want" ] || l1t_fail "'$*' exited $rc, want $want: $OUT"
}

# --- before the daemon exists ---
expect_rc 1 "$L1T_CTL" --socket "$L1T_TMP/none.sock" status
[ "$(echo "$OUT" | wc -l)" -eq 1 ] || l1t_fail "unreachable message is not one line: $OUT"
echo "$OUT" | grep -q "cannot reach l1net-speaker at $L1T_TMP/none.sock" || l1t_fail "message: $OUT"
l1t_pass "unreachable daemon: exit 1, '$OUT'"
expect_rc 2 "$L1T_CTL"
expect_rc 2 "$L1T_CTL" bogus
expect_rc 2 "$L1T_CTL" explain
expect_rc 2 "$L1T_CTL" explain not-an-ip
expect_rc 2 "$L1T_CTL" garp 198.51.100.200 extra
expect_rc 2 "$L1T_CTL" -o yaml status
expect_rc 2 "$L1T_CTL" --no-such-flag status
l1t_pass "usage errors exit 2"

# --- a speaker with every explain case ---
L1T_EXTRA_MANIFESTS=$(
  cat <<'EOF'
apiVersion: v1
kind: Node
metadata: {name: node-a, labels: {zone: a}}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: dmz, namespace: metallb-system}
spec: {addresses: [203.0.113.0/28]}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: dmz, namespace: metallb-system}
spec:
  ipAddressPools: [dmz]
  nodeSelectors: [{matchLabels: {zone: b}}]
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: quiet, namespace: metallb-system}
spec: {addresses: [192.0.2.0/28]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: dmz}
spec: {type: LoadBalancer, ports: [{port: 443, protocol: TCP}]}
status: {loadBalancer: {ingress: [{ip: 203.0.113.5}]}}
---
apiVersion: v1
kind: Service
metadata: {name: hidden, namespace: demo}
spec: {type: LoadBalancer, ports: [{port: 80, protocol: TCP}]}
status: {loadBalancer: {ingress: [{ip: 192.0.2.5}]}}
---
apiVersion: v1
kind: Service
metadata: {name: idle, namespace: demo}
spec: {type: LoadBalancer, ports: [{port: 80, protocol: TCP}]}
status: {loadBalancer: {ingress: [{ip: 198.51.100.203}]}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: demo, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints:
- {addresses: [192.0.2.100], conditions: {ready: true}, nodeName: node-a}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: idle-1, namespace: demo, labels: {kubernetes.io/service-name: idle}}
addressType: IPv4
endpoints:
- {addresses: [192.0.2.101], conditions: {ready: false}, nodeName: node-a}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: api-1, namespace: dmz, labels: {kubernetes.io/service-name: api}}
addressType: IPv4
endpoints:
- {addresses: [192.0.2.102], conditions: {ready: true}, nodeName: node-a}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: hidden-1, namespace: demo, labels: {kubernetes.io/service-name: hidden}}
addressType: IPv4
endpoints:
- {addresses: [192.0.2.103], conditions: {ready: true}, nodeName: node-a}
EOF
)
export L1T_EXTRA_MANIFESTS
l1t_topology
l1t_manifests "$L1T_TMP/manifests.yaml" "$L1T_VIP4" "$L1T_VIP6"
l1t_start_speaker "$L1T_TMP/manifests.yaml"
[ "$(stat -c %a "$L1T_SOCK")" = "660" ] || l1t_fail "control socket mode $(stat -c %a "$L1T_SOCK")"
l1t_pass "control socket $L1T_SOCK mode 0660"

# status
expect_rc 0 l1t_ctl status
for want in "node: node-a" eth-node "$L1T_NODE_MAC" "$L1T_VIP4" "$L1T_VIP6" demo/web subnet; do
  echo "$OUT" | grep -q -- "$want" || l1t_fail "status text lacks '$want': $OUT"
done
echo "$OUT" | sed 's/^/    /'
expect_rc 0 l1t_ctl -o json status
echo "$OUT" | jq -e --arg mac "$L1T_NODE_MAC" '.node == "node-a"
  and (.interfaces[] | select(.name == "eth-node") | .mac == $mac and .usable)
  and (.interfaces[] | select(.name == "lo") | .state == "excluded")
  and ([.announced[].ip] | sort == ["198.51.100.200", "2001:db8::200"])
  and all(.announced[]; .interfaces == ["eth-node"] and (.since | test("^[0-9T:-]+Z$")))' \
  >/dev/null || l1t_fail "status json: $OUT"
l1t_pass "status (text and json)"

# explain: one IP per reason
explain_is() {
  local ip=$1 reason=$2 pattern=$3
  expect_rc 0 l1t_ctl -o json explain "$ip"
  [ "$(echo "$OUT" | jq -r .reason)" = "$reason" ] || l1t_fail "explain $ip: $OUT"
  echo "$OUT" | jq -r .message | grep -qE "$pattern" || l1t_fail "explain $ip message: $OUT"
  expect_rc 0 l1t_ctl explain "$ip"
  l1t_pass "explain $ip -> $(echo "$OUT" | tr '\n' ' ')"
}
explain_is "$L1T_VIP4" announced "on eth-node: subnet 198.51.100.0/24 contains it"
explain_is "$L1T_VIP6" announced "subnet 2001:db8::/64"
explain_is 198.51.100.9 no_service "no LoadBalancer service has"
explain_is 203.0.113.5 node_not_selected "node node-a is not selected"
explain_is 192.0.2.5 pool_not_advertised "pool quiet is not advertised"
explain_is 198.51.100.203 no_serving_endpoints "no serving endpoints"

# stats after some traffic
l1t_client arping -c 2 -w 3 -I eth-client "$L1T_VIP4" >/dev/null || l1t_fail "no ARP reply"
expect_rc 0 l1t_ctl -o json stats
echo "$OUT" | jq -e --arg ip "$L1T_VIP4" '(.ips[] | select(.ip == $ip)) as $s
  | $s.requests_received >= 2 and $s.responses_sent >= 2 and $s.gratuitous_sent >= 2
  and (.drops | has("truncated") and has("not_owned"))' >/dev/null || l1t_fail "stats: $OUT"
expect_rc 0 l1t_ctl stats
echo "$OUT" | grep -q "REQUESTS" || l1t_fail "stats text: $OUT"
l1t_pass "stats (text and json)"

# garp
g0=$(l1t_ip_stat "$L1T_VIP4" gratuitous_sent)
expect_rc 0 l1t_ctl garp "$L1T_VIP4"
echo "$OUT" | grep -q "sent 2 frame(s) for $L1T_VIP4 on eth-node" || l1t_fail "garp: $OUT"
[ "$(l1t_ip_stat "$L1T_VIP4" gratuitous_sent)" -eq $((g0 + 2)) ] || l1t_fail "garp not counted"
expect_rc 0 l1t_ctl -o json garp "$L1T_VIP6"
[ "$(echo "$OUT" | jq .frames)" -eq 1 ] || l1t_fail "garp v6: $OUT"
expect_rc 1 l1t_ctl garp 198.51.100.9
echo "$OUT" | grep -q "not announced by this node" || l1t_fail "garp refusal: $OUT"
l1t_pass "garp: sends one round; refuses an IP we do not announce (exit 1)"

# metrics
m=$(l1t_metrics)
echo "$m" | grep -qx "metallb_speaker_announced{ip=\"$L1T_VIP4\",node=\"node-a\",protocol=\"layer2\",service=\"demo/web\"} 1" ||
  l1t_fail "announced series missing: $(echo "$m" | grep announced)"
l1t_node curl -sf "http://$L1T_METRICS/healthz" >/dev/null || l1t_fail "healthz"
l1t_pass "metrics: speaker_announced series present, /healthz ok"

# Losing VIP4 through a manifest edit: no answer afterwards, its series are gone.
t0=$(l1t_now)
l1t_manifests "$L1T_TMP/manifests.yaml" "$L1T_VIP6"
lost() { ! l1t_ctl -o json status | jq -e --arg ip "$L1T_VIP4" '.announced[] | select(.ip == $ip)'; }
l1t_wait_for 2 lost || l1t_fail "still announcing $L1T_VIP4 after the edit"
l1t_pass "edit applied after $(l1t_elapsed_ms "$t0" "$(l1t_now)") ms (debounce 100 ms)"
m=$(l1t_metrics)
if echo "$m" | grep -F "ip=\"$L1T_VIP4\"" | grep -v '^#'; then
  l1t_fail "series for $L1T_VIP4 survived its loss"
fi
if out=$(l1t_client arping -c 2 -w 2 -I eth-client "$L1T_VIP4" 2>&1); then
  l1t_fail "still answering for $L1T_VIP4: $out"
fi
l1t_pass "lost $L1T_VIP4: no ARP reply, no metric series left"

# An invalid edit keeps the last good set.
printf 'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: lan}\nspec: {addresses: [not-a-cidr]}\n' \
  >"$L1T_TMP/manifests.yaml.tmp"
mv "$L1T_TMP/manifests.yaml.tmp" "$L1T_TMP/manifests.yaml"
sleep 0.5
l1t_ctl -o json status | jq -e --arg ip "$L1T_VIP6" '.announced[] | select(.ip == $ip)' >/dev/null ||
  l1t_fail "invalid edit dropped the last good set"
kill -0 "$L1T_SPEAKER_PID" || l1t_fail "speaker died on an invalid edit"
l1t_pass "invalid edit: last good set kept"

# SIGTERM: clean exit, socket removed, speakerctl reports the daemon unreachable.
l1t_stop_speaker || l1t_fail "speaker exit status $? on SIGTERM"
[ ! -e "$L1T_SOCK" ] || l1t_fail "control socket left behind"
expect_rc 1 l1t_ctl status
l1t_pass "SIGTERM: exit 0, socket removed; then '$OUT'"
l1t_log "PASS"
