/*
 * vmtrail-replay.c - the command line of replay: traces into a SQLite
 * database, JSONL / CSV / Chrome trace streams, or a trace's --info.  The
 * only file of replay/ that prints or chooses an exit code
 * (0 ok, 1 runtime failure, 2 usage error).
 */
#include <errno.h>
#include <getopt.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmt/format.h"
#include "vmt/replay.h"
#include "vmt_cli.h"
#include "vmt_files.h"

#ifndef VMT_VERSION_STRING
#define VMT_VERSION_STRING "unknown"
#endif

#define PROG "vmtrail-replay"
#define MAX_VCPU_FILTER 4096

/* The usage text around the --format list, which comes from the sink
 * registry (vmt_replay_sink_at()). */
static const char usage_head[] =
"Usage: " PROG " [OPTIONS] TRACE... -o DB\n"
"       " PROG " [OPTIONS] TRACE --format STREAM [-o FILE]\n"
"       " PROG " [OPTIONS] TRACE... --clickhouse URL\n"
"       " PROG " --info [--json] TRACE...\n"
"\n"
"Replay vmtrail traces (recorded by vmtrail-record) into a SQLite database\n"
"with the schema of replay/SCHEMA.md, or stream their decoded events.\n"
"\n"
"Database import (default):\n"
"  -o, --output DB        database to create; it must not exist unless\n"
"                         --append is given.  The import works on a temporary\n"
"                         file renamed to DB only on success.\n"
"  -a, --append           add the runs to an existing DB; a run already in it\n"
"                         (same UUID) is refused and nothing is changed\n"
"      --no-regs          do not keep the raw ring entries (event_regs); the\n"
"                         ten key registers of events are kept\n"
"      --single-thread    decode and insert in one thread\n"
"      --process-idle DUR a CR3 unseen this long starts a new process\n"
"                         epoch (default 1s)\n"
"\n"
"ClickHouse (replay/CLICKHOUSE.md):\n"
"      --clickhouse URL   load the runs into ClickHouse over HTTP, e.g.\n"
"                         http://127.0.0.1:8123/?database=vmtrail; user and\n"
"                         password from the URL (user=, password= or\n"
"                         user:password@) or CLICKHOUSE_USER and\n"
"                         CLICKHOUSE_PASSWORD.  Missing tables are created;\n"
"                         a run already loaded (same UUID) is skipped, one\n"
"                         whose load failed is loaded again from scratch.\n"
"\n"
"Streams:\n"
"  -f, --format FMT       the output format, one of:\n";

static const char usage_tail[] =
"  -o, --output FILE      stream destination (default: standard output)\n"
"\n"
"Inspection:\n"
"      --info             print each TRACE's header, summary, chunks and\n"
"                         integrity\n"
"      --json             with --info: one JSON object per trace\n"
"\n"
"Filters (import and streams):\n"
"      --from POS         first record kept, --to POS the last (inclusive).\n"
"      --to POS           POS is a time since the recording start with a unit\n"
"                         (ns, us, ms, s, m, h: 1.5s, 200ms) or a plain integer\n"
"                         sequence number; the chunk index skips to --from\n"
"      --reason LIST      keep these reasons: names or codes, comma-separated\n"
"                         (mem_access,write_ctrlreg,5)\n"
"      --vcpu LIST        keep these vCPUs: numbers and ranges (0,2-3)\n"
"\n"
"Damage:\n"
"      --strict           fail (exit 1) on any damage: bad or cut chunk,\n"
"                         missing trailer.  By default every intact chunk is\n"
"                         imported, what is missing is recorded in the gaps\n"
"                         table, and a warning is printed.\n"
"\n"
"General:\n"
"  -q, --quiet            no progress line, no warnings\n"
"  -h, --help             show this help and exit\n"
"  -V, --version          show the version and exit\n"
"\n"
"Exit status: 0 success, 1 runtime failure (unreadable or damaged trace with\n"
"--strict, run already imported, database error; ClickHouse: no server,\n"
"refused login, missing database), 2 usage error.\n"
"\n"
"Examples:\n"
"  " PROG " run1.vmt run2.vmt -o runs.db\n"
"  " PROG " run3.vmt --append -o runs.db\n"
"  " PROG " run*.vmt --clickhouse 'http://127.0.0.1:8123/?database=vmtrail'\n"
"  " PROG " run.vmt --format jsonl --reason mem_access --from 2s --to 3s\n"
"  " PROG " run.vmt --format chrome -o run.json\n"
"  " PROG " run.vmt --format perfetto -o run.pftrace\n"
"  " PROG " --info --json run.vmt\n";

