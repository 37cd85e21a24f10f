/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Growable byte buffer used to build output text (JSON lines, CSV rows),
 * plus the two escaping rules our sinks need.  Workload: one buffer per sink,
 * reset and refilled once per call record (a few hundred bytes to a few KB),
 * so the buffer reaches its working size after the first record and appends
 * are then plain memcpy.  Allocation failure is sticky (oom) so that callers
 * can append a whole record and check once at the end.
 * References: RFC 8259 §7 (JSON strings), RFC 3629 §4 (UTF-8 syntax),
 * RFC 4180 §2 (CSV fields).
 */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__) && !defined(CT_NO_SSE2)
#include <emmintrin.h>
#endif

#include "calltap/buf.h"
#include "calltap/err.h"

/* Shared empty string so that p is a valid C string before the first append. */
static const char empty[1] = "";

/*
 * Initialises an empty buffer; b->p is "" (not heap memory) until the first
 * append, so it can always be printed.  Nothing to fail.
 */
void ct_buf_init(struct ct_buf *b)
{
	b->p = (char *)empty;
	b->len = 0;
	b->cap = 0;
	b->oom = 0;
}

/* Releases the storage and leaves b empty (re-usable).  b must not be NULL. */
void ct_buf_fini(struct ct_buf *b)
{
	if (b->cap > 0)
		free(b->p);
	ct_buf_init(b);
}

/* Empties b, keeping its storage, and clears the oom flag. */
void ct_buf_reset(struct ct_buf *b)
{
	b->len = 0;
	b->oom = 0;
	if (b->cap > 0)
		b->p[0] = '\0';
}

/* Makes room for n more bytes plus the NUL; CT_OK or CT_NOMEM (sets oom). */
static int reserve(struct ct_buf *b, size_t n)
{
	size_t want, cap;
	char *np;

	if (b->oom)
		return CT_NOMEM;
	if (n >= SIZE_MAX / 2 - b->len)
		goto fail;
	want = b->len + n + 1;
	if (want <= b->cap)
		return CT_OK;
	cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap *= 2;
	np = b->cap ? realloc(b->p, cap) : malloc(cap);
	if (np == NULL)
		goto fail;
	if (b->cap == 0)
		np[0] = '\0';
	b->p = np;
	b->cap = cap;
	return CT_OK;
fail:
	b->oom = 1;
	return CT_NOMEM;
}

/* The growing half of ct_buf_room (buf.h): NULL when out of memory (oom set). */
char *ct_buf_room_grow(struct ct_buf *b, size_t n)
{
	if (reserve(b, n) != CT_OK)
		return NULL;
	return b->p + b->len;
}

/*
 * The growing half of ct_buf_append (buf.h): makes room for n more bytes,
 * then appends them.  CT_OK, or CT_NOMEM (sticky) with b left as it was.
 */
int ct_buf_append_grow(struct ct_buf *b, const void *p, size_t n)
{
	if (reserve(b, n) != CT_OK)
		return CT_NOMEM;
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return CT_OK;
}

/* "00" .. "99": two decimal digits per division. */
static const char digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/*
 * Writes v in decimal at d, as printf's "%" PRId64 would (INT64_MIN
 * included), without a NUL; d has room for CT_I64_MAX bytes.  Returns the
 * number of bytes written.  The digits are counted first, then written
 * from the end two at a time: records carry a dozen integers each.
 */
size_t ct_fmt_i64(char *d, int64_t v)
{
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, t = u;
	size_t n = 1, len;
	char *p;

	if (v >= 0 && v < 10) {   /* counters, flags: most often one digit */
		d[0] = (char)('0' + v);
		return 1;
	}
	while (t >= 10000) {
		t /= 10000;
		n += 4;
	}
	n += (t >= 10) + (t >= 100) + (t >= 1000);
	if (v < 0)
		*d++ = '-';
	len = n + (v < 0);
	p = d + n;
	while (u >= 100) {
		unsigned r = (unsigned)(u % 100);

		u /= 100;
		p -= 2;
		p[0] = digits2[2 * r];
		p[1] = digits2[2 * r + 1];
	}
	if (u >= 10) {
		p[-2] = digits2[2 * u];
		p[-1] = digits2[2 * u + 1];
	} else {
		p[-1] = (char)('0' + u);
	}
	return len;
}

