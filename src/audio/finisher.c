/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The recorder (contract in include/calltap/audio.h): one thread that
 * decodes every recorded packet, keeps the calls' audio in its scratch
 * store and writes the final WAV, FLAC or Ogg files, so that the capture
 * thread only copies a packet's payload and timing (about 200 bytes) into
 * a ring.  Issue 16: with decoding and scratch writes on the capture thread,
 * --audio ran at 8-10 % of the bare read loop.
 *
 * The ring: RING_BYTES of entries (a packet with its payload, a recording
 * to finish, one to drop), one producer (the capture thread) and one
 * consumer (the recorder), lock-free: the producer publishes tail, the
 * consumer head.  Entries of a call come out in the order they went in,
 * so a call's finish comes after its last packet.  When the ring is full
 * the capture thread waits for room (counted, queue_waits): recordings are
 * files QA listens to, so a packet is never dropped for lack of room; a
 * live capture's kernel ring absorbs the wait, or counts its drops.  A
 * sleeping recorder is woken by a job or by WAKE_BYTES of packets, else it
 * looks every NAP_NS (no wake-up per packet).
 *
 * Completion reports (ct_audio_finisher_track): the name a recording got
 * is only known once it is written (the first free one, see writer.c), and
 * a write can fail (disk full), so a record must not name the file before
 * the recorder is done with it.  With tracking on, every recording submitted
 * with a path leaves a report (the path submit gave, the path written or
 * NULL) in a FIFO that the capture thread takes in submission order.  One
 * mutex guards the reports, the error tally and the sleep/wake hand-shake.
 * Signals are blocked in the recorder, so the process's handlers run on
 * the capture thread.  Without a thread (none could be started) every
 * entry runs in place.
 *
 * The writer (struct writeq): a third thread that does the recorder's
 * block writes of direct WAV files and makes their unnamed files ahead
 * (ct_audio_finisher_write, ct_audio_finisher_tmpfile, audio_int.h), so
 * that the kernel's part of recording runs beside the decoding (issue 16:
 * it was most of the recorder's time, which bounded --audio).  Started
 * with the recorder; without it the recorder writes and creates itself.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "calltap/audio.h"
#include "calltap/err.h"
#include "calltap/fdio.h"
#include "calltap/thread.h"
#include "audio_int.h"

#define RING_BYTES (16u << 20)      /* packets and jobs waiting for the recorder */
#define WAKE_BYTES (256u << 10)     /* queued bytes that wake a sleeping recorder */
#define NAP_NS 20000000L            /* a sleeping recorder looks again after this */
#define WAKE_EVERY 64               /* entries between the recorder's looks for a waiting producer */
#define MAX_PAYLOAD 65536           /* as writer.c: larger payloads never come here */
#define DIRECT_CAP 65536            /* direct WAV files open at once, at most */

#define WQ_LEN 32                   /* direct-file writes queued for the writer, at most */
#define WQ_WAKE 8                   /* queued writes that wake an idle writer */
#define FD_AHEAD 8                  /* unnamed files the writer keeps made ahead */

enum { E_PACKET, E_FINISH, E_DISCARD, E_WRAP };

/* One write for the writer thread (ct_audio_finisher_write). */
struct wjob {
	void *buf;                  /* the block, the writer's until done */
	const void *data;           /* inside buf */
	size_t len;
	off_t off;
	int fd;
	unsigned *pending;          /* the call's queued writes (atomic) */
	int *err;                   /* the call's write errno (atomic, first one) */
};

/*
 * The writer: a FIFO of WQ_LEN writes and the blocks written (spare, kept
 * for the recorder's next ct_audio_finisher_write), under its own mutex.
 */
