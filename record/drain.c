/*
 * drain.c - the drain thread: the only code that touches the ring.
 *
 * Per wake-up (vm_event-abi.md 7.2/7.3): pending + unmask the event
 * channel, then until the ring is empty: read req_prod (acquire), bound it,
 * copy each slot into the chunk as a REQUEST record (the one copy), build
 * the response in the slot, append it as a RESPONSE record, publish
 * rsp_prod (release); notify once; final re-check.  One RING_STATS record
 * per batch.  No allocation and no system call per event: the clock is the
 * vDSO, chunks change hands every ~1 MiB.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "record_int.h"

#define POLL_MS 50                 /* limits, flush age, control */
#define ALIVE_CHECK_NS 500000000ull
#define BATCH_MAX 256              /* requests before the loop looks up */

/* The four shared indices at the start of the ring page. */
struct sring_hdr {
	uint32_t req_prod, req_event, rsp_prod, rsp_event;
};

static int dropping(const struct vmt_recorder *r)
{
	return r->cur == &r->scratch;
}

/* Hand the full chunk over and take a free one, waiting at most the
 * bounds of vmt_pipeline_get(); past them, record into the scratch. */
static void rotate(struct vmt_recorder *r)
{
	if (!dropping(r)) {
		vmt_pipeline_put(&r->pipe, r->cur);
		r->cur = vmt_pipeline_get(&r->pipe, &r->batch_bp_ns);
	}
	if (!r->cur)
		r->cur = &r->scratch;
	if (dropping(r))
		vmt_chunkbuf_reset(&r->scratch);
}

/*
 * Back from the scratch as soon as a buffer is free: the requests that
 * went into it are one LOSS.  Never between a request and its response,
 * so a recorded response always has its request before it.
 */
static void drop_end(struct vmt_recorder *r)
{
	struct vmt_chunkbuf *c;

	if (!dropping(r) || !(c = vmt_pipeline_tryget(&r->pipe)))
		return;
	r->cur = c;
	if (!r->drop_count)
		return;
	struct vmt_loss l = { .first_seq = r->drop_first, .count = r->drop_count,
			      .cause = VMT_LOSS_BACKLOG };
	uint8_t buf[VMT_LOSS_SIZE], *p;
	vmt_loss_put(buf, &l);
	p = vmt_chunkbuf_reserve(r->cur, VMT_REC_LOSS, 0, r->seq,
				 vmt_now_ns() - r->t0, sizeof(buf));
	if (p)
		memcpy(p, buf, sizeof(buf));
	r->drop_count = 0;
}

/* Room for one record; hands a full chunk over (may wait: back-pressure). */
static uint8_t *reserve(struct vmt_recorder *r, uint16_t type, uint64_t seq,
			uint64_t ts, uint32_t size)
{
	uint8_t *p = vmt_chunkbuf_reserve(r->cur, type, 0, seq, ts, size);
	if (__builtin_expect(p != NULL, 1))
		return p;
	rotate(r);
	return vmt_chunkbuf_reserve(r->cur, type, 0, seq, ts, size);
}

int vmt_drain_note(struct vmt_recorder *r, uint16_t type, const void *data,
		   uint32_t size)
{
	drop_end(r);
	uint8_t *p = reserve(r, type, r->seq, vmt_now_ns() - r->t0, size);
	if (!p)
		return -E2BIG;
	memcpy(p, data, size);
	return 0;
}

/* A ring fault: say so in the trace (once) and end the recording. */
static void fault(struct vmt_recorder *r, const char *what)
{
	if (!r->fault[0])
		snprintf(r->fault, sizeof(r->fault), "%s", what);
	vmt_drain_note(r, VMT_REC_NOTE, what, (uint32_t)strlen(what));
	vmt_recorder_stop(r, VMT_END_RING_FAULT);
}

static void loss(struct vmt_recorder *r, uint64_t count, uint32_t cause)
{
	struct vmt_loss l = { .first_seq = r->seq, .count = count,
			      .cause = cause };
	uint8_t buf[VMT_LOSS_SIZE];
	vmt_loss_put(buf, &l);
	vmt_drain_note(r, VMT_REC_LOSS, buf, sizeof(buf));
}

static void ledger(struct vmt_recorder *r, uint32_t vcpu, uint64_t lat)
{
	struct vmt_vcpu_ledger *l = &r->vcpu[vcpu < VMT_MAX_VCPUS ? vcpu :
					     VMT_MAX_VCPUS - 1];
	l->events++;
	l->lat_sum_ns += lat;
	if (lat > l->lat_max_ns)
		l->lat_max_ns = lat;
}

