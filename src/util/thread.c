/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Starting calltap's threads with the process's signals kept for the main
 * thread (calltap/thread.h).
 * References: POSIX pthread_sigmask(3), signal(7) "Signal mask and
 * pending signals" (a thread inherits its creator's mask; a process-
 * directed signal goes to one thread that does not block it).
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>

#include "calltap/thread.h"

int ct_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	static const int faults[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS };
	sigset_t mask, old;
	size_t i;
	int rc;

	sigfillset(&mask);
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		sigdelset(&mask, faults[i]);
	if ((rc = pthread_sigmask(SIG_SETMASK, &mask, &old)) != 0)
		return rc;
	rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}
