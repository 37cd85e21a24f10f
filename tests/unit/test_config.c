/* SPDX-License-Identifier: GPL-3.0-or-later */
/* --config FILE: entries to words, errors with FILE:LINE, order with the command line. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "calltap/conffile.h"
#include "test.h"

static const struct option opts[] = {
	{ "read", required_argument, NULL, 'r' },
	{ "json", required_argument, NULL, 1 },
	{ "home", required_argument, NULL, 2 },
	{ "quiet", no_argument, NULL, 'q' },
	{ "config", required_argument, NULL, 3 },
	{ NULL, 0, NULL, 0 }
};

static char path[64];

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

/* The words after argv[0], joined by '|', or "ERR:" + errbuf. */
static const char *expand(const char *text, int argc, const char **argv, char *out, size_t n)
{
	struct ct_config_args a;
	char errbuf[CT_ERRBUF_SIZE];
	int i;

	write_file(text);
	if (ct_config_expand(&a, argc, (char *const *)argv, opts, errbuf) != CT_OK) {
		snprintf(out, n, "ERR:%s", errbuf);
		return out;
	}
	out[0] = '\0';
	for (i = 1; i < a.argc; i++) {
		if (i > 1)
			strncat(out, "|", n - strlen(out) - 1);
		strncat(out, a.argv[i], n - strlen(out) - 1);
	}
	if (a.argv[a.argc] != NULL)
		strcpy(out, "argv not NULL-terminated");
	ct_config_args_free(&a);
	return out;
}

static const struct {
	const char *text;
	const char *want;   /* words, or ERR: + message with the path replaced by F */
} cases[] = {
	{ "", "" },
	{ "# only a comment\n\n   \n\t# indented comment\n", "" },
	{ "read = a.pcap\njson=-\nquiet\n", "--read=a.pcap|--json=-|--quiet" },
	{ "  home   =  10.0.0.0/8  \r\nhome = fd00::/8\n", "--home=10.0.0.0/8|--home=fd00::/8" },
	{ "json = http://x/#frag\n", "--json=http://x/#frag" },   /* '#' in a value stays */
	{ "read = a b.pcap", "--read=a b.pcap" },                  /* no newline at the end */
	{ "quiet\nbogus = 1\n", "ERR:F:2: unknown option 'bogus'" },
	{ "\n\n\nquiet = yes\n", "ERR:F:4: 'quiet' is a flag and takes no value (write it alone)" },
	{ "read\n", "ERR:F:1: 'read' needs a value: read = VALUE" },
	{ "read =   \n", "ERR:F:1: 'read' needs a value: read = VALUE" },
	{ "= x\n", "ERR:F:1: no option name before '='" },
	{ "--read = x\n", "ERR:F:1: write the option without dashes: 'read'" },
	{ "config = other.conf\n", "ERR:F:1: 'config' cannot be given in a config file" },
	{ "rea = x\n", "ERR:F:1: unknown option 'rea'" },          /* no abbreviations */
};

int main(void)
{
	char out[1024], want[1024];
	const char *argv1[] = { "calltap", "--config", path, NULL };
	size_t i;
	int fd;

	strcpy(path, "/tmp/test_config.XXXXXX");
	if ((fd = mkstemp(path)) < 0)
		return 1;
	close(fd);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *f = strstr(cases[i].want, "F:");

		if (strncmp(cases[i].want, "ERR:", 4) == 0 && f != NULL)
			snprintf(want, sizeof(want), "ERR:%s%s", path, f + 1);
		else
			snprintf(want, sizeof(want), "%s", cases[i].want);
		CHECK_STR(expand(cases[i].text, 3, argv1, out, sizeof(out)), want);
	}

	/* the file's words first, the command line after (it overrides), --config removed */
	{
		const char *argv2[] = { "calltap", "--json", "b.json", "--config", path, "-q", "x.pcap", NULL };
		char eq[96];
		const char *argv3[] = { "calltap", eq, "--", "--config", NULL };
		const char *argv4[] = { "calltap", "-r", "a.pcap", NULL };

		CHECK_STR(expand("json = a.json\nhome = 10.0.0.0/8\n", 7, argv2, out, sizeof(out)),
		    "--json=a.json|--home=10.0.0.0/8|--json|b.json|-q|x.pcap");
		snprintf(eq, sizeof(eq), "--config=%s", path);
		CHECK_STR(expand("quiet\n", 4, argv3, out, sizeof(out)), "--quiet|--|--config");
		CHECK_STR(expand("bogus\n", 3, argv4, out, sizeof(out)), "-r|a.pcap");   /* no --config */
	}

	/* a line too long, a missing file */
	{
		char *big = malloc(10000);

		memset(big, 'x', 9999);
		big[9999] = '\0';
		memcpy(big, "read = ", 7);
		snprintf(want, sizeof(want), "ERR:%s:1: line longer than 8190 bytes", path);
		CHECK_STR(expand(big, 3, argv1, out, sizeof(out)), want);
		free(big);
	}

	/* world-writable: refused as root only */
	write_file("quiet\n");
	chmod(path, 0666);
	expand("quiet\n", 3, argv1, out, sizeof(out));
	if (geteuid() == 0)
		CHECK(strstr(out, "is world-writable: refused when running as root") != NULL);
	else
		CHECK_STR(out, "--quiet");
	chmod(path, 0644);
	CHECK_STR(expand("quiet\n", 3, argv1, out, sizeof(out)), "--quiet");

	unlink(path);
	{
		const char *argv5[] = { "calltap", "--config", "/nonexistent/calltap.conf", NULL };
		struct ct_config_args a;
		char errbuf[CT_ERRBUF_SIZE];

		CHECK_INT(ct_config_expand(&a, 3, (char *const *)argv5, opts, errbuf), CT_ERR);
		CHECK_STR(errbuf, "cannot read config file '/nonexistent/calltap.conf': "
		    "No such file or directory");
		CHECK(a.argv == NULL);
	}
	return TEST_REPORT();
}
