#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Per-call captures (--pcap-dir, --pcap-sip-only) and the call-aware filter
# (-w): every file re-read by calltap and by tshark (tests/pcap-dir.py) on
# bundled captures (UDP, TCP, G.729 RTP) and on a generated trunk with TCP
# connections shared by calls, split and swapped segments, IP fragments,
# VLANs and IPv6; then names, never overwriting, SIP only, failures.
. "$(dirname "$0")/lib.sh"
for tool in tshark mergecap python3; do
	command -v $tool >/dev/null 2>&1 || { echo "pcap-dir: $tool not installed"; exit 77; }
done
t=$(mktemp -d)
trap 'chmod -R u+w "$t"; rm -rf "$t"' EXIT
pc=$srcdir/pcaps

python3 "$srcdir/scripts/gen-calls" -o "$t/mix.pcap" --truth "$t/mix.truth" --calls 60 \
    --concurrency 15 --rtp --talk-mean 2 --tcp-share 0.4 --frag-share 0.2 --split-share 0.4 \
    --vlan-share 0.2 --ipv6-share 0.2 --seed 3 -q
# long calls (60 s of RTP): past 256 KiB a call goes on in a spill file
python3 "$srcdir/scripts/gen-calls" -o "$t/long.pcap" --truth "$t/long.truth" --calls 12 \
    --concurrency 12 --rtp --talk-mean 60 --tcp-share 0.3 --seed 5 -q
# PBX legs of every kind: some trunk calls get the PBX's RTP before its
# 200 OK names the source (early media, promoted into the call later)
python3 "$srcdir/scripts/gen-calls" --pbx --pbx-kinds all -o "$t/pbx.pcap" --truth "$t/pbx.truth" \
    --calls 60 --seed 2 -q
if python3 "$srcdir/tests/pcap-dir.py" "$CALLTAP" "$t" "$pc/sipp-many.pcap" \
    "$pc/lundgrel-sip-rtp-g729a.pcap" "$pc/goffinet-SIP-Call-Flow-Over-TCP.pcap" \
    "$pc/sipp-tcp.pcap" "$pc/sipp-answered-caller-bye.pcap" "$t/mix.pcap" "$t/long.pcap" \
    "$t/pbx.pcap" \
    >"$t/err" 2>&1; then
	ok "per-call files and -w re-read by calltap and tshark: $(tail -1 "$t/err")"
else
	bad "per-call files and -w re-read by calltap and tshark"
fi

# The same calls twice into one folder: new names (-2), the first files untouched.
d=$t/twice
"$CALLTAP" -q -r "$pc/sipp-many.pcap" --pcap-dir "$d" --json "$t/1.json" 2>"$t/err"
find "$d" -type f -exec sha256sum {} + | sort >"$t/sum1"
"$CALLTAP" -q -r "$pc/sipp-many.pcap" --pcap-dir "$d" --json "$t/2.json" 2>"$t/err"
n1=$(find "$d" -type f -name '*.pcap' ! -name '*-2.pcap' | wc -l)
n2=$(find "$d" -type f -name '*-2.pcap' | wc -l)
find "$d" -type f ! -name '*-2.pcap' -exec sha256sum {} + | sort >"$t/sum2"
if [ "$n1" -eq 20 ] && [ "$n2" -eq 20 ] && cmp -s "$t/sum1" "$t/sum2" &&
    [ "$(grep -c -- '-2.pcap"' "$t/2.json")" -eq 20 ]; then
	ok "a second run takes new names (-2) and leaves the first files as they were"
else
	bad "a second run takes new names ($n1 + $n2 files)"
fi

# --pcap-sip-only: SIP only, and calltap reads the same call (no streams).
d=$t/sip
"$CALLTAP" -q -r "$pc/sipp-answered-caller-bye.pcap" --pcap-dir "$d" --pcap-sip-only \
    --json "$t/s.json" 2>"$t/err"
f=$(python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).readline())['pcap_path'])" "$t/s.json")
all=$(tshark -n -r "$f" 2>/dev/null | wc -l)
sip=$(tshark -n -r "$f" -Y sip 2>/dev/null | wc -l)
disp=$("$CALLTAP" -q -r "$f" --json - | python3 -c "import json,sys; r=json.loads(sys.stdin.readline()); print(r['disposition'], len(r['streams'] or []))")
if [ "$all" -gt 0 ] && [ "$all" -eq "$sip" ] && [ "$disp" = "answered 0" ]; then
	ok "--pcap-sip-only: $sip SIP messages, no RTP; calltap reads an answered call"
else
	bad "--pcap-sip-only: $all frames, $sip SIP, '$disp'"
fi

# A file that cannot be written: the record names none, the run says so (exit 3).
d=$t/fail
mkdir -p "$d" && : >"$d/2026-11-23"     # a file where the date folder goes
"$CALLTAP" -q -r "$pc/sipp-many.pcap" --pcap-dir "$d" --json "$t/f.json" 2>"$t/err"
rc=$?
nulls=$(grep -c '"pcap_path":null' "$t/f.json")
if [ $rc -eq 3 ] && [ "$nulls" -eq 20 ] && grep -q "2026-11-23" "$t/err" &&
    [ "$(find "$d" -type f | wc -l)" -eq 1 ]; then
	ok "unwritable date folder: pcap_path null in 20 records, one message, exit 3"
else
	bad "unwritable date folder: exit $rc, $nulls null paths"
fi

# Checked at start-up: -w into a missing folder, --pcap-dir on a file.
if ! "$CALLTAP" -q -r "$pc/sipp-busy.pcap" -w "$t/no/such/x.pcap" --json /dev/null 2>"$t/err" &&
    grep -q "no/such" "$t/err"; then
	ok "-w into a missing folder fails at start-up"
