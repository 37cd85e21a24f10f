/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Stereo call recordings for QA (caller left, callee right), written
 * through libsndfile as WAV, FLAC or Ogg Vorbis.
 *
 * Workload: many concurrent answered calls, each receiving ~50 RTP packets
 * per second per direction for minutes to hours.  Memory per call is fixed
 * but for the block map (4 bytes per 4,096 samples of a channel); decoded
 * samples go to the scratch store (store.c: one anonymous file shared by
 * every call of a recorder thread, so open files do not grow with the
 * calls), cut into blocks of BLOCK samples per channel that the call takes
 * as it writes: a packet lands in a one-block write cache per channel, which
 * reaches the store in one pwrite() per block.  Holes (lost packets,
 * silence, late start) read back as zeros and reordered packets land where
 * their timestamp says.
 *
 * WAV calls whose sides share one rate skip the store: their samples go
 * straight into the final file (see "Direct WAV" below), written once.
 *
 * Threads: with a finisher (ct_audio_call_set_finisher), ct_audio_call_add
 * only looks the codec up and copies the payload into the finisher's ring;
 * decoding, the store and the final file are the recorder thread's
 * (finisher.c).  Without one, everything runs in place.
 *
 * Placement, per channel and SSRC (and codec): the first packet anchors at
 * sample (arrival_us - start_us) * rate / 1e6; later packets at anchor +
 * (rtp_ts - first_ts) * rate / clock_rate, the timestamp difference taken
 * as a signed 32-bit value (wrap-safe, RFC 3550 §5.1).  When that position
 * disagrees with the arrival time by more than RESYNC_S seconds (a
 * timestamp jump inside one SSRC; no network delays a packet that long in
 * a call worth hearing, and a sender's clock drifts far less) the stream
 * is re-anchored on the arrival time.  Positions before 0 or past MAX_S seconds are dropped and counted.
 *
 * Rates: each channel takes the rate of its first decodable codec; a later
 * codec of another rate on the same channel is converted to it by linear
 * interpolation.  At the end the file rate is the higher of the two channel
 * rates and the lower channel is brought up to it by linear interpolation
 * while the blocks are interleaved in chunks (bounded memory).  Its length
 * is the last written sample plus one, in the file rate.
 *
 * Names: "<YYYYmmdd-HHMMSS>_<Call-ID>.<ext>", the Call-ID cut at NAME_MAX_ID
 * characters of [A-Za-z0-9._-] (others become "_"); when it was cut, "~"
 * and a hash of the whole Call-ID follow, so that Call-IDs sharing a long
 * prefix get different names.  A file is never replaced: the
 * final file is written nameless (O_TMPFILE; where the file system lacks
 * it, under an exclusively created hidden name) and linked into place only
 * once completely written; link() fails instead of replacing, and the next
 * free name "<name>-2.<ext>", "-3" ... is taken then.  So a recording never
 * overwrites another (of this run, an earlier one, or a file someone put
 * there), and a name that exists is a complete recording.
 *
 * RFC 4733 telephone-event and RFC 3389 comfort noise (CN) are not speech
 * and are skipped silently; other codecs without a decoder are remembered
 * by name and reported, never written as noise.
 * References: RFC 3550 §5.1, RFC 3551 §4.5, RFC 3389, RFC 4733.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sndfile.h>

#include "calltap/audio.h"
#include "calltap/clock.h"
#include "calltap/err.h"
#include "calltap/fdio.h"
#include "calltap/hash.h"
#include "audio_int.h"

#define BLOCK CT_AUDIO_BLOCK  /* samples per channel block (audio_int.h) */
#define MAX_S (4 * 3600)      /* longest recording, seconds */
/*
 * Timestamp/arrival disagreement that re-anchors, seconds: below
 * MAX_HOLE_US, so that no stream is placed far enough ahead of its arrival
 * to open a hole on its own (a hole is cut for both channels: a sender's
 * timestamp jump of 3-30 s used to shift the other side's audio back over
 * its own earlier audio).
 */
#define RESYNC_S 2
#define MAX_STREAMS 32        /* SSRC x codec per call; more are dropped */
#define MAX_PAYLOAD 65536     /* larger payloads are dropped */
#define NAME_MAX_ID 80        /* cap of the sanitised Call-ID */
#define MAX_HOLE_US (3 * INT64_C(1000000)) /* longer stretches without a packet are cut to this */
#define NAME_HASH 17          /* "~" and 16 hex digits of the whole Call-ID */
#define NAME_TRIES 1000       /* "-2" .. "-999" after an existing name */
#define UNDEC_MAX 256         /* cap of the undecodable-codec list */
#define CHUNK 4096            /* frames per sf_writef_short call */
#define MAX_ARRIVAL_US ((int64_t)2 * MAX_S * 1000000) /* keeps the scaling in range */
#define DBLOCK CT_AUDIO_DBLOCK /* stereo frames per direct write-cache block */
#define DIRECT_MAX_RATE 48000 /* 4 h of stereo 16-bit stays under WAV's 4 GiB */
#define WAV_HEADER 44
/* Frames before frame 0 in direct block 0: every block starts on a file page */
#define DSHIFT (WAV_HEADER / 4)

/* Direct block of frame pos (>= 0), and the first frame of block b. */
static inline int64_t dblk(int64_t pos)
{
	return (pos + DSHIFT) / DBLOCK;
}

static inline int64_t dbase(int64_t b)
{
	return b * DBLOCK - DSHIFT;
}

struct stream {
	const struct ct_codec *codec;
	void *state;               /* decoder state, NULL for stateless codecs */
	uint32_t ssrc;
	uint32_t clock_rate;       /* RTP timestamp rate of the stream, Hz */
	uint32_t first_ts;         /* RTP timestamp of the anchor packet */
	int64_t anchor;            /* channel sample of first_ts */
	int channel;
};

/*
 * Write cache, one block per channel: consecutive packets of a channel land
 * in cache[] and reach the store in one pwrite() per block instead of one
 * per packet.  A block the store does not have yet (fresh) is held whole,
 * zeros where nothing was written, and written whole on flush: so a store
 * block that an earlier call used never shows through.  A block the store
 * has already (a packet reordered across a block boundary) holds only the
 * dirty samples [lo, hi); a write that does not touch them flushes first.
 * map[] gives the store block of each channel block (index + 1, 0: none:
 * reads as zeros).
 */
struct chan {
	uint32_t rate;             /* Hz, 0 until the first decodable packet */
	int64_t len;               /* samples: last written + 1 */
	int16_t *cache;            /* BLOCK samples, NULL until the first write */
	int64_t cblk;              /* block in the cache, -1: none */
	int fresh;                 /* cblk is not in the store yet: cache holds all of it */
	int64_t lo, hi;            /* dirty samples of a stored block, lo == hi: none */
	uint32_t *map;             /* channel block -> store block + 1 */
	size_t map_n;              /* entries of map */
};

/*
 * Threads: with a finisher (ct_audio_call_set_finisher) the capture thread
 * owns only dir, name, fmt, fin, undec, has_audio and lk (read-only once
 * handed over, except the last three); everything else belongs to the
 * recorder thread, which decodes the packets it is handed.  The recorder's
 * part starts on a cache line of its own (store): while the capture thread
 * read lk per packet on the line where the recorder updated dslot[] per
 * packet, both threads missed on it every time (perf: half the capture
 * thread's --audio cost in ct_audio_call_add_fmt).
 */
#define LINE 64
struct ct_audio_call {
	char *dir;
	char *name;                /* "<YYYYmmdd-HHMMSS>_<call id>" */
	enum ct_audio_format fmt;
	int64_t start_us;          /* capture time of sample 0 */
	struct ct_audio_finisher *fin; /* recorder thread and shared store, may be NULL */
	int durable;               /* ct_audio_call_set_durable */
	int has_audio;             /* a decodable packet was added (capture side) */
	struct {                   /* the last codec looked up (capture side) */
		char name[24];     /* "" none */
		uint32_t rate;
		unsigned fmt;
		int kind;          /* 0 audio (codec), 1 not audio, 2 undecodable */
		const struct ct_codec *codec;
	} lk;
	char undec[UNDEC_MAX];     /* "G723,AMR" */
	/*
	 * The recorder's part.  A packet touches the fields from here to
	 * streams[1]: kept together (a thousand calls recorded at once miss
	 * the cache on every line of a call a packet touches, ten lines before)
	 * and prefetched (ct_audio_call_prefetch).
	 */
	_Alignas(LINE)
	int dfd;                   /* WAV written directly (unnamed final file), else -1 */
	unsigned wpending;         /* its writes queued for fin's writer (atomic) */
	int werr;                  /* first errno of those writes (atomic) */
	int direct_tried;          /* the choice between direct and store was made */
	uint32_t drate;            /* the direct file's rate */
	int io_errno;              /* first scratch I/O error, 0 if none */
	size_t n_streams;
	uint64_t last_tick;        /* lru tick of the latest write, 0: none yet */
	uint64_t reuse;            /* ticks between the latest two writes, UINT64_MAX: one write */
	size_t cache_bytes;        /* write-cache memory held (cache[], dslot[].buf) */
	uint32_t lru_idx;          /* its node on fin's write-cache list, when on_lru */
	int on_lru;
	struct dslot {             /* direct write cache: two blocks of DBLOCK stereo frames */
		int64_t blk;       /* -1: empty */
		int64_t lo, hi;    /* frames written since it was taken: only they are written out */
		int whole;         /* buf holds all of the block (read back), else only [lo, hi) */
		int16_t *buf;      /* 2 * DBLOCK samples, interleaved */
	} dslot[2];
	int64_t dfile_blocks;      /* blocks below this reached the direct file (or are holes) */
	int64_t end_us;            /* end of the latest audio placed, in file time */
	int64_t cut_us;            /* silence removed so far (MAX_HOLE_US rule) */
	struct chan ch[2];
	struct stream streams[MAX_STREAMS];
	struct ct_audio_store *store;  /* the scratch store: fin's, or own */
	struct ct_audio_store *own;    /* a store of this call's own (no finisher) */
	char *scratch;             /* names the scratch data in messages once opened */
	struct ct_audio_bufs bufs; /* decode buffers in place (the recorder has its own) */
	uint64_t dropped;          /* packets out of range, malformed, too many streams */
	uint64_t resyncs;          /* timestamp jumps re-anchored on arrival time */
	uint64_t holes_cut;        /* stretches shortened */
};

static const char *const ext_name[] = { "wav", "flac", "ogg" };

/*
 * Parses an audio format name ("wav", "flac", "ogg", case-insensitive) into
 * *out.  Returns 0, or -1 when s is NULL or unknown (*out untouched).
 */
int ct_audio_format_parse(const char *s, enum ct_audio_format *out)
{
	int i;

	for (i = 0; s != NULL && i < 3; i++) {
		if (strcasecmp(s, ext_name[i]) == 0) {
			*out = (enum ct_audio_format)i;
			return 0;
		}
	}
	return -1;
}

/*
 * Builds "<YYYYmmdd-HHMMSS>_<id>" (UTC) with id limited to [A-Za-z0-9._-]
 * and NAME_MAX_ID characters, followed by "~<16 hex>" (SipHash of the whole
 * Call-ID under a fixed key: the same Call-ID always gets the same name)
 * when it was longer.  Names can still meet ("a@b" and "a_b", the same
 * Call-ID twice in a second): final_link() takes the next free one then.
 */
static char *make_name(const char *call_id, int64_t start_us)
{
	static const struct ct_hash_key name_key = { 0x63616c6c7461702dULL, 0x7265636f7264696eULL };
	char *name = malloc(16 + 1 + NAME_MAX_ID + NAME_HASH + 1);
	time_t t = (time_t)(start_us / 1000000);
	struct tm tm;
	size_t n, i;

	if (name == NULL)
		return NULL;
	if (start_us < 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(name, 17, "%Y%m%d-%H%M%S", &tm) != 15)
		strcpy(name, "00000000-000000");
	n = strlen(name);
	name[n++] = '_';
	for (i = 0; call_id[i] != '\0' && i < NAME_MAX_ID; i++) {
		char c = call_id[i];
		int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';

		name[n++] = ok ? c : '_';
	}
	if (call_id[i] != '\0')
		n += (size_t)sprintf(name + n, "~%016llx", (unsigned long long)ct_siphash(&name_key,
		    call_id, strlen(call_id)));
	name[n] = '\0';
	return name;
}

/*
 * Starts the recording of one call into directory dir (which is only touched
 * once decodable audio arrives).  call_id names the file after sanitising;
 * start_us is the capture time of sample 0.  Returns the recording, or NULL
 * with a message in errbuf (CT_ERRBUF_SIZE bytes) when an argument is NULL
 * or fmt is out of range, or memory runs out.
 */
struct ct_audio_call *ct_audio_call_new(const char *dir, enum ct_audio_format fmt,
    const char *call_id, int64_t start_us, char *errbuf)
{
	struct ct_audio_call *ac;

	if (dir == NULL || call_id == NULL || (unsigned)fmt > CT_AUDIO_OGG) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "audio: bad recording arguments");
		return NULL;
	}
	ac = aligned_alloc(LINE, sizeof(*ac));     /* a multiple of LINE (its alignment) */
	if (ac == NULL)
		goto fail;
	memset(ac, 0, sizeof(*ac));
	ac->ch[0].cblk = ac->ch[1].cblk = -1;
	ac->dfd = -1;
	ac->dslot[0].blk = ac->dslot[1].blk = -1;
	ac->fmt = fmt;
	ac->start_us = start_us;
	ac->dir = strdup(dir);
	ac->name = make_name(call_id, start_us);
	if (ac->dir == NULL || ac->name == NULL)
		goto fail;
	return ac;
