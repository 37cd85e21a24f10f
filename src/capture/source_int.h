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
/* strerror(), with words for a compressed stream cut short or corrupt. */
const char *ct_read_strerror(int err);

#endif
