#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Captures that real links and capture set-ups make and that calltap once
# lost (red-team pass 9), each checked against the generator's truth:
#  - IPv6 fragments whose Destination Options header follows the Fragment
#    header (RFC 8200 §4.1; Linux accepts them): every call was lost;
#  - RTP captured with a snap length (tcpdump -s 200: headers only, SIP
#    whole): every stream was dropped as truncated;
#  - SIP over TCP captured on a host with Linux's BIG TCP, an IPv4 segment
#    of 100 KB with total length 0: cut at 64 KB, two of three calls lost;
#  - Ethernet over MPLS without the (optional) control word, destination
#    MACs of every first nibble: dropped, or read 4 bytes off.
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT

gen="--calls 6 --concurrency 3 --rtp --talk-mean 2 --vlan-share 0 --frag-share 0 --tcp-share 0 -q"
python3 "$srcdir/scripts/gen-calls" -o "$t/v6.pcap" --truth "$t/v6.truth" $gen --seed 11 \
    --ipv6-share 1 || { echo "decode-edge: gen-calls failed"; exit 1; }
python3 "$srcdir/scripts/gen-calls" -o "$t/v4.pcap" --truth "$t/v4.truth" $gen --seed 12 \
    --ipv6-share 0 || { echo "decode-edge: gen-calls failed"; exit 1; }

python3 - "$t" "$srcdir/tests" <<'PY'
import struct, sys

d = sys.argv[1]
sys.path.insert(0, sys.argv[2])
from pktlib import csum   # noqa: E402 (the tests' RFC 1071 checksum)


def read(path):
    b = open(path, 'rb').read()
    assert struct.unpack('<I', b[:4])[0] == 0xa1b2c3d4 and struct.unpack('<I', b[20:24])[0] == 1
    off, out = 24, []
    while off < len(b):
        s, us, cl, wl = struct.unpack('<IIII', b[off:off + 16])
        out.append((s, us, b[off + 16:off + 16 + cl], wl))
        off += 16 + cl
    return out


def write(path, frames, snaplen=262144):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, snaplen, 1))
        for s, us, fr, wl in frames:
            f.write(struct.pack('<IIII', s, us, len(fr), wl) + fr)


def l3(fr):
    et, p = struct.unpack('!H', fr[12:14])[0], fr[14:]
    while et in (0x8100, 0x88a8):
        et, p = struct.unpack('!H', p[2:4])[0], p[4:]
    return et, p


# IPv6 UDP: a Destination Options header (PadN) after the Fragment header,
# the datagram in 64-byte pieces.
out, ident = [], 1
for s, us, fr, wl in read(d + '/v6.pcap'):
    et, ip = l3(fr)
    if et != 0x86dd or ip[6] != 17 or len(ip) < 64:
        out.append((s, us, fr, wl))
        continue
    pay = bytes([17, 0, 1, 4, 0, 0, 0, 0]) + ip[40:]
    ident += 1
    o = 0
    while o < len(pay):
        part = pay[o:o + 64]
        more = o + len(part) < len(pay)
        fh = struct.pack('!BBHI', 60, 0, o | (1 if more else 0), ident)
        p = fh + part
        f6 = fr[:12] + b'\x86\xdd' + ip[:4] + struct.pack('!HB', len(p), 44) + ip[7:40] + p
        out.append((s, us, f6, len(f6)))
        o += len(part)
write(d + '/frag6-dst.pcap', out)

# Every frame but SIP's cut at 200 bytes, as tcpdump -s 200 would (SIP kept whole).
out = []
for s, us, fr, wl in read(d + '/v4.pcap'):
    out.append((s, us, fr if b'SIP/2.0' in fr else fr[:200], wl))
write(d + '/snap.pcap', out, 200)

