/*
 * replay_int.h - library-internal pieces of libvmt_replay: the trace walker
 * every output shares (filters, response matching, gaps), the process
 * tracker, the batched table writer, and small text helpers.  Never
 * installed, never included outside replay/.
 */
#ifndef VMT_REPLAY_INT_H
#define VMT_REPLAY_INT_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

#include "vmt/format.h"
#include "vmt/replay.h"
#include "format_log.h"
#include "vmt_out.h"

#define VMT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The registers that get their own column in events, in column order. */
extern const enum vmt_reg vmt_key_regs[10];
/*
 * Those of them a reg_blocks row holds in its regs column (SCHEMA.md
 * "events, event_regs"); decoded, VMT_KR_BYTES an entry: a byte of which
 * ones the event has (bit j = vmt_block_regs[j]), then each value as 8
 * bytes little-endian (0 where absent).
 */
#define VMT_KR_N 7
#define VMT_KR_BYTES (1 + 8 * VMT_KR_N)
extern const enum vmt_reg vmt_block_regs[VMT_KR_N];

/* ---- runinfo.c: header texts ---- */

/* Calls @fn for each "k=v" of @labels; stops on a non-zero return. */
int vmt_labels_each(const char *labels,
		    int (*fn)(void *ctx, const char *k, size_t kn,
			      const char *v, size_t vn),
		    void *ctx);
/* Calls @fn for each "name[:params]" of @monitors. */
int vmt_monitors_each(const char *monitors,
		      int (*fn)(void *ctx, const char *name, size_t nn,
				const char *params, size_t pn),
		      void *ctx);
const char *vmt_end_cause_name(uint32_t cause);
/* A summary rebuilt from the chunks (no trailer) knows no end cause:
 * -1 and "none" (SCHEMA.md, runs.end_cause). */
int64_t vmt_summary_end_cause(const struct vmt_run_summary *s);
const char *vmt_summary_end_name(const struct vmt_run_summary *s);
const char *vmt_loss_cause_name(uint32_t cause);
/* UTC "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" of Unix ns @ns into @out[40]. */
void vmt_iso_time(uint64_t ns, char out[40]);

/* ---- detail tables: one per reason with payload fields ---- */

struct vmt_detail {
	const char *table;          /* NULL: the reason has no detail table */
	int nfields;
	enum vmt_pfield fields[8];
};
/* The detail table of @reason (a struct with table NULL if none). */
const struct vmt_detail *vmt_detail_of(uint32_t reason);
/* The timelines' arg name of payload field @f: its column name, or its
 * events_detail name (mem_access_flags, vmexit_reason) where the column
 * name is also an event arg (seq, reason, flags, a key register), so no
 * key repeats. */
const char *vmt_payload_arg_name(enum vmt_pfield f, char buf[64]);

/* ---- regmask.c: the bytes of an entry the events columns hold ---- */

/* Slots: vmt_key_regs[0..9], then p1..p4 of the entry's reason. */
#define VMT_MASK_REGS 10
#define VMT_MASK_P 4
#define VMT_MASK_N (VMT_MASK_REGS + VMT_MASK_P)
struct vmt_regmask {
	int16_t off[VMT_MASK_N];     /* -1: the layout lacks the slot */
	uint8_t width[VMT_MASK_N];
	uint8_t ready;
};
struct vmt_regmask_cache {
	struct vmt_regmask m[VMT_ABI_MAX - VMT_ABI_MIN + 1][VMT_REASON_COUNT + 1];
};
/* The slots of an entry of @version and @reason; NULL for an unknown
 * version (nothing is left out of such an entry). */
const struct vmt_regmask *vmt_regmask_of(struct vmt_regmask_cache *c,
					 uint32_t version, uint32_t reason);
/* Zeroes in @entry each slot i in @have whose bytes read back as vals[i]
 * (what the column holds); returns the slots zeroed. */
uint16_t vmt_regmask_apply(const struct vmt_regmask *m, uint8_t *entry,
			   size_t len, const uint64_t *vals, uint16_t have);
/* Writes vals[i] back into each slot i in @masked. */
void vmt_regmask_fill(const struct vmt_regmask *m, uint8_t *entry, size_t len,
		      const uint64_t *vals, uint16_t masked);

/* ---- walk.c: one pass over a trace with the filters applied ---- */