struct writeq {
	pthread_t thread;
	int started, stop;
	pthread_mutex_t mu;
	pthread_cond_t cv_job;      /* a write was queued, or stop */
	pthread_cond_t cv_done;     /* a write was done */
	struct wjob job[WQ_LEN];
	unsigned head, n;
	void *spare[WQ_LEN + 2];
	unsigned n_spare;
	/*
	 * Unnamed files (O_TMPFILE) made ahead in dir for the recorder's next
	 * direct recordings: creating one cost ext4 a search of its inode
	 * table (recently_deleted, find_inode_bit), a fifth of the recorder's
	 * time with --audio (issue 16, perf), now done beside it.  dir is set
	 * by the first ct_audio_finisher_tmpfile; fd_failed once making one
	 * failed (the recorder then makes its own, and reports what is wrong).
	 */
	char *dir;
	int fd[FD_AHEAD];
	unsigned n_fd;
	int fd_failed;
	int idle;                   /* the writer waits for a job (under mu) */
};

/* One ring entry; a packet's payload follows it, padded to 8 bytes. */
struct entry {
	struct ct_audio_call *ac;
	const struct ct_codec *codec;
	char *intended;             /* E_FINISH tracked: the path submit gave, else NULL */
	int64_t arrival_us;
	uint32_t ssrc, rtp_ts, clock_rate, len;
	uint8_t kind, channel;
};

struct done {
	char *intended, *final;     /* final NULL: the file was not written */
	struct done *next;
};

struct ct_audio_finisher {
	pthread_t thread;
	int threaded;               /* 0: no thread, every entry runs in place */
	uint8_t *ring;              /* RING_BYTES */
	/*
	 * The ring's indices and flags, each on a cache line of its own: the
	 * capture thread writes tail per packet and the recorder head, so
	 * sharing a line made both threads miss on every entry (a quarter of
	 * the capture thread's --audio time went to that, perf).  The flags
	 * change only around a sleep; head_seen is the producer's last look at
	 * head (reloaded only when the ring seems full).
	 */
	char pad0[64];
	size_t tail;                /* bytes produced so far (atomic) */
	size_t head_seen;           /* producer only */
	char pad1[64];
	size_t head;                /* bytes consumed so far (atomic) */
	char pad2[64];
	int cons_sleeping;          /* atomic flag, changed under mu */
	char pad3[64];
	int prod_waiting;           /* atomic flag, changed under mu */
	char pad4[64];
	pthread_mutex_t mu;
	pthread_cond_t cv_work;     /* entries queued, or stop */
	pthread_cond_t cv_room;     /* the recorder consumed entries */
	pthread_cond_t cv_done;     /* a recording was written */
	int busy;                   /* the recorder is working on taken entries (under mu) */
	int stop;
	size_t in_flight;           /* submitted recordings not reported yet (under mu) */
	uint64_t errors;            /* failed since the last take_errors */
	uint64_t queue_waits;       /* times the capture thread waited for room (atomic) */
	char first_err[CT_ERRBUF_SIZE];
	int track;                  /* report completions (ct_audio_finisher_track) */
	struct done *done_head, *done_tail; /* reports not taken yet, oldest first */
	struct ct_audio_store *store; /* the recorder's scratch store */
	size_t direct_max, direct_open; /* direct WAV files: budget, open now (recorder) */
	struct ct_audio_bufs bufs;  /* the recorder's decode buffers */
	struct ct_audio_lru lru;    /* the write caches of its calls (writer.c) */
	struct writeq wq;           /* the file writer (started with the recorder) */
};

