/*
 * pipeline.c - the chunk pool between the drain thread and the writer
 * thread.  All buffers are allocated at start; the drain fills one, hands
 * it over and takes a free one.  When none is free the drain waits: that
 * wait is the measured back-pressure, bounded by --max-stall and by the
 * stop (then the drain answers without recording).  After a write error
 * the writer stops writing but keeps recycling buffers, so the drain can
 * still answer the ring while it tears down.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "record_int.h"

int vmt_pipeline_init(struct vmt_pipeline *p, unsigned nbufs, size_t cap,
		      struct vmt_writer *w, int wake_fd)
{
	memset(p, 0, sizeof(*p));
	pthread_condattr_t ca;

	pthread_mutex_init(&p->lock, NULL);
	/* The drain's timed waits are on the monotonic clock, as vmt_now_ns. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond_free, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&p->cond_full, NULL);
	p->inited = 1;
	p->bufs = calloc(nbufs, sizeof(*p->bufs));
	p->freeq = calloc(nbufs, sizeof(unsigned));
	p->fullq = calloc(nbufs, sizeof(unsigned));
	p->nreq = calloc(nbufs, sizeof(*p->nreq));
	if (!p->bufs || !p->freeq || !p->fullq || !p->nreq)
		return -ENOMEM;
	for (unsigned i = 0; i < nbufs; i++) {
		int rc = vmt_chunkbuf_init(&p->bufs[i], cap);
		if (rc)
			return rc;
		p->nbufs = i + 1;
		p->freeq[i] = nbufs - 1 - i;
	}
	p->free_n = nbufs;
	p->writer = w;
	p->wake_fd = wake_fd;
	return 0;
}

static unsigned pop(unsigned *q, unsigned *head, unsigned *n, unsigned cap)
{
	unsigned v = q[*head];
	*head = (*head + 1) % cap;
	(*n)--;
	return v;
}

static void push(unsigned *q, unsigned head, unsigned *n, unsigned cap,
		 unsigned v)
{
	q[(head + *n) % cap] = v;
	(*n)++;
}

/* After the stop, a disk that took longer than VMT_DISK_HANG_NS for one
 * write gets no more: what is queued is dropped and counted. */
static int disk_hangs(const struct vmt_pipeline *p)
{
	return p->stop_ns && p->last_write_ns > VMT_DISK_HANG_NS;
}

static void write_one(struct vmt_pipeline *p, unsigned i)
{
	struct vmt_chunkbuf *c = &p->bufs[i];
	if (!p->write_error && disk_hangs(p)) {
		p->dropped_chunks++;
		p->dropped_requests += p->nreq[i];
		p->lost_records += c->nrec;
	} else if (!p->write_error) {
		uint64_t t = vmt_now_ns();
		int rc = vmt_writer_put_chunk(p->writer, c);

		p->last_write_ns = vmt_now_ns() - t;
		if (rc) {
			p->write_error = rc;
			uint64_t one = 1;
			/* Tell the drain; it releases the guest first. */
			if (write(p->wake_fd, &one, sizeof(one)) < 0)
				vmt_log(VMT_LOG_DEBUG, "wake: %s", strerror(errno));
		} else {
			p->bytes_written = vmt_writer_bytes(p->writer);
			p->requests_written += p->nreq[i];
		}
	}
	if (p->write_error)
		p->lost_records += c->nrec;
	p->bytes_raw += c->len;
}

static void *writer_main(void *arg)
{
	struct vmt_pipeline *p = arg;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->full_n && !p->closing)
			pthread_cond_wait(&p->cond_full, &p->lock);
		if (!p->full_n)
			break;
		unsigned i = pop(p->fullq, &p->full_head, &p->full_n, p->nbufs);
		pthread_mutex_unlock(&p->lock);
		write_one(p, i);
		vmt_chunkbuf_reset(&p->bufs[i]);
		p->nreq[i] = 0;
		pthread_mutex_lock(&p->lock);
		p->freeq[p->free_n++] = i;
		pthread_cond_signal(&p->cond_free);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int vmt_pipeline_start(struct vmt_pipeline *p)
{
	int rc = pthread_create(&p->thread, NULL, writer_main, p);
	p->started = rc == 0;
	return -rc;
}

