#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Capture archives as analysts hand them over (src/capture/inputs.c): one
# generated trunk capture (scripts/gen-calls, with ground truth) is cut into
# rotations named like tcpdump -C (trunk.pcap, trunk.pcap1 ... trunk.pcap12,
# so byte order is wrong: pcap10 sorts before pcap2), some gzip-compressed,
# spread over sub-folders, with a README among them.  calltap must rebuild
# every call exactly (scripts/compare-truth) whether given the folder, a
# shell glob after -r, or the files in shuffled order; and the capture split
# by direction into two files must merge into the same records.  Also: a
# folder without captures, a missing file among good ones, a truncated .gz
# and a bad filter (reported once, not once per file).
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
for tool in editcap gzip; do
	command -v $tool >/dev/null 2>&1 || { echo "skip: $tool is needed"; exit 77; }
done
"$srcdir/scripts/gen-calls" -o "$t/all.pcap" --truth "$t/truth" --seed 11 --calls 60 \
    --concurrency 20 --talk-mean 8 --tcp-share 0.3 --frag-share 0.1 >/dev/null 2>&1 ||
    { echo "FAIL gen-calls"; exit 1; }
frames=$(capinfos -c -M "$t/all.pcap" 2>/dev/null | awk '/Number of packets/ { print $NF }')
[ -n "$frames" ] || frames=$(tshark -r "$t/all.pcap" 2>/dev/null | wc -l)
per=$((frames / 13 + 1))
mkdir -p "$t/parts" "$t/arch/a/b" "$t/arch/c" "$t/flat"
editcap -c "$per" "$t/all.pcap" "$t/parts/p.pcap" >/dev/null 2>&1 || { echo "FAIL editcap"; exit 1; }
# tcpdump -C names in time order: trunk.pcap, trunk.pcap1, ..., trunk.pcap12
i=0
for p in $(ls "$t/parts" | sort); do
	if [ $i -eq 0 ]; then name=trunk.pcap; else name=trunk.pcap$i; fi
	cp "$t/parts/$p" "$t/flat/$name"
	case $i in
	3|7) gzip -c "$t/parts/$p" >"$t/arch/a/b/$name.gz" ;;
	1|2|10|11) cp "$t/parts/$p" "$t/arch/c/$name" ;;
	*) cp "$t/parts/$p" "$t/arch/a/$name" ;;
	esac
	i=$((i + 1))
done
echo "not a capture" >"$t/arch/README.txt"
echo "not a capture" >"$t/arch/c/old.pcap.bz2"
[ "$i" -ge 11 ] || { echo "FAIL only $i parts"; exit 1; }

check() { # name status calltap-args...
	name=$1; want=$2; shift 2
	"$CALLTAP" --json "$t/$name.jsonl" "$@" >"$t/$name.out" 2>"$t/err"
	st=$?
	verdict
}
# As check, reading standard input from a pipe: name command (its output is the capture)
check_pipe() {
	name=$1; want=0
	sh -c "$2" | "$CALLTAP" --json "$t/$name.jsonl" -r - >"$t/$name.out" 2>"$t/err"
	st=$?
	verdict
}
verdict() {
	if [ $st -ne "$want" ]; then
		bad "$name: exit $st, expected $want"; return
	fi
	if "$srcdir/scripts/compare-truth" "$t/truth" "$t/$name.jsonl" >"$t/$name.cmp" 2>&1; then
		ok "$name: $(tail -1 "$t/$name.cmp")"
	else
		bad "$name: records differ from the truth"; head -20 "$t/$name.cmp"
	fi
}
check whole 0 -r "$t/all.pcap"
check folder-of-folders 0 -r "$t/arch"
grep -q "warning: skipped '$t/arch/c/old.pcap.bz2': named like a capture" "$t/err" &&
    ok "unreadable capture-named file warned of" || bad "old.pcap.bz2 not named"
! grep -q "README.txt" "$t/err" && ok "a README among captures left out silently" ||
    bad "README warned of"
check rotations-folder 0 -r "$t/flat"
# the shell's glob order: trunk.pcap trunk.pcap1 trunk.pcap10 trunk.pcap11 trunk.pcap12 trunk.pcap2 ...
# shellcheck disable=SC2086
check glob-after-r 0 -r $(ls -d "$t"/flat/trunk.pcap* | LC_ALL=C sort)
# shellcheck disable=SC2046
check shuffled-r 0 $(ls "$t"/flat/trunk.pcap* | LC_ALL=C sort -r | sed 's/^/-r /')

