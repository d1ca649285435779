#!/usr/bin/env bash
# ARP and NDP answers from the speaker, seen by a Linux client on the same bridge:
#  - arping gets replies carrying the node's MAC, and the client's kernel learns it (ip neigh);
#  - an IP that is not announced gets no reply;
#  - ndisc6 resolves the IPv6 VIP to the node's MAC;
#  - the client kernel's unicast NUD probe (STALE -> DELAY -> PROBE) is answered: REACHABLE again.
# Usage: bash tests/integration/speaker_arp_ndp_test.sh BUILD_DIR  (root; exit 77 = skipped)
source "$(dirname "$0")/lib.sh"
l1t_require arping ndisc6 jq tcpdump

l1t_topology
l1t_manifests "$L1T_TMP/manifests.yaml" "$L1T_VIP4" "$L1T_VIP6"
# MLDv2 reports (to ff02::16), to see the solicited-node group join.
l1t_client tcpdump -l -v -n -i eth-client "ip6 dst ff02::16" >"$L1T_TMP/mld.txt" 2>/dev/null &
L1T_PIDS+=($!)
sleep 0.5
l1t_start_speaker "$L1T_TMP/manifests.yaml"

mac_upper=$(echo "$L1T_NODE_MAC" | tr a-f A-F)

# --- ARP ---
out=$(l1t_client arping -c 3 -w 5 -I eth-client "$L1T_VIP4" 2>&1) || l1t_fail "arping got no reply: $out"
echo "$out" | grep -qi "\[$L1T_NODE_MAC\]" || l1t_fail "arping replies do not carry $L1T_NODE_MAC: $out"
replies=$(echo "$out" | grep -ci "reply from $L1T_VIP4 \[$L1T_NODE_MAC\]" || true)
[ "$replies" -ge 3 ] || l1t_fail "expected 3 replies, got $replies: $out"
if echo "$out" | grep -i "reply from" | grep -vqi "$mac_upper"; then
  l1t_fail "a reply carried another MAC: $out"
fi
rtts=$(echo "$out" | grep -oE '[0-9.]+ms' | tr '\n' ' ')
l1t_pass "arping: $replies replies from $L1T_NODE_MAC (round trips: $rtts)"

# The client's kernel resolves the VIP by itself (an ICMP echo nobody answers is enough).
l1t_client ping -c 1 -W 1 "$L1T_VIP4" >/dev/null 2>&1 || true
got=$(l1t_neigh_mac "$L1T_VIP4")
[ "$got" = "$L1T_NODE_MAC" ] || l1t_fail "client neighbour entry for $L1T_VIP4 is '$got'"
l1t_pass "client ip neigh: $L1T_VIP4 lladdr $got"

# Not announced: no reply, and the kernel filter (ARP target = an announced IPv4) drops the
# requests before they reach the speaker: neither not_owned nor kernel_received moves.
before=$(l1t_ctl -o json stats)
if out=$(l1t_client arping -c 2 -w 2 -I eth-client 198.51.100.201 2>&1); then
  l1t_fail "198.51.100.201 is not announced but got a reply: $out"
fi
l1t_pass "unannounced 198.51.100.201: no reply"
after=$(l1t_ctl -o json stats)
for f in .drops.not_owned .kernel_received; do
  [ "$(jq "$f" <<<"$before")" = "$(jq "$f" <<<"$after")" ] ||
    l1t_fail "requests for an unannounced IP reached the speaker ($f: $(jq "$f" <<<"$before") -> $(jq "$f" <<<"$after"))"
done
l1t_pass "unannounced 198.51.100.201: filtered in the kernel"

# --- NDP ---
out=$(l1t_client ndisc6 -1 -r 3 -w 1000 "$L1T_VIP6" eth-client 2>&1) || l1t_fail "ndisc6 failed: $out"
echo "$out" | grep -qi "Target link-layer address: $mac_upper" ||
  l1t_fail "ndisc6 did not return $L1T_NODE_MAC: $out"
l1t_pass "ndisc6: $L1T_VIP6 is at $L1T_NODE_MAC"

# The join is visible to MLD-snooping switches: the node reported the VIP's solicited-node group.
grep -q "ff02::1:ff00:200" "$L1T_TMP/mld.txt" ||
  l1t_fail "no MLD report for ff02::1:ff00:200: $(cat "$L1T_TMP/mld.txt")"
l1t_pass "MLD report for ff02::1:ff00:200 (solicited-node group of $L1T_VIP6) seen on the LAN"

# Unicast NUD probe: a STALE entry plus traffic makes the kernel probe the cached MAC directly
# (DELAY, then a unicast NS to the VIP); only our solicited NA brings it back to REACHABLE.
l1t_client sysctl -qw net.ipv6.neigh.eth-client.delay_first_probe_time=1
l1t_client ip -6 neigh replace "$L1T_VIP6" lladdr "$L1T_NODE_MAC" dev eth-client nud stale
before=$(l1t_ip_stat "$L1T_VIP6" responses_sent)
l1t_client ping -6 -c 1 -W 1 "$L1T_VIP6" >/dev/null 2>&1 || true
reachable() { l1t_client ip -6 neigh show "$L1T_VIP6" dev eth-client | grep -q REACHABLE; }
l1t_wait_for 5 reachable ||
  l1t_fail "NUD probe not answered: $(l1t_client ip -6 neigh show "$L1T_VIP6" dev eth-client)"
after=$(l1t_ip_stat "$L1T_VIP6" responses_sent)
[ "$after" -gt "$before" ] || l1t_fail "NUD probe answered by someone else?"
l1t_pass "unicast NUD probe answered: $(l1t_client ip -6 neigh show "$L1T_VIP6" dev eth-client)"

# Counters as the metrics endpoint shows them.
metrics=$(l1t_metrics) || l1t_fail "metrics endpoint unreachable"
echo "$metrics" | grep -q "metallb_layer2_requests_received{ip=\"$L1T_VIP4\"}" ||
  l1t_fail "no requests_received series for $L1T_VIP4"
echo "$metrics" | grep -q "metallb_layer2_responses_sent{ip=\"$L1T_VIP6\"}" ||
  l1t_fail "no responses_sent series for $L1T_VIP6"
l1t_pass "metrics: $(echo "$metrics" | grep -c '^metallb_layer2') layer2 series"

l1t_log "figure: speaker RSS $(awk '/^VmRSS/ { print $2 " " $3 }' "/proc/$L1T_SPEAKER_PID/status")"
l1t_stop_speaker || l1t_fail "speaker did not exit cleanly on SIGTERM"
l1t_log "PASS"
