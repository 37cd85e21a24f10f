#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The SIP pre-scan (src/sip/prescan.c) changes nothing but speed: every
# capture of pcaps/, a generated trunk capture (gen-calls: TCP, fragments,
# VLAN, IPv6 shares) and that capture mixed with each SIP attack of
# tests/attacks.py at make-check scale give the same JSON records
# (byte for byte) and the same --stats counters with the pre-scan and
# without it (CALLTAP_NO_PRESCAN=1: every message through libosip2), and
# the pre-scan does take most messages (sip_prescan_skipped).  So do the
# golden tests with their options (tests/TESTLIST), the signalling-path
# attacks (sdp-hijack, forged-bye), a gen-calls --pbx capture (PBX legs,
# with and without --home), and calls in progress: a capture cut in the
# middle and one-way mirrors (each direction alone).
# Prints "prescan-same: N passed, N failed".
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT

# same NAME CAPTURE [OPTIONS...]: records and counters equal both ways.
same() {
	name=$1 cap=$2
	shift 2
	CALLTAP_NO_PRESCAN=1 "$CALLTAP" -r "$cap" --json "$t/a.jsonl" --stats "$@" 2>"$t/a.err"
	ra=$?
	"$CALLTAP" -r "$cap" --json "$t/b.jsonl" --stats "$@" 2>"$t/b.err"
	rb=$?
	# The counters but the pre-scan's own and the output queue's (timing).
	grep -v -e sip_prescan_skipped -e output_queue "$t/a.err" >"$t/a.st"
	grep -v -e sip_prescan_skipped -e output_queue "$t/b.err" >"$t/b.st"
	if [ $ra -eq $rb ] && cmp -s "$t/a.jsonl" "$t/b.jsonl" && cmp -s "$t/a.st" "$t/b.st"; then
		ok "$name: same records and counters"
	else
		diff "$t/a.st" "$t/b.st" >"$t/err" 2>&1
		bad "$name: records or counters differ (exit $ra/$rb)"
	fi
	skipped=$(awk '$1 == "sip_prescan_skipped" { print $2 }' "$t/b.err")
	echo "${skipped:-0}" >"$t/skipped"
}

