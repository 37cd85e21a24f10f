/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Return codes shared by every module (nginx NGX_* style), one meaning each:
 *   CT_OK        done;
 *   CT_ERR       failed (the function's contract says how, errbuf why);
 *   CT_PARTIAL   need more bytes (an incomplete message, fragment or block);
 *   CT_NOMEM     out of memory;
 *   CT_EOF       end of input;
 *   CT_UNUSABLE  the resource answered but cannot be used as it is (a
 *                database with a newer or foreign schema);
 *   CT_REFUSED   this one item was refused, the next ones go on (a record
 *                the server rejects, one dropped at a full spool).
 */
#ifndef CALLTAP_ERR_H
#define CALLTAP_ERR_H

#define CT_OK       0
#define CT_ERR     -1
#define CT_PARTIAL -2
#define CT_NOMEM   -3
#define CT_EOF     -4
#define CT_UNUSABLE -5
#define CT_REFUSED -6

#define CT_ERRBUF_SIZE 512

#endif
