#!/usr/bin/env bash
# make demo: the whole l1net suite on a LAN made of network namespaces.
#
#   scripts/demo.sh [--ci] [--hold] [BUILD_DIR]   (as root; `make demo`, `make demo ARGS=--ci`)
#
#   1. A LAN: one bridge, a client, three nodes and a DNS host, each in a network namespace named
#      l1t-<pid>-*; documentation ranges only. Everything is removed on exit, failure and Ctrl-C.
#   2. l1net-controller allocates the demo manifests (scripts/demo/manifests) into its state file.
#   3. l1net-speaker and a tiny HTTP backend (answers with its node's name) on every node. Each IP's
#      owner per speakerctl must be the node the client's ARP/NDP reaches and MetalLB's ranking.
#   4. curl from the client reaches the owner; l1net-dnsd (hostsfile provider) feeds dnsmasq and
#      dig resolves the Service's name.
#   5. The owner crashes (cable pulled, speaker SIGKILLed) while the client pings every 10 ms: the
#      outage as the client saw it; curl then reaches the new owner.
#   6. The controller restarts with a Service added while it was down: no IP moved.
# Exit status: 0 when every step succeeded, 77 when not root (ctest counts it as skipped),
# 1 when a step failed, 2 on usage errors. --ci: no prompts (they only appear on a terminal).
# --hold: after the last step, keep the LAN and the daemons up and print how to reach each
# speaker with speakerctl; clean up on Enter (on a terminal) or once the file it names exists.
# L1NET_DEMO_PING_LOG=FILE keeps the client's ping log of step 5 (the raw data of its figures).

ci=0
hold=0
build=build/default
for arg in "$@"; do
  case $arg in
    --ci) ci=1 ;;
    --hold) hold=1 ;;
    -h | --help)
      sed -n '2,17s/^# \{0,1\}//p' "$0"
      exit 0
      ;;
    -*)
      echo "demo: unknown option $arg (usage: scripts/demo.sh [--ci] [--hold] [BUILD_DIR])" >&2
      exit 2
      ;;
    *) build=$arg ;;
  esac
done
if [ "$(id -u)" -ne 0 ]; then
  echo "make demo needs root: it creates network namespaces and opens raw sockets." >&2
  echo "Run it as root, e.g. sudo make demo." >&2
  exit 77
fi

here=$(cd "$(dirname "$0")" && pwd)
# The integration tests' netns helpers: namespaces l1t-$$-*, the cleanup trap (every process we
# start and every namespace we create goes on exit, failure or Ctrl-C), the three-node topology.
# shellcheck source=../tests/integration/failover_lib.sh
source "$here/../tests/integration/failover_lib.sh" "$build"
set -e
trap 'echo "demo: unexpected failure at line $LINENO: $BASH_COMMAND" >&2' ERR
L1F_VIPS=()  # the VIPs come from the controller, not from failover_lib's fixed list
CONTROLLER="$L1T_BUILD/controller/l1net-controller"
DNSD="${L1NET_DEMO_DNSD:-$L1T_BUILD/dnsd/l1net-dnsd}"  # override: a dnsd built elsewhere
[ -x "$CONTROLLER" ] || { echo "demo: $CONTROLLER is not built (make build)" >&2; exit 1; }
l1t_require arping ndisc6 ping jq curl python3 sha256sum dnsmasq dig
trap 'echo; echo "demo: interrupted; removing everything it created" >&2; exit 130' INT TERM
NS_DNS="${L1T_PREFIX}dns"
DNS_IP=198.51.100.53
MANIFESTS="$L1T_TMP/manifests"
STATE="$L1T_TMP/state.yaml"
CTL_LOG="$L1T_TMP/controller.log"
CTL_PID=""

