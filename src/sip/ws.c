/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SIP over WebSocket (RFC 7118) on a TCP stream, and the stream consumer
 * that picks between it and plain SIP over TCP.  A stream starts as SIP
 * (frame.c frames it).  At a message boundary an HTTP request ("GET ") or
 * response ("HTTP/") is read up to its empty line: a request that asks for
 * `Upgrade: websocket` with `Sec-WebSocket-Protocol: sip`, or a `101`
 * response that agrees to `sip`, switches that direction to WebSocket
 * framing (RFC 6455 §4: the client sends frames after the request, the
 * server after its 101; each direction is decided on its own, so no state
 * is shared between them).  Any other HTTP message is consumed and the
 * stream stays as it was.  `wss` is TLS: it never reaches here readable.
 *
 * In WebSocket mode each data message (a text or binary frame with FIN, or
 * such a frame without FIN and its continuation frames) is one SIP message
 * (RFC 7118 §5.2).  Frames (RFC 6455 §5.2): FIN, RSV1-3, opcode; 7-bit
 * length, or 126 and 16 bits, or 127 and 64 bits (top bit 0); a 4-byte
 * masking key when MASK is set (client frames: payload XOR key, §5.3).
 * Control frames (close 8, ping 9, pong 10; FIN set, at most 125 bytes)
 * are skipped, also between the fragments of a message (§5.4).  A message
 * is bounded by CT_WS_MAX_MESSAGE: a longer one is counted and its bytes
 * skipped as they come, never held.  Frames with an RSV bit (a compression
 * extension we cannot undo) are counted and skipped.  An unknown opcode, a
 * continuation without a message, a bad control frame or a 64-bit length
 * with its top bit set is a framing error: counted, then the stream is
 * searched for the next frame that carries the start of a SIP message
 * (resync), as after a TCP gap.  On a stream whose upgrade was not
 * captured (a sensor started on a live connection), a message boundary that
 * is a WebSocket frame carrying SIP switches to WebSocket mode, and so does
 * such a frame found by that search in the first WS_SNIFF_BYTES seen of a
 * direction when they do not start a SIP message.
 *
 * Nothing is copied for an unmasked single-frame message; a masked or
 * fragmented one is unmasked into one allocation per SIP message.  Frames
 * walked once are not walked again while a fragmented message grows
 * (scan->done is the offset of the next frame header, scan->need the
 * payload bytes so far), so each byte is examined O(1) times.
 * References: RFC 6455 §4.1, §4.2.2, §5.2-5.5, §11.3.4; RFC 7118 §4, §5.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/reasm.h"
#include "calltap/sip.h"

/* struct ct_tcp_scan.mode values (kept across gaps by the reassembler). */
enum {
	MODE_SIP = 0,   /* SIP over TCP framing (frame.c owns done/need/phase) */
	MODE_HTTP,      /* reading an HTTP header: done = bytes searched */
	MODE_WS         /* WebSocket frames: done/need/phase as below */
};

/* struct ct_tcp_scan.phase flags in MODE_WS. */
enum {
	WS_SKIP = 1,    /* need = payload bytes still to drop */
	WS_DISCARD = 2, /* drop data frames up to the one with FIN */
	WS_RESYNC = 4   /* search for the next frame carrying a SIP start */
};

#define HTTP_MAX_HEADER (16u * 1024u)
#define WS_MAX_HDR 14
#define WS_CTRL_MAX 125
#define WS_PEEK 32      /* payload bytes unmasked to recognise a SIP start */
#define WS_SNIFF_BYTES 4096 /* first bytes of a direction searched for a frame */

enum {
	OP_CONT = 0, OP_TEXT = 1, OP_BINARY = 2,
	OP_CLOSE = 8, OP_PING = 9, OP_PONG = 10
};

struct ws_hdr {
	bool fin;
	bool rsv;           /* any RSV bit set */
	uint8_t opcode;
	bool masked;
	uint8_t key[4];
	uint64_t plen;      /* payload length */
	size_t hlen;        /* header length, 2..14 */
};

/* Result of parsing a frame header. */
enum hdr_result { HDR_BAD = -1, HDR_PARTIAL = 0, HDR_OK = 1 };

/*
 * Parses the frame header at p[0..len).  HDR_BAD for a reserved opcode, a
 * control frame that is fragmented or longer than 125 bytes, or a 64-bit
 * length with its top bit set (RFC 6455 §5.2); HDR_PARTIAL when the header
 * is not all there.
 */
