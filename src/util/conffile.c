/* SPDX-License-Identifier: GPL-3.0-or-later */
/* --config FILE turned into command-line words (calltap/conffile.h). */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "calltap/conffile.h"

#define CONFIG_LINE_MAX 8192   /* a longer line is an error, not a truncation */

/* Appends a copy of word; CT_OK or CT_NOMEM. */
static int push(struct ct_config_args *a, const char *word)
{
	char **v = realloc(a->argv, ((size_t)a->argc + 2) * sizeof(*v));

	if (v == NULL)
		return CT_NOMEM;
	a->argv = v;
	if ((v[a->argc] = strdup(word)) == NULL)
		return CT_NOMEM;
	v[++a->argc] = NULL;
	return CT_OK;
}

void ct_config_args_free(struct ct_config_args *a)
{
	int i;

	for (i = 0; a->argv != NULL && i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
	a->argv = NULL;
	a->argc = 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		e--;
	*e = '\0';
	return s;
}

static const struct option *find_opt(const struct option *opts, const char *name)
{
	for (; opts->name != NULL; opts++)
		if (strcmp(opts->name, name) == 0)
			return opts;
	return NULL;
}

/*
 * One line turned into a word in *word (malloc'd), or NULL for a blank or
 * comment line; CT_ERR with errbuf "why" (the caller adds FILE:LINE).
 */
static int parse_line(char *line, const struct option *opts, char **word, char *why, size_t n)
{
	char *name = trim(line), *value = NULL, *eq;
	const struct option *opt;
	size_t len;

	*word = NULL;
	if (*name == '\0' || *name == '#')
		return CT_OK;
	if ((eq = strchr(name, '=')) != NULL) {
		*eq = '\0';
		value = trim(eq + 1);
		name = trim(name);
	}
	if (*name == '\0') {
		snprintf(why, n, "no option name before '='");
		return CT_ERR;
	}
	if (name[0] == '-') {
		snprintf(why, n, "write the option without dashes: '%s'", name + strspn(name, "-"));
		return CT_ERR;
	}
	if (strcmp(name, "config") == 0) {
		snprintf(why, n, "'config' cannot be given in a config file");
		return CT_ERR;
	}
	if ((opt = find_opt(opts, name)) == NULL) {
		snprintf(why, n, "unknown option '%s'", name);
		return CT_ERR;
	}
	if (opt->has_arg == no_argument && value != NULL) {
		snprintf(why, n, "'%s' is a flag and takes no value (write it alone)", name);
		return CT_ERR;
	}
	if (opt->has_arg == required_argument && (value == NULL || *value == '\0')) {
		snprintf(why, n, "'%s' needs a value: %s = VALUE", name, name);
		return CT_ERR;
	}
	len = strlen(name) + (value != NULL ? strlen(value) + 1 : 0) + 3;
	if ((*word = malloc(len)) == NULL)
		return CT_NOMEM;
	snprintf(*word, len, "--%s%s%s", name, value != NULL ? "=" : "", value != NULL ? value : "");
	return CT_OK;
}

int ct_config_read(struct ct_config_args *args, const char *path,
    const struct option *opts, char errbuf[CT_ERRBUF_SIZE])
{
	char line[CONFIG_LINE_MAX], why[256];
	struct stat st;
	unsigned lineno = 0;
	int rc = CT_OK;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot read config file '%s': %s", path, strerror(errno));
		return CT_ERR;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "config file '%s' is not a regular file", path);
		fclose(f);
		return CT_ERR;
	}
	if (geteuid() == 0 && (st.st_mode & S_IWOTH)) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "config file '%s' is world-writable: refused when "
		    "running as root, since anyone could choose the files and user calltap runs "
		    "with (chmod o-w)", path);
		fclose(f);
		return CT_ERR;
	}
	while (rc == CT_OK && fgets(line, sizeof(line), f) != NULL) {
		char *word = NULL;
		size_t len = strlen(line);

		lineno++;
		if (len == sizeof(line) - 1 && line[len - 1] != '\n' && !feof(f)) {
			snprintf(errbuf, CT_ERRBUF_SIZE, "%s:%u: line longer than %d bytes",
			    path, lineno, CONFIG_LINE_MAX - 2);
			rc = CT_ERR;
			break;
		}
		rc = parse_line(line, opts, &word, why, sizeof(why));
		if (rc == CT_ERR)
			snprintf(errbuf, CT_ERRBUF_SIZE, "%s:%u: %s", path, lineno, why);
		else if (rc == CT_OK && word != NULL)
			rc = push(args, word);
		free(word);
	}
	if (rc == CT_OK && ferror(f)) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot read config file '%s': %s", path, strerror(errno));
		rc = CT_ERR;
	}
	if (rc == CT_NOMEM)
		snprintf(errbuf, CT_ERRBUF_SIZE, "out of memory");
	fclose(f);
	return rc;
}

int ct_config_expand(struct ct_config_args *args, int argc, char *const *argv,
    const struct option *opts, char errbuf[CT_ERRBUF_SIZE])
{
	const char *path = NULL;
	int i, skip = -1, skip_n = 0, rc;

	args->argc = 0;
	args->argv = NULL;
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			path = argv[i + 1], skip_n = 2;
		else if (strncmp(argv[i], "--config=", 9) == 0)
			path = argv[i] + 9, skip_n = 1;
		else
			continue;
		skip = i;
		break;
	}
	rc = push(args, argc > 0 ? argv[0] : "calltap");
	if (rc == CT_OK && path != NULL)
		rc = ct_config_read(args, path, opts, errbuf);
	for (i = 1; rc == CT_OK && i < argc; i++)
		if (skip < 0 || i < skip || i >= skip + skip_n)
			rc = push(args, argv[i]);
	if (rc != CT_OK) {
		if (rc == CT_NOMEM)
			snprintf(errbuf, CT_ERRBUF_SIZE, "out of memory");
		ct_config_args_free(args);
	}
	return rc;
}
