/*
 * gen_repeat.c - a trace whose chunks overlap, for repeats.sh: the records
 * of a complete trace IN rewritten as three chunks, the second of which
 * starts back at request N/4 although the first ran to request N/2.
 *   vmt_gen_repeat IN OUT
 * Prints the number of records the second chunk repeats (those before
 * request N/2 in it) and the repeated request range "FIRST LAST".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmt/format.h"

struct rec {
	struct vmt_record r;
	uint8_t *data;
};

static struct rec *slurp(struct vmt_reader *rd, size_t *n)
{
	struct vmt_record r;
	struct rec *v = NULL;
	size_t cap = 0;

	*n = 0;
	while (vmt_reader_next(rd, &r) == 1) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 4096;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				exit(1);
		}
		v[*n].r = r;
		v[*n].data = malloc(r.size ? r.size : 1);
		if (!v[*n].data)
			exit(1);
		memcpy(v[*n].data, r.data, r.size);
		(*n)++;
	}
	return v;
}

/* Index of the record of request @seq. */
static size_t req_at(const struct rec *v, size_t n, uint64_t seq)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].r.type == VMT_REC_REQUEST && v[i].r.seq == seq)
			return i;
	fprintf(stderr, "no request %llu\n", (unsigned long long)seq);
	exit(1);
}

static int put(struct vmt_writer *w, const struct rec *v, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		int err = vmt_writer_append(w, v[i].r.type, v[i].r.flags, v[i].r.seq,
					    v[i].r.ts_ns, v[i].data, v[i].r.size);
		if (err)
			return err;
	}
	return vmt_writer_flush(w);
}

int main(int argc, char **argv)
{
	VMT_OPTS(vmt_writer_opts, wo, .chunk_size = 64 << 20);
	struct vmt_run_summary sum;
	struct vmt_reader *rd;
	struct vmt_writer *w;
	uint64_t nreq;
	size_t n, q1, q2, q3;
	struct rec *v;
	int err;

	if (argc != 3) {
		fprintf(stderr, "usage: %s IN OUT\n", argv[0]);
		return 2;
	}
	err = vmt_reader_open(&rd, argv[1], NULL);
	if (err) {
		fprintf(stderr, "%s: %s\n", argv[1], vmt_strerror(err));
		return 1;
	}
	v = slurp(rd, &n);
	nreq = vmt_reader_summary(rd)->requests;
	sum = *vmt_reader_summary(rd);
	q1 = req_at(v, n, nreq / 4);
	q2 = req_at(v, n, nreq / 2);
	q3 = req_at(v, n, nreq * 3 / 4);
	err = vmt_writer_open(&w, argv[2], vmt_reader_info(rd), &wo);
	if (!err)
		err = put(w, v, 0, q2);
	if (!err)
		err = put(w, v, q1, q3);
	if (!err)
		err = put(w, v, q3, n);
	if (!err)
		err = vmt_writer_close(w, &sum);
	vmt_reader_close(rd);
	if (err) {
		fprintf(stderr, "%s: %s\n", argv[2], vmt_strerror(err));
		return 1;
	}
	printf("%zu %llu %llu\n", q2 - q1, (unsigned long long)(nreq / 4),
	       (unsigned long long)(nreq / 2 - 1));
	for (size_t i = 0; i < n; i++)
		free(v[i].data);
	free(v);
	return 0;
}
