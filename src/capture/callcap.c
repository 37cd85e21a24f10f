/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Per-call packet captures and the call-aware filter (contract in
 * include/calltap/callcap.h).
 *
 * Capture thread: each frame the engine gave to calls (ct_callcap_hit) is
 * copied, as a pcap record (16-byte header and the frame), into the
 * buffer of each of its calls: a list of chunks that start small (2 KiB:
 * most calls are a dozen SIP messages) and double up to 64 KiB, so a
 * chunk is allocated every few hundred RTP packets, never per packet.
 * Every chunk byte counts against one budget; a frame that does not fit
 * is dropped and counted (the file of that call then lacks it).  At the
 * call's end its chunks go to the writer thread, which returns their
 * bytes to the budget once written.
 *
 * Writer thread: one FIFO of jobs, in call-end order: a call's file, or a
 * batch of -w frames.  A call's file is written unnamed (O_TMPFILE, or a
 * hidden name created exclusively where that is missing), then linked to
 * DIR/YYYY-MM-DD/HH/<name>.pcap, or <name>-2.pcap ... when that exists:
 * a name never replaces a file, and a name that exists is a complete
 * file (the recordings' rule, docs/audio.md).  Modes are 0666 and 0777
 * less the umask (0600 and 0700 by default).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "calltap/callcap.h"
#include "calltap/err.h"
#include "calltap/fdio.h"
#include "calltap/hash.h"
#include "calltap/thread.h"

#define CHUNK_FIRST 2048
#define CHUNK_MAX (64 * 1024)
#define ALL_BATCH (256 * 1024)    /* -w frames handed to the writer in batches this big */
#define MAX_HITS 8                /* calls one frame is kept for */
#define RING_SLOTS 128            /* frames waiting for their call, of each kind */
#define RING_KINDS 2              /* IP fragments, TCP segments (ct_callcap_key.kind 1, 2) */
#define RING_MAX_FRAME 65535      /* longer frames never wait */
#define NAME_TRIES 1000
#define PCAP_SNAPLEN 262144
#define SPILL_AT (256 * 1024)     /* a call buffering this much goes on in its spill file */
#define MAX_OPEN 512              /* spill files open at once (least recently used closed) */

struct chunk {
	struct chunk *next;
	size_t len, cap;
	uint8_t data[];
};

/*
 * A long call's frames on disk while it lasts (writer thread only): a
 * hidden file in DIR, created exclusively, appended to, closed when
 * MAX_OPEN others were used since and reopened by name; linked under the
 * call's name once complete (then unlinked), or removed when it failed.
 */
struct spill {
	char *path;                /* DIR/.calltap-<pid>-<serial>.part */
	int fd;                    /* -1: closed (or not created yet) */
	int err;                   /* errno of the first failure, 0: none */
	int slot;                  /* index in the open list, -1: not in it */
	uint64_t last_use;
	int linktype;
};

struct ct_callcap_call {
	struct chunk *head, *tail;
	size_t bytes;              /* frame bytes in the chunks */
	struct spill *sp;          /* frames already handed to the spill file, NULL: none */
	struct ct_callcap_job *reserve; /* with sp: the job that ends it when memory runs out */
	int linktype;              /* of its first frame; -1 before */
	uint64_t frames;
	struct ct_callcap_call *prev, *next;  /* the live calls (freed with the stage) */
};

enum { JOB_CALL, JOB_ALL, JOB_SPILL };

struct ct_callcap_job {
	struct ct_callcap_job *next;   /* the writer's queue */
	int kind;
	struct chunk *chunks;
	int linktype;
	struct spill *sp;          /* JOB_SPILL, JOB_CALL: the call's spill file, NULL: none */
	char *dir;                 /* JOB_CALL: DIR/YYYY-MM-DD/HH */
	char *name;                /* JOB_CALL: file name without ".pcap" */
	bool done;                 /* written (or failed): final is the result */
	char *final;
};

struct ring_slot {
	struct ct_callcap_key key;
	bool used;
	struct ct_frame f;         /* f.data points into buf */
	uint8_t *buf;
	size_t cap;
};

struct hit {
	struct ct_callcap_call *call;   /* NULL: -w only */
	bool sip;
	bool fresh;                     /* the call had no frame before this one */
};

struct ct_callcap {
	struct ct_callcap_cfg cfg;
	char ended;                /* its address in a slot: the call's file is written (ct_callcap_call_end) */
	char *dir;                 /* absolute --pcap-dir, NULL: off */
	size_t budget;
	size_t used;               /* chunk bytes allocated (atomic: both threads) */
	/* capture thread */
	struct hit hits[MAX_HITS];
	int n_hits;
	struct ct_callcap_call *live;
	/*
	 * Frames of no call yet that a later frame may complete, a ring per
	 * kind: unrelated TCP on the link (HTTPS beside the trunk) must not
	 * push out the fragments of a SIP datagram whose last piece is on its
	 * way (red-team pass 9: 130 frames of one HTTPS flow between two
	 * fragments lost the first from -w and --pcap-dir).
	 */
	struct ring_slot ring[RING_KINDS][RING_SLOTS];
	unsigned ring_pos[RING_KINDS];
	struct ct_callcap_call all;    /* -w frames not handed over yet */
	int all_linktype;          /* of the -w file: its first frame's; -1 before */
	uint64_t frames, drops, all_frames, spilled;
	/* writer thread */
	pthread_t thread;
	bool thread_ok;
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_done;
	struct ct_callcap_job *q_head, *q_tail;
	bool busy, stop;
	int all_fd;                /* -w file, -1: off */
	bool all_header;           /* its pcap header is written */
	bool all_broken;           /* a write failed on a pipe (not cut back): no more */
	off_t all_good;            /* a regular -w file: the end of its last whole call */
	uint64_t files, errors;    /* under mu */
	uint64_t waits;            /* under mu: the capture thread waited for the writer */
	bool reported;             /* the first failure was logged */
	struct spill *open[MAX_OPEN]; /* spill files open now */
	int n_open;
	uint64_t use_clock, spill_serial;
};

/* ---- buffers (capture thread) ------------------------------------------- */

static void chunks_free(struct ct_callcap *cc, struct chunk *c)
{
	while (c != NULL) {
		struct chunk *next = c->next;

		__atomic_sub_fetch(&cc->used, c->cap, __ATOMIC_RELAXED);
		free(c);
		c = next;
	}
}

/*
 * The budget is full: with cfg.wait (reading files), waits until the
 * writer finished a job and returns true (try again); false (drop the
 * frame) when live, or when nothing is queued (the memory is in the calls'
 * own buffers, which only their end or a spill frees).
 */
static bool wait_writer(struct ct_callcap *cc)
{
	bool waited = false;

	if (!cc->cfg.wait)
		return false;
	pthread_mutex_lock(&cc->mu);
	if (cc->q_head != NULL || cc->busy) {
		cc->waits++;
		pthread_cond_wait(&cc->cv_done, &cc->mu);
		waited = true;
	}
	pthread_mutex_unlock(&cc->mu);
	return waited;
}

/* Appends f as a pcap record to buf; false (counted by the caller) when it does not fit. */
static bool buf_append(struct ct_callcap *cc, struct ct_callcap_call *buf, const struct ct_frame *f)
{
	size_t need = 16 + (size_t)f->caplen;
	struct chunk *t = buf->tail;
	uint32_t hdr[4];
	int64_t ts = f->ts_us < 0 ? 0 : f->ts_us;

	if (buf->linktype < 0)
		buf->linktype = f->linktype;
	else if (buf->linktype != f->linktype)
		return false;      /* a pcap file has one link type */
	if (t == NULL || t->cap - t->len < need) {
		size_t cap = t == NULL ? CHUNK_FIRST : t->cap * 2;

		if (cap > CHUNK_MAX)
			cap = CHUNK_MAX;
		if (cap < need)
			cap = need;
		while (__atomic_add_fetch(&cc->used, cap, __ATOMIC_RELAXED) > cc->budget) {
			__atomic_sub_fetch(&cc->used, cap, __ATOMIC_RELAXED);
			if (!wait_writer(cc))
				return false;
		}
		if ((t = malloc(sizeof(*t) + cap)) == NULL) {
			__atomic_sub_fetch(&cc->used, cap, __ATOMIC_RELAXED);
			return false;
		}
		t->next = NULL;
		t->len = 0;
		t->cap = cap;
		if (buf->tail != NULL)
			buf->tail->next = t;
		else
			buf->head = t;
		buf->tail = t;
	}
	hdr[0] = (uint32_t)(ts / 1000000);
	hdr[1] = (uint32_t)(ts % 1000000);
	hdr[2] = f->caplen;
	hdr[3] = f->wirelen < f->caplen ? f->caplen : f->wirelen;
	memcpy(t->data + t->len, hdr, sizeof(hdr));
	memcpy(t->data + t->len + 16, f->data, f->caplen);
	t->len += need;
	buf->bytes += need;
	buf->frames++;
	return true;
}

/* ---- the writer thread -------------------------------------------------- */

static void fail_once(struct ct_callcap *cc, const char *what, const char *path, int err)
{
	bool first;

	pthread_mutex_lock(&cc->mu);
	cc->errors++;
	first = !cc->reported;
	cc->reported = true;
	pthread_mutex_unlock(&cc->mu);
	if (first)
		ct_log(&cc->cfg.log, CT_LOG_ERR, "%s %s: %s (first failure; counted in --stats)",
		    what, path, strerror(err));
}

/* The savefile LINKTYPE_ value of a DLT_ value (the inverse of source_pcapng.c's map). */
static uint32_t dlt_to_linktype(int dlt)
{
	if (dlt == DLT_ATM_RFC1483)
		return 100;
	if (dlt == DLT_RAW)
		return 101;
	if (dlt == DLT_LOOP)
		return 108;
	return (uint32_t)dlt;
}

static int write_header(int fd, int linktype)
{
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t zone;
		uint32_t sigfigs, snaplen, link;
	} h = { 0xa1b2c3d4u, 2, 4, 0, 0, PCAP_SNAPLEN, dlt_to_linktype(linktype) };

	return ct_write_all(fd, &h, sizeof(h));
}

