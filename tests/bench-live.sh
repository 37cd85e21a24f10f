#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# scripts/bench --live --quick as a functional test (issue 16): it makes two
# network namespaces and a veth pair of its own, replays a small generated
# capture into one end with scripts/bench-sender.c while `calltap -i`
# captures on the other, and prints a lossless packet rate for calltap with
# and without --audio.  Checked: it runs, prints a rate for each case, and
# leaves no namespace behind, also when it is stopped (SIGTERM) in the
# middle; and bench-sender refuses an interface that is not a veth.  No
# rate is asserted (performance is measured by scripts/bench only).  Needs
# root, ip netns, cc and libpcap; otherwise skipped (77).
. "$(dirname "$0")/lib.sh"

skip() { echo "bench-live: skipped: $1"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root"
command -v ip >/dev/null 2>&1 || skip "no ip(8)"
command -v python3 >/dev/null 2>&1 || skip "no python3"
command -v "${CC:-cc}" >/dev/null 2>&1 || skip "no C compiler"
ip netns list >/dev/null 2>&1 || skip "ip netns unavailable"
[ -x /usr/bin/time ] || skip "no /usr/bin/time"

t=$(mktemp -d) || exit 1
bpid=
cleanup() {
	[ -n "$bpid" ] && kill -KILL "$bpid" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# In the background for its PID: the namespaces are named after it.
"$srcdir/scripts/bench" --live --quick --calltap "$CALLTAP" --workdir "$t" >"$t/out" 2>"$t/err" &
bpid=$!
wait "$bpid"
st=$?
first=$bpid
bpid=
if [ $st -eq 77 ]; then
	cat "$t/out"
	skip "scripts/bench --live: $(grep skipped "$t/out")"
fi
[ $st -eq 0 ] && ok "scripts/bench --live --quick exits 0" || { bad "scripts/bench --live --quick exit $st"; cat "$t/out"; }
for case in "calltap -i --buffer-mb 64" "calltap -i --audio DIR --buffer-mb 64"; do
	grep -Eq "^live: $case: lossless up to [0-9,]+ packets/s \([0-9]+% of the sender's top speed [0-9,]+/s" "$t/out" &&
	    ok "a lossless rate for $case" || { bad "no rate for $case"; cat "$t/out"; }
done
grep -q "load average [0-9.]* before" "$t/out" && ok "the load average is reported" || bad "no load average"
ip netns list 2>/dev/null | grep -q "^ctbench-[ab]-$first\>" &&
    bad "namespaces left: $(ip netns list 2>/dev/null | grep ctbench-)" ||
    ok "no namespace left behind"

# Stopped in the middle of a trial: the namespaces and calltap go with it.
"$srcdir/scripts/bench" --live --quick --calltap "$CALLTAP" --workdir "$t" >"$t/out2" 2>&1 &
bpid=$!
i=0
cpids=
while [ -z "$cpids" ] && [ $i -lt 200 ]; do
	cpids=$(ip netns pids "ctbench-b-$bpid" 2>/dev/null)
	[ -n "$cpids" ] || sleep 0.02
	i=$((i + 1))
done
[ -n "$cpids" ] && ok "the bench made its namespaces and started calltap in one" ||
    bad "no calltap seen in ctbench-b-$bpid"
kill -TERM "$bpid"
wait "$bpid"
st=$?
first=$bpid
bpid=
[ $st -ne 0 ] && ok "SIGTERM ends the bench (exit $st)" || bad "bench exit 0 after SIGTERM"
ip netns list 2>/dev/null | grep -q "^ctbench-[ab]-$first\>" &&
    bad "namespaces left after SIGTERM: $(ip netns list 2>/dev/null | grep ctbench-)" ||
    ok "no namespace left after SIGTERM"
left=
for p in $cpids; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
[ -z "$left" ] && ok "no calltap left running" || bad "calltap left running:$left"

# bench-sender never sends on anything but a veth.
cc -O2 "$srcdir/scripts/bench-sender.c" -o "$t/sender" -lpcap 2>"$t/err" || bad "bench-sender builds"
"$t/sender" lo "$srcdir/pcaps/sipp-many.pcap" 10 >"$t/sout" 2>"$t/err"
st=$?
[ $st -ne 0 ] && grep -q "not a veth interface" "$t/err" && [ ! -s "$t/sout" ] &&
    ok "bench-sender refuses lo (not a veth)" || bad "bench-sender on lo: exit $st"

echo "bench-live: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
