/*
 * sink_text.c - the JSONL and CSV streams (SCHEMA.md "Streams"): every
 * field of the normalized event under the schema's names, written as the
 * walker goes, so memory stays constant.  Values are unsigned decimals.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "replay_int.h"

struct text_ctx {
	FILE *out;
};

/* "mem_access"..., or "reason_<n>" for codes format/ does not name. */
static const char *reason_label(uint32_t reason, char buf[24])
{
	const char *n = vmt_reason_name(reason);

	if (n)
		return n;
	snprintf(buf, 24, "reason_%u", reason);
	return buf;
}

/* The payload bytes of a reason format/ cannot decode, so nothing is lost. */
static void hex(FILE *o, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(o, "%02x", p[i]);
}

static void jkey(FILE *o, const char *k, uint64_t v)
{
	vmt_json_u64(o, 1, k, v);
}

static void jhead(FILE *o, const char *record, const struct vmt_record *rec)
{
	fprintf(o, "{\"record\":\"%s\"", record);
	jkey(o, "seq", rec->seq);
	jkey(o, "ts_ns", rec->ts_ns);
}

static int jend(FILE *o)
{
	fputs("}\n", o);
	return ferror(o) ? -EIO : 0;
}

static void jdetail(FILE *o, const struct vmt_event *ev)
{
	const struct vmt_detail *d = vmt_detail_of(ev->reason);
	int first = 1;

	if (!d->table)
		return;
	fprintf(o, ",\"%s\":{", d->table);
	for (int i = 0; i < d->nfields; i++) {
		enum vmt_pfield f = d->fields[i];

		if (!(ev->p_present >> f & 1))
			continue;
		vmt_json_u64(o, !first, vmt_pfield_name(f), ev->p[f]);
		first = 0;
	}
	putc('}', o);
}

static int j_event(void *ctx, const struct vmt_record *rec,
		   const struct vmt_event *ev, uint64_t ordinal)
{
	FILE *o = ((struct text_ctx *)ctx)->out;
	char buf[24];

	jhead(o, "event", rec);
	jkey(o, "vcpu", ev->vcpu_id);
	jkey(o, "reason", ev->reason);
	fprintf(o, ",\"reason_name\":\"%s\"", reason_label(ev->reason, buf));
	jkey(o, "flags", ev->flags);
	jkey(o, "altp2m_idx", ev->altp2m_idx);
	jkey(o, "version", ev->version);
	for (int r = 0; r < VMT_REG_COUNT; r++)
		if (ev->reg_present >> r & 1)
			jkey(o, vmt_reg_name((enum vmt_reg)r), ev->reg[r]);
	jdetail(o, ev);
	if (!vmt_reason_name(ev->reason)) {
		fputs(",\"raw_u\":\"", o);
		hex(o, ev->raw_u, sizeof(ev->raw_u));
		putc('"', o);
	}
	return jend(o);
}

static int j_response(void *ctx, const struct vmt_record *rec,
		      const struct vmt_walk_rsp *r)
{
	FILE *o = ((struct text_ctx *)ctx)->out;
	const struct vmt_event *ev = r->ev;

	jhead(o, "response", rec);
	if (r->req_ordinal >= 0)
		jkey(o, "latency_ns", r->latency_ns);
	jkey(o, "vcpu", ev->vcpu_id);
	jkey(o, "flags", ev->flags);
	if (ev->flags & VMT_FLAG_ALTERNATE_P2M)
		jkey(o, "altp2m_idx", ev->altp2m_idx);
	if (r->req_ordinal >= 0 && r->has_set_regs)
		jkey(o, "set_regs", r->set_regs);
	if ((ev->flags & VMT_FLAG_SET_REGISTERS) && (ev->reg_present >> VMT_REG_RIP & 1))
		jkey(o, "new_rip", ev->reg[VMT_REG_RIP]);
	if (ev->p_present >> VMT_P_FAST_SINGLESTEP_P2MIDX & 1)
		jkey(o, "p2midx", ev->p[VMT_P_FAST_SINGLESTEP_P2MIDX]);
	return jend(o);
}

static int j_text(FILE *o, const char *record, const struct vmt_record *rec)
{
	size_t n = rec->size;

	while (n && !rec->data[n - 1])
		n--;
	jhead(o, record, rec);
	fputs(",\"text\":", o);
	vmt_json_str(o, (const char *)rec->data, n);
	return jend(o);
}

