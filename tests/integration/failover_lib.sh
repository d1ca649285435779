# Helpers for the failover integration tests and bench/failover (sourced, not run). Builds on
# lib.sh (l1t_require, l1t_add_ns, l1t_attach, cleanup of every namespace and process on exit).
#
# Topology, entirely inside namespaces this run creates (prefix l1t-$$-) and deletes on exit:
#
#     [client]  eth-client 198.51.100.1/24   02:00:5e:10:0c:01 --+
#     [node-a]  eth-node   198.51.100.11/24  02:00:5e:10:0b:0a --+-- br0 [lan]
#     [node-b]  eth-node   198.51.100.12/24  02:00:5e:10:0b:0b --+
#     [node-c]  eth-node   198.51.100.13/24  02:00:5e:10:0b:0c --+
#
# Every node namespace holds the 10 VIPs (198.51.100.200-209) on lo with arp_ignore=1 /
# arp_announce=2, so its kernel answers ICMP for them but never ARP: only the speakers do.
# Each node runs l1net-speaker with the shared manifests (3 Node objects with InternalIP, one
# pool, one L2Advertisement, 10 services with one IP each) and the mesh bound to its node IP.
# With L1F_MESH_NET=1 the mesh runs on a second bridge instead (br-mesh, eth-mesh 203.0.113.1x,
# the Nodes' InternalIP; excluded from announcing), so a node whose LAN interface is down can
# still tell its peers.
# Usage: source with the build directory as $1; exit 77 = skipped.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

L1F_NODES=(node-a node-b node-c)
declare -A L1F_IP=([node-a]=198.51.100.11 [node-b]=198.51.100.12 [node-c]=198.51.100.13)
declare -A L1F_MAC=([node-a]=02:00:5e:10:0b:0a [node-b]=02:00:5e:10:0b:0b [node-c]=02:00:5e:10:0b:0c)
declare -A L1F_MESH_IP=([node-a]=203.0.113.11 [node-b]=203.0.113.12 [node-c]=203.0.113.13)
declare -A L1F_MESH_MAC=([node-a]=02:00:5e:10:0d:0a [node-b]=02:00:5e:10:0d:0b [node-c]=02:00:5e:10:0d:0c)
L1F_MESH_NET=${L1F_MESH_NET:-}
declare -A L1F_PID=()
L1F_VIPS=()
for i in $(seq 0 9); do L1F_VIPS+=("198.51.100.20$i"); done
L1F_SPEAKER_FLAGS=()  # extra flags for every speaker (e.g. heartbeat timing)

l1f_ns() { echo "${L1T_PREFIX}$1"; }
l1f_port() { echo "p-$1"; }
l1f_sock() { echo "$L1T_TMP/$1.sock"; }
l1f_ctl() {
  local node=$1
  shift
  "$L1T_CTL" --socket "$(l1f_sock "$node")" "$@"
}
l1f_log_of() { echo "$L1T_TMP/$1.log"; }
# The address the mesh of NODE uses (its Node InternalIP).
l1f_mesh_ip() {
  if [ -n "$L1F_MESH_NET" ]; then
    echo "${L1F_MESH_IP[$1]}"
  else
    echo "${L1F_IP[$1]}"
  fi
}

l1f_fail() {
  echo "FAIL: $*" >&2
  local n
  for n in "${L1F_NODES[@]}"; do
    if [ -f "$(l1f_log_of "$n")" ]; then
      echo "---- last lines of $n's speaker log ----" >&2
      tail -n 25 "$(l1f_log_of "$n")" >&2 || true
    fi
  done
  exit 1
}

# The node name whose MAC this is ("" when none).
l1f_node_of_mac() {
  local mac=${1,,} n
  for n in "${L1F_NODES[@]}"; do
    [ "${L1F_MAC[$n]}" != "$mac" ] || {
      echo "$n"
      return 0
    }
  done
  echo ""
}

# MetalLB's ranking computed independently of our code: the nodes (args 2..) sorted by
# sha256(node + "#" + ip) ascending; prints them best first.
l1f_rank() {
  local ip=$1 n
  shift
  for n in "$@"; do
    printf '%s %s\n' "$(printf '%s' "$n#$ip" | sha256sum | cut -d' ' -f1)" "$n"
  done | LC_ALL=C sort | cut -d' ' -f2
}

