#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Recordings never depend on the limit on open files (issue 9: 10,000
# concurrent recorded calls failed with EMFILE past `ulimit -n`): 300
# answered calls open at once, recorded under `ulimit -n 64` and `256` (soft
# and hard, so calltap cannot raise it; 256 lets 64 calls be written directly).
# Every record names its recording, and every
# file is complete and exact: 3 s of stereo WAV, the caller's own payload
# (different for every call and packet, tests/audio-hostile.py concurrent)
# sample for sample on the left, the callee's tone on the right.
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
n=300
python3 "$srcdir/tests/audio-hostile.py" concurrent "$t/conc.pcap" $n || exit 1

check() {   # $1 jsonl; checks every recording against the generator
	PYTHONPATH="$srcdir/tests" python3 - "$1" "$n" <<'PY'
import json, struct, sys, wave
sys.argv[0] = 'x'
import importlib.util, os
spec = importlib.util.spec_from_file_location('ah', os.path.join(os.environ['PYTHONPATH'], 'audio-hostile.py'))
ah = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ah)

def ulaw(u):
    u = ~u & 0xFF
    t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    return 0x84 - t if u & 0x80 else t - 0x84

recs = [json.loads(l) for l in open(sys.argv[1])]
bad = []
if len(recs) != int(sys.argv[2]):
    bad.append('%d records, expected %s' % (len(recs), sys.argv[2]))
callee = [ulaw(b) for b in ah.ulaw_tone(160, 3)]
for r in recs:
    k = int(r['call_id'][5:9])
    p = r.get('recording')
    if p is None:
        bad.append('%s: no recording' % r['call_id'])
        continue
    w = wave.open(p)
    nf = w.getnframes()
    data = w.readframes(nf)
    if w.getnchannels() != 2 or w.getframerate() != 8000 or nf != 150 * 160 + 40:
        bad.append('%s: %d ch %d Hz %d frames' % (p, w.getnchannels(), w.getframerate(), nf))
        continue
    s = struct.unpack('<%dh' % (2 * nf), data)
    left = [ulaw(b) for i in range(150) for b in ah.concurrent_payload(k, i)]
    if list(s[0:2 * 24000:2]) != left or any(s[2 * 24000::2]):
        bad.append('%s: caller audio differs' % p)
    if list(s[1:80:2]) != [0] * 40 or list(s[81::2]) != callee * 150:
        bad.append('%s: callee audio differs' % p)
for b in bad[:10]:
    print('     | ' + b)
print('%d records, %d exact recordings' % (len(recs), len(recs) - len(bad)))
sys.exit(1 if bad else 0)
PY
}

# 64: every call through the scratch store; 256: 64 written directly, the rest through the store.
for lim in 64 256; do
	rm -rf "$t/a"
	mkdir "$t/a"
	(ulimit -n $lim && exec "$CALLTAP" -r "$t/conc.pcap" --json "$t/conc.jsonl" --audio "$t/a" \
	    --stats) >"$t/out" 2>"$t/err"
	rc=$?
	errs=$(sed -n 's/^  recording_errors  *\([0-9]*\)$/\1/p' "$t/err")
	if out=$(check "$t/conc.jsonl") && [ $rc = 0 ] && [ "${errs:-0}" = 0 ] &&
	    [ "$(ls "$t/a" | wc -l)" = $n ]; then
		ok "ulimit -n $lim, $n concurrent recorded calls: $out"
	else
		bad "ulimit -n $lim, $n concurrent recorded calls: exit $rc, recording_errors ${errs:-0}, $(ls "$t/a" | wc -l) files: $out"
		sed 's/^/     | /' "$t/err" | head -5
	fi
done

# SIGKILL while 300 recordings are being written (directly, each an open
# unnamed file): nothing is left in the directory, named or hidden, so no
# unfinished recording can ever pass for a complete one.
mkfifo "$t/fifo" && mkdir "$t/k" || exit 1
size=$(wc -c <"$t/conc.pcap")
"$CALLTAP" -r - --json "$t/k.jsonl" --audio "$t/k" <"$t/fifo" 2>"$t/k.err" &
pid=$!
(head -c $((size * 6 / 10)) "$t/conc.pcap"; sleep 30) >"$t/fifo" &
feeder=$!
fds=0
for i in $(seq 1 100); do   # until the recorder holds the direct files (or 10 s)
	fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
	[ "$fds" -gt 250 ] && break
	sleep 0.1
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
kill $feeder 2>/dev/null
wait $feeder 2>/dev/null
if [ "$fds" -gt 250 ] && [ -z "$(ls -A "$t/k")" ] && [ ! -s "$t/k.jsonl" ]; then
	ok "SIGKILL with $fds descriptors open (recordings in progress): no file left, none named"
else
	bad "SIGKILL mid-recording: $fds descriptors, left: $(ls -A "$t/k" | head -3)"
fi

echo "audio-fdlimit: $pass passed, $fail failed"
[ $fail -eq 0 ]
