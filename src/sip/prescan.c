/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The SIP pre-scan: one bounded pass over a framed message that reads what
 * the dialog table keys on (start line, Call-ID, CSeq, top Via branch,
 * From and To tags, the From user), the other fields the dialog and media
 * stages read (Request-URI user, From display name, the users of the first
 * P-Asserted-Identity and Contact, the reason phrase, the body) and notes
 * what else the message carries (a Reason, a body that may be SDP),
 * without allocating.  The engine uses it to keep libosip2 (about 40,000
 * instructions and a dozen mallocs per message, src/sip/msg.c) for the
 * messages the pre-scan cannot vouch for: a plain message is taken whole
 * (ct_sip_prescan_complete), and one with a Reason or a tel: URI still
 * when its kind or its call's state needs only what was read
 * (ct_sip_prescan_enough, ct_dialog_prescan_need).
 *
 * It vouches for a value only inside a plain grammar (RFC 3261 §7.3, §8.1.1,
 * §20, §25.1), narrower than what libosip2 takes: a value outside it makes
 * ct_sip_prescan() fail (the caller parses with libosip2, which judges), and
 * a header libosip2 parses (msg.c keeps From, To, Call-ID, CSeq, the first
 * Via and Contact value, Content-Type, Content-Length, MIME-Version) whose
 * shape is unusual sets CT_PS_COMPLEX: libosip2 might reject the message,
 * so only it may decide.  Both rules keep the skip exact: a message taken
 * on the pre-scan is one libosip2 accepts, with the same values
 * (tests/unit/test_sip_prescan.c checks this against libosip2 on every
 * message of pcaps/).  Header names are case-insensitive and the compact
 * forms (i f t v m l c) are known; folded lines are joined as libosip2 joins
 * them (CR and LF become spaces) into ps->fold.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "calltap/cursor.h"
#include "calltap/dialog.h"
#include "calltap/err.h"
#include "calltap/sip.h"
#include "reason.h"
#include "via.h"
#include "ipv4.h"

enum hdr {
	H_OTHER = 0, H_CALL_ID, H_CSEQ, H_FROM, H_TO, H_VIA, H_CONTACT,
	H_CONTENT_LENGTH, H_CONTENT_TYPE, H_REASON, H_PAI, H_MIME, H_LEGS, H_COUNT
};

/* The small scanning helpers run many times per message: inline them. */
#if defined(__GNUC__)
#define PS_INLINE inline __attribute__((always_inline))
#else
#define PS_INLINE inline
#endif

/* Character classes of the plain grammar (bits of cclass[]). */
#define CC_TOKEN  0x01u /* RFC 3261 §25.1 token */
#define CC_CALLID 0x02u /* a Call-ID taken as plain (token and "()/:[]?{}"; '@' apart) */
#define CC_URI    0x04u /* a URI taken as plain: token and ";=?&$,:/[]@#" (no blank,
                           quote, angle bracket or backslash) */
#define CC_USER   0x08u /* a user part the pre-scan vouches for (RFC 3261 unreserved) */
#define CC_PVALUE 0x10u /* a parameter value taken as plain (token, host ':' and []) */
#define CC_HOST   0x20u /* a host name or IPv4 byte: letters, digits, '.' and '-' */
#define CC_VHOST  0x40u /* a Via sent-by as scanned: token, ':', '[' and ']' */
#define CC_UURI   0x80u /* CC_USER and CC_URI both (take_uri's fast path) */

/* The classes of each byte (ASCII; every other byte is in none). */
static const uint8_t cclass[256] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0xdf, 0x00, 0x04, 0x04, 0x57, 0x04, 0xdf, 0x0a, 0x0a, 0xdf, 0xdf, 0x04, 0xff, 0xff, 0x06,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x56, 0x04, 0x00, 0x04, 0x00, 0x06,
	0x04, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x56, 0x00, 0x56, 0x00, 0xdf,
	0x57, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x02, 0xdf, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static bool is_token(unsigned char c)
{
	return (cclass[c] & CC_TOKEN) != 0;
}

static bool is_user_char(unsigned char c)
{
	return (cclass[c] & CC_USER) != 0;
}

