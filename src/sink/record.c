/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Call detail record helpers: derived durations, enum names, ISO 8601 time
 * formatting, the record's JSON form (from the schema table, schema.c), and
 * the output file (path or stdout) shared by the JSON, CSV and table sinks.
 * Workload: one record per finished call, rendered once per sink, so clarity
 * beats speed here; the JSON form is diffed byte for byte by the golden
 * tests, so every number format is fixed (no locale, no NaN/Inf, fixed
 * decimals) and the key order is the order of ct_schema_calls[].
 * References: RFC 8259 (JSON), RFC 3339 §5.6 (timestamps), RFC 3550 A.3/A.8
 * (stream loss and jitter), ITU-T G.107 (MOS), RFC 4733 (DTMF);
 * docs/schema.md defines every field.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/fdio.h"
#include "calltap/record.h"
#include "calltap/sip.h"
#include "record_int.h"

/* Interval b - a in microseconds, or -1 when either end is missing. */
static int64_t interval_us(int64_t a, int64_t b)
{
	if (a == CT_TIME_NONE || b == CT_TIME_NONE)
		return -1;
	return b > a ? b - a : 0;
}

/*
 * Milliseconds from the first INVITE to the first 180/183, rounded to the
 * nearest millisecond (half up); 0 if ringing precedes start (clock skew);
 * -1 when there was no ringing or no start.
 */
int64_t ct_record_setup_ms(const struct ct_call_record *r)
{
	int64_t d = interval_us(r->start_us, r->ringing_us);

	return d < 0 ? -1 : (d + 500) / 1000;
}

/* Milliseconds from the first INVITE to the 2xx, as ct_record_setup_ms(). */
int64_t ct_record_answer_ms(const struct ct_call_record *r)
{
	int64_t d = interval_us(r->start_us, r->answer_us);

	return d < 0 ? -1 : (d + 500) / 1000;
}

/* Seconds from the first INVITE to the end (>= 0), or -1.0 without an end. */
double ct_record_duration_s(const struct ct_call_record *r)
{
	int64_t d = interval_us(r->start_us, r->end_us);

	return d < 0 ? -1.0 : (double)d / 1e6;
}

/*
 * Seconds from the answer to the end (>= 0), or -1.0 if unanswered or no
 * end.  A call answered before the capture started (start_seen false, no
 * answer_time) talked at least from its first message seen: from start.
 */
double ct_record_talk_s(const struct ct_call_record *r)
{
	int64_t d = interval_us(r->answer_us, r->end_us);

	if (r->start_unseen && r->answer_us == CT_TIME_NONE &&
	    r->disposition == CT_DISP_ANSWERED)
		d = interval_us(r->start_us, r->end_us);

	return d < 0 ? -1.0 : (double)d / 1e6;
}

