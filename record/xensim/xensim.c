/*
 * xensim.c - command line of the simulated Xen host: parses options,
 * builds the host, runs the daemon loop (server.c) and writes the stats;
 * or, with --query, asks a running daemon.  The only file of xensim that
 * prints or chooses an exit code.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto.h"
#include "sim.h"

#ifndef VMT_VERSION_STRING
#define VMT_VERSION_STRING "unknown"
#endif

#define EXIT_USAGE 2
#define MAX_DOMAINS 16
#define MAX_VCPUS 128

static const char usage_head[] =
"Usage: xensim [OPTION]...\n"
"       xensim [--socket PATH] --query stats|shutdown\n"
"       xensim run [--socket PATH] -- COMMAND [ARG]...\n"
"\n"
"Simulate a Xen host whose HVM domains raise vm_event monitor requests, for\n"
"testing vm_event consumers without Xen.  Consumers link xensim's client\n"
"libraries (build/lib/xensim: libxenctrl, libxenevtchn, libxenforeignmemory,\n"
"libxenstore with Xen's sonames), which reach this daemon over a Unix socket;\n"
"the ring page is shared memory and the event channel an eventfd, and the\n"
"ring follows Xen's rules (record/xensim/README.md).\n"
"\n"
"'xensim run' runs COMMAND, an unmodified Xen tool, as if on the dom0 of the\n"
"simulated host: xensim's libraries first on its library path, the socket\n"
"found, /sys/hypervisor and /proc/xen answering as the daemon's Xen release,\n"
"signals passed on, COMMAND's exit status returned ('xensim run --help').\n"
"\n"
"Options:\n"
"  -s, --socket PATH      listen on PATH (default: $VMT_XENSIM_SOCKET, else\n"
"                         " VMT_XENSIM_SOCKET_DEFAULT ")\n"
"  -d, --domain ID[:NAME] simulate domain ID (1..32767) named NAME; repeatable\n"
"                         (default: one domain, 1:guest-1)\n"
"  -c, --vcpus N          vCPUs per domain, 1..128 (default 1)\n";

/* --abi's text lists format/'s reference release of every version. */
static const char usage_abi[] =
"  -a, --abi V            vm_event interface version " VMT_ABI_RANGE " (default "
VMT_NUM_STR(VMT_ABI_MAX) "); sets\n"
"                         the Xen release reported (";
static const char usage_abi_end[] = ") and its monitor capabilities\n";

static const char usage_tail[] =
"  -w, --workload W       scenario name (samples/workloads/W.wl) or file\n"
"                         (a path with '/' or ending in .wl); default mixed\n"
"  -S, --seed N           workload seed (default 1); same seed, same\n"
"                         per-vCPU request streams\n"
"  -r, --rate EV/S|max    requests per second, all domains together\n"
"                         (default: the scenario's rate, else max)\n"
"  -p, --paused           create the domains paused, as 'xl create -p' does:\n"
"                         each runs once a consumer unpauses it (as\n"
"                         vmtrail-record does when asked to)\n"
"  -n, --events N         stop producing after N requests; exit once every\n"
"                         consumer disabled its ring or went away\n"
"  -o, --stats FILE       write the counts as JSON to FILE at exit\n"
"  -f, --fault F[=ARG]    misbehave on purpose; repeatable:\n"
"                           ring-jump[=N]        after request N (default 100)\n"
"                                                req_prod leaps 1000 past the\n"
"                                                ring; production stops\n"
"                           unknown-reason[=C[@I]] request I (0-based, default\n"
"                                                10) carries reason C (99)\n"
"                           bad-version[=V[@I]]  request I (default 10) says\n"
"                                                version V (default: the newest\n"
"                                                version but --abi's)\n"
"                           domain-die=N         the domain dies after request\n"
"                                                N (default 1000)\n"
"                           slow-evtchn=USEC     deliver each notification USEC\n"
"                                                late (default 1000)\n"
"  -P, --phase-names      print the workload's phase markers as\n"
"                         CODE=NAME,... (the phase names vmtrail-record\n"
"                         stores) and exit\n"
"  -q, --query WHAT       ask the daemon on --socket: 'stats' prints its\n"
"                         counts as JSON, 'shutdown' stops it\n"
"  -h, --help             show this help and exit\n"
"  -V, --version          show the version and exit\n"
"\n"
"Environment:\n"
"  VMT_XENSIM_SOCKET      default socket path (daemon and client libraries)\n"
"  VMT_XENSIM_WORKLOADS   extra directory searched first for scenario names\n"
"\n"
"Exit status: 0 stopped normally (signal, --query shutdown, or --events met),\n"
"1 runtime failure (socket in use, bad scenario file, I/O error),\n"
"2 usage error.\n";

