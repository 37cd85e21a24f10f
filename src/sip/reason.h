/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Reason header values (src/sip/reason.c), read the same way for msg.c
 * (libosip2's header value) and prescan.c (a span of the message).
 */
#ifndef CALLTAP_SIP_REASON_H
#define CALLTAP_SIP_REASON_H

#include <stdbool.h>
#include <stddef.h>

/*
 * What the Reason headers of one message say, as ct_sip_msg keeps it:
 * the first Q.850 cause, and the text of the first Q.850 value that has
 * a non-empty one, else the first non-empty text of any value.  Text
 * spans are raw (quotes and escapes kept) and point into the values read.
 */
struct ct_sip_reason {
	int q850_cause;             /* -1: none */
	const char *q850_text;      /* NULL: none */
	size_t q850_text_n;
	const char *any_text;       /* first text of a value not taken as q850_text */
	size_t any_text_n;
};

void ct_sip_reason_init(struct ct_sip_reason *r);
void ct_sip_reason_header(struct ct_sip_reason *r, const char *v, size_t n);
bool ct_sip_reason_text(const struct ct_sip_reason *r, const char **text, size_t *n);

#endif
