/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Via header values (src/sip/via.c), read the same way for msg.c (the
 * message's raw header) and prescan.c (a span of the message).
 */
#ifndef CALLTAP_SIP_VIA_H
#define CALLTAP_SIP_VIA_H

#include <stddef.h>

int ct_sip_via_branch(const char *v, size_t n, unsigned idx, const char **b, size_t *bn);

#endif
