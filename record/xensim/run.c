/*
 * run.c - `xensim run [--socket S] -- COMMAND [ARGS...]`: runs an unmodified
 * Xen tool as if on the dom0 of the simulated host.  COMMAND gets:
 *  - xensim's client libraries first on LD_LIBRARY_PATH, so the dynamic
 *    linker and dlopen("libxenctrl.so"), by any of Xen's sonames, find them;
 *  - VMT_XENSIM_SOCKET naming the daemon (absolute, so a chdir is harmless);
 *  - xensim-dom0.so preloaded, which opens /sys/hypervisor/... and
 *    /proc/xen/... from a private folder written here, answering as the
 *    release the daemon reports.
 * A preload rather than a mount namespace: it needs no root, no user
 * namespaces and no existing /sys/hypervisor to mount over, and leaves the
 * real system untouched.  Signals sent to the launcher are passed on to
 * COMMAND; the launcher ends as COMMAND ended (same exit code, or killed by
 * the same signal).  Its own failures are 125 (usage, no daemon, no
 * libraries), 126 (COMMAND not runnable) and 127 (COMMAND not found), as
 * env(1) and timeout(1) use them.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto.h"
#include "sim.h"

#define RUN_FAILED 125
#define RUN_CANNOT_EXEC 126
#define RUN_NOT_FOUND 127

static const char run_usage[] =
"Usage: xensim run [--socket PATH] -- COMMAND [ARG]...\n"
"\n"
"Run COMMAND, an unmodified Xen tool, as if on the dom0 of the simulated\n"
"host served on PATH: xensim's libraries first on its library path (also for\n"
"dlopen by soname), the socket in VMT_XENSIM_SOCKET, and /sys/hypervisor/type,\n"
"/sys/hypervisor/version/{major,minor,extra} and /proc/xen/capabilities\n"
"answering as the Xen release the daemon reports, from a private folder\n"
"(nothing of the real system changes).  Signals are passed on to COMMAND.\n"
"\n"
"Options:\n"
"  -s, --socket PATH      the daemon's socket (default: $VMT_XENSIM_SOCKET,\n"
"                         else " VMT_XENSIM_SOCKET_DEFAULT ")\n"
"  -h, --help             show this help and exit\n"
"\n"
"Exit status: COMMAND's (killed by a signal: the same signal); 125 xensim run\n"
"failed (usage, no daemon, no libraries), 126 COMMAND could not be run,\n"
"127 COMMAND not found.\n";

/* The files a dom0 has that Xen tools read; written under the folder. */
struct dom0_file {
	const char *path;
	char text[64];
};

enum { F_TYPE, F_MAJOR, F_MINOR, F_EXTRA, F_CAPS, F_N };

static const char *const dom0_dirs[] = {
	"/sys", "/sys/hypervisor", "/sys/hypervisor/version", "/proc",
	"/proc/xen",
};

static int run_fail(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "xensim run: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	return RUN_FAILED;
}

/* Xen's release as the daemon reports it (xc_version's answer). */
static int ask_release(const char *sock, struct dom0_file *f)
{
	struct vmt_xsim_req q = { .op = VMT_XSIM_OP_XEN_VERSION };
	struct vmt_xsim_rsp r;
	char extra[256];
	int rc = vmt_xsim_ask(sock, &q, &r, extra, sizeof(extra));

	if (rc || r.err)
		return run_fail("no xensim daemon answers on %s: %s", sock,
				strerror(rc ? -rc : r.err));
	snprintf(f[F_MAJOR].text, sizeof(f->text), "%u\n",
		 (unsigned)(r.ret >> 16));
	snprintf(f[F_MINOR].text, sizeof(f->text), "%u\n",
		 (unsigned)(r.ret & 0xffff));
	snprintf(f[F_EXTRA].text, sizeof(f->text), "%.60s\n", extra);
	return 0;
}