/* The writer thread: does the queued writes in order. */
static void *writer_main(void *arg)
{
	struct writeq *q = arg;

	ct_thread_name("ct-audio-write");
	pthread_mutex_lock(&q->mu);
	for (;;) {
		struct wjob j;

		while (q->dir != NULL && !q->fd_failed && q->n_fd < FD_AHEAD && !q->stop &&
		    (q->n == 0 || q->n_fd < FD_AHEAD / 2)) {
			int fd = -1;

			pthread_mutex_unlock(&q->mu);
#ifdef O_TMPFILE
			fd = open(q->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
#endif
			pthread_mutex_lock(&q->mu);
			if (fd < 0)
				q->fd_failed = 1;
			else
				q->fd[q->n_fd++] = fd;
		}
		while (q->n == 0 && !q->stop && (q->dir == NULL || q->fd_failed ||
		    q->n_fd >= FD_AHEAD)) {
			q->idle = 1;
			pthread_cond_broadcast(&q->cv_done);   /* ct_audio_finisher_files_ahead */
			pthread_cond_wait(&q->cv_job, &q->mu);
			q->idle = 0;
		}
		if (q->n == 0) {
			if (q->stop)
				break;          /* stop, and every write done */
			continue;               /* files to make */
		}
		j = q->job[q->head];
		pthread_mutex_unlock(&q->mu);
		if (ct_pwrite_all(j.fd, j.data, j.len, j.off) < 0) {
			int zero = 0;

			__atomic_compare_exchange_n(j.err, &zero, errno != 0 ? errno : EIO, 0,
			    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		}
		pthread_mutex_lock(&q->mu);
		q->head = (q->head + 1) % WQ_LEN;
		q->n--;
		if (q->n_spare < WQ_LEN + 2)
			q->spare[q->n_spare++] = j.buf;
		else
			free(j.buf);
		__atomic_fetch_sub(j.pending, 1, __ATOMIC_SEQ_CST);
		pthread_cond_broadcast(&q->cv_done);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

void *ct_audio_finisher_write(struct ct_audio_finisher *f, int fd, void *buf, const void *data,
    size_t len, off_t off, unsigned *pending, int *err)
{
	struct writeq *q = &f->wq;
	void *nb = NULL;

	if (!q->started)
		return NULL;
	pthread_mutex_lock(&q->mu);
	while (q->n == WQ_LEN)
		pthread_cond_wait(&q->cv_done, &q->mu);
	if (q->n_spare > 0)
		nb = q->spare[--q->n_spare];
	pthread_mutex_unlock(&q->mu);
	if (nb == NULL && (nb = malloc(CT_AUDIO_DBLOCK_BYTES)) == NULL)
		return NULL;
	__atomic_fetch_add(pending, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&q->mu);
	q->job[(q->head + q->n) % WQ_LEN] = (struct wjob){ .buf = buf, .data = data, .len = len,
		.off = off, .fd = fd, .pending = pending, .err = err };
	q->n++;
	if (q->idle && q->n >= WQ_WAKE)     /* woken for a few writes at once */
		pthread_cond_signal(&q->cv_job);
	pthread_mutex_unlock(&q->mu);
	return nb;
}

int ct_audio_finisher_tmpfile(struct ct_audio_finisher *f, const char *dir)
{
	struct writeq *q = &f->wq;
	int fd = -1;

	if (!q->started)
		return -1;
	pthread_mutex_lock(&q->mu);
	if (q->dir == NULL && !q->fd_failed && access("/proc/self/fd", X_OK) == 0)
		q->dir = strdup(dir);           /* NULL: none made ahead */
	if (q->dir != NULL && strcmp(q->dir, dir) == 0 && q->n_fd > 0)
		fd = q->fd[--q->n_fd];
	if (q->idle && q->dir != NULL && !q->fd_failed && q->n_fd < FD_AHEAD / 2)
		pthread_cond_signal(&q->cv_job);
	pthread_mutex_unlock(&q->mu);
	return fd;
}

void ct_audio_finisher_write_wait(struct ct_audio_finisher *f, const unsigned *pending)
{
	struct writeq *q = &f->wq;

	if (__atomic_load_n(pending, __ATOMIC_SEQ_CST) == 0)
		return;
	pthread_mutex_lock(&q->mu);
	pthread_cond_signal(&q->cv_job);    /* fewer than WQ_WAKE may be queued */
	while (__atomic_load_n(pending, __ATOMIC_SEQ_CST) != 0)
		pthread_cond_wait(&q->cv_done, &q->mu);
	pthread_mutex_unlock(&q->mu);
}

/* Starts the writer (none: the recorder writes itself). */
static void writer_start(struct writeq *q)
{
	if (pthread_mutex_init(&q->mu, NULL) != 0)
		return;
	if (pthread_cond_init(&q->cv_job, NULL) != 0) {
		pthread_mutex_destroy(&q->mu);
		return;
	}
	if (pthread_cond_init(&q->cv_done, NULL) != 0) {
		pthread_cond_destroy(&q->cv_job);
		pthread_mutex_destroy(&q->mu);
		return;
	}
	if (ct_thread_start(&q->thread, writer_main, q) != 0) {
		pthread_cond_destroy(&q->cv_done);
		pthread_cond_destroy(&q->cv_job);
		pthread_mutex_destroy(&q->mu);
		return;
	}
	q->started = 1;
}

/* Stops the writer once its queue is done (the recorder has stopped). */
static void writer_stop(struct writeq *q)
{
	if (!q->started)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = 1;
	pthread_cond_signal(&q->cv_job);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	while (q->n_spare > 0)
		free(q->spare[--q->n_spare]);
	while (q->n_fd > 0)
		close(q->fd[--q->n_fd]);        /* unnamed: gone */
	free(q->dir);
	pthread_cond_destroy(&q->cv_done);
	pthread_cond_destroy(&q->cv_job);
	pthread_mutex_destroy(&q->mu);
	q->started = 0;
}

struct ct_audio_lru *ct_audio_finisher_lru(struct ct_audio_finisher *f)
{
	return &f->lru;
}

struct ct_audio_bufs *ct_audio_finisher_bufs(struct ct_audio_finisher *f)
{
	return &f->bufs;
}

int ct_audio_finisher_direct_take(struct ct_audio_finisher *f)
{
	if (f->direct_open >= f->direct_max)
		return 0;
	f->direct_open++;
	return 1;
}

void ct_audio_finisher_direct_give(struct ct_audio_finisher *f)
{
	if (f->direct_open > 0)
		f->direct_open--;
}

void ct_audio_finisher_set_direct_max(struct ct_audio_finisher *f, size_t n)
{
	if (f != NULL)
		f->direct_max = n;
}

struct ct_audio_store *ct_audio_finisher_store(struct ct_audio_finisher *f, const char *dir)
{
	if (f->store == NULL)
		f->store = ct_audio_store_new(dir);
	return f->store;
}

/* Writes (or drops) one finished recording and leaves its report. */
static void finish_one(struct ct_audio_finisher *f, struct ct_audio_call *ac, char *intended,
    int discard)
{
	char errbuf[CT_ERRBUF_SIZE];
	struct done *dn = NULL;
	char *final = NULL;
	int rc = 0;

	errbuf[0] = '\0';
	if (!discard) {
		rc = ct_audio_call_settle(ac, errbuf);
		if (rc > 0)
			rc = ct_audio_call_produce(ac, &final, errbuf);   /* 0 or -1 */
		/* rc 0 from settle: every packet was dropped, no file, no error */
	}
	ct_audio_call_free(ac);
	if (intended != NULL && (dn = calloc(1, sizeof(*dn))) != NULL) {
		dn->intended = intended;
		dn->final = final;
	} else {
		free(intended);   /* no report: the taker treats it as failed */
		free(final);
	}
	pthread_mutex_lock(&f->mu);
	if (rc < 0 && f->errors++ == 0)
		snprintf(f->first_err, sizeof(f->first_err), "%s", errbuf);
	if (dn != NULL) {
		if (f->done_tail != NULL)
			f->done_tail->next = dn;
		else
			f->done_head = dn;
		f->done_tail = dn;
	}
	if (!discard)
		f->in_flight--;
	pthread_cond_broadcast(&f->cv_done);
	pthread_mutex_unlock(&f->mu);
}

/* Runs one entry (payload follows it). */
static void run_entry(struct ct_audio_finisher *f, const struct entry *e, const uint8_t *payload)
{
	switch (e->kind) {
	case E_PACKET:
		ct_audio_call_add_decoded(e->ac, e->channel, e->codec, e->clock_rate, e->ssrc,
		    e->rtp_ts, e->arrival_us, payload, e->len);
		break;
	case E_FINISH:
	case E_DISCARD:
		finish_one(f, e->ac, e->intended, e->kind == E_DISCARD);
		break;
	}
}

static size_t entry_size(size_t len)
{
	return sizeof(struct entry) + ((len + 7) & ~(size_t)7);
}

/*
 * Wakes a producer waiting for room once a quarter of the ring is free.
 * The fence orders the store of head before the load of prod_waiting
 * (the producer sets prod_waiting, then looks at head, under mu).
 */
static void wake_producer(struct ct_audio_finisher *f, size_t head)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&f->prod_waiting, __ATOMIC_RELAXED) &&
	    __atomic_load_n(&f->tail, __ATOMIC_SEQ_CST) - head <= RING_BYTES - RING_BYTES / 4) {
		pthread_mutex_lock(&f->mu);
		pthread_cond_signal(&f->cv_room);
		pthread_mutex_unlock(&f->mu);
	}
}

/* The entry after e (at head), or NULL at tail, a wrap or a job. */
static const struct entry *entry_after(const struct ct_audio_finisher *f, const struct entry *e,
    size_t head, size_t tail, size_t *next)
{
	size_t off;
	const struct entry *n;

	*next = head + (e->kind == E_PACKET ? entry_size(e->len) : entry_size(0));
	if (*next == tail)
		return NULL;
	off = *next % RING_BYTES;
	if (RING_BYTES - off < sizeof(*n))
		return NULL;
	n = (const struct entry *)(f->ring + off);
	return n->kind == E_PACKET ? n : NULL;
}

/*
 * Before running e: the call state of the packet two entries on, and the
 * write cache of the next one (its call state was asked for one entry
 * ago), so that the misses overlap the work (writer.c,
 * ct_audio_call_prefetch).
 */
static void prefetch_ahead(const struct ct_audio_finisher *f, const struct entry *e, size_t head,
    size_t tail)
{
	const struct entry *n1, *n2;
	size_t next, off;

	if (e->kind != E_PACKET || (n1 = entry_after(f, e, head, tail, &next)) == NULL)
		return;
	ct_audio_call_prefetch(n1->ac, n1->channel, 1);
	for (off = 64; off < entry_size(n1->len); off += 64)
		__builtin_prefetch((const char *)n1 + off);     /* its payload */
	if ((n2 = entry_after(f, n1, next, tail, &next)) != NULL)
		ct_audio_call_prefetch(n2->ac, n2->channel, 0);
}

/*
 * The recorder: takes entries in order, decodes packets into each call's
 * store blocks and writes finished recordings.  Sleeps when the ring is
 * empty (woken by a job, WAKE_BYTES of packets, or NAP_NS later).
 */
static void *recorder_main(void *arg)
{
	struct ct_audio_finisher *f = arg;
	size_t head = __atomic_load_n(&f->head, __ATOMIC_SEQ_CST);
	unsigned batch = 0;

	ct_thread_name("ct-audio-rec");
	for (;;) {
		size_t tail = __atomic_load_n(&f->tail, __ATOMIC_SEQ_CST);

		if (head == tail) {
			struct timespec ts;

			pthread_mutex_lock(&f->mu);
			f->busy = 0;
			pthread_cond_broadcast(&f->cv_done);
			__atomic_store_n(&f->cons_sleeping, 1, __ATOMIC_SEQ_CST);
			if (__atomic_load_n(&f->tail, __ATOMIC_SEQ_CST) == head) {
				if (f->stop) {
					pthread_mutex_unlock(&f->mu);
					break;
				}
				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_nsec += NAP_NS;
				if (ts.tv_nsec >= 1000000000L) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000L;
				}
				pthread_cond_timedwait(&f->cv_work, &f->mu, &ts);
			}
			__atomic_store_n(&f->cons_sleeping, 0, __ATOMIC_SEQ_CST);
			f->busy = 1;
			pthread_mutex_unlock(&f->mu);
			continue;
		}
		while (head != tail) {
			size_t off = head % RING_BYTES;
			const struct entry *e = (const struct entry *)(f->ring + off);

			if (RING_BYTES - off < sizeof(*e) || e->kind == E_WRAP) {
				head += RING_BYTES - off;      /* the rest of the ring is unused */
				continue;
			}
			prefetch_ahead(f, e, head, tail);
			run_entry(f, e, (const uint8_t *)(e + 1));
			head += e->kind == E_PACKET ? entry_size(e->len) : entry_size(0);
			/* published at once (a waiting producer needs it), looked at in batches */
			__atomic_store_n(&f->head, head, __ATOMIC_RELEASE);
			if (++batch % WAKE_EVERY == 0)
				wake_producer(f, head);
		}
		wake_producer(f, head);
	}
	return NULL;
}

