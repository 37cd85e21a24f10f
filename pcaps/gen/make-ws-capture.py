#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes pcaps/sip-websocket.pcap: one answered call from a browser
softphone over SIP over WebSocket (RFC 7118) on TCP port 80, with RTP.

Browser 192.0.2.10:52044 <-> WebSocket server 198.51.100.5:80:
TCP handshake; HTTP GET with Upgrade: websocket and
Sec-WebSocket-Protocol: sip; 101 Switching Protocols; then the client's
frames are masked (RFC 6455 §5.3), the server's are not:
INVITE (with SDP, 16-bit length, sent in two TCP segments), 100, 180,
200 (SDP), ACK; a ping and its pong; 2 s of PCMU RTP each way between
192.0.2.10:40000 and 198.51.100.20:30000 (100 packets each); BYE from
the caller in two fragments (text frame without FIN, then a continuation)
with a ping between them; 200 OK; close frames; FIN both ways.
Deterministic: run it again, get the same bytes.

usage: make-ws-capture.py OUT.pcap [--segment N] [--after-upgrade]
  --segment N      cut every TCP payload into segments of N bytes (same
                   capture times: the records must not change)
  --after-upgrade  leave out everything before the INVITE (a capture that
                   starts on an established WebSocket)"""

import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests'))
from pktlib import csum  # noqa: E402

BROWSER, SERVER, MEDIA = [192, 0, 2, 10], [198, 51, 100, 5], [198, 51, 100, 20]
CPORT, SPORT = 52044, 80
MAC_C, MAC_S = bytes.fromhex('02000000c001'), bytes.fromhex('02000000c002')
T0 = 1767225600  # 2026-01-01T00:00:00Z
KEYS = [bytes([0x11, 0x22, 0x33, 0x44]), bytes([0xa5, 0x5a, 0x0f, 0xf0]),
        bytes([0x01, 0x80, 0x7f, 0xfe])]


def ipv4(src, dst, proto, payload, ident):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident, 0x4000, 64, proto, 0,
                    bytes(src), bytes(dst))
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + payload


def l4_csum(src, dst, proto, seg):
    return csum(bytes(src) + bytes(dst) + struct.pack('!BBH', 0, proto, len(seg)) + seg)


def tcp(src, dst, sp, dp, seq, ack, flags, data=b''):
    h = struct.pack('!HHIIBBHHH', sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0)
    c = l4_csum(src, dst, 6, h + data)
    return h[:16] + struct.pack('!H', c) + h[18:] + data


def udp(src, dst, sp, dp, data):
    h = struct.pack('!HHHH', sp, dp, 8 + len(data), 0)
    c = l4_csum(src, dst, 17, h + data) or 0xffff
    return h[:6] + struct.pack('!H', c) + data


def eth(src_mac, dst_mac, payload):
    return dst_mac + src_mac + b'\x08\x00' + payload


def ws_frame(payload, opcode=1, fin=True, key=None):
    n = len(payload)
    b0 = (0x80 if fin else 0) | opcode
    mask = 0x80 if key else 0
    if n < 126:
        h = struct.pack('!BB', b0, mask | n)
    elif n < 65536:
        h = struct.pack('!BBH', b0, mask | 126, n)
    else:
        h = struct.pack('!BBQ', b0, mask | 127, n)
    if key:
        h += key
        payload = bytes(c ^ key[i & 3] for i, c in enumerate(payload))
    return h + payload


class Capture:
    def __init__(self, segsize=0):
        self.segsize = segsize
        self.frames = []
        self.cseq, self.sseq = 1000, 5000
        self.ident = 1
        self.nkey = 0

    def add(self, t, frame):
        self.frames.append((t, frame))

    def seg(self, t, from_client, flags, data=b''):
        if self.segsize and len(data) > self.segsize:
            for i in range(0, len(data), self.segsize):
                self.seg(t, from_client, flags, data[i:i + self.segsize])
            return
        self.ident += 1
        if from_client:
            p = tcp(BROWSER, SERVER, CPORT, SPORT, self.cseq, self.sseq, flags, data)
            self.add(t, eth(MAC_C, MAC_S, ipv4(BROWSER, SERVER, 6, p, self.ident)))
            self.cseq += len(data) + (1 if flags & 0x03 else 0)
        else:
            p = tcp(SERVER, BROWSER, SPORT, CPORT, self.sseq, self.cseq, flags, data)
            self.add(t, eth(MAC_S, MAC_C, ipv4(SERVER, BROWSER, 6, p, self.ident)))
            self.sseq += len(data) + (1 if flags & 0x03 else 0)

    def key(self):
        self.nkey += 1
        return KEYS[self.nkey % len(KEYS)]

    def client_msg(self, t, text, parts=1):
        frame = ws_frame(text.encode(), key=self.key())
        step = (len(frame) + parts - 1) // parts
        for i in range(0, len(frame), step):
            self.seg(t + i * 1e-5, True, 0x18, frame[i:i + step])

    def server_msg(self, t, text):
        self.seg(t, False, 0x18, ws_frame(text.encode()))

    def rtp(self, t, from_client, seq, ts, ssrc):
        data = struct.pack('!BBHII', 0x80, 0, seq, ts, ssrc) + b'\xff' * 160
        self.ident += 1
        if from_client:
            p = udp(BROWSER, MEDIA, 40000, 30000, data)
            self.add(t, eth(MAC_C, MAC_S, ipv4(BROWSER, MEDIA, 17, p, self.ident)))
        else:
            p = udp(MEDIA, BROWSER, 30000, 40000, data)
            self.add(t, eth(MAC_S, MAC_C, ipv4(MEDIA, BROWSER, 17, p, self.ident)))

    def write(self, path, after=None):
        self.frames.sort(key=lambda f: f[0])
        if after is not None:
            self.frames = [f for f in self.frames if f[0] >= after]
        with open(path, 'wb') as f:
            f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for t, fr in self.frames:
                us = round(t * 1e6)
                f.write(struct.pack('<IIII', T0 + us // 1000000, us % 1000000, len(fr), len(fr)))
                f.write(fr)


CALL_ID = 'ws-call-5f3a9c@df7jal23ls0d.invalid'
VIA = 'Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK%s\r\n'
FROM = 'From: "Alice Browser" <sip:alice@example.com>;tag=wsa8812\r\n'
TO = 'To: <sip:+15557654321@example.com>'
TO_TAG = ';tag=srv4411'


def sdp(ip, port):
    return ('v=0\r\no=- 42 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n'
            'm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n' % (ip, ip, port))


def request(method, cseq, branch, to_tag='', body='', ctype=False):
    ruri = 'sip:+15557654321@example.com' if method == 'INVITE' else \
        'sip:+15557654321@198.51.100.5;transport=ws'
    return ('%s %s SIP/2.0\r\n' % (method, ruri) + VIA % branch + 'Max-Forwards: 70\r\n' +
            FROM + TO + to_tag + '\r\n' + 'Call-ID: %s\r\nCSeq: %d %s\r\n' % (CALL_ID, cseq, method) +
            'Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws>\r\n' +
            ('Content-Type: application/sdp\r\n' if ctype else '') +
            'Content-Length: %d\r\n\r\n%s' % (len(body), body))


def response(code, reason, cseq, method, branch, to_tag='', body=''):
    return ('SIP/2.0 %d %s\r\n' % (code, reason) + VIA % branch + FROM + TO + to_tag + '\r\n' +
            'Call-ID: %s\r\nCSeq: %d %s\r\n' % (CALL_ID, cseq, method) +
            ('Contact: <sip:+15557654321@198.51.100.5:80;transport=ws>\r\n' if code == 200 and
             method == 'INVITE' else '') +
            ('Content-Type: application/sdp\r\n' if body else '') +
            'Content-Length: %d\r\n\r\n%s' % (len(body), body))


def main():
    args = sys.argv[1:]
    segsize, after = 0, None
    if '--after-upgrade' in args:
        args.remove('--after-upgrade')
        after = 0.1
    if '--segment' in args:
        k = args.index('--segment')
        segsize = int(args[k + 1])
        del args[k:k + 2]
    if len(args) != 1:
        sys.exit(__doc__)
    c = Capture(segsize)
    c.seg(0.000, True, 0x02)
    c.seg(0.001, False, 0x12)
    c.seg(0.002, True, 0x10)
    c.seg(0.010, True, 0x18, (
        'GET / HTTP/1.1\r\nHost: 198.51.100.5\r\nUpgrade: websocket\r\n'
        'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
        'Origin: https://phone.example.com\r\nSec-WebSocket-Protocol: sip\r\n'
        'Sec-WebSocket-Version: 13\r\n\r\n').encode())
    c.seg(0.020, False, 0x18, (
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
        'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n'
        'Sec-WebSocket-Protocol: sip\r\n\r\n').encode())
    c.client_msg(0.100, request('INVITE', 1, 'inv1', body=sdp('192.0.2.10', 40000), ctype=True),
                 parts=2)
    c.server_msg(0.110, response(100, 'Trying', 1, 'INVITE', 'inv1'))
    c.server_msg(0.300, response(180, 'Ringing', 1, 'INVITE', 'inv1', TO_TAG))
    c.server_msg(1.500, response(200, 'OK', 1, 'INVITE', 'inv1', TO_TAG,
                                 sdp('198.51.100.20', 30000)))
    c.client_msg(1.520, request('ACK', 1, 'ack1', TO_TAG))
    c.seg(1.600, True, 0x18, ws_frame(b'keepalive', opcode=9, key=c.key()))
    c.seg(1.601, False, 0x18, ws_frame(b'keepalive', opcode=10))
    for i in range(100):
        c.rtp(1.540 + i * 0.020, True, 100 + i, 1000 + 160 * i, 0x11223344)
        c.rtp(1.550 + i * 0.020, False, 7000 + i, 90000 + 160 * i, 0x55667788)
    bye = request('BYE', 2, 'bye1', TO_TAG).encode()
    c.seg(3.600, True, 0x18, ws_frame(bye[:40], fin=False, key=c.key()))
    c.seg(3.601, True, 0x18, ws_frame(b'', opcode=9, key=c.key()))
    c.seg(3.602, True, 0x18, ws_frame(bye[40:], opcode=0, key=c.key()))
    c.server_msg(3.620, response(200, 'OK', 2, 'BYE', 'bye1', TO_TAG))
    c.seg(3.700, True, 0x18, ws_frame(b'\x03\xe8', opcode=8, key=c.key()))
    c.seg(3.710, False, 0x18, ws_frame(b'\x03\xe8', opcode=8))
    c.seg(3.720, False, 0x11)
    c.seg(3.730, True, 0x11)
    c.seg(3.740, False, 0x10)
    c.write(args[0], after)


if __name__ == '__main__':
    main()
