/*
 * ring.c - the monitor ring as Xen runs it (vm_event-abi.md section 7):
 * one shared 4 KiB page, 64-byte header, 8 slots, free-running indices;
 * a slot is reused only after its response was consumed; the consumer is
 * notified after every request; responses are read only when the consumer
 * notifies (or calls resume); synchronous requests pause their vCPU until a
 * response with VCPU_PAUSED and the right version arrives; a vCPU that finds
 * no free slot waits, and one that leaves fewer free slots than the domain
 * has vCPUs is blocked until responses come back.
 *
 * The page is shared with another process, which may write anything into
 * it: only rsp_prod is read from it, and never trusted beyond req_prod.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"
#include "vmt_le.h"  /* slot header fields */

/* Shared ring header (abi.md 7.1). */
#define OFF_REQ_PROD 0
#define OFF_REQ_EVENT 4
#define OFF_RSP_PROD 8
#define OFF_RSP_EVENT 12

#define RING_JUMP 1000u   /* ring-jump fault: how far req_prod leaps */

#define FNV_BASIS 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

uint64_t vmt_sim_digest(uint64_t state, const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t x = state ^ FNV_BASIS;

	for (size_t i = 0; i < n; i++)
		x = (x ^ b[i]) * FNV_PRIME;
	return x ^ FNV_BASIS;
}

uint64_t vmt_sim_digest_value(uint64_t state)
{
	return state ^ FNV_BASIS;
}

uint64_t vmt_sim_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t *idx_ptr(const struct vmt_sim_ring *r, unsigned off)
{
	return (uint32_t *)(void *)(r->page + off);
}

static uint8_t *slot(const struct vmt_sim_host *h,
		     const struct vmt_sim_ring *r, uint32_t idx)
{
	return r->page + VMT_RING_HDR +
	       (idx & (VMT_RING_SLOTS - 1)) * vmt_abi_entry_size(h->abi);
}

static uint32_t ring_free(const struct vmt_sim_ring *r)
{
	return VMT_RING_SLOTS - (r->req_prod_pvt - r->rsp_cons);
}

int vmt_sim_ring_enable(struct vmt_sim_host *h, struct vmt_sim_dom *d)
{
	struct vmt_sim_ring *r = &d->ring;
	int fd;

	if (d->state != VMT_DOM_ALIVE)
		return -ESRCH;
	if (r->enabled)
		return -EBUSY;
	fd = memfd_create("xensim-monitor-ring", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, VMT_RING_PAGE) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	void *p = mmap(NULL, VMT_RING_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fd, 0);
	if (p == MAP_FAILED) {
		int e = -errno;
		close(fd);
		return e;
	}
	memset(r, 0, sizeof(*r));
	r->memfd = fd;
	r->page = p;
	r->up_fd = r->notify_fd = -1;
	r->enabled = true;
	r->port = h->next_port++;
	/* Xen's front-ring init: rsp_event = 1, everything else 0. */
	*idx_ptr(r, OFF_RSP_EVENT) = 1;
	return 0;
}

static void ring_release(struct vmt_sim_ring *r)
{
	if (!r->enabled)
		return;
	munmap(r->page, VMT_RING_PAGE);
	close(r->memfd);
	r->page = NULL;
	r->memfd = -1;
	r->enabled = false;
}

void vmt_sim_unbind(struct vmt_sim_host *h, struct vmt_sim_dom *d)
{
	struct vmt_sim_ring *r = &d->ring;

	if (!r->bound)
		return;
	if (r->notify_fd >= 0) {   /* already closed if the domain died */
		if (h->on_notify_fd)
			h->on_notify_fd(h, d, false);
		close(r->notify_fd);
	}
	close(r->up_fd);
	r->up_fd = r->notify_fd = -1;
	r->bound = false;
	r->bind_owner = NULL;
	r->notify_due = false;
	/* A dying domain is gone once nobody holds its event channel. */
	if (d->state == VMT_DOM_DYING)
		d->state = VMT_DOM_GONE;
}

