/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Local time of `calltap report`: the office time zone (--tz, an IANA name
 * read from the system's time zone database through the C library, so
 * daylight saving time is that of each instant's own date), business hours
 * (--hours) and durations (--lead-window).  With no zone every function works
 * in UTC without touching the environment.  `calltap report` is a one-shot
 * command: ct_report_tz_set() sets TZ for the process once, before any
 * figure is computed, and nothing else in the process reads local time.
 * Workload: one conversion per call (a few million at most).
 * References: tzfile(5) (the TZif magic), localtime(3), mktime(3) (tm_isdst
 * -1: the C library decides whether daylight saving time applies),
 * docs/report.md.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "calltap/clock.h"
#include "calltap/err.h"
#include "report_int.h"

#define US_PER_S 1000000LL

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/*
 * Checks that name is a zone of the system database (a TZif file under
 * $TZDIR or /usr/share/zoneinfo, no absolute path, no "..") and makes it the
 * process's local time.  "UTC" needs no file.  CT_OK, or CT_ERR with the
 * reason in errbuf.
 */
int ct_report_tz_set(const char *name, char *errbuf)
{
	const char *dir = getenv("TZDIR");
	char path[512], magic[4];
	FILE *f;
	size_t n = 0;

	if (name[0] == '\0' || name[0] == '/' || strstr(name, "..") != NULL ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-")
	    != strlen(name)) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "unknown time zone '%.100s' (want an IANA "
		    "name such as Europe/Kyiv)", name);
		return CT_ERR;
	}
	snprintf(path, sizeof(path), "%s/%s", dir != NULL && *dir ? dir : "/usr/share/zoneinfo",
	    name);
	f = fopen(path, "rb");
	if (f != NULL) {
		n = fread(magic, 1, sizeof(magic), f);
		fclose(f);
	}
	if (n != sizeof(magic) || memcmp(magic, "TZif", 4) != 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "unknown time zone '%.100s': not in the system "
		    "time zone database (%.200s; install tzdata)", name, path);
		return CT_ERR;
	}
	if (setenv("TZ", name, 1) != 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot set the time zone: out of memory");
		return CT_ERR;
	}
	tzset();
	return CT_OK;
}

/* Broken-down local time (tz NULL: UTC) of us; CT_OK or CT_ERR. */
int ct_report_local(const char *tz, int64_t us, struct tm *tm)
{
	time_t t = (time_t)floor_div(us, US_PER_S);

	if (tz == NULL)
		return gmtime_r(&t, tm) != NULL ? CT_OK : CT_ERR;
	return localtime_r(&t, tm) != NULL ? CT_OK : CT_ERR;
}

/* Local date of us as days since 1970-01-01. */
int64_t ct_report_local_day(const char *tz, int64_t us)
{
	struct tm tm;

	if (tz == NULL)
		return floor_div(us, 86400 * US_PER_S);
	if (ct_report_local(tz, us, &tm) != CT_OK)
		return floor_div(us, 86400 * US_PER_S);
	return ct_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
	    (unsigned)tm.tm_mday);
}

/*
 * The instant (µs) of the local wall-clock time tm (fields may be out of
 * range: they are normalised; tm_isdst is ignored and decided by the zone).
 */
int64_t ct_report_from_local(const char *tz, struct tm *tm)
{
	time_t t;

	tm->tm_isdst = -1;
	t = tz == NULL ? timegm(tm) : mktime(tm);
	return (int64_t)t * US_PER_S;
}

/* "YYYY-MM-DDTHH:MM:SS+HH:MM" of us in tz (UTC: "Z"); "-" for NONE. */
void ct_report_format_local(const char *tz, int64_t us, char *buf, size_t size)
{
	struct tm tm;
	long off;

	if (us == CT_REPORT_NONE || ct_report_local(tz, us, &tm) != CT_OK) {
		snprintf(buf, size, "-");
		return;
	}
	off = tz == NULL ? 0 : tm.tm_gmtoff;
	if (off == 0 && tz == NULL)
		snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec, off < 0 ? '-' : '+', labs(off) / 3600, labs(off) % 3600 / 60);
}

/* "YYYY-MM-DD" of a day number. */
void ct_report_format_day(int64_t day, char *buf, size_t size)
{
	time_t t = (time_t)(day * 86400);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		snprintf(buf, size, "?");
	else
		snprintf(buf, size, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday);
}

/* Minute of the week of a broken-down time, 0 = Monday 00:00. */
int ct_report_minute_of_week(const struct tm *tm)
{
	return ((tm->tm_wday + 6) % 7) * 1440 + tm->tm_hour * 60 + tm->tm_min;
}

/* Day index 0-6 (Mon-Sun) of a three-letter name at s, or -1. */
static int day_index(const char *s)
{
	int i;

	for (i = 0; i < 7; i++)
		if (strncasecmp(s, ct_report_wday[i], 3) == 0)
			return i;
	return -1;
}

