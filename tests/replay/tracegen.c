/*
 * tracegen.c - deterministic synthetic traces: every reason in turn (then
 * a weighted mix), per-vCPU register state that churns like a guest's
 * (rip/rsp drift, scratch registers change, CR3 switches between a few
 * address spaces, kernel addresses above 2^63), synchronous requests
 * answered with responses that sometimes set registers or switch views,
 * markers, notes, ring statistics and an optional loss record.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracegen.h"

#define MAX_VCPUS 64
#define NPROCS 6

struct gen {
	uint64_t rng;
	struct vmt_event cpu[MAX_VCPUS];
	int proc[MAX_VCPUS];
	uint64_t seq, ts;
	struct vmt_writer *w;
	struct tg_counts *cnt;
	/* requests awaiting their response (rsp_lag): a copy, and where the
	 * caller wants the result (NULL: nowhere) */
	struct tg_event lag[TG_LAG_MAX + 1];
	struct tg_event *lag_out[TG_LAG_MAX + 1];
	uint64_t lag_i[TG_LAG_MAX + 1];
};

static uint64_t rnd(struct gen *g)
{
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 0x2545f4914f6cdd1dull;
}

static const uint64_t proc_cr3[NPROCS] = {
	0x1aa000, 0x2bb000, 0x3cc000, 0x4dd000, 0x5ee000, 0x6ff000,
};

/* Every reason code (and one format/ does not know), weighted for mixes. */
static const uint32_t reasons[] = {
	1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 2, 3, 40,
	1, 1, 1, 1, 1, 1, 4, 4, 10, 12, 12, 5, 8,
};
#define NDISTINCT 17

static void cpu_init(struct gen *g, uint32_t abi, uint32_t v)
{
	struct vmt_event *e = &g->cpu[v];

	vmt_event_init(e, abi, 0);
	for (int r = 0; r < VMT_REG_COUNT; r++)
		e->reg[r] = rnd(g);
	e->reg[VMT_REG_RIP] = 0x400000 + (rnd(g) & 0xfffff);
	e->reg[VMT_REG_RSP] = 0x7ffd0000 + (rnd(g) & 0xfff0);
	g->proc[v] = (int)(v % NPROCS);
}

/* The registers of vCPU @v move on a little, like a running guest's. */
static void churn(struct gen *g, uint32_t v, uint32_t reason)
{
	struct vmt_event *e = &g->cpu[v];
	static const enum vmt_reg scratch[] = {
		VMT_REG_RAX, VMT_REG_RCX, VMT_REG_RDX, VMT_REG_RSI, VMT_REG_RDI,
		VMT_REG_R8, VMT_REG_R11,
	};

	e->reg[VMT_REG_RIP] += 1 + (rnd(g) & 0xff);
	e->reg[VMT_REG_RSP] += (rnd(g) & 0x70) - 0x38;
	for (size_t i = 0; i < sizeof(scratch) / sizeof(scratch[0]); i++)
		if (rnd(g) & 1)
			e->reg[scratch[i]] = rnd(g);
	if ((rnd(g) & 31) == 0)
		g->proc[v] = (int)(rnd(g) % NPROCS);
	e->reg[VMT_REG_CR3] = proc_cr3[g->proc[v]];
	if (reason == VMT_REASON_WRITE_CTRLREG || reason == VMT_REASON_INTERRUPT)
		e->reg[VMT_REG_RIP] = 0xffffffff81000000ull + (rnd(g) & 0xffffff);
}

/* The event as a decoder will see it: encoded then decoded. */
static int settle(struct vmt_event *e, uint8_t *raw, int *len)
{
	*len = vmt_event_encode(e, raw, VMT_ENTRY_MAX);
	if (*len < 0)
		return *len;
	return vmt_event_decode(raw, (size_t)*len, e);
}

static int put(struct gen *g, uint16_t type, uint64_t seq, uint64_t ts,
	       const void *p, uint32_t n)
{
	return vmt_writer_append(g->w, type, 0, seq, ts, p, n);
}

static int make_request(struct gen *g, const struct tg_opts *o, uint64_t i,
			struct tg_event *t)
{
	uint32_t v = (uint32_t)(i % o->vcpus);
	uint32_t reason = reasons[i < NDISTINCT ? i : rnd(g) % (sizeof(reasons) / 4)];
	struct vmt_event *e = &t->ev;
	uint8_t raw[VMT_ENTRY_MAX];
	int len, err;

