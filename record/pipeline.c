/*
 * pipeline.c - the chunk pool between the drain thread and the writer
 * thread.  All buffers are allocated at start; the drain fills one, hands
 * it over and takes a free one.  When none is free the drain waits: that
 * wait is the measured back-pressure, never a drop.  After a write error
 * the writer stops writing but keeps recycling buffers, so the drain can
 * still answer the ring while it tears down.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record_int.h"

int vmt_pipeline_init(struct vmt_pipeline *p, unsigned nbufs, size_t cap,
		      struct vmt_writer *w, int wake_fd)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond_free, NULL);
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
		p->freeq[i] = i;
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

static void write_one(struct vmt_pipeline *p, unsigned i)
{
	struct vmt_chunkbuf *c = &p->bufs[i];
	if (!p->write_error) {
		int rc = vmt_writer_put_chunk(p->writer, c);
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
		push(p->freeq, p->free_head, &p->free_n, p->nbufs, i);
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

struct vmt_chunkbuf *vmt_pipeline_get(struct vmt_pipeline *p, uint64_t *wait_ns)
{
	pthread_mutex_lock(&p->lock);
	if (!p->free_n) {
		uint64_t t = vmt_now_ns();
		while (!p->free_n)
			pthread_cond_wait(&p->cond_free, &p->lock);
		*wait_ns += vmt_now_ns() - t;
	}
	unsigned i = pop(p->freeq, &p->free_head, &p->free_n, p->nbufs);
	pthread_mutex_unlock(&p->lock);
	return &p->bufs[i];
}

void vmt_pipeline_put(struct vmt_pipeline *p, struct vmt_chunkbuf *c)
{
	unsigned i = (unsigned)(c - p->bufs);
	pthread_mutex_lock(&p->lock);
	if (c->nrec) {
		push(p->fullq, p->full_head, &p->full_n, p->nbufs, i);
		pthread_cond_signal(&p->cond_full);
	} else {
		push(p->freeq, p->free_head, &p->free_n, p->nbufs, i);
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
