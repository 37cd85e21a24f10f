/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SIP message framing over a byte stream, and the cheap "is this datagram
 * SIP?" test.  ct_sip_frame() finds where one message ends in a TCP stream
 * buffer: it skips CRLF keep-alives, checks the start line as soon as enough
 * bytes are there, finds the empty line closing the header section and adds
 * the Content-Length (or compact "l:") body size.  It copies nothing and
 * keeps no state; the caller calls it again with more bytes after
 * CT_PARTIAL.  ct_sip_resync() finds the next plausible start line after
 * garbage or a TCP gap.  ct_sip_looks_like() runs on every UDP payload on
 * any port, so it rejects RTP (first byte 0x80..0xbf) on the first byte.
 * Every read is bounded by len; no NUL terminator is needed.
 * References: RFC 3261 §7.1, §7.2 (start lines), §7.3.3 (compact forms),
 * §7.5 (framing), §18.3 (stream transports), §20.14 (Content-Length);
 * RFC 5626 §4.4.1 (CRLF keep-alives).
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>

#include "calltap/err.h"
#include "calltap/reasm.h"
#include "calltap/sip.h"

#define MAX_HEADER_BYTES (64u * 1024u)        /* header section limit */
#define MAX_BODY_BYTES   (16u * 1024u * 1024u) /* Content-Length limit */
#define MAX_METHOD_LEN   32

/* Result of checking a (possibly incomplete) start line. */
enum line_check {
	LINE_BAD = -1,   /* cannot be a SIP start line */
	LINE_PREFIX = 0, /* consistent so far, needs more bytes */
	LINE_OK = 1      /* a whole valid start line */
};

static const char sip_version[] = "SIP/2.0";
#define SIP_VERSION_LEN (sizeof(sip_version) - 1)

/* RFC 3261 §25.1 token characters. */
static bool is_token_char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("-.!%*_+`'~", c) != NULL;
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/*
 * Matches the literal lit (length n) at buf[*i]; on a full match advances *i.
 * Returns LINE_OK on a match, LINE_PREFIX when buf ends inside a matching
 * prefix, LINE_BAD on a mismatch.
 */
static enum line_check match_lit(const char *buf, size_t len, size_t *i,
    const char *lit, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		if (*i + k >= len)
			return LINE_PREFIX;
		if (buf[*i + k] != lit[k])
			return LINE_BAD;
	}
	*i += n;
	return LINE_OK;
}

/* Checks the CRLF or bare LF ending a start line at buf[i]. */
static enum line_check check_eol(const char *buf, size_t len, size_t i)
{
	if (i >= len)
		return LINE_PREFIX;
	if (buf[i] == '\n')
		return LINE_OK;
	if (buf[i] != '\r')
		return LINE_BAD;
	if (i + 1 >= len)
		return LINE_PREFIX;
	return buf[i + 1] == '\n' ? LINE_OK : LINE_BAD;
}

/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF (§7.2). */
static enum line_check check_status_line(const char *buf, size_t len)
{
	size_t i = SIP_VERSION_LEN + 1, k;
	unsigned char c;

	for (k = 0; k < 3; k++, i++) {
		if (i >= len)
			return LINE_PREFIX;
		c = (unsigned char)buf[i];
		if (!is_digit(c) || (k == 0 && (c < '1' || c > '6')))
			return LINE_BAD;
	}
	if (i >= len)
		return LINE_PREFIX;
	if (buf[i] != ' ')
		return check_eol(buf, len, i); /* tolerate "SIP/2.0 200\r\n" */
	for (i++; i < len; i++) {
		c = (unsigned char)buf[i];
		if (c == '\r' || c == '\n')
			return check_eol(buf, len, i);
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return LINE_BAD;
	}
	return LINE_PREFIX;
}

/*
 * Request-URI: a scheme (ALPHA *(ALPHA / DIGIT / "+" / "-" / ".")), ':',
 * then visible characters up to SP.  On LINE_OK *i is at the SP.
 */
static enum line_check check_uri(const char *buf, size_t len, size_t *i)
{
	size_t start = *i, p;
	unsigned char c;

	for (p = start; p < len; p++) {
		c = (unsigned char)buf[p];
		if (c == ':' && p > start)
			break;
		if (!(is_alpha(c) || (p > start && (is_digit(c) ||
		    c == '+' || c == '-' || c == '.'))))
			return LINE_BAD;
	}
	for (p++; p < len; p++) {
		c = (unsigned char)buf[p];
		if (c == ' ') {
			*i = p;
			return LINE_OK;
		}
		if (c <= 0x20 || c == 0x7f)
			return LINE_BAD;
	}
	return LINE_PREFIX;
}

