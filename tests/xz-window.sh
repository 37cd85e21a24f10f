#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# xz decoder memory (src/capture/decompress.c, inputs.c), the companion of
# zstd-window.sh: a generated trunk capture (scripts/gen-calls, with ground
# truth) is dealt frame by frame into 8 files that overlap in time, each
# compressed from a pipe with xz --lzma2=dict=192MiB, so that each block
# header declares a 192 MiB dictionary (257 MiB reserved with the decoder)
# whatever the content's size (a few KB), and liblzma allocates all of it.
# With --decompress-memory 4096 all 8 are open at once and every call is
# exact; under 600 two are, every frame is still read and the 6 files that
# waited are warned of, naming the option; under a 700 MB address-space
# limit the default budget (one at a time) reads all where a budget letting
# all 8 open at once fails.  One file of the whole capture is read whole by
# default and refused, named, under --decompress-memory 128.  A file whose
# first stream declares 1 MiB and a concatenated second stream 192 MiB
# fails cleanly at the second: every packet of the first is read and its
# calls are the same records as the first half's alone.
. "$(dirname "$0")/lib.sh"
for tool in xz python3; do
	command -v $tool >/dev/null 2>&1 || { echo "skip: $tool is needed"; exit 77; }
done
"$CALLTAP" --version 2>&1 | grep -q ' xz' || { echo "skip: calltap built without xz"; exit 77; }
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
"$srcdir/scripts/gen-calls" -o "$t/all.pcap" --truth "$t/truth" --seed 7 --calls 30 \
    --concurrency 10 --talk-mean 4 >/dev/null 2>&1 || { echo "FAIL gen-calls"; exit 1; }
# Frame i of all.pcap into part (i % 8); the first half (whole records) into
# first.pcap, the rest (no file header) into second.bin.
python3 - "$t/all.pcap" "$t/part" 8 "$t/first.pcap" "$t/second.bin" <<'PY' || { echo "FAIL split"; exit 1; }
import struct, sys
data = open(sys.argv[1], 'rb').read()
end = '<' if data[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
k = int(sys.argv[3])
outs = [open('%s%d.pcap' % (sys.argv[2], i), 'wb') for i in range(k)]
for o in outs:
    o.write(data[:24])
pos, i, starts = 24, 0, []
while pos + 16 <= len(data):
    incl = struct.unpack(end + 'I', data[pos + 8:pos + 12])[0]
    outs[i % k].write(data[pos:pos + 16 + incl])
    starts.append(pos)
    pos += 16 + incl
    i += 1
cut = starts[i // 2]
open(sys.argv[4], 'wb').write(data[:cut])
open(sys.argv[5], 'wb').write(data[cut:])
print(i, file=open(sys.argv[2] + '.count', 'w'))
print(i // 2, file=open(sys.argv[4] + '.count', 'w'))
PY
total=$(cat "$t/part.count")
half=$(cat "$t/first.pcap.count")
files=""
for i in $(seq 0 7); do
	xz -q --lzma2=dict=192MiB -c <"$t/part$i.pcap" >"$t/part$i.pcap.xz" || { echo "FAIL xz"; exit 1; }
	files="$files -r $t/part$i.pcap.xz"
done
size=$(cat "$t"/part*.pcap.xz | wc -c)
echo "8 files, $size bytes compressed, $total frames"

# shellcheck disable=SC2086
"$CALLTAP" --json "$t/big.jsonl" --decompress-memory 4096 $files -s >/dev/null 2>"$t/err"
st=$?
if [ $st -eq 0 ] && "$srcdir/scripts/compare-truth" "$t/truth" "$t/big.jsonl" >"$t/cmp" 2>&1 &&
    ! grep -q "waited for the zstd windows and xz dictionaries" "$t/err"; then
	ok "8 files x 192 MiB dictionaries, --decompress-memory 4096: $(tail -1 "$t/cmp")"
else
	bad "--decompress-memory 4096: exit $st"; head -5 "$t/cmp"
fi

# shellcheck disable=SC2086
"$CALLTAP" --json "$t/small.jsonl" --decompress-memory 600 $files -s >/dev/null 2>"$t/err"
st=$?
if [ $st -eq 0 ] && grep -Eq "^  frames +$total\$" "$t/err" &&
    grep -q "6 of them waited for the zstd windows and xz dictionaries of open files (600 MiB at once, at most 514 MiB used): raise --decompress-memory" "$t/err"; then
	ok "--decompress-memory 600: every one of $total frames read, 6 files deferred and warned of"
else
	bad "--decompress-memory 600: exit $st"
fi

# The address space each decoder takes: the default budget holds one
# dictionary at a time (257 MiB reserved), a budget that opens all 8 needs
# 1.5 GiB.
decoder_vm_checks "$files" "all 8 dictionaries"

# One file with a 192 MiB dictionary: read under the default, refused under 128.
xz -q --lzma2=dict=192MiB -c <"$t/all.pcap" >"$t/d192.pcap.xz"
"$CALLTAP" --json "$t/d192.jsonl" -r "$t/d192.pcap.xz" >/dev/null 2>"$t/err"
st=$?
if [ $st -eq 0 ] && "$srcdir/scripts/compare-truth" "$t/truth" "$t/d192.jsonl" >"$t/cmp" 2>&1; then
	ok "192 MiB dictionary, default budget: $(tail -1 "$t/cmp")"
else
	bad "192 MiB dictionary, default budget: exit $st"
fi
"$CALLTAP" --json "$t/d192b.jsonl" -r "$t/d192.pcap.xz" --decompress-memory 128 >/dev/null 2>"$t/err"
st=$?
if [ $st -eq 2 ] && grep -q "d192.pcap.xz': its first xz block declares a 192.0 MiB dictionary (257 MiB reserved with the decoder), over the 128 MiB .*raise --decompress-memory to 257" "$t/err"; then
	ok "192 MiB dictionary under --decompress-memory 128: refused, named, exit 2"
else
	bad "192 MiB dictionary under --decompress-memory 128: exit $st"
fi

# A later stream declaring more than the first: the first stream's packets
# and calls are kept, the rest is refused with one line naming the file.
xz -q --lzma2=dict=1MiB -c <"$t/first.pcap" >"$t/cat.pcap.xz"
xz -q --lzma2=dict=192MiB -c <"$t/second.bin" >>"$t/cat.pcap.xz"
"$CALLTAP" --json "$t/half.jsonl" -r "$t/first.pcap" >/dev/null 2>&1
"$CALLTAP" --json "$t/cat.jsonl" -r "$t/cat.pcap.xz" -s >/dev/null 2>"$t/err"
st=$?
if [ $st -eq 2 ] && grep -Eq "^  frames +$half\$" "$t/err" &&
    grep -q "cat.pcap.xz: read error after $half packets: an xz block declares a larger dictionary than allowed for this file" "$t/err" &&
    [ -s "$t/half.jsonl" ] && cmp -s "$t/half.jsonl" "$t/cat.jsonl"; then
	ok "later stream declaring 192 MiB after 1 MiB: refused after all $half packets of the first, its $(wc -l <"$t/cat.jsonl") calls kept"
else
	bad "later stream declaring more: exit $st"
fi
echo "xz-window: $pass passed, $fail failed"
[ $fail -eq 0 ]
