#!/usr/bin/env bash
# arp_latency: ARP reply latency from a client namespace (C client, l1net-arpclient latency) to a
# speaker-owned VIP and to the node kernel's own address, interleaved in the same run, then the
# same against a minimal C AF_PACKET responder (l1net-minresponder) on the node, which pays the
# same wake-up a user-space responder pays. Speaker and responder pinned to CPU 1, client CPU 0.
# Usage: arp_latency.sh BUILD_DIR [ROUNDS]   (root; exit 77 = skipped)
source "$(dirname "$0")/bench_lib.sh" "$1"
ROUNDS=${2:-3000}
b_require
l1t_topology
VIP=198.51.100.200
MINVIP=198.51.100.202
l1t_manifests "$L1T_TMP/m.yaml" "$VIP"
b_start_speaker "$L1T_TMP/m.yaml" 1
b_wait_announced "$VIP"
sleep 2.5  # past the gratuitous burst
l1t_client taskset -c 0 "$B_CLIENT" eth-client "$B_CLIENT_IP" latency "$ROUNDS" "$VIP" "$B_NODE_IP" \
  >"$L1T_TMP/spk.txt"
l1t_node chrt -f 10 taskset -c 1 "$B_MINRESP" eth-node "$MINVIP" &
L1T_PIDS+=($!)
sleep 0.3
l1t_client taskset -c 0 "$B_CLIENT" eth-client "$B_CLIENT_IP" latency "$ROUNDS" "$MINVIP" "$B_NODE_IP" \
  >"$L1T_TMP/min.txt"
field() { grep "^$1 " "$2" | tr ' ' '\n' | grep "^$3=" | cut -d= -f2; }
s_med=$(field A "$L1T_TMP/spk.txt" median_us) s_p99=$(field A "$L1T_TMP/spk.txt" p99_us)
k_med=$(field B "$L1T_TMP/spk.txt" median_us) k_p99=$(field B "$L1T_TMP/spk.txt" p99_us)
m_med=$(field A "$L1T_TMP/min.txt" median_us) m_p99=$(field A "$L1T_TMP/min.txt" p99_us)
k2_med=$(field B "$L1T_TMP/min.txt" median_us)
ratio=$(awk -v a="$s_med" -v b="$k_med" 'BEGIN { printf "%.2f", a / b }')
mratio=$(awk -v a="$m_med" -v b="$k2_med" 'BEGIN { printf "%.2f", a / b }')
smratio=$(awk -v a="$s_med" -v b="$m_med" 'BEGIN { printf "%.2f", a / b }')
echo "arp_latency: $ROUNDS interleaved rounds, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  speaker VIP      median ${s_med} us  p99 ${s_p99} us   ($(field A "$L1T_TMP/spk.txt" lost) lost)"
echo "  node kernel      median ${k_med} us  p99 ${k_p99} us"
echo "  minimal C resp.  median ${m_med} us  p99 ${m_p99} us   (kernel in that run ${k2_med} us)"
echo "  ratio speaker/kernel ${ratio}x, minimal/kernel ${mratio}x, speaker/minimal ${smratio}x"
bench arp_latency_speaker_median "$s_med" us
bench arp_latency_speaker_p99 "$s_p99" us
bench arp_latency_kernel_median "$k_med" us
bench arp_latency_kernel_p99 "$k_p99" us
bench arp_latency_minimal_median "$m_med" us
bench arp_latency_ratio_speaker_kernel "$ratio" x
bench arp_latency_ratio_minimal_kernel "$mratio" x
bench arp_latency_ratio_speaker_minimal "$smratio" x
