/*
 * tap_core.c - the tap inside the consumer: a shadow of the monitor ring
 * page, and the shared-memory stream to vmtrail-record.
 *
 * The consumer is handed a private copy of the ring page.  Requests reach
 * it only through vmt_tap_pull(), which copies each new slot from Xen's
 * page into the stream and then into the shadow; so every request the
 * consumer can see was captured first, and Xen cannot overwrite a slot the
 * tap has not read (a slot is reused only after its response was pushed,
 * which only vmt_tap_push() does).  Responses reach Xen only through
 * vmt_tap_push(), which copies each new response slot from the shadow into
 * the stream and into Xen's page before it publishes rsp_prod.  Neither
 * side ever writes into a slot the other has not finished with.
 *
 * A full stream never blocks: the request is counted as lost (sequence
 * range) and the ring keeps moving.  One mutex serializes pull and push,
 * for consumers that use the ring from several threads.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vmt/event.h"
#include "vmt/format.h"
#include "vmt/record.h"
#include "tap_core.h"
#include "tap_stream.h"

/* The four shared indices at the start of the ring page. */
struct sring_hdr {
	_Atomic uint32_t req_prod, req_event, rsp_prod, rsp_event;
};

/* A request handed to the consumer and not yet answered. */
struct pending {
	uint64_t seq;
	uint32_t vcpu;
	int used;
};

/* Sanitizer runtimes refuse RTLD_DEEPBIND; the target is then kept apart
 * only by RTLD_LOCAL and its absolute path. */
#if defined(__SANITIZE_ADDRESS__)
#define NO_DEEPBIND 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_DEEPBIND 1
#endif
#endif
#ifndef NO_DEEPBIND
#define NO_DEEPBIND 0
#endif

static struct {
	pthread_mutex_t mu;
	struct vmt_tap_shm *shm;   /* NULL: not under vmtrail-record */
	int evfd;
	uint64_t head;             /* producer position, published in batches */
	int active;                /* this process captures a ring */
	uint8_t *real, *shadow;
	uint32_t domid, esz;
	uint32_t req_moved, rsp_moved;
	uint64_t next_seq;
	struct pending out[VMT_RING_SLOTS];
	uint64_t loss_first, loss_count;  /* dropped, no LOSS record yet */
	int jump_noted;
	/* The consumer's batch: from the first pull that hands it requests
	 * to its next notify (one RING_STATS record). */
	int batch_open;
	uint32_t batch_occ, batch_n;
	uint64_t batch_t0;
	/* What the consumer's monitor calls switched on, for mon_domid. */
	struct vmt_monitors mon;
	uint32_t mon_domid;
	int mon_full_noted;
} T = { .mu = PTHREAD_MUTEX_INITIALIZER, .evfd = -1 };

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Map the stream vmtrail-record created; without it, forward only. */
__attribute__((constructor)) static void map_stream(void)
{
	const char *env = getenv(VMT_TAP_ENV_FD);
	int fd, evfd;
	struct stat st;

	if (!env || sscanf(env, "%d,%d", &fd, &evfd) != 2 || fstat(fd, &st) ||
	    (size_t)st.st_size < sizeof(struct vmt_tap_shm))
		return;
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return;
	struct vmt_tap_shm *s = p;
	if (s->magic != VMT_TAP_MAGIC || !s->wrap || s->wrap > s->cap ||
	    s->cap + sizeof(*s) > (uint64_t)st.st_size) {
		munmap(p, (size_t)st.st_size);
		return;
	}
	T.shm = s;
	T.evfd = evfd;
	/* The pages used while the parent keeps up are mapped now, not by a
	 * page fault each inside the consumer's ring loop (an older kernel
	 * without MADV_POPULATE_WRITE takes the faults instead). */
	(void)madvise(p, sizeof(*s) + s->wrap, MADV_POPULATE_WRITE);
}

void *vmt_tap_target(const char *env)
{
	const char *path = getenv(env);
	int deep = NO_DEEPBIND ? 0 : RTLD_DEEPBIND;
	void *h = path && path[0] == '/' ?
			  dlopen(path, RTLD_NOW | RTLD_LOCAL | deep) : NULL;

	if (!h) {
		fprintf(stderr, "vmtrail tap: cannot load the Xen library "
			"named by %s (%s): %s\n", env, path ? path : "unset",
			path ? dlerror() : "this library only works under "
			"vmtrail-record --tap");
		_exit(127);
	}
	return h;
}

void vmt_tap_forward(void *h, const char *const *names, void **fwd)
{
	for (size_t i = 0; names[i]; i++) {
		void *p = dlsym(h, names[i]);
		fwd[i] = p ? p : (void *)(uintptr_t)vmt_tap_missing;
	}
}

