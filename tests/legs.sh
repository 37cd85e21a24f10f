#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# PBX legs (docs/schema.md, PBX legs): scripts/gen-calls --pbx writes inbound
# trunk calls together with the PBX's LAN side (ring groups, hunting, IVR,
# voicemail, forwards, a proxy forking a leg, blind transfer, a queue ringing
# an agent again, a quick redial, withheld callers with and without X-CID, a caller
# with two calls open, direct and bypassed media linked only by SDP endpoints,
# bridged RTP, re-INVITE transfers, direct-media rings that did not answer) and the truth of every trunk call's rings,
# answered_by and agent and of every leg's parent_call_id; tests/legs.py
# compares them with calltap's records.  Without --home nothing is linked.
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
check() { # name command...: ok when the command succeeds
	name=$1; shift
	if "$@" 2>"$t/err"; then ok "$name"; else bad "$name"; fi
}
run() { # name gen-calls-options...
	name=$1; shift
	if ! "$srcdir/scripts/gen-calls" --pbx -q -o "$t/$name.pcap" --truth "$t/$name.truth" "$@" >"$t/$name.gen" 2>&1; then
		fail=$((fail + 1)); echo "FAIL $name: gen-calls failed"; sed 's/^/     | /' "$t/$name.gen"; return
	fi
	if ! "$CALLTAP" -r "$t/$name.pcap" --home 203.0.113.0/24 --country-code 380 \
	    --json "$t/$name.jsonl" 2>"$t/$name.err"; then
		fail=$((fail + 1)); echo "FAIL $name: calltap failed"; sed 's/^/     | /' "$t/$name.err"; return
	fi
	if python3 "$srcdir/tests/legs.py" "$t/$name.truth" "$t/$name.jsonl" >"$t/$name.cmp" 2>&1; then
		pass=$((pass + 1)); echo "ok   $name: $(tail -1 "$t/$name.cmp")"
	else
		fail=$((fail + 1)); echo "FAIL $name"; head -30 "$t/$name.cmp" | sed 's/^/     | /'
	fi
}
run each-kind --seed 1 --calls 22
run mix --seed 2 --calls 300
run mix3 --seed 3 --calls 200
# Only the media links the legs of direct_media and bypass_media (the PBX
# replaces or withholds the caller ID, no header, no Diversion): rule 5.
run media --seed 5 --calls 24
"$CALLTAP" -r "$t/media.pcap" --home 203.0.113.0/24 --country-code 380 --json /dev/null \
    --stats >"$t/stm.txt" 2>&1
check "stats: legs linked by media as in the truth" python3 -c '
import json, re, sys
tr = [json.loads(l) for l in open(sys.argv[1])]
kind = {r["call_id"]: r.get("kind") for r in tr}
want = sum(1 for r in tr if kind.get(r.get("parent_call_id")) in ("direct_media", "bypass_media"))
got = int(re.search(r"^ +legs_by_media +(\d+)$", open(sys.argv[2]).read(), re.M).group(1))
assert want >= 3 and got == want, (want, got)
' "$t/media.truth" "$t/stm.txt"

# Without --home no call is linked: no parent, no rings for the trunk calls
# (the proxy-forked leg still has its branches), answered_by unknown.
"$srcdir/scripts/gen-calls" --pbx -q -o "$t/n.pcap" --truth "$t/n.truth" --calls 15
"$CALLTAP" -r "$t/n.pcap" --json "$t/n.jsonl" 2>/dev/null
check "no --home: nothing linked" python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
tr = [r for r in rs if r["call_id"].startswith("trunk-")]
assert len(tr) == 16 and all(r["parent_call_id"] is None for r in rs)
assert all(r["rings"] == [] and r["answered_by"] in (None, "unknown") for r in tr)
assert any(r["answered_by"] == "unknown" for r in tr)
' "$t/n.jsonl"

# Transfers: each kind links its new leg by the rule the truth expects.
"$CALLTAP" -r "$t/each-kind.pcap" --home 203.0.113.0/24 --country-code 380 --json /dev/null \
    --stats >"$t/st1.txt" 2>&1
check "stats: transfers linked by Refer-To and Replaces" sh -c "grep -Eq '^ +legs_by_refer +2\$' '$t/st1.txt' &&
    grep -Eq '^ +legs_by_replaces +2\$' '$t/st1.txt' && grep -Eq '^ +legs_transfers +4\$' '$t/st1.txt'"
check "truth: every transfer kind has a transferred ring" python3 -c '
import json, sys
tr = [json.loads(l) for l in open(sys.argv[1])]
k = {r["kind"] for r in tr if "kind" in r and any(g["transferred_to"] for g in r["rings"])}
assert k == {"transfer", "attended", "hold_transfer", "transfer_external", "transfer_anon"}, k
' "$t/each-kind.truth"

