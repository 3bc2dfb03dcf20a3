/*
 * vmt_cli.h - what every program's command line shares: the one parser of
 * durations and the one parser of sizes (the units are documented in
 * vmtrail-record(1), UNITS).  Static and internal: each front end links it.
 *
 * Both refuse what a strto*() call would quietly accept: leading blanks,
 * signs, hexadecimal, exponents, "nan", "inf", trailing text, and values
 * past 2^64-1.
 */
#ifndef VMT_CLI_H
#define VMT_CLI_H

#include <stdint.h>

#define VMT_NS_PER_S UINT64_C(1000000000)

/*
 * vmt_cli_duration() - "DIGITS[.DIGITS][UNIT]" as nanoseconds
 * UNIT: ns, us, ms, s, m (minutes) or h; without one, @unit_ns (0: a unit
 * is required).  Fractions below a nanosecond are dropped.
 * Return: 0, -EINVAL (not a duration) or -ERANGE (past 2^64-1 ns).
 */
int vmt_cli_duration(const char *s, uint64_t unit_ns, uint64_t *ns);

/*
 * vmt_cli_size() - "DIGITS[K|M|G|T]" as bytes (powers of 1024, either case)
 * Return: 0, -EINVAL or -ERANGE.
 */
int vmt_cli_size(const char *s, uint64_t *bytes);

#endif