/*
 * Appends v in decimal, as printf's "%" PRId64 would, without going through
 * printf (records have dozens of integers).  CT_OK or CT_NOMEM.
 */
int ct_buf_i64(struct ct_buf *b, int64_t v)
{
	char *d = ct_buf_room(b, CT_I64_MAX);

	if (d == NULL)
		return CT_NOMEM;
	ct_buf_commit(b, d + ct_fmt_i64(d, v));
	return CT_OK;
}

/* Appends printf-formatted text; CT_OK, CT_NOMEM, or CT_ERR (bad format). */
int ct_buf_printf(struct ct_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (reserve(b, 64) != CT_OK)
		return CT_NOMEM;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->p[b->len] = '\0';
		return CT_ERR;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (reserve(b, (size_t)n) != CT_OK) {
			b->p[b->len] = '\0';
			return CT_NOMEM;
		}
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
	return CT_OK;
}

/*
 * Length of the well-formed UTF-8 sequence starting at s, of which avail
 * bytes may be read: 1 for ASCII, 2-4 for a multi-byte sequence, 0 when it is
 * not well-formed (RFC 3629 §4 excludes overlong forms, surrogates
 * U+D800..U+DFFF and code points above U+10FFFF) or avail is 0.  A NUL byte
 * never occurs inside a sequence, so for a NUL-terminated string
 * strnlen(s, 4) is a safe avail.
 */
size_t ct_utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char c, lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (avail == 0)
		return 0;
	c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* The two-character escape for c, or 0 when c needs \u00XX or nothing. */
static char json_short_escape(unsigned char c)
{
	switch (c) {
	case '"':  return '"';
	case '\\': return '\\';
	case '\b': return 'b';
	case '\f': return 'f';
	case '\n': return 'n';
	case '\r': return 'r';
	case '\t': return 't';
	default:   return 0;
	}
}

/*
 * 1 for the bytes a JSON string carries as they are: printable ASCII (and
 * DEL) but '"' and '\'.  NUL is 0, so a scan stops at the end too.
 */
static const unsigned char json_plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* ---- escaping 8 bytes at a time ----------------------------------------- */

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

static inline uint64_t load8(const unsigned char *s)
{
	uint64_t x;

	memcpy(&x, s, 8);
	return x;
}

/*
 * High bit set in some byte when a byte of x is below c (c <= 0x80), or
 * equal to c: exact as to "any" (no borrow reaches a byte unless a lower
 * one matched), which is all the scans below ask.
 */
static inline uint64_t bytes_below(uint64_t x, unsigned c)
{
	return (x - ONES * c) & ~x & HIGHS;
}

static inline uint64_t bytes_equal(uint64_t x, unsigned c)
{
	return bytes_below(x ^ (ONES * c), 1);
}

/* Non-zero when one of the 8 bytes of x is not json_plain. */
static inline uint64_t json_special8(uint64_t x)
{
	return ((x & HIGHS) | bytes_below(x, 0x20) | bytes_equal(x, '"') | bytes_equal(x, '\\'));
}

/* 1 for the bytes a CSV cell carries as they are: printable ASCII but ',' and '"'. */
static const unsigned char csv_plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

#if defined(__SSE2__) && !defined(CT_NO_SSE2)
/* Bit i set when byte i of v is not json_plain: a control or >= 0x80 (signed < 0x20), '"', '\'. */
static inline unsigned json_bad16(__m128i v)
{
	__m128i m = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
	    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));

	return (unsigned)_mm_movemask_epi8(m);
}

/* Bit i set when byte i of v is not csv_plain: a control or >= 0x80, DEL, ',', '"'. */
static inline unsigned csv_bad16(__m128i v)
{
	__m128i m = _mm_or_si128(
	    _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)), _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f))),
	    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(',')), _mm_cmpeq_epi8(v, _mm_set1_epi8('"'))));

	return (unsigned)_mm_movemask_epi8(m);
}
#define BAD16(csv, v) ((csv) ? csv_bad16(v) : json_bad16(v))
#endif