static enum hdr_result parse_hdr(const uint8_t *p, size_t len, struct ws_hdr *h)
{
	size_t i, n;
	uint8_t b;

	if (len < 2)
		return HDR_PARTIAL;
	h->fin = (p[0] & 0x80) != 0;
	h->rsv = (p[0] & 0x70) != 0;
	h->opcode = p[0] & 0x0f;
	h->masked = (p[1] & 0x80) != 0;
	b = p[1] & 0x7f;
	if ((h->opcode > OP_BINARY && h->opcode < OP_CLOSE) || h->opcode > OP_PONG)
		return HDR_BAD;
	n = b == 126 ? 2 : b == 127 ? 8 : 0;
	h->hlen = 2 + n + (h->masked ? 4 : 0);
	if (len < h->hlen)
		return HDR_PARTIAL;
	if (n == 0) {
		h->plen = b;
	} else {
		h->plen = 0;
		for (i = 0; i < n; i++)
			h->plen = h->plen << 8 | p[2 + i];
		if (n == 8 && (p[2] & 0x80) != 0)
			return HDR_BAD;
	}
	if (h->opcode >= OP_CLOSE && (!h->fin || h->plen > WS_CTRL_MAX))
		return HDR_BAD;
	if (h->masked)
		memcpy(h->key, p + 2 + n, 4);
	return HDR_OK;
}

/* Copies n payload bytes starting at payload offset off into dst, unmasked. */
static void unmask(uint8_t *dst, const uint8_t *src, size_t n, const struct ws_hdr *h,
    size_t off)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = h->masked ? (uint8_t)(src[i] ^ h->key[(off + i) & 3]) : src[i];
}

static bool is_upper(uint8_t c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_lower_or_digit(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/*
 * True when s[0..n) can start a SIP message: "SIP/2.0 " and a digit, or an
 * upper-case method, a space and a URI scheme ("sip:", "sips:", "tel:",
 * "urn:"); false when it cannot, or when n is too short to tell (partial).
 */
static bool sip_start(const uint8_t *s, size_t n, bool *partial)
{
	static const char ver[] = "SIP/2.0 ";
	size_t i, k;

	*partial = false;
	for (i = 0; i < n && i < 8 && s[i] == (uint8_t)ver[i]; i++)
		;
	if (i == 8)
		return n > 8 ? s[8] >= '1' && s[8] <= '6' : (*partial = true, false);
	if (i == n)
		return (*partial = true, false);  /* a prefix of "SIP/2.0 " */
	for (i = 0; i < n && i < 32 && is_upper(s[i]); i++)
		;
	if (i == n)
		return (*partial = true, false);
	if (i == 0 || s[i] != ' ')
		return false;
	for (k = i + 1; k < n && k < i + 8 && is_lower_or_digit(s[k]); k++)
		;
	if (k == n)
		return (*partial = true, false);
	return k > i + 1 && s[k] == ':';
}

/*
 * True when p[0..len) starts with a text/binary frame (FIN or not, no RSV)
 * whose payload begins like a SIP message; *partial when len is too short
 * to tell.
 */
static bool frame_carries_sip(const uint8_t *p, size_t len, bool *partial)
{
	struct ws_hdr h;
	uint8_t peek[WS_PEEK];
	size_t n;

	*partial = false;
	switch (parse_hdr(p, len, &h)) {
	case HDR_PARTIAL:
		*partial = true;
		return false;
	case HDR_BAD:
		return false;
	case HDR_OK:
		break;
	}
	if (h.rsv || (h.opcode != OP_TEXT && h.opcode != OP_BINARY) || h.plen < 12 ||
	    h.plen > CT_WS_MAX_MESSAGE)
		return false;
	n = len - h.hlen;
	if (n > sizeof(peek))
		n = sizeof(peek);
	if (n > h.plen)
		n = (size_t)h.plen;
	unmask(peek, p + h.hlen, n, &h, 0);
	if (sip_start(peek, n, partial))
		return true;
	if (*partial && n == h.plen)
		*partial = false;
	return false;
}

/*
 * Returns the offset of the first frame in p[0..len) that carries the start
 * of a SIP message, or of the first place where len is too short to tell;
 * len when there is none (every byte before the result can be dropped).
 */
static size_t ws_resync(const uint8_t *p, size_t len)
{
	size_t i;
	bool partial;

	for (i = 0; i < len; i++) {
		uint8_t op = p[i] & 0x0f;

		if ((p[i] & 0x70) != 0 || (op != OP_TEXT && op != OP_BINARY))
			continue;
		if (frame_carries_sip(p + i, len - i, &partial) || partial)
			return i;
	}
	return len;
}

/* Case-insensitive search for the token tok in v[0..n) (comma/space separated). */
static bool has_token(const char *v, size_t n, const char *tok)
{
	size_t tl = strlen(tok), i = 0, s, k;

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t' && v[i] != ';' &&
		    v[i] != '\r')
			i++;
		if (i - s == tl) {
			for (k = 0; k < tl; k++) {
				char c = v[s + k];

				if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != tok[k])
					break;
			}
			if (k == tl)
				return true;
		}
		while (i < n && v[i] != ',')
			i++;
	}
	return false;
}

