#!/usr/bin/env bash
# Partition and heal: the owner of a VIP is cut off the LAN (its bridge port stops forwarding, its
# link keeps carrier) while its speaker keeps running. The
# others declare it dead and the next node in the sha256 ranking takes the VIP over (the client
# follows). When the cable is back, the two sides hear each other again: the interim owner stops
# announcing within about one heartbeat interval, and the rightful owner announces again so the
# client comes back to it without any client-side action.
# Usage: bash tests/integration/failover_partition_test.sh BUILD_DIR  (root; exit 77 = skipped)
source "$(dirname "$0")/failover_lib.sh"
l1t_require jq sha256sum ping

l1f_setup
l1f_start_cluster

vip=${L1F_VIPS[3]}
mapfile -t rank < <(l1f_rank "$vip" "${L1F_NODES[@]}")
owner=${rank[0]} next=${rank[1]}
l1t_client ping -c 1 -W 1 "$vip" >/dev/null || l1f_fail "no ping reply from $vip"
l1f_client_at "$vip" "$owner" || l1f_fail "client not at $owner"

l1f_isolate "$owner"
l1t_wait_for 5 l1f_client_at "$vip" "$next" ||
  l1f_fail "client did not move to $next while $owner was cut off"
for i in $(seq 100); do
  [ "$(l1f_alive_peers "$owner")" != 0 ] || break
  sleep 0.05
done
[ "$(l1f_alive_peers "$owner")" = 0 ] || l1f_fail "isolated $owner still hears its peers"
l1f_announces "$owner" "$vip" || l1f_fail "isolated $owner stopped announcing $vip"
l1f_announces "$next" "$vip" || l1f_fail "$next does not announce $vip"
l1t_pass "partition: $owner (isolated) and $next both announce $vip; the client is at $next"

l1f_rejoin "$owner"
start=$(l1t_now)
stopped=""
for i in $(seq 300); do
  if ! l1f_announces "$next" "$vip"; then
    stopped=$(l1t_now)
    break
  fi
  sleep 0.005
done
[ -n "$stopped" ] || l1f_fail "$next still announces $vip 3 s after the partition healed"
ms=$(l1t_elapsed_ms "$start" "$stopped")
# One interval (100 ms) plus speakerctl polling, on a loaded machine.
[ "$ms" -lt 1000 ] || l1f_fail "$next stopped only $ms ms after the partition healed"
l1t_pass "healed: $next stopped announcing $vip after $ms ms (heartbeat interval 100 ms)"

l1t_wait_for 3 l1f_client_at "$vip" "$owner" ||
  l1f_fail "client stayed at $(l1f_neigh_mac "$vip"): $owner did not announce again after the heal"
l1t_pass "client back at $owner (${L1F_MAC[$owner]}) without any client-side action"
l1t_log "PASS"
