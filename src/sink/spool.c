/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Write-ahead spool of the network sinks.  Workload: the capture thread
 * appends one record per finished call (a few hundred bytes to a few KB,
 * up to thousands per second under attack) and must never wait for the
 * network; a delivery thread reads the records back in order, sends them
 * and acknowledges what the far side accepted; a crash (SIGKILL, power
 * loss) at any point loses nothing that was acknowledged to the capture
 * thread more than a second earlier, and re-sends at most what was in
 * flight.
 *
 * Layout: DIR/KIND-HASH[.SLOT]/ per target, HASH a SipHash of the target's
 * identity (webhook URL; PostgreSQL host, port, database and user), whose
 * file `target` holds the identity's full 128-bit hash and the masked
 * target and is checked at open, so records spooled for one target are
 * never delivered to another.  One process per subdirectory (flock on
 * .lock); a second calltap with the same target takes the next free slot.
 * Records are appended to segment files seg-<seq>.log (0600, the
 * directories 0700), each record framed as "LLLLLLLL HHHHHHHHHHHHHHHH "
 * (payload length, SipHash of the payload, in hex), payload, "\n": a torn
 * or corrupt tail is recognised and cut at the next open.  A segment holds
 * at most SEG_MAX bytes; each run starts a new one, whose first record is
 * the caller's header (the PostgreSQL sink keeps its column list there).
 * The delivery position is the file `ack`: two checksummed slots written
 * alternately with pwrite, so a torn write leaves the other slot valid.
 * Segments wholly before the acknowledged position are deleted.  A sync
 * thread fdatasync()s the segments, the ack file and the directory at least
 * every SYNC_MS, and the reader never sees a record that is not yet synced
 * (ct_spool_sync forces a round): a record is on disk before delivery is
 * attempted.  The total size of the segments is capped (--spool-max); a
 * record that does not fit is dropped, counted, and logged (at
 * most every DROP_SAY_S seconds).
 * References: POSIX write(2)/fdatasync(2)/rename(2)/flock(2), the SipHash
 * paper (see calltap/hash.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "calltap/err.h"
#include "calltap/fdio.h"
#include "calltap/hash.h"
#include "calltap/spool.h"
#include "calltap/thread.h"

#define SEG_MAX (UINT64_C(4) << 20)  /* bytes per segment file, at most */
#define SYNC_MS 1000                 /* the sync thread's period */
#define HELD_MAX (16u << 20)         /* bytes of records held while the spool cannot be written */
#define DROP_SAY_S 10                /* a full spool is said again after this */
#define SLOTS 8                      /* calltaps sharing one target and one DIR */
#define FRAME_HDR 26                 /* "%08x %016x " */
#define ACK_SLOT 80
#define MAX_RECORD (UINT32_C(64) << 20)

/* Fixed keys: the hashes name and check files, they are not table hashes. */
static const struct ct_hash_key name_key = { 0x63616c6c74617031ULL, 0x73706f6f6c6e616dULL };
static const struct ct_hash_key name_key2 = { 0x63616c6c74617032ULL, 0x7461726765742121ULL };
static const struct ct_hash_key frame_key = { 0x63616c6c74617033ULL, 0x6672616d65736966ULL };

struct seg {
	uint64_t seq;
	uint64_t size;               /* bytes (written so far, for the current one) */
};

struct ct_spool {
	struct ct_log log;           /* messages (log.h) */
	char *dir;                   /* the subdirectory */
	char *shown;
	int lock_fd, ack_fd;
	uint64_t max_bytes, seg_max;
	void *header;
	size_t header_len;

	pthread_mutex_t mu;          /* guards everything up to the reader part */
	pthread_cond_t cv;           /* sync thread: stop, or work to do */
	struct seg *segs;            /* on disk, by seq */
	size_t n_segs, cap_segs;
	int wfd;                     /* current segment (-1: none yet) */
	uint64_t wseq;               /* its seq (the next one when wfd < 0) */
	int old_fd;                  /* previous segment, not yet synced */
	uint64_t bytes;
	uint64_t pending, recovered, dropped, lost;
	/*
	 * Records a segment could not take (ENOSPC, EMFILE: the disk or the
	 * descriptors ran out): held here, in order, each as its length then
	 * its bytes, at most HELD_MAX bytes, and written before any later
	 * record once a write works again (the next append, or the sync
	 * thread's round).  Counted in pending: they are not lost.
	 */
	struct ct_buf held;
	size_t held_off;             /* bytes of held already written */
	uint64_t synced_seq, synced_off; /* everything before this is on disk */
	bool dirty, dir_dirty, ack_dirty, stop;
	time_t drop_said;
	char err[256];

	pthread_mutex_t sync_mu;     /* one sync round at a time */
	pthread_t syncer;
	bool syncer_started;

	/* reader (the delivery thread) */
	uint64_t rseq, roff;         /* next record */
	uint64_t aseq, aoff, agen;   /* acknowledged position */
	uint64_t rcount;             /* records read since the last ack */
	int rfd;
	uint64_t rfd_seq;
	struct ct_buf rhdr;          /* header of segment rfd_seq */
	uint64_t rhdr_frame;         /* its frame length (0 without headers) */
};

int64_t ct_spool_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ct_spool_cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
}

void ct_spool_sleep(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t wake_ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(wake_ms / 1000);
	ts.tv_nsec = (long)(wake_ms % 1000) * 1000000;
	pthread_cond_timedwait(cv, mu, &ts);
}

