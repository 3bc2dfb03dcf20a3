/*
 * format_int.h - library-internal helpers of the trace file code: the
 * little-endian field accessors, CRC32C, and the encoders/decoders of each
 * structure in SPEC.md, shared by writer.c, reader.c and recover.c.  Never
 * installed, never included outside format/.
 */
#ifndef VMT_FORMAT_INT_H
#define VMT_FORMAT_INT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vmt/format.h"
#include "format_log.h"
#include "vmt_opts.h"
#include "vmt_le.h"

/* ---- little-endian fields (SPEC.md "Conventions") ---- */

static inline int vmt_all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Record payloads are padded to this boundary (SPEC.md "Records"). */
#define VMT_PAD(n) (((uint64_t)(n) + 7u) & ~(uint64_t)7u)

/* ---- CRC32C (Castagnoli), crc32c.c ---- */

uint32_t vmt_crc32c(uint32_t crc, const void *buf, size_t len);

/* Fuzzing builds accept any checksum so mutations reach the parsers. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define VMT_CRC_BAD(computed, stored) ((void)(computed), (void)(stored), 0)
#else
#define VMT_CRC_BAD(computed, stored) ((computed) != (stored))
#endif

/* ---- file header, header.c (SPEC.md "File header") ---- */

#define VMT_MAGIC_LEN 8
extern const uint8_t vmt_file_magic[VMT_MAGIC_LEN];
#define VMT_FHDR_FIXED 24          /* magic .. incompat_flags */
#define VMT_HEADER_MAX (1u << 20)  /* cap on header_len */
#define VMT_INCOMPAT_KNOWN 0u      /* incompat bits this reader understands */
#define VMT_TLV_HDR 8
#define VMT_TLV_CRITICAL 0x0001u   /* TLV flags: unknown type => reject */

/* Encoded header bytes, at most VMT_HEADER_MAX. */
int vmt_header_encode(const struct vmt_trace_info *info, uint8_t *out,
		      size_t cap);
/* Upper bound of vmt_header_encode()'s output for any info. */
size_t vmt_header_bound(void);
/*
 * Decode and validate a header at the start of @buf.
 * OUT: @info, @hdr_len (bytes the header spans), @unknown (skipped TLVs).
 */
int vmt_header_decode(const uint8_t *buf, uint64_t len,
		      struct vmt_trace_info *info, uint32_t *hdr_len,
		      uint32_t *unknown);

/* ---- chunks, chunk.c (SPEC.md "Chunks", "Records") ---- */

#define VMT_CHDR_LEN 64
#define VMT_REC_HDR 24
extern const uint8_t vmt_chunk_magic[4];

/* A chunk header as decoded: the index fields plus codec and CRC. */
struct vmt_chunk_hdr {
	uint32_t codec;
	uint32_t csize, usize, nrec, crc;
	uint64_t first_seq, last_seq, first_ts, last_ts;
};

void vmt_chunk_hdr_put(uint8_t out[VMT_CHDR_LEN], const struct vmt_chunk_hdr *h);
/* Magic, header CRC, reserved bytes and caps; never looks at the payload. */
int vmt_chunk_hdr_get(const uint8_t in[VMT_CHDR_LEN], struct vmt_chunk_hdr *h);

/*
 * Walk the records of an uncompressed payload: each call fills @rec and
 * advances *@pos; 1 = record, 0 = end, negative = malformed.
 */
int vmt_chunk_rec_next(const uint8_t *buf, size_t len, size_t *pos,
		       struct vmt_record *rec);

/*
 * Check an uncompressed payload against its header: record count, sizes,
 * seq/ts ranges, padding.  OUT: @unknown records of unknown type.
 */
int vmt_chunk_validate(const uint8_t *buf, size_t len,
		       const struct vmt_chunk_hdr *h, uint64_t *unknown);

/* Run-summary accumulation over records (shared by writer and reader). */
void vmt_summary_add(struct vmt_run_summary *s, const struct vmt_record *rec);

/* ---- trailer and end marker, trailer.c (SPEC.md "Trailer") ---- */

#define VMT_END_LEN 32
#define VMT_TIDX_LEN 56            /* one index entry */
#define VMT_TRAILER_FIXED 16

/* Bytes vmt_trailer_encode() needs for @n chunks. */
size_t vmt_trailer_size(uint32_t n);
/* Trailer then end marker into @out (vmt_trailer_size(n) + VMT_END_LEN). */
size_t vmt_trailer_encode(uint8_t *out, const struct vmt_chunk_info *idx,
			  uint32_t n, const struct vmt_run_summary *s,
			  uint64_t trailer_off);
/*
 * Find and decode the trailer from the end of @buf.  OUT: @trailer_off,
 * @n, a malloc'ed @idx, @s.  The index is checked for contiguity between
 * @body_start and the trailer.
 */
int vmt_trailer_decode(const uint8_t *buf, uint64_t len, uint64_t body_start,
		       uint64_t *trailer_off, struct vmt_chunk_info **idx,
		       uint32_t *n, struct vmt_run_summary *s);
/* Where the trailer at @toff ends with its end marker, from the trailer's
 * own sizes; 0 if that is past @len. */
uint64_t vmt_trailer_end(const uint8_t *buf, uint64_t len, uint64_t toff);
/* 0 if @buf ends with an end marker whose magic and CRC hold: *@toff is
 * the trailer offset it names (unchecked). */
int vmt_end_marker_target(const uint8_t *buf, uint64_t len, uint64_t *toff);
/* 1 if @p (with @avail bytes) starts with the trailer magic. */
int vmt_is_trailer_start(const uint8_t *p, uint64_t avail);

/* ---- writer internals used by recover.c ---- */

struct vmt_writer;
/* Append an already-encoded chunk (header + payload) verbatim. */
int vmt_writer_put_raw(struct vmt_writer *w, const uint8_t *chunk,
		       const struct vmt_chunk_hdr *h, const uint8_t *ubuf);

#endif
