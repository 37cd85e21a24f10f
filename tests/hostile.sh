#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Hostile captures (tests/hostile.py): every bundled capture cut short at
# several offsets and bit-flipped in its packet data (fixed PRNG seed), a
# SIP-over-TCP slowloris and an IP fragment flood.  calltap must never crash
# (status < 128, no sanitizer report), must exit 0 or 2, and must write
# nothing on stdout but JSON objects, one per line (--json -).  Under a
# non-ASan build the two floods must also stay below a peak RSS limit:
#
#   slowloris  4000 TCP streams each sending 48 KiB of a SIP header that
#              never ends (188 MiB held if nothing were dropped; 298 MB RSS
#              before the reassembler had a total budget).  By design the
#              TCP buffers stay under 64 MiB (128 x (max_buffer +
#              max_ooo_bytes)), plus ~150 bytes per direction and the
#              process baseline (14 MiB measured on a small capture):
#              limit 128 MiB, which leaves room for allocator slack.
#   fragflood  100000 never-completed IPv4 fragments of 1400 bytes, half of
#              them at offset 62400 (140 MB of payload).  By design at most
#              16 MiB and 4096 datagrams are held, plus the baseline:
#              limit 48 MiB.
#
# Attack mixes (tests/attacks.py; `python3 tests/attacks.py list`): each
# attack of issue 9 is mixed into one generated legitimate capture
# (scripts/gen-calls, 80 calls with TCP, fragments, VLANs and IPv6) and run
# with every output on (--json --csv --db --audio).  For each mix: calltap
# exits 0 (no crash, not killed after HOSTILE_TIMEOUT s), no sanitizer report,
# every legitimate call's record is exact (scripts/compare-truth
# --ignore-extra: the attack's own records are not judged), and, in a
# non-ASan build, peak RSS stays under 512 MiB (the issue's bound at default
# limits; for long-fields and update-storm, whose harm is memory per call or
# per message, under the legit run's RSS + 48 MiB; for sdp-flood and
# fork-flood, which fill the memory budget of the calls at this scale only
# when it is small, run with --max-call-memory 8, likewise), the mix runs at no less
# than 1/20 of the legit capture's packet rate (CPU time: a flood of SIP
# requests costs a SIP parse and, with every output on, a record each, about
# 50 us with --db, against about 1 us for the legit capture's RTP;
# scripts/bench --hostile reports every mix against the issue's 1/5), and a
# CPU attack (collide*, many-headers, tcp-10byte, tcp-ooo, ssrc-churn: attacks.py
# CONTROLLED) costs at most 2x + 0.25 s the CPU time of its harmless twin
# (attacks.py mix --control: same packets, bytes and records, without the
# colliding keys, the header count, the short lines or the disorder).
# Per-attack
# checks: rtp-flood's loud stream (full-scale square wave from a foreign
# source to a real call's PBX port) must not reach that call's recording
# (peak below 16000; the legit RTP is u-law silence); pt-switch and
# pcapng-ts calls must each get a record; sdp-hijack and forged-bye (in-dialog
# messages with the Call-ID and tags of legit calls, from a stranger's address)
# must each be counted in sip_foreign_in_dialog, and the hijacker's RTCP in
# rtcp_foreign, its RTP streams listed in --orphans with injected_into;
# forged-resp's responses (a stranger's 486 or 200 to a ringing call's
# INVITE, 200 to a CANCEL or BYE never sent, its own Via branch) must each
# be counted foreign and change no call;
# reuse-callid's initial INVITEs (a stranger's, in a legit call's Call-ID,
# just after its end or between its 401/407 and the retried INVITE) must
# each be counted foreign and open no call;
# answered-stranger's requests (a stranger's BYE or copy of a ringing
# call's INVITE) and the callee side's 500 or 482 refusing them, sent to
# the stranger, must each be counted foreign and change no call;
# tunnel-spoof's BYEs and RTP (VXLAN, GTP-U, GRE, IP-in-IP from a stranger,
# the legit call's own addresses inside) must each be counted foreign
# (sip_foreign_in_dialog) or injected (rtp_injected);
# bye-wrong-tag's BYEs (the caller's address, the Call-ID, tags not of the
# dialog) must each be held and refused by the PBX's 481 (sip_byes_rejected);
# bye-stale-cseq's BYEs (the caller's address and the dialog's tags, a
# CSeq not above the INVITE's) likewise, refused by the PBX's 500, and
# bye-long-clen's (of the dialog, in a datagram that ends before its
# Content-Length) by its 400;
# cancel-wrong's CANCELs (the caller's address, the Call-ID, not of the
# INVITE's transaction: another Via branch or From tag) must each be
# ignored (sip_cancels_ignored), the calls failing or cancelled as they did;
# ack-spoof's ACKs (the caller's address, From tag and INVITE's CSeq, a
# Via branch of their own, while the call rings) must answer no call;
# reinvite-refused's offers (a re-INVITE or UPDATE from the caller's
# address with a To tag not of the dialog, refused with 481) must each be
# ignored (sip_sdp_ignored) and the attacker's RTP injected (rtp_injected),
# as answer-unasked's (a 200 with SDP to a re-INVITE or UPDATE nobody sent,
# from the callee's address with the dialog's tags);
# resp-unseen's responses (a 200 to a BYE or CANCEL nobody sent, from a
# party's address with the dialog's tags) and inv-resp-spoof's (a 486, 200
# or 603 to a ringing call's INVITE from the callee's address, a Via branch
# of their own) must each be ignored (sip_responses_unmatched);
# media-claim's calls (the attacker's own, whose SDP offers name a legit
# caller's media address and port) must each be recorded without a stream;
# tcp-spoof's forged RST, FIN and data segments (guessed sequence and
# acknowledgment numbers on the legit SIP/TCP connections' 4-tuples) must
# each be refused (tcp_refused) and its forged INVITEs never recorded;
# frag-flood's fragments must each be refused past 65,535 bytes
# (frag_too_big) or evicted by the reassembler's limits (frag_limit), and
# never make a record, while the legit capture's fragmented INVITEs still
# reassemble.
# HOSTILE_ATTACKS="a b ..." runs only those mixes (names: python3 tests/attacks.py list).
#
# Prints "hostile: N passed, N failed".
. "$(dirname "$0")/lib.sh"
SLOW_RSS_KB=131072
FRAG_RSS_KB=49152
if ! command -v python3 >/dev/null 2>&1; then
	echo "skip: python3 is needed to make the hostile captures"
	exit 77
