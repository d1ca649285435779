#!/usr/bin/env bash
# MLD memberships at scale (issue 11): more IPv6 VIPs than one socket's option memory holds
# (net.core.optmem_max; a membership costs about 64 bytes of it, so a single socket fails with
# ENOMEM past roughly optmem_max / 64 groups).
#   - every VIP's solicited-node group is joined at the IP layer on the node's interface
#     (`ip -6 maddr`: what the kernel reports over MLD to snooping switches), no join failed;
#   - the last VIP of the manifest resolves over NDP from a real Linux client;
#   - after a reload down to 10 VIPs only their groups remain, and the emptied sockets are closed.
# Usage: bash tests/integration/speaker_mld_scale_test.sh BUILD_DIR  (root; exit 77 = skipped)
source "$(dirname "$0")/lib.sh"
l1t_require ndisc6 python3

optmem=$(sysctl -n net.core.optmem_max)
count=$((optmem / 48 + 500))
[ "$count" -le 20000 ] || count=20000
l1t_log "net.core.optmem_max=$optmem: $count IPv6 VIPs"

l1t_topology
m="$L1T_TMP/manifests.yaml"
# manifests FILE N: N Services of one IPv6 VIP each, 2001:db8:1::1:0 upwards (distinct
# solicited-node groups); writes the VIPs' groups, sorted, to FILE.groups.
manifests() {
  python3 - "$2" "$1.groups" <<'PY' | python3 "$L1T_LIB_DIR/lb_services.py" scale 2001:db8:1::/96 >"$1.tmp"
import ipaddress, sys
n, groups_file = int(sys.argv[1]), sys.argv[2]
base = int(ipaddress.IPv6Address("2001:db8:1::1:0"))
solicited = int(ipaddress.IPv6Address("ff02::1:ff00:0"))
vips = [ipaddress.IPv6Address(base + i) for i in range(n)]
print("\n".join(str(v) for v in vips))
with open(groups_file, "w") as f:
    f.write("\n".join(sorted(str(ipaddress.IPv6Address(solicited | (int(v) & 0xFFFFFF))) for v in vips)) + "\n")
PY
  mv "$1.tmp" "$1"
}
# The IP-level groups joined on the node's interface, sorted.
joined() { l1t_node ip -6 maddr show dev eth-node | awk '$1 == "inet6" { print $2 }' | sort -u; }
missing() { comm -23 "$1" <(joined) | wc -l; }
extra_vip_groups() { # joined solicited-node groups of 2001:db8:1::/96 VIPs not in FILE
  comm -13 "$1" <(joined) | grep -c '^ff02::1:ff01:' || true
}

manifests "$m" "$count"
last=$(python3 -c "import ipaddress; print(ipaddress.IPv6Address(int(ipaddress.IPv6Address('2001:db8:1::1:0')) + $count - 1))")
l1t_start_speaker "$m"
all_joined() { [ "$(missing "$m.groups")" -eq 0 ]; }
l1t_wait_for 60 all_joined ||
  l1t_fail "$(missing "$m.groups") of $count solicited-node groups not joined on eth-node"
failed=$(grep -c 'no MLD membership' "$L1T_TMP/speaker.log" || true)
[ "$failed" -eq 0 ] || l1t_fail "$failed MLD joins failed: $(grep -m 3 'no MLD membership' "$L1T_TMP/speaker.log")"
l1t_pass "all $count solicited-node groups joined at the IP layer (ip -6 maddr), no join failed"

out=$(l1t_client ndisc6 -1 -r 3 -w 1000 "$last" eth-client 2>&1) || l1t_fail "ndisc6 $last failed: $out"
echo "$out" | grep -qi "$L1T_NODE_MAC" || l1t_fail "ndisc6 did not return $L1T_NODE_MAC for $last: $out"
l1t_pass "ndisc6: the last VIP $last is at $L1T_NODE_MAC"

fds_before=$(ls "/proc/$L1T_SPEAKER_PID/fd" | wc -l)
manifests "$m" 10
only_ten() { [ "$(missing "$m.groups")" -eq 0 ] && [ "$(extra_vip_groups "$m.groups")" -eq 0 ]; }
l1t_wait_for 60 only_ten ||
  l1t_fail "after the reload to 10 VIPs: $(missing "$m.groups") missing, $(extra_vip_groups "$m.groups") left joined"
fds_after=$(ls "/proc/$L1T_SPEAKER_PID/fd" | wc -l)
[ "$fds_after" -lt "$fds_before" ] ||
  l1t_fail "the emptied membership sockets stayed open: $fds_before fds before, $fds_after after"
l1t_pass "reload to 10 VIPs: only their groups remain joined; fds $fds_before -> $fds_after"
kill -0 "$L1T_SPEAKER_PID" || l1t_fail "the speaker died"
l1t_pass "MLD memberships at scale"
