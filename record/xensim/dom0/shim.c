/*
 * shim.c - xensim-dom0.so, preloaded by `xensim run` into COMMAND: the few
 * files a Xen tool reads to recognise a dom0 (/sys/hypervisor/...,
 * /proc/xen/...) are opened from the private folder the launcher wrote
 * ($VMT_XENSIM_DOM0_ROOT) instead of the real system, which has none.
 * Only absolute paths under those two folders move; every other path, and
 * every descriptor, is the caller's own.  A file the folder lacks is
 * ENOENT, as on a host without it.  Built without sanitizers: it is loaded
 * into programs that have none.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* glibc's entry points that its headers no longer declare. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dfd, const char *path, int flags);
int __openat64_2(int dfd, const char *path, int flags);
int __xstat(int ver, const char *path, struct stat *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __xstat64(int ver, const char *path, struct stat64 *st);
int __lxstat64(int ver, const char *path, struct stat64 *st);

static const char *const moved[] = { "/sys/hypervisor", "/proc/xen" };

/* Return: @path, or @buf holding its place in the private folder. */
static const char *where(const char *path, char *buf)
{
	const char *root = getenv("VMT_XENSIM_DOM0_ROOT");

	if (!root || !*root || !path || path[0] != '/')
		return path;
	for (size_t i = 0; i < sizeof(moved) / sizeof(moved[0]); i++) {
		size_t n = strlen(moved[i]);
		if (!strncmp(path, moved[i], n) &&
		    (path[n] == '\0' || path[n] == '/')) {
			int k = snprintf(buf, PATH_MAX, "%s%s", root, path);
			return k > 0 && k < PATH_MAX ? buf : path;
		}
	}
	return path;
}

/* The next definition of @name (libc's), looked up once. */
#define NEXT(type, name, params)                                          \
	static type(*next) params;                                         \
	if (!next)                                                         \
		*(void **)&next = dlsym(RTLD_NEXT, name)

/* A path-taking call: the path moved, everything else passed through. */
#define WRAP(ret, name, params, call, ...)                                 \
	EXPORT ret name params                                             \
	{                                                                  \
		char buf[PATH_MAX];                                        \
		NEXT(ret, #name, params);                                  \
		path = where(path, buf);                                   \
		return next call;                                          \
	}

/* open(2) and friends take a mode only with O_CREAT or O_TMPFILE. */
static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

#define WRAP_OPEN(name)                                                    \
	EXPORT int name(const char *path, int flags, ...)                  \
	{                                                                  \
		char buf[PATH_MAX];                                        \
		va_list ap;                                                \
		NEXT(int, #name, (const char *, int, ...));                \
		va_start(ap, flags);                                       \
		mode_t m = mode_arg(flags, ap);                            \
		va_end(ap);                                                \
		return next(where(path, buf), flags, m);                   \
	}

#define WRAP_OPENAT(name)                                                  \
	EXPORT int name(int dfd, const char *path, int flags, ...)         \
	{                                                                  \
		char buf[PATH_MAX];                                        \
		va_list ap;                                                \
		NEXT(int, #name, (int, const char *, int, ...));           \
		va_start(ap, flags);                                       \
		mode_t m = mode_arg(flags, ap);                            \
		va_end(ap);                                                \
		return next(dfd, where(path, buf), flags, m);              \
	}

WRAP_OPEN(open)
WRAP_OPEN(open64)
WRAP_OPENAT(openat)
WRAP_OPENAT(openat64)
/* _FORTIFY_SOURCE's checked entry points. */
WRAP(int, __open_2, (const char *path, int flags), (path, flags))
WRAP(int, __open64_2, (const char *path, int flags), (path, flags))
WRAP(int, __openat_2, (int dfd, const char *path, int flags),
     (dfd, path, flags))
WRAP(int, __openat64_2, (int dfd, const char *path, int flags),
     (dfd, path, flags))
/* stdio opens through libc's internal open, so fopen itself is moved. */
WRAP(FILE *, fopen, (const char *path, const char *mode), (path, mode))
WRAP(FILE *, fopen64, (const char *path, const char *mode), (path, mode))
WRAP(FILE *, freopen, (const char *path, const char *mode, FILE *f),
     (path, mode, f))
WRAP(int, access, (const char *path, int how), (path, how))
WRAP(int, euidaccess, (const char *path, int how), (path, how))
WRAP(int, faccessat, (int dfd, const char *path, int how, int fl),
     (dfd, path, how, fl))
WRAP(int, stat, (const char *path, struct stat *st), (path, st))
WRAP(int, lstat, (const char *path, struct stat *st), (path, st))
WRAP(int, stat64, (const char *path, struct stat64 *st), (path, st))
WRAP(int, lstat64, (const char *path, struct stat64 *st), (path, st))
WRAP(int, fstatat, (int dfd, const char *path, struct stat *st, int fl),
     (dfd, path, st, fl))
WRAP(int, fstatat64, (int dfd, const char *path, struct stat64 *st, int fl),
     (dfd, path, st, fl))
WRAP(int, statx, (int dfd, const char *path, int fl, unsigned mask,
		  struct statx *st), (dfd, path, fl, mask, st))
/* Programs built against glibc before 2.33 call these for stat(). */
WRAP(int, __xstat, (int ver, const char *path, struct stat *st),
     (ver, path, st))
WRAP(int, __lxstat, (int ver, const char *path, struct stat *st),
     (ver, path, st))
WRAP(int, __xstat64, (int ver, const char *path, struct stat64 *st),
     (ver, path, st))
WRAP(int, __lxstat64, (int ver, const char *path, struct stat64 *st),
     (ver, path, st))
WRAP(DIR *, opendir, (const char *path), (path))
WRAP(ssize_t, readlink, (const char *path, char *out, size_t cap),
     (path, out, cap))
