# Shared helpers for the speaker integration tests (sourced, not run).
#
# Topology built by l1t_topology, entirely inside namespaces this run creates (names prefixed
# l1t-$$-) and deletes on exit, even on failure:
#
#     [client ns]                      [lan ns]                        [node ns]
#     eth-client ---veth--- p-client -- br0 -- p-node ---veth--- eth-node
#     198.51.100.1/24                                              198.51.100.10/24
#     2001:db8::1/64                                               2001:db8::10/64
#
# Only documentation prefixes are used (198.51.100.0/24, 2001:db8::/64). Veth pairs are created
# inside the namespaces (never in the host's), so no host interface is ever touched.
# Usage: source this file with the build directory as $1; exit 77 = skipped.

set -euo pipefail

L1T_BUILD=$(cd "${1:-build/default}" 2>/dev/null && pwd || echo "${1:-build/default}")
L1T_SPEAKER="$L1T_BUILD/speaker/l1net-speaker"
L1T_CTL="$L1T_BUILD/speaker/speakerctl"
L1T_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)  # lb_services.py: many Services
L1T_PREFIX="l1t-$$-"
L1T_NS_LAN="${L1T_PREFIX}lan"
L1T_NS_CLIENT="${L1T_PREFIX}client"
L1T_NS_NODE="${L1T_PREFIX}node"
L1T_NODE_MAC="02:00:5e:10:0a:01"
L1T_CLIENT_MAC="02:00:5e:10:0c:01"
L1T_VIP4="198.51.100.200"
L1T_VIP6="2001:db8::200"
L1T_TMP=""
L1T_SOCK=""
L1T_METRICS="127.0.0.1:17473"
L1T_NAMESPACES=()
L1T_PIDS=()
L1T_SPEAKER_PID=""

l1t_log() { printf '[%s] %s\n' "$(date +%H:%M:%S.%3N)" "$*"; }
l1t_skip() { echo "SKIP: $*"; exit 77; }

l1t_fail() {
  echo "FAIL: $*" >&2
  if [ -n "$L1T_TMP" ] && [ -f "$L1T_TMP/speaker.log" ]; then
    echo "---- last lines of the speaker log ----" >&2
    tail -n 40 "$L1T_TMP/speaker.log" >&2 || true
  fi
  exit 1
}

l1t_pass() { l1t_log "ok: $*"; }

l1t_cleanup() {
  local rc=$?
  set +e
  for pid in "${L1T_PIDS[@]}"; do
    kill "$pid" 2>/dev/null
  done
  for pid in "${L1T_PIDS[@]}"; do
    wait "$pid" 2>/dev/null
  done
  for ns in "${L1T_NAMESPACES[@]}"; do
    # Anything still running inside (a stray tool) goes with its namespace.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
      kill "$pid" 2>/dev/null
    done
    ip netns del "$ns" 2>/dev/null
  done
  [ -n "$L1T_TMP" ] && rm -rf "$L1T_TMP"
  exit "$rc"
}

# Checks what every test needs; exits 77 with the reason otherwise.
l1t_require() {
  [ "$(id -u)" -eq 0 ] || l1t_skip "needs root (network namespaces, AF_PACKET sockets)"
  # Only a missing root skips; a missing tool or binary is a failure (install-deps.sh has them).
  command -v ip >/dev/null || l1t_fail "iproute2 (ip) not installed: run scripts/install-deps.sh"
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || l1t_fail "$tool not installed: run scripts/install-deps.sh"
  done
  [ -x "$L1T_SPEAKER" ] || l1t_fail "$L1T_SPEAKER not built"
  [ -x "$L1T_CTL" ] || l1t_fail "$L1T_CTL not built"
  trap l1t_cleanup EXIT
  trap 'exit 130' INT TERM
  L1T_TMP=$(mktemp -d /tmp/l1t-$$-XXXXXX)
  L1T_SOCK="$L1T_TMP/run/speaker.sock"
  ip netns add "${L1T_PREFIX}probe" 2>/dev/null || l1t_skip "cannot create network namespaces"
  ip netns del "${L1T_PREFIX}probe"
}

