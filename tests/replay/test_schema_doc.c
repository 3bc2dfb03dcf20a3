/*
 * test_schema_doc.c - every ```sql block of replay/SCHEMA.md runs against a
 * sample database (a whole trace and a cut one) and returns rows, so the
 * documented queries cannot rot.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay/tracegen.h"
#include "vmt/replay.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static sqlite3 *sample_db(const char *dir)
{
	struct tg_opts whole = { .abi = 7, .nevents = 400, .vcpus = 2, .seed = 31,
				 .loss_at = 50, .phase_names = "0=boot;1=login" };
	struct tg_opts cut = { .abi = 7, .nevents = 1500, .vcpus = 2, .seed = 32,
			       .chunk_size = 8192, .no_trailer = 1 };
	char a[96], b[96];
	struct tg_counts c;
	sqlite3 *db;
	FILE *f;

	snprintf(a, sizeof(a), "%s/whole.vmt", dir);
	snprintf(b, sizeof(b), "%s/cut.vmt", dir);
	cr_assert_eq(tg_write(a, &whole, NULL, &c), 0);
	cr_assert_eq(tg_write(b, &cut, NULL, &c), 0);
	f = fopen(b, "r+b");
	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	cr_assert_eq(ftruncate(fileno(f), ftell(f) - 3000), 0);
	fclose(f);
	cr_assert_eq(vmt_replay_db_open(&db, ":memory:", 1), 0);
	cr_assert_eq(vmt_replay_import(db, a, NULL, NULL), 0);
	cr_assert_eq(vmt_replay_import(db, b, NULL, NULL), 0);
	cr_assert_eq(vmt_replay_index(db), 0);
	return db;
}

Test(schema_doc, every_query_returns_rows)
{
	char dir[64], cmd[96];
	char *doc = slurp(VMT_SOURCE_DIR "/replay/SCHEMA.md"), *p = doc;
	sqlite3 *db;
	int queries = 0;

	snprintf(dir, sizeof(dir), "/tmp/vmt-doc-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	db = sample_db(dir);
	while ((p = strstr(p, "```sql\n"))) {
		char *end = strstr(p += 7, "```");
		sqlite3_stmt *st;

		cr_assert_not_null(end);
		*end = 0;
		cr_assert_eq(sqlite3_prepare_v2(db, p, -1, &st, NULL), SQLITE_OK,
			     "%s\n-> %s", p, sqlite3_errmsg(db));
		cr_expect_eq(sqlite3_step(st), SQLITE_ROW, "no rows from:\n%s", p);
		sqlite3_finalize(st);
		queries++;
		p = end + 3;
	}
	cr_expect_geq(queries, 8);
	sqlite3_close(db);
	free(doc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}