# CSV and SQLite carry rings as JSON text and answered_by as text.
"$CALLTAP" -r "$t/each-kind.pcap" --home 203.0.113.0/24 --country-code 380 \
    --csv "$t/k.csv" --db "$t/k.db" 2>/dev/null
check "csv rings" python3 -c '
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
tr = [r for r in rows if r["call_id"].startswith("trunk-0-")][0]
assert tr["answered_by"] == "agent" and len(json.loads(tr["rings"])) in (2, 3), tr
assert sum(1 for r in rows if r["parent_call_id"]) > 10
' "$t/k.csv"
check "sqlite rings" python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = db.execute("SELECT count(DISTINCT calls.id) FROM calls, json_each(calls.rings) WHERE "
               "answered_by = \x27agent\x27 AND json_extract(json_each.value, "
               "\x27$.outcome\x27) = \x27answered\x27").fetchone()[0]
m = db.execute("SELECT count(*) FROM calls WHERE answered_by = \x27agent\x27").fetchone()[0]
assert n == m and n > 0, (n, m)
' "$t/k.db"
# A trunk call answered only by the IVR is a missed call for the history:
# the agent's later call to the caller is its callback (callback_of in the
# JSON, compared by legs.py; callback_s set in the store when it comes).
check "sqlite: callback of an IVR-answered call" python3 -c '
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
tr = [json.loads(l) for l in open(sys.argv[2])]
want = [(t["call_id"], t["_callback_s"]) for t in tr if "_callback_s" in t]
assert len(want) == 1, want
got = db.execute("SELECT callback_s FROM calls WHERE call_id = ?", (want[0][0],)).fetchone()
assert got is not None and abs(got[0] - want[0][1]) < 0.0005, (got, want)
' "$t/k.db" "$t/each-kind.truth"
# ... and across runs: the store's history replay knows that call as
# missed (answered_by) when the callback comes in a later capture.
check "split: callback in a capture of its own" python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read()
outs = [open(sys.argv[2], "wb"), open(sys.argv[3], "wb")]
for o in outs:
    o.write(d[:24])
p, n = 24, 0
while p < len(d):
    ln = struct.unpack("<I", d[p + 8:p + 12])[0]
    rec = d[p:p + 16 + ln]
    outs[b"callback-" in rec].write(rec)
    n += b"callback-" in rec
    p += 16 + ln
assert n >= 4, n
' "$t/each-kind.pcap" "$t/rest.pcap" "$t/cb.pcap"
"$CALLTAP" -r "$t/rest.pcap" --home 203.0.113.0/24 --country-code 380 --db "$t/r.db" 2>/dev/null
"$CALLTAP" -r "$t/cb.pcap" --home 203.0.113.0/24 --country-code 380 --db "$t/r.db" \
    --json "$t/cb.jsonl" 2>/dev/null
check "sqlite: history replay counts the IVR-answered call as missed" python3 -c '
import json, sqlite3, sys
tr = [json.loads(l) for l in open(sys.argv[3])]
want = [(t["call_id"], t["_callback_s"]) for t in tr if "_callback_s" in t][0]
cb = [json.loads(l) for l in open(sys.argv[2])]
assert [r["callback_of"] for r in cb] == [want[0]], cb
got = sqlite3.connect(sys.argv[1]).execute("SELECT callback_s FROM calls WHERE call_id = ?",
                                           (want[0],)).fetchone()
assert got is not None and abs(got[0] - want[1]) < 0.0005, (got, want)
' "$t/r.db" "$t/cb.jsonl" "$t/each-kind.truth"
# The report: legs are part of their trunk call; IVR and voicemail answers are missed.
"$CALLTAP" report --db "$t/k.db" --format json >"$t/k.json" 2>"$t/err"
check "report: machine answers are missed calls" python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))["marketing"]
tr = [json.loads(l) for l in open(sys.argv[2])]
trunks = [r for r in tr if "kind" in r]
machine = sum(1 for r in trunks if r["answered_by"] in ("ivr", "voicemail"))
missed = machine + sum(1 for r in trunks if r["answered_by"] is None)
assert machine >= 2, machine
assert (m["calls"], m["answered_by_machine"], m["missed"]) == (len(trunks), machine, missed), m
assert m["answered"] == len(trunks) - missed, m
' "$t/k.json" "$t/each-kind.truth"
# The real SIPp capture (pcaps/sipp-pbx-ring-group.pcap): --stats counts the links.
"$CALLTAP" -r "$srcdir/pcaps/sipp-pbx-ring-group.pcap" --home 127.0.0.0/24 --json /dev/null \
    --stats >"$t/st.txt" 2>&1
