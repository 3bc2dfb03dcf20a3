/*
 * collect.c - the collector thread of a tapped recording: reads the
 * shared stream the interposer fills, writes the trace header once the
 * consumer has enabled its ring, turns stream records into chunk records,
 * serves markers, applies limits, and ends when COMMAND has ended and the
 * stream is empty.
 *
 * The stream lives in COMMAND's address space too, so nothing in it is
 * trusted: every record is bounded and typed before it is copied.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record_int.h"
#include "tap_int.h"
#include "tap_stream.h"

/* The interposer wakes us only for a backlog of vmt_tap_wake_bytes():
 * look this often. */
#define POLL_MS 10
#define BATCH_MAX 1024             /* records before the loop looks up */

static void note(struct vmt_recorder *r, const char *text);

static void rotate(struct vmt_recorder *r)
{
	r->batch_bp_ns = 0;
	vmt_pipeline_put(&r->pipe, r->cur);
	r->cur = vmt_pipeline_get(&r->pipe, &r->batch_bp_ns);
	r->bp_ns += r->batch_bp_ns;
}

/* Before the header exists nothing may reach the writer: records wait. */
static int append(struct vmt_recorder *r, uint16_t type, uint64_t seq,
		  uint64_t ts, const void *data, uint32_t size)
{
	if (!vmt_chunkbuf_append(r->cur, type, 0, seq, ts, data, size))
		return 0;
	if (!r->tap->attached)
		return -ENOSPC;
	rotate(r);
	return vmt_chunkbuf_append(r->cur, type, 0, seq, ts, data, size);
}

static void note(struct vmt_recorder *r, const char *text)
{
	append(r, VMT_REC_NOTE, r->seq, vmt_now_ns() - r->t0, text,
	       (uint32_t)strlen(text));
}

/* The consumer enabled its ring: the header can be written now. */
static void attach(struct vmt_recorder *r)
{
	struct vmt_tap *t = r->tap;
	struct vmt_tap_shm *s = t->shm;
	struct vmt_trace_info *i = &r->info;
	struct vmt_writer *w = NULL;

	i->abi_version = s->abi;
	i->req_size = i->rsp_size = s->entry_size;
	i->page_size = VMT_RING_PAGE;
	i->xen_major = s->xen_major;
	i->xen_minor = s->xen_minor;
	memcpy(i->xen_extra, s->xen_extra, sizeof(s->xen_extra));
	i->xen_extra[sizeof(s->xen_extra) - 1] = '\0';
	i->domid = r->domid = s->domid;
	i->vcpus = s->vcpus;
	vmt_session_domain_name(r, i->domid, i->domain_name,
				sizeof(i->domain_name));
	snprintf(i->monitors, sizeof(i->monitors), "%s", t->monitors);
	memcpy(t->monitors_told, t->monitors, sizeof(t->monitors));
	VMT_OPTS(vmt_writer_opts, wo, .level = i->level, .codec = vmt_record_codec(r));
	int fd = t->file_fd;
	t->file_fd = -1;  /* the writer owns it now, even on failure */
	int rc = vmt_writer_open_fd(&w, fd, i, &wo);
	t->attached = 1;
	if (rc) {
		r->pipe.write_error = rc;
		return;
	}
	r->pipe.writer = w;
}

static int valid(const struct vmt_tap *t, const struct vmt_tap_rec *rec,
		 uint64_t room)
{
	uint32_t esz = t->shm->entry_size;

	if (rec->size > room)
		return 0;
	switch (rec->type) {
	case VMT_REC_REQUEST:
	case VMT_REC_RESPONSE:
		return rec->size == esz && esz <= VMT_ENTRY_MAX;
	case VMT_REC_LOSS:
		return rec->size == VMT_LOSS_SIZE;
	case VMT_REC_NOTE:
		return rec->size < VMT_TEXT_MAX;
	case VMT_REC_RING_STATS:
		return rec->size == VMT_RING_STATS_SIZE;
	case VMT_TAP_MONITORS:
		return rec->size == sizeof(struct vmt_monitors);
	}
	return 0;
}

static void limit(struct vmt_recorder *r, const char *what)
{
	char msg[160];

	if (r->tap->stopped)
		return;
	r->tap->stopped = 1;
	atomic_store(&r->tap->shm->stop, 1);
	snprintf(msg, sizeof(msg), "tap: %s reached; COMMAND goes on, "
		 "no longer recorded", what);
	note(r, msg);
	vmt_recorder_stop(r, VMT_END_LIMIT);
}

/* The consumer's monitor set, as the canonical text normal recordings
 * store (bounded first: COMMAND could have written anything). */