/*
 * True when the header section hdr[0..n) has a header `name` (lower case)
 * whose value holds the token tok (lower case).
 */
static bool header_has(const char *hdr, size_t n, const char *name, const char *tok)
{
	const char *p = hdr, *end = hdr + n, *eol, *colon;
	size_t nl = strlen(name), k;

	for (; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL || (size_t)(colon - p) != nl)
			continue;
		for (k = 0; k < nl; k++) {
			char c = p[k];

			if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != name[k])
				break;
		}
		if (k == nl && has_token(colon + 1, (size_t)(eol - colon - 1), tok))
			return true;
	}
	return false;
}

/* Length of the HTTP header section in buf (through its empty line), 0 if not whole. */
static size_t http_header_end(const char *buf, size_t len, size_t from)
{
	const char *p = buf + from, *end = buf + len, *nl;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p = nl + 1;
		if (p < end && *p == '\n')
			return (size_t)(p + 1 - buf);
		if (p + 1 < end && p[0] == '\r' && p[1] == '\n')
			return (size_t)(p + 2 - buf);
	}
	return 0;
}

/* True when buf[0..len) starts with (a prefix of) lit. */
static bool starts(const char *buf, size_t len, const char *lit, bool *partial)
{
	size_t n = strlen(lit);

	*partial = len < n;
	return memcmp(buf, lit, len < n ? len : n) == 0;
}

/*
 * Reads an HTTP message header at buf (MODE_HTTP): returns its length once
 * whole, switching scan->mode to MODE_WS for a SIP WebSocket upgrade and
 * back to MODE_SIP otherwise; 0 while it is incomplete; len (all dropped,
 * back to MODE_SIP) past HTTP_MAX_HEADER.
 */
static size_t http_consume(const char *buf, size_t len, struct ct_tcp_scan *scan)
{
	size_t from = scan->done >= 3 ? scan->done - 3 : 0, hlen;
	bool upgrade, request;

	hlen = http_header_end(buf, len, from);
	scan->work += len - from;
	if (hlen == 0) {
		if (len < HTTP_MAX_HEADER) {
			scan->done = len;
			return 0;
		}
		hlen = len;
		upgrade = false;
	} else {
		request = memcmp(buf, "GET ", 4) == 0;
		upgrade = header_has(buf, hlen, "sec-websocket-protocol", "sip") &&
		    (request ? header_has(buf, hlen, "upgrade", "websocket") :
		    (hlen > 12 && memcmp(buf + 8, " 101", 4) == 0));
	}
	scan->done = scan->need = 0;
	scan->phase = 0;
	scan->mode = upgrade ? MODE_WS : MODE_SIP;
	return hlen;
}

struct sink {
	ct_sip_msg_fn fn;
	void *user;
};

/* Hands one message payload to the sink, leading CR/LF (keep-alives) dropped. */
static void deliver(const struct sink *s, const uint8_t *p, size_t n)
{
	while (n > 0 && (*p == '\r' || *p == '\n')) {
		p++;
		n--;
	}
	if (n > 0)
		s->fn(s->user, (const char *)p, n, CT_TRANSPORT_WS);
}

/*
 * Assembles the message whose frames are p[0..end) (data frames, control
 * frames between them skipped) into one unmasked allocation of total
 * bytes and delivers it.  Out of memory: the message is lost (counted).
 */