static void dom0_files(struct dom0_file *f)
{
	f[F_TYPE] = (struct dom0_file){ "/sys/hypervisor/type", "xen\n" };
	f[F_MAJOR].path = "/sys/hypervisor/version/major";
	f[F_MINOR].path = "/sys/hypervisor/version/minor";
	f[F_EXTRA].path = "/sys/hypervisor/version/extra";
	/* What a control domain's privcmd driver reports. */
	f[F_CAPS] = (struct dom0_file){ "/proc/xen/capabilities", "control_d\n" };
}

static void dom0_remove(const char *root, const struct dom0_file *f)
{
	char p[PATH_MAX];

	for (int i = 0; i < F_N; i++) {
		snprintf(p, sizeof(p), "%s%s", root, f[i].path);
		unlink(p);
	}
	for (int i = (int)(sizeof(dom0_dirs) / sizeof(dom0_dirs[0])) - 1;
	     i >= 0; i--) {
		snprintf(p, sizeof(p), "%s%s", root, dom0_dirs[i]);
		rmdir(p);
	}
	rmdir(root);
}

static int dom0_write(const char *root, const struct dom0_file *f)
{
	char p[PATH_MAX];

	for (size_t i = 0; i < sizeof(dom0_dirs) / sizeof(dom0_dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", root, dom0_dirs[i]);
		if (mkdir(p, 0700))
			return run_fail("cannot create %s: %s", p, strerror(errno));
	}
	for (int i = 0; i < F_N; i++) {
		snprintf(p, sizeof(p), "%s%s", root, f[i].path);
		FILE *out = fopen(p, "we");
		if (!out || fputs(f[i].text, out) < 0 || fclose(out))
			return run_fail("cannot write %s: %s", p, strerror(errno));
	}
	return 0;
}

/* The client libraries beside this binary (build tree: bin/../lib/xensim;
 * installed: bin/../<libdir>/vmtrail/xensim), else the configured place. */
static int find_libs(char *dir, char *shim)
{
	const char *const rel[] = { "lib/xensim", VMT_XENSIM_LIBDIR_REL };
	char exe[PATH_MAX - 64], try[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash = NULL;

	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
	}
	snprintf(dir, PATH_MAX - 64, "%s", VMT_XENSIM_LIBDIR);
	for (size_t i = 0; slash && i < sizeof(rel) / sizeof(rel[0]); i++) {
		*slash = '\0';
		snprintf(try, sizeof(try), "%s/../%s/libxenctrl.so", exe, rel[i]);
		if (access(try, R_OK) == 0 && realpath(try, dir)) {
			*strrchr(dir, '/') = '\0';
			break;
		}
	}
	snprintf(shim, PATH_MAX, "%.*s/xensim-dom0.so", PATH_MAX - 64, dir);
	if (access(shim, R_OK))
		return run_fail("xensim's client libraries are not in %s (%s)",
				dir, "no xensim-dom0.so");
	return 0;
}

/* Adds @val to the list in @name (joined by @sep), @first or last. */
static int env_add(const char *name, const char *val, const char *sep,
		   bool first)
{
	const char *old = getenv(name);
	size_t n = strlen(val) + (old ? strlen(old) : 0) + 2;
	char *s = malloc(n);

	if (!s)
		return -1;
	if (!old || !*old)
		snprintf(s, n, "%s", val);
	else if (first)
		snprintf(s, n, "%s%s%s", val, sep, old);
	else
		snprintf(s, n, "%s%s%s", old, sep, val);
	int rc = setenv(name, s, 1);
	free(s);
	return rc;
}

/* Signals a launcher in a pipeline or under a supervisor receives. */
static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
				 SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH,
				 SIGCONT, SIGTSTP };

static void fill_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(set, forwarded[i]);
}

static void child(char **argv, const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
	execvp(argv[0], argv);
	int err = errno;
	fprintf(stderr, "xensim run: cannot run %s: %s\n", argv[0], strerror(err));
	_exit(err == ENOENT ? RUN_NOT_FOUND : RUN_CANNOT_EXEC);
}

