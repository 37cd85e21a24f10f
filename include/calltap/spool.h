/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Write-ahead spool of the network sinks (webhook, PostgreSQL): records are
 * appended by the capture thread, made durable by a sync thread at least
 * every second, read back in order by the sink's delivery thread and
 * acknowledged once delivered.  See spool.c.
 */
#ifndef CALLTAP_SPOOL_H
#define CALLTAP_SPOOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calltap/buf.h"
#include "calltap/log.h"

#define CT_SPOOL_MAX_DEFAULT (UINT64_C(1) << 30)   /* --spool-max default: 1 GiB */

struct ct_spool;

struct ct_spool_cfg {
	const char *dir;         /* top spool directory (created 0700) */
	const char *kind;        /* subdirectory prefix: "webhook", "pg" */
	const char *key;         /* the target's identity: names the subdirectory, checked */
	const char *shown;       /* the target for messages (credentials masked) */
	uint64_t max_bytes;      /* disk cap of the records; 0: CT_SPOOL_MAX_DEFAULT */
	const void *header;      /* first record of every segment this run creates, or NULL */
	size_t header_len;
	const struct ct_log *log; /* messages (log.h), must outlive the spool; NULL: none */
	int only_slot;           /* internal (adoption): 0 any slot; k + 1 slot k alone, as found */
};

struct ct_spool_stats {
	uint64_t pending;        /* appended (or left by earlier runs), not acknowledged */
	uint64_t recovered;      /* of those, left by earlier runs */
	uint64_t dropped;        /* refused: the disk cap was reached */
	uint64_t lost;           /* could not be written (I/O error) or read back */
	uint64_t bytes;          /* on disk now */
};

struct ct_spool *ct_spool_open(const struct ct_spool_cfg *cfg, char *errbuf);
int ct_spool_append(struct ct_spool *sp, const void *p, size_t len);
void ct_spool_sync(struct ct_spool *sp);
int ct_spool_read(struct ct_spool *sp, struct ct_buf *rec);
const struct ct_buf *ct_spool_header(struct ct_spool *sp);
int ct_spool_unread(struct ct_spool *sp);
void ct_spool_ack(struct ct_spool *sp);
void ct_spool_rewind(struct ct_spool *sp);
void ct_spool_get_stats(struct ct_spool *sp, struct ct_spool_stats *st);
const char *ct_spool_dir(const struct ct_spool *sp);
const char *ct_spool_error(struct ct_spool *sp);
void ct_spool_close(struct ct_spool *sp);
int ct_spool_parse_size(const char *s, uint64_t *out);

/*
 * Shared by the spool's sync thread and the delivery workers of the
 * network sinks: a monotonic clock in milliseconds, condition variables on
 * that clock, and a timed wait until a time of it.
 */
int64_t ct_spool_now_ms(void);
void ct_spool_cond_init(pthread_cond_t *cv);
void ct_spool_sleep(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t wake_ms);

/*
 * The pace of a delivery worker, decided under its mutex at now: -1 to
 * quit (closing, and nothing more can be delivered by deadline_ms), 0 to
 * deliver now, else the time to sleep until (a signal may come sooner).
 * Records wait while failing (until retry_ms) or after a round that read
 * nothing (until idle_until_ms); with nothing to read, or while not
 * failing, the worker looks again at least every second.
 */
int64_t ct_spool_pace(struct ct_spool *sp, int64_t now, bool closing, int64_t deadline_ms,
    bool failing, int64_t retry_ms, int64_t idle_until_ms);

#endif
