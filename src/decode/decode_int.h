/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Helpers shared by the decoders in src/decode/ only: the layer-depth guard
 * that bounds tunnel recursion, and the "record an event, give up" return.
 */
#ifndef CALLTAP_DECODE_INT_H
#define CALLTAP_DECODE_INT_H

#include <stdbool.h>

#include "calltap/decode.h"
#include "calltap/packet.h"

/* Counts one more layer; false (with CT_EV_TOO_MANY_LAYERS) past the limit. */
static inline bool ct_decode_enter(struct ct_packet *pkt)
{
	if (pkt->depth >= CT_MAX_LAYERS) {
		ct_pkt_event(pkt, CT_EV_TOO_MANY_LAYERS);
		return false;
	}
	pkt->depth++;
	return true;
}

static inline enum ct_verdict ct_decode_invalid(struct ct_packet *pkt, enum ct_event ev)
{
	ct_pkt_event(pkt, ev);
	return CT_DEC_INVALID;
}

#endif
