/*
 * reader_int.h - the reader handle, shared by reader.c and recover.c only.
 */
#ifndef VMT_READER_INT_H
#define VMT_READER_INT_H

#include <zstd.h>

#include "format_int.h"

struct vmt_reader {
	const uint8_t *map;        /* the whole file (mmap) or caller buffer */
	uint64_t len;
	int mapped, strict;
	struct vmt_trace_info info;
	uint32_t hdr_len;
	struct vmt_run_summary sum;
	struct vmt_integrity integ;
	struct vmt_chunk_info *idx;
	uint32_t n, cap;
	uint8_t *counted;          /* per chunk: unknown records counted once */
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
};

/* Verify and decode chunk @i into r->cdata; marks it damaged on failure. */
int vmt_reader_load(struct vmt_reader *r, uint32_t i, struct vmt_chunk_hdr *h);

#endif
