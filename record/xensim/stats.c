/*
 * stats.c - xensim's counts as JSON: the ground truth a test compares a
 * consumer's view against.  Keys are listed in record/xensim/README.md
 * ("Stats"); top-level counts are sums over the domains, each domain also
 * reports its own.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim.h"

#ifndef VMT_VERSION_STRING
#define VMT_VERSION_STRING "unknown"
#endif

/* Plain counters, written in this order under these names. */
static const struct { const char *name; size_t off; } counters[] = {
#define C(f) { #f, offsetof(struct vmt_sim_counts, f) }
	C(produced_total), C(responses_consumed), C(responses_rejected),
	C(pause_ns_total), C(pause_ns_max), C(ring_full_waits),
	C(ring_wait_ns_total), C(ring_wait_ns_max), C(blocked_pauses), C(reexecuted), C(refaults),
	C(swallowed_traps), C(denied_writes), C(reinjected_traps),
	C(register_sets), C(notifications), C(access_relaxed),
	C(access_crashes), C(altp2m_switches), C(remapped_accesses),
#undef C
};

static const char *const rej_names[VMT_REJ_COUNT] = {
	"wrong_version", "no_vcpu_paused_flag", "wrong_vcpu", "bad_rsp_prod",
};

static const char *const state_names[] = { "running", "dying", "gone" };

static uint64_t get(const struct vmt_sim_counts *c, size_t i)
{
	return *(const uint64_t *)(const void *)((const char *)c + counters[i].off);
}

static void sum(struct vmt_sim_counts *t, const struct vmt_sim_counts *c)
{
	uint64_t *dst = (uint64_t *)(void *)t;
	const uint64_t *src = (const uint64_t *)(const void *)c;

	/* Every member is a uint64_t; maxima are fixed up by the caller. */
	for (size_t i = 0; i < sizeof(*t) / sizeof(uint64_t); i++)
		dst[i] += src[i];
}

static void put_reason_key(FILE *f, unsigned r)
{
	const char *n = r < VMT_SIM_REASONS ? vmt_reason_name(r) : NULL;

	if (n)
		fprintf(f, "\"%s\"", n);
	else if (r < VMT_SIM_REASONS)
		fprintf(f, "\"reason_%u\"", r);
	else
		fputs("\"other\"", f);
}

static void put_counts(FILE *f, const struct vmt_sim_counts *c, const char *ind)
{
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		fprintf(f, "%s\"%s\": %llu,\n", ind, counters[i].name,
			(unsigned long long)get(c, i));
	fprintf(f, "%s\"responses_rejected_by_reason\": {", ind);
	for (int i = 0; i < VMT_REJ_COUNT; i++)
		fprintf(f, "%s\"%s\": %llu", i ? ", " : "", rej_names[i],
			(unsigned long long)c->rejected[i]);
	fprintf(f, "},\n%s\"produced_by_reason\": {", ind);
	const char *sep = "";
	for (unsigned r = 0; r <= VMT_SIM_REASONS; r++) {
		if (!c->by_reason[r])
			continue;
		fputs(sep, f);
		put_reason_key(f, r);
		fprintf(f, ": %llu", (unsigned long long)c->by_reason[r]);
		sep = ", ";
	}
	fputs("},\n", f);
}

static const char *pause_kind(const struct vmt_sim_vcpu *v)
{
	const char *n;

	if (v->waiting) {
		n = vmt_reason_name(v->wait_reason);
		return n ? n : "unknown";
	}
	return v->ringwait ? "ring_full" : "ring_blocked";
}

/* A dying or gone domain has no vCPUs left to pause: they were stopped
 * with it, so whatever they waited for no longer counts. */
static bool held(const struct vmt_sim_dom *d, const struct vmt_sim_vcpu *v)
{
	return d->state == VMT_DOM_ALIVE &&
	       (v->waiting || v->blocked || v->ringwait);
}

static unsigned put_paused(FILE *f, const struct vmt_sim_host *h, uint64_t now,
			   const struct vmt_sim_dom *only)
{
	unsigned n = 0;

	fputs("[", f);
	for (uint32_t i = 0; i < h->n_dom; i++) {
		const struct vmt_sim_dom *d = &h->dom[i];
		if (only && d != only)
			continue;
		for (uint32_t k = 0; k < d->nvcpus; k++) {
			const struct vmt_sim_vcpu *v = &d->vcpu[k];
			if (!held(d, v))
				continue;
			uint64_t since = v->waiting ? v->wait_since :
					 v->ringwait ? v->ringwait_since : now;
			fprintf(f, "%s{\"domain\": %u, \"vcpu\": %u, "
				"\"since_ns\": %llu, \"paused_ns\": %llu, "
				"\"reason\": \"%s\", \"sync\": %s}",
				n++ ? ", " : "", d->id, v->id,
				(unsigned long long)(since - h->start_ns),
				(unsigned long long)(now - since), pause_kind(v),
				v->waiting ? "true" : "false");
		}
	}
	fputs("]", f);
	return n;
}

static unsigned count_paused(const struct vmt_sim_dom *d)
{
	unsigned n = 0;

	for (uint32_t k = 0; k < d->nvcpus; k++)
		n += held(d, &d->vcpu[k]);
	return n;
}

