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

/* The table phase (0 = whole run) of run @i for a row scope. */
static uint32_t table_phase(const struct vmt_an_diff *d, size_t i, int scope)
{
	return scope < 0 ? 0 : d->local[i * d->stride + (uint32_t)scope] + 1;
}

static double exposure(const struct vmt_an_diff *d, size_t i, int scope)
{
	const struct vmt_an_run *r = run_at(d, i);
	double t;

	if (scope < 0)
		t = r->duration_s;
	else
		t = (double)r->phases[table_phase(d, i, scope) - 1].exposure_ns / 1e9;
	return t > 1e-9 ? t : 1e-9;
}

/* ---- one row -------------------------------------------------------- */

struct side_data {
	uint64_t *k;
	double *t, *rate;
};

/*
 * Pooled-count test: the exact conditional Poisson test on counts divided
 * by the dispersion (quasi-Poisson scaling; 1 when the runs show none).
 * @extreme asks for the most extreme split of the same total instead:
 * the independent filter, a row whose best possible p exceeds alpha never
 * enters the Benjamini-Hochberg family.
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

/* (t_{df, 1 - alpha/2} / z_{1 - alpha/2})^2, by bisection on the tails. */
static double t_widening(size_t df, double alpha)
{
	double lo = 0, hi = 1000, z;

	if (!df)
		return 1.0;
	for (int i = 0; i < 200; i++) {
		double mid = (lo + hi) / 2;

		if (vmt_stats_t_two_sided(mid, (double)df) > alpha)
			lo = mid;
		else
			hi = mid;
	}
	z = lo;
	lo = 0;
	hi = 100;
	for (int i = 0; i < 200; i++) {
		double mid = (lo + hi) / 2;

		if (erfc(mid / M_SQRT2) > alpha)
			lo = mid;
		else
			hi = mid;
	}
	return z * z / (lo * lo);
}

static void row_tests(struct vmt_an_row *row, size_t nb, size_t nc,
		      const struct side_data *s, double alpha, double cv2,
		      double widen)
{
	size_t n[2] = {nb, nc};
	double per_run = (double)(row->kb + row->kc) / (double)(nb + nc);
	double phi = fmax(vmt_stats_dispersion(s->k, s->t, n), 1.0 + cv2 * per_run);

	/* an estimated dispersion is itself uncertain: widen its excess by the
	 * squared ratio of Student's t to the normal critical value */
	row->dispersion = 1.0 + (phi - 1.0) * widen;
	row->p = pooled_p(row, 0, 0);
	row->testable = fmin(pooled_p(row, 1, 0), pooled_p(row, 1, 1)) <= alpha;
	if (nb == 1 && nc == 1) {
		row->p_rank = row->p;
		row->rank_ok = 1;
		return;
	}
	row->p_rank = vmt_stats_mann_whitney(s->rate, nb, s->rate + nb, nc, NULL);
	row->rank_ok = row->p_rank <= fmax(alpha, vmt_stats_mw_min_p(nb, nc)) + 1e-12;
}

static void fill_row(struct vmt_an_diff *d, struct vmt_an_row *row,
		     struct side_data *s, const double *cv2)
{
	size_t nb = d->nb, nc = d->nc;

	for (size_t i = 0; i < nb + nc; i++) {
		const struct vmt_an_entry *e = vmt_an_tab_get(&run_at(d, i)->tab, &row->key,
							      table_phase(d, i, row->scope));

		s->k[i] = e ? e->count : 0;
		s->t[i] = exposure(d, i, row->scope);
		s->rate[i] = (double)s->k[i] / s->t[i];
		if (i < nb) {
			row->kb += s->k[i];
			row->tb += s->t[i];
			row->pres_b += s->k[i] > 0;
		} else {
			row->kc += s->k[i];
			row->tc += s->t[i];
			row->pres_c += s->k[i] > 0;
		}
	}
	row->rate_b = (double)row->kb / row->tb;
	row->rate_c = (double)row->kc / row->tc;
	if (row->kb == 0) {
		row->set = 1;
		row->change = INFINITY;
		row->log2_ratio = INFINITY;
		row->consistent = row->pres_c == nc;
	} else if (row->kc == 0) {
		row->set = -1;
		row->change = -100.0;
		row->log2_ratio = -INFINITY;
		row->consistent = row->pres_b == nb;
	} else {
		row->change = (row->rate_c / row->rate_b - 1.0) * 100.0;
		row->log2_ratio = log2(row->rate_c / row->rate_b);
	}
	row_tests(row, nb, nc, s, d->opts.alpha, cv2[row->scope + 1], d->widen);
}

static enum vmt_an_verdict verdict(const struct vmt_an_row *row,
				   const struct vmt_an_cmp_opts *o)
{
	int sig = row->q <= o->alpha && row->rank_ok;

	if (row->set)
		return row->consistent && (sig || o->strict_sets)
			       ? (row->set > 0 ? VMT_AN_NEW : VMT_AN_GONE)
			       : VMT_AN_SAME;
	if (!sig || fabs(row->change) < o->min_change)
		return VMT_AN_SAME;
	return row->change > 0 ? VMT_AN_UP : VMT_AN_DOWN;
}

/* ---- all rows ------------------------------------------------------- */

