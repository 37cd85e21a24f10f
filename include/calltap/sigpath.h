/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A call's signalling path: the IP addresses its SIP legitimately travels
 * between (the two ends of the first message, and every hop the path itself
 * names).  An in-dialog message from any other address, or out of another
 * depth of tunnels, is foreign: someone who knows (or sniffed) the Call-ID,
 * not a party or a proxy of the call.
 * The rules are in src/sip/sigpath.c.
 */
#ifndef CALLTAP_SIGPATH_H
#define CALLTAP_SIGPATH_H

#include <stdbool.h>
#include <stdint.h>

#include "calltap/packet.h"
#include "calltap/sip.h"

#define CT_SIGPATH_MAX 16   /* addresses kept per call (2 inline, the rest allocated) */

struct ct_sigpath {
	struct ct_addr end[2];   /* source and destination of the call's first message */
	struct ct_addr *hops;    /* further hops, n_hops of cap_hops used; NULL while none */
	uint8_t n_hops, cap_hops;
	uint8_t tunnel;          /* tunnel layers of the first message (ct_tuple.tunnel) */
};

void ct_sigpath_init(struct ct_sigpath *p, const struct ct_sip_msg *m);
bool ct_sigpath_accept(struct ct_sigpath *p, const struct ct_sip_msg *m);
bool ct_sigpath_has(const struct ct_sigpath *p, const struct ct_addr *a);
bool ct_sigpath_on(const struct ct_sigpath *p, const struct ct_sip_msg *m);
void ct_sigpath_fini(struct ct_sigpath *p);

#endif