# l1f_manifests FILE [nodes-only]: the shared manifests (atomic write).
l1f_manifests() {
  local file=$1 only=${2:-} n ip i sep=""
  {
    for n in "${L1F_NODES[@]}"; do
      printf '%s' "$sep"
      sep=$'---\n'
      cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $n
  labels: {kubernetes.io/hostname: $n}
status:
  addresses:
  - {type: InternalIP, address: $(l1f_mesh_ip "$n")}
  - {type: Hostname, address: $n}
EOF
    done
    if [ -z "$only" ]; then
      l1f_lb_manifests
    fi
  } >"$file.tmp"
  mv "$file.tmp" "$file"
}

l1f_lb_manifests() {
  local ip i=0
  cat <<'EOF'
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: lan, namespace: metallb-system}
spec:
  addresses: [198.51.100.200-198.51.100.209]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: lan, namespace: metallb-system}
spec:
  ipAddressPools: [lan]
EOF
  for ip in "${L1F_VIPS[@]}"; do
    cat <<EOF
---
apiVersion: v1
kind: Service
metadata: {name: web-$i, namespace: demo}
spec:
  type: LoadBalancer
  ports: [{port: 80, protocol: TCP}]
status:
  loadBalancer:
    ingress:
    - ip: "$ip"
EOF
    i=$((i + 1))
  done
}

l1f_topology() {
  l1t_add_ns "$L1T_NS_LAN"
  l1t_add_ns "$L1T_NS_CLIENT"
  ip -n "$L1T_NS_LAN" link add br0 type bridge stp_state 0 mcast_snooping 0
  ip -n "$L1T_NS_LAN" link set br0 up
  if [ -n "$L1F_MESH_NET" ]; then
    ip -n "$L1T_NS_LAN" link add br-mesh type bridge stp_state 0 mcast_snooping 0
    ip -n "$L1T_NS_LAN" link set br-mesh up
  fi
  l1t_attach "$L1T_NS_CLIENT" eth-client "$L1T_CLIENT_MAC" p-client
  ip -n "$L1T_NS_CLIENT" addr add 198.51.100.1/24 dev eth-client
  ip -n "$L1T_NS_CLIENT" link set eth-client up
  local n ns vip
  for n in "${L1F_NODES[@]}"; do
    ns=$(l1f_ns "$n")
    l1t_add_ns "$ns"
    l1t_attach "$ns" eth-node "${L1F_MAC[$n]}" "$(l1f_port "$n")"
    ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
    ip -n "$ns" addr add "${L1F_IP[$n]}/24" dev eth-node
    for vip in "${L1F_VIPS[@]}"; do
      ip -n "$ns" addr add "$vip/32" dev lo
    done
    ip -n "$ns" link set eth-node up
    if [ -n "$L1F_MESH_NET" ]; then
      ip -n "$L1T_NS_LAN" link add "m-$n" type veth peer name eth-mesh netns "$ns"
      ip -n "$ns" link set eth-mesh address "${L1F_MESH_MAC[$n]}"
      ip -n "$L1T_NS_LAN" link set "m-$n" master br-mesh up
      ip -n "$ns" addr add "${L1F_MESH_IP[$n]}/24" dev eth-mesh
      ip -n "$ns" link set eth-mesh up
    fi
  done
  local i
  for i in $(seq 50); do
    if ! ip -n "$L1T_NS_CLIENT" link show eth-client | grep -q LOWER_UP; then
      sleep 0.1
      continue
    fi
    for n in "${L1F_NODES[@]}"; do
      ip -n "$(l1f_ns "$n")" link show eth-node | grep -q LOWER_UP || continue 2
    done
    return 0
  done
  l1f_fail "veth links did not come up"
}

# l1f_key FILE: a fresh random mesh key.
l1f_key() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$1"; }

# l1f_start NODE [extra flags]: starts NODE's speaker (key $L1T_TMP/mesh.key) and waits for its
# control socket.
l1f_start() {
  local n=$1
  shift
  local ns
  ns=$(l1f_ns "$n")
  rm -f "$(l1f_sock "$n")"
  ip netns exec "$ns" "$L1T_SPEAKER" --node "$n" --manifests "$L1T_TMP/manifests.yaml" \
    --control-socket "$(l1f_sock "$n")" --metrics-addr 127.0.0.1:17473 \
    --mesh-key-file "$L1T_TMP/mesh.key" --mesh-bind "$(l1f_mesh_ip "$n"):7947" \
    ${L1F_MESH_NET:+--interfaces-exclude ^eth-mesh$} --garp-refresh 0 --log-level "${L1F_LOG_LEVEL:-info}" \
    ${L1F_SPEAKER_FLAGS[@]+"${L1F_SPEAKER_FLAGS[@]}"} "$@" >>"$(l1f_log_of "$n")" 2>&1 &
  L1F_PID[$n]=$!
  L1T_PIDS+=("$!")
  l1t_wait_control "$(l1f_sock "$n")" "${L1F_PID[$n]}" "$n's speaker" l1f_fail 200 0.025
}

