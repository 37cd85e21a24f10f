#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Webhook sink against a small HTTP server on 127.0.0.1 (python3
# http.server, random free port) that records every body it accepts and can
# be told to answer the next N requests with a given status: every record
# arrives exactly once and equal to its --json line; 503s are retried from
# the spool; with no server the records land in the spool (exit status 3,
# counted) and the next run sends them first; a 400 is kept in a rejected
# file and reported.  Loopback only.  Prints "webhook: N passed, N failed".
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "webhook: python3 missing"; exit 77; }
if ! "$CALLTAP" --help 2>&1 | grep -q -- '--webhook'; then
	echo "webhook: calltap built without libcurl"; exit 77
fi

t=$(mktemp -d) || exit 1
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

cat >"$t/server.py" <<'EOF'
# Records accepted bodies (one per line) in DIR/bodies; DIR/fail holds
# "STATUS COUNT": answer the next COUNT requests with STATUS.
import http.server, os, sys
d = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
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
s = http.server.HTTPServer(("127.0.0.1", 0), H)
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
pending() { cat "$1"/pending-*.jsonl 2>/dev/null | wc -l; }
same_lines() { # file file: equal as multisets
	sort "$1" >"$t/s1"; sort "$2" >"$t/s2"; cmp -s "$t/s1" "$t/s2"
}

# ---- every record arrives once, equal to its JSON line -------------------
reset
"$CALLTAP" -r "$srcdir/pcaps" --json "$t/a.json" --webhook "$url" --spool "$t/sp1" 2>"$t/err"
check "delivery: exit status, stderr" "0 0" "$? $(wc -c <"$t/err")"
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
"$CALLTAP" -r "$one" --json "$t/d.json" --webhook "$url" --spool "$t/sp3" 2>"$t/err"
st=$?
m=$(wc -l <"$t/d.json")
cat "$t/c.json" "$t/d.json" >"$t/cd.json"
check "next run: exit status" 0 $st
if cmp -s "$t/cd.json" "$t/bodies"; then ok "next run: $n spooled records first, then $m new, each once"; else bad "next run: bodies ($(wc -l <"$t/bodies")) differ"; fi
check "next run: spool empty" 0 "$(pending "$t/sp3")"

# ---- a 400 is not retried: kept in a rejected file and reported ----------
reset
echo "400 2" >"$t/fail"
"$CALLTAP" -r "$srcdir/pcaps" --json /dev/null --webhook "$url" --spool "$t/sp4" 2>"$t/err"
st=$?
check "400: exit status" 3 $st
cat "$t"/sp4/rejected-*.jsonl >"$t/rej" 2>/dev/null
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
mkdir -p "$t/sp6"
python3 -c 'import fcntl, sys, time; f = open(sys.argv[1] + "/.lock", "w"); fcntl.flock(f, fcntl.LOCK_EX); sys.stdout.write("x\n"); sys.stdout.flush(); time.sleep(30)' "$t/sp6" >"$t/locked" &
lock_pid=$!
i=0
while [ ! -s "$t/locked" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
"$CALLTAP" -r "$one" --json /dev/null --webhook "$url" --spool "$t/sp6" 2>"$t/err"
st=$?
kill "$lock_pid" 2>/dev/null
wait "$lock_pid" 2>/dev/null
if [ $st -eq 3 ] && grep -q "is in use by another calltap" "$t/err"; then ok "busy spool directory refused"; else bad "busy spool: status $st"; fi

echo "webhook: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
