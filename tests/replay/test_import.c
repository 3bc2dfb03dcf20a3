/*
 * test_import.c - vmt_replay_import() against traces of known content:
 * every field equal to the source for ABI v1..v7, counts per table, two
 * runs in one database, re-import refused, truncated and damaged traces,
 * filters, responses and the process rule.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay/tracegen.h"
#include "vmt/replay.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vmt-replay-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(import, .init = setup, .fini = teardown);

static const char *path_in(const char *name)
{
	static char p[4][128];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

static sqlite3 *mem_db(void)
{
	sqlite3 *db;

	cr_assert_eq(vmt_replay_db_open(&db, ":memory:", 1), 0);
	return db;
}

static int64_t q_int(sqlite3 *db, const char *sql, int64_t arg)
{
	sqlite3_stmt *st;
	int64_t v = -12345;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s",
		     sql, sqlite3_errmsg(db));
	sqlite3_bind_int64(st, 1, arg);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Column @c of @st equals @v if @present, else is NULL. */
static void expect_col(sqlite3_stmt *st, int c, int present, uint64_t v,
		       const char *what, uint32_t abi, uint64_t seq)
{
	if (!present) {
		cr_expect_eq(sqlite3_column_type(st, c), SQLITE_NULL,
			     "v%u seq %lu %s: expected NULL", abi, (unsigned long)seq, what);
		return;
	}
	cr_expect_eq(sqlite3_column_type(st, c), SQLITE_INTEGER,
		     "v%u seq %lu %s: missing", abi, (unsigned long)seq, what);
	cr_expect_eq((uint64_t)sqlite3_column_int64(st, c), v,
		     "v%u seq %lu %s: %llx != %llx", abi, (unsigned long)seq, what,
		     (unsigned long long)sqlite3_column_int64(st, c),
		     (unsigned long long)v);
}

static void check_regs(sqlite3 *db, int64_t event_id, const struct vmt_event *e,
		       uint64_t seq)
{
	sqlite3_stmt *st;

	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT vmt_reg(entry, ?) FROM event_regs "
				       "WHERE event_id = ?", -1, &st, NULL), SQLITE_OK);
	for (int r = 0; r < VMT_REG_COUNT; r++) {
		sqlite3_bind_text(st, 1, vmt_reg_name((enum vmt_reg)r), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, event_id);
		cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
		expect_col(st, 0, e->reg_present >> r & 1, e->reg[r],
			   vmt_reg_name((enum vmt_reg)r), e->version, seq);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
}

/* The event's detail row: every payload field of its reason. */
static void check_detail(sqlite3 *db, int64_t event_id, const struct vmt_event *e,
			 uint64_t seq)
{
	const char *table = vmt_reason_name(e->reason);
	uint32_t owner = e->reason == VMT_REASON_DEBUG_EXCEPTION ?
				 VMT_REASON_SOFTWARE_BREAKPOINT : e->reason;
	int has_fields = 0;

	for (int f = 0; f < VMT_P_COUNT; f++) {
		char sql[160];
		sqlite3_stmt *st;

		if (vmt_pfield_reason((enum vmt_pfield)f) != owner || !table)
			continue;
		has_fields = 1;
		snprintf(sql, sizeof(sql), "SELECT \"%s\" FROM %s WHERE event_id = ?",
			 vmt_pfield_name((enum vmt_pfield)f), table);
		cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK,
			     "%s: %s", sql, sqlite3_errmsg(db));
		sqlite3_bind_int64(st, 1, event_id);
		cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "v%u seq %lu: no %s row",
			     e->version, (unsigned long)seq, table);
		expect_col(st, 0, e->p_present >> f & 1, e->p[f],
			   vmt_pfield_name((enum vmt_pfield)f), e->version, seq);
		sqlite3_finalize(st);
	}
	if (!has_fields && table && e->reason != VMT_REASON_UNKNOWN)
		cr_expect_eq(q_int(db, "SELECT count(*) FROM reasons WHERE reason = ? "
				   "AND detail_table IS NOT NULL", e->reason), 0);
}

/* The events view of run @run against the source; the raw entries
 * (event_regs) too when @entries (not after --no-regs). */
