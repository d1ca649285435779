#!/usr/bin/env bash
# The speaker needs CAP_NET_RAW and nothing else: run it as an unprivileged user (nobody) whose
# only capability is an ambient CAP_NET_RAW (as systemd's AmbientCapabilities=CAP_NET_RAW), and
# check it opens its AF_PACKET socket, attaches the BPF filter, joins the solicited-node group
# (no socket errors) and answers ARP and NDP. CAP_NET_ADMIN is not needed: SO_ATTACH_FILTER,
# PACKET_ADD_MEMBERSHIP and rtnetlink multicast groups are all unprivileged per socket. Then the
# responder thread's realtime priority: refused without CAP_SYS_NICE or RLIMIT_RTPRIO (status says
# so), granted by CAP_SYS_NICE (the chart) and by an RLIMIT_RTPRIO of 10 alone (systemd's
# LimitRTPRIO=10).
# Usage: bash tests/integration/speaker_caps_test.sh BUILD_DIR  (root; exit 77 = skipped)
source "$(dirname "$0")/lib.sh"
l1t_require setpriv prlimit arping ndisc6 jq

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

status=$(l1t_ctl status)
grep -q '^responder thread: normal priority (SCHED_FIFO priority 10 refused: ' <<<"$status" ||
  l1t_fail "without CAP_SYS_NICE or RLIMIT_RTPRIO the status must say the responder runs at normal priority: $status"
l1t_pass "no CAP_SYS_NICE, no RLIMIT_RTPRIO: the responder runs at normal priority and says why"
l1t_stop_speaker || l1t_fail "speaker did not exit cleanly"

# responder_is_fifo10 WHAT: the responder thread runs SCHED_FIFO 10 (the kernel's view: stat fields
# 40 rt_priority and 41 policy, 1 = SCHED_FIFO), the status says so, CapEff is CAPS, and ARP is
# answered.
responder_is_fifo10() {
  local pid tid prio policy capeff
  pid=$(pgrep -f -n -- "--control-socket $L1T_SOCK") || l1t_fail "speaker pid not found"
  capeff=$(awk '/^CapEff/ { print $2 }' "/proc/$pid/status")
  [ "$((16#$capeff))" -eq "$2" ] || l1t_fail "$1: effective capabilities $capeff"
  tid=$(grep -lx responder /proc/"$pid"/task/*/comm | cut -d/ -f5)
  [ -n "$tid" ] || l1t_fail "$1: no thread named responder"
  read -r prio policy < <(sed 's/.*) //' "/proc/$pid/task/$tid/stat" | awk '{ print $38, $39 }')
  [ "$prio $policy" = "10 1" ] ||
    l1t_fail "$1: responder thread rt_priority $prio policy $policy, want 10 1 (SCHED_FIFO)"
  l1t_ctl status | grep -qx 'responder thread: SCHED_FIFO priority 10' ||
    l1t_fail "$1: status does not say SCHED_FIFO priority 10: $(l1t_ctl status)"
  out=$(l1t_client arping -c 2 -w 3 -I eth-client "$L1T_VIP4" 2>&1) || l1t_fail "$1: no ARP reply: $out"
  l1t_pass "$1: the responder thread runs SCHED_FIFO 10 and answers"
}

# As the chart runs it: CAP_NET_RAW and CAP_SYS_NICE.
L1T_SPEAKER_WRAP=(setpriv "--reuid=$user_uid" "--regid=$user_gid" --clear-groups
  --inh-caps=-all,+net_raw,+sys_nice --ambient-caps=-all,+net_raw,+sys_nice
  --bounding-set=-all,+net_raw,+sys_nice --)
l1t_start_speaker "$L1T_TMP/manifests.yaml"
responder_is_fifo10 "CAP_NET_RAW + CAP_SYS_NICE" $(((1 << 13) | (1 << 23)))
l1t_stop_speaker || l1t_fail "speaker did not exit cleanly"

# As the systemd unit runs it: LimitRTPRIO=10 and CAP_NET_RAW alone. Raising the limit needs
# CAP_SYS_RESOURCE, which some containers lack: then this part is skipped, and says so.
if prlimit --rtprio=10:10 true 2>/dev/null; then
  L1T_SPEAKER_WRAP=(prlimit --rtprio=10:10 setpriv "--reuid=$user_uid" "--regid=$user_gid"
    --clear-groups --inh-caps=-all,+net_raw --ambient-caps=-all,+net_raw
    --bounding-set=-all,+net_raw --)
  l1t_start_speaker "$L1T_TMP/manifests.yaml"
  responder_is_fifo10 "RLIMIT_RTPRIO 10, CAP_NET_RAW only" $((1 << 13))
  l1t_stop_speaker || l1t_fail "speaker did not exit cleanly"
else
  l1t_log "SKIP RLIMIT_RTPRIO part: this process cannot raise RLIMIT_RTPRIO (no CAP_SYS_RESOURCE)"
fi
l1t_log "PASS"
