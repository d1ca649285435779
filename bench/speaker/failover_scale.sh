#!/usr/bin/env bash
# failover_scale: three speakers (tests/integration/failover_lib.sh topology, default heartbeat
# timing: dead after 500 ms) announce 3,000 IPv6 VIPs (2001:db8::1:0/116 range, one service each,
# MetalLB ranking spreads them ~1,000 per node). The client holds a neighbour entry for every VIP
# at its owner's MAC. Then the owner of the most VIPs loses its cable and is killed with SIGKILL
# at t0; tcpdump on the client (kernel timestamps) gives, for that node's VIPs, the arrival of the
# first and of the last unsolicited NA (Override) from the new owners, which is when the client's
# entry moves; afterwards every entry is checked to hold the new owner's MAC.
# Usage: failover_scale.sh BUILD_DIR [VIPS]   (root; exit 77 = skipped)
source "$(dirname "$0")/../../tests/integration/failover_lib.sh"
N=${2:-3000}
if [ "$(id -u)" -ne 0 ]; then
  echo "failover_scale: skipped (needs root for network namespaces)"
  exit 77
fi
l1t_require jq tcpdump python3
bench() { printf 'BENCH name=%s value=%s unit=%s\n' "$1" "$2" "$3"; }
L1F_LOG_LEVEL=warn
l1f_topology
l1f_key "$L1T_TMP/mesh.key"
ip -n "$L1T_NS_CLIENT" addr add 2001:db8::1/64 dev eth-client nodad
i=0
for n in "${L1F_NODES[@]}"; do
  i=$((i + 1))
  ip -n "$(l1f_ns "$n")" addr add "2001:db8::1$i/64" dev eth-node nodad
done
# VIPs, their ranking owner (sha256(node#ip), as l1f_rank) and the manifests.
python3 - "$N" "$L1T_TMP" "${L1F_NODES[@]}" <<'PY'
import hashlib, ipaddress, sys
n, tmp, nodes = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
base = int(ipaddress.IPv6Address("2001:db8::1:0"))
with open(f"{tmp}/lb.yaml", "w") as y, open(f"{tmp}/owners", "w") as o:
    y.write("""---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: lan, namespace: metallb-system}
spec:
  addresses: ["2001:db8::1:0/112"]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: lan, namespace: metallb-system}
spec:
  ipAddressPools: [lan]
""")
    for i in range(n):
        ip = str(ipaddress.IPv6Address(base + i))
        owner = sorted(nodes, key=lambda nd: hashlib.sha256(f"{nd}#{ip}".encode()).hexdigest())[0]
        o.write(f"{ip} {owner}\n")
        y.write(f"""---
apiVersion: v1
kind: Service
metadata: {{name: web-{i}, namespace: demo}}
spec:
  type: LoadBalancer
  ports: [{{port: 80, protocol: TCP}}]
status:
  loadBalancer:
    ingress: [{{ip: "{ip}"}}]
""")
PY
l1f_manifests "$L1T_TMP/manifests.yaml" nodes-only
cat "$L1T_TMP/lb.yaml" >>"$L1T_TMP/manifests.yaml"
victim=$(awk '{print $2}' "$L1T_TMP/owners" | sort | uniq -c | sort -rn | head -1 | awk '{print $2}')
count=$(awk -v v="$victim" '$2 == v' "$L1T_TMP/owners" | wc -l)
l1f_start_cluster
# Every node announces its share, then the client learns every VIP at its owner's MAC.
for n in "${L1F_NODES[@]}"; do
  want=$(awk -v v="$n" '$2 == v' "$L1T_TMP/owners" | wc -l)
  l1t_wait_for 60 sh -c "[ \"\$('$L1T_CTL' --socket '$(l1f_sock "$n")' -o json status | jq '.announced | length')\" -eq $want ]" ||
    l1f_fail "$n does not announce its $want VIPs"
done
sleep 2.5  # gratuitous bursts over
awk -v client=eth-client '{ print $1 }' "$L1T_TMP/owners" | while read -r ip; do
  own=$(grep "^$ip " "$L1T_TMP/owners" | cut -d' ' -f2)
  echo "neigh replace $ip lladdr ${L1F_MAC[$own]} dev eth-client nud stale"
done >"$L1T_TMP/neigh.batch"
# Best effort: gc_thresh3 (1024 by default, not per namespace) caps the table; the timing comes
# from the NAs on the wire, the entries only serve the after-the-fact check.
ip -n "$L1T_NS_CLIENT" -6 -force -batch "$L1T_TMP/neigh.batch" 2>/dev/null || true
cap="$L1T_TMP/cap.txt"
l1t_client tcpdump -l -n -tt -e --immediate-mode -B 65536 -i eth-client \
  "icmp6 and ip6[40] == 136 and not ether src ${L1F_MAC[$victim]}" >"$cap" 2>"$L1T_TMP/cap.err" &
cap_pid=$!
for i in $(seq 200); do grep -q "listening on" "$L1T_TMP/cap.err" && break; sleep 0.01; done
sleep 0.3
l1f_cut "$victim"
t0=$EPOCHREALTIME
kill -KILL "${L1F_PID[$victim]}"
wait "${L1F_PID[$victim]}" 2>/dev/null || true
L1F_PID[$victim]=""
sleep 4
kill "$cap_pid" 2>/dev/null || true
wait "$cap_pid" 2>/dev/null || true
awk -v v="$victim" '$2 == v { print $1 }' "$L1T_TMP/owners" | sort >"$L1T_TMP/moved"
# first NA per target after t0 ("... tgt is IP, ...")
awk -v t="$t0" '$1 > t { for (i = 1; i < NF; i++) if ($i == "is" && $(i - 1) == "tgt") { ip = $(i + 1); sub(/,$/, "", ip); if (!(ip in seen)) { seen[ip] = 1; print ip, ($1 - t) * 1000 } } }' "$cap" |
  sort >"$L1T_TMP/first_na"
join "$L1T_TMP/moved" "$L1T_TMP/first_na" | sort -k2 -g >"$L1T_TMP/times"
got=$(wc -l <"$L1T_TMP/times")
first=$(head -1 "$L1T_TMP/times" | awk '{printf "%.1f", $2}')
last=$(tail -1 "$L1T_TMP/times" | awk '{printf "%.1f", $2}')
# The client's entries, checked after the fact.
ip -n "$L1T_NS_CLIENT" -6 neigh show dev eth-client >"$L1T_TMP/neigh.after"
stale=$(awk -v m="${L1F_MAC[$victim]}" 'index($0, m)' "$L1T_TMP/neigh.after" | wc -l)
spread=$(awk -v a="$first" -v b="$last" 'BEGIN { printf "%.1f", b - a }')
echo "failover_scale: $N VIPs on 3 nodes, $victim owned $count; cable cut + SIGKILL at t0; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  unsolicited NA seen by the client for $got of $count moved VIPs"
echo "  t0 -> first VIP moved ${first} ms, last VIP moved ${last} ms (spread ${spread} ms)"
echo "  client entries still at the dead node's MAC afterwards: $stale"
bench failover_scale_first_ms "$first" ms
bench failover_scale_last_ms "$last" ms
bench failover_scale_spread_ms "$spread" ms
bench failover_scale_moved "$got" vips
bench failover_scale_entries_left_behind "$stale" entries
