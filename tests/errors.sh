#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Bad input and bad output: a clear message naming the file, the documented
# exit status, and no call lost.  Prints "errors: N passed, N failed".
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d) || exit 1
trap 'umount "$t/small" 2>/dev/null; rm -rf "$t"' EXIT
expect() { # name expected-status actual-status stderr-pattern
	if [ "$3" -eq "$2" ] && grep -q -- "$4" "$t/err"; then ok "$1"; else bad "$1 (status $3, want $2; stderr must match '$4')"; fi
}
good=$srcdir/pcaps/goffinet-SIP-Call-Flow-Over-TCP.pcap
many=$srcdir/pcaps/irontec-aaa.pcap

"$CALLTAP" -r "$t/missing.pcap" --json - >"$t/out" 2>"$t/err"
expect "missing file" 2 $? "missing.pcap"

printf 'this is not a capture file at all, not even close\n' >"$t/garbage.pcap"
"$CALLTAP" -r "$t/garbage.pcap" --json - >"$t/out" 2>"$t/err"
expect "garbage file" 2 $? "garbage.pcap"

# A truncated capture: the calls in the part that was read are still written.
full=$("$CALLTAP" -r "$many" --json - 2>/dev/null | wc -l)
size=$(wc -c <"$many")
head -c $((size * 3 / 4)) "$many" >"$t/truncated.pcap"
"$CALLTAP" -r "$t/truncated.pcap" --json "$t/trunc.jsonl" 2>"$t/err"
st=$?
expect "truncated capture reported" 2 $st "truncated.pcap"
n=$(wc -l <"$t/trunc.jsonl")
if [ "$n" -gt 0 ] && [ "$n" -le "$full" ]; then ok "truncated capture keeps its $n calls (of $full)"; else bad "truncated capture wrote $n calls (full file: $full)"; fi

# A missing input among good ones: the good ones are still processed.
"$CALLTAP" -r "$t/missing.pcap" -r "$good" --json "$t/mixed.jsonl" 2>"$t/err"
st=$?
n=$(wc -l <"$t/mixed.jsonl")
if [ $st -eq 2 ] && [ "$n" -ge 1 ]; then ok "missing input does not stop the others"; else bad "missing + good input: status $st, $n calls"; fi

"$CALLTAP" -r "$good" --db "$t/no/such/dir/calls.db" >"$t/out" 2>"$t/err"
expect "unwritable database" 3 $? "no/such/dir/calls.db"

"$CALLTAP" -r "$good" --json "$t/no/such/dir/calls.jsonl" >"$t/out" 2>"$t/err"
expect "unwritable JSON file" 3 $? "no/such/dir/calls.jsonl"

# An output that fails mid-run (disk full) does not lose the calls for the others.
if [ -w /dev/full ]; then
	"$CALLTAP" -r "$many" --json /dev/full --csv "$t/ok.csv" >"$t/out" 2>"$t/err"
	st=$?
	n=$(($(wc -l <"$t/ok.csv") - 1))
	if [ $st -eq 3 ] && grep -q /dev/full "$t/err" && [ "$n" -eq "$full" ]; then
		ok "full disk on one output, $n calls still in the other"
	else bad "full disk: status $st, $n of $full calls in CSV"; fi
fi