/* Waits for @pid, passing signals on.  A signal the terminal sent to the
 * whole foreground group (si_code SI_KERNEL) already reached COMMAND and
 * is not sent twice.  Return: COMMAND's wait status. */
static int supervise(pid_t pid, const sigset_t *set)
{
	siginfo_t si;
	int status;

	for (;;) {
		if (sigwaitinfo(set, &si) < 0)
			continue;
		if (si.si_signo != SIGCHLD) {
			if (si.si_code != SI_KERNEL)
				kill(pid, si.si_signo);
			continue;
		}
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid && (WIFEXITED(status) || WIFSIGNALED(status)))
			return status;
	}
}

/* Ends this process the way COMMAND ended. */
static int end_like(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	int sig = WTERMSIG(status);
	struct rlimit none = { 0, 0 };
	sigset_t s;

	setrlimit(RLIMIT_CORE, &none);   /* COMMAND dumped core already */
	signal(sig, SIG_DFL);
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	raise(sig);
	return 128 + sig;
}

static int parse_run(int argc, char **argv, const char **sock)
{
	static const struct option lo[] = {
		{ "socket", 1, 0, 's' }, { "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+s:h", lo, NULL)) != -1) {
		if (c == 'h') {
			fputs(run_usage, stdout);
			exit(0);
		}
		if (c != 's') {
			fputs("Try 'xensim run --help' for more information.\n",
			      stderr);
			return -1;
		}
		*sock = optarg;
	}
	if (optind >= argc) {
		fputs("xensim run: no COMMAND given\nTry 'xensim run --help' "
		      "for more information.\n", stderr);
		return -1;
	}
	return optind;
}

/* Return: 0 with COMMAND's wait status in *status, or RUN_FAILED. */
static int launch(char **cmd, int *status)
{
	sigset_t set, old;

	fill_set(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid_t pid = fork();
	if (pid < 0)
		return run_fail("cannot fork: %s%s", strerror(errno), "");
	if (pid == 0)
		child(cmd, &old);
	*status = supervise(pid, &set);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return 0;
}

static int setup_env(const char *sock, const char *dir, const char *shim,
		     const char *root)
{
	/* The shim goes after the caller's own preloads: a sanitizer
	 * runtime preloaded there must stay first. */
	if (env_add("LD_LIBRARY_PATH", dir, ":", true) ||
	    env_add("LD_PRELOAD", shim, " ", false) ||
	    setenv(VMT_XENSIM_SOCKET_ENV, sock, 1) ||
	    setenv("VMT_XENSIM_DOM0_ROOT", root, 1))
		return run_fail("cannot set COMMAND's environment: %s%s",
				strerror(errno), "");
	return 0;
}

int vmt_sim_run_main(int argc, char **argv)
{
	struct dom0_file f[F_N] = { 0 };
	char sock[PATH_MAX], dir[PATH_MAX], shim[PATH_MAX], root[PATH_MAX];
	const char *s = vmt_xsim_socket_path(), *tmp = getenv("TMPDIR");
	int first = parse_run(argc, argv, &s), rc, status = 0;

	if (first < 0)
		return RUN_FAILED;
	if (!realpath(s, sock))
		return run_fail("no xensim daemon answers on %s: %s", s,
				strerror(errno));
	dom0_files(f);
	rc = ask_release(sock, f);
	if (!rc)
		rc = find_libs(dir, shim);
	if (rc)
		return rc;
	snprintf(root, sizeof(root), "%s/xensim-run.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root))
		return run_fail("cannot create a folder in %s: %s",
				tmp && *tmp ? tmp : "/tmp", strerror(errno));
	rc = dom0_write(root, f);
	if (!rc)
		rc = setup_env(sock, dir, shim, root);
	if (!rc)
		rc = launch(argv + first, &status);
	dom0_remove(root, f);
	return rc ? rc : end_like(status);
}
