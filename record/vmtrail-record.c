/*
 * vmtrail-record.c - the command-line front end of the recorder: options,
 * signals, the status line, messages and exit codes (0 ok, 1 runtime
 * failure, 2 usage).  The only file of record/ that prints or exits.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmt/record.h"
#include "vmt_cli.h"

#define PROG "vmtrail-record"

static const char usage_text[] =
"Usage: " PROG " [--sim[=SOCKET] | --xen-libdir DIR] -d DOMAIN -o FILE\n"
"                      [MONITORS] [LIMITS] [OPTIONS]\n"
"       " PROG " [--sim[=SOCKET] | --xen-libdir DIR] -d DOMAIN --release\n"
"       " PROG " --tap [--sim[=SOCKET] | --xen-libdir DIR] -o FILE [LIMITS]\n"
"                      [OPTIONS] -- COMMAND [ARGS...]\n"
"       " PROG " mark --control SOCKET TEXT\n"
"       " PROG " stats --control SOCKET\n"
"\n"
"Record the vm_event monitor ring of a Xen domain into a trace file.  Every\n"
"request is answered so that the guest behaves as if it were not watched,\n"
"and every request and response is stored with a sequence number and a\n"
"nanosecond timestamp (zstd-compressed chunks, see vmtrail-replay).\n"
"\n"
"With --tap, the ring belongs to COMMAND, another monitor (LibVMI, DRAKVUF,\n"
"xen-access...): it runs with vmtrail's interposing libxenctrl and\n"
"libxenevtchn first on its library path, which forward every call and\n"
"record the requests it receives and the responses it sends.\n"
"\n"
"Where the events come from:\n"
"  --sim[=SOCKET]       use xensim, the simulated Xen host, instead of Xen\n"
"                       (SOCKET defaults to $VMT_XENSIM_SOCKET, then\n"
"                       /tmp/vmtrail-xensim.sock)\n"
"  --xen-libdir DIR     load libxenctrl/libxenevtchn/libxenstore from DIR\n"
"  --tap                record the ring of COMMAND (after --) instead of\n"
"                       taking one; the domain and monitors are COMMAND's\n"
"  --tap-buffer SIZE    with --tap: memory shared with COMMAND for what it\n"
"                       captured (default 16M); when the disk falls that far\n"
"                       behind, requests are recorded as lost\n"
"  -d, --domain DOMAIN  domain id or name\n"
"  -o, --output FILE    trace file to create (mode 0600)\n"
"  -f, --force          replace FILE if it exists\n"
"\n"
"Monitors (default when none is given: cr0, cr3, cr4 async on change;\n"
"MSRs 0x174-0x176, 0xc0000080, 0xc0000082; cpuid; guest-request;\n"
"breakpoint; those this Xen lacks are left out):\n"
"  --cr REG[:PARAM,...] control-register writes; REG is cr0, cr3, cr4 or\n"
"                       xcr0; PARAM: sync or async (default), onchange\n"
"                       (default) or all; repeatable\n"
"  --msr LIST           writes to these MSRs (e.g. 0xc0000080,0xc0000082)\n"
"  --breakpoint         the guest's INT3 (re-injected into the guest)\n"
"  --singlestep         single-step events\n"
"  --guest-request[=sync|async]  requests the guest makes (default async);\n"
"                       guests use them as in-guest markers\n"
"  --debug[=sync|async] debug exceptions (re-injected)\n"
"  --cpuid              CPUID instructions\n"
"  --desc-access        descriptor-table register access\n"
"  --privcall           privileged calls (ARM SMC)\n"
"  --emul-unimpl        instructions the emulator does not implement\n"
"  --vmexit[=sync|async] every VM exit (Xen 4.17+)\n"
"  --mem-access START[-END]:PERM  restrict gfns START..END to PERM (n, r,\n"
"                       w, rw, x, rx, wx) and record accesses outside it;\n"
"                       the access is emulated, the guest proceeds;\n"
"                       repeatable, ranges must not overlap\n"
"\n"
"Limits (the recording also ends on SIGINT, SIGTERM, SIGHUP, or when the\n"
"domain goes away):\n"
"  --duration TIME      e.g. 30, 30s, 500ms, 5m, 1h\n"
"  --max-events N       stop after N requests\n"
"  --max-size SIZE      stop once the file holds SIZE bytes (K, M, G)\n"
"\n"
"Options:\n"
"  -l, --level LEVEL    zstd level, -7..19 (default 1)\n"
"  --compress-after     write the chunks uncompressed while recording and\n"
"                       compress the trace once the recording has ended:\n"
"                       less CPU taken from the guest and from a tapped\n"
"                       COMMAND during the run, about ten times the disk\n"
"                       space until its end (--max-size counts it); if\n"
"                       compressing fails the uncompressed trace stays\n"
"  --label KEY=VALUE    stored in the header for comparisons; repeatable\n"
"  --phase-names CODE=NAME[,CODE=NAME...]\n"
"                       name the guest's phase markers: guest requests\n"
"                       carrying CODE (e.g. 0=boot,1=login,2=work); stored\n"
"                       in the header, shown by replay and analyze instead\n"
"                       of 'request CODE'; NAME: 1-63 characters, none of\n"
"                       ';' ',' '='; each CODE once; repeatable\n"
"  --control SOCKET     accept markers and stats requests on this Unix\n"
"                       socket (see the mark subcommand)\n"
"  --unpause            DOMAIN was created paused (xl create -p, xensim -p):\n"
"                       unpause it once the monitors are on and\n"
"                       the header is written, so the trace starts at its\n"
"                       first instruction; refused (exit 1, nothing\n"
"                       touched) if DOMAIN is not paused\n"
"  --max-stall TIME     the longest the vCPUs wait on a disk that does not\n"
"                       keep up (default 1s, under the guest's lockup\n"
"                       watchdogs); past it requests are answered but not\n"
"                       recorded, and a LOSS record counts them\n"
"  --release            disable a stale monitor ring left on DOMAIN by a\n"
"                       recorder that was killed, then exit\n"
"  -q, --quiet          errors only: no status line, no final summary\n"
"  -h, --help           this text\n"
"  -V, --version        version\n"
"\n"
"A partly filled chunk reaches the file at least every 100 ms, so a\n"
"recorder killed with SIGKILL loses at most that interval plus the chunks\n"
"still queued for compression; the rest of the file stays readable.\n"
"\n"
"With --tap, SIGINT, SIGTERM and SIGHUP are forwarded to COMMAND; the\n"
"recording ends when COMMAND has ended, and limits end only the recording.\n"
"\n"
"Exit status: 0 success (also after a signal), 1 runtime failure (the\n"
"message names the file or the Xen call), 2 usage error.  With --tap:\n"
"COMMAND's exit status (128+N if signal N killed it), or 1 if COMMAND\n"
"succeeded but the recording failed.\n";

enum {
	OPT_SIM = 256, OPT_LIBDIR, OPT_DURATION, OPT_MAX_EVENTS, OPT_MAX_SIZE,
	OPT_LABEL, OPT_CONTROL, OPT_RELEASE, OPT_MONITOR, OPT_UNPAUSE,
	OPT_PHASE_NAMES, OPT_TAP, OPT_TAP_BUFFER, OPT_MAX_STALL, OPT_COMPRESS_AFTER
};

static const struct option long_opts[] = {
	{ "sim", optional_argument, NULL, OPT_SIM },
	{ "xen-libdir", required_argument, NULL, OPT_LIBDIR },
	{ "domain", required_argument, NULL, 'd' },
	{ "output", required_argument, NULL, 'o' },
	{ "force", no_argument, NULL, 'f' },
	{ "level", required_argument, NULL, 'l' },
	{ "compress-after", no_argument, NULL, OPT_COMPRESS_AFTER },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "max-stall", required_argument, NULL, OPT_MAX_STALL },
	{ "max-events", required_argument, NULL, OPT_MAX_EVENTS },
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "release", no_argument, NULL, OPT_RELEASE },
	{ "unpause", no_argument, NULL, OPT_UNPAUSE },
	{ "phase-names", required_argument, NULL, OPT_PHASE_NAMES },
	{ "tap", no_argument, NULL, OPT_TAP },
	{ "tap-buffer", required_argument, NULL, OPT_TAP_BUFFER },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "cr", required_argument, NULL, OPT_MONITOR },
	{ "msr", required_argument, NULL, OPT_MONITOR },
	{ "mem-access", required_argument, NULL, OPT_MONITOR },
	{ "breakpoint", no_argument, NULL, OPT_MONITOR },
	{ "singlestep", no_argument, NULL, OPT_MONITOR },
	{ "guest-request", optional_argument, NULL, OPT_MONITOR },
	{ "debug", optional_argument, NULL, OPT_MONITOR },
	{ "cpuid", no_argument, NULL, OPT_MONITOR },
	{ "desc-access", no_argument, NULL, OPT_MONITOR },
	{ "privcall", no_argument, NULL, OPT_MONITOR },
	{ "emul-unimpl", no_argument, NULL, OPT_MONITOR },
	{ "vmexit", optional_argument, NULL, OPT_MONITOR },
	{ NULL, 0, NULL, 0 }
};

struct cli {
	struct vmt_recorder_opts o;
	struct vmt_monitors mon;
	char labels[VMT_TEXT_MAX];
	char phase_names[VMT_TEXT_MAX];
	char cmdline[VMT_TEXT_MAX];
	char libdir[PATH_MAX];
	char taplib[PATH_MAX];
	char **command;            /* --tap: COMMAND and its arguments */
	int sim, release, quiet, best_effort, tap, monitors_given;
	uint64_t tap_buffer;
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" PROG " --help' for more information.\n");
	return 2;
}