/* Static lower-case name of d; "unknown" for a value outside the enum. */
const char *ct_disposition_name(enum ct_disposition d)
{
	static const char *const names[] = {
		[CT_DISP_ANSWERED] = "answered", [CT_DISP_BUSY] = "busy",
		[CT_DISP_NOANSWER] = "noanswer", [CT_DISP_CANCELLED] = "cancelled",
		[CT_DISP_FAILED] = "failed", [CT_DISP_UNFINISHED] = "unfinished",
	};

	if ((unsigned)d >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[d];
}

/* "caller" or "callee"; NULL for CT_PARTY_NONE or an unknown value. */
const char *ct_party_name(enum ct_party p)
{
	switch (p) {
	case CT_PARTY_CALLER: return "caller";
	case CT_PARTY_CALLEE: return "callee";
	default:              return NULL;
	}
}

/* Static name of d; "unknown" for CT_DIR_UNKNOWN or a value outside the enum. */
const char *ct_direction_name(enum ct_direction d)
{
	switch (d) {
	case CT_DIR_INBOUND:  return "inbound";
	case CT_DIR_OUTBOUND: return "outbound";
	case CT_DIR_INTERNAL: return "internal";
	default:              return "unknown";
	}
}

/* "udp", "tcp", "ws", or "unknown" for any other CT_TRANSPORT_* value. */
const char *ct_transport_name(uint8_t transport)
{
	switch (transport) {
	case CT_TRANSPORT_UDP: return "udp";
	case CT_TRANSPORT_TCP: return "tcp";
	case CT_TRANSPORT_WS:  return "ws";
	default:               return "unknown";
	}
}

/* Static name of o ("answered", "no_answer", ...); "unknown" outside the enum. */
const char *ct_ring_outcome_name(enum ct_ring_outcome o)
{
	static const char *const names[] = {
		[CT_RING_ANSWERED] = "answered", [CT_RING_NO_ANSWER] = "no_answer",
		[CT_RING_BUSY] = "busy", [CT_RING_REJECTED] = "rejected",
		[CT_RING_CANCELLED_ELSEWHERE] = "cancelled_elsewhere",
		[CT_RING_CALLER_HANGUP] = "caller_hangup", [CT_RING_FAILED] = "failed",
		[CT_RING_UNKNOWN] = "unknown",
	};

	if ((unsigned)o >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[o];
}

/* Static name of a ("agent", "ivr", ...); NULL for CT_ANS_NONE or outside the enum. */
const char *ct_answered_by_name(enum ct_answered_by a)
{
	switch (a) {
	case CT_ANS_AGENT:     return "agent";
	case CT_ANS_IVR:       return "ivr";
	case CT_ANS_VOICEMAIL: return "voicemail";
	case CT_ANS_EXTERNAL:  return "external";
	case CT_ANS_UNKNOWN:   return "unknown";
	default:               return NULL;
	}
}

/* Frees n rings and their strings.  NULL is a no-op. */
void ct_rings_free(struct ct_ring *rings, size_t n)
{
	size_t i;

	for (i = 0; rings != NULL && i < n; i++) {
		free(rings[i].agent);
		free(rings[i].call_id);
		free(rings[i].transferred_to);
	}
	free(rings);
}

/* Appends t as a JSON string (ISO 8601) or null. */
static void json_time(struct ct_buf *b, int64_t us)
{
	char t[40];

	ct_time_iso(us, t, sizeof(t));
	if (t[0] != '\0')
		ct_buf_json_str(b, t);
	else
		ct_buf_puts(b, "null");
}

/*
 * Replaces r's rings by rings[0..n) (ownership passes; on error they are
 * freed too) and builds r->rings_json, the `rings` JSON array:
 * [{"agent", "call_id", "ring_start", "ring_end", "outcome", "pickup_ms",
 * "transferred_to"}].
 * CT_OK or CT_NOMEM (r then has no rings).
 */
int ct_record_set_rings(struct ct_call_record *r, struct ct_ring *rings, size_t n)
{
	struct ct_buf b;
	size_t i;

	ct_rings_free(r->rings, r->n_rings);
	ct_record_str_free(r, r->rings_json);
	r->rings = NULL;
	r->rings_json = NULL;
	r->n_rings = 0;
	if (n == 0) {
		free(rings);
		return CT_OK;
	}
	ct_buf_init(&b);
	ct_buf_puts(&b, "[");
	for (i = 0; i < n; i++) {
		const struct ct_ring *g = &rings[i];

		ct_buf_puts(&b, i > 0 ? ",{\"agent\":" : "{\"agent\":");
		if (g->agent != NULL)
			ct_buf_json_str(&b, g->agent);
		else
			ct_buf_puts(&b, "null");
		ct_buf_puts(&b, ",\"call_id\":");
		if (g->call_id != NULL)
			ct_buf_json_str(&b, g->call_id);
		else
			ct_buf_puts(&b, "null");
		ct_buf_puts(&b, ",\"ring_start\":");
		json_time(&b, g->start_us);
		ct_buf_puts(&b, ",\"ring_end\":");
		json_time(&b, g->end_us);
		ct_buf_puts(&b, ",\"outcome\":");
		ct_buf_json_str(&b, ct_ring_outcome_name(g->outcome));
		ct_buf_puts(&b, ",\"pickup_ms\":");
		if (g->outcome == CT_RING_ANSWERED && g->start_us != CT_TIME_NONE &&
		    g->end_us != CT_TIME_NONE && g->end_us >= g->start_us)
			ct_buf_i64(&b, (g->end_us - g->start_us + 500) / 1000);
		else
			ct_buf_puts(&b, "null");
		ct_buf_puts(&b, ",\"transferred_to\":");
		if (g->transferred_to != NULL)
			ct_buf_json_str(&b, g->transferred_to);
		else
			ct_buf_puts(&b, "null");
		ct_buf_puts(&b, "}");
	}
	if (ct_buf_puts(&b, "]") != CT_OK || b.p == NULL) {
		ct_buf_fini(&b);
		ct_rings_free(rings, n);
		return CT_NOMEM;
	}
	r->rings_json = ct_record_strndup(r, b.p, b.len);
	ct_buf_fini(&b);
	if (r->rings_json == NULL) {
		ct_rings_free(rings, n);
		return CT_NOMEM;
	}
	r->rings = rings;
	r->n_rings = n;
	return CT_OK;
}

/* Writes v as exactly n decimal digits (zero-padded) ending at p[n - 1]. */
static void put_digits(char *p, unsigned v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* "00" .. "99". */
static const char digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Writes v (< 100) as two digits at p. */
static inline void put2(char *p, unsigned v)
{
	p[0] = digits2[2 * v];
	p[1] = digits2[2 * v + 1];
}

/*
 * The date part "YYYY-MM-DDT" of the last day ct_time_iso formatted on this
 * thread (day: days since the epoch, -1 before the first), and the text up
 * to the microseconds of the last second.  A cache of a pure function, per
 * thread so that the output threads never share it: the times of a record,
 * and of the records of a flood, fall on the same day and often the same
 * second, and the civil date is most of the work.
 */
struct iso_day {
	int64_t day;
	int64_t sec;         /* the second whose text is in sec_text, -1 before the first */
	char text[12];
	char sec_text[20];   /* "YYYY-MM-DDTHH:MM:SS." of sec */
};
static _Thread_local struct iso_day iso_day_cache = { -1, -1, "", "" };

/* Writes day (days since 1970-01-01, 0 .. 2932896) as "YYYY-MM-DDT" at buf. */
static void iso_date(int64_t day, char *buf)
{
	int64_t days = day + 719468;   /* days since 0000-03-01 */
	unsigned era_day, yoe, doy, mp, y, m, d;

	era_day = (unsigned)(days % 146097);
	yoe = (era_day - era_day / 1460 + era_day / 36524 - era_day / 146096) / 365;
	y = (unsigned)(days / 146097) * 400 + yoe;
	doy = era_day - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	put_digits(buf, y, 4);
	buf[4] = '-';
	put2(buf + 5, m);
	buf[7] = '-';
	put2(buf + 8, d);
	buf[10] = 'T';
}

/*
 * Writes us (microseconds since the epoch) as "YYYY-MM-DDTHH:MM:SS.uuuuuuZ"
 * (UTC, 27 characters) into buf and returns buf.  Negative times (including
 * CT_TIME_NONE), times after 9999-12-31 (timestamps are clamped below that)
 * and a buffer too small for the text give "" (when len > 0).  buf may be
 * NULL only when len is 0.  The civil date comes from the day count by the
 * proleptic Gregorian rule (400-year eras of 146097 days, years starting in
 * March so that the leap day is the last of its year), without gmtime_r and
 * printf, and is kept per thread for the next time on the same day (the
 * rest is two digits per table load): records carry two or more times
 * each and floods make millions.
 */
char *ct_time_iso(int64_t us, char *buf, size_t len)
{
	struct iso_day *c = &iso_day_cache;
	int64_t sec, day;
	unsigned sod, frac;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (us < 0 || len < 28 || us / 1000000 >= INT64_C(253402300800))   /* 10000-01-01 */
		return buf;
	sec = us / 1000000;
	frac = (unsigned)(us - sec * 1000000);
	if (c->sec != sec) {
		day = sec / 86400;
		sod = (unsigned)(sec - day * 86400);
		if (c->day != day) {
			iso_date(day, c->text);
			c->day = day;
		}
		memcpy(c->sec_text, c->text, 11);
		put2(c->sec_text + 11, sod / 3600);
		c->sec_text[13] = ':';
		put2(c->sec_text + 14, sod / 60 % 60);
		c->sec_text[16] = ':';
		put2(c->sec_text + 17, sod % 60);
		c->sec_text[19] = '.';
		c->sec = sec;
	}
	memcpy(buf, c->sec_text, 20);
	put2(buf + 20, frac / 10000);
	put2(buf + 22, frac / 100 % 100);
	put2(buf + 24, frac % 100);
	buf[26] = 'Z';
	buf[27] = '\0';
	return buf;
}

/* True when p points into r's string room (so it is not its own block). */
static inline bool in_room(const struct ct_call_record *r, const char *p)
{
	uintptr_t a = (uintptr_t)p, lo = (uintptr_t)r->arena;

	return a - lo < r->arena_size;   /* unsigned: false below lo too */
}

struct ct_call_record *ct_record_new(size_t room)
{
	struct ct_call_record *r;

	if (room > UINT32_MAX || room > SIZE_MAX - sizeof(*r))
		return NULL;
	r = malloc(sizeof(*r) + room);   /* the room is not zeroed: never read unwritten */
	if (r == NULL)
		return NULL;
	memset(r, 0, sizeof(*r));
	if (room > 0) {
		r->arena = (char *)(r + 1);
		r->arena_size = (uint32_t)room;
	}
	return r;
}

char *ct_record_take(struct ct_call_record *r, size_t n)
{
	char *c;

	if (n > r->arena_size - r->arena_used)
		return NULL;
	c = r->arena + r->arena_used;
	r->arena_used += (uint32_t)n;
	return c;
}

char *ct_record_strndup(struct ct_call_record *r, const char *s, size_t n)
{
	char *c;

	if (n < r->arena_size - r->arena_used) {
		c = r->arena + r->arena_used;
		r->arena_used += (uint32_t)(n + 1);
	} else if (n == SIZE_MAX || (c = malloc(n + 1)) == NULL) {
		return NULL;
	}
	memcpy(c, s, n);
	c[n] = '\0';
	return c;
}

char *ct_record_strdup(struct ct_call_record *r, const char *s)
{
	return s != NULL ? ct_record_strndup(r, s, strlen(s)) : NULL;
}

void ct_record_str_free(const struct ct_call_record *r, char *p)
{
	if (p != NULL && !in_room(r, p))
		free(p);
}

int ct_record_set_str(struct ct_call_record *r, char **field, const char *s)
{
	char *c = NULL;

	if (s == *field)
		return CT_OK;
	if (s != NULL && (c = ct_record_strdup(r, s)) == NULL)
		return CT_NOMEM;
	ct_record_str_free(r, *field);   /* after the copy: s may be in it */
	*field = c;
	return CT_OK;
}

/* Frees field f of r when it is its own block (not NULL, not in r's room). */
#define FREE_OWN(r, f) \
	do { \
		if ((uintptr_t)(r)->f - lo >= size && (r)->f != NULL) \
			free((r)->f); \
	} while (0)

/*
 * Frees r: the string fields that are their own blocks (those in r's room
 * go with it), the streams with their intervals, the rings, and r itself
 * (one free() for a record built by ct_record_new whose strings all fit).
 * NULL is a no-op.
 */
void ct_call_record_free(struct ct_call_record *r)
{
	uintptr_t lo;
	size_t size, i;

	if (r == NULL)
		return;
	lo = (uintptr_t)r->arena;
	size = r->arena_size;
	FREE_OWN(r, call_id);
	FREE_OWN(r, caller);
	FREE_OWN(r, caller_name);
	FREE_OWN(r, callee);
	FREE_OWN(r, agent);
	FREE_OWN(r, hangup_reason);
	FREE_OWN(r, recording);
	FREE_OWN(r, pcap_path);
	FREE_OWN(r, undecodable);
	FREE_OWN(r, sensor);
	FREE_OWN(r, source);
	FREE_OWN(r, campaign);
	FREE_OWN(r, caller_number);
	FREE_OWN(r, callee_number);
	FREE_OWN(r, callback_of);
	FREE_OWN(r, session_id);   /* lease fields */
	FREE_OWN(r, visitor_id);
	FREE_OWN(r, client_id);
	FREE_OWN(r, utm_source);
	FREE_OWN(r, utm_medium);
	FREE_OWN(r, utm_campaign);
	FREE_OWN(r, utm_term);
	FREE_OWN(r, utm_content);
	FREE_OWN(r, click_id);
	FREE_OWN(r, link_id);
	FREE_OWN(r, diverted_from);
	FREE_OWN(r, parent_call_id);
	FREE_OWN(r, rings_json);
	if (r->streams != NULL) {
		for (i = 0; i < r->n_streams; i++)
			free(r->streams[i].ivals);
		free(r->streams);
	}
	if (r->rings != NULL)
		ct_rings_free(r->rings, r->n_rings);
	free(r);
}

#undef FREE_OWN

/*
 * ct_fmt_fixed by snprintf, for what the hand-written path does not take
 * (huge values, prec > FIX_MAX_PREC): a ',' decimal point is turned back
 * into '.', and a negative zero loses its sign.
 */
static bool fmt_fixed_printf(double d, int prec, char *buf, size_t len)
{
	char *p;
	int n;

	n = snprintf(buf, len, "%.*f", prec, d);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return false;
	}
	p = strchr(buf, ',');
	if (p != NULL)
		*p = '.';
	if (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1))
		memmove(buf, buf + 1, strlen(buf));
	return true;
}

#ifdef __SIZEOF_INT128__
/* 10^0 .. 10^FIX_MAX_PREC, exact in both uint64_t and double. */
#define FIX_MAX_PREC 9
static const uint64_t pow10_u64[FIX_MAX_PREC + 1] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
};
#endif