fail:
	if (ac != NULL) {
		free(ac->dir);
		free(ac->name);
		free(ac);
	}
	snprintf(errbuf, CT_ERRBUF_SIZE, "audio: out of memory");
	return NULL;
}

/* RFC 4733 events and RFC 3389 comfort noise carry no speech. */
static int not_audio(const char *name)
{
	return strcasecmp(name, "telephone-event") == 0 || strcasecmp(name, "CN") == 0;
}

/* Adds name to the comma-separated undecodable list once (case-insensitive). */
static void remember_undecodable(struct ct_audio_call *ac, const char *name)
{
	size_t n = strlen(name), used = strlen(ac->undec);
	const char *p = ac->undec;

	while (*p != '\0') {
		size_t l = strcspn(p, ",");

		if (l == n && strncasecmp(p, name, n) == 0)
			return;
		p += l + (p[l] == ',');
	}
	if (used + (used > 0) + n + 1 > sizeof(ac->undec))
		return;
	if (used > 0)
		ac->undec[used++] = ',';
	memcpy(ac->undec + used, name, n);
	ac->undec[used + n] = '\0';
}

/* Finds or starts the stream of (channel, ssrc, codec); NULL when full. */
static struct stream *stream_get(struct ct_audio_call *ac, int channel, uint32_t ssrc,
    const struct ct_codec *codec, uint32_t clock_rate, uint32_t rtp_ts, int64_t pos)
{
	struct stream *s;
	size_t i;

	for (i = 0; i < ac->n_streams; i++) {
		s = &ac->streams[i];
		if (s->channel == channel && s->ssrc == ssrc && s->codec == codec)
			return s;
	}
	if (ac->n_streams == MAX_STREAMS)
		return NULL;
	s = &ac->streams[ac->n_streams];
	s->state = codec->state_new != NULL ? codec->state_new() : NULL;
	if (codec->state_new != NULL && s->state == NULL)
		return NULL;
	ac->n_streams++;
	s->codec = codec;
	s->ssrc = ssrc;
	s->channel = channel;
	s->clock_rate = clock_rate != 0 ? clock_rate : codec->clock_rate;
	s->first_ts = rtp_ts;
	s->anchor = pos;
	return s;
}

/* Grows *buf to at least n int16 samples; 0 or -1. */
static int reserve(int16_t **buf, size_t *cap, size_t n)
{
	int16_t *p;

	if (n <= *cap)
		return 0;
	p = realloc(*buf, n * sizeof(**buf));
	if (p == NULL)
		return -1;
	*buf = p;
	*cap = n;
	return 0;
}

/* Value of in[] at fractional position num / den, linear interpolation. */
static int16_t interp(const int16_t *in, size_t n, uint64_t num, uint64_t den)
{
	size_t i = (size_t)(num / den);
	int64_t frac = (int64_t)(num % den), a, b;

	if (i >= n)
		return 0;
	a = in[i];
	b = i + 1 < n ? in[i + 1] : a;
	return (int16_t)(a + (b - a) * frac / (int64_t)den);
}

/*
 * Converts n samples at rate from to rate to into b->conv; returns the
 * number of output samples or -1 on allocation failure.
 */
static long convert_rate(struct ct_audio_bufs *b, const int16_t *in, size_t n,
    uint32_t from, uint32_t to)
{
	size_t out_n = (size_t)((uint64_t)n * to / from), j;

	if (reserve(&b->conv, &b->conv_cap, out_n + 1) < 0)
		return -1;
	for (j = 0; j < out_n; j++)
		b->conv[j] = interp(in, n, (uint64_t)j * from, to);
	return (long)out_n;
}

/*
 * Creates an empty anonymous file in dir (read-write, close-on-exec): a
 * nameless O_TMPFILE where the file system has it, else a named file that is
 * unlinked at once.  Returns the descriptor or -1 with errno.
 */