/* TIME and SIZE (vmt_cli.h; a plain number of seconds); 0 on error. */
static uint64_t parse_duration(const char *s)
{
	uint64_t ns;
	return vmt_cli_duration(s, VMT_NS_PER_S, &ns) ? 0 : ns;
}

static uint64_t parse_size(const char *s)
{
	uint64_t v;
	return vmt_cli_size(s, &v) ? 0 : v;
}

/*
 * --sim: xensim's client libraries beside the program (build tree), then
 * where an installed tree keeps them relative to the program (so a moved
 * install still works), then the configured install path.
 */
static void find_libdir(char *out, size_t cap, const char *build_rel,
			const char *install_rel, const char *install_abs)
{
	const char *const rel[] = { build_rel, install_rel };
	char exe[PATH_MAX - 64];  /* room for the suffix in @out */
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash = NULL;

	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
	}
	for (size_t i = 0; slash && i < sizeof(rel) / sizeof(rel[0]); i++) {
		*slash = '\0';
		snprintf(out, cap, "%s/../%s", exe, rel[i]);
		if (access(out, R_OK | X_OK) == 0)
			return;
	}
	snprintf(out, cap, "%s", install_abs);
}

static void sim_libdir(char *out, size_t cap)
{
	find_libdir(out, cap, "lib/xensim", VMT_XENSIM_LIBDIR_REL,
		    VMT_XENSIM_LIBDIR);
}

