#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Reconstruction against ground truth: scripts/gen-calls writes a trunk
# capture and the exact call records it contains; calltap must reproduce them
# (scripts/compare-truth joins on Call-ID and compares every field).
# Several mixes: plain UDP, TCP with split/merged/reordered segments, IP
# fragments, VLANs, IPv6, RTP loss and jitter, SIP only with long calls.
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
run() { # name gen-calls-options...
	name=$1; shift
	if ! "$srcdir/scripts/gen-calls" -o "$t/$name.pcap" --truth "$t/$name.truth" "$@" >"$t/$name.gen" 2>&1; then
		fail=$((fail + 1)); echo "FAIL $name: gen-calls failed"; sed 's/^/     | /' "$t/$name.gen"; return
	fi
	if ! "$CALLTAP" -r "$t/$name.pcap" --json "$t/$name.jsonl" 2>"$t/$name.err"; then
		fail=$((fail + 1)); echo "FAIL $name: calltap failed"; sed 's/^/     | /' "$t/$name.err"; return
	fi
	if "$srcdir/scripts/compare-truth" "$t/$name.truth" "$t/$name.jsonl" >"$t/$name.cmp" 2>&1; then
		pass=$((pass + 1)); echo "ok   $name: $(tail -1 "$t/$name.cmp")"
	else
		fail=$((fail + 1)); echo "FAIL $name"; head -30 "$t/$name.cmp" | sed 's/^/     | /'
	fi
}
run udp-mix --seed 1 --calls 300 --concurrency 40 --tcp-share 0 --frag-share 0 --vlan-share 0 --ipv6-share 0
run tcp --seed 2 --calls 200 --concurrency 30 --tcp-share 1
run frag-vlan-v6 --seed 3 --calls 200 --concurrency 30 --frag-share 0.3 --vlan-share 0.3 --ipv6-share 0.3
run lossy-rtp --seed 4 --calls 100 --concurrency 20 --loss 5 --jitter-ms 30
# SIP only (no RTP on the tap): calls longer than the media timeout keep
# their BYE; seed 8 also picks a TCP connection up again after 15 idle
# minutes on an INVITE whose two segments came in swapped order (late_head)
run sip-only-long --seed 11 --calls 300 --concurrency 100 --no-rtp --talk-mean 400
run sip-only-tcp-idle --seed 8 --calls 200 --no-rtp --talk-mean 900 --tcp-share 0.3
run everything --seed 5 --calls 400 --concurrency 100 --tcp-share 0.3 --frag-share 0.2 --vlan-share 0.2 --ipv6-share 0.2 --loss 1 --jitter-ms 10
echo "gen-truth: $pass passed, $fail failed"
[ $fail -eq 0 ]
