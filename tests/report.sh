#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# End-to-end test of `calltap report`: reconstructs the bundled captures into
# a SQLite database, renders the report as text, JSON (validated with
# python3 and compared with the database) and HTML (self-contained, hostile
# names escaped), checks the error statuses, runs tests/report_stores.py
# (hand-built stores with figures worked out by hand: leads, callbacks,
# Europe/Kyiv DST, business hours, costs, filters, CSV, warnings), and renders the HTML in headless
# Chromium (screenshot size, SVG elements in the DOM).  Without chromium the
# other checks still run and the test then exits 77 (skipped) if they pass.
# Set REPORT_KEEP=DIR to keep the HTML, screenshot and DOM there.
# Prints "report: N passed, N failed".
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
check() { # name command...
	name=$1; shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}
PY=$(command -v python3)

"$CALLTAP" -r "$srcdir/pcaps" --db "$t/x.db" >/dev/null 2>"$t/err"
check "capture into $t/x.db" [ $? -eq 0 ]

"$CALLTAP" report --db "$t/x.db" --format text >"$t/r.txt" 2>"$t/err"
check "text report (status 0)" [ $? -eq 0 ]
check "text report has totals" grep -q '^  total  ' "$t/r.txt"
check "text report has the summary and the call-back list" grep -q -e '^Summary' -e '^Call-back list' "$t/r.txt"
check "text report has hours and agents" grep -q -e '^By hour of day' -e '^Per answering agent' "$t/r.txt"
check "text report has no control characters" sh -c "! LC_ALL=C grep -q '[[:cntrl:]]' '$t/r.txt'"

"$CALLTAP" report --db "$t/x.db" --format json -o "$t/r.json" 2>"$t/err"
check "json report (status 0)" [ $? -eq 0 ]
if [ -n "$PY" ]; then
	"$PY" - "$t/r.json" "$t/x.db" >"$t/err" 2>&1 <<'EOF'
import json, sqlite3, sys
r = json.load(open(sys.argv[1]))
db = sqlite3.connect(sys.argv[2])
n = db.execute("SELECT count(*) FROM calls WHERE start_us IS NOT NULL").fetchone()[0]
ans = db.execute("SELECT count(*) FROM calls WHERE start_us IS NOT NULL"
                 " AND disposition = 'answered'").fetchone()[0]
keys = ["report", "version", "database", "range", "data_range", "tz", "quality_s",
        "lead_window_s", "hours", "filters", "missing_columns", "has_costs", "cost_source",
        "currency", "warnings", "totals", "marketing", "answer_time", "callbacks",
        "business_hours", "outbound", "by_hour", "by_weekday", "daily", "sources",
        "campaigns", "sessions", "agents", "outbound_agents", "callback_list", "ring_agents", "ring_hours"]
assert list(r) == keys, list(r)
assert n > 0 and r["totals"]["calls"] == n, (r["totals"], n)
assert r["totals"]["answered"] == ans
# the captures were read without --home: every call is a marketing call
assert [w["code"] for w in r["warnings"]] == ["no_direction", "mostly_unknown_direction"]
assert r["marketing"]["calls"] == n
assert sum(h["calls"] for h in r["by_hour"]) == n and len(r["by_hour"]) == 24
assert sum(d["calls"] for d in r["by_weekday"]) == n and len(r["by_weekday"]) == 7
assert sum(d["calls"] for d in r["daily"]) == n
assert sum(a["answered"] for a in r["agents"]) == ans
assert sum(h["calls"] for h in r["answer_time"]["histogram"]) == r["answer_time"]["calls"]
assert sum(c["calls"] for c in r["campaigns"]) == n
EOF
	check "json is valid and matches the database" [ $? -eq 0 ]
fi

# --from/--to: a range holding nothing, and a bad date.
"$CALLTAP" report --db "$t/x.db" --format json --from 1990-01-01 --to 1990-01-02 >"$t/e.json" 2>"$t/err"
check "empty range (status 0)" [ $? -eq 0 ]
check "empty range has 0 calls" grep -q '"totals":{"calls":0,' "$t/e.json"

# Hand-built stores whose figures are worked out in tests/report_stores.py.
if [ -n "$PY" ]; then
	"$PY" "$srcdir/tests/report_stores.py" run "$CALLTAP" "$t" >"$t/stores.out" 2>&1
	st=$?
	grep -v '^ok ' "$t/stores.out"
	check "hand-built stores: every figure as worked out by hand" [ $st -eq 0 ]