/*
 * The exact "%.*f" digits of |d| (0 <= |d| < 2^53, prec <= FIX_MAX_PREC) as
 * one integer, round(|d| * 10^prec) with ties to even, as glibc's printf
 * rounds the exact binary value in the default rounding mode (away from a
 * tie, the product in doubles says it at once).  The integer
 * part is exact in a double and the fraction f = m * 2^-k (m < 2^53) times
 * 5^prec * 2^prec is computed exactly in 128 bits, so no double rounding.
 */
#ifdef __SIZEOF_INT128__
static uint64_t fixed_digits(double a, int prec)
{
	double t = a * (double)pow10_u64[prec], ip, f;
	uint64_t q, m, p5 = 1;
	unsigned __int128 num, rem, half;
	int e, k, i;

	/*
	 * Quick answer: below 2^40 the product t is within 2^-13 of the exact
	 * a * 10^prec, so unless t is near a tie (.499 to .501) rounding t
	 * rounds the exact value the same way.
	 */
	if (t < 1099511627776.0) {
		q = (uint64_t)t;
		f = t - (double)q;
		if (f < 0.499)
			return q;
		if (f > 0.501)
			return q + 1;
	}
	ip = floor(a);
	f = a - ip;   /* both exact */
	q = (uint64_t)ip * pow10_u64[prec];
	if (f == 0)
		return q;
	/* f = m * 2^(e - 53) with 2^52 <= m < 2^53 (frexp: f = fr * 2^e, 0.5 <= fr < 1) */
	m = (uint64_t)ldexp(frexp(f, &e), 53);
	k = 53 - e - prec;       /* f * 10^prec = m * 5^prec / 2^k */
	for (i = 0; i < prec; i++)
		p5 *= 5;
	num = (unsigned __int128)m * p5;
	if (k > 120)             /* f * 10^prec < 2^74 / 2^120: rounds to 0 */
		return q;
	if (k <= 0)              /* cannot happen for f < 1 and prec <= 9 */
		return q + (uint64_t)(num << -k);
	q += (uint64_t)(num >> k);
	rem = num & (((unsigned __int128)1 << k) - 1);
	half = (unsigned __int128)1 << (k - 1);
	if (rem > half || (rem == half && (q & 1)))
		q++;
	return q;
}
#endif

