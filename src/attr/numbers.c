/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Phone number normalisation and the tracking-number pool (--numbers).
 * A number from the wire (Request-URI user, From/PAI user, tel: URI) or from
 * the CSV file is reduced to one form, "+" and the digits when it is
 * international, so that "+1 (800) 555-0199", "0018005550199",
 * "sip:+18005550199@host;user=phone" and, with --country-code 1,
 * "8005550199" all become "+18005550199"; withheld callers are not numbers.
 * The rules are listed in docs/schema.md.  The pool
 * is a CSV file (number,source,campaign[,cost] with a header row) loaded once
 * at startup into an open-addressing hash table; every call record does one
 * lookup, so the workload is O(1) reads of a table of up to ~100k numbers.
 * Lookups are keyed by numbers from the wire, so slots are chosen by keyed
 * SipHash under a random key per pool (no precomputed probe clusters).
 * Any bad line stops the load with "FILE:LINE: why".
 * References: RFC 4180 (CSV), RFC 3966 §5.1.1 (visual separators, tel URI),
 * RFC 3261 §19.1 (SIP URI user part), ITU-T E.164 / E.123 ("(0)" notation).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "calltap/attr.h"
#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/hash.h"

#define CSV_MAX_FIELDS 8
#define CSV_FIELD_MAX 1024          /* bytes per field */
#define NUMBERS_MAX_FILE (64 << 20) /* bytes */

struct ct_numbers {
	struct ct_number_info *v;   /* in file order */
	size_t n, cap;
	uint32_t *slots;            /* index + 1 into v, 0 = empty */
	size_t nslots;              /* power of two, > 2 * n; 0 before the first row */
	struct ct_hash_key key;     /* random per pool */
};

/* ---- normalisation -------------------------------------------------------- */

/* Skips an optional sip:, sips: or tel: scheme (any case). */
static const char *skip_scheme(const char *p)
{
	static const struct { const char *s; size_t n; } schemes[] = {
		{ "sips:", 5 }, { "sip:", 4 }, { "tel:", 4 },
	};
	size_t i;

	if (((unsigned char)p[0] | 0x20) != 's' && ((unsigned char)p[0] | 0x20) != 't')
		return p;
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncasecmp(p, schemes[i].s, schemes[i].n) == 0)
			return p + schemes[i].n;
	return p;
}

static bool is_separator(char c)
{
	return c == ' ' || c == '\t' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/';
}

/* Names a caller uses to hide the number (compared case-insensitively). */
static bool is_withheld_name(const char *s, size_t n)
{
	/* Lengths beside the names: this runs several times per record. */
	static const struct { const char *s; size_t n; } names[] = {
		{ "anonymous", 9 }, { "restricted", 10 }, { "private", 7 }, { "unavailable", 11 },
		{ "unknown", 7 }, { "withheld", 8 }, { "blocked", 7 }, { "anonymous.invalid", 17 },
	};
	size_t i;

	/* Every name is 7 to 17 letters (and dots) long: a number is none. */
	if (n < 7 || n > 17 || !(((unsigned char)s[0] | 0x20) >= 'a' &&
	    ((unsigned char)s[0] | 0x20) <= 'z'))
		return false;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].n == n && names[i].s[0] == ((unsigned char)s[0] | 0x20) &&
		    strncasecmp(s, names[i].s, n) == 0)
			return true;
	return false;
}

/*
 * The URI (or bare user) inside text: the part between the first '<' that
 * is not inside a quoted display name and the next '>', else the whole text;
 * surrounding blanks skipped.  *end is set to the end of that part.
 */
static const char *uri_part(const char *in, const char **end)
{
	const char *p, *lt = NULL;
	bool quoted = false;

	for (p = in; *p != '\0' && lt == NULL; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '\\' && quoted && p[1] != '\0')
			p++;
		else if (*p == '<' && !quoted)
			lt = p;
	}
	p = lt != NULL ? lt + 1 : in;
	p += strspn(p, " \t");
	*end = p + strcspn(p, ">");
	while (*end > p && ((*end)[-1] == ' ' || (*end)[-1] == '\t'))
		(*end)--;
	return p;
}

