/*
 * compare.c - baseline runs against candidate runs: the comparability
 * gate, one row per (behaviour, phase), its tests, the Benjamini-Hochberg
 * correction over every row, and the verdicts (analyze/README.md
 * "Statistics" and "Verdicts").
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_int.h"
#include "report.h"
#include "stats.h"

/* ---- comparability gate ------------------------------------------- */

/*
 * One entry of a ';'-separated list at *@p ("name[:params]" when @sep is
 * ':', "name=value" when it is '='): its length in *@len, its name's in
 * *@nlen; *@p moves past it.  Returns 0 at the end of the list.
 */
static int next_entry(const char **p, char sep, const char **entry,
		      size_t *len, size_t *nlen)
{
	const char *end;

	if (!*p || !**p)
		return 0;
	end = strchr(*p, ';');
	*entry = *p;
	*len = end ? (size_t)(end - *p) : strlen(*p);
	*nlen = strcspn(*p, sep == '=' ? "=;" : ":;");
	if (*nlen > *len)
		*nlen = *len;
	*p += *len + (end != NULL);
	return 1;
}

/* The entry of @list named @name, copied whole to @out.  Returns 1 if found. */
static int list_find(const char *list, const char *name, size_t nlen,
		     char sep, char *out, size_t cap)
{
	const char *e;
	size_t len, n;

	while (next_entry(&list, sep, &e, &len, &n))
		if (n == nlen && !strncmp(e, name, nlen)) {
			snprintf(out, cap, "%.*s", (int)len, e);
			return 1;
		}
	return 0;
}

/* Whether @name (@n bytes) is in the ','-separated @ignore list. */
static int ignored(const char *ignore, const char *name, size_t n)
{
	const char *p = ignore;

	while (p && *p) {
		size_t len = strcspn(p, ",");

		if (len == n && !strncmp(p, name, n))
			return 1;
		p += len + (p[len] == ',');
	}
	return 0;
}

/*
 * First entry of @a whose name is missing from @b or whose text differs:
 * its name into @name, its text in @a and in @b ("absent") into @va, @vb.
 */
static int list_diff(const char *a, const char *b, char sep, const char *ignore,
		     char *name, size_t ncap, char *va, char *vb, size_t vcap)
{
	const char *e;
	size_t len, n;

	while (next_entry(&a, sep, &e, &len, &n)) {
		if (!len || ignored(ignore, e, n))
			continue;
		snprintf(va, vcap, "%.*s", (int)len, e);
		snprintf(name, ncap, "%.*s", (int)n, e);
		if (!list_find(b, e, n, sep, vb, vcap)) {
			snprintf(vb, vcap, "absent");
			return 1;
		}
		if (strcmp(va, vb))
			return 1;
	}
	return 0;
}

static int gate_lists(const char *what, char sep, const char *ignore,
		      const char *x, const char *y, const char *xs, const char *ys,
		      char *why, size_t cap)
{
	char name[128], va[256], vb[256];

	if (list_diff(x, y, sep, ignore, name, sizeof(name), va, vb, sizeof(va)) ||
	    list_diff(y, x, sep, ignore, name, sizeof(name), vb, va, sizeof(va))) {
		snprintf(why, cap, "%s %s differs (%s '%s', %s '%s')", what,
			 name, xs, va, ys, vb);
		return 1;
	}
	return 0;
}

static int gate_pair(const struct vmt_an_run *x, const struct vmt_an_run *y,
		     const char *xs, const char *ys, const char *ignore, char *why,
		     size_t cap)
{
	if (x->abi_version != y->abi_version) {
		snprintf(why, cap, "ABI versions differ (%s %u, %s %u)", xs,
			 x->abi_version, ys, y->abi_version);
		return 1;
	}
	if (x->vcpus != y->vcpus) {
		snprintf(why, cap, "vcpus differ (%s %u, %s %u)", xs, x->vcpus,
			 ys, y->vcpus);
		return 1;
	}
	return gate_lists("monitor", ':', NULL, x->monitors, y->monitors, xs, ys, why, cap) ||
	       gate_lists("label", '=', ignore, x->labels, y->labels, xs, ys, why, cap);
}

int vmt_an_gate(struct vmt_an_run *const *base, size_t nb,
		struct vmt_an_run *const *cand, size_t nc, const char *ignore,
		char *why, size_t cap)
{
	for (size_t i = 1; i < nb; i++)
		if (gate_pair(base[0], base[i], "baseline", "other baseline", ignore, why, cap))
			return 1;
	for (size_t i = 0; i < nc; i++)
		if (gate_pair(base[0], cand[i], "baseline", "candidate", ignore, why, cap))
			return 1;
	return 0;
}

/* ---- phases --------------------------------------------------------- */

/*
 * Phases are compared by name: those present in every run of both sides,
 * in the first baseline run's order (a marker lost at the start of one run
 * only drops that phase).  d->local maps (run, common phase) to the run's
 * own phase index.
 */
static const struct vmt_an_run *run_at(const struct vmt_an_diff *d, size_t i)
{
	return i < d->nb ? d->base[i] : d->cand[i - d->nb];
}

static struct vmt_an_spill *spill_at(const struct vmt_an_diff *d, size_t i)
{
	return &(i < d->nb ? d->base[i] : d->cand[i - d->nb])->spill;
}

