#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# A PBX's RTP bridge for make-sipp-pbx-bridge.sh: for each call, two UDP
# sockets on the PBX (its trunk-side and its LAN-side media endpoint); every
# RTP packet one of them receives is sent on from the other to the far end of
# the other side (the carrier's or the phone's endpoint), as soon as it comes.
# Mode "pass" keeps the packet as it is (the SSRC passed through); mode
# "rewrite" puts the bridge's own SSRC, sequence and timestamp base in (as a
# PBX that originates its own stream per leg does).  Runs SECONDS, then exits.
# Usage: rtp-relay.py SECONDS TRUNK_EP CARRIER_EP LAN_EP PHONE_EP MODE [...]
# (endpoints as ip:port; five arguments per call after SECONDS).
import select
import socket
import struct
import sys
import time


def ep(s):
    host, port = s.rsplit(':', 1)
    return host, int(port)


def main():
    end = time.monotonic() + float(sys.argv[1])
    args = sys.argv[2:]
    if len(args) == 0 or len(args) % 5:
        sys.exit('usage: rtp-relay.py SECONDS (TRUNK CARRIER LAN PHONE MODE)...')
    route = {}      # socket -> (socket to send from, destination, mode, new ssrc, offsets)
    for i in range(0, len(args), 5):
        trunk, carrier, lan, phone, mode = args[i:i + 5]
        st = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        st.bind(ep(trunk))
        sl = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sl.bind(ep(lan))
        n = i // 5
        route[st] = (sl, ep(phone), mode, 0x0BB10000 + 2 * n, 1000 * (n + 1), 160000 * (n + 1))
        route[sl] = (st, ep(carrier), mode, 0x0BB10001 + 2 * n, 2000 * (n + 1), 320000 * (n + 1))
    socks = list(route)
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select(socks, [], [], left)
        for s in ready:
            data = s.recv(2048)
            out, dst, mode, ssrc, dseq, dts = route[s]
            if mode == 'rewrite' and len(data) >= 12:
                b0, b1, seq, ts, _ = struct.unpack('!BBHII', data[:12])
                data = struct.pack('!BBHII', b0, b1, (seq + dseq) & 0xffff,
                                   (ts + dts) & 0xffffffff, ssrc) + data[12:]
            out.sendto(data, dst)


if __name__ == '__main__':
    main()
