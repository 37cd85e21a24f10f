/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Capture inputs (inputs.h): -r arguments expanded to files, ordered by
 * their first frame, read as one stream merged by timestamp.
 *
 * The merge keeps a binary min-heap of the open files keyed by their
 * current frame's timestamp (ties: the file's place in the order, so the
 * output is deterministic).  A file is opened when the heap's smallest
 * timestamp reaches the file's first one, so non-overlapping files (tcpdump
 * rotations) are read one after the other with one or two open, while
 * overlapping ones (two directions, two interfaces) interleave.  At most
 * INPUTS_MAX_OPEN files are open at once (each holds a read-ahead buffer);
 * past that a file waits for one to end and is counted as deferred.
 * zstd and xz files also hold their decoder's window, which the stream's
 * header sets and which is allocated whatever the content's size: a zstd
 * frame's window (up to 128 MiB with zstd --long=27, terabytes in a crafted
 * header), an xz block's LZMA2 dictionary (64 MiB at xz -9, up to 4 GiB
 * with --lzma2=dict= or in a crafted header).  Each reserves what its first
 * frame or block declares (ct_zstd_window_reserve: at least 8 MiB, a power
 * of two; ct_xz_reserve: the dictionary so rounded, plus the rest of the
 * decoder in whole MiB; standard input, which cannot be looked at first,
 * 128 MiB for either) and its decoder is capped there (a later frame,
 * block or stream declaring more fails the file: decompress.c); the
 * reservations of the files open at once stay within the budget
 * (ct_inputs_set_decompress_memory, 512 MiB unless told): a file that does
 * not fit waits, deferred, and one that alone exceeds it is refused with a
 * message naming it, what it declares, its reservation and the budget.
 * Formats: pcap (tcpdump/libpcap savefile), pcapng
 * (draft-ietf-opsawg-pcapng), either one compressed: gzip (RFC 1952), xz,
 * zstd (RFC 8878) or lz4, read through decompress.c.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "calltap/err.h"
#include "calltap/inputs.h"
#include "source_int.h"

#define INPUTS_MAX_OPEN 64
#define INPUTS_MAX_DEPTH 32
#define INPUTS_GAP_US (60 * INT64_C(1000000))  /* a longer silence between files is warned of */

struct input_file {
	char *path;
	dev_t dev;
	ino_t ino;
	int64_t first_ts;      /* first frame; INT64_MIN = unknown (opened first) */
	size_t rank;           /* natural order of path */
	struct ct_source *src; /* open while its frames are being merged */
	struct ct_frame cur;   /* its current frame, while in the heap */
	int deferred;
	uint64_t size;         /* bytes on disk (regular files; stdin when it is one) */
	int pos_fd;            /* open: a dup of its descriptor, sharing the read offset; else -1 */
	int finished;          /* read to its end, or failed: counts whole for progress */
	int zkind;             /* CT_COMPRESS_ZSTD or _XZ when it reserves; else 0 */
	uint64_t zdecl;        /* first zstd frame's window, xz block's dictionary (0: unknown) */
	uint64_t zwin;         /* decoder memory it reserves when open (0: none) */
	uint64_t zheld;        /* zwin while open, counted in zused; else 0 */
};

struct ct_inputs {
	struct input_file *v;
	size_t n, cap;
	size_t next_open;      /* v[next_open..] not opened yet (v sorted once started) */
	struct input_file **heap;
	size_t nheap;
	struct input_file *advance; /* handed out last: read its next frame first */
	char *bpf;
	size_t deferred;
	ct_inputs_warn_fn warn;
	void *warn_user;
	int64_t newest_ts;     /* newest frame handed out (INT64_MIN: none yet) */
	const char *newest_path;
	size_t gaps;           /* silences over INPUTS_GAP_US between files */
	int64_t gap_us;        /* the longest, between gap_from and gap_to */
	const char *gap_from, *gap_to;
	int summarised;        /* the gap summary was given */
	int size_unknown;      /* standard input is not a regular file */
	uint64_t zbudget;      /* zstd windows and xz decoders of open files at most (bytes) */
	uint64_t zused, zpeak; /* reserved by the open files now, and at most so far */
	size_t zdeferred;      /* of deferred: for zbudget */
};