static bool is_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* True when p[0..n) holds no control byte but tab (no CR, LF or NUL: one plain line). */
static bool no_ctl(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (((unsigned char)p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
			return false;
	return true;
}

/*
 * Length of the longest prefix of p[0..n) whose bytes are all in class cls
 * (four tested at once: every message runs this over most of its bytes).
 */
static PS_INLINE size_t span_in(const char *p, size_t n, uint8_t cls)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i = 0;

	while (i + 4 <= n &&
	    (cclass[u[i]] & cclass[u[i + 1]] & cclass[u[i + 2]] & cclass[u[i + 3]] & cls))
		i += 4;
	while (i < n && (cclass[u[i]] & cls))
		i++;
	return i;
}

/* True when every byte of p[0..n) is in class cls. */
static PS_INLINE bool all_in(const char *p, size_t n, uint8_t cls)
{
	return span_in(p, n, cls) == n;
}

/*
 * Fold mask of a chunk of a lowercase word: 0x20 in each byte that is a
 * lowercase letter (0x61-0x7a), 0 elsewhere.  (x + 0x1f) has bit 7 set
 * exactly when x >= 0x61, without a carry out of the byte for ASCII x.
 */
static inline uint64_t fold64(uint64_t w)
{
	return ((w + UINT64_C(0x1f1f1f1f1f1f1f1f)) & UINT64_C(0x8080808080808080)) >> 2;
}

static inline uint32_t fold32(uint32_t w)
{
	return ((w + 0x1f1f1f1fu) & 0x80808080u) >> 2;
}

/*
 * Is s[0..n) the lowercase word w (wn bytes), ignoring ASCII case?  w holds
 * lowercase letters and bytes below 0x61 only (digits, '-', '.', '_').  A
 * byte of s matches a letter of w in either case and any other byte of w
 * exactly: (s | fold) == w, eight or four bytes at a time (the last chunk
 * overlaps the one before; header names are compared for every header).
 */
static PS_INLINE bool word_eq(const char *s, size_t n, const char *w, size_t wn)
{
	size_t i;

	if (n != wn)
		return false;
	if (n >= 8) {
		uint64_t a, b;

		for (i = 0; i + 8 <= n; i += 8) {
			memcpy(&a, s + i, 8);
			memcpy(&b, w + i, 8);
			if ((a | fold64(b)) != b)
				return false;
		}
		if (i < n) {
			memcpy(&a, s + n - 8, 8);
			memcpy(&b, w + n - 8, 8);
			if ((a | fold64(b)) != b)
				return false;
		}
		return true;
	}
	if (n >= 4) {
		uint32_t a, b;

		memcpy(&a, s, 4);
		memcpy(&b, w, 4);
		if ((a | fold32(b)) != b)
			return false;
		memcpy(&a, s + n - 4, 4);
		memcpy(&b, w + n - 4, 4);
		return (a | fold32(b)) == b;
	}
	for (i = 0; i < n; i++)
		if ((s[i] >= 'A' && s[i] <= 'Z' ? s[i] | 0x20 : s[i]) != w[i])
			return false;
	return true;
}

/* word_eq with a string literal. */
#define word_is(s, n, lit) word_eq((s), (n), (lit), sizeof(lit) - 1)

/*
 * The header kind of name[0..n) (case-insensitive; compact forms): by
 * length, then first byte, then one word compare (every header of every
 * message comes here; most are none of these and stop at the length).
 */
static enum hdr header_kind(const char *name, size_t n)
{
	char c = (char)(name[0] | 0x20);

	switch (n) {
	case 1:
		switch (c) {
		case 'i': return H_CALL_ID;
		case 'f': return H_FROM;
		case 't': return H_TO;
		case 'v': return H_VIA;
		case 'm': return H_CONTACT;
		case 'l': return H_CONTENT_LENGTH;
		case 'c': return H_CONTENT_TYPE;
		case 'r': return H_LEGS;   /* Refer-To */
		case 'b': return H_LEGS;   /* Referred-By */
		default: return H_OTHER;
		}
	case 2:
		return c == 't' && word_is(name, n, "to") ? H_TO : H_OTHER;
	case 3:
		return c == 'v' && word_is(name, n, "via") ? H_VIA : H_OTHER;
	case 4:
		if (c == 'f')
			return word_is(name, n, "from") ? H_FROM : H_OTHER;
		return c == 'c' && word_is(name, n, "cseq") ? H_CSEQ : H_OTHER;
	case 5:
		/* msg.c's is_link_header: correlation ids */
		return c == 'x' && word_is(name, n, "x-cid") ? H_LEGS : H_OTHER;
	case 6:
		return c == 'r' && word_is(name, n, "reason") ? H_REASON : H_OTHER;
	case 7:
		if (c != 'c')
			return H_OTHER;
		if (word_is(name, n, "call-id"))
			return H_CALL_ID;
		return word_is(name, n, "contact") ? H_CONTACT : H_OTHER;
	case 8:
		return c == 'r' && word_is(name, n, "refer-to") ? H_LEGS : H_OTHER;
	case 9:
		return c == 'd' && word_is(name, n, "diversion") ? H_LEGS : H_OTHER;
	case 11:
		return c == 'r' && word_is(name, n, "referred-by") ? H_LEGS : H_OTHER;
	case 12:
		if (c == 'c')
			return word_is(name, n, "content-type") ? H_CONTENT_TYPE : H_OTHER;
		if (c == 'm')
			return word_is(name, n, "mime-version") ? H_MIME : H_OTHER;
		return c == 'h' && word_is(name, n, "history-info") ? H_LEGS : H_OTHER;
	case 14:
		if (c == 'c')
			return word_is(name, n, "content-length") ? H_CONTENT_LENGTH : H_OTHER;
		return c == 'x' && word_is(name, n, "x-orig-call-id") ? H_LEGS : H_OTHER;
	case 15:
		/* msg.c reads it as the asserted identity when PAI is missing */
		return c == 'r' && word_is(name, n, "remote-party-id") ? H_LEGS : H_OTHER;
	case 16:
		return c == 'x' && word_is(name, n, "x-linked-call-id") ? H_LEGS : H_OTHER;
	case 18:
		return c == 'x' && word_is(name, n, "x-original-call-id") ? H_LEGS : H_OTHER;
	case 19:
		return c == 'p' && word_is(name, n, "p-asserted-identity") ? H_PAI : H_OTHER;
	default:
		return H_OTHER;
	}
}

/* A span of the value v[0..n) with blanks trimmed on both sides. */
static PS_INLINE void trim(const char **v, size_t *n)
{
	while (*n > 0 && is_blank((unsigned char)**v)) {
		(*v)++;
		(*n)--;
	}
	while (*n > 0 && is_blank((unsigned char)(*v)[*n - 1]))
		(*n)--;
}

static void span_set(struct ct_sip_span *s, const char *p, size_t n)
{
	s->p = p;
	s->n = n;
}

/*
 * Call-ID value v[0..n): one plain word, at most one '@' and not at either
 * end (libosip2 splits it there and msg.c joins the halves again).
 */
static int take_call_id(struct ct_sip_prescan *ps, const char *v, size_t n)
{
	size_t at;

	trim(&v, &n);
	if (n == 0 || v[0] == '@' || v[n - 1] == '@')
		return CT_ERR;
	/* '@' is no CC_CALLID byte: the span stops at the first, and a second
	 * one stops the span after it. */
	at = span_in(v, n, CC_CALLID);
	if (at < n && (v[at] != '@' || !all_in(v + at + 1, n - at - 1, CC_CALLID)))
		return CT_ERR;
	span_set(&ps->call_id, v, n);
	return CT_OK;
}

/* CSeq value: digits (a 32-bit number), blanks, a method token. */
static int take_cseq(struct ct_sip_prescan *ps, const char *v, size_t n)
{
	uint64_t num = 0;
	size_t i = 0, m;

	trim(&v, &n);
	for (; i < n && v[i] >= '0' && v[i] <= '9'; i++) {
		num = num * 10 + (unsigned)(v[i] - '0');
		if (num > UINT32_MAX)
			return CT_ERR;
	}
	if (i == 0 || i >= n || !is_blank((unsigned char)v[i]))
		return CT_ERR;
	while (i < n && is_blank((unsigned char)v[i]))
		i++;
	for (m = i; m < n; m++)
		if (!is_token((unsigned char)v[m]))
			return CT_ERR;
	if (m == i)
		return CT_ERR;
	ps->cseq = (uint32_t)num;
	span_set(&ps->cseq_method, v + i, n - i);
	return CT_OK;
}

/*
 * Header parameters p[0..n) after a name-addr or a Via's sent-by:
 * ";name[=value]" each, blanks around the separators.  Stores the value of
 * want (wn bytes, lowercase; the same name in another case fails) in *out.  A plain
 * value only (no quoted string), at most one want, no empty parameter; a
 * ',' ends the list when comma_ends (the next Via value).  Returns CT_OK or
 * CT_ERR.
 */
static int take_params(const char *p, size_t n, const char *want, size_t wn,
    struct ct_sip_span *out, bool comma_ends)
{
	size_t i = 0, ns, ne, vs, ve;

	out->p = NULL;
	out->n = 0;
	for (;;) {
		while (i < n && is_blank((unsigned char)p[i]))
			i++;
		if (i == n || (comma_ends && p[i] == ','))
			return CT_OK;
		if (p[i] != ';')
			return CT_ERR;
		i++;
		while (i < n && is_blank((unsigned char)p[i]))
			i++;
		ns = i;
		i += span_in(p + i, n - i, CC_TOKEN);
		ne = i;
		if (ne == ns)
			return CT_ERR;
		while (i < n && is_blank((unsigned char)p[i]))
			i++;
		vs = ve = i;
		if (i < n && p[i] == '=') {
			i++;
			while (i < n && is_blank((unsigned char)p[i]))
				i++;
			vs = i;
			i += span_in(p + i, n - i, CC_PVALUE);
			ve = i;
			if (ve == vs)
				return CT_ERR;
		}
		if (word_eq(p + ns, ne - ns, want, wn)) {
			if (memcmp(p + ns, want, ne - ns) != 0 || out->p != NULL || ve == vs)
				return CT_ERR;
			span_set(out, p + vs, ve - vs);
		}
	}
}

/*
 * The host of hostport h[0..n) (RFC 3261 §25.1): "[" IPv6 "]" or a name or
 * IPv4 address of letters, digits, '.' and '-', then an optional ':' and 1
 * to 5 digits.  *host gets the host (brackets kept: ct_addr_parse takes
 * them, as it takes libosip2's host); CT_ERR for any other shape (libosip2
 * may split it otherwise).
 */
static int split_host(const char *h, size_t n, struct ct_sip_span *host)
{
	size_t i, e;

	if (n > 0 && h[0] == '[') {
		const char *rb = memchr(h, ']', n);

		if (rb == NULL)
			return CT_ERR;
		e = (size_t)(rb - h) + 1;
		/* IPv6 only: libosip2 takes "[192.0.2.1]" as 192.0.2.1, ct_addr_parse not */
		if (memchr(h, ':', e) == NULL)
			return CT_ERR;
		for (i = 1; i + 1 < e; i++)
			if (!((h[i] >= '0' && h[i] <= '9') || ((h[i] | 0x20) >= 'a' &&
			    (h[i] | 0x20) <= 'f') || h[i] == ':' || h[i] == '.'))
				return CT_ERR;
	} else {
		e = span_in(h, n, CC_HOST);
	}
	if (e <= 2 && (e == 0 || h[0] == '['))
		return CT_ERR;
	if (e < n) {
		if (h[e] != ':' || n - e - 1 == 0 || n - e - 1 > 5)
			return CT_ERR;
		for (i = e + 1; i < n; i++)
			if (h[i] < '0' || h[i] > '9')
				return CT_ERR;
	}
	span_set(host, h, e);
	return CT_OK;
}

/*
 * take_uri's fast path for the usual shape of a "sip:" URI u[0..n) (n > 4):
 * a non-empty user of CC_UURI bytes, '@', a host of CC_HOST bytes, an
 * optional ':' and 1 to 5 digits, then nothing or ';' or '?' and CC_URI
 * bytes: the user and host (host NULL: not wanted) as take_uri gives them
 * (known), in one pass.
 * CT_ERR for any other shape, which take_uri then reads the long way
 * (the same verdicts: it takes every URI of this shape with these values).
 */
static int uri_fast(const char *u, size_t n, struct ct_sip_span *user,
    struct ct_sip_span *host)
{
	size_t at, h, e, p;

	at = 4 + span_in(u + 4, n - 4, CC_UURI);
	if (at == 4 || at + 1 >= n || u[at] != '@')
		return CT_ERR;
	h = at + 1;
	e = h + span_in(u + h, n - h, CC_HOST);
	if (e == h)
		return CT_ERR;
	p = e;
	if (p < n && u[p] == ':') {
		for (p++; p < n && u[p] >= '0' && u[p] <= '9'; p++)
			;
		if (p - e - 1 == 0 || p - e - 1 > 5)
			return CT_ERR;
	}
	if (p < n && ((u[p] != ';' && u[p] != '?') || !all_in(u + p, n - p, CC_URI)))
		return CT_ERR;
	span_set(user, u + 4, at - 4);
	if (host != NULL)
		span_set(host, u + h, e - h);
	return CT_OK;
}

/*
 * The URI u[0..n) of a From/To/Contact or the Request-URI: a scheme, ':',
 * plain URI characters.  For a lowercase sip:/sips: URI, *user gets the
 * user part when it is plain (none: p NULL) and true is returned in
 * *user_known.  With host non-NULL, *host gets the host of a sip:/sips:
 * URI (up to ';', '?' or the end; split_host) and *host_known becomes
 * true when it is plain, or when the URI is a tel: one (no host: p NULL).
 * CT_ERR when the URI is not plain.
 */
static int take_uri(const char *u, size_t n, struct ct_sip_span *user, bool *user_known,
    struct ct_sip_span *host, bool *host_known)
{
	size_t i, s, at = n, he;

	*user_known = false;
	user->p = NULL;
	user->n = 0;
	if (host != NULL) {
		*host_known = false;
		host->p = NULL;
		host->n = 0;
	}
	if (n > 4 && memcmp(u, "sip:", 4) == 0 && uri_fast(u, n, user, host) == CT_OK) {
		*user_known = true;
		if (host != NULL)
			*host_known = true;
		return CT_OK;
	}
	for (i = 0; i < n && ((u[i] >= 'a' && u[i] <= 'z') || (u[i] >= 'A' && u[i] <= 'Z') ||
	    (i > 0 && ((u[i] >= '0' && u[i] <= '9') || u[i] == '+' || u[i] == '-' ||
	    u[i] == '.'))); i++)
		;
	if (i == 0 || i >= n || u[i] != ':' || i + 1 == n)
		return CT_ERR;
	s = i + 1;
	if (!all_in(u + s, n - s, CC_URI))
		return CT_ERR;
	{
		const char *a = memchr(u + s, '@', n - s);

		if (a != NULL)
			at = (size_t)(a - u);
	}
	if (!((s == 4 && memcmp(u, "sip", 3) == 0) || (s == 5 && memcmp(u, "sips", 4) == 0))) {
		if (host != NULL && s == 4 && memcmp(u, "tel", 3) == 0)
			*host_known = true;
		return CT_OK;
	}
	/* A SIP URI has a host (libosip2 rejects "sip:;transport=UDP"). */
	i = at == n ? s : at + 1;
	if (i >= n || !(is_user_char((unsigned char)u[i]) || u[i] == '['))
		return CT_ERR;
	for (he = i; he < n && u[he] != ';' && u[he] != '?'; he++)
		;
	/* libosip2 refuses a ']' in a host that does not start with '[' ("sip:a@b]c"). */
	if (u[i] != '[' && memchr(u + i, ']', he - i) != NULL)
		return CT_ERR;
	if (host != NULL) {
		*host_known = split_host(u + i, he - i, host) == CT_OK;
	} else if (u[i] != '[') {
		/* A ':' with no 1-5 digit port after it: libosip2 refuses "sip:a@b:". */
		const char *colon = memchr(u + i, ':', he - i);
		size_t p;

		if (colon != NULL) {
			for (p = (size_t)(colon - u) + 1; p < he && u[p] >= '0' && u[p] <= '9'; p++)
				;
			if (p != he || p - (size_t)(colon - u) - 1 == 0 ||
			    p - (size_t)(colon - u) - 1 > 5)
				return CT_ERR;
		}
	}
	if (at == n) {
		*user_known = true;   /* sip:host: no user */
		return CT_OK;
	}
	if (at == s || at + 1 == n)
		return CT_OK;         /* empty user or host: leave it to libosip2 */
	if (!all_in(u + s, at - s, CC_USER))
		return CT_OK;
	span_set(user, u + s, at - s);
	*user_known = true;
	return CT_OK;
}

/*
 * A From, To or Contact value v[0..n): a name-addr ("display" <uri> or
 * tokens <uri>) or an addr-spec (uri up to the first ';'), then header
 * parameters (up to a ',' when comma_ends: the first of several values).
 * tag gets the tag parameter (NULL tag: not wanted), user the URI's user
 * (see take_uri), name the display name as written, quotes included
 * (absent: p NULL), host and host_known the URI's host (see take_uri; host
 * NULL: not wanted).  CT_ERR when anything is not plain.
 */
static int take_addr(const char *v, size_t n, struct ct_sip_span *tag,
    struct ct_sip_span *user, bool *user_known, struct ct_sip_span *name, bool comma_ends,
    struct ct_sip_span *host, bool *host_known)
{
	struct ct_sip_span none;
	size_t i = 0, us, ue;

	trim(&v, &n);
	name->p = NULL;
	name->n = 0;
	if (n > 0 && v[0] == '"') {
		for (i = 1; i < n && v[i] != '"'; i++) {
			if (v[i] == '\\')
				i++;
			else if ((unsigned char)v[i] < 0x20)
				return CT_ERR;
		}
		if (i >= n)
			return CT_ERR;
		span_set(name, v, ++i);
		while (i < n && is_blank((unsigned char)v[i]))
			i++;
		if (i == n || v[i] != '<')
			return CT_ERR;
	} else if (n > 0 && v[0] != '<') {   /* "<uri>": no display name */
		const char *lt = memchr(v, '<', n);

		if (lt != NULL) {
			for (; v + i < lt; i++)
				if (!is_token((unsigned char)v[i]) && !is_blank((unsigned char)v[i]))
					return CT_ERR;
			if (i > 0) {
				const char *d = v;
				size_t dn = i;

				trim(&d, &dn);
				if (dn > 0)
					span_set(name, d, dn);
			}
		}
	}
	if (i < n && v[i] == '<') {
		const char *gt = memchr(v + i + 1, '>', n - i - 1);

		if (gt == NULL)
			return CT_ERR;
		us = i + 1;
		ue = (size_t)(gt - v);
		i = ue + 1;
	} else {
		us = i;
		while (i < n && v[i] != ';')
			i++;
		ue = i;
	}
	if (take_uri(v + us, ue - us, user, user_known, host, host_known) != CT_OK)
		return CT_ERR;
	return take_params(v + i, n - i, tag != NULL ? "tag" : "", tag != NULL ? 3 : 0,
	    tag != NULL ? tag : &none, comma_ends);
}

/*
 * The first '<' of v[0..n) outside a quoted string, or NULL: a display
 * name is a quoted-string that may hold '<', '>' and quoted-pairs (RFC
 * 3261 §25.1).  As msg.c's angle_open.
 */
static const char *angle_open(const char *v, size_t n)
{
	bool quoted = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (quoted && v[i] == '\\' && i + 1 < n)
			i++;
		else if (v[i] == '"')
			quoted = !quoted;
		else if (!quoted && v[i] == '<')
			return v + i;
	}
	return NULL;
}

