/*
 * import_file.c - vmt_replay_import_file(): imports that never leave a half
 * database under the final name.  The work happens in "<db>.tmp-<pid>" (a
 * fresh database, or a copy of the existing one made with SQLite's backup
 * API so a WAL database is copied whole) and is renamed over <db> only
 * when every trace and the index build succeeded.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay_int.h"

static int copy_db(const char *from, sqlite3 *to)
{
	sqlite3 *src;
	sqlite3_backup *b;
	int rc = sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL);

	if (rc != SQLITE_OK) {
		int err = vmt_db_err(src, rc, from);

		sqlite3_close(src);
		return err;
	}
	b = sqlite3_backup_init(to, "main", src, "main");
	rc = b ? sqlite3_backup_step(b, -1) : sqlite3_errcode(to);
	if (b)
		sqlite3_backup_finish(b);
	rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	if (rc != SQLITE_OK)
		vmt_db_err(to, rc, from);
	sqlite3_close(src);
	return rc == SQLITE_OK ? 0 : (rc == SQLITE_NOTADB ? -VMT_E_VERSION : -EIO);
}

/* Opens @tmp as a fresh file, a copy of @db_path when appending. */
static int open_tmp(sqlite3 **db, const char *tmp, const char *db_path,
		    int append)
{
	int rc, err;

	unlink(tmp);
	rc = sqlite3_open_v2(tmp, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK)
		return *db ? vmt_db_err(*db, rc, tmp) : -ENOMEM;
	err = append ? copy_db(db_path, *db) : 0;
	return err ? err : vmt_replay_db_init(*db);
}

static int import_all(sqlite3 *db, const char *const *traces, size_t n,
		      const struct vmt_import_opts *opts,
		      struct vmt_import_result *res, int *failed)
{
	for (size_t i = 0; i < n; i++) {
		int err = vmt_replay_import(db, traces[i], opts, res ? &res[i] : NULL);

		if (err) {
			*failed = (int)i;
			return err;
		}
	}
	return vmt_replay_index(db);
}

VMT_API int vmt_replay_import_file(const char *db_path,
				   const char *const *traces, size_t ntraces,
				   int append,
				   const struct vmt_import_opts *opts,
				   struct vmt_import_result *res, int *failed)
{
	sqlite3 *db = NULL;
	char *tmp;
	int dummy, err;

	failed = failed ? failed : &dummy;
	*failed = -1;
	if (access(db_path, F_OK) == 0 && !append)
		return -EEXIST;
	if (append && access(db_path, F_OK))
		return -errno;
	tmp = sqlite3_mprintf("%s.tmp-%d", db_path, (int)getpid());
	if (!tmp)
		return -ENOMEM;
	err = open_tmp(&db, tmp, db_path, append);
	if (!err)
		err = import_all(db, traces, ntraces, opts, res, failed);
	if (sqlite3_close(db) != SQLITE_OK && !err)
		err = -EIO;
	if (!err && rename(tmp, db_path))
		err = -errno;
	if (err)
		unlink(tmp);
	sqlite3_free(tmp);
	return err;
}
