/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz harness for the SIP text layer (src/sip/frame.c, msg.c, sdp.c): the
 * input is taken as one datagram and as a TCP stream.  It runs
 * ct_sip_looks_like(), the engine's framing loop (ct_sip_frame() then
 * ct_sip_resync() on junk) with ct_sip_msg_parse() on every framed message,
 * ct_sip_msg_parse() on the whole input, and ct_sdp_parse() on the whole
 * input.  Checks that framing stays inside the buffer and always progresses,
 * that a parsed message has a Call-ID and a sane SDP, and that a message the
 * pre-scan takes (src/sip/prescan.c, not CT_PS_COMPLEX) is never one whose
 * body is shorter than its Content-Length (ct_sip_body_short): the engine
 * computes the latter only when the pre-scan declines; and that what the
 * pre-scan reads of a plain message equals what libosip2 gives (a
 * differential test: the engine takes either).
 * References: RFC 3261 §7, §18.3; RFC 8866.
 */
#include "config.h"

#include <string.h>

#include "calltap/err.h"
#include "calltap/rtp.h"
#include "calltap/sip.h"
#include "fuzz.h"

static void check_sdp(const struct ct_sdp *sdp)
{
	uint8_t i;

	if (sdp->n_media > CT_SDP_MAX_MEDIA)
		ct_fuzz_fail("too many SDP media");
	for (i = 0; i < sdp->n_media; i++) {
		const struct ct_sdp_media *md = &sdp->media[i];

		if (md->n_codecs > CT_SDP_MAX_CODECS)
			ct_fuzz_fail("too many SDP codecs");
		if (memchr(md->type, '\0', sizeof(md->type)) == NULL ||
		    memchr(md->proto, '\0', sizeof(md->proto)) == NULL)
			ct_fuzz_fail("SDP media text not terminated");
	}
}

/* NULL-safe string equality. */
static bool same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/*
 * The pre-scan's fields equal libosip2's where the engine would take them
 * (tests/unit/test_sip_prescan.c diff_one, the same rules): the keys of
 * every plain message, the Reason's cause and text when it read them, and
 * every field of a complete message.
 */
static void differential(const struct ct_sip_prescan *ps, const struct ct_sip_msg *m)
{
	struct ct_sip_msg p;
	char scratch[2048];

	memset(&p, 0, sizeof(p));
	if (ct_sip_prescan_msg(ps, &p, scratch, sizeof(scratch)) != CT_OK)
		return;
	if (p.is_request != m->is_request || p.status != m->status || p.cseq != m->cseq ||
	    strcmp(p.method, m->method) != 0 || strcmp(p.cseq_method, m->cseq_method) != 0 ||
	    !same_str(p.call_id, m->call_id) || !same_str(p.from_tag, m->from_tag) ||
	    !same_str(p.to_tag, m->to_tag) || !same_str(p.via_branch, m->via_branch) ||
	    !same_str(p.via_branch2, m->via_branch2))
		ct_fuzz_fail("pre-scan keys differ from libosip2's");
	if ((ps->flags & CT_PS_FROM_USER) && !same_str(p.from_user, m->from_user))
		ct_fuzz_fail("pre-scan From user differs from libosip2's");
	if ((ps->flags & CT_PS_REASON_READ) &&
	    (p.q850_cause != m->q850_cause || !same_str(p.reason_text, m->reason_text)))
		ct_fuzz_fail("pre-scan Reason differs from libosip2's");
	if (ct_sip_prescan_complete(ps) &&
	    (!same_str(p.ruri_user, m->ruri_user) || !same_str(p.reason_phrase, m->reason_phrase) ||
	    !same_str(p.from_name, m->from_name) || !same_str(p.to_user, m->to_user) ||
	    !same_str(p.to_name, m->to_name) || !same_str(p.pai_user, m->pai_user) ||
	    !same_str(p.contact_user, m->contact_user) || p.q850_cause != m->q850_cause ||
	    !same_str(p.reason_text, m->reason_text) || p.has_sdp != m->has_sdp))
		ct_fuzz_fail("complete pre-scan differs from libosip2's parse");
}

static void parse_one(const char *text, size_t len)
{
	struct ct_sip_prescan ps;
	struct ct_sip_msg m;
	bool plain = ct_sip_prescan(&ps, text, len) == CT_OK && !(ps.flags & CT_PS_COMPLEX);

	if (plain && ct_sip_body_short(text, len))
		ct_fuzz_fail("pre-scan takes a message shorter than its Content-Length");
	memset(&m, 0, sizeof(m));
	if (ct_sip_msg_parse(&m, text, len) == CT_OK) {
		if (plain)
			differential(&ps, &m);
		if (m.call_id == NULL)
			ct_fuzz_fail("parsed message without a Call-ID");
		if (memchr(m.method, '\0', sizeof(m.method)) == NULL ||
		    memchr(m.cseq_method, '\0', sizeof(m.cseq_method)) == NULL)
			ct_fuzz_fail("method not terminated");
		if (m.has_sdp)
			check_sdp(&m.sdp);
	}
	ct_sip_msg_fini(&m);
}

/* The engine's TCP framing loop over buf (src/engine.c on_tcp_data). */
static void frame_all(const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		size_t skip = 0;
		ssize_t n = ct_sip_frame(buf + off, len - off, &skip);

		if (skip > len - off || (n > 0 && (size_t)n > len - off - skip))
			ct_fuzz_fail("ct_sip_frame beyond the buffer");
		if (n > 0) {
			parse_one(buf + off + skip, (size_t)n);
			off += skip + (size_t)n;
		} else if (n == CT_PARTIAL) {
			break;
		} else {
			size_t r = ct_sip_resync(buf + off, len - off);

			if (r == 0 || r > len - off)
				ct_fuzz_fail("ct_sip_resync made no progress");
			off += r;
		}
	}
}

/* Runs every SIP text entry point on the input. */
int ct_fuzz_sip(const uint8_t *data, size_t size)
{
	static bool sip_ready;
	struct ct_sdp sdp;
	uint8_t *copy;
	uint32_t rate = 0;

	if (!sip_ready) {
		ct_sip_init();
		sip_ready = true;
	}
	copy = ct_fuzz_dup(data, size);
	if (copy == NULL)
		return 0;
	if (ct_sip_looks_like((const char *)copy, size))
		parse_one((const char *)copy, size);
	else if (size > 0 && (copy[0] & 1))
		parse_one((const char *)copy, size);
	frame_all((const char *)copy, size);
	memset(&sdp, 0, sizeof(sdp));
	if (ct_sdp_parse((const char *)copy, size, &sdp) == CT_OK)
		check_sdp(&sdp);
	if (size > 0)
		(void)ct_rtp_static_codec(copy[0], &rate);
	free(copy);
	return 0;
}

CT_FUZZ_TARGET(sip)
