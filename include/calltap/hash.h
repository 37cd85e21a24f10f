/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Hash helpers shared by the tables (flows, fragments, streams, calls). */
#ifndef CALLTAP_HASH_H
#define CALLTAP_HASH_H

#include <stdint.h>

/* Final avalanche of a 32-bit hash (the MurmurHash3 fmix32 constants). */
static inline uint32_t ct_hash_fmix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

#endif