l1f_start_all() {
  local n
  for n in "${L1F_NODES[@]}"; do
    l1f_start "$n" "$@"
  done
}

# l1f_setup: the topology, a fresh $L1T_TMP/mesh.key and $L1T_TMP/manifests.yaml; no speaker yet.
l1f_setup() {
  l1f_topology
  l1f_key "$L1T_TMP/mesh.key"
  l1f_manifests "$L1T_TMP/manifests.yaml"
}

# l1f_start_cluster [extra flags]: starts every node's speaker and waits until each sees all
# the others alive.
l1f_start_cluster() {
  l1f_start_all "$@"
  l1f_wait_mesh $((${#L1F_NODES[@]} - 1)) "${L1F_NODES[@]}"
}

# Number of mesh members NODE sees alive (self excluded).
l1f_alive_peers() {
  l1f_ctl "$1" -o json members 2>/dev/null | jq '[.[] | select(.self | not) | select(.state == "alive")] | length'
}

# l1f_wait_mesh N NODES...: every NODE sees N peers alive (10 s at most).
l1f_wait_mesh() {
  local want=$1 n i
  shift
  for n in "$@"; do
    for i in $(seq 250); do
      [ "$(l1f_alive_peers "$n")" != "$want" ] || continue 2
      sleep 0.04
    done
    l1f_fail "$n does not see $want live peers: $(l1f_ctl "$n" -o json members 2>&1)"
  done
}

# MAC that answers ARP for IP on the client ("" when nobody answers within 1 s).
l1f_arping_mac() {
  ip netns exec "$L1T_NS_CLIENT" arping -c 1 -w 1 -I eth-client "$1" 2>/dev/null |
    sed -n 's/.*reply from [0-9.]* \[\([0-9A-Fa-f:]*\)\].*/\1/p' | head -n 1 | tr 'A-F' 'a-f'
}

# Lower-case MAC of the client's neighbour entry for IP ("" when none); lib.sh's l1t_neigh_mac
# under the name the failover scripts (and scripts/demo.sh) use.
l1f_neigh_mac() { l1t_neigh_mac "$1"; }

# l1f_client_at VIP NODE: the client's neighbour entry for VIP holds NODE's MAC.
l1f_client_at() { [ "$(l1f_neigh_mac "$1")" = "${L1F_MAC[$2]}" ]; }

# l1f_wait_client_at VIP NODE TRIES INTERVAL: polls l1f_client_at up to TRIES times, INTERVAL
# seconds apart; prints the time (l1t_now) it first held, or returns 1 if it never did.
l1f_wait_client_at() {
  local vip=$1 node=$2 tries=$3 interval=$4 i
  for i in $(seq "$tries"); do
    if l1f_client_at "$vip" "$node"; then
      l1t_now
      return 0
    fi
    sleep "$interval"
  done
  return 1
}

# l1f_member_state OBSERVER NODE: NODE's mesh state as OBSERVER sees it (alive, dead, left, ...).
l1f_member_state() {
  l1f_ctl "$1" -o json members | jq -r --arg n "$2" '.[] | select(.name == $n) | .state'
}

# l1f_announces NODE IP: NODE's speaker announces IP (speakerctl status).
l1f_announces() {
  l1f_ctl "$1" -o json status | jq -e --arg ip "$2" 'any(.announced[]; .ip == $ip)' >/dev/null
}

# l1f_cut NODE / l1f_uncut NODE: unplug / replug NODE's cable (its bridge port): a crashed node.
l1f_cut() { ip -n "$L1T_NS_LAN" link set "$(l1f_port "$1")" down; }
l1f_uncut() { ip -n "$L1T_NS_LAN" link set "$(l1f_port "$1")" up; }

# l1f_isolate NODE / l1f_rejoin NODE: a partition: NODE's bridge port stops / resumes forwarding
# (STP state disabled / forwarding) while every link keeps its carrier.
l1f_isolate() { bridge -n "$L1T_NS_LAN" link set dev "$(l1f_port "$1")" state 0; }
l1f_rejoin() { bridge -n "$L1T_NS_LAN" link set dev "$(l1f_port "$1")" state 3; }

# Prometheus sample value (0 when absent): l1f_metric NODE 'name{labels}'
l1f_metric() {
  ip netns exec "$(l1f_ns "$1")" curl -sf "http://127.0.0.1:17473/metrics" |
    awk -v k="$2" '$1 == k { print $2; found = 1 } END { if (!found) print 0 }'
}