check "stats: legs linked by caller" sh -c "grep -Eq '^ +legs_linked +2\$' '$t/st.txt' &&
    grep -Eq '^ +legs_by_caller +2\$' '$t/st.txt' && grep -Eq '^ +legs_trunk_calls +1\$' '$t/st.txt'"

# The real SIPp blind transfer (pcaps/sipp-pbx-blind-transfer.pcap): the
# new leg carries the company's number, so only the REFER's Refer-To links it.
"$CALLTAP" -r "$srcdir/pcaps/sipp-pbx-blind-transfer.pcap" --home 127.0.0.0/24 --json /dev/null \
    --stats >"$t/st2.txt" 2>&1
check "stats: SIPp transfer linked by Refer-To" sh -c "grep -Eq '^ +legs_by_refer +1\$' '$t/st2.txt' &&
    grep -Eq '^ +legs_by_caller +1\$' '$t/st2.txt' && grep -Eq '^ +legs_transfers +1\$' '$t/st2.txt'"

# The real SIPp bridged media (pcaps/sipp-pbx-bridged.pcap, rtp-relay.py as
# the PBX's bridge): two legs with the caller ID withheld, linked by their
# RTP only, one by the SSRC passed through, the other (two trunk calls open
# at its start) by the relayed stream's timing.
"$CALLTAP" -r "$srcdir/pcaps/sipp-pbx-bridged.pcap" --home 127.0.0.0/24 --json /dev/null \
    --stats >"$t/st3.txt" 2>&1
check "stats: SIPp bridged legs linked by RTP" sh -c "grep -Eq '^ +legs_by_bridge +2\$' '$t/st3.txt' &&
    grep -Eq '^ +legs_by_bridge_ssrc +1\$' '$t/st3.txt' && grep -Eq '^ +legs_linked +2\$' '$t/st3.txt'"

