#!/usr/bin/env bash
# Ownership with three speakers: the node answering ARP for each of the 10 VIPs (seen from the
# client with arping, identified by its MAC) is MetalLB's choice, sha256(node + "#" + ip)
# ascending, computed here with sha256sum, not with l1net's code. Exactly one node claims each
# VIP in `speakerctl status`, and `speakerctl members` shows every peer alive.
# Usage: bash tests/integration/failover_ranking_test.sh BUILD_DIR  (root; exit 77 = skipped)
source "$(dirname "$0")/failover_lib.sh"
l1t_require jq arping sha256sum

l1f_setup
l1f_start_cluster
l1t_pass "mesh settled: every node sees 2 live peers"

declare -A owned=()
for vip in "${L1F_VIPS[@]}"; do
  want=$(l1f_rank "$vip" "${L1F_NODES[@]}" | head -n 1)
  got=""
  for i in $(seq 30); do
    got=$(l1f_node_of_mac "$(l1f_arping_mac "$vip")")
    [ "$got" != "$want" ] || break
    sleep 0.1
  done
  [ "$got" = "$want" ] || l1f_fail "$vip: answered by '${got:-nobody}', sha256 ranking says $want"
  claims=0
  for n in "${L1F_NODES[@]}"; do
    if l1f_announces "$n" "$vip"; then
      claims=$((claims + 1))
    fi
  done
  [ "$claims" -eq 1 ] || l1f_fail "$vip is claimed by $claims nodes"
  owned[$want]=$((${owned[$want]:-0} + 1))
  l1t_log "$vip -> $want (${L1F_MAC[$want]})"
done
l1t_pass "all 10 VIPs answered by their sha256-ranked owner: a=${owned[node-a]:-0} b=${owned[node-b]:-0} c=${owned[node-c]:-0}"

members=$(l1f_ctl node-a -o json members)
[ "$(jq 'length' <<<"$members")" -eq 3 ] || l1f_fail "members: $members"
jq -e 'all(.[]; (.self or .state == "alive") and (.incarnation > 0))' <<<"$members" >/dev/null ||
  l1f_fail "members: $members"
jq -e 'all(.[] | select(.self | not); .rtt_ms != null and .last_heard_ms != null)' <<<"$members" >/dev/null ||
  l1f_fail "members without RTT or last heard: $members"
l1f_ctl node-a members
l1t_pass "speakerctl members: peers alive with last heard, RTT and incarnation"
l1t_log "PASS"
