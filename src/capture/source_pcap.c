/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Packet sources over libpcap: savefiles (pcap and pcapng, by path or "-" for
 * standard input) and live devices.  A source yields borrowed frames that
 * stay valid until the next call to next() (libpcap's pcap_next_ex contract).
 * Savefiles are read by source_pcapng.c at microsecond precision whatever
 * their own precision; live capture goes through libpcap here.  Errors
 * (missing file, truncated capture, bad filter) are reported as text naming
 * the file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "calltap/err.h"
#include "calltap/source.h"
#include "source_int.h"

#define LIVE_TIMEOUT_MS 250

struct pcap_priv {
	pcap_t *p;
	int linktype;
	int live;
	int fd;       /* live: selectable descriptor in non-blocking mode, else -1 */
	uint32_t last_drop, last_ifdrop; /* pcap_stats' 32-bit counters, last read */
	uint64_t drops, ifdrops;         /* the same, widened across wraps */
};

/*
 * pcap_next_ex() for a live device in non-blocking mode: when nothing is
 * buffered, waits in poll() for at most the read timeout.  A blocking
 * pcap_next_ex() on Linux (TPACKET_V3) may sleep forever on an idle link and
 * retries poll() after a signal, so SIGINT would never reach the read loop;
 * here a timeout or a signal returns 0 and the caller polls its flags.
 */
static int live_next_ex(struct pcap_priv *pp, struct pcap_pkthdr **h, const u_char **data)
{
	struct pollfd pfd;
	int rc;

	rc = pcap_next_ex(pp->p, h, data);
	if (rc != 0 || pp->fd < 0)
		return rc;
	pfd.fd = pp->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, LIVE_TIMEOUT_MS) <= 0)
		return 0;
	return pcap_next_ex(pp->p, h, data);
}

static int pcap_next_frame(struct ct_source *s, struct ct_frame *f, char *errbuf)
{
	struct pcap_priv *pp = s->priv;
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	rc = pp->live ? live_next_ex(pp, &h, &data) : pcap_next_ex(pp->p, &h, &data);
	if (rc == 1) {
		/* saturated: the engine clamps and counts out-of-range times */
		if (__builtin_mul_overflow((int64_t)h->ts.tv_sec, INT64_C(1000000), &f->ts_us) ||
		    __builtin_add_overflow(f->ts_us, (int64_t)h->ts.tv_usec, &f->ts_us))
			f->ts_us = h->ts.tv_sec < 0 ? -INT64_MAX : INT64_MAX;
		f->caplen = h->caplen;
		f->wirelen = h->len;
		f->linktype = pp->linktype;
		f->data = data;
		s->frames++;
		return 1;
	}
	if (rc == 0)
		return 0;
	if (rc == PCAP_ERROR_BREAK)
		return CT_EOF;
	snprintf(errbuf, CT_ERRBUF_SIZE, "%s: read error after %llu packets: %s",
	    s->name, (unsigned long long)s->frames, pcap_geterr(pp->p));
	return CT_ERR;
}

static int pcap_source_stats(struct ct_source *s, struct ct_source_stats *st)
{
	struct pcap_priv *pp = s->priv;
	struct pcap_stat ps;

	memset(st, 0, sizeof(*st));
	st->received = s->frames;
	if (!pp->live)
		return CT_OK;
	if (pcap_stats(pp->p, &ps) != 0)
		return CT_ERR;
	/* u_int counters: add the wrap-safe deltas (read every second, live). */
	pp->drops += (uint32_t)(ps.ps_drop - pp->last_drop);
	pp->ifdrops += (uint32_t)(ps.ps_ifdrop - pp->last_ifdrop);
	pp->last_drop = ps.ps_drop;
	pp->last_ifdrop = ps.ps_ifdrop;
	st->dropped = pp->drops;
	st->ifdropped = pp->ifdrops;
	return CT_OK;
}

static void pcap_source_close(struct ct_source *s)
{
	struct pcap_priv *pp = s->priv;

	if (pp != NULL && pp->p != NULL)
		pcap_close(pp->p);
	free(pp);
}

static const struct ct_source_ops pcap_source_ops = {
	.name = "pcap",
	.next = pcap_next_frame,
	.stats = pcap_source_stats,
	.close = pcap_source_close,
};

