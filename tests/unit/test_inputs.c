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
 * xz (the .xz file format 1.2.0, §2.1.1, §3.1, §5.3): stream and block
 * headers as a table of byte vectors (valid chains, truncated, bad CRC32,
 * reserved bits, unknown filters, dictionary bytes 0 to 41), the
 * reservation's rounding; with liblzma, the need it computes for a chain,
 * a block declaring more than the memlimit refused (EOVERFLOW) alone or as
 * a later stream after the first stream's bytes are delivered, and xz files
 * merged within the budget as zstd ones are.
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
#ifdef HAVE_LZMA
#include <lzma.h>
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


/* Stream Header of a CRC64 stream (the xz default), 12 bytes. */
#define XZ_SH4 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04, 0xe6, 0xd6, 0xb4, 0x46

/*
 * Stream and first block headers (the .xz file format 1.2.0, §2.1.1,
 * §3.1), the result of ct_xz_first_block, and the dictionary and number
 * of filters it finds.  Each CRC32 is right unless the vector says
 * otherwise, so each failure has the one cause named.
 */
static const struct {
	const char *what;
	uint8_t b[CT_XZ_HEADER_MAX];
	size_t n;
	int rc;
	uint64_t dict;
	unsigned nf;
} xz_vecs[] = {
	{ "xz -6: LZMA2 8 MiB", { XZ_SH4, 0x02, 0x00, 0x21, 0x01, 0x16, 0x00, 0x00, 0x00,
	  0x74, 0x2f, 0xe5, 0xa3 }, 24, CT_OK, 8u << 20, 1 },
	{ "xz --lzma2=dict=192MiB (byte 31)", { XZ_SH4, 0x02, 0x00, 0x21, 0x01, 0x1f, 0x00,
	  0x00, 0x00, 0xfe, 0x60, 0xed, 0xde }, 24, CT_OK, UINT64_C(192) << 20, 1 },
	{ "dictionary byte 40: 4 GiB - 1", { XZ_SH4, 0x02, 0x00, 0x21, 0x01, 0x28, 0x00, 0x00,
	  0x00, 0xe6, 0xa0, 0x11, 0xb3 }, 24, CT_OK, UINT32_MAX, 1 },
	{ "dictionary byte 0: 4 KiB, no check", { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00,
	  0x00, 0xff, 0x12, 0xd9, 0x41, 0x02, 0x00, 0x21, 0x01, 0x00, 0x00, 0x00, 0x00, 0x37,
	  0x27, 0x97, 0xd6 }, 24, CT_OK, 4096, 1 },
	{ "x86 + LZMA2 64 MiB, both sizes, CRC32 check", { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00,
	  0x00, 0x01, 0x69, 0x22, 0xde, 0x36, 0x03, 0xc1, 0x80, 0x01, 0xff, 0x7f, 0x04, 0x00,
	  0x21, 0x01, 0x1c, 0x00, 0x6e, 0xe1, 0xd3, 0xc5 }, 28, CT_OK, 64u << 20, 2 },
	{ "Delta + ARM64 at 4096 + RISC-V + LZMA2 1 MiB, SHA-256 check", { 0xfd, 0x37, 0x7a,
	  0x58, 0x5a, 0x00, 0x00, 0x0a, 0xe1, 0xfb, 0x0c, 0xa1, 0x04, 0x03, 0x03, 0x01, 0x00,
	  0x0a, 0x04, 0x00, 0x10, 0x00, 0x00, 0x0b, 0x00, 0x21, 0x01, 0x10, 0xc3, 0x64, 0x0c,
	  0x55 }, 32, CT_OK, 1u << 20, 4 },
	{ "largest block header (1024 bytes)", { XZ_SH4, 0xff, 0x00, 0x21, 0x01, 0x16,
	  [1032] = 0xca, 0x34, 0xd1, 0x5c }, CT_XZ_HEADER_MAX, CT_OK, 8u << 20, 1 },
	{ "no block: Index Indicator", { XZ_SH4, 0x00 }, 13, CT_EOF, 0, 0 },
	{ "Stream Header only", { XZ_SH4 }, 12, CT_PARTIAL, 0, 0 },
	{ "block header cut", { XZ_SH4, 0x02, 0x00, 0x21, 0x01, 0x16, 0x00, 0x00, 0x00, 0x74,
	  0x2f, 0xe5 }, 23, CT_PARTIAL, 0, 0 },
	{ "largest block header cut", { XZ_SH4, 0xff, 0x00, 0x21, 0x01, 0x16 },
	  CT_XZ_HEADER_MAX - 1, CT_PARTIAL, 0, 0 },
	{ "magic cut", { 0xfd, 0x37, 0x7a, 0x58, 0x5a }, 5, CT_ERR, 0, 0 },
	{ "zstd, not xz", { 0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x88, 0, 0, 0, 0, 0, 0, 0 }, 13, CT_ERR,
	  0, 0 },
	{ "bad Stream Header CRC32", { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04, 0xe7,
	  0xd6, 0xb4, 0x46, 0x02, 0x00, 0x21, 0x01, 0x16, 0x00, 0x00, 0x00, 0x74, 0x2f, 0xe5,
	  0xa3 }, 24, CT_ERR, 0, 0 },
	{ "reserved Stream Flags bit", { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x14, 0x82,
	  0xc6, 0x03, 0x5b, 0x02, 0x00, 0x21, 0x01, 0x16, 0x00, 0x00, 0x00, 0x74, 0x2f, 0xe5,
	  0xa3 }, 24, CT_ERR, 0, 0 },
	{ "bad Block Header CRC32", { XZ_SH4, 0x02, 0x00, 0x21, 0x01, 0x16, 0x00, 0x00, 0x00,
	  0x75, 0x2f, 0xe5, 0xa3 }, 24, CT_ERR, 0, 0 },
	{ "dictionary byte 41", { XZ_SH4, 0x02, 0x00, 0x21, 0x01, 0x29, 0x00, 0x00, 0x00, 0x83,
	  0xc7, 0xad, 0x0b }, 24, CT_ERR, 0, 0 },
	{ "dictionary byte with a reserved bit", { XZ_SH4, 0x02, 0x00, 0x21, 0x01, 0x56, 0x00,
	  0x00, 0x00, 0x49, 0x77, 0xf1, 0x38 }, 24, CT_ERR, 0, 0 },
	{ "LZMA2 with 2 property bytes", { XZ_SH4, 0x02, 0x00, 0x21, 0x02, 0x16, 0x00, 0x00,
	  0x00, 0xa4, 0x55, 0x45, 0xe4 }, 24, CT_ERR, 0, 0 },
	{ "unknown filter 0x22", { XZ_SH4, 0x02, 0x00, 0x22, 0x01, 0x16, 0x00, 0x00, 0x00, 0xda,
	  0x5d, 0x71, 0x25 }, 24, CT_ERR, 0, 0 },
	{ "LZMA2 before x86", { XZ_SH4, 0x02, 0x01, 0x21, 0x01, 0x16, 0x04, 0x00, 0x00, 0x1c,
	  0x8c, 0x9b, 0x02 }, 24, CT_ERR, 0, 0 },
	{ "x86 alone", { XZ_SH4, 0x01, 0x00, 0x04, 0x00, 0x7d, 0x7d, 0x94, 0xfd }, 20, CT_ERR,
	  0, 0 },
	{ "two LZMA2", { XZ_SH4, 0x02, 0x01, 0x21, 0x01, 0x16, 0x21, 0x01, 0x16, 0x07, 0x8c,
	  0xd2, 0xd1 }, 24, CT_ERR, 0, 0 },
	{ "two filters declared, padding as the second", { XZ_SH4, 0x02, 0x01, 0x21, 0x01, 0x16,
	  0x00, 0x00, 0x00, 0xc0, 0x24, 0x92, 0x05 }, 24, CT_ERR, 0, 0 },
	{ "reserved Block Flags bit", { XZ_SH4, 0x02, 0x04, 0x21, 0x01, 0x16, 0x00, 0x00, 0x00,
	  0x67, 0x0b, 0xaa, 0x57 }, 24, CT_ERR, 0, 0 },
	{ "Header Padding not null", { XZ_SH4, 0x02, 0x00, 0x21, 0x01, 0x16, 0x00, 0x01, 0x00,
	  0x35, 0x1e, 0xfe, 0xba }, 24, CT_ERR, 0, 0 },
	{ "filter ID not in its shortest form", { XZ_SH4, 0x02, 0x00, 0xa1, 0x00, 0x01, 0x16,
	  0x00, 0x00, 0xf8, 0xa2, 0x50, 0x55 }, 24, CT_ERR, 0, 0 },
	{ "Compressed Size 0", { XZ_SH4, 0x02, 0x40, 0x00, 0x21, 0x01, 0x16, 0x00, 0x00, 0x7e,
	  0x13, 0xba, 0x3f }, 24, CT_ERR, 0, 0 },
	{ "properties past the header", { XZ_SH4, 0x01, 0x00, 0x21, 0x04, 0x83, 0x69, 0x0a,
	  0x12 }, 20, CT_ERR, 0, 0 },
	{ "8-byte header: LZMA2's byte past its end", { XZ_SH4, 0x01, 0x00, 0x21, 0x01, 0x0c,
	  0x9d, 0x60, 0x62 }, 20, CT_ERR, 0, 0 },
};