else
	bad "-w into a missing folder fails at start-up"
fi
if ! "$CALLTAP" -q -r "$pc/sipp-busy.pcap" --pcap-dir "$t/mix.pcap" --json /dev/null 2>"$t/err" &&
    grep -q "not a directory" "$t/err"; then
	ok "--pcap-dir on a file fails at start-up"
else
	bad "--pcap-dir on a file fails at start-up"
fi

# -w with no call in the input: an empty, valid capture.
"$CALLTAP" -q -r "$pc/goffinet-sip-register-wrong_password-401-403-401-403.pcapng" \
    -w "$t/none.pcap" --json /dev/null 2>"$t/err"
if [ "$(stat -c %s "$t/none.pcap")" -eq 24 ] && tshark -r "$t/none.pcap" >/dev/null 2>&1; then
	ok "-w without calls (REGISTER only): an empty pcap"
else
	bad "-w without calls: $(stat -c %s "$t/none.pcap") bytes"
fi

# The long calls went through spill files, and none is left.
"$CALLTAP" -q -r "$t/long.pcap" --pcap-dir "$t/long" --json /dev/null --stats 2>"$t/err"
if grep -qE '^pcap: .* 12 files, 0 failed \(([1-9][0-9]*) spilled' "$t/err" &&
    [ -z "$(find "$t/long" -name '.*')" ]; then
	ok "long calls: $(grep -oE '[0-9]+ spilled' "$t/err") to disk, 12 files, no spill file left"
else
	bad "long calls: $(grep '^pcap:' "$t/err")"
fi

# A call closed by the setup timeout lingers; its late retransmitted INVITE
# is not kept for a second file of it (every frame kept is in its file).
python3 - "$t/late.pcap" <<'PY'
import struct, sys
def ip4(a): return bytes(int(x) for x in a.split('.'))
def frame(src, dst, sp, dp, payload):
    udp = struct.pack('!HHHH', sp, dp, 8 + len(payload), 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, ip4(src), ip4(dst))
    return b'\x02' * 6 + b'\x04' * 6 + b'\x08\x00' + ip + udp
def sip(first, cid, cseq):
    return ('%s\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\nFrom: <sip:100@a>;tag=1\r\n'
            'To: <sip:200@b>\r\nCall-ID: %s\r\nCSeq: %s\r\nContent-Length: 0\r\n\r\n'
            % (first, cid, cseq)).encode()
inv = sip('INVITE sip:200@10.0.0.2 SIP/2.0', 'late-1', '1 INVITE')
pk = [(0.0, frame('10.0.0.1', '10.0.0.2', 5060, 5060, inv)),
      (0.01, frame('10.0.0.2', '10.0.0.1', 5060, 5060,
                   sip('SIP/2.0 100 Trying', 'late-1', '1 INVITE'))),
      (5.0, frame('10.0.0.1', '10.0.0.2', 5060, 5060,
                  sip('OPTIONS sip:200@10.0.0.2 SIP/2.0', 'ping-1', '1 OPTIONS'))),
      (6.0, frame('10.0.0.1', '10.0.0.2', 5060, 5060, inv))]
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for ts, b in pk:
        f.write(struct.pack('<IIII', 1700000000 + int(ts), int(round(ts % 1 * 1e6)), len(b), len(b)))
        f.write(b)
PY
"$CALLTAP" -q -r "$t/late.pcap" --setup-timeout 2 --pcap-dir "$t/late" -w "$t/late-w.pcap" \
    --json "$t/late.json" --stats 2>"$t/err"
kept=$(sed -n 's/^pcap: \([0-9]*\) frames kept.*/\1/p' "$t/err")
infile=$(find "$t/late" -name '*.pcap' -exec tshark -r {} \; 2>/dev/null | wc -l)
inw=$(tshark -r "$t/late-w.pcap" 2>/dev/null | wc -l)
if [ "$kept" = 2 ] && [ "$infile" -eq 2 ] && [ "$inw" -eq 3 ] &&
    grep -q '"disposition":"unfinished"' "$t/late.json"; then
	ok "a timed-out call's late INVITE: 2 frames kept, both in its file; -w has all 3"
else
	bad "a timed-out call's late INVITE: $kept kept, $infile in the file, $inw in -w"
fi

# A piped run (tcpdump -w - | calltap -r -) syncs each per-call file before
# its name is made (red-team pass 10: a record could name a file a power
# loss emptied); a file replay does not.  Seen through strace(1).
if command -v strace >/dev/null 2>&1; then
	strace -f -qq -e trace=fdatasync,linkat -o "$t/st.log" \
	    "$CALLTAP" -q -r - --pcap-dir "$t/dur" --json /dev/null <"$t/late.pcap" 2>/dev/null
	seq=$(grep -oE "^[0-9]+ +(fdatasync|linkat)" "$t/st.log" | awk '{print $2}' | tr '\n' ' ')
	strace -f -qq -e trace=fdatasync -o "$t/st2.log" \
	    "$CALLTAP" -q -r "$t/late.pcap" --pcap-dir "$t/dur2" --json /dev/null 2>/dev/null
	case $seq in
	*"fdatasync linkat"*)
		if [ ! -s "$t/st2.log" ] || ! grep -q fdatasync "$t/st2.log"; then
			ok "a piped run syncs a per-call file before naming it; a file replay does not"
		else
			bad "a file replay synced its per-call files"
		fi ;;
	*) bad "a piped run: per-call file not synced before its link ($seq)" ;;
	esac
else
	echo "skip per-call file sync: no strace"
fi

echo "pcap-dir.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
