#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Serial forking seen downstream of a proxy (src/sip/dialog.c, serial_resume):
# tests/serial-fork.py writes one capture per scenario (a branch busy, timed
# out or cancelled by the proxy and the next one answered; every branch
# failing; failover after 503; a voicemail as the last branch; both branches
# to one PBX address; a new branch too late; parallel forking; auth retries;
# ordinary busy and cancelled calls) and the record fields each must have
# (disposition, final_code, ringing/answer/end times, answer_ms, talk_s,
# hangup side and reason, agent, invites, rings).  Also all scenarios in one
# capture, --stats calls_serial_forks, and the same without the pre-scan.
# Prints "serial-fork: N passed, N failed".
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "skip: python3 is needed"; exit 77; }
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
gen="$srcdir/tests/serial-fork.py"
for s in $(python3 "$gen" list) all; do
	if ! python3 "$gen" write "$s" "$t/$s.pcap" 2>"$t/err"; then
		bad "$s: serial-fork.py write"; continue
	fi
	if ! "$CALLTAP" -r "$t/$s.pcap" --json "$t/$s.jsonl" --stats 2>"$t/$s.stats"; then
		cp "$t/$s.stats" "$t/err"; bad "$s: calltap failed"; continue
	fi
	if python3 "$gen" check "$s" "$t/$s.jsonl" >"$t/err" 2>&1; then
		ok "$s: $(tail -n 1 "$t/err")"
	else
		bad "$s"
	fi
done
# 8 calls resumed by a new branch: busy-answer, 408-answer, all-fail,
# cancel-answer, voicemail (twice), same-address, 503-failover.
grep -Eq '^ +calls_serial_forks +8$' "$t/all.stats" && ok "all: --stats calls_serial_forks 8" ||
    { cp "$t/all.stats" "$t/err"; bad "all: --stats calls_serial_forks is not 8"; }
grep -q 'calls_serial_forks' "$t/single-busy.stats" "$t/parallel.stats" "$t/auth.stats" &&
    bad "no serial fork counted for single-busy, parallel, auth" ||
    ok "no serial fork counted for single-busy, parallel, auth"
# The SIP pre-scan (a new branch of an ended call needs the whole message)
# changes nothing: the same records and counters without it.
CALLTAP_NO_PRESCAN=1 "$CALLTAP" -r "$t/all.pcap" --json "$t/np.jsonl" --stats 2>"$t/np.stats"
grep -v -e sip_prescan_skipped -e output_queue "$t/all.stats" >"$t/a.st"
grep -v -e sip_prescan_skipped -e output_queue "$t/np.stats" >"$t/b.st"
cmp -s "$t/all.jsonl" "$t/np.jsonl" && cmp -s "$t/a.st" "$t/b.st" &&
    ok "all: the same records and counters without the pre-scan" ||
    bad "all: the pre-scan changes the records or counters"
echo "serial-fork: $pass passed, $fail failed"
[ $fail -eq 0 ]
