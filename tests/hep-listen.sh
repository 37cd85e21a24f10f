#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# --hep-listen: calltap as a HEP v3 collector.  A second calltap replays a
# capture with --hep to it on loopback (UDP and TCP); the collector's
# records equal those of calltap -r on the same capture in every SIP-level
# field (Call-ID, parties, addresses, ports, transport, times, codes,
# disposition, hangup side and reason): the frames are rebuilt from the HEP
# chunks, not from the HEP sender.  HEP carries no RTP: the RTP fields are
# not compared (they are null from HEP).  Then: the auth key
# (--hep-password), malformed packets and streams, other payload types and
# too many TCP connections are counted and never stop the collector (idle
# or keyless connections cannot lock the agents out);
# messages sent out of order are put back in order (--hep-reorder); bad
# option combinations are refused.
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d) || exit 1
lst=
trap '[ -n "$lst" ] && kill "$lst" 2>/dev/null; rm -rf "$t"' EXIT

# The SIP-level fields of each record, one line per call, sorted.
fields() {
	python3 - "$1" <<'EOF'
import json, sys
keys = ("call_id", "caller", "caller_name", "callee", "src_ip", "src_port", "dst_ip",
        "dst_port", "transport", "start_time", "ringing_time", "answer_time", "end_time",
        "setup_ms", "answer_ms", "duration_s", "talk_s", "final_code", "disposition",
        "hangup_by", "q850_cause", "hangup_reason", "truncated", "auth_challenges",
        "invites", "start_seen", "rings")
out = []
for line in open(sys.argv[1]):
    if line.strip():
        r = json.loads(line)
        out.append(" ".join("%s=%s" % (k, json.dumps(r.get(k))) for k in keys))
print("\n".join(sorted(out)))
EOF
}

