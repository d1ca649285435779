#!/usr/bin/env python3
"""Loss and jitter for the packets an iptables NFQUEUE rule hands over (bench/mesh_stress).

This kernel has no sch_netem, so `tc qdisc ... netem` is not available. This helper does the same
job for the mesh datagrams: it binds an nfnetlink queue in the network namespace it runs in,
drops each packet with probability LOSS and releases the others after a delay drawn uniformly
from [DELAY - JITTER, DELAY + JITTER] milliseconds (independently per packet, so packets may be
reordered, as with netem's jitter). Verdicts are given by packet id, in any order.

Usage: impair.py QUEUE LOSS DELAY_MS JITTER_MS STATS_FILE
Every second it rewrites STATS_FILE with "seen=N dropped=N delayed=N mean_delay_ms=X".
Runs until SIGTERM. Raw netlink (no library): nfnetlink_queue messages as in
<linux/netfilter/nfnetlink_queue.h>.
"""
import heapq
import os
import random
import select
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS = 1, 2
NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NF_DROP, NF_ACCEPT = 0, 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2


def attr(kind, payload):
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * ((4 - length % 4) % 4)


def message(msg, queue, attrs, flags=NLM_F_REQUEST):
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + b"".join(attrs)
    kind = (NFNL_SUBSYS_QUEUE << 8) | msg
    return struct.pack("=IHHII", 16 + len(body), kind, flags, 0, 0) + body


def main():
    queue, loss, delay, jitter, stats_file = (int(sys.argv[1]), float(sys.argv[2]),
                                              float(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.bind((0, 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    cmd = struct.pack("=BBH", NFQNL_CFG_CMD_BIND, 0, socket.htons(socket.AF_INET))
    sock.send(message(NFQNL_MSG_CONFIG, queue, [attr(NFQA_CFG_CMD, cmd)], NLM_F_REQUEST | NLM_F_ACK))
    params = struct.pack("!IB", 0, NFQNL_COPY_META)
    sock.send(message(NFQNL_MSG_CONFIG, queue, [attr(NFQA_CFG_PARAMS, params)],
                      NLM_F_REQUEST | NLM_F_ACK))
    for _ in range(2):  # the two acks; an error here means the queue could not be bound
        data = sock.recv(65536)
        _, kind, _, _, _ = struct.unpack_from("=IHHII", data)
        if kind == NLMSG_ERROR and struct.unpack_from("=i", data, 16)[0] != 0:
            err = -struct.unpack_from("=i", data, 16)[0]
            sys.exit(f"impair.py: cannot bind nfqueue {queue}: {os.strerror(err)}")

    running = [True]
    signal.signal(signal.SIGTERM, lambda *_: running.__setitem__(0, False))
    pending = []  # (release time, packet id)
    seen = dropped = delayed = 0
    delay_sum = 0.0
    next_stats = time.monotonic()

    def verdict(packet_id, what):
        hdr = struct.pack("!II", what, packet_id)
        sock.send(message(NFQNL_MSG_VERDICT, queue, [attr(NFQA_VERDICT_HDR, hdr)]))

    while running[0]:
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            verdict(heapq.heappop(pending)[1], NF_ACCEPT)
        if now >= next_stats:
            mean = delay_sum / delayed if delayed else 0.0
            with open(stats_file + ".tmp", "w") as f:
                f.write(f"seen={seen} dropped={dropped} delayed={delayed} "
                        f"mean_delay_ms={mean:.1f}\n")
            os.replace(stats_file + ".tmp", stats_file)
            next_stats = now + 1.0
        timeout = min(next_stats, pending[0][0] if pending else next_stats) - now
        try:
            ready, _, _ = select.select([sock], [], [], max(timeout, 0))
        except InterruptedError:
            continue
        if not ready:
            continue
        data = sock.recv(65536)
        off = 0
        while off + 16 <= len(data):
            length, kind, _, _, _ = struct.unpack_from("=IHHII", data, off)
            if length < 16:
                break
            if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                a = off + 20  # nlmsghdr (16) + nfgenmsg (4)
                while a + 4 <= off + length:
                    alen, akind = struct.unpack_from("=HH", data, a)
                    if alen < 4:
                        break
                    if (akind & 0x7FFF) == NFQA_PACKET_HDR:
                        packet_id = struct.unpack_from("!I", data, a + 4)[0]
                        seen += 1
                        if random.random() < loss:
                            dropped += 1
                            verdict(packet_id, NF_DROP)
                        else:
                            d = max(0.0, random.uniform(delay - jitter, delay + jitter))
                            delayed += 1
                            delay_sum += d
                            heapq.heappush(pending, (time.monotonic() + d / 1000.0, packet_id))
                        break
                    a += (alen + 3) & ~3
            off += (length + 3) & ~3
    for _, packet_id in pending:
        verdict(packet_id, NF_ACCEPT)


if __name__ == "__main__":
    main()
