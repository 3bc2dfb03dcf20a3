/*
 * test_pipeline.c - the chunk pool between drain and writer: with far
 * fewer buffers than chunks, every record still reaches the file in order
 * (a full pool makes the producer wait, it never drops), and the counters
 * add up.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "record_int.h"

#define CHUNKS 300
#define PER_CHUNK 20

/* A running pool of @nbufs buffers of 8 KiB writing to a new file @path. */
static void pool_start(struct vmt_pipeline *p, unsigned nbufs, char *path,
		       struct vmt_writer **w, int *wake)
{
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	unlink(path);

	struct vmt_trace_info info = { .abi_version = 7, .req_size = 400,
				       .rsp_size = 400, .page_size = 4096 };
	cr_assert_eq(vmt_writer_open(w, path, &info, NULL), 0);
	*wake = eventfd(0, EFD_NONBLOCK);
	cr_assert_eq(vmt_pipeline_init(p, nbufs, 8192, *w, *wake), 0);
	cr_assert_eq(vmt_pipeline_start(p), 0);
}

Test(pipeline, small_pool_loses_nothing)
{
	char path[] = "/tmp/vmt-pipe-XXXXXX";
	struct vmt_writer *w;
	struct vmt_pipeline p;
	int wake;
	pool_start(&p, 2, path, &w, &wake);

	uint64_t waited = 0, seq = 0;
	uint8_t payload[300] = { 1, 2, 3 };
	for (int c = 0; c < CHUNKS; c++) {
		struct vmt_chunkbuf *b = vmt_pipeline_get(&p, &waited);
		for (int i = 0; i < PER_CHUNK; i++, seq++)
			cr_assert_eq(vmt_chunkbuf_append(b, VMT_REC_REQUEST, 0, seq,
							 seq * 10, payload,
							 sizeof(payload)), 0);
		vmt_pipeline_put(&p, b);
	}
	vmt_pipeline_finish(&p);
	cr_assert_eq(p.write_error, 0);
	cr_assert_eq(p.lost_records, 0);
	uint64_t raw = p.bytes_raw;
	cr_assert_eq(vmt_writer_close(w, NULL), 0);
	vmt_pipeline_free(&p);
	close(wake);

	struct vmt_reader *rd;
	struct vmt_record rec;
	cr_assert_eq(vmt_reader_open(&rd, path, NULL), 0);
	uint64_t n = 0;
	while (vmt_reader_next(rd, &rec) == 1) {
		cr_assert_eq(rec.seq, n, "record %llu has seq %llu",
			     (unsigned long long)n, (unsigned long long)rec.seq);
		n++;
	}
	cr_assert_eq(n, (uint64_t)CHUNKS * PER_CHUNK);
	cr_assert_eq(vmt_reader_integrity(rd)->chunks, CHUNKS);
	cr_assert_gt(raw, n * sizeof(payload));
	vmt_reader_close(rd);
	unlink(path);
}

static unsigned free_now(struct vmt_pipeline *p)
{
	pthread_mutex_lock(&p->lock);
	unsigned n = p->free_n;
	pthread_mutex_unlock(&p->lock);
	return n;
}

/* A recorder that keeps up gets back the buffer it just handed over (its
 * pages mapped, its lines cached), not the next one of the pool. */
Test(pipeline, keeping_up_reuses_one_buffer)
{
	char path[] = "/tmp/vmt-pipe-XXXXXX";
	struct vmt_writer *w;
	struct vmt_pipeline p;
	int wake;
	pool_start(&p, 8, path, &w, &wake);

	uint64_t waited = 0;
	uint8_t payload[300] = { 4, 5, 6 };
	struct vmt_chunkbuf *first = NULL;
	for (uint64_t c = 0; c < 20; c++) {
		struct vmt_chunkbuf *b = vmt_pipeline_get(&p, &waited);
		if (!first)
			first = b;
		cr_assert_eq(b, first, "chunk %llu went to another buffer",
			     (unsigned long long)c);
		cr_assert_eq(vmt_chunkbuf_append(b, VMT_REC_REQUEST, 0, c, c,
						 payload, sizeof(payload)), 0);
		vmt_pipeline_put(&p, b);
		while (free_now(&p) != 8)  /* the writer has taken it back */
			sched_yield();
	}
	vmt_pipeline_finish(&p);
	cr_assert_eq(p.write_error, 0);
	cr_assert_eq(vmt_writer_close(w, NULL), 0);
	vmt_pipeline_free(&p);
	close(wake);
	unlink(path);
}