/*
 * Case-insensitive search of needle in [p, end); NULL when absent.  The
 * candidates are found by memchr on both cases of needle's first byte.
 */
static const char *find_ci(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);
	int lo = tolower((unsigned char)needle[0]), up = toupper((unsigned char)needle[0]);

	while ((size_t)(end - p) >= n) {
		size_t left = (size_t)(end - p) - n + 1;
		const char *a = memchr(p, lo, left);
		const char *b = up != lo ? memchr(p, up, a != NULL ? (size_t)(a - p) : left) : NULL;
		const char *c = b != NULL ? b : a;

		if (c == NULL)
			return NULL;
		if (strncasecmp(c, needle, n) == 0)
			return c;
		p = c + 1;
	}
	return NULL;
}

/*
 * Collects the digits of [p, end) into d (size len) and whether the number
 * started with '+'.  "(0)" after an international prefix (E.123 notation of
 * the national trunk prefix) is dropped.  CT_ERR on any other character, on
 * no digit at all, or when d is too small.
 */
static int collect_digits(const char *p, const char *end, char *d, size_t len, bool *plus)
{
	size_t n = 0;

	*plus = false;
	for (; p < end; p++) {
		bool intl = *plus || (n >= 2 && d[0] == '0' && d[1] == '0');

		if (*p == '+' && n == 0 && !*plus) {
			*plus = true;
		} else if (*p == '(' && intl && n > 0 && end - p >= 3 && p[1] == '0' && p[2] == ')') {
			p += 2;
		} else if (*p >= '0' && *p <= '9') {
			if (n + 1 >= len)
				return CT_ERR;
			d[n++] = *p;
		} else if (!is_separator(*p)) {
			return CT_ERR;
		}
	}
	d[n] = '\0';
	return n > 0 ? CT_OK : CT_ERR;
}

/* Digits of a "phone-context=+<digits>" parameter in [p, end) into ctx, else "". */
static void phone_context(const char *p, const char *end, char *ctx, size_t len)
{
	const char *v;
	const char *ve;
	bool plus;

	ctx[0] = '\0';
	if (memchr(p, ';', (size_t)(end - p)) == NULL)
		return;     /* no parameter at all: the common case */
	v = find_ci(p, end, ";phone-context=");
	if (v == NULL)
		return;
	v += strlen(";phone-context=");
	ve = v + strcspn(v, ";@?>");
	if (ve > end)
		ve = end;
	if (collect_digits(v, ve, ctx, len, &plus) != CT_OK || !plus)
		ctx[0] = '\0';
}

/*
 * out = a b c (NUL-terminated) when the result is not empty and fits both
 * out (len bytes) and CT_NUMBER_MAX: CT_OK; else CT_ERR.  What
 * snprintf(out, len, "%s%s%s", ...) and that check did, without the format
 * machinery (this runs twice per record).
 */
static int cat3(char *out, size_t len, const char *a, const char *b, const char *c, size_t cn)
{
	size_t an = strlen(a), bn = strlen(b), w = an + bn + cn;

	if (w == 0 || w >= len || w >= CT_NUMBER_MAX)
		return CT_ERR;
	memcpy(out, a, an);
	memcpy(out + an, b, bn);
	memcpy(out + an + bn, c, cn);
	out[w] = '\0';
	return CT_OK;
}

/*
 * National trunk prefixes other than "0" (ITU-T E.164 Annex and the
 * countries' numbering plans): the prefix, and the length with it of a
 * national number so dialled (0: 7 digits or more).  Elsewhere the trunk
 * prefix is "0" (or, NANP, "1"); a country left out of this table with a
 * prefix of its own gets its numbers as dialled, never a wrong one.
 * Red-team pass 9: "8 495 123 45 67" with --country-code 7 stayed apart
 * from "+7 495 123 45 67".
 */
