/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * --config FILE: a file of long options, turned into command-line words
 * for the same getopt_long table main() uses (no second option parser).
 *
 * The file has one entry per line: "option = value" for an option that
 * takes a value, "option" alone for a flag; the option is the long name
 * without "--".  Blank lines and lines whose first non-blank character is
 * '#' are ignored (a '#' inside a value is part of the value: URLs).
 * Leading and trailing blanks around the name and the value are dropped.
 *
 * The words of the file come first and the command line after them, so a
 * command-line option overrides a single-valued one from the file and adds
 * to a repeatable one (--read, --home, --webhook-header, outputs).
 */
#ifndef CALLTAP_CONFFILE_H
#define CALLTAP_CONFFILE_H

#include <getopt.h>

#include "calltap/err.h"

/* The expanded argument vector; owns every string in it. */
struct ct_config_args {
	int argc;
	char **argv;      /* argc words, then NULL */
};

/*
 * Finds "--config FILE" or "--config=FILE" among argv[1..] (before a "--"),
 * and builds args: argv[0], one "--name=value" (or "--name") word per entry
 * of FILE, then the rest of argv without the --config option.  Without
 * --config, args is a copy of argv.  Every name is checked against opts
 * (terminated by a zero entry): an unknown name, a flag given a value, an
 * option missing one, a line with no name, or the name "config" (no
 * nesting) is an error "FILE:LINE: why".  When the effective user is root,
 * a world-writable FILE is refused: whoever can write it chooses what a
 * root process opens and runs as (--user, output paths).
 * Returns CT_OK, CT_ERR with errbuf (no "calltap: " prefix), or CT_NOMEM.
 * args is empty (argv NULL) unless CT_OK; free it with ct_config_args_free.
 */
int ct_config_expand(struct ct_config_args *args, int argc, char *const *argv,
    const struct option *opts, char errbuf[CT_ERRBUF_SIZE]);

/* Reads one config file, appending its words to args (argv[0] excluded). */
int ct_config_read(struct ct_config_args *args, const char *path,
    const struct option *opts, char errbuf[CT_ERRBUF_SIZE]);

void ct_config_args_free(struct ct_config_args *args);

#endif
