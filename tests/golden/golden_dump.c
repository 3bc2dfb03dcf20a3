/*
 * golden_dump.c - the golden-file text dump (see golden_dump.h).  It
 * prints only what the format freezes: never compressed sizes or the
 * offsets that follow from them, which depend on the zstd version.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "vmt/format.h"
#include "golden_dump.h"

const char *golden_err_name(int err)
{
	static const char *const names[] = {
		"VMT_E_CORRUPT", "VMT_E_CHECKSUM", "VMT_E_TRUNCATED", "VMT_E_VERSION",
		"VMT_E_INCOMPAT", "VMT_E_MAGIC", "VMT_E_ABI", "VMT_E_TOOBIG",
		"VMT_E_DAMAGED", "VMT_E_STATE", "VMT_E_RING",
	};

	err = err < 0 ? -err : err;
	if (err == 0)
		return "ok";
	if (err > VMT_E_BASE && err < VMT_E_MAX)
		return names[err - VMT_E_BASE - 1];
	switch (err) {
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case ENOMEM: return "ENOMEM";
	default: return "errno";
	}
}

static void dump_info(const struct vmt_trace_info *i, FILE *out)
{
	char uuid[37];

	vmt_uuid_format(i->uuid, uuid);
	fprintf(out, "abi %u req_size %u rsp_size %u page_size %u\n", i->abi_version,
		i->req_size, i->rsp_size, i->page_size);
	fprintf(out, "xen %u.%u%s\nhost %s\n", i->xen_major, i->xen_minor, i->xen_extra, i->host);
	fprintf(out, "domain %u name %s vcpus %u\n", i->domid, i->domain_name, i->vcpus);
	fprintf(out, "monitors %s\n", i->monitors);
	fprintf(out, "clock mono %" PRIu64 " wall %" PRIu64 "\n", i->clock_mono_ns, i->clock_wall_ns);
	fprintf(out, "recorder %s\ncmdline %s\nuuid %s\n", i->recorder_version, i->cmdline, uuid);
	fprintf(out, "codec %s level %d\nlabels %s\n",
		i->codec == VMT_CODEC_ZSTD ? "zstd" : "none", i->level, i->labels);
	/* Format 1.1: absent from older files, and from their frozen dumps. */
	if (i->phase_names[0])
		fprintf(out, "phase_names %s\n", i->phase_names);
}

static void dump_summary(const struct vmt_run_summary *s, const struct vmt_integrity *in,
			 FILE *out)
{
	fprintf(out, "summary records %" PRIu64 " requests %" PRIu64 " responses %" PRIu64
		" markers %" PRIu64 " notes %" PRIu64 " ring_stats %" PRIu64 " lost %" PRIu64 "\n",
		s->records, s->requests, s->responses, s->markers, s->notes, s->ring_stats, s->lost);
	fprintf(out, "summary seq %" PRIu64 "..%" PRIu64 " ts %" PRIu64 "..%" PRIu64
		" duration %" PRIu64 " backpressure %" PRIu64 " max_occupancy %" PRIu64
		" batches %" PRIu64 " end_cause %u from_trailer %u\n",
		s->first_seq, s->last_seq, s->first_ts, s->last_ts, s->duration_ns,
		s->backpressure_ns, s->max_occupancy, s->batches, s->end_cause, s->from_trailer);
	fprintf(out, "integrity complete %d chunks %u damaged %u first_damaged %" PRId64
		" cut %s unknown_records %" PRIu64 " unknown_meta %u\n",
		in->complete, in->chunks, in->damaged, in->first_damaged,
		in->cut_offset ? "yes" : "no", in->unknown_records, in->unknown_meta);
}

