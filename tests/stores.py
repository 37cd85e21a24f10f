# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes a small trunk capture for the store tests (tests/pgsql.sh):
missed inbound calls, the PBX calling the caller back (so the stores set
callback_s), answered inbound, internal and IPv6 calls, as a classic pcap
of Ethernet/IPv4/IPv6/UDP SIP.  Home side: 203.0.113.0/24, 2001:db8:113::/48.
Usage: stores.py OUT.pcap"""

import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pktlib import csum  # noqa: E402  (tests/pktlib.py)

T0 = 1700000000
frames = []


def frame(ts, src, dst, payload):
    udp = struct.pack('!HHHH', 5060, 5060, 8 + len(payload), 0) + payload
    if ':' in src:
        ip = struct.pack('!IHBB', 6 << 28, len(udp), 17, 64)
        ip += socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
        eth = b'\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x86\xdd'
    else:
        h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                        socket.inet_aton(src), socket.inet_aton(dst))
        ip = h[:10] + struct.pack('!H', csum(h)) + h[12:]
        eth = b'\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00'
    frames.append((ts, eth + ip + udp))


def call(cid, t, src, dst, frm, ruri, code, talk=30):
    """code: the final status; 200 = answered, then a BYE from the caller."""
    h = lambda a: '[%s]' % a if ':' in a else a  # noqa: E731
    via = 'Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK%s\r\n' % (h(src), cid)
    fr = 'From: <sip:%s@%s>;tag=f%s\r\nCall-ID: %s\r\n' % (frm, h(src), cid, cid)
    to = 'To: <sip:%s@%s>' % (ruri, h(dst))
    end = 'Content-Length: 0\r\n\r\n'
    frame(t, src, dst, ('INVITE sip:%s@%s SIP/2.0\r\n%s%sCSeq: 1 INVITE\r\n%s\r\n'
                        'Contact: <sip:%s@%s>\r\n%s' % (ruri, h(dst), via, fr, to, frm, h(src), end)).encode())

    def resp(ts, st, cseq='1 INVITE'):
        frame(ts, dst, src, ('SIP/2.0 %s\r\n%s%sCSeq: %s\r\n%s;tag=t%s\r\nContact: <sip:%s@%s>\r\n%s'
                             % (st, via, fr, cseq, to, cid, ruri, h(dst), end)).encode())
    resp(t + 1, '180 Ringing')
    if code != 200:
        resp(t + 5, {486: '486 Busy Here', 480: '480 Temporarily Unavailable'}[code])
        frame(t + 5.01, src, dst, ('ACK sip:%s@%s SIP/2.0\r\n%s%sCSeq: 1 ACK\r\n%s;tag=t%s\r\n%s'
                                   % (ruri, h(dst), via, fr, to, cid, end)).encode())
        return
    resp(t + 5, '200 OK')
    frame(t + 5 + talk, src, dst, ('BYE sip:%s@%s SIP/2.0\r\n%s%sCSeq: 2 BYE\r\n%s;tag=t%s\r\n%s'
                                   % (ruri, h(dst), via.replace(cid, cid + 'b'), fr, to, cid, end)).encode())
    resp(t + 5.01 + talk, '200 OK', '2 BYE')


carrier, pbx, phone = '198.51.100.5', '203.0.113.10', '203.0.113.20'
call('m1', T0, carrier, pbx, '+447700900001', '+18005550199', 486)
call('m2', T0 + 60, carrier, pbx, '+447700900001', '+18005550199', 480)
call('o1', T0 + 150, pbx, carrier, '2001', '07700900001', 200, talk=60)
call('r1', T0 + 300, carrier, pbx, '+447700900001', '02079460018', 200)
call('i1', T0 + 400, phone, pbx, '2001', '2002', 200)
call('v6', T0 + 500, '2001:db8:5100::1', '2001:db8:113::10', '+18005550123', '+1-800-555-0199', 200)
call('m3', T0 + 600, carrier, pbx, '+447700900003', '+18005550199', 480)
frames.sort(key=lambda f: f[0])
with open(sys.argv[1], 'wb') as out:
    out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for ts, data in frames:
        us = int(round(ts * 1000000))
        out.write(struct.pack('<IIII', us // 1000000, us % 1000000, len(data), len(data)))
        out.write(data)
