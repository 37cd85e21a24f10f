/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Dynamic number pools: the lease log (--leases FILE).  A website that shows
 * each visitor a number from a pool appends one CSV line per lease:
 *
 *   number,session_id,visitor_id,client_id,utm_source,utm_medium,
 *   utm_campaign,utm_term,utm_content,click_id,leased_from,leased_until
 *
 * (a header row names the columns, in any order; number, leased_from and
 * leased_until are required, the others optional, unknown ones ignored).
 * A call is attributed to the lease that held its dialled number at the
 * call's start: leased_from <= start < leased_until, the latest
 * leased_from when several overlap; an empty leased_until is open-ended.
 * A later line with the same number and leased_from replaces the earlier
 * one (so a lease can be logged when it starts and again, with its end,
 * when it ends).  Times are ISO 8601 with a zone (Z, +02:00, +0200, +02) or
 * without (UTC).  Numbers are normalised with ct_number_norm.
 *
 * Workload: the log is read whole at open and then followed while calltap
 * runs: ct_pool_refresh reads the complete lines appended since (at most
 * once a second; a partial last line waits for its newline), and notices a
 * rotated file (another inode at the path: the old one is read to its end,
 * then the new one from its start) or a truncated one (size below the read
 * offset: read again from the start); after either, a first line that is a
 * header remaps the columns, else the old columns hold (copytruncate).  A
 * malformed line is skipped and counted, its line number kept and the
 * first few said on stderr; never fatal, except a first line that is not a
 * header when calltap starts.  Memory is bounded: at most max_leases
 * leases (more are refused and counted), and leases that ended
 * CT_POOL_KEEP_US before the capture clock (the latest call start looked
 * up; a pass every hour of it) are dropped, as are open-ended leases
 * superseded that long ago by a later open-ended lease of the same number.  Lookups are keyed by numbers
 * from the wire: the number table is an open-addressing table under a
 * random SipHash key; each number keeps its leases in a small array.
 * References: RFC 4180 (CSV), ISO 8601 / RFC 3339 (times).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "calltap/attr.h"
#include "calltap/buf.h"
#include "calltap/clock.h"
#include "calltap/err.h"
#include "calltap/hash.h"

#define POOL_MAX_COLS 32
#define POOL_FIELD_MAX 1024          /* bytes per field */
#define POOL_LINE_MAX 16384          /* a longer line is malformed */
#define POOL_REFRESH_MS 1000
#define POOL_EXPIRE_EVERY_US (INT64_C(3600) * 1000000) /* capture time between expiry passes */
#define POOL_SAY_BAD 5               /* malformed lines said through the log */

/* Columns the pool reads: the session fields, then these three. */
enum { COL_NUMBER = CT_LEASE_NFIELDS, COL_FROM, COL_UNTIL, COL_COUNT };

static const char *const col_names[COL_COUNT] = {
	"session_id", "visitor_id", "client_id", "utm_source", "utm_medium",
	"utm_campaign", "utm_term", "utm_content", "click_id",
	"number", "leased_from", "leased_until",
};

/* A line split into fields (RFC 4180 quoting, within the line). */
struct fields {
	char *f[POOL_MAX_COLS];
	size_t n;
	char buf[POOL_LINE_MAX + POOL_MAX_COLS];
};

struct pool_num {
	char number[CT_NUMBER_MAX];
	struct ct_lease *v;          /* in the order read */
	size_t n, cap;
};

struct ct_pool {
	char *path;
	struct ct_log log;           /* bad lines, refusals, read errors (log.h) */
	char cc[8];                  /* "" = none */
	int fd;                      /* -1: not open (the file is missing) */
	dev_t dev;
	ino_t ino;
	off_t off;                   /* bytes of fd consumed (complete lines) */
	struct ct_buf part;          /* a line without its newline yet */
	bool part_long;              /* part outgrew POOL_LINE_MAX: dropped at its newline */
	unsigned line;               /* physical lines of this file read */
	int col[COL_COUNT];          /* CSV column of each, -1 = absent */
	bool have_header;
	int64_t next_ms;             /* refresh: next read, monotonic ms */
	int64_t clock_us;            /* latest call start looked up */
	int64_t next_expire_us;
	size_t max;
	struct pool_num *nums;
	size_t n_nums, cap_nums;
	uint32_t *slots;             /* index + 1 into nums, 0 = empty */
	size_t nslots;               /* power of two, > 2 * n_nums */
	struct ct_hash_key key;
	struct fields *fs;           /* scratch of on_line */
	char why[160];               /* reason of the last malformed line */
	struct ct_pool_stats st;
};

