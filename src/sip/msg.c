/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The libosip2 wrapper: turns one framed SIP message into a flat struct
 * ct_sip_msg of malloc'ed strings (Call-ID, URIs' users, tags, display
 * names, Via branch, CSeq, Reason, SDP media).  osip_message_t never leaves
 * this file.  One message is parsed per datagram or framed TCP message
 * (usually 0.5–4 KiB); osip allocates a full tree for it, which we free
 * before returning, so nothing of osip is kept.  osip appends every header
 * and body part to a list by walking the list (O(n^2) in their number), so
 * a message over the CT_SIP_MAX_* limits is refused after a linear
 * pre-scan, and the copy osip parses holds only the headers we read; its
 * lists are walked here with iterators only.  osip itself understands
 * the compact header forms (i: f: t: m: v: l: c: ...); this file works
 * around defects seen in real traffic that osip cannot take: stray CRs in
 * the header section are always blanked, and backslash-escaped quotes
 * outside a quoted string (`f: \"name\" <sip:...>`) or empty ";;"
 * parameters are blanked for a second attempt when the first one fails;
 * a repeat of a header that must be single (a second Content-Type, CSeq,
 * From...) is dropped before osip sees it, the first one kept, and counted
 * (repeated_headers).  osip's trace output (to stdout by default) is switched off in
 * ct_sip_init().
 * References: RFC 3261 §7 (messages), §8.1.1 (Call-ID, CSeq, From/To tags,
 * Via branch), §19.1 (SIP URIs), §25.1 (quoted-string); RFC 3966 (tel:
 * URIs); RFC 3325 §9.1 (P-Asserted-Identity); RFC 3326 (Reason, Q.850);
 * RFC 2046 §5.1 (multipart bodies); RFC 3204 (ISUP/SDP multipart).
 */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include <osipparser2/osip_parser.h>

#include "calltap/err.h"
#include "calltap/sip.h"
#include "reason.h"
#include "via.h"

/* Reason headers handed to osip (RFC 3326 has one per protocol); prescan.c reads as many. */
#define MAX_REASON_HEADERS CT_SIP_MAX_REASON

/* Discards osip's trace lines: malformed traffic is data, not a log line. */
static void quiet_trace(const char *fi, int li, osip_trace_level_t level,
    const char *fmt, va_list ap)
{
	(void)fi;
	(void)li;
	(void)level;
	(void)fmt;
	(void)ap;
}

/*
 * Initialises osip's parser tables and silences its trace output.  Call it
 * once before ct_sip_msg_parse(); calling it again is harmless.  Not
 * thread-safe (osip keeps these tables in its own globals).
 */
void ct_sip_init(void)
{
	parser_init();
	osip_trace_initialize_func(TRACE_LEVEL0, quiet_trace);
}

/* strdup() of s[0..n), or NULL when s is NULL or memory runs out. */
static char *dup_n(const char *s, size_t n)
{
	char *r;

	if (s == NULL)
		return NULL;
	r = malloc(n + 1);
	if (r == NULL)
		return NULL;
	memcpy(r, s, n);
	r[n] = '\0';
	return r;
}

static char *dup_s(const char *s)
{
	return s ? dup_n(s, strlen(s)) : NULL;
}

/* Copies src into the fixed field dst[size], truncating. */
static void copy_field(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= size)
		n = size - 1;
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Returns a copy of the user part of uri: the user of a sip:/sips: URI, or
 * the number of a tel: URI (up to its first ';').  NULL when there is none.
 */
static char *uri_user(const osip_uri_t *uri)
{
	const char *s;

	if (uri == NULL)
		return NULL;
	if (uri->username != NULL && uri->username[0] != '\0')
		return dup_s(uri->username);
	if (uri->scheme == NULL || strcasecmp(uri->scheme, "tel") != 0 ||
	    uri->string == NULL)
		return NULL;
	s = uri->string;
	return dup_n(s, strcspn(s, ";"));
}

/*
 * Returns a copy of s[0..n) without surrounding blanks and quotes, with
 * backslash escapes (\" and \\) undone; NULL when s is NULL, the result
 * is empty, or memory runs out.  Used for display names and Reason text.
 */
static char *unquote_n(const char *s, size_t n)
{
	size_t i, o;
	char *r;

	if (s == NULL)
		return NULL;
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s++;
		n -= 2;
	}
	r = malloc(n + 1);
	if (r == NULL)
		return NULL;
	for (i = o = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		r[o++] = s[i];
	}
	while (o > 0 && (r[o - 1] == ' ' || r[o - 1] == '\t'))
		o--;
	r[o] = '\0';
	if (o == 0) {
		free(r);
		return NULL;
	}
	return r;
}

static char *display_name(const char *dn)
{
	return dn ? unquote_n(dn, strlen(dn)) : NULL;
}

/* Returns a copy of generic parameter name of params, or NULL. */
static char *param_value(osip_list_t *params, const char *name)
{
	osip_generic_param_t *p = NULL;
	char key[16];

	copy_field(key, sizeof(key), name);
	if (osip_generic_param_get_byname(params, key, &p) != 0 || p == NULL)
		return NULL;
	return dup_s(p->gvalue);
}