/* Non-zero when one of the 8 bytes of x is a control, DEL, non-ASCII, ',' or '"'. */
static inline uint64_t csv_special8(uint64_t x)
{
	return (x & HIGHS) | bytes_below(x, 0x20) | bytes_equal(x, 0x7f) | bytes_equal(x, ',') |
	    bytes_equal(x, '"');
}

/*
 * Copies the plain bytes at the start of s[j..end) (json_plain, or
 * csv_plain when csv) to d and returns how many there are (end - j when
 * all are).  The bytes s[run..j) are plain and were copied as they are
 * just before d, so they may be read and stored again.  d has room for
 * end - j bytes, and for 16 when end - j >= 16.  Plain bytes go 16 (SSE2)
 * or 8 at a time, the last few by overlapping the bytes before them.
 */
static inline __attribute__((always_inline)) size_t copy_plain(char *d,
    const unsigned char *s, size_t j, size_t end, size_t run, bool csv)
{
	const unsigned char *plain = csv ? csv_plain : json_plain;
	size_t r = end - j, done = 0, left;
#if defined(__SSE2__) && !defined(CT_NO_SSE2)
	__m128i v, lo, hi;
	unsigned m;

	while (r - done >= 16) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(s + j + done));
		m = BAD16(csv, v);
		_mm_storeu_si128((__m128i *)(void *)(d + done), v);
		if (m != 0)
			return done + (size_t)__builtin_ctz(m);
		done += 16;
	}
	left = r - done;
	if (left == 0)
		return r;
	if (end - run >= 16) {   /* the last 16, over plain bytes already copied */
		v = _mm_loadu_si128((const __m128i *)(const void *)(s + end - 16));
		m = BAD16(csv, v) >> (16 - left);
		_mm_storeu_si128((__m128i *)(void *)(d + done + left - 16), v);
		return m == 0 ? r : done + (size_t)__builtin_ctz(m);
	}
	if (left >= 8) {   /* two 8-byte pieces, overlapping */
		lo = _mm_loadl_epi64((const __m128i *)(const void *)(s + j + done));
		hi = _mm_loadl_epi64((const __m128i *)(const void *)(s + end - 8));
		if (BAD16(csv, _mm_unpacklo_epi64(lo, hi)) == 0) {
			_mm_storel_epi64((__m128i *)(void *)(d + done), lo);
			_mm_storel_epi64((__m128i *)(void *)(d + done + left - 8), hi);
			return r;
		}
	} else if (left >= 4) {   /* two 4-byte pieces */
		uint32_t a, z;

		memcpy(&a, s + j + done, 4);
		memcpy(&z, s + end - 4, 4);
		if (BAD16(csv, _mm_set_epi32(0x20202020, 0x20202020, (int)z, (int)a)) == 0) {
			memcpy(d + done, &a, 4);
			memcpy(d + done + left - 4, &z, 4);
			return r;
		}
	}
#else
	uint64_t x;

	(void)run;
	while (r - done >= 8) {
		x = load8(s + j + done);
		if (csv ? csv_special8(x) : json_special8(x))
			break;
		memcpy(d + done, &x, 8);
		done += 8;
	}
	(void)left;
#endif
	while (done < r && plain[s[j + done]]) {
		d[done] = (char)s[j + done];
		done++;
	}
	return done;
}

/* The largest piece of a string escaped into one reservation. */
#define ESC_CHUNK CT_PUT_MAX

/*
 * Escapes s[*i .. end) (reading up to n: a UTF-8 sequence may run past
 * end, by 3 bytes at most) into d as the body of a JSON string, and
 * returns the end of what was written; *i is where the input stopped
 * (>= end).  d has room for 6 * (end - *i) + 3 bytes.  Plain bytes go 8 at
 * a time when they can (stored as they are checked) and one at a time
 * otherwise; see ct_buf_json_strn for the rules.
 */
