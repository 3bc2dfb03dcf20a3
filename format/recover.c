/*
 * recover.c - vmt_recover() (SPEC.md "Recovery"): copy every intact chunk
 * of a damaged or interrupted trace, byte for byte, into a new file with a
 * fresh trailer and end marker.  Chunks are verified (CRC, decode, record
 * walk) before they are copied, never re-encoded.  vmt_verify() shares
 * the walk.
 */
#include "format_int.h"
#include "reader_int.h"

static int recover_copy(struct vmt_reader *r, struct vmt_writer *w)
{
	for (uint32_t i = 0; i < r->n; i++) {
		struct vmt_chunk_hdr h;
		int err = vmt_reader_load(r, i, &h);

		if (err == -ENOMEM)
			return err;
		if (err)
			continue;
		err = vmt_writer_put_raw(w, r->map + r->idx[i].offset, &h, r->cdata);
		if (err)
			return err;
	}
	return 0;
}

int vmt_verify(const char *path, int deep, struct vmt_integrity *out)
{
	struct vmt_reader *r;
	struct vmt_chunk_hdr h;
	int err = vmt_reader_open(&r, path, NULL);

	if (err)
		return err;
	for (uint32_t i = 0; deep && i < r->n && err != -ENOMEM; i++)
		err = vmt_reader_load(r, i, &h);
	if (err != -ENOMEM)
		err = r->integ.complete && !r->integ.damaged && !r->integ.trailing_bytes ?
		      0 : -VMT_E_DAMAGED;
	if (out)
		*out = r->integ;
	vmt_reader_close(r);
	return err;
}

int vmt_recover(const char *in_path, const char *out_path)
{
	struct vmt_reader *r;
	struct vmt_writer *w;
	struct vmt_run_summary s;
	int err = vmt_reader_open(&r, in_path, NULL);

	if (err)
		return err;
	VMT_OPTS(vmt_writer_opts, o, .codec = r->info.codec, .level = r->info.level);
	if (o.codec == VMT_CODEC_NONE || o.level < ZSTD_minCLevel() ||
	    o.level > ZSTD_maxCLevel())
		o.level = 0;
	err = vmt_writer_open(&w, out_path, &r->info, &o);
	if (err) {
		vmt_reader_close(r);
		return err;
	}
	err = recover_copy(r, w);
	/* Recorder-only totals survive only if the old trailer did. */
	s = r->sum;
	if (err) {
		vmt_writer_abandon(w);
	} else {
		err = vmt_writer_close(w, &s);
	}
	if (!err)
		err = (int)(r->integ.damaged + (uint32_t)r->partial);
	vmt_reader_close(r);
	return err;
}