fi
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
mkdir "$t/in" "$t/out" "$t/audio"
# Here $t/err holds each run's stderr for its verdict, not a failure to show.
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# Status and stderr of one run ($1 status, $2 stderr file); empty when fine.
verdict() {
	if [ "$1" -ge 128 ]; then
		echo "killed by signal $(($1 - 128))"
	elif [ "$1" -ne 0 ] && [ "$1" -ne 2 ]; then
		echo "exit status $1 (want 0 or 2)"
	elif grep -qE 'Sanitizer|runtime error:' "$2"; then
		grep -m1 -E 'Sanitizer|runtime error:' "$2"
	fi
}

# Field $2 of the --info JSON of mix $1 ("" when missing).
info_get() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' \
	    "$t/mix/$1.info" "$2" 2>/dev/null
}

for pcap in "$srcdir"/pcaps/*.pcap "$srcdir"/pcaps/*.pcapng; do
	[ -f "$pcap" ] || continue
	name=$(basename "$pcap")
	python3 "$srcdir/tests/hostile.py" mutate "$pcap" "$t/in" 1 || { bad "$name: mutate failed"; continue; }
	why=
	n=0
	for f in "$t/in/$name".*; do
		m=$(basename "$f")
		"$CALLTAP" -r "$f" --json - --audio "$t/audio" >"$t/out/$m.jsonl" 2>"$t/err"
		w=$(verdict $? "$t/err")
		[ -n "$w" ] && why="$why
     $m: $w"
		n=$((n + 1))
		rm -f "$f" "$t/audio"/*
	done
	if [ -z "$why" ]; then ok "$name: $n truncated and bit-flipped copies"; else bad "$name:$why"; fi
done
if python3 "$srcdir/tests/hostile.py" checkjson "$t/out"/*.jsonl 2>"$t/err"; then
	ok "stdout holds only JSON objects ($(cat "$t/out"/*.jsonl | wc -l) lines)"
else
	bad "stdout is not JSON lines only: $(head -3 "$t/err")"
fi

asan=0
grep -qa '__asan_init' "$CALLTAP" && asan=1
measure() { # name limit-KB generator-args...
	label=$1 limit=$2
	shift 2
	if [ -x /usr/bin/time ]; then
		python3 "$srcdir/tests/hostile.py" "$@" |
		    /usr/bin/time -f %M -o "$t/rss" "$CALLTAP" -r - --json - -s >"$t/flood.out" 2>"$t/err"
	else
		python3 "$srcdir/tests/hostile.py" "$@" |
		    python3 "$srcdir/tests/hostile.py" rss "$t/rss" "$CALLTAP" -r - --json - -s >"$t/flood.out" 2>"$t/err"
	fi
	st=$?
	rss=$(tail -n 1 "$t/rss" 2>/dev/null)
	w=$(verdict $st "$t/err")
	if [ -z "$w" ] && [ -s "$t/flood.out" ]; then
		w="unexpected output: $(head -c 200 "$t/flood.out")"
	fi
	if [ -z "$w" ] && [ $asan -eq 0 ] && ! [ "${rss:-0}" -gt 0 ] 2>/dev/null; then
		w="peak RSS not measured"
	elif [ -z "$w" ] && [ $asan -eq 0 ] && [ "$rss" -gt "$limit" ]; then
		w="peak RSS $rss KB over the $limit KB limit"
	fi
	if [ -n "$w" ]; then
		bad "$label: $w"
		grep -E 'tcp_limit|frag_limit|frames' "$t/err" | sed 's/^/     | /'
	elif [ $asan -eq 1 ]; then
		ok "$label (ASan build: RSS not checked)"
	else
		ok "$label: peak RSS $rss KB (limit $limit KB)"
	fi
}
measure "slowloris, 4000 TCP streams x 48 KiB partial SIP header" $SLOW_RSS_KB slowloris 4000 49152
measure "fragment flood, 100000 fragments never completed" $FRAG_RSS_KB fragflood 100000

# ---- attack mixes
MIX_RSS_KB=524288
MIX_GROWTH_KB=49152
TIMEOUT=${HOSTILE_TIMEOUT:-300}
[ $asan -eq 1 ] && TIMEOUT=${HOSTILE_TIMEOUT:-1800}
A="$srcdir/tests/attacks.py"
mkdir "$t/mix"
# Runs calltap on pcap $1 (or - for stdin) with every output into $t/mix/$2.
# The memory budget of the calls (MiB) for the mixes that test it at this
# scale (sdp-flood, fork-flood: 8000 calls of up to 4 KB of state each).
MIX_CALL_MIB=8
run_all() {
	ra_in=$1 ra_d=$t/mix/$2
	shift 2
	case $ra_d in */sdp-flood|*/fork-flood) set -- --max-call-memory "$MIX_CALL_MIB" ;; esac
	rm -rf "$ra_d"
	mkdir -p "$ra_d/audio"
	python3 "$srcdir/tests/hostile.py" usage "$ra_d/use" "$TIMEOUT" \
	    "$CALLTAP" -r "$ra_in" --json "$ra_d/calls.jsonl" --csv "$ra_d/calls.csv" \
	    --db "$ra_d/calls.db" --audio "$ra_d/audio" --orphans "$ra_d/orphans.jsonl" \
	    -s "$@" 2>"$ra_d/err"
	st=$?
	echo $st >"$ra_d/status"
	return $st
}
if ! "$srcdir/scripts/gen-calls" -o "$t/legit.pcap" --truth "$t/legit.truth" -q \
    --calls 80 --concurrency 10 --talk-mean 8 --seed 11; then
	bad "gen-calls failed: no attack mix run"
