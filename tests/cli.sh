#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Command-line habits: a forgotten option value is refused (no file named
# "--table"), two outputs on standard output are refused, --help names the
# report subcommand and the manual, --version lists what was built in,
# absurd durations are refused instead of overflowing; -n/-v/-q; the man
# pages (man --warnings, every --help option described, make install); the
# progress line on a terminal; --stats-interval on files: wall clock, bytes
# read, no drops.
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
cap=$srcdir/pcaps/$(ls "$srcdir/pcaps" | grep -m1 -E '\.pcap(ng)?$')

(cd "$t" && "$CALLTAP" --json --table /dev/null -r "$cap") >/dev/null 2>"$t/err"
st=$?
if [ $st -eq 1 ] && [ ! -e "$t/--table" ] && grep -q "'--table' is an option, not a value" "$t/err"; then
	ok "forgotten value refused, no file named --table"
else bad "forgotten value: exit $st"; fi

"$CALLTAP" --json - --csv - -r "$cap" >"$t/out" 2>"$t/err"
st=$?
if [ $st -eq 1 ] && [ ! -s "$t/out" ] && grep -q "only one output can go to standard output" "$t/err"; then
	ok "two outputs on stdout refused"
else bad "two outputs on stdout: exit $st"; fi

"$CALLTAP" --json - -r "$cap" >"$t/out" 2>"$t/err" && [ -s "$t/out" ] &&
    ok "one output on stdout" || bad "one output on stdout"

"$CALLTAP" --help >"$t/out" 2>&1
grep -q "calltap report" "$t/out" && grep -q "man calltap" "$t/out" &&
    ok "--help names the report subcommand and the manual" || bad "--help"

"$CALLTAP" --version >"$t/out" 2>&1
grep -q "^calltap " "$t/out" && grep -q "^inputs: pcap pcapng" "$t/out" &&
    grep -q "^outputs: json csv table sqlite" "$t/out" && grep -q "^codecs decoded: G.711" "$t/out" &&
    ok "--version lists inputs, outputs, codecs" || bad "--version: $(cat "$t/out")"

"$CALLTAP" -r "$cap" --setup-timeout 1e300 --json /dev/null 2>"$t/err"
st=$?
[ $st -eq 1 ] && ok "absurd timeout refused" || bad "absurd timeout: exit $st"

# tcpdump habits: -n is accepted and ignored, -v is --stats.
"$CALLTAP" -n -v -r "$cap" --json /dev/null 2>"$t/err"
st=$?
[ $st -eq 0 ] && grep -q "^calltap statistics" "$t/err" && ok "-n accepted, -v prints the statistics" ||
    bad "-n -v: exit $st"

# Manual pages: groff is silent on them (man --warnings), every option that
# --help prints is described in the matching page (so they cannot drift), and
# make install puts both under share/man/man1.
man_page() { # page help-command...
	page=$1
	shift
	name=$(basename "$page")
	if command -v man >/dev/null 2>&1; then
		man --warnings -E UTF-8 -l "$page" >/dev/null 2>"$t/err"
		[ $? -eq 0 ] && [ ! -s "$t/err" ] && ok "man --warnings silent on $name" ||
		    bad "man --warnings on $name"
	else
		echo "skip man --warnings on $name: no man(1) (Debian: man-db)"
	fi
	"$@" >"$t/help" 2>&1
	sed 's/\\-/-/g' "$page" >"$t/page"
	opts=$(grep -oE -- '(^|[ ,(])--?[A-Za-z][A-Za-z0-9-]*' "$t/help" | sed 's/^[ ,(]//' | sort -u)
	missing=
	for o in $opts; do
		grep -qE -- "(^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|\$)" "$t/page" || missing="$missing $o"
	done
	n=$(echo $opts | wc -w)
	if [ $n -ge 5 ] && [ -z "$missing" ]; then
		ok "$name describes all $n options of '$*'"
	else
		: >"$t/err"
		bad "$name lacks$missing (of $n options)"
	fi
}
man_page "$srcdir/docs/calltap.1" "$CALLTAP" --help
man_page "$srcdir/docs/calltap-report.1" "$CALLTAP" report --help

if [ -f "$builddir/Makefile" ]; then
	(cd "$builddir" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make install DESTDIR="$t/inst") \
	    >"$t/err" 2>&1
	st=$?
	d=$(find "$t/inst" -type d -path '*/share/man/man1' | head -1)
	if [ $st -eq 0 ] && [ -n "$d" ] && cmp -s "$d/calltap.1" "$srcdir/docs/calltap.1" &&
	    cmp -s "$d/calltap-report.1" "$srcdir/docs/calltap-report.1"; then
		ok "make install puts calltap.1 and calltap-report.1 in share/man/man1"
	else bad "make install DESTDIR: exit $st, man1 '$d'"; fi
