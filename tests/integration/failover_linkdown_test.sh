#!/usr/bin/env bash
# Link health: the mesh runs on a separate network (L1F_MESH_NET), the VIPs on the LAN. When the
# owner's only announcing interface goes down it stops announcing and tells its peers it is not
# eligible; the next node takes over at once (the dead time is 5 s here, so a takeover well
# under that was told, not detected). When the link is back the owner announces again.
# Usage: bash tests/integration/failover_linkdown_test.sh BUILD_DIR  (root; exit 77 = skipped)
L1F_MESH_NET=1
source "$(dirname "$0")/failover_lib.sh"
l1t_require jq sha256sum ping

L1F_SPEAKER_FLAGS=(--heartbeat-interval 500 --heartbeat-multiplier 10)
l1f_setup
l1f_start_cluster

vip=${L1F_VIPS[4]}
mapfile -t rank < <(l1f_rank "$vip" "${L1F_NODES[@]}")
owner=${rank[0]} next=${rank[1]}
l1t_client ping -c 1 -W 1 "$vip" >/dev/null || l1f_fail "no ping reply from $vip"
l1f_client_at "$vip" "$owner" || l1f_fail "client not at $owner"

start=$(l1t_now)
ip -n "$(l1f_ns "$owner")" link set eth-node down
moved=$(l1f_wait_client_at "$vip" "$next" 300 0.01) ||
  l1f_fail "client still at $(l1f_neigh_mac "$vip") 3 s after $owner's link went down"
ms=$(l1t_elapsed_ms "$start" "$moved")
[ "$ms" -lt 2000 ] || l1f_fail "takeover took $ms ms: $owner did not tell its peers (dead time 5 s)"
l1t_pass "$owner's LAN link down: client moved to $next after $ms ms (dead time 5000 ms)"
row=$(l1f_ctl "$next" -o json members | jq -c --arg n "$owner" '.[] | select(.name == $n)')
jq -e '.state == "alive" and (.eligible | not) and (.candidate | not)' <<<"$row" >/dev/null ||
  l1f_fail "$next sees $owner as $row, want alive and not eligible"
l1t_pass "$next sees $owner alive but not eligible"

ip -n "$(l1f_ns "$owner")" link set eth-node up
l1t_wait_for 5 l1f_client_at "$vip" "$owner" ||
  l1f_fail "client stayed at $(l1f_neigh_mac "$vip") after $owner's link came back"
l1t_pass "link back: client returned to $owner"
l1t_log "PASS"
