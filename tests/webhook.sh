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
# with STATUS; DIR/slow holds seconds to wait before answering.
import http.server, os, sys, time
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
            else:
                with open(os.path.join(d, "bodies"), "ab") as f:
                    f.write(body + b"\n")
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
reset() { rm -f "$t/bodies" "$t/requests" "$t/fail"; : >"$t/bodies"; : >"$t/requests"; }
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
cat "$t"/sp4/*/rejected-*.jsonl >"$t/rej" 2>/dev/null
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

echo "webhook: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
