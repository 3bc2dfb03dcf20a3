/*
 * tabwriter.c - batched inserts into one table: rows queue up and go out
 * through one prepared "INSERT ... VALUES (...),(...),..." statement of
 * nrows rows, which costs SQLite far fewer VDBE steps per row than a
 * one-row statement; the tail goes through the one-row statement.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "replay_int.h"

/* The text of an insert of @nrows rows; NULL when out of memory. */
static char *insert_sql(sqlite3 *db, const char *table, const char *const *cols,
			int ncols, int nrows)
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
	sqlite3_str_appendall(s, ") VALUES ");
	for (int r = 0; r < nrows; r++) {
		sqlite3_str_appendall(s, r ? ",(" : "(");
		for (int c = 0; c < ncols; c++)
			sqlite3_str_appendall(s, c ? ",?" : "?");
		sqlite3_str_appendchar(s, 1, ')');
	}
	return sqlite3_str_finish(s);
}

/*
 * Statements are prepared when first run: parsing a statement of hundreds
 * of parameters costs more than a small trace's whole import, and most
 * imports never touch most detail tables.
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
	t->sql_multi = insert_sql(db, table, cols, ncols, nrows);
	t->sql_one = insert_sql(db, table, cols, ncols, 1);
	if (t->cells && t->sql_multi && t->sql_one)
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

/* Binds rows [first, first + n) to the n-row statement and runs it. */
static int run(struct vmt_tw *t, int first, int n)
{
	const struct vmt_cell *c = t->cells + (size_t)first * (size_t)t->ncols;
	sqlite3_stmt *st;
	int rc = prepared(t, n > 1, &st);

	if (rc)
		return rc;
	for (int i = 0; i < n * t->ncols; i++)
		bind_cell(t, st, i + 1, &c[i]);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : vmt_db_err(t->db, rc, "insert");
}

int vmt_tw_flush(struct vmt_tw *t)
{
	int err = 0;

	if (t->n == t->nrows)
		err = run(t, 0, t->n);
	else
		for (int r = 0; !err && r < t->n; r++)
			err = run(t, r, 1);
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
