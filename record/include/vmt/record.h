/*
 * vmt/record.h - the recorder library behind vmtrail-record.
 *
 * A recorder attaches to one domain's vm_event monitor ring (through the Xen
 * libraries, or xensim's), answers every request so the guest behaves as if
 * unwatched, and writes requests, responses and its own observations to a
 * trace (vmt/format.h).  The library never prints; failures come back as a
 * negative code plus one sentence in struct vmt_rec_error.
 *
 * Typical use: vmt_recorder_open() -> vmt_recorder_start() ->
 * vmt_recorder_wait() until it returns 1 (or vmt_recorder_stop() from a
 * signal handler) -> vmt_recorder_close().
 */
#ifndef VMT_RECORD_H
#define VMT_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "vmt/format.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VMT_MON_MAX_MSR 32
#define VMT_MON_MAX_MEM 32

/* Where a monitor's event is raised: sync pauses the vCPU until answered. */
enum vmt_mon_mode { VMT_MON_OFF = 0, VMT_MON_ASYNC = 1, VMT_MON_SYNC = 2 };

/* Simple on/off monitors, the index into vmt_monitors.on[]. */
enum vmt_mon_kind {
	VMT_MON_BREAKPOINT, VMT_MON_CPUID, VMT_MON_DEBUG, VMT_MON_DESC_ACCESS,
	VMT_MON_EMUL_UNIMPL, VMT_MON_GUEST_REQUEST, VMT_MON_PRIVCALL,
	VMT_MON_SINGLESTEP, VMT_MON_VMEXIT, VMT_MON_KIND_COUNT
};

/* One gfn range with the access the guest keeps (events on the rest). */
struct vmt_mem_range {
	uint64_t first, last;      /* inclusive gfns */
	uint32_t access;           /* xenmem_access_t: n 0 ... rwx 7 */
};

/**
 * struct vmt_monitors - the event sources of one recording
 * @cr:        per control register (enum vmt_ctrlreg): VMT_MON_OFF/ASYNC/SYNC
 * @cr_all:    per register: 1 = every write, 0 = only writes that change it
 * @on:        per enum vmt_mon_kind: VMT_MON_OFF, ASYNC or SYNC (only
 *             debug, guest-request and vmexit distinguish sync and async)
 * @msr/@n_msr: MSRs whose writes are reported (sorted, unique)
 * @mem/@n_mem: restricted gfn ranges (sorted, not overlapping)
 */
struct vmt_monitors {
	uint8_t cr[4];
	uint8_t cr_all[4];
	uint8_t on[VMT_MON_KIND_COUNT];
	uint32_t msr[VMT_MON_MAX_MSR];
	unsigned n_msr;
	struct vmt_mem_range mem[VMT_MON_MAX_MEM];
	unsigned n_mem;
};

/**
 * vmt_monitors_parse() - add one command-line monitor to @m
 * @opt: option name without dashes: "cr", "msr", "mem-access", or a kind
 *       name ("cpuid", "breakpoint", "debug", "guest-request", ...)
 * @arg: its argument (NULL when none was given), e.g. "cr3:sync,all",
 *       "0xc0000080,0xc0000082", "0x1000-0x10ff:rw", "sync"
 * @why: OUT: on -EINVAL, what is wrong with @arg
 *
 * Return: 0, -EINVAL (bad argument) or -E2BIG (too many ranges / MSRs).
 */
VMT_API int vmt_monitors_parse(struct vmt_monitors *m, const char *opt,
			       const char *arg, char *why, size_t whylen);

/** vmt_monitors_empty() - 1 if no source is selected */
VMT_API int vmt_monitors_empty(const struct vmt_monitors *m);

/**
 * vmt_monitors_canonical() - the canonical text stored in the trace header
 *
 * Items "name[:param,...]" sorted by name and joined by ';' (record/README.md
 * "Monitor text").  Two recordings with the same sources give the same text.
 * Return: its length, or -ENOSPC if @cap is too small.
 */
VMT_API int vmt_monitors_canonical(const struct vmt_monitors *m, char *out,
				   size_t cap);

/**
 * vmt_labels_add() - insert "KEY=VALUE" into canonical label text
 * @labels: in/out "k=v;k=v" sorted by key, NUL-terminated, @cap bytes
 *
 * Return: 0; -EINVAL for an empty key, a key with '=' or ';', a value with
 * ';', or a key already present; -ENOSPC if it does not fit.
 */
VMT_API int vmt_labels_add(char *labels, size_t cap, const char *kv);

/*
 * zstd level 1: on a recorded mixed workload it compresses about a third
 * faster than level 3 for 1.6% more bytes (BENCHMARKS.md), and the
 * writer's CPU is what the guest's vCPUs compete with.
 */
#define VMT_RECORD_LEVEL 1

