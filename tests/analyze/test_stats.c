/*
 * test_stats.c - analyze/stats.c against reference values computed
 * independently (direct summation and full enumeration in Python, plus
 * R's documented poisson.test example).
 */
#include <criterion/criterion.h>
#include <math.h>

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
