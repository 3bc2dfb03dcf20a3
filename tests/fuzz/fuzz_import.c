/*
 * fuzz_import.c - libFuzzer target for trace -> SQLite: the input is a
 * trace file, imported by vmt_replay_import() into an in-memory database
 * in recover mode and then in strict mode, and every import is checked
 * against what any input must leave behind: a consistent database whose
 * rows match the counts the import reported, or (on failure) nothing at
 * all.  Built as a real fuzzer with -DVMT_FUZZ=ON (clang) and replayed
 * over tests/fuzz/corpus/import/ by regression_main.c in every build.
 *
 * The library reads traces by path (it maps the file), so the bytes go
 * into one memfd per process, opened as /proc/self/fd/N.  One database
 * per process, emptied between imports, runs about 1.5x faster than a new
 * schema per input; the indexes are dropped too so that every import sees
 * the same database whatever ran before it.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmt/format.h"
#include "vmt/replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() rather than assert(): the checks must also run under NDEBUG. */
#define CHECK(cond) do { if (!(cond)) fail(#cond, __LINE__); } while (0)

static void fail(const char *what, int line)
{
	fprintf(stderr, "fuzz_import:%d: invariant broken: %s\n", line, what);
	abort();
}

static struct {
	sqlite3 *db;
	int fd;
	char path[64];
	char *count_sql;   /* rows in every table the import writes */
	char *clear_sql;   /* empties those tables */
} g;

/* First column of the first row of @sql as an integer (0 if no row). */
static int64_t q_int(const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = 0;
	int rc;

	CHECK(sqlite3_prepare_v2(g.db, sql, -1, &st, NULL) == SQLITE_OK);
	rc = sqlite3_step(st);
	CHECK(rc == SQLITE_ROW || rc == SQLITE_DONE);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int64_t q_count(const char *table, int64_t run_id)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE run_id = %lld",
		 table, (long long)run_id);
	return q_int(sql);
}

static void exec(const char *sql)
{
	CHECK(sqlite3_exec(g.db, sql, NULL, NULL, NULL) == SQLITE_OK);
}

/*
 * Builds the count and clear statements from the schema itself, so that
 * tables added to schema.sql are covered without touching this file.
 * "reasons" is the schema's own constant table, never written by imports.
 */
static void setup_tables(void)
{
	sqlite3_str *cnt = sqlite3_str_new(g.db), *clr = sqlite3_str_new(g.db);
	sqlite3_stmt *st;
	int n = 0;

	CHECK(sqlite3_prepare_v2(g.db, "SELECT name FROM sqlite_schema WHERE "
				 "type = 'table' AND name <> 'reasons' AND "
				 "name NOT LIKE 'sqlite_%'", -1, &st, NULL) == SQLITE_OK);
	sqlite3_str_appendall(cnt, "SELECT 0");
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);

		sqlite3_str_appendf(cnt, " + (SELECT count(*) FROM \"%w\")", t);
		sqlite3_str_appendf(clr, "DELETE FROM \"%w\";", t);
		n++;
	}
	sqlite3_finalize(st);
	CHECK(n > 10);
	g.count_sql = sqlite3_str_finish(cnt);
	g.clear_sql = sqlite3_str_finish(clr);
	CHECK(g.count_sql && g.clear_sql);
}

static void setup(void)
{
	vmt_set_log_fn(NULL, NULL);
	g.fd = memfd_create("fuzz_import", MFD_CLOEXEC);
	CHECK(g.fd >= 0);
	snprintf(g.path, sizeof(g.path), "/proc/self/fd/%d", g.fd);
	CHECK(vmt_replay_db_open(&g.db, ":memory:", 1) == 0);
	setup_tables();
}

