/*
 * fuzz_reader.c - libFuzzer target over the whole read path: open a byte
 * buffer as a trace (recover and strict mode), iterate every record, decode
 * every request/response with the ABI table, read the fixed payloads, seek,
 * and look at the index.  Built as a real fuzzer with -DVMT_FUZZ=ON (clang)
 * and replayed over tests/fuzz/corpus/reader/ by regression_main.c in
 * every build.
 */
#include <stddef.h>
#include <stdint.h>

#include "vmt/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drain(struct vmt_reader *r)
{
	struct vmt_record rec;
	struct vmt_event ev;
	struct vmt_ring_stats rs;
	struct vmt_loss loss;
	int ret;

	while ((ret = vmt_reader_next(r, &rec)) == 1) {
		if (rec.type == VMT_REC_REQUEST || rec.type == VMT_REC_RESPONSE)
			vmt_event_decode(rec.data, rec.size, &ev);
		vmt_ring_stats_get(&rec, &rs);
		vmt_loss_get(&rec, &loss);
	}
	(void)ret;
}

static void one_mode(const uint8_t *data, size_t size, int strict)
{
	VMT_OPTS(vmt_reader_opts, o, .strict = strict);
	const struct vmt_run_summary *s;
	struct vmt_reader *r;
	struct vmt_record rec;

	if (vmt_reader_open_mem(&r, data, size, &o) != 0)
		return;
	drain(r);
	s = vmt_reader_summary(r);
	for (uint32_t i = 0; i < vmt_reader_chunk_count(r); i++)
		(void)vmt_reader_chunk(r, i)->status;
	if (vmt_reader_seek_seq(r, s->first_seq + (s->last_seq - s->first_seq) / 2) == 0)
		vmt_reader_next(r, &rec);
	if (vmt_reader_seek_ts(r, s->last_ts) == 0)
		drain(r);
	vmt_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;

	if (!quiet) {
		vmt_set_log_fn(NULL, NULL);
		quiet = 1;
	}
	one_mode(data, size, 0);
	one_mode(data, size, 1);
	return 0;
}
