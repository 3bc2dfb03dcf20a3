/*
 * bench_trace_stats.c - the figures the recorder benchmark takes from a
 * trace it recorded: records, requests, file bytes per request, and the
 * recorder's own dequeue-to-response time per request (RESPONSE ts minus
 * REQUEST ts of the same seq: the part of a synchronous event's pause the
 * recorder adds between taking the slot and answering it), as p50 / p99 /
 * max / mean.  One line of key=value pairs for the shell to parse.
 *
 *   bench_trace_stats TRACE
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "vmt/format.h"

#define WINDOW 4096   /* requests whose response may still be pending */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static uint64_t req_ts[WINDOW], req_seq[WINDOW];
	struct vmt_reader *r;
	struct vmt_record rec;
	struct stat st;
	uint32_t *lat = NULL;
	size_t nlat = 0, cap = 0;
	uint64_t req = 0, rsp = 0, recs = 0, batches = 0, handled = 0;
	double lat_sum = 0;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_trace_stats TRACE\n");
		return 2;
	}
	rc = vmt_reader_open(&r, argv[1], NULL);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], vmt_strerror(rc));
		return 1;
	}
	while ((rc = vmt_reader_next(r, &rec)) == 1) {
		recs++;
		if (rec.type == VMT_REC_REQUEST) {
			req++;
			req_ts[rec.seq % WINDOW] = rec.ts_ns;
			req_seq[rec.seq % WINDOW] = rec.seq;
		} else if (rec.type == VMT_REC_RESPONSE) {
			rsp++;
			if (req_seq[rec.seq % WINDOW] != rec.seq || req == 0)
				continue;
			if (nlat == cap) {
				cap = cap ? 2 * cap : 1 << 16;
				lat = realloc(lat, cap * sizeof(*lat));
				if (!lat)
					return 1;
			}
			uint64_t d = rec.ts_ns - req_ts[rec.seq % WINDOW];
			lat[nlat++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
			lat_sum += (double)d;
		} else if (rec.type == VMT_REC_RING_STATS) {
			struct vmt_ring_stats s;
			if (vmt_ring_stats_get(&rec, &s) == 0) {
				batches++;
				handled += s.handled;
			}
		}
	}
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], vmt_strerror(rc));
		return 1;
	}
	const struct vmt_integrity *in = vmt_reader_integrity(r);
	qsort(lat, nlat, sizeof(*lat), cmp_u32);
	stat(argv[1], &st);
#define PCT(q) (nlat ? lat[(size_t)((double)nlat * (q))] : 0)
	printf("records=%llu requests=%llu responses=%llu bytes=%lld "
	       "bytes_per_event=%.1f lat_p50_ns=%u lat_p90_ns=%u lat_p99_ns=%u "
	       "lat_p999_ns=%u lat_max_ns=%u "
	       "lat_mean_ns=%.0f batches=%llu per_batch=%.2f complete=%d\n",
	       (unsigned long long)recs, (unsigned long long)req,
	       (unsigned long long)rsp, (long long)st.st_size,
	       req ? (double)st.st_size / (double)req : 0,
	       PCT(0.5), PCT(0.9), PCT(0.99), PCT(0.999), nlat ? lat[nlat - 1] : 0, nlat ? lat_sum / (double)nlat : 0,
	       (unsigned long long)batches,
	       batches ? (double)handled / (double)batches : 0, in->complete);
	free(lat);
	vmt_reader_close(r);
	return 0;
}
