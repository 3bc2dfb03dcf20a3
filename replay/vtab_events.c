/*
 * vtab_events.c - vmt_events('run.vmt'): the requests of a trace as a
 * table, read from the file with no import (SCHEMA.md "vmt_events").
 * Constraints on seq and ts_ns become the reader's seek through the chunk
 * index and an early stop, so a range query reads only its chunks; SQLite
 * checks the constraints again on every row.
 */
#ifdef VMT_SQLITE_EXT
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "replay_int.h"

/* The columns; the payload and entry as in events / event_regs. */
enum {
	C_SEQ, C_TS, C_VCPU, C_REASON, C_REASON_NAME, C_FLAGS, C_ALTP2M,
	C_VERSION, C_KEYREG, C_P1 = C_KEYREG + 10, C_ENTRY = C_P1 + 4,
	C_TRACE, C_NCOLS
};

struct ev_cursor {
	sqlite3_vtab_cursor base;
	struct vmt_tmap map;
	struct vmt_reader *r;
	struct vmt_record rec;
	struct vmt_event ev;
	uint64_t seq_lo, seq_hi, ts_lo, ts_hi;
	int eof;
	char *trace;
};

int vmt_vtab_declare(sqlite3 *db, sqlite3_str *schema, sqlite3_vtab **out)
{
	char *sql = sqlite3_str_finish(schema);
	int rc;

	if (!sql)
		return SQLITE_NOMEM;
	rc = sqlite3_declare_vtab(db, sql);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return rc;
	*out = sqlite3_malloc(sizeof(**out));
	if (!*out)
		return SQLITE_NOMEM;
	memset(*out, 0, sizeof(**out));
	return SQLITE_OK;
}

static int ev_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
		      sqlite3_vtab **out, char **err)
{
	sqlite3_str *s = sqlite3_str_new(db);
	int rc;

	(void)aux; (void)argc; (void)argv; (void)err;
	sqlite3_str_appendall(s, "CREATE TABLE x(seq, ts_ns, vcpu, reason, reason_name, "
			      "flags, altp2m_idx, version");
	for (size_t i = 0; i < VMT_ARRAY_SIZE(vmt_key_regs); i++)
		sqlite3_str_appendf(s, ", %s", vmt_reg_name(vmt_key_regs[i]));
	sqlite3_str_appendall(s, ", p1, p2, p3, p4, entry, trace HIDDEN)");
	rc = vmt_vtab_declare(db, s, out);
	if (rc == SQLITE_OK)
		sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
	return rc;
}

static int ev_disconnect(sqlite3_vtab *vt)
{
	sqlite3_free(vt);
	return SQLITE_OK;
}

/*
 * Arguments: the trace first, then one per usable range constraint on seq
 * or ts_ns; idxStr holds the column ('s' or 't') and the operator of each.
 */
static int ev_best_index(sqlite3_vtab *vt, sqlite3_index_info *ix)
{
	char codes[64];
	int n = 0, trace = -1;

	(void)vt;
	for (int i = 0; i < ix->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &ix->aConstraint[i];
		int op = c->op;

		if (!c->usable)
			continue;
		if (c->iColumn == C_TRACE && op == SQLITE_INDEX_CONSTRAINT_EQ) {
			trace = i;
		} else if ((c->iColumn == C_SEQ || c->iColumn == C_TS) && n < 30 &&
			   (op == SQLITE_INDEX_CONSTRAINT_EQ || op == SQLITE_INDEX_CONSTRAINT_GT ||
			    op == SQLITE_INDEX_CONSTRAINT_GE || op == SQLITE_INDEX_CONSTRAINT_LT ||
			    op == SQLITE_INDEX_CONSTRAINT_LE)) {
			codes[2 * n] = c->iColumn == C_SEQ ? 's' : 't';
			codes[2 * n + 1] = (char)op;
			ix->aConstraintUsage[i].argvIndex = 2 + n++;
		}
	}
	if (trace < 0)
		return SQLITE_CONSTRAINT;    /* vmt_events() needs its trace */
	ix->aConstraintUsage[trace].argvIndex = 1;
	ix->aConstraintUsage[trace].omit = 1;
	ix->idxStr = sqlite3_mprintf("%.*s", 2 * n, codes);
	ix->needToFreeIdxStr = 1;
	ix->idxNum = n;
	ix->estimatedCost = n ? 1e5 : 1e7;
	return ix->idxStr || !n ? SQLITE_OK : SQLITE_NOMEM;
}

