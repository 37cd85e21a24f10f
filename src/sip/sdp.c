/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SDP media descriptions: a small line-based parser that keeps only what an
 * RTP analyzer needs — connection addresses, m= lines with their port
 * count and codecs (static RFC 3551 names, overridden by a=rtpmap),
 * direction attributes,
 * a=ptime and a=rtcp (RFC 3605, its port), and whether the m= line's
 * proto is SRTP (its codecs flagged CT_SDP_SRTP: the payloads are
 * encrypted, RFC 3711; RTP/SAVPF RFC 5124, UDP/TLS/RTP/SAVP[F] RFC 5764).  Input is one SIP body (usually
 * < 2 KiB, a handful of m= lines), read with explicit bounds, no NUL
 * terminator needed; nothing is allocated.  It is tolerant: unknown or
 * malformed lines are skipped, media past CT_SDP_MAX_MEDIA and codecs past
 * CT_SDP_MAX_CODECS are ignored, and session-level c= and direction
 * attributes apply to every media lacking its own, wherever they appear.
 * References: RFC 8866 §5 (SDP lines: c= §5.7, m= §5.14, a= §6), RFC 3264
 * §5.1, §6.1 (offer/answer, direction attributes, port 0), RFC 3551 §6
 * tables 4 and 5 (static payload types).
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "calltap/err.h"
#include "calltap/packet.h"
#include "calltap/rtp.h"
#include "calltap/sip.h"
#include "ipv4.h"

/* A borrowed slice of the SDP text. */
struct span {
	const char *p;
	size_t n;
};

