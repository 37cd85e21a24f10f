/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Minimal unit-test helpers.  Each test program runs its cases and ends with
 * one line "N passed, N failed"; it exits non-zero on any failure.
 */
#ifndef CT_TEST_H
#define CT_TEST_H

#include <stdio.h>
#include <string.h>

static int ct_t_pass, ct_t_fail;

#define CHECK(cond) do { \
	if (cond) { ct_t_pass++; } else { ct_t_fail++; \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_INT(a, b) do { \
	long long ct_a_ = (long long)(a), ct_b_ = (long long)(b); \
	if (ct_a_ == ct_b_) { ct_t_pass++; } else { ct_t_fail++; \
		fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, \
		    #a, ct_a_, #b, ct_b_); } \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *ct_a_ = (a), *ct_b_ = (b); \
	if ((ct_a_ == NULL && ct_b_ == NULL) || (ct_a_ && ct_b_ && strcmp(ct_a_, ct_b_) == 0)) { \
		ct_t_pass++; } else { ct_t_fail++; \
		fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, \
		    #a, ct_a_ ? ct_a_ : "(null)", ct_b_ ? ct_b_ : "(null)"); } \
} while (0)

#define TEST_REPORT() (printf("%s: %d passed, %d failed\n", __FILE__, ct_t_pass, ct_t_fail), \
	ct_t_fail ? 1 : 0)

#endif
