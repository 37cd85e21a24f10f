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
 * Memory beyond those buffers is the decoder's window, which the stream's
 * own headers set: 32 KiB for gzip (RFC 1951 caps it), blocks of at most
 * 4 MiB for LZ4 (the frame descriptor's Block Maximum Size: liblz4 then
 * holds about 8 MiB of buffers, never more), and for zstd and xz whatever
 * the header declares, allocated when the header is read whatever the
 * content's size.
 * zstd (RFC 8878 §3.1.1.1.2): up to 8 MiB at the zstd CLI's levels 1-19,
 * 128 MiB with --long=27, terabytes in a crafted header; so a zstd decoder
 * is opened with a cap on its window (ct_decompress_open's mem_max, a power
 * of two: 128 MiB when not told) and fails a frame that declares more with
 * EFBIG, before allocating it; ct_zstd_frame_window() reads the first
 * frame's header so that the caller (inputs.c) can reserve the window
 * before opening.  xz (the .xz file format, version 1.2.0: §2.1.1 Stream
 * Header, §3.1 Block Header, §5.3.1 LZMA2): each block's filter chain ends
 * in LZMA2, whose dictionary (4 KiB to 4 GiB - 1; 8 MiB at xz's default -6,
 * 64 MiB at -9) is most of the decoder; ct_xz_first_block() reads the
 * first block's header, ct_xz_chain_need() asks liblzma what decoding that
 * chain takes (lzma_raw_decoder_memusage: the dictionary and 64 KiB), and
 * ct_xz_reserve() rounds it as zstd's window is; the decoder gets the
 * reservation as its memlimit (mem_max; 128 MiB when not told), so a block
 * or a concatenated stream declaring more fails with EOVERFLOW
 * (LZMA_MEMLIMIT_ERROR), before its dictionary is allocated.
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

#include "calltap/cursor.h"
#include "calltap/err.h"
#include "source_int.h"

#define DZ_INBUF (1u << 17)

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
	int pend;             /* errno of a failure met after output: the next step's */
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
		size_t out;

		if (z->pend != 0) {
			errno = z->pend;
			return -1;
		}
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
		}
		out = len - z->xz.avail_out;
		if (r != LZMA_OK && r != LZMA_STREAM_END && !(r == LZMA_BUF_ERROR && z->in_eof)) {
			/*
			 * A block over the memlimit (its dictionary is not
			 * allocated) or corrupt data: the bytes liblzma produced
			 * before it in this same call go out first.
			 */
			int e = r == LZMA_MEMLIMIT_ERROR ? EOVERFLOW : r == LZMA_MEM_ERROR ? ENOMEM :
			    EBADMSG;

			if (out > 0) {
				z->pend = e;
				return (ssize_t)out;
			}
			errno = e;
			return -1;
		}
		return (ssize_t)out;
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
	if (err == EOVERFLOW)
		return "an xz block declares a larger dictionary than allowed for this file (its "
		    "first block's, at least 8 MiB; --decompress-memory bounds it)";
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

/*
 * CRC-32 as xz computes it for its headers (spec §6: reflected, polynomial
 * 0xEDB88320, initial and final inversion), bit by bit: a header is at
 * most 1 KiB and is read once per file.
 */
static uint32_t xz_crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (c & 1 ? 0xedb88320u : 0);
	}
	return ~c;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/*
 * One xz multibyte integer (spec §1.2): 1 to 9 bytes of 7 bits, least
 * significant first, in its shortest form (no final 0x00 after the first
 * byte).  Clears *ok when c runs out or the encoding is not valid.
 */
static uint64_t xz_vli(struct ct_cursor *c, int *ok)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < 9; i++) {
		uint8_t byte = ct_get_u8(c);

		if (c->short_read)
			break;
		v |= (uint64_t)(byte & 0x7f) << (7 * i);
		if (!(byte & 0x80)) {
			if (byte == 0 && i > 0)
				break;
			return v;
		}
	}
	*ok = 0;
	return 0;
}

