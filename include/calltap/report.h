/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `calltap report`: summary of the calls stored in a database (docs/report.md). */
#ifndef CALLTAP_REPORT_H
#define CALLTAP_REPORT_H

#include <stddef.h>

/* Runs the subcommand; argv[0] is "report".  Returns the exit status. */
int ct_report_main(int argc, char **argv);

/* Room for a call page's name and its NUL (src/report/callpage.c). */
#define CT_CALL_PAGE_NAME_MAX 84
/*
 * The file name of call_id's page ("<safe Call-ID>-<8 hex>.html") into buf
 * (size >= CT_CALL_PAGE_NAME_MAX, else "" is written); returns buf.
 */
char *ct_call_page_name(const char *call_id, char *buf, size_t size);

#endif
