/*
 * sim.h - xensim's internal model (daemon only, never installed): the
 * scenario, the simulated host with its domains and vCPUs, the monitor ring
 * each domain may carry, and the counts xensim reports.
 *
 * Files: scenario.c parses samples/workloads/ files (FORMAT.md there);
 * guest.c steps a vCPU through its scenario and builds requests; ring.c
 * applies Xen's ring rules (vm_event-abi.md 7) and the effect of responses
 * (sections 10, 12); stats.c writes the JSON counts; server.c is the epoll
 * loop and ops.c the client calls (proto.h); faults.c parses --fault;
 * xensim.c is the command line.
 */
#ifndef VMT_XENSIM_SIM_H
#define VMT_XENSIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "proto.h"
#include "vmt/event.h"

/* ---- scenario ---------------------------------------------------------- */

enum vmt_sim_act {
	VMT_ACT_SWITCH, VMT_ACT_SYSCALL, VMT_ACT_ACCESS, VMT_ACT_BREAKPOINT,
	VMT_ACT_DEBUG, VMT_ACT_CPUID, VMT_ACT_MSR, VMT_ACT_CR, VMT_ACT_MARKER,
	VMT_ACT_DESCRIPTOR, VMT_ACT_VMEXIT, VMT_ACT_COUNT
};

/* A value list "0,1,0x10-0x1f": inclusive ranges, drawn uniformly. */
struct vmt_sim_list {
	uint32_t n;
	uint64_t (*r)[2];
	uint64_t total;            /* number of values; 0 = list not given */
};

struct vmt_sim_action {
	uint8_t act;
	uint32_t weight;
	struct vmt_sim_list a, b;  /* the action's keys, see scenario.c */
};

struct vmt_sim_phase {
	char name[32];
	uint64_t steps;
	struct vmt_sim_action *acts;
	uint32_t n_acts;
	uint64_t total_weight;
};

struct vmt_sim_proc {
	char name[32];
	uint64_t cr3, code_lo, code_hi, gfn, data_lo, data_hi;
};

struct vmt_sim_scenario {
	char name[64];
	char path[512];
	uint64_t rate;             /* 0 = as fast as the consumer allows */
	uint64_t memory;           /* guest pages */
	bool has_syscall;
	uint64_t syscall_rip, syscall_gfn;
	struct vmt_sim_proc *procs;
	uint32_t n_procs;
	struct vmt_sim_phase *phases;
	uint32_t n_phases;
};

/* Return: 0, or -errno / -VMT_E_CORRUPT with @err naming file and line. */
int vmt_sim_scenario_load(struct vmt_sim_scenario *sc, const char *path,
			  char *err, size_t errlen);
/* The same over @len bytes of @text (no NUL needed; a NUL byte is an
 * error); @name stands for the file in messages and gives the default name. */
int vmt_sim_scenario_parse(struct vmt_sim_scenario *sc, const char *text,
			   size_t len, const char *name, char *err,
			   size_t errlen);
void vmt_sim_scenario_free(struct vmt_sim_scenario *sc);
const char *vmt_sim_act_name(unsigned act);
uint64_t vmt_sim_list_pick(const struct vmt_sim_list *l, uint64_t rnd);

/* ---- faults ------------------------------------------------------------ */

enum vmt_sim_fault {
	VMT_FAULT_RING_JUMP, VMT_FAULT_UNKNOWN_REASON, VMT_FAULT_BAD_VERSION,
	VMT_FAULT_DOMAIN_DIE, VMT_FAULT_SLOW_EVTCHN, VMT_FAULT_COUNT
};

struct vmt_sim_faults {
	bool on[VMT_FAULT_COUNT];
	uint64_t at[VMT_FAULT_COUNT];   /* request index the fault hits */
	uint64_t arg[VMT_FAULT_COUNT];  /* reason code, version, usec */
};

/* Return: 0 or -EINVAL; parses "NAME[=ARG]" into @f. */
int vmt_sim_fault_parse(struct vmt_sim_faults *f, const char *spec,
			uint32_t abi);

/* ---- monitor configuration (what the consumer enabled) ----------------- */

/* Xen's monitored-MSR bitmap (arch/x86/monitor.c monitor_bitmap_for_msr):
 * three windows of 0x2000 MSRs; any MSR outside them is refused (EINVAL). */
#define VMT_SIM_MSR_WINDOW 0x2000u
#define VMT_SIM_MSR_WORDS (3 * VMT_SIM_MSR_WINDOW / 64)

struct vmt_sim_mon {
	uint32_t enabled;          /* bit per enum vmt_xsim_mon */
	bool cr_on[4], cr_sync[4], cr_onchange[4];
	uint64_t cr_mask[4];
	uint64_t msr_on[VMT_SIM_MSR_WORDS], msr_onchange[VMT_SIM_MSR_WORDS];
	uint32_t n_msr;
	bool gr_sync, gr_user, dbg_sync, vmexit_sync, inguest_pf, each_rep;
};