void vmt_pipeline_stopping(struct vmt_pipeline *p)
{
	uint64_t zero = 0;

	atomic_compare_exchange_strong(&p->stop_ns, &zero, vmt_now_ns());
}

/* The latest moment the drain may still wait for a buffer: 0 = never. */
static uint64_t wait_deadline(struct vmt_pipeline *p, uint64_t since)
{
	uint64_t d = p->max_wait_ns ? since + p->max_wait_ns : UINT64_MAX;

	if (p->running && atomic_load(p->running) != VMT_RUNNING)
		vmt_pipeline_stopping(p);
	if (p->stop_ns && d > p->stop_ns + VMT_STOP_WAIT_NS)
		d = p->stop_ns + VMT_STOP_WAIT_NS;
	return d;
}

/*
 * The stop is set from a signal handler, which cannot signal a condition
 * variable: the wait looks at it every POLL_NS, as the drain's own poll
 * does for its limits.
 */
#define POLL_NS 50000000ull

static void wait_free(struct vmt_pipeline *p, uint64_t since)
{
	uint64_t now = since, d;

	while (!p->free_n && now < (d = wait_deadline(p, since))) {
		uint64_t until = d - now > POLL_NS ? now + POLL_NS : d;
		struct timespec ts = { .tv_sec = (time_t)(until / 1000000000u),
				       .tv_nsec = (long)(until % 1000000000u) };

		pthread_cond_timedwait(&p->cond_free, &p->lock, &ts);
		now = vmt_now_ns();
	}
}

/* Free buffers are a stack: the one just written is taken again while its
 * pages are mapped and its lines cached, so a recorder that keeps up
 * touches two or three buffers instead of cycling through the pool. */
static struct vmt_chunkbuf *take(struct vmt_pipeline *p)
{
	return &p->bufs[p->freeq[--p->free_n]];
}

struct vmt_chunkbuf *vmt_pipeline_get(struct vmt_pipeline *p, uint64_t *wait_ns)
{
	struct vmt_chunkbuf *c = NULL;

	pthread_mutex_lock(&p->lock);
	if (!p->free_n) {
		uint64_t t = vmt_now_ns();
		p->drain_waiting = 1;
		wait_free(p, t);
		p->drain_waiting = 0;
		*wait_ns += vmt_now_ns() - t;
	}
	if (p->free_n)
		c = take(p);
	pthread_mutex_unlock(&p->lock);
	return c;
}

struct vmt_chunkbuf *vmt_pipeline_tryget(struct vmt_pipeline *p)
{
	struct vmt_chunkbuf *c = NULL;

	pthread_mutex_lock(&p->lock);
	if (p->free_n)
		c = take(p);
	pthread_mutex_unlock(&p->lock);
	return c;
}

void vmt_pipeline_put(struct vmt_pipeline *p, struct vmt_chunkbuf *c)
{
	unsigned i = (unsigned)(c - p->bufs);
	pthread_mutex_lock(&p->lock);
	if (c->nrec) {
		push(p->fullq, p->full_head, &p->full_n, p->nbufs, i);
		pthread_cond_signal(&p->cond_full);
	} else {
		p->freeq[p->free_n++] = i;
	}
	pthread_mutex_unlock(&p->lock);
}

void vmt_pipeline_finish(struct vmt_pipeline *p)
{
	if (!p->inited)
		return;
	pthread_mutex_lock(&p->lock);
	p->closing = 1;
	pthread_cond_signal(&p->cond_full);
	pthread_mutex_unlock(&p->lock);
	if (p->started)
		pthread_join(p->thread, NULL);
	p->started = 0;
}

void vmt_pipeline_free(struct vmt_pipeline *p)
{
	vmt_pipeline_finish(p);
	for (unsigned i = 0; i < p->nbufs; i++)
		vmt_chunkbuf_free(&p->bufs[i]);
	if (p->inited) {
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->cond_free);
		pthread_cond_destroy(&p->cond_full);
	}
	free(p->bufs);
	free(p->freeq);
	free(p->fullq);
	free(p->nreq);
	memset(p, 0, sizeof(*p));
}
