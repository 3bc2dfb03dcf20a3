/*
 * db.c - the database side of replay: creating the schema compiled in from
 * schema.sql (everything before its "-- @indexes" line), checking the
 * user_version of an existing database, and building the indexes after a
 * bulk load (the lines after "-- @indexes").
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "replay_int.h"

extern const char vmt_schema_sql[];

#define INDEX_MARK "-- @indexes"

/*
 * Pages of a new database: large pages mean fewer, larger writes during a
 * bulk load and shallower trees for the scans analyze/ runs.
 */
#define PAGE_SIZE 65536

/*
 * The statement that failed is for whoever debugs vmtrail (-v); users get
 * SQLite's own words and a cause their scripts can test.  Our statements
 * are fixed, so a plain SQL error (no such table or column) means the file
 * is not the database they were written for.
 */
int vmt_db_err(sqlite3 *db, int rc, const char *what)
{
	int sys = sqlite3_system_errno(db);

	vmt_log(VMT_LOG_DEBUG, "sqlite: %s", what);
	vmt_log(VMT_LOG_ERROR, "sqlite: %s", sqlite3_errmsg(db));
	switch (rc & 0xff) {
	case SQLITE_FULL: return -ENOSPC;
	case SQLITE_NOMEM: return -ENOMEM;
	case SQLITE_NOTADB: case SQLITE_CORRUPT: case SQLITE_ERROR:
		return -VMT_E_VERSION;
	case SQLITE_READONLY: case SQLITE_PERM: case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_BUSY: case SQLITE_LOCKED: return -EBUSY;
	case SQLITE_CANTOPEN: case SQLITE_IOERR:
		return sys > 0 ? -sys : -EIO;
	default: return -EIO;
	}
}

int vmt_db_exec(sqlite3 *db, const char *sql)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : vmt_db_err(db, rc, sql);
}

int vmt_db_ensure_table(sqlite3 *db, const char *table)
{
	char head[96];
	const char *s, *e;
	int n = snprintf(head, sizeof(head), "CREATE TABLE IF NOT EXISTS %s (", table);

	s = strstr(vmt_schema_sql, head);
	e = s ? strchr(s, ';') : NULL;
	if (n <= 0 || !e)
		return -ENOENT;
	char *sql = sqlite3_mprintf("%.*s", (int)(e - s + 1), s);
	int err = sql ? vmt_db_exec(db, sql) : -ENOMEM;

	sqlite3_free(sql);
	return err;
}

static int query_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return vmt_db_err(db, rc, sql);
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : vmt_db_err(db, rc, sql);
}

