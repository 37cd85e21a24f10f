#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Attribution against an independent oracle (issue 11).  scripts/gen-calls
# --attribution writes six days of call-tracking trunk traffic (Europe/Kyiv
# across the March DST change; tracking numbers, callers in mixed number
# formats, redials, missed calls, callbacks (overlapping, unanswered),
# agents, outbound, internal, withheld callers, an office test call), the
# capture split in two by link for two sensors, and the truth of every
# record field and every report figure computed from what the generator
# knows (scripts/calltruth.py), not from the wire.  calltap then runs into
# SQLite and into PostgreSQL (a private server as tests/pgsql.sh starts;
# skipped with a note when it cannot start):
#   - one sensor, then the same capture replayed into the same store;
#   - two sensors (two calltap processes, --sensor s1/s2) into one store,
#     in both orders (their JSON history fields are not compared: a sensor
#     streams a record before the other has stored the earlier calls), then
#     both replayed (now the history fields too: the store has every call);
# and tests/attribution.py compares every record field (JSON lines and
# store rows) and every report figure (`calltap report --format json`, the
# csv tables and the key figures of the text) with the truth, for two
# option sets (whole store; a 4-day window with a 2 h lead window); then
# the same scenario with NANP numbers (--country-code 1), SQLite only.
# First the truth is checked against a second computation of it in SQL.
# Each mismatch is printed (ATTR_LIMIT=N: at most N per field and check).
# Prints "attribution: N passed, N failed".
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "attribution: python3 missing, skipped"; exit 77; }
if ! python3 -c 'import zoneinfo; zoneinfo.ZoneInfo("Europe/Kyiv")' 2>/dev/null; then
	echo "attribution: no tzdata for Europe/Kyiv (Debian package tzdata), skipped"; exit 77