static void check_events_of(sqlite3 *db, int64_t run, const struct tg_event *t,
			    size_t n, uint32_t abi, int entries)
{
	static const enum vmt_reg key[] = {
		VMT_REG_RIP, VMT_REG_RSP, VMT_REG_CR3, VMT_REG_RAX, VMT_REG_RBX,
		VMT_REG_RCX, VMT_REG_RDX, VMT_REG_RSI, VMT_REG_RDI, VMT_REG_RFLAGS,
	};
	sqlite3_stmt *st;
	size_t i = 0;

	cr_assert_eq(sqlite3_prepare_v2(db,
		"SELECT event_id, seq, ts_ns, vcpu, reason, flags, altp2m_idx, rip, rsp, "
		"cr3, rax, rbx, rcx, rdx, rsi, rdi, rflags, reason_name FROM events "
		"WHERE run_id = ? ORDER BY seq", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, run);
	for (; sqlite3_step(st) == SQLITE_ROW; i++) {
		const struct tg_event *s = &t[i];
		const struct vmt_event *e = &s->ev;
		const char *name = vmt_reason_name(e->reason);

		cr_assert_lt(i, n);
		expect_col(st, 1, 1, s->seq, "seq", abi, s->seq);
		expect_col(st, 2, 1, s->ts, "ts_ns", abi, s->seq);
		expect_col(st, 3, 1, e->vcpu_id, "vcpu", abi, s->seq);
		expect_col(st, 4, 1, e->reason, "reason", abi, s->seq);
		expect_col(st, 5, 1, e->flags, "flags", abi, s->seq);
		expect_col(st, 6, 1, e->altp2m_idx, "altp2m_idx", abi, s->seq);
		for (int k = 0; k < 10; k++)
			expect_col(st, 7 + k, e->reg_present >> key[k] & 1, e->reg[key[k]],
				   vmt_reg_name(key[k]), abi, s->seq);
		if (name)
			cr_expect_str_eq((const char *)sqlite3_column_text(st, 17), name);
		if (entries)
			check_regs(db, sqlite3_column_int64(st, 0), e, s->seq);
		check_detail(db, sqlite3_column_int64(st, 0), e, s->seq);
	}
	sqlite3_finalize(st);
	cr_expect_eq(i, n, "v%u: %zu events imported of %zu", abi, i, n);
}

static void check_events(sqlite3 *db, int64_t run, const struct tg_event *t,
			 size_t n, uint32_t abi)
{
	check_events_of(db, run, t, n, abi, 1);
}

static uint64_t changed(const struct vmt_event *a, const struct vmt_event *b)
{
	uint64_t m = 0, both = a->reg_present & b->reg_present;

	for (int r = 0; r < VMT_REG_COUNT; r++)
		if ((both >> r & 1) && a->reg[r] != b->reg[r])
			m |= 1ull << r;
	return m;
}

static void check_responses(sqlite3 *db, int64_t run, const struct tg_event *t,
			    size_t n, uint32_t abi)
{
	sqlite3_stmt *st;

	cr_assert_eq(sqlite3_prepare_v2(db,
		"SELECT r.seq, r.latency_ns, r.flags, r.altp2m_idx, r.set_regs, r.new_rip, "
		"r.p2midx, e.seq FROM responses r LEFT JOIN events e USING (event_id) "
		"WHERE r.run_id = ? ORDER BY r.seq", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, run);
	for (size_t i = 0; i < n; i++) {
		const struct tg_event *s = &t[i];
		const struct vmt_event *r = &s->rsp;
		int setregs = !!(r->flags & VMT_FLAG_SET_REGISTERS);

		if (!s->has_rsp)
			continue;
		cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "v%u: response %zu missing", abi, i);
		expect_col(st, 0, 1, s->seq, "rsp seq", abi, s->seq);
		expect_col(st, 1, 1, s->rsp_ts - s->ts, "latency_ns", abi, s->seq);
		expect_col(st, 2, 1, r->flags, "rsp flags", abi, s->seq);
		expect_col(st, 3, r->flags & VMT_FLAG_ALTERNATE_P2M, r->altp2m_idx,
			   "rsp altp2m", abi, s->seq);
		expect_col(st, 4, setregs, changed(&s->ev, r), "set_regs", abi, s->seq);
		expect_col(st, 5, setregs, r->reg[VMT_REG_RIP], "new_rip", abi, s->seq);
		expect_col(st, 6, r->p_present >> VMT_P_FAST_SINGLESTEP_P2MIDX & 1, 5,
			   "p2midx", abi, s->seq);
		expect_col(st, 7, 1, s->seq, "linked request", abi, s->seq);
	}
	cr_expect_eq(sqlite3_step(st), SQLITE_DONE, "v%u: extra responses", abi);
	sqlite3_finalize(st);
}

static void check_counts(sqlite3 *db, int64_t run, const struct tg_counts *c,
			 uint32_t abi)
{
	static const char *const tabs[] = {
		"events", "responses", "markers", "notes", "ring_stats",
	};
	const uint64_t want[] = { c->events, c->responses, c->markers, c->notes,
				  c->ring_stats };

	for (size_t i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++) {
		char sql[96];

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE run_id = ?", tabs[i]);
		cr_expect_eq(q_int(db, sql, run), (int64_t)want[i], "v%u: %s count", abi, tabs[i]);
	}
	for (uint32_t r = 1; r < VMT_REASON_COUNT; r++) {
		char sql[96];
		sqlite3_stmt *st;

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE run_id = ?",
			 vmt_reason_name(r));
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			continue;  /* a reason without a detail table */
		sqlite3_finalize(st);
		if (r == VMT_REASON_GUEST_REQUEST)
			continue;  /* a view over events, checked below */
		cr_expect_eq(q_int(db, sql, run), (int64_t)c->per_reason[r],
			     "v%u: %s detail rows", abi, vmt_reason_name(r));
	}
	cr_expect_eq(q_int(db, "SELECT count(*) FROM guest_request WHERE run_id = ?", run),
		     (int64_t)c->per_reason[VMT_REASON_GUEST_REQUEST]);
	cr_expect_eq(q_int(db, "SELECT sum(events) FROM reason_counts WHERE run_id = ?", run),
		     (int64_t)c->events);
}

