#!/usr/bin/env bash
# arp_storm: ARP requests at rising rates, half for IPs the speaker owns (50 VIPs) and half for
# unowned IPs of the same subnet, from the C client (l1net-arpclient storm, CPU 0) against the
# speaker pinned to CPU 1. Per rate: loss for owned IPs seen by the client, the speaker's CPU, and
# the speaker's own counters (speakerctl stats: kernel drops, requests and replies) which must
# agree with the client. Reports the highest rate with 0 loss for owned IPs.
# Usage: arp_storm.sh BUILD_DIR [SECONDS] [RATES...]   (root; exit 77 = skipped)
source "$(dirname "$0")/bench_lib.sh" "$1"
SECS=${2:-3}
shift 2 2>/dev/null || shift $#
RATES=("$@")
[ ${#RATES[@]} -gt 0 ] || RATES=(25000 50000 100000 150000 200000)
b_require
l1t_topology
vips=()
for i in $(seq 200 249); do vips+=("198.51.100.$i"); done
l1t_manifests "$L1T_TMP/m.yaml" "${vips[@]}"
# The fixture pool is a /29: widen it to the 50 VIPs.
sed -i 's#198.51.100.200/29#198.51.100.200/26#' "$L1T_TMP/m.yaml"
printf '%s\n' "${vips[@]}" >"$L1T_TMP/owned"
for i in $(seq 100 149); do echo "198.51.100.$i"; done >"$L1T_TMP/unowned"
b_start_speaker "$L1T_TMP/m.yaml" 1
b_wait_announced 198.51.100.249
sleep 2.5
hz=$(getconf CLK_TCK)
: >"$L1T_TMP/none"
for mode in owned mixed; do
best=0
if [ "$mode" = owned ]; then
  others="$L1T_TMP/none"
  echo "arp_storm: ${SECS}s per rate, every request for one of 50 owned VIPs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
else
  others="$L1T_TMP/unowned"
  echo "arp_storm: ${SECS}s per rate, owned and unowned (50 each) alternating; load average $(cut -d' ' -f1-3 /proc/loadavg)"
fi
printf '  %-9s %-9s %-10s %-10s %-8s %-9s %-12s %-10s %s\n' rate achieved owned_sent owned_lost loss% spk_cpu% kernel_drops spk_req spk_replies
for rate in "${RATES[@]}"; do
  before=$(l1t_ctl -o json stats)
  t0=$(b_cpu_ticks "$L1T_SPEAKER_PID")
  w0=$(date +%s%N)
  read -r so ro su ru achieved < <(l1t_client taskset -c 0 "$B_CLIENT" eth-client "$B_CLIENT_IP" storm "$rate" "$SECS" "$L1T_TMP/owned" "$others")
  t1=$(b_cpu_ticks "$L1T_SPEAKER_PID")
  w1=$(date +%s%N)
  after=$(l1t_ctl -o json stats)
  cpu=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v w=$((w1 - w0)) 'BEGIN { printf "%.0f", 100 * t / hz / (w / 1e9) }')
  kd=$(( $(jq .kernel_drops <<<"$after") - $(jq .kernel_drops <<<"$before") ))
  sum() { jq "[.ips[].$1] | add // 0" <<<"$2"; }
  req=$(( $(sum requests_received "$after") - $(sum requests_received "$before") ))
  rep=$(( $(sum responses_sent "$after") - $(sum responses_sent "$before") ))
  lost=$((so - ro))
  loss=$(awk -v l="$lost" -v s="$so" 'BEGIN { printf "%.3f", 100 * l / s }')
  printf '  %-9s %-9s %-10s %-10s %-8s %-9s %-12s %-10s %s\n' "$rate" "$achieved" "$so" "$lost" "$loss" "$cpu" "$kd" "$req" "$rep"
  [ "$ru" -eq 0 ] || echo "  (unexpected: $ru replies for unowned IPs)"
  bench "arp_storm_${mode}_loss_pct_at_$rate" "$loss" percent
  bench "arp_storm_${mode}_speaker_cpu_at_$rate" "$cpu" percent
  bench "arp_storm_${mode}_kernel_drops_at_$rate" "$kd" frames
  bench "arp_storm_${mode}_client_lost_at_$rate" "$lost" frames
  bench "arp_storm_${mode}_achieved_rate_at_$rate" "$achieved" req/s
  if [ "$lost" -eq 0 ] && [ "$achieved" -ge $((rate * 95 / 100)) ]; then best=$rate; fi
done
echo "  highest offered rate ($mode) answered with 0 loss for owned IPs: $best req/s"
bench "arp_storm_${mode}_max_lossless_rate" "$best" req/s
done
