/*
 * tracegen.h - synthetic vmtrail traces of known content for the replay
 * tests and the replay benchmark, written with the format library.
 */
#ifndef VMT_TRACEGEN_H
#define VMT_TRACEGEN_H

#include <stdint.h>

#include "vmt/format.h"

struct tg_opts {
	uint32_t abi;          /* 1..7 */
	uint64_t nevents;
	uint32_t vcpus;
	uint64_t seed;         /* also gives the run UUID */
	uint32_t chunk_size;   /* 0: the writer's default */
	const char *labels;
	const char *phase_names; /* header PHASE_NAMES text, or NULL */
	int loss_at;           /* > 0: a LOSS of 3 requests before this event */
	uint64_t idle_at;      /* > 0: 5 s of silence before this event */
	int no_trailer;        /* abandon the writer: no trailer */
	uint32_t rsp_lag;      /* answer each request after this many more
				* requests, as a recorder draining a batch
				* does (at most TG_LAG_MAX; 0: at once) */
};

#define TG_LAG_MAX 64

/* One generated request as the trace holds it (decode(encode(x))). */
struct tg_event {
	uint64_t seq, ts;
	struct vmt_event ev;
	int has_rsp;
	uint64_t rsp_ts;
	struct vmt_event rsp;
};

struct tg_counts {
	uint64_t events, responses, markers, notes, ring_stats, lost;
	uint64_t per_reason[64];
};

/*
 * tg_write() - write a trace to @path
 * @out: nevents entries, or NULL (the benchmark's 10M events)
 * Return: 0 or a negative error of the writer.
 */
int tg_write(const char *path, const struct tg_opts *o, struct tg_event *out,
	     struct tg_counts *cnt);

#endif