/* The first read error of any run's spill: every sweep stops at one. */
static int spill_error(const struct vmt_an_diff *d)
{
	for (size_t i = 0; i < d->nb + d->nc; i++)
		if (spill_at(d, i)->err)
			return spill_at(d, i)->err;
	return 0;
}

static int find_phase(const struct vmt_an_run *r, const char *name)
{
	for (uint32_t p = 0; p < r->nphases; p++)
		if (!strcmp(r->phases[p].name, name))
			return (int)p;
	return -1;
}

static int common_phases(struct vmt_an_diff *d)
{
	const struct vmt_an_run *r0 = d->base[0];
	size_t n = d->nb + d->nc;
	uint32_t np = 0;

	d->phase_names = calloc(r0->nphases + 1, sizeof(char *));
	d->local = calloc(n * (r0->nphases + 1), sizeof(*d->local));
	if (!d->phase_names || !d->local)
		return -ENOMEM;
	for (uint32_t p = 0; p < r0->nphases; p++) {
		size_t i;

		for (i = 0; i < n; i++) {
			int l = find_phase(run_at(d, i), r0->phases[p].name);

			if (l < 0)
				break;
			d->local[i * r0->nphases + np] = (uint32_t)l;
		}
		if (i == n)
			d->phase_names[np++] = r0->phases[p].name;
	}
	d->stride = r0->nphases;
	/* one common phase is the whole run again: nothing to add */
	d->nphases = np >= 2 ? np : 0;
	return 0;
}

/* Marker code names of every run, for the keys' text (first name wins:
 * runs of one comparison come from one scenario). */
static int union_names(struct vmt_an_diff *d)
{
	int err = 0;

	for (size_t i = 0; !err && i < d->nb + d->nc; i++) {
		const struct vmt_an_names *m = &run_at(d, i)->names;

		for (size_t j = 0; !err && j < m->n; j++)
			err = vmt_an_names_add(&d->names, m->code[j], m->name[j]);
	}
	return err;
}

/* The table phase (0 = whole run) of run @i for a row scope. */
static uint32_t table_phase(const struct vmt_an_diff *d, size_t i, int scope)
{
	return scope < 0 ? 0 : d->local[i * d->stride + (uint32_t)scope] + 1;
}

static double seconds(const struct vmt_an_diff *d, size_t i, int scope)
{
	const struct vmt_an_run *r = run_at(d, i);

	if (scope < 0)
		return r->duration_s;
	return (double)r->phases[table_phase(d, i, scope) - 1].exposure_ns / 1e9;
}

/* ---- the comparison's working state ---------------------------------- */

/* The dispersion shared by the rows of one scope (README "Statistics"). */
struct scope_fit {
	double trend;          /* a: dispersion 1 + a * mean count per run */
	double d0, s0sq;       /* prior of the rows' residual dispersion */
	double *widen;         /* [own df]: (t / z)^2 for the total df */
	double *own_widen;     /* [own df]: the same without a prior */
	struct vmt_stats_fdist acc; /* the prior's fit, over two sweeps */
};

/*
 * Work strata are the common phases, then "rest": the whole run outside
 * them (the whole run when no phase is common).
 */
struct vmt_an_cmp {
	struct vmt_an_diff *d;
	size_t n;              /* runs, baseline first */
	uint32_t ns;           /* strata */
	double *work;          /* [run * ns + stratum]: events of unflagged keys */
	double *all;           /* [run * ns + stratum]: events of every key */
	double *cnt;           /* [run * ns + stratum]: one row's counts */
	int *common;           /* [run * width + table phase] -> stratum, or -1 */
	size_t width;          /* 1 + the most phases of a run */
	/* one key at a time out of the runs' spills, read in key order */
	uint64_t *pc;          /* [run * width + table phase]: @pc_key's counts */
	struct vmt_an_bkey pc_key;
	int pc_have;
	/* one row at a time, so memory follows the rows, not rows x runs */
	uint64_t *k;           /* [run]: the row's counts */
	double *t;             /* [run]: its exposures */
	double *v;             /* [run]: its rates */
	struct scope_fit *fit; /* [scope + 1] */
	struct vmt_an_tab flagged; /* keys flagged by the last pass */
	uint64_t allowed;      /* the rare floor this pass's exposures allow */
};

/* Every run's counts of @k into x->pc (kept while @k is asked again). */
static void gather(struct vmt_an_cmp *x, const struct vmt_an_bkey *k)
{
	if (x->pc_have && !vmt_an_key_cmp(&x->pc_key, k))
		return;
	for (size_t i = 0; i < x->n; i++)
		vmt_an_spill_find(spill_at(x->d, i), k, &x->pc[i * x->width], x->width);
	x->pc_key = *k;
	x->pc_have = 1;
}

/* Run @i's count of the gathered key in stratum @c. */
static double strat_count(const struct vmt_an_cmp *x, size_t i, uint32_t c)
{
	const struct vmt_an_diff *d = x->d;
	const uint64_t *pc = &x->pc[i * x->width];
	double v;

	if (c < d->nphases)
		return (double)pc[table_phase(d, i, (int)c)];
	v = (double)pc[0];
	for (uint32_t p = 0; p < d->nphases; p++)
		v -= (double)pc[table_phase(d, i, (int)p)];
	return v;
}