/* A stretch of the run that the trace does not hold. */
enum { VMT_G_FIRST_SEQ, VMT_G_LAST_SEQ, VMT_G_FIRST_NS, VMT_G_LAST_NS,
       VMT_G_COUNT, VMT_G_NV };
struct vmt_gap {
	const char *kind;           /* "damaged_chunk", "truncated", "loss" */
	int64_t chunk;              /* chunk index, -1 if none */
	uint64_t v[VMT_G_NV];
	unsigned known;             /* bit (1 << VMT_G_*) for each known v[] */
	char cause[96];
};

/* A response with what its request tells about it. */
struct vmt_walk_rsp {
	const struct vmt_event *ev;
	int64_t req_ordinal;        /* kept request's ordinal, -1 if unseen */
	uint64_t latency_ns;        /* valid when req_ordinal >= 0 */
	int has_set_regs;
	uint64_t set_regs;          /* registers changed vs the request */
};

/* Sink callbacks; any may be NULL; a non-zero return stops the walk. */
struct vmt_walk_ops {
	int (*event)(void *ctx, const struct vmt_record *rec,
		     const struct vmt_event *ev, uint64_t ordinal);
	int (*response)(void *ctx, const struct vmt_record *rec,
			const struct vmt_walk_rsp *rsp);
	int (*marker)(void *ctx, const struct vmt_record *rec);
	int (*note)(void *ctx, const struct vmt_record *rec);
	int (*ring_stats)(void *ctx, const struct vmt_record *rec,
			  const struct vmt_ring_stats *s);
	int (*gap)(void *ctx, const struct vmt_gap *g);
};

struct vmt_walk_req;

/* A trace file mapped for the reader, its pages dropped once read. */
struct vmt_tmap {
	void *p;
	size_t len;
	uint64_t released;
};
int vmt_tmap_open(struct vmt_tmap *m, const char *path,
		  const struct vmt_reader_opts *ro, struct vmt_reader **r);
void vmt_tmap_release(struct vmt_tmap *m, uint64_t upto);
/* Call after vmt_reader_close(). */
void vmt_tmap_close(struct vmt_tmap *m);

struct vmt_walk {
	struct vmt_reader *r;
	struct vmt_tmap map;
	struct vmt_import_opts o;   /* the caller's options, normalized */
	int filtered;               /* some filter is set */
	struct vmt_walk_req *recent; /* requests awaiting their response */
	uint64_t events, responses, markers, notes, ring_stats, skipped;
	uint64_t gaps, lost;
	uint64_t last_progress;
};

/* Opens @trace; copies and checks @opts (-EINVAL on a bad struct). */
int vmt_walk_open(struct vmt_walk *w, const char *trace,
		  const struct vmt_import_opts *opts,
		  struct vmt_import_result *res);
/* Runs the records, then reports the gaps of damaged chunks / cut end. */
int vmt_walk_run(struct vmt_walk *w, const struct vmt_walk_ops *ops, void *ctx);
void vmt_walk_result(const struct vmt_walk *w, struct vmt_import_result *res);
void vmt_walk_close(struct vmt_walk *w);

/* ---- procs.c: address-space residencies (SCHEMA.md "Processes") ---- */

struct vmt_proc {
	uint64_t cr3;
	int64_t id;
	uint32_t epoch;
	int used;
	uint64_t first_ns, last_ns, first_seq, last_seq, events;
};
struct vmt_procs {
	struct vmt_proc *tab;
	size_t cap, n;
	int64_t next_id;
	uint64_t idle_ns;
	int (*emit)(void *ctx, const struct vmt_proc *p);
	void *ctx;
};
int vmt_procs_init(struct vmt_procs *p, int64_t first_id, uint64_t idle_ns,
		   int (*emit)(void *ctx, const struct vmt_proc *p), void *ctx);
/* The process of @cr3 at @ts_ns, or a negative error from emit / -ENOMEM. */
int64_t vmt_procs_see(struct vmt_procs *p, uint64_t cr3, uint64_t ts_ns,
		      uint64_t seq);
/* Emits every residency still open. */
int vmt_procs_finish(struct vmt_procs *p);
void vmt_procs_free(struct vmt_procs *p);

/* ---- tabwriter.c: prepared multi-row inserts ---- */