static void deliver_frames(const struct sink *s, const uint8_t *p, size_t end, size_t total,
    uint64_t *ws_errors)
{
	struct ws_hdr h;
	uint8_t *msg;
	size_t pos = 0, got = 0;

	if (parse_hdr(p, end, &h) == HDR_OK && h.fin && !h.masked && h.hlen + h.plen == end) {
		deliver(s, p + h.hlen, (size_t)h.plen);   /* one plain frame: no copy */
		return;
	}
	msg = malloc(total > 0 ? total : 1);
	if (msg == NULL) {
		(*ws_errors)++;
		return;
	}
	while (pos < end && parse_hdr(p + pos, end - pos, &h) == HDR_OK) {
		if (h.opcode < OP_CLOSE && got + h.plen <= total) {
			unmask(msg + got, p + pos + h.hlen, (size_t)h.plen, &h, 0);
			got += (size_t)h.plen;
		}
		pos += h.hlen + (size_t)h.plen;
	}
	deliver(s, msg, got);
	free(msg);
}

/*
 * Drops the frame at the start of p[0..avail) (its header is whole, its
 * payload may still be coming): returns the bytes to consume now, and
 * leaves the rest of the payload to skip (WS_SKIP) as it arrives.
 */
static size_t drop_frame(const struct ws_hdr *h, size_t avail, struct ct_tcp_scan *scan)
{
	size_t have = avail - h->hlen;

	if (h->plen <= have)
		return h->hlen + (size_t)h->plen;
	scan->phase |= WS_SKIP;
	scan->need = (size_t)(h->plen - have);
	return avail;
}

/*
 * A frame at a message start that is not kept: a control frame, a data
 * frame of a message being discarded, a compressed (RSV) frame or one over
 * the bound (counted; a message left unfinished is discarded up to its
 * FIN).  Returns true (and *used) when h is such a frame.
 */
static bool drop_at_start(const struct ws_hdr *h, size_t avail, struct ct_tcp_scan *scan,
    uint64_t *ws_errors, size_t *used)
{
	bool bad = h->rsv || h->plen > CT_WS_MAX_MESSAGE;

	if (h->opcode < OP_CLOSE && !(scan->phase & WS_DISCARD) && !bad)
		return false;
	if (h->opcode < OP_CLOSE) {
		if (bad && !(scan->phase & WS_DISCARD))
			(*ws_errors)++;
		if (h->fin)
			scan->phase &= ~WS_DISCARD;
		else
			scan->phase |= WS_DISCARD;
	}
	scan->done = 0;
	*used = drop_frame(h, avail, scan);
	return true;
}

/* Forgets the message being walked and searches for the next SIP frame. */
static void start_resync(struct ct_tcp_scan *scan, uint64_t *ws_errors)
{
	(*ws_errors)++;
	scan->phase = WS_RESYNC;
	scan->done = scan->need = 0;
}

/*
 * Consumes WebSocket frames from p[0..len) (MODE_WS) and returns the bytes
 * used; a message whose frames are not all there is left in place with its
 * walk saved in scan (done: next frame header, need: payload bytes so far).
 */
static size_t ws_consume(const uint8_t *p, size_t len, struct ct_tcp_scan *scan,
    const struct sink *s, uint64_t *ws_errors)
{
	size_t off = 0;
	struct ws_hdr h;
	bool partial;

	while (off < len) {
		const uint8_t *q = p + off;
		size_t avail = len - off, pos, r;

		if (scan->phase & WS_SKIP) {
			r = avail < scan->need ? avail : scan->need;
			off += r;
			scan->need -= r;
			scan->work += r;
			if (scan->need == 0)
				scan->phase &= ~WS_SKIP;
			continue;
		}
		if (scan->phase & WS_RESYNC) {
			r = ws_resync(q, avail);
			scan->work += r + 1;
			off += r;
			if (r == avail || !frame_carries_sip(q + r, avail - r, &partial))
				break;  /* nothing yet, or cannot tell: wait for more */
			scan->phase = 0;
			continue;
		}
		pos = scan->done;
		for (;;) {
			enum hdr_result hr = parse_hdr(q + pos, avail - pos, &h);

			if (hr == HDR_PARTIAL) {
				scan->done = pos;
				return off;
			}
			if (hr == HDR_BAD) {
				start_resync(scan, ws_errors);
				off += pos + 1;
				break;
			}
			scan->work += h.hlen;
			if (pos == 0) {
				if (drop_at_start(&h, avail, scan, ws_errors, &r)) {
					off += r;
					break;
				}
				if (h.opcode == OP_CONT) {  /* no message to continue */
					start_resync(scan, ws_errors);
					off += 1;
					break;
				}
			} else if (h.opcode >= OP_CLOSE) {
				/* A control frame between fragments: stepped over. */
				if (avail - pos - h.hlen < h.plen) {
					scan->done = pos;
					return off;
				}
				pos += h.hlen + (size_t)h.plen;
				continue;
			} else if (h.opcode != OP_CONT || h.rsv ||
			    h.plen > CT_WS_MAX_MESSAGE - scan->need) {
				/* A new message before the FIN, or past the bound:
				 * the unfinished one is dropped. */
				(*ws_errors)++;
				off += pos;
				scan->done = scan->need = 0;
				if (h.opcode == OP_CONT)
					scan->phase |= WS_DISCARD;
				break;
			}
			if (avail - pos - h.hlen < h.plen) {
				scan->done = pos;
				return off;
			}
			scan->work += (size_t)h.plen;
			scan->need += (size_t)h.plen;
			pos += h.hlen + (size_t)h.plen;
			if (h.fin) {
				deliver_frames(s, q, pos, scan->need, ws_errors);
				off += pos;
				scan->done = scan->need = 0;
				break;
			}
		}
	}
	return off;
}