enum mode { M_SQLITE, M_STREAM, M_INFO, M_SERVER };

struct cli {
	enum mode mode;
	const struct vmt_replay_sink *sink;  /* M_STREAM, M_SERVER: which one */
	const char *output;                  /* M_SERVER: the URL */
	const char *clickhouse;              /* --clickhouse URL */
	int append, json, quiet;
	struct vmt_import_opts o;
	uint32_t vcpus[MAX_VCPU_FILTER];
	size_t nvcpus;
	char **traces;
	int ntraces;
};

static int quiet;

static void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void err_msg(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int usage_error(const char *fmt, const char *arg)
{
	fputs(PROG ": ", stderr);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry '" PROG " --help' for more information.\n");
	return 2;
}

static void log_fn(enum vmt_log_level level, const char *msg, void *ctx)
{
	if (level <= VMT_LOG_WARN && !(quiet && level == VMT_LOG_WARN))
		fprintf(stderr, PROG ": %s%s\n", level == VMT_LOG_WARN ? "warning: " : "",
			msg);
}

/* A time with a unit, or a plain sequence number. */
/* POS: a plain integer is a sequence number, a time has its unit. */
static int parse_pos(const char *s, uint32_t *kind, uint64_t *v)
{
	if (*s && !s[strspn(s, "0123456789")]) {
		*kind = VMT_BOUND_SEQ;
		return vmt_cli_duration(s, 1, v) ? -1 : 0;
	}
	*kind = VMT_BOUND_NS;
	return vmt_cli_duration(s, 0, v) ? -1 : 0;
}

static int parse_reasons(const char *s, uint64_t *mask)
{
	char buf[512], *save, *tok;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		long code = strtol(tok, &end, 10);

		if (*end || end == tok)
			code = vmt_reason_from_name(tok);
		if (code < 0 || code >= 64)
			return -1;
		*mask |= 1ull << code;
	}
	return *mask ? 0 : -1;
}

static int parse_vcpus(const char *s, struct cli *c)
{
	char buf[512], *save, *tok;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long lo = strtoul(tok, &end, 10), hi = lo;

		if (end == tok)
			return -1;
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		if (*end || hi < lo || hi - lo >= MAX_VCPU_FILTER)
			return -1;
		for (unsigned long v = lo; v <= hi; v++) {
			if (c->nvcpus == MAX_VCPU_FILTER)
				return -1;
			c->vcpus[c->nvcpus++] = (uint32_t)v;
		}
	}
	return c->nvcpus ? 0 : -1;
}

static int parse_format(const char *s, struct cli *c)
{
	const struct vmt_replay_sink *k = vmt_replay_sink_named(s);

	if (!k)
		return -1;
	c->mode = k->kind == VMT_SINK_STREAM ? M_STREAM : k->kind == VMT_SINK_SERVER ? M_SERVER
								       : M_SQLITE;
	c->sink = k;
	return 0;
}

static void usage(void)
{
	const struct vmt_replay_sink *k;

	fputs(usage_head, stdout);
	for (size_t i = 0; (k = vmt_replay_sink_at(i)); i++)
		printf("%25s%-10s %s\n", "", k->name, k->summary);
	fputs(usage_tail, stdout);
}