static int ev_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
	struct ev_cursor *c = sqlite3_malloc(sizeof(*c));

	(void)vt;
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	*out = &c->base;
	return SQLITE_OK;
}

static void cur_reset(struct ev_cursor *c)
{
	if (c->r)
		vmt_reader_close(c->r);
	vmt_tmap_close(&c->map);
	c->r = NULL;
	sqlite3_free(c->trace);
	c->trace = NULL;
}

static int ev_close(sqlite3_vtab_cursor *cur)
{
	struct ev_cursor *c = (struct ev_cursor *)cur;

	cur_reset(c);
	sqlite3_free(c);
	return SQLITE_OK;
}

/* Narrows [lo, hi] by "column op v". */
static void narrow(uint64_t *lo, uint64_t *hi, int op, sqlite3_int64 v)
{
	uint64_t u = v < 0 ? 0 : (uint64_t)v;

	if (v < 0 && (op == SQLITE_INDEX_CONSTRAINT_LT || op == SQLITE_INDEX_CONSTRAINT_LE ||
		      op == SQLITE_INDEX_CONSTRAINT_EQ)) {
		*hi = 0;
		*lo = 1;      /* nothing below 0: an empty range */
		return;
	}
	if ((op == SQLITE_INDEX_CONSTRAINT_GE || op == SQLITE_INDEX_CONSTRAINT_EQ) && u > *lo)
		*lo = u;
	if (op == SQLITE_INDEX_CONSTRAINT_GT && v >= 0 && u + 1 > *lo)
		*lo = u + 1;
	if ((op == SQLITE_INDEX_CONSTRAINT_LE || op == SQLITE_INDEX_CONSTRAINT_EQ) && u < *hi)
		*hi = u;
	if (op == SQLITE_INDEX_CONSTRAINT_LT && u == 0) {
		*lo = 1;
		*hi = 0;
	} else if (op == SQLITE_INDEX_CONSTRAINT_LT && u - 1 < *hi) {
		*hi = u - 1;
	}
}

/* The next request inside the bounds, or eof. */
static int ev_next(sqlite3_vtab_cursor *cur)
{
	struct ev_cursor *c = (struct ev_cursor *)cur;
	int ret;

	while ((ret = vmt_reader_next(c->r, &c->rec)) == 1) {
		if (c->rec.seq > c->seq_hi || c->rec.ts_ns > c->ts_hi)
			break;       /* the trace is in seq and time order */
		if (c->rec.type != VMT_REC_REQUEST || c->rec.seq < c->seq_lo ||
		    c->rec.ts_ns < c->ts_lo)
			continue;
		if (vmt_event_decode(c->rec.data, c->rec.size, &c->ev))
			continue;    /* the import refuses such an entry too */
		return SQLITE_OK;
	}
	c->eof = 1;
	return ret < 0 ? SQLITE_IOERR : SQLITE_OK;
}

static int ev_filter(sqlite3_vtab_cursor *cur, int idx, const char *codes,
		     int argc, sqlite3_value **argv)
{
	struct ev_cursor *c = (struct ev_cursor *)cur;
	VMT_OPTS(vmt_reader_opts, ro);
	const char *path = argc ? (const char *)sqlite3_value_text(argv[0]) : NULL;
	int err;

	cur_reset(c);
	c->eof = 1;
	c->seq_lo = c->ts_lo = 0;
	c->seq_hi = c->ts_hi = UINT64_MAX;
	for (int i = 0; i < idx && i + 1 < argc; i++) {
		int op = (unsigned char)codes[2 * i + 1];
		sqlite3_int64 v = sqlite3_value_int64(argv[i + 1]);

		if (codes[2 * i] == 's')
			narrow(&c->seq_lo, &c->seq_hi, op, v);
		else
			narrow(&c->ts_lo, &c->ts_hi, op, v);
	}
	if (!path)
		return SQLITE_OK;
	c->trace = sqlite3_mprintf("%s", path);
	err = vmt_tmap_open(&c->map, path, &ro, &c->r);
	if (err) {
		sqlite3_free(cur->pVtab->zErrMsg);
		cur->pVtab->zErrMsg = sqlite3_mprintf("vmt_events: %s: %s", path,
						      vmt_strerror(err));
		return SQLITE_ERROR;
	}
	c->eof = 0;
	if (c->seq_lo > c->seq_hi || c->ts_lo > c->ts_hi) {
		c->eof = 1;
		return SQLITE_OK;
	}
	err = c->seq_lo ? vmt_reader_seek_seq(c->r, c->seq_lo) :
	      c->ts_lo ? vmt_reader_seek_ts(c->r, c->ts_lo) : 0;
	if (err < 0) {
		c->eof = 1;
		return SQLITE_OK;     /* nothing at or after the bound */
	}
	return ev_next(cur);
}