static int cmp_rows(const void *pa, const void *pb)
{
	const struct vmt_an_row *a = pa, *b = pb;

	if (a->scope != b->scope)
		return a->scope < b->scope ? -1 : 1;
	if (a->key.kind != b->key.kind)
		return a->key.kind < b->key.kind ? -1 : 1;
	if (a->key.reason != b->key.reason)
		return a->key.reason < b->key.reason ? -1 : 1;
	if (a->key.b != b->key.b)
		return a->key.b < b->key.b ? -1 : 1;
	return (a->key.a > b->key.a) - (a->key.a < b->key.a);
}

/*
 * Run-level noise: when whole runs are faster or slower than each other
 * (a loaded host, a recorder slowed down), every key moves together and
 * its variance grows as mu + cv2 mu^2.  cv2 comes from the runs' total
 * counts in the scope, whose Pearson dispersion is 1 + cv2 mu_total.
 */
static double scope_cv2(const struct vmt_an_diff *d, int scope, struct side_data *s)
{
	size_t n[2] = {d->nb, d->nc};
	double sum = 0, phi;

	for (size_t i = 0; i < d->nb + d->nc; i++) {
		const struct vmt_an_run *r = run_at(d, i);
		uint32_t phase = table_phase(d, i, scope);

		s->k[i] = 0;
		for (size_t j = 0; j < r->tab.cap; j++) {
			const struct vmt_an_entry *e = &r->tab.slot[j];

			if (e->count && e->phase == phase && e->key.kind == VMT_AN_REASON)
				s->k[i] += e->count;
		}
		s->t[i] = exposure(d, i, scope);
		sum += (double)s->k[i];
	}
	phi = vmt_stats_dispersion(s->k, s->t, n);
	return sum > 0 ? (phi - 1.0) / (sum / (double)(d->nb + d->nc)) : 0;
}

/* The union of (behaviour, common phase) pairs over every run. */
static int union_keys(struct vmt_an_diff *d, struct vmt_an_tab *u)
{
	for (size_t i = 0; i < d->nb + d->nc; i++) {
		const struct vmt_an_run *r = run_at(d, i);

		for (size_t j = 0; j < r->tab.cap; j++) {
			const struct vmt_an_entry *e = &r->tab.slot[j];
			uint32_t common = 0;
			int err;

			if (!e->count || e->key.kind == VMT_AN_SPACE)
				continue;
			if (e->phase) {
				while (common < d->nphases &&
				       table_phase(d, i, (int)common) != e->phase)
					common++;
				if (common == d->nphases)
					continue;
				common++;
			}
			err = vmt_an_tab_add(u, &e->key, common, 1);
			if (err)
				return err;
		}
	}
	return 0;
}

static int build_rows(struct vmt_an_diff *d)
{
	struct vmt_an_tab u = {0};
	struct side_data s;
	size_t n = d->nb + d->nc;
	double *cv2 = calloc(d->nphases + 1, sizeof(*cv2));
	int err = union_keys(d, &u);

	s.k = calloc(n, sizeof(*s.k));
	s.t = calloc(n, sizeof(*s.t));
	s.rate = calloc(n, sizeof(*s.rate));
	d->rows = calloc(u.len ? u.len : 1, sizeof(*d->rows));
	if (!err && (!s.k || !s.t || !s.rate || !d->rows || !cv2))
		err = -ENOMEM;
	for (uint32_t p = 0; !err && p <= d->nphases; p++)
		cv2[p] = scope_cv2(d, (int)p - 1, &s);
	for (size_t j = 0; !err && j < u.cap; j++) {
		struct vmt_an_row *row;

		if (!u.slot[j].count)
			continue;
		row = &d->rows[d->nrows++];
		row->key = u.slot[j].key;
		row->scope = (int)u.slot[j].phase - 1;
		fill_row(d, row, &s, cv2);
	}
	free(cv2);
	free(s.k);
	free(s.t);
	free(s.rate);
	vmt_an_tab_free(&u);
	if (!err)
		qsort(d->rows, d->nrows, sizeof(*d->rows), cmp_rows);
	return err;
}

/* BH over the testable rows only; the others keep q = 1. */
static int correct_and_judge(struct vmt_an_diff *d)
{
	double *p = malloc((d->nrows ? d->nrows : 1) * sizeof(*p));
	size_t m = 0, j = 0;
	int err;

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < d->nrows; i++)
		if (d->rows[i].testable)
			p[m++] = d->rows[i].p;
	err = vmt_stats_bh(p, p, m);
	d->tested = m;
	for (size_t i = 0; !err && i < d->nrows; i++) {
		d->rows[i].q = d->rows[i].testable ? p[j++] : 1.0;
		d->rows[i].verdict = verdict(&d->rows[i], &d->opts);
		d->regressions += d->rows[i].verdict != VMT_AN_SAME;
	}
	free(p);
	return err;
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
	d->widen = t_widening(nb + nc - 2, opts->alpha);
	if (!err)
		err = build_rows(d);
	return err ? err : correct_and_judge(d);
}

void vmt_an_diff_free(struct vmt_an_diff *d)
{
	free(d->rows);
	free(d->phase_names);
	free(d->local);
	memset(d, 0, sizeof(*d));
}

double vmt_an_mw_floor(const struct vmt_an_diff *d)
{
	return vmt_stats_mw_min_p(d->nb, d->nc);
}
