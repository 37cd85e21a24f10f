/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Read-ahead for savefiles (see readahead.h for the contract).
 *
 * Threaded mode, for a regular file of more than READAHEAD_MIN bytes: a
 * reader thread owns the file descriptor and fills a ring of RA_DEPTH
 * windows of RA_BLOCK bytes with one read(2) each; the parsing thread holds
 * one window at a time and gives it back on its next call.  The two meet
 * under one mutex once per window (256 KiB), never per packet.  A
 * benchmark capture of 667 MB spent about a third of its single-threaded
 * wall time in read(2) and stdio's copies; that work is now on the other
 * core, and the readers parse records in place.
 *
 * Synchronous mode, for everything else: one window, refilled in the
 * caller's thread by read(2) on the descriptor (which returns what a pipe
 * has, so a live `tcpdump -w - | calltap -r -` is not held back until a
 * window fills) or by fread(3) on a stream without one (fmemopen).
 *
 * Signals are blocked in the reader thread, so the process's handlers run
 * on the main thread as before.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "calltap/thread.h"

#include "readahead.h"

#define READAHEAD_MIN (4 * (off_t)RA_BLOCK)

struct window {
	uint8_t *data;
	size_t len;          /* 0 = end or error, see status */
	int status;          /* 1 data, 0 end, -1 error */
	int err;             /* errno of the error */
};

struct ct_readahead {
	FILE *fp;
	int fd;                        /* -1: fread(fp) */
	int threaded;
	int held;                      /* the caller holds windows[consumed % DEPTH] */
	int end;                       /* sticky: 0 open, 1 ended, -1 read error */
	int end_err;                   /* errno of that error */
	struct window win[RA_DEPTH];   /* synchronous mode uses win[0] only */
	/* threaded mode: */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv_filled;      /* produced moved */
	pthread_cond_t cv_free;        /* consumed moved, or stop */
	uint64_t produced;             /* windows filled by the reader */
	uint64_t consumed;             /* windows given back by the caller */
	int stop;
};

/* One read(2) (retried on EINTR) or one fread(3) into w. */
static void read_window(struct ct_readahead *ra, struct window *w)
{
	ssize_t got;

	if (ra->fd >= 0) {
		do
			got = read(ra->fd, w->data, RA_BLOCK);
		while (got < 0 && errno == EINTR);
	} else {
		errno = 0;
		got = (ssize_t)fread(w->data, 1, RA_BLOCK, ra->fp);
		if (got == 0 && ferror(ra->fp))
			got = -1;
	}
	if (got > 0) {
		w->len = (size_t)got;
		w->status = 1;
	} else {
		w->len = 0;
		w->status = got == 0 ? 0 : -1;
		w->err = got == 0 ? 0 : errno ? errno : EIO;
	}
}

static void *reader_main(void *arg)
{
	struct ct_readahead *ra = arg;
	struct window *w;
	int status;

	ct_thread_name("ct-reader");
	for (;;) {
		pthread_mutex_lock(&ra->mu);
		while (!ra->stop && ra->produced - ra->consumed >= RA_DEPTH)
			pthread_cond_wait(&ra->cv_free, &ra->mu);
		if (ra->stop) {
			pthread_mutex_unlock(&ra->mu);
			return NULL;
		}
		w = &ra->win[ra->produced % RA_DEPTH];
		pthread_mutex_unlock(&ra->mu);
		read_window(ra, w);          /* the caller does not touch w now */
		status = w->status;
		pthread_mutex_lock(&ra->mu);
		ra->produced++;
		pthread_cond_signal(&ra->cv_filled);
		pthread_mutex_unlock(&ra->mu);
		if (status != 1)
			return NULL;
	}
}

/* Starts the reader thread when fp is a large regular file read from its start. */
static int try_thread(struct ct_readahead *ra)
{
	struct stat st;
	int i, rc;

	if (ra->fd < 0 || fstat(ra->fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < READAHEAD_MIN || lseek(ra->fd, 0, SEEK_CUR) != ftello(ra->fp))
		return 0;  /* stdio holds no read-ahead of its own when these agree */
	for (i = 1; i < RA_DEPTH; i++)
		if ((ra->win[i].data = malloc(RA_BLOCK)) == NULL)
			return 0;
	if (pthread_mutex_init(&ra->mu, NULL) != 0)
		return 0;
	if (pthread_cond_init(&ra->cv_filled, NULL) != 0) {
		pthread_mutex_destroy(&ra->mu);
		return 0;
	}
	if (pthread_cond_init(&ra->cv_free, NULL) != 0) {
		pthread_cond_destroy(&ra->cv_filled);
		pthread_mutex_destroy(&ra->mu);
		return 0;
	}
	rc = ct_thread_start(&ra->thread, reader_main, ra);
	if (rc != 0) {
		pthread_cond_destroy(&ra->cv_free);
		pthread_cond_destroy(&ra->cv_filled);
		pthread_mutex_destroy(&ra->mu);
		return 0;
	}
	return 1;
}

struct ct_readahead *ct_readahead_new(FILE *fp)
{
	struct ct_readahead *ra = calloc(1, sizeof(*ra));
	int i;

	if (ra == NULL)
		return NULL;
	ra->fp = fp;
	ra->fd = fileno(fp);
	ra->win[0].data = malloc(RA_BLOCK);
	if (ra->win[0].data == NULL) {
		free(ra);
		return NULL;
	}
	ra->threaded = try_thread(ra);
	if (!ra->threaded)
		for (i = 1; i < RA_DEPTH; i++) {
			free(ra->win[i].data);
			ra->win[i].data = NULL;
		}
	return ra;
}

int ct_readahead_threaded(const struct ct_readahead *ra)
{
	return ra->threaded;
}

int ct_readahead_next(struct ct_readahead *ra, const uint8_t **data, size_t *len, int *err)
{
	struct window *w;

	if (ra->end != 0) {
		*err = ra->end_err;
		return ra->end > 0 ? 0 : -1;
	}
	if (!ra->threaded) {
		w = &ra->win[0];
		read_window(ra, w);
	} else {
		pthread_mutex_lock(&ra->mu);
		if (ra->held) {
			ra->consumed++;
			ra->held = 0;
			pthread_cond_signal(&ra->cv_free);
		}
		while (ra->produced == ra->consumed)
			pthread_cond_wait(&ra->cv_filled, &ra->mu);
		w = &ra->win[ra->consumed % RA_DEPTH];
		ra->held = w->status == 1;
		pthread_mutex_unlock(&ra->mu);
	}
	if (w->status == 1) {
		*data = w->data;
		*len = w->len;
		return 1;
	}
	ra->end = w->status == 0 ? 1 : -1;
	ra->end_err = w->err;
	*err = w->err;
	return w->status;
}

void ct_readahead_free(struct ct_readahead *ra)
{
	int i;

	if (ra == NULL)
		return;
	if (ra->threaded) {
		pthread_mutex_lock(&ra->mu);
		ra->stop = 1;
		pthread_cond_signal(&ra->cv_free);
		pthread_mutex_unlock(&ra->mu);
		pthread_join(ra->thread, NULL);
		pthread_cond_destroy(&ra->cv_free);
		pthread_cond_destroy(&ra->cv_filled);
		pthread_mutex_destroy(&ra->mu);
	}
	for (i = 0; i < RA_DEPTH; i++)
		free(ra->win[i].data);
	free(ra);
}