/* --tap: what is left after "--" is COMMAND; the rest is COMMAND's. */
static int tap_args(struct cli *c, int argc, char **argv)
{
	if (optind >= argc)
		return usage_error("--tap needs a COMMAND after --");
	if (c->release || c->o.domain || c->monitors_given || c->o.unpause)
		return usage_error("--tap records COMMAND's own ring: -d, "
				   "--release, --unpause and monitor options "
				   "do not apply");
	if (!c->o.path)
		return usage_error("no output file given (-o FILE)");
	c->command = argv + optind;
	if (c->sim)
		sim_libdir(c->libdir, sizeof(c->libdir));
	find_libdir(c->taplib, sizeof(c->taplib), "lib/tap",
		    VMT_TAP_LIBDIR_REL, VMT_TAP_LIBDIR);
	return 0;
}

static void join_cmdline(char *out, size_t cap, int argc, char **argv)
{
	size_t len = 0;
	out[0] = '\0';
	for (int i = 0; i < argc && len + 1 < cap; i++)
		len += (size_t)snprintf(out + len, cap - len, "%s%s",
					i ? " " : "", argv[i]);
}

static int set_defaults(struct vmt_monitors *m)
{
	static const char *const def[][2] = {
		{ "cr", "cr0" }, { "cr", "cr3" }, { "cr", "cr4" },
		{ "msr", "0x174,0x175,0x176,0xc0000080,0xc0000082" },
		{ "cpuid", NULL }, { "guest-request", NULL },
		{ "breakpoint", NULL },
	};
	char why[128];
	for (size_t i = 0; i < sizeof(def) / sizeof(def[0]); i++)
		if (vmt_monitors_parse(m, def[i][0], def[i][1], why, sizeof(why)))
			return -1;
	return 0;
}

