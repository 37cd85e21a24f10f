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
