/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The recording finisher (contract in include/calltap/audio.h): a worker
 * thread that turns a finished call's scratch file into its WAV, FLAC or Ogg
 * file, so that reading the scratch data back, interleaving, encoding and
 * creating the files run on a second core while the capture thread keeps
 * decoding packets.  On the benchmark capture (1,834 recordings, 962 MB of
 * WAV) that end-of-call work was about 40 % of the --audio run.
 *
 * Work: a ring of FINISH_QUEUE recordings, handed over in call-end order
 * and written in that order, or only freed (calls that were not answered).
 * Their scratch files are emptied (ftruncate) and kept, up to FINISH_SPARES,
 * for later calls in the same directory: creating and deleting one file per
 * call cost about 13 % of the capture thread's time in ext4's inode
 * allocator on the benchmark.  The capture thread waits when the ring is
 * full (backpressure instead of unbounded memory and open scratch files).
 * One mutex guards the ring and the error tally; the worker holds it only
 * to take the next recording.  Signals are blocked in the worker, so the
 * process's handlers run on the capture thread.
 *
 * Completion reports (ct_audio_finisher_track): the name a recording got
 * is only known once it is written (the first free one, see writer.c), and
 * a write can fail (disk full), so a record must not name the file before
 * the worker is done with it.  With tracking on, every written recording
 * leaves a report (the path submit gave, the path written or NULL) in a
 * FIFO that the capture thread takes in submission order.  The FIFO holds
 * at most what the capture thread has not taken yet: one per record it
 * still holds back (the engine bounds those).
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calltap/audio.h"
#include "calltap/err.h"
#include "audio_int.h"

#define FINISH_QUEUE 64
#define FINISH_SPARES 64

struct job {
	struct ct_audio_call *ac;
	int discard;                /* free only, no file */
	char *intended;             /* tracked: the path submit returned, else NULL */
};

struct done {
	char *intended, *final;     /* final NULL: the file was not written */
	struct done *next;
};

struct ct_audio_finisher {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv_work;     /* a recording was queued, or stop */
	pthread_cond_t cv_done;     /* a recording was taken or written */
	struct job ring[FINISH_QUEUE];
	size_t head, n;             /* next to take, number queued */
	int busy;                   /* the worker is writing one */
	int stop;
	uint64_t errors;            /* failed since the last take_errors */
	char first_err[CT_ERRBUF_SIZE];
	int spares[FINISH_SPARES];  /* empty scratch files of spare_dir */
	size_t n_spares;
	char *spare_dir;            /* set by the first file kept */
	int track;                  /* report completions (ct_audio_finisher_track) */
	struct done *done_head, *done_tail; /* reports not taken yet, oldest first */
};

/* Keeps the emptied scratch file fd of a recording in dir, or closes it. */
static void keep_spare(struct ct_audio_finisher *f, int fd, const char *dir)
{
	int kept = 0;

	if (fd < 0)
		return;
	if (ftruncate(fd, 0) == 0) {
		pthread_mutex_lock(&f->mu);
		if (f->spare_dir == NULL)
			f->spare_dir = strdup(dir);
		if (f->spare_dir != NULL && strcmp(f->spare_dir, dir) == 0 &&
		    f->n_spares < FINISH_SPARES) {
			f->spares[f->n_spares++] = fd;
			kept = 1;
		}
		pthread_mutex_unlock(&f->mu);
	}
	if (!kept)
		close(fd);
}

/* An emptied scratch file for a recording in dir, or -1. */
int ct_audio_finisher_take_scratch(struct ct_audio_finisher *f, const char *dir)
{
	int fd = -1;

	if (f == NULL)
		return -1;
	pthread_mutex_lock(&f->mu);
	if (f->n_spares > 0 && strcmp(f->spare_dir, dir) == 0)
		fd = f->spares[--f->n_spares];
	pthread_mutex_unlock(&f->mu);
	return fd;
}

