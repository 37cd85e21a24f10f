#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""hostile.py: hostile captures for tests/hostile.sh.

    hostile.py mutate CAPTURE OUTDIR SEED   truncated and bit-flipped copies
    hostile.py slowloris STREAMS BYTES      pcap on stdout (see below)
    hostile.py fragflood FRAGMENTS          pcap on stdout (see below)
    hostile.py checkjson FILE...            every line must be a JSON object
    hostile.py rss OUT CMD...               runs CMD, writes its peak RSS (KB) to OUT
    hostile.py usage OUT SECS CMD...        runs CMD (killed after SECS), writes
                                            "peak-RSS-KB cpu-seconds wall-seconds" to OUT

mutate writes NAME.cut-N (the file cut after N bytes: inside the file
header, inside the first record header, at 1/5..4/5 of the file and one
byte short) and NAME.flip-K (bits flipped with a deterministic PRNG seeded
with SEED and the file name, only in packet data: never in the pcap file
header, record headers or pcapng block headers, so every copy still opens
and every frame is read).  slowloris: STREAMS SIP-over-TCP connections that
each send BYTES of a SIP header (start line and header lines, never the
blank line) in 1400-byte segments, taking turns.  fragflood: FRAGMENTS IPv4
fragments with distinct ids, none ever completed: every other one a first
fragment (MF set, offset 0, 1400 bytes), the others 1400 bytes at offset
62400 (MF set), which make the reassembler reserve a 64 KB buffer each.  Both are classic pcap, Ethernet, microsecond timestamps.
References: pcap and pcapng file formats; RFC 791 §3.1; RFC 3261 §7.
"""

import json
import math
import os
import random
import struct
import sys
import zlib

BASE_TS = 1700000000


def packet_regions(data):
    """Returns [(start, length)] of the packet data of a pcap/pcapng file."""
    regions = []
    if data[:4] == b'\x0a\x0d\x0d\x0a':
        off, e = 0, '<'
        while off + 12 <= len(data):
            if data[off:off + 4] == b'\x0a\x0d\x0d\x0a':
                e = '<' if data[off + 8:off + 12] == b'\x4d\x3c\x2b\x1a' else '>'
            btype, blen = struct.unpack(e + 'II', data[off:off + 8])
            if blen < 12 or off + blen > len(data):
                break
            if btype == 6 and blen >= 32:
                cap = struct.unpack(e + 'I', data[off + 20:off + 24])[0]
                regions.append((off + 28, min(cap, blen - 32)))
            elif btype == 3 and blen >= 16:
                regions.append((off + 12, blen - 16))
            off += blen
        return regions
    e = '<' if data[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(e + 'I', data[off + 8:off + 12])[0]
        off += 16
        if off + incl > len(data):
            break
        regions.append((off, incl))
        off += incl
    return regions


def flip(data, regions, rng, rate, head):
    """Flips each bit of the regions (their first `head` bytes when head)
    with probability rate."""
    out = bytearray(data)
    for start, length in regions:
        n = min(length, head) if head else length
        bits = n * 8
        # Geometric gaps between flipped bits: cost O(flips), not O(bits).
        pos = -1
        while True:
            u = rng.random()
            gap = int(-math.log(1.0 - u) / rate) if u < 1.0 else bits
            pos += gap + 1
            if pos >= bits:
                break
            out[start + pos // 8] ^= 1 << (pos % 8)
    return bytes(out)


def mutate(path, outdir, seed):
    with open(path, 'rb') as f:
        data = f.read()
    name = os.path.basename(path)
    size = len(data)
    cuts = sorted({24, 30, size * 1 // 5, size * 2 // 5, size * 3 // 5, size * 4 // 5, size - 1})
    for c in cuts:
        if 0 < c < size:
            with open(os.path.join(outdir, '%s.cut-%d' % (name, c)), 'wb') as f:
                f.write(data[:c])
    regions = packet_regions(data)
    rng = random.Random(seed * 1000003 + zlib.crc32(name.encode()))
    plans = [(0.001, 0), (0.005, 0), (0.02, 0), (0.01, 80), (0.05, 80)]
    for k, (rate, head) in enumerate(plans):
        with open(os.path.join(outdir, '%s.flip-%d' % (name, k)), 'wb') as f:
            f.write(flip(data, regions, rng, rate, head))


def pcap_header():
    return struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)


from pktlib import csum  # noqa: E402  (tests/pktlib.py)


def ipv4(src, dst, proto, payload, ident=0, flags_off=0):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident & 0xFFFF, flags_off,
                    64, proto, 0, src, dst)
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + payload


def ether(ip):
    return b'\x00\x11\x22\x33\x44\x55\x00\x66\x77\x88\x99\xaa\x08\x00' + ip


def record(ts_us, frame):
    return struct.pack('<IIII', BASE_TS + ts_us // 1000000, ts_us % 1000000,
                       len(frame), len(frame)) + frame


def slowloris(streams, size, out):
    """Each stream sends `size` bytes of a SIP header that never ends, in
    1400-byte segments; the streams take turns, one segment at a time."""
    out.write(pcap_header())
    dst = bytes([203, 0, 113, 10])
    pad = b'X-Slow: ' + b'a' * 60 + b'\r\n'
    conns = []
    for i in range(streams):
        src = bytes([10, 64 + (i >> 16 & 63), i >> 8 & 255, i & 255])
        sport = 10000 + i % 50000
        text = ('INVITE sip:+1555%07d@203.0.113.10 SIP/2.0\r\n'
                'Via: SIP/2.0/TCP 10.%d.%d.%d:%d;branch=z9hG4bK%08x\r\n'
                % (i, 64 + (i >> 16 & 63), i >> 8 & 255, i & 255, sport, i)).encode()
        text += pad * max(0, (size - len(text)) // len(pad))
        conns.append((src, sport, text))
    ts = 0
    for off in range(0, max(len(c[2]) for c in conns), 1400):
        for src, sport, text in conns:
            chunk = text[off:off + 1400]
            if not chunk:
                continue
            tcp = struct.pack('!HHIIBBHHH', sport, 5060, 1000 + off, 1, 5 << 4, 0x18, 65535, 0, 0)
            out.write(record(ts, ether(ipv4(src, dst, 6, tcp + chunk))))
            ts += 20
    out.flush()


def fragflood(n, out):
    out.write(pcap_header())
    dst = bytes([203, 0, 113, 10])
    first = struct.pack('!HHHH', 5060, 5060, 8 + 64000, 0) + b'F' * 1392
    far = b'G' * 1400
    for i in range(n):
        src = bytes([10, 128 + (i >> 16 & 63), i >> 8 & 255, i & 255])
        if i % 2:
            # Offset 62400 bytes: the reassembly buffer must cover 63800 bytes.
            ip = ipv4(src, dst, 17, far, ident=i, flags_off=0x2000 | 7800)
        else:
            ip = ipv4(src, dst, 17, first, ident=i, flags_off=0x2000)
        out.write(record(i * 50, ether(ip)))
    out.flush()


def checkjson(paths):
    bad = 0
    for p in paths:
        with open(p, 'rb') as f:
            for n, line in enumerate(f, 1):
                try:
                    if not isinstance(json.loads(line), dict):
                        raise ValueError('not an object')
                except ValueError as ex:
                    bad += 1
                    sys.stderr.write('%s:%d: not a JSON object line (%s): %r\n' % (p, n, ex, line[:80]))
                    break
    return 1 if bad else 0


def main(argv):
    if len(argv) >= 5 and argv[1] == 'mutate':
        mutate(argv[2], argv[3], int(argv[4]))
        return 0
    if len(argv) == 4 and argv[1] == 'slowloris':
        slowloris(int(argv[2]), int(argv[3]), sys.stdout.buffer)
        return 0
    if len(argv) == 3 and argv[1] == 'fragflood':
        fragflood(int(argv[2]), sys.stdout.buffer)
        return 0
    if len(argv) >= 4 and argv[1] == 'rss':
        # Stand-in for /usr/bin/time -f %M where it is not installed.
        import resource
        import subprocess
        rc = subprocess.call(argv[3:])
        with open(argv[2], 'w') as f:
            f.write('%d\n' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        return rc if rc >= 0 else 128 - rc
    if len(argv) >= 5 and argv[1] == 'usage':
        # Peak RSS and CPU time (user + system) of CMD alone; status as a
        # shell gives it (128 + signal); 124 when it ran out of time.
        import resource
        import subprocess
        import time
        t0 = time.monotonic()
        p = subprocess.Popen(argv[4:])
        try:
            rc = p.wait(timeout=float(argv[3]))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            rc = 124
        wall = time.monotonic() - t0
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(argv[2], 'w') as f:
            f.write('%d %.3f %.3f\n' % (ru.ru_maxrss, ru.ru_utime + ru.ru_stime, wall))
        return rc if rc >= 0 else 128 - rc
    if len(argv) >= 2 and argv[1] == 'checkjson':
        return checkjson(argv[2:])
    sys.stderr.write(__doc__)
    return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
