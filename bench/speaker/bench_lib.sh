# Shared helpers of the speaker benchmarks (sourced): the integration topology of
# tests/integration/lib.sh (client, lan bridge, node; namespaces named l1t-<PID>-*, deleted by its
# EXIT trap even on failure; documentation prefixes only), plus the C client and a speaker
# started with per-packet logging off.
source "$(dirname "${BASH_SOURCE[0]}")/../../tests/integration/lib.sh"

B_CLIENT="$L1T_BUILD/bench/speaker/l1net-arpclient"
B_MINRESP="$L1T_BUILD/bench/speaker/l1net-minresponder"
B_WAKEFLOOR="$L1T_BUILD/bench/speaker/l1net-wakefloor"
B_NODE_IP=198.51.100.10
B_CLIENT_IP=198.51.100.1

b_require() {
  l1t_require jq "$@"
  [ -x "$B_CLIENT" ] || l1t_fail "$B_CLIENT not built"
}

bench() { printf 'BENCH name=%s value=%s unit=%s\n' "$1" "$2" "$3"; }

# b_manifests FILE N [PEERS]: pool "lan" over the three IPv4 documentation /24s and
# 2001:db8:1::/96; N LoadBalancer services of one IP each: the first and the last are IPv4
# (198.51.100.200 and 198.51.100.201), the others IPv4 from 192.0.2.0/24 and 203.0.113.0/24,
# then IPv6 (2001:db8:1::/96) once those run out. PEERS Node objects (node-b ...) with
# InternalIPs in 198.51.100.0/24 (absent hosts: the mesh declares them dead).
b_manifests() {
  local file=$1 n=$2 peers=${3:-0}
  {
    python3 - "$n" <<'PY' | python3 "$L1T_LIB_DIR/lb_services.py" bench 192.0.2.0/24 198.51.100.0/24 203.0.113.0/24 2001:db8:1::/96
import sys
n = int(sys.argv[1])
pool = [f"192.0.2.{i}" for i in range(1, 255)] + [f"203.0.113.{i}" for i in range(1, 255)]
def ip(i):
    if i == 0:
        return "198.51.100.200"
    if i == n - 1:
        return "198.51.100.201"
    if i - 1 < len(pool):
        return pool[i - 1]
    return "2001:db8:1::%x:%x" % ((i >> 16) & 0xffff, i & 0xffff)
for i in range(n):
    print(ip(i))
PY
    python3 - "$peers" <<'PY'
import sys
peers = int(sys.argv[1])
if peers:  # this node too: a speaker whose --node names no Node announces nothing
    print("""---
apiVersion: v1
kind: Node
metadata: {name: node-a}
status:
  addresses: [{type: InternalIP, address: 198.51.100.10}]""")
for p in range(peers):
    print(f"""---
apiVersion: v1
kind: Node
metadata: {{name: node-{chr(ord('b') + p)}}}
status:
  addresses: [{{type: InternalIP, address: 198.51.100.{20 + p}}}]""")
PY
  } >"$file"
}

# b_start_speaker MANIFESTS CPU [flags...]: the speaker in the node namespace pinned to CPU, warn
# logging; sets L1T_SPEAKER_PID. The epoch ns of the speaker's own exec (taken by bash right
# before it execs the speaker, after `ip netns exec` and taskset, which a systemd unit or a pod
# does not pay) is written to $L1T_TMP/exec_ns: b_exec_ns reads it.
b_start_speaker() {
  local manifests=$1 cpu=$2
  shift 2
  rm -f "$L1T_TMP/exec_ns"
  # shellcheck disable=SC2016 # expanded by the inner bash
  ip netns exec "$L1T_NS_NODE" taskset -c "$cpu" bash -c \
    'echo "${EPOCHREALTIME/./}000" >"$0"; exec "$@"' "$L1T_TMP/exec_ns" \
    "$L1T_SPEAKER" --node node-a \
    --manifests "$manifests" --insecure-mesh --control-socket "$L1T_SOCK" \
    --metrics-addr "$L1T_METRICS" --log-level warn "$@" >>"$L1T_TMP/speaker.log" 2>&1 &
  L1T_SPEAKER_PID=$!
  L1T_PIDS+=("$L1T_SPEAKER_PID")
}

b_exec_ns() {  # epoch ns of the last b_start_speaker's exec
  l1t_wait_for 10 test -s "$L1T_TMP/exec_ns" || l1t_fail "the speaker never started"
  cat "$L1T_TMP/exec_ns"
}

b_wait_announced() {  # b_wait_announced IP
  l1t_wait_control "$L1T_SOCK" "$L1T_SPEAKER_PID" speaker l1t_fail 400 0.05
  l1t_wait_for 30 sh -c "'$L1T_CTL' --socket '$L1T_SOCK' -o json status | jq -e '.announced[] | select(.ip == \"$1\")'" ||
    l1t_fail "$1 never announced"
}

b_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime of PID
b_status() { grep -E "^$2:" "/proc/$1/status" | awk '{print $2}'; }  # kB
