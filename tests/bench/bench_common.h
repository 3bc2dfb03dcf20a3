/*
 * bench_common.h - what every vmtrail benchmark program prints before its
 * figures (command line, CPU model, load) and the few helpers they share:
 * wall clock, little-endian access, medians.  Header-only, static functions,
 * so each program stays one .c file.
 *
 * The preamble exists because a figure without its machine and its exact
 * command cannot be compared with a later run (BENCHMARKS.md).
 */
#ifndef VMT_BENCH_COMMON_H
#define VMT_BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU seconds of this thread: immune to other processes' load, unlike wall
 * time, so it is the figure to trust on a shared machine. */
static inline double bench_thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU seconds of the whole process, user + system. */
static inline double bench_proc_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline void bench_cpu_model(char *out, size_t cap)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(out, cap, "unknown");
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && colon) {
			snprintf(out, cap, "%s", colon + 2);
			out[strcspn(out, "\n")] = 0;
			break;
		}
	}
	if (f)
		fclose(f);
}

static inline void bench_loadavg(char *out, size_t cap)
{
	FILE *f = fopen("/proc/loadavg", "r");

	snprintf(out, cap, "?");
	if (f) {
		if (!fgets(out, (int)cap, f))
			snprintf(out, cap, "?");
		fclose(f);
	}
	out[strcspn(out, "\n")] = 0;
}

/* The preamble: "# command: ...", "# cpu: ...", "# load: ...". */
static inline void bench_preamble(int argc, char **argv)
{
	char cpu[160], load[96];
	time_t t = time(NULL);
	char when[64];

	/* line by line even into a file or pipe: a long run shows progress */
	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_cpu_model(cpu, sizeof(cpu));
	bench_loadavg(load, sizeof(load));
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime(&t));
	printf("# command:");
	for (int i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n# cpu: %s (%ld online)\n# load average at start: %s\n# date: %s\n",
	       cpu, sysconf(_SC_NPROCESSORS_ONLN), load, when);
}

static inline uint64_t bench_get_le(const uint8_t *p, unsigned width)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < width; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static inline void bench_put_le(uint8_t *p, unsigned width, uint64_t v)
{
	for (unsigned i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of @n values (sorts them in place). */
static inline double bench_median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
