/*
 * trailer.c - the trailer (chunk index + run summary) and the end marker
 * (SPEC.md "Trailer", "End marker").  The end marker sits at the very end
 * of the file so a reader finds the trailer without scanning; a file
 * without a valid one is incomplete and its index is rebuilt by reader.c.
 */
#include <stdlib.h>

#include "format_int.h"

static const uint8_t trailer_magic[4] = { 0x89, 'I', 'D', 'X' };
static const uint8_t end_magic[8] = { 0x89, 'E', 'N', 'D', '\r', '\n', 0x1a, '\n' };

/* Run-summary fields: on disk each is a TLV {type, flags 0, size 8, u64}. */
struct sum_field {
	uint16_t type;
	uint8_t width;             /* in struct vmt_run_summary: 4 or 8 */
	uint16_t off;
};
#define S8(t, m) { t, 8, offsetof(struct vmt_run_summary, m) }
#define S4(t, m) { t, 4, offsetof(struct vmt_run_summary, m) }
static const struct sum_field sum_table[] = {
	S8(1, records), S8(2, requests), S8(3, responses), S8(4, markers),
	S8(5, notes), S8(6, ring_stats), S8(7, lost), S8(8, first_seq),
	S8(9, last_seq), S8(10, first_ts), S8(11, last_ts), S8(12, duration_ns),
	S8(13, backpressure_ns), S8(14, max_occupancy), S8(15, batches),
	S4(16, end_cause),
};
#define SUM_N (sizeof(sum_table) / sizeof(sum_table[0]))
#define SUM_TLV 16

size_t vmt_trailer_size(uint32_t n)
{
	return VMT_TRAILER_FIXED + (size_t)n * VMT_TIDX_LEN + SUM_N * SUM_TLV + 4;
}

static uint64_t sum_read(const struct vmt_run_summary *s, const struct sum_field *f)
{
	const uint8_t *p = (const uint8_t *)s + f->off;
	uint32_t v32;
	uint64_t v64;

	if (f->width == 4) {
		memcpy(&v32, p, 4);
		return v32;
	}
	memcpy(&v64, p, 8);
	return v64;
}

static void sum_write(struct vmt_run_summary *s, const struct sum_field *f, uint64_t v)
{
	uint8_t *p = (uint8_t *)s + f->off;
	uint32_t v32 = (uint32_t)v;

	if (f->width == 4)
		memcpy(p, &v32, 4);
	else
		memcpy(p, &v, 8);
}

/*
 * Trailer: 0 magic[4] | 4 nchunks | 8 entry_len (56) | 12 summary_len
 * 16 entries[nchunks] | summary TLVs | crc32c of everything before.
 * Entry: 0 offset u64 | 8 nrec | 12 csize | 16 usize | 20 reserved
 * 24 first_seq | 32 last_seq | 40 first_ts | 48 last_ts.
 * End marker: 0 magic[8] | 8 trailer_off | 16 trailer_len | 24 reserved
 * 28 crc32c of bytes 0..27.
 */
size_t vmt_trailer_encode(uint8_t *out, const struct vmt_chunk_info *idx, uint32_t n,
			  const struct vmt_run_summary *s, uint64_t trailer_off)
{
	size_t tlen = vmt_trailer_size(n);
	uint8_t *p = out + VMT_TRAILER_FIXED, *end = out + tlen;

	memset(out, 0, tlen + VMT_END_LEN);
	memcpy(out, trailer_magic, 4);
	vmt_put32(out + 4, n);
	vmt_put32(out + 8, VMT_TIDX_LEN);
	vmt_put32(out + 12, SUM_N * SUM_TLV);
	for (uint32_t i = 0; i < n; i++, p += VMT_TIDX_LEN) {
		vmt_put64(p, idx[i].offset);
		vmt_put32(p + 8, idx[i].nrec);
		vmt_put32(p + 12, idx[i].csize);
		vmt_put32(p + 16, idx[i].usize);
		vmt_put64(p + 24, idx[i].first_seq);
		vmt_put64(p + 32, idx[i].last_seq);
		vmt_put64(p + 40, idx[i].first_ts);
		vmt_put64(p + 48, idx[i].last_ts);
	}
	for (size_t i = 0; i < SUM_N; i++, p += SUM_TLV) {
		vmt_put16(p, sum_table[i].type);
		vmt_put32(p + 4, 8);
		vmt_put64(p + 8, sum_read(s, &sum_table[i]));
	}
	vmt_put32(p, vmt_crc32c(0, out, tlen - 4));
	memcpy(end, end_magic, 8);
	vmt_put64(end + 8, trailer_off);
	vmt_put64(end + 16, tlen);
	vmt_put32(end + 28, vmt_crc32c(0, end, 28));
	return tlen + VMT_END_LEN;
}

int vmt_is_trailer_start(const uint8_t *p, uint64_t avail)
{
	return avail >= 4 && memcmp(p, trailer_magic, 4) == 0;
}

static int end_marker(const uint8_t *buf, uint64_t len, uint64_t body_start,
		      uint64_t *toff, uint64_t *tlen)
{
	const uint8_t *e;

	VMT_RETURN_IF(len < body_start || len - body_start < VMT_END_LEN, -VMT_E_TRUNCATED);
	e = buf + len - VMT_END_LEN;
	VMT_RETURN_IF(memcmp(e, end_magic, 8), -VMT_E_TRUNCATED);
	VMT_RETURN_IF(VMT_CRC_BAD(vmt_crc32c(0, e, 28), vmt_get32(e + 28)), -VMT_E_CHECKSUM);
	VMT_RETURN_IF(vmt_get32(e + 24), -VMT_E_CORRUPT);
	*toff = vmt_get64(e + 8);
	*tlen = vmt_get64(e + 16);
	VMT_RETURN_IF(*toff < body_start || *toff > len - VMT_END_LEN, -VMT_E_CORRUPT);
	VMT_RETURN_IF(*tlen != len - VMT_END_LEN - *toff, -VMT_E_CORRUPT);
	VMT_RETURN_IF(*tlen < VMT_TRAILER_FIXED + 4, -VMT_E_CORRUPT);
	return 0;
}

