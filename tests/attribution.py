#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checker of tests/attribution.sh: compares calltap's call records and
reports with the truth that `scripts/gen-calls --attribution` wrote
(scripts/calltruth.py), and prints one line per mismatch.

  attribution.py records TRUTH.jsonl GOT [--label L] [--sensors A[,B]]
                 [--store] [--history exact|skip] [--calls N]
      GOT: calltap JSON lines, or an SQLite store (file ending .db), or
      store rows as JSON lines (--store; e.g. PostgreSQL row_to_json).
  attribution.py report TRUTH.json [--json F] [--csv F] [--text F] [--label L]
  attribution.py selfcheck TRUTH.jsonl TRUTH.json
      the truth computed again in SQL (history fields, leads, callbacks)

The last line is `LABEL: N passed, M failed` (fields or figures compared);
exit status 1 when M > 0.  Names of the report's JSON keys are in one
table (REPORT_KEYS, docs/report.md version 2); the truth uses the same
names, so a renamed key is a one-line change there.
"""

import argparse
import csv
import datetime as dt
import io
import ipaddress
import json
import os
import re
import sqlite3
import sys

# every mismatch is printed; ATTR_LIMIT=N prints at most N per field
LIMIT = int(os.environ['ATTR_LIMIT']) if os.environ.get('ATTR_LIMIT') else None

# ---------------------------------------------------------------- records

BASE = ['caller', 'caller_name', 'callee', 'src_ip', 'src_port', 'dst_ip',
        'dst_port', 'transport', 'vlan', 'start_time', 'ringing_time',
        'answer_time', 'end_time', 'final_code', 'disposition', 'hangup_by',
        'q850_cause', 'truncated', 'auth_challenges']
DERIVED = ['setup_ms', 'answer_ms', 'duration_s', 'talk_s']
ATTR = ['caller_number', 'callee_number', 'direction', 'agent', 'source',
        'campaign', 'sensor']
HISTORY = ['first_call', 'repeat_count', 'callback_s', 'callback_of']
BOOLS = ('truncated', 'first_call', 'evicted')
REALS = ('duration_s', 'talk_s', 'callback_s')


def time_us(v):
    if v is None:
        return None
    m = re.fullmatch(r'(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?'
                     r'(Z|[+-]\d\d:?\d\d)?', str(v).strip())
    if not m:
        return ('unparsable', v)
    d = dt.datetime.fromisoformat(m.group(1) + 'T' + m.group(2))
    off = m.group(4) or 'Z'
    if off != 'Z':
        sign = -1 if off[0] == '-' else 1
        hh, mm = int(off[1:3]), int(off[-2:])
        d -= sign * dt.timedelta(hours=hh, minutes=mm)
    us = int((m.group(3) or '0').ljust(6, '0'))
    return int(d.replace(tzinfo=dt.timezone.utc).timestamp()) * 1000000 + us


def same_value(field, want, got):
    if want is None or got is None:
        return want is None and got is None
    if field.endswith('_time'):
        return time_us(want) == time_us(got)
    if field.endswith('_ip'):
        try:
            return ipaddress.ip_address(want) == ipaddress.ip_address(got)
        except ValueError:
            return False
    if field in REALS:
        try:
            return abs(float(want) - float(got)) <= 0.0011
        except (TypeError, ValueError):
            return False
    if field in BOOLS:
        return bool(want) == (got in (True, 1, '1', 't', 'true'))
    return want == got


class Tally:
    def __init__(self, label):
        self.label = label
        self.passed = self.failed = 0
        self.lines = {}

    def ok(self):
        self.passed += 1

    def bad(self, group, text):
        self.failed += 1
        lst = self.lines.setdefault(group, [])
        lst.append(text)

    def finish(self, notes=()):
        pre = self.label + ': ' if self.label else ''
        for n in notes:
            print('%snote: %s' % (pre, n))
        for g, lst in self.lines.items():
            shown = lst if LIMIT is None else lst[:LIMIT]
            for x in shown:
                print(pre + x)
            if len(shown) < len(lst):
                print('%s%s: ... %d more (without ATTR_LIMIT: all)'
                      % (pre, g, len(lst) - len(shown)))
        print('%s%d passed, %d failed' % (pre, self.passed, self.failed))
        return 1 if self.failed else 0


def load_got(path, store):
    if path.endswith('.db'):
        db = sqlite3.connect('file:%s?mode=ro' % path, uri=True)
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute('SELECT * FROM calls ORDER BY id')], True
    with open(path, encoding='utf-8') as f:
        return [json.loads(l) for l in f if l.strip()], store


def records(a):
    with open(a.truth, encoding='utf-8') as f:
        truth = [json.loads(l) for l in f if l.strip()]
    got, store = load_got(a.got, a.store)
    t = Tally(a.label)
    notes = []
    sensors = a.sensors.split(',') if a.sensors else None
    fields = BASE + DERIVED + ATTR + (HISTORY if a.history == 'exact' else [])
    if a.history != 'exact':
        notes.append('history fields (%s) not compared: each sensor streams '
                     'its records before it can know the other\'s calls'
                     % ','.join(HISTORY))
    by_id = {}
    for r in got:
        by_id.setdefault(r.get('call_id'), []).append(r)
    absent = {}
    for f in fields:
        if got and all(f not in r for r in got):
            absent[f] = True
            t.bad(f, '%s: field not in calltap %s (%d records)'
                  % (f, 'store' if store else 'output', len(truth)))
    for tr in truth:
        cid = tr['call_id']
        rows = by_id.pop(cid, [])
        if not rows:
            t.bad('missing', '%s: missing in calltap (%s %s)'
                  % (cid, tr['direction'], tr['start_time']))
            continue
        if len(rows) > 1:
            t.bad('duplicate', '%s: stored %d times (a call must be stored once)'
                  % (cid, len(rows)))
        r = rows[0]
        want_of = dict(tr)
        if sensors:
            want_of['sensor'] = sensors[tr['_know']['sensor']] if len(sensors) > 1 \
                else sensors[0]
        for f in fields:
            if f in absent:
                continue
            want, got_v = want_of.get(f), r.get(f)
            if f == 'sensor' and not sensors:
                continue
            if f == 'callback_s' and not store and got_v is None:
                # a stream writes a missed call before its callback happens
                t.ok()
                continue
            if f == 'callback_of' and sensors and len(sensors) > 1:
                # decided when the record is written, from what that sensor
                # knew: with two sensors it depends on the ingest order (the
                # store's callback_s and the report do not)
                t.ok()
                continue
            if f == 'callback_of' and got_v is not None and \
                    got_v == tr['_know'].get('callback_of_stream', want):
                # records are written in end order: an attempt that ends while
                # an earlier-started answered callback is still on names the
                # missed call that callback closes (docs/schema.md, Callbacks)
                t.ok()
                continue
            if same_value(f, want, got_v):
                t.ok()
            else:
                t.bad(f, '%s: %s: truth=%s calltap=%s  [%s %s %s]'
                      % (cid, f, json.dumps(want, ensure_ascii=False),
                         json.dumps(got_v, ensure_ascii=False), tr['direction'],
                         tr['disposition'], tr['start_time']))
        if not store and tr.get('streams'):
            gs = {(s.get('src'), s.get('dst')): s for s in r.get('streams') or []}
            for s in tr['streams']:
                g = gs.get((s['src'], s['dst']))
                if g is None or g.get('packets') != s['packets']:
                    t.bad('streams', '%s: stream %s->%s: truth packets=%d calltap=%s'
                          % (cid, s['src'], s['dst'], s['packets'],
                             None if g is None else g.get('packets')))
                else:
                    t.ok()
    for cid, rows in by_id.items():
        t.bad('extra', '%s: not in truth' % cid)
    if a.calls is not None and len(got) != a.calls:
        t.bad('count', 'calltap has %d records, truth %d calls' % (len(got), a.calls))
    return t.finish(notes)


# ---------------------------------------------------------------- report

# truth name -> report JSON path (docs/report.md, version 2).  None: the
# report has no such figure (yet).  Lists are compared element by element,
# matched on their key fields (LIST_KEYS).
REPORT_KEYS = {
    'range.from': 'range.from', 'range.to': 'range.to',
    'data_range.first': 'data_range.first', 'data_range.last': 'data_range.last',
    'currency': 'currency', 'warnings': 'warnings',
    'totals': 'totals', 'marketing': 'marketing', 'answer_time': 'answer_time',
    'callbacks': 'callbacks', 'business_hours': 'business_hours',
    'outbound': 'outbound', 'by_hour': 'by_hour', 'by_weekday': 'by_weekday',
    'daily': 'daily', 'sources': 'sources', 'campaigns': 'campaigns',
    'agents': 'agents', 'outbound_agents': 'outbound_agents',
    'callback_list': 'callback_list',
}
LIST_KEYS = {'by_hour': ('hour',), 'by_weekday': ('day',), 'daily': ('date',),
             'sources': ('source',), 'campaigns': ('source', 'campaign'),
             'agents': ('agent',), 'outbound_agents': ('agent',),
             'callback_list': ('number',), 'histogram': ('from_s',)}
# options the report must echo (truth options -> report key)
ECHO = {'tz': 'tz', 'lead_window_s': 'lead_window_s', 'quality_s': 'quality_s',
        'hours': 'hours'}
# text format: key figures, label (regex, case-insensitive) -> truth path
TEXT_FIGURES = [
    (r'marketing calls', 'marketing.calls'),
    (r'missed calls', 'marketing.missed'),
    (r'missed rate', 'marketing.missed_rate_pct'),
    (r'missed callers', 'marketing.missed_callers'),
    (r'unique callers', 'marketing.unique_callers'),
    (r'first.time callers', 'marketing.first_time_callers'),
    (r'lost leads', 'marketing.lost_leads'),
    (r'cost per lead', 'marketing.cost_per_lead'),
]


def tolerance(name):
    if name.endswith('_pct'):
        return 0.0051
    if name.endswith('_ms'):
        return 0.051
    if name.endswith('_s'):
        return 0.0011
    if name.startswith('cost'):
        return 0.0051     # 4 decimals in JSON; 2 are enough for money
    return 0


def num_of(v):
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def same_fig(name, want, got):
    """want from the truth; got from JSON (typed) or CSV (text)."""
    if got == '' and want is not None and not isinstance(want, str):
        got = None
    if want is None:
        return got is None or got == ''
    if got is None:
        return False
    if name in ('last_missed', 'last_missed_local', 'first', 'last', 'from', 'to'):
        w, g = time_us(want), time_us(got)
        if isinstance(g, int) and isinstance(w, int) and '.' not in str(got):
            w -= w % 1000000          # an instant shown to the second
        ok = w == g
        if ok and name == 'last_missed_local':   # the same offset (Z is +00:00)
            def off(x):
                x = str(x)
                return '+00:00' if x.endswith('Z') else x[-6:]
            ok = off(got) == off(want)
        return ok
    if isinstance(want, bool):
        return got in (want, str(want).lower())
    if isinstance(want, (int, float)):
        g = num_of(got)
        return g is not None and abs(g - float(want)) <= tolerance(name) + 1e-9
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want)
    return str(want) == str(got)


def fmt(v):
    return json.dumps(v, ensure_ascii=False)


def cmp_obj(t, path, want, got):
    if got is KeyError:
        t.bad(path.split('.')[0], '%s: key not in report (truth %s)'
              % (path, fmt(want)[:120]))
        return
    if got is None and isinstance(want, (dict, list)):
        t.bad(path.split('.')[0], '%s: missing in report (truth %s)'
              % (path, fmt(want)[:120]))
        return
    if isinstance(want, dict):
        if not isinstance(got, dict):
            t.bad(path, '%s: truth %s, report %s' % (path, fmt(want)[:80], fmt(got)[:80]))
            return
        for k, v in want.items():
            cmp_obj(t, '%s.%s' % (path, k), v, got.get(k, KeyError))
        return
    if isinstance(want, list) and (want and isinstance(want[0], dict)
                                   or path.split('.')[-1] in LIST_KEYS):
        cmp_list(t, path, want, got)
        return
    name = path.split('.')[-1]
    if same_fig(name, want, got):
        t.ok()
    else:
        t.bad(path.split('.')[0], '%s: truth=%s report=%s' % (path, fmt(want), fmt(got)))


def cmp_list(t, path, want, got):
    if not isinstance(got, list):
        t.bad(path, '%s: not a list in report: %s' % (path, fmt(got)[:80]))
        return
    keys = LIST_KEYS.get(path.split('.')[-1])
    kf = (lambda x: tuple(str(x.get(k)) if x.get(k) not in (None, '') else None
                          for k in keys)) if keys else None
    if kf is None:
        for i, w in enumerate(want):
            cmp_obj(t, '%s[%d]' % (path, i), w, got[i] if i < len(got) else None)
        if len(got) > len(want):
            t.bad(path, '%s: %d entries in report, %d in truth' % (path, len(got), len(want)))
        return
    gmap = {}
    for g in got:
        if isinstance(g, dict):
            gmap.setdefault(kf(g), g)
    order_w = [kf(w) for w in want]
    for w in want:
        k = kf(w)
        g = gmap.pop(k, None)
        label = '%s[%s]' % (path, ','.join('null' if x is None else x for x in k))
        if g is None:
            t.bad(path.split('.')[0], '%s: missing in report (truth %s)' % (label, fmt(w)[:160]))
            continue
        for f, v in w.items():
            if f in keys:
                continue
            cmp_obj(t, '%s.%s' % (label, f), v, g.get(f, KeyError))
    for k, g in gmap.items():
        t.bad(path.split('.')[0], '%s: entry %s not in truth: %s' % (path, k, fmt(g)[:160]))
    order_g = [kf(g) for g in got if isinstance(g, dict) and kf(g) in set(order_w)]
    if order_g != [k for k in order_w if k in set(order_g)]:
        t.bad(path.split('.')[0], '%s: order differs: truth %s, report %s'
              % (path, order_w[:8], order_g[:8]))
    else:
        t.ok()


def get_path(obj, path):
    for p in path.split('.'):
        if not isinstance(obj, dict) or p not in obj:
            return KeyError
        obj = obj[p]
    return obj


def check_json(t, truth, path):
    try:
        with open(path, encoding='utf-8') as f:
            rep = json.load(f)
    except (OSError, ValueError) as e:
        t.bad('json', 'json: cannot read the report: %s' % e)
        return
    if rep.get('version') != 2:
        t.bad('json', 'json: version=%s, want 2' % fmt(rep.get('version')))
    for k, rk in ECHO.items():
        w, g = truth['options'][k], rep.get(rk, KeyError)
        if g is KeyError:
            t.bad('json', 'json: %s: key not in report (truth %s)' % (rk, fmt(w)))
        elif same_fig(rk, w, g):
            t.ok()
        else:
            t.bad('json', 'json: %s: truth=%s report=%s' % (rk, fmt(w), fmt(g)))
    for tk, rk in REPORT_KEYS.items():
        want = get_path(truth, tk)
        if rk is None:
            t.bad(tk, '%s: no report key' % tk)
            continue
        got = get_path(rep, rk)
        if got is KeyError:
            t.bad(tk.split('.')[0], '%s: key not in report' % rk)
            continue
        if tk == 'warnings':
            if got == want:
                t.ok()
            else:
                t.bad('warnings', 'warnings: truth=[] report=%s' % fmt(got)[:200])
            continue
        cmp_obj(t, rk, want, got)


def read_csv_sections(path):
    with open(path, encoding='utf-8', newline='') as f:
        text = f.read()
    sections = {}
    for block in re.split(r'\n\s*\n', text):
        lines = block.strip('\n').split('\n')
        if not lines or not lines[0].startswith('# '):
            continue
        name = lines[0][2:].strip()
        rows = list(csv.reader(io.StringIO('\n'.join(lines[1:]))))
        sections[name] = rows
    return sections


def check_csv(t, truth, path):
    try:
        sec = read_csv_sections(path)
    except (OSError, ValueError) as e:
        t.bad('csv', 'csv: cannot read: %s' % e)
        return
    if not sec:
        t.bad('csv', 'csv: no section (# NAME) in the CSV report')
        return
    figs = {}
    for name in ('summary', 'callbacks', 'outbound'):
        rows = sec.get(name)
        if rows is None:
            t.bad('csv', 'csv: section %s missing' % name)
            continue
        for r in rows[1:]:
            if len(r) >= 2:
                k = r[0] if '.' in r[0] else '%s.%s' % (name, r[0])
                figs[k] = r[1]
    for group in ('totals', 'marketing', 'answer_time', 'callbacks', 'outbound'):
        for k, v in truth[group].items():
            if isinstance(v, (list, dict)):
                continue
            key = '%s.%s' % (group, k)
            if key not in figs:
                t.bad('csv', 'csv: %s: figure not in the CSV report' % key)
            elif same_fig(k, v, figs[key]):
                t.ok()
            else:
                t.bad('csv', 'csv: %s: truth=%s csv=%s' % (key, fmt(v), fmt(figs[key])))
    for name in ('by_hour', 'by_weekday', 'daily', 'sources', 'campaigns', 'agents',
                 'outbound_agents', 'callback_list', 'business_hours'):
        want = truth[name]
        rows = sec.get(name)
        if want is None:
            continue
        if rows is None:
            t.bad('csv', 'csv: section %s missing' % name)
            continue
        hdr = rows[0] if rows else []
        got = [dict(zip(hdr, r)) for r in rows[1:]]
        if name == 'business_hours':
            # one row per split; its first column names it
            got = {r.get(hdr[0]) if hdr else None: r for r in got}
            cmp_obj(t, 'csv.' + name, want, got)
        else:
            cmp_list(t, 'csv.' + name, want, got)


def check_text(t, truth, path):
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            lines = f.read().split('\n')
    except OSError as e:
        t.bad('text', 'text: cannot read: %s' % e)
        return
    for label, tp in TEXT_FIGURES:
        want = get_path(truth, tp)
        found = [l for l in lines if re.search(r'(^|\W)' + label + r'\b', l, re.I)]
        if not found:
            t.bad('text', 'text: no line labelled %r (truth %s = %s)' % (label, tp, fmt(want)))
            continue
        ok = False
        for line in found:       # the figure may be on any line with its label
            body = re.sub(label, ' ', line, flags=re.I)
            nums = [x.replace(',', '') for x in re.findall(r'-?\d[\d,]*(?:\.\d+)?', body)]
            for x in nums:
                dec = len(x.split('.')[1]) if '.' in x else 0
                if want is not None and \
                        abs(float(x) - float(want)) <= 0.5 * 10 ** -dec + 1e-9:
                    ok = True
            if want is None and (not nums or '-' in body):
                ok = True
        if ok:
            t.ok()
        else:
            t.bad('text', 'text: %s: truth=%s line=%r' % (tp, fmt(want), found[0].strip()))


def report(a):
    with open(a.truth, encoding='utf-8') as f:
        truth = json.load(f)
    t = Tally(a.label)
    if a.json:
        check_json(t, truth, a.json)
    if a.csv:
        check_csv(t, truth, a.csv)
    if a.text:
        check_text(t, truth, a.text)
    return t.finish()


# ---------------------------------------------------------------- oracle

def selfcheck(a):
    """A second computation of the truth, in SQL over the truth file's
    knowledge (true numbers, directions, times), for the history fields
    of every record and the lead and callback figures of the whole-store
    report truth: the two oracles must agree before calltap is judged."""
    with open(a.truth, encoding='utf-8') as f:
        truth = [json.loads(l) for l in f if l.strip()]
    with open(a.report, encoding='utf-8') as f:
        rt = json.load(f)
    db = sqlite3.connect(':memory:')
    db.execute('CREATE TABLE c (id, s, e, dir, ans, missed, num, cnum)')
    for r in truth:
        k = r['_know']
        db.execute('INSERT INTO c VALUES (?,?,?,?,?,?,?,?)', (
            r['call_id'], time_us(r['start_time']), time_us(r['end_time']),
            k['kind'], r['disposition'] == 'answered',
            k['kind'] == 'inbound' and r['disposition'] in ('busy', 'noanswer', 'cancelled'),
            k['caller_number'] if k['kind'] == 'inbound' else None, k['callee_number']))
    W = int(rt['options']['lead_window_s'] * 1000000)
    q = lambda sql: db.execute(sql).fetchall()
    t = Tally(a.label)
    # records: repeat_count and callback_s
    rows = dict((x[0], x[1:]) for x in q("""
        SELECT x.id,
          CASE WHEN x.num IS NULL THEN NULL ELSE
            (SELECT count(*) FROM c y WHERE y.dir = 'inbound' AND y.num = x.num AND y.s < x.s) END,
          CASE WHEN x.missed AND x.num IS NOT NULL THEN
            (SELECT min(o.s) FROM c o WHERE o.dir = 'outbound' AND o.cnum = x.num AND o.s >= x.e)
          END
        FROM c x"""))
    for r in truth:
        rc, first = rows[r['call_id']]
        cb = None
        if first is not None and not q(
                "SELECT 1 FROM c i WHERE i.dir = 'inbound' AND i.ans AND i.num = '%s' "
                "AND i.s >= %d AND i.s < %d" % (r['_know']['caller_number'],
                                               time_us(r['end_time']), first)):
            cb = round((first - time_us(r['end_time'])) / 1e6, 3)
        for f, v in (('repeat_count', rc), ('callback_s', cb)):
            if same_value(f, r[f], v):
                t.ok()
            else:
                t.bad(f, '%s: %s: truth=%s sql=%s' % (r['call_id'], f, fmt(r[f]), fmt(v)))
    last = """FROM c x WHERE x.missed AND x.num IS NOT NULL
              AND x.s = (SELECT max(s) FROM c y WHERE y.missed AND y.num = x.num)"""
    unresolved = """AND NOT EXISTS (SELECT 1 FROM c o WHERE o.dir = 'outbound' AND o.ans
                   AND o.cnum = x.num AND o.s >= x.e %s)
              AND NOT EXISTS (SELECT 1 FROM c i WHERE i.dir = 'inbound' AND i.ans
                   AND i.num = x.num AND i.s > x.s %s)"""
    # Callbacks: each missed caller's calls from their first miss on and
    # the outbound calls to them, folded in start order (a recursive walk):
    # a wait opens at a miss's end when none is open, closes at an answered
    # outbound call starting at or after its opening or at an answered call
    # of theirs that starts after their latest miss; outbound calls in a
    # wait are attempts, delays from the opening of the attempt's wait.
    delays = """FROM (WITH RECURSIVE
        fm AS (SELECT num, min(s) AS fs FROM c WHERE missed AND num IS NOT NULL GROUP BY num),
        ev AS (SELECT f.num AS num, x.s AS s, x.e AS e, 0 AS kind, x.missed AS missed,
                      x.ans AS ans
                 FROM c x JOIN fm f ON x.dir = 'inbound' AND x.num = f.num AND x.s >= f.fs
               UNION ALL
               SELECT f.num, o.s, o.e, 1, 0, o.ans
                 FROM c o JOIN fm f ON o.dir = 'outbound' AND o.cnum = f.num),
        seq AS (SELECT *, row_number() OVER (PARTITION BY num ORDER BY s, kind, e) AS k
                FROM ev),
        walk(num, k, waiting, wfrom, mstart, att, ab, an, nb, tries) AS (
          SELECT num, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0 FROM fm
          UNION ALL
          SELECT w.num, q.k,
            CASE WHEN q.kind = 0 AND q.missed THEN 1
                 WHEN q.kind = 0 AND q.ans AND w.waiting AND q.s > w.mstart THEN 0
                 WHEN q.kind = 1 AND q.ans AND w.waiting AND q.s >= w.wfrom THEN 0
                 ELSE w.waiting END,
            CASE WHEN q.kind = 0 AND q.missed AND NOT w.waiting THEN q.e ELSE w.wfrom END,
            CASE WHEN q.kind = 0 AND q.missed THEN q.s ELSE w.mstart END,
            CASE WHEN w.att IS NULL AND q.kind = 1 AND w.waiting AND q.s >= w.wfrom
                 THEN q.s ELSE w.att END,
            CASE WHEN w.att IS NULL AND q.kind = 1 AND w.waiting AND q.s >= w.wfrom
                 THEN w.wfrom ELSE w.ab END,
            CASE WHEN w.an IS NULL AND q.kind = 1 AND q.ans AND w.waiting AND q.s >= w.wfrom
                 THEN q.s ELSE w.an END,
            CASE WHEN w.an IS NULL AND q.kind = 1 AND q.ans AND w.waiting AND q.s >= w.wfrom
                 THEN w.wfrom ELSE w.nb END,
            w.tries + (q.kind = 1 AND w.waiting AND q.s >= w.wfrom)
          FROM walk w JOIN seq q ON q.num = w.num AND q.k = w.k + 1)
        SELECT (CASE WHEN '%s' = '' THEN att - ab ELSE an - nb END) / 1e6 AS d, tries
        FROM walk w WHERE k = (SELECT count(*) FROM seq s WHERE s.num = w.num))"""
    sql = {
        'marketing.missed': "SELECT count(*) FROM c WHERE missed",
        'marketing.missed_callers': "SELECT count(DISTINCT num) FROM c WHERE missed",
        'marketing.first_time_callers': "SELECT count(DISTINCT num) FROM c WHERE dir = 'inbound'",
        'marketing.lost_leads': "SELECT count(*) " + last + unresolved % (
            'AND o.s <= x.e + %d' % W, 'AND i.s <= x.e + %d' % W) +
            " AND x.e + %d <= (SELECT max(coalesce(e, s)) FROM c)" % W,
        'callback_list': "SELECT count(*) " + last + unresolved % ('', ''),
        'callbacks.called_back': "SELECT count(d) " + delays % '',
        'callbacks.answered_callback': "SELECT count(d) " + delays % 'ans',
        'callbacks.attempts': "SELECT total(tries) " + delays % '',
        'callbacks.within_5min': "SELECT total(d <= 300) " + delays % '',
        'callbacks.within_15min': "SELECT total(d <= 900) " + delays % '',
        'callbacks.within_60min': "SELECT total(d <= 3600) " + delays % '',
        'callbacks.attempt_delay_mean_s': "SELECT avg(d) " + delays % '',
        'outbound.numbers_called': "SELECT count(DISTINCT cnum) FROM c WHERE dir = 'outbound'",
    }
    for path, query in sql.items():
        want = get_path(rt, path)
        if isinstance(want, list):
            want = len(want)
        got = q(query)[0][0]
        if same_fig(path.split('.')[-1], want, got):
            t.ok()
        else:
            t.bad(path, '%s: python=%s sql=%s' % (path, fmt(want), fmt(got)))
    return t.finish()


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    r = sub.add_parser('records')
    r.add_argument('truth')
    r.add_argument('got')
    r.add_argument('--label', default='', help='prefix of every line')
    r.add_argument('--sensors')
    r.add_argument('--store', action='store_true')
    r.add_argument('--history', choices=('exact', 'skip'), default='exact')
    r.add_argument('--calls', type=int)
    q = sub.add_parser('report')
    q.add_argument('truth')
    q.add_argument('--json')
    q.add_argument('--csv')
    q.add_argument('--text')
    q.add_argument('--label', default='', help='prefix of every line')
    o = sub.add_parser('selfcheck')
    o.add_argument('truth')
    o.add_argument('report')
    o.add_argument('--label', default='', help='prefix of every line')
    a = p.parse_args()
    sys.exit({'records': records, 'report': report, 'selfcheck': selfcheck}[a.cmd](a))


if __name__ == '__main__':
    main()
