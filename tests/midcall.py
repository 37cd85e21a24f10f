#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""midcall.py: checks calltap's records of a capture cut in the middle, or of
one direction of a trunk, against the ground truth of scripts/gen-calls
(docs/schema.md, "Calls already in progress" and "One-way mirrors").

    midcall.py oneway TRUTH RECORDS to|from PBX_IP...
        RECORDS come from the packets sent to (to) or from (from) the PBX.
    midcall.py cut TRUTH RECORDS SIP CUT_US
        RECORDS come from the capture from CUT_US on; SIP lists its SIP
        messages, one a line: "epoch_seconds|call_id|cseq|method|status"
        (tshark -T fields -E separator='|' -e frame.time_epoch
        -e sip.Call-ID -e sip.CSeq.seq -e sip.CSeq.method -e sip.Status-Code).

Prints one line per problem and "midcall MODE: N passed, M failed" (N, M:
calls); exit status 0 when nothing failed.
"""

import datetime
import json
import sys

SLACK_US = 1000000   # a one-way record may be this much later than the truth


def us(s):
    if s is None:
        return None
    t = datetime.datetime.strptime(s, '%Y-%m-%dT%H:%M:%S.%fZ')
    t = t.replace(tzinfo=datetime.timezone.utc)
    return int(round(t.timestamp() * 1e6))


def load(path):
    out = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                out[r['call_id']] = r
    return out


class Checker:
    def __init__(self):
        self.bad = []

    def eq(self, cid, what, got, want):
        if got != want:
            self.bad.append('%s: %s %r, expected %r' % (cid[:12], what, got, want))

    def within(self, cid, what, got, lo, hi):
        if got is None or lo is None or not lo <= got <= hi:
            self.bad.append('%s: %s %r not in [%r, %r]' % (cid[:12], what, got, lo, hi))


def roles_ok(c, cid, r, t):
    """caller/callee and hangup_by as the truth, or both swapped (a call in
    progress whose roles nothing tied)."""
    flip = {'caller': 'callee', 'callee': 'caller', None: None}
    if r['caller'] == t['caller']:
        c.eq(cid, 'callee', r['callee'], t['callee'])
        if not r['truncated']:
            c.eq(cid, 'hangup_by', r['hangup_by'], t['hangup_by'])
    elif r['start_seen'] is False and r['callee'] == t['caller']:
        if not r['truncated']:
            c.eq(cid, 'hangup_by (roles swapped)', r['hangup_by'], flip[t['hangup_by']])
    else:
        c.bad.append('%s: caller %r, expected %r' % (cid[:12], r['caller'], t['caller']))


def oneway(truth, recs, side, pbx):
    """Every call once; INVITE in this direction: start seen, else not."""
    failed = passed = 0
    for cid, t in truth.items():
        c = Checker()
        r = recs.get(cid)
        if r is None:
            c.bad.append('%s: no record' % cid[:12])
        else:
            invite_here = (t['dst_ip'] in pbx) == (side == 'to')
            c.eq(cid, 'start_seen', r['start_seen'], invite_here)
            roles_ok(c, cid, r, t)
            end = us(t['end_time'])
            if invite_here:
                c.eq(cid, 'start_time', r['start_time'], t['start_time'])
                disp = t['disposition']
                if disp in ('busy', 'noanswer', 'failed'):
                    disp = 'failed'
                c.eq(cid, 'disposition', r['disposition'], disp)
                if disp == 'answered':
                    a = us(t['answer_time'])
                    c.within(cid, 'answer_time', us(r['answer_time']), a, a + SLACK_US)
                c.eq(cid, 'final_code', r['final_code'], None)
            else:
                s = us(t['start_time'])
                c.within(cid, 'start_time', us(r['start_time']), s, s + SLACK_US)
                for k in ('disposition', 'ringing_time', 'answer_time', 'final_code'):
                    c.eq(cid, k, r[k], t[k])
            if not r['truncated'] and not t['truncated']:
                c.within(cid, 'end_time', us(r['end_time']), end, end + SLACK_US)
        if c.bad:
            failed += 1
            print('\n'.join(c.bad))
        else:
            passed += 1
    for cid in recs:
        if cid not in truth:
            failed += 1
            print('%s: record of no call' % cid[:12])
    return passed, failed


def cut(truth, recs, sip_path, cut_us):
    """Calls that start after the cut: exact; ended before: none; in
    progress: a call in progress when two distinct SIP messages follow."""
    msgs = {}
    with open(sip_path, encoding='utf-8') as f:
        for line in f:
            parts = line.rstrip('\n').split('|')
            if len(parts) < 5 or not parts[1]:
                continue
            key = (parts[2], parts[3], parts[4])
            m = msgs.setdefault(parts[1], {})
            m.setdefault(key, int(round(float(parts[0]) * 1e6)))
    failed = passed = 0
    kinds = {'whole': 0, 'in progress': 0, 'none': 0}
    for cid, t in truth.items():
        c = Checker()
        r = recs.get(cid)
        seen = msgs.get(cid, {})
        start = us(t['start_time'])
        if start >= cut_us:
            kinds['whole'] += 1
            if r is None:
                c.bad.append('%s: no record' % cid[:12])
            else:
                for k, v in t.items():
                    if k not in ('streams', 'tone_hz') and r.get(k) != v:
                        c.bad.append('%s: %s %r, expected %r' % (cid[:12], k, r.get(k), v))
                c.eq(cid, 'start_seen', r['start_seen'], True)
        elif len(seen) < 2:
            kinds['none'] += 1
            if r is not None:
                c.bad.append('%s: recorded from %d SIP message(s) after the cut'
                             % (cid[:12], len(seen)))
        else:
            kinds['in progress'] += 1
            if r is None:
                c.bad.append('%s: no record (%d SIP messages after the cut)'
                             % (cid[:12], len(seen)))
            else:
                c.eq(cid, 'start_seen', r['start_seen'], False)
                c.eq(cid, 'start_time', us(r['start_time']), min(seen.values()))
                c.eq(cid, 'disposition', r['disposition'], t['disposition'])
                roles_ok(c, cid, r, t)
                final = us(t['answer_time'] or t['end_time'])
                if t['final_code'] is not None and final is not None and final >= cut_us:
                    c.eq(cid, 'final_code', r['final_code'], t['final_code'])
                    c.eq(cid, 'answer_time', r['answer_time'], t['answer_time'])
                elif t['disposition'] == 'answered':
                    c.eq(cid, 'answer_time', r['answer_time'], None)
                    if r['talk_s'] is None or r['duration_s'] is None or \
                            abs(r['talk_s'] - r['duration_s']) > 0.0015:
                        c.bad.append('%s: talk_s %r, expected duration_s %r'
                                     % (cid[:12], r['talk_s'], r['duration_s']))
                if not t['truncated']:
                    c.eq(cid, 'truncated', r['truncated'], False)
                    c.eq(cid, 'end_time', r['end_time'], t['end_time'])
        if c.bad:
            failed += 1
            print('\n'.join(c.bad))
        else:
            passed += 1
    for cid in recs:
        if cid not in truth:
            failed += 1
            print('%s: record of no call' % cid[:12])
    print('cut: %(whole)d whole calls, %(in progress)d in progress, '
          '%(none)d ended before or with one message after' % kinds)
    return passed, failed


def main(argv):
    if len(argv) >= 6 and argv[1] == 'oneway':
        p, f = oneway(load(argv[2]), load(argv[3]), argv[4], set(argv[5:]))
    elif len(argv) == 6 and argv[1] == 'cut':
        p, f = cut(load(argv[2]), load(argv[3]), argv[4], int(argv[5]))
    else:
        sys.stderr.write(__doc__)
        return 2
    print('midcall %s: %d passed, %d failed' % (argv[1], p, f))
    return 0 if f == 0 else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
