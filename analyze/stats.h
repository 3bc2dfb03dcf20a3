/*
 * stats.h - the statistics behind vmtrail-analyze's verdicts (analyze/
 * internal; pure functions, no I/O, no allocation beyond the call).
 *
 * Methods and the reasons for them: analyze/README.md "Statistics".
 */
#ifndef VMT_ANALYZE_STATS_H
#define VMT_ANALYZE_STATS_H

#include <stddef.h>
#include <stdint.h>

/** vmt_stats_log_binom_pmf() - log P(X = k), X ~ Binomial(n, p) */
double vmt_stats_log_binom_pmf(uint64_t k, uint64_t n, double p);

/**
 * vmt_stats_betainc() - regularized incomplete beta I_x(a, b)
 * Return: the value in [0, 1]; NaN for a or b <= 0 or x outside [0, 1].
 */
double vmt_stats_betainc(double a, double b, double x);

/** vmt_stats_binom_cdf() - P(X <= k), X ~ Binomial(n, p) */
double vmt_stats_binom_cdf(uint64_t k, uint64_t n, double p);

/**
 * vmt_stats_poisson_test() - two-sided conditional exact test of equal
 * Poisson rates: @k1 events in exposure @t1 against @k2 in @t2.
 *
 * Given n = k1 + k2, k1 ~ Binomial(n, t1 / (t1 + t2)) under equal rates;
 * the p-value sums the probabilities of every outcome no more likely than
 * the observed one (relative tolerance 1e-7 for ties).
 *
 * Return: p in [0, 1]; 1 when n == 0; NaN for a non-positive exposure.
 */
double vmt_stats_poisson_test(uint64_t k1, double t1, uint64_t k2, double t2);

/**
 * vmt_stats_t_two_sided() - P(|T| >= |t|) for Student's t with @df degrees
 * of freedom (I_{df/(df+t^2)}(df/2, 1/2))
 */
double vmt_stats_t_two_sided(double t, double df);

/**
 * vmt_stats_mann_whitney() - two-sided Mann-Whitney U test
 * @x, @nx: first sample; @y, @ny: second sample
 * @u:      OUT (may be NULL): U of @x (pairs with x > y, ties count 1/2)
 *
 * Exact permutation distribution (mid-ranks, so ties are exact too) when
 * C(nx + ny, nx) <= VMT_STATS_MW_EXACT_MAX; normal approximation with tie
 * and continuity corrections above that.
 *
 * Return: p in [0, 1]; 1 when a sample is empty.
 */
double vmt_stats_mann_whitney(const double *x, size_t nx, const double *y,
			      size_t ny, double *u);
#define VMT_STATS_MW_EXACT_MAX 20000

/** vmt_stats_mw_min_p() - smallest two-sided exact p reachable for sizes
 * (nx, ny): 2 / C(nx + ny, nx), capped at 1 */
double vmt_stats_mw_min_p(size_t nx, size_t ny);

/**
 * vmt_stats_bh() - Benjamini-Hochberg adjusted p-values (q-values)
 * @p: IN: m raw p-values; @q: OUT: m adjusted values (may alias @p)
 *
 * Return: 0, or -ENOMEM.
 */
int vmt_stats_bh(const double *p, double *q, size_t m);

/**
 * vmt_stats_dispersion() - quasi-Poisson dispersion of per-run counts
 * @k, @t: counts and exposures of the runs, side by side
 * @n:     runs per side: n[0] baseline, n[1] candidate (k, t hold n[0]
 *         baseline runs then n[1] candidate runs)
 *
 * Pearson X^2 of each side around its pooled rate, over the degrees of
 * freedom (n[0] - 1) + (n[1] - 1).
 *
 * Return: the dispersion, never below 1 (Poisson); 1 without a degree of
 *         freedom or without events.
 */
double vmt_stats_dispersion(const uint64_t *k, const double *t,
			    const size_t n[2]);

/** vmt_stats_digamma(), vmt_stats_trigamma() - psi and psi' for x > 0 */
double vmt_stats_digamma(double x);
double vmt_stats_trigamma(double x);
/** vmt_stats_trigamma_inv() - the x > 0 with trigamma(x) = @y (y > 0) */
double vmt_stats_trigamma_inv(double y);

/**
 * vmt_stats_betainc_inv() - the x in [0, 1] with I_x(@a, @b) = @p
 */
double vmt_stats_betainc_inv(double a, double b, double p);

/**
 * vmt_stats_t_crit() - the t with P(|T| >= t) = @alpha for Student's t
 * with @df degrees of freedom (the normal quantile when @df is infinite)
 */
double vmt_stats_t_crit(double alpha, double df);

/**
 * vmt_stats_rate_ratio_ci() - Clopper-Pearson interval of the rate ratio
 * (k2 / t2) / (k1 / t1) at confidence @level, from the binomial split of
 * k1 + k2 (counts may be fractional: dispersion-scaled)
 * @lo, @hi: OUT: the bounds (0 and +inf when a count is 0)
 */
void vmt_stats_rate_ratio_ci(double k1, double t1, double k2, double t2,
			     double level, double *lo, double *hi);

/**
 * vmt_stats_fit_fdist() - the scaled F distribution that a set of
 * variance ratios @x (each with @df degrees of freedom) is drawn from:
 * x ~ s0sq * F(df, d0), by moments of log(x) (Smyth 2004, as in limma)
 * @d0:   OUT: prior degrees of freedom (INFINITY: no spread beyond chance)
 * @s0sq: OUT: prior scale
 * Zero or negative @x are left out.  Return: 0, or -EINVAL with fewer
 * than 3 usable values (then d0 = 0, s0sq = 1).
 */
int vmt_stats_fit_fdist(const double *x, const double *df, size_t n,
			double *d0, double *s0sq);

/*
 * The same fit over values read twice in the same order, never held: add
 * each value, vmt_stats_fdist_next(), add each again, vmt_stats_fdist_fit().
 * vmt_stats_fdist_next() returns -EINVAL with fewer than 3 usable values;
 * the fit is then d0 = 0, s0sq = 1.
 */
struct vmt_stats_fdist {
	double sum, tri, mean, sq;
	size_t m;
	int second;            /* the second reading */
};

void vmt_stats_fdist_add(struct vmt_stats_fdist *a, double x, double df);
int vmt_stats_fdist_next(struct vmt_stats_fdist *a);
void vmt_stats_fdist_fit(const struct vmt_stats_fdist *a, double *d0, double *s0sq);

#endif
