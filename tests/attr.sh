#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# End-to-end test of attribution (--numbers, --home, --country-code,
# --sensor, history and callbacks).  A small trunk capture is generated
# here (python3, Ethernet/IPv4/IPv6/UDP SIP): a missed inbound call to a
# tracking number, the PBX calling the number back 90 s later, the same
# caller again on another tracking number, an anonymous caller, an internal
# call, an IPv6 inbound call and a missed call at the end; then a second
# capture that calls that one back and has the first caller again.  calltap
# runs on both with the same SQLite store, so the second run continues the
# history; the JSON fields and the store are checked exactly.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "attr: python3 missing, skipped"; exit 77; }
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT

python3 - "$t/trunk1.pcap" "$t/trunk2.pcap" <<'EOF' || exit 1
import socket, struct, sys

T0 = 1700000000          # 2023-11-14T22:13:20Z
frames = []

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def frame(ts, src, dst, payload, sport=5060, dport=5060):
    udp = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    if ':' in src:
        ip = struct.pack('!IHBB', 6 << 28, len(udp), 17, 64)
        ip += socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
        eth = b'\x02\0\0\0\0\x02' + b'\x02\0\0\0\0\x01' + b'\x86\xdd'
    else:
        h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                        socket.inet_aton(src), socket.inet_aton(dst))
        ip = h[:10] + struct.pack('!H', csum(h)) + h[12:]
        eth = b'\x02\0\0\0\0\x02' + b'\x02\0\0\0\0\x01' + b'\x08\x00'
    frames.append((ts, eth + ip + udp))

def host(a):
    return '[%s]' % a if ':' in a else a

def call(cid, t, src, dst, frm, ruri, outcome, talk=30, name=None):
    """outcome: a final status code; 200 = answered then BYE from the caller."""
    br = 'z9hG4bK' + cid
    fh = '%s<sip:%s@%s>;tag=f%s' % ('"%s" ' % name if name else '', frm, host(src), cid)
    via = 'Via: SIP/2.0/UDP %s:5060;branch=%s\r\n' % (host(src), br)
    common = ('From: %s\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n' % (fh, cid))
    inv = ('INVITE sip:%s@%s SIP/2.0\r\n' % (ruri, host(dst)) + via + common +
           'To: <sip:%s@%s>\r\nContact: <sip:%s@%s>\r\nContent-Length: 0\r\n\r\n'
           % (ruri, host(dst), frm, host(src)))
    frame(t, src, dst, inv.encode())
    def resp(ts, code, phrase):
        r = ('SIP/2.0 %d %s\r\n' % (code, phrase) + via + common.replace('Max-Forwards: 70\r\n', '') +
             'To: <sip:%s@%s>;tag=t%s\r\nContact: <sip:%s@%s>\r\nContent-Length: 0\r\n\r\n'
             % (ruri, host(dst), cid, ruri, host(dst)))
        frame(ts, dst, src, r.encode())
    resp(t + 1, 180, 'Ringing')
    if outcome != 200:
        resp(t + 5, outcome, {486: 'Busy Here', 480: 'Temporarily Unavailable'}[outcome])
        ack = ('ACK sip:%s@%s SIP/2.0\r\n' % (ruri, host(dst)) + via +
               common.replace('1 INVITE', '1 ACK') +
               'To: <sip:%s@%s>;tag=t%s\r\nContent-Length: 0\r\n\r\n' % (ruri, host(dst), cid))
        frame(t + 5.01, src, dst, ack.encode())
        return
    resp(t + 5, 200, 'OK')
    dialog = ('From: %s\r\nTo: <sip:%s@%s>;tag=t%s\r\nCall-ID: %s\r\n' % (fh, ruri, host(dst), cid, cid))
    vb = 'Via: SIP/2.0/UDP %s:5060;branch=%s\r\n'
    frame(t + 5.01, src, dst, ('ACK sip:%s@%s SIP/2.0\r\n' % (ruri, host(dst)) + vb % (host(src), br + 'a') +
          dialog + 'CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n').encode())
    frame(t + 5 + talk, src, dst, ('BYE sip:%s@%s SIP/2.0\r\n' % (ruri, host(dst)) + vb % (host(src), br + 'b') +
          dialog + 'CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n').encode())
    frame(t + 5.01 + talk, dst, src, ('SIP/2.0 200 OK\r\n' + vb % (host(src), br + 'b') +
          dialog + 'CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n').encode())