static const struct trunk_prefix {
	const char *cc;
	const char *prefix;
	size_t digits;
} trunk_prefixes[] = {
	{ "7", "8", 11 },      /* Russia, Kazakhstan: 8 and 10 digits */
	{ "375", "80", 11 },   /* Belarus: 80 and 9 digits */
	{ "36", "06", 0 },     /* Hungary: 06 and 8 or 9 digits */
};

/* The trunk prefix entry of country code cc, or NULL (the prefix is "0"). */
static const struct trunk_prefix *trunk_of(const char *cc)
{
	size_t i;

	for (i = 0; cc != NULL && i < sizeof(trunk_prefixes) / sizeof(trunk_prefixes[0]); i++)
		if (strcmp(cc, trunk_prefixes[i].cc) == 0)
			return &trunk_prefixes[i];
	return NULL;
}

/*
 * The international/national decision on the digits d (n of them: no '+',
 * no scheme) with country code cc (NULL = none); writes "+DIGITS" or plain
 * digits.  Returns CT_OK, or CT_ERR when nothing is left or out is too small.
 */
static int classify(const char *d, size_t n, bool plus, const char *cc, char *out, size_t len)
{
	size_t ncc = cc != NULL ? strlen(cc) : 0;
	const char *pre = "", *rest = d;
	bool nanp = cc != NULL && cc[0] == '1' && cc[1] == '\0';
	const struct trunk_prefix *tp = trunk_of(cc);
	size_t np = tp != NULL ? strlen(tp->prefix) : 0;

	if (plus) {
		pre = "+";
	} else if (n >= 2 && d[0] == '0' && d[1] == '0') {
		pre = "+";
		rest = d + 2;
	} else if (nanp && n > 3 && memcmp(d, "011", 3) == 0) {
		pre = "+";                  /* the North American international prefix */
		rest = d + 3;
	} else if (tp != NULL && n > np && strncmp(d, tp->prefix, np) == 0 &&
	    (tp->digits != 0 ? n == tp->digits : n >= 7)) {
		/* a national trunk prefix of the table */
		return cat3(out, len, "+", cc, d + np, n - np);
	} else if (tp == NULL && cc != NULL && n >= 7 && d[0] == '0' && d[1] != '0') {
		/* national trunk prefix 0 */
		return cat3(out, len, "+", cc, d + 1, n - 1);
	} else if (nanp) {
		if (n == 11 && d[0] == '1')
			pre = "+";
		else if (n == 10 && d[0] >= '2' && d[0] <= '9')
			pre = "+1";             /* NANP: area code + number */
	} else if (cc != NULL && n >= 10 && strncmp(d, cc, ncc) == 0) {
		pre = "+";                  /* already international, without its '+' */
	}
	if (rest[0] == '\0')
		return CT_ERR;
	return cat3(out, len, pre, "", rest, n - (size_t)(rest - d));
}

/*
 * Normalises a number into out (len bytes; CT_NUMBER_MAX is enough), the
 * one form every comparison of numbers uses (docs/schema.md, Number
 * normalisation).  in may be a SIP user part, a sip:/sips:/tel: URI, a
 * name-addr ("Bob" <sip:...>) or free text from a file.  The URI scheme,
 * the display name, the host and the parameters are dropped, except
 * phone-context=+DIGITS, which prefixes a local number; the visual
 * separators space, tab, - . ( ) / are removed.  The result is "+" and the
 * digits for an international number (+, 00, and with cc: a national
 * number with trunk prefix 0, cc's digits already in front, NANP 10 digits
 * when cc is "1"), else the plain digits (extensions, numbers that cannot
 * be placed).  cc: country code digits, NULL = none.  Returns CT_OK, or
 * CT_ERR (out = "") when in is NULL, withheld (anonymous, restricted, ...,
 * an anonymous.invalid host), holds no digit, holds any other character, or
 * is longer than CT_NUMBER_MAX - 1.
 */
