/*
 * info.c - vmt_replay_info(): a trace's header, summary, chunk index and
 * integrity, as text for people or as one JSON object (SCHEMA.md "--info
 * JSON").  Both come from the same key/value lists, so the two outputs
 * name the same facts the same way (and as the runs columns do).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "replay_int.h"

struct kv {
	const char *key;
	const char *text;           /* NULL: a number */
	uint64_t num;
	int is_signed;
};

#define KN(k, v) (struct kv){ k, NULL, (uint64_t)(v), 0 }
#define KS(k, v) (struct kv){ k, NULL, (uint64_t)(int64_t)(v), 1 }
#define KT(k, v) (struct kv){ k, v, 0, 0 }

struct texts {
	char uuid[37], start[40], xen[300], fp[17];
};

static size_t header_kv(const struct vmt_trace_info *in, struct texts *t,
			struct kv *kv)
{
	size_t n = 0;

	vmt_uuid_format(in->uuid, t->uuid);
	vmt_iso_time(in->clock_wall_ns, t->start);
	snprintf(t->xen, sizeof(t->xen), "%u.%u%s", in->xen_major, in->xen_minor,
		 in->xen_extra);
	vmt_replay_fingerprint(in->abi_version, in->vcpus, in->monitors,
			       in->labels, t->fp);
	kv[n++] = KT("uuid", t->uuid);
	kv[n++] = KT("start_wall", t->start);
	kv[n++] = KN("start_wall_ns", in->clock_wall_ns);
	kv[n++] = KN("clock_mono_ns", in->clock_mono_ns);
	kv[n++] = KN("abi_version", in->abi_version);
	kv[n++] = KN("req_size", in->req_size);
	kv[n++] = KN("rsp_size", in->rsp_size);
	kv[n++] = KN("page_size", in->page_size);
	kv[n++] = KT("xen_version", t->xen);
	kv[n++] = KT("host", in->host);
	kv[n++] = KN("domid", in->domid);
	kv[n++] = KT("domain_name", in->domain_name);
	kv[n++] = KN("vcpus", in->vcpus);
	kv[n++] = KT("monitors", in->monitors);
	kv[n++] = KT("labels", in->labels);
	kv[n++] = KT("phase_names", in->phase_names);
	kv[n++] = KT("recorder_version", in->recorder_version);
	kv[n++] = KT("cmdline", in->cmdline);
	kv[n++] = KN("codec", in->codec);
	kv[n++] = KS("level", in->level);
	kv[n++] = KT("fingerprint", t->fp);
	return n;
}

static size_t summary_kv(const struct vmt_run_summary *s, struct kv *kv)
{
	size_t n = 0;

	kv[n++] = KN("records", s->records);
	kv[n++] = KN("requests", s->requests);
	kv[n++] = KN("responses", s->responses);
	kv[n++] = KN("markers", s->markers);
	kv[n++] = KN("notes", s->notes);
	kv[n++] = KN("ring_stats", s->ring_stats);
	kv[n++] = KN("lost", s->lost);
	kv[n++] = KN("first_seq", s->first_seq);
	kv[n++] = KN("last_seq", s->last_seq);
	kv[n++] = KN("first_ts_ns", s->first_ts);
	kv[n++] = KN("last_ts_ns", s->last_ts);
	kv[n++] = KN("duration_ns", s->duration_ns);
	kv[n++] = KN("backpressure_ns", s->backpressure_ns);
	kv[n++] = KN("max_occupancy", s->max_occupancy);
	kv[n++] = KN("batches", s->batches);
	kv[n++] = KT("end_cause", vmt_summary_end_name(s));
	kv[n++] = KN("from_trailer", s->from_trailer);
	return n;
}

static size_t integrity_kv(const struct vmt_integrity *in, struct kv *kv)
{
	size_t n = 0;

	kv[n++] = KN("complete", in->complete);
	kv[n++] = KN("chunks", in->chunks);
	kv[n++] = KN("damaged", in->damaged);
	kv[n++] = KS("first_damaged", in->first_damaged);
	kv[n++] = KN("cut_offset", in->cut_offset);
	kv[n++] = KN("unknown_records", in->unknown_records);
	kv[n++] = KN("file_size", in->file_size);
	return n;
}

