#!/usr/bin/env bash
# An interface flapped 100 times (issue 8, faults): the speaker's announcements follow every
# flap (withdrawn from the interface while it is down, announced again when it is up, then
# answered for by ARP), and its open file descriptors (/proc/PID/fd) and resident memory
# (VmRSS) do not grow: measured after 10 warm-up flaps (allocator pools, first socket reopen)
# and again after 100 more.
# Usage: bash tests/integration/speaker_flap_test.sh BUILD_DIR  (root; exit 77 = skipped)
source "$(dirname "$0")/lib.sh"
l1t_require arping jq

FLAPS=${L1NET_FLAPS:-100}
RSS_SLACK_KIB=${L1NET_FLAP_RSS_SLACK_KIB:-512}

l1t_topology
l1t_manifests "$L1T_TMP/m.yaml" "$L1T_VIP4"
l1t_start_speaker "$L1T_TMP/m.yaml"

ifaces_of_vip() { l1t_ctl -o json status | jq -r --arg ip "$L1T_VIP4" '[.announced[] | select(.ip == $ip) | .interfaces[]] | join(",")'; }
fds() { ls "/proc/$L1T_SPEAKER_PID/fd" | wc -l; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$L1T_SPEAKER_PID/status"; }
arp_ok() {
  l1t_client arping -c 1 -w 1 -I eth-client "$L1T_VIP4" 2>/dev/null |
    grep -qi "reply from $L1T_VIP4 \[$L1T_NODE_MAC\]"
}
wait_ifaces() { # wait_ifaces WANT: the VIP's announcing interfaces become WANT (5 s)
  local want=$1 i
  for i in $(seq 250); do
    [ "$(ifaces_of_vip)" != "$want" ] || return 0
    sleep 0.02
  done
  l1t_fail "after flap $2 the VIP is announced on '$(ifaces_of_vip)', want '$want'"
}
flap() { # flap N: one down/up cycle, following the speaker's view each way
  ip -n "$L1T_NS_NODE" link set eth-node down
  wait_ifaces "" "$1 (down)"
  ip -n "$L1T_NS_NODE" link set eth-node up
  wait_ifaces eth-node "$1 (up)"
}

l1t_wait_for 5 arp_ok || l1t_fail "the VIP is not answered before the flaps"
for i in $(seq 10); do flap "warm-up $i"; done
l1t_wait_for 5 arp_ok || l1t_fail "the VIP is not answered after the warm-up flaps"
sleep 1
fd0=$(fds) rss0=$(rss_kib)
announced0=$(grep -c "speaker: announcing $L1T_VIP4 " "$L1T_TMP/speaker.log" || true)
start=$(l1t_now)
for i in $(seq "$FLAPS"); do flap "$i"; done
took=$(l1t_elapsed_ms "$start" "$(l1t_now)")
l1t_wait_for 5 arp_ok || l1t_fail "the VIP is not answered after $FLAPS flaps"
sleep 1
fd1=$(fds) rss1=$(rss_kib)
announced1=$(grep -c "speaker: announcing $L1T_VIP4 " "$L1T_TMP/speaker.log" || true)
l1t_log "after $FLAPS flaps in ${took} ms: fds $fd0 -> $fd1, VmRSS $rss0 -> $rss1 KiB," \
  "'announcing' lines $announced0 -> $announced1"
[ $((announced1 - announced0)) -ge "$FLAPS" ] ||
  l1t_fail "only $((announced1 - announced0)) re-announcements for $FLAPS flaps"
[ "$fd1" -le "$fd0" ] || l1t_fail "file descriptors grew: $fd0 -> $fd1 ($(ls -l "/proc/$L1T_SPEAKER_PID/fd" | tail -n 5))"
[ "$rss1" -le $((rss0 + RSS_SLACK_KIB)) ] ||
  l1t_fail "VmRSS grew by $((rss1 - rss0)) KiB over $FLAPS flaps (allowed $RSS_SLACK_KIB KiB)"
kill -0 "$L1T_SPEAKER_PID" || l1t_fail "the speaker died"
l1t_pass "$FLAPS flaps followed (withdrawn on down, announced on up, ARP answered after);" \
  "fds $fd0 -> $fd1, VmRSS $rss0 -> $rss1 KiB"
l1t_log "PASS"