/*
 * The guest's work per run and stratum: the events of its behaviour keys,
 * except those flagged as changed, whose own change would otherwise move
 * every other key's share.
 */
static void measure_work(struct vmt_an_cmp *x)
{
	const struct vmt_an_diff *d = x->d;

	for (size_t i = 0; i < x->n; i++) {
		double *w = &x->work[i * x->ns], *all = &x->all[i * x->ns];
		struct vmt_an_spill *s = spill_at(d, i);
		struct vmt_an_entry ent, *e = &ent;

		memset(w, 0, x->ns * sizeof(*w));
		memset(all, 0, x->ns * sizeof(*all));
		/* a read error ends the sweep; the pass then reports it */
		for (int ok = !vmt_an_spill_rewind(s); ok && vmt_an_spill_next(s, e) > 0;) {
			int c, kept;

			if (e->key.kind != VMT_AN_KEY && e->key.kind != VMT_AN_RARE)
				continue;
			c = x->common[i * x->width + e->phase];
			if (c < 0) /* a phase not in every run: counted in the whole run */
				continue;
			/* rare keys are never flagged (compare.c "rare behaviours") */
			kept = e->key.kind == VMT_AN_RARE || !vmt_an_tab_get(&x->flagged, &e->key, 0);
			/* phase entries are in the whole run's too */
			w[c] += kept * (double)e->count;
			all[c] += (double)e->count;
			if (e->phase) {
				w[x->ns - 1] -= kept * (double)e->count;
				all[x->ns - 1] -= (double)e->count;
			}
		}
	}
}

static int map_strata(struct vmt_an_cmp *x)
{
	const struct vmt_an_diff *d = x->d;
	size_t w = 1;

	for (size_t i = 0; i < x->n; i++)
		w = run_at(d, i)->nphases + 1 > w ? run_at(d, i)->nphases + 1 : w;
	x->width = w;
	x->common = malloc(x->n * w * sizeof(*x->common));
	if (!x->common)
		return -ENOMEM;
	for (size_t i = 0; i < x->n; i++) {
		x->common[i * w] = (int)x->ns - 1; /* the whole-run entry: rest */
		for (size_t p = 1; p < w; p++)
			x->common[i * w + p] = -1;
		for (uint32_t c = 0; c < d->nphases; c++)
			x->common[i * w + table_phase(d, i, (int)c)] = (int)c;
	}
	return 0;
}

/*
 * A row's exposure in run @i.  Per work, a phase row's is the phase's
 * work; a whole-run row's is the work of each stratum weighted by the
 * row's pooled share there, so that a run that merely got further into
 * its last phase (a faster host, a fixed duration) expects more of that
 * phase's behaviours and less of the others'.
 */
static void row_exposures(struct vmt_an_cmp *x, const struct vmt_an_row *row, double *t)
{
	const struct vmt_an_diff *d = x->d;
	/* a vCPU's share is of every event: its flagged ones are its work too */
	const double *work = row->key.kind == VMT_AN_VCPU ? x->all : x->work;
	double share[64], kall = 0, wall = 0;
	uint32_t ns = x->ns;

	if (d->opts.per == VMT_AN_PER_SECOND || row->scope >= 0 || ns > 64) {
		for (size_t i = 0; i < x->n; i++)
			t[i] = d->opts.per == VMT_AN_PER_SECOND ? seconds(d, i, row->scope)
				: row->scope >= 0 ? work[i * ns + (uint32_t)row->scope]
				: work[i * ns + ns - 1];
		return;
	}
	gather(x, &row->key);
	for (uint32_t c = 0; c < ns; c++) {
		double k = 0, w = 0;

		for (size_t i = 0; i < x->n; i++) {
			x->cnt[i * ns + c] = strat_count(x, i, c);
			k += x->cnt[i * ns + c];
			w += work[i * ns + c];
		}
		share[c] = w > 0 ? k / w : 0;
		kall += k;
		wall += w;
	}
	for (size_t i = 0; i < x->n; i++) {
		t[i] = 0;
		for (uint32_t c = 0; c < ns; c++)
			t[i] += work[i * ns + c] * share[c];
		/* back to events of work: the row's pooled share overall */
		t[i] = kall > 0 && wall > 0 ? t[i] / (kall / wall) : 0;
	}
}

/* ---- one row -------------------------------------------------------- */

static struct vmt_an_row *row_at(const struct vmt_an_diff *d, size_t ri)
{
	return vmt_an_rows_at(d->rows, ri);
}

/* The row's counts, exposures and rates per run into x->k, x->t, x->v. */
static void row_runs(struct vmt_an_cmp *x, const struct vmt_an_row *row)
{
	const struct vmt_an_diff *d = x->d;

	row_exposures(x, row, x->t);
	gather(x, &row->key);
	for (size_t i = 0; i < x->n; i++) {
		x->k[i] = x->pc[i * x->width + table_phase(d, i, row->scope)];
		x->t[i] = x->t[i] > 1e-9 ? x->t[i] : 1e-9;
		x->v[i] = (double)x->k[i] / x->t[i] * d->unit;
	}
}