/* Empties the database and drops what vmt_replay_index() created. */
static void reset(void)
{
	sqlite3_stmt *st;
	sqlite3_str *drop = sqlite3_str_new(g.db);
	char *sql;

	exec(g.clear_sql);
	CHECK(sqlite3_prepare_v2(g.db, "SELECT name FROM sqlite_schema WHERE "
				 "type = 'index' AND sql IS NOT NULL", -1, &st,
				 NULL) == SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		sqlite3_str_appendf(drop, "DROP INDEX \"%w\";",
				    (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sql = sqlite3_str_finish(drop);
	if (sql)
		exec(sql);
	sqlite3_free(sql);
	CHECK(q_int(g.count_sql) == 0);
}

/* Writes the input where the library can open it by name. */
static void put_input(const uint8_t *data, size_t size)
{
	size_t done = 0;

	CHECK(ftruncate(g.fd, (off_t)size) == 0);
	while (done < size) {
		ssize_t n = pwrite(g.fd, data + done, size - done, (off_t)done);

		CHECK(n > 0 || (n < 0 && errno == EINTR));
		if (n > 0)
			done += (size_t)n;
	}
}

static int import(int strict, struct vmt_import_result *res)
{
	VMT_OPTS(vmt_import_opts, o, .strict = strict, .single_thread = 1);
	int ret = vmt_replay_import(g.db, g.path, &o, res);

	/* the import's transaction is over, whatever happened */
	CHECK(sqlite3_get_autocommit(g.db));
	CHECK(ret <= 0);
	if (ret)
		CHECK(q_int(g.count_sql) == 0);    /* nothing of the trace kept */
	return ret;
}

static void check_integrity(void)
{
	sqlite3_stmt *st;

	CHECK(sqlite3_prepare_v2(g.db, "PRAGMA integrity_check", -1, &st,
				 NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECK(!strcmp((const char *)sqlite3_column_text(st, 0), "ok"));
	CHECK(sqlite3_step(st) == SQLITE_DONE);
	sqlite3_finalize(st);

	CHECK(sqlite3_prepare_v2(g.db, "PRAGMA foreign_key_check", -1, &st,
				 NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_DONE);
	sqlite3_finalize(st);
}

/* Requests the recorder reported lost, summed as the library does (mod 2^64). */
static uint64_t lost_in_gaps(int64_t run_id)
{
	sqlite3_stmt *st;
	uint64_t sum = 0;

	CHECK(sqlite3_prepare_v2(g.db, "SELECT count FROM gaps WHERE run_id = ? "
				 "AND kind = 'loss'", -1, &st, NULL) == SQLITE_OK);
	sqlite3_bind_int64(st, 1, run_id);
	while (sqlite3_step(st) == SQLITE_ROW)
		sum += (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return sum;
}

/* The database after a successful import of one trace into an empty one. */
static void check_import(const struct vmt_import_result *r)
{
	char sql[320];
	int64_t id = r->run_id;

	check_integrity();
	CHECK(id == 1 && q_int("SELECT count(*) FROM runs") == 1);
	CHECK(strlen(r->uuid) == 36);
	sqlite3_snprintf(sizeof(sql), sql, "SELECT uuid = %Q AND imported_events "
			 "= %lld AND imported_responses = %lld AND chunks = %u AND "
			 "damaged_chunks = %u AND complete = %d AND filtered = 0 "
			 "FROM runs", r->uuid, (long long)r->events,
			 (long long)r->responses, (unsigned)r->chunks,
			 (unsigned)r->damaged_chunks, r->complete);
	CHECK(q_int(sql) == 1);

	CHECK((uint64_t)q_count("events", id) == r->events);
	CHECK((uint64_t)q_int("SELECT count(*) FROM events") == r->events);
	CHECK((uint64_t)q_int("SELECT count(*) FROM event_regs") == r->events);
	CHECK((uint64_t)q_count("responses", id) == r->responses);
	CHECK((uint64_t)q_count("markers", id) == r->markers);
	CHECK((uint64_t)q_count("notes", id) == r->notes);
	CHECK((uint64_t)q_count("ring_stats", id) == r->ring_stats);
	CHECK((uint64_t)q_count("gaps", id) == r->gaps);
	CHECK((uint64_t)q_count("processes", id) == r->processes);
	CHECK(lost_in_gaps(id) == r->lost);
	CHECK(r->skipped == 0);                 /* no filter was given */
	CHECK(r->damaged_chunks <= r->chunks);

	CHECK(vmt_replay_index(g.db) == 0);
	/* every event with a CR3 is counted in exactly its own process row */
	CHECK(q_int("SELECT count(*) FROM processes p WHERE events <> (SELECT "
		    "count(*) FROM events e WHERE e.process_id = p.process_id)") == 0);
	CHECK(q_int("SELECT count(*) FROM responses WHERE (event_id IS NULL) <> "
		    "(latency_ns IS NULL)") == 0);
}

static int same_counts(const struct vmt_import_result *a,
		       const struct vmt_import_result *b)
{
	return a->events == b->events && a->responses == b->responses &&
	       a->markers == b->markers && a->notes == b->notes &&
	       a->ring_stats == b->ring_stats && a->processes == b->processes &&
	       a->gaps == b->gaps && a->lost == b->lost &&
	       a->chunks == b->chunks && a->complete == b->complete &&
	       !strcmp(a->uuid, b->uuid);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmt_import_result rec, strict;
	int ret;

	if (!g.db)
		setup();
	put_input(data, size);

	ret = import(0, &rec);
	if (!ret)
		check_import(&rec);
	reset();

	/* strict keeps all or nothing, and never more than recover mode */
	if (import(1, &strict) == 0) {
		CHECK(ret == 0 && same_counts(&rec, &strict));
		CHECK(strict.damaged_chunks == 0 && strict.complete);
		check_import(&strict);
		reset();
	}
	return 0;
}