int ct_audio_scratch_create(const char *dir)
{
	char path[4096];
	int fd, tries;

#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
#endif
	for (tries = 0; tries < 100; tries++) {
		snprintf(path, sizeof(path), "%s/.calltap-scratch.%ld.%d", dir, (long)getpid(), tries);
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			unlink(path);
			return fd;
		}
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

/* Gets the scratch store on first use; 0 or -1 with ac->io_errno set. */
static int scratch_open(struct ct_audio_call *ac)
{
	size_t n;

	if (ac->store != NULL)
		return 0;
	n = strlen(ac->dir) + strlen(ac->name) + 24;
	ac->scratch = malloc(n);
	if (ac->scratch == NULL) {
		ac->io_errno = ENOMEM;
		return -1;
	}
	snprintf(ac->scratch, n, "%s/%s (scratch data)", ac->dir, ac->name);
	if (ac->fin != NULL)
		ac->store = ct_audio_finisher_store(ac->fin, ac->dir);
	else
		ac->store = ac->own = ct_audio_store_new(ac->dir);
	if (ac->store == NULL) {
		ac->io_errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* Store block of channel block b, or -1 when it has none (zeros). */
static int64_t map_get(const struct chan *ch, int64_t b)
{
	return b >= 0 && (uint64_t)b < ch->map_n && ch->map[b] != 0 ? (int64_t)ch->map[b] - 1 : -1;
}

/* Maps channel block b to store block idx; 0 or -1 (ENOMEM). */
static int map_set(struct chan *ch, int64_t b, int64_t idx)
{
	if ((uint64_t)b >= ch->map_n) {
		size_t n = ch->map_n ? ch->map_n : 64;
		uint32_t *p;

		while (n <= (uint64_t)b)
			n *= 2;
		p = realloc(ch->map, n * sizeof(*p));
		if (p == NULL)
			return -1;
		memset(p + ch->map_n, 0, (n - ch->map_n) * sizeof(*p));
		ch->map = p;
		ch->map_n = n;
	}
	ch->map[b] = (uint32_t)idx + 1;
	return 0;
}

/*
 * The write-cache budget (struct ct_audio_lru, audio_int.h).  A call is
 * on its recorder's list while it holds buffers, moved to the end on every
 * write; a buffer beyond the budget is made room for by writing out and
 * freeing the buffers of the calls at the head (written least recently),
 * which take them back on their next packet: a stored block then holds
 * only its changed samples (cache) or is read back (direct).  So memory
 * stays bounded with any number of concurrent recordings (tens of
 * thousands of spoofed answered calls); past the budget, writes cost more
 * I/O instead.  Calls without a recorder (tests, in place) have no budget.
 */
static int cache_flush(struct ct_audio_call *ac, int c);
static int direct_flush(struct ct_audio_call *ac);

static struct ct_audio_lru *lru_of(const struct ct_audio_call *ac)
{
	return ac->fin != NULL ? ct_audio_finisher_lru(ac->fin) : NULL;
}

/* The calls at the list's ends, from its end nodes. */
static void lru_ends(struct ct_audio_lru *l)
{
	l->head = l->first != CT_AUDIO_LRU_NONE ? l->node[l->first].ac : NULL;
	l->tail = l->last != CT_AUDIO_LRU_NONE ? l->node[l->last].ac : NULL;
}

/* Takes node i out of the list (it stays allocated). */
static void lru_detach(struct ct_audio_lru *l, uint32_t i)
{
	struct ct_audio_lru_node *n = &l->node[i];

	if (n->prev != CT_AUDIO_LRU_NONE)
		l->node[n->prev].next = n->next;
	else
		l->first = n->next;
	if (n->next != CT_AUDIO_LRU_NONE)
		l->node[n->next].prev = n->prev;
	else
		l->last = n->prev;
}

/* Puts node i at the end of the list. */
static void lru_append(struct ct_audio_lru *l, uint32_t i)
{
	l->node[i].prev = l->last;
	l->node[i].next = CT_AUDIO_LRU_NONE;
	if (l->last != CT_AUDIO_LRU_NONE)
		l->node[l->last].next = i;
	else
		l->first = i;
	l->last = i;
}

/* A free node for ac, or CT_AUDIO_LRU_NONE when memory runs out. */
static uint32_t lru_node_new(struct ct_audio_lru *l, struct ct_audio_call *ac)
{
	struct ct_audio_lru_node *p;
	uint32_t i, n;

	if (l->free == CT_AUDIO_LRU_NONE) {
		n = l->n_node != 0 ? l->n_node * 2 : 64;
		if (n <= l->n_node || n == CT_AUDIO_LRU_NONE ||
		    (p = realloc(l->node, (size_t)n * sizeof(*p))) == NULL)
			return CT_AUDIO_LRU_NONE;
		l->node = p;
		for (i = n; i-- > l->n_node;) {   /* the lowest index first on the chain */
			p[i].ac = NULL;
			p[i].next = l->free;
			l->free = i;
		}
		l->n_node = n;
	}
	i = l->free;
	l->free = l->node[i].next;
	l->node[i].ac = ac;
	return i;
}

static void lru_unlink(struct ct_audio_lru *l, struct ct_audio_call *ac)
{
	uint32_t i = ac->lru_idx;

	if (!ac->on_lru)
		return;
	lru_detach(l, i);
	l->node[i].ac = NULL;
	l->node[i].next = l->free;
	l->free = i;
	ac->on_lru = 0;
	lru_ends(l);
}

/*
 * ac was just written: the end of the list (when it holds buffers).  A
 * call that gets no node (out of memory) stays off the list: its buffers
 * still count in the budget, they are only never taken from it.
 */
static void lru_touch(struct ct_audio_call *ac)
{
	struct ct_audio_lru *l = lru_of(ac);

	if (l == NULL || ac->cache_bytes == 0 || l->tail == ac)
		return;
	if (ac->on_lru) {
		lru_detach(l, ac->lru_idx);
	} else {
		if ((ac->lru_idx = lru_node_new(l, ac)) == CT_AUDIO_LRU_NONE)
			return;
		ac->on_lru = 1;
	}
	lru_append(l, ac->lru_idx);
	lru_ends(l);
}

/* The call after ac on the list (ac is on it), or NULL. */
static struct ct_audio_call *lru_after(const struct ct_audio_lru *l, const struct ct_audio_call *ac)
{
	uint32_t i = l->node[ac->lru_idx].next;

	return i != CT_AUDIO_LRU_NONE ? l->node[i].ac : NULL;
}

/* ac's buffers are freed (or about to be): off the list and the budget. */
static void lru_forget(struct ct_audio_call *ac)
{
	struct ct_audio_lru *l = lru_of(ac);

	if (l == NULL)
		return;
	lru_unlink(l, ac);
	l->bytes -= ac->cache_bytes;
	ac->cache_bytes = 0;
}

/* Writes out ac's cached samples and frees its write buffers (budget eviction). */
static void caches_drop(struct ct_audio_call *ac)
{
	int c;

	if (ac->dfd >= 0)
		(void)direct_flush(ac);   /* an error stays in io_errno: reported at the end */
	for (c = 0; c < 2; c++) {
		if (ac->ch[c].cache == NULL)
			continue;
		(void)cache_flush(ac, c);
		free(ac->ch[c].cache);
		ac->ch[c].cache = NULL;
		ac->ch[c].cblk = -1;
	}
	for (c = 0; c < 2; c++) {
		free(ac->dslot[c].buf);
		ac->dslot[c].buf = NULL;
		ac->dslot[c].blk = -1;
	}
	lru_forget(ac);
}

/*
 * Allocates a write buffer of n bytes for ac within the budget.  When the
 * budget is used up, the calls written least recently give theirs back,
 * but only those idle for longer than ac's latest gap between two writes
 * (ac->reuse): a call written again sooner than they are deserves the
 * memory more.  Otherwise (every cached call is about as busy as ac: more
 * calls write in turn than the budget holds, e.g. tens of thousands of
 * spoofed answered calls) evicting would only thrash, each buffer written
 * out and refilled before its next use: NULL with *denied set, and ac
 * writes the piece straight through (counted in through).  NULL without
 * *denied: out of memory.
 */
static void *cache_alloc(struct ct_audio_call *ac, size_t n, int *denied)
{
	struct ct_audio_lru *l = lru_of(ac);
	struct ct_audio_call *v;
	void *p;

	*denied = 0;
	while (l != NULL && l->bytes + n > l->max) {
		v = l->head == ac ? lru_after(l, ac) : l->head;
		if (v == NULL)
			break;
		if (l->tick - v->last_tick <= ac->reuse) {
			*denied = 1;
			l->through++;
			return NULL;
		}
		caches_drop(v);
		l->evictions++;
	}
	if ((p = malloc(n)) == NULL)
		return NULL;
	if (l != NULL) {
		l->bytes += n;
		ac->cache_bytes += n;
		lru_touch(ac);
	}
	return p;
}

/* Byte offset of sample i (of a block stored at idx) in the store. */
static off_t store_offset(int64_t idx, int64_t i)
{
	return (off_t)(idx * BLOCK + i % BLOCK) * (off_t)sizeof(int16_t);
}

/* Writes the cached block of channel c to the store; 0 or -1 (io_errno). */
static int cache_flush(struct ct_audio_call *ac, int c)
{
	struct chan *ch = &ac->ch[c];
	int64_t base = ch->cblk * BLOCK, idx;
	int fd;

	if (ch->cblk < 0)
		return 0;
	if (ch->fresh) {
		idx = ct_audio_store_alloc(ac->store);
		if (idx < 0 || map_set(ch, ch->cblk, idx) < 0) {
			ac->io_errno = idx < 0 ? errno : ENOMEM;
			if (idx >= 0)
				ct_audio_store_release(ac->store, (uint32_t)idx);
			return -1;
		}
		fd = ct_audio_store_fd(ac->store);
		if (ct_pwrite_all(fd, ch->cache, BLOCK * sizeof(int16_t), store_offset(idx, 0)) < 0) {
			ac->io_errno = errno;
			return -1;
		}
	} else if (ch->hi > ch->lo) {
		idx = map_get(ch, ch->cblk);
		fd = ct_audio_store_fd(ac->store);
		if (ct_pwrite_all(fd, ch->cache + (ch->lo - base),
		    (size_t)(ch->hi - ch->lo) * sizeof(int16_t), store_offset(idx, ch->lo)) < 0) {
			ac->io_errno = errno;
			return -1;
		}
	}
	ch->cblk = -1;
	ch->lo = ch->hi = 0;
	return 0;
}

/*
 * Writes k samples of channel c at pos (inside one block) to the store
 * without the cache (the budget gave none): into the block the store has,
 * else into a new one, written whole with zeros around the samples (as a
 * fresh cache block would be).
 */
static void store_through(struct ct_audio_call *ac, int c, int64_t pos, const int16_t *s,
    size_t k)
{
	static const int16_t zeros[BLOCK];
	struct chan *ch = &ac->ch[c];
	int64_t blk = pos / BLOCK, idx = map_get(ch, blk);
	size_t at = (size_t)(pos % BLOCK);
	int fd;

	if (idx >= 0) {
		fd = ct_audio_store_fd(ac->store);
		if (ct_pwrite_all(fd, s, k * sizeof(*s), store_offset(idx, pos)) < 0)
			ac->io_errno = errno;
		return;
	}
	idx = ct_audio_store_alloc(ac->store);
	if (idx < 0 || map_set(ch, blk, idx) < 0) {
		ac->io_errno = idx < 0 ? errno : ENOMEM;
		if (idx >= 0)
			ct_audio_store_release(ac->store, (uint32_t)idx);
		return;
	}
	fd = ct_audio_store_fd(ac->store);       /* the store opens it with its first block */
	if ((at > 0 && ct_pwrite_all(fd, zeros, at * sizeof(*s), store_offset(idx, 0)) < 0) ||
	    ct_pwrite_all(fd, s, k * sizeof(*s), store_offset(idx, pos)) < 0 ||
	    (at + k < BLOCK && ct_pwrite_all(fd, zeros, (BLOCK - at - k) * sizeof(*s),
	    store_offset(idx, pos + (int64_t)k)) < 0))
		ac->io_errno = errno;
}

/* Writes k samples of channel c at pos, all inside one block. */
static void piece_write(struct ct_audio_call *ac, int c, int64_t pos, const int16_t *s, size_t k)
{
	struct chan *ch = &ac->ch[c];
	int64_t blk = pos / BLOCK, end = pos + (int64_t)k;
	int denied;

	if (ch->cache == NULL &&
	    (ch->cache = cache_alloc(ac, BLOCK * sizeof(int16_t), &denied)) == NULL) {
		if (denied)
			store_through(ac, c, pos, s, k);
		else
			ac->io_errno = ENOMEM;
		return;
	}
	if (ch->cblk != blk || (!ch->fresh && (pos > ch->hi || end < ch->lo))) {
		if (cache_flush(ac, c) < 0)
			return;
		ch->cblk = blk;
		ch->fresh = map_get(ch, blk) < 0;
		if (ch->fresh)
			memset(ch->cache, 0, BLOCK * sizeof(int16_t));
		ch->lo = pos;
		ch->hi = end;
	}
	memcpy(ch->cache + (pos - blk * BLOCK), s, k * sizeof(*s));
	if (pos < ch->lo)
		ch->lo = pos;
	if (end > ch->hi)
		ch->hi = end;
}

/*
 * True when the n samples at p are all 0 (digital silence).  Eight bytes
 * a step (a sample at a time, the check cost a third of the recorder's
 * time on the media-collision attack mix, whose calls are all silence).
 */
static bool all_zero(const int16_t *p, size_t n)
{
	const unsigned char *b = (const unsigned char *)p;
	size_t i, len = n * sizeof(*p);
	uint64_t acc = 0, w;

	for (i = 0; i + 32 <= len; i += 32) {
		uint64_t w1, w2, w3;

		memcpy(&w, b + i, 8);
		memcpy(&w1, b + i + 8, 8);
		memcpy(&w2, b + i + 16, 8);
		memcpy(&w3, b + i + 24, 8);
		acc |= w | w1 | w2 | w3;
		if (acc != 0)
			return false;
	}
	for (; i < len; i++)
		acc |= b[i];
	return acc == 0;
}

/*
 * Writes n samples of channel c starting at sample pos.  Digital silence
 * for a block that holds nothing yet (not in the store, not in the cache)
 * is not written: such a block reads as zeros, and a span of blocks never
 * written costs nothing when the file is made (interleave()'s holes).  A
 * call of silence (an attacker's RTP, silence suppression) then takes no
 * store block at all.
 */
static void scratch_write(struct ct_audio_call *ac, int c, int64_t pos,
    const int16_t *s, size_t n)
{
	if (scratch_open(ac) < 0)
		return;
	while (n > 0 && ac->io_errno == 0) {
		size_t k = (size_t)(BLOCK - pos % BLOCK);
		struct chan *ch = &ac->ch[c];

		if (k > n)
			k = n;
		if (ch->cblk != pos / BLOCK && map_get(ch, pos / BLOCK) < 0 && all_zero(s, k))
			;                       /* silence where nothing was: zeros already */
		else
			piece_write(ac, c, pos, s, k);
		if (pos + (int64_t)k > ac->ch[c].len)
			ac->ch[c].len = pos + (int64_t)k;
		pos += (int64_t)k;
		s += k;
		n -= k;
	}
}

static void audio_write(struct ct_audio_call *ac, int c, int64_t pos, const int16_t *s,
    size_t n);
static void audio_write_src(struct ct_audio_call *ac, int c, int64_t pos, const int16_t *s,
    const uint8_t *raw, const int16_t *table, size_t n);
static int direct_demote(struct ct_audio_call *ac);

/* Floor of p / c for c > 0 (inlined: a constant c divides by multiplying). */
static inline int64_t floor_div(int64_t p, int64_t c)
{
	return p >= 0 ? p / c : -((-p + c - 1) / c);
}

/*
 * Floor of a * b / c for c > 0, b >= 0.  A packet takes five of these: the
 * divisors the recorder meets nearly always (the microsecond, 8 kHz, the
 * same rate on both sides) get a division by a constant, which the
 * compiler turns into a multiplication (a 64-bit divide costs tens of
 * cycles); the results are the same.
 */
static inline int64_t scale(int64_t a, int64_t b, int64_t c)
{
	if (b == c)
		return a;
	if (c == 1000000)
		return floor_div(a * b, 1000000);
	if (c == 8000)
		return floor_div(a * b, 8000);
	return floor_div(a * b, c);
}

/*
 * Silence that nobody sent is not stored: when a packet would start more
 * than MAX_HOLE_US after the end of all audio placed so far (on either
 * channel), the gap is shortened to MAX_HOLE_US, for this packet and every
 * later one of the call (cut_us grows by the excess, so both channels stay
 * aligned).  A recording therefore grows with the packets received, not
 * with the span of their times: two packets an hour apart make seconds of
 * file, not an hour (a spoofed call cannot fill the disk with zeros).  Real
 * calls with continuous RTP never have such a gap; with silence
 * suppression or a held call without media, pauses over 3 s are shortened.
 * Returns the position to write at, in the channel's rate.
 */
static int64_t cut_hole(struct ct_audio_call *ac, int64_t pos, long n, uint32_t rate)
{
	int64_t t = scale(pos, 1000000, rate) - ac->cut_us;
	int64_t end;

	if (t > ac->end_us + MAX_HOLE_US) {
		ac->cut_us += t - (ac->end_us + MAX_HOLE_US);
		ac->holes_cut++;
		t = ac->end_us + MAX_HOLE_US;
	}
	end = t + scale(n, 1000000, rate);
	if (end > ac->end_us)
		ac->end_us = end;
	return scale(t, rate, 1000000);
}

/* Channel position of rtp_ts in s, re-anchoring on arrival_pos if far off. */
static int64_t place(struct ct_audio_call *ac, struct stream *s, uint32_t rtp_ts,
    int64_t arrival_pos, uint32_t rate)
{
	int64_t d = (int32_t)(rtp_ts - s->first_ts);
	int64_t pos = s->anchor + scale(d, rate, s->clock_rate);
	int64_t off = pos - arrival_pos;

	if (off > (int64_t)RESYNC_S * rate || off < -(int64_t)RESYNC_S * rate) {
		s->first_ts = rtp_ts;
		s->anchor = arrival_pos;
		ac->resyncs++;
		pos = arrival_pos;
	}
	return pos;
}

/*
 * Decodes one payload at the channel's rate; returns the sample count and
 * sets *out to them (b->pcm, or b->conv after a rate conversion), or -1
 * (malformed, out of memory: *out untouched).  *out is taken only once the
 * buffer it points into is final: convert_rate() may move b->conv (a
 * codec of another rate on the channel used to write from the stale or
 * NULL pointer and crash).
 */
static long decode(struct ct_audio_bufs *b, struct stream *s, const uint8_t *payload,
    size_t len, uint32_t rate, const int16_t **out)
{
	size_t max = ct_codec_max_samples(s->codec, len);
	long conv;
	int n;

	if (max == 0 || reserve(&b->pcm, &b->pcm_cap, max) < 0)
		return -1;
	n = s->codec->decode(s->state, payload, len, b->pcm, max);
	if (n <= 0 || (size_t)n > max)
		return -1;
	if (s->codec->rate == rate) {
		*out = b->pcm;
		return n;
	}
	conv = convert_rate(b, b->pcm, (size_t)n, s->codec->rate, rate);
	if (conv <= 0)
		return -1;
	*out = b->conv;
	return conv;
}

/*
 * Adds one RTP payload to channel (CT_AUDIO_CALLER or CT_AUDIO_CALLEE).
 * codec_name/clock_rate are the stream's (clock_rate 0: the codec's usual
 * one); payload is borrowed for the call only (copied when handed to a
 * finisher's recorder thread, which decodes it there).  Telephone-event
 * and CN are ignored; a codec without decoder is remembered for the
 * report; packets that are malformed, placed out of range or beyond
 * MAX_STREAMS streams are dropped and counted.  After a scratch I/O error
 * everything is ignored and the error is reported when the call finishes.
 * NULL ac is a no-op.
 */
void ct_audio_call_add(struct ct_audio_call *ac, int channel, const char *codec_name,
    uint32_t clock_rate, uint32_t ssrc, uint32_t rtp_ts, int64_t arrival_us,
    const uint8_t *payload, size_t len)
{
	ct_audio_call_add_fmt(ac, channel, codec_name, clock_rate, 0, ssrc, rtp_ts, arrival_us,
	    payload, len);
}

/* ct_audio_call_add with the payload type's fmtp flags (AMR: octet-align). */
void ct_audio_call_add_fmt(struct ct_audio_call *ac, int channel, const char *codec_name,
    uint32_t clock_rate, unsigned fmt, uint32_t ssrc, uint32_t rtp_ts, int64_t arrival_us,
    const uint8_t *payload, size_t len)
{
	const struct ct_codec *codec;

	if (ac == NULL)
		return;
	if (codec_name == NULL)
		codec_name = "unknown";
	/* Most packets of a call carry the codec of the one before: no table scan. */
	if (ac->lk.rate != clock_rate || ac->lk.fmt != fmt || ac->lk.name[0] == '\0' ||
	    strcmp(ac->lk.name, codec_name) != 0) {
		ac->lk.codec = NULL;
		ac->lk.kind = not_audio(codec_name) ? 1 : (fmt & CT_CODEC_ENCRYPTED) ? 2 :
		    (ac->lk.codec = ct_codec_find_fmt(codec_name, clock_rate, fmt)) != NULL ? 0 : 2;
		if (ac->lk.kind == 2 && (fmt & CT_CODEC_ENCRYPTED)) {
			char name[sizeof(ac->lk.name) + 8];

			snprintf(name, sizeof(name), "%.*s/SRTP", (int)sizeof(ac->lk.name) - 1, codec_name);
			remember_undecodable(ac, name);
		} else if (ac->lk.kind == 2) {
			remember_undecodable(ac, codec_name);
		}
		ac->lk.rate = clock_rate;
		ac->lk.fmt = fmt;
		if (strlen(codec_name) < sizeof(ac->lk.name))
			strcpy(ac->lk.name, codec_name);
		else
			ac->lk.name[0] = '\0';
	}
	if (ac->lk.kind != 0)
		return;
	codec = ac->lk.codec;
	if ((channel != CT_AUDIO_CALLER && channel != CT_AUDIO_CALLEE) ||
	    payload == NULL || len == 0 || len > MAX_PAYLOAD)
		return;            /* dropped: nothing to decode */
	if (!ac->has_audio)
		ac->has_audio = 1;     /* written once: the line stays shared with the recorder */
	if (ac->fin != NULL)
		ct_audio_finisher_packet(ac->fin, ac, channel, codec, clock_rate, ssrc, rtp_ts,
		    arrival_us, payload, len);
	else
		ct_audio_call_add_decoded(ac, channel, codec, clock_rate, ssrc, rtp_ts,
		    arrival_us, payload, len);
}

/* The decoding half of ct_audio_call_add (audio_int.h). */
void ct_audio_call_add_decoded(struct ct_audio_call *ac, int channel,
    const struct ct_codec *codec, uint32_t clock_rate, uint32_t ssrc, uint32_t rtp_ts,
    int64_t arrival_us, const uint8_t *payload, size_t len)
{
	struct stream *s;
	const int16_t *pcm;
	int64_t arrival_pos, pos;
	uint32_t rate;
	long n;

	if (ac->io_errno != 0)
		return;
	if (ac->ch[channel].rate == 0) {
		ac->ch[channel].rate = codec->rate;
		if (ac->dfd >= 0 && codec->rate != ac->drate && direct_demote(ac) < 0)
			return;
	}
	rate = ac->ch[channel].rate;
	arrival_us = ct_ts_sub(arrival_us, ac->start_us);   /* untrusted: saturated */
	if (arrival_us > MAX_ARRIVAL_US || arrival_us < -MAX_ARRIVAL_US)
		goto drop;
	arrival_pos = scale(arrival_us, rate, 1000000);
	s = stream_get(ac, channel, ssrc, codec, clock_rate, rtp_ts, arrival_pos);
	if (s == NULL)
		goto drop;
	pos = place(ac, s, rtp_ts, arrival_pos, rate);
	if (codec->table != NULL && codec->rate == rate && ac->dfd >= 0) {
		/* G.711 into a direct file: expanded as it is placed (same samples) */
		n = (long)len;
		if (pos < 0 || pos + n > (int64_t)MAX_S * rate)
			goto drop;
		pos = cut_hole(ac, pos, n, rate);
		if (pos < 0)
			goto drop;
		audio_write_src(ac, channel, pos, NULL, payload, codec->table, (size_t)n);
		return;
	}
	n = decode(ac->fin != NULL ? ct_audio_finisher_bufs(ac->fin) : &ac->bufs, s, payload, len,
	    rate, &pcm);
	if (n <= 0 || pos < 0 || pos + n > (int64_t)MAX_S * rate)
		goto drop;
	pos = cut_hole(ac, pos, n, rate);
	if (pos < 0)       /* reordered from before a shortened gap, past sample 0 */
		goto drop;
	audio_write(ac, channel, pos, pcm, (size_t)n);
	return;
drop:
	ac->dropped++;
}

/*
 * Prefetch for the recorder (audio_int.h): with a thousand calls recorded
 * at once, a packet's call state and the block its samples go to have
 * left the cache since that call's previous packet (perf: most of the
 * recorder's time in user space was those misses).  Stage 0 asks for the
 * call's lines a packet touches; stage 1 (once they are in) for the
 * cache-block lines where an in-order packet of the channel lands.
 */
void ct_audio_call_prefetch(const struct ct_audio_call *ac, int channel, int stage)
{
	const struct chan *ch = &ac->ch[channel & 1];
	const int16_t *d = NULL;
	int64_t pos, b;
	size_t i, n = 0;

	if (stage == 0) {
		__builtin_prefetch(&ac->start_us);
		__builtin_prefetch(&ac->dfd);
		__builtin_prefetch(&ac->dslot[1]);
		__builtin_prefetch(&ac->cut_us);
		__builtin_prefetch(&ch->rate);
		__builtin_prefetch(&ch->len);
		__builtin_prefetch(&ac->streams[0]);
		__builtin_prefetch(&ac->streams[1]);
		return;
	}
	pos = ch->len;
	if (ac->dfd >= 0) {
		b = dblk(pos);
		if (ac->dslot[b & 1].buf != NULL && ac->dslot[b & 1].blk == b) {
			d = ac->dslot[b & 1].buf + 2 * (pos - dbase(b));
			n = (size_t)(dbase(b + 1) - pos) * 4;
		}
	} else if (ch->cache != NULL && ch->cblk == pos / BLOCK) {
		d = ch->cache + pos % BLOCK;
		n = (size_t)(BLOCK - pos % BLOCK) * 2;
	}
	if (n > 640)
		n = 640;           /* a 20 ms G.711 packet's frames */
	for (i = 0; d != NULL && i < n; i += 64)
		__builtin_prefetch((const char *)d + i, 1);
}

/* Sequential reader of one channel of the scratch file. */
struct reader {
	const struct chan *ch;
	int fd;
	int64_t len;               /* samples in the channel */
	int64_t blk;               /* block held in buf, -1 none */
	int16_t buf[BLOCK];
};

/* Sample i of the reader's channel (0 past the end); -1 in *err on I/O error. */
static int16_t reader_get(struct reader *r, int64_t i, int *err)
{
	if (i < 0 || i >= r->len)
		return 0;
	if (i / BLOCK != r->blk) {
		ssize_t got;

		int64_t idx;

		r->blk = i / BLOCK;
		idx = map_get(r->ch, r->blk);
		got = idx < 0 ? 0 : pread(r->fd, r->buf, sizeof(r->buf), store_offset(idx, 0));
		if (got < 0) {
			*err = errno;
			got = 0;
		}
		memset((char *)r->buf + got, 0, sizeof(r->buf) - (size_t)got);
	}
	return r->buf[i % BLOCK];
}

/* Sample of output frame j of a channel of rate `rate` in a file of rate out. */
static int16_t channel_at(struct reader *r, int64_t j, uint32_t rate, uint32_t out,
    int *err)
{
	int64_t num, i, a, b, frac;

	if (rate == 0)
		return 0;
	if (rate == out)
		return reader_get(r, j, err);
	num = j * (int64_t)rate;
	i = num / out;
	frac = num % out;
	a = reader_get(r, i, err);
	b = frac != 0 ? reader_get(r, i + 1, err) : a;
	return (int16_t)(a + (b - a) * frac / out);
}

/*
 * Samples [i, i + n) of the reader's channel into dst[0], dst[2], ... (the
 * channel's slots of interleaved stereo frames), a block at a time.
 */
static void channel_copy(struct reader *r, int64_t i, int64_t n, int16_t *dst, int *err)
{
	while (n > 0) {
		int64_t k = BLOCK - i % BLOCK, m, live;
		const int16_t *src;

		if (k > n)
			k = n;
		if (i >= r->len) {
			for (m = 0; m < n; m++)
				dst[2 * m] = 0;
			return;
		}
		(void)reader_get(r, i, err);      /* loads block i / BLOCK */
		src = r->buf + i % BLOCK;
		live = r->len - i < k ? r->len - i : k;
		for (m = 0; m < live; m++)
			dst[2 * m] = src[m];
		for (; m < k; m++)
			dst[2 * m] = 0;
		dst += 2 * k;
		i += k;
		n -= k;
	}
}

static const int sf_major[] = { SF_FORMAT_WAV | SF_FORMAT_PCM_16,
	SF_FORMAT_FLAC | SF_FORMAT_PCM_16, SF_FORMAT_OGG | SF_FORMAT_VORBIS };

/*
 * True when channel samples [i, i + n) are all holes of the store (never
 * written) or past the channel's end: they read as zeros (reader_get).
 */
static bool span_unstored(const struct chan *ch, int64_t i, int64_t n)
{
	int64_t b;

	for (b = i / BLOCK; b <= (i + n - 1) / BLOCK && b * BLOCK < ch->len; b++)
		if (map_get(ch, b) >= 0)
			return false;
	return true;
}

/*
 * Streams both channels from the scratch file into an open SNDFILE, or
 * with sf NULL, as a WAV's 16-bit data at WAV_HEADER of fd (host order:
 * little-endian hosts only), where a chunk of digital silence is not
 * written: the file keeps a hole there, which reads as the same zeros.  A
 * call that is mostly silence (hold, silence suppression, or an attacker's
 * RTP a few packets a call) then costs neither the copy nor the disk: the
 * media-collision attack mix wrote 5.5 GB of zeros for 32,000 such calls.
 */
static int interleave(struct ct_audio_call *ac, SNDFILE *sf, int fd, uint32_t out,
    int64_t frames, char *errbuf, const char *tmp)
{
	struct reader *r = calloc(2, sizeof(*r));
	int16_t *chunk = malloc(CHUNK * 2 * sizeof(int16_t));
	int64_t j = 0;
	int c, err = 0, ret = -1;

	if (r == NULL || chunk == NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "audio: out of memory writing %s", tmp);
		goto out;
	}
	for (c = 0; c < 2; c++)
		r[c] = (struct reader){ .ch = &ac->ch[c], .len = ac->ch[c].len, .blk = -1,
		    .fd = ac->store != NULL ? ct_audio_store_fd(ac->store) : -1 };
	while (j < frames) {
		int64_t k, n = frames - j < CHUNK ? frames - j : CHUNK;
		bool hole = sf == NULL;

		/* both sides silent by construction: a hole, nothing read or built */
		for (c = 0; c < 2 && hole; c++)
			hole = ac->ch[c].rate == 0 ||
			    (ac->ch[c].rate == out && span_unstored(&ac->ch[c], j, n));
		if (hole) {
			j += n;
			continue;
		}
		for (c = 0; c < 2; c++) {
			if (ac->ch[c].rate == out) {
				channel_copy(&r[c], j, n, chunk + c, &err);
				continue;
			}
			for (k = 0; k < n; k++)
				chunk[2 * k + c] = channel_at(&r[c], j + k, ac->ch[c].rate, out, &err);
		}
		if (err != 0) {
			snprintf(errbuf, CT_ERRBUF_SIZE, "audio: %s: %s", ac->scratch, strerror(err));
			goto out;
		}
		if (sf != NULL && sf_writef_short(sf, chunk, n) != n) {
			snprintf(errbuf, CT_ERRBUF_SIZE, "audio: %s: %s", tmp, sf_strerror(sf));
			goto out;
		}
		if (sf == NULL && !all_zero(chunk, (size_t)n * 2) &&
		    ct_pwrite_all(fd, chunk, (size_t)n * 4, (off_t)(WAV_HEADER + j * 4)) < 0) {
			snprintf(errbuf, CT_ERRBUF_SIZE, "audio: %s: %s", tmp, strerror(errno));
			goto out;
		}
		j += n;
	}
	ret = 0;
out:
	free(r);
	free(chunk);
	return ret;
}

/*
 * Opens an unnamed file in dir for the final recording: one the writer
 * thread made ahead (ct_audio_finisher_tmpfile: at the end of a replay
 * every call still open finishes at once, and making 30,000 files on the
 * recorder's thread, ext4's inode search, was its bottleneck with the
 * writer idle), else O_TMPFILE (linked later through /proc/self/fd), or
 * where the file system or /proc lacks that, a hidden name created
 * exclusively, returned in *tmp (malloc'ed; the caller unlinks it).
 * Returns the descriptor, or -1 with errno.
 */
static int final_open(const struct ct_audio_call *ac, char **tmp)
{
	size_t n = strlen(ac->dir) + strlen(ac->name) + 48;
	int fd, tries;

	*tmp = NULL;
	if (ac->fin != NULL && (fd = ct_audio_finisher_tmpfile(ac->fin, ac->dir)) >= 0)
		return fd;
#ifdef O_TMPFILE
	if (access("/proc/self/fd", X_OK) == 0) {
		fd = open(ac->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
		if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
			return fd;
	}
#endif
	if ((*tmp = malloc(n)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (tries = 0; tries < 100; tries++) {
		snprintf(*tmp, n, "%s/.%s.%ld-%d.tmp", ac->dir, ac->name, (long)getpid(), tries);
		fd = open(*tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			break;
	}
	free(*tmp);
	*tmp = NULL;
	return -1;
}

/* fsync(2)s directory dir (a new name in it), best effort. */
static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/*
 * Gives the written file (descriptor fd, or the hidden name tmp) the first
 * free name of "<dir>/<name>.<ext>", "<dir>/<name>-2.<ext>" ...: link()
 * never replaces an existing file.  A durable call's file is synced before
 * (its data and size) and its directory after (the name).  Returns 0 with
 * the malloc'ed name in *final, or -1 with errno (EEXIST when NAME_TRIES
 * names are all taken).
 */
static int final_link(const struct ct_audio_call *ac, int fd, const char *tmp, char **final)
{
	size_t n = strlen(ac->dir) + strlen(ac->name) + 24;
	char src[48], *p = malloc(n);
	int k, rc;

	if (p == NULL) {
		errno = ENOMEM;
		return -1;
	}
	snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
	if (ac->durable && fdatasync(fd) != 0) {
		free(p);
		return -1;
	}
	for (k = 1; k < NAME_TRIES; k++) {
		if (k == 1)
			snprintf(p, n, "%s/%s.%s", ac->dir, ac->name, ext_name[ac->fmt]);
		else
			snprintf(p, n, "%s/%s-%d.%s", ac->dir, ac->name, k, ext_name[ac->fmt]);
		rc = tmp != NULL ? link(tmp, p) : linkat(AT_FDCWD, src, AT_FDCWD, p, AT_SYMLINK_FOLLOW);
		if (rc == 0) {
			if (ac->durable)
				sync_dir(ac->dir);
			*final = p;
			return 0;
		}
		if (errno != EEXIST)
			break;
	}
	free(p);
	return -1;
}

/*
 * Direct WAV (issue 16: write each recording once).  A WAV call whose two
 * sides have one rate is written straight into its final file: unnamed
 * (O_TMPFILE only: a hidden named file would outlive a crash), frames at
 * byte WAV_HEADER + 4 * frame, the header written and the file cut to its
 * length when the call ends, then linked under its name as any other.  The
 * content is the one the store path writes: samples where they were
 * placed, zeros (holes) elsewhere.  Packets go through a write cache of two
 * blocks of DBLOCK stereo frames (block b in slot b & 1; block 0 starts
 * DSHIFT frames before frame 0, at byte 0 of the file, so that every block
 * is whole pages of the file: a write that began and ended inside pages
 * made ext4 zero and track partial pages, and twice the system time was
 * the cost, issue 16), so the two sides,
 * a little apart in time, fill a block before it is written whole; a
 * packet for a block older than its slot's (reordered, or a side far
 * behind) is read, patched and written back in the file.  Each direct call
 * holds a descriptor, so the finisher hands out a bounded number of them
 * (ct_audio_finisher_direct_take: half the open-file limit left); the
 * others, FLAC and Ogg, rates above DIRECT_MAX_RATE and file systems
 * without O_TMPFILE go through the store.  A side that turns out to have
 * another rate moves the call to the store (direct_demote).
 */
static void put_le16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, v & 0xFFFF);
	put_le16(p + 2, v >> 16);
}

/*
 * The 44-byte header of a 16-bit stereo PCM WAV file of `frames` frames
 * at rate r (the canonical RIFF layout, as libsndfile writes it for
 * SF_FORMAT_WAV | SF_FORMAT_PCM_16 without extra chunks).
 */
static void wav_header(uint8_t *h, uint32_t r, int64_t frames)
{
	uint32_t data = (uint32_t)(frames * 4);

	memcpy(h, "RIFF", 4);
	put_le32(h + 4, 36 + data);
	memcpy(h + 8, "WAVEfmt ", 8);
	put_le32(h + 16, 16);
	put_le16(h + 20, 1);                     /* PCM */
	put_le16(h + 22, 2);
	put_le32(h + 24, r);
	put_le32(h + 28, r * 4);
	put_le16(h + 32, 4);
	put_le16(h + 34, 16);
	memcpy(h + 36, "data", 4);
	put_le32(h + 40, data);
}

static off_t dframe_off(int64_t frame)
{
	return (off_t)(WAV_HEADER + frame * 4);
}

/* Chooses direct writing for ac at its first audio of rate `rate` when it may. */
static void direct_open(struct ct_audio_call *ac, uint32_t rate)
{
	char *tmp = NULL;
	int fd;

	ac->direct_tried = 1;
	/* both sides' rates may be known already (a first packet that was dropped) */
	if (ac->fmt != CT_AUDIO_WAV || rate > DIRECT_MAX_RATE || ac->store != NULL ||
	    (ac->ch[0].rate != 0 && ac->ch[0].rate != rate) ||
	    (ac->ch[1].rate != 0 && ac->ch[1].rate != rate))
		return;
	if (ac->fin != NULL && !ct_audio_finisher_direct_take(ac->fin))
		return;
	fd = final_open(ac, &tmp);
	if (fd >= 0 && tmp != NULL) {
		unlink(tmp);
		close(fd);
		fd = -1;
	}
	free(tmp);
	if (fd < 0) {       /* the store path reports what is wrong, if anything */
		if (ac->fin != NULL)
			ct_audio_finisher_direct_give(ac->fin);
		return;
	}
	ac->dfd = fd;
	ac->drate = rate;
}

/*
 * Writes slot s to the direct file and empties it; 0 or -1 (io_errno).
 * Only the frames written since the slot took its block go out: the rest
 * of the block is in the file already, or zeros the file reads as zeros
 * (a hole, or past its end); silence for a block the file never had does
 * not go out at all.  So the file never grows past the audio
 * written, and the final ftruncate() only ever extends it (a shrink freed
 * blocks that ext4 had allocated, and with the discard mount option each
 * free waited for the device).
 */
/*
 * Waits for ac's writes queued for the writer thread (before anything
 * else touches the file) and takes their error, if any, into io_errno.
 */
static void dwait(struct ct_audio_call *ac)
{
	int e;

	if (ac->fin == NULL)
		return;
	ct_audio_finisher_write_wait(ac->fin, &ac->wpending);
	e = __atomic_load_n(&ac->werr, __ATOMIC_SEQ_CST);
	if (e != 0 && ac->io_errno == 0)
		ac->io_errno = e;
}

static int dslot_flush(struct ct_audio_call *ac, struct dslot *s)
{
	int64_t base = dbase(s->blk);
	void *nb;

	if (s->blk < 0)
		return 0;
	/*
	 * Digital silence for a block the file never had: it reads as zeros
	 * already (a hole, or past the end the final ftruncate() extends), so
	 * nothing is written and the block still counts as never written.
	 */
	if (s->hi > s->lo && s->blk >= ac->dfile_blocks &&
	    all_zero(s->buf + 2 * (s->lo - base), (size_t)(s->hi - s->lo) * 2)) {
		s->blk = -1;
		return 0;
	}
	/* to the writer thread, the slot taking a fresh block; else here */
	if (s->hi > s->lo && ac->fin != NULL &&
	    (nb = ct_audio_finisher_write(ac->fin, ac->dfd, s->buf, s->buf + 2 * (s->lo - base),
	    (size_t)(s->hi - s->lo) * 4, dframe_off(s->lo), &ac->wpending, &ac->werr)) != NULL)
		s->buf = nb;
	else if (s->hi > s->lo && ct_pwrite_all(ac->dfd, s->buf + 2 * (s->lo - base),
	    (size_t)(s->hi - s->lo) * 4, dframe_off(s->lo)) < 0) {
		ac->io_errno = errno;
		return -1;
	}
	if (s->blk >= ac->dfile_blocks)
		ac->dfile_blocks = s->blk + 1;
	s->blk = -1;
	return 0;
}

/* Reads n frames at frame pos of the direct file into buf (zeros past its end). */
static int dread(struct ct_audio_call *ac, int16_t *buf, int64_t pos, size_t n)
{
	size_t got = 0;

	dwait(ac);
	while (got < n * 4) {
		ssize_t r = pread(ac->dfd, (char *)buf + got, n * 4 - got, dframe_off(pos) + (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ac->io_errno = errno;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	memset((char *)buf + got, 0, n * 4 - got);
	return 0;
}

/* Sample i of a piece: table[raw[i]] (G.711 expanded as it is placed), else smp[i]. */
static inline int16_t piece_at(const int16_t *smp, const uint8_t *raw, const int16_t *table,
    size_t i)
{
	return table != NULL ? table[raw[i]] : smp[i];
}

/* Channel c's samples of frames d[0 .. k) (interleaved), the other side's kept. */
static inline void side_put(int16_t *d, int c, const int16_t *smp, const uint8_t *raw,
    const int16_t *table, size_t k)
{
	size_t i = 0;

	d += c;
	if (table != NULL) {                 /* the recorder's inner loops: unrolled */
		for (; i + 4 <= k; i += 4) {
			d[2 * i] = table[raw[i]];
			d[2 * i + 2] = table[raw[i + 1]];
			d[2 * i + 4] = table[raw[i + 2]];
			d[2 * i + 6] = table[raw[i + 3]];
		}
		for (; i < k; i++)
			d[2 * i] = table[raw[i]];
	} else {
		for (; i < k; i++)
			d[2 * i] = smp[i];
	}
}

/*
 * Writes k samples of channel c at frame pos, inside one direct block:
 * smp[], or with table set, table[raw[]] (G.711 expanded as it is placed,
 * without a pass through the decode buffer).  A block the file does not
 * have yet is not cleared when its slot takes it: the slot holds only
 * frames [lo, hi), the frames written and the gaps between them, zeroed
 * as they join, just before the piece lands there (in the cache then),
 * so the same bytes reach the file without a pass over the whole block.
 */
static void direct_piece(struct ct_audio_call *ac, int c, int64_t pos, const int16_t *smp,
    const uint8_t *raw, const int16_t *table, size_t k)
{
	int64_t b = dblk(pos), base = dbase(b), end = pos + (int64_t)k;
	struct dslot *s = &ac->dslot[b & 1];
	size_t i;

	int denied = 0;

	if (s->buf == NULL && (s->buf = cache_alloc(ac, DBLOCK * 2 * sizeof(int16_t), &denied)) == NULL &&
	    !denied) {
		ac->io_errno = ENOMEM;
		return;
	}
	/* behind its slot, or no slot for the budget: patch the file */
	if (s->buf == NULL || s->blk > b) {
		int16_t tmp[DBLOCK * 2];

		if (b < ac->dfile_blocks || s->buf != NULL) {
			if (dread(ac, tmp, pos, k) < 0)
				return;
		} else {
			dwait(ac);
			memset(tmp, 0, k * 4);     /* a block the file never had */
		}
		for (i = 0; i < k; i++)
			tmp[2 * i + c] = piece_at(smp, raw, table, i);
		if (ct_pwrite_all(ac->dfd, tmp, k * 4, dframe_off(pos)) < 0)
			ac->io_errno = errno;
		else if (s->buf == NULL && b >= ac->dfile_blocks)
			ac->dfile_blocks = b + 1;  /* the blocks between are holes: zeros */
		return;
	}
	if (s->blk != b) {
		if (dslot_flush(ac, s) < 0)
			return;
		s->whole = b < ac->dfile_blocks;
		if (s->whole && dread(ac, s->buf, base, DBLOCK) < 0)
			return;
		s->blk = b;
		s->lo = s->hi = pos;       /* nothing written yet */
	}
	if (!s->whole) {
		/* the frames [pos, end) adds to [lo, hi), with the gap between: zeros */
		if (s->lo == s->hi)
			memset(s->buf + 2 * (pos - base), 0, k * 4);
		if (s->lo < s->hi && pos < s->lo)
			memset(s->buf + 2 * (pos - base), 0, (size_t)(s->lo - pos) * 4);
		if (s->lo < s->hi && end > s->hi)
			memset(s->buf + 2 * (s->hi - base), 0, (size_t)(end - s->hi) * 4);
	}
	side_put(s->buf + 2 * (pos - base), c, smp, raw, table, k);
	if (pos < s->lo)
		s->lo = pos;
	if (end > s->hi)
		s->hi = end;
}

/*
 * Writes out a cached block both sides have gone past (each side's audio
 * reaches beyond its end), at once rather than when its slot is next
 * needed, a block later: the samples are still warm in the CPU cache when
 * write(2) copies them (issue 16: that copy was a third of the --audio
 * profile, most of it cache misses on blocks written half a second
 * earlier).  A packet that comes later for such a block patches the file,
 * as for any block behind its slot: the same bytes.
 */
static void direct_done(struct ct_audio_call *ac)
{
	int64_t m = ac->ch[0].len < ac->ch[1].len ? ac->ch[0].len : ac->ch[1].len;
	int i;

	for (i = 0; i < 2; i++) {
		struct dslot *s = &ac->dslot[i];

		if (s->blk >= 0 && dbase(s->blk + 1) <= m)
			(void)dslot_flush(ac, s);   /* an error stays in io_errno */
	}
}

/* Writes the direct cache out, the older block first; 0 or -1. */
static int direct_flush(struct ct_audio_call *ac)
{
	int first = ac->dslot[0].blk <= ac->dslot[1].blk ? 0 : 1;

	if (dslot_flush(ac, &ac->dslot[first]) < 0 || dslot_flush(ac, &ac->dslot[!first]) < 0)
		return -1;
	return 0;
}

/*
 * Writes n samples of channel c at sample pos: direct or to the store.
 * With table set the samples are table[raw[]] (direct files only: the
 * caller checked ac->dfd >= 0, s is NULL).
 */
static void audio_write_src(struct ct_audio_call *ac, int c, int64_t pos, const int16_t *s,
    const uint8_t *raw, const int16_t *table, size_t n)
{
	struct ct_audio_lru *l = lru_of(ac);

	if (l != NULL) {
		l->tick++;
		ac->reuse = ac->last_tick != 0 ? l->tick - ac->last_tick : UINT64_MAX;
		ac->last_tick = l->tick;
	}
	lru_touch(ac);
	if (!ac->direct_tried)
		direct_open(ac, ac->ch[c].rate);
	if (ac->dfd < 0) {
		scratch_write(ac, c, pos, s, n);
		return;
	}
	while (n > 0 && ac->io_errno == 0) {
		size_t k = (size_t)(dbase(dblk(pos) + 1) - pos);

		if (k > n)
			k = n;
		direct_piece(ac, c, pos, s, raw, table, k);
		if (pos + (int64_t)k > ac->ch[c].len) {
			ac->ch[c].len = pos + (int64_t)k;
			direct_done(ac);
		}
		pos += (int64_t)k;
		if (table != NULL)
			raw += k;
		else
			s += k;
		n -= k;
	}
}

static void audio_write(struct ct_audio_call *ac, int c, int64_t pos, const int16_t *s,
    size_t n)
{
	audio_write_src(ac, c, pos, s, NULL, NULL, n);
}

/* Closes the direct file (it has no name: it is gone) and returns its descriptor slot. */
static void direct_close(struct ct_audio_call *ac)
{
	if (ac->dfd < 0)
		return;
	dwait(ac);                 /* its queued writes go to this descriptor */
	close(ac->dfd);
	ac->dfd = -1;
	if (ac->fin != NULL)
		ct_audio_finisher_direct_give(ac->fin);
}

/*
 * A side of another rate joined a direct call: what the file holds moves
 * to the store (each side's samples, holes as zeros) and the call goes on
 * there.  0, or -1 with io_errno set.
 */
static int direct_demote(struct ct_audio_call *ac)
{
	int16_t *tmp = malloc(DBLOCK * 2 * sizeof(int16_t)), mono[DBLOCK];
	int c, rc = 0;

	if (tmp == NULL || direct_flush(ac) < 0) {
		if (ac->io_errno == 0)
			ac->io_errno = ENOMEM;
		rc = -1;
	}
	for (c = 0; c < 2 && rc == 0; c++) {
		int64_t pos, len = ac->ch[c].len;

		for (pos = 0; pos < len && rc == 0; pos += DBLOCK) {
			size_t n = (size_t)(len - pos < DBLOCK ? len - pos : DBLOCK), i;

			if (dread(ac, tmp, pos, n) < 0) {
				rc = -1;
				break;
			}
			for (i = 0; i < n; i++)
				mono[i] = tmp[2 * i + c];
			scratch_write(ac, c, pos, mono, n);
			rc = ac->io_errno != 0 ? -1 : 0;
		}
	}
	free(tmp);
	direct_close(ac);
	return rc;
}

/*
 * Ends a direct file: header, length cut to the last frame, size checked,
 * then linked under a free name.  0 with *final, or -1 with errbuf.
 */
static int direct_finish(struct ct_audio_call *ac, char **final, char *errbuf, const char *shown)
{
	int64_t frames = ac->ch[0].len > ac->ch[1].len ? ac->ch[0].len : ac->ch[1].len;
	uint8_t h[WAV_HEADER];
	struct stat st;

	dwait(ac);
	wav_header(h, ac->drate, frames);
	if (ct_pwrite_all(ac->dfd, h, sizeof(h), 0) < 0 ||
	    ftruncate(ac->dfd, dframe_off(frames)) != 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "audio: %s: %s", shown, strerror(errno));
		return -1;
	}
	if (fstat(ac->dfd, &st) != 0 || st.st_size != dframe_off(frames)) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "audio: %s: incomplete", shown);
		return -1;
	}
	if (final_link(ac, ac->dfd, NULL, final) != 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "audio: %s: %s", shown, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Whether ac's WAV file is written by interleave() itself, silence as
 * holes (see there): 16-bit stereo PCM whose size fits the header's 32
 * bits, on a little-endian host.  Else libsndfile writes it.
 */
static bool sparse_wav(const struct ct_audio_call *ac, int64_t frames)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return ac->fmt == CT_AUDIO_WAV && frames >= 0 && frames <= (INT64_C(0xFFFFFFFF) - 36) / 4;
#else
	(void)ac;
	(void)frames;
	return false;
#endif
}

/*
 * Writes the final file unnamed, checks it is complete, then links it
 * under a free name (see final_link).  Returns 0 with the malloc'ed name in
 * *final, or -1 with a message naming the intended path in errbuf and no
 * file left.
 */
static int write_file(struct ct_audio_call *ac, char **final, char *errbuf)
{
	uint32_t out = ac->ch[0].rate > ac->ch[1].rate ? ac->ch[0].rate : ac->ch[1].rate;
	int64_t frames = 0;
	SF_INFO info = { .samplerate = (int)out, .channels = 2, .format = sf_major[ac->fmt] };
	size_t n = strlen(ac->dir) + strlen(ac->name) + 16;
	char *shown = malloc(n), *tmp = NULL;
	struct stat st;
	SNDFILE *sf;
	int c, rc, fd;

	if (shown == NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "audio: out of memory");
		return -1;
	}
	snprintf(shown, n, "%s/%s.%s", ac->dir, ac->name, ext_name[ac->fmt]);
	if (ac->dfd >= 0) {
		rc = direct_finish(ac, final, errbuf, shown);
		free(shown);
		return rc;
	}
	for (c = 0; c < 2; c++) {
		int64_t f;

		if (ac->ch[c].rate == 0)
			continue;
		f = (ac->ch[c].len * (int64_t)out + ac->ch[c].rate - 1) / ac->ch[c].rate;
		if (f > frames)
			frames = f;
	}
	fd = final_open(ac, &tmp);
	if (fd < 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "audio: %s: %s", shown, strerror(errno));
		free(shown);
		return -1;
	}
	if (sparse_wav(ac, frames)) {
		uint8_t h[WAV_HEADER];

		wav_header(h, out, frames);
		rc = interleave(ac, NULL, fd, out, frames, errbuf, shown);
		if (rc == 0 && (ct_pwrite_all(fd, h, sizeof(h), 0) < 0 ||
		    ftruncate(fd, (off_t)(WAV_HEADER + frames * 4)) != 0)) {
			snprintf(errbuf, CT_ERRBUF_SIZE, "audio: %s: %s", shown, strerror(errno));
			rc = -1;
		}
		goto check;
	}
	sf = sf_open_fd(fd, SFM_WRITE, &info, SF_FALSE);
	if (sf == NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "audio: %s: %s", shown, sf_strerror(NULL));
		rc = -1;
		goto out;
	}
	rc = interleave(ac, sf, -1, out, frames, errbuf, shown);
	if (sf_close(sf) != 0 && rc == 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "audio: %s: close failed", shown);
		rc = -1;
	}
check:
	/* A WAV's size is known: catch a header or tail the library lost. */
	if (rc == 0 && (fstat(fd, &st) != 0 ||
	    (ac->fmt == CT_AUDIO_WAV && st.st_size < 44 + frames * 4) || st.st_size == 0)) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "audio: %s: incomplete (%lld bytes)", shown,
		    (long long)st.st_size);
		rc = -1;
	}
	if (rc == 0 && final_link(ac, fd, tmp, final) != 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "audio: %s: %s", shown, strerror(errno));
		rc = -1;
	}
