/*
 * sinks.c - the one registry of output formats.  vmtrail-replay's
 * --format, its help text and vmt_replay_stream() all read this table, so
 * a new sink is its sink_<name>.c plus one entry here (and, for a stream,
 * its code in enum vmt_stream_format, which callers of the library keep).
 */
#include <errno.h>
#include <string.h>

#include "replay_int.h"

static const struct vmt_sink sinks[] = {
	{ { "sqlite", VMT_SINK_DATABASE, 0,
	    "SQLite database, SCHEMA.md (the default)" },
	  NULL },
	{ { "jsonl", VMT_SINK_STREAM, VMT_STREAM_JSONL,
	    "one JSON object per record" },
	  vmt_stream_jsonl },
	{ { "csv", VMT_SINK_STREAM, VMT_STREAM_CSV,
	    "one row per event, header first" },
	  vmt_stream_csv },
	{ { "chrome", VMT_SINK_STREAM, VMT_STREAM_CHROME,
	    "Chrome trace-event JSON (ui.perfetto.dev)" },
	  vmt_stream_chrome },
	{ { "perfetto", VMT_SINK_STREAM, VMT_STREAM_PERFETTO,
	    "Perfetto protobuf trace (ui.perfetto.dev), the smallest timeline" },
	  vmt_stream_perfetto },
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