static struct tg_event *gen(const char *name, struct tg_opts *o, struct tg_counts *c)
{
	struct tg_event *t = calloc(o->nevents, sizeof(*t));

	cr_assert_not_null(t);
	cr_assert_eq(tg_write(path_in(name), o, t, c), 0);
	return t;
}

/* schema.sql spells the reasons out for readers of the schema; format/'s
 * table stays the one source: a reason added there and not here fails. */
Test(import, reasons_table_is_formats)
{
	sqlite3 *db = mem_db();
	sqlite3_stmt *st;
	uint32_t r = 0;

	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT reason, name FROM reasons ORDER BY reason",
					-1, &st, NULL), SQLITE_OK);
	for (; sqlite3_step(st) == SQLITE_ROW; r++) {
		cr_expect_eq(sqlite3_column_int64(st, 0), r);
		cr_expect_str_eq((const char *)sqlite3_column_text(st, 1), vmt_reason_name(r),
				 "reason %u", r);
	}
	sqlite3_finalize(st);
	cr_expect_eq(r, VMT_REASON_COUNT, "%u rows in reasons, format/ knows %d", r,
		     (int)VMT_REASON_COUNT);
	sqlite3_close(db);
}

extern const char vmt_clickhouse_sql[];

/* clickhouse.sql's reasons view: the same names, count and reasons
 * without a detail table as format/ and the SQLite schema. */