/*
 * 1 when filter id with np property bytes p may stand at that place of a
 * chain (spec §5.3): LZMA2 last (its one byte: reserved bits clear, a
 * dictionary of 4 GiB at most), Delta (one byte) and the branch filters
 * (x86 0x04 to RISC-V 0x0B, zero or four bytes) before it.  0 for any other
 * ID: a filter this parser does not know.
 */
static int xz_filter_ok(uint64_t id, const uint8_t *p, size_t np, int last)
{
	if (id == CT_XZ_FILTER_LZMA2)
		return last && np == 1 && (p[0] & 0xc0) == 0 && p[0] <= 40;
	if (last)
		return 0;
	if (id == CT_XZ_FILTER_DELTA)
		return np == 1;
	return id >= CT_XZ_FILTER_X86 && id <= CT_XZ_FILTER_RISCV && (np == 0 || np == 4);
}

/*
 * The filter chain of the first block of the .xz stream whose first bytes
 * are b[0..n) (the .xz file format, §2.1.1 Stream Header: magic, Stream
 * Flags, CRC32; §3.1 Block Header: size, flags, optional sizes, Filter
 * Flags, null padding, CRC32), into *ch, with the LZMA2 dictionary decoded
 * (§5.3.1: 2 or 3 times 2^(bits/2 + 11), 4 GiB - 1 for 40).  Reads only
 * b[0..n), through a bounded cursor.  CT_OK; CT_PARTIAL when b ends before
 * the block header does (CT_XZ_HEADER_MAX bytes always hold it); CT_EOF
 * for a stream without blocks (the Index follows the header); CT_ERR when
 * b is not xz, a CRC32 does not match, a reserved bit is set, an integer
 * or the padding is malformed, or a filter or its properties are unknown
 * (*ch is then zeroed: nothing in it is to be trusted).
 */
int ct_xz_first_block(const uint8_t *b, size_t n, struct ct_xz_chain *ch)
{
	struct ct_cursor c;
	size_t hsize;
	uint8_t flags, d;
	unsigned i;
	int ok = 1;

	memset(ch, 0, sizeof(*ch));
	if (n < 6 || ct_compress_kind(b, n) != CT_COMPRESS_XZ)
		return CT_ERR;
	if (n < 13)
		return CT_PARTIAL;
	if (b[6] != 0 || (b[7] & 0xf0) != 0 || xz_crc32(b + 6, 2) != le32(b + 8))
		return CT_ERR;
	if (b[12] == 0)
		return CT_EOF;                   /* Index Indicator */
	hsize = ((size_t)b[12] + 1) * 4;
	if (n < 12 + hsize)
		return CT_PARTIAL;
	if (xz_crc32(b + 12, hsize - 4) != le32(b + 12 + hsize - 4))
		return CT_ERR;
	ct_cursor_init(&c, b + 13, hsize - 5);   /* after the size byte, before the CRC32 */
	flags = ct_get_u8(&c);
	if ((flags & 0x3c) != 0)
		return CT_ERR;
	if ((flags & 0x40) && xz_vli(&c, &ok) == 0)
		ok = 0;                          /* Compressed Size: never 0 */
	if (flags & 0x80)
		xz_vli(&c, &ok);                 /* Uncompressed Size */
	ch->n = (flags & 3) + 1u;
	for (i = 0; i < ch->n && ok; i++) {
		uint64_t np;

		ch->id[i] = xz_vli(&c, &ok);
		np = xz_vli(&c, &ok);
		if (!ok || np > sizeof(ch->props[i]))
			break;
		ct_get_bytes(&c, ch->props[i], (size_t)np);
		ch->nprops[i] = (uint8_t)np;
		if (c.short_read || !xz_filter_ok(ch->id[i], ch->props[i], (size_t)np,
		    i + 1 == ch->n))
			break;
	}
	while (i == ch->n && ok && ct_cursor_left(&c) > 0)
		ok &= ct_get_u8(&c) == 0;        /* Header Padding */
	if (i < ch->n || !ok) {
		memset(ch, 0, sizeof(*ch));
		return CT_ERR;
	}
	d = ch->props[ch->n - 1][0];
	ch->dict = d == 40 ? UINT32_MAX : (uint64_t)(2 | (d & 1)) << (d / 2 + 11);
	return CT_OK;
}