/* Parser state beyond what struct ct_sdp records. */
struct sdp_state {
	struct ct_sdp *out;
	struct ct_sdp_media *cur;             /* media taking a= lines, or NULL */
	bool skipping;                        /* inside a media past the cap */
	bool seen;                            /* saw v= or m= */
	bool sess_dir_set;
	enum ct_sdp_dir sess_dir;
	bool own_conn[CT_SDP_MAX_MEDIA];
	bool own_dir[CT_SDP_MAX_MEDIA];
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* Splits the next whitespace-separated token off *s; false when none. */
static bool next_token(struct span *s, struct span *tok)
{
	const char *p = s->p, *e = s->p + s->n;   /* locals: no store per byte */

	while (p < e && is_ws(*p))
		p++;
	if (p == e) {
		s->p = p;
		s->n = 0;
		return false;
	}
	tok->p = p;
	while (p < e && !is_ws(*p))
		p++;
	tok->n = (size_t)(p - tok->p);
	s->p = p;
	s->n = (size_t)(e - p);
	return true;
}

static bool span_eq(struct span s, const char *lit)
{
	return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

/* Parses a decimal number of at most max; false when s is not one. */
static bool span_uint(struct span s, uint32_t max, uint32_t *v)
{
	uint64_t r = 0;   /* 10 digits fit: one compare at the end, no division per digit */
	size_t i;

	if (s.n == 0 || s.n > 10)
		return false;
	for (i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		r = r * 10 + (uint64_t)(s.p[i] - '0');
	}
	if (r > max)
		return false;
	*v = (uint32_t)r;
	return true;
}

/* Cuts s at the first occurrence of c (keeps the part before it). */
static struct span span_before(struct span s, char c)
{
	const char *q = memchr(s.p, c, s.n);

	if (q != NULL)
		s.n = (size_t)(q - s.p);
	return s;
}

/* Copies s into dst[size] as a truncated, NUL-terminated string. */
static void span_copy(char *dst, size_t size, struct span s)
{
	size_t n = s.n < size - 1 ? s.n : size - 1;

	memcpy(dst, s.p, n);
	dst[n] = '\0';
}

/* c=IN IP4 addr[/ttl[/n]] or c=IN IP6 addr[/n]; a is left unset if bad. */
static void parse_conn(struct span v, struct ct_addr *a)
{
	struct span net, type, addr;
	char text[CT_ADDRSTRLEN + 2];

	if (v.n > 7 && memcmp(v.p, "IN IP4 ", 7) == 0 && !is_ws(v.p[7])) {
		/* the usual spelling: one blank each, the address next */
		v.p += 7;
		v.n -= 7;
		if (!next_token(&v, &addr))
			return;
	} else if (!next_token(&v, &net) || !next_token(&v, &type) ||
	    !next_token(&v, &addr) || !span_eq(net, "IN") ||
	    (!span_eq(type, "IP4") && !span_eq(type, "IP6"))) {
		return;
	}
	addr = span_before(addr, '/');
	if (addr.n == 0 || addr.n >= sizeof(text) || ct_sip_fast_ipv4(a, addr.p, addr.n))
		return;
	span_copy(text, sizeof(text), addr);
	if (ct_addr_parse(a, text) != 0)
		memset(a, 0, sizeof(*a));
}

/* dst = src cut to size - 1 bytes, as snprintf(dst, size, "%s", src) (per SDP codec: no format). */
static void copy_cut(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Appends payload type pt to m with its static name, if room is left. */
static void add_codec(struct ct_sdp_media *m, uint8_t pt)
{
	struct ct_sdp_codec *c;
	const char *name;
	uint32_t rate = 0;

	if (m->n_codecs >= CT_SDP_MAX_CODECS)
		return;
	c = &m->codecs[m->n_codecs++];
	c->pt = pt;
	c->channels = 1;
	name = ct_rtp_static_codec(pt, &rate);
	if (name != NULL) {
		copy_cut(c->name, sizeof(c->name), name);
		c->channels = ct_rtp_static_pt(pt)->channels;
	}
	c->rate = rate;
}

/*
 * The <number of ports> after the slash of an m= port (RFC 8866 §5.14:
 * "m=video 49170/2 RTP/AVP 31" is RTP on 49170 and 49172, RTCP on 49171
 * and 49173), cut so that the last RTP port, port + 2 * (n - 1), is a
 * port.  1 when there is no slash, and when the count is not a number from
 * 1 to 65535 (tolerated: the first port is kept, as before).
 */
static uint16_t port_count(struct span port_tok, uint32_t port)
{
	struct span cnt = span_before(port_tok, '/');
	uint32_t n, fit = (65535 - port) / 2 + 1;

	if (cnt.n == port_tok.n)
		return 1;
	cnt.p = port_tok.p + cnt.n + 1;
	cnt.n = port_tok.n - cnt.n - 1;
	if (!span_uint(cnt, 65535, &n) || n == 0)
		return 1;
	return (uint16_t)(n < fit ? n : fit);
}

/* m=<media> <port>[/<number of ports>] <proto> <fmt> ... (RFC 8866 §5.14). */
/*
 * Whether proto (an m= line's, e.g. "RTP/SAVP") is one of SRTP's: its last
 * '/'-separated part is SAVP or SAVPF (RFC 3711, 5124, 5764).
 */
static bool proto_srtp(struct span proto)
{
	size_t i = proto.n;

	while (i > 0 && proto.p[i - 1] != '/')
		i--;
	return (proto.n - i == 4 && memcmp(proto.p + i, "SAVP", 4) == 0) ||
	    (proto.n - i == 5 && memcmp(proto.p + i, "SAVPF", 5) == 0);
}

static void parse_media(struct sdp_state *st, struct span v)
{
	struct ct_sdp_media *m;
	struct span type, port, proto, fmt;
	uint32_t num;

	st->cur = NULL;
	st->skipping = true;
	if (st->out->n_media >= CT_SDP_MAX_MEDIA)
		return;
	if (!next_token(&v, &type) || !next_token(&v, &port) ||
	    !next_token(&v, &proto) ||
	    !span_uint(span_before(port, '/'), 65535, &num))
		return;
	m = &st->out->media[st->out->n_media++];
	memset(m, 0, sizeof(*m));
	span_copy(m->type, sizeof(m->type), type);
	span_copy(m->proto, sizeof(m->proto), proto);
	m->srtp = proto_srtp(proto);
	m->port = (uint16_t)num;
	m->n_ports = port_count(port, num);
	while (next_token(&v, &fmt))
		if (span_uint(fmt, 127, &num))
			add_codec(m, (uint8_t)num);
	st->cur = m;
	st->skipping = false;
}

/* a=rtpmap:<pt> <name>/<rate>[/<channels>] (RFC 8866 §6.6). */
static void parse_rtpmap(struct ct_sdp_media *m, struct span v)
{
	struct span pt, enc, name, rest;
	uint32_t num, rate, ch = 1;
	const char *slash, *slash2;
	uint8_t i;

	if (!next_token(&v, &pt) || !span_uint(pt, 127, &num) ||
	    !next_token(&v, &enc))
		return;
	name = span_before(enc, '/');
	slash = name.n < enc.n ? enc.p + name.n : NULL;
	if (slash == NULL || name.n == 0)
		return;
	rest.p = slash + 1;
	rest.n = enc.n - name.n - 1;
	slash2 = memchr(rest.p, '/', rest.n);
	if (slash2 != NULL) {
		struct span chs = { slash2 + 1, (size_t)(rest.p + rest.n - slash2 - 1) };

		if (!span_uint(chs, 255, &ch) || ch == 0)
			ch = 1;
		rest.n = (size_t)(slash2 - rest.p);
	}
	if (!span_uint(rest, UINT32_MAX, &rate))
		return;
	for (i = 0; i < m->n_codecs; i++) {
		if (m->codecs[i].pt != num)
			continue;
		span_copy(m->codecs[i].name, sizeof(m->codecs[i].name), name);
		m->codecs[i].rate = rate;
		m->codecs[i].channels = (uint8_t)ch;
	}
}

/*
 * a=fmtp:<pt> <param>[;<param>]... (RFC 8866 §6.15): only what decoding
 * needs, octet-align=1 (RFC 4867 §8.1; absent or 0: bandwidth-efficient).
 */
static void parse_fmtp(struct ct_sdp_media *m, struct span v)
{
	struct span pt, par;
	uint32_t num;
	uint8_t fmt = 0, i;

	if (!next_token(&v, &pt) || !span_uint(pt, 127, &num))
		return;
	while (v.n > 0) {
		par = span_before(v, ';');
		v.p += par.n + (par.n < v.n);
		v.n -= par.n + (par.n < v.n);
		while (par.n > 0 && is_ws(*par.p)) {
			par.p++;
			par.n--;
		}
		while (par.n > 0 && is_ws(par.p[par.n - 1]))
			par.n--;
		if (span_eq(par, "octet-align=1"))
			fmt |= CT_SDP_OCTET_ALIGN;
	}
	for (i = 0; i < m->n_codecs; i++)
		if (m->codecs[i].pt == num)
			m->codecs[i].fmt = fmt;
}

/* Returns the direction named by attribute a, or -1 when it is none. */
static int dir_attr(struct span a)
{
	static const char *const names[] = {
		[CT_SDP_SENDRECV] = "sendrecv", [CT_SDP_SENDONLY] = "sendonly",
		[CT_SDP_RECVONLY] = "recvonly", [CT_SDP_INACTIVE] = "inactive",
	};
	int i;

	if (a.n != 8)   /* every name is 8 bytes: most attributes stop here */
		return -1;
	for (i = 0; i < 4; i++)
		if (memcmp(a.p, names[i], 8) == 0)
			return i;
	return -1;
}

/* a=<attribute>[:<value>] at session level (cur == NULL) or media level. */
static void parse_attr(struct sdp_state *st, struct span v)
{
	struct span name = span_before(v, ':'), val, tok;
	uint32_t num;
	int dir;

	val.p = v.p + name.n + (name.n < v.n);
	val.n = v.n - name.n - (name.n < v.n);
	dir = dir_attr(name);
	if (dir >= 0 && st->cur == NULL && !st->skipping) {
		st->sess_dir = (enum ct_sdp_dir)dir;
		st->sess_dir_set = true;
	} else if (dir >= 0 && st->cur != NULL) {
		st->cur->dir = (enum ct_sdp_dir)dir;
		st->own_dir[st->cur - st->out->media] = true;
	} else if (st->cur != NULL && span_eq(name, "rtpmap")) {
		parse_rtpmap(st->cur, val);
	} else if (st->cur != NULL && span_eq(name, "fmtp")) {
		parse_fmtp(st->cur, val);
	} else if (st->cur != NULL && span_eq(name, "ptime") &&
	    next_token(&val, &tok) && span_uint(span_before(tok, '.'), 65535, &num)) {
		st->cur->ptime = (uint16_t)num;
	} else if (st->cur != NULL && span_eq(name, "rtcp") &&
	    next_token(&val, &tok) && span_uint(tok, 65535, &num) && num != 0) {
		st->cur->rtcp_port = (uint16_t)num;   /* RFC 3605: a=rtcp:<port> [IN IP4 <addr>] */
	}
}

/* Dispatches one line ("x=value", CR/LF already stripped). */
static void parse_line(struct sdp_state *st, struct span line)
{
	struct span v;

	if (line.n < 2 || line.p[1] != '=')
		return;
	v.p = line.p + 2;
	v.n = line.n - 2;
	switch (line.p[0]) {
	case 'v':
		st->seen = true;
		break;
	case 'm':
		st->seen = true;
		parse_media(st, v);
		break;
	case 'c':
		if (st->cur != NULL) {
			parse_conn(v, &st->cur->addr);
			st->own_conn[st->cur - st->out->media] = true;
		} else if (!st->skipping) {
			parse_conn(v, &st->out->conn);
		}
		break;
	case 'a':
		parse_attr(st, v);
		break;
	default:
		break;
	}
}

/* Applies session-level c= and direction to media without their own. */
static void apply_session_defaults(struct sdp_state *st)
{
	uint8_t i, k;

	for (i = 0; i < st->out->n_media; i++) {
		if (st->out->media[i].srtp)
			for (k = 0; k < st->out->media[i].n_codecs; k++)
				st->out->media[i].codecs[k].fmt |= CT_SDP_SRTP;
		if (!st->own_conn[i])
			st->out->media[i].addr = st->out->conn;
		if (!st->own_dir[i])
			st->out->media[i].dir = st->sess_dir_set ?
			    st->sess_dir : CT_SDP_SENDRECV;
	}
}

/*
 * Parses the SDP text[0..len) (lines end in CRLF or LF; no NUL needed)
 * into *out: conn and n_media, and media[0..n_media) (zeroed first; the
 * entries past n_media are left as they were, unspecified).  text may be NULL when len is 0.
 * Returns CT_OK when the text looked like SDP (it had a v= or an m= line),
 * CT_ERR otherwise (*out then holds whatever was found, normally nothing).
 * Malformed lines are skipped; extra media and codecs are dropped.
 */
int ct_sdp_parse(const char *text, size_t len, struct ct_sdp *out)
{
	struct sdp_state st;
	struct span line;
	const char *p, *end, *nl;

	/* Only the header: each media entry is zeroed when an m= line takes it
	 * (the whole struct is 5 KB, more than the parse of a usual body). */
	memset(&out->conn, 0, sizeof(out->conn));
	out->n_media = 0;
	memset(&st, 0, sizeof(st));
	st.out = out;
	if (text == NULL)
		len = 0;
	p = text;
	end = len > 0 ? text + len : text;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		line.p = p;
		line.n = (size_t)((nl ? nl : end) - p);
		if (line.n > 0 && line.p[line.n - 1] == '\r')
			line.n--;
		parse_line(&st, line);
		p = nl ? nl + 1 : end;
	}
	apply_session_defaults(&st);
	return st.seen ? CT_OK : CT_ERR;
}
