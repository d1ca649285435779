#!/usr/bin/env bash
# Graceful failover: SIGTERM makes the owner stop answering and send a leave, so the next node
# takes over at once. The heartbeat dead time is set to 5 s here (500 ms x 10): a takeover in
# well under that proves no detection delay was involved.
# Usage: bash tests/integration/failover_graceful_test.sh BUILD_DIR  (root; exit 77 = skipped)
source "$(dirname "$0")/failover_lib.sh"
l1t_require jq sha256sum ping

L1F_SPEAKER_FLAGS=(--heartbeat-interval 500 --heartbeat-multiplier 10)
l1f_setup
l1f_start_cluster

vip=${L1F_VIPS[1]}
mapfile -t rank < <(l1f_rank "$vip" "${L1F_NODES[@]}")
owner=${rank[0]} next=${rank[1]}
l1t_client ping -c 1 -W 1 "$vip" >/dev/null || l1f_fail "no ping reply from $vip"
l1f_client_at "$vip" "$owner" || l1f_fail "client not at $owner"

start=$(l1t_now)
kill -TERM "${L1F_PID[$owner]}"
moved=$(l1f_wait_client_at "$vip" "$next" 500 0.005) ||
  l1f_fail "client still at $(l1f_neigh_mac "$vip") after SIGTERM of $owner"
ms=$(l1t_elapsed_ms "$start" "$moved")
[ "$ms" -lt 2000 ] || l1f_fail "takeover took $ms ms: the leave was not acted on (dead time 5 s)"
l1t_pass "SIGTERM $owner: client moved to $next after $ms ms (dead time 5000 ms)"

rc=0
wait "${L1F_PID[$owner]}" || rc=$?
[ "$rc" -eq 0 ] || l1f_fail "$owner's speaker exited $rc after SIGTERM"
state=$(l1f_member_state "$next" "$owner")
[ "$state" = left ] || l1f_fail "$next sees $owner as '$state', want left"
l1t_pass "$owner exited 0; $next sees it left"
l1t_log "PASS"