int ct_number_norm(const char *in, const char *cc, char *out, size_t len)
{
	char d[CT_NUMBER_MAX + 4], ctx[CT_NUMBER_MAX + 4], both[2 * CT_NUMBER_MAX + 8];
	const char *p, *q, *end, *uend, *host;
	bool plus;

	if (len == 0)
		return CT_ERR;
	out[0] = '\0';
	if (in == NULL)
		return CT_ERR;
	if (cc != NULL && cc[0] == '\0')
		cc = NULL;
	p = skip_scheme(uri_part(in, &end));
	uend = p + strcspn(p, "@;?>");
	if (uend > end)
		uend = end;
	host = memchr(p, '@', (size_t)(end - p));
	if (host != NULL && find_ci(host, end, "anonymous.invalid") != NULL)
		return CT_ERR;
	while (p < uend && (*p == ' ' || *p == '\t'))
		p++;
	for (q = uend; q > p && (q[-1] == ' ' || q[-1] == '\t'); q--)
		;
	if (is_withheld_name(p, (size_t)(q - p)))
		return CT_ERR;
	if (collect_digits(p, uend, d, sizeof(d), &plus) != CT_OK)
		return CT_ERR;
	phone_context(p, end, ctx, sizeof(ctx));
	if (!plus && ctx[0] != '\0') {
		size_t cn = strlen(ctx), dn = strlen(d);

		memcpy(both, ctx, cn);      /* both holds ctx and d whole */
		memcpy(both + cn, d, dn + 1);
		if (classify(both, cn + dn, true, cc, out, len) != CT_OK)
			goto fail;
		return CT_OK;
	}
	if (classify(d, strlen(d), plus, cc, out, len) == CT_OK)
		return CT_OK;
fail:
	out[0] = '\0';
	return CT_ERR;
}

/*
 * True when user (a SIP user part) names a company extension rather than a
 * subscriber number: 1-6 plain digits (no '+', no international prefix), or
 * a name of a letter then letters, digits, '.', '_', '-' (at most 32 bytes)
 * that is not a withheld name.  NULL and "" are not.
 */
