/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Intrusive doubly linked list: the one list every stage uses for its age,
 * LRU, timer and eviction orders.  A list is a head (struct ct_list); an
 * element embeds a struct ct_list link and is found back from it with
 * ct_list_entry().  The head is a sentinel of a circular list, so linking
 * and unlinking are O(1) without special cases.  Convention for the stages:
 * the first element is the oldest (least recently used), elements are
 * appended at the tail, and "touching" one moves it to the tail.
 *
 * An element's link is NULL/NULL while it is on no list (a zeroed element,
 * or one taken off with ct_list_remove), so ct_list_linked() tells whether
 * it is on one.  A link is on one list at a time.  Nothing here allocates.
 */
#ifndef CALLTAP_LIST_H
#define CALLTAP_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct ct_list {
	struct ct_list *prev, *next;
};

/* The element of type `type` whose member `member` is the link at p. */
#define ct_container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

/* Like ct_container_of, but NULL when p is NULL (for ct_list_first etc.). */
#define ct_list_entry(p, type, member) \
	((p) == NULL ? (type *)NULL : ct_container_of(p, type, member))

/* Makes head an empty list. */
static inline void ct_list_init(struct ct_list *head)
{
	head->prev = head;
	head->next = head;
}

static inline bool ct_list_empty(const struct ct_list *head)
{
	return head->next == head;
}

/* True when element link n is on a list. */
static inline bool ct_list_linked(const struct ct_list *n)
{
	return n->next != NULL;
}

/* Appends n (on no list) at the tail of head: it becomes the newest. */
static inline void ct_list_append(struct ct_list *head, struct ct_list *n)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}

/* Inserts n (on no list) at the front of head: it becomes the first. */
static inline void ct_list_prepend(struct ct_list *head, struct ct_list *n)
{
	n->next = head->next;
	n->prev = head;
	head->next->prev = n;
	head->next = n;
}

/* Takes n off its list (n must be linked); n is then on no list. */
static inline void ct_list_remove(struct ct_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = NULL;
	n->next = NULL;
}

/* Moves linked n to the tail of head (an LRU touch). */
static inline void ct_list_move_tail(struct ct_list *head, struct ct_list *n)
{
	ct_list_remove(n);
	ct_list_append(head, n);
}

/* The first (oldest) link of head, or NULL when it is empty. */
static inline struct ct_list *ct_list_first(const struct ct_list *head)
{
	return head->next != head ? head->next : NULL;
}

/* Takes the first (oldest) link off head and returns it; NULL when empty. */
static inline struct ct_list *ct_list_pop_first(struct ct_list *head)
{
	struct ct_list *n = ct_list_first(head);

	if (n != NULL)
		ct_list_remove(n);
	return n;
}

/* The last (newest) link of head, or NULL when it is empty. */
static inline struct ct_list *ct_list_last(const struct ct_list *head)
{
	return head->prev != head ? head->prev : NULL;
}

/* The link after n on head, or NULL when n is the last. */
static inline struct ct_list *ct_list_next(const struct ct_list *head, const struct ct_list *n)
{
	return n->next != head ? n->next : NULL;
}

/* The link before n on head, or NULL when n is the first. */
static inline struct ct_list *ct_list_prev(const struct ct_list *head, const struct ct_list *n)
{
	return n->prev != head ? n->prev : NULL;
}

#endif