/* Name of a session field ("session_id" .. "click_id"). */
const char *ct_lease_field_name(enum ct_lease_field f)
{
	return (unsigned)f < CT_LEASE_NFIELDS ? col_names[f] : NULL;
}

/* ---- times ---------------------------------------------------------------- */

/* Reads exactly n digits at *p into *v; false otherwise. */
static bool digits(const char **p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return true;
}

/*
 * Parses an ISO 8601 time "YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]]" followed
 * by nothing (UTC), "Z", or an offset "+HH:MM", "+HHMM", "+HH" (or -).
 * CT_OK with *us (microseconds since the epoch), else CT_ERR.
 */
int ct_pool_parse_time(const char *s, int64_t *us)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, sec = 0, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, scale = 100000;

	if (!digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &mo) || *s++ != '-' ||
	    !digits(&s, 2, &d) || (*s != 'T' && *s != 't' && *s != ' '))
		return CT_ERR;
	s++;
	if (!digits(&s, 2, &h) || *s++ != ':' || !digits(&s, 2, &mi))
		return CT_ERR;
	if (*s == ':') {
		s++;
		if (!digits(&s, 2, &sec))
			return CT_ERR;
		if (*s == '.' || *s == ',') {
			if (!isdigit((unsigned char)*++s))
				return CT_ERR;
			for (; isdigit((unsigned char)*s); s++, scale /= 10)
				frac += (*s - '0') * scale;
		}
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (!digits(&s, 2, &oh))
			return CT_ERR;
		if (*s == ':')
			s++;
		if (isdigit((unsigned char)*s) && !digits(&s, 2, &om))
			return CT_ERR;
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) ||
	    h > 23 || mi > 59 || sec > 60 || oh > 23 || om > 59)
		return CT_ERR;
	*us = ((ct_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec -
	    sign * (oh * 3600 + om * 60)) * INT64_C(1000000)) + frac;
	return CT_OK;
}

/* ---- number table ---------------------------------------------------------- */

static size_t home_slot(const struct ct_pool *p, const char *norm)
{
	return (size_t)ct_siphash(&p->key, norm, strlen(norm)) & (p->nslots - 1);
}

/* Slot holding norm, or the empty slot where it would go (nslots > 0). */
static size_t find_slot(const struct ct_pool *p, const char *norm)
{
	size_t mask = p->nslots - 1, i = home_slot(p, norm);

	while (p->slots[i] != 0 && strcmp(p->nums[p->slots[i] - 1].number, norm) != 0)
		i = (i + 1) & mask;
	return i;
}

static struct pool_num *num_find(const struct ct_pool *p, const char *norm)
{
	size_t i;

	if (p->nslots == 0)
		return NULL;
	i = find_slot(p, norm);
	return p->slots[i] != 0 ? &p->nums[p->slots[i] - 1] : NULL;
}

/* The entry of norm, created when missing; NULL when out of memory. */
static struct pool_num *num_get(struct ct_pool *p, const char *norm)
{
	struct pool_num *e = num_find(p, norm);
	size_t i, want;