l1t_add_ns() {
  ip netns add "$1"
  L1T_NAMESPACES+=("$1")
  ip -n "$1" link set lo up
  # No DAD: addresses are usable at once, and NS traffic stays ours.
  ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

# l1t_attach NS IFNAME MAC PORT: a veth pair from the lan bridge (port PORT) to NS/IFNAME.
l1t_attach() {
  local ns=$1 ifname=$2 mac=$3 port=$4
  ip -n "$L1T_NS_LAN" link add "$port" type veth peer name "$ifname" netns "$ns"
  ip -n "$ns" link set "$ifname" address "$mac"
  ip -n "$L1T_NS_LAN" link set "$port" master br0 up
}

l1t_topology() {
  l1t_add_ns "$L1T_NS_LAN"
  l1t_add_ns "$L1T_NS_CLIENT"
  l1t_add_ns "$L1T_NS_NODE"
  ip -n "$L1T_NS_LAN" link add br0 type bridge stp_state 0 mcast_snooping 0
  ip -n "$L1T_NS_LAN" link set br0 up
  l1t_attach "$L1T_NS_CLIENT" eth-client "$L1T_CLIENT_MAC" p-client
  l1t_attach "$L1T_NS_NODE" eth-node "$L1T_NODE_MAC" p-node
  ip -n "$L1T_NS_CLIENT" addr add 198.51.100.1/24 dev eth-client
  ip -n "$L1T_NS_CLIENT" addr add 2001:db8::1/64 dev eth-client nodad
  ip -n "$L1T_NS_CLIENT" link set eth-client up
  ip -n "$L1T_NS_NODE" addr add 198.51.100.10/24 dev eth-node
  ip -n "$L1T_NS_NODE" addr add 2001:db8::10/64 dev eth-node nodad
  ip -n "$L1T_NS_NODE" link set eth-node up
  # Wait for carrier on both ends.
  local i
  for i in $(seq 50); do
    if ip -n "$L1T_NS_CLIENT" link show eth-client | grep -q 'LOWER_UP' &&
      ip -n "$L1T_NS_NODE" link show eth-node | grep -q 'LOWER_UP'; then
      return 0
    fi
    sleep 0.1
  done
  l1t_fail "veth links did not come up"
}

# l1t_manifests FILE [SERVICE-IPS...]: pool lan (198.51.100.200/29, 2001:db8::200/125), an
# L2Advertisement (interfaces from $L1T_AD_INTERFACES, space separated) and, when IPs are
# given, the LoadBalancer Service demo/web carrying them in its status (as the controller writes).
l1t_manifests() {
  local file=$1
  shift
  {
    cat <<'EOF'
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: lan, namespace: metallb-system}
spec:
  addresses: [198.51.100.200/29, 2001:db8::200/125]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: lan, namespace: metallb-system}
spec:
  ipAddressPools: [lan]
EOF
    if [ -n "${L1T_AD_INTERFACES:-}" ]; then
      echo "  interfaces:"
      for i in $L1T_AD_INTERFACES; do echo "  - $i"; done
    fi
    if [ $# -gt 0 ]; then
      cat <<'EOF'
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: demo}
spec:
  type: LoadBalancer
  ports: [{port: 80, protocol: TCP}]
status:
  loadBalancer:
    ingress:
EOF
      for ip in "$@"; do echo "    - ip: \"$ip\""; done
    fi
    [ -z "${L1T_EXTRA_MANIFESTS:-}" ] || printf '%s\n' "---" "$L1T_EXTRA_MANIFESTS"
  } >"$file.tmp"
  mv "$file.tmp" "$file"  # atomic, as the controller's state file
}

