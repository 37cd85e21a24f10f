/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The reorder buffer (calltap/reorder.h), table-driven: scripts of frames
 * put (capture time, arrival time) and gets at given times with the frame
 * expected (or none), covering the window, a later-stamped frame that does
 * not hold earlier ones back (an agent whose clock is ahead), ties kept in
 * arrival order, the bounds (forced), drain and the counters; then 20,000
 * frames with arrival jitter inside the window (must come out sorted,
 * each once) and beyond it (each once, late ones counted).
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/err.h"
#include "calltap/reorder.h"
#include "test.h"

/* P: put frame label (ts, at); G: get at `at` (drain when ts == 1), want label or '-'. */
struct step {
	char op;
	char label;
	int64_t ts, at;
	int64_t due;            /* G: ct_reorder_due_in at `at` before the get (-2: not checked) */
};

struct script {
	const char *name;
	int64_t window;
	size_t max_frames, max_bytes;
	struct step s[16];
	uint64_t reordered, late, forced;
};

#define ND (-2)
#define NONE INT64_MAX

static const struct script scripts[] = {
	{ "two swapped", 100, 64, 1 << 20, {
		{ 'P', 'b', 10, 0, 0 },
		{ 'P', 'a', 5, 3, 0 },
		{ 'G', '-', 0, 50, 50 },
		{ 'G', '-', 0, 99, 1 },
		{ 'G', 'a', 0, 100, 0 },     /* b's window is over: a (stamped before b) goes first */
		{ 'G', 'b', 0, 100, 0 },
		{ 'G', '-', 0, 100, NONE },
	}, 1, 0, 0 },
	{ "agent ahead", 100, 64, 1 << 20, {
		{ 'P', 'x', 1000, 0, 0 },    /* an agent whose clock is far ahead */
		{ 'P', 'a', 1, 10, 0 },
		{ 'P', 'b', 2, 60, 0 },
		{ 'G', 'a', 0, 100, 0 },
		{ 'G', 'b', 0, 100, ND },    /* stamped before x: goes with it though its window is not over */
		{ 'G', 'x', 0, 100, ND },    /* held no longer than its window */
		{ 'P', 'c', 3, 120, 0 },
		{ 'G', '-', 0, 219, 1 },
		{ 'G', 'c', 0, 220, 0 },     /* after x (stamped 1000): late */
		{ 'G', '-', 0, 220, NONE },
	}, 2, 1, 0 },
	{ "ties keep arrival order", 10, 64, 1 << 20, {
		{ 'P', 'p', 7, 0, 0 },
		{ 'P', 'q', 7, 1, 0 },
		{ 'P', 'o', 6, 2, 0 },
		{ 'P', 'r', 7, 3, 0 },
		{ 'G', 'o', 0, 10, 0 },
		{ 'G', 'p', 0, 10, 0 },
		{ 'G', '-', 0, 10, 1 },      /* q's window ends at 11 */
		{ 'G', 'q', 0, 11, 0 },
		{ 'G', 'r', 0, 13, 0 },
	}, 1, 0, 0 },
	{ "frame bound", 1000, 2, 1 << 20, {
		{ 'P', 'c', 30, 0, 0 },
		{ 'P', 'a', 10, 0, 0 },
		{ 'G', '-', 0, 0, 1000 },
		{ 'P', 'b', 20, 0, 0 },      /* three held, two allowed */
		{ 'G', 'a', 0, 0, 0 },       /* forced: the earliest stamped */
		{ 'G', '-', 0, 0, 1000 },
		{ 'G', 'b', 1, 1, ND },      /* drain */
		{ 'G', 'c', 1, 1, ND },
		{ 'G', '-', 1, 1, ND },
	}, 2, 0, 1 },
	{ "byte bound", 1000, 64, 150, {
		{ 'P', 'b', 2, 0, 0 },
		{ 'P', 'a', 1, 0, 0 },       /* 40 bytes + the entry's, twice, pass 150 */
		{ 'G', 'a', 0, 5, 0 },
		{ 'G', '-', 0, 5, 995 },
	}, 1, 0, 1 },
};

