/*
 * sink_clickhouse.c - vmt_replay_clickhouse(): one trace into ClickHouse
 * (clickhouse.sql, CLICKHOUSE.md).
 *
 * The walker's records become RowBinary rows in one buffer per table; a
 * buffer that reaches FLUSH_BYTES goes out as one INSERT, so client memory
 * is a few buffers whatever the trace size, and each insert stays one
 * block (one part, all or nothing) on the server.
 *
 * At most once, nothing half: the runs row is written last and is the
 * run's "complete" mark.  A load finding no such row for its UUID first
 * drops the run's partition in every table (what a killed or failed load
 * left) and starts over, so a re-run ends with every row exactly once.
 * The runs, run_labels, run_monitors and phase_names rows come from the SQLite code
 * that writes them for database imports (runrow.c), through an in-memory
 * database: one definition of the run facts.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "replay_int.h"
#include "vmt/clickhouse.h"

extern const char vmt_clickhouse_sql[];

#define FLUSH_BYTES (8u << 20)
#define SQL_MAX 1024
#define RESTARTS 2          /* whole-run retries after an insert of unknown fate */

enum ctab {
	C_EVENTS, C_REGS, C_RESPONSES, C_MARKERS, C_NOTES, C_RING_STATS,
	C_GAPS, C_PROCESSES, C_DETAIL,
	C_COUNT = C_DETAIL + VMT_REASON_COUNT
};

static const char *const fixed_cols[C_DETAIL][2] = {
	[C_EVENTS] = { "events", "event_id, run_id, seq, ts_ns, vcpu, reason, flags,"
		       " altp2m_idx, process_id" },
	[C_REGS] = { "event_regs", "event_id, run_id, entry" },
	[C_RESPONSES] = { "responses", "response_id, run_id, seq, event_id, ts_ns,"
			  " latency_ns, vcpu, flags, altp2m_idx, set_regs, new_rip, p2midx" },
	[C_MARKERS] = { "markers", "marker_id, run_id, seq, ts_ns, text" },
	[C_NOTES] = { "notes", "note_id, run_id, seq, ts_ns, text" },
	[C_RING_STATS] = { "ring_stats", "stat_id, run_id, seq, ts_ns, occupancy,"
			   " handled, batch_ns, backpressure_ns" },
	[C_GAPS] = { "gaps", "gap_id, run_id, kind, chunk, first_seq, last_seq,"
		     " first_ns, last_ns, count, cause" },
	[C_PROCESSES] = { "processes", "process_id, run_id, cr3, epoch, first_ns,"
			  " last_ns, first_seq, last_seq, events" },
};

/* Tables partitioned by run_id besides the row tables above. */
static const char *const pair_tables[] = { "run_labels", "run_monitors", "phase_names" };

struct buf {
	uint8_t *p;
	size_t len, cap;
};

struct chsink {
	struct vmt_ch *c;
	int64_t run_id;
	int no_regs;
	struct buf b[C_COUNT];
	uint64_t rows[C_COUNT];     /* per-run ids of the id-less tables */
	struct vmt_procs procs;
	int err;                    /* first failure of a buffer append */
};

/* ---- RowBinary ---- */

static int reserve(struct buf *b, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		uint8_t *p;

		while (cap < b->len + n)
			cap *= 2;
		if (!(p = realloc(b->p, cap)))
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	return 0;
}

static void put_i64(struct buf *b, int64_t v)
{
	uint64_t u = (uint64_t)v;

	for (int i = 0; i < 8; i++)
		b->p[b->len++] = (uint8_t)(u >> (8 * i));
}

/* Nullable(Int64): a null flag, then the value when present. */
static void put_opt(struct buf *b, int present, uint64_t v)
{
	b->p[b->len++] = present ? 0 : 1;
	if (present)
		put_i64(b, (int64_t)v);
}

