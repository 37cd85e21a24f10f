/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `calltap report`: summary of the calls stored in a database (docs/report.md). */
#ifndef CALLTAP_REPORT_H
#define CALLTAP_REPORT_H

/* Runs the subcommand; argv[0] is "report".  Returns the exit status. */
int ct_report_main(int argc, char **argv);

#endif
