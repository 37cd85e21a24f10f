/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench-readloop: the floor for scripts/bench.  Reads a capture with
 * libpcap's pcap_next_ex() and only counts packets and captured bytes, so
 * its packet rate is what reading the file costs before any analysis.
 * Workload: one large savefile (millions of packets) in the page cache.
 * References: pcap_next_ex(3PCAP).
 *
 * usage: bench-readloop FILE   prints "PACKETS BYTES" on stdout
 */
#include "config.h"

#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t packets = 0, bytes = 0;
	pcap_t *p;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: bench-readloop FILE\n");
		return 1;
	}
	p = pcap_open_offline(argv[1], errbuf);
	if (p == NULL) {
		fprintf(stderr, "bench-readloop: %s\n", errbuf);
		return 2;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		packets++;
		bytes += h->caplen;
	}
	if (rc != PCAP_ERROR_BREAK) {
		fprintf(stderr, "bench-readloop: %s: %s\n", argv[1], pcap_geterr(p));
		pcap_close(p);
		return 2;
	}
	pcap_close(p);
	printf("%llu %llu\n", (unsigned long long)packets, (unsigned long long)bytes);
	return 0;
}
