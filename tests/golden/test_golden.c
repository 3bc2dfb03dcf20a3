/*
 * test_golden.c - every trace under tests/golden/valid/ dumps exactly to
 * its .expected file, every trace under tests/golden/invalid/ fails exactly
 * as its .expected_error file says.  The files are never regenerated.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmt/format.h"
#include "golden/golden_dump.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s;
	long n;

	cr_assert(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	s = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

/* Compare line by line so a failure names the first differing line. */
static void same_text(const char *name, const char *want, const char *got)
{
	int line = 1;

	while (*want && *got) {
		size_t a = strcspn(want, "\n"), b = strcspn(got, "\n");

		if (a != b || memcmp(want, got, a))
			cr_assert_fail("%s line %d:\n want: %.*s\n  got: %.*s", name, line,
				       (int)a, want, (int)b, got);
		want += a + (want[a] == '\n');
		got += b + (got[b] == '\n');
		line++;
	}
	cr_assert(!*want && !*got, "%s: length differs at line %d", name, line);
}

static int check_dir(const char *sub, const char *ext, int valid)
{
	char dirp[512], path[1024], exp[1024];
	struct dirent *e;
	int count = 0;
	DIR *d;

	snprintf(dirp, sizeof(dirp), "%s/golden/%s", VMT_TEST_DATA, sub);
	d = opendir(dirp);
	cr_assert(d, "no %s", dirp);
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char *buf = NULL, *want;
		size_t blen = 0;
		FILE *out;

		if (n < 5 || strcmp(e->d_name + n - 4, ".vmt"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dirp, e->d_name);
		snprintf(exp, sizeof(exp), "%s/%.*s%s", dirp, (int)(n - 4), e->d_name, ext);
		out = open_memstream(&buf, &blen);
		if (valid)
			cr_assert_eq(golden_dump(path, out), 0, "%s does not read", e->d_name);
		else
			golden_errors(path, out);
		fclose(out);
		want = slurp(exp);
		same_text(e->d_name, want, buf);
		free(want);
		free(buf);
		count++;
	}
	closedir(d);
	return count;
}

Test(golden, valid_traces_dump_as_expected)
{
	vmt_set_log_fn(NULL, NULL);
	cr_assert_geq(check_dir("valid", ".expected", 1), 10);
}

Test(golden, invalid_traces_fail_as_expected)
{
	vmt_set_log_fn(NULL, NULL);
	cr_assert_geq(check_dir("invalid", ".expected_error", 0), 13);
}
