/*
 * vmtrail-analyze.c - the command line of analyze/: `summary` of one run
 * and `diff` of baseline runs against candidate runs.  The only file of
 * analyze/ that prints or chooses exit codes: 0 no significant change,
 * 1 significant change (regression), 2 error or incomparable runs.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze_int.h"
#include "load.h"
#include "report.h"
#include "vmt/clickhouse.h"
#include "vmt_files.h"

#ifndef VMT_VERSION_STRING
#define VMT_VERSION_STRING "unknown"
#endif

enum { EXIT_SAME = 0, EXIT_CHANGED = 1, EXIT_TROUBLE = 2 };

static const char usage_text[] =
"Usage: vmtrail-analyze summary [--run ID] [--json] RUN\n"
"       vmtrail-analyze diff --baseline RUNS --candidate RUNS [options]\n"
"       vmtrail-analyze -h, --help | -V, --version\n"
"\n"
"Summarize a recorded vm_event run, or compare baseline runs with candidate\n"
"runs and decide, with statistics, whether the guest's behaviour changed.\n"
"\n"
"Naming runs (RUN; RUNS is a comma-separated list of them):\n"
"  TRACE          a trace file written by vmtrail-record (recognized by its\n"
"                 magic); imported into a temporary database first\n"
"  DB             a database written by vmtrail-replay: every run in it\n"
"                 (summary: the only run, or the one --run names)\n"
"  DB:ID          run ID of that database\n"
"  ID             run ID of the database given with --db\n"
"  With --clickhouse URL, runs are named in that ClickHouse database\n"
"  (replay/CLICKHOUSE.md): a run UUID, a run id, or label:KEY=VALUE for\n"
"  every run carrying that label; the counts are computed by the server.\n"
"\n"
"summary: duration; events per reason and per vCPU with rates; the most\n"
"  frequent behaviours of each reason (MSRs written, control-register bits,\n"
"  CPUID leaves, pages and access types, breakpoint and execute-fault RIPs,\n"
"  syscalls); address spaces by activity; phases between markers; the share\n"
"  of vCPU time spent paused for the recorder and the share of the run\n"
"  without gaps.\n"
"  --run ID            pick a run of a database holding several\n"
"  --json              one JSON object instead of text\n"
"  --clickhouse URL    RUN is in ClickHouse (http://HOST:PORT/?database=DB)\n"
"\n"
"diff: one row per behaviour key, per reason and per vCPU, for the whole run\n"
"  and, when every run has the same markers, for each phase.  Rates are\n"
"  counted per unit of the guest's work (events of the behaviours that did\n"
"  not change), so a run or phase that was merely faster or slower changes\n"
"  no row.  One run a side: exact test of each row's share of the work.\n"
"  Several runs a side: exact test on pooled counts scaled by a dispersion\n"
"  that empirical Bayes shares across rows (see analyze/README.md).\n"
"  p-values are Benjamini-Hochberg corrected over all rows.  A row is \"~\"\n"
"  when not significant or when its change is below --min-change.\n"
"  Each run's counts, the rows and the p-values go to unlinked temporary\n"
"  files under $TMPDIR (else /tmp): the comparison's memory does not grow\n"
"  with the behaviours (an SQLite diff's loads hold one run per thread),\n"
"  its disk does: about 40 bytes per behaviour and phase of each run and\n"
"  200 per row.\n"
"  --baseline RUNS     the reference runs (required)\n"
"  --candidate RUNS    the runs under test (required)\n"
"  --db FILE           database that bare run ids refer to\n"
"  --clickhouse URL    the runs are in ClickHouse; user and password from the\n"
"                      URL or CLICKHOUSE_USER / CLICKHOUSE_PASSWORD\n"
"  --alpha A           false discovery rate for a significant row (0.05)\n"
"  --min-change PCT    smallest change in percent worth flagging (0)\n"
"  --per work|second   count rates per unit of guest work (default) or per\n"
"                      wall-clock second (timer interrupts, fixed-duration\n"
"                      tests); every output names the one used\n"
"  --strict-sets       every behaviour present in all runs of one side and\n"
"                      absent from the other is a regression, even when its\n"
"                      count is too small to be significant\n"
"  --force             compare runs recorded under different conditions\n"
"  --ignore-label KEY  leave label KEY out of the comparability gate\n"
"                      (comma-separated keys; repeatable)\n"
"  --all               text: show every row, not just totals and changes\n"
"  --keep-rare         make a row of every key, also of those seen too few\n"
"                      times in all runs together to ever be flagged (by\n"
"                      default their events count as work but they are no\n"
"                      rows: the method line says how few and how many)\n"
"  --json              JSON on standard output instead of text\n"
"  --html FILE         also write a self-contained HTML report with charts\n"
"  --junit FILE        also write JUnit XML for CI: a test case per behaviour\n"
"                      family, a failure per significant change\n"
"  --markdown FILE     also write a Markdown summary for a pull request or\n"
"                      $GITHUB_STEP_SUMMARY\n"
"                      (report files are new files, mode 0600, never a run\n"
"                      compared)\n"
"\n"
"Comparability gate: runs must share the vm_event ABI version, the vCPU\n"
"count, the monitors with their parameters and the labels given to the\n"
"recorder; otherwise diff names the first differing factor and exits 2.\n"
"\n"
"Exit status:\n"
"  0  no significant change (summary: success)\n"
"  1  significant change found: a rate up or down, or a behaviour new or\n"
"     vanished in every run\n"
"  2  error, or incomparable runs without --force\n"
"\n"
"Examples:\n"
"  vmtrail-analyze summary run.vmt\n"
"  vmtrail-analyze diff --baseline a1.vmt,a2.vmt,a3.vmt --candidate b1.vmt,b2.vmt,b3.vmt\n"
"  vmtrail-analyze diff --db all.db --baseline 1,2,3 --candidate 4,5,6 --html report.html\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static int fail(const char *what)
{
	fprintf(stderr, "vmtrail-analyze: %s\n", what);
	return EXIT_TROUBLE;
}

static int bad_usage(const char *what)
{
	fprintf(stderr, "vmtrail-analyze: %s\nTry 'vmtrail-analyze --help'.\n", what);
	return EXIT_TROUBLE;
}

static void free_runs(struct vmt_an_run **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vmt_an_run_free(v[i]);
	free(v);
}

/* ---- ClickHouse ---------------------------------------------------------- */

