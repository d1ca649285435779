#!/usr/bin/env bash
# Failover benchmark (run by failover_bench): three speakers and a Linux client on one bridge in
# network namespaces this run creates and deletes (tests/integration/failover_lib.sh). For each
# case the owner of one VIP is taken away RUNS times while the client pings the VIP every 5 ms:
#
#   crash    (default 100 ms x 5, tuned 20 ms x 3): the owner's cable is pulled (t0 = when
#            `ip link set down` returned) and its speaker is killed with SIGKILL at once: a node
#            that vanishes, no leave, heartbeats stop;
#   graceful (default timing): the VIP is removed from the owner's lo (so its kernel stops
#            answering pings), then the speaker gets SIGTERM at t0 (it sends a leave).
#
# and prints p50/p95/max of
#   (a) t0 -> first gratuitous ARP frame for the VIP from the new owner, seen by the client
#       (tcpdump on the client's interface, kernel timestamps);
#   (b) t0 -> first ping reply the client gets once the old owner can no longer answer.
# After each run the old owner is restored and takes its VIP back. Prints figures; asserts
# nothing about time. Usage: failover_bench.sh BUILD_DIR [RUNS]  (root; exit 77 = skipped)
source "$(dirname "$0")/../../tests/integration/failover_lib.sh"

RUNS=${2:-${L1NET_FAILOVER_RUNS:-20}}

if [ "$(id -u)" -ne 0 ]; then
  echo "failover_bench: skipped (needs root for network namespaces)"
  exit 77
fi
l1t_require jq sha256sum tcpdump ping

vip=${L1F_VIPS[0]}
mapfile -t rank < <(l1f_rank "$vip" "${L1F_NODES[@]}")
owner=${rank[0]} next=${rank[1]}

l1f_setup

now() { echo "$EPOCHREALTIME"; }

stop_all() {
  local n
  for n in "${L1F_NODES[@]}"; do
    if [ -n "${L1F_PID[$n]:-}" ]; then
      kill -TERM "${L1F_PID[$n]}" 2>/dev/null || true
      wait "${L1F_PID[$n]}" 2>/dev/null || true
      L1F_PID[$n]=""
    fi
  done
}

# Waits until the client reaches the VIP at the owner's MAC (the restored owner took it back).
wait_owner() {
  local i
  for i in $(seq 500); do
    l1t_client ping -c 1 -W 0.2 "$vip" >/dev/null 2>&1 || true
    if l1f_client_at "$vip" "$owner"; then
      return 0
    fi
    sleep 0.02
  done
  l1f_fail "the client never came back to $owner for $vip"
}