/* String: LEB128 length, then the bytes (room: n + 10). */
static void put_bytes(struct buf *b, const void *p, size_t n)
{
	size_t v = n;

	do {
		b->p[b->len++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* ---- inserts ---- */

static int table_cols(int t, char *name, size_t ncap, char *cols, size_t ccap)
{
	const struct vmt_detail *d;
	size_t n;

	if (t < C_DETAIL) {
		snprintf(name, ncap, "%s", fixed_cols[t][0]);
		n = (size_t)snprintf(cols, ccap, "%s", fixed_cols[t][1]);
		for (size_t i = 0; t == C_EVENTS && i < VMT_ARRAY_SIZE(vmt_key_regs); i++)
			n += (size_t)snprintf(cols + n, ccap - n, ", %s",
					      vmt_reg_name(vmt_key_regs[i]));
		return 1;
	}
	d = vmt_detail_of((uint32_t)(t - C_DETAIL));
	if (!d->table)
		return 0;
	snprintf(name, ncap, "%s", d->table);
	n = (size_t)snprintf(cols, ccap, "event_id, run_id");
	for (int i = 0; i < d->nfields; i++)
		n += (size_t)snprintf(cols + n, ccap - n, ", `%s`",
				      vmt_pfield_name(d->fields[i]));
	return 1;
}

static int flush(struct chsink *s, int t)
{
	char name[64], cols[512], sql[SQL_MAX];
	int err;

	if (!s->b[t].len || !table_cols(t, name, sizeof(name), cols, sizeof(cols)))
		return 0;
	snprintf(sql, sizeof(sql), "INSERT INTO %s (%s) FORMAT RowBinary", name, cols);
	err = vmt_ch_insert(s->c, sql, s->b[t].p, s->b[t].len);
	s->b[t].len = 0;
	return err;
}

/* Room for one row of @t of up to @n bytes; flushes a full buffer first. */
static struct buf *row(struct chsink *s, int t, size_t n)
{
	int err = s->b[t].len + n > FLUSH_BYTES ? flush(s, t) : 0;

	if (!err)
		err = reserve(&s->b[t], n);
	if (err) {
		s->err = err;
		return NULL;
	}
	return &s->b[t];
}

/* ---- walker callbacks ---- */

static int emit_process(void *ctx, const struct vmt_proc *p)
{
	struct chsink *s = ctx;
	struct buf *b = row(s, C_PROCESSES, 9 * 8);

	if (!b)
		return s->err;
	put_i64(b, p->id);
	put_i64(b, s->run_id);
	put_i64(b, (int64_t)p->cr3);
	put_i64(b, p->epoch);
	put_i64(b, (int64_t)p->first_ns);
	put_i64(b, (int64_t)p->last_ns);
	put_i64(b, (int64_t)p->first_seq);
	put_i64(b, (int64_t)p->last_seq);
	put_i64(b, (int64_t)p->events);
	return 0;
}

static int put_detail(struct chsink *s, const struct vmt_event *ev, int64_t id)
{
	const struct vmt_detail *d = vmt_detail_of(ev->reason);
	struct buf *b;

	if (!d->table)
		return 0;
	if (!(b = row(s, C_DETAIL + (int)ev->reason, 16 + 9 * (size_t)d->nfields)))
		return s->err;
	put_i64(b, id);
	put_i64(b, s->run_id);
	for (int i = 0; i < d->nfields; i++)
		put_opt(b, ev->p_present >> d->fields[i] & 1, ev->p[d->fields[i]]);
	return 0;
}

static int put_event(void *ctx, const struct vmt_record *rec,
		     const struct vmt_event *ev, uint64_t ordinal)
{
	struct chsink *s = ctx;
	int64_t id = (int64_t)ordinal + 1, pid = -1;
	struct buf *b;

	if (ev->reg_present >> VMT_REG_CR3 & 1) {
		pid = vmt_procs_see(&s->procs, ev->reg[VMT_REG_CR3], rec->ts_ns, rec->seq);
		if (pid < 0)
			return (int)pid;
	}
	if (!(b = row(s, C_EVENTS, 8 * 8 + 9 + 9 * VMT_ARRAY_SIZE(vmt_key_regs))))
		return s->err;
	put_i64(b, id);
	put_i64(b, s->run_id);
	put_i64(b, (int64_t)rec->seq);
	put_i64(b, (int64_t)rec->ts_ns);
	put_i64(b, ev->vcpu_id);
	put_i64(b, ev->reason);
	put_i64(b, ev->flags);
	put_i64(b, ev->altp2m_idx);
	put_opt(b, pid >= 0, (uint64_t)pid);
	for (size_t i = 0; i < VMT_ARRAY_SIZE(vmt_key_regs); i++)
		put_opt(b, ev->reg_present >> vmt_key_regs[i] & 1, ev->reg[vmt_key_regs[i]]);
	if (!s->no_regs) {
		if (!(b = row(s, C_REGS, 16 + 10 + rec->size)))
			return s->err;
		put_i64(b, id);
		put_i64(b, s->run_id);
		put_bytes(b, rec->data, rec->size);
	}
	return put_detail(s, ev, id);
}

static int put_response(void *ctx, const struct vmt_record *rec,
			const struct vmt_walk_rsp *r)
{
	struct chsink *s = ctx;
	const struct vmt_event *ev = r->ev;
	int known = r->req_ordinal >= 0;
	int setregs = !!(ev->flags & VMT_FLAG_SET_REGISTERS);
	struct buf *b = row(s, C_RESPONSES, 12 * 9);

	if (!b)
		return s->err;
	put_i64(b, (int64_t)++s->rows[C_RESPONSES]);
	put_i64(b, s->run_id);
	put_i64(b, (int64_t)rec->seq);
	put_opt(b, known, (uint64_t)(r->req_ordinal + 1));
	put_i64(b, (int64_t)rec->ts_ns);
	put_opt(b, known, r->latency_ns);
	put_i64(b, ev->vcpu_id);
	put_i64(b, ev->flags);
	put_opt(b, ev->flags & VMT_FLAG_ALTERNATE_P2M, ev->altp2m_idx);
	put_opt(b, known && r->has_set_regs, r->set_regs);
	put_opt(b, setregs && (ev->reg_present >> VMT_REG_RIP & 1), ev->reg[VMT_REG_RIP]);
	put_opt(b, ev->p_present >> VMT_P_FAST_SINGLESTEP_P2MIDX & 1,
		ev->p[VMT_P_FAST_SINGLESTEP_P2MIDX]);
	return 0;
}

static int put_text(struct chsink *s, int t, const struct vmt_record *rec)
{
	size_t n = rec->size;
	struct buf *b;

	while (n && !rec->data[n - 1])     /* C strings may carry their NUL */
		n--;
	if (!(b = row(s, t, 4 * 8 + 10 + n)))
		return s->err;
	put_i64(b, (int64_t)++s->rows[t]);
	put_i64(b, s->run_id);
	put_i64(b, (int64_t)rec->seq);
	put_i64(b, (int64_t)rec->ts_ns);
	put_bytes(b, rec->data, n);
	return 0;
}

static int put_marker(void *ctx, const struct vmt_record *rec)
{
	return put_text(ctx, C_MARKERS, rec);
}

static int put_note(void *ctx, const struct vmt_record *rec)
{
	return put_text(ctx, C_NOTES, rec);
}

static int put_ring_stats(void *ctx, const struct vmt_record *rec,
			  const struct vmt_ring_stats *st)
{
	struct chsink *s = ctx;
	struct buf *b = row(s, C_RING_STATS, 8 * 8);

	if (!b)
		return s->err;
	put_i64(b, (int64_t)++s->rows[C_RING_STATS]);
	put_i64(b, s->run_id);
	put_i64(b, (int64_t)rec->seq);
	put_i64(b, (int64_t)rec->ts_ns);
	put_i64(b, st->occupancy);
	put_i64(b, st->handled);
	put_i64(b, (int64_t)st->batch_ns);
	put_i64(b, (int64_t)st->backpressure_ns);
	return 0;
}

static int put_gap(void *ctx, const struct vmt_gap *g)
{
	struct chsink *s = ctx;
	size_t kn = strlen(g->kind), cn = strlen(g->cause);
	struct buf *b = row(s, C_GAPS, 16 + 6 * 9 + 20 + kn + cn);

	if (!b)
		return s->err;
	put_i64(b, (int64_t)++s->rows[C_GAPS]);
	put_i64(b, s->run_id);
	put_bytes(b, g->kind, kn);
	put_opt(b, g->chunk >= 0, (uint64_t)g->chunk);
	for (int i = 0; i < VMT_G_NV; i++)
		put_opt(b, g->known >> i & 1, g->v[i]);
	put_bytes(b, g->cause, cn);
	return 0;
}

static const struct vmt_walk_ops ch_ops = {
	.event = put_event, .response = put_response, .marker = put_marker,
	.note = put_note, .ring_stats = put_ring_stats, .gap = put_gap,
};

/* ---- tables ---- */

struct names {
	char *list;             /* ",a,b,c," */
	size_t len;
};

static int add_name(void *ctx, char **cols, size_t ncols)
{
	struct names *n = ctx;
	size_t k = strlen(cols[0]);
	char *l = realloc(n->list, n->len + k + 3);

	if (!l)
		return -ENOMEM;
	n->list = l;
	n->len += (size_t)sprintf(l + n->len, "%s%s,", n->len ? "" : ",", cols[0]);
	return 0;
}

/* The table a "CREATE ... IF NOT EXISTS name" statement makes. */
static int stmt_table(const char *st, char *name, size_t cap)
{
	const char *p = strstr(st, "IF NOT EXISTS ");
	size_t n;

	if (!p)
		return -EINVAL;
	p += 14;
	n = strcspn(p, " (\n\t");
	if (n + 3 > cap)
		return -EINVAL;
	snprintf(name, cap, ",%.*s,", (int)n, p);
	return 0;
}

/* Runs the statements of clickhouse.sql whose table is missing.  Comment
 * lines are dropped, the rest is split on ';'. */
static int ensure_tables(struct vmt_ch *c)
{
	struct names have = { 0 };
	char *sql = strdup(vmt_clickhouse_sql), *save, *st, name[80];
	int err = sql ? 0 : -ENOMEM;

	if (!err)
		err = vmt_ch_select(c, "SELECT name FROM system.tables"
				    " WHERE database = currentDatabase()", add_name, &have);
	for (char *l = sql; !err && l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (l[0] == '-' && l[1] == '-')
			memset(l, ' ', strcspn(l, "\n"));
	for (st = err ? NULL : strtok_r(sql, ";", &save); !err && st;
	     st = strtok_r(NULL, ";", &save)) {
		if (!st[strspn(st, " \t\n")])
			continue;
		err = stmt_table(st, name, sizeof(name));
		if (!err && !(have.list && strstr(have.list, name)))
			err = vmt_ch_exec(c, st);
	}
	free(have.list);
	free(sql);
	return err;
}

static int count_row(void *ctx, char **cols, size_t ncols)
{
	*(int64_t *)ctx = strtoll(cols[0], NULL, 10);
	return 0;
}

static int loaded(struct vmt_ch *c, const char *uuid, int *yes)
{
	char q[128], sql[256];
	int64_t n = 0;
	int err = vmt_ch_quote(uuid, q, sizeof(q));

	if (err < 0)
		return err;
	snprintf(sql, sizeof(sql), "SELECT count() FROM runs WHERE uuid = %s", q);
	err = vmt_ch_select(c, sql, count_row, &n);
	*yes = n > 0;
	return err;
}

/* What an earlier, failed load of the run left behind. */
static int drop_run(struct vmt_ch *c, int64_t run_id)
{
	char name[64], cols[512], sql[SQL_MAX];
	int err = 0;

	for (int t = 0; !err && t < C_COUNT; t++)
		if (table_cols(t, name, sizeof(name), cols, sizeof(cols))) {
			snprintf(sql, sizeof(sql), "ALTER TABLE %s DROP PARTITION %lld",
				 name, (long long)run_id);
			err = vmt_ch_exec(c, sql);
		}
	for (size_t i = 0; !err && i < VMT_ARRAY_SIZE(pair_tables); i++) {
		snprintf(sql, sizeof(sql), "ALTER TABLE %s DROP PARTITION %lld",
			 pair_tables[i], (long long)run_id);
		err = vmt_ch_exec(c, sql);
	}
	return err;
}

/* ---- the run facts, through runrow.c and an in-memory database ---- */

/* The columns of @table that the server's table has too ("," around each):
 * a column the SQLite schema gained later stays out of an older server's
 * tables instead of failing the load. */
static int ch_columns(struct vmt_ch *c, const char *table, struct names *have)
{
	char sql[SQL_MAX];

	snprintf(sql, sizeof(sql), "SELECT name FROM system.columns WHERE"
		 " database = currentDatabase() AND table = '%s'", table);
	return vmt_ch_select(c, sql, add_name, have);
}

static int shared_col(const struct names *have, const char *col)
{
	char key[80];

	snprintf(key, sizeof(key), ",%s,", col);
	return have->list && strstr(have->list, key);
}

/* One SQLite table's rows, the columns both sides have, as one insert. */
static int copy_rows(struct vmt_ch *c, sqlite3 *db, const char *table)
{
	char sql[SQL_MAX];
	struct buf b = { 0 };
	struct names have = { 0 };
	sqlite3_stmt *st;
	size_t n;
	int rc, err = ch_columns(c, table, &have), k = 0;

	if (err)
		return err;
	snprintf(sql, sizeof(sql), "SELECT * FROM %s", table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		free(have.list);
		return vmt_db_err(db, SQLITE_ERROR, sql);
	}
	n = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO %s (", table);
	for (int i = 0; i < sqlite3_column_count(st); i++)
		if (shared_col(&have, sqlite3_column_name(st, i)))
			n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s`%s`",
					      k++ ? ", " : "", sqlite3_column_name(st, i));
	snprintf(sql + n, sizeof(sql) - n, ") FORMAT RowBinary");
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW)
		for (int i = 0; !err && i < sqlite3_column_count(st); i++) {
			size_t len = (size_t)sqlite3_column_bytes(st, i);

			if (!shared_col(&have, sqlite3_column_name(st, i)))
				continue;
			err = reserve(&b, len + 16);
			if (err)
				break;
			if (sqlite3_column_type(st, i) == SQLITE_INTEGER)
				put_i64(&b, sqlite3_column_int64(st, i));
			else
				put_bytes(&b, sqlite3_column_text(st, i), len);
		}
	sqlite3_finalize(st);
	free(have.list);
	if (!err && b.len)
		err = vmt_ch_insert(c, sql, b.p, b.len);
	free(b.p);
	return err;
}

static int put_run(struct chsink *s, const struct vmt_walk *w, const char *trace,
		   const char *uuid)
{
	sqlite3 *db;
	int err = vmt_replay_db_open(&db, ":memory:", 1);

	if (err)
		return err;
	err = vmt_run_insert(db, s->run_id, w, trace, uuid);
	if (!err)
		err = vmt_run_pairs_insert(db, s->run_id, vmt_reader_info(w->r));
	if (!err)
		err = copy_rows(s->c, db, "run_labels");
	if (!err)
		err = copy_rows(s->c, db, "run_monitors");
	if (!err)
		err = copy_rows(s->c, db, "phase_names");
	if (!err)   /* last: the run's complete mark */
		err = copy_rows(s->c, db, "runs");
	sqlite3_close(db);
	return err;
}

/* ---- vmt_replay_clickhouse() ---- */

static int load_walk(struct chsink *s, struct vmt_walk *w, const char *trace,
		     const char *uuid)
{
	int err = vmt_procs_init(&s->procs, 1, w->o.process_idle_ns, emit_process, s);

	if (!err)
		err = drop_run(s->c, s->run_id);
	if (!err)
		err = vmt_walk_run(w, &ch_ops, s);
	if (!err)
		err = vmt_procs_finish(&s->procs);
	for (int t = 0; !err && t < C_COUNT; t++)
		err = flush(s, t);
	if (!err)
		err = put_run(s, w, trace, uuid);
	return err;
}

static int load_once(struct vmt_ch *c, const char *trace,
		     const struct vmt_import_opts *opts, struct vmt_import_result *res)
{
	struct chsink *s = calloc(1, sizeof(*s));
	struct vmt_walk w;
	int err, done = 0;

	if (!s)
		return -ENOMEM;
	memset(res, 0, sizeof(*res));
	err = vmt_walk_open(&w, trace, opts, res);
	if (err) {
		free(s);
		return err;
	}
	s->c = c;
	s->no_regs = w.o.no_regs;
	s->run_id = vmt_ch_run_id(res->uuid);
	err = s->run_id < 0 ? (int)s->run_id : loaded(c, res->uuid, &done);
	if (!err && done)
		err = -EEXIST;
	if (!err)
		err = load_walk(s, &w, trace, res->uuid);
	if (!err) {
		vmt_walk_result(&w, res);
		res->run_id = s->run_id;
		res->processes = (uint64_t)(s->procs.next_id - 1);
	}
	for (int t = 0; t < C_COUNT; t++)
		free(s->b[t].p);
	vmt_procs_free(&s->procs);
	free(s);
	vmt_walk_close(&w);
	return err;
}

VMT_API int vmt_replay_clickhouse(struct vmt_ch *c, const char *trace,
				  const struct vmt_import_opts *opts,
				  struct vmt_import_result *res)
{
	struct vmt_import_result tmp;
	int err = vmt_ch_check(c);

	res = res ? res : &tmp;
	if (!err)
		err = ensure_tables(c);
	if (err)
		return err;
	/* an insert whose fate is unknown may have stored its block: the run
	 * starts over, and starting over drops what it stored */
	for (int i = 0; i <= RESTARTS; i++) {
		err = load_once(c, trace, opts, res);
		if (err != -ECONNRESET)
			break;
	}
	return err;
}

/* ---- the sink registry's entry (sinks.c) ---- */

static int ch_open(void **conn, const char *url)
{
	return vmt_ch_open((struct vmt_ch **)conn, url);
}

static int ch_load(void *conn, const char *trace, const struct vmt_import_opts *opts,
		   struct vmt_import_result *res)
{
	return vmt_replay_clickhouse(conn, trace, opts, res);
}

static const char *ch_error(const void *conn)
{
	return vmt_ch_error(conn);
}

static const char *ch_database(const void *conn)
{
	return vmt_ch_database(conn);
}

static void ch_close(void *conn)
{
	vmt_ch_close(conn);
}

const struct vmt_server_ops vmt_server_clickhouse = {
	ch_open, ch_load, ch_error, ch_database, ch_close,
};