/* Pooled counts, exposures, rates and Pearson X^2 around each side's rate. */
static void fill_row(struct vmt_an_cmp *x, size_t ri)
{
	struct vmt_an_diff *d = x->d;
	struct vmt_an_row *row = row_at(d, ri);
	const uint64_t *k = x->k;
	const double *t = x->t;
	size_t nb = d->nb;

	row_runs(x, row);
	/* reported, never part of a verdict: the last pass's stays */
	row->p_rank = vmt_stats_mann_whitney(x->v, nb, x->v + nb, d->nc, NULL);
	row->kb = row->kc = 0;
	row->tb = row->tc = 0;
	row->pres_b = row->pres_c = 0;
	for (size_t i = 0; i < x->n; i++) {
		*(i < nb ? &row->kb : &row->kc) += k[i];
		*(i < nb ? &row->tb : &row->tc) += t[i];
		*(i < nb ? &row->pres_b : &row->pres_c) += k[i] > 0;
	}
	row->rate_b = (double)row->kb / row->tb * d->unit;
	row->rate_c = (double)row->kc / row->tc * d->unit;
	row->set = !row->kb ? 1 : !row->kc ? -1 : 0;
	row->consistent = row->set > 0 ? row->pres_c == d->nc
			: row->set < 0 ? row->pres_b == nb : 0;
	row->log2_ratio = row->set ? row->set * INFINITY : log2(row->rate_c / row->rate_b);
	row->change = row->set > 0 ? INFINITY : (row->rate_c / row->rate_b - 1.0) * 100.0;
	row->x2 = 0;
	row->own_df = 0;
	for (size_t s = 0, off = 0; s < 2; off += s ? 0 : nb, s++) {
		size_t m = s ? d->nc : nb;
		double kk = (double)(s ? row->kc : row->kb), tt = s ? row->tc : row->tb;

		if (!kk)
			continue;
		row->own_df += (double)(m - 1);
		for (size_t i = off; i < off + m; i++) {
			double e = t[i] * kk / tt, dv = (double)k[i] - e;

			row->x2 += e > 0 ? dv * dv / e : 0;
		}
	}
}

/*
 * Pooled-count test: the exact conditional Poisson test on counts divided
 * by the dispersion.  @extreme asks for the most extreme split of the same
 * total instead: the independent filter, a row whose best possible p
 * exceeds alpha never enters the Benjamini-Hochberg family.
 */
static double pooled_p(const struct vmt_an_row *row, int extreme, int side)
{
	uint64_t kb = (uint64_t)llround((double)row->kb / row->dispersion);
	uint64_t kc = (uint64_t)llround((double)row->kc / row->dispersion);

	if (extreme) {
		uint64_t all = kb + kc;

		kb = side ? 0 : all;
		kc = side ? all : 0;
	}
	return vmt_stats_poisson_test(kb, row->tb, kc, row->tc);
}

static double mean_count(const struct vmt_an_cmp *x, const struct vmt_an_row *row)
{
	return (double)(row->kb + row->kc) / (double)x->n;
}

/*
 * The row's dispersion: the scope's trend for its count, times its own
 * excess over the trend shrunk toward the scope's prior (empirical Bayes),
 * widened by (t / z)^2 for the degrees of freedom that estimate rests on.
 */
static void row_tests(struct vmt_an_cmp *x, size_t ri)
{
	struct vmt_an_diff *d = x->d;
	struct vmt_an_row *row = row_at(d, ri);
	/* totals are sums over keys (a vCPU's share moves with the host's
	 * scheduling): they keep their own dispersion, not the keys' prior */
	const struct scope_fit own_only = {.d0 = 0, .s0sq = 1,
					   .widen = x->fit[row->scope + 1].own_widen};
	const struct scope_fit *f = row->key.kind == VMT_AN_KEY ? &x->fit[row->scope + 1] : &own_only;
	double trend = 1 + f->trend * mean_count(x, row), own = row->own_df;
	double r = own > 0 ? row->x2 / (own * trend) : 1, shrunk, lo, hi;

	if (isinf(f->d0)) {
		shrunk = f->s0sq;
		row->df = INFINITY;
	} else if (f->d0 + own > 0) {
		shrunk = (f->d0 * f->s0sq + own * r) / (f->d0 + own);
		row->df = f->d0 + own;
	} else { /* one run a side: nothing to estimate a dispersion from */
		shrunk = 1;
		row->df = INFINITY;
	}
	row->dispersion = fmax(1.0, trend * shrunk * f->widen[(size_t)own]);
	row->p = pooled_p(row, 0, 0);
	row->testable = fmin(pooled_p(row, 1, 0), pooled_p(row, 1, 1)) <= d->opts.alpha;
	vmt_stats_rate_ratio_ci((double)row->kb / row->dispersion, row->tb,
				(double)row->kc / row->dispersion, row->tc,
				1 - d->opts.alpha, &lo, &hi);
	row->ci_lo = (lo - 1) * 100;
	row->ci_hi = (hi - 1) * 100;
}

/* ---- the dispersion of a scope ---------------------------------------- */

/* Rows that inform a scope's dispersion: behaviour keys seen on both sides,
 * with replicates and enough events for Pearson's X^2 to mean something. */
