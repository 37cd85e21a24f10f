/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A call's signalling path (src/sip/sigpath.c): which sources its in-dialog
 * messages may come from, and what each message teaches.  Each case is a
 * sequence of messages of one call (the first one starts the path) with the
 * verdict expected for each; the messages are parsed from text, so the Via
 * and Contact hosts come from src/sip/msg.c as in a capture.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "calltap/sigpath.h"
#include "calltap/sip.h"
#include "test.h"

struct step {
	bool request;
	const char *src, *dst;
	const char *via, *contact;  /* hosts written in the message (NULL: Contact left out, a
	                               Via naming a host name, which teaches nothing: a
	                               message without Via is refused, RFC 3261 §8.1.1.7) */
	bool want;                  /* true: on the path */
	uint8_t tunnel;             /* tunnel layers it came out of (ct_tuple.tunnel) */
};

#define MAX_STEPS 8

struct pcase {
	const char *name;
	struct step steps[MAX_STEPS];
	int n;
};

#define A "198.51.100.10"    /* caller */
#define P "203.0.113.10"     /* PBX / proxy */
#define B "192.0.2.20"       /* callee behind the proxy */
#define B2 "192.0.2.21"      /* second box of the callee's carrier */
#define X "100.64.9.9"       /* a stranger who knows the Call-ID */
#define R true
#define S false

static const struct pcase cases[] = {
	{ "direct call: both ends, both ways", {
		{ R, A, P, A, A, true, 0 },          /* INVITE */
		{ S, P, A, A, P, true, 0 },          /* 200 */
		{ R, A, P, A, A, true, 0 },          /* ACK */
		{ R, P, A, P, P, true, 0 },          /* BYE from the callee side */
	}, 4 },
	{ "stranger: request and response refused, teach nothing", {
		{ R, A, P, A, A, true, 0 },
		{ R, X, P, X, X, false, 0 },         /* re-INVITE / BYE from X */
		{ S, X, P, P, X, false, 0 },         /* a forged 200 from X */
		{ S, P, X, X, P, true, 0 },          /* the PBX answers X (481): its Via names X */
		{ R, X, P, X, X, false, 0 },         /* X is still off the path */
	}, 5 },
	{ "proxy forwards: the next hop joins, its answer and BYE are taken", {
		{ R, A, P, A, A, true, 0 },
		{ R, P, B, P, A, true, 0 },          /* forwarded INVITE */
		{ S, B, P, P, B, true, 0 },          /* 200 from the callee */
		{ R, B, P, B, B, true, 0 },          /* callee's BYE */
	}, 4 },
	{ "answer names another box (Contact): its later requests are taken", {
		{ R, P, B, P, P, true, 0 },
		{ S, B, P, P, B2, true, 0 },         /* 200, Contact: the carrier's second box */
		{ R, B2, P, B2, B2, true, 0 },       /* BYE from that box */
	}, 3 },
	{ "response's Via and destination teach nothing", {
		{ R, A, P, A, A, true, 0 },
		{ S, P, X, X, NULL, true, 0 },       /* a response sent to X, Via X */
		{ R, X, P, X, X, false, 0 },
	}, 3 },
	{ "request's Contact and Via teach their hosts", {
		{ R, A, P, B2, B, true, 0 },         /* INVITE through a NAT: Via/Contact name others */
		{ R, B, P, B, B, true, 0 },
		{ R, B2, P, B2, B2, true, 0 },
	}, 3 },
	{ "a name as host teaches nothing", {
		{ R, A, P, "pbx.example.com", "pbx.example.com", true, 0 },
		{ R, X, P, X, X, false, 0 },
	}, 2 },
	{ "IPv6 ends and a bracketed Contact", {
		{ R, "2001:db8::1", "2001:db8::2", "[2001:db8::1]", "[2001:db8::3]", true, 0 },
		{ R, "2001:db8::3", "2001:db8::2", "[2001:db8::3]", NULL, true, 0 },
		{ R, "2001:db8::9", "2001:db8::2", "[2001:db8::9]", NULL, false, 0 },
	}, 3 },
	/* Anyone can send a tunnel packet to a monitored host with the call's
	 * own addresses inside (tests/attacks.py tunnel-spoof). */
	{ "plain call: path addresses out of a tunnel are refused, teach nothing", {
		{ R, A, P, A, A, true, 0 },
		{ R, A, P, A, A, false, 1 },      /* BYE in VXLAN "from" the caller */
		{ S, P, A, A, P, false, 1 },      /* a 200 in GRE "from" the PBX */
		{ R, P, X, P, X, false, 2 },      /* would teach X */
		{ R, X, P, X, X, false, 0 },
		{ R, P, A, P, P, true, 0 },       /* the real BYE */
	}, 6 },
	{ "call inside a mirror tunnel: taken there, not plain nor one deeper", {
		{ R, A, P, A, A, true, 1 },
		{ S, P, A, A, P, true, 1 },
		{ R, A, P, A, A, false, 0 },
		{ R, A, P, A, A, false, 2 },
		{ R, A, P, A, A, true, 1 },
	}, 5 },
};

