/*
 * report.c - text and JSON renderings of a run summary and of a
 * comparison (analyze/README.md "Output").  Text is for people (aligned
 * columns, flagged rows only unless asked); JSON keeps every row with
 * stable keys for scripts.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_int.h"
#include "report.h"
#include "vmt_out.h"
#include "vmt/event.h"

#define TOP_KEYS 10

static const char *const verdict_names[] = {"~", "up", "down", "new", "vanished"};

const char *vmt_an_verdict_name(enum vmt_an_verdict v)
{
	return verdict_names[v];
}

void vmt_an_json_str(FILE *f, const char *s)
{
	vmt_json_str(f, s, strlen(s));
}

/* A JSON number, or null for inf/NaN (JSON has neither). */
static void json_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.6g", v);
	else
		fputs("null", f);
}

/* ,"key":number (null when not finite) */
static void json_field(FILE *f, const char *key, double v)
{
	fprintf(f, ",\"%s\":", key);
	json_num(f, v);
}

/* ---- run entries, sorted ------------------------------------------------ */

static int cmp_entry(const void *pa, const void *pb)
{
	const struct vmt_an_entry *a = *(const struct vmt_an_entry *const *)pa;
	const struct vmt_an_entry *b = *(const struct vmt_an_entry *const *)pb;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->key.reason != b->key.reason)
		return a->key.reason < b->key.reason ? -1 : 1;
	return (a->key.a > b->key.a) - (a->key.a < b->key.a);
}

size_t vmt_an_entries(const struct vmt_an_run *r, uint32_t kind, int reason,
		      const struct vmt_an_entry ***out)
{
	const struct vmt_an_entry **v = malloc((r->tab.len + 1) * sizeof(*v));
	size_t n = 0;

	*out = v;
	if (!v)
		return 0;
	for (size_t i = 0; i < r->tab.cap; i++) {
		const struct vmt_an_entry *e = &r->tab.slot[i];

		if (e->count && !e->phase && e->key.kind == kind &&
		    (reason < 0 || e->key.reason == (uint32_t)reason))
			v[n++] = e;
	}
	qsort(v, n, sizeof(*v), cmp_entry);
	if (kind == VMT_AN_VCPU || kind == VMT_AN_REASON) /* natural order */
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0 && (kind == VMT_AN_VCPU
				? v[j]->key.a < v[j - 1]->key.a
				: v[j]->key.reason < v[j - 1]->key.reason); j--) {
				const struct vmt_an_entry *t = v[j];

				v[j] = v[j - 1];
				v[j - 1] = t;
			}
	return n;
}

double vmt_an_perturbation(const struct vmt_an_run *r)
{
	double vcpu_ns = r->duration_s * 1e9 * r->vcpus;

	return vcpu_ns > 0 ? (double)r->paused_ns / vcpu_ns : 0;
}

double vmt_an_coverage(const struct vmt_an_run *r)
{
	double ns = r->duration_s * 1e9;

	return ns > 0 ? 1.0 - (double)r->gap_ns / ns : 1.0;
}

/* ---- summary: text ------------------------------------------------------ */

static void text_counts(FILE *f, const struct vmt_an_run *r, uint32_t kind,
			const char *title, const char *col)
{
	const struct vmt_an_entry **v;
	size_t n = vmt_an_entries(r, kind, -1, &v);

	fprintf(f, "\n%s\n  %-28s %12s %8s %12s\n", title, col, "events", "share", "rate/s");
	for (size_t i = 0; i < n; i++) {
		char name[128];

		vmt_an_key_format(&v[i]->key, &r->names, name, sizeof(name));
		if (kind == VMT_AN_REASON)
			*strstr(name, " (all)") = 0;
		fprintf(f, "  %-28s %12" PRIu64 " %7.2f%% %12.2f\n", name, v[i]->count,
			r->events ? 100.0 * (double)v[i]->count / (double)r->events : 0,
			(double)v[i]->count / r->duration_s);
	}
	free(v);
}