	churn(g, v, reason);
	*e = g->cpu[v];
	e->reason = reason;
	e->vcpu_id = v;
	e->p_present = 0;
	e->flags = (i % 5 ? VMT_FLAG_VCPU_PAUSED : 0) |
		   (i % 7 == 3 ? VMT_FLAG_ALTERNATE_P2M | 1u << 20 : 0);
	e->altp2m_idx = (uint16_t)(i % 7 == 3 ? 1 + i % 4 : 0);
	for (int f = 0; f < VMT_P_COUNT; f++)
		if (f != VMT_P_FAST_SINGLESTEP_P2MIDX)
			vmt_event_set_p(e, (enum vmt_pfield)f, rnd(g));
	for (int b = 0; b < 32; b++)
		e->raw_u[b] = (uint8_t)rnd(g);
	err = settle(e, raw, &len);
	if (!err)
		err = put(g, VMT_REC_REQUEST, t->seq, t->ts, raw, (uint32_t)len);
	return err;
}

static int make_response(struct gen *g, uint64_t i, struct tg_event *t)
{
	struct vmt_event *r = &t->rsp;
	uint8_t raw[VMT_ENTRY_MAX];
	int len, err;

	*r = t->ev;
	r->p_present = 0;
	r->flags = VMT_FLAG_VCPU_PAUSED;
	if (i % 3 == 0) {
		r->flags |= VMT_FLAG_SET_REGISTERS;
		r->reg[VMT_REG_RIP] += 2;
		r->reg[VMT_REG_RAX] ^= 0xff;
	}
	if (i % 4 == 1) {
		r->flags |= VMT_FLAG_ALTERNATE_P2M;
		r->altp2m_idx = 2;
	}
	if (i % 6 == 2 && r->version >= 6) {
		r->flags |= VMT_FLAG_FAST_SINGLESTEP;
		vmt_event_set_p(r, VMT_P_FAST_SINGLESTEP_P2MIDX, 5);
	}
	t->rsp_ts = (g->ts > t->ts ? g->ts : t->ts) + 1000 + (rnd(g) & 0xffff);
	err = settle(r, raw, &len);
	if (!err)
		err = put(g, VMT_REC_RESPONSE, t->seq, t->rsp_ts, raw, (uint32_t)len);
	t->has_rsp = !err;
	g->ts = t->rsp_ts;
	return err;
}

/* Answers request @i now, or queues it when responses lag. */
static int answer(struct gen *g, const struct tg_opts *o, uint64_t i,
		  struct tg_event *t, struct tg_event *out)
{
	size_t k = i % (TG_LAG_MAX + 1);

	if (!o->rsp_lag)
		return make_response(g, i, t);
	g->lag[k] = *t;
	g->lag_out[k] = out;
	g->lag_i[k] = i + 1;    /* 0: nothing queued in this slot */
	return 0;
}

/* The response of request @i, if one is queued. */
static int answer_due(struct gen *g, uint64_t i)
{
	size_t k = i % (TG_LAG_MAX + 1);
	struct tg_event *t = &g->lag[k];
	int err;

	if (g->lag_i[k] != i + 1)
		return 0;
	g->lag_i[k] = 0;
	err = make_response(g, i, t);
	if (g->lag_out[k]) {
		g->lag_out[k]->has_rsp = t->has_rsp;
		g->lag_out[k]->rsp_ts = t->rsp_ts;
		g->lag_out[k]->rsp = t->rsp;
	}
	return err;
}

/* Records around event @i: markers, ring statistics, a loss. */
static int side_records(struct gen *g, const struct tg_opts *o, uint64_t i)
{
	char text[32];
	int err = 0;

	if (o->loss_at && i == (uint64_t)o->loss_at) {
		uint8_t p[VMT_LOSS_SIZE];
		struct vmt_loss l = { g->seq, 3, VMT_LOSS_RING_FAULT };

		vmt_loss_put(p, &l);
		g->seq += 3;
		g->cnt->lost += 3;
		err = put(g, VMT_REC_LOSS, g->seq, g->ts, p, VMT_LOSS_SIZE);
	}
	if (!err && i % 100 == 0) {
		int n = snprintf(text, sizeof(text), "phase-%llu", (unsigned long long)(i / 100));

		g->cnt->markers++;
		err = put(g, VMT_REC_MARKER, g->seq, g->ts, text, (uint32_t)n);
	}
	if (!err && i % 16 == 15) {
		uint8_t p[VMT_RING_STATS_SIZE];
		struct vmt_ring_stats s = { (uint32_t)(i % 9), 4, 2000 + i % 100,
					    i % 64 == 15 ? 500 : 0 };

		vmt_ring_stats_put(p, &s);
		g->cnt->ring_stats++;
		err = put(g, VMT_REC_RING_STATS, g->seq, g->ts, p, VMT_RING_STATS_SIZE);
	}
	return err;
}

