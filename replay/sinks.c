/*
 * sinks.c - the one registry of output formats.  vmtrail-replay's
 * --format, its help text and vmt_replay_stream() all read this table, so
 * a new sink is its sink_<name>.c plus one entry here (and, for a stream,
 * its code in enum vmt_stream_format, which callers of the library keep).
 * A server sink (a database reached by URL) gives its vmt_server_ops, and
 * vmt_replay_dest_*() reach it only through this table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "replay_int.h"

static const struct vmt_sink sinks[] = {
	{ { "sqlite", VMT_SINK_DATABASE, 0,
	    "SQLite database, SCHEMA.md (the default)", "SQLite" },
	  NULL, NULL },
	{ { "jsonl", VMT_SINK_STREAM, VMT_STREAM_JSONL,
	    "one JSON object per record", "JSONL" },
	  vmt_stream_jsonl, NULL },
	{ { "csv", VMT_SINK_STREAM, VMT_STREAM_CSV,
	    "one row per event, header first", "CSV" },
	  vmt_stream_csv, NULL },
	{ { "chrome", VMT_SINK_STREAM, VMT_STREAM_CHROME,
	    "Chrome trace-event JSON (ui.perfetto.dev)", "Chrome JSON" },
	  vmt_stream_chrome, NULL },
	{ { "perfetto", VMT_SINK_STREAM, VMT_STREAM_PERFETTO,
	    "Perfetto protobuf trace (ui.perfetto.dev), the smallest timeline", "Perfetto" },
	  vmt_stream_perfetto, NULL },
	{ { "clickhouse", VMT_SINK_SERVER, 0,
	    "ClickHouse over HTTP, -o URL (= --clickhouse URL)", "ClickHouse" },
	  NULL, &vmt_server_clickhouse },
};

VMT_API const struct vmt_replay_sink *vmt_replay_sink_at(size_t i)
{
	return i < VMT_ARRAY_SIZE(sinks) ? &sinks[i].pub : NULL;
}

VMT_API const struct vmt_replay_sink *vmt_replay_sink_named(const char *name)
{
	for (size_t i = 0; name && i < VMT_ARRAY_SIZE(sinks); i++)
		if (!strcmp(sinks[i].pub.name, name))
			return &sinks[i].pub;
	return NULL;
}

static const struct vmt_sink *stream_sink(enum vmt_stream_format fmt)
{
	for (size_t i = 0; i < VMT_ARRAY_SIZE(sinks); i++)
		if (sinks[i].run && sinks[i].pub.format == fmt)
			return &sinks[i];
	return NULL;
}

VMT_API int vmt_replay_stream(FILE *out, const char *trace,
			      enum vmt_stream_format fmt,
			      const struct vmt_import_opts *opts,
			      struct vmt_import_result *res)
{
	const struct vmt_sink *sink = stream_sink(fmt);
	struct vmt_import_result tmp;
	struct vmt_walk w;
	int err;

	if (!sink)
		return -EINVAL;
	res = res ? res : &tmp;
	memset(res, 0, sizeof(*res));
	err = vmt_walk_open(&w, trace, opts, res);
	if (err)
		return err;
	err = sink->run(out, &w);
	if (!err && fflush(out))
		err = -EIO;
	vmt_walk_result(&w, res);
	vmt_walk_close(&w);
	return err;
}

struct vmt_replay_dest {
	const struct vmt_server_ops *ops;
	void *conn;
};

static const struct vmt_sink *sink_of(const struct vmt_replay_sink *k)
{
	for (size_t i = 0; k && i < VMT_ARRAY_SIZE(sinks); i++)
		if (&sinks[i].pub == k)
			return &sinks[i];
	return NULL;
}

VMT_API int vmt_replay_dest_open(const struct vmt_replay_sink *k, const char *url,
				 struct vmt_replay_dest **out)
{
	const struct vmt_sink *s = sink_of(k);
	struct vmt_replay_dest *d;
	int err;

	if (!s || !s->server || !url)
		return -EINVAL;
	if (!(d = calloc(1, sizeof(*d))))
		return -ENOMEM;
	d->ops = s->server;
	err = d->ops->open(&d->conn, url);
	if (err) {
		free(d);
		return err;
	}
	*out = d;
	return 0;
}

VMT_API int vmt_replay_dest_load(struct vmt_replay_dest *d, const char *trace,
				 const struct vmt_import_opts *opts,
				 struct vmt_import_result *res)
{
	return d->ops->load(d->conn, trace, opts, res);
}

VMT_API const char *vmt_replay_dest_error(const struct vmt_replay_dest *d)
{
	return d->ops->error(d->conn);
}

VMT_API const char *vmt_replay_dest_database(const struct vmt_replay_dest *d)
{
	return d->ops->database(d->conn);
}

VMT_API void vmt_replay_dest_close(struct vmt_replay_dest *d)
{
	if (!d)
		return;
	d->ops->close(d->conn);
	free(d);
}
