/*
 * walk.c - the one pass over a trace that every output (SQLite, JSONL, CSV,
 * Chrome) shares: options, the --from/--to window through the chunk index,
 * reason and vCPU filters, matching responses with their requests
 * (latency, registers changed), and the gaps a damaged or cut trace has.
 * Memory is constant: a fixed ring of recent requests, nothing per record.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay_int.h"
#include "vmt_opts.h"

/*
 * A response follows its request within a few ring slots (8 per ring);
 * 1024 remembered requests leave a wide margin for interleaved vCPUs.
 */
#define RECENT 1024u

struct vmt_walk_req {
	uint64_t seq, ts, ordinal, reg_present;
	int valid;
	uint64_t reg[VMT_REG_COUNT];
};

/* The caller's sized struct, checked, with its defaults filled in. */
static int opts_copy(struct vmt_import_opts *dst,
		     const struct vmt_import_opts *src)
{
	if (VMT_OPTS_COPY(dst, src))
		return -EINVAL;
	if (dst->from_kind > VMT_BOUND_NS || dst->to_kind > VMT_BOUND_NS ||
	    (dst->nvcpus && !dst->vcpus))
		return -EINVAL;
	if (!dst->process_idle_ns)
		dst->process_idle_ns = 1000000000ull;
	return 0;
}

/*
 * The trace is mapped here rather than by vmt_reader_open() so that pages
 * already read can be dropped (vmt_tmap_release()): resident memory then
 * stays flat however large the trace.
 */
int vmt_tmap_open(struct vmt_tmap *m, const char *path,
		  const struct vmt_reader_opts *ro, struct vmt_reader **r)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO is refused, not waited on (no effect on files) */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), err;

	memset(m, 0, sizeof(*m));
	if (fd < 0)
		return -errno;
	err = fstat(fd, &st) < 0 ? -errno : S_ISREG(st.st_mode) ? 0 : -EINVAL;
	if (err) {
		close(fd);
		return err;
	}
	m->len = (size_t)st.st_size;
	m->p = m->len ? mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	err = m->p == MAP_FAILED ? -errno : 0;
	if (err) {
		close(fd);
		m->p = NULL;
		return err;
	}
	/*
	 * The open checks every chunk header by pread() (it would map in most
	 * of a trace the page cache holds through the mapping: fault-around),
	 * and reads the file header and the trailer through the mapping with
	 * no read-ahead; the walk then reads ahead sequentially.  The trace's
	 * cached pages stay cached: evicting them first, as before, made every
	 * import read the file from disk (BENCHMARKS.md "Schema 4").
	 */
	if (m->p)
		madvise(m->p, m->len, MADV_RANDOM);
	err = vmt_reader_open_fd(r, fd, m->p, m->len, ro);
	close(fd);
	if (!err && m->p)
		madvise(m->p, m->len, MADV_SEQUENTIAL);
	if (err)
		vmt_tmap_close(m);
	else
		vmt_tmap_release(m, m->len);   /* what the open scanned */
	m->released = 0;
	return err;
}

/*
 * Pages are dropped in steps of this many bytes, not per chunk: each
 * madvise() flushes the TLB of every CPU running the process (an IPI to
 * the SQLite thread), which per chunk cost about a tenth of the import's
 * CPU time; a few MiB more resident file pages cost nothing.
 */
#define RELEASE_STEP (8u << 20)

void vmt_tmap_release(struct vmt_tmap *m, uint64_t upto)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t end = upto / page * page;

	if (m->p && end > m->released &&
	    (end - m->released >= RELEASE_STEP || upto >= m->len)) {
		madvise((uint8_t *)m->p + m->released, end - m->released, MADV_DONTNEED);
		m->released = end;
	}
}

void vmt_tmap_close(struct vmt_tmap *m)
{
	if (m->p)
		munmap(m->p, m->len);
	m->p = NULL;
}

int vmt_walk_open(struct vmt_walk *w, const char *trace,
		  const struct vmt_import_opts *opts,
		  struct vmt_import_result *res)
{
	VMT_OPTS(vmt_reader_opts, ro);
	const struct vmt_integrity *in;
	int err;

