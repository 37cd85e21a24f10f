#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Timer B (RFC 3261 §17.1.1.2, 64*T1 = 32 s; src/sip/dialog.c), end to end:
# 300 never-answered INVITEs to the PBX (tests/attacks.py invite-flood)
# mixed into a generated trunk (scripts/gen-calls) whose PBX answers its
# calls.
#  - two-way capture: every flood call is closed 32 s after its INVITE
#    (hangup_reason "no response (timer B)", end_time = start_time,
#    unfinished, truncated), the count is in --stats
#    (calls_noresponse_timeout), and every legitimate call is exact
#    (scripts/compare-truth --ignore-extra);
#  - one-way capture (only the packets to the PBX, tshark): nothing proves
#    that the tap sees the PBX answer, so no flood call is closed by Timer
#    B: they wait for the setup timeout and end with the capture, as before.
# Prints "timer-b: N passed, N failed".
. "$(dirname "$0")/lib.sh"
for tool in tshark python3; do
	command -v $tool >/dev/null 2>&1 || { echo "skip: $tool is needed"; exit 77; }
done
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
"$srcdir/scripts/gen-calls" -o "$t/legit.pcap" --truth "$t/truth" -q --calls 30 \
    --concurrency 8 --talk-mean 8 --seed 11 || { echo "FAIL gen-calls"; exit 1; }
python3 "$srcdir/tests/attacks.py" mix invite-flood "$t/legit.pcap" "$t/truth" --scale 300 \
    -o "$t/mix.pcap" || { echo "FAIL attacks.py mix"; exit 1; }
tshark -r "$t/mix.pcap" -w "$t/to.pcap" -F pcap \
    "ip.dst == 203.0.113.10 or ipv6.dst == 2001:db8:113::10" 2>/dev/null

# Prints "N_flood N_timer_b N_timer_b_exact" for the records in $1: flood
# calls, those closed by Timer B, and those of them unfinished, truncated,
# without final code, ended at their INVITE.
count() {
	python3 - "$1" <<'PY'
import json, sys
n = b = exact = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if not r['call_id'].startswith('flood-'):
        continue
    n += 1
    if r['hangup_reason'] == 'no response (timer B)':
        b += 1
        exact += (r['disposition'] == 'unfinished' and r['truncated'] is True and
                  r['final_code'] is None and r['end_time'] == r['start_time'])
print(n, b, exact)
PY
}

"$CALLTAP" -r "$t/mix.pcap" --json "$t/two.jsonl" -s >/dev/null 2>"$t/err" ||
    bad "two-way: calltap failed"
set -- $(count "$t/two.jsonl")
[ "$1 $2 $3" = "300 300 300" ] && ok "two-way: the 300 unanswered INVITEs closed by Timer B" ||
    bad "two-way: flood records, Timer B, exact: $1 $2 $3 (want 300 300 300)"
grep -q '^  calls_noresponse_timeout *300$' "$t/err" && ok "two-way: --stats calls_noresponse_timeout 300" ||
    bad "two-way: --stats has no calls_noresponse_timeout 300"
"$srcdir/scripts/compare-truth" --ignore-extra "$t/truth" "$t/two.jsonl" >"$t/cmp" 2>&1 &&
    ok "two-way: legitimate calls exact ($(tail -n 1 "$t/cmp"))" ||
    { bad "two-way: legitimate calls differ from the truth"; head "$t/cmp"; }

"$CALLTAP" -r "$t/to.pcap" --json "$t/one.jsonl" -s >/dev/null 2>"$t/err" ||
    bad "one-way: calltap failed"
set -- $(count "$t/one.jsonl")
[ "$1 $2" = "300 0" ] && ok "one-way: no INVITE closed by Timer B (setup timeout as before)" ||
    bad "one-way: flood records, Timer B: $1 $2 (want 300 0)"
grep -q 'calls_noresponse_timeout' "$t/err" && bad "one-way: --stats counts Timer B closes" ||
    ok "one-way: --stats counts no Timer B close"

echo "timer-b: $pass passed, $fail failed"
[ $fail -eq 0 ]