/* Ancestors of the directory being walked, to cut symlink loops. */
struct walk {
	dev_t dev[INPUTS_MAX_DEPTH + 1];
	ino_t ino[INPUTS_MAX_DEPTH + 1];
	int depth;
	size_t found;
};

struct ct_inputs *ct_inputs_new(void)
{
	struct ct_inputs *in = calloc(1, sizeof(struct ct_inputs));

	if (in != NULL) {
		in->newest_ts = INT64_MIN;
		in->zbudget = CT_INPUTS_DECOMPRESS_BUDGET_DEFAULT;
	}
	return in;
}

/*
 * Sets the budget for the decoder windows (zstd) and memory (xz) of the
 * files open at once to bytes (0: the default,
 * CT_INPUTS_DECOMPRESS_BUDGET_DEFAULT).  Before ct_inputs_start.
 */
void ct_inputs_set_decompress_memory(struct ct_inputs *in, uint64_t bytes)
{
	in->zbudget = bytes != 0 ? bytes : CT_INPUTS_DECOMPRESS_BUDGET_DEFAULT;
}

uint64_t ct_inputs_decompress_peak(const struct ct_inputs *in)
{
	return in->zpeak;
}

size_t ct_inputs_deferred_decompress(const struct ct_inputs *in)
{
	return in->zdeferred;
}

void ct_inputs_set_warn(struct ct_inputs *in, ct_inputs_warn_fn fn, void *user)
{
	in->warn = fn;
	in->warn_user = user;
}