/*
 * Formats d with prec decimals as "%.*f" in the C locale would (the
 * decimal point is always '.'), without a "-0.000" negative zero.  Returns
 * false and sets buf to "" when d is NaN or infinite or the text does not
 * fit.  Values below 2^53 / 10^prec with prec <= 9 (every column of the
 * schema) are formatted by hand, exactly as printf rounds (ties to even on
 * the binary value; tests/unit/test_recfmt checks it against snprintf):
 * records carry several reals each, and a flood makes millions.
 * fixed_text is the same returning the length of the text (0 on failure).
 */
static size_t fixed_text(double d, int prec, char *buf, size_t len)
{
	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (!isfinite(d))
		return 0;
#ifdef __SIZEOF_INT128__
	if (prec >= 0 && prec <= FIX_MAX_PREC &&
	    fabs(d) < 9007199254740992.0 / (double)pow10_u64[prec]) {
		char tmp[32], *p = len >= sizeof(tmp) ? buf : tmp, *f;
		uint64_t q = fixed_digits(fabs(d), prec), ip = q / pow10_u64[prec];
		unsigned fr = (unsigned)(q - ip * pow10_u64[prec]);
		size_t n = 0;
		int i;

		if (signbit(d) && q != 0)   /* no "-0.00" */
			p[n++] = '-';
		n += ct_fmt_i64(p + n, (int64_t)ip);
		if (prec > 0) {
			p[n++] = '.';
			f = p + n;
			n += (size_t)prec;
			for (i = prec; i >= 2; i -= 2) {
				put2(f + i - 2, fr % 100);
				fr /= 100;
			}
			if (i == 1)
				f[0] = (char)('0' + fr);
		}
		if (n >= len)
			return 0;
		if (p == tmp)
			memcpy(buf, tmp, n);
		buf[n] = '\0';
		return n;
	}
#endif
	return fmt_fixed_printf(d, prec, buf, len) ? strlen(buf) : 0;
}

bool ct_fmt_fixed(double d, int prec, char *buf, size_t len)
{
	return fixed_text(d, prec, buf, len) > 0;
}

size_t ct_fmt_fixed_len(double d, int prec, char *buf, size_t len)
{
	return fixed_text(d, prec, buf, len);
}

/* ---- rendering ----------------------------------------------------------- */

/* Appends v in JSON syntax; a REAL that cannot be formatted becomes null. */
void ct_val_json(const struct ct_val *v, struct ct_buf *b)
{
	char *d;
	size_t n;

	switch (v->kind) {
	case CT_VAL_TEXT:
		ct_buf_json_str(b, v->s);
		break;
	case CT_VAL_JSON:
		ct_buf_puts(b, v->s);
		break;
	case CT_VAL_INT:
	case CT_VAL_STREAMS:
	case CT_VAL_REAL:
	case CT_VAL_BOOL:
		if ((d = ct_buf_room(b, CT_VAL_NUM_MAX)) == NULL)
			break;
		n = ct_val_num(v, d);
		if (n == 0) {
			memcpy(d, "null", 4);
			n = 4;
		}
		ct_buf_commit(b, d + n);
		break;
	default:
		ct_buf_append(b, "null", 4);
		break;
	}
}

/* Appends v as a CSV field: null is empty, booleans are true/false. */
void ct_val_csv(const struct ct_val *v, struct ct_buf *b)
{
	char *d;

	switch (v->kind) {
	case CT_VAL_TEXT:
	case CT_VAL_JSON:
		ct_buf_csv_str(b, v->s);
		break;
	case CT_VAL_INT:
	case CT_VAL_STREAMS:
	case CT_VAL_REAL:
	case CT_VAL_BOOL:
		if ((d = ct_buf_room(b, CT_VAL_NUM_MAX)) != NULL)
			ct_buf_commit(b, d + ct_val_num(v, d));
		break;
	default:
		break;
	}
}

/*
 * Builds k: every key of the JSON form as ,"name":null in a slot of its
 * own (zero-padded to CT_JSON_SLOT bytes), so that a record appends a key,
 * or a key and its null, with one copy of a fixed size (a flood makes
 * thousands of records a second, each with about 60 keys).  A name too
 * long for a slot gets len 0 (written from the name instead).  CT_OK or
 * CT_NOMEM (k is then empty).
 */
int ct_json_keys_init(struct ct_json_keys *k)
{
	size_t n = ct_schema_ncalls + ct_schema_nstreams, i, len;
	const char *name;

	k->key = calloc(n, sizeof(*k->key));
	if (k->key == NULL)
		return CT_NOMEM;
	for (i = 0; i < n; i++) {
		if (i < ct_schema_ncalls && !(ct_schema_calls[i].outputs & CT_OUT_JSON))
			continue;
		name = i < ct_schema_ncalls ? ct_schema_calls[i].name :
		    ct_schema_streams[i - ct_schema_ncalls].name;
		len = strlen(name);
		if (len + 8 >= CT_JSON_SLOT)   /* ,"" :null and the length byte */
			continue;
		k->key[i].text[0] = ',';
		k->key[i].text[1] = '"';
		memcpy(k->key[i].text + 2, name, len);
		memcpy(k->key[i].text + 2 + len, "\":null", 6);
		k->key[i].text[CT_JSON_SLOT - 1] = (char)(len + 4);
	}
	return CT_OK;
}

/* Frees what ct_json_keys_init allocated; k is left empty (fini again is a no-op). */
void ct_json_keys_fini(struct ct_json_keys *k)
{
	free(k->key);
	k->key = NULL;
}

/* Room for a field other than text: its key slot, then the value. */
#define FIELD_ROOM (CT_JSON_SLOT + CT_VAL_NUM_MAX)

/*
 * Where a record is being written: d, the next byte of b, with room up to
 * lim (a NUL still fits after it).  b->len is only brought up to date by
 * wr_sync, so the fields go without a store each.
 */
struct wr {
	struct ct_buf *b;
	char *d, *lim;
};

static inline void wr_sync(struct wr *w)
{
	w->b->len = (size_t)(w->d - w->b->p);
}

/* Makes room for n more bytes; false when out of memory (b->oom set). */
static bool wr_grow(struct wr *w, size_t n)
{
	wr_sync(w);
	if ((w->d = ct_buf_room(w->b, n)) == NULL)
		return false;
	w->lim = w->b->p + w->b->cap - 1;
	return true;
}

static inline bool wr_need(struct wr *w, size_t n)
{
	return (size_t)(w->lim - w->d) >= n || wr_grow(w, n);
}

/* Appends text s (not NULL) as a JSON string; false when out of memory. */
static inline bool wr_json_str(struct wr *w, const char *s)
{
	size_t n = strlen(s);

	if (n > CT_PUT_MAX) {   /* in pieces, by the buffer's own writer */
		wr_sync(w);
		if (ct_buf_json_strn(w->b, s, n) != CT_OK)
			return false;
		w->d = w->b->p + w->b->len;
		w->lim = w->b->p + w->b->cap - 1;
		return true;
	}
	if (!wr_need(w, 6 * n + 5))
		return false;
	w->d = ct_json_str_put(w->d, s, n);
	return true;
}

