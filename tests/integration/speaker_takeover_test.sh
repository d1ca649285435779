#!/usr/bin/env bash
# Takeover: the client caches the VIPs at a previous owner's MAC. When this speaker starts
# announcing, the client's entries switch to the speaker's MAC without the client sending
# anything (gratuitous ARP Reply with target MAC = our MAC; unsolicited NA with Override=1),
# also when the entry was updated less than 1 s before (Linux's locktime).
# Usage: bash tests/integration/speaker_takeover_test.sh BUILD_DIR  (root; exit 77 = skipped)
source "$(dirname "$0")/lib.sh"
l1t_require tcpdump jq

OLD_MAC="02:00:00:00:00:99"
l1t_topology
# Start with the pool and the advertisement only: nothing is announced yet.
l1t_manifests "$L1T_TMP/manifests.yaml"
l1t_start_speaker "$L1T_TMP/manifests.yaml"
[ "$(l1t_ctl -o json status | jq '.announced | length')" -eq 0 ] || l1t_fail "announcing too early"

seed() {
  l1t_client ip neigh replace "$L1T_VIP4" lladdr "$OLD_MAC" dev eth-client nud reachable
  l1t_client ip -6 neigh replace "$L1T_VIP6" lladdr "$OLD_MAC" dev eth-client nud reachable
}
both_switched() {
  [ "$(l1t_neigh_mac "$L1T_VIP4")" = "$L1T_NODE_MAC" ] &&
    [ "$(l1t_neigh_mac "$L1T_VIP6")" = "$L1T_NODE_MAC" ]
}
# wait_switch LIMIT_MS START -> prints the elapsed ms, fails past the limit
wait_switch() {
  local limit=$1 start=$2 now
  while :; do
    now=$(l1t_now)
    if both_switched; then
      l1t_elapsed_ms "$start" "$now"
      return 0
    fi
    [ "$(l1t_elapsed_ms "$start" "$now")" -lt "$limit" ] || return 1
    sleep 0.01
  done
}

# Watch everything the client sends that could resolve the VIPs (ARP, NS).
l1t_client tcpdump -l -n -i eth-client -Q out 'arp or (icmp6 and ip6[40] == 135)' \
  >"$L1T_TMP/client-out.txt" 2>/dev/null &
L1T_PIDS+=($!)
sleep 0.5

# 1. Gain through a manifest edit (the controller's state file), right after the entry was set.
seed
start=$(l1t_now)
l1t_manifests "$L1T_TMP/manifests.yaml" "$L1T_VIP4" "$L1T_VIP6"
ms=$(wait_switch 1500 "$start") ||
  l1t_fail "client kept the old MAC: v4 $(l1t_neigh_mac "$L1T_VIP4"), v6 $(l1t_neigh_mac "$L1T_VIP6")"
l1t_pass "takeover on gain: client switched to $L1T_NODE_MAC ${ms} ms after the manifest edit (inotify debounce 100 ms included)"

# 2. Within locktime: re-seed and announce again at once (speakerctl garp = one round now).
sleep 2.2  # past the burst (0, 0.25, 0.5, 1, 2 s): only the garp round can move the entry
# The round must reach the client less than 1 s after the seed, or it proves nothing: on a
# machine too loaded to manage that, try again (3 attempts).
for attempt in 1 2 3; do
  seed
  seeded=$(l1t_now)
  l1t_ctl garp "$L1T_VIP4" >/dev/null || l1t_fail "garp $L1T_VIP4 failed"
  l1t_ctl garp "$L1T_VIP6" >/dev/null || l1t_fail "garp $L1T_VIP6 failed"
  ms=$(wait_switch 1000 "$seeded") ||
    l1t_fail "entry updated <1 s earlier was not overridden: v4 $(l1t_neigh_mac "$L1T_VIP4"), v6 $(l1t_neigh_mac "$L1T_VIP6")"
  [ "$ms" -lt 900 ] && break
  l1t_log "switched only ${ms} ms after the seed (machine busy?): inconclusive, again"
  [ "$attempt" -lt 3 ] || l1t_fail "could not announce within locktime of the seed"
  sleep 2.2
done
l1t_pass "takeover within locktime: entry set ${ms} ms earlier was replaced (speakerctl garp)"

sleep 0.3
sent=$(grep -cE 'ARP|neighbor solicitation' "$L1T_TMP/client-out.txt" || true)
[ "$sent" -eq 0 ] || l1t_fail "the client sent $sent resolution frames: $(cat "$L1T_TMP/client-out.txt")"
l1t_pass "the client sent no ARP/NS meanwhile"

gratuitous=$(l1t_ip_stat "$L1T_VIP4" gratuitous_sent)
[ "$gratuitous" -ge 4 ] || l1t_fail "gratuitous_sent for $L1T_VIP4 is $gratuitous"
l1t_pass "gratuitous_sent{ip=$L1T_VIP4} = $gratuitous"

l1t_stop_speaker || l1t_fail "speaker did not exit cleanly"
l1t_log "PASS"
