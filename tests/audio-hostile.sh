#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Recording under attack, end to end, with every output on (--audio, --json,
# --csv, --db); captures made by tests/audio-hostile.py.
#  - codecs: RTP that switches payload type mid-call (PCMU to G.722 and
#    back, to unannounced payload types, to L16 at another clock rate, to
#    Opus with garbage), jumps its timestamp by 2^31, churns SSRCs: no crash
#    (this segfaulted), every call recorded, 3 s long, at the right rate.
#  - timestamps: pcapng with extreme if_tsresol / if_tsoffset and packet
#    times near 0, 2^63 and 2^64 ticks: no undefined behaviour (meaningful in
#    the ASan+UBSan build, where any "runtime error" fails), times clamped and
#    counted (time_out_of_range), every record well-formed.
#  - collide: Call-IDs sharing their first 100 characters in one second,
#    two equal once sanitised, run twice into one directory, and a file put
#    where a recording would go: every record names its own file, no file
#    is replaced.
#  - unproven: a call in progress never proven (a lone 200 OK with SDP and
#    RTP from the endpoint it names), dropped unrecorded: it leaves no file,
#    and the calls after it still name their recordings (its recording was
#    written and paired with the next record, and so on for every later
#    one: none named its file).
#  - SRTP (SDP RTP/SAVP, UDP/TLS/RTP/SAVPF): encrypted payloads are not
#    recorded as noise, the codecs are listed undecodable ("PCMU/SRTP").
#  - disk full (a 700 KB tmpfs when mount is permitted, else RLIMIT_FSIZE
#    at 48 KB: the 1 s calls fit, the 2 s ones do not):
#    every record is there, and a record names a recording only when the
#    file is there and complete; failures are counted in recording_errors.
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d) || exit 1
mnt=
cleanup() {
	[ -n "$mnt" ] && umount "$mnt" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
gen=$srcdir/tests/audio-hostile.py
wrap=
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }

# Runs calltap with every output into $t/$1.*; $2 capture, $3 audio dir; more options after.
run_all() {
	name=$1 cap=$2 dir=$3
	shift 3
	$wrap "$CALLTAP" -r "$cap" --json "$t/$name.jsonl" --csv "$t/$name.csv" --db "$t/$name.db" \
	    --audio "$dir" --stats "$@" >"$t/$name.out" 2>"$t/$name.err"
	echo $? >"$t/$name.rc"
	cp "$t/$name.err" "$t/err"
}

# Checks the records of $t/$1.jsonl: $2 = expected count; every named
# recording exists and is a complete WAV (size = header + frames).
check_records() {
	python3 - "$t/$1.jsonl" "$2" <<'PY'
import json, os, sys, wave
n = named = 0
bad = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    n += 1
    p = r.get("recording")
    if p is None:
        continue
    named += 1
    try:
        w = wave.open(p)
        frames = w.getnframes()
        if w.getnchannels() != 2 or w.getsampwidth() != 2 or frames <= 0:
            bad.append("%s: %d ch %d frames" % (p, w.getnchannels(), frames))
        elif os.path.getsize(p) < 44 + frames * 4:
            bad.append("%s: %d bytes for %d frames" % (p, os.path.getsize(p), frames))
    except Exception as ex:
        bad.append("%s: %s" % (p, ex))
if n != int(sys.argv[2]):
    bad.append("%d records, expected %s" % (n, sys.argv[2]))
for b in bad:
    print("     | " + b)
print("records %d, recordings %d" % (n, named))
sys.exit(1 if bad else 0)
PY
}

sanitizer_clean() {
	! grep -qE 'runtime error|Sanitizer' "$t/err"
}

stat_of() {
	sed -n "s/^  $2  *\([0-9]*\)\$/\1/p" "$t/$1.err"
}

# ---- codec, payload type, rate, timestamp and SSRC switches
python3 "$gen" codecs "$t/codecs.pcap" || exit 1
mkdir "$t/a1"
run_all codecs "$t/codecs.pcap" "$t/a1"
if [ "$(cat "$t/codecs.rc")" = 0 ] && sanitizer_clean; then
	ok "codec switches: exit 0, no sanitizer report"
else
	bad "codec switches: exit $(cat "$t/codecs.rc")"
fi
if out=$(check_records codecs 9) && [ "$(stat_of codecs recordings)" = 9 ]; then
	ok "codec switches: $out"
else
	bad "codec switches: $out"