static int run_script(const struct script *sc)
{
	struct ct_reorder *r = ct_reorder_new(sc->window, sc->max_frames, sc->max_bytes);
	struct ct_reorder_stats st;
	int fails = ct_t_fail;
	size_t i;

	CHECK(r != NULL);
	if (r == NULL)
		return 1;
	for (i = 0; i < sizeof(sc->s) / sizeof(sc->s[0]) && sc->s[i].op != 0; i++) {
		const struct step *p = &sc->s[i];
		struct ct_frame f;

		if (p->op == 'P') {
			uint8_t b[80];

			memset(b, p->label, sizeof(b));
			f.ts_us = p->ts;
			f.caplen = f.wirelen = 40;
			f.linktype = 101;
			f.data = b;
			CHECK_INT(ct_reorder_put(r, &f, p->at), CT_OK);
			continue;
		}
		if (p->due != ND && p->ts == 0)
			CHECK_INT(ct_reorder_due_in(r, p->at), p->due);
		if (p->label == '-') {
			CHECK_INT(ct_reorder_get(r, p->at, p->ts == 1, &f), 0);
		} else {
			int rc = ct_reorder_get(r, p->at, p->ts == 1, &f);

			CHECK_INT(rc, 1);
			if (rc == 1) {
				CHECK_INT(f.caplen, 40);
				CHECK_INT(f.data[0], p->label);
				CHECK_INT(f.data[39], p->label);
			}
		}
	}
	ct_reorder_get_stats(r, &st);
	CHECK_INT(st.reordered, sc->reordered);
	CHECK_INT(st.late, sc->late);
	CHECK_INT(st.forced, sc->forced);
	ct_reorder_free(r);
	if (ct_t_fail != fails)
		fprintf(stderr, "  in script \"%s\"\n", sc->name);
	return 0;
}

/* A small deterministic generator (xorshift64*). */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/*
 * n frames stamped 0, 10, 20 ... arriving at their stamp plus a jitter in
 * [0, jitter), each carrying its index; gets every 5 us of arrival time and
 * a drain at the end.  Every frame must come out once; with jitter inside
 * the window, in stamp order and none late.
 */
static void run_jitter(size_t n, int64_t window, int64_t jitter, bool sorted)
{
	struct ct_reorder *r = ct_reorder_new(window, 1 << 20, (size_t)1 << 30);
	int64_t *at = malloc(n * sizeof(*at));
	size_t *ord = malloc(n * sizeof(*ord)), i, k, out = 0, order_bad = 0;
	unsigned char *seen = calloc(n, 1);
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	int64_t last = INT64_MIN, t;
	struct ct_reorder_stats st;
	struct ct_frame f;

	CHECK(r != NULL && at != NULL && ord != NULL && seen != NULL);
	if (r == NULL || at == NULL || ord == NULL || seen == NULL)
		goto done;
	for (i = 0; i < n; i++) {
		at[i] = (int64_t)i * 10 + (int64_t)(rnd(&seed) % (uint64_t)jitter);
		ord[i] = i;
	}
	/* arrival order: insertion sort on a nearly sorted array (jitter of a few steps) */
	for (i = 1; i < n; i++)
		for (k = i; k > 0 && at[ord[k]] < at[ord[k - 1]]; k--) {
			size_t x = ord[k];

			ord[k] = ord[k - 1];
			ord[k - 1] = x;
		}
	k = 0;
	for (t = 0; k < n || ct_reorder_held(r) > 0; t += 5) {
		while (k < n && at[ord[k]] <= t) {
			uint8_t b[8];
			uint64_t v = ord[k];

			memcpy(b, &v, sizeof(b));
			f.ts_us = (int64_t)ord[k] * 10;
			f.caplen = f.wirelen = sizeof(b);
			f.linktype = 101;
			f.data = b;
			CHECK_INT(ct_reorder_put(r, &f, t), CT_OK);
			k++;
		}
		while (ct_reorder_get(r, t, k == n && t > at[ord[n - 1]] + 4 * window, &f) == 1) {
			uint64_t v;

			memcpy(&v, f.data, sizeof(v));
			if (v < n && !seen[v]) {
				seen[v] = 1;
				out++;
			}
			if (f.ts_us < last)
				order_bad++;
			else
				last = f.ts_us;
		}
	}
	CHECK_INT(out, n);
	ct_reorder_get_stats(r, &st);
	if (sorted) {
		CHECK_INT(order_bad, 0);
		CHECK_INT(st.late, 0);
		CHECK(st.reordered > 0);
	} else {
		CHECK(order_bad > 0);
		CHECK_INT(st.late, order_bad);
	}
	CHECK_INT(st.forced, 0);
done:
	ct_reorder_free(r);
	free(at);
	free(ord);
	free(seen);
}

