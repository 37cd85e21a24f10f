/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Shared glue of the fuzz harnesses in tests/fuzz/.  Each harness defines
 * ct_fuzz_<name>(data, size) and ends with CT_FUZZ_TARGET(name).  Built by
 * scripts/fuzz with clang -fsanitize=fuzzer and -DCT_FUZZ_LIBFUZZER, the
 * macro adds libFuzzer's entry point; built by automake into
 * tests/fuzz/replay (gcc, no libFuzzer), the harnesses are called by name
 * from replay.c on saved inputs.  A harness returns 0; a broken invariant
 * calls ct_fuzz_fail(), which aborts so both drivers report it.
 */
#ifndef CALLTAP_TESTS_FUZZ_H
#define CALLTAP_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int ct_fuzz_decode(const uint8_t *data, size_t size);
int ct_fuzz_ipfrag(const uint8_t *data, size_t size);
int ct_fuzz_tcp(const uint8_t *data, size_t size);
int ct_fuzz_sip(const uint8_t *data, size_t size);
int ct_fuzz_rtp(const uint8_t *data, size_t size);
int ct_fuzz_engine(const uint8_t *data, size_t size);
int ct_fuzz_capture(const uint8_t *data, size_t size);
int ct_fuzz_hep(const uint8_t *data, size_t size);

/* fuzz_outputs.c: an engine with every output on, and its end (checked). */
struct ct_engine;
struct ct_engine *ct_fuzz_engine_open(void);
void ct_fuzz_engine_close(struct ct_engine *e);

#ifdef CT_FUZZ_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#define CT_FUZZ_TARGET(name) \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) \
	{ \
		return ct_fuzz_##name(data, size); \
	}
#else
#define CT_FUZZ_TARGET(name)
#endif

#define ct_fuzz_fail(what) \
	do { \
		fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, what); \
		abort(); \
	} while (0)

/* Reads input bytes in order; past the end every read returns 0. */
struct ct_fuzz_in {
	const uint8_t *p;
	size_t left;
};

static inline uint8_t ct_fuzz_u8(struct ct_fuzz_in *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

static inline uint16_t ct_fuzz_u16(struct ct_fuzz_in *in)
{
	uint16_t hi = ct_fuzz_u8(in);

	return (uint16_t)(hi << 8 | ct_fuzz_u8(in));
}

/* Takes up to n bytes (fewer at the end of input); returns how many. */
static inline size_t ct_fuzz_take(struct ct_fuzz_in *in, size_t n, const uint8_t **p)
{
	if (n > in->left)
		n = in->left;
	*p = in->p;
	in->p += n;
	in->left -= n;
	return n;
}

/*
 * An exactly sized heap copy of p[0..n) (one byte allocated when n is 0), so
 * that a read past the end trips the sanitizer even though the fuzzer's
 * buffer goes on; NULL when memory runs out.  Free with free().
 */
static inline uint8_t *ct_fuzz_dup(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n > 0 ? n : 1);
	size_t i;

	if (d != NULL)
		for (i = 0; i < n; i++)
			d[i] = p[i];
	return d;
}

#endif