/* Formats a warning and hands it to the caller's callback, if any. */
static void warnf(const struct ct_inputs *in, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void warnf(const struct ct_inputs *in, const char *fmt, ...)
{
	char msg[CT_ERRBUF_SIZE];
	va_list ap;

	if (in->warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	in->warn(in->warn_user, msg);
}

void ct_inputs_free(struct ct_inputs *in)
{
	size_t i;

	if (in == NULL)
		return;
	for (i = 0; i < in->n; i++) {
		ct_source_close(in->v[i].src);
		if (in->v[i].pos_fd >= 0)
			close(in->v[i].pos_fd);
		free(in->v[i].path);
	}
	free(in->v);
	free(in->heap);
	free(in->bpf);
	free(in);
}

size_t ct_inputs_count(const struct ct_inputs *in)
{
	return in->n;
}

size_t ct_inputs_deferred(const struct ct_inputs *in)
{
	return in->deferred;
}

/*
 * Natural order: equal prefixes are skipped; where both strings hold a run
 * of digits, the runs compare as numbers (leading zeros ignored, then the
 * longer run is larger, then digit by digit); otherwise bytes compare.
 * Equal numbers with different zero padding fall back to bytes, so the
 * order is total.
 */
int ct_natural_cmp(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;

	while (*p != '\0' && *q != '\0') {
		if (*p >= '0' && *p <= '9' && *q >= '0' && *q <= '9') {
			const unsigned char *ps, *qs;
			size_t lp, lq;

			while (*p == '0' && p[1] >= '0' && p[1] <= '9')
				p++;
			while (*q == '0' && q[1] >= '0' && q[1] <= '9')
				q++;
			for (ps = p; *p >= '0' && *p <= '9'; p++)
				;
			for (qs = q; *q >= '0' && *q <= '9'; q++)
				;
			lp = (size_t)(p - ps);
			lq = (size_t)(q - qs);
			if (lp != lq)
				return lp < lq ? -1 : 1;
			for (; ps < p; ps++, qs++)
				if (*ps != *qs)
					return *ps < *qs ? -1 : 1;
			continue;
		}
		if (*p != *q)
			return *p < *q ? -1 : 1;
		p++;
		q++;
	}
	if (*p != *q)
		return *p < *q ? -1 : 1;
	return strcmp(a, b);
}

/* 1 when the first bytes of the file at path are a pcap, pcapng or compressed-file header. */
static int has_capture_magic(const char *path)
{
	uint8_t b[8];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, b, sizeof(b));
	close(fd);
	if (n <= 0)
		return 0;
	return ct_compress_kind(b, (size_t)n) != CT_COMPRESS_NONE ||
	    ct_savefile_magic(b, (size_t)n);
}

/* Extensions of captures, before rotation digits and a compression suffix. */
static const char *const capture_exts[] = { ".pcap", ".pcapng", ".cap", ".dmp", NULL };

/*
 * A file left out of a folder is warned of when its name says capture
 * (x.pcap.bz2, x.pcap.old, x.cap.part): a capture calltap cannot read.
 * Other files (README, scripts) are left out silently.
 */
static void skipped(const struct ct_inputs *in, const char *name, const char *path)
{
	size_t i;

	for (i = 0; capture_exts[i] != NULL; i++)
		if (strstr(name, capture_exts[i]) != NULL)
			break;
	if (capture_exts[i] != NULL)
		warnf(in, "skipped '%s': named like a capture, but not a pcap, pcapng or "
		    "gzip/xz/zstd/lz4 file", path);
}

/* Names of captures: .pcap .pcapng .cap .dmp, then rotation digits, then .gz .xz .zst .lz4. */
static int has_capture_name(const char *name)
{
	static const char *const zs[] = { ".gz", ".xz", ".zst", ".lz4", NULL };
	size_t n = strlen(name), i;

	for (i = 0; zs[i] != NULL; i++) {
		size_t k = strlen(zs[i]);

		if (n > k && strcmp(name + n - k, zs[i]) == 0) {
			n -= k;
			break;
		}
	}
	while (n > 0 && name[n - 1] >= '0' && name[n - 1] <= '9')
		n--;
	for (i = 0; capture_exts[i] != NULL; i++) {
		size_t k = strlen(capture_exts[i]);

		if (n > k && strncmp(name + n - k, capture_exts[i], k) == 0)
			return 1;
	}
	return 0;
}

int ct_inputs_is_capture_path(const char *word)
{
	struct stat st;

	if (stat(word, &st) != 0)
		return 0;
	if (S_ISDIR(st.st_mode))
		return 1;
	return S_ISREG(st.st_mode) && has_capture_magic(word);
}

int ct_inputs_check_filter(const char *bpf, char *errbuf)
{
	struct bpf_program prog;
	pcap_t *p;
	int ok;

	if (bpf == NULL || *bpf == '\0')
		return 1;
	if ((p = pcap_open_dead(DLT_EN10MB, 262144)) == NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "bad filter '%s': out of memory", bpf);
		return 0;
	}
	ok = pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) == 0;
	if (ok)
		pcap_freecode(&prog);
	else
		snprintf(errbuf, CT_ERRBUF_SIZE, "bad filter '%s': %s", bpf, pcap_geterr(p));
	pcap_close(p);
	return ok;
}

/* Appends path (copied) unless the same file is listed already. */
static int add_file(struct ct_inputs *in, const char *path, const struct stat *st)
{
	struct input_file *f;
	size_t i;

	if (st != NULL)
		for (i = 0; i < in->n; i++)
			if (in->v[i].path[0] != '-' && in->v[i].dev == st->st_dev &&
			    in->v[i].ino == st->st_ino)
				return CT_OK;
	if (in->n == in->cap) {
		size_t cap = in->cap != 0 ? in->cap * 2 : 16;
		struct input_file *v = realloc(in->v, cap * sizeof(*v));

		if (v == NULL)
			return CT_NOMEM;
		in->v = v;
		in->cap = cap;
	}
	f = &in->v[in->n];
	memset(f, 0, sizeof(*f));
	if ((f->path = strdup(path)) == NULL)
		return CT_NOMEM;
	if (st != NULL) {
		f->dev = st->st_dev;
		f->ino = st->st_ino;
		f->size = S_ISREG(st->st_mode) ? (uint64_t)st->st_size : 0;
		if (!S_ISREG(st->st_mode))
			in->size_unknown = 1;   /* a FIFO, <(zcat ...): no size */
	}
	f->pos_fd = -1;
	f->first_ts = INT64_MIN;
	in->n++;
	return CT_OK;
}