/*
 * A reason format/ cannot name (a newer Xen, or a broken one) is kept raw
 * and answered like any event (header echoed, VCPU_PAUSED released).  One
 * NOTE per code, so a Xen that sends many of them cannot flood the trace.
 */
static void unknown_reason(struct vmt_recorder *r, uint64_t seq,
			   uint32_t reason, uint32_t flags)
{
	r->unknown_reasons++;
	if (reason < 128) {
		uint64_t bit = 1ull << (reason & 63);
		if (r->unknown_seen[reason >> 6] & bit)
			return;
		r->unknown_seen[reason >> 6] |= bit;
	} else if (r->unknown_high_seen++) {
		return;
	}
	char msg[256];
	snprintf(msg, sizeof(msg), "request %llu: reason %u is not a vm_event "
		 "reason this recorder knows; kept raw and answered with the "
		 "header echoed (flags 0x%x -> 0x%x)", (unsigned long long)seq,
		 reason, flags, flags & VMT_FLAG_VCPU_PAUSED);
	vmt_drain_note(r, VMT_REC_NOTE, msg, (uint32_t)strlen(msg));
}

/*
 * An entry that says another ABI version: its layout cannot be trusted, so
 * it is not stored as a REQUEST (readers would decode it with the wrong
 * layout) but as a LOSS of one request.  The header is at the same place
 * in every version, which is enough to answer it so its vCPU is not left
 * paused.  It takes a sequence number, so seq keeps following the ring.
 */
static void foreign_entry(struct vmt_recorder *r, uint8_t *slot, uint32_t idx)
{
	uint32_t esz = r->pol.entry_size;
	uint32_t ver = vmt_get32(slot + VMT_ABI_OFF_VERSION);
	uint32_t flags = vmt_get32(slot + VMT_ABI_OFF_FLAGS);
	uint32_t reason = vmt_get32(slot + VMT_ABI_OFF_REASON);
	uint32_t vcpu = vmt_get32(slot + VMT_ABI_OFF_VCPU);
	char msg[256];

	r->foreign_entries++;
	loss(r, 1, VMT_LOSS_BAD_ENTRY);
	snprintf(msg, sizeof(msg), "ring fault: request %llu carries vm_event "
		 "version %u but Xen reported %u (vCPU %u, reason %u, flags "
		 "0x%x); not kept, answered with the header only; recording "
		 "stopped", (unsigned long long)r->seq, ver, r->pol.version,
		 vcpu, reason, flags);
	fault(r, msg);
	memset(slot + VMT_ABI_OFF_ALTP2M, 0, esz - VMT_ABI_OFF_ALTP2M);
	vmt_put32(slot + VMT_ABI_OFF_VERSION, r->pol.version);
	vmt_put32(slot + VMT_ABI_OFF_FLAGS, flags & VMT_FLAG_VCPU_PAUSED);
	memcpy(r->shadow[idx & (VMT_RING_SLOTS - 1)], slot, esz);
	atomic_store_explicit(&r->seq, r->seq + 1, memory_order_relaxed);
}

/* Copy out, answer in place, record both. */
static int handle_one(struct vmt_recorder *r, uint8_t *slot, uint32_t idx)
{
	uint32_t esz = r->pol.entry_size;
	/* Xen does not touch a published slot before its response, so the
	 * version can be read in place before anything is stored. */
	if (__builtin_expect(vmt_get32(slot + VMT_ABI_OFF_VERSION) !=
			     r->pol.version, 0)) {
		foreign_entry(r, slot, idx);
		return 0;
	}
	/* Only this thread writes seq; others read it for statistics. */
	uint64_t seq = atomic_load_explicit(&r->seq, memory_order_relaxed);
	if (__builtin_expect(dropping(r), 0))
		drop_end(r);
	/* Request and response in one chunk: a chunk given up on (dropped
	 * or lost) never holds a request without its response. */
	if (!vmt_chunkbuf_fits(r->cur, esz, 2))
		rotate(r);
	uint64_t t_req = vmt_now_ns() - r->t0;
	uint8_t *req = reserve(r, VMT_REC_REQUEST, seq, t_req, esz);
	if (!req)
		return -E2BIG;
	memcpy(req, slot, esz);
	if (__builtin_expect(dropping(r), 0)) {
		r->drop_first = r->drop_count++ ? r->drop_first : seq;
		r->stall_lost++;
	} else {
		r->pipe.nreq[r->cur - r->pipe.bufs]++;
	}
	uint32_t vcpu = vmt_get32(req + VMT_ABI_OFF_VCPU);
	uint32_t reason = vmt_get32(req + VMT_ABI_OFF_REASON);
	uint32_t flags = vmt_get32(req + VMT_ABI_OFF_FLAGS);
	vmt_policy_respond(&r->pol, req, slot);
	uint64_t t_rsp = vmt_now_ns() - r->t0;
	uint8_t *rsp = reserve(r, VMT_REC_RESPONSE, seq, t_rsp, esz);
	if (!rsp)
		return -E2BIG;
	memcpy(rsp, slot, esz);
	memcpy(r->shadow[idx & (VMT_RING_SLOTS - 1)], rsp, esz);
	ledger(r, vcpu, t_rsp - t_req);
	atomic_store_explicit(&r->seq, seq + 1, memory_order_relaxed);
	/* format/ names every code below VMT_REASON_COUNT. */
	if (__builtin_expect(reason >= VMT_REASON_COUNT, 0))
		unknown_reason(r, seq, reason, flags);
	return 0;
}

