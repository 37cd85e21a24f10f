#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compares calltap's JSON records of a `gen-calls --pbx` capture with its
truth: for every call of the truth, each key it has (answered_by, agent,
rings with every entry, parent_call_id, callback_of, ...; not those
starting with _) must be equal.  Usage:
legs.py TRUTH JSONL"""
import json
import sys


def main():
    truth = [json.loads(x) for x in open(sys.argv[1], encoding='utf-8')]
    got = {}
    for line in open(sys.argv[2], encoding='utf-8'):
        r = json.loads(line)
        got[r['call_id']] = r
    bad = 0
    rings = 0
    for t in truth:
        r = got.get(t['call_id'])
        if r is None:
            print('missing record %s' % t['call_id'])
            bad += 1
            continue
        if 'rings' in t:
            t['rings'] = sorted(t['rings'], key=lambda g: (g['ring_start'], g['call_id']))
            rings += len(t['rings'])
        for k, v in t.items():
            if k == 'kind' or k.startswith('_'):     # _key: checked elsewhere
                continue
            if r.get(k) != v:
                bad += 1
                print('%s (%s) %s: want %s got %s' % (
                    t['call_id'], t.get('kind', 'leg'), k, json.dumps(v),
                    json.dumps(r.get(k))))
    if len(got) != len(truth):
        print('records: want %d got %d' % (len(truth), len(got)))
        bad += 1
    print('%d calls, %d rings compared, %d differences' % (len(truth), rings, bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
