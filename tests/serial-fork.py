#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""serial-fork.py: captures of calls forked by a proxy, seen downstream of
it (between the proxy and the phones), for tests/serial-fork.sh.

    serial-fork.py list
    serial-fork.py write SCENARIO OUT.pcap      one scenario
    serial-fork.py expect SCENARIO              its expected record fields (JSON)
    serial-fork.py check SCENARIO RECORDS.jsonl compares calltap's records with them

A proxy that hunts (Kamailio/OpenSIPS failure_route, a hunt group, "ring
agent 1 for 15 s, then agent 2", a redirect to voicemail, a failover to a
second gateway after 503) forwards one INVITE (same Call-ID, From tag and
CSeq) to one target after another, each time as a new client transaction
with a new top Via branch (RFC 3261 §16.6 step 8, §16.7).  The tap sees
only the proxy's side: INVITE(branch 1) -> 180 -> 486 -> ACK, then
INVITE(branch 2) -> 180 -> 200 -> ACK -> RTP -> BYE.

Addresses: the proxy 10.1.0.1, phones 10.1.0.11 (ext 201), 10.1.0.12
(202), 10.1.0.13 (203), a voicemail server 10.1.0.20, a PBX 10.1.0.30
that serves several extensions on one address; the caller's media
198.51.100.7:40000 (the proxy does not relay media).  Classic pcap,
Ethernet, microseconds, starting at 2024-03-01 10:00:00 UTC.
"""

import json
import struct
import sys

sys.path.insert(0, __import__('os').path.dirname(__file__))
from pktlib import csum  # noqa: E402  (tests/pktlib.py)

US = 1000000
T0 = 1709287200 * US          # 2024-03-01T10:00:00Z
PROXY = '10.1.0.1'
PHONE = {'201': '10.1.0.11', '202': '10.1.0.12', '203': '10.1.0.13', 'vm': '10.1.0.20'}
PBX = '10.1.0.30'
CALLER = '198.51.100.7'
DID = '+380445550100'
CALLER_NO = '+380671234567'


def ip4(s):
    return bytes(int(x) for x in s.split('.'))


def frame(src, dst, sp, dp, data):
    u = struct.pack('!HHHH', sp, dp, 8 + len(data), 0) + data
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(u), 0, 0x4000, 64, 17, 0,
                    ip4(src), ip4(dst))
    ip = h[:10] + struct.pack('!H', csum(h)) + h[12:] + u
    return (b'\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00') + ip


def iso(us):
    import datetime
    d = datetime.datetime.fromtimestamp(us // US, datetime.timezone.utc)
    return d.strftime('%Y-%m-%dT%H:%M:%S') + '.%06dZ' % (us % US)


def sdp(ip, port):
    return ('v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n'
            'm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n' % (ip, ip, port))


class Capture:
    def __init__(self):
        self.pkts = []

    def add(self, ts, src, dst, sp, dp, data):
        self.pkts.append((ts, len(self.pkts), frame(src, dst, sp, dp, data)))

    def write(self, path):
        with open(path, 'wb') as f:
            f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for ts, _, fr in sorted(self.pkts):
                f.write(struct.pack('<IIII', ts // US, ts % US, len(fr), len(fr)))
                f.write(fr)


class Call:
    """One call forwarded by the proxy: its initial INVITE (one Call-ID,
    From tag, CSeq) sent to each target in turn as a branch."""

    def __init__(self, cap, cid, cseq=1):
        self.cap, self.cid, self.cseq = cap, cid, cseq
        self.frm = '"Alice" <sip:%s@carrier.example>;tag=caller-tag-1' % CALLER_NO
        self.to = '<sip:%s@pbx.example>' % DID
        self.upvia = 'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKup-%s' % cid
        self.n = 0

    def branch(self, ts, ext, ip=None, user=None):
        """Sends the INVITE to ext (at ip, default its phone) as a new branch."""
        self.n += 1
        b = {'ext': ext, 'ip': ip or PHONE[ext], 'user': user or ext,
             'via': 'Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-%s-b%d' % (PROXY, self.cid, self.n),
             'tag': 'to-%s-%d' % (ext, self.n)}
        self.req(ts, b, 'INVITE', 'sip:%s@%s' % (b['user'], b['ip']),
                 body=sdp(CALLER, 40000), to_tag=False)
        self.resp(ts + 2000, b, 100, 'Trying', to_tag=False)
        return b

    def hdrs(self, b, method, to_tag, cseq=None):
        h = [b['via'], self.upvia, 'Max-Forwards: 69', 'Record-Route: <sip:%s;lr>' % PROXY,
             'From: ' + self.frm,
             'To: ' + self.to + (';tag=' + b['tag'] if to_tag else ''),
             'Call-ID: ' + self.cid, 'CSeq: %d %s' % (cseq or self.cseq, method)]
        return h

    def req(self, ts, b, method, ruri, body='', to_tag=True, cseq=None, extra=()):
        h = self.hdrs(b, method, to_tag, cseq) + list(extra)
        if method == 'INVITE':
            h.append('Contact: <sip:%s@%s:5060>' % (CALLER_NO, '192.0.2.1'))
        self.msg(ts, PROXY, b['ip'], '%s %s SIP/2.0' % (method, ruri), h, body)

    def resp(self, ts, b, code, phrase, body='', to_tag=True, method='INVITE', cseq=None,
             via=None):
        h = self.hdrs(b, method, to_tag, cseq)
        if via is not None:
            h[0] = via
        if code < 300 and code > 100:
            h.append('Contact: <sip:%s@%s:5060>' % (b['user'], b['ip']))
        self.msg(ts, b['ip'], PROXY, 'SIP/2.0 %d %s' % (code, phrase), h, body)

    def msg(self, ts, src, dst, first, h, body):
        if body:
            h = h + ['Content-Type: application/sdp']
        data = ('\r\n'.join([first] + h) + '\r\nContent-Length: %d\r\n\r\n' % len(body)
                ).encode() + body.encode()
        self.cap.add(ts, src, dst, 5060, 5060, data)

    def ring(self, ts, b):
        self.resp(ts, b, 180, 'Ringing')

    def fail(self, ts, b, code, phrase):
        """A final failure of branch b and the proxy's hop-by-hop ACK (same branch)."""
        self.resp(ts, b, code, phrase)
        self.req(ts + 3000, b, 'ACK', 'sip:%s@%s' % (b['user'], b['ip']))

    def cancel(self, ts, b):
        """The proxy cancels branch b (its own timer, or the caller's CANCEL)."""
        ruri = 'sip:%s@%s' % (b['user'], b['ip'])
        h = [b['via'], 'Max-Forwards: 70', 'From: ' + self.frm, 'To: ' + self.to,
             'Call-ID: ' + self.cid, 'CSeq: %d CANCEL' % self.cseq]
        self.msg(ts, PROXY, b['ip'], 'CANCEL %s SIP/2.0' % ruri, h, '')
        self.msg(ts + 1500, b['ip'], PROXY, 'SIP/2.0 200 OK',
                 [b['via'], 'From: ' + self.frm, 'To: ' + self.to + ';tag=' + b['tag'],
                  'Call-ID: ' + self.cid, 'CSeq: %d CANCEL' % self.cseq], '')
        self.fail(ts + 3000, b, 487, 'Request Terminated')

    def answer(self, ts, b, talk_s, bye_by='callee', rtp=True):
        """b answers at ts, talk_s seconds of RTP both ways, then a BYE."""
        self.resp(ts, b, 200, 'OK', body=sdp(b['ip'], 30000))
        ack = dict(b, via='Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-%s-ack' % (PROXY, self.cid))
        self.req(ts + 20000, ack, 'ACK', 'sip:%s@%s:5060' % (b['user'], b['ip']))
        if rtp:
            for i in range(int(talk_s * 50)):
                t = ts + 30000 + i * 20000
                for (s, sp, d, dp, ssrc) in ((CALLER, 40000, b['ip'], 30000, 0x1111),
                                             (b['ip'], 30000, CALLER, 40000, 0x2222)):
                    pl = struct.pack('!BBHII', 0x80, 0, i & 0xFFFF, i * 160, ssrc) + b'\xff' * 160
                    self.cap.add(t + (0 if ssrc == 0x1111 else 700), s, d, sp, dp, pl)
        end = ts + 30000 + int(talk_s * US)
        bye_via = 'Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-%s-bye' % (b['ip'], self.cid)
        if bye_by == 'callee':
            h = [bye_via, 'From: ' + self.to + ';tag=' + b['tag'], 'To: ' + self.frm,
                 'Call-ID: ' + self.cid, 'CSeq: 1 BYE', 'Route: <sip:%s;lr>' % PROXY]
            self.msg(end, b['ip'], PROXY, 'BYE sip:%s@192.0.2.1:5060 SIP/2.0' % CALLER_NO,
                     h, '')
            self.msg(end + 5000, PROXY, b['ip'], 'SIP/2.0 200 OK', h, '')
        else:
            h = ['Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-%s-bye' % (PROXY, self.cid),
                 'From: ' + self.frm, 'To: ' + self.to + ';tag=' + b['tag'],
                 'Call-ID: ' + self.cid, 'CSeq: %d BYE' % (self.cseq + 1)]
            self.msg(end, PROXY, b['ip'], 'BYE sip:%s@%s:5060 SIP/2.0' % (b['user'], b['ip']),
                     h, '')
            self.msg(end + 5000, b['ip'], PROXY, 'SIP/2.0 200 OK', h, '')
        return end


