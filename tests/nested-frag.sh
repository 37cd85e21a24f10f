#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A SIP INVITE fragmented inside an IP-in-IP tunnel whose outer datagrams
# are fragmented too (fragments within fragments, RFC 2003 + RFC 791): the
# engine must reassemble both levels and find the call.  Built by hand here
# so the byte layout is explicit; run under ASan it also guards the
# datagram lifetimes across the two reassembly rounds.
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
python3 - "$t/nested.pcap" <<'PY'
import struct, sys

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def ipv4(src, dst, proto, payload, ident, off8=0, more=False):
    flags = (0x2000 if more else 0) | off8
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, flags, 64, proto, 0,
                    bytes(src), bytes(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload

def fragments(src, dst, proto, payload, ident, size):
    out, off = [], 0
    while off < len(payload):
        part = payload[off:off + size]
        out.append(ipv4(src, dst, proto, part, ident, off // 8, off + size < len(payload)))
        off += size
    return out

body = b""
sip = (b"INVITE sip:18005550199@203.0.113.10 SIP/2.0\r\n"
       b"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnest1\r\n"
       b"From: \"Nested\" <sip:+15551230000@192.0.2.1>;tag=n1\r\n"
       b"To: <sip:18005550199@203.0.113.10>\r\n"
       b"Call-ID: nested-frag-1@192.0.2.1\r\n"
       b"CSeq: 1 INVITE\r\n"
       b"Max-Forwards: 70\r\n"
       b"X-Padding: " + b"p" * 600 + b"\r\n"
       b"Content-Length: 0\r\n\r\n")
udp = struct.pack("!HHHH", 5060, 5060, 8 + len(sip), 0) + sip
inner_src, inner_dst = [192, 0, 2, 1], [203, 0, 113, 10]
outer_src, outer_dst = [198, 51, 100, 1], [198, 51, 100, 2]
frames = []
for i, inner in enumerate(fragments(inner_src, inner_dst, 17, udp, 0x1111, 400)):
    for outer in fragments(outer_src, outer_dst, 4, inner, 0x2220 + i, 264):
        frames.append(b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00" + outer)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for n, fr in enumerate(frames):
        f.write(struct.pack("<IIII", 1700000000, n * 1000, len(fr), len(fr)) + fr)
print(len(frames), "frames", file=sys.stderr)
PY
"$CALLTAP" -r "$t/nested.pcap" --json "$t/out.jsonl" -s 2>"$t/err" || { cat "$t/err"; exit 1; }
if grep -q '"call_id":"nested-frag-1@192.0.2.1","caller":"+15551230000"' "$t/out.jsonl" &&
    grep -q '"callee":"18005550199"' "$t/out.jsonl" && [ "$(wc -l <"$t/out.jsonl")" -eq 1 ]; then
	echo "nested-frag: 1 passed, 0 failed"
else
	cat "$t/out.jsonl" "$t/err"
	echo "nested-frag: 0 passed, 1 failed"
	exit 1
fi
