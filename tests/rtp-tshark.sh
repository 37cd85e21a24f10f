#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# RTP figures against an independent oracle: every stream tshark's
# `-z rtp,streams` reports must be in calltap's records with the same packet
# and lost counts and jitter within 0.01 ms.  Runs over the bundled captures
# and, when the shared corpus sits beside the checkout, over all of it.
. "$(dirname "$0")/lib.sh"
if ! command -v tshark >/dev/null 2>&1; then
	echo "rtp-tshark: tshark not installed"; exit 77
fi
set -- "$srcdir"/pcaps/*.pcap*
corpus=${CORPUS:-$srcdir/../shared/corpus/raw}
if [ -d "$corpus" ]; then
	set -- "$@" "$corpus"/*/*.pcap*
fi
exec "$srcdir/scripts/rtp-vs-tshark" --known "$srcdir/tests/rtp-tshark.known" "$CALLTAP" "$@"
