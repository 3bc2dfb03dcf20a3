/*
 * vmt/replay.h - traces into SQLite (replay/schema.sql, SCHEMA.md) and into
 * JSONL / CSV / Chrome trace-event streams.
 *
 * The library never prints or exits; every call returns 0 / a count or a
 * negative errno / -VMT_E_* (vmt/error.h).  The database handle is SQLite's
 * own (struct sqlite3 is sqlite3.h's `sqlite3`), so callers may run any SQL
 * on it; they include <sqlite3.h> themselves.
 */
#ifndef VMT_REPLAY_H
#define VMT_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmt/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sqlite3;

/* PRAGMA user_version of the schema this library writes. */
#define VMT_SCHEMA_VERSION 4

/* How a --from / --to bound is expressed. */
enum vmt_bound {
	VMT_BOUND_NONE = 0,
	VMT_BOUND_SEQ = 1,   /* sequence number (inclusive) */
	VMT_BOUND_NS = 2,    /* ns since the trace's clock origin (inclusive) */
};

/* Where a walk over a trace is: bytes of the file, requests kept. */
struct vmt_progress {
	uint64_t done;
	uint64_t total;
	uint64_t requests;
};

/**
 * struct vmt_import_opts - sized options (build with VMT_OPTS())
 * @strict:      any damage (bad chunk, cut file, missing trailer) fails the
 *               import with -VMT_E_DAMAGED and nothing is kept
 * @from_kind, @from: first record kept (enum vmt_bound)
 * @to_kind, @to:     last record kept
 * @reason_mask: keep requests whose reason code r < 64 has bit (1 << r);
 *               0 keeps every reason (codes >= 64 are kept only then)
 * @vcpus, @nvcpus: keep only these vCPUs; NULL / 0 keeps all
 * @no_regs:     do not fill event_regs (faster, smaller database)
 * @single_thread: decode and insert in the caller's thread (default: a
 *               decoder thread feeds the SQLite thread)
 * @process_idle_ns: a CR3 unseen for longer than this starts a new process
 *               epoch when it is seen again (default 1 s; SCHEMA.md)
 * @progress:    called now and then with bytes of the trace consumed and
 *               the file size; from the importing thread
 * @progress_ctx: passed back to @progress and @on_progress
 * @on_progress: when set, called instead of @progress, with the requests
 *               kept so far too (for a rate and an ETA)
 *
 * Filters apply to requests and their responses; markers, notes and ring
 * statistics are kept inside the from/to window whatever the other filters.
 */
struct vmt_import_opts {
	size_t sz;
	int strict;
	uint32_t from_kind;
	uint64_t from;
	uint32_t to_kind;
	uint64_t to;
	uint64_t reason_mask;
	const uint32_t *vcpus;
	size_t nvcpus;
	int no_regs;
	int single_thread;
	uint64_t process_idle_ns;
	void (*progress)(uint64_t done, uint64_t total, void *ctx);
	void *progress_ctx;
	void (*on_progress)(const struct vmt_progress *p, void *ctx);
};

/**
 * struct vmt_import_result - what one import (or stream) did
 * @run_id:     runs.run_id given to the trace (0 for streams)
 * @uuid:       the run's UUID text, filled as soon as the header is read
 *              (so a refused re-import can name it)
 * @events:     requests written (rows in events)
 * @responses, @markers, @notes, @ring_stats: rows written
 * @processes:  rows in processes
 * @gaps:       rows in gaps (damaged chunks, cut end, recorder losses)
 * @lost:       requests known lost (sum over gaps with a known count)
 * @skipped:    requests and responses left out by the filters
 * @chunks, @damaged_chunks: from the trace index
 * @complete:   the trace had a valid trailer and end marker
 * @damage:     what is wrong with the trace, in words (empty if nothing):
 *              vmt_reader_damage_text() after the walk
 */
struct vmt_import_result {
	int64_t run_id;
	char uuid[37];
	uint64_t events;
	uint64_t responses;
	uint64_t markers;
	uint64_t notes;
	uint64_t ring_stats;
	uint64_t processes;
	uint64_t gaps;
	uint64_t lost;
	uint64_t skipped;
	uint32_t chunks;
	uint32_t damaged_chunks;
	int complete;
	char damage[512];
};

