# SPDX-License-Identifier: GPL-3.0-or-later
"""calltruth: the call-tracking scenario of `gen-calls --attribution` and its
ground truth (issue 11), computed from what the generator knows -- who
each caller really is, their true number, which tracking number they
dialled, which agent answered, when every call really started, was answered
and ended -- never from the wire text.  Nothing here parses SIP or
normalises a number: the truth is an independent oracle for calltap.

Used in two ways:
  * imported by scripts/gen-calls: plan() makes the list of calls to put on
    the wire; record_truth() adds the attribution fields to the generator's
    per-call truth; report_truth() computes every report figure;
  * as a program, to compute the report truth again for other options from
    a truth file the generator wrote (the hidden `_know` keys carry the
    knowledge):
        python3 scripts/calltruth.py TRUTH.jsonl [--tz Z] [--hours H]
            [--lead-window D] [--from DATE] [--to DATE] [--quality-s S]
            [--costs FILE] [-o FILE]
Definitions: /work/notes/issue11-spec.md as adopted in docs/report.md;
truth format: tests/gen/README.md.
"""

import argparse
import bisect
import csv
import datetime as dt
import json
import math
import random
import re
import sys
from zoneinfo import ZoneInfo

US = 1000000

class NumberPlan:
    """Numbers of one country: Ukraine (380, national trunk prefix 0) or
    NANP (1, ten-digit national numbers).  `nat` is the national
    significant number; the true form is '+' CC nat."""

    def __init__(self, cc):
        self.cc = cc
        if cc == '380':
            self.office = '441234500'
            # tracking numbers: nat, source, campaign, as written in the
            # numbers file (visual formats), weight of callers that find it
            self.tracking = [
                ('441234501', 'Google Ads', 'Brand', '+380 44 123 45 01', 30),
                ('441234502', 'Google Ads', 'Generic', '044 123-45-02', 20),
                ('441234503', 'Facebook', 'Spring sale', '(044) 123 45 03', 20),
                ('441234504', 'Radio', None, '380441234504', 10),
                ('441234505', 'Billboard', None, 'tel:+380441234505', 0),  # no calls
                ('441234506', 'Website', None, '0441234506', 20)]
            self.foreign = '+48221%06d'
        elif cc == '1':
            self.office = '4155550100'
            self.tracking = [
                ('4155550101', 'Google Ads', 'Brand', '+1 (415) 555-0101', 30),
                ('4155550102', 'Google Ads', 'Generic', '(415) 555-0102', 20),
                ('4155550103', 'Facebook', 'Spring sale', '415.555.0103', 20),
                ('4155550104', 'Radio', None, '14155550104', 10),
                ('4155550105', 'Billboard', None, 'tel:+14155550105', 0),
                ('4155550106', 'Website', None, '415-555-0106', 20)]
            self.foreign = '+44207946%04d'
        else:
            raise ValueError('number plan for country code %s: 380 or 1' % cc)

    def true(self, nat):
        return '+' + self.cc + nat

    def person(self, rng):
        if self.cc == '380':
            return '+380%s%07d' % (rng.choice(MOBILE), rng.randrange(10 ** 7))
        return '+1%d%d%02d%04d' % (rng.choice(NPA), rng.randint(2, 9),
                                   rng.randrange(100), rng.randrange(10 ** 4))

    def wire(self, rng, number, weights=(3, 3, 3, 1)):
        """How a carrier or a dialling agent writes the true number."""
        if not number.startswith('+' + self.cc):
            return rng.choice([number, '00' + number[1:]])
        nat = number[1 + len(self.cc):]
        cc = self.cc
        national = '0' + nat if cc == '380' else nat
        return rng.choices(['+' + cc + nat, cc + nat, national, '00' + cc + nat],
                           weights)[0]

    def wire_tracking(self, rng, nat):
        return rng.choice([self.cc + nat, '+' + self.cc + nat,
                           '0' + nat if self.cc == '380' else nat])

    def national(self, nat):
        return '0' + nat if self.cc == '380' else nat


NPA = [201, 212, 310, 312, 415, 503, 617, 646, 702, 713, 917]
AGENTS = ['201', '202', '203', '204', '205']
DUTY = '206'                       # answers some calls after hours
PHONES = {0: ['203.0.113.21', '203.0.113.22'], 1: ['203.0.113.23', '203.0.113.24']}
MOBILE = ['50', '63', '66', '67', '68', '73', '93', '95', '96', '97', '98', '99']
FIRST = ['Olena', 'Taras', 'Iryna', 'Andrii', 'Oksana', 'Dmytro', 'Kateryna',
         'Serhii', 'Natalia', 'Bohdan', 'Sofiia', 'Yurii']
LAST = ['Kovalenko', 'Bondarenko', 'Tkachenko', 'Shevchenko', 'Melnyk',
        'Kravchenko', 'Oliinyk', 'Lysenko', 'Marchenko', 'Rudenko']
WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']
MISSED = ('busy', 'noanswer', 'cancelled')


# ---------------------------------------------------------------- options

