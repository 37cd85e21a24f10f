#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# --hep-listen against a real HEP agent: Debian's Kamailio, started here on
# loopback (tests/kamailio-hep.cfg, in a temporary directory, as the
# current user) as a proxy between a SIPp UAC and a SIPp UAS, its siptrace
# module mirroring every SIP message it receives and sends as HEP v3 (with
# an auth key) to calltap --hep-listen.  dumpcap sniffs the same SIP
# traffic on lo (the proxy's and the UAS's ports); calltap -r on that
# capture and the collector must give the same records: the same calls,
# every SIP field equal, times within 0.5 s (Kamailio stamps a message when
# it handles it, the kernel when it passes lo: well under a millisecond
# apart on an idle machine, tens of ms on a loaded one).  SIP calls over
# UDP and over TCP, answered, busy, cancelled, forked in parallel to two
# UASes (one answers, the proxy cancels the other) and serially (the first
# refuses, the second answers): one record each, answered; and challenged
# 407 by the UAS, then answered with credentials.  Kamailio sends HEP over
# UDP, then (a second run) TCP.
# Skipped (77) without kamailio, sipp or dumpcap, or when lo cannot be
# sniffed.
. "$(dirname "$0")/lib.sh"
PATH=$PATH:/usr/sbin:/sbin   # kamailio lives in sbin
for c in kamailio sipp dumpcap python3; do
	command -v "$c" >/dev/null 2>&1 || { echo "SKIP: no $c"; exit 77; }
done
mpath=$(find /usr/lib /usr/lib64 /usr/local/lib -name siptrace.so -path '*kamailio*' 2>/dev/null | head -1)
[ -n "$mpath" ] || { echo "SKIP: no kamailio siptrace module"; exit 77; }
mpath=$(dirname "$mpath")
t=$(mktemp -d) || exit 1
col=''
kam=''
cap=''
uas=''
uas2=''
# Each process this test started, by its id only.
cleanup() {
	for p in $uas $uas2 $cap $kam $col; do
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.3
	for p in $uas $uas2 $cap $kam $col; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$t"
}
trap cleanup EXIT