/*
 * A client whose queries may read Distributed tables: their subqueries then
 * read each shard's own tables (a run lives on one shard).
 */
static struct vmt_ch *ch_open(const char *url)
{
	char *u = malloc(strlen(url) + 80);
	struct vmt_ch *c = NULL;
	int err;

	if (!u)
		return NULL;
	/* a diff's rare-key query lists its runs' ids in several places */
	sprintf(u, "%s%sdistributed_product_mode=local&max_query_size=16777216", url,
		!strchr(url, '?') ? "?" : url[strlen(url) - 1] == '?' ? "" : "&");
	err = vmt_ch_open(&c, u);
	free(u);
	if (err == -EINVAL)
		fprintf(stderr, "vmtrail-analyze: bad --clickhouse URL '%s' (http://HOST:PORT/?database=DB)\n",
			url);
	else if (!err)
		err = vmt_ch_check(c);
	if (err && err != -EINVAL) {
		fprintf(stderr, "vmtrail-analyze: ClickHouse database '%s': %s\n",
			c ? vmt_ch_database(c) : "?", err == -ENOENT ? "does not exist"
			: err == -EACCES ? "login refused (check user and password)"
			: c && vmt_ch_error(c)[0] ? vmt_ch_error(c) : vmt_strerror(err));
	}
	if (err) {
		vmt_ch_close(c);
		return NULL;
	}
	return c;
}