	memset(w, 0, sizeof(*w));
	err = opts_copy(&w->o, opts);
	if (err)
		return err;
	w->filtered = w->o.from_kind || w->o.to_kind || w->o.reason_mask ||
		      w->o.nvcpus;
	ro.strict = w->o.strict;
	err = vmt_tmap_open(&w->map, trace, &ro, &w->r);
	if (err)
		return err;
	if (res)
		vmt_uuid_format(vmt_reader_info(w->r)->uuid, res->uuid);
	in = vmt_reader_integrity(w->r);
	if (w->o.strict && (!in->complete || in->damaged || in->cut_offset)) {
		vmt_walk_close(w);
		return -VMT_E_DAMAGED;
	}
	w->recent = calloc(RECENT, sizeof(*w->recent));
	if (!w->recent) {
		vmt_walk_close(w);
		return -ENOMEM;
	}
	return 0;
}

void vmt_walk_close(struct vmt_walk *w)
{
	vmt_reader_close(w->r);
	vmt_tmap_close(&w->map);
	free(w->recent);
	w->r = NULL;
	w->recent = NULL;
}

void vmt_walk_result(const struct vmt_walk *w, struct vmt_import_result *res)
{
	const struct vmt_integrity *in = vmt_reader_integrity(w->r);

	res->events = w->events;
	res->responses = w->responses;
	res->markers = w->markers;
	res->notes = w->notes;
	res->ring_stats = w->ring_stats;
	res->skipped = w->skipped;
	res->gaps = w->gaps;
	res->lost = w->lost;
	res->chunks = in->chunks;
	res->damaged_chunks = in->damaged;
	res->complete = in->complete;
	vmt_reader_damage_text(w->r, res->damage, sizeof(res->damage));
}

/* 1: inside the --from/--to window, 0: before it, -1: past it (stop). */
static int window(const struct vmt_walk *w, const struct vmt_record *rec)
{
	uint64_t from = w->o.from_kind == VMT_BOUND_SEQ ? rec->seq : rec->ts_ns;
	uint64_t to = w->o.to_kind == VMT_BOUND_SEQ ? rec->seq : rec->ts_ns;

	if (w->o.to_kind && to > w->o.to)
		return -1;
	return !w->o.from_kind || from >= w->o.from;
}

static int keep(const struct vmt_walk *w, const struct vmt_event *ev)
{
	size_t i;

	if (w->o.reason_mask &&
	    (ev->reason >= 64 || !(w->o.reason_mask >> ev->reason & 1)))
		return 0;
	for (i = 0; i < w->o.nvcpus; i++)
		if (w->o.vcpus[i] == ev->vcpu_id)
			break;
	return !w->o.nvcpus || i < w->o.nvcpus;
}

static int decode(const struct vmt_record *rec, struct vmt_event *ev)
{
	int err = vmt_event_decode(rec->data, rec->size, ev);

	if (err)
		vmt_log(VMT_LOG_ERROR, "record seq %llu: undecodable ring entry: %s",
			(unsigned long long)rec->seq, vmt_strerror(err));
	return err;
}

static int on_request(struct vmt_walk *w, const struct vmt_record *rec,
		      const struct vmt_walk_ops *ops, void *ctx)
{
	struct vmt_event ev;
	struct vmt_walk_req *q;
	int err = decode(rec, &ev);

	if (err)
		return err;
	if (!keep(w, &ev)) {
		w->skipped++;
		return 0;
	}
	q = &w->recent[rec->seq % RECENT];
	q->seq = rec->seq;
	q->ts = rec->ts_ns;
	q->ordinal = w->events;
	q->valid = 1;
	q->reg_present = ev.reg_present;
	memcpy(q->reg, ev.reg, sizeof(q->reg));
	w->events++;
	return ops->event ? ops->event(ctx, rec, &ev, q->ordinal) : 0;
}

static uint64_t regs_changed(const struct vmt_walk_req *q,
			     const struct vmt_event *ev)
{
	uint64_t both = q->reg_present & ev->reg_present, mask = 0;

	for (int i = 0; i < VMT_REG_COUNT; i++)
		if ((both >> i & 1) && q->reg[i] != ev->reg[i])
			mask |= 1ull << i;
	return mask;
}

static int on_response(struct vmt_walk *w, const struct vmt_record *rec,
		       const struct vmt_walk_ops *ops, void *ctx)
{
	struct vmt_event ev;
	struct vmt_walk_rsp r = { .ev = &ev, .req_ordinal = -1 };
	struct vmt_walk_req *q = &w->recent[rec->seq % RECENT];
	int err = decode(rec, &ev);

	if (err)
		return err;
	if (!keep(w, &ev)) {
		w->skipped++;
		return 0;
	}
	if (q->valid && q->seq == rec->seq) {
		r.req_ordinal = (int64_t)q->ordinal;
		r.latency_ns = rec->ts_ns - q->ts;
		r.has_set_regs = !!(ev.flags & VMT_FLAG_SET_REGISTERS);
		r.set_regs = r.has_set_regs ? regs_changed(q, &ev) : 0;
		q->valid = 0;
	} else {
		r.has_set_regs = !!(ev.flags & VMT_FLAG_SET_REGISTERS);
	}
	w->responses++;
	return ops->response ? ops->response(ctx, rec, &r) : 0;
}

