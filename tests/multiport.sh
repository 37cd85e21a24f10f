#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# m= lines with a port count (RFC 8866 §5.14, "m=audio 20000/2"), end to
# end on captures written by tests/multiport.py: RTP on every port of the
# two ranges is the call's (one stream per direction and port, 50 packets
# each), RTCP one above each port too, a stranger's RTP to the second port
# is injected; a range of 10 ports is taken up to 8, the last two ports of
# each side counted as refused endpoints (RTP and RTCP: 8) and their RTP
# as orphan; without a count only the first port is the call's.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "skip: python3 is needed"; exit 77; }
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT

# name offer answer stranger | streams packets-each stats-lines...
check() {
	name=$1 offer=$2 answer=$3 stranger=$4 want_streams=$5
	shift 5
	python3 "$srcdir/tests/multiport.py" "$t/$name.pcap" "$offer" "$answer" $stranger ||
	    { bad "$name: multiport.py failed"; return; }
	"$CALLTAP" -r "$t/$name.pcap" --json "$t/$name.jsonl" -q -s 2>"$t/err" ||
	    { bad "$name: calltap failed"; return; }
	got=$(python3 -c 'import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
s = r[0]["streams"] if len(r) == 1 else []
print(len(r), r[0]["disposition"] if r else "-", len(s), sorted(set(x["packets"] for x in s)))' "$t/$name.jsonl")
	if [ "$got" = "1 answered $want_streams [50]" ]; then
		ok "$name: one answered call, $want_streams streams of 50 packets"
	else
		bad "$name: got calls/disposition/streams/packets '$got'"
	fi
	for line in "$@"; do
		if grep -Eq "^  $line\$" "$t/err"; then
			ok "$name: $line"
		else
			bad "$name: no '$line' in --stats"
		fi
	done
}

check two 20000/2 10000/2 stranger 4 "rtp_injected +25" "rtcp_packets +4"
check ten 20000/10 10000/10 "" 16 "rtp_orphan +200" "rtp_endpoints_refused +8" "rtcp_packets +16"
check none 20000 10000 "" 2 "rtcp_packets +2"
echo "multiport: $pass passed, $fail failed"
[ $fail -eq 0 ]
