/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The file name of a call's page (`calltap show CALL-ID --format html
 * --call-pages DIR` writes DIR/NAME, `calltap report --call-pages DIR` links
 * to it when it exists): the Call-ID's first 64 bytes with every byte
 * outside [A-Za-z0-9._-] (and a leading '.') replaced by '_', then '-' and
 * the first 8 hex digits of the SHA-256 of the whole Call-ID, then ".html".
 * The digest keeps two Call-IDs apart that differ only in replaced bytes or
 * after byte 64; the name never holds a '/', never starts with '.', and is
 * at most 83 bytes.  A Call-ID is wire data: nothing of it is trusted.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "calltap/report.h"
#include "calltap/sha256.h"

#define PAGE_ID_BYTES 64

char *ct_call_page_name(const char *call_id, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t d[CT_SHA256_LEN];
	size_t i, n = 0;

	if (size < CT_CALL_PAGE_NAME_MAX) {
		if (size > 0)
			buf[0] = '\0';
		return buf;
	}
	if (call_id == NULL)
		call_id = "";
	for (i = 0; call_id[i] != '\0' && i < PAGE_ID_BYTES; i++) {
		char c = call_id[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || (c == '.' && i > 0);

		buf[n++] = ok ? c : '_';
	}
	ct_sha256(call_id, strlen(call_id), d);
	buf[n++] = '-';
	for (i = 0; i < 4; i++) {
		buf[n++] = hex[d[i] >> 4];
		buf[n++] = hex[d[i] & 15];
	}
	memcpy(buf + n, ".html", 6);
	return buf;
}