def parse_hours(text):
    """'Mon-Fri 09:00-18:00,Sat 10:00-14:00' -> {weekday: [(min, min)]}; an
    item that ends before it starts (Mon-Fri 22:00-06:00) runs overnight."""
    out = {d: [] for d in range(7)}
    if not text:
        return out
    for part in text.split(','):
        m = re.fullmatch(r'\s*(\w{3})(?:-(\w{3}))?\s+(\d\d):(\d\d)-(\d\d):(\d\d)\s*', part)
        if not m:
            raise ValueError('bad --hours range %r' % part)
        a = WEEKDAYS.index(m.group(1).title())
        b = WEEKDAYS.index((m.group(2) or m.group(1)).title())
        lo = int(m.group(3)) * 60 + int(m.group(4))
        hi = int(m.group(5)) * 60 + int(m.group(6))
        if lo == hi or lo >= 1440 or hi > 1440 or int(m.group(4)) > 59 or int(m.group(6)) > 59:
            raise ValueError('bad --hours range %r' % part)
        for d in range(a, b + 1 if b >= a else b + 8):    # Sat-Sun, Fri-Mon
            if lo < hi:
                out[d % 7].append((lo, hi))
            else:   # overnight: to the end the next morning
                out[d % 7].append((lo, 1440))
                if hi > 0:
                    out[(d + 1) % 7].append((0, hi))
    for d in out:
        out[d].sort()
    return out


def parse_duration(text):
    m = re.fullmatch(r'(\d+(?:\.\d+)?)([smhd]?)', text.strip())
    if not m:
        raise ValueError('bad duration %r' % text)
    return float(m.group(1)) * {'': 1, 's': 1, 'm': 60, 'h': 3600, 'd': 86400}[m.group(2)]


def parse_date(text, tz, end):
    """A --from/--to value: a date (local midnight; --to: end of that day,
    as calltap report reads a bare --to date) or a local date and time."""
    if text is None:
        return None
    if re.fullmatch(r'\d{4}-\d\d-\d\d', text):
        d = dt.datetime.strptime(text, '%Y-%m-%d')
        if end:
            d += dt.timedelta(days=1)
    else:
        d = dt.datetime.fromisoformat(text.replace('T', ' ').replace('Z', '+00:00'))
    if d.tzinfo is None:
        d = d.replace(tzinfo=tz)
    return int(d.timestamp()) * US + d.microsecond


class Opts:
    def __init__(self, tz='UTC', hours=None, lead_window='24h', date_from=None,
                 date_to=None, quality_s=30.0, costs=None):
        self.tz_name = tz
        self.tz = ZoneInfo(tz)
        self.hours_text = hours
        self.hours = parse_hours(hours)
        self.lead_window = parse_duration(lead_window)
        self.from_text, self.to_text = date_from, date_to
        self.t_from = parse_date(date_from, self.tz, False)
        self.t_to = parse_date(date_to, self.tz, True)
        self.quality_s = quality_s
        self.costs = costs or []


# ---------------------------------------------------------------- time

def iso_us(text):
    d = dt.datetime.strptime(text[:26], '%Y-%m-%dT%H:%M:%S.%f')
    return int(d.replace(tzinfo=dt.timezone.utc).timestamp()) * US + d.microsecond


