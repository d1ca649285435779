#!/usr/bin/env bash
# Malformed frames on the wire (truncated ARP, wrong hardware type, ICMPv6 NS with a bad
# checksum, NS with a bad hop limit, an ARP Request to someone else's MAC) are dropped, counted by
# reason (speakerctl stats and l1net_layer2_dropped_total), never answered, and the speaker keeps
# answering well-formed requests. Frames are written by python3 on an AF_PACKET socket in the
# client namespace.
# Usage: bash tests/integration/speaker_malformed_test.sh BUILD_DIR  (root; exit 77 = skipped)
source "$(dirname "$0")/lib.sh"
l1t_require arping python3 tcpdump jq

l1t_topology
l1t_manifests "$L1T_TMP/manifests.yaml" "$L1T_VIP4" "$L1T_VIP6"
l1t_start_speaker "$L1T_TMP/manifests.yaml"
sleep 2.3  # past the gratuitous burst, so every frame the node sends below is a reply

before=$(l1t_ctl -o json stats)
l1t_node tcpdump -l -n -i eth-node -Q out 'arp or (icmp6 and ip6[40] == 136)' >"$L1T_TMP/node-out.txt" 2>/dev/null &
L1T_PIDS+=($!)
sleep 0.5

l1t_client python3 - "$L1T_CLIENT_MAC" "$L1T_NODE_MAC" <<'EOF'
import socket, struct, sys

client = bytes.fromhex(sys.argv[1].replace(":", ""))
node = bytes.fromhex(sys.argv[2].replace(":", ""))
bcast = b"\xff" * 6
vip4 = socket.inet_aton("198.51.100.200")
cip4 = socket.inet_aton("198.51.100.1")
vip6 = socket.inet_pton(socket.AF_INET6, "2001:db8::200")
cip6 = socket.inet_pton(socket.AF_INET6, "2001:db8::1")
group = socket.inet_pton(socket.AF_INET6, "ff02::1:ff00:200")
gmac = bytes.fromhex("3333ff000200")

def arp(htype=1, dst=bcast):
    body = struct.pack("!HHBBH", htype, 0x0800, 6, 4, 1) + client + cip4 + b"\0" * 6 + vip4
    return dst + client + b"\x08\x06" + body

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def ns(hlim=255, corrupt=False, short=False):
    icmp = struct.pack("!BBHI", 135, 0, 0, 0) + vip6 + b"\x01\x01" + client
    if short:
        icmp = icmp[:12]
    pseudo = cip6 + group + struct.pack("!I3xB", len(icmp), 58)
    c = csum(pseudo + icmp) ^ (0x5555 if corrupt else 0)
    icmp = icmp[:2] + struct.pack("!H", c) + icmp[4:]
    ip6 = struct.pack("!IHBB", 6 << 28, len(icmp), 58, hlim) + cip6 + group
    return gmac + client + b"\x86\xdd" + ip6 + icmp

frames = {
    # An ARP cut short never passes the kernel filter (it reads the target IP at offset 38), and
    # a bridge with netfilter drops an IPv6 packet shorter than its payload length: an NS whose
    # ICMPv6 message ends inside the target (12 of 24 bytes, lengths consistent) reaches the
    # planner, which drops it as truncated.
    "truncated": ns(short=True),
    "unsupported": arp(htype=6),                   # IEEE 802 hardware type
    "bad_checksum": ns(corrupt=True),
    "bad_hop_limit": ns(hlim=64),
    "wrong_destination": arp(dst=bytes.fromhex("020000000077")),
}
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth-client", 0))
for name, f in frames.items():
    for _ in range(3):
        s.send(f)
print("sent", ", ".join("3x " + n for n in frames))
EOF
sleep 0.5

after=$(l1t_ctl -o json stats)
for reason in truncated unsupported bad_checksum bad_hop_limit wrong_destination; do
  b=$(echo "$before" | jq ".drops.$reason")
  a=$(echo "$after" | jq ".drops.$reason")
  [ $((a - b)) -ge 3 ] || l1t_fail "drops.$reason went $b -> $a, expected +3"
  # Read the whole page first: grep -q closing the pipe early would fail curl under pipefail.
  metrics=$(l1t_metrics)
  grep -qE "^l1net_layer2_dropped_total\{reason=\"$reason\"\} [0-9]+" <<<"$metrics" ||
    l1t_fail "no l1net_layer2_dropped_total series for $reason"
  l1t_pass "dropped and counted: $reason ($b -> $a)"
done
sent=$(grep -cE "ARP|advertisement" "$L1T_TMP/node-out.txt" || true)
[ "$sent" -eq 0 ] || l1t_fail "the node answered malformed frames: $(cat "$L1T_TMP/node-out.txt")"
l1t_pass "nothing sent in answer"

out=$(l1t_client arping -c 2 -w 3 -I eth-client "$L1T_VIP4" 2>&1) ||
  l1t_fail "speaker stopped answering after malformed frames: $out"
kill -0 "$L1T_SPEAKER_PID" || l1t_fail "speaker died"
l1t_pass "still answering well-formed requests"

l1t_stop_speaker || l1t_fail "speaker did not exit cleanly"
l1t_log "PASS"