else
	# The legit capture alone: best CPU time of three runs is the reference rate.
	lcpu=
	for i in 1 2 3; do
		run_all "$t/legit.pcap" legit
		st=$?
		set -- $(cat "$t/mix/legit/use")
		lrss=$1
		if [ -z "$lcpu" ] || awk "BEGIN { exit !($2 < $lcpu) }"; then lcpu=$2; fi
	done
	nlegit=$(grep -c . "$t/legit.truth")
	lpk=$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import attacks; print(sum(1 for _ in attacks.read_pcap(sys.argv[2])))' "$srcdir/tests" "$t/legit.pcap")
	w=$(verdict $st "$t/mix/legit/err")
	"$srcdir/scripts/compare-truth" "$t/legit.truth" "$t/mix/legit/calls.jsonl" >"$t/mix/legit/cmp" 2>&1 ||
	    w="$w $(tail -n 1 "$t/mix/legit/cmp")"
	if [ -n "$w" ]; then
		bad "legit capture alone: $w"
	else
		ok "legit capture alone: $lpk packets, $(tail -n 1 "$t/mix/legit/cmp" | sed 's/compare-truth: //'), cpu ${lcpu} s, peak RSS $lrss KB"
	fi
	for a in ${HOSTILE_ATTACKS:-$(python3 "$A" list | cut -d' ' -f1)}; do
		# A CPU attack's harmless twin (same packets, bytes and records).
		ccpu=
		case " $(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import attacks; print(" ".join(attacks.CONTROLLED))' "$srcdir/tests") " in
		*" $a "*)
			python3 "$A" mix "$a" "$t/legit.pcap" "$t/legit.truth" --control --info "$t/mix/$a.cinfo" |
			    run_all - "$a-control"
			[ "$(cat "$t/mix/$a-control/status")" = 0 ] && ccpu=$(cut -d' ' -f2 "$t/mix/$a-control/use")
			rm -rf "$t/mix/$a-control" ;;
		esac
		# Piped: no large capture on disk.  run_all keeps calltap's status.
		python3 "$A" mix "$a" "$t/legit.pcap" "$t/legit.truth" --info "$t/mix/$a.info" |
		    run_all - "$a"
		d="$t/mix/$a"
		why=
		[ -s "$t/mix/$a.info" ] || why="$why; generator failed"
		set -- $(cat "$d/use" 2>/dev/null) 0 0 0
		rss=$1 cpu=$2
		v=$(verdict "$(cat "$d/status")" "$d/err")
		[ -n "$v" ] && why="$why; $v"
		[ "$(cat "$d/status")" = 2 ] && why="$why; exit status 2"
		# Calls the attack rightly changes (info except_calls) are not compared.
		python3 -c 'import json, sys
