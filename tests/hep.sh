#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# --hep: what calltap sends, decoded by a collector of its own
# (tests/hep_collect.py, a separate HEP v3 decoder) on loopback, rewritten
# as a capture with the HEP addresses, ports and times and decoded again by
# tshark, equals tshark's SIP messages of the input capture: count, order,
# time (microseconds), source and destination address and port, Call-ID,
# method or status.  UDP (one datagram per message) and TCP (a stream);
# IPv4, IPv6, SIP over TCP and WebSocket inputs; capture id, auth key and
# correlation id (= Call-ID) on every packet.  A message over HEP's 64 KiB
# bound is dropped and counted; a collector that is not there costs drops,
# never the capture.  Per-stream quality reports (HEP type 34, on by
# default): one per stream of each record, correlated by Call-ID, every
# figure equal to the record's, packets and first/last packet time equal to
# tshark's RTP; none with --hep-no-qos or --no-rtp.
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d) || exit 1
col=
trap '[ -n "$col" ] && kill "$col" 2>/dev/null; rm -rf "$t"' EXIT
command -v tshark >/dev/null 2>&1 || { echo "SKIP: no tshark"; exit 77; }
collect="$srcdir/tests/hep_collect.py"

# run PROTO CAPTURE [OPTION...]: calltap --hep to a fresh collector;
# $t/out.pcap, $t/meta (SIP), $t/qos (quality reports), $t/rec.jsonl, $t/err
run() {
	proto=$1 cap=$2
	shift 2
	rm -f "$t/port" "$t/out.pcap" "$t/meta" "$t/qos"
	python3 "$collect" "$proto" "$t/port" "$t/out.pcap" "$t/meta" "$t/qos" 2>"$t/col.err" &
	col=$!
	i=0
	while [ ! -s "$t/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	port=$(cat "$t/port")
	"$CALLTAP" -q -s --json "$t/rec.jsonl" --hep "127.0.0.1:$port" --hep-proto "$proto" \
	    --hep-id 4242 --hep-password s3cret "$@" "$cap" 2>"$t/err"
	rc=$?
	if [ "$proto" = udp ]; then
		python3 -c "import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'STOP', ('127.0.0.1', int(sys.argv[1])))" "$port"
	fi
	wait "$col"
	crc=$?
	col=
	[ $rc -eq 0 ] && [ $crc -eq 0 ] || { cat "$t/col.err" >>"$t/err"; return 1; }
}

counter() { sed -n "s/^  $1 *//p" "$t/err"; }

for proto in udp tcp; do
	for p in sipp-answered-caller-bye.pcap sipp-ipv6.pcap sipp-many.pcap sipp-tcp.pcap \
	    sip-websocket.pcap OISF-sip_compact_form.pcap etakerim-transfer-call.pcap; do
		f="$srcdir/pcaps/$p"
		if ! run "$proto" "$f"; then
			bad "$proto $p: calltap or the collector failed"
			continue
		fi
		python3 "$collect" fields "$f" >"$t/want"
		python3 "$collect" fields "$t/out.pcap" >"$t/got"
		n=$(wc -l <"$t/want")
		if [ "$n" -gt 0 ] && cmp -s "$t/want" "$t/got"; then
			ok "$proto $p: $n SIP messages, same times, addresses, ports, Call-IDs, methods"
		else
			bad "$proto $p: differs from the input: $(diff "$t/want" "$t/got" | head -5 | tr '\n' ';')"
		fi
		if [ "$(counter hep_sent)" = "$n" ] && [ "$(counter hep_dropped)" = 0 ]; then
			ok "$proto $p: hep_sent $n, hep_dropped 0"
		else
			bad "$proto $p: hep_sent $(counter hep_sent), hep_dropped $(counter hep_dropped)"
		fi
		# Every packet: its transport, SIP, the agent id, the key, the Call-ID.
		cut -d' ' -f6 "$t/want" | sort >"$t/cids"
		if awk -v tp="$(case $p in *tcp*|*websocket*) echo 6;; *) echo 17;; esac)" \
		    '$1 != tp || $2 != 1 || $3 != 4242 || $4 != "s3cret" { exit 1 }' "$t/meta" &&
		    cut -d' ' -f5 "$t/meta" | sort | cmp -s - "$t/cids"; then
			ok "$proto $p: protocol, type SIP, id 4242, auth key, correlation id = Call-ID"
		else
			bad "$proto $p: chunks: $(head -3 "$t/meta" | tr '\n' ';')"
		fi
	done
done

# A message over 64 KiB (an INVITE of 65536 body bytes, IP fragments) cannot be a HEP packet.
if run udp "$srcdir/pcaps/OISF-sip-body-large.pcap" && [ "$(counter hep_sent)" = 1 ] &&
    [ "$(counter hep_dropped)" = 1 ] && [ "$(wc -l <"$t/meta")" -eq 1 ]; then
	ok "a SIP message over 64 KiB: dropped and counted, the next one sent"
else
	bad "over 64 KiB: sent $(counter hep_sent), dropped $(counter hep_dropped)"
fi

# No collector on TCP: the run completes, every message is a counted drop.
port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
if "$CALLTAP" -q -s --json "$t/rec.jsonl" --hep "127.0.0.1:$port" --hep-proto tcp \
    "$srcdir/pcaps/sipp-answered-caller-bye.pcap" 2>"$t/err" &&
    [ "$(counter hep_sent)" = 0 ] && [ "$(counter hep_dropped)" = 7 ] &&
    [ "$(wc -l <"$t/rec.jsonl")" -eq 1 ] && grep -q "hep: cannot connect" "$t/err"; then
	ok "no TCP collector: 7 drops counted, one warning, the record still written"
else
	bad "no TCP collector: sent $(counter hep_sent), dropped $(counter hep_dropped)"
fi

# A TCP collector that accepts and never reads: reading files, the queue
# waits for the collector while sends go, then the send times out (5 s):
# what could not be sent is dropped (counted; the failed send, and the
# queue's overflow while the stream is down, each logged once), the
# capture goes on (every record written), and the exit waits 5 s for the
# stuck stream, not for the queue.  How many are dropped depends on how
# soon the stream reconnects (into the listener's backlog).
mkdir "$t/many"
i=0
while [ $i -lt 150 ]; do cp "$srcdir/pcaps/sipp-many.pcap" "$t/many/c$i.pcap"; i=$((i + 1)); done
rm -f "$t/port"
python3 -c "
import os, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.bind(('127.0.0.1', 0))
s.listen(1)
open(sys.argv[1] + '.tmp', 'w').write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + '.tmp', sys.argv[1])
c, _ = s.accept()
time.sleep(120)
" "$t/port" &
col=$!
i=0
while [ ! -s "$t/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
start=$(date +%s)
"$CALLTAP" -q -s --json "$t/many.jsonl" --hep "127.0.0.1:$(cat "$t/port")" --hep-proto tcp \
    "$t/many" 2>"$t/err"
end=$(date +%s)
kill "$col" 2>/dev/null
wait "$col" 2>/dev/null
col=
sent=$(counter hep_sent)
dropped=$(counter hep_dropped)
if [ "$(counter sip_udp)" = 17250 ] && [ $((sent + dropped)) -eq 17250 ] &&
    [ "$dropped" -gt 0 ] && [ "$(wc -l <"$t/many.jsonl")" -eq 20 ] &&
    [ $((end - start)) -lt 30 ] &&
    grep -q -e "send queue full" -e "hep: send to 127.0.0.1:[0-9]* failed" "$t/err"; then
	ok "stuck TCP collector: 17250 messages, $sent sent, $dropped dropped, 20 records, exit in $((end - start)) s"
else
	bad "stuck TCP collector: sent $sent, dropped $dropped, $(wc -l <"$t/many.jsonl") records, $((end - start)) s"
fi

# Quality reports: one per stream, equal to the record and to tshark's RTP.
# G.711 and G.729; SIP over UDP, TCP and WebSocket; several calls; UDP and TCP.
streams() { python3 -c "import json,sys; print(sum(len(json.loads(l)['streams']) for l in open(sys.argv[1])))" "$1"; }
for pt in "udp sipp-answered-caller-bye.pcap" "tcp sipp-answered-caller-bye.pcap" \
    "udp lundgrel-sip-rtp-g729a.pcap" "udp irontec-aaa.pcap" "tcp goffinet-SIP-Call-Flow-Over-TCP.pcap" \
    "udp goffinet-sip-phone-to-phone.pcapng" "udp sip-websocket.pcap"; do
	# shellcheck disable=SC2086
	set -- $pt
	if ! run "$1" "$srcdir/pcaps/$2"; then
		bad "qos $1 $2: calltap or the collector failed"
		continue
	fi
	n=$(streams "$t/rec.jsonl")
	if [ "$n" -gt 0 ] && python3 "$collect" qos-check "$t/rec.jsonl" "$t/qos" "$srcdir/pcaps/$2" \
	    4242 s3cret >"$t/check" 2>&1 && [ "$(counter hep_qos_sent)" = "$n" ] &&
	    [ "$(counter hep_qos_dropped)" = 0 ]; then
		ok "qos $1 $2: $n reports, figures = the record's, packets and times = tshark's"
	else
		bad "qos $1 $2: $n streams, hep_qos_sent $(counter hep_qos_sent): $(tail -1 "$t/check")"
	fi
done

# Loss and duplicates: the SIPp call with every 10th packet from 6000 gone
# and one packet from 6100 sent twice.
python3 - "$srcdir/pcaps/sipp-answered-caller-bye.pcap" "$t/lossy.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
out, off, n, dup = [d[:24]], 24, 0, False
while off < len(d):
    incl = struct.unpack("<I", d[off + 8:off + 12])[0]
    rec = d[off:off + 16 + incl]
    off += 16 + incl
    ip = rec[16 + 14:]
    sport = struct.unpack("!H", ip[20:22])[0] if ip[9] == 17 else 0
    if sport == 6000:
        n += 1
        if n % 10 == 0:
            continue
    out.append(rec)
    if sport == 6100 and not dup:
        out.append(rec)
        dup = True
open(sys.argv[2], "wb").write(b"".join(out))
PY
if run udp "$t/lossy.pcap" && python3 "$collect" qos-check "$t/rec.jsonl" "$t/qos" "$t/lossy.pcap" \
    4242 s3cret >"$t/check" 2>&1 &&
    grep -q "127.0.0.1:6000 -> 127.0.0.1:6100: 136 packets, 15 lost" "$t/check" &&
    grep -q '"DUP_PK": 1' "$t/qos" && grep -q '"EXPECTED_PK": 151, "PACKET_LOSS": 15, "LOSS_PCT": 9.93' "$t/qos"; then
	ok "qos with loss and a duplicate: 15 lost of 151 (9.93 %), 1 duplicate, = the record and tshark"
else
	bad "qos with loss: $(tail -2 "$t/check" | tr '\n' ';')"
fi

# --hep-no-qos, and --no-rtp: SIP only.
for opt in --hep-no-qos --no-rtp; do
	if run udp "$srcdir/pcaps/sipp-answered-caller-bye.pcap" "$opt" && [ ! -s "$t/qos" ] &&
	    [ "$(counter hep_sent)" = 7 ] && [ "$(counter hep_qos_sent)" = 0 ] &&
	    [ "$(counter hep_qos_dropped)" = 0 ]; then
		ok "$opt: 7 SIP messages, no quality report"
	else
		bad "$opt: hep_sent $(counter hep_sent), hep_qos_sent $(counter hep_qos_sent)"
	fi
done

# Option errors.
for bad_args in "--hep 127.0.0.1" "--hep :5060" "--hep ::1:9060" "--hep-id 1" "--hep-no-qos" \
    "--hep 127.0.0.1:9060 --hep-proto sctp" "--hep 127.0.0.1:9060 --hep-id x"; do
	# shellcheck disable=SC2086
	if "$CALLTAP" -q --json /dev/null $bad_args "$srcdir/pcaps/sipp-busy.pcap" 2>"$t/err"; then
		bad "'$bad_args' accepted"
	elif [ $? -eq 1 ] && [ -s "$t/err" ]; then
		ok "'$bad_args' refused with a message"
	else
		bad "'$bad_args': wrong exit status"
	fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