static void test_xz_header(void)
{
	struct ct_xz_chain ch;
	size_t i;

	for (i = 0; i < sizeof(xz_vecs) / sizeof(xz_vecs[0]); i++) {
		int rc = ct_xz_first_block(xz_vecs[i].b, xz_vecs[i].n, &ch);

		if (rc != xz_vecs[i].rc || ch.dict != xz_vecs[i].dict || ch.n != xz_vecs[i].nf)
			printf("  %s: rc %d dict %llu filters %u\n", xz_vecs[i].what, rc,
			    (unsigned long long)ch.dict, ch.n);
		CHECK_INT(rc, xz_vecs[i].rc);
		CHECK(ch.dict == xz_vecs[i].dict);
		CHECK_INT(ch.n, xz_vecs[i].nf);
	}
	/* Rounded as zstd's window is, plus the decoder's state in whole MiB. */
	CHECK(ct_xz_reserve(8u << 20, (8u << 20) + 65592, 0) == UINT64_C(9) << 20);
	CHECK(ct_xz_reserve(4096, 4096 + 65592, 0) == UINT64_C(9) << 20);
	CHECK(ct_xz_reserve(64u << 20, (64u << 20) + 65592, 0) == UINT64_C(65) << 20);
	CHECK(ct_xz_reserve(UINT64_C(192) << 20, (UINT64_C(192) << 20) + 65592, 0) ==
	    UINT64_C(257) << 20);
	CHECK(ct_xz_reserve(UINT32_MAX, UINT32_MAX + UINT64_C(65592), 0) == UINT64_C(4097) << 20);
	CHECK(ct_xz_reserve(8u << 20, (8u << 20) + (5u << 19), 0) == UINT64_C(11) << 20);
	CHECK(ct_xz_reserve(0, 0, 0) == UINT64_C(9) << 20);             /* unknown */
	CHECK(ct_xz_reserve(1u << 20, UINT64_MAX, 0) == UINT64_C(9) << 20);
	/* The floor gives way to a budget under it, not the dictionary. */
	CHECK(ct_xz_reserve(256u << 10, (256u << 10) + 65592, 8u << 20) == UINT64_C(5) << 20);
	CHECK(ct_xz_reserve(8u << 20, (8u << 20) + 65592, 8u << 20) == UINT64_C(9) << 20);
	CHECK(ct_xz_reserve(0, 0, 1u << 20) == (UINT64_C(1) << 20) + 4096);
}

