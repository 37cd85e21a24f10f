#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Golden-output regression tests (tcpdump TESTrun style).  Each line of
# tests/TESTLIST reads:  name  capture  expected.json  [calltap options]
# calltap must exit 0, print nothing on stderr, and its JSON lines, put one
# field per line by scripts/golden-format (bytes of every value kept), must
# equal the expected file exactly.  A missing expected file is a failure; bless a
# new one with scripts/update-golden.sh NAME after checking it by hand.
. "$(dirname "$0")/lib.sh"
out=$(mktemp -d) || exit 1
trap 'rm -rf "$out"' EXIT
only=$1
while read -r name pcap expected opts; do
	case $name in ''|'#'*) continue ;; esac
	[ -n "$only" ] && [ "$only" != "$name" ] && continue
	# shellcheck disable=SC2086
	"$CALLTAP" -r "$srcdir/$pcap" --json "$out/$name.jsonl" --sensor golden $opts 2>"$out/$name.err"
	rc=$?
	python3 "$srcdir/scripts/golden-format" <"$out/$name.jsonl" >"$out/$name.json" || rc=99
	why=
	if [ $rc -ne 0 ]; then
		why="exit status $rc"
	elif [ -s "$out/$name.err" ]; then
		why="unexpected stderr: $(head -3 "$out/$name.err")"
	elif [ ! -f "$srcdir/$expected" ]; then
		why="missing expected file $expected"
	elif ! diff -u "$srcdir/$expected" "$out/$name.json" >"$out/$name.diff"; then
		why="output differs:
$(head -40 "$out/$name.diff")"
	fi
	if [ -z "$why" ]; then
		pass=$((pass + 1))
		echo "ok   $name"
	else
		fail=$((fail + 1))
		echo "FAIL $name: $why"
	fi
done <"$srcdir/tests/TESTLIST"
echo "pcap-tests: $pass passed, $fail failed"
[ $fail -eq 0 ]
