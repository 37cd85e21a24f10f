/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Capture inputs (inputs.h): the natural name order that ranks rotations
 * and ties, as a table of pairs; the merge itself is checked end to end by
 * tests/inputs.sh against generated ground truth.  ct_inputs_progress on
 * two files (one gzip-compressed when zlib is built in): never above the
 * total, never backwards, all at the end.  ct_decompress_stream_pre (the
 * first bytes of standard input read ahead): they come first, then the rest.
 * zstd windows (RFC 8878 §3.1.1.1.2): frame headers as a table of byte
 * vectors; with libzstd, frames declaring a 128 MiB window (zstd
 * --long=27 of a small capture) are refused past the decoder's cap (EFBIG,
 * nothing allocated), and files merged at once stay within the budget:
 * every frame read, the rest deferred, one over the budget alone refused.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>
#ifdef HAVE_ZLIB
#include <zlib.h>
#endif
#ifdef HAVE_ZSTD
#include <zstd.h>
#endif

#include "calltap/err.h"
#include "calltap/inputs.h"
#include "test.h"
#include "../../src/capture/source_int.h"

#define NFRAMES 20000  /* 100-byte frames: 2.3 MB, read by the read-ahead thread */

/* A classic pcap of NFRAMES Ethernet frames from time t0 (s); its size in bytes. */
static size_t write_pcap(const char *path, uint32_t t0, int gz)
{
	static const uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };
	uint8_t buf[16 + 100];
	struct stat st;
	int i;
	FILE *fp = NULL;
#ifdef HAVE_ZLIB
	gzFile gzf = NULL;
#endif

	if (gz) {
#ifdef HAVE_ZLIB
		gzf = gzopen(path, "wb");
		gzwrite(gzf, hdr, sizeof(hdr));
#endif
	} else {
		fp = fopen(path, "wb");
		fwrite(hdr, sizeof(hdr), 1, fp);
	}
	memset(buf, 0, sizeof(buf));
	for (i = 0; i < NFRAMES; i++) {
		uint32_t rec[4] = { t0 + (uint32_t)i / 1000, (uint32_t)i % 1000 * 1000, 100, 100 };

		memcpy(buf, rec, sizeof(rec));
		buf[16 + (i % 100)] = (uint8_t)i;  /* some variety for the compressor */
		if (fp != NULL)
			fwrite(buf, sizeof(buf), 1, fp);
#ifdef HAVE_ZLIB
		else
			gzwrite(gzf, buf, sizeof(buf));
#endif
	}
	if (fp != NULL)
		fclose(fp);
#ifdef HAVE_ZLIB
	else
		gzclose(gzf);
#endif
	return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

static void test_progress(void)
{
	char dir[] = "/tmp/test_inputs.XXXXXX", a[64], b[64], errbuf[CT_ERRBUF_SIZE];
	struct ct_inputs *in;
	struct ct_frame f;
	uint64_t done = 0, total = 0, prev = 0;
	size_t size, size_a, frames = 0;
	int gz = 0, rc, monotonic = 1, bounded = 1;

#ifdef HAVE_ZLIB
	gz = 1;
#endif
	if (mkdtemp(dir) == NULL) {
		CHECK(0);
		return;
	}
	snprintf(a, sizeof(a), "%s/a.pcap", dir);
	snprintf(b, sizeof(b), "%s/b.pcap.gz", dir);
	size_a = write_pcap(a, 1000, 0);
	size = size_a + write_pcap(b, 2000, gz);
	in = ct_inputs_new();
	CHECK_INT(ct_inputs_add(in, b, errbuf), CT_OK);
	CHECK_INT(ct_inputs_add(in, a, errbuf), CT_OK);
	CHECK_INT(ct_inputs_start(in, NULL), CT_OK);
	CHECK_INT(ct_inputs_progress(in, &done, &total), 1);
	CHECK_INT(done, 0);
	CHECK_INT(total, size);
	while ((rc = ct_inputs_next(in, &f, errbuf)) == 1) {
		frames++;
		ct_inputs_progress(in, &done, &total);
		monotonic &= done >= prev;
		bounded &= done <= total && total == size;
		prev = done;
		if (frames == NFRAMES / 2)   /* half of a.pcap read (and 1 MiB ahead), b not opened */
			CHECK(done > 0 && done < size_a);
	}
	CHECK_INT(rc, CT_EOF);
	CHECK_INT(frames, 2 * NFRAMES);
	CHECK(monotonic);
	CHECK(bounded);
	CHECK_INT(ct_inputs_progress(in, &done, &total), 1);
	CHECK_INT(done, size);
	CHECK_INT(total, size);
	ct_inputs_free(in);
	unlink(a);
	unlink(b);
	rmdir(dir);
}

