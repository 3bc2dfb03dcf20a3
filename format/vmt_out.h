/*
 * vmt_out.h - the one writer of JSON strings and numbers, and of
 * user-supplied text on a terminal, for every program and library output
 * (JSONL, --info, analyze's reports, the timelines, messages).
 * Shared-private: never installed.  Rules (replay/SCHEMA.md "Text in
 * outputs"):
 *   - JSON strings are valid UTF-8: a byte that does not begin a
 *     well-formed UTF-8 sequence (RFC 3629: no overlong form, no
 *     surrogate, nothing past U+10FFFF) is replaced by U+FFFD; '"', '\'
 *     and C0 controls are escaped (\u00XX, \" and \\).
 *   - A 64-bit integer above 2^53 (which a double, so jq 1.6 and
 *     JavaScript, rounds) gets an exact companion: "KEY":N and
 *     "KEY_str":"N" (decimal digits); at or below 2^53 "KEY":N alone.
 *   - Text for people escapes C0 controls, DEL, C1 controls and bytes
 *     outside well-formed UTF-8 as \xNN, and '\' as \\, so text from a
 *     guest or a control-socket client cannot drive the terminal.
 */
#ifndef VMT_OUT_H
#define VMT_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The largest integer every IEEE double reader holds exactly. */
#define VMT_JSON_EXACT_MAX (UINT64_C(1) << 53)

/* Length of the well-formed UTF-8 sequence at @s (1..4), 0 if none. */
size_t vmt_utf8_seq(const unsigned char *s, size_t n);

/* @s[0..n) as a JSON string, quotes included. */
void vmt_json_str(FILE *out, const char *s, size_t n);
/* "key":v, plus ,"key_str":"v" above 2^53; @comma: a ',' first. */
void vmt_json_u64(FILE *out, int comma, const char *key, uint64_t v);
/* The same for a signed value (companion when |v| > 2^53). */
void vmt_json_i64(FILE *out, int comma, const char *key, int64_t v);

/* @s[0..n) for a terminal, escaped as above. */
void vmt_text_str(FILE *out, const char *s, size_t n);
/* The same into @dst[cap] (cut to fit, NUL-terminated); returns @dst, for
 * printf's field widths. */
const char *vmt_text_esc(char *dst, size_t cap, const char *s);

#endif