Test(import, clickhouse_reasons_are_formats)
{
	const char *p = strstr(vmt_clickhouse_sql, "arrayElement([");
	const char *nodetail = strstr(vmt_clickhouse_sql, "has([");
	const char *limit = strstr(vmt_clickhouse_sql, "system.numbers LIMIT ");
	sqlite3 *db = mem_db();
	sqlite3_stmt *st;
	uint32_t r = 0;

	cr_assert(p && nodetail && limit, "clickhouse.sql: reasons view not found");
	for (p += strlen("arrayElement(["); *p != ']'; r++) {
		const char *end;

		p += strspn(p, " \t\n,");
		cr_assert_eq(*p, '\'', "clickhouse.sql: reason %u is not a quoted name", r);
		end = strchr(++p, '\'');
		cr_assert(end && vmt_reason_name(r));
		cr_expect(strlen(vmt_reason_name(r)) == (size_t)(end - p) &&
			  !strncmp(p, vmt_reason_name(r), (size_t)(end - p)),
			  "clickhouse.sql: reason %u is '%.*s', format/ says '%s'", r,
			  (int)(end - p), p, vmt_reason_name(r));
		p = end + 1;
		p += strspn(p, " \t\n,");
	}
	cr_expect_eq(r, VMT_REASON_COUNT);
	cr_expect_eq(strtol(limit + strlen("system.numbers LIMIT "), NULL, 10),
		     VMT_REASON_COUNT);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT group_concat(reason, ', ') FROM (SELECT "
					"reason FROM reasons WHERE detail_table IS NULL ORDER BY 1)",
					-1, &st, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	const char *want = (const char *)sqlite3_column_text(st, 0);
	nodetail += strlen("has([");
	cr_expect(!strncmp(nodetail, want, strlen(want)) && nodetail[strlen(want)] == ']',
		  "clickhouse.sql: no detail table for [%.20s, SQLite for [%s]", nodetail, want);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

Test(import, every_field_every_abi)
{
	for (uint32_t abi = VMT_ABI_MIN; abi <= VMT_ABI_MAX; abi++) {
		struct tg_opts o = { .abi = abi, .nevents = 120, .vcpus = 3, .seed = abi,
				     .labels = "scenario=boot;build=42" };
		struct vmt_import_result res;
		struct tg_counts c;
		struct tg_event *t = gen("t.vmt", &o, &c);
		sqlite3 *db = mem_db();
		char fp[17], *sql;

		cr_assert_eq(vmt_replay_import(db, path_in("t.vmt"), NULL, &res), 0, "v%u", abi);
		cr_expect_eq(res.events, c.events);
		check_events(db, res.run_id, t, o.nevents, abi);
		check_responses(db, res.run_id, t, o.nevents, abi);
		check_counts(db, res.run_id, &c, abi);
		vmt_replay_fingerprint(abi, 3, "mem_access:rw;write_ctrlreg:cr3,cr4;cpuid",
				       "build=42;scenario=boot", fp);
		sql = sqlite3_mprintf("SELECT count(*) FROM runs WHERE abi_version = ? "
				      "AND vcpus = 3 AND fingerprint = '%q' AND complete = 1 "
				      "AND requests = 120", fp);
		cr_expect_eq(q_int(db, sql, abi), 1, "v%u: runs row", abi);
		sqlite3_free(sql);
		cr_expect_eq(q_int(db, "SELECT count(*) FROM run_labels WHERE run_id = ?",
				   res.run_id), 2);
		cr_expect_eq(q_int(db, "SELECT count(*) FROM run_monitors WHERE run_id = ? "
				   "AND monitor = 'write_ctrlreg' AND params = 'cr3,cr4'",
				   res.run_id), 1);
		sqlite3_close(db);
		free(t);
	}
}

/*
 * --no-regs drops the raw entries, not the ten key registers: every ABI's
 * events view equals the source, event_regs is empty, and a run imported
 * with its entries after it finds its own blocks.
 */
Test(import, no_regs_keeps_key_registers)
{
	VMT_OPTS(vmt_import_opts, nr, .no_regs = 1);

	for (uint32_t abi = VMT_ABI_MIN; abi <= VMT_ABI_MAX; abi++) {
		struct tg_opts o = { .abi = abi, .nevents = 300, .vcpus = 3, .seed = 40 + abi };
		struct vmt_import_result r1, r2;
		struct tg_counts c;
		struct tg_event *t = gen("nr.vmt", &o, &c);
		sqlite3 *db = mem_db();

		cr_assert_eq(vmt_replay_import(db, path_in("nr.vmt"), &nr, &r1), 0, "v%u", abi);
		check_events_of(db, r1.run_id, t, o.nevents, abi, 0);
		cr_expect_eq(q_int(db, "SELECT count(*) FROM event_regs e JOIN event_rows r "
				   "USING (event_id) WHERE r.run_id = ?", r1.run_id), 0);
		cr_expect_eq(q_int(db, "SELECT count(*) FROM reg_blocks WHERE run_id = ? "
				   "AND data IS NULL", r1.run_id),
			     q_int(db, "SELECT count(*) FROM reg_blocks WHERE run_id = ?",
				   r1.run_id));
		o.seed += 100;
		free(t);
		t = gen("nr2.vmt", &o, &c);
		cr_assert_eq(vmt_replay_import(db, path_in("nr2.vmt"), NULL, &r2), 0, "v%u", abi);
		check_events(db, r2.run_id, t, o.nevents, abi);
		sqlite3_close(db);
		free(t);
	}
}

Test(import, single_thread_equals_pipelined)
{
	struct tg_opts o = { .abi = 7, .nevents = 1200, .vcpus = 4, .seed = 9,
			     .chunk_size = 16384 };
	VMT_OPTS(vmt_import_opts, one, .single_thread = 1);
	struct vmt_import_result r1, r2;
	struct tg_counts c;
	struct tg_event *t = gen("p.vmt", &o, &c);
	sqlite3 *a = mem_db(), *b = mem_db();

	cr_assert_eq(vmt_replay_import(a, path_in("p.vmt"), &one, &r1), 0);
	cr_assert_eq(vmt_replay_import(b, path_in("p.vmt"), NULL, &r2), 0);
	check_events(b, r2.run_id, t, o.nevents, 7);
	check_counts(a, r1.run_id, &c, 7);
	check_counts(b, r2.run_id, &c, 7);
	sqlite3_close(a);
	sqlite3_close(b);
	free(t);
}

Test(import, two_runs_and_reimport)
{
	struct tg_opts o1 = { .abi = 5, .nevents = 50, .vcpus = 2, .seed = 1 };
	struct tg_opts o2 = { .abi = 7, .nevents = 80, .vcpus = 2, .seed = 2 };
	struct vmt_import_result r1, r2, r3;
	struct tg_counts c1, c2;
	sqlite3 *db = mem_db();

	cr_assert_eq(tg_write(path_in("a.vmt"), &o1, NULL, &c1), 0);
	cr_assert_eq(tg_write(path_in("b.vmt"), &o2, NULL, &c2), 0);
	cr_assert_eq(vmt_replay_import(db, path_in("a.vmt"), NULL, &r1), 0);
	cr_assert_eq(vmt_replay_import(db, path_in("b.vmt"), NULL, &r2), 0);
	cr_expect_neq(r1.run_id, r2.run_id);
	cr_expect_str_neq(r1.uuid, r2.uuid);
	cr_expect_eq(q_int(db, "SELECT count(*) FROM events WHERE run_id = ?", r1.run_id), 50);
	cr_expect_eq(q_int(db, "SELECT count(*) FROM events WHERE run_id = ?", r2.run_id), 80);
	cr_expect_eq(q_int(db, "SELECT count(*) FROM responses WHERE run_id = ?", r2.run_id),
		     (int64_t)c2.responses);
	cr_expect_eq(q_int(db, "SELECT count(DISTINCT run_id) FROM processes WHERE ? > 0", 1), 2);
	cr_expect_eq(vmt_replay_import(db, path_in("a.vmt"), NULL, &r3), -EEXIST);
	cr_expect_str_eq(r3.uuid, r1.uuid);
	cr_expect_eq(q_int(db, "SELECT count(*) FROM events WHERE ? > 0", 1), 130);
	cr_expect_eq(vmt_replay_index(db), 0);
	sqlite3_close(db);
}

/* Cuts @name to @keep bytes. */
static void cut(const char *name, off_t keep)
{
	cr_assert_eq(truncate(path_in(name), keep), 0);
}

static off_t size_of(const char *name)
{
	struct stat st;

	cr_assert_eq(stat(path_in(name), &st), 0);
	return st.st_size;
}

Test(import, truncated_trace_keeps_intact_chunks)
{
	struct tg_opts o = { .abi = 6, .nevents = 2000, .vcpus = 2, .seed = 4,
			     .chunk_size = 8192, .no_trailer = 1 };
	VMT_OPTS(vmt_import_opts, strict, .strict = 1);
	struct vmt_import_result res;
	struct tg_counts c;
	struct tg_event *t = gen("cut.vmt", &o, &c);
	sqlite3 *db = mem_db();
	int64_t n, maxseq;

	cut("cut.vmt", size_of("cut.vmt") * 2 / 3);
	cr_assert_eq(vmt_replay_import(db, path_in("cut.vmt"), NULL, &res), 0);
	n = q_int(db, "SELECT count(*) FROM events WHERE run_id = ?", res.run_id);
	maxseq = q_int(db, "SELECT max(seq) FROM events WHERE run_id = ?", res.run_id);
	cr_expect_gt(n, 100);
	cr_expect_lt(n, 2000);
	cr_expect_eq(res.complete, 0);
	/* what survived is a prefix, field for field */
	check_events(db, res.run_id, t, (size_t)n, 6);
	cr_expect_eq(q_int(db, "SELECT count(*) FROM gaps WHERE run_id = ? AND kind = "
			   "'truncated' AND last_seq IS NULL", res.run_id), 1);
	cr_expect_geq(q_int(db, "SELECT first_seq FROM gaps WHERE run_id = ? AND kind = "
			    "'truncated'", res.run_id), maxseq);
	cr_expect_eq(q_int(db, "SELECT complete FROM runs WHERE run_id = ?", res.run_id), 0);
	sqlite3_close(db);
	db = mem_db();
	cr_expect_eq(vmt_replay_import(db, path_in("cut.vmt"), &strict, &res), -VMT_E_DAMAGED);
	cr_expect_eq(q_int(db, "SELECT count(*) FROM events WHERE ? > 0", 1), 0);
	sqlite3_close(db);
	free(t);
}

Test(import, damaged_chunk_becomes_a_gap)
{
	struct tg_opts o = { .abi = 7, .nevents = 2000, .vcpus = 2, .seed = 5,
			     .chunk_size = 8192 };
	VMT_OPTS(vmt_import_opts, strict, .strict = 1);
	struct vmt_import_result res;
	struct tg_counts c;
	sqlite3 *db = mem_db();
	FILE *f;
	off_t mid;

	cr_assert_eq(tg_write(path_in("d.vmt"), &o, NULL, &c), 0);
	mid = size_of("d.vmt") / 2;
	f = fopen(path_in("d.vmt"), "r+b");
	cr_assert_not_null(f);
	for (int i = 0; i < 64; i++) {     /* flip bytes inside one chunk's payload */
		int ch;

		fseek(f, mid + i, SEEK_SET);
		ch = fgetc(f);
		fseek(f, mid + i, SEEK_SET);
		fputc(ch ^ 0x5a, f);
	}
	fclose(f);
	cr_assert_eq(vmt_replay_import(db, path_in("d.vmt"), NULL, &res), 0);
	cr_expect_geq(res.damaged_chunks, 1);
	cr_expect_lt(res.events, c.events);
	cr_expect_gt(res.events, c.events / 2);
	cr_expect_eq(q_int(db, "SELECT count(*) FROM gaps WHERE run_id = ? AND kind = "
			   "'damaged_chunk' AND first_seq IS NOT NULL AND last_seq IS NOT NULL",
			   res.run_id), (int64_t)res.damaged_chunks);
	/* the lost stretch holds no imported event */
	cr_expect_eq(q_int(db, "SELECT count(*) FROM events e JOIN gaps g USING (run_id) "
			   "WHERE g.kind = 'damaged_chunk' AND e.seq > g.first_seq "
			   "AND e.seq < g.last_seq AND e.run_id = ?", res.run_id), 0);
	cr_expect_eq(q_int(db, "SELECT damaged_chunks FROM runs WHERE run_id = ?", res.run_id),
		     (int64_t)res.damaged_chunks);
	sqlite3_close(db);
	db = mem_db();
	cr_expect_eq(vmt_replay_import(db, path_in("d.vmt"), &strict, &res), -VMT_E_DAMAGED);
	sqlite3_close(db);
}

Test(import, loss_record_is_a_gap)
{
	struct tg_opts o = { .abi = 7, .nevents = 40, .vcpus = 1, .seed = 6, .loss_at = 20 };
	struct vmt_import_result res;
	struct tg_counts c;
	sqlite3 *db = mem_db();

	cr_assert_eq(tg_write(path_in("l.vmt"), &o, NULL, &c), 0);
	cr_assert_eq(vmt_replay_import(db, path_in("l.vmt"), NULL, &res), 0);
	cr_expect_eq(res.lost, 3);
	cr_expect_eq(q_int(db, "SELECT count FROM gaps WHERE kind = 'loss' AND first_seq = 21 "
			   "AND last_seq = 23 AND cause = 'ring_fault' AND run_id = ?",
			   res.run_id), 3);
	sqlite3_close(db);
}

Test(import, filters)
{
	struct tg_opts o = { .abi = 7, .nevents = 600, .vcpus = 4, .seed = 8,
			     .chunk_size = 4096 };
	static const uint32_t vcpus[] = { 1, 3 };
	VMT_OPTS(vmt_import_opts, f, .reason_mask = 1u << VMT_REASON_MEM_ACCESS |
					1u << VMT_REASON_CPUID,
		 .vcpus = vcpus, .nvcpus = 2, .from_kind = VMT_BOUND_SEQ, .from = 100,
		 .to_kind = VMT_BOUND_SEQ, .to = 400);
	VMT_OPTS(vmt_import_opts, ft, .from_kind = VMT_BOUND_NS, .to_kind = VMT_BOUND_NS);
	struct vmt_import_result res;
	struct tg_counts c;
	struct tg_event *t = gen("f.vmt", &o, &c);
	sqlite3 *db = mem_db();
	int64_t want = 0;

	for (size_t i = 0; i < o.nevents; i++)
		want += t[i].seq >= 100 && t[i].seq <= 400 &&
			(t[i].ev.vcpu_id == 1 || t[i].ev.vcpu_id == 3) &&
			(t[i].ev.reason == 1 || t[i].ev.reason == 10);
	cr_assert_eq(vmt_replay_import(db, path_in("f.vmt"), &f, &res), 0);
	cr_expect_gt(want, 10);
	cr_expect_eq((int64_t)res.events, want);
	cr_expect_eq(q_int(db, "SELECT count(*) FROM events WHERE run_id = ? AND reason IN "
			   "(1, 10) AND vcpu IN (1, 3) AND seq BETWEEN 100 AND 400",
			   res.run_id), want);
	cr_expect_eq(q_int(db, "SELECT filtered FROM runs WHERE run_id = ?", res.run_id), 1);
	sqlite3_close(db);

	ft.from = t[200].ts;
	ft.to = t[299].ts;
	db = mem_db();
	cr_assert_eq(vmt_replay_import(db, path_in("f.vmt"), &ft, &res), 0);
	cr_expect_eq(res.events, 100);
	cr_expect_eq(q_int(db, "SELECT min(seq) FROM events WHERE ? > 0", 1), (int64_t)t[200].seq);
	sqlite3_close(db);
	free(t);
}

Test(import, processes_survive_cr3_reuse)
{
	struct tg_opts o = { .abi = 7, .nevents = 400, .vcpus = 2, .seed = 3,
			     .idle_at = 200 };
	struct vmt_import_result res;
	struct tg_counts c;
	sqlite3 *db = mem_db();

	cr_assert_eq(tg_write(path_in("p.vmt"), &o, NULL, &c), 0);
	cr_assert_eq(vmt_replay_import(db, path_in("p.vmt"), NULL, &res), 0);
	/* 5 s of silence: every CR3 seen after it starts epoch 1 */
	cr_expect_gt(q_int(db, "SELECT count(*) FROM processes WHERE epoch = 1 AND run_id = ?",
			   res.run_id), 0);
	cr_expect_eq(q_int(db, "SELECT count(*) FROM processes WHERE run_id = ?", res.run_id),
		     (int64_t)res.processes);
	cr_expect_eq(q_int(db, "SELECT count(*) FROM events e JOIN processes p USING "
			   "(process_id) WHERE e.cr3 = p.cr3 AND e.ts_ns BETWEEN p.first_ns "
			   "AND p.last_ns AND e.run_id = ?", res.run_id), 400);
	cr_expect_eq(q_int(db, "SELECT sum(events) FROM processes WHERE run_id = ?",
			   res.run_id), 400);
	sqlite3_close(db);
}

Test(import, file_is_atomic)
{
	struct tg_opts o = { .abi = 7, .nevents = 30, .vcpus = 1, .seed = 11 };
	struct tg_counts c;
	char x[128], missing[128];
	const char *traces[2] = { x, missing };
	int failed;
	sqlite3 *db;

	cr_assert_eq(tg_write(path_in("x.vmt"), &o, NULL, &c), 0);
	snprintf(x, sizeof(x), "%s", path_in("x.vmt"));
	snprintf(missing, sizeof(missing), "%s", path_in("missing.vmt"));
	cr_expect_eq(vmt_replay_import_file(path_in("r.db"), traces, 2, 0, NULL, NULL,
					    &failed), -ENOENT);
	cr_expect_eq(failed, 1);
	cr_expect_eq(access(path_in("r.db"), F_OK), -1, "a failed import left a database");
	cr_assert_eq(vmt_replay_import_file(path_in("r.db"), traces, 1, 0, NULL, NULL,
					    &failed), 0);
	cr_expect_eq(vmt_replay_import_file(path_in("r.db"), traces, 1, 0, NULL, NULL,
					    &failed), -EEXIST);
	cr_expect_eq(vmt_replay_import_file(path_in("r.db"), traces, 1, 1, NULL, NULL,
					    &failed), -EEXIST);
	cr_expect_eq(failed, 0);
	cr_assert_eq(vmt_replay_db_open(&db, path_in("r.db"), 0), 0);
	cr_expect_eq(q_int(db, "SELECT count(*) FROM events WHERE ? > 0", 1), 30);
	cr_expect_eq(q_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' "
			   "AND name = 'events_run_ts' AND ? > 0", 1), 1);
	sqlite3_close(db);
}

Test(import, labels_last_value_wins)
{
	struct tg_opts o = { .abi = 3, .nevents = 5, .vcpus = 1, .seed = 12,
			     .labels = "a=1;b=2;a=3;flag" };
	struct vmt_import_result res;
	struct tg_counts c;
	sqlite3 *db = mem_db();
	sqlite3_stmt *st;

	cr_assert_eq(tg_write(path_in("lb.vmt"), &o, NULL, &c), 0);
	cr_assert_eq(vmt_replay_import(db, path_in("lb.vmt"), NULL, &res), 0);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT group_concat(key || '=' || value, ';') "
					"FROM (SELECT * FROM run_labels ORDER BY key)", -1,
					&st, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_expect_str_eq((const char *)sqlite3_column_text(st, 0), "a=3;b=2;flag=");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/*
 * Phase names (format 1.1): one phase_names row per name, the u64 code as
 * two's complement; a run without names has none; and a database made
 * before the table existed gets it when a named trace is appended.
 */
Test(import, phase_names_rows)
{
	struct tg_opts named = { .abi = 7, .nevents = 20, .vcpus = 1, .seed = 41,
				 .phase_names = "0=boot;1=login;18446744073709551615=last" };
	struct tg_opts plain = { .abi = 7, .nevents = 20, .vcpus = 1, .seed = 42 };
	struct vmt_import_result r1, r2;
	struct tg_counts c;
	sqlite3 *db = mem_db();
	sqlite3_stmt *st;

	cr_assert_eq(tg_write(path_in("named.vmt"), &named, NULL, &c), 0);
	cr_assert_eq(tg_write(path_in("plain.vmt"), &plain, NULL, &c), 0);
	/* The database as it was before phase_names: the table dropped. */
	cr_assert_eq(sqlite3_exec(db, "DROP TABLE phase_names", NULL, NULL, NULL), SQLITE_OK);
	cr_assert_eq(vmt_replay_import(db, path_in("plain.vmt"), NULL, &r2), 0);
	cr_expect_eq(q_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'phase_names' "
			       "AND ? > 0", 1), 0, "a run without names adds nothing");
	cr_assert_eq(vmt_replay_import(db, path_in("named.vmt"), NULL, &r1), 0);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT code, name FROM phase_names WHERE run_id = ?"
				       " ORDER BY code", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, r1.run_id);
	static const struct { int64_t code; const char *name; } want[] = {
		{ -1, "last" }, { 0, "boot" }, { 1, "login" },
	};
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
		cr_expect_eq(sqlite3_column_int64(st, 0), want[i].code);
		cr_expect_str_eq((const char *)sqlite3_column_text(st, 1), want[i].name);
	}
	cr_expect_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	cr_expect_eq(q_int(db, "SELECT count(*) FROM phase_names WHERE run_id = ?", r2.run_id), 0);
	sqlite3_close(db);
}