/*
 * Queues an entry (payload of len bytes after it), waiting while the ring
 * has no room; in place without a thread.
 */
static void put(struct ct_audio_finisher *f, const struct entry *e, const uint8_t *payload)
{
	size_t need = entry_size(e->kind == E_PACKET ? e->len : 0);
	size_t tail, off, total, used;
	int waited = 0;

	if (!f->threaded) {
		run_entry(f, e, payload);
		return;
	}
	tail = __atomic_load_n(&f->tail, __ATOMIC_RELAXED);   /* only this thread writes it */
	off = tail % RING_BYTES;
	total = off + need > RING_BYTES ? RING_BYTES - off + need : need;
	for (;;) {
		used = tail - f->head_seen;
		if (RING_BYTES - used >= total)
			break;
		f->head_seen = __atomic_load_n(&f->head, __ATOMIC_ACQUIRE);
		used = tail - f->head_seen;
		if (RING_BYTES - used >= total)
			break;
		pthread_mutex_lock(&f->mu);
		__atomic_store_n(&f->prod_waiting, 1, __ATOMIC_SEQ_CST);
		pthread_cond_signal(&f->cv_work);
		/* woken once a quarter of the ring is free (wake_producer) */
		if (tail - __atomic_load_n(&f->head, __ATOMIC_SEQ_CST) > RING_BYTES - RING_BYTES / 4)
			pthread_cond_wait(&f->cv_room, &f->mu);
		__atomic_store_n(&f->prod_waiting, 0, __ATOMIC_SEQ_CST);
		pthread_mutex_unlock(&f->mu);
		waited = 1;
	}
	if (waited)
		__atomic_fetch_add(&f->queue_waits, 1, __ATOMIC_RELAXED);
	if (total != need) {                /* no room before the end: wrap */
		if (RING_BYTES - off >= sizeof(*e))
			((struct entry *)(f->ring + off))->kind = E_WRAP;
		off = 0;
	}
	memcpy(f->ring + off, e, sizeof(*e));
	if (e->kind == E_PACKET)
		memcpy(f->ring + off + sizeof(*e), payload, e->len);
	__atomic_store_n(&f->tail, tail + total, __ATOMIC_RELEASE);
	if (e->kind == E_PACKET && used + total < WAKE_BYTES)
		return;            /* too little to wake for: the recorder's nap ends anyway */
	/* orders the store of tail before the load (the recorder: the reverse, under mu) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&f->cons_sleeping, __ATOMIC_RELAXED)) {
		/*
		 * used is measured from head_seen, which lags (it is reloaded
		 * only when the ring seems full): past the first WAKE_BYTES ever
		 * queued it always passed, so a recorder that emptied the ring
		 * between two packets (the capture thread busy with a SIP flood)
		 * was woken for each one, a futex call and two context switches
		 * a packet (perf: 85 % of the 268k switches of a 400k-INVITE
		 * flood mix).  A sleeping recorder no longer moves head: what is
		 * queued is tail - head, looked at now.
		 */
		if (e->kind == E_PACKET) {
			f->head_seen = __atomic_load_n(&f->head, __ATOMIC_ACQUIRE);
			if (tail + total - f->head_seen < WAKE_BYTES)
				return;    /* the recorder's nap ends anyway */
		}
		pthread_mutex_lock(&f->mu);
		if (f->cons_sleeping) {         /* one wake-up per sleep */
			__atomic_store_n(&f->cons_sleeping, 0, __ATOMIC_SEQ_CST);
			pthread_cond_signal(&f->cv_work);
		}
		pthread_mutex_unlock(&f->mu);
	}
}

