#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# SIGHUP on a live capture: a veth pair inside a network namespace made for
# the test (nothing leaves it); tests/sighup.py sends the two-phase capture
# into one end while `calltap -i` captures on the other end with every file
# output on (JSON, CSV, table, SQLite, orphans).  Once the first phase's
# calls are written (their 32 s linger ends on the idle link), every output
# is moved away and calltap gets SIGHUP; then the second phase is sent and
# SIGINT ends the run.  The moved files must hold the first phase's calls,
# the new ones the second's, each call once (orphan streams once, in either
# file: they end 60 s after their last packet).  Needs root and `ip netns`;
# otherwise skipped (77).
. "$(dirname "$0")/lib.sh"

skip() { echo "sighup-live: skipped: $1"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root"
command -v ip >/dev/null 2>&1 || skip "no ip(8)"
command -v python3 >/dev/null 2>&1 || skip "no python3"
command -v sqlite3 >/dev/null 2>&1 || skip "no sqlite3"
ip netns list >/dev/null 2>&1 || skip "ip netns unavailable"

ns=cthup-$$
t=$(mktemp -d) || exit 1
pid=
gpid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	[ -n "$gpid" ] && kill -KILL "$gpid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: want '$2', got '$3'"; fi; }

ip netns add "$ns" || skip "cannot create a network namespace"
ip -n "$ns" link add hup0 type veth peer name hup1 || skip "cannot create a veth pair"
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
ip -n "$ns" link set hup0 up && ip -n "$ns" link set hup1 up || exit 1

ip netns exec "$ns" "$CALLTAP" -i hup1 --home 10.0.0.0/8 --json "$t/o.json" --csv "$t/o.csv" --table "$t/o.txt" \
    --db "$t/o.db" --orphans "$t/o.orph" --stats-interval 0 2>"$t/err" &
pid=$!
sleep 1
kill -0 "$pid" 2>/dev/null || { bad "calltap -i started"; exit 1; }
ip netns exec "$ns" python3 "$srcdir/tests/sighup.py" live hup0 "$t/ready" "$t/go" &
gpid=$!
# Phase 0's calls are written when their linger (32 s) ends.
i=0
while [ "$(cat "$t/o.json" 2>/dev/null | wc -l)" -lt 3 ] && [ $i -lt 500 ]; do sleep 0.1; i=$((i + 1)); done
check "phase 0: 3 calls written before the rotation" 3 "$(wc -l <"$t/o.json")"
sleep 1.2   # the database commits within a second
for f in o.json o.csv o.txt o.db o.orph; do mv "$t/$f" "$t/$f.1"; done
kill -HUP "$pid"
sleep 0.6   # the read loop wakes every 250 ms
for f in o.json o.csv o.txt o.db o.orph; do
	[ -f "$t/$f" ] && ok "SIGHUP: $f created again" || bad "SIGHUP: $f not created again"
done
touch "$t/go"
wait "$gpid"
gpid=
sleep 0.5
kill -INT "$pid"
wait "$pid"
st=$?
pid=
check "exit status, stderr" "0 0" "$st $(wc -c <"$t/err")"

ids() { sed 's/.*"call_id":"\([^"]*\)".*/\1/' "$@" | sort | tr '\n' ' '; }
check "JSON: phase 0 before, phase 1 after" \
    "hup-0-0@192.0.2.1 hup-0-1@192.0.2.1 hup-0-2@192.0.2.1 |hup-1-0@192.0.2.1 hup-1-1@192.0.2.1 hup-1-2@192.0.2.1 " \
    "$(ids "$t/o.json.1")|$(ids "$t/o.json")"
check "CSV: header + 3 rows in each file" "4 4 $(head -1 "$t/o.csv.1")" \
    "$(wc -l <"$t/o.csv.1") $(wc -l <"$t/o.csv") $(head -1 "$t/o.csv")"
check "table: 3 calls in each part" "3 calls: 1 answered|3 calls: 1 answered" \
    "$(tail -1 "$t/o.txt.1" | cut -d, -f1)|$(tail -1 "$t/o.txt" | cut -d, -f1)"
q="SELECT group_concat(call_id, ' ') FROM (SELECT call_id FROM calls ORDER BY call_id)"
check "SQLite: phase 0 in the moved database, phase 1 in the new one" \
    "hup-0-0@192.0.2.1 hup-0-1@192.0.2.1 hup-0-2@192.0.2.1|hup-1-0@192.0.2.1 hup-1-1@192.0.2.1 hup-1-2@192.0.2.1" \
    "$(sqlite3 "$t/o.db.1" "$q" 2>&1)|$(sqlite3 "$t/o.db" "$q" 2>&1)"
check "orphans: both streams, once" "198.51.100.7:30000 198.51.100.7:30002 " \
    "$(cat "$t/o.orph.1" "$t/o.orph" | sed 's/.*"src":"\([^"]*\)".*/\1/' | sort | tr '\n' ' ')"
# Records carry the live capture's drop count (a number, not null).
check "live records carry capture_drops" 6 "$(cat "$t/o.json.1" "$t/o.json" | grep -c '"capture_drops":[0-9]')"

echo "sighup-live: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
