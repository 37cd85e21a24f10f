/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Capture-time arithmetic.  Timestamps come from the wire or the capture
 * file (pcapng if_tsresol / if_tsoffset can put any 64-bit value there), so
 * they are untrusted: the engine clamps every frame time into
 * [CT_TS_MIN, CT_TS_MAX] (ct_ts_clamp, counted), which leaves more than
 * 280,000 years of headroom below INT64_MAX for the timeouts and durations
 * added to it downstream.  Stages that may be driven with raw times (unit
 * tests, fuzz harnesses) take differences and sums with the saturating
 * helpers below, never a plain + or -: signed overflow is undefined.  Each
 * is a compare and an add (the per-packet path calls them).
 */
#ifndef CALLTAP_CLOCK_H
#define CALLTAP_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1-12,
 * d 1-31, not checked against the month): 400-year eras of 146097 days,
 * years counted from March so that the leap day comes last.  The one copy
 * for every date parser (the report's --from/--to and time zones, the lease
 * log); record.c's ct_time_iso runs it backwards.
 */
static inline int64_t ct_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z, in µs. */
#define CT_TS_MIN INT64_C(0)
#define CT_TS_MAX INT64_C(253402300799999999)

/* a + b, saturated to [-INT64_MAX, INT64_MAX] (INT64_MIN stays CT_TIME_NONE). */
static inline int64_t ct_ts_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : -INT64_MAX;
	return r == INT64_MIN ? -INT64_MAX : r;
}

/* a - b, saturated to [-INT64_MAX, INT64_MAX]. */
static inline int64_t ct_ts_sub(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_sub_overflow(a, b, &r))
		return b < 0 ? INT64_MAX : -INT64_MAX;
	return r == INT64_MIN ? -INT64_MAX : r;
}

/* Clamps *t into [CT_TS_MIN, CT_TS_MAX]; true when it had to. */
static inline bool ct_ts_clamp(int64_t *t)
{
	if (*t < CT_TS_MIN) {
		*t = CT_TS_MIN;
		return true;
	}
	if (*t > CT_TS_MAX) {
		*t = CT_TS_MAX;
		return true;
	}
	return false;
}

#endif