fi
"$CALLTAP" report --db "$t/x.db" --from 2024-02-30 >/dev/null 2>"$t/err"
check "bad --from: status 1" [ $? -eq 1 ]
check "bad --from: message" grep -q "bad --from '2024-02-30'" "$t/err"
"$CALLTAP" report --db "$t/x.db" --format pdf >/dev/null 2>"$t/err"
check "bad --format: status 1" [ $? -eq 1 ]
"$CALLTAP" report --db "$t/missing.db" >/dev/null 2>"$t/err"
check "missing database: status 2" [ $? -eq 2 ]
check "missing database: message" grep -q "cannot open database '$t/missing.db'" "$t/err"
"$CALLTAP" report --db "$t/x.db" -o "$t/nodir/r.txt" >/dev/null 2>"$t/err"
check "unwritable output: status 3" [ $? -eq 3 ]
if [ -n "$PY" ]; then
	"$PY" -c "import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute('CREATE TABLE calls (id INTEGER, caller TEXT)')" "$t/old.db"
	"$CALLTAP" report --db "$t/old.db" >/dev/null 2>"$t/err"
	check "missing columns: status 2" [ $? -eq 2 ]
	check "missing columns: message" grep -q "table calls lacks column(s) .*disposition.*start_us" "$t/err"
	# A hostile agent name (the Contact user part comes from the wire).
	cp "$t/x.db" "$t/h.db"
	"$PY" -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE calls SET agent='<script>alert(1)</script>' WHERE disposition='answered'\"); c.commit()" "$t/h.db"
	"$CALLTAP" report --db "$t/h.db" --format html -o "$t/h.html" 2>"$t/err"
	check "hostile name: html written" [ $? -eq 0 ]
	check "hostile name: escaped" grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$t/h.html"
	check "hostile name: no script element" sh -c "! grep -qi '<script' '$t/h.html'"
fi

"$CALLTAP" report --db "$t/x.db" --format html -o "$t/r.html" 2>"$t/err"
check "html report (status 0)" [ $? -eq 0 ]
check "html has 5 inline SVG charts" [ "$(grep -o '<svg ' "$t/r.html" | wc -l)" -eq 5 ]
check "html is self-contained" sh -c "! grep -Eqi '<(script|link|img|iframe)|url\\(|https?://[^\"]*\"[^>]*(src|href)' '$t/r.html'"
[ -n "$REPORT_KEEP" ] && mkdir -p "$REPORT_KEEP" && cp "$t/r.html" "$REPORT_KEEP/"

CHROMIUM=$(command -v chromium || command -v chromium-browser || command -v google-chrome)
if [ -z "$CHROMIUM" ]; then
	echo "report: $pass passed, $fail failed (chromium not installed: render check skipped)"
	[ "$fail" -eq 0 ] && exit 77
	exit 1
fi
chrome() { # args... (each run gets a fresh profile)
	prof=$(mktemp -d "$t/prof.XXXXXX")
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	    --disable-background-networking --disable-component-update --disable-sync \
	    --user-data-dir="$prof" "$@" 2>>"$t/chrome.err"
}
chrome --screenshot="$t/r.png" --window-size=1200,2000 "file://$t/r.html" >/dev/null
size=$(wc -c <"$t/r.png" 2>/dev/null || echo 0)
check "chromium screenshot is a PNG of $size bytes (> 20 KB)" \
    sh -c "[ '$size' -gt 20000 ] && head -c 8 '$t/r.png' | od -An -c | grep -q 'P   N   G'"
chrome --dump-dom "file://$t/r.html" >"$t/dom.html"
check "rendered DOM has 5 svg elements" [ "$(grep -o '<svg ' "$t/dom.html" | wc -l)" -eq 5 ]
check "rendered DOM has bars" [ "$(grep -o '<rect ' "$t/dom.html" | wc -l)" -ge 10 ]
check "rendered DOM has the figures table" grep -q '<td>marketing.missed_rate_pct</td>' "$t/dom.html"
[ -n "$REPORT_KEEP" ] && cp "$t/r.png" "$t/dom.html" "$REPORT_KEEP/"

echo "report: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
