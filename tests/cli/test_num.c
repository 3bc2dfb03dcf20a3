/*
 * test_num.c - the one duration parser and the one size parser (cli/).
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "vmt_cli.h"

static uint64_t dur(const char *s, uint64_t unit)
{
	uint64_t v = 7;
	int rc = vmt_cli_duration(s, unit, &v);
	cr_assert_eq(rc, 0, "'%s': %d", s, rc);
	return v;
}

Test(duration, units_and_fractions_are_exact)
{
	cr_assert_eq(dur("30", VMT_NS_PER_S), 30 * VMT_NS_PER_S);
	cr_assert_eq(dur("30s", 0), 30 * VMT_NS_PER_S);
	cr_assert_eq(dur("500ms", 0), 500000000u);
	cr_assert_eq(dur("250us", 0), 250000u);
	cr_assert_eq(dur("7ns", 0), 7u);
	cr_assert_eq(dur("5m", 0), 300 * VMT_NS_PER_S);
	cr_assert_eq(dur("1h", 0), 3600 * VMT_NS_PER_S);
	cr_assert_eq(dur("1.5h", 0), 5400 * VMT_NS_PER_S);
	cr_assert_eq(dur("0.1s", 0), 100000000u);
	cr_assert_eq(dur(".25s", 0), 250000000u);
	cr_assert_eq(dur("1.0000000001s", 0), VMT_NS_PER_S);
	cr_assert_eq(dur("0", VMT_NS_PER_S), 0u);
	cr_assert_eq(dur("18446744073709551615ns", 0), UINT64_MAX);
	cr_assert_eq(dur("18446744073709551615", 1), UINT64_MAX);
}

Test(duration, refuses_what_strtod_would_take)
{
	static const char *bad[] = {
		"", "s", ".", "1.", "-1", "+1", " 1", "1 ", "1e3", "0x10", "nan",
		"inf", "infinity", "1.5.", "5x", "5 s", "5S", "1d", "--1", "1,5s",
	};
	uint64_t v;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(vmt_cli_duration(bad[i], VMT_NS_PER_S, &v), -EINVAL,
			     "'%s' accepted", bad[i]);
	/* Without a default unit a plain number is not a time. */
	cr_assert_eq(vmt_cli_duration("5", 0, &v), -EINVAL);
	cr_assert_eq(vmt_cli_duration("18446744073709551616ns", 0, &v), -ERANGE);
	cr_assert_eq(vmt_cli_duration("18446744073709551615s", 0, &v), -ERANGE);
	cr_assert_eq(vmt_cli_duration("5124096h", 0, &v), -ERANGE);
	cr_assert_eq(vmt_cli_duration("99999999999999999999999", 1, &v), -ERANGE);
}

Test(size, suffixes_are_powers_of_1024)
{
	uint64_t v;
	cr_assert_eq(vmt_cli_size("1000", &v), 0);
	cr_assert_eq(v, 1000u);
	cr_assert_eq(vmt_cli_size("64K", &v), 0);
	cr_assert_eq(v, 65536u);
	cr_assert_eq(vmt_cli_size("10m", &v), 0);
	cr_assert_eq(v, 10u << 20);
	cr_assert_eq(vmt_cli_size("2G", &v), 0);
	cr_assert_eq(v, 2ull << 30);
	cr_assert_eq(vmt_cli_size("16777215T", &v), 0);
	cr_assert_eq(v, 16777215ull << 40);
	cr_assert_eq(vmt_cli_size("16777216T", &v), -ERANGE);
	cr_assert_eq(vmt_cli_size("18446744073709551616", &v), -ERANGE);
}

Test(size, refuses_what_strtoull_would_take)
{
	static const char *bad[] = {
		"", "K", "-1", " 1", "+1", "1.5G", "0x10", "1e3", "nan", "inf",
		"1KB", "1 K", "1Kx", "10P",
	};
	uint64_t v;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(vmt_cli_size(bad[i], &v), -EINVAL, "'%s' accepted", bad[i]);
}
