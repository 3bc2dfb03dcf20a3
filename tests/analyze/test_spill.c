/*
 * test_spill.c - analyze/spill.c: a run's table moved to disk comes back
 * whole, in key order, and a search finds each key's counts whatever the
 * order of the searches.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "analyze_int.h"

#define KEYS 3000
#define PHASES 4

/* Key i's count in phase p, or 0 where the run never saw it. */
static uint64_t count_of(uint64_t i, uint32_t p)
{
	return (i * 7 + p) % 5 == 0 ? 0 : i * 10 + p + 1;
}

static struct vmt_an_bkey key_of(uint64_t i)
{
	/* a and b both vary so that the order (b before a) matters */
	return (struct vmt_an_bkey){ VMT_AN_KEY, 1 + (uint32_t)(i % 3), i * 2654435761u % 1000,
				     i % 7 };
}

static struct vmt_an_run *filled(void)
{
	struct vmt_an_run *r = calloc(1, sizeof(*r));

	cr_assert_not_null(r);
	for (uint64_t i = 0; i < KEYS; i++) {
		struct vmt_an_bkey k = key_of(i);

		for (uint32_t p = 0; p < PHASES; p++)
			cr_assert_eq(vmt_an_tab_add(&r->tab, &k, p, count_of(i, p)), 0);
	}
	return r;
}

static int cmp_index(const void *a, const void *b)
{
	struct vmt_an_bkey x = key_of(*(const uint64_t *)a), y = key_of(*(const uint64_t *)b);

	return vmt_an_key_cmp(&x, &y);
}

Test(spill, entries_come_back_whole_and_in_order)
{
	struct vmt_an_run *r = filled();
	struct vmt_an_entry e, prev = { 0 };
	size_t n = 0, expect = 0;

	for (uint64_t i = 0; i < KEYS; i++)
		for (uint32_t p = 0; p < PHASES; p++)
			expect += count_of(i, p) != 0;
	cr_assert_eq(vmt_an_spill(r), 0);
	cr_assert_eq(r->tab.len, 0, "the table is given back");
	cr_assert_eq(r->spill.entries, expect);
	for (int round = 0; round < 2; round++) { /* a second sweep reads the same */
		cr_assert_eq(vmt_an_spill_rewind(&r->spill), 0);
		for (n = 0; vmt_an_spill_next(&r->spill, &e) > 0; n++) {
			int c = vmt_an_key_cmp(&prev.key, &e.key);

			cr_assert(n == 0 || c < 0 || (c == 0 && prev.phase < e.phase),
				  "entry %zu out of order", n);
			cr_assert_neq(e.count, 0);
			prev = e;
		}
		cr_assert_eq(n, expect);
	}
	vmt_an_run_free(r);
}

/* Ascending searches, absent keys between them, then a key below the last
 * one sought (a new sweep), then the same key twice in a row. */
Test(spill, find_gives_each_keys_counts)
{
	struct vmt_an_run *r = filled();
	uint64_t idx[KEYS], got[PHASES + 1];

	for (uint64_t i = 0; i < KEYS; i++)
		idx[i] = i;
	qsort(idx, KEYS, sizeof(*idx), cmp_index);
	cr_assert_eq(vmt_an_spill(r), 0);
	for (int sweep = 0; sweep < 2; sweep++)
		for (size_t j = (size_t)sweep; j < KEYS; j += 2) { /* every other key */
			struct vmt_an_bkey k = key_of(idx[j]), absent = k;

			absent.a += 1000; /* between this key and the next */
			vmt_an_spill_find(&r->spill, &k, got, PHASES + 1);
			for (uint32_t p = 0; p < PHASES; p++)
				cr_assert_eq(got[p], count_of(idx[j], p), "key %zu phase %u", j, p);
			cr_assert_eq(got[PHASES], 0);
			vmt_an_spill_find(&r->spill, &absent, got, PHASES);
			for (uint32_t p = 0; p < PHASES; p++)
				cr_assert_eq(got[p], 0);
		}
	for (int twice = 0; twice < 2; twice++) {
		struct vmt_an_bkey k = key_of(idx[KEYS / 2]);

		vmt_an_spill_find(&r->spill, &k, got, PHASES);
		for (uint32_t p = 0; p < PHASES; p++)
			cr_assert_eq(got[p], count_of(idx[KEYS / 2], p));
	}
	cr_assert_eq(r->spill.err, 0);
	vmt_an_run_free(r);
}

