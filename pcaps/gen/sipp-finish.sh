# SPDX-License-Identifier: GPL-3.0-or-later
# Sourced by the make-sipp-pbx*.sh scripts.  sipp_finish RC: stops the
# capture ($dpid, dumpcap into $work/$name.pcap), fails when a SIPp run
# failed (RC non-zero), else copies the capture to $outdir/sipp-$name.pcap
# and says how many frames it holds.
sipp_finish() {
	sleep 1
	kill "$dpid" 2>/dev/null || true
	wait "$dpid" || true
	if [ "$1" -ne 0 ]; then
		echo "$name: a SIPp run failed ($1); see $work/*.out" >&2
		exit 1
	fi
	cp "$work/$name.pcap" "$outdir/sipp-$name.pcap"
	chmod 644 "$outdir/sipp-$name.pcap"
	echo "sipp-$name.pcap: $(tshark -n -r "$outdir/sipp-$name.pcap" 2>/dev/null | wc -l) frames"
}
