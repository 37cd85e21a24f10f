#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Re-blesses the expected output of one golden test (or all with --all), in
# the reviewable form of scripts/golden-format (one field per line):
#   scripts/update-golden.sh NAME
# Review the diff (git diff tests/expected) by hand, and check it against
# tshark (tshark -r CAPTURE -Y sip) before committing it.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
CALLTAP=${CALLTAP:-$top/calltap}
TZ=UTC; export TZ
[ $# -ge 1 ] || { echo "usage: $0 NAME... | --all" >&2; exit 1; }
while read -r name pcap expected opts; do
	case $name in ''|'#'*) continue ;; esac
	if [ "$1" = --all ] || echo " $* " | grep -q " $name "; then
		# shellcheck disable=SC2086
		"$CALLTAP" -r "$top/$pcap" --json - --sensor golden $opts |
		    python3 "$top/scripts/golden-format" >"$top/$expected"
		echo "blessed $name -> $expected ($(grep -c '^{' "$top/$expected") calls)"
	fi
done <"$top/tests/TESTLIST"
