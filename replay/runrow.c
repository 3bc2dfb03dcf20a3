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
	uint8_t bytes[4 * VMT_TEXT_MAX + 16 * VMT_NAME_MAX];
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

static void rb_header(struct rowb *b, const struct vmt_trace_info *in,
		      const char *path, const char *uuid)
{
	char iso[40], now[40], xen[300], fp[17];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	vmt_iso_time((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec, now);
	vmt_iso_time(in->clock_wall_ns, iso);
	snprintf(xen, sizeof(xen), "%u.%u%s", in->xen_major, in->xen_minor,
		 in->xen_extra);
	vmt_replay_fingerprint(in->abi_version, in->vcpus, in->monitors,
			       in->labels, fp);
	rb_str(b, "uuid", uuid);
	rb_str(b, "trace_path", path);
	rb_str(b, "imported_at", now);
	rb_int(b, "start_wall_ns", (int64_t)in->clock_wall_ns);
	rb_str(b, "start_wall", iso);
	rb_int(b, "clock_mono_ns", (int64_t)in->clock_mono_ns);
	rb_int(b, "abi_version", in->abi_version);
	rb_int(b, "req_size", in->req_size);
	rb_int(b, "rsp_size", in->rsp_size);
	rb_int(b, "page_size", in->page_size);
	rb_int(b, "xen_major", in->xen_major);
	rb_int(b, "xen_minor", in->xen_minor);
	rb_str(b, "xen_extra", in->xen_extra);
	rb_str(b, "xen_version", xen);
	rb_str(b, "host", in->host);
	rb_int(b, "domid", in->domid);
	rb_str(b, "domain_name", in->domain_name);
	rb_int(b, "vcpus", in->vcpus);
	rb_str(b, "monitors", in->monitors);
	rb_str(b, "labels", in->labels);
	rb_str(b, "recorder_version", in->recorder_version);
	rb_str(b, "cmdline", in->cmdline);
	rb_int(b, "codec", in->codec);
	rb_int(b, "level", in->level);
	rb_str(b, "fingerprint", fp);
}

static void rb_summary(struct rowb *b, const struct vmt_run_summary *s)
{
	uint64_t span = s->last_ts >= s->first_ts ? s->last_ts - s->first_ts : 0;

	rb_int(b, "duration_ns", (int64_t)(s->duration_ns ? s->duration_ns : span));
	rb_int(b, "records", (int64_t)s->records);
	rb_int(b, "requests", (int64_t)s->requests);
	rb_int(b, "responses", (int64_t)s->responses);
	rb_int(b, "markers", (int64_t)s->markers);
	rb_int(b, "notes", (int64_t)s->notes);
	rb_int(b, "ring_stats", (int64_t)s->ring_stats);
	rb_int(b, "lost", (int64_t)s->lost);
	rb_int(b, "first_seq", (int64_t)s->first_seq);
	rb_int(b, "last_seq", (int64_t)s->last_seq);
	rb_int(b, "first_ts_ns", (int64_t)s->first_ts);
	rb_int(b, "last_ts_ns", (int64_t)s->last_ts);
	rb_int(b, "backpressure_ns", (int64_t)s->backpressure_ns);
	rb_int(b, "max_occupancy", (int64_t)s->max_occupancy);
	rb_int(b, "batches", (int64_t)s->batches);
	rb_int(b, "end_cause", vmt_summary_end_cause(s));
	rb_str(b, "end_cause_name", vmt_summary_end_name(s));
	rb_int(b, "summary_from_trailer", s->from_trailer);
}

int vmt_run_insert(sqlite3 *db, int64_t run_id, const struct vmt_walk *w,
		      const char *path, const char *uuid)
{
	const struct vmt_integrity *in = vmt_reader_integrity(w->r);
	struct rowb *b = calloc(1, sizeof(*b));
	int err;

	if (!b)
		return -ENOMEM;
	rb_int(b, "run_id", run_id);
	rb_header(b, vmt_reader_info(w->r), path, uuid);
	rb_summary(b, vmt_reader_summary(w->r));
	rb_int(b, "complete", in->complete);
	rb_int(b, "chunks", in->chunks);
	rb_int(b, "damaged_chunks", in->damaged);
	rb_int(b, "cut_offset", (int64_t)in->cut_offset);
	rb_int(b, "unknown_records", (int64_t)in->unknown_records);
	rb_int(b, "file_size", (int64_t)in->file_size);
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