int64_t ct_spool_pace(struct ct_spool *sp, int64_t now, bool closing, int64_t deadline_ms,
    bool failing, int64_t retry_ms, int64_t idle_until_ms)
{
	bool unread = ct_spool_unread(sp);
	int64_t wake;

	if (closing && (now >= deadline_ms || !unread || (failing && retry_ms > deadline_ms)))
		return -1;
	if (unread && (!failing || now >= retry_ms) && now >= idle_until_ms)
		return 0;
	if (!unread)
		wake = now + 1000;
	else {
		/* Blocked by the retry time, the idle time, or both: the later one. */
		wake = failing && retry_ms > now ? retry_ms : now;
		if (idle_until_ms > wake)
			wake = idle_until_ms;
		if (!failing && wake > now + 1000)
			wake = now + 1000;
	}
	if (closing && wake > deadline_ms)
		wake = deadline_ms;
	return wake;
}

static void seg_path(const struct ct_spool *sp, uint64_t seq, char *path, size_t size)
{
	snprintf(path, size, "%s/seg-%020" PRIu64 ".log", sp->dir, seq);
}

static void set_err(struct ct_spool *sp, const char *what, int e)
{
	pthread_mutex_lock(&sp->mu);
	if (sp->err[0] == '\0')
		snprintf(sp->err, sizeof(sp->err), "%s in spool '%s': %s", what, sp->dir, strerror(e));
	pthread_mutex_unlock(&sp->mu);
}

/* Under mu: the segment entry of seq, or NULL. */
static struct seg *find_seg(struct ct_spool *sp, uint64_t seq)
{
	size_t i;

	for (i = 0; i < sp->n_segs; i++)
		if (sp->segs[i].seq == seq)
			return &sp->segs[i];
	return NULL;
}

/* Under mu: appends an entry (seqs only grow); CT_OK or CT_NOMEM. */
static int add_seg(struct ct_spool *sp, uint64_t seq, uint64_t size)
{
	if (sp->n_segs == sp->cap_segs) {
		size_t cap = sp->cap_segs ? sp->cap_segs * 2 : 16;
		struct seg *s = realloc(sp->segs, cap * sizeof(*s));

		if (s == NULL)
			return CT_NOMEM;
		sp->segs = s;
		sp->cap_segs = cap;
	}
	sp->segs[sp->n_segs++] = (struct seg){ seq, size };
	return CT_OK;
}

/* ---- frames ------------------------------------------------------------- */

/*
 * Reads the frame at off of fd (file size end) into out (when not NULL).
 * Returns its total length, or 0 when there is no valid frame there.
 */
static uint64_t read_frame(int fd, uint64_t off, uint64_t end, struct ct_buf *out)
{
	char hdr[FRAME_HDR + 1], *stop;
	unsigned long len;
	uint64_t h, tot;
	struct ct_buf tmp;
	struct ct_buf *b = out != NULL ? out : &tmp;
	bool ok;

	if (end < off + FRAME_HDR + 1 || ct_pread_all(fd, hdr, FRAME_HDR, (off_t)off) != 0)
		return 0;
	hdr[FRAME_HDR] = '\0';
	if (hdr[8] != ' ' || hdr[25] != ' ')
		return 0;
	len = strtoul(hdr, &stop, 16);
	if (stop != hdr + 8 || len > MAX_RECORD)
		return 0;
	h = strtoull(hdr + 9, &stop, 16);
	if (stop != hdr + 25)
		return 0;
	tot = FRAME_HDR + (uint64_t)len + 1;
	if (end < off + tot)
		return 0;
	if (b == &tmp)
		ct_buf_init(&tmp);
	ct_buf_reset(b);
	{
		char *p = malloc(len + 1);

		ok = p != NULL && ct_pread_all(fd, p, len + 1, (off_t)(off + FRAME_HDR)) == 0 &&
		    p[len] == '\n' && ct_siphash(&frame_key, p, len) == h &&
		    ct_buf_append(b, p, len) == CT_OK;
		free(p);
	}
	ok = ok && !b->oom;
	if (b == &tmp)
		ct_buf_fini(&tmp);
	return ok ? tot : 0;
}

