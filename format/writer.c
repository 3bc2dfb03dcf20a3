/*
 * writer.c - the trace writer (SPEC.md "Writing", "File header", "Chunks",
 * "Trailer"): header at open, one compressed chunk per full chunk buffer,
 * trailer and end marker at close.  After open it only allocates when a
 * chunk larger than any before arrives or the index doubles, never per
 * chunk.  Every chunk goes to the file with pwrite loops at a known
 * offset; a failed write is cut back off so earlier chunks stay intact.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <zstd.h>

#include "format_int.h"

struct vmt_writer {
	int fd;
	int level, fsync;
	uint32_t codec;
	uint64_t off;              /* end of the last intact structure */
	ZSTD_CCtx *cctx;
	uint8_t *cbuf;             /* chunk header + compressed payload */
	size_t ccap;
	struct vmt_chunkbuf own;   /* for vmt_writer_append() */
	struct vmt_chunk_info *idx;
	uint32_t n, idx_cap;
	struct vmt_run_summary sum;
};

static int pwrite_all(int fd, const uint8_t *p, size_t len, uint64_t off)
{
	while (len) {
		ssize_t k = pwrite(fd, p, len, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -EIO;
		p += k;
		len -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

/* Write @p then @q (may be empty) at the end; on failure cut the file
 * back so no partial chunk stays.  Two pieces, so that an uncompressed
 * payload goes to the file from the caller's buffer, not through a copy. */
static int writer_emit2(struct vmt_writer *w, const uint8_t *p, size_t len,
			const uint8_t *q, size_t qlen)
{
	int err = pwrite_all(w->fd, p, len, w->off);

	if (!err && qlen)
		err = pwrite_all(w->fd, q, qlen, w->off + len);
	len += qlen;
	if (err) {
		if (ftruncate(w->fd, (off_t)w->off) < 0)
			vmt_log(VMT_LOG_WARN, "cannot cut partial chunk: %s", vmt_strerror(-errno));
		return err;
	}
	if (w->fsync && fsync(w->fd) < 0)
		return -errno;
	__atomic_store_n(&w->off, w->off + len, __ATOMIC_RELEASE);
	return 0;
}

static int writer_emit(struct vmt_writer *w, const uint8_t *p, size_t len)
{
	return writer_emit2(w, p, len, NULL, 0);
}

static int writer_reserve(struct vmt_writer *w, size_t usize)
{
	size_t need = VMT_CHDR_LEN + ZSTD_compressBound(usize);
	uint8_t *p;

	if (need <= w->ccap)
		return 0;
	p = realloc(w->cbuf, need);
	if (!p)
		return -ENOMEM;
	w->cbuf = p;
	w->ccap = need;
	return 0;
}

static int writer_index_room(struct vmt_writer *w)
{
	struct vmt_chunk_info *c;
	uint32_t cap;

	if (w->n < w->idx_cap)
		return 0;
	cap = w->idx_cap ? w->idx_cap * 2 : 256;
	c = realloc(w->idx, cap * sizeof(*c));
	if (!c)
		return -ENOMEM;
	w->idx = c;
	w->idx_cap = cap;
	return 0;
}

static void writer_count(struct vmt_writer *w, const uint8_t *buf, size_t len)
{
	struct vmt_record rec;
	size_t pos = 0;

	while (vmt_chunk_rec_next(buf, len, &pos, &rec) == 1)
		vmt_summary_add(&w->sum, &rec);
}

/* Index room first, so a chunk on disk is always in the index. */
static int writer_commit(struct vmt_writer *w, const uint8_t *chunk,
			 const uint8_t *payload, const struct vmt_chunk_hdr *h,
			 const uint8_t *ubuf)
{
	uint64_t at = w->off;
	int err = writer_index_room(w);

	if (!err && payload)
		err = writer_emit2(w, chunk, VMT_CHDR_LEN, payload, h->csize);
	else if (!err)
		err = writer_emit(w, chunk, VMT_CHDR_LEN + (size_t)h->csize);
	if (err)
		return err;
	w->idx[w->n++] = (struct vmt_chunk_info){
		.offset = at, .nrec = h->nrec, .csize = h->csize, .usize = h->usize,
		.first_seq = h->first_seq, .last_seq = h->last_seq,
		.first_ts = h->first_ts, .last_ts = h->last_ts,
	};
	writer_count(w, ubuf, h->usize);
	return 0;
}

int vmt_writer_put_chunk(struct vmt_writer *w, const struct vmt_chunkbuf *c)
{
	struct vmt_chunk_hdr h = {
		.codec = w->codec, .usize = (uint32_t)c->len, .nrec = c->nrec,
		.first_seq = c->first_seq, .last_seq = c->last_seq,
		.first_ts = c->first_ts, .last_ts = c->last_ts,
	};
	int err;

	if (c->nrec == 0)
		return 0;
	if (c->len > VMT_CHUNK_MAX)
		return -VMT_E_TOOBIG;
	if (w->codec == VMT_CODEC_NONE) {
		h.csize = (uint32_t)c->len;
		h.crc = vmt_crc32c(0, c->buf, c->len);
		vmt_chunk_hdr_put(w->cbuf, &h);
		return writer_commit(w, w->cbuf, c->buf, &h, c->buf);
	}
	err = writer_reserve(w, c->len);
	if (err)
		return err;
	size_t k = ZSTD_compressCCtx(w->cctx, w->cbuf + VMT_CHDR_LEN,
				     w->ccap - VMT_CHDR_LEN, c->buf, c->len, w->level);
	if (ZSTD_isError(k))
		return -ENOMEM;
	h.csize = (uint32_t)k;
	h.crc = vmt_crc32c(0, w->cbuf + VMT_CHDR_LEN, h.csize);
	vmt_chunk_hdr_put(w->cbuf, &h);
	return writer_commit(w, w->cbuf, NULL, &h, c->buf);
}

int vmt_writer_put_raw(struct vmt_writer *w, const uint8_t *chunk,
		       const struct vmt_chunk_hdr *h, const uint8_t *ubuf)
{
	return writer_commit(w, chunk, NULL, h, ubuf);
}

int vmt_writer_flush(struct vmt_writer *w)
{
	int err = vmt_writer_put_chunk(w, &w->own);

	if (!err)
		vmt_chunkbuf_reset(&w->own);
	return err;
}

int vmt_writer_append(struct vmt_writer *w, uint16_t type, uint16_t flags, uint64_t seq,
		      uint64_t ts_ns, const void *data, uint32_t size)
{
	int err = vmt_chunkbuf_append(&w->own, type, flags, seq, ts_ns, data, size);

	if (err != -ENOSPC)
		return err;
	if (w->own.nrec == 0)
		return -VMT_E_TOOBIG;
	err = vmt_writer_flush(w);
	if (err)
		return err;
	err = vmt_chunkbuf_append(&w->own, type, flags, seq, ts_ns, data, size);
	return err == -ENOSPC ? -VMT_E_TOOBIG : err;
}

uint64_t vmt_writer_bytes(const struct vmt_writer *w)
{
	return __atomic_load_n(&w->off, __ATOMIC_ACQUIRE);
}

static void writer_free(struct vmt_writer *w)
{
	ZSTD_freeCCtx(w->cctx);
	free(w->cbuf);
	free(w->idx);
	vmt_chunkbuf_free(&w->own);
	free(w);
}

/* @opts: the caller's options as copied by VMT_OPTS_COPY. */
static int writer_setup(struct vmt_writer *w, const struct vmt_writer_opts *opts)
{
	uint32_t csize = opts->chunk_size;
	int err;

	w->level = opts->level ? opts->level : 3;
	w->codec = opts->codec;
	w->fsync = opts->fsync;
	if (w->codec != VMT_CODEC_ZSTD && w->codec != VMT_CODEC_NONE)
		return -EINVAL;
	if (w->codec == VMT_CODEC_ZSTD &&
	    (w->level < ZSTD_minCLevel() || w->level > ZSTD_maxCLevel()))
		return -EINVAL;
	csize = csize ? csize : VMT_CHUNK_DEFAULT;
	err = vmt_chunkbuf_init(&w->own, csize);
	if (err)
		return err;
	w->cctx = ZSTD_createCCtx();
	if (!w->cctx)
		return -ENOMEM;
	return writer_reserve(w, csize);
}

int vmt_writer_open_fd(struct vmt_writer **out, int fd, const struct vmt_trace_info *info,
		       const struct vmt_writer_opts *opts)
{
	struct vmt_trace_info copy = *info;
	struct vmt_writer_opts o;
	struct vmt_writer *w;
	uint8_t *hdr;
	int err, len;

	*out = NULL;
	if (VMT_OPTS_COPY(&o, opts)) {
		close(fd);
		return -EINVAL;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		close(fd);
		return -ENOMEM;
	}
	w->fd = fd;
	err = writer_setup(w, &o);
	hdr = err ? NULL : malloc(vmt_header_bound());
	if (!err && !hdr)
		err = -ENOMEM;
	if (!err) {
		copy.codec = w->codec;
		copy.level = w->level;
		len = vmt_header_encode(&copy, hdr, vmt_header_bound());
		err = len < 0 ? len : writer_emit(w, hdr, (size_t)len);
	}
	free(hdr);
	if (err) {
		vmt_writer_abandon(w);
		return err;
	}
	*out = w;
	return 0;
}

int vmt_writer_open(struct vmt_writer **out, const char *path,
		    const struct vmt_trace_info *info, const struct vmt_writer_opts *opts)
{
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC;
	struct vmt_writer_opts o;
	int fd;

	*out = NULL;
	if (VMT_OPTS_COPY(&o, opts))
		return -EINVAL;
	flags |= o.overwrite ? O_TRUNC : O_EXCL;
	fd = open(path, flags, o.mode ? o.mode : 0600u);
	if (fd < 0)
		return -errno;
	return vmt_writer_open_fd(out, fd, info, opts);
}

int vmt_writer_close(struct vmt_writer *w, const struct vmt_run_summary *summary)
{
	int err = vmt_writer_flush(w), err2;
	struct vmt_run_summary s = w->sum;
	size_t len = vmt_trailer_size(w->n) + VMT_END_LEN;
	uint8_t *buf;

	/* The recorder knows better than the records what it measured. */
	if (summary) {
		s.duration_ns = summary->duration_ns;
		s.end_cause = summary->end_cause;
		s.backpressure_ns = summary->backpressure_ns ? summary->backpressure_ns
							     : s.backpressure_ns;
		s.max_occupancy = summary->max_occupancy ? summary->max_occupancy
							 : s.max_occupancy;
		s.batches = summary->batches ? summary->batches : s.batches;
	}
	buf = malloc(len);
	if (!buf) {
		err2 = -ENOMEM;
	} else {
		vmt_trailer_encode(buf, w->idx, w->n, &s, w->off);
		err2 = writer_emit(w, buf, len);
		free(buf);
	}
	err = err ? err : err2;
	if (close(w->fd) < 0 && !err)
		err = -errno;
	w->fd = -1;
	writer_free(w);
	return err;
}

void vmt_writer_abandon(struct vmt_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	writer_free(w);
}
