/*
 * sqlfunc.c - SQL functions over event_regs.entry (SCHEMA.md "events,
 * event_regs"): vmt_reg(entry, 'name') and vmt_field(entry, 'name') decode
 * the raw ring entry with format/'s decoder table.  The name lookup is
 * cached per statement with sqlite3_set_auxdata().
 */
#include <stdlib.h>
#include <string.h>

#include "replay_int.h"

/* Column id of @name for a name table of @n entries, or -1. */
static int name_id(sqlite3_context *ctx, sqlite3_value *arg,
		   const char *(*name_of)(int), int n)
{
	int *cached = sqlite3_get_auxdata(ctx, 1);
	const char *name = (const char *)sqlite3_value_text(arg);
	int id = -1;

	if (cached)
		return *cached;
	for (int i = 0; name && i < n; i++)
		if (name_of(i) && !strcmp(name, name_of(i)))
			id = i;
	cached = malloc(sizeof(*cached));
	if (cached) {
		*cached = id;
		sqlite3_set_auxdata(ctx, 1, cached, free);
	}
	return id;
}

static const char *reg_name(int i)
{
	return vmt_reg_name((enum vmt_reg)i);
}

/* vmt_field() names are per reason: find the field of this reason. */
static int pfield_for(const struct vmt_event *ev, const char *name)
{
	const struct vmt_detail *d = vmt_detail_of(ev->reason);

	for (int i = 0; name && i < d->nfields; i++)
		if (!strcmp(name, vmt_pfield_name(d->fields[i])))
			return d->fields[i];
	return -1;
}

static int decode_arg(sqlite3_value *v, struct vmt_event *ev)
{
	const void *p = sqlite3_value_blob(v);
	int n = sqlite3_value_bytes(v);

	return p && n > 0 ? vmt_event_decode(p, (size_t)n, ev) : -1;
}

static void fn_reg(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct vmt_event ev;
	int id = name_id(ctx, argv[1], reg_name, VMT_REG_COUNT);

	if (id < 0 || decode_arg(argv[0], &ev) || !(ev.reg_present >> id & 1))
		sqlite3_result_null(ctx);
	else
		sqlite3_result_int64(ctx, (sqlite3_int64)ev.reg[id]);
}

static void fn_field(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct vmt_event ev;
	int id;

	if (decode_arg(argv[0], &ev)) {
		sqlite3_result_null(ctx);
		return;
	}
	id = pfield_for(&ev, (const char *)sqlite3_value_text(argv[1]));
	if (id < 0 || !(ev.p_present >> id & 1))
		sqlite3_result_null(ctx);
	else
		sqlite3_result_int64(ctx, (sqlite3_int64)ev.p[id]);
}

int vmt_sqlfunc_register(sqlite3 *db)
{
	int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
	int rc = sqlite3_create_function(db, "vmt_reg", 2, flags, NULL, fn_reg,
					 NULL, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db, "vmt_field", 2, flags, NULL,
					     fn_field, NULL, NULL);
	return rc == SQLITE_OK ? 0 : vmt_db_err(db, rc, "registering vmt_reg");
}