#if defined(HAVE_ZSTD) || defined(HAVE_LZMA)
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
 * Reads path (compressed as kind) through ct_decompress_open with mem_max:
 * bytes read into buf, errno of a failure in *err.
 */
static size_t read_capped(const char *path, int kind, uint64_t max, uint8_t *buf, size_t size,
    int *err)
{
	int fd = open(path, O_RDONLY);
	FILE *fp = fd >= 0 ? ct_decompress_open(fd, kind, NULL, 0, max) : NULL;
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
 * Frames read from files[0..nf) merged under budget; the files deferred for
 * decoder memory and the peak reservation out.
 */
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
	*deferred = ct_inputs_deferred_decompress(in);
	*peak = ct_inputs_decompress_peak(in);
	ct_inputs_free(in);
	return frames;
}
#endif

#ifdef HAVE_ZSTD

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
	k = read_capped(path, CT_COMPRESS_ZSTD, CT_ZSTD_WINDOW_FLOOR, got, 2 * n, &err);
	CHECK_INT(k, 0);
	CHECK_INT(err, EFBIG);
	k = read_capped(path, CT_COMPRESS_ZSTD, UINT64_C(1) << 27, got, 2 * n, &err);
	CHECK_INT(err, 0);
	CHECK(k == n && memcmp(got, img, n) == 0);
	k = read_capped(path, CT_COMPRESS_ZSTD, 0, got, 2 * n, &err);   /* the default cap: 128 MiB */
	CHECK(k == n && err == 0);
	unlink(path);

	snprintf(path, sizeof(path), "%s/concat.pcap.zst", dir);
	write_zstd(path, img, n, 20, 1);
	write_zstd(path, img, n, 27, 0);
	CHECK(file_window(path) <= n);
	k = read_capped(path, CT_COMPRESS_ZSTD, ct_zstd_window_reserve(file_window(path)), got,
	    2 * n, &err);
	CHECK(k == n && memcmp(got, img, n) == 0);
	CHECK_INT(err, EFBIG);
	unlink(path);
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