/*
 * Generic parameters of params named name (any case).  More than one "tag"
 * (";tag=a;tag=b") is read as the first here, by libosip2, and may be
 * read as the last by the PBX (pjsip does): counted like a repeated header.
 */
static int param_count(osip_list_t *params, const char *name)
{
	osip_list_iterator_t it;
	osip_generic_param_t *p;
	int n = 0;

	for (p = osip_list_get_first(params, &it); p != NULL; p = osip_list_get_next(&it))
		if (p->gname != NULL && strcasecmp(p->gname, name) == 0)
			n++;
	return n;
}

/*
 * via_branch2 of a response: the branch of the second Via value (via.c),
 * after a comma of the first Via header or else the first value of the
 * second, read from the raw headers via_raw[] (copy_for_osip) since osip
 * is handed the top value only.
 */
static void take_via_branch2(struct ct_sip_msg *m, const struct ct_sip_span via_raw[2])
{
	const char *b;
	size_t bn;
	int r = -1;

	if (via_raw[0].p != NULL)
		r = ct_sip_via_branch(via_raw[0].p, via_raw[0].n, 1, &b, &bn);
	if (r < 0 && via_raw[1].p != NULL)
		r = ct_sip_via_branch(via_raw[1].p, via_raw[1].n, 0, &b, &bn);
	if (r > 0)
		m->via_branch2 = dup_n(b, bn);
}

/* Request/status line fields. */
static void take_start_line(struct ct_sip_msg *m, osip_message_t *sip)
{
	if (MSG_IS_REQUEST(sip)) {
		m->is_request = true;
		copy_field(m->method, sizeof(m->method), sip->sip_method);
		m->ruri_user = uri_user(sip->req_uri);
	} else {
		m->status = sip->status_code;
		m->reason_phrase = dup_s(sip->reason_phrase);
	}
}

/*
 * The Call-ID value v[0..n) as written (copy_for_osip's span of the first
 * Call-ID or "i" header, continuation lines included), folds and blank
 * runs read as one space, leading and trailing ones dropped, into
 * m->call_id.  CT_ERR when it is empty, CT_NOMEM.
 */
