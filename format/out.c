/*
 * out.c - JSON strings and numbers, and terminal-safe text (vmt_out.h).
 */
#include <inttypes.h>
#include <string.h>

#include "vmt_out.h"

size_t vmt_utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (!n)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

void vmt_json_str(FILE *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	putc('"', out);
	for (size_t i = 0; i < n;) {
		size_t len = vmt_utf8_seq(p + i, n - i);

		if (!len) {
			fputs("\xef\xbf\xbd", out);     /* U+FFFD */
			i++;
		} else if (len > 1) {
			fwrite(p + i, 1, len, out);
			i += len;
		} else {
			if (p[i] == '"' || p[i] == '\\')
				fprintf(out, "\\%c", p[i]);
			else if (p[i] < 0x20)
				fprintf(out, "\\u%04x", p[i]);
			else
				putc(p[i], out);
			i++;
		}
	}
	putc('"', out);
}

void vmt_json_u64(FILE *out, int comma, const char *key, uint64_t v)
{
	fprintf(out, "%s\"%s\":%" PRIu64, comma ? "," : "", key, v);
	if (v > VMT_JSON_EXACT_MAX)
		fprintf(out, ",\"%s_str\":\"%" PRIu64 "\"", key, v);
}

void vmt_json_i64(FILE *out, int comma, const char *key, int64_t v)
{
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	fprintf(out, "%s\"%s\":%" PRId64, comma ? "," : "", key, v);
	if (mag > VMT_JSON_EXACT_MAX)
		fprintf(out, ",\"%s_str\":\"%" PRId64 "\"", key, v);
}

void vmt_text_str(FILE *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t len = vmt_utf8_seq(p + i, n - i);
		/* U+0080..U+009F, the C1 controls, are C2 80..C2 9F */
		int c1 = len == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0;

		if (len > 1 && !c1) {
			fwrite(p + i, 1, len, out);
			i += len;
			continue;
		}
		for (size_t k = 0; k < (len ? len : 1); k++, i++) {
			if (p[i] == '\\')
				fputs("\\\\", out);
			else if (p[i] < 0x20 || p[i] >= 0x7f)
				fprintf(out, "\\x%02x", p[i]);
			else
				putc(p[i], out);
		}
	}
}

const char *vmt_text_esc(char *dst, size_t cap, const char *s)
{
	FILE *f = cap > 1 ? fmemopen(dst, cap - 1, "w") : NULL;
	long n;

	if (!f) {
		if (cap)
			*dst = 0;
		return dst;
	}
	setvbuf(f, NULL, _IONBF, 0);
	vmt_text_str(f, s, strlen(s));
	n = ftell(f);
	fclose(f);
	dst[n < 0 ? 0 : (size_t)n < cap - 1 ? (size_t)n : cap - 1] = 0;
	return dst;
}