static void trace_info(struct vmt_trace_info *in, const struct tg_opts *o)
{
	unsigned major = 0, minor = 0;

	vmt_abi_xen_release(o->abi, &major, &minor);
	memset(in, 0, sizeof(*in));
	in->abi_version = o->abi;
	in->req_size = in->rsp_size = (uint32_t)vmt_abi_entry_size(o->abi);
	in->page_size = 4096;
	in->xen_major = major;
	in->xen_minor = minor;
	snprintf(in->xen_extra, sizeof(in->xen_extra), ".0");
	snprintf(in->host, sizeof(in->host), "testhost");
	in->domid = 7;
	snprintf(in->domain_name, sizeof(in->domain_name), "guest-%u", o->abi);
	in->vcpus = o->vcpus;
	snprintf(in->monitors, sizeof(in->monitors), "mem_access:rw;write_ctrlreg:cr3,cr4;cpuid");
	in->clock_mono_ns = 1000;
	in->clock_wall_ns = 1700000000000000000ull;
	snprintf(in->recorder_version, sizeof(in->recorder_version), "tracegen");
	snprintf(in->cmdline, sizeof(in->cmdline), "tracegen --abi %u", o->abi);
	for (int i = 0; i < 16; i++)
		in->uuid[i] = (uint8_t)(o->seed >> (8 * (i % 8))) ^ (uint8_t)(i * 17);
	snprintf(in->labels, sizeof(in->labels), "%s", o->labels ? o->labels : "");
	snprintf(in->phase_names, sizeof(in->phase_names), "%s",
		 o->phase_names ? o->phase_names : "");
}

static int generate(struct gen *g, const struct tg_opts *o, struct tg_event *out)
{
	if (o->rsp_lag > TG_LAG_MAX)
		return -EINVAL;
	struct tg_event one;
	int err = put(g, VMT_REC_NOTE, g->seq, g->ts, "tracegen start", 14);

	g->cnt->notes = 1;
	for (uint64_t i = 0; !err && i < o->nevents; i++) {
		struct tg_event *t = out ? &out[i] : &one;

		if (o->idle_at && i == o->idle_at)
			g->ts += 5000000000ull;
		err = side_records(g, o, i);
		memset(t, 0, sizeof(*t));
		t->seq = g->seq++;
		t->ts = g->ts += 100 + (rnd(g) & 0x3ff);
		if (!err)
			err = make_request(g, o, i, t);
		g->cnt->events++;
		g->cnt->per_reason[t->ev.reason & 63]++;
		if (!err && (t->ev.flags & VMT_FLAG_VCPU_PAUSED)) {
			err = answer(g, o, i, t, out ? t : NULL);
			g->cnt->responses++;
		}
		if (!err && o->rsp_lag && i >= o->rsp_lag)
			err = answer_due(g, i - o->rsp_lag);
	}
	for (uint64_t i = o->nevents > o->rsp_lag ? o->nevents - o->rsp_lag : 0;
	     !err && o->rsp_lag && i < o->nevents; i++)
		err = answer_due(g, i);
	return err;
}

int tg_write(const char *path, const struct tg_opts *o, struct tg_event *out,
	     struct tg_counts *cnt)
{
	VMT_OPTS(vmt_writer_opts, wo, .overwrite = 1, .chunk_size = o->chunk_size,
		 .level = 1);
	struct vmt_run_summary sum = { .end_cause = VMT_END_LIMIT };
	struct vmt_trace_info in;
	struct gen *g = calloc(1, sizeof(*g));
	int err;

	if (!g || o->vcpus == 0 || o->vcpus > MAX_VCPUS) {
		free(g);
		return g ? -EINVAL : -ENOMEM;
	}
	memset(cnt, 0, sizeof(*cnt));
	g->cnt = cnt;
	g->rng = o->seed * 2654435761u + 1;
	g->seq = 1;
	g->ts = 5000;
	trace_info(&in, o);
	for (uint32_t v = 0; v < o->vcpus; v++)
		cpu_init(g, o->abi, v);
	err = vmt_writer_open(&g->w, path, &in, &wo);
	if (!err)
		err = generate(g, o, out);
	sum.duration_ns = g->ts + 1000;
	if (g->w && o->no_trailer) {
		int e2 = vmt_writer_flush(g->w);

		vmt_writer_abandon(g->w);
		err = err ? err : e2;
	} else if (g->w) {
		int e2 = vmt_writer_close(g->w, &sum);

		err = err ? err : e2;
	}
	free(g);
	return err;
}