static int write_chunks(int fd, const struct chunk *c)
{
	for (; c != NULL; c = c->next)
		if (ct_write_all(fd, c->data, c->len) != 0)
			return -1;
	return 0;
}

/* mkdir that accepts an existing directory; 0 or -1 with errno. */
static int make_dir(const char *path)
{
	struct stat st;

	if (mkdir(path, 0777) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		errno = ENOTDIR;   /* a file where the folder goes */
	}
	return -1;
}

/* Closes the least recently used spill file (it is reopened by name when needed). */
static void lru_make_room(struct ct_callcap *cc)
{
	int i, old = 0;

	for (i = 1; i < cc->n_open; i++)
		if (cc->open[i]->last_use < cc->open[old]->last_use)
			old = i;
	close(cc->open[old]->fd);
	cc->open[old]->fd = -1;
	cc->open[old]->slot = -1;
	cc->open[old] = cc->open[--cc->n_open];
	if (old < cc->n_open)
		cc->open[old]->slot = old;
}

static void lru_remove(struct ct_callcap *cc, struct spill *sp)
{
	if (sp->slot < 0)
		return;
	cc->open[sp->slot] = cc->open[--cc->n_open];
	if (sp->slot < cc->n_open)
		cc->open[sp->slot]->slot = sp->slot;
	sp->slot = -1;
}

