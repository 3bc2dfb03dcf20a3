/*
 * test_compare.c - analyze/compare.c on runs built in memory: verdicts for
 * injected changes, silence on pure noise (Poisson and overdispersed), the
 * comparability gate, phases, and the renderers' output.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_int.h"
#include "stats.h"
#include "vmt/event.h"

/* xorshift64*: reproducible noise without libc's rand() state */
static uint64_t rng = 88172645463325252ull;

static double uniform(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (double)((rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static uint64_t poisson(double lambda)
{
	if (lambda > 200) { /* normal approximation is ample here */
		double u1 = uniform(), u2 = uniform();
		double z = sqrt(-2 * log(u1 + 1e-300)) * cos(2 * M_PI * u2);
		double v = lambda + sqrt(lambda) * z;

		return v < 0 ? 0 : (uint64_t)llround(v);
	}
	double l = exp(-lambda), p = 1;
	uint64_t k = 0;

	do {
		k++;
		p *= uniform();
	} while (p > l);
	return k - 1;
}

static struct vmt_an_run *new_run(const char *name, uint32_t vcpus,
				  const char *monitors, double seconds)
{
	struct vmt_an_run *r = calloc(1, sizeof(*r));

	cr_assert(r);
	r->name = strdup(name);
	r->monitors = strdup(monitors);
	r->labels = strdup("scenario=test");
	r->uuid = strdup("00000000-0000-0000-0000-000000000000");
	r->domain = strdup("guest");
	r->vcpus = vcpus;
	r->abi_version = 7;
	r->duration_s = seconds;
	return r;
}

static void add(struct vmt_an_run *r, uint32_t reason, uint64_t a, uint64_t n)
{
	struct vmt_an_bkey k = {VMT_AN_KEY, reason, a, 0};

	cr_assert_eq(vmt_an_tab_add(&r->tab, &k, 0, n), 0);
}

/* The per-reason totals, as the loader counts them beside the keys. */
static void total(struct vmt_an_run *r)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < r->tab.cap; i++)
		if (r->tab.slot[i].count && r->tab.slot[i].key.kind == VMT_AN_KEY)
			sum += r->tab.slot[i].count;
	struct vmt_an_bkey k = {VMT_AN_REASON, VMT_REASON_MOV_TO_MSR, 0, 0};

	cr_assert_eq(vmt_an_tab_add(&r->tab, &k, 0, sum), 0);
}

/* A run of 40 MSR keys at rates 5..200/s, with @bump extra on key 0x10. */
static struct vmt_an_run *noise_run(double scale, double bump_factor, int new_key)
{
	struct vmt_an_run *r = new_run("sim", 2, "msr:all", 10);

	for (uint64_t i = 0; i < 40; i++) {
		double lambda = 10.0 * (5 + 5 * (double)i) * scale;

		if (i == 0x10)
			lambda *= bump_factor;
		add(r, VMT_REASON_MOV_TO_MSR, i, poisson(lambda));
	}
	if (new_key)
		add(r, VMT_REASON_MOV_TO_MSR, 0xc0000082, poisson(300));
	total(r);
	return r;
}

static void free_side(struct vmt_an_run **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vmt_an_run_free(v[i]);
}

/*
 * Flagged behaviour keys (totals move with them and are not counted);
 * *@which says whether the key it names is among them.
 */
static int flagged(const struct vmt_an_diff *d, uint64_t *which)
{
	uint64_t want = which ? *which : 0;
	int n = 0;

	if (which)
		*which = 0;
	for (size_t i = 0; i < d->nrows; i++) {
		const struct vmt_an_row *r = vmt_an_diff_row(d, i);

		if (r->verdict != VMT_AN_SAME && r->key.kind == VMT_AN_KEY) {
			n++;
			if (which && r->key.a == want)
				*which = 1;
		}
	}
	return n;
}

static const struct vmt_an_cmp_opts defaults = {.alpha = 0.05};

static int trial(size_t n, double bump, int new_key, double jitter, uint64_t *which)
{
	struct vmt_an_run *b[5], *c[5];
	struct vmt_an_diff d;
	int nflag;

	for (size_t i = 0; i < n; i++) {
		b[i] = noise_run(1 + jitter * (uniform() - 0.5), 1, 0);
		c[i] = noise_run(1 + jitter * (uniform() - 0.5), bump, new_key);
	}
	cr_assert_eq(vmt_an_compare(&d, b, n, c, n, &defaults), 0);
	nflag = flagged(&d, which);
	vmt_an_diff_free(&d);
	free_side(b, n);
	free_side(c, n);
	return nflag;
}

Test(compare, noise_flags_nothing_mostly)
{
	int noisy1 = 0, noisy3 = 0;

	for (int t = 0; t < 100; t++) {
		noisy1 += trial(1, 1, 0, 0, NULL) > 0;
		noisy3 += trial(3, 1, 0, 0, NULL) > 0;
	}
	/* BH keeps the familywise rate near alpha under the global null
	 * (2000 trials measured 5.5% for 1v1, 3% for 3v3) */
	cr_expect(noisy1 <= 12, "1v1 false alarms in %d of 100 trials", noisy1);
	cr_expect(noisy3 <= 12, "3v3 false alarms in %d of 100 trials", noisy3);
}

Test(compare, overdispersed_noise_is_absorbed)
{
	int noisy = 0;

	/* per-run rates differ by up to +-15%: far beyond Poisson noise at
	 * these counts, so only the dispersion scaling keeps this quiet */
	for (int t = 0; t < 50; t++)
		noisy += trial(3, 1, 0, 0.3, NULL) > 0;
	cr_expect(noisy <= 5, "false alarms in %d of 50 trials", noisy);
}

Test(compare, doubled_rate_is_found)
{
	int found1 = 0, found3 = 0;

	for (int t = 0; t < 30; t++) {
		uint64_t which = 0x10;

		trial(1, 2, 0, 0, &which);
		found1 += (int)which;
		which = 0x10;
		trial(3, 2, 0, 0, &which);
		found3 += (int)which;
	}
	cr_expect(found1 >= 27, "1v1 found %d of 30", found1);
	cr_expect(found3 >= 27, "3v3 found %d of 30", found3);
}

Test(compare, new_key_is_new)
{
	uint64_t which = 0xc0000082;

	cr_expect_eq(trial(3, 1, 1, 0, &which), 1);
	cr_expect_eq(which, 1);
}

Test(compare, one_wild_run_is_not_a_change)
{
	/* pooled counts differ a lot, but only because one candidate run is
	 * far from the others: the row's own dispersion, which empirical Bayes
	 * keeps when the other rows cannot vouch for it, refuses the verdict */
	struct vmt_an_run *b[3], *c[3];
	uint64_t kb[3] = {100, 110, 120}, kc[3] = {105, 115, 900};
	struct vmt_an_diff d;

	for (int i = 0; i < 3; i++) {
		b[i] = new_run("b", 2, "msr", 10);
		c[i] = new_run("c", 2, "msr", 10);
		add(b[i], VMT_REASON_MOV_TO_MSR, 1, kb[i]);
		add(c[i], VMT_REASON_MOV_TO_MSR, 1, kc[i]);
		add(b[i], VMT_REASON_MOV_TO_MSR, 2, 5000);
		add(c[i], VMT_REASON_MOV_TO_MSR, 2, 5000);
	}
	cr_assert_eq(vmt_an_compare(&d, b, 3, c, 3, &defaults), 0);
	cr_assert_eq(d.nrows, 2);
	cr_expect_gt(vmt_an_diff_row(&d, 0)->dispersion, 10);
	cr_expect_eq(vmt_an_diff_row(&d, 0)->verdict, VMT_AN_SAME);
	vmt_an_diff_free(&d);
	free_side(b, 3);
	free_side(c, 3);
}

/*
 * Whole runs 30% faster or slower, every behaviour with them: per second
 * that is a change of every row; per unit of work it is none.
 */
Test(compare, a_faster_run_changes_no_row_per_work)
{
	struct vmt_an_run *b[3], *c[3];
	struct vmt_an_cmp_opts per_s = {.alpha = 0.05, .per = VMT_AN_PER_SECOND};
	struct vmt_an_diff d;
	int noisy = 0, loud = 0;

	for (int t = 0; t < 20; t++) {
		for (int i = 0; i < 3; i++) {
			b[i] = noise_run(1.0 + 0.05 * i, 1, 0);
			c[i] = noise_run(1.3 + 0.05 * i, 1, 0);
		}
		cr_assert_eq(vmt_an_compare(&d, b, 3, c, 3, &defaults), 0);
		noisy += flagged(&d, NULL) > 0;
		vmt_an_diff_free(&d);
		cr_assert_eq(vmt_an_compare(&d, b, 3, c, 3, &per_s), 0);
		loud += flagged(&d, NULL) > 0;
		vmt_an_diff_free(&d);
		free_side(b, 3);
		free_side(c, 3);
	}
	cr_expect(noisy <= 3, "per work: false alarms in %d of 20 trials", noisy);
	cr_expect(loud >= 15, "per second: the faster side flagged in only %d of 20", loud);
}

Test(compare, min_change_silences_small_changes)
{
	struct vmt_an_run *b = new_run("b", 1, "m", 100), *c = new_run("c", 1, "m", 100);
	struct vmt_an_cmp_opts o = {.alpha = 0.05, .min_change = 10};
	struct vmt_an_diff d;

	add(b, VMT_REASON_CPUID, 1, 1000000);
	add(c, VMT_REASON_CPUID, 1, 1050000); /* +5%: significant, but small */
	add(b, VMT_REASON_CPUID, 7, 1000000); /* the work it is counted against */
	add(c, VMT_REASON_CPUID, 7, 1000000);
	cr_assert_eq(vmt_an_compare(&d, &b, 1, &c, 1, &defaults), 0);
	cr_expect_eq(vmt_an_diff_row(&d, 0)->verdict, VMT_AN_UP);
	vmt_an_diff_free(&d);
	cr_assert_eq(vmt_an_compare(&d, &b, 1, &c, 1, &o), 0);
	cr_expect_eq(vmt_an_diff_row(&d, 0)->verdict, VMT_AN_SAME);
	vmt_an_diff_free(&d);
	vmt_an_run_free(b);
	vmt_an_run_free(c);
}

Test(compare, gate_names_the_factor)
{
	struct vmt_an_run *b = new_run("b", 2, "cpuid;msr:0xc0000080", 1);
	struct vmt_an_run *c = new_run("c", 4, "cpuid;msr:0xc0000080", 1);
	struct vmt_an_cmp_opts forced = {.alpha = 0.05, .force = 1};
	struct vmt_an_diff d;

	add(b, VMT_REASON_CPUID, 1, 10);
	add(c, VMT_REASON_CPUID, 1, 10);
	cr_assert_eq(vmt_an_compare(&d, &b, 1, &c, 1, &defaults), 0);
	cr_expect_str_eq(d.incomparable, "vcpus differ (baseline 2, candidate 4)");
	cr_expect_eq(d.nrows, 0);
	vmt_an_diff_free(&d);
	cr_assert_eq(vmt_an_compare(&d, &b, 1, &c, 1, &forced), 0);
	cr_expect(d.forced);
	cr_expect_eq(d.nrows, 1);
	vmt_an_diff_free(&d);

	c->vcpus = 2;
	free(c->monitors);
	c->monitors = strdup("cpuid;msr:0xc0000080,0xc0000082");
	cr_assert_eq(vmt_an_compare(&d, &b, 1, &c, 1, &defaults), 0);
	cr_expect_str_eq(d.incomparable, "monitor msr differs (baseline 'msr:0xc0000080', "
			 "candidate 'msr:0xc0000080,0xc0000082')");
	vmt_an_diff_free(&d);

	free(c->monitors);
	c->monitors = strdup("msr:0xc0000080");
	cr_assert_eq(vmt_an_compare(&d, &b, 1, &c, 1, &defaults), 0);
	cr_expect_str_eq(d.incomparable, "monitor cpuid differs (baseline 'cpuid', candidate 'absent')");
	vmt_an_diff_free(&d);

	free(c->monitors);
	c->monitors = strdup(b->monitors);
	free(c->labels);
	c->labels = strdup("scenario=other");
	cr_assert_eq(vmt_an_compare(&d, &b, 1, &c, 1, &defaults), 0);
	cr_expect_str_eq(d.incomparable, "label scenario differs (baseline 'scenario=test', "
			 "candidate 'scenario=other')");
	vmt_an_diff_free(&d);
	vmt_an_run_free(b);
	vmt_an_run_free(c);
}

static void phases(struct vmt_an_run *r)
{
	static const char *const names[] = {"(start)", "login", "work"};

	r->nphases = 3;
	r->phases = calloc(3, sizeof(*r->phases));
	for (int i = 0; i < 3; i++) {
		r->phases[i].name = strdup(names[i]);
		r->phases[i].exposure_ns = 3000000000ull + (uint64_t)i * 500000000ull;
	}
}

Test(compare, change_located_in_its_phase)
{
	struct vmt_an_run *b = new_run("b", 1, "m", 10), *c = new_run("c", 1, "m", 10);
	struct vmt_an_bkey k = {VMT_AN_KEY, VMT_REASON_MOV_TO_MSR, 0x6e0, 0};
	struct vmt_an_diff d;
	int in_login = 0, elsewhere = 0;

	phases(b);
	phases(c);
	for (uint32_t p = 1; p <= 3; p++) {
		struct vmt_an_bkey ref = {VMT_AN_KEY, VMT_REASON_CPUID, 1, 0};
		uint64_t n = 1000;

		/* an unchanged behaviour: the work the change is measured against */
		for (uint32_t ph = 0; ph <= p; ph += p) {
			vmt_an_tab_add(&b->tab, &ref, ph, 5000);
			vmt_an_tab_add(&c->tab, &ref, ph, 5000);
		}
		vmt_an_tab_add(&b->tab, &k, p, n);
		vmt_an_tab_add(&c->tab, &k, p, p == 2 ? 2 * n : n);
		vmt_an_tab_add(&b->tab, &k, 0, n);
		vmt_an_tab_add(&c->tab, &k, 0, p == 2 ? 2 * n : n);
	}
	cr_assert_eq(vmt_an_compare(&d, &b, 1, &c, 1, &defaults), 0);
	cr_expect_eq(d.nphases, 3);
	for (size_t i = 0; i < d.nrows; i++) {
		const struct vmt_an_row *r = vmt_an_diff_row(&d, i);

		if (r->verdict == VMT_AN_SAME || r->scope < 0)
			continue;
		if (!strcmp(d.phase_names[r->scope], "login"))
			in_login++;
		else
			elsewhere++;
	}
	cr_expect_eq(in_login, 1);
	cr_expect_eq(elsewhere, 0);
	vmt_an_diff_free(&d);

	/* a phase missing from one run drops out; the others stay */
	free(c->phases[2].name);
	c->phases[2].name = strdup("other");
	cr_assert_eq(vmt_an_compare(&d, &b, 1, &c, 1, &defaults), 0);
	cr_expect_eq(d.nphases, 2);
	cr_expect_str_eq(d.phase_names[1], "login");
	vmt_an_diff_free(&d);

	/* only "(start)" in common: whole runs only */
	free(c->phases[1].name);
	c->phases[1].name = strdup("logout");
	cr_assert_eq(vmt_an_compare(&d, &b, 1, &c, 1, &defaults), 0);
	cr_expect_eq(d.nphases, 0);
	for (size_t i = 0; i < d.nrows; i++)
		cr_expect_eq(vmt_an_diff_row(&d, i)->scope, -1);
	vmt_an_diff_free(&d);
	vmt_an_run_free(b);
	vmt_an_run_free(c);
}

static char *render(int (*fn)(FILE *, const struct vmt_an_diff *), const struct vmt_an_diff *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert(f);
	cr_assert_eq(fn(f, d), 0);
	fclose(f);
	return buf;
}

static int text_all(FILE *f, const struct vmt_an_diff *d)
{
	return vmt_an_diff_text(f, d, 0);
}

Test(compare, renderers_name_the_change)
{
	struct vmt_an_run *b = new_run("base.vmt", 1, "m", 10), *c = new_run("cand.vmt", 1, "m", 10);
	struct vmt_an_diff d;
	char *text, *json, *html;

	add(b, VMT_REASON_MOV_TO_MSR, 0x6e0, 500);
	add(c, VMT_REASON_MOV_TO_MSR, 0x6e0, 510);
	add(c, VMT_REASON_MOV_TO_MSR, 0xc0000082, 200);
	cr_assert_eq(vmt_an_compare(&d, &b, 1, &c, 1, &defaults), 0);
	text = render(text_all, &d);
	json = render(vmt_an_diff_json, &d);
	html = render(vmt_an_diff_html, &d);
	cr_expect(strstr(text, "mov_to_msr msr 0xc0000082 (LSTAR)"), "%s", text);
	cr_expect(!strncmp(text, "changed    mov_to_msr msr 0xc0000082", 36),
		  "the text opens with what changed: %s", text);
	cr_expect(strstr(text, "rates      per 1000 events of work (--per work"), "%s", text);
	cr_expect(strstr(text, "+\u221e"), "log2 of a new behaviour is infinite: %s", text);
	cr_expect(!strstr(text, "99.00"), "%s", text);
	cr_expect(strstr(json, "\"per\":\"work\""));
	cr_expect(strstr(json, "\"baseline_values\":[") && strstr(json, "\"ci_low_pct\":"));
	cr_expect(strstr(html, "<h2>What changed</h2>"));
	cr_expect(strstr(html, "What changed") < strstr(html, "<b>Baseline</b>"),
		  "the page opens with what changed");
	cr_expect(strstr(text, "1 significant change (regression)"), "%s", text);
	cr_expect(!strstr(text, "msr 0x6e0"), "unchanged rows stay out of the text: %s", text);
	cr_expect(strstr(json, "\"verdict\":\"new\""));
	cr_expect(strstr(json, "\"regressions\":1"));
	cr_expect(strstr(html, "<svg"));
	cr_expect(strstr(html, "msr 0xc0000082"));
	cr_expect(!strstr(html, "http"), "the page must not reach the network");
	free(text);
	free(json);
	free(html);
	vmt_an_diff_free(&d);
	vmt_an_run_free(b);
	vmt_an_run_free(c);
}

/* ---- rare keys (compare.c "rare behaviours") ------------------------- */

/* @nb + @nc noise runs; @rare keys of one event each, one per run in turn. */
static void rare_sides(struct vmt_an_run **b, size_t nb, struct vmt_an_run **c, size_t nc,
		       uint64_t rare)
{
	for (size_t i = 0; i < nb + nc; i++)
		*(i < nb ? &b[i] : &c[i - nb]) = noise_run(1, i < nb ? 1 : 2, 0);
	for (uint64_t k = 0; k < rare; k++) {
		struct vmt_an_run *r = k % (nb + nc) < nb ? b[k % (nb + nc)] : c[k % (nb + nc) - nb];

		add(r, VMT_REASON_MOV_TO_MSR, 0x1000 + k, 1);
	}
}

static const struct vmt_an_row *row_of(const struct vmt_an_diff *d, const struct vmt_an_row *like)
{
	for (size_t i = 0; i < d->nrows; i++) {
		const struct vmt_an_row *r = vmt_an_diff_row(d, i);

		if (!memcmp(&r->key, &like->key, sizeof(like->key)) && r->scope == like->scope)
			return r;
	}
	return NULL;
}

Test(compare, rare_keys_are_no_rows_and_change_nothing)
{
	struct vmt_an_run *b[5], *c[5];
	struct vmt_an_cmp_opts keep = defaults;
	struct vmt_an_diff d, all;
	size_t absent = 0;

	keep.rare_cap = 1;
	rare_sides(b, 5, c, 5, 30);
	cr_assert_eq(vmt_an_compare(&d, b, 5, c, 5, &defaults), 0);
	cr_assert_eq(vmt_an_compare(&all, b, 5, c, 5, &keep), 0);
	cr_expect_eq(d.rare_floor, 5, "min(5 runs a side, 5: 0.5^5 <= 0.05)");
	cr_expect_eq(d.rare_events, 30);
	cr_expect_eq(all.rare_floor, 1);
	cr_expect_eq(all.rare_events, 0);
	cr_expect_eq(d.regressions, all.regressions);
	cr_expect_gt(d.regressions, 0, "the doubled key 0x10 is found");
	for (size_t i = 0; i < all.nrows; i++) {
		const struct vmt_an_row *x = vmt_an_diff_row(&all, i), *y = row_of(&d, x);

		if (!y) {
			absent++;
			cr_expect(x->key.a >= 0x1000 && !x->testable && x->verdict == VMT_AN_SAME);
			continue;
		}
		cr_expect(x->p == y->p && x->q == y->q && x->verdict == y->verdict &&
			  x->dispersion == y->dispersion && x->testable == y->testable,
			  "row %" PRIx64 " differs", x->key.a);
	}
	cr_expect_eq(absent, 30);
	cr_expect_eq(all.tested, d.tested);
	vmt_an_diff_free(&d);
	vmt_an_diff_free(&all);
	free_side(b, 5);
	free_side(c, 5);
}

/* 2 runs against 40: a key of one baseline event could reach alpha (its
 * most extreme split has p about (2/42)^1), so the floor falls to 1. */
Test(compare, unbalanced_sides_lower_the_floor)
{
	struct vmt_an_run *b[2], *c[40];
	struct vmt_an_diff d;

	rare_sides(b, 2, c, 40, 1);
	cr_assert_eq(vmt_an_compare(&d, b, 2, c, 40, &defaults), 0);
	cr_expect_eq(d.rare_floor, 1);
	cr_expect_eq(d.rare_events, 0);
	struct vmt_an_row one = {.key = {VMT_AN_KEY, VMT_REASON_MOV_TO_MSR, 0x1000, 0}, .scope = -1};

	cr_expect(row_of(&d, &one), "the one-event key is a row");
	vmt_an_diff_free(&d);
	/* runs whose loader pooled below 2 must be loaded again */
	for (size_t i = 0; i < 42; i++)
		(i < 2 ? b[i] : c[i - 2])->pooled_below = 2;
	cr_expect_eq(vmt_an_compare(&d, b, 2, c, 40, &defaults), -EAGAIN);
	cr_expect_eq(d.rare_floor, 1, "the floor to load them at");
	vmt_an_diff_free(&d);
	free_side(b, 2);
	free_side(c, 40);
}

/*
 * The correction's p-values sorted on disk in runs of 3 give every row the
 * q they get sorted in memory, and both are vmt_stats_bh()'s over the
 * testable rows' p-values.
 */
Test(compare, correction_on_disk_is_benjamini_hochberg)
{
	struct vmt_an_run *b[5], *c[5];
	struct vmt_an_cmp_opts small = defaults;
	struct vmt_an_diff d, disk;
	double *p, *q;
	size_t m = 0;

	for (int i = 0; i < 5; i++) {
		b[i] = noise_run(1.0, 1.0, 0);
		c[i] = noise_run(1.0, 1.6, 1);
	}
	small.sort_run = 3;
	cr_assert_eq(vmt_an_compare(&d, b, 5, c, 5, &defaults), 0);
	cr_assert_eq(vmt_an_compare(&disk, b, 5, c, 5, &small), 0);
	cr_assert_eq(d.nrows, disk.nrows);
	cr_assert_gt(d.tested, 6, "more p-values than two runs of the sort");
	p = calloc(d.nrows + 1, sizeof(*p));
	q = calloc(d.nrows + 1, sizeof(*q));
	cr_assert(p && q);
	for (size_t i = 0; i < d.nrows; i++) {
		const struct vmt_an_row *x = vmt_an_diff_row(&d, i);

		if (x->testable)
			p[m++] = x->p;
	}
	cr_assert_eq(m, d.tested);
	cr_assert_eq(vmt_stats_bh(p, q, m), 0);
	m = 0;
	for (size_t i = 0; i < d.nrows; i++) {
		struct vmt_an_row x = *vmt_an_diff_row(&d, i);
		const struct vmt_an_row *y = vmt_an_diff_row(&disk, i);

		cr_expect(x.q == (x.testable ? q[m++] : 1.0), "row %zu: q %g", i, x.q);
		cr_expect(x.q == y->q && x.p == y->p && x.verdict == y->verdict,
			  "row %zu: q %g on disk, %g in memory", i, y->q, x.q);
	}
	cr_expect_eq(d.regressions, disk.regressions);
	free(p);
	free(q);
	vmt_an_diff_free(&d);
	vmt_an_diff_free(&disk);
	free_side(b, 5);
	free_side(c, 5);
}
