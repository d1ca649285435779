#!/usr/bin/env bash
# A speaker killed (SIGKILL) in the middle of a gratuitous burst (issue 8, faults), then
# restarted. Three speakers on one LAN (failover_lib.sh). The VIP's owner is restarted so that it
# takes its VIP back and starts a burst (rounds at 0, 250, 500 ms, 1 s, 2 s); 300 ms after its
# "announcing" line, between two rounds, it is killed with SIGKILL (heartbeats stop, no leave).
#   - the next node in MetalLB's ranking takes over, and the client follows;
#   - the killed speaker is started again: it rejoins and takes its VIP back exactly once. Over
#     the 6 s after the restart, the log lines that change ownership of the VIP ("announcing" /
#     "no longer announcing") are counted on every node: one "announcing" on the restarted
#     owner, one "no longer announcing" on the node that held it, nothing else (no flapping).
# Usage: bash tests/integration/failover_kill_burst_test.sh BUILD_DIR  (root; exit 77 = skipped)
source "$(dirname "$0")/failover_lib.sh"
l1t_require jq arping ping curl

vip=${L1F_VIPS[0]}
mapfile -t rank < <(l1f_rank "$vip" "${L1F_NODES[@]}")
owner=${rank[0]} next=${rank[1]} third=${rank[2]}

l1f_setup
l1f_start_cluster
l1t_client ping -c 1 -W 1 "$vip" >/dev/null 2>&1 || true
l1f_wait_client_at "$vip" "$owner" 250 0.02 >/dev/null || l1f_fail "the client never reached $owner for $vip"

# lines LOG FROM REGEX: number of lines of LOG after line FROM matching REGEX
lines() { tail -n +"$(($2 + 1))" "$1" | grep -cE "$3" || true; }

# Restart the owner so that it starts a burst for its VIP, and kill it in the middle of it.
kill -TERM "${L1F_PID[$owner]}"
wait "${L1F_PID[$owner]}" 2>/dev/null || true
l1f_wait_client_at "$vip" "$next" 250 0.02 >/dev/null || l1f_fail "$next did not take over after a leave"
from=$(wc -l <"$(l1f_log_of "$owner")")
l1f_start "$owner"
for i in $(seq 250); do
  [ "$(lines "$(l1f_log_of "$owner")" "$from" "speaker: announcing $vip ")" -eq 0 ] || break
  sleep 0.01
done
[ "$(lines "$(l1f_log_of "$owner")" "$from" "speaker: announcing $vip ")" -eq 1 ] ||
  l1f_fail "the restarted $owner did not take $vip back"
sleep 0.3
garp_before=$(l1f_ctl "$owner" -o json stats | jq --arg ip "$vip" '[.ips[] | select(.ip == $ip) | .gratuitous_sent] | add // 0')
kill -KILL "${L1F_PID[$owner]}"
wait "${L1F_PID[$owner]}" 2>/dev/null || true
l1t_log "$owner killed mid-burst ($garp_before gratuitous frame(s) of its burst sent)"
[ "$garp_before" -ge 1 ] || l1f_fail "$owner had not started its burst"

moved=$(l1f_wait_client_at "$vip" "$next" 500 0.01) ||
  l1f_fail "$next did not take over from the killed $owner: client at $(l1f_neigh_mac "$vip")"
l1f_announces "$next" "$vip" || l1f_fail "$next does not announce $vip"
l1t_pass "$next took $vip over from the killed $owner; client at ${L1F_MAC[$next]}"

# Restart the killed speaker and count ownership changes for the VIP on every node.
declare -A from_line=()
for n in "${L1F_NODES[@]}"; do
  from_line[$n]=$(wc -l <"$(l1f_log_of "$n")")
done
l1f_start "$owner"
sleep 6
gained=$(lines "$(l1f_log_of "$owner")" "${from_line[$owner]}" "speaker: announcing $vip ")
lost_next=$(lines "$(l1f_log_of "$next")" "${from_line[$next]}" "no longer announcing $vip ")
again_next=$(lines "$(l1f_log_of "$next")" "${from_line[$next]}" "speaker: announcing $vip ")
lost_owner=$(lines "$(l1f_log_of "$owner")" "${from_line[$owner]}" "no longer announcing $vip ")
third_changes=$(lines "$(l1f_log_of "$third")" "${from_line[$third]}" "(speaker: announcing|no longer announcing) $vip ")
l1t_log "after the restart: $owner announcing x$gained, withdrawing x$lost_owner;" \
  "$next withdrawing x$lost_next, announcing x$again_next; $third x$third_changes"
[ "$gained" -eq 1 ] && [ "$lost_owner" -eq 0 ] && [ "$lost_next" -eq 1 ] && [ "$again_next" -eq 0 ] &&
  [ "$third_changes" -eq 0 ] || l1f_fail "ownership of $vip flapped after the restart"
l1f_announces "$owner" "$vip" || l1f_fail "the restarted $owner does not announce $vip"
if l1f_announces "$next" "$vip"; then l1f_fail "$next still announces $vip"; fi
l1t_client ping -c 1 -W 1 "$vip" >/dev/null 2>&1 || true
l1f_client_at "$vip" "$owner" || l1f_fail "client not back at $owner: $(l1f_neigh_mac "$vip")"
for n in "${L1F_NODES[@]}"; do
  for peer in "${L1F_NODES[@]}"; do
    [ "$peer" != "$n" ] || continue
    state=$(l1f_member_state "$n" "$peer")
    [ "$state" = alive ] || l1f_fail "$n sees $peer as $state after the rejoin"
  done
done
l1t_pass "the restarted $owner took $vip back once ($next released it once), no flapping; mesh all alive"
l1t_log "PASS"