/* "CODE=NAME[,CODE=NAME...]" into the canonical text (format/phases.c). */
static int add_phase_names(struct cli *c, const char *arg)
{
	char buf[VMT_TEXT_MAX], *save = NULL;
	size_t len = strlen(arg);

	/* strtok_r would skip empty items silently. */
	if (!len || arg[0] == ',' || arg[len - 1] == ',' || strstr(arg, ",,"))
		return usage_error("bad --phase-names '%s' (CODE=NAME[,CODE=NAME...])",
				   arg);
	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return usage_error("--phase-names: too long");
	for (char *it = strtok_r(buf, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(it, '='), *end;
		errno = 0;
		/* Decimal, or hex with 0x as guests often write it; never octal. */
		int base = it[0] == '0' && (it[1] == 'x' || it[1] == 'X') ? 16 : 10;
		unsigned long long code = eq && eq > it && *it != '-' && *it != '+' ?
					  strtoull(it, &end, base) : 0;
		if (!eq || eq == it || errno || end != eq)
			return usage_error("bad --phase-names item '%s' (CODE=NAME, "
					   "CODE a number)", it);
		int rc = vmt_phase_names_add(c->phase_names, sizeof(c->phase_names),
					     code, eq + 1);
		if (rc == -EEXIST)
			return usage_error("--phase-names: code %llu is named twice",
					   code);
		if (rc == -ENOSPC)
			return usage_error("--phase-names: too many names");
		if (rc)
			return usage_error("bad --phase-names name '%s' (1-63 "
					   "characters, none of ';' ',' '=')", eq + 1);
	}
	return 0;
}

static int parse_one(struct cli *c, int opt, const char *name)
{
	char why[256];
	int rc;
	switch (opt) {
	case OPT_SIM:
		c->sim = 1;
		if (optarg && setenv("VMT_XENSIM_SOCKET", optarg, 1))
			return usage_error("--sim: %s", strerror(errno));
		return 0;
	case OPT_LIBDIR: snprintf(c->libdir, sizeof(c->libdir), "%s", optarg); return 0;
	case 'd': c->o.domain = optarg; return 0;
	case 'o': c->o.path = optarg; return 0;
	case 'f': c->o.force = 1; return 0;
	case 'q': c->quiet = 1; return 0;
	case OPT_RELEASE: c->release = 1; return 0;
	case OPT_UNPAUSE: c->o.unpause = 1; return 0;
	case OPT_PHASE_NAMES: return add_phase_names(c, optarg);
	case OPT_TAP: c->tap = 1; return 0;
	case OPT_COMPRESS_AFTER: c->o.compress_after = 1; return 0;
	case OPT_CONTROL:
		if (!*optarg)   /* an unset variable: never an abstract socket */
			return usage_error("--control: empty socket path");
		c->o.control = optarg;
		return 0;
	case 'l': {
		char *end;
		long v = strtol(optarg, &end, 10);
		if (*end || end == optarg || v < -7 || v > 19 || v == 0)
			return usage_error("--level must be -7..19 (not 0), not '%s'",
					   optarg);
		c->o.level = (int)v;
		return 0;
	}
	case OPT_DURATION:
		if (!(c->o.duration_ns = parse_duration(optarg)))
			return usage_error("bad --duration '%s' (e.g. 30s, 500ms, 5m)",
					   optarg);
		return 0;
	case OPT_MAX_STALL:
		if (!(c->o.max_stall_ns = parse_duration(optarg)))
			return usage_error("bad --max-stall '%s' (e.g. 1s, 200ms)",
					   optarg);
		return 0;
	case OPT_MAX_EVENTS:
	case OPT_MAX_SIZE:
	case OPT_TAP_BUFFER: {
		uint64_t v = parse_size(optarg);
		if (!v || (opt == OPT_TAP_BUFFER && v > (1ull << 30)))
			return usage_error("bad --%s '%s'", name, optarg);
		*(opt == OPT_MAX_EVENTS ? &c->o.max_events :
		  opt == OPT_MAX_SIZE ? &c->o.max_bytes : &c->tap_buffer) = v;
		return 0;
	}
	case OPT_LABEL:
		rc = vmt_labels_add(c->labels, sizeof(c->labels), optarg);
		if (rc)
			return usage_error("bad --label '%s' (KEY=VALUE, no ';', "
					   "each key once)", optarg);
		return 0;
	case OPT_MONITOR:
		c->monitors_given = 1;
		rc = vmt_monitors_parse(&c->mon, name, optarg, why, sizeof(why));
		if (rc == -E2BIG)
			return usage_error("too many --%s values", name);
		return rc ? usage_error("--%s: %s", name, why) : 0;
	}
	return usage_error("unknown option");
}

static int parse_args(struct cli *c, int argc, char **argv)
{
	int opt, idx;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":d:o:fl:qhV", long_opts,
				  &idx)) != -1) {
		int rc;
		if (opt == 'h') {
			fputs(usage_text, stdout);
			exit(0);
		}
		if (opt == 'V') {
			printf(PROG " %s\n", VMT_RECORD_VERSION);
			exit(0);
		}
		if (opt == '?')
			return usage_error("unknown option '%s'", argv[optind - 1]);
		if (opt == ':')
			return usage_error("option '%s' needs an argument",
					   argv[optind - 1]);
		const char *name = opt >= 256 ? long_opts[idx].name : "";
		if ((rc = parse_one(c, opt, name)))
			return rc;
	}
	if (c->sim && c->libdir[0])
		return usage_error("--sim and --xen-libdir exclude each other");
	if (c->tap)
		return tap_args(c, argc, argv);
	if (c->tap_buffer)
		return usage_error("--tap-buffer needs --tap");
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!c->o.domain)
		return usage_error("no domain given (-d DOMAIN)");
	if (!c->release && !c->o.path)
		return usage_error("no output file given (-o FILE)");
	if (c->release && c->o.unpause)
		return usage_error("--unpause goes with a recording, not with "
				   "--release");
	if (c->sim)
		sim_libdir(c->libdir, sizeof(c->libdir));
	if (vmt_monitors_empty(&c->mon)) {
		set_defaults(&c->mon);
		c->best_effort = 1;
	}
	return 0;
}

