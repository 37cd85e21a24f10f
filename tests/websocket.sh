#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# SIP over WebSocket (RFC 7118) end to end, on captures written by
# pcaps/gen/make-ws-capture.py: the committed pcaps/sip-websocket.pcap is
# what the script makes; the same call cut into 1- and 7-byte TCP segments,
# and captured only from the INVITE on (the upgrade not seen), gives the
# same record as the whole capture; the record's transport is ws and
# calltap counts as many SIP-over-WebSocket messages as tshark decodes.
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
gen="$srcdir/pcaps/gen/make-ws-capture.py"

python3 "$gen" "$t/ws.pcap" || exit 1
if cmp -s "$t/ws.pcap" "$srcdir/pcaps/sip-websocket.pcap"; then
	ok "pcaps/sip-websocket.pcap is what make-ws-capture.py makes"
else
	bad "pcaps/sip-websocket.pcap differs from what make-ws-capture.py makes"
fi
"$CALLTAP" -r "$t/ws.pcap" --json "$t/ws.jsonl" --sensor s -q -s 2>"$t/ws.err" || exit 1
if grep -q '"transport":"ws"' "$t/ws.jsonl" && [ "$(wc -l <"$t/ws.jsonl")" -eq 1 ]; then
	ok "one call, transport ws"
else
	bad "one call, transport ws: $(cat "$t/ws.jsonl")"
fi
if grep -Eq '^  sip_ws +7$' "$t/ws.err" && ! grep -Eq 'event|invalid|sip_tcp' "$t/ws.err"; then
	ok "7 SIP messages over WebSocket, no error"
else
	bad "counters: $(tr -s ' ' <"$t/ws.err" | tr '\n' ';')"
fi
if command -v tshark >/dev/null 2>&1; then
	n=$(tshark -r "$t/ws.pcap" -Y sip 2>/dev/null | wc -l)
	if [ "$n" -eq 7 ]; then
		ok "tshark decodes the same 7 SIP messages"
	else
		bad "tshark decodes $n SIP messages, calltap 7"
	fi
fi
for v in "--segment 1" "--segment 7" "--after-upgrade"; do
	# shellcheck disable=SC2086
	python3 "$gen" "$t/v.pcap" $v || exit 1
	"$CALLTAP" -r "$t/v.pcap" --json "$t/v.jsonl" --sensor s -q 2>"$t/err" || { bad "$v: calltap failed"; continue; }
	if cmp -s "$t/ws.jsonl" "$t/v.jsonl"; then
		ok "$v: same record"
	else
		bad "$v: record differs: $(diff "$t/ws.jsonl" "$t/v.jsonl" | head -5)"
	fi
done
echo "websocket: $pass passed, $fail failed"
[ $fail -eq 0 ]