for c in json.load(open(sys.argv[1])).get("except_calls", []):
    print(c)' "$t/mix/$a.info" >"$d/except" 2>/dev/null
		nexc=$(wc -l <"$d/except")
		"$srcdir/scripts/compare-truth" --ignore-extra --except-calls "$d/except" "$t/legit.truth" \
		    "$d/calls.jsonl" >"$d/cmp" 2>&1
		exact=$(tail -n 1 "$d/cmp" | sed 's/compare-truth: //')
		case $exact in "$((nlegit - nexc)) passed, 0 failed") ;; *) why="$why; legit calls: $exact (lines below)" ;; esac
		pk=$(info_get "$a" packets)
		if [ $asan -eq 0 ] && [ -z "$v" ]; then
			limit=$MIX_RSS_KB
			case $a in long-fields|update-storm|sdp-flood|fork-flood) limit=$((lrss + MIX_GROWTH_KB)) ;; esac
			[ "$rss" -gt "$limit" ] && why="$why; peak RSS $rss KB over $limit KB"
			ratio=$(awk "BEGIN { r = ($pk / ($cpu + 0.001)) / ($lpk / ($lcpu + 0.001)); printf \"%.2f\", r }")
			awk "BEGIN { exit !($ratio < 0.05) }" && why="$why; rate $ratio of the legit capture's (under 1/20)"
			if [ -n "$ccpu" ] && awk "BEGIN { exit !($cpu > 2 * $ccpu + 0.25) }"; then
				why="$why; cpu $cpu s against $ccpu s for its harmless twin (over 2x + 0.25 s)"
			fi
		else
			ratio=-
		fi
		case $a in
		rtp-flood)
			cid=$(info_get "$a" loud_call_id)
			wav=$(python3 -c 'import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("call_id") == sys.argv[2]: print(r.get("recording") or "")' "$d/calls.jsonl" "$cid" 2>/dev/null)
			if [ -z "$wav" ] || [ ! -f "$wav" ]; then
				why="$why; no recording for the call of the loud stream ($cid)"
			else
				peak=$(python3 "$A" wavpeak "$wav")
				[ "$peak" -ge 16000 ] && why="$why; injected stream recorded in $cid (peak $peak)"
			fi ;;
		sdp-hijack|forged-bye|forged-resp|answered-stranger|tunnel-spoof)
			# Every forged message counted as foreign; the hijacker's RTP
			# refused and listed as injected into its call, its RTCP foreign;
			# the tunnelled RTP refused, every packet injected.
			why="$why$(python3 - "$t/mix/$a.info" "$d/err" "$d/orphans.jsonl" <<'PY'