/* Opens (creates the first time) sp's file; 0, or -1 with sp->err set. */
static int spill_open(struct ct_callcap *cc, struct spill *sp)
{
	if (sp->err != 0)
		return -1;
	sp->last_use = ++cc->use_clock;
	if (sp->fd >= 0)
		return 0;
	if (cc->n_open == MAX_OPEN)
		lru_make_room(cc);
	if (sp->path == NULL) {
		size_t n = strlen(cc->dir) + 64;
		int k;

		if ((sp->path = malloc(n)) == NULL) {
			sp->err = ENOMEM;
			return -1;
		}
		for (k = 0; k < 100 && sp->fd < 0; k++) {
			snprintf(sp->path, n, "%s/.calltap-%ld-%llu.part", cc->dir, (long)getpid(),
			    (unsigned long long)++cc->spill_serial);
			sp->fd = open(sp->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0666);
			if (sp->fd < 0 && errno != EEXIST)
				break;
		}
		if (sp->fd < 0 || write_header(sp->fd, sp->linktype) != 0) {
			sp->err = errno != 0 ? errno : EIO;
			if (sp->fd >= 0) {
				close(sp->fd);
				sp->fd = -1;
				unlink(sp->path);
			}
			free(sp->path);
			sp->path = NULL;
			return -1;
		}
	} else if ((sp->fd = open(sp->path, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0) {
		sp->err = errno;
		return -1;
	}
	sp->slot = cc->n_open;
	cc->open[cc->n_open++] = sp;
	return 0;
}

/* JOB_SPILL: appends the chunks to the call's spill file. */
static void spill_write(struct ct_callcap *cc, struct ct_callcap_job *job)
{
	struct spill *sp = job->sp;

	if (spill_open(cc, sp) == 0 && write_chunks(sp->fd, job->chunks) != 0)
		sp->err = errno != 0 ? errno : EIO;
}

/* Forgets sp (its file removed unless linked already); NULL is a no-op. */
static void spill_free(struct ct_callcap *cc, struct spill *sp)
{
	if (sp == NULL)
		return;
	lru_remove(cc, sp);
	if (sp->fd >= 0)
		close(sp->fd);
	if (sp->path != NULL)
		unlink(sp->path);
	free(sp->path);
	free(sp);
}

/*
 * Writes job's file: unnamed, then linked under the first free name.
 * Returns the malloc'ed path, or NULL after counting the failure.
 */
static char *write_call(struct ct_callcap *cc, struct ct_callcap_job *job)
{
	size_t n = job->dir != NULL && job->name != NULL ? strlen(job->dir) + strlen(job->name) + 48 : 1;
	char *tmp = NULL, *p = malloc(n), *slash, src[48];
	int fd = -1, k, rc, err = 0;

	if (p == NULL || job->dir == NULL || job->name == NULL) {
		fail_once(cc, "pcap", job->name != NULL ? job->name : "(a call's file)", ENOMEM);
		free(p);
		return NULL;
	}
	/* DIR exists; make DIR/YYYY-MM-DD and DIR/YYYY-MM-DD/HH */
	slash = strrchr(job->dir, '/');
	*slash = '\0';
	rc = make_dir(job->dir);
	*slash = '/';
	if (rc != 0 || make_dir(job->dir) != 0) {
		err = errno;
		goto fail;
	}
	if (job->sp != NULL) {     /* a long call: the rest of its frames after its spill file */
		if (spill_open(cc, job->sp) != 0 || write_chunks(job->sp->fd, job->chunks) != 0) {
			err = job->sp->err != 0 ? job->sp->err : errno;
			goto fail;
		}
		tmp = job->sp->path;   /* linked below, then unlinked by spill_free */
		fd = -1;
		goto link;
	}
#ifdef O_TMPFILE
	if (access("/proc/self/fd", X_OK) == 0) {
		fd = open(job->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
		if (fd < 0 && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
			err = errno;
			goto fail;
		}
	}
#endif
	if (fd < 0) {
		if ((tmp = malloc(n)) == NULL) {
			err = ENOMEM;
			goto fail;
		}
		for (k = 0; k < 100 && fd < 0; k++) {
			snprintf(tmp, n, "%s/.%s.%ld-%d.tmp", job->dir, job->name, (long)getpid(), k);
			fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
			if (fd < 0 && errno != EEXIST)
				break;
		}
		if (fd < 0) {
			err = errno;
			free(tmp);
			tmp = NULL;
			goto fail;
		}
	}
	if (write_header(fd, job->linktype) != 0 || write_chunks(fd, job->chunks) != 0) {
		err = errno;
		goto fail;
	}
link:
	/* durable: the file's data before its name, so a record never names a torn file */
	if (cc->cfg.durable && fdatasync(fd) != 0) {
		err = errno;
		goto fail;
	}
	snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
	for (k = 1; k < NAME_TRIES; k++) {
		if (k == 1)
			snprintf(p, n, "%s/%s.pcap", job->dir, job->name);
		else
			snprintf(p, n, "%s/%s-%d.pcap", job->dir, job->name, k);
		rc = tmp != NULL ? link(tmp, p) : linkat(AT_FDCWD, src, AT_FDCWD, p, AT_SYMLINK_FOLLOW);
		if (rc == 0)
			break;
		if (errno != EEXIST)
			break;
	}
	if (rc != 0) {
		err = errno;
		goto fail;
	}
	if (cc->cfg.durable) {   /* and the name itself (best effort) */
		int dfd = open(job->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	if (job->sp == NULL) {
		if (tmp != NULL)
			unlink(tmp);
		free(tmp);
		close(fd);
	}
	pthread_mutex_lock(&cc->mu);
	cc->files++;
	pthread_mutex_unlock(&cc->mu);
	return p;
fail:
	snprintf(p, n, "%s/%s.pcap", job->dir, job->name);
	fail_once(cc, "pcap", p, err);
	if (job->sp == NULL) {
		if (tmp != NULL)
			unlink(tmp);
		free(tmp);
		if (fd >= 0)
			close(fd);
	}
	free(p);
	return NULL;
}

/*
 * Appends a call's frames to the -w file.  A write that fails (a full
 * disk) on a regular file is cut back to the end of the last whole call,
 * so the file never ends in half a packet record, and the next call tries
 * again (red-team pass 10: torn, and nothing written after space came
 * back); the failed call's frames are counted in errors.  On a pipe
 * nothing can be cut back: -w stops.
 */
static void write_all(struct ct_callcap *cc, struct ct_callcap_job *job)
{
	struct stat st;
	off_t end;

	if (cc->all_broken)
		return;
	if ((!cc->all_header && write_header(cc->all_fd, job->linktype) != 0) ||
	    write_chunks(cc->all_fd, job->chunks) != 0) {
		int e = errno;

		if (fstat(cc->all_fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    ftruncate(cc->all_fd, cc->all_good) == 0 &&
		    lseek(cc->all_fd, cc->all_good, SEEK_SET) == cc->all_good) {
			cc->all_header = cc->all_good > 0;
		} else {
			cc->all_broken = true;
		}
		fail_once(cc, "-w", cc->cfg.all_path, e);
		return;
	}
	cc->all_header = true;
	if ((end = lseek(cc->all_fd, 0, SEEK_CUR)) >= 0)
		cc->all_good = end;
}

static void *writer_main(void *arg)
{
	struct ct_callcap *cc = arg;
	struct ct_callcap_job *job;
	char *final;

	ct_thread_name("ct-callcap");
	pthread_mutex_lock(&cc->mu);
	for (;;) {
		while (cc->q_head == NULL && !cc->stop)
			pthread_cond_wait(&cc->cv_work, &cc->mu);
		if ((job = cc->q_head) == NULL)
			break;
		cc->q_head = job->next;
		if (cc->q_head == NULL)
			cc->q_tail = NULL;
		cc->busy = true;
		pthread_mutex_unlock(&cc->mu);
		final = NULL;
		if (job->kind == JOB_CALL) {
			final = write_call(cc, job);
			spill_free(cc, job->sp);
			job->sp = NULL;
		} else if (job->kind == JOB_SPILL) {
			spill_write(cc, job);
		} else {
			write_all(cc, job);
		}
		chunks_free(cc, job->chunks);
		job->chunks = NULL;
		pthread_mutex_lock(&cc->mu);
		cc->busy = false;
		if (job->kind == JOB_CALL) {
			job->final = final;
			job->done = true;       /* the taker frees it */
		} else {                    /* JOB_ALL, JOB_SPILL: done with */
			free(job);
		}
		pthread_cond_broadcast(&cc->cv_done);
	}
	pthread_mutex_unlock(&cc->mu);
	return NULL;
}

/* Queues job; without a writer thread, does it here. */
static void submit(struct ct_callcap *cc, struct ct_callcap_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&cc->mu);
	if (cc->q_tail != NULL)
		cc->q_tail->next = job;
	else
		cc->q_head = job;
	cc->q_tail = job;
	pthread_cond_signal(&cc->cv_work);
	pthread_mutex_unlock(&cc->mu);
}

/* ---- names -------------------------------------------------------------- */

/* Appends up to max bytes of s to out at *n, keeping [A-Za-z0-9+.-], others '_'. */
static void put_clean(char *out, size_t *n, const char *s, size_t max, const char *none)
{
	size_t i;

	if (s == NULL || *s == '\0')
		s = none;
	for (i = 0; s[i] != '\0' && i < max; i++) {
		char c = s[i];
		int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '.' || c == '-';

		out[(*n)++] = ok ? c : '_';
	}
	if (i == 0)
		out[(*n)++] = '_';
}

/*
 * "<HHMMSS>_<caller>_<callee>_<Call-ID>_<hash>": the start time (UTC),
 * the numbers (32 characters at most each), the first 24 characters of
 * the Call-ID and 8 hex digits of a hash of the whole Call-ID (a fixed
 * key: the same Call-ID gets the same name).  Names are path-safe: only
 * [A-Za-z0-9+.-_], never "." or ".." alone.
 */
char *ct_callcap_name(const struct ct_call_record *rec)
{
	static const struct ct_hash_key name_key = { 0x63616c6c7461702dULL, 0x7063617066696c65ULL };
	const char *cid = rec->call_id != NULL ? rec->call_id : "";
	char *name = malloc(8 + 33 + 33 + 25 + 12);
	time_t t = (time_t)(rec->start_us / 1000000);
	struct tm tm;
	size_t n;

	if (name == NULL)
		return NULL;
	if (rec->start_us < 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(name, 8, "%H%M%S", &tm) != 6)
		strcpy(name, "000000");
	n = 6;
	name[n++] = '_';
	put_clean(name, &n, rec->caller, 32, "anonymous");
	name[n++] = '_';
	put_clean(name, &n, rec->callee, 32, "unknown");
	name[n++] = '_';
	put_clean(name, &n, cid, 24, "_");
	n += (size_t)sprintf(name + n, "_%08x",
	    (unsigned)(ct_siphash(&name_key, cid, strlen(cid)) & 0xffffffffu));
	name[n] = '\0';
	return name;
}

/* "<dir>/YYYY-MM-DD/HH" of a call that started at start_us (UTC). */
static char *dated_dir(const char *dir, int64_t start_us)
{
	time_t t = (time_t)(start_us / 1000000);
	size_t n = strlen(dir) + 16;
	char *p = malloc(n), d[16];
	struct tm tm;

	if (p == NULL)
		return NULL;
	if (start_us < 0 || gmtime_r(&t, &tm) == NULL || strftime(d, sizeof(d), "%Y-%m-%d/%H", &tm) != 13)
		strcpy(d, "1970-01-01/00");
	snprintf(p, n, "%s/%s", dir, d);
	return p;
}

/* ---- the capture thread's side ------------------------------------------ */

void ct_callcap_hit(struct ct_callcap *cc, void **slot, bool sip)
{
	struct ct_callcap_call *call = NULL;
	int i;

	if (cc->dir != NULL && slot != NULL && *slot != &cc->ended) {
		/* (a late message of a lingering call whose file is written goes to -w only) */
		if ((call = *slot) == NULL) {
			if ((call = calloc(1, sizeof(*call))) == NULL) {
				cc->drops++;
				return;
			}
			call->linktype = -1;
			call->next = cc->live;
			if (cc->live != NULL)
				cc->live->prev = call;
			cc->live = call;
			*slot = call;
		}
	}
	for (i = 0; i < cc->n_hits; i++)
		if (cc->hits[i].call == call) {
			cc->hits[i].sip |= sip;
			return;
		}
	if (cc->n_hits == MAX_HITS) {
		cc->drops++;
		return;
	}
	cc->hits[cc->n_hits].call = call;
	cc->hits[cc->n_hits++].sip = sip;
}

/* Hands the -w frames buffered so far to the writer. */
static void all_flush(struct ct_callcap *cc)
{
	struct ct_callcap_job *job;

	if (cc->all.head == NULL)
		return;
	if ((job = calloc(1, sizeof(*job))) == NULL) {
		cc->drops += cc->all.frames;
		chunks_free(cc, cc->all.head);
	} else {
		job->kind = JOB_ALL;
		job->chunks = cc->all.head;
		job->linktype = cc->all.linktype;
		submit(cc, job);
	}
	cc->all.head = cc->all.tail = NULL;
	cc->all.frames = 0;
	cc->all.bytes = 0;
}

/*
 * A long call: its chunks go to the writer, which appends them to the
 * call's spill file, so a call holds at most SPILL_AT in memory.  Without
 * memory for the job, the chunks stay (and the budget decides).
 */
static void spill(struct ct_callcap *cc, struct ct_callcap_call *call)
{
	struct ct_callcap_job *job = calloc(1, sizeof(*job));

	if (job == NULL)
		return;
	if (call->sp == NULL) {
		if ((call->reserve = calloc(1, sizeof(*job))) == NULL ||
		    (call->sp = calloc(1, sizeof(*call->sp))) == NULL) {
			free(call->reserve);
			call->reserve = NULL;
			free(job);
			return;
		}
		cc->spilled++;
		call->sp->fd = -1;
		call->sp->slot = -1;
		call->sp->linktype = call->linktype;
	}
	job->kind = JOB_SPILL;
	job->sp = call->sp;
	job->chunks = call->head;
	call->head = call->tail = NULL;
	call->bytes = 0;
	submit(cc, job);
}

/*
 * Keeps frame f for the calls the current frame was given to: with fresh
 * 0 or 1, those whose hit is (1) or is not (0) their first frame, with -1
 * all of them; all: the -w file too.
 */
static void deliver(struct ct_callcap *cc, const struct ct_frame *f, int fresh, bool all)
{
	int i;

	for (i = 0; i < cc->n_hits; i++) {
		struct ct_callcap_call *call = cc->hits[i].call;

		if (call == NULL || (cc->cfg.sip_only && !cc->hits[i].sip) ||
		    (fresh >= 0 && cc->hits[i].fresh != (fresh == 1)))
			continue;
		if (buf_append(cc, call, f))
			cc->frames++;
		else
			cc->drops++;
		/* past SPILL_AT, or past one full chunk when half the budget is used */
		if (call->bytes >= SPILL_AT || (call->bytes >= CHUNK_MAX &&
		    __atomic_load_n(&cc->used, __ATOMIC_RELAXED) > cc->budget / 2))
			spill(cc, call);
	}
	if (all && cc->all_fd >= 0) {
		if (buf_append(cc, &cc->all, f)) {
			cc->all_frames++;
			if (cc->all.bytes >= ALL_BATCH)
				all_flush(cc);
		} else {
			cc->drops++;
		}
	}
}

static bool key_match(const struct ct_callcap_key *a, const struct ct_callcap_key *b)
{
	if (a->kind != b->kind || a->t.tunnel != b->t.tunnel || !ct_addr_eq(&a->t.src, &b->t.src) ||
	    !ct_addr_eq(&a->t.dst, &b->t.dst))
		return false;   /* another tunnel depth: another datagram or stream (ipfrag.c, tcp_stream.c) */
	if (a->kind == 1)
		return a->frag_id == b->frag_id;
	return a->t.sport == b->t.sport && a->t.dport == b->t.dport;
}

/*
 * Keeps a frame of no call yet that a later frame may complete, in the
 * ring of its kind (key->kind 1 or 2; the oldest slot reused).
 */
static void ring_push(struct ct_callcap *cc, const struct ct_frame *f, const struct ct_callcap_key *key)
{
	unsigned r = key->kind - 1;
	struct ring_slot *s = &cc->ring[r][cc->ring_pos[r]];

	if (f->caplen > RING_MAX_FRAME)
		return;
	if (s->cap < f->caplen) {
		uint8_t *b = realloc(s->buf, f->caplen);

		if (b == NULL)
			return;
		s->buf = b;
		s->cap = f->caplen;
	}
	memcpy(s->buf, f->data, f->caplen);
	s->f = *f;
	s->f.data = s->buf;
	s->key = *key;
	s->used = true;
	cc->ring_pos[r] = (cc->ring_pos[r] + 1) % RING_SLOTS;
}

void ct_callcap_frame_end(struct ct_callcap *cc, const struct ct_frame *f,
    const struct ct_callcap_key *key)
{
	unsigned k;

	if (cc->n_hits == 0) {
		if (key->kind == 1 || key->kind == 2)
			ring_push(cc, f, key);
		return;
	}
	/*
	 * The frames it completes go first, in capture order; but a call's
	 * first frames, when TCP segments, in sequence order: a message split
	 * in two segments that came swapped must not start the call's file
	 * with its second half (a reader that picks the stream up there drops
	 * the first half as old).  Later in the file the reader knows the
	 * stream and puts swapped segments in order itself, and the message
	 * keeps the time of the segment that completed it.
	 */
	if (key->kind == 1 || key->kind == 2) {
		const struct ct_frame *order[RING_SLOTS + 1];
		uint32_t seq[RING_SLOTS + 1];
		unsigned n = 0, i, j, r = key->kind - 1;

		for (k = 0; k < RING_SLOTS; k++) {
			struct ring_slot *s = &cc->ring[r][(cc->ring_pos[r] + k) % RING_SLOTS];

			if (s->used && key_match(&s->key, key)) {
				order[n] = &s->f;
				seq[n++] = s->key.tcp_seq;
				s->used = false;
			}
		}
		order[n] = f;
		seq[n++] = key->tcp_seq;
		for (i = 0; i < (unsigned)cc->n_hits; i++)
			cc->hits[i].fresh = cc->hits[i].call != NULL && cc->hits[i].call->frames == 0;
		for (i = 0; i < n; i++)        /* capture order */
			deliver(cc, order[i], 0, true);
		for (i = 1; key->kind == 2 && i < n; i++)    /* insertion sort, stable */
			for (j = i; j > 0 && (int32_t)(seq[j] - seq[j - 1]) < 0; j--) {
				const struct ct_frame *tf = order[j];
				uint32_t ts = seq[j];

				order[j] = order[j - 1];
				seq[j] = seq[j - 1];
				order[j - 1] = tf;
				seq[j - 1] = ts;
			}
		for (i = 0; i < n; i++)
			deliver(cc, order[i], 1, false);
	} else {
		deliver(cc, f, -1, true);
	}
	cc->n_hits = 0;
}

/*
 * Takes the call of *slot off the live list and marks *slot written (a
 * lingering call's late messages start no second file).
 */
static void call_unlink(struct ct_callcap *cc, void **slot)
{
	struct ct_callcap_call *call = *slot;

	*slot = &cc->ended;
	if (call->prev != NULL)
		call->prev->next = call->next;
	else
		cc->live = call->next;
	if (call->next != NULL)
		call->next->prev = call->prev;
}

struct ct_callcap_job *ct_callcap_call_end(struct ct_callcap *cc, void **slot,
    const struct ct_call_record *rec)
{
	struct ct_callcap_call *call = *slot;
	struct ct_callcap_job *job = NULL;

	if (call == NULL || *slot == (void *)&cc->ended)
		return NULL;
	call_unlink(cc, slot);
	if ((call->head != NULL || call->sp != NULL) && (job = calloc(1, sizeof(*job))) != NULL) {
		job->kind = JOB_CALL;
		job->linktype = call->linktype;
		job->sp = call->sp;
		job->dir = dated_dir(cc->dir, rec->start_us);
		job->name = ct_callcap_name(rec);
		if (job->dir == NULL || job->name == NULL) {
			free(job->dir);
			free(job->name);
			free(job);
			job = NULL;
		}
	}
	if (job == NULL && call->sp != NULL) {
		/* No memory for the names: the reserve job fails the file (the writer removes it). */
		job = call->reserve;
		call->reserve = NULL;
		job->kind = JOB_CALL;
		job->sp = call->sp;
	}
	free(call->reserve);
	if (job == NULL) {
		if (call->head != NULL) {
			pthread_mutex_lock(&cc->mu);
			cc->errors++;
			pthread_mutex_unlock(&cc->mu);
		}
		chunks_free(cc, call->head);
		free(call);
		return NULL;
	}
	job->chunks = call->head;
	free(call);
	submit(cc, job);
	return job;
}

void ct_callcap_call_drop(struct ct_callcap *cc, void **slot, const struct ct_call_record *rec)
{
	struct ct_callcap_call *call = *slot;
	struct ct_callcap_job *job;
	char *path = NULL;

	if (call == NULL || *slot == (void *)&cc->ended)
		return;
	if (call->sp != NULL) {
		/* Spilled to a file already: written like any call's, then removed. */
		if ((job = ct_callcap_call_end(cc, slot, rec)) != NULL &&
		    ct_callcap_job_take(cc, job, true, &path) && path != NULL) {
			(void)unlink(path);
			free(path);
		}
		return;
	}
	call_unlink(cc, slot);
	free(call->reserve);
	chunks_free(cc, call->head);
	free(call);
}

bool ct_callcap_job_take(struct ct_callcap *cc, struct ct_callcap_job *job, bool wait,
    char **path)
{
	pthread_mutex_lock(&cc->mu);
	while (!job->done && wait)
		pthread_cond_wait(&cc->cv_done, &cc->mu);
	if (!job->done) {
		pthread_mutex_unlock(&cc->mu);
		return false;
	}
	pthread_mutex_unlock(&cc->mu);
	*path = job->final;
	free(job->dir);
	free(job->name);
	free(job);
	return true;
}

void ct_callcap_finish(struct ct_callcap *cc)
{
	all_flush(cc);
	pthread_mutex_lock(&cc->mu);
	while (cc->q_head != NULL || cc->busy)
		pthread_cond_wait(&cc->cv_done, &cc->mu);
	pthread_mutex_unlock(&cc->mu);
}

void ct_callcap_get_stats(struct ct_callcap *cc, struct ct_callcap_stats *st)
{
	st->frames = cc->frames;
	st->drops = cc->drops;
	st->all_frames = cc->all_frames;
	st->spilled = cc->spilled;
	pthread_mutex_lock(&cc->mu);
	st->files = cc->files;
	st->waits = cc->waits;
	st->errors = cc->errors;
	pthread_mutex_unlock(&cc->mu);
}

/* ---- life ---------------------------------------------------------------- */

struct ct_callcap *ct_callcap_new(const struct ct_callcap_cfg *cfg, char *errbuf)
{
	struct ct_callcap *cc = calloc(1, sizeof(*cc));
	unsigned i;

	if (cc == NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "out of memory");
		return NULL;
	}
	cc->cfg = *cfg;
	cc->budget = cfg->budget != 0 ? cfg->budget : CT_CALLCAP_DEFAULT_BUDGET;
	cc->all_fd = -1;
	cc->all.linktype = -1;
	for (i = 0; i < RING_KINDS * RING_SLOTS; i++)
		cc->ring[i / RING_SLOTS][i % RING_SLOTS].used = false;
	if (pthread_mutex_init(&cc->mu, NULL) != 0) {
		free(cc);
		snprintf(errbuf, CT_ERRBUF_SIZE, "out of memory");
		return NULL;
	}
	pthread_cond_init(&cc->cv_work, NULL);
	pthread_cond_init(&cc->cv_done, NULL);
	if (cfg->dir != NULL && (cc->dir = realpath(cfg->dir, NULL)) == NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "--pcap-dir %s: %s", cfg->dir, strerror(errno));
		goto fail;
	}
	if (cfg->all_path != NULL) {
		if (strcmp(cfg->all_path, "-") == 0)
			cc->all_fd = dup(STDOUT_FILENO);
		else
			cc->all_fd = open(cfg->all_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (cc->all_fd < 0) {
			snprintf(errbuf, CT_ERRBUF_SIZE, "-w %s: %s", cfg->all_path, strerror(errno));
			goto fail;
		}
	}
	cc->thread_ok = ct_thread_start(&cc->thread, writer_main, cc) == 0;
	if (!cc->thread_ok) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot start the pcap writer thread");
		goto fail;
	}
	return cc;
fail:
	ct_callcap_free(cc);
	return NULL;
}

void ct_callcap_free(struct ct_callcap *cc)
{
	unsigned i;

	if (cc == NULL)
		return;
	if (cc->thread_ok) {
		all_flush(cc);
		pthread_mutex_lock(&cc->mu);
		cc->stop = true;
		pthread_cond_signal(&cc->cv_work);
		pthread_mutex_unlock(&cc->mu);
		pthread_join(cc->thread, NULL);   /* the writer empties its queue first */
	}
	if (cc->all_fd >= 0) {
		if (!cc->all_header && !cc->all_broken)   /* no call: an empty capture */
			(void)write_header(cc->all_fd, 1);
		close(cc->all_fd);
	}
	while (cc->live != NULL) {
		struct ct_callcap_call *c = cc->live;

		cc->live = c->next;
		chunks_free(cc, c->head);
		spill_free(cc, c->sp);    /* the writer is gone: its file is removed here */
		free(c->reserve);
		free(c);
	}
	chunks_free(cc, cc->all.head);
	for (i = 0; i < RING_KINDS * RING_SLOTS; i++)
		free(cc->ring[i / RING_SLOTS][i % RING_SLOTS].buf);
	pthread_cond_destroy(&cc->cv_done);
	pthread_cond_destroy(&cc->cv_work);
	pthread_mutex_destroy(&cc->mu);
	free(cc->dir);
	free(cc);
}
