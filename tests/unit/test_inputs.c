/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Capture inputs (inputs.h): the natural name order that ranks rotations
 * and ties, as a table of pairs; the merge itself is checked end to end by
 * tests/inputs.sh against generated ground truth.  ct_inputs_progress on
 * two files (one gzip-compressed when zlib is built in): never above the
 * total, never backwards, all at the end.  ct_decompress_stream_pre (the
 * first bytes of standard input read ahead): they come first, then the rest.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_ZLIB
#include <zlib.h>
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
	return TEST_REPORT();
}
