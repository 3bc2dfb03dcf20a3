/*
 * load.h - runs out of vmtrail databases (analyze/ internal).
 */
#ifndef VMT_ANALYZE_LOAD_H
#define VMT_ANALYZE_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "analyze_int.h"

struct sqlite3;

/**
 * vmt_an_load() - reduce run @run_id of @db to counts per behaviour/phase
 * @name:        display name of the run
 * @with_spaces: also count events per address space (summary only)
 * @out:         OUT: the run (vmt_an_run_free())
 * Return: 0; -ENOENT if no such run; -EIO on SQL errors; -ENOMEM.
 */
int vmt_an_load(struct sqlite3 *db, int64_t run_id, const char *name,
		int with_spaces, struct vmt_an_run **out);

/** vmt_an_load_ledger() - paused vCPU time and gap time of a loaded run */
int vmt_an_load_ledger(struct sqlite3 *db, struct vmt_an_run *r);

/*
 * Run references as the CLI takes them (analyze/README.md "Naming runs"):
 * TRACE, DB, DB:RUN_ID, or a bare RUN_ID inside the --db database.
 */
struct vmt_an_srcs;

int vmt_an_srcs_new(struct vmt_an_srcs **out, const char *default_db);
void vmt_an_srcs_free(struct vmt_an_srcs *s);

/**
 * vmt_an_resolve() - queue every run one comma-separated list names
 * (traces are imported now); vmt_an_srcs_load() loads them
 * @runs, @n: where the loaded runs will be appended, in list order
 * @why:      OUT: on failure, "FILE: problem" for the user
 * Return: 0 or a negative error (with @why filled).
 */
int vmt_an_resolve(struct vmt_an_srcs *s, const char *list, int with_spaces,
		   struct vmt_an_run ***runs, size_t *n, char *why, size_t cap);

/**
 * vmt_an_srcs_load() - load the queued runs, up to VMT_AN_LOADERS at once
 * (one thread and one SQLite connection each), and append them where
 * vmt_an_resolve() was told
 * Return: 0, or the first failure (with @why filled).
 */
int vmt_an_srcs_load(struct vmt_an_srcs *s, char *why, size_t cap);
/** vmt_an_srcs_spill() - each run vmt_an_srcs_load() loads goes to disk at
 * once (vmt_an_spill(), for a diff): the loads then hold at most
 * VMT_AN_LOADERS runs' tables, not every run's */
void vmt_an_srcs_spill(struct vmt_an_srcs *s);
#define VMT_AN_LOADERS 4

/*
 * The phase bookkeeping of vmt_an_load(), for loaders of other sources
 * (load_ch.c): phase ids by name in order of first appearance, and each
 * vCPU's moves between phases, which give every phase its start and its
 * exposure (analyze/README.md "Phases").
 */
int vmt_an_phase_id(struct vmt_an_run *r, const char *name);
struct vmt_an_tracker;
struct vmt_an_tracker *vmt_an_tracker_new(uint32_t vcpus);
void vmt_an_tracker_move(struct vmt_an_tracker *t, struct vmt_an_run *r,
			 uint32_t v, int phase, uint64_t ts);
/** vmt_an_tracker_end() - close every vCPU's phase at @end (exposures), free */
void vmt_an_tracker_end(struct vmt_an_tracker *t, struct vmt_an_run *r, uint64_t end);

/*
 * Runs in ClickHouse (load_ch.c, replay/CLICKHOUSE.md).  RUNS is a
 * comma-separated list of run UUIDs, run ids and label:KEY=VALUE (every
 * run carrying that label); the counts are computed by the server.
 */
struct vmt_ch;
int vmt_an_ch_resolve(struct vmt_ch *c, const char *list, int with_spaces,
		      struct vmt_an_run ***runs, size_t *n, char *why, size_t cap);
/**
 * vmt_an_ch_resolve_diff() - both sides of a diff: as vmt_an_ch_resolve(),
 * except that keys seen fewer times in all these runs together than the
 * rare floor (vmt_an_rare_floor() of @opts) are summed per phase into
 * VMT_AN_RARE by the server: client memory follows the keys that can
 * matter, not every key the runs ever saw.
 */
int vmt_an_ch_resolve_diff(struct vmt_ch *c, const char *base, const char *cand,
			   const struct vmt_an_cmp_opts *opts, struct vmt_an_run ***b,
			   size_t *nb, struct vmt_an_run ***cc, size_t *nc, char *why,
			   size_t cap);
/** vmt_an_ch_ledger() - vmt_an_load_ledger() for a run loaded from @c */
int vmt_an_ch_ledger(struct vmt_ch *c, struct vmt_an_run *r);

#endif
