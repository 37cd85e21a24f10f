# SPDX-License-Identifier: GPL-3.0-or-later
# Shared preamble of the shell tests, sourced first: . "$(dirname "$0")/lib.sh"
# Sets srcdir (absolute), builddir and CALLTAP (absolute) from automake's
# top_srcdir/top_builddir or the script's place, TZ=UTC, and the pass/fail
# counters with ok/bad, which print one line per check (bad also shows
# "$t/err" when the test keeps a command's stderr there).
srcdir=${top_srcdir:-$(dirname "$0")/..}
builddir=${top_builddir:-$srcdir}
CALLTAP=${CALLTAP:-$builddir/calltap}
srcdir=$(cd "$srcdir" && pwd)
case $CALLTAP in /*) ;; *) CALLTAP=$(pwd)/$CALLTAP ;; esac
TZ=UTC; export TZ
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${t:-}" ] && [ -f "$t/err" ] && sed 's/^/     | /' "$t/err"; }

# decoder_vm_checks "FILES" WHAT (tests/zstd-window.sh, tests/xz-window.sh):
# the address space each decoder takes.  Under a 700 MB address space the
# default --decompress-memory budget reads every one of FILES (-r options),
# and a budget of 4096 MiB, which would open WHAT at once, fails with exit
# 2.  Skipped when calltap cannot run under the limit at all (a sanitizer
# build).  Uses "$t".
decoder_vm_checks() {
	if (ulimit -v 700000 && "$CALLTAP" --json /dev/null -r "$t/part0.pcap" -q; st=$?; exit $st) \
	    >/dev/null 2>&1; then
		# shellcheck disable=SC2086
		(ulimit -v 700000 && "$CALLTAP" --json "$t/lim.jsonl" $1 -q) 2>"$t/err"
		st=$?
		[ $st -eq 0 ] && ok "700 MB address space: default budget reads every file" ||
		    bad "700 MB address space, default budget: exit $st"
		# shellcheck disable=SC2086
		(ulimit -v 700000 && "$CALLTAP" --json "$t/lim2.jsonl" --decompress-memory 4096 $1 -q) \
		    2>"$t/err"
		st=$?
		[ $st -eq 2 ] && ok "700 MB address space: $2 at once do not fit (exit 2)" ||
		    bad "700 MB address space, --decompress-memory 4096: exit $st"
	else
		echo "skip: calltap does not run under ulimit -v 700000 (sanitizers?)"
	fi
}
