#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Per-stream charts (issue 13): calltap --db keeps each stream's intervals
# in rtp_intervals; `calltap show ID --db F --format html` draws one <svg>
# per stream with one point per interval and a table of the stored figures
# (tests/charts.py checks them value by value).  On a capture with loss
# (scripts/gen-calls, 3 % loss, 5 ms jitter) the intervals add up to their
# streams, and one interval's packets and loss equal tshark's rtp,streams
# on the capture cut at the interval's end minus the same cut at its start.
# The page from the call's own file (--pcap-dir, analysis run again) has the
# same figures; with --pcap-sip-only only the database has them.
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
chk="python3 $srcdir/tests/charts.py"

# a bundled capture: two streams of one SIPp call
cap=$srcdir/pcaps/sipp-answered-caller-bye.pcap
q() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$@"; }
"$CALLTAP" -q -r "$cap" --pcap-dir "$t/pa" --db "$t/a.db" --json /dev/null 2>/dev/null
id=$(q "$t/a.db" "SELECT call_id FROM rtp_streams")
n=$(q "$t/a.db" "SELECT count(*) FROM rtp_intervals")
# 160 and 151 packets of 20 ms (3.2 s, 3.0 s): one 5 s interval each
[ "$n" = 2 ] && ok "rtp_intervals: one interval per stream of sipp-answered-caller-bye.pcap" ||
    bad "rtp_intervals: $n rows, want 2"
if "$CALLTAP" show "$id" --db "$t/a.db" --format html -o "$t/a.html" 2>"$t/err" &&
    out=$($chk page "$t/a.html" "$t/a.db" "$id" 2>&1) && [ "$out" = "2 streams, 2 intervals" ] &&
    ! grep -qiE '<script|src=|href=' "$t/a.html"; then
	ok "show --db --format html: $out, self-contained"
else
	echo "$out" >"$t/err"; bad "show --db --format html: the charts of the stored intervals"
fi

# a database is not trusted: a stream with 3,000 intervals shows its first 1,440
cp "$t/a.db" "$t/h.db"
python3 -c "import sqlite3,sys
c = sqlite3.connect(sys.argv[1])
s, call, cid, t0 = c.execute('SELECT stream_rowid, call_rowid, call_id, start_us FROM rtp_intervals ORDER BY rowid').fetchone()
c.executemany('INSERT INTO rtp_intervals (stream_rowid, call_rowid, call_id, start_us, duration_ms, packets, lost, loss_pct, mos) VALUES (?, ?, ?, ?, 5000, 250, 1, 0.4, 4.2)',
    [(s, call, cid, t0 + 5000000 * (i + 1)) for i in range(2999)])
