#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Recordings end to end: scripts/gen-calls --tone makes calls whose caller
# says 440 Hz and callee 1000 Hz (G.711 µ-law, with loss and jitter); every
# answered call must come out as a stereo WAV with the caller's tone on the
# left and the callee's on the right (Goertzel), as long as its media time.
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
"$srcdir/scripts/gen-calls" -o "$t/tone.pcap" --truth "$t/truth.jsonl" --seed 7 --calls 40 \
	--concurrency 10 --talk-mean 6 --tone --loss 2 --jitter-ms 15 >/dev/null || exit 1
mkdir "$t/audio"
"$CALLTAP" -r "$t/tone.pcap" --json "$t/calls.jsonl" --audio "$t/audio" || exit 1
python3 - "$t/calls.jsonl" "$t/truth.jsonl" <<'PY'
import json, math, sys, wave

def goertzel(xs, rate, f):
    k = 2 * math.cos(2 * math.pi * f / rate)
    s1 = s2 = 0.0
    for x in xs:
        s1, s2 = x + k * s1 - s2, s1
    return s1 * s1 + s2 * s2 - k * s1 * s2

truth = {}
for line in open(sys.argv[2]):
    r = json.loads(line)
    truth[r["call_id"]] = r
passed = failed = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["disposition"] != "answered":
        if r["recording"] is not None:
            failed += 1
            print("FAIL %s: %s call has a recording" % (r["call_id"], r["disposition"]))
        continue
    errs = []
    rec = r["recording"]
    if rec is None:
        failed += 1
        print("FAIL %s: answered call without recording" % r["call_id"])
        continue
    w = wave.open(rec)
    rate, n = w.getframerate(), w.getnframes()
    if w.getnchannels() != 2 or w.getsampwidth() != 2 or rate != 8000:
        errs.append("format %d ch %d bytes %d Hz" % (w.getnchannels(), w.getsampwidth(), rate))
    data = w.readframes(n)
    samples = [int.from_bytes(data[i:i + 2], "little", signed=True) for i in range(0, len(data), 2)]
    left, right = samples[0::2], samples[1::2]
    # Media time: from the first to the last RTP packet, which lie within
    # the call (start..end) and cover at least the talk time.
    secs = n / rate
    if not (r["talk_s"] - 0.3 <= secs <= r["duration_s"] + 0.3):
        errs.append("length %.3f s outside talk %.3f .. duration %.3f" % (secs, r["talk_s"], r["duration_s"]))
    # The end of the conversation, where both parties talk (early media
    # and hold make the middle of the file one-sided): up to 1 s ending
    # 0.1 s before the last sample, within the talk time.
    span = int(min(1.0, 0.6 * r["talk_s"]) * rate)
    hi = n - rate // 10
    lo = hi - span
    if span >= rate // 4 and lo >= 0:
        l440, l1k = goertzel(left[lo:hi], rate, 440), goertzel(left[lo:hi], rate, 1000)
        r440, r1k = goertzel(right[lo:hi], rate, 440), goertzel(right[lo:hi], rate, 1000)
        if not l440 > 100 * l1k:
            errs.append("left channel is not the caller's 440 Hz (440: %.3g, 1000: %.3g)" % (l440, l1k))
        if not r1k > 100 * r440:
            errs.append("right channel is not the callee's 1000 Hz (1000: %.3g, 440: %.3g)" % (r1k, r440))
    if errs:
        failed += 1
        print("FAIL %s: %s" % (r["call_id"], "; ".join(errs)))
    else:
        passed += 1
        print("ok   %s: %.2f s stereo, caller 440 Hz left, callee 1000 Hz right" % (r["call_id"], secs))
print("audio-tone: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed or passed == 0 else 0)
PY
