/*
 * tap_stream.h - the shared-memory stream between the tap's interposing
 * libraries (inside the consumer, the producer) and vmtrail-record (the
 * parent, the only consumer and the owner of the trace file).
 *
 * Why shared memory: a capture is two memcpy and one release store, no
 * system call, so the consumer's ring loop is not slowed; and everything
 * published is already outside the consumer, so SIGKILL of the consumer
 * loses nothing handed over.  Why bounded: when the parent cannot keep up
 * (a stalled disk) the producer drops and counts instead of waiting.
 *
 * Layout: struct vmt_tap_shm, then @cap bytes of records, each
 * struct vmt_tap_rec + payload padded to 8 bytes.  A record never wraps:
 * the producer pads the end of the area with a VMT_TAP_PAD record, and the
 * parent skips from a VMT_TAP_PAD to the end of the area.  Positions are
 * byte counts that only grow; offset = position % cap.
 *
 * Why @wrap: each page of the area costs a process a slow first touch
 * (page-table and cache misses: most of what the tap once cost the
 * consumer per event), so while the parent keeps up the producer pads
 * early and starts over once past @wrap bytes; the rest of @cap is used
 * only when the parent falls behind.
 * Host byte order: both ends run on the same machine.
 */
#ifndef VMT_TAP_STREAM_H
#define VMT_TAP_STREAM_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>

#define VMT_TAP_MAGIC 0x31504154544d56ull  /* "VMTTAP1" */
#define VMT_TAP_PAD 0                       /* record type: skip to the end */
/* Record type of the stream only, never in a trace: the consumer's monitor
 * set (struct vmt_monitors, host layout) after a call that changed it. */
#define VMT_TAP_MONITORS 0x7f00
#define VMT_TAP_ENV_FD "VMT_TAP_FD"         /* "SHMFD,EVENTFD" */
#define VMT_TAP_ENV_CTRL "VMT_TAP_XENCTRL"  /* absolute path of the target */
#define VMT_TAP_ENV_EVTCHN "VMT_TAP_XENEVTCHN"

struct vmt_tap_rec {
	uint16_t type;             /* enum vmt_rec_type, or VMT_TAP_PAD */
	uint16_t flags;
	uint32_t size;             /* payload bytes */
	uint64_t seq;
	uint64_t mono_ns;          /* CLOCK_MONOTONIC */
};

#define VMT_TAP_ALIGN(n) (((n) + 7u) & ~(uint64_t)7u)

struct vmt_tap_shm {
	uint64_t magic;
	uint64_t cap;              /* record area bytes, a power of two */
	uint64_t wrap;             /* start over past this offset if free */
	/* The first process that enables a ring owns the stream; other
	 * processes of COMMAND's tree forward without capturing. */
	_Atomic int32_t owner_pid;
	_Atomic uint32_t attached; /* 1 once the facts below are set */
	_Atomic uint32_t stop;     /* parent: capture no more (a limit) */
	uint32_t domid, abi, vcpus, entry_size;
	uint32_t xen_major, xen_minor;
	char xen_extra[64];
	/* Requests dropped because the area was full, not yet reported by a
	 * LOSS record in the stream (the parent reports them at the end). */
	_Atomic uint64_t loss_first, loss_count;
	_Atomic uint64_t lost_responses;
	_Atomic uint64_t captured_requests, captured_responses;
	alignas(64) _Atomic uint64_t head;   /* producer position */
	_Atomic uint32_t parent_waiting;     /* parent sleeps on the eventfd */
	alignas(64) _Atomic uint64_t tail;   /* parent position */
	alignas(64) uint8_t data[];
};

/* Bytes of backlog at which the producer wakes a sleeping parent, and
 * at which the parent does not sleep: well before an early wrap fails. */
static inline uint64_t vmt_tap_wake_bytes(const struct vmt_tap_shm *s)
{
	return s->wrap / 4;
}

#endif
