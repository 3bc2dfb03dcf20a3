/*
 * chunk.c - chunk buffers, chunk headers and the records inside a chunk
 * (SPEC.md "Chunks", "Records", "Fixed record payloads").  The chunk
 * buffer never allocates after vmt_chunkbuf_init(), so the recorder's drain
 * thread can fill it straight from the ring.
 */
#include <stdlib.h>

#include "format_int.h"

const uint8_t vmt_chunk_magic[4] = { 0x89, 'C', 'H', 'K' };

int vmt_chunkbuf_init(struct vmt_chunkbuf *c, size_t cap)
{
	memset(c, 0, sizeof(*c));
	if (cap < VMT_REC_HDR || cap > VMT_CHUNK_MAX)
		return -EINVAL;
	c->buf = malloc(cap);
	if (!c->buf)
		return -ENOMEM;
	c->cap = cap;
	return 0;
}

void vmt_chunkbuf_free(struct vmt_chunkbuf *c)
{
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

void vmt_chunkbuf_reset(struct vmt_chunkbuf *c)
{
	c->len = 0;
	c->nrec = 0;
	c->first_seq = c->last_seq = c->first_ts = c->last_ts = 0;
}

int vmt_chunkbuf_fits(const struct vmt_chunkbuf *c, uint32_t size, unsigned n)
{
	return (VMT_REC_HDR + VMT_PAD(size)) * n <= c->cap - c->len;
}

uint8_t *vmt_chunkbuf_reserve(struct vmt_chunkbuf *c, uint16_t type, uint16_t flags,
			      uint64_t seq, uint64_t ts_ns, uint32_t size)
{
	uint64_t need = VMT_REC_HDR + VMT_PAD(size);
	uint8_t *p;

	if (need > c->cap - c->len)
		return NULL;
	p = c->buf + c->len;
	vmt_put16(p, type);
	vmt_put16(p + 2, flags);
	vmt_put32(p + 4, size);
	vmt_put64(p + 8, seq);
	vmt_put64(p + 16, ts_ns);
	/* Padding is zero so identical records give identical bytes. */
	memset(p + VMT_REC_HDR + size, 0, VMT_PAD(size) - size);
	if (c->nrec == 0) {
		c->first_seq = c->last_seq = seq;
		c->first_ts = c->last_ts = ts_ns;
	}
	/* The chunk header carries ranges, not endpoints: responses and
	 * markers may carry a seq or ts below an earlier record's. */
	c->first_seq = seq < c->first_seq ? seq : c->first_seq;
	c->last_seq = seq > c->last_seq ? seq : c->last_seq;
	c->first_ts = ts_ns < c->first_ts ? ts_ns : c->first_ts;
	c->last_ts = ts_ns > c->last_ts ? ts_ns : c->last_ts;
	c->nrec++;
	c->len += need;
	return p + VMT_REC_HDR;
}

int vmt_chunkbuf_append(struct vmt_chunkbuf *c, uint16_t type, uint16_t flags,
			uint64_t seq, uint64_t ts_ns, const void *data, uint32_t size)
{
	uint8_t *p = vmt_chunkbuf_reserve(c, type, flags, seq, ts_ns, size);

	if (!p)
		return -ENOSPC;
	if (size)
		memcpy(p, data, size);
	return 0;
}

/*
 * Chunk header, 64 bytes (SPEC.md "Chunks"):
 *  0 magic[4] | 4 codec u8 | 5 reserved[3] | 8 csize | 12 usize | 16 nrec
 * 20 payload crc32c | 24 first_seq | 32 last_seq | 40 first_ts | 48 last_ts
 * 56 reserved u32 | 60 crc32c of bytes 0..59
 */
void vmt_chunk_hdr_put(uint8_t out[VMT_CHDR_LEN], const struct vmt_chunk_hdr *h)
{
	memset(out, 0, VMT_CHDR_LEN);
	memcpy(out, vmt_chunk_magic, 4);
	out[4] = (uint8_t)h->codec;
	vmt_put32(out + 8, h->csize);
	vmt_put32(out + 12, h->usize);
	vmt_put32(out + 16, h->nrec);
	vmt_put32(out + 20, h->crc);
	vmt_put64(out + 24, h->first_seq);
	vmt_put64(out + 32, h->last_seq);
	vmt_put64(out + 40, h->first_ts);
	vmt_put64(out + 48, h->last_ts);
	vmt_put32(out + 60, vmt_crc32c(0, out, 60));
}

int vmt_chunk_hdr_get(const uint8_t in[VMT_CHDR_LEN], struct vmt_chunk_hdr *h)
{
	VMT_RETURN_IF(memcmp(in, vmt_chunk_magic, 4), -VMT_E_MAGIC);
	VMT_RETURN_IF(VMT_CRC_BAD(vmt_crc32c(0, in, 60), vmt_get32(in + 60)), -VMT_E_CHECKSUM);
	VMT_RETURN_IF(!vmt_all_zero(in + 5, 3) || vmt_get32(in + 56), -VMT_E_CORRUPT);
	h->codec = in[4];
	h->csize = vmt_get32(in + 8);
	h->usize = vmt_get32(in + 12);
	h->nrec = vmt_get32(in + 16);
	h->crc = vmt_get32(in + 20);
	h->first_seq = vmt_get64(in + 24);
	h->last_seq = vmt_get64(in + 32);
	h->first_ts = vmt_get64(in + 40);
	h->last_ts = vmt_get64(in + 48);
	VMT_RETURN_IF(h->codec != VMT_CODEC_ZSTD && h->codec != VMT_CODEC_NONE,
		      -VMT_E_INCOMPAT);
	VMT_RETURN_IF(h->csize > VMT_CHUNK_MAX + (VMT_CHUNK_MAX >> 7) + 4096, -VMT_E_TOOBIG);
	VMT_RETURN_IF(h->usize > VMT_CHUNK_MAX, -VMT_E_TOOBIG);
	VMT_RETURN_IF(h->codec == VMT_CODEC_NONE && h->csize != h->usize, -VMT_E_CORRUPT);
	VMT_RETURN_IF(h->nrec == 0 || h->nrec > h->usize / VMT_REC_HDR, -VMT_E_CORRUPT);
	VMT_RETURN_IF(h->first_seq > h->last_seq || h->first_ts > h->last_ts,
		      -VMT_E_CORRUPT);
	return 0;
}

int vmt_chunk_rec_next(const uint8_t *buf, size_t len, size_t *pos,
		       struct vmt_record *rec)
{
	const uint8_t *p = buf + *pos;
	size_t left = len - *pos;

	if (left == 0)
		return 0;
	VMT_RETURN_IF(left < VMT_REC_HDR, -VMT_E_CORRUPT);
	rec->type = vmt_get16(p);
	rec->flags = vmt_get16(p + 2);
	rec->size = vmt_get32(p + 4);
	rec->seq = vmt_get64(p + 8);
	rec->ts_ns = vmt_get64(p + 16);
	rec->data = p + VMT_REC_HDR;
	VMT_RETURN_IF(VMT_PAD(rec->size) > left - VMT_REC_HDR, -VMT_E_CORRUPT);
	*pos += VMT_REC_HDR + VMT_PAD(rec->size);
	return 1;
}

static int rec_known(uint16_t type)
{
	return type >= VMT_REC_REQUEST && type <= VMT_REC_LOSS;
}

int vmt_chunk_validate(const uint8_t *buf, size_t len, const struct vmt_chunk_hdr *h,
		       uint64_t *unknown)
{
	uint64_t smin = UINT64_MAX, smax = 0, tmin = UINT64_MAX, tmax = 0;
	struct vmt_record rec;
	uint32_t n = 0;
	size_t pos = 0;
	int ret;

	*unknown = 0;
	while ((ret = vmt_chunk_rec_next(buf, len, &pos, &rec)) == 1) {
		VMT_RETURN_IF(!vmt_all_zero(rec.data + rec.size, VMT_PAD(rec.size) - rec.size),
			      -VMT_E_CORRUPT);
		smin = rec.seq < smin ? rec.seq : smin;
		smax = rec.seq > smax ? rec.seq : smax;
		tmin = rec.ts_ns < tmin ? rec.ts_ns : tmin;
		tmax = rec.ts_ns > tmax ? rec.ts_ns : tmax;
		*unknown += !rec_known(rec.type);
		n++;
	}
	if (ret < 0)
		return ret;
	VMT_RETURN_IF(n != h->nrec, -VMT_E_CORRUPT);
	VMT_RETURN_IF(smin != h->first_seq || smax != h->last_seq, -VMT_E_CORRUPT);
	VMT_RETURN_IF(tmin != h->first_ts || tmax != h->last_ts, -VMT_E_CORRUPT);
	return 0;
}

void vmt_summary_add(struct vmt_run_summary *s, const struct vmt_record *rec)
{
	struct vmt_ring_stats rs;
	struct vmt_loss loss;

	if (!rec_known(rec->type))
		return;
	if (s->records == 0) {
		s->first_seq = s->last_seq = rec->seq;
		s->first_ts = s->last_ts = rec->ts_ns;
	}
	s->records++;
	s->first_seq = rec->seq < s->first_seq ? rec->seq : s->first_seq;
	s->last_seq = rec->seq > s->last_seq ? rec->seq : s->last_seq;
	s->first_ts = rec->ts_ns < s->first_ts ? rec->ts_ns : s->first_ts;
	s->last_ts = rec->ts_ns > s->last_ts ? rec->ts_ns : s->last_ts;
	switch (rec->type) {
	case VMT_REC_REQUEST: s->requests++; break;
	case VMT_REC_RESPONSE: s->responses++; break;
	case VMT_REC_MARKER: s->markers++; break;
	case VMT_REC_NOTE: s->notes++; break;
	case VMT_REC_RING_STATS:
		s->ring_stats++;
		s->batches++;
		if (vmt_ring_stats_get(rec, &rs) == 0) {
			s->backpressure_ns += rs.backpressure_ns;
			if (rs.occupancy > s->max_occupancy)
				s->max_occupancy = rs.occupancy;
		}
		break;
	case VMT_REC_LOSS:
		if (vmt_loss_get(rec, &loss) == 0)
			s->lost += loss.count;
		break;
	}
}

/* RING_STATS payload: 0 occupancy u32 | 4 handled u32 | 8 batch_ns | 16 backpressure_ns */
void vmt_ring_stats_put(uint8_t out[VMT_RING_STATS_SIZE], const struct vmt_ring_stats *s)
{
	vmt_put32(out, s->occupancy);
	vmt_put32(out + 4, s->handled);
	vmt_put64(out + 8, s->batch_ns);
	vmt_put64(out + 16, s->backpressure_ns);
}

/* A longer payload is a newer minor version's: the known prefix is read. */
int vmt_ring_stats_get(const struct vmt_record *r, struct vmt_ring_stats *s)
{
	VMT_RETURN_IF(r->type != VMT_REC_RING_STATS, -EINVAL);
	VMT_RETURN_IF(r->size < VMT_RING_STATS_SIZE, -VMT_E_CORRUPT);
	s->occupancy = vmt_get32(r->data);
	s->handled = vmt_get32(r->data + 4);
	s->batch_ns = vmt_get64(r->data + 8);
	s->backpressure_ns = vmt_get64(r->data + 16);
	return 0;
}

/* LOSS payload: 0 first_seq u64 | 8 count u64 | 16 cause u32 */
void vmt_loss_put(uint8_t out[VMT_LOSS_SIZE], const struct vmt_loss *l)
{
	vmt_put64(out, l->first_seq);
	vmt_put64(out + 8, l->count);
	vmt_put32(out + 16, l->cause);
}

int vmt_loss_get(const struct vmt_record *r, struct vmt_loss *l)
{
	VMT_RETURN_IF(r->type != VMT_REC_LOSS, -EINVAL);
	VMT_RETURN_IF(r->size < VMT_LOSS_SIZE, -VMT_E_CORRUPT);
	l->first_seq = vmt_get64(r->data);
	l->count = vmt_get64(r->data + 8);
	l->cause = vmt_get32(r->data + 16);
	return 0;
}