fi
if python3 - "$t/codecs.jsonl" <<'PY'
import json, sys, wave
for line in open(sys.argv[1]):
    r = json.loads(line)
    w = wave.open(r["recording"])
    secs = w.getnframes() / w.getframerate()
    want = 16000 if r["call_id"] in ("audio-g722-pcmu@sbc", "audio-tiny@sbc") else 8000
    if not 2.9 <= secs <= 3.1 or w.getframerate() != want:
        print("     | %s: %.3f s at %d Hz (want 3 s at %d)" % (r["call_id"], secs, w.getframerate(), want))
        sys.exit(1)
PY
then
	ok "codec switches: every recording 3 s at the first codec's rate"
else
	bad "codec switches: recording length or rate"
fi

# ---- SRTP: encrypted payloads are never decoded (they would be noise)
python3 "$gen" srtp "$t/srtp.pcap" || exit 1
mkdir "$t/a5"
run_all srtp "$t/srtp.pcap" "$t/a5"
if [ "$(cat "$t/srtp.rc")" = 0 ] && python3 - "$t/srtp.jsonl" "$t/a5" <<'PY'
import json, os, sys
r = {x["call_id"]: x for x in map(json.loads, open(sys.argv[1]))}
want = {"srtp-sdes@sbc": (None, "PCMU/SRTP"), "srtp-dtls@sbc": (None, "opus/SRTP,PCMU/SRTP"),
        "plain@sbc": (True, None)}
bad = []
for cid, (rec, undec) in want.items():
    x = r.get(cid)
    if x is None:
        bad.append("%s: no record" % cid)
        continue
    if (x["recording"] is not None) != bool(rec) or x["undecodable_codecs"] != undec:
        bad.append("%s: recording %s, undecodable %s" % (cid, x["recording"], x["undecodable_codecs"]))
    if [s["packets"] for s in x["streams"]] != [150, 150]:
        bad.append("%s: streams %s" % (cid, [s["packets"] for s in x["streams"]]))
if len(os.listdir(sys.argv[2])) != 1:
    bad.append("files: %s" % os.listdir(sys.argv[2]))
for b in bad:
    print("     | " + b)
sys.exit(1 if bad else 0)
PY
then
	ok "SRTP: no recording of encrypted payloads (undecodable PCMU/SRTP, opus/SRTP), streams measured, plain call recorded"
else
	bad "SRTP calls"
fi

