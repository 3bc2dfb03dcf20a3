/*
 * recorder.c - the life cycle of a recording: open (Xen session, header,
 * file, ring), start the threads, stop, close (teardown first, then the
 * trailer).  The order matters: the file is created before the ring is
 * enabled so a file error never touches the domain, and the guest is
 * released before a file error is reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record_int.h"

#define RECORDER_VERSION "vmtrail-record " VMT_RECORD_VERSION

int vmt_record_fill_info(struct vmt_recorder *r, int level,
			 const char *cmdline, const char *labels,
			 const char *phase_names, struct vmt_rec_error *err)
{
	struct vmt_trace_info *i = &r->info;
	struct timespec wall;

	if (gethostname(i->host, sizeof(i->host) - 1))
		snprintf(i->host, sizeof(i->host), "unknown");
	if (vmt_monitors_canonical(&r->mon, i->monitors, sizeof(i->monitors)) < 0)
		return VMT_ERR(err, -ENOSPC, VMT_STAGE_RUN,
			       "the monitor list is too long for the header");
	snprintf(i->recorder_version, sizeof(i->recorder_version), "%s",
		 RECORDER_VERSION);
	snprintf(i->cmdline, sizeof(i->cmdline), "%s", cmdline ? cmdline : "");
	snprintf(i->labels, sizeof(i->labels), "%s", labels ? labels : "");
	snprintf(i->phase_names, sizeof(i->phase_names), "%s",
		 phase_names ? phase_names : "");
	if (getrandom(i->uuid, sizeof(i->uuid), 0) != sizeof(i->uuid))
		return VMT_ERR(err, -errno, VMT_STAGE_RUN,
			       "cannot draw a run UUID: %s", strerror(errno));
	i->uuid[6] = (uint8_t)((i->uuid[6] & 0x0f) | 0x40);  /* version 4 */
	i->uuid[8] = (uint8_t)((i->uuid[8] & 0x3f) | 0x80);  /* variant 1 */
	i->codec = VMT_CODEC_ZSTD;
	i->level = level ? level : VMT_RECORD_LEVEL;
	r->t0 = vmt_now_ns();
	clock_gettime(CLOCK_REALTIME, &wall);
	i->clock_mono_ns = r->t0;
	i->clock_wall_ns = (uint64_t)wall.tv_sec * 1000000000u +
			   (uint64_t)wall.tv_nsec;
	return 0;
}

/*
 * Without --force the trace is created exclusively (O_EXCL also refuses a
 * symlink).  With --force it is written under PATH.XXXXXX and renamed
 * over PATH only when the recording has ended: a recording that fails to
 * start, or to write, leaves the old file as it was; a symlink at PATH is
 * replaced, never followed.
 */