static int j_marker(void *ctx, const struct vmt_record *rec)
{
	return j_text(((struct text_ctx *)ctx)->out, "marker", rec);
}

static int j_note(void *ctx, const struct vmt_record *rec)
{
	return j_text(((struct text_ctx *)ctx)->out, "note", rec);
}

static int j_ring_stats(void *ctx, const struct vmt_record *rec,
			const struct vmt_ring_stats *s)
{
	FILE *o = ((struct text_ctx *)ctx)->out;

	jhead(o, "ring_stats", rec);
	jkey(o, "occupancy", s->occupancy);
	jkey(o, "handled", s->handled);
	jkey(o, "batch_ns", s->batch_ns);
	jkey(o, "backpressure_ns", s->backpressure_ns);
	return jend(o);
}

static int j_gap(void *ctx, const struct vmt_gap *g)
{
	static const char *const names[VMT_G_NV] = {
		"first_seq", "last_seq", "first_ns", "last_ns", "count",
	};
	FILE *o = ((struct text_ctx *)ctx)->out;

	fprintf(o, "{\"record\":\"gap\",\"kind\":\"%s\"", g->kind);
	if (g->chunk >= 0)
		jkey(o, "chunk", (uint64_t)g->chunk);
	for (int i = 0; i < VMT_G_NV; i++)
		if (g->known >> i & 1)
			jkey(o, names[i], g->v[i]);
	fputs(",\"cause\":", o);
	vmt_json_str(o, g->cause, strlen(g->cause));
	return jend(o);
}

static const struct vmt_walk_ops jsonl_ops = {
	.event = j_event, .response = j_response, .marker = j_marker,
	.note = j_note, .ring_stats = j_ring_stats, .gap = j_gap,
};

/* ---- CSV: one row per request, a fixed header ---- */

static void csv_header(FILE *o)
{
	fputs("seq,ts_ns,vcpu,reason,reason_name,flags,altp2m_idx,version", o);
	for (int r = 0; r < VMT_REG_COUNT; r++)
		fprintf(o, ",%s", vmt_reg_name((enum vmt_reg)r));
	for (uint32_t r = 0; r < VMT_REASON_COUNT; r++) {
		const struct vmt_detail *d = vmt_detail_of(r);

		for (int i = 0; d->table && i < d->nfields; i++)
			fprintf(o, ",%s_%s", d->table, vmt_pfield_name(d->fields[i]));
	}
	fputs(",raw_u\n", o);
}

static void csv_opt(FILE *o, int present, uint64_t v)
{
	if (present)
		fprintf(o, ",%" PRIu64, v);
	else
		putc(',', o);
}

static int c_event(void *ctx, const struct vmt_record *rec,
		   const struct vmt_event *ev, uint64_t ordinal)
{
	FILE *o = ((struct text_ctx *)ctx)->out;
	char buf[24];

	fprintf(o, "%" PRIu64 ",%" PRIu64 ",%u,%u,%s,%u,%u,%u", rec->seq,
		rec->ts_ns, ev->vcpu_id, ev->reason, reason_label(ev->reason, buf),
		ev->flags, ev->altp2m_idx, ev->version);
	for (int r = 0; r < VMT_REG_COUNT; r++)
		csv_opt(o, ev->reg_present >> r & 1, ev->reg[r]);
	for (uint32_t r = 0; r < VMT_REASON_COUNT; r++) {
		const struct vmt_detail *d = vmt_detail_of(r);

		for (int i = 0; d->table && i < d->nfields; i++)
			csv_opt(o, r == ev->reason && (ev->p_present >> d->fields[i] & 1),
				ev->p[d->fields[i]]);
	}
	putc(',', o);
	if (!vmt_reason_name(ev->reason))
		hex(o, ev->raw_u, sizeof(ev->raw_u));
	putc('\n', o);
	return ferror(o) ? -EIO : 0;
}

static const struct vmt_walk_ops csv_ops = { .event = c_event };

int vmt_stream_jsonl(FILE *out, struct vmt_walk *w)
{
	struct text_ctx t = { out };

	return vmt_walk_run(w, &jsonl_ops, &t);
}

int vmt_stream_csv(FILE *out, struct vmt_walk *w)
{
	struct text_ctx t = { out };

	csv_header(out);
	return vmt_walk_run(w, &csv_ops, &t);
}
