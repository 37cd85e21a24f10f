#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# calltap show: the SIP ladder of a call through a proxy (three hosts), as
# checked by hand against `tshark -r F -Y sip` (11 messages: senders,
# receivers, methods, codes, times to the millisecond, SDP addresses, ports
# and codecs): tests/expected/show-goffinet-proxy.txt.  The same ladder from
# the call's own file (--pcap-dir) and through a database (--db); the HTML
# page is self-contained; a TCP call shows as many messages as tshark sees.
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
pc=$srcdir/pcaps
cid=75104938772201062721@10.33.6.101
cap=$pc/goffinet-SIP-Call-with-Proxy-Server.pcap

if "$CALLTAP" show "$cid" -r "$cap" >"$t/r.txt" 2>"$t/err" &&
    diff -u "$srcdir/tests/expected/show-goffinet-proxy.txt" "$t/r.txt" >"$t/err"; then
	ok "show -r: the ladder checked against tshark"
else
	bad "show -r: the ladder checked against tshark"
fi
"$CALLTAP" -q -r "$cap" --pcap-dir "$t/d" --db "$t/c.db" --json /dev/null 2>/dev/null
if "$CALLTAP" show "$cid" --pcap-dir "$t/d" >"$t/d.txt" 2>"$t/err" && cmp -s "$t/r.txt" "$t/d.txt"; then
	ok "show --pcap-dir: the call's own file gives the same ladder"
else
	bad "show --pcap-dir: the call's own file gives the same ladder"
fi
if "$CALLTAP" show "$cid" --db "$t/c.db" >"$t/b.txt" 2>"$t/err" && cmp -s "$t/r.txt" "$t/b.txt"; then
	ok "show --db: the file of the record's pcap_path gives the same ladder"
else
	bad "show --db: the file of the record's pcap_path gives the same ladder"
fi
if "$CALLTAP" show "$cid" -r "$cap" --format html -o "$t/p.html" 2>"$t/err" &&
    grep -q '^<!DOCTYPE html>' "$t/p.html" && grep -q '&lt;------ 200 OK --------|' "$t/p.html" &&
    grep -q '&quot;disposition&quot;:&quot;answered&quot;' "$t/p.html" &&
    ! grep -qiE '<script|src=|href=' "$t/p.html"; then
	ok "show --format html: one self-contained page with the ladder and the record"
else
	bad "show --format html"
fi
if command -v tshark >/dev/null 2>&1; then
	tcp=$pc/goffinet-SIP-Call-Flow-Over-TCP.pcap
	id=$("$CALLTAP" -q -r "$tcp" --json - | python3 -c "import json,sys; print(json.loads(sys.stdin.readline())['call_id'])")
	n=$(tshark -n -r "$tcp" -Y "sip.Call-ID == \"$id\"" 2>/dev/null | wc -l)
	m=$("$CALLTAP" show "$id" -r "$tcp" | grep -c '^ *[0-9.]*  |')
	[ "$n" -gt 0 ] && [ "$n" -eq "$m" ] && ok "show over TCP: $m messages as tshark" ||
	    bad "show over TCP: $m messages, tshark $n"
fi
if ! "$CALLTAP" show nosuchcall -r "$cap" >/dev/null 2>"$t/err" && grep -q "no SIP message" "$t/err" &&
    ! "$CALLTAP" show "$cid" >/dev/null 2>&1; then
	ok "show: an unknown Call-ID, or no capture given, is an error"
else
	bad "show: errors"
fi
# Terminal control bytes from the wire (ESC, BEL in a Call-ID, a reason
# phrase, a codec name) are written as '?': they cannot drive the terminal.
python3 - "$t/esc.pcap" <<'PY'
import struct, sys
esc = '\x1b]0;PWNED\x07\x1b[2J\x1b[31m'
cid = 'esc-' + esc + '@h'
def udp(src, dst, data):
    u = struct.pack('!HHHH', 5060, 5060, 8 + len(data), 0) + data
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(u), 1, 0, 64, 17, 0, bytes(src), bytes(dst))
    return b'\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00' + ip + u
def msg(first, extra=b''):
    h = ('%s\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKe1\r\nFrom: <sip:a@10.0.0.1>;tag=f\r\n'
         'To: <sip:b@10.0.0.2>%s\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n' % (first, extra, cid))
    return h.encode('latin1')
sdp = ('v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n'
       'm=audio 18900 RTP/AVP 96\r\na=rtpmap:96 X%s/8000\r\n' % esc).encode('latin1')
inv = msg('INVITE sip:b@10.0.0.2 SIP/2.0') + b'Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n' % len(sdp) + sdp
bsy = msg('SIP/2.0 486 Busy' + esc, ';tag=t') + b'Content-Length: 0\r\n\r\n'
a, b = [10, 0, 0, 1], [10, 0, 0, 2]
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, fr in enumerate((udp(a, b, inv), udp(b, a, bsy))):
        f.write(struct.pack('<IIII', 1700000000, i * 10000, len(fr), len(fr)) + fr)
PY
"$CALLTAP" show "$(printf 'esc-\033]0;PWNED\007\033[2J\033[31m@h')" -r "$t/esc.pcap" >"$t/esc.txt" 2>"$t/err"
if [ -s "$t/esc.txt" ] && ! LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$t/esc.txt" &&
    grep -q 'esc-?\]0;PWNED??\[2J?\[31m@h' "$t/esc.txt" && grep -q '486 Busy?' "$t/esc.txt"; then
	ok "show: control bytes from the wire are written as '?'"
else
	bad "show: control bytes from the wire reach the terminal"
fi
echo "show.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
