#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Makes pcaps/sipp-pbx-bridged.pcap: real SIPp 3.6 traffic on loopback of two
# inbound calls through a PBX that bridges the media (issue 15, PBX legs,
# rule 6), its LAN side captured too.  The PBX's RTP bridge is rtp-relay.py
# (each packet one side of a call sends to the PBX goes on to the other side
# at once).  Call A: carrier 127.0.1.1 (caller +380501234567) calls the PBX
# 127.0.0.10:5060 (0441234567); 0.5 s later the PBX rings 201 (127.0.0.101)
# with the caller ID withheld; 201 answers after 2 s and the PBX answers the
# trunk call; each side plays 3.2 s of tone to the PBX, which relays it with
# the SSRC passed through; the caller hangs up 3.4 s after the answer, the
# PBX hangs up 201.  Call B, 1.2 s later: carrier 127.0.1.2 (+380507654321)
# to 127.0.0.10:5062 (0441234568), the PBX rings 202 (127.0.0.102), 2.4 s of
# tone each way, relayed with the bridge's own SSRC, sequence and timestamps
# (only the timing links it), the caller hangs up after 2.6 s.  Nothing in the signalling links a leg to
# its trunk call (two trunk calls are open when each leg starts): calltap
# with --home 127.0.0.0/24 links them by their RTP (tests/TESTLIST:
# sipp-pbx-bridged).
#   pcaps/gen/make-sipp-pbx-bridge.sh [OUTDIR]   (default: pcaps/; root for dumpcap on lo)
set -eu
gen=$(cd "$(dirname "$0")" && pwd)
. "$gen/sipp-finish.sh"
outdir=${1:-$gen/..}
work=/tmp/calltap-sipp-bridge
mkdir -p "$work"
cd "$work"
rm -f ./*.log ./*.out ./*.pcap ./*.xml
name=pbx-bridged
python3 "$gen/make-rtp-pcap.py" carrier-a.pcap 440 3.2 0000CA11
python3 "$gen/make-rtp-pcap.py" phone-a.pcap 1000 3.2 0000F201
python3 "$gen/make-rtp-pcap.py" carrier-b.pcap 660 2.4 0000CB11
python3 "$gen/make-rtp-pcap.py" phone-b.pcap 800 2.4 0000F202
sed -e "s|@CALLER@|+380501234567|" -e "s|@AUDIO@|$work/carrier-a.pcap|" -e "s|@TALK@|3400|" \
    "$gen/bridge-carrier.xml" >carrier-a.xml
sed -e "s|@CALLER@|+380507654321|" -e "s|@AUDIO@|$work/carrier-b.pcap|" -e "s|@TALK@|2600|" \
    "$gen/bridge-carrier.xml" >carrier-b.xml
sed -e "s|@EXT@|201|" -e "s|@AUDIO@|$work/phone-a.pcap|" "$gen/bridge-phone.xml" >phone-a.xml
sed -e "s|@EXT@|202|" -e "s|@AUDIO@|$work/phone-b.pcap|" "$gen/bridge-phone.xml" >phone-b.xml
sed -e "s|@DID@|0441234567|" -e "s|@PORT@|6010|" "$gen/bridge-trunk-uas.xml" >trunk-a.xml
sed -e "s|@DID@|0441234568|" -e "s|@PORT@|6012|" "$gen/bridge-trunk-uas.xml" >trunk-b.xml
sed -e "s|@PORT@|6020|" -e "s|@TALK@|3420|" "$gen/bridge-leg.xml" >leg-a.xml
sed -e "s|@PORT@|6022|" -e "s|@TALK@|2620|" "$gen/bridge-leg.xml" >leg-b.xml
dumpcap -q -P -i lo -f 'udp portrange 5060-5071 or udp portrange 6000-6199' -a duration:30 \
    -w "$work/$name.pcap" 2>"$work/dumpcap.log" &
dpid=$!
sleep 2
run() { # log-name sipp-arguments...
	log=$1; shift
	timeout 30 sipp "$@" -nostdin -m 1 -trace_err -error_file "$work/$log-err.log" \
	    >"$work/$log.out" 2>&1
}
python3 "$gen/rtp-relay.py" 16 \
    127.0.0.10:6010 127.0.1.1:6001 127.0.0.10:6020 127.0.0.101:6101 pass \
    127.0.0.10:6012 127.0.1.2:6001 127.0.0.10:6022 127.0.0.102:6102 rewrite &
p0=$!
run phone201 -sf phone-a.xml -i 127.0.0.101 -p 5060 -mi 127.0.0.101 -mp 6101 &
p1=$!
run phone202 -sf phone-b.xml -i 127.0.0.102 -p 5060 -mi 127.0.0.102 -mp 6102 &
p2=$!
run trunka -sf trunk-a.xml -i 127.0.0.10 -p 5060 -mi 127.0.0.10 -mp 7010 &
p3=$!
run trunkb -sf trunk-b.xml -i 127.0.0.10 -p 5062 -mi 127.0.0.10 -mp 7020 &
p4=$!
sleep 0.5
run carriera -sf carrier-a.xml 127.0.0.10:5060 -i 127.0.1.1 -p 5060 \
    -mi 127.0.1.1 -mp 6001 -s 0441234567 &
p5=$!
sleep 0.5
run lega -sf leg-a.xml 127.0.0.101:5060 -i 127.0.0.10 -p 5070 -mi 127.0.0.10 -mp 7030 -s 201 &
p6=$!
sleep 0.7
run carrierb -sf carrier-b.xml 127.0.0.10:5062 -i 127.0.1.2 -p 5060 \
    -mi 127.0.1.2 -mp 6001 -s 0441234568 &
p7=$!
sleep 0.5
run legb -sf leg-b.xml 127.0.0.102:5060 -i 127.0.0.10 -p 5071 -mi 127.0.0.10 -mp 7040 -s 202 &
p8=$!
rc=0
for p in $p1 $p2 $p3 $p4 $p5 $p6 $p7 $p8; do
	wait "$p" || rc=$?
done
wait "$p0" || rc=$?
sipp_finish "$rc"
