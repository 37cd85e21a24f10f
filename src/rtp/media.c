/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Media matching: maps RTP packets to calls in O(1).
 *
 * Two chained hash tables: endpoints (address:port announced in an SDP offer
 * or answer, RFC 3264, or learnt from a matched flow's source for symmetric
 * RTP behind NAT, RFC 4961) and streams (4-tuple + SSRC, RFC 3550 §8).  A
 * packet is first looked up as a stream; only the first packet of a stream
 * looks up endpoints (destination first, then source).  Each call's media
 * state lists its endpoints and streams so that closing a call releases them
 * without scanning anything else.  Packets that look like RTP but match no
 * call are counted as orphans.
 * Workload: up to ~100k concurrent calls with 2-4 streams each; every RTP
 * packet does one hash lookup and one ct_rtp_stream_update.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>
#include <string.h>

#include "calltap/audio.h"
#include "calltap/err.h"
#include "calltap/media.h"
#include "calltap/rtp.h"

#define MEDIA_MAX_PT 24      /* payload type names kept per call */
#define MEDIA_PT_STEP 4      /* pts[] grows by this many (most calls offer <= 4) */
#define MEDIA_MIN_BUCKETS 1024
#define MEDIA_ORPHAN_MIN_PACKETS 10 /* fewer: noise that happened to parse as RTP */

struct pt_name {
	uint8_t pt;
	uint32_t rate;
	char name[24];
};

struct call_media;

struct endpoint {
	struct ct_addr addr;
	uint16_t port;
	struct call_media *cm;
	struct endpoint *hnext;   /* hash chain */
	struct endpoint *cnext;   /* call's list */
	uint8_t side;             /* enum ct_party receiving here (who announced it) */
};

struct mstream {
	struct ct_addr src, dst;
	uint16_t sport, dport;
	struct call_media *cm;
	struct mstream *hnext;
	struct mstream *cnext;
	struct mstream *lprev, *lnext; /* orphans only: least recently used first */
	int last_pt;              /* payload type whose clock rate st uses */
	uint8_t speaker;          /* enum ct_party whose voice this stream carries */
	struct ct_rtp_stream st;
};

struct call_media {
	struct ct_dialog *d;
	struct call_media *prev, *next; /* all call media of the table */
	struct endpoint *endpoints;
	struct mstream *streams;
	size_t n_streams;
	struct ct_audio_call *audio;    /* recording, NULL until the first packet */
	bool audio_failed;              /* could not start the recording */
	uint8_t n_pt, cap_pt;
	uint8_t dtmf_pt;
	struct pt_name *pts;            /* n_pt used of cap_pt, at most MEDIA_MAX_PT */
};

struct htab {
	void **b;       /* buckets */
	size_t mask;    /* buckets - 1 */
	size_t n;       /* entries */
};

struct ct_media_table {
	struct htab ep;
	struct htab st;
	size_t max_flows;
	struct call_media *calls;       /* list of every call's media */
	struct htab orph;               /* RTP streams of no known call */
	struct mstream *orph_head, *orph_tail; /* orphans, least recently seen first */
	ct_media_orphan_fn orphan_fn;   /* reports an orphan stream when it ends */
	void *orphan_user;
	const char *audio_dir;          /* record answered calls here; NULL = off */
	enum ct_audio_format audio_fmt;
	struct ct_audio_finisher *finisher; /* writes the files; NULL: in place */
	char audio_err[CT_ERRBUF_SIZE]; /* first recording error, "" = none */
	struct ct_media_stats stats;
};

static int htab_init(struct htab *h, size_t buckets)
{
	h->b = calloc(buckets, sizeof(void *));
	h->mask = buckets - 1;
	h->n = 0;
	return h->b != NULL ? CT_OK : CT_NOMEM;
}

static uint32_t ep_hash(const struct ct_addr *a, uint16_t port)
{
	return ct_addr_hash(a, 0x9e3779b9u ^ port);
}

static uint32_t st_hash(const struct ct_addr *s, uint16_t sp, const struct ct_addr *d, uint16_t dp)
{
	return ct_addr_hash(s, ct_addr_hash(d, ((uint32_t)sp << 16) | dp));
}