/**
 * vmt_replay_db_open() - open a database, creating the schema if empty
 * @out:    OUT: the connection (close with sqlite3_close())
 * @path:   file name, or ":memory:"
 * @create: 1 to create the file if missing, 0 to require it and its
 *          schema (an empty file or database is -VMT_E_VERSION, and is
 *          left untouched)
 *
 * Registers the SQL functions vmt_reg() and vmt_field() on the connection.
 * The connection is opened without SQLite's per-call mutex (multi-thread
 * mode, faster binds): use it from one thread at a time.
 *
 * Return: 0; -ENOENT; -VMT_E_VERSION if the database has another
 *         user_version or is not a vmtrail database; -EIO on an SQLite
 *         failure (the message goes to vmt_log).
 */
VMT_API int vmt_replay_db_open(struct sqlite3 **out, const char *path,
			       int create);

/**
 * vmt_replay_db_init() - make an open connection a vmtrail database
 *
 * Creates the schema when the database is empty, checks user_version
 * otherwise, and registers the SQL functions.  vmt_replay_db_open() calls
 * it; callers with their own connection (a temporary database) call it.
 */
VMT_API int vmt_replay_db_init(struct sqlite3 *db);

/**
 * vmt_replay_import() - load one trace into an open database
 * @db:    from vmt_replay_db_open() / vmt_replay_db_init()
 * @trace: trace file
 * @opts:  may be NULL
 * @res:   OUT: counts (may be NULL)
 *
 * One transaction: on failure nothing of the trace remains.  The caller
 * runs vmt_replay_index() once after its last import.
 *
 * Context: sets journal_mode=MEMORY, synchronous=OFF and a 64 MiB page
 *          cache on @db for speed: an error rolls back, but a crash or
 *          power loss mid-import can corrupt a database file; to keep an
 *          existing file safe use vmt_replay_import_file().  Uses a second
 *          thread on @db unless @opts->single_thread; @db must not be used
 *          by anyone else during the call.
 * Return: 0; -EEXIST if a run with the trace's UUID is already in @db;
 *         -VMT_E_DAMAGED with @opts->strict on damage; reader errors.
 */
VMT_API int vmt_replay_import(struct sqlite3 *db, const char *trace,
			      const struct vmt_import_opts *opts,
			      struct vmt_import_result *res);

/** vmt_replay_index() - build the indexes of the schema (idempotent) */
VMT_API int vmt_replay_index(struct sqlite3 *db);

/**
 * vmt_replay_import_file() - import traces into a database file atomically
 * @db_path: final database; must not exist unless @append
 * @traces:  @ntraces trace files, imported in order
 * @append:  add to an existing database (it is copied, then replaced)
 * @res:     OUT: @ntraces results (may be NULL)
 * @failed:  OUT: index of the trace that failed, or -1 (may be NULL)
 *
 * Works on "<db_path>.XXXXXX" (mode 0600; an append's copy keeps the
 * database's mode and owner) and renames it into place only when every
 * import and the index build succeeded.  A new database never replaces a
 * file that appeared meanwhile; an append holds an exclusive flock() on
 * the database throughout, so concurrent appends serialize and none is
 * lost.  A symlinked database stays a symlink; the file it names is
 * replaced.
 *
 * Return: 0; -EEXIST if @db_path exists without @append (or appeared
 *         meanwhile), or if a trace's run is already in the database (then
 *         *@failed names it); -EACCES for a database we may not write;
 *         -EPERM when the copy cannot keep the database's owner; errors of
 *         vmt_replay_import().
 */
VMT_API int vmt_replay_import_file(const char *db_path,
				   const char *const *traces, size_t ntraces,
				   int append,
				   const struct vmt_import_opts *opts,
				   struct vmt_import_result *res, int *failed);

/* Stream formats for vmt_replay_stream(). */
enum vmt_stream_format {
	VMT_STREAM_JSONL = 1,   /* one JSON object per record */
	VMT_STREAM_CSV = 2,     /* one row per request, header first */
	VMT_STREAM_CHROME = 3,  /* Chrome trace-event JSON (Perfetto UI) */
	VMT_STREAM_PERFETTO = 4, /* Perfetto protobuf TracePacket stream */
};

