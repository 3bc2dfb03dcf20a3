/*
 * test_roundtrip.c - write then read: 1,000,000 records across many chunks
 * come back identical and in order, with and without compression; the
 * index seeks to any sequence number and timestamp; the summary and the
 * header facts survive, also through vmt_trace_rewrite().
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "tf.h"

#define N_BIG 1000000u

static void check_all(const char *path, uint64_t n)
{
	struct vmt_reader *r;
	struct vmt_record rec;
	uint64_t i = 0;
	int ret;

	cr_assert_eq(vmt_reader_open(&r, path, NULL), 0);
	while ((ret = vmt_reader_next(r, &rec)) == 1) {
		if (!tf_same(i, &rec))
			cr_assert_fail("record %llu differs", (unsigned long long)i);
		i++;
	}
	cr_assert_eq(ret, 0, "next: %s", vmt_strerror(ret));
	cr_assert_eq(i, n);
	cr_assert(vmt_reader_integrity(r)->complete);
	cr_assert_eq(vmt_reader_integrity(r)->damaged, 0);
	cr_assert(vmt_reader_chunk_count(r) > 100, "only %u chunks", vmt_reader_chunk_count(r));
	vmt_reader_close(r);
}

/* seq = i/2: the first record with seq >= s is record 2s. */
static void seek_and_check(struct vmt_reader *r, uint64_t s)
{
	struct vmt_record rec;

	cr_assert_eq(vmt_reader_seek_seq(r, s), 0);
	cr_assert_eq(vmt_reader_next(r, &rec), 1);
	cr_assert(tf_same(2 * s, &rec), "seek seq %llu", (unsigned long long)s);
}

Test(roundtrip, million_records_zstd, .timeout = 120)
{
	const char *path = tf_path("big.vmt");
	struct vmt_reader *r;

	cr_assert_eq(tf_write(path, N_BIG, 256 << 10, VMT_CODEC_ZSTD, 1), 0);
	check_all(path, N_BIG);
	/* every chunk's edges, then a spread of seqs */
	cr_assert_eq(vmt_reader_open(&r, path, NULL), 0);
	for (uint32_t i = 0; i < vmt_reader_chunk_count(r); i++) {
		const struct vmt_chunk_info *c = vmt_reader_chunk(r, i);

		seek_and_check(r, c->first_seq);
		seek_and_check(r, c->last_seq);
	}
	for (uint64_t s = 0; s < N_BIG / 2; s += 997)
		seek_and_check(r, s);
	vmt_reader_close(r);
}

Test(roundtrip, uncompressed)
{
	const char *path = tf_path("raw.vmt");

	cr_assert_eq(tf_write(path, 200000, 32 << 10, VMT_CODEC_NONE, 1), 0);
	check_all(path, 200000);
}

/* seq = i/2, so the first record with seq >= s is record 2s. */
Test(roundtrip, seek_any_seq_and_ts)
{
	const char *path = tf_path("seek.vmt");
	const uint64_t n = 300000;
	struct vmt_reader *r;
	struct vmt_record rec;

	cr_assert_eq(tf_write(path, n, 16 << 10, VMT_CODEC_ZSTD, 1), 0);
	cr_assert_eq(vmt_reader_open(&r, path, NULL), 0);
	srand(7);
	for (int k = 0; k < 3000; k++) {
		uint64_t s = (uint64_t)rand() % (n / 2);

		if (k < 3)
			s = k == 0 ? 0 : k == 1 ? n / 2 - 1 : 12345;
		cr_assert_eq(vmt_reader_seek_seq(r, s), 0);
		cr_assert_eq(vmt_reader_next(r, &rec), 1);
		cr_assert(tf_same(2 * s, &rec), "seek seq %llu", (unsigned long long)s);
		cr_assert_eq(vmt_reader_next(r, &rec), 1);
		cr_assert(tf_same(2 * s + 1, &rec));
	}
	for (int k = 0; k < 1000; k++) {
		uint64_t t = (uint64_t)rand() % (10 * n - 10);

		cr_assert_eq(vmt_reader_seek_ts(r, t), 0);
		cr_assert_eq(vmt_reader_next(r, &rec), 1);
		cr_assert(tf_same((t + 9) / 10, &rec), "seek ts %llu", (unsigned long long)t);
	}
	cr_assert_eq(vmt_reader_seek_seq(r, n), 0);
	cr_assert_eq(vmt_reader_next(r, &rec), 0, "seek past the end gives the end");
	vmt_reader_close(r);
}