out:
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(shown);
	close(fd);
	return rc;
}

/* Writes the recording and sets *path to its name; 0 or -1 with errbuf. */
static int produce(struct ct_audio_call *ac, char **path, char *errbuf)
{
	return write_file(ac, path, errbuf);
}

/* Frees ac; its store blocks go back to the store (recorder side). */
void ct_audio_call_free(struct ct_audio_call *ac)
{
	size_t i, b;
	int c;

	lru_forget(ac);
	for (i = 0; i < ac->n_streams; i++)
		if (ac->streams[i].state != NULL)
			ac->streams[i].codec->state_free(ac->streams[i].state);
	for (c = 0; c < 2; c++) {
		for (b = 0; ac->store != NULL && b < ac->ch[c].map_n; b++)
			if (ac->ch[c].map[b] != 0)
				ct_audio_store_release(ac->store, ac->ch[c].map[b] - 1);
		free(ac->ch[c].map);
		free(ac->ch[c].cache);
	}
	direct_close(ac);
	free(ac->dslot[0].buf);
	free(ac->dslot[1].buf);
	ct_audio_store_free(ac->own);
	free(ac->scratch);
	free(ac->dir);
	free(ac->name);
	free(ac->bufs.pcm);
	free(ac->bufs.conv);
	free(ac);
}