static void text_top_keys(FILE *f, const struct vmt_an_run *r)
{
	const struct vmt_an_entry **reasons;
	size_t nr = vmt_an_entries(r, VMT_AN_REASON, -1, &reasons);

	fprintf(f, "\ntop behaviours per reason (up to %d each)\n", TOP_KEYS);
	for (size_t ri = 0; ri < nr; ri++) {
		uint32_t reason = reasons[ri]->key.reason;
		const struct vmt_an_entry **v;
		size_t n = vmt_an_entries(r, VMT_AN_KEY, (int)reason, &v);
		char rb[24];

		if (n)
			fprintf(f, "  %s\n", vmt_an_reason_label(reason, rb, sizeof(rb)));
		for (size_t i = 0; i < n && i < TOP_KEYS; i++) {
			char name[128];

			vmt_an_key_format(&v[i]->key, &r->names, name, sizeof(name));
			fprintf(f, "    %-44s %10" PRIu64 " %12.2f/s\n",
				name + strlen(vmt_an_reason_label(reason, rb, sizeof(rb))) + 1,
				v[i]->count, (double)v[i]->count / r->duration_s);
		}
		if (n > TOP_KEYS)
			fprintf(f, "    (%zu more)\n", n - TOP_KEYS);
		free(v);
	}
	free(reasons);
}

static void text_spaces(FILE *f, const struct vmt_an_run *r)
{
	const struct vmt_an_entry **v;
	size_t n = vmt_an_entries(r, VMT_AN_SPACE, -1, &v);

	fprintf(f, "\naddress spaces by activity (cr3, top %d of %zu)\n", TOP_KEYS, n);
	for (size_t i = 0; i < n && i < TOP_KEYS; i++)
		fprintf(f, "  0x%016" PRIx64 " %12" PRIu64 " %7.2f%%\n", v[i]->key.a,
			v[i]->count, r->events ? 100.0 * (double)v[i]->count / (double)r->events : 0);
	free(v);
}

static void text_phases(FILE *f, const struct vmt_an_run *r)
{
	fprintf(f, "\nphases (markers and guest-request markers)\n  %-28s %10s %12s %12s %12s\n",
		"phase", "starts s", "length s", "events", "rate/s");
	for (uint32_t p = 0; p < r->nphases; p++) {
		const struct vmt_an_phase *ph = &r->phases[p];
		double len = (double)ph->exposure_ns / 1e9;
		char esc[256];

		fprintf(f, "  %-28s %10.3f %12.3f %12" PRIu64 " %12.2f\n",
			vmt_text_esc(esc, sizeof(esc), ph->name),
			(double)ph->start_ns / 1e9, len, ph->events,
			len > 0 ? (double)ph->events / len : 0);
	}
}

int vmt_an_summary_text(FILE *f, const struct vmt_an_run *r)
{
	char t[3][4096];

	fprintf(f, "run         %s (run %" PRId64 ", uuid %s)\n",
		vmt_text_esc(t[0], sizeof(t[0]), r->name), r->run_id, r->uuid);
	fprintf(f, "domain      %s, %u vCPUs, vm_event ABI %u\n",
		vmt_text_esc(t[0], sizeof(t[0]), r->domain), r->vcpus, r->abi_version);
	fprintf(f, "monitors    %s\nlabels      %s\n", vmt_text_esc(t[1], sizeof(t[1]), r->monitors),
		*r->labels ? vmt_text_esc(t[2], sizeof(t[2]), r->labels) : "(none)");
	fprintf(f, "duration    %.3f s, %" PRIu64 " events, %.2f events/s, %" PRIu64 " lost\n",
		r->duration_s, r->events, (double)r->events / r->duration_s, r->lost);
	fprintf(f, "observer    vCPU time paused for the recorder %.3f%%; coverage %.2f%% of the run without gaps\n",
		100.0 * vmt_an_perturbation(r), 100.0 * vmt_an_coverage(r));
	text_counts(f, r, VMT_AN_REASON, "events per reason", "reason");
	text_counts(f, r, VMT_AN_VCPU, "events per vCPU", "vcpu");
	text_top_keys(f, r);
	text_spaces(f, r);
	text_phases(f, r);
	return ferror(f) ? -EIO : 0;
}

