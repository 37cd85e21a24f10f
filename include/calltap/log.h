/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Library messages (a sink that failed, a spool that is full, calls evicted
 * from a full table) go to a callback the caller owns, never straight to
 * stderr: the engine takes one in its configuration (ct_engine_cfg.log) and
 * hands it to the sinks and spools it opens; calltap's main() writes them
 * to stderr as "calltap: <msg>".  A message is one line without the program
 * name or the newline.  The network sinks' delivery threads log too, so fn
 * must be safe to call from several threads at once.  No callback (log NULL
 * or fn NULL): messages are dropped.
 */
#ifndef CALLTAP_LOG_H
#define CALLTAP_LOG_H

enum ct_log_level {
	CT_LOG_ERR,      /* something failed: data lost, an output given up */
	CT_LOG_WARN,     /* degraded but going on: records dropped, calls evicted */
	CT_LOG_INFO      /* state changes worth knowing: reconnected, spool recovered */
};

typedef void (*ct_log_fn)(void *user, enum ct_log_level level, const char *msg);

struct ct_log {
	ct_log_fn fn;    /* NULL: messages are dropped */
	void *user;
};

void ct_log(const struct ct_log *log, enum ct_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
