/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Library messages through the caller's callback (calltap/log.h). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "calltap/log.h"

#define LOG_LINE 1024    /* most messages fit on the stack */

/*
 * Formats a message and hands it to log->fn (nothing when log or fn is
 * NULL).  A message longer than LOG_LINE is formatted in a heap buffer; if
 * that cannot be had, it is cut at LOG_LINE - 1 bytes rather than lost.
 */
void ct_log(const struct ct_log *log, enum ct_log_level level, const char *fmt, ...)
{
	char line[LOG_LINE], *big = NULL;
	va_list ap;
	int n;

	if (log == NULL || log->fn == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line) && (big = malloc((size_t)n + 1)) != NULL) {
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	log->fn(log->user, level, big != NULL ? big : line);
	free(big);
}
