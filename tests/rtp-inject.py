#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""rtp-inject.py: adds spoofed RTP to a scripts/gen-calls capture, for
tests/rtp-inject.sh.

    rtp-inject.py IN.pcap TRUTH.jsonl OUT.pcap SEED

Writes OUT.pcap: every frame of IN.pcap plus, merged in time order,
  - a flood: 50 RTP packets per second of capture, each from a random
    foreign source (45.0.0.0/8, 2a05:d000::/32) to a random even PBX port
    (10000-59998), the ports scripts/gen-calls allocates calls from;
  - per answered call, two 0.5 s bursts (25 packets each) from foreign
    sources: one to the PBX's media port of the call, one to the carrier's,
    both while the call talks;
  - one loud stream: a full-scale 3000 Hz tone (G.711 u-law) from a foreign
    source to the PBX port of the longest answered inbound call (where the
    caller's voice arrives), for its whole talk time.
Sources, SSRCs and times come from a PRNG seeded with SEED.  Prints on
stdout one line of JSON: the number of packets sent to live call endpoints
("targeted", every one must be counted as injected), of the flood, and the
loud stream's call and the channel it would pollute ("left" when the PBX
port receives the caller's voice, i.e. an inbound call, else "right").
Input: classic pcap, Ethernet, microseconds, as scripts/gen-calls writes.
References: pcap file format; RFC 3550 §5.1; ITU-T G.711; RFC 768, 791, 8200.
"""

import datetime
import ipaddress
import json
import math
import random
import struct
import sys

PBX4, PBX6 = '203.0.113.10', '2001:db8:113::10'


def ts_us(text):
    """ISO 8601 UTC time of the truth to microseconds since the epoch."""
    d = datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%S.%fZ')
    d = d.replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp()) * 1000000 + d.microsecond


def split_ep(text):
    """'ip:port' or '[ip6]:port' to (ip, port)."""
    host, port = text.rsplit(':', 1)
    return host.strip('[]'), int(port)


def ulaw(sample):
    """G.711 u-law encoding of a 16-bit sample."""
    sign = 0x80 if sample < 0 else 0
    sample = min(abs(sample), 32635) + 0x84
    exp = 7
    while exp > 0 and not sample & (0x4000 >> (7 - exp)):
        exp -= 1
    return ~(sign | exp << 4 | (sample >> (exp + 3)) & 0x0f) & 0xff


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame(src, sport, dst, dport, payload):
    """Ethernet + IPv4/IPv6 + UDP frame carrying payload."""
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    ulen = 8 + len(payload)
    if s.version == 4:
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + ulen, 0, 0x4000, 64, 17, 0,
                         s.packed, d.packed)
        ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
        udp = struct.pack('!HHHH', sport, dport, ulen, 0)
        eth = b'\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00'
        return eth + ip + udp + payload
    pseudo = s.packed + d.packed + struct.pack('!IxxxB', ulen, 17)
    udp = struct.pack('!HHHH', sport, dport, ulen, 0)
    c = csum(pseudo + udp + payload) or 0xffff
    udp = struct.pack('!HHHH', sport, dport, ulen, c)
    ip = struct.pack('!IHBB16s16s', 6 << 28, ulen, 17, 64, s.packed, d.packed)
    eth = b'\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x86\xdd'
    return eth + ip + udp + payload


def rtp(seq, ts, ssrc, payload):
    return struct.pack('!BBHII', 0x80, 0, seq & 0xffff, ts & 0xffffffff, ssrc) + payload


def foreign(rng, v6):
    if v6:
        return '2a05:d000:%x:%x::%x' % (rng.randrange(65536), rng.randrange(65536),
                                         rng.randrange(1, 65536))
    return '45.%d.%d.%d' % (rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    inp, truth, outp, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    rng = random.Random(seed)
    with open(inp, 'rb') as f:
        data = f.read()
    header, frames, off = data[:24], [], 24
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack('<IIII', data[off:off + 16])
        frames.append((sec * 1000000 + usec, len(frames), data[off + 16:off + 16 + incl]))
        off += 16 + incl
    first, last = frames[0][0], frames[-1][0]
    calls = [json.loads(line) for line in open(truth, encoding='utf-8')]
    extra = []
    targeted = 0

    def add(t, src, sport, dst, dport, ssrc, seq, ts, payload):
        extra.append((t, len(frames) + len(extra),
                      frame(src, sport, dst, dport, rtp(seq, ts, ssrc, payload))))

    noise = bytes(rng.randrange(256) for _ in range(160))
    # Flood at random PBX ports.
    n_flood = int((last - first) / 1000000 * 50)
    for _ in range(n_flood):
        v6 = rng.random() < 0.1
        add(rng.randrange(first, last), foreign(rng, v6), rng.randrange(1024, 65536),
            PBX6 if v6 else PBX4, 10000 + 2 * rng.randrange(25000),
            rng.getrandbits(32), rng.randrange(65536), rng.getrandbits(32), noise)
    # Bursts at each answered call's endpoints while it talks.
    talking = []
    for c in calls:
        if c['disposition'] != 'answered' or not c['streams'] or c['truncated']:
            continue
        a, e = ts_us(c['answer_time']), ts_us(c['end_time'])
        if e - a < 2000000:
            continue
        s = c['streams'][0]
        eps = [split_ep(s['src']), split_ep(s['dst'])]
        for host, port in eps:
            v6 = ':' in host
            src, sport, ssrc = foreign(rng, v6), rng.randrange(1024, 65536), rng.getrandbits(32)
            t0 = rng.randrange(a + 300000, e - 800000)
            seq, ts = rng.randrange(65536), rng.getrandbits(32)
            for i in range(25):
                add(t0 + 20000 * i, src, sport, host, port, ssrc, seq + i, ts + 160 * i, noise)
            targeted += 25
        pbx = [ep for ep in eps if ep[0] in (PBX4, PBX6)]
        if pbx:
            talking.append((e - a, c, pbx[0]))
    # The loud stream, to the PBX port of the longest inbound call (the one
    # that hears the caller), else of the longest call.
    talking.sort(key=lambda x: (x[1]['dst_ip'] not in (PBX4, PBX6), -x[0], x[1]['call_id']))
    _, loud, (host, port) = talking[0]
    a, e = ts_us(loud['answer_time']), ts_us(loud['end_time'])
    src, sport, ssrc = foreign(rng, ':' in host), 7078, rng.getrandbits(32)
    n = 0
    for t in range(a + 100000, e - 100000, 20000):
        pcm = bytes(ulaw(int(32000 * math.sin(2 * math.pi * 3000 * (n * 160 + k) / 8000)))
                    for k in range(160))
        add(t, src, sport, host, port, ssrc, n, n * 160, pcm)
        n += 1
    targeted += n
    # Which channel the PBX port feeds: inbound calls (carrier -> PBX) have
    # the caller on the carrier side, so the PBX port hears the caller.
    inbound = loud['dst_ip'] in (PBX4, PBX6)
    allf = sorted(frames + extra)
    with open(outp, 'wb') as f:
        f.write(header)
        for t, _, b in allf:
            f.write(struct.pack('<IIII', t // 1000000, t % 1000000, len(b), len(b)))
            f.write(b)
    print(json.dumps({'targeted': targeted, 'flood': n_flood, 'loud_call': loud['call_id'],
                      'loud_packets': n, 'loud_channel': 'left' if inbound else 'right'}))


if __name__ == '__main__':
    main()