enum { O_INFO = 256, O_JSON, O_FROM, O_TO, O_REASON, O_VCPU, O_STRICT,
       O_NOREGS, O_SINGLE, O_IDLE, O_CLICKHOUSE };

static const struct option long_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "append", no_argument, NULL, 'a' },
	{ "format", required_argument, NULL, 'f' },
	{ "info", no_argument, NULL, O_INFO },
	{ "json", no_argument, NULL, O_JSON },
	{ "from", required_argument, NULL, O_FROM },
	{ "to", required_argument, NULL, O_TO },
	{ "reason", required_argument, NULL, O_REASON },
	{ "vcpu", required_argument, NULL, O_VCPU },
	{ "strict", no_argument, NULL, O_STRICT },
	{ "no-regs", no_argument, NULL, O_NOREGS },
	{ "single-thread", no_argument, NULL, O_SINGLE },
	{ "process-idle", required_argument, NULL, O_IDLE },
	{ "clickhouse", required_argument, NULL, O_CLICKHOUSE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Returns -1 to go on, else the exit code. */
static int parse_opt(struct cli *c, int opt, const char *arg, int *info)
{
	switch (opt) {
	case 'o': c->output = arg; break;
	case 'a': c->append = 1; break;
	case 'q': c->quiet = quiet = 1; break;
	case O_INFO: *info = 1; break;
	case O_JSON: c->json = 1; break;
	case O_STRICT: c->o.strict = 1; break;
	case O_NOREGS: c->o.no_regs = 1; break;
	case O_SINGLE: c->o.single_thread = 1; break;
	case O_CLICKHOUSE: c->clickhouse = arg; break;
	case 'f':
		return parse_format(arg, c) ? usage_error("unknown format '%s'", arg) : -1;
	case O_FROM:
		return parse_pos(arg, &c->o.from_kind, &c->o.from) ?
			       usage_error("bad --from '%s' (a time like 1.5s, or a sequence number)", arg) : -1;
	case O_TO:
		return parse_pos(arg, &c->o.to_kind, &c->o.to) ?
			       usage_error("bad --to '%s' (a time like 1.5s, or a sequence number)", arg) : -1;
	case O_IDLE:
		return vmt_cli_duration(arg, VMT_NS_PER_S, &c->o.process_idle_ns) ||
			       !c->o.process_idle_ns ?
			       usage_error("bad --process-idle '%s' (a duration like 500ms or 1h)", arg) : -1;
	case O_REASON:
		return parse_reasons(arg, &c->o.reason_mask) ?
			       usage_error("bad --reason '%s' (reason names or codes 0-63)", arg) : -1;
	case O_VCPU:
		return parse_vcpus(arg, c) ? usage_error("bad --vcpu '%s' (numbers and ranges like 0,2-3)", arg) : -1;
	case 'h': usage(); return 0;
	case 'V': printf(PROG " %s (trace format %d.%d, schema %d)\n", VMT_VERSION_STRING,
			 VMT_FILE_MAJOR, VMT_FILE_MINOR, VMT_SCHEMA_VERSION); return 0;
	default: return usage_error("%s", "invalid option");
	}
	return -1;
}

static int parse_args(struct cli *c, int argc, char **argv)
{
	int opt, info = 0;

	c->o.sz = sizeof(c->o);
	while ((opt = getopt_long(argc, argv, "o:af:qhV", long_opts, NULL)) != -1) {
		int ret = parse_opt(c, opt, optarg, &info);

		if (ret >= 0)
			return ret;
	}
	if (c->clickhouse && (info || c->mode != M_SQLITE || c->output || c->append))
		return usage_error("%s", "--clickhouse is a destination of its own: no -o, --append, --format or --info");
	/* --clickhouse URL is --format clickhouse -o URL */
	if (c->clickhouse && parse_format("clickhouse", c) == 0)
		c->output = c->clickhouse;
	c->mode = info ? M_INFO : c->mode;
	c->traces = argv + optind;
	c->ntraces = argc - optind;
	c->o.vcpus = c->nvcpus ? c->vcpus : NULL;
	c->o.nvcpus = c->nvcpus;
	if (!c->ntraces)
		return usage_error("%s", "no TRACE given");
	if (c->mode == M_SQLITE && !c->output)
		return usage_error("%s", "no database given: use -o DB (or a stream --format)");
	if (c->mode == M_SERVER && !c->output)
		return usage_error("no server given: --format %s -o URL", c->sink->name);
	if (c->mode == M_STREAM && c->ntraces > 1)
		return usage_error("%s", "streams take one TRACE");
	if (c->append && c->mode != M_SQLITE)
		return usage_error("%s", "--append is for database imports");
	if (c->json && c->mode != M_INFO)
		return usage_error("%s", "--json goes with --info");
	return -1;
}

/* ---- progress line on a terminal ---- */

struct bar {
	double t0, shown;       /* monotonic seconds: start, last line */
	uint64_t base;          /* requests of the traces already done */
	uint64_t trace_req;     /* requests of the current trace so far */
	int drawn;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A new trace starts its count again; the rate covers every trace. */
static void progress(const struct vmt_progress *p, void *ctx)
{
	struct bar *b = ctx;
	double t = now_s(), el = t - b->t0, frac, rate, eta;

	if (p->requests < b->trace_req)
		b->base += b->trace_req;
	b->trace_req = p->requests;
	if (t - b->shown < 0.1)
		return;
	b->shown = t;
	frac = p->total ? (double)p->done / (double)p->total : 0;
	rate = el > 0 ? (double)(b->base + p->requests) / el : 0;
	eta = frac > 0 ? el * (1 - frac) / frac : 0;
	fprintf(stderr, "\r%3d%%  %12llu events  %9.0f events/s  ETA %5.0f s ",
		(int)(frac * 100), (unsigned long long)(b->base + p->requests), rate, eta);
	b->drawn = 1;
}

/* Clears the line and sums the import up in one line. */
static void progress_end(struct cli *c, struct bar *b,
			 const struct vmt_import_result *res, int err)
{
	uint64_t ev = 0, rsp = 0;
	double el = now_s() - b->t0;

	if (!c->o.on_progress)
		return;
	if (b->drawn)
		fprintf(stderr, "\r%*s\r", 64, "");
	for (int i = 0; !err && i < c->ntraces; i++) {
		ev += res[i].events;
		rsp += res[i].responses;
	}
	if (!err)
		fprintf(stderr, PROG ": %llu events, %llu responses from %d trace(s) "
			"into %s in %.1f s (%.0f events/s)\n", (unsigned long long)ev,
			(unsigned long long)rsp, c->ntraces, c->output, el,
			el > 0 ? (double)ev / el : 0);
}

/* ---- the modes ---- */

static void warn_damage(const struct cli *c, const char *trace,
			const struct vmt_import_result *r)
{
	if (c->quiet || !r->damage[0])
		return;
	fprintf(stderr, PROG ": warning: %s: %s; %u damaged chunk(s), %llu gap(s) "
		"recorded\n", trace, r->damage, r->damaged_chunks,
		(unsigned long long)r->gaps);
}

static int trace_error(const char *trace, int err)
{
	if (err == -VMT_E_DAMAGED)
		err_msg("%s: damaged or incomplete trace (a bad or cut chunk, or no "
			"trailer), refused by --strict", trace);
	else if (err == -EINVAL)
		err_msg("%s: not a regular file (%s)", trace, vmt_file_kind(trace));
	else
		err_msg("%s: %s", trace, vmt_strerror(err));
	return 1;
}

/* No output may be one of the inputs (through links too). */
static int output_is_input(const struct cli *c)
{
	for (int i = 0; c->output && i < c->ntraces; i++)
		if (vmt_same_file(c->output, c->traces[i])) {
			err_msg("%s: is the input %s; choose another output",
				c->output, c->traces[i]);
			return 1;
		}
	return 0;
}

static int run_import(struct cli *c)
{
	struct vmt_import_result *res = calloc((size_t)c->ntraces, sizeof(*res));
	struct bar bar = { now_s(), 0, 0, 0, 0 };
	int failed = -1, err;

	if (!res)
		return trace_error(c->traces[0], -ENOMEM);
	if (output_is_input(c)) {
		free(res);
		return 1;
	}
	if (!c->quiet && isatty(STDERR_FILENO)) {
		c->o.on_progress = progress;
		c->o.progress_ctx = &bar;
	}
	err = vmt_replay_import_file(c->output, (const char *const *)c->traces,
				     (size_t)c->ntraces, c->append, &c->o, res, &failed);
	progress_end(c, &bar, res, err);
	if (err == -EEXIST && failed >= 0)
		err_msg("run %s already in %s", res[failed].uuid, c->output);
	else if (err == -EEXIST)
		err_msg("%s: already exists (use --append to add runs to it)", c->output);
	else if (err == -EPERM && c->append)
		err_msg("%s: cannot keep its owner in the new copy (append as its "
			"owner or as root)", c->output);
	else if (err && failed >= 0)
		trace_error(c->traces[failed], err);
	else if (err == -VMT_E_VERSION)
		err_msg("%s: not a vmtrail database of this schema version", c->output);
	else if (err)
		err_msg("cannot %s %s: %s", c->append ? "update" : "create",
			c->output, vmt_strerror(err));
	for (int i = 0; !err && i < c->ntraces; i++)
		warn_damage(c, c->traces[i], &res[i]);
	free(res);
	return err ? 1 : 0;
}

/* ---- server sinks (ClickHouse) ---- */

/* The server as messages name it: no credentials, no parameters. */
static void server_where(const char *url, char *out, size_t cap)
{
	const char *host = strstr(url, "://"), *at;
	size_t n;

	host = host ? host + 3 : url;
	n = strcspn(host, "/?");
	at = memchr(host, '@', n);
	if (at) {
		n -= (size_t)(at + 1 - host);
		host = at + 1;
	}
	snprintf(out, cap, "%.*s", (int)n, host);
}

static int server_error(const struct cli *c, struct vmt_replay_dest *d, const char *where,
			const char *trace, int err)
{
	const char *db = vmt_replay_dest_database(d), *t = c->sink->title;

	switch (err) {
	case -EACCES:
		err_msg("%s at %s: login refused (check user and password): %s",
			t, where, vmt_replay_dest_error(d));
		break;
	case -ENOENT:
		err_msg("%s at %s: database '%s' does not exist (create it: CREATE DATABASE %s)",
			t, where, db, db);
		break;
	case -ECONNREFUSED:
		err_msg("%s at %s: no server answers: %s", t, where, vmt_replay_dest_error(d));
		break;
	case -EIO:
	case -ECONNRESET:
		err_msg("%s: %s at %s: %s", trace, t, where, vmt_replay_dest_error(d));
		break;
	default:
		return trace_error(trace, err);
	}
	return 1;
}

/* A message between two traces: the progress line goes first. */
static void clear_line(struct bar *b)
{
	if (b->drawn)
		fprintf(stderr, "\r%*s\r", 64, "");
	b->drawn = 0;
}

static int run_server(struct cli *c)
{
	struct vmt_import_result *res = calloc((size_t)c->ntraces, sizeof(*res));
	struct bar bar = { now_s(), 0, 0, 0, 0 };
	char where[256];
	struct vmt_replay_dest *d;
	int i, err = res ? vmt_replay_dest_open(c->sink, c->output, &d) : -ENOMEM;

	if (err) {
		free(res);
		return err == -EINVAL ? usage_error("bad server URL '%s' (http://HOST:PORT/?database=DB)",
						    c->output)
				      : trace_error(c->output, err);
	}
	server_where(c->output, where, sizeof(where));
	c->output = where;
	if (!c->quiet && isatty(STDERR_FILENO)) {
		c->o.on_progress = progress;
		c->o.progress_ctx = &bar;
	}
	for (i = 0; i < c->ntraces; i++) {
		err = vmt_replay_dest_load(d, c->traces[i], &c->o, &res[i]);
		if (err == -EEXIST) {
			clear_line(&bar);
			if (!c->quiet)
				fprintf(stderr, PROG ": %s: run %s already in %s, skipped\n",
					c->traces[i], res[i].uuid, c->sink->title);
			memset(&res[i], 0, sizeof(res[i]));
			err = 0;
		}
		if (err)
			break;
	}
	progress_end(c, &bar, res, err);
	if (err)
		server_error(c, d, where, c->traces[i], err);
	for (i = 0; !err && i < c->ntraces; i++)
		warn_damage(c, c->traces[i], &res[i]);
	vmt_replay_dest_close(d);
	free(res);
	return err ? 1 : 0;
}

/* The finished stream takes its name; a failed one is removed. */
static int publish_stream(const struct cli *c, FILE *out, struct vmt_out *o,
			  int *err)
{
	int rc;

	if (fclose(out) && !*err)
		*err = -EIO;
	if (*err) {
		vmt_out_abort(o);
		return 0;
	}
	rc = vmt_out_commit(o);
	if (rc)
		err_msg("%s: %s", c->output, rc == -EEXIST ?
			"appeared while it was written; not replaced" :
			strerror(-rc));
	return rc != 0;
}

static int run_stream(struct cli *c)
{
	struct vmt_import_result res;
	struct vmt_out o;
	FILE *out = stdout;
	int err;

	if (c->output && strcmp(c->output, "-")) {
		int fd = output_is_input(c) ? -EINVAL : vmt_out_open(&o, c->output, 0);

		if (fd == -EEXIST)
			err_msg("%s: file exists (remove it or choose another name)",
				c->output);
		else if (fd < 0 && fd != -EINVAL)
			err_msg("cannot create %s: %s", c->output, strerror(-fd));
		if (fd < 0)
			return 1;
		if (!(out = fdopen(fd, "w"))) {
			close(fd);
			vmt_out_abort(&o);
			return trace_error(c->traces[0], -errno);
		}
	}
	err = vmt_replay_stream(out, c->traces[0], c->sink->format, &c->o, &res);
	if (out != stdout && publish_stream(c, out, &o, &err))
		return 1;
	if (err == -EIO)
		err_msg("%s: write error", c->output ? c->output : "standard output");
	else if (err)
		return trace_error(c->traces[0], err);
	warn_damage(c, c->traces[0], &res);
	return err ? 1 : 0;
}

static int run_info(struct cli *c)
{
	int status = 0;

	for (int i = 0; i < c->ntraces; i++) {
		int err = vmt_replay_info(stdout, c->traces[i], c->json);

		if (err < 0) {
			status = trace_error(c->traces[i], err);
			continue;
		}
		if (err)
			fprintf(stderr, PROG ": warning: %s: %s\n", c->traces[i],
				vmt_strerror(err));
	}
	return status;
}

int main(int argc, char **argv)
{
	static struct cli c;
	int ret = parse_args(&c, argc, argv);

	if (ret >= 0)
		return ret;
	/* SQLite's memory statistics take a global lock on every allocation:
	 * nobody here reads them, and the import is bound by SQLite. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	vmt_set_log_fn(log_fn, NULL);
	vmt_tmp_cleanup_on_signals();
	switch (c.mode) {
	case M_SQLITE: ret = run_import(&c); break;
	case M_INFO: ret = run_info(&c); break;
	case M_SERVER: ret = run_server(&c); break;
	default: ret = run_stream(&c); break;
	}
	if (vmt_stdout_close() && !ret) {
		err_msg("standard output: write error");
		ret = 1;
	}
	return ret;
}