/* Appends the n bytes at s; false when out of memory. */
static inline bool wr_put(struct wr *w, const char *s, size_t n)
{
	if (!wr_need(w, n))
		return false;
	memcpy(w->d, s, n);
	w->d += n;
	return true;
}

/*
 * Appends ,"name": and the value v (not a stream array) for the key kk of
 * column name, with the field's leading comma (the caller turns the first
 * one of an object into its '{').  The key slot is copied whole (it ends
 * in null, so that a null value costs nothing more); room for FIELD_ROOM
 * bytes is there.  False when out of memory.
 */
static inline __attribute__((always_inline)) bool wr_field(struct wr *w, const struct ct_json_key *kk, const char *name,
    const struct ct_val *v)
{
	size_t n;

	if (CT_JSON_KEY_LEN(kk) == 0) {    /* a name too long for a slot */
		if (!wr_put(w, ",\"", 2) || !wr_put(w, name, strlen(name)) || !wr_put(w, "\":", 2) ||
		    !wr_need(w, FIELD_ROOM))
			return false;
		memcpy(w->d, "null", 4);
	} else {
		memcpy(w->d, kk->text, CT_JSON_SLOT);
		w->d += CT_JSON_KEY_LEN(kk);
	}
	switch (v->kind) {
	case CT_VAL_TEXT:
		if (v->plain == 0)
			return wr_json_str(w, v->s);
		if (!wr_need(w, sizeof(v->tmp) + 2))
			return false;
		*w->d = '"';
		ct_val_plain_copy(v, w->d + 1);
		w->d += v->plain + 1;
		*w->d++ = '"';
		return true;
	case CT_VAL_JSON:
		return wr_put(w, v->s, strlen(v->s));
	case CT_VAL_INT:
	case CT_VAL_STREAMS:
	case CT_VAL_REAL:
	case CT_VAL_BOOL:
		n = ct_val_num(v, w->d);
		if (n > 0) {
			w->d += n;
			return true;
		}
		memcpy(w->d, "null", 4);
		break;
	default:
		break;
	}
	w->d += 4;   /* the slot's null */
	return true;
}

/* Appends one stream object ({"src":...}) with the keys of k; false when out of memory. */
static bool wr_stream(struct wr *w, const struct ct_stream_stats *s, const struct ct_json_keys *k)
{
	const struct ct_json_key *kk = k->key + ct_schema_ncalls;
	size_t start = (size_t)(w->d - w->b->p), i;
	struct ct_val v;

	for (i = 0; i < ct_schema_nstreams; i++) {
		ct_schema_stream_value(&ct_schema_streams[i], s, &v);
		if (!wr_need(w, FIELD_ROOM) || !wr_field(w, &kk[i], ct_schema_streams[i].name, &v))
			return false;
	}
	if (w->b->p + start == w->d)
		return wr_put(w, "{}", 2);
	w->b->p[start] = '{';   /* the first key's comma */
	return wr_put(w, "}", 1);
}

/* Ends the writing of w: b->len and its NUL; CT_OK, or CT_NOMEM when ok is false. */
static int wr_end(struct wr *w, bool ok)
{
	if (!ok || w->b->oom) {
		w->b->oom = 1;
		return CT_NOMEM;
	}
	ct_buf_commit(w->b, w->d);
	return CT_OK;
}

/* Appends one stream as a JSON object, keys in ct_schema_streams[] order. */
void ct_stream_json(const struct ct_stream_stats *s, struct ct_buf *b)
{
	struct ct_json_keys k;
	struct wr w = { b, b->p + b->len, NULL };

	if (ct_json_keys_init(&k) != CT_OK) {
		b->oom = 1;
		return;
	}
	wr_end(&w, wr_grow(&w, FIELD_ROOM) && wr_stream(&w, s, &k));
	ct_json_keys_fini(&k);
}

/* The streams array of r, [...] after its key. */
static bool wr_streams(struct wr *w, const struct ct_call_record *r, const struct ct_json_keys *k)
{
	size_t n;

	if (!wr_put(w, "[", 1))
		return false;
	for (n = 0; r->streams != NULL && n < r->n_streams; n++)
		if ((n > 0 && !wr_put(w, ",", 1)) || !wr_stream(w, &r->streams[n], k))
			return false;
	return wr_put(w, "]", 1);
}

/* A write position in a buffer: d, with room up to lim (a NUL still fits after it). */
struct wpos {
	char *d, *lim;
};

/*
 * Makes room for n bytes at d (the end of what was written into b, ahead
 * of b->len); d.d is NULL when out of memory (b->oom set).
 */
static struct wpos wpos_grow(struct ct_buf *b, char *d, size_t n)
{
	struct wpos w = { NULL, NULL };

	b->len = (size_t)(d - b->p);
	if ((w.d = ct_buf_room(b, n)) != NULL)
		w.lim = b->p + b->cap - 1;
	return w;
}

/*
 * Appends the key kk (or the name when it has no slot) and v (not a
 * stream array) to b through the wr path: the slow way, for names too long
 * for a slot.  false when out of memory.
 */
static bool json_field_slow(struct ct_buf *b, char **d, char **lim,
    const struct ct_json_key *kk, const char *name, const struct ct_val *v)
{
	struct wr w = { b, *d, *lim };
	bool ok = wr_need(&w, FIELD_ROOM) && wr_field(&w, kk, name, v);

	*d = w.d;
	*lim = w.lim;
	return ok;
}

/*
 * ct_record_json with the keys precomputed in k (ct_json_keys_init; NULL:
 * built for this call): the same text.  Each field is its key slot copied
 * whole (with its null: a null value costs nothing more) and its value
 * formatted straight into b, d being where the next byte goes (b->len is
 * only brought up to date for the slow paths); the comma that starts the
 * first field becomes the object's '{'.
 */