static inline __attribute__((always_inline)) char *json_esc(char *d, const unsigned char *s, size_t *i, size_t end, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t j = *i, k, run;
	char e;

	for (run = j;; run = j) {
		k = copy_plain(d, s, j, end, run, false);
		d += k;
		j += k;
		if (j >= end)
			break;
		if (s[j] >= 0x80) {
			k = ct_utf8_len(s + j, n - j < 4 ? n - j : 4);
			if (k == 0) {
				memcpy(d, "\\ufffd", 6);
				d += 6;
				j++;
				continue;
			}
			while (k-- > 0)
				*d++ = (char)s[j++];
			continue;
		}
		e = json_short_escape(s[j]);
		d[0] = '\\';
		if (e != 0) {
			d[1] = e;
			d += 2;
		} else {
			memcpy(d + 1, "u00", 3);
			d[4] = hex[s[j] >> 4];
			d[5] = hex[s[j] & 0xf];
			d += 6;
		}
		j++;
	}
	*i = j;
	return d;
}

/*
 * Writes the n bytes at s (n <= CT_PUT_MAX, no NUL among them) at d as
 * ct_buf_json_strn would append them, quotes included; d has room for
 * 6 * n + 5 bytes.  Returns the end of the text (no NUL written).  For
 * writers that format a record straight into their buffer.
 */
char *ct_json_str_put(char *d, const char *s, size_t n)
{
	size_t i = 0;

	*d++ = '"';
	d = json_esc(d, (const unsigned char *)s, &i, n, n);
	*d++ = '"';
	return d;
}

/*
 * Appends the n bytes at s (no NUL among them) as a JSON string literal
 * with its quotes (RFC 8259 §7): '"' and '\' are escaped, control
 * characters become \b \f \n \r \t or \u00xx (lower-case hex), DEL and
 * well-formed UTF-8 pass through unchanged and every byte that is not part
 * of a well-formed sequence becomes \ufffd.  Returns CT_OK or CT_NOMEM.
 * Written straight into b, 8 plain bytes per check where it can: records
 * carry a dozen strings each.
 */
int ct_buf_json_strn(struct ct_buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, end = n < ESC_CHUNK ? n : ESC_CHUNK;
	char *d = ct_buf_room(b, 6 * end + 5);

	if (d == NULL)
		return CT_NOMEM;
	*d++ = '"';
	for (;;) {
		d = json_esc(d, u, &i, end, n);
		if (i >= n)
			break;
		ct_buf_commit(b, d);
		end = n - i < ESC_CHUNK ? n : i + ESC_CHUNK;
		if ((d = ct_buf_room(b, 6 * (end - i) + 4)) == NULL)
			return CT_NOMEM;
	}
	*d++ = '"';
	ct_buf_commit(b, d);
	return CT_OK;
}

/*
 * Appends s as a JSON string literal with its quotes, as ct_buf_json_strn
 * (the string's bytes up to its NUL); NULL appends the literal null.
 * Returns CT_OK or CT_NOMEM.
 */
int ct_buf_json_str(struct ct_buf *b, const char *s)
{
	if (s == NULL)
		return ct_buf_append(b, "null", 4);
	return ct_buf_json_strn(b, s, strlen(s));
}

