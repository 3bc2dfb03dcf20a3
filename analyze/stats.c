/*
 * stats.c - exact and approximate tests used by the run comparison:
 * conditional Poisson rate test, Mann-Whitney U, Benjamini-Hochberg and
 * the quasi-Poisson dispersion (analyze/README.md "Statistics").
 *
 * Everything works in log space or through the incomplete beta function,
 * so counts in the tens of millions cost microseconds, not O(n) sums.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "stats.h"

double vmt_stats_log_binom_pmf(uint64_t k, uint64_t n, double p)
{
	if (k > n)
		return -INFINITY;
	if (p <= 0.0)
		return k == 0 ? 0.0 : -INFINITY;
	if (p >= 1.0)
		return k == n ? 0.0 : -INFINITY;
	return lgamma((double)n + 1) - lgamma((double)k + 1) -
	       lgamma((double)(n - k) + 1) + (double)k * log(p) +
	       (double)(n - k) * log1p(-p);
}

/* Modified Lentz evaluation of the incomplete beta continued fraction;
 * converges fast for x < (a + 1) / (a + b + 2). */
static double betacf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0), h;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1.0 / d;
	h = d;
	for (int m = 1; m < 1000000; m++) {
		double m2 = 2.0 * m, num, delta;

		num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
		d = 1.0 + num * d;
		c = 1.0 + num / c;
		d = 1.0 / (fabs(d) < tiny ? tiny : d);
		c = fabs(c) < tiny ? tiny : c;
		h *= d * c;
		num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
		d = 1.0 + num * d;
		c = 1.0 + num / c;
		d = 1.0 / (fabs(d) < tiny ? tiny : d);
		c = fabs(c) < tiny ? tiny : c;
		delta = d * c;
		h *= delta;
		if (fabs(delta - 1.0) < 1e-15)
			break;
	}
	return h;
}

/* log(1 / B(a, b)), the part of I_x(a, b)'s front factor without x */
static double lbeta_inv(double a, double b)
{
	return lgamma(a + b) - lgamma(a) - lgamma(b);
}

/* I_x(a, b) given lbeta_inv(a, b) as @lb: the same operations in the same
 * order as computing it here, so the same bits. */
static double betainc_lb(double a, double b, double x, double lb)
{
	double lfront;

	if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1))
		return NAN;
	if (x == 0 || x == 1)
		return x;
	lfront = lb + a * log(x) + b * log1p(-x);
	if (x < (a + 1.0) / (a + b + 2.0))
		return exp(lfront) * betacf(a, b, x) / a;
	return 1.0 - exp(lfront) * betacf(b, a, 1.0 - x) / b;
}

double vmt_stats_betainc(double a, double b, double x)
{
	return betainc_lb(a, b, x, lbeta_inv(a, b));
}

double vmt_stats_binom_cdf(uint64_t k, uint64_t n, double p)
{
	if (k >= n)
		return 1.0;
	return vmt_stats_betainc((double)(n - k), (double)k + 1.0, 1.0 - p);
}

/* P(X >= k) without the cancellation of 1 - cdf. */
static double binom_sf(uint64_t k, uint64_t n, double p)
{
	if (k == 0)
		return 1.0;
	if (k > n)
		return 0.0;
	return vmt_stats_betainc((double)k, (double)(n - k) + 1.0, p);
}

/*
 * First index in [lo, hi] whose log pmf is <= @lim, the pmf being monotone
 * over the range (@rising: increasing with the index).  Returns hi + 1 (or
 * lo - 1 when rising) if no index qualifies.
 */
static int64_t pmf_boundary(int64_t lo, int64_t hi, uint64_t n, double p,
			    double lim, int rising)
{
	int64_t none = rising ? lo - 1 : hi + 1;

	while (lo <= hi) {
		int64_t mid = lo + (hi - lo) / 2;
		int below = vmt_stats_log_binom_pmf((uint64_t)mid, n, p) <= lim;

		if (rising) {
			/* want the largest index still below the limit */
			if (below) {
				none = mid;
				lo = mid + 1;
			} else {
				hi = mid - 1;
			}
		} else {
			if (below) {
				none = mid;
				hi = mid - 1;
			} else {
				lo = mid + 1;
			}
		}
	}
	return none;
}