struct opts {
	const char *socket, *workload, *stats, *query;
	uint32_t abi, vcpus;
	uint64_t seed, events, rate;
	bool rate_set, paused, phase_names;
	uint32_t n_dom;
	uint32_t dom_id[MAX_DOMAINS];
	char dom_name[MAX_DOMAINS][64];
	const char *faults[16];
	unsigned n_faults;
};

static void print_usage(FILE *f)
{
	int col = 50;

	fputs(usage_head, f);
	fputs(usage_abi, f);
	for (uint32_t v = VMT_ABI_MIN; v <= VMT_ABI_MAX; v++) {
		unsigned major = 0, minor = 0;
		char item[32];

		vmt_abi_xen_release(v, &major, &minor);
		int n = snprintf(item, sizeof(item), "%s%u:%u.%u",
				 v == VMT_ABI_MIN ? "" : " ", v, major, minor);
		if (col + n > 78) {
			fputs("\n                         ", f);
			col = 25;
			n = snprintf(item, sizeof(item), "%u:%u.%u", v, major,
				     minor);
		}
		fputs(item, f);
		col += n;
	}
	fputs(usage_abi_end, f);
	fputs(usage_tail, f);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "xensim: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'xensim --help' for more information.\n");
	return EXIT_USAGE;
}

static bool parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;

	/* strtoull would skip blanks and negate " -1" to 2^64-1 */
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool name_ok(const char *n)
{
	if (!*n || strlen(n) >= 64)
		return false;
	for (; *n; n++)
		if (!(*n == '-' || *n == '_' || *n == '.' ||
		      (*n >= '0' && *n <= '9') || (*n >= 'a' && *n <= 'z') ||
		      (*n >= 'A' && *n <= 'Z')))
			return false;
	return true;
}

static int add_domain(struct opts *o, const char *arg)
{
	char buf[96];
	char *colon;
	uint64_t id;

	if (o->n_dom == MAX_DOMAINS)
		return usage_error("at most 16 domains (at '%s')", arg);
	snprintf(buf, sizeof(buf), "%s", arg);
	colon = strchr(buf, ':');
	if (colon)
		*colon = '\0';
	if (!parse_u64(buf, 1, 32767, &id))
		return usage_error("--domain: bad domain id in '%s' (1..32767)", arg);
	for (uint32_t i = 0; i < o->n_dom; i++)
		if (o->dom_id[i] == id)
			return usage_error("--domain: id given twice in '%s'", arg);
	if (colon && !name_ok(colon + 1))
		return usage_error("--domain: bad name in '%s' (letters, digits, "
				   "'-', '_', '.'; up to 63)", arg);
	o->dom_id[o->n_dom] = (uint32_t)id;
	if (colon)
		strcpy(o->dom_name[o->n_dom], colon + 1);
	else
		snprintf(o->dom_name[o->n_dom], 64, "guest-%u", (unsigned)id);
	o->n_dom++;
	return 0;
}

static int parse_opt(struct opts *o, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case 's': o->socket = arg; return 0;
	case 'd': return add_domain(o, arg);
	case 'w': o->workload = arg; return 0;
	case 'o': o->stats = arg; return 0;
	case 'p': o->paused = true; return 0;
	case 'P': o->phase_names = true; return 0;
	case 'q':
		if (strcmp(arg, "stats") && strcmp(arg, "shutdown"))
			return usage_error("--query: '%s' is not stats or shutdown", arg);
		o->query = arg;
		return 0;
	case 'c':
		if (!parse_u64(arg, 1, MAX_VCPUS, &v))
			return usage_error("--vcpus: '%s' is not 1..128", arg);
		o->vcpus = (uint32_t)v;
		return 0;
	case 'a':
		if (!parse_u64(arg, VMT_ABI_MIN, VMT_ABI_MAX, &v))
			return usage_error("--abi: '%s' is not " VMT_ABI_RANGE, arg);
		o->abi = (uint32_t)v;
		return 0;
	case 'S':
		if (!parse_u64(arg, 0, UINT64_MAX, &o->seed))
			return usage_error("--seed: '%s' is not a number", arg);
		return 0;
	case 'n':
		if (!parse_u64(arg, 1, UINT64_MAX, &o->events))
			return usage_error("--events: '%s' is not a positive number", arg);
		return 0;
	case 'r':
		o->rate_set = true;
		if (!strcmp(arg, "max"))
			o->rate = 0;
		else if (!parse_u64(arg, 1, 1000000000, &o->rate))
			return usage_error("--rate: '%s' is not 1..1000000000 or max", arg);
		return 0;
	case 'f':
		if (o->n_faults == 16)
			return usage_error("too many --fault options (at '%s')", arg);
		o->faults[o->n_faults++] = arg;
		return 0;
	}
	return usage_error("%s", "unknown option");
}