/* Reads "HH:MM" (00:00-24:00) at *s into minutes; 0 on success. */
static int hhmm(const char **s, int *min)
{
	const char *p = *s;
	int h, m;

	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || p[2] != ':' ||
	    !isdigit((unsigned char)p[3]) || !isdigit((unsigned char)p[4]))
		return -1;
	h = (p[0] - '0') * 10 + (p[1] - '0');
	m = (p[3] - '0') * 10 + (p[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	*min = h * 60 + m;
	*s = p + 5;
	return 0;
}

/* Distance (minutes, cyclic) from each minute to the first one with open == want. */
static void next_state(const uint8_t *open, int want, int32_t *dist)
{
	int32_t d = -1;
	int m;

	for (m = 2 * CT_REPORT_WEEK_MIN - 1; m >= 0; m--) {
		int i = m % CT_REPORT_WEEK_MIN;

		if ((open[i] != 0) == want)
			d = 0;
		else if (d >= 0)
			d++;
		if (m < CT_REPORT_WEEK_MIN)
			dist[i] = d;
	}
}

/*
 * Parses business hours "DAYS HH:MM-HH:MM[,...]" (DAYS: Mon or Mon-Fri,
 * wrapping allowed; an end before the start is an overnight shift, from
 * the start on each of DAYS to the end the next morning) into h, and
 * precomputes for each minute of the week the
 * minutes to the end of the open interval it is in, or of the next one.
 * CT_OK, or CT_ERR with the reason in errbuf.
 */
int ct_report_hours_parse(struct ct_report_hours *h, const char *spec, char *errbuf)
{
	int32_t to_open[CT_REPORT_WEEK_MIN];
	const char *p = spec;
	int any = 0, m;

	memset(h, 0, sizeof(*h));
	for (;;) {
		int d0, d1, t0, t1, d;

		p += strspn(p, " \t");
		if ((d0 = day_index(p)) < 0)
			goto bad;
		p += 3;
		d1 = d0;
		if (*p == '-') {
			if ((d1 = day_index(++p)) < 0)
				goto bad;
			p += 3;
		}
		if (*p != ' ' && *p != '\t')
			goto bad;
		p += strspn(p, " \t");
		if (hhmm(&p, &t0) != 0 || *p++ != '-' || hhmm(&p, &t1) != 0 || t1 == t0 ||
		    t0 == 1440)
			goto bad;
		for (d = d0;; d = (d + 1) % 7) {
			if (t1 > t0) {
				memset(&h->open[d * 1440 + t0], 1, (size_t)(t1 - t0));
			} else {
				/* overnight (22:00-06:00): from t0 on day d to t1 the day after */
				memset(&h->open[d * 1440 + t0], 1, (size_t)(1440 - t0));
				memset(&h->open[((d + 1) % 7) * 1440], 1, (size_t)t1);
			}
			if (d == d1)
				break;
		}
		any = 1;
		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		if (*p++ != ',')
			goto bad;
	}
	if (!any)
		goto bad;
	next_state(h->open, 0, h->endoff);     /* to the next closed minute */
	next_state(h->open, 1, to_open);
	for (m = 0; m < CT_REPORT_WEEK_MIN; m++) {
		if (h->endoff[m] < 0)
			continue;                      /* always open */
		if (!h->open[m])
			h->endoff[m] = to_open[m] + h->endoff[(m + to_open[m]) % CT_REPORT_WEEK_MIN];
	}
	h->set = 1;
	return CT_OK;
bad:
	snprintf(errbuf, CT_ERRBUF_SIZE, "bad --hours '%.200s' (want e.g. 'Mon-Fri "
	    "09:00-18:00,Sat 10:00-14:00')", spec);
	return CT_ERR;
}

/*
 * End of the business-hours interval in which us falls, or of the next one
 * when us is outside business hours (µs, local wall-clock arithmetic, so a
 * daylight saving change in between is accounted for).  An interval is a
 * run of open minutes: items that touch (Mon 22:00-24:00 and Tue
 * 00:00-06:00, or an overnight item) are one business day that ends when
 * the office closes.  CT_REPORT_NONE when the hours are always open (no
 * close: every callback is within the business day).
 */
int64_t ct_report_bday_deadline(const struct ct_report_data *d, int64_t us)
{
	struct tm tm;
	int mow;

	if (ct_report_local(d->tz, us, &tm) != CT_OK)
		return CT_REPORT_NONE;
	mow = ct_report_minute_of_week(&tm);
	if (d->hours.endoff[mow] < 0)
		return CT_REPORT_NONE;
	tm.tm_sec = 0;
	tm.tm_min += d->hours.endoff[mow];
	return ct_report_from_local(d->tz, &tm);
}

/* Parses "N", "Ns", "Nm", "Nh" or "Nd" (N a whole number) into µs; 0 on success. */
int ct_report_parse_duration(const char *s, int64_t *us)
{
	char *end;
	long long v;
	int64_t mul = 1;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	v = strtoll(s, &end, 10);
	switch (*end) {
	case '\0': case 's': break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	default: return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v < 0 || v > 3650LL * 86400 / mul)
		return -1;
	*us = (int64_t)v * mul * US_PER_S;
	return 0;
}
