#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-call captures (--pcap-dir) and the call-aware filter (-w), checked
against calltap itself and against tshark.

usage: pcap-dir.py CALLTAP WORKDIR CAPTURE...

For every capture: calltap -r CAPTURE --pcap-dir D --json J -w W, then
  - every record names a file (pcap_path) under D/YYYY-MM-DD/HH/ named
    HHMMSS_caller_callee_callid_hash.pcap, mode 0600, directories 0700;
  - calltap on that file alone gives one record: the same call (Call-ID,
    disposition, final code, times, hangup, streams with their packets,
    loss, jitter and MOS); times may differ by at most 1 ms (see below);
  - tshark on that file shows the same SIP messages (time, Call-ID, method
    or status, CSeq) as tshark on the input for that Call-ID, and
    `tshark -z rtp,streams` the same RTP streams (addresses, SSRC, codec,
    packets, lost, max delta, jitter) as on the input for those SSRCs;
  - calltap on W gives the same records as on the input (pcap_path aside).
Times: a call whose first message is a TCP segment split in two halves
that came swapped starts its file in sequence order (so a reader picks the
stream up at the message start), so that message gets the time of the
other half (microseconds apart).
Prints one line per check and "pcap-dir: N passed, N failed".
"""

import json
import os
import re
import shutil
import stat
import subprocess
import sys

passed = failed = 0
KEYS = ["call_id", "caller", "callee", "disposition", "final_code", "hangup_by",
        "hangup_reason", "truncated", "q850_cause", "invites", "auth_challenges",
        "transport", "src_ip", "dst_ip", "src_port", "dst_port", "vlan"]
PER_FILE_TSHARK = 10   # more calls: one tshark run over the files merged
TIMES = ["start_time", "ringing_time", "answer_time", "end_time"]
NAME = re.compile(r"^\d{4}-\d{2}-\d{2}/\d{2}/\d{6}_[A-Za-z0-9+._-]+_[A-Za-z0-9+._-]+_"
                  r"[A-Za-z0-9+._-]+_[0-9a-f]{8}(-\d+)?\.pcap$")


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL " + what)
    return cond


def calltap(ct, args):
    r = subprocess.run([ct, "-q"] + args + ["--json", "-"], capture_output=True, text=True)
    return [json.loads(l) for l in r.stdout.splitlines() if l.strip()], r.returncode


def us(t):
    if t is None:
        return None
    d, f = t.rstrip("Z").split(".")
    return d, int(f)


def times_close(a, b):
    if a is None or b is None:
        return a == b
    (da, fa), (db, fb) = us(a), us(b)
    return da == db and abs(fa - fb) <= 1000


def streams(rec):
    return sorted((s["ssrc"], s["src"], s["dst"], s["codec"], s["packets"], s["lost"],
                   s["max_jitter_ms"], s["mos"], s["duplicates"], s["out_of_order"])
                  for s in rec.get("streams") or [])


def tshark_sip(path):
    """SIP messages by Call-ID: sorted "time method status CSeq" lines."""
    out = subprocess.run(["tshark", "-n", "-r", path, "-Y", "sip", "-T", "fields",
                          "-E", "occurrence=f", "-e", "frame.time_epoch", "-e", "sip.Call-ID",
                          "-e", "sip.Method", "-e", "sip.Status-Code", "-e", "sip.CSeq"],
                         capture_output=True, text=True).stdout
    res = {}
    for l in out.splitlines():
        f = l.split("\t")
        if len(f) == 5 and not f[1]:
            # tshark could not decode it (a split message whose halves came
            # swapped): a per-call file, in sequence order, may show it
            res.setdefault("", []).append("%.3f" % float(f[0]))
        elif len(f) == 5:
            # time to the ms: see "Times" above (tshark dates a message by
            # its first segment when the halves come in sequence order)
            res.setdefault(f[1], []).append("%.3f %s" % (float(f[0]), "\t".join(f[2:])))
    return {k: sorted(v) for k, v in res.items()}


def tshark_rtp(path):
    out = subprocess.run(["tshark", "-n", "-r", path, "-q", "-z", "rtp,streams"],
                         capture_output=True, text=True).stdout
    res = {}
    for l in out.splitlines():
        f = l.split()
        if len(f) >= 17 and f[6].startswith("0x"):
            # src port dst port ssrc payload pkts lost max-delta max-jitter
            res[(f[2], f[3], f[4], f[5], f[6].upper())] = (f[7], f[8], f[9], f[13], f[16])
    return res


def one_capture(ct, work, cap):
    name = os.path.basename(cap)
    d = os.path.join(work, "dir")
    shutil.rmtree(d, ignore_errors=True)
    os.mkdir(d)
    w = os.path.join(work, "all.pcap")
    recs, rc = calltap(ct, ["-r", cap, "--pcap-dir", d, "-w", w])
    check(rc == 0 and len(recs) > 0, "%s: calltap ran (%d records)" % (name, len(recs)))
    in_rtp = tshark_rtp(cap)
    in_sip = tshark_sip(cap)
    undecoded = set(in_sip.get("", []))
    for r in recs:
        cid = r["call_id"]
        p = r.get("pcap_path")
        tag = "%s %s" % (name, cid[:32])
        if not check(p is not None and os.path.isfile(p), tag + ": pcap_path names a file"):
            continue
        rel = os.path.relpath(p, os.path.realpath(d))
        check(NAME.match(rel) is not None, tag + ": name " + rel)
        check(stat.S_IMODE(os.stat(p).st_mode) == 0o600, tag + ": file mode 0600")
        check(stat.S_IMODE(os.stat(os.path.dirname(p)).st_mode) == 0o700, tag + ": dir mode 0700")
        again, _ = calltap(ct, ["-r", p])
        if not check(len(again) == 1 and again[0]["call_id"] == cid,
                     tag + ": calltap on the file gives this call (%d records)" % len(again)):
            continue
        x = again[0]
        for k in KEYS:
            check(r.get(k) == x.get(k), "%s: %s %r == %r" % (tag, k, r.get(k), x.get(k)))
        for k in TIMES:
            check(times_close(r.get(k), x.get(k)), "%s: %s %r ~ %r" % (tag, k, r.get(k), x.get(k)))
        check(streams(r) == streams(x), "%s: streams %r == %r" % (tag, streams(r), streams(x)))
        if len(recs) <= PER_FILE_TSHARK:
            mine = tshark_sip(p)
            check(list(mine) == [cid] and same_sip(mine[cid], in_sip.get(cid, []), undecoded),
                  tag + ": tshark sees the same SIP messages")
            mine = tshark_rtp(p)
            check(all(in_rtp.get(k) == v for k, v in mine.items()),
                  tag + ": tshark rtp,streams equal to the input's %r" % mine)
            check(len(mine) >= len(r.get("streams") or []) - sum(
                1 for s in r.get("streams") or [] if s["payload_type"] < 0 or s["packets"] < 2),
                tag + ": tshark finds the call's %d streams (%d)" % (len(r.get("streams") or []),
                                                                   len(mine)))
    if len(recs) > PER_FILE_TSHARK:
        # One tshark run over all the files merged: each message and RTP
        # packet of a call is in exactly one file (a copy would show twice).
        m = os.path.join(work, "merged.pcap")
        files = [r["pcap_path"] for r in recs if r.get("pcap_path")]
        subprocess.run(["mergecap", "-F", "pcap", "-w", m] + files, check=True)
        mine = tshark_sip(m)
        ids = set(r["call_id"] for r in recs)
        check(all(same_sip(mine.get(c, []), in_sip.get(c, []), undecoded) for c in ids) and
              set(mine) - {""} == ids,
              "%s: tshark sees the same SIP messages in the %d files" % (name, len(files)))
        mine = tshark_rtp(m)
        n = sum(len(r.get("streams") or []) for r in recs)
        check(all(in_rtp.get(k) == v for k, v in mine.items()) and len(mine) >= n * 9 // 10,
              "%s: tshark rtp,streams of the files equal the input's (%d of %d streams)" %
              (name, len(mine), n))
    again, rc = calltap(ct, ["-r", w])
    strip = lambda rs: [{k: v for k, v in q.items() if k != "pcap_path"} for q in rs]
    check(rc == 0 and strip(again) == strip(recs),
          "%s: calltap on the -w file gives the same %d records (%d)" % (name, len(recs), len(again)))
    leftovers = [f for _, _, fs in os.walk(d) for f in fs if f.startswith(".")]
    check(not leftovers, "%s: no temporary file left %r" % (name, leftovers))


def main():
    ct, work = sys.argv[1], sys.argv[2]
    for cap in sys.argv[3:]:
        one_capture(ct, work, cap)
    print("pcap-dir: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


def same_sip(mine, theirs, undecoded):
    """mine == theirs, but for messages tshark could not decode in the input."""
    extra = [l for l in mine if l not in theirs]
    return all(l in mine for l in theirs) and all(l.split()[0] in undecoded for l in extra)


if __name__ == "__main__":
    main()
