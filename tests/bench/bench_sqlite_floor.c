/*
 * bench_sqlite_floor.c - what SQLite alone costs for the rows an import
 * writes (not a timed test).
 *
 * Reads every row of the bulk tables of an imported database into memory,
 * then inserts them again into a fresh database with the importer's
 * settings (same schema and page size, one transaction, journal off,
 * multi-row prepared statements, no mutexes) and nothing else: no trace
 * reading, no decoding, no row building.  The time of that loop is a floor
 * for any importer that writes this schema through SQLite's API, so
 * "events / floor seconds" is the ceiling of the import rate on this
 * machine; the per-table lines show where it goes.
 *
 *   bench_sqlite_floor SOURCE.db [SCRATCH_DIR]
 *
 * SOURCE.db: e.g. `bench_replay -n 1000000 -k` leaves bench_replay.db.
 * Memory: the rows of SOURCE.db (about its size), so keep it to ~1 M events.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmt/replay.h"

#define ROWS_PER_STMT_CELLS 512

struct val {
	int64_t i;
	const void *p;   /* BLOB/TEXT bytes, owned by the table's arena */
	int len;
	int type;        /* SQLITE_INTEGER, SQLITE_BLOB, SQLITE_TEXT, SQLITE_NULL */
};

struct table {
	char name[64];
	char cols[2048];      /* "a","b",... (stored columns only) */
	int ncols;
	size_t nrows;
	struct val *v;
	unsigned char *arena;
	size_t alen;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "bench_sqlite_floor: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

/* The stored (non-generated) columns of @t, from table_xinfo. */
static void columns(sqlite3 *db, struct table *t)
{
	sqlite3_stmt *st;
	char *sql = sqlite3_mprintf("SELECT name, hidden FROM pragma_table_xinfo(%Q)",
				    t->name);
	size_t n = 0;

	if (!sql || sqlite3_prepare_v2(db, sql, -1, &st, NULL))
		die(db, t->name);
	sqlite3_free(sql);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_int(st, 1))
			continue;
		n += (size_t)snprintf(t->cols + n, sizeof(t->cols) - n, "%s\"%s\"",
				      t->ncols ? "," : "", sqlite3_column_text(st, 0));
		t->ncols++;
	}
	sqlite3_finalize(st);
}

static void load(sqlite3 *db, struct table *t)
{
	sqlite3_stmt *st;
	size_t cap = 0, acap = 0;
	char *sql;

	columns(db, t);
	sql = sqlite3_mprintf("SELECT %s FROM \"%w\"", t->cols, t->name);
	if (!sql || sqlite3_prepare_v2(db, sql, -1, &st, NULL))
		die(db, t->name);
	sqlite3_free(sql);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (t->nrows == cap) {
			cap = cap ? cap * 2 : 4096;
			t->v = realloc(t->v, cap * (size_t)t->ncols * sizeof(*t->v));
			if (!t->v)
				die(db, "out of memory");
		}
		for (int c = 0; c < t->ncols; c++) {
			struct val *v = &t->v[t->nrows * (size_t)t->ncols + (size_t)c];

			v->type = sqlite3_column_type(st, c);
			if (v->type == SQLITE_INTEGER) {
				v->i = sqlite3_column_int64(st, c);
			} else if (v->type == SQLITE_BLOB || v->type == SQLITE_TEXT) {
				v->len = sqlite3_column_bytes(st, c);
				while (t->alen + (size_t)v->len > acap) {
					acap = acap ? acap * 2 : 1 << 20;
					t->arena = realloc(t->arena, acap);
					if (!t->arena)
						die(db, "out of memory");
				}
				memcpy(t->arena + t->alen, sqlite3_column_blob(st, c),
				       (size_t)v->len);
				v->i = (int64_t)t->alen;
				t->alen += (size_t)v->len;
			} else {
				v->type = SQLITE_NULL;
			}
		}
		t->nrows++;
	}
	sqlite3_finalize(st);
	/* pointers only once the arena has stopped moving */
	for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
		if (t->v[i].type == SQLITE_BLOB || t->v[i].type == SQLITE_TEXT)
			t->v[i].p = t->arena + t->v[i].i;
}

static sqlite3_stmt *prepare_insert(sqlite3 *db, const struct table *t, int rows)
{
	sqlite3_str *s = sqlite3_str_new(db);
	sqlite3_stmt *st;
	char *sql;

	sqlite3_str_appendf(s, "INSERT OR FAIL INTO \"%s\" (%s) VALUES ", t->name, t->cols);
	for (int r = 0; r < rows; r++) {
		sqlite3_str_appendall(s, r ? ",(" : "(");
		for (int c = 0; c < t->ncols; c++)
			sqlite3_str_appendall(s, c ? ",?" : "?");
		sqlite3_str_appendchar(s, 1, ')');
	}
	sql = sqlite3_str_finish(s);
	if (!sql || sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL))
		die(db, "prepare insert");
	sqlite3_free(sql);
	return st;
}