/*
 * The first P-Asserted-Identity value v[0..n), as msg.c reads it: the URI
 * inside <...> (angle_open), else the value up to a blank or ';'.  Sets
 * CT_PS_PAI_USER when its user is known (a plain sip: URI).
 */
static void take_pai(struct ct_sip_prescan *ps, const char *v, size_t n)
{
	const char *lt, *gt = NULL;
	size_t i;
	bool known;

	while (n > 0 && is_blank((unsigned char)*v)) {
		v++;
		n--;
	}
	lt = angle_open(v, n);
	if (lt != NULL)
		gt = memchr(lt, '>', n - (size_t)(lt - v));
	if (lt != NULL && gt != NULL) {
		v = lt + 1;
		n = (size_t)(gt - lt - 1);
	} else {
		for (i = 0; i < n && !is_blank((unsigned char)v[i]) && v[i] != ';'; i++)
			;
		n = i;
	}
	if (take_uri(v, n, &ps->pai_user, &known, NULL, NULL) == CT_OK && known)
		ps->flags |= CT_PS_PAI_USER;
}

/*
 * The first value of a Via v[0..n): "SIP/2.0/" transport, blanks, host
 * and port, parameters up to a ',' (the next value).  Takes its branch
 * and its host (split_host: other shapes fail).
 */