/*
 * Bytes read ahead (standard input on a terminal) are handed back first:
 * plain bytes pass through; gzip, whose descriptor zlib reads itself, is
 * refused (ESPIPE) rather than read without its first bytes.
 */
static void test_read_ahead(void)
{
	char path[] = "/tmp/ct-inputs-pre-XXXXXX", got[64] = "";
	int fd = mkstemp(path);
	FILE *fp;
	size_t n;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_INT((int)write(fd, "89abcdefghij", 12), 12);
	lseek(fd, 0, SEEK_SET);
	fp = ct_decompress_stream_pre(fd, CT_COMPRESS_NONE, (const uint8_t *)"01234567", 8);
	CHECK(fp != NULL);
	if (fp != NULL) {
		n = fread(got, 1, sizeof(got) - 1, fp);
		got[n] = '\0';
		CHECK_STR(got, "0123456789abcdefghij");
		fclose(fp);
	}
#ifdef HAVE_ZLIB
	if ((fd = open(path, O_RDONLY)) >= 0) {
		errno = 0;
		CHECK(ct_decompress_stream_pre(fd, CT_COMPRESS_GZIP,
		    (const uint8_t *)"\x1f\x8b\x08\0\0\0\0\0", 8) == NULL);
		CHECK_INT(errno, ESPIPE);   /* fd is closed either way */
	}
#endif
	unlink(path);
}

/* Frame headers (RFC 8878 §3.1.1.1) and the window each declares. */
static const struct {
	const char *what;
	uint8_t b[CT_ZSTD_HEADER_MAX];
	size_t n;
	uint64_t window;
} zhdr_vecs[] = {
	{ "WD exp 17 (zstd --long=27)", { 0x28, 0xb5, 0x2f, 0xfd, 0x04, 17 << 3 }, 6, UINT64_C(1) << 27 },
	{ "WD exp 11 mantissa 0 (level 3)", { 0x28, 0xb5, 0x2f, 0xfd, 0x00, 11 << 3 }, 6, 2u << 20 },
	{ "WD exp 13 mantissa 1", { 0x28, 0xb5, 0x2f, 0xfd, 0x00, 13 << 3 | 1 }, 6, 9u << 20 },
	{ "WD exp 0", { 0x28, 0xb5, 0x2f, 0xfd, 0x00, 0 }, 6, 1024 },
	{ "WD exp 31 mantissa 7", { 0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xff }, 6,
	  (UINT64_C(1) << 41) + (UINT64_C(7) << 38) },
	{ "single segment, FCS 1 byte", { 0x28, 0xb5, 0x2f, 0xfd, 0x20, 200 }, 6, 200 },
	{ "single segment, FCS 2 bytes (+256)", { 0x28, 0xb5, 0x2f, 0xfd, 0x60, 0x00, 0x01 }, 7, 512 },
	{ "single segment, FCS 4 bytes, DID 1 byte",
	  { 0x28, 0xb5, 0x2f, 0xfd, 0xa1, 0x77, 0x00, 0x00, 0x10, 0x00 }, 10, 1u << 20 },
	{ "single segment, FCS 8 bytes, DID 4 bytes",
	  { 0x28, 0xb5, 0x2f, 0xfd, 0xe3, 1, 2, 3, 4, 0, 0, 0, 0, 1, 0, 0, 0 }, 17, UINT64_C(1) << 32 },
	{ "FCS cut short", { 0x28, 0xb5, 0x2f, 0xfd, 0xe3, 1, 2, 3, 4, 0, 0, 0, 0, 1, 0, 0 }, 16, 0 },
	{ "reserved bit", { 0x28, 0xb5, 0x2f, 0xfd, 0x08, 17 << 3 }, 6, 0 },
	{ "no descriptor byte", { 0x28, 0xb5, 0x2f, 0xfd, 0x04 }, 5, 0 },
	{ "gzip", { 0x1f, 0x8b, 0x08, 0, 0, 0 }, 6, 0 },
	{ "skippable frame", { 0x50, 0x2a, 0x4d, 0x18, 0, 0 }, 6, 0 },
};