void ct_audio_finisher_packet(struct ct_audio_finisher *f, struct ct_audio_call *ac,
    int channel, const struct ct_codec *codec, uint32_t clock_rate, uint32_t ssrc,
    uint32_t rtp_ts, int64_t arrival_us, const uint8_t *payload, size_t len)
{
	struct entry e = { .ac = ac, .codec = codec, .arrival_us = arrival_us, .ssrc = ssrc,
		.rtp_ts = rtp_ts, .clock_rate = clock_rate, .len = (uint32_t)len,
		.kind = E_PACKET, .channel = (uint8_t)channel };

	if (len > MAX_PAYLOAD)
		return;
	put(f, &e, payload);
}

struct ct_audio_finisher *ct_audio_finisher_new(void)
{
	struct ct_audio_finisher *f = calloc(1, sizeof(*f));
	struct rlimit rl;
	int rc;

	if (f == NULL)
		return NULL;
	if (pthread_mutex_init(&f->mu, NULL) != 0)
		goto fail_mu;
	if (pthread_cond_init(&f->cv_work, NULL) != 0)
		goto fail_work;
	if (pthread_cond_init(&f->cv_done, NULL) != 0)
		goto fail_done;
	if (pthread_cond_init(&f->cv_room, NULL) != 0)
		goto fail_room;
	/* Direct WAV files: half of what the open-file limit leaves beyond 128. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		f->direct_max = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > DIRECT_CAP * 2 + 128 ?
		    DIRECT_CAP : rl.rlim_cur > 128 ? (size_t)(rl.rlim_cur - 128) / 2 : 0;
	f->lru.max = CT_AUDIO_CACHE_MAX;
	f->lru.first = f->lru.last = f->lru.free = CT_AUDIO_LRU_NONE;
	f->ring = malloc(RING_BYTES);
	if (f->ring == NULL)
		return f;                       /* no ring: in place */
	f->busy = 1;
	writer_start(&f->wq);   /* first: the recorder reads wq.started from its start on */
	rc = ct_thread_start(&f->thread, recorder_main, f);
	if (rc != 0)
		writer_stop(&f->wq);    /* no recorder: every entry in place, no writer */
	f->threaded = rc == 0;
	if (!f->threaded)
		f->busy = 0;
	return f;
fail_room:
	pthread_cond_destroy(&f->cv_done);
fail_done:
	pthread_cond_destroy(&f->cv_work);
fail_work:
	pthread_mutex_destroy(&f->mu);
fail_mu:
	free(f);
	return NULL;
}

