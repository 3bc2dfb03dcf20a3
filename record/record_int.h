/*
 * record_int.h - the recorder's internal state, shared by the files of
 * record/ (never installed).
 *
 * Threads and ownership:
 *   drain thread   owns the ring, the Xen handles and the current chunk;
 *                  never touches the disk (drain.c, session.c teardown)
 *   writer thread  owns the vmt_writer: compresses and writes (pipeline.c)
 *   control thread owns the control socket; hands markers to the drain
 *                  through struct vmt_mailbox (control.c)
 * Counters read by other threads are C11 atomics.
 */
#ifndef VMT_RECORD_INT_H
#define VMT_RECORD_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "vmt/format.h"
#include "vmt/record.h"
#include "format_log.h"
#include "vmt_le.h"
#include "vmt_opts.h"
#include "xen_api.h"

#define VMT_MAX_VCPUS 128          /* per-vCPU ledger slots */

static inline uint64_t vmt_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- pipeline.c: chunk pool between the drain and the writer ---- */

struct vmt_pipeline {
	struct vmt_chunkbuf *bufs;
	unsigned nbufs;
	/* Free buffer indices (a stack) and full ones (a ring, in order),
	 * protected by @lock. */
	unsigned *freeq, *fullq;
	unsigned free_n, full_head, full_n;
	pthread_mutex_t lock;
	pthread_cond_t cond_free, cond_full;
	int closing;               /* no more chunks will come */
	struct vmt_writer *writer;
	pthread_t thread;
	int started, inited;
	int wake_fd;               /* written on a write error */
	_Atomic int write_error;   /* first error, negative errno */
	_Atomic uint64_t bytes_written, bytes_raw;
	_Atomic uint64_t lost_records;  /* records dropped after a write error */
	uint32_t *nreq;            /* per buffer: REQUEST records in it */
	_Atomic uint64_t requests_written;  /* in chunks that reached the file */
	/* Bounded waits (FAULTS.md "disk hangs"): the drain waits at most
	 * max_wait_ns for a free buffer (0: as long as it takes), and from
	 * the stop on at most VMT_STOP_WAIT_NS more. */
	uint64_t max_wait_ns;
	const _Atomic uint32_t *running; /* != VMT_RUNNING: stopping; or NULL */
	_Atomic uint64_t stop_ns;  /* when the drain saw the stop */
	_Atomic uint64_t last_write_ns;  /* how long the last write took */
	_Atomic int drain_waiting; /* the drain waits for a free buffer now */
	/* After the stop, once a write took longer than VMT_DISK_HANG_NS the
	 * chunks still queued are dropped (not written) and counted here. */
	_Atomic uint64_t dropped_chunks, dropped_requests;
};

/* How long, after a stop, the drain may still wait for a free buffer
 * before answering the ring without recording (a healthy disk frees one
 * well within it; the ring must be answered within 1 s of the stop). */
#define VMT_STOP_WAIT_NS 100000000ull
/* A write slower than this after the stop means the disk hangs: nothing
 * more is written, so the recorder exits after that one write. */
#define VMT_DISK_HANG_NS 2000000000ull
/* The default --max-stall (vmt_recorder_opts.max_stall_ns). */
#define VMT_MAX_STALL_DEFAULT_NS 1000000000ull

int vmt_pipeline_init(struct vmt_pipeline *p, unsigned nbufs, size_t cap,
		      struct vmt_writer *w, int wake_fd);
int vmt_pipeline_start(struct vmt_pipeline *p);
/* Drain side: a free buffer (waits; the wait is back-pressure), or NULL
 * if none came within the bounds above. */
struct vmt_chunkbuf *vmt_pipeline_get(struct vmt_pipeline *p,
				      uint64_t *wait_ns);
/* Drain side: a free buffer if one is free now, else NULL. */
struct vmt_chunkbuf *vmt_pipeline_tryget(struct vmt_pipeline *p);
/* Drain side: the recording has stopped (starts the stop's bounds). */
void vmt_pipeline_stopping(struct vmt_pipeline *p);
/* Drain side: hand a filled buffer to the writer (empty ones go back). */
void vmt_pipeline_put(struct vmt_pipeline *p, struct vmt_chunkbuf *c);
/* Drain side: no more chunks; wait for the writer to finish. */
void vmt_pipeline_finish(struct vmt_pipeline *p);
void vmt_pipeline_free(struct vmt_pipeline *p);

/* ---- respond.c: the response policy on raw slots ---- */

