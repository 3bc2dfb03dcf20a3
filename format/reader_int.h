/*
 * reader_int.h - the reader handle, shared by reader.c and recover.c only.
 */
#ifndef VMT_READER_INT_H
#define VMT_READER_INT_H

#include <zstd.h>

#include "format_int.h"

/* What the first decode of a chunk learned. */
struct vmt_chunk_seen {
	uint8_t unknown_counted, classified, has_req;
	uint32_t keep_from;        /* payload offset of the first kept record */
	uint64_t req_hi;           /* its largest request seq */
};

struct vmt_reader {
	const uint8_t *map;        /* the whole file (mmap) or caller buffer */
	uint64_t len;
	int fd;                    /* during the open: chunk headers by pread(), or -1 */
	int mapped, strict;
	struct vmt_trace_info info;
	uint32_t hdr_len;
	struct vmt_run_summary sum;
	struct vmt_integrity integ;
	struct vmt_chunk_info *idx;
	uint32_t n, cap;
	struct vmt_chunk_seen *seen; /* per chunk, filled when first decoded */
	int partial;               /* scan stopped at a partial chunk */
	int trailer_seen;          /* a trailer exists, even if damaged */
	ZSTD_DCtx *dctx;
	uint8_t *ubuf;             /* decompressed chunk */
	size_t ucap;
	/* Iteration: the loaded chunk's records and the next chunk to load. */
	const uint8_t *cdata;
	size_t clen, pos;
	uint32_t next_chunk;
	int64_t last_chunk;
	/* Repeats (SPEC.md 10.4): every request below req_next was read in
	 * the chunks before order_next, in file order. */
	uint64_t end_says;         /* trailer offset a valid end marker names */
	int end_valid;
	uint32_t order_next;
	int req_known;
	uint64_t req_next;
};

/* Verify and decode chunk @i into r->cdata; marks it damaged on failure. */
int vmt_reader_load(struct vmt_reader *r, uint32_t i, struct vmt_chunk_hdr *h);

#endif
