/* SPDX-License-Identifier: GPL-3.0-or-later */
/* calltap show CALL-ID: a call's SIP ladder (src/show.c, docs/pcap.md). */
#ifndef CALLTAP_SHOW_H
#define CALLTAP_SHOW_H

int ct_show_main(int argc, char **argv);

#endif
