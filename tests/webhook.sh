#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Webhook sink against a small HTTP server on 127.0.0.1 (python3
# http.server, random free port) that records every body it accepts and can
# be told to answer the next N requests with a given status, or to answer
# slowly: every record arrives exactly once and equal to its --json line;
# 503s are retried from the spool; with no server the records land in the
# spool of that URL (exit status 3, counted): a run with another URL sends
# none of them, the next run with the same URL sends them first; kill -9
# while the server is slow loses nothing (the spool is write-ahead) and the
# restart delivers every record (duplicates counted); credentials in the URL
# are never printed; a 400 is kept in a rejected file and reported.
# CRM features: call_start and call_end events in order for every call,
# custom headers, the bearer token (file or environment, never printed),
# the X-Calltap-Signature HMAC checked independently with python's hmac
# module, the payload fields (missed, caller_number, first_call, source,
# campaign, recording_url), and refused options (CR/LF in a header).
# The server keeps every request whole in "raw" (JSON lines with the
# headers) and, in "bodies", each call_end body cut back to the record's
# --json line (the event fields the webhook appends are removed).
# Loopback only.  Prints "webhook: N passed, N failed".
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "webhook: python3 missing"; exit 77; }
if ! "$CALLTAP" --help 2>&1 | grep -q -- '--webhook'; then
	echo "webhook: calltap built without libcurl"; exit 77
fi

t=$(mktemp -d) || exit 1
server_pid=
server2_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	[ -n "$server2_pid" ] && kill "$server2_pid" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

cat >"$t/server.py" <<'EOF'
# server.py DIR [PORT]: records accepted bodies (one per line) in
# DIR/bodies; DIR/fail holds "STATUS COUNT": answer the next COUNT requests
# with STATUS; DIR/slow holds seconds to wait before answering; DIR/cut holds
# COUNT: the next COUNT requests get a 200 cut inside its headers (the
# connection closes after "HTTP/1.1 200 OK\r\nContent-Le"), body not kept.
import http.server, json, os, re, sys, time
d = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            time.sleep(float(open(os.path.join(d, "slow")).read()))
        except (OSError, ValueError):
            pass
        with open(os.path.join(d, "requests"), "ab") as f:
            f.write(body + b"\n")
        try:
            n = int(open(os.path.join(d, "cut")).read())
        except (OSError, ValueError):
            n = 0
        if n > 0:
            open(os.path.join(d, "cut"), "w").write("%d" % (n - 1))
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Le")
            self.wfile.flush()
            self.close_connection = True
            return
        with open(os.path.join(d, "raw"), "a") as f:
            f.write(json.dumps({"path": self.path, "headers": dict(self.headers),
                                "body": body.decode("latin-1")}) + "\n")
        status = 200
        try:
            code, n = open(os.path.join(d, "fail")).read().split()
            if int(n) > 0:
                status = int(code)
                open(os.path.join(d, "fail"), "w").write("%s %d" % (code, int(n) - 1))
        except (OSError, ValueError):
            pass
        if status == 200:
            if self.headers.get("Content-Type") != "application/json":
                status = 415
            elif not body.startswith(b'{"event":"call_start"'):
                with open(os.path.join(d, "bodies"), "ab") as f:
                    f.write(re.sub(rb',"event":"call_end",.*\}$', b'}', body) + b"\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", int(sys.argv[2]) if len(sys.argv) > 2 else 0), H)