static void test_zstd_header(void)
{
	size_t i;

	for (i = 0; i < sizeof(zhdr_vecs) / sizeof(zhdr_vecs[0]); i++) {
		uint64_t w = ct_zstd_frame_window(zhdr_vecs[i].b, zhdr_vecs[i].n);

		if (w != zhdr_vecs[i].window)
			printf("  %s: %llu\n", zhdr_vecs[i].what, (unsigned long long)w);
		CHECK(w == zhdr_vecs[i].window);
	}
	CHECK(ct_zstd_window_reserve(0) == CT_ZSTD_WINDOW_FLOOR);
	CHECK(ct_zstd_window_reserve(200) == CT_ZSTD_WINDOW_FLOOR);
	CHECK(ct_zstd_window_reserve(8u << 20) == 8u << 20);
	CHECK(ct_zstd_window_reserve(9u << 20) == 16u << 20);
	CHECK(ct_zstd_window_reserve(UINT64_C(1) << 27) == UINT64_C(1) << 27);
	CHECK(ct_zstd_window_reserve(UINT64_C(1) << 31) == UINT64_C(1) << 31);
	CHECK(ct_zstd_window_reserve((UINT64_C(1) << 31) + 1) == UINT64_MAX);
	CHECK(ct_zstd_window_reserve(UINT64_MAX) == UINT64_MAX);
}

#ifdef HAVE_ZSTD
#define ZFRAMES 300   /* 100-byte frames: a 31 KB capture */

/* A classic pcap image of ZFRAMES frames from time t0 (s) into buf; its size. */
static size_t pcap_image(uint8_t *buf, uint32_t t0)
{
	static const uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };
	size_t n = sizeof(hdr);
	int i;

	memcpy(buf, hdr, sizeof(hdr));
	for (i = 0; i < ZFRAMES; i++) {
		uint32_t rec[4] = { t0 + (uint32_t)i / 100, (uint32_t)i % 100 * 10000, 100, 100 };

		memcpy(buf + n, rec, sizeof(rec));
		memset(buf + n + 16, i & 0xff, 100);
		n += 16 + 100;
	}
	return n;
}

/*
 * Appends src[0..n) to path as one zstd frame with window 2^wlog and long
 * matching (zstd --long=wlog); content size unknown (as from a pipe: the
 * header declares the whole window) unless sized (the window then shrinks
 * to the content, single segment).
 */
static void write_zstd(const char *path, const void *src, size_t n, int wlog, int sized)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	size_t cap = ZSTD_compressBound(n) + 64, r;
	uint8_t *out = malloc(cap);
	ZSTD_inBuffer ib = { src, n, 0 };
	ZSTD_outBuffer ob = { out, cap, 0 };
	FILE *fp = fopen(path, "ab");

	CHECK(cc != NULL && out != NULL && fp != NULL);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, wlog);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_enableLongDistanceMatching, 1);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 1);
	if (sized)
		ZSTD_CCtx_setPledgedSrcSize(cc, n);
	else
		ZSTD_compressStream2(cc, &ob, &ib, ZSTD_e_continue);
	do
		r = ZSTD_compressStream2(cc, &ob, &ib, ZSTD_e_end);
	while (!ZSTD_isError(r) && r != 0);
	CHECK(!ZSTD_isError(r));
	fwrite(out, 1, ob.pos, fp);
	fclose(fp);
	free(out);
	ZSTD_freeCCtx(cc);
}