import json, sys
info = json.load(open(sys.argv[1]))
st = {}
for line in open(sys.argv[2]):
    f = line.split()
    if len(f) == 2 and f[1].isdigit():
        st[f[0]] = int(f[1])
out = []
if st.get('sip_foreign_in_dialog', 0) != info['foreign_msgs']:
    out.append('sip_foreign_in_dialog %d, %d forged' % (st.get('sip_foreign_in_dialog', 0),
                                                        info['foreign_msgs']))
if info['attack'] == 'sdp-hijack':
    if st.get('rtcp_foreign', 0) != info['rtcp']:
        out.append('rtcp_foreign %d, %d sent' % (st.get('rtcp_foreign', 0), info['rtcp']))
    marked = sum(1 for l in open(sys.argv[3]) if json.loads(l).get('injected_into'))
    if marked != 2 * info['calls']:
        out.append('%d orphan streams marked injected_into, want %d' % (marked, 2 * info['calls']))
if info['attack'] == 'tunnel-spoof' and st.get('rtp_injected', 0) != info['rtp']:
    out.append('rtp_injected %d, %d tunnelled' % (st.get('rtp_injected', 0), info['rtp']))
print(''.join('; ' + x for x in out), end='')
PY
)" ;;
		reuse-callid)
			# Every stranger's INVITE in a legit Call-ID foreign, none a call.
			want=$(info_get "$a" invites)
			got=$(awk '$1 == "sip_foreign_in_dialog" { print $2 }' "$d/err")
			[ "${got:-0}" -ne "${want:-1}" ] && why="$why; sip_foreign_in_dialog ${got:-0}, want $want"
			got=$(grep -c '"src_ip":"100\.' "$d/calls.jsonl" 2>/dev/null)
			[ "${got:-0}" -ne 0 ] && why="$why; $got records of the stranger's INVITEs" ;;
		media-claim)
			# The attacker's calls answered, none of them given a legit stream.
			got=$(python3 -c 'import json, sys
n = s = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("call_id", "").startswith("claim-"):
        n += 1
        s += len(r.get("streams") or [])
print(n, s)' "$d/calls.jsonl" 2>/dev/null)
			want=$(info_get "$a" calls)
			[ "$got" = "$want 0" ] || why="$why; attack calls and their streams: ${got:-none}, want $want 0" ;;
		bye-wrong-tag|bye-stale-cseq|bye-long-clen)
			# Every forged BYE held for its response and refused by the 481.
			n=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["calls"])' "$t/mix/$a.info")
			got=$(awk '$1 == "sip_byes_rejected" { print $2 }' "$d/err")
			[ "${got:-0}" -eq "$n" ] || why="$why; sip_byes_rejected ${got:-0}, $n forged BYEs refused" ;;
		reinvite-refused|answer-unasked)
			n=$(info_get "$a" forged_msgs)
			got=$(awk '$1 == "sip_sdp_ignored" { print $2 }' "$d/err")
			[ "${got:-0}" -eq "${n:-1}" ] || why="$why; sip_sdp_ignored ${got:-0}, $n forged SDP"
			n=$(info_get "$a" rtp)
			got=$(awk '$1 == "rtp_injected" { print $2 }' "$d/err")
			[ "${got:-0}" -eq "${n:-1}" ] || why="$why; rtp_injected ${got:-0}, $n sent" ;;
		resp-unseen|inv-resp-spoof)
			n=$(info_get "$a" calls)
			got=$(awk '$1 == "sip_responses_unmatched" { print $2 }' "$d/err")
			[ "${got:-0}" -eq "${n:-1}" ] || why="$why; sip_responses_unmatched ${got:-0}, $n forged responses" ;;
		cancel-wrong)
			# Every forged CANCEL (not of its INVITE's transaction) ignored.
			n=$(info_get "$a" calls)
			got=$(awk '$1 == "sip_cancels_ignored" { print $2 }' "$d/err")
			[ "${got:-0}" -eq "${n:-1}" ] || why="$why; sip_cancels_ignored ${got:-0}, $n forged CANCELs" ;;
		sdp-flood|fork-flood)
			# Every attack call recorded; the budget evicted some (the
			# rest linger as ghosts), counted.
			want=$(info_get "$a" scale)
			got=$(grep -c "\"call_id\":\"$a-" "$d/calls.jsonl" 2>/dev/null)
			[ "${got:-0}" -ne "$want" ] && why="$why; $got of $want attack call records"
			ev=$(awk '$1 == "calls_evicted_for_memory" { print $2 }' "$d/err")
			[ "${ev:-0}" -gt 0 ] || why="$why; no call evicted for memory (--max-call-memory $MIX_CALL_MIB)" ;;
		indialog-flood|resp-flood|tcp-conn-flood|ood-flood)
			# No call of its own: nothing recorded; each in-dialog request or
			# response of no call dropped as an unproven call in progress.
			pre=$(case $a in indialog-flood) echo indlg- ;; resp-flood) echo resp- ;;
			    ood-flood) echo ood- ;; *) echo tcp-conn- ;; esac)
			got=$(grep -c "\"call_id\":\"$pre" "$d/calls.jsonl" 2>/dev/null)
			[ "${got:-0}" -ne 0 ] && why="$why; $got records of the attack's messages"
			if [ $a = indialog-flood ] || [ $a = resp-flood ]; then
				want=$(info_get "$a" scale)
				disc=$(awk '$1 == "calls_partial_discarded" { print $2 }' "$d/err")
				[ "${disc:-0}" -ne "$want" ] && why="$why; calls_partial_discarded ${disc:-0}, want $want"
			fi ;;
		many-m)
			# Each call recorded; what it announced past the caps refused, counted.
			want=$(info_get "$a" scale)
			got=$(grep -c '"call_id":"many-m-' "$d/calls.jsonl" 2>/dev/null)
			[ "${got:-0}" -ne "$want" ] && why="$why; $got of $want attack call records"
			ref=$(awk '$1 == "rtp_endpoints_refused" { print $2 }' "$d/err")
			[ "${ref:-0}" -gt 0 ] || why="$why; no refused endpoint counted" ;;
		frag-flood)
			# Nothing completes: no record; every piece past 65,535 bytes
			# refused, and the table's limits evicted datagrams.
			got=$(grep -c '"call_id":"frag-flood-' "$d/calls.jsonl" 2>/dev/null)
			[ "${got:-0}" -ne 0 ] && why="$why; $got records of the attack's fragments"
			want=$(info_get "$a" scale)
			want=$(( ${want:-0} / 4 ))
			big=$(awk '$1 == "event" && $2 == "frag_too_big" { print $3 }' "$d/err")
			[ "${big:-0}" -ne "$want" ] && why="$why; frag_too_big ${big:-0}, want $want"
			lim=$(awk '$1 == "event" && $2 == "frag_limit" { print $3 }' "$d/err")
			[ "${lim:-0}" -gt 0 ] || why="$why; no datagram evicted by the reassembler's limits" ;;
		tcp-spoof)
			# Every forged RST, FIN and data segment refused (its SYNs are
			# candidates that nothing proves), none of its SIP recorded.
			want=$(info_get "$a" refusable)
			got=$(awk '$1 == "tcp_refused" { print $2 }' "$d/err")
			[ "${got:-0}" -ne "${want:-1}" ] && why="$why; tcp_refused ${got:-0}, want $want"
			got=$(grep -c '"call_id":"tcp-spoof-' "$d/calls.jsonl" 2>/dev/null)
			[ "${got:-0}" -ne 0 ] && why="$why; $got records of the forged INVITEs" ;;
		frag-dup)
			# Each changed copy ignored as a duplicate, its bytes counted.
			want=$(info_get "$a" copies)
			got=$(awk '$1 == "event" && $2 == "frag_dup_differs" { print $3 }' "$d/err")
			[ "${got:-0}" -ne "${want:-1}" ] && why="$why; frag_dup_differs ${got:-0}, want $want" ;;
		ssrc-spoof)
			# Every spoofed packet refused as an SSRC collision.
			want=$(info_get "$a" rtp)
			got=$(awk '$1 == "rtp_ssrc_collisions" { print $2 }' "$d/err")
			[ "${got:-0}" -eq "${want:--1}" ] || why="$why; rtp_ssrc_collisions ${got:-0}, $want sent" ;;
		rtp-lone|rtp-pair|rtp-trail)
			# The targets' quality figures are those of the legit capture
			# alone (the spoofed packets count only in out_of_order).
			why="$why$(python3 - "$t/mix/$a.info" "$t/mix/legit/calls.jsonl" "$d/calls.jsonl" <<'PY'
