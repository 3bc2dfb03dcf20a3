/*
 * test_monitors.c - the monitor options and the canonical texts stored in
 * the header (analyze/ compares them, so order must never matter).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "vmt/record.h"

static char why[256];

static void parse(struct vmt_monitors *m, const char *opt, const char *arg)
{
	cr_assert_eq(vmt_monitors_parse(m, opt, arg, why, sizeof(why)), 0,
		     "--%s %s: %s", opt, arg ? arg : "", why);
}

static void canon(const struct vmt_monitors *m, char *out)
{
	cr_assert_gt(vmt_monitors_canonical(m, out, VMT_TEXT_MAX), 0);
}

Test(monitors, canonical_text_is_sorted_and_complete)
{
	struct vmt_monitors m = { 0 };
	char out[VMT_TEXT_MAX];
	parse(&m, "msr", "0xc0000082,0xc0000080");
	parse(&m, "cr", "cr3");
	parse(&m, "mem-access", "0x2000:x");
	parse(&m, "mem-access", "0x1000-0x10ff:rw");
	parse(&m, "cpuid", NULL);
	parse(&m, "guest-request", "sync");
	parse(&m, "cr", "cr0:sync,all");
	canon(&m, out);
	cr_assert_str_eq(out, "cpuid;cr0:sync,all;cr3:async,onchange;"
			 "guest-request:sync;mem-access:0x1000-0x10ff:rw,"
			 "0x2000-0x2000:x;msr:0xc0000080,0xc0000082");
}

Test(monitors, same_set_any_order_same_text)
{
	struct vmt_monitors a = { 0 }, b = { 0 };
	char ta[VMT_TEXT_MAX], tb[VMT_TEXT_MAX];
	parse(&a, "msr", "0x10,0x20");
	parse(&a, "breakpoint", NULL);
	parse(&a, "debug", NULL);
	parse(&b, "debug", "async");
	parse(&b, "msr", "0x20");
	parse(&b, "msr", "0x10,0x20");
	parse(&b, "breakpoint", NULL);
	canon(&a, ta);
	canon(&b, tb);
	cr_assert_str_eq(ta, tb);
	cr_assert_str_eq(ta, "breakpoint;debug:async;msr:0x10,0x20");
}

Test(monitors, bad_arguments_are_refused)
{
	struct vmt_monitors m = { 0 };
	cr_assert_eq(vmt_monitors_parse(&m, "cr", "cr2", why, sizeof(why)), -EINVAL);
	cr_assert(strstr(why, "cr2"));
	cr_assert_eq(vmt_monitors_parse(&m, "cr", "cr3:fast", why, sizeof(why)), -EINVAL);
	cr_assert_eq(vmt_monitors_parse(&m, "msr", "0x10,zz", why, sizeof(why)), -EINVAL);
	cr_assert_eq(vmt_monitors_parse(&m, "mem-access", "0x10:rwx", why, sizeof(why)), -EINVAL);
	cr_assert_eq(vmt_monitors_parse(&m, "mem-access", "0x20-0x10:r", why, sizeof(why)), -EINVAL);
	cr_assert_eq(vmt_monitors_parse(&m, "cpuid", "sync", why, sizeof(why)), -EINVAL);
	cr_assert_eq(vmt_monitors_parse(&m, "teleport", NULL, why, sizeof(why)), -EINVAL);
	cr_assert(vmt_monitors_empty(&m));
	parse(&m, "mem-access", "0x100-0x1ff:r");
	cr_assert_eq(vmt_monitors_parse(&m, "mem-access", "0x180:w", why, sizeof(why)),
		     -EINVAL, "overlap accepted");
	cr_assert_not(vmt_monitors_empty(&m));
}

Test(labels, sorted_unique_canonical)
{
	char l[64] = "";
	cr_assert_eq(vmt_labels_add(l, sizeof(l), "scenario=mixed"), 0);
	cr_assert_eq(vmt_labels_add(l, sizeof(l), "build=42"), 0);
	cr_assert_eq(vmt_labels_add(l, sizeof(l), "zone=a=b"), 0);
	cr_assert_eq(vmt_labels_add(l, sizeof(l), "s=1"), 0);
	cr_assert_str_eq(l, "build=42;s=1;scenario=mixed;zone=a=b");
	cr_assert_eq(vmt_labels_add(l, sizeof(l), "s=2"), -EINVAL);
	cr_assert_eq(vmt_labels_add(l, sizeof(l), "=x"), -EINVAL);
	cr_assert_eq(vmt_labels_add(l, sizeof(l), "a;b=x"), -EINVAL);
	cr_assert_eq(vmt_labels_add(l, sizeof(l), "k=x;y"), -EINVAL);
	cr_assert_eq(vmt_labels_add(l, sizeof(l), "noequals"), -EINVAL);
	cr_assert_eq(vmt_labels_add(l, sizeof(l), "long=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
		     -ENOSPC);
	cr_assert_str_eq(l, "build=42;s=1;scenario=mixed;zone=a=b");
}