static int informs(const struct vmt_an_cmp *x, const struct vmt_an_row *row)
{
	return row->key.kind == VMT_AN_KEY && !row->set && row->own_df > 0 &&
	       mean_count(x, row) >= 5;
}

/*
 * Run-level noise: when whole runs differ by a factor (a host that ran one
 * faster, counted per second), every row moves together and its variance
 * grows as mu + a mu^2.  a comes from the runs' totals in the scope against
 * the same exposures, whose Pearson dispersion is 1 + a mu_total.  Counted
 * per work, the totals are their own exposure and a is about 0.
 */
static double scope_trend(struct vmt_an_cmp *x, int scope, uint64_t *k, double *t)
{
	const struct vmt_an_diff *d = x->d;
	size_t n[2] = {d->nb, d->nc};
	double sum = 0, phi;

	for (size_t i = 0; i < x->n; i++) {
		double all = 0, work = 0;

		for (uint32_t c = 0; c < x->ns; c++) {
			if (scope >= 0 && c != (uint32_t)scope)
				continue;
			all += x->all[i * x->ns + c];
			work += x->work[i * x->ns + c];
		}
		k[i] = (uint64_t)llround(all);
		t[i] = d->opts.per == VMT_AN_PER_SECOND ? seconds(d, i, scope) : work;
		t[i] = t[i] > 1e-9 ? t[i] : 1e-9;
		sum += all;
	}
	phi = vmt_stats_dispersion(k, t, n);
	return sum > 0 ? (phi - 1.0) / (sum / (double)x->n) : 0;
}

static void fit_trend(struct vmt_an_cmp *x, int scope)
{
	struct scope_fit *f = &x->fit[scope + 1];

	f->trend = scope_trend(x, scope, x->k, x->t);
}

/*
 * The prior of the rows' residual dispersions around the trend (an F
 * distribution fitted to them, as limma and edgeR's quasi-likelihood do,
 * README "Statistics"), and the widening it gives each own df.
 */
static void fit_widen(const struct vmt_an_cmp *x, struct scope_fit *f)
{
	vmt_stats_fdist_fit(&f->acc, &f->d0, &f->s0sq);
	for (size_t own = 0; own < x->n; own++) {
		double tot = isinf(f->d0) ? INFINITY : f->d0 + (double)own;
		double z = vmt_stats_t_crit(x->d->opts.alpha, INFINITY);
		double t = tot > 0 ? vmt_stats_t_crit(x->d->opts.alpha, tot) : z;
		double t1 = own ? vmt_stats_t_crit(x->d->opts.alpha, (double)own) : z;

		f->widen[own] = t * t / (z * z);
		f->own_widen[own] = t1 * t1 / (z * z);
	}
}

/* The rows' prior fits, every scope's at once in two sweeps of the rows:
 * nothing per row is held. */
static void fit_priors(struct vmt_an_cmp *x)
{
	const struct vmt_an_diff *d = x->d;

	for (uint32_t s = 0; s < x->ns; s++)
		x->fit[s].acc = (struct vmt_stats_fdist){0};
	for (int sweep = 0; sweep < 2; sweep++) {
		for (size_t ri = 0; ri < d->nrows; ri++) {
			const struct vmt_an_row *row = vmt_an_rows_get(d->rows, ri);
			struct scope_fit *f = &x->fit[row->scope + 1];

			if (informs(x, row))
				vmt_stats_fdist_add(&f->acc, row->x2 / (row->own_df *
						    (1 + f->trend * mean_count(x, row))), row->own_df);
		}
		for (uint32_t s = 0; !sweep && s < x->ns; s++)
			vmt_stats_fdist_next(&x->fit[s].acc);
	}
	for (uint32_t s = 0; s < x->ns; s++)
		fit_widen(x, &x->fit[s]);
}

/* ---- rare behaviours -------------------------------------------------- */

/*
 * A key seen K times in all runs together is a row only when K reaches the
 * rare floor F.  Below it the key can change no verdict, so the diff need
 * not hold it, and a ClickHouse load pools its events per phase instead
 * (VMT_AN_RARE):
 *  - its pooled test cannot reach alpha: at the most extreme split of its
 *    K events the exact test's p is at least m^K, m the smaller side's
 *    share of the row's exposure, and counts scaled down by a dispersion
 *    (>= 1) only raise it.  F stays at or below the first K with
 *    m^K <= alpha (1 % margin for rounding), m bounded per pass below;
 *  - it cannot be a consistent new or vanished key, which needs an event in
 *    every run of one side: K >= min(nb, nc) >= F;
 *  - it informs no dispersion fit, which needs 5 events a run on average;
 *  - so it is never flagged, and its events stay in the work measure as
 *    they would as a row.
 * Each pass is then the pass of the diff with every row (a pass whose own
 * exposures allow a lower floor starts the passes over from it), and every
 * other row's tests, q and verdict are the same: tests/analyze compares
 * against --keep-rare.
 */
#define RARE_MARGIN 1.01

/* The smallest count whose most extreme split could reach alpha when the
 * smaller side holds share @m of the exposure (at most 64: lower is safe). */