void vmt_tap_missing(void)
{
	static const char msg[] = "vmtrail tap: the consumer called a Xen "
				  "function the target library does not have\n";
	ssize_t n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)n;
	_exit(127);
}

/* ---- the stream (producer side) ----------------------------------------- */

/*
 * The parent looks at the stream every few milliseconds on its own; it is
 * woken only when a quarter of @wrap is in use, so that a fast
 * consumer makes no system call per batch and the parent wakes per
 * thousands of records, not per batch.
 */
static void publish(void)
{
	struct vmt_tap_shm *s = T.shm;

	atomic_store_explicit(&s->head, T.head, memory_order_release);
	/* Pairs with the parent's store of parent_waiting then load of head:
	 * one of the two sides sees the other's write. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&s->parent_waiting, memory_order_relaxed) &&
	    T.head - atomic_load_explicit(&s->tail, memory_order_relaxed) >=
		    vmt_tap_wake_bytes(s) &&
	    atomic_exchange(&s->parent_waiting, 0)) {
		uint64_t one = 1;
		ssize_t n = write(T.evfd, &one, sizeof(one));
		(void)n;  /* a full eventfd already wakes the parent */
	}
}

static uint8_t *reserve(uint16_t type, uint64_t seq, uint64_t ts,
			uint32_t size)
{
	struct vmt_tap_shm *s = T.shm;
	uint64_t cap = s->cap, need = sizeof(struct vmt_tap_rec) +
				      VMT_TAP_ALIGN(size);
	uint64_t tail = atomic_load_explicit(&s->tail, memory_order_acquire);
	uint64_t off = T.head & (cap - 1);
	uint64_t pad = cap - off < need ? cap - off : 0;

	/* Past @wrap, start over once the parent's unread records lie past
	 * the first @wrap bytes; starting over sooner would leave only the
	 * gap before them, and drop records while the area has room. */
	if (!pad && off >= s->wrap && T.head - tail + s->wrap <= off)
		pad = cap - off;

	if (T.head + pad + need - tail > cap)
		return NULL;
	if (pad >= sizeof(struct vmt_tap_rec)) {
		struct vmt_tap_rec p = { .type = VMT_TAP_PAD,
					 .size = (uint32_t)(pad - sizeof(p)) };
		memcpy(s->data + off, &p, sizeof(p));
	}
	T.head += pad;
	off = T.head & (cap - 1);
	struct vmt_tap_rec r = { .type = type, .size = size, .seq = seq,
				 .mono_ns = ts };
	memcpy(s->data + off, &r, sizeof(r));
	T.head += need;
	return s->data + off + sizeof(r);
}

/* The pending loss as a LOSS record, if there is room for it now. */
static int flush_loss(uint64_t ts)
{
	if (!T.loss_count)
		return 1;
	uint8_t *p = reserve(VMT_REC_LOSS, T.loss_first, ts, VMT_LOSS_SIZE);
	if (!p)
		return 0;
	struct vmt_loss l = { .first_seq = T.loss_first, .count = T.loss_count,
			      .cause = VMT_LOSS_BACKLOG };
	vmt_loss_put(p, &l);
	T.loss_count = 0;
	atomic_store(&T.shm->loss_count, 0);
	return 1;
}

static void note(const char *text)
{
	uint8_t *p = flush_loss(mono_ns()) ?
			     reserve(VMT_REC_NOTE, T.next_seq, mono_ns(),
				     (uint32_t)strlen(text)) : NULL;
	if (p)
		memcpy(p, text, strlen(text));
}

/* One ring entry into the stream; Return: 0 if there was no room. */
static int capture(uint16_t type, const uint8_t *slot, uint64_t seq,
		   uint64_t ts, _Atomic uint64_t *count)
{
	uint8_t *p = flush_loss(ts) ? reserve(type, seq, ts, T.esz) : NULL;

	if (!p)
		return 0;
	memcpy(p, slot, T.esz);
	atomic_fetch_add_explicit(count, 1, memory_order_relaxed);
	return 1;
}

static void capture_request(const uint8_t *slot, uint64_t seq, uint64_t ts)
{
	if (capture(VMT_REC_REQUEST, slot, seq, ts, &T.shm->captured_requests))
		return;
	if (!T.loss_count++)
		T.loss_first = seq;
	/* For the parent, should the consumer end before room returns. */
	atomic_store(&T.shm->loss_first, T.loss_first);
	atomic_store(&T.shm->loss_count, T.loss_count);
}