/*
 * Schema 2 puts a response in its request's row while that row is still
 * in the importer's batch, and updates the row once it has gone to SQLite;
 * registers sit in compressed blocks of 128 events.  Enough events to
 * cross several batches and blocks, both with and without the pipeline.
 */
Test(import, responses_and_registers_across_batches)
{
	struct tg_opts o = { .abi = 7, .nevents = 20000, .vcpus = 4, .seed = 12,
			     .rsp_lag = 8 };
	VMT_OPTS(vmt_import_opts, one, .single_thread = 1);
	static const size_t probe[] = { 0, 1, 127, 128, 129, 255, 256, 8191, 8192, 12345, 19999 };
	struct vmt_import_result res;
	struct tg_counts c;
	struct tg_event *t = gen("b.vmt", &o, &c);

	for (int mode = 0; mode < 2; mode++) {
		sqlite3 *db = mem_db();

		cr_assert_eq(vmt_replay_import(db, path_in("b.vmt"), mode ? &one : NULL,
					       &res), 0);
		check_responses(db, res.run_id, t, o.nevents, 7);
		check_counts(db, res.run_id, &c, 7);
		cr_expect_eq(q_int(db, "SELECT count(*) FROM responses WHERE event_id IS NULL "
				   "AND ? > 0", 1), 0);
		cr_expect_eq(q_int(db, "SELECT count(*) FROM event_regs WHERE ? > 0", 1),
			     (int64_t)c.events);
		cr_expect_eq(q_int(db, "SELECT count(*) FROM reg_blocks WHERE ? > 0", 1),
			     (int64_t)(c.events + 127) / 128);
		for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
			int64_t id = q_int(db, "SELECT event_id FROM events WHERE seq = ?",
					   (int64_t)t[probe[i]].seq);

			check_regs(db, id, &t[probe[i]].ev, t[probe[i]].seq);
		}
		sqlite3_close(db);
	}
	free(t);
}