# ---- output ----
tty=0
[ -t 1 ] && tty=1
failed=0
step=0
started_ms=$(($(date +%s%N) / 1000000))
now_ms() { echo $(($(date +%s%N) / 1000000)); }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f s", ms / 1000 }'; }
ok() { printf '%s ✓ %s\n' "$step" "$*"; }
detail() { printf '      %s\n' "$*"; }
bad() {
  printf '%s ✗ %s\n' "$step" "$*"
  failed=1
}
# Last lines of every daemon log, for a failed step (stderr, so the summary stays readable).
show_logs() {
  local f
  for f in "$L1T_TMP"/*.log; do
    [ -s "$f" ] || continue
    echo "---- last lines of $(basename "$f") ----" >&2
    tail -n 6 "$f" >&2
  done
}
# Fatal: the later steps need this one.
die() {
  bad "$*"
  show_logs
  echo "demo: stopped at step $step" >&2
  exit 1
}
# pause N TEXT: on a terminal without --ci, wait for Enter before step N.
pause() {
  [ "$ci" -eq 0 ] && [ -t 0 ] && [ "$tty" -eq 1 ] || return 0
  read -r -s -p "  [Enter] step $1: $2 " _ || true
  printf '\r\033[K'
}
# wait_until SECONDS WHAT CMD...: polls CMD every 50 ms; on a terminal, a live line shows what is
# awaited and for how long. WAITED_MS holds the time it took.
WAITED_MS=0
wait_until() {
  local limit_ms=$(($1 * 1000)) what=$2 start spin='|/-\' i=0
  shift 2
  start=$(now_ms)
  while :; do
    WAITED_MS=$(($(now_ms) - start))
    if "$@" >/dev/null 2>&1; then
      [ "$tty" -eq 0 ] || printf '\r\033[K'
      return 0
    fi
    if [ "$WAITED_MS" -gt "$limit_ms" ]; then
      [ "$tty" -eq 0 ] || printf '\r\033[K'
      return 1
    fi
    if [ "$tty" -eq 1 ]; then
      printf '\r  %s %s ... %s ' "${spin:$((i % 4)):1}" "$what" "$(secs "$WAITED_MS")"
      i=$((i + 1))
    fi
    sleep 0.05
  done
}

# ---- helpers ----
# The controller's state file as "namespace/name ips pool share" rows (ips comma separated, "-"
# when none). The file is what `kubectl get svc -o yaml` shows, written by the controller.
state_rows() {
  [ -s "$STATE" ] || return 0
  awk '
    function flush() {
      if (name != "") print ns "/" name, (ips == "" ? "-" : ips), (pool == "" ? "-" : pool), (share == "" ? "-" : share)
      name = ""; ns = ""; ips = ""; pool = ""; share = ""
    }
    /^---/ { flush() }
    /^  name: / { name = $2 }
    /^  namespace: / { ns = $2 }
    /^    metallb.io\/ip-allocated-from-pool: / { pool = $2 }
    /^    metallb.io\/allow-shared-ip: / { share = $2 }
    /^      - ip: / { ips = ips (ips == "" ? "" : ",") $3 }
    END { flush() }' "$STATE" | tr -d '"'
}
ips_of() { state_rows | awk -v s="$1" '$1 == s { print $2 }'; }
# Every Service of the demo (and $1 more, when given) has its IPs in the state file.
state_complete() {
  local want=$((4 + ${1:-0}))
  [ "$(state_rows | awk '$2 != "-"' | wc -l)" -ge "$want" ]
}
start_controller() {
  ip netns exec "$L1T_NS_LAN" "$CONTROLLER" --manifests "$MANIFESTS" --state "$STATE" \
    --metrics-addr 127.0.0.1:7472 --log-level info >>"$CTL_LOG" 2>&1 &
  CTL_PID=$!
  L1T_PIDS+=("$CTL_PID")
}
pool_usage() {
  ip netns exec "$L1T_NS_LAN" curl -sf http://127.0.0.1:7472/metrics | awk '
    /^metallb_allocator_addresses_in_use_total\{/ { match($1, /pool="[^"]*"/); p = substr($1, RSTART + 6, RLENGTH - 7); used[p] = $2 }
    /^metallb_allocator_addresses_total\{/ { match($1, /pool="[^"]*"/); p = substr($1, RSTART + 6, RLENGTH - 7); total[p] = $2 }
    END { for (p in total) printf "%s %d/%d\n", p, used[p], total[p] }' | sort | paste -sd, - |
    sed 's/,/, /g'
}
start_speaker() {
  local n=$1
  ip netns exec "$(l1f_ns "$n")" "$L1T_SPEAKER" --node "$n" --manifests "$L1T_TMP/nodes.yaml" \
    --manifests "$MANIFESTS/10-pools.yaml" --manifests "$STATE" --control-socket "$(l1f_sock "$n")" \
    --metrics-addr 127.0.0.1:17473 --mesh-key-file "$L1T_TMP/mesh.key" \
    --mesh-bind "${L1F_IP[$n]}:7947" --log-level info >>"$(l1f_log_of "$n")" 2>&1 &
  L1F_PID[$n]=$!
  L1T_PIDS+=("$!")
}
# The node whose speaker announces IP (per speakerctl status), "" when none; "many" when several.
owner_of() {
  local ip=$1 n found=""
  for n in "${L1F_NODES[@]}"; do
    [ -n "${L1F_PID[$n]:-}" ] || continue
    if l1f_announces "$n" "$ip" 2>/dev/null; then
      [ -z "$found" ] || {
        echo many
        return 0
      }
      found=$n
    fi
  done
  echo "$found"
}
all_owned() {
  local ip
  for ip in "${VIPS[@]}"; do
    case $(owner_of "$ip") in "" | many) return 1 ;; esac
  done
}
mesh_formed() {
  local n
  for n in "${L1F_NODES[@]}"; do
    [ "$(l1f_alive_peers "$n")" = 2 ] || return 1
  done
}
# The node the client reaches for IP: ARP (IPv4) or NDP (IPv6), by the MAC that answers.
client_sees() {
  local ip=$1 mac
  if [[ $ip == *:* ]]; then
    mac=$(ip netns exec "$L1T_NS_CLIENT" ndisc6 -1 -r 3 -w 300 "$ip" eth-client 2>/dev/null |
      awk '/link-layer address/ { print tolower($NF) }' || true)
  else
    mac=$(l1f_arping_mac "$ip" || true)
  fi
  l1f_node_of_mac "$mac"
}
client_curl() { ip netns exec "$L1T_NS_CLIENT" curl -gsf --max-time 3 "http://$1/"; }
url_host() { if [[ $1 == *:* ]]; then echo "[$1]"; else echo "$1"; fi; }

echo "l1net demo: LoadBalancer IPs, L2 failover and DNS on a LAN of network namespaces"
echo "(documentation ranges only; everything below is removed when the demo ends)"

# ---- 1. the LAN ----
step=1
t=$(now_ms)
l1f_topology  # client 198.51.100.1/24; node-a/b/c 198.51.100.11-13/24; br0 in the lan namespace
ip -n "$L1T_NS_CLIENT" addr add 2001:db8::1/64 dev eth-client nodad
# The reserved pool is on the same LAN but off the client's subnet: an on-link route.
ip -n "$L1T_NS_CLIENT" route add 203.0.113.0/24 dev eth-client
i=1
for n in "${L1F_NODES[@]}"; do
  ip -n "$(l1f_ns "$n")" addr add "2001:db8::1$i/64" dev eth-node nodad
  i=$((i + 1))
done
l1t_add_ns "$NS_DNS"
l1t_attach "$NS_DNS" eth-dns 02:00:5e:10:0e:35 p-dns
ip -n "$NS_DNS" addr add "$DNS_IP/24" dev eth-dns
ip -n "$NS_DNS" link set eth-dns up
ok "LAN: bridge, client 198.51.100.1, node-a/b/c 198.51.100.11-13, DNS host $DNS_IP," \
  "namespaces ${L1T_PREFIX}* ($(secs $(($(now_ms) - t))))"

# ---- 2. the controller ----
step=2
pause 2 "l1net-controller allocates the demo manifests"
mkdir -p "$MANIFESTS"
cp "$here"/demo/manifests/*.yaml "$MANIFESTS/"
start_controller
if ! wait_until 10 "l1net-controller allocating" state_complete; then
  die "l1net-controller wrote no complete state file in 10 s"
fi
alloc_ms=$WAITED_MS
usage=$(pool_usage || true)
declare -A SVC_IPS=()
mapfile -t rows < <(state_rows)
step2_ok=1
for row in "${rows[@]}"; do
  read -r svc ips pool share <<<"$row"
  SVC_IPS[$svc]=$ips
done
[ "${SVC_IPS[infra/dns-tcp]:-x}" = "${SVC_IPS[infra/dns-udp]:-y}" ] || step2_ok=0
[[ ${SVC_IPS[ingress-nginx/ingress-nginx-controller]:-} == *.*,*:* ]] || step2_ok=0
[ "${SVC_IPS[demo/web]:--}" != - ] || step2_ok=0
if [ "$step2_ok" -eq 1 ]; then
  ok "l1net-controller allocated ${#rows[@]} Services in $(secs "$alloc_ms") (in use: ${usage:-?})"
else
  bad "l1net-controller's allocations are not what the manifests ask for"
fi
for row in "${rows[@]}"; do
  read -r svc ips pool share <<<"$row"
  note="pool $pool"
  [ "$share" = - ] || note+=", shared \"$share\""
  [[ $ips != *,* ]] || note+=", dual-stack"
  detail "$(printf '%-40s %-30s %s' "$svc" "${ips//,/ }" "$note")"
done
[ "$step2_ok" -eq 1 ] || die "see the allocations above"
# Every node holds every VIP locally, as kube-proxy makes it; arp_ignore=1/arp_announce=2 (set by
# l1f_topology) keep the kernels from answering ARP for them, so only the speakers do.
VIPS=()
declare -A SVC_OF=() KEY_OF=()
for row in "${rows[@]}"; do
  read -r svc ips _ _ <<<"$row"
  IFS=, read -r -a list <<<"$ips"
  for ip in "${list[@]}"; do
    [ -z "${SVC_OF[$ip]:-}" ] || continue
    VIPS+=("$ip")
    SVC_OF[$ip]=$svc
    KEY_OF[$ip]=${list[0]}  # MetalLB ranks on the Service's first IP
  done
done
for n in "${L1F_NODES[@]}"; do
  for ip in "${VIPS[@]}"; do
    if [[ $ip == *:* ]]; then
      ip -n "$(l1f_ns "$n")" addr add "$ip/128" dev lo
    else
      ip -n "$(l1f_ns "$n")" addr add "$ip/32" dev lo
    fi
  done
done

# ---- 3. speakers, backends, owners ----
step=3
pause 3 "a speaker and an HTTP backend on every node"
l1f_manifests "$L1T_TMP/nodes.yaml" nodes-only
l1f_key "$L1T_TMP/mesh.key"
for n in "${L1F_NODES[@]}"; do
  ip netns exec "$(l1f_ns "$n")" python3 "$here/demo/backend.py" "$n" >>"$L1T_TMP/backend-$n.log" 2>&1 &
  L1T_PIDS+=("$!")
  start_speaker "$n"
done
t=$(now_ms)
for n in "${L1F_NODES[@]}"; do
  wait_until 10 "$n's speaker starting" l1f_ctl "$n" status || die "$n's speaker did not start"
done
wait_until 10 "heartbeat mesh forming" mesh_formed || die "the heartbeat mesh did not form in 10 s"
mesh_ms=$(($(now_ms) - t))
wait_until 10 "speakers choosing owners" all_owned || die "some IPs have no single owner"
declare -A OWNER=()
lines=()
step3_ok=1
for ip in "${VIPS[@]}"; do
  owner=$(owner_of "$ip")
  OWNER[$ip]=$owner
  want=$(l1f_rank "${KEY_OF[$ip]}" "${L1F_NODES[@]}" | head -n 1)
  seen=""
  for _ in 1 2 3; do
    seen=$(client_sees "$ip")
    [ -z "$seen" ] || break
  done
  proto=ARP
  [[ $ip != *:* ]] || proto=NDP
  mark=""
  if [ "$owner" != "$want" ] || [ "$seen" != "$owner" ]; then
    step3_ok=0
    mark="  <-- mismatch"
  fi
  lines+=("$(printf '%-15s %-40s owner %-7s %s reply from %-7s MetalLB ranking: %s%s' "$ip" \
    "${SVC_OF[$ip]}" "$owner" "$proto" "${seen:-nobody}" "$want" "$mark")")
done
if [ "$step3_ok" -eq 1 ]; then
  ok "3 speakers up, heartbeat mesh formed in $(secs "$mesh_ms"); each IP has one owner" \
    "(speakerctl), the node the client reaches"
else
  bad "owners per speakerctl, the client's ARP/NDP and MetalLB's ranking disagree"
fi
for l in "${lines[@]}"; do detail "$l"; done
WEB=${SVC_IPS[demo/web]}
WEB_OWNER=${OWNER[$WEB]}
detail "\$ speakerctl explain $WEB   (on $WEB_OWNER)"
l1f_ctl "$WEB_OWNER" explain "$WEB" | sed 's/^/        /'
[ "$step3_ok" -eq 1 ] || {
  show_logs
  exit 1
}

# ---- 4. curl and DNS ----
step=4
pause 4 "curl and dig from the client"
V6=${SVC_IPS[ingress-nginx/ingress-nginx-controller]#*,}
for ip in "$WEB" "$V6"; do
  got=$(client_curl "$(url_host "$ip")" || true)
  if [ -n "$got" ] && [ "$got" = "${OWNER[$ip]}" ]; then
    ok "curl http://$(url_host "$ip")/ from the client: answered by $got, the owner"
  else
    bad "curl http://$(url_host "$ip")/ from the client: got '${got:-no answer}', want ${OWNER[$ip]}"
  fi
done
# DNS: dnsmasq on the DNS host serves a hosts file that l1net-dnsd (hostsfile provider) keeps in
# step with the controller's state file; dnsd sends dnsmasq SIGHUP after each change.
dig_web() { ip netns exec "$L1T_NS_CLIENT" dig +short +time=1 +tries=1 "@$DNS_IP" web.demo.example A; }
dig_has_web() { [ "$(dig_web)" = "$WEB" ]; }
if [ -x "$DNSD" ]; then
  mkdir -p "$L1T_TMP/dns"
  : >"$L1T_TMP/dns/hosts"
  # -u root: the hosts file lives in this run's private temporary directory.
  ip netns exec "$NS_DNS" dnsmasq --keep-in-foreground -u root --no-resolv --no-hosts \
    --listen-address="$DNS_IP" --bind-interfaces --addn-hosts="$L1T_TMP/dns/hosts" \
    --pid-file="$L1T_TMP/dns/dnsmasq.pid" --log-facility="$L1T_TMP/dnsmasq.log" &
  L1T_PIDS+=("$!")
  wait_until 5 "dnsmasq starting" test -s "$L1T_TMP/dns/dnsmasq.pid" || die "dnsmasq did not start"
  t=$(now_ms)
  ip netns exec "$NS_DNS" "$DNSD" --manifests "$MANIFESTS" --controller-state "$STATE" \
    --provider hostsfile --hosts-file "$L1T_TMP/dns/hosts" \
    --dnsmasq-pid-file "$L1T_TMP/dns/dnsmasq.pid" --state "$L1T_TMP/dns/ledger.json" \
    --domain-filter demo.example --verify-server "$DNS_IP" --metrics-addr 127.0.0.1:7979 \
    --log-level info \
    >>"$L1T_TMP/dnsd.log" 2>&1 &
  L1T_PIDS+=("$!")
  if wait_until 15 "l1net-dnsd publishing web.demo.example" dig_has_web; then
    ok "dig @$DNS_IP web.demo.example from the client: $(dig_web), published by l1net-dnsd" \
      "through dnsmasq in $(secs $(($(now_ms) - t)))"
    detail "dnsmasq's hosts file, dnsd's block: $(awk '/^# BEGIN l1net-dnsd/ { on = 1; next }
      /^# END l1net-dnsd/ { on = 0 } on && !/^#/ { printf "%s%s", sep, $0; sep = "; " }' \
      "$L1T_TMP/dns/hosts")"
  else
    bad "dig @$DNS_IP web.demo.example from the client: '$(dig_web || true)', want $WEB"
  fi
else
  ok "dig @$DNS_IP web.demo.example: skipped, l1net-dnsd is not built ($DNSD)"
fi

# ---- 5. the owner crashes ----
step=5
pause 5 "$WEB_OWNER crashes while the client pings $WEB every 10 ms"
NEW=$(l1f_rank "$WEB" "${L1F_NODES[@]}" | grep -vx "$WEB_OWNER" | head -n 1)
ip netns exec "$L1T_NS_CLIENT" ping -D -n -i 0.01 -W 1 "$WEB" >"$L1T_TMP/ping.txt" 2>&1 &
PING_PID=$!
L1T_PIDS+=("$PING_PID")
pinging() { [ "$(grep -c 'bytes from' "$L1T_TMP/ping.txt")" -ge 30 ]; }
wait_until 5 "the client pinging $WEB" pinging || die "the client's pings get no reply"
t0=$(date +%s.%N)
l1f_cut "$WEB_OWNER"  # a crashed host: its cable goes dead with it...
kill -9 "${L1F_PID[$WEB_OWNER]}"  # ...and its speaker never says goodbye
wait "${L1F_PID[$WEB_OWNER]}" 2>/dev/null || true
L1F_PID[$WEB_OWNER]=""
moved=0
wait_until 10 "waiting for $NEW to take $WEB over" l1f_client_at "$WEB" "$NEW" && moved=1
sleep 0.5  # a few more replies from the new owner
kill -INT "$PING_PID" 2>/dev/null || true
wait "$PING_PID" 2>/dev/null || true
echo "crash at $t0" >>"$L1T_TMP/ping.txt"
[ -z "${L1NET_DEMO_PING_LOG:-}" ] || cp "$L1T_TMP/ping.txt" "$L1NET_DEMO_PING_LOG"
# The outage as the client saw it: the largest gap in the reply sequence numbers around the crash.
# Lost pings = sequence numbers missing in it; the first reply after the gap, timed from the crash.
# Also the interval ping achieved (a loaded machine sends less often than asked).
read -r lost gap_before gap_after sent received every < <(awk -v t0="$t0" '
  /bytes from/ {
    ts = substr($1, 2, length($1) - 2) + 0
    for (i = 1; i <= NF; i++) if ($i ~ /^icmp_seq=/) seq = substr($i, 10) + 0
    if (have && seq - prev - 1 > best && ts > t0) { best = seq - prev - 1; before = prev_ts; after = ts }
    if (!have) { first = seq; first_ts = ts }
    prev = seq; prev_ts = ts; have = 1
  }
  /packets transmitted/ { sent = $1; received = $4 }
  END {
    every = prev > first ? (prev_ts - first_ts) * 1000 / (prev - first) : 0
    printf "%d %.6f %.6f %d %d %.0f\n", best, before, after, sent, received, every
  }' "$L1T_TMP/ping.txt")
first_ms=$(awk -v a="$t0" -v b="$gap_after" 'BEGIN { printf "%d", (b - a) * 1000 }')
gap_ms=$(awk -v a="$gap_before" -v b="$gap_after" 'BEGIN { printf "%d", (b - a) * 1000 }')
if [ "$moved" -eq 1 ] && [ "$lost" -gt 0 ] && [ "$first_ms" -gt 0 ]; then
  ok "$WEB_OWNER crashed (cable pulled, speaker SIGKILLed): the client lost $lost pings;" \
    "first reply after the gap $first_ms ms after the crash (no reply for $gap_ms ms), now from $NEW"
else
  bad "$WEB_OWNER crashed: $NEW did not take $WEB over as the client sees it" \
    "(moved=$moved, lost=$lost, first reply +${first_ms} ms)"
fi
detail "(heartbeat 100 ms x 5, the default; pings sent $sent, answered $received, one per $every ms)"
detail "\$ speakerctl members   (on $NEW)"
members=$(l1f_ctl "$NEW" members)
sed 's/^/        /' <<<"$members"
dead_row=$(awk -v n="$WEB_OWNER" '$1 == n { print $2, $3 }' <<<"$members")
if [ "$dead_row" = "dead no" ]; then
  ok "speakerctl members on $NEW: $WEB_OWNER is dead and not eligible to own IPs"
else
  bad "speakerctl members on $NEW shows $WEB_OWNER as '$dead_row', want 'dead no'"
fi
got=$(client_curl "$WEB" || true)
if [ "$got" = "$NEW" ]; then
  ok "curl http://$WEB/ from the client: answered by $got, the new owner"
else
  bad "curl http://$WEB/ after the crash: got '${got:-no answer}', want $NEW"
fi

# ---- 6. the controller restarts ----
step=6
pause 6 "the controller restarts, with a new Service added while it was down"
before=$(state_rows | sort)
kill -TERM "$CTL_PID"
wait "$CTL_PID" 2>/dev/null || true
cat >"$MANIFESTS/30-api.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: api, namespace: default}
spec:
  type: LoadBalancer
  ports: [{port: 8080, protocol: TCP}]
EOF
start_controller
if wait_until 10 "l1net-controller restarting" state_complete 1; then
  moved_list=""
  kept=0
  while read -r svc ips _ _; do
    now=$(ips_of "$svc")
    if [ "$now" = "$ips" ]; then
      kept=$((kept + 1))
    else
      moved_list+=" $svc:$ips->${now:-none}"
    fi
  done <<<"$before"
  api=$(ips_of default/api)
  # What the same manifests give without the state file: MetalLB's order would hand the first
  # free IP to default/api, ahead of Services allocated before.
  fresh=$(ip netns exec "$L1T_NS_LAN" "$CONTROLLER" --manifests "$MANIFESTS" --once --dry-run \
    -o json --log-level off | jq -r '.services[] | select(.name == "api") | .ips[0]')
  victim=$(state_rows | awk -v ip="$fresh" '$1 != "default/api" {
    n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == ip) { print $1; exit } }')
  if [ -z "$moved_list" ]; then
    ok "controller restarted with default/api added while it was down: none of the $kept" \
      "allocations moved, api got $api"
    [ -z "$victim" ] || detail "(without its state file api would have taken $fresh from $victim)"
  else
    bad "controller restart moved IPs:$moved_list"
  fi
else
  bad "the restarted controller did not allocate default/api in 10 s"
fi

total=$(($(now_ms) - started_ms))
if [ "$hold" -eq 1 ]; then
  echo "The LAN is still up. Each node's speaker answers speakerctl on its own socket:"
  for n in "${L1F_NODES[@]}"; do
    [ -z "${L1F_PID[$n]:-}" ] || echo "  $L1T_CTL --socket $(l1f_sock "$n") status   # $n"
  done
  if [ -t 0 ]; then
    read -r -p "Press Enter to remove everything. " _ || true
  else
    echo "Create $L1T_TMP/release to remove everything."
    while [ ! -e "$L1T_TMP/release" ]; do sleep 0.5; done
  fi
fi
if [ "$failed" -eq 0 ]; then
  echo "✓ every step succeeded ($(secs "$total")); cleaning up"
  exit 0
fi
echo "✗ some steps failed ($(secs "$total")); cleaning up"
show_logs
exit 1