static int apply_filter(pcap_t *p, const char *name, const char *bpf, int live, char *errbuf)
{
	struct bpf_program prog;

	if (bpf == NULL || *bpf == '\0')
		return CT_OK;
	if (pcap_compile(p, &prog, bpf, 1, live ? PCAP_NETMASK_UNKNOWN : 0) != 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "%s: bad filter '%s': %s", name, bpf, pcap_geterr(p));
		return CT_ERR;
	}
	if (pcap_setfilter(p, &prog) != 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "%s: cannot set filter: %s", name, pcap_geterr(p));
		pcap_freecode(&prog);
		return CT_ERR;
	}
	pcap_freecode(&prog);
	return CT_OK;
}

static struct ct_source *source_wrap(pcap_t *p, const char *name, int live, char *errbuf)
{
	char perr[PCAP_ERRBUF_SIZE];
	struct ct_source *s = calloc(1, sizeof(*s));
	struct pcap_priv *pp = calloc(1, sizeof(*pp));

	if (s == NULL || pp == NULL || (s->name = strdup(name)) == NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "%s: out of memory", name);
		free(pp);
		if (s != NULL)
			free(s->name);
		free(s);
		pcap_close(p);
		return NULL;
	}
	pp->p = p;
	pp->linktype = pcap_datalink(p);
	pp->live = live;
	pp->fd = -1;
	if (live && pcap_setnonblock(p, 1, perr) == 0)
		pp->fd = pcap_get_selectable_fd(p);
	s->ops = &pcap_source_ops;
	s->priv = pp;
	return s;
}

/*
 * Opens a pcap or pcapng savefile ("-" reads standard input) with an optional
 * BPF filter.  Savefiles are read by our own readers (source_pcapng.c), which
 * accept pcapng files mixing link types; libpcap only compiles the filter.
 * Returns a source, or NULL with a message naming the file in errbuf.
 */
/*
 * Opens a capture file by path ("-" = standard input): pcap or pcapng,
 * plain or compressed (gzip, xz, zstd, lz4: decompress.c), told by its
 * first bytes, not by its name.  Returns NULL with a message naming
 * the file in errbuf on failure.
 */
struct ct_source *ct_source_open_file(const char *path, const char *bpf, char *errbuf)
{
	return ct_source_open_path(path, bpf, NULL, 0, errbuf);
}

/*
 * The first bytes of standard input (up to 8, fewer at its end) into
 * magic, for the compression: true when they were only looked at (a
 * regular file: pread at the offset; a pipe: tee(2) into a scratch pipe; a
 * socket: MSG_PEEK), false when they had to be read (a terminal, a
 * device): they must then be handed on (ct_decompress_stream_pre).  A pipe
 * or socket holding fewer bytes is waited on (1 ms steps) until it holds 8
 * or its writer is gone.
 */
static bool peek_stdin(uint8_t *magic, size_t *n)
{
	struct stat st;
	ssize_t k = 0;
	off_t off;
	int p[2] = { -1, -1 };

	*n = 0;
	if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
	    (off = lseek(STDIN_FILENO, 0, SEEK_CUR)) >= 0) {
		k = pread(STDIN_FILENO, magic, 8, off);
		*n = k > 0 ? (size_t)k : 0;
		return true;
	}
	if ((S_ISFIFO(st.st_mode) && pipe2(p, O_CLOEXEC) == 0) || S_ISSOCK(st.st_mode)) {
		for (;;) {
			struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
			struct timespec ms = { 0, 1000000 };

			if (p[0] >= 0) {   /* a copy of what is there; taken back at once */
				k = tee(STDIN_FILENO, p[1], 8, 0);
				if (k > 0)
					k = read(p[0], magic, (size_t)k);
			} else {
				k = recv(STDIN_FILENO, magic, 8, MSG_PEEK);
			}
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0 || k >= 8 || poll(&pfd, 1, -1) < 0 || (pfd.revents & POLLHUP))
				break;
			nanosleep(&ms, NULL);   /* bytes there, not 8 yet */
		}
		if (p[0] >= 0) {
			close(p[0]);
			close(p[1]);
		}
		if (k >= 0) {
			*n = (size_t)k;
			return true;
		}
	}
	/* Neither: read them (a terminal, a character device). */
	while (*n < 8 && ((k = read(STDIN_FILENO, magic + *n, 8 - *n)) > 0 ||
	    (k < 0 && errno == EINTR)))
		*n += k > 0 ? (size_t)k : 0;
	return false;
}

/*
 * As ct_source_open_file; when pos_fd is not NULL it receives a duplicate
 * of the descriptor the file is read from (standard input's for "-"), whose
 * offset tells how far reading got, in the file's own bytes (compressed
 * ones for a compressed file): the caller closes it.  -1 on failure.
 * mem_max is the memory reserved for a zstd or xz decoder (bytes; 0 = 128
 * MiB): it caps a zstd file's window (a power of two), a frame declaring
 * more fails the read (EFBIG); it is an xz decoder's memlimit, a block
 * needing more fails the read (EOVERFLOW).
 */