# Free ports on 127.0.0.1 (UDP and TCP), one per word.
ports=$(python3 -c '
import socket
out, keep = [], []
while len(out) < 4:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    keep += [u, s]
    out.append(str(p))
print(" ".join(out))')
# shellcheck disable=SC2086
set -- $ports
kport=$1 uasport=$2 uacport=$3 uas2port=$4

# round udp|tcp: the whole run, with Kamailio sending HEP over that transport.
round() {
htp=
[ "$1" = tcp ] && htp=";transport=tcp"
# The collector, on a port of its own.
rm -f "$t/hep.json" "$t/lo.pcap" "$t/lo.json" "$t/hep.pcap"
# -w: the messages as the collector took them (after its reorder buffer),
# for the diagnosis below when the records differ.
"$CALLTAP" -s --hep-listen 127.0.0.1:0 --hep-password s3cret --json "$t/hep.json" \
    -w "$t/hep.pcap" 2>"$t/l.err" &
col=$!
i=0
hport=
while [ -z "$hport" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
	hport=$(sed -n 's/^calltap: hep: listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$t/l.err")
done
[ -n "$hport" ] || { cat "$t/l.err"; echo "FAIL the collector did not start"; exit 1; }

sed -e "s|@KPORT@|$kport|g; s|@UASPORT@|$uasport|g; s|@UAS2PORT@|$uas2port|g" \
    -e "s|@HEPPORT@|$hport|g" \
    -e "s|@HEPKEY@|s3cret|g; s|@MPATH@|$mpath/|g; s|@HEPTRANSPORT@|$htp|g" \
    "$srcdir/tests/kamailio-hep.cfg" >"$t/k.cfg"
if ! kamailio -c -f "$t/k.cfg" >"$t/k.check" 2>&1; then
	cat "$t/k.check"
	echo "FAIL kamailio refuses tests/kamailio-hep.cfg"
	exit 1
fi

# Sniffer first, so that it sees the proxy's first packet.
dumpcap -q -i lo -f "(port $kport or port $uasport or port $uas2port) and not port $hport" \
    -w "$t/lo.pcap" \
    2>"$t/d.err" &
cap=$!
i=0
while [ ! -s "$t/lo.pcap" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if [ ! -s "$t/lo.pcap" ]; then
	cat "$t/d.err"
	echo "SKIP: cannot capture on lo"
	exit 77
fi
sleep 0.5

kamailio -f "$t/k.cfg" -DD -E -w "$t" -Y "$t" -P "$t/k.pid" -m 32 -M 8 >"$t/k.log" 2>&1 &
kam=$!
# Ready once its UDP port is taken.
i=0
while [ $i -lt 100 ] && python3 -c 'import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).bind(("127.0.0.1", int(sys.argv[1])))' "$kport" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.5
kill -0 "$kam" 2>/dev/null || { cat "$t/k.log"; echo "FAIL kamailio did not start"; exit 1; }

# calls TRANSPORT N [KIND]: N calls UAC -> Kamailio -> UAS over u1 (UDP) or t1
# (TCP).  Answered (SIPp's built-in scenarios: INVITE, 100, 180, 200, ACK, a
# pause, BYE, 200), or with KIND busy (the UAS refuses 486, the proxy ACKs
# it and sends it on), cancel (the caller gives up while it rings: the
# proxy answers the CANCEL, sends one of its own downstream, 487 both ways)
# or auth (the UAS challenges 407, the caller sends the INVITE again with
# credentials, CSeq 2, answered): pcaps/gen's scenarios.  Or fork: calls
# to 5550000, which the proxy forks in parallel to the answering UAS and
# to a second one that rings until the proxy cancels its branch
# (pcaps/gen/uas-cancel.xml); or serial: calls to 5550001, which the proxy
# sends to a second UAS that refuses them 486 (pcaps/gen/uas-busy.xml),
# then to the answering one (both UDP only).
calls() {
	svc=5551234
	case ${3:-} in
	'') sas="-sn uas" sac="-sn uac" ;;
	fork|serial)
		sas="-sn uas" sac="-sn uac" svc=5550000 s2=cancel
		[ "$3" = serial ] && svc=5550001 s2=busy
		(cd "$t" && exec sipp -sf "$srcdir/pcaps/gen/uas-$s2.xml" -i 127.0.0.1 \
		    -p "$uas2port" -t "$1" -nostdin >"$t/uas2.out" 2>&1) &
		uas2=$! ;;
	*) sas="-sf $srcdir/pcaps/gen/uas-$3.xml" sac="-sf $srcdir/pcaps/gen/uac-$3.xml" ;;
	esac
	# shellcheck disable=SC2086
	(cd "$t" && exec sipp $sas -i 127.0.0.1 -p "$uasport" -t "$1" -nostdin \
	    >"$t/uas.out" 2>&1) &
	uas=$!
	sleep 0.5
	# shellcheck disable=SC2086
	(cd "$t" && timeout 120 sipp $sac "127.0.0.1:$kport" -s "$svc" -i 127.0.0.1 \
	    -p "$uacport" -t "$1" -m "$2" -r 10 -d 200 -nostdin >"$t/uac.out" 2>&1)
	rc=$?
	sleep 0.5
	kill -TERM "$uas" $uas2 2>/dev/null
	wait "$uas" $uas2 2>/dev/null
	uas='' uas2=''
	return $rc
}

# sipstat TRANSPORT: SIPp's failed calls are the test machine's, not
# calltap's (on a loaded CI machine a UDP retransmission now and then ends
# a call early): noted, and both sides' records still compared; no call
# succeeding at all fails.
sipstat() {
	okc=$(sed -n 's/^ *Successful call *| *[0-9]* *| *\([0-9]*\).*/\1/p' "$t/uac.out" | tail -1)
	if [ "${okc:-0}" -gt 0 ]; then
		echo "note SIPp over $1: $okc successful calls, some failed (loaded machine); compared anyway"
	else
		tail -20 "$t/uac.out"
		bad "SIPp calls over $1 through kamailio failed"
	fi
}
# The failures first: Kamailio retransmits a cancelled call's 487 for a
# while after the caller's ACK; they are on the wire and traced well before
# the end of the run.
calls u1 3 cancel || sipstat "UDP (cancel)"
calls t1 3 busy || sipstat "TCP (busy)"
calls u1 3 fork || sipstat "UDP (forked)"
calls u1 3 serial || sipstat "UDP (serial)"
calls t1 2 auth || sipstat "TCP (auth)"
calls u1 10 || sipstat UDP
calls t1 5 || sipstat TCP
sleep 0.5
kill -TERM "$kam"
wait "$kam"
kam=
kill -TERM "$cap"
wait "$cap"
cap=
sleep 0.3
kill -TERM "$col"
wait "$col"
crc=$?
col=

"$CALLTAP" -q -s --json "$t/lo.json" -r "$t/lo.pcap" 2>"$t/r.err"

counter() { sed -n "s/^  $1 *//p" "$2"; }

# The INVITE responses as the collector took them: call, status (for the
# ring that Kamailio stamped after the answer, below).
tshark -r "$t/hep.pcap" -Y 'sip.Status-Code && sip.CSeq.method == "INVITE"' -T fields \
    -E separator=' ' -e sip.Call-ID -e sip.Status-Code >"$t/hep.resp" 2>/dev/null

python3 - "$t/lo.json" "$t/hep.json" "$t/hep.resp" >"$t/cmp" <<'EOF'
import json, sys
from datetime import datetime
exact = ("call_id", "caller", "caller_name", "callee", "src_ip", "src_port", "dst_ip",
         "dst_port", "transport", "final_code", "disposition", "hangup_by", "q850_cause",
         "hangup_reason", "truncated", "auth_challenges", "invites", "start_seen")
times = ("start_time", "ringing_time", "answer_time", "end_time")
spans = ("setup_ms", "answer_ms")
secs = ("duration_s", "talk_s")
def load(p):
    recs = [json.loads(l) for l in open(p) if l.strip()]
    return sorted(recs, key=lambda r: (r["call_id"], r["src_port"], r["dst_port"], r["start_time"]))
def ts(v):
    return datetime.strptime(v, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() if v else None
def near(a, b, tol):
    return (a is None) == (b is None) and (a is None or abs(a - b) <= tol)
want, got = load(sys.argv[1]), load(sys.argv[2])
# Calls whose first 180-189 the collector took only after a 2xx: under
# load a Kamailio worker may stamp and send its trace of the UAS's 180
# after another worker's trace of the 200 that followed it within a
# millisecond, so the HEP side has no ring before the answer (RFC 3261:
# a 1xx after the final response is ignored) and no ringing_time.
answered, rang, late_ring = set(), set(), set()
for line in open(sys.argv[3]):
    f = line.split()
    if len(f) != 2 or not f[1].isdigit():
        continue
    code = int(f[1])
    if 200 <= code < 300:
        answered.add(f[0])
    elif 180 <= code < 190 and f[0] not in answered:
        rang.add(f[0])
    elif 180 <= code < 190 and f[0] not in rang:
        late_ring.add(f[0])
bad = []
if len(want) != len(got):
    bad.append("%d records sniffed, %d from HEP" % (len(want), len(got)))
worst = 0.0
for w, g in zip(want, got):
    for k in exact:
        if w.get(k) != g.get(k):
            bad.append("%s %s: %r != %r" % (w["call_id"], k, w.get(k), g.get(k)))
    for k in times:
        a, b = ts(w.get(k)), ts(g.get(k))
        if k == "ringing_time" and b is None and w["call_id"] in late_ring:
            continue
        if not near(a, b, 0.5):
            bad.append("%s %s: %r != %r" % (w["call_id"], k, w.get(k), g.get(k)))
        elif a is not None:
            worst = max(worst, abs(a - b))
    for k in spans:
        if k == "setup_ms" and g.get(k) is None and w["call_id"] in late_ring:
            continue
        if not near(w.get(k), g.get(k), 500):
            bad.append("%s %s: %r != %r" % (w["call_id"], k, w.get(k), g.get(k)))
    for k in secs:
        if not near(w.get(k), g.get(k), 0.5):
            bad.append("%s %s: %r != %r" % (w["call_id"], k, w.get(k), g.get(k)))
tr = sorted(set(r["transport"] for r in want))
disp = sorted(set(r["disposition"] for r in want))
# The forked calls, in parallel (5550000) and serially (5550001): one
# record each, answered by the UAS, ended by the caller; the proxy is in
# view, so its copies are the caller's one INVITE (invites, docs/schema.md).
forked = [r for r in want if r["callee"] in ("5550000", "5550001")]
for r in forked:
    v = (r["disposition"], r["final_code"], r["hangup_by"], r["invites"])
    if v != ("answered", 200, "caller", 1):
        bad.append("%s forked: %r" % (r["call_id"], v))
if len(set(r["call_id"] for r in forked)) != len(forked):
    bad.append("a forked call has more than one record")
# The calls challenged 407 by the UAS: answered after the INVITE with
# credentials (CSeq 2), one record each with both INVITEs.
for r in want:
    if r["auth_challenges"] and (r["disposition"], r["auth_challenges"], r["invites"]) != (
            "answered", 1, 2):
        bad.append("%s challenged: %s %r %r" % (r["call_id"], r["disposition"],
                                                r["auth_challenges"], r["invites"]))
auth = sum(1 for r in want if r["auth_challenges"])
# A call SIPp failed on a loaded machine may add another disposition.
for d in ("answered", "busy", "cancelled"):
    if d not in disp:
        bad.append("no %s call" % d)
print("records %d transports %s dispositions %s forked %d challenged %d worst %.6f"
      " (rings traced after the answer: %d)" % (
      len(want), ",".join(tr), ",".join(disp), len(forked), auth, worst,
      len(late_ring & set(w["call_id"] for w in want))))
for b in bad[:10]:
    print("BAD " + b)
EOF
summary=$(head -1 "$t/cmp")
if [ $crc -eq 0 ] && ! grep -q '^BAD' "$t/cmp" && [ "$(wc -l <"$t/lo.json")" -eq 29 ] &&
    echo "$summary" | grep -q "transports tcp,udp dispositions .* forked 6 challenged 2 "; then
	ok "kamailio siptrace, HEP over $1: $summary (seconds apart at most); every SIP field equal"
else
	bad "kamailio siptrace, HEP over $1: exit $crc, $(tr '\n' ';' <"$t/cmp")"
	tail -5 "$t/k.log"
	# Each differing call's messages, sniffed then as the collector took
	# them (time, source, destination, first line), and the counters
	# that differ: enough to tell a reordering from a parsing fault.
	for cid in $(sed -n 's/^BAD \([^ ]*@[^ ]*\) .*/\1/p' "$t/cmp" | sort -u | head -2); do
		for side in lo hep; do
			echo "  $cid, $side:"
			tshark -r "$t/$side.pcap" -Y "sip.Call-ID == \"$cid\"" -T fields -E separator=' ' \
			    -e frame.time_epoch -e ip.src -e udp.srcport -e tcp.srcport -e ip.dst \
			    -e udp.dstport -e tcp.dstport -e sip.Request-Line -e sip.Status-Line \
			    -e sip.CSeq 2>/dev/null | sed 's/^/    /'
		done
	done
	for c in sip_foreign_in_dialog sip_malformed sip_retransmissions sip_late_responses; do
		echo "  $c: sniffed $(counter "$c" "$t/r.err"), HEP $(counter "$c" "$t/l.err")"
	done
fi
# Every message Kamailio handled came as SIP over HEP with the right key:
# as many as the sniffed SIP messages, those refused as malformed included
# (uas-cancel.xml behind the proxy answers with a 487 whose only Via is
# the proxy's, which the proxy strips: the caller gets a 487 without Via,
# refused by calltap as by any UAC, and its ACK; on the HEP side too).
malformed=$(counter sip_malformed "$t/r.err")
if [ "$(counter hep_in_sip "$t/l.err")" -gt 0 ] && [ "$(counter hep_in_malformed "$t/l.err")" = 0 ] &&
    [ "$(counter hep_in_auth_failed "$t/l.err")" = 0 ] &&
    [ "$(counter hep_in_sip "$t/l.err")" = "$(($(counter sip_udp "$t/r.err") + $(counter sip_tcp "$t/r.err") + ${malformed:-0}))" ]; then
	ok "kamailio siptrace, HEP over $1: $(counter hep_in_sip "$t/l.err") SIP messages over HEP = the SIP messages sniffed"
else
	bad "kamailio siptrace, HEP over $1: hep_in_sip $(counter hep_in_sip "$t/l.err"), malformed\
 $(counter hep_in_malformed "$t/l.err"), auth_failed $(counter hep_in_auth_failed "$t/l.err"),\
 sniffed $(counter sip_udp "$t/r.err") UDP + $(counter sip_tcp "$t/r.err") TCP +\
 $(counter sip_malformed "$t/r.err") malformed"
fi

if [ "$1" = tcp ] && [ "$(counter hep_in_tcp_accepted "$t/l.err")" -lt 1 ]; then
	bad "kamailio siptrace, HEP over tcp: no TCP connection"
fi
}

round udp
round tcp
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