static int ch_summary(const char *url, const char *ref, int json)
{
	struct vmt_ch *c = ch_open(url);
	struct vmt_an_run **runs = NULL;
	char why[600] = "";
	size_t n = 0;
	int err;

	if (!c)
		return EXIT_TROUBLE;
	err = vmt_an_ch_resolve(c, ref, 1, &runs, &n, why, sizeof(why));
	if (!err && n != 1) {
		snprintf(why, sizeof(why), "'%s' names %zu runs; summary takes one", ref, n);
		err = -EINVAL;
	}
	if (!err)
		err = vmt_an_ch_ledger(c, runs[0]);
	if (!err)
		err = json ? vmt_an_summary_json(stdout, runs[0])
			   : vmt_an_summary_text(stdout, runs[0]);
	free_runs(runs, n);
	vmt_ch_close(c);
	return err ? fail(why[0] ? why : vmt_strerror(err)) : EXIT_SAME;
}

/* ---- summary ------------------------------------------------------------- */

/* A run id: a whole number from 1 that fits runs.run_id (int64). */
static int run_id_ok(const char *s)
{
	char *end;
	long long v;

	if (!isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	return !errno && !*end && v >= 1;
}

static int cmd_summary(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"run", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{"clickhouse", required_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *run = NULL, *ch_url = NULL;
	char ref[4200], why[600] = "";
	struct vmt_an_srcs *srcs;
	struct vmt_an_run **runs = NULL;
	size_t n = 0;
	int json = 0, c, err;

	while ((c = getopt_long(argc, argv, "r:jC:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (!run_id_ok(optarg)) {
				snprintf(why, sizeof(why), "summary: bad --run '%.200s': a run "
					 "id is a whole number from 1", optarg);
				return bad_usage(why);
			}
			run = optarg;
			break;
		case 'j': json = 1; break;
		case 'C': ch_url = optarg; break;
		case 'h': usage(stdout); return EXIT_SAME;
		default: return bad_usage("summary: bad option");
		}
	}
	if (optind != argc - 1)
		return bad_usage("summary takes exactly one RUN (a trace or a database)");
	if (ch_url)
		return ch_summary(ch_url, argv[optind], json);
	snprintf(ref, sizeof(ref), "%s%s%s", argv[optind], run ? ":" : "", run ? run : "");
	if (vmt_an_srcs_new(&srcs, NULL))
		return fail("out of memory");
	err = vmt_an_resolve(srcs, ref, 1, &runs, &n, why, sizeof(why));
	if (!err)
		err = vmt_an_srcs_load(srcs, why, sizeof(why));
	if (!err && n != 1) {
		snprintf(why, sizeof(why), "%s: the database holds %zu runs; pick one with --run ID",
			 argv[optind], n);
		err = -EINVAL;
	}
	if (!err)
		err = vmt_an_load_ledger(runs[0]->db, runs[0]);
	if (!err)
		err = json ? vmt_an_summary_json(stdout, runs[0])
			   : vmt_an_summary_text(stdout, runs[0]);
	free_runs(runs, n);
	vmt_an_srcs_free(srcs);
	if (err)
		return fail(why[0] ? why : vmt_strerror(err));
	return EXIT_SAME;
}

/* ---- diff ----------------------------------------------------------------- */

struct diff_args {
	const char *base, *cand, *db, *html, *junit, *markdown, *ch_url;
	char ignore[1024];
	struct vmt_an_cmp_opts o;
	int json, all;
};

static int parse_number(const char *s, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	/* written so that nan fails too */
	return errno || end == s || *end || !isfinite(*out) ||
	       !(*out >= lo && *out <= hi) ? -EINVAL : 0;
}

static int parse_diff(int argc, char **argv, struct diff_args *a)
{
	static const struct option longopts[] = {
		{"baseline", required_argument, NULL, 'b'},
		{"candidate", required_argument, NULL, 'c'},
		{"db", required_argument, NULL, 'd'},
		{"alpha", required_argument, NULL, 'a'},
		{"min-change", required_argument, NULL, 'm'},
		{"per", required_argument, NULL, 'p'},
		{"strict-sets", no_argument, NULL, 's'},
		{"force", no_argument, NULL, 'f'},
		{"ignore-label", required_argument, NULL, 'i'},
		{"all", no_argument, NULL, 'A'},
		{"keep-rare", no_argument, NULL, 'K'},
		{"json", no_argument, NULL, 'j'},
		{"html", required_argument, NULL, 'H'},
		{"junit", required_argument, NULL, 'J'},
		{"markdown", required_argument, NULL, 'M'},
		{"clickhouse", required_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	a->o.alpha = 0.05;
	while ((c = getopt_long(argc, argv, "b:c:d:a:m:p:sfi:AjH:C:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'C': a->ch_url = optarg; break;
		case 'b': a->base = optarg; break;
		case 'c': a->cand = optarg; break;
		case 'd': a->db = optarg; break;
		case 'a':
			if (parse_number(optarg, 1e-300, 1, &a->o.alpha))
				return bad_usage("--alpha wants a number in (0, 1]");
			break;
		case 'm':
			if (parse_number(optarg, 0, 1e9, &a->o.min_change))
				return bad_usage("--min-change wants a percentage >= 0");
			break;
		case 'p':
			if (!strcmp(optarg, "work") || !strcmp(optarg, "second"))
				a->o.per = *optarg == 'w' ? VMT_AN_PER_WORK : VMT_AN_PER_SECOND;
			else
				return bad_usage("--per wants 'work' or 'second'");
			break;
		case 's': a->o.strict_sets = 1; break;
		case 'f': a->o.force = 1; break;
		case 'i':
			snprintf(a->ignore + strlen(a->ignore), sizeof(a->ignore) - strlen(a->ignore),
				 "%s%s", a->ignore[0] ? "," : "", optarg);
			break;
		case 'A': a->all = 1; break;
		case 'K': a->o.rare_cap = 1; break;
		case 'j': a->json = 1; break;
		case 'H': a->html = optarg; break;
		case 'J': a->junit = optarg; break;
		case 'M': a->markdown = optarg; break;
		case 'h': usage(stdout); return -1;
		default: return bad_usage("diff: bad option");
		}
	}
	if (optind != argc)
		return bad_usage("diff: unexpected argument; name runs with --baseline and --candidate");
	if (!a->base || !a->cand)
		return bad_usage("diff needs --baseline RUNS and --candidate RUNS");
	if (a->ch_url && a->db)
		return bad_usage("diff: --db and --clickhouse exclude each other");
	a->o.ignore_labels = a->ignore;
	return 0;
}

typedef int (*report_fn)(FILE *f, const struct vmt_an_diff *d);

/* A report file (--html, --junit, --markdown) is created exclusively,
 * 0600, and appears only when complete. */
/* A report is rendered from the comparison's temporary files: whether one
 * failed to read back while it was written. */
static int read_back(const struct vmt_an_diff *d)
{
	int err = vmt_an_diff_err(d);

	if (err)
		fprintf(stderr, "vmtrail-analyze: reading the comparison back from %s: %s\n",
			vmt_an_spill_dir(), vmt_strerror(err));
	return err;
}

static int write_report(const char *path, const struct vmt_an_diff *d, report_fn render)
{
	struct vmt_out o;
	int fd = vmt_out_open(&o, path, 0), err;
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!f) {
		err = fd < 0 ? fd : -errno;
		fprintf(stderr, "vmtrail-analyze: %s: cannot create: %s\n", path,
			err == -EEXIST ? "file exists (remove it or choose another name)"
				       : strerror(-err));
		if (fd >= 0) {
			close(fd);
			vmt_out_abort(&o);
		}
		return err;
	}
	err = render(f, d);
	if (fclose(f) && !err)
		err = -EIO;
	if (!err && (err = read_back(d))) { /* incomplete: never committed */
		vmt_out_abort(&o);
		return err;
	}
	if (!err)
		err = vmt_out_commit(&o);
	else
		vmt_out_abort(&o);
	if (err)
		fprintf(stderr, "vmtrail-analyze: %s: %s\n", path, err == -EEXIST ?
			"appeared while the report was written; not replaced" :
			"write failed");
	return err;
}

/* @item (N bytes of a RUNS list) names @path: as a file, or as DB:ID. */
static int item_is(const char *path, const char *item, size_t n)
{
	char f[4096];
	const char *colon = memrchr(item, ':', n);

	snprintf(f, sizeof(f), "%.*s", (int)n, item);
	if (vmt_same_file(path, f))
		return 1;
	snprintf(f, sizeof(f), "%.*s", (int)(colon ? colon - item : 0), item);
	return colon && vmt_same_file(path, f);
}

/* A report must not replace a run it was computed from: each RUNS item
 * and --db are compared with it, through links; two reports may not share
 * a name. */
static int report_is_input(const struct diff_args *a, const char *out)
{
	const char *lists[] = { a->base, a->cand, a->db };
	const char *outs[] = { a->html, a->junit, a->markdown };

	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++)
		for (const char *p = lists[l]; p && *p;) {
			size_t n = strcspn(p, ",");

			if (item_is(out, p, n)) {
				fprintf(stderr, "vmtrail-analyze: %s: is one of the "
					"runs compared; choose another report file\n",
					out);
				return 1;
			}
			p += n + (p[n] == ',');
		}
	for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++)
		if (outs[i] && outs[i] != out && !strcmp(outs[i], out)) {
			fprintf(stderr, "vmtrail-analyze: %s: named for two reports\n", out);
			return 1;
		}
	return 0;
}

static int reports_are_inputs(const struct diff_args *a)
{
	return (a->html && report_is_input(a, a->html)) ||
	       (a->junit && report_is_input(a, a->junit)) ||
	       (a->markdown && report_is_input(a, a->markdown));
}

/* A diff keeps its counts and rows in temporary files: a directory that
 * cannot hold them is said before anything is loaded. */
static int scratch_ok(char *why, size_t cap)
{
	FILE *f;
	int err = vmt_an_scratch(&f);

	if (!err) {
		fclose(f);
		return 1;
	}
	snprintf(why, cap, "comparing the runs: a temporary file in %s: %s",
		 vmt_an_spill_dir(), vmt_strerror(err));
	return 0;
}

static int run_diff(struct diff_args *a, struct vmt_an_srcs *srcs,
		    struct vmt_an_run ***b, size_t *nb, struct vmt_an_run ***c,
		    size_t *nc)
{
	char why[600] = "";
	struct vmt_an_diff d = {0};
	struct vmt_ch *ch = NULL;
	int err, rc;

	if (!scratch_ok(why, sizeof(why)))
		return fail(why);
	if (a->ch_url && !(ch = ch_open(a->ch_url)))
		return EXIT_TROUBLE;
	if (ch) {
		/* ClickHouse pools rare keys on the server; a comparison whose
		 * exposures allow fewer of them asks for a load at a lower floor */
		while (!(err = vmt_an_ch_resolve_diff(ch, a->base, a->cand, &a->o, b, nb, c,
						      nc, why, sizeof(why))) &&
		       (err = vmt_an_compare(&d, *b, *nb, *c, *nc, &a->o)) == -EAGAIN) {
			a->o.rare_cap = d.rare_floor;
			vmt_an_diff_free(&d);
			free_runs(*b, *nb);
			free_runs(*c, *nc);
			*b = *c = NULL;
			*nb = *nc = 0;
		}
		vmt_ch_close(ch);
	} else {
		vmt_an_srcs_spill(srcs);
		err = vmt_an_resolve(srcs, a->base, 0, b, nb, why, sizeof(why));
		if (!err)
			err = vmt_an_resolve(srcs, a->cand, 0, c, nc, why, sizeof(why));
		if (!err)
			err = vmt_an_srcs_load(srcs, why, sizeof(why));
		if (!err)
			err = vmt_an_compare(&d, *b, *nb, *c, *nc, &a->o);
	}
	if (err && !why[0] && err != -ENOMEM) /* the runs loaded: the counts' files */
		snprintf(why, sizeof(why), "comparing the runs: a temporary file in %s: %s",
			 vmt_an_spill_dir(), vmt_strerror(err));
	if (err) {
		vmt_an_diff_free(&d);
		return fail(why[0] ? why : vmt_strerror(err));
	}
	err = a->json ? vmt_an_diff_json(stdout, &d) : vmt_an_diff_text(stdout, &d, a->all);
	if (!err)
		err = read_back(&d);
	if (!err && a->html)
		err = write_report(a->html, &d, vmt_an_diff_html);
	if (!err && a->junit)
		err = write_report(a->junit, &d, vmt_an_diff_junit);
	if (!err && a->markdown)
		err = write_report(a->markdown, &d, vmt_an_diff_markdown);
	if (d.incomparable[0] && !d.forced) {
		fprintf(stderr, "vmtrail-analyze: incomparable runs: %s; use --force to compare anyway\n",
			d.incomparable);
		rc = EXIT_TROUBLE;
	} else {
		rc = err ? EXIT_TROUBLE : d.regressions ? EXIT_CHANGED : EXIT_SAME;
	}
	vmt_an_diff_free(&d);
	return rc;
}

static int cmd_diff(int argc, char **argv)
{
	struct diff_args a;
	struct vmt_an_srcs *srcs;
	struct vmt_an_run **b = NULL, **c = NULL;
	size_t nb = 0, nc = 0;
	int rc;

	memset(&a, 0, sizeof(a));
	rc = parse_diff(argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_SAME : rc;
	if (reports_are_inputs(&a))
		return EXIT_TROUBLE;
	if (vmt_an_srcs_new(&srcs, a.db))
		return fail("out of memory");
	rc = run_diff(&a, srcs, &b, &nb, &c, &nc);
	free_runs(b, nb);
	free_runs(c, nc);
	vmt_an_srcs_free(srcs);
	return rc;
}

static void log_to_stderr(enum vmt_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level <= VMT_LOG_WARN)
		fprintf(stderr, "vmtrail-analyze: %s\n", msg);
}

static int run_command(int argc, char **argv)
{
	if (argc < 2)
		return bad_usage("missing command: summary or diff");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return EXIT_SAME;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("vmtrail-analyze %s\n", VMT_VERSION_STRING);
		return EXIT_SAME;
	}
	if (!strcmp(argv[1], "summary"))
		return cmd_summary(argc - 1, argv + 1);
	if (!strcmp(argv[1], "diff"))
		return cmd_diff(argc - 1, argv + 1);
	fprintf(stderr, "vmtrail-analyze: unknown command '%s'\nTry 'vmtrail-analyze --help'.\n",
		argv[1]);
	return EXIT_TROUBLE;
}

/* Output that could not be written (a full disk, a closed pipe) is an
 * error, never a silent success. */
int main(int argc, char **argv)
{
	int rc;

	vmt_set_log_fn(log_to_stderr, NULL);
	vmt_tmp_cleanup_on_signals();
	rc = run_command(argc, argv);
	if (vmt_stdout_close()) {
		fprintf(stderr, "vmtrail-analyze: standard output: write error\n");
		rc = EXIT_TROUBLE;
	}
	return rc;
}