static int raw_call_id(struct ct_sip_msg *m, const char *v, size_t n)
{
	size_t i, o = 0;
	char *out;

	if (v == NULL || (out = malloc(n + 1)) == NULL)
		return v == NULL ? CT_ERR : CT_NOMEM;
	for (i = 0; i < n; i++) {
		if (v[i] == '\r' || v[i] == '\n' || v[i] == ' ' || v[i] == '\t') {
			if (o > 0 && out[o - 1] != ' ')
				out[o++] = ' ';   /* a blank run or a fold: one space */
			continue;
		}
		out[o++] = v[i];
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	if (o == 0) {
		free(out);
		return CT_ERR;
	}
	m->call_id = out;
	return CT_OK;
}

/*
 * Call-ID as written (raw_call_id): libosip2 splits it at the '@' and drops
 * blanks around it and an empty host ("num @ host", "num@"), and a PBX
 * compares the bytes: a BYE so written matched the call here while the PBX
 * answered 481.  libosip2's number@host when the text has none (it always
 * does when libosip2 found one).  Returns CT_ERR if absent.
 */
static int take_call_id(struct ct_sip_msg *m, osip_message_t *sip, const struct ct_sip_span *raw)
{
	osip_call_id_t *ci = osip_message_get_call_id(sip);
	size_t a, b;
	int rc;

	if (ci == NULL || ci->number == NULL || ci->number[0] == '\0')
		return CT_ERR;
	if ((rc = raw_call_id(m, raw->p, raw->n)) != CT_ERR)
		return rc;
	a = strlen(ci->number);
	b = ci->host ? strlen(ci->host) : 0;
	m->call_id = malloc(a + b + 2);
	if (m->call_id == NULL)
		return CT_NOMEM;
	memcpy(m->call_id, ci->number, a);
	m->call_id[a] = '\0';
	if (b > 0) {
		m->call_id[a] = '@';
		memcpy(m->call_id + a + 1, ci->host, b + 1);
	}
	return CT_OK;
}

/* CSeq number and method; CT_ERR when absent or not a 32-bit number. */
static int take_cseq(struct ct_sip_msg *m, osip_message_t *sip)
{
	osip_cseq_t *cs = osip_message_get_cseq(sip);
	unsigned long long v = 0;
	const char *p;

	if (cs == NULL || cs->number == NULL || cs->number[0] == '\0')
		return CT_ERR;
	for (p = cs->number; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return CT_ERR;
		v = v * 10 + (unsigned)(*p - '0');
		if (v > UINT32_MAX)
			return CT_ERR;
	}
	m->cseq = (uint32_t)v;
	copy_field(m->cseq_method, sizeof(m->cseq_method), cs->method);
	return CT_OK;
}

/* Sets *a to host when it is an IP literal (IPv6 with or without brackets); else unset. */
static void host_addr(struct ct_addr *a, const char *host)
{
	if (host == NULL || ct_addr_parse(a, host) != 0)
		memset(a, 0, sizeof(*a));
}

/* From, To, first Contact and top Via. */
static void take_addressing(struct ct_sip_msg *m, osip_message_t *sip)
{
	osip_from_t *from = osip_message_get_from(sip);
	osip_to_t *to = osip_message_get_to(sip);
	osip_contact_t *contact = NULL;
	osip_via_t *via = NULL;

	if (from != NULL) {
		m->from_user = uri_user(from->url);
		m->from_name = display_name(from->displayname);
		m->from_tag = param_value(&from->gen_params, "tag");
		if (param_count(&from->gen_params, "tag") > 1)
			m->repeated_headers++;
	}
	if (to != NULL) {
		m->to_user = uri_user(to->url);
		m->to_name = display_name(to->displayname);
		m->to_tag = param_value(&to->gen_params, "tag");
		if (param_count(&to->gen_params, "tag") > 1)
			m->repeated_headers++;
	}
	if (osip_message_get_contact(sip, 0, &contact) >= 0 && contact != NULL) {
		m->contact_user = uri_user(contact->url);
		if (contact->url != NULL)
			host_addr(&m->contact_addr, contact->url->host);
	}
	if (osip_message_get_via(sip, 0, &via) >= 0 && via != NULL) {
		m->via_branch = param_value(&via->via_params, "branch");
		host_addr(&m->via_addr, via->host);
	}
}

/*
 * The first '<' of v outside a quoted string, or NULL: a display name is a
 * quoted-string that may hold '<', '>' and quoted-pairs (RFC 3261 §25.1,
 * "Smith <Sales>" <sip:...>).  Matches prescan.c's reading.
 */
static const char *angle_open(const char *v)
{
	bool quoted = false;

	for (; *v != '\0'; v++) {
		if (quoted && *v == '\\' && v[1] != '\0')
			v++;
		else if (*v == '"')
			quoted = !quoted;
		else if (!quoted && *v == '<')
			return v;
	}
	return NULL;
}

/*
 * User of the URI of a header value v: the URI inside its first <...>
 * (angle_open: not one of a quoted display name), or, without angle
 * brackets, the value up to the first byte of stop (the parameters, and
 * for a list the next entry).  Malloc'ed; NULL when there is none.
 * P-Asserted-Identity (stop " \t;"), Diversion and History-Info (name-addr
 * lists, stop " \t;,").
 */
static char *value_uri_user(const char *hvalue, const char *stop)
{
	osip_uri_t *uri = NULL;
	const char *v, *lt, *gt;
	char *text, *user = NULL;

	v = hvalue + strspn(hvalue, " \t");
	lt = angle_open(v);
	gt = lt ? strchr(lt, '>') : NULL;
	if (lt != NULL && gt != NULL)
		text = dup_n(lt + 1, (size_t)(gt - lt - 1));
	else
		text = dup_n(v, strcspn(v, stop));
	if (text != NULL && osip_uri_init(&uri) == 0 && osip_uri_parse(uri, text) == 0)
		user = uri_user(uri);
	osip_uri_free(uri);
	free(text);
	return user;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * The Call-ID of the Replaces header embedded in a Refer-To value (RFC
 * 3891 §5: <sip:202@pbx?Replaces=abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2>):
 * percent-decoded, up to its first ';'.  Malloc'ed; NULL when there is none
 * (a blind transfer) or it is empty.  At most 256 bytes are decoded.
 */
static char *refer_replaces(const char *hvalue)
{
	const char *p = hvalue, *end;
	char out[257];
	size_t n = 0;

	for (; (p = strpbrk(p, "?&")) != NULL; p++)
		if (strncasecmp(p + 1, "replaces=", 9) == 0)
			break;
	if (p == NULL)
		return NULL;
	p += 10;
	end = p + strcspn(p, "&> \t");
	while (p < end && n < sizeof(out) - 1) {
		int hi, lo;

		if (*p == '%' && end - p >= 3 && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0) {
			out[n] = (char)(hi * 16 + lo);
			p += 3;
		} else {
			out[n] = *p++;
		}
		if (out[n] == ';')
			break;
		n++;
	}
	return n > 0 ? dup_n(out, n) : NULL;
}

/*
 * True when name is a header PBXes and proxies put the original Call-ID
 * (or another call correlation id) in: X-CID (Kamailio/OpenSIPS setups),
 * X-Orig-Call-ID, X-Original-Call-ID, X-Linked-Call-ID.
 */
static bool is_link_header(const char *name)
{
	static const char *const names[] = {
		"x-cid", "x-orig-call-id", "x-original-call-id", "x-linked-call-id",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(name, names[i]) == 0)
			return true;
	return false;
}

/*
 * The headers osip keeps as plain name/value pairs, in one pass over its
 * list (an iterator: osip_list_get(i) and osip_message_header_get_byname()
 * walk the list from its head at every call, quadratic in the header
 * count): the first P-Asserted-Identity, and every value of every Reason
 * header (RFC 3326): the first Q.850 cause, and the Q.850 text, else the
 * first text found.
 */
static void take_other_headers(struct ct_sip_msg *m, osip_message_t *sip)
{
	osip_list_iterator_t it;
	osip_header_t *h;
	struct ct_sip_reason reason;
	bool pai_seen = false, div_seen = false;
	char *rpid = NULL;
	const char *v;
	size_t n;

	ct_sip_reason_init(&reason);

	for (h = osip_list_get_first(&sip->headers, &it); h != NULL;
	    h = osip_list_get_next(&it)) {
		if (h->hname == NULL)
			continue;
		if (!pai_seen && strcasecmp(h->hname, "p-asserted-identity") == 0) {
			pai_seen = true;
			if (h->hvalue != NULL)
				m->pai_user = value_uri_user(h->hvalue, " \t;");
		} else if (rpid == NULL && h->hvalue != NULL &&
		    strcasecmp(h->hname, "remote-party-id") == 0) {
			rpid = value_uri_user(h->hvalue, " \t;,");
		} else if (m->link_id == NULL && h->hvalue != NULL && is_link_header(h->hname)) {
			v = h->hvalue + strspn(h->hvalue, " \t");
			m->link_id = dup_n(v, strcspn(v, " \t;,"));
		} else if (h->hvalue != NULL && strcasecmp(h->hname, "diversion") == 0) {
			/* Diversion (RFC 5806) wins over History-Info (RFC 7044). */
			if (!div_seen) {
				free(m->diversion_user);
				m->diversion_user = value_uri_user(h->hvalue, " \t;,");
				div_seen = true;
			}
		} else if (h->hvalue != NULL && m->diversion_user == NULL &&
		    strcasecmp(h->hname, "history-info") == 0) {
			m->diversion_user = value_uri_user(h->hvalue, " \t;,");
		} else if (h->hvalue != NULL && m->refer_to_user == NULL &&
		    (strcasecmp(h->hname, "refer-to") == 0 || strcasecmp(h->hname, "r") == 0)) {
			m->refer_to_user = value_uri_user(h->hvalue, " \t;,?");
			m->refer_replaces = refer_replaces(h->hvalue);
		} else if (h->hvalue != NULL && m->referred_by_user == NULL &&
		    (strcasecmp(h->hname, "referred-by") == 0 || strcasecmp(h->hname, "b") == 0)) {
			m->referred_by_user = value_uri_user(h->hvalue, " \t;,");
		} else if (h->hvalue != NULL && strcasecmp(h->hname, "reason") == 0) {
			ct_sip_reason_header(&reason, h->hvalue, strlen(h->hvalue));
		}
	}
	/*
	 * Remote-Party-ID (draft-ietf-sip-privacy-04, sent by older Cisco and
	 * Asterisk trunks) is PAI's predecessor: the sender's asserted
	 * identity when no P-Asserted-Identity gives one (red-team pass 9: an
	 * anonymous From with the number only there made a withheld caller).
	 */
	if (m->pai_user == NULL)
		m->pai_user = rpid;
	else
		free(rpid);
	m->q850_cause = reason.q850_cause;
	if (ct_sip_reason_text(&reason, &v, &n))
		m->reason_text = unquote_n(v, n);
}

static bool is_sdp_type(const osip_content_type_t *ct)
{
	return ct != NULL && ct->type != NULL && ct->subtype != NULL &&
	    strcasecmp(ct->type, "application") == 0 &&
	    strcasecmp(ct->subtype, "sdp") == 0;
}

/* Parses body b as SDP into m->sdp; has_sdp tells whether it was SDP. */
static void try_sdp(struct ct_sip_msg *m, const osip_body_t *b)
{
	if (b == NULL || b->body == NULL || b->length == 0)
		return;
	m->has_sdp = ct_sdp_parse(b->body, b->length, &m->sdp) == CT_OK;
	if (!m->has_sdp)
		memset(&m->sdp, 0, sizeof(m->sdp));
}

/*
 * An application/sdp body, or the first application/sdp part of a
 * multipart (walked with an iterator: osip_message_get_body(i) is O(i)).
 */
static void take_sdp(struct ct_sip_msg *m, osip_message_t *sip)
{
	osip_content_type_t *ct = osip_message_get_content_type(sip);
	osip_list_iterator_t it;
	osip_body_t *b = NULL;

	if (is_sdp_type(ct)) {
		if (osip_message_get_body(sip, 0, &b) >= 0)
			try_sdp(m, b);
		return;
	}
	if (ct == NULL || ct->type == NULL || strcasecmp(ct->type, "multipart") != 0)
		return;
	for (b = osip_list_get_first(&sip->bodies, &it); !m->has_sdp && b != NULL;
	    b = osip_list_get_next(&it))
		if (is_sdp_type(b->content_type))
			try_sdp(m, b);
}

/*
 * Length of the header section of s[0..len): up to and including the first
 * empty line (LF LF or LF CR LF), or len when there is none.
 */
static size_t header_len(const char *s, size_t len)
{
	const char *p = s, *end = s + len, *nl;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p = nl + 1;
		if (p < end && *p == '\n')
			return (size_t)(p + 1 - s);
		if (p + 1 < end && p[0] == '\r' && p[1] == '\n')
			return (size_t)(p + 2 - s);
	}
	return len;
}

/*
 * Blanks every CR of the header section s[0..hlen) that does not end a
 * line: a stray CR ("...@host\r\r\n" from some softphones) makes osip end
 * the header section there and silently drop the headers after it.  Also
 * turns every tab there outside a quoted string into a space: RFC 3261's
 * LWS and SWS allow a tab wherever they allow a space ("CSeq: 2<TAB>BYE",
 * "SIP/2.0/UDP<TAB>host", a display name then a tab), PBXs read them so,
 * and osip refused those messages: the pre-scan took them, but a message
 * that went to osip (the pre-scan cannot read it all, or --no-prescan) was
 * lost, so a caller who wrote tabs in every message of a call and one
 * header the pre-scan leaves to osip had no record at all.
 */
static void blank_odd_whitespace(char *s, size_t hlen)
{
	char *p = s, *end = s + hlen;
	bool quoted = false;

	while (p < end && (p = memchr(p, '\r', (size_t)(end - p))) != NULL) {
		if (p + 1 < end && p[1] != '\n')
			*p = ' ';
		p++;
	}
	for (p = s; p < end; p++) {   /* not inside a quoted string: its text is kept */
		if (*p == '\n')
			quoted = false;
		else if (*p == '"')
			quoted = !quoted;
		else if (*p == '\\' && quoted && p + 1 < end && p[1] != '\n')
			p++;
		else if (*p == '\t' && !quoted)
			*p = ' ';
	}
}

/*
 * Repairs, for a second attempt, two defects seen in real traffic that make
 * osip reject the whole message: a backslash before '"' outside a quoted
 * string (`f: \"name\" <sip:...>`; every such backslash is blanked) and an
 * empty parameter (";;" in a Via; the first ';' is blanked).  Works on the
 * header section s[0..hlen).  Returns whether anything was changed.
 */
static bool repair_headers(char *s, size_t hlen)
{
	bool changed = false;
	size_t i;

	for (i = 0; i + 1 < hlen; i++) {
		if ((s[i] == '\\' && s[i + 1] == '"') ||
		    (s[i] == ';' && s[i + 1] == ';')) {
			s[i] = ' ';
			changed = true;
		}
	}
	return changed;
}

/* What the copy handed to osip keeps of one header (see copy_for_osip). */
enum keep {
	KEEP_NONE = 0,      /* dropped: nothing we read */
	KEEP_ALL,           /* copied whole */
	KEEP_FIRST_VALUE    /* copied up to its first comma outside quotes and <> */
};

/*
 * Headers RFC 3261 §7.3.1/§20 allows once only, which osip reads: a second
 * one makes osip reject the whole message.  Each is named long and compact.
 */
static const char *const single_headers[][2] = {
	{ "from", "f" }, { "to", "t" }, { "call-id", "i" }, { "cseq", NULL },
	{ "content-type", "c" }, { "content-length", "l" }, { "mime-version", NULL },
};
#define N_SINGLE (sizeof(single_headers) / sizeof(single_headers[0]))
#define SINGLE_CALL_ID 2        /* index of call-id above */
#define SINGLE_CONTENT_TYPE 4   /* index of content-type above */

struct keep_state {
	unsigned via, contact, pai, reason;   /* headers of each kind seen */
	bool single_seen[N_SINGLE];  /* one of single_headers[] was kept */
	uint16_t repeated;  /* repeated single headers dropped */
	unsigned link, divert, hinfo;         /* correlation, Diversion, History-Info */
	unsigned refer, referred;             /* Refer-To, Referred-By */
	unsigned rpid;                        /* Remote-Party-ID */
	struct ct_sip_span via_raw[2]; /* values of the first two Via headers, raw
	                                  (continuation lines included) */
	bool in_via;        /* the current header is one of via_raw[] */
	struct ct_sip_span call_id_raw; /* value of the first Call-ID header, raw
	                                   (continuation lines included); p NULL: none */
	bool in_call_id;    /* the current header is that one */
	enum keep cur;      /* decision for the current header's lines */
	bool quoted;        /* KEEP_FIRST_VALUE: inside "..." */
	unsigned angle;     /* KEEP_FIRST_VALUE: inside <...> */
	bool multipart;     /* a Content-Type says multipart */
};

/* Case-insensitive: is name[0..n) the NUL-terminated lowercase word w? */
static bool name_is(const char *name, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(name, w, n) == 0;
}

/*
 * Index in single_headers[] of the header named name[0..n), or N_SINGLE
 * when it is not one of them.
 */
static size_t single_index(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < N_SINGLE; i++)
		if (name_is(name, n, single_headers[i][0]) ||
		    (single_headers[i][1] != NULL && name_is(name, n, single_headers[i][1])))
			return i;
	return N_SINGLE;
}

