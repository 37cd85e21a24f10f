/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Whole reads and writes on file descriptors (fdio.h). */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "calltap/fdio.h"

int ct_write_count(int fd, const void *p, size_t len, size_t *done)
{
	const char *c = p;
	ssize_t n;

	*done = 0;
	while (*done < len) {
		n = write(fd, c + *done, len - *done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC;
			return -1;
		}
		*done += (size_t)n;
	}
	return 0;
}

int ct_write_all(int fd, const void *p, size_t len)
{
	size_t done;

	return ct_write_count(fd, p, len, &done);
}

int ct_pwrite_all(int fd, const void *p, size_t len, off_t off)
{
	const char *c = p;
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, c, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC;
			return -1;
		}
		c += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

int ct_pread_all(int fd, void *p, size_t len, off_t off)
{
	char *c = p;
	ssize_t n;

	while (len > 0) {
		n = pread(fd, c, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		c += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}
