/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Packet sources (libpcap): savefiles (pcap, pcapng), stdin, live devices.
 * A source yields borrowed frames, valid until the next call to next().
 */
#ifndef CALLTAP_SOURCE_H
#define CALLTAP_SOURCE_H

#include <stdint.h>

struct ct_frame {
	int64_t ts_us;
	uint32_t caplen;
	uint32_t wirelen;
	int linktype;
	const uint8_t *data;
};

struct ct_source_stats {
	uint64_t received;  /* frames handed out */
	uint64_t dropped;   /* kernel drops (live only) */
	uint64_t ifdropped;
};

struct ct_source;

struct ct_source_ops {
	const char *name;
	/* 1 = frame, 0 = live timeout, CT_EOF, CT_ERR (text in errbuf) */
	int (*next)(struct ct_source *s, struct ct_frame *f, char *errbuf);
	/*
	 * Optional, for a source that holds frames back (the HEP collector's
	 * reorder buffer): at the end of a run, 1 with each held frame in
	 * turn, then 0.
	 */
	int (*drain)(struct ct_source *s, struct ct_frame *f);
	int (*stats)(struct ct_source *s, struct ct_source_stats *st);
	void (*close)(struct ct_source *s);
};

struct ct_source {
	const struct ct_source_ops *ops;
	void *priv;
	char *name;          /* file path, "-" or interface */
	uint64_t frames;
};

struct ct_source *ct_source_open_file(const char *path, const char *bpf, char *errbuf);
/*
 * The same, with a duplicate of the file's descriptor in *pos_fd (for
 * progress) and mem_max bytes for the decoder (0 = 128 MiB): a zstd file's
 * window is capped there (a power of two), an xz file's decoder memlimit.
 */
struct ct_source *ct_source_open_path(const char *path, const char *bpf, int *pos_fd,
    uint64_t mem_max, char *errbuf);
struct ct_source *ct_source_open_live(const char *iface, const char *bpf,
    int snaplen, int buffer_mb, char *errbuf);
void ct_source_close(struct ct_source *s);
/* Interrupts a blocking next() from a signal handler (pcap_breakloop). */
void ct_source_breakloop(struct ct_source *s);

#endif