/*
 * Decides what to keep of the header whose line starts at line[0..n).  The
 * headers read from osip's tree: From, To, Call-ID, CSeq, Content-Type,
 * Content-Length and MIME-Version (body framing): the first occurrence
 * whole; a repeat of one of them (real UAs send a second Content-Type)
 * would make osip reject the whole message, so it is dropped and counted
 * (ks->repeated): the first one wins (over TCP the framer has already
 * refused two different Content-Length values).  The first value of the first Via and of the first
 * Contact, the first P-Asserted-Identity and the first MAX_REASON_HEADERS
 * Reason headers, the first correlation header (X-CID and the others of
 * is_link_header) and the first value of the first Diversion and
 * History-Info, Refer-To and Referred-By (PBX legs).  A line without a colon is kept for osip to judge.
 * Everything else is dropped (Max-Forwards among them, so a repeated one
 * never reaches osip).
 */
static enum keep keep_header(struct keep_state *ks, const char *line, size_t n)
{
	const char *colon = memchr(line, ':', n);
	size_t k, si;

	if (colon == NULL)
		return KEEP_ALL;
	for (k = (size_t)(colon - line); k > 0 && (line[k - 1] == ' ' || line[k - 1] == '\t'); k--)
		;
	if ((si = single_index(line, k)) < N_SINGLE) {
		const char *v = colon + 1, *end = line + n;

		if (ks->single_seen[si]) {
			if (ks->repeated < UINT16_MAX)
				ks->repeated++;
			return KEEP_NONE;
		}
		ks->single_seen[si] = true;
		if (si == SINGLE_CALL_ID) {
			ks->call_id_raw.p = v;
			ks->call_id_raw.n = (size_t)(end - v);
			ks->in_call_id = true;
		}
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		if (si == SINGLE_CONTENT_TYPE && (size_t)(end - v) >= 9 &&
		    strncasecmp(v, "multipart", 9) == 0)
			ks->multipart = true;
		return KEEP_ALL;
	}
	if (name_is(line, k, "via") || name_is(line, k, "v"))
		return ks->via++ == 0 ? KEEP_FIRST_VALUE : KEEP_NONE;
	if (name_is(line, k, "contact") || name_is(line, k, "m"))
		return ks->contact++ == 0 ? KEEP_FIRST_VALUE : KEEP_NONE;
	if (name_is(line, k, "p-asserted-identity"))
		return ks->pai++ == 0 ? KEEP_ALL : KEEP_NONE;
	if (name_is(line, k, "reason"))
		return ks->reason++ < MAX_REASON_HEADERS ? KEEP_ALL : KEEP_NONE;
	if (name_is(line, k, "diversion"))
		return ks->divert++ == 0 ? KEEP_FIRST_VALUE : KEEP_NONE;
	if (name_is(line, k, "history-info"))
		return ks->hinfo++ == 0 ? KEEP_FIRST_VALUE : KEEP_NONE;
	if (name_is(line, k, "refer-to") || name_is(line, k, "r"))
		return ks->refer++ == 0 ? KEEP_FIRST_VALUE : KEEP_NONE;
	if (name_is(line, k, "referred-by") || name_is(line, k, "b"))
		return ks->referred++ == 0 ? KEEP_FIRST_VALUE : KEEP_NONE;
	if (name_is(line, k, "remote-party-id"))
		return ks->rpid++ == 0 ? KEEP_FIRST_VALUE : KEEP_NONE;
	if (k > 2 && (line[0] == 'x' || line[0] == 'X') && line[1] == '-') {
		char name[24];

		if (k < sizeof(name)) {
			memcpy(name, line, k);
			name[k] = '\0';
			if (is_link_header(name))
				return ks->link++ == 0 ? KEEP_ALL : KEEP_NONE;
		}
	}
	return KEEP_NONE;
}