int vmt_sim_ring_disable(struct vmt_sim_host *h, struct vmt_sim_dom *d)
{
	struct vmt_sim_ring *r = &d->ring;

	if (d->state != VMT_DOM_ALIVE)
		return -ESRCH;
	if (!r->enabled)
		return -EINVAL;
	for (uint32_t i = 0; i < d->nvcpus; i++)
		if (d->vcpu[i].ringwait)
			return -EBUSY;
	/* Only vCPUs blocked for ring space run again; vCPUs paused for a
	 * synchronous request stay paused (abi.md 7.4). */
	for (uint32_t i = 0; i < d->nvcpus; i++)
		d->vcpu[i].blocked = false;
	vmt_sim_unbind(h, d);
	ring_release(r);
	r->owner = NULL;
	/* arch_monitor_cleanup_domain clears the monitor switches; p2m
	 * access stays as set (vm_event.c XEN_VM_EVENT_DISABLE, Xen 4.17). */
	memset(&d->mon, 0, sizeof(d->mon));
	return 0;
}

void vmt_sim_notify_consumer(struct vmt_sim_host *h, struct vmt_sim_dom *d)
{
	struct vmt_sim_ring *r = &d->ring;
	uint64_t one = 1;

	if (!r->bound)
		return;   /* an unbound port drops the event, as in Xen */
	if (h->faults.on[VMT_FAULT_SLOW_EVTCHN]) {
		if (!r->notify_due) {
			r->notify_due = true;
			r->notify_at = vmt_sim_now_ns() +
				h->faults.arg[VMT_FAULT_SLOW_EVTCHN] * 1000;
		}
		return;
	}
	if (write(r->up_fd, &one, sizeof(one)) == sizeof(one))
		d->c.notifications++;
}

void vmt_sim_flush_notify(struct vmt_sim_host *h, uint64_t now)
{
	uint64_t one = 1;

	for (uint32_t i = 0; i < h->n_dom; i++) {
		struct vmt_sim_ring *r = &h->dom[i].ring;
		if (r->bound && r->notify_due && now >= r->notify_at) {
			r->notify_due = false;
			if (write(r->up_fd, &one, sizeof(one)) == sizeof(one))
				h->dom[i].c.notifications++;
		}
	}
}

uint64_t vmt_sim_next_deadline(const struct vmt_sim_host *h)
{
	uint64_t t = UINT64_MAX;

	for (uint32_t i = 0; i < h->n_dom; i++) {
		const struct vmt_sim_ring *r = &h->dom[i].ring;
		if (r->bound && r->notify_due && r->notify_at < t)
			t = r->notify_at;
	}
	return t;
}

void vmt_sim_dom_kill(struct vmt_sim_host *h, struct vmt_sim_dom *d)
{
	struct vmt_sim_ring *r = &d->ring;
	uint64_t one = 1;

	d->state = VMT_DOM_DYING;
	if (r->bound) {
		/* Final wake-up, then the channel's Xen end is closed so
		 * notify fails; the consumer's mapping outlives the ring. */
		if (write(r->up_fd, &one, sizeof(one)) == sizeof(one))
			d->c.notifications++;
		if (h->on_notify_fd)
			h->on_notify_fd(h, d, false);
		close(r->notify_fd);
		r->notify_fd = -1;
	}
	ring_release(r);
	r->owner = NULL;
	if (!r->bound)
		d->state = VMT_DOM_GONE;
}

/* ---- consuming responses ----------------------------------------------- */

static void end_pause(struct vmt_sim_dom *d, struct vmt_sim_vcpu *v,
		      uint64_t now)
{
	uint64_t ns = now - v->wait_since;

	v->waiting = false;
	d->c.pause_ns_total += ns;
	if (ns > d->c.pause_ns_max)
		d->c.pause_ns_max = ns;
	v->paused_total_ns += ns;
	if (ns > v->paused_max_ns)
		v->paused_max_ns = ns;
}

static void reject(struct vmt_sim_dom *d, enum vmt_sim_rej why)
{
	d->c.rejected[why]++;
	d->c.responses_rejected++;
}

/* A trap reaches the guest only if it was re-injected after the request. */
static void account_trap(struct vmt_sim_dom *d, const struct vmt_sim_meta *m)
{
	if (m->reason != VMT_REASON_SOFTWARE_BREAKPOINT &&
	    m->reason != VMT_REASON_DEBUG_EXCEPTION)
		return;
	if (d->vcpu[m->vcpu].injected == m->injected)
		d->c.swallowed_traps++;
}