/* True when the CSV field must be quoted (RFC 4180 §2.6, plus edge blanks). */
static bool csv_needs_quotes(const char *s, size_t len)
{
	if (len == 0)
		return true;
	if (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t')
		return true;
	return strpbrk(s, ",\"\r\n") != NULL;
}

/*
 * Appends s as one CSV field (RFC 4180 §2.5-2.7): the field is enclosed in
 * double quotes when it contains a comma, a quote, CR or LF, or starts or
 * ends with a blank, and inner quotes are doubled.  NULL appends nothing (an
 * empty field); an empty string appends "" so that it stays distinct from
 * NULL (the PostgreSQL COPY convention).  Bytes are otherwise copied as is.
 * Returns CT_OK or CT_NOMEM.
 */
int ct_buf_csv_str(struct ct_buf *b, const char *s)
{
	const char *q;
	size_t len;

	if (s == NULL)
		return b->oom ? CT_NOMEM : CT_OK;
	len = strlen(s);
	if (!csv_needs_quotes(s, len))
		return ct_buf_append(b, s, len);
	ct_buf_append(b, "\"", 1);
	while ((q = strchr(s, '"')) != NULL) {
		ct_buf_append(b, s, (size_t)(q - s) + 1);
		ct_buf_append(b, "\"", 1);
		s = q + 1;
	}
	ct_buf_puts(b, s);
	return ct_buf_append(b, "\"", 1);
}

/*
 * Copies msg into dst (size > 0 bytes) as one line for an error message:
 * each newline but a final one becomes "; ", tabs and carriage returns are
 * dropped, and the copy stops where it would not fit.  NULL msg gives "".
 */
void ct_one_line(char *dst, size_t size, const char *msg)
{
	size_t o = 0;

	for (; msg != NULL && *msg != '\0' && o + 3 < size; msg++) {
		if (*msg == '\n') {
			if (msg[1] != '\0') {
				dst[o++] = ';';
				dst[o++] = ' ';
			}
		} else if (*msg != '\t' && *msg != '\r') {
			dst[o++] = *msg;
		}
	}
	dst[o] = '\0';
}

/* ---- credentials in messages -------------------------------------------- */

#define MASK "***"
#define MASK_MAX_SECRETS 8
#define MASK_MIN_SECRET 4   /* shorter values of origin are not searched for in text */

/* A value of the scanned text that is a credential: [start, end). */
struct mask_span {
	size_t start, end;
};

struct mask_spans {
	struct mask_span v[MASK_MAX_SECRETS];
	size_t n;
};

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == '-';
}