/* Writes one frame at the end of fd; 0 or -1 (errno). */
static int write_frame(int fd, const void *p, size_t len)
{
	char hdr[FRAME_HDR + 1];
	struct iovec iov[3];
	size_t total = FRAME_HDR + len + 1, done = 0;
	ssize_t n;
	int i;

	snprintf(hdr, sizeof(hdr), "%08lx %016" PRIx64 " ", (unsigned long)len,
	    ct_siphash(&frame_key, p, len));
	while (done < total) {
		size_t skip = done, k = 0;
		const void *base[3] = { hdr, p, "\n" };
		size_t lens[3] = { FRAME_HDR, len, 1 };

		for (i = 0; i < 3; i++) {
			if (skip >= lens[i]) {
				skip -= lens[i];
				continue;
			}
			iov[k].iov_base = (char *)base[i] + skip;
			iov[k].iov_len = lens[i] - skip;
			skip = 0;
			k++;
		}
		n = writev(fd, iov, (int)k);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* ---- acknowledged position ---------------------------------------------- */

static uint64_t ack_hash(uint64_t gen, uint64_t seq, uint64_t off)
{
	uint64_t v[3] = { gen, seq, off };

	return ct_siphash(&frame_key, v, sizeof(v));
}

/* Reads the newest valid slot of the ack file into sp->a*; absent: 0. */
static void ack_load(struct ct_spool *sp)
{
	char buf[2 * ACK_SLOT + 1];
	ssize_t n = pread(sp->ack_fd, buf, 2 * ACK_SLOT, 0);
	int i;

	sp->agen = sp->aseq = sp->aoff = 0;
	for (i = 0; n > 0 && i < 2 && (i + 1) * ACK_SLOT <= n; i++) {
		unsigned long long g, s, o, h;
		char slot[ACK_SLOT + 1];

		memcpy(slot, buf + i * ACK_SLOT, ACK_SLOT);
		slot[ACK_SLOT] = '\0';
		if (sscanf(slot, "%llx %llx %llx %llx", &g, &s, &o, &h) == 4 &&
		    ack_hash(g, s, o) == h && g >= sp->agen) {
			sp->agen = g;
			sp->aseq = s;
			sp->aoff = o;
		}
	}
}

/* Writes the acknowledged position into the next slot (synced later). */
static void ack_store(struct ct_spool *sp)
{
	char slot[ACK_SLOT + 1];

	sp->agen++;
	memset(slot, ' ', sizeof(slot));
	snprintf(slot, sizeof(slot), "%016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64,
	    sp->agen, sp->aseq, sp->aoff, ack_hash(sp->agen, sp->aseq, sp->aoff));
	slot[strlen(slot)] = ' ';
	slot[ACK_SLOT - 1] = '\n';
	if (ct_pwrite_all(sp->ack_fd, slot, ACK_SLOT, (off_t)((sp->agen % 2) * ACK_SLOT)) != 0)
		set_err(sp, "cannot write the delivery position", errno);
	pthread_mutex_lock(&sp->mu);
	sp->ack_dirty = true;
	pthread_mutex_unlock(&sp->mu);
}

/* ---- sync thread -------------------------------------------------------- */

/*
 * Makes everything appended so far durable: the previous and current
 * segment, the directory (new or deleted segments) and the ack file.
 * Callable from any thread.
 */
void ct_spool_sync(struct ct_spool *sp)
{
	int fd = -1, old, dfd;
	uint64_t seq, off;
	bool dir, ack;

	pthread_mutex_lock(&sp->sync_mu);
	pthread_mutex_lock(&sp->mu);
	if (sp->wfd >= 0)
		fd = dup(sp->wfd);
	seq = sp->wseq;
	off = sp->wfd >= 0 ? find_seg(sp, sp->wseq)->size : 0;
	old = sp->old_fd;
	sp->old_fd = -1;
	dir = sp->dir_dirty;
	ack = sp->ack_dirty;
	sp->dirty = sp->dir_dirty = sp->ack_dirty = false;
	pthread_mutex_unlock(&sp->mu);
	if (old >= 0) {
		if (fdatasync(old) != 0)
			set_err(sp, "cannot sync a segment", errno);
		close(old);
	}
	if (fd >= 0) {
		if (fdatasync(fd) != 0)
			set_err(sp, "cannot sync a segment", errno);
		close(fd);
	}
	if (dir && (dfd = open(sp->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	if (ack && fdatasync(sp->ack_fd) != 0)
		set_err(sp, "cannot sync the delivery position", errno);
	pthread_mutex_lock(&sp->mu);
	if (seq > sp->synced_seq || (seq == sp->synced_seq && off > sp->synced_off)) {
		sp->synced_seq = seq;
		sp->synced_off = off;
	}
	pthread_mutex_unlock(&sp->mu);
	pthread_mutex_unlock(&sp->sync_mu);
}

static bool held_flush(struct ct_spool *sp);

static void *syncer(void *arg)
{
	struct ct_spool *sp = arg;
	bool stop, dirty;

	ct_thread_name("ct-spool-sync");
	for (;;) {
		pthread_mutex_lock(&sp->mu);
		if (!sp->stop)
			ct_spool_sleep(&sp->cv, &sp->mu, ct_spool_now_ms() + SYNC_MS);
		(void)held_flush(sp);   /* records held while the spool could not be written */
		stop = sp->stop;
		dirty = sp->dirty || sp->dir_dirty || sp->ack_dirty || sp->old_fd >= 0;
		pthread_mutex_unlock(&sp->mu);
		if (dirty)
			ct_spool_sync(sp);
		if (stop)
			return NULL;
	}
}

/* ---- writer ------------------------------------------------------------- */

/* Under mu: starts segment sp->wseq (a new file with the header); 0 or -1. */
static int new_segment(struct ct_spool *sp)
{
	char path[4096];
	int fd;
	uint64_t size = 0;

	seg_path(sp, sp->wseq, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (sp->header != NULL) {
		if (write_frame(fd, sp->header, sp->header_len) != 0) {
			int e = errno;

			close(fd);
			unlink(path);
			errno = e;
			return -1;
		}
		size = FRAME_HDR + sp->header_len + 1;
	}
	if (add_seg(sp, sp->wseq, size) != CT_OK) {
		close(fd);
		unlink(path);
		errno = ENOMEM;
		return -1;
	}
	sp->wfd = fd;
	sp->bytes += size;
	sp->dir_dirty = sp->dirty = true;
	return 0;
}

/* Under mu: the cap was reached; says so now and then (log). */
static void full(struct ct_spool *sp)
{
	time_t now = time(NULL);

	sp->dropped++;
	if (sp->dropped == 1 || now - sp->drop_said >= DROP_SAY_S) {
		ct_log(&sp->log, CT_LOG_WARN, "spool for %s is full (%" PRIu64 " bytes, --spool-max): "
		    "%" PRIu64 " record(s) DROPPED so far", sp->shown, sp->bytes, sp->dropped);
		sp->drop_said = now;
	}
}

/*
 * Under mu: writes one record to the current segment (rotating it, or
 * starting one, as needed).  0, or -1 with errno and sp->err set (the
 * segment never ends in half a frame).
 */
static int put_frame(struct ct_spool *sp, const void *p, size_t len)
{
	uint64_t frame = FRAME_HDR + (uint64_t)len + 1;
	struct seg *s;

	s = sp->wfd >= 0 ? find_seg(sp, sp->wseq) : NULL;
	if (s != NULL && s->size + frame > sp->seg_max &&
	    s->size > (sp->header != NULL ? FRAME_HDR + sp->header_len + 1 : 0)) {
		/* rotate: the sync thread syncs and closes the old one */
		if (sp->old_fd >= 0) {
			fdatasync(sp->old_fd);
			close(sp->old_fd);
		}
		sp->old_fd = sp->wfd;
		sp->wfd = -1;
		sp->wseq++;
		s = NULL;
	}
	if (sp->wfd < 0 && new_segment(sp) != 0) {
		int e = errno;

		if (sp->err[0] == '\0')
			snprintf(sp->err, sizeof(sp->err), "cannot create a segment in spool '%s': %s",
			    sp->dir, strerror(e));
		errno = e;
		return -1;
	}
	s = find_seg(sp, sp->wseq);
	if (write_frame(sp->wfd, p, len) != 0) {
		int e = errno;

		/* never leave half a frame before the next one */
		if (ftruncate(sp->wfd, (off_t)s->size) != 0) {
			close(sp->wfd);
			sp->wfd = -1;
			sp->wseq++;
		}
		if (sp->err[0] == '\0')
			snprintf(sp->err, sizeof(sp->err), "cannot write to spool '%s': %s",
			    sp->dir, strerror(e));
		errno = e;
		return -1;
	}
	s->size += frame;
	sp->bytes += frame;
	sp->dirty = true;
	return 0;
}

/*
 * Under mu: writes the held records, oldest first, while writes work.
 * True when none is left held.
 */
static bool held_flush(struct ct_spool *sp)
{
	while (sp->held_off < sp->held.len) {
		uint32_t n;

		memcpy(&n, sp->held.p + sp->held_off, sizeof(n));
		if (put_frame(sp, sp->held.p + sp->held_off + sizeof(n), n) != 0)
			return false;
		sp->held_off += sizeof(n) + n;
	}
	ct_buf_reset(&sp->held);
	sp->held_off = 0;
	return true;
}

/* Under mu: holds one record for later (held); false when over HELD_MAX. */
static bool hold(struct ct_spool *sp, const void *p, size_t len)
{
	uint32_t n = (uint32_t)len;

	if (sp->held.len - sp->held_off + sizeof(n) + len > HELD_MAX)
		return false;
	if (sp->held.oom) {   /* an earlier hold ran out of memory: start again empty */
		if (sp->held_off < sp->held.len)
			return false;
		ct_buf_fini(&sp->held);
		ct_buf_init(&sp->held);
	}
	return ct_buf_append(&sp->held, &n, sizeof(n)) == CT_OK &&
	    ct_buf_append(&sp->held, p, len) == CT_OK;
}

/*
 * Appends one record (capture thread; never waits for the network, only
 * for the local write).  CT_OK (written, or held in memory while the spool
 * cannot be written: a full disk, no descriptor left; written once it can
 * be, in order); CT_REFUSED when the record was dropped because the spool
 * is at its cap (counted, logged); CT_ERR when it could neither be written
 * nor held (counted as lost, ct_spool_error says why).
 */
int ct_spool_append(struct ct_spool *sp, const void *p, size_t len)
{
	uint64_t frame = FRAME_HDR + (uint64_t)len + 1;
	int rc = CT_OK;

	if (len > MAX_RECORD)
		return CT_ERR;
	pthread_mutex_lock(&sp->mu);
	if (sp->bytes + frame > sp->max_bytes) {
		full(sp);
		pthread_mutex_unlock(&sp->mu);
		return CT_REFUSED;
	}
	if ((held_flush(sp) && put_frame(sp, p, len) == 0) || hold(sp, p, len))
		sp->pending++;
	else {
		sp->lost++;
		rc = CT_ERR;
	}
	pthread_mutex_unlock(&sp->mu);
	return rc;
}

/* ---- reader ------------------------------------------------------------- */

/* Under mu: bytes of segment seq the reader may see (synced ones). */
static uint64_t readable_end(struct ct_spool *sp, const struct seg *s)
{
	if (s->seq < sp->synced_seq)
		return s->size;
	if (s->seq == sp->synced_seq)
		return sp->synced_off < s->size ? sp->synced_off : s->size;
	return 0;
}

/* Points rfd at segment seq (opening it, loading its header); 0 or -1. */
static int reader_open(struct ct_spool *sp, uint64_t seq, uint64_t end)
{
	char path[4096];
	uint64_t n;

	if (sp->rfd >= 0 && sp->rfd_seq == seq)
		return 0;
	if (sp->rfd >= 0)
		close(sp->rfd);
	sp->rfd = -1;
	seg_path(sp, seq, path, sizeof(path));
	sp->rfd = open(path, O_RDONLY | O_CLOEXEC);
	if (sp->rfd < 0)
		return -1;
	sp->rfd_seq = seq;
	ct_buf_reset(&sp->rhdr);
	sp->rhdr_frame = 0;
	if (sp->header != NULL) {
		n = read_frame(sp->rfd, 0, end, &sp->rhdr);
		if (n == 0)
			return -1;
		sp->rhdr_frame = n;
	}
	return 0;
}

/*
 * Reads the next synced record into rec.  CT_OK; CT_EOF when every synced
 * record was read (ct_spool_unread tells whether more are on the way).
 * A segment that cannot be read is skipped, its records counted as lost.
 */
int ct_spool_read(struct ct_spool *sp, struct ct_buf *rec)
{
	for (;;) {
		struct seg *s, cur;
		uint64_t end, n, next = 0;
		bool found = false;
		size_t i;

		pthread_mutex_lock(&sp->mu);
		s = find_seg(sp, sp->rseq);
		if (s == NULL) {
			/* the next segment on disk, if any */
			for (i = 0; i < sp->n_segs; i++)
				if (sp->segs[i].seq > sp->rseq) {
					next = sp->segs[i].seq;
					found = true;
					break;
				}
			pthread_mutex_unlock(&sp->mu);
			if (!found)
				return CT_EOF;
			sp->rseq = next;
			sp->roff = 0;
			continue;
		}
		cur = *s;
		end = readable_end(sp, s);
		pthread_mutex_unlock(&sp->mu);
		if (end == 0)
			return CT_EOF;
		if (reader_open(sp, cur.seq, end) != 0) {
			set_err(sp, "cannot read a segment", errno != 0 ? errno : EIO);
			goto skip;
		}
		if (sp->roff < sp->rhdr_frame)
			sp->roff = sp->rhdr_frame;
		if (sp->roff < end) {
			n = read_frame(sp->rfd, sp->roff, end, rec);
			if (n == 0) {
				set_err(sp, "a corrupt record", EIO);
				goto skip;
			}
			sp->roff += n;
			sp->rcount++;
			return CT_OK;
		}
		/* at the readable end: move on only when this segment is finished */
		pthread_mutex_lock(&sp->mu);
		found = cur.seq != sp->wseq || sp->wfd < 0;
		found = found && end == cur.size && cur.seq < sp->synced_seq;
		pthread_mutex_unlock(&sp->mu);
		if (!found)
			return CT_EOF;
		sp->rseq = cur.seq + 1;
		sp->roff = 0;
		continue;
skip:
		pthread_mutex_lock(&sp->mu);
		sp->lost++;
		pthread_mutex_unlock(&sp->mu);
		sp->rseq = cur.seq + 1;
		sp->roff = 0;
	}
}

/* The header of the segment of the last record read (empty without headers). */
const struct ct_buf *ct_spool_header(struct ct_spool *sp)
{
	return &sp->rhdr;
}

/* True when records were appended that the reader has not read yet. */
int ct_spool_unread(struct ct_spool *sp)
{
	int r;

	pthread_mutex_lock(&sp->mu);
	r = sp->pending > sp->rcount;
	pthread_mutex_unlock(&sp->mu);
	return r;
}

/*
 * Acknowledges every record read so far (delivered or given up): the
 * position is stored (synced within a second) and segments wholly before it
 * are deleted.
 */
void ct_spool_ack(struct ct_spool *sp)
{
	char path[4096];
	uint64_t del[64];
	size_t i, j, n = 0;

	if (sp->rcount == 0 && sp->aseq == sp->rseq && sp->aoff == sp->roff)
		return;
	sp->aseq = sp->rseq;
	sp->aoff = sp->roff;
	ack_store(sp);
	pthread_mutex_lock(&sp->mu);
	sp->pending -= sp->rcount < sp->pending ? sp->rcount : sp->pending;
	sp->rcount = 0;
	for (i = j = 0; i < sp->n_segs; i++) {
		if (sp->segs[i].seq < sp->aseq && n < sizeof(del) / sizeof(del[0]) &&
		    !(sp->segs[i].seq == sp->wseq && sp->wfd >= 0)) {
			del[n++] = sp->segs[i].seq;
			sp->bytes -= sp->segs[i].size;
			continue;
		}
		sp->segs[j++] = sp->segs[i];
	}
	sp->n_segs = j;
	if (n > 0)
		sp->dir_dirty = true;
	pthread_mutex_unlock(&sp->mu);
	for (i = 0; i < n; i++) {
		seg_path(sp, del[i], path, sizeof(path));
		unlink(path);
	}
}

/* Goes back to the acknowledged position (a delivery failed: read again). */
void ct_spool_rewind(struct ct_spool *sp)
{
	sp->rseq = sp->aseq;
	sp->roff = sp->aoff;
	sp->rcount = 0;
}

void ct_spool_get_stats(struct ct_spool *sp, struct ct_spool_stats *st)
{
	pthread_mutex_lock(&sp->mu);
	st->pending = sp->pending;
	st->recovered = sp->recovered;
	st->dropped = sp->dropped;
	st->lost = sp->lost;
	st->bytes = sp->bytes;
	pthread_mutex_unlock(&sp->mu);
}

const char *ct_spool_dir(const struct ct_spool *sp)
{
	return sp->dir;
}

/* The first I/O error met ("" when none); stays valid until close. */
const char *ct_spool_error(struct ct_spool *sp)
{
	return sp->err;
}

/* ---- open and close ----------------------------------------------------- */

static int seg_name(const struct dirent *d)
{
	return strncmp(d->d_name, "seg-", 4) == 0 && strlen(d->d_name) == 4 + 20 + 4 &&
	    strcmp(d->d_name + 24, ".log") == 0;
}

/*
 * Checks each segment left by earlier runs: a torn or corrupt tail is cut,
 * records before the acknowledged position are skipped, those after it are
 * counted as pending; wholly delivered segments are deleted.
 */
static int recover(struct ct_spool *sp)
{
	struct dirent **names;
	char path[4096];
	uint64_t maxseq = sp->aseq;
	int n, i, rc = 0;

	n = scandir(sp->dir, &names, seg_name, alphasort);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		uint64_t seq = strtoull(names[i]->d_name + 4, NULL, 10), off = 0, len, recs = 0;
		struct stat st;
		int fd;

		free(names[i]);
		if (rc != 0)
			continue;
		if (seq > maxseq)
			maxseq = seq;
		seg_path(sp, seq, path, sizeof(path));
		if (seq < sp->aseq) {
			unlink(path);
			sp->dir_dirty = true;
			continue;
		}
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) != 0) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		while ((len = read_frame(fd, off, (uint64_t)st.st_size, NULL)) > 0) {
			if (sp->header == NULL || off > 0) {
				if (seq > sp->aseq || off >= sp->aoff)
					recs++;
			}
			off += len;
		}
		if (off < (uint64_t)st.st_size) {
			ct_log(&sp->log, CT_LOG_WARN, "spool for %s: cut %" PRIu64 " byte(s) of an "
			    "incomplete record at the end of '%s'", sp->shown,
			    (uint64_t)st.st_size - off, path);
			if (ftruncate(fd, (off_t)off) == 0)
				fdatasync(fd);
		}
		close(fd);
		if (recs == 0) {
			unlink(path);
			sp->dir_dirty = true;
			continue;
		}
		if (add_seg(sp, seq, off) != CT_OK) {
			errno = ENOMEM;
			rc = -1;
			continue;
		}
		sp->bytes += off;
		sp->pending += recs;
	}
	free(names);
	if (rc != 0)
		return rc;
	sp->recovered = sp->pending;
	sp->wseq = maxseq + 1;
	sp->synced_seq = sp->wseq;
	sp->synced_off = 0;
	sp->rseq = sp->aseq;
	sp->roff = sp->aoff;
	return 0;
}

/* Reads DIR/target; 1 equal to want, 0 absent, -1 different. */
static int check_target(const char *dir, const char *want)
{
	char path[4096], buf[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/target", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return strncmp(buf, want, strlen(want)) == 0 ? 1 : -1;
}

/* Writes DIR/target (tmp + rename); 0 or -1. */
static int write_target(const char *dir, const char *text)
{
	char path[4096], tmp[4096];
	size_t len = strlen(text);
	int fd;

	snprintf(path, sizeof(path), "%s/target", dir);
	snprintf(tmp, sizeof(tmp), "%s/.target.tmp", dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (ct_pwrite_all(fd, text, len, 0) != 0 || fdatasync(fd) != 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return rename(tmp, path);
}

static void spool_free(struct ct_spool *sp)
{
	if (sp->wfd >= 0)
		close(sp->wfd);
	if (sp->old_fd >= 0)
		close(sp->old_fd);
	if (sp->rfd >= 0)
		close(sp->rfd);
	if (sp->ack_fd >= 0)
		close(sp->ack_fd);
	if (sp->lock_fd >= 0)
		close(sp->lock_fd);   /* releases the flock */
	pthread_cond_destroy(&sp->cv);
	pthread_mutex_destroy(&sp->mu);
	pthread_mutex_destroy(&sp->sync_mu);
	ct_buf_fini(&sp->rhdr);
	ct_buf_fini(&sp->held);
	free(sp->segs);
	free(sp->header);
	free(sp->shown);
	free(sp->dir);
	free(sp);
}

/* The hash naming cfg's target's subdirectories (KIND-HASH[.SLOT]). */
static uint64_t name_hash(const struct ct_spool_cfg *cfg)
{
	return ct_siphash(&name_key, cfg->key, strlen(cfg->key));
}

/* The identity cfg's target writes in its subdirectory's file `target`. */
static void target_text(const struct ct_spool_cfg *cfg, char *buf, size_t size)
{
	snprintf(buf, size, "calltap spool %s %016" PRIx64 "%016" PRIx64 "\n%s\n", cfg->kind,
	    name_hash(cfg), ct_siphash(&name_key2, cfg->key, strlen(cfg->key)), cfg->shown);
}

/* The subdirectory of slot (0 .. SLOTS - 1) of the target named h. */
static void slot_path(const struct ct_spool_cfg *cfg, uint64_t h, int slot, char *buf,
    size_t size)
{
	if (slot == 0)
		snprintf(buf, size, "%s/%s-%016" PRIx64, cfg->dir, cfg->kind, h);
	else
		snprintf(buf, size, "%s/%s-%016" PRIx64 ".%d", cfg->dir, cfg->kind, h, slot);
}

/*
 * Takes the first free slot of cfg's target under cfg->dir: creates the
 * directories, locks the slot, checks or writes its target file.  With
 * cfg->only_slot, that slot alone, and only an existing one of this target
 * (adopt_slots).  0, or -1 with errbuf.
 */
static int take_slot(struct ct_spool *sp, const struct ct_spool_cfg *cfg, char *errbuf)
{
	char path[4096], target[512];
	uint64_t h = name_hash(cfg);
	int slot, t;

	if (mkdir(cfg->dir, 0700) != 0 && errno != EEXIST) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot create spool directory '%.300s': %s",
		    cfg->dir, strerror(errno));
		return -1;
	}
	target_text(cfg, target, sizeof(target));
	for (slot = 0; slot < SLOTS; slot++) {
		if (cfg->only_slot != 0 && slot != cfg->only_slot - 1)
			continue;
		free(sp->dir);
		slot_path(cfg, h, slot, path, sizeof(path));
		sp->dir = strdup(path);
		if (sp->dir == NULL)
			break;
		if (cfg->only_slot != 0 && check_target(path, target) <= 0) {
			snprintf(errbuf, CT_ERRBUF_SIZE, "no spool of this target in '%.300s'", path);
			return -1;
		}
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			snprintf(errbuf, CT_ERRBUF_SIZE, "cannot create spool directory '%.300s': %s",
			    path, strerror(errno));
			return -1;
		}
		snprintf(path, sizeof(path), "%s/.lock", sp->dir);
		if (sp->lock_fd >= 0)
			close(sp->lock_fd);
		sp->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (sp->lock_fd < 0) {
			snprintf(errbuf, CT_ERRBUF_SIZE, "cannot use spool directory '%.300s': %s",
			    sp->dir, strerror(errno));
			return -1;
		}
		if (flock(sp->lock_fd, LOCK_EX | LOCK_NB) != 0)
			continue;   /* another calltap delivers this slot */
		t = check_target(sp->dir, target);
		if (t < 0)
			continue;   /* another target with the same short hash */
		if (t == 0 && write_target(sp->dir, target) != 0) {
			snprintf(errbuf, CT_ERRBUF_SIZE, "cannot write in spool directory '%.300s': %s",
			    sp->dir, strerror(errno));
			return -1;
		}
		return 0;
	}
	snprintf(errbuf, CT_ERRBUF_SIZE, "spool directory '%.300s' for %s: all %d slots are in use "
	    "by other calltaps", cfg->dir, cfg->shown, SLOTS);
	return -1;
}

/* True when the spool subdirectory dir holds a segment file (records not all delivered). */
static bool has_segments(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	if (d == NULL)
		return false;
	while (!found && (e = readdir(d)) != NULL)
		found = strncmp(e->d_name, "seg-", 4) == 0;
	closedir(d);
	return found;
}

/*
 * Whether slot of cfg's target (its subdirectory in path, size bytes) is
 * another one than sp's that holds records not all delivered.
 */
static bool other_slot_pending(const struct ct_spool *sp, const struct ct_spool_cfg *cfg,
    int slot, char *path, size_t size)
{
	char target[512];

	slot_path(cfg, name_hash(cfg), slot, path, size);
	target_text(cfg, target, sizeof(target));
	return strcmp(path, sp->dir) != 0 && check_target(path, target) > 0 && has_segments(path);
}

/* Whether the header of the segment o read its last record from is sp's own. */
static bool same_header(struct ct_spool *o, const struct ct_spool *sp)
{
	const struct ct_buf *h = ct_spool_header(o);

	if (sp->header == NULL)
		return h->len == 0;
	return h->len == sp->header_len && memcmp(h->p, sp->header, h->len) == 0;
}

/*
 * Adopts the records of the other slots of this target that no running
 * calltap holds (a second calltap with the same target and --spool ran
 * beside an earlier one and is gone): each is opened alone, its records
 * not yet acknowledged are appended to sp, synced there, and only then
 * acknowledged in the other slot, so a crash at any point loses none (it
 * may send some twice, as any redelivery).  A record under another header
 * (the PostgreSQL column list of another version) is left where it is,
 * and so is what does not fit in sp (--spool-max).  Batches of ADOPT_BATCH
 * records bound what one sync round covers.  Returns the records adopted.
 */
#define ADOPT_BATCH 4096
static uint64_t adopt_slots(struct ct_spool *sp, const struct ct_spool_cfg *cfg)
{
	uint64_t total = 0;
	char path[4096], err[CT_ERRBUF_SIZE];
	struct ct_buf rec;
	int slot;

	ct_buf_init(&rec);
	for (slot = 0; slot < SLOTS; slot++) {
		struct ct_spool_cfg oc = *cfg;
		struct ct_spool *o;
		bool stop = false;
		uint64_t n = 0;

		if (!other_slot_pending(sp, cfg, slot, path, sizeof(path)))
			continue;
		oc.only_slot = slot + 1;
		oc.log = NULL;
		if ((o = ct_spool_open(&oc, err)) == NULL)
			continue;   /* held by a running calltap, which delivers it */
		while (!stop) {
			unsigned k = 0, j;

			while (k < ADOPT_BATCH && ct_spool_read(o, &rec) == CT_OK) {
				if (!same_header(o, sp) || ct_spool_append(sp, rec.p, rec.len) != CT_OK) {
					stop = true;
					break;
				}
				k++;
			}
			if (k < ADOPT_BATCH)
				stop = true;
			ct_spool_sync(sp);   /* on disk here before they leave there */
			if (stop) {
				/* acknowledge the k appended, not the one that was refused */
				ct_spool_rewind(o);
				for (j = 0; j < k && ct_spool_read(o, &rec) == CT_OK; j++)
					;
			}
			ct_spool_ack(o);
			n += k;
		}
		ct_spool_sync(o);
		ct_spool_close(o);
		if (n > 0)
			ct_log(&sp->log, CT_LOG_WARN, "spool '%s' (another calltap's, for %s too): "
			    "%" PRIu64 " record(s) not delivered yet were moved to '%s'", path, cfg->shown,
			    n, sp->dir);
		total += n;
	}
	ct_buf_fini(&rec);
	pthread_mutex_lock(&sp->mu);
	sp->recovered += total;
	pthread_mutex_unlock(&sp->mu);
	return total;
}

/*
 * Says which other slots of this target hold records no running calltap
 * delivers and adopt_slots could not take (another header, no room): each
 * slot is delivered by the calltap that takes it, so they wait for a
 * second one to run beside this one.  Tells, never touches them.
 */
static void tell_other_slots(const struct ct_spool *sp, const struct ct_spool_cfg *cfg)
{
	char path[4096];
	int slot, fd;

	for (slot = 0; slot < SLOTS; slot++) {
		if (!other_slot_pending(sp, cfg, slot, path, sizeof(path)))
			continue;
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "/.lock");
		if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			path[strlen(path) - strlen("/.lock")] = '\0';
			ct_log(&sp->log, CT_LOG_WARN, "spool '%s' (another calltap's, for %s too) holds "
			    "records not delivered yet: this run delivers '%s'; that one is delivered "
			    "by a second calltap with the same target and --spool, while this one runs",
			    path, cfg->shown, sp->dir);
		}
		close(fd);
	}
}

/*
 * Opens (creating) the spool of cfg's target and starts its sync thread.
 * Returns the spool, or NULL with a message naming the directory in errbuf.
 * Records left by earlier runs are read first (ct_spool_get_stats: recovered).
 */
struct ct_spool *ct_spool_open(const struct ct_spool_cfg *cfg, char *errbuf)
{
	struct ct_spool *sp = calloc(1, sizeof(*sp));
	char path[4096];

	if (sp == NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "out of memory");
		return NULL;
	}
	if (cfg->log != NULL)
		sp->log = *cfg->log;
	sp->lock_fd = sp->ack_fd = sp->wfd = sp->old_fd = sp->rfd = -1;
	pthread_mutex_init(&sp->mu, NULL);
	pthread_mutex_init(&sp->sync_mu, NULL);
	ct_spool_cond_init(&sp->cv);
	ct_buf_init(&sp->rhdr);
	ct_buf_init(&sp->held);
	sp->max_bytes = cfg->max_bytes != 0 ? cfg->max_bytes : CT_SPOOL_MAX_DEFAULT;
	sp->seg_max = sp->max_bytes / 8 < SEG_MAX ? sp->max_bytes / 8 : SEG_MAX;
	if (sp->seg_max < 4096)
		sp->seg_max = 4096;
	sp->shown = strdup(cfg->shown);
	if (cfg->header != NULL) {
		sp->header = malloc(cfg->header_len ? cfg->header_len : 1);
		if (sp->header != NULL)
			memcpy(sp->header, cfg->header, cfg->header_len);
		sp->header_len = cfg->header_len;
	}
	if (sp->shown == NULL || (cfg->header != NULL && sp->header == NULL)) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "out of memory");
		goto fail;
	}
	if (take_slot(sp, cfg, errbuf) != 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/ack", sp->dir);
	sp->ack_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sp->ack_fd < 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot open '%.300s': %s", path, strerror(errno));
		goto fail;
	}
	ack_load(sp);
	if (recover(sp) != 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot read spool directory '%.300s': %s", sp->dir,
		    strerror(errno));
		goto fail;
	}
	if (ct_thread_start(&sp->syncer, syncer, sp) != 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "spool '%.300s': cannot start a thread", sp->dir);
		goto fail;
	}
	sp->syncer_started = true;
	if (cfg->only_slot == 0) {
		adopt_slots(sp, cfg);
		tell_other_slots(sp, cfg);
	}
	return sp;
