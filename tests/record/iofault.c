/*
 * iofault.c - an LD_PRELOAD interposer for the recorder's fault tests: it
 * makes one file misbehave the way a failing or slow disk does, without
 * root, a special filesystem or a real device.
 *
 * Only writes to the file named by VMT_IOFAULT_PATH are affected (matched
 * against /proc/self/fd/N, equal or ending in "/" + the value):
 *   VMT_IOFAULT_AFTER=BYTES  that many bytes are written normally; the write
 *                            that crosses the budget is cut short there (as a
 *                            full filesystem does) and every later one fails
 *   VMT_IOFAULT_ERRNO=E      the errno of those failures: EIO (default),
 *                            ENOSPC, EDQUOT, EFBIG or a number
 *   VMT_IOFAULT_DELAY_US=N   every write call first sleeps N microseconds
 *   VMT_IOFAULT_DELAY_SKIP=K the first K write calls do not sleep (the
 *                            trace header is the first)
 *   VMT_IOFAULT_DELAY_COUNT=C only C write calls sleep, later ones do not
 *                            (a disk that hangs, then recovers)
 *   VMT_IOFAULT_GATE=FIFO    the first write call that would sleep (see
 *                            DELAY_SKIP) first waits until the test opens
 *                            FIFO for writing and closes it: a disk that
 *                            hangs until the test lets it go, so a test
 *                            knows the writer is stuck, not just slow
 *   VMT_IOFAULT_LISTEN_US=N  every listen() first sleeps N microseconds (a
 *                            slow start: a socket bound but not listening)
 * Without VMT_IOFAULT_AFTER writes never fail.  write, pwrite, pwrite64
 * and writev are covered, so it does not depend on which one the trace
 * writer uses.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

typedef ssize_t write_fn(int, const void *, size_t);
typedef ssize_t pwrite_fn(int, const void *, size_t, off_t);
typedef ssize_t pwrite64_fn(int, const void *, size_t, off64_t);
typedef ssize_t writev_fn(int, const struct iovec *, int);
typedef int listen_fn(int, int);

static struct {
	atomic_int ready;
	const char *path;
	const char *gate;
	int have_budget;
	unsigned long long budget;
	int err;
	unsigned long delay_us;
	unsigned long long delay_skip, delay_count;
	write_fn *write;
	pwrite_fn *pwrite;
	pwrite64_fn *pwrite64;
	writev_fn *writev;
	unsigned long listen_us;
	listen_fn *listen;
} cfg;

static atomic_ullong used;  /* bytes let through to the file */
static atomic_ullong calls; /* write calls to the file */

static void *next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static int parse_errno(const char *s)
{
	static const struct { const char *name; int err; } names[] = {
		{ "EIO", EIO }, { "ENOSPC", ENOSPC }, { "EDQUOT", EDQUOT },
		{ "EFBIG", EFBIG },
	};
	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return names[i].err;
	int v = s ? atoi(s) : 0;
	return v > 0 ? v : EIO;
}

/*
 * Before main(), so the recorder's threads only read the configuration;
 * also on first use, for a runtime (ASan's) that writes before
 * constructors run.  Running it twice stores the same values.
 */
__attribute__((constructor)) static void setup(void)
{
	if (cfg.ready)
		return;
	const char *after = getenv("VMT_IOFAULT_AFTER");
	const char *delay = getenv("VMT_IOFAULT_DELAY_US");
	const char *listen_us = getenv("VMT_IOFAULT_LISTEN_US");

	cfg.path = getenv("VMT_IOFAULT_PATH");
	cfg.gate = getenv("VMT_IOFAULT_GATE");
	cfg.have_budget = after && *after;
	cfg.budget = cfg.have_budget ? strtoull(after, NULL, 0) : 0;
	cfg.err = parse_errno(getenv("VMT_IOFAULT_ERRNO"));
	cfg.delay_us = delay ? strtoul(delay, NULL, 0) : 0;
	delay = getenv("VMT_IOFAULT_DELAY_SKIP");
	cfg.delay_skip = delay ? strtoull(delay, NULL, 0) : 0;
	delay = getenv("VMT_IOFAULT_DELAY_COUNT");
	cfg.delay_count = delay && *delay ? strtoull(delay, NULL, 0) : ~0ull;
	cfg.listen_us = listen_us ? strtoul(listen_us, NULL, 0) : 0;
	/* dlsym returns an object pointer; copying it keeps C11 happy. */
	void *p;
	p = next("write"); memcpy(&cfg.write, &p, sizeof(p));
	p = next("pwrite"); memcpy(&cfg.pwrite, &p, sizeof(p));
	p = next("pwrite64"); memcpy(&cfg.pwrite64, &p, sizeof(p));
	p = next("writev"); memcpy(&cfg.writev, &p, sizeof(p));
	p = next("listen"); memcpy(&cfg.listen, &p, sizeof(p));
	cfg.ready = 1;
}