static int create_schema(sqlite3 *db)
{
	const char *mark = strstr(vmt_schema_sql, INDEX_MARK);
	size_t n = mark ? (size_t)(mark - vmt_schema_sql) : strlen(vmt_schema_sql);
	/*
	 * With 64 KiB pages the schema's statement journal outgrows SQLite's
	 * in-memory limit and goes to a temporary file, opened and unlinked
	 * at once; a SIGINT between the two left it behind (the tool's
	 * handler exits at once).  In memory it is a few pages.
	 */
	char *sql = sqlite3_mprintf("PRAGMA temp_store=MEMORY;PRAGMA page_size=%d;BEGIN;"
				    "%.*sCOMMIT;PRAGMA temp_store=DEFAULT;", PAGE_SIZE,
				    (int)n, vmt_schema_sql);
	int err;

	if (!sql)
		return -ENOMEM;
	err = vmt_db_exec(db, sql);
	sqlite3_free(sql);
	if (err)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

/*
 * A database of another schema cannot be appended to nor read by this
 * version's queries; the way out is a new import, which its runs rows
 * make concrete: the trace files they came from.
 */
static int version_mismatch(sqlite3 *db, int64_t version)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *paths = NULL;

	if (version >= 1 && version < VMT_SCHEMA_VERSION &&
	    sqlite3_prepare_v2(db, "SELECT group_concat(trace_path, ' ') FROM runs",
			       -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		paths = sqlite3_column_text(st, 0);
	if (version >= 1 && version < VMT_SCHEMA_VERSION)
		vmt_log(VMT_LOG_ERROR, "%s: schema %lld, written by an older vmtrail-replay; "
			"this one reads schema %d: import the traces again into a new "
			"database (vmtrail-replay %s -o NEW.db)",
			sqlite3_db_filename(db, "main"), (long long)version,
			VMT_SCHEMA_VERSION, paths ? (const char *)paths : "TRACE...");
	else
		vmt_log(VMT_LOG_ERROR, "%s: schema %lld is not one this vmtrail reads (%d)",
			sqlite3_db_filename(db, "main"), (long long)version,
			VMT_SCHEMA_VERSION);
	sqlite3_finalize(st);
	return -VMT_E_VERSION;
}

/* The right user_version on a file whose tables are not ours (another
 * program's, or a damaged copy): said once, at open, naming the file. */
static int require_tables(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT 1 FROM runs, events, event_rows, "
				    "reasons, reg_blocks LIMIT 0", -1, &st, NULL);

	sqlite3_finalize(st);
	if (rc == SQLITE_OK)
		return 0;
	vmt_log(VMT_LOG_ERROR, "%s: schema %d, but %s", sqlite3_db_filename(db, "main"),
		VMT_SCHEMA_VERSION, sqlite3_errmsg(db));
	return -VMT_E_VERSION;
}

VMT_API int vmt_replay_db_init(struct sqlite3 *db)
{
	int64_t version, objects;
	int rc, err = query_int(db, "PRAGMA user_version", &version);

	if (!err)
		err = query_int(db, "SELECT count(*) FROM sqlite_schema", &objects);
	if (err)
		return err;
	/* the events view calls them: registered before it is read */
	if ((rc = vmt_sqlfunc_register(db)) != SQLITE_OK)
		return vmt_db_err(db, rc, "registering the SQL functions");
	if (!objects && !version)
		return create_schema(db);
	if (version != VMT_SCHEMA_VERSION)
		return version_mismatch(db, version);
	return require_tables(db);
}

/* A database one was asked to read is never given a schema: an empty file
 * or an empty SQLite database is not a vmtrail database. */
static int require_schema(sqlite3 *db)
{
	int64_t objects;
	int err = query_int(db, "SELECT count(*) FROM sqlite_schema", &objects);

	return err ? err : objects ? 0 : -VMT_E_VERSION;
}

VMT_API int vmt_replay_db_open(struct sqlite3 **out, const char *path,
			       int create)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
		    (create ? SQLITE_OPEN_CREATE : 0);
	int rc, err;

	*out = NULL;
	if (!create && strcmp(path, ":memory:") && access(path, F_OK))
		return -errno;
	rc = sqlite3_open_v2(path, out, flags, NULL);
	if (rc != SQLITE_OK) {
		err = *out ? vmt_db_err(*out, rc, path) : -ENOMEM;
		sqlite3_close(*out);
		*out = NULL;
		return err;
	}
	err = create ? 0 : require_schema(*out);
	if (!err)
		err = vmt_replay_db_init(*out);
	if (err) {
		sqlite3_close(*out);
		*out = NULL;
	}
	return err;
}

/*
 * SQLite sizes the sort buffer of CREATE INDEX by the page cache: a small
 * cache keeps the index build's memory flat (more, smaller sorted runs on
 * disk) whatever the number of rows.
 */
#define INDEX_CACHE "PRAGMA cache_size=-16384;"

VMT_API int vmt_replay_index(struct sqlite3 *db)
{
	const char *mark = strstr(vmt_schema_sql, INDEX_MARK);
	int err = vmt_db_exec(db, INDEX_CACHE);

	return !err && mark ? vmt_db_exec(db, mark) : err;
}
