/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ct_mask_secrets: credentials in webhook URLs, PostgreSQL conninfo strings
 * and URIs, and in library messages that quote a piece of them, are shown
 * as "***"; everything else is kept as written.
 */
#include "config.h"

#include <string.h>

#include "calltap/buf.h"
#include "test.h"

static void test_mask(void)
{
	static const struct { const char *text, *origin, *want; } vec[] = {
		/* URLs: password of userinfo, every query value */
		{ "http://127.0.0.1:8080/calls", NULL, "http://127.0.0.1:8080/calls" },
		{ "https://bob:s3cret@crm.example/hook", NULL, "https://bob:***@crm.example/hook" },
		{ "https://bob@crm.example/hook", NULL, "https://bob@crm.example/hook" },
		{ "https://crm.example/hook?token=abc123&x=1", NULL, "https://crm.example/hook?token=***&x=***" },
		{ "https://crm.example/hook?abcdef", NULL, "https://crm.example/hook?***" },
		{ "https://crm.example/h?code=zz#frag", NULL, "https://crm.example/h?code=***#frag" },
		{ "https://u:p%40ss@h/p?a=1;b=2", NULL, "https://u:***@h/p?a=***;b=***" },
		{ "webhook 'http://u:pw@h/x?k=v': HTTP status 503", NULL,
		  "webhook 'http://u:***@h/x?k=***': HTTP status 503" },
		{ "postgresql://calltap:hunter22@db.example:5432/crm?sslmode=require", NULL,
		  "postgresql://calltap:***@db.example:5432/crm?sslmode=***" },
		{ "unexpected spaces found in \"postgresql://u:sek rit42@h/db\", use %20", NULL,
		  "unexpected spaces found in \"postgresql://u:***@h/db\", use %20" },
		{ "http://host:80 failed", NULL, "http://host:80 failed" },
		/* conninfo key=value */
		{ "host=db port=5432 dbname=crm user=calltap password=sekrit42", NULL,
		  "host=db port=5432 dbname=crm user=calltap password=***" },
		{ "password = 'a b\\' c' host=x", NULL, "password = *** host=x" },
		{ "host=x sslpassword=abcd PASSWORD=Q", NULL, "host=x sslpassword=*** PASSWORD=***" },
		{ "api_key=1234 Token=zz secret=s user=u", NULL, "api_key=*** Token=*** secret=*** user=u" },
		{ "passport=x keyboard=y", NULL, "passport=*** keyboard=y" },
		{ "dbname=postgresql://a:bbbb@h/d", NULL, "dbname=postgresql://a:***@h/d" },
		/* secrets of the origin quoted by a library message */
		{ "invalid percent-encoded token: \"p%zzword\"", "postgresql://u:p%zzword@h/db",
		  "invalid percent-encoded token: \"***\"" },
		{ "missing \"=\" after \"sekrit42\" in connection info string",
		  "host=h password=sekrit42 bogus", "missing \"=\" after \"***\" in connection info string" },
		{ "could not connect: p@ss", "postgresql://u:p%40ss@h/db", "could not connect: ***" },
		{ "no ab here", "password=ab", "no ab here" },
		/* nothing to mask */
		{ "connection refused", "host=h", "connection refused" },
		{ "", NULL, "" },
		{ NULL, NULL, "" },
	};
	char out[256];
	size_t i;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		memset(out, 'z', sizeof(out));
		CHECK(ct_mask_secrets(out, sizeof(out), vec[i].text, vec[i].origin) == out);
		CHECK_STR(out, vec[i].want);
	}
	/* cut to fit, always terminated */
	ct_mask_secrets(out, 12, "https://u:pw@host/x", NULL);
	CHECK_STR(out, "https://u:*");
	memset(out, 'z', sizeof(out));
	ct_mask_secrets(out, 1, "abc", NULL);
	CHECK_INT(out[0], 0);
}

int main(void)
{
	test_mask();
	return TEST_REPORT();
}