static int take_via(struct ct_sip_prescan *ps, const char *v, size_t n)
{
	size_t i, h, e, p;

	trim(&v, &n);
	if (n < 9 || !word_is(v, 8, "sip/2.0/"))
		return CT_ERR;
	for (i = 8; i < n && is_token((unsigned char)v[i]); i++)
		;
	if (i == 8 || i == n || !is_blank((unsigned char)v[i]))
		return CT_ERR;
	while (i < n && is_blank((unsigned char)v[i]))
		i++;
	h = i;
	/*
	 * The usual sent-by, a host of CC_HOST bytes and an optional 1-5 digit
	 * port that no other CC_VHOST byte follows, is the one split_host
	 * would split: read once.  Anything else the long way.
	 */
	e = h + span_in(v + h, n - h, CC_HOST);
	p = e;
	if (p < n && v[p] == ':')
		for (p++; p < n && v[p] >= '0' && v[p] <= '9'; p++)
			;
	if (e > h && (p == e || (p - e - 1 >= 1 && p - e - 1 <= 5)) &&
	    (p == n || !(cclass[(unsigned char)v[p]] & CC_VHOST))) {
		span_set(&ps->via_host, v + h, e - h);
		i = p;
	} else {
		i += span_in(v + i, n - i, CC_VHOST);
		if (i == h || split_host(v + h, i - h, &ps->via_host) != CT_OK)
			return CT_ERR;
	}
	return take_params(v + i, n - i, "branch", 6, &ps->via_branch, true);
}

