/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Reason headers (RFC 3326): "Reason: Q.850 ;cause=16 ;text=\"Normal call
 * clearing\", SIP ;cause=200".  One header may hold several
 * comma-separated values (one per protocol); a message may hold several
 * headers.  The record keeps the first Q.850 cause and a text: the first
 * non-empty Q.850 text, else the first non-empty text of any value.
 * libosip2 keeps a Reason header as a plain name/value pair (msg.c reads
 * its value), the pre-scan finds the same value in the message
 * (prescan.c): both read it here, so that a call's hangup cause is the same
 * whichever parser took its BYE.  Every read is bounded by the value's
 * length; no NUL terminator is needed.
 * References: RFC 3326 (Reason), ITU-T Q.850 (cause values), RFC 3261 §25.1
 * (quoted strings).
 */
#include "config.h"

#include <strings.h>

#include "reason.h"

/* Empties r: no cause, no text. */
void ct_sip_reason_init(struct ct_sip_reason *r)
{
	r->q850_cause = -1;
	r->q850_text = r->any_text = NULL;
	r->q850_text_n = r->any_text_n = 0;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Whether the text s[0..n) comes out empty once unquoted as msg.c's
 * unquote_n (and prescan.c's put_unquoted) do: blanks around and the
 * surrounding quotes removed, escapes undone, blanks at the end removed:
 * empty when every byte it gives is a blank.
 */
static bool unquotes_empty(const char *s, size_t n)
{
	size_t i;

	while (n > 0 && blank(*s)) {
		s++;
		n--;
	}
	while (n > 0 && blank(s[n - 1]))
		n--;
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s++;
		n -= 2;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;    /* the escaped byte is what comes out */
		if (!blank(s[i]))
			return false;
	}
	return true;
}

/*
 * Finds parameter name (nl bytes) in the value v[0..end), up to a comma
 * outside quotes: the start of its value (just after '=' and blanks) and
 * its length in *n (a quoted string with its quotes, up to the closing
 * quote or the end of the header; else up to a blank, ';' or ','), or NULL.
 */
static const char *param(const char *v, const char *end, const char *name, size_t nl,
    size_t *n)
{
	const char *p, *q, *e;
	bool quoted = false;

	for (p = v; p < end && (quoted || *p != ','); p++) {
		if (*p == '"' && (p == v || p[-1] != '\\'))
			quoted = !quoted;
		if (quoted || *p != ';')
			continue;
		for (q = p + 1; q < end && blank(*q); q++)
			;
		if ((size_t)(end - q) < nl || strncasecmp(q, name, nl) != 0)
			continue;
		for (q += nl; q < end && blank(*q); q++)
			;
		if (q == end || *q != '=')
			continue;
		for (q++; q < end && blank(*q); q++)
			;
		if (q < end && *q == '"') {
			for (e = q + 1; e < end && !(*e == '"' && e[-1] != '\\'); e++)
				;
			*n = (size_t)(e - q) + (e < end);
		} else {
			for (e = q; e < end && !blank(*e) && *e != ';' && *e != ','; e++)
				;
			*n = (size_t)(e - q);
		}
		return q;
	}
	return NULL;
}

/* Start of the next comma-separated value after v (outside quotes), or NULL. */
static const char *next_value(const char *v, const char *end)
{
	const char *p;
	bool quoted = false;

	for (p = v; p < end; p++) {
		if (*p == '"' && (p == v || p[-1] != '\\'))
			quoted = !quoted;
		else if (*p == ',' && !quoted)
			return p + 1;
	}
	return NULL;
}

/* One value v[0..end): "Q.850;cause=16;text=\"...\"" or "SIP;cause=...". */
static void take_value(struct ct_sip_reason *r, const char *v, const char *end)
{
	const char *proto = v, *cause, *text, *pe;
	size_t cn = 0, tn = 0, i;
	bool q850;
	int c = 0;

	while (proto < end && blank(*proto))
		proto++;
	for (pe = proto; pe < end && !blank(*pe) && *pe != ';' && *pe != ','; pe++)
		;
	q850 = pe - proto == 5 && strncasecmp(proto, "Q.850", 5) == 0;
	cause = param(v, end, "cause", 5, &cn);
	text = param(v, end, "text", 4, &tn);
	if (q850 && r->q850_cause < 0 && cause != NULL && cn > 0 && cn <= 4) {
		for (i = 0; i < cn && cause[i] >= '0' && cause[i] <= '9'; i++)
			c = c * 10 + (cause[i] - '0');
		if (i == cn)
			r->q850_cause = c;
	}
	if (text == NULL)
		return;
	/* As msg.c always did: a Q.850 value without a text yet takes this one
	 * (even an empty one, which leaves it without); any other goes to the
	 * first text of any value. */
	if (q850 && r->q850_text == NULL) {
		if (!unquotes_empty(text, tn)) {
			r->q850_text = text;
			r->q850_text_n = tn;
		}
	} else if (r->any_text == NULL && !unquotes_empty(text, tn)) {
		r->any_text = text;
		r->any_text_n = tn;
	}
}

/* Reads every value of one Reason header value v[0..n) into r. */
void ct_sip_reason_header(struct ct_sip_reason *r, const char *v, size_t n)
{
	const char *end = v + n;

	for (; v != NULL; v = next_value(v, end))
		take_value(r, v, end);
}

/*
 * The text the record keeps (raw: unquote it), or false when there is
 * none.
 */
bool ct_sip_reason_text(const struct ct_sip_reason *r, const char **text, size_t *n)
{
	if (r->q850_text != NULL) {
		*text = r->q850_text;
		*n = r->q850_text_n;
		return true;
	}
	if (r->any_text != NULL) {
		*text = r->any_text;
		*n = r->any_text_n;
		return true;
	}
	return false;
}