c.commit()" "$t/h.db"
if "$CALLTAP" show "$id" --db "$t/h.db" --format html -o "$t/h.html" 2>"$t/err" &&
    n=$(python3 -c "import re,sys
svg = re.findall(r'<svg class=\"stream\".*?</svg>', open(sys.argv[1]).read(), re.S)[0]
print(sum(len(p.split()) for p in re.findall(r'class=\"mos\"[^>]* points=\"([^\"]*)\"', svg)))" "$t/h.html") &&
    [ "$n" = 1440 ]; then
	ok "show --db: at most 1,440 intervals of a stream read from a database"
else
	bad "show --db: $n points from 3,000 stored intervals"
fi

# a capture with loss and jitter
if ! "$srcdir/scripts/gen-calls" -o "$t/g.pcap" --truth "$t/g.jsonl" --calls 3 --seed 8 --rtp \
    --talk-mean 40 --loss 3 --jitter-ms 5 --tcp-share 0 --frag-share 0 --vlan-share 0 \
    --ipv6-share 0 -q 2>"$t/err"; then
	bad "gen-calls"
	echo "charts.sh: $pass passed, $fail failed"; exit 1
fi
"$CALLTAP" -q -r "$t/g.pcap" --db "$t/g.db" --pcap-dir "$t/pd" --json /dev/null 2>/dev/null
if out=$($chk sums "$t/g.db" 2>&1) && [ "$out" -ge 4 ]; then
	ok "intervals add up to their streams ($out streams: packets, lost, max jitter)"
else
	echo "$out" >"$t/err"; bad "intervals add up to their streams"
fi
fail0=$fail
for cid in $(python3 -c "import sqlite3,sys
for (c,) in sqlite3.connect(sys.argv[1]).execute('SELECT DISTINCT call_id FROM rtp_streams'): print(c)" "$t/g.db"); do
	"$CALLTAP" show "$cid" --db "$t/g.db" --format html -o "$t/db.html" 2>"$t/err" &&
	    out=$($chk page "$t/db.html" "$t/g.db" "$cid" 2>&1) ||
	    { echo "$out" >"$t/err"; bad "show --db $cid"; }
	# the page made from the call's own file: the same intervals, analysed again
	"$CALLTAP" show "$cid" --pcap-dir "$t/pd" --format html -o "$t/pd.html" 2>"$t/err" &&
	    sed -n '/<table class="ivals">/,/<\/table>/p' "$t/db.html" >"$t/1" &&
	    sed -n '/<table class="ivals">/,/<\/table>/p' "$t/pd.html" >"$t/2" &&
	    [ -s "$t/1" ] && cmp -s "$t/1" "$t/2" ||
	    { diff "$t/1" "$t/2" >"$t/err"; bad "show --pcap-dir $cid: the figures of the database"; }
done
[ "$fail" -eq "$fail0" ] &&
    ok "show --db and --pcap-dir: every stream charted, figures equal to rtp_intervals"

if command -v tshark >/dev/null 2>&1 && command -v editcap >/dev/null 2>&1; then
	set -- $($chk pick "$t/g.db")
	ssrc=$1 a=$2 b=$3 p=$4 l=$5
	sec() { python3 -c "import sys; v=int(sys.argv[1]); print('%d.%06d' % (v // 10**6, v % 10**6))" "$1"; }
	editcap -B "$(sec "$a")" "$t/g.pcap" "$t/cut-a.pcap" 2>/dev/null
	editcap -B "$(sec "$b")" "$t/g.pcap" "$t/cut-b.pcap" 2>/dev/null
	ts() { tshark -n -r "$1" -q -z rtp,streams 2>/dev/null | awk -v s="$ssrc" '$7 == s { print $9, $10 }'; }
	set -- $(ts "$t/cut-a.pcap") $(ts "$t/cut-b.pcap")
	tp=$(($3 - $1)) tl=$(($4 - $2))
	[ -n "$ssrc" ] && [ "$l" -gt 0 ] && [ "$tp" = "$p" ] && [ "$tl" = "$l" ] &&
	    ok "interval $ssrc @$a: $p packets, $l lost, as tshark rtp,streams" ||
	    bad "interval $ssrc @$a: calltap $p packets $l lost, tshark $tp $tl"
fi

# per-call files without RTP: the stored intervals still chart the call
"$CALLTAP" -q -r "$t/g.pcap" --db "$t/s.db" --pcap-dir "$t/ps" --pcap-sip-only --json /dev/null 2>/dev/null
if "$CALLTAP" show "$cid" --db "$t/s.db" --format html -o "$t/s.html" 2>"$t/err" &&
    $chk page "$t/s.html" "$t/s.db" "$cid" >/dev/null 2>"$t/err" &&
    "$CALLTAP" show "$cid" --pcap-dir "$t/ps" --format html -o "$t/n.html" 2>"$t/err" &&
    grep -q 'RTP quality over time (0 streams)' "$t/n.html"; then
	ok "--pcap-sip-only: charts from the database, none from the SIP-only file"
else
	bad "--pcap-sip-only"
fi
# the report links each answered or missed call to its page, when it has one
cap=$srcdir/pcaps/sipp-cancel.pcap
"$CALLTAP" -q -r "$cap" --db "$t/g.db" --pcap-dir "$t/pd" --json /dev/null 2>/dev/null
# a failed call (488; the generated decline is busy, a missed call)
"$CALLTAP" -q -r "$srcdir/pcaps/goffinet-sip-488-Not-Acceptable-Here-codec-null.pcapng" \
    --db "$t/g.db" --pcap-dir "$t/pd" --json /dev/null 2>/dev/null
canc=$(q "$t/g.db" "SELECT call_id FROM calls WHERE disposition = 'cancelled'")
ans=$(q "$t/g.db" "SELECT call_id FROM calls WHERE disposition = 'answered' ORDER BY start_us")
failed=$(q "$t/g.db" "SELECT call_id FROM calls WHERE disposition = 'failed'")
mkdir "$t/pages"
for id in "$canc" "$ans" "$failed"; do   # the other answered call gets no page
	"$CALLTAP" show "$id" --db "$t/g.db" --format html --call-pages "$t/pages" 2>>"$t/err"
done
"$CALLTAP" report --db "$t/g.db" --format html --call-pages "$t/pages" -o "$t/r.html" 2>"$t/err"
links=$(grep -o '<a href="[^"]*"' "$t/r.html" | sed 's/<a href="//; s/"$//')
n=0 good=0
for l in $links; do
	n=$((n + 1))
	[ -f "$l" ] && { grep -qF "<h1>Call $canc</h1>" "$l" || grep -qF "<h1>Call $ans</h1>" "$l"; } &&
	    good=$((good + 1))
done
if [ "$n" = 2 ] && [ "$good" = 2 ] && [ "$(ls "$t/pages" | wc -l)" = 3 ]; then
	ok "report --call-pages: the answered and the cancelled call link to their pages, the failed one and the one without a page do not"
else
	echo "$n links, $good to their pages: $links" >"$t/err"; bad "report --call-pages"
fi
if ! "$CALLTAP" report --db "$t/g.db" --call-pages "$t/pages" >/dev/null 2>&1 &&
    "$CALLTAP" report --db "$t/g.db" --format html -o "$t/r0.html" 2>/dev/null &&
    ! grep -q 'Calls with a page' "$t/r0.html"; then
	ok "report: --call-pages only with --format html; no page list without it"
else
	bad "report: --call-pages without html"
fi
echo "charts.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
