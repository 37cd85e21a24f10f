#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Feeder of tests/metrics.sh: the records of the given Ethernet pcaps
# (microsecond, little-endian) merged in time order, then one filler frame
# five hours later (the calls' timeouts pass, so every call is written while
# the pipe stays open), written as one pcap to standard output; then waits
# (60 s at most) until the file named by the first argument exists, keeping
# the pipe open.  The frame count goes to stderr.
import os
import struct
import sys
import time

stop, paths = sys.argv[1], sys.argv[2:]
recs = []
for p in paths:
    d = open(p, 'rb').read()
    if d[:4] != b'\xd4\xc3\xb2\xa1' or struct.unpack('<I', d[20:24])[0] != 1:
        sys.exit(p + ': not a little-endian Ethernet pcap')
    off = 24
    while off + 16 <= len(d):
        sec, usec, incl, orig = struct.unpack('<IIII', d[off:off + 16])
        recs.append((sec, usec, len(recs), d[off:off + 16 + incl]))
        off += 16 + incl
recs.sort()
last = recs[-1][0]
filler = b'\xff' * 6 + b'\x02' * 6 + b'\x08\x06' + b'\x00' * 46   # an ARP-typed frame
out = sys.stdout.buffer
out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
for r in recs:
    out.write(r[3])
out.write(struct.pack('<IIII', last + 5 * 3600, 0, len(filler), len(filler)) + filler)
out.flush()
sys.stderr.write('%d\n' % (len(recs) + 1))
sys.stderr.flush()
for _ in range(600):
    if os.path.exists(stop):
        break
    time.sleep(0.1)