/*
 * Length of the first value in line[0..n) for KEEP_FIRST_VALUE: up to the
 * first comma outside "..." and <...> (state carried across folded lines in
 * ks), or n when the line has none.
 */
static size_t first_value_len(struct keep_state *ks, const char *line, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = line[i];

		if (ks->quoted) {
			if (c == '\\' && i + 1 < n)
				i++;
			else if (c == '"')
				ks->quoted = false;
		} else if (c == '"') {
			ks->quoted = true;
		} else if (c == '<') {
			ks->angle++;
		} else if (c == '>' && ks->angle > 0) {
			ks->angle--;
		} else if (c == ',' && ks->angle == 0) {
			return i;
		}
	}
	return n;
}

/*
 * Number of lines of body[0..n) that start with "--": multipart delimiters
 * (RFC 2046 §5.1.1) and the closing one.
 */
static size_t count_delimiters(const char *body, size_t n)
{
	const char *p = body, *end = body + n, *nl;
	size_t count = 0;

	while (p < end) {
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			count++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return count;
}

/*
 * libosip2 reads the headers of each part of a multipart body, and a second
 * Content-Type among one part's headers replaces the first without freeing
 * it (osip_body_set_contenttype; any header name starting "content-type"
 * counts): about 100 bytes lost for each crafted message, a leak any sender
 * can drive (found by the SIP fuzzer).  A part's headers end at its first
 * empty line, wherever osip starts them (its boundary search may start a
 * part mid-line), so in each stretch of body[0..n) between empty lines (a
 * run of CR and LF other than one CR, one LF or one CRLF) only the first
 * "content-type", in any case, is left as it is: each later one gets an
 * 'X' for its first letter.  The length stays (so Content-Length and the
 * boundaries still frame the body), osip keeps the renamed line as an
 * ordinary part header, and a part's type is its first Content-Type, as
 * for the message's own headers.  Text inside a part's content may be
 * renamed too; SDP has no such text.  Returns the number renamed.
 */
static unsigned tame_part_types(char *body, size_t n)
{
	size_t i = 0, j;
	unsigned renamed = 0;
	bool seen = false;

	while (i < n) {
		if (body[i] == '\r' || body[i] == '\n') {
			for (j = i; j < n && (body[j] == '\r' || body[j] == '\n'); j++)
				;
			if (j - i > 2 || (j - i == 2 && !(body[i] == '\r' && body[i + 1] == '\n')))
				seen = false;   /* an empty line */
			i = j;
		} else if ((body[i] | 0x20) == 'c' && n - i >= 12 &&
		    strncasecmp(body + i, "content-type", 12) == 0) {
			if (seen) {
				body[i] = 'X';
				renamed++;
			}
			seen = true;
			i += 12;
		} else {
			i++;
		}
	}
	return renamed;
}

/*
 * Copies the message buf[0..len) into out (room for len + 8 bytes) for
 * osip, in one pass: the start line, the headers keep_header() selects (a
 * header's folded continuation lines follow its decision), then the empty
 * line and the body unchanged.  osip appends every header it stores to a
 * list by walking the list from its head, so a message of n headers costs
 * it O(n^2); dropping what we never read keeps its work linear, and a
 * message with more than CT_SIP_MAX_HEADERS header lines, or a multipart
 * body of more than CT_SIP_MAX_PARTS parts (osip lists those the same way),
 * is refused.  A message without an empty line after its headers (Zoiper
 * sends UDP datagrams ending in "Content-Length: 0" without even a CRLF) is
 * whole, since the caller hands in whole datagrams or framed TCP messages:
 * its header section is closed so osip accepts it.  Sets *call_id_raw to
 * the first Call-ID header's value in buf as written (take_call_id; p NULL
 * when there is none).  Returns the length of the copy (NUL-terminated),
 * or CT_SIP_REFUSED.
 */
static ssize_t copy_for_osip(const char *buf, size_t len, char *out, uint16_t *kept,
    uint16_t *repeated, struct ct_sip_span via_raw[2], struct ct_sip_span *call_id_raw)
{
	const char *p = buf, *end = buf + len, *nl;
	struct keep_state ks;
	size_t o = 0, n, v, lines = 0;
	bool closed = false;

	memset(&ks, 0, sizeof(ks));
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl + 1 - p) : (size_t)(end - p);
		if (p == buf) {
			ks.cur = KEEP_ALL;                    /* start line */
		} else if (p[0] == '\n' || (n == 2 && p[0] == '\r' && p[1] == '\n')) {
			closed = p + n < end;                 /* empty line */
			if (ks.multipart && count_delimiters(p + n, (size_t)(end - p - n)) >
			    CT_SIP_MAX_PARTS + 1)
				return CT_SIP_REFUSED;
			memcpy(out + o, p, (size_t)(end - p));
			if (ks.multipart) {
				unsigned r = tame_part_types(out + o + n, (size_t)(end - p - n));

				ks.repeated = r > (unsigned)(UINT16_MAX - ks.repeated) ? UINT16_MAX :
				    (uint16_t)(ks.repeated + r);
			}
			o += (size_t)(end - p);
			break;
		} else if (++lines > CT_SIP_MAX_HEADERS) {
			return CT_SIP_REFUSED;
		} else if (p[0] != ' ' && p[0] != '\t') {
			unsigned vias = ks.via;

			ks.in_call_id = false;
			ks.cur = keep_header(&ks, p, n);
			ks.quoted = false;
			ks.angle = 0;
			ks.in_via = ks.via != vias && vias < 2;
			if (ks.in_via) {
				const char *colon = memchr(p, ':', n);

				ks.via_raw[vias].p = colon + 1;
				ks.via_raw[vias].n = (size_t)(p + n - colon - 1);
			}
		} else if (ks.in_via) {
			struct ct_sip_span *vr = &ks.via_raw[ks.via - 1];

			vr->n = (size_t)(p + n - vr->p);   /* a continuation line */
		} else if (ks.in_call_id) {
			ks.call_id_raw.n = (size_t)(p + n - ks.call_id_raw.p);
		}
		if (ks.cur == KEEP_FIRST_VALUE && (v = first_value_len(&ks, p, n)) < n) {
			memcpy(out + o, p, v);
			o += v;
			out[o++] = '\r';
			out[o++] = '\n';
			(*kept)++;
			ks.cur = KEEP_NONE;   /* the rest of this header */
		} else if (ks.cur != KEEP_NONE) {
			memcpy(out + o, p, n);
			o += n;
			if (p != buf)
				(*kept)++;
		}
		p += n;
	}
	if (!closed) {
		if (o == 0 || out[o - 1] != '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
		}
		out[o++] = '\r';
		out[o++] = '\n';
	}
	out[o] = '\0';
	*repeated = ks.repeated;
	via_raw[0] = ks.via_raw[0];
	via_raw[1] = ks.via_raw[1];
	*call_id_raw = ks.call_id_raw;
	return (ssize_t)o;
}