int ct_audio_finisher_submit(struct ct_audio_finisher *f, struct ct_audio_call *ac,
    char **path, char **undecodable, char *errbuf)
{
	struct entry e = { .ac = ac, .kind = E_FINISH };
	char *p;
	int rc;

	if (ac != NULL && ct_audio_call_finisher(ac) != NULL)
		f = ct_audio_call_finisher(ac);     /* its packets went there */
	if (f == NULL || ac == NULL)
		return ct_audio_call_finish(ac, path, undecodable, errbuf);
	if (path != NULL)
		*path = NULL;
	rc = ct_audio_call_prepare(ac, &p, undecodable, errbuf);
	if (rc <= 0) {
		ct_audio_finisher_discard(f, ac);
		return rc;
	}
	e.intended = f->track ? strdup(p) : NULL;
	pthread_mutex_lock(&f->mu);
	f->in_flight++;
	pthread_mutex_unlock(&f->mu);
	put(f, &e, NULL);
	if (path != NULL)
		*path = p;
	else
		free(p);
	return 0;
}

void ct_audio_finisher_discard(struct ct_audio_finisher *f, struct ct_audio_call *ac)
{
	struct entry e = { .ac = ac, .kind = E_DISCARD };

	if (ac == NULL)
		return;
	if (f == NULL)
		f = ct_audio_call_finisher(ac);
	if (f == NULL) {
		ct_audio_call_free(ac);
		return;
	}
	put(f, &e, NULL);
}