/**
 * vmt_replay_stream() - write a trace's records to @out, constant memory
 *
 * Names of fields and columns are the schema's (SCHEMA.md "Streams").
 * The format is looked up in the sink registry (vmt_replay_sink_at()).
 * Return: 0; -EINVAL for a format the registry does not stream; -EIO if
 *         @out fails; reader errors (strict: -VMT_E_DAMAGED).
 */
VMT_API int vmt_replay_stream(FILE *out, const char *trace,
			      enum vmt_stream_format fmt,
			      const struct vmt_import_opts *opts,
			      struct vmt_import_result *res);

/* What a sink writes: a database (vmt_replay_import_file()), a stream,
 * or a database server reached by URL (vmt_replay_dest_open()). */
enum vmt_sink_kind {
	VMT_SINK_DATABASE = 0,
	VMT_SINK_STREAM = 1,
	VMT_SINK_SERVER = 2,
};

/**
 * struct vmt_replay_sink - one output format of the sink registry
 * @name:    the --format name ("sqlite", "jsonl", ...)
 * @kind:    enum vmt_sink_kind
 * @format:  for streams, the code vmt_replay_stream() takes; 0 otherwise
 * @summary: one line for a --help text
 * @title:   how messages name it ("SQLite", "ClickHouse")
 *
 * replay/sinks.c holds the only table of sinks; the CLI's --format, its
 * help text and vmt_replay_stream() all read it.
 */
struct vmt_replay_sink {
	const char *name;
	enum vmt_sink_kind kind;
	enum vmt_stream_format format;
	const char *summary;
	const char *title;
};

/** vmt_replay_sink_at() - the @i-th sink in --help order, NULL past the end */
VMT_API const struct vmt_replay_sink *vmt_replay_sink_at(size_t i);

/** vmt_replay_sink_named() - the sink called @name, or NULL */
VMT_API const struct vmt_replay_sink *vmt_replay_sink_named(const char *name);

/*
 * A server sink's destination: one connection, any number of traces
 * loaded through it, each run at most once (keyed by its UUID).
 */
struct vmt_replay_dest;

/**
 * vmt_replay_dest_open() - a destination of the server sink @k at @url
 * Return: 0; -EINVAL (@k is no server sink, or a bad URL); -ENOMEM.
 * Nothing is sent yet: login and database are checked by the first load.
 */
VMT_API int vmt_replay_dest_open(const struct vmt_replay_sink *k, const char *url,
				 struct vmt_replay_dest **out);

/**
 * vmt_replay_dest_load() - load one trace into @d, constant memory
 * Return: 0; -EEXIST when the run is already there (@res->uuid names it);
 *         -EACCES refused login; -ENOENT missing database; -ECONNREFUSED no
 *         server; -EIO/-ECONNRESET the server failed (vmt_replay_dest_error());
 *         reader errors as vmt_replay_import_file().
 */
VMT_API int vmt_replay_dest_load(struct vmt_replay_dest *d, const char *trace,
				 const struct vmt_import_opts *opts,
				 struct vmt_import_result *res);

/** vmt_replay_dest_error() - the server's last error text ("" if none) */
VMT_API const char *vmt_replay_dest_error(const struct vmt_replay_dest *d);
/** vmt_replay_dest_database() - the database loaded into */
VMT_API const char *vmt_replay_dest_database(const struct vmt_replay_dest *d);
VMT_API void vmt_replay_dest_close(struct vmt_replay_dest *d);

/**
 * vmt_replay_info() - describe a trace (header, summary, chunks, integrity)
 * @json: 0 for text for people, 1 for one JSON object with stable keys
 *        (SCHEMA.md "--info JSON")
 * Return: 0; a positive VMT_E_* code when it described a trace whose
 * chunks are damaged (a warning); a negative code when it could not
 * describe it (a refused header, a write error).
 */
VMT_API int vmt_replay_info(FILE *out, const char *trace, int json);

/**
 * vmt_replay_fingerprint() - the recording-conditions hash of runs
 * @out: OUT: 16 lowercase hex digits and a NUL
 *
 * FNV-1a 64 over "abi=<v>\nvcpus=<n>\nmonitors=<m>\nlabels=<l>\n" where
 * <l> is the labels sorted by key (SCHEMA.md "Fingerprint").
 */
VMT_API void vmt_replay_fingerprint(uint32_t abi_version, uint32_t vcpus,
				    const char *monitors, const char *labels,
				    char out[17]);

#ifdef __cplusplus
}
#endif
#endif