static void kv_json(FILE *o, const char *name, const struct kv *kv, size_t n)
{
	fprintf(o, ",\"%s\":{", name);
	for (size_t i = 0; i < n; i++) {
		fprintf(o, "%s\"%s\":", i ? "," : "", kv[i].key);
		if (kv[i].text)
			vmt_json_str(o, kv[i].text, strlen(kv[i].text));
		else if (kv[i].is_signed)
			fprintf(o, "%" PRId64, (int64_t)kv[i].num);
		else
			fprintf(o, "%" PRIu64, kv[i].num);
	}
	putc('}', o);
}

static void kv_text(FILE *o, const char *title, const struct kv *kv, size_t n)
{
	fprintf(o, "%s:\n", title);
	for (size_t i = 0; i < n; i++) {
		if (kv[i].text)
			fprintf(o, "  %-18s %s\n", kv[i].key, kv[i].text);
		else if (kv[i].is_signed)
			fprintf(o, "  %-18s %" PRId64 "\n", kv[i].key, (int64_t)kv[i].num);
		else
			fprintf(o, "  %-18s %" PRIu64 "\n", kv[i].key, kv[i].num);
	}
}

static void chunks_json(FILE *o, const struct vmt_reader *r)
{
	fputs(",\"chunks\":[", o);
	for (uint32_t i = 0; i < vmt_reader_chunk_count(r); i++) {
		const struct vmt_chunk_info *c = vmt_reader_chunk(r, i);

		fprintf(o, "%s{\"offset\":%" PRIu64 ",\"nrec\":%u,\"csize\":%u,"
			"\"usize\":%u,\"first_seq\":%" PRIu64 ",\"last_seq\":%" PRIu64
			",\"first_ts\":%" PRIu64 ",\"last_ts\":%" PRIu64 ",\"status\":",
			i ? "," : "", c->offset, c->nrec, c->csize, c->usize,
			c->first_seq, c->last_seq, c->first_ts, c->last_ts);
		if (c->status)
			vmt_json_str(o, vmt_strerror(c->status), strlen(vmt_strerror(c->status)));
		else
			fputs("\"ok\"", o);
		putc('}', o);
	}
	putc(']', o);
}

static void chunks_text(FILE *o, const struct vmt_reader *r)
{
	uint64_t csize = 0, usize = 0;
	uint32_t n = vmt_reader_chunk_count(r);

	for (uint32_t i = 0; i < n; i++) {
		const struct vmt_chunk_info *c = vmt_reader_chunk(r, i);

		csize += c->csize;
		usize += c->usize;
		if (c->status)
			fprintf(o, "  chunk %u at byte %" PRIu64 ": %s\n", i, c->offset,
				vmt_strerror(c->status));
	}
	fprintf(o, "chunks: %u (%" PRIu64 " bytes compressed, %" PRIu64
		" uncompressed)\n", n, csize, usize);
}

/* Loads every chunk once so that damage the index cannot see is found. */
static int verify_chunks(struct vmt_reader *r, struct vmt_tmap *m)
{
	struct vmt_record rec;
	int64_t seen = -1;
	int ret;

	while ((ret = vmt_reader_next(r, &rec)) == 1)
		if (vmt_reader_last_chunk(r) != seen) {
			seen = vmt_reader_last_chunk(r);
			vmt_tmap_release(m, vmt_reader_chunk(r, (uint32_t)seen)->offset);
		}
	return ret;
}

VMT_API int vmt_replay_info(FILE *out, const char *trace, int json)
{
	struct vmt_reader *r;
	struct vmt_tmap map;
	struct kv kv[32];
	struct texts t;
	size_t n;
	int err = vmt_tmap_open(&map, trace, NULL, &r);

	if (err)
		return err;
	err = verify_chunks(r, &map);
	if (json)
		fputs("{\"path\":", out), vmt_json_str(out, trace, strlen(trace));
	n = header_kv(vmt_reader_info(r), &t, kv);
	json ? kv_json(out, "header", kv, n) : kv_text(out, "header", kv, n);
	n = summary_kv(vmt_reader_summary(r), kv);
	json ? kv_json(out, "summary", kv, n) : kv_text(out, "summary", kv, n);
	json ? chunks_json(out, r) : chunks_text(out, r);
	n = integrity_kv(vmt_reader_integrity(r), kv);
	json ? kv_json(out, "integrity", kv, n) : kv_text(out, "integrity", kv, n);
	if (json)
		fprintf(out, ",\"lost\":%" PRIu64 "}\n", vmt_reader_summary(r)->lost);
	else
		fprintf(out, "lost: %" PRIu64 "\n", vmt_reader_summary(r)->lost);
	vmt_reader_close(r);
	vmt_tmap_close(&map);
	return err ? err : (ferror(out) ? -EIO : 0);
}