static int on_loss(struct vmt_walk *w, const struct vmt_record *rec,
		   const struct vmt_walk_ops *ops, void *ctx)
{
	struct vmt_loss l;
	struct vmt_gap g = { .kind = "loss", .chunk = -1 };
	int err = vmt_loss_get(rec, &l);

	if (err)
		return err;
	g.v[VMT_G_FIRST_SEQ] = l.first_seq;
	g.v[VMT_G_LAST_SEQ] = l.first_seq + l.count - 1;
	g.v[VMT_G_COUNT] = l.count;
	g.v[VMT_G_LAST_NS] = rec->ts_ns;
	g.known = 1u << VMT_G_FIRST_SEQ | 1u << VMT_G_COUNT |
		  1u << VMT_G_LAST_NS | (l.count ? 1u << VMT_G_LAST_SEQ : 0);
	snprintf(g.cause, sizeof(g.cause), "%s", vmt_loss_cause_name(l.cause));
	w->gaps++;
	w->lost += l.count;
	return ops->gap ? ops->gap(ctx, &g) : 0;
}

static int dispatch(struct vmt_walk *w, const struct vmt_record *rec,
		    const struct vmt_walk_ops *ops, void *ctx)
{
	struct vmt_ring_stats s;
	int err;

	switch (rec->type) {
	case VMT_REC_REQUEST:
		return on_request(w, rec, ops, ctx);
	case VMT_REC_RESPONSE:
		return on_response(w, rec, ops, ctx);
	case VMT_REC_MARKER:
		w->markers++;
		return ops->marker ? ops->marker(ctx, rec) : 0;
	case VMT_REC_NOTE:
		w->notes++;
		return ops->note ? ops->note(ctx, rec) : 0;
	case VMT_REC_RING_STATS:
		err = vmt_ring_stats_get(rec, &s);
		if (err)
			return err;
		w->ring_stats++;
		return ops->ring_stats ? ops->ring_stats(ctx, rec, &s) : 0;
	case VMT_REC_LOSS:
		return on_loss(w, rec, ops, ctx);
	}
	return 0;
}

/* Reports the chunk being read and drops the pages of those before it. */
static void progress(struct vmt_walk *w)
{
	int64_t i = vmt_reader_last_chunk(w->r);
	const struct vmt_chunk_info *c;

	if (i < 0 || (uint64_t)i == w->last_progress)
		return;
	w->last_progress = (uint64_t)i;
	c = vmt_reader_chunk(w->r, (uint32_t)i);
	vmt_tmap_release(&w->map, c->offset);
	if (w->o.on_progress) {
		struct vmt_progress p = {
			c->offset, vmt_reader_integrity(w->r)->file_size,
			w->events,
		};

		w->o.on_progress(&p, w->o.progress_ctx);
	} else if (w->o.progress) {
		w->o.progress(c->offset, vmt_reader_integrity(w->r)->file_size,
			      w->o.progress_ctx);
	}
}

/* A chunk whose header survived carries its own range (nrec > 0). */
static const struct vmt_chunk_info *intact_near(const struct vmt_walk *w,
						int64_t i, int step)
{
	uint32_t n = vmt_reader_chunk_count(w->r);

	for (i += step; i >= 0 && i < (int64_t)n; i += step) {
		const struct vmt_chunk_info *c = vmt_reader_chunk(w->r, (uint32_t)i);

		if (!c->status)
			return c;
	}
	return NULL;
}

/* Nothing is missing, but the file held these requests twice. */
static void gap_repeated(const struct vmt_chunk_info *c, uint32_t i, struct vmt_gap *g)
{
	*g = (struct vmt_gap){ .kind = "repeated", .chunk = i };
	snprintf(g->cause, sizeof(g->cause), "chunk at byte %llu: %s",
		 (unsigned long long)c->offset, vmt_strerror(-VMT_E_REPEAT));
	g->v[VMT_G_FIRST_SEQ] = c->repeat_first;
	g->v[VMT_G_LAST_SEQ] = c->repeat_last;
	g->v[VMT_G_COUNT] = c->repeated;
	g->known = 1u << VMT_G_FIRST_SEQ | 1u << VMT_G_LAST_SEQ | 1u << VMT_G_COUNT;
}