/* A window by time can cut a request from its response: the response
 * stays, with no event_id, no latency and a negative response_id. */
Test(import, lone_responses)
{
	struct tg_opts o = { .abi = 7, .nevents = 400, .vcpus = 2, .seed = 13,
			     .rsp_lag = 4 };
	VMT_OPTS(vmt_import_opts, ft, .from_kind = VMT_BOUND_NS, .to_kind = VMT_BOUND_NS);
	struct vmt_import_result res;
	struct tg_counts c;
	struct tg_event *t = gen("w.vmt", &o, &c);
	sqlite3 *db = mem_db();
	int64_t lone = 0;

	ft.from = t[100].ts + 1;
	ft.to = t[300].ts;
	for (size_t i = 0; i < o.nevents; i++)
		lone += t[i].has_rsp && t[i].ts < ft.from && t[i].rsp_ts >= ft.from &&
			t[i].rsp_ts <= ft.to;
	cr_expect_gt(lone, 0, "the window cuts no request from its response");
	cr_assert_eq(vmt_replay_import(db, path_in("w.vmt"), &ft, &res), 0);
	cr_expect_eq(q_int(db, "SELECT count(*) FROM responses WHERE run_id = ?", res.run_id),
		     (int64_t)res.responses);
	cr_expect_eq(q_int(db, "SELECT count(*) FROM responses WHERE event_id IS NULL AND "
			   "latency_ns IS NULL AND response_id < 0 AND run_id = ?", res.run_id),
		     lone);
	cr_expect_eq(q_int(db, "SELECT count(*) FROM lone_responses WHERE run_id = ?",
			   res.run_id), lone);
	sqlite3_close(db);
	free(t);
}
