#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""charts.py: checks a `calltap show --format html` page against the
rtp_intervals of a calltap SQLite database, for tests/charts.sh.

    charts.py page PAGE DB CALL-ID
        the page has one <svg class="stream"> per stream of the call that
        has intervals (rtp_streams order), each with one point per interval
        that has packets in each of its series (jmax, jmean, loss, mos: the
        polylines' points and the circles), and its figures table equals
        the stored rows, value by value, with the stored decimals.  Prints
        "N streams, M intervals".
    charts.py sums DB
        every stream's intervals add up to it: packets, lost, the largest
        max_jitter_ms; prints the number of streams checked.
    charts.py pick DB
        one interval (not a stream's first or last) of a stream that lost
        packets in it: "ssrc start_us end_us packets lost" of the interval,
        for the tshark check.
"""

import html
import re
import sqlite3
import sys

COLS = ("start_time", "duration_ms", "packets", "lost", "loss_pct",
        "max_jitter_ms", "mean_jitter_ms", "mos")
DECIMALS = {"loss_pct": 2, "max_jitter_ms": 3, "mean_jitter_ms": 3, "mos": 2}


def fmt(name, v):
    if v is None:
        return "-"
    if name in DECIMALS:
        return "%.*f" % (DECIMALS[name], v)
    return str(v)


def streams(db, call_id):
    """[(rowid, [interval rows as text])] of the latest call call_id."""
    c = sqlite3.connect(db)
    out = []
    for (rowid,) in c.execute(
            "SELECT rowid FROM rtp_streams WHERE call_rowid = (SELECT id FROM calls"
            " WHERE call_id = ? ORDER BY start_time DESC LIMIT 1) ORDER BY rowid",
            (call_id,)):
        rows = [[fmt(n, v) for n, v in zip(COLS, r)] for r in c.execute(
            "SELECT %s FROM rtp_intervals WHERE stream_rowid = ? ORDER BY start_us"
            % ", ".join(COLS), (rowid,))]
        if rows:
            out.append((rowid, rows))
    return out


def page(path, db, call_id):
    text = open(path, encoding="utf-8").read()
    want = streams(db, call_id)
    svgs = re.findall(r'<svg class="stream".*?</svg>', text, re.S)
    tables = re.findall(r'<table class="ivals">(.*?)</table>', text, re.S)
    errs = []
    if len(svgs) != len(want) or len(tables) != len(want):
        errs.append("%d svg, %d tables, %d streams with intervals in the database"
                    % (len(svgs), len(tables), len(want)))
    for k, ((rowid, rows), svg, tab) in enumerate(zip(want, svgs, tables)):
        with_packets = sum(1 for r in rows if r[2] != "0")
        for cls in ("jmax", "jmean", "loss", "mos"):
            pts = sum(len(p.split()) for p in re.findall(
                r'<polyline class="%s"[^>]* points="([^"]*)"' % cls, svg))
            if cls in ("loss", "mos") and pts != with_packets:
                errs.append("stream %d: %d %s points, %d intervals with packets"
                            % (k + 1, pts, cls, with_packets))
        circles = len(re.findall(r'<circle ', svg))
        polys = sum(len(p.split()) for p in re.findall(r' points="([^"]*)"', svg))
        if circles != polys:
            errs.append("stream %d: %d circles, %d polyline points" % (k + 1, circles, polys))
        got = [[html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", tr)]
               for tr in re.findall(r"<tr>(<td>.*?)</tr>", tab)]
        for i, (g, w) in enumerate(zip(got, rows)):
            if g != w:
                errs.append("stream %d interval %d: page %s, database %s" % (k + 1, i, g, w))
        if len(got) != len(rows):
            errs.append("stream %d: %d table rows, %d intervals" % (k + 1, len(got), len(rows)))
    if errs:
        print("\n".join(errs))
        return 1
    print("%d streams, %d intervals" % (len(want), sum(len(r) for _, r in want)))
    return 0


def sums(db):
    c = sqlite3.connect(db)
    n = 0
    errs = []
    for rowid, packets, lost, jmax in c.execute(
            "SELECT rowid, packets, lost, max_jitter_ms FROM rtp_streams"):
        p, l, j, k = c.execute("SELECT sum(packets), sum(lost), max(max_jitter_ms), count(*)"
                               " FROM rtp_intervals WHERE stream_rowid = ?", (rowid,)).fetchone()
        if k == 0:
            continue
        n += 1
        if p != packets or l != lost or (jmax is not None and abs((j or 0) - jmax) > 0.0011):
            errs.append("stream %d: intervals %s/%s/%s, stream %s/%s/%s"
                        % (rowid, p, l, j, packets, lost, jmax))
    if errs or n == 0:
        print("\n".join(errs) or "no stream with intervals")
        return 1
    print(n)
    return 0


def pick(db):
    c = sqlite3.connect(db)
    for ssrc, rowid in c.execute("SELECT ssrc, rowid FROM rtp_streams ORDER BY rowid"):
        rows = list(c.execute("SELECT start_us, duration_ms, packets, lost FROM rtp_intervals"
                              " WHERE stream_rowid = ? ORDER BY start_us", (rowid,)))
        for s, d, p, l in rows[1:-1]:
            if l > 0:
                print(ssrc, s, s + d * 1000, p, l)
                return 0
    return 1


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "page":
        sys.exit(page(*sys.argv[2:5]))
    if cmd == "sums":
        sys.exit(sums(sys.argv[2]))
    sys.exit(pick(sys.argv[2]))