/* Content-Type value: type "/" subtype, parameters; notes a possible SDP body. */
static int take_content_type(struct ct_sip_prescan *ps, const char *v, size_t n)
{
	struct ct_sip_span none;
	size_t i, t;

	trim(&v, &n);
	for (i = 0; i < n && is_token((unsigned char)v[i]); i++)
		;
	t = i;
	if (t == 0 || i == n || v[i] != '/')
		return CT_ERR;
	for (i++; i < n && is_token((unsigned char)v[i]); i++)
		;
	if (i == t + 1)
		return CT_ERR;
	if (word_is(v, t, "multipart"))   /* msg.c bounds its parts: libosip2 judges */
		ps->flags |= CT_PS_SDP | CT_PS_MULTIPART | CT_PS_COMPLEX;
	else if (word_is(v, t, "application") && word_is(v + t + 1, i - t - 1, "sdp"))
		ps->flags |= CT_PS_SDP;
	/* Parameter values such as boundary="..." may be quoted: libosip2 judges. */
	if (take_params(v + i, n - i, "", 0, &none, false) != CT_OK)
		ps->flags |= CT_PS_SDP | CT_PS_MULTIPART | CT_PS_COMPLEX;
	return CT_OK;
}

/* Content-Length value: decimal digits. */
static int take_content_length(struct ct_sip_prescan *ps, const char *v, size_t n)
{
	size_t i, len = 0;

	trim(&v, &n);
	if (n == 0 || n > 9)
		return CT_ERR;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return CT_ERR;
		len = len * 10 + (size_t)(v[i] - '0');
	}
	ps->has_content_length = true;
	ps->content_length = len;
	return CT_OK;
}

/* The start line l[0..n) (without its line end). */
static int take_start_line(struct ct_sip_prescan *ps, const char *l, size_t n)
{
	bool known;
	size_t i, u;

	if (n >= 12 && memcmp(l, "SIP/2.0 ", 8) == 0) {
		if (l[8] < '1' || l[8] > '6' || l[9] < '0' || l[9] > '9' ||
		    l[10] < '0' || l[10] > '9' || l[11] != ' ')
			return CT_ERR;
		ps->status = (l[8] - '0') * 100 + (l[9] - '0') * 10 + (l[10] - '0');
		for (i = 12; i < n; i++)
			if ((unsigned char)l[i] < 0x20 && l[i] != '\t')
				return CT_ERR;
		span_set(&ps->reason_phrase, l + 12, n - 12);
		/* A phrase with blanks at either end: libosip2's copy is not checked. */
		if (n > 12 && !is_blank((unsigned char)l[12]) && !is_blank((unsigned char)l[n - 1]))
			ps->flags |= CT_PS_PHRASE;
		return CT_OK;
	}
	for (i = 0; i < n && is_token((unsigned char)l[i]); i++)
		;
	if (i == 0 || i == n || l[i] != ' ')
		return CT_ERR;
	span_set(&ps->method, l, i);
	u = ++i;
	{
		const char *sp = memchr(l + i, ' ', n - i);

		i = sp != NULL ? (size_t)(sp - l) : n;
	}
	if (i == n || n - i != 8 || memcmp(l + i, " SIP/2.0", 8) != 0)
		return CT_ERR;
	if (take_uri(l + u, i - u, &ps->ruri_user, &known, NULL, NULL) != CT_OK)
		return CT_ERR;
	if (known)
		ps->flags |= CT_PS_RURI_USER;
	ps->is_request = true;
	return CT_OK;
}

/*
 * The value of the header whose first line starts at line: from after the
 * colon to the end of its last continuation line.  *v and *n get it; when
 * it is folded, an unfolded copy in ps->fold (CR and LF as spaces) unless
 * it does not fit (CT_ERR).  nl is the end of the first line (NULL: none);
 * the cursor moves to the next header.  CT_ERR too past CT_SIP_MAX_HEADERS.
 */
static int header_value(struct ct_sip_prescan *ps, struct ct_cursor *c, const char *colon,
    const char *nl, const char **v, size_t *n, bool copy)
{
	const char *start = colon + 1, *end;
	bool folded = false;
	size_t len;

	for (;;) {
		end = nl != NULL ? nl + 1 : (const char *)c->end;
		if (nl == NULL || end >= (const char *)c->end || !is_blank((unsigned char)*end))
			break;
		if (++ps->headers > CT_SIP_MAX_HEADERS)
			return CT_ERR;   /* msg.c refuses it */
		folded = true;
		nl = memchr(end, '\n', (size_t)((const char *)c->end - end));
	}
	len = (size_t)(end - start);
	ct_skip(c, (size_t)(end - (const char *)c->p));
	/* Without its line end. */
	if (len > 0 && start[len - 1] == '\n')
		len--;
	if (len > 0 && start[len - 1] == '\r')
		len--;
	*v = start;
	*n = len;
	if (folded && copy) {
		size_t i;

		ps->flags |= CT_PS_FOLDED;
		if (len > sizeof(ps->fold) - ps->fold_used)
			return CT_ERR;
		for (i = 0; i < len; i++)
			ps->fold[ps->fold_used + i] = start[i] == '\r' || start[i] == '\n' ?
			    ' ' : start[i];
		*v = ps->fold + ps->fold_used;
		ps->fold_used += len;
	}
	return CT_OK;
}

