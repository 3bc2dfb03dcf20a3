/*
 * bench_rusage.c - run a command, then report its wall time, CPU time,
 * peak RSS and context switches as one line of key=value pairs (to stderr,
 * or appended to -o FILE), so that shell benchmarks measure other programs
 * the way the C benchmarks measure themselves.  Involuntary switches are
 * there because a latency tail on a loaded machine is often preemption.
 * The child's own output passes through.
 *
 *   bench_rusage [-o FILE] [-l LABEL] -- COMMAND [ARG...]
 *
 * Exit status: the command's (128 + signal if it was killed).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6;
}

int main(int argc, char **argv)
{
	const char *out = NULL, *label = "run";
	struct timespec t0, t1;
	struct rusage ru;
	int opt, status;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+o:l:")) != -1) {
		if (opt == 'o')
			out = optarg;
		else if (opt == 'l')
			label = optarg;
		else
			return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: bench_rusage [-o FILE] [-l LABEL] -- COMMAND [ARG...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "bench_rusage: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("wait4");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);

	FILE *f = out ? fopen(out, "a") : stderr;
	if (!f) {
		perror(out);
		f = stderr;
	}
	/* ru_maxrss is the child's peak resident set, in KiB on Linux */
	fprintf(f, "label=%s wall_s=%.3f user_s=%.3f sys_s=%.3f maxrss_kib=%ld nivcsw=%ld nvcsw=%ld status=%d\n",
		label,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9,
		tv_s(ru.ru_utime), tv_s(ru.ru_stime), ru.ru_maxrss,
		ru.ru_nivcsw, ru.ru_nvcsw,
		WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	if (f != stderr)
		fclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