# The same calls over Ethernet over MPLS without control word, the
# customer frame's destination MAC starting with each nibble but 4 and 6.
out = []
for i, (s, us, fr, wl) in enumerate(read(d + '/v4.pcap')):
    nib = [0, 1, 2, 3, 5, 7, 8, 0xa, 0xc, 0xf][i % 10]
    inner = bytes([nib << 4 | 0x0b]) + fr[1:]
    mp = fr[:12] + b'\x88\x47' + struct.pack('!II', 16 << 12 | 64, 1000 << 12 | 0x100 | 64) + inner
    out.append((s, us, mp, len(mp)))
write(d + '/eompls.pcap', out)


# Every SIP datagram in two IPv4 fragments with 130 frames of an unrelated
# TCP flow (HTTPS beside the trunk) between them: the first fragment waits
# for its call in -w and --pcap-dir (callcap.c's ring).
out, ident, hseq = [], 100, 1
for s, us, fr, wl in read(d + '/v4.pcap'):
    et, ip = l3(fr)
    if et != 0x0800 or ip[9] != 17 or b'SIP/2.0' not in ip:
        out.append((s, us, fr, wl))
        continue
    ihl = (ip[0] & 15) * 4
    pay = ip[ihl:]
    cut = (len(pay) // 2) // 8 * 8
    ident += 1
    for k, (off, part, more) in enumerate([(0, pay[:cut], True), (cut, pay[cut:], False)]):
        h = bytearray(ip[:ihl])
        struct.pack_into('!HHH', h, 2, ihl + len(part), ident, (off // 8) | (0x2000 if more else 0))
        h[10:12] = b'\0\0'
        h[10:12] = struct.pack('!H', csum(bytes(h)))
        f2 = fr[:12] + b'\x08\x00' + bytes(h) + part
        out.append((s, us, f2, len(f2)))   # the datagram completes at its own time
        if k == 0:
            for j in range(130):
                tcp = struct.pack('!HHIIBBHHH', 443, 50000, hseq, 1, 0x50, 0x18, 65535, 0, 0) + b'x' * 100
                hseq += 100
                ih = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 7, 0x4000, 64, 6, 0,
                                 bytes([192, 0, 2, 80]), bytes([192, 0, 2, 81]))
                hf = fr[:12] + b'\x08\x00' + ih + tcp
                out.append((s, us, hf, len(hf)))
write(d + '/ring.pcap', out)


# BIG TCP: one 100 KB IPv4 segment (total length 0) holding three
# 30 KB MESSAGEs and three INVITEs, then each call's 200, ACK, BYE, 200.
A, B = bytes([198, 51, 100, 5]), bytes([203, 0, 113, 10])
seq = {A: 1000, B: 5000}


def seg(src, dst, payload, big=False):
    tcp = struct.pack('!HHIIBBHHH', 5060, 5060, seq[src], seq[dst], 0x50, 0x18, 65535, 0, 0)
    seq[src] += len(payload)
    tot = 0 if big else 20 + len(tcp) + len(payload)
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, tot, 1, 0x4000, 64, 6, 0, src, dst)
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return b'\x00\x11\x22\x33\x44\x55\x00\x66\x77\x88\x99\xaa\x08\x00' + h + tcp + payload


def sip(first, cid, cseq, tags, body=b''):
    ft, tt = tags
    hdr = ('%s\r\nVia: SIP/2.0/TCP 198.51.100.5:5060;branch=z9hG4bK%s%s\r\n'
           'From: <sip:+14155550100@198.51.100.5>;tag=%s\r\n'
           'To: <sip:+18005550199@203.0.113.10>%s\r\nCall-ID: %s\r\nCSeq: %s\r\n'
           'Contact: <sip:x@198.51.100.5;transport=tcp>\r\n'
           % (first, cid[:6], cseq.split()[0], ft, ';tag=' + tt if tt else '', cid, cseq))
    if body:
        hdr += 'Content-Type: text/plain\r\n'
    return (hdr + 'Content-Length: %d\r\n\r\n' % len(body)).encode() + body


big, t0 = b'', 1700000000
for k in range(3):
    big += sip('MESSAGE sip:+18005550199@203.0.113.10 SIP/2.0', 'msg%d@x' % k, '1 MESSAGE',
               ('m%d' % k, ''), b'x' * 30000)
    big += sip('INVITE sip:+18005550199@203.0.113.10 SIP/2.0', 'bigtcp%d@x' % k, '1 INVITE',
               ('f%d' % k, ''))
out = [(t0, 0, seg(A, B, big, True), 0)]
for k in range(3):
    c = 'bigtcp%d@x' % k
    for j, (src, dst, m) in enumerate([
            (B, A, sip('SIP/2.0 200 OK', c, '1 INVITE', ('f%d' % k, 't%d' % k))),
            (A, B, sip('ACK sip:x@203.0.113.10 SIP/2.0', c, '1 ACK', ('f%d' % k, 't%d' % k))),
            (A, B, sip('BYE sip:x@203.0.113.10 SIP/2.0', c, '2 BYE', ('f%d' % k, 't%d' % k))),
            (B, A, sip('SIP/2.0 200 OK', c, '2 BYE', ('f%d' % k, 't%d' % k)))]):
        fr = seg(src, dst, m)
        out.append((t0 + 1 + k + (5 if j >= 2 else 0), j * 1000, fr, len(fr)))
out = [(s, us, fr, wl if wl else len(fr)) for s, us, fr, wl in out]
write(d + '/bigtcp.pcap', out)
PY
[ $? -eq 0 ] || { echo "decode-edge: the transforms failed"; exit 1; }

for c in frag6-dst:v6 snap:v4 eompls:v4; do
	cap=${c%%:*} truth=${c##*:}
	"$CALLTAP" -q -r "$t/$cap.pcap" --json "$t/$cap.jsonl" -s 2>"$t/$cap.err" ||
	    bad "$cap: exit status $? ($(tail -1 "$t/$cap.err"))"
	if python3 "$srcdir/scripts/compare-truth" "$t/$truth.truth" \
	    "$t/$cap.jsonl" >"$t/$cap.cmp" 2>&1; then
		ok "$cap: every call exact against the generator's truth"
	else
		bad "$cap: records differ from the truth"; head -20 "$t/$cap.cmp"
	fi
done
"$CALLTAP" -q -r "$t/ring.pcap" -w "$t/ring-w.pcap" --pcap-dir "$t/ring-pc" --json /dev/null &&
    "$CALLTAP" -q -r "$t/ring-w.pcap" --json "$t/ring-w.jsonl" &&
    "$CALLTAP" -q -r "$t/ring-pc" --json "$t/ring-pc.jsonl" 2>/dev/null ||
    bad "ring: a run failed"
for x in w pc; do
	if python3 "$srcdir/scripts/compare-truth" "$t/v4.truth" "$t/ring-$x.jsonl" \
	    >"$t/ring-$x.cmp" 2>&1; then
		ok "ring: -$x read back, every call exact (fragments waited past unrelated TCP)"
	else
		bad "ring: -$x read back differs from the truth"; head -20 "$t/ring-$x.cmp"
	fi
done
grep -q "snap_cut" "$t/snap.err" && ok "snap: the cut frames counted (snap_cut)" ||
    bad "snap: no snap_cut counter"

"$CALLTAP" -q -r "$t/bigtcp.pcap" --json "$t/bigtcp.jsonl" 2>"$t/bigtcp.err" ||
    bad "bigtcp: exit status $?"
n=$(grep -c '"disposition":"answered"' "$t/bigtcp.jsonl")
u=$(grep -c '"start_seen":true' "$t/bigtcp.jsonl")
[ "$n" = 3 ] && [ "$u" = 3 ] && ok "bigtcp: the three calls of a 100 KB segment answered, seen from their INVITE" ||
    { bad "bigtcp: $n answered, $u seen from their INVITE (3 each wanted)"; cat "$t/bigtcp.jsonl"; }
echo "decode-edge: $pass passed, $fail failed"
[ $fail -eq 0 ]