S = T0 + US   # every call starts 1 s into the capture


def sc_busy_then_answer(cap):
    """Branch 1 rings 5 s, 486; branch 2 rings 3 s, answered, 30 s, callee's BYE."""
    c = Call(cap, 'serial-busy-answer')
    b1 = c.branch(S, '201')
    c.ring(S + 100000, b1)
    c.fail(S + 5 * US, b1, 486, 'Busy Here')
    b2 = c.branch(S + 5 * US + 10000, '202')
    c.ring(S + 5 * US + 100000, b2)
    ans = S + 8 * US + 100000
    end = c.answer(ans, b2, 30)
    return [{'call_id': c.cid, 'disposition': 'answered', 'final_code': 200,
             'start_time': iso(S), 'ringing_time': iso(S + 100000),
             'answer_time': iso(ans), 'end_time': iso(end),
             'answer_ms': 8100, 'talk_s': 30.03, 'hangup_by': 'callee',
             'agent': '202', 'callee': '201', 'invites': 2, 'truncated': False,
             '_rings': [['201', 'busy'], ['202', 'answered']]}]


def sc_noanswer_then_answer(cap):
    """Branch 1 rings 15 s, 408 (the phone's own timer); branch 2 answers; caller's BYE."""
    c = Call(cap, 'serial-408-answer')
    b1 = c.branch(S, '201')
    c.ring(S + 80000, b1)
    c.fail(S + 15 * US, b1, 408, 'Request Timeout')
    b2 = c.branch(S + 15 * US + 5000, '202')
    c.ring(S + 15 * US + 90000, b2)
    ans = S + 18 * US
    end = c.answer(ans, b2, 10, bye_by='caller')
    return [{'call_id': c.cid, 'disposition': 'answered', 'final_code': 200,
             'ringing_time': iso(S + 80000), 'answer_time': iso(ans), 'end_time': iso(end),
             'answer_ms': 18000, 'hangup_by': 'caller', 'agent': '202', 'invites': 2,
             '_rings': [['201', 'no_answer'], ['202', 'answered']]}]


