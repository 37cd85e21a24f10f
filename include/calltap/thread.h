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

/*
 * Starts fn(arg) on a new thread, stored in *t, with every asynchronous
 * signal blocked: SIGINT, SIGTERM and SIGHUP then always reach the main
 * (capture) thread, whose poll(2) they interrupt to stop or reopen;
 * delivered to another thread, the capture thread would sleep on until
 * its next packet or timeout.  The synchronous faults (SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL, SIGTRAP, SIGSYS) stay unblocked so that a debugger's or
 * a sanitizer's handler still reports them.  Every calltap thread starts
 * here.  The caller's mask is unchanged; returns pthread_create's code
 * (0 on success).
 */
int ct_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
