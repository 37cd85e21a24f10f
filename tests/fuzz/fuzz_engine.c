/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz harness for the whole pipeline (src/engine.c and every stage behind
 * it: decoders, fragment and TCP reassembly, SIP framing and parsing,
 * dialogs, media matching, RTP statistics, audio recording, the record
 * formatting of the JSON sink).  The input is a sequence of Ethernet frames,
 * each preceded by a 2-byte big-endian header: the low 14 bits give the
 * frame length (fewer bytes at the end of input), the top 2 bits the time
 * step before it (20 ms, 1 s, 31 s, 400 s: the last two pass the fragment
 * and the setup timeouts).  One engine per input with every output on
 * (ct_fuzz_engine_open in fuzz_outputs.c: JSON, CSV, SQLite, orphans, WAV
 * recording; payload type switches crashed --audio while this harness ran
 * without recording).  Checks, besides the sanitizers: the frame counter,
 * and (ct_fuzz_engine_close) the recordings counted against the files
 * written.  ct_engine_finish() and ct_engine_free() end it, so a leak
 * anywhere in the pipeline shows up under LeakSanitizer.
 * References: RFC 3261, RFC 3550 (what the stages implement).
 */
#include "config.h"

#include <stdlib.h>

#include "calltap/engine.h"
#include "fuzz.h"

static const int64_t fuzz_engine_steps_us[4] = { 20000, 1000000, 31000000, 400000000 };

/* Runs the frames of the input through one engine, then finishes it. */
int ct_fuzz_engine(const uint8_t *data, size_t size)
{
	struct ct_fuzz_in in = { data, size };
	struct ct_engine *e = ct_fuzz_engine_open();
	int64_t now = INT64_C(1700000000000000);
	const struct ct_engine_counters *c;
	uint64_t frames = 0;

	if (e == NULL)
		return 0;
	ct_engine_new_input(e);
	while (in.left > 0) {
		struct ct_frame f;
		const uint8_t *p;
		uint8_t *copy;
		uint16_t hdr = ct_fuzz_u16(&in);
		size_t len = ct_fuzz_take(&in, hdr & 0x3FFF, &p);

		now += fuzz_engine_steps_us[hdr >> 14];
		copy = ct_fuzz_dup(p, len);
		if (copy == NULL)
			break;
		f.ts_us = now;
		f.caplen = (uint32_t)len;
		/* one frame in 8 cut by the snap length (ct_packet.snap_cut) */
		f.wirelen = (uint32_t)len + ((hdr & 7) == 5 ? 60 : 0);
		f.linktype = 1;
		f.data = copy;
		ct_engine_frame(e, &f);
		free(copy);
		frames++;
	}
	c = ct_engine_counters(e);
	if (c->frames != frames)
		ct_fuzz_fail("frame counter differs from frames fed");
	ct_fuzz_engine_close(e);
	return 0;
}

CT_FUZZ_TARGET(engine)