/* Handle everything pending now; Return handled, or -VMT_E_RING. */
static int drain_pass(struct vmt_recorder *r, struct sring_hdr *s,
		      uint32_t *occ)
{
	int handled = 0;
	uint8_t *slots = (uint8_t *)r->ring + VMT_RING_HDR;
	uint32_t prod = __atomic_load_n(&s->req_prod, __ATOMIC_ACQUIRE);
	uint32_t pending = prod - r->req_cons;

	if (pending > VMT_RING_SLOTS) {
		char msg[200];
		snprintf(msg, sizeof(msg), "ring fault: producer index %u is %u "
			 "ahead of the consumer (at most %u possible); "
			 "recording stopped", prod, pending, VMT_RING_SLOTS);
		r->ring_jumped = 1;
		fault(r, msg);
		return -VMT_E_RING;
	}
	if (pending > *occ)
		*occ = pending;
	int rc = 0;
	for (; r->req_cons != prod && !rc; handled++) {
		uint8_t *slot = slots + (r->req_cons & (VMT_RING_SLOTS - 1)) *
					r->pol.entry_size;
		rc = handle_one(r, slot, r->req_cons);
		if (!rc)
			r->req_cons++;
	}
	/* Publish what was answered, even when stopping on a fault. */
	__atomic_store_n(&s->rsp_prod, r->req_cons, __ATOMIC_RELEASE);
	return rc ? rc : handled;
}

void vmt_drain_shadow_init(struct vmt_recorder *r)
{
	const uint8_t *slots = (const uint8_t *)r->ring + VMT_RING_HDR;
	for (uint32_t i = 0; i < VMT_RING_SLOTS; i++)
		memcpy(r->shadow[i], slots + i * r->pol.entry_size,
		       r->pol.entry_size);
}

/*
 * After a jump req_prod says nothing, but Xen still fills slots in index
 * order, never more than 8 ahead of us, and only slots whose responses it
 * consumed.  So, walking from req_cons, every slot that differs from what
 * we left there is a request Xen placed; the first unchanged one ends the
 * run.  Answering them releases the vCPUs they paused.  A changed slot
 * that is no valid request of this ring (wrong version, vCPU out of
 * range) is not answered: it and the changed slots after it are recorded
 * as a LOSS, an upper bound.  Runs with the domain paused (teardown).
 */
void vmt_drain_salvage(struct vmt_recorder *r)
{
	struct sring_hdr *s = r->ring;
	uint8_t *slots = (uint8_t *)r->ring + VMT_RING_HDR;
	uint32_t esz = r->pol.entry_size, found = 0, doubtful = 0;
	uint64_t first = r->seq;

	if (r->salvaged || !r->ring)
		return;
	r->salvaged = 1;
	uint32_t start = r->req_cons;
	for (uint32_t k = 0; k < VMT_RING_SLOTS; k++) {
		uint32_t i = (start + k) & (VMT_RING_SLOTS - 1);
		uint8_t *slot = slots + i * esz;
		if (!memcmp(slot, r->shadow[i], esz))
			break;
		if (doubtful ||
		    vmt_get32(slot + VMT_ABI_OFF_VERSION) != r->pol.version ||
		    vmt_get32(slot + VMT_ABI_OFF_VCPU) >= r->info.vcpus) {
			doubtful++;
			continue;
		}
		if (handle_one(r, slot, r->req_cons))
			break;
		r->req_cons++;
		found++;
	}
	__atomic_store_n(&s->rsp_prod, r->req_cons, __ATOMIC_RELEASE);
	char msg[256];
	snprintf(msg, sizeof(msg), "ring fault: %u request(s) found in the "
		 "slots after the jump (seq %llu on) were recorded and answered"
		 "%s", found, (unsigned long long)first,
		 doubtful ? "; the slots after them hold no valid request" : "");
	vmt_drain_note(r, VMT_REC_NOTE, msg, (uint32_t)strlen(msg));
	if (doubtful)
		loss(r, doubtful, VMT_LOSS_RING_FAULT);
}

