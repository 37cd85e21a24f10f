/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz harness for the HEP collector's packet path (src/hep/hep_in.c,
 * src/hep/hep.c) and the engine behind it: the input is a sequence of HEP
 * packets, each preceded by a 2-byte big-endian length (fewer bytes at the
 * end of input); the first input byte's low bit turns an auth key
 * ("k") on.  Each packet, in an exactly sized copy, goes through
 * ct_hep_in_packet, and each frame it rebuilds through one engine with
 * every output on (ct_fuzz_engine_open).  Checks, besides the sanitizers:
 * every packet moves exactly one counter, a frame is a raw IP frame within
 * CT_HEP_FRAME_MAX that the engine's decoders take as UDP or TCP, and the
 * engine saw as many frames as were rebuilt.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "calltap/decode.h"
#include "calltap/engine.h"
#include "calltap/hep.h"
#include "fuzz.h"

static void check_frame(const struct ct_frame *f)
{
	struct ct_decode_ctx ctx;
	struct ct_packet pkt;

	if (f->caplen > CT_HEP_FRAME_MAX || f->caplen != f->wirelen || f->linktype != 101)
		ct_fuzz_fail("rebuilt frame out of bounds");
	ct_decode_ctx_init(&ctx);
	memset(&pkt, 0, sizeof(pkt));
	pkt.ts_us = f->ts_us;
	pkt.linktype = f->linktype;
	pkt.data = f->data;
	pkt.caplen = f->caplen;
	pkt.wirelen = f->wirelen;
	/* A tunnel port (VXLAN, GTP-U) may make the decoders go on: no context. */
	if (ct_decode_frame(NULL, &pkt) != CT_DEC_OK || (pkt.t.proto != 6 && pkt.t.proto != 17))
		ct_fuzz_fail("rebuilt frame does not decode as UDP or TCP");
}

int ct_fuzz_hep(const uint8_t *data, size_t size)
{
	struct ct_fuzz_in in = { data, size };
	struct ct_hep_in_cfg cfg;
	struct ct_hep_in *h;
	struct ct_engine *e;
	struct ct_hep_in_stats st;
	uint64_t packets = 0, frames = 0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.password = (ct_fuzz_u8(&in) & 1) ? "k" : NULL;
	if ((h = ct_hep_in_new_detached(&cfg)) == NULL)
		return 0;
	if ((e = ct_fuzz_engine_open()) == NULL) {
		ct_hep_in_free(h);
		return 0;
	}
	ct_engine_new_input(e);
	while (in.left > 0) {
		const uint8_t *p;
		size_t len = ct_fuzz_take(&in, ct_fuzz_u16(&in), &p);
		uint8_t *copy = ct_fuzz_dup(p, len);
		struct ct_frame f;

		if (copy == NULL)
			break;
		packets++;
		if (ct_hep_in_packet(h, copy, len, INT64_C(1700000000000000), &f) == 1) {
			check_frame(&f);
			ct_engine_frame(e, &f);
			frames++;
		}
		free(copy);
	}
	ct_hep_in_counts(h, &st);
	if (st.packets != packets || st.sip != frames ||
	    st.sip + st.other + st.malformed + st.auth_failed != packets)
		ct_fuzz_fail("counters differ from the packets fed");
	if (ct_engine_counters(e)->frames != frames)
		ct_fuzz_fail("engine frames differ from the frames rebuilt");
	ct_fuzz_engine_close(e);
	ct_hep_in_free(h);
	return 0;
}

CT_FUZZ_TARGET(hep)
