/*
 * test_damage.c - truncation, bit flips, damaged trailers and recovery:
 * a trace cut at every chunk boundary and inside every chunk yields
 * exactly the complete chunks before the cut and says where it is; a
 * flipped byte in chunk k fails strict mode naming k and costs recovery
 * mode only chunk k; vmt_recover() writes a complete trace of the rest;
 * a failed write leaves every earlier chunk intact.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tf.h"

#define N_REC 4000u

struct fixture {
	uint8_t *buf;
	size_t len;
	uint32_t n;
	struct vmt_chunk_info idx[512];
	uint64_t trailer_off;
};

static void load(struct fixture *f, uint32_t codec)
{
	const char *path = tf_path("damage.vmt");
	struct vmt_reader *r;

	cr_assert_eq(tf_write(path, N_REC, 2048, codec, 1), 0);
	f->buf = tf_slurp(path, &f->len);
	cr_assert(f->buf);
	cr_assert_eq(vmt_reader_open(&r, path, NULL), 0);
	f->n = vmt_reader_chunk_count(r);
	cr_assert(f->n > 20 && f->n < 512, "%u chunks", f->n);
	for (uint32_t i = 0; i < f->n; i++)
		f->idx[i] = *vmt_reader_chunk(r, i);
	f->trailer_off = f->idx[f->n - 1].offset + 64 + f->idx[f->n - 1].csize;
	vmt_reader_close(r);
}

/* Records of chunks [0, k) in the stream. */
static uint64_t recs_before(const struct fixture *f, uint32_t k)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < k; i++)
		n += f->idx[i].nrec;
	return n;
}

/* Read everything; every record must be the stream's, skipping chunk @skip. */
static uint64_t read_checked(struct vmt_reader *r, const struct fixture *f, int64_t skip)
{
	struct vmt_record rec;
	uint64_t i = 0, got = 0;
	int ret;

	while ((ret = vmt_reader_next(r, &rec)) == 1) {
		if (skip >= 0 && i == recs_before(f, (uint32_t)skip))
			i += f->idx[skip].nrec;
		cr_assert(tf_same(i, &rec), "record %llu differs", (unsigned long long)i);
		i++;
		got++;
	}
	cr_assert_eq(ret, 0, "next: %s", vmt_strerror(ret));
	return got;
}

static void check_cut(const struct fixture *f, uint64_t cut, uint32_t whole, uint64_t where)
{
	VMT_OPTS(vmt_reader_opts, strict, .strict = 1);
	const struct vmt_integrity *in;
	struct vmt_reader *r;

	cr_assert_eq(vmt_reader_open_mem(&r, f->buf, cut, &strict), -VMT_E_DAMAGED);
	cr_assert_eq(vmt_reader_open_mem(&r, f->buf, cut, NULL), 0, "cut at %llu",
		     (unsigned long long)cut);
	in = vmt_reader_integrity(r);
	cr_assert_eq(in->complete, 0);
	cr_assert_eq(in->chunks, whole, "cut at %llu: %u chunks, want %u",
		     (unsigned long long)cut, in->chunks, whole);
	cr_assert_eq(in->damaged, 0);
	cr_assert_eq(in->cut_offset, where, "cut at %llu", (unsigned long long)cut);
	cr_assert_eq(read_checked(r, f, -1), recs_before(f, whole));
	cr_assert_eq(vmt_reader_summary(r)->records, recs_before(f, whole));
	cr_assert_eq(vmt_reader_summary(r)->from_trailer, 0);
	vmt_reader_close(r);
}

Test(damage, cut_at_every_boundary_and_inside_every_chunk)
{
	struct fixture f;

	load(&f, VMT_CODEC_ZSTD);
	for (uint32_t k = 0; k < f.n; k++) {
		uint64_t at = f.idx[k].offset, end = at + 64 + f.idx[k].csize;

		check_cut(&f, at, k, at);
		check_cut(&f, at + 1, k, at);
		check_cut(&f, at + 63, k, at);
		check_cut(&f, at + 64, k, at);
		check_cut(&f, at + 64 + f.idx[k].csize / 2, k, at);
		check_cut(&f, end - 1, k, at);
	}
	check_cut(&f, f.trailer_off, f.n, f.trailer_off);
	free(f.buf);
}

