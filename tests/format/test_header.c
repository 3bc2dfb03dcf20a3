/*
 * test_header.c - what readers must reject and what they must skip
 * (SPEC.md "Must reject"): bad magic, unknown major, unknown incompat bit,
 * critical unknown metadata, impossible sizes, bad CRCs; unknown compat
 * bits, unknown metadata records and unknown record types are skipped and
 * counted.  Each case names the check it expects to fire.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "format_int.h"
#include "tf.h"

struct img {
	uint8_t *buf;
	size_t len;
};

static struct img make(void)
{
	const char *path = tf_path("hdr.vmt");
	struct img m;

	cr_assert_eq(tf_write(path, 50, 512, VMT_CODEC_ZSTD, 1), 0);
	m.buf = tf_slurp(path, &m.len);
	cr_assert(m.buf);
	return m;
}

static uint32_t hlen(const struct img *m)
{
	return vmt_get32(m->buf + 12);
}

static void refix(struct img *m)
{
	uint32_t h = hlen(m);

	vmt_put32(m->buf + h - 4, vmt_crc32c(0, m->buf, h - 4));
}

static int try_open(const struct img *m, struct vmt_reader **out)
{
	struct vmt_reader *r;
	int err = vmt_reader_open_mem(&r, m->buf, m->len, NULL);

	if (out)
		*out = err ? NULL : r;
	else if (!err)
		vmt_reader_close(r);
	return err;
}

/* Insert @n bytes at the end of the metadata records, header CRC fixed. */
static void insert_meta(struct img *m, const uint8_t *rec, size_t n)
{
	uint32_t h = hlen(m);
	uint8_t *nb = malloc(m->len + n);

	memcpy(nb, m->buf, h - 4);
	memcpy(nb + h - 4, rec, n);
	memcpy(nb + h - 4 + n, m->buf + h - 4, m->len - (h - 4));
	free(m->buf);
	m->buf = nb;
	m->len += n;
	vmt_put32(m->buf + 12, h + (uint32_t)n);
	refix(m);
}

static void meta_rec(uint8_t *out, uint16_t type, uint16_t flags, uint32_t size)
{
	vmt_put16(out, type);
	vmt_put16(out + 2, flags);
	vmt_put32(out + 4, size);
	memset(out + 8, 'x', size);
}

Test(header, valid_trace_opens)
{
	struct img m = make();

	cr_assert_eq(try_open(&m, NULL), 0);
	free(m.buf);
}

Test(header, bad_magic)
{
	struct img m = make();

	m.buf[1] = 'X';
	cr_assert_eq(try_open(&m, NULL), -VMT_E_MAGIC);
	free(m.buf);
}

Test(header, unknown_major)
{
	struct img m = make();

	vmt_put16(m.buf + 8, 2);
	refix(&m);
	cr_assert_eq(try_open(&m, NULL), -VMT_E_VERSION);
	free(m.buf);
}

Test(header, newer_minor_is_read)
{
	struct img m = make();

	vmt_put16(m.buf + 10, 9);
	refix(&m);
	cr_assert_eq(try_open(&m, NULL), 0);
	free(m.buf);
}

Test(header, unknown_incompat_bit_rejected)
{
	for (int bit = 0; bit < 32; bit += 5) {
		struct img m = make();

		vmt_put32(m.buf + 20, 1u << bit);
		refix(&m);
		cr_assert_eq(try_open(&m, NULL), -VMT_E_INCOMPAT, "bit %d", bit);
		free(m.buf);
	}
}

Test(header, unknown_compat_bit_ignored)
{
	struct img m = make();

	vmt_put32(m.buf + 16, 0xffffffffu);
	refix(&m);
	cr_assert_eq(try_open(&m, NULL), 0);
	free(m.buf);
}

Test(header, header_crc)
{
	struct img m = make();

	m.buf[40] ^= 1;
	cr_assert_eq(try_open(&m, NULL), -VMT_E_CHECKSUM);
	free(m.buf);
}

Test(header, header_len_beyond_file_or_cap)
{
	struct img m = make();

	vmt_put32(m.buf + 12, (uint32_t)m.len + 1);
	cr_assert_eq(try_open(&m, NULL), -VMT_E_TRUNCATED);
	vmt_put32(m.buf + 12, VMT_HEADER_MAX + 1);
	cr_assert_eq(try_open(&m, NULL), -VMT_E_TOOBIG);
	vmt_put32(m.buf + 12, 27);
	cr_assert_eq(try_open(&m, NULL), -VMT_E_CORRUPT);
	free(m.buf);
}

Test(header, unknown_metadata_skipped_and_counted)
{
	struct img m = make();
	struct vmt_reader *r;
	uint8_t rec[8 + 10];
	uint64_t n;

	meta_rec(rec, 999, 0, 10);
	insert_meta(&m, rec, sizeof(rec));
	insert_meta(&m, rec, sizeof(rec));
	cr_assert_eq(try_open(&m, &r), 0);
	cr_assert_eq(vmt_reader_integrity(r)->unknown_meta, 2);
	cr_assert_str_eq(vmt_reader_info(r)->domain_name, "guest-7");
	cr_assert_eq(tf_read_all(r, &n), 0);
	cr_assert_eq(n, 50);
	vmt_reader_close(r);
	free(m.buf);
}

