/*
 * tabwriter.c - batched inserts into one table: rows queue up and go out
 * through one prepared "INSERT ... SELECT ... FROM vmt_rows(?1)" of nrows
 * rows, where vmt_rows is a virtual table that hands SQLite the queued
 * values straight from our cells (a lone row goes through a one-row
 * statement).  On the importer's events rows this takes 8 % fewer
 * instructions of the SQLite thread than a multi-row "VALUES (?,..),(..)"
 * of 512 parameters, which binds each value, copies it in a co-routine
 * and again into the insert's registers, and 31 % fewer than one-row
 * statements (BENCHMARKS.md "Replay").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "replay_int.h"

/* ---- vmt_rows: the queued rows as a table SQLite reads ---- */

#define ROWS_COLS 32         /* columns c0..c31, then the hidden src */

struct rows_cursor {
	sqlite3_vtab_cursor base;
	const struct vmt_tw *t;
	int row;
};

static int rows_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
			sqlite3_vtab **out, char **err)
{
	sqlite3_str *s = sqlite3_str_new(db);

	(void)aux, (void)argc, (void)argv, (void)err;
	sqlite3_str_appendall(s, "CREATE TABLE x(");
	for (int c = 0; c < ROWS_COLS; c++)
		sqlite3_str_appendf(s, "c%d,", c);
	sqlite3_str_appendall(s, "src HIDDEN)");
	return vmt_vtab_declare(db, s, out);
}

static int rows_disconnect(sqlite3_vtab *v)
{
	sqlite3_free(v);
	return SQLITE_OK;
}

/* Only "FROM vmt_rows(?)" with the table writer as a pointer value. */
static int rows_best(sqlite3_vtab *v, sqlite3_index_info *ii)
{
	(void)v;
	for (int i = 0; i < ii->nConstraint; i++)
		if (ii->aConstraint[i].usable && ii->aConstraint[i].iColumn == ROWS_COLS &&
		    ii->aConstraint[i].op == SQLITE_INDEX_CONSTRAINT_EQ) {
			ii->aConstraintUsage[i].argvIndex = 1;
			ii->aConstraintUsage[i].omit = 1;
			ii->estimatedCost = 1;
			return SQLITE_OK;
		}
	return SQLITE_CONSTRAINT;
}

static int rows_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
	struct rows_cursor *c = sqlite3_malloc(sizeof(*c));

	(void)v;
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	*out = &c->base;
	return SQLITE_OK;
}

static int rows_close(sqlite3_vtab_cursor *c)
{
	sqlite3_free(c);
	return SQLITE_OK;
}

static int rows_filter(sqlite3_vtab_cursor *vc, int idx, const char *idxs,
		       int argc, sqlite3_value **argv)
{
	struct rows_cursor *c = (struct rows_cursor *)vc;

	(void)idx, (void)idxs;
	c->t = argc ? sqlite3_value_pointer(argv[0], "vmt_tw") : NULL;
	c->row = 0;
	return SQLITE_OK;
}

static int rows_next(sqlite3_vtab_cursor *vc)
{
	((struct rows_cursor *)vc)->row++;
	return SQLITE_OK;
}

static int rows_eof(sqlite3_vtab_cursor *vc)
{
	const struct rows_cursor *c = (const struct rows_cursor *)vc;

	return !c->t || c->row >= c->t->n;
}

static int rows_column(sqlite3_vtab_cursor *vc, sqlite3_context *ctx, int i)
{
	const struct rows_cursor *c = (const struct rows_cursor *)vc;
	const struct vmt_tw *t = c->t;
	const struct vmt_cell *x = t->cells + (size_t)c->row * (size_t)t->ncols + i;
	const char *p = x->type >= VMT_CELL_BLOB && t->arena ?
				(const char *)t->arena + x->v : "";

	if (i >= t->ncols)
		sqlite3_result_null(ctx);
	else if (x->type == VMT_CELL_INT)
		sqlite3_result_int64(ctx, x->v);
	else if (x->type == VMT_CELL_BLOB)
		sqlite3_result_blob(ctx, p, (int)x->len, SQLITE_STATIC);
	else if (x->type == VMT_CELL_TEXT)
		sqlite3_result_text(ctx, p, (int)x->len, SQLITE_STATIC);
	return SQLITE_OK;
}

static int rows_rowid(sqlite3_vtab_cursor *vc, sqlite3_int64 *out)
{
	*out = ((const struct rows_cursor *)vc)->row;
	return SQLITE_OK;
}

static const sqlite3_module rows_module = {
	.xConnect = rows_connect, .xBestIndex = rows_best,
	.xDisconnect = rows_disconnect, .xOpen = rows_open, .xClose = rows_close,
	.xFilter = rows_filter, .xNext = rows_next, .xEof = rows_eof,
	.xColumn = rows_column, .xRowid = rows_rowid,
};

int vmt_tw_module(sqlite3 *db)
{
	int rc = sqlite3_create_module_v2(db, "vmt_rows", &rows_module, NULL, NULL);

	return rc == SQLITE_OK ? 0 : vmt_db_err(db, rc, "registering vmt_rows");
}

/* The text of the insert of the queued rows (@multi) or of one row; NULL
 * when out of memory. */