# l1t_start_speaker MANIFEST-PATH [extra flags...]: runs the daemon in the node namespace and
# waits for its control socket. One node, no peers: the heartbeat mesh runs without a key
# (--insecure-mesh) and settles at once (failover tests: failover_lib.sh).
l1t_start_speaker() {
  local manifests=$1
  shift
  # L1T_SPEAKER_WRAP (array): a command prefix, e.g. setpriv to drop privileges.
  ip netns exec "$L1T_NS_NODE" ${L1T_SPEAKER_WRAP[@]+"${L1T_SPEAKER_WRAP[@]}"} \
    "$L1T_SPEAKER" --node node-a --manifests "$manifests" --insecure-mesh \
    --control-socket "$L1T_SOCK" --metrics-addr "$L1T_METRICS" --log-level debug "$@" \
    >>"$L1T_TMP/speaker.log" 2>&1 &
  L1T_SPEAKER_PID=$!
  L1T_PIDS+=("$L1T_SPEAKER_PID")
  l1t_wait_control "$L1T_SOCK" "$L1T_SPEAKER_PID" speaker l1t_fail 100 0.05
}

# l1t_wait_control SOCK PID WHAT FAILFN TRIES INTERVAL: polls speakerctl status on SOCK until it
# answers; calls FAILFN when the daemon PID exits first or TRIES polls INTERVAL apart run out.
l1t_wait_control() {
  local sock=$1 pid=$2 what=$3 fail=$4 tries=$5 interval=$6 i
  for i in $(seq "$tries"); do
    if "$L1T_CTL" --socket "$sock" status >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || "$fail" "$what exited at start-up"
    sleep "$interval"
  done
  "$fail" "$what control socket did not appear"
}

l1t_stop_speaker() {
  [ -n "$L1T_SPEAKER_PID" ] || return 0
  kill -TERM "$L1T_SPEAKER_PID" 2>/dev/null || true
  local rc=0
  wait "$L1T_SPEAKER_PID" || rc=$?
  L1T_SPEAKER_PID=""
  return "$rc"
}

l1t_ctl() { "$L1T_CTL" --socket "$L1T_SOCK" "$@"; }
l1t_client() { ip netns exec "$L1T_NS_CLIENT" "$@"; }
l1t_node() { ip netns exec "$L1T_NS_NODE" "$@"; }
l1t_metrics() { l1t_node curl -sf "http://$L1T_METRICS/metrics"; }

# Lower-case MAC that answers an ARP request for IP from the client ("" when none within 1 s).
l1t_arp_mac() {
  l1t_client arping -c 1 -w 1 -I eth-client "$1" 2>/dev/null |
    sed -n 's/.*reply from [0-9.]* \[\([0-9A-Fa-f:]*\)\].*/\1/p' | head -n 1 | tr 'A-F' 'a-f'
}
l1t_answered_by_node() { [ "$(l1t_arp_mac "$1")" = "$L1T_NODE_MAC" ]; }
l1t_not_answered() { [ -z "$(l1t_arp_mac "$1")" ]; }

# Lower-case MAC of the client's neighbour entry for IP ("" when none).
l1t_neigh_mac() {
  l1t_client ip neigh show "$1" dev eth-client | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print tolower($(i + 1))}'
}

# l1t_wait_for SECONDS CMD...: polls every 20 ms until CMD succeeds; fails after SECONDS.
l1t_wait_for() {
  local limit=$1
  shift
  local deadline
  deadline=$(($(date +%s%N) + ${limit%.*} * 1000000000))
  while [ "$(date +%s%N)" -lt "$deadline" ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.02
  done
  return 1
}

l1t_now() { date +%s.%N; }

# l1t_log_time AFTER REGEX: epoch seconds of the first speaker log line after epoch AFTER whose
# message matches REGEX ("" if none). The speaker's own timestamps measure its reaction time
# without the noise of the tools that observe it.
l1t_log_time() {
  local line ts
  while IFS= read -r line; do
    ts=$(date -d "${line%% *}" +%s.%N 2>/dev/null) || continue
    if awk -v a="$ts" -v b="$1" 'BEGIN { exit !(a >= b) }'; then
      echo "$ts"
      return 0
    fi
  done < <(grep -E "$2" "$L1T_TMP/speaker.log")
  return 1
}
l1t_elapsed_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", (b - a) * 1000 }'; }

# Speakerctl stats JSON field for one IP: l1t_ip_stat IP FIELD
l1t_ip_stat() {
  l1t_ctl -o json stats | jq -r --arg ip "$1" --arg f "$2" \
    '(.ips[] | select(.ip == $ip) | .[$f]) // 0'
}