def sc_all_fail(cap):
    """Every branch fails: 480 (201), then 486 (202): busy at the last failure."""
    c = Call(cap, 'serial-all-fail')
    b1 = c.branch(S, '201')
    c.ring(S + 100000, b1)
    c.fail(S + 10 * US, b1, 480, 'Temporarily Unavailable')
    b2 = c.branch(S + 10 * US + 8000, '202')
    c.ring(S + 10 * US + 100000, b2)
    c.fail(S + 14 * US, b2, 486, 'Busy Here')
    return [{'call_id': c.cid, 'disposition': 'busy', 'final_code': 486,
             'ringing_time': iso(S + 100000), 'answer_time': None,
             'end_time': iso(S + 14 * US), 'hangup_by': 'callee', 'invites': 2,
             'hangup_reason': 'Busy Here', 'truncated': False,
             '_rings': [['201', 'no_answer'], ['202', 'busy']]}]


def sc_single_fail(cap):
    """An ordinary busy call (one branch only): as before, busy at the 486."""
    c = Call(cap, 'single-busy')
    b1 = c.branch(S, '201')
    c.ring(S + 100000, b1)
    c.fail(S + 6 * US, b1, 486, 'Busy Here')
    return [{'call_id': c.cid, 'disposition': 'busy', 'final_code': 486,
             'end_time': iso(S + 6 * US), 'hangup_by': 'callee', 'invites': 1,
             'truncated': False, '_rings': []}]


