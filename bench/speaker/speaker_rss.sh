#!/usr/bin/env bash
# speaker_rss: memory and start-up of the speaker at 1, 100, 1,000 and 10,000 VIPs (one service
# each), with 3 peers (Node objects whose speakers do not run: the mesh waits one dead time,
# 500 ms, before it settles) and without peers. Per count: VmRSS and VmHWM once every VIP is
# announced and the gratuitous burst is over, and, from a C client probing every 1 ms, the time
# from the speaker's exec (not counting `ip netns exec`) to the first answer for the first VIP and
# for the last VIP of the manifest; for the first VIP during the initial announcement rounds, the
# largest gap between answers (client-side, includes the client's own scheduling) and the longest
# a request waited for its answer (kernel timestamps of request and reply: the deaf time a
# client sees), with the count of waits over 5 ms.
# L1NET_BENCH_SMAPS=PREFIX saves each row's /proc/PID/smaps as PREFIX.<VIPs>.<peers>;
# L1NET_BENCH_LATE=1 lists every wait over 5 ms (first VIP and control) and when its request left.
# Usage: speaker_rss.sh BUILD_DIR [COUNTS...]   (root; exit 77 = skipped)
source "$(dirname "$0")/bench_lib.sh" "$1"
shift
COUNTS=("$@")
if [ ${#COUNTS[@]} -eq 0 ] || [ "${COUNTS[0]}" = all ]; then COUNTS=(1 100 1000 10000); fi
b_require python3
l1t_topology
FIRST=198.51.100.200
LAST=198.51.100.201
echo "speaker_rss: load average $(cut -d' ' -f1-3 /proc/loadavg)"
# scaled VALUE DIVISOR FORMAT: VALUE / DIVISOR printed with FORMAT (ns to ms, KiB to MiB).
scaled() { awk -v v="$1" -v d="$2" -v f="$3" 'BEGIN { printf f, v / d }'; }
# since_start NS: ms from the speaker's exec to epoch NS, or "none" for 0 (no answer).
since_start() { [ "$1" -gt 0 ] && scaled "$(($1 - B_START))" 1e6 %.1f || echo none; }
# The machine's floor first: a thread that only sleeps 1 ms at a time, SCHED_FIFO 10 on the
# speaker's CPU, for 20 s. No responder can answer sooner than it wakes.
read -r floor_max floor_over floor_n < <(chrt -f 10 taskset -c 1 "$B_WAKEFLOOR" 20)
floor_ms=$(scaled "$floor_max" 1e6 %.2f)
echo "  wake-up floor (sleep 1 ms, SCHED_FIFO 10, CPU 1, 20 s): latest wake-up $floor_ms ms late, $floor_over of $floor_n over 5 ms"
bench speaker_rss_wakeup_floor_max_late "$floor_ms" ms
bench speaker_rss_wakeup_floor_over_5ms "$floor_over" count
# Control, side by side with every row: a minimal C responder (one blocking recvfrom per frame,
# no other work) on the speaker's CPU, at the speaker's responder priority (SCHED_FIFO 10),
# answers CONTROL, probed the same way in the same 20 s by a client on the first VIP's client's
# CPU (a request is bridged in that CPU's softirq). What it shows is what this machine costs any
# user-space responder.
CONTROL=198.51.100.202
printf '  %-6s %-6s %-9s %-9s %-13s %-13s %-11s %-12s %-10s %s\n' VIPs peers RSS_MiB HWM_MiB \
  first_ans_ms last_ans_ms max_gap_ms max_wait_ms 'waits>5ms' 'control:max_wait_ms,waits>5ms'
for peers in 3 0; do
  for n in "${COUNTS[@]}"; do
    b_manifests "$L1T_TMP/m.yaml" "$n" "$peers"
    flags=()
    names=(node-b node-c node-d)
    for p in $(seq 0 $((peers - 1))); do flags+=(--mesh-peer "${names[$p]}=198.51.100.$((20 + p))"); done
    l1t_node timeout 21 chrt -f 10 taskset -c 1 "$B_MINRESP" eth-node "$CONTROL" &
    L1T_PIDS+=("$!")
    # Probes start first: they measure from exec to the first reply (kernel receive time).
    ARPCLIENT_LATE=1 l1t_client taskset -c 0 "$B_CLIENT" eth-client "$B_CLIENT_IP" probe "$CONTROL" 1000 20 \
      >"$L1T_TMP/ctl" 2>"$L1T_TMP/ctl.late" &
    pc=$!
    ARPCLIENT_LATE=1 l1t_client taskset -c 0 "$B_CLIENT" eth-client "$B_CLIENT_IP" probe "$FIRST" 1000 20 \
      >"$L1T_TMP/first" 2>"$L1T_TMP/first.late" &
    pf=$!
    target=$LAST
    [ "$n" -gt 1 ] || target=$FIRST
    l1t_client "$B_CLIENT" eth-client "$B_CLIENT_IP" probe "$target" 1000 20 >"$L1T_TMP/last" &
    pl=$!
    sleep 0.2
    b_start_speaker "$L1T_TMP/m.yaml" 1 "${flags[@]}"
    wait "$pf" "$pl" "$pc"
    B_START=$(b_exec_ns)
    sleep 2  # burst over (the probes ran 20 s)
    rss=$(b_status "$L1T_SPEAKER_PID" VmRSS) hwm=$(b_status "$L1T_SPEAKER_PID" VmHWM)
    if [ -n "${L1NET_BENCH_SMAPS:-}" ]; then cp "/proc/$L1T_SPEAKER_PID/smaps" "$L1NET_BENCH_SMAPS.$n.$peers"; fi
    read -r f_ns f_gap _ f_wait f_over _ <"$L1T_TMP/first"
    read -r l_ns _ _ <"$L1T_TMP/last"
    read -r _ _ _ c_wait c_over _ <"$L1T_TMP/ctl"
    c_waitm=$(scaled "$c_wait" 1e6 %.2f)
    if [ -n "${L1NET_BENCH_LATE:-}" ]; then  # each wait over 5 ms: when, after exec
      for who in first ctl; do
        awk -v b="$B_START" -v w="$who" '$1 == "late" { printf "    late (%s): request at %.1f ms waited %.2f ms\n", w == "ctl" ? "control" : "speaker", ($2 - b) / 1e6, $3 / 1e6 }' \
          "$L1T_TMP/$who.late"
      done
    fi
    fa=$(since_start "$f_ns") la=$(since_start "$l_ns")
    gap=$(scaled "$f_gap" 1e6 %.1f) wait=$(scaled "$f_wait" 1e6 %.2f)
    rssm=$(scaled "$rss" 1024 %.1f) hwmm=$(scaled "$hwm" 1024 %.1f)
    printf '  %-6s %-6s %-9s %-9s %-13s %-13s %-11s %-12s %-10s %s\n' "$n" "$peers" "$rssm" "$hwmm" \
      "$fa" "$la" "$gap" "$wait" "$f_over" "$c_waitm,$c_over"
    bench "speaker_rss_${n}_vips_${peers}_peers" "$rssm" MiB
    bench "speaker_hwm_${n}_vips_${peers}_peers" "$hwmm" MiB
    bench "speaker_first_answer_${n}_vips_${peers}_peers" "$fa" ms
    bench "speaker_last_answer_${n}_vips_${peers}_peers" "$la" ms
    bench "speaker_max_answer_gap_${n}_vips_${peers}_peers" "$gap" ms
    bench "speaker_max_answer_wait_${n}_vips_${peers}_peers" "$wait" ms
    bench "speaker_answer_waits_over_5ms_${n}_vips_${peers}_peers" "$f_over" count
    bench "control_minimal_max_answer_wait_${n}_vips_${peers}_peers" "$c_waitm" ms
    bench "control_minimal_answer_waits_over_5ms_${n}_vips_${peers}_peers" "$c_over" count
    l1t_stop_speaker || true
  done
done