/*
 * Runs osip on the NUL-terminated copy s[0..len), which it may repair in
 * place; NULL when osip fails even after the repairs.
 */
static osip_message_t *osip_parse(char *s, size_t len)
{
	osip_message_t *sip = NULL;
	size_t hlen = header_len(s, len);

	blank_odd_whitespace(s, hlen);
	if (osip_message_init(&sip) != 0)
		return NULL;
	if (osip_message_parse(sip, s, len) == 0)
		return sip;
	osip_message_free(sip);
	sip = NULL;
	if (!repair_headers(s, hlen) || osip_message_init(&sip) != 0)
		return NULL;
	if (osip_message_parse(sip, s, len) == 0)
		return sip;
	osip_message_free(sip);
	return NULL;
}

/* Zeroes m except the four fields the caller sets before parsing. */
static void reset_keep_caller_fields(struct ct_sip_msg *m)
{
	int64_t ts_us = m->ts_us;
	struct ct_tuple t = m->t;
	uint16_t vlan = m->vlan;
	uint8_t transport = m->transport;

	memset(m, 0, sizeof(*m));
	m->ts_us = ts_us;
	m->t = t;
	m->vlan = vlan;
	m->transport = transport;
	m->q850_cause = -1;
}

/*
 * Parses one whole SIP message buf[0..len) (no NUL needed) into *m.  The
 * caller fills m->ts_us, m->t, m->vlan and m->transport before the call;
 * every other field is cleared first and set here (strings are malloc'ed
 * copies owned by m: release them with ct_sip_msg_fini()).  m must not hold
 * strings from an earlier parse: fini it first.  Returns CT_OK; CT_ERR when
 * the message is malformed or lacks a Call-ID or a valid CSeq;
 * CT_SIP_REFUSED, before any parsing, when it is longer than
 * CT_SIP_MAX_BYTES, has more than CT_SIP_MAX_HEADERS header lines or more
 * than CT_SIP_MAX_PARTS multipart body parts;
 * CT_NOMEM when memory runs out.  Time is linear in len.  On error m holds
 * no strings (the caller's four fields are kept) and is safe to fini.
 * ct_sip_init() must have been called.
 */