/* ---- summary: JSON ------------------------------------------------------ */

/* "phase": the phase a guest-request key's code names, when it names one. */
static void json_marker_phase(FILE *f, const struct vmt_an_names *names,
			      const struct vmt_an_bkey *k)
{
	const char *nm = k->kind == VMT_AN_KEY && k->reason == VMT_REASON_GUEST_REQUEST
			 ? vmt_an_names_get(names, k->a) : NULL;

	if (!nm)
		return;
	fputs(",\"phase\":", f);
	vmt_an_json_str(f, nm);
}

static void json_entries(FILE *f, const struct vmt_an_run *r, uint32_t kind,
			 int reason, size_t max)
{
	const struct vmt_an_entry **v;
	size_t n = vmt_an_entries(r, kind, reason, &v);

	fputc('[', f);
	for (size_t i = 0; i < n && i < max; i++) {
		char name[128];

		vmt_an_key_format(&v[i]->key, &r->names, name, sizeof(name));
		fprintf(f, "%s{\"key\":", i ? "," : "");
		vmt_an_json_str(f, name);
		fprintf(f, ",\"reason\":%u", v[i]->key.reason);
		vmt_json_u64(f, 1, "a", v[i]->key.a);
		vmt_json_u64(f, 1, "b", v[i]->key.b);
		json_marker_phase(f, &r->names, &v[i]->key);
		vmt_json_u64(f, 1, "events", v[i]->count);
		fputs(",\"rate\":", f);
		json_num(f, (double)v[i]->count / r->duration_s);
		fputc('}', f);
	}
	fputc(']', f);
	free(v);
}

static void json_run_facts(FILE *f, const struct vmt_an_run *r)
{
	fputs("{\"name\":", f);
	vmt_an_json_str(f, r->name);
	vmt_json_i64(f, 1, "run_id", r->run_id);
	fputs(",\"uuid\":", f);
	vmt_an_json_str(f, r->uuid);
	fputs(",\"domain\":", f);
	vmt_an_json_str(f, r->domain);
	fprintf(f, ",\"vcpus\":%u,\"abi_version\":%u,\"monitors\":", r->vcpus, r->abi_version);
	vmt_an_json_str(f, r->monitors);
	fputs(",\"labels\":", f);
	vmt_an_json_str(f, r->labels);
	json_field(f, "duration_s", r->duration_s);
	vmt_json_u64(f, 1, "events", r->events);
	fputc('}', f);
}

int vmt_an_summary_json(FILE *f, const struct vmt_an_run *r)
{
	const struct vmt_an_entry **reasons;
	size_t nr;
	char rb[24];

	fputs("{\"run\":", f);
	json_run_facts(f, r);
	json_field(f, "rate", (double)r->events / r->duration_s);
	vmt_json_u64(f, 1, "lost", r->lost);
	vmt_json_u64(f, 1, "paused_ns", r->paused_ns);
	vmt_json_u64(f, 1, "gap_ns", r->gap_ns);
	fputs(",\"perturbation\":", f);
	json_num(f, vmt_an_perturbation(r));
	json_field(f, "coverage", vmt_an_coverage(r));
	fputs(",\"reasons\":", f);
	json_entries(f, r, VMT_AN_REASON, -1, SIZE_MAX);
	fputs(",\"vcpu_events\":", f);
	json_entries(f, r, VMT_AN_VCPU, -1, SIZE_MAX);
	fputs(",\"top_keys\":{", f);
	nr = vmt_an_entries(r, VMT_AN_REASON, -1, &reasons);
	for (size_t ri = 0, first = 1; ri < nr; ri++) {
		uint32_t reason = reasons[ri]->key.reason;
		const struct vmt_an_entry **v;
		size_t n = vmt_an_entries(r, VMT_AN_KEY, (int)reason, &v);

		free(v);
		if (!n)
			continue;
		fprintf(f, "%s", first ? "" : ",");
		vmt_an_json_str(f, vmt_an_reason_label(reason, rb, sizeof(rb)));
		fputc(':', f);
		json_entries(f, r, VMT_AN_KEY, (int)reason, TOP_KEYS);
		first = 0;
	}
	free(reasons);
	fputs("},\"address_spaces\":", f);
	json_entries(f, r, VMT_AN_SPACE, -1, TOP_KEYS);
	fputs(",\"phases\":[", f);
	for (uint32_t p = 0; p < r->nphases; p++) {
		fprintf(f, "%s{\"name\":", p ? "," : "");
		vmt_an_json_str(f, r->phases[p].name);
		json_field(f, "start_s", (double)r->phases[p].start_ns / 1e9);
		json_field(f, "length_s", (double)r->phases[p].exposure_ns / 1e9);
		vmt_json_u64(f, 1, "events", r->phases[p].events);
		fputc('}', f);
	}
	fputs("]}\n", f);
	return ferror(f) ? -EIO : 0;
}

