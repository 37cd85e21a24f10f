#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Call-table attack captures for tests/evict.sh and measurements (issue 9).

    evict.py MODE LEGIT RATE SECONDS > capture.pcap

writes a classic pcap (UDP, one SPAN port between carrier 198.51.100.10 and
PBX 203.0.113.10) holding LEGIT legitimate calls spread over SECONDS of
capture time, mixed with an attack of RATE per second:

  invite   INVITE flood, unique Call-IDs, no response (scanner / flood),
           from 250 hosts in turn (192.0.2.1-250)
  scanner  the same, every third INVITE from one host, 198.18.0.7
  trying   the same, each INVITE answered by 100 Trying and 401 (sipvicious)
  answer   spoofed INVITE + 200 OK pairs (no ACK, no RTP)
  none     no attack

A legitimate call i starts at i * SECONDS / LEGIT: INVITE with SDP, 100
after 10 ms, 180 after 100 ms, 200 with SDP after 1 s, ACK, then 4 s of RTP
both ways (20 ms, PCMU) and a BYE from the caller and its 200.  Its Call-ID
is legit-i@198.51.100.10; every legitimate record must be answered, ended
by the caller's BYE, not truncated, not evicted, with two streams of 200
packets.

    evict.py silent SECONDS [media] > capture.pcap