fi
PORT=54331
t=$(mktemp -d) || exit 1
chmod 755 "$t"
pgbin=
as_pg=
cleanup() {
	[ -n "$pgbin" ] && $as_pg "$pgbin/pg_ctl" -D "$t/pgdata" -m immediate stop >/dev/null 2>&1
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

attr_check() { python3 "$srcdir/tests/attribution.py" "$@"; }
TZN=Europe/Kyiv
HOURS='Mon-Fri 09:00-18:00,Sat 10:00-14:00'
# The window: 4 local days (29 March to 1 April, across the DST change).
WIN="--from 2024-03-29 --to 2024-04-01 --lead-window 2h"
CC=380
OPTS="--numbers $t/numbers.csv --home 203.0.113.0/24 --home 2001:db8:113::/48 --country-code $CC"

# ---- the traffic and its truth ------------------------------------------
# --split-share 0: a TCP message split in two swapped halves as the first
# segment after hours of silence on its connection is a reassembly case of
# its own (tests/gen-truth.sh covers split segments), not attribution.
if ! "$srcdir/scripts/gen-calls" --attribution --seed 11 --split-share 0 -q \
    -o "$t/all.pcap" --truth "$t/truth.jsonl" --numbers "$t/numbers.csv" \
    --costs "$t/costs.csv" --report-truth "$t/rt-all.json" \
    --sensor-pcaps "$t/s1.pcap,$t/s2.pcap" --tz $TZN --hours "$HOURS" \
    --lead-window 24h >"$t/gen.err" 2>&1; then
	echo "FAIL attribution: gen-calls failed"; cat "$t/gen.err"; exit 1
fi
# shellcheck disable=SC2086
if ! python3 "$srcdir/scripts/calltruth.py" "$t/truth.jsonl" --tz $TZN --hours "$HOURS" \
    $WIN --costs "$t/costs.csv" -o "$t/rt-win.json" 2>"$t/gen.err"; then
	echo "FAIL attribution: calltruth.py failed"; cat "$t/gen.err"; exit 1
fi
N=$(wc -l <"$t/truth.jsonl")
echo "attribution: $N calls ($(python3 -c 'import json,sys,collections; print(dict(collections.Counter(json.loads(l)["direction"] for l in open(sys.argv[1]))))' "$t/truth.jsonl"))"

# The same seed gives the same capture and truth.
"$srcdir/scripts/gen-calls" --attribution --seed 11 --split-share 0 -q \
    -o "$t/again.pcap" --truth "$t/again.jsonl" --tz $TZN --hours "$HOURS" 2>"$t/err"
if cmp -s "$t/all.pcap" "$t/again.pcap" && cmp -s "$t/truth.jsonl" "$t/again.jsonl"; then
	ok "gen-calls --attribution is deterministic"
else
	bad "gen-calls --attribution: two runs with one seed differ"
fi
rm -f "$t/again.pcap" "$t/again.jsonl"

# The oracle against itself: the history fields and the lead and callback
# figures computed again in SQL from the same knowledge.
attr_check selfcheck "$t/truth.jsonl" "$t/rt-all.json" >"$t/chk" 2>&1
st=$?
if [ $st -eq 0 ]; then ok "truth: python = SQL: $(tail -n 1 "$t/chk")"; else
	fail=$((fail + 1)); echo "FAIL truth: python != SQL"; sed 's/^/     | /' "$t/chk"; fi

# ---- PostgreSQL (optional) ----------------------------------------------
for d in /usr/lib/postgresql/*/bin; do
	[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/psql" ] && pgbin=$d
done
backends=sqlite
if [ -z "$pgbin" ]; then
	echo "note: PostgreSQL server not installed: PostgreSQL part skipped"
elif ! "$CALLTAP" --help 2>&1 | grep -q -- '--pg'; then
	echo "note: calltap built without libpq: PostgreSQL part skipped"; pgbin=
else
	[ "$(id -u)" -eq 0 ] && as_pg="runuser -u nobody --"
	mkdir "$t/pgsock" "$t/pgdata"
	[ -n "$as_pg" ] && chown nobody "$t/pgsock" "$t/pgdata"
	if $as_pg "$pgbin/initdb" -D "$t/pgdata" -A trust -U calltap -E UTF8 --no-sync \
	    >"$t/initdb.log" 2>&1 &&
	    $as_pg "$pgbin/pg_ctl" -D "$t/pgdata" -l "$t/pgsock/server.log" -w -t 30 \
	    -o "-k $t/pgsock -p $PORT -c listen_addresses= -c fsync=off" start >/dev/null 2>&1; then
		backends="sqlite pg"
	else
		echo "note: the PostgreSQL test server did not start: PostgreSQL part skipped"
		pgbin=
	fi
fi
conn() { echo "host=$t/pgsock port=$PORT dbname=$1 user=calltap"; }
sql() { "$pgbin/psql" -X -Atq -h "$t/pgsock" -p $PORT -U calltap -d "$1" -c "$2"; }

# ---- helpers --------------------------------------------------------------
result() { # label file-with-checker-output status
	if [ "$3" -eq 0 ]; then
		ok "$1: $(tail -n 1 "$2")"
	else
		fail=$((fail + 1)); echo "FAIL $1: $(tail -n 1 "$2")"
		sed '$d; s/^/     | /' "$2"
	fi
}
ingest() { # backend store sensor pcap json
	if [ "$1" = pg ]; then
		# shellcheck disable=SC2086
		"$CALLTAP" -r "$4" --json "$5" --pg "$(conn "$2")" --spool "$t/spool-$2" \
		    $OPTS --sensor "$3" 2>"$t/err"
	else
		# shellcheck disable=SC2086
		"$CALLTAP" -r "$4" --json "$5" --db "$t/$2.db" $OPTS --sensor "$3" 2>"$t/err"
	fi
	rc=$?
	if [ $rc -ne 0 ] || grep -v '^calltap: warning: ' "$t/err" | grep -q .; then
		bad "$1 $2: calltap -r $(basename "$4") --sensor $3: exit $rc"
	fi
}
check_records() { # label truth-args...
	label=$1; shift
	attr_check records "$t/truth.jsonl" "$@" >"$t/chk" 2>&1
	result "$label" "$t/chk" $?
}
check_store() { # backend store label sensors
	if [ "$1" = pg ]; then
		sql "$2" "SELECT row_to_json(c) FROM calls c ORDER BY id" >"$t/$2.rows" 2>"$t/err"
		check_records "$3 store rows" "$t/$2.rows" --store --sensors "$4" --calls "$N"
	else
		check_records "$3 store rows" "$t/$2.db" --store --sensors "$4" --calls "$N"
	fi
}
check_report() { # backend store label truth-file extra-options...
	b=$1 s=$2 label=$3 rt=$4; shift 4
	if [ "$b" = pg ]; then src=--pg; db=$(conn "$s"); else src=--db; db=$t/$s.db; fi
	args=
	for f in json csv text; do
		"$CALLTAP" report $src "$db" --tz $TZN --hours "$HOURS" --costs "$t/costs.csv" \
		    --country-code "$CC" "$@" \
		    --format $f -o "$t/rep.$f" 2>"$t/err"
		rc=$?
		if [ $rc -ne 0 ]; then
			bad "$label report --format $f: exit $rc: $(head -n 1 "$t/err")"
		else
			args="$args --$f $t/rep.$f"
		fi
	done
	if [ -z "$args" ] && [ "$rt" = "$t/rt-all.json" ] && [ $rc -eq 1 ]; then
		# A calltap whose report does not know the options yet: its
		# figures without them, to see which ones already hold.
		"$CALLTAP" report $src "$db" --format json -o "$t/rep.json" 2>"$t/err" &&
		    args="--json $t/rep.json" && label="$label, report without --tz/--hours/--costs"
	fi
	[ -n "$args" ] || return
	# shellcheck disable=SC2086
	attr_check report "$rt" $args >"$t/chk" 2>&1
	result "$label report" "$t/chk" $?
}
reports() { # backend store label
	check_report "$1" "$2" "$3 (whole store)" "$t/rt-all.json" --lead-window 24h
	# shellcheck disable=SC2086
	check_report "$1" "$2" "$3 (window)" "$t/rt-win.json" $WIN
}

# ---- the runs -------------------------------------------------------------
for b in $backends; do
	if [ "$b" = pg ]; then
		for db in one s12 s21; do sql postgres "CREATE DATABASE $db" >/dev/null 2>&1; done
	fi
	# one sensor, once
	ingest "$b" one one "$t/all.pcap" "$t/one1.jsonl"
	check_records "$b one sensor: JSON" "$t/one1.jsonl" --sensors one
	check_store "$b" one "$b one sensor" one
	reports "$b" one "$b one sensor"
	# the same capture again into the same store
	ingest "$b" one one "$t/all.pcap" "$t/one2.jsonl"
	check_records "$b one sensor replayed: JSON" "$t/one2.jsonl" --sensors one
	check_store "$b" one "$b one sensor replayed" one
	reports "$b" one "$b one sensor replayed"
	# two sensors, both orders, then both replayed
	for order in 12 21; do
		s=s$order
		if [ $order = 12 ]; then first=1 second=2; else first=2 second=1; fi
		ingest "$b" "$s" "s$first" "$t/s$first.pcap" "$t/$s.a.jsonl"
		ingest "$b" "$s" "s$second" "$t/s$second.pcap" "$t/$s.b.jsonl"
		cat "$t/$s.a.jsonl" "$t/$s.b.jsonl" >"$t/$s.jsonl"
		check_records "$b two sensors s$first,s$second: JSON" "$t/$s.jsonl" \
		    --sensors s1,s2 --history skip
		check_store "$b" "$s" "$b two sensors s$first,s$second" s1,s2
		reports "$b" "$s" "$b two sensors s$first,s$second"
		ingest "$b" "$s" "s$first" "$t/s$first.pcap" "$t/$s.c.jsonl"
		ingest "$b" "$s" "s$second" "$t/s$second.pcap" "$t/$s.d.jsonl"
		# replayed, each sensor knows the whole history from the store
		cat "$t/$s.c.jsonl" "$t/$s.d.jsonl" >"$t/$s.jsonl"
		check_records "$b two sensors s$first,s$second replayed: JSON" "$t/$s.jsonl" \
		    --sensors s1,s2
		check_store "$b" "$s" "$b two sensors s$first,s$second replayed" s1,s2
		check_report "$b" "$s" "$b two sensors s$first,s$second replayed" "$t/rt-all.json" \
		    --lead-window 24h
	done
done
# ---- NANP: the same scenario with North American numbers (--country-code 1)
# Other business hours on the same store: a night shift written as one
# overnight item (22:00-06:00) and as items that touch at midnight (one
# business day either way), and hours that never close.
for h in night:'Mon-Fri 22:00-06:00,Sat 10:00-14:00' \
    touch:'Mon-Fri 22:00-24:00,Tue-Sat 00:00-06:00,Sat 10:00-14:00' \
    always:'Mon-Sun 00:00-24:00'; do
	hn=${h%%:*} HOURS=${h#*:}
	if python3 "$srcdir/scripts/calltruth.py" "$t/truth.jsonl" --tz $TZN --hours "$HOURS" \
	    --lead-window 24h --costs "$t/costs.csv" -o "$t/rt-$hn.json" 2>"$t/gen.err"; then
		check_report sqlite one "sqlite one sensor, --hours '$HOURS'" "$t/rt-$hn.json" \
		    --lead-window 24h
	else
		fail=$((fail + 1)); echo "FAIL calltruth.py --hours '$HOURS'"; cat "$t/gen.err"
	fi
done
HOURS='Mon-Fri 09:00-18:00,Sat 10:00-14:00'
if "$srcdir/scripts/gen-calls" --attribution --seed 12 --split-share 0 -q --country-code 1 \
    -o "$t/nanp.pcap" --truth "$t/truth.jsonl" --numbers "$t/numbers.csv" \
    --costs "$t/costs.csv" --report-truth "$t/rt-all.json" --tz $TZN --hours "$HOURS" \
    --lead-window 24h >"$t/gen.err" 2>&1; then
	N=$(wc -l <"$t/truth.jsonl")
	CC=1
	OPTS="--numbers $t/numbers.csv --home 203.0.113.0/24 --home 2001:db8:113::/48 --country-code $CC"
	ingest sqlite nanp one "$t/nanp.pcap" "$t/nanp.jsonl"
	check_records "sqlite NANP: JSON" "$t/nanp.jsonl" --sensors one
	check_store sqlite nanp "sqlite NANP" one
	check_report sqlite nanp "sqlite NANP (whole store)" "$t/rt-all.json" --lead-window 24h
else
	fail=$((fail + 1)); echo "FAIL NANP: gen-calls failed"; cat "$t/gen.err"
fi

echo "attribution: $pass passed, $fail failed"
[ $fail -eq 0 ]