/*
 * First half of finishing, in the thread that added the packets (the
 * capture thread): tells what the recording will be.  *undecodable (when
 * undecodable is not NULL) gets a malloc'ed list of codecs without
 * decoder, or NULL.  Returns 1 with the malloc'ed path that
 * ct_audio_call_produce() will try first in *path (it takes
 * "<name>-2.<ext>" ... when that exists, and reports the name it used); 0
 * when no decodable packet was added (no file; *path NULL); -1 with a
 * message in errbuf when out of memory (*path NULL, *undecodable NULL).
 * Whether the file is written is only known once settle and produce ran
 * (packets may still be dropped there).  ac stays allocated.
 */
int ct_audio_call_prepare(struct ct_audio_call *ac, char **path, char **undecodable,
    char *errbuf)
{
	size_t n;

	*path = NULL;
	if (undecodable != NULL) {
		*undecodable = ac->undec[0] != '\0' ? strdup(ac->undec) : NULL;
		if (ac->undec[0] != '\0' && *undecodable == NULL) {
			snprintf(errbuf, CT_ERRBUF_SIZE, "audio: out of memory");
			return -1;
		}
	}
	if (!ac->has_audio)
		return 0;
	n = strlen(ac->dir) + strlen(ac->name) + 16;
	if ((*path = malloc(n)) == NULL) {
		if (undecodable != NULL) {
			free(*undecodable);
			*undecodable = NULL;
		}
		snprintf(errbuf, CT_ERRBUF_SIZE, "audio: out of memory");
		return -1;
	}
	snprintf(*path, n, "%s/%s.%s", ac->dir, ac->name, ext_name[ac->fmt]);
	return 1;
}

