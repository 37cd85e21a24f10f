/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The scratch store of the recordings (contract in audio_int.h): one
 * anonymous file that holds the decoded audio of every call being recorded,
 * cut into blocks of CT_AUDIO_BLOCK samples that calls take and give back.
 *
 * Why one file: a scratch file per call held one descriptor per recording
 * in progress, so more concurrent recorded calls than `ulimit -n` failed
 * with EMFILE (issue 9: 10,000 concurrent calls of the collide-media
 * bench).  The store holds one descriptor whatever the number of calls;
 * the final file being written is the only other one.
 *
 * Blocks: a call maps its channel blocks to store blocks on first write
 * (writer.c writes a new block whole, so a reused block never shows an
 * earlier call's audio); blocks come back at the call's end and are handed
 * out again, last freed first (still in the page cache).  The file grows to
 * the most blocks in use at once, and is emptied (ftruncate) whenever no
 * block is in use.  The free stack is sized as blocks are created, so
 * giving one back never allocates and never fails.
 * The file has no name (O_TMPFILE, or created and unlinked at once): a
 * crash leaves nothing behind.  Not thread-safe: one thread (the recorder)
 * uses a store.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio_int.h"

struct ct_audio_store {
	char *dir;
	int fd;                 /* -1 until the first block */
	uint32_t n_blocks;      /* blocks in the file */
	uint32_t *free;         /* stack of free blocks, capacity >= n_blocks */
	uint32_t n_free, cap_free;
};

/* A store whose file goes to dir (opened on the first block); NULL on ENOMEM. */
struct ct_audio_store *ct_audio_store_new(const char *dir)
{
	struct ct_audio_store *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->fd = -1;
	if ((s->dir = strdup(dir)) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

/* Closes the file and frees s; NULL is a no-op. */
void ct_audio_store_free(struct ct_audio_store *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->free);
	free(s->dir);
	free(s);
}

/* The store's descriptor (-1 before the first block). */
int ct_audio_store_fd(const struct ct_audio_store *s)
{
	return s->fd;
}

/*
 * Takes a block: returns its index (byte offset index * CT_AUDIO_BLOCK_BYTES
 * in the file), or -1 with errno when the file cannot be created or memory
 * runs out.  Its content is undefined until written.
 */
int64_t ct_audio_store_alloc(struct ct_audio_store *s)
{
	if (s->n_free > 0)
		return s->free[--s->n_free];
	if (s->fd < 0 && (s->fd = ct_audio_scratch_create(s->dir)) < 0)
		return -1;
	if (s->n_blocks == UINT32_MAX) {
		errno = EFBIG;
		return -1;
	}
	if (s->n_blocks >= s->cap_free) {
		uint32_t cap = s->cap_free ? (s->cap_free > UINT32_MAX / 2 ? UINT32_MAX : s->cap_free * 2) : 1024;
		uint32_t *p = realloc(s->free, (size_t)cap * sizeof(*p));

		if (p == NULL) {
			errno = ENOMEM;
			return -1;
		}
		s->free = p;
		s->cap_free = cap;
	}
	return s->n_blocks++;
}

/* Gives block idx back; when none is in use any more the file is emptied. */
void ct_audio_store_release(struct ct_audio_store *s, uint32_t idx)
{
	if (idx >= s->n_blocks || s->n_free >= s->cap_free)
		return;                         /* not ours: ignored */
	s->free[s->n_free++] = idx;
	if (s->n_free == s->n_blocks && ftruncate(s->fd, 0) == 0)
		s->n_blocks = s->n_free = 0;
}

/* Blocks in the file, and of them in use (for tests). */
void ct_audio_store_usage(const struct ct_audio_store *s, uint32_t *blocks, uint32_t *used)
{
	*blocks = s->n_blocks;
	*used = s->n_blocks - s->n_free;
}