bool ct_number_is_extension(const char *user)
{
	size_t n, i;

	if (user == NULL)
		return false;
	/* One pass, no strlen or strspn: this runs several times per call. */
	if (user[0] >= '0' && user[0] <= '9') {
		for (n = 1; user[n] >= '0' && user[n] <= '9'; n++)
			if (n >= 6)
				return false;   /* a seventh digit */
		return user[n] == '\0' && !(n >= 2 && user[0] == '0' && user[1] == '0');
	}
	if (!((user[0] >= 'a' && user[0] <= 'z') || (user[0] >= 'A' && user[0] <= 'Z')))
		return false;
	for (i = 1; user[i] != '\0'; i++) {
		unsigned char c = (unsigned char)user[i];

		if (i >= 32 || !((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
		    c == '.' || c == '_' || c == '-'))
			return false;
	}
	n = i;
	return !is_withheld_name(user, n);
}

/* ---- hash table ------------------------------------------------------------ */

/* First slot to probe for norm. */
static size_t home_slot(const struct ct_numbers *t, const char *norm)
{
	return (size_t)ct_siphash(&t->key, norm, strlen(norm)) & (t->nslots - 1);
}

/* Slot holding norm, or the empty slot where it would go. */
static size_t find_slot(const struct ct_numbers *t, const char *norm)
{
	size_t mask = t->nslots - 1, i = home_slot(t, norm);

	while (t->slots[i] != 0 && strcmp(t->v[t->slots[i] - 1].number, norm) != 0)
		i = (i + 1) & mask;
	return i;
}

/*
 * Longest probe sequence of any listed number: slots visited by its lookup
 * (tests, diagnostics; O(n)).  0 for NULL or an empty pool.
 */
size_t ct_numbers_max_probe(const struct ct_numbers *n)
{
	size_t i, best = 0;

	for (i = 0; n != NULL && n->slots != NULL && i < n->n; i++) {
		size_t d = (find_slot(n, n->v[i].number) - home_slot(n, n->v[i].number)) &
		    (n->nslots - 1);

		if (d + 1 > best)
			best = d + 1;
	}
	return best;
}

/* Makes room for one more number: grows the slot array past 2 * (n + 1). */
static int reserve_slot(struct ct_numbers *t)
{
	uint32_t *old = t->slots;
	size_t i, nold = t->nslots, want = t->nslots ? t->nslots : 64;

	while (want <= 2 * (t->n + 1))
		want *= 2;
	if (want == nold)
		return CT_OK;
	t->slots = calloc(want, sizeof(*t->slots));
	if (t->slots == NULL) {
		t->slots = old;
		return CT_NOMEM;
	}
	t->nslots = want;
	for (i = 0; i < nold; i++)
		if (old[i] != 0)
			t->slots[find_slot(t, t->v[old[i] - 1].number)] = old[i];
	free(old);
	return CT_OK;
}

/*
 * Looks up a normalised number.  Returns the pool entry (owned by n, valid
 * until ct_numbers_free), or NULL when absent or when n or norm is NULL.
 */
const struct ct_number_info *ct_numbers_find(const struct ct_numbers *n, const char *norm)
{
	size_t i;

	if (n == NULL || norm == NULL || n->slots == NULL)
		return NULL;
	i = find_slot(n, norm);
	return n->slots[i] != 0 ? &n->v[n->slots[i] - 1] : NULL;
}

/*
 * The pool entry for num as dialled (normalised, as ct_number_norm gives
 * it): the listed number equal to it, else, for plain digits of at least
 * 7 (no country code could place them), the listed international number
 * with those digits ("18005550199" on the wire finds "+1 800 555 0199" of
 * the file).  NULL when none, or when n or num is NULL.
 */
const struct ct_number_info *ct_numbers_lookup(const struct ct_numbers *n, const char *num)
{
	const struct ct_number_info *tn = ct_numbers_find(n, num);
	char plus[CT_NUMBER_MAX + 1];

	if (tn != NULL || num == NULL || num[0] == '+' || strlen(num) < 7)
		return tn;
	snprintf(plus, sizeof(plus), "+%s", num);
	return ct_numbers_find(n, plus);
}

/* Number of entries (0 for NULL). */
size_t ct_numbers_count(const struct ct_numbers *n)
{
	return n != NULL ? n->n : 0;
}

/* Entry i in file order (borrowed), or NULL when i is out of range. */
const struct ct_number_info *ct_numbers_at(const struct ct_numbers *n, size_t i)
{
	return n != NULL && i < n->n ? &n->v[i] : NULL;
}

/* Frees the pool and its strings.  NULL is a no-op. */
void ct_numbers_free(struct ct_numbers *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++) {
		free(n->v[i].number);
		free(n->v[i].source);
		free(n->v[i].campaign);
	}
	free(n->v);
	free(n->slots);
	free(n);
}

/* ---- CSV (RFC 4180) ------------------------------------------------------- */

struct csv {
	const char *p, *end;
	unsigned line;               /* current physical line, from 1 */
	char *f[CSV_MAX_FIELDS];     /* fields of the current record (NUL-ended) */
	size_t nf;
	char store[CSV_MAX_FIELDS][CSV_FIELD_MAX];
	const char *why;             /* parse error */
};

/* Appends c to field f; false (with why) when it is too long. */
static bool field_put(struct csv *c, size_t *n, char ch)
{
	if (*n + 1 >= CSV_FIELD_MAX) {
		c->why = "field longer than 1023 bytes";
		return false;
	}
	c->store[c->nf][(*n)++] = ch;
	return true;
}

/* Reads a quoted field (p at the opening quote); doubled quotes are one. */
static bool field_quoted(struct csv *c, size_t *n)
{
	for (c->p++;; c->p++) {
		if (c->p >= c->end) {
			c->why = "unterminated quoted field";
			return false;
		}
		if (*c->p == '"') {
			if (c->p + 1 < c->end && c->p[1] == '"') {
				c->p++;
			} else {
				c->p++;
				return true;
			}
		}
		if (*c->p == '\n')
			c->line++;
		if (!field_put(c, n, *c->p))
			return false;
	}
}

