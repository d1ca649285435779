#!/usr/bin/env bash
# The speaker needs CAP_NET_RAW and nothing else: run it as an unprivileged user (nobody) whose
# only capability is an ambient CAP_NET_RAW (as systemd's AmbientCapabilities=CAP_NET_RAW), and
# check it opens its AF_PACKET socket, attaches the BPF filter, joins the solicited-node group
# (no socket errors) and answers ARP and NDP. CAP_NET_ADMIN is not needed: SO_ATTACH_FILTER,
# PACKET_ADD_MEMBERSHIP and rtnetlink multicast groups are all unprivileged per socket.
# Usage: bash tests/integration/speaker_caps_test.sh BUILD_DIR  (root; exit 77 = skipped)
source "$(dirname "$0")/lib.sh"
l1t_require setpriv arping ndisc6 jq

user_uid=$(id -u nobody 2>/dev/null) || l1t_skip "no user nobody"
user_gid=$(id -g nobody)
l1t_topology
chmod 0755 "$L1T_TMP"
mkdir -m 0755 "$L1T_TMP/run"
chown "$user_uid:$user_gid" "$L1T_TMP/run"
l1t_manifests "$L1T_TMP/manifests.yaml" "$L1T_VIP4" "$L1T_VIP6"
chmod 0644 "$L1T_TMP/manifests.yaml"
L1T_SPEAKER_WRAP=(setpriv "--reuid=$user_uid" "--regid=$user_gid" --clear-groups
  --inh-caps=-all,+net_raw --ambient-caps=-all,+net_raw --bounding-set=-all,+net_raw --)
l1t_start_speaker "$L1T_TMP/manifests.yaml"

pid=$(pgrep -f -n -- "--control-socket $L1T_SOCK") || l1t_fail "speaker pid not found"
capeff=$(awk '/^CapEff/ { print $2 }' "/proc/$pid/status")
[ "$((16#$capeff))" -eq $((1 << 13)) ] || l1t_fail "effective capabilities $capeff, want CAP_NET_RAW only"
[ "$(stat -c %u "/proc/$pid")" -eq "$user_uid" ] || l1t_fail "speaker does not run as nobody"
l1t_pass "speaker runs as uid $user_uid with CapEff=$capeff (CAP_NET_RAW only)"

out=$(l1t_client arping -c 2 -w 3 -I eth-client "$L1T_VIP4" 2>&1) || l1t_fail "no ARP reply: $out"
out=$(l1t_client ndisc6 -1 -r 3 -w 1000 "$L1T_VIP6" eth-client 2>&1) || l1t_fail "no NA: $out"
[ "$(l1t_ctl -o json stats | jq .socket_errors)" -eq 0 ] || l1t_fail "socket errors: $(l1t_ctl stats)"
l1t_pass "ARP and NDP answered, no socket errors (filter attached, multicast group joined)"

l1t_stop_speaker || l1t_fail "speaker did not exit cleanly"
l1t_log "PASS"
