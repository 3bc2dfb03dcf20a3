/*
 * sink_chrome.c - Chrome trace-event JSON (the "JSON Object Format" that
 * ui.perfetto.dev and chrome://tracing open): pid 1 is the domain, one
 * thread track per vCPU; each event an instant with its fields as args,
 * each CR3 residency of a vCPU a complete ("X") slice written when the vCPU
 * leaves that address space, markers global instants.  Times are in
 * microseconds with ns decimals, computed from the trace's integer ns.
 * State: one slot per vCPU, nothing more.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "replay_int.h"

/* vCPUs beyond this get instants but no residency slices. */
#define MAX_VCPUS 4096

struct residency {
	uint64_t cr3, start, last;
	int open, named;
};

struct chrome_ctx {
	FILE *out;
	struct residency *v;
	int first;
};

static void us(FILE *o, const char *key, uint64_t ns)
{
	fprintf(o, ",\"%s\":%" PRIu64 ".%03u", key, ns / 1000, (unsigned)(ns % 1000));
}

/* What a viewer parses "%.3f" µs into: the nearest double, as is a
 * correctly rounded division of two exact doubles (ns < 2^53). */
static double viewer_us(uint64_t ns)
{
	return (double)ns / 1e3;
}

/* The duration of a slice from @start to @end as a viewer will add it up:
 * start + dur in doubles can round past @end, where the next slice of the
 * track starts, and viewers drop a slice that straddles its neighbour's
 * start.  Giving up the last ns (at most 1 or 2) keeps the track nested. */
static uint64_t viewer_dur(uint64_t start, uint64_t end)
{
	uint64_t d = end - start;

	while (d && viewer_us(start) + viewer_us(d) > viewer_us(end))
		d--;
	return d;
}

/* Every event after the first is preceded by a comma. */
static void begin(struct chrome_ctx *c, const char *ph, uint32_t tid)
{
	fprintf(c->out, "%s\n{\"ph\":\"%s\",\"pid\":1,\"tid\":%u", c->first ? "" : ",",
		ph, tid);
	c->first = 0;
}

static void slice_close(struct chrome_ctx *c, uint32_t vcpu, uint64_t end)
{
	struct residency *r = &c->v[vcpu];

	if (!r->open)
		return;
	begin(c, "X", vcpu);
	fprintf(c->out, ",\"cat\":\"cr3\",\"name\":\"cr3 0x%" PRIx64 "\"", r->cr3);
	us(c->out, "ts", r->start);
	us(c->out, "dur", viewer_dur(r->start, end));
	fputs("}", c->out);
	r->open = 0;
}

static void residency(struct chrome_ctx *c, const struct vmt_event *ev,
		      uint64_t ts)
{
	struct residency *r;

	if (ev->vcpu_id >= MAX_VCPUS || !(ev->reg_present >> VMT_REG_CR3 & 1))
		return;
	r = &c->v[ev->vcpu_id];
	if (!r->named) {
		begin(c, "M", ev->vcpu_id);
		fprintf(c->out, ",\"name\":\"thread_name\",\"args\":{\"name\":\"vCPU %u\"}}",
			ev->vcpu_id);
		r->named = 1;
	}
	if (r->open && r->cr3 != ev->reg[VMT_REG_CR3])
		slice_close(c, ev->vcpu_id, ts);
	if (!r->open)
		*r = (struct residency){ ev->reg[VMT_REG_CR3], ts, ts, 1, 1 };
	r->last = ts;
}

static int x_event(void *ctx, const struct vmt_record *rec,
		   const struct vmt_event *ev, uint64_t ordinal)
{
	struct chrome_ctx *c = ctx;
	const struct vmt_detail *d = vmt_detail_of(ev->reason);
	const char *name = vmt_reason_name(ev->reason);
	FILE *o = c->out;
	char nb[64];

	residency(c, ev, rec->ts_ns);
	begin(c, "i", ev->vcpu_id);
	fprintf(o, ",\"s\":\"t\",\"cat\":\"vm_event\",\"name\":\"%s\"",
		name ? name : "unknown");
	us(o, "ts", rec->ts_ns);
	fputs(",\"args\":{", o);
	vmt_json_u64(o, 0, "seq", rec->seq);
	fprintf(o, ",\"reason\":%u,\"flags\":%u", ev->reason, ev->flags);
	for (size_t i = 0; i < VMT_ARRAY_SIZE(vmt_key_regs); i++)
		if (ev->reg_present >> vmt_key_regs[i] & 1)
			fprintf(o, ",\"%s\":\"0x%" PRIx64 "\"",
				vmt_reg_name(vmt_key_regs[i]), ev->reg[vmt_key_regs[i]]);
	for (int i = 0; d->table && i < d->nfields; i++)
		if (ev->p_present >> d->fields[i] & 1)
			fprintf(o, ",\"%s\":\"0x%" PRIx64 "\"",
				vmt_payload_arg_name(d->fields[i], nb),
				ev->p[d->fields[i]]);
	fputs("}}", o);
	return ferror(o) ? -EIO : 0;
}

static int x_marker(void *ctx, const struct vmt_record *rec)
{
	struct chrome_ctx *c = ctx;
	size_t n = rec->size;

	while (n && !rec->data[n - 1])
		n--;
	begin(c, "i", 0);
	fputs(",\"s\":\"g\",\"cat\":\"marker\",\"name\":", c->out);
	vmt_json_str(c->out, (const char *)rec->data, n);
	us(c->out, "ts", rec->ts_ns);
	fputs("}", c->out);
	return ferror(c->out) ? -EIO : 0;
}

static const struct vmt_walk_ops chrome_ops = {
	.event = x_event, .marker = x_marker,
};

int vmt_stream_chrome(FILE *out, struct vmt_walk *w)
{
	const struct vmt_trace_info *in = vmt_reader_info(w->r);
	struct chrome_ctx c = { out, calloc(MAX_VCPUS, sizeof(*c.v)), 1 };
	int err;

	if (!c.v)
		return -ENOMEM;
	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", out);
	begin(&c, "M", 0);
	fputs(",\"name\":\"process_name\",\"args\":{\"name\":", out);
	vmt_json_str(out, in->domain_name, strlen(in->domain_name));
	fputs("}}", out);
	err = vmt_walk_run(w, &chrome_ops, &c);
	for (uint32_t v = 0; v < MAX_VCPUS; v++)
		slice_close(&c, v, c.v[v].last);
	fputs("\n]}\n", out);
	free(c.v);
	return err ? err : (ferror(out) ? -EIO : 0);
}