#ifdef HAVE_LZMA
/*
 * Appends src[0..n) to path as one .xz stream (LZMA2 at preset 0, a
 * 256 KiB dictionary, sizes in the block header) whose first block then
 * declares dictionary byte d (§5.3.1), its CRC32 made right again: the
 * decoder allocates what the header declares, whatever the content.
 */
static void write_xz(const char *path, const void *src, size_t n, uint8_t d)
{
	lzma_options_lzma o;
	lzma_filter f[2];
	size_t cap = lzma_stream_buffer_bound(n), len = 0, h, k;
	uint8_t *out = malloc(cap);
	FILE *fp = fopen(path, "ab");
	uint32_t crc;

	CHECK(out != NULL && fp != NULL && !lzma_lzma_preset(&o, 0));
	f[0].id = LZMA_FILTER_LZMA2;
	f[0].options = &o;
	f[1].id = LZMA_VLI_UNKNOWN;
	f[1].options = NULL;
	CHECK(lzma_stream_buffer_encode(f, LZMA_CHECK_CRC64, NULL, src, n, out, &len, cap) ==
	    LZMA_OK);
	h = ((size_t)out[12] + 1) * 4;   /* Block Header: size, flags, sizes, 0x21 0x01 dict */
	k = 14;
	if (out[13] & 0x40)
		while (out[k++] & 0x80)          /* Compressed Size */
			;
	if (out[13] & 0x80)
		while (out[k++] & 0x80)          /* Uncompressed Size */
			;
	CHECK(k + 2 < 12 + h && out[k] == 0x21 && out[k + 1] == 1);
	out[k + 2] = d;
	crc = lzma_crc32(out + 12, h - 4, 0);
	for (k = 0; k < 4; k++)
		out[12 + h - 4 + k] = (uint8_t)(crc >> (8 * k));
	fwrite(out, 1, len, fp);
	fclose(fp);
	free(out);
}

