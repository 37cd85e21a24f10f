/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Bounded reads over packet bytes.  Every protocol field is fetched through a
 * cursor; once a read would pass the end, short_read is set and every later
 * read returns 0, so a decoder checks the flag once per header instead of
 * once per field.  Never cast a struct onto packet bytes.
 */
#ifndef CALLTAP_CURSOR_H
#define CALLTAP_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ct_cursor {
	const uint8_t *p;   /* next byte to read */
	const uint8_t *end; /* one past the last readable byte */
	bool short_read;    /* a read ran past end */
};

static inline void ct_cursor_init(struct ct_cursor *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->end = p + len;
	c->short_read = false;
}

static inline size_t ct_cursor_left(const struct ct_cursor *c)
{
	return (size_t)(c->end - c->p);
}

/* True when n more bytes are readable; sets short_read otherwise. */
static inline bool ct_cursor_need(struct ct_cursor *c, size_t n)
{
	if (c->short_read || n > ct_cursor_left(c)) {
		c->short_read = true;
		return false;
	}
	return true;
}

static inline uint8_t ct_get_u8(struct ct_cursor *c)
{
	if (!ct_cursor_need(c, 1))
		return 0;
	return *c->p++;
}

static inline uint16_t ct_get_be16(struct ct_cursor *c)
{
	uint16_t v;

	if (!ct_cursor_need(c, 2))
		return 0;
	v = (uint16_t)((uint16_t)c->p[0] << 8 | c->p[1]);
	c->p += 2;
	return v;
}

static inline uint16_t ct_get_le16(struct ct_cursor *c)
{
	uint16_t v;

	if (!ct_cursor_need(c, 2))
		return 0;
	v = (uint16_t)((uint16_t)c->p[1] << 8 | c->p[0]);
	c->p += 2;
	return v;
}

static inline uint32_t ct_get_be32(struct ct_cursor *c)
{
	uint32_t v;

	if (!ct_cursor_need(c, 4))
		return 0;
	v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 |
	    (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	return v;
}

static inline uint32_t ct_get_le32(struct ct_cursor *c)
{
	uint32_t v;

	if (!ct_cursor_need(c, 4))
		return 0;
	v = (uint32_t)c->p[3] << 24 | (uint32_t)c->p[2] << 16 |
	    (uint32_t)c->p[1] << 8 | c->p[0];
	c->p += 4;
	return v;
}

/* Copies n bytes into dst (zero-filled on short read). */
static inline void ct_get_bytes(struct ct_cursor *c, void *dst, size_t n)
{
	uint8_t *d = dst;
	size_t i;

	if (!ct_cursor_need(c, n)) {
		for (i = 0; i < n; i++)
			d[i] = 0;
		return;
	}
	for (i = 0; i < n; i++)
		d[i] = c->p[i];
	c->p += n;
}

static inline void ct_skip(struct ct_cursor *c, size_t n)
{
	if (ct_cursor_need(c, n))
		c->p += n;
}

#endif