/* ---- diff: text ---------------------------------------------------------- */

const char *vmt_an_scope_name(const struct vmt_an_diff *d, int scope)
{
	return scope < 0 ? "whole run" : d->phase_names[scope];
}

void vmt_an_method(const struct vmt_an_diff *d, char *out, size_t cap)
{
	const char *what = d->opts.per == VMT_AN_PER_WORK ? "share of the guest's work"
							  : "rate per second";

	if (d->nb == 1 && d->nc == 1)
		snprintf(out, cap, "1 v 1 run: exact conditional binomial test on each row's %s", what);
	else
		snprintf(out, cap, "%zu v %zu runs: exact test on each row's pooled %s, counts scaled"
			 " by a dispersion shared across the scope's rows (empirical Bayes)",
			 d->nb, d->nc, what);
	if (d->rare_events) /* compare.c "rare behaviours" */
		snprintf(out + strlen(out), cap - strlen(out), "; keys seen fewer than %" PRIu64
			 " times in all runs together are no rows (their %" PRIu64
			 " events count as work; --keep-rare lists them)", d->rare_floor,
			 d->rare_events);
}

const char *vmt_an_unit(const struct vmt_an_diff *d)
{
	return d->opts.per == VMT_AN_PER_WORK ? "per 1000 events of work" : "per second";
}

void vmt_an_fmt_log2(const struct vmt_an_row *row, char *out, size_t cap)
{
	if (isfinite(row->log2_ratio))
		snprintf(out, cap, "%+.2f", row->log2_ratio);
	else
		snprintf(out, cap, "%s", row->log2_ratio > 0 ? "+\u221e" : "-\u221e");
}

/* The change and its interval: "+72.7% [+41.2%, +110.5%]", "new". */
void vmt_an_fmt_ci(const struct vmt_an_row *row, char *out, size_t cap)
{
	if (row->set > 0)
		snprintf(out, cap, "new");
	else if (row->set < 0)
		snprintf(out, cap, "vanished (-100%%)");
	else if (isfinite(row->ci_hi))
		snprintf(out, cap, "%+.1f%% [%+.1f%%, %+.1f%%]", row->change, row->ci_lo, row->ci_hi);
	else
		snprintf(out, cap, "%+.1f%% [%+.1f%%, +\u221e]", row->change, row->ci_lo);
}

static void fmt_change(const struct vmt_an_row *row, char *out, size_t cap)
{
	if (row->set > 0)
		snprintf(out, cap, "new");
	else if (row->set < 0)
		snprintf(out, cap, "-100%%");
	else
		snprintf(out, cap, "%+.1f%%", row->change);
}