static void capture_response(const uint8_t *slot, uint64_t seq, uint64_t ts)
{
	if (!capture(VMT_REC_RESPONSE, slot, seq, ts, &T.shm->captured_responses))
		atomic_fetch_add(&T.shm->lost_responses, 1);
}

/* The batch the consumer just ended by notifying, as RING_STATS. */
static int close_batch(uint64_t ts)
{
	if (!T.batch_open)
		return 0;
	T.batch_open = 0;
	struct vmt_ring_stats st = { .occupancy = T.batch_occ,
				     .handled = T.batch_n,
				     .batch_ns = ts - T.batch_t0 };
	uint8_t *p = flush_loss(ts) ? reserve(VMT_REC_RING_STATS, T.next_seq,
					      ts, VMT_RING_STATS_SIZE) : NULL;
	if (p)
		vmt_ring_stats_put(p, &st);
	return 1;
}

/* The monitor set into the stream; the recorder turns it into text. */
static void send_monitors(void)
{
	uint64_t ts = mono_ns();
	uint8_t *p = flush_loss(ts) ? reserve(VMT_TAP_MONITORS, T.next_seq, ts,
					      sizeof(T.mon)) : NULL;
	if (p)
		memcpy(p, &T.mon, sizeof(T.mon));
}

/* ---- requests and responses --------------------------------------------- */

static uint8_t *slot(uint8_t *page, uint32_t idx)
{
	return page + VMT_RING_HDR + (idx & (VMT_RING_SLOTS - 1)) * T.esz;
}

static uint32_t vcpu_of(const uint8_t *s)
{
	uint32_t v;
	memcpy(&v, s + 12, sizeof(v));   /* same place in every version */
	return v;
}

static void remember(uint64_t seq, uint32_t vcpu)
{
	struct pending *oldest = &T.out[0];

	for (int i = 0; i < VMT_RING_SLOTS; i++) {
		if (!T.out[i].used) {
			T.out[i] = (struct pending){ seq, vcpu, 1 };
			return;
		}
		if (T.out[i].seq < oldest->seq)
			oldest = &T.out[i];
	}
	*oldest = (struct pending){ seq, vcpu, 1 };  /* a consumer's bug */
}

/*
 * The request a response answers: the oldest unanswered one of the same
 * vCPU (a vCPU has at most one paused request, and consumers answer a
 * vCPU's requests in order), else the oldest of all.
 */
static uint64_t answered_seq(uint32_t vcpu)
{
	struct pending *best = NULL;

	for (int i = 0; i < VMT_RING_SLOTS; i++) {
		struct pending *p = &T.out[i];
		if (!p->used)
			continue;
		int same = p->vcpu == vcpu, bsame = best && best->vcpu == vcpu;
		if (!best || (same && !bsame) ||
		    (same == bsame && p->seq < best->seq))
			best = p;
	}
	if (!best)
		return T.next_seq;
	best->used = 0;
	return best->seq;
}

static int capturing(void)
{
	return T.active && !atomic_load_explicit(&T.shm->stop,
						 memory_order_relaxed);
}

static void pull_locked(void)
{
	struct sring_hdr *x = (void *)T.real, *sh = (void *)T.shadow;
	uint32_t prod = atomic_load_explicit(&x->req_prod, memory_order_acquire);
	uint32_t n = prod - T.req_moved;
	int cap = capturing();
	uint64_t ts = mono_ns();

	if (n > VMT_RING_SLOTS) {
		/* A jumped producer index: hand it on as it is, so the
		 * consumer's own checks see what they would without us. */
		if (cap && !T.jump_noted++)
			note("tap: Xen's req_prod jumped past the ring; handed "
			     "to the consumer unchanged, nothing captured");
		n = 0;
	}
	if (n && !T.batch_open) {
		T.batch_open = 1;
		T.batch_occ = n;   /* what the ring held for the consumer */
		T.batch_n = 0;
		T.batch_t0 = ts;
	}
	T.batch_n += n;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *s = slot(T.real, T.req_moved + i);
		uint64_t seq = T.next_seq++;
		if (cap)
			capture_request(s, seq, ts);
		remember(seq, vcpu_of(s));
		memcpy(slot(T.shadow, T.req_moved + i), s, T.esz);
	}
	T.req_moved = prod;
	atomic_store_explicit(&sh->req_prod, prod, memory_order_release);
	/* Ask Xen for an event with the next request, as a consumer does. */
	atomic_store_explicit(&x->req_event, prod + 1, memory_order_release);
	atomic_store_explicit(&sh->rsp_event,
			      atomic_load_explicit(&x->rsp_event,
						   memory_order_acquire),
			      memory_order_relaxed);
	if (cap && n)
		publish();
}

