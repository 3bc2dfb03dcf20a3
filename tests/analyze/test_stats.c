/*
 * test_stats.c - analyze/stats.c against reference values computed
 * independently (direct summation and full enumeration in Python, plus
 * R's documented poisson.test example).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>

#include "stats.h"

#define NEAR(a, b, rel) cr_expect(fabs((a) - (b)) <= (rel) * fabs(b) + 1e-300, \
				  "%s = %.12g, expected %.12g", #a, (double)(a), (double)(b))

Test(stats, poisson_test_known_values)
{
	/* R: poisson.test(c(11, 6+8+7), c(800, 1083+1050+878)) p = 0.07967 */
	NEAR(vmt_stats_poisson_test(11, 800, 21, 3011), 0.07966863303332863, 1e-9);
	NEAR(vmt_stats_poisson_test(10, 1, 20, 1), 0.09873714670538988, 1e-9);
	NEAR(vmt_stats_poisson_test(0, 1, 5, 1), 0.0625, 1e-12);
	NEAR(vmt_stats_poisson_test(5, 1, 5, 1), 1.0, 1e-12);
	NEAR(vmt_stats_poisson_test(100, 2, 130, 2.5), 0.7909682483492629, 1e-9);
	NEAR(vmt_stats_poisson_test(3, 1, 0, 1), 0.25, 1e-12);
	NEAR(vmt_stats_poisson_test(1000, 10, 1200, 10), 2.181702640791919e-05, 1e-7);
	NEAR(vmt_stats_poisson_test(50, 3, 20, 1), 0.4910478318742888, 1e-9);
}

Test(stats, poisson_test_edges)
{
	cr_expect_eq(vmt_stats_poisson_test(0, 1, 0, 1), 1.0);
	cr_expect(isnan(vmt_stats_poisson_test(1, 0, 1, 1)));
	/* symmetric in the sides */
	NEAR(vmt_stats_poisson_test(20, 1, 10, 1), vmt_stats_poisson_test(10, 1, 20, 1), 1e-12);
}

Test(stats, poisson_test_large_counts_fast_and_sane)
{
	/* 10M vs 10M at equal rate: no evidence; 10M vs 10.1M: overwhelming */
	double same = vmt_stats_poisson_test(10000000, 1, 10000000, 1);
	double diff = vmt_stats_poisson_test(10000000, 1, 10100000, 1);

	cr_expect(same > 0.99, "same %g", same);
	cr_expect(diff < 1e-50, "diff %g", diff);
}

Test(stats, binom_cdf)
{
	NEAR(vmt_stats_binom_cdf(3, 10, 0.3), 0.6496107183999993, 1e-10);
	NEAR(vmt_stats_binom_cdf(40, 100, 0.5), 0.028443966820489948, 1e-9);
	NEAR(vmt_stats_binom_cdf(480, 1000, 0.5), 0.10872414660204394, 1e-8);
	cr_expect_eq(vmt_stats_binom_cdf(10, 10, 0.3), 1.0);
}

Test(stats, betainc_symmetry_and_bounds)
{
	NEAR(vmt_stats_betainc(2, 3, 0.4) + vmt_stats_betainc(3, 2, 0.6), 1.0, 1e-12);
	/* I_x(1, 1) = x; I_x(a, 1) = x^a */
	NEAR(vmt_stats_betainc(1, 1, 0.37), 0.37, 1e-12);
	NEAR(vmt_stats_betainc(4, 1, 0.5), 0.0625, 1e-12);
	cr_expect(isnan(vmt_stats_betainc(0, 1, 0.5)));
}

Test(stats, mann_whitney_exact)
{
	double u;

	NEAR(vmt_stats_mann_whitney((double[]){1, 2, 3}, 3, (double[]){4, 5, 6}, 3, &u), 0.1, 1e-12);
	cr_expect_eq(u, 0);
	NEAR(vmt_stats_mann_whitney((double[]){1.5, 2.5, 3.5}, 3, (double[]){1, 2, 4}, 3, &u), 1.0, 1e-12);
	cr_expect_eq(u, 5);
	/* ties (zero counts in several runs) */
	NEAR(vmt_stats_mann_whitney((double[]){0, 0, 1}, 3, (double[]){0, 2, 3}, 3, &u), 0.4, 1e-12);
	cr_expect_eq(u, 2);
	NEAR(vmt_stats_mann_whitney((double[]){3, 1, 4, 1, 5}, 5, (double[]){9, 2, 6, 5, 3, 5}, 6, &u),
	     0.1406926406926407, 1e-12);
	cr_expect_eq(u, 6.5);
	NEAR(vmt_stats_mann_whitney((double[]){1, 2}, 2, (double[]){3, 4, 5, 6, 7}, 5, NULL),
	     0.09523809523809523, 1e-12);
}

Test(stats, mann_whitney_min_p)
{
	NEAR(vmt_stats_mw_min_p(3, 3), 0.1, 1e-12);
	NEAR(vmt_stats_mw_min_p(5, 5), 2.0 / 252, 1e-12);
	cr_expect_eq(vmt_stats_mw_min_p(1, 1), 1.0);
}

Test(stats, mann_whitney_normal_approx)
{
	/* 15 v 15: C(30,15) is beyond the exact cap; fully separated samples
	 * give z = (112.5 - 0.5) / sqrt(15*15*31/12) = 4.6589, p = 3.18e-6 */
	double x[15], y[15];

	for (int i = 0; i < 15; i++) {
		x[i] = i;
		y[i] = 100 + i;
	}
	NEAR(vmt_stats_mann_whitney(x, 15, y, 15, NULL), erfc(112.0 / sqrt(15.0 * 15 * 31 / 12) / M_SQRT2), 1e-12);
	cr_expect(vmt_stats_mann_whitney(x, 15, y, 15, NULL) < 1e-5);
}

