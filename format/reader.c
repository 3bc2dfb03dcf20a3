/*
 * reader.c - the trace reader (SPEC.md "Reading", "Recovery"): header
 * validation, the chunk index from the trailer or rebuilt by scanning,
 * lazy chunk verification and decompression, record iteration and seeking.
 * Every offset and size is checked against the bytes present, in 64-bit
 * arithmetic, before it is used; one DCtx and one growing buffer (capped
 * by VMT_CHUNK_MAX) serve every chunk.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "format_int.h"
#include "reader_int.h"

/* @err 0: damaged in part (repeats), the chunk is still read. */
static void reader_damage(struct vmt_reader *r, uint32_t i, int err)
{
	struct vmt_chunk_info *c = &r->idx[i];

	if (c->status)
		return;
	c->status = err;
	r->integ.damaged++;
	if (r->integ.first_damaged < 0 || i < r->integ.first_damaged)
		r->integ.first_damaged = i;
}

static int reader_index_add(struct vmt_reader *r, const struct vmt_chunk_info *c)
{
	if (r->n == r->cap) {
		uint32_t cap = r->cap ? r->cap * 2 : 64;
		struct vmt_chunk_info *p = realloc(r->idx, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		r->idx = p;
		r->cap = cap;
	}
	r->idx[r->n++] = *c;
	return 0;
}

static int reader_grow(struct vmt_reader *r, size_t need)
{
	size_t cap = r->ucap ? r->ucap : 65536;
	uint8_t *p;

	if (need <= r->ucap)
		return 0;
	while (cap < need)
		cap *= 2;
	cap = cap > VMT_CHUNK_MAX ? VMT_CHUNK_MAX : cap;
	p = realloc(r->ubuf, cap);
	if (!p)
		return -ENOMEM;
	r->ubuf = p;
	r->ucap = cap;
	return 0;
}

/* Decode chunk @i's payload into r->cdata after checking its CRC. */
static int chunk_decode(struct vmt_reader *r, uint32_t i, struct vmt_chunk_hdr *h)
{
	const struct vmt_chunk_info *c = &r->idx[i];
	const uint8_t *payload = r->map + c->offset + VMT_CHDR_LEN;
	uint64_t unknown;
	int err = vmt_chunk_hdr_get(r->map + c->offset, h);

	if (err)
		return err;
	VMT_RETURN_IF(VMT_CRC_BAD(vmt_crc32c(0, payload, h->csize), h->crc), -VMT_E_CHECKSUM);
	if (h->codec == VMT_CODEC_NONE) {
		r->cdata = payload;
	} else {
		size_t k;

		/* One frame that declares usize: checked before allocating. */
		VMT_RETURN_IF(ZSTD_getFrameContentSize(payload, h->csize) != h->usize,
			      -VMT_E_CORRUPT);
		VMT_RETURN_IF(ZSTD_findFrameCompressedSize(payload, h->csize) != h->csize,
			      -VMT_E_CORRUPT);
		err = reader_grow(r, h->usize);
		if (err)
			return err;
		k = ZSTD_decompressDCtx(r->dctx, r->ubuf, h->usize, payload, h->csize);
		VMT_RETURN_IF(ZSTD_isError(k) || k != h->usize, -VMT_E_CORRUPT);
		r->cdata = r->ubuf;
	}
	r->clen = h->usize;
	err = vmt_chunk_validate(r->cdata, r->clen, h, &unknown);
	if (err)
		return err;
	if (!r->seen[i].unknown_counted) {
		r->seen[i].unknown_counted = 1;
		r->integ.unknown_records += unknown;
	}
	return 0;
}

/*
 * Requests are numbered in the order they were read from the ring, so in a
 * sound file each request's seq is above every earlier one.  A chunk whose
 * requests were already read (a copied or overlapping chunk) repeats them:
 * its records before the first new request are skipped, the whole chunk
 * when nothing in it is new.
 */
static void chunk_classify(struct vmt_reader *r, uint32_t i)
{
	struct vmt_chunk_seen *s = &r->seen[i];
	struct vmt_chunk_info *c = &r->idx[i];
	struct vmt_record rec;
	size_t pos = 0, at = 0;
	uint32_t before = 0;
	int keep = -1;

	s->classified = 1;
	while (vmt_chunk_rec_next(r->cdata, r->clen, &pos, &rec) == 1) {
		if (rec.type == VMT_REC_REQUEST) {
			s->req_hi = !s->has_req || rec.seq > s->req_hi ? rec.seq : s->req_hi;
			s->has_req = 1;
			if (keep < 0 && r->req_known && rec.seq < r->req_next) {
				c->repeat_first = c->repeated ? c->repeat_first : rec.seq;
				c->repeat_last = rec.seq;
				c->repeated = 1;
			} else if (keep < 0) {
				keep = 1;
				s->keep_from = (uint32_t)at;
			}
		}
		before += keep < 0;
		at = pos;
	}
	if (!c->repeated) {
		s->keep_from = 0;
		return;
	}
	c->repeated = keep < 0 ? c->nrec : before;
	r->integ.repeated += c->repeated;
	if (keep >= 0)
		reader_damage(r, i, 0);
}

/* Classify chunk @i if it is the next in file order; -VMT_E_REPEAT if
 * every request in it is a repeat. */
static int chunk_order(struct vmt_reader *r, uint32_t i)
{
	struct vmt_chunk_seen *s = &r->seen[i];

	if (i == 0) {
		r->order_next = 0;
		r->req_known = 0;
	}
	if (i != r->order_next)
		return 0;
	r->order_next = i + 1;
	if (!s->classified)
		chunk_classify(r, i);
	if (r->idx[i].repeated == r->idx[i].nrec && r->idx[i].repeated)
		return -VMT_E_REPEAT;
	if (s->has_req && (!r->req_known || s->req_hi >= r->req_next)) {
		r->req_next = s->req_hi + 1;
		r->req_known = s->req_hi != UINT64_MAX;
	}
	return 0;
}

int vmt_reader_load(struct vmt_reader *r, uint32_t i, struct vmt_chunk_hdr *h)
{
	int err;

	r->cdata = NULL;
	r->pos = 0;
	r->last_chunk = i;
	if (r->idx[i].status) {
		r->order_next += i == r->order_next;
		return r->idx[i].status;
	}
	err = chunk_decode(r, i, h);
	if (!err)
		err = chunk_order(r, i);
	else
		r->order_next += i == r->order_next;
	if (err) {
		r->cdata = NULL;
		if (err != -ENOMEM)
			reader_damage(r, i, err);
		return err;
	}
	r->pos = r->seen[i].keep_from;
	return 0;
}

/* Load the next chunk in file order: 1 loaded, 0 at the end, <0 error. */
static int reader_advance(struct vmt_reader *r)
{
	struct vmt_chunk_hdr h;

	while (r->next_chunk < r->n) {
		int err = vmt_reader_load(r, r->next_chunk, &h);

		if (err == -ENOMEM)
			return err;
		if (err && r->strict)
			return -VMT_E_DAMAGED;
		r->next_chunk++;
		if (!err)
			return 1;
	}
	return 0;
}

/* Unknown record types are skipped here (and were counted at load). */
static int rec_known(const struct vmt_record *rec)
{
	return rec->type >= VMT_REC_REQUEST && rec->type <= VMT_REC_LOSS;
}

int vmt_reader_next(struct vmt_reader *r, struct vmt_record *rec)
{
	for (;;) {
		int ret = r->cdata ? vmt_chunk_rec_next(r->cdata, r->clen, &r->pos, rec) : 0;

		if (ret == 1 && rec_known(rec))
			return 1;
		if (ret == 1)
			continue;
		ret = reader_advance(r);
		if (ret <= 0)
			return ret;
	}
}

/* Position before the first record whose key (seq or ts) is >= @v. */
static int reader_seek(struct vmt_reader *r, int by_ts, uint64_t v)
{
	uint32_t i = 0;
	int ret;

	while (i < r->n && (by_ts ? r->idx[i].last_ts : r->idx[i].last_seq) < v)
		i++;
	r->next_chunk = i;
	r->cdata = NULL;
	/* Repeats of requests before @i cannot be told from here on. */
	r->order_next = i;
	r->req_known = 0;
	while ((ret = reader_advance(r)) == 1) {
		struct vmt_record rec;
		size_t save = r->pos;

		while (vmt_chunk_rec_next(r->cdata, r->clen, &r->pos, &rec) == 1) {
			if (rec_known(&rec) && (by_ts ? rec.ts_ns : rec.seq) >= v) {
				r->pos = save;
				return 0;
			}
			save = r->pos;
		}
	}
	r->cdata = NULL;
	return ret;
}

int vmt_reader_seek_seq(struct vmt_reader *r, uint64_t seq)
{
	return reader_seek(r, 0, seq);
}

int vmt_reader_seek_ts(struct vmt_reader *r, uint64_t ts_ns)
{
	return reader_seek(r, 1, ts_ns);
}

/* Trailer index: each chunk header must repeat its index entry. */
/*
 * The chunk header at @pos: read with pread() when the open has the file
 * (vmt_reader_open_fd), else in the buffer.  Reading a mapped file's
 * headers through the mapping would map in, around each of them, the
 * pages of the file the page cache holds (fault-around): most of a cached
 * trace, for a scan that needs 64 bytes a chunk.
 */
static const uint8_t *hdr_at(const struct vmt_reader *r, uint64_t pos,
			     uint8_t buf[VMT_CHDR_LEN])
{
	if (r->fd >= 0 && pos + VMT_CHDR_LEN <= r->len &&
	    pread(r->fd, buf, VMT_CHDR_LEN, (off_t)pos) == VMT_CHDR_LEN)
		return buf;
	return r->map + pos;
}

static void reader_check_headers(struct vmt_reader *r)
{
	for (uint32_t i = 0; i < r->n; i++) {
		struct vmt_chunk_info *c = &r->idx[i];
		struct vmt_chunk_hdr h;
		uint8_t buf[VMT_CHDR_LEN];
		int err = vmt_chunk_hdr_get(hdr_at(r, c->offset, buf), &h);

		if (!err && (h.csize != c->csize || h.usize != c->usize || h.nrec != c->nrec ||
			     h.first_seq != c->first_seq || h.last_seq != c->last_seq ||
			     h.first_ts != c->first_ts || h.last_ts != c->last_ts))
			err = -VMT_E_CORRUPT;
		if (err)
			reader_damage(r, i, err);
	}
}

/*
 * Next offset after @pos holding a chunk header that verifies or the
 * trailer magic (both start with 0x89), or @end.
 */
static uint64_t reader_resync(const struct vmt_reader *r, uint64_t pos, uint64_t end)
{
	struct vmt_chunk_hdr h;

	for (pos++; pos < end; pos++) {
		const uint8_t *p = memchr(r->map + pos, vmt_chunk_magic[0], end - pos);

		if (!p)
			return end;
		pos = (uint64_t)(p - r->map);
		if (vmt_is_trailer_start(p, end - pos))
			return pos;
		if (end - pos >= VMT_CHDR_LEN && vmt_chunk_hdr_get(p, &h) == 0)
			return pos;
	}
	return end;
}

static int scan_add(struct vmt_reader *r, uint64_t pos, const struct vmt_chunk_hdr *h)
{
	struct vmt_chunk_info c = { .offset = pos };

	if (h) {
		c.nrec = h->nrec;
		c.csize = h->csize;
		c.usize = h->usize;
		c.first_seq = h->first_seq;
		c.last_seq = h->last_seq;
		c.first_ts = h->first_ts;
		c.last_ts = h->last_ts;
	}
	return reader_index_add(r, &c);
}

/*
 * Rebuild the index by walking chunk headers from the end of the file
 * header to @end (the trailer if the end marker survived, else EOF).
 */
static int reader_scan(struct vmt_reader *r, uint64_t end)
{
	uint64_t pos = r->hdr_len;
	struct vmt_chunk_hdr h;
	uint8_t buf[VMT_CHDR_LEN];
	int err;

	while (pos < end) {
		uint64_t left = end - pos, next;

		if (left >= VMT_CHDR_LEN &&
		    vmt_chunk_hdr_get(hdr_at(r, pos, buf), &h) == 0) {
			if (h.csize > left - VMT_CHDR_LEN) {
				r->partial = 1;
				break;
			}
			err = scan_add(r, pos, &h);
			if (err)
				return err;
			pos += VMT_CHDR_LEN + (uint64_t)h.csize;
			continue;
		}
		if (vmt_is_trailer_start(r->map + pos, left)) {
			r->trailer_seen = 1;
			r->integ.trailer_offset = pos;
			break;
		}
		next = reader_resync(r, pos, end);
		/* Garbage up to EOF is a cut; up to a known trailer, damage. */
		if (next == end && !r->trailer_seen) {
			r->partial = 1;
			break;
		}
		/* The bytes up to the next good header were one chunk. */
		err = scan_add(r, pos, NULL);
		if (err)
			return err;
		reader_damage(r, r->n - 1, -VMT_E_CORRUPT);
		if (next - pos >= VMT_CHDR_LEN)
			r->idx[r->n - 1].csize = (uint32_t)(next - pos - VMT_CHDR_LEN);
		pos = next;
	}
	if (!r->trailer_seen && end == r->len)
		r->integ.cut_offset = pos;
	return 0;
}

/* Without a trailer the summary is counted from the chunks themselves. */
static int reader_rebuild_summary(struct vmt_reader *r)
{
	struct vmt_record rec;
	int ret;

	memset(&r->sum, 0, sizeof(r->sum));
	while ((ret = vmt_reader_next(r, &rec)) == 1)
		vmt_summary_add(&r->sum, &rec);
	r->next_chunk = 0;
	r->cdata = NULL;
	r->last_chunk = -1;
	return ret;
}

static void reader_use_trailer(struct vmt_reader *r)
{
	r->cap = r->n;
	r->integ.complete = 1;
	r->integ.trailer_status = 0;
	reader_check_headers(r);
}

/*
 * Bytes appended to a complete trace hide its end marker: the scan then
 * meets the trailer, which is used if it and the end marker its sizes
 * point to are intact.  What follows is counted, not taken for a cut.
 */
static int reader_trailing(struct vmt_reader *r)
{
	uint64_t toff = r->integ.trailer_offset, at = 0;
	uint64_t end = vmt_trailer_end(r->map, r->len, toff);
	struct vmt_chunk_info *idx;
	struct vmt_run_summary sum;
	uint32_t n;
	int err;

	if (!r->trailer_seen || !end || end == r->len)
		return 0;
	err = vmt_trailer_decode(r->map, end, r->hdr_len, &at, &idx, &n, &sum);
	if (err)
		return err == -ENOMEM ? err : 0;
	free(r->idx);
	r->idx = idx;
	r->n = n;
	r->sum = sum;
	r->integ.damaged = 0;
	r->integ.first_damaged = -1;
	r->integ.trailing_bytes = r->len - end;
	reader_use_trailer(r);
	return 0;
}

static int reader_index(struct vmt_reader *r)
{
	uint64_t toff = 0;
	int err = vmt_trailer_decode(r->map, r->len, r->hdr_len, &toff, &r->idx, &r->n,
				     &r->sum);

	if (err == -ENOMEM)
		return err;
	if (!err) {
		r->integ.trailer_offset = toff;
		reader_use_trailer(r);
		return 0;
	}
	r->integ.trailer_status = err;
	r->end_valid = vmt_end_marker_target(r->map, r->len, &r->end_says) == 0;
	if (r->strict)
		return -VMT_E_DAMAGED;
	/* A valid end marker still says where the body ends. */
	r->trailer_seen = toff != 0;
	r->integ.trailer_offset = toff;
	err = reader_scan(r, toff ? toff : r->len);
	return err ? err : reader_trailing(r);
}

static int reader_init(struct vmt_reader *r, const struct vmt_reader_opts *opts)
{
	struct vmt_reader_opts o;
	uint32_t unknown = 0;
	int err;

	if (VMT_OPTS_COPY(&o, opts))
		return -EINVAL;
	r->strict = o.strict;
	r->integ.first_damaged = -1;
	r->integ.file_size = r->len;
	r->last_chunk = -1;
	err = vmt_header_decode(r->map, r->len, &r->info, &r->hdr_len, &unknown);
	if (err)
		return err;
	r->integ.unknown_meta = unknown;
	r->dctx = ZSTD_createDCtx();
	if (!r->dctx)
		return -ENOMEM;
	err = reader_index(r);
	if (err)
		return err;
	r->integ.chunks = r->n;
	r->seen = calloc(r->n ? r->n : 1, sizeof(*r->seen));
	if (!r->seen)
		return -ENOMEM;
	if (!r->integ.complete)
		return reader_rebuild_summary(r);
	return 0;
}

/* vmt_reader_open_mem(), with the chunk headers read from @fd when it is
 * not -1 (hdr_at). */
static int reader_open(struct vmt_reader **out, const void *buf, size_t len,
		       int fd, const struct vmt_reader_opts *opts)
{
	struct vmt_reader *r = calloc(1, sizeof(*r));
	int err;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->map = buf;
	r->len = buf ? len : 0;
	r->fd = fd;
	err = reader_init(r, opts);
	r->fd = -1;
	if (err) {
		vmt_reader_close(r);
		return err;
	}
	*out = r;
	return 0;
}

int vmt_reader_open_mem(struct vmt_reader **out, const void *buf, size_t len,
			const struct vmt_reader_opts *opts)
{
	return reader_open(out, buf, len, -1, opts);
}

int vmt_reader_open_fd(struct vmt_reader **out, int fd, const void *map,
		       size_t len, const struct vmt_reader_opts *opts)
{
	return reader_open(out, map, len, fd, opts);
}

int vmt_reader_open(struct vmt_reader **out, const char *path,
		    const struct vmt_reader_opts *opts)
{
	struct vmt_reader *r;
	struct stat st;
	void *map = NULL;
	int fd, err;

	*out = NULL;
	/* O_NONBLOCK: opening a FIFO would wait for a writer; it is refused
	 * below like every other non-regular file.  No effect on files. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = S_ISREG(st.st_mode) ? -errno : -EINVAL;
		close(fd);
		return err;
	}
	if (st.st_size > 0) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			err = -errno;
			close(fd);
			return err;
		}
	}
	err = reader_open(&r, map, (size_t)st.st_size, fd, opts);
	close(fd);
	if (err) {
		if (map)
			munmap(map, (size_t)st.st_size);
		return err;
	}
	r->mapped = map != NULL;
	*out = r;
	return 0;
}

void vmt_reader_close(struct vmt_reader *r)
{
	if (!r)
		return;
	if (r->mapped)
		munmap((void *)r->map, r->len);
	ZSTD_freeDCtx(r->dctx);
	free(r->ubuf);
	free(r->idx);
	free(r->seen);
	free(r);
}

const struct vmt_trace_info *vmt_reader_info(const struct vmt_reader *r)
{
	return &r->info;
}

const struct vmt_run_summary *vmt_reader_summary(const struct vmt_reader *r)
{
	return &r->sum;
}

const struct vmt_integrity *vmt_reader_integrity(const struct vmt_reader *r)
{
	return &r->integ;
}

uint32_t vmt_reader_chunk_count(const struct vmt_reader *r)
{
	return r->n;
}

const struct vmt_chunk_info *vmt_reader_chunk(const struct vmt_reader *r, uint32_t i)
{
	return i < r->n ? &r->idx[i] : NULL;
}

int64_t vmt_reader_last_chunk(const struct vmt_reader *r)
{
	return r->last_chunk;
}