# one_run MODE -> appends "a b" (ms) to $L1T_TMP/samples
one_run() {
  local mode=$1 cap="$L1T_TMP/cap.txt" pings="$L1T_TMP/ping.txt" t0 t1 a b i cap_pid ping_pid
  : >"$cap"
  : >"$L1T_TMP/cap.err"
  l1t_client tcpdump -l -n -tt -e --immediate-mode -i eth-client \
    "arp and ether src ${L1F_MAC[$next]}" >"$cap" 2>"$L1T_TMP/cap.err" &
  cap_pid=$!
  for i in $(seq 200); do
    grep -q "listening on" "$L1T_TMP/cap.err" && break
    sleep 0.01
  done
  l1t_client ping -D -n -i 0.005 "$vip" >"$pings" 2>&1 &
  ping_pid=$!
  sleep 0.2
  if [ "$mode" = crash ]; then
    l1f_cut "$owner"
    t0=$EPOCHREALTIME
    kill -KILL "${L1F_PID[$owner]}"
    wait "${L1F_PID[$owner]}" 2>/dev/null || true
  else
    ip -n "$(l1f_ns "$owner")" addr del "$vip/32" dev lo
    t0=$EPOCHREALTIME
    kill -TERM "${L1F_PID[$owner]}"
  fi
  t1=$t0  # from here on the old owner cannot answer pings
  a="" b=""
  for i in $(seq 500); do
    [ -n "$a" ] || a=$(awk -v t="$t0" -v ip="$vip" '$1 > t && index($0, " " ip " ") { printf "%.1f", ($1 - t) * 1000; exit }' "$cap")
    [ -n "$b" ] || b=$(awk -v t0="$t0" -v t1="$t1" -F'[][]' '/bytes from/ && $2 > t1 { printf "%.1f", ($2 - t0) * 1000; exit }' "$pings")
    [ -z "$a" ] || [ -z "$b" ] || break
    sleep 0.01
  done
  kill "$ping_pid" "$cap_pid" 2>/dev/null || true
  wait "$ping_pid" "$cap_pid" 2>/dev/null || true
  wait "${L1F_PID[$owner]}" 2>/dev/null || true
  echo "${a:-NaN} ${b:-NaN}" >>"$L1T_TMP/samples"
  if [ -n "${L1NET_FAILOVER_RAW:-}" ]; then
    echo "    run: t0 $t0 a ${a:-NaN} b ${b:-NaN}"
  fi
  # Restore the old owner: cable, VIP, speaker; it ranks first again and takes the VIP back.
  if [ "$mode" = crash ]; then
    l1f_uncut "$owner"
  else
    ip -n "$(l1f_ns "$owner")" addr add "$vip/32" dev lo
  fi
  l1f_start "$owner"
  wait_owner
  sleep 0.3
}

# summary LABEL COLUMN: p50/p95/max (nearest rank) of one column of the samples
summary() {
  local label=$1 col=$2
  awk -v c="$col" '{ print $c }' "$L1T_TMP/samples" | grep -v NaN | sort -g | awk -v label="$label" '
    { v[NR] = $1 }
    END {
      if (NR == 0) { printf "  %-44s no samples\n", label; exit }
      p50 = v[int((NR * 50 + 99) / 100)]; p95 = v[int((NR * 95 + 99) / 100)]
      printf "  %-44s p50 %7.1f ms   p95 %7.1f ms   max %7.1f ms   (n=%d)\n", label, p50, p95, v[NR], NR
    }'
  local missing
  missing=$(awk -v c="$col" '$c == "NaN"' "$L1T_TMP/samples" | wc -l)
  [ "$missing" -eq 0 ] || printf '  %-44s %d run(s) without a sample within 5 s\n' "" "$missing"
}

run_case() {
  local title=$1 mode=$2
  shift 2
  L1F_SPEAKER_FLAGS=("$@")
  stop_all
  l1f_start_cluster
  wait_owner
  : >"$L1T_TMP/samples"
  local r
  for r in $(seq "$RUNS"); do
    one_run "$mode"
  done
  echo "$title"
  summary "(a) t0 -> first gratuitous ARP from new owner" 1
  summary "(b) t0 -> first client ping reply" 2
}

echo "failover_bench: VIP $vip, owner $owner -> $next, $RUNS runs per case, client ping every 5 ms"
start=$(now)
for c in ${L1NET_FAILOVER_CASES:-default tuned graceful}; do
  case $c in
    default)
      run_case "crash, default (--heartbeat-interval 100 --heartbeat-multiplier 5, dead after 500 ms):" \
        crash --heartbeat-interval 100 --heartbeat-multiplier 5
      ;;
    tuned)
      run_case "crash, tuned (--heartbeat-interval 20 --heartbeat-multiplier 3, dead after 60 ms):" \
        crash --heartbeat-interval 20 --heartbeat-multiplier 3
      ;;
    graceful)
      run_case "graceful (SIGTERM -> leave), default timing:" \
        graceful --heartbeat-interval 100 --heartbeat-multiplier 5
      ;;
  esac
done
stop_all
printf 'failover_bench: done in %.0f s\n' "$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')"