static void handle_response(struct vmt_sim_host *h, struct vmt_sim_dom *d,
			    const uint8_t *raw, const struct vmt_sim_meta *m,
			    uint64_t now)
{
	static struct vmt_event rsp;   /* single-threaded; keeps stack small */

	if (vmt_get32(raw + VMT_ABI_OFF_VERSION) != h->abi ||
	    vmt_event_decode(raw, vmt_abi_entry_size(h->abi), &rsp) < 0) {
		reject(d, VMT_REJ_WRONG_VERSION);
		return;
	}
	account_trap(d, m);
	if (rsp.vcpu_id >= d->nvcpus) {
		reject(d, VMT_REJ_WRONG_VCPU);
		return;
	}
	struct vmt_sim_vcpu *v = &d->vcpu[rsp.vcpu_id];
	if (rsp.flags & VMT_FLAG_VCPU_PAUSED) {
		if (!v->waiting) {
			reject(d, VMT_REJ_WRONG_VCPU);
			return;
		}
		end_pause(d, v, now);
		vmt_sim_vcpu_resume(h, d, v, &rsp);
	} else if (m->sync) {
		reject(d, VMT_REJ_NO_PAUSED_FLAG);
	}
}

/* Xen's vm_event_wake_blocked: as many blocked vCPUs as free slots. */
static void wake_blocked(struct vmt_sim_dom *d)
{
	uint32_t avail = ring_free(&d->ring);

	for (uint32_t k = 0; k < d->nvcpus && avail; k++) {
		struct vmt_sim_vcpu *v = &d->vcpu[(d->rr + k) % d->nvcpus];
		if (v->blocked) {
			v->blocked = false;
			avail--;
		}
	}
}

void vmt_sim_ring_consume(struct vmt_sim_host *h, struct vmt_sim_dom *d)
{
	struct vmt_sim_ring *r = &d->ring;
	uint8_t raw[VMT_ENTRY_MAX];
	size_t esz = vmt_abi_entry_size(h->abi);
	uint64_t now = vmt_sim_now_ns();

	if (!r->enabled)
		return;
	uint32_t prod = __atomic_load_n(idx_ptr(r, OFF_RSP_PROD), __ATOMIC_ACQUIRE);
	uint32_t avail = prod - r->rsp_cons;
	uint32_t outstanding = r->req_prod_pvt - r->rsp_cons;
	if (avail > outstanding) {
		/* More responses than requests: a corrupt rsp_prod. */
		reject(d, VMT_REJ_BAD_RSP_PROD);
		avail = outstanding;
	}
	while (avail--) {
		uint32_t i = r->rsp_cons++;
		/* Copy first: the consumer may still be scribbling. */
		memcpy(raw, slot(h, r, i), esz);
		d->c.responses_consumed++;
		d->rsp_digest = vmt_sim_digest(d->rsp_digest, raw, esz);
		h->rsp_digest = vmt_sim_digest(h->rsp_digest, raw, esz);
		handle_response(h, d, raw, &r->meta[i & (VMT_RING_SLOTS - 1)], now);
	}
	__atomic_store_n(idx_ptr(r, OFF_RSP_EVENT), r->rsp_cons + 1,
			 __ATOMIC_RELEASE);
	wake_blocked(d);
}

/* ---- producing requests ------------------------------------------------ */

static bool sources_active(const struct vmt_sim_dom *d)
{
	return d->mon.enabled || vmt_sim_p2m_restricts(d);
}

/* Without a ring the guest still runs while access restrictions remain:
 * a violation then relaxes the page or crashes the domain (p2m.c). */
static bool dom_running(const struct vmt_sim_dom *d)
{
	if (d->state != VMT_DOM_ALIVE || d->pause_count)
		return false;
	if (!d->ring.enabled)
		return vmt_sim_p2m_restricts(d);
	return !d->ring.jumped && sources_active(d);
}

