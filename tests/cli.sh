#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Command-line habits: a forgotten option value is refused (no file named
# "--table"), two outputs on standard output are refused, --help names the
# report subcommand and the manual, --version lists what was built in,
# absurd durations are refused instead of overflowing.
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
cap=$srcdir/pcaps/$(ls "$srcdir/pcaps" | grep -m1 -E '\.pcap(ng)?$')

(cd "$t" && "$CALLTAP" --json --table /dev/null -r "$cap") >/dev/null 2>"$t/err"
st=$?
if [ $st -eq 1 ] && [ ! -e "$t/--table" ] && grep -q "'--table' is an option, not a value" "$t/err"; then
	ok "forgotten value refused, no file named --table"
else bad "forgotten value: exit $st"; fi

"$CALLTAP" --json - --csv - -r "$cap" >"$t/out" 2>"$t/err"
st=$?
if [ $st -eq 1 ] && [ ! -s "$t/out" ] && grep -q "only one output can go to standard output" "$t/err"; then
	ok "two outputs on stdout refused"
else bad "two outputs on stdout: exit $st"; fi

"$CALLTAP" --json - -r "$cap" >"$t/out" 2>"$t/err" && [ -s "$t/out" ] &&
    ok "one output on stdout" || bad "one output on stdout"

"$CALLTAP" --help >"$t/out" 2>&1
grep -q "calltap report" "$t/out" && grep -q "man calltap" "$t/out" &&
    ok "--help names the report subcommand and the manual" || bad "--help"

"$CALLTAP" --version >"$t/out" 2>&1
grep -q "^calltap " "$t/out" && grep -q "^inputs: pcap pcapng" "$t/out" &&
    grep -q "^outputs: json csv table sqlite" "$t/out" && grep -q "^codecs decoded: G.711" "$t/out" &&
    ok "--version lists inputs, outputs, codecs" || bad "--version: $(cat "$t/out")"

"$CALLTAP" -r "$cap" --setup-timeout 1e300 --json /dev/null 2>"$t/err"
st=$?
[ $st -eq 1 ] && ok "absurd timeout refused" || bad "absurd timeout: exit $st"

echo "cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
