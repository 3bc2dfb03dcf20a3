/*
 * tap.c - vmtrail-record --tap, the parent's side: create the shared
 * stream, start COMMAND with the interposing libraries first on its
 * library path, and move what the interposer captured into the trace.
 *
 * The parent owns the trace file, so whatever the interposer published
 * survives COMMAND's death.  The collector thread takes the place of the
 * drain thread: it feeds the same chunk pipeline and writer thread and
 * serves the same control-socket markers.  It never waits on the writer
 * for long: when the pipeline is full the stream fills, and the
 * interposer records a LOSS instead of blocking the consumer.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record_int.h"
#include "tap_int.h"
#include "tap_stream.h"

#define STREAM_DEFAULT (16u << 20)
#define STREAM_WRAP (1u << 20)     /* tap_stream.h: why @wrap */
#define TARGET_CTRL "libxenctrl.so.4.17"
#define TARGET_EVTCHN "libxenevtchn.so.1"

extern char **environ;

/* ---- the target libraries ------------------------------------------------ */

/* The absolute path the system's loader gives @soname (we are not under
 * the tap's LD_LIBRARY_PATH, so this is the real library). */
static int system_path(const char *soname, char *out, size_t cap)
{
	void *h = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
	struct link_map *lm = NULL;
	int rc = -ENOENT;

	if (h && !dlinfo(h, RTLD_DI_LINKMAP, &lm) && lm && lm->l_name[0] == '/')
		rc = snprintf(out, cap, "%s", lm->l_name) < (int)cap ? 0 : -ENAMETOOLONG;
	if (h)
		dlclose(h);
	return rc;
}

static int target_path(const char *dir, const char *soname, char *out,
		       size_t cap, struct vmt_rec_error *err)
{
	char abs[PATH_MAX];
	int rc;

	if (!dir) {
		rc = system_path(soname, out, cap);
		if (rc)
			return VMT_ERR(err, rc, VMT_STAGE_LIBS, "no %s on this "
				       "system for the tap to forward to", soname);
		return 0;
	}
	snprintf(abs, sizeof(abs), "%s/%s", dir, soname);
	if (!realpath(abs, out) || strlen(out) >= cap)
		return VMT_ERR(err, -ENOENT, VMT_STAGE_LIBS, "%.600s: %s", abs,
			       strerror(errno ? errno : ENAMETOOLONG));
	return 0;
}

/* ---- set-up --------------------------------------------------------------- */

static int make_stream(struct vmt_tap *t, uint64_t cap,
		       struct vmt_rec_error *err)
{
	uint64_t c = 1u << 12;
	while (c < cap)
		c <<= 1;
	t->map_len = sizeof(struct vmt_tap_shm) + c;
	/* Inherited on purpose (no CLOEXEC): COMMAND's interposer maps it. */
	t->shm_fd = memfd_create("vmtrail-tap", 0);
	t->ev_fd = eventfd(0, EFD_NONBLOCK);
	if (t->shm_fd < 0 || t->ev_fd < 0 || ftruncate(t->shm_fd, (off_t)t->map_len))
		return VMT_ERR(err, -errno, VMT_STAGE_RUN, "tap stream: %s",
			       strerror(errno));
	void *p = mmap(NULL, t->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       t->shm_fd, 0);
	if (p == MAP_FAILED)
		return VMT_ERR(err, -errno, VMT_STAGE_RUN, "tap stream: %s",
			       strerror(errno));
	t->shm = p;
	t->shm->cap = c;
	t->shm->wrap = c < STREAM_WRAP ? c : STREAM_WRAP;
	/* The pages the ring uses while we keep up exist before COMMAND
	 * maps them, so neither side faults them in while the ring runs. */
	(void)madvise(p, sizeof(*t->shm) + t->shm->wrap, MADV_POPULATE_WRITE);
	t->shm->magic = VMT_TAP_MAGIC;
	return 0;
}

