/*
 * test_salvage.c - the ring after a producer-index jump (drain.c,
 * vmt_drain_salvage): slots Xen rewrote since our last response are
 * answered and recorded in order, the first untouched slot ends the
 * search, and rewritten slots that hold no valid request are not answered
 * but recorded as a LOSS.  xensim's ring-jump fault only ever leaves valid
 * requests behind, so the doubtful case is tested here.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "record_int.h"

#define ESZ 400  /* ABI 7 */

struct rig {
	struct vmt_recorder *r;
	struct vmt_writer *w;
	uint8_t *page;
	char path[32];
	int wake;
};

static uint8_t *slot(struct rig *g, uint32_t i)
{
	return g->page + VMT_RING_HDR + (i & (VMT_RING_SLOTS - 1)) * ESZ;
}

/* A synchronous CR3 write of @vcpu: answered with the header only. */
static void put_request(struct rig *g, uint32_t idx, uint32_t vcpu, uint64_t cr3)
{
	struct vmt_event ev;
	vmt_event_init(&ev, 7, VMT_REASON_WRITE_CTRLREG);
	ev.vcpu_id = vcpu;
	ev.flags = VMT_FLAG_VCPU_PAUSED;
	ev.reg[VMT_REG_CR3] = cr3;
	cr_assert_eq(vmt_event_encode(&ev, slot(g, idx), ESZ), ESZ);
}

static int notify_stub(xenevtchn_handle *xce, evtchn_port_t port)
{
	return 0;
}

static void setup(struct rig *g)
{
	struct vmt_trace_info info = { .abi_version = 7, .req_size = ESZ,
				       .rsp_size = ESZ, .page_size = 4096,
				       .vcpus = 2 };
	uint64_t waited = 0;

	snprintf(g->path, sizeof(g->path), "/tmp/vmt-salv-XXXXXX");
	int fd = mkstemp(g->path);
	cr_assert_geq(fd, 0);
	close(fd);
	unlink(g->path);
	g->r = calloc(1, sizeof(*g->r));
	g->page = calloc(1, VMT_RING_PAGE);
	cr_assert(g->r && g->page);
	g->r->ring = g->page;
	g->r->info = info;
	g->r->t0 = vmt_now_ns();
	g->r->stop_cause = VMT_RUNNING;
	g->r->xen.xenevtchn_notify = notify_stub;
	g->r->wake_fd = eventfd(0, EFD_NONBLOCK);
	cr_assert_eq(vmt_policy_init(&g->r->pol, 7), 0);
	cr_assert_eq(vmt_writer_open(&g->w, g->path, &info, NULL), 0);
	g->wake = eventfd(0, EFD_NONBLOCK);
	cr_assert_eq(vmt_pipeline_init(&g->r->pipe, 2, 1 << 16, g->w, g->wake), 0);
	cr_assert_eq(vmt_pipeline_start(&g->r->pipe), 0);
	g->r->cur = vmt_pipeline_get(&g->r->pipe, &waited);
	vmt_drain_shadow_init(g->r);
}

/* Hands everything to the file and counts its records by type. */
static void finish(struct rig *g, uint64_t count[8], struct vmt_loss *loss)
{
	struct vmt_reader *rd;
	struct vmt_record rec;

	vmt_pipeline_put(&g->r->pipe, g->r->cur);
	vmt_pipeline_finish(&g->r->pipe);
	cr_assert_eq(g->r->pipe.write_error, 0);
	cr_assert_eq(vmt_writer_close(g->w, NULL), 0);
	vmt_pipeline_free(&g->r->pipe);
	close(g->wake);
	close(g->r->wake_fd);
	cr_assert_eq(vmt_reader_open(&rd, g->path, NULL), 0);
	memset(count, 0, 8 * sizeof(count[0]));
	while (vmt_reader_next(rd, &rec) == 1) {
		count[rec.type < 8 ? rec.type : 0]++;
		if (rec.type == VMT_REC_LOSS)
			cr_assert_eq(vmt_loss_get(&rec, loss), 0);
	}
	vmt_reader_close(rd);
	unlink(g->path);
	free(g->page);
	free(g->r);
}

