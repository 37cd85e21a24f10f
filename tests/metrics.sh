#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# --metrics: calltap reads captures from a pipe that stays open
# (tests/metrics-feed.py: several captures, then a frame five hours later
# so every call is written) with --metrics on a loopback port; a scrape
# must agree with the JSON records of the same run (calls by disposition,
# ASR, histogram counts and sums, records written per output, packets),
# carry HELP/TYPE and the sensor label, answer 404 elsewhere and 400 to an
# oversized request, answer scrapes at once while 60 idle or dripping
# clients are re-opened as fast as they are dropped (and when calltap is
# out of descriptors, without spinning), and pass `promtool check metrics` when promtool is
# installed.  A bad address is one clear error at start-up.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || { echo "metrics: skipped: no python3"; exit 77; }
t=$(mktemp -d) || exit 1
pid=
cleanup() {
	: >"$t/stop"
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: want '$2', got '$3'"; fi; }
P=$srcdir/pcaps

# Bad addresses: one line naming the option, exit status 3, before any input is read.
for a in 1.2.3 127.0.0.1:99999 '[::1]9105' 192.0.2.77:9105; do
	"$CALLTAP" -q -r "$P/sipp-busy.pcap" --json "$t/bad.json" --metrics "$a" 2>"$t/err"
	check "--metrics $a: refused at start-up" "3 1 1" \
	    "$? $(wc -l <"$t/err") $(grep -c -F -- "--metrics $a:" "$t/err")"
done

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 "$srcdir/tests/metrics-feed.py" "$t/stop" "$P/sipp-many.pcap" "$P/sipp-cancel.pcap" \
    "$P/sipp-answered-callee-bye.pcap" "$P/lundgrel-sip-rtp-g729a.pcap" \
    "$P/etakerim-whole-call.pcap" "$P/MichalCab-sip.pcap" "$P/etakerim-04-decline-call.pcap" \
    2>"$t/frames" |
    "$CALLTAP" -q -r - --json "$t/out.json" --sensor 'lab "1"' --metrics "127.0.0.1:$port" \
    2>"$t/err" &
pid=$!

# Scrapes until the JSON file is complete and the scrape counts every line of it (20 s at most).
scrape() {
	python3 - "$port" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % sys.argv[2]).encode())
d = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    d += b
sys.stdout.write(d.decode())
PY
}
i=0
while [ $i -lt 200 ]; do
	if scrape /metrics >"$t/scrape" 2>/dev/null && [ -s "$t/out.json" ] &&
	    grep -q '^calltap_calls_active{sensor="lab \\"1\\""} 0' "$t/scrape" &&
	    [ "$(grep -c . "$t/out.json")" = "$(sed -n 's/^calltap_records_written_total{.*output="json".*} //p' "$t/scrape")" ] &&
	    [ "$(grep -c . "$t/out.json")" = "$(awk '/^calltap_calls_total\{/ { n += $NF } END { print n + 0 }' "$t/scrape")" ] &&
	    grep -q '^calltap_packets_total{[^}]*} '"$(cat "$t/frames")"'$' "$t/scrape"; then
		break
	fi
	sleep 0.1
	i=$((i + 1))
done
check "the scrape caught up with the run (calls written, none open, every frame counted)" yes \
    "$([ $i -lt 200 ] && echo yes || echo no)"

python3 - "$t/scrape" "$t/out.json" >"$t/cmp" 2>&1 <<'PY'
import json, math, re, sys
text = open(sys.argv[1], newline="").read()
head, body = text.split("\r\n\r\n", 1)
recs = [json.loads(l) for l in open(sys.argv[2])]
errs = []
def want(what, a, b):
    if isinstance(a, float) or isinstance(b, float):
        same = abs(a - b) < 1e-6 * max(1, abs(a))
    else:
        same = a == b
    if not same:
        errs.append("%s: scrape %r, records %r" % (what, a, b))
if not head.startswith("HTTP/1.0 200 OK\r\n"):
    errs.append("status line: " + head.splitlines()[0])
if "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8" not in head:
    errs.append("content type: " + head)
if "Content-Length: %d\r\n" % len(body.encode()) not in head:
    errs.append("content length")
