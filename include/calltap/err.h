/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Return codes shared by every module (nginx NGX_* style). */
#ifndef CALLTAP_ERR_H
#define CALLTAP_ERR_H

#define CT_OK       0
#define CT_ERR     -1
#define CT_PARTIAL -2
#define CT_NOMEM   -3
#define CT_EOF     -4

#define CT_ERRBUF_SIZE 512

#endif