/*
 * Pre-scans the whole SIP message buf[0..len) (a datagram or a framed TCP
 * message) into *ps, which then points into buf.  Returns CT_OK when the
 * start line, Call-ID and CSeq, the From and To tags, the first Via's branch
 * and the From user (flag CT_PS_FROM_USER) were read within the plain
 * grammar (see the file comment), with the same values libosip2 would give
 * through ct_sip_msg_parse() if it accepts the message; CT_PS_COMPLEX then
 * says libosip2 might not accept it.  CT_ERR otherwise (no value is
 * vouched for: parse with libosip2).  Messages over the CT_SIP_MAX_BYTES
 * or CT_SIP_MAX_HEADERS limits give CT_ERR.  Linear in len; allocates
 * nothing.
 */
int ct_sip_prescan(struct ct_sip_prescan *ps, const char *buf, size_t len)
{
	unsigned seen[H_COUNT];
	struct ct_sip_span from_user = { NULL, 0 }, to_user = { NULL, 0 }, to_name = { NULL, 0 };
	struct ct_sip_span cname;
	bool from_known = false, to_known = false, closed = false, reason_bad = false;
	struct ct_cursor c;
	const char *line, *nl, *colon, *v;
	size_t n, k;
	int rc = CT_OK, via2 = -1;

	memset(ps, 0, offsetof(struct ct_sip_prescan, fold));
	memset(seen, 0, sizeof(seen));
	if (buf == NULL || len == 0 || len > CT_SIP_MAX_BYTES)
		return CT_ERR;
	ct_cursor_init(&c, (const uint8_t *)buf, len);
	nl = memchr(buf, '\n', len);
	if (nl == NULL)
		return CT_ERR;
	n = (size_t)(nl - buf);
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (take_start_line(ps, buf, n) != CT_OK)
		return CT_ERR;
	ct_skip(&c, (size_t)(nl + 1 - buf));
	while (ct_cursor_left(&c) > 0) {
		line = (const char *)c.p;
		if (line[0] == '\n' || (ct_cursor_left(&c) >= 2 && line[0] == '\r' && line[1] == '\n')) {
			ct_skip(&c, line[0] == '\n' ? 1 : 2);
			closed = true;
			break;
		}
		if (++ps->headers > CT_SIP_MAX_HEADERS)
			return CT_ERR;
		nl = memchr(line, '\n', ct_cursor_left(&c));
		n = nl != NULL ? (size_t)(nl - line) : ct_cursor_left(&c);
		colon = memchr(line, ':', n);
		if (colon == NULL || is_blank((unsigned char)line[0])) {
			ps->flags |= CT_PS_COMPLEX;  /* libosip2 judges a line without a name */
			ct_skip(&c, nl != NULL ? n + 1 : n);
			continue;
		}
		for (k = (size_t)(colon - line); k > 0 && is_blank((unsigned char)line[k - 1]); k--)
			;
		{
			enum hdr h = header_kind(line, k);
			bool want = h != H_OTHER && h != H_REASON;

			if (header_value(ps, &c, colon, nl, &v, &n, want) != CT_OK)
				return CT_ERR;
			/* A stray CR: msg.c blanks it.  Not looked for in a Call-ID,
			 * CSeq, Content-Length or Content-Type: their readers check
			 * every byte, and fail on one (the message fails, or is
			 * complex, as it would be). */
			if (want && h != H_CALL_ID && h != H_CSEQ && h != H_CONTENT_LENGTH &&
			    h != H_CONTENT_TYPE && memchr(v, '\r', n) != NULL)
				ps->flags |= CT_PS_COMPLEX;
			seen[h]++;
			switch (h) {
			case H_CALL_ID:
				rc = seen[h] > 1 ? CT_ERR : take_call_id(ps, v, n);
				break;
			case H_CSEQ:
				rc = seen[h] > 1 ? CT_ERR : take_cseq(ps, v, n);
				break;
			case H_FROM:
				rc = seen[h] > 1 ? CT_ERR : take_addr(v, n, &ps->from_tag, &from_user,
				    &from_known, &ps->from_name, false, NULL, NULL);
				break;
			case H_TO:
				rc = seen[h] > 1 ? CT_ERR : take_addr(v, n, &ps->to_tag, &to_user,
				    &to_known, &to_name, false, NULL, NULL);
				break;
			case H_VIA:
				/* The second value, of a response only: after a
				 * comma of the first Via header, else the next
				 * header's first. */
				if (seen[h] == 1) {
					rc = take_via(ps, v, n);
					if (!ps->is_request)
						via2 = ct_sip_via_branch(v, n, 1,
						    &ps->via_branch2.p, &ps->via_branch2.n);
				} else if (seen[h] == 2 && via2 < 0 && !ps->is_request) {
					via2 = ct_sip_via_branch(v, n, 0, &ps->via_branch2.p,
					    &ps->via_branch2.n);
				}
				break;
			case H_CONTACT:
				ps->flags |= CT_PS_CONTACT;
				if (seen[h] == 1) {
					bool known = false, host_known = false;

					trim(&v, &n);
					/*
					 * "*" has no URI: no user, no host.  libosip2 takes
					 * any value that starts with '*' so (osip_contact_parse),
					 * and so must the pre-scan ("*<sip:a@b>": not a).
					 */
					if (n > 0 && v[0] == '*')
						known = host_known = true;
					else if (take_addr(v, n, NULL, &ps->contact_user, &known,
					    &cname, true, &ps->contact_host, &host_known) != CT_OK)
						ps->flags |= CT_PS_COMPLEX;
					if (known)
						ps->flags |= CT_PS_CONTACT_USER;
					/* contact_addr is read of every message (sigpath.c). */
					if (!host_known)
						ps->flags |= CT_PS_COMPLEX;
				}
				break;
			case H_CONTENT_LENGTH:
				if (seen[h] > 1 || take_content_length(ps, v, n) != CT_OK)
					ps->flags |= CT_PS_COMPLEX;
				break;
			case H_CONTENT_TYPE:
				if (seen[h] > 1 || take_content_type(ps, v, n) != CT_OK)
					ps->flags |= CT_PS_COMPLEX | CT_PS_SDP | CT_PS_MULTIPART;
				break;
			case H_REASON:
				/* Read here when plain (reason.c, as msg.c reads it):
				 * one line, no control byte, no blank before the colon. */
				ps->flags |= CT_PS_REASON;
				if (ps->n_reason < CT_SIP_MAX_REASON) {
					trim(&v, &n);
					if (k != (size_t)(colon - line) || !no_ctl(v, n))
						reason_bad = true;
					span_set(&ps->reason[ps->n_reason], v, n);
				}
				ps->n_reason++;
				break;
			case H_PAI:
				ps->flags |= CT_PS_PAI;
				if (seen[h] == 1)
					take_pai(ps, v, n);
				break;
			case H_MIME:
				ps->flags |= CT_PS_COMPLEX;
				break;
			case H_LEGS:
				ps->flags |= CT_PS_LEGS;
				break;
			default:
				break;
			}
			if (rc != CT_OK)
				return CT_ERR;
		}
	}
	if (seen[H_CALL_ID] != 1 || seen[H_CSEQ] != 1 || seen[H_FROM] != 1 || seen[H_TO] != 1 ||
	    seen[H_VIA] == 0)
		return CT_ERR;
	/* A request whose CSeq names another method: msg.c refuses it (§8.1.1.5). */
	if (ps->is_request && (ps->method.n != ps->cseq_method.n ||
	    memcmp(ps->method.p, ps->cseq_method.p, ps->method.n) != 0))
		return CT_ERR;
	/*
	 * A NUL anywhere in the header section (P-Asserted-Identity, Reason,
	 * User-Agent...): libosip2 reads headers as C strings and refuses or
	 * cuts such a message, so it judges; the pre-scan, reading bytes, took
	 * it whole, and the record depended on which parser read the message.
	 */
	if (memchr(buf, '\0', (size_t)((const char *)c.p - buf)) != NULL)
		return CT_ERR;
	if (from_known) {
		ps->from_user = from_user;
		ps->flags |= CT_PS_FROM_USER;
	}
	if (to_known) {
		ps->to_user = to_user;
		ps->flags |= CT_PS_TO_USER;
	}
	ps->to_name = to_name;
	ps->flags |= CT_PS_FROM_NAME;
	if ((ps->flags & CT_PS_REASON) && !reason_bad)
		ps->flags |= CT_PS_REASON_READ;
	ps->body = (const char *)c.p;
	ps->body_len = closed ? ct_cursor_left(&c) : 0;
	/* A body libosip2 would cut or pad to Content-Length: it judges. */
	if (ps->has_content_length ? ps->content_length != ps->body_len : ps->body_len != 0)
		ps->flags |= CT_PS_COMPLEX;
	return CT_OK;
}