# listen ARGS...: a collector on a port of its own (127.0.0.1:0), records to $t/hep.json
listen() {
	rm -f "$t/hep.json" "$t/l.err"
	"$CALLTAP" -s --hep-listen 127.0.0.1:0 --json "$t/hep.json" "$@" 2>"$t/l.err" &
	lst=$!
	i=0
	port=
	while [ -z "$port" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
		port=$(sed -n 's/^calltap: hep: listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$t/l.err")
	done
	[ -n "$port" ]
}

# stop: SIGTERM to the collector (its open calls end as at the end of a capture)
stop() {
	sleep 0.3   # loopback: what was sent has arrived
	kill -TERM "$lst"
	wait "$lst"
	lrc=$?
	lst=
	return $lrc
}

counter() { sed -n "s/^  $1 *//p" "$2"; }
streams() { python3 -c "import json,sys; print(sum(len(json.loads(l)['streams']) for l in open(sys.argv[1])))" "$1"; }

for proto in udp tcp; do
	for p in sipp-answered-caller-bye.pcap sipp-answered-callee-bye.pcap sipp-busy.pcap \
	    sipp-cancel.pcap sipp-auth.pcap sipp-ipv6.pcap sipp-many.pcap sipp-tcp.pcap \
	    OISF-sip_compact_form.pcap etakerim-transfer-call.pcap goffinet-SIP-Call-with-Proxy-Server.pcap; do
		f="$srcdir/pcaps/$p"
		"$CALLTAP" -q --json "$t/file.json" "$f" 2>/dev/null
		if ! listen; then
			bad "$proto $p: the collector did not start: $(cat "$t/l.err")"
			continue
		fi
		"$CALLTAP" -q -s --json /dev/null --hep "127.0.0.1:$port" --hep-proto "$proto" \
		    "$f" 2>"$t/s.err"
		if ! stop; then
			bad "$proto $p: the collector failed: $(tail -3 "$t/l.err")"
			continue
		fi
		fields "$t/file.json" >"$t/want"
		fields "$t/hep.json" >"$t/got"
		n=$(wc -l <"$t/want")
		if [ "$n" -gt 0 ] && cmp -s "$t/want" "$t/got"; then
			ok "$proto $p: $n records, the same SIP fields as calltap -r"
		else
			bad "$proto $p: records differ: $(diff "$t/want" "$t/got" | head -4 | tr '\n' ';')"
		fi
		sent=$(counter hep_sent "$t/s.err")
		qos=$(counter hep_qos_sent "$t/s.err")   # the streams' quality reports (type 34)
		if [ "$(counter hep_in_sip "$t/l.err")" = "$sent" ] &&
		    [ "$(counter hep_in_packets "$t/l.err")" = $((sent + qos)) ] &&
		    [ "$(counter hep_in_other "$t/l.err")" = "$qos" ] &&
		    [ "$qos" = "$(streams "$t/file.json")" ] &&
		    [ "$(counter hep_in_malformed "$t/l.err")" = 0 ] &&
		    [ "$(counter sip_udp "$t/l.err")" = "$(counter sip_udp "$t/s.err")" ] &&
		    [ "$(counter sip_tcp "$t/l.err")" = "$(counter sip_tcp "$t/s.err")" ]; then
			ok "$proto $p: $sent sent, $sent received as SIP, same SIP counts by transport; $qos quality reports (one per stream) received as other"
		else
			bad "$proto $p: sent $sent + $qos, hep_in_sip $(counter hep_in_sip "$t/l.err")," \
			    "other $(counter hep_in_other "$t/l.err")," \
			    "malformed $(counter hep_in_malformed "$t/l.err")"
		fi
		if [ "$proto" = tcp ] && [ "$(counter hep_in_tcp_accepted "$t/l.err")" != 1 ]; then
			bad "tcp $p: hep_in_tcp_accepted $(counter hep_in_tcp_accepted "$t/l.err")"
		fi
	done
done

# Every call shape of scripts/gen-calls (forking, PRACK, re-INVITE, auth, CANCEL,
# fragmented INVITEs, SIP over TCP split and coalesced, IPv6, VLAN): 1000 calls over
# HEP/TCP give the records of calltap --no-rtp -r (without RTP, as HEP: no media timeout).
if python3 "$srcdir/scripts/gen-calls" -o "$t/gen.pcap" --truth "$t/gen.truth" --calls 1000 \
    --no-rtp --seed 13 -q 2>"$t/err" && listen; then
	"$CALLTAP" -q -s --json /dev/null --hep "127.0.0.1:$port" --hep-proto tcp "$t/gen.pcap" \
	    2>"$t/s.err"
	stop
	"$CALLTAP" -q --no-rtp --json "$t/file.json" "$t/gen.pcap" 2>/dev/null
	fields "$t/file.json" >"$t/want"
	fields "$t/hep.json" >"$t/got"
	sent=$(counter hep_sent "$t/s.err")
	if [ "$(wc -l <"$t/want")" -eq 1000 ] && cmp -s "$t/want" "$t/got" &&
	    [ "$(counter hep_in_sip "$t/l.err")" = "$sent" ]; then
		ok "gen-calls: 1000 calls, $sent SIP messages over HEP/TCP, the same records"
	else
		bad "gen-calls: sent $sent, received $(counter hep_in_sip "$t/l.err"):" \
		    "$(diff "$t/want" "$t/got" | head -4 | tr '\n' ';')"
	fi
fi

# The RTP fields: null from HEP (it carries SIP only).
if listen; then
	"$CALLTAP" -q --json /dev/null --hep "127.0.0.1:$port" \
	    "$srcdir/pcaps/sipp-answered-caller-bye.pcap" 2>/dev/null
	stop
	if grep -q '"rtp_packets":null,"mos_min":null' "$t/hep.json" && grep -q '"streams":\[\]' "$t/hep.json"; then
		ok "records from HEP: no RTP fields"
	else
		bad "records from HEP: $(head -c 300 "$t/hep.json")"
	fi
fi

# -w: the rebuilt frames as a pcap, which calltap -r reads back into the same records;
# --pcap-dir: a file per call; --metrics: the collector's counters.
mport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if listen -w "$t/hep.pcap" --pcap-dir "$t/pd" --metrics "127.0.0.1:$mport"; then
	f="$srcdir/pcaps/sipp-many.pcap"
	"$CALLTAP" -q --json /dev/null --hep "127.0.0.1:$port" --hep-proto tcp "$f" 2>/dev/null
	sleep 2.5   # a tick (a second of the agents' time, idle: 1 s late) publishes them
	python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode())' \
	    "$mport" >"$t/metrics" 2>&1
	stop
	"$CALLTAP" -q --json "$t/file.json" "$f" 2>/dev/null
	"$CALLTAP" -q --json "$t/w.json" -r "$t/hep.pcap" 2>/dev/null
	fields "$t/file.json" >"$t/want"
	fields "$t/w.json" >"$t/got"
	if [ -s "$t/want" ] && cmp -s "$t/want" "$t/got"; then
		ok "-w: the frames rebuilt from HEP, read back, give the same $(wc -l <"$t/want") records"
	else
		bad "-w: $(diff "$t/want" "$t/got" | head -4 | tr '\n' ';')"
	fi
	n=$(find "$t/pd" -name '*.pcap' | wc -l)
	if [ "$n" -eq 20 ] && [ "$(grep -c '"pcap_path":"' "$t/hep.json")" -eq 20 ] &&
	    [ "$(find "$t/pd" -name '*.pcap' -exec "$CALLTAP" -q --json - -r {} \; | wc -l)" -eq 20 ]; then
		ok "--pcap-dir: 20 per-call files of frames rebuilt from HEP, each named by its record, each one call"
	else
		bad "--pcap-dir: $n files, $(grep -c '"pcap_path":"' "$t/hep.json") records with a path"
	fi
	if grep -q '^calltap_hep_in_sip_total{sensor="[^"]*"} 115$' "$t/metrics" &&
	    grep -q '^calltap_hep_in_malformed_total{sensor="[^"]*"} 0$' "$t/metrics" &&
	    grep -q '^# HELP calltap_hep_in_auth_failed_total ' "$t/metrics"; then
		ok "--metrics: calltap_hep_in_sip_total 115, calltap_hep_in_malformed_total 0"
	else
		bad "--metrics: $(grep hep_in "$t/metrics" | tr '\n' ';')"
	fi
	if command -v promtool >/dev/null 2>&1; then
		if promtool check metrics <"$t/metrics" >"$t/err" 2>&1; then
			ok "--metrics with --hep-listen: promtool check metrics"
		else
			bad "--metrics with --hep-listen: promtool check metrics"
		fi
	fi
fi

# IPv6: a collector on ::1 takes HEP over IPv6.
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	rm -f "$t/hep.json"
	"$CALLTAP" -s --hep-listen "[::1]:0" --json "$t/hep.json" 2>"$t/l.err" &
	lst=$!
	i=0
	port=
	while [ -z "$port" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
		port=$(sed -n 's/^calltap: hep: listening on \[::1\]:\([0-9]*\) .*/\1/p' "$t/l.err")
	done
	"$CALLTAP" -q --json /dev/null --hep "[::1]:$port" "$srcdir/pcaps/sipp-ipv6.pcap" 2>/dev/null
	stop
	"$CALLTAP" -q --json "$t/file.json" "$srcdir/pcaps/sipp-ipv6.pcap" 2>/dev/null
	fields "$t/file.json" >"$t/want"
	fields "$t/hep.json" >"$t/got"
	if [ -n "$port" ] && [ -s "$t/want" ] && cmp -s "$t/want" "$t/got"; then
		ok "--hep-listen [::1]:PORT: the same records over IPv6"
	else
		bad "--hep-listen [::1]: port '$port', $(diff "$t/want" "$t/got" | head -3 | tr '\n' ';')"
	fi
fi

# The auth key: a wrong or missing one is counted and dropped, the right one taken.
if listen --hep-password s3cret; then
	f="$srcdir/pcaps/sipp-answered-caller-bye.pcap"
	"$CALLTAP" -q --json /dev/null --hep "127.0.0.1:$port" --hep-password wrong "$f" 2>/dev/null
	"$CALLTAP" -q --json /dev/null --hep "127.0.0.1:$port" "$f" 2>/dev/null
	"$CALLTAP" -q --json /dev/null --hep "127.0.0.1:$port" --hep-password s3cretX "$f" 2>/dev/null
	"$CALLTAP" -q --json /dev/null --hep "127.0.0.1:$port" --hep-password s3cret "$f" 2>/dev/null
	stop
	# each run: 7 SIP messages and 2 quality reports (the call's two streams)
	if [ "$(counter hep_in_auth_failed "$t/l.err")" = 27 ] &&
	    [ "$(counter hep_in_sip "$t/l.err")" = 7 ] && [ "$(counter hep_in_other "$t/l.err")" = 2 ] &&
	    [ "$(wc -l <"$t/hep.json")" -eq 1 ]; then
		ok "--hep-password: 27 packets with a wrong or no key counted, 7 + 2 taken, 1 call"
	else
		bad "--hep-password: auth_failed $(counter hep_in_auth_failed "$t/l.err"), sip" \
		    "$(counter hep_in_sip "$t/l.err"), $(wc -l <"$t/hep.json") records"
	fi
fi

# Hostile input: none of it stops the collector, each is counted, a good packet still works.
if listen; then
	python3 - "$port" <<'EOF'
import socket, struct, sys, time
port = int(sys.argv[1])
def chunk(t, v):
    return struct.pack("!HHH", 0, t, 6 + len(v)) + v
def hep(chunks):
    body = b"".join(chunks)
    return b"HEP3" + struct.pack("!H", 6 + len(body)) + body
base = [chunk(1, b"\x02"), chunk(2, b"\x11"), chunk(3, bytes([10, 0, 0, 1])),
        chunk(4, bytes([10, 0, 0, 2])), chunk(7, struct.pack("!H", 5060)),
        chunk(8, struct.pack("!H", 5060)), chunk(9, struct.pack("!I", 1700000000)),
        chunk(10, struct.pack("!I", 0)), chunk(12, struct.pack("!I", 1))]
sip = (b"OPTIONS sip:a@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1\r\nCall-ID: x1\r\n"
       b"CSeq: 1 OPTIONS\r\nFrom: <sip:b@10.0.0.1>;tag=1\r\nTo: <sip:a@10.0.0.2>\r\n"
       b"Content-Length: 0\r\n\r\n")
good = hep(base + [chunk(11, b"\x01"), chunk(15, sip)])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
bad = [b"garbage", b"HEP3", b"\x02\x10\x02\x11" + b"\0" * 20,    # not HEP, short, HEP v2
       good[:-3],                                                 # truncated
       good[:4] + struct.pack("!H", len(good) + 50) + good[6:],   # total length past the end
       hep(base[:1] + [struct.pack("!HHH", 0, 15, 60000)]),       # a chunk length past the end
       hep([chunk(11, b"\x01"), chunk(15, sip)]),                 # no addresses, ports, family
       hep(base + [chunk(11, b"\x01")])]                          # no payload
for b in bad:
    u.sendto(b, ("127.0.0.1", port))
u.sendto(hep(base + [chunk(11, b"\x05"), chunk(15, b"\x80\xc8\x00\x06")]), ("127.0.0.1", port))
# TCP: a stream of garbage (closed), a stream cut in a packet, then good packets.
s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"GET / HTTP/1.0\r\n\r\n"); s.close()
s = socket.create_connection(("127.0.0.1", port)); s.sendall(good + good[:20]); s.close()
s = socket.create_connection(("127.0.0.1", port))
for i in range(300):        # many packets, some split across sends
    s.sendall(good[:7]); s.sendall(good[7:] + good[:0])
s.close()
# 80 connections at once that send nothing: 64 taken, the 16 after them each
# take the slot of the oldest (none has sent a packet).
time.sleep(0.5)
cs = [socket.create_connection(("127.0.0.1", port)) for i in range(80)]
time.sleep(0.5)
for c in cs:
    c.close()
u.sendto(good, ("127.0.0.1", port))
time.sleep(0.2)
EOF
	stop
	st=$?
	m=$(counter hep_in_malformed "$t/l.err")
	if [ $st -eq 0 ] && [ "$m" = 9 ] && [ "$(counter hep_in_other "$t/l.err")" = 1 ] &&
	    [ "$(counter hep_in_sip "$t/l.err")" = 302 ] &&
	    [ "$(counter hep_in_tcp_refused "$t/l.err")" = 0 ] &&
	    [ "$(counter hep_in_tcp_evicted "$t/l.err")" = 16 ] &&
	    [ "$(counter hep_in_tcp_accepted "$t/l.err")" = 83 ]; then
		ok "hostile: 9 malformed (8 datagrams, 1 stream), 1 RTCP ignored, 302 SIP, 16 idle connections evicted"
	else
		bad "hostile: exit $st, malformed $m, other $(counter hep_in_other "$t/l.err"), sip" \
		    "$(counter hep_in_sip "$t/l.err"), refused $(counter hep_in_tcp_refused "$t/l.err")," \
		    "evicted $(counter hep_in_tcp_evicted "$t/l.err"), accepted" \
		    "$(counter hep_in_tcp_accepted "$t/l.err")"
	fi
fi

# Lock-out: 64 TCP connections that send only packets with a wrong auth key
# (or nothing) held every slot, and each agent connecting after them was
# refused for as long as they stayed open.  Now the agent takes the slot of
# the oldest of them, and so do 63 more agents; only when every connection
# has sent a valid packet is a new one refused.
if listen --hep-password s3cret; then
	python3 - "$port" <<'EOF'
import socket, struct, sys, time
port = int(sys.argv[1])
def chunk(t, v):
    return struct.pack("!HHH", 0, t, 6 + len(v)) + v
def hep(key, cid):
    sip = ("OPTIONS sip:a@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1\r\nCall-ID: %s\r\n"
           "CSeq: 1 OPTIONS\r\nFrom: <sip:b@10.0.0.1>;tag=1\r\nTo: <sip:a@10.0.0.2>\r\n"
           "Content-Length: 0\r\n\r\n" % cid).encode()
    chunks = [chunk(1, b"\x02"), chunk(2, b"\x11"), chunk(3, bytes([10, 0, 0, 1])),
              chunk(4, bytes([10, 0, 0, 2])), chunk(7, struct.pack("!H", 5060)),
              chunk(8, struct.pack("!H", 5060)), chunk(9, struct.pack("!I", 1700000000)),
              chunk(10, struct.pack("!I", 0)), chunk(11, b"\x01"), chunk(14, key),
              chunk(15, sip)]
    body = b"".join(chunks)
    return b"HEP3" + struct.pack("!H", 6 + len(body)) + body
def conn(data):
    c = socket.create_connection(("127.0.0.1", port))
    if data:
        c.sendall(data)
    return c
held = [conn(hep(b"guess", "x%d" % i) if i % 2 else b"") for i in range(64)]
time.sleep(0.5)
agents = []
for i in range(64):
    agents.append(conn(hep(b"s3cret", "agent%d" % i)))
    time.sleep(0.01)
time.sleep(0.5)
late = conn(b"")
time.sleep(0.5)
for c in held + agents + [late]:
    c.close()
EOF
	stop
	st=$?
	if [ $st -eq 0 ] && [ "$(counter hep_in_sip "$t/l.err")" = 64 ] &&
	    [ "$(counter hep_in_auth_failed "$t/l.err")" = 32 ] &&
	    [ "$(counter hep_in_tcp_evicted "$t/l.err")" = 64 ] &&
	    [ "$(counter hep_in_tcp_refused "$t/l.err")" = 1 ]; then
		ok "lock-out: 64 connections without the key evicted by 64 agents (64 SIP), then 1 refused"
	else
		bad "lock-out: exit $st, sip $(counter hep_in_sip "$t/l.err"), auth_failed" \
		    "$(counter hep_in_auth_failed "$t/l.err"), evicted" \
		    "$(counter hep_in_tcp_evicted "$t/l.err"), refused $(counter hep_in_tcp_refused "$t/l.err")"
	fi
fi

# Out of order: one call's messages (INVITE, 100, 180, 200, ACK, BYE, 200),
# stamped in order (the 180 20 ms after the INVITE, the 200 3 s later),
# sent as a multi-process agent may send them: the 200 and the 180 before
# the INVITE, the BYE's 200 before the BYE.  With the default --hep-reorder
# the record equals the one of the messages sent in order (ringing and
# answer times, setup_ms); --hep-reorder 0 takes them as they come and
# gives another record, so this is the buffer's doing.  --hep-reorder
# 10000 and an immediate SIGTERM: the held messages are drained into the
# record, none lost.
hepcall() {   # PORT ORDER: send the call's messages in ORDER (indexes into the list)
	python3 - "$1" "$2" <<'EOF'
import socket, struct, sys, time
port, order = int(sys.argv[1]), [int(i) for i in sys.argv[2].split(",")]
def chunk(t, v):
    return struct.pack("!HHH", 0, t, 6 + len(v)) + v
A, B = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
def hep(src, dst, us, sip):
    body = b"".join([chunk(1, b"\x02"), chunk(2, b"\x11"), chunk(3, src), chunk(4, dst),
                     chunk(7, struct.pack("!H", 5060)), chunk(8, struct.pack("!H", 5060)),
                     chunk(9, struct.pack("!I", 1700000000 + us // 1000000)),
                     chunk(10, struct.pack("!I", us % 1000000)), chunk(11, b"\x01"),
                     chunk(12, struct.pack("!I", 1)), chunk(15, sip)])
    return b"HEP3" + struct.pack("!H", 6 + len(body)) + body
def msg(first, cseq, totag=b"", extra=b""):
    return (first + b"\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK" + cseq.split()[0] +
            b"\r\nCall-ID: reorder-1\r\nCSeq: " + cseq +
            b"\r\nFrom: \"Ann\" <sip:5551000@10.0.0.1>;tag=a1\r\nTo: <sip:5552000@10.0.0.2>" +
            totag + b"\r\n" + extra + b"Content-Length: 0\r\n\r\n")
t = b";tag=b2"
msgs = [(A, B, msg(b"INVITE sip:5552000@10.0.0.2 SIP/2.0", b"1 INVITE")),
        (B, A, msg(b"SIP/2.0 100 Trying", b"1 INVITE")),
        (B, A, msg(b"SIP/2.0 180 Ringing", b"1 INVITE", t)),
        (B, A, msg(b"SIP/2.0 200 OK", b"1 INVITE", t, b"Contact: <sip:5552000@10.0.0.2>\r\n")),
        (A, B, msg(b"ACK sip:5552000@10.0.0.2 SIP/2.0", b"1 ACK", t)),
        (A, B, msg(b"BYE sip:5552000@10.0.0.2 SIP/2.0", b"2 BYE", t)),
        (B, A, msg(b"SIP/2.0 200 OK", b"2 BYE", t))]
stamp = [0, 10000, 20000, 3020000, 3030000, 9000000, 9010000]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in order:
    src, dst, sip = msgs[i]
    u.sendto(hep(src, dst, stamp[i], sip), ("127.0.0.1", port))
    time.sleep(0.005)
EOF
}
rfields() { python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    print(" ".join(str(r.get(k)) for k in ("call_id", "disposition", "start_time", "ringing_time",
        "answer_time", "end_time", "setup_ms", "answer_ms", "talk_s", "hangup_by")))' "$1"; }
if listen; then
	hepcall "$port" 0,1,2,3,4,5,6
	stop
	rfields "$t/hep.json" >"$t/inorder"
	if listen; then
		hepcall "$port" 3,2,0,1,4,6,5
		stop
		rfields "$t/hep.json" >"$t/scrambled"
		r=$(counter hep_in_reordered "$t/l.err")
		if grep -q "^reorder-1 answered .* 20 3020 5.98 caller" "$t/inorder" &&
		    cmp -s "$t/inorder" "$t/scrambled" && [ "${r:-0}" -ge 3 ]; then
			ok "--hep-reorder: a call sent 200, 180, INVITE, 100, ACK, 200, BYE gives the in-order record ($r put back)"
		else
			bad "--hep-reorder: in order '$(cat "$t/inorder")', scrambled '$(cat "$t/scrambled")', reordered $r"
		fi
	fi
	if listen --hep-reorder 0; then
		hepcall "$port" 3,2,0,1,4,6,5
		stop
		rfields "$t/hep.json" >"$t/asis"
		if [ -s "$t/asis" ] && ! cmp -s "$t/inorder" "$t/asis" &&
		    [ "$(counter hep_in_reordered "$t/l.err")" = 0 ]; then
			ok "--hep-reorder 0: the same messages taken as they come give another record"
		else
			bad "--hep-reorder 0: '$(cat "$t/asis")'"
		fi
	fi
	if listen --hep-reorder 10000; then
		hepcall "$port" 3,2,0,1,4,6,5
		kill -TERM "$lst"
		wait "$lst"
		st=$?
		lst=
		rfields "$t/hep.json" >"$t/drained"
		if [ $st -eq 0 ] && cmp -s "$t/inorder" "$t/drained"; then
			ok "--hep-reorder 10000, SIGTERM at once: the held messages are drained into the record"
		else
			bad "--hep-reorder 10000, SIGTERM at once: exit $st, '$(cat "$t/drained")'"
		fi
	fi
fi

# A collector that cannot keep up: the datagrams the kernel dropped are counted
# (hep_in_udp_drops, from SO_RXQ_OVFL), and every datagram is either taken or counted.
if listen; then
	kill -STOP "$lst"
	python3 - "$port" "$t/one" <<'EOF'
import socket, struct, sys
port = int(sys.argv[1])
def chunk(t, v):
    return struct.pack("!HHH", 0, t, 6 + len(v)) + v
sip = (b"OPTIONS sip:a@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1\r\nCall-ID: x1\r\n"
       b"CSeq: 1 OPTIONS\r\nFrom: <sip:b@10.0.0.1>;tag=1\r\nTo: <sip:a@10.0.0.2>\r\n"
       b"Content-Length: 0\r\n\r\n") + b"X" * 900
body = b"".join([chunk(1, b"\x02"), chunk(2, b"\x11"), chunk(3, bytes([10, 0, 0, 1])),
                 chunk(4, bytes([10, 0, 0, 2])), chunk(7, struct.pack("!H", 5060)),
                 chunk(8, struct.pack("!H", 5060)), chunk(9, struct.pack("!I", 1700000000)),
                 chunk(10, struct.pack("!I", 0)), chunk(11, b"\x01"), chunk(15, sip)])
pkt = b"HEP3" + struct.pack("!H", 6 + len(body)) + body
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20000):
    u.sendto(pkt, ("127.0.0.1", port))
open(sys.argv[2], "wb").write(pkt)
EOF
	kill -CONT "$lst"
	sleep 1
	# The kernel's count comes with the next datagram received.
	python3 -c 'import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(open(sys.argv[2], "rb").read(), ("127.0.0.1", int(sys.argv[1])))' "$port" "$t/one"
	stop
	d=$(counter hep_in_udp_drops "$t/l.err")
	s=$(counter hep_in_sip "$t/l.err")
	if [ "${d:-0}" -gt 0 ] && [ $((d + s)) -eq 20001 ]; then
		ok "a stopped collector: $s datagrams taken + $d counted as dropped = 20001 sent"
	else
		bad "a stopped collector: $s taken, ${d:-?} dropped, of 20001"
	fi
fi

# Option errors.
for bad_args in "--hep-listen 127.0.0.1:9060 -r $srcdir/pcaps/sipp-busy.pcap" \
    "--hep-listen 9060 -i lo" "--hep-listen 70000" "--hep-listen 127.0.0.1:" "--hep-listen ::1:9060" \
    "--hep-listen 9060 udp port 5060" "--hep-password x -r $srcdir/pcaps/sipp-busy.pcap" \
    "--hep-reorder 100 -r $srcdir/pcaps/sipp-busy.pcap" "--hep-listen 9060 --hep-reorder 10001" \
    "--hep-listen 9060 --hep-reorder -1"; do
	# shellcheck disable=SC2086
	if "$CALLTAP" -q --json /dev/null $bad_args 2>"$t/err"; then
		bad "'$bad_args' accepted"
	elif [ $? -eq 1 ] && [ -s "$t/err" ]; then
		ok "'$bad_args' refused with a message"
	else
		bad "'$bad_args': wrong exit status"
	fi
done
# A port taken: exit 2 with a message.
if listen; then
	if "$CALLTAP" -q --json /dev/null --hep-listen "127.0.0.1:$port" 2>"$t/err"; then
		bad "a port in use: accepted"
	elif [ $? -eq 2 ] && grep -q "cannot bind" "$t/err"; then
		ok "a port in use: refused with a message"
	else
		bad "a port in use: $(cat "$t/err")"
	fi
	stop
fi

# Port 0 takes one free port for UDP and TCP: UDP gets an ephemeral port,
# and TCP the same number, which another program may hold.  In a network
# namespace of our own whose ephemeral range is two ports, one of them held
# by a TCP listener, every start must find the other (a first try only
# fails about half of the starts).
ns=ct-hep-$$
if [ "$(id -u)" -eq 0 ] && ip netns add "$ns" 2>/dev/null; then
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="40000 40001"
	if ip netns exec "$ns" python3 - "$CALLTAP" "$t" <<'PY' >"$t/err" 2>&1
import socket, subprocess, sys, time
calltap, t = sys.argv[1], sys.argv[2]
held = socket.socket()
held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
held.bind(("127.0.0.1", 40000))
held.listen(1)
started = 0
for i in range(16):
    p = subprocess.Popen([calltap, "--hep-listen", "127.0.0.1:0", "--json", "/dev/null", "-q"],
                         stderr=open("%s/bind.err" % t, "w"))
    time.sleep(0.2)
    if p.poll() is None:
        started += 1
        p.terminate()
    p.wait()
print("%d of 16 started" % started)
sys.exit(0 if started == 16 else 1)
PY
	then
		ok "--hep-listen 127.0.0.1:0 beside a TCP listener on one of two ephemeral ports: $(cat "$t/err")"
	else
		bad "--hep-listen 127.0.0.1:0 with the TCP port of UDP's pick taken"
	fi
	ip netns del "$ns"
else
	echo "skip: port 0 with a taken TCP port (needs root and ip netns)"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
