#!/usr/bin/env bash
# Crash failover: the client pings a VIP continuously; `kill -9` of the owner's speaker moves the
# client's neighbour entry to the next node in the sha256 ranking (computed with sha256sum) and
# pings keep being answered, without any client-side action. Then the dead node's cable is
# pulled, to prove the replies come from the new owner. Every VIP of the dead node moves.
# Usage: bash tests/integration/failover_kill_test.sh BUILD_DIR  (root; exit 77 = skipped)
source "$(dirname "$0")/failover_lib.sh"
l1t_require jq arping sha256sum ping

l1f_setup
l1f_start_cluster

vip=${L1F_VIPS[0]}
mapfile -t rank < <(l1f_rank "$vip" "${L1F_NODES[@]}")
owner=${rank[0]} next=${rank[1]}
l1t_client ping -c 1 -W 1 "$vip" >/dev/null || l1f_fail "no ping reply from $vip"
l1f_client_at "$vip" "$owner" ||
  l1f_fail "client resolved $vip to $(l1f_neigh_mac "$vip"), want $owner ${L1F_MAC[$owner]}"
l1t_pass "$vip: client at $owner (${L1F_MAC[$owner]}); next in rank: $next"

l1t_client ping -D -n -i 0.02 "$vip" >"$L1T_TMP/ping.txt" 2>&1 &
L1T_PIDS+=($!)
sleep 0.3
start=$(l1t_now)
kill -9 "${L1F_PID[$owner]}"
wait "${L1F_PID[$owner]}" 2>/dev/null || true
moved=$(l1f_wait_client_at "$vip" "$next" 300 0.01) ||
  l1f_fail "client still at $(l1f_neigh_mac "$vip") 3 s after kill -9 of $owner"
l1t_pass "kill -9 $owner: client's entry moved to $next after $(l1t_elapsed_ms "$start" "$moved") ms"

l1f_cut "$owner"
cut=$(date +%s.%N)
ok=""
for i in $(seq 100); do
  if awk -v t="$cut" -F'[][]' '/bytes from/ && $2 > t { f = 1 } END { exit !f }' "$L1T_TMP/ping.txt"; then
    ok=1
    break
  fi
  sleep 0.02
done
[ -n "$ok" ] || l1f_fail "no ping reply after $owner was unplugged: $(tail -n 5 "$L1T_TMP/ping.txt")"
l1t_pass "pings answered by $next with $owner unplugged"

mapfile -t survivors < <(printf '%s\n' "${L1F_NODES[@]}" | grep -vx "$owner")
for v in "${L1F_VIPS[@]}"; do
  want=$(l1f_rank "$v" "${survivors[@]}" | head -n 1)
  got=$(l1f_node_of_mac "$(l1f_arping_mac "$v")")
  [ "$got" = "$want" ] || l1f_fail "$v answered by '${got:-nobody}', want $want"
done
l1t_pass "all 10 VIPs answered by the sha256 winner among ${survivors[*]}"

state=$(l1f_member_state "$next" "$owner")
[ "$state" = dead ] || l1f_fail "$next sees $owner as '$state', want dead"
l1t_pass "$next sees $owner dead"
l1t_log "PASS"
