/*
 * runfacts.c - the one list of a trace's run facts: header, summary and
 * integrity, each under one name.  It feeds both the runs row (runrow.c)
 * and --info / --info --json (info.c), so the two say the same thing under
 * the same names.  Names that existed on one side only before the list
 * are kept there as aliases (SCHEMA.md "Run facts").
 */
#include <string.h>

#include "replay_int.h"

static struct vmt_fact num(const char *name, int group, uint64_t v)
{
	return (struct vmt_fact){ .name = name, .group = (uint8_t)group, .num = v };
}

static struct vmt_fact snum(const char *name, int group, int64_t v)
{
	return (struct vmt_fact){ .name = name, .group = (uint8_t)group,
				  .num = (uint64_t)v, .is_signed = 1 };
}

static struct vmt_fact text(const char *name, int group, const char *s)
{
	return (struct vmt_fact){ .name = name, .group = (uint8_t)group, .text = s };
}

static size_t header_facts(const struct vmt_trace_info *in, struct vmt_fact_texts *t,
			   struct vmt_fact *f)
{
	size_t n = 0;

	vmt_uuid_format(in->uuid, t->uuid);
	vmt_iso_time(in->clock_wall_ns, t->start);
	snprintf(t->xen, sizeof(t->xen), "%u.%u%s", in->xen_major, in->xen_minor,
		 in->xen_extra);
	vmt_replay_fingerprint(in->abi_version, in->vcpus, in->monitors,
			       in->labels, t->fp);
	f[n++] = text("uuid", VMT_FACT_HEADER, t->uuid);
	f[n++] = text("start_wall", VMT_FACT_HEADER, t->start);
	f[n++] = snum("start_wall_ns", VMT_FACT_HEADER, (int64_t)in->clock_wall_ns);
	f[n++] = snum("clock_mono_ns", VMT_FACT_HEADER, (int64_t)in->clock_mono_ns);
	f[n++] = num("abi_version", VMT_FACT_HEADER, in->abi_version);
	f[n++] = num("req_size", VMT_FACT_HEADER, in->req_size);
	f[n++] = num("rsp_size", VMT_FACT_HEADER, in->rsp_size);
	f[n++] = num("page_size", VMT_FACT_HEADER, in->page_size);
	f[n++] = num("xen_major", VMT_FACT_HEADER, in->xen_major);
	f[n++] = num("xen_minor", VMT_FACT_HEADER, in->xen_minor);
	f[n++] = text("xen_extra", VMT_FACT_HEADER, in->xen_extra);
	f[n++] = text("xen_version", VMT_FACT_HEADER, t->xen);
	f[n++] = text("host", VMT_FACT_HEADER, in->host);
	f[n++] = num("domid", VMT_FACT_HEADER, in->domid);
	f[n++] = text("domain_name", VMT_FACT_HEADER, in->domain_name);
	f[n++] = num("vcpus", VMT_FACT_HEADER, in->vcpus);
	f[n++] = text("monitors", VMT_FACT_HEADER, in->monitors);
	f[n++] = text("labels", VMT_FACT_HEADER, in->labels);
	f[n++] = text("phase_names", VMT_FACT_HEADER, in->phase_names);
	f[n++] = text("recorder_version", VMT_FACT_HEADER, in->recorder_version);
	f[n++] = text("cmdline", VMT_FACT_HEADER, in->cmdline);
	f[n++] = num("codec", VMT_FACT_HEADER, in->codec);
	f[n++] = snum("level", VMT_FACT_HEADER, in->level);
	f[n++] = text("fingerprint", VMT_FACT_HEADER, t->fp);
	return n;
}

/* A cut trace's summary has no duration: the span of its records stands in. */
static size_t summary_facts(const struct vmt_run_summary *s, struct vmt_fact *f)
{
	uint64_t span = s->last_ts >= s->first_ts ? s->last_ts - s->first_ts : 0;
	size_t n = 0;

	f[n++] = num("records", VMT_FACT_SUMMARY, s->records);
	f[n++] = num("requests", VMT_FACT_SUMMARY, s->requests);
	f[n++] = num("responses", VMT_FACT_SUMMARY, s->responses);
	f[n++] = num("markers", VMT_FACT_SUMMARY, s->markers);
	f[n++] = num("notes", VMT_FACT_SUMMARY, s->notes);
	f[n++] = num("ring_stats", VMT_FACT_SUMMARY, s->ring_stats);
	f[n++] = num("lost", VMT_FACT_SUMMARY, s->lost);
	f[n++] = num("first_seq", VMT_FACT_SUMMARY, s->first_seq);
	f[n++] = num("last_seq", VMT_FACT_SUMMARY, s->last_seq);
	f[n++] = num("first_ts_ns", VMT_FACT_SUMMARY, s->first_ts);
	f[n++] = num("last_ts_ns", VMT_FACT_SUMMARY, s->last_ts);
	f[n++] = num("duration_ns", VMT_FACT_SUMMARY, s->duration_ns ? s->duration_ns : span);
	f[n++] = num("backpressure_ns", VMT_FACT_SUMMARY, s->backpressure_ns);
	f[n++] = num("max_occupancy", VMT_FACT_SUMMARY, s->max_occupancy);
	f[n++] = num("batches", VMT_FACT_SUMMARY, s->batches);
	f[n] = snum("end_cause_code", VMT_FACT_SUMMARY, vmt_summary_end_cause(s));
	f[n++].runs_alias = "end_cause";
	f[n] = text("end_cause_name", VMT_FACT_SUMMARY, vmt_summary_end_name(s));
	f[n++].info_alias = "end_cause";
	f[n] = num("summary_from_trailer", VMT_FACT_SUMMARY, s->from_trailer);
	f[n++].info_alias = "from_trailer";
	return n;
}

static size_t integrity_facts(const struct vmt_integrity *in, struct vmt_fact *f)
{
	size_t n = 0;

	f[n++] = num("complete", VMT_FACT_INTEGRITY, in->complete);
	f[n++] = num("chunks", VMT_FACT_INTEGRITY, in->chunks);
	f[n] = num("damaged_chunks", VMT_FACT_INTEGRITY, in->damaged);
	f[n++].info_alias = "damaged";
	f[n++] = snum("first_damaged", VMT_FACT_INTEGRITY, in->first_damaged);
	f[n++] = num("cut_offset", VMT_FACT_INTEGRITY, in->cut_offset);
	f[n++] = num("unknown_records", VMT_FACT_INTEGRITY, in->unknown_records);
	f[n++] = num("file_size", VMT_FACT_INTEGRITY, in->file_size);
	return n;
}

size_t vmt_run_facts(const struct vmt_reader *r, struct vmt_fact_texts *t,
		     struct vmt_fact out[VMT_FACTS_MAX])
{
	size_t n = header_facts(vmt_reader_info(r), t, out);

	n += summary_facts(vmt_reader_summary(r), out + n);
	return n + integrity_facts(vmt_reader_integrity(r), out + n);
}