/* ---- subcommands of the control socket ---- */

static int control_client(int argc, char **argv)
{
	const char *sock = NULL;
	int is_mark = !strcmp(argv[1], "mark");
	int i = 2;
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--control") && i + 1 < argc)
			sock = argv[++i];
		else if (!strncmp(argv[i], "--control=", 10))
			sock = argv[i] + 10;
		else
			break;
	}
	if (!sock)
		return usage_error("%s: --control SOCKET is required", argv[1]);
	if (!*sock)   /* an unset variable: never an abstract socket */
		return usage_error("%s: --control: empty socket path", argv[1]);
	if (is_mark ? i + 1 != argc : i != argc)
		return usage_error(is_mark ? "mark takes exactly one TEXT" :
					     "stats takes no argument");
	char line[VMT_TEXT_MAX + 8], reply[1024];
	snprintf(line, sizeof(line), is_mark ? "marker %s" : "stats",
		 is_mark ? argv[i] : "");
	if (is_mark && (!argv[i][0] || strchr(argv[i], '\n')))
		return usage_error("the marker text must be one non-empty line");
	int rc = vmt_control_request(sock, line, reply, sizeof(reply));
	if (is_mark && (rc == -ETIMEDOUT || rc == -ECONNRESET)) {
		/* Sent, and no verdict: only a refusal means "not recorded". */
		fprintf(stderr, PROG ": %s: %s: no answer from the recorder; "
			"the marker may or may not be recorded\n", sock,
			strerror(-rc));
		return 3;
	}
	if (rc) {
		fprintf(stderr, PROG ": %s: %s\n", sock, strerror(-rc));
		return 1;
	}
	if (!strncmp(reply, "error", 5)) {
		fprintf(stderr, PROG ": %s: %s\n", sock, reply);
		return 1;
	}
	puts(is_mark && !strncmp(reply, "ok ", 3) ? reply + 3 : reply);
	return 0;
}

/* ---- recording ---- */

static struct vmt_recorder *volatile g_rec;
static volatile sig_atomic_t g_signalled;  /* before g_rec existed */
static volatile pid_t g_tap_pid;           /* --tap: COMMAND */