/* Request-Line = Method SP Request-URI SP SIP-Version CRLF (§7.1). */
static enum line_check check_request_line(const char *buf, size_t len)
{
	size_t i;
	enum line_check r;

	for (i = 0; i < len && is_token_char((unsigned char)buf[i]); i++)
		if (i >= MAX_METHOD_LEN)
			return LINE_BAD;
	if (i >= len)
		return LINE_PREFIX;
	if (i == 0 || buf[i] != ' ')
		return LINE_BAD;
	i++;
	r = check_uri(buf, len, &i);
	if (r != LINE_OK)
		return r;
	i++;
	r = match_lit(buf, len, &i, sip_version, SIP_VERSION_LEN);
	if (r != LINE_OK)
		return r;
	return check_eol(buf, len, i);
}

/* Checks whether buf starts with (a prefix of) a SIP start line. */
static enum line_check check_start_line(const char *buf, size_t len)
{
	size_t i = 0;
	enum line_check r;

	r = match_lit(buf, len, &i, "SIP/2.0 ", SIP_VERSION_LEN + 1);
	if (r == LINE_OK)
		return check_status_line(buf, len);
	if (r == LINE_PREFIX)
		return LINE_PREFIX; /* "SIP/2." could still be a method */
	return check_request_line(buf, len);
}

/*
 * Returns the length of the header section (start line, headers and the
 * closing empty line) or 0 when its end is not in buf.  Accepts CRLFCRLF
 * and bare LFLF (and mixtures).  The search starts at buf + from: a caller
 * that searched buf[0..n) before passes from = n - 2 (the terminator is at
 * most 3 bytes long and starts with a LF, so one that begins earlier was
 * whole in the earlier search).
 */
static size_t header_end(const char *buf, size_t len, size_t from)
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

/* True when the header name name[0..n) is Content-Length or "l". */
static bool is_clen_name(const char *name, size_t n)
{
	static const char full[] = "content-length";
	size_t k;

	if (n == 1)
		return lower((unsigned char)name[0]) == 'l';
	if (n != sizeof(full) - 1)
		return false;
	for (k = 0; k < n; k++)
		if (lower((unsigned char)name[k]) != full[k])
			return false;
	return true;
}

/*
 * Parses a Content-Length value line[0..n) (after the colon): optional
 * whitespace, digits, optional whitespace.  Returns the value, or -1 when it
 * is not a number or exceeds MAX_BODY_BYTES.
 */
static long parse_clen_value(const char *v, size_t n)
{
	size_t i = 0;
	long val = 0;
	bool any = false;

	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	for (; i < n && is_digit((unsigned char)v[i]); i++) {
		val = val * 10 + (v[i] - '0');
		if (val > (long)MAX_BODY_BYTES)
			return -1;
		any = true;
	}
	while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r'))
		i++;
	return (any && i == n) ? val : -1;
}

/*
 * Finds Content-Length in the header section hdr[0..n) (start line
 * included).  Returns the body length, 0 when absent, -1 when malformed,
 * over the limit, or given twice with different values.  On -1, *bad is
 * the offset of a header line that makes every header section holding it
 * (up to the same empty line) fail too: the malformed line, or the last
 * line that gave the value a later one contradicts.
 */
static long find_content_length(const char *hdr, size_t n, size_t *bad)
{
	const char *p, *end = hdr + n, *eol, *colon, *ne, *found_at = hdr;
	long found = -2, v;

	p = memchr(hdr, '\n', n);
	for (p = p ? p + 1 : end; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if (*p == ' ' || *p == '\t')
			continue; /* folded continuation line */
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL)
			continue;
		for (ne = colon; ne > p && (ne[-1] == ' ' || ne[-1] == '\t'); ne--)
			;
		if (!is_clen_name(p, (size_t)(ne - p)))
			continue;
		v = parse_clen_value(colon + 1, (size_t)(eol - colon - 1));
		if (v < 0 || (found >= 0 && v != found)) {
			*bad = (size_t)((v < 0 ? p : found_at) - hdr);
			return -1;
		}
		found = v;
		found_at = p;
	}
	return found == -2 ? 0 : found;
}

/*
 * Whether the datagram buf[0..len) (one UDP payload) ends before the body
 * its Content-Length announces: its header section is whole (the empty line
 * is there) and Content-Length is larger than the bytes after it.  RFC 3261
 * §18.3: over UDP such a message is an error, a response is discarded and a
 * request refused (400), so no party acts on it.  False when the header
 * section does not end (a datagram cut after "Content-Length: 0", which is
 * whole) or Content-Length is absent or malformed (the parser judges).
 */