static int targeted(int fd)
{
	char link[64], path[4096];
	size_t want;

	setup();
	if (!cfg.path || !*cfg.path || fd < 0)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return 0;
	path[n] = '\0';
	want = strlen(cfg.path);
	if ((size_t)n == want)
		return !strcmp(path, cfg.path);
	return (size_t)n > want && path[n - (ssize_t)want - 1] == '/' &&
	       !strcmp(path + n - want, cfg.path);
}

static void stall_us(unsigned long us)
{
	struct timespec ts = { .tv_sec = (time_t)(us / 1000000),
			       .tv_nsec = (long)(us % 1000000) * 1000 };
	while (us && nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Once: the FIFO's writer end is opened and closed by the test. */
static void gate_wait(void)
{
	static atomic_int passed;
	char b[64];
	int fd = -1;

	if (!cfg.gate || !*cfg.gate || atomic_load(&passed))
		return;
	while (fd < 0 && (fd = open(cfg.gate, O_RDONLY | O_CLOEXEC)) < 0 &&
	       errno == EINTR)
		;
	for (ssize_t n = 1; fd >= 0 && n;)
		if ((n = read(fd, b, sizeof(b))) < 0 && errno != EINTR)
			break;
	if (fd >= 0)
		close(fd);
	atomic_store(&passed, 1);
}

static void stall(void)
{
	unsigned long long n = atomic_fetch_add(&calls, 1);

	if (n >= cfg.delay_skip && n - cfg.delay_skip < cfg.delay_count) {
		gate_wait();
		stall_us(cfg.delay_us);
	}
}

/*
 * How many of @len bytes may go through now: all of them, a shorter
 * count that ends at the budget, or -1 with errno set.
 */
static ssize_t admit(size_t len)
{
	stall();
	if (!cfg.have_budget)
		return (ssize_t)len;
	unsigned long long before = atomic_fetch_add(&used, len);
	if (before >= cfg.budget) {
		errno = cfg.err;
		return -1;
	}
	unsigned long long room = cfg.budget - before;
	return (ssize_t)(room < len ? room : len);
}

EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
	if (!targeted(fd))
		return cfg.write(fd, buf, len);
	ssize_t n = admit(len);
	return n < 0 ? -1 : cfg.write(fd, buf, (size_t)n);
}

EXPORT ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	if (!targeted(fd))
		return cfg.pwrite(fd, buf, len, off);
	ssize_t n = admit(len);
	return n < 0 ? -1 : cfg.pwrite(fd, buf, (size_t)n, off);
}

EXPORT ssize_t pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
	if (!targeted(fd))
		return cfg.pwrite64(fd, buf, len, off);
	ssize_t n = admit(len);
	return n < 0 ? -1 : cfg.pwrite64(fd, buf, (size_t)n, off);
}

/* A cut inside a vector is rare enough to fail it whole instead. */
EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	size_t len = 0;
	if (!targeted(fd))
		return cfg.writev(fd, iov, cnt);
	for (int i = 0; i < cnt; i++)
		len += iov[i].iov_len;
	ssize_t n = admit(len);
	if (n >= 0 && (size_t)n < len) {
		errno = cfg.err;
		return -1;
	}
	return n < 0 ? -1 : cfg.writev(fd, iov, cnt);
}

EXPORT int listen(int fd, int backlog)
{
	setup();
	stall_us(cfg.listen_us);
	return cfg.listen(fd, backlog);
}
