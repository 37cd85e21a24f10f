/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Thread start (calltap/thread.h): a thread started by ct_thread_start()
 * blocks every asynchronous signal and none of the synchronous faults
 * (table-driven), the caller's mask is left as it was, and a process-
 * directed signal sent while such threads spin is always handled on the
 * thread that did not block it.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calltap/thread.h"
#include "test.h"

static const struct {
	int sig;
	const char *name;
	bool blocked;
} want[] = {
	{ SIGINT, "SIGINT", true },
	{ SIGTERM, "SIGTERM", true },
	{ SIGHUP, "SIGHUP", true },
	{ SIGQUIT, "SIGQUIT", true },
	{ SIGUSR1, "SIGUSR1", true },
	{ SIGUSR2, "SIGUSR2", true },
	{ SIGPIPE, "SIGPIPE", true },
	{ SIGALRM, "SIGALRM", true },
	{ SIGCHLD, "SIGCHLD", true },
	{ SIGSEGV, "SIGSEGV", false },
	{ SIGBUS, "SIGBUS", false },
	{ SIGFPE, "SIGFPE", false },
	{ SIGILL, "SIGILL", false },
	{ SIGTRAP, "SIGTRAP", false },
	{ SIGSYS, "SIGSYS", false },
};

static sigset_t seen_mask;

static void *report_mask(void *arg)
{
	(void)arg;
	pthread_sigmask(SIG_SETMASK, NULL, &seen_mask);
	return NULL;
}

static void test_mask(void)
{
	sigset_t before, after, usr2;
	pthread_t t;
	size_t i;

	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &usr2, NULL);   /* the caller's own mask, kept */
	pthread_sigmask(SIG_SETMASK, NULL, &before);
	CHECK_INT(ct_thread_start(&t, report_mask, NULL), 0);
	pthread_join(t, NULL);
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (sigismember(&seen_mask, want[i].sig) != want[i].blocked)
			fprintf(stderr, "%s: blocked %d, expected %d\n", want[i].name,
			    sigismember(&seen_mask, want[i].sig), want[i].blocked);
		CHECK_INT(sigismember(&seen_mask, want[i].sig), want[i].blocked);
		CHECK_INT(sigismember(&after, want[i].sig), sigismember(&before, want[i].sig));
	}
	pthread_sigmask(SIG_UNBLOCK, &usr2, NULL);
}

static volatile sig_atomic_t spin_stop;
static volatile sig_atomic_t handled, on_other;
static pthread_t main_thread;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
	if (!pthread_equal(pthread_self(), main_thread))
		on_other++;
}

static void *spin(void *arg)
{
	(void)arg;
	while (!spin_stop)
		;
	return NULL;
}

/* 200 kill(getpid(), SIGUSR1) while four started threads spin on the CPU. */
static void test_delivery(void)
{
	struct sigaction sa;
	struct timespec ts = { 0, 200000 };
	pthread_t t[4];
	int i, started = 0;

	main_thread = pthread_self();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	for (i = 0; i < 4; i++)
		if (ct_thread_start(&t[started], spin, NULL) == 0)
			started++;
	CHECK_INT(started, 4);
	for (i = 0; i < 200; i++) {
		int h = handled;

		kill(getpid(), SIGUSR1);
		while (handled == h)
			nanosleep(&ts, NULL);
	}
	spin_stop = 1;
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	CHECK_INT(handled, 200);
	CHECK_INT(on_other, 0);
	signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
	test_mask();
	test_delivery();
	return TEST_REPORT();
}