/*
 * The memory liblzma's decoder takes for chain ch (lzma_raw_decoder_memusage
 * of its filters, their properties decoded by liblzma itself: the LZMA2
 * dictionary and about 64 KiB), UINT64_MAX when this liblzma does not know
 * a filter of it (a newer xz's) or ch is empty.  Without liblzma (such files
 * are not read) the dictionary and CT_XZ_STATE.
 */
uint64_t ct_xz_chain_need(const struct ct_xz_chain *ch)
{
#ifdef HAVE_LZMA
	lzma_filter f[CT_XZ_FILTERS_MAX + 1];
	uint64_t need = UINT64_MAX;
	unsigned i, k;

	for (k = 0; k < ch->n && k < CT_XZ_FILTERS_MAX; k++) {
		f[k].id = ch->id[k];
		f[k].options = NULL;
		if (lzma_properties_decode(&f[k], NULL, ch->props[k], ch->nprops[k]) != LZMA_OK)
			break;
	}
	f[k].id = LZMA_VLI_UNKNOWN;
	f[k].options = NULL;
	if (k == ch->n && k > 0)
		need = lzma_raw_decoder_memusage(f);
	for (i = 0; i < k; i++)
		free(f[i].options);
	return need;
#else
	return ch->n > 0 ? ch->dict + CT_XZ_STATE : UINT64_MAX;
#endif
}

/*
 * What an xz input whose first block has an LZMA2 dictionary of dict bytes
 * and a decoder needing need bytes (ct_xz_chain_need; UINT64_MAX or 0 when
 * unknown) reserves, and gives its decoder as memlimit: the dictionary
 * rounded up to a power of two, at least CT_XZ_DICT_FLOOR (later blocks
 * and streams up to xz's default -6 decode too), as a zstd window is
 * (ct_zstd_window_reserve), plus the rest of the need in whole MiB, at
 * least CT_XZ_STATE.  When that is over max (the budget; 0 = none) the
 * floor gives way, down to the dictionary's own power of two.  A later
 * block of the same filters whose dictionary is within the rounded one fits.
 */
uint64_t ct_xz_reserve(uint64_t dict, uint64_t need, uint64_t max)
{
	uint64_t r = CT_XZ_DICT_FLOOR, state = CT_XZ_STATE;

	if (need != UINT64_MAX && need > dict && need - dict > state)
		state = (need - dict + CT_XZ_STATE - 1) / CT_XZ_STATE * CT_XZ_STATE;
	while (r < dict && r < UINT64_C(1) << 40)
		r *= 2;
	while (max != 0 && r + state > max && r / 2 >= dict && r / 2 >= CT_XZ_DICT_MIN)
		r /= 2;
	return r + state;
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
/*
 * log2 of the zstd window cap max (a power of two; 0 =
 * CT_DECOMPRESS_MEM_DEFAULT), within libzstd's bounds.
 */
static int zstd_window_log(uint64_t max)
{
	ZSTD_bounds b = ZSTD_dParam_getBounds(ZSTD_d_windowLogMax);
	int lg = 0;

	if (max == 0)
		max = CT_DECOMPRESS_MEM_DEFAULT;
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
 * The general form of ct_decompress_stream/_pre (source_int.h), with
 * mem_max the memory reserved for the decoder (0 = CT_DECOMPRESS_MEM_DEFAULT):
 * the zstd decoder refuses (EFBIG) a frame whose window is over it (a power
 * of two, rounded down otherwise), the xz decoder takes it as its memlimit
 * and refuses (EOVERFLOW) a block whose filters need more.  Other formats
 * ignore it.
 */
FILE *ct_decompress_open(int fd, int kind, const uint8_t *pre, size_t n_pre,
    uint64_t mem_max)
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
		/*
		 * Concatenated .xz streams are one file; no block of any of
		 * them gets a larger dictionary than was reserved.
		 */
		if (lzma_stream_decoder(&z->xz, mem_max != 0 ? mem_max : CT_DECOMPRESS_MEM_DEFAULT,
		    LZMA_CONCATENATED) != LZMA_OK)
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
		    zstd_window_log(mem_max))))
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