/* True when a key=value name names a credential (case-insensitive). */
static bool secret_name(const char *s, size_t n)
{
	static const char *const part[] = {
		"pass", "pwd", "token", "secret", "apikey", "api_key", "api-key", "auth",
		"credential", "signature",
	};
	static const char *const whole[] = { "key", "code", "sig", "sas", "jwt" };
	char low[64];
	size_t i;

	if (n == 0 || n >= sizeof(low))
		return false;
	for (i = 0; i < n; i++)
		low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	low[n] = '\0';
	for (i = 0; i < sizeof(part) / sizeof(part[0]); i++)
		if (strstr(low, part[i]) != NULL)
			return true;
	for (i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
		if (strcmp(low, whole[i]) == 0)
			return true;
	return false;
}

/* Notes [a, b) as a credential: into spans (when given), "***" into out. */
static size_t mask_value(const char *s, size_t a, size_t b, struct ct_buf *out,
    struct mask_spans *sp)
{
	(void)s;
	if (b <= a)
		return a;
	if (sp != NULL && sp->n < MASK_MAX_SECRETS)
		sp->v[sp->n++] = (struct mask_span){ a, b };
	if (out != NULL)
		ct_buf_puts(out, MASK);
	return b;
}

static void emit(struct ct_buf *out, const char *s, size_t a, size_t b)
{
	if (out != NULL && b > a)
		ct_buf_append(out, s + a, b - a);
}

/*
 * One URL starting with "://" at s[i] (the scheme is already emitted):
 * masks the password of user:password@ and the value of every query
 * parameter (a bare parameter whole).  Returns the index after the URL.
 */
static size_t mask_url(const char *s, size_t n, size_t i, struct ct_buf *out,
    struct mask_spans *sp)
{
	size_t e, a = i + 3, ae, at = 0, k, p, pe, q, lim;
	bool has_at = false;

	/* userinfo may hold blanks (a badly quoted password): look for '@' up to the path */
	for (lim = a; lim < n && strchr("/?#\"'<>`\r\n", s[lim]) == NULL; lim++)
		if (s[lim] == '@') {
			at = lim;
			has_at = true;
		}
	for (ae = has_at ? at : a; ae < n && strchr("/?#\"'<>` \t\r\n", s[ae]) == NULL; ae++)
		;
	for (e = ae; e < n && strchr(" \t\r\n\"'<>`", s[e]) == NULL; e++)
		;
	emit(out, s, i, a);
	k = a;
	if (has_at) {
		for (p = a; p < at && s[p] != ':'; p++)
			;
		if (p < at) {
			emit(out, s, a, p + 1);
			mask_value(s, p + 1, at, out, sp);
			k = at;
		}
	}
	for (q = ae; q < e && s[q] != '?'; q++)
		;
	emit(out, s, k, q < e ? q + 1 : e);
	if (q >= e)
		return e;
	for (p = q + 1; p < e && s[p] != '#'; p = pe + (pe < e && s[pe] != '#')) {
		size_t eq;

		for (pe = p; pe < e && s[pe] != '&' && s[pe] != ';' && s[pe] != '#'; pe++)
			;
		for (eq = p; eq < pe && s[eq] != '='; eq++)
			;
		if (eq < pe) {
			emit(out, s, p, eq + 1);
			mask_value(s, eq + 1, pe, out, sp);
		} else {
			mask_value(s, p, pe, out, sp);
		}
		if (pe < e && s[pe] != '#')
			emit(out, s, pe, pe + 1);
	}
	emit(out, s, p, e);
	return e;
}

/* End of a key=value value at s[v]: quoted ('...' or "..." with \ escapes) or up to a blank. */
static size_t value_end(const char *s, size_t n, size_t v)
{
	char q = s[v];

	if (q == '\'' || q == '"') {
		for (v++; v < n && s[v] != q; v++)
			if (s[v] == '\\' && v + 1 < n)
				v++;
		return v < n ? v + 1 : n;
	}
	while (v < n && strchr(" \t\r\n&;,)\"'", s[v]) == NULL)
		v++;
	return v;
}

/*
 * Copies s[0..n) into out (when given) with its credentials masked, noting
 * their spans in sp (when given): URLs (see mask_url) and key=value items
 * whose key names a credential (password=, sslpassword=, token=, api_key=...,
 * spaces allowed around '=', libpq quoting understood).
 */
static void mask_scan(const char *s, size_t n, struct ct_buf *out, struct mask_spans *sp)
{
	size_t i = 0, j, k;

	while (i < n) {
		if (n - i >= 3 && memcmp(s + i, "://", 3) == 0) {
			i = mask_url(s, n, i, out, sp);
			continue;
		}
		if (!ident_char(s[i]) || (i > 0 && (ident_char(s[i - 1]) || s[i - 1] == '.'))) {
			emit(out, s, i, i + 1);
			i++;
			continue;
		}
		for (j = i; j < n && ident_char(s[j]); j++)
			;
		for (k = j; k < n && (s[k] == ' ' || s[k] == '\t'); k++)
			;
		if (k < n && s[k] == '=' && secret_name(s + i, j - i)) {
			for (k++; k < n && (s[k] == ' ' || s[k] == '\t'); k++)
				;
			emit(out, s, i, k);
			i = mask_value(s, k, value_end(s, n, k), out, sp);
			continue;
		}
		emit(out, s, i, j);
		i = j;
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes %XX escapes (and, for a quoted value, the quotes and \ escapes) into out. */
static void secret_decoded(const char *s, size_t n, struct ct_buf *out)
{
	size_t i;

	if (n >= 2 && (s[0] == '\'' || s[0] == '"')) {
		for (i = 1; i < n && s[i] != s[0]; i++) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			ct_buf_append(out, s + i, 1);
		}
		return;
	}
	for (i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < n &&
		    (hi = hexval(s[i + 1])) >= 0 && (lo = hexval(s[i + 2])) >= 0) {
			char c = (char)(hi * 16 + lo);

			ct_buf_append(out, &c, 1);
			i += 2;
		} else {
			ct_buf_append(out, s + i, 1);
		}
	}
}

/*
 * Copies text into dst (size bytes, always NUL-terminated, cut to fit) with
 * every credential replaced by "***": the password of a URL's
 * user:password@, the value of every URL query parameter, and the value of
 * key=value items whose key names a credential (password, sslpassword,
 * token, secret, api_key, ...).  origin, when not NULL, is the URL or libpq
 * connection string the text came from or talks about (a library's error
 * message may quote a piece of it): its credentials, as written and
 * decoded, are masked wherever they occur in text (those of at least
 * MASK_MIN_SECRET bytes).  Returns dst.  Every message that shows a webhook
 * URL or a PostgreSQL conninfo, or a library's message about one, goes
 * through here.
 */
char *ct_mask_secrets(char *dst, size_t size, const char *text, const char *origin)
{
	struct ct_buf sec[MASK_MAX_SECRETS * 2], a, b;
	struct mask_spans sp;
	size_t i, k, n = 0, tn;

	if (size == 0)
		return dst;
	if (text == NULL)
		text = "";
	sp.n = 0;
	if (origin != NULL)
		mask_scan(origin, strlen(origin), NULL, &sp);
	for (k = 0; k < sp.n; k++) {
		const char *v = origin + sp.v[k].start;
		size_t len = sp.v[k].end - sp.v[k].start;

		ct_buf_init(&sec[n]);
		ct_buf_append(&sec[n++], v, len);
		ct_buf_init(&sec[n]);
		secret_decoded(v, len, &sec[n++]);
	}
	/* Pass 1: the origin's secrets, longest match first at each place. */
	ct_buf_init(&a);
	tn = strlen(text);
	for (i = 0; i < tn;) {
		size_t best = 0;

		for (k = 0; k < n; k++)
			if (!sec[k].oom && sec[k].len >= MASK_MIN_SECRET && sec[k].len > best &&
			    sec[k].len <= tn - i && memcmp(text + i, sec[k].p, sec[k].len) == 0)
				best = sec[k].len;
		if (best > 0) {
			ct_buf_puts(&a, MASK);
			i += best;
		} else {
			ct_buf_append(&a, text + i, 1);
			i++;
		}
	}
	/* Pass 2: the patterns. */
	ct_buf_init(&b);
	if (!a.oom)
		mask_scan(a.p != NULL ? a.p : "", a.len, &b, NULL);
	if (a.oom || b.oom)
		snprintf(dst, size, "(message hidden: out of memory)");
	else
		snprintf(dst, size, "%s", b.p != NULL ? b.p : "");
	for (k = 0; k < n; k++)
		ct_buf_fini(&sec[k]);
	ct_buf_fini(&a);
	ct_buf_fini(&b);
	return dst;
}

/* True for "+" followed by one or more digits only: a plain E.164 number. */
static bool is_e164(const char *s)
{
	if (*s++ != '+' || *s == '\0')
		return false;
	while (*s >= '0' && *s <= '9')
		s++;
	return *s == '\0';
}

/*
 * Copies text s into out (reset first) made safe for a spreadsheet:
 *  - control characters are removed: C0 (0x00-0x1f, which includes TAB, CR
 *    and LF), DEL and the C1 controls U+0080..U+009F, so no escape sequence
 *    reaches a terminal or a cell;
 *  - a byte that is not well-formed UTF-8 becomes U+FFFD, as in the JSON;
 *  - when what is left starts with '=', '+', '-' or '@' (a formula in
 *    Excel, LibreOffice and Google Sheets), a single quote is put in front
 *    so that the cell is read as text; a plain E.164 number ("+" and digits
 *    only) is left as it is, since a spreadsheet reads it as a number.
 * The result is then quoted as RFC 4180 requires by ct_buf_csv_str.
 */
void ct_buf_csv_safe(struct ct_buf *out, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n;

	ct_buf_reset(out);
	while (*u != '\0') {
		for (n = 0; u[n] >= 0x20 && u[n] < 0x7f; n++)
			;
		if (n > 0) {    /* a run of printable ASCII, copied at once */
			ct_buf_append(out, u, n);
			u += n;
			continue;
		}
		if (*u < 0x20 || *u == 0x7f) {
			u++;
			continue;
		}
		n = *u >= 0x80 ? ct_utf8_len(u, strnlen((const char *)u, 4)) : 1;
		if (n == 0) {
			ct_buf_puts(out, "\xef\xbf\xbd");   /* U+FFFD */
			u++;
			continue;
		}
		if (!(n == 2 && u[0] == 0xc2 && u[1] <= 0x9f))
			ct_buf_append(out, u, n);
		u += n;
	}
	if (out->oom || out->len == 0 || strchr("=+-@", out->p[0]) == NULL || is_e164(out->p))
		return;
	ct_buf_append(out, "", 1);   /* room for the quote, then shift */
	if (!out->oom) {
		memmove(out->p + 1, out->p, out->len);
		out->p[0] = '\'';
	}
}

/*
 * One pass of ct_buf_csv_safe + ct_buf_csv_str for the n bytes of s (n > 0)
 * when s[0] survives the clean-up and is not a formula prefix: the cell is
 * written at d (room for 3 * n + 2 bytes), quoted afterwards when it turns
 * out to need it.  Returns the end of the cell.
 */
static char *csv_cell_body(char *d, const unsigned char *s, size_t n)
{
	char *start = d;
	size_t j = 0, k, run;
	bool quote = s[0] == ' ';

	for (run = j;; run = j) {
		k = copy_plain(d, s, j, n, run, true);
		d += k;
		j += k;
		if (j >= n)
			break;
		if (s[j] == ',' || s[j] == '"') {
			quote = true;
			if (s[j] == '"')
				*d++ = '"';
			*d++ = (char)s[j++];
			continue;
		}
		if (s[j] < 0x80) {    /* C0 control or DEL: removed */
			j++;
			continue;
		}
		k = ct_utf8_len(s + j, n - j < 4 ? n - j : 4);
		if (k == 0) {
			memcpy(d, "\xef\xbf\xbd", 3);   /* U+FFFD */
			d += 3;
			j++;
			continue;
		}
		if (k == 2 && s[j] == 0xc2 && s[j + 1] <= 0x9f) {   /* C1 control: removed */
			j += 2;
			continue;
		}
		while (k-- > 0)
			*d++ = (char)s[j++];
	}
	if (d > start && d[-1] == ' ')
		quote = true;
	if (!quote)
		return d;
	memmove(start + 1, start, (size_t)(d - start));
	*start = '"';
	d++;
	*d++ = '"';
	return d;
}

/*
 * Writes text s (n bytes, its strlen) at d as ct_buf_csv_cell would
 * append it, when that takes one pass: returns the end of the cell (no
 * NUL written), or NULL when s needs ct_buf_csv_cell (nothing written).
 * d has room for 3 * n + 2 bytes.
 */
char *ct_csv_cell_put(char *d, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char c = u[0];

	if (n == 0) {
		memcpy(d, "\"\"", 2);
		return d + 2;
	}
	if (c == '+' && is_e164(s)) {
		memcpy(d, s, n);
		return d + n;
	}
	if (c < 0x20 || c == 0x7f || c == '=' || c == '+' || c == '-' || c == '@' ||
	    (c == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f) || n > CT_PUT_MAX)
		return NULL;
	return csv_cell_body(d, u, n);
}

/*
 * Appends text s as one spreadsheet-safe CSV field: the same bytes as
 * ct_buf_csv_safe(scratch, s) followed by ct_buf_csv_str(b, scratch->p),
 * which is what the fallback does.  The usual cell (a first byte that is
 * printable, not a formula prefix, or a plain E.164 number) is cleaned,
 * escaped and copied in one pass straight into b instead, 8 bytes per
 * check where it can: a CSV row has a dozen text cells.  CT_OK or
 * CT_NOMEM (b->oom set, also when scratch ran out of memory).
 */
int ct_buf_csv_cell(struct ct_buf *b, const char *s, struct ct_buf *scratch)
{
	size_t n = strlen(s);
	char *d = ct_buf_room(b, 3 * n + 2), *e;

	if (d == NULL)
		return CT_NOMEM;
	if ((e = ct_csv_cell_put(d, s, n)) != NULL) {
		ct_buf_commit(b, e);
		return CT_OK;
	}
	ct_buf_csv_safe(scratch, s);
	if (scratch->oom) {
		b->oom = 1;
		return CT_NOMEM;
	}
	return ct_buf_csv_str(b, scratch->p);
}