static void *finisher_main(void *arg)
{
	struct ct_audio_finisher *f = arg;
	char errbuf[CT_ERRBUF_SIZE];
	struct done *dn;
	struct job job;
	char *final;
	int rc, fd;

	pthread_mutex_lock(&f->mu);
	for (;;) {
		while (f->n == 0 && !f->stop)
			pthread_cond_wait(&f->cv_work, &f->mu);
		if (f->n == 0)
			break;                      /* stop, and nothing left */
		job = f->ring[f->head];
		f->head = (f->head + 1) % FINISH_QUEUE;
		f->n--;
		f->busy = 1;
		pthread_cond_broadcast(&f->cv_done);
		pthread_mutex_unlock(&f->mu);
		errbuf[0] = '\0';
		final = NULL;
		rc = job.discard ? 0 : ct_audio_call_produce(job.ac, &final, errbuf);
		fd = ct_audio_call_detach_scratch(job.ac);
		keep_spare(f, fd, ct_audio_call_dir(job.ac));
		ct_audio_call_discard(job.ac);
		dn = NULL;
		if (job.intended != NULL && (dn = calloc(1, sizeof(*dn))) != NULL) {
			dn->intended = job.intended;
			dn->final = final;
		} else {
			free(job.intended);   /* no report: the taker treats it as failed */
			free(final);
		}
		pthread_mutex_lock(&f->mu);
		if (rc != 0 && f->errors++ == 0)
			snprintf(f->first_err, sizeof(f->first_err), "%s", errbuf);
		if (dn != NULL) {
			if (f->done_tail != NULL)
				f->done_tail->next = dn;
			else
				f->done_head = dn;
			f->done_tail = dn;
		}
		f->busy = 0;
		pthread_cond_broadcast(&f->cv_done);
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

struct ct_audio_finisher *ct_audio_finisher_new(void)
{
	struct ct_audio_finisher *f = calloc(1, sizeof(*f));
	sigset_t all, old;
	int rc;

	if (f == NULL)
		return NULL;
	if (pthread_mutex_init(&f->mu, NULL) != 0)
		goto fail_mu;
	if (pthread_cond_init(&f->cv_work, NULL) != 0)
		goto fail_work;
	if (pthread_cond_init(&f->cv_done, NULL) != 0)
		goto fail_done;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&f->thread, NULL, finisher_main, f);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0)
		return f;
	pthread_cond_destroy(&f->cv_done);
fail_done:
	pthread_cond_destroy(&f->cv_work);
fail_work:
	pthread_mutex_destroy(&f->mu);
fail_mu:
	free(f);
	return NULL;
}

/* Queues a job (intended: its report's key, taken over), waiting while the ring is full. */
static void enqueue(struct ct_audio_finisher *f, struct ct_audio_call *ac, int discard,
    char *intended)
{
	pthread_mutex_lock(&f->mu);
	while (f->n == FINISH_QUEUE)
		pthread_cond_wait(&f->cv_done, &f->mu);
	f->ring[(f->head + f->n) % FINISH_QUEUE] = (struct job){ ac, discard, intended };
	f->n++;
	pthread_cond_signal(&f->cv_work);
	pthread_mutex_unlock(&f->mu);
}

int ct_audio_finisher_submit(struct ct_audio_finisher *f, struct ct_audio_call *ac,
    char **path, char **undecodable, char *errbuf)
{
	char *p;
	int rc;

	if (f == NULL || ac == NULL)
		return ct_audio_call_finish(ac, path, undecodable, errbuf);
	if (path != NULL)
		*path = NULL;
	rc = ct_audio_call_prepare(ac, &p, undecodable, errbuf);
	if (rc <= 0) {
		ct_audio_call_discard(ac);
		return rc;
	}
	enqueue(f, ac, 0, f->track ? strdup(p) : NULL);
	if (path != NULL)
		*path = p;
	else
		free(p);
	return 0;
}

void ct_audio_finisher_discard(struct ct_audio_finisher *f, struct ct_audio_call *ac)
{
	if (ac == NULL)
		return;
	if (f == NULL)
		ct_audio_call_discard(ac);
	else
		enqueue(f, ac, 1, NULL);
}

void ct_audio_finisher_track(struct ct_audio_finisher *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	f->track = 1;
	pthread_mutex_unlock(&f->mu);
}

int ct_audio_finisher_take_done(struct ct_audio_finisher *f, int wait, char **intended,
    char **final)
{
	struct done *dn;

	*intended = *final = NULL;
	if (f == NULL)
		return 0;
	pthread_mutex_lock(&f->mu);
	while (f->done_head == NULL && wait && (f->n > 0 || f->busy))
		pthread_cond_wait(&f->cv_done, &f->mu);
	dn = f->done_head;
	if (dn != NULL) {
		f->done_head = dn->next;
		if (f->done_head == NULL)
			f->done_tail = NULL;
	}
	pthread_mutex_unlock(&f->mu);
	if (dn == NULL)
		return 0;
	*intended = dn->intended;
	*final = dn->final;
	free(dn);
	return 1;
}

void ct_audio_finisher_drain(struct ct_audio_finisher *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	while (f->n > 0 || f->busy)
		pthread_cond_wait(&f->cv_done, &f->mu);
	pthread_mutex_unlock(&f->mu);
}

uint64_t ct_audio_finisher_take_errors(struct ct_audio_finisher *f, char *errbuf)
{
	uint64_t n;

	if (f == NULL)
		return 0;
	pthread_mutex_lock(&f->mu);
	n = f->errors;
	if (n > 0)
		snprintf(errbuf, CT_ERRBUF_SIZE, "%s", f->first_err);
	f->errors = 0;
	pthread_mutex_unlock(&f->mu);
	return n;
}

void ct_audio_finisher_free(struct ct_audio_finisher *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = 1;
	pthread_cond_signal(&f->cv_work);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thread, NULL);      /* the worker empties the ring first */
	while (f->n_spares > 0)
		close(f->spares[--f->n_spares]);
	while (f->done_head != NULL) {
		struct done *dn = f->done_head;

		f->done_head = dn->next;
		free(dn->intended);
		free(dn->final);
		free(dn);
	}
	free(f->spare_dir);
	pthread_cond_destroy(&f->cv_done);
	pthread_cond_destroy(&f->cv_work);
	pthread_mutex_destroy(&f->mu);
	free(f);
}
