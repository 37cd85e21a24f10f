#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Safety of the outputs: a SIGKILL during a slow replay loses at most the
# last second of finished calls in SQLite, JSON and CSV; outputs are private
# (0600, directories 0700; --umask changes it); as root, -Z USER hands the
# output directories over, fails at start on one USER cannot write, and
# runs with an empty capability bounding set and no_new_privs.
# Prints "output-safety: N passed, N failed".
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d) || exit 1
pid=
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$t"' EXIT
chmod 755 "$t"   # -Z nobody must reach the files below
command -v python3 >/dev/null 2>&1 || { echo "output-safety: skipped: no python3"; exit 77; }
answered=$srcdir/pcaps/sipp-answered-caller-bye.pcap

# ---- SIGKILL during a slow replay ----------------------------------------
# 80 calls over about 290 s of capture, fed through a pipe 40 times faster
# than real time (records come 32 s of capture, 0.8 s of wall time, after a
# call ends) for 3.5 s; then for 2 s either frames that finish no call (the
# capture clock stands still) or nothing at all (the pipe is idle), so only
# the 1 s wall-clock timer can commit the last records; then SIGKILL.
# Every record that reached the JSON file more than 1.5 s before the kill
# must be in the database and the CSV.
"$srcdir/scripts/gen-calls" -q -o "$t/slow.pcap" --truth "$t/slow.truth" --seed 5 --calls 80 \
    --concurrency 4 --talk-mean 4 --no-rtp || exit 1
for quiet in filler pause; do
rm -f "$t"/kill.*
python3 - "$CALLTAP" "$t/slow.pcap" "$t" "$quiet" >"$t/kill.out" 2>&1 <<'EOF'
import csv, os, signal, sqlite3, struct, subprocess, sys, time
calltap, pcap, out, quiet = sys.argv[1:5]
SPEED, QUIET_AT, KILL_AT, MARGIN = 40.0, 3.5, 5.5, 1.5
data = open(pcap, 'rb').read()
frames, off = [], 24
while off < len(data):
    s, u, cl, _ = struct.unpack('<IIII', data[off:off + 16])
    frames.append((s * 1e6 + u, data[off:off + 16 + cl]))
    off += 16 + cl
j, c, d = out + '/kill.jsonl', out + '/kill.csv', out + '/kill.db'
p = subprocess.Popen([calltap, '-r', '-', '--json', j, '--csv', c, '--db', d],
                     stdin=subprocess.PIPE, stderr=subprocess.DEVNULL)
p.stdin.write(data[:24])
p.stdin.flush()
t0, ts0, i, pos, seen = time.monotonic(), frames[0][0], 0, 0, {}
def poll():
    global pos
    try:
        with open(j, 'rb') as f:
            f.seek(pos)
            chunk = f.read()
    except OSError:
        return
    now = time.monotonic() - t0
    lines = chunk.split(b'\n')
    for line in lines[:-1]:
        seen[line.split(b'"call_id":"', 1)[1].split(b'"', 1)[0].decode()] = now
    pos += len(chunk) - len(lines[-1])
while True:
    now = time.monotonic() - t0
    if now >= KILL_AT:
        break
    while now < QUIET_AT and i < len(frames) and (frames[i][0] - ts0) / 1e6 / SPEED <= now:
        p.stdin.write(frames[i][1])
        i += 1
    if now >= QUIET_AT and quiet == 'filler':   # a UDP datagram to port 9 at the last frame's time
        eth = b'\0\1\2\3\4\5\0\1\2\3\4\6\x08\0'
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 29, 0, 0, 64, 17, 0, bytes([192, 0, 2, 1]),
                         bytes([192, 0, 2, 2]))
        frame = eth + ip + struct.pack('!HHHH', 4000, 9, 9, 0) + b'x'
        p.stdin.write(frames[i - 1][1][:8] + struct.pack('<II', len(frame), len(frame)) + frame)
    p.stdin.flush()
    poll()
    time.sleep(0.01)