open(os.path.join(d, "port.tmp"), "w").write(str(s.server_port))
os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
s.serve_forever()
EOF
python3 "$t/server.py" "$t" &
server_pid=$!
i=0
while [ ! -f "$t/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -f "$t/port" ] || { echo "webhook: test server did not start"; exit 99; }
url="http://127.0.0.1:$(cat "$t/port")/calls"
# A port nothing listens on: bound, then released.
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

check() { # name expected actual
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (want '$2', got '$3')"; fi
}
reset() { rm -f "$t/bodies" "$t/requests" "$t/fail" "$t/raw" "$t/cut"; : >"$t/bodies"; : >"$t/requests"; : >"$t/raw"; }
# records in a spool directory not yet delivered: frames of the segments
# (one line each; segments are deleted once everything is delivered)
pending() { cat "$1"/*/seg-*.log 2>/dev/null | wc -l; }
same_lines() { # file file: equal as multisets
	sort "$1" >"$t/s1"; sort "$2" >"$t/s2"; cmp -s "$t/s1" "$t/s2"
}

# ---- every record arrives once, equal to its JSON line -------------------
reset
"$CALLTAP" -r "$srcdir/pcaps" --json "$t/a.json" --webhook "$url" --spool "$t/sp1" 2>"$t/err"
check "delivery: exit status, stderr" "0 0" "$? $(grep -v "^calltap: warning: " "$t/err" | wc -c)"
n=$(wc -l <"$t/a.json")
[ "$n" -gt 0 ] || bad "no calls in the bundled captures"
if cmp -s "$t/a.json" "$t/bodies"; then ok "delivery: $n bodies equal the JSON lines, in order"; else bad "delivery: bodies differ from the JSON lines"; fi
check "delivery: spool empty" 0 "$(pending "$t/sp1")"

# ---- the first 3 requests get 503: retried from the spool, once each -----
reset
echo "503 3" >"$t/fail"
"$CALLTAP" -r "$srcdir/pcaps" --json /dev/null --webhook "$url" --spool "$t/sp2" 2>"$t/err"
st=$?
if [ $st -eq 0 ] && same_lines "$t/a.json" "$t/bodies"; then ok "503 x3: every record delivered exactly once"; else bad "503 x3: status $st, $(wc -l <"$t/bodies") bodies"; fi
check "503 x3: requests = records + 3" $((n + 3)) "$(wc -l <"$t/requests")"
check "503 x3: spool empty" 0 "$(pending "$t/sp2")"
if grep -q "HTTP status 503; spooling" "$t/err"; then ok "503 x3: reported once"; else bad "503 x3: no message"; fi

# ---- a 200 cut inside its headers is no answer: sent again ---------------
reset
echo 3 >"$t/cut"
"$CALLTAP" -r "$srcdir/pcaps" --json /dev/null --webhook "$url" --spool "$t/sp2c" 2>"$t/err"
st=$?
if [ $st -eq 0 ] && same_lines "$t/a.json" "$t/bodies"; then ok "cut 200 x3: every record delivered"; else bad "cut 200 x3: status $st, $(wc -l <"$t/bodies") bodies"; fi
check "cut 200 x3: requests = records + 3" $((n + 3)) "$(wc -l <"$t/requests")"
if grep -q "ended inside its headers" "$t/err"; then ok "cut 200 x3: reported"; else bad "cut 200 x3: no message"; fi

# ---- no server: the records wait in the spool, the next run sends them ---
reset
"$CALLTAP" -r "$srcdir/pcaps" --json "$t/c.json" --webhook "http://127.0.0.1:$dead/x" --spool "$t/sp3" 2>"$t/err"
st=$?
check "server down: exit status" 3 $st
check "server down: --json complete" "$n" "$(wc -l <"$t/c.json")"
check "server down: all records spooled" "$n" "$(pending "$t/sp3")"
if grep -q "$n record(s) not delivered" "$t/err" && grep -q "127.0.0.1:$dead" "$t/err"; then ok "server down: counted, URL named"; else bad "server down: message"; fi
one=$srcdir/pcaps/MichalCab-sip.pcap
# another URL: none of the records spooled for the dead one
"$CALLTAP" -r "$one" --json "$t/d.json" --webhook "$url" --spool "$t/sp3" 2>"$t/err"
st=$?
m=$(wc -l <"$t/d.json")
check "other URL: exit status" 0 $st
if cmp -s "$t/d.json" "$t/bodies"; then ok "other URL: its $m records only, none of the $n spooled for another URL"; else bad "other URL: bodies ($(wc -l <"$t/bodies")) differ"; fi
check "other URL: the dead URL's spool is untouched" "$n" "$(pending "$t/sp3")"
# the same URL, once a server listens there: the spool first, then the new records
mkdir "$t/srv2"
python3 "$t/server.py" "$t/srv2" "$dead" 2>"$t/srv2.err" &
server2_pid=$!
i=0
while [ ! -f "$t/srv2/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
"$CALLTAP" -r "$one" --json "$t/d2.json" --webhook "http://127.0.0.1:$dead/x" --spool "$t/sp3" 2>"$t/err"
st=$?
cat "$t/c.json" "$t/d2.json" >"$t/cd.json"
[ -f "$t/srv2/port" ] || { echo "second server did not start:"; cat "$t/srv2.err"; }
check "next run, same URL: exit status" 0 $st
if cmp -s "$t/cd.json" "$t/srv2/bodies"; then ok "next run, same URL: $n spooled records first, then $m new, each once"; else bad "next run: bodies ($(wc -l <"$t/srv2/bodies" 2>/dev/null)) differ"; fi
check "next run: spool empty" 0 "$(pending "$t/sp3")"
kill "$server2_pid" 2>/dev/null
wait "$server2_pid" 2>/dev/null
server2_pid=

# ---- credentials in the URL are never printed -----------------------------
"$CALLTAP" -r "$one" --json /dev/null --webhook "http://crm:sekrit42@127.0.0.1:$dead/x?token=tok98765" \
    --spool "$t/sp7" 2>"$t/err"
st=$?
if [ $st -eq 3 ] && grep -q "http://crm:\*\*\*@127.0.0.1:$dead/x?token=\*\*\*" "$t/err" &&
    ! grep -q -e sekrit42 -e tok98765 "$t/err" && ! grep -rq -e sekrit42 -e tok98765 "$t"/sp7/*/target; then
	ok "credentials masked in messages and in the spool's target file"
else
	bad "credentials shown (status $st)"
fi
"$CALLTAP" -r "$one" --json /dev/null --webhook "ftp://u:sekrit42@127.0.0.1/x" --spool "$t/sp7" 2>"$t/err"
if grep -q "invalid webhook URL 'ftp://u:\*\*\*@127.0.0.1/x'" "$t/err" && ! grep -q sekrit42 "$t/err"; then
	ok "bad URL: refused with the password masked"
else
	bad "bad URL message"
fi

# ---- kill -9 while the server is slow: the write-ahead spool keeps all ----
# 300 generated calls, fed at once and the pipe held open; the server takes
# 1.5 s per request, so nearly every record waits when calltap is killed.
if [ -x "$srcdir/scripts/gen-calls" ] &&
    "$srcdir/scripts/gen-calls" -o "$t/g.pcap" --truth "$t/g.truth" --calls 300 --no-rtp \
    --seed 4 >/dev/null 2>&1; then
	reset
	echo 1.5 >"$t/slow"
	{ cat "$t/g.pcap"; sleep 8; } |
	    "$CALLTAP" -r - --json "$t/k1.json" --webhook "$url/k" --spool "$t/sp8" 2>"$t/err" &
	cpid=$!
	sleep 4
	kill -9 "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
	rm -f "$t/slow"
	nk=$(wc -l <"$t/k1.json")
	before=$(wc -l <"$t/bodies")
	inspool=$(pending "$t/sp8")
	echo "     kill -9: $nk records written, $before delivered before the kill, $inspool frames in the spool"
	[ "$nk" -gt 100 ] || bad "kill -9: only $nk records before the kill"
	"$CALLTAP" -r "$one" --json "$t/k2.json" --webhook "$url/k" --spool "$t/sp8" 2>"$t/err"
	check "restart after kill -9: exit status" 0 $?
	cat "$t/k1.json" "$t/k2.json" | sort -u >"$t/kall"
	sort -u "$t/bodies" >"$t/kgot"
	if cmp -s "$t/kall" "$t/kgot"; then ok "restart after kill -9: every record delivered ($nk + $(wc -l <"$t/k2.json"))"; else bad "restart after kill -9: $(comm -23 "$t/kall" "$t/kgot" | wc -l) record(s) missing"; fi
	dups=$(($(wc -l <"$t/bodies") - $(wc -l <"$t/kgot")))
	echo "     kill -9: $dups duplicate deliveries"
	[ "$dups" -le 1 ] && ok "kill -9: at most one record delivered twice ($dups)" || bad "kill -9: $dups duplicates"
	check "restart after kill -9: spool empty" 0 "$(pending "$t/sp8")"
else
	bad "cannot generate calls (scripts/gen-calls)"
fi

# ---- SIGHUP mid-run: the webhook output is flushed, not reopened ---------
# A two-phase capture through a pipe (tests/sighup.py): SIGHUP once the
# first phase's records are out, then the second phase.  Was: "invalid
# webhook URL '>>http://...'", exit 3.
reset
rm -f "$t/ready" "$t/go"
mkfifo "$t/hfifo"
python3 "$srcdir/tests/sighup.py" pipe "$t/ready" "$t/go" >"$t/hfifo" &
"$CALLTAP" -r - --json "$t/h.json" --webhook "$url" --spool "$t/sp9" <"$t/hfifo" 2>"$t/err" &
hpid=$!
i=0
while [ "$(wc -l <"$t/bodies")" -lt 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "SIGHUP: the first phase delivered before it" 3 "$(wc -l <"$t/bodies")"
kill -HUP "$hpid"
sleep 0.3
touch "$t/go"
wait "$hpid"
check "SIGHUP: exit status, stderr" "0 0" "$? $(grep -v "^calltap: warning: " "$t/err" | wc -c)"
if [ "$(wc -l <"$t/h.json")" -eq 6 ] && cmp -s "$t/h.json" "$t/bodies"; then ok "SIGHUP: every record (3 before, 3 after) delivered once"; else bad "SIGHUP: bodies differ"; fi

# ---- -Z USER: the spool is handed to USER, records are spooled, not lost --
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	mkdir "$t/spz" "$t/zin"
	chmod 755 "$t"
	# The captures are read after the switch: copies nobody can reach, wherever the checkout is.
	cp "$srcdir"/pcaps/*.pcap "$srcdir"/pcaps/*.pcapng "$t/zin/" && chmod -R a+rX "$t/zin"
	"$CALLTAP" -r "$t/zin" --json /dev/null --webhook "http://127.0.0.1:$dead/z" --spool "$t/spz" \
	    -Z nobody 2>"$t/err"
	st=$?
	if [ $st -eq 3 ] && grep -q "$n record(s) not delivered" "$t/err" && ! grep -q LOST "$t/err" &&
	    [ "$(pending "$t/spz")" -eq "$n" ]; then
		ok "-Z nobody: all $n records in the spool"
	else
		bad "-Z nobody: status $st, $(pending "$t/spz") spooled"
	fi
fi

# ---- a 400 is not retried: kept in a rejected file and reported ----------
reset
echo "400 2" >"$t/fail"
"$CALLTAP" -r "$srcdir/pcaps" --json /dev/null --webhook "$url" --spool "$t/sp4" 2>"$t/err"
st=$?
check "400: exit status" 3 $st
cat "$t"/sp4/*/rejected-*.jsonl 2>/dev/null | sed 's/,"event":"call_end",.*}$/}/' >"$t/rej"
head -n 2 "$t/a.json" >"$t/first2"
if cmp -s "$t/first2" "$t/rej"; then ok "400: the 2 rejected records are in rejected-*.jsonl"; else bad "400: rejected files"; fi
tail -n +3 "$t/a.json" >"$t/rest"
if cmp -s "$t/rest" "$t/bodies"; then ok "400: the others delivered, not the rejected"; else bad "400: bodies"; fi
check "400: requests = records (no retry)" "$n" "$(wc -l <"$t/requests")"
if grep -q "2 record(s) rejected (first: HTTP status 400)" "$t/err"; then ok "400: reported with a count"; else bad "400: message"; fi

# ---- bad URL, busy spool --------------------------------------------------
"$CALLTAP" -r "$one" --json /dev/null --webhook "ftp://127.0.0.1/x" --spool "$t/sp5" 2>"$t/err"
st=$?
if [ $st -eq 3 ] && grep -q "invalid webhook URL 'ftp://127.0.0.1/x'" "$t/err"; then ok "bad URL refused"; else bad "bad URL: status $st"; fi
# ---- a second calltap on the same URL and spool takes the next slot ------
"$CALLTAP" -r "$one" --json /dev/null --webhook "$url" --spool "$t/sp6" 2>"$t/err"
python3 -c 'import fcntl, glob, sys, time; f = open(glob.glob(sys.argv[1] + "/webhook-*/.lock")[0], "w"); fcntl.flock(f, fcntl.LOCK_EX); sys.stdout.write("x\n"); sys.stdout.flush(); time.sleep(30)' "$t/sp6" >"$t/locked" &
lock_pid=$!
i=0
while [ ! -s "$t/locked" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
reset
"$CALLTAP" -r "$one" --json "$t/d6.json" --webhook "$url" --spool "$t/sp6" 2>"$t/err"
st=$?
kill "$lock_pid" 2>/dev/null
wait "$lock_pid" 2>/dev/null
if [ $st -eq 0 ] && [ -d "$(echo "$t"/sp6/webhook-*.1)" ] && cmp -s "$t/d6.json" "$t/bodies"; then
	ok "busy spool slot: the next slot is used, records delivered"
else
	bad "busy spool slot: status $st"
fi
# ---- records a calltap left in the second slot: the next run adopts them ---
python3 -c 'import fcntl, glob, os, sys, time; f = open([p for p in glob.glob(sys.argv[1] + "/webhook-*/.lock") if "." not in os.path.basename(os.path.dirname(p))][0], "w"); fcntl.flock(f, fcntl.LOCK_EX); sys.stdout.write("x\n"); sys.stdout.flush(); time.sleep(30)' "$t/sp6" >"$t/locked2" &
lock_pid=$!
i=0
while [ ! -s "$t/locked2" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
reset
echo "503 100000" >"$t/fail"
"$CALLTAP" -r "$one" --json "$t/d7.json" --webhook "$url" --spool "$t/sp6" 2>"$t/err"
st=$?
kill "$lock_pid" 2>/dev/null
wait "$lock_pid" 2>/dev/null
left=$(cat "$t"/sp6/webhook-*.1/seg-*.log 2>/dev/null | wc -l)
check "second slot left: exit status, records left there" "3 $(wc -l <"$t/d7.json")" "$st $left"
reset
"$CALLTAP" -r "$one" --json "$t/d8.json" --webhook "$url" --spool "$t/sp6" 2>"$t/err"
st=$?
cat "$t/d7.json" "$t/d8.json" >"$t/d78.json"
if [ $st -eq 0 ] && same_lines "$t/d78.json" "$t/bodies" && grep -q "were moved to" "$t/err" &&
    [ "$(cat "$t"/sp6/*/seg-*.log 2>/dev/null | wc -l)" -eq 0 ]; then
	ok "second slot adopted: its $left records and $(wc -l <"$t/d8.json") new delivered once, both slots empty"
else
	bad "second slot adopted: status $st, $(wc -l <"$t/bodies") bodies, $(cat "$t/err")"
fi

# ---- CRM: call_start + call_end, headers, token, signature, payload ------
# Generated trunk traffic (inbound to the PBX 203.0.113.10 and outbound),
# tracking numbers for the PBX's +1415555.... numbers.
crm_check() { # raw-file json-file token key: verifies every request, prints failures
	python3 - "$@" <<'PYEOF'
import hashlib, hmac, json, re, sys, time
raw, jsonf, token, key = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].encode()
recs = {}
for line in open(jsonf):
    r = json.loads(line)
    recs[r["call_id"]] = (line.rstrip("\n"), r)
events, bad = {}, []
def fail(msg):
    if len(bad) < 10:
        bad.append(msg)
def digits(s):
    return re.sub(r"\D", "", s or "")
now = time.time()
n = 0
for line in open(raw):
    q = json.loads(line)
    n += 1
    h, body = q["headers"], q["body"].encode("latin-1")
    if h.get("Authorization") != "Bearer " + token:
        fail("Authorization header: %r" % h.get("Authorization"))
    if h.get("X-Tenant") != "acme" or h.get("X-Trace") != "a b;c=d":
        fail("custom headers: %r %r" % (h.get("X-Tenant"), h.get("X-Trace")))
    m = re.fullmatch(r"t=(\d+),sha256=([0-9a-f]{64})", h.get("X-Calltap-Signature", ""))
    if not m:
        fail("signature header: %r" % h.get("X-Calltap-Signature"))
        continue
    mac = hmac.new(key, m.group(1).encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mac, m.group(2)):
        fail("signature does not verify")
    if abs(int(m.group(1)) - now) > 600:
        fail("signature time %s far from now" % m.group(1))
    ev = json.loads(body)
    ev["_body"] = body.decode("utf-8")
    events.setdefault(ev["call_id"], []).append(ev)
for cid, (line, r) in recs.items():
    evs = events.get(cid, [])
    kinds = [e["event"] for e in evs]
    if kinds != ["call_start", "call_end"]:
        fail("%s: events %s" % (cid, kinds))
        continue
    st, end = evs
    # the end event is the --json line plus the event fields, in this order
    if re.sub(r',"event":"call_end",.*\}$', "}", end.pop("_body")) != line:
        fail("%s: call_end body is not the JSON line + event fields: %s" % (cid, line[:60]))
    st.pop("_body")
    extra = [k for k in end if k not in r]
    if extra != ["event", "missed", "recording_url"]:   # caller_number etc. are in the record
        fail("%s: extra fields %s" % (cid, extra))
    missed = r["direction"] == "inbound" and r["disposition"] in ("busy", "noanswer", "cancelled")
    if end["missed"] is not missed:
        fail("%s: missed %r, want %r (%s %s)" % (cid, end["missed"], missed, r["direction"], r["disposition"]))
    for k in ("first_call", "source", "campaign", "recording"):
        if end[k] != r[k]:
            fail("%s: %s %r != %r" % (cid, k, end[k], r[k]))
    if end["recording_url"] is not None:
        fail("%s: recording_url without a prefix" % cid)
    for k in ("caller_number", "callee_number"):
        wire = r[k.split("_")[0]]
        if digits(wire) and (not end[k] or digits(end[k])[-10:] != digits(wire)[-10:]):
            fail("%s: %s %r for %r" % (cid, k, end[k], wire))
        if st[k] != end[k]:
            fail("%s: %s differs between start and end" % (cid, k))
    for k in ("start_time", "caller", "callee", "source", "campaign", "sensor", "direction", "src_ip", "dst_ip",
              "session_id", "visitor_id", "utm_source", "utm_campaign", "click_id"):
        if st[k] != r[k]:
            fail("%s: call_start %s %r != record %r" % (cid, k, st[k], r[k]))
    if "disposition" in st or "end_time" in st:
        fail("%s: call_start carries end fields" % cid)
if n != 2 * len(recs):
    fail("%d requests for %d calls" % (n, len(recs)))
srcs = sum(1 for _, r in recs.values() if r["source"] is not None)
sess = sum(1 for cid in recs for e in events.get(cid, []) if e["event"] == "call_start" and e.get("session_id"))
miss = sum(1 for cid in recs for e in events.get(cid, []) if e["event"] == "call_end" and e["missed"])
print("CHECKED %d calls, %d with a source, %d with a lease session, %d missed" % (len(recs), srcs, sess, miss))
for b in bad:
    print("BAD " + b)
PYEOF
}
if [ -x "$srcdir/scripts/gen-calls" ] &&
    "$srcdir/scripts/gen-calls" -o "$t/crm.pcap" --truth "$t/crm.truth" --calls 60 --no-rtp \
    --seed 11 >/dev/null 2>&1; then
	reset
	tok="tok-$$-Zq81"
	printf '%s\n' "$tok" >"$t/token"
	printf '  k3y-%s-secret  \n' "$$" >"$t/key"          # blanks around it are trimmed
	key="k3y-$$-secret"
	python3 -c '
import json, sys
nums = sorted({json.loads(l)["callee"] for l in open(sys.argv[1]) if json.loads(l)["callee"].startswith("+1415555")})
print("number,source,campaign")
for i, n in enumerate(nums):
    print("%s,%s,camp%d" % (n, "google" if i % 2 else "radio", i % 3))
with open(sys.argv[2], "w") as f:   # a lease around every other call to a pool number
    f.write("number,session_id,visitor_id,utm_source,utm_campaign,click_id,leased_from,leased_until\n")
    for i, c in enumerate(json.loads(l) for l in open(sys.argv[1])):
        if c["callee"] in nums and i % 2:
            t = c["start_time"][:19]
            f.write("%s,S-%d,V-%d,lease-src,,ck%d,%sZ,\n" % (c["callee"], i, i, i, t))
' "$t/crm.truth" "$t/crm-leases.csv" >"$t/crm-numbers.csv"
	"$CALLTAP" -r "$t/crm.pcap" --json "$t/crm.json" --webhook "$url/crm" --spool "$t/spc" \
	    --webhook-events start,end --webhook-header 'X-Tenant: acme' --webhook-header 'X-Trace:a b;c=d' \
	    --webhook-token-file "$t/token" --webhook-secret-file "$t/key" \
	    --numbers "$t/crm-numbers.csv" --leases "$t/crm-leases.csv" --home 203.0.113.10/32 \
	    --country-code 1 2>"$t/err"
	check "crm: exit status" 0 $?
	crm_check "$t/raw" "$t/crm.json" "$tok" "$key" >"$t/crm.out"
	if grep -q '^CHECKED' "$t/crm.out" && ! grep -q '^BAD' "$t/crm.out"; then
		ok "crm: $(sed -n 's/^CHECKED //p' "$t/crm.out"): start then end per call, headers, token, signatures verified with python hmac, payload fields"
	else
		bad "crm: $(head -n 5 "$t/crm.out" | tr '\n' ';')"
	fi
	if grep -q -e ', 0 with a source' -e ', 0 with a lease' -e ', 0 missed' "$t/crm.out"; then
		bad "crm: the capture has no attributed or no missed call: the payload test is empty"
	fi
	if ! grep -rq -e "$tok" -e "$key" "$t/err" "$t/spc"; then ok "crm: token and secret not in messages or the spool"; else bad "crm: a secret leaked"; fi
	# the token from the environment, only the end event by default
	reset
	CALLTAP_WEBHOOK_TOKEN="env-$tok" "$CALLTAP" -r "$one" --json "$t/e.json" --webhook "$url/env" --spool "$t/spe" 2>"$t/err"
	st=$?
	if [ $st -eq 0 ] && python3 -c '
import json, sys
q = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(not (q and all(r["headers"].get("Authorization") == "Bearer " + sys.argv[2] and
    "X-Calltap-Signature" not in r["headers"] and r["body"].startswith("{\"call_id\"") for r in q)))
' "$t/raw" "env-$tok" && cmp -s "$t/e.json" "$t/bodies"; then
		ok "crm: bearer token from CALLTAP_WEBHOOK_TOKEN; default events: call_end only, unsigned"
	else
		bad "crm: environment token (status $st)"
	fi
	# server down: the messages never show the token
	CALLTAP_WEBHOOK_TOKEN="env-$tok" "$CALLTAP" -r "$one" --json /dev/null --webhook "http://127.0.0.1:$dead/t" \
	    --spool "$t/spd" --webhook-secret-file "$t/key" 2>"$t/err"
	if [ $? -eq 3 ] && ! grep -rq -e "$tok" -e "$key" "$t/err" "$t/spd"; then ok "crm: server down: no secret in messages or spool"; else bad "crm: server down: secret shown"; fi
else
	bad "cannot generate calls for the CRM test (scripts/gen-calls)"
fi

# ---- --recording-url-prefix: prefix + the file under --audio, escaped -----
if "$CALLTAP" --version | grep -q 'audio('; then
	reset
	"$CALLTAP" -r "$srcdir/pcaps" --json "$t/r.json" --audio "$t/rec dir" --webhook "$url/rec" --spool "$t/spr" \
	    --recording-url-prefix 'https://rec.example/calls' 2>"$t/err"
	st=$?
	python3 - "$t/raw" "$t/r.json" "$t/rec dir" >"$t/rec.out" <<'PYEOF'
import json, os, sys, urllib.parse
recs = {json.loads(l)["call_id"]: json.loads(l) for l in open(sys.argv[2])}
n = bad = 0
for l in open(sys.argv[1]):
    e = json.loads(json.loads(l)["body"])
    r = recs[e["call_id"]]
    if r["recording"] is None:
        bad += e["recording_url"] is not None
        continue
    n += 1
    rel = os.path.relpath(r["recording"], sys.argv[3])
    want = "https://rec.example/calls/" + urllib.parse.quote(rel, safe="/")
    if e["recording_url"] != want or not os.path.exists(r["recording"]):
        bad += 1
        print("BAD %r != %r" % (e["recording_url"], want))
print("RECORDINGS %d BAD %d" % (n, bad))
PYEOF
	if [ $st -eq 0 ] && grep -q '^RECORDINGS [1-9][0-9]* BAD 0$' "$t/rec.out"; then
		ok "recording_url: $(sed -n 's/^RECORDINGS \([0-9]*\).*/\1/p' "$t/rec.out") recordings, prefix + path under --audio, percent-encoded"
	else
		bad "recording_url: status $st; $(head -n 3 "$t/rec.out" | tr '\n' ';')"
	fi
fi

# ---- refused options: a usage error (exit 1) naming the option -----------
"$CALLTAP" -r "$one" --json /dev/null --webhook "$url" --spool "$t/spx" \
    --webhook-header "$(printf 'X-A: b\r\nX-Evil: 1')" 2>"$t/err"
if [ $? -eq 1 ] && grep -q "CR or LF is refused" "$t/err"; then ok "header with CR/LF refused"; else bad "header with CR/LF"; fi
"$CALLTAP" -r "$one" --json /dev/null --webhook "$url" --spool "$t/spx" --webhook-header 'Content-Type: text/plain' 2>"$t/err"
if [ $? -eq 1 ] && grep -q "calltap sets Content-Type itself" "$t/err"; then ok "own header refused"; else bad "own header"; fi
"$CALLTAP" -r "$one" --json /dev/null --webhook "$url" --spool "$t/spx" --webhook-header "$(printf 'X-Key: s3cr3tvalue\001')" 2>"$t/err"
if [ $? -eq 1 ] && grep -q "header X-Key has a control character" "$t/err" && ! grep -q s3cr3tvalue "$t/err"; then ok "control character in a header refused, value not shown"; else bad "control character in a header"; fi
"$CALLTAP" -r "$one" --json /dev/null --webhook "$url" --spool "$t/spx" --webhook-events start,middle 2>"$t/err"
if [ $? -eq 1 ] && grep -q "'middle' is not an event" "$t/err"; then ok "unknown event refused"; else bad "unknown event"; fi
"$CALLTAP" -r "$one" --json /dev/null --webhook-events start 2>"$t/err"
if [ $? -eq 1 ] && grep -q "need --webhook" "$t/err"; then ok "webhook options without --webhook refused"; else bad "webhook options without --webhook"; fi
: >"$t/empty"
"$CALLTAP" -r "$one" --json /dev/null --webhook "$url" --spool "$t/spx" --webhook-secret-file "$t/empty" 2>"$t/err"
if [ $? -eq 1 ] && grep -q "holds no secret" "$t/err"; then ok "empty secret file refused"; else bad "empty secret file"; fi
"$CALLTAP" -r "$one" --json /dev/null --webhook "$url" --spool "$t/spx" --webhook-token-file "$t/token" \
    --webhook-header "Authorization: Basic $tok" 2>"$t/err"
if [ $? -eq 1 ] && grep -q "exclude each other" "$t/err" && ! grep -q "$tok" "$t/err"; then ok "Authorization header and token refused together, value not shown"; else bad "Authorization + token"; fi

echo "webhook: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
