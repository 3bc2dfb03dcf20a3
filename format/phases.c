/*
 * phases.c - the phase-name text of the PHASE_NAMES header record
 * (SPEC.md "Metadata records" type 13, "Text conventions" phase names):
 * "CODE=NAME" items, ascending by CODE, joined by ';'.  The one place
 * that knows the grammar: the writer and reader check through it, the
 * recorder builds with it, replay and analyze walk with it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "format_int.h"

static int name_char_ok(unsigned char c)
{
	return c >= 0x20 && c != 0x7f && c != ';' && c != ',' && c != '=';
}

/* @len bytes of @s: 1..VMT_PHASE_NAME_MAX-1 bytes of allowed characters. */
static int name_ok(const char *s, size_t len)
{
	if (len == 0 || len >= VMT_PHASE_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!name_char_ok((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Canonical decimal: digits only, no leading zero, fits 64 bits. */
static int code_parse(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int vmt_phase_names_next(const char **pos, uint64_t *code,
			 char name[VMT_PHASE_NAME_MAX])
{
	const char *p = *pos, *eq, *end;

	if (!*p)
		return 0;
	end = strchr(p, ';');
	if (!end)
		end = p + strlen(p);
	eq = memchr(p, '=', (size_t)(end - p));
	if (!eq || code_parse(p, (size_t)(eq - p), code) ||
	    !name_ok(eq + 1, (size_t)(end - eq - 1)))
		return -VMT_E_CORRUPT;
	memcpy(name, eq + 1, (size_t)(end - eq - 1));
	name[end - eq - 1] = '\0';
	/* A ';' must be followed by another item. */
	if (*end == ';' && !end[1])
		return -VMT_E_CORRUPT;
	*pos = *end ? end + 1 : end;
	return 1;
}

int vmt_phase_names_check(const char *text)
{
	char name[VMT_PHASE_NAME_MAX];
	uint64_t code, prev = 0;
	int n = 0, rc;

	while ((rc = vmt_phase_names_next(&text, &code, name)) == 1) {
		if (n++ && code <= prev)
			return -VMT_E_CORRUPT;  /* unsorted or repeated */
		prev = code;
	}
	return rc;
}

int vmt_phase_names_add(char *text, size_t cap, uint64_t code, const char *name)
{
	char item[24 + VMT_PHASE_NAME_MAX], cur[VMT_PHASE_NAME_MAX];
	const char *p = text, *at;
	uint64_t c;
	size_t len = strlen(text);
	int n, rc;

	if (!name_ok(name, strlen(name)))
		return -EINVAL;
	/* Find the first item with a larger code: ours goes before it. */
	for (at = p; (rc = vmt_phase_names_next(&p, &c, cur)) == 1; at = p) {
		if (c == code)
			return -EEXIST;
		if (c > code)
			break;
	}
	if (rc < 0)
		return rc;
	n = snprintf(item, sizeof(item), "%" PRIu64 "=%s", code, name);
	if (len + (size_t)n + 2 > cap)
		return -ENOSPC;
	size_t off = (size_t)(at - text);
	if (rc == 1) {         /* before an existing item: "item;" */
		memmove(text + off + n + 1, text + off, len - off + 1);
		memcpy(text + off, item, (size_t)n);
		text[off + (size_t)n] = ';';
	} else if (len) {      /* after the last one: ";item" */
		text[len] = ';';
		memcpy(text + len + 1, item, (size_t)n + 1);
	} else {
		memcpy(text, item, (size_t)n + 1);
	}
	return 0;
}
