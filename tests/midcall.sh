#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Calls already in progress and one-way mirrors (docs/schema.md), end to
# end on a generated trunk (scripts/gen-calls: UDP and TCP, RTP, every
# outcome) and on sipp-many.pcap:
#  - the two directions of the trunk in two files (-r to -r from) give
#    exactly the records of the two-way capture, and each direction alone
#    gives every call, judged against the truth (tests/midcall.py oneway);
#  - the capture cut in the middle with editcap -A: the calls that start
#    after the cut are exact, those in progress come out with start_seen
#    false, their real outcome and end, those with fewer than two SIP
#    messages after the cut give nothing (tests/midcall.py cut);
#  - the derived captures of pcaps/ (README there) are what editcap and
#    tshark make of sipp-many.pcap, and its two directions merge into its
#    golden records byte for byte.
# Prints "midcall: N passed, N failed".
. "$(dirname "$0")/lib.sh"
for tool in editcap tshark python3; do
	command -v $tool >/dev/null 2>&1 || { echo "skip: $tool is needed"; exit 77; }
done
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
PBX="203.0.113.10 2001:db8:113::10"
"$srcdir/scripts/gen-calls" -o "$t/all.pcap" --truth "$t/truth" --seed 5 --calls 40 \
    --concurrency 12 --talk-mean 20 --tcp-share 0.3 --ipv6-share 0.1 -q ||
    { echo "FAIL gen-calls"; exit 1; }
run() { # out calltap-args...
	out=$1; shift
	"$CALLTAP" --json "$t/$out.jsonl" "$@" >/dev/null 2>"$t/err" || bad "$out: calltap failed"
}
run all -r "$t/all.pcap"
"$srcdir/scripts/compare-truth" "$t/truth" "$t/all.jsonl" >"$t/cmp" 2>&1 &&
    ok "two-way capture: $(tail -1 "$t/cmp")" || { bad "two-way capture differs from the truth"; head "$t/cmp"; }

# One-way mirrors: one file per direction.
tofilter="ip.dst == 203.0.113.10 or ipv6.dst == 2001:db8:113::10"
tshark -r "$t/all.pcap" -w "$t/to.pcap" -F pcap "$tofilter" 2>/dev/null
tshark -r "$t/all.pcap" -w "$t/from.pcap" -F pcap "not ($tofilter)" 2>/dev/null
run both -r "$t/to.pcap" -r "$t/from.pcap"
cmp -s "$t/all.jsonl" "$t/both.jsonl" && ok "two one-way files: the two-way records byte for byte" ||
    bad "two one-way files differ from the two-way capture"
for side in to from; do
	run "$side" -r "$t/$side.pcap" -s
	# shellcheck disable=SC2086
	if python3 "$srcdir/tests/midcall.py" oneway "$t/truth" "$t/$side.jsonl" $side $PBX >"$t/chk" 2>&1; then
		ok "one direction ($side the PBX): $(tail -1 "$t/chk")"
	else
		bad "one direction ($side the PBX)"; head -20 "$t/chk"
	fi
	grep -q "calls_inferred  *[1-9]" "$t/err" && ok "$side: inferences counted" || bad "$side: calls_inferred"
done

# A capture cut in the middle (a sensor started while calls are up).
for at in 30 60; do
	cut_us=$(python3 -c 'import json,sys
s=min(json.loads(l)["start_time"] for l in open(sys.argv[1]))
import datetime
t=datetime.datetime.strptime(s,"%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
print(int(t.timestamp())*1000000 + int(sys.argv[2])*1000000)' "$t/truth" $at)
	when=$(date -u -d "@$((cut_us / 1000000))" '+%Y-%m-%d %H:%M:%S')
	editcap -A "$when" "$t/all.pcap" "$t/cut.pcap" >/dev/null 2>&1 || { bad "editcap -A"; continue; }
	run cut -r "$t/cut.pcap" -s
	tshark -r "$t/cut.pcap" -Y sip -T fields -E separator='|' -e frame.time_epoch \
	    -e sip.Call-ID -e sip.CSeq.seq -e sip.CSeq.method -e sip.Status-Code \
	    2>/dev/null >"$t/sip"
	if python3 "$srcdir/tests/midcall.py" cut "$t/truth" "$t/cut.jsonl" "$t/sip" "$cut_us" >"$t/chk" 2>&1; then
		ok "cut at +$at s: $(tail -2 "$t/chk" | tr '\n' ' ')"
	else
		bad "cut at +$at s"; head -20 "$t/chk"
	fi
	grep -q "calls_partial  *[1-9]" "$t/err" && ok "cut at +$at s: calls_partial counted" ||
	    bad "cut at +$at s: calls_partial"
done

# The derived captures of pcaps/ and the merge of sipp-many's two directions.
editcap -r "$srcdir/pcaps/sipp-many.pcap" "$t/c.pcap" 50-115 >/dev/null 2>&1
tshark -r "$srcdir/pcaps/sipp-many.pcap" -w "$t/q.pcap" -F pcap "udp.dstport == 5060" 2>/dev/null
tshark -r "$srcdir/pcaps/sipp-many.pcap" -w "$t/r.pcap" -F pcap "udp.dstport == 5061" 2>/dev/null
for p in c:sipp-many-cut q:sipp-many-requests r:sipp-many-responses; do
	run "${p%%:*}" -r "$t/${p%%:*}.pcap" --sensor golden
	python3 "$srcdir/scripts/golden-format" --join <"$srcdir/tests/expected/${p#*:}.json" >"$t/want"
	cmp -s "$t/want" "$t/${p%%:*}.jsonl" && ok "${p#*:}: remade from sipp-many.pcap, golden records" ||
	    bad "${p#*:}: remade capture gives other records"
done
run qr -r "$t/q.pcap" -r "$t/r.pcap" --sensor golden
python3 "$srcdir/scripts/golden-format" --join <"$srcdir/tests/expected/sipp-many.json" >"$t/want"
cmp -s "$t/want" "$t/qr.jsonl" && ok "sipp-many's two directions: its golden records byte for byte" ||
    bad "sipp-many's two directions differ from its golden records"

echo "midcall: $pass passed, $fail failed"
[ $fail -eq 0 ]