static size_t ep_bucket(const struct htab *h, const struct endpoint *e)
{
	return ep_hash(&e->addr, e->port) & h->mask;
}

static size_t st_bucket(const struct htab *h, const struct mstream *m)
{
	return st_hash(&m->src, m->sport, &m->dst, m->dport) & h->mask;
}

/*
 * Doubles the bucket array when the load passes 1.  Entries are chained
 * through a `next` pointer at next_off; bucket() rehashes one entry.  A failed
 * allocation keeps the old array (longer chains, still correct).
 */
static void htab_maybe_grow(struct htab *h, size_t next_off,
    size_t (*bucket)(const struct htab *, const void *))
{
	struct htab nh;
	size_t i;

	if (h->n <= h->mask + 1 || htab_init(&nh, (h->mask + 1) * 2) != CT_OK)
		return;
	nh.n = h->n;
	for (i = 0; i <= h->mask; i++) {
		void *x = h->b[i];

		while (x != NULL) {
			void **nextp = (void **)((char *)x + next_off);
			void *next = *nextp;
			size_t nb = bucket(&nh, x);

			*nextp = nh.b[nb];
			nh.b[nb] = x;
			x = next;
		}
	}
	free(h->b);
	*h = nh;
}

static size_t ep_bucket_v(const struct htab *h, const void *x)
{
	return ep_bucket(h, x);
}

static size_t st_bucket_v(const struct htab *h, const void *x)
{
	return st_bucket(h, x);
}

static struct endpoint *ep_find(const struct ct_media_table *t, const struct ct_addr *a, uint16_t port)
{
	struct endpoint *e = t->ep.b[ep_hash(a, port) & t->ep.mask];

	for (; e != NULL; e = e->hnext)
		if (e->port == port && ct_addr_eq(&e->addr, a))
			return e;
	return NULL;
}

static void ep_unlink(struct ct_media_table *t, struct endpoint *e)
{
	struct endpoint **pp = (struct endpoint **)&t->ep.b[ep_bucket(&t->ep, e)];

	for (; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == e) {
			*pp = e->hnext;
			t->ep.n--;
			return;
		}
	}
}

static void st_unlink(struct ct_media_table *t, struct mstream *m)
{
	struct mstream **pp = (struct mstream **)&t->st.b[st_bucket(&t->st, m)];

	for (; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == m) {
			*pp = m->hnext;
			t->st.n--;
			return;
		}
	}
}

/* Keeps the first recording error for the report; counts every one. */
static void audio_error(struct ct_media_table *t, const char *msg)
{
	t->stats.audio_errors++;
	if (t->audio_err[0] == '\0')
		snprintf(t->audio_err, sizeof(t->audio_err), "%s", msg);
}

/* Adds addr:port for cm unless cm already owns it; newest owner wins lookups. */
static void ep_add(struct ct_media_table *t, struct call_media *cm,
    const struct ct_addr *a, uint16_t port, uint8_t side)
{
	struct endpoint *e = ep_find(t, a, port);
	size_t b;

	if (e != NULL && e->cm == cm)
		return;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return;
	e->addr = *a;
	e->port = port;
	e->cm = cm;
	e->side = side;
	e->cnext = cm->endpoints;
	cm->endpoints = e;
	b = ep_bucket(&t->ep, e);
	e->hnext = t->ep.b[b];
	t->ep.b[b] = e;
	t->ep.n++;
	htab_maybe_grow(&t->ep, offsetof(struct endpoint, hnext), ep_bucket_v);
}

/*
 * Creates an empty media table.  max_flows bounds the streams tracked at once
 * (0 = 1,000,000).  Returns NULL when out of memory.
 */
struct ct_media_table *ct_media_new(size_t max_flows)
{
	struct ct_media_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->max_flows = max_flows ? max_flows : 1000000;
	if (htab_init(&t->ep, MEDIA_MIN_BUCKETS) != CT_OK ||
	    htab_init(&t->st, MEDIA_MIN_BUCKETS) != CT_OK ||
	    htab_init(&t->orph, MEDIA_MIN_BUCKETS) != CT_OK) {
		ct_media_free(t);
		return NULL;
	}
	return t;
}

