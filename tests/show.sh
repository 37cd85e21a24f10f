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
echo "show.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