static struct ct_addr ip(const char *text)
{
	struct ct_addr a;

	memset(&a, 0, sizeof(a));
	CHECK_INT(ct_addr_parse(&a, text), 0);
	return a;
}

/* Parses one message of step s (call "path-1"). */
static void message(struct ct_sip_msg *m, const struct step *s, unsigned cseq)
{
	char text[1024], via[128] = "", contact[128] = "";

	snprintf(via, sizeof(via), "Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK%u\r\n",
	    s->via != NULL ? s->via : "proxy.invalid", cseq);
	if (s->contact != NULL)
		snprintf(contact, sizeof(contact), "Contact: <sip:u@%s:5060>\r\n", s->contact);
	snprintf(text, sizeof(text), "%s\r\n%sFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>;tag=2\r\n"
	    "Call-ID: path-1\r\nCSeq: %u %s\r\n%sContent-Length: 0\r\n\r\n",
	    s->request ? "INVITE sip:b@x SIP/2.0" : "SIP/2.0 200 OK", via, cseq, "INVITE", contact);
	memset(m, 0, sizeof(*m));
	CHECK_INT(ct_sip_msg_parse(m, text, strlen(text)), 0);
	m->t.src = ip(s->src);
	m->t.dst = ip(s->dst);
	m->t.sport = m->t.dport = 5060;
	m->t.tunnel = s->tunnel;
}

static void test_cases(void)
{
	size_t i;
	int k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ct_sigpath p;

		for (k = 0; k < cases[i].n; k++) {
			const struct step *s = &cases[i].steps[k];
			struct ct_sip_msg m;
			bool got;

			message(&m, s, (unsigned)k + 1);
			if (k == 0)
				ct_sigpath_init(&p, &m);
			got = ct_sigpath_accept(&p, &m);
			if (got != s->want)
				fprintf(stderr, "case \"%s\" step %d: got %d\n", cases[i].name, k, got);
			CHECK(got == s->want);
			ct_sip_msg_fini(&m);
		}
		ct_sigpath_fini(&p);
	}
}

/* The path is bounded: hops past CT_SIGPATH_MAX are not learnt. */
static void test_bound(void)
{
	struct step s = { R, A, P, NULL, NULL, true, 0 };
	struct ct_sigpath p;
	struct ct_sip_msg m;
	char dst[32];
	int i;

	message(&m, &s, 1);
	ct_sigpath_init(&p, &m);
	ct_sip_msg_fini(&m);
	for (i = 0; i < 40; i++) {
		snprintf(dst, sizeof(dst), "10.0.0.%d", i + 1);
		s.dst = dst;
		message(&m, &s, (unsigned)i + 2);
		CHECK(ct_sigpath_accept(&p, &m));
		ct_sip_msg_fini(&m);
	}
	CHECK_INT(2 + p.n_hops, CT_SIGPATH_MAX);
	CHECK(ct_sigpath_has(&p, &(struct ct_addr){ 0 }) == false);
	{
		struct ct_addr first = ip("10.0.0.1"), last = ip("10.0.0.40");

		CHECK(ct_sigpath_has(&p, &first));
		CHECK(!ct_sigpath_has(&p, &last));
	}
	ct_sigpath_fini(&p);
}

int main(void)
{
	ct_sip_init();
	test_cases();
	test_bound();
	return TEST_REPORT();
}