vals, typed, helped = {}, set(), set()
for line in body.splitlines():
    m = re.match(r'# (HELP|TYPE) (\S+) ', line)
    if m:
        (helped if m.group(1) == "HELP" else typed).add(m.group(2))
        continue
    m = re.match(r'([a-z_]+)\{(.*)\} (\S+)$', line)
    if not m:
        errs.append("bad line: " + line)
        continue
    labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2)))
    if labels.get("sensor") != 'lab \\"1\\"':
        errs.append("sensor label: " + line)
    base = re.sub(r'_(bucket|sum|count)$', '', m.group(1))
    if base not in typed or base not in helped:
        errs.append("no HELP/TYPE before " + line)
    key = (m.group(1),) + tuple(sorted((k, v) for k, v in labels.items() if k != "sensor"))
    vals[key] = float(m.group(3))
disp = {}
for r in recs:
    disp[r["disposition"]] = disp.get(r["disposition"], 0) + 1
for d in ("answered", "busy", "noanswer", "cancelled", "failed", "unfinished"):
    want("calls " + d, vals.get(("calltap_calls_total", ("disposition", d))), float(disp.get(d, 0)))
n = len(recs)
ans = disp.get("answered", 0)
want("asr", vals[("calltap_asr",)], ans / n)
want("ner", vals[("calltap_ner",)], (ans + disp.get("busy", 0) + disp.get("noanswer", 0) +
    sum(1 for r in recs if r["final_code"] == 603 and r["disposition"] != "busy")) / n)
talk = sum(r["talk_s"] or 0 for r in recs if r["disposition"] == "answered")
if abs(vals[("calltap_acd_seconds",)] - talk / ans) > 0.0005:   # talk_s has 3 decimals
    errs.append("acd: scrape %r, records %r" % (vals[("calltap_acd_seconds",)], talk / ans))
for name, field, scale in (("calltap_setup_seconds", "setup_ms", 1000.0),
                           ("calltap_answer_seconds", "answer_ms", 1000.0),
                           ("calltap_call_mos_min", "mos_min", 1.0),
                           ("calltap_call_loss_pct_max", "loss_pct_max", 1.0)):
    xs = [r[field] / scale for r in recs if r.get(field) is not None]
    want(name + " count", vals[(name + "_count",)], float(len(xs)))
    want(name + " +Inf bucket", vals[(name + "_bucket", ("le", "+Inf"))], float(len(xs)))
    want(name + " sum", round(vals[(name + "_sum",)], 2), round(sum(xs), 2))
    for (k, *lab), v in vals.items():
        if k == name + "_bucket" and lab[0][1] != "+Inf":
            want("%s le=%s" % (name, lab[0][1]), v, float(sum(1 for x in xs if x <= float(lab[0][1]) + 1e-9)))
ev = [v for (k, *lab), v in vals.items() if k == "calltap_calls_evicted_total"]
if len(ev) != 4:
    errs.append("calltap_calls_evicted_total: %d classes, want 4" % len(ev))
want("evicted", sum(ev), float(sum(1 for r in recs if r.get("evicted"))))
want("evicted for memory", vals.get(("calltap_calls_evicted_for_memory_total",)), 0.0)
want("refused", vals.get(("calltap_calls_refused_total",)), 0.0)
want("records failed (json)", vals[("calltap_records_failed_total", ("index", "0"), ("output", "json"))], 0.0)
print("\n".join(errs) if errs else "same")
print("calls %d, answered %d, with mos %d" % (n, ans, sum(1 for r in recs if r.get("mos_min") is not None)), file=sys.stderr)
PY
check "scrape agrees with the run's JSON records" same "$(head -1 "$t/cmp")"
[ "$(head -1 "$t/cmp")" = same ] || cat "$t/cmp"
check "the capture has answered calls with a MOS, busy, noanswer, cancelled and declined ones" 5 \
    "$(python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
print(sum((any(x.get("mos_min") for x in r), any(x["disposition"] == "busy" for x in r),
    any(x["disposition"] == "noanswer" for x in r), any(x["disposition"] == "cancelled" for x in r),
    any(x["final_code"] == 603 for x in r))))' "$t/out.json")"

if command -v promtool >/dev/null 2>&1; then
	sed '1,/^\r$/d' "$t/scrape" | promtool check metrics >"$t/err.prom" 2>&1
	check "promtool check metrics" "0" "$?"
else
	echo "skip promtool check metrics: promtool not installed (Debian package prometheus)"
fi