static void on_signal(int sig)
{
	g_signalled = 1;
	if (g_tap_pid > 0)
		kill(g_tap_pid, sig);
	if (g_rec)
		vmt_recorder_stop(g_rec, VMT_END_SIGNAL);
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void human_bytes(char *out, size_t cap, double b)
{
	const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;
	while (b >= 1024 && u < 4) {
		b /= 1024;
		u++;
	}
	snprintf(out, cap, u ? "%.1f %s" : "%.0f %s", b, unit[u]);
}

static void status_line(const struct vmt_recorder_stats *s,
			const struct vmt_recorder_stats *prev, double dt)
{
	char w[32];
	human_bytes(w, sizeof(w), (double)s->bytes_written);
	double rate = dt > 0 ? (double)(s->requests - prev->requests) / dt : 0;
	double ratio = s->bytes_written ? (double)s->bytes_raw /
					  (double)s->bytes_written : 0;
	fprintf(stderr, "\r\033[K%.0f ev/s  %llu events  %s written  ratio "
		"%.1fx  ring max %u/8  back-pressure %.1f ms", rate,
		(unsigned long long)s->requests, w, ratio, s->max_occupancy,
		(double)s->backpressure_ns / 1e6);
}

static const char *end_name(uint32_t cause)
{
	static const char *const names[] = {
		"limit reached", "signal", "write error", "domain gone",
		"ring fault", "stopped"
	};
	return cause < 6 ? names[cause] : "unknown";
}

static void summary(const char *path, const struct vmt_recorder_result *res)
{
	const struct vmt_recorder_stats *s = &res->stats;
	double secs = (double)s->elapsed_ns / 1e9;
	double n = s->requests ? (double)s->requests : 1;
	char w[32];
	human_bytes(w, sizeof(w), (double)s->bytes_written);
	fprintf(stderr, PROG ": %s: %llu requests in %.2f s (%.0f ev/s), %s "
		"(%.1f bytes/event, ratio %.1fx), ring max %u/8, back-pressure "
		"%.1f ms, drain CPU %.0f ns/event; domain %u, ABI %u, %u vCPUs; "
		"ended: %s\n", path, (unsigned long long)s->requests, secs,
		secs > 0 ? (double)s->requests / secs : 0, w,
		(double)s->bytes_written / n,
		s->bytes_written ? (double)s->bytes_raw / (double)s->bytes_written : 0,
		s->max_occupancy, (double)s->backpressure_ns / 1e6,
		(double)s->drain_cpu_ns / n, res->domid, res->abi_version,
		res->vcpus, end_name(res->end_cause));
}

/* Requests the guest was not kept waiting for (--max-stall). */
static void stall_report(const char *path, const struct vmt_recorder_result *res)
{
	if (!res->stall_lost)
		return;
	fprintf(stderr, PROG ": %s: the disk did not keep up: %llu requests were "
		"answered without being recorded (--max-stall)", path,
		(unsigned long long)res->stall_lost);
	if (res->stall_unrecorded)
		fprintf(stderr, "; the last %llu of them are not even counted in the "
			"trace: no LOSS record could be written\n",
			(unsigned long long)res->stall_unrecorded);
	else
		fprintf(stderr, "; LOSS records (cause backlog) in the trace count "
			"them\n");
}

static void run_loop(struct vmt_recorder *r, int show)
{
	struct vmt_recorder_stats prev = { 0 }, cur;
	while (!vmt_recorder_wait(r, 500)) {
		vmt_recorder_stats(r, &cur);
		if (show)
			status_line(&cur, &prev,
				    (double)(cur.elapsed_ns - prev.elapsed_ns) / 1e9);
		prev = cur;
	}
	if (show)
		fprintf(stderr, "\r\033[K");
}

static int record(struct cli *c)
{
	struct vmt_rec_error err = { 0 };
	struct vmt_recorder_result res;
	struct vmt_recorder *r = NULL;

	c->o.sz = sizeof(c->o);
	c->o.xen_libdir = c->libdir[0] ? c->libdir : NULL;
	c->o.monitors = &c->mon;
	c->o.labels = c->labels;
	c->o.phase_names = c->phase_names;
	c->o.cmdline = c->cmdline;
	c->o.best_effort = c->best_effort;
	install_signals();
	if (vmt_recorder_open(&r, &c->o, &err)) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		return 1;
	}
	g_rec = r;
	if (g_signalled)  /* interrupted while attaching: record nothing */
		vmt_recorder_stop(r, VMT_END_SIGNAL);
	int rc = vmt_recorder_start(r, &err);
	if (!rc)
		run_loop(r, !c->quiet && isatty(STDERR_FILENO));
	int crc = vmt_recorder_close(r, &res, rc ? NULL : &err);
	g_rec = NULL;
	if (!c->quiet)
		summary(c->o.path, &res);
	stall_report(c->o.path, &res);
	if (rc || crc) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		if (res.write_error)
			fprintf(stderr, PROG ": the guest was released; %s is "
				"readable up to its last complete chunk: %llu "
				"of %llu requests are in it\n", c->o.path,
				(unsigned long long)res.requests_written,
				(unsigned long long)res.stats.requests);
		return 1;
	}
	return 0;
}