static uint64_t floor_at(double m, double alpha)
{
	uint64_t k = 1;

	if (!(m > 0))
		return 1;
	while (k < 64 && pow(m, (double)k) > alpha * RARE_MARGIN)
		k++;
	return k;
}

uint64_t vmt_an_rare_floor(size_t nb, size_t nc, const struct vmt_an_cmp_opts *opts)
{
	uint64_t f = floor_at(0.5, opts->alpha);

	f = f < nb ? f : nb;
	f = f < nc ? f : nc;
	if (opts->rare_cap && f > opts->rare_cap)
		f = opts->rare_cap;
	return f ? f : 1;
}

/*
 * The smaller side's share of the exposure, at its least over the strata:
 * a phase row's is its phase's, a whole-run row's a weighted mean of the
 * strata's (row_exposures()), per second the scope's seconds.  Exposures
 * are clamped as row_runs() clamps them.
 */
static double least_share(const struct vmt_an_cmp *x)
{
	const struct vmt_an_diff *d = x->d;
	double m = 0.5;

	for (uint32_t c = 0; c < x->ns; c++) {
		double side[2] = {0, 0};

		for (size_t i = 0; i < x->n; i++) {
			double t = d->opts.per == VMT_AN_PER_SECOND
					   ? seconds(d, i, c + 1 < x->ns ? (int)c : -1)
					   : x->work[i * x->ns + c];

			side[i >= d->nb] += t > 1e-9 ? t : 1e-9;
		}
		m = fmin(m, fmin(side[0], side[1]) / (side[0] + side[1]));
	}
	return m;
}

/* ---- all rows ------------------------------------------------------- */

/* The common phase (1 + its index; 0 the whole run) of run @i's table
 * phase @phase, or -1 for a phase not in every run. */
static int common_of(const struct vmt_an_diff *d, size_t i, uint32_t phase)
{
	for (uint32_t c = 0; phase && c < d->nphases; c++)
		if (table_phase(d, i, (int)c) == phase)
			return (int)c + 1;
	return phase ? -1 : 0;
}

/* The smallest key at the head of the runs' spills; 0 when all are read. */
static int least_key(const struct vmt_an_diff *d, struct vmt_an_bkey *k)
{
	const struct vmt_an_entry *e;
	int any = 0;

	for (size_t i = 0; i < d->nb + d->nc; i++)
		if (vmt_an_spill_peek(spill_at(d, i), &e) > 0 &&
		    (!any || vmt_an_key_cmp(&e->key, k) < 0)) {
			*k = e->key;
			any = 1;
		}
	return any;
}

/*
 * One sweep of every run's spill at once, in key order: each key's row in
 * common phase @c (0: the whole run) appended to d->rows.  A behaviour key
 * seen fewer times than the rare floor in all runs together is no row; its
 * events are counted, as are those a loader pooled.
 */
static int merge_rows(struct vmt_an_diff *d, uint32_t c)
{
	struct vmt_an_bkey k;
	struct vmt_an_entry e;

	for (size_t i = 0; i < d->nb + d->nc; i++)
		if (vmt_an_spill_rewind(spill_at(d, i)))
			return spill_error(d);
	d->rare_events = 0;
	while (least_key(d, &k)) {
		uint64_t total = 0;
		int here = 0;

		for (size_t i = 0; i < d->nb + d->nc; i++) {
			struct vmt_an_spill *sp = spill_at(d, i);
			const struct vmt_an_entry *head;

			while (vmt_an_spill_peek(sp, &head) > 0 && !vmt_an_key_cmp(&head->key, &k)) {
				vmt_an_spill_next(sp, &e);
				total += e.phase ? 0 : e.count;
				here |= common_of(d, i, e.phase) == (int)c;
			}
		}
		if (k.kind == VMT_AN_SPACE)
			continue;
		if (k.kind == VMT_AN_RARE || (k.kind == VMT_AN_KEY && total < d->rare_floor)) {
			d->rare_events += total;
			continue;
		}
		if (here) {
			*row_at(d, d->nrows) = (struct vmt_an_row){ .key = k, .scope = (int)c - 1 };
			d->nrows++;
		}
	}
	return spill_error(d) ? spill_error(d) : vmt_an_rows_err(d->rows);
}

/* The rows, scope by scope (a sweep each) and in key order within one, to
 * disk: nothing held grows with the behaviours. */
static int build_rows(struct vmt_an_diff *d)
{
	int err = 0;

	d->nrows = 0;
	if (!(d->rows = malloc(sizeof(*d->rows))))
		return -ENOMEM;
	if ((err = vmt_an_rows_open(d->rows))) {
		free(d->rows);
		d->rows = NULL;
	}
	for (uint32_t c = 0; !err && c <= d->nphases; c++)
		err = merge_rows(d, c);
	return err;
}

static void free_rows(struct vmt_an_diff *d)
{
	if (d->rows)
		vmt_an_rows_close(d->rows);
	free(d->rows);
	d->rows = NULL;
	d->nrows = 0;
}

static enum vmt_an_verdict verdict(const struct vmt_an_row *row,
				   const struct vmt_an_cmp_opts *o)
{
	int sig = row->q <= o->alpha;

	if (row->set)
		return row->consistent && (sig || o->strict_sets)
			       ? (row->set > 0 ? VMT_AN_NEW : VMT_AN_GONE)
			       : VMT_AN_SAME;
	if (!sig || fabs(row->change) < o->min_change)
		return VMT_AN_SAME;
	return row->change > 0 ? VMT_AN_UP : VMT_AN_DOWN;
}

