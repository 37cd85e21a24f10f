#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Spoofed RTP at a trunk's media ports (issue 9, integrity): scripts/gen-calls
# makes legitimate calls with their truth (caller 440 Hz, callee 1000 Hz,
# loss and jitter, NAT-free public SDP, IPv4 and IPv6), tests/rtp-inject.py
# adds a flood of RTP from foreign sources at random PBX ports, bursts at
# every answered call's two media endpoints while it talks, and one loud
# 3000 Hz stream to the PBX port of the longest call.  Checks:
#   - every record is exact (scripts/compare-truth, streams included: no
#     foreign stream in any call, every real stream's packets and loss);
#   - --stats counts at least every packet sent to a live call endpoint as
#     rtp_injected;
#   - with --audio the loud call's recording holds the caller's 440 Hz on
#     the left and the callee's 1000 Hz on the right, and no 3000 Hz.
. "$(dirname "$0")/lib.sh"
if ! command -v python3 >/dev/null 2>&1; then
	echo "skip: python3 is needed"
	exit 77
fi
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
"$srcdir/scripts/gen-calls" -q -o "$t/legit.pcap" --truth "$t/truth.jsonl" --seed 11 --calls 60 \
	--concurrency 15 --talk-mean 5 --tone --loss 1 --jitter-ms 10 || exit 1
python3 "$srcdir/tests/rtp-inject.py" "$t/legit.pcap" "$t/truth.jsonl" "$t/in.pcap" 5 >"$t/info" || exit 1
mkdir "$t/audio"
"$CALLTAP" -r "$t/in.pcap" --json "$t/calls.jsonl" --audio "$t/audio" -s 2>"$t/stats"
st=$?
if [ $st -eq 0 ]; then ok "calltap exit status 0"; else bad "calltap exit status $st"; fi
if "$srcdir/scripts/compare-truth" "$t/truth.jsonl" "$t/calls.jsonl" >"$t/cmp"; then
	ok "every record exact with the flood: $(tail -n 1 "$t/cmp")"
else
	cp "$t/cmp" "$t/err"
	bad "records differ from the truth"
fi
python3 - "$t/info" "$t/stats" "$t/calls.jsonl" >"$t/check" 2>&1 <<'PY'
import json, math, sys, wave

def goertzel(xs, rate, f):
    k = 2 * math.cos(2 * math.pi * f / rate)
    s1 = s2 = 0.0
    for x in xs:
        s1, s2 = x + k * s1 - s2, s1
    return s1 * s1 + s2 * s2 - k * s1 * s2

info = json.load(open(sys.argv[1]))
stats = {}
for line in open(sys.argv[2]):
    f = line.split()
    if len(f) == 2 and f[1].isdigit():
        stats[f[0]] = int(f[1])
errs = []
inj = stats.get('rtp_injected', 0)
if inj < info['targeted']:
    errs.append('rtp_injected %d < %d packets sent to live call endpoints' % (inj, info['targeted']))
if inj > info['targeted'] + info['flood']:
    errs.append('rtp_injected %d > all injected packets %d' % (inj, info['targeted'] + info['flood']))
rec = None
for line in open(sys.argv[3]):
    r = json.loads(line)
    for s in r['streams']:
        if s['src'].startswith('45.') or s['src'].startswith('[2a05:'):
            errs.append('%s has a foreign stream from %s' % (r['call_id'], s['src']))
    if r['call_id'] == info['loud_call']:
        rec = r['recording']
if rec is None:
    errs.append('no recording for the loud call %s' % info['loud_call'])
else:
    w = wave.open(rec)
    rate, n = w.getframerate(), w.getnframes()
    data = w.readframes(n)
    x = [int.from_bytes(data[i:i + 2], 'little', signed=True) for i in range(0, len(data), 2)]
    left, right = x[0::2], x[1::2]
    # Every whole second of the file: the loud stream covered the whole talk time.
    for sec in range(int(n / rate)):
        lo, hi = sec * rate, (sec + 1) * rate
        for name, ch, own in (('left', left, 440), ('right', right, 1000)):
            loud = goertzel(ch[lo:hi], rate, 3000)
            mine = goertzel(ch[lo:hi], rate, own)
            if loud > 1e6 and loud * 100 > mine:
                errs.append('%s channel second %d: 3000 Hz %.3g vs own %d Hz %.3g'
                            % (name, sec, loud, own, mine))
for e in errs:
    print(e)
print('%d packets to call endpoints, %d flood, rtp_injected %d, loud call %s (%d packets, would be %s)'
      % (info['targeted'], info['flood'], inj, info['loud_call'], info['loud_packets'],
         info['loud_channel']))