static void dump_event(const struct vmt_record *r, FILE *out)
{
	static const enum vmt_reg key[] = { VMT_REG_RIP, VMT_REG_RSP, VMT_REG_CR0, VMT_REG_CR3,
					    VMT_REG_CR4, VMT_REG_DR6 };
	const char *name;
	struct vmt_event ev;
	int err = vmt_event_decode(r->data, r->size, &ev);

	if (err) {
		fprintf(out, "  decode %s\n", golden_err_name(err));
		return;
	}
	name = vmt_reason_name(ev.reason);
	fprintf(out, "  v%u %s vcpu %u flags 0x%x altp2m %u", ev.version, name ? name : "?",
		ev.vcpu_id, ev.flags, ev.altp2m_idx);
	for (size_t k = 0; k < sizeof(key) / sizeof(key[0]); k++)
		if (ev.reg_present & (1ull << key[k]))
			fprintf(out, " %s=0x%" PRIx64, vmt_reg_name(key[k]), ev.reg[key[k]]);
	for (int f = 0; f < VMT_P_COUNT; f++)
		if (ev.p_present & (1ull << f))
			fprintf(out, " %s=0x%" PRIx64, vmt_pfield_name((enum vmt_pfield)f), ev.p[f]);
	fprintf(out, "\n");
}

static void dump_record(const struct vmt_record *r, FILE *out)
{
	static const char *const types[] = { "?", "request", "response", "marker",
					     "ring_stats", "note", "loss" };
	struct vmt_ring_stats rs;
	struct vmt_loss l;

	fprintf(out, "%s seq %" PRIu64 " ts %" PRIu64 " size %u flags 0x%x\n",
		r->type <= VMT_REC_LOSS ? types[r->type] : "?", r->seq, r->ts_ns, r->size, r->flags);
	if (r->type == VMT_REC_REQUEST || r->type == VMT_REC_RESPONSE)
		dump_event(r, out);
	else if (r->type == VMT_REC_MARKER || r->type == VMT_REC_NOTE)
		fprintf(out, "  text \"%.*s\"\n", (int)r->size, (const char *)r->data);
	else if (vmt_ring_stats_get(r, &rs) == 0)
		fprintf(out, "  occupancy %u handled %u batch_ns %" PRIu64 " backpressure_ns %" PRIu64
			"\n", rs.occupancy, rs.handled, rs.batch_ns, rs.backpressure_ns);
	else if (vmt_loss_get(r, &l) == 0)
		fprintf(out, "  first_seq %" PRIu64 " count %" PRIu64 " cause %u\n", l.first_seq,
			l.count, l.cause);
}

int golden_dump(const char *path, FILE *out)
{
	struct vmt_reader *r;
	struct vmt_record rec;
	int ret = vmt_reader_open(&r, path, NULL);

	if (ret)
		return ret;
	dump_info(vmt_reader_info(r), out);
	for (uint32_t i = 0; i < vmt_reader_chunk_count(r); i++) {
		const struct vmt_chunk_info *c = vmt_reader_chunk(r, i);

		fprintf(out, "chunk %u nrec %u usize %u seq %" PRIu64 "..%" PRIu64 " ts %" PRIu64
			"..%" PRIu64 "\n", i, c->nrec, c->usize, c->first_seq, c->last_seq,
			c->first_ts, c->last_ts);
	}
	while ((ret = vmt_reader_next(r, &rec)) == 1)
		dump_record(&rec, out);
	if (ret == 0)
		dump_summary(vmt_reader_summary(r), vmt_reader_integrity(r), out);
	vmt_reader_close(r);
	return ret;
}

static void one_read(const char *path, int strict, FILE *out)
{
	VMT_OPTS(vmt_reader_opts, o, .strict = strict);
	struct vmt_reader *r;
	struct vmt_record rec;
	uint64_t n = 0;
	int ret = vmt_reader_open(&r, path, &o);

	fprintf(out, "%s: ", strict ? "strict" : "recover");
	if (ret) {
		fprintf(out, "open %s\n", golden_err_name(ret));
		return;
	}
	while ((ret = vmt_reader_next(r, &rec)) == 1)
		n++;
	fprintf(out, "records %" PRIu64 " then %s", n, golden_err_name(ret));
	if (ret)
		fprintf(out, " at chunk %" PRId64, vmt_reader_last_chunk(r));
	fprintf(out, ", damaged %u complete %d cut %s\n", vmt_reader_integrity(r)->damaged,
		vmt_reader_integrity(r)->complete, vmt_reader_integrity(r)->cut_offset ? "yes" : "no");
	vmt_reader_close(r);
}

void golden_errors(const char *path, FILE *out)
{
	one_read(path, 1, out);
	one_read(path, 0, out);
}
