/*
 * import_file.c - vmt_replay_import_file(): imports that never leave a half
 * database under the final name and never lose a run.  The work happens in
 * a temporary file beside the database (a fresh database, or a copy of the
 * existing one made with SQLite's backup API so a WAL database is copied
 * whole), renamed into place only when every trace and the index build
 * succeeded:
 *  - a new database is published without replacing anything that
 *    appeared at its path meanwhile;
 *  - an append holds an exclusive flock() on the database from before the
 *    copy until after the rename, so concurrent appends run one after the
 *    other and each sees the runs of the one before; the copy keeps the
 *    database's mode and owner, and a symlinked database stays a symlink
 *    (the file it names is replaced).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay_int.h"
#include "vmt_files.h"

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

/* Opens @tmp (created empty, 0600) as a fresh database, a copy of
 * @db_path when appending. */
static int open_tmp(sqlite3 **db, const char *tmp, const char *db_path,
		    int append)
{
	int rc, err;

	vmt_tmp_db(tmp, 1);
	rc = sqlite3_open_v2(tmp, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
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

/*
 * Locks the database file an append replaces.  Another append may have
 * renamed a new file over the path while we waited: then lock that one.
 * O_RDWR: a database we may not write is refused here, not bypassed by
 * the rename.
 */
static int lock_target(const char *path, struct stat *st)
{
	for (;;) {
		struct stat now;
		int fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);

		if (fd < 0)
			return -errno;
		if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
			int err = S_ISREG(st->st_mode) ? -errno : -EINVAL;
			close(fd);
			return err;
		}
		if (flock(fd, LOCK_EX)) {
			int err = -errno;
			close(fd);
			return err;
		}
		if (!stat(path, &now) && now.st_dev == st->st_dev &&
		    now.st_ino == st->st_ino)
			return fd;
		close(fd);
	}
}

/* The copy takes the database's mode and owner (or the append is refused:
 * it would change who may read the runs). */
static int keep_mode(int fd, const struct stat *st)
{
	if ((st->st_uid != geteuid() || st->st_gid != getegid()) &&
	    fchown(fd, st->st_uid, st->st_gid))
		return -errno;
	return fchmod(fd, st->st_mode & 07777) ? -errno : 0;
}

/* Where the work happens and what it will replace: @target is @db_path,
 * or with @append the file a symlink names. */
static int prepare(const char *db_path, int append, char *target,
		   char *tmp, int *lock_fd)
{
	struct stat st;
	int fd, err;

	*lock_fd = -1;
	if (!append) {
		if (!lstat(db_path, &st))
			return -EEXIST;
		snprintf(target, PATH_MAX, "%s", db_path);
		fd = vmt_tmp_beside(tmp, PATH_MAX, target);
		if (fd < 0)
			return fd;
		close(fd);
		return 0;
	}
	if (!realpath(db_path, target))
		return -errno;
	*lock_fd = lock_target(target, &st);
	if (*lock_fd < 0)
		return *lock_fd;
	fd = vmt_tmp_beside(tmp, PATH_MAX, target);
	if (fd < 0)
		return fd;
	err = keep_mode(fd, &st);
	close(fd);
	return err;
}

static int publish(const char *tmp, const char *target, int append)
{
	if (!append)
		return vmt_publish_new(tmp, target);
	return rename(tmp, target) ? -errno : 0;
}

VMT_API int vmt_replay_import_file(const char *db_path,
				   const char *const *traces, size_t ntraces,
				   int append,
				   const struct vmt_import_opts *opts,
				   struct vmt_import_result *res, int *failed)
{
	char *target = malloc(PATH_MAX), *tmp = calloc(1, PATH_MAX);
	sqlite3 *db = NULL;
	int dummy, err, lock_fd = -1;

	failed = failed ? failed : &dummy;
	*failed = -1;
	err = target && tmp ? prepare(db_path, append, target, tmp, &lock_fd) :
			      -ENOMEM;
	if (!err)
		err = open_tmp(&db, tmp, target, append);
	if (!err)
		err = import_all(db, traces, ntraces, opts, res, failed);
	if (db && sqlite3_close(db) != SQLITE_OK && !err)
		err = -EIO;
	if (!err)
		err = publish(tmp, target, append);
	if (err && tmp && tmp[0])
		unlink(tmp);
	if (tmp && tmp[0]) {
		vmt_tmp_forget(tmp);
		vmt_tmp_db(tmp, 0);
	}
	if (lock_fd >= 0)
		close(lock_fd);   /* releases the lock, after the rename */
	free(target);
	free(tmp);
	return err;
}