static char *insert_sql(sqlite3 *db, const char *table, const char *const *cols,
			int ncols, int multi)
{
	sqlite3_str *s = sqlite3_str_new(db);

	/*
	 * OR FAIL: a failed statement keeps the rows before the failure
	 * instead of undoing itself, so SQLite opens no statement journal
	 * (which copied every page a statement touched); the import rolls
	 * back its whole transaction on any failure anyway.
	 */
	sqlite3_str_appendf(s, "INSERT OR FAIL INTO %s (", table);
	for (int c = 0; c < ncols; c++)
		sqlite3_str_appendf(s, "%s\"%w\"", c ? "," : "", cols[c]);
	sqlite3_str_appendall(s, multi ? ") SELECT " : ") VALUES (");
	for (int c = 0; c < ncols; c++)
		if (multi)
			sqlite3_str_appendf(s, "%sc%d", c ? "," : "", c);
		else
			sqlite3_str_appendall(s, c ? ",?" : "?");
	sqlite3_str_appendall(s, multi ? " FROM vmt_rows(?1)" : ")");
	return sqlite3_str_finish(s);
}

/*
 * Statements are prepared when first run: most imports never write some
 * of the tables (lone responses, gaps, notes), and each prepare costs a
 * parse of the schema's table.
 */
static int prepared(struct vmt_tw *t, int multi, sqlite3_stmt **out)
{
	sqlite3_stmt **st = multi ? &t->multi : &t->one;
	int rc;

	if (!*st) {
		rc = sqlite3_prepare_v3(t->db, multi ? t->sql_multi : t->sql_one, -1,
					SQLITE_PREPARE_PERSISTENT, st, NULL);
		if (rc != SQLITE_OK) {
			vmt_log(VMT_LOG_ERROR, "preparing insert: %s", sqlite3_errmsg(t->db));
			return -EIO;
		}
	}
	*out = *st;
	return 0;
}

int vmt_tw_init(struct vmt_tw *t, sqlite3 *db, const char *table,
		const char *const *cols, int ncols, int nrows)
{
	*t = (struct vmt_tw){ .db = db, .ncols = ncols, .nrows = nrows };
	t->cells = calloc((size_t)ncols * (size_t)nrows, sizeof(*t->cells));
	if (nrows > 1 && ncols > ROWS_COLS)
		return -EINVAL;
	t->sql_multi = nrows > 1 ? insert_sql(db, table, cols, ncols, 1) : NULL;
	t->sql_one = insert_sql(db, table, cols, ncols, 0);
	if (t->cells && (t->sql_multi || nrows == 1) && t->sql_one)
		return 0;
	vmt_tw_free(t);
	return -ENOMEM;
}

void vmt_tw_free(struct vmt_tw *t)
{
	sqlite3_finalize(t->multi);
	sqlite3_finalize(t->one);
	sqlite3_free(t->sql_multi);
	sqlite3_free(t->sql_one);
	free(t->cells);
	free(t->arena);
	memset(t, 0, sizeof(*t));
}

static void bind_cell(struct vmt_tw *t, sqlite3_stmt *st, int i,
		      const struct vmt_cell *c)
{
	const char *p = c->type >= VMT_CELL_BLOB && t->arena ?
				(const char *)t->arena + c->v : "";

	if (c->type == VMT_CELL_INT)
		sqlite3_bind_int64(st, i, c->v);
	else if (c->type == VMT_CELL_BLOB)
		sqlite3_bind_blob(st, i, p, (int)c->len, SQLITE_STATIC);
	else if (c->type == VMT_CELL_TEXT)
		sqlite3_bind_text(st, i, p, (int)c->len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Inserts the n queued rows. */
static int run(struct vmt_tw *t, int n)
{
	const struct vmt_cell *c = t->cells;
	sqlite3_stmt *st;
	int rc = prepared(t, n > 1, &st);

	if (rc)
		return rc;
	if (n > 1)
		sqlite3_bind_pointer(st, 1, t, "vmt_tw", NULL);
	else
		for (int i = 0; i < t->ncols; i++)
			bind_cell(t, st, i + 1, &c[i]);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : vmt_db_err(t->db, rc, "insert");
}

int vmt_tw_flush(struct vmt_tw *t)
{
	int err = t->n ? run(t, t->n) : 0;

	t->n = 0;
	t->alen = 0;
	return err;
}

static int arena_put(struct vmt_tw *t, struct vmt_cell *c, const uint8_t *p)
{
	if (t->alen + c->len > t->acap) {
		size_t cap = t->acap ? t->acap : 4096;
		uint8_t *a;

		while (cap < t->alen + c->len)
			cap *= 2;
		a = realloc(t->arena, cap);
		if (!a)
			return -ENOMEM;
		t->arena = a;
		t->acap = cap;
	}
	if (c->len)
		memcpy(t->arena + t->alen, p + c->v, c->len);
	c->v = (int64_t)t->alen;
	t->alen += c->len;
	return 0;
}

int vmt_tw_add(struct vmt_tw *t, const struct vmt_cell *row,
	       const uint8_t *bytes)
{
	struct vmt_cell *c = t->cells + (size_t)t->n * (size_t)t->ncols;

	memcpy(c, row, sizeof(*c) * (size_t)t->ncols);
	for (int i = 0; i < t->ncols; i++) {
		int err = c[i].type >= VMT_CELL_BLOB ? arena_put(t, &c[i], bytes) : 0;

		if (err)
			return err;
	}
	return ++t->n == t->nrows ? vmt_tw_flush(t) : 0;
}