/* Return: the MSR's bit index in the bitmaps, or -1 outside Xen's windows. */
int vmt_sim_msr_bit(uint32_t msr);

/* ---- p2m access (p2m.c) ------------------------------------------------ */

/* xenmem_access_t numbering, which is also Xen's p2m_access_t order. */
enum { VMT_ACC_N, VMT_ACC_R, VMT_ACC_W, VMT_ACC_RW, VMT_ACC_X, VMT_ACC_RX,
       VMT_ACC_WX, VMT_ACC_RWX, VMT_ACC_RX2RW, VMT_ACC_N2RWX,
       VMT_ACC_DEFAULT };

/* Xen's limit of altp2m views per domain (MAX_ALTP2M). */
#define VMT_SIM_MAX_ALTP2M 10
/* HVM_PARAM_ALTP2M values (XEN_ALTP2M_*). */
enum { VMT_ALTP2M_DISABLED, VMT_ALTP2M_MIXED, VMT_ALTP2M_EXTERNAL,
       VMT_ALTP2M_LIMITED };

/*
 * One p2m's access per gfn, as Xen keeps it per p2m entry: leaves of 4096
 * one-byte entries allocated when a gfn in them is first set, so memory
 * grows with the gfns actually set.  A byte holds access + 1; 0 means the
 * entry carries nothing of its own (rwx in the host p2m; in a view, the
 * host's entry until the view gets one).
 */
struct vmt_sim_p2m {
	uint8_t **leaf;
	uint64_t nleaf;
	uint64_t restricted;       /* entries holding an access other than rwx */
	uint64_t nalloc;           /* leaves allocated */
	uint8_t dflt;              /* default_access (new entries only) */
};

/* An altp2m view: own entries, and gfns remapped by change_gfn. */
struct vmt_sim_view {
	struct vmt_sim_p2m p2m;
	struct { uint64_t from, to; } *remap;   /* sorted by from */
	uint64_t n_remap, cap_remap;
};

struct vmt_sim_altp2m {
	uint8_t mode;              /* HVM_PARAM_ALTP2M */
	bool active;               /* xc_altp2m_set_domain_state */
	struct vmt_sim_view *view[VMT_SIM_MAX_ALTP2M];   /* [0] = host p2m */
};

/* ---- vCPUs ------------------------------------------------------------- */

/* One chosen guest action, kept so a re-execution repeats it exactly. */
struct vmt_sim_step {
	uint8_t act;
	uint8_t kind;              /* access kind bit, cr index, descriptor */
	bool marker;               /* the phase marker */
	uint64_t a, b;             /* leaf/subleaf, msr/value, gfn/offset... */
	uint64_t rip;
	uint64_t gpr[4];           /* rbx, rsi, rdi, rdx */
};

/* What a synchronous request left pending until its response. */
struct vmt_sim_pending {
	uint32_t reason;
	uint8_t kind;              /* access kind / cr index */
	bool is_write;             /* a deferred CR/MSR write */
	uint32_t msr;
	uint64_t gfn, value, rip, insn_len;
};

struct vmt_sim_vcpu {
	uint32_t id;
	uint64_t rng;
	uint64_t reg[VMT_REG_COUNT];
	uint64_t xcr0;
	uint32_t proc, phase;
	uint64_t phase_left;
	bool marker_due;
	struct { uint32_t msr; uint64_t val; } *msrs;   /* others the guest wrote */
	uint32_t n_msrs, cap_msrs;
	uint16_t p2midx;           /* altp2m view while altp2m is active */

	struct vmt_sim_step cur;
	bool redo;                 /* execute cur again (re-execution/refault) */
	bool ss_done;              /* singlestep event for cur already raised */
	bool singlestep, want_irq;

	/* pause state: Xen keeps these apart (vm_event pause vs blocked) */
	bool waiting, blocked, ringwait;
	uint64_t wait_since, ringwait_since;
	uint32_t wait_reason;
	bool staged_ok;            /* @staged holds a request not yet on the ring */
	bool staged_sync;
	struct vmt_event staged;
	struct vmt_sim_pending pend;
	uint64_t injected;         /* xc_hvm_inject_trap calls for this vCPU */

	uint64_t produced;
	uint64_t paused_total_ns, paused_max_ns;
};

/* ---- the monitor ring of one domain ------------------------------------ */

struct vmt_sim_conn;

struct vmt_sim_meta {           /* what request i was, for response checks */
	uint32_t vcpu, reason;
	bool sync;
	uint64_t injected;
};