static void gap_damaged(const struct vmt_walk *w, uint32_t i, struct vmt_gap *g)
{
	const struct vmt_chunk_info *c = vmt_reader_chunk(w->r, i);
	const struct vmt_chunk_info *prev = intact_near(w, i, -1);
	const struct vmt_chunk_info *next = intact_near(w, i, 1);

	if (c->repeated)
		return gap_repeated(c, i, g);
	*g = (struct vmt_gap){ .kind = "damaged_chunk", .chunk = i };
	snprintf(g->cause, sizeof(g->cause), "chunk at byte %llu: %s",
		 (unsigned long long)c->offset, vmt_strerror(c->status));
	if (c->nrec) {
		g->v[VMT_G_FIRST_SEQ] = c->first_seq;
		g->v[VMT_G_LAST_SEQ] = c->last_seq;
		g->v[VMT_G_FIRST_NS] = c->first_ts;
		g->v[VMT_G_LAST_NS] = c->last_ts;
		g->v[VMT_G_COUNT] = c->nrec;
		g->known = (1u << VMT_G_NV) - 1;
		return;
	}
	if (prev) {
		g->v[VMT_G_FIRST_SEQ] = prev->last_seq;
		g->v[VMT_G_FIRST_NS] = prev->last_ts;
		g->known |= 1u << VMT_G_FIRST_SEQ | 1u << VMT_G_FIRST_NS;
	}
	if (next) {
		g->v[VMT_G_LAST_SEQ] = next->first_seq;
		g->v[VMT_G_LAST_NS] = next->first_ts;
		g->known |= 1u << VMT_G_LAST_SEQ | 1u << VMT_G_LAST_NS;
	}
}

static int gap_truncated(const struct vmt_walk *w, struct vmt_gap *g)
{
	const struct vmt_integrity *in = vmt_reader_integrity(w->r);
	uint32_t n = vmt_reader_chunk_count(w->r);
	const struct vmt_chunk_info *last = intact_near(w, n, -1);

	if (in->complete || !in->cut_offset)
		return 0;
	*g = (struct vmt_gap){ .kind = "truncated", .chunk = -1 };
	snprintf(g->cause, sizeof(g->cause),
		 "no trailer: intact data ends at byte %llu of %llu",
		 (unsigned long long)in->cut_offset,
		 (unsigned long long)in->file_size);
	if (last) {
		g->v[VMT_G_FIRST_SEQ] = last->last_seq;
		g->v[VMT_G_FIRST_NS] = last->last_ts;
		g->known = 1u << VMT_G_FIRST_SEQ | 1u << VMT_G_FIRST_NS;
	}
	return 1;
}

static int report_gaps(struct vmt_walk *w, const struct vmt_walk_ops *ops,
		       void *ctx)
{
	struct vmt_gap g;
	int err = 0;

	for (uint32_t i = 0; !err && i < vmt_reader_chunk_count(w->r); i++) {
		const struct vmt_chunk_info *c = vmt_reader_chunk(w->r, i);

		if (!c->status && !c->repeated)
			continue;
		gap_damaged(w, i, &g);
		w->gaps++;
		err = ops->gap ? ops->gap(ctx, &g) : 0;
	}
	if (!err && gap_truncated(w, &g)) {
		w->gaps++;
		err = ops->gap ? ops->gap(ctx, &g) : 0;
	}
	return err;
}

int vmt_walk_run(struct vmt_walk *w, const struct vmt_walk_ops *ops, void *ctx)
{
	struct vmt_record rec;
	int ret = 0;

	w->last_progress = UINT64_MAX;
	if (w->o.from_kind == VMT_BOUND_SEQ)
		ret = vmt_reader_seek_seq(w->r, w->o.from);
	else if (w->o.from_kind == VMT_BOUND_NS)
		ret = vmt_reader_seek_ts(w->r, w->o.from);
	while (ret >= 0 && (ret = vmt_reader_next(w->r, &rec)) == 1) {
		int in = window(w, &rec);

		if (in < 0)
			break;
		progress(w);
		if (!in) {
			w->skipped += rec.type == VMT_REC_REQUEST ||
				      rec.type == VMT_REC_RESPONSE;
			continue;
		}
		ret = dispatch(w, &rec, ops, ctx);
		if (ret)
			return ret;
	}
	if (ret < 0)
		return ret;
	if (w->o.strict && vmt_reader_integrity(w->r)->damaged)
		return -VMT_E_DAMAGED;
	return report_gaps(w, ops, ctx);
}
