/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Capture inputs: the -r arguments (files, "-", directories walked
 * recursively) expanded into a list of capture files, then read as ONE
 * stream of frames in capture-time order.
 *
 * Archives come as rotations (tcpdump -C: trunk.pcap, trunk.pcap1, ...
 * trunk.pcap10; -G: strftime names), as one file per direction or per
 * interface, compressed or not.  Reading them in name order splits calls at
 * every boundary where the order is wrong (t10 before t2), and reading
 * overlapping files one after the other makes time run backwards.  So every
 * file's first frame is peeked, the files are ordered by it (ties in natural
 * name order: digits compare as numbers), and frames are merged by
 * timestamp: a file is opened when the merged stream reaches its first
 * frame, so rotations keep one or two files open and overlapping files are
 * interleaved.
 */
#ifndef CALLTAP_INPUTS_H
#define CALLTAP_INPUTS_H

#include <stddef.h>
#include <stdint.h>

#include "calltap/source.h"

struct ct_inputs;

/* An empty list; NULL when out of memory. */
struct ct_inputs *ct_inputs_new(void);
void ct_inputs_free(struct ct_inputs *in);

/*
 * Warnings (one line each, no newline): every file skipped in a directory
 * although named like a capture (x.pcap.bz2), every file that overlaps the
 * ones before it in time, and at the end one line for the gaps over 60 s
 * between files (how many, the longest and its two files).  The caller prints them; without a callback they are
 * dropped.
 */
typedef void (*ct_inputs_warn_fn)(void *user, const char *msg);
void ct_inputs_set_warn(struct ct_inputs *in, ct_inputs_warn_fn fn, void *user);

/*
 * Adds one -r argument: "-" (standard input), a file (whatever its name;
 * its content decides), or a directory, walked recursively (hidden entries
 * skipped, symlink loops cut, depth at most 32), keeping the files whose
 * first bytes are a pcap, pcapng, gzip, xz, zstd or lz4 header or whose names end in
 * .pcap/.pcapng/.cap/.dmp (optionally followed by rotation digits and/or
 * .gz).  The same file named twice is read once.  Returns CT_OK; CT_ERR
 * with a message in errbuf (missing path, unreadable or capture-less
 * directory); CT_NOMEM.
 */
int ct_inputs_add(struct ct_inputs *in, const char *arg, char *errbuf);

/* Capture files in the list. */
size_t ct_inputs_count(const struct ct_inputs *in);

/*
 * 1 when word names an existing directory or a file that starts like a
 * capture (pcap, pcapng or compressed-file magic): trailing command-line words for
 * which this holds are inputs (what a shell glob after -r expands to), the rest a
 * BPF filter.
 */
int ct_inputs_is_capture_path(const char *word);

/*
 * 1 when bpf compiles (for Ethernet), else 0 with libpcap's message in
 * errbuf: a bad filter is reported once, not once per file.
 */
int ct_inputs_check_filter(const char *bpf, char *errbuf);

/*
 * Ends the list and starts reading with filter bpf (NULL/"" = none): peeks
 * each file's first frame and orders the files.  A file that cannot be
 * opened or read is reported by the following ct_inputs_next calls and
 * left out.  CT_OK or CT_NOMEM.
 */
int ct_inputs_start(struct ct_inputs *in, const char *bpf);

/*
 * The next frame in time order (borrowed, valid until the next call): 1.
 * CT_EOF when every file is done.  CT_ERR when a file failed (missing,
 * not a capture, truncated, bad filter): errbuf names it; the frames read
 * from it so far were delivered, and reading goes on at the next call.
 * Frames of one file keep their file order even if its clock steps back.
 */
int ct_inputs_next(struct ct_inputs *in, struct ct_frame *f, char *errbuf);

/* Files that could not be merged in time order because too many were open at once. */
size_t ct_inputs_deferred(const struct ct_inputs *in);
/* Of those, the ones that waited for decoder memory to free (the budget below). */
size_t ct_inputs_deferred_decompress(const struct ct_inputs *in);

/*
 * Decoder memory of compressed inputs (inputs.c, decompress.c): each zstd
 * file reserves its first frame's window (at least 8 MiB, rounded up to a
 * power of two), each xz file its first block's LZMA2 dictionary (rounded
 * the same way) and the rest of its decoder in whole MiB (standard input
 * 128 MiB either way) while it is open, and its decoder refuses frames or
 * blocks needing more.  The files open at once reserve at most bytes
 * together (0 = CT_INPUTS_DECOMPRESS_BUDGET_DEFAULT): a file that does not
 * fit waits until open ones end (deferred), one that alone exceeds bytes
 * is refused by ct_inputs_next (CT_ERR naming it, what it declares and the
 * budget).  Set before ct_inputs_start.
 */
#define CT_INPUTS_DECOMPRESS_BUDGET_DEFAULT (UINT64_C(512) << 20)
void ct_inputs_set_decompress_memory(struct ct_inputs *in, uint64_t bytes);
/* The most the open files reserved at once so far (bytes). */
uint64_t ct_inputs_decompress_peak(const struct ct_inputs *in);

/*
 * How far reading has got, for a progress line: *done = bytes of the
 * capture files consumed so far, *total = the sum of their sizes.  A file
 * finished (or that failed) counts whole; an open one counts its read
 * position in the file on disk (for a compressed file, the position in
 * the compressed bytes), which the read-ahead keeps up to 1 MiB ahead of
 * the frames handed out; one not opened yet counts 0.  Cheap: one lseek(2)
 * per open file.  Returns 1, or 0 when a size is unknown (standard input
 * from a pipe): the figures then cover the other files only.
 */
int ct_inputs_progress(const struct ct_inputs *in, uint64_t *done, uint64_t *total);

/* Natural order of two names: digit runs compare as numbers ("t2" < "t10"). */
int ct_natural_cmp(const char *a, const char *b);

#endif