int vmt_end_marker_target(const uint8_t *buf, uint64_t len, uint64_t *toff)
{
	const uint8_t *e = buf + len - VMT_END_LEN;

	VMT_RETURN_IF(len < VMT_END_LEN || memcmp(e, end_magic, 8), -VMT_E_TRUNCATED);
	VMT_RETURN_IF(VMT_CRC_BAD(vmt_crc32c(0, e, 28), vmt_get32(e + 28)), -VMT_E_CHECKSUM);
	*toff = vmt_get64(e + 8);
	return 0;
}

uint64_t vmt_trailer_end(const uint8_t *buf, uint64_t len, uint64_t toff)
{
	const uint8_t *t = buf + toff;
	uint64_t tlen;

	if (toff > len || len - toff < VMT_TRAILER_FIXED)
		return 0;
	tlen = (uint64_t)vmt_get32(t + 4) * vmt_get32(t + 8) + vmt_get32(t + 12) +
	       VMT_TRAILER_FIXED + 4;
	if (tlen > len - toff || len - toff - tlen < VMT_END_LEN)
		return 0;
	return toff + tlen + VMT_END_LEN;
}

static int trailer_index(const uint8_t *p, uint32_t n, uint32_t elen, uint64_t body_start,
			 uint64_t toff, struct vmt_chunk_info *idx)
{
	uint64_t expect = body_start;

	for (uint32_t i = 0; i < n; i++, p += elen) {
		struct vmt_chunk_info *c = &idx[i];

		c->offset = vmt_get64(p);
		c->nrec = vmt_get32(p + 8);
		c->csize = vmt_get32(p + 12);
		c->usize = vmt_get32(p + 16);
		c->first_seq = vmt_get64(p + 24);
		c->last_seq = vmt_get64(p + 32);
		c->first_ts = vmt_get64(p + 40);
		c->last_ts = vmt_get64(p + 48);
		c->status = 0;
		VMT_RETURN_IF(vmt_get32(p + 20), -VMT_E_CORRUPT);
		/* Chunks tile the body exactly: no gaps, no overlaps. */
		VMT_RETURN_IF(c->offset != expect, -VMT_E_CORRUPT);
		VMT_RETURN_IF(toff - expect < VMT_CHDR_LEN ||
			      toff - expect - VMT_CHDR_LEN < c->csize, -VMT_E_CORRUPT);
		expect += VMT_CHDR_LEN + (uint64_t)c->csize;
	}
	VMT_RETURN_IF(expect != toff, -VMT_E_CORRUPT);
	return 0;
}

static int trailer_summary(const uint8_t *p, uint64_t len, struct vmt_run_summary *s)
{
	uint64_t pos = 0;

	memset(s, 0, sizeof(*s));
	while (pos < len) {
		VMT_RETURN_IF(len - pos < VMT_TLV_HDR, -VMT_E_CORRUPT);
		uint16_t type = vmt_get16(p + pos);
		uint32_t size = vmt_get32(p + pos + 4);

		pos += VMT_TLV_HDR;
		VMT_RETURN_IF(size > len - pos, -VMT_E_CORRUPT);
		for (size_t i = 0; i < SUM_N; i++) {
			if (sum_table[i].type != type)
				continue;
			VMT_RETURN_IF(size != 8, -VMT_E_CORRUPT);
			sum_write(s, &sum_table[i], vmt_get64(p + pos));
		}
		pos += size;
	}
	s->from_trailer = 1;
	return 0;
}

int vmt_trailer_decode(const uint8_t *buf, uint64_t len, uint64_t body_start,
		       uint64_t *trailer_off, struct vmt_chunk_info **idx, uint32_t *n,
		       struct vmt_run_summary *s)
{
	uint64_t toff, tlen, slen;
	const uint8_t *t;
	uint32_t elen;
	int err;

	*idx = NULL;
	*n = 0;
	err = end_marker(buf, len, body_start, &toff, &tlen);
	if (err)
		return err;
	/* Even if the trailer is bad, the body ends where it starts. */
	*trailer_off = toff;
	t = buf + toff;
	VMT_RETURN_IF(memcmp(t, trailer_magic, 4), -VMT_E_MAGIC);
	VMT_RETURN_IF(VMT_CRC_BAD(vmt_crc32c(0, t, tlen - 4), vmt_get32(t + tlen - 4)), -VMT_E_CHECKSUM);
	elen = vmt_get32(t + 8);
	slen = vmt_get32(t + 12);
	VMT_RETURN_IF(elen < VMT_TIDX_LEN, -VMT_E_CORRUPT);
	VMT_RETURN_IF((uint64_t)vmt_get32(t + 4) * elen + slen + VMT_TRAILER_FIXED + 4 != tlen,
		      -VMT_E_CORRUPT);
	*n = vmt_get32(t + 4);
	*idx = calloc(*n ? *n : 1, sizeof(**idx));
	if (!*idx)
		return -ENOMEM;
	err = trailer_index(t + VMT_TRAILER_FIXED, *n, elen, body_start, toff, *idx);
	if (!err)
		err = trailer_summary(t + VMT_TRAILER_FIXED + (uint64_t)*n * elen, slen, s);
	if (err) {
		free(*idx);
		*idx = NULL;
		*n = 0;
		return err;
	}
	return 0;
}