Test(spill, an_empty_run_spills_to_nothing)
{
	struct vmt_an_run *r = calloc(1, sizeof(*r));
	struct vmt_an_entry e;
	struct vmt_an_bkey k = { VMT_AN_KEY, 1, 2, 3 };
	uint64_t got[2] = { 9, 9 };

	cr_assert_not_null(r);
	cr_assert_eq(vmt_an_spill(r), 0);
	cr_assert_eq(vmt_an_spill_next(&r->spill, &e), 0);
	vmt_an_spill_find(&r->spill, &k, got, 2);
	cr_assert(got[0] == 0 && got[1] == 0);
	vmt_an_run_free(r);
}

Test(spill, an_unwritable_tmpdir_is_an_error)
{
	struct vmt_an_run *r = filled();

	setenv("TMPDIR", "/nonexistent/vmtrail-test", 1);
	cr_assert_lt(vmt_an_spill(r), 0);
	cr_assert_null(r->spill.f);
	cr_assert_gt(r->tab.len, 0, "the table is kept when the spill fails");
	vmt_an_run_free(r);
}

/* Whether key i reaches a diff's rare floor (the others pool). */
static int kept(uint64_t i)
{
	return i % 3 != 0;
}

/*
 * A load that sorts on disk (load_ch.c) writes the spill a load into the
 * table writes: each count split in two entries, the sort in runs far
 * smaller than the keys, the rare keys pooled and the phases folded by
 * vmt_an_spill_sorted() instead of by the loader and vmt_an_tab_fold().
 */
Test(spill, sorted_entries_spill_as_the_table_does)
{
	struct vmt_an_run *t = calloc(1, sizeof(*t));
	struct vmt_an_spill s = { 0 }, keep = { 0 };
	struct vmt_an_sort in, ks;
	struct vmt_an_entry a, b;
	const struct vmt_an_bkey rare = { VMT_AN_RARE, 0, 0, 0 };
	size_t n = 0;

	cr_assert_not_null(t);
	cr_assert_eq(vmt_an_sort_open(&in, 97, sizeof(a), vmt_an_entry_cmp), 0);
	cr_assert_eq(vmt_an_sort_open(&ks, 97, sizeof(a), vmt_an_entry_cmp), 0);
	for (uint64_t i = 0; i < KEYS; i++) {
		struct vmt_an_bkey k = key_of(i);

		if (kept(i)) /* the kept keys, each twice */
			for (int twice = 0; twice < 2; twice++)
				vmt_an_sort_add(&ks, &(struct vmt_an_entry){ k, 0, 1 });
		for (uint32_t p = 1; p < PHASES; p++) {
			uint64_t c = count_of(i, p), half = c / 2;

			cr_assert_eq(vmt_an_tab_add(&t->tab, kept(i) ? &k : &rare, p, c), 0);
			if (half)
				vmt_an_sort_add(&in, &(struct vmt_an_entry){ k, p, half });
			if (c - half)
				vmt_an_sort_add(&in, &(struct vmt_an_entry){ k, p, c - half });
		}
	}
	cr_assert_eq(vmt_an_tab_fold(&t->tab), 0);
	cr_assert_eq(vmt_an_spill(t), 0);
	cr_assert_eq(vmt_an_sort_done(&ks), 0);
	cr_assert_eq(vmt_an_spill_sorted(&keep, &ks, 1, 0, NULL), 0);
	cr_assert_eq(vmt_an_sort_done(&in), 0);
	cr_assert_not_null(in.f, "the entries went through the disk");
	cr_assert_eq(vmt_an_spill_sorted(&s, &in, PHASES, 1, &keep), 0);
	cr_assert_eq(s.entries, t->spill.entries);
	while (vmt_an_spill_next(&t->spill, &a) > 0) {
		cr_assert_eq(vmt_an_spill_next(&s, &b), 1, "entry %zu missing", n);
		cr_assert(!vmt_an_key_cmp(&a.key, &b.key) && a.phase == b.phase &&
			  a.count == b.count, "entry %zu: %lu in phase %u, want %lu in %u", n,
			  (unsigned long)b.count, b.phase, (unsigned long)a.count, a.phase);
		n++;
	}
	cr_assert_eq(vmt_an_spill_next(&s, &b), 0, "no entry more");
	cr_assert_gt(n, 0);
	vmt_an_sort_close(&in);
	vmt_an_sort_close(&ks);
	vmt_an_spill_close(&s);
	vmt_an_spill_close(&keep);
	vmt_an_run_free(t);
}