int ct_record_json_keys(const struct ct_call_record *r, struct ct_buf *b,
    const struct ct_json_keys *k)
{
	const struct ct_schema_col *c = ct_schema_calls, *e = c + ct_schema_ncalls;
	const struct ct_json_key *kk;
	struct ct_json_keys own;
	size_t start = b->len, n;
	struct ct_val v;
	struct wpos g;
	struct wr w;
	const char *s;
	char *d, *lim;
	bool arr;
	int rc;

/* Room for n bytes at d, else out of memory. */
#define NEED(n) do { \
		if ((size_t)(lim - d) < (n)) { \
			g = wpos_grow(b, d, (n)); \
			if ((d = g.d) == NULL) \
				goto oom; \
			lim = g.lim; \
		} \
	} while (0)

	if (k == NULL) {
		if (ct_json_keys_init(&own) != CT_OK) {
			b->oom = 1;
			return CT_NOMEM;
		}
		rc = ct_record_json_keys(r, b, &own);
		ct_json_keys_fini(&own);
		return rc;
	}
	if (b->oom)
		return CT_NOMEM;
	d = lim = b->p + b->len;
	/*
	 * Room for every field that is not escaped text, asked once: such a
	 * field takes at most FIELD_ROOM bytes, and the room is asked again
	 * for the fields left after each one that may take more.
	 */
	NEED(FIELD_ROOM * (size_t)(e - c) + 2);
	for (kk = k->key; c < e; c++, kk++) {
		if (!(c->outputs & CT_OUT_JSON))
			continue;
		if (CT_JSON_KEY_LEN(kk) == 0) {
			ct_schema_value(c, r, &v);
			arr = v.kind == CT_VAL_STREAMS;
			if (arr) {   /* the key, then the array */
				v.kind = CT_VAL_JSON;
				v.s = "";
			}
			if (!json_field_slow(b, &d, &lim, kk, c->name, &v))
				goto oom;
			if (arr) {
				w = (struct wr){ b, d, lim };
				if (!wr_streams(&w, r, k))
					goto oom;
				d = w.d;
				lim = w.lim;
			}
			NEED(FIELD_ROOM * (size_t)(e - c) + 2);
			continue;
		}
		memcpy(d, kk->text, CT_JSON_SLOT);
		d += CT_JSON_KEY_LEN(kk);
		if (c->get == NULL) {   /* a string field: no ct_val */
			s = *(char *const *)(const void *)((const char *)r + c->str_off);
			if (s == NULL) {
				d += 4;   /* the slot's null */
				continue;
			}
		} else {
			ct_schema_value(c, r, &v);
			switch (v.kind) {
			case CT_VAL_TEXT:
				if (v.plain == 0) {
					s = v.s;
					break;
				}
				*d = '"';   /* sizeof(v.tmp) + 2 < FIELD_ROOM */
				ct_val_plain_copy(&v, d + 1);
				d += v.plain + 1;
				*d++ = '"';
				continue;
			case CT_VAL_INT:
			case CT_VAL_REAL:
			case CT_VAL_BOOL:
				n = ct_val_num(&v, d);
				d += n > 0 ? n : 4;   /* a REAL that cannot be: the slot's null */
				continue;
			case CT_VAL_JSON:
				n = strlen(v.s);
				NEED(n + FIELD_ROOM * (size_t)(e - c) + 2);
				memcpy(d, v.s, n);
				d += n;
				continue;
			case CT_VAL_STREAMS:
				w = (struct wr){ b, d, lim };
				if (!wr_streams(&w, r, k))
					goto oom;
				d = w.d;
				lim = w.lim;
				NEED(FIELD_ROOM * (size_t)(e - c) + 2);
				continue;
			default:
				d += 4;   /* the slot's null */
				continue;
			}
		}
		n = strlen(s);
		if (n > CT_PUT_MAX) {   /* in pieces, by the buffer's own writer */
			b->len = (size_t)(d - b->p);
			if (ct_buf_json_strn(b, s, n) != CT_OK)
				goto oom;
			d = lim = b->p + b->len;
		} else {
			NEED(6 * n + 5 + FIELD_ROOM * (size_t)(e - c));
			d = ct_json_str_put(d, s, n);
		}
		NEED(FIELD_ROOM * (size_t)(e - c) + 2);
	}
	if (d == b->p + start) {
		*d++ = '{';
	} else {
		b->p[start] = '{';   /* the first key's comma */
	}
	*d++ = '}';
	ct_buf_commit(b, d);
	return CT_OK;
oom:
	b->oom = 1;
	return CT_NOMEM;
#undef NEED
}

/*
 * Appends r to b as one compact JSON object without a newline: the keys of
 * the CT_OUT_JSON columns of ct_schema_calls[] in order; "streams" is an
 * array of stream objects ([] when there are none).  r is only read.
 * Returns CT_OK, or CT_NOMEM when b ran out of memory (b->oom is then set
 * and its content is incomplete).  Sinks that write many records use
 * ct_record_json_keys (record_int.h) with keys built once.
 */
int ct_record_json(const struct ct_call_record *r, struct ct_buf *b)
{
	return ct_record_json_keys(r, b, NULL);
}

/* ---- output file shared by the text sinks -------------------------------- */

/* Formats a message into errbuf (CT_ERRBUF_SIZE bytes); NULL errbuf is ignored. */
void ct_sink_err(char *errbuf, const char *fmt, ...)
{
	va_list ap;

	if (errbuf == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, CT_ERRBUF_SIZE, fmt, ap);
	va_end(ap);
}

/* strerror(e), or a generic text when e is 0. */
static const char *err_text(int e)
{
	return e != 0 ? strerror(e) : "I/O error";
}

#define TAIL_SCAN (1u << 20)   /* bytes searched back for the end of the last whole line */

/*
 * The end of the last whole line of the regular file fd whose size is
 * end: after its last newline, searched back at most TAIL_SCAN bytes (a
 * file ending in half a line: a crash or power loss cut the last write).
 * end itself when the file ends with a newline, or when no newline is
 * found (not a file of lines: it is left alone).
 */
static off_t whole_lines_end(int fd, off_t end)
{
	char buf[4096];
	off_t pos = end, low = end > (off_t)TAIL_SCAN ? end - (off_t)TAIL_SCAN : 0;

	while (pos > low) {
		size_t n = pos - low < (off_t)sizeof(buf) ? (size_t)(pos - low) : sizeof(buf);
		ssize_t got = pread(fd, buf, n, pos - (off_t)n);

		if (got != (ssize_t)n)
			return end;
		while (n > 0) {
			if (buf[n - 1] == '\n')
				return pos;
			n--;
			pos--;
		}
	}
	return pos == 0 ? 0 : end;
}

/*
 * Opens f->name for writing (f->is_stdout: takes standard output) and
 * finds where the next record starts: the end in append mode, else the
 * start.  A file appended to that ends in half a line (the last write of a
 * run that crashed, or lost power, cut short) is cut back to its last whole
 * line first: the next record starts on a line of its own, and no reader
 * sees the broken one.  CT_OK, or CT_ERR with "cannot open 'x' for
 * writing: ..." in errbuf (when not NULL) and f->fd -1.
 */