/*
 * Whether a vCPU asleep for ring space may place the request it already
 * made: Xen wakes it from the ring's wait queue when a slot frees and it
 * puts its request whatever the monitor switches say by then, so a
 * consumer that switched its sources off, answered the ring and unpaused
 * gets those requests and can then disable (xc_monitor_disable is EBUSY
 * until the wait queue is empty).
 */
static bool dom_places(const struct vmt_sim_dom *d)
{
	return d->state == VMT_DOM_ALIVE && !d->pause_count &&
	       d->ring.enabled && !d->ring.jumped;
}

/* Faults that rewrite request @n (0-based) of a domain, header only: the
 * header layout is the same in every version (abi.md 2).
 * Return: the reason code now on the ring. */
static uint32_t fault_rewrite(struct vmt_sim_host *h, uint64_t n, uint8_t *raw,
			      uint32_t reason)
{
	const struct vmt_sim_faults *f = &h->faults;

	if (f->on[VMT_FAULT_UNKNOWN_REASON] && n == f->at[VMT_FAULT_UNKNOWN_REASON]) {
		reason = (uint32_t)f->arg[VMT_FAULT_UNKNOWN_REASON];
		vmt_put32(raw + VMT_ABI_OFF_REASON, reason);
	}
	if (f->on[VMT_FAULT_BAD_VERSION] && n == f->at[VMT_FAULT_BAD_VERSION])
		vmt_put32(raw + VMT_ABI_OFF_VERSION,
			  (uint32_t)f->arg[VMT_FAULT_BAD_VERSION]);
	return reason;
}

static void fault_after(struct vmt_sim_host *h, struct vmt_sim_dom *d)
{
	const struct vmt_sim_faults *f = &h->faults;
	struct vmt_sim_ring *r = &d->ring;
	uint64_t n = d->c.produced_total;

	if (f->on[VMT_FAULT_RING_JUMP] && n == f->at[VMT_FAULT_RING_JUMP]) {
		/* A producer bug: req_prod far beyond the ring; we stop. */
		__atomic_store_n(idx_ptr(r, OFF_REQ_PROD),
				 r->req_prod_pvt + RING_JUMP, __ATOMIC_RELEASE);
		r->jumped = true;
		vmt_sim_notify_consumer(h, d);
	}
	if (f->on[VMT_FAULT_DOMAIN_DIE] && n == f->at[VMT_FAULT_DOMAIN_DIE])
		vmt_sim_dom_kill(h, d);
}

static void publish(struct vmt_sim_host *h, struct vmt_sim_dom *d,
		    struct vmt_sim_vcpu *v, uint64_t now)
{
	struct vmt_sim_ring *r = &d->ring;
	uint32_t i = r->req_prod_pvt;
	uint8_t *raw = slot(h, r, i);
	uint32_t reason = v->staged.reason, shown;

	vmt_event_encode(&v->staged, raw, vmt_abi_entry_size(h->abi));
	shown = fault_rewrite(h, d->c.produced_total, raw, reason);
	r->meta[i & (VMT_RING_SLOTS - 1)] = (struct vmt_sim_meta){
		.vcpu = v->id, .reason = reason, .sync = v->staged_sync,
		.injected = v->injected };
	r->req_prod_pvt = i + 1;
	__atomic_store_n(idx_ptr(r, OFF_REQ_PROD), i + 1, __ATOMIC_RELEASE);
	v->staged_ok = false;
	v->produced++;
	d->c.produced_total++;
	h->produced_total++;
	d->c.by_reason[shown < VMT_SIM_REASONS ? shown : VMT_SIM_REASONS]++;
	if (v->staged_sync) {
		v->waiting = true;
		v->wait_since = now;
		v->wait_reason = reason;
	}
	/* vm_event_put_request: only a vCPU not already paused for an
	 * event is blocked for ring space. */
	if (!v->waiting && ring_free(r) < d->nvcpus) {
		v->blocked = true;
		d->c.blocked_pauses++;
	}
	vmt_sim_notify_consumer(h, d);
	fault_after(h, d);
}

static bool vcpu_free(const struct vmt_sim_vcpu *v)
{
	return !v->waiting && !v->blocked;
}

/* Steps @v until it has a request staged (bounded, and fewer steps when
 * no ring can take one, which only relaxes pages); Return: staged? */