/* Adds the finisher's failures since the last look to the table's. */
static void audio_collect(struct ct_media_table *t)
{
	char errbuf[CT_ERRBUF_SIZE];
	uint64_t n = ct_audio_finisher_take_errors(t->finisher, errbuf);

	if (n > 0) {
		audio_error(t, errbuf);
		t->stats.audio_errors += n - 1;
	}
}

/*
 * Ends cm's recording.  Only answered calls get a file (QA listens to
 * conversations, not ringback); its path and any undecodable codecs go to
 * rec.  The file itself is written by the finisher thread when there is
 * one: the path is where it will be once ct_media_flush() returns.
 */
static void audio_finish(struct ct_media_table *t, struct call_media *cm,
    struct ct_call_record *rec)
{
	char errbuf[CT_ERRBUF_SIZE];
	char *path = NULL, *undecodable = NULL;

	if (cm->audio == NULL)
		return;
	if (rec == NULL || rec->disposition != CT_DISP_ANSWERED) {
		ct_audio_finisher_discard(t->finisher, cm->audio);
		cm->audio = NULL;
		return;
	}
	errbuf[0] = '\0';
	if (ct_audio_finisher_submit(t->finisher, cm->audio, &path, &undecodable, errbuf) != 0)
		audio_error(t, errbuf);
	cm->audio = NULL;
	audio_collect(t);
	rec->recording = path;
	rec->undecodable = undecodable;
	if (path != NULL)
		t->stats.recordings++;
}

static void call_media_free(struct ct_media_table *t, struct call_media *cm)
{
	audio_finish(t, cm, NULL);
	while (cm->endpoints != NULL) {
		struct endpoint *e = cm->endpoints;

		cm->endpoints = e->cnext;
		ep_unlink(t, e);
		free(e);
	}
	while (cm->streams != NULL) {
		struct mstream *m = cm->streams;

		cm->streams = m->cnext;
		st_unlink(t, m);
		free(m);
	}
	if (cm->prev != NULL)
		cm->prev->next = cm->next;
	else
		t->calls = cm->next;
	if (cm->next != NULL)
		cm->next->prev = cm->prev;
	free(cm->pts);
	free(cm);
}

static struct mstream *orph_find(const struct ct_media_table *t, const struct ct_packet *pkt,
    uint32_t ssrc)
{
	struct mstream *m = t->orph.b[st_hash(&pkt->t.src, pkt->t.sport, &pkt->t.dst,
	    pkt->t.dport) & t->orph.mask];

	for (; m != NULL; m = m->hnext)
		if (m->st.ssrc == ssrc && m->sport == pkt->t.sport && m->dport == pkt->t.dport &&
		    ct_addr_eq(&m->src, &pkt->t.src) && ct_addr_eq(&m->dst, &pkt->t.dst))
			return m;
	return NULL;
}

static void lru_unlink(struct ct_media_table *t, struct mstream *m)
{
	if (m->lprev != NULL)
		m->lprev->lnext = m->lnext;
	else
		t->orph_head = m->lnext;
	if (m->lnext != NULL)
		m->lnext->lprev = m->lprev;
	else
		t->orph_tail = m->lprev;
	m->lprev = m->lnext = NULL;
}

static void lru_append(struct ct_media_table *t, struct mstream *m)
{
	m->lprev = t->orph_tail;
	m->lnext = NULL;
	if (t->orph_tail != NULL)
		t->orph_tail->lnext = m;
	else
		t->orph_head = m;
	t->orph_tail = m;
}

/*
 * An orphan stream ended (idle, evicted, or end of input): reported when
 * report is set and it looks like a real stream (MEDIA_ORPHAN_MIN_PACKETS),
 * then freed.
 */
