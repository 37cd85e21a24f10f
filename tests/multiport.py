#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""multiport.py: a capture of one answered call whose SDP m= lines carry a
port count (RFC 8866 §5.14), for tests/multiport.sh.

    multiport.py OUT.pcap OFFER_PORT ANSWER_PORT [STRANGER]

OFFER_PORT and ANSWER_PORT are the m= port tokens of the caller's offer
(198.51.100.20) and the PBX's answer (203.0.113.10), e.g. 20000/2 and
10000/2.  After the ACK both sides send 50 packets of G.711 u-law RTP
(20 ms) on every RTP port of their range (port, port + 2, ...) to the
matching port of the other side's range (the last port of the shorter
range when one is shorter), and one RTCP sender report one port above
each; with STRANGER, 45.33.1.2:40000 also sends 25 packets to the PBX's
last port.  Then the caller hangs up.  Classic pcap, Ethernet, IPv4/UDP,
microseconds.  References: pcap file format; RFC 3261, 8866, 3550 §6.4.1.
"""

import struct
import sys

sys.path.insert(0, __import__('os').path.dirname(__file__))
from pktlib import csum  # noqa: E402

A_SIG, A_MEDIA, PBX = '198.51.100.10', '198.51.100.20', '203.0.113.10'
T0 = 1700000000


def ip4(text):
    return bytes(int(x) for x in text.split('.'))


def frame(src, sport, dst, dport, payload):
    """Ethernet + IPv4 + UDP (no checksum) frame carrying payload."""
    ulen = 8 + len(payload)
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + ulen, 0, 0x4000, 64, 17, 0,
                     ip4(src), ip4(dst))
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    eth = b'\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00'
    return eth + ip + struct.pack('!HHHH', sport, dport, ulen, 0) + payload


def ports(token):
    """RTP ports of an m= port token: port, port + 2, ... (count after '/')."""
    port, _, count = token.partition('/')
    return [int(port) + 2 * k for k in range(int(count or 1))]


def sip(first, tags, cseq, media=None):
    """A SIP message from alice (tag ta) to bob; tags: To tag or ''."""
    body = ''
    if media is not None:
        addr, token = media
        body = ('v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n'
                'm=audio %s RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n' % (addr, addr, token))
    head = (first + '\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bK%s\r\n'
            'From: <sip:alice@example.com>;tag=ta\r\nTo: <sip:bob@example.com>%s\r\n'
            'Call-ID: multiport-1\r\nCSeq: %s\r\nContact: <sip:alice@%s>\r\n'
            % (A_SIG, cseq.replace(' ', ''), tags, cseq, A_SIG))
    if body:
        head += 'Content-Type: application/sdp\r\n'
    return (head + 'Content-Length: %d\r\n\r\n' % len(body) + body).encode()


def main():
    out, offer, answer = sys.argv[1], sys.argv[2], sys.argv[3]
    stranger = len(sys.argv) > 4
    pkts = []   # (time in us, frame)
    inv = 'INVITE sip:bob@%s SIP/2.0' % PBX
    pkts.append((0, frame(A_SIG, 5060, PBX, 5060, sip(inv, '', '1 INVITE', (A_MEDIA, offer)))))
    pkts.append((100000, frame(PBX, 5060, A_SIG, 5060,
                               sip('SIP/2.0 200 OK', ';tag=tb', '1 INVITE', (PBX, answer)))))
    pkts.append((200000, frame(A_SIG, 5060, PBX, 5060,
                               sip('ACK sip:bob@%s SIP/2.0' % PBX, ';tag=tb', '1 ACK'))))
    ap, bp = ports(offer), ports(answer)
    n = max(len(ap), len(bp))
    for k in range(n):
        a, b = ap[min(k, len(ap) - 1)], bp[min(k, len(bp) - 1)]
        for (src, sport, dst, dport, ssrc) in ((A_MEDIA, a, PBX, b, 0x1000 + k),
                                               (PBX, b, A_MEDIA, a, 0x2000 + k)):
            for i in range(50):
                rtp = struct.pack('!BBHII', 0x80, 0, i, i * 160, ssrc) + b'\xff' * 160
                pkts.append((300000 + i * 20000 + k, frame(src, sport, dst, dport, rtp)))
            sr = struct.pack('!BBHI', 0x80, 200, 6, ssrc) + b'\0' * 20
            pkts.append((1400000 + k, frame(src, sport + 1, dst, dport + 1, sr)))
    if stranger:
        for i in range(25):
            rtp = struct.pack('!BBHII', 0x80, 0, i, i * 160, 0xbad) + b'\x7f' * 160
            pkts.append((310000 + i * 20000, frame('45.33.1.2', 40000, PBX, bp[-1], rtp)))
    pkts.append((2000000, frame(A_SIG, 5060, PBX, 5060,
                                sip('BYE sip:bob@%s SIP/2.0' % PBX, ';tag=tb', '2 BYE'))))
    pkts.append((2010000, frame(PBX, 5060, A_SIG, 5060,
                                sip('SIP/2.0 200 OK', ';tag=tb', '2 BYE'))))
    pkts.sort(key=lambda p: p[0])
    with open(out, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for us, data in pkts:
            f.write(struct.pack('<IIII', T0 + us // 1000000, us % 1000000, len(data), len(data)))
            f.write(data)


if __name__ == '__main__':
    main()
