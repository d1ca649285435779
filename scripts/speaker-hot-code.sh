#!/usr/bin/env bash
# The speaker's hot-code list (speaker/app/hot-code.ld): which functions a speaker runs, from its
# start through steady state, so the link puts them next to each other. A daemon's code is
# resident in 64 KiB fault-around windows, so code spread over the whole text costs the whole text
# in RSS; gathered, it costs its own size (docs/speaker-performance.md, "Memory").
#
# Runs the speaker under callgrind in the test topology (network namespaces, documentation
# prefixes, deleted on exit) with 1,000 VIPs and 3 peers, answers ARP and NDP, serves speakerctl
# and /metrics, stops it with SIGTERM; then maps every function callgrind saw to its input section
# in the linker map of a fresh link, and writes one linker-script line per section.
# A stale list only costs locality: sections it names that no longer exist match nothing.
# Usage: scripts/speaker-hot-code.sh [BUILD_DIR]   (root; needs valgrind; prints what ran per
# archive, then writes speaker/app/hot-code.ld)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/bench/speaker/bench_lib.sh" "${1:-$repo/build/default}"
b_require python3 valgrind ndisc6 curl
l1t_topology
b_manifests "$L1T_TMP/m.yaml" 1000 3
out="$L1T_TMP/callgrind.out"
ip netns exec "$L1T_NS_NODE" valgrind --tool=callgrind --callgrind-out-file="$out" --demangle=no \
  --compress-strings=no --compress-pos=no --dump-instr=no \
  "$L1T_SPEAKER" --node node-a --manifests "$L1T_TMP/m.yaml" --insecure-mesh \
  --control-socket "$L1T_SOCK" --metrics-addr "$L1T_METRICS" --log-level info \
  --mesh-peer node-b=198.51.100.20 --mesh-peer node-c=198.51.100.21 \
  --mesh-peer node-d=198.51.100.22 >>"$L1T_TMP/speaker.log" 2>&1 &
pid=$!
L1T_PIDS+=("$pid")
l1t_wait_control "$L1T_SOCK" "$pid" speaker l1t_fail 600 0.1
b_wait_announced 198.51.100.200
l1t_client "$B_CLIENT" eth-client "$B_CLIENT_IP" probe 198.51.100.200 2000 10 >/dev/null
l1t_client ndisc6 -1 -r 3 -w 1000 2001:db8:1::0:3e7 eth-client >/dev/null || true
for cmd in status stats members "explain 198.51.100.200" "garp 198.51.100.200"; do
  # shellcheck disable=SC2086 # the command's words
  l1t_ctl $cmd >/dev/null
done
l1t_node curl -fsS "http://$L1T_METRICS/metrics" >/dev/null
l1t_node curl -fsS "http://$L1T_METRICS/healthz" >/dev/null
kill -TERM "$pid"
wait "$pid" || true

# A link with a map: the input section (name, file) that holds each address.
cmd=$(cd "$L1T_BUILD" && ninja -t commands speaker/l1net-speaker | tail -n 1)
(cd "$L1T_BUILD" && eval "${cmd/ -o speaker\/l1net-speaker / -o $L1T_TMP/speaker -Wl,-Map=$L1T_TMP/map }")
python3 "$repo/scripts/speaker_hot_code.py" "$out" "$L1T_SPEAKER" "$L1T_TMP/speaker" \
  "$L1T_TMP/map" --stats
python3 "$repo/scripts/speaker_hot_code.py" "$out" "$L1T_SPEAKER" "$L1T_TMP/speaker" \
  "$L1T_TMP/map" >"$repo/speaker/app/hot-code.ld"
echo "wrote speaker/app/hot-code.ld ($(grep -c '^    ' "$repo/speaker/app/hot-code.ld") sections)"