int ct_sip_msg_parse(struct ct_sip_msg *m, const char *buf, size_t len)
{
	osip_message_t *sip = NULL;
	struct ct_sip_span via_raw[2], call_id_raw;
	char *copy;
	ssize_t clen;
	int rc = CT_ERR;

	reset_keep_caller_fields(m);
	if (buf == NULL || len == 0)
		return CT_ERR;
	if (len > CT_SIP_MAX_BYTES)
		return CT_SIP_REFUSED;
	copy = malloc(len + 8);
	if (copy == NULL)
		return CT_NOMEM;
	clen = copy_for_osip(buf, len, copy, &m->osip_lines, &m->repeated_headers, via_raw,
	    &call_id_raw);
	if (clen < 0) {
		free(copy);
		return (int)clen;
	}
	len = (size_t)clen;
	sip = osip_parse(copy, len);
	if (sip == NULL)
		goto fail;
	take_start_line(m, sip);
	rc = take_call_id(m, sip, &call_id_raw);
	if (rc != CT_OK)
		goto fail;
	rc = take_cseq(m, sip);
	if (rc != CT_OK)
		goto fail;
	/*
	 * No Via (RFC 3261 §8.1.1.7, §20.42: nobody can answer it), or a
	 * request whose CSeq names another method (§8.1.1.5: it MUST match):
	 * its receiver drops or refuses it (400), so no party acts on it, and
	 * neither does calltap (a BYE so written ended the call at once).
	 */
	if (osip_list_size(&sip->vias) <= 0 ||
	    (m->is_request && strcmp(m->cseq_method, m->method) != 0)) {
		rc = CT_ERR;
		goto fail;
	}
	take_addressing(m, sip);
	if (!m->is_request)
		take_via_branch2(m, via_raw);
	take_other_headers(m, sip);
	take_sdp(m, sip);
fail:
	if (sip != NULL)
		osip_message_free(sip);
	free(copy);
	if (rc != CT_OK) {
		ct_sip_msg_fini(m);
		reset_keep_caller_fields(m);
	}
	return rc;
}

