#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# SIGHUP from files: calltap reads a two-phase capture (tests/sighup.py)
# from a pipe, with every file output on (JSON, CSV, table, SQLite,
# orphans).  Once the first phase's records are written, every output is
# moved away (log rotation) and calltap gets SIGHUP; then the second phase
# comes.  The moved files must hold exactly the first phase's records, the
# new ones exactly the second's (CSV and table with their header again),
# and together they must equal a run without rotation: every record there,
# once.  Standard output is only flushed by SIGHUP: a run with --json - and
# a SIGHUP mid-run gives the same lines.  (PostgreSQL: tests/pgsql.sh,
# webhook: tests/webhook.sh, live capture: tests/sighup-live.sh.)
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || { echo "sighup: skipped: no python3"; exit 77; }
command -v sqlite3 >/dev/null 2>&1 || { echo "sighup: skipped: no sqlite3"; exit 77; }
t=$(mktemp -d) || exit 1
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
gen=$srcdir/tests/sighup.py
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: want '$2', got '$3'"; fi; }

# Waits (10 s at most) until file $1 has $2 lines.
wait_lines() {
	i=0
	while [ "$(cat "$1" 2>/dev/null | wc -l)" -lt "$2" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}

# The reference: the whole capture, no rotation.
python3 "$gen" file >"$t/hup.pcap" || exit 1
"$CALLTAP" -r "$t/hup.pcap" --home 10.0.0.0/8 --json "$t/ref.json" --csv "$t/ref.csv" --table "$t/ref.txt" \
    --db "$t/ref.db" --orphans "$t/ref.orph" 2>"$t/err"
check "reference run: exit status, records, orphans" "0 6 2" "$? $(wc -l <"$t/ref.json") $(wc -l <"$t/ref.orph")"

# The same capture through a pipe, rotated between the phases.
mkfifo "$t/fifo"
python3 "$gen" pipe "$t/ready" "$t/go" >"$t/fifo" &
"$CALLTAP" -r - --home 10.0.0.0/8 --json "$t/o.json" --csv "$t/o.csv" --table "$t/o.txt" --db "$t/o.db" \
    --orphans "$t/o.orph" <"$t/fifo" 2>"$t/err" &
pid=$!
wait_lines "$t/o.json" 3
wait_lines "$t/o.orph" 1
check "phase 0 written before the rotation (records, orphans)" "3 1" \
    "$(wc -l <"$t/o.json") $(wc -l <"$t/o.orph")"
sleep 1.2   # the database commits within a second
for f in o.json o.csv o.txt o.db o.orph; do mv "$t/$f" "$t/$f.1"; done
kill -HUP "$pid"
# The pipe is idle: the reopen comes from the idle flusher, within a second.
# Each output reopens on its own thread: wait for every file, not the first.
i=0
while [ $i -lt 30 ] && ! { [ -f "$t/o.json" ] && [ -f "$t/o.csv" ] && [ -f "$t/o.txt" ] &&
    [ -f "$t/o.db" ] && [ -f "$t/o.orph" ]; }; do sleep 0.1; i=$((i + 1)); done
for f in o.json o.csv o.txt o.db o.orph; do
	[ -f "$t/$f" ] || bad "SIGHUP on an idle pipe: $f not created again"
done
touch "$t/go"
wait "$pid"
st=$?
pid=
check "rotated run: exit status, stderr" "0 0" "$st $(wc -c <"$t/err")"

# JSON and orphans: the old file has phase 0, the new one phase 1, together the reference.
check "JSON: 3 records before the rotation, 3 after" "3 3" "$(wc -l <"$t/o.json.1") $(wc -l <"$t/o.json")"
grep -c '"call_id":"hup-0-' "$t/o.json.1" >"$t/n0"
grep -c '"call_id":"hup-1-' "$t/o.json" >"$t/n1"
check "JSON: each phase in its file" "3 3" "$(cat "$t/n0") $(cat "$t/n1")"
cat "$t/o.json.1" "$t/o.json" | cmp -s - "$t/ref.json" && ok "JSON: every record, once, as without rotation" ||
    bad "JSON: records differ from the run without rotation"
check "orphans: 1 before, 1 after" "1 1" "$(wc -l <"$t/o.orph.1") $(wc -l <"$t/o.orph")"
cat "$t/o.orph.1" "$t/o.orph" | cmp -s - "$t/ref.orph" && ok "orphans: every stream, once, as without rotation" ||
    bad "orphans: streams differ from the run without rotation"

# CSV: a header in each file, the rows together as the reference's.
head -1 "$t/ref.csv" >"$t/hdr"
{ head -1 "$t/o.csv.1"; head -1 "$t/o.csv"; } | uniq -c | awk '{print $1}' >"$t/nh"
check "CSV: both files start with the header" "2" "$(cat "$t/nh")"
head -1 "$t/o.csv" | cmp -s - "$t/hdr" || bad "CSV: the new file's header differs"
{ tail -n +2 "$t/o.csv.1"; tail -n +2 "$t/o.csv"; } | cmp -s - "$(tail -n +2 "$t/ref.csv" >"$t/ref.rows"; echo "$t/ref.rows")" &&
    ok "CSV: every row, once, as without rotation (3 + 3)" || bad "CSV: rows differ"

# Table: header, rows and a summary of its own calls in each file.
rows() { sed -e 1d -e '$d' "$1"; }
{ rows "$t/o.txt.1"; rows "$t/o.txt"; } | cmp -s - "$(rows "$t/ref.txt" >"$t/ref.trows"; echo "$t/ref.trows")" &&
    ok "table: every row, once, as without rotation" || bad "table: rows differ"
check "table: each part has its header and summary" \
    "$(head -1 "$t/ref.txt")|3 calls: 1 answered, 1 busy, 0 noanswer, 1 cancelled, 0 failed, 0 unfinished|$(head -1 "$t/ref.txt")|3 calls: 1 answered, 1 busy, 0 noanswer, 1 cancelled, 0 failed, 0 unfinished" \
    "$(head -1 "$t/o.txt.1")|$(tail -1 "$t/o.txt.1")|$(head -1 "$t/o.txt")|$(tail -1 "$t/o.txt")"

# SQLite: the moved database has phase 0, the new one phase 1 (with the schema).
q='SELECT call_id, disposition, duration_s FROM calls ORDER BY id'
{ sqlite3 "$t/o.db.1" "$q"; sqlite3 "$t/o.db" "$q"; } >"$t/db.rows" 2>&1
sqlite3 "$t/ref.db" "$q" >"$t/ref.dbrows" 2>&1
cmp -s "$t/db.rows" "$t/ref.dbrows" && ok "SQLite: every call, once, as without rotation" ||
    { bad "SQLite: rows differ"; diff "$t/ref.dbrows" "$t/db.rows"; }
check "SQLite: 3 calls before (phase 0), 3 after (phase 1)" "3 3" \
    "$(sqlite3 "$t/o.db.1" "SELECT count(*) FROM calls WHERE call_id LIKE 'hup-0-%'") $(sqlite3 "$t/o.db" "SELECT count(*) FROM calls WHERE call_id LIKE 'hup-1-%'")"
check "SQLite: RTP streams in both" "2 2" \
    "$(sqlite3 "$t/o.db.1" 'SELECT count(*) FROM rtp_streams') $(sqlite3 "$t/o.db" 'SELECT count(*) FROM rtp_streams')"

# Not rotated: SIGHUP reopens in append mode, nothing is lost or repeated.
rm -f "$t/ready" "$t/go"
python3 "$gen" pipe "$t/ready" "$t/go" >"$t/fifo" &
"$CALLTAP" -r - --home 10.0.0.0/8 --json "$t/a.json" --csv "$t/a.csv" --db "$t/a.db" --orphans - <"$t/fifo" \
    >"$t/a.orph" 2>"$t/err" &
pid=$!
wait_lines "$t/a.json" 3
sleep 0.2
kill -HUP "$pid"
sleep 0.5
touch "$t/go"
wait "$pid"
st=$?
pid=
check "no rotation: exit status, stderr" "0 0" "$st $(wc -c <"$t/err")"
cmp -s "$t/a.json" "$t/ref.json" && ok "no rotation: JSON appended to, every record once" || bad "no rotation: JSON differs"
cmp -s "$t/a.csv" "$t/ref.csv" && ok "no rotation: CSV continued without a second header" || bad "no rotation: CSV differs"
cmp -s "$t/a.orph" "$t/ref.orph" && ok "standard output (orphans): flushed, every line once" || bad "orphans on stdout differ"
check "no rotation: SQLite has every call once" "6 6" \
    "$(sqlite3 "$t/a.db" 'SELECT count(*), count(DISTINCT call_id) FROM calls' | tr '|' ' ')"

echo "sighup: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