static bool stage(struct vmt_sim_host *h, struct vmt_sim_dom *d,
		  struct vmt_sim_vcpu *v)
{
	int max = d->ring.enabled ? 256 : 16;

	for (int n = 0; n < max && !v->staged_ok && d->state == VMT_DOM_ALIVE; n++) {
		vmt_sim_vcpu_step(h, d, v);
		if (v->staged_ok && !d->ring.enabled)
			vmt_sim_vcpu_unheard(h, v);
	}
	return v->staged_ok && d->state == VMT_DOM_ALIVE;
}

/*
 * One pass over a domain's vCPUs, one request each at most.  *@room is
 * how many new requests --events still allows: a request counts from
 * the moment it is made, so a vCPU asleep for ring space always has its
 * request's place in the quota and can put it once a slot frees (else
 * xc_monitor_disable would stay EBUSY for good).
 */
static unsigned produce_dom(struct vmt_sim_host *h, struct vmt_sim_dom *d,
			    unsigned budget, uint64_t now, uint64_t *room)
{
	unsigned n = 0;

	for (uint32_t k = 0; k < d->nvcpus && n < budget; k++) {
		struct vmt_sim_vcpu *v = &d->vcpu[(d->rr + k) % d->nvcpus];
		bool run = dom_running(d);
		if (!run && !dom_places(d))
			break;
		if (!vcpu_free(v) || (!v->ringwait && (!run || !*room || !stage(h, d, v))))
			continue;
		if (!v->ringwait)
			(*room)--;
		if (!ring_free(&d->ring)) {
			if (!v->ringwait) {
				v->ringwait = true;
				v->ringwait_since = now;
				d->c.ring_full_waits++;
			}
			continue;
		}
		if (v->ringwait) {
			uint64_t ns = now - v->ringwait_since;

			v->ringwait = false;
			d->c.ring_wait_ns_total += ns;
			if (ns > d->c.ring_wait_ns_max)
				d->c.ring_wait_ns_max = ns;
		}
		publish(h, d, v, now);
		n++;
	}
	d->rr = d->nvcpus ? (d->rr + 1) % d->nvcpus : 0;
	return n;
}

static bool quota_left(const struct vmt_sim_host *h)
{
	return !h->max_events || h->produced_total < h->max_events;
}

/* New requests --events still allows: those produced and those made by a
 * vCPU asleep for ring space count against it. */
static uint64_t quota_room(const struct vmt_sim_host *h)
{
	uint64_t used = h->produced_total;

	if (!h->max_events)
		return UINT64_MAX;
	for (uint32_t i = 0; i < h->n_dom; i++)
		for (uint32_t k = 0; k < h->dom[i].nvcpus; k++)
			used += h->dom[i].vcpu[k].ringwait;
	return used < h->max_events ? h->max_events - used : 0;
}

unsigned vmt_sim_produce(struct vmt_sim_host *h, unsigned budget)
{
	uint64_t now = vmt_sim_now_ns(), room = quota_room(h);
	unsigned total = 0, got;

	do {
		got = 0;
		for (uint32_t i = 0; i < h->n_dom && total + got < budget; i++) {
			unsigned cap = budget - total - got;
			if (h->max_events && cap > h->max_events - h->produced_total)
				cap = (unsigned)(h->max_events - h->produced_total);
			if (cap)
				got += produce_dom(h, &h->dom[i], cap, now, &room);
		}
		total += got;
	} while (got && total < budget && quota_left(h));
	return total;
}

bool vmt_sim_runnable(const struct vmt_sim_host *h)
{
	uint64_t room = quota_room(h);

	if (!quota_left(h))
		return false;
	for (uint32_t i = 0; i < h->n_dom; i++) {
		const struct vmt_sim_dom *d = &h->dom[i];
		bool run = dom_running(d);
		if (!run && !dom_places(d))
			continue;
		for (uint32_t k = 0; k < d->nvcpus; k++) {
			const struct vmt_sim_vcpu *v = &d->vcpu[k];
			if (vcpu_free(v) && (v->ringwait ? ring_free(&d->ring) != 0 : run && room))
				return true;
		}
	}
	return false;
}