kill = time.monotonic() - t0
p.send_signal(signal.SIGKILL)
p.wait()
poll()
must = {k for k, v in seen.items() if v <= kill - MARGIN}
db = sqlite3.connect(d)
in_db = {r[0] for r in db.execute('SELECT call_id FROM calls')}
rows = list(csv.reader(open(c, newline='')))
in_csv = {r[0] for r in rows[1:]}
raw = open(j, 'rb').read()
print('  %d frames of %d fed, %d records in JSON, %d due (written > %.1f s before the kill), '
      '%d in the database, %d in the CSV' % (i, len(frames), len(seen), len(must), MARGIN,
                                             len(in_db), len(in_csv)))
ok = len(must) >= 10 and must <= in_db and must <= in_csv
ok = ok and all(len(r) == len(rows[0]) for r in rows) and raw.endswith(b'\n')
sys.exit(0 if ok else 1)
EOF
if [ $? -eq 0 ]; then ok "SIGKILL ($quiet): every call finished > 1.5 s before is in SQLite, JSON and CSV"
else bad "SIGKILL ($quiet): calls finished before the kill are missing"; fi
sed 's/^/     /' "$t/kill.out"
done

# ---- file modes ----------------------------------------------------------
mode() { stat -c %a "$1" 2>/dev/null; }
modes() { # dir: the modes of every output kind
	echo "json $(mode "$1/a.jsonl") csv $(mode "$1/a.csv") db $(mode "$1/a.db")" \
	    "table $(mode "$1/a.txt") orphans $(mode "$1/o.jsonl") audio-dir $(mode "$1/rec")" \
	    "recording $(mode "$(ls -d "$1"/rec/* | head -1)")"
}
mkdir "$t/m1" "$t/m2"
"$CALLTAP" -r "$answered" --json "$t/m1/a.jsonl" --csv "$t/m1/a.csv" --db "$t/m1/a.db" \
    --table "$t/m1/a.txt" --orphans "$t/m1/o.jsonl" --audio "$t/m1/rec" 2>"$t/err"
got=$(modes "$t/m1")
want="json 600 csv 600 db 600 table 600 orphans 600 audio-dir 700 recording 600"
[ "$got" = "$want" ] && ok "private by default: $got" || bad "default modes: $got, want $want"
"$CALLTAP" --umask 027 -r "$answered" --json "$t/m2/a.jsonl" --csv "$t/m2/a.csv" --db "$t/m2/a.db" \
    --table "$t/m2/a.txt" --orphans "$t/m2/o.jsonl" --audio "$t/m2/rec" 2>"$t/err"
got=$(modes "$t/m2")
want="json 640 csv 640 db 640 table 640 orphans 640 audio-dir 750 recording 640"
[ "$got" = "$want" ] && ok "--umask 027: $got" || bad "--umask 027 modes: $got, want $want"
"$CALLTAP" --umask 0999 -r "$answered" --json - >/dev/null 2>"$t/err"
[ $? -eq 1 ] && grep -q "octal mask" "$t/err" && ok "--umask 0999 is a usage error" || bad "--umask 0999 accepted"

# A --audio path that is a file fails at start, naming it.
: >"$t/afile"
"$CALLTAP" -r "$answered" --json "$t/x.jsonl" --audio "$t/afile" 2>"$t/err"
[ $? -eq 3 ] && grep -q "afile' is not a directory" "$t/err" && ok "--audio on a file fails at start" ||
    bad "--audio on a file"

# ---- -Z USER (root only) -------------------------------------------------
user=nobody
if [ "$(id -u)" -ne 0 ] || ! id "$user" >/dev/null 2>&1; then
	echo "output-safety: -Z checks skipped (need root and user $user)"
else
	cp "$answered" "$t/in.pcap" && chmod 644 "$t/in.pcap"
	mkdir "$t/z" && chmod 755 "$t/z"
	"$CALLTAP" -r "$t/in.pcap" -Z "$user" --json "$t/z/a.jsonl" --db "$t/z/a.db" \
	    --audio "$t/z/rec" 2>"$t/err"
	st=$?
	rec=$(ls "$t/z/rec" 2>/dev/null | head -1)
	if [ $st -eq 0 ] && [ -n "$rec" ] && [ "$(stat -c %U "$t/z/rec/$rec")" = "$user" ] &&
	    [ "$(stat -c %U:%a "$t/z/rec")" = "$user:700" ] && grep -q "\"recording\":\"[^\"]*$rec\"" "$t/z/a.jsonl"; then
		ok "-Z $user: the --audio directory it created is $user's, recordings written"
	else bad "-Z $user with --audio: status $st, recording '$rec'"; fi

	# The first run's files sit in a 0755 root directory: nobody can write
	# them (handed over) but not reopen them after rotation: warned at start.
	if grep -q "warning: --json '$t/z/a.jsonl': its directory '$t/z' is not writable by user '$user'" \
	    "$t/err" && grep -q "warning: --db '$t/z/a.db'" "$t/err"; then
		ok "-Z $user: output files in a directory $user cannot write are warned about"
	else bad "-Z $user: no warning about the outputs' directory"; fi

	mkdir "$t/z/rootonly"   # 0700 root: not writable by nobody
	"$CALLTAP" -r "$t/in.pcap" -Z "$user" --json "$t/z/b.jsonl" --audio "$t/z/rootonly" 2>"$t/err"
	st=$?
	if [ $st -eq 3 ] && grep -q "audio directory '$t/z/rootonly' is not writable by user '$user'" "$t/err" &&
	    [ ! -s "$t/z/b.jsonl" ]; then
		ok "-Z $user: an --audio directory $user cannot write fails at start, naming it"
	else bad "-Z $user with a root-only --audio directory: status $st"; fi

	# A running calltap after -Z: no capability left, not even in the bounding
	# set, in every thread (the output, recorder and per-call capture threads
	# start before -Z: bounding set and no_new_privs are per thread).
	mkfifo "$t/fifo"
	"$CALLTAP" -r "$t/fifo" -Z "$user" --json "$t/z/c.jsonl" --audio "$t/z/rec2" \
	    --pcap-dir "$t/z/pc" 2>"$t/err" &
	pid=$!
	exec 3>"$t/fifo"   # calltap now waits for the capture header, after -Z
	i=0
	while ! grep -q "^Uid:.*65534" "/proc/$pid/status" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	ntask=0
	badtask=
	for st in /proc/$pid/task/*/status; do
		ntask=$((ntask + 1))
		caps=$(grep -E "^(Uid|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):" "$st" | tr -s '\t' ' ' | tr '\n' ' ')
		case $caps in
		*"CapPrm: 0000000000000000"*"CapEff: 0000000000000000"*"CapBnd: 0000000000000000"*"CapAmb: 0000000000000000"*"NoNewPrivs: 1"*) ;;
		*) badtask="$badtask [$st: $caps]" ;;
		esac
	done
	exec 3>&-
	wait "$pid"
	pid=
	if [ -z "$badtask" ] && [ "$ntask" -ge 3 ]; then
		ok "-Z $user: no capabilities, empty bounding set, no_new_privs in all $ntask threads"
	else bad "-Z $user: $ntask threads, /proc status$badtask"; fi