total=0
for f in "$srcdir"/pcaps/*.pcap "$srcdir"/pcaps/*.pcapng; do
	same "$(basename "$f")" "$f"
	total=$((total + $(cat "$t/skipped")))
done
# Every golden test with its own options (--home for PBX legs, ...).
while read -r name pcap expected opts; do
	case $name in ''|'#'*) continue ;; esac
	[ -n "$opts" ] || continue   # the plain ones ran above
	# shellcheck disable=SC2086
	same "TESTLIST $name" "$srcdir/$pcap" $opts
done <"$srcdir/tests/TESTLIST"
# pcaps/ holds about 560 SIP messages, most of them plain.
[ "$total" -gt 350 ] && ok "pcaps/: $total messages taken on the pre-scan" ||
    bad "pcaps/: only $total messages taken on the pre-scan"

if command -v python3 >/dev/null 2>&1; then
	if python3 "$srcdir/scripts/gen-calls" -o "$t/legit.pcap" --truth "$t/legit.jsonl" \
	    --calls 60 --concurrency 10 --talk-mean 2 --seed 3 --tcp-share 0.2 --frag-share 0.1 \
	    --vlan-share 0.1 --ipv6-share 0.1 -q; then
		same "gen-calls" "$t/legit.pcap"
		[ "$(cat "$t/skipped")" -gt 300 ] && ok "gen-calls: $(cat "$t/skipped") taken" ||
		    bad "gen-calls: $(cat "$t/skipped") taken on the pre-scan"
		# The hostile mixes of the signalling-path check (tests/attacks.py).
		for as in sdp-hijack=40 forged-bye=80; do
			a=${as%%=*}
			if python3 "$srcdir/tests/attacks.py" mix "$a" "$t/legit.pcap" "$t/legit.jsonl" \
			    --scale "${as#*=}" -o "$t/mix.pcap" 2>"$t/err"; then
				same "gen-calls + $a" "$t/mix.pcap"
			else
				bad "$a: generator"
			fi
		done
		for as in scan=2000 invite-flood=5000 spoofed-pairs=3000 long-fields=50 collide=10 \
		    collide-caller=8 update-storm=2000 many-headers=2 tcp-10byte=2 tcp-ooo=2; do
			a=${as%%=*}
			if python3 "$srcdir/tests/attacks.py" mix "$a" "$t/legit.pcap" "$t/legit.jsonl" \
			    --scale "${as#*=}" -o "$t/mix.pcap" 2>"$t/err"; then
				same "gen-calls + $a" "$t/mix.pcap"
			else
				bad "$a: generator"
			fi
		done
	else
		bad "gen-calls failed"
	fi
	# PBX legs (tests/legs.sh): correlation headers, Diversion, ring groups.
	if python3 "$srcdir/scripts/gen-calls" --pbx -q -o "$t/pbx.pcap" --truth "$t/pbx.truth" \
	    --seed 2 --calls 120; then
		same "gen-calls --pbx --home" "$t/pbx.pcap" --home 203.0.113.0/24 --country-code 380
		same "gen-calls --pbx" "$t/pbx.pcap"
	else
		bad "gen-calls --pbx failed"
	fi
	# Calls in progress and one-way mirrors (tests/midcall.sh): a capture
	# cut in the middle, and each direction of it alone.
	if python3 "$srcdir/scripts/gen-calls" -o "$t/mc.pcap" --truth "$t/mc.truth" --seed 5 \
	    --calls 40 --concurrency 12 --talk-mean 20 --tcp-share 0.3 --ipv6-share 0.1 -q; then
		python3 - "$t/mc.pcap" "$t/cut.pcap" <<'PY' && same "gen-calls cut" "$t/cut.pcap"
# Drops the first third of the packets (pcap, no external tool needed).
import struct, sys
d = open(sys.argv[1], "rb").read()
end = "<" if d[:4] == b"\xd4\xc3\xb2\xa1" else ">"
recs, o = [], 24
while o + 16 <= len(d):
    n = struct.unpack(end + "I", d[o + 8:o + 12])[0]
    recs.append(d[o:o + 16 + n]); o += 16 + n
open(sys.argv[2], "wb").write(d[:24] + b"".join(recs[len(recs) // 3:]))
PY
		if command -v tshark >/dev/null 2>&1; then
			tofilter="ip.dst == 203.0.113.10 or ipv6.dst == 2001:db8:113::10"
			tshark -r "$t/mc.pcap" -w "$t/to.pcap" -F pcap "$tofilter" 2>/dev/null &&
			    same "gen-calls one-way (to the PBX)" "$t/to.pcap"
			tshark -r "$t/mc.pcap" -w "$t/from.pcap" -F pcap "not ($tofilter)" 2>/dev/null &&
			    same "gen-calls one-way (from the PBX)" "$t/from.pcap"
			tshark -r "$t/cut.pcap" -w "$t/cutto.pcap" -F pcap "$tofilter" 2>/dev/null &&
			    same "gen-calls cut, one-way" "$t/cutto.pcap"
		else
			echo "skip: tshark is needed for the one-way captures"
		fi
	else
		bad "gen-calls (midcall) failed"
	fi
else
	echo "skip: python3 is needed for the generated captures"
fi

# Hops the signalling path learns only from a Via sent-by or a Contact host
# (src/sip/sigpath.c): the callee's BYE from the host its 200's Contact
# names, past the proxy that carried the INVITE; a request from the host
# the INVITE's top Via names.  Neither is foreign, pre-scan or not.
if command -v python3 >/dev/null 2>&1; then
	python3 - "$t/hops.pcap" <<'PY'
import struct, sys
A, P, B, V = "192.0.2.10", "192.0.2.20", "192.0.2.30", "192.0.2.41"
def ip(a): return bytes(int(x) for x in a.split("."))
def pkt(src, dst, text):
    body = text.replace("\n", "\r\n").encode()
    udp = struct.pack(">HHHH", 5060, 5060, 8 + len(body), 0) + body
    h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, ip(src), ip(dst))
    s = sum(struct.unpack(">10H", h)); s = (s & 0xffff) + (s >> 16); s = (s & 0xffff) + (s >> 16)
    h = h[:10] + struct.pack(">H", ~s & 0xffff) + h[12:]
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + h + udp
def msg(start, cid, cseq, via, tot="", contact="", ftag="f1"):
    m = (start + "\nVia: SIP/2.0/UDP " + via + ";branch=z9hG4bK" + cid + cseq.split()[0] + cseq.split()[1] +
         "\nFrom: \"Alice\" <sip:100@example.net>;tag=" + ftag +
         "\nTo: <sip:200@example.net>" + tot + "\nCall-ID: " + cid + "\nCSeq: " + cseq + "\n")
    if contact: m += "Contact: <sip:" + contact + ">\n"
    return m + "Content-Length: 0\n\n"
out = [
 (A, P, msg("INVITE sip:200@example.net SIP/2.0", "h1", "1 INVITE", A, "", "100@" + A)),
 (P, A, msg("SIP/2.0 180 Ringing", "h1", "1 INVITE", A, ";tag=t1")),
 (P, A, msg("SIP/2.0 200 OK", "h1", "1 INVITE", A, ";tag=t1", "200@" + B + ":5060")),
 (A, B, msg("ACK sip:200@" + B + " SIP/2.0", "h1", "1 ACK", A, ";tag=t1")),
 (B, A, msg("BYE sip:100@" + A + " SIP/2.0", "h1", "1 BYE", B + ":5060", ";tag=t1", ftag="t1")),
 (A, B, msg("SIP/2.0 200 OK", "h1", "1 BYE", B + ":5060", ";tag=t1", ftag="t1")),
 (A, P, msg("INVITE sip:200@example.net SIP/2.0", "h2", "1 INVITE", V, "", "100@" + A)),
 (P, A, msg("SIP/2.0 200 OK", "h2", "1 INVITE", V, ";tag=t2", "200@" + P)),
 (A, P, msg("ACK sip:200@" + P + " SIP/2.0", "h2", "1 ACK", A, ";tag=t2")),
 (V, P, msg("BYE sip:200@" + P + " SIP/2.0", "h2", "2 BYE", V, ";tag=t2")),
 (P, V, msg("SIP/2.0 200 OK", "h2", "2 BYE", V, ";tag=t2")),
]
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, (s_, d_, m) in enumerate(out):
        p = pkt(s_, d_, m)
        f.write(struct.pack("<IIII", 1700000000 + i, 0, len(p), len(p)) + p)
PY
	same "hops named by Via and Contact" "$t/hops.pcap"
	! grep -q "sip_foreign_in_dialog" "$t/b.err" && grep -q "sip_prescan_skipped  *[1-9]" "$t/b.err" &&
	    [ "$(grep -c '"disposition": *"answered"' "$t/b.jsonl")" -eq 2 ] &&
	    ok "hops named by Via and Contact: nothing foreign, 2 answered calls" ||
	    bad "hops named by Via and Contact: $(grep foreign "$t/b.err")"
fi

echo "prescan-same: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