Test(header, unknown_critical_metadata_rejected)
{
	struct img m = make();
	uint8_t rec[8 + 4];

	meta_rec(rec, 999, VMT_TLV_CRITICAL, 4);
	insert_meta(&m, rec, sizeof(rec));
	cr_assert_eq(try_open(&m, NULL), -VMT_E_INCOMPAT);
	free(m.buf);
}

Test(header, metadata_size_beyond_header)
{
	struct img m = make();
	uint8_t rec[8 + 4];

	meta_rec(rec, 999, 0, 4);
	vmt_put32(rec + 4, 5000);
	insert_meta(&m, rec, sizeof(rec));
	cr_assert_eq(try_open(&m, NULL), -VMT_E_CORRUPT);
	free(m.buf);
}

/* Rename the metadata record of @type to an unknown type, in place. */
static void hide_meta(struct img *m, uint16_t type)
{
	uint32_t pos = 24, end = hlen(m) - 4;

	while (pos < end && vmt_get16(m->buf + pos) != type)
		pos += 8 + vmt_get32(m->buf + pos + 4);
	cr_assert(pos < end, "type %u present", type);
	vmt_put16(m->buf + pos, 999);
	vmt_put16(m->buf + pos + 2, 0);
	refix(m);
}

Test(header, duplicate_metadata)
{
	struct img m = make();
	uint8_t rec[8 + 5];

	meta_rec(rec, 4, 0, 5);
	insert_meta(&m, rec, sizeof(rec));
	cr_assert_eq(try_open(&m, NULL), -VMT_E_CORRUPT, "host given twice");
	free(m.buf);
}

Test(header, text_beyond_cap_or_with_nul)
{
	struct img m = make();
	uint8_t rec[8 + VMT_NAME_MAX];

	hide_meta(&m, 4);
	meta_rec(rec, 4, 0, VMT_NAME_MAX);      /* no room left for the NUL */
	insert_meta(&m, rec, sizeof(rec));
	cr_assert_eq(try_open(&m, NULL), -VMT_E_TOOBIG);
	free(m.buf);
	m = make();
	hide_meta(&m, 4);
	meta_rec(rec, 4, 0, 5);
	rec[10] = 0;
	insert_meta(&m, rec, 8 + 5);
	cr_assert_eq(try_open(&m, NULL), -VMT_E_CORRUPT, "NUL inside a text");
	free(m.buf);
}

Test(header, required_metadata_missing)
{
	uint16_t req[] = { 1, 2, 11 };

	for (int i = 0; i < 3; i++) {
		struct img m = make();

		hide_meta(&m, req[i]);
		cr_assert_eq(try_open(&m, NULL), -VMT_E_CORRUPT, "type %u missing", req[i]);
		free(m.buf);
	}
}

/* Header edited in place: the ABI version record is the first one. */
Test(header, abi_version_out_of_range)
{
	uint32_t bad[] = { VMT_ABI_MIN - 1, VMT_ABI_MAX + 1, 1000 };

	for (unsigned i = 0; i < 3; i++) {
		struct img m = make();

		cr_assert_eq(vmt_get16(m.buf + 24), 1, "first metadata record is the ABI");
		vmt_put32(m.buf + 32, bad[i]);
		refix(&m);
		cr_assert_eq(try_open(&m, NULL), -VMT_E_ABI, "abi %u", bad[i]);
		free(m.buf);
	}
}

Test(header, writer_refuses_bad_info)
{
	struct vmt_trace_info info;
	struct vmt_writer *w;

	tf_info(&info);
	info.abi_version = 9;
	cr_assert_eq(vmt_writer_open(&w, tf_path("bad.vmt"), &info, NULL), -VMT_E_ABI);
	tf_info(&info);
	info.req_size = 0;
	cr_assert_eq(vmt_writer_open(&w, tf_path("bad.vmt"), &info, NULL), -VMT_E_CORRUPT);
	tf_info(&info);
	VMT_OPTS(vmt_writer_opts, o, .codec = 7);
	cr_assert_eq(vmt_writer_open(&w, tf_path("bad.vmt"), &info, &o), -EINVAL);
}

/* Options from a newer caller: a non-zero unknown tail is refused. */
Test(header, sized_options)
{
	struct {
		struct vmt_reader_opts o;
		uint64_t future;
	} big = { { .sz = sizeof(big) }, 1 };
	struct img m = make();
	struct vmt_reader *r;

	cr_assert_eq(vmt_reader_open_mem(&r, m.buf, m.len, &big.o), -EINVAL);
	big.future = 0;
	cr_assert_eq(vmt_reader_open_mem(&r, m.buf, m.len, &big.o), 0);
	vmt_reader_close(r);
	free(m.buf);
}