else
	echo "skip make install: no Makefile in $builddir"
fi

# Progress line: on a terminal (script(1) gives one) a line with the percent
# of the input read, ending at 100.0 %; nothing when stderr is a file or
# with -q; a pipe on standard input (size unknown) shows packets instead.
if command -v script >/dev/null 2>&1; then
	script -qfec "'$CALLTAP' -r '$srcdir/pcaps' --json /dev/null" /dev/null >"$t/tty" 2>&1
	tr '\r' '\n' <"$t/tty" >"$t/err"
	if grep -qE '^ *[0-9]+\.[0-9]% [0-9.]+/[0-9.]+ (B|KiB|MiB) .* pkt/s +[0-9]+ calls +[0-9.]+ s elapsed' "$t/err" &&
	    [ "$(grep -E '% .* elapsed' "$t/err" | tail -1 | cut -c1-7)" = "100.0% " ]; then
		ok "progress line on a terminal, ending at 100.0%"
	else bad "progress line on a terminal"; fi
	script -qfec "'$CALLTAP' -q -r '$srcdir/pcaps' --json /dev/null" /dev/null >"$t/tty" 2>&1
	grep -q "elapsed" "$t/tty" && bad "-q: progress line shown" || ok "-q: no progress line"
	script -qfec "cat '$cap' | '$CALLTAP' -r - --json /dev/null" /dev/null >"$t/tty" 2>&1
	tr '\r' '\n' <"$t/tty" >"$t/err"
	grep -qE '^[0-9]+ packets .* pkt/s .* calls .* elapsed' "$t/err" && ! grep -q '%' "$t/err" &&
	    ok "progress of a pipe: packets, no percent" || bad "progress of a pipe"
	# Updated while reading: 4096 frames through a pipe that pauses 0.6 s
	# after 2000 of them; the clock is looked at every 1024 frames, so
	# frame 2048 must redraw the line before the last one.
	python3 - "$t/many.pcap" <<'EOF'
