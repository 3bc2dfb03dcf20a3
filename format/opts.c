/*
 * opts.c - the one reader of the public API's sized option structs
 * (style.md practice 6), for every library that takes one.
 */
#include <errno.h>
#include <string.h>

#include "vmt_opts.h"
#include "format_int.h"

int vmt_opts_copy(void *dst, size_t size, const void *src)
{
	const uint8_t *s = src;
	size_t sz;

	memset(dst, 0, size);
	if (s) {
		memcpy(&sz, s, sizeof(sz));
		/* A struct's size is a multiple of its size_t member's, so an
		 * sz that is not cuts a field: a corrupt or forged sz. */
		if (sz < sizeof(size_t) || sz % sizeof(size_t))
			return -EINVAL;
		if (sz > size && !vmt_all_zero(s + size, sz - size))
			return -EINVAL;
		memcpy(dst, s, sz < size ? sz : size);
	}
	memcpy(dst, &size, sizeof(size));
	return 0;
}