def sc_cancel_then_answer(cap):
    """The proxy cancels branch 1 after 15 s (487); branch 2 answers."""
    c = Call(cap, 'serial-cancel-answer')
    b1 = c.branch(S, '201')
    c.ring(S + 100000, b1)
    c.cancel(S + 15 * US, b1)
    b2 = c.branch(S + 15 * US + 20000, '202')
    c.ring(S + 15 * US + 120000, b2)
    ans = S + 20 * US
    end = c.answer(ans, b2, 30)
    return [{'call_id': c.cid, 'disposition': 'answered', 'final_code': 200,
             'answer_time': iso(ans), 'end_time': iso(end), 'answer_ms': 20000,
             'talk_s': 30.03, 'hangup_by': 'callee', 'agent': '202',
             'hangup_reason': 'BYE', 'invites': 2,
             '_rings': [['201', 'no_answer'], ['202', 'answered']]}]


def sc_cancel_only(cap):
    """A CANCEL of the only branch (the caller hung up): cancelled, as before."""
    c = Call(cap, 'single-cancel')
    b1 = c.branch(S, '201')
    c.ring(S + 100000, b1)
    c.cancel(S + 7 * US, b1)
    return [{'call_id': c.cid, 'disposition': 'cancelled', 'final_code': 487,
             'end_time': iso(S + 7 * US), 'hangup_by': 'caller', 'invites': 1,
             'hangup_reason': 'CANCEL', '_rings': []}]


def sc_three_to_voicemail(cap):
    """201 busy, 202 no answer (proxy CANCEL), then voicemail answers."""
    c = Call(cap, 'serial-voicemail')
    b1 = c.branch(S, '201')
    c.ring(S + 100000, b1)
    c.fail(S + 2 * US, b1, 486, 'Busy Here')
    b2 = c.branch(S + 2 * US + 6000, '202')
    c.ring(S + 2 * US + 100000, b2)
    c.cancel(S + 17 * US, b2)
    b3 = c.branch(S + 17 * US + 10000, 'vm', user='vm201')
    ans = S + 17 * US + 200000
    end = c.answer(ans, b3, 8)
    return [{'call_id': c.cid, 'disposition': 'answered', 'answer_time': iso(ans),
             'end_time': iso(end), 'invites': 3, 'hangup_by': 'callee',
             '_rings': [['201', 'busy'], ['202', 'no_answer'], ['vm201', 'answered']]}]


def sc_same_address(cap):
    """Both branches to one PBX address (other Request-URI users): 480, then 200."""
    c = Call(cap, 'serial-same-address')
    b1 = c.branch(S, '201', ip=PBX)
    c.ring(S + 100000, b1)
    c.fail(S + 12 * US, b1, 480, 'Temporarily Unavailable')
    b2 = c.branch(S + 12 * US + 4000, '202', ip=PBX)
    c.ring(S + 12 * US + 100000, b2)
    ans = S + 15 * US
    end = c.answer(ans, b2, 5)
    return [{'call_id': c.cid, 'disposition': 'answered', 'answer_time': iso(ans),
             'end_time': iso(end), 'agent': '202', 'invites': 2, '_rings': []}]


def sc_failover_503(cap):
    """A gateway refuses with 503; the proxy fails over to another (same CSeq)."""
    c = Call(cap, 'serial-503-failover')
    b1 = c.branch(S, '201', ip='10.1.0.41', user='0445550100')
    c.fail(S + 30000, b1, 503, 'Service Unavailable')
    b2 = c.branch(S + 40000, '201', ip='10.1.0.42', user='0445550100')
    c.ring(S + 500000, b2)
    ans = S + 6 * US
    end = c.answer(ans, b2, 5)
    return [{'call_id': c.cid, 'disposition': 'answered', 'answer_time': iso(ans),
             'end_time': iso(end), 'final_code': 200, 'invites': 2}]


def sc_late_branch(cap):
    """A new branch only 6 s after the failure: too late, two separate outcomes
    (the failed call as before; the later INVITE absorbed as of the recorded call)."""
    c = Call(cap, 'serial-too-late')
    b1 = c.branch(S, '201')
    c.ring(S + 100000, b1)
    c.fail(S + 5 * US, b1, 486, 'Busy Here')
    b2 = c.branch(S + 11 * US, '202')
    c.ring(S + 11 * US + 100000, b2)
    c.answer(S + 13 * US, b2, 2)
    return [{'call_id': c.cid, 'disposition': 'busy', 'final_code': 486,
             'end_time': iso(S + 5 * US), 'invites': 1}]