/* Per-version offsets the policy needs, learned from format/'s encoder. */
struct vmt_policy {
	uint32_t version;
	uint32_t entry_size;
	uint32_t off_rip;          /* absolute offset of rip */
	uint32_t off_dbg_len;      /* software_breakpoint/debug insn_length */
	uint32_t off_dbg_type;     /* ... type; 0 = not in this version */
	uint32_t off_cpuid_len;
	uint32_t domid;
	const struct vmt_xen *xen;
	xc_interface *xch;
	_Atomic uint64_t inject_failures;
};

int vmt_policy_init(struct vmt_policy *pol, uint32_t version);
/* Build the response to @req (a copy) in @slot; Return 0 or -errno of a
 * failed re-injection (the response is written anyway). */
int vmt_policy_respond(struct vmt_policy *pol, const uint8_t *req,
		       uint8_t *slot);

/* ---- control.c ---- */

/* A marker travelling from the control thread to the drain. */
struct vmt_mailbox {
	pthread_mutex_t lock;
	int answer_fd;             /* eventfd: the drain answered, or ended */
	_Atomic int pending;
	int answered;
	int closed;                /* drain has ended: refuse new markers */
	char text[VMT_TEXT_MAX];
	uint64_t seq;
};

struct vmt_control {
	int listen_fd;
	int stop_fd;               /* eventfd: tells the thread to end */
	char path[108];
	pthread_t thread;
	int started;
	struct vmt_recorder *rec;
};

int vmt_control_open(struct vmt_control *c, const char *path,
		     struct vmt_recorder *rec);
int vmt_control_start(struct vmt_control *c);
void vmt_control_close(struct vmt_control *c);

/* ---- the recorder ---- */

struct vmt_vcpu_ledger {
	uint64_t events, lat_sum_ns, lat_max_ns;
};

/* Xen's diagnostics: logged at debug level; the last error is kept so an
 * open that fails can say why in Xen's own words. */
struct vmt_xen_logger {
	xentoollog_logger l;       /* first: the callbacks cast back */
	char last_error[512];
};

struct vmt_recorder {
	struct vmt_xen xen;
	struct vmt_xen_logger xlog;
	xc_interface *xch;
	xenevtchn_handle *xce;
	uint32_t domid;
	uint32_t remote_port;
	int local_port;
	void *ring;                /* the shared page */
	uint32_t req_cons;         /* back-ring private counter; responses
				    * are answered in place, so rsp_prod_pvt
				    * always equals it */
	int ring_enabled;
	int ring_jumped;           /* req_prod cannot be trusted any more */
	int salvaged;              /* the jumped ring was searched once */
	/* What each slot held when we last wrote it (our response), or at
	 * ring set-up: after a jump, a slot that differs holds a request. */
	uint8_t shadow[VMT_RING_SLOTS][VMT_ENTRY_MAX];
	int more;                  /* the last batch left requests behind */
	int paused_by_us;
	int unpause;               /* drop the creation pause at start */
	uint32_t caps;
	struct vmt_monitors mon;
	int mon_on;                /* sources were switched on */
	struct vmt_trace_info info;
	struct vmt_policy pol;

	struct vmt_pipeline pipe;
	struct vmt_chunkbuf *cur;
	/* No free buffer within --max-stall: the drain answers the ring and
	 * writes into @scratch, which is thrown away; the requests it held
	 * become one LOSS (cause backlog) once a buffer is free again. */
	struct vmt_chunkbuf scratch;
	uint64_t drop_first, drop_count;   /* requests not recorded so far */
	_Atomic uint64_t stall_lost;       /* all of them, LOSS or not */
	uint64_t cur_since_ns;     /* when @cur received its first record */
	uint64_t flush_ns;
	struct vmt_control ctl;
	int have_ctl;
	struct vmt_mailbox mbox;

	int wake_fd;               /* eventfd: signals, control, writer */
	int done_fd;               /* eventfd: written when the drain ends */
	pthread_t drain_thread;
	int drain_started;
	char path[4096];
	char tmp_path[4096];       /* --force: the new trace until it is done */
	int compress_after;        /* uncompressed chunks, compressed at the end */

	uint64_t max_events, max_bytes, duration_ns;
	uint64_t t0;               /* CLOCK_MONOTONIC origin */
	uint64_t next_alive_check;
	_Atomic uint32_t stop_cause;   /* UINT32_MAX while running */
	uint32_t end_cause;