/* p-values largest first (ties by row); then q-values back in row order */
static int by_p_down(const void *pa, const void *pb)
{
	const struct vmt_an_pair *a = pa, *b = pb;

	if (a->v != b->v)
		return a->v < b->v ? 1 : -1;
	return (a->i > b->i) - (a->i < b->i);
}

static int by_row(const void *pa, const void *pb)
{
	const struct vmt_an_pair *a = pa, *b = pb;

	return (a->i > b->i) - (a->i < b->i);
}

#define BH_RUN 32768 /* p-values sorted in memory at once (16 B each) */

/*
 * Benjamini-Hochberg over the testable rows, the others keep q = 1:
 * vmt_stats_bh()'s arithmetic, with the p-values sorted on disk (sort.c),
 * largest first so that q is a running minimum, then the q-values sorted
 * back into the testable rows' order.  Ties share one q whatever their
 * order.
 */
static int bh_q(struct vmt_an_diff *d, struct vmt_an_sort *byp, struct vmt_an_sort *byrow)
{
	struct vmt_an_pair e;
	uint64_t m = 0, rank;
	double run = 1.0;
	int err;

	for (size_t i = 0; i < d->nrows; i++) {
		const struct vmt_an_row *row = vmt_an_rows_get(d->rows, i);
		struct vmt_an_pair pair = { isnan(row->p) ? 1.0 : row->p, m };

		m += row->testable;
		if (row->testable)
			vmt_an_sort_add(byp, &pair);
	}
	d->tested = m;
	err = vmt_an_rows_err(d->rows) ? vmt_an_rows_err(d->rows) : vmt_an_sort_done(byp);
	for (rank = m; !err && vmt_an_sort_next(byp, &e) > 0; rank--) {
		double v = e.v * (double)m / (double)rank;

		run = v < run ? v : run;
		vmt_an_sort_add(byrow, &(struct vmt_an_pair){ run, e.i });
	}
	err = err ? err : byp->err;
	return err ? err : vmt_an_sort_done(byrow);
}

static int correct_and_judge(struct vmt_an_diff *d)
{
	struct vmt_an_sort byp, byrow;
	struct vmt_an_pair e;
	size_t run = d->opts.sort_run ? d->opts.sort_run : BH_RUN;
	int err = vmt_an_sort_open(&byp, run, sizeof(e), by_p_down);

	if (!err && (err = vmt_an_sort_open(&byrow, run, sizeof(e), by_row)))
		vmt_an_sort_close(&byp);
	if (err)
		return err;
	err = bh_q(d, &byp, &byrow);
	vmt_an_sort_close(&byp);
	d->regressions = 0;
	for (size_t i = 0; !err && i < d->nrows; i++) {
		struct vmt_an_row *row = row_at(d, i);

		row->q = 1.0;
		if (row->testable && (err = vmt_an_sort_next(&byrow, &e)) > 0) {
			row->q = e.v;
			err = 0;
		}
		row->verdict = verdict(row, &d->opts);
		d->regressions += row->verdict != VMT_AN_SAME;
	}
	vmt_an_sort_close(&byrow);
	return err ? err : vmt_an_rows_err(d->rows);
}

/* One pass: every row against the current work measure. */
static int pass(struct vmt_an_cmp *x)
{
	struct vmt_an_diff *d = x->d;

	measure_work(x);
	x->allowed = floor_at(least_share(x), d->opts.alpha);
	if (d->rare_floor > x->allowed)
		return -EAGAIN; /* a rare row might be testable: start over lower */
	for (int s = -1; s < (int)d->nphases; s++)
		fit_trend(x, s);
	for (size_t ri = 0; ri < d->nrows; ri++)
		fill_row(x, ri);
	fit_priors(x);
	for (size_t ri = 0; ri < d->nrows; ri++)
		row_tests(x, ri);
	return vmt_an_rows_err(d->rows) ? vmt_an_rows_err(d->rows) : correct_and_judge(d);
}

/*
 * The flagged keys become the next pass's exclusions; returns 1 when they
 * are the ones this pass excluded already (the passes have converged).
 */
static int reflag(struct vmt_an_cmp *x)
{
	struct vmt_an_tab next = {0};
	size_t same = 0;

	for (size_t ri = 0; ri < x->d->nrows; ri++) {
		const struct vmt_an_row *row = vmt_an_rows_get(x->d->rows, ri);

		if (row->verdict == VMT_AN_SAME || row->key.kind != VMT_AN_KEY ||
		    vmt_an_tab_get(&next, &row->key, 0))
			continue;
		if (vmt_an_tab_add(&next, &row->key, 0, 1))
			break;
		same += vmt_an_tab_get(&x->flagged, &row->key, 0) != NULL;
	}
	if (same == next.len && same == x->flagged.len) {
		vmt_an_tab_free(&next);
		return 1;
	}
	vmt_an_tab_free(&x->flagged);
	x->flagged = next;
	return 0;
}

#define MAX_PASSES 4

