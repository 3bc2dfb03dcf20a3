/*
 * test_scratch.c - a diff's other files on disk: analyze/rows.c keeps
 * every row written, whatever the order it is read and changed in, and
 * analyze/sort.c returns pairs in exactly qsort()'s order, in memory and
 * through many runs on disk.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "analyze_int.h"

#define ROWS 5000

static double mark(size_t i, int round)
{
	return (double)(i * 31 % 977) + round * 0.5;
}

Test(rows, appended_rows_read_back_in_any_order)
{
	struct vmt_an_rows s;

	cr_assert_eq(vmt_an_rows_open(&s), 0);
	for (size_t i = 0; i < ROWS; i++) {
		struct vmt_an_row *r = vmt_an_rows_at(&s, i);

		r->p = mark(i, 0);
		r->scope = (int)(i % 4) - 1;
	}
	cr_assert_eq(s.n, ROWS);
	/* change every third row, jumping across windows */
	for (size_t j = 0; j < ROWS; j += 3) {
		size_t i = (j * 7919) % ROWS;

		vmt_an_rows_at(&s, i)->q = mark(i, 1);
	}
	for (size_t i = ROWS; i-- > 0;) {
		const struct vmt_an_row *r = vmt_an_rows_get(&s, i);
		int changed = 0;

		for (size_t j = 0; j < ROWS; j += 3)
			changed |= (j * 7919) % ROWS == i;
		cr_assert_eq(r->p, mark(i, 0), "row %zu", i);
		cr_assert_eq(r->scope, (int)(i % 4) - 1);
		cr_assert_eq(r->q, changed ? mark(i, 1) : 0, "row %zu", i);
	}
	cr_expect_eq(vmt_an_rows_err(&s), 0);
	/* past the end is an error, and a sticky one */
	vmt_an_rows_get(&s, ROWS + 1);
	cr_expect_eq(vmt_an_rows_err(&s), -EINVAL);
	cr_expect_eq(vmt_an_rows_get(&s, 0)->p, 0, "a zeroed row after an error");
	vmt_an_rows_close(&s);
}

static int by_value(const void *pa, const void *pb)
{
	const struct vmt_an_pair *a = pa, *b = pb;

	if (a->v != b->v)
		return a->v < b->v ? -1 : 1;
	return (a->i > b->i) - (a->i < b->i);
}

/* @n pairs with many ties through runs of @cap equal qsort() of them. */
static void sorted_like_qsort(size_t n, size_t cap)
{
	struct vmt_an_pair *want = malloc((n + 1) * sizeof(*want)), got;
	struct vmt_an_sort s;
	size_t k = 0;

	cr_assert_not_null(want);
	cr_assert_eq(vmt_an_sort_open(&s, cap, sizeof(got), by_value), 0);
	for (size_t i = 0; i < n; i++) {
		want[i] = (struct vmt_an_pair){ (double)((i * 2654435761u) % 101), i };
		vmt_an_sort_add(&s, &want[i]);
	}
	qsort(want, n, sizeof(*want), by_value);
	cr_assert_eq(vmt_an_sort_done(&s), 0);
	while (vmt_an_sort_next(&s, &got) > 0) {
		cr_assert_lt(k, n);
		cr_assert(got.v == want[k].v && got.i == want[k].i,
			  "pair %zu of %zu (runs of %zu): %g/%lu, want %g/%lu", k, n, cap, got.v,
			  (unsigned long)got.i, want[k].v, (unsigned long)want[k].i);
		k++;
	}
	cr_expect_eq(k, n, "every pair once (runs of %zu)", cap);
	cr_expect_eq(s.err, 0);
	cr_expect_eq(s.f != NULL, n > cap, "the disk only when the pairs outgrow a run");
	vmt_an_sort_close(&s);
	free(want);
}

Test(sort, in_memory_and_on_disk_as_qsort)
{
	sorted_like_qsort(0, 8);
	sorted_like_qsort(1, 8);
	sorted_like_qsort(8, 8);
	sorted_like_qsort(9, 8);
	sorted_like_qsort(1000, 7);    /* 143 runs, 1 pair of buffer each */
	sorted_like_qsort(10000, 64);  /* more runs than the buffer holds */
	sorted_like_qsort(20000, 4096);
}
