/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Private declarations of the audio module (src/audio): G.711 companding
 * and the codec method table used by the recording writer.
 */
#ifndef CALLTAP_AUDIO_INT_H
#define CALLTAP_AUDIO_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ITU-T G.711 expansion / compression, 16-bit linear PCM (g711.c). */
int16_t ct_g711_ulaw_decode(uint8_t u);
int16_t ct_g711_alaw_decode(uint8_t a);
uint8_t ct_g711_ulaw_encode(int16_t pcm);
uint8_t ct_g711_alaw_encode(int16_t pcm);
/* The expansion tables behind the two decoders (for the codec loops). */
extern const int16_t ct_g711_ulaw_table[256];
extern const int16_t ct_g711_alaw_table[256];

/* Returns the number of samples written to out (<= max_out), or -1 when the
 * payload is malformed for the codec. */
typedef int ct_codec_decode_fn(void *state, const uint8_t *in, size_t len,
    int16_t *out, size_t max_out);

struct ct_codec {
	const char *name;          /* SDP encoding name (RFC 3551 / 4566) */
	uint32_t clock_rate;       /* RTP timestamp rate, Hz */
	uint32_t rate;             /* decoded sample rate, Hz */
	uint32_t per_byte;         /* max_samples = len * per_byte + extra */
	uint32_t extra;
	void *(*state_new)(void);  /* NULL for stateless codecs */
	void (*state_free)(void *state);
	ct_codec_decode_fn *decode;
	uint8_t fmt_mask;          /* payload-format flags (CT_CODEC_*) the row depends on */
	uint8_t fmt;               /* their values for this row */
	const int16_t *table;      /* one sample per byte through this table (G.711), else NULL */
};

/* Upper bound of the samples one payload of len bytes decodes to. */
size_t ct_codec_max_samples(const struct ct_codec *c, size_t len);

/*
 * Decode and rate-conversion buffers: the recorder's one set serves every
 * call it decodes (warm in the cache), a call in place has its own.
 */
struct ct_audio_bufs {
	int16_t *pcm, *conv;
	size_t pcm_cap, conv_cap;  /* samples */
};
struct ct_audio_finisher;
struct ct_audio_bufs *ct_audio_finisher_bufs(struct ct_audio_finisher *f);

/* Samples per channel block: the unit of the write cache and the store. */
#define CT_AUDIO_BLOCK 4096
#define CT_AUDIO_BLOCK_BYTES (CT_AUDIO_BLOCK * 2)
/*
 * Stereo frames per block of a direct WAV's write cache (two blocks a
 * call, 16 KiB each): the unit of its writes, each a whole number of
 * pages of the file (writer.c).  Issue 16: 8 KiB writes cost the kernel
 * about twice the system time of 16 KiB ones for the same bytes.
 */
#define CT_AUDIO_DBLOCK 4096
#define CT_AUDIO_DBLOCK_BYTES (CT_AUDIO_DBLOCK * 4)

/*
 * Finishing a recording in two halves (writer.c).  prepare runs in the
 * thread that adds the packets (the capture thread): the undecodable list
 * and the path the file will try first (1), or 0 when no decodable packet
 * was added.  settle and produce run where the packets are decoded (the
 * recorder thread, or in place): settle writes the cached samples to the
 * store and returns 1 (audio to write), 0 (none: every packet was dropped)
 * or -1 with a message (scratch I/O error); produce writes the final file.
 */
struct ct_audio_call;
int ct_audio_call_prepare(struct ct_audio_call *ac, char **path, char **undecodable,
    char *errbuf);
int ct_audio_call_settle(struct ct_audio_call *ac, char *errbuf);
int ct_audio_call_produce(struct ct_audio_call *ac, char **path, char *errbuf);
/* Frees ac and gives its store blocks back (recorder side). */
void ct_audio_call_free(struct ct_audio_call *ac);
/* The finisher ac was handed to (ct_audio_call_set_finisher), or NULL. */
struct ct_audio_finisher *ct_audio_call_finisher(const struct ct_audio_call *ac);

/*
 * The decoding half of ct_audio_call_add: codec already looked up (not
 * NULL); runs in the recorder thread (or in place without one).
 */
void ct_audio_call_add_decoded(struct ct_audio_call *ac, int channel,
    const struct ct_codec *codec, uint32_t clock_rate, uint32_t ssrc, uint32_t rtp_ts,
    int64_t arrival_us, const uint8_t *payload, size_t len);

/* Prefetches what a packet of channel will touch: stage 0 the call, 1 its write cache. */
void ct_audio_call_prefetch(const struct ct_audio_call *ac, int channel, int stage);

/*
 * Hands one packet of ac to the finisher's recorder thread (copied into its
 * ring; waits while the ring is full, counted).  In place when f has no
 * thread.
 */