enum { VMT_CELL_NULL, VMT_CELL_INT, VMT_CELL_BLOB, VMT_CELL_TEXT };
/* One value; for BLOB/TEXT @v is an offset into the owner's byte arena. */
struct vmt_cell {
	int64_t v;
	uint32_t len;
	uint8_t type;
};

struct vmt_tw {
	sqlite3 *db;
	sqlite3_stmt *multi, *one;    /* prepared on first use */
	char *sql_multi, *sql_one;
	int ncols, nrows, n;
	struct vmt_cell *cells;
	uint8_t *arena;
	size_t alen, acap;
};
int vmt_tw_init(struct vmt_tw *t, sqlite3 *db, const char *table,
		const char *const *cols, int ncols, int nrows);
/* Queues one row; @bytes holds the BLOB/TEXT cells' data. */
int vmt_tw_add(struct vmt_tw *t, const struct vmt_cell *row,
	       const uint8_t *bytes);
int vmt_tw_flush(struct vmt_tw *t);
/* Makes @db's inserts of more than one row work (the vmt_rows table). */
int vmt_tw_module(sqlite3 *db);
/* vtab_events.c: declares a virtual table of the schema in @schema
 * (consumed) and allocates it; an SQLite result code. */
int vmt_vtab_declare(sqlite3 *db, sqlite3_str *schema, sqlite3_vtab **out);
void vmt_tw_free(struct vmt_tw *t);

/* ---- runfacts.c: the run facts of the runs row and of --info ---- */

enum { VMT_FACT_HEADER, VMT_FACT_SUMMARY, VMT_FACT_INTEGRITY };
#define VMT_FACTS_MAX 64

struct vmt_fact {
	const char *name;        /* runs column and --info key */
	const char *runs_alias;  /* also a runs column under this name */
	const char *info_alias;  /* also an --info key under this name */
	const char *text;        /* NULL: a number */
	uint64_t num;
	uint8_t group, is_signed;
};

/* Storage for the facts' texts that are made, not read. */
struct vmt_fact_texts {
	char uuid[37], start[40], xen[300], fp[17];
};

/* Fills @out with the facts of @r's trace, in output order; their count. */
size_t vmt_run_facts(const struct vmt_reader *r, struct vmt_fact_texts *t,
		     struct vmt_fact out[VMT_FACTS_MAX]);

/* ---- runrow.c ---- */

int vmt_run_insert(sqlite3 *db, int64_t run_id, const struct vmt_walk *w,
		   const char *path, const char *uuid);
int vmt_run_pairs_insert(sqlite3 *db, int64_t run_id,
			 const struct vmt_trace_info *in);

/* ---- db.c / sqlfunc.c ---- */

int vmt_db_exec(sqlite3 *db, const char *sql);
/* Runs schema.sql's "CREATE TABLE IF NOT EXISTS @table" statement. */
int vmt_db_ensure_table(sqlite3 *db, const char *table);
int vmt_db_err(sqlite3 *db, int rc, const char *what);
/* vmt_reg(), vmt_field(), vmt_entry() and vmt_events(); an SQLite code.
 * sqlfunc.c and vtab_events.c are built into the library and, with
 * VMT_SQLITE_EXT, into the loadable extension (sqlext.c). */
int vmt_sqlfunc_register(sqlite3 *db);
int vmt_vtab_register(sqlite3 *db);

/* ---- sinks.c: the registry; sink_*.c: the streams it lists ---- */

/* What a server sink does (vmt_replay_dest_*() dispatch to it). */
struct vmt_server_ops {
	int (*open)(void **conn, const char *url);
	int (*load)(void *conn, const char *trace, const struct vmt_import_opts *opts,
		    struct vmt_import_result *res);
	const char *(*error)(const void *conn);
	const char *(*database)(const void *conn);
	void (*close)(void *conn);
};

struct vmt_sink {
	struct vmt_replay_sink pub;
	/* Streams: writes @w's records to @out; NULL for the others. */
	int (*run)(FILE *out, struct vmt_walk *w);
	/* Server sinks: their connection and loader; NULL for the others. */
	const struct vmt_server_ops *server;
};

extern const struct vmt_server_ops vmt_server_clickhouse;

int vmt_stream_jsonl(FILE *out, struct vmt_walk *w);
int vmt_stream_csv(FILE *out, struct vmt_walk *w);
int vmt_stream_chrome(FILE *out, struct vmt_walk *w);
int vmt_stream_perfetto(FILE *out, struct vmt_walk *w);

#endif