fi

# ---- another process holds the database's write lock for 8 s ---------------
# (red-team pass 10: past the 5 s busy timeout every record that ended
# meanwhile was refused: 15 of 60 calls stored.)  The records wait.
"$srcdir/scripts/gen-calls" -q -o "$t/lk.pcap" --truth "$t/lk.truth" --seed 7 --calls 60 \
    --no-rtp || exit 1
n=$(python3 - "$CALLTAP" "$t/lk.pcap" "$t/lk.db" 2>&1 <<'EOF'
import sqlite3, subprocess, sys, time
calltap, pcap, db = sys.argv[1:4]
data = open(pcap, 'rb').read()
p = subprocess.Popen([calltap, '-q', '-r', '-', '--db', db], stdin=subprocess.PIPE,
                     stderr=subprocess.DEVNULL)
p.stdin.write(data[:len(data) // 2]); p.stdin.flush()
time.sleep(1.5)
c = sqlite3.connect(db, isolation_level=None, timeout=30)
c.execute('BEGIN IMMEDIATE')
p.stdin.write(data[len(data) // 2:]); p.stdin.flush()
time.sleep(8)
c.execute('COMMIT'); c.close()
p.stdin.close()
rc = p.wait()
print(rc, sqlite3.connect(db).execute('SELECT count(*) FROM calls').fetchone()[0])
EOF
)
if [ "$n" = "0 60" ]; then ok "the database locked by another process for 8 s: every record waits, 60/60 stored"
else bad "database locked 8 s: exit status and rows: $n (want 0 60)"; fi
# ... and when calltap starts while the lock is held (7 s): it waits too
# (red-team pass 11: start-up gave up after 5 s, exit 3).
python3 - "$t/lk.db" "$t/lk.ready" <<'EOF' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
c.execute('BEGIN IMMEDIATE'); c.execute('UPDATE calls SET sensor = sensor WHERE 0')
open(sys.argv[2], 'w').close()
time.sleep(7)
c.execute('COMMIT')
EOF
lkpid=$!
i=0; while [ ! -f "$t/lk.ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
"$CALLTAP" -q -r "$t/slow.pcap" --db "$t/lk.db" 2>/dev/null
st=$?
wait $lkpid
n="$st $(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM calls").fetchone()[0])' "$t/lk.db" 2>&1)"
if [ "$n" = "0 140" ]; then ok "a database locked at start-up (7 s): calltap waits, 60 + 80 rows"
else bad "database locked at start-up: exit status and rows: $n (want 0 140)"; fi

# ---- a restart of a live or piped run keeps what it wrote -------------------
# (red-team pass 10: the text outputs were opened with O_TRUNC, so a
# systemctl restart of a sensor emptied them.)  Runs reading standard input
# append; a torn last line (a crash mid-write) is cut back first; the CSV
# header comes once.  A run over a capture file writes them anew.
rs=$t/rs
for i in 1 2; do
	"$CALLTAP" -q -r - --json "$rs.json" --csv "$rs.csv" <"$t/slow.pcap" 2>/dev/null
done
printf '{"call_id":"torn by a cr' >>"$rs.json"
printf 'torn,by' >>"$rs.csv"
"$CALLTAP" -q -r - --json "$rs.json" --csv "$rs.csv" <"$t/slow.pcap" 2>/dev/null
n=$(python3 -c '
import csv, json, sys
j = [json.loads(l) for l in open(sys.argv[1])]
rows = list(csv.reader(open(sys.argv[2], newline="")))
print(len(j), len(rows) - 1, sum(1 for r in rows if r[0] == "call_id"),
      len({r["call_id"] for r in j}))' "$rs.json" "$rs.csv" 2>&1)
if [ "$n" = "240 240 1 80" ]; then ok "three runs on standard input: 3 x 80 records appended, torn lines cut, one CSV header"
else bad "restart keeps the text outputs: json, csv rows, csv headers, calls: $n (want 240 240 1 80)"; fi
"$CALLTAP" -q -r "$t/slow.pcap" --json "$rs.json" --csv "$rs.csv" 2>/dev/null
n=$(cat "$rs.json" | wc -l)/$(cat "$rs.csv" | wc -l)
if [ "$n" = "80/81" ]; then ok "a run over a capture file writes its outputs anew"
else bad "run over a file: json/csv lines $n, want 80/81"; fi

echo "output-safety: $pass passed, $fail failed"
[ $fail -eq 0 ]