struct vmt_sim_ring {
	bool enabled;
	int memfd;
	uint8_t *page;
	uint32_t port;             /* "Xen-side" port returned by enable */
	uint32_t req_prod_pvt, rsp_cons;
	struct vmt_sim_meta meta[VMT_RING_SLOTS];
	struct vmt_sim_conn *owner;   /* connection that enabled it */
	/* binding: at most one consumer end */
	bool bound;
	uint32_t local_port;
	int up_fd;                 /* eventfd the consumer polls */
	int notify_fd;             /* our end of the consumer's notify socket */
	struct vmt_sim_conn *bind_owner;
	void *ep_tag;              /* epoll registration of notify_fd */
	bool notify_due;           /* slow-evtchn: a notification is delayed */
	uint64_t notify_at;
	bool jumped;               /* ring-jump fault fired: production stops */
};

enum vmt_sim_dom_state { VMT_DOM_ALIVE, VMT_DOM_DYING, VMT_DOM_GONE };

enum vmt_sim_rej {
	VMT_REJ_WRONG_VERSION, VMT_REJ_NO_PAUSED_FLAG, VMT_REJ_WRONG_VCPU,
	VMT_REJ_BAD_RSP_PROD, VMT_REJ_COUNT
};

#define VMT_SIM_REASONS 32      /* counters per reason code; rest: other */

struct vmt_sim_counts {
	uint64_t produced_total;
	uint64_t by_reason[VMT_SIM_REASONS + 1];
	uint64_t responses_consumed, responses_rejected;
	uint64_t rejected[VMT_REJ_COUNT];
	uint64_t pause_ns_total, pause_ns_max;
	uint64_t ring_full_waits, ring_wait_ns_total, ring_wait_ns_max, blocked_pauses;
	uint64_t reexecuted, refaults, swallowed_traps, denied_writes;
	uint64_t reinjected_traps, register_sets, notifications;
	uint64_t access_relaxed, access_crashes;   /* violations, no listener */
	uint64_t altp2m_switches, remapped_accesses;
};

struct vmt_sim_dom {
	uint32_t id;
	char name[64];
	uint32_t nvcpus;
	struct vmt_sim_vcpu *vcpu;
	uint32_t pause_count;      /* toolstack pauses (xc_domain_pause) */
	enum vmt_sim_dom_state state;
	struct vmt_sim_mon mon;
	struct vmt_sim_p2m p2m;    /* the host p2m */
	struct vmt_sim_altp2m altp2m;
	bool access_required;      /* XEN_DOMCTL_set_access_required */
	bool crashed;              /* domain_crash(): a violation nobody heard */
	uint64_t max_pages;        /* XEN_DOMCTL_max_mem */
	uint64_t hvm_param[VMT_XSIM_HVM_PARAMS];
	struct vmt_sim_ring ring;
	uint32_t rr;               /* round-robin start for fairness */
	struct vmt_sim_counts c;
	uint64_t rsp_digest;       /* FNV-1a 64 over consumed response bytes */
};

struct vmt_sim_host {
	uint32_t abi;
	uint64_t seed;
	uint64_t max_events;       /* 0 = unlimited */
	uint64_t rate;             /* requests/s, 0 = max */
	struct vmt_sim_scenario sc;
	struct vmt_sim_faults faults;
	struct vmt_sim_dom *dom;
	uint32_t n_dom;
	uint64_t produced_total;
	uint64_t rsp_digest;       /* the same over every domain, in order */
	uint64_t start_ns;
	uint32_t next_port;
	void (*on_notify_fd)(struct vmt_sim_host *h, struct vmt_sim_dom *d,
			     bool add);   /* server hook: (un)watch notify_fd */
	void *server;
};

uint64_t vmt_sim_now_ns(void);

/*
 * vmt_sim_digest() - fold @n bytes into a running FNV-1a 64 digest whose
 * zero state is FNV's offset basis (so zeroed counters start it right);
 * vmt_sim_digest_value() gives the FNV-1a value a reader recomputes.
 */
uint64_t vmt_sim_digest(uint64_t state, const void *p, size_t n);
uint64_t vmt_sim_digest_value(uint64_t state);

/* guest.c */
void vmt_sim_vcpu_init(struct vmt_sim_host *h, struct vmt_sim_dom *d,
		       struct vmt_sim_vcpu *v);
/* Run one guest step; Return: true if @v->staged now holds a request. */
bool vmt_sim_vcpu_step(struct vmt_sim_host *h, struct vmt_sim_dom *d,
		       struct vmt_sim_vcpu *v);
/* Apply the effect of an accepted response (rsp decoded) to @v. */
void vmt_sim_vcpu_resume(struct vmt_sim_host *h, struct vmt_sim_dom *d,
			 struct vmt_sim_vcpu *v, const struct vmt_event *rsp);
