/*
 * vmt/clickhouse.h - runs into ClickHouse over its HTTP interface, and the
 * small client analyze uses to query them (replay/CLICKHOUSE.md).
 *
 * The client speaks only what ClickHouse 18.16 and current releases both
 * accept: plain SQL in a POST, RowBinary for inserts, TabSeparated for
 * results.  Like the rest of the library it never prints: a failure returns
 * a negative errno and leaves the server's own words in vmt_ch_error().
 */
#ifndef VMT_CLICKHOUSE_H
#define VMT_CLICKHOUSE_H

#include <stddef.h>
#include <stdint.h>

#include "vmt/replay.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vmt_ch;

/**
 * vmt_ch_open() - a client for one server (nothing is sent yet)
 * @url: http://HOST:PORT/?database=DB[&user=U&password=P][&SETTING=V...];
 *       user and password may also come as user:password@ in the URL, or
 *       from CLICKHOUSE_USER / CLICKHOUSE_PASSWORD when the URL has none
 * Return: 0; -EINVAL for a URL that is not http(s)://; -ENOMEM.
 */
VMT_API int vmt_ch_open(struct vmt_ch **out, const char *url);
VMT_API void vmt_ch_close(struct vmt_ch *c);

/** vmt_ch_database() - the database= of the URL ("default" if none) */
VMT_API const char *vmt_ch_database(const struct vmt_ch *c);

/** vmt_ch_error() - the last failure in words (server text or transport) */
VMT_API const char *vmt_ch_error(const struct vmt_ch *c);

/**
 * vmt_ch_check() - reach the server, log in, find the database
 * Return: 0; -ECONNREFUSED (no server after the retries); -EACCES (user or
 *         password refused); -ENOENT (no such database); -EIO otherwise.
 */
VMT_API int vmt_ch_check(struct vmt_ch *c);

/** vmt_ch_exec() - run one statement that returns nothing */
VMT_API int vmt_ch_exec(struct vmt_ch *c, const char *sql);

/**
 * vmt_ch_insert() - send @n bytes of @data for "INSERT ... FORMAT RowBinary"
 * Retried only where the server cannot have stored anything.
 */
VMT_API int vmt_ch_insert(struct vmt_ch *c, const char *sql, const void *data,
			  size_t n);

/*
 * One result row: @cols[0..@ncols) are NUL-terminated, TabSeparated escapes
 * undone.  A non-zero return stops the query and is returned by
 * vmt_ch_select().
 */
typedef int (*vmt_ch_row_fn)(void *ctx, char **cols, size_t ncols);

/**
 * vmt_ch_select() - run a SELECT and stream its rows to @fn (constant
 * memory: one line at a time).  " FORMAT TabSeparated" is appended.
 */
VMT_API int vmt_ch_select(struct vmt_ch *c, const char *sql, vmt_ch_row_fn fn,
			  void *ctx);

/**
 * vmt_ch_quote() - @s as a ClickHouse string literal into @out
 * Return: the length, or -ENOSPC if @cap is too small.
 */
VMT_API int vmt_ch_quote(const char *s, char *out, size_t cap);

/**
 * vmt_ch_run_id() - the run_id a run of UUID @uuid has in ClickHouse
 *
 * Derived from the UUID (its first 52 bits), so that loaders on many
 * machines agree without talking to each other, and small enough to stay
 * exact in JSON numbers (CLICKHOUSE.md "Run ids").
 * Return: the id, or -EINVAL for text that is not a UUID.
 */
VMT_API int64_t vmt_ch_run_id(const char *uuid);

/**
 * vmt_replay_clickhouse() - load one trace into the server of @c
 *
 * Creates the missing tables, streams the trace in RowBinary blocks of
 * bounded size and writes the runs row last: a run without it is not
 * loaded, and a later load of the same trace first drops what an earlier,
 * failed one left.
 * Return: 0; -EEXIST if the run is already loaded (nothing is sent);
 *         reader errors; the client's errors.
 */
VMT_API int vmt_replay_clickhouse(struct vmt_ch *c, const char *trace,
				  const struct vmt_import_opts *opts,
				  struct vmt_import_result *res);

#ifdef __cplusplus
}
#endif
#endif
