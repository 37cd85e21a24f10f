#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# --threads N gives the records of one thread (issue 16, "Several cores"):
# every bundled capture (pcaps/*.pcap*), generated trunk captures (TCP,
# fragments, VLANs, IPv6, split segments, loss and jitter; PBX legs and
# transfers; attack mixes of tests/attacks.py) and a recording run, each
# with --threads 1, 2, 3 and 4, must give byte for byte the same JSON
# records, orphan streams, CSV rows, SQLite rows (calls, streams,
# intervals), recordings and --stats counters.  The batch size of the
# pipeline is cut (CALLTAP_PIPELINE_FRAMES) so that small captures cross
# many batch boundaries and the ring wraps: 1 frame with 2 threads, 7 with
# 3, the default (256) with 4.
# THREADS_QUICK=1 skips the generated captures.
. "$(dirname "$0")/lib.sh"

t=$(mktemp -d "${TMPDIR:-/tmp}/calltap-threads.XXXXXX")
trap 'rm -rf "$t"' EXIT INT TERM

# run NAME N [args...]: one run into $t/NAME.N/, its comparable outputs in $t/NAME.N/all
run() {
	name=$1 n=$2
	shift 2
	d=$t/$name.$n
	rm -rf "$d"
	mkdir -p "$d"
	case $n in 2) frames=1 ;; 3) frames=7 ;; *) frames= ;; esac
	set -- "$@"
	[ -n "${audio:-}" ] && set -- "$@" --audio "$d/audio" --recording-base "$d"
	CALLTAP_PIPELINE_FRAMES=$frames "$CALLTAP" -q --threads "$n" --sensor s --json "$d/r.json" \
	    --orphans "$d/o.json" --csv "$d/r.csv" --db "$d/c.db" -s "$@" \
	    2>"$d/err" >/dev/null
	echo "status $?" >"$d/all"
	if grep -q -e 'Sanitizer' -e 'runtime error' -e 'ThreadSanitizer' "$d/err"; then
		bad "threads $name: sanitizer report with --threads $n"
		sed 's/^/     | /' "$d/err" | head -30
	fi
	for f in r.json o.json r.csv; do
		echo "== $f" >>"$d/all"
		cat "$d/$f" >>"$d/all" 2>/dev/null
	done
	for q in "select * from calls order by id" "select * from rtp_streams order by rowid" \
	    "select * from rtp_intervals order by rowid"; do
		echo "== $q" >>"$d/all"
		sqlite3 "$d/c.db" "$q" >>"$d/all" 2>&1
	done
	echo "== stats" >>"$d/all"
	grep -v -e 'output_queue_peak' -e 'output_queue_waits' -e '^threads:' "$d/err" >>"$d/all"
	if [ -d "$d/audio" ]; then
		echo "== audio" >>"$d/all"
		(cd "$d/audio" && find . -type f | LC_ALL=C sort | xargs -r sha256sum) >>"$d/all"
	fi
}

# same NAME [args...]: --threads 2, 3, 4 against --threads 1
same() {
	name=$1
	shift
	run "$name" 1 "$@"
	case $name in
	gen-*|mix-*)   # the generated captures must give records (a sanity check of the run)
		if ! grep -q '^{' "$t/$name.1/r.json" 2>/dev/null; then
			bad "threads $name: no record with one thread"
			return
		fi ;;
	esac
	for n in 2 3 4; do
		run "$name" "$n" "$@"
		if cmp -s "$t/$name.1/all" "$t/$name.$n/all"; then
			ok "threads $name: --threads $n = --threads 1"
		else
			bad "threads $name: --threads $n differs from --threads 1"
			diff "$t/$name.1/all" "$t/$name.$n/all" | head -20 | sed 's/^/     | /'
		fi
	done
}

# out of range: refused at start-up, nothing read
for n in 0 65 x; do
	"$CALLTAP" --threads "$n" -q -r "$srcdir/pcaps/sipp-many.pcap" --json - >"$t/out" 2>"$t/err"
	if [ $? -eq 1 ] && grep -q -e '--threads wants a whole number from 1 to 64' "$t/err" &&
	    [ ! -s "$t/out" ]; then
		ok "threads: --threads $n refused"
	else
		bad "threads: --threads $n not refused"
	fi
done

for p in "$srcdir"/pcaps/*.pcap*; do
	same "$(basename "$p")" "$p"
done
# Several files as one stream; recordings.
same multi-input "$srcdir/pcaps/sipp-many.pcap" "$srcdir/pcaps/sipp-tcp.pcap" \
    "$srcdir/pcaps/etakerim-whole-call.pcap"
audio=1
same audio-sipp "$srcdir/pcaps/sipp-answered-caller-bye.pcap"
same audio-g729 "$srcdir/pcaps/lundgrel-sip-rtp-g729a.pcap"
audio=

if [ "${THREADS_QUICK:-0}" != 1 ] && command -v python3 >/dev/null 2>&1; then
	gen() {
		"$srcdir/scripts/gen-calls" -q "$@" 2>"$t/gen.err" ||
		    { bad "threads: gen-calls $* failed"; cat "$t/gen.err"; }
	}
	gen -o "$t/trunk.pcap" --truth "$t/trunk.truth" --calls 300 --concurrency 60 --seed 16 \
	    --talk-mean 4 --tcp-share 0.2 --frag-share 0.1 --vlan-share 0.1 --ipv6-share 0.1 \
	    --split-share 0.2 --loss 1 --jitter-ms 30
	same gen-trunk "$t/trunk.pcap"
	audio=1
	same gen-trunk-audio "$t/trunk.pcap" -c 20000
	audio=
	gen -o "$t/pbx.pcap" --truth "$t/pbx.truth" --calls 120 --concurrency 20 --seed 17 --pbx
	same gen-pbx "$t/pbx.pcap" --home 10.0.0.0/8
	for a in sdp-hijack:20 forged-bye:40 rtp-flood:20000 invite-flood:20000 collide-media:2000 \
	    update-storm:2000; do
		scale=${a#*:} a=${a%:*}
		if python3 "$srcdir/tests/attacks.py" mix --scale "$scale" --seed 3 -o "$t/mix-$a.pcap" \
		    "$a" "$t/trunk.pcap" "$t/trunk.truth" >"$t/gen.err" 2>&1; then
			same "mix-$a" "$t/mix-$a.pcap"
		else
			bad "threads: attacks.py mix $a failed"
			cat "$t/gen.err"
		fi
	done
fi

echo "threads: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
