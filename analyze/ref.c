/*
 * ref.c - naming runs on the command line: a trace (imported into one
 * temporary database through libvmt_replay), a database (all its runs),
 * DB:RUN_ID, or a bare RUN_ID inside the --db database
 * (analyze/README.md "Naming runs").
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "load.h"
#include "vmt/replay.h"
#include "vmt_files.h"

struct opened {
	char *path;
	sqlite3 *db;
};

/* A run to load, and where its result goes. */
struct job {
	sqlite3 *db;             /* the shared connection (kept in the run) */
	char *path;              /* for a private connection of the loader */
	int64_t id;
	char *name;
	int spaces;
	struct vmt_an_run ***dest;
	size_t *ndest;
	struct vmt_an_run *run;
	int err;
};

struct vmt_an_srcs {
	char *default_db;
	struct opened *dbs;
	size_t ndb;
	sqlite3 *tmp;
	char tmp_path[PATH_MAX];
	struct job *jobs;
	size_t njobs, next;
	int spill;              /* each run's counts to disk once loaded */
	pthread_mutex_t lock;
};

int vmt_an_srcs_new(struct vmt_an_srcs **out, const char *default_db)
{
	struct vmt_an_srcs *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	if (default_db && !(s->default_db = strdup(default_db))) {
		free(s);
		return -ENOMEM;
	}
	pthread_mutex_init(&s->lock, NULL);
	*out = s;
	return 0;
}

void vmt_an_srcs_free(struct vmt_an_srcs *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ndb; i++) {
		sqlite3_close(s->dbs[i].db);
		free(s->dbs[i].path);
	}
	if (s->tmp) {
		sqlite3_close(s->tmp);
		unlink(s->tmp_path);
		vmt_tmp_db(s->tmp_path, 0);
	}
	for (size_t i = 0; i < s->njobs; i++) {
		free(s->jobs[i].path);
		free(s->jobs[i].name);
		vmt_an_run_free(s->jobs[i].run);
	}
	free(s->jobs);
	pthread_mutex_destroy(&s->lock);
	free(s->dbs);
	free(s->default_db);
	free(s);
}

static int is_number(const char *t)
{
	if (!*t)
		return 0;
	for (; *t; t++)
		if (!isdigit((unsigned char)*t))
			return 0;
	return 1;
}

/* Traces open with 0x89 'V' 'M' 'T' (format/SPEC.md "Header"). */
static int is_trace(const char *path)
{
	unsigned char m[4] = {0};
	FILE *f = fopen(path, "rb");
	size_t got;

	if (!f)
		return 0;
	got = fread(m, 1, sizeof(m), f);
	fclose(f);
	return got == 4 && m[0] == 0x89 && m[1] == 'V' && m[2] == 'M' && m[3] == 'T';
}

static int open_db(struct vmt_an_srcs *s, const char *path, sqlite3 **db,
		   char *why, size_t cap)
{
	struct opened *o;
	int err;

	for (size_t i = 0; i < s->ndb; i++)
		if (!strcmp(s->dbs[i].path, path)) {
			*db = s->dbs[i].db;
			return 0;
		}
	err = vmt_replay_db_open(db, path, 0);
	if (err) {
		snprintf(why, cap, "%s: %s", path,
			 err == -VMT_E_VERSION ? "not a vmtrail database (or another schema version)"
					       : vmt_strerror(err));
		return err;
	}
	o = realloc(s->dbs, (s->ndb + 1) * sizeof(*o));
	if (!o) {
		sqlite3_close(*db);
		return -ENOMEM;
	}
	s->dbs = o;
	o[s->ndb].db = *db;
	o[s->ndb].path = strdup(path);
	if (!o[s->ndb].path) {
		sqlite3_close(*db);
		return -ENOMEM;
	}
	s->ndb++;
	return 0;
}