# ---- a call in progress never proven, with RTP: dropped unrecorded
python3 "$gen" unproven "$t/unproven.pcap" || exit 1
mkdir "$t/a6"
run_all unproven "$t/unproven.pcap" "$t/a6"
if [ "$(cat "$t/unproven.rc")" = 0 ] && sanitizer_clean && out=$(check_records unproven 3) &&
    [ "$(stat_of unproven recordings)" = 3 ] && [ "$(ls "$t/a6" | wc -l)" = 3 ] &&
    [ "$(grep -c '"recording":"' "$t/unproven.jsonl")" = 3 ]; then
	ok "unproven call in progress with RTP: no file of its own, the 3 calls after it name theirs"
else
	bad "unproven call in progress: ${out:-}; files: $(ls "$t/a6" | tr '\n' ' ')"
fi

# ---- extreme pcapng timestamps
python3 "$gen" timestamps "$t/ts.pcapng" || exit 1
mkdir "$t/a2"
run_all ts "$t/ts.pcapng" "$t/a2"
n=$(stat_of ts time_out_of_range)
if [ "$(cat "$t/ts.rc")" = 0 ] && sanitizer_clean && [ "${n:-0}" -gt 1000 ]; then
	ok "extreme timestamps: exit 0, no sanitizer report, $n times clamped"
else
	bad "extreme timestamps: exit $(cat "$t/ts.rc"), time_out_of_range ${n:-none}"
fi
if out=$(check_records ts 360); then
	ok "extreme timestamps: $out"
else
	bad "extreme timestamps: $out"
fi

# ---- colliding names
python3 "$gen" collide "$t/collide.pcap" || exit 1
mkdir "$t/a3"
run_all col1 "$t/collide.pcap" "$t/a3"
md5sum "$t"/a3/* >"$t/col1.md5"
run_all col2 "$t/collide.pcap" "$t/a3"
first=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["recording"])' "$t/col1.jsonl")
mkdir "$t/a4"
printf 'precious' >"$t/a4/$(basename "$first")"
run_all col3 "$t/collide.pcap" "$t/a4"
if check_records col1 3 >/dev/null && check_records col2 3 >/dev/null && check_records col3 3 >/dev/null &&
    [ "$(cat "$t"/col[12].jsonl | python3 -c 'import json,sys; print(len({json.loads(l)["recording"] for l in sys.stdin}))')" = 6 ] &&
    [ "$(ls "$t/a3" | wc -l)" = 6 ] && md5sum -c --quiet "$t/col1.md5" &&
    [ "$(cat "$t/a4/$(basename "$first")")" = precious ] && [ "$(ls "$t/a4" | wc -l)" = 4 ] &&
    ! grep -q "\"$t/a4/$(basename "$first")\"" "$t/col3.jsonl"; then
	ok "colliding Call-IDs: 6 distinct complete recordings, nothing replaced, existing file kept"
else
	bad "colliding Call-IDs"
	ls -la "$t/a3" "$t/a4" | sed 's/^/     | /'
fi

# ---- disk full
python3 "$gen" many "$t/many.pcap" 30 || exit 1
mkdir "$t/full"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=700k,mode=0700 tmpfs "$t/full" 2>/dev/null; then
	mnt=$t/full
	how="700 KB tmpfs"
	run_all full "$t/many.pcap" "$t/full"
else
	how="RLIMIT_FSIZE 48 KB"
	wrap="python3 $gen fsize 48000"
	run_all full "$t/many.pcap" "$t/full"
	wrap=
fi
rc=$(cat "$t/full.rc")
errs=$(stat_of full recording_errors)
recs=$(stat_of full recordings)
if out=$(check_records full 30) && [ "$rc" -lt 128 ] && sanitizer_clean &&
    [ "${errs:-0}" -gt 0 ] && [ "$((${errs:-0} + ${recs:-0}))" = 30 ] &&
    [ "$(ls "$t/full" | wc -l)" = "${recs:-0}" ]; then
	ok "disk full ($how): $out, $errs failed and counted, no partial file"
else
	bad "disk full ($how): exit $rc, recordings ${recs:-0}, recording_errors ${errs:-0}, files $(ls "$t/full" | wc -l): $out"
fi

# ---- AMR and AMR-WB (RFC 4867): random frames in both payload formats
if "$CALLTAP" --version | grep -q "AMR AMR-WB"; then
	python3 "$gen" amr "$t/amr.pcap" || exit 1
	mkdir "$t/a5"
	run_all amr "$t/amr.pcap" "$t/a5"
	if out=$(check_records amr 3) && python3 - "$t/amr.jsonl" <<'PY'
import json, struct, sys, wave
want = {'amr-oa@sbc': ('AMR', 8000), 'amr-be@sbc': ('AMR', 8000), 'amr-wb-be@sbc': ('AMR-WB', 16000)}
for line in open(sys.argv[1]):
    r = json.loads(line)
    codec, rate = want[r['call_id']]
    w = wave.open(r['recording'])
    n = w.getnframes()
    s = struct.unpack('<%dh' % (2 * n), w.readframes(n))
    left = s[0::2]
    # 150 frames of 20 ms from the first packet (the callee's tone starts 5 ms later)
    ok = (w.getframerate() == rate and abs(n - 3 * rate - rate // 200) <= 1 and
          r.get('undecodable') is None and
          codec in [x.get('codec') for x in r['streams']] and
          sum(1 for v in left[rate // 2:rate * 5 // 2] if v != 0) > rate)
    if not ok:
        print('     | %s: %d frames at %d Hz, undecodable %s, codecs %s' % (
            r['call_id'], n, w.getframerate(), r.get('undecodable'),
            [x.get('codec') for x in r['streams']]))
        sys.exit(1)
PY
	then
		ok "AMR octet-aligned, bandwidth-efficient, AMR-WB 2 frames a packet: $out, 3 s at 8/16 kHz, caller audio not silent"
	else
		bad "AMR recordings: $out"
	fi
else
	echo "skip: calltap built without AMR / AMR-WB"
fi

# Held records keep their order: the same call_id sequence as without --audio.
"$CALLTAP" -r "$t/many.pcap" --json "$t/plain.jsonl" 2>"$t/err"
if python3 - "$t/full.jsonl" "$t/plain.jsonl" <<'PY'
import json, sys
a, b = ([json.loads(l)["call_id"] for l in open(p)] for p in sys.argv[1:])
sys.exit(0 if a == b and len(a) == 30 else 1)
PY
then
	ok "records in the same order with and without recording"
else
	bad "record order changed by recording"
fi

echo "audio-hostile: $pass passed, $fail failed"
[ $fail -eq 0 ]
