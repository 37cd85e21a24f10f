#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Full call table and media timeout, end to end (tests/evict.py makes the
# captures).  With --max-calls 200, 20 legitimate calls (SDP, ACK, 4 s of
# RTP, BYE) must come out exact under each attack: a 1000/s INVITE flood
# with unique Call-IDs and no response, the same flood answered by the PBX
# (100 Trying + 401), and 50/s spoofed INVITE + 200 OK pairs, for 12 s.  Every other
# attack call gets a record too, marked evicted; --stats counts evictions by
# class and the status line shows the running total; the stderr warning is
# rate-limited (at most one line per 10 s of capture, plus one at the end)
# and names the hosts behind over an eighth of the evicted calls (none for
# the flood spread over 250 hosts; a scanner sending a third of it).  An answered call whose BYE comes 400 s
# after the ACK with no RTP keeps its BYE on a SIP-only tap; where another
# call carries RTP meanwhile it is closed by the media timeout (truncated),
# but not with --no-rtp, and not with --media-timeout 0 or 500.
# Prints "evict: N passed, N failed".
. "$(dirname "$0")/lib.sh"
if ! command -v python3 >/dev/null 2>&1; then
	echo "skip: python3 is needed to make the captures"
	exit 77
fi
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT

# check MODE STATS_ROW: 20 legit calls exact, the rest evicted and counted.
check() {
	mode=$1 row=$2
	python3 "$srcdir/tests/evict.py" "$mode" 20 "$3" 12 >"$t/$mode.pcap" || { bad "$mode: generator"; return; }
	"$CALLTAP" -r "$t/$mode.pcap" --json "$t/$mode.jsonl" --max-calls 200 -s --stats-interval 5 2>"$t/$mode.err"
	rc=$?
	[ $rc -eq 0 ] || { bad "$mode: exit status $rc"; return; }
	if python3 - "$t/$mode.jsonl" "$t/$mode.err" "$row" "$4" "$mode" <<'EOF'
import json, re, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
err = open(sys.argv[2]).read()
row, attacks, mode = sys.argv[3], int(sys.argv[4]), sys.argv[5]
legit = [r for r in recs if r['call_id'].startswith('legit-')]
bad = [r['call_id'] for r in legit
       if not (r['disposition'] == 'answered' and r['hangup_by'] == 'caller'
               and not r['truncated'] and not r['evicted'] and r['hangup_reason'] == 'BYE'
               and [s['packets'] for s in r['streams']] == [200, 200])]
assert len(legit) == 20 and not bad, ('legit calls not exact', len(legit), bad)
others = [r for r in recs if not r['call_id'].startswith('legit-')]
assert len(others) == attacks, ('attack records', len(others), attacks)
evicted = sum(r['evicted'] for r in others)
assert all(r['truncated'] for r in others if r['evicted'])
m = re.search(r'^  %s +(\d+)$' % row, err, re.M)
assert m and int(m.group(1)) == evicted and evicted > attacks // 2, ('stats', row, evicted, err)
assert re.search(r'^  calls_refused', err, re.M) is None, err
warn = re.findall(r'^calltap: call table full \(at most 200 open calls\): (\d+) calls evicted', err, re.M)
# 17 s of capture: at the first tick, after 10 s, and the rest at the end
assert 2 <= len(warn) <= 4 and sum(map(int, warn)) == evicted, ('warnings', warn, evicted)
# status lines (on the wall clock for a file: at least the one at the end
# of the input): the running total of evictions, never more than the end total
live = [int(x) for x in re.findall(r'^calltap: packets .* evicted (\d+) refused 0 ', err, re.M)]
assert len(live) >= 1 and live == sorted(live) and 0 < live[-1] <= evicted, ('status lines', live)
# the warning names the hosts behind over an eighth of the evicted calls:
# none for a flood spread over 250 hosts; the scanner's host for a flood
# it sends a third of, with counts adding up to about that third
named = re.findall(r'^calltap: call table full .*; sources of over an eighth of them: (.*)$', err, re.M)
hosts = [h for line in named for h in re.findall(r'(\S+) \(at least (\d+)\)', line)]
if mode == 'scanner':
    assert hosts and all(h == '198.18.0.7' for h, _ in hosts), ('sources', named)
    scanned = sum(1 for r in others if r['evicted'] and r['src_ip'] == '198.18.0.7')
    assert evicted // 4 < sum(int(n) for _, n in hosts) <= scanned, ('source counts', hosts, scanned)
else:
    assert not named, ('sources named', named)
EOF
	then ok "$mode: 20 legit calls exact, $row counted, warning rate-limited, its sources"
	else bad "$mode"; fi
}
check invite calls_evicted_noresponse 1000 12000
check scanner calls_evicted_noresponse 1000 12000
check trying calls_evicted_settled 1000 12000
check answer calls_evicted_idle 50 600

# media timeout: BYE 400 s after the ACK, no RTP; alone (a SIP-only tap)
# or beside a call with RTP all along (legit-1, never cut)
python3 "$srcdir/tests/evict.py" silent 400 >"$t/silent.pcap"
python3 "$srcdir/tests/evict.py" silent 400 media >"$t/silent-media.pcap"
for cap in silent silent-media; do
	for opts in "" "--no-rtp" "--media-timeout 0" "--media-timeout 500"; do
		# shellcheck disable=SC2086
		"$CALLTAP" -r "$t/$cap.pcap" --json - $opts >"$t/silent.jsonl" 2>"$t/err"
		want="False BYE"
		[ -z "$opts" ] && [ $cap = silent-media ] && want="True no BYE seen (media timeout)"
		got=$(python3 -c '
import json, sys
r = {x["call_id"].split("@")[0]: x for x in map(json.loads, open(sys.argv[1]))}
s = r["legit-0"]
o = "" if "legit-1" not in r else " other %s %s" % (r["legit-1"]["truncated"], r["legit-1"]["hangup_reason"])
print("%d %s %s %s%s" % (len(r), s["truncated"], s["hangup_reason"], s["evicted"], o))' "$t/silent.jsonl")
		exp="1 $want False"
		[ $cap = silent-media ] && exp="2 $want False other False BYE"
		if [ "$got" = "$exp" ]; then
			ok "silent answered call, $cap, options '$opts': $want"
		else
			bad "silent answered call, $cap, options '$opts': got '$got', want '$exp'"
		fi
	done
done
echo "evict: $pass passed, $fail failed"
[ $fail -eq 0 ]
