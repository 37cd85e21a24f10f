/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Private to src/capture/: a forward-only byte stream over a stdio stream,
 * handed out as windows of up to RA_BLOCK bytes that the savefile readers
 * parse in place (no copy per packet).  On a large regular file a second
 * thread reads the next windows while the first parses the current one, so
 * read(2) and the kernel's page-cache copy run on another core; anything else
 * (a pipe, standard input, a memory stream, a small file) is read in the
 * caller's thread through stdio.
 */
#ifndef CALLTAP_READAHEAD_H
#define CALLTAP_READAHEAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RA_BLOCK (1u << 18)   /* bytes per window (256 KiB) */
#define RA_DEPTH 4            /* windows in flight with the reader thread */

struct ct_readahead;

/*
 * Starts reading fp (which the caller keeps owning and must not read
 * directly any more).  Returns NULL when out of memory.
 */
struct ct_readahead *ct_readahead_new(FILE *fp);

/*
 * The next window of the stream: *data points to *len bytes that stay valid
 * until the next call to ct_readahead_next() or ct_readahead_free().
 * Returns 1 with a window (len > 0), 0 at the end of the stream, or -1 on a
 * read error with the errno value in *err; the end or the error is sticky.
 */
int ct_readahead_next(struct ct_readahead *ra, const uint8_t **data, size_t *len, int *err);

/* 1 when a reader thread is running for ra. */
int ct_readahead_threaded(const struct ct_readahead *ra);

/* Stops the reader thread and frees ra; fp is left open.  NULL is a no-op. */
void ct_readahead_free(struct ct_readahead *ra);

#endif