static int name_cmp(const void *a, const void *b)
{
	return ct_natural_cmp(*(const char *const *)a, *(const char *const *)b);
}

/* Adds the captures under dir (recursively) in natural name order. */
static int walk_dir(struct ct_inputs *in, struct walk *w, const char *dir,
    const struct stat *dst, char *errbuf)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int k, rc = CT_OK;

	for (k = 0; k < w->depth; k++)
		if (w->dev[k] == dst->st_dev && w->ino[k] == dst->st_ino)
			return CT_OK;   /* a symlink back to an ancestor */
	if (w->depth >= INPUTS_MAX_DEPTH)
		return CT_OK;
	if ((d = opendir(dir)) == NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot list directory '%s': %s", dir,
		    strerror(errno));
		return CT_ERR;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			size_t nc = cap != 0 ? cap * 2 : 32;
			char **nn = realloc(names, nc * sizeof(*nn));

			if (nn == NULL) {
				rc = CT_NOMEM;
				break;
			}
			names = nn;
			cap = nc;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			rc = CT_NOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (rc == CT_OK && n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	w->dev[w->depth] = dst->st_dev;
	w->ino[w->depth] = dst->st_ino;
	w->depth++;
	for (i = 0; i < n && rc != CT_NOMEM; i++) {
		size_t len = strlen(dir) + strlen(names[i]) + 2;
		char *path = malloc(len);
		struct stat st;

		if (path == NULL) {
			rc = CT_NOMEM;
			break;
		}
		snprintf(path, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
		if (stat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				int r = walk_dir(in, w, path, &st, errbuf);

				if (r == CT_NOMEM)
					rc = r;
			} else if (S_ISREG(st.st_mode) &&
			    (has_capture_name(names[i]) || has_capture_magic(path))) {
				if (add_file(in, path, &st) != CT_OK)
					rc = CT_NOMEM;
				else
					w->found++;
			} else
				skipped(in, names[i], path);
		} else
			warnf(in, "skipped '%s': %s", path, strerror(errno));
		free(path);
	}
	w->depth--;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int ct_inputs_add(struct ct_inputs *in, const char *arg, char *errbuf)
{
	struct stat st;
	struct walk w;
	int rc;

	if (strcmp(arg, "-") == 0)
		return add_file(in, arg, NULL) == CT_OK ? CT_OK : CT_NOMEM;
	if (stat(arg, &st) != 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot read capture '%s': %s", arg, strerror(errno));
		return CT_ERR;
	}
	if (!S_ISDIR(st.st_mode))
		return add_file(in, arg, &st) == CT_OK ? CT_OK : CT_NOMEM;
	memset(&w, 0, sizeof(w));
	errbuf[0] = '\0';
	rc = walk_dir(in, &w, arg, &st, errbuf);
	if (rc != CT_OK)
		return rc;
	if (w.found == 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "directory '%s' holds no capture file "
		    "(pcap, pcapng or gzip-compressed; sub-directories included)", arg);
		return CT_ERR;
	}
	return CT_OK;
}

/*
 * What f's decoder reserves (f->zwin) and what its first frame or block
 * declares (f->zdecl), from the file's first bytes.  zstd: the first
 * frame's window (ct_zstd_window_reserve).  xz: the first block's
 * dictionary and the decoder liblzma builds for its filters
 * (ct_xz_reserve); a stream whose first block cannot be read here (cut,
 * corrupt, no block, a filter this build does not know) reserves as for an
 * unknown small dictionary, which is then also its memlimit.  Standard
 * input, whose bytes cannot be looked at before it is opened: 128 MiB,
 * halved down to the budget (at least 8 MiB), whatever it holds.  0 for
 * any other file, or one that cannot be read (its open reports that).
 */