static void text_row(FILE *f, const struct vmt_an_row *row,
		     const struct vmt_an_names *names)
{
	char name[128], ch[24], l2[16];

	vmt_an_key_format(&row->key, names, name, sizeof(name));
	fmt_change(row, ch, sizeof(ch));
	vmt_an_fmt_log2(row, l2, sizeof(l2));
	/* "\u221e" is 3 bytes for one column: pad by hand */
	fprintf(f, "  %-44s %12.3f %12.3f %8s %*s %9.2g %9.2g  %s\n", name,
		row->rate_b, row->rate_c, ch, isfinite(row->log2_ratio) ? 7 : 9, l2,
		row->p, row->q, verdict_names[row->verdict]);
}

static void text_header(FILE *f, const char *title)
{
	fprintf(f, "\n%s\n  %-44s %12s %12s %8s %7s %9s %9s  %s\n", title, "behaviour",
		"baseline", "candidate", "change", "log2", "p", "q", "verdict");
}

static void text_side(FILE *f, const char *label, struct vmt_an_run *const *v, size_t n)
{
	double t = 0;

	for (size_t i = 0; i < n; i++)
		t += v[i]->duration_s;
	fprintf(f, "%-10s %zu run%s, %.3f s:", label, n, n == 1 ? "" : "s", t);
	for (size_t i = 0; i < n; i++) {
		fputc(' ', f);
		vmt_text_str(f, v[i]->name, strlen(v[i]->name));
	}
	fputc('\n', f);
}

static void text_scope(FILE *f, const struct vmt_an_diff *d, int scope, int all)
{
	char title[300], esc[256];
	int shown = 0;

	snprintf(title, sizeof(title), "%s%s%s", scope < 0 ? "" : "phase \"",
		 vmt_text_esc(esc, sizeof(esc), vmt_an_scope_name(d, scope)),
		 scope < 0 ? ": totals and changes" : "\"");
	for (size_t i = 0; i < d->nrows; i++) {
		const struct vmt_an_row *row = vmt_an_diff_row(d, i);
		int totals = scope < 0 && row->key.kind != VMT_AN_KEY;

		if (row->scope != scope || !(all || totals || row->verdict))
			continue;
		if (!shown++)
			text_header(f, title);
		text_row(f, row, &d->names);
	}
}

/* Behaviours on one side only: the flagged ones, then up to ten more held
 * in every run; the rest is counted (--all lists everything). */
static void text_sets(FILE *f, const struct vmt_an_diff *d, int all)
{
	size_t shown = 0, quiet = 0, hidden = 0;

	for (size_t i = 0; i < d->nrows; i++) {
		const struct vmt_an_row *row = vmt_an_diff_row(d, i);
		char name[128];

		if (row->scope >= 0 || !row->set || row->key.kind != VMT_AN_KEY)
			continue;
		if (!all && !row->verdict && (!row->consistent || quiet++ >= 10)) {
			hidden++;
			continue;
		}
		if (!shown++)
			fprintf(f, "\nbehaviours seen on one side only\n  %-44s %-9s %-10s %9s  %s\n",
				"behaviour", "side", "runs", "q", "verdict");
		vmt_an_key_format(&row->key, &d->names, name, sizeof(name));
		fprintf(f, "  %-44s %-9s %4u of %-3zu %9.2g  %s\n", name,
			row->set > 0 ? "candidate" : "baseline",
			row->set > 0 ? row->pres_c : row->pres_b,
			row->set > 0 ? d->nc : d->nb, row->q,
			row->verdict ? verdict_names[row->verdict]
			: row->consistent ? "~ (within noise)" : "~ (not in every run)");
	}
	if (hidden)
		fprintf(f, "  (%zu more within noise or not in every run; --all lists them)\n", hidden);
}

/* Flagged rows in the order a reader wants them: behaviours in phases,
 * behaviours of the whole run, then the totals that move with them. */
int vmt_an_headline_rank(const struct vmt_an_row *r)
{
	return r->key.kind != VMT_AN_KEY ? 2 : r->scope < 0 ? 1 : 0;
}

static void text_values(FILE *f, const char *label, const double *v, size_t n)
{
	fprintf(f, "  %s", label);
	for (size_t i = 0; i < n; i++)
		fprintf(f, " %.4g", v[i]);
}

#define HEADLINES 20