/*
 * Where the packets were decoded: writes the cached samples to the store.
 * Returns 1 when there is audio to write, 0 when none was placed, -1 with
 * a message in errbuf after a scratch I/O error.
 */
int ct_audio_call_settle(struct ct_audio_call *ac, char *errbuf)
{
	int c;

	if (ac->store != NULL && ac->io_errno == 0)
		for (c = 0; c < 2; c++)
			cache_flush(ac, c);
	if (ac->dfd >= 0 && ac->io_errno == 0)
		direct_flush(ac);
	if (ac->dfd >= 0)
		dwait(ac);         /* its last blocks are in the file, or io_errno says why not */
	if (ac->io_errno != 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "audio: %s: %s",
		    ac->scratch != NULL ? ac->scratch : ac->dir, strerror(ac->io_errno));
		return -1;
	}
	return ac->ch[0].len > 0 || ac->ch[1].len > 0;
}

/*
 * Last part, after ct_audio_call_settle() returned 1: writes the final
 * file (unnamed until complete, then linked under a free name, never
 * replacing a file).  Returns 0 with the malloc'ed name in *path (when
 * path is not NULL), or -1 with a message naming the path in errbuf (no
 * file is left then; *path NULL).  ac stays allocated.
 */
int ct_audio_call_produce(struct ct_audio_call *ac, char **path, char *errbuf)
{
	char *p = NULL;
	int rc = produce(ac, &p, errbuf);

	if (path != NULL)
		*path = p;
	else
		free(p);
	return rc;
}