# One file per direction (a one-way mirror per interface): merged by time.
if command -v tshark >/dev/null 2>&1; then
	tshark -r "$t/all.pcap" -w "$t/to-pbx.pcap" -F pcap "ip.dst == 203.0.113.10 or ipv6.dst == 2001:db8:113::10" 2>/dev/null
	tshark -r "$t/all.pcap" -w "$t/from-pbx.pcap" -F pcap "not (ip.dst == 203.0.113.10 or ipv6.dst == 2001:db8:113::10)" 2>/dev/null
	check two-directions 0 -r "$t/from-pbx.pcap" -r "$t/to-pbx.pcap"
	grep -q "overlaps .* in time: packets merged by time" "$t/err" &&
	    ok "overlap warned of" || bad "overlap not warned of"
fi

# -V: a list file (comments, blank lines, CRLF), in shuffled order.
{ echo "# rotations, shuffled"; ls "$t"/flat/trunk.pcap* | LC_ALL=C sort -r | sed 's/$/\r/'; echo; } >"$t/list"
check list-file 0 -V "$t/list"

# A time gap between two files is warned of, naming both.
editcap -t 7200 "$t/flat/trunk.pcap12" "$t/late.pcap" >/dev/null 2>&1
"$CALLTAP" --json "$t/gap.jsonl" -r "$t/flat/trunk.pcap11" -r "$t/late.pcap" >/dev/null 2>"$t/err"
if grep -q "1 time gap over 60 s between input files, the longest [0-9]* s between '.*trunk.pcap11' and '.*late.pcap'" "$t/err"; then
	ok "time gap warned of"; else bad "time gap not warned of"; fi

# A folder with no capture: exit 2 with a message naming it.
mkdir -p "$t/empty/sub"
echo x >"$t/empty/sub/notes.txt"
"$CALLTAP" --json "$t/e.jsonl" -r "$t/empty" >/dev/null 2>"$t/err"
st=$?
if [ $st -eq 2 ] && grep -q "empty' holds no capture" "$t/err"; then ok "folder without captures: exit 2, named"
else bad "folder without captures: exit $st"; fi

# A missing file among good ones: named, exit 2, every call still rebuilt.
check missing-among-good 2 -r "$t/flat" -r "$t/nonexistent.pcap"
grep -q "nonexistent.pcap" "$t/err" && ok "missing file named" || bad "missing file not named"