static void orphan_end(struct ct_media_table *t, struct mstream *m, bool report)
{
	struct ct_stream_stats out;
	const char *name;

	lru_unlink(t, m);
	{
		struct mstream **pp = (struct mstream **)&t->orph.b[st_bucket(&t->orph, m)];

		for (; *pp != NULL; pp = &(*pp)->hnext)
			if (*pp == m) {
				*pp = m->hnext;
				t->orph.n--;
				break;
			}
	}
	if (report && t->orphan_fn != NULL && m->st.packets >= MEDIA_ORPHAN_MIN_PACKETS) {
		memset(&out, 0, sizeof(out));
		ct_rtp_stream_stats(&m->st, &out);
		out.src = m->src;
		out.dst = m->dst;
		out.sport = m->sport;
		out.dport = m->dport;
		name = out.payload_type >= 0 ? ct_rtp_static_codec((uint8_t)out.payload_type, NULL) : NULL;
		if (name != NULL && out.codec[0] == '\0')
			snprintf(out.codec, sizeof(out.codec), "%s", name);
		t->stats.orphan_streams++;
		t->orphan_fn(t->orphan_user, &out);
	}
	free(m);
}

/*
 * Tracks RTP of no known call as an orphan stream (4-tuple + SSRC), bounded
 * by max_flows / 4 entries: the least recently seen one is ended first.
 */
static void orphan_packet(struct ct_media_table *t, const struct ct_packet *pkt,
    const struct ct_rtp_hdr *h)
{
	struct mstream *m = orph_find(t, pkt, h->ssrc);
	size_t b;

	if (m == NULL) {
		if (t->orph.n >= t->max_flows / 4 && t->orph_head != NULL)
			orphan_end(t, t->orph_head, true);
		if ((m = calloc(1, sizeof(*m))) == NULL)
			return;
		m->src = pkt->t.src;
		m->dst = pkt->t.dst;
		m->sport = pkt->t.sport;
		m->dport = pkt->t.dport;
		m->last_pt = h->pt;
		ct_rtp_stream_init(&m->st, h->ssrc, 0);
		if (ct_rtp_static_codec(h->pt, &m->st.clock_rate) == NULL)
			m->st.clock_rate = 0;
		b = st_bucket(&t->orph, m);
		m->hnext = t->orph.b[b];
		t->orph.b[b] = m;
		t->orph.n++;
		htab_maybe_grow(&t->orph, offsetof(struct mstream, hnext), st_bucket_v);
	} else {
		lru_unlink(t, m);
	}
	lru_append(t, m);
	ct_rtp_stream_update(&m->st, h, pkt->ts_us);
}

/*
 * Ends orphan streams idle for idle_us at capture time now_us (O(ended)),
 * reporting them through the orphan hook.
 */
void ct_media_expire(struct ct_media_table *t, int64_t now_us, int64_t idle_us)
{
	while (t->orph_head != NULL && now_us - t->orph_head->st.last_us >= idle_us)
		orphan_end(t, t->orph_head, true);
}

/*
 * End of input: reports and frees every orphan stream, and waits until every
 * recording handed to the finisher is written (failures are counted then).
 */
void ct_media_flush(struct ct_media_table *t)
{
	while (t->orph_head != NULL)
		orphan_end(t, t->orph_head, true);
	ct_audio_finisher_drain(t->finisher);
	audio_collect(t);
}

/* Sets the hook that receives each orphan stream when it ends (NULL = none). */
void ct_media_set_orphan_hook(struct ct_media_table *t, ct_media_orphan_fn fn, void *user)
{
	t->orphan_fn = fn;
	t->orphan_user = user;
}

/*
 * Frees the table and any call media still in it (normally every call was
 * released through ct_media_closing first).  NULL is a no-op.
 */
void ct_media_free(struct ct_media_table *t)
{
	if (t == NULL)
		return;
	while (t->calls != NULL)
		call_media_free(t, t->calls);
	while (t->orph_head != NULL)
		orphan_end(t, t->orph_head, false);
	ct_audio_finisher_free(t->finisher);
	free(t->ep.b);
	free(t->st.b);
	free(t->orph.b);
	free(t);
}

static struct call_media *call_media_get(struct ct_media_table *t, struct ct_dialog *d)
{
	struct call_media *cm = ct_dialog_media_get(d);