int vmt_drain_ring(struct vmt_recorder *r)
{
	struct sring_hdr *s = r->ring;
	uint32_t occ = 0, total = 0;

	if (r->ring_jumped)
		return -VMT_E_RING;
	uint64_t t_first = vmt_now_ns();
	r->batch_bp_ns = 0;
	for (;;) {
		int n;
		while ((n = drain_pass(r, s, &occ)) > 0)
			total += (uint32_t)n;
		if (total || n < 0)
			r->xen.xenevtchn_notify(r->xce,
						(evtchn_port_t)r->local_port);
		if (n < 0)
			return n;
		/* RING_FINAL_CHECK_FOR_REQUESTS: re-arm, full barrier, look. */
		__atomic_store_n(&s->req_event, r->req_cons + 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		r->more = __atomic_load_n(&s->req_prod, __ATOMIC_ACQUIRE) !=
			  r->req_cons;
		/* A guest that never stops must not starve limits, signals
		 * and markers: end the batch, come back without sleeping. */
		if (!r->more || total >= BATCH_MAX)
			break;
	}
	if (!total)
		return 0;
	struct vmt_ring_stats st = {
		.occupancy = occ, .handled = total,
		.batch_ns = vmt_now_ns() - t_first,
		.backpressure_ns = r->batch_bp_ns,
	};
	uint8_t buf[VMT_RING_STATS_SIZE];
	vmt_ring_stats_put(buf, &st);
	vmt_drain_note(r, VMT_REC_RING_STATS, buf, sizeof(buf));
	r->batches++;
	r->bp_ns += r->batch_bp_ns;
	if (occ > r->max_occ)
		r->max_occ = occ;
	return (int)total;
}

/* Tells the control thread to look at the mailbox. */
static void answer(struct vmt_mailbox *m)
{
	uint64_t one = 1;
	if (write(m->answer_fd, &one, sizeof(one)) < 0)
		vmt_log(VMT_LOG_DEBUG, "marker answer: %s", strerror(errno));
}

/* A marker from the control thread: recorded where the drain is now. */
void vmt_drain_take_marker(struct vmt_recorder *r)
{
	struct vmt_mailbox *m = &r->mbox;
	if (!atomic_load_explicit(&m->pending, memory_order_acquire))
		return;
	pthread_mutex_lock(&m->lock);
	if (!m->pending) {   /* withdrawn meanwhile: the client was refused */
		pthread_mutex_unlock(&m->lock);
		return;
	}
	m->seq = r->seq;
	drop_end(r);
	/* A marker that cannot be kept is refused, never acknowledged. */
	int rc = dropping(r) ? -ENOBUFS :
		 vmt_drain_note(r, VMT_REC_MARKER, m->text,
				(uint32_t)strlen(m->text));
	if (!rc)
		r->markers++;
	m->answered = rc ? rc : 1;
	m->pending = 0;
	pthread_mutex_unlock(&m->lock);
	answer(m);
}

static void update_cpu(struct vmt_recorder *r)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
		r->cpu_ns = (uint64_t)ts.tv_sec * 1000000000u +
			    (uint64_t)ts.tv_nsec;
}

/* Limits, flush age, domain health: once per loop, never per event. */
static void housekeeping(struct vmt_recorder *r)
{
	uint64_t now = vmt_now_ns();
	if (dropping(r)) {
		drop_end(r);
	} else if (r->cur->nrec && now - r->t0 - r->cur->first_ts >= r->flush_ns) {
		r->batch_bp_ns = 0;
		rotate(r);
		r->bp_ns += r->batch_bp_ns;
	}
	if (r->pipe.write_error)
		vmt_recorder_stop(r, VMT_END_WRITE_ERROR);
	if ((r->max_events && r->seq >= r->max_events) ||
	    (r->duration_ns && now - r->t0 >= r->duration_ns) ||
	    (r->max_bytes && r->pipe.bytes_written >= r->max_bytes))
		vmt_recorder_stop(r, VMT_END_LIMIT);
	if (now >= r->next_alive_check) {
		r->next_alive_check = now + ALIVE_CHECK_NS;
		update_cpu(r);
		if (!vmt_session_domain_alive(r))
			vmt_recorder_stop(r, VMT_END_DOMAIN_GONE);
	}
}

