#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The SIP pre-scan (src/sip/prescan.c) changes nothing but speed: every
# capture of pcaps/, a generated trunk capture (gen-calls: TCP, fragments,
# VLAN, IPv6 shares) and that capture mixed with each SIP attack of
# tests/attacks.py at make-check scale give the same JSON records
# (byte for byte) and the same --stats counters with the pre-scan and
# without it (CALLTAP_NO_PRESCAN=1: every message through libosip2), and
# the pre-scan does take most messages (sip_prescan_skipped).
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
else
	echo "skip: python3 is needed for the generated captures"
fi

echo "prescan-same: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
