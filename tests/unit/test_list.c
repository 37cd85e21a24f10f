/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Intrusive list (list.h), table-driven: each case is a script of
 * operations on five elements 'a'..'e' and the list it must leave, read
 * forwards and backwards, with each element's "linked" state.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "calltap/list.h"
#include "test.h"

struct item {
	char name;
	struct ct_list link;
};

/* Walks head forwards (fwd) or backwards into out ("" for empty). */
static void spell(const struct ct_list *head, bool fwd, char *out)
{
	const struct ct_list *l;
	size_t n = 0;

	for (l = fwd ? ct_list_first(head) : ct_list_last(head); l != NULL;
	    l = fwd ? ct_list_next(head, l) : ct_list_prev(head, l))
		out[n++] = ct_container_of(l, struct item, link)->name;
	out[n] = '\0';
}

/*
 * Script: pairs of (op, element): A append, P prepend, R remove, M move to
 * the tail, F take the first off (ct_list_pop_first; element ignored).
 */
static const struct {
	const char *ops;
	const char *want;       /* oldest first */
	const char *linked;     /* elements that must be linked */
} cases[] = {
	{ "", "", "" },
	{ "Aa", "a", "a" },
	{ "AaAbAc", "abc", "abc" },
	{ "AaPbPc", "cba", "abc" },
	{ "AaAbAcRb", "ac", "ac" },
	{ "AaAbAcRa", "bc", "bc" },
	{ "AaAbAcRc", "ab", "ab" },
	{ "AaAbAcRaRbRc", "", "" },
	{ "AaAbAcMa", "bca", "abc" },         /* LRU touch of the oldest */
	{ "AaAbAcMc", "abc", "abc" },         /* touch of the newest: no change */
	{ "AaAbAcMbMa", "cba", "abc" },
	{ "AaAbAcF-", "bc", "bc" },           /* eviction takes the oldest */
	{ "AaAbAcMaF-F-", "a", "a" },
	{ "AaRaAa", "a", "a" },               /* re-linked after removal */
	{ "AaAbAcAdAeRcMbF-Pc", "cdeb", "bcde" },
};

int main(void)
{
	struct item it[5];
	struct ct_list head;
	char fwd[8], back[8], rev[8];
	size_t c, i, n;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const char *p;

		ct_list_init(&head);
		memset(it, 0, sizeof(it));
		for (i = 0; i < 5; i++)
			it[i].name = (char)('a' + i);
		CHECK(ct_list_empty(&head));
		CHECK(ct_list_first(&head) == NULL && ct_list_last(&head) == NULL);
		for (p = cases[c].ops; p[0] != '\0' && p[1] != '\0'; p += 2) {
			struct ct_list *l;
			struct item *x = p[1] >= 'a' && p[1] <= 'e' ? &it[p[1] - 'a'] : NULL;

			switch (p[0]) {
			case 'A': ct_list_append(&head, &x->link); break;
			case 'P': ct_list_prepend(&head, &x->link); break;
			case 'R': ct_list_remove(&x->link); break;
			case 'M': ct_list_move_tail(&head, &x->link); break;
			case 'F':
				l = ct_list_pop_first(&head);
				CHECK(l != NULL && !ct_list_linked(l));
				break;
			default: CHECK(!"bad op"); break;
			}
		}
		spell(&head, true, fwd);
		spell(&head, false, back);
		n = strlen(back);
		for (i = 0; i < n; i++)
			rev[i] = back[n - 1 - i];
		rev[n] = '\0';
		CHECK_STR(fwd, cases[c].want);
		CHECK_STR(rev, cases[c].want);
		CHECK_INT(ct_list_empty(&head), cases[c].want[0] == '\0');
		for (i = 0; i < 5; i++)
			CHECK_INT(ct_list_linked(&it[i].link),
			    strchr(cases[c].linked, 'a' + (int)i) != NULL);
		if (cases[c].want[0] != '\0') {
			CHECK_INT(ct_list_entry(ct_list_first(&head), struct item, link)->name,
			    cases[c].want[0]);
			CHECK_INT(ct_list_entry(ct_list_last(&head), struct item, link)->name,
			    cases[c].want[strlen(cases[c].want) - 1]);
		}
	}
	ct_list_init(&head);                    /* an empty list has no entry */
	CHECK(ct_list_entry(ct_list_first(&head), struct item, link) == NULL);
	CHECK(ct_list_pop_first(&head) == NULL);
	return TEST_REPORT();
}