static void cmp_free(struct vmt_an_cmp *x)
{
	for (uint32_t s = 0; x && x->fit && s < x->ns; s++) {
		free(x->fit[s].widen);
		free(x->fit[s].own_widen);
	}
	if (x) {
		free(x->fit);
		vmt_an_tab_free(&x->flagged);
		free(x->common);
		free(x->work);
		free(x->all);
		free(x->cnt);
		free(x->k);
		free(x->t);
		free(x->v);
		free(x->pc);
	}
	free(x);
}

static int cmp_alloc(struct vmt_an_cmp *x)
{
	x->work = calloc(x->n * x->ns, sizeof(*x->work));
	x->all = calloc(x->n * x->ns, sizeof(*x->all));
	x->cnt = calloc(x->n * x->ns, sizeof(*x->cnt));
	x->k = calloc(x->n, sizeof(*x->k));
	x->t = calloc(x->n, sizeof(*x->t));
	x->v = calloc(x->n, sizeof(*x->v));
	x->fit = calloc(x->ns, sizeof(*x->fit));
	if (!x->work || !x->all || !x->cnt || !x->k || !x->t || !x->v || !x->fit)
		return -ENOMEM;
	for (uint32_t s = 0; s < x->ns; s++)
		if (!(x->fit[s].widen = calloc(x->n, sizeof(double))) ||
		    !(x->fit[s].own_widen = calloc(x->n, sizeof(double))))
			return -ENOMEM;
	if (map_strata(x) || !(x->pc = calloc(x->n * x->width, sizeof(*x->pc))))
		return -ENOMEM;
	return 0;
}

/*
 * The passes.  What stays afterwards (d->cmp) is the last pass's work
 * measure, O(runs x strata): the reports get a row's per-run values from it
 * (vmt_an_row_values()), so no table of rows x runs is ever held.
 */
static int compare_rows(struct vmt_an_diff *d)
{
	struct vmt_an_cmp *x = calloc(1, sizeof(*x));
	int err = x ? 0 : -ENOMEM;

	if (!err) {
		*x = (struct vmt_an_cmp){.d = d, .n = d->nb + d->nc, .ns = d->nphases + 1};
		err = cmp_alloc(x);
	}
	d->unit = d->opts.per == VMT_AN_PER_WORK ? 1000 : 1;
	/* per second nothing is excluded, so one pass is final */
	while (!err && d->passes < MAX_PASSES) {
		d->passes++;
		err = pass(x);
		if (!err)
			err = vmt_an_diff_err(d);
		if (err || d->opts.per != VMT_AN_PER_WORK || reflag(x))
			break;
	}
	if (err) {
		if (err == -EAGAIN)
			d->rare_floor = x->allowed;
		cmp_free(x);
		return err;
	}
	d->cmp = x;
	return 0;
}

const double *vmt_an_row_values(const struct vmt_an_diff *d, size_t ri)
{
	row_runs(d->cmp, vmt_an_rows_get(d->rows, ri));
	return d->cmp->v;
}

const struct vmt_an_row *vmt_an_diff_row(const struct vmt_an_diff *d, size_t ri)
{
	return vmt_an_rows_get(d->rows, ri);
}

int vmt_an_diff_err(const struct vmt_an_diff *d)
{
	int err = vmt_an_rows_err(d->rows);

	return err ? err : spill_error(d);
}

int vmt_an_compare(struct vmt_an_diff *d, struct vmt_an_run **base, size_t nb,
		   struct vmt_an_run **cand, size_t nc,
		   const struct vmt_an_cmp_opts *opts)
{
	int err;

	memset(d, 0, sizeof(*d));
	d->base = base;
	d->cand = cand;
	d->nb = nb;
	d->nc = nc;
	d->opts = *opts;
	if (!nb || !nc)
		return -EINVAL;
	if (vmt_an_gate(base, nb, cand, nc, opts->ignore_labels, d->incomparable,
			sizeof(d->incomparable))) {
		if (!opts->force)
			return 0;
		d->forced = 1;
	}
	err = common_phases(d);
	if (!err)
		err = union_names(d);
	/* the runs' tables to disk, read back in key order */
	for (size_t i = 0; !err && i < nb + nc; i++)
		err = vmt_an_spill(i < nb ? base[i] : cand[i - nb]);
	d->rare_floor = vmt_an_rare_floor(nb, nc, opts);
	while (!err) {
		/* a loader's pooled keys must all stay below the floor */
		for (size_t i = 0; i < nb + nc; i++)
			if (run_at(d, i)->pooled_below > d->rare_floor)
				return -EAGAIN;
		err = build_rows(d);
		if (!err)
			err = compare_rows(d);
		if (err != -EAGAIN)
			break;
		free_rows(d); /* compare_rows() lowered the floor */
		d->passes = 0;
		d->rare_events = 0;
		err = 0;
	}
	return err;
}

void vmt_an_diff_free(struct vmt_an_diff *d)
{
	free_rows(d);
	free(d->phase_names);
	vmt_an_names_free(&d->names);
	free(d->local);
	cmp_free(d->cmp);
	memset(d, 0, sizeof(*d));
}

double vmt_an_mw_floor(const struct vmt_an_diff *d)
{
	return vmt_stats_mw_min_p(d->nb, d->nc);
}