static int open_fd(struct ct_outfile *f, bool append, char *errbuf)
{
	int flags = O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC);
	struct stat st;
	off_t pos;

	/* appended to: read too, for its last line (a write-only file: not read) */
	f->fd = f->is_stdout ? STDOUT_FILENO : open(f->name, flags | (append ? O_RDWR : O_WRONLY),
	    0666);
	if (f->fd < 0 && append && errno == EACCES)
		f->fd = open(f->name, flags | O_WRONLY, 0666);
	if (f->fd < 0) {
		if (errbuf != NULL)
			ct_sink_err(errbuf, "cannot open '%s' for writing: %s", f->name,
			    strerror(errno));
		return CT_ERR;
	}
	f->regular = fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode);
	append = (fcntl(f->fd, F_GETFL) & O_APPEND) != 0;
	if (f->regular && (pos = lseek(f->fd, 0, append ? SEEK_END : SEEK_CUR)) >= 0) {
		off_t whole = append && pos > 0 ? whole_lines_end(f->fd, pos) : pos;

		if (whole < pos && ftruncate(f->fd, whole) == 0)
			pos = whole;
		f->good = pos;
	}
	f->started = f->good;
	f->dropped = f->good;
	return CT_OK;
}

/*
 * Opens path for writing (created, mode 0666 less the umask; truncated, or
 * appended to when append is set), or standard output when path is "-".
 * Returns CT_OK, CT_NOMEM, or CT_ERR with "cannot open 'x' for writing:
 * <strerror>" in errbuf.  f is left closed (fd -1) on failure.
 */
int ct_outfile_open(struct ct_outfile *f, const char *path, bool append, char *errbuf)
{
	bool is_stdout = strcmp(path, "-") == 0;
	char *name = strdup(is_stdout ? "standard output" : path);

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	if (name == NULL) {
		ct_sink_err(errbuf, "out of memory");
		return CT_NOMEM;
	}
	f->name = name;
	f->is_stdout = is_stdout;
	if (open_fd(f, append, errbuf) != CT_OK) {
		free(f->name);
		f->name = NULL;
		return CT_ERR;
	}
	ct_buf_init(&f->pend);
	/* Standard output stays unbuffered: its records keep their place among stdio's lines. */
	if (!is_stdout && (f->ends = malloc(CT_OUTFILE_RECS * sizeof(*f->ends))) == NULL) {
		close(f->fd);
		free(f->name);
		memset(f, 0, sizeof(*f));
		f->fd = -1;
		ct_sink_err(errbuf, "out of memory");
		return CT_NOMEM;
	}
	return CT_OK;
}

/*
 * SIGHUP after log rotation: syncs and closes the file, then opens the same
 * path again in append mode (a file moved away is created anew; one still
 * there is continued after its last whole record).  Standard output is
 * only synced.  A file that was broken by a failed write gets another
 * chance.  CT_OK, or CT_ERR naming the file: f then has no descriptor
 * (writes fail, a later reopen tries again, close frees it).
 */
int ct_outfile_reopen(struct ct_outfile *f, char *errbuf)
{
	int rc;

	if (f->name == NULL) {
		ct_sink_err(errbuf, "cannot reopen an output that is closed");
		return CT_ERR;
	}
	rc = ct_outfile_flush(f, errbuf);
	if (f->is_stdout)
		return rc;
	if (f->fd >= 0 && close(f->fd) != 0 && rc == CT_OK) {
		ct_sink_err(errbuf, "cannot write to '%s': %s", f->name, err_text(errno));
		rc = CT_ERR;
	}
	f->fd = -1;
	f->broken = false;
	f->unsynced = false;
	f->good = 0;
	if (open_fd(f, true, rc == CT_OK ? errbuf : NULL) != CT_OK)
		return CT_ERR;
	return rc;
}

/*
 * Writes all of b with write(2), retrying short writes.  On a failure
 * (disk full, file size limit, I/O error) a regular file is cut back to
 * f->good, the end of the last complete record, so it never ends in half a
 * record.  0, or the errno of the failure.
 */
static int write_whole(struct ct_outfile *f, const char *p, size_t len)
{
	int e;

	if (f->is_stdout)
		fflush(stdout);   /* keep the order of anything stdio holds */
	if (ct_write_all(f->fd, p, len) == 0)
		return 0;
	e = errno;
	if (f->regular && ftruncate(f->fd, f->good) == 0)
		lseek(f->fd, f->good, SEEK_SET);
	return e;
}

/*
 * Starts the write-back of what f wrote since the last start, once that
 * is CT_OUTFILE_WRITEBACK bytes, without waiting for it: under a flood the
 * once-a-second fdatasync() then finds little left to write instead of
 * about 100 MB, and the output thread no longer stalls in it for a
 * large part of a second while its queue fills and the capture thread
 * waits for room.
 *
 * Then releases from the page cache what was written back, all but the
 * newest CT_OUTFILE_KEEP bytes (a reader tailing the file finds those
 * still cached).  calltap never reads its outputs back; a sensor that runs
 * for days would otherwise fill the memory with them, pushing out what
 * other programs use, and every MiB written would take pages the kernel
 * has to find and zero: released pages are the ones the next write gets
 * back, still warm (a flood of records wrote 3 to 4 times faster on the
 * bench VM).  Pages whose write-back has not finished are left alone
 * (POSIX_FADV_DONTNEED skips them, it does not wait).  Both are hints:
 * no-ops where the calls are missing.
 */
static void start_writeback(struct ct_outfile *f)
{
	if (f->good - f->started < CT_OUTFILE_WRITEBACK)
		return;
#ifdef SYNC_FILE_RANGE_WRITE
	(void)sync_file_range(f->fd, f->started, f->good - f->started, SYNC_FILE_RANGE_WRITE);
#endif
	f->started = f->good;
#ifdef POSIX_FADV_DONTNEED
	if (f->started - f->dropped >= 2 * CT_OUTFILE_KEEP) {
		off_t to = f->started - CT_OUTFILE_KEEP;

		(void)posix_fadvise(f->fd, f->dropped, to - f->dropped, POSIX_FADV_DONTNEED);
		f->dropped = to;
	}
#endif
}

/*
 * Writes the records held in f->pend with write(2), retrying short writes.
 * On a failure the file is cut back to the end of the last record that
 * reached it whole (a full disk keeps every record that fit), f is marked
 * broken and the message in errbuf says how many records were lost.  The
 * buffer is empty afterwards either way.  CT_OK or CT_ERR.
 */
static int write_pending(struct ct_outfile *f, char *errbuf)
{
	size_t done, keep = 0;
	unsigned i = 0, lost;
	int e = 0;

	if (ct_write_count(f->fd, f->pend.p, f->pend.len, &done) != 0)
		e = errno;
	if (e == 0) {
		f->good += (off_t)done;
		start_writeback(f);
	} else {
		while (i < f->n_ends && f->ends[i] <= done)
			i++;
		keep = i > 0 ? f->ends[i - 1] : 0;
		lost = f->n_ends - i;
		f->good += (off_t)keep;
		if (ftruncate(f->fd, f->good) == 0)
			lseek(f->fd, f->good, SEEK_SET);
		f->broken = true;
		ct_sink_err(errbuf, "cannot write to '%s': %s (%u record%s that did not fit %s "
		    "removed; the file ends with its last whole record)", f->name, err_text(e),
		    lost, lost == 1 ? "" : "s", lost == 1 ? "was" : "were");
	}
	ct_buf_reset(&f->pend);
	f->n_ends = 0;
	return e == 0 ? CT_OK : CT_ERR;
}

