/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Private to src/capture/: the savefile readers of source_pcapng.c (pcapng
 * and classic pcap over a stdio stream), used by ct_source_open_file().
 */
#ifndef CALLTAP_SOURCE_INT_H
#define CALLTAP_SOURCE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "calltap/source.h"

/* Reads a pcapng stream only; takes ownership of fp. */
struct ct_source *ct_source_open_pcapng(FILE *fp, const char *name, const char *bpf,
    char *errbuf);
/* Reads a pcapng or classic pcap stream, told apart by its first 4 bytes. */
struct ct_source *ct_source_open_savefile(FILE *fp, const char *name, const char *bpf,
    char *errbuf);

/* 1 when b[0..n) starts a pcap (any magic, either byte order) or pcapng file. */
int ct_savefile_magic(const uint8_t *b, size_t n);

/* Compression of a capture file, told by its first bytes (decompress.c). */
enum { CT_COMPRESS_NONE, CT_COMPRESS_GZIP, CT_COMPRESS_XZ, CT_COMPRESS_ZSTD, CT_COMPRESS_LZ4 };
int ct_compress_kind(const uint8_t *b, size_t n);
const char *ct_compress_name(int kind);
int ct_compress_supported(int kind);
/*
 * A stdio stream of fd's plain bytes: fd itself (kind NONE) or its
 * decompressed content.  Takes fd over (closed by fclose, or on failure).
 * NULL with errno on failure (ENOTSUP: this build lacks the library).
 */
FILE *ct_decompress_stream(int fd, int kind);
/*
 * The same, when the first n_pre bytes of fd were read already (pre, at
 * most a few; standard input): they come first.  A plain stream (kind
 * NONE) is then passed through.
 */
FILE *ct_decompress_stream_pre(int fd, int kind, const uint8_t *pre, size_t n_pre);
/*
 * Either of them, with mem_max bytes reserved for the decoder (0 =
 * CT_DECOMPRESS_MEM_DEFAULT): the zstd decoder's window is capped there (a
 * power of two): a frame declaring a larger one fails the read with EFBIG;
 * the xz decoder's memlimit is mem_max: a block whose filters need more
 * fails the read with EOVERFLOW.  Neither is allocated first.
 */
FILE *ct_decompress_open(int fd, int kind, const uint8_t *pre, size_t n_pre,
    uint64_t mem_max);
#define CT_DECOMPRESS_MEM_DEFAULT (UINT64_C(1) << 27)  /* not told: libzstd's own default cap */

/* zstd windows (RFC 8878 §3.1.1.1.2). */
#define CT_ZSTD_WINDOW_FLOOR (UINT64_C(1) << 23)    /* zstd CLI levels 1-19 stay within it */
#define CT_ZSTD_WINDOW_LARGEST (UINT64_C(1) << 31)  /* libzstd's largest cap (64-bit) */
#define CT_ZSTD_HEADER_MAX 18                        /* bytes of the longest frame header */
/* The window the zstd frame header at b[0..n) declares; 0 when b is none. */
uint64_t ct_zstd_frame_window(const uint8_t *b, size_t n);
/* The power of two reserved for a first frame of window w (UINT64_MAX: too large). */
uint64_t ct_zstd_window_reserve(uint64_t w);

/* xz filter chains (the .xz file format 1.2.0, §3.1 Block Header, §5.3 Filters). */
#define CT_XZ_HEADER_MAX (12 + 1024)   /* Stream Header and the largest Block Header */
#define CT_XZ_FILTERS_MAX 4
#define CT_XZ_FILTER_DELTA 0x03
#define CT_XZ_FILTER_X86 0x04          /* branch filters: x86 0x04 ... RISC-V 0x0b */
#define CT_XZ_FILTER_RISCV 0x0b
#define CT_XZ_FILTER_LZMA2 0x21
#define CT_XZ_DICT_MIN (UINT64_C(1) << 12)     /* LZMA2's smallest dictionary, 4 KiB */
#define CT_XZ_DICT_FLOOR (UINT64_C(1) << 23)   /* xz -0 to -6 (its default) stay within it */
#define CT_XZ_STATE (UINT64_C(1) << 20)        /* reserved beside the dictionary, at least */
struct ct_xz_chain {
	unsigned n;                             /* filters, 1 to 4; 0: none parsed */
	uint64_t id[CT_XZ_FILTERS_MAX];         /* Filter IDs, LZMA2 last */
	uint8_t props[CT_XZ_FILTERS_MAX][4];    /* Filter Properties */
	uint8_t nprops[CT_XZ_FILTERS_MAX];      /* their sizes: 0, 1 or 4 */
	uint64_t dict;                          /* LZMA2 dictionary, bytes */
};
/* The first block's filters of the .xz stream at b[0..n): CT_OK, _PARTIAL, _EOF (none), _ERR. */
int ct_xz_first_block(const uint8_t *b, size_t n, struct ct_xz_chain *ch);
/* Bytes liblzma's decoder takes for ch (UINT64_MAX: a filter it does not know). */
uint64_t ct_xz_chain_need(const struct ct_xz_chain *ch);
/* Bytes an xz input with that first block reserves and gives as memlimit, within max if it can. */
uint64_t ct_xz_reserve(uint64_t dict, uint64_t need, uint64_t max);
/* strerror(), with words for a compressed stream cut short or corrupt. */
const char *ct_read_strerror(int err);

#endif