one answered call with no RTP whose BYE comes SECONDS after the ACK.
Alone it is a SIP-only tap: the call keeps its BYE.  With media, a second
call (legit-1@...) carries RTP all along (its 4 s, then one packet each
way every 10 s until its BYE, 2 s after the first call's): the tap shows
RTP, so the media timeout closes the silent call unless RTP is off.

    evict.py bigfield N > capture.pcap     (measurements)

N INVITEs (one per ms, no response), each with a 30,000-byte Call-ID (a
common prefix, then its number) and a 30,000-byte display name.

    evict.py collide K > capture.pcap      (measurements)

2^K INVITEs (one per ms) whose Call-IDs all have one 32-bit FNV-1a hash
(the Call-ID hash before the keyed one; see tests/unit/fnv_collide.h).
"""

import struct
import sys

BASE = 1700000000
CARRIER = bytes([198, 51, 100, 10])
PBX = bytes([203, 0, 113, 10])


from pktlib import csum  # noqa: E402  (tests/pktlib.py)


def udp_frame(src, sport, dst, dport, payload):
    udp = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst)
    ip = h[:10] + struct.pack('!H', csum(h)) + h[12:] + udp
    return b'\x00\x11\x22\x33\x44\x55\x00\x66\x77\x88\x99\xaa\x08\x00' + ip


def sip(first, cid, ftag, ttag, cseq, method, branch, host, sdp=None, extra=''):
    body = ''
    if sdp is not None:
        body = ('v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n'
                'm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n' % (sdp[0], sdp[0], sdp[1]))
    to = '<sip:5551000@203.0.113.10>' + (';tag=%s' % ttag if ttag else '')
    msg = ('%s\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bK%s\r\n'
           'From: "Caller" <sip:1001@198.51.100.10>;tag=%s\r\nTo: %s\r\n'
           'Call-ID: %s\r\nCSeq: %d %s\r\nContact: <sip:%s@%s:5060>\r\n%s'
           '%sContent-Length: %d\r\n\r\n%s'
           % (first, host, branch, ftag, to, cid, cseq, method,
              'agent' if first.startswith('SIP/2.0 2') else '1001', host, extra,
              'Content-Type: application/sdp\r\n' if body else '', len(body), body))
    return msg.encode()


def legit_call(i, t0, ev):
    cid = 'legit-%d@198.51.100.10' % i
    ft, tt, br = 'lf%d' % i, 'lt%d' % i, 'legit%d' % i
    cport, pport = 40000 + 2 * i, 50000 + 2 * i
    inv = 'INVITE sip:5551000@203.0.113.10 SIP/2.0'
    ev.append((t0, CARRIER, PBX, 5060, 5060,
               sip(inv, cid, ft, None, 1, 'INVITE', br, '198.51.100.10', ('198.51.100.10', cport))))
    ev.append((t0 + 10000, PBX, CARRIER, 5060, 5060,
               sip('SIP/2.0 100 Trying', cid, ft, None, 1, 'INVITE', br, '198.51.100.10')))
    ev.append((t0 + 100000, PBX, CARRIER, 5060, 5060,
               sip('SIP/2.0 180 Ringing', cid, ft, tt, 1, 'INVITE', br, '198.51.100.10')))
    ev.append((t0 + 1000000, PBX, CARRIER, 5060, 5060,
               sip('SIP/2.0 200 OK', cid, ft, tt, 1, 'INVITE', br, '198.51.100.10',
                   ('203.0.113.10', pport))))
    ev.append((t0 + 1010000, CARRIER, PBX, 5060, 5060,
               sip('ACK sip:agent@203.0.113.10 SIP/2.0', cid, ft, tt, 1, 'ACK', br + 'a',
                   '198.51.100.10')))
    for k in range(200):
        ts = t0 + 1020000 + k * 20000
        for (src, sp, dst, dp, ssrc) in ((CARRIER, cport, PBX, pport, 0x1000 + i),
                                         (PBX, pport, CARRIER, cport, 0x8000 + i)):
            rtp = struct.pack('!BBHII', 0x80, 0, k, k * 160, ssrc) + b'\xff' * 160
            ev.append((ts, src, dst, sp, dp, rtp))
    end = t0 + 1020000 + 200 * 20000
    ev.append((end, CARRIER, PBX, 5060, 5060,
               sip('BYE sip:agent@203.0.113.10 SIP/2.0', cid, ft, tt, 2, 'BYE', br + 'b',
                   '198.51.100.10')))
    ev.append((end + 10000, PBX, CARRIER, 5060, 5060,
               sip('SIP/2.0 200 OK', cid, ft, tt, 2, 'BYE', br + 'b', '198.51.100.10')))


def attack(mode, n, ts, ev):
    src = bytes([192, 0, 2, 1 + n % 250])
    if mode == 'scanner' and n % 3 == 0:
        src = bytes([198, 18, 0, 7])   # one host behind a third of the flood
    cid = 'atk-%d@%s' % (n, '.'.join(map(str, src)))
    inv = 'INVITE sip:%d@203.0.113.10 SIP/2.0' % (100 + n % 900)
    ev.append((ts, src, PBX, 5060, 5060,
               sip(inv, cid, 'af%d' % n, None, 1, 'INVITE', 'atk%d' % n, '192.0.2.1')))
    if mode == 'trying':
        ev.append((ts + 2000, PBX, src, 5060, 5060,
                   sip('SIP/2.0 100 Trying', cid, 'af%d' % n, None, 1, 'INVITE', 'atk%d' % n,
                       '192.0.2.1')))
        ev.append((ts + 4000, PBX, src, 5060, 5060,
                   sip('SIP/2.0 401 Unauthorized', cid, 'af%d' % n, 'at%d' % n, 1, 'INVITE',
                       'atk%d' % n, '192.0.2.1', extra='WWW-Authenticate: Digest realm="x", nonce="1"\r\n')))
    elif mode == 'answer':
        ev.append((ts + 3000, PBX, src, 5060, 5060,
                   sip('SIP/2.0 200 OK', cid, 'af%d' % n, 'at%d' % n, 1, 'INVITE', 'atk%d' % n,
                       '192.0.2.1')))


def big_invites(n, ev):
    for i in range(n):
        cid = 'c' * 30000 + '-%d' % i
        msg = ('INVITE sip:5551000@203.0.113.10 SIP/2.0\r\n'
               'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKbig%d\r\n'
               'From: "%s" <sip:1001@192.0.2.1>;tag=bf%d\r\nTo: <sip:5551000@203.0.113.10>\r\n'
               'Call-ID: %s\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n'
               % (i, 'N' * 30000, i, cid))
        ev.append((i * 1000, bytes([192, 0, 2, 1]), PBX, 5060, 5060, msg.encode()))


def fnv(h, b):
    for c in b:
        h = ((h ^ c) * 16777619) & 0xffffffff
    return h


def colliding_ids(k):
    import random
    rng = random.Random(1)
    alpha = b'abcdefghijklmnopqrstuvwxyz0123456789'
    h = fnv(2166136261, b'cid-')
    pairs = []
    for _ in range(k):
        seen = {}
        while True:
            b = bytes(rng.choice(alpha) for _ in range(6))
            s = fnv(h, b)
            if s in seen and seen[s] != b:
                pairs.append((seen[s], b))
                h = s
                break
            seen[s] = b
    for i in range(1 << k):
        yield b'cid-' + b''.join(pairs[j][(i >> j) & 1] for j in range(k))


def collide(k, ev):
    for i, cid in enumerate(colliding_ids(k)):
        msg = ('INVITE sip:5551000@203.0.113.10 SIP/2.0\r\n'
               'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKcol%d\r\n'
               'From: <sip:1001@192.0.2.1>;tag=cf%d\r\nTo: <sip:5551000@203.0.113.10>\r\n'
               'Call-ID: %s\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n'
               % (i, i, cid.decode()))
        ev.append((i * 1000, bytes([192, 0, 2, 1]), PBX, 5060, 5060, msg.encode()))


def write(ev):
    out = sys.stdout.buffer
    out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    ev.sort(key=lambda e: e[0])
    for ts, src, dst, sp, dp, payload in ev:
        frame = udp_frame(src, sp, dst, dp, payload)
        out.write(struct.pack('<IIII', BASE + ts // 1000000, ts % 1000000, len(frame), len(frame)))
        out.write(frame)
    out.flush()


def main(argv):
    ev = []
    if len(argv) in (3, 4) and argv[1] == 'silent' and argv[3:] in ([], ['media']):
        gap = int(float(argv[2]) * 1000000)
        legit_call(0, 0, ev)
        # keep the SIP, drop the RTP, move the BYE and its 200 to gap after the ACK
        sipev = [e for e in ev if e[3] == 5060]
        sipev[-2] = (1010000 + gap,) + sipev[-2][1:]
        sipev[-1] = (1020000 + gap,) + sipev[-1][1:]
        if argv[3:] == ['media']:
            other = []
            legit_call(1, 0, other)
            bye, ok200 = other[-2:]
            other = other[:-2]
            cport, pport = 40002, 50002
            k, ts = 200, 1020000 + 200 * 20000 + 10000000
            while ts < 1010000 + gap:
                for (src, sp, dst, dp, ssrc) in ((CARRIER, cport, PBX, pport, 0x1001),
                                                 (PBX, pport, CARRIER, cport, 0x8001)):
                    rtp = struct.pack('!BBHII', 0x80, 0, k, k * 160, ssrc) + b'\xff' * 160
                    other.append((ts, src, dst, sp, dp, rtp))
                k, ts = k + 1, ts + 10000000
            other.append((1030000 + gap,) + bye[1:])
            other.append((1040000 + gap,) + ok200[1:])
            sipev += other
        write(sipev)
        return 0
    if len(argv) == 3 and argv[1] in ('bigfield', 'collide'):
        (big_invites if argv[1] == 'bigfield' else collide)(int(argv[2]), ev)
        write(ev)
        return 0
    if len(argv) != 5 or argv[1] not in ('invite', 'scanner', 'trying', 'answer', 'none'):
        sys.stderr.write(__doc__)
        return 2
    mode, legit, rate, secs = argv[1], int(argv[2]), float(argv[3]), float(argv[4])
    for i in range(legit):
        legit_call(i, int(i * secs * 1000000 / max(legit, 1)), ev)
    if mode != 'none' and rate > 0:
        step = 1000000.0 / rate
        n = 0
        while n * step < secs * 1000000:
            attack(mode, n, int(n * step), ev)
            n += 1
    write(ev)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
