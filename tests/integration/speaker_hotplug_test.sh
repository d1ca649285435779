#!/usr/bin/env bash
# Hot-plug: the L2Advertisement restricts the VIP to eth-hot, which does not exist at start
# (reported as announceFailed). Adding it must start announcing within 1 s (first gratuitous frame
# on the wire); link down stops answering on it; link up announces again; deletion is noticed.
# Prints the measured latencies.
# Usage: bash tests/integration/speaker_hotplug_test.sh BUILD_DIR  (root; exit 77 = skipped)
source "$(dirname "$0")/lib.sh"
l1t_require arping tcpdump jq

HOT_MAC="02:00:5e:10:0b:01"
l1t_topology
L1T_AD_INTERFACES="eth-hot" l1t_manifests "$L1T_TMP/manifests.yaml" "$L1T_VIP4"
l1t_start_speaker "$L1T_TMP/manifests.yaml"

why=$(l1t_ctl -o json explain "$L1T_VIP4")
[ "$(echo "$why" | jq -r .reason)" = "no_usable_interface" ] || l1t_fail "explain: $why"
echo "$why" | jq -e '.announce_failed[] | select(.interface == "eth-hot" and .reason == "does not exist")' \
  >/dev/null || l1t_fail "announceFailed for eth-hot not reported: $why"
l1t_metrics | grep -q "l1net_speaker_announce_failed{interface=\"eth-hot\",ip=\"$L1T_VIP4\"} 1" ||
  l1t_fail "announce_failed metric missing"
l1t_pass "before hot-plug: $(echo "$why" | jq -r .message)"

# Every ARP frame on the client's side, with epoch timestamps.
l1t_client tcpdump -l -tt -n -e -i eth-client arp >"$L1T_TMP/arp.txt" 2>/dev/null &
L1T_PIDS+=($!)
sleep 0.5

# first_frame_after T0: epoch of the first ARP frame from HOT_MAC after T0 ("" if none).
first_frame_after() {
  awk -v t0="$1" -v mac="$HOT_MAC" '$1 > t0 && $2 == mac { print $1; exit }' "$L1T_TMP/arp.txt"
}
# measure LABEL T0: waits up to 1 s for a gratuitous frame from eth-hot and prints the latency.
measure() {
  local label=$1 t0=$2 first=""
  for _ in $(seq 100); do
    first=$(first_frame_after "$t0")
    [ -n "$first" ] && break
    sleep 0.01
  done
  [ -n "$first" ] || l1t_fail "$label: no gratuitous frame from eth-hot within 1 s"
  local ms
  ms=$(l1t_elapsed_ms "$t0" "$first")
  [ "$ms" -le 1000 ] || l1t_fail "$label: first gratuitous frame after $ms ms"
  l1t_pass "$label: first gratuitous frame on the wire ${ms} ms after the link event"
}

# Hot-plug: the lan end is ready first, so eth-hot gets carrier the moment it goes up.
ip -n "$L1T_NS_LAN" link add p-hot type veth peer name eth-hot netns "$L1T_NS_NODE"
l1t_node ip link set eth-hot address "$HOT_MAC"
ip -n "$L1T_NS_LAN" link set p-hot master br0 up
t0=$(l1t_now)
l1t_node ip link set eth-hot up
measure "hot-plug (link up)" "$t0"

out=$(l1t_client arping -c 2 -w 3 -I eth-client "$L1T_VIP4" 2>&1) || l1t_fail "no ARP reply after hot-plug: $out"
echo "$out" | grep -qi "\[$HOT_MAC\]" || l1t_fail "replies do not carry eth-hot's MAC: $out"
if echo "$out" | grep -qi "\[$L1T_NODE_MAC\]"; then
  l1t_fail "eth-node answered although the L2Advertisement names eth-hot only: $out"
fi
l1t_pass "arping answered by eth-hot ($HOT_MAC) only"

# Link down: answering stops at once.
t0=$(l1t_now)
l1t_node ip link set eth-hot down
stopped() {
  [ "$(l1t_ctl -o json status | jq '[.announced[].interfaces[]] | length')" -eq 0 ]
}
l1t_wait_for 5 stopped || l1t_fail "still announcing on eth-hot after link down"
reacted=$(l1t_log_time "$t0" "interface eth-hot is now down") || l1t_fail "link down not logged"
ms=$(l1t_elapsed_ms "$t0" "$reacted")
[ "$ms" -le 1000 ] || l1t_fail "link down handled after $ms ms"
l1t_pass "link down: socket closed and answers stopped ${ms} ms after the event"
ip -n "$L1T_NS_LAN" link set p-hot nomaster  # keep the bridge from forwarding to a dead port
if out=$(l1t_client arping -c 2 -w 2 -I eth-client "$L1T_VIP4" 2>&1); then
  l1t_fail "reply while eth-hot is down: $out"
fi
l1t_pass "no reply while eth-hot is down"
ip -n "$L1T_NS_LAN" link set p-hot master br0

# Link up again: a fresh burst.
t0=$(l1t_now)
l1t_node ip link set eth-hot up
measure "link back up" "$t0"

# MAC change while announcing: a fresh burst from the new MAC.
HOT_MAC="02:00:5e:10:0b:02"
t0=$(l1t_now)
l1t_node ip link set eth-hot address "$HOT_MAC"
measure "MAC change" "$t0"

# Removal.
t0=$(l1t_now)
ip -n "$L1T_NS_LAN" link del p-hot
gone() { ! l1t_ctl -o json status | jq -e '.interfaces[] | select(.name == "eth-hot")' >/dev/null; }
l1t_wait_for 5 gone || l1t_fail "eth-hot still listed after deletion"
l1t_ctl -o json explain "$L1T_VIP4" | jq -e '.reason == "no_usable_interface"' >/dev/null ||
  l1t_fail "explain after removal: $(l1t_ctl -o json explain "$L1T_VIP4")"
reacted=$(l1t_log_time "$t0" "interface eth-hot disappeared") || l1t_fail "removal not logged"
ms=$(l1t_elapsed_ms "$t0" "$reacted")
[ "$ms" -le 1000 ] || l1t_fail "link removal handled after $ms ms"
l1t_pass "link removal handled ${ms} ms after the event"

grep -E 'eth-hot' "$L1T_TMP/speaker.log" | grep -E 'appeared|announcing|now|disappeared' |
  sed 's/^/    /' || true
l1t_stop_speaker || l1t_fail "speaker did not exit cleanly"
l1t_log "PASS"
