/*
 * test_units.c - the smaller contracts of libvmt_replay: the fingerprint
 * as SCHEMA.md defines it, the schema version gate, the JSONL / CSV /
 * Chrome streams (names equal to the schema's) and --info JSON.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay/tracegen.h"
#include "vmt/replay.h"

static char dir[64], trace[96];
static struct tg_counts cnt;

static void setup(void)
{
	struct tg_opts o = { .abi = 7, .nevents = 250, .vcpus = 2, .seed = 21 };

	snprintf(dir, sizeof(dir), "/tmp/vmt-units-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(trace, sizeof(trace), "%s/u.vmt", dir);
	cr_assert_eq(tg_write(trace, &o, NULL, &cnt), 0);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(units, .init = setup, .fini = teardown);

static uint64_t fnv(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h;
}

Test(units, fingerprint_as_documented)
{
	char a[17], b[17], want[17];

	vmt_replay_fingerprint(7, 2, "mem_access:rw;cpuid", "z=1;a=2", a);
	snprintf(want, sizeof(want), "%016llx", (unsigned long long)
		 fnv("abi=7\nvcpus=2\nmonitors=mem_access:rw;cpuid\nlabels=a=2;z=1\n"));
	cr_expect_str_eq(a, want);
	vmt_replay_fingerprint(7, 2, "mem_access:rw;cpuid", "a=2;z=1", b);
	cr_expect_str_eq(a, b, "label order changed the fingerprint");
	vmt_replay_fingerprint(6, 2, "mem_access:rw;cpuid", "a=2;z=1", b);
	cr_expect_str_neq(a, b);
	vmt_replay_fingerprint(7, 3, "mem_access:rw;cpuid", "a=2;z=1", b);
	cr_expect_str_neq(a, b);
	vmt_replay_fingerprint(7, 2, "mem_access:r;cpuid", "a=2;z=1", b);
	cr_expect_str_neq(a, b);
}

Test(units, schema_version_gate)
{
	char path[128];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/v.db", dir);
	cr_expect_eq(vmt_replay_db_open(&db, path, 0), -ENOENT);
	cr_assert_eq(vmt_replay_db_open(&db, path, 1), 0);
	cr_expect_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	cr_expect_eq(vmt_replay_db_open(&db, path, 0), -VMT_E_VERSION);
	cr_expect_null(db);
}

static char *stream(enum vmt_stream_format fmt, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	struct vmt_import_result res;

	cr_assert_not_null(f);
	cr_assert_eq(vmt_replay_stream(f, trace, fmt, NULL, &res), 0);
	fclose(f);
	cr_expect_eq(res.events, cnt.events);
	return buf;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

Test(units, jsonl_records)
{
	size_t len;
	char *s = stream(VMT_STREAM_JSONL, &len);

	cr_expect_eq(count(s, "\n"), cnt.events + cnt.responses + cnt.markers +
		     cnt.notes + cnt.ring_stats);
	cr_expect_eq(count(s, "{\"record\":\"event\""), cnt.events);
	cr_expect_eq(count(s, "{\"record\":\"response\""), cnt.responses);
	cr_expect_eq(count(s, "\"mem_access\":{\"gfn\":"), cnt.per_reason[VMT_REASON_MEM_ACCESS]);
	cr_expect_eq(count(s, "\"reason_name\":\"cpuid\""), cnt.per_reason[VMT_REASON_CPUID]);
	cr_expect_eq(count(s, "\"text\":\"phase-1\""), 1);
	cr_expect_eq(count(s, "\"raw_u\":\""), cnt.per_reason[40]);
	cr_expect_gt(cnt.per_reason[40], 0);
	free(s);
}

/* Column names of @sql's result, joined by ','. */
static void column_names(sqlite3 *db, const char *sql, char *out, size_t cap)
{
	sqlite3_stmt *st;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	out[0] = 0;
	for (int i = 0; i < sqlite3_column_count(st); i++) {
		strncat(out, ",", cap - strlen(out) - 1);
		strncat(out, sqlite3_column_name(st, i), cap - strlen(out) - 1);
	}
	strncat(out, ",", cap - strlen(out) - 1);
	sqlite3_finalize(st);
}

