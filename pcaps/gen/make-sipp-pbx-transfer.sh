#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Makes pcaps/sipp-pbx-blind-transfer.pcap: real SIPp 3.6 traffic on
# loopback of an inbound call through a PBX whose LAN side is captured,
# transferred blind by the agent who answered (issue 15, transfers).  Six
# SIPp instances: the carrier (127.0.1.1) calls the PBX's trunk side
# (127.0.0.10:5060, pbx-xfer-trunk-uac.xml / pbx-trunk-uas.xml); 0.5 s
# later the PBX's LAN side rings 201 (127.0.0.10:5070 -> 127.0.0.101, the
# caller's number passed through); 201 answers after 2 s, talks 2 s and
# sends REFER (Refer-To sip:202@127.0.0.10, Referred-By 201); the PBX
# accepts (202 Accepted) and hangs 201 up; 1 s after the REFER the PBX
# rings 202 (127.0.0.10:5071 -> 127.0.0.102) with the company's number
# 0441234567 in From, so only the REFER links that leg; 202 answers after
# 1.5 s; the caller hangs up 8.5 s after the trunk's answer, the PBX hangs
# 202 up.  calltap with --home 127.0.0.0/24: answered_by agent, agent 202,
# rings 201 answered with transferred_to 202 and 202 answered
# (tests/TESTLIST: sipp-pbx-blind-transfer).
#   pcaps/gen/make-sipp-pbx-transfer.sh [OUTDIR]   (default: pcaps/; root for dumpcap on lo)
set -eu
gen=$(cd "$(dirname "$0")" && pwd)
. "$gen/sipp-finish.sh"
outdir=${1:-$gen/..}
work=/tmp/calltap-sipp-pbx-transfer
mkdir -p "$work"
cd "$work"
rm -f ./*.log ./*.out ./*.pcap
name=pbx-blind-transfer
dumpcap -q -P -i lo -f 'udp portrange 5060-5071' -a duration:30 -w "$work/$name.pcap" \
    2>"$work/dumpcap.log" &
dpid=$!
sleep 2
run() { # log-name sipp-arguments...
	log=$1; shift
	timeout 30 sipp "$@" -nostdin -m 1 -trace_err -error_file "$work/$log-err.log" \
	    >"$work/$log.out" 2>&1
}
run phone201 -sf "$gen/pbx-xfer-phone-refer.xml" -i 127.0.0.101 -p 5060 -mi 127.0.0.101 \
    -mp 6101 &
p1=$!
run phone202 -sf "$gen/pbx-xfer-phone-b.xml" -i 127.0.0.102 -p 5060 -mi 127.0.0.102 -mp 6102 &
p2=$!
run pbxtrunk -sf "$gen/pbx-trunk-uas.xml" -i 127.0.0.10 -p 5060 -mi 127.0.0.10 -mp 6010 &
p3=$!
sleep 0.5
run carrier -sf "$gen/pbx-xfer-trunk-uac.xml" 127.0.0.10:5060 -i 127.0.1.1 -p 5060 \
    -mi 127.0.1.1 -mp 6001 -s 0441234567 &
p4=$!
sleep 0.5
run leg201 -sf "$gen/pbx-xfer-leg-refer.xml" 127.0.0.101:5060 -i 127.0.0.10 -p 5070 \
    -mi 127.0.0.10 -mp 6020 -s 201 &
p5=$!
sleep 5
run leg202 -sf "$gen/pbx-xfer-leg-b.xml" 127.0.0.102:5060 -i 127.0.0.10 -p 5071 \
    -mi 127.0.0.10 -mp 6030 -s 202 &
p6=$!
rc=0
for p in $p1 $p2 $p3 $p4 $p5 $p6; do
	wait "$p" || rc=$?
done
sipp_finish "$rc"