/* COMMAND's environment: ours plus the tap's variables. */
static char **child_env(struct vmt_tap *t, const struct vmt_tap_opts *o)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 5, sizeof(*env));
	if (!env)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_LIBRARY_PATH=", 16) &&
		    strncmp(environ[i], "VMT_TAP_", 8))
			env[k++] = environ[i];
	const char *old = getenv("LD_LIBRARY_PATH");
	/* The interposers first; with a library folder (xensim's), the
	 * libraries the tap does not interpose come from there too. */
	if (asprintf(&t->env[0], "LD_LIBRARY_PATH=%s%s%s%s%s", o->tap_libdir,
		     o->xen_libdir ? ":" : "", o->xen_libdir ? o->xen_libdir : "",
		     old && *old ? ":" : "", old && *old ? old : "") < 0 ||
	    asprintf(&t->env[1], VMT_TAP_ENV_FD "=%d,%d", t->shm_fd, t->ev_fd) < 0 ||
	    asprintf(&t->env[2], VMT_TAP_ENV_CTRL "=%s", t->ctrl_path) < 0 ||
	    asprintf(&t->env[3], VMT_TAP_ENV_EVTCHN "=%s", t->evtchn_path) < 0) {
		free(env);
		return NULL;
	}
	for (int i = 0; i < 4; i++)
		env[k++] = t->env[i];
	return env;
}

static int spawn(struct vmt_tap *t, const struct vmt_tap_opts *o,
		 struct vmt_rec_error *err)
{
	posix_spawnattr_t a;
	sigset_t none, dflt;
	char **env = child_env(t, o);

	if (!env)
		return VMT_ERR(err, -ENOMEM, VMT_STAGE_RUN, "out of memory");
	/* COMMAND starts as it would from a shell: no signal blocked, none
	 * ignored (our SIGPIPE is). */
	sigemptyset(&none);
	sigfillset(&dflt);
	posix_spawnattr_init(&a);
	posix_spawnattr_setsigmask(&a, &none);
	posix_spawnattr_setsigdefault(&a, &dflt);
	posix_spawnattr_setflags(&a, POSIX_SPAWN_SETSIGMASK |
				     POSIX_SPAWN_SETSIGDEF);
	int rc = posix_spawnp(&t->pid, o->argv[0], NULL, &a, o->argv, env);
	posix_spawnattr_destroy(&a);
	free(env);
	if (rc)
		return VMT_ERR(err, -rc, VMT_STAGE_RUN, "cannot run %s: %s",
			       o->argv[0], strerror(rc));
	t->pidfd = (int)syscall(SYS_pidfd_open, t->pid, 0);
	return 0;
}

static int check_tap_opts(const struct vmt_tap_opts *o,
			  struct vmt_rec_error *err)
{
	if (!o->path || !o->argv || !o->argv[0] || !o->tap_libdir)
		return VMT_ERR(err, -EINVAL, VMT_STAGE_RUN, "output file, "
			       "command and tap library folder are required");
	return 0;
}

static int tap_setup(struct vmt_recorder *r, struct vmt_tap *t,
		     const struct vmt_tap_opts *o, struct vmt_rec_error *err)
{
	char probe[PATH_MAX];
	int rc;

	snprintf(probe, sizeof(probe), "%s/%s", o->tap_libdir, TARGET_CTRL);
	if (access(probe, R_OK))
		return VMT_ERR(err, -ENOENT, VMT_STAGE_LIBS, "%.600s: %s (the tap's "
			       "interposing libraries)", probe, strerror(errno));
	if ((rc = target_path(o->xen_libdir, TARGET_CTRL, t->ctrl_path,
			      sizeof(t->ctrl_path), err)) ||
	    (rc = target_path(o->xen_libdir, TARGET_EVTCHN, t->evtchn_path,
			      sizeof(t->evtchn_path), err)) ||
	    (rc = make_stream(t, o->stream_bytes ? o->stream_bytes :
			      STREAM_DEFAULT, err)))
		return rc;
	if ((rc = vmt_record_create_file(r, o->path, o->force, &t->file_fd, err)))
		return rc;
	/* Only for the domain's name (xenstore) in the header; the ring and
	 * its calls are COMMAND's. */
	char why[256];
	if (vmt_xen_load(&r->xen, o->xen_libdir, why, sizeof(why)))
		vmt_log(VMT_LOG_DEBUG, "tap: no domain names: %s", why);
	/* No writer yet: it needs the header, which needs the ring. */
	return vmt_record_pipes(r, o->chunks, o->chunk_size, NULL, o->control,
				err);
}