static void bind_rows(sqlite3_stmt *st, const struct val *v, int n)
{
	for (int i = 0; i < n; i++) {
		if (v[i].type == SQLITE_INTEGER)
			sqlite3_bind_int64(st, i + 1, v[i].i);
		else if (v[i].type == SQLITE_BLOB)
			sqlite3_bind_blob(st, i + 1, v[i].p, v[i].len, SQLITE_STATIC);
		else if (v[i].type == SQLITE_TEXT)
			sqlite3_bind_text(st, i + 1, v[i].p, v[i].len, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, i + 1);
	}
}

/* Inserts every row of @t into @db; returns the thread CPU seconds. */
static double insert(sqlite3 *db, const struct table *t)
{
	int per = ROWS_PER_STMT_CELLS / t->ncols > 0 ? ROWS_PER_STMT_CELLS / t->ncols : 1;
	sqlite3_stmt *multi = prepare_insert(db, t, per), *one = prepare_insert(db, t, 1);
	double c0 = thread_cpu();
	size_t r = 0;

	for (; r + (size_t)per <= t->nrows; r += (size_t)per) {
		bind_rows(multi, t->v + r * (size_t)t->ncols, per * t->ncols);
		if (sqlite3_step(multi) != SQLITE_DONE)
			die(db, t->name);
		sqlite3_reset(multi);
	}
	for (; r < t->nrows; r++) {
		bind_rows(one, t->v + r * (size_t)t->ncols, t->ncols);
		if (sqlite3_step(one) != SQLITE_DONE)
			die(db, t->name);
		sqlite3_reset(one);
	}
	c0 = thread_cpu() - c0;
	sqlite3_finalize(multi);
	sqlite3_finalize(one);
	return c0;
}

static const char *const bulk[] = {
	"events", "event_regs", "responses", "mem_access", "mem_sharing",
	"mem_paging", "write_ctrlreg", "mov_to_msr", "software_breakpoint",
	"debug_exception", "singlestep", "cpuid", "interrupt",
	"descriptor_access", "vmexit", "io_instruction", "processes",
	"ring_stats", "markers", "notes", "gaps",
};
#define NBULK (sizeof(bulk) / sizeof(bulk[0]))

int main(int argc, char **argv)
{
	static struct table tabs[NBULK];
	char out[512];
	sqlite3 *src, *dst;
	double total = 0, w0, wall;
	size_t events = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_sqlite_floor SOURCE.db [SCRATCH_DIR]\n");
		return 2;
	}
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	snprintf(out, sizeof(out), "%s/bench_sqlite_floor.db", argc > 2 ? argv[2] : "/tmp");
	if (sqlite3_open_v2(argv[1], &src, SQLITE_OPEN_READONLY, NULL))
		die(src, argv[1]);
	for (size_t i = 0; i < NBULK; i++) {
		snprintf(tabs[i].name, sizeof(tabs[i].name), "%s", bulk[i]);
		load(src, &tabs[i]);
		if (!strcmp(bulk[i], "events"))
			events = tabs[i].nrows;
	}
	sqlite3_close(src);
	if (!events) {
		fprintf(stderr, "bench_sqlite_floor: %s: no events\n", argv[1]);
		return 1;
	}

	unlink(out);
	if (vmt_replay_db_open(&dst, out, 1))
		die(dst, out);
	/* the importer's settings (replay/sink_sqlite.c) */
	if (sqlite3_exec(dst, "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF;"
			 "PRAGMA cache_size=-65536; BEGIN", NULL, NULL, NULL))
		die(dst, "pragmas");
	printf("command:");
	for (int i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\nsqlite %s; the rows of %s re-inserted, nothing else\n\n",
	       sqlite3_libversion(), argv[1]);
	printf("| table | rows | stored columns | CPU s | ns/row | ns/event |\n");
	printf("|---|---:|---:|---:|---:|---:|\n");
	w0 = now();
	for (size_t i = 0; i < NBULK; i++) {
		double s;

		if (!tabs[i].nrows)
			continue;
		s = insert(dst, &tabs[i]);
		total += s;
		printf("| %s | %zu | %d | %.2f | %.0f | %.0f |\n", tabs[i].name,
		       tabs[i].nrows, tabs[i].ncols, s, s * 1e9 / (double)tabs[i].nrows,
		       s * 1e9 / (double)events);
	}
	if (sqlite3_exec(dst, "COMMIT", NULL, NULL, NULL))
		die(dst, "commit");
	wall = now() - w0;
	sqlite3_close(dst);
	unlink(out);
	printf("\nSQLite alone: %.2f CPU s for %zu events = %.0f ns/event; "
	       "ceiling %.0f events/s on one core (wall %.2f s incl. commit)\n",
	       total, events, total * 1e9 / (double)events, (double)events / total, wall);
	return 0;
}