/* No Reason header, or every one read (q850_cause and reason_text known). */
static bool reason_known(const struct ct_sip_prescan *ps)
{
	return !(ps->flags & CT_PS_REASON) || (ps->flags & CT_PS_REASON_READ);
}

/*
 * True when the dialog table (src/sip/dialog.c, ct_dialog_on_msg) reads
 * nothing of the pre-scanned message but what ct_sip_prescan_msg() fills:
 * the keys (Call-ID, method, status, CSeq and its method, From and To tags),
 * the top Via branch and host and the first Contact host (via_addr,
 * contact_addr), the From user, the Reason's cause and text when the
 * pre-scan read them (CT_PS_REASON_READ; else none: q850_cause -1,
 * reason_text NULL), with no SDP (has_sdp false) and no other string, in a call whose
 * start was seen (ct_dialog_prescan_need says CT_DIALOG_NEED_KIND: a call
 * in progress, or a message opening one, reads the To user, From name and
 * P-Asserted-Identity too).  Whatever the state of that call:
 *  - an INVITE without To tag may create a call (every field): never;
 *  - BYE and CANCEL read the Reason: only without one, or with every one
 *    read (CT_PS_REASON_READ);
 *  - a response to INVITE: 1xx reads the keys, branch and From user; 2xx
 *    reads Contact and P-Asserted-Identity, a failure the reason phrase
 *    and the Reason: only 1xx;
 *  - every other request (re-INVITE, ACK, PRACK, UPDATE, INFO, REFER,
 *    REGISTER, OPTIONS, SUBSCRIBE, NOTIFY, MESSAGE, PUBLISH, ...) and every
 *    response to one: the keys, branch and From user only;
 * and never when the body may be SDP (the media hook) or the message is
 * CT_PS_COMPLEX, or carries a header PBX legs read (CT_PS_LEGS: a REFER's
 * Refer-To).  A change to what dialog.c reads of a message kind must
 * change this rule (and ct_dialog_prescan_need for the stateful cases).
 */
bool ct_sip_prescan_enough(const struct ct_sip_prescan *ps)
{
	const struct ct_sip_span *m = ps->is_request ? &ps->method : &ps->cseq_method;
	bool invite = m->n == 6 && memcmp(m->p, "INVITE", 6) == 0;

	if (ps->flags & (CT_PS_COMPLEX | CT_PS_SDP | CT_PS_LEGS))
		return false;
	if (!(ps->flags & CT_PS_FROM_USER))
		return false;
	if (ps->is_request) {
		if (invite)
			return ps->to_tag.p != NULL;
		if ((m->n == 3 && memcmp(m->p, "BYE", 3) == 0) ||
		    (m->n == 6 && memcmp(m->p, "CANCEL", 6) == 0))
			return reason_known(ps);
		return true;
	}
	return !invite || ps->status < 200;
}

/*
 * True when the pre-scan knows every field ct_sip_msg_parse() would give:
 * the request URI's user, the From display name, the To user and name,
 * the P-Asserted-Identity and Contact users, the reason phrase, and an SDP
 * body (single part: ct_sdp_parse on it, as msg.c), the Reason headers'
 * cause and text (none, or every one read: CT_PS_REASON_READ), and no
 * header PBX legs read (correlation ids, Diversion, History-Info:
 * link_id and diversion_user stay NULL).  Such a message may be taken on the
 * pre-scan whatever it is (an initial INVITE too).
 */
bool ct_sip_prescan_complete(const struct ct_sip_prescan *ps)
{
	unsigned need = CT_PS_FROM_USER | CT_PS_FROM_NAME | CT_PS_TO_USER;

	if ((ps->flags & (CT_PS_COMPLEX | CT_PS_MULTIPART | CT_PS_LEGS)) || !reason_known(ps))
		return false;
	need |= ps->is_request ? CT_PS_RURI_USER : CT_PS_PHRASE;
	if (ps->flags & CT_PS_PAI)
		need |= CT_PS_PAI_USER;
	if (ps->flags & CT_PS_CONTACT)
		need |= CT_PS_CONTACT_USER;
	return (ps->flags & need) == need;
}