# Every compression calltap was built with, whole (exact records) and cut
# short (exit 2, the file named, the calls before the cut still written).
for z in gzip:gz xz:xz zstd:zst lz4:lz4; do
	tool=${z%%:*}; ext=${z#*:}
	command -v "$tool" >/dev/null 2>&1 || { echo "skip $tool: not installed"; continue; }
	"$CALLTAP" --version 2>&1 | grep -q "$tool" || { echo "skip $tool: not built in"; continue; }
	"$tool" -q -c "$t/all.pcap" >"$t/all.pcap.$ext" 2>/dev/null || "$tool" -c "$t/all.pcap" >"$t/all.pcap.$ext"
	check "compressed-$tool" 0 -r "$t/all.pcap.$ext"
	# the same on standard input (a pipe: its first bytes cannot be read twice)
	check "compressed-$tool-stdin" 0 -r - <"$t/all.pcap.$ext"
	check_pipe "compressed-$tool-pipe" "cat '$t/all.pcap.$ext'"
	# a writer that pauses inside the first bytes
	check_pipe "compressed-$tool-slow-pipe" \
	    "head -c 3 '$t/all.pcap.$ext'; sleep 0.3; tail -c +4 '$t/all.pcap.$ext'"
	size=$(wc -c <"$t/all.pcap.$ext")
	head -c $((size / 2)) "$t/all.pcap.$ext" >"$t/cut.pcap.$ext"
	"$CALLTAP" --json "$t/cut.jsonl" -r "$t/cut.pcap.$ext" >/dev/null 2>"$t/err"
	st=$?
	if [ $st -eq 2 ] && grep -q "cut.pcap.$ext" "$t/err" && grep -Eq "ends early|truncated" "$t/err" &&
	    [ -s "$t/cut.jsonl" ]; then ok "$tool cut short: exit 2, named, $(wc -l <"$t/cut.jsonl") calls kept"
	else bad "$tool cut short: exit $st"; fi
done

# A plain capture through a pipe still reads (its first bytes handed back).
check_pipe plain-pipe "cat '$t/all.pcap'"
check_pipe plain-slow-pipe "head -c 3 '$t/all.pcap'; sleep 0.3; tail -c +4 '$t/all.pcap'"

# A bad filter: one message, not one per file; nothing read.
"$CALLTAP" --json "$t/f.jsonl" -r "$t/flat" 'udp portt 5060' >/dev/null 2>"$t/err"
st=$?
n=$(grep -c "bad filter" "$t/err")
if [ $st -eq 2 ] && [ "$n" -eq 1 ]; then ok "bad filter reported once"
else bad "bad filter: exit $st, $n messages"; fi

# A filter after globbed files is still a filter.
# shellcheck disable=SC2046
"$CALLTAP" --json "$t/g.jsonl" -r $(ls "$t"/flat/trunk.pcap* | LC_ALL=C sort) udp port 5060 >/dev/null 2>"$t/err"
st=$?
n=$(wc -l <"$t/g.jsonl")
if [ $st -eq 0 ] && [ "$n" -gt 0 ]; then ok "filter after globbed files ($n calls)"
else bad "filter after globbed files: exit $st, $n calls"; fi

# A gap in one stream: a call left ringing at the end of one capture, and
# the same call (its Call-ID, branch and tags: SIPp numbers calls from 1 on
# every run) in another capture 200 days later, read as one folder.  The
# gap's expiry must end the first call before the later frames are
# applied: two records, the later one as when read alone (but its caller's
# history), the first one with its own start and no answer.  (A clock that
# held the jump's first frames and ran them before the expiry gave them to
# the first call.)
cap=$srcdir/pcaps/sipp-answered-caller-bye.pcap
mkdir -p "$t/gap"
editcap -r "$cap" "$t/gap/a.pcap" 1-3 >/dev/null 2>&1 &&
    editcap -t $((200 * 86400)) "$cap" "$t/gap/b.pcap" >/dev/null 2>&1 ||
    { echo "FAIL editcap (gap)"; exit 1; }
"$CALLTAP" -q -r "$t/gap/b.pcap" --json "$t/gap-b.json" 2>/dev/null
"$CALLTAP" -q -r "$t/gap/a.pcap" --json "$t/gap-a.json" 2>/dev/null
"$CALLTAP" -q -r "$t/gap" --json "$t/gap-dir.json" 2>"$t/err"
if why=$(python3 - "$t/gap-a.json" "$t/gap-b.json" "$t/gap-dir.json" 2>&1 <<'PY'
import json, sys
a, b, d = ([json.loads(l) for l in open(p)] for p in sys.argv[1:])
history = ('first_call', 'repeat_count', 'callback_s', 'callback_of')
if len(a) != 1 or len(b) != 1 or len(d) != 2:
    sys.exit('%d, %d and %d records, want 1, 1, 2' % (len(a), len(b), len(d)))
first = [r for r in d if r['start_time'] == a[0]['start_time']]
later = [r for r in d if r['start_time'] == b[0]['start_time']]
if len(first) != 1 or len(later) != 1:
    sys.exit('start times %s, want %s and %s' % ([r['start_time'] for r in d],
             a[0]['start_time'], b[0]['start_time']))
for k in ('call_id', 'caller', 'callee', 'answer_time', 'final_code'):
    if first[0][k] != a[0][k]:
        sys.exit('first call: %s %r, want %r' % (k, first[0][k], a[0][k]))
for k in b[0]:
    if k not in history and later[0][k] != b[0][k]:
        sys.exit('later call: %s %r, want %r' % (k, later[0][k], b[0][k]))
if later[0]['first_call'] is not False:
    sys.exit('later call: first_call %r, want false' % later[0]['first_call'])
PY
); then
	ok "a call 200 days after the same Call-ID left ringing: its own record, exact"
else
	bad "a call 200 days after the same Call-ID left ringing: $why"
fi

echo "inputs: $pass passed, $fail failed"
[ $fail -eq 0 ]