static void wait_events(struct vmt_recorder *r)
{
	struct pollfd pfd[2] = {
		{ .fd = r->xen.xenevtchn_fd(r->xce), .events = POLLIN },
		{ .fd = r->wake_fd, .events = POLLIN },
	};
	if (poll(pfd, 2, r->more ? 0 : POLL_MS) <= 0)
		return;
	if (pfd[1].revents & POLLIN) {
		uint64_t v;
		if (read(r->wake_fd, &v, sizeof(v)) < 0)
			vmt_log(VMT_LOG_DEBUG, "wake: %s", strerror(errno));
	}
	if (pfd[0].revents & POLLIN) {
		/* pending before unmask, or poll spins (vm_event-abi 11.7) */
		xenevtchn_port_or_error_t port = r->xen.xenevtchn_pending(r->xce);
		if (port >= 0)
			r->xen.xenevtchn_unmask(r->xce, (evtchn_port_t)port);
	} else if (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
		vmt_recorder_stop(r, VMT_END_DOMAIN_GONE);
	}
}

/* The closing notes: per-vCPU latency ledger and the totals. */
static void final_notes(struct vmt_recorder *r)
{
	char msg[256];
	for (uint32_t v = 0; v < VMT_MAX_VCPUS; v++) {
		const struct vmt_vcpu_ledger *l = &r->vcpu[v];
		if (!l->events)
			continue;
		snprintf(msg, sizeof(msg), "vcpu %u: %llu responses, dequeue to "
			 "response mean %llu ns, max %llu ns", v,
			 (unsigned long long)l->events,
			 (unsigned long long)(l->lat_sum_ns / l->events),
			 (unsigned long long)l->lat_max_ns);
		vmt_drain_note(r, VMT_REC_NOTE, msg, (uint32_t)strlen(msg));
	}
	snprintf(msg, sizeof(msg), "end: cause %u, %llu requests, %llu batches, "
		 "max occupancy %u, back-pressure %llu ns, reinject failures "
		 "%llu, unknown reasons %llu, foreign entries %llu",
		 r->end_cause, (unsigned long long)r->seq,
		 (unsigned long long)r->batches, (unsigned)r->max_occ,
		 (unsigned long long)r->bp_ns,
		 (unsigned long long)r->pol.inject_failures,
		 (unsigned long long)r->unknown_reasons,
		 (unsigned long long)r->foreign_entries);
	vmt_drain_note(r, VMT_REC_NOTE, msg, (uint32_t)strlen(msg));
}

void *vmt_drain_main(void *arg)
{
	struct vmt_recorder *r = arg;
	uint64_t bp = 0;

	r->cur = vmt_pipeline_get(&r->pipe, &bp);
	while (r->stop_cause == VMT_RUNNING) {
		wait_events(r);
		vmt_drain_ring(r);
		vmt_drain_take_marker(r);
		housekeeping(r);
	}
	r->end_cause = r->stop_cause;
	vmt_pipeline_stopping(&r->pipe);
	vmt_session_teardown(r);
	vmt_drain_take_marker(r);
	vmt_drain_close_mailbox(r);
	final_notes(r);
	update_cpu(r);
	vmt_drain_done(r);
	return NULL;
}

void vmt_drain_close_mailbox(struct vmt_recorder *r)
{
	pthread_mutex_lock(&r->mbox.lock);
	r->mbox.closed = 1;
	pthread_mutex_unlock(&r->mbox.lock);
	answer(&r->mbox);
}

void vmt_drain_done(struct vmt_recorder *r)
{
	r->end_ns = vmt_now_ns();
	drop_end(r);
	if (!dropping(r))
		vmt_pipeline_put(&r->pipe, r->cur);
	r->cur = NULL;
	vmt_pipeline_finish(&r->pipe);
	uint64_t one = 1;
	if (write(r->done_fd, &one, sizeof(one)) < 0)
		vmt_log(VMT_LOG_DEBUG, "done: %s", strerror(errno));
}