# Disk full in the middle of a record: the file is cut back to its last
# whole record, the failure is reported once per file, the other outputs get
# every call.  First with a file size limit (SIGXFSZ ignored, so write(2)
# fails with EFBIG; the limit falls inside a record), then, as root, on a
# 16 KiB tmpfs (ENOSPC).
whole() { # file kind: every line a complete JSON object / CSV row of the header's width
	python3 - "$1" "$2" <<'EOF'
import csv, json, sys
raw = open(sys.argv[1], 'rb').read()
if raw and not raw.endswith(b'\n'):
    print('  %s ends inside a line' % sys.argv[1]); sys.exit(1)
if sys.argv[2] == 'json':
    for line in raw.decode().splitlines():
        json.loads(line)
    print('  %s: %d whole JSON lines' % (sys.argv[1], len(raw.splitlines())))
else:
    rows = list(csv.reader(raw.decode().splitlines()))
    bad = [r for r in rows if len(r) != len(rows[0])]
    print('  %s: %d rows, %d incomplete' % (sys.argv[1], len(rows), len(bad)))
    sys.exit(1 if bad else 0)
EOF
}
if command -v python3 >/dev/null 2>&1 &&
    "$srcdir/scripts/gen-calls" -q -o "$t/gen.pcap" --truth "$t/gen.truth" --seed 5 --calls 80 \
    --concurrency 4 --talk-mean 4 --no-rtp; then
	gen=$("$CALLTAP" -r "$t/gen.pcap" --json - 2>/dev/null | wc -l)
	(trap '' XFSZ; ulimit -f 20; exec "$CALLTAP" -r "$t/gen.pcap" --json "$t/fsz.jsonl" \
	    --csv "$t/fsz.csv" --json -) 2>"$t/err" | cat >"$t/fsz-all.jsonl"
	n=$(wc -l <"$t/fsz.jsonl")
	if whole "$t/fsz.jsonl" json >"$t/whole" && whole "$t/fsz.csv" csv >>"$t/whole" &&
	    [ "$(grep -c "cannot write to .*fsz.jsonl" "$t/err")" -eq 1 ] &&
	    [ "$(grep -c "cannot write to .*fsz.csv" "$t/err")" -eq 1 ] &&
	    grep -q "json output '.*fsz.jsonl': [0-9]* record(s) that came after it failed were not written" "$t/err" &&
	    [ "$(wc -l <"$t/fsz-all.jsonl")" -eq "$gen" ] && [ "$n" -gt 0 ] && [ "$n" -lt "$gen" ]; then
		ok "file size limit: $n of $gen records, each whole; reported once; the other output has all"
	else bad "file size limit mid-record: $(cat "$t/whole")"; fi
	mkdir "$t/small"
	if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=16k,mode=700 tmpfs "$t/small" 2>/dev/null; then
		"$CALLTAP" -r "$t/gen.pcap" --json "$t/small/full.jsonl" --csv "$t/small/full.csv" \
		    --json "$t/all.jsonl" 2>"$t/err"
		st=$?
		n=$(wc -l <"$t/small/full.jsonl")
		if [ $st -eq 3 ] && whole "$t/small/full.jsonl" json >"$t/whole" &&
		    whole "$t/small/full.csv" csv >>"$t/whole" && grep -q "No space left on device" "$t/err" &&
		    [ "$(grep -c "cannot write to .*small/full" "$t/err")" -eq 2 ] &&
		    grep -q "json output '.*small/full.jsonl': [0-9]* record(s) that came after it failed were not written" "$t/err" &&
		    [ "$(wc -l <"$t/all.jsonl")" -eq "$gen" ]; then
			ok "full tmpfs: $n of $gen records, each whole; reported once per file; the other output has all"
		else bad "full tmpfs: status $st; $(cat "$t/whole")"; fi
		umount "$t/small"
		# --db: the records of a transaction SQLite rolled back are counted
		# lost; with those not written after the failure, every record is
		# either in the database or in a count.  On a file system this
		# small a new database gets 8 KiB pages (sqlite.c, page_size_for):
		# it opens in 200 KiB, where one of 32 KiB pages would not.
		if mount -t tmpfs -o size=200k,mode=700 tmpfs "$t/small" 2>/dev/null; then
			"$CALLTAP" -r "$t/gen.pcap" --db "$t/small/full.db" 2>"$t/err"
			st=$?
			rows=$(sqlite3 "$t/small/full.db" "SELECT count(*) FROM calls" 2>/dev/null || echo 0)
			lost=$(sed -n 's/.*database or disk is full.* (*\([0-9][0-9]*\) record.*lost.*/\1/p' "$t/err" |
			    awk '{ n += $1 } END { print n + 0 }')
			later=$(sed -n 's/.* \([0-9][0-9]*\) record(s) that came after it failed.*/\1/p' "$t/err" |
			    awk '{ n += $1 } END { print n + 0 }')
			if [ $st -eq 3 ] && [ "$lost" -gt 0 ] && [ $((rows + lost + later)) -eq "$gen" ]; then
				ok "full tmpfs, --db: $rows stored + $lost rolled back (counted) + $later refused = $gen"
			else bad "full tmpfs, --db: status $st, $rows + $lost + $later != $gen: $(cat "$t/err")"; fi
			umount "$t/small"
		fi
		# -w on a full disk: cut back to its last whole call, never torn,
		# and written again once a filler file is removed mid-run (red-team
		# pass 10: torn, and nothing after space came back).
		if mount -t tmpfs -o size=64k,mode=700 tmpfs "$t/small" 2>/dev/null; then
			n=$(python3 - "$CALLTAP" "$t/gen.pcap" "$t/small" 2>&1 <<'EOF'
import subprocess, sys, time
calltap, pcap, d = sys.argv[1:4]
data = open(pcap, 'rb').read()
open(d + '/filler', 'wb').write(b'x' * (56 << 10))
p = subprocess.Popen([calltap, '-q', '-r', '-', '-w', d + '/w.pcap', '--json', '/dev/null'],
                     stdin=subprocess.PIPE, stderr=subprocess.DEVNULL)
p.stdin.write(data[:len(data) // 2]); p.stdin.flush()
time.sleep(1.5)
import os
before = os.path.getsize(d + '/w.pcap')
os.unlink(d + '/filler')
p.stdin.write(data[len(data) // 2:]); p.stdin.close()
p.wait()
r = subprocess.run([calltap, '-q', '-r', d + '/w.pcap', '--json', '-'], capture_output=True)
print(r.returncode, before < os.path.getsize(d + '/w.pcap'), len(r.stdout.splitlines()) > 0)
EOF
)
			if [ "$n" = "0 True True" ]; then
				ok "-w on a full tmpfs: never torn, written again once space came back"
			else bad "-w on a full tmpfs: read-back status, grew, has calls: $n"; fi
			umount "$t/small"
		fi
	else
		echo "skip full tmpfs (needs root and mount)"
	fi
fi

"$CALLTAP" --bogus-option >"$t/out" 2>"$t/err"
expect "unknown option" 1 $? "usage"

"$CALLTAP" -r "$good" --json - 'not a valid (filter' >"$t/out" 2>"$t/err"
expect "bad BPF filter" 2 $? "filter"

# A directory of captures reads every capture in it, in name order.
mkdir "$t/dir" && cp "$good" "$many" "$t/dir/" && echo notes >"$t/dir/README.md"
"$CALLTAP" -r "$t/dir" --json "$t/dir.jsonl" 2>"$t/err"
st=$?
n=$(wc -l <"$t/dir.jsonl")
one=$("$CALLTAP" -r "$good" --json - 2>/dev/null | wc -l)
if [ $st -eq 0 ] && [ "$n" -eq $((full + one)) ]; then ok "directory input"; else bad "directory input: status $st, $n calls, want $((full + one))"; fi

# Standard input.
"$CALLTAP" -r - --json "$t/stdin.jsonl" <"$good" 2>"$t/err"
st=$?
if [ $st -eq 0 ] && [ "$(wc -l <"$t/stdin.jsonl")" -eq "$one" ]; then ok "stdin input"; else bad "stdin input: status $st"; fi

# Default outputs: a readable table and calltap.db in the working directory.
(cd "$t" && "$CALLTAP" -r "$many" >table.txt 2>err)
rows=$(sqlite3 "$t/calltap.db" 'select count(*) from calls' 2>/dev/null)
if [ "$rows" = "$full" ] && grep -q "calls:" "$t/table.txt"; then ok "default table + calltap.db ($rows calls)"; else bad "default outputs: db rows '$rows', want $full"; fi

# Every output is checked at start-up, before anything is read: one line
# on stderr naming the output, exit 3, no record written anywhere (-s would
# print the counters of a run; nothing is read, so none).
touch "$t/afile"
startup() { # name stderr-pattern calltap-output-args...
	name=$1; pat=$2; shift 2
	rm -f "$t/su.jsonl"
	"$CALLTAP" -r "$many" --json "$t/su.jsonl" -s "$@" >"$t/out" 2>"$t/err"
	st=$?
	if [ $st -eq 3 ] && [ "$(wc -l <"$t/err")" -eq 1 ] && grep -q -- "$pat" "$t/err" &&
	    [ ! -s "$t/su.jsonl" ]; then
		ok "start-up check: $name"
	else bad "start-up check: $name (status $st, stderr must be one line matching '$pat')"; fi
}
startup "--audio under a file" "cannot create --audio directory '$t/afile/rec'" --audio "$t/afile/rec"
startup "--db under a file" "cannot open database '$t/afile/x.db'" --db "$t/afile/x.db"
startup "--csv under a file" "cannot open '$t/afile/x.csv' for writing" --csv "$t/afile/x.csv"
startup "--table under a file" "cannot open '$t/afile/x.txt' for writing" --table "$t/afile/x.txt"
if "$CALLTAP" --version | grep -q webhook; then
	startup "--webhook without a host" "invalid webhook URL 'http:///hook'" \
	    --webhook http:///hook --spool "$t/spool-ok"
	[ ! -e "$t/spool-ok" ] || [ -z "$(ls "$t/spool-ok")" ] && ok "bad URL: nothing spooled" ||
	    bad "bad URL: spool written"
	startup "--spool under a file" "cannot create spool directory '$t/afile/sp'" \
	    --webhook http://127.0.0.1:9/hook --spool "$t/afile/sp"
fi
if "$CALLTAP" --version | grep -q postgresql; then
	startup "--pg with a bad conninfo" "invalid PostgreSQL connection string" --pg "hostx=nowhere"
	# libpq checks sslmode only when it connects: that looked like a server down
	startup "--pg with a bad sslmode" "sslmode 'requir' is not one of disable|allow" \
	    --pg "host=127.0.0.1 port=9 sslmode=requir"
	PGSSLMODE=verify_full; export PGSSLMODE
	startup "--pg with a bad PGSSLMODE" \
	    "sslmode from PGSSLMODE 'verify_full' is not one of" --pg "host=127.0.0.1 port=9"
	unset PGSSLMODE
fi
# access(2) says yes to root in sysfs, where no file can be made: the
# directory is tried for real, not at exit after every recording failed.
if [ "$(id -u)" -eq 0 ] && [ -d /sys/kernel ] && ! touch /sys/kernel/.calltap-t 2>/dev/null &&
    "$CALLTAP" --version | grep -q 'audio('; then
	startup "--audio where no file can be made (sysfs, as root)" \
	    "audio directory '/sys/kernel' is not writable" --audio /sys/kernel
fi

# A stop asked while a pipe is read is no input error (red-team pass 10:
# systemctl stop of tcpdump -w - | calltap -r - gave exit 2 and "truncated
# packet record", or "empty file" before the first byte).
for cut in 5000 0; do
	( (head -c "$cut" "$many"; sleep 4) | "$CALLTAP" -q -r - --json "$t/stop.json" 2>"$t/stop.err" &
	  p=$!; sleep 1; kill -TERM "$p"; wait "$p"; echo "$?" >"$t/stop.rc" ) 2>/dev/null
	if [ "$(cat "$t/stop.rc")" = 0 ] && [ ! -s "$t/stop.err" ]; then
		ok "SIGTERM while a pipe is read ($cut bytes sent): exit 0, no message"
	else
		bad "SIGTERM while a pipe is read ($cut bytes sent): exit $(cat "$t/stop.rc"), $(cat "$t/stop.err")"
	fi
done

echo "errors: $pass passed, $fail failed"
[ $fail -eq 0 ]