fail:
	spool_free(sp);
	return NULL;
}

/*
 * Stops the sync thread after a last sync round, deletes the segments when
 * nothing is pending, and frees sp.  What is pending stays for the next run.
 */
void ct_spool_close(struct ct_spool *sp)
{
	char path[4096];
	size_t i;
	int dfd;

	if (sp == NULL)
		return;
	if (sp->syncer_started) {
		pthread_mutex_lock(&sp->mu);
		sp->stop = true;
		pthread_cond_signal(&sp->cv);
		pthread_mutex_unlock(&sp->mu);
		pthread_join(sp->syncer, NULL);
	}
	if (!held_flush(sp)) {   /* still unwritable at the end: those records are lost */
		uint64_t n = 0;
		size_t off;

		for (off = sp->held_off; off + sizeof(uint32_t) <= sp->held.len; n++) {
			uint32_t len;

			memcpy(&len, sp->held.p + off, sizeof(len));
			off += sizeof(len) + len;
		}
		sp->pending -= n < sp->pending ? n : sp->pending;
		sp->lost += n;
		ct_log(&sp->log, CT_LOG_ERR, "spool for %s: %" PRIu64 " record(s) LOST: %s", sp->shown,
		    n, sp->err[0] != '\0' ? sp->err : "the spool could not be written");
	}
	if (sp->pending == 0) {
		/* everything delivered: no segment is needed any more */
		for (i = 0; i < sp->n_segs; i++) {
			seg_path(sp, sp->segs[i].seq, path, sizeof(path));
			unlink(path);
		}
		if (sp->n_segs > 0) {
			sp->aseq = sp->wseq + 1;
			sp->aoff = 0;
			ack_store(sp);
			fdatasync(sp->ack_fd);
			dfd = open(sp->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			if (dfd >= 0) {
				fsync(dfd);
				close(dfd);
			}
		}
	}
	spool_free(sp);
}

/* Parses a size: digits with an optional K, M, G or T suffix (powers of 1024); 0 or -1. */
int ct_spool_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || v == 0 || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}
