#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The live status line (--stats-interval) during a real capture: two
# network namespaces joined by a veth pair; tcpreplay sends sipp-many.pcap
# (20 overlapping calls over 7 s) into one end while `calltap -i` captures
# on the other.  While the calls run, the lines must count the calls in
# progress (not 0), the calls started and their rate per minute, the calls
# ended and written, the drops, and end with their timestamp; a
# call that ended is counted as ended at once, written after its linger
# (SIGINT here).  Needs root, `ip netns` and tcpreplay; otherwise skipped (77).
. "$(dirname "$0")/lib.sh"

skip() { echo "live-status: skipped: $1"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root"
command -v ip >/dev/null 2>&1 || skip "no ip(8)"
command -v tcpreplay >/dev/null 2>&1 || skip "no tcpreplay"
ip netns list >/dev/null 2>&1 || skip "ip netns unavailable"

na=ctst-a-$$
nb=ctst-b-$$
t=$(mktemp -d) || exit 1
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	ip netns del "$na" 2>/dev/null
	ip netns del "$nb" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ip netns add "$na" && ip netns add "$nb" || skip "cannot create network namespaces"
ip link add vst0 netns "$na" type veth peer name vst1 netns "$nb" || skip "cannot create a veth pair"
ip -n "$na" link set vst0 up && ip -n "$nb" link set vst1 up || exit 1

ip netns exec "$nb" "$CALLTAP" -i vst1 --json "$t/live.jsonl" --stats-interval 1 2>"$t/err" &
pid=$!
sleep 1.5
ip netns exec "$na" tcpreplay -q -i vst0 "$srcdir/pcaps/sipp-many.pcap" >/dev/null 2>&1 ||
    skip "tcpreplay failed"
sleep 2
kill -INT "$pid"
wait "$pid"
st=$?
pid=

re='^calltap: packets [0-9]+ \([0-9]+/s\) calls in progress ([0-9]+) started ([0-9]+) \(([0-9.]+)/min\) ended ([0-9]+) written ([0-9]+) .* drops 0 ifdrops 0 at 20[0-9-]{8}T[0-9:]{8}Z$'
[ $st -eq 0 ] && ok "calltap exits 0 on SIGINT" || bad "exit status $st"
n=$(grep -cE "$re" "$t/err")
[ "$n" -ge 5 ] && [ "$n" -eq "$(wc -l <"$t/err")" ] &&
    ok "$n status lines, each with the drops and its timestamp" || bad "status lines: $n"
# The busiest line: calls in progress while they run, started per minute.
busy=$(sed -En "s|$re|\\1 \\2 \\3 \\4 \\5|p" "$t/err" | sort -n | tail -1)
set -- $busy
[ "${1:-0}" -ge 3 ] && ok "calls in progress counted while they run ($1 of $2 started)" ||
    bad "calls in progress: '$busy'"
awk -v r="${3:-0}" 'BEGIN { exit !(r > 0) }' && ok "calls started per minute: $3" ||
    bad "calls per minute: '$busy'"
# Ended calls are counted when they end; written once their RTP has been
# quiet for 5 s (the last ones at SIGINT).
last2=$(tail -2 "$t/err" | head -1 | sed -En "s|$re|\\1 \\2 \\4 \\5|p")
last=$(tail -1 "$t/err" | sed -En "s|$re|\\1 \\2 \\4 \\5|p")
set -- $last2
[ "${1:-x} ${2:-x} ${3:-x}" = "0 20 20" ] && [ "${4:-99}" -le 20 ] && [ "$last" = "0 20 20 20" ] &&
    ok "after the replay: 20 started, 20 ended, ${4:-?} written, all written at the end" ||
    bad "ended/written: before SIGINT '$last2', at the end '$last'"
[ "$(wc -l <"$t/live.jsonl")" -eq 20 ] && ok "20 records" || bad "records: $(wc -l <"$t/live.jsonl")"

echo "live-status: $pass passed, $fail failed"
[ $fail -eq 0 ]