/* No ring took @v's request (monitor_traps without a ring): the
 * instruction completes as if nothing watched it. */
void vmt_sim_vcpu_unheard(struct vmt_sim_host *h, struct vmt_sim_vcpu *v);
uint32_t vmt_sim_caps(uint32_t abi);

/* p2m.c: Xen's mem_access and altp2m rules (arch/x86/mm/mem_access.c,
 * p2m.c, hvm.c do_altp2m_op).  Return: 0 or -errno as Xen's hypercall. */
int vmt_sim_p2m_init(struct vmt_sim_p2m *p, uint64_t gfns, uint8_t dflt);
void vmt_sim_p2m_free(struct vmt_sim_p2m *p);
void vmt_sim_dom_p2m_free(struct vmt_sim_dom *d);
/* Return: the access in force for @v at @gfn (its view, else the host). */
uint8_t vmt_sim_access_of(const struct vmt_sim_dom *d,
			  const struct vmt_sim_vcpu *v, uint64_t gfn);
bool vmt_sim_access_allows(uint8_t access, uint8_t kind);
/* True while some p2m of @d restricts a gfn. */
bool vmt_sim_p2m_restricts(const struct vmt_sim_dom *d);
/* Bytes the domain's access tables take (host and views). */
uint64_t vmt_sim_p2m_bytes(const struct vmt_sim_dom *d);
int vmt_sim_mem_set(struct vmt_sim_host *h, struct vmt_sim_dom *d,
		    unsigned view, uint64_t access, uint64_t gfn, uint64_t nr);
int vmt_sim_mem_get(struct vmt_sim_host *h, struct vmt_sim_dom *d,
		    unsigned view, uint64_t gfn, uint8_t *access);
/*
 * A violation of @kind at @gfn by @v (p2m_mem_access_check).
 * Return: 1 to raise a mem_access request (*sync: pause the vCPU), 0 if
 * the access now proceeds, -1 if the domain was crashed.
 */
int vmt_sim_access_violation(struct vmt_sim_host *h, struct vmt_sim_dom *d,
			     struct vmt_sim_vcpu *v, uint64_t gfn,
			     uint8_t kind, bool *sync);
/* The gfn @v's view maps @gfn to (change_gfn), or @gfn. */
uint64_t vmt_sim_remap(const struct vmt_sim_dom *d,
		       const struct vmt_sim_vcpu *v, uint64_t gfn);
int vmt_sim_altp2m_op(struct vmt_sim_host *h, struct vmt_sim_dom *d,
		      unsigned cmd, const uint64_t *a, uint64_t *out);
/* VM_EVENT_FLAG_ALTERNATE_P2M on a response (p2m_altp2m_check). */
void vmt_sim_altp2m_vcpu_switch(struct vmt_sim_dom *d,
				struct vmt_sim_vcpu *v, unsigned idx);

/* ring.c */
int vmt_sim_ring_enable(struct vmt_sim_host *h, struct vmt_sim_dom *d);
int vmt_sim_ring_disable(struct vmt_sim_host *h, struct vmt_sim_dom *d);
void vmt_sim_ring_consume(struct vmt_sim_host *h, struct vmt_sim_dom *d);
/* Produce up to @budget requests; Return: number produced. */
unsigned vmt_sim_produce(struct vmt_sim_host *h, unsigned budget);
/* True if some vCPU could make progress right now (ignoring the rate). */
bool vmt_sim_runnable(const struct vmt_sim_host *h);
void vmt_sim_flush_notify(struct vmt_sim_host *h, uint64_t now);
uint64_t vmt_sim_next_deadline(const struct vmt_sim_host *h);
void vmt_sim_dom_kill(struct vmt_sim_host *h, struct vmt_sim_dom *d);
void vmt_sim_unbind(struct vmt_sim_host *h, struct vmt_sim_dom *d);
void vmt_sim_notify_consumer(struct vmt_sim_host *h, struct vmt_sim_dom *d);

/* server.c: the daemon's socket and epoll loop. */
struct vmt_sim_server;
/* Return: 0 or -errno (-EADDRINUSE: a live daemon owns @path). */
int vmt_sim_server_open(struct vmt_sim_server **out, struct vmt_sim_host *h,
			const char *path);
/* Runs until a signal, --query shutdown, or --events met and consumers
 * gone.  Return: 0 or -errno. */
int vmt_sim_server_run(struct vmt_sim_server *s);
void vmt_sim_server_close(struct vmt_sim_server *s);

/* run.c: `xensim run ...` (@argv[0] is "run"); Return: the exit status. */
int vmt_sim_run_main(int argc, char **argv);

/* stats.c */
int vmt_sim_stats_write(const struct vmt_sim_host *h, FILE *f);
char *vmt_sim_stats_json(const struct vmt_sim_host *h, size_t *len);

#endif
