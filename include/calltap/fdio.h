/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Whole reads and writes on file descriptors: write(2), pwrite(2) and
 * pread(2) retried over short transfers and EINTR.  Used by the outputs,
 * the spool and the recording writer, which all need "all of it or an
 * error", never part of a record.
 */
#ifndef CALLTAP_FDIO_H
#define CALLTAP_FDIO_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Writes all len bytes of p (at offset off for the p-variant).  0, or -1
 * with errno set (ENOSPC when the kernel accepts no byte without an error).
 */
int ct_write_all(int fd, const void *p, size_t len);
/* As ct_write_all, and *done gets the bytes written (all of them on 0, fewer on -1). */
int ct_write_count(int fd, const void *p, size_t len, size_t *done);
int ct_pwrite_all(int fd, const void *p, size_t len, off_t off);

/* Reads exactly len bytes at off into p.  0, or -1 with errno (EIO at end of file). */
int ct_pread_all(int fd, void *p, size_t len, off_t off);

#endif