/* The window the first frame of path declares (0: none). */
static uint64_t file_window(const char *path)
{
	uint8_t b[CT_ZSTD_HEADER_MAX];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, b, sizeof(b)) : -1;

	if (fd >= 0)
		close(fd);
	return n > 0 ? ct_zstd_frame_window(b, (size_t)n) : 0;
}

/* Reads path through ct_decompress_open capped at max: bytes read, errno of a failure in *err. */
static size_t read_capped(const char *path, uint64_t max, uint8_t *buf, size_t size, int *err)
{
	int fd = open(path, O_RDONLY);
	FILE *fp = fd >= 0 ? ct_decompress_open(fd, CT_COMPRESS_ZSTD, NULL, 0, max) : NULL;
	size_t n = 0, k;

	*err = 0;
	if (fp == NULL) {
		*err = errno;
		return 0;
	}
	errno = 0;
	while ((k = fread(buf + n, 1, size - n, fp)) > 0)
		n += k;
	if (ferror(fp))
		*err = errno;
	fclose(fp);
	return n;
}

/*
 * One decoder: a frame declaring 128 MiB (zstd --long=27 from a pipe, of
 * a 31 KB capture) is refused under an 8 MiB cap (EFBIG, before its
 * window is allocated) and read whole under 128 MiB; in a file whose first
 * frame is small (single segment), a later 128 MiB frame fails under the
 * first frame's reservation after the first frame's bytes are delivered.
 */
static void test_zstd_cap(const char *dir, uint8_t *img, uint8_t *got)
{
	char path[128];
	size_t n = pcap_image(img, 1000), k;
	int err;

	snprintf(path, sizeof(path), "%s/long27.pcap.zst", dir);
	write_zstd(path, img, n, 27, 0);
	CHECK(file_window(path) == UINT64_C(1) << 27);
	k = read_capped(path, CT_ZSTD_WINDOW_FLOOR, got, 2 * n, &err);
	CHECK_INT(k, 0);
	CHECK_INT(err, EFBIG);
	k = read_capped(path, UINT64_C(1) << 27, got, 2 * n, &err);
	CHECK_INT(err, 0);
	CHECK(k == n && memcmp(got, img, n) == 0);
	k = read_capped(path, 0, got, 2 * n, &err);   /* the default cap: 128 MiB */
	CHECK(k == n && err == 0);
	unlink(path);

	snprintf(path, sizeof(path), "%s/concat.pcap.zst", dir);
	write_zstd(path, img, n, 20, 1);
	write_zstd(path, img, n, 27, 0);
	CHECK(file_window(path) <= n);
	k = read_capped(path, ct_zstd_window_reserve(file_window(path)), got, 2 * n, &err);
	CHECK(k == n && memcmp(got, img, n) == 0);
	CHECK_INT(err, EFBIG);
	unlink(path);
}

/* Frames read from files[0..nf) merged under budget; deferred (zstd) and peak reservation out. */
static size_t merge(char files[][128], size_t nf, uint64_t budget, size_t *deferred,
    uint64_t *peak, int *errors, char *errbuf)
{
	struct ct_inputs *in = ct_inputs_new();
	struct ct_frame f;
	size_t i, frames = 0;
	int rc;

	*errors = 0;
	ct_inputs_set_decompress_memory(in, budget);
	for (i = 0; i < nf; i++)
		CHECK_INT(ct_inputs_add(in, files[i], errbuf), CT_OK);
	CHECK_INT(ct_inputs_start(in, NULL), CT_OK);
	while ((rc = ct_inputs_next(in, &f, errbuf)) != CT_EOF) {
		if (rc == 1)
			frames++;
		else
			(*errors)++;
	}
	*deferred = ct_inputs_deferred_zstd(in);
	*peak = ct_inputs_zstd_peak(in);
	ct_inputs_free(in);
	return frames;
}