static void push_locked(void)
{
	struct sring_hdr *x = (void *)T.real, *sh = (void *)T.shadow;
	uint32_t prod = atomic_load_explicit(&sh->rsp_prod, memory_order_acquire);
	uint32_t n = prod - T.rsp_moved;
	int cap = capturing();
	uint64_t ts = mono_ns();

	/* More than a ring's worth is the consumer's bug; Xen judges it
	 * from the index, which goes on unchanged. */
	if (n > VMT_RING_SLOTS)
		n = VMT_RING_SLOTS;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *s = slot(T.shadow, T.rsp_moved + i);
		memcpy(slot(T.real, T.rsp_moved + i), s, T.esz);
		uint64_t seq = answered_seq(vcpu_of(s));
		if (cap)
			capture_response(s, seq, ts);
	}
	T.rsp_moved = prod;
	atomic_store_explicit(&x->rsp_prod, prod, memory_order_release);
	int batch = cap ? close_batch(ts) : (T.batch_open = 0);
	if (cap && (n || batch))
		publish();
}

void vmt_tap_pull(void)
{
	pthread_mutex_lock(&T.mu);
	if (T.active)
		pull_locked();
	pthread_mutex_unlock(&T.mu);
}

void vmt_tap_push(void)
{
	pthread_mutex_lock(&T.mu);
	if (T.active)
		push_locked();
	pthread_mutex_unlock(&T.mu);
}

/* ---- attach / detach ------------------------------------------------------ */

/* One process of COMMAND's tree captures; it may enable again. */
static int claim(void)
{
	int32_t none = 0, me = (int32_t)getpid();
	return atomic_compare_exchange_strong(&T.shm->owner_pid, &none, me) ||
	       none == me;
}

static void announce(const struct vmt_tap_facts *f)
{
	struct vmt_tap_shm *s = T.shm;
	char msg[160];

	s->domid = f->domid;
	s->abi = f->abi;
	s->vcpus = f->vcpus;
	s->entry_size = T.esz;
	s->xen_major = f->xen_major;
	s->xen_minor = f->xen_minor;
	snprintf(s->xen_extra, sizeof(s->xen_extra), "%s",
		 f->xen_extra ? f->xen_extra : "");
	atomic_store_explicit(&s->attached, 1, memory_order_release);
	snprintf(msg, sizeof(msg), "tap: process %d enabled the monitor ring "
		 "of domain %u (vm_event ABI %u, %u vCPUs)", (int)getpid(),
		 f->domid, f->abi, f->vcpus);
	note(msg);
	if (T.mon_domid != f->domid)
		memset(&T.mon, 0, sizeof(T.mon));
	T.mon_domid = f->domid;
	send_monitors();   /* sources switched on before the ring */
	publish();
}