Test(header, unknown_record_type_skipped_and_counted)
{
	const char *path = tf_path("unk.vmt");
	struct vmt_trace_info info;
	struct vmt_writer *w;
	struct vmt_reader *r;
	struct vmt_record rec;
	int n = 0;

	tf_info(&info);
	cr_assert_eq(vmt_writer_open(&w, path, &info, NULL), 0);
	for (int i = 0; i < 30; i++)
		cr_assert_eq(vmt_writer_append(w, (i % 3) ? VMT_REC_NOTE : 77, 0, (uint64_t)i,
					       (uint64_t)i, "abc", 3), 0);
	cr_assert_eq(vmt_writer_close(w, NULL), 0);
	cr_assert_eq(vmt_reader_open(&r, path, NULL), 0);
	while (vmt_reader_next(r, &rec) == 1) {
		cr_assert_eq(rec.type, VMT_REC_NOTE);
		n++;
	}
	cr_assert_eq(n, 20);
	cr_assert_eq(vmt_reader_integrity(r)->unknown_records, 10);
	cr_assert_eq(vmt_reader_summary(r)->notes, 20);
	vmt_reader_close(r);
}

/* Chunk-level must-reject: reserved bytes, unknown codec, sizes beyond caps. */
Test(header, chunk_header_rules)
{
	struct img m = make();
	uint32_t c0 = hlen(&m);
	struct vmt_chunk_hdr h;
	uint8_t save[64];

	cr_assert_eq(vmt_chunk_hdr_get(m.buf + c0, &h), 0);
	memcpy(save, m.buf + c0, 64);
	m.buf[c0 + 5] = 1;
	vmt_put32(m.buf + c0 + 60, vmt_crc32c(0, m.buf + c0, 60));
	cr_assert_eq(vmt_chunk_hdr_get(m.buf + c0, &h), -VMT_E_CORRUPT);
	memcpy(m.buf + c0, save, 64);
	m.buf[c0 + 4] = 9;
	vmt_put32(m.buf + c0 + 60, vmt_crc32c(0, m.buf + c0, 60));
	cr_assert_eq(vmt_chunk_hdr_get(m.buf + c0, &h), -VMT_E_INCOMPAT);
	memcpy(m.buf + c0, save, 64);
	vmt_put32(m.buf + c0 + 12, VMT_CHUNK_MAX + 1);
	vmt_put32(m.buf + c0 + 60, vmt_crc32c(0, m.buf + c0, 60));
	cr_assert_eq(vmt_chunk_hdr_get(m.buf + c0, &h), -VMT_E_TOOBIG);
	/* the reader treats it as a damaged chunk, never allocates 64 MiB */
	struct vmt_reader *r;

	cr_assert_eq(try_open(&m, &r), 0);
	cr_assert_eq(vmt_reader_integrity(r)->damaged, 1);
	cr_assert_eq(vmt_reader_integrity(r)->first_damaged, 0);
	vmt_reader_close(r);
	free(m.buf);
}

/* The one reader of sized structs: the caller's sz bytes, zero past them. */
Test(header, opts_copy_honours_sz)
{
	struct vmt_writer_opts img, got;

	memset(&img, 0xaa, sizeof(img));
	img.sz = offsetof(struct vmt_writer_opts, chunk_size);
	cr_assert_eq(VMT_OPTS_COPY(&got, &img), 0);
	cr_assert_eq(got.sz, sizeof(got));
	cr_assert_eq(got.level, (int)0xaaaaaaaa);
	cr_assert_eq(got.codec, 0xaaaaaaaau);
	cr_assert_eq(got.chunk_size, 0u);
	cr_assert_eq(got.overwrite, 0);
	cr_assert_eq(got.mode, 0u);
	cr_assert_eq(got.fsync, 0);
	/* A cut field, no room for sz itself: refused. */
	img.sz = offsetof(struct vmt_writer_opts, codec);
	cr_assert_eq(VMT_OPTS_COPY(&got, &img), -EINVAL);
	img.sz = 4;
	cr_assert_eq(VMT_OPTS_COPY(&got, &img), -EINVAL);
	cr_assert_eq(VMT_OPTS_COPY(&got, NULL), 0);
	cr_assert_eq(got.sz, sizeof(got));
	cr_assert_eq(got.level | (int)got.codec | got.overwrite, 0);
}

/* An older caller's shorter struct: what lies past its sz is not read. */
Test(header, writer_ignores_bytes_past_a_short_struct)
{
	const char *path = tf_path("short.vmt");
	struct {
		struct vmt_writer_opts_v0 {
			size_t sz;
			int level;
			uint32_t codec;
		} o;
		uint32_t chunk_size;  /* poison where newer fields would be */
		int overwrite;
	} s = { { sizeof(s.o), 1, VMT_CODEC_ZSTD }, 1, 1 };
	struct vmt_trace_info info;
	struct vmt_writer *w;

	tf_info(&info);
	cr_assert_eq(vmt_writer_open(&w, path, &info, (const void *)&s.o), 0);
	cr_assert_eq(vmt_writer_close(w, NULL), 0);
	/* overwrite past sz would truncate; read as 0 it is O_EXCL. */
	cr_assert_eq(vmt_writer_open(&w, path, &info, (const void *)&s.o), -EEXIST);
}