static void decoder_memory(const struct ct_inputs *in, struct input_file *f)
{
	uint8_t b[CT_XZ_HEADER_MAX];
	struct ct_xz_chain ch;
	ssize_t n;
	int fd;

	f->zdecl = f->zwin = 0;
	f->zkind = 0;
	if (strcmp(f->path, "-") == 0) {
		f->zwin = CT_DECOMPRESS_MEM_DEFAULT;
		while (f->zwin > in->zbudget && f->zwin > CT_ZSTD_WINDOW_FLOOR)
			f->zwin /= 2;
		return;
	}
	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return;
	n = pread(fd, b, sizeof(b), 0);
	close(fd);
	if (n <= 0)
		return;
	switch (ct_compress_kind(b, (size_t)n)) {
	case CT_COMPRESS_ZSTD:
		if ((f->zdecl = ct_zstd_frame_window(b, (size_t)n)) != 0) {
			f->zkind = CT_COMPRESS_ZSTD;
			f->zwin = ct_zstd_window_reserve(f->zdecl);
		}
		break;
	case CT_COMPRESS_XZ:
		f->zkind = CT_COMPRESS_XZ;
		if (ct_xz_first_block(b, (size_t)n, &ch) == CT_OK) {
			f->zdecl = ch.dict;
			f->zwin = ct_xz_reserve(ch.dict, ct_xz_chain_need(&ch), in->zbudget);
		} else {
			f->zwin = ct_xz_reserve(0, 0, in->zbudget);
		}
		break;
	default:
		break;
	}
}

/*
 * First frame's timestamp of a file, INT64_MIN if it cannot be read (or
 * its decoder's reservation is over the budget: refused when its turn comes),
 * INT64_MAX if empty.
 */
static int64_t peek_first(const struct ct_inputs *in, const struct input_file *fi)
{
	char errbuf[CT_ERRBUF_SIZE];
	struct ct_source *s;
	struct ct_frame f;
	int64_t ts = INT64_MIN;
	int rc;

	if (strcmp(fi->path, "-") == 0 || fi->zwin > in->zbudget ||
	    (s = ct_source_open_path(fi->path, NULL, NULL, fi->zwin, errbuf)) == NULL)
		return INT64_MIN;
	rc = s->ops->next(s, &f, errbuf);
	if (rc == 1)
		ts = f.ts_us;
	else if (rc == CT_EOF)
		ts = INT64_MAX;
	ct_source_close(s);
	return ts;
}

static int order_cmp(const void *a, const void *b)
{
	const struct input_file *x = a, *y = b;

	if (x->first_ts != y->first_ts)
		return x->first_ts < y->first_ts ? -1 : 1;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static int rank_cmp(const void *a, const void *b)
{
	return ct_natural_cmp(((const struct input_file *)a)->path,
	    ((const struct input_file *)b)->path);
}

int ct_inputs_start(struct ct_inputs *in, const char *bpf)
{
	size_t i;

	if (bpf != NULL && *bpf != '\0' && (in->bpf = strdup(bpf)) == NULL)
		return CT_NOMEM;
	for (i = 0; i < in->n; i++) {
		struct stat st;

		if (strcmp(in->v[i].path, "-") != 0)
			continue;
		if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode))
			in->v[i].size = (uint64_t)st.st_size;
		else
			in->size_unknown = 1;
	}
	if (in->n > 0 && (in->heap = calloc(in->n < INPUTS_MAX_OPEN ? in->n : INPUTS_MAX_OPEN,
	    sizeof(*in->heap))) == NULL)
		return CT_NOMEM;
	if (in->n > 1) {
		qsort(in->v, in->n, sizeof(*in->v), rank_cmp);
		for (i = 0; i < in->n; i++) {
			in->v[i].rank = i;
			decoder_memory(in, &in->v[i]);
			in->v[i].first_ts = peek_first(in, &in->v[i]);
		}
		qsort(in->v, in->n, sizeof(*in->v), order_cmp);
	} else if (in->n == 1) {
		decoder_memory(in, &in->v[0]);
	}
	return CT_OK;
}

