#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Makes pcaps/sipp-pbx-ring-group.pcap: real SIPp 3.6 traffic on loopback of
# an inbound call through a PBX whose LAN side is captured too (issue 15,
# PBX legs).  Five SIPp instances: the carrier (127.0.1.1) calls the PBX's
# trunk side (127.0.0.10:5060, pbx-trunk-*.xml); 0.5 s later the PBX's LAN
# side rings two phones at once with the caller's number passed through
# (127.0.0.10:5070 -> 201 at 127.0.0.101, 127.0.0.10:5071 -> 202 at
# 127.0.0.102); 201 answers after 2 s, the PBX cancels 202 ("Call completed
# elsewhere") and answers the trunk call; the caller hangs up, then the PBX
# hangs up 201.  calltap with --home 127.0.0.0/24 links both legs:
# answered_by agent, agent 201, rings 201 answered and 202
# cancelled_elsewhere (tests/TESTLIST: sipp-pbx-ring-group).
#   pcaps/gen/make-sipp-pbx.sh [OUTDIR]   (default: pcaps/; root for dumpcap on lo)
set -eu
gen=$(cd "$(dirname "$0")" && pwd)
. "$gen/sipp-finish.sh"
outdir=${1:-$gen/..}
work=/tmp/calltap-sipp-pbx
mkdir -p "$work"
cd "$work"
rm -f ./*.log ./*.out ./*.pcap
name=pbx-ring-group
dumpcap -q -P -i lo -f 'udp portrange 5060-5071' -a duration:30 -w "$work/$name.pcap" \
    2>"$work/dumpcap.log" &
dpid=$!
sleep 2
run() { # log-name sipp-arguments...
	log=$1; shift
	timeout 30 sipp "$@" -nostdin -m 1 -trace_err -error_file "$work/$log-err.log" \
	    >"$work/$log.out" 2>&1
}
run phone201 -sf "$gen/pbx-phone-answer.xml" -i 127.0.0.101 -p 5060 -mi 127.0.0.101 -mp 6101 &
p1=$!
run phone202 -sf "$gen/uas-cancel.xml" -i 127.0.0.102 -p 5060 -mi 127.0.0.102 -mp 6102 &
p2=$!
run pbxtrunk -sf "$gen/pbx-trunk-uas.xml" -i 127.0.0.10 -p 5060 -mi 127.0.0.10 -mp 6010 &
p3=$!
sleep 0.5
run carrier -sf "$gen/pbx-trunk-uac.xml" 127.0.0.10:5060 -i 127.0.1.1 -p 5060 \
    -mi 127.0.1.1 -mp 6001 -s 0441234567 &
p4=$!
sleep 0.5
run leg201 -sf "$gen/pbx-leg-answer.xml" 127.0.0.101:5060 -i 127.0.0.10 -p 5070 \
    -mi 127.0.0.10 -mp 6020 -s 201 &
p5=$!
run leg202 -sf "$gen/pbx-leg-cancel.xml" 127.0.0.102:5060 -i 127.0.0.10 -p 5071 \
    -mi 127.0.0.10 -mp 6030 -s 202 &
p6=$!
rc=0
for p in $p1 $p2 $p3 $p4 $p5 $p6; do
	wait "$p" || rc=$?
done
sipp_finish "$rc"
