/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Compressed captures read as streams (source_int.h): gzip (RFC 1952,
 * zlib), xz (liblzma), Zstandard (RFC 8878, libzstd) and LZ4 frames
 * (liblz4).  The format is told by the file's first bytes, never by its
 * name; those bytes may have been read already (standard input on a
 * terminal or a device, which cannot be looked at without reading it):
 * they are handed in as the first input (ct_decompress_stream_pre), and a
 * plain stream read that way is passed through (gzip cannot take them:
 * zlib reads its descriptor itself).  Each is wrapped in a stdio stream
 * (fopencookie) whose read decompresses the next bytes, so the savefile
 * readers see a plain pcap or pcapng stream and memory stays bounded (one input and one output buffer
 * per file, whatever the file's size).  Every byte decoded before a cut or
 * a corruption is delivered; then the read fails with ENODATA (cut inside
 * a frame) or EBADMSG (corrupt), which ct_read_strerror() words for the
 * message naming the file.
 *
 * Memory beyond those buffers is the decoder's window: up to 64 MiB for
 * xz -9 (refused past DZ_XZ_MEMLIMIT), 4 MiB for an LZ4 block, 32 KiB for
 * gzip, and for zstd whatever the frame header declares (RFC 8878
 * §3.1.1.1.2: up to 8 MiB at the zstd CLI's levels 1-19, 128 MiB with
 * --long=27, terabytes in a crafted header; the window is allocated even
 * when the content is small).  So a zstd decoder is opened with a cap on
 * its window (ct_decompress_open's zstd_window_max, a power of two: 128 MiB
 * when not told) and fails a frame that declares more with EFBIG, before
 * allocating it; ct_zstd_frame_window() reads the first frame's header so
 * that the caller (inputs.c) can reserve the window before opening.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef HAVE_ZLIB
#include <zlib.h>
#endif
#ifdef HAVE_LZMA
#include <lzma.h>
#endif
#ifdef HAVE_ZSTD
#include <zstd.h>
#include <zstd_errors.h>
#endif
#ifdef HAVE_LZ4
#include <lz4frame.h>
#endif

#include "calltap/err.h"
#include "source_int.h"

#define DZ_INBUF (1u << 17)
#define DZ_XZ_MEMLIMIT (UINT64_C(256) << 20)   /* xz -9 needs 65 MiB */

/* Decoder state shared by the xz, zstd, lz4 and pass-through cookies. */
struct dz {
	int fd;
	int kind;
	uint8_t *in;          /* compressed bytes read from fd */
	size_t in_len, in_pos;
	int in_eof;           /* fd returned 0 */
	int done;             /* the compressed stream ended */
	int midframe;         /* the decoder is inside a frame (output still owed) */
	int err;              /* errno of a failure, returned again by later reads */
#ifdef HAVE_LZMA
	lzma_stream xz;
#endif
#ifdef HAVE_ZSTD
	ZSTD_DStream *zs;
#endif
#ifdef HAVE_LZ4
	LZ4F_dctx *lz;
#endif
};

/* Refills in from fd when it is used up: 1 bytes available, 0 end of file, -1 error. */
static int dz_fill(struct dz *z)
{
	ssize_t n;

	if (z->in_pos < z->in_len)
		return 1;
	if (z->in_eof)
		return 0;
	do
		n = read(z->fd, z->in, DZ_INBUF);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	z->in_len = (size_t)n;
	z->in_pos = 0;
	if (n == 0)
		z->in_eof = 1;
	return n > 0;
}

/*
 * One step of the decoder: decompresses from z->in into buf[0..len) and
 * returns the bytes produced (0 = needs more input, or the end), -1 with
 * errno on corrupt data; sets z->done at the end of the last frame.
 */
static ssize_t dz_step(struct dz *z, char *buf, size_t len)
{
	switch (z->kind) {
	case CT_COMPRESS_NONE: {   /* read ahead (standard input): passed through */
		size_t n = z->in_len - z->in_pos < len ? z->in_len - z->in_pos : len;

		memcpy(buf, z->in + z->in_pos, n);
		z->in_pos += n;
		return (ssize_t)n;
	}
#ifdef HAVE_LZMA
	case CT_COMPRESS_XZ: {
		lzma_ret r;

		z->xz.next_in = z->in + z->in_pos;
		z->xz.avail_in = z->in_len - z->in_pos;
		z->xz.next_out = (uint8_t *)buf;
		z->xz.avail_out = len;
		r = lzma_code(&z->xz, z->in_eof ? LZMA_FINISH : LZMA_RUN);
		z->in_pos = z->in_len - z->xz.avail_in;
		z->midframe = 1;
		if (r == LZMA_STREAM_END) {
			z->done = 1;
			z->midframe = 0;
		} else if (r != LZMA_OK && !(r == LZMA_BUF_ERROR && z->in_eof)) {
			errno = r == LZMA_MEM_ERROR || r == LZMA_MEMLIMIT_ERROR ? ENOMEM : EBADMSG;
			return -1;
		}
		return (ssize_t)(len - z->xz.avail_out);
	}
#endif
#ifdef HAVE_ZSTD
	case CT_COMPRESS_ZSTD: {
		ZSTD_inBuffer ib = { z->in, z->in_len, z->in_pos };
		ZSTD_outBuffer ob = { buf, len, 0 };
		size_t r = ZSTD_decompressStream(z->zs, &ob, &ib);

		if (ZSTD_isError(r)) {
			/* A frame whose window is over the cap: refused before any allocation. */
			errno = ZSTD_getErrorCode(r) == ZSTD_error_frameParameter_windowTooLarge ?
			    EFBIG : EBADMSG;
			return -1;
		}
		/*
		 * 0: a frame ended; more frames may follow (zstd files
		 * concatenate).  A call that moved nothing says nothing.
		 */
		if (ib.pos != z->in_pos || ob.pos != 0)
			z->midframe = r != 0;
		z->in_pos = ib.pos;
		return (ssize_t)ob.pos;
	}
#endif
#ifdef HAVE_LZ4
	case CT_COMPRESS_LZ4: {
		size_t out = len, in = z->in_len - z->in_pos;
		size_t r = LZ4F_decompress(z->lz, buf, &out, z->in + z->in_pos, &in, NULL);

		z->in_pos += in;
		if (LZ4F_isError(r)) {
			errno = EBADMSG;
			return -1;
		}
		if (in != 0 || out != 0)
			z->midframe = r != 0;   /* 0: the frame is complete */
		return (ssize_t)out;
	}
#endif
	default:
		(void)buf;
		(void)len;
		errno = EINVAL;
		return -1;
	}
}

/* Fails this read and every later one with err (stdio asks again after a short read). */
static ssize_t dz_fail(struct dz *z, int err)
{
	z->err = err;
	z->done = 1;
	errno = err;
	return -1;
}

static ssize_t dz_read(void *cookie, char *buf, size_t len)
{
	struct dz *z = cookie;

	if (z->err != 0) {
		errno = z->err;
		return -1;
	}
	while (!z->done) {
		ssize_t n;
		int f = dz_fill(z);

		if (f < 0)
			return dz_fail(z, errno);
		/* Also with no input left: the decoder may still hold output. */
		n = dz_step(z, buf, len);
		if (n < 0)
			return dz_fail(z, errno);
		if (n > 0)
			return n;
		if (f == 0) {
			if (z->midframe)
				return dz_fail(z, ENODATA);  /* cut inside a frame */
			z->done = 1;   /* input ended and nothing more came out */
		}
	}
	return 0;
}

static int dz_close(void *cookie)
{
	struct dz *z = cookie;

#ifdef HAVE_LZMA
	if (z->kind == CT_COMPRESS_XZ)
		lzma_end(&z->xz);
#endif
#ifdef HAVE_ZSTD
	if (z->zs != NULL)
		ZSTD_freeDStream(z->zs);
#endif
#ifdef HAVE_LZ4
	if (z->lz != NULL)
		LZ4F_freeDecompressionContext(z->lz);
#endif
	close(z->fd);
	free(z->in);
	free(z);
	return 0;
}

#ifdef HAVE_ZLIB
static ssize_t gz_read(void *cookie, char *buf, size_t len)
{
	int n;

	if (len > INT_MAX)
		len = INT_MAX;
	n = gzread((gzFile)cookie, buf, (unsigned)len);
	if (n < 0) {
		int zerr;

		gzerror((gzFile)cookie, &zerr);
		if (zerr == Z_BUF_ERROR)
			errno = ENODATA;   /* cut short */
		else if (zerr != Z_ERRNO)
			errno = zerr == Z_MEM_ERROR ? ENOMEM : EBADMSG;
		return -1;
	}
	return n;
}

static int gz_close(void *cookie)
{
	return gzclose_r((gzFile)cookie) == Z_OK ? 0 : EOF;
}
#endif

const char *ct_read_strerror(int err)
{
	if (err == ENODATA)
		return "compressed data ends early (file cut short)";
	if (err == EBADMSG)
		return "compressed data is corrupt";
	if (err == EFBIG)
		return "a zstd frame declares a larger decompression window than allowed for this "
		    "file (its first frame's, at least 8 MiB; --decompress-memory bounds it)";
	return strerror(err);
}

/*
 * The window size a zstd frame header declares (RFC 8878 §3.1.1.1): b[0..n)
 * are a file's first bytes (at least CT_ZSTD_HEADER_MAX of them unless the
 * file is shorter).  Window_Descriptor: 2^(10 + Exponent) plus Mantissa
 * eighths of it; with Single_Segment_flag the window is the
 * Frame_Content_Size (after the Dictionary_ID).  0 when b is not a zstd
 * frame header: another magic, too short, or the reserved bit set (the
 * decoder refuses those itself).  Reads through a bounded cursor; never
 * more than n bytes.
 */
uint64_t ct_zstd_frame_window(const uint8_t *b, size_t n)
{
	static const uint8_t did_len[4] = { 0, 1, 2, 4 }, fcs_len[4] = { 1, 2, 4, 8 };
	size_t pos = 5, k, len;
	uint8_t fhd;
	uint64_t v = 0;

	if (n < 6 || ct_compress_kind(b, n) != CT_COMPRESS_ZSTD)
		return 0;
	fhd = b[4];
	if (fhd & 0x08)
		return 0;                        /* reserved bit */
	if (!(fhd & 0x20)) {                     /* Window_Descriptor */
		uint64_t base = UINT64_C(1) << (10 + (b[5] >> 3));

		return base + (base / 8) * (b[5] & 7);
	}
	pos += did_len[fhd & 3];
	len = fcs_len[fhd >> 6];
	if (pos + len > n)
		return 0;
	for (k = len; k > 0; k--)                /* little-endian */
		v = v << 8 | b[pos + k - 1];
	return len == 2 ? v + 256 : v;
}

/*
 * What a zstd input reserves for a first frame of window w: w, at least
 * CT_ZSTD_WINDOW_FLOOR (later frames up to the zstd CLI's usual 8 MiB
 * decode too), rounded up to a power of two (the decoder's cap is a
 * log2).  UINT64_MAX when even libzstd's largest cap is too small.
 */
uint64_t ct_zstd_window_reserve(uint64_t w)
{
	uint64_t r = CT_ZSTD_WINDOW_FLOOR;

	while (r < w && r <= CT_ZSTD_WINDOW_LARGEST / 2)
		r *= 2;
	return r < w ? UINT64_MAX : r;
}

int ct_compress_kind(const uint8_t *b, size_t n)
{
	if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		return CT_COMPRESS_GZIP;
	if (n >= 6 && memcmp(b, "\xfd" "7zXZ\0", 6) == 0)
		return CT_COMPRESS_XZ;
	if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
		return CT_COMPRESS_ZSTD;
	if (n >= 4 && b[0] == 0x04 && b[1] == 0x22 && b[2] == 0x4d && b[3] == 0x18)
		return CT_COMPRESS_LZ4;
	return CT_COMPRESS_NONE;
}

const char *ct_compress_name(int kind)
{
	switch (kind) {
	case CT_COMPRESS_GZIP: return "gzip";
	case CT_COMPRESS_XZ: return "xz";
	case CT_COMPRESS_ZSTD: return "zstd";
	case CT_COMPRESS_LZ4: return "lz4";
	default: return "plain";
	}
}

/* 1 when this build reads kind. */
int ct_compress_supported(int kind)
{
	switch (kind) {
	case CT_COMPRESS_NONE: return 1;
#ifdef HAVE_ZLIB
	case CT_COMPRESS_GZIP: return 1;
#endif
#ifdef HAVE_LZMA
	case CT_COMPRESS_XZ: return 1;
#endif
#ifdef HAVE_ZSTD
	case CT_COMPRESS_ZSTD: return 1;
#endif
#ifdef HAVE_LZ4
	case CT_COMPRESS_LZ4: return 1;
#endif
	default: return 0;
	}
}

FILE *ct_decompress_stream(int fd, int kind)
{
	return ct_decompress_open(fd, kind, NULL, 0, 0);
}

FILE *ct_decompress_stream_pre(int fd, int kind, const uint8_t *pre, size_t n_pre)
{
	return ct_decompress_open(fd, kind, pre, n_pre, 0);
}

#ifdef HAVE_ZSTD
/* log2 of the zstd window cap max (a power of two; 0 = CT_ZSTD_WINDOW_DEFAULT), within libzstd's bounds. */
static int zstd_window_log(uint64_t max)
{
	ZSTD_bounds b = ZSTD_dParam_getBounds(ZSTD_d_windowLogMax);
	int lg = 0;

	if (max == 0)
		max = CT_ZSTD_WINDOW_DEFAULT;
	while (lg < 63 && (UINT64_C(1) << (lg + 1)) <= max)
		lg++;
	if (!ZSTD_isError(b.error) && lg > b.upperBound)
		lg = b.upperBound;
	if (!ZSTD_isError(b.error) && lg < b.lowerBound)
		lg = b.lowerBound;
	return lg;
}
#endif

/*
 * The general form of ct_decompress_stream/_pre (source_int.h): the zstd
 * decoder refuses (EFBIG) a frame whose window is over zstd_window_max (a
 * power of two, rounded down otherwise; 0 = CT_ZSTD_WINDOW_DEFAULT).
 */
FILE *ct_decompress_open(int fd, int kind, const uint8_t *pre, size_t n_pre,
    uint64_t zstd_window_max)
{
	static const cookie_io_functions_t dz_io = {
		.read = dz_read, .write = NULL, .seek = NULL, .close = dz_close,
	};
	struct dz *z;
	FILE *fp;

	if (kind == CT_COMPRESS_NONE && n_pre == 0) {
		if ((fp = fdopen(fd, "rb")) == NULL)
			close(fd);
		return fp;
	}
	if (!ct_compress_supported(kind)) {
		close(fd);
		errno = ENOTSUP;
		return NULL;
	}
	if (kind == CT_COMPRESS_GZIP && n_pre > 0) {
		close(fd);
		errno = ESPIPE;   /* zlib reads fd itself: the bytes read ahead cannot be given back */
		return NULL;
	}
#ifdef HAVE_ZLIB
	if (kind == CT_COMPRESS_GZIP) {
		static const cookie_io_functions_t gz_io = {
			.read = gz_read, .write = NULL, .seek = NULL, .close = gz_close,
		};
		gzFile gz = gzdopen(fd, "rb");

		if (gz == NULL) {
			close(fd);
			errno = ENOMEM;
			return NULL;
		}
		gzbuffer(gz, DZ_INBUF);
		if ((fp = fopencookie(gz, "rb", gz_io)) == NULL)
			gzclose_r(gz);
		return fp;
	}
#endif
	if ((z = calloc(1, sizeof(*z))) == NULL || (z->in = malloc(DZ_INBUF)) == NULL) {
		free(z);
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	z->fd = fd;
	z->kind = kind;
	if (n_pre > DZ_INBUF)
		n_pre = DZ_INBUF;   /* never: the callers read a few bytes ahead */
	if (n_pre > 0)
		memcpy(z->in, pre, n_pre);
	z->in_len = n_pre;
	switch (kind) {
#ifdef HAVE_LZMA
	case CT_COMPRESS_XZ: {
		lzma_stream init = LZMA_STREAM_INIT;

		z->xz = init;
		/* Concatenated .xz streams are one file; a hostile header cannot ask for more than the limit. */
		if (lzma_stream_decoder(&z->xz, DZ_XZ_MEMLIMIT, LZMA_CONCATENATED) != LZMA_OK)
			goto nomem;
		break;
	}
#endif
#ifdef HAVE_ZSTD
	case CT_COMPRESS_ZSTD:
		if ((z->zs = ZSTD_createDStream()) == NULL || ZSTD_isError(ZSTD_initDStream(z->zs)))
			goto nomem;
		/* A hostile frame must not make us allocate a huge window. */
		if (ZSTD_isError(ZSTD_DCtx_setParameter(z->zs, ZSTD_d_windowLogMax,
		    zstd_window_log(zstd_window_max))))
			goto nomem;
		break;
#endif
#ifdef HAVE_LZ4
	case CT_COMPRESS_LZ4:
		if (LZ4F_isError(LZ4F_createDecompressionContext(&z->lz, LZ4F_VERSION)))
			goto nomem;
		break;
#endif
	default:
		break;
	}
	if ((fp = fopencookie(z, "rb", dz_io)) != NULL)
		return fp;
nomem:
	z->fd = -1;
	dz_close(z);
	close(fd);
	errno = ENOMEM;
	return NULL;
}