void *vmt_tap_attach(const struct vmt_tap_facts *f, void *page)
{
	size_t esz = vmt_abi_entry_size(f->abi);
	void *give = page;

	pthread_mutex_lock(&T.mu);
	if (!T.shm || T.active || !esz || !claim())
		goto out;
	uint8_t *sh = mmap(NULL, VMT_RING_PAGE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		goto out;
	struct sring_hdr *x = page;
	T.real = page;
	T.shadow = sh;
	T.esz = (uint32_t)esz;
	T.domid = f->domid;
	/* Whatever Xen already produced is pulled (and captured) later. */
	T.req_moved = T.rsp_moved = atomic_load(&x->rsp_prod);
	memcpy(sh, page, VMT_RING_HDR);
	atomic_store(&((struct sring_hdr *)(void *)sh)->req_prod, T.req_moved);
	T.active = 1;
	announce(f);
	give = sh;
out:
	pthread_mutex_unlock(&T.mu);
	return give;
}

void vmt_tap_detach(uint32_t domid)
{
	pthread_mutex_lock(&T.mu);
	if (T.active && T.domid == domid) {
		if (capturing())
			close_batch(mono_ns());
		T.batch_open = 0;
		T.active = 0;
		if (!atomic_load(&T.shm->stop))
			note("tap: the consumer disabled the monitor ring");
		publish();
		/* Xen's mapping is ours to drop; the shadow is the
		 * consumer's, which unmaps it as it would Xen's page. */
		munmap(T.real, VMT_RING_PAGE);
		T.real = T.shadow = NULL;
	}
	pthread_mutex_unlock(&T.mu);
}

/* ---- the consumer's monitors ---------------------------------------------- */

/*
 * Called after each monitor call that succeeded.  Calls for another domain
 * than the tapped ring's are not this trace's; before a ring is enabled,
 * the set is kept for the domain the calls name.
 */
static int mon_begin(uint32_t domid)
{
	pthread_mutex_lock(&T.mu);
	if (!T.shm || (T.active && domid != T.domid)) {
		pthread_mutex_unlock(&T.mu);
		return 0;
	}
	if (!T.active && domid != T.mon_domid) {
		memset(&T.mon, 0, sizeof(T.mon));
		T.mon_domid = domid;
	}
	return 1;
}

static void mon_end(void)
{
	if (capturing()) {
		send_monitors();
		publish();
	}
	pthread_mutex_unlock(&T.mu);
}

static void mon_full(const char *what)
{
	char msg[160];

	if (T.mon_full_noted++ || !capturing())
		return;
	snprintf(msg, sizeof(msg), "tap: the consumer set more %s than a "
		 "trace header holds; the monitor text lists the first ones",
		 what);
	note(msg);
}

void vmt_tap_mon_cr(uint32_t domid, unsigned index, int enable, int sync,
		    int onchangeonly)
{
	if (index >= 4 || !mon_begin(domid))
		return;
	T.mon.cr[index] = !enable ? VMT_MON_OFF :
			  sync ? VMT_MON_SYNC : VMT_MON_ASYNC;
	T.mon.cr_all[index] = enable && !onchangeonly;
	mon_end();
}

void vmt_tap_mon_kind(uint32_t domid, unsigned kind, int enable, int sync)
{
	if (kind >= VMT_MON_KIND_COUNT || !mon_begin(domid))
		return;
	T.mon.on[kind] = !enable ? VMT_MON_OFF :
			 sync ? VMT_MON_SYNC : VMT_MON_ASYNC;
	mon_end();
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

void vmt_tap_mon_msr(uint32_t domid, uint32_t msr, int enable)
{
	struct vmt_monitors *m = &T.mon;
	unsigned i = 0;

	if (!mon_begin(domid))
		return;
	while (i < m->n_msr && m->msr[i] != msr)
		i++;
	if (!enable && i < m->n_msr)
		m->msr[i] = m->msr[--m->n_msr];
	else if (enable && i == m->n_msr && m->n_msr < VMT_MON_MAX_MSR)
		m->msr[m->n_msr++] = msr;
	else if (enable && i == m->n_msr)
		mon_full("MSRs");
	qsort(m->msr, m->n_msr, sizeof(m->msr[0]), cmp_u32);
	mon_end();
}

static int cmp_range(const void *a, const void *b)
{
	const struct vmt_mem_range *x = a, *y = b;
	return (x->first > y->first) - (x->first < y->first);
}

/*
 * xenmem_access_t as the monitor text names it; -1: the guest keeps every
 * access (rwx, default).  rx2rw and n2rwx start as rx and n.
 */
static int mem_restriction(unsigned access)
{
	return access < 7 ? (int)access : access == 8 ? 5 : access == 9 ? 0 : -1;
}

void vmt_tap_mon_mem(uint32_t domid, unsigned access, uint64_t first,
		     uint32_t nr)
{
	struct vmt_mem_range out[2 * VMT_MON_MAX_MEM + 1];
	struct vmt_monitors *m = &T.mon;
	uint64_t last = first + nr - 1;
	unsigned n = 0;
	int acc = mem_restriction(access);

	if (!nr || last < first || !mon_begin(domid))
		return;
	/* [first, last] takes the new access: what overlaps it is cut. */
	for (unsigned i = 0; i < m->n_mem; i++) {
		struct vmt_mem_range r = m->mem[i];
		if (r.last < first || r.first > last) {
			out[n++] = r;
			continue;
		}
		if (r.first < first)
			out[n++] = (struct vmt_mem_range){ r.first, first - 1, r.access };
		if (r.last > last)
			out[n++] = (struct vmt_mem_range){ last + 1, r.last, r.access };
	}
	if (acc >= 0)
		out[n++] = (struct vmt_mem_range){ first, last, (uint32_t)acc };
	qsort(out, n, sizeof(out[0]), cmp_range);
	m->n_mem = 0;
	for (unsigned i = 0; i < n; i++) {
		struct vmt_mem_range *p = m->n_mem ? &m->mem[m->n_mem - 1] : NULL;
		if (p && p->access == out[i].access && p->last + 1 == out[i].first)
			p->last = out[i].last;   /* page by page is one range */
		else if (m->n_mem < VMT_MON_MAX_MEM)
			m->mem[m->n_mem++] = out[i];
		else
			mon_full("mem-access ranges");
	}
	mon_end();
}