static int64_t run_of_uuid(sqlite3 *db, const char *uuid)
{
	sqlite3_stmt *st;
	int64_t id = -1;

	if (sqlite3_prepare_v2(db, "SELECT run_id FROM runs WHERE uuid = ?1", -1,
			       &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

static int import_trace(struct vmt_an_srcs *s, const char *path, int64_t *run,
			char *why, size_t cap)
{
	struct vmt_import_result res;
	int err, fd;

	if (!s->tmp) {
		const char *dir = getenv("TMPDIR");

		if (snprintf(s->tmp_path, sizeof(s->tmp_path),
			     "%s/vmtrail-analyze-XXXXXX", dir && *dir ? dir : "/tmp") >=
		    (int)sizeof(s->tmp_path)) {
			snprintf(why, cap, "TMPDIR is too long for a file name");
			return -ENAMETOOLONG;
		}
		fd = mkstemp(s->tmp_path);
		if (fd >= 0)
			vmt_tmp_db(s->tmp_path, 1);
		if (fd < 0) {
			snprintf(why, cap, "%s: cannot create a temporary database: %s",
				 s->tmp_path, strerror(errno));
			return -errno;
		}
		close(fd);
		err = vmt_replay_db_open(&s->tmp, s->tmp_path, 1);
		if (err) {
			unlink(s->tmp_path);
			vmt_tmp_db(s->tmp_path, 0);
			s->tmp = NULL;
			snprintf(why, cap, "%s: %s", s->tmp_path, vmt_strerror(err));
			return err;
		}
	}
	memset(&res, 0, sizeof(res));
	/* one thread: a short-lived import gains nothing from a decoder
	 * thread and loses to scheduling on a busy machine */
	err = vmt_replay_import(s->tmp, path, &(struct vmt_import_opts){
		.sz = sizeof(struct vmt_import_opts), .single_thread = 1}, &res);
	if (err == -EEXIST) /* the same trace named twice */
		err = (*run = run_of_uuid(s->tmp, res.uuid)) < 0 ? -ENOENT : 0;
	else if (!err)
		*run = res.run_id;
	if (!err)
		err = vmt_replay_index(s->tmp);
	if (err)
		snprintf(why, cap, "%s: cannot import the trace: %s", path,
			 vmt_strerror(err));
	return err;
}

/* Queue run @id of @db (opened from @path); vmt_an_srcs_load() loads it. */
static int load_one(struct vmt_an_srcs *s, sqlite3 *db, const char *path,
		    int64_t id, const char *name, int spaces,
		    struct vmt_an_run ***runs, size_t *n)
{
	struct job *j = realloc(s->jobs, (s->njobs + 1) * sizeof(*j));

	if (!j)
		return -ENOMEM;
	s->jobs = j;
	j = &j[s->njobs];
	memset(j, 0, sizeof(*j));
	j->db = db;
	j->id = id;
	j->spaces = spaces;
	j->dest = runs;
	j->ndest = n;
	j->path = strdup(path);
	j->name = strdup(name);
	if (!j->path || !j->name) {
		free(j->path);
		free(j->name);
		return -ENOMEM;
	}
	s->njobs++;
	return 0;
}

static int load_all(struct vmt_an_srcs *s, sqlite3 *db, const char *path, int spaces,
		    struct vmt_an_run ***runs, size_t *n, char *why, size_t cap)
{
	sqlite3_stmt *st;
	int64_t *ids = NULL;
	size_t nid = 0;
	int err = 0;

	if (sqlite3_prepare_v2(db, "SELECT run_id FROM runs ORDER BY run_id", -1,
			       &st, NULL) != SQLITE_OK) {
		snprintf(why, cap, "%s: %s", path, sqlite3_errmsg(db));
		return -EIO;
	}
	while (!err && sqlite3_step(st) == SQLITE_ROW) {
		int64_t *v = realloc(ids, (nid + 1) * sizeof(*v));

		if (!v)
			err = -ENOMEM;
		else
			(ids = v)[nid++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (!err && !nid) {
		snprintf(why, cap, "%s: the database holds no run", path);
		err = -ENOENT;
	}
	for (size_t i = 0; !err && i < nid; i++) {
		char name[512];

		snprintf(name, sizeof(name), "%s:%" PRId64, path, ids[i]);
		err = load_one(s, db, path, ids[i], name, spaces, runs, n);
	}
	free(ids);
	return err;
}

static int resolve_one(struct vmt_an_srcs *s, const char *item, int spaces,
		       struct vmt_an_run ***runs, size_t *n, char *why, size_t cap)
{
	struct stat sb;
	sqlite3 *db;
	const char *colon = strrchr(item, ':');
	int64_t id = 0;
	int err;

	/* With --db a bare number is a run id even if a file has that name
	 * (./3 names the file). */
	if (is_number(item) && s->default_db) {
		char name[512];

		err = open_db(s, s->default_db, &db, why, cap);
		snprintf(name, sizeof(name), "%s:%s", s->default_db, item);
		return err ? err : load_one(s, db, s->default_db, strtoll(item, NULL, 10),
					    name, spaces, runs, n);
	}
	if (!stat(item, &sb)) {
		err = vmt_input_check(item);
		if (err) {
			snprintf(why, cap, "%s: cannot read %s", item,
				 vmt_file_kind(item));
			return err;
		}
		if (is_trace(item)) {
			err = import_trace(s, item, &id, why, cap);
			return err ? err : load_one(s, s->tmp, s->tmp_path, id, item, spaces,
						    runs, n);
		}
		err = open_db(s, item, &db, why, cap);
		return err ? err : load_all(s, db, item, spaces, runs, n, why, cap);
	}
	if (colon && is_number(colon + 1)) {
		char path[4096];

		snprintf(path, sizeof(path), "%.*s", (int)(colon - item), item);
		err = open_db(s, path, &db, why, cap);
		return err ? err : load_one(s, db, path, strtoll(colon + 1, NULL, 10), item,
					    spaces, runs, n);
	}
	snprintf(why, cap, "%s: %s", item, is_number(item)
		 ? "a bare run id needs --db FILE" : "no such file");
	return -ENOENT;
}

int vmt_an_resolve(struct vmt_an_srcs *s, const char *list, int with_spaces,
		   struct vmt_an_run ***runs, size_t *n, char *why, size_t cap)
{
	char *copy = strdup(list), *save = NULL, *item;
	int err = copy ? 0 : -ENOMEM;

	for (item = copy ? strtok_r(copy, ",", &save) : NULL; !err && item;
	     item = strtok_r(NULL, ",", &save))
		err = resolve_one(s, item, with_spaces, runs, n, why, cap);
	free(copy);
	return err;
}

/* ---- loading the queued runs, in parallel ---------------------------------- */

/* Each loader has its own connection: SQLite runs one statement at a time
 * per connection, and the scans are CPU-bound. */
static void *loader(void *arg)
{
	struct vmt_an_srcs *s = arg;

	for (;;) {
		struct job *j;
		sqlite3 *db;

		pthread_mutex_lock(&s->lock);
		j = s->next < s->njobs ? &s->jobs[s->next++] : NULL;
		pthread_mutex_unlock(&s->lock);
		if (!j)
			return NULL;
		j->err = vmt_replay_db_open(&db, j->path, 0);
		if (j->err)
			continue;
		j->err = vmt_an_load(db, j->id, j->name, j->spaces, &j->run);
		sqlite3_close(db);
		if (!j->err && s->spill)
			j->err = vmt_an_spill(j->run);
		if (!j->err)
			j->run->db = j->db;
	}
}

static int deliver(struct job *j, char *why, size_t cap)
{
	struct vmt_an_run **v;

	if (j->err) {
		snprintf(why, cap, "%s: %s", j->name, j->err == -ENOENT
			 ? "no such run in the database" : vmt_strerror(j->err));
		return j->err;
	}
	v = realloc(*j->dest, (*j->ndest + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	v[(*j->ndest)++] = j->run;
	*j->dest = v;
	j->run = NULL;
	return 0;
}

void vmt_an_srcs_spill(struct vmt_an_srcs *s)
{
	s->spill = 1;
}

int vmt_an_srcs_load(struct vmt_an_srcs *s, char *why, size_t cap)
{
	pthread_t tid[VMT_AN_LOADERS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = cpus > 1 ? (size_t)cpus : 1, started = 0;
	int err = 0;

	if (nt > VMT_AN_LOADERS)
		nt = VMT_AN_LOADERS;
	if (nt > s->njobs)
		nt = s->njobs;
	/* the calling thread is a loader too */
	for (size_t i = 1; i < nt; i++)
		if (!pthread_create(&tid[started], NULL, loader, s))
			started++;
	loader(s);
	for (size_t i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	for (size_t i = 0; !err && i < s->njobs; i++)
		err = deliver(&s->jobs[i], why, cap);
	return err;
}