scrape /nothing >"$t/404" 2>/dev/null
check "another path: 404" "HTTP/1.0 404 Not Found" "$(head -1 "$t/404" | tr -d '\r')"
python3 - "$port" >"$t/400" 2>/dev/null <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
try:
    s.sendall(b"GET /metrics" + b"x" * 8192)
except OSError:
    pass
d = b""
while True:
    try:
        b = s.recv(65536)
    except OSError:
        break
    if not b:
        break
    d += b
sys.stdout.write(d.decode())
PY
check "an oversized request: 400" "HTTP/1.0 400 Bad Request" "$(head -1 "$t/400" | tr -d '\r')"

# Slowloris: 40 clients that connect and send nothing and 20 that drip a
# byte of a request that never ends, each re-opened as soon as it is
# dropped, must not starve a scrape: five scrapes are each answered within
# 2 s while the attack goes on (they were queued behind it for 5 s or more),
# and calltap holds a bounded number of descriptors meanwhile.
python3 - "$port" "$pid" >"$t/idle" 2>&1 <<'PY'
import os, select, socket, sys, threading, time
port, pid = int(sys.argv[1]), sys.argv[2]
stop = False
fds = []
def attack():
    socks = {}
    while not stop:
        while len(socks) < 60:
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            socks[s] = len(socks) % 3 == 0   # a third drip
        r, _, _ = select.select(list(socks), [], [], 0.05)
        for s in r:
            try:
                d = s.recv(4096)
            except OSError:
                d = b""
            if not d:
                s.close()
                del socks[s]
        for s, drip in socks.items():
            if drip:
                try:
                    s.send(b"X")
                except OSError:
                    pass
threading.Thread(target=attack, daemon=True).start()
time.sleep(1)
res = []
for _ in range(5):
    t0 = time.time()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
        d = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            d += b
        ok = d.startswith(b"HTTP/1.0 200 OK")
    except OSError as e:
        ok = False
    took = time.time() - t0
    if not ok or took > 2:
        res.append("%.1f s %s" % (took, ok))
    try:
        fds.append(len(os.listdir("/proc/%s/fd" % pid)))
    except OSError:
        pass
stop = True
print(" ".join(res) if res else "answered", "fds", max(fds) if fds else 0, file=sys.stderr)
print("answered" if not res and (not fds or max(fds) < 100) else "no: " + " ".join(res) + " fds %s" % fds)
PY
check "slowloris (60 clients re-opened): five scrapes each answered within 2 s" answered "$(tail -1 "$t/idle")"

: >"$t/stop"
wait "$pid"
rc=$?
pid=
check "calltap ends cleanly when the pipe closes" "0 0" "$rc $(grep -c . "$t/err")"

# Out of descriptors: a calltap with 24 (about 10 in use) and 30 clients
# that connect and send nothing.  accept fails with EMFILE while the
# listener stays readable: the server used to spin (0.8 s of CPU in 2 s)
# and a scrape waited for the idle clients' 5 s timeout; now it frees a
# descriptor (the longest-waiting client) or pauses the listener.
rm -f "$t/stop"
port2=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 "$srcdir/tests/metrics-feed.py" "$t/stop" "$P/sipp-busy.pcap" 2>/dev/null |
    (ulimit -n 24 && exec "$CALLTAP" -q -r - --json "$t/out2.json" --metrics "127.0.0.1:$port2") \
    2>"$t/err" &
pid=$!
python3 - "$port2" "$pid" >"$t/emfile" 2>&1 <<'PY'
import os, socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", port)).close()
        break
    except OSError:
        time.sleep(0.05)
def cpu():
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(30)]
time.sleep(0.5)
c0 = cpu()
time.sleep(2)
used = cpu() - c0
t0 = time.time()
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
    ok = s.recv(64).startswith(b"HTTP/1.0 200 OK")
except OSError:
    ok = False
took = time.time() - t0
print("cpu %.2f s, scrape %s in %.1f s" % (used, ok, took), file=sys.stderr)
print("ok" if used < 0.3 and ok and took < 2 else "no: cpu %.2f s, scrape %s in %.1f s" % (used, ok, took))
PY
check "out of descriptors: no spinning, a scrape answered within 2 s" ok "$(tail -1 "$t/emfile")"
: >"$t/stop"
wait "$pid"
pid=

echo "metrics: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
