#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# zstd decompression windows (src/capture/decompress.c, inputs.c): a
# generated trunk capture (scripts/gen-calls, with ground truth) is dealt
# frame by frame into 16 files that overlap in time, each compressed from a
# pipe with zstd --long=27, so that each frame header declares a 128 MiB
# window whatever the content's size (a few KB).  Merged with
# --decompress-memory 2048 every call is exact; with the default (512 MiB:
# four files open at once) every frame is still read and the files that
# waited are warned of, naming the option; under a 700 MB address-space
# limit the default budget reads all (each decoder allocates its declared
# window) where a budget letting all 16 open at once fails.  One file with
# --long=28 (256 MiB) is read whole by default and refused, named, under
# --decompress-memory 128.
. "$(dirname "$0")/lib.sh"
for tool in zstd python3; do
	command -v $tool >/dev/null 2>&1 || { echo "skip: $tool is needed"; exit 77; }
done
"$CALLTAP" --version 2>&1 | grep -q zstd || { echo "skip: calltap built without zstd"; exit 77; }
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
"$srcdir/scripts/gen-calls" -o "$t/all.pcap" --truth "$t/truth" --seed 7 --calls 30 \
    --concurrency 10 --talk-mean 4 >/dev/null 2>&1 || { echo "FAIL gen-calls"; exit 1; }
# Frame i of all.pcap into part (i % 16): classic pcap, any byte order kept as is.
python3 - "$t/all.pcap" "$t/part" 16 <<'PY' || { echo "FAIL split"; exit 1; }
import struct, sys
data = open(sys.argv[1], 'rb').read()
end = '<' if data[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
k = int(sys.argv[3])
outs = [open('%s%d.pcap' % (sys.argv[2], i), 'wb') for i in range(k)]
for o in outs:
    o.write(data[:24])
pos, i = 24, 0
while pos + 16 <= len(data):
    incl = struct.unpack(end + 'I', data[pos + 8:pos + 12])[0]
    outs[i % k].write(data[pos:pos + 16 + incl])
    pos += 16 + incl
    i += 1
print(i, file=open(sys.argv[2] + '.count', 'w'))
PY
total=$(cat "$t/part.count")
files=""
for i in $(seq 0 15); do
	zstd -q --long=27 -c <"$t/part$i.pcap" >"$t/part$i.pcap.zst" || { echo "FAIL zstd"; exit 1; }
	files="$files -r $t/part$i.pcap.zst"
done
size=$(cat "$t"/part*.pcap.zst | wc -c)
echo "16 files, $size bytes compressed, $total frames"

# shellcheck disable=SC2086
"$CALLTAP" --json "$t/big.jsonl" --decompress-memory 2048 $files -s >/dev/null 2>"$t/err"
st=$?
if [ $st -eq 0 ] && "$srcdir/scripts/compare-truth" "$t/truth" "$t/big.jsonl" >"$t/cmp" 2>&1 &&
    ! grep -q "waited for the zstd windows and xz dictionaries" "$t/err"; then
	ok "16 files x 128 MiB windows, --decompress-memory 2048: $(tail -1 "$t/cmp")"
else
	bad "--decompress-memory 2048: exit $st"; head -5 "$t/cmp"
fi

# shellcheck disable=SC2086
"$CALLTAP" --json "$t/def.jsonl" $files -s >/dev/null 2>"$t/err"
st=$?
if [ $st -eq 0 ] && grep -Eq "^  frames +$total\$" "$t/err" &&
    grep -q "12 of them waited for the zstd windows and xz dictionaries of open files (512 MiB at once, at most 512 MiB used): raise --decompress-memory" "$t/err"; then
	ok "default budget: every one of $total frames read, 12 files deferred and warned of"
else
	bad "default budget: exit $st"
fi

# The address space each decoder takes: the default budget holds 4 windows
# (512 MiB), a budget that opens all 16 would need over 2 GiB.
decoder_vm_checks "$files" "all 16 windows"

# One file with a 256 MiB window: read under the default, refused under 128.
zstd -q --long=28 -c <"$t/all.pcap" >"$t/long28.pcap.zst"
"$CALLTAP" --json "$t/l28.jsonl" -r "$t/long28.pcap.zst" >/dev/null 2>"$t/err"
st=$?
if [ $st -eq 0 ] && "$srcdir/scripts/compare-truth" "$t/truth" "$t/l28.jsonl" >"$t/cmp" 2>&1; then
	ok "--long=28, default budget: $(tail -1 "$t/cmp")"
else
	bad "--long=28, default budget: exit $st"
fi
"$CALLTAP" --json "$t/l28b.jsonl" -r "$t/long28.pcap.zst" --decompress-memory 128 >/dev/null 2>"$t/err"
st=$?
if [ $st -eq 2 ] && grep -q "long28.pcap.zst': its zstd frame declares a 256.0 MiB decompression window (256 MiB reserved), over the 128 MiB .*raise --decompress-memory to 256" "$t/err"; then
	ok "--long=28 under --decompress-memory 128: refused, named, exit 2"
else
	bad "--long=28 under --decompress-memory 128: exit $st"
fi
echo "zstd-window: $pass passed, $fail failed"
[ $fail -eq 0 ]