/* The first block of path: its dictionary, the decoder's need and reservation (no budget). */
static uint64_t xz_file(const char *path, uint64_t *need, uint64_t *reserve)
{
	uint8_t b[CT_XZ_HEADER_MAX];
	struct ct_xz_chain ch;
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, b, sizeof(b)) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0 || ct_xz_first_block(b, (size_t)n, &ch) != CT_OK)
		return 0;
	*need = ct_xz_chain_need(&ch);
	*reserve = ct_xz_reserve(ch.dict, *need, 0);
	return ch.dict;
}

/*
 * liblzma's own need for parsed chains (lzma_raw_decoder_memusage): the
 * dictionary and a few dozen KiB, a little more per filter before LZMA2.
 */
static void test_xz_need(void)
{
	struct ct_xz_chain ch[3];
	uint64_t need[3];
	size_t i;

	CHECK_INT(ct_xz_first_block(xz_vecs[0].b, xz_vecs[0].n, &ch[0]), CT_OK);   /* LZMA2 */
	CHECK_INT(ct_xz_first_block(xz_vecs[4].b, xz_vecs[4].n, &ch[1]), CT_OK);   /* x86 + LZMA2 */
	ch[2] = ch[1];                                   /* Delta (distance 4) + x86 + LZMA2 */
	ch[2].n = 3;
	ch[2].id[2] = ch[1].id[1];
	memcpy(ch[2].props[2], ch[1].props[1], 4);
	ch[2].nprops[2] = 1;
	ch[2].id[1] = ch[1].id[0];
	ch[2].nprops[1] = 0;
	ch[2].id[0] = CT_XZ_FILTER_DELTA;
	ch[2].props[0][0] = 3;
	ch[2].nprops[0] = 1;
	for (i = 0; i < 3; i++) {
		need[i] = ct_xz_chain_need(&ch[i]);
		CHECK(need[i] > ch[i].dict && need[i] - ch[i].dict < (1u << 20));
	}
	CHECK(need[1] - ch[1].dict > need[0] - ch[0].dict);
	CHECK(need[2] - ch[2].dict > need[1] - ch[1].dict);
	ch[0].n = 0;
	CHECK(ct_xz_chain_need(&ch[0]) == UINT64_MAX);
	ch[0].n = 1;
	ch[0].id[0] = 0x3f00000000000001;  /* a custom ID liblzma does not know */
	CHECK(ct_xz_chain_need(&ch[0]) == UINT64_MAX);
}

/*
 * One decoder: a stream declaring a 128 MiB dictionary is refused under a
 * 64 MiB memlimit (EOVERFLOW, nothing delivered) and read whole under its
 * reservation; a file whose first stream declares 256 KiB and a later
 * stream 128 MiB delivers every byte of the first, then fails (EOVERFLOW)
 * under the first stream's reservation, and is read whole under the
 * default memlimit.
 */