/**
 * struct vmt_recorder_opts - what to record and where (sized options)
 * @xen_libdir:  load the Xen libraries from this folder (xensim's), or
 *               NULL for the system's
 * @domain:      domain id or name
 * @path:        trace file to create (mode 0600)
 * @force:       replace an existing file
 * @level:       zstd level (default VMT_RECORD_LEVEL)
 * @max_events:  stop after this many requests (0 = no limit)
 * @max_bytes:   stop once the file has this many bytes (0 = no limit)
 * @duration_ns: stop after this long (0 = no limit)
 * @control:     Unix socket path for markers and stats, or NULL
 * @labels:      canonical label text (vmt_labels_add), or NULL
 * @cmdline:     the command line, stored in the header
 * @flush_ms:    a partial chunk reaches the file at most this late
 *               (default 100)
 * @chunks:      chunk buffers in the pool (default 8)
 * @chunk_size:  bytes per chunk buffer (default VMT_CHUNK_DEFAULT)
 * @best_effort: leave out monitors this Xen lacks instead of failing
 *               (for a default set; fails only if none is left)
 * @unpause:     the domain was created paused (xl create -p, xensim
 *               --paused) and vmt_recorder_start() unpauses it once the
 *               monitors are on, the header is written and the drain
 *               runs, so the trace holds the guest from its first
 *               instruction.  A domain that is not paused fails
 *               vmt_recorder_open() before anything is touched.
 * @phase_names: canonical phase-name text (vmt_phase_names_add): names
 *               of the guest's phase markers, stored in the header; or
 *               NULL
 * @max_stall_ns: the longest the drain waits for a free chunk buffer
 *               while the disk is slow (vCPUs wait meanwhile); past it
 *               the ring is answered without recording and the requests
 *               become a LOSS (cause backlog).  0: 1 s (FAULTS.md)
 * @compress_after: write the chunks uncompressed while recording, and
 *               compress the trace into zstd chunks once the recording
 *               has ended (vmt_trace_rewrite()): the run takes less CPU
 *               from the guest and from a tapped COMMAND, at about ten
 *               times the disk space until the end; @max_bytes then
 *               counts uncompressed bytes.  If compressing fails, the
 *               complete uncompressed trace stays.
 */
struct vmt_recorder_opts {
	size_t sz;
	const char *xen_libdir;
	const char *domain;
	const char *path;
	int force;
	int level;
	const struct vmt_monitors *monitors;
	uint64_t max_events;
	uint64_t max_bytes;
	uint64_t duration_ns;
	const char *control;
	const char *labels;
	const char *cmdline;
	unsigned flush_ms;
	unsigned chunks;
	uint32_t chunk_size;
	int best_effort;
	int unpause;
	const char *phase_names;
	uint64_t max_stall_ns;
	int compress_after;
};

/* What failed, for the front end to print. */
enum vmt_rec_stage {
	VMT_STAGE_NONE = 0,
	VMT_STAGE_LIBS,            /* Xen libraries missing or incomplete */
	VMT_STAGE_NOXEN,           /* libraries present, no hypervisor */
	VMT_STAGE_DOMAIN,          /* domain unknown or not usable */
	VMT_STAGE_CAPS,            /* a monitor this Xen cannot provide */
	VMT_STAGE_BUSY,            /* another monitor ring is (was) attached */
	VMT_STAGE_XEN,             /* another Xen call failed */
	VMT_STAGE_FILE,            /* the trace file */
	VMT_STAGE_CONTROL,         /* the control socket */
	VMT_STAGE_RUN,             /* during the recording */
};

/**
 * struct vmt_rec_error - a failure explained
 * @code:  negative errno / -VMT_E_*
 * @stage: enum vmt_rec_stage
 * @msg:   one sentence, without the program name; for VMT_STAGE_FILE it is
 *         "PATH: reason"
 */
struct vmt_rec_error {
	int code;
	int stage;
	char msg[768];
};

/* Live counters, readable while recording (every field a snapshot). */
struct vmt_recorder_stats {
	uint64_t requests;         /* requests dequeued (== responses sent) */
	uint64_t markers;
	uint64_t bytes_raw;        /* uncompressed chunk bytes handed over */
	uint64_t bytes_written;    /* bytes in the file */
	uint64_t backpressure_ns;  /* drain time spent waiting for a buffer */
	uint64_t batches;
	uint32_t max_occupancy;    /* most requests seen pending at once */
	uint64_t elapsed_ns;
	uint64_t drain_cpu_ns;     /* CPU time of the drain thread */
	uint64_t stall_lost;       /* requests answered without being recorded
				    * (the disk stalled past --max-stall) */
	uint32_t waiting_for_disk; /* 1 while the drain waits for a free
				    * chunk buffer (back-pressure, now) */
};