static struct vmt_recorder *alloc_tap(const struct vmt_tap_opts *o)
{
	struct vmt_recorder *r = vmt_recorder_alloc(o->path, o->max_events,
						    o->max_bytes, o->duration_ns,
						    o->flush_ms);
	struct vmt_tap *t = calloc(1, sizeof(*t));

	if (!r || !t) {
		if (r)
			vmt_recorder_free(r);
		free(t);
		return NULL;
	}
	r->tap = t;
	r->compress_after = o->compress_after;
	t->shm_fd = t->ev_fd = t->pidfd = t->file_fd = -1;
	t->status = -1;
	return r;
}

/* The header facts the parent knows; the ring's come at attach. */
static void tap_info(struct vmt_recorder *r, const struct vmt_tap_opts *o)
{
	struct vmt_trace_info *i = &r->info;
	char tapped[VMT_TEXT_MAX], *p;
	size_t len = 0;

	snprintf(i->cmdline, sizeof(i->cmdline), "%s", o->cmdline ? o->cmdline : "");
	snprintf(i->labels, sizeof(i->labels), "%s", o->labels ? o->labels : "");
	/* label tap=COMMAND LINE (';' is the label separator) */
	len = (size_t)snprintf(tapped, sizeof(tapped), "tap=");
	for (int k = 0; o->argv[k] && len + 1 < sizeof(tapped); k++)
		len += (size_t)snprintf(tapped + len, sizeof(tapped) - len,
					"%s%s", k ? " " : "", o->argv[k]);
	while ((p = strchr(tapped, ';')))
		*p = ',';
	if (vmt_labels_add(i->labels, sizeof(i->labels), tapped))
		vmt_log(VMT_LOG_DEBUG, "tap label left out");
}

int vmt_tap_open(struct vmt_recorder **out, const struct vmt_tap_opts *opts,
		 struct vmt_rec_error *err)
{
	struct vmt_tap_opts copy, *o = &copy;
	int rc = opts ? VMT_OPTS_COPY(o, opts) : -EINVAL;
	if (rc)
		return VMT_ERR(err, rc, VMT_STAGE_RUN, "bad tap options");
	if ((rc = check_tap_opts(o, err)))
		return rc;
	struct vmt_recorder *r = alloc_tap(o);
	if (!r)
		return VMT_ERR(err, -ENOMEM, VMT_STAGE_RUN, "out of memory");
	if (r->wake_fd < 0 || r->done_fd < 0 || r->mbox.answer_fd < 0)
		rc = VMT_ERR(err, -errno, VMT_STAGE_RUN, "eventfd: %s",
			     strerror(errno));
	if (!rc)
		rc = vmt_record_fill_info(r, o->level, o->cmdline, o->labels,
					  o->phase_names, err);
	if (!rc) {
		tap_info(r, o);
		rc = tap_setup(r, r->tap, o, err);
	}
	/* Last: nothing can fail after COMMAND runs. */
	if (!rc)
		rc = spawn(r->tap, o, err);
	if (rc) {
		if (r->tap->file_fd >= 0) {
			close(r->tap->file_fd);
			unlink(vmt_record_trace_file(r));
		}
		r->tap->file_fd = -1;
		vmt_recorder_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int vmt_tap_pid(const struct vmt_recorder *r)
{
	return r->tap ? (int)r->tap->pid : -1;
}

void vmt_tap_free(struct vmt_tap *t)
{
	if (!t)
		return;
	if (t->pid > 0 && t->status == -1) {
		/* Only when start failed: COMMAND must not outlive us. */
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
	}
	if (t->shm)
		munmap(t->shm, t->map_len);
	for (int i = 0; i < 4; i++)
		free(t->env[i]);
	int fds[] = { t->shm_fd, t->ev_fd, t->pidfd, t->file_fd };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(t);
}

int vmt_tap_status(const struct vmt_recorder *r)
{
	return r->tap ? r->tap->status : -1;
}

int vmt_tap_discard(struct vmt_recorder *r, struct vmt_rec_error *err)
{
	if (r->tap->file_fd >= 0) {
		close(r->tap->file_fd);
		r->tap->file_fd = -1;
		unlink(vmt_record_trace_file(r));
	}
	return VMT_ERR(err, -ENODATA, VMT_STAGE_RUN, "the tapped command never "
		       "enabled a monitor ring through libxenctrl; nothing was "
		       "recorded and %.600s was removed", r->path);
}