void ct_audio_finisher_track(struct ct_audio_finisher *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	f->track = 1;
	pthread_mutex_unlock(&f->mu);
}

/* Wakes the recorder now (it may be napping on a few queued packets). */
static void kick(struct ct_audio_finisher *f)
{
	pthread_mutex_lock(&f->mu);
	pthread_cond_signal(&f->cv_work);
	pthread_mutex_unlock(&f->mu);
}

int ct_audio_finisher_take_done(struct ct_audio_finisher *f, int wait, char **intended,
    char **final)
{
	struct done *dn;

	*intended = *final = NULL;
	if (f == NULL)
		return 0;
	if (wait && f->threaded)
		kick(f);
	pthread_mutex_lock(&f->mu);
	while (f->done_head == NULL && wait && f->in_flight > 0)
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
	if (f == NULL || !f->threaded)
		return;
	pthread_mutex_lock(&f->mu);
	while (__atomic_load_n(&f->head, __ATOMIC_SEQ_CST) != __atomic_load_n(&f->tail, __ATOMIC_SEQ_CST) ||
	    f->busy) {
		pthread_cond_signal(&f->cv_work);
		pthread_cond_wait(&f->cv_done, &f->mu);
	}
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

unsigned ct_audio_finisher_files_ahead(struct ct_audio_finisher *f)
{
	struct writeq *q;
	unsigned n;

	if (f == NULL)
		return 0;
	ct_audio_finisher_drain(f);
	q = &f->wq;
	if (!q->started)
		return 0;
	pthread_mutex_lock(&q->mu);
	while (!q->idle && !q->stop)
		pthread_cond_wait(&q->cv_done, &q->mu);
	n = q->n_fd;
	pthread_mutex_unlock(&q->mu);
	return n;
}

uint64_t ct_audio_finisher_queue_waits(const struct ct_audio_finisher *f)
{
	return f != NULL ? __atomic_load_n(&f->queue_waits, __ATOMIC_RELAXED) : 0;
}

void ct_audio_finisher_free(struct ct_audio_finisher *f)
{
	if (f == NULL)
		return;
	if (f->threaded) {
		pthread_mutex_lock(&f->mu);
		f->stop = 1;
		pthread_cond_signal(&f->cv_work);
		pthread_mutex_unlock(&f->mu);
		pthread_join(f->thread, NULL);      /* the recorder empties the ring first */
	}
	writer_stop(&f->wq);
	while (f->done_head != NULL) {
		struct done *dn = f->done_head;

		f->done_head = dn->next;
		free(dn->intended);
		free(dn->final);
		free(dn);
	}
	ct_audio_store_free(f->store);
	free(f->lru.node);
	free(f->bufs.pcm);
	free(f->bufs.conv);
	free(f->ring);
	pthread_cond_destroy(&f->cv_room);
	pthread_cond_destroy(&f->cv_done);
	pthread_cond_destroy(&f->cv_work);
	pthread_mutex_destroy(&f->mu);
	free(f);
}