bool ct_sip_body_short(const char *buf, size_t len)
{
	size_t hlen = header_end(buf, len, 0), bad = 0;
	long clen;

	if (hlen == 0)
		return false;
	clen = find_content_length(buf, hlen, &bad);
	return clen > 0 && (size_t)clen > len - hlen;
}

/* Phases of struct ct_tcp_scan for the framer. */
enum {
	SCAN_START_LINE = 0,  /* start line not yet whole: done = bytes checked */
	SCAN_HEADERS,         /* start line valid: done = bytes searched for the empty line */
	SCAN_BODY             /* framed: need = whole message length */
};

/* Back to the start of a message; the work counter carries on. */
static void scan_reset(struct ct_tcp_scan *scan)
{
	scan->done = 0;
	scan->need = 0;
	scan->phase = SCAN_START_LINE;
}

/* Bytes a start line check examined at most: the first line of buf[0..len). */
static size_t line_span(const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len);

	return nl != NULL ? (size_t)(nl + 1 - buf) : len;
}

/*
 * What a failed message taught about the bytes after its start, so that
 * the start lines ct_sip_resync() then finds inside it (every line of a
 * header section of 64 KiB of request lines can be one) are not searched
 * again each: quadratic work for bytes the peer sends once.  Offsets are
 * from the buffer passed in (on CT_ERR: from the failed message, *skip
 * included).  0 knows nothing.
 */
struct known {
	size_t clear;   /* header section searched this far: no empty line in it */
	size_t doomed;  /* a message starting before this has a header line that fails it */
};

/*
 * ct_sip_frame_scan() with *k (NULL: nothing known) for a message that
 * starts afresh at buf (phase SCAN_START_LINE, done 0): a message starting
 * before k->doomed fails at once, and the search for the empty line starts
 * at k->clear.  Both hold because a header line is one in every message
 * that starts before it and ends at the same empty line, and the search for
 * that line examines the same line ends whatever line the message starts
 * at.  On CT_ERR, *k is what this message's failure shows (from buf + *skip).
 */
static ssize_t frame_scan(const char *buf, size_t len, size_t *skip,
    struct ct_tcp_scan *scan, struct known *k)
{
	size_t s = 0, hlen, avail, limit, from, bad = 0;
	struct known in = { 0, 0 };
	long clen;

	if (k != NULL) {
		in = *k;
		k->clear = k->doomed = 0;
	}
	while (s < len && (buf[s] == '\r' || buf[s] == '\n'))
		s++;
	*skip = s;
	buf += s;
	avail = len - s;
	in.clear = in.clear > s ? in.clear - s : 0;
	in.doomed = in.doomed > s ? in.doomed - s : 0;
	if (avail == 0)
		return CT_PARTIAL;
	if (scan->phase == SCAN_START_LINE) {
		if (scan->done > 0 && avail < scan->need && (scan->done >= avail ||
		    memchr(buf + scan->done, '\n', avail - scan->done) == NULL)) {
			scan->work += avail > scan->done ? avail - scan->done : 0;
			scan->done = avail;
			return CT_PARTIAL;
		}
		switch (check_start_line(buf, avail)) {
		case LINE_BAD:
			scan->work += line_span(buf, avail);
			scan_reset(scan);
			return CT_ERR;
		case LINE_PREFIX:
			scan->work += avail;
			if (avail > MAX_HEADER_BYTES) {
				scan_reset(scan);
				return CT_ERR;
			}
			scan->done = avail;
			scan->need = avail * 2;
			return CT_PARTIAL;
		case LINE_OK:
			scan->work += line_span(buf, avail);
			break;
		}
		if (in.doomed > 0) {
			/* in.doomed > 0 only when k was given, so k != NULL */
			k->doomed = in.doomed;
			scan_reset(scan);
			return CT_ERR;
		}
		scan->phase = SCAN_HEADERS;
		scan->done = in.clear < avail ? in.clear : avail;
		if (scan->done > MAX_HEADER_BYTES)
			scan->done = MAX_HEADER_BYTES;
		scan->need = 0;
	}
	if (scan->phase == SCAN_HEADERS) {
		limit = avail < MAX_HEADER_BYTES ? avail : MAX_HEADER_BYTES;
		from = scan->done >= 2 ? scan->done - 2 : 0;
		hlen = header_end(buf, limit, from);
		scan->work += (hlen > 0 ? hlen : limit) - from;
		if (hlen == 0) {
			if (avail >= MAX_HEADER_BYTES) {
				if (k != NULL)
					k->clear = limit;
				scan_reset(scan);
				return CT_ERR;
			}
			scan->done = limit;
			return CT_PARTIAL;
		}
		scan->work += hlen;
		clen = find_content_length(buf, hlen, &bad);
		if (clen < 0) {
			if (k != NULL)
				k->doomed = bad;
			scan_reset(scan);
			return CT_ERR;
		}
		scan->phase = SCAN_BODY;
		scan->need = hlen + (size_t)clen;
	}
	if (avail < scan->need) {
		scan->done = avail;
		return CT_PARTIAL;
	}
	hlen = scan->need;
	scan_reset(scan);
	return (ssize_t)hlen;
}