def write(path):
    frames.sort(key=lambda f: f[0])
    with open(path, 'wb') as out:
        out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for ts, data in frames:
            us = int(round(ts * 1000000))
            out.write(struct.pack('<IIII', us // 1000000, us % 1000000, len(data), len(data)))
            out.write(data)
    del frames[:]

carrier, pbx, phone = '198.51.100.5', '203.0.113.10', '203.0.113.20'
call('m1', T0, carrier, pbx, '+447700900001', '+18005550199', 486)
call('o1', T0 + 95, pbx, carrier, '2001', '07700900001', 200, talk=60)
call('r1', T0 + 200, carrier, pbx, '+447700900001', '02079460018', 200)
call('a1', T0 + 300, carrier, pbx, 'anonymous', '2002', 480, name='Anonymous')
call('i1', T0 + 400, phone, pbx, '2001', '2002', 200)
call('v6', T0 + 500, '2001:db8:5100::1', '2001:db8:113::10', '+18005550123', '+1-800-555-0199', 200)
call('m2', T0 + 600, carrier, pbx, '+447700900003', '+18005550199', 480)
write(sys.argv[1])
# The next capture: m2 is called back (400 s after it ended), m1's caller again.
call('o2', T0 + 1005, pbx, carrier, '2001', '+44-7700-900003', 200)
call('o3', T0 + 1100, pbx, carrier, '2001', '+44-7700-900003', 200)
call('r2', T0 + 1200, carrier, pbx, '447700900001', '18005550199', 200)
write(sys.argv[2])
EOF

cat >"$t/numbers.csv" <<'EOF'
number,source,campaign,cost
"+1 (800) 555-0199",Google Ads,"Brand, exact",12.50
020 7946 0018,Radio,,
EOF

opts="--numbers $t/numbers.csv --home 203.0.113.0/24 --home 2001:db8:113::/48 --country-code 44 --sensor edge-1"
fail=0
# shellcheck disable=SC2086
"$CALLTAP" -r "$t/trunk1.pcap" --json "$t/run1.jsonl" --db "$t/store.db" $opts 2>"$t/err1" ||
	{ echo "FAIL attr: run 1 exited $?"; cat "$t/err1"; exit 1; }
# shellcheck disable=SC2086
"$CALLTAP" -r "$t/trunk2.pcap" --json "$t/run2.jsonl" --db "$t/store.db" $opts 2>"$t/err2" ||
	{ echo "FAIL attr: run 2 exited $?"; cat "$t/err2"; exit 1; }
# Run 3: the first capture replayed into the same store: the same history fields.
# shellcheck disable=SC2086
"$CALLTAP" -r "$t/trunk1.pcap" --json "$t/run3.jsonl" --db "$t/store.db" $opts 2>"$t/err3" ||
	{ echo "FAIL attr: run 3 exited $?"; cat "$t/err3"; exit 1; }
[ -s "$t/err1" ] || [ -s "$t/err2" ] || [ -s "$t/err3" ] &&
	{ echo "FAIL attr: stderr: $(cat "$t/err1" "$t/err2" "$t/err3")"; fail=1; }

python3 - "$t" <<'EOF' || fail=1
import json, sqlite3, sys

d = sys.argv[1]
keys = ['call_id', 'direction', 'disposition', 'sensor', 'source', 'campaign',
        'first_call', 'repeat_count', 'callback_s', 'callback_of', 'agent']
def load(name):
    with open('%s/%s' % (d, name)) as f:
        recs = [json.loads(l) for l in f]
    order = list(recs[0].keys())
    i = order.index('undecodable_codecs')
    assert order[i + 1:i + 31] == ['sensor', 'source', 'campaign', 'first_call',
        'repeat_count', 'callback_s', 'callback_of', 'capture_drops', 'evicted',
        'cut_fields', 'caller_number', 'callee_number', 'session_id', 'visitor_id',
        'client_id', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_term',
        'utm_content', 'click_id', 'answered_by', 'rings', 'parent_call_id', 'rtp_packets', 'mos_min', 'loss_pct_max',
        'jitter_max_ms', 'start_seen', 'streams'], order
    return {r['call_id']: [r[k] for k in keys[1:]] for r in recs}

# History only for inbound calls from a number; the agent is the company's
# extension (outbound: the caller 2001; internal: 2002 answered), never the
# customer's number nor the dialled tracking number (the 200's Contact).
want1 = {
    'm1': ['inbound', 'busy', 'edge-1', 'Google Ads', 'Brand, exact', True, 0, None, None, None],
    'o1': ['outbound', 'answered', 'edge-1', None, None, None, None, None, 'm1', '2001'],
    'r1': ['inbound', 'answered', 'edge-1', 'Radio', None, False, 1, None, None, None],
    'a1': ['inbound', 'noanswer', 'edge-1', None, None, None, None, None, None, None],
    'i1': ['internal', 'answered', 'edge-1', None, None, None, None, None, None, '2002'],
    'v6': ['inbound', 'answered', 'edge-1', 'Google Ads', 'Brand, exact', True, 0, None, None, None],
    'm2': ['inbound', 'noanswer', 'edge-1', 'Google Ads', 'Brand, exact', True, 0, None, None, None],
}
# Run 2 continues the history from the store.
want2 = {
    'o2': ['outbound', 'answered', 'edge-1', None, None, None, None, None, 'm2', '2001'],
    'o3': ['outbound', 'answered', 'edge-1', None, None, None, None, None, None, '2001'],
    'r2': ['inbound', 'answered', 'edge-1', 'Google Ads', 'Brand, exact', False, 2, None, None, None],
}
# Run 3 replays capture 1: no call is its own earlier call; the callbacks
# (o1 in the store, o2 of run 2) are known now, so the missed calls carry them.
want3 = dict(want1)
want3['m1'] = want1['m1'][:7] + [90.0, None, None]
want3['m2'] = want1['m2'][:7] + [400.0, None, None]
bad = 0
for name, want in (('run1.jsonl', want1), ('run2.jsonl', want2), ('run3.jsonl', want3)):
    got = load(name)
    if got != want:
        bad = 1
        for k in sorted(set(got) | set(want)):
            if got.get(k) != want.get(k):
                print('FAIL attr %s %s:\n  got  %s\n  want %s' % (name, k, got.get(k), want.get(k)))
db = sqlite3.connect('%s/store.db' % d)
rows = db.execute("SELECT call_id, callback_s, callback_of, first_call, repeat_count, sensor"
                  " FROM calls ORDER BY id LIMIT 10").fetchall()
want_rows = [
    ('m1', 90.0, None, 1, 0, 'edge-1'), ('o1', None, 'm1', None, None, 'edge-1'),
    ('r1', None, None, 0, 1, 'edge-1'), ('a1', None, None, None, None, 'edge-1'),
    ('i1', None, None, None, None, 'edge-1'), ('v6', None, None, 1, 0, 'edge-1'),
    ('m2', 400.0, None, 1, 0, 'edge-1'), ('o2', None, 'm2', None, None, 'edge-1'),
    ('o3', None, None, None, None, 'edge-1'), ('r2', None, None, 0, 2, 'edge-1'),
]
if rows != want_rows:
    bad = 1
    print('FAIL attr store rows:\n  got  %s\n  want %s' % (rows, want_rows))
nums = db.execute("SELECT number, source, campaign, cost FROM numbers ORDER BY number").fetchall()
if nums != [('+18005550199', 'Google Ads', 'Brand, exact', 12.5), ('+442079460018', 'Radio', None, None)]:
    bad = 1
    print('FAIL attr numbers table: %s' % nums)
sys.exit(bad)
EOF
[ $? -eq 0 ] || fail=1

# Startup errors: exit status 1 and a message naming the file and line.
printf 'number,source,campaign\n+18005550199,Google,Brand\nnot-a-number,X,Y\n' >"$t/bad.csv"
"$CALLTAP" -r "$t/trunk1.pcap" --json /dev/null --numbers "$t/bad.csv" 2>"$t/err3"
rc=$?
want="calltap: $t/bad.csv:3: 'not-a-number' is not a phone number"
if [ $rc -ne 1 ] || [ "$(cat "$t/err3")" != "$want" ]; then
	echo "FAIL attr: bad CSV: exit $rc, stderr: $(cat "$t/err3")"; fail=1
fi
"$CALLTAP" -r "$t/trunk1.pcap" --json /dev/null --home 10.0.0.0/33 2>"$t/err4"
rc=$?
if [ $rc -ne 1 ] || ! grep -q "bad --home prefix '10.0.0.0/33'" "$t/err4"; then
	echo "FAIL attr: bad --home: exit $rc, stderr: $(cat "$t/err4")"; fail=1
fi
"$CALLTAP" -r "$t/trunk1.pcap" --json /dev/null --history-max x 2>"$t/err5"
rc=$?
if [ $rc -ne 1 ]; then
	echo "FAIL attr: bad --history-max: exit $rc"; fail=1
fi
# No direction configured and a store written: one warning at startup;
# --numbers (calls to tracking numbers are inbound) or --home silence it.
"$CALLTAP" -r "$t/trunk1.pcap" --db "$t/w.db" 2>"$t/err6"
rc=$?
if [ $rc -ne 0 ] || [ "$(grep -c 'warning: without --home (or --numbers) outbound calls cannot be told' "$t/err6")" != 1 ] ||
    [ "$(wc -l <"$t/err6")" != 1 ]; then
	echo "FAIL attr: no-direction warning: exit $rc, stderr: $(cat "$t/err6")"; fail=1
fi
"$CALLTAP" -r "$t/trunk1.pcap" --db "$t/w2.db" --numbers "$t/numbers.csv" 2>"$t/err7"
"$CALLTAP" -r "$t/trunk1.pcap" --db "$t/w3.db" --home 203.0.113.0/24 2>>"$t/err7"
"$CALLTAP" -r "$t/trunk1.pcap" --json /dev/null 2>>"$t/err7"
if [ -s "$t/err7" ]; then
	echo "FAIL attr: a warning with a direction configured or no store: $(cat "$t/err7")"; fail=1
fi
if [ $fail -eq 0 ]; then
	echo "attr: ok (3 captures, 13 records, replay, store, numbers table, 3 startup errors, warning)"
fi
exit $fail