static void test_xz_cap(const char *dir, uint8_t *img, uint8_t *got)
{
	char path[128];
	size_t n = pcap_image(img, 1000), k;
	uint64_t need = 0, res = 0;
	int err;

	snprintf(path, sizeof(path), "%s/d128.pcap.xz", dir);
	write_xz(path, img, n, 30);                      /* 2 << 26: 128 MiB */
	CHECK(xz_file(path, &need, &res) == UINT64_C(128) << 20);
	CHECK(res == UINT64_C(129) << 20 && need <= res);
	k = read_capped(path, CT_COMPRESS_XZ, UINT64_C(64) << 20, got, 2 * n, &err);
	CHECK_INT(k, 0);
	CHECK_INT(err, EOVERFLOW);
	CHECK(strstr(ct_read_strerror(err), "xz block") != NULL);
	k = read_capped(path, CT_COMPRESS_XZ, res, got, 2 * n, &err);
	CHECK_INT(err, 0);
	CHECK(k == n && memcmp(got, img, n) == 0);
	unlink(path);

	snprintf(path, sizeof(path), "%s/concat.pcap.xz", dir);
	write_xz(path, img, n, 12);                      /* 2 << 17: 256 KiB */
	write_xz(path, img, n, 30);
	CHECK(xz_file(path, &need, &res) == UINT64_C(256) << 10);
	CHECK(res == UINT64_C(9) << 20);
	k = read_capped(path, CT_COMPRESS_XZ, res, got, 2 * n, &err);
	CHECK(k == n && memcmp(got, img, n) == 0);
	CHECK_INT(err, EOVERFLOW);
	k = read_capped(path, CT_COMPRESS_XZ, 0, got, 2 * n, &err);   /* 128 MiB: not enough either */
	CHECK(k == n && err == EOVERFLOW);
	k = read_capped(path, CT_COMPRESS_XZ, UINT64_C(129) << 20, got, 2 * n, &err);
	CHECK(k == 2 * n && err == 0 && memcmp(got + n, img, n) == 0);
	unlink(path);
}

/*
 * Six xz files overlapping in time, each declaring a 64 MiB dictionary (65
 * MiB reserved): two open at once under 130 MiB, three under 200 MiB, all
 * six under the default; every frame read each time.  A seventh declaring
 * 4 GiB - 1 (dictionary byte 40: 4097 MiB reserved) is refused under the
 * default, named with its dictionary and the value to give; the six are
 * still read.
 */
static void test_xz_budget(const char *dir, uint8_t *img)
{
	static const struct { uint64_t budget; size_t deferred; uint64_t peak; } b[] = {
		{ UINT64_C(130) << 20, 4, UINT64_C(130) << 20 },
		{ UINT64_C(200) << 20, 3, UINT64_C(195) << 20 },
		{ 0, 0, UINT64_C(390) << 20 },
	};
	char files[7][128], errbuf[CT_ERRBUF_SIZE];
	size_t n = pcap_image(img, 1000), i, deferred, frames;
	uint64_t peak;
	int errors;

	for (i = 0; i < 7; i++) {
		snprintf(files[i], sizeof(files[i]), "%s/x%zu.pcap.xz", dir, i);
		write_xz(files[i], img, n, i < 6 ? 28 : 40);   /* 2 << 25: 64 MiB */
	}
	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		frames = merge(files, 6, b[i].budget, &deferred, &peak, &errors, errbuf);
		CHECK_INT(frames, 6 * ZFRAMES);
		CHECK_INT(errors, 0);
		CHECK_INT(deferred, b[i].deferred);
		CHECK(peak == b[i].peak);
	}
	frames = merge(files, 7, 0, &deferred, &peak, &errors, errbuf);
	CHECK_INT(frames, 6 * ZFRAMES);
	CHECK_INT(errors, 1);
	CHECK(strstr(errbuf, files[6]) != NULL && strstr(errbuf, "4096.0 MiB dictionary") != NULL);
	CHECK(strstr(errbuf, "512 MiB") != NULL &&
	    strstr(errbuf, "--decompress-memory to 4097") != NULL);
	CHECK(peak == UINT64_C(390) << 20);
	for (i = 0; i < 7; i++)
		unlink(files[i]);
}

static void test_xz(void)
{
	char dir[] = "/tmp/test_inputs_xz.XXXXXX";
	uint8_t *img = malloc(2 * (24 + ZFRAMES * 116)), *got = malloc(4 * (24 + ZFRAMES * 116));

	CHECK(img != NULL && got != NULL);
	test_xz_need();
	if (img != NULL && got != NULL && mkdtemp(dir) != NULL) {
		test_xz_cap(dir, img, got);
		test_xz_budget(dir, img);
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
	test_xz_header();
#ifdef HAVE_ZSTD
	test_zstd();
#endif
#ifdef HAVE_LZMA
	test_xz();
#endif
	return TEST_REPORT();
}