def local(t_us, tz):
    return dt.datetime.fromtimestamp(t_us // US, tz).replace(microsecond=t_us % US)


def local_iso(t_us, tz):
    return local(t_us, tz).isoformat()


def in_hours(t_us, o):
    lt = local(t_us, o.tz)
    m = lt.hour * 60 + lt.minute + lt.second / 60.0
    return any(lo <= m < hi for lo, hi in o.hours[lt.weekday()])


ALWAYS_OPEN = 1 << 62   # business_deadline when the office never closes


def business_deadline(t_us, o):
    """End (us) of the business-hours interval containing t_us, else of the
    next one; None without --hours, ALWAYS_OPEN when the hours never close.
    An interval is a run of open minutes of the week: items that touch
    (Mon 22:00-24:00 and Tue 00:00-06:00, or one overnight item) are one
    business day, ending when the office closes."""
    if not any(o.hours.values()):
        return None
    week = getattr(o, 'week_open', None)
    if week is None:
        week = [False] * (7 * 1440)
        for d, spans in o.hours.items():
            for lo, hi in spans:
                for m in range(lo, hi):
                    week[d * 1440 + m] = True
        o.week_open = week
    if all(week):
        return ALWAYS_OPEN
    lt = local(t_us, o.tz)
    m0 = lt.weekday() * 1440 + lt.hour * 60 + lt.minute
    k = 0
    while not week[(m0 + k) % len(week)]:      # to the next open minute
        k += 1
    while week[(m0 + k) % len(week)]:          # to the close after it
        k += 1
    b = dt.datetime(lt.year, lt.month, lt.day, lt.hour, lt.minute) + dt.timedelta(minutes=k)
    return int(b.replace(tzinfo=o.tz).timestamp()) * US


# ---------------------------------------------------------------- scenario

class Person:
    def __init__(self, pid, number, name, track):
        self.pid, self.number, self.name, self.track = pid, number, name, track


def plan(start_us, days, hours_text, tz_name, seed, rtp_calls, cc='380'):
    """The calls to generate, as specs (dicts) sorted by planned start:
    kind (inbound/outbound/internal), t (us), caller, caller_name, callee
    (wire text), shape, talk_us, answer_contact/answer_pai (user in the
    200 OK Contact / P-Asserted-Identity), link (0/1: which sensor sees it),
    phone (internal caller's address), rtp, and `know`: the truth the
    generator keeps about the call."""
    rng = random.Random(seed * 7919 + 11)
    P = NumberPlan(cc)
    TRACKING = P.tracking
    wire_number = P.wire
    tz = ZoneInfo(tz_name)
    hours = parse_hours(hours_text)
    persons = []
    calls = []
    end_us = start_us + days * 86400 * US
    track_w = [t[4] for t in TRACKING]

    def new_person():
        pid = len(persons)
        if pid in (7, 31):          # callers from abroad
            number = P.foreign % rng.randrange(10 ** 4)
        else:
            number = P.person(rng)
        name = rng.choice([None, None, '%s %s' % (rng.choice(FIRST), rng.choice(LAST))])
        tr = rng.choices(range(len(TRACKING)), track_w)[0]
        p = Person(pid, number, name, tr)
        persons.append(p)
        return p

    def open_now(t):
        lt = local(t, tz)
        m = lt.hour * 60 + lt.minute
        return any(lo <= m < hi for lo, hi in hours[lt.weekday()])

    def next_open(t):
        """Start (us) of the next business interval after t."""
        lt = local(t, tz)
        for k in range(0, 10):
            d = lt.date() + dt.timedelta(days=k)
            for lo, hi in hours[d.weekday()]:
                a = int(dt.datetime(d.year, d.month, d.day, lo // 60, lo % 60,
                                    tzinfo=tz).timestamp()) * US
                if a > t:
                    return a
        return t + 86400 * US

    def add(kind, t, **kw):
        c = dict(kind=kind, t=int(t), caller_name=None, talk_us=None,
                 answer_contact=None, answer_pai=None, phone=None, rtp=False,
                 link=rng.randrange(2))
        c.update(kw)
        calls.append(c)
        return c

    def inbound(t, person, answered, ext=None, callee_track=None, caller_text=None,
                shape=None):
        if callee_track is None:
            callee_track = person.track if person else \
                rng.choices(range(len(TRACKING)), track_w)[0]
        tr = TRACKING[callee_track]
        number = person.number if person else None
        if caller_text is None:
            caller_text = wire_number(rng, number) if person else 'anonymous'
        if answered:
            ext = ext or rng.choice(AGENTS)
            # the 200 OK names the agent in its Contact, or only in its
            # P-Asserted-Identity (Contact = the dialled number)
            if rng.random() < 0.7:
                contact, pai = ext, None
            else:
                contact, pai = cc + tr[0], ext
            shape = shape or rng.choice(['bye_caller', 'bye_callee', 'bye_callee',
                                         'early', 'retrans'])
            talk = rng.choice([rng.uniform(4, 25), rng.uniform(35, 240)])
        else:
            contact = pai = None
            shape = shape or rng.choice(['noanswer', 'noanswer', 'cancel', 'cancel',
                                         'busy', 'timeout'])
            talk = None
        callee = P.wire_tracking(rng, tr[0])
        return add('inbound', t, caller=caller_text,
                   caller_name=(person.name if person else
                                ('Anonymous' if caller_text == 'anonymous' else None)),
                   callee=callee, shape=shape, talk_us=talk and int(talk * US),
                   answer_contact=contact, answer_pai=pai,
                   know=dict(person=person.pid if person else None,
                             caller_number=number, callee_number=P.true(tr[0]),
                             agent=ext if answered else None,
                             source=tr[1], campaign=tr[2]))

    def outbound(t, number, answered, ext=None, shape=None, callee_text=None):
        ext = ext or rng.choice(AGENTS)
        if answered:
            shape = shape or rng.choice(['bye_caller', 'bye_callee', 'auth'])
            talk = rng.choice([rng.uniform(5, 25), rng.uniform(30, 200)])
        else:
            shape = shape or rng.choice(['noanswer', 'cancel', 'busy'])
            talk = None
        if callee_text is None:
            callee_text = wire_number(rng, number, (1, 1, 6, 1))
        return add('outbound', t, caller=ext, callee=callee_text, shape=shape,
                   talk_us=talk and int(talk * US),
                   know=dict(person=None, caller_number=ext, callee_number=number,
                             agent=ext))

    def callback_chain(t_missed, person, force=None):
        """The company calls a missed caller back (or not)."""
        x = rng.random() if force is None else force
        if x < 0.15:
            return                               # never: a lost lead
        if not open_now(t_missed):
            t = next_open(t_missed) + rng.randint(2 * 60, 40 * 60) * US
        else:
            delay = rng.choice([(150, 270), (330, 840), (1200, 3000), (5400, 18000)])
            t = t_missed + 45 * US + rng.randint(*delay) * US
        for attempt in range(3):
            if t >= end_us:
                return
            ans = rng.random() < 0.65
            if rng.random() < 0.12:
                # two agents call back at once: the second one starts a few
                # seconds later and ends first (busy: the line is taken)
                a1, a2 = rng.sample(AGENTS, 2)
                outbound(t, person.number, ans, a1, ('bye_callee' if ans else 'noanswer'))
                outbound(t + rng.randint(3, 8) * US, person.number, False, a2, 'busy')
            else:
                outbound(t, person.number, ans)
            if ans:
                return
            t += rng.randint(15 * 60, 90 * 60) * US
            if not open_now(t):
                t = next_open(t) + rng.randint(60, 1800) * US

    # --- inbound arrivals: rate per hour by local time (thinning)
    def rate(t):
        lt = local(t, tz)
        if open_now(t):
            return 3.5 if lt.weekday() < 5 else 2.5
        return 0.35 if 7 <= lt.hour < 23 else 0.08
    t = start_us
    peak = 3.5
    while True:
        t += int(rng.expovariate(peak / 3600.0) * US)
        if t >= end_us - 3600 * US:
            break
        if rng.random() >= rate(t) / peak:
            continue
        hours_open = open_now(t)
        if rng.random() < 0.04:
            inbound(t, None, rng.random() < 0.5)         # withheld number
            continue
        if persons and rng.random() < 0.4:
            person = rng.choice(persons)
        else:
            person = new_person()
        p_ans = 0.72 if hours_open else 0.25
        tc = t
        for k in range(3):                               # redials
            ans = rng.random() < p_ans
            inbound(tc, person, ans, DUTY if ans and not hours_open else None)
            if ans:
                break
            if k < 2 and rng.random() < 0.35:
                tc += rng.randint(90, 300) * US
                continue
            callback_chain(tc, person)
            break

    # --- other outbound and internal traffic in business hours
    t = start_us
    while True:
        t += int(rng.expovariate(1.6 / 3600.0) * US)
        if t >= end_us - 3600 * US:
            break
        if not open_now(t):
            continue
        x = rng.random()
        if x < 0.45:                                     # sales call, new number
            outbound(t, P.person(rng),
                     rng.random() < 0.5)
        elif x < 0.65 and persons:                       # follow-up with a customer
            outbound(t, rng.choice(persons).number, rng.random() < 0.7)
        else:                                            # internal
            a, b = rng.sample(AGENTS + [DUTY], 2)
            ans = rng.random() < 0.8
            link = rng.randrange(2)
            add('internal', t, caller=a, callee=b, link=link,
                phone=rng.choice(PHONES[link]),
                shape=rng.choice(['bye_caller', 'bye_callee']) if ans else 'cancel',
                talk_us=int(rng.uniform(5, 90) * US) if ans else None,
                know=dict(person=None, caller_number=a, callee_number=b,
                          agent=b if ans else None))

    # --- fixed cases
    # A withheld caller that is not 'anonymous'.
    t = next_open(start_us) + 3 * 3600 * US
    add('inbound', t, caller='restricted', callee=cc + TRACKING[0][0],
        shape='noanswer', know=dict(person=None, caller_number=None,
                                    callee_number=P.true(TRACKING[0][0]), agent=None,
                                    source=TRACKING[0][1], campaign=TRACKING[0][2]))
    # A missed caller reached only after 26-30 h: lost within a 24 h window,
    # but not on the call-back list.
    p = new_person()
    t = next_open(start_us) + 2 * 3600 * US
    inbound(t, p, False, shape='noanswer')
    outbound(t + rng.randint(26, 30) * 3600 * US, p.number, True)
    # A missed caller who rings again two hours later and is answered.
    p = new_person()
    t = next_open(start_us + 86400 * US) + 1800 * US
    inbound(t, p, False, shape='busy')
    inbound(t + 7200 * US, p, True)
    # Two missed calls, then two overlapping callbacks: the first attempt
    # (start order) is answered and ends last; the second ends first.
    p = new_person()
    t = next_open(start_us + 2 * 86400 * US) + 3600 * US
    inbound(t, p, False, shape='noanswer')
    inbound(t + 120 * US, p, False, shape='cancel')
    outbound(t + 600 * US, p.number, True, '201', 'bye_callee')
    outbound(t + 605 * US, p.number, False, '202', 'busy')
    # An unanswered callback attempt, then an answered one.
    p = new_person()
    t = next_open(start_us + 3 * 86400 * US) + 5400 * US
    inbound(t, p, False, shape='timeout')
    outbound(t + 400 * US, p.number, False, '203', 'noanswer')
    outbound(t + 2400 * US, p.number, True, '204')
    # Two inbound calls the carrier fails (503): not missed.
    for k in range(2):
        inbound(next_open(start_us + (1 + 3 * k) * 86400 * US) + 4 * 3600 * US,
                new_person(), False, shape='fail503')
    # The office test call: an employee dials a tracking number from the
    # office line; the trunk shows the outbound leg and the inbound leg.
    t = next_open(start_us + 4 * 86400 * US) + 5 * 60 * US
    tr = TRACKING[2]
    c = outbound(t, P.true(tr[0]), True, '205', 'bye_caller',
                 callee_text=P.national(tr[0]))
    c['know'].update(source=tr[1], campaign=tr[2])
    c = inbound(t + 400000, None, True, '202', callee_track=2,
                caller_text=cc + P.office, shape='bye_caller')
    c['know']['caller_number'] = P.true(P.office)
    c['know']['office_test'] = True

    calls.sort(key=lambda c: c['t'])
    # a few calls carry RTP (short talk, so that the capture stays small)
    answered = [c for c in calls if c['talk_us']]
    for c in rng.sample(answered, min(rtp_calls, len(answered))):
        c['rtp'] = True
        c['talk_us'] = int(rng.uniform(1.5, 3.0) * US)
    return calls


def numbers_csv(cc):
    rows = ['number,source,campaign']
    for nat, src, camp, text, _ in NumberPlan(cc).tracking:
        rows.append('%s,%s,%s' % ('"%s"' % text if ',' in text else text, src,
                                  '"%s"' % camp if camp and ',' in camp else camp or ''))
    return '\n'.join(rows) + '\n'


COSTS = [  # source, campaign, from, to (inclusive), cost
    ('Google Ads', 'Brand', '2024-03-01', '2024-03-31', 3100.0),
    ('Google Ads', 'Brand', '2024-04-01', '2024-04-30', 4500.0),
    ('Google Ads', 'Generic', '2024-03-25', '2024-04-07', 2800.0),
    ('Facebook', 'Spring sale', '2024-03-28', '2024-04-02', 1200.0),
    ('Radio', '', '2024-03-01', '2024-04-30', 6100.0),
    ('Billboard', '', '2024-03-01', '2024-03-31', 3100.0),
]
CURRENCY = 'UAH'


def costs_csv():
    rows = ['source,campaign,from,to,cost,currency']
    for s, c, f, t, v in COSTS:
        rows.append('%s,%s,%s,%s,%.2f,%s' % (s, c, f, t, v, CURRENCY))
    return '\n'.join(rows) + '\n'


def read_costs(path):
    with open(path, newline='') as f:
        return [(r['source'], r['campaign'], r['from'], r['to'], float(r['cost']))
                for r in csv.DictReader(f)]


# ---------------------------------------------------------------- records

def ms_round(us):
    return (us + 500) // 1000


def record_truth(recs):
    """recs: the generator's per-call truth (start order) each with `_know`
    (kind, caller_number, callee_number, agent, person).  Adds the fields
    of issue 11 and the derived time fields, in place."""
    ev = []
    for r in recs:
        k = r['_know']
        s = iso_us(r['start_time'])
        e = iso_us(r['end_time'])
        a = iso_us(r['answer_time']) if r['answer_time'] else None
        k.update(start_us=s, end_us=e, answer_us=a)
        r['direction'] = k['kind']
        r['caller_number'] = k['caller_number']
        r['callee_number'] = k['callee_number']
        r['agent'] = k['agent']
        r['source'], r['campaign'] = k.get('source'), k.get('campaign')
        r['setup_ms'] = ms_round(iso_us(r['ringing_time']) - s) if r['ringing_time'] else None
        r['answer_ms'] = ms_round(a - s) if a is not None else None
        r['duration_s'] = round((e - s) / US, 3)
        r['talk_s'] = round(max(0, e - a) / US, 3) if a is not None else None
        ev.append(r)
    ev.sort(key=lambda r: (r['_know']['start_us'], r['call_id']))
    seen = {}
    open_missed = {}
    all_missed = {}
    for r in ev:
        k = r['_know']
        r['first_call'] = r['repeat_count'] = None
        r['callback_s'] = r['callback_of'] = None
        k['missed'] = r['direction'] == 'inbound' and r['disposition'] in MISSED
        if r['direction'] == 'inbound' and k['caller_number']:
            n = k['caller_number']
            starts = seen.setdefault(n, [])
            r['repeat_count'] = sum(1 for x in starts if x < k['start_us'])
            r['first_call'] = r['repeat_count'] == 0
            starts.append(k['start_us'])
    # callbacks in start order: attempts and closing answered calls.  A
    # closed missed call remembers when its closer ENDED: a stream (records
    # in end order) cannot know of a closer still in progress when a later
    # attempt's record is written, so that attempt's callback_of may name
    # the missed call too (_know['callback_of_stream'], accepted in streams).
    closed_end = {}
    for r in ev:
        k = r['_know']
        if r['direction'] == 'inbound' and k['caller_number']:
            n = k['caller_number']
            if r['disposition'] == 'answered':
                for m in open_missed.get(n, []):
                    if m['_know']['end_us'] <= k['start_us']:
                        closed_end[m['call_id']] = k['end_us']
                open_missed[n] = [m for m in open_missed.get(n, [])
                                  if not m['_know']['end_us'] <= k['start_us']]
            if k['missed']:
                k['first_attempt'] = None
                open_missed.setdefault(n, []).append(r)
                all_missed.setdefault(n, []).append(r)
        elif r['direction'] == 'outbound' and k['callee_number']:
            n = k['callee_number']
            ms = [m for m in open_missed.get(n, []) if m['_know']['end_us'] <= k['start_us']]
            claimed = [m for m in ms if m['_know']['first_attempt'] is None]
            for m in claimed:
                m['_know']['first_attempt'] = k['start_us']
                m['callback_s'] = round((k['start_us'] - m['_know']['end_us']) / US, 3)
            latest = lambda v: max(v, key=lambda m: (m['_know']['end_us'],
                                                     m['_know']['start_us']))['call_id']
            if ms:
                # every attempt names the latest (by end) open missed call it answers
                r['callback_of'] = latest(ms)
            vis = [m for m in all_missed.get(n, []) if m['_know']['end_us'] <= k['start_us'] and
                   (m in ms or closed_end.get(m['call_id'], -1) > k['end_us'])]
            k['callback_of_stream'] = latest(vis) if vis else None
            if r['disposition'] == 'answered':
                for m in ms:
                    closed_end[m['call_id']] = k['end_us']
                open_missed[n] = [m for m in open_missed[n] if m not in ms] \
                    if n in open_missed else []
    return recs


RECORD_FIELDS = ['caller_number', 'callee_number', 'direction', 'agent', 'source',
                 'campaign', 'first_call', 'repeat_count', 'callback_s',
                 'callback_of', 'setup_ms', 'answer_ms', 'duration_s', 'talk_s']


# ---------------------------------------------------------------- report

def pct(part, whole):
    return None if not whole else 100.0 * part / whole


def mean(v):
    return sum(v) / len(v) if v else None


def median(v):
    if not v:
        return None
    s = sorted(v)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2.0


def p90(v):
    if not v:
        return None
    s = sorted(v)
    return s[math.ceil(0.9 * len(s)) - 1]


def div(a, b):
    return None if a is None or not b else a / b


def utc_iso(t_us):
    d = dt.datetime.fromtimestamp(t_us // US, dt.timezone.utc)
    return d.strftime('%Y-%m-%dT%H:%M:%S') + '.%06dZ' % (t_us % US)


HIST = [(0, 5), (5, 10), (10, 15), (15, 20), (20, 30), (30, 60), (60, None)]


def report_truth(recs, o):
    """Every figure of the report (docs/report.md, JSON version 2 names)
    from the generator's knowledge: recs from record_truth(), with `_know`
    (true direction, true numbers, real times)."""
    K = lambda r: r['_know']
    allc = sorted(recs, key=lambda r: (K(r)['start_us'], r['call_id']))

    def inrange(r):
        s = K(r)['start_us']
        return (o.t_from is None or s >= o.t_from) and (o.t_to is None or s < o.t_to)
    calls = [r for r in allc if inrange(r)]
    mk_all = [r for r in allc if r['direction'] == 'inbound']
    mk = [r for r in calls if r['direction'] == 'inbound']
    out = [r for r in calls if r['direction'] == 'outbound']
    ans = lambda r: r['disposition'] == 'answered'
    missed = lambda r: K(r)['missed']
    num = lambda r: K(r)['caller_number']
    quality = lambda r: ans(r) and r['talk_s'] is not None and r['talk_s'] >= o.quality_s

    # first-time: no marketing call of that number strictly earlier anywhere
    first_start = {}
    for r in mk_all:
        if num(r):
            first_start.setdefault(num(r), K(r)['start_us'])
    is_first = lambda r: bool(num(r)) and K(r)['start_us'] == first_start[num(r)]

    ans_out, any_out, ans_in = {}, {}, {}   # number -> sorted starts
    for r in allc:
        if r['direction'] == 'outbound' and K(r)['callee_number']:
            any_out.setdefault(K(r)['callee_number'], []).append(K(r)['start_us'])
            if ans(r):
                ans_out.setdefault(K(r)['callee_number'], []).append(K(r)['start_us'])
        if r['direction'] == 'inbound' and num(r) and ans(r):
            ans_in.setdefault(num(r), []).append(K(r)['start_us'])

    def first_after(lst, t, strict=False):
        if not lst:
            return None
        i = (bisect.bisect_right if strict else bisect.bisect_left)(lst, t)
        return lst[i] if i < len(lst) else None

    W = int(round(o.lead_window * US))
    horizon = max((K(r)['end_us'] if K(r)['end_us'] is not None else K(r)['start_us']
                   for r in allc), default=0)

    def resolved(m, window=True):
        n, s, e = num(m), K(m)['start_us'], K(m)['end_us']
        a = first_after(ans_out.get(n), e)
        b = first_after(ans_in.get(n), s, strict=True)
        return any(x is not None and (not window or x <= e + W) for x in (a, b))

    def last_missed(group):
        last = {}
        for r in group:
            if missed(r) and num(r):
                last[num(r)] = r
        return last

    def first_missed(group):
        first = {}
        for r in group:
            if missed(r) and num(r):
                first.setdefault(num(r), r)
        return first

    def figures(group):
        a = [r for r in group if ans(r)]
        q = [r for r in group if quality(r)]
        last = last_missed(group)
        # lost once the lead window has passed within what the store knows
        lost = sum(1 for m in last.values()
                   if not resolved(m) and K(m)['end_us'] + W <= horizon)
        atime = [r['answer_ms'] for r in a if r['answer_ms'] is not None]
        talk = [r['talk_s'] for r in a if r['talk_s'] is not None]
        m = sum(1 for r in group if missed(r))
        return dict(calls=len(group), answered=len(a), missed=m,
                    missed_rate_pct=pct(m, len(group)),
                    missed_callers=len(last), lost_leads=lost,
                    lost_leads_pct=pct(lost, len(last)),
                    unique_callers=len({num(r) for r in group if num(r)}),
                    first_time_callers=len({num(r) for r in group if is_first(r)}),
                    first_time_calls=sum(1 for r in group if is_first(r)),
                    repeat_calls=sum(1 for r in group if num(r) and not is_first(r)),
                    quality_calls=len(q), quality_pct=pct(len(q), len(a)),
                    mean_answer_ms=mean(atime), mean_talk_s=mean(talk))

    def with_cost(f, cost):
        f.update(cost=cost, cost_per_call=div(cost, f['calls']),
                 cost_per_lead=div(cost, f['first_time_callers']),
                 cost_per_quality_call=div(cost, f['quality_calls']))
        return f

    # costs: a campaign row adds to its campaign and its source, a
    # whole-source row to the source only; all add to the total
    c_camp, c_src = {}, {}
    for s, c, f, t, v in o.costs:
        share = cost_share(f, t, o)
        if not share:
            continue
        c_src[s] = c_src.get(s, 0.0) + v * share
        if c:
            c_camp[(s, c)] = c_camp.get((s, c), 0.0) + v * share
    total_cost = sum(c_src.values()) if c_src else None

    rep = {'options': dict(tz=o.tz_name, hours=o.hours_text,
                           lead_window_s=o.lead_window, quality_s=o.quality_s,
                           **{'from': o.from_text, 'to': o.to_text})}
    rep['range'] = {'from': utc_iso(o.t_from) if o.t_from is not None else None,
                    'to': utc_iso(o.t_to) if o.t_to is not None else None}
    starts = [K(r)['start_us'] for r in calls]
    rep['data_range'] = dict(first=utc_iso(min(starts)) if starts else None,
                             last=utc_iso(max(starts)) if starts else None)
    rep['currency'] = CURRENCY if o.costs else None
    rep['warnings'] = []
    tot = {'calls': len(calls)}
    for d in ('answered', 'busy', 'noanswer', 'cancelled', 'failed', 'unfinished'):
        tot[d] = sum(1 for r in calls if r['disposition'] == d)
    tot['other'] = len(calls) - sum(tot[d] for d in ('answered', 'busy', 'noanswer',
                                                     'cancelled', 'failed', 'unfinished'))
    for d in ('inbound', 'outbound', 'internal'):
        tot[d] = sum(1 for r in calls if r['direction'] == d)
    tot['unknown'] = len(calls) - tot['inbound'] - tot['outbound'] - tot['internal']
    rep['totals'] = tot
    f = with_cost(figures(mk), total_cost)
    del f['mean_answer_ms'], f['mean_talk_s']
    rep['marketing'] = f

    atime = [r['answer_ms'] for r in mk if ans(r) and r['answer_ms'] is not None]
    at = dict(calls=len(atime), mean_ms=mean(atime), p90_ms=p90(atime))
    for lim in (5, 15, 30):
        k = sum(1 for x in atime if x <= lim * 1000)
        at['within_%ds' % lim] = k
        at['within_%ds_pct' % lim] = pct(k, len(atime))
    at['histogram'] = [dict(from_s=lo, to_s=hi, calls=sum(
        1 for x in atime if (x > lo * 1000 or lo == 0) and (hi is None or x <= hi * 1000)))
        for lo, hi in HIST]
    rep['answer_time'] = at

    # callbacks per missed caller: outbound calls to them while they wait.
    # A wait opens at the end of a missed call (the first in scope, or a
    # later one of the caller once no wait is open) and closes at the first
    # answered outbound call to them starting at or after its opening, or
    # at the first answered call of theirs that starts after their latest
    # missed call so far (they got through on their own: nothing is owed).
    # Delays count from the opening of the wait of the first attempt (of
    # the first answered attempt).
    out_calls = {}   # number -> [(start, answered)]
    for r in allc:
        if r['direction'] == 'outbound' and K(r)['callee_number']:
            out_calls.setdefault(K(r)['callee_number'], []).append(
                (K(r)['start_us'], ans(r)))
    in_calls = {}    # number -> [(start, end, missed, answered)]
    for r in mk_all:
        if num(r):
            in_calls.setdefault(num(r), []).append(
                (K(r)['start_us'], K(r)['end_us'], missed(r), ans(r)))

    def waits(n, fm):
        """[(open, close or None)] of caller n from fm on."""
        res, cur, latest = [], None, None
        inb = sorted(x for x in in_calls.get(n, []) if x[0] >= K(fm)['start_us'])
        outs = sorted(out_calls.get(n, []))
        evs = sorted([(s, 0, e, m, a) for s, e, m, a in inb] +
                     [(s, 1, None, False, a) for s, a in outs])
        for s, kind, e, m, a in evs:
            if kind == 0 and m:
                if cur is None:
                    cur = [e, None]
                    res.append(cur)
                latest = s
            elif kind == 0 and a and cur is not None and s > latest:
                cur[1], cur = s, None
            elif kind == 1 and a and cur is not None and s >= cur[0]:
                cur[1], cur = s, None
        return res

    firstm = first_missed(mk)
    att, ansd, bday, attempts, tries_of = [], [], 0, 0, {}
    for n, m in firstm.items():
        a = b = None
        for w_open, w_close in waits(n, m):
            tries = [(s, x) for s, x in out_calls.get(n, [])
                     if s >= w_open and (w_close is None or s <= w_close)]
            attempts += len(tries)
            tries_of[n] = tries_of.get(n, 0) + len(tries)
            if tries and a is None:
                a = (tries[0][0], w_open)
            if b is None:
                b = next(((s, w_open) for s, x in tries if x), None)
        if a is not None:
            att.append((a[0] - a[1]) / US)
            dl = business_deadline(a[1], o)
            if dl is not None and a[0] < dl:
                bday += 1
        if b is not None:
            ansd.append((b[0] - b[1]) / US)
    nm = len(firstm)
    has_hours = any(o.hours.values())
    cb = dict(missed_callers=nm, called_back=len(att), called_back_pct=pct(len(att), nm),
              answered_callback=len(ansd), answered_callback_pct=pct(len(ansd), nm))
    for lim in (5, 15, 60):
        k = sum(1 for x in att if x <= lim * 60)
        cb['within_%dmin' % lim] = k
        cb['within_%dmin_pct' % lim] = pct(k, nm)
    cb['within_business_day'] = bday if has_hours else None
    cb['within_business_day_pct'] = pct(bday, nm) if has_hours else None
    cb.update(attempt_delay_mean_s=mean(att), attempt_delay_median_s=median(att),
              answered_delay_mean_s=mean(ansd), answered_delay_median_s=median(ansd),
              attempts=attempts)
    rep['callbacks'] = cb

    if has_hours:
        bh = {}
        for name, g in (('in_hours', [r for r in mk if in_hours(K(r)['start_us'], o)]),
                        ('after_hours', [r for r in mk if not in_hours(K(r)['start_us'], o)])):
            f = figures(g)
            bh[name] = {k: f[k] for k in ('calls', 'answered', 'missed', 'missed_rate_pct')}
        rep['business_hours'] = bh
    else:
        rep['business_hours'] = None

    talks = [r['talk_s'] for r in out if ans(r) and r['talk_s'] is not None]
    rep['outbound'] = dict(calls=len(out), answered=sum(1 for r in out if ans(r)),
                           talk_s=sum(talks), mean_talk_s=mean(talks),
                           numbers_called=len({K(r)['callee_number'] for r in out
                                               if K(r)['callee_number']}))

    hours = [dict(hour=h, calls=0, answered=0, missed=0) for h in range(24)]
    wdays = [dict(day=d, calls=0, answered=0, missed=0) for d in WEEKDAYS]
    days = {}
    if calls:
        d = local(min(starts), o.tz).date()
        d1 = local(max(starts), o.tz).date()
        while d <= d1:
            days[d.isoformat()] = dict(date=d.isoformat(), calls=0, answered=0,
                                       missed=0, first_time_callers=0)
            d += dt.timedelta(days=1)
    for r in mk:
        lt = local(K(r)['start_us'], o.tz)
        d = days[lt.date().isoformat()]
        for b in (d, hours[lt.hour], wdays[lt.weekday()]):
            b['calls'] += 1
            b['answered'] += ans(r)
            b['missed'] += missed(r)
        d['first_time_callers'] += is_first(r)
    rep['by_hour'] = hours
    rep['by_weekday'] = wdays
    rep['daily'] = [days[k] for k in sorted(days)]

    def grouped(keyf, names, cost_of):
        groups = {}
        for r in mk:
            groups.setdefault(keyf(r), []).append(r)
        for k in cost_of:
            groups.setdefault(k if isinstance(k, tuple) else (k,), [])
        res = []
        for k, g in groups.items():
            f = with_cost(figures(g), cost_of.get(k if len(k) > 1 else k[0]))
            for x in ('missed_rate_pct', 'lost_leads_pct', 'first_time_calls',
                      'repeat_calls', 'quality_pct'):
                if x not in ('missed_rate_pct',):
                    del f[x]
            res.append(dict(zip(names, k), **f))
        res.sort(key=lambda f: (-f['calls'],) + tuple(
            (f[n] is not None, (f[n] or '').encode()) for n in names))
        return res
    rep['sources'] = grouped(lambda r: (r['source'],), ['source'], c_src)
    rep['campaigns'] = grouped(lambda r: (r['source'], r['campaign']),
                               ['source', 'campaign'], c_camp)

    ag = {}
    for r in mk:
        if ans(r):
            ag.setdefault(r['agent'], []).append(r)
    rep['agents'] = []
    for k, g in ag.items():
        talk = [r['talk_s'] for r in g if r['talk_s'] is not None]
        at = [r['answer_ms'] for r in g if r['answer_ms'] is not None]
        rep['agents'].append(dict(agent=k, answered=len(g), talk_s=sum(talk),
                                  mean_talk_s=mean(talk),
                                  quality_calls=sum(1 for r in g if quality(r)),
                                  mean_answer_ms=mean(at)))
    rep['agents'].sort(key=lambda f: (-f['answered'], f['agent'] is not None,
                                      (f['agent'] or '').encode()))
    og = {}
    for r in out:
        og.setdefault(r['agent'], []).append(r)
    rep['outbound_agents'] = []
    for k, g in og.items():
        talk = [r['talk_s'] for r in g if ans(r) and r['talk_s'] is not None]
        rep['outbound_agents'].append(dict(agent=k, calls=len(g),
                                           answered=sum(1 for r in g if ans(r)),
                                           talk_s=sum(talk), mean_talk_s=mean(talk)))
    rep['outbound_agents'].sort(key=lambda f: (-f['calls'], f['agent'] is not None,
                                               (f['agent'] or '').encode()))

    # call-back list: last missed call not resolved at all, oldest first
    lst = []
    for n, m in last_missed(mk).items():
        if resolved(m, window=False):
            continue
        lst.append(dict(number=n, last_missed=utc_iso(K(m)['start_us']),
                        last_missed_local=local_iso(K(m)['start_us'], o.tz),
                        missed_calls=sum(1 for r in mk if missed(r) and num(r) == n),
                        callback_attempts=tries_of.get(n, 0),
                        source=m['source'], campaign=m['campaign'],
                        _order=(K(m)['start_us'], n)))
    lst.sort(key=lambda x: x['_order'])
    for x in lst:
        del x['_order']
    rep['callback_list'] = lst
    return rep


def cost_share(f, t, o):
    """Share of the cost row [f, t] (dates, t inclusive) that falls in the
    report range: by days, whole row when unbounded on that side."""
    d0 = dt.date.fromisoformat(f)
    d1 = dt.date.fromisoformat(t)
    n = (d1 - d0).days + 1
    lo, hi = d0, d1
    if o.t_from is not None:
        lo = max(lo, local(o.t_from, o.tz).date())
    if o.t_to is not None:
        hi = min(hi, local(o.t_to - 1, o.tz).date())
    return max(0, (hi - lo).days + 1) / n


# ---------------------------------------------------------------- program

def load(path):
    with open(path, encoding='utf-8') as f:
        return [json.loads(l) for l in f if l.strip()]


def main():
    p = argparse.ArgumentParser(description='report truth of a gen-calls '
                                '--attribution truth file')
    p.add_argument('truth')
    p.add_argument('--tz', default='UTC')
    p.add_argument('--hours')
    p.add_argument('--lead-window', default='24h')
    p.add_argument('--from', dest='date_from')
    p.add_argument('--to', dest='date_to')
    p.add_argument('--quality-s', type=float, default=30.0)
    p.add_argument('--costs')
    p.add_argument('-o', '--output', default='-')
    a = p.parse_args()
    recs = load(a.truth)
    for r in recs:
        for k in ('start_us', 'end_us', 'answer_us'):
            r['_know'].pop(k, None)
    record_truth(recs)
    o = Opts(a.tz, a.hours, a.lead_window, a.date_from, a.date_to, a.quality_s,
             read_costs(a.costs) if a.costs else [])
    text = json.dumps(report_truth(recs, o), ensure_ascii=False, indent=1) + '\n'
    if a.output == '-':
        sys.stdout.write(text)
    else:
        with open(a.output, 'w', encoding='utf-8') as f:
            f.write(text)


if __name__ == '__main__':
    main()
