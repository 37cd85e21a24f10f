#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Dynamic number pools (--leases): generated trunk traffic, a lease log
# built from the generator's truth with every kind of case (a lease that
# covers the call, one that ends exactly at its start, one that starts
# exactly at it, overlapping leases, empty utm fields, numbers in another
# format, times with an offset, a malformed line), and the expected
# attribution of every call computed here, independently, from the rule in
# docs/schema.md (the lease holding the dialled number at the call's start,
# latest leased_from; utm_source/utm_campaign over the static source and
# campaign).  The capture is fed through a pipe in two parts; the leases of
# the calls of the second part are appended to the log while calltap runs.
# Checks the JSON, CSV and SQLite outputs.  Prints "leases: N passed, N failed".
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "leases: python3 missing"; exit 77; }
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
trap 'exit 1' INT TERM

"$srcdir/scripts/gen-calls" -o "$t/g.pcap" --truth "$t/g.truth" --calls 150 --no-rtp --seed 23 \
    >/dev/null 2>&1 || { echo "leases: cannot generate calls"; exit 99; }

# Builds numbers.csv, leases.csv (calls of the first part), late.csv (of
# the second part), expected.json, and splits the capture at the middle call.
python3 - "$t" <<'EOF' || { echo "leases: cannot build the lease log"; exit 99; }
import datetime, json, struct, sys
d = sys.argv[1]
calls = [json.loads(l) for l in open(d + "/g.truth")]
def us(iso):
    t = datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp()) * 1000000 + t.microsecond