static void monitors(struct vmt_recorder *r, const uint8_t *data)
{
	struct vmt_tap *t = r->tap;
	struct vmt_monitors m;

	memcpy(&m, data, sizeof(m));
	if (m.n_msr > VMT_MON_MAX_MSR)
		m.n_msr = VMT_MON_MAX_MSR;
	if (m.n_mem > VMT_MON_MAX_MEM)
		m.n_mem = VMT_MON_MAX_MEM;
	if (vmt_monitors_canonical(&m, t->monitors, sizeof(t->monitors)) < 0)
		t->monitors[0] = '\0';
	t->monitors_changed = 1;
}

/* Before a request: the monitors changed since the text last written. */
static void tell_monitors(struct vmt_recorder *r)
{
	struct vmt_tap *t = r->tap;
	char msg[VMT_TEXT_MAX];

	if (!t->monitors_changed)
		return;
	t->monitors_changed = 0;
	if (!strcmp(t->monitors, t->monitors_told))
		return;
	snprintf(msg, sizeof(msg), "tap: monitors from here on: %.4000s",
		 t->monitors[0] ? t->monitors : "(none)");
	note(r, msg);
	memcpy(t->monitors_told, t->monitors, sizeof(t->monitors));
}

static void take_stats(struct vmt_recorder *r, const uint8_t *data,
		       uint32_t size)
{
	struct vmt_ring_stats st;
	struct vmt_record view = { .type = VMT_REC_RING_STATS, .size = size,
				   .data = data };

	if (vmt_ring_stats_get(&view, &st))
		return;
	r->batches++;
	if (st.occupancy > r->max_occ)
		r->max_occ = st.occupancy;
}

static void take(struct vmt_recorder *r, const struct vmt_tap_rec *rec,
		 const uint8_t *data)
{
	struct vmt_tap *t = r->tap;
	uint64_t ts = rec->mono_ns > r->t0 ? rec->mono_ns - r->t0 : 0;

	if (rec->type == VMT_TAP_MONITORS) {
		monitors(r, data);
		return;
	}
	if (t->stopped || r->pipe.write_error) {
		t->discarded++;
		return;
	}
	/* The header waits for the first ring record: by then the consumer
	 * has switched its monitors on, and the header can name them. */
	if (!t->attached && rec->type != VMT_REC_NOTE &&
	    atomic_load_explicit(&t->shm->attached, memory_order_acquire))
		attach(r);
	if (rec->type == VMT_REC_REQUEST) {
		tell_monitors(r);
		t->requests++;
		if (rec->seq >= r->seq)
			r->seq = rec->seq + 1;
	} else if (rec->type == VMT_REC_RESPONSE) {
		t->responses++;
	} else if (rec->type == VMT_REC_RING_STATS) {
		take_stats(r, data, rec->size);
	} else if (rec->type == VMT_REC_LOSS) {
		struct vmt_loss l;
		struct vmt_record view = { .type = rec->type, .size = rec->size,
					   .data = data };
		if (!vmt_loss_get(&view, &l) && l.first_seq + l.count > r->seq)
			r->seq = l.first_seq + l.count;
	}
	append(r, rec->type, rec->seq, ts, data, rec->size);
	if (r->max_events && t->requests >= r->max_events)
		limit(r, "--max-events");
}

/* Copy what the stream holds; Return: records taken. */
static unsigned drain_stream(struct vmt_recorder *r)
{
	struct vmt_tap *t = r->tap;
	struct vmt_tap_shm *s = t->shm;
	uint64_t cap = s->cap;
	uint64_t head = atomic_load_explicit(&s->head, memory_order_acquire);
	unsigned n = 0;

	if (t->corrupt)
		return 0;
	while (t->tail != head && n < BATCH_MAX) {
		uint64_t off = t->tail & (cap - 1);
		struct vmt_tap_rec rec;
		if (cap - off < sizeof(rec) || head - t->tail > cap) {
			if (head - t->tail > cap)
				goto bad;
			t->tail += cap - off;
			continue;
		}
		memcpy(&rec, s->data + off, sizeof(rec));
		if (rec.type == VMT_TAP_PAD) {
			t->tail += cap - off;
			continue;
		}
		if (!valid(t, &rec, cap - off - sizeof(rec)))
			goto bad;
		take(r, &rec, s->data + off + sizeof(rec));
		t->tail += sizeof(rec) + VMT_TAP_ALIGN(rec.size);
		n++;
	}
	atomic_store_explicit(&s->tail, t->tail, memory_order_release);
	return n;
bad:
	t->corrupt = 1;
	atomic_store(&s->stop, 1);
	note(r, "tap: the capture stream was damaged (COMMAND wrote over it); "
		"nothing after this point was recorded");
	return n;
}

static void reap(struct vmt_recorder *r)
{
	struct vmt_tap *t = r->tap;
	int st;

	if (t->status == -1 && waitpid(t->pid, &st, WNOHANG) == t->pid)
		t->status = st;
}