/* Adapter from frame.c's consumer to a ct_sip_msg_fn (transport TCP). */
static void tcp_text(void *user, const char *text, size_t len)
{
	const struct sink *s = user;

	s->fn(s->user, text, len, CT_TRANSPORT_TCP);
}

/*
 * The stream consumer for SIP over TCP and over WebSocket (struct
 * ct_tcp_reasm's callback does little more than call it): frames as many
 * whole messages as data[0..len) holds, hands each to fn(user, text, n,
 * transport) with transport CT_TRANSPORT_TCP or CT_TRANSPORT_WS, and
 * returns how many bytes it used (the caller drops them; the rest comes
 * again with more bytes).  gap is the reassembler's "bytes were lost
 * before data" (a WebSocket stream then resyncs on the next frame carrying
 * a SIP start).  *sip_errors counts SIP framing errors (as
 * ct_sip_stream_consume), *ws_errors WebSocket ones (bad frames, messages
 * over CT_WS_MAX_MESSAGE, compressed frames).  *scan is the direction's
 * memory; its mode survives gaps.
 */
size_t ct_sip_tcp_consume(const uint8_t *data, size_t len, int gap, struct ct_tcp_scan *scan,
    ct_sip_msg_fn fn, void *user, uint64_t *sip_errors, uint64_t *ws_errors)
{
	struct sink s = { fn, user };
	size_t off = 0, n;
	bool partial;

	if (gap && scan->mode == MODE_WS) {
		scan->phase = WS_RESYNC;
		scan->done = scan->need = 0;
	} else if (gap && scan->mode == MODE_HTTP) {
		scan->mode = MODE_SIP;
	}
	while (off < len) {
		const char *buf = (const char *)data + off;
		size_t avail = len - off, limit = avail;

		if (scan->mode == MODE_WS)
			return off + ws_consume(data + off, avail, scan, &s, ws_errors);
		if (scan->mode == MODE_HTTP) {
			n = http_consume(buf, avail, scan);
			if (n == 0)
				break;
			off += n;
			continue;
		}
		/* MODE_SIP, at a message boundary: HTTP, a WebSocket frame, or SIP. */
		if (scan->phase == 0 && scan->done == 0) {
			if (starts(buf, avail, "GET ", &partial) || starts(buf, avail, "HTTP/", &partial)) {
				if (partial)
					break;
				scan->mode = MODE_HTTP;
				continue;
			}
			if ((data[off] & 0x7f) == OP_TEXT || (data[off] & 0x7f) == OP_BINARY) {
				if (frame_carries_sip(data + off, avail, &partial)) {
					scan->mode = MODE_WS;
					continue;
				}
				if (partial && avail < WS_MAX_HDR + WS_PEEK)
					break;
			}
		}
		if (scan->sniffed < WS_SNIFF_BYTES) {
			/* The first bytes of a direction (or after a gap) may be a
			 * WebSocket stream seen from its middle (capture started on a
			 * live connection): a frame carrying SIP further on?  A
			 * candidate cut by the end of data is waited for. */
			n = ws_resync(data + off, avail);
			scan->sniffed += n + 1;
			if (n < avail) {
				if (frame_carries_sip(data + off + n, avail - n, &partial)) {
					off += n;
					scan->done = scan->need = 0;
					scan->phase = 0;
					scan->mode = MODE_WS;
					continue;
				}
				limit = n;
			}
		}
		off += ct_sip_stream_consume(data + off, limit, scan, tcp_text, &s, sip_errors);
		break;
	}
	return off;
}