/*
 * ct_source_open_file(), keeping in f->pos_fd a dup(2) of the file's
 * descriptor: it shares the read offset, so lseek(pos_fd, 0, SEEK_CUR)
 * tells how far the reader (or its read-ahead thread, or the decompressor
 * reading the compressed bytes) has got, for ct_inputs_progress().
 */
static struct ct_source *open_counted(struct input_file *f, const char *bpf, char *errbuf)
{
	struct ct_source *src = ct_source_open_path(f->path, bpf, &f->pos_fd, f->zwin, errbuf);

	if (src == NULL)
		f->finished = 1;
	return src;
}

/* x bytes in MiB, for messages. */
static double mib(uint64_t x)
{
	return (double)x / (1024.0 * 1024.0);
}

/*
 * Refuses f, whose decoder's reservation alone is over the budget: CT_ERR
 * with a message naming the file, what its header declares, the
 * reservation, the budget and the option to raise.
 */
static int refuse_window(struct ct_inputs *in, struct input_file *f, char *errbuf)
{
	f->finished = 1;
	if (f->zkind == CT_COMPRESS_XZ)
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot read capture '%s': its first xz block "
		    "declares a %.1f MiB dictionary (%.0f MiB reserved with the decoder), over the "
		    "%.0f MiB that capture files may hold at once: raise --decompress-memory to %.0f "
		    "or more, or decompress it first", f->path, mib(f->zdecl), mib(f->zwin),
		    mib(in->zbudget), mib(f->zwin));
	else if (f->zwin == UINT64_MAX)
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot read capture '%s': its zstd frame declares "
		    "a %.0f MiB decompression window, more than libzstd decodes (%.0f MiB)", f->path,
		    mib(f->zdecl), mib(CT_ZSTD_WINDOW_LARGEST));
	else
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot read capture '%s': its zstd frame declares "
		    "a %.1f MiB decompression window (%.0f MiB reserved), over the %.0f MiB that "
		    "capture files may hold at once: raise --decompress-memory to %.0f or more, or "
		    "decompress it first", f->path, mib(f->zdecl), mib(f->zwin), mib(in->zbudget),
		    mib(f->zwin));
	return CT_ERR;
}

int ct_inputs_progress(const struct ct_inputs *in, uint64_t *done, uint64_t *total)
{
	uint64_t d = 0, t = 0;
	size_t i;

	for (i = 0; i < in->n; i++) {
		const struct input_file *f = &in->v[i];

		t += f->size;
		if (f->finished)
			d += f->size;
		else if (f->pos_fd >= 0) {
			off_t pos = lseek(f->pos_fd, 0, SEEK_CUR);

			if (pos > 0)
				d += (uint64_t)pos < f->size ? (uint64_t)pos : f->size;
		}
	}
	*done = d;
	*total = t;
	return !in->size_unknown;
}

static int heap_less(const struct input_file *a, const struct input_file *b)
{
	if (a->cur.ts_us != b->cur.ts_us)
		return a->cur.ts_us < b->cur.ts_us;
	return a->rank < b->rank;
}

static void heap_push(struct ct_inputs *in, struct input_file *f)
{
	size_t i = in->nheap++;

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!heap_less(f, in->heap[parent]))
			break;
		in->heap[i] = in->heap[parent];
		i = parent;
	}
	in->heap[i] = f;
}