/* Sleep until the interposer publishes, COMMAND ends, or a wake-up. */
static void wait_stream(struct vmt_recorder *r)
{
	struct vmt_tap *t = r->tap;
	struct vmt_tap_shm *s = t->shm;
	int timeout = POLL_MS;

	atomic_store(&s->parent_waiting, 1);
	atomic_thread_fence(memory_order_seq_cst);
	/* A small backlog waits for the next look: taking records one batch
	 * at a time would cost a core's worth of wake-ups. */
	if (atomic_load(&s->head) - t->tail >= vmt_tap_wake_bytes(s) &&
	    !t->corrupt) {
		atomic_store(&s->parent_waiting, 0);
		return;
	}
	if (r->cur->nrec && t->attached) {
		uint64_t age = vmt_now_ns() - r->t0 - r->cur->first_ts;
		timeout = age >= r->flush_ns ? 0 :
			  (int)((r->flush_ns - age) / 1000000u) + 1;
	}
	struct pollfd p[3] = {
		{ .fd = t->ev_fd, .events = POLLIN },
		{ .fd = r->wake_fd, .events = POLLIN },
		{ .fd = t->pidfd, .events = POLLIN },
	};
	if (poll(p, t->pidfd >= 0 ? 3 : 2, timeout) > 0) {
		uint64_t v;
		for (int i = 0; i < 2; i++)
			if ((p[i].revents & POLLIN) &&
			    read(p[i].fd, &v, sizeof(v)) < 0)
				vmt_log(VMT_LOG_DEBUG, "wake: %s", strerror(errno));
	}
	atomic_store(&s->parent_waiting, 0);
}

static void housekeeping(struct vmt_recorder *r)
{
	struct vmt_tap *t = r->tap;
	uint64_t now = vmt_now_ns();

	if (t->attached && r->cur->nrec &&
	    now - r->t0 - r->cur->first_ts >= r->flush_ns)
		rotate(r);
	if (r->duration_ns && now - r->t0 >= r->duration_ns)
		limit(r, "--duration");
	if (r->max_bytes && r->pipe.bytes_written >= r->max_bytes)
		limit(r, "--max-size");
	if (r->pipe.write_error && !t->stopped) {
		/* The consumer goes on; only the trace has ended. */
		t->stopped = 1;
		atomic_store(&t->shm->stop, 1);
	}
	reap(r);
}

static void status_text(int st, char *out, size_t cap)
{
	if (WIFEXITED(st))
		snprintf(out, cap, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(out, cap, "was killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else
		snprintf(out, cap, "ended (wait status %d)", st);
}

/* COMMAND has ended: report what the stream could not carry. */
static void final_notes(struct vmt_recorder *r)
{
	struct vmt_tap *t = r->tap;
	struct vmt_tap_shm *s = t->shm;
	char msg[512], how[96];
	uint64_t lc = atomic_load(&s->loss_count);

	if (lc && !t->corrupt) {
		struct vmt_loss l = { .first_seq = atomic_load(&s->loss_first),
				      .count = lc, .cause = VMT_LOSS_BACKLOG };
		uint8_t buf[VMT_LOSS_SIZE];
		vmt_loss_put(buf, &l);
		if (l.first_seq + l.count > r->seq)
			r->seq = l.first_seq + l.count;
		append(r, VMT_REC_LOSS, l.first_seq, vmt_now_ns() - r->t0, buf,
		       sizeof(buf));
	}
	status_text(t->status, how, sizeof(how));
	snprintf(msg, sizeof(msg), "end: tapped COMMAND (pid %d) %s; %llu "
		 "requests and %llu responses recorded, %llu responses lost, "
		 "%llu records after the end discarded", (int)t->pid, how,
		 (unsigned long long)t->requests,
		 (unsigned long long)t->responses,
		 (unsigned long long)atomic_load(&s->lost_responses),
		 (unsigned long long)t->discarded);
	note(r, msg);
}

void *vmt_tap_collect_main(void *arg)
{
	struct vmt_recorder *r = arg;
	struct vmt_tap *t = r->tap;
	uint64_t bp = 0;

	r->cur = vmt_pipeline_get(&r->pipe, &bp);
	while (t->status == -1) {
		unsigned n = drain_stream(r);
		if (t->attached)  /* a marker needs a header to follow */
			vmt_drain_take_marker(r);
		housekeeping(r);
		if (n < BATCH_MAX && t->status == -1)
			wait_stream(r);
	}
	/* COMMAND is gone: whatever it published is all there will be. */
	while (drain_stream(r))
		;
	/* A ring that never carried a request still gets its header. */
	if (!t->attached && atomic_load(&t->shm->attached))
		attach(r);
	uint32_t cause = r->stop_cause;
	r->end_cause = cause == VMT_RUNNING ? VMT_END_LIMIT : cause;
	if (r->pipe.write_error)
		r->end_cause = VMT_END_WRITE_ERROR;
	if (t->attached) {
		vmt_drain_take_marker(r);
		final_notes(r);
	} else {
		vmt_chunkbuf_reset(r->cur);  /* no header: nothing to write */
	}
	vmt_drain_close_mailbox(r);
	vmt_drain_done(r);
	return NULL;
}