	/* Counters (written by the drain; read by anyone). */
	_Atomic uint64_t seq;      /* next request's sequence number */
	_Atomic uint64_t markers, batches, bp_ns;
	_Atomic uint32_t max_occ;
	_Atomic uint64_t cpu_ns, end_ns;
	uint64_t batch_bp_ns;
	struct vmt_vcpu_ledger vcpu[VMT_MAX_VCPUS];
	/* Reason codes format/ does not name: kept raw, noted once each. */
	uint64_t unknown_reasons;
	uint64_t unknown_seen[2];  /* codes 0..127 already noted */
	int unknown_high_seen;     /* a code >= 128 already noted */
	uint64_t foreign_entries;  /* entries of another ABI version */
	int teardown_error;
	char fault[256];           /* what a ring fault was */
	struct vmt_tap *tap;       /* a tapped recording (record/tap/) */
};

#define VMT_RUNNING UINT32_MAX


/* drain.c */
void *vmt_drain_main(void *arg);
/* Append one non-request record at the current position (drain thread). */
int vmt_drain_note(struct vmt_recorder *r, uint16_t type, const void *data,
		   uint32_t size);
/* Answer everything on the ring once, recording it (drain thread). */
int vmt_drain_ring(struct vmt_recorder *r);
/* A marker waiting in the mailbox goes into the trace now. */
void vmt_drain_take_marker(struct vmt_recorder *r);
/* After a producer-index jump: answer what the slots show (teardown). */
void vmt_drain_salvage(struct vmt_recorder *r);
/* Remember the slots as set up, before any request can arrive. */
void vmt_drain_shadow_init(struct vmt_recorder *r);

/* recorder.c, shared with the tap */
int vmt_record_fill_info(struct vmt_recorder *r, int level,
			 const char *cmdline, const char *labels,
			 const char *phase_names, struct vmt_rec_error *err);
/* Create the trace file (O_EXCL; with @force a stand-in renamed over
 * PATH at the end); *fd gets it. */
int vmt_record_create_file(struct vmt_recorder *r, const char *path,
			   int force, int *fd, struct vmt_rec_error *err);
/* The file being written: PATH, or its --force stand-in. */
const char *vmt_record_trace_file(const struct vmt_recorder *r);
/* The codec chunks are written with while recording. */
uint32_t vmt_record_codec(const struct vmt_recorder *r);
void vmt_recorder_free(struct vmt_recorder *r);
/* A recorder with its eventfds, limits and mailbox; NULL if out of memory. */
struct vmt_recorder *vmt_recorder_alloc(const char *path, uint64_t max_events,
				       uint64_t max_bytes, uint64_t duration_ns,
				       unsigned flush_ms);
/* The chunk pool (writer @w may come later) and the control socket. */
int vmt_record_pipes(struct vmt_recorder *r, unsigned chunks,
		     uint32_t chunk_size, struct vmt_writer *w,
		     const char *control, struct vmt_rec_error *err);
/* End of the drain (or collector) thread: the mailbox refuses markers;
 * then the last chunk goes out, the writer finishes, waiters wake. */
void vmt_drain_close_mailbox(struct vmt_recorder *r);
void vmt_drain_done(struct vmt_recorder *r);

/* tap/: the collector thread of a tapped recording */
struct vmt_tap;
void *vmt_tap_collect_main(void *arg);
void vmt_tap_free(struct vmt_tap *t);
/* COMMAND's wait status, -1 if not tapped or not reaped */
int vmt_tap_status(const struct vmt_recorder *r);
/* No header was written: remove the file; Return the error to report. */
int vmt_tap_discard(struct vmt_recorder *r, struct vmt_rec_error *err);

/* session.c: Xen setup and teardown */
int vmt_session_open(struct vmt_recorder *r,
		     const struct vmt_recorder_opts *o,
		     struct vmt_rec_error *err);
int vmt_session_attach(struct vmt_recorder *r, const char *dom,
		       struct vmt_rec_error *err);
int vmt_session_sources(struct vmt_recorder *r, int enable,
			struct vmt_rec_error *err);
void vmt_session_teardown(struct vmt_recorder *r);
void vmt_session_close(struct vmt_recorder *r);
int vmt_session_unpause(struct vmt_recorder *r, struct vmt_rec_error *err);
int vmt_session_domain_alive(struct vmt_recorder *r);
/* The name xenstore gives @domid, "" if none (or no libxenstore). */
void vmt_session_domain_name(struct vmt_recorder *r, uint32_t domid,
			     char *out, size_t cap);

#define VMT_ERR(e, c, s, ...)                                           \
	((e) ? ((e)->code = (c), (e)->stage = (s),                      \
		snprintf((e)->msg, sizeof((e)->msg), __VA_ARGS__), (c)) \
	     : (c))

#endif
