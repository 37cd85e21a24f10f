#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Hostile captures (tests/hostile.py): every bundled capture cut short at
# several offsets and bit-flipped in its packet data (fixed PRNG seed), a
# SIP-over-TCP slowloris and an IP fragment flood.  calltap must never crash
# (status < 128, no sanitizer report), must exit 0 or 2, and must write
# nothing on stdout but JSON objects, one per line (--json -).  Under a
# non-ASan build the two floods must also stay below a peak RSS limit:
#
#   slowloris  4000 TCP streams each sending 48 KiB of a SIP header that
#              never ends (188 MiB held if nothing were dropped; 298 MB RSS
#              before the reassembler had a total budget).  By design the
#              TCP buffers stay under 64 MiB (128 x (max_buffer +
#              max_ooo_bytes)), plus ~150 bytes per direction and the
#              process baseline (14 MiB measured on a small capture):
#              limit 128 MiB, which leaves room for allocator slack.
#   fragflood  100000 never-completed IPv4 fragments of 1400 bytes, half of
#              them at offset 62400 (140 MB of payload).  By design at most
#              16 MiB and 4096 datagrams are held, plus the baseline:
#              limit 48 MiB.
#
# Prints "hostile: N passed, N failed".
. "$(dirname "$0")/lib.sh"
SLOW_RSS_KB=131072
FRAG_RSS_KB=49152
if ! command -v python3 >/dev/null 2>&1; then
	echo "skip: python3 is needed to make the hostile captures"
	exit 77
fi
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
mkdir "$t/in" "$t/out" "$t/audio"
# Here $t/err holds each run's stderr for its verdict, not a failure to show.
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# Status and stderr of one run ($1 status, $2 stderr file); empty when fine.
verdict() {
	if [ "$1" -ge 128 ]; then
		echo "killed by signal $(($1 - 128))"
	elif [ "$1" -ne 0 ] && [ "$1" -ne 2 ]; then
		echo "exit status $1 (want 0 or 2)"
	elif grep -qE 'Sanitizer|runtime error:' "$2"; then
		grep -m1 -E 'Sanitizer|runtime error:' "$2"
	fi
}

for pcap in "$srcdir"/pcaps/*.pcap "$srcdir"/pcaps/*.pcapng; do
	[ -f "$pcap" ] || continue
	name=$(basename "$pcap")
	python3 "$srcdir/tests/hostile.py" mutate "$pcap" "$t/in" 1 || { bad "$name: mutate failed"; continue; }
	why=
	n=0
	for f in "$t/in/$name".*; do
		m=$(basename "$f")
		"$CALLTAP" -r "$f" --json - --audio "$t/audio" >"$t/out/$m.jsonl" 2>"$t/err"
		w=$(verdict $? "$t/err")
		[ -n "$w" ] && why="$why
     $m: $w"
		n=$((n + 1))
		rm -f "$f" "$t/audio"/*
	done
	if [ -z "$why" ]; then ok "$name: $n truncated and bit-flipped copies"; else bad "$name:$why"; fi
done
if python3 "$srcdir/tests/hostile.py" checkjson "$t/out"/*.jsonl 2>"$t/err"; then
	ok "stdout holds only JSON objects ($(cat "$t/out"/*.jsonl | wc -l) lines)"
else
	bad "stdout is not JSON lines only: $(head -3 "$t/err")"
fi

asan=0
grep -qa '__asan_init' "$CALLTAP" && asan=1
measure() { # name limit-KB generator-args...
	label=$1 limit=$2
	shift 2
	if [ -x /usr/bin/time ]; then
		python3 "$srcdir/tests/hostile.py" "$@" |
		    /usr/bin/time -f %M -o "$t/rss" "$CALLTAP" -r - --json - -s >"$t/flood.out" 2>"$t/err"
	else
		python3 "$srcdir/tests/hostile.py" "$@" |
		    python3 "$srcdir/tests/hostile.py" rss "$t/rss" "$CALLTAP" -r - --json - -s >"$t/flood.out" 2>"$t/err"
	fi
	st=$?
	rss=$(tail -n 1 "$t/rss" 2>/dev/null)
	w=$(verdict $st "$t/err")
	if [ -z "$w" ] && [ -s "$t/flood.out" ]; then
		w="unexpected output: $(head -c 200 "$t/flood.out")"
	fi
	if [ -z "$w" ] && [ $asan -eq 0 ] && ! [ "${rss:-0}" -gt 0 ] 2>/dev/null; then
		w="peak RSS not measured"
	elif [ -z "$w" ] && [ $asan -eq 0 ] && [ "$rss" -gt "$limit" ]; then
		w="peak RSS $rss KB over the $limit KB limit"
	fi
	if [ -n "$w" ]; then
		bad "$label: $w"
		grep -E 'tcp_limit|frag_limit|frames' "$t/err" | sed 's/^/     | /'
	elif [ $asan -eq 1 ]; then
		ok "$label (ASan build: RSS not checked)"
	else
		ok "$label: peak RSS $rss KB (limit $limit KB)"
	fi
}
measure "slowloris, 4000 TCP streams x 48 KiB partial SIP header" $SLOW_RSS_KB slowloris 4000 49152
measure "fragment flood, 100000 fragments never completed" $FRAG_RSS_KB fragflood 100000
echo "hostile: $pass passed, $fail failed"
[ $fail -eq 0 ]