	if (e != NULL)
		return e;
	if (p->n_nums == p->cap_nums) {
		size_t cap = p->cap_nums ? 2 * p->cap_nums : 64;
		struct pool_num *v = realloc(p->nums, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		p->nums = v;
		p->cap_nums = cap;
	}
	for (want = p->nslots ? p->nslots : 128; want <= 2 * (p->n_nums + 1); want *= 2)
		;
	if (want != p->nslots) {
		uint32_t *old = p->slots;
		size_t nold = p->nslots;

		if ((p->slots = calloc(want, sizeof(*p->slots))) == NULL) {
			p->slots = old;
			return NULL;
		}
		p->nslots = want;
		for (i = 0; i < nold; i++)
			if (old[i] != 0)
				p->slots[find_slot(p, p->nums[old[i] - 1].number)] = old[i];
		free(old);
	}
	e = &p->nums[p->n_nums];
	memset(e, 0, sizeof(*e));
	snprintf(e->number, sizeof(e->number), "%s", norm);
	p->slots[find_slot(p, norm)] = (uint32_t)++p->n_nums;
	return e;
}

static void lease_clear(struct ct_lease *l)
{
	int i;

	for (i = 0; i < CT_LEASE_NFIELDS; i++) {
		free(l->f[i]);
		l->f[i] = NULL;
	}
}

/* ---- lines ----------------------------------------------------------------- */

/* Splits line (len bytes, no newline); NULL, or why it is malformed. */
static const char *split(struct fields *fs, const char *line, size_t len)
{
	const char *p = line, *end = line + len;
	char *o = fs->buf;

	fs->n = 0;
	if (len > POOL_LINE_MAX)
		return "line longer than 16384 bytes";
	for (;;) {
		char *start;

		if (fs->n == POOL_MAX_COLS)
			return "more than 32 fields";
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		start = o;
		if (p < end && *p == '"') {
			for (p++;; p++) {
				if (p >= end)
					return "unterminated quoted field";
				if (*p == '"' && (p + 1 >= end || p[1] != '"'))
					break;
				if (*p == '"')
					p++;
				*o++ = *p;
			}
			p++;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			if (p < end && *p != ',')
				return "text after a closing quote";
		} else {
			for (; p < end && *p != ','; p++) {
				if (*p == '"')
					return "quote inside an unquoted field";
				*o++ = *p;
			}
			while (o > start && (o[-1] == ' ' || o[-1] == '\t'))
				o--;
		}
		if (o - start >= POOL_FIELD_MAX)
			return "field longer than 1023 bytes";
		*o++ = '\0';
		fs->f[fs->n++] = start;
		if (p >= end)
			return NULL;
		p++;   /* the comma */
	}
}

/* True when fs is a header row: it names number and leased_from. */
static bool is_header(const struct fields *fs)
{
	bool num = false, from = false;
	size_t i;

	for (i = 0; i < fs->n; i++) {
		num |= strcasecmp(fs->f[i], "number") == 0;
		from |= strcasecmp(fs->f[i], "leased_from") == 0;
	}
	return num && from;
}

/* Maps the columns of a header row; NULL, or why it is not usable. */
static const char *map_header(struct ct_pool *p, const struct fields *fs)
{
	int col[COL_COUNT];
	size_t i;
	int c;

	for (c = 0; c < COL_COUNT; c++)
		col[c] = -1;
	for (i = 0; i < fs->n; i++)
		for (c = 0; c < COL_COUNT; c++)
			if (strcasecmp(fs->f[i], col_names[c]) == 0) {
				if (col[c] >= 0)
					return "a column is named twice in the header";
				col[c] = (int)i;
			}
	if (col[COL_NUMBER] < 0 || col[COL_FROM] < 0 || col[COL_UNTIL] < 0)
		return "the header must name number, leased_from and leased_until";
	memcpy(p->col, col, sizeof(col));
	p->have_header = true;
	return NULL;
}

static const char *field(const struct ct_pool *p, const struct fields *fs, int c)
{
	return p->col[c] >= 0 && (size_t)p->col[c] < fs->n ? fs->f[p->col[c]] : "";
}

/* Stores lease l (fields owned) under its number: replaces or appends. */
static const char *store(struct ct_pool *p, struct ct_lease *l)
{
	struct pool_num *e;
	size_t i;

	for (e = num_find(p, l->number), i = 0; e != NULL && i < e->n; i++)
		if (e->v[i].from_us == l->from_us) {
			lease_clear(&e->v[i]);
			e->v[i] = *l;
			p->st.replaced++;
			p->st.added++;
			return NULL;
		}
	if (p->st.leases >= p->max) {
		p->st.refused++;
		if (p->st.refused == 1)
			ct_log(&p->log, CT_LOG_WARN, "leases '%s': more than %zu leases held; "
			    "further leases are refused (counted)", p->path, p->max);
		return "";
	}
	if ((e = num_get(p, l->number)) == NULL)
		return "out of memory";
	if (e->n == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 4;
		struct ct_lease *v = realloc(e->v, cap * sizeof(*v));

		if (v == NULL)
			return "out of memory";
		e->v = v;
		e->cap = cap;
	}
	e->v[e->n++] = *l;
	p->st.leases++;
	p->st.added++;
	return NULL;
}

/* Parses one data row into a lease and stores it; NULL, or why it is bad. */
static const char *add_row(struct ct_pool *p, const struct fields *fs, char *why, size_t len)
{
	struct ct_lease l;
	const char *s, *err;
	int i;

	memset(&l, 0, sizeof(l));
	l.line = p->line;
	s = field(p, fs, COL_NUMBER);
	if (ct_number_norm(s, p->cc[0] ? p->cc : NULL, l.number, sizeof(l.number)) != CT_OK) {
		snprintf(why, len, "'%.64s' is not a phone number", s);
		return why;
	}
	s = field(p, fs, COL_FROM);
	if (ct_pool_parse_time(s, &l.from_us) != CT_OK) {
		snprintf(why, len, "leased_from '%.64s' is not an ISO 8601 time", s);
		return why;
	}
	s = field(p, fs, COL_UNTIL);
	if (s[0] == '\0')
		l.until_us = INT64_MAX;
	else if (ct_pool_parse_time(s, &l.until_us) != CT_OK) {
		snprintf(why, len, "leased_until '%.64s' is not an ISO 8601 time", s);
		return why;
	} else if (l.until_us <= l.from_us) {
		return "leased_until is not after leased_from";
	}
	for (i = 0; i < CT_LEASE_NFIELDS; i++) {
		s = field(p, fs, i);
		if (s[0] != '\0' && (l.f[i] = strdup(s)) == NULL) {
			lease_clear(&l);
			return "out of memory";
		}
	}
	if ((err = store(p, &l)) != NULL)
		lease_clear(&l);
	return err != NULL && err[0] == '\0' ? NULL : err;
}

static void count_bad(struct ct_pool *p, const char *why)
{
	if (p->st.bad < sizeof(p->st.bad_line) / sizeof(p->st.bad_line[0]))
		p->st.bad_line[p->st.bad] = p->line;
	p->st.bad++;
	if (p->st.bad <= POOL_SAY_BAD)
		ct_log(&p->log, CT_LOG_WARN, "leases %s:%u: %s; line skipped%s", p->path, p->line,
		    why, p->st.bad == POOL_SAY_BAD ? " (further malformed lines are only counted)" : "");
}

/*
 * Handles one complete line (len bytes, without its newline).  fatal: the
 * first line read at open, which must be the header.  CT_OK, or CT_ERR
 * with *why_out (fatal only).
 */
static int on_line(struct ct_pool *p, const char *line, size_t len, bool fatal,
    const char **why_out)
{
	struct fields *f = p->fs;
	const char *err;

	p->line++;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (p->line == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		line += 3;
		len -= 3;
	}
	err = split(f, line, len);
	if (err == NULL && f->n == 1 && f->f[0][0] == '\0')
		return CT_OK;   /* blank line */
	if (err == NULL && is_header(f))
		err = map_header(p, f);
	else if (err == NULL && !p->have_header)
		err = "no header row (number,...,leased_from,leased_until) before the data";
	else if (err == NULL) {
		p->st.lines++;
		err = add_row(p, f, p->why, sizeof(p->why));
	}
	if (err == NULL)
		return CT_OK;
	if (fatal) {
		*why_out = err;
		return CT_ERR;
	}
	count_bad(p, err);
	return CT_OK;
}

/* ---- reading the file ------------------------------------------------------ */

/*
 * Hands the complete lines of data[0..n) to on_line, the first one joined
 * to the partial line kept from the previous read; keeps a new partial
 * tail.  A partial line longer than POOL_LINE_MAX is dropped up to its
 * newline and counted.  CT_OK, or CT_ERR + *why (fatal first line).
 */
static int feed(struct ct_pool *p, const char *data, size_t n, bool at_open, const char **why)
{
	const char *nl, *end = data + n;

	while (data < end) {
		nl = memchr(data, '\n', (size_t)(end - data));
		if (nl == NULL) {
			if (p->part_long || p->part.len + (size_t)(end - data) > POOL_LINE_MAX + 2)
				p->part_long = true;
			else
				ct_buf_append(&p->part, data, (size_t)(end - data));
			return CT_OK;
		}
		if (p->part_long || (p->part.len > 0 &&
		    p->part.len + (size_t)(nl - data) > POOL_LINE_MAX + 2)) {
			p->line++;
			count_bad(p, "line longer than 16384 bytes");
		} else if (p->part.len > 0) {
			ct_buf_append(&p->part, data, (size_t)(nl - data));
			if (!p->part.oom && on_line(p, p->part.p, p->part.len, at_open && p->line == 0,
			    why) != CT_OK)
				return CT_ERR;
			if (p->part.oom) {
				p->line++;
				count_bad(p, "out of memory");
			}
		} else if (on_line(p, data, (size_t)(nl - data), at_open && p->line == 0, why) != CT_OK) {
			return CT_ERR;
		}
		ct_buf_fini(&p->part);
		ct_buf_init(&p->part);
		p->part_long = false;
		data = nl + 1;
	}
	return CT_OK;
}

/*
 * Reads fd from p->off to its end.  CT_OK; CT_ERR with errbuf on a read
 * error or (at_open) a first line that is not a header.
 */
static int read_new(struct ct_pool *p, bool at_open, char *errbuf)
{
	char chunk[65536];
	const char *why = NULL;
	ssize_t n;

	for (;;) {
		n = pread(p->fd, chunk, sizeof(chunk), p->off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(errbuf, CT_ERRBUF_SIZE, "cannot read leases file '%s': %s", p->path,
			    strerror(errno));
			return CT_ERR;
		}
		if (n == 0)
			return CT_OK;
		p->off += n;
		if (feed(p, chunk, (size_t)n, at_open, &why) != CT_OK) {
			snprintf(errbuf, CT_ERRBUF_SIZE, "%s:%u: %s", p->path, p->line, why);
			return CT_ERR;
		}
	}
}

/* Starts reading fd (a new file at the path) from its beginning. */
static void restart(struct ct_pool *p, int fd, const struct stat *st)
{
	if (p->fd >= 0 && p->fd != fd)
		close(p->fd);
	p->fd = fd;
	p->dev = st->st_dev;
	p->ino = st->st_ino;
	p->off = 0;
	p->line = 0;
	ct_buf_fini(&p->part);
	ct_buf_init(&p->part);
	p->part_long = false;
}

/*
 * Picks up what was appended to the lease log since the last read: at
 * most once per POOL_REFRESH_MS of mono_ms (a monotonic clock in ms; tests
 * pass their own), complete lines only.  A rotated file (another file at
 * the path) is read to its end first, then the new one from its start; a
 * truncated one is read again from its start.  Returns CT_OK, or CT_ERR
 * when the file could not be read (said once on stderr, tried again at
 * the next refresh).  NULL p is a no-op.
 */
int ct_pool_refresh(struct ct_pool *p, int64_t mono_ms)
{
	char errbuf[CT_ERRBUF_SIZE];
	struct stat path_st, fd_st;
	int fd, rc = CT_OK;

	if (p == NULL || mono_ms < p->next_ms)
		return CT_OK;
	p->next_ms = mono_ms + POOL_REFRESH_MS;
	if (p->fd >= 0 && fstat(p->fd, &fd_st) == 0 && fd_st.st_size < p->off) {
		restart(p, p->fd, &fd_st);   /* truncated (copytruncate): again from the start */
		p->st.reopened++;
	}
	if (p->fd >= 0 && read_new(p, false, errbuf) != CT_OK)
		rc = CT_ERR;
	if (stat(p->path, &path_st) == 0 && (p->fd < 0 || path_st.st_dev != p->dev ||
	    path_st.st_ino != p->ino)) {
		if ((fd = open(p->path, O_RDONLY | O_CLOEXEC)) >= 0 && fstat(fd, &fd_st) == 0) {
			restart(p, fd, &fd_st);  /* rotated: the new file from its start */
			p->st.reopened++;
			if (read_new(p, false, errbuf) != CT_OK)
				rc = CT_ERR;
		} else if (fd >= 0) {
			close(fd);
		}
	}
	if (rc != CT_OK)
		ct_log(&p->log, CT_LOG_ERR, "%s", errbuf);
	return rc;
}

/* ---- lookups and expiry ---------------------------------------------------- */

/*
 * Drops the leases no call at or after clock_us - CT_POOL_KEEP_US can get:
 * ended before that horizon, or open-ended and superseded before it by a
 * later open-ended lease of the same number.  O(leases).
 */
static void expire(struct ct_pool *p)
{
	int64_t horizon = p->clock_us - CT_POOL_KEEP_US;
	size_t i, j, k;

	for (i = 0; i < p->n_nums; i++) {
		struct pool_num *e = &p->nums[i];
		int64_t open_from = INT64_MIN;   /* latest open-ended start before the horizon */

		for (j = 0; j < e->n; j++)
			if (e->v[j].until_us == INT64_MAX && e->v[j].from_us < horizon &&
			    e->v[j].from_us > open_from)
				open_from = e->v[j].from_us;
		for (j = k = 0; j < e->n; j++) {
			struct ct_lease *l = &e->v[j];
			bool gone = l->until_us == INT64_MAX ? l->from_us < open_from : l->until_us < horizon;

			if (gone) {
				lease_clear(l);
				p->st.leases--;
				p->st.expired++;
			} else {
				e->v[k++] = *l;
			}
		}
		e->n = k;
	}
}

/*
 * The lease that held the normalised number norm at at_us: leased_from <=
 * at_us < leased_until, the latest leased_from when several do; NULL when
 * none.  at_us also advances the pool's capture clock, which expires old
 * leases (at most once an hour of it).  The lease is owned by the pool
 * and valid until the next ct_pool_find or ct_pool_refresh.
 */
const struct ct_lease *ct_pool_find(struct ct_pool *p, const char *norm, int64_t at_us)
{
	const struct ct_lease *best = NULL;
	struct pool_num *e;
	size_t i;

	if (p == NULL || norm == NULL || at_us == CT_TIME_NONE)
		return NULL;
	if (at_us > p->clock_us) {
		p->clock_us = at_us;
		if (at_us >= p->next_expire_us) {
			expire(p);
			p->next_expire_us = at_us + POOL_EXPIRE_EVERY_US;
		}
	}
	if ((e = num_find(p, norm)) == NULL)
		return NULL;
	for (i = 0; i < e->n; i++) {
		const struct ct_lease *l = &e->v[i];

		if (l->from_us <= at_us && at_us < l->until_us &&
		    (best == NULL || l->from_us > best->from_us))
			best = l;
	}
	return best;
}

void ct_pool_get_stats(const struct ct_pool *p, struct ct_pool_stats *st)
{
	if (p == NULL)
		memset(st, 0, sizeof(*st));
	else
		*st = p->st;
}

/* ---- open and free ---------------------------------------------------------- */

/* Frees the pool, its leases and its file.  NULL is a no-op. */
void ct_pool_free(struct ct_pool *p)
{
	size_t i, j;

	if (p == NULL)
		return;
	for (i = 0; i < p->n_nums; i++) {
		for (j = 0; j < p->nums[i].n; j++)
			lease_clear(&p->nums[i].v[j]);
		free(p->nums[i].v);
	}
	if (p->fd >= 0)
		close(p->fd);
	ct_buf_fini(&p->part);
	free(p->nums);
	free(p->slots);
	free(p->fs);
	free(p->path);
	free(p);
}

/*
 * Opens the lease log at path and reads it whole (cc as in
 * ct_number_norm; max_leases 0 = CT_POOL_MAX_LEASES).  Returns the pool
 * (free with ct_pool_free), or NULL with a message in errbuf: the file
 * cannot be opened or read, or its first line is not a usable header.
 * Malformed data lines are counted, not fatal.
 */
struct ct_pool *ct_pool_open(const char *path, const char *cc, size_t max_leases,
    const struct ct_log *log, char *errbuf)
{
	struct ct_pool *p = calloc(1, sizeof(*p));
	struct stat st;
	int fd = -1;

	if (p == NULL || (p->path = strdup(path)) == NULL || (p->fs = malloc(sizeof(*p->fs))) == NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "out of memory");
		goto fail;
	}
	p->fd = -1;
	if (log != NULL)
		p->log = *log;
	ct_buf_init(&p->part);
	ct_hash_key_random(&p->key);
	snprintf(p->cc, sizeof(p->cc), "%s", cc != NULL ? cc : "");
	p->max = max_leases > 0 ? max_leases : CT_POOL_MAX_LEASES;
	p->clock_us = INT64_MIN;
	p->next_expire_us = INT64_MIN;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot open leases file '%s': %s", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "leases file '%s' is not a regular file", path);
		close(fd);
		goto fail;
	}
	restart(p, fd, &st);
	if (read_new(p, true, errbuf) != CT_OK)
		goto fail;
	return p;
fail:
	ct_pool_free(p);
	return NULL;
}
