#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A call whose INVITE carries a second Content-Type and a second
# Max-Forwards, and whose 200 OK repeats CSeq, From and Content-Length (as
# real user agents send them; libosip2 rejects such a message whole): the
# call must come out answered, with its SDP and RTP endpoints, nothing
# counted as sip_malformed and two messages as sip_repeated_header.
# Prints "sip-repeated: N passed, N failed".
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "skip: python3 is needed"; exit 77; }
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
PYTHONPATH="$srcdir/tests" python3 - "$t/rep.pcap" <<'EOF'
import struct, sys
from pktlib import csum

A, B = bytes([192, 0, 2, 10]), bytes([198, 51, 100, 20])

def frame(src, dst, sport, dport, payload):
    udp = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst)
    ip = h[:10] + struct.pack('!H', csum(h)) + h[12:] + udp
    return b'\x02\0\0\0\0\x02' + b'\x02\0\0\0\0\x01' + b'\x08\x00' + ip

def sdp(addr, port):
    return ('v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n'
            'm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n' % (addr, addr, port))

common = ('From: "Alice" <sip:1001@example.com>;tag=fa\r\n'
          'To: <sip:5550100@example.com>%s\r\n'
          'Call-ID: rep-call-1@192.0.2.10\r\n')
body = sdp('192.0.2.10', 40000)
invite = ('INVITE sip:5550100@example.com SIP/2.0\r\n'
          'Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-i1\r\n'
          'Max-Forwards: 70\r\nMax-Forwards: 70\r\n' + common % '' +
          'CSeq: 1 INVITE\r\nContact: <sip:1001@192.0.2.10>\r\n'
          'Content-Type: application/sdp\r\nContent-Type: application/sdp\r\n'
          'Content-Length: %d\r\n\r\n%s' % (len(body), body))
body2 = sdp('198.51.100.20', 50000)
ok = ('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-i1\r\n' +
      common % ';tag=tb' + 'CSeq: 1 INVITE\r\nCSeq: 1 INVITE\r\n'
      'From: <sip:1001@example.com>;tag=fa\r\nContact: <sip:2001@198.51.100.20>\r\n'
      'Content-Type: application/sdp\r\nContent-Length: %d\r\nContent-Length: %d\r\n\r\n%s'
      % (len(body2), len(body2), body2))
ack = ('ACK sip:2001@198.51.100.20 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-a1\r\n' +
       common % ';tag=tb' + 'CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n')
bye = ('BYE sip:2001@198.51.100.20 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-b1\r\n' +
       common % ';tag=tb' + 'CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n')
byeok = ('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-b1\r\n' +
         common % ';tag=tb' + 'CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n')
T = 1700000000 * 1000000
ev = [(T, A, B, 5060, 5060, invite), (T + 800000, B, A, 5060, 5060, ok),
      (T + 810000, A, B, 5060, 5060, ack)]
for i in range(50):   # 1 s of RTP each way, PCMU, 20 ms
    for src, dst, sp, dp, ssrc in ((A, B, 40000, 50000, 0x11), (B, A, 50000, 40000, 0x22)):
        rtp = struct.pack('!BBHII', 0x80, 0, i, i * 160, ssrc) + b'\xff' * 160
        ev.append((T + 1000000 + i * 20000, src, dst, sp, dp, rtp))
ev += [(T + 3000000, A, B, 5060, 5060, bye), (T + 3010000, B, A, 5060, 5060, byeok)]
ev.sort(key=lambda e: e[0])
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for ts, src, dst, sp, dp, p in ev:
        fr = frame(src, dst, sp, dp, p.encode() if isinstance(p, str) else p)
        f.write(struct.pack('<IIII', ts // 1000000, ts % 1000000, len(fr), len(fr)) + fr)
EOF
"$CALLTAP" -r "$t/rep.pcap" --json "$t/rep.jsonl" -s 2>"$t/err" || bad "calltap failed"
got=$(python3 -c 'import json,sys
r=[json.loads(l) for l in open(sys.argv[1])]
print(len(r), r[0]["disposition"], r[0]["final_code"], r[0]["caller"], r[0]["callee"], r[0]["hangup_by"],
      len(r[0]["streams"]), r[0]["rtp_packets"])' "$t/rep.jsonl" 2>&1)
want="1 answered 200 1001 5550100 caller 2 100"
[ "$got" = "$want" ] && ok "repeated single headers: the call is kept ($got)" ||
    bad "repeated single headers: got '$got', want '$want'"
grep -q "sip_repeated_header  *2$" "$t/err" && ok "sip_repeated_header counts the 2 messages" ||
    { bad "sip_repeated_header"; grep sip_ "$t/err"; }
! grep -q "sip_malformed  *[1-9]" "$t/err" && ok "nothing counted malformed" || bad "sip_malformed"
echo "sip-repeated: $pass passed, $fail failed"
[ $fail -eq 0 ]