/* Cut inside the trailer: every chunk is whole, the trailer is not. */
Test(damage, cut_inside_trailer)
{
	struct fixture f;
	struct vmt_reader *r;

	load(&f, VMT_CODEC_ZSTD);
	for (uint64_t cut = f.trailer_off + 1; cut < f.len; cut += 97) {
		cr_assert_eq(vmt_reader_open_mem(&r, f.buf, cut, NULL), 0);
		cr_assert_eq(vmt_reader_integrity(r)->complete, 0);
		cr_assert_eq(vmt_reader_integrity(r)->chunks, f.n);
		cr_assert_eq(read_checked(r, &f, -1), N_REC);
		vmt_reader_close(r);
	}
	free(f.buf);
}

Test(damage, cut_inside_header)
{
	struct fixture f;
	struct vmt_reader *r;

	load(&f, VMT_CODEC_ZSTD);
	for (uint64_t cut = 0; cut < f.idx[0].offset; cut += 7)
		cr_assert_eq(vmt_reader_open_mem(&r, f.buf, cut, NULL), -VMT_E_TRUNCATED,
			     "cut at %llu", (unsigned long long)cut);
	free(f.buf);
}

static void check_flip(struct fixture *f, uint32_t k, uint64_t at)
{
	VMT_OPTS(vmt_reader_opts, strict, .strict = 1);
	const struct vmt_integrity *in;
	struct vmt_reader *r;
	struct vmt_record rec;
	uint64_t n = 0;
	int ret;

	f->buf[at] ^= 0x40;
	cr_assert_eq(vmt_reader_open_mem(&r, f->buf, f->len, &strict), 0);
	while ((ret = vmt_reader_next(r, &rec)) == 1)
		n++;
	cr_assert_eq(ret, -VMT_E_DAMAGED, "flip in chunk %u at %llu", k, (unsigned long long)at);
	cr_assert_eq(vmt_reader_last_chunk(r), k);
	cr_assert_eq(n, recs_before(f, k));
	cr_assert_eq(vmt_reader_next(r, &rec), -VMT_E_DAMAGED, "strict damage is sticky");
	vmt_reader_close(r);

	cr_assert_eq(vmt_reader_open_mem(&r, f->buf, f->len, NULL), 0);
	cr_assert_eq(read_checked(r, f, k), N_REC - f->idx[k].nrec);
	in = vmt_reader_integrity(r);
	cr_assert_eq(in->damaged, 1);
	cr_assert_eq(in->first_damaged, k);
	cr_assert_neq(vmt_reader_chunk(r, k)->status, 0);
	vmt_reader_close(r);
	f->buf[at] ^= 0x40;
}

Test(damage, flipped_byte_in_chunk_k)
{
	struct fixture f;

	load(&f, VMT_CODEC_ZSTD);
	for (uint32_t k = 0; k < f.n; k += 5) {
		check_flip(&f, k, f.idx[k].offset + 64 + f.idx[k].csize / 2);
		check_flip(&f, k, f.idx[k].offset + 13);       /* header field */
		check_flip(&f, k, f.idx[k].offset + 64 + f.idx[k].csize - 1);
	}
	free(f.buf);
}

/*
 * vmt_reader_open_fd() checks the chunk headers it reads from the file,
 * not the mapping: a buffer whose headers are zeroed opens clean with the
 * intact file behind it (and damaged without), and a header flipped in
 * the file is damage though the buffer's copy is intact.
 */
Test(damage, open_fd_reads_the_headers_from_the_file)
{
	const char *path = tf_path("damage.vmt");
	struct fixture f;
	struct vmt_reader *r;
	uint8_t *blank;
	FILE *fp;
	int fd;

	load(&f, VMT_CODEC_ZSTD);
	blank = malloc(f.len);
	cr_assert(blank);
	memcpy(blank, f.buf, f.len);
	for (uint32_t k = 0; k < f.n; k++)
		memset(blank + f.idx[k].offset, 0, 64);
	fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(vmt_reader_open_fd(&r, fd, blank, f.len, NULL), 0);
	cr_expect_eq(vmt_reader_integrity(r)->damaged, 0);
	cr_expect_eq(vmt_reader_integrity(r)->complete, 1);
	vmt_reader_close(r);
	cr_assert_eq(vmt_reader_open_mem(&r, blank, f.len, NULL), 0);
	cr_expect_eq(vmt_reader_integrity(r)->damaged, f.n);
	vmt_reader_close(r);
	close(fd);

	fp = fopen(path, "r+b");
	cr_assert(fp);
	cr_assert_eq(fseek(fp, (long)f.idx[3].offset + 13, SEEK_SET), 0);
	cr_assert_eq(fputc(f.buf[f.idx[3].offset + 13] ^ 0x40, fp), f.buf[f.idx[3].offset + 13] ^ 0x40);
	cr_assert_eq(fclose(fp), 0);
	fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(vmt_reader_open_fd(&r, fd, f.buf, f.len, NULL), 0);
	cr_expect_eq(vmt_reader_integrity(r)->damaged, 1);
	cr_expect_eq(vmt_reader_integrity(r)->first_damaged, 3);
	vmt_reader_close(r);
	close(fd);
	free(blank);
	free(f.buf);
}