static int create_trace(struct vmt_recorder *r, const char *path, int force)
{
	struct stat st;
	int fd;

	if (!force || lstat(path, &st))
		return open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	if (snprintf(r->tmp_path, sizeof(r->tmp_path), "%s.XXXXXX", path) >=
	    (int)sizeof(r->tmp_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkostemp(r->tmp_path, O_CLOEXEC);   /* mode 0600 */
	if (fd < 0)
		r->tmp_path[0] = '\0';
	return fd;
}

/* The file being written: PATH, or its --force stand-in. */
const char *vmt_record_trace_file(const struct vmt_recorder *r)
{
	return r->tmp_path[0] ? r->tmp_path : r->path;
}

uint32_t vmt_record_codec(const struct vmt_recorder *r)
{
	return r->compress_after ? VMT_CODEC_NONE : VMT_CODEC_ZSTD;
}

int vmt_record_create_file(struct vmt_recorder *r, const char *path,
			   int force, int *fd, struct vmt_rec_error *err)
{
	/* Opened here, not by the writer, so that a file this call created
	 * can be removed again when its header cannot be written. */
	*fd = create_trace(r, path, force);
	if (*fd < 0 && errno == EEXIST)
		return VMT_ERR(err, -EEXIST, VMT_STAGE_FILE, "%s: file exists "
			       "(use --force to replace it)", path);
	if (*fd < 0)
		return VMT_ERR(err, -errno, VMT_STAGE_FILE, "cannot create %s: %s",
			       path, strerror(errno));
	return 0;
}

static int open_file(struct vmt_recorder *r, const struct vmt_recorder_opts *o,
		     struct vmt_writer **w, struct vmt_rec_error *err)
{
	VMT_OPTS(vmt_writer_opts, wo, .level = r->info.level,
		 .codec = vmt_record_codec(r));
	int fd, rc = vmt_record_create_file(r, o->path, o->force, &fd, err);
	if (rc)
		return rc;
	rc = vmt_writer_open_fd(w, fd, &r->info, &wo);
	if (rc) {
		unlink(vmt_record_trace_file(r));
		return VMT_ERR(err, rc, VMT_STAGE_FILE, "%s: %s", o->path,
			       vmt_strerror(rc));
	}
	return 0;
}

static int check_opts(const struct vmt_recorder_opts *o,
		      struct vmt_rec_error *err)
{
	if (!o->domain || !o->path || !o->monitors)
		return VMT_ERR(err, -EINVAL, VMT_STAGE_RUN,
			       "domain, output file and monitors are required");
	if (vmt_monitors_empty(o->monitors))
		return VMT_ERR(err, -EINVAL, VMT_STAGE_RUN, "no monitor selected");
	return 0;
}

struct vmt_recorder *vmt_recorder_alloc(const char *path, uint64_t max_events,
				       uint64_t max_bytes, uint64_t duration_ns,
				       unsigned flush_ms)
{
	struct vmt_recorder *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->local_port = -1;
	r->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->stop_cause = VMT_RUNNING;
	r->max_events = max_events;
	r->max_bytes = max_bytes;
	r->duration_ns = duration_ns;
	r->flush_ns = (flush_ms ? flush_ms : 100) * 1000000ull;
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->mbox.answer_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&r->mbox.lock, NULL);
	return r;
}

static struct vmt_recorder *alloc_recorder(const struct vmt_recorder_opts *o)
{
	struct vmt_recorder *r = vmt_recorder_alloc(o->path, o->max_events,
						    o->max_bytes, o->duration_ns,
						    o->flush_ms);
	if (r) {
		r->mon = *o->monitors;
		r->unpause = o->unpause;
		r->compress_after = o->compress_after;
	}
	return r;
}

int vmt_record_pipes(struct vmt_recorder *r, unsigned chunks,
		     uint32_t chunk_size, struct vmt_writer *w,
		     const char *control, struct vmt_rec_error *err)
{
	int rc = vmt_pipeline_init(&r->pipe, chunks ? chunks : 8,
				   chunk_size ? chunk_size : VMT_CHUNK_DEFAULT,
				   w, r->wake_fd);
	if (rc)
		return VMT_ERR(err, rc, VMT_STAGE_RUN, "chunk buffers: %s",
			       strerror(-rc));
	if (control) {
		rc = vmt_control_open(&r->ctl, control, r);
		r->have_ctl = 1;
		if (rc)
			return VMT_ERR(err, rc, VMT_STAGE_CONTROL, "%s: %s",
				       control, strerror(-rc));
	}
	return 0;
}

void vmt_recorder_free(struct vmt_recorder *r)
{
	if (r->have_ctl)
		vmt_control_close(&r->ctl);
	vmt_pipeline_free(&r->pipe);
	vmt_chunkbuf_free(&r->scratch);
	vmt_session_close(r);
	close(r->wake_fd);
	close(r->done_fd);
	close(r->mbox.answer_fd);
	pthread_mutex_destroy(&r->mbox.lock);
	vmt_tap_free(r->tap);
	free(r);
}

/* The drain waits for the disk at most @max_stall_ns (0: the default),
 * then answers the ring into a scratch chunk that is thrown away. */
static int bound_stalls(struct vmt_recorder *r, uint64_t max_stall_ns,
			struct vmt_rec_error *err)
{
	int rc = vmt_chunkbuf_init(&r->scratch, 65536);

	if (rc)
		return VMT_ERR(err, rc, VMT_STAGE_RUN, "chunk buffers: %s",
			       strerror(-rc));
	r->pipe.max_wait_ns = max_stall_ns ? max_stall_ns : VMT_MAX_STALL_DEFAULT_NS;
	r->pipe.running = &r->stop_cause;
	return 0;
}

static int setup(struct vmt_recorder *r, const struct vmt_recorder_opts *o,
		 struct vmt_writer **w, struct vmt_rec_error *err)
{
	if (r->wake_fd < 0 || r->done_fd < 0 || r->mbox.answer_fd < 0)
		return VMT_ERR(err, -errno, VMT_STAGE_RUN, "eventfd: %s",
			       strerror(errno));
	int rc = vmt_session_open(r, o, err);
	if (rc)
		return rc;
	if (vmt_policy_init(&r->pol, r->info.abi_version))
		return VMT_ERR(err, -VMT_E_ABI, VMT_STAGE_RUN,
			       "no layout for vm_event version %u",
			       r->info.abi_version);
	r->pol.xen = &r->xen;
	r->pol.xch = r->xch;
	r->pol.domid = r->domid;
	if ((rc = vmt_record_fill_info(r, o->level, o->cmdline, o->labels,
					o->phase_names, err)) ||
	    (rc = open_file(r, o, w, err)))
		return rc;
	rc = vmt_record_pipes(r, o->chunks, o->chunk_size, *w, o->control, err);
	if (!rc)
		rc = bound_stalls(r, o->max_stall_ns, err);
	return rc ? rc : vmt_session_attach(r, o->domain, err);
}

/* Teardown without a drain thread (start failed or never happened): the
 * ring may still hold requests, so the chunk the drain would own is taken
 * here; the writer thread, if any, writes what teardown records. */
static void teardown_unstarted(struct vmt_recorder *r)
{
	uint64_t bp = 0;
	if (r->pipe.nbufs && !r->cur)
		r->cur = vmt_pipeline_get(&r->pipe, &bp);
	if (!r->cur && r->scratch.buf)
		r->cur = &r->scratch;
	vmt_session_teardown(r);
	if (r->cur && r->cur != &r->scratch)
		vmt_pipeline_put(&r->pipe, r->cur);
	r->cur = NULL;
}

int vmt_recorder_open(struct vmt_recorder **out,
		      const struct vmt_recorder_opts *opts,
		      struct vmt_rec_error *err)
{
	struct vmt_recorder_opts copy, *o = &copy;
	struct vmt_writer *w = NULL;
	int rc = opts ? VMT_OPTS_COPY(o, opts) : -EINVAL;
	if (rc)
		return VMT_ERR(err, rc, VMT_STAGE_RUN, "bad recorder options");
	if ((rc = check_opts(o, err)))
		return rc;
	struct vmt_recorder *r = alloc_recorder(o);
	if (!r)
		return VMT_ERR(err, -ENOMEM, VMT_STAGE_RUN, "out of memory");
	rc = setup(r, o, &w, err);
	if (rc) {
		teardown_unstarted(r);
		if (w) {
			vmt_writer_abandon(w);
			unlink(vmt_record_trace_file(r));  /* nothing was recorded */
		}
		vmt_recorder_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* Threads must not take the process's signals: main() handles them, and
 * every thread created here inherits the blocked mask. */
int vmt_recorder_start(struct vmt_recorder *r, struct vmt_rec_error *err)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = vmt_pipeline_start(&r->pipe);
	if (!rc && r->have_ctl)
		rc = vmt_control_start(&r->ctl);
	if (!rc)
		rc = -pthread_create(&r->drain_thread, NULL, r->tap ?
				     vmt_tap_collect_main : vmt_drain_main, r);
	r->drain_started = rc == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return VMT_ERR(err, rc, VMT_STAGE_RUN, "cannot start threads: %s",
			       strerror(-rc));
	/* Last, with the drain running: the guest's first request finds
	 * every monitor on and someone answering. */
	if (r->unpause && atomic_load(&r->stop_cause) == VMT_RUNNING)
		return vmt_session_unpause(r, err);
	return 0;
}

void vmt_recorder_stop(struct vmt_recorder *r, uint32_t end_cause)
{
	uint32_t running = VMT_RUNNING;
	atomic_compare_exchange_strong(&r->stop_cause, &running, end_cause);
	uint64_t one = 1;
	ssize_t n = write(r->wake_fd, &one, sizeof(one));
	(void)n;  /* a full eventfd already wakes the drain */
}

int vmt_recorder_wait(struct vmt_recorder *r, int timeout_ms)
{
	struct pollfd p = { .fd = r->done_fd, .events = POLLIN };
	return poll(&p, 1, timeout_ms) > 0 && (p.revents & POLLIN);
}

void vmt_recorder_stats(const struct vmt_recorder *r,
			struct vmt_recorder_stats *s)
{
	uint64_t end = r->end_ns;
	s->requests = r->seq;
	s->markers = r->markers;
	s->bytes_raw = r->pipe.bytes_raw;
	s->bytes_written = r->pipe.bytes_written;
	s->backpressure_ns = r->bp_ns;
	s->batches = r->batches;
	s->max_occupancy = r->max_occ;
	s->elapsed_ns = (end ? end : vmt_now_ns()) - r->t0;
	s->drain_cpu_ns = r->cpu_ns;
	s->stall_lost = r->stall_lost;
	s->waiting_for_disk = (uint32_t)r->pipe.drain_waiting;
}

static int close_writer(struct vmt_recorder *r,
			struct vmt_recorder_result *res,
			struct vmt_rec_error *err)
{
	struct vmt_writer *w = r->pipe.writer;
	int werr = r->pipe.write_error;
	r->pipe.writer = NULL;
	if (!werr && r->pipe.dropped_chunks) {
		/* The trailer would be one more write to a hanging disk. */
		vmt_writer_abandon(w);
		return VMT_ERR(err, -ETIMEDOUT, VMT_STAGE_FILE, "%.600s: the disk "
			       "hangs (a write took %.1f s after the stop): %llu "
			       "chunk(s) holding %llu requests were not written, "
			       "and the file has no trailer",
			       vmt_record_trace_file(r),
			       (double)r->pipe.last_write_ns / 1e9,
			       (unsigned long long)r->pipe.dropped_chunks,
			       (unsigned long long)r->pipe.dropped_requests);
	}
	if (werr) {
		/* Leave it without trailer: readers recover every chunk. */
		vmt_writer_abandon(w);
		return VMT_ERR(err, werr, VMT_STAGE_FILE, "%.600s: %s",
			       vmt_record_trace_file(r), vmt_strerror(werr));
	}
	struct vmt_run_summary sum = {
		.duration_ns = res->stats.elapsed_ns,
		.backpressure_ns = res->stats.backpressure_ns,
		.max_occupancy = res->stats.max_occupancy,
		.batches = res->stats.batches,
		.end_cause = res->end_cause,
	};
	int rc = vmt_writer_close(w, &sum);
	if (rc)
		return VMT_ERR(err, rc, VMT_STAGE_FILE, "%.600s: %s",
			       vmt_record_trace_file(r), vmt_strerror(rc));
	return 0;
}

/* compress_after: a zstd copy of the finished trace takes its place.  The
 * uncompressed trace is complete, so a copy that cannot be made costs
 * disk space, not data: it stays, and the failure is a warning. */
static void compress_file(struct vmt_recorder *r, struct vmt_recorder_result *res)
{
	VMT_OPTS(vmt_writer_opts, wo, .level = r->info.level,
		 .codec = VMT_CODEC_ZSTD);
	const char *file = vmt_record_trace_file(r);
	char tmp[sizeof(r->tmp_path) + 8];
	struct stat st;
	int fd = -1, rc = -ENAMETOOLONG;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", file) < (int)sizeof(tmp))
		rc = (fd = mkostemp(tmp, O_CLOEXEC)) < 0 ? -errno : 0;
	if (!rc)
		rc = vmt_trace_rewrite(file, fd, &wo);
	if (!rc && rename(tmp, file))
		rc = -errno;
	if (rc) {
		if (fd >= 0)
			unlink(tmp);
		vmt_log(VMT_LOG_WARN, "%.600s: left uncompressed, compressing it "
			"failed: %s", file, vmt_strerror(rc));
		return;
	}
	if (!stat(file, &st))
		res->stats.bytes_written = (uint64_t)st.st_size;
}

/* --force: the finished trace takes PATH's place (a failed one stays
 * beside it, named in the error, and PATH is kept). */
static int finish_file(struct vmt_recorder *r, struct vmt_recorder_result *res,
		       struct vmt_rec_error *err)
{
	int rc = close_writer(r, res, err);
	if (!rc && r->compress_after)
		compress_file(r, res);
	if (rc && r->tmp_path[0])
		vmt_log(VMT_LOG_WARN, "%.600s left as it was; the recording "
			"so far is in %.600s", r->path, r->tmp_path);
	if (rc || !r->tmp_path[0])
		return rc;
	if (rename(r->tmp_path, r->path))
		return VMT_ERR(err, -errno, VMT_STAGE_FILE, "%.300s: cannot "
			       "replace it with %.300s: %s", r->path,
			       r->tmp_path, strerror(errno));
	return 0;
}

int vmt_recorder_close(struct vmt_recorder *r, struct vmt_recorder_result *res,
		       struct vmt_rec_error *err)
{
	struct vmt_recorder_result local;
	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (r->drain_started) {
		vmt_recorder_stop(r, VMT_END_OTHER);
		pthread_join(r->drain_thread, NULL);
	} else {
		teardown_unstarted(r);
		r->end_cause = VMT_END_OTHER;
	}
	if (r->have_ctl)
		vmt_control_close(&r->ctl);
	r->have_ctl = 0;
	vmt_pipeline_finish(&r->pipe);
	vmt_recorder_stats(r, &res->stats);
	res->end_cause = r->end_cause;
	res->write_error = r->pipe.write_error ? r->pipe.write_error :
			   r->pipe.dropped_chunks ? -ETIMEDOUT : 0;
	res->requests_written = r->pipe.requests_written;
	res->stall_lost = r->stall_lost;
	res->stall_unrecorded = r->drop_count;
	res->teardown_error = r->teardown_error;
	res->abi_version = r->info.abi_version;
	res->vcpus = r->info.vcpus;
	res->domid = r->domid;
	res->command_status = vmt_tap_status(r);
	/* A tapped COMMAND that never enabled a ring left no header. */
	int rc = r->tap && !r->pipe.writer && !r->pipe.write_error ?
			 vmt_tap_discard(r, err) : finish_file(r, res, err);
	if (!rc && r->end_cause == VMT_END_RING_FAULT)
		rc = VMT_ERR(err, -VMT_E_RING, VMT_STAGE_RUN, "domain %u: %s",
			     r->domid, r->fault);
	if (!rc && r->teardown_error)
		rc = VMT_ERR(err, r->teardown_error, VMT_STAGE_XEN,
			     "domain %u: monitor teardown failed: %s", r->domid,
			     strerror(-r->teardown_error));
	vmt_recorder_free(r);
	return rc;
}
