/*
 * runrow.c - the runs row of an import (header facts, trailer summary,
 * integrity, fingerprint) and its run_labels / run_monitors / phase_names
 * rows.  Each row
 * is assembled column by column, the name next to its value, and goes out
 * through a one-row table writer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "replay_int.h"

/* A one-row insert assembled column by column (names next to values). */
struct rowb {
	const char *names[80];
	struct vmt_cell cells[80];
	uint8_t bytes[6 * VMT_TEXT_MAX + 16 * VMT_NAME_MAX];   /* 4 texts, a path, names */
	size_t n, len;
};

static void rb_int(struct rowb *b, const char *name, int64_t v)
{
	b->names[b->n] = name;
	b->cells[b->n++] = (struct vmt_cell){ .v = v, .type = VMT_CELL_INT };
}

static void rb_text(struct rowb *b, const char *name, const char *s, size_t n)
{
	n = n < sizeof(b->bytes) - b->len ? n : sizeof(b->bytes) - b->len;
	memcpy(b->bytes + b->len, s, n);
	b->names[b->n] = name;
	b->cells[b->n++] = (struct vmt_cell){ .v = (int64_t)b->len,
					      .len = (uint32_t)n,
					      .type = VMT_CELL_TEXT };
	b->len += n;
}

static void rb_str(struct rowb *b, const char *name, const char *s)
{
	rb_text(b, name, s, strlen(s));
}

static int rb_insert(sqlite3 *db, const char *table, struct rowb *b)
{
	struct vmt_tw t;
	int err = vmt_tw_init(&t, db, table, b->names, (int)b->n, 1);

	if (!err)
		err = vmt_tw_add(&t, b->cells, b->bytes);
	if (!err)
		err = vmt_tw_flush(&t);
	vmt_tw_free(&t);
	b->n = b->len = 0;
	return err;
}

/* The run facts (runfacts.c), under their names and runs aliases. */
static void rb_facts(struct rowb *b, const struct vmt_reader *r,
		     struct vmt_fact_texts *t)
{
	struct vmt_fact f[VMT_FACTS_MAX];
	size_t n = vmt_run_facts(r, t, f);

	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 2; k++) {
			const char *name = k ? f[i].runs_alias : f[i].name;

			if (!name)
				continue;
			if (f[i].text)
				rb_str(b, name, f[i].text);
			else
				rb_int(b, name, (int64_t)f[i].num);
		}
}

int vmt_run_insert(sqlite3 *db, int64_t run_id, const struct vmt_walk *w,
		      const char *path, const char *uuid)
{
	struct rowb *b = calloc(1, sizeof(*b));
	struct vmt_fact_texts t;
	struct timespec ts;
	char now[40];
	int err;

	(void)uuid;      /* a run fact too */
	if (!b)
		return -ENOMEM;
	clock_gettime(CLOCK_REALTIME, &ts);
	vmt_iso_time((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec, now);
	rb_int(b, "run_id", run_id);
	rb_str(b, "trace_path", path);
	rb_str(b, "imported_at", now);
	rb_facts(b, w->r, &t);
	rb_int(b, "filtered", w->filtered);
	rb_int(b, "imported_events", (int64_t)w->events);
	rb_int(b, "imported_responses", (int64_t)w->responses);
	err = rb_insert(db, "runs", b);
	free(b);
	return err;
}

struct pairs_ctx {
	sqlite3 *db;
	int64_t run_id;
	int position, monitors;
	struct rowb *b;
};

/* A label key given again later in the text: the last one wins. */
static int repeated_later(const char *rest, const char *k, size_t kn)
{
	for (const char *p = strchr(rest, ';'); p; p = strchr(p + 1, ';'))
		if (!strncmp(p + 1, k, kn) && (p[1 + kn] == '=' || p[1 + kn] == ';' ||
					       !p[1 + kn]))
			return 1;
	return 0;
}

static int put_pair(void *ctx, const char *k, size_t kn, const char *v, size_t vn)
{
	struct pairs_ctx *p = ctx;

	if (!p->monitors && repeated_later(v + vn, k, kn))
		return 0;

	rb_int(p->b, "run_id", p->run_id);
	if (p->monitors)
		rb_int(p->b, "position", p->position++);
	rb_text(p->b, p->monitors ? "monitor" : "key", k, kn);
	rb_text(p->b, p->monitors ? "params" : "value", v, vn);
	return rb_insert(p->db, p->monitors ? "run_monitors" : "run_labels", p->b);
}

/* The reader checked the text (format/phases.c), so every item parses. */
static int put_phase_names(sqlite3 *db, int64_t run_id, const char *text,
			   struct rowb *b)
{
	char name[VMT_PHASE_NAME_MAX];
	uint64_t code;
	int err = *text ? vmt_db_ensure_table(db, "phase_names") : 0;

	while (!err && vmt_phase_names_next(&text, &code, name) == 1) {
		rb_int(b, "run_id", run_id);
		rb_int(b, "code", (int64_t)code);
		rb_str(b, "name", name);
		err = rb_insert(db, "phase_names", b);
	}
	return err;
}

int vmt_run_pairs_insert(sqlite3 *db, int64_t run_id,
			const struct vmt_trace_info *in)
{
	struct pairs_ctx p = { db, run_id, 0, 0, calloc(1, sizeof(struct rowb)) };
	int err;

	if (!p.b)
		return -ENOMEM;
	err = vmt_labels_each(in->labels, put_pair, &p);
	p.monitors = 1;
	if (!err)
		err = vmt_monitors_each(in->monitors, put_pair, &p);
	if (!err)
		err = put_phase_names(db, run_id, in->phase_names, p.b);
	free(p.b);
	return err;
}