static void tap_summary(const char *path, const struct vmt_recorder_result *res)
{
	const struct vmt_recorder_stats *s = &res->stats;
	int st = res->command_status;
	double secs = (double)s->elapsed_ns / 1e9;
	char w[32], how[64];

	human_bytes(w, sizeof(w), (double)s->bytes_written);
	if (WIFSIGNALED(st))
		snprintf(how, sizeof(how), "was killed by signal %d", WTERMSIG(st));
	else
		snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(st));
	fprintf(stderr, PROG ": %s: %llu requests in %.2f s (%.0f ev/s), %s; "
		"domain %u, ABI %u, %u vCPUs; tapped COMMAND %s; recording "
		"ended: %s\n", path, (unsigned long long)s->requests, secs,
		secs > 0 ? (double)s->requests / secs : 0, w, res->domid,
		res->abi_version, res->vcpus, how, end_name(res->end_cause));
}

/* COMMAND's status as a shell reports it. */
static int command_exit(int st)
{
	if (st < 0)
		return 1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
}

static int record_tap(struct cli *c)
{
	struct vmt_rec_error err = { 0 };
	struct vmt_recorder_result res;
	struct vmt_recorder *r = NULL;
	VMT_OPTS(vmt_tap_opts, o, .xen_libdir = c->libdir[0] ? c->libdir : NULL,
		 .tap_libdir = c->taplib, .argv = c->command, .path = c->o.path,
		 .force = c->o.force, .level = c->o.level,
		 .max_events = c->o.max_events, .max_bytes = c->o.max_bytes,
		 .duration_ns = c->o.duration_ns, .control = c->o.control,
		 .labels = c->labels, .cmdline = c->cmdline,
		 .stream_bytes = c->tap_buffer, .phase_names = c->phase_names,
		 .compress_after = c->o.compress_after);

	install_signals();
	if (vmt_tap_open(&r, &o, &err)) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		return 1;
	}
	g_tap_pid = vmt_tap_pid(r);
	g_rec = r;
	if (g_signalled)  /* before COMMAND could be told */
		kill(g_tap_pid, SIGTERM);
	int rc = vmt_recorder_start(r, &err);
	if (!rc)
		run_loop(r, !c->quiet && isatty(STDERR_FILENO));
	int crc = vmt_recorder_close(r, &res, rc ? NULL : &err);
	g_rec = NULL;
	g_tap_pid = 0;
	int status = command_exit(res.command_status);
	if (rc || crc) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		return status ? status : 1;
	}
	if (!c->quiet)
		tap_summary(c->o.path, &res);
	return status;
}

static int release(struct cli *c)
{
	struct vmt_rec_error err = { 0 };
	uint32_t domid = 0;
	if (vmt_recorder_release(c->libdir[0] ? c->libdir : NULL, c->o.domain,
				 &domid, &err)) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		return 1;
	}
	if (!c->quiet)
		fprintf(stderr, PROG ": released the monitor ring of domain %u\n",
			domid);
	return 0;
}

int main(int argc, char **argv)
{
	static struct cli c;

	if (argc > 1 && (!strcmp(argv[1], "mark") || !strcmp(argv[1], "stats")))
		return control_client(argc, argv);
	join_cmdline(c.cmdline, sizeof(c.cmdline), argc, argv);
	int rc = parse_args(&c, argc, argv);
	if (rc)
		return rc;
	if (c.tap)
		return record_tap(&c);
	return c.release ? release(&c) : record(&c);
}
