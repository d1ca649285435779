#!/usr/bin/env bash
# make demo, part 2 (root): three speakers and a client on one bridge, all inside network
# namespaces this script creates and deletes on exit. Documentation ranges only.
# Usage: demo-l2.sh BUILD_DIR STATE_FILE POOLS_FILE
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
state=$(readlink -f "$2")
pools=$(readlink -f "$3")
# The netns helpers of the integration tests (topology, speakers, cleanup trap).
source "$here/../tests/integration/failover_lib.sh" "$1"
[ "$(id -u)" -eq 0 ] || l1t_skip "the L2 part needs root (network namespaces, raw sockets)"
l1t_require arping ndisc6 ping jq sha256sum

# The IPv4 VIPs the controller allocated, from its state file.
mapfile -t L1F_VIPS < <(awk '/ingress:/ {on = 1} on && /- ip:/ {print $3} /^---/ {on = 0}' \
  "$state" | grep -v ':' | sort -u)
vip6=$(awk '/- ip:/ {print $3}' "$state" | grep ':' | head -n 1)
echo "== allocated IPv4 VIPs: ${L1F_VIPS[*]}; IPv6: ${vip6:-none}"

l1f_topology
ip -n "$L1T_NS_CLIENT" addr add 2001:db8::1/64 dev eth-client nodad
# The reserved pool (203.0.113.0/28) is on the same LAN, off the client's subnet: on-link route.
ip -n "$L1T_NS_CLIENT" route add 203.0.113.0/28 dev eth-client
l1f_manifests "$L1T_TMP/nodes.yaml" nodes-only
l1f_key "$L1T_TMP/mesh.key"

start_node() {
  local n=$1 ns
  ns=$(l1f_ns "$n")
  ip netns exec "$ns" "$L1T_SPEAKER" --node "$n" --manifests "$L1T_TMP/nodes.yaml" \
    --manifests "$pools" --manifests "$state" --control-socket "$(l1f_sock "$n")" \
    --metrics-addr 127.0.0.1:17473 --mesh-key-file "$L1T_TMP/mesh.key" \
    --mesh-bind "${L1F_IP[$n]}:7947" --log-level warn >>"$(l1f_log_of "$n")" 2>&1 &
  L1F_PID[$n]=$!
  L1T_PIDS+=("$!")
}
for n in "${L1F_NODES[@]}"; do start_node "$n"; done
for n in "${L1F_NODES[@]}"; do
  l1t_wait_for 10 l1f_ctl "$n" status || l1f_fail "$n's speaker did not start"
done
l1f_wait_mesh 2 "${L1F_NODES[@]}"

echo
echo "== speakerctl members (node-a)"
l1f_ctl node-a members
echo
echo "== who answers ARP, seen from the client, against MetalLB's ranking sha256(node#ip)"
for vip in "${L1F_VIPS[@]}"; do
  l1t_wait_for 5 test -n "$(l1f_arping_mac "$vip")" || true
  mac=$(l1f_arping_mac "$vip")
  want=$(l1f_rank "$vip" "${L1F_NODES[@]}" | head -n 1)
  printf '  %-15s answered by %-8s (%s)   ranking says %s\n' "$vip" "$(l1f_node_of_mac "$mac")" \
    "$mac" "$want"
done
if [ -n "$vip6" ]; then
  echo
  echo "== ndisc6 $vip6 from the client"
  ip netns exec "$L1T_NS_CLIENT" ndisc6 -1 -r 3 -w 500 "$vip6" eth-client | sed 's/^/  /'
fi

vip=${L1F_VIPS[0]}
owner=$(l1f_node_of_mac "$(l1f_arping_mac "$vip")")
echo
echo "== speakerctl explain $vip on $owner"
l1f_ctl "$owner" explain "$vip" | sed 's/^/  /'
echo
echo "== failover: the client pings $vip every 10 ms; kill -9 of $owner's speaker"
ip netns exec "$L1T_NS_CLIENT" ping -D -i 0.01 -W 1 "$vip" >"$L1T_TMP/ping.log" 2>&1 &
L1T_PIDS+=("$!")
sleep 1
# The owner's node goes away as a crashed host would: its cable is pulled, its daemon killed.
t0=$(date +%s.%N)
l1f_cut "$owner"
kill -9 "${L1F_PID[$owner]}"
wait "${L1F_PID[$owner]}" 2>/dev/null || true
sleep 2
new=$(l1f_node_of_mac "$(l1f_neigh_mac "$vip")")
first=$(awk -v t="$t0" '/bytes from/ { gsub(/[\[\]]/, "", $1); if ($1 + 0 > t + 0) { print $1; exit } }' \
  "$L1T_TMP/ping.log")
echo "  client neighbour entry for $vip now: $(l1f_neigh_mac "$vip") ($new)"
if [ -n "$first" ]; then
  echo "  first ping reply after the kill: $(l1t_elapsed_ms "$t0" "$first") ms (default 100 ms x 5 heartbeats)"
else
  echo "  no ping reply after the kill"
fi
echo
echo "== speakerctl members (${new:-node-b}) after the crash"
l1f_ctl "${new:-node-b}" members