/* The end of a recording. */
struct vmt_recorder_result {
	uint32_t end_cause;        /* enum vmt_end_cause */
	int write_error;           /* negative errno if the file failed */
	int teardown_error;        /* negative errno if Xen teardown failed */
	uint32_t abi_version;
	uint32_t vcpus;
	uint32_t domid;
	struct vmt_recorder_stats stats;
	uint64_t requests_written; /* requests in chunks that reached the file */
	int command_status;        /* tap: COMMAND's wait status, else -1 */
	uint64_t stall_lost;       /* requests answered but not recorded
				    * because the disk stalled (--max-stall) */
	uint64_t stall_unrecorded; /* of those, the ones no LOSS record holds */
};

struct vmt_recorder;

/**
 * vmt_recorder_open() - attach to the domain and create the trace
 *
 * Loads the Xen libraries, finds the domain, learns the ABI version,
 * checks the monitors against the capabilities, creates the file, enables
 * the monitor ring and the event sources.  On failure everything done is
 * undone (ring disabled, file removed) and @err explains.
 */
VMT_API int vmt_recorder_open(struct vmt_recorder **out,
			      const struct vmt_recorder_opts *opts,
			      struct vmt_rec_error *err);

/** vmt_recorder_start() - start the drain, writer and control threads,
 * then unpause the domain if @unpause was given (not when a stop was
 * already asked for: the guest then stays as it was) */
VMT_API int vmt_recorder_start(struct vmt_recorder *r,
			       struct vmt_rec_error *err);

/**
 * vmt_recorder_stop() - ask the recording to end
 * Context: async-signal-safe (an atomic store and a write()).
 */
VMT_API void vmt_recorder_stop(struct vmt_recorder *r, uint32_t end_cause);

/** vmt_recorder_wait() - 1 once the drain has ended, 0 after @timeout_ms */
VMT_API int vmt_recorder_wait(struct vmt_recorder *r, int timeout_ms);

VMT_API void vmt_recorder_stats(const struct vmt_recorder *r,
				struct vmt_recorder_stats *s);

/**
 * vmt_recorder_close() - end, tear down, finish the file, free
 *
 * The guest is released (monitors off, ring answered, ring disabled)
 * before the file is finished.  After a write error the file is left
 * without trailer, readable up to its last written chunk.
 * Return: 0, or the first error (also in @err).
 */
VMT_API int vmt_recorder_close(struct vmt_recorder *r,
			       struct vmt_recorder_result *res,
			       struct vmt_rec_error *err);

/**
 * vmt_recorder_release() - disable a stale monitor ring of a domain
 * (one left by a recorder that was killed); touches nothing else.
 */
VMT_API int vmt_recorder_release(const char *xen_libdir, const char *domain,
				 uint32_t *domid, struct vmt_rec_error *err);

/**
 * struct vmt_tap_opts - a tapped recording (sized options): run COMMAND
 * with the tap's interposing libraries and record the ring traffic of the
 * monitor ring it enables (record/README.md "Tap")
 * @xen_libdir:   folder of the Xen libraries COMMAND's calls go to
 *                (xensim's), or NULL for the system's
 * @tap_libdir:   folder of the interposing libraries
 * @argv:         COMMAND and its arguments, NULL-terminated
 * @stream_bytes: memory shared with COMMAND for captured records (default
 *                16 MiB); when it is full, requests are recorded as a LOSS
 * The other fields as in struct vmt_recorder_opts; limits end the
 * recording, not COMMAND; COMMAND's events/s gains most from
 * @compress_after (BENCHMARKS.md "Tap").
 */
struct vmt_tap_opts {
	size_t sz;
	const char *xen_libdir;
	const char *tap_libdir;
	char *const *argv;
	const char *path;
	int force;
	int level;
	uint64_t max_events;
	uint64_t max_bytes;
	uint64_t duration_ns;
	const char *control;
	const char *labels;
	const char *cmdline;
	unsigned flush_ms;
	unsigned chunks;
	uint32_t chunk_size;
	uint64_t stream_bytes;
	const char *phase_names;
	int compress_after;
};

/**
 * vmt_tap_open() - create the trace and start COMMAND under the tap
 *
 * The header is written when COMMAND enables a monitor ring.  Then
 * vmt_recorder_start() / _wait() / _close() as for any recording: the
 * recording ends when COMMAND has ended and everything it handed over is
 * in the file; _close() reports COMMAND's wait status.  vmt_recorder_stop()
 * stops recording, not COMMAND.
 */
VMT_API int vmt_tap_open(struct vmt_recorder **out,
			 const struct vmt_tap_opts *opts,
			 struct vmt_rec_error *err);

/** vmt_tap_pid() - COMMAND's process id (to forward signals), or -1 */
VMT_API int vmt_tap_pid(const struct vmt_recorder *r);

/**
 * vmt_control_request() - one request/reply exchange on a control socket
 * @line:  "marker TEXT" or "stats" (without newline)
 * @reply: OUT: the reply line without newline
 * Return: 0, or a negative errno (-ECONNREFUSED, -ENOENT...).
 */
VMT_API int vmt_control_request(const char *socket_path, const char *line,
				char *reply, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