def sc_parallel(cap):
    """Parallel fork downstream: 201 and 202 at once; 202 answers, 201 is cancelled."""
    c = Call(cap, 'parallel-fork')
    b1 = c.branch(S, '201')
    b2 = c.branch(S + 1000, '202')
    c.ring(S + 100000, b1)
    c.ring(S + 110000, b2)
    ans = S + 4 * US
    c.resp(ans, b2, 200, 'OK', body=sdp(b2['ip'], 30000))
    c.cancel(ans + 5000, b1)
    ack = dict(b2, via='Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-x-ack' % PROXY)
    c.req(ans + 20000, ack, 'ACK', 'sip:202@%s:5060' % b2['ip'])
    h = ['Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-pbye' % b2['ip'],
         'From: ' + c.to + ';tag=' + b2['tag'], 'To: ' + c.frm,
         'Call-ID: ' + c.cid, 'CSeq: 1 BYE']
    c.msg(ans + 10 * US, b2['ip'], PROXY, 'BYE sip:x@192.0.2.1 SIP/2.0', h, '')
    c.msg(ans + 10 * US + 3000, PROXY, b2['ip'], 'SIP/2.0 200 OK', h, '')
    return [{'call_id': c.cid, 'disposition': 'answered', 'answer_time': iso(ans),
             'end_time': iso(ans + 10 * US), 'agent': '202', 'hangup_by': 'callee',
             '_rings': [['201', 'cancelled_elsewhere'], ['202', 'answered']]}]


def sc_auth(cap):
    """The UAC retries after 407 with the next CSeq (seen upstream of the proxy)."""
    c = Call(cap, 'auth-retry')
    b1 = c.branch(S, '201')
    c.fail(S + 20000, b1, 407, 'Proxy Authentication Required')
    c.cseq = 2
    c.n = 10
    b2 = c.branch(S + 60000, '201')
    c.ring(S + 200000, b2)
    ans = S + 4 * US
    end = c.answer(ans, b2, 5)
    return [{'call_id': c.cid, 'disposition': 'answered', 'auth_challenges': 1,
             'invites': 2, 'answer_time': iso(ans), 'end_time': iso(end)}]


def sc_auth_unanswered(cap):
    """407, no retry: failed with 407 (not resumed by anything)."""
    c = Call(cap, 'auth-no-retry')
    b1 = c.branch(S, '201')
    c.fail(S + 20000, b1, 407, 'Proxy Authentication Required')
    return [{'call_id': c.cid, 'disposition': 'failed', 'final_code': 407,
             'auth_challenges': 1, 'invites': 1}]


SCENARIOS = {
    'busy-answer': sc_busy_then_answer,
    '408-answer': sc_noanswer_then_answer,
    'all-fail': sc_all_fail,
    'single-busy': sc_single_fail,
    'cancel-answer': sc_cancel_then_answer,
    'single-cancel': sc_cancel_only,
    'voicemail': sc_three_to_voicemail,
    'same-address': sc_same_address,
    '503-failover': sc_failover_503,
    'too-late': sc_late_branch,
    'parallel': sc_parallel,
    'auth': sc_auth,
    'auth-no-retry': sc_auth_unanswered,
}


def check(want, jsonl):
    """Compares the records in jsonl with want (every key; _rings: the
    rings' agents and outcomes); prints one line per difference."""
    got = {}
    for line in open(jsonl, encoding='utf-8'):
        r = json.loads(line)
        got.setdefault(r['call_id'], []).append(r)
    bad = 0
    for w in want:
        rs = got.pop(w['call_id'], [])
        if len(rs) != 1:
            print('%s: %d records, want 1' % (w['call_id'], len(rs)))
            bad += 1
            continue
        r = rs[0]
        for k, v in w.items():
            g = r.get(k)
            if k == '_rings':
                k, g = 'rings', [[x['agent'], x['outcome']] for x in r['rings']]
            if g != v:
                print('%s %s: want %s got %s' % (w['call_id'], k, json.dumps(v), json.dumps(g)))
                bad += 1
    for cid in got:
        print('%s: unexpected record' % cid)
        bad += 1
    print('%d calls, %d differences' % (len(want), bad))
    return 1 if bad else 0


def main():
    if len(sys.argv) == 2 and sys.argv[1] == 'list':
        print('\n'.join(SCENARIOS))
        return 0
    if len(sys.argv) < 3 or sys.argv[2] not in SCENARIOS and sys.argv[2] != 'all':
        sys.stderr.write(__doc__)
        return 2
    cap = Capture()
    names = list(SCENARIOS) if sys.argv[2] == 'all' else [sys.argv[2]]
    want = []
    for n in names:
        want += SCENARIOS[n](cap)
    if sys.argv[1] == 'write':
        cap.write(sys.argv[3])
    elif sys.argv[1] == 'expect':
        for w in want:
            print(json.dumps(w))
    elif sys.argv[1] == 'check':
        return check(want, sys.argv[3])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
