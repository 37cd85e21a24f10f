#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A capture in two phases for the SIGHUP tests (tests/sighup*.sh, pgsql.sh,
webhook.sh): each phase holds three calls (answered with RTP both ways,
busy, cancelled) and one RTP stream of no call (an orphan), then one
unrelated UDP frame 500 s later that advances the capture clock past the
calls' linger (32 s) and the orphan's idle time (60 s), so that calltap
writes the phase's records as soon as it reads that frame.  Phase 1 starts
1000 s after phase 0.  Call-IDs are hup-PHASE-N@192.0.2.1.

    sighup.py file > capture.pcap
        both phases, no pause (the reference run)
    sighup.py pipe READY GO > fifo
        phase 0, then creates file READY and waits (30 s at most) until
        file GO exists, then phase 1
    sighup.py live IFACE READY GO
        the same frames sent on IFACE (AF_PACKET, root), paced at 1 ms
"""

import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pktlib import csum  # noqa: E402  (tests/pktlib.py)

BASE = 1700000000
CALLER = '192.0.2.1'
CALLEE = '192.0.2.2'


def ip4(a):
    return bytes(int(x) for x in a.split('.'))


def udp_frame(src, sport, dst, dport, payload):
    udp = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, ip4(src), ip4(dst))
    ip = h[:10] + struct.pack('!H', csum(h)) + h[12:] + udp
    return b'\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00' + ip


def sip(first, cid, ftag, ttag, cseq, method, src, sdp_port=None):
    body = ''
    if sdp_port is not None:
        body = ('v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n'
                'm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n' % (src, src, sdp_port))
    to = '<sip:2000@%s>' % CALLEE + (';tag=%s' % ttag if ttag else '')
    msg = ('%s\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bK%s%d%s\r\n'
           'From: "Caller" <sip:1000@%s>;tag=%s\r\nTo: %s\r\n'
           'Call-ID: %s\r\nCSeq: %d %s\r\nContact: <sip:%s@%s:5060>\r\n'
           '%sContent-Length: %d\r\n\r\n%s'
           % (first, CALLER, ftag, cseq, method[:2], CALLER, ftag, to, cid, cseq, method,
              '2000' if first.startswith('SIP/2.0') else '1000', src,
              'Content-Type: application/sdp\r\n' if body else '', len(body), body))
    return msg.encode()


def rtp(seq, ts, ssrc):
    return struct.pack('!BBHII', 0x80, 0, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + b'\xff' * 160


def phase(k):
    """Frames (time in us, frame) of phase k, in time order."""
    ev = []
    b = (BASE + 1000 * k) * 1000000
    inv = 'INVITE sip:2000@%s SIP/2.0' % CALLEE

    def msg(t, frm, text):
        src, dst = (CALLER, CALLEE) if frm == 'caller' else (CALLEE, CALLER)
        ev.append((t, udp_frame(src, 5060, dst, 5060, text)))

    # 0: answered, 1 s of RTP both ways, the caller hangs up.
    cid, ft, tt = 'hup-%d-0@%s' % (k, CALLER), 'f%d0' % k, 't%d0' % k
    t = b
    msg(t, 'caller', sip(inv, cid, ft, None, 1, 'INVITE', CALLER, 40000))
    msg(t + 10000, 'callee', sip('SIP/2.0 180 Ringing', cid, ft, tt, 1, 'INVITE', CALLEE))
    msg(t + 500000, 'callee', sip('SIP/2.0 200 OK', cid, ft, tt, 1, 'INVITE', CALLEE, 50000))
    msg(t + 510000, 'caller', sip('ACK sip:2000@%s SIP/2.0' % CALLEE, cid, ft, tt, 1, 'ACK', CALLER))
    for i in range(50):
        ts = t + 520000 + i * 20000
        ev.append((ts, udp_frame(CALLER, 40000, CALLEE, 50000, rtp(i, i * 160, 0x1000 + k))))
        ev.append((ts + 1000, udp_frame(CALLEE, 50000, CALLER, 40000, rtp(i, i * 160, 0x2000 + k))))
    msg(t + 2000000, 'caller', sip('BYE sip:2000@%s SIP/2.0' % CALLEE, cid, ft, tt, 2, 'BYE', CALLER))
    msg(t + 2010000, 'callee', sip('SIP/2.0 200 OK', cid, ft, tt, 2, 'BYE', CALLEE))

    # 1: busy.
    cid, ft, tt = 'hup-%d-1@%s' % (k, CALLER), 'f%d1' % k, 't%d1' % k
    t = b + 5000000
    msg(t, 'caller', sip(inv, cid, ft, None, 1, 'INVITE', CALLER, 40002))
    msg(t + 20000, 'callee', sip('SIP/2.0 486 Busy Here', cid, ft, tt, 1, 'INVITE', CALLEE))
    msg(t + 30000, 'caller', sip('ACK sip:2000@%s SIP/2.0' % CALLEE, cid, ft, tt, 1, 'ACK', CALLER))

    # 2: cancelled while ringing.
    cid, ft, tt = 'hup-%d-2@%s' % (k, CALLER), 'f%d2' % k, 't%d2' % k
    t = b + 8000000
    msg(t, 'caller', sip(inv, cid, ft, None, 1, 'INVITE', CALLER, 40004))
    msg(t + 10000, 'callee', sip('SIP/2.0 180 Ringing', cid, ft, tt, 1, 'INVITE', CALLEE))
    msg(t + 900000, 'caller', sip('CANCEL sip:2000@%s SIP/2.0' % CALLEE, cid, ft, None, 1, 'CANCEL', CALLER))
    msg(t + 910000, 'callee', sip('SIP/2.0 200 OK', cid, ft, tt, 1, 'CANCEL', CALLEE))
    msg(t + 920000, 'callee', sip('SIP/2.0 487 Request Terminated', cid, ft, tt, 1, 'INVITE', CALLEE))
    msg(t + 930000, 'caller', sip('ACK sip:2000@%s SIP/2.0' % CALLEE, cid, ft, tt, 1, 'ACK', CALLER))

    # An orphan: 20 RTP packets between ports no call announced.
    for i in range(20):
        ev.append((b + 12000000 + i * 20000,
                   udp_frame('198.51.100.7', 30000 + 2 * k, '198.51.100.8', 31000, rtp(i, i * 160, 0x3000 + k))))

    # The clock moves on: every record and the orphan of the phase are due.
    ev.append((b + 500000000, udp_frame('198.51.100.9', 9999, '198.51.100.10', 9, b'tick')))
    ev.sort(key=lambda e: e[0])
    return ev


def pcap_header():
    return struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)


def pcap_records(frames):
    out = bytearray()
    for t, f in frames:
        out += struct.pack('<IIII', t // 1000000, t % 1000000, len(f), len(f)) + f
    return bytes(out)


def wait_for(path):
    deadline = time.time() + 30
    while not os.path.exists(path) and time.time() < deadline:
        time.sleep(0.05)


def main():
    mode = sys.argv[1]
    if mode == 'file':
        sys.stdout.buffer.write(pcap_header() + pcap_records(phase(0) + phase(1)))
    elif mode == 'pipe':
        ready, go = sys.argv[2], sys.argv[3]
        out = sys.stdout.buffer
        out.write(pcap_header() + pcap_records(phase(0)))
        out.flush()
        open(ready, 'w').close()
        wait_for(go)
        out.write(pcap_records(phase(1)))
        out.flush()
    elif mode == 'live':
        iface, ready, go = sys.argv[2], sys.argv[3], sys.argv[4]
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((iface, 0))
        for k in (0, 1):
            for _, f in phase(k):
                s.send(f)
                time.sleep(0.001)
            if k == 0:
                open(ready, 'w').close()
                wait_for(go)
    else:
        sys.exit('usage: sighup.py file | pipe READY GO | live IFACE READY GO')


if __name__ == '__main__':
    main()