/* Uncompressed chunks: the payload CRC is the only guard. */
Test(damage, flipped_byte_uncompressed)
{
	struct fixture f;

	load(&f, VMT_CODEC_NONE);
	for (uint32_t k = 1; k < f.n; k += 7)
		check_flip(&f, k, f.idx[k].offset + 64 + 30);
	free(f.buf);
}

/* A damaged trailer or end marker: the scan finds the same records. */
Test(damage, trailer_damaged_scan_gives_same_records)
{
	VMT_OPTS(vmt_reader_opts, strict, .strict = 1);
	uint64_t spots[4];
	struct fixture f;
	struct vmt_reader *r;

	load(&f, VMT_CODEC_ZSTD);
	spots[0] = f.trailer_off + 1;          /* magic */
	spots[1] = f.trailer_off + 16 + 8;     /* index entry */
	spots[2] = f.len - 20;                 /* end marker offset field */
	spots[3] = f.len - 1;                  /* end marker CRC */
	for (int s = 0; s < 4; s++) {
		f.buf[spots[s]] ^= 1;
		cr_assert_eq(vmt_reader_open_mem(&r, f.buf, f.len, &strict), -VMT_E_DAMAGED);
		cr_assert_eq(vmt_reader_open_mem(&r, f.buf, f.len, NULL), 0);
		cr_assert_eq(vmt_reader_integrity(r)->complete, 0);
		cr_assert_eq(vmt_reader_integrity(r)->chunks, f.n, "spot %d", s);
		cr_assert_eq(read_checked(r, &f, -1), N_REC);
		cr_assert_eq(vmt_reader_summary(r)->records, N_REC);
		cr_assert_eq(vmt_reader_summary(r)->markers, 4);
		vmt_reader_close(r);
		f.buf[spots[s]] ^= 1;
	}
	free(f.buf);
}

/* No trailer and a smashed chunk header: the scan resyncs on the next. */
Test(damage, scan_resyncs_after_bad_chunk_header)
{
	struct fixture f;
	struct vmt_reader *r;
	uint32_t k = 7;

	load(&f, VMT_CODEC_ZSTD);
	memset(f.buf + f.idx[k].offset, 0xee, 16);
	cr_assert_eq(vmt_reader_open_mem(&r, f.buf, f.trailer_off, NULL), 0);
	cr_assert_eq(vmt_reader_integrity(r)->chunks, f.n);
	cr_assert_eq(vmt_reader_integrity(r)->damaged, 1);
	cr_assert_eq(vmt_reader_integrity(r)->first_damaged, k);
	cr_assert_eq(vmt_reader_chunk(r, k + 1)->offset, f.idx[k + 1].offset);
	cr_assert_eq(read_checked(r, &f, k), N_REC - f.idx[k].nrec);
	vmt_reader_close(r);
	free(f.buf);
}

Test(damage, recover_writes_complete_trace)
{
	VMT_OPTS(vmt_reader_opts, strict, .strict = 1);
	const char *in = tf_path("broken.vmt");
	char out[256];
	struct fixture f;
	struct vmt_reader *r;
	uint32_t k = 3;
	uint64_t cut;

	load(&f, VMT_CODEC_ZSTD);
	f.buf[f.idx[k].offset + 64 + 5] ^= 0x10;
	/* no trailer, and the last chunk cut in half */
	cut = f.idx[f.n - 1].offset + 64 + f.idx[f.n - 1].csize / 2;
	cr_assert_eq(tf_spill(in, f.buf, cut), 0);
	snprintf(out, sizeof(out), "%s.fixed", in);
	cr_assert_eq(vmt_recover(in, out), 2, "one damaged + one partial chunk dropped");
	cr_assert_eq(vmt_reader_open(&r, out, &strict), 0);
	cr_assert(vmt_reader_integrity(r)->complete);
	cr_assert_eq(vmt_reader_chunk_count(r), f.n - 2);
	cr_assert_eq(read_checked(r, &f, k), recs_before(&f, f.n - 1) - f.idx[k].nrec);
	cr_assert(vmt_reader_summary(r)->from_trailer);
	cr_assert_eq(vmt_reader_summary(r)->records, recs_before(&f, f.n - 1) - f.idx[k].nrec);
	vmt_reader_close(r);
	cr_assert_eq(vmt_recover(in, out), -EEXIST, "never overwrites");
	cr_assert_eq(vmt_verify(out, 1, NULL), 0);
	cr_assert_eq(vmt_verify(in, 0, NULL), -VMT_E_DAMAGED);
	free(f.buf);
}