/*
 * Incremental ct_sip_frame() for a stream buffer that grows between calls:
 * *scan (zero at the first call and after every result other than
 * CT_PARTIAL) remembers how far the previous calls got in buf + *skip, so
 * that each byte is examined O(1) times however small the segments:
 * the empty line closing the header section is searched from where the last
 * search stopped, Content-Length is read once, and then only the length is
 * compared.  An incomplete start line is checked again when a line end
 * arrives or the bytes have doubled since the last check (amortised
 * linear; an invalid start line is still found before 64 KiB); scan->work
 * counts the bytes examined.  Results are those of ct_sip_frame(); on CT_PARTIAL the caller must drop the *skip
 * leading bytes before the next call (the offsets in *scan start after
 * them) and must not change the bytes it keeps.
 */
ssize_t ct_sip_frame_scan(const char *buf, size_t len, size_t *skip,
    struct ct_tcp_scan *scan)
{
	return frame_scan(buf, len, skip, scan, NULL);
}

/*
 * Frames one SIP message at the start of a stream buffer.  *skip (never
 * NULL) receives the number of leading CR/LF bytes (keep-alives) before the
 * message; the caller drops them whatever the result.  Returns the length
 * of the message from buf + *skip (header section plus Content-Length body
 * bytes; no Content-Length means no body) when all of it is in buf,
 * CT_PARTIAL when more bytes are needed (also when buf holds only CR/LF),
 * or CT_ERR when buf + *skip cannot start a SIP message, the header section
 * passes 64 KiB without ending, or Content-Length is malformed or over
 * 16 MiB.  After CT_ERR use ct_sip_resync() to find the next message.
 * Stateless: it examines the whole buffer at every call (a stream consumer
 * uses ct_sip_frame_scan()).
 */
ssize_t ct_sip_frame(const char *buf, size_t len, size_t *skip)
{
	struct ct_tcp_scan scan;

	memset(&scan, 0, sizeof(scan));
	return ct_sip_frame_scan(buf, len, skip, &scan);
}

/*
 * The SIP-over-TCP stream consumer (struct ct_tcp_reasm's callback does
 * little more than call it): frames as many whole SIP messages as
 * data[0..len) holds, hands each to fn(user, text, n), and returns how many
 * bytes it used (the caller drops them; the rest comes again with more
 * bytes).  Bytes that cannot start a SIP message (a stream that is not SIP,
 * or the tail of a message cut by a gap) are skipped up to the next
 * plausible start line; *framing_errors counts those that looked like SIP.
 * *scan is the direction's memory (see ct_sip_frame_scan()).  Each byte is
 * examined O(1) times over the calls, however the stream is segmented, and
 * the start lines found inside a message that failed reuse what its
 * failure showed (struct known) instead of searching its bytes again.
 */
size_t ct_sip_stream_consume(const uint8_t *data, size_t len, struct ct_tcp_scan *scan,
    ct_sip_text_fn fn, void *user, uint64_t *framing_errors)
{
	const char *buf = (const char *)data;
	size_t off = 0, clear_at = 0, doomed_at = 0;   /* struct known, from data */

	while (off < len) {
		size_t skip = 0;
		struct known k = {
			clear_at > off ? clear_at - off : 0,
			doomed_at > off ? doomed_at - off : 0
		};
		ssize_t n = frame_scan(buf + off, len - off, &skip, scan, &k);

		if (n > 0) {
			fn(user, buf + off + skip, (size_t)n);
			off += skip + (size_t)n;
		} else if (n == CT_PARTIAL) {
			off += skip;
			break;
		} else {
			size_t r = ct_sip_resync(buf + off, len - off);

			clear_at = k.clear > 0 ? off + skip + k.clear : 0;
			doomed_at = k.doomed > 0 ? off + skip + k.doomed : 0;
			if (ct_sip_looks_like(buf + off, len - off))
				(*framing_errors)++;
			off += r > 0 ? r : len - off;
		}
	}
	return off;
}

