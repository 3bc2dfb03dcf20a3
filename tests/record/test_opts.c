/*
 * test_opts.c - the recorder and the tap read their sized option structs
 * through the one helper: a field past the caller's sz is absent, even
 * when memory after the struct holds a value there.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "vmt/record.h"

/* Just xen_libdir: domain, path and monitors lie past sz. */
Test(opts, recorder_reads_nothing_past_sz)
{
	struct vmt_monitors mon = { 0 };
	char why[256];
	struct vmt_recorder_opts o = {
		.sz = offsetof(struct vmt_recorder_opts, domain),
		.xen_libdir = "/nonexistent", .domain = "1", .path = "/nonexistent/x.vmt",
		.monitors = &mon,
	};
	struct vmt_rec_error err = { 0 };
	struct vmt_recorder *r = NULL;

	cr_assert_eq(vmt_monitors_parse(&mon, "cpuid", NULL, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(vmt_recorder_open(&r, &o, &err), -EINVAL);
	cr_assert_null(r);
	cr_assert_eq(err.stage, VMT_STAGE_RUN);
	cr_assert(strstr(err.msg, "required"), "%s", err.msg);
	/* The full struct gets past the options, to Xen (absent here). */
	o.sz = sizeof(o);
	memset(&err, 0, sizeof(err));
	cr_assert_lt(vmt_recorder_open(&r, &o, &err), 0);
	cr_assert_neq(err.stage, VMT_STAGE_RUN, "%d: %s", err.stage, err.msg);
}

Test(opts, recorder_refuses_bad_sz_and_unknown_fields)
{
	struct {
		struct vmt_recorder_opts o;
		uint64_t future;
	} big = { { .sz = sizeof(big) }, 1 };
	struct vmt_rec_error err = { 0 };
	struct vmt_recorder *r = NULL;

	cr_assert_eq(vmt_recorder_open(&r, &big.o, &err), -EINVAL);
	big.o.sz = 3;
	cr_assert_eq(vmt_recorder_open(&r, &big.o, &err), -EINVAL);
	cr_assert_eq(vmt_recorder_open(&r, NULL, &err), -EINVAL);
}

Test(opts, tap_reads_nothing_past_sz)
{
	char *argv[] = { "true", NULL };
	struct vmt_tap_opts o = {
		.sz = offsetof(struct vmt_tap_opts, argv),
		.tap_libdir = "/nonexistent", .argv = argv, .path = "/nonexistent/x.vmt",
	};
	struct vmt_rec_error err = { 0 };
	struct vmt_recorder *r = NULL;

	cr_assert_eq(vmt_tap_open(&r, &o, &err), -EINVAL);
	cr_assert(strstr(err.msg, "required"), "%s", err.msg);
}
