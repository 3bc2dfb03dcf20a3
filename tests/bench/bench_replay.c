/*
 * bench_replay.c - import speed of vmtrail-replay (not a timed test):
 * generates a synthetic trace (default 10,000,000 events, mixed reasons,
 * churning registers, ABI v7) with the format library, imports it into a
 * fresh SQLite file and prints load events/s, index build time and peak RSS.
 *
 *   bench_replay [-n EVENTS] [-d DIR] [-1 (single thread)] [-r (no regs)]
 *                [-k (keep files)] [-t TRACE (import this trace, no generation)]
 *                [-l LAG (responses after LAG more requests, as a recorder
 *                 draining a batch writes them; default 4, the vCPUs)]
 */
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "replay/tracegen.h"
#include "vmt/replay.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * CPU seconds so far of the whole process (@who RUSAGE_SELF: both pipeline
 * threads, the joined SQLite thread included) or of this thread
 * (RUSAGE_THREAD: the decoder, which runs on the caller's thread).
 */
static double cpu_s(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double file_mib(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (double)st.st_size / (1 << 20);
}

static const char *loadavg(void)
{
	static char buf[64] = "?\n";
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			snprintf(buf, sizeof(buf), "?\n");
		fclose(f);
	}
	return buf;
}

/* "RssAnon: ... RssFile: ..." of this process now, to tell heap from maps. */
static void rss_split(char *out, size_t cap)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	size_t n = 0;

	out[0] = 0;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "RssAnon:", 8) || !strncmp(line, "RssFile:", 8)) {
			line[strcspn(line, "\n")] = 0;
			n += (size_t)snprintf(out + n, cap - n, "%s ", line);
			if (n >= cap)
				break;
		}
	if (f)
		fclose(f);
}

static void cpu_model(char *out, size_t cap)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(out, cap, "unknown");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			snprintf(out, cap, "%s", strchr(line, ':') + 2);
			out[strcspn(out, "\n")] = 0;
			break;
		}
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	struct tg_opts o = { .abi = 7, .nevents = 10000000, .vcpus = 4, .seed = 42,
			     .rsp_lag = 4 };
	VMT_OPTS(vmt_import_opts, io);
	struct vmt_import_result res;
	struct tg_counts cnt;
	struct rusage ru;
	const char *dir = "/tmp", *given = NULL;
	char trace[512], db_path[512], cpu[128], split[128];
	int opt, keep = 0, err;
	double t0, t1, t2, t3, c1, c2, d1, d2, load_rss;
	sqlite3 *db;

	/* as vmtrail-replay does: no global lock on every SQLite malloc */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	while ((opt = getopt(argc, argv, "n:d:1rkt:l:")) != -1) {
		if (opt == 'n')
			o.nevents = strtoull(optarg, NULL, 10);
		else if (opt == 'd')
			dir = optarg;
		else if (opt == '1')
			io.single_thread = 1;
		else if (opt == 'r')
			io.no_regs = 1;
		else if (opt == 'k')
			keep = 1;
		else if (opt == 't')
			given = optarg;
		else if (opt == 'l')
			o.rsp_lag = (uint32_t)strtoul(optarg, NULL, 10);
		else
			return 2;
	}
	snprintf(trace, sizeof(trace), "%s", given ? given : "");
	if (!given)
		snprintf(trace, sizeof(trace), "%s/bench_replay.vmt", dir);
	snprintf(db_path, sizeof(db_path), "%s/bench_replay.db", dir);
	cpu_model(cpu, sizeof(cpu));
	printf("command: ");
	for (int i = 0; i < argc; i++)
		printf("%s%s", argv[i], i + 1 < argc ? " " : "\n");
	printf("cpu: %s, %ld online\n", cpu, sysconf(_SC_NPROCESSORS_ONLN));

	t0 = now();
	err = given ? 0 : tg_write(trace, &o, NULL, &cnt);
	t1 = now();
	/* the trace's dirty pages reach the disk now, not during the load */
	sync();
	if (err) {
		fprintf(stderr, "%s: %s\n", trace, vmt_strerror(err));
		return 1;
	}
	if (given)
		printf("trace: %s, %.1f MiB\n", trace, file_mib(trace));
	else
		printf("generate: %llu events, %.1f MiB trace, %.2f s\n",
		       (unsigned long long)cnt.events, file_mib(trace), t1 - t0);

	unlink(db_path);
	err = vmt_replay_db_open(&db, db_path, 1);
	t1 = now();
	c1 = cpu_s(RUSAGE_SELF);
	d1 = cpu_s(RUSAGE_THREAD);
	if (!err)
		err = vmt_replay_import(db, trace, &io, &res);
	t2 = now();
	c2 = cpu_s(RUSAGE_SELF);
	d2 = cpu_s(RUSAGE_THREAD);
	getrusage(RUSAGE_SELF, &ru);
	load_rss = (double)ru.ru_maxrss / 1024;
	rss_split(split, sizeof(split));
	if (!err)
		err = vmt_replay_index(db);
	t3 = now();
	if (db)
		sqlite3_close(db);
	if (err) {
		fprintf(stderr, "import: %s\n", vmt_strerror(err));
		return 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("load: %llu events + %llu responses in %.2f s = %.0f events/s (%s%s)\n",
	       (unsigned long long)res.events, (unsigned long long)res.responses,
	       t2 - t1, (double)res.events / (t2 - t1),
	       io.single_thread ? "single thread" : "pipelined",
	       io.no_regs ? ", no event_regs" : "");
	printf("load CPU: %.2f s user+sys (%.0f events per CPU-second); load average now %s",
	       c2 - c1, (double)res.events / (c2 - c1), loadavg());
	/* the SQLite thread is the pipeline's limit: 1 / its CPU per event */
	printf("load CPU per event: %.3f us decoder thread, %.3f us SQLite thread%s\n",
	       (d2 - d1) * 1e6 / (double)(res.events ? res.events : 1),
	       ((c2 - c1) - (d2 - d1)) * 1e6 / (double)(res.events ? res.events : 1),
	       io.single_thread ? " (single thread: all on the decoder's)" : "");
	printf("index build: %.2f s\n", t3 - t2);
	printf("database: %.1f MiB, %.2f x the trace, %.0f bytes per event\n",
	       file_mib(db_path), file_mib(db_path) / file_mib(trace),
	       file_mib(db_path) * (1 << 20) / (double)(res.events ? res.events : 1));
	printf("peak RSS: %.1f MiB after the load (then %s), %.1f MiB after the "
	       "index build\n", load_rss, split, (double)ru.ru_maxrss / 1024);
	if (!keep) {
		if (!given)
			unlink(trace);
		unlink(db_path);
	}
	return 0;
}