/*
 * Returns the offset of the next line start (just after a LF, offset > 0)
 * at which a plausible SIP start line begins — or the beginning of one, when
 * buf ends inside it — or len when there is none.  The result is always > 0
 * for len > 0, so a caller that drops that many bytes always progresses.
 */
size_t ct_sip_resync(const char *buf, size_t len)
{
	const char *p, *nl, *end = buf + len;

	for (p = buf; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL || nl + 1 >= end)
			break;
		if (check_start_line(nl + 1, (size_t)(end - nl - 1)) != LINE_BAD)
			return (size_t)(nl + 1 - buf);
	}
	return len;
}

/* Case-insensitive match of a URI scheme prefix ("sip:") at buf[i]. */
static bool has_scheme(const char *buf, size_t len, size_t i, const char *s)
{
	size_t n = strlen(s), k;

	if (len - i < n)
		return false;
	for (k = 0; k < n; k++)
		if (lower((unsigned char)buf[i + k]) != (unsigned char)s[k])
			return false;
	return true;
}

/*
 * Whether a TCP stream may be resynchronised at buf, the first byte after a
 * hole (tcp_stream.c): ct_sip_looks_like, and a request's method is one of
 * those registered for SIP (RFC 3261 and the extensions that define
 * methods).  A piece of a request sent again apart from its first bytes
 * starts with a suffix of its method, "ITE sip:... SIP/2.0" from the
 * fourth byte of an INVITE, which the framer takes as an extension
 * method's request: the INVITE was then lost to a resynchronisation on it.
 * No registered method is a suffix of another but ACK of PRACK.  A
 * message of an unregistered method after a hole is delivered once the
 * hole fills or is given up (the held-bytes limit), as without resync.
 */
bool ct_sip_starts_message(const char *buf, size_t len)
{
	static const char *const methods[] = {
		"INVITE ", "ACK ", "BYE ", "CANCEL ", "REGISTER ", "OPTIONS ", "PRACK ",
		"SUBSCRIBE ", "NOTIFY ", "PUBLISH ", "INFO ", "REFER ", "MESSAGE ", "UPDATE ",
	};
	size_t i, n;

	if (!ct_sip_looks_like(buf, len))
		return false;
	if (buf[0] == 'S' && memcmp(buf, "SIP/2.0 ", 8) == 0)
		return true;
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		n = strlen(methods[i]);
		if (len >= n && memcmp(buf, methods[i], n) == 0)
			return true;
	}
	return false;
}

/*
 * Cheap test that a datagram starts with a SIP start line: "SIP/2.0 " and a
 * 3-digit status, or an uppercase method, SP, a sip:/sips:/tel: URI and a
 * first line ending in " SIP/2.0".  NULL is not accepted for buf unless len
 * is 0.  Does not accept leading CRLFs (a keep-alive is not a message).
 */
bool ct_sip_looks_like(const char *buf, size_t len)
{
	size_t i, eol;

	if (len < 12 || buf[0] < 'A' || buf[0] > 'Z')
		return false;
	if (memcmp(buf, "SIP/2.0 ", 8) == 0)
		return is_digit((unsigned char)buf[8]) &&
		    is_digit((unsigned char)buf[9]) &&
		    is_digit((unsigned char)buf[10]);
	for (i = 0; i < len && i <= MAX_METHOD_LEN && buf[i] >= 'A' && buf[i] <= 'Z'; i++)
		;
	if (i >= len || buf[i] != ' ')
		return false;
	i++;
	if (!has_scheme(buf, len, i, "sip:") && !has_scheme(buf, len, i, "sips:") &&
	    !has_scheme(buf, len, i, "tel:"))
		return false;
	/* The first CR or LF (memchr: this runs on every UDP payload). */
	{
		const char *lf = memchr(buf + i, '\n', len - i);
		size_t upto = lf != NULL ? (size_t)(lf - buf) : len;
		const char *cr = memchr(buf + i, '\r', upto - i);

		eol = cr != NULL ? (size_t)(cr - buf) : upto;
	}
	if (eol == len || eol - i < SIP_VERSION_LEN + 5)
		return false;
	return memcmp(buf + eol - SIP_VERSION_LEN - 1, " SIP/2.0", SIP_VERSION_LEN + 1) == 0;
}