/* What changed, first: each flagged row with its interval and the per-run
 * values of both sides, so the separation (or its absence) shows. */
static void text_headlines(FILE *f, const struct vmt_an_diff *d)
{
	size_t shown = 0;
	const double *v;
	char level[16];

	snprintf(level, sizeof(level), "%.3g%%", 100 * (1 - d->opts.alpha));
	if (!d->regressions)
		fprintf(f, "unchanged  no significant change (%s)\n", vmt_an_unit(d));
	for (int rank = 0; rank < 3; rank++) {
		for (size_t i = 0; i < d->nrows; i++) {
			const struct vmt_an_row *r = vmt_an_diff_row(d, i);
			char name[128], ci[96];

			if (!r->verdict || vmt_an_headline_rank(r) != rank || shown++ >= HEADLINES)
				continue;
			vmt_an_key_format(&r->key, &d->names, name, sizeof(name));
			vmt_an_fmt_ci(r, ci, sizeof(ci));
			fprintf(f, "changed    %s%s%s%s: %s %s (%s interval), q %.2g\n          ", name,
				r->scope < 0 ? " (whole run)" : " in phase \"",
				r->scope < 0 ? "" : vmt_an_scope_name(d, r->scope),
				r->scope < 0 ? "" : "\"", r->change > 0 ? "\u25b2 up" : "\u25bc down",
				ci, level, r->q);
			v = vmt_an_row_values(d, i);
			text_values(f, "baseline", v, d->nb);
			text_values(f, "| candidate", v + d->nb, d->nc);
			fprintf(f, " (%s)\n", vmt_an_unit(d));
		}
	}
	if (shown > HEADLINES)
		fprintf(f, "changed    (%zu more below)\n", shown - HEADLINES);
}

int vmt_an_diff_text(FILE *f, const struct vmt_an_diff *d, int all)
{
	char method[512];

	if (!d->incomparable[0] || d->forced)
		text_headlines(f, d);
	text_side(f, "baseline", d->base, d->nb);
	text_side(f, "candidate", d->cand, d->nc);
	if (d->incomparable[0] && !d->forced) {
		fprintf(f, "incomparable runs: %s; use --force to compare anyway\n", d->incomparable);
		return ferror(f) ? -EIO : 0;
	}
	if (d->forced)
		fprintf(f, "WARNING    compared with --force although %s\n", d->incomparable);
	vmt_an_method(d, method, sizeof(method));
	fprintf(f, "method     %s; Benjamini-Hochberg over the %zu of %zu rows with enough events;"
		" alpha %.3g, min change %.3g%%\n", method, d->tested, d->nrows, d->opts.alpha,
		d->opts.min_change);
	fprintf(f, "rates      %s (--per %s)\n", vmt_an_unit(d),
		d->opts.per == VMT_AN_PER_WORK ? "work: events of the behaviours that did not change"
					       : "second: wall-clock time");
	fprintf(f, "phases     %s\n", d->nphases ? "compared phase by phase (same markers on both sides)"
					       : "whole runs only (markers differ or absent)");
	text_scope(f, d, -1, all);
	text_sets(f, d, all);
	for (uint32_t p = 0; p < d->nphases; p++)
		text_scope(f, d, (int)p, all);
	fprintf(f, "\nresult     %d significant change%s%s\n", d->regressions,
		d->regressions == 1 ? "" : "s", d->regressions ? " (regression)" : ": no significant change");
	return ferror(f) ? -EIO : 0;
}

/* ---- diff: JSON ----------------------------------------------------------- */

static void json_names(FILE *f, struct vmt_an_run *const *v, size_t n)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? "," : "", f);
		vmt_an_json_str(f, v[i]->name);
	}
	fputc(']', f);
}

/* ,"key":[per-run values] */
static void json_values(FILE *f, const char *key, const double *v, size_t n)
{
	fprintf(f, ",\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? "," : "", f);
		json_num(f, v[i]);
	}
	fputc(']', f);
}