static int ev_eof(sqlite3_vtab_cursor *cur)
{
	return ((struct ev_cursor *)cur)->eof;
}

static void result_opt(sqlite3_context *ctx, int present, uint64_t v)
{
	if (present)
		sqlite3_result_int64(ctx, (sqlite3_int64)v);
	else
		sqlite3_result_null(ctx);
}

static void result_payload(sqlite3_context *ctx, const struct vmt_event *ev, int i)
{
	const struct vmt_detail *d = vmt_detail_of(ev->reason);

	if (!d->table || i >= d->nfields)
		sqlite3_result_null(ctx);
	else
		result_opt(ctx, ev->p_present >> d->fields[i] & 1, ev->p[d->fields[i]]);
}

static int ev_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	struct ev_cursor *c = (struct ev_cursor *)cur;
	const struct vmt_event *ev = &c->ev;
	const char *name;

	switch (col) {
	case C_SEQ: sqlite3_result_int64(ctx, (sqlite3_int64)c->rec.seq); break;
	case C_TS: sqlite3_result_int64(ctx, (sqlite3_int64)c->rec.ts_ns); break;
	case C_VCPU: sqlite3_result_int64(ctx, ev->vcpu_id); break;
	case C_REASON: sqlite3_result_int64(ctx, ev->reason); break;
	case C_REASON_NAME:
		name = vmt_reason_name(ev->reason);
		if (name)
			sqlite3_result_text(ctx, name, -1, SQLITE_STATIC);
		else
			sqlite3_result_text(ctx, sqlite3_mprintf("reason_%u", ev->reason), -1,
					    sqlite3_free);
		break;
	case C_FLAGS: sqlite3_result_int64(ctx, ev->flags); break;
	case C_ALTP2M: sqlite3_result_int64(ctx, ev->altp2m_idx); break;
	case C_VERSION: sqlite3_result_int64(ctx, ev->version); break;
	case C_ENTRY:
		sqlite3_result_blob(ctx, c->rec.data, (int)c->rec.size, SQLITE_TRANSIENT);
		break;
	case C_TRACE: sqlite3_result_text(ctx, c->trace, -1, SQLITE_TRANSIENT); break;
	default:
		if (col >= C_P1)
			result_payload(ctx, ev, col - C_P1);
		else
			result_opt(ctx, ev->reg_present >> vmt_key_regs[col - C_KEYREG] & 1,
				   ev->reg[vmt_key_regs[col - C_KEYREG]]);
	}
	return SQLITE_OK;
}

static int ev_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
	*rowid = (sqlite3_int64)((struct ev_cursor *)cur)->rec.seq;
	return SQLITE_OK;
}

static const sqlite3_module events_module = {
	.iVersion = 0,
	.xConnect = ev_connect,
	.xBestIndex = ev_best_index,
	.xDisconnect = ev_disconnect,
	.xOpen = ev_open,
	.xClose = ev_close,
	.xFilter = ev_filter,
	.xNext = ev_next,
	.xEof = ev_eof,
	.xColumn = ev_column,
	.xRowid = ev_rowid,
};

int vmt_vtab_register(sqlite3 *db)
{
	return sqlite3_create_module(db, "vmt_events", &events_module, NULL);
}