sys.exit(1 if errs else 0)
PY
if [ $? -eq 0 ]; then
	ok "injected packets counted, recording clean: $(tail -n 1 "$t/check")"
else
	cp "$t/check" "$t/err"
	bad "injection not contained"
fi
# The status line tells injected packets too (network teams watch it live).
"$CALLTAP" -r "$t/in.pcap" --json /dev/null --stats-interval 1 -q 2>"$t/err"
if grep -Eq "^calltap: packets .* rtp [0-9]+ injected [1-9][0-9]* sip " "$t/err"; then
	ok "status line counts injected RTP"
else
	bad "status line without injected RTP"
fi
# A port one call had for its RTCP (its RTP port + 1) is the next call's
# RTP port (a PBX reusing ports while the first call lingers), and the
# next call's answer is in its 200 (delayed offer): each call keeps its
# own two streams and its own audio, none goes to the first call.
python3 - "$t/reuse.pcap" <<'PY'
import struct, sys
A, B = bytes([192, 0, 2, 1]), bytes([203, 0, 113, 10])
frames = []
def udp(t, src, sp, dst, dp, data):
    u = struct.pack('!HHHH', sp, dp, 8 + len(data), 0) + data
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(u), 1, 0, 64, 17, 0, src, dst)
    frames.append((t, b'\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00' + ip + u))
def sdp(ip, port):
    a = '.'.join(map(str, ip))
    return ('v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n'
            'm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n' % (a, a, port)).encode()
def sip(t, src, dst, first, cid, to_tag, cseq, method, body=b''):
    h = ('%s\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK%s%d\r\n'
         'From: <sip:100@192.0.2.1>;tag=f\r\nTo: <sip:200@203.0.113.10>%s\r\n'
         'Call-ID: %s\r\nCSeq: %d %s\r\n' % (first, method, cseq, to_tag, cid, cseq, method))
    if body:
        h += 'Content-Type: application/sdp\r\n'
    udp(t, src, 5060, dst, 5060, (h + 'Content-Length: %d\r\n\r\n' % len(body)).encode() + body)
def rtp(t, src, sp, dst, dp, ssrc, n=50):
    for i in range(n):
        udp(t + i * 0.02, src, sp, dst, dp,
            struct.pack('!BBHII', 0x80, 0, i + 1, 160 * i, ssrc) + b'\xff' * 160)
    return t + n * 0.02
def call(t, cid, a_port, b_port, delayed, ssrc):
    sip(t, A, B, 'INVITE sip:200@203.0.113.10 SIP/2.0', cid, '', 1, 'INVITE',
        b'' if delayed else sdp(A, a_port))
    sip(t + .01, B, A, 'SIP/2.0 200 OK', cid, ';tag=t', 1, 'INVITE', sdp(B, b_port))
    sip(t + .02, A, B, 'ACK sip:200@203.0.113.10 SIP/2.0', cid, ';tag=t', 1, 'ACK')
    rtp(t + .03, A, a_port, B, b_port, ssrc)
    e = rtp(t + .03, B, b_port, A, a_port, ssrc + 1)
    sip(e, A, B, 'BYE sip:200@203.0.113.10 SIP/2.0', cid, ';tag=t', 2, 'BYE')
    sip(e + .01, B, A, 'SIP/2.0 200 OK', cid, ';tag=t', 2, 'BYE')
    return e + .01
t = call(1700000000.0, 'reuse-1', 19001, 29001, False, 100)
call(t + 2, 'reuse-2', 19002, 29002, True, 200)
frames.sort(key=lambda f: f[0])
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for ts, fr in frames:
        f.write(struct.pack('<IIII', int(ts), int(round((ts % 1) * 1e6)) % 1000000, len(fr), len(fr)) + fr)
PY
mkdir "$t/ra"
"$CALLTAP" -r "$t/reuse.pcap" --json "$t/reuse.jsonl" --audio "$t/ra" -q 2>"$t/err"
if python3 - "$t/reuse.jsonl" >"$t/err" 2>&1 <<'PY'
import json, sys
recs = {r['call_id']: r for r in map(json.loads, open(sys.argv[1]))}
for cid, ssrcs in (('reuse-1', {'0x00000064', '0x00000065'}), ('reuse-2', {'0x000000C8', '0x000000C9'})):
    r = recs[cid]
    got = {s['ssrc'] for s in r['streams']}
    assert got == ssrcs and all(s['packets'] == 50 for s in r['streams']), (cid, r['streams'])
    assert r['recording'], cid
PY
then
	ok "a call's RTCP port reused as the next call's RTP port: each call its own streams"
else
	bad "RTCP port reused as an RTP port: streams go to the wrong call"
fi
echo "rtp-inject: $pass passed, $fail failed"
[ $fail -eq 0 ]