struct ct_source *ct_source_open_path(const char *path, const char *bpf, int *pos_fd,
    uint64_t mem_max, char *errbuf)
{
	struct ct_source *src;
	FILE *fp;
	int fd, dup_fd = -1;

	if (pos_fd != NULL)
		*pos_fd = -1;
	if (strcmp(path, "-") == 0) {
		uint8_t magic[8];
		size_t n = 0;
		bool peeked = peek_stdin(magic, &n);
		int kind = ct_compress_kind(magic, n);

		if (pos_fd != NULL)
			dup_fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
		if (peeked && kind == CT_COMPRESS_NONE) {
			fp = stdin;   /* read as it is, by read(2) (readahead.c) */
		} else if ((fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0)) < 0 ||
		    (fp = ct_decompress_open(fd, kind, peeked ? NULL : magic, peeked ? 0 : n,
		    mem_max)) == NULL) {
			snprintf(errbuf, CT_ERRBUF_SIZE, "cannot read standard input: %s",
			    errno == ENOTSUP ? "compressed with a format this calltap was built "
			    "without (see calltap --version)" : errno == ESPIPE ? "gzip data from "
			    "a terminal or device (give it as a file or through a pipe)" :
			    strerror(errno));
			if (dup_fd >= 0)
				close(dup_fd);
			return NULL;
		}
	} else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot read capture '%s': %s", path, strerror(errno));
		return NULL;
	} else {
		uint8_t magic[8];
		ssize_t n = pread(fd, magic, sizeof(magic), 0);
		int kind = ct_compress_kind(magic, n > 0 ? (size_t)n : 0);

		if (pos_fd != NULL)
			dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if ((fp = ct_decompress_open(fd, kind, NULL, 0, mem_max)) == NULL) {
			snprintf(errbuf, CT_ERRBUF_SIZE, "cannot read capture '%s': %s", path,
			    errno == ENOTSUP ? "compressed with a format this calltap was built "
			    "without (see calltap --version)" : strerror(errno));
			if (dup_fd >= 0)
				close(dup_fd);
			return NULL;
		}
	}
	/* Read in 256 KiB windows by readahead.c, on another thread for large files. */
	src = ct_source_open_savefile(fp, path, bpf, errbuf);
	if (src == NULL && dup_fd >= 0) {
		close(dup_fd);
		dup_fd = -1;
	}
	if (pos_fd != NULL)
		*pos_fd = dup_fd;
	return src;
}

/*
 * Opens a live capture on iface: promiscuous, snaplen bytes, a kernel buffer
 * of buffer_mb MiB, a 250 ms read timeout (immediate mode off, so packets are
 * batched).  Returns NULL with a message in errbuf on failure.
 */
struct ct_source *ct_source_open_live(const char *iface, const char *bpf,
    int snaplen, int buffer_mb, char *errbuf)
{
	char perr[PCAP_ERRBUF_SIZE];
	pcap_t *p;
	int rc;

	perr[0] = '\0';
	p = pcap_create(iface, perr);
	if (p == NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot open interface '%s': %s", iface, perr);
		return NULL;
	}
	pcap_set_snaplen(p, snaplen);
	pcap_set_promisc(p, 1);
	pcap_set_timeout(p, LIVE_TIMEOUT_MS);
#ifdef HAVE_PCAP_SET_IMMEDIATE_MODE
	pcap_set_immediate_mode(p, 0);
#endif
	pcap_set_buffer_size(p, buffer_mb * 1024 * 1024);
	rc = pcap_activate(p);
	if (rc < 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot capture on '%s': %s", iface,
		    rc == PCAP_ERROR ? pcap_geterr(p) : pcap_statustostr(rc));
		pcap_close(p);
		return NULL;
	}
	if (apply_filter(p, iface, bpf, 1, errbuf) != CT_OK) {
		pcap_close(p);
		return NULL;
	}
	return source_wrap(p, iface, 1, errbuf);
}

/* Closes s and frees it; NULL is a no-op. */
void ct_source_close(struct ct_source *s)
{
	if (s == NULL)
		return;
	s->ops->close(s);
	free(s->name);
	free(s);
}

/* Makes a blocked or looping next() return CT_EOF; safe in a signal handler. */
void ct_source_breakloop(struct ct_source *s)
{
	struct pcap_priv *pp;

	if (s == NULL || s->ops != &pcap_source_ops)
		return;  /* savefile readers never block */
	pp = s->priv;
	pcap_breakloop(pp->p);
}