/* Reads an unquoted field and trims its surrounding blanks. */
static bool field_plain(struct csv *c, size_t *n)
{
	char *s = c->store[c->nf];
	size_t start;

	for (; c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r'; c->p++) {
		if (*c->p == '"') {
			c->why = "quote inside an unquoted field";
			return false;
		}
		if (!field_put(c, n, *c->p))
			return false;
	}
	while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	for (start = 0; start < *n && (s[start] == ' ' || s[start] == '\t'); start++)
		;
	memmove(s, s + start, *n - start);
	*n -= start;
	return true;
}

/* Reads one field into store[nf]; false with why on a syntax error. */
static bool csv_field(struct csv *c)
{
	size_t n = 0;
	const char *q = c->p;

	if (c->nf == CSV_MAX_FIELDS) {
		c->why = "too many fields";
		return false;
	}
	while (q < c->end && (*q == ' ' || *q == '\t'))
		q++;
	if (q < c->end && *q == '"') {
		c->p = q;
		if (!field_quoted(c, &n))
			return false;
		while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
			c->p++;
		if (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r') {
			c->why = "text after a closing quote";
			return false;
		}
	} else if (!field_plain(c, &n)) {
		return false;
	}
	c->store[c->nf][n] = '\0';
	c->f[c->nf] = c->store[c->nf];
	c->nf++;
	return true;
}

/*
 * Reads one record (line) into c->f[0..nf).  Returns 1 for a record, 0 at
 * the end of the text, -1 with c->why on a syntax error.
 */
static int csv_record(struct csv *c)
{
	c->nf = 0;
	if (c->p >= c->end)
		return 0;
	for (;;) {
		if (!csv_field(c))
			return -1;
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == '\r') {
			if (c->p + 1 >= c->end || c->p[1] != '\n') {
				c->why = "carriage return not followed by a line feed";
				return -1;
			}
			c->p++;
		}
		if (c->p < c->end)
			c->p++;   /* the line feed */
		return 1;
	}
}

/* ---- pool loading ---------------------------------------------------------- */

/* Checks the header row: number,source,campaign[,cost] (any case). */
static const char *check_header(const struct csv *c)
{
	static const char *const names[] = { "number", "source", "campaign", "cost" };
	size_t i;

	if (c->nf != 3 && c->nf != 4)
		return "the header must be number,source,campaign[,cost]";
	for (i = 0; i < c->nf; i++)
		if (strcasecmp(c->f[i], names[i]) != 0)
			return "the header must be number,source,campaign[,cost]";
	return NULL;
}

/* Parses a cost: empty = none; else a finite number >= 0. */
static bool parse_cost(const char *s, double *cost, bool *has)
{
	char *end;

	*has = false;
	if (s[0] == '\0')
		return true;
	errno = 0;
	*cost = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(*cost) || *cost < 0)
		return false;
	*has = true;
	return true;
}

/* Adds one data row; returns NULL, or the reason (into why[]) it is bad. */
static const char *add_row(struct ct_numbers *t, const struct csv *c, const char *cc,
    unsigned line, char *why, size_t len)
{
	struct ct_number_info info = { 0 };
	char num[CT_NUMBER_MAX];
	size_t slot;

	if (ct_number_norm(c->f[0], cc, num, sizeof(num)) != CT_OK) {
		snprintf(why, len, "'%.64s' is not a phone number", c->f[0]);
		return why;
	}
	if (c->f[1][0] == '\0')
		return "empty source";
	if (c->nf == 4 && !parse_cost(c->f[3], &info.cost, &info.has_cost)) {
		snprintf(why, len, "cost '%.64s' is not a number >= 0", c->f[3]);
		return why;
	}
	if (reserve_slot(t) != CT_OK)
		return "out of memory";
	slot = find_slot(t, num);
	if (t->slots[slot] != 0) {
		snprintf(why, len, "number %s already listed on line %u", num,
		    t->v[t->slots[slot] - 1].line);
		return why;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct ct_number_info *v = realloc(t->v, cap * sizeof(*v));

		if (v == NULL)
			return "out of memory";
		t->v = v;
		t->cap = cap;
	}
	info.line = line;
	info.number = strdup(num);
	info.source = strdup(c->f[1]);
	info.campaign = c->f[2][0] != '\0' ? strdup(c->f[2]) : NULL;
	t->v[t->n++] = info;
	if (info.number != NULL)
		t->slots[slot] = (uint32_t)t->n;
	if (info.number == NULL || info.source == NULL || (c->f[2][0] && !info.campaign))
		return "out of memory";
	return NULL;
}