/* The file size limit stands in for a full disk: EFBIG instead of ENOSPC. */
Test(damage, write_error_keeps_earlier_chunks)
{
	const char *path = tf_path("full.vmt");
	struct rlimit lim = { 60000, RLIM_INFINITY };
	struct vmt_trace_info info;
	struct vmt_writer *w;
	struct vmt_reader *r;
	struct tf_rec rec;
	uint64_t i, size;
	int err = 0;

	signal(SIGXFSZ, SIG_IGN);
	tf_info(&info);
	VMT_OPTS(vmt_writer_opts, o, .codec = VMT_CODEC_NONE, .chunk_size = 7000);
	cr_assert_eq(vmt_writer_open(&w, path, &info, &o), 0);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (i = 0; i < 100000 && !err; i++) {
		tf_gen(i, &rec);
		err = vmt_writer_append(w, rec.type, rec.flags, rec.seq, rec.ts, rec.data, rec.size);
	}
	cr_assert_eq(err, -EFBIG, "got %s", vmt_strerror(err));
	size = vmt_writer_bytes(w);
	cr_assert(size <= 60000);
	vmt_writer_abandon(w);
	lim.rlim_cur = RLIM_INFINITY;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);

	cr_assert_eq(vmt_reader_open(&r, path, NULL), 0);
	cr_assert_eq(vmt_reader_integrity(r)->file_size, size, "partial chunk cut back");
	cr_assert_eq(vmt_reader_integrity(r)->damaged, 0);
	cr_assert_eq(vmt_reader_integrity(r)->cut_offset, size);
	cr_assert(vmt_reader_summary(r)->records > 1000);
	vmt_reader_close(r);
}

/* Shallow verify sees header damage only; deep also sees payload damage. */
Test(damage, verify_shallow_and_deep)
{
	const char *path = tf_path("verify.vmt");
	struct vmt_integrity in;
	struct fixture f;

	load(&f, VMT_CODEC_ZSTD);
	f.buf[f.idx[4].offset + 64 + 9] ^= 0x04;
	cr_assert_eq(tf_spill(path, f.buf, f.len), 0);
	cr_assert_eq(vmt_verify(path, 0, &in), 0);
	cr_assert_eq(vmt_verify(path, 1, &in), -VMT_E_DAMAGED);
	cr_assert_eq(in.damaged, 1);
	cr_assert_eq(in.first_damaged, 4);
	cr_assert_eq(vmt_verify(tf_path("missing.vmt"), 1, NULL), -ENOENT);
	free(f.buf);
}

/* Last chunk header and trailer both damaged: the resync stops at the
 * trailer, so the file is damaged, not cut. */
Test(damage, bad_last_chunk_header_and_trailer)
{
	struct fixture f;
	struct vmt_reader *r;
	uint32_t k;

	load(&f, VMT_CODEC_ZSTD);
	k = f.n - 1;
	f.buf[f.idx[k].offset + 2] ^= 0xff;
	f.buf[f.trailer_off + 20] ^= 0xff;
	cr_assert_eq(vmt_reader_open_mem(&r, f.buf, f.len, NULL), 0);
	cr_assert_eq(vmt_reader_integrity(r)->chunks, f.n);
	cr_assert_eq(vmt_reader_integrity(r)->first_damaged, k);
	cr_assert_eq(vmt_reader_integrity(r)->cut_offset, 0);
	cr_assert_eq(read_checked(r, &f, k), N_REC - f.idx[k].nrec);
	vmt_reader_close(r);
	/* the same without the end marker: still found by the magic */
	cr_assert_eq(vmt_reader_open_mem(&r, f.buf, f.len - 1, NULL), 0);
	cr_assert_eq(vmt_reader_integrity(r)->chunks, f.n);
	cr_assert_eq(vmt_reader_integrity(r)->cut_offset, 0);
	vmt_reader_close(r);
	free(f.buf);
}