# Agents' rings in the report: every figure recomputed from the truth.
"$CALLTAP" -r "$t/mix.pcap" --home 203.0.113.0/24 --country-code 380 --db "$t/mix.db" 2>/dev/null
"$CALLTAP" report --db "$t/mix.db" --format json >"$t/mix.json" 2>"$t/err"
check "report: agents' rings as in the truth" python3 -c '
import datetime, json, math, sys
rep = json.load(open(sys.argv[1]))["ring_agents"]
def us(s):
    d = datetime.datetime.strptime(s.rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f")
    return int(d.replace(tzinfo=datetime.timezone.utc).timestamp()) * 1000000 + d.microsecond
def person_talk(r):
    # docs/report.md: a call an agent took after the PBX answered talks
    # from the first answered ring on
    talk = r["talk_s"] or 0.0
    picks = [g for g in r["rings"] if g["outcome"] == "answered" and g.get("ring_end")]
    if r.get("answered_by") != "agent" or not picks or r["answer_ms"] is None:
        return talk
    ms = (us(picks[0]["ring_end"]) - us(r["start_time"]) + 500) // 1000
    return max(0.0, talk - (ms - r["answer_ms"]) / 1000) if ms > r["answer_ms"] else talk
truth = [json.loads(l) for l in open(sys.argv[2])]
recs = {}
for l in open(sys.argv[3]):
    r = json.loads(l)
    recs[r["call_id"]] = r
want = {}
MISSED = ("no_answer", "busy", "rejected", "caller_hangup")
for t in truth:
    if "kind" not in t:
        continue
    for g in t["rings"]:
        a = want.setdefault(g["agent"], {"rings": 0, "answered": 0, "missed_rings": 0,
            "cancelled_elsewhere": 0, "p": [], "calls_taken": 0, "talk_s": 0.0,
            "calls_transferred": 0})
        a["rings"] += 1
        a["answered"] += g["outcome"] == "answered"
        a["calls_transferred"] += g["outcome"] == "answered" and g["transferred_to"] is not None
        a["missed_rings"] += g["outcome"] in MISSED
        a["cancelled_elsewhere"] += g["outcome"] == "cancelled_elsewhere"
        if g["outcome"] == "answered":
            a["p"].append(g["pickup_ms"])
    if t["answered_by"] == "agent" and t["agent"] in [g["agent"] for g in t["rings"]]:
        a = want[t["agent"]]
        a["calls_taken"] += 1
        a["talk_s"] += person_talk(recs[t["call_id"]])
assert [r["agent"] for r in rep] == sorted(want), ([r["agent"] for r in rep], sorted(want))
n = 0
for r in rep:
    w = want[r["agent"]]
    for k in ("rings", "answered", "missed_rings", "cancelled_elsewhere", "calls_taken",
              "calls_transferred"):
        assert r[k] == w[k], (r, w, k)
    den = w["answered"] + w["missed_rings"]
    rate = round(100.0 * w["answered"] / den, 2) if den else None
    assert r["answer_rate_pct"] == rate, (r, rate)
    p = sorted(w["p"])
    if p:
        assert abs(r["pickup_mean_s"] - sum(p) / len(p) / 1000) < 0.0015, (r, p)
        assert r["pickup_p90_s"] == p[(len(p) * 9 + 9) // 10 - 1] / 1000, (r, p)
    else:
        assert r["pickup_mean_s"] is None and r["pickup_p90_s"] is None, r
    assert abs(r["talk_s"] - w["talk_s"]) < 0.01, (r, w)
    n += r["rings"]
assert n > 300, n
assert sum(r["calls_transferred"] for r in rep) > 20, rep
' "$t/mix.json" "$t/mix.truth" "$t/mix.jsonl"
# Missed calls by hour of day in the report's time zone (Kyiv: UTC+2 then).
"$CALLTAP" report --db "$t/mix.db" --tz Europe/Kyiv --format json >"$t/mixk.json" 2>"$t/err"
check "report: missed calls by hour of day as in the truth" python3 -c '
import json, sys
from datetime import datetime
from zoneinfo import ZoneInfo
rep = json.load(open(sys.argv[1]))
truth = [json.loads(l) for l in open(sys.argv[2])]
recs = {}
for l in open(sys.argv[3]):
    r = json.loads(l)
    recs[r["call_id"]] = r
MISSED = ("no_answer", "busy", "rejected", "caller_hangup")
kyiv = ZoneInfo("Europe/Kyiv")
hours = [{"calls": 0, "missed": 0, "answered_by_machine": 0, "rings": 0, "missed_rings": 0,
          "agents": set()} for _ in range(24)]
for t in truth:
    if "kind" not in t:
        continue
    st = datetime.fromisoformat(recs[t["call_id"]]["start_time"].replace("Z", "+00:00"))
    h = hours[st.astimezone(kyiv).hour]
    h["calls"] += 1
    h["missed"] += t["answered_by"] in (None, "ivr", "voicemail")
    h["answered_by_machine"] += t["answered_by"] in ("ivr", "voicemail")
    for g in t["rings"]:
        h["rings"] += 1
        h["missed_rings"] += g["outcome"] in MISSED
        if g["outcome"] == "answered":
            h["agents"].add(g["agent"])
days = len(rep["daily"])
got = rep["ring_hours"]
assert [x["hour"] for x in got] == list(range(24)), got
for i, (x, w) in enumerate(zip(got, hours)):
    for k in ("calls", "missed", "answered_by_machine", "rings", "missed_rings"):
        assert x[k] == w[k], (i, k, x, w)
    assert x["agents_answering"] == len(w["agents"]), (i, x, w)
    assert x["missed_per_day"] == round(w["missed"] / days, 2), (i, x, days)
assert sum(x["missed"] for x in got) > 30 and [i for i in range(24) if got[i]["calls"]] == [0, 1], got
' "$t/mixk.json" "$t/mix.truth" "$t/mix.jsonl"
"$CALLTAP" report --db "$t/mix.db" --format csv >"$t/mix.csv" 2>"$t/err"
check "report csv: ring_agents section" grep -q "^# ring_agents" "$t/mix.csv"
check "report csv: ring_hours section" sh -c "grep -q '^# ring_hours' '$t/mix.csv' &&
    grep -q '^hour,calls,missed,answered_by_machine,missed_per_day' '$t/mix.csv' &&
    grep -q '^agent,rings,.*,calls_transferred\$' '$t/mix.csv'"
"$CALLTAP" report --db "$t/mix.db" >"$t/mix.txt" 2>"$t/err"
check "report text: agents' rings table" grep -q "^Agents' rings" "$t/mix.txt"
check "report text: missed calls by hour" grep -q "^Missed calls by hour of day" "$t/mix.txt"
"$CALLTAP" report --db "$t/mix.db" --format html >"$t/mix.html" 2>"$t/err"
check "report html: agents' rings table" grep -q "Agents&#39; rings\|Agents' rings" "$t/mix.html"
check "report html: missed calls by hour chart" sh -c "grep -q 'Missed calls by hour of day (UTC)' '$t/mix.html' &&
    grep -q '<th>calls_transferred</th>' '$t/mix.html'"

# Media-only shapes (gen-calls --pbx-kinds; the legs' caller ID withheld or
# the company's, no header, no Diversion), each compared with its truth by
# scripts/compare-truth (rings, answered_by, agent, parent_call_id) and by
# tests/legs.py (every record there):
#  - bridged RTP (rule 6): the PBX relays the media, new trunk calls every
#    0.5-3 s (several open when each leg starts), SSRC passed through or not,
#    or an IVR first;
#  - re-INVITE transfers (third-party call control): the trunk re-INVITEd to
#    agent B's endpoint, B called before or 3-6 s after A hung up;
#  - direct media, phones that rang and did not answer: one offer forked to a
#    ring group, or the PBX's trunk endpoint offered to hunted phones.
more() { # name kinds seed calls
	"$srcdir/scripts/gen-calls" --pbx -q --pbx-kinds "$2" --seed "$3" --calls "$4" \
	    -o "$t/$1.pcap" --truth "$t/$1.truth" >"$t/err" 2>&1 &&
	    "$CALLTAP" -r "$t/$1.pcap" --home 203.0.113.0/24 --country-code 380 \
	    --json "$t/$1.jsonl" --stats >"$t/$1.stats" 2>&1
	check "$1: compare-truth" sh -c "'$srcdir/scripts/compare-truth' \
	    --fields answered_by,agent,rings,parent_call_id '$t/$1.truth' '$t/$1.jsonl' >'$t/err'"
	check "$1: every record as in the truth" sh -c "python3 '$srcdir/tests/legs.py' \
	    '$t/$1.truth' '$t/$1.jsonl' >'$t/err'"
}
more bridged bridged,bridged_ssrc 11 24
check "bridged: every leg by its RTP, concurrent trunk calls, SSRC first" python3 -c '
import json, re, sys
from datetime import datetime
tr = [json.loads(l) for l in open(sys.argv[1])]
st = open(sys.argv[3]).read()
rec = {json.loads(l)["call_id"]: json.loads(l) for l in open(sys.argv[2])}
def n(k):     # --stats leaves out the zero counters
    m = re.search(r"^ +%s +(\d+)$" % k, st, re.M)
    return int(m.group(1)) if m else 0
def ts(x):
    return datetime.fromisoformat(x.replace("Z", "+00:00")).timestamp()
kind = {r["call_id"]: r.get("kind") for r in tr}
legs = [r for r in tr if r.get("parent_call_id")]
ssrc = sum(1 for r in legs if kind[r["parent_call_id"]] == "bridged_ssrc")
assert len(legs) == 24 and n("legs_by_bridge") == 24 and n("legs_linked") == 24, st
assert 3 <= ssrc < 24 and n("legs_by_bridge_ssrc") == ssrc, (ssrc, st)
assert n("legs_bridge_ambiguous") == 0
trunks = [r for r in rec.values() if r["parent_call_id"] is None]
busy = sum(1 for g in legs if sum(1 for x in trunks if ts(x["start_time"]) <=
           ts(rec[g["call_id"]]["start_time"]) <= ts(x["end_time"])) >= 2)
assert busy >= 20, busy
' "$t/bridged.truth" "$t/bridged.jsonl" "$t/bridged.stats"
# An IVR before the bridge (bridged_ivr, own SSRC): the streams only end
# together, the leg stays unlinked and the trunk call is no IVR answer.
more bridged_ivr bridged,bridged_ivr 5 20
more reinvite reinvite_transfer 12 16
check "reinvite: every old agent's ring transferred to the new agent" python3 -c '
import json, sys
tr = [json.loads(l) for l in open(sys.argv[1])]
t = [r for r in tr if r.get("kind") == "reinvite_transfer"]
assert len(t) == 16 and all(r["rings"][0]["transferred_to"] == r["agent"] ==
                            r["rings"][1]["agent"] for r in t), t
' "$t/reinvite.truth"
more direct direct_group,direct_hunt 13 16
check "direct: the rings that did not answer linked by the offer" python3 -c '
import json, re, sys
tr = [json.loads(l) for l in open(sys.argv[1])]
st = open(sys.argv[2]).read()
want = sum(len(r["rings"]) - 1 for r in tr if r.get("kind") == "direct_group")
got = int(re.search(r"^ +legs_by_offer +(\d+)$", st, re.M).group(1))
miss = sum(1 for r in tr for g in r.get("rings", []) if g["outcome"] != "answered")
assert want >= 6 and got == want and miss > want, (want, got, miss)
' "$t/direct.truth" "$t/direct.stats"

# Every kind at once (the media-only ones among the others).
more all all 4 120

echo "legs: $pass passed, $fail failed"
[ $fail -eq 0 ]