struct ct_audio_finisher;
void ct_audio_finisher_packet(struct ct_audio_finisher *f, struct ct_audio_call *ac,
    int channel, const struct ct_codec *codec, uint32_t clock_rate, uint32_t ssrc,
    uint32_t rtp_ts, int64_t arrival_us, const uint8_t *payload, size_t len);

/* Anonymous scratch file in dir (read-write, close-on-exec), or -1 with errno. */
int ct_audio_scratch_create(const char *dir);

/*
 * The scratch store (store.c): one anonymous file of CT_AUDIO_BLOCK_BYTES
 * blocks shared by every call recorded by one thread, so open files do not
 * grow with concurrent calls.
 */
struct ct_audio_store;
struct ct_audio_store *ct_audio_store_new(const char *dir);
void ct_audio_store_free(struct ct_audio_store *s);
int ct_audio_store_fd(const struct ct_audio_store *s);
int64_t ct_audio_store_alloc(struct ct_audio_store *s);
void ct_audio_store_release(struct ct_audio_store *s, uint32_t idx);
void ct_audio_store_usage(const struct ct_audio_store *s, uint32_t *blocks, uint32_t *used);
/*
 * Descriptors for recordings written directly (writer.c, direct WAV): take
 * returns 1 when one more may be open (then give it back when closed), 0
 * when the budget (half the open-file limit left at start) is used up.
 * Recorder thread only.
 */
int ct_audio_finisher_direct_take(struct ct_audio_finisher *f);
void ct_audio_finisher_direct_give(struct ct_audio_finisher *f);

/*
 * Write-cache memory of the calls one recorder decodes (writer.c): each
 * call holding buffers is on a list, least recently written first; bytes
 * is what they hold together, max the budget (CT_AUDIO_CACHE_MAX).  A call
 * that needs a buffer beyond it takes the buffers of the call written least
 * recently (written out and freed) only when that call has been idle longer
 * than the gap since the asking call's previous write (it will likely be
 * written again sooner); otherwise it writes that piece straight through,
 * uncached.  tick counts writes.  Recorder thread only.
 */
#define CT_AUDIO_CACHE_MAX ((size_t)128 << 20)  /* about 4,000 busy calls */
/*
 * The list's links live in one array of nodes, not in the calls: a write
 * moves its call to the end, which touched the calls before and after it
 * and the old last one, three cache misses a packet with a thousand calls
 * recorded at once; their nodes share a few lines that stay cached.
 */
#define CT_AUDIO_LRU_NONE UINT32_MAX
struct ct_audio_lru_node {
	uint32_t prev, next;        /* node indices, CT_AUDIO_LRU_NONE at the ends */
	struct ct_audio_call *ac;   /* NULL: free (next chains the free nodes) */
};
struct ct_audio_lru {
	struct ct_audio_call *head, *tail;  /* the calls at the ends, NULL: empty */
	struct ct_audio_lru_node *node;
	uint32_t n_node;            /* nodes allocated */
	uint32_t first, last, free; /* head, tail, free chain (indices) */
	size_t bytes, max;
	uint64_t tick;              /* writes so far (the clock of the idle times) */
	uint64_t evictions;         /* buffers written out early for the budget */
	uint64_t through;           /* pieces written uncached for the budget */
};
struct ct_audio_lru *ct_audio_finisher_lru(struct ct_audio_finisher *f);

/*
 * The file writer (finisher.c): a thread of the finisher that does the
 * recorder's whole-block writes of direct WAV files, so that the kernel's
 * part of a write (copying into the page cache, ext4's block reservation:
 * most of the recorder's time, issue 16) runs beside the decoding.
 * ct_audio_finisher_write queues a write of len bytes at data (inside buf,
 * a CT_AUDIO_DBLOCK_BYTES block that the writer then owns) at off of fd;
 * *pending counts the caller's queued writes (decremented as each is done)
 * and *err receives the first errno.  It returns a block to use in buf's
 * place, or NULL (no writer thread, or out of memory: nothing queued,
 * the caller writes itself).  ct_audio_finisher_write_wait returns once
 * *pending is 0: call it before anything else touches fd (reads, patches,
 * the header, close).  Recorder thread only.
 */
void *ct_audio_finisher_write(struct ct_audio_finisher *f, int fd, void *buf, const void *data,
    size_t len, off_t off, unsigned *pending, int *err);
void ct_audio_finisher_write_wait(struct ct_audio_finisher *f, const unsigned *pending);

/*
 * An unnamed file (O_TMPFILE, read-write, close-on-exec) in dir that the
 * writer thread made ahead, or -1 (none ready, no writer, another dir, or
 * O_TMPFILE unusable there): the caller makes its own.  Recorder only.
 */
int ct_audio_finisher_tmpfile(struct ct_audio_finisher *f, const char *dir);

/* The recorder's store (created for dir on first use), NULL on ENOMEM. */
struct ct_audio_store *ct_audio_finisher_store(struct ct_audio_finisher *f, const char *dir);

#endif