double vmt_stats_poisson_test(uint64_t k1, double t1, uint64_t k2, double t2)
{
	uint64_t n = k1 + k2;
	double p, lim, pv;
	int64_t mode, j;

	if (!(t1 > 0) || !(t2 > 0))
		return NAN;
	if (n == 0)
		return 1.0;
	p = t1 / (t1 + t2);
	lim = vmt_stats_log_binom_pmf(k1, n, p) + log1p(1e-7);
	mode = (int64_t)floor((double)(n + 1) * p);
	if (mode > (int64_t)n)
		mode = (int64_t)n;
	if ((int64_t)k1 < mode) {
		j = pmf_boundary(mode, (int64_t)n, n, p, lim, 0);
		pv = vmt_stats_binom_cdf(k1, n, p) +
		     (j <= (int64_t)n ? binom_sf((uint64_t)j, n, p) : 0.0);
	} else if ((int64_t)k1 > mode) {
		j = pmf_boundary(0, mode, n, p, lim, 1);
		pv = binom_sf(k1, n, p) +
		     (j >= 0 ? vmt_stats_binom_cdf((uint64_t)j, n, p) : 0.0);
	} else {
		pv = 1.0;
	}
	return pv > 1.0 ? 1.0 : pv;
}

double vmt_stats_t_two_sided(double t, double df)
{
	if (!(df > 0))
		return NAN;
	return vmt_stats_betainc(df / 2.0, 0.5, df / (df + t * t));
}

/* ------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double choose(size_t n, size_t k)
{
	return exp(lgamma((double)n + 1) - lgamma((double)k + 1) -
		   lgamma((double)(n - k) + 1));
}

double vmt_stats_mw_min_p(size_t nx, size_t ny)
{
	double c;

	if (!nx || !ny)
		return 1.0;
	c = 2.0 / choose(nx + ny, nx);
	return c > 1.0 ? 1.0 : c;
}

/*
 * Doubled mid-ranks of the pooled sample (x first, then y), so every rank
 * sum stays an exact integer.  Also returns the tie term sum(t^3 - t).
 */
static double midranks2(const double *x, size_t nx, const double *y,
			size_t ny, long *rank2)
{
	size_t n = nx + ny;
	double *sorted = malloc(n * sizeof(*sorted)), ties = 0;

	if (!sorted)
		return -1;
	for (size_t i = 0; i < n; i++)
		sorted[i] = i < nx ? x[i] : y[i - nx];
	qsort(sorted, n, sizeof(*sorted), cmp_double);
	for (size_t i = 0; i < n; i++) {
		double v = i < nx ? x[i] : y[i - nx];
		size_t lo = 0, hi = n, first, last;

		while (lo < hi) { /* first index with sorted >= v */
			size_t mid = (lo + hi) / 2;

			if (sorted[mid] < v)
				lo = mid + 1;
			else
				hi = mid;
		}
		first = lo;
		for (last = first; last + 1 < n && sorted[last + 1] == v; last++)
			;
		rank2[i] = (long)(first + last + 2); /* 2 * mean of 1-based ranks */
	}
	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j + 1 < n && sorted[j + 1] == sorted[i])
			j++;
		ties += pow((double)(j - i + 1), 3) - (double)(j - i + 1);
		i = j + 1;
	}
	free(sorted);
	return ties;
}

/* Exact two-sided p: share of all nx-subsets of the pooled ranks whose U is
 * at least as far from its mean as the observed one. */
static double mw_exact(const long *rank2, size_t nx, size_t n, long obs2)
{
	size_t idx[64];
	double hits = 0, total = 0;
	long mean2 = (long)(nx * (n + 1)); /* doubled expected rank sum */
	long dev = labs(obs2 - mean2);

	for (size_t i = 0; i < nx; i++)
		idx[i] = i;
	for (;;) {
		long s = 0;
		size_t i;

		for (i = 0; i < nx; i++)
			s += rank2[idx[i]];
		total++;
		hits += labs(s - mean2) >= dev;
		for (i = nx; i-- > 0;) {
			if (idx[i] < n - nx + i) {
				idx[i]++;
				for (size_t j = i + 1; j < nx; j++)
					idx[j] = idx[j - 1] + 1;
				break;
			}
		}
		if (i == (size_t)-1)
			break;
	}
	return hits / total;
}

