/*
 * sort.c - fixed-size records sorted in bounded memory: runs of @cap
 * records sorted in memory and written to a temporary file, then merged
 * through one buffer shared by every run.  A diff sorts its p-values with
 * it for the Benjamini-Hochberg correction (compare.c), and a ClickHouse
 * load a run's counts (load_ch.c), so that neither holds anything as long
 * as the behaviours.  Records that fit in one run never touch the disk.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "analyze_int.h"

/* One sorted run in the file, read through its share of the buffer. */
struct vmt_an_sort_run {
	uint64_t at, end;          /* records of the file still to read */
	unsigned char *buf;
	size_t len, pos;
};

int vmt_an_sort_open(struct vmt_an_sort *s, size_t cap, size_t size,
		     int (*cmp)(const void *, const void *))
{
	memset(s, 0, sizeof(*s));
	s->cap = cap >= 2 ? cap : 2;
	s->size = size;
	s->cmp = cmp;
	s->buf = malloc(s->cap * size);
	return s->buf ? 0 : -ENOMEM;
}

static int write_run(struct vmt_an_sort *s)
{
	int err = s->f ? 0 : vmt_an_scratch(&s->f);

	if (err)
		return err;
	qsort(s->buf, s->len, s->size, s->cmp);
	if (fwrite(s->buf, s->size, s->len, s->f) != s->len)
		return -EIO;
	s->len = 0;
	return 0;
}

void vmt_an_sort_add(struct vmt_an_sort *s, const void *rec)
{
	if (s->err || (s->len == s->cap && (s->err = write_run(s))))
		return;
	memcpy(s->buf + s->len++ * s->size, rec, s->size);
	s->n++;
}

static void fill(struct vmt_an_sort *s, struct vmt_an_sort_run *r, size_t share)
{
	size_t want = r->end - r->at < share ? (size_t)(r->end - r->at) : share;

	r->pos = 0;
	r->len = 0;
	if (!want || s->err)
		return;
	if (fseeko(s->f, (off_t)(r->at * s->size), SEEK_SET) ||
	    fread(r->buf, s->size, want, s->f) != want) {
		s->err = -EIO;
		return;
	}
	r->at += want;
	r->len = want;
}

static int run_less(const struct vmt_an_sort *s, size_t a, size_t b)
{
	const struct vmt_an_sort_run *x = &s->run[a], *y = &s->run[b];

	return s->cmp(x->buf + x->pos * s->size, y->buf + y->pos * s->size) < 0;
}

static void sift_down(struct vmt_an_sort *s, size_t at)
{
	for (;;) {
		size_t l = 2 * at + 1, m = at, t;

		if (l < s->nheap && run_less(s, s->heap[l], s->heap[m]))
			m = l;
		if (l + 1 < s->nheap && run_less(s, s->heap[l + 1], s->heap[m]))
			m = l + 1;
		if (m == at)
			return;
		t = s->heap[at];
		s->heap[at] = s->heap[m];
		s->heap[m] = t;
		at = m;
	}
}

int vmt_an_sort_done(struct vmt_an_sort *s)
{
	size_t runs;

	if (s->err)
		return s->err;
	if (!s->f) {
		qsort(s->buf, s->len, s->size, s->cmp);
		return 0;
	}
	if (s->len && (s->err = write_run(s)))
		return s->err;
	runs = (size_t)((s->n + s->cap - 1) / s->cap);
	if (runs > s->cap) { /* each run reads one record at a time */
		unsigned char *b = realloc(s->buf, runs * s->size);

		if (!b)
			return s->err = -ENOMEM;
		s->buf = b;
	}
	s->share = s->cap / runs ? s->cap / runs : 1;
	s->run = calloc(runs, sizeof(*s->run));
	s->heap = malloc(runs * sizeof(*s->heap));
	if (!s->run || !s->heap)
		return s->err = -ENOMEM;
	for (size_t r = 0; r < runs; r++) {
		s->run[r] = (struct vmt_an_sort_run){ .at = r * s->cap, .buf = s->buf + r * s->share * s->size };
		s->run[r].end = s->run[r].at + s->cap < s->n ? s->run[r].at + s->cap : s->n;
		fill(s, &s->run[r], s->share);
		s->heap[s->nheap++] = r;
	}
	for (size_t i = s->nheap / 2; i-- > 0;)
		sift_down(s, i);
	return s->err;
}

int vmt_an_sort_next(struct vmt_an_sort *s, void *out)
{
	struct vmt_an_sort_run *r;

	if (s->err)
		return s->err;
	if (!s->f) {
		if (s->pos == s->len)
			return 0;
		memcpy(out, s->buf + s->pos++ * s->size, s->size);
		return 1;
	}
	if (!s->nheap)
		return 0;
	r = &s->run[s->heap[0]];
	memcpy(out, r->buf + r->pos++ * s->size, s->size);
	if (r->pos == r->len)
		fill(s, r, s->share);
	if (!r->len)
		s->heap[0] = s->heap[--s->nheap];
	sift_down(s, 0);
	return s->err ? s->err : 1;
}

void vmt_an_sort_close(struct vmt_an_sort *s)
{
	if (s->f)
		fclose(s->f);
	free(s->buf);
	free(s->run);
	free(s->heap);
	memset(s, 0, sizeof(*s));
}
