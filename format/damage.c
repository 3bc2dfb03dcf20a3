/*
 * damage.c - vmt_reader_damage_text(): what the reader found wrong with a
 * file, named precisely enough to act on (which structure, at which byte,
 * why), for the tools' warnings.
 */
#include <stdarg.h>
#include <stdio.h>

#include "format_int.h"
#include "reader_int.h"

struct text {
	char *buf;
	size_t len, at;
};

static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->at + 1 >= t->len)
		return;
	if (t->at) {
		n = snprintf(t->buf + t->at, t->len - t->at, "; ");
		t->at += (size_t)n < t->len - t->at ? (size_t)n : t->len - t->at - 1;
	}
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->at, t->len - t->at, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->at += (size_t)n < t->len - t->at ? (size_t)n : t->len - t->at - 1;
}

#define LLU(x) ((unsigned long long)(x))

static void trailer_text(const struct vmt_reader *r, struct text *t)
{
	const struct vmt_integrity *in = &r->integ;

	if (in->complete) {
		if (in->trailing_bytes)
			add(t, "%llu trailing bytes after the trailer", LLU(in->trailing_bytes));
		return;
	}
	if (!in->trailer_offset) {
		add(t, "no trailer: intact data ends at byte %llu of %llu (cut or crashed recording)",
		    LLU(in->cut_offset), LLU(in->file_size));
		return;
	}
	if (r->end_valid && r->end_says != in->trailer_offset)
		add(t, "trailer at byte %llu not used: the end marker places it at byte %llu "
		    "(bytes were added or removed before it)", LLU(in->trailer_offset),
		    LLU(r->end_says));
	else
		add(t, "trailer at byte %llu not used: %s", LLU(in->trailer_offset),
		    vmt_strerror(in->trailer_status));
}

static void chunk_text(const struct vmt_chunk_info *c, uint32_t i, struct text *t)
{
	if (c->repeated && c->status)
		add(t, "chunk %u at byte %llu repeats requests %llu..%llu already read: "
		    "skipped", i, LLU(c->offset), LLU(c->repeat_first), LLU(c->repeat_last));
	else if (c->repeated)
		add(t, "chunk %u at byte %llu overlaps: its first %u records repeat requests "
		    "%llu..%llu already read and were skipped", i, LLU(c->offset), c->repeated,
		    LLU(c->repeat_first), LLU(c->repeat_last));
	else if (c->status)
		add(t, "chunk %u at byte %llu: %s", i, LLU(c->offset), vmt_strerror(c->status));
}

size_t vmt_reader_damage_text(const struct vmt_reader *r, char *buf, size_t len)
{
	struct text t = { buf, len, 0 };

	if (len)
		buf[0] = '\0';
	trailer_text(r, &t);
	for (uint32_t i = 0; i < r->n; i++)
		chunk_text(&r->idx[i], i, &t);
	return t.at;
}