/*
 * Six files overlapping in time, each declaring a 128 MiB window: with a
 * 256 MiB budget two are open at once, four wait; with the default (512
 * MiB) four and two; with 1 GiB all six; every frame is read each time.
 * A seventh whose header declares 512 MiB is refused under 256 MiB, its
 * name and the option in the message, the six still read.
 */
static void test_zstd_budget(const char *dir, uint8_t *img)
{
	static const struct { uint64_t budget; size_t deferred; uint64_t peak; } b[] = {
		{ UINT64_C(256) << 20, 4, UINT64_C(256) << 20 },
		{ 0, 2, UINT64_C(512) << 20 },
		{ UINT64_C(1) << 30, 0, UINT64_C(768) << 20 },
	};
	char files[7][128], errbuf[CT_ERRBUF_SIZE];
	size_t n = pcap_image(img, 1000), i, deferred, frames;
	uint64_t peak;
	int errors, fd;

	for (i = 0; i < 7; i++) {
		snprintf(files[i], sizeof(files[i]), "%s/m%zu.pcap.zst", dir, i);
		write_zstd(files[i], img, n, 27, 0);
	}
	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		frames = merge(files, 6, b[i].budget, &deferred, &peak, &errors, errbuf);
		CHECK_INT(frames, 6 * ZFRAMES);
		CHECK_INT(errors, 0);
		CHECK_INT(deferred, b[i].deferred);
		CHECK(peak == b[i].peak);
	}
	/* m6: Window_Descriptor exponent 19, 512 MiB */
	if ((fd = open(files[6], O_WRONLY)) >= 0) {
		CHECK_INT((int)pwrite(fd, "\x98", 1, 5), 1);
		close(fd);
	}
	CHECK(file_window(files[6]) == UINT64_C(512) << 20);
	frames = merge(files, 7, UINT64_C(256) << 20, &deferred, &peak, &errors, errbuf);
	CHECK_INT(frames, 6 * ZFRAMES);
	CHECK_INT(errors, 1);
	CHECK(strstr(errbuf, files[6]) != NULL && strstr(errbuf, "512.0 MiB") != NULL &&
	    strstr(errbuf, "256 MiB") != NULL && strstr(errbuf, "--decompress-memory") != NULL);
	CHECK(peak == UINT64_C(256) << 20);
	for (i = 0; i < 7; i++)
		unlink(files[i]);
}

static void test_zstd(void)
{
	char dir[] = "/tmp/test_inputs_zstd.XXXXXX";
	uint8_t *img = malloc(2 * (24 + ZFRAMES * 116)), *got = malloc(4 * (24 + ZFRAMES * 116));

	CHECK(img != NULL && got != NULL);
	if (img != NULL && got != NULL && mkdtemp(dir) != NULL) {
		test_zstd_cap(dir, img, got);
		test_zstd_budget(dir, img);
		rmdir(dir);
	}
	free(img);
	free(got);
}
#endif

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

int main(void)
{
	static const struct { const char *a, *b; int want; } v[] = {
		{ "trunk.pcap", "trunk.pcap1", -1 },
		{ "trunk.pcap2", "trunk.pcap10", -1 },
		{ "trunk.pcap10", "trunk.pcap9", 1 },
		{ "t2.pcap", "t10.pcap", -1 },
		{ "a/b/x1", "a/b/x01", 1 },        /* same number: bytes decide ('1' > '0') */
		{ "x007y", "x7z", -1 },            /* 7 == 7, then 'y' < 'z' */
		{ "x", "x", 0 },
		{ "", "a", -1 },
		{ "abc", "abd", -1 },
		{ "2026-01-02_10", "2026-01-02_9", 1 },
		{ "file99999999999999999999", "file100000000000000000000", -1 }, /* no overflow */
		{ "0", "00", -1 },                  /* same number: the shorter text first */
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CHECK_INT(sign(ct_natural_cmp(v[i].a, v[i].b)), v[i].want);
		CHECK_INT(sign(ct_natural_cmp(v[i].b, v[i].a)), -v[i].want);
	}
	test_progress();
	test_read_ahead();
	test_zstd_header();
#ifdef HAVE_ZSTD
	test_zstd();
#endif
	return TEST_REPORT();
}