static void put_domain(FILE *f, const struct vmt_sim_host *h,
		       const struct vmt_sim_dom *d, uint64_t now)
{
	fprintf(f, "    {\n      \"domid\": %u,\n      \"name\": \"%s\",\n"
		"      \"vcpus\": %u,\n      \"state\": \"%s\",\n"
		"      \"monitor_enabled\": %s,\n      \"consumer_bound\": %s,\n"
		"      \"req_prod\": %u,\n      \"rsp_cons\": %u,\n",
		d->id, d->name, d->nvcpus, state_names[d->state],
		d->ring.enabled ? "true" : "false",
		d->ring.bound ? "true" : "false", d->ring.req_prod_pvt,
		d->ring.rsp_cons);
	unsigned views = 0;
	for (unsigned i = 1; i < VMT_SIM_MAX_ALTP2M; i++)
		views += d->altp2m.view[i] != NULL;
	fprintf(f, "      \"crashed\": %s,\n      \"access_required\": %s,\n"
		"      \"altp2m_active\": %s,\n      \"altp2m_views\": %u,\n"
		"      \"p2m_bytes\": %llu,\n",
		d->crashed ? "true" : "false",
		d->access_required ? "true" : "false",
		d->altp2m.active ? "true" : "false", views,
		(unsigned long long)vmt_sim_p2m_bytes(d));
	put_counts(f, &d->c, "      ");
	fprintf(f, "      \"responses_digest\": \"%016llx\",\n",
		(unsigned long long)vmt_sim_digest_value(d->rsp_digest));
	fputs("      \"altp2m_view_by_vcpu\": [", f);
	for (uint32_t k = 0; k < d->nvcpus; k++)
		fprintf(f, "%s%u", k ? ", " : "", d->vcpu[k].p2midx);
	fputs("],\n      \"produced_by_vcpu\": [", f);
	for (uint32_t k = 0; k < d->nvcpus; k++)
		fprintf(f, "%s%llu", k ? ", " : "",
			(unsigned long long)d->vcpu[k].produced);
	fprintf(f, "],\n      \"vcpus_paused_now\": %u,\n"
		"      \"vcpus_paused\": ", count_paused(d));
	put_paused(f, h, now, d);
	fputs("\n    }", f);
}

int vmt_sim_stats_write(const struct vmt_sim_host *h, FILE *f)
{
	struct vmt_sim_counts t = { 0 };
	uint64_t now = vmt_sim_now_ns();
	unsigned major, minor, paused = 0;

	for (uint32_t i = 0; i < h->n_dom; i++) {
		sum(&t, &h->dom[i].c);
		paused += count_paused(&h->dom[i]);
	}
	t.pause_ns_max = 0;
	t.ring_wait_ns_max = 0;
	for (uint32_t i = 0; i < h->n_dom; i++) {
		if (h->dom[i].c.pause_ns_max > t.pause_ns_max)
			t.pause_ns_max = h->dom[i].c.pause_ns_max;
		if (h->dom[i].c.ring_wait_ns_max > t.ring_wait_ns_max)
			t.ring_wait_ns_max = h->dom[i].c.ring_wait_ns_max;
	}
	vmt_abi_xen_release(h->abi, &major, &minor);
	fprintf(f, "{\n  \"xensim_version\": \"%s\",\n  \"abi\": %u,\n"
		"  \"xen_version\": \"%u.%u\",\n  \"workload\": \"%s\",\n"
		"  \"seed\": %llu,\n  \"uptime_ns\": %llu,\n",
		VMT_VERSION_STRING, h->abi, major, minor, h->sc.name,
		(unsigned long long)h->seed,
		(unsigned long long)(now - h->start_ns));
	put_counts(f, &t, "  ");
	fprintf(f, "  \"responses_digest\": \"%016llx\",\n",
		(unsigned long long)vmt_sim_digest_value(h->rsp_digest));
	fputs("  \"produced_by_vcpu\": {", f);
	const char *sep = "";
	for (uint32_t i = 0; i < h->n_dom; i++)
		for (uint32_t k = 0; k < h->dom[i].nvcpus; k++) {
			fprintf(f, "%s\"%u.%u\": %llu", sep, h->dom[i].id, k,
				(unsigned long long)h->dom[i].vcpu[k].produced);
			sep = ", ";
		}
	fprintf(f, "},\n  \"vcpus_paused_now\": %u,\n  \"vcpus_paused\": ",
		paused);
	put_paused(f, h, now, NULL);
	fputs(",\n  \"domains\": [\n", f);
	for (uint32_t i = 0; i < h->n_dom; i++) {
		put_domain(f, h, &h->dom[i], now);
		fputs(i + 1 < h->n_dom ? ",\n" : "\n", f);
	}
	fputs("  ]\n}\n", f);
	return ferror(f) ? -1 : 0;
}

char *vmt_sim_stats_json(const struct vmt_sim_host *h, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	int rc = vmt_sim_stats_write(h, f);
	if (fclose(f) || rc) {
		free(buf);
		return NULL;
	}
	return buf;
}