Test(stats, benjamini_hochberg)
{
	double p[] = {0.01, 0.04, 0.03, 0.005, 0.5};
	double want[] = {0.025, 0.05, 0.05, 0.025, 0.5};
	double q[5];

	cr_assert_eq(vmt_stats_bh(p, q, 5), 0);
	for (int i = 0; i < 5; i++)
		NEAR(q[i], want[i], 1e-12);
	/* in place */
	cr_assert_eq(vmt_stats_bh(p, p, 5), 0);
	NEAR(p[1], 0.05, 1e-12);
}

Test(stats, dispersion)
{
	uint64_t k[] = {100, 150, 90, 200, 210, 190};
	double t[] = {1, 1, 1, 1, 1, 1};

	NEAR(vmt_stats_dispersion(k, t, (size_t[]){3, 3}), 4.808823529411765, 1e-12);
	/* one run a side: no degree of freedom, Poisson */
	cr_expect_eq(vmt_stats_dispersion(k, t, (size_t[]){1, 1}), 1.0);
	/* under-dispersed data floors at 1 */
	cr_expect_eq(vmt_stats_dispersion((uint64_t[]){100, 100, 100, 100},
					  (double[]){1, 1, 1, 1}, (size_t[]){2, 2}), 1.0);
}

Test(stats, student_t)
{
	/* t(0.975, 4) = 2.776445; Simpson integration of the t density */
	NEAR(vmt_stats_t_two_sided(2.776445105, 4), 0.05, 1e-8);
	NEAR(vmt_stats_t_two_sided(0, 4), 1.0, 1e-12);
}

Test(stats, gamma_functions)
{
	NEAR(vmt_stats_digamma(1), -0.5772156649015329, 1e-12);
	NEAR(vmt_stats_digamma(0.5), -1.9635100260214235, 1e-12);
	NEAR(vmt_stats_digamma(20), 2.9705239922421490, 1e-12);
	NEAR(vmt_stats_trigamma(1), M_PI * M_PI / 6, 1e-12);
	NEAR(vmt_stats_trigamma(0.5), M_PI * M_PI / 2, 1e-12);
	NEAR(vmt_stats_trigamma(20), 0.05127082293520302, 1e-10);
	NEAR(vmt_stats_trigamma_inv(vmt_stats_trigamma(2.5)), 2.5, 1e-9);
	NEAR(vmt_stats_trigamma_inv(vmt_stats_trigamma(300)), 300.0, 1e-9);
}

Test(stats, quantiles)
{
	NEAR(vmt_stats_t_crit(0.05, INFINITY), 1.959963984540054, 1e-9);
	NEAR(vmt_stats_t_crit(0.05, 4), 2.776445105197793, 1e-9);
	NEAR(vmt_stats_t_crit(0.01, 10), 3.169272672616951, 1e-9);
	NEAR(vmt_stats_betainc_inv(3, 5, vmt_stats_betainc(3, 5, 0.3)), 0.3, 1e-9);
}

Test(stats, rate_ratio_interval)
{
	double lo, hi;

	/* Clopper-Pearson for 5 of 10: [0.1870860, 0.8129140] (R binom.test) */
	vmt_stats_rate_ratio_ci(5, 1, 5, 1, 0.95, &lo, &hi);
	NEAR(lo, 0.1870860 / (1 - 0.1870860), 1e-5);
	NEAR(hi, 0.8129140 / (1 - 0.8129140), 1e-5);
	/* exposures scale it; no events on side 1: unbounded above */
	vmt_stats_rate_ratio_ci(0, 2, 7, 1, 0.95, &lo, &hi);
	cr_expect(lo > 0 && isinf(hi));
	vmt_stats_rate_ratio_ci(1000, 1, 1000, 1, 0.95, &lo, &hi);
	cr_expect(lo < 1 && hi > 1 && hi / lo < 1.2, "[%g, %g]", lo, hi);
}

Test(stats, fit_fdist_recovers_the_prior)
{
	double x[4000], df[4000], d0, s0;
	uint64_t s = 12345;

	/* x = s0^2 * chi2(d) / d / (chi2(d0) / d0) with d = 4, d0 = 20, s0^2 = 1.5;
	 * chi-squares as sums of squared normals (Box-Muller) */
	for (int i = 0; i < 4000; i++) {
		double num = 0, den = 0;

		for (int j = 0; j < 24; j++) {
			double u1, u2, z;

			s = s * 6364136223846793005ull + 1442695040888963407ull;
			u1 = ((s >> 11) + 1.0) / 9007199254740993.0;
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			u2 = (s >> 11) / 9007199254740992.0;
			z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
			*(j < 4 ? &num : &den) += z * z;
		}
		x[i] = 1.5 * (num / 4) / (den / 20);
		df[i] = 4;
	}
	cr_assert_eq(vmt_stats_fit_fdist(x, df, 4000, &d0, &s0), 0);
	cr_expect(d0 > 12 && d0 < 35, "d0 %g", d0);
	cr_expect(s0 > 1.35 && s0 < 1.65, "s0^2 %g", s0);
	/* no spread beyond chance: an infinite prior */
	for (int i = 0; i < 4000; i++)
		x[i] = 1.5;
	vmt_stats_fit_fdist(x, df, 4000, &d0, &s0);
	cr_expect(isinf(d0));
	cr_expect_eq(vmt_stats_fit_fdist(x, df, 2, &d0, &s0), -EINVAL);
}
