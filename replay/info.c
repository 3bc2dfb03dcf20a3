/*
 * info.c - vmt_replay_info(): a trace's header, summary, chunk index and
 * integrity, as text for people or as one JSON object (SCHEMA.md "--info
 * JSON").  Both print the run facts of runfacts.c, which the runs row
 * is made of too.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "replay_int.h"

/* One group of the run facts, under their names and --info aliases. */
static void facts_json(FILE *o, const char *title, const struct vmt_fact *f,
		       size_t n, int group)
{
	int first = 1;

	fprintf(o, ",\"%s\":{", title);
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 2; k++) {
			const char *name = k ? f[i].info_alias : f[i].name;

			if (!name || f[i].group != group)
				continue;
			if (f[i].text) {
				fprintf(o, "%s\"%s\":", first ? "" : ",", name);
				vmt_json_str(o, f[i].text, strlen(f[i].text));
			} else if (f[i].is_signed) {
				vmt_json_i64(o, !first, name, (int64_t)f[i].num);
			} else {
				vmt_json_u64(o, !first, name, f[i].num);
			}
			first = 0;
		}
	putc('}', o);
}

/* For people: the names only (the aliases say the same again). */
static void facts_text(FILE *o, const char *title, const struct vmt_fact *f,
		       size_t n, int group)
{
	fprintf(o, "%s:\n", title);
	for (size_t i = 0; i < n; i++) {
		if (f[i].group != group)
			continue;
		if (f[i].text) {
			fprintf(o, "  %-20s ", f[i].name);
			vmt_text_str(o, f[i].text, strlen(f[i].text));
			putc('\n', o);
		} else if (f[i].is_signed)
			fprintf(o, "  %-20s %" PRId64 "\n", f[i].name, (int64_t)f[i].num);
		else
			fprintf(o, "  %-20s %" PRIu64 "\n", f[i].name, f[i].num);
	}
}

static void facts(FILE *o, int json, const char *title, const struct vmt_fact *f,
		  size_t n, int group)
{
	if (json)
		facts_json(o, title, f, n, group);
	else
		facts_text(o, title, f, n, group);
}

static void chunks_json(FILE *o, const struct vmt_reader *r)
{
	fputs(",\"chunks\":[", o);
	for (uint32_t i = 0; i < vmt_reader_chunk_count(r); i++) {
		const struct vmt_chunk_info *c = vmt_reader_chunk(r, i);

		fprintf(o, "%s{\"offset\":%" PRIu64 ",\"nrec\":%u,\"csize\":%u,"
			"\"usize\":%u", i ? "," : "", c->offset, c->nrec, c->csize, c->usize);
		vmt_json_u64(o, 1, "first_seq", c->first_seq);
		vmt_json_u64(o, 1, "last_seq", c->last_seq);
		vmt_json_u64(o, 1, "first_ts", c->first_ts);
		vmt_json_u64(o, 1, "last_ts", c->last_ts);
		fputs(",\"status\":", o);
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
	struct vmt_fact f[VMT_FACTS_MAX];
	struct vmt_fact_texts t;
	struct vmt_reader *r;
	struct vmt_tmap map;
	size_t n;
	int err = vmt_tmap_open(&map, trace, NULL, &r);

	if (err)
		return err;
	err = verify_chunks(r, &map);
	n = vmt_run_facts(r, &t, f);
	if (json)
		fputs("{\"path\":", out), vmt_json_str(out, trace, strlen(trace));
	facts(out, json, "header", f, n, VMT_FACT_HEADER);
	facts(out, json, "summary", f, n, VMT_FACT_SUMMARY);
	json ? chunks_json(out, r) : chunks_text(out, r);
	facts(out, json, "integrity", f, n, VMT_FACT_INTEGRITY);
	if (json)
		vmt_json_u64(out, 1, "lost", vmt_reader_summary(r)->lost), fputs("}\n", out);
	else
		fprintf(out, "lost: %" PRIu64 "\n", vmt_reader_summary(r)->lost);
	vmt_reader_close(r);
	vmt_tmap_close(&map);
	if (ferror(out))
		return -EIO;
	/* Described, with damage: a warning, not a failure (replay.h). */
	return err == -VMT_E_DAMAGED || err == -VMT_E_CHECKSUM ||
	       err == -VMT_E_CORRUPT ? -err : err;
}
