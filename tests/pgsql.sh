#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# PostgreSQL sink against a throwaway server owned by this test (initdb +
# pg_ctl on a temporary directory, Unix socket only, stopped by the trap):
# every record and stream arrives with the values of the JSON output, a
# second sensor or a replay of the same calls stores each call once, four
# first starts racing on an empty database create the schema once (and
# every call once), a dropped column is added back, the columns are those
# of the schema table (tests/unit/test_schema --pg-columns), the same
# capture (tests/stores.py, with --numbers and a callback) gives the same
# calls and numbers rows in SQLite and PostgreSQL, a newer schema is
# refused, and an unreachable server is a clear error (naming the
# server, never the password) with exit status 3 while --json is still
# written in full.  `calltap report --pg` on the pcaps/ calls gives the JSON
# report of `calltap report --db` on the same calls (apart from the database
# named), and its
# errors (no table calls, unreachable server, bad conninfo) exit 2 without
# the password.  Skips (77) when the PostgreSQL server is not installed.
# Prints "pgsql: N passed, N failed".
. "$(dirname "$0")/lib.sh"
PORT=54329

bindir=
for d in /usr/lib/postgresql/*/bin; do
	[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/psql" ] && bindir=$d
done
if [ -z "$bindir" ]; then
	echo "pgsql: PostgreSQL server not installed (Debian package postgresql)"; exit 77
fi
if ! "$CALLTAP" --help 2>&1 | grep -q -- '--pg'; then
	echo "pgsql: calltap built without libpq"; exit 77
fi
command -v python3 >/dev/null 2>&1 || { echo "pgsql: python3 missing"; exit 77; }

t=$(mktemp -d) || exit 1
chmod 755 "$t"
# The server refuses to run as root: as root it runs as nobody.
as_pg=
if [ "$(id -u)" -eq 0 ]; then
	as_pg="runuser -u nobody --"
fi
mkdir "$t/sock" "$t/data"
[ -n "$as_pg" ] && chown nobody "$t/sock" "$t/data"
stop() {
	server_signal CONT
	$as_pg "$bindir/pg_ctl" -D "$t/data" -m immediate stop >/dev/null 2>&1
	rm -rf "$t"
}
# SIGSTOP/SIGCONT to every process of the server (postmaster and backends):
# a hung server, not a dead one (the kernel still accepts and acknowledges).
server_signal() {
	[ -f "$t/data/postmaster.pid" ] || return 0
	pm=$(head -n 1 "$t/data/postmaster.pid")
	for p in "$pm" $(ps -o pid= --ppid "$pm"); do kill -"$1" "$p" 2>/dev/null; done
}
trap stop EXIT
trap 'exit 1' INT TERM
if ! $as_pg "$bindir/initdb" -D "$t/data" -A trust -U calltap -E UTF8 --no-sync \
    >"$t/initdb.log" 2>&1; then
	echo "pgsql: initdb failed:"; cat "$t/initdb.log"; exit 99
fi
if ! $as_pg "$bindir/pg_ctl" -D "$t/data" -l "$t/sock/server.log" -w -t 30 \
    -o "-k $t/sock -p $PORT -c listen_addresses= -c fsync=off" start >/dev/null 2>&1; then
	echo "pgsql: cannot start the test server:"; cat "$t/sock/server.log"; exit 99
fi
conn() { echo "host=$t/sock port=$PORT dbname=$1 user=calltap"; }
sql() { # dbname sql
	"$bindir/psql" -X -Atq -h "$t/sock" -p $PORT -U calltap -d "$1" -c "$2"
}

check() { # name expected actual
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (want '$2', got '$3')"; fi
}
sensor_opt() { # prints --sensor NAME when this calltap has the option
	"$CALLTAP" --help 2>&1 | grep -q -- '--sensor' && echo "--sensor $1"
}

# ---- one sensor: every row and value matches the JSON output -------------
"$CALLTAP" --spool "$t/spool" -r "$srcdir/pcaps" --json "$t/a.json" --pg "$(conn postgres)" \
    $(sensor_opt s1) 2>"$t/err"
check "first run: exit status, stderr" "0 0" "$? $(grep -v "^calltap: warning: " "$t/err" | wc -c)"
n=$(wc -l <"$t/a.json")
ns=$(python3 -c 'import json,sys; print(sum(len(json.loads(l).get("streams") or []) for l in open(sys.argv[1])))' "$t/a.json")
[ "$n" -gt 0 ] || bad "no calls in the bundled captures"
check "calls rows = JSON lines" "$n" "$(sql postgres 'SELECT count(*) FROM calls')"
check "rtp_streams rows = JSON streams" "$ns" "$(sql postgres 'SELECT count(*) FROM rtp_streams')"
check "schema version" 2 "$(sql postgres 'SELECT version FROM calltap_schema')"
check "truncated is BOOLEAN" boolean \
    "$(sql postgres "SELECT data_type FROM information_schema.columns WHERE table_name = 'calls' AND column_name = 'truncated'")"

sql postgres "SELECT row_to_json(c) FROM calls c ORDER BY id" >"$t/calls.db.json"
sql postgres "SELECT row_to_json(s) FROM rtp_streams s ORDER BY call_rowid, ctid" >"$t/streams.db.json"
cat >"$t/cmp.py" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
rows = [json.loads(l) for l in open(sys.argv[2])]
streams = [json.loads(l) for l in open(sys.argv[3])]
bad = 0
def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(a - b) < 1e-9
    return a == b
def cmp(what, want, got):
    global bad
    for k, v in want.items():
        # streams: a count in the store; first_call/repeat_count: the store
        # also counts calls that started earlier but were written later
        # (docs/schema.md, History), which a streamed record cannot know
        if k in ("streams", "first_call", "repeat_count"):
            continue
        if k == "rings" and isinstance(got.get(k), str):
            got = dict(got, rings=json.loads(got[k]))   # JSON text in the store
        if k not in got or not same(v, got[k]):
            bad += 1
            if bad <= 10:
                print("%s: %s: JSON %r, database %r" % (what, k, v, got.get(k, "(no column)")))
if len(recs) != len(rows):
    print("calls: %d JSON records, %d rows" % (len(recs), len(rows))); sys.exit(1)
by_row = {}
for s in streams:
    by_row.setdefault(s["call_rowid"], []).append(s)
for rec, row in zip(recs, rows):
    cmp("call " + str(rec["call_id"]), rec, row)
    if row["streams"] != len(rec.get("streams") or []):
        bad += 1; print("call %s: streams %r" % (rec["call_id"], row["streams"]))
    got = by_row.get(row["id"], [])
    for i, s in enumerate(rec.get("streams") or []):
        if i >= len(got):
            bad += 1; print("call %s: stream %d missing" % (rec["call_id"], i)); continue
        if got[i]["call_id"] != rec["call_id"]:
            bad += 1
        cmp("call %s stream %d" % (rec["call_id"], i), s, got[i])
print("%d values differ" % bad)
sys.exit(1 if bad else 0)
EOF
if python3 "$t/cmp.py" "$t/a.json" "$t/calls.db.json" "$t/streams.db.json" >"$t/err" 2>&1; then
	ok "every value equals the JSON output ($n calls, $ns streams)"
else
	bad "database values differ from the JSON output"
fi

# ---- lease fields (--leases) are stored like every other field -----------
if "$CALLTAP" --help 2>&1 | grep -q -- '--leases'; then
	printf '%s\n%s\n' \
	    'number,session_id,visitor_id,client_id,utm_source,utm_medium,utm_campaign,utm_term,utm_content,click_id,leased_from,leased_until' \
	    '1000,sess-1,vis-1,cli-1,google,cpc,"spring, 2014",kw,ad,gclid-1,2014-11-25T21:00:00Z,2014-11-25T23:00:00+01:00' \
	    >"$t/leases.csv"
	sql postgres "CREATE DATABASE leases" >/dev/null
	"$CALLTAP" --spool "$t/spool" -r "$srcdir/pcaps/MichalCab-sip.pcap" --json "$t/l.json" \
	    --pg "$(conn leases)" --leases "$t/leases.csv" 2>"$t/err"
	sql leases "SELECT row_to_json(c) FROM calls c ORDER BY id" >"$t/l.db.json"
	sql leases "SELECT row_to_json(s) FROM rtp_streams s ORDER BY call_rowid, ctid" >"$t/l.streams.json"
	if python3 "$t/cmp.py" "$t/l.json" "$t/l.db.json" "$t/l.streams.json" >"$t/err" 2>&1 &&
	    [ "$(sql leases "SELECT session_id || '|' || utm_campaign || '|' || source || '|' || click_id FROM calls")" = \
	    "sess-1|spring, 2014|google|gclid-1" ]; then
		ok "lease fields: stored, equal to the JSON output"
	else
		bad "lease fields in PostgreSQL"
	fi
fi

# ---- a second sensor (or a replay) of the same calls stores each once -----
"$CALLTAP" --spool "$t/spool" -r "$srcdir/pcaps" --json "$t/b.json" --pg "$(conn postgres)" \
    $(sensor_opt s2) 2>"$t/err"
check "second sensor exit status" 0 $?
check "the same calls again: stored once" "$n" "$(sql postgres 'SELECT count(*) FROM calls')"
check "the same calls again: their streams once" "$ns" "$(sql postgres 'SELECT count(*) FROM rtp_streams')"
if [ -n "$(sensor_opt s2)" ]; then
	check "the first sensor's rows kept" "s1|$n" \
	    "$(sql postgres 'SELECT sensor, count(*) FROM calls GROUP BY sensor ORDER BY sensor' | tr '\n' ' ' | sed 's/ $//')"
fi
check "call key unique" "$n" "$(sql postgres 'SELECT count(DISTINCT (call_id, start_us)) FROM calls')"

# ---- four first starts race on an empty database --------------------------
sql postgres "CREATE DATABASE race" 2>"$t/err"
pids=
for i in 1 2 3 4; do
	"$CALLTAP" --spool "$t/spool" -r "$srcdir/pcaps" --pg "$(conn race)" --json /dev/null 2>"$t/race$i.err" &
	pids="$pids $!"
done
st=0
for p in $pids; do
	wait "$p" || st=$?
done
cat "$t"/race*.err >"$t/err"
check "concurrent first starts all succeed" "0 0" "$st $(grep -v "^calltap: warning: " "$t/err" | wc -c)"
check "concurrent first starts: every call once" "$n" "$(sql race 'SELECT count(*) FROM calls')"
check "concurrent first starts: one schema row" 1 "$(sql race 'SELECT count(*) FROM calltap_schema')"

# ---- the server restarts mid-capture: records wait, nothing is lost -------
f=$srcdir/pcaps/irontec-aaa.pcap
sz=$(wc -c <"$f")
sql postgres "CREATE DATABASE mid" 2>"$t/err"
{
	head -c $((sz / 2)) "$f"; sleep 2
	$as_pg "$bindir/pg_ctl" -D "$t/data" -m fast stop >/dev/null 2>&1
	tail -c +$((sz / 2 + 1)) "$f" | head -c $((sz / 5)); sleep 2
	$as_pg "$bindir/pg_ctl" -D "$t/data" -l "$t/sock/server.log" -w -t 30 \
	    -o "-k $t/sock -p $PORT -c listen_addresses= -c fsync=off" start >/dev/null 2>&1
	sleep 1.5
	tail -c +$((sz / 2 + sz / 5 + 1)) "$f"
} | "$CALLTAP" --spool "$t/spool" -r - --json "$t/mid.json" --pg "$(conn mid)" 2>"$t/err"
check "server restart mid-run: exit status" 0 $?
check "server restart mid-run: every record stored" "$(wc -l <"$t/mid.json")" "$(sql mid 'SELECT count(*) FROM calls')"
if grep -q "connected again" "$t/err"; then ok "server restart mid-run: outage and reconnection reported"; else bad "server restart mid-run: no reconnection message"; fi

# ---- SIGHUP mid-run: the PostgreSQL output is flushed, not reopened ------
# A two-phase capture through a pipe (tests/sighup.py): SIGHUP once the
# first phase's records are stored, then the second phase.  Was: "invalid
# connection option \">>dbname\"", exit 3.
sql postgres "CREATE DATABASE hup" 2>"$t/err"
mkfifo "$t/hfifo"
python3 "$srcdir/tests/sighup.py" pipe "$t/ready" "$t/go" >"$t/hfifo" &
"$CALLTAP" --spool "$t/spool" -r - --json "$t/h.json" --pg "$(conn hup)" <"$t/hfifo" 2>"$t/err" &
hpid=$!
i=0
while [ "$(sql hup 'SELECT count(*) FROM calls' 2>/dev/null)" != 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "SIGHUP: the first phase stored before it" 3 "$(sql hup 'SELECT count(*) FROM calls')"
kill -HUP "$hpid"
sleep 0.3
touch "$t/go"
wait "$hpid"
check "SIGHUP: exit status, stderr" "0 0" "$? $(grep -v "^calltap: warning: " "$t/err" | wc -c)"
check "SIGHUP: every record (3 before, 3 after) stored once" "6 6 6" \
    "$(wc -l <"$t/h.json") $(sql hup 'SELECT count(*), count(DISTINCT call_id) FROM calls' | tr '|' ' ')"

# ---- a column missing from the database is added back ---------------------
sql race "DELETE FROM calls; ALTER TABLE calls DROP COLUMN invites" 2>"$t/err"
"$CALLTAP" --spool "$t/spool" -r "$srcdir/pcaps" --pg "$(conn race)" --json /dev/null 2>"$t/err"
check "dropped column: exit status" 0 $?
check "dropped column is back and filled" "$n" "$(sql race 'SELECT count(invites) FROM calls')"

# ---- a database written by a newer calltap is refused ---------------------
sql race "UPDATE calltap_schema SET version = 99" 2>"$t/err"
"$CALLTAP" --spool "$t/spool" -r "$srcdir/pcaps" --pg "$(conn race)" --json /dev/null 2>"$t/err"
st=$?
if [ $st -eq 3 ] && grep -q "newer" "$t/err" && grep -q "database 'race'" "$t/err"; then
	ok "newer schema refused"
else
	bad "newer schema: status $st"
fi

# ---- the schema: PostgreSQL's columns are the schema table's --------------
# (tests/unit/test_schema prints them; a new database has them in order)
sql postgres "CREATE DATABASE rep" 2>"$t/err"
"$CALLTAP" --spool "$t/spool" -r "$srcdir/pcaps" --pg "$(conn rep)" --db "$t/rep.db" --json /dev/null \
    $(sensor_opt s1) 2>"$t/err"
check "report data: exit status" 0 $?
schema_cols="SELECT table_name || ' ' || column_name || ' ' || data_type FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name IN ('calls', 'rtp_streams', 'rtp_intervals')"
if [ -x "$builddir/tests/unit/test_schema" ]; then
	"$builddir/tests/unit/test_schema" --pg-columns >"$t/cols.want"
	sql rep "$schema_cols ORDER BY table_name, ordinal_position" >"$t/cols.got"
	if cmp -s "$t/cols.want" "$t/cols.got"; then
		ok "PostgreSQL columns = the schema table ($(wc -l <"$t/cols.got") columns, in order)"
	else
		bad "PostgreSQL columns differ from the schema table:"; diff "$t/cols.want" "$t/cols.got" | head
	fi
	# an older database: the columns of a version 1 database (with record_uid) plus the new ones
	sql race "$schema_cols AND column_name <> 'record_uid' ORDER BY 1" >"$t/cols.old"
	if LC_ALL=C sort "$t/cols.want" | cmp -s - "$t/cols.old"; then
		ok "PostgreSQL columns of an upgraded database = the schema table"
	else
		bad "PostgreSQL columns (upgraded database) differ:"; LC_ALL=C sort "$t/cols.want" | diff - "$t/cols.old" | head
	fi
else
	bad "tests/unit/test_schema not built"
fi

# the per-interval samples: the same rows in PostgreSQL as in SQLite, each
# keyed by its stream row
ivq="SELECT count(*), sum(i.packets), sum(i.lost), round(sum(i.mos)::numeric, 2)
    FROM rtp_intervals i JOIN rtp_streams s ON"
want=$(python3 -c "import sqlite3,sys
c = sqlite3.connect(sys.argv[1])
n, p, l, m = c.execute('SELECT count(*), sum(i.packets), sum(i.lost), sum(i.mos) FROM rtp_intervals i JOIN rtp_streams s ON i.stream_rowid = s.rowid AND i.call_id = s.call_id').fetchone()
print('%d|%d|%d|%.2f' % (n, p, l, m))" "$t/rep.db")
got=$(sql rep "$ivq i.stream_rowid = s.id AND i.call_id = s.call_id")
[ "${want%%|*}" -gt 0 ] 2>/dev/null && check "rtp_intervals = SQLite's ($want: rows|packets|lost|sum of MOS)" "$want" "$got" ||
    bad "rtp_intervals: SQLite $want, PostgreSQL $got"

# ---- stores: the same capture gives the same rows in SQLite and PostgreSQL -
# A trunk capture with missed calls and a callback (tests/stores.py), with
# --numbers, written twice into both stores: each call once, callback_s
# set by the same rule, tables numbers equal, and `calltap report --pg`
# equals `calltap report --db` (JSON, apart from the database named).
python3 "$srcdir/tests/stores.py" "$t/st.pcap"
printf '%s\n' 'number,source,campaign,cost' '"+1 (800) 555-0199",Google Ads,"Brand, exact",12.50' \
    '020 7946 0018,Radio,,' >"$t/st-num.csv"
sql postgres "CREATE DATABASE st" 2>"$t/err"
for run in 1 2; do
	"$CALLTAP" --spool "$t/spool" -r "$t/st.pcap" --pg "$(conn st)" --db "$t/st.db" --json "$t/st.json" \
	    --home 203.0.113.0/24 --home 2001:db8:113::/48 --country-code 44 --numbers "$t/st-num.csv" \
	    --sensor "s$run" 2>"$t/err"
	check "stores run $run: exit status" 0 $?
	# after the first run the records of m1, m2 had no callback yet: the store sets it
	[ "$run" = 1 ] && check "callback_s set by the store (PostgreSQL)" "m1 145 m2 85" \
	    "$(sql st "SELECT call_id, callback_s FROM calls WHERE callback_s IS NOT NULL ORDER BY call_id" | tr '|\n' '  ' | sed 's/ $//')"
done
nst=$(wc -l <"$t/st.json")
check "replayed twice: each call once in PostgreSQL" "$nst $nst" \
    "$(sql st 'SELECT count(*), count(DISTINCT call_id) FROM calls' | tr '|' ' ')"
check "replayed twice: each call once in SQLite" "$nst $nst" \
    "$(python3 -c 'import sqlite3,sys; print(*sqlite3.connect(sys.argv[1]).execute("SELECT count(*), count(DISTINCT call_id) FROM calls").fetchone())' "$t/st.db")"
# a version 1 database that stored a call twice (and its stream rows): the
# upgrade keeps the first row only, then makes the key unique
sql st "DROP INDEX calls_key; INSERT INTO calls (call_id, start_us, caller, sensor)
    SELECT call_id, start_us, caller, 'copy' FROM calls WHERE call_id = 'm1';
    INSERT INTO rtp_streams (call_rowid, call_id) SELECT id, call_id FROM calls WHERE sensor = 'copy';
    UPDATE calltap_schema SET version = 1" 2>"$t/err"
check "version 1 database with a copy" "$((nst + 1)) 1" \
    "$(sql st "SELECT count(*), (SELECT count(*) FROM rtp_streams) FROM calls" | tr '|' ' ')"
"$CALLTAP" --spool "$t/spool" -r "$t/st.pcap" --pg "$(conn st)" --json /dev/null 2>"$t/err"
check "version 1 upgrade: exit status" 0 $?
check "version 1 upgrade: the copy and its streams removed, key unique, version 2" "$nst 0 1 2" \
    "$(sql st "SELECT count(*), (SELECT count(*) FROM rtp_streams), (SELECT count(*) FROM pg_indexes
    WHERE indexname = 'calls_key'), (SELECT version FROM calltap_schema) FROM calls" | tr '|' ' ')"
sql st "SELECT row_to_json(c) FROM (SELECT * FROM calls ORDER BY start_us, call_id) c" >"$t/st.pg.calls"
sql st "SELECT row_to_json(s) FROM (SELECT * FROM numbers ORDER BY number) s" >"$t/st.pg.numbers"
cat >"$t/same.py" <<'EOF'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.row_factory = sqlite3.Row
bad = 0
def norm(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, float):
        return round(v, 6)
    return v
for table, order, pgfile in (("calls", "start_us, call_id", sys.argv[2]), ("numbers", "number", sys.argv[3])):
    lite = [dict(r) for r in db.execute("SELECT * FROM %s ORDER BY %s" % (table, order))]
    pg = [json.loads(l) for l in open(pgfile)]
    if len(lite) != len(pg):
        print("%s: %d SQLite rows, %d PostgreSQL rows" % (table, len(lite), len(pg))); bad += 1; continue
    for a, b in zip(lite, pg):
        for k in sorted(set(a) | set(b)):
            if k == "id":
                continue
            if k not in a or k not in b or norm(a[k]) != norm(b[k]):
                bad += 1
                if bad < 10:
                    print("%s %s: %s: SQLite %r, PostgreSQL %r" % (table, a.get("call_id", a.get("number")),
                          k, a.get(k, "(no column)"), b.get(k, "(no column)")))
print("%d values differ" % bad)
sys.exit(1 if bad else 0)
EOF
if python3 "$t/same.py" "$t/st.db" "$t/st.pg.calls" "$t/st.pg.numbers" >"$t/err" 2>&1; then
	ok "the same rows in SQLite and PostgreSQL (calls, numbers)"
else
	bad "SQLite and PostgreSQL rows differ:"; cat "$t/err"
fi
cat >"$t/rep.py" <<'EOF'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
extra = sys.argv[3:]
for k in ["database"] + extra:
    a.pop(k, None); b.pop(k, None)
if a != b:
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            print("%s: pg %r, sqlite %r" % (k, a.get(k), b.get(k)))
    sys.exit(1)
print("%d calls" % a["totals"]["calls"] if "totals" in a else "same")
EOF
"$CALLTAP" report --pg "$(conn st)" --format json -o "$t/st.rep.pg.json" 2>"$t/err"
check "report --pg (stores): exit status" 0 $?
"$CALLTAP" report --db "$t/st.db" --format json -o "$t/st.rep.db.json" 2>"$t/err"
check "report --db (stores): exit status" 0 $?
if python3 "$t/rep.py" "$t/st.rep.pg.json" "$t/st.rep.db.json" >"$t/err" 2>&1; then
	ok "report --pg JSON = report --db JSON, with numbers and costs ($(cat "$t/err"))"
else
	bad "report --pg JSON differs from report --db JSON (stores):"; cat "$t/err"
fi
check "report (stores): costs known in both" "True True" \
    "$(python3 -c 'import json,sys; print(*(json.load(open(f))["has_costs"] for f in sys.argv[1:]))' "$t/st.rep.pg.json" "$t/st.rep.db.json")"

# ---- calltap report --pg gives the report of the same SQLite database -----
"$CALLTAP" report --pg "$(conn rep)" --format json -o "$t/rep.pg.json" 2>"$t/err"
check "report --pg: exit status, stderr" "0 0" "$? $(grep -v "^calltap: warning: " "$t/err" | wc -c)"
"$CALLTAP" report --db "$t/rep.db" --format json -o "$t/rep.db.json" 2>"$t/err"
check "report --db: exit status" 0 $?
if python3 "$t/rep.py" "$t/rep.pg.json" "$t/rep.db.json" >"$t/err" 2>&1; then
	ok "report --pg JSON = report --db JSON ($(cat "$t/err"))"
else
	bad "report --pg JSON differs from report --db JSON:"; cat "$t/err"
fi
"$CALLTAP" report --pg "$(conn rep)" --from 2011-01-01 --to 2022-02-27 --format json \
    -o "$t/rep.pg.json" 2>"$t/err"
"$CALLTAP" report --db "$t/rep.db" --from 2011-01-01 --to 2022-02-27 --format json \
    -o "$t/rep.db.json" 2>>"$t/err"
if python3 "$t/rep.py" "$t/rep.pg.json" "$t/rep.db.json" missing_columns >"$t/err" 2>&1; then
	ok "report --pg with a date range: JSON equal ($(cat "$t/err"))"
else
	bad "report --pg with a date range: JSON differs"
fi
"$CALLTAP" report --pg "$(conn rep)" >"$t/rep.txt" 2>"$t/err" &&
    "$CALLTAP" report --pg "$(conn rep)" --format html -o "$t/rep.html" 2>>"$t/err"
check "report --pg: text and html, exit status" 0 $?
if grep -q "PostgreSQL database 'rep' on '$t/sock' port $PORT" "$t/rep.txt"; then
	ok "report --pg: text names the server"
else
	bad "report --pg: text does not name the server"
fi
# The hand-built stores of tests/report_stores.py (leads, callbacks, Kyiv
# DST, business hours, costs) give the same report from PostgreSQL.
python3 "$srcdir/tests/report_stores.py" costs "$t/costs.csv"
hand() { # store args...
	s=$1; shift
	db=hand$(echo "$s" | tr 'A-Z' 'a-z')
	if [ ! -f "$t/$db.db" ]; then
		sql postgres "CREATE DATABASE $db" 2>"$t/err"
		python3 "$srcdir/tests/report_stores.py" sql "$s" >"$t/$db.sql"
		"$bindir/psql" -X -Atq -v ON_ERROR_STOP=1 -h "$t/sock" -p $PORT -U calltap -d "$db" \
		    -f "$t/$db.sql" >/dev/null 2>"$t/err"
		python3 "$srcdir/tests/report_stores.py" db "$s" "$t/$db.db"
	fi
	"$CALLTAP" report --pg "$(conn "$db")" --format json "$@" -o "$t/$db.pg.json" 2>"$t/err" &&
	    "$CALLTAP" report --db "$t/$db.db" --format json "$@" -o "$t/$db.db.json" 2>>"$t/err" &&
	    python3 "$t/rep.py" "$t/$db.pg.json" "$t/$db.db.json" >>"$t/err" 2>&1
}
if hand A --country-code 380 --from 2024-03-04 --to 2024-03-05; then
	ok "hand store A (leads, callbacks): --pg JSON = --db JSON"
else
	bad "hand store A: --pg JSON differs"
fi
if hand B --country-code 380 --tz Europe/Kyiv --hours "Mon-Fri 09:00-18:00,Sat 10:00-14:00"; then
	ok "hand store B (Europe/Kyiv, business hours): --pg JSON = --db JSON"
else
	bad "hand store B: --pg JSON differs"
fi
if hand C --from 2024-03-01 --to 2024-03-10 && hand C --costs "$t/costs.csv" --source google; then
	ok "hand store C (numbers.cost, --costs, filters): --pg JSON = --db JSON"
else
	bad "hand store C: --pg JSON differs"
fi
check "hand store C: the PostgreSQL numbers table gives the costs" "85.0" \
    "$(hand C --from 2024-03-01 --to 2024-03-10 >/dev/null 2>&1; python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["marketing"]["cost"])' "$t/handc.pg.json")"
"$CALLTAP" report --pg "$(conn template1)" >/dev/null 2>"$t/err"
st=$?
if [ $st -eq 2 ] && grep -q "database 'template1' on '$t/sock' port $PORT has no table calls" "$t/err"; then
	ok "report --pg: no table calls, status 2"
else
	bad "report --pg: no table calls: status $st"
fi
"$CALLTAP" report --pg "host=$t/nowhere port=$PORT dbname=crm user=calltap password=sekrit42" \
    >/dev/null 2>"$t/err"
st=$?
if [ $st -eq 2 ] && grep -q "cannot connect to PostgreSQL database 'crm' on '$t/nowhere' port $PORT" "$t/err" &&
    ! grep -q sekrit42 "$t/err"; then
	ok "report --pg: unreachable server, status 2, no password"
else
	bad "report --pg: unreachable server: status $st"
fi
"$CALLTAP" report --pg "host=$t/sock bogus=1" >/dev/null 2>"$t/err"
st=$?
if [ $st -eq 2 ] && grep -q "invalid PostgreSQL connection string" "$t/err"; then
	ok "report --pg: bad connection string, status 2"
else
	bad "report --pg: bad connection string: status $st"
fi

# ---- unreachable server: clear error, status 3, other outputs complete ----
"$CALLTAP" -r "$srcdir/pcaps" --json "$t/c.json" \
    --pg "host=$t/nowhere port=$PORT dbname=crm user=calltap password=sekrit42" 2>"$t/err"
st=$?
check "unreachable server: exit status" 3 $st
check "unreachable server: --json complete" "$n" "$(wc -l <"$t/c.json")"
if grep -q "PostgreSQL database 'crm' on '$t/nowhere' port $PORT" "$t/err" &&
    grep -q "$n record(s) not delivered" "$t/err"; then
	ok "unreachable server: message names the server and the count"
else
	bad "unreachable server: message"
fi
if grep -q sekrit42 "$t/err"; then bad "password in a message"; else ok "password never shown"; fi

"$CALLTAP" --spool "$t/spool" -r "$srcdir/pcaps" --json /dev/null --pg "host=$t/sock port=$PORT dbname=postgres user=calltap bogus=1" 2>"$t/err"
st=$?
if [ $st -eq 3 ] && grep -q "invalid PostgreSQL connection string" "$t/err"; then
	ok "bad connection string refused"
else
	bad "bad connection string: status $st"
fi

# ---- a hung server (SIGSTOP) never stalls the capture -----------------------
# 400 generated calls fed through a pipe in 20 paced chunks; the feeder
# times itself.  With the server stopped after chunk 4 (and resumed 7 s
# after the start by a timer, while calltap drains at exit), the feed must take about as long as with a healthy
# server (a blocked capture would stop reading: the pipe fills and the
# feeder waits), and once the server is back every record arrives exactly
# once, in order.
if [ -x "$srcdir/scripts/gen-calls" ] &&
    "$srcdir/scripts/gen-calls" -o "$t/g.pcap" --truth "$t/g.truth" --calls 400 --no-rtp \
    --seed 9 >/dev/null 2>&1; then
	cat >"$t/feed.py" <<'EOF'
# feed.py FILE CHUNKS DELAY AT CMD TAIL TIMEFILE: writes FILE to stdout in
# CHUNKS paced pieces; after piece AT runs CMD; writes the seconds taken to
# TIMEFILE; then keeps stdout open TAIL more seconds.
import os, sys, time
f, n, delay, at, cmd, tail, tf = sys.argv[1:8]
data = open(f, "rb").read(); n = int(n); at = int(at)
t0 = time.time(); out = sys.stdout.buffer
for i in range(n):
    out.write(data[len(data) * i // n:len(data) * (i + 1) // n]); out.flush()
    if i + 1 == at and cmd:
        os.system(cmd)
    time.sleep(float(delay))
open(tf, "w").write("%.2f\n" % (time.time() - t0))
out.flush(); time.sleep(float(tail))
EOF
	# the command that stops every server process, run by the feeder
	cat >"$t/stop.sh" <<EOF
pm=\$(head -n 1 "$t/data/postmaster.pid")
for p in \$pm \$(ps -o pid= --ppid \$pm); do kill -STOP \$p 2>/dev/null; done
EOF
	stop_cmd() { echo "sh $t/stop.sh"; }
	ids() { python3 -c 'import json,sys; [print(json.loads(l)["call_id"]) for f in sys.argv[1:] for l in open(f)]' "$@"; }
	for db in stall0 stall1 kill1; do sql postgres "CREATE DATABASE $db" 2>"$t/err"; done
	python3 "$t/feed.py" "$t/g.pcap" 20 0.15 0 "" 0 "$t/f0" |
	    "$CALLTAP" --spool "$t/spst0" -r - --json "$t/s0.json" --pg "$(conn stall0)" 2>"$t/err"
	check "healthy server paced run: exit status" 0 $?
	ng=$(wc -l <"$t/s0.json")
	check "healthy server: every record stored" "$ng" "$(sql stall0 'SELECT count(*) FROM calls')"
	( sleep 7; server_signal CONT ) &
	cont_pid=$!
	start=$(date +%s)
	python3 "$t/feed.py" "$t/g.pcap" 20 0.15 4 "$(stop_cmd)" 0 "$t/f1" |
	    "$CALLTAP" --spool "$t/spst1" -r - --json "$t/s1.json" --pg "$(conn stall1)" 2>"$t/err"
	st=$?
	end=$(date +%s)
	wait "$cont_pid"
	f0=$(cat "$t/f0"); f1=$(cat "$t/f1")
	echo "     hung server: feeding $ng calls took ${f0}s with a healthy server, ${f1}s with the server stopped after 1/5; calltap exited after $((end - start))s (server resumed at 7 s)"
	if python3 -c 'import sys; sys.exit(0 if float(sys.argv[2]) < float(sys.argv[1]) + 3 else 1)' "$f0" "$f1"; then
		ok "hung server: capture not stalled (feed ${f1}s vs ${f0}s)"
	else
		bad "hung server: capture stalled (feed ${f1}s vs ${f0}s)"
	fi
	check "hung server: exit status" 0 $st
	check "hung server: every record once" "$ng $ng" \
	    "$(sql stall1 'SELECT count(*), count(DISTINCT (call_id, start_us)) FROM calls' | tr '|' ' ')"
	ids "$t/s1.json" >"$t/s1.ids"
	sql stall1 'SELECT call_id FROM calls ORDER BY id' >"$t/db1.ids"
	if cmp -s "$t/s1.ids" "$t/db1.ids"; then ok "hung server: rows in record order"; else bad "hung server: order differs"; fi

	# kill -9 while the server is stopped: the restart delivers the spool
	python3 "$t/feed.py" "$t/g.pcap" 20 0.1 4 "$(stop_cmd)" 8 "$t/f2" |
	    "$CALLTAP" --spool "$t/spk" -r - --json "$t/k1.json" --pg "$(conn kill1)" 2>"$t/err" &
	cpid=$!
	i=0
	while [ ! -f "$t/f2" ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
	sleep 3
	kill -9 "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
	server_signal CONT
	nk=$(wc -l <"$t/k1.json")
	stored=$(sql kill1 'SELECT count(*) FROM calls')
	echo "     kill -9 while hung: $nk records, $stored stored before the server stopped"
	"$CALLTAP" --spool "$t/spk" -r "$srcdir/pcaps/sipp-answered-callee-bye.pcap" --json "$t/k2.json" \
	    --pg "$(conn kill1)" 2>"$t/err"
	check "restart after kill -9: exit status" 0 $?
	nk2=$(wc -l <"$t/k2.json")
	[ "$nk" -gt 100 ] || bad "kill -9: only $nk records before the kill"
	check "restart after kill -9: the spool and the new records, each once" "$((nk + nk2)) $((nk + nk2))" \
	    "$(sql kill1 'SELECT count(*), count(DISTINCT (call_id, start_us)) FROM calls' | tr '|' ' ')"
	if grep -q "$((nk - stored)) record(s) spooled by an earlier run" "$t/err"; then ok "restart: spooled records reported"; else bad "restart: no report of the spooled records"; fi
	ids "$t/k1.json" "$t/k2.json" >"$t/k.ids"
	sql kill1 'SELECT call_id FROM calls ORDER BY id' >"$t/dbk.ids"
	if cmp -s "$t/k.ids" "$t/dbk.ids"; then ok "restart: spool first, in order, then the new records"; else bad "restart: order differs"; fi
else
	bad "cannot generate calls (scripts/gen-calls)"
fi

# PBX legs: a trunk call answered only by the IVR is a missed call for the
# history replayed from PostgreSQL (answered_by), so a callback in a later
# capture names it and sets its callback_s; a store written before
# answered_by existed (the sink adds the column back at open, null) is
# replayed by its disposition, with no warning.
if "$srcdir/scripts/gen-calls" --pbx -q -o "$t/pbx.pcap" --truth "$t/pbx.truth" --seed 1 \
    --calls 22 2>"$t/err"; then
	python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read()
outs = [open(sys.argv[2], "wb"), open(sys.argv[3], "wb")]
for o in outs:
    o.write(d[:24])
p = 24
while p < len(d):
    ln = struct.unpack("<I", d[p + 8:p + 12])[0]
    outs[b"callback-" in d[p:p + 16 + ln]].write(d[p:p + 16 + ln])
    p += 16 + ln
' "$t/pbx.pcap" "$t/pbx-rest.pcap" "$t/pbx-cb.pcap"
	want=$(python3 -c 'import json, sys
print(*[(t["call_id"], "%.3f" % t["_callback_s"]) for t in map(json.loads, open(sys.argv[1]))
        if "_callback_s" in t][0])' "$t/pbx.truth")
	sql postgres "CREATE DATABASE ivr" 2>"$t/err"
	"$CALLTAP" --spool "$t/spool" -r "$t/pbx-rest.pcap" --pg "$(conn ivr)" --home 203.0.113.0/24 \
	    --country-code 380 2>"$t/err"
	"$CALLTAP" --spool "$t/spool" -r "$t/pbx-cb.pcap" --pg "$(conn ivr)" --home 203.0.113.0/24 \
	    --country-code 380 --json "$t/pbx-cb.json" 2>"$t/err"
	check "IVR-answered call: callback_of after a replay" "${want% *}" \
	    "$(python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["callback_of"])' "$t/pbx-cb.json")"
	check "IVR-answered call: callback_s set by the store" "$want" \
	    "$(sql ivr "SELECT call_id, callback_s FROM calls WHERE callback_s IS NOT NULL" | tr '|' ' ')"
	sql postgres "CREATE DATABASE ivrold" 2>"$t/err"
	"$CALLTAP" --spool "$t/spool" -r "$t/pbx-rest.pcap" --pg "$(conn ivrold)" --home 203.0.113.0/24 \
	    --country-code 380 2>"$t/err"
	# as an older calltap stored it: no answered_by, the IVR's call a plain no answer
	sql ivrold "ALTER TABLE calls DROP COLUMN answered_by;
	    UPDATE calls SET disposition = 'noanswer' WHERE call_id = '${want% *}'" 2>"$t/err"
	"$CALLTAP" --spool "$t/spool" -r "$t/pbx-cb.pcap" --pg "$(conn ivrold)" --home 203.0.113.0/24 \
	    --country-code 380 --json "$t/pbx-cb2.json" 2>"$t/err"
	check "store written before answered_by: replayed, no warning" "0 ${want% *}" \
	    "$(grep -c 'history not loaded' "$t/err") $(python3 -c 'import json, sys
print(json.loads(open(sys.argv[1]).readline())["callback_of"])' "$t/pbx-cb2.json")"
else
	bad "cannot generate PBX calls (scripts/gen-calls --pbx)"
fi

# ---- the spool is keyed by the server the environment chooses too --------
# The same conninfo without host: PGHOST names an unreachable server first
# (records spooled), then the test server; the spool of the first is for
# the first (the records must not land in the second), and it says so.
sql postgres "CREATE DATABASE envkey" 2>"$t/err"
PGHOST="$t/nowhere" "$CALLTAP" --spool "$t/spenv" -r "$srcdir/pcaps/sipp-many.pcap" --json /dev/null \
    --pg "port=$PORT dbname=envkey user=calltap" 2>"$t/err"
PGHOST="$t/sock" "$CALLTAP" --spool "$t/spenv" -r "$srcdir/pcaps/sipp-busy.pcap" --json "$t/env2.json" \
    --pg "port=$PORT dbname=envkey user=calltap" 2>"$t/err2"
check "spool keyed by PGHOST: only the second run's records in its server" \
    "$(wc -l <"$t/env2.json")" "$(sql envkey 'SELECT count(*) FROM calls')"
if grep -q "spooled by an earlier run" "$t/err2"; then
	bad "spool keyed by PGHOST: another server's spool was sent"
else
	ok "spool keyed by PGHOST: another server's spool left alone"
fi

echo "pgsql: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