Test(salvage, answers_rewritten_slots_in_order)
{
	struct rig g;
	struct vmt_loss loss = { 0 };
	uint64_t n[8];

	setup(&g);
	/* Requests 0..4 are answered the normal way; then Xen places 5, 6
	 * and 7, and req_prod jumps. */
	for (uint32_t i = 0; i < 5; i++)
		put_request(&g, i, i & 1, 0x1000 * i);
	__atomic_store_n((uint32_t *)g.page, 5, __ATOMIC_RELEASE);
	cr_assert_eq(vmt_drain_ring(g.r), 5);
	cr_assert_eq(g.r->req_cons, 5);
	for (uint32_t i = 5; i < 8; i++)
		put_request(&g, i, i & 1, 0x1000 * i);
	__atomic_store_n((uint32_t *)g.page, 1005, __ATOMIC_RELEASE);
	cr_assert_eq(vmt_drain_ring(g.r), -VMT_E_RING);
	cr_assert(g.r->ring_jumped);
	cr_assert_eq(g.r->stop_cause, VMT_END_RING_FAULT);

	vmt_drain_salvage(g.r);
	cr_assert_eq(g.r->req_cons, 8);
	cr_assert_eq(g.r->seq, 8);
	cr_assert_eq(((uint32_t *)g.page)[2], 8, "rsp_prod");
	for (uint32_t i = 5; i < 8; i++)
		cr_assert_eq(vmt_get32(slot(&g, i) + 4), VMT_FLAG_VCPU_PAUSED,
			     "response %u releases its vCPU", i);
	/* Twice is once: teardown may retry the drain. */
	vmt_drain_salvage(g.r);
	cr_assert_eq(g.r->req_cons, 8);
	finish(&g, n, &loss);
	cr_assert_eq(n[VMT_REC_REQUEST], 8);
	cr_assert_eq(n[VMT_REC_RESPONSE], 8);
	cr_assert_eq(n[VMT_REC_LOSS], 0);
}

Test(salvage, nothing_rewritten_nothing_answered)
{
	struct rig g;
	struct vmt_loss loss = { 0 };
	uint64_t n[8];

	setup(&g);
	for (uint32_t i = 0; i < 3; i++)
		put_request(&g, i, 0, 0x2000 + i);
	__atomic_store_n((uint32_t *)g.page, 3, __ATOMIC_RELEASE);
	cr_assert_eq(vmt_drain_ring(g.r), 3);
	__atomic_store_n((uint32_t *)g.page, 3000, __ATOMIC_RELEASE);
	cr_assert_eq(vmt_drain_ring(g.r), -VMT_E_RING);
	vmt_drain_salvage(g.r);
	cr_assert_eq(g.r->req_cons, 3);
	finish(&g, n, &loss);
	cr_assert_eq(n[VMT_REC_REQUEST], 3);
	cr_assert_eq(n[VMT_REC_LOSS], 0);
}

Test(salvage, invalid_slots_are_a_bounded_loss)
{
	struct rig g;
	struct vmt_loss loss = { 0 };
	uint64_t n[8];

	setup(&g);
	put_request(&g, 0, 1, 0x3000);
	__atomic_store_n((uint32_t *)g.page, 1, __ATOMIC_RELEASE);
	cr_assert_eq(vmt_drain_ring(g.r), 1);
	/* Slot 1: a valid request; slot 2: another version; slot 3: a vCPU
	 * the domain does not have; slot 4 untouched. */
	put_request(&g, 1, 0, 0x4000);
	put_request(&g, 2, 0, 0x5000);
	vmt_put32(slot(&g, 2), 5);
	put_request(&g, 3, 9, 0x6000);
	__atomic_store_n((uint32_t *)g.page, 77777, __ATOMIC_RELEASE);
	cr_assert_eq(vmt_drain_ring(g.r), -VMT_E_RING);
	vmt_drain_salvage(g.r);
	cr_assert_eq(g.r->req_cons, 2, "only the valid request is answered");
	cr_assert_eq(vmt_get32(slot(&g, 2)), 5, "a doubtful slot is not touched");
	finish(&g, n, &loss);
	cr_assert_eq(n[VMT_REC_REQUEST], 2);
	cr_assert_eq(n[VMT_REC_LOSS], 1);
	cr_assert_eq(loss.first_seq, 2);
	cr_assert_eq(loss.count, 2);
	cr_assert_eq(loss.cause, VMT_LOSS_RING_FAULT);
}