double vmt_stats_mann_whitney(const double *x, size_t nx, const double *y,
			      size_t ny, double *u)
{
	size_t n = nx + ny;
	long *rank2, r2 = 0;
	double ties, u_obs, mu, var, z, p;

	if (u)
		*u = 0;
	if (!nx || !ny)
		return 1.0;
	rank2 = malloc(n * sizeof(*rank2));
	if (!rank2)
		return NAN;
	ties = midranks2(x, nx, y, ny, rank2);
	if (ties < 0) {
		free(rank2);
		return NAN;
	}
	for (size_t i = 0; i < nx; i++)
		r2 += rank2[i];
	u_obs = (double)r2 / 2.0 - (double)nx * (double)(nx + 1) / 2.0;
	if (u)
		*u = u_obs;
	if (nx <= 64 && choose(n, nx) <= VMT_STATS_MW_EXACT_MAX) {
		p = mw_exact(rank2, nx, n, r2);
	} else {
		mu = (double)nx * (double)ny / 2.0;
		var = (double)nx * (double)ny / 12.0 *
		      ((double)(n + 1) - ties / ((double)n * (double)(n - 1)));
		z = var > 0 ? (fabs(u_obs - mu) - 0.5) / sqrt(var) : 0;
		p = z > 0 ? erfc(z / M_SQRT2) : 1.0;
	}
	free(rank2);
	return p > 1.0 ? 1.0 : p;
}

/* ------------------------------------------------------------------ */

struct bh_item {
	double p;
	size_t i;
};

static int cmp_bh_item(const void *a, const void *b)
{
	double x = ((const struct bh_item *)a)->p;
	double y = ((const struct bh_item *)b)->p;

	return (x > y) - (x < y);
}

int vmt_stats_bh(const double *p, double *q, size_t m)
{
	struct bh_item *it;
	double run = 1.0;

	if (!m)
		return 0;
	it = malloc(m * sizeof(*it));
	if (!it)
		return -ENOMEM;
	for (size_t i = 0; i < m; i++) {
		it[i].p = isnan(p[i]) ? 1.0 : p[i];
		it[i].i = i;
	}
	qsort(it, m, sizeof(*it), cmp_bh_item);
	for (size_t r = m; r-- > 0;) {
		double v = it[r].p * (double)m / (double)(r + 1);

		if (v < run)
			run = v;
		q[it[r].i] = run;
	}
	free(it);
	return 0;
}

double vmt_stats_dispersion(const uint64_t *k, const double *t,
			    const size_t n[2])
{
	double x2 = 0;
	size_t df = 0, off = 0;

	for (int s = 0; s < 2; s++) {
		double K = 0, T = 0, lambda;

		for (size_t i = off; i < off + n[s]; i++) {
			K += (double)k[i];
			T += t[i];
		}
		if (n[s] > 1)
			df += n[s] - 1;
		lambda = T > 0 ? K / T : 0;
		for (size_t i = off; lambda > 0 && i < off + n[s]; i++) {
			double e = t[i] * lambda, d = (double)k[i] - e;

			x2 += d * d / e;
		}
		off += n[s];
	}
	if (!df || x2 / (double)df < 1.0)
		return 1.0;
	return x2 / (double)df;
}

/* ---- empirical Bayes helpers ----------------------------------------- */

double vmt_stats_digamma(double x)
{
	double r = 0, f;

	if (!(x > 0))
		return NAN;
	while (x < 12) { /* psi(x) = psi(x + 1) - 1 / x */
		r -= 1 / x;
		x += 1;
	}
	f = 1 / (x * x);
	return r + log(x) - 0.5 / x -
	       f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))));
}

double vmt_stats_trigamma(double x)
{
	double r = 0, f;

	if (!(x > 0))
		return NAN;
	while (x < 12) { /* psi'(x) = psi'(x + 1) + 1 / x^2 */
		r += 1 / (x * x);
		x += 1;
	}
	f = 1 / (x * x);
	return r + 1 / x + f / 2 +
	       f / x * (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f / 30)));
}