/*
 * Hands ac to finisher f: its packets are decoded and its store blocks
 * taken on f's recorder thread from now on, and it must end through
 * ct_audio_finisher_submit() or ct_audio_finisher_discard() (f must
 * outlive ac).  Call before the first ct_audio_call_add.
 */
void ct_audio_call_set_finisher(struct ct_audio_call *ac, struct ct_audio_finisher *f)
{
	if (ac != NULL)
		ac->fin = f;
}

void ct_audio_call_set_durable(struct ct_audio_call *ac, int on)
{
	if (ac != NULL)
		ac->durable = on;
}

/* The finisher ac was handed to, or NULL. */
struct ct_audio_finisher *ct_audio_call_finisher(const struct ct_audio_call *ac)
{
	return ac->fin;
}

/* Drops a recording without writing a file (calls that were not answered). */
void ct_audio_call_discard(struct ct_audio_call *ac)
{
	if (ac == NULL)
		return;
	if (ac->fin != NULL)
		ct_audio_finisher_discard(ac->fin, ac);   /* packets may still be queued */
	else
		ct_audio_call_free(ac);
}

/*
 * Ends the recording: writes "<dir>/<YYYYmmdd-HHMMSS>_<call id>.<ext>"
 * (start time in UTC; "-2", "-3" ... before the extension when that name
 * exists: never replaced) and gives the scratch blocks back.  On success returns 0
 * with a malloc'ed path in *path, or NULL when no decodable audio was added
 * (no file then); *undecodable gets a malloc'ed comma-separated list of
 * codec names without decoder, or NULL.  On an I/O error (directory missing,
 * disk full...) returns -1 with a message naming the path in errbuf, *path
 * NULL and *undecodable still set.  ac is freed either way; NULL ac returns
 * 0 and leaves *path and *undecodable NULL.  path or undecodable may be
 * NULL when the caller does not want that result.  A recording handed to a
 * finisher must end through it instead (this drops it and returns -1).
 */
int ct_audio_call_finish(struct ct_audio_call *ac, char **path, char **undecodable,
    char *errbuf)
{
	char *p = NULL;
	int rc;

	if (path != NULL)
		*path = NULL;
	if (undecodable != NULL)
		*undecodable = NULL;
	if (ac == NULL)
		return 0;
	if (ac->fin != NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "audio: recording handed to a finisher finished in place");
		ct_audio_finisher_discard(ac->fin, ac);
		return -1;
	}
	rc = ct_audio_call_prepare(ac, &p, undecodable, errbuf);
	free(p);                /* the name actually taken comes from produce */
	p = NULL;
	if (rc > 0)
		rc = ct_audio_call_settle(ac, errbuf);
	if (rc > 0)
		rc = ct_audio_call_produce(ac, &p, errbuf);
	ct_audio_call_free(ac);
	if (path != NULL)
		*path = p;
	else
		free(p);
	return rc;
}
