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
			errno = EBADMSG;
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
	return strerror(err);
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
	return ct_decompress_stream_pre(fd, kind, NULL, 0);
}

FILE *ct_decompress_stream_pre(int fd, int kind, const uint8_t *pre, size_t n_pre)
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
		ZSTD_DCtx_setParameter(z->zs, ZSTD_d_windowLogMax, 27);
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
