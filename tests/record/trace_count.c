/*
 * trace_count.c - test helper: reads a trace with the format reader and
 * prints what the recorder tests check, one "key=value" per line:
 * record counts, integrity, whether requests and responses pair up
 * (seq 0..N-1 in order, each response right after its request with the
 * same version/vCPU/reason and the VCPU_PAUSED bit echoed), and each
 * marker with the requests around it.  A LOSS record stands for the
 * requests it names, so the seq run continues after it.  Exit 0 if the
 * file opened.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vmt/format.h"

struct counts {
	uint64_t req, rsp, markers, notes, stats, loss, other;
	uint64_t bad_pairs, bad_responses, lost;
	uint64_t unknown_reasons;  /* requests whose reason has no name */
	int64_t unknown_reason;    /* the first such code, -1 */
	int64_t last_req;          /* seq of the last request seen, -1 */
	int64_t open_req;          /* request awaiting its response, -1 */
	struct vmt_event last_ev;
};

static void on_request(struct counts *c, const struct vmt_record *r)
{
	if ((int64_t)r->seq != c->last_req + 1 || c->open_req >= 0)
		c->bad_pairs++;
	c->last_req = c->open_req = (int64_t)r->seq;
	if (vmt_event_decode(r->data, r->size, &c->last_ev))
		c->bad_pairs++;
	else if (!vmt_reason_name(c->last_ev.reason) && c->unknown_reasons++ == 0)
		c->unknown_reason = c->last_ev.reason;
	c->req++;
}

static void on_response(struct counts *c, const struct vmt_record *r)
{
	struct vmt_event ev;
	c->rsp++;
	if ((int64_t)r->seq != c->open_req) {
		c->bad_pairs++;
		return;
	}
	c->open_req = -1;
	if (vmt_event_decode(r->data, r->size, &ev) ||
	    ev.version != c->last_ev.version || ev.vcpu_id != c->last_ev.vcpu_id ||
	    ev.reason != c->last_ev.reason ||
	    (ev.flags & VMT_FLAG_VCPU_PAUSED) !=
		    (c->last_ev.flags & VMT_FLAG_VCPU_PAUSED) ||
	    (ev.flags & VMT_FLAG_DENY))
		c->bad_responses++;
}

static void on_loss(struct counts *c, const struct vmt_record *r)
{
	struct vmt_loss l;
	c->loss++;
	if (vmt_loss_get(r, &l) || c->open_req >= 0 ||
	    (int64_t)l.first_seq != c->last_req + 1) {
		c->bad_pairs++;
		return;
	}
	c->lost += l.count;
	c->last_req += (int64_t)l.count;
}

static void on_marker(struct counts *c, const struct vmt_record *r)
{
	c->markers++;
	printf("marker seq=%" PRIu64 " prev_request=%" PRId64 " text=%.*s\n",
	       r->seq, c->last_req, (int)r->size, (const char *)r->data);
}

int main(int argc, char **argv)
{
	struct vmt_reader *rd;
	struct vmt_record rec;
	struct counts c = { .last_req = -1, .open_req = -1, .unknown_reason = -1 };

	if (argc != 2) {
		fprintf(stderr, "usage: trace_count FILE\n");
		return 2;
	}
	int rc = vmt_reader_open(&rd, argv[1], NULL);
	if (rc) {
		printf("open_error=%s\n", vmt_strerror(rc));
		return 1;
	}
	while ((rc = vmt_reader_next(rd, &rec)) == 1) {
		switch (rec.type) {
		case VMT_REC_REQUEST: on_request(&c, &rec); break;
		case VMT_REC_RESPONSE: on_response(&c, &rec); break;
		case VMT_REC_MARKER: on_marker(&c, &rec); break;
		case VMT_REC_NOTE: c.notes++; break;
		case VMT_REC_RING_STATS: c.stats++; break;
		case VMT_REC_LOSS: on_loss(&c, &rec); break;
		default: c.other++; break;
		}
	}
	const struct vmt_trace_info *i = vmt_reader_info(rd);
	const struct vmt_integrity *g = vmt_reader_integrity(rd);
	const struct vmt_run_summary *s = vmt_reader_summary(rd);
	printf("read_status=%d\ncomplete=%d\nchunks=%u\ndamaged=%u\n"
	       "requests=%" PRIu64 "\nresponses=%" PRIu64 "\nmarkers=%" PRIu64
	       "\nnotes=%" PRIu64 "\nring_stats=%" PRIu64 "\nloss=%" PRIu64
	       "\nbad_pairs=%" PRIu64 "\nbad_responses=%" PRIu64
	       "\nunanswered=%d\nabi=%u\nvcpus=%u\ndomid=%u\nend_cause=%u\n"
	       "monitors=%s\nlabels=%s\ndomain_name=%s\nxen=%u.%u\n"
	       "lost=%" PRIu64 "\nunknown_reasons=%" PRIu64
	       "\nunknown_reason=%" PRId64 "\nbackpressure_ns=%" PRIu64 "\n",
	       rc, g->complete, g->chunks, g->damaged, c.req, c.rsp, c.markers,
	       c.notes, c.stats, c.loss, c.bad_pairs, c.bad_responses,
	       c.open_req >= 0, i->abi_version, i->vcpus, i->domid,
	       s->end_cause, i->monitors, i->labels, i->domain_name,
	       i->xen_major, i->xen_minor, c.lost, c.unknown_reasons,
	       c.unknown_reason, s->backpressure_ns);
	vmt_reader_close(rd);
	return 0;
}
