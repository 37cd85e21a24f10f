/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz harness for the savefile readers (src/capture/source_pcapng.c:
 * pcapng and classic pcap from a stdio stream).  The input is a whole
 * capture file read through fmemopen(); when its last byte is odd a BPF
 * filter ("udp or tcp") is compiled for each interface, as -r with a filter
 * does (the byte stays part of the file).  Every frame is read until end of
 * file or an error, decoded (ct_decode_frame) as the engine would, and fed
 * to an engine with every output on (fuzz_outputs.c), so the times a
 * pcapng file can express (any if_tsresol, if_tsoffset and 64-bit tick
 * count) reach every stage that does arithmetic on them.  Checks that a
 * frame never claims more bytes than its buffer holds (the copy trips ASan
 * otherwise), that the reader stops, and that failures come with a message.
 * The same bytes, read as the start of a compressed file, go through the
 * zstd frame and xz block header parsers (decompress.c) first, from an
 * exact-size copy: any read past it trips ASan; an xz chain they accept
 * must end in LZMA2 with a dictionary of at most 4 GiB.
 * References: draft-ietf-opsawg-pcapng, draft-ietf-opsawg-pcap, RFC 8878
 * §3.1.1, the .xz file format 1.2.0 §2.1.1, §3.1.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "calltap/decode.h"
#include "calltap/engine.h"
#include "calltap/err.h"
#include "calltap/source.h"
#include "../../src/capture/source_int.h"
#include "fuzz.h"

#define FUZZ_MAX_FRAMES 100000

/* Reads every frame of the capture in the input; aborts on a broken invariant. */
int ct_fuzz_capture(const uint8_t *data, size_t size)
{
	char errbuf[CT_ERRBUF_SIZE];
	struct ct_xz_chain ch;
	struct ct_decode_ctx ctx;
	struct ct_engine *e;
	struct ct_source *s;
	struct ct_frame f;
	uint8_t *copy;
	FILE *fp;
	int rc, n = 0;

	if (size == 0)
		return 0;
	copy = ct_fuzz_dup(data, size);
	if (copy == NULL)
		return 0;
	(void)ct_zstd_frame_window(copy, size);
	if (ct_xz_first_block(copy, size, &ch) == CT_OK &&
	    (ch.n < 1 || ch.n > CT_XZ_FILTERS_MAX || ch.id[ch.n - 1] != CT_XZ_FILTER_LZMA2 ||
	    ch.dict > UINT32_MAX || ch.dict < CT_XZ_DICT_MIN))
		ct_fuzz_fail("xz chain accepted without LZMA2 last or with a bad dictionary");
	fp = fmemopen(copy, size, "rb");
	if (fp == NULL) {
		free(copy);
		return 0;
	}
	errbuf[0] = '\0';
	s = ct_source_open_savefile(fp, "fuzz", (data[size - 1] & 1) ? "udp or tcp" : NULL, errbuf);
	if (s == NULL) {
		if (errbuf[0] == '\0')
			ct_fuzz_fail("open failed without a message");
		free(copy);
		return 0;
	}
	ct_decode_ctx_init(&ctx);
	e = ct_fuzz_engine_open();
	if (e != NULL)
		ct_engine_new_input(e);
	while ((rc = s->ops->next(s, &f, errbuf)) == 1) {
		struct ct_packet pkt;
		uint8_t *frame = ct_fuzz_dup(f.data, f.caplen);

		if (frame == NULL || ++n > FUZZ_MAX_FRAMES)
			ct_fuzz_fail("too many frames from a finite file");
		memset(&pkt, 0, sizeof(pkt));
		pkt.ts_us = f.ts_us;
		pkt.linktype = f.linktype;
		pkt.data = frame;
		pkt.caplen = f.caplen;
		pkt.wirelen = f.wirelen;
		(void)ct_decode_frame(&ctx, &pkt);
		if (e != NULL) {
			f.data = frame;
			ct_engine_frame(e, &f);
		}
		free(frame);
	}
	if (e != NULL)
		ct_fuzz_engine_close(e);
	if (rc != CT_EOF && rc != CT_ERR)
		ct_fuzz_fail("next() returned neither a frame, CT_EOF nor CT_ERR");
	if (rc == CT_ERR && errbuf[0] == '\0')
		ct_fuzz_fail("CT_ERR without a message");
	ct_source_close(s);
	free(copy);
	return 0;
}

CT_FUZZ_TARGET(capture)