/*
 * Frees the strings of m and sets them to NULL; other fields are left as
 * they are.  Safe on a zeroed struct and when called twice; m NULL is a
 * no-op.
 */
void ct_sip_msg_fini(struct ct_sip_msg *m)
{
	if (m == NULL)
		return;
	free(m->reason_phrase);
	free(m->call_id);
	free(m->ruri_user);
	free(m->from_user);
	free(m->from_name);
	free(m->from_tag);
	free(m->to_user);
	free(m->to_name);
	free(m->to_tag);
	free(m->contact_user);
	free(m->pai_user);
	free(m->via_branch);
	free(m->via_branch2);
	free(m->reason_text);
	free(m->link_id);
	free(m->diversion_user);
	free(m->refer_to_user);
	free(m->refer_replaces);
	free(m->referred_by_user);
	m->link_id = m->diversion_user = NULL;
	m->refer_to_user = m->refer_replaces = m->referred_by_user = NULL;
	m->reason_phrase = m->call_id = m->ruri_user = NULL;
	m->from_user = m->from_name = m->from_tag = NULL;
	m->to_user = m->to_name = m->to_tag = NULL;
	m->contact_user = m->pai_user = m->via_branch = m->reason_text = NULL;
	m->via_branch2 = NULL;
	m->has_sdp = false;
}