	if (cm != NULL)
		return cm;
	cm = calloc(1, sizeof(*cm));
	if (cm == NULL)
		return NULL;
	cm->d = d;
	cm->next = t->calls;
	if (t->calls != NULL)
		t->calls->prev = cm;
	t->calls = cm;
	ct_dialog_media_set(d, cm);
	return cm;
}

static const struct pt_name *pt_lookup(const struct call_media *cm, uint8_t pt)
{
	uint8_t i;

	for (i = 0; i < cm->n_pt; i++)
		if (cm->pts[i].pt == pt)
			return &cm->pts[i];
	return NULL;
}

static void learn_codecs(struct call_media *cm, const struct ct_sdp_media *md)
{
	uint8_t i;

	for (i = 0; i < md->n_codecs; i++) {
		const struct ct_sdp_codec *c = &md->codecs[i];
		struct pt_name *p = (struct pt_name *)pt_lookup(cm, c->pt);

		if (p == NULL) {
			if (cm->n_pt == cm->cap_pt) {
				/* Grown on demand: a fixed array cost 768 bytes per call. */
				struct pt_name *np;

				if (cm->cap_pt == MEDIA_MAX_PT ||
				    (np = realloc(cm->pts, (cm->cap_pt + MEDIA_PT_STEP) * sizeof(*np))) == NULL)
					continue;
				cm->pts = np;
				cm->cap_pt += MEDIA_PT_STEP;
			}
			p = &cm->pts[cm->n_pt++];
		}
		p->pt = c->pt;
		p->rate = c->rate;
		snprintf(p->name, sizeof(p->name), "%s", c->name);
		if (strcasecmp(c->name, "telephone-event") == 0)
			cm->dtmf_pt = c->pt;
	}
}

/*
 * Records the media endpoints of an SDP body seen in call d (offer or
 * answer, initial or re-INVITE, early media in 183).  Disabled streams
 * (port 0) and hold addresses (0.0.0.0) are ignored.
 */
void ct_media_on_sdp(struct ct_media_table *t, struct ct_dialog *d, const struct ct_sip_msg *m)
{
	struct call_media *cm;
	uint8_t side;
	uint8_t i;

	if (!m->has_sdp || (cm = call_media_get(t, d)) == NULL)
		return;
	side = (uint8_t)ct_dialog_sender(d, m);
	for (i = 0; i < m->sdp.n_media; i++) {
		const struct ct_sdp_media *md = &m->sdp.media[i];
		static const uint8_t zero[16];

		if (md->port == 0 || md->addr.family == 0)
			continue;
		if (memcmp(md->addr.a, zero, sizeof(zero)) == 0)
			continue;
		learn_codecs(cm, md);
		ep_add(t, cm, &md->addr, md->port, side);
		/* RTCP on the next port (RFC 3550 §11) belongs to the call too. */
		ep_add(t, cm, &md->addr, (uint16_t)(md->port + 1), side);
	}
}

static struct mstream *st_find(const struct ct_media_table *t, const struct ct_packet *pkt, uint32_t ssrc)
{
	struct mstream *m = t->st.b[st_hash(&pkt->t.src, pkt->t.sport, &pkt->t.dst,
	    pkt->t.dport) & t->st.mask];

	for (; m != NULL; m = m->hnext)
		if (m->st.ssrc == ssrc && m->sport == pkt->t.sport && m->dport == pkt->t.dport &&
		    ct_addr_eq(&m->src, &pkt->t.src) && ct_addr_eq(&m->dst, &pkt->t.dst))
			return m;
	return NULL;
}

static uint8_t other_party(uint8_t p)
{
	if (p == CT_PARTY_CALLER)
		return CT_PARTY_CALLEE;
	return p == CT_PARTY_CALLEE ? CT_PARTY_CALLER : CT_PARTY_NONE;
}

/*
 * Starts a stream of call cm.  speaker is the party whose voice it carries:
 * a packet sent to an endpoint that party P announced carries the other
 * party's voice; one sent from P's endpoint carries P's.
 */