double vmt_stats_trigamma_inv(double y)
{
	double lo = -30, hi = 30; /* log x; trigamma falls as x grows */

	if (!(y > 0))
		return NAN;
	for (int i = 0; i < 200; i++) {
		double mid = (lo + hi) / 2;

		if (vmt_stats_trigamma(exp(mid)) > y)
			lo = mid;
		else
			hi = mid;
	}
	return exp((lo + hi) / 2);
}

/*
 * Bisection.  B(a, b) is computed once, not per step, and the search stops
 * when the midpoint no longer moves (the steps after it changed nothing):
 * for the rate-ratio intervals of a diff with millions of events a row,
 * these steps were a third of the diff's time.
 */
double vmt_stats_betainc_inv(double a, double b, double p)
{
	double lo = 0, hi = 1, lb = lbeta_inv(a, b);

	if (!(p > 0))
		return 0;
	if (!(p < 1))
		return 1;
	for (int i = 0; i < 80; i++) {
		double mid = (lo + hi) / 2;

		if (mid == lo || mid == hi)
			break;
		if (betainc_lb(a, b, mid, lb) < p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

double vmt_stats_t_crit(double alpha, double df)
{
	double lo = 0, hi = 1e4;

	for (int i = 0; i < 100; i++) {
		double mid = (lo + hi) / 2;
		double p = isfinite(df) && df < 1e7 ? vmt_stats_t_two_sided(mid, df)
						   : erfc(mid / M_SQRT2);

		if (p > alpha)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

void vmt_stats_rate_ratio_ci(double k1, double t1, double k2, double t2,
			     double level, double *lo, double *hi)
{
	double a = (1 - level) / 2, n = k1 + k2, plo, phi;

	if (!(n > 0) || !(t1 > 0) || !(t2 > 0)) {
		*lo = 0;
		*hi = INFINITY;
		return;
	}
	/* p = share of the events on side 2; ratio = p / (1 - p) * t1 / t2 */
	plo = k2 > 0 ? vmt_stats_betainc_inv(k2, k1 + 1, a) : 0;
	phi = k1 > 0 ? vmt_stats_betainc_inv(k2 + 1, k1, 1 - a) : 1;
	*lo = plo / (1 - plo) * t1 / t2;
	*hi = phi < 1 ? phi / (1 - phi) * t1 / t2 : INFINITY;
}

/* log(x) centred on its expectation under F(df, inf) */
static double fdist_z(double x, double df)
{
	return log(x) - vmt_stats_digamma(df / 2) + log(df / 2);
}

void vmt_stats_fdist_add(struct vmt_stats_fdist *a, double x, double df)
{
	double e;

	if (!(x > 0) || !(df > 0))
		return;
	if (!a->second) {
		a->sum += fdist_z(x, df);
		a->tri += vmt_stats_trigamma(df / 2);
		a->m++;
		return;
	}
	e = fdist_z(x, df) - a->mean;
	a->sq += e * e;
}

int vmt_stats_fdist_next(struct vmt_stats_fdist *a)
{
	if (a->m < 3)
		return -EINVAL;
	a->mean = a->sum / (double)a->m;
	a->second = 1;
	return 0;
}

void vmt_stats_fdist_fit(const struct vmt_stats_fdist *a, double *d0, double *s0sq)
{
	double var;

	*d0 = 0;
	*s0sq = 1;
	if (!a->second)
		return;
	var = a->sq / (double)(a->m - 1) - a->tri / (double)a->m;
	if (var > 0) {
		*d0 = 2 * vmt_stats_trigamma_inv(var);
		*s0sq = exp(a->mean + vmt_stats_digamma(*d0 / 2) - log(*d0 / 2));
	} else {
		*d0 = INFINITY;
		*s0sq = exp(a->mean);
	}
}

int vmt_stats_fit_fdist(const double *x, const double *df, size_t n,
			double *d0, double *s0sq)
{
	struct vmt_stats_fdist a = {0};
	int err;

	for (size_t i = 0; i < n; i++)
		vmt_stats_fdist_add(&a, x[i], df[i]);
	err = vmt_stats_fdist_next(&a);
	for (size_t i = 0; !err && i < n; i++)
		vmt_stats_fdist_add(&a, x[i], df[i]);
	vmt_stats_fdist_fit(&a, d0, s0sq);
	return err;
}