Test(units, csv_names_are_the_schemas)
{
	size_t len;
	char *s = stream(VMT_STREAM_CSV, &len), *save, *tok, view[8192], head[8192];
	char *nl = strchr(s, '\n');
	sqlite3 *db;
	size_t ncols;

	cr_assert_not_null(nl);
	cr_expect_eq(count(s, "\n"), cnt.events + 1);
	ncols = count(s, ",") / (cnt.events + 1);
	cr_expect_eq(count(s, ",") % (cnt.events + 1), 0, "rows of unequal width");
	*nl = 0;
	snprintf(head, sizeof(head), "%s", s);
	cr_assert_eq(vmt_replay_db_open(&db, ":memory:", 1), 0);
	column_names(db, "SELECT * FROM events_detail", view, sizeof(view));
	for (tok = strtok_r(head, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char key[128];
		int is_reg = 0;

		for (int r = 0; r < VMT_REG_COUNT; r++)
			is_reg |= !strcmp(tok, vmt_reg_name((enum vmt_reg)r));
		snprintf(key, sizeof(key), ",%s,", tok);
		/* version is runs.abi_version, raw_u bytes 24-55 of
		 * event_regs.entry; registers are vmt_reg() names */
		cr_expect(is_reg || !strcmp(tok, "version") || !strcmp(tok, "raw_u") ||
			  strstr(view, key),
			  "CSV column %s is not in events_detail", tok);
	}
	cr_expect_gt(ncols, 60);
	sqlite3_close(db);
	free(s);
}

Test(units, chrome_tracks)
{
	size_t len;
	char *s = stream(VMT_STREAM_CHROME, &len);

	cr_expect_eq(strncmp(s, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", 39), 0);
	cr_expect_str_eq(s + len - 4, "\n]}\n");
	cr_expect_eq(count(s, "\"ph\":\"i\",\"pid\":1,\"tid\":") - count(s, "\"s\":\"g\""),
		     cnt.events);
	cr_expect_eq(count(s, "\"s\":\"g\""), cnt.markers);
	cr_expect_gt(count(s, "\"ph\":\"X\""), 2);
	cr_expect_eq(count(s, "\"name\":\"thread_name\""), 2);
	free(s);
}

Test(units, info_json_keys)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_eq(vmt_replay_info(f, trace, 1), 0);
	fclose(f);
	cr_expect_eq(buf[0], '{');
	for (size_t i = 0; i < 6; i++) {
		static const char *const keys[] = {
			"\"header\":{", "\"summary\":{", "\"chunks\":[", "\"integrity\":{",
			"\"lost\":0", "\"complete\":1",
		};

		cr_expect_not_null(strstr(buf, keys[i]), "no %s", keys[i]);
	}
	cr_expect_not_null(strstr(buf, "\"requests\":250"));
	free(buf);
}

/* The registry is the CLI's list and vmt_replay_stream()'s: every stream
 * it names streams the trace, names are unique, other codes are refused. */
Test(units, sink_registry)
{
	const struct vmt_replay_sink *k;
	size_t n = 0, streams = 0, len;

	for (; (k = vmt_replay_sink_at(n)); n++) {
		cr_expect_eq(vmt_replay_sink_named(k->name), k, "%s", k->name);
		cr_expect(k->summary && *k->summary);
		if (k->kind != VMT_SINK_STREAM)
			continue;
		streams++;
		free(stream(k->format, &len));
		cr_expect_gt(len, 0, "%s wrote nothing", k->name);
	}
	cr_expect_geq(n, 4);
	cr_expect_geq(streams, 3);
	cr_expect_eq(vmt_replay_sink_named("sqlite")->kind, VMT_SINK_DATABASE);
	cr_expect_null(vmt_replay_sink_named("nosuch"));
	cr_expect_null(vmt_replay_sink_named(NULL));
	/* a server sink is reached by URL, and only a server sink */
	struct vmt_replay_dest *d = NULL;

	k = vmt_replay_sink_named("clickhouse");
	cr_assert_not_null(k);
	cr_expect_eq(k->kind, VMT_SINK_SERVER);
	cr_expect_str_eq(k->title, "ClickHouse");
	cr_expect_eq(vmt_replay_dest_open(vmt_replay_sink_named("jsonl"), "http://127.0.0.1:1/", &d),
		     -EINVAL);
	cr_expect_eq(vmt_replay_dest_open(k, "ftp:/nowhere", &d), -EINVAL);
	cr_assert_eq(vmt_replay_dest_open(k, "http://127.0.0.1:1/?database=db1", &d), 0);
	cr_expect_str_eq(vmt_replay_dest_database(d), "db1");
	cr_expect_eq(vmt_replay_dest_load(d, trace, NULL, NULL), -ECONNREFUSED);
	cr_expect_str_neq(vmt_replay_dest_error(d), "");
	vmt_replay_dest_close(d);
	cr_expect_eq(vmt_replay_stream(stdout, trace, (enum vmt_stream_format)0, NULL, NULL),
		     -EINVAL);
	cr_expect_eq(vmt_replay_stream(stdout, trace, (enum vmt_stream_format)999, NULL, NULL),
		     -EINVAL);
}
