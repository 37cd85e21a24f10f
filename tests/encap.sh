#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Encapsulations must not change what calltap finds: every bundled capture
# below is re-encapsulated by pcaps/gen/wrap-encap.py (QinQ with the TPIDs
# 0x88a8/0x9100/0x9200/0x8100, MPLS, MPLS Ethernet pseudowire, Geneve,
# PPPoE, GTP-U) and the records of the result must equal those of the
# original, field for field (QinQ: but for vlan, which becomes the outer
# tag, 100).  The bases are bundled captures and a VoLTE-style call
# written by pcaps/gen/make-volte-capture.py (SIP over TCP over IPv6, tel:
# URIs, AMR-WB).  Also: the committed wrapped captures pcaps/wrap-*.pcap and
# pcaps/volte-gtpu.pcap are exactly what the scripts make; PPPoE discovery
# frames are counted (pppoe_discovery) and nothing is invalid or left as
# other_udp.
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
wrap="$srcdir/pcaps/gen/wrap-encap.py"
base="goffinet-SIP-Call-Flow-Over-TCP sipp-answered-caller-bye sipp-ipv6 sipp-many volte"
python3 "$srcdir/pcaps/gen/make-volte-capture.py" "$t/volte.pcap" || exit 1

# same_records ORIG.jsonl WRAPPED.jsonl VLAN: equal but for vlan (VLAN or "-").
same_records() {
	python3 - "$1" "$2" "$3" <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
if sys.argv[3] != '-':
    for r in a:
        r['vlan'] = int(sys.argv[3])
if not a or a != b:
    print('records differ: %d vs %d' % (len(a), len(b)))
    for x, y in zip(a, b):
        for k in sorted(set(x) | set(y)):
            if x.get(k) != y.get(k):
                print('  %s: %r != %r' % (k, x.get(k), y.get(k)))
    sys.exit(1)
PY
}

for b in $base; do
	in="$srcdir/pcaps/$b.pcap"
	[ $b = volte ] && in="$t/volte.pcap"
	"$CALLTAP" -r "$in" --json "$t/$b.jsonl" --sensor s -q 2>"$t/err" ||
		{ bad "$b: calltap failed"; continue; }
	for m in qinq qinq9200 mpls mplspw geneve pppoe gtpu; do
		case $m in qinq*) vlan=100 ;; *) vlan=- ;; esac
		python3 "$wrap" $m "$in" "$t/$m.pcap" 2>"$t/err" ||
			{ bad "$b $m: wrap failed"; continue; }
		if ! "$CALLTAP" -r "$t/$m.pcap" --json "$t/$m.jsonl" --sensor s -q -s 2>"$t/err"; then
			bad "$b $m: calltap failed"
		elif ! same_records "$t/$b.jsonl" "$t/$m.jsonl" $vlan >"$t/diff"; then
			cat "$t/diff"
			bad "$b $m: records differ from the unwrapped capture's"
		elif grep -Eq '^  (invalid|other_udp) ' "$t/err"; then
			bad "$b $m: $(grep -E '^  (invalid|other_udp) ' "$t/err" | tr -s ' ')"
		else
			ok "$b $m: same records"
		fi
		if [ $m = pppoe ]; then
			if grep -Eq '^  event pppoe_discovery +4$' "$t/err"; then
				ok "$b pppoe: 4 discovery frames counted"
			else
				bad "$b pppoe: discovery frames not counted"
			fi
		fi
		case $b-$m in
		goffinet-SIP-Call-Flow-Over-TCP-*) committed=pcaps/wrap-$m.pcap ;;
		volte-gtpu) committed=pcaps/volte-gtpu.pcap ;;
		*) committed= ;;
		esac
		if [ -n "$committed" ] && [ -f "$srcdir/$committed" ]; then
			if cmp -s "$t/$m.pcap" "$srcdir/$committed"; then
				ok "$committed is what the scripts make"
			else
				bad "$committed differs from what the scripts make"
			fi
		fi
	done
done
echo "encap: $pass passed, $fail failed"
[ $fail -eq 0 ]
