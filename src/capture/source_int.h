/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Private to src/capture/: the savefile readers of source_pcapng.c (pcapng
 * and classic pcap over a stdio stream), used by ct_source_open_file().
 */
#ifndef CALLTAP_SOURCE_INT_H
#define CALLTAP_SOURCE_INT_H

#include <stdio.h>

#include "calltap/source.h"

/* Reads a pcapng stream only; takes ownership of fp. */
struct ct_source *ct_source_open_pcapng(FILE *fp, const char *name, const char *bpf,
    char *errbuf);
/* Reads a pcapng or classic pcap stream, told apart by its first 4 bytes. */
struct ct_source *ct_source_open_savefile(FILE *fp, const char *name, const char *bpf,
    char *errbuf);

#endif