import json, sys
targets = json.load(open(sys.argv[1]))['targets']
def load(p):
    return {r['call_id']: r for r in map(json.loads, open(p))}
base, got = load(sys.argv[2]), load(sys.argv[3])
bad = [c for c in targets if c not in got or any(
    base[c][k] != got[c][k] for k in ('mos_min', 'loss_pct_max', 'jitter_max_ms', 'rtp_packets'))]
if not targets:
    print('; no call targeted')
elif bad:
    print('; %d of %d targets changed in quality, e.g. %s' % (len(bad), len(targets), bad[0]))
PY
)" ;;
		span-dup)
			# The RTP copies are counted as such (the SIP ones are
			# retransmissions), and no stream counts them.
			want=$(info_get "$a" copies)
			got=$(awk '$1 == "rtp_span_copies" { print $2 }' "$d/err")
			{ [ "${got:-0}" -ge 1 ] && [ "${got:-0}" -lt "${want:-0}" ]; } ||
			    why="$why; rtp_span_copies ${got:-0} of $want frames copied" ;;
		frag-tail)
			# Each datagram with a forged tail is refused (rebuilt: UDP
			# length or checksum; else its legit end), and nothing of the
			# attacker reaches a record.
			want=$(info_get "$a" tails)
			got=$(awk '$1 == "event" && ($2 == "udp_bad_len" || $2 == "udp_bad_checksum" ||
			    $2 == "frag_too_big") { n += $3 } END { print n + 0 }' "$d/err")
			[ "$got" -ne "${want:-1}" ] && why="$why; $got datagrams refused, want $want"
			got=$(grep -c -e '19005550199' -e '100\.124\.' "$d/calls.jsonl" 2>/dev/null)
			[ "${got:-0}" -ne 0 ] && why="$why; $got records with the attacker's number or RTP" ;;
		ts-outlier)
			# Each pair dated ahead is an outlier the clock did not follow.
			want=$(info_get "$a" ahead)
			got=$(awk '$1 == "time_jumps_ignored" { print $2 }' "$d/err")
			[ "${got:-0}" -ne "${want:-1}" ] && why="$why; time_jumps_ignored ${got:-0}, want $want" ;;
		pt-switch|pcapng-ts)
			want=1
			[ $a = pt-switch ] && want=$(info_get "$a" scale)
			got=$(grep -c "\"call_id\":\"$a-" "$d/calls.jsonl" 2>/dev/null)
			[ "${got:-0}" -ne "$want" ] && why="$why; $got of $want attack call records" ;;
		esac
		facts="$pk packets, cpu $cpu s${ccpu:+ (twin $ccpu s)}, rate ${ratio} x legit, peak RSS $rss KB"
		if [ -z "$why" ]; then
			ok "mix $a: legit $exact; $facts"
		else
			fail=$((fail + 1))
			echo "FAIL mix $a: ${why#; }; $facts"
			case $exact in "$nlegit passed, 0 failed") ;; *)
				grep -v -E '^note:|^[^ ]+: not in truth$' "$d/cmp" | head -n 5 | sed 's/^/     | /' ;;
			esac
			grep -m 3 -E 'Sanitizer|runtime error:' "$d/err" | sed 's/^/     | /'
		fi
		rm -rf "$d/audio" "$d/calls.db" "$d/calls.csv"
	done
fi
echo "hostile: $pass passed, $fail failed"
[ $fail -eq 0 ]