static struct input_file *heap_pop(struct ct_inputs *in)
{
	struct input_file *top = in->heap[0], *last = in->heap[--in->nheap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= in->nheap)
			break;
		if (c + 1 < in->nheap && heap_less(in->heap[c + 1], in->heap[c]))
			c++;
		if (!heap_less(in->heap[c], last))
			break;
		in->heap[i] = in->heap[c];
		i = c;
	}
	if (in->nheap > 0)
		in->heap[i] = last;
	return top;
}

/* Reads f's next frame into the heap; closes f at its end.  1, 0 (ended) or CT_ERR. */
static int refill(struct ct_inputs *in, struct input_file *f, char *errbuf)
{
	int rc = f->src->ops->next(f->src, &f->cur, errbuf);

	if (rc == 1) {
		heap_push(in, f);
		return 1;
	}
	ct_source_close(f->src);
	f->src = NULL;
	in->zused -= f->zheld;
	f->zheld = 0;
	if (f->pos_fd >= 0)
		close(f->pos_fd);
	f->pos_fd = -1;
	f->finished = 1;
	return rc == CT_EOF || rc == 0 ? 0 : CT_ERR;
}

int ct_inputs_next(struct ct_inputs *in, struct ct_frame *f, char *errbuf)
{
	struct input_file *top;

	if (in->advance != NULL) {
		struct input_file *a = in->advance;

		in->advance = NULL;
		if (refill(in, a, errbuf) == CT_ERR)
			return CT_ERR;
	}
	while (in->next_open < in->n) {
		struct input_file *nf = &in->v[in->next_open];

		if (in->nheap > 0 && nf->first_ts > in->heap[0]->cur.ts_us)
			break;
		if (nf->zwin > in->zbudget) {
			in->next_open++;
			return refuse_window(in, nf, errbuf);
		}
		/* Open ones hold their windows: with none open, any file that fits alone goes. */
		if (in->nheap == INPUTS_MAX_OPEN ||
		    (in->nheap > 0 && nf->zwin > in->zbudget - in->zused)) {
			if (!nf->deferred) {
				nf->deferred = 1;
				in->deferred++;
				in->zdeferred += in->nheap < INPUTS_MAX_OPEN;
			}
			break;
		}
		in->next_open++;
		/*
		 * Opened while others are still open (their next frames are not
		 * older than its first): it overlaps them in time.
		 */
		if (in->nheap > 0)
			warnf(in, "'%s' overlaps '%s' in time: packets merged by time", nf->path,
			    in->heap[0]->path);
		else if (in->newest_ts != INT64_MIN && nf->first_ts != INT64_MIN &&
		    nf->first_ts != INT64_MAX && nf->first_ts - in->newest_ts > INPUTS_GAP_US) {
			in->gaps++;
			if (nf->first_ts - in->newest_ts > in->gap_us) {
				in->gap_us = nf->first_ts - in->newest_ts;
				in->gap_from = in->newest_path;
				in->gap_to = nf->path;
			}
		}
		if ((nf->src = open_counted(nf, in->bpf, errbuf)) == NULL)
			return CT_ERR;
		nf->zheld = nf->zwin;
		in->zused += nf->zheld;
		if (in->zused > in->zpeak)
			in->zpeak = in->zused;
		if (refill(in, nf, errbuf) == CT_ERR)
			return CT_ERR;
	}
	if (in->nheap == 0) {
		/* One line for all the gaps: unrelated captures in one folder have many. */
		if (in->gaps > 0 && !in->summarised)
			warnf(in, "%zu time gap%s over 60 s between input files, the longest %.0f s "
			    "between '%s' and '%s': calls open across a gap are cut", in->gaps,
			    in->gaps == 1 ? "" : "s", (double)in->gap_us / 1e6, in->gap_from, in->gap_to);
		in->summarised = 1;
		return CT_EOF;
	}
	top = heap_pop(in);
	*f = top->cur;
	in->advance = top;
	if (f->ts_us > in->newest_ts) {
		in->newest_ts = f->ts_us;
		in->newest_path = top->path;
	}
	return 1;
}