/*
 * Copies the display name s into scratch as msg.c's unquote_n does: blanks
 * around and the surrounding quotes removed, backslash escapes undone,
 * NULL when nothing is left.
 */
static char *put_unquoted(const struct ct_sip_span *s, char *scratch, size_t size,
    size_t *used, bool *ok)
{
	const char *p = s->p;
	size_t n = s->n, i, o;
	char *r;

	if (p == NULL)
		return NULL;
	trim(&p, &n);
	if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
		p++;
		n -= 2;
	}
	if (n + 1 > size - *used) {
		*ok = false;
		return NULL;
	}
	r = scratch + *used;
	for (i = o = 0; i < n; i++) {
		if (p[i] == '\\' && i + 1 < n)
			i++;
		r[o++] = p[i];
	}
	while (o > 0 && is_blank((unsigned char)r[o - 1]))
		o--;
	if (o == 0)
		return NULL;
	r[o] = '\0';
	*used += o + 1;
	return r;
}

/* Copies span s NUL-terminated into scratch at *used; NULL when s is absent. */
static char *put(const struct ct_sip_span *s, char *scratch, size_t size, size_t *used,
    bool *ok)
{
	char *r;

	if (s->p == NULL)
		return NULL;
	if (s->n + 1 > size - *used) {
		*ok = false;
		return NULL;
	}
	r = scratch + *used;
	memcpy(r, s->p, s->n);
	r[s->n] = '\0';
	*used += s->n + 1;
	return r;
}

/* Copies span s into the fixed field dst[size], truncating as msg.c does. */
static void put_field(char *dst, size_t size, const struct ct_sip_span *s)
{
	size_t n = s->n < size - 1 ? s->n : size - 1;

	if (n > 0)
		memcpy(dst, s->p, n);
	dst[n] = '\0';
}

/* Sets *a to the host s when it is an IP literal, else unset (msg.c's host_addr). */
static void put_addr(struct ct_addr *a, const struct ct_sip_span *s)
{
	char tmp[CT_ADDRSTRLEN + 4];

	/* A name (a letter first: no IPv4, and IPv6 comes in brackets) is none. */
	if (s->p == NULL || s->n >= sizeof(tmp) || s->n == 0 ||
	    ((s->p[0] | 0x20) >= 'a' && (s->p[0] | 0x20) <= 'z')) {
		memset(a, 0, sizeof(*a));
		return;
	}
	if (ct_sip_fast_ipv4(a, s->p, s->n))
		return;
	memcpy(tmp, s->p, s->n);
	tmp[s->n] = '\0';
	if (ct_addr_parse(a, tmp) != 0)
		memset(a, 0, sizeof(*a));
}

/*
 * Fills m from the pre-scan ps the way ct_sip_msg_parse() would fill the
 * fields ct_sip_prescan_enough() names and via_addr, contact_addr (read of
 * every message), and when ct_sip_prescan_complete() every field (the SDP
 * body parsed here); the
 * caller's ts_us, t, vlan and transport are kept; every other string is
 * NULL, has_sdp false, q850_cause -1.  The strings are copied into scratch[0..size): m must
 * not be passed to ct_sip_msg_fini().  Returns CT_OK, or CT_ERR when they
 * do not fit.
 */
int ct_sip_prescan_msg(const struct ct_sip_prescan *ps, struct ct_sip_msg *m,
    char *scratch, size_t size)
{
	size_t used = 0;
	bool ok = true;

	memset(&m->is_request, 0, offsetof(struct ct_sip_msg, sdp) -
	    offsetof(struct ct_sip_msg, is_request));
	m->osip_lines = 0;
	m->repeated_headers = 0;   /* a repeated single header makes the pre-scan give up */
	m->q850_cause = -1;
	m->is_request = ps->is_request;
	if (ps->is_request)
		put_field(m->method, sizeof(m->method), &ps->method);
	m->status = ps->status;
	m->call_id = put(&ps->call_id, scratch, size, &used, &ok);
	m->cseq = ps->cseq;
	put_field(m->cseq_method, sizeof(m->cseq_method), &ps->cseq_method);
	m->from_tag = ps->from_tag.n > 0 ? put(&ps->from_tag, scratch, size, &used, &ok) : NULL;
	m->to_tag = ps->to_tag.n > 0 ? put(&ps->to_tag, scratch, size, &used, &ok) : NULL;
	m->via_branch = put(&ps->via_branch, scratch, size, &used, &ok);
	m->via_branch2 = put(&ps->via_branch2, scratch, size, &used, &ok);
	m->from_user = put(&ps->from_user, scratch, size, &used, &ok);
	put_addr(&m->via_addr, &ps->via_host);
	put_addr(&m->contact_addr, &ps->contact_host);
	if (ps->flags & CT_PS_REASON_READ) {   /* BYE and CANCEL need it, complete or not */
		struct ct_sip_reason r;
		struct ct_sip_span text;
		unsigned i;

		ct_sip_reason_init(&r);
		for (i = 0; i < ps->n_reason && i < CT_SIP_MAX_REASON; i++)
			ct_sip_reason_header(&r, ps->reason[i].p, ps->reason[i].n);
		m->q850_cause = r.q850_cause;
		if (ct_sip_reason_text(&r, &text.p, &text.n))
			m->reason_text = put_unquoted(&text, scratch, size, &used, &ok);
	}
	if (!ct_sip_prescan_complete(ps))
		return ok ? CT_OK : CT_ERR;
	m->to_user = put(&ps->to_user, scratch, size, &used, &ok);
	m->to_name = put_unquoted(&ps->to_name, scratch, size, &used, &ok);
	if (ps->is_request)
		m->ruri_user = put(&ps->ruri_user, scratch, size, &used, &ok);
	else
		m->reason_phrase = put(&ps->reason_phrase, scratch, size, &used, &ok);
	m->from_name = put_unquoted(&ps->from_name, scratch, size, &used, &ok);
	m->pai_user = put(&ps->pai_user, scratch, size, &used, &ok);
	m->contact_user = put(&ps->contact_user, scratch, size, &used, &ok);
	if ((ps->flags & CT_PS_SDP) && ps->body_len > 0) {
		m->has_sdp = ct_sdp_parse(ps->body, ps->body_len, &m->sdp) == CT_OK;
		if (!m->has_sdp)
			memset(&m->sdp, 0, sizeof(m->sdp));
	}
	return ok ? CT_OK : CT_ERR;
}
