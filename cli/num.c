/*
 * num.c - the duration and size parsers of every program (vmt_cli.h).
 * Integer arithmetic only: "0.1s" is exactly 100000000 ns.
 */
#include <errno.h>
#include <string.h>

#include "vmt_cli.h"

static const struct unit {
	const char *name;
	uint64_t mult;
} time_units[] = {
	{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", VMT_NS_PER_S },
	{ "m", 60 * VMT_NS_PER_S }, { "h", 3600 * VMT_NS_PER_S },
}, size_units[] = {
	{ "K", 1ull << 10 }, { "M", 1ull << 20 }, { "G", 1ull << 30 },
	{ "T", 1ull << 40 }, { "k", 1ull << 10 }, { "m", 1ull << 20 },
	{ "g", 1ull << 30 }, { "t", 1ull << 40 },
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Leading decimal digits of *@s into @v, advancing *@s; -ERANGE past 2^64-1. */
static int digits(const char **s, uint64_t *v, unsigned *n)
{
	*v = 0;
	*n = 0;
	for (; is_digit(**s); (*s)++, (*n)++)
		if (__builtin_mul_overflow(*v, 10, v) ||
		    __builtin_add_overflow(*v, (uint64_t)(**s - '0'), v))
			return -ERANGE;
	return 0;
}

/* The multiplier of unit @name, 0 if none matches. */
static uint64_t unit_of(const struct unit *u, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(u[i].name, name))
			return u[i].mult;
	return 0;
}

/* @frac (@nd digits after the point) of @mult, truncated; nd <= 19. */
static uint64_t fraction(uint64_t frac, unsigned nd, uint64_t mult)
{
	unsigned __int128 v = (unsigned __int128)frac * mult;
	while (nd--)
		v /= 10;
	return (uint64_t)v;
}

int vmt_cli_duration(const char *s, uint64_t unit_ns, uint64_t *ns)
{
	uint64_t whole, frac = 0, mult;
	unsigned nw, nf = 0;

	if (!s || digits(&s, &whole, &nw))
		return s ? -ERANGE : -EINVAL;
	if (*s == '.') {
		s++;
		/* Digits past the 19th are below any unit's nanosecond. */
		const char *f = s;
		while (is_digit(*s) && s - f < 19)
			frac = frac * 10 + (uint64_t)(*s++ - '0'), nf++;
		while (is_digit(*s))
			s++;
		if (s == f)
			return -EINVAL;
	}
	if (!nw && !nf)
		return -EINVAL;
	mult = *s ? unit_of(time_units, sizeof(time_units) / sizeof(time_units[0]), s)
		  : unit_ns;
	if (!mult)
		return -EINVAL;
	if (__builtin_mul_overflow(whole, mult, ns) ||
	    __builtin_add_overflow(*ns, fraction(frac, nf, mult), ns))
		return -ERANGE;
	return 0;
}

int vmt_cli_size(const char *s, uint64_t *bytes)
{
	uint64_t v, mult = 1;
	unsigned n;

	if (!s)
		return -EINVAL;
	if (digits(&s, &v, &n))
		return -ERANGE;
	if (!n)
		return -EINVAL;
	if (*s &&
	    !(mult = unit_of(size_units, sizeof(size_units) / sizeof(size_units[0]), s)))
		return -EINVAL;
	return __builtin_mul_overflow(v, mult, bytes) ? -ERANGE : 0;
}