static void json_row(FILE *f, const struct vmt_an_diff *d, size_t ri)
{
	static const char *const kinds[] = {"reason", "vcpu", "key", "space"};
	const struct vmt_an_row *row = vmt_an_diff_row(d, ri);
	const double *v;
	char name[128], rb[24];

	vmt_an_key_format(&row->key, &d->names, name, sizeof(name));
	fputs("{\"scope\":", f);
	vmt_an_json_str(f, vmt_an_scope_name(d, row->scope));
	fprintf(f, ",\"kind\":\"%s\",\"reason\":", kinds[row->key.kind]);
	vmt_an_json_str(f, vmt_an_reason_label(row->key.reason, rb, sizeof(rb)));
	fputs(",\"behaviour\":", f);
	vmt_an_json_str(f, name);
	vmt_json_u64(f, 1, "a", row->key.a);
	vmt_json_u64(f, 1, "b", row->key.b);
	json_marker_phase(f, &d->names, &row->key);
	vmt_json_u64(f, 1, "baseline_events", row->kb);
	vmt_json_u64(f, 1, "candidate_events", row->kc);
	json_field(f, "baseline_rate", row->rate_b);
	json_field(f, "candidate_rate", row->rate_c);
	json_field(f, "change_pct", row->change);
	json_field(f, "log2_ratio", row->log2_ratio);
	json_field(f, "dispersion", row->dispersion);
	json_field(f, "p", row->p);
	json_field(f, "p_rank", row->p_rank);
	json_field(f, "q", row->q);
	json_field(f, "ci_low_pct", row->ci_lo);
	json_field(f, "ci_high_pct", row->ci_hi);
	json_field(f, "dispersion_df", row->df);
	v = vmt_an_row_values(d, ri);
	json_values(f, "baseline_values", v, d->nb);
	json_values(f, "candidate_values", v + d->nb, d->nc);
	fprintf(f, ",\"baseline_runs_with\":%u,\"candidate_runs_with\":%u,\"set\":\"%s\","
		"\"consistent\":%s,\"testable\":%s,\"verdict\":\"%s\"}", row->pres_b, row->pres_c,
		row->set > 0 ? "new" : row->set < 0 ? "vanished" : "both",
		row->consistent ? "true" : "false", row->testable ? "true" : "false",
		verdict_names[row->verdict]);
}

int vmt_an_diff_json(FILE *f, const struct vmt_an_diff *d)
{
	char method[512];

	vmt_an_method(d, method, sizeof(method));
	fputs("{\"baseline\":", f);
	json_names(f, d->base, d->nb);
	fputs(",\"candidate\":", f);
	json_names(f, d->cand, d->nc);
	fprintf(f, ",\"comparable\":%s,\"forced\":%s,\"incomparable\":",
		d->incomparable[0] ? "false" : "true", d->forced ? "true" : "false");
	if (d->incomparable[0])
		vmt_an_json_str(f, d->incomparable);
	else
		fputs("null", f);
	fputs(",\"method\":", f);
	vmt_an_json_str(f, method);
	json_field(f, "alpha", d->opts.alpha);
	json_field(f, "min_change_pct", d->opts.min_change);
	fprintf(f, ",\"per\":\"%s\",\"rate_unit\":\"%s\",\"passes\":%d",
		d->opts.per == VMT_AN_PER_WORK ? "work" : "second", vmt_an_unit(d), d->passes);
	fputs(",\"phases\":[", f);
	for (uint32_t p = 0; p < d->nphases; p++) {
		fputs(p ? "," : "", f);
		vmt_an_json_str(f, d->phase_names[p]);
	}
	fprintf(f, "],\"tested_rows\":%zu,\"rare_floor\":%" PRIu64 ",\"rare_events\":%" PRIu64
		",\"regressions\":%d,\"rows\":[", d->tested, d->rare_floor, d->rare_events,
		d->regressions);
	for (size_t i = 0; i < d->nrows; i++) {
		fputs(i ? ",\n" : "\n", f);
		json_row(f, d, i);
	}
	fputs("]}\n", f);
	return ferror(f) ? -EIO : 0;
}