static int parse_args(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "socket", 1, 0, 's' }, { "domain", 1, 0, 'd' },
		{ "vcpus", 1, 0, 'c' }, { "abi", 1, 0, 'a' },
		{ "workload", 1, 0, 'w' }, { "seed", 1, 0, 'S' },
		{ "rate", 1, 0, 'r' }, { "events", 1, 0, 'n' },
		{ "stats", 1, 0, 'o' }, { "fault", 1, 0, 'f' },
		{ "query", 1, 0, 'q' }, { "paused", 0, 0, 'p' },
		{ "phase-names", 0, 0, 'P' }, { "help", 0, 0, 'h' },
		{ "version", 0, 0, 'V' }, { 0, 0, 0, 0 },
	};
	int c, rc;

	while ((c = getopt_long(argc, argv, "s:d:c:a:w:S:r:n:o:f:q:pPhV", lo,
				NULL)) != -1) {
		if (c == 'h') {
			print_usage(stdout);
			exit(0);
		}
		if (c == 'V') {
			printf("xensim (vmtrail) %s\n", VMT_VERSION_STRING);
			exit(0);
		}
		if (c == '?')
			return usage_error("%s", "invalid option");
		rc = parse_opt(o, c, optarg);
		if (rc)
			return rc;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!o->socket)
		o->socket = vmt_xsim_socket_path();
	if (!o->n_dom)
		add_domain(o, "1");
	return 0;
}

/* ---- --query -------------------------------------------------------------- */

static int query(const struct opts *o)
{
	struct vmt_xsim_req q = { .op = !strcmp(o->query, "stats") ?
				  VMT_XSIM_OP_STATS : VMT_XSIM_OP_SHUTDOWN };
	struct vmt_xsim_rsp r;
	char *buf = malloc(VMT_XSIM_MSG_MAX);
	int rc = buf ? vmt_xsim_ask(o->socket, &q, &r, buf, VMT_XSIM_MSG_MAX)
		     : -ENOMEM;

	if (rc == -ENOENT || rc == -ECONNREFUSED || rc == -ENAMETOOLONG)
		fprintf(stderr, "xensim: cannot reach a daemon on %s: %s\n",
			o->socket, strerror(-rc));
	else if (rc)
		fprintf(stderr, "xensim: %s: no answer to --query %s: %s\n",
			o->socket, o->query, strerror(-rc));
	else if (r.err)
		fprintf(stderr, "xensim: %s: --query %s failed: %s\n", o->socket,
			o->query, strerror(r.err));
	else
		fputs(buf, stdout);
	free(buf);
	return rc || r.err ? 1 : 0;
}

/* ---- the daemon ------------------------------------------------------------ */

static bool file_exists(const char *p)
{
	return access(p, R_OK) == 0;
}

/* A name is looked up in $VMT_XENSIM_WORKLOADS, the source tree, then the
 * installed data directory; anything path-like is taken as a path. */
static bool find_workload(const char *w, char *out, size_t cap)
{
	const char *dirs[] = { getenv("VMT_XENSIM_WORKLOADS"),
			       VMT_WORKLOAD_DIR, VMT_WORKLOAD_INSTALL_DIR };
	size_t n = strlen(w);

	if (strchr(w, '/') || (n > 3 && !strcmp(w + n - 3, ".wl"))) {
		snprintf(out, cap, "%s", w);
		return true;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!dirs[i] || !*dirs[i])
			continue;
		snprintf(out, cap, "%s/%s.wl", dirs[i], w);
		if (file_exists(out))
			return true;
	}
	return false;
}

static int build_host(struct vmt_sim_host *h, const struct opts *o)
{
	h->abi = o->abi;
	h->seed = o->seed;
	h->max_events = o->events;
	h->rate = o->rate_set ? o->rate : h->sc.rate;
	h->next_port = 5;
	h->n_dom = o->n_dom;
	h->dom = calloc(o->n_dom, sizeof(*h->dom));
	if (!h->dom)
		return -ENOMEM;
	for (uint32_t i = 0; i < o->n_dom; i++) {
		struct vmt_sim_dom *d = &h->dom[i];
		d->id = o->dom_id[i];
		strcpy(d->name, o->dom_name[i]);
		d->nvcpus = o->vcpus;
		/* Xen creates every domain with one toolstack pause, which
		 * xl drops at the end of "create" unless given -p. */
		d->pause_count = o->paused ? 1 : 0;
		/* Domains are built with altp2m="external", as a monitored
		 * guest is configured (HVM_PARAM_ALTP2M). */
		d->altp2m.mode = VMT_ALTP2M_EXTERNAL;
		d->max_pages = h->sc.memory;
		if (vmt_sim_p2m_init(&d->p2m, h->sc.memory, VMT_ACC_RWX))
			return -ENOMEM;
		d->ring.up_fd = d->ring.notify_fd = d->ring.memfd = -1;
		d->vcpu = calloc(o->vcpus, sizeof(*d->vcpu));
		if (!d->vcpu)
			return -ENOMEM;
		for (uint32_t k = 0; k < o->vcpus; k++) {
			d->vcpu[k].id = k;
			vmt_sim_vcpu_init(h, d, &d->vcpu[k]);
		}
	}
	h->start_ns = vmt_sim_now_ns();
	return 0;
}

