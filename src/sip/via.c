/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Branches of the lower values of a Via header (RFC 3261 §20.42, §8.1.1.7:
 * "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK2, SIP/2.0/UDP
 * a.example.com;branch=z9hG4bK1").  A proxy pushes its own value on top of
 * the request's Via list (§16.6 step 8) and a response carries the list
 * back, so the second value of a response names the transaction of the
 * hop before: the dialog table (dialog.c) ties a response to a copy of the
 * INVITE seen upstream when the downstream copy it answers is not seen, or
 * not yet (a proxy that traces its own copies, as Kamailio's siptrace does,
 * may stamp its copy of the INVITE after the response to it).  The top
 * value's branch is read by libosip2 (msg.c) and the pre-scan (prescan.c);
 * the lower ones here, for both, so that the two agree by construction.
 * Every read is bounded by the value's length; no NUL is needed.
 * References: RFC 3261 §20.42 (Via), §25.1 (via-parm, generic-param,
 * quoted-string), §7.3.1 (folding, comma-separated values).
 */
#include "config.h"

#include <stdbool.h>
#include <strings.h>

#include "via.h"

/* A blank, CR or LF: the value may be a raw folded header. */
static bool lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Index just past the end of the quoted string that starts at v[i] (a
 * '"'): its closing quote, or n when it has none.  A backslash escapes
 * the next byte (§25.1 quoted-pair).
 */
static size_t past_quoted(const char *v, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (v[i] == '\\')
			i++;
		else if (v[i] == '"')
			return i + 1;
	}
	return n;
}

/*
 * The branch parameter of value number idx (0: the first) of the Via
 * header value v[0..n): values are split at commas outside quoted strings
 * (a generic parameter's value may be one; a sent-by holds neither a comma
 * nor a quote), parameters follow the sent-by, each ";name[=value]" with
 * blanks (CR and LF too: a raw folded header) around the separators.  The
 * first parameter named "branch", in any case, with a non-empty token
 * value is taken; a quoted value is not a branch (RFC 3261 §20.42 makes it
 * a token).  Returns 1 with *b, *bn set to the value; 0 when value idx has
 * no such parameter; -1 when the header has no value idx (nothing but
 * blanks after the last comma counts as no value).
 */
int ct_sip_via_branch(const char *v, size_t n, unsigned idx, const char **b, size_t *bn)
{
	size_t i = 0, s, e;

	/* Start of value idx: after idx top-level commas. */
	while (idx > 0) {
		while (i < n && v[i] != ',' && v[i] != '"')
			i++;
		if (i == n)
			return -1;
		if (v[i] == '"') {
			i = past_quoted(v, n, i);
			continue;
		}
		i++;
		idx--;
	}
	while (i < n && lws(v[i]))
		i++;
	if (i == n || v[i] == ',')
		return i == n ? -1 : 0;
	/* The sent-by: up to the first ';' (or the value's end). */
	while (i < n && v[i] != ';' && v[i] != ',' && v[i] != '"')
		i++;
	while (i < n && v[i] == ';') {
		i++;
		while (i < n && lws(v[i]))
			i++;
		s = i;
		while (i < n && !lws(v[i]) && v[i] != '=' && v[i] != ';' && v[i] != ',' &&
		    v[i] != '"')
			i++;
		e = i;
		while (i < n && lws(v[i]))
			i++;
		if (i < n && v[i] == '=') {
			size_t vs, ve;

			i++;
			while (i < n && lws(v[i]))
				i++;
			if (i < n && v[i] == '"') {
				i = past_quoted(v, n, i);
				vs = ve = 0;
			} else {
				vs = i;
				while (i < n && !lws(v[i]) && v[i] != ';' && v[i] != ',' && v[i] != '"')
					i++;
				ve = i;
			}
			if (e - s == 6 && strncasecmp(v + s, "branch", 6) == 0 && ve > vs) {
				*b = v + vs;
				*bn = ve - vs;
				return 1;
			}
			while (i < n && lws(v[i]))
				i++;
		}
		/* Anything else before the next ';' is not a parameter: skipped. */
		while (i < n && v[i] != ';' && v[i] != ',') {
			if (v[i] == '"')
				i = past_quoted(v, n, i);
			else
				i++;
		}
	}
	return 0;
}
