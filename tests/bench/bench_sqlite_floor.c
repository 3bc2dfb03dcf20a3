/*
 * bench_sqlite_floor.c - what SQLite itself costs per inserted row on this
 * machine, with nothing of vmtrail around it: rows of C integer columns
 * through one prepared INSERT (bind, step, reset), in one transaction, on
 * the import's settings (page size 64 KiB, journal in memory, no syncs, a
 * 64 MiB cache, no mutexes).  Each width runs without an index and with
 * one index whose keys only grow, as the import's (run_id, ts_ns) does.
 *
 * Why: an import cannot be faster than its SQLite thread, and that thread
 * cannot spend less per event than SQLite spends per row of the events
 * table's width.  This gives the floor a schema design starts from.
 *
 *   bench_sqlite_floor [-n ROWS] [-d DIR]
 *
 * Prints a table, not a test.  CPU time of the process, so a busy host
 * changes it less than wall time.
 */
#include <errno.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "bench_common.h"

#define MAX_COLS 64

static const int widths[] = { 5, 10, 15, 20, 30 };

/* Says what went wrong with @path; Return: -1. */
static int fail(const char *path, const char *why)
{
	fprintf(stderr, "bench_sqlite_floor: %s: %s\n", path, why);
	return -1;
}

static int exec(sqlite3 *db, const char *sql, const char *path)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	fail(path, msg ? msg : "unknown error");
	sqlite3_free(msg);
	return -1;
}

/* CREATE TABLE and INSERT text for @cols (at most MAX_COLS) columns. */
#define CREATE_CAP (MAX_COLS * 24 + 64)
#define INSERT_CAP (MAX_COLS * 4 + 64)
static void table_sql(char *create, char *insert, int cols)
{
	size_t c = (size_t)snprintf(create, CREATE_CAP,
				    "CREATE TABLE t (id INTEGER PRIMARY KEY");
	size_t i = (size_t)snprintf(insert, INSERT_CAP,
				    "INSERT INTO t VALUES (NULL");

	for (int k = 0; k < cols; k++) {
		c += (size_t)snprintf(create + c, CREATE_CAP - c, ", c%d INTEGER", k);
		i += (size_t)snprintf(insert + i, INSERT_CAP - i, ", ?");
	}
	snprintf(create + c, CREATE_CAP - c, ")");
	snprintf(insert + i, INSERT_CAP - i, ")");
}

/* Rows like an event's: a run id, a growing timestamp, then small values
 * (vCPU, reason, flags) and 63-bit ones (registers) in turn. */
static int fill(sqlite3_stmt *st, int cols, long rows)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (long n = 0; n < rows; n++) {
		sqlite3_bind_int64(st, 1, 1);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)n * 1000);
		for (int k = 2; k < cols; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			sqlite3_int64 v = k % 3 ? (sqlite3_int64)(x & 0xffff)
						: (sqlite3_int64)(x >> 1);
			sqlite3_bind_int64(st, k + 1, v);
		}
		if (sqlite3_step(st) != SQLITE_DONE)
			return -1;
		sqlite3_reset(st);
	}
	return 0;
}

/* One width, with or without the index; Return: 0 or -1 (said why). */
static int one(const char *path, int cols, int index, long rows)
{
	char create[CREATE_CAP], insert[INSERT_CAP];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct stat sb;
	int rc = -1;

	table_sql(create, insert, cols);
	if (unlink(path) && errno != ENOENT)
		return fail(path, strerror(errno));
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		fail(path, sqlite3_errmsg(db));
		goto out;
	}
	if (exec(db, "PRAGMA page_size=65536", path) || exec(db, create, path) ||
	    (index && exec(db, "CREATE INDEX t_run_ts ON t (c0, c1)", path)) ||
	    exec(db, "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF;"
		 "PRAGMA cache_size=-65536; BEGIN", path))
		goto out;
	if (sqlite3_prepare_v2(db, insert, -1, &st, NULL) != SQLITE_OK) {
		fail(path, sqlite3_errmsg(db));
		goto out;
	}
	double c0 = bench_proc_cpu();
	if (fill(st, cols, rows)) {
		fail(path, sqlite3_errmsg(db));
		goto out;
	}
	if (exec(db, "COMMIT", path))
		goto out;
	double cpu = bench_proc_cpu() - c0;
	sqlite3_finalize(st);
	st = NULL;
	sqlite3_close(db);
	db = NULL;
	if (stat(path, &sb)) {
		fail(path, strerror(errno));
		goto out;
	}
	printf("| %d | %s | %.3f | %.0f | %.1f |\n", cols, index ? "yes" : "no",
	       cpu / (double)rows * 1e6, (double)rows / cpu,
	       (double)sb.st_size / (double)rows);
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	unlink(path);
	return rc;
}

int main(int argc, char **argv)
{
	long rows = 1000000;
	const char *dir = "/tmp";
	char path[4096];
	int o;

	while ((o = getopt(argc, argv, "n:d:h")) != -1) {
		switch (o) {
		case 'n':
			rows = atol(optarg);
			break;
		case 'd':
			dir = optarg;
			break;
		default:
			fprintf(o == 'h' ? stdout : stderr,
				"usage: %s [-n ROWS] [-d DIR]\n", argv[0]);
			return o == 'h' ? 0 : 2;
		}
	}
	if (rows <= 0) {
		fprintf(stderr, "bench_sqlite_floor: -n wants a positive row count\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/bench_sqlite_floor.%ld.db", dir, (long)getpid());
	bench_preamble(argc, argv);
	printf("# sqlite %s; %ld rows per line; one prepared INSERT, one transaction\n\n",
	       sqlite3_libversion(), rows);
	printf("| integer columns | growing index | CPU µs/row | rows/s of CPU | bytes/row |\n");
	printf("|---:|---|---:|---:|---:|\n");
	for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++)
		for (int index = 0; index < 2; index++)
			if (one(path, widths[w], index, rows))
				return 1;
	return 0;
}