static struct mstream *st_new(struct ct_media_table *t, struct call_media *cm,
    const struct ct_packet *pkt, const struct ct_rtp_hdr *h, uint8_t speaker)
{
	const struct pt_name *pn = pt_lookup(cm, h->pt);
	struct mstream *m;
	size_t b;

	if (t->st.n >= t->max_flows || (m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->src = pkt->t.src;
	m->dst = pkt->t.dst;
	m->sport = pkt->t.sport;
	m->dport = pkt->t.dport;
	m->cm = cm;
	m->speaker = speaker;
	ct_rtp_stream_init(&m->st, h->ssrc, pn != NULL && pn->rate ? pn->rate : 8000);
	m->last_pt = -1;
	m->st.dtmf_pt = cm->dtmf_pt;
	m->cnext = cm->streams;
	cm->streams = m;
	cm->n_streams++;
	b = st_bucket(&t->st, m);
	m->hnext = t->st.b[b];
	t->st.b[b] = m;
	t->st.n++;
	htab_maybe_grow(&t->st, offsetof(struct mstream, hnext), st_bucket_v);
	/* Symmetric RTP / NAT: the source now identifies this call too. */
	ep_add(t, cm, &pkt->t.src, pkt->t.sport, speaker);
	return m;
}

/*
 * Dynamic payload types of one stream may have different clock rates (an
 * H.264 stream mixing PT 125 and 126, DTMF at 8000 beside Opus at 48000):
 * the rate follows the payload type, from the call's rtpmap lines, else the
 * static table (RFC 3551), else 0 (unknown: no jitter is computed).
 */
static void set_clock_rate(struct mstream *m, uint8_t pt)
{
	const struct pt_name *pn = pt_lookup(m->cm, pt);
	uint32_t rate = 0;

	if (pn != NULL && pn->rate != 0)
		rate = pn->rate;
	else if (ct_rtp_static_codec(pt, &rate) == NULL)
		rate = 0;
	m->st.clock_rate = rate;
	m->last_pt = pt;
}

static const char *codec_name(const struct call_media *cm, uint8_t pt)
{
	const struct pt_name *pn = pt_lookup(cm, pt);

	return pn != NULL ? pn->name : ct_rtp_static_codec(pt, NULL);
}

/* Adds one packet's payload to its call's recording, started on demand. */
static void record_packet(struct ct_media_table *t, struct mstream *m,
    const struct ct_rtp_hdr *h, int64_t ts_us)
{
	struct call_media *cm = m->cm;
	char errbuf[CT_ERRBUF_SIZE];

	if (cm->audio == NULL) {
		if (cm->audio_failed)
			return;
		errbuf[0] = '\0';
		cm->audio = ct_audio_call_new(t->audio_dir, t->audio_fmt,
		    ct_dialog_call_id(cm->d), ts_us, errbuf);
		if (cm->audio == NULL) {
			cm->audio_failed = true;
			audio_error(t, errbuf);
			return;
		}
		ct_audio_call_set_finisher(cm->audio, t->finisher);
	}
	ct_audio_call_add(cm->audio, m->speaker == CT_PARTY_CALLER ? CT_AUDIO_CALLER : CT_AUDIO_CALLEE,
	    codec_name(cm, h->pt), m->st.clock_rate, h->ssrc, h->ts, ts_us,
	    h->payload, h->payload_len);
}

/*
 * Measures one UDP packet that is not SIP.  Returns 1 when it is RTP or RTCP
 * of a known call, 0 otherwise (orphan or not RTP; counted).
 */
int ct_media_packet(struct ct_media_table *t, const struct ct_packet *pkt)
{
	const uint8_t *p = pkt->payload;
	struct ct_rtp_hdr h;
	struct mstream *m;
	struct endpoint *e;

	if (ct_rtcp_looks_like(p, pkt->payload_len)) {
		if (ep_find(t, &pkt->t.dst, pkt->t.dport) == NULL)
			return 0;
		t->stats.rtcp++;
		return 1;
	}
	if (ct_rtp_parse(p, pkt->payload_len, &h) != CT_OK) {
		t->stats.not_rtp++;
		return 0;
	}
	m = st_find(t, pkt, h.ssrc);
	if (m == NULL) {
		uint8_t speaker;

		e = ep_find(t, &pkt->t.dst, pkt->t.dport);
		if (e != NULL) {
			speaker = other_party(e->side);
		} else {
			e = ep_find(t, &pkt->t.src, pkt->t.sport);
			speaker = e != NULL ? e->side : CT_PARTY_NONE;
		}
		if (e == NULL || (m = st_new(t, e->cm, pkt, &h, speaker)) == NULL) {
			t->stats.orphan++;
			orphan_packet(t, pkt, &h);
			return 0;
		}
	}
	if (h.pt != m->last_pt)
		set_clock_rate(m, h.pt);
	ct_rtp_stream_update(&m->st, &h, pkt->ts_us);
	ct_dialog_touch_media(m->cm->d, pkt->ts_us);
	t->stats.packets++;
	if (t->audio_dir != NULL && m->speaker != CT_PARTY_NONE)
		record_packet(t, m, &h, pkt->ts_us);
	return 1;
}

static void fill_stream(const struct call_media *cm, const struct mstream *m,
    struct ct_stream_stats *out)
{
	const struct pt_name *pn;
	const char *name = NULL;

	memset(out, 0, sizeof(*out));
	ct_rtp_stream_stats(&m->st, out);
	out->src = m->src;
	out->dst = m->dst;
	out->sport = m->sport;
	out->dport = m->dport;
	if (out->payload_type >= 0) {
		pn = pt_lookup(cm, (uint8_t)out->payload_type);
		name = pn != NULL ? pn->name : ct_rtp_static_codec((uint8_t)out->payload_type, NULL);
	}
	if (name != NULL && out->codec[0] == '\0') {
		snprintf(out->codec, sizeof(out->codec), "%s", name);
		out->mos = ct_rtp_mos(out->codec, out->loss_pct / 100.0, out->mean_jitter_ms);
	}
}

/*
 * Called when call d is about to be emitted: fills rec->streams (in the order
 * the streams were first seen) and releases the call's endpoints and streams.
 * A call that never had SDP is left untouched.
 */
void ct_media_closing(struct ct_media_table *t, struct ct_dialog *d, struct ct_call_record *rec)
{
	struct call_media *cm = ct_dialog_media_get(d);
	struct mstream *m;
	size_t i;

	if (cm == NULL)
		return;
	ct_dialog_media_set(d, NULL);
	/* An answered call that lost its BYE lasted as long as its media. */
	if (rec != NULL && rec->truncated && rec->disposition == CT_DISP_ANSWERED)
		for (m = cm->streams; m != NULL; m = m->cnext)
			if (m->st.packets > 0 && m->st.last_us > rec->end_us)
				rec->end_us = m->st.last_us;
	audio_finish(t, cm, rec);
	if (cm->n_streams > 0 && rec != NULL && rec->streams == NULL) {
		rec->streams = calloc(cm->n_streams, sizeof(*rec->streams));
		if (rec->streams != NULL) {
			rec->n_streams = cm->n_streams;
			i = cm->n_streams;
			for (m = cm->streams; m != NULL && i > 0; m = m->cnext)
				fill_stream(cm, m, &rec->streams[--i]);
		}
	}
	call_media_free(t, cm);
}

/*
 * Turns recording on: each answered call's audio goes to a file in dir (which
 * must outlive the table), in format fmt, written by a finisher thread (in
 * place when none can be started).  dir NULL turns it off.
 */
void ct_media_set_audio(struct ct_media_table *t, const char *dir, enum ct_audio_format fmt)
{
	t->audio_dir = dir;
	t->audio_fmt = fmt;
	if (dir != NULL && t->finisher == NULL)
		t->finisher = ct_audio_finisher_new();  /* NULL: files written in place */
}

/* The first recording error seen, or NULL when there was none. */
const char *ct_media_audio_error(const struct ct_media_table *t)
{
	return t->audio_err[0] != '\0' ? t->audio_err : NULL;
}

/* Fills st with the table's counters and current sizes. */
void ct_media_get_stats(const struct ct_media_table *t, struct ct_media_stats *st)
{
	*st = t->stats;
	st->endpoints = t->ep.n;
	st->flows = t->st.n;
}