/* Reads every record after the header; NULL or the reason, *line = where. */
static const char *parse_rows(struct ct_numbers *t, struct csv *c, const char *cc,
    size_t ncols, unsigned *line, char *why, size_t len)
{
	const char *err;
	int rc;

	for (;;) {
		*line = c->line;
		rc = csv_record(c);
		c->line++;
		if (rc == 0)
			return NULL;
		if (rc < 0)
			return c->why;
		if (c->nf == 1 && c->f[0][0] == '\0')
			continue;   /* blank line */
		if (c->nf != ncols) {
			snprintf(why, len, "expected %zu fields (as the header), found %zu", ncols, c->nf);
			return why;
		}
		err = add_row(t, c, cc, *line, why, len);
		if (err != NULL)
			return err;
	}
}

/* Parses the header then the rows; NULL or the reason, *line = where. */
static const char *parse_all(struct ct_numbers *t, struct csv *c, const char *cc,
    unsigned *line, char *why, size_t len)
{
	const char *err;
	size_t ncols;
	int rc;

	do {
		*line = c->line;
		rc = csv_record(c);
		c->line++;
	} while (rc > 0 && c->nf == 1 && c->f[0][0] == '\0');
	if (rc < 0)
		return c->why;
	if (rc == 0)
		return "no header row (number,source,campaign[,cost])";
	if ((err = check_header(c)) != NULL)
		return err;
	ncols = c->nf;
	return parse_rows(t, c, cc, ncols, line, why, len);
}

/*
 * Parses a tracking-number CSV held in text (len bytes, need not be
 * NUL-terminated; a UTF-8 byte order mark is skipped).  name is used in
 * messages; cc as in ct_number_norm().  Returns the pool (free with
 * ct_numbers_free), or NULL with "NAME:LINE: why" in errbuf.
 */
struct ct_numbers *ct_numbers_parse(const char *text, size_t len, const char *name,
    const char *cc, char *errbuf)
{
	struct ct_numbers *t = calloc(1, sizeof(*t));
	struct csv *c = calloc(1, sizeof(*c));
	char why[160];
	const char *err = "out of memory";
	unsigned line = 0;

	if (t == NULL || c == NULL)
		goto fail;
	ct_hash_key_random(&t->key);
	c->p = text;
	c->end = text + len;
	c->line = 1;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		c->p += 3;
	err = parse_all(t, c, cc, &line, why, sizeof(why));
	if (err != NULL)
		goto fail;
	free(c);
	return t;
fail:
	snprintf(errbuf, CT_ERRBUF_SIZE, "%s:%u: %s", name, line, err);
	free(c);
	ct_numbers_free(t);
	return NULL;
}

/*
 * Loads the tracking-number CSV at path (see ct_numbers_parse).  Returns
 * the pool, or NULL with a message naming the file (and line) in errbuf.
 */
struct ct_numbers *ct_numbers_load(const char *path, const char *cc, char *errbuf)
{
	struct ct_numbers *t = NULL;
	FILE *fp = fopen(path, "rb");
	struct ct_buf text;
	char chunk[65536];
	size_t n;

	if (fp == NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot open numbers file '%s': %s", path,
		    strerror(errno));
		return NULL;
	}
	ct_buf_init(&text);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0 && text.len < NUMBERS_MAX_FILE)
		ct_buf_append(&text, chunk, n);
	if (ferror(fp))
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot read numbers file '%s': %s", path,
		    strerror(errno));
	else if (text.oom || text.len >= NUMBERS_MAX_FILE)
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot read numbers file '%s': %s", path,
		    text.oom ? "out of memory" : "larger than 64 MiB");
	else
		t = ct_numbers_parse(text.len ? text.p : "", text.len, path, cc, errbuf);
	ct_buf_fini(&text);
	fclose(fp);
	return t;
}
