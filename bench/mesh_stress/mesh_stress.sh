#!/usr/bin/env bash
# No false failover under stress (run by mesh_stress and by integration.mesh_stress_test): three
# speakers at default settings (heartbeat 100 ms x 5) in network namespaces this run creates and
# deletes (tests/integration/failover_lib.sh, mesh on its own bridge), with
#   - both cores saturated: stress-ng --cpu $(nproc) for the whole run;
#   - 5 % loss and 20 ms +- 20 ms delay on every mesh datagram a node sends. This kernel has no
#     sch_netem, so instead of `tc qdisc ... netem` an iptables NFQUEUE rule on each node's mesh
#     port hands the datagrams to impair.py, which drops or delays each one (per packet, so
#     reordering happens as with netem's jitter). Its counters are printed to prove it worked.
# for DURATION seconds (default 600), and counts, after the cluster has settled:
#   ownership changes  "announcing X" / "no longer announcing X" lines in any speaker's log
#   false deaths       "mesh peer P: ... -> dead" lines (nobody died)
#   suspicions         "-> suspect" lines (informational: a suspect peer keeps its IPs)
# Prints BENCH lines and a summary; with L1NET_MESH_STRESS_CHECK=1 it exits 1 when any ownership
# change or false death happened (the 60 s CI test). Nothing about time is asserted.
# Usage: mesh_stress.sh BUILD_DIR [DURATION_SECONDS]  (root; exit 77 = skipped)
L1F_MESH_NET=1
source "$(dirname "$0")/../../tests/integration/failover_lib.sh"

DURATION=${2:-${L1NET_MESH_STRESS_SECONDS:-600}}
LOSS=${L1NET_MESH_STRESS_LOSS:-0.05}
DELAY_MS=${L1NET_MESH_STRESS_DELAY_MS:-20}
JITTER_MS=${L1NET_MESH_STRESS_JITTER_MS:-20}
IMPAIR="$(cd "$(dirname "$0")" && pwd)/impair.py"

if [ "$(id -u)" -ne 0 ]; then
  echo "mesh_stress: skipped (needs root for network namespaces)"
  exit 77
fi
l1t_require jq stress-ng iptables python3

l1f_setup
declare -A IMPAIR_PID=()
for n in "${L1F_NODES[@]}"; do
  ns=$(l1f_ns "$n")
  ip netns exec "$ns" iptables -A OUTPUT -o eth-mesh -p udp --dport 7947 \
    -j NFQUEUE --queue-num 0 --queue-bypass
  ip netns exec "$ns" python3 "$IMPAIR" 0 "$LOSS" "$DELAY_MS" "$JITTER_MS" "$L1T_TMP/impair-$n" \
    2>>"$L1T_TMP/impair-$n.err" &
  IMPAIR_PID[$n]=$!
  L1T_PIDS+=("$!")
done
sleep 0.5
for n in "${L1F_NODES[@]}"; do
  kill -0 "${IMPAIR_PID[$n]}" 2>/dev/null || l1f_fail "impair.py for $n died: $(cat "$L1T_TMP/impair-$n.err")"
done

l1f_start_cluster
# Settled: every VIP announced by exactly one speaker.
owners_ok() {
  local vip n c
  for vip in "${L1F_VIPS[@]}"; do
    c=0
    for n in "${L1F_NODES[@]}"; do
      if l1f_announces "$n" "$vip"; then c=$((c + 1)); fi
    done
    [ "$c" -eq 1 ] || return 1
  done
}
for i in $(seq 100); do
  owners_ok && break
  sleep 0.1
done
owners_ok || l1f_fail "the cluster did not settle to one owner per VIP"
sleep 1
declare -A BASE=()
for n in "${L1F_NODES[@]}"; do
  BASE[$n]=$(wc -l <"$(l1f_log_of "$n")")
done
snapshot() {
  local n
  for n in "${L1F_NODES[@]}"; do
    l1f_ctl "$n" -o json status | jq -r '[.announced[].ip] | sort | join(",")'
  done
}
before=$(snapshot)

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
stress-ng --cpu "$(nproc)" --timeout "${DURATION}s" --quiet &
stress_pid=$!
L1T_PIDS+=("$stress_pid")
l1t_log "mesh_stress: ${DURATION} s, 3 speakers at default heartbeat (100 ms x 5),"\
" stress-ng --cpu $(nproc), loss $LOSS, delay ${DELAY_MS}+-${JITTER_MS} ms per mesh datagram"
start=$EPOCHREALTIME
loads=()
while kill -0 "$stress_pid" 2>/dev/null; do
  sleep 10
  loads+=("$(cut -d' ' -f1 /proc/loadavg)")
  for n in "${L1F_NODES[@]}"; do
    kill -0 "${L1F_PID[$n]}" 2>/dev/null || l1f_fail "$n's speaker died during the run"
    kill -0 "${IMPAIR_PID[$n]}" 2>/dev/null || l1f_fail "impair.py for $n died during the run"
  done
done
wait "$stress_pid" 2>/dev/null || true
elapsed=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
after=$(snapshot)

count() {  # count REGEX: matching log lines after the baseline, summed over the nodes
  local n total=0 c
  for n in "${L1F_NODES[@]}"; do
    c=$(tail -n +"$((BASE[$n] + 1))" "$(l1f_log_of "$n")" | grep -cE "$1" || true)
    total=$((total + c))
  done
  echo "$total"
}
changes=$(count '(speaker: announcing |no longer announcing )')
deaths=$(count 'mesh peer .* -> dead')
suspects=$(count 'mesh peer .* -> suspect')

echo "mesh_stress: ${elapsed} s under stress (load average before: $load_before;" \
  "1-min load every 10 s: ${loads[*]})"
for n in "${L1F_NODES[@]}"; do
  echo "  $n impairment: $(cat "$L1T_TMP/impair-$n")"
done
echo "  ownership changes: $changes   false deaths: $deaths   suspicions: $suspects"
if [ "$before" != "$after" ]; then
  echo "  announced sets differ: before [$(echo "$before" | tr '\n' ' ')] after [$(echo "$after" | tr '\n' ' ')]"
fi
if [ "$changes" -gt 0 ] || [ "$deaths" -gt 0 ]; then
  for n in "${L1F_NODES[@]}"; do
    tail -n +"$((BASE[$n] + 1))" "$(l1f_log_of "$n")" |
      grep -E '(speaker: announcing |no longer announcing |-> dead|-> alive)' | sed "s/^/  $n: /" | head -n 20
  done
fi
echo "BENCH name=mesh_stress_ownership_changes value=$changes unit=count"
echo "BENCH name=mesh_stress_false_deaths value=$deaths unit=count"
echo "BENCH name=mesh_stress_suspicions value=$suspects unit=count"
echo "BENCH name=mesh_stress_duration value=$elapsed unit=s"
if [ -n "${L1NET_MESH_STRESS_CHECK:-}" ] && { [ "$changes" -gt 0 ] || [ "$deaths" -gt 0 ]; }; then
  echo "FAIL: $changes ownership change(s), $deaths false death(s) under stress" >&2
  exit 1
fi
exit 0
