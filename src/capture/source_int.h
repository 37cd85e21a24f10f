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
 * Either of them, with the zstd decoder's window capped at zstd_window_max
 * bytes (a power of two; 0 = CT_ZSTD_WINDOW_DEFAULT): a frame declaring a
 * larger one fails the read with EFBIG before anything is allocated for it.
 */
FILE *ct_decompress_open(int fd, int kind, const uint8_t *pre, size_t n_pre,
    uint64_t zstd_window_max);

/* zstd windows (RFC 8878 §3.1.1.1.2). */
#define CT_ZSTD_WINDOW_DEFAULT (UINT64_C(1) << 27)  /* cap when not told: libzstd's own default */
#define CT_ZSTD_WINDOW_FLOOR (UINT64_C(1) << 23)    /* zstd CLI levels 1-19 stay within it */
#define CT_ZSTD_WINDOW_LARGEST (UINT64_C(1) << 31)  /* libzstd's largest cap (64-bit) */
#define CT_ZSTD_HEADER_MAX 18                        /* bytes of the longest frame header */
/* The window the zstd frame header at b[0..n) declares; 0 when b is none. */
uint64_t ct_zstd_frame_window(const uint8_t *b, size_t n);
/* The power of two reserved for a first frame of window w (UINT64_MAX: too large). */
uint64_t ct_zstd_window_reserve(uint64_t w);
/* strerror(), with words for a compressed stream cut short or corrupt. */
const char *ct_read_strerror(int err);

#endif