import struct, sys
frame = bytes(12) + b'\x08\x00' + bytes(46)
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(4096):
        f.write(struct.pack('<IIII', 1700000000 + i // 100, i % 100 * 10000, len(frame), len(frame)))
        f.write(frame)
EOF
	half=$((24 + 2000 * 76))
	script -qfec "(head -c $half '$t/many.pcap'; sleep 0.6; tail -c +$((half + 1)) '$t/many.pcap') |
	    '$CALLTAP' -r - --json /dev/null" /dev/null >"$t/tty" 2>&1
	tr '\r' '\n' <"$t/tty" >"$t/err"
	n=$(grep -cE '^[0-9]+ packets .* elapsed' "$t/err")
	[ "$n" -ge 2 ] && grep -q '^4096 packets' "$t/err" && ok "progress updated while reading ($n lines)" ||
	    bad "progress not updated while reading ($n lines)"
else
	echo "skip progress on a terminal: no script(1) (Debian: bsdutils)"
fi
"$CALLTAP" -r "$srcdir/pcaps" --json /dev/null 2>"$t/err"
grep -q "elapsed" "$t/err" && bad "progress line written to a file" ||
    ok "no progress line when stderr is a file"

# The memory budget of the calls: MiB, 1 to 1048576; nothing else.
for v in 0 -1 16M 1048577; do
	"$CALLTAP" -r "$srcdir/pcaps/sipp-busy.pcap" --max-call-memory "$v" --json /dev/null 2>"$t/err"
	st=$?
	[ $st -eq 1 ] && grep -q "max-call-memory wants a whole number from 1 to 1048576: '$v'" "$t/err" &&
	    ok "--max-call-memory $v refused" || bad "--max-call-memory $v: exit $st"
done

# Live capture settings: a value libpcap cannot take is refused at once
# (atoi took "64M" as 64, and 4096 MiB overflowed libpcap's int of bytes).
for v in 64M 4096 0 -1; do
	"$CALLTAP" -i ct-no-such-if0 --buffer-mb "$v" --json /dev/null 2>"$t/err"
	st=$?
	[ $st -eq 1 ] && grep -q "buffer-mb wants a whole number from 1 to 2047: '$v'" "$t/err" &&
	    ok "--buffer-mb $v refused" || bad "--buffer-mb $v: exit $st"
done
"$CALLTAP" -i ct-no-such-if0 --snaplen 1x --json /dev/null 2>"$t/err"
[ $? -eq 1 ] && grep -q "snaplen wants a whole number from 0 to 262144: '1x'" "$t/err" &&
    ok "--snaplen 1x refused" || bad "--snaplen 1x"
"$CALLTAP" -i ct-no-such-if0 --buffer-mb 2047 --snaplen 0 --json /dev/null 2>"$t/err"
grep -q "ct-no-such-if0" "$t/err" && ! grep -q "wants a whole number" "$t/err" &&
    ok "--buffer-mb 2047 --snaplen 0 accepted (the interface is what fails)" ||
    bad "--buffer-mb 2047 --snaplen 0"

# --stats-interval on files: no drops fields (they exist only live); the
# lines run on the wall clock, not on capture time (pcaps/ spans years of
# capture time: 1000 s of it would give many lines), and the last one, at
# the end of the inputs, tells the megabytes read of the total.
"$CALLTAP" -r "$srcdir/pcaps" --json /dev/null --stats-interval 1000 2>"$t/err"
total=$(cat "$srcdir"/pcaps/*.pcap* | wc -c | awk '{ printf "%.1f", $1 / 1e6 }')
n=$(grep -c "^calltap: packets" "$t/err")
grep -Eq "^calltap: packets [0-9]+ \([0-9]+/s\) calls in progress [0-9]+ started [0-9]+ ended [0-9]+ .* sip [0-9]+ read $total of $total MB \(100\.0%, [0-9.]+ MB/s\) at 20[0-9-]{8}T[0-9:]{8}Z$" "$t/err" &&
    [ "$n" -eq 1 ] && ! grep -q "drops" "$t/err" &&
    ok "--stats-interval on files: wall clock, one line at the end, $total MB read, no drops" ||
    bad "--stats-interval on files ($n lines, $total MB)"

# From a pipe that pauses: a line every 0.5 s of wall time while reading,
# the bytes of the packets read so far (no total), then the last line.
"$srcdir/scripts/gen-calls" -o "$t/g.pcap" --truth "$t/g.jsonl" --calls 40 --concurrency 20 \
    --talk-mean 2 -q
python3 - "$t/g.pcap" <<'PY' | "$CALLTAP" -r - --json /dev/null --stats-interval 0.5 2>"$t/err"
import struct, sys, time
data = open(sys.argv[1], 'rb').read()
out = sys.stdout.buffer
out.write(data[:24])
off, recs = 24, []
while off < len(data):
    n = struct.unpack('<I', data[off + 8:off + 12])[0]
    recs.append(data[off:off + 16 + n])
    off += 16 + n
q = len(recs) // 4
for i in range(4):
    out.write(b''.join(recs[i * q:(i + 1) * q if i < 3 else len(recs)]))
    out.flush()
    if i < 3:
        time.sleep(0.8)
PY
n=$(grep -cE "^calltap: packets [0-9]+ \([0-9]+/s\) .* read [0-9.]+ MB \([0-9.]+ MB/s\) at 20[0-9-]{8}T[0-9:]{8}Z$" "$t/err")
last=$(grep "^calltap: packets" "$t/err" | tail -1 | sed -n 's/^calltap: packets \([0-9]*\) .*/\1/p')
all=$("$CALLTAP" -r "$t/g.pcap" --json /dev/null -s 2>&1 | awk '$1 == "frames" { print $2 }')
[ "$n" -ge 3 ] && [ "$last" = "$all" ] && ! grep -q "drops" "$t/err" && ! grep -q " of " "$t/err" &&
    ok "--stats-interval from a pausing pipe: $n lines on the wall clock, the last at $all packets" ||
    bad "--stats-interval from a pausing pipe: $n lines, last at '$last' of $all packets"

"$CALLTAP" -r "$cap" --db /dev/null >/dev/null 2>"$t/err"
st=$?
[ $st -eq 3 ] && grep -q "cannot open database '/dev/null': not a regular file" "$t/err" &&
    ok "--db /dev/null: a clear message" || bad "--db /dev/null: exit $st: $(cat "$t/err")"

# -c COUNT: stop after COUNT packets; the calls open then are written as at
# the end of input (sipp-many: the 10th packet closes nothing yet, so every
# call begun is written, unfinished or not).
many=$srcdir/pcaps/sipp-many.pcap
"$CALLTAP" -c 10 -r "$many" --json "$t/c.jsonl" -s 2>"$t/err"
st=$?
frames=$(sed -n 's/^  frames *//p' "$t/err")
n=$(wc -l <"$t/c.jsonl")
all=$("$CALLTAP" -r "$many" --json - 2>/dev/null | wc -l)
if [ $st -eq 0 ] && [ "$frames" = 10 ] && [ "$n" -eq 3 ] && [ "$all" -eq 20 ] &&
    grep -q '"disposition":"unfinished"' "$t/c.jsonl"; then
	ok "-c 10: 10 packets read, the 3 calls begun written"
else bad "-c 10: exit $st, $frames packets, $n of $all calls"; fi
"$CALLTAP" -c 1000 -r "$many" --json - 2>/dev/null | wc -l | grep -qx 20 &&
    ok "-c beyond the input: every call" || bad "-c beyond the input"
"$CALLTAP" -c 0 -r "$many" --json /dev/null 2>"$t/err"
st=$?
[ $st -eq 1 ] && grep -q "not a positive count: '0'" "$t/err" && ok "-c 0 refused" ||
    bad "-c 0: exit $st"

# Recordings: records name them by absolute path (a database opened from
# another directory still finds them), or relative to --recording-base;
# --audio DIR is created with its parents.
if "$CALLTAP" --version | grep -q 'audio('; then
	rec=$srcdir/pcaps/sipp-answered-caller-bye.pcap
	mkdir "$t/run" "$t/else"
	(cd "$t/run" && "$CALLTAP" -r "$rec" --audio rec --db calls.db --json c.jsonl) 2>"$t/err"
	st=$?
	p=$(cd "$t/else" && sqlite3 ../run/calls.db 'SELECT recording FROM calls WHERE recording IS NOT NULL' 2>&1)
	case $p in
	"$(cd "$t/run" && pwd -P)"/rec/*.wav) [ $st -eq 0 ] && (cd "$t/else" && [ -s "$p" ]) &&
	    ok "recording stored by absolute path, found from elsewhere" || bad "recording '$p' not found" ;;
	*) bad "recording stored as '$p' (exit $st)" ;;
	esac
	(cd "$t/run" && "$CALLTAP" -r "$rec" --audio srv/rec/2026 --recording-base srv/rec --json b.jsonl) 2>"$t/err"
	st=$?
	p=$(sed -n 's/.*"recording":"\([^"]*\)".*/\1/p' "$t/run/b.jsonl")
	case $p in
	2026/*.wav) [ $st -eq 0 ] && [ -s "$t/run/srv/rec/$p" ] &&
	    ok "--recording-base: path relative to it ($p), --audio parents created" ||
	    bad "--recording-base: '$p' not under it" ;;
	*) bad "--recording-base: recording '$p' (exit $st)" ;;
	esac
	(cd "$t/run" && "$CALLTAP" -r "$rec" --audio other --recording-base srv/rec --json /dev/null) 2>"$t/err"
	st=$?
	[ $st -eq 3 ] && grep -q "is not under --recording-base" "$t/err" &&
	    ok "--audio outside --recording-base refused at start-up" || bad "--audio outside the base: exit $st"
	"$CALLTAP" -r "$rec" --recording-base "$t" --json /dev/null 2>"$t/err"
	st=$?
	[ $st -ne 0 ] && grep -q "recording-base needs --audio" "$t/err" &&
	    ok "--recording-base without --audio refused" || bad "--recording-base alone: exit $st"
fi

# Secrets on the command line are not left in /proc/PID/cmdline (ps shows
# it to every user; red-team pass 10): --pg's password, the webhook URL's
# credentials and token, --hep-password (also as an abbreviation).
if [ -r /proc/self/cmdline ]; then
	(sleep 3 | "$CALLTAP" -q -r - --json /dev/null --spool "$t/sp" \
	    --pg "host=127.0.0.1 port=9 password=S3cretPg dbname=x connect_timeout=1" \
	    --webhook="http://user:HookPw9@127.0.0.1:9/x?token=Tok3n9" \
	    --webhook-header "Authorization: Bearer Bear3r9" \
	    --hep 127.0.0.1:9 --hep-pass HepKey99 2>/dev/null &
	 sleep 1
	 for p in $(pgrep -f "HepKey99|127.0.0.1:9/x" 2>/dev/null) $(pgrep -f "hep-pass" 2>/dev/null); do
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null
	 done >"$t/cmdline"
	 wait) 2>/dev/null
	if grep -q -- "--hep-pass" "$t/cmdline" && grep -q "Authorization:" "$t/cmdline" &&
	    ! grep -qE "S3cretPg|HookPw9|Tok3n9|HepKey99|Bear3r9" "$t/cmdline"; then
		ok "no secret in /proc/PID/cmdline"
	else
		echo "$(cat "$t/cmdline")" >"$t/err"; bad "secrets in /proc/PID/cmdline"
	fi
fi

echo "cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