static void free_host(struct vmt_sim_host *h)
{
	for (uint32_t i = 0; i < h->n_dom; i++) {
		struct vmt_sim_dom *d = &h->dom[i];
		for (uint32_t k = 0; d->vcpu && k < d->nvcpus; k++)
			free(d->vcpu[k].msrs);
		free(d->vcpu);
		vmt_sim_dom_p2m_free(d);
	}
	free(h->dom);
	vmt_sim_scenario_free(&h->sc);
}

static int write_stats(const struct vmt_sim_host *h, const char *path)
{
	char tmp[PATH_MAX];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f || vmt_sim_stats_write(h, f) || fclose(f) || rename(tmp, path)) {
		fprintf(stderr, "xensim: cannot write stats to %s: %s\n", path,
			strerror(errno));
		return 1;
	}
	return 0;
}

static int load_scenario(struct vmt_sim_scenario *sc, const char *workload)
{
	char path[PATH_MAX], err[600];

	if (!find_workload(workload, path, sizeof(path))) {
		fprintf(stderr, "xensim: no workload named '%s' (looked for "
			"%s.wl in $VMT_XENSIM_WORKLOADS, %s and %s)\n",
			workload, workload, VMT_WORKLOAD_DIR,
			VMT_WORKLOAD_INSTALL_DIR);
		return 1;
	}
	if (vmt_sim_scenario_load(sc, path, err, sizeof(err))) {
		fprintf(stderr, "xensim: bad workload: %s\n", err);
		return 1;
	}
	return 0;
}

/* The phase marker's code is the phase's index (guest.c), so the names
 * come from the scenario alone: no daemon is needed. */
static int print_phase_names(const struct opts *o)
{
	struct vmt_sim_scenario sc = { 0 };
	int rc = load_scenario(&sc, o->workload);

	for (uint32_t i = 0; !rc && i < sc.n_phases; i++)
		printf("%s%u=%s", i ? "," : "", (unsigned)i, sc.phases[i].name);
	if (!rc)
		putchar('\n');
	vmt_sim_scenario_free(&sc);
	return rc;
}

static int load(struct vmt_sim_host *h, const struct opts *o)
{
	for (unsigned i = 0; i < o->n_faults; i++)
		if (vmt_sim_fault_parse(&h->faults, o->faults[i], o->abi))
			return usage_error("--fault: '%s' is not a known fault "
					   "(see --help)", o->faults[i]);
	if (load_scenario(&h->sc, o->workload))
		return 1;
	if (build_host(h, o)) {
		fprintf(stderr, "xensim: out of memory\n");
		return 1;
	}
	return 0;
}

static int run_daemon(const struct opts *o)
{
	struct vmt_sim_host h = { 0 };
	struct vmt_sim_server *s = NULL;
	unsigned major, minor;
	int rc = load(&h, o);

	if (rc) {
		free_host(&h);
		return rc;
	}
	rc = vmt_sim_server_open(&s, &h, o->socket);
	if (rc) {
		fprintf(stderr, "xensim: cannot listen on %s: %s\n", o->socket,
			rc == -EADDRINUSE ? "another xensim is running there" :
			rc == -EEXIST ? "a file that is not a socket is there" :
					strerror(-rc));
		free_host(&h);
		return 1;
	}
	vmt_abi_xen_release(h.abi, &major, &minor);
	fprintf(stderr, "xensim: listening on %s (ABI %u, Xen %u.%u, %u domain(s) "
		"x %u vCPU(s), workload %s, seed %llu)\n", o->socket, h.abi,
		major, minor, h.n_dom, o->vcpus, h.sc.name,
		(unsigned long long)h.seed);
	rc = vmt_sim_server_run(s);
	vmt_sim_server_close(s);
	if (rc)
		fprintf(stderr, "xensim: event loop failed: %s\n", strerror(-rc));
	if (o->stats && write_stats(&h, o->stats))
		rc = 1;
	free_host(&h);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .abi = VMT_ABI_MAX, .vcpus = 1, .seed = 1, .workload = "mixed" };

	if (argc > 1 && !strcmp(argv[1], "run"))
		return vmt_sim_run_main(argc - 1, argv + 1);
	int rc = parse_args(&o, argc, argv);

	if (rc)
		return rc;
	if (o.phase_names)
		return print_phase_names(&o);
	return o.query ? query(&o) : run_daemon(&o);
}