Test(roundtrip, summary_and_info)
{
	const char *path = tf_path("sum.vmt");
	struct vmt_trace_info want;
	const struct vmt_trace_info *got;
	const struct vmt_run_summary *s;
	struct vmt_reader *r;

	cr_assert_eq(tf_write(path, 5000, 4096, VMT_CODEC_ZSTD, 1), 0);
	cr_assert_eq(vmt_reader_open(&r, path, NULL), 0);
	tf_info(&want);
	got = vmt_reader_info(r);
	cr_assert_eq(got->abi_version, 7);
	cr_assert_eq(got->req_size, 384);
	cr_assert_eq(got->xen_minor, 17);
	cr_assert_str_eq(got->xen_extra, want.xen_extra);
	cr_assert_str_eq(got->domain_name, want.domain_name);
	cr_assert_str_eq(got->monitors, want.monitors);
	cr_assert_str_eq(got->cmdline, want.cmdline);
	cr_assert_str_eq(got->labels, want.labels);
	cr_assert_eq(got->clock_wall_ns, want.clock_wall_ns);
	cr_assert_arr_eq(got->uuid, want.uuid, 16);
	cr_assert_eq(got->codec, VMT_CODEC_ZSTD);
	cr_assert_eq(got->level, 1);
	s = vmt_reader_summary(r);
	cr_assert(s->from_trailer);
	cr_assert_eq(s->records, 5000);
	cr_assert_eq(s->markers, 5);
	cr_assert_eq(s->ring_stats, 5);
	cr_assert_eq(s->requests + s->responses, 4990);
	cr_assert_eq(s->first_seq, 0);
	cr_assert_eq(s->last_seq, 2499);
	cr_assert_eq(s->last_ts, 49990);
	cr_assert_eq(s->duration_ns, 42);
	cr_assert_eq(s->end_cause, VMT_END_SIGNAL);
	vmt_reader_close(r);
}

/* A trace without records is valid and reads as empty. */
Test(roundtrip, empty_trace)
{
	const char *path = tf_path("empty.vmt");
	struct vmt_reader *r;
	struct vmt_record rec;

	cr_assert_eq(tf_write(path, 0, 4096, VMT_CODEC_ZSTD, 1), 0);
	cr_assert_eq(vmt_reader_open(&r, path, NULL), 0);
	cr_assert_eq(vmt_reader_chunk_count(r), 0);
	cr_assert_eq(vmt_reader_next(r, &rec), 0);
	cr_assert(vmt_reader_integrity(r)->complete);
	vmt_reader_close(r);
}

/* Batches answered after later requests: seq is not monotonic in file
 * order, and seeking finds the first record in file order that reaches it. */
Test(roundtrip, seek_with_interleaved_responses)
{
	const char *path = tf_path("batch.vmt");
	struct vmt_trace_info info;
	struct vmt_writer *w;
	struct vmt_reader *r;
	struct vmt_record rec;

	tf_info(&info);
	VMT_OPTS(vmt_writer_opts, o, .chunk_size = 256);
	cr_assert_eq(vmt_writer_open(&w, path, &info, &o), 0);
	for (uint64_t b = 0; b < 50; b++) {
		for (uint64_t k = 0; k < 4; k++)
			cr_assert_eq(vmt_writer_append(w, VMT_REC_REQUEST, 0, 4 * b + k, 10 * b + k, "q", 1), 0);
		for (uint64_t k = 0; k < 4; k++)
			cr_assert_eq(vmt_writer_append(w, VMT_REC_RESPONSE, 0, 4 * b + k, 10 * b + 5 + k, "s", 1), 0);
	}
	cr_assert_eq(vmt_writer_close(w, NULL), 0);
	cr_assert_eq(vmt_reader_open(&r, path, NULL), 0);
	cr_assert(vmt_reader_chunk_count(r) > 10);
	for (uint64_t s = 0; s < 200; s++) {
		cr_assert_eq(vmt_reader_seek_seq(r, s), 0);
		cr_assert_eq(vmt_reader_next(r, &rec), 1);
		cr_assert_eq(rec.type, VMT_REC_REQUEST, "seq %llu", (unsigned long long)s);
		cr_assert_eq(rec.seq, s);
	}
	cr_assert_eq(vmt_reader_seek_ts(r, 16), 0);
	cr_assert_eq(vmt_reader_next(r, &rec), 1);
	cr_assert_eq(rec.ts_ns, 16);
	cr_assert_eq(rec.type, VMT_REC_RESPONSE);
	vmt_reader_close(r);
}

/* Every ABI version x both codecs: raw entries come back byte-identical
 * and decode to the events that were encoded.  Failures name the case. */