/*
 * Attack: a frame stamped far ahead (2100) heads the FIFO, and every frame
 * after it is stamped earlier, so it was never the earliest held: with
 * frames arriving as fast as they were taken it stayed held for ever,
 * and each frame handed on after it stayed in the FIFO (memory without
 * bound; the bounds counted only the frames held).  Every 500 us another
 * such frame, each stamped a little earlier than the one before.  Now a
 * head held two windows goes next: no frame waits longer than that, and
 * every frame comes out once.
 */
static void test_far_future_head(void)
{
	const int64_t window = 1000, step = 10;
	const uint64_t n = 100000;
	struct ct_reorder *r = ct_reorder_new(window, 64, 1 << 20);
	int64_t *at = calloc(n, sizeof(*at)), worst = 0, now = 0;
	unsigned char *seen = calloc(n, 1);
	uint64_t i, v, out = 0, twice = 0;
	struct ct_frame f;

	if (r == NULL || at == NULL || seen == NULL) {
		CHECK(0);
		goto done;
	}
	for (i = 0; i < n; i++) {
		now = (int64_t)i * step;
		f.ts_us = i % 50 == 0 ? INT64_C(4102444800000000) - (int64_t)i : (int64_t)i;
		f.caplen = f.wirelen = sizeof(v);
		f.linktype = 101;
		f.data = (const uint8_t *)&i;
		at[i] = now;
		CHECK_INT(ct_reorder_put(r, &f, now), CT_OK);
		if (ct_reorder_get(r, now, false, &f) == 1) {
			memcpy(&v, f.data, sizeof(v));
			if (v < n) {
				twice += seen[v];
				seen[v] = 1;
				out++;
				if (now - at[v] > worst)
					worst = now - at[v];
			}
		}
	}
	while (ct_reorder_get(r, now, true, &f) == 1) {   /* the end of the run */
		memcpy(&v, f.data, sizeof(v));
		if (v < n) {
			twice += seen[v];
			seen[v] = 1;
			out++;
			if (now - at[v] > worst)
				worst = now - at[v];
		}
	}
	CHECK_INT(out, n);
	CHECK_INT(twice, 0);
	if (worst > 2 * window + step)
		fprintf(stderr, "a frame was held %lld us (window %lld us)\n",
		    (long long)worst, (long long)window);
	CHECK(worst <= 2 * window + step);
done:
	ct_reorder_free(r);
	free(at);
	free(seen);
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++)
		run_script(&scripts[i]);
	test_far_future_head();
	CHECK(ct_reorder_new(10, 0, 100) == NULL);
	CHECK(ct_reorder_new(-1, 10, 100) == NULL);
	ct_reorder_free(NULL);
	{   /* frames held at the end are freed with the buffer (ASan / valgrind see leaks) */
		struct ct_reorder *r = ct_reorder_new(100, 8, 1 << 20);
		struct ct_frame f = { 5, 3, 3, 101, (const uint8_t *)"abc" };

		CHECK(r != NULL);
		if (r != NULL) {
			CHECK_INT(ct_reorder_put(r, &f, 0), CT_OK);
			f.ts_us = 1;
			CHECK_INT(ct_reorder_put(r, &f, 1), CT_OK);
			CHECK_INT(ct_reorder_get(r, 100, false, &f), 1);   /* handed on, still in the FIFO */
			CHECK_INT(ct_reorder_held(r), 1);
			ct_reorder_free(r);
		}
	}
	run_jitter(20000, 100, 60, true);      /* jitter inside the window: sorted */
	run_jitter(20000, 20, 200, false);     /* beyond it: every frame once, late counted */
	return TEST_REPORT();
}
