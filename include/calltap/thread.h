/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Helpers for calltap's own threads (Linux; pthread_setname_np(3)).
 */
#ifndef CALLTAP_THREAD_H
#define CALLTAP_THREAD_H

#include <pthread.h>

/*
 * Names the calling thread, at most 15 bytes, so that top -H, ps -L,
 * /proc/PID/task/TID/comm and perf tell calltap's threads apart: "calltap"
 * (the capture thread: decode, calls, media), ct-reader, ct-sip-scan,
 * ct-output (one per output lane), ct-audio-rec, ct-audio-write,
 * ct-callcap, ct-pgsql, ct-webhook, ct-hep, ct-spool-sync, ct-metrics,
 * ct-chunks (slab chunks faulted in ahead, calltap/chunks.h),
 * ct-idle-flush.  A failure (a longer name) only leaves the old name.
 *
 * Their scheduling class is left alone: SCHED_BATCH on the output and
 * recording threads cut the process's involuntary context switches
 * fivefold under an INVITE flood with every output on, but moved neither
 * its wall time nor its CPU time past the noise (5 alternating runs each
 * on the 2-core VM, Dec 5 2026).
 */
static inline void ct_thread_name(const char *name)
{
	(void)pthread_setname_np(pthread_self(), name);
}

#endif
