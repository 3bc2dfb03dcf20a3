/*
 * vmt_opts.h - the one reader of the public API's sized option structs
 * (style.md practice 6), for every library that takes one (format/,
 * record/, replay/).  Shared-private: never installed.
 */
#ifndef VMT_OPTS_H
#define VMT_OPTS_H

#include <stddef.h>

/*
 * vmt_opts_copy() - a caller's sized option struct @src (first member
 * size_t sz) as this build's struct @dst of @size bytes: the bytes the
 * caller's sz covers, zero past them, and dst's sz = @size.  So every
 * field a caller's older, shorter struct lacks reads as 0, its default.
 * @src NULL: all defaults.  -EINVAL: sz smaller than the sz member or not
 * a multiple of it (a cut field), or a newer caller's struct whose fields
 * unknown here are not all zero.  Library entry points copy first and read
 * only the copy.
 */
int vmt_opts_copy(void *dst, size_t size, const void *src);
#define VMT_OPTS_COPY(dst, src) \
	vmt_opts_copy((dst), sizeof(*(dst)) + 0 * sizeof((dst) == (src)), (src))

#endif
