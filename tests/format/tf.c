/*
 * tf.c - helpers shared by the format tests (see tf.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tf.h"

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

void tf_gen(uint64_t i, struct tf_rec *r)
{
	uint64_t h = mix(i + 1);

	memset(r, 0, sizeof(*r));
	r->seq = i / 2;
	r->ts = 10 * i;
	r->type = (i & 1) ? VMT_REC_RESPONSE : VMT_REC_REQUEST;
	r->flags = (uint16_t)(h >> 48);
	r->size = (uint32_t)(h % 41);
	if (i % 1000 == 999) {
		r->type = VMT_REC_MARKER;
		r->size = (uint32_t)snprintf((char *)r->data, sizeof(r->data), "marker %llu",
					     (unsigned long long)i);
		return;
	}
	if (i % 1000 == 500) {
		struct vmt_ring_stats s = { (uint32_t)(i % 8), 3, i, i / 3 };

		r->type = VMT_REC_RING_STATS;
		r->size = VMT_RING_STATS_SIZE;
		vmt_ring_stats_put(r->data, &s);
		return;
	}
	for (uint32_t k = 0; k < r->size; k++)
		r->data[k] = (uint8_t)(mix(h + k) >> 7);
}

int tf_same(uint64_t i, const struct vmt_record *got)
{
	struct tf_rec r;

	tf_gen(i, &r);
	return got->type == r.type && got->flags == r.flags && got->size == r.size &&
	       got->seq == r.seq && got->ts_ns == r.ts &&
	       (r.size == 0 || memcmp(got->data, r.data, r.size) == 0);
}

void tf_info(struct vmt_trace_info *info)
{
	memset(info, 0, sizeof(*info));
	info->abi_version = 7;
	info->req_size = info->rsp_size = 384;
	info->page_size = 4096;
	info->xen_major = 4;
	info->xen_minor = 17;
	strcpy(info->xen_extra, ".3-test");
	strcpy(info->host, "testhost");
	info->domid = 7;
	strcpy(info->domain_name, "guest-7");
	info->vcpus = 2;
	strcpy(info->monitors, "mem_access:rwx;cpuid;singlestep");
	info->clock_mono_ns = 123456789;
	info->clock_wall_ns = 1700000000000000000ull;
	strcpy(info->recorder_version, "0.1.0");
	strcpy(info->cmdline, "vmtrail-record --domain 7 -o t.vmt");
	for (int k = 0; k < 16; k++)
		info->uuid[k] = (uint8_t)(0x10 + k);
	strcpy(info->labels, "scenario=test;run=1");
}

static char tf_dir[64];

static void tf_cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tf_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tf_dir);
}

const char *tf_path(const char *name)
{
	static char path[160];

	if (!tf_dir[0]) {
		strcpy(tf_dir, "/tmp/vmt-format-XXXXXX");
		if (!mkdtemp(tf_dir))
			abort();
		atexit(tf_cleanup);
	}
	snprintf(path, sizeof(path), "%s/%s", tf_dir, name);
	unlink(path);
	return path;
}

int tf_write(const char *path, uint64_t n, uint32_t chunk, uint32_t codec, int close)
{
	struct vmt_trace_info info;
	struct vmt_writer *w;
	struct tf_rec r;
	int err;

	tf_info(&info);
	VMT_OPTS(vmt_writer_opts, o, .level = 1, .codec = codec, .chunk_size = chunk,
		 .overwrite = 1);
	err = vmt_writer_open(&w, path, &info, &o);
	if (err)
		return err;
	for (uint64_t i = 0; i < n && !err; i++) {
		tf_gen(i, &r);
		err = vmt_writer_append(w, r.type, r.flags, r.seq, r.ts, r.data, r.size);
	}
	if (!close) {
		int e2 = vmt_writer_flush(w);

		vmt_writer_abandon(w);
		return err ? err : e2;
	}
	struct vmt_run_summary s = { .duration_ns = 42, .end_cause = VMT_END_SIGNAL };
	int e2 = vmt_writer_close(w, &s);

	return err ? err : e2;
}

uint8_t *tf_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

int tf_spill(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(buf, 1, len, f) == len;
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

int tf_read_all(struct vmt_reader *r, uint64_t *count)
{
	struct vmt_record rec;
	int ret;

	*count = 0;
	while ((ret = vmt_reader_next(r, &rec)) == 1)
		(*count)++;
	return ret;
}