/*
 * Takes b, one or more whole records.  A regular file holds them in
 * f->pend and writes whole records only, when CT_OUTFILE_BUF bytes or
 * CT_OUTFILE_RECS records are held and on ct_outfile_flush (about once a
 * second: a crash of this process costs at most that second, as for the
 * database); one write(2) per record cost more than the formatting under
 * a SIP flood.  Anything else (standard output, a pipe, a terminal, a
 * device) is written at once, so a consumer reading it sees each record
 * when it is made.  A failed write leaves the file at its last complete
 * record and marks f broken: later writes are refused, so nothing lands
 * after a hole.  Returns CT_OK, or CT_ERR with "cannot write to 'x':
 * <strerror>" (plus a note when the file was cut back).
 */
int ct_outfile_write(struct ct_outfile *f, const struct ct_buf *b, char *errbuf)
{
	int e;

	if (b->oom) {
		ct_sink_err(errbuf, "cannot write to '%s': out of memory", f->name);
		return CT_ERR;
	}
	if (f->broken) {
		ct_sink_err(errbuf, "cannot write to '%s': an earlier write failed", f->name);
		return CT_ERR;
	}
	if (f->fd < 0) {
		ct_sink_err(errbuf, "cannot write to '%s': it could not be reopened", f->name);
		return CT_ERR;
	}
	if (f->regular && f->ends != NULL) {
		if ((f->pend.len + b->len > CT_OUTFILE_BUF || f->n_ends == CT_OUTFILE_RECS) &&
		    f->n_ends > 0 && write_pending(f, errbuf) != CT_OK)
			return CT_ERR;
		f->unsynced = true;
		if (b->len <= CT_OUTFILE_BUF) {
			ct_buf_append(&f->pend, b->p, b->len);
			if (!f->pend.oom) {
				f->ends[f->n_ends++] = (uint32_t)f->pend.len;
				return CT_OK;
			}
			/* no memory to hold it: the records held (untouched) go first */
			f->pend.oom = 0;
			if (f->n_ends > 0 && write_pending(f, errbuf) != CT_OK)
				return CT_ERR;
		}
		/* a record larger than the buffer (or no memory to hold it): written alone */
	}
	e = write_whole(f, b->p, b->len);
	if (e != 0) {
		f->broken = true;
		ct_sink_err(errbuf, "cannot write to '%s': %s%s", f->name, err_text(e),
		    f->regular ? " (the incomplete record was removed)" : "");
		return CT_ERR;
	}
	if (f->regular)
		f->good += (off_t)b->len;
	f->unsynced = true;
	return CT_OK;
}

/*
 * Where the next record for f is built, appended at b->len (returned in
 * *start): the records f holds (a regular file in working order), so
 * that ct_outfile_put takes it without a copy; else scratch, emptied.
 * Either way the caller then passes the buffer to ct_outfile_put.
 */
struct ct_buf *ct_outfile_rec_buf(struct ct_outfile *f, struct ct_buf *scratch, size_t *start)
{
	if (f->regular && f->ends != NULL && !f->broken && f->fd >= 0 && !f->pend.oom) {
		*start = f->pend.len;
		return &f->pend;
	}
	ct_buf_reset(scratch);
	*start = 0;
	return scratch;
}

/*
 * Takes the record built in b (from ct_outfile_rec_buf) from start on, as
 * ct_outfile_write(f, <that record>) does: usually it just stays where it
 * was built, among the records held; when they must be written first, or
 * the record is larger than the buffer, or b ran out of memory, it is
 * taken out (into scratch) and goes through ct_outfile_write.  Returns
 * CT_OK, or CT_ERR with the message of ct_outfile_write.
 */
int ct_outfile_put(struct ct_outfile *f, struct ct_buf *b, size_t start, struct ct_buf *scratch,
    char *errbuf)
{
	size_t n;

	if (b != &f->pend)
		return ct_outfile_write(f, b, errbuf);
	n = b->len - start;
	if (!b->oom && n <= CT_OUTFILE_BUF && b->len <= CT_OUTFILE_BUF &&
	    f->n_ends < CT_OUTFILE_RECS) {
		f->unsynced = true;
		f->ends[f->n_ends++] = (uint32_t)b->len;
		return CT_OK;
	}
	ct_buf_reset(scratch);
	if (b->oom)
		scratch->oom = 1;   /* the record is incomplete: reported as such */
	else
		ct_buf_append(scratch, b->p + start, n);
	b->oom = 0;
	b->len = start;
	if (b->cap > 0)
		b->p[start] = '\0';
	return ct_outfile_write(f, scratch, errbuf);
}

/*
 * Makes what was written durable: writes the records a regular file holds
 * (ct_outfile_write), then fdatasync(2) when anything was written since the
 * last call (the engine calls this about once a second, so a crash or a
 * power loss costs at most that much).  Pipes and terminals have nothing
 * to sync.  CT_OK, or CT_ERR naming the file.
 */
int ct_outfile_flush(struct ct_outfile *f, char *errbuf)
{
	if (f->fd < 0 || !f->unsynced)
		return CT_OK;
	if (f->n_ends > 0 && !f->broken && write_pending(f, errbuf) != CT_OK) {
		f->unsynced = false;
		return CT_ERR;
	}
	f->unsynced = false;
	if (!f->regular || f->broken)
		return CT_OK;
	if (fdatasync(f->fd) != 0 && errno != EINVAL && errno != EROFS) {
		ct_sink_err(errbuf, "cannot write to '%s': %s", f->name, err_text(errno));
		return CT_ERR;
	}
	return CT_OK;
}

/*
 * Syncs and closes the file (standard output is left open) and frees the
 * name.  Returns CT_OK, or CT_ERR naming the file when the data could not
 * be made durable.  f is closed either way; a closed f is a no-op.
 */
int ct_outfile_close(struct ct_outfile *f, char *errbuf)
{
	int rc;

	if (f->name == NULL)
		return CT_OK;
	rc = ct_outfile_flush(f, errbuf);
	if (!f->is_stdout && f->fd >= 0 && close(f->fd) != 0 && rc == CT_OK) {
		ct_sink_err(errbuf, "cannot write to '%s': %s", f->name, err_text(errno));
		rc = CT_ERR;
	}
	free(f->name);
	ct_buf_fini(&f->pend);
	free(f->ends);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	return rc;
}
