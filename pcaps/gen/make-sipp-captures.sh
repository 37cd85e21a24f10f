#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Makes the pcaps/sipp-*.pcap golden-test captures: real SIPp 3.6 traffic
# between a SIPp UAS (port 5060) and a SIPp UAC (port 5061) on the loopback
# interface only (127.0.0.1 and ::1), recorded with dumpcap (pcap format).
# The scenarios are the *.xml files next to this script; make-rtp-pcap.py
# writes the G.711 tone files the answered call plays as RTP.
#   pcaps/gen/make-sipp-captures.sh [OUTDIR]   (default: pcaps/; needs root
#   for dumpcap on lo and for SIPp's raw-socket RTP playback)
# Each capture is bounded (dumpcap -a duration, timeout on every SIPp run).
set -eu
gen=$(cd "$(dirname "$0")" && pwd)
outdir=${1:-$gen/..}
work=/tmp/calltap-sipp        # the scenarios name the RTP files in here
filter='port 5060 or port 5061 or portrange 6000-6200'
mkdir -p "$work"
cd "$work"
rm -f ./*.log ./*.out
python3 "$gen/make-rtp-pcap.py" caller.pcap 440 3.2 0000CA11
python3 "$gen/make-rtp-pcap.py" callee.pcap 1000 3.2 0000CA1E

# capture NAME 'UAS OPTIONS' 'UAC OPTIONS': one SIPp UAS + one SIPp UAC run
capture() {
	name=$1 uas=$2 uac=$3
	rm -f "$work/$name.pcap"
	dumpcap -q -P -i lo -f "$filter" -a duration:40 -w "$work/$name.pcap" 2>"$work/$name.dumpcap.log" &
	dpid=$!
	sleep 2
	# shellcheck disable=SC2086
	timeout 40 sipp $uas -p 5060 -nostdin -trace_err -error_file "$work/$name.uas-err.log" >"$work/$name.uas.out" 2>&1 &
	upid=$!
	sleep 0.5
	rc=0
	# shellcheck disable=SC2086
	timeout 40 sipp $uac -p 5061 -nostdin -trace_err -error_file "$work/$name.uac-err.log" >"$work/$name.uac.out" 2>&1 || rc=$?
	urc=0
	wait $upid || urc=$?
	sleep 1
	kill $dpid 2>/dev/null || true
	wait $dpid || true
	if [ $rc -ne 0 ] || [ $urc -ne 0 ]; then
		echo "$name: SIPp failed (uac $rc, uas $urc); see $work/$name.*" >&2
		exit 1
	fi
	size=$(wc -c <"$work/$name.pcap")
	[ "$size" -lt 204800 ] || { echo "$name: capture too big ($size bytes)" >&2; exit 1; }
	cp "$work/$name.pcap" "$outdir/sipp-$name.pcap"
	chmod 644 "$outdir/sipp-$name.pcap"
	echo "sipp-$name.pcap: $(tshark -n -r "$outdir/sipp-$name.pcap" 2>/dev/null | wc -l) frames, $size bytes"
}

v4uas="-i 127.0.0.1 -mi 127.0.0.1 -mp 6100 -m 1"
v4uac="127.0.0.1:5060 -i 127.0.0.1 -mi 127.0.0.1 -mp 6000 -s 5551234 -m 1"
capture answered-caller-bye "-sf $gen/uas-answer-rtp.xml $v4uas" "-sf $gen/uac-caller-bye.xml $v4uac"
capture answered-callee-bye "-sf $gen/uas-callee-bye.xml $v4uas" "-sf $gen/uac-callee-bye.xml $v4uac"
capture busy "-sf $gen/uas-busy.xml $v4uas" "-sf $gen/uac-busy.xml $v4uac"
capture cancel "-sf $gen/uas-cancel.xml $v4uas" "-sf $gen/uac-cancel.xml $v4uac"
capture auth "-sf $gen/uas-auth.xml $v4uas" "-sf $gen/uac-auth.xml $v4uac"
capture tcp "-sf $gen/uas-callee-bye.xml -t t1 $v4uas" "-sf $gen/uac-callee-bye.xml -t t1 $v4uac"
capture ipv6 "-sf $gen/uas-callee-bye.xml -i ::1 -mi ::1 -mp 6100 -m 1" \
	"-sf $gen/uac-callee-bye.xml [::1]:5060 -i ::1 -mi ::1 -mp 6000 -s 5551234 -m 1"
capture many "-sf $gen/uas-many.xml -i 127.0.0.1 -mi 127.0.0.1 -mp 6100 -m 20" \
	"-sf $gen/uac-many.xml 127.0.0.1:5060 -i 127.0.0.1 -mi 127.0.0.1 -mp 6000 -inf $gen/many.csv -r 4 -m 20"
