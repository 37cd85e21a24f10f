#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Replays the fuzz regressions (tests/fuzz/regress/<target>/, one file per
# crash, leak or broken invariant fixed) and the seed corpus generated from
# pcaps/ by scripts/fuzz-corpus through tests/fuzz/replay, the harnesses of
# tests/fuzz/ built by automake without libFuzzer.  Under an ASan build a
# sanitizer report fails the target.  Prints "fuzz-regress: N passed, N failed".
srcdir=${top_srcdir:-$(dirname "$0")/..}
builddir=${top_builddir:-$srcdir}
REPLAY=${REPLAY:-$builddir/tests/fuzz/replay}
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
pass=0
fail=0
seeds=
if command -v python3 >/dev/null 2>&1 &&
    python3 "$srcdir/scripts/fuzz-corpus" "$t/seeds" >"$t/corpus.out" 2>&1; then
	seeds=$t/seeds
else
	echo "note: no seed corpus (python3 or scripts/fuzz-corpus failed); regressions only"
fi
for target in decode ipfrag tcp sip rtp engine capture hep; do
	set -- "$srcdir/tests/fuzz/regress/$target"
	[ -d "$1" ] || set --
	[ -n "$seeds" ] && set -- "$@" "$seeds/$target"
	if [ $# -eq 0 ]; then
		echo "skip $target: no inputs"
		continue
	fi
	"$REPLAY" -v "$target" "$@" >"$t/out" 2>"$t/err"
	rc=$?
	if [ $rc -eq 0 ] && ! grep -qE 'Sanitizer|runtime error|invariant broken' "$t/err"; then
		pass=$((pass + 1))
		echo "ok   $target: $(sed -n 's/^replay [a-z]*: //p' "$t/out")"
	else
		fail=$((fail + 1))
		echo "FAIL $target (exit $rc); last input: $(grep '^replay: ' "$t/err" | tail -1)"
		grep -v '^replay: ' "$t/err" | head -30 | sed 's/^/     | /'
	fi
done
echo "fuzz-regress: $pass passed, $fail failed"
[ $fail -eq 0 ]