def iso(u, offset_h=0):
    tz = datetime.timezone(datetime.timedelta(hours=offset_h))
    t = datetime.datetime.fromtimestamp(u // 1000000, tz).replace(microsecond=u % 1000000)
    return t.isoformat().replace("+00:00", "Z")
pool = sorted({c["callee"] for c in calls if c["callee"].startswith("+1415555")})
with open(d + "/numbers.csv", "w") as f:
    f.write("number,source,campaign\n")
    for n in pool:
        f.write("%s,static-src,static-camp\n" % n)
starts = sorted(us(c["start_time"]) for c in calls)
split = starts[len(starts) // 2]
leases = []   # (number text, fields..., from, until, late)
S = 1000000
for i, c in enumerate(c for c in calls if c["callee"] in pool):
    n, t = c["callee"], us(c["start_time"])
    late = t >= split
    k = i % 6
    if k == 0:
        continue                                  # no lease: static source
    if k == 1:                                    # covers the call
        leases.append((n, "S%d" % i, "V%d" % i, "C%d" % i, "google", "cpc", "spring", "shoes", "ad%d" % i, "gclid%d" % i, t - 30 * S, t + S // 2, 0, late))
    elif k == 2:                                  # ends exactly at the start: not this call's
        leases.append((n, "E%d" % i, "", "", "yahoo", "", "x", "", "", "", t - 60 * S, t, 0, late))
    elif k == 3:                                  # overlapping: the later start wins; empty campaign
        leases.append((n, "OLD%d" % i, "", "", "facebook", "", "old", "", "", "", t - 600 * S, t + 600 * S, 0, late))
        leases.append((n, "S%d" % i, "", "", "bing", "", "", "", "", "", t - 10 * S, t + 10 * S, 0, late))
    elif k == 4:                                  # starts exactly at the start, offset time, other format
        nat = "+1 (%s) %s-%s" % (n[2:5], n[5:8], n[8:])
        leases.append((nat, "S%d" % i, "", "\"c, quoted\"", "", "", "", "", "", "", t, t + 5 * S, 3, late))
    else:                                         # open-ended
        leases.append((n, "OPEN%d" % i, "", "", "newsletter", "email", "may", "", "", "", t - 5 * S, None, -5, late))
def line(l):
    f = list(l[1:10]) + [iso(l[10], l[12]), "" if l[11] is None else iso(l[11], l[12])]
    return l[0] + "," + ",".join(f) + "\n"
hdr = "number,session_id,visitor_id,client_id,utm_source,utm_medium,utm_campaign,utm_term,utm_content,click_id,leased_from,leased_until\n"
with open(d + "/leases.csv", "w") as f:
    f.write(hdr)
    f.write("+14155550100,bad,,,,,,,,,not-a-time,\n")   # line 2: malformed, counted
    for l in leases:
        if not l[13]:
            f.write(line(l))
with open(d + "/late.csv", "w") as f:
    for l in leases:
        if l[13]:
            f.write(line(l))
# expected attribution, by the rule
names = ["session_id", "visitor_id", "client_id", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "click_id"]
def norm(n):
    return "".join(ch for ch in n if ch.isdigit())
exp = {}
for c in calls:
    t = us(c["start_time"])
    cand = [l for l in leases if norm(l[0]) == norm(c["callee"]) and l[10] <= t and (l[11] is None or t < l[11])]
    e = {k: None for k in names}
    src = "static-src" if c["callee"] in pool else None
    camp = "static-camp" if c["callee"] in pool else None
    if cand:
        best = max(cand, key=lambda l: l[10])
        for k, v in zip(names, best[1:10]):
            e[k] = v.strip('"') if v else None
        src = e["utm_source"] or src
        camp = e["utm_campaign"] or camp
    e["source"], e["campaign"] = src, camp
    exp[c["call_id"]] = e
json.dump(exp, open(d + "/expected.json", "w"))
print("leases: %d calls, %d to pool numbers, %d leases (%d appended while running), %d calls in a lease" % (
    len(calls), sum(1 for c in calls if c["callee"] in pool), len(leases), sum(1 for l in leases if l[13]),
    sum(1 for e in exp.values() if e["session_id"])))
# split the capture: frames before the split time, then the rest
raw = open(d + "/g.pcap", "rb").read()
magic = struct.unpack("<I", raw[:4])[0]
endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
off = 24
while off + 16 <= len(raw):
    sec, frac, incl, _ = struct.unpack(endian + "IIII", raw[off:off + 16])
    if sec * 1000000 + (frac // 1000 if nano else frac) >= split - 1000:
        break
    off += 16 + incl
open(d + "/part1.pcap", "wb").write(raw[:off])
open(d + "/part2.bin", "wb").write(raw[off:])
EOF

cp "$t/leases.csv" "$t/log.csv"
# part2 waits for the append (a loaded machine can take seconds to start
# python3), then half a second for calltap to see it, at most 30 s.
{ cat "$t/part1.pcap"; sleep 1
  i=0; while [ ! -e "$t/appended" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
  sleep 0.5; cat "$t/part2.bin"; } |
    "$CALLTAP" -r - --json "$t/out.json" --csv "$t/out.csv" --db "$t/out.db" --leases "$t/log.csv" \
    --numbers "$t/numbers.csv" --country-code 1 --home 203.0.113.10/32 --sensor s1 -s 2>"$t/err" &
cpid=$!
sleep 1.5
# appended while calltap runs: a partial last line first, completed later
python3 -c '
import sys, time
text = open(sys.argv[1]).read()
with open(sys.argv[2], "a") as f:
    f.write(text[:-20]); f.flush()
    time.sleep(0.3)
    f.write(text[-20:])
' "$t/late.csv" "$t/log.csv"
: >"$t/appended"
wait "$cpid"
st=$?
if [ $st -eq 0 ]; then ok "exit status 0"; else bad "exit status $st"; fi
if grep -q "leases $t/log.csv:2: leased_from 'not-a-time' is not an ISO 8601 time; line skipped" "$t/err"; then
	ok "malformed lease line said with its line number"
else
	bad "malformed lease line not reported"
fi
nl=$(($(wc -l <"$t/leases.csv") + $(wc -l <"$t/late.csv") - 2))
if grep -q "^  leases_bad_lines  *1$" "$t/err" && grep -q "^  leases_read  *$nl$" "$t/err"; then
	ok "--stats: $nl leases read, 1 bad line"
else
	bad "--stats lease counters: $(grep leases_ "$t/err" | tr '\n' ' ')"
fi

python3 - "$t" >"$t/check.out" <<'EOF'
import csv, json, sqlite3, sys
d = sys.argv[1]
exp = json.load(open(d + "/expected.json"))
cols = ["session_id", "visitor_id", "client_id", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "click_id", "source", "campaign"]
def report(what, got):
    bad = 0
    for cid, e in exp.items():
        g = got.get(cid)
        if g is None:
            bad += 1
            if bad <= 3:
                print("BAD %s: call %s missing" % (what, cid))
            continue
        for k in cols:
            if g.get(k) != e[k]:
                bad += 1
                if bad <= 3:
                    print("BAD %s: call %s %s = %r, want %r" % (what, cid, k, g.get(k), e[k]))
    if len(got) != len(exp):
        print("BAD %s: %d records for %d calls" % (what, len(got), len(exp)))
    elif bad == 0:
        print("OK %s" % what)
j = {}
for l in open(d + "/out.json"):
    r = json.loads(l)
    j[r["call_id"]] = r
report("json", j)
c = {}
for r in csv.DictReader(open(d + "/out.csv", newline="")):
    c[r["call_id"]] = {k: (v if v != "" else None) for k, v in r.items()}
report("csv", c)
db = sqlite3.connect(d + "/out.db")
db.row_factory = sqlite3.Row
s = {r["call_id"]: dict(r) for r in db.execute("SELECT * FROM calls")}
report("sqlite", s)
print("IN_LEASE %d" % sum(1 for e in exp.values() if e["session_id"]))
EOF
for w in json csv sqlite; do
	if grep -q "^OK $w$" "$t/check.out"; then
		ok "$w: session fields, source and campaign of every call as the rule gives ($(sed -n 's/^IN_LEASE //p' "$t/check.out") calls in a lease)"
	else
		bad "$w: $(grep "BAD $w" "$t/check.out" | head -n 3 | tr '\n' ';')"
	fi
done

# a bad header stops the start, naming the file and line
printf 'phone,when\n' >"$t/bad.csv"
"$CALLTAP" -r "$t/part1.pcap" --json /dev/null --leases "$t/bad.csv" 2>"$t/err"
st=$?
if [ $st -eq 1 ] && grep -q "bad.csv:1: no header row" "$t/err"; then ok "a lease log without a header is refused"; else bad "bad header: status $st"; fi

echo "leases: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