Test(roundtrip, every_abi_and_codec)
{
	static const uint32_t codecs[] = { VMT_CODEC_ZSTD, VMT_CODEC_NONE };

	for (uint32_t abi = VMT_ABI_MIN; abi <= VMT_ABI_MAX; abi++) {
		for (int c = 0; c < 2; c++) {
			const char *path = tf_path("abi.vmt");
			size_t esz = vmt_abi_entry_size(abi);
			struct vmt_trace_info info;
			struct vmt_writer *w;
			struct vmt_reader *r;
			struct vmt_record rec;
			struct vmt_event ev, back;
			uint8_t raw[VMT_ENTRY_MAX];
			uint32_t i = 0;

			tf_info(&info);
			info.abi_version = abi;
			info.req_size = info.rsp_size = (uint32_t)esz;
			VMT_OPTS(vmt_writer_opts, o, .codec = codecs[c], .chunk_size = 4096,
				 .overwrite = 1);
			cr_assert_eq(vmt_writer_open(&w, path, &info, &o), 0, "abi %u codec %d", abi, c);
			for (i = 0; i < 200; i++) {
				vmt_event_init(&ev, abi, 1 + i % 10);
				ev.vcpu_id = i % 3;
				ev.reg[VMT_REG_RIP] = 0xffffffff81000000ull + i;
				cr_assert_eq(vmt_event_encode(&ev, raw, sizeof(raw)), (int)esz);
				cr_assert_eq(vmt_writer_append(w, VMT_REC_REQUEST, 0, i, i, raw,
							       (uint32_t)esz), 0);
			}
			cr_assert_eq(vmt_writer_close(w, NULL), 0);
			cr_assert_eq(vmt_reader_open(&r, path, NULL), 0);
			cr_assert_eq(vmt_reader_info(r)->abi_version, abi);
			cr_assert_eq(vmt_reader_info(r)->codec, codecs[c]);
			for (i = 0; vmt_reader_next(r, &rec) == 1; i++) {
				vmt_event_init(&ev, abi, 1 + i % 10);
				ev.vcpu_id = i % 3;
				ev.reg[VMT_REG_RIP] = 0xffffffff81000000ull + i;
				vmt_event_encode(&ev, raw, sizeof(raw));
				cr_assert_eq(rec.size, esz, "abi %u codec %d record %u", abi, c, i);
				cr_assert_arr_eq(rec.data, raw, esz, "abi %u codec %d record %u", abi, c, i);
				cr_assert_eq(vmt_event_decode(rec.data, rec.size, &back), 0);
				cr_assert_eq(back.version, abi);
				cr_assert_eq(back.reason, ev.reason);
				cr_assert_eq(back.vcpu_id, ev.vcpu_id);
				cr_assert_eq(back.reg[VMT_REG_RIP], ev.reg[VMT_REG_RIP]);
			}
			cr_assert_eq(i, 200, "abi %u codec %d", abi, c);
			vmt_reader_close(r);
		}
	}
}

/* vmtrail-record --compress-after: an uncompressed trace copied into zstd
 * chunks keeps its header facts, every record and its recorder summary. */
Test(roundtrip, rewrite_compresses_and_keeps_everything)
{
	char src[200], dst[200];  /* tf_path() reuses its buffer */
	const uint64_t n = 120000;
	VMT_OPTS(vmt_writer_opts, o, .level = 3, .codec = VMT_CODEC_ZSTD,
		 .chunk_size = 32 << 10);
	struct vmt_trace_info want;
	struct vmt_reader *r;
	struct stat a, b;

	snprintf(src, sizeof(src), "%s", tf_path("rw-raw.vmt"));
	snprintf(dst, sizeof(dst), "%s", tf_path("rw-zstd.vmt"));
	cr_assert_eq(tf_write(src, n, 32 << 10, VMT_CODEC_NONE, 1), 0);
	int fd = open(dst, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(vmt_trace_rewrite(src, fd, &o), 0);
	check_all(dst, n);
	cr_assert_eq(stat(src, &a), 0);
	cr_assert_eq(stat(dst, &b), 0);
	cr_assert_lt(b.st_size, a.st_size, "compressed %lld of %lld bytes",
		     (long long)b.st_size, (long long)a.st_size);

	cr_assert_eq(vmt_reader_open(&r, dst, NULL), 0);
	tf_info(&want);
	const struct vmt_trace_info *got = vmt_reader_info(r);
	cr_assert_arr_eq(got->uuid, want.uuid, 16);
	cr_assert_eq(got->clock_wall_ns, want.clock_wall_ns);
	cr_assert_str_eq(got->labels, want.labels);
	cr_assert_eq(got->codec, VMT_CODEC_ZSTD);
	cr_assert_eq(got->level, 3);
	const struct vmt_run_summary *s = vmt_reader_summary(r);
	cr_assert(s->from_trailer);
	cr_assert_eq(s->records, n);
	cr_assert_eq(s->duration_ns, 42);
	cr_assert_eq(s->end_cause, VMT_END_SIGNAL);
	vmt_reader_close(r);
}

/* Only an intact trace may be replaced by its copy. */
Test(roundtrip, rewrite_refuses_a_trace_without_trailer)
{
	char src[200], dst[200];

	snprintf(src, sizeof(src), "%s", tf_path("rw-cut.vmt"));
	snprintf(dst, sizeof(dst), "%s", tf_path("rw-cut-copy.vmt"));
	cr_assert_eq(tf_write(src, 5000, 4096, VMT_CODEC_NONE, 0), 0);
	int fd = open(dst, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(vmt_trace_rewrite(src, fd, NULL), -VMT_E_DAMAGED);
	cr_assert_eq(fcntl(fd, F_GETFD), -1, "the fd was closed");
}
