/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Forked INVITEs (src/sip/forks.c): branches of one call, for dialog.c. */
#ifndef CALLTAP_SIP_FORKS_H
#define CALLTAP_SIP_FORKS_H

#include <stdbool.h>
#include <stdint.h>

#include "calltap/packet.h"
#include "calltap/record.h"
#include "calltap/sip.h"

struct ct_forks;

enum ct_fork_verdict {
	CT_FORK_NONE = 0,   /* not a final failure, or not forked */
	CT_FORK_BRANCH,     /* a branch failed; others may still answer */
	CT_FORK_END         /* the final failure of the call */
};

void ct_forks_invite(struct ct_forks **fp, const struct ct_sip_msg *m,
    const struct ct_addr *first, uint16_t first_port, const char *first_user, int64_t first_us);
enum ct_fork_verdict ct_forks_response(struct ct_forks *f, const struct ct_sip_msg *m);
void ct_forks_failed(struct ct_forks *f, const struct ct_addr *a, uint16_t port, int status,
    int64_t ts_us);
int ct_forks_rings(const struct ct_forks *f, struct ct_call_record *r);
bool ct_forks_forked(const struct ct_forks *f);
bool ct_forks_has_forwarder(const struct ct_forks *f);
size_t ct_forks_bytes(const struct ct_forks *f);
void ct_forks_free(struct ct_forks *f);

#endif
