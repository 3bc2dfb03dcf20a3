/*
 * guest.c - the simulated guest: each vCPU steps through its scenario
 * (samples/workloads/FORMAT.md), keeps a consistent register state, and
 * builds a vm_event request when an enabled monitor sees its action.  It
 * also applies what an accepted response does to the vCPU (vm_event-abi.md
 * sections 5.1, 7.4, 10, 12).
 *
 * Determinism: a vCPU's generator is seeded from (seed, domid, vCPU) only
 * and advances only when that vCPU executes, so its request stream does not
 * depend on timing or on the other vCPUs.  Requests are laid out by
 * format/'s encoder (vmt_event_encode) for every ABI version.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "proto.h"

#define MARKER_TAG 0x564d54ull          /* "VMT" in rbx of every marker */
#define MARKER_RIP 0xffffffff81001000ull /* markers are issued from ring 0 */
#define DIRECT_MAP 0xffff888000000000ull /* gla of data accesses */
#define KERNEL_HALF 0x0000800000000000ull

/*
 * Monitor capabilities of an x86 host of that release (abi.md 6.7).
 * PRIVILEGED_CALL is ARM's SMC and never offered on x86.
 */
uint32_t vmt_sim_caps(uint32_t abi)
{
	static const struct { unsigned minor; uint32_t bits; } since[] = {
		{ 6, 1u << VMT_XSIM_MON_CTRLREG | 1u << VMT_XSIM_MON_MSR |
		     1u << VMT_XSIM_MON_SINGLESTEP |
		     1u << VMT_XSIM_MON_BREAKPOINT |
		     1u << VMT_XSIM_MON_GUEST_REQUEST },
		{ 8, 1u << VMT_XSIM_MON_DEBUG | 1u << VMT_XSIM_MON_CPUID },
		{ 9, 1u << VMT_XSIM_MON_INTERRUPT | 1u << VMT_XSIM_MON_DESC },
		{ 10, 1u << VMT_XSIM_MON_EMUL_UNIMPL },
		{ 12, 1u << VMT_XSIM_MON_INGUEST_PF },
		{ 17, 1u << VMT_XSIM_MON_VMEXIT },
	};
	uint32_t caps = 0;
	unsigned major = 0, minor = 0;

	/* the host simulates format/'s reference release of the version */
	vmt_abi_xen_release(abi, &major, &minor);
	for (size_t i = 0; i < sizeof(since) / sizeof(since[0]); i++)
		if (major > 4 || (major == 4 && minor >= since[i].minor))
			caps |= since[i].bits;
	return caps;
}

static uint64_t rnd(struct vmt_sim_vcpu *v)
{
	uint64_t z = (v->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Register values a freshly booted x86_64 vCPU would plausibly hold. */
static const struct { uint8_t reg; uint64_t val; } reg_init[] = {
	{ VMT_REG_RFLAGS, 0x202 }, { VMT_REG_DR6, 0xffff0ff0 },
	{ VMT_REG_DR7, 0x400 }, { VMT_REG_CR0, 0x80050033 },
	{ VMT_REG_CR4, 0x3606f0 }, { VMT_REG_SYSENTER_CS, 0x10 },
	{ VMT_REG_MSR_EFER, 0xd01 }, { VMT_REG_MSR_STAR, 0x0023001000000000ull },
	{ VMT_REG_VMTRACE_POS, ~0ull }, { VMT_REG_CS_ARBYTES, 0xa09b },
	{ VMT_REG_CS, 0xa9bfffffull }, { VMT_REG_SS, 0xc93fffffull },
	{ VMT_REG_DS, 0xc93fffffull }, { VMT_REG_ES, 0xc93fffffull },
	{ VMT_REG_FS, 0xc93fffffull }, { VMT_REG_GS, 0xc93fffffull },
	{ VMT_REG_GDTR_LIMIT, 0x7f }, { VMT_REG_CS_SEL, 0x10 },
	{ VMT_REG_SS_SEL, 0x18 },
};

void vmt_sim_vcpu_init(struct vmt_sim_host *h, struct vmt_sim_dom *d,
		       struct vmt_sim_vcpu *v)
{
	const struct vmt_sim_scenario *sc = &h->sc;
	uint32_t id = v->id;

	memset(v, 0, sizeof(*v));
	v->id = id;
	v->rng = h->seed * 0xd1342543de82ef95ull ^ (uint64_t)d->id << 32 ^ id;
	rnd(v);
	for (size_t i = 0; i < sizeof(reg_init) / sizeof(reg_init[0]); i++)
		v->reg[reg_init[i].reg] = reg_init[i].val;
	v->reg[VMT_REG_CR3] = sc->procs[0].cr3;
	v->reg[VMT_REG_RIP] = sc->procs[0].code_lo;
	v->reg[VMT_REG_RSP] = 0xffffc90000004000ull + ((uint64_t)id << 14);
	v->reg[VMT_REG_MSR_LSTAR] = sc->syscall_rip;
	v->reg[VMT_REG_SYSENTER_EIP] = sc->syscall_rip + 0x100;
	v->reg[VMT_REG_SYSENTER_ESP] = 0xfffffe0000002000ull + ((uint64_t)id << 16);
	v->reg[VMT_REG_GDTR_BASE] = 0xfffffe0000000000ull + ((uint64_t)id << 16);
	v->reg[VMT_REG_GS_BASE] = DIRECT_MAP + 0x40000000ull + ((uint64_t)id << 20);
	v->xcr0 = 0x7;
	v->phase_left = sc->phases[0].steps;
	v->marker_due = true;
}

/* ---- MSR and control-register state ------------------------------------ */

/* MSRs mirrored in the register block (abi.md 5.1). */
static const struct { uint32_t msr; uint8_t reg; } msr_regs[] = {
	{ 0x174, VMT_REG_SYSENTER_CS }, { 0x175, VMT_REG_SYSENTER_ESP },
	{ 0x176, VMT_REG_SYSENTER_EIP }, { 0xc0000080, VMT_REG_MSR_EFER },
	{ 0xc0000081, VMT_REG_MSR_STAR }, { 0xc0000082, VMT_REG_MSR_LSTAR },
	{ 0xc0000100, VMT_REG_FS_BASE }, { 0xc0000101, VMT_REG_GS_BASE },
	{ 0xc0000102, VMT_REG_SHADOW_GS },
};

static uint64_t *msr_slot(struct vmt_sim_vcpu *v, uint32_t msr)
{
	for (size_t i = 0; i < sizeof(msr_regs) / sizeof(msr_regs[0]); i++)
		if (msr_regs[i].msr == msr)
			return &v->reg[msr_regs[i].reg];
	for (uint32_t i = 0; i < v->n_msrs; i++)
		if (v->msrs[i].msr == msr)
			return &v->msrs[i].val;
	if (v->n_msrs == v->cap_msrs) {
		uint32_t cap = v->cap_msrs ? v->cap_msrs * 2 : 16;
		void *p = realloc(v->msrs, cap * sizeof(v->msrs[0]));
		if (!p)
			return NULL;
		v->msrs = p;
		v->cap_msrs = cap;
	}
	v->msrs[v->n_msrs].msr = msr;
	v->msrs[v->n_msrs].val = 0;
	return &v->msrs[v->n_msrs++].val;
}

int vmt_sim_msr_bit(uint32_t msr)
{
	static const uint32_t base[3] = { 0, 0x40000000u, 0xc0000000u };

	for (unsigned i = 0; i < 3; i++)
		if (msr - base[i] < VMT_SIM_MSR_WINDOW)
			return (int)(i * VMT_SIM_MSR_WINDOW + (msr - base[i]));
	return -1;
}

/*
 * The value a guest writes next: the TSC deadline moves forward, the
 * syscall/sysenter MSRs are rewritten unchanged (kernels do that), the
 * segment bases get a new per-thread value, anything else flips a low bit.
 */
static uint64_t msr_next(uint32_t msr, uint64_t old, uint64_t r)
{
	switch (msr) {
	case 0x6e0:
		return old + 100000 + r % 50000;
	case 0x174: case 0x175: case 0x176:
	case 0xc0000081: case 0xc0000082:
		return old;
	case 0xc0000100: case 0xc0000101: case 0xc0000102:
		return 0x00007f0000000000ull + ((r & 0xffffff) << 12);
	default:
		return old ^ (1ull << (r % 4));
	}
}

static uint64_t *cr_slot(struct vmt_sim_vcpu *v, unsigned idx)
{
	static const uint8_t reg[3] = { VMT_REG_CR0, VMT_REG_CR3, VMT_REG_CR4 };

	return idx == VMT_XCR0 ? &v->xcr0 : &v->reg[reg[idx]];
}

/* CR0.TS, CR4.PGE and XCR0.AVX are what real guests flip most. */
static const uint64_t cr_flip[4] = { 0x8, 0, 0x80, 0x4 };

static void commit_write(struct vmt_sim_host *h, struct vmt_sim_vcpu *v,
			 const struct vmt_sim_pending *p)
{
	if (p->reason == VMT_REASON_MOV_TO_MSR) {
		uint64_t *slot = msr_slot(v, p->msr);
		if (slot)
			*slot = p->value;
		return;
	}
	*cr_slot(v, p->kind) = p->value;
	if (p->kind == VMT_CR3)
		for (uint32_t i = 0; i < h->sc.n_procs; i++)
			if (h->sc.procs[i].cr3 == p->value)
				v->proc = i;
}

/* ---- choosing the next action ------------------------------------------ */

static uint64_t code_gfn(const struct vmt_sim_proc *pr, uint64_t rip)
{
	return pr->gfn + ((rip - pr->code_lo) >> 12);
}

static void draw_params(struct vmt_sim_host *h, struct vmt_sim_vcpu *v,
			const struct vmt_sim_action *a)
{
	const struct vmt_sim_scenario *sc = &h->sc;
	const struct vmt_sim_proc *pr = &sc->procs[v->proc];
	struct vmt_sim_step *s = &v->cur;
	uint64_t r = rnd(v);

	s->a = s->b = 0;
	s->kind = 0;
	switch (a->act) {
	case VMT_ACT_SWITCH:
		s->a = (v->proc + 1 + r % (sc->n_procs - 1)) % sc->n_procs;
		break;
	case VMT_ACT_ACCESS:
		if (a->a.total)
			s->a = vmt_sim_list_pick(&a->a, r);
		else if (pr->data_hi > pr->data_lo)
			s->a = pr->data_lo + r % (pr->data_hi - pr->data_lo);
		else
			s->a = code_gfn(pr, s->rip);
		s->a %= sc->memory;
		s->kind = (uint8_t)vmt_sim_list_pick(&a->b, rnd(v));
		s->b = (r >> 32) & 0xff8;
		break;
	case VMT_ACT_MARKER:
		s->a = a->a.total ? vmt_sim_list_pick(&a->a, r) : v->phase;
		break;
	case VMT_ACT_CR:
	case VMT_ACT_DESCRIPTOR:
		s->kind = (uint8_t)vmt_sim_list_pick(&a->a, r);
		s->b = rnd(v);
		break;
	case VMT_ACT_SYSCALL: case VMT_ACT_CPUID: case VMT_ACT_MSR:
	case VMT_ACT_VMEXIT:
		s->a = vmt_sim_list_pick(&a->a, r);
		s->b = a->b.total ? vmt_sim_list_pick(&a->b, rnd(v)) : rnd(v);
		break;
	default:
		break;
	}
}

static void choose(struct vmt_sim_host *h, struct vmt_sim_vcpu *v)
{
	const struct vmt_sim_scenario *sc = &h->sc;
	const struct vmt_sim_phase *ph = &sc->phases[v->phase];
	const struct vmt_sim_proc *pr = &sc->procs[v->proc];
	struct vmt_sim_step *s = &v->cur;

	s->rip = (pr->code_lo + rnd(v) % (pr->code_hi - pr->code_lo)) & ~3ull;
	for (int i = 0; i < 4; i++)
		s->gpr[i] = rnd(v);
	s->marker = v->marker_due;
	if (v->marker_due) {
		v->marker_due = false;
		s->act = VMT_ACT_MARKER;
		s->a = v->phase;
		return;
	}
	uint64_t w = rnd(v) % ph->total_weight;
	uint32_t k = 0;
	while (w >= ph->acts[k].weight)
		w -= ph->acts[k++].weight;
	s->act = ph->acts[k].act;
	draw_params(h, v, &ph->acts[k]);
	if (v->phase + 1 < sc->n_phases && --v->phase_left == 0) {
		v->phase++;
		v->phase_left = sc->phases[v->phase].steps;
		v->marker_due = true;
	}
}

/* ---- building requests ------------------------------------------------- */

static void ev_begin(struct vmt_sim_host *h, const struct vmt_sim_dom *d,
		     struct vmt_sim_vcpu *v, uint32_t reason, bool sync)
{
	struct vmt_event *ev = &v->staged;

	vmt_event_init(ev, h->abi, reason);
	ev->vcpu_id = v->id;
	ev->flags = sync ? VMT_FLAG_VCPU_PAUSED : 0;
	if (d->altp2m.active) {   /* monitor_traps (common/monitor.c) */
		ev->flags |= VMT_FLAG_ALTERNATE_P2M;
		ev->altp2m_idx = v->p2midx;
	}
	memcpy(ev->reg, v->reg, sizeof(ev->reg));
	v->staged_sync = sync;
	v->staged_ok = true;
	memset(&v->pend, 0, sizeof(v->pend));
	v->pend.reason = reason;
	v->pend.rip = v->reg[VMT_REG_RIP];
}

/* Fields some versions lack (pending_dbg before v6...) are simply not set:
 * vmt_event_set_p() refuses them without writing. */
static void setp(struct vmt_sim_vcpu *v, enum vmt_pfield f, uint64_t val)
{
	(void)vmt_event_set_p(&v->staged, f, val);
}

static bool mon_on(const struct vmt_sim_dom *d, unsigned src)
{
	return d->mon.enabled & (1u << src);
}

/* Xen's rule for WRITE_CTRLREG (hvm_monitor_cr): a write raises an event
 * only if some changed bit is outside the consumer's mask. */
static bool cr_event(const struct vmt_sim_dom *d, unsigned idx, uint64_t old,
		     uint64_t val)
{
	return mon_on(d, VMT_XSIM_MON_CTRLREG) && d->mon.cr_on[idx] &&
	       (!d->mon.cr_onchange[idx] || val != old) &&
	       ((val ^ old) & ~d->mon.cr_mask[idx]);
}

static bool cr_write(struct vmt_sim_host *h, struct vmt_sim_dom *d,
		     struct vmt_sim_vcpu *v, unsigned idx, uint64_t val)
{
	uint64_t old = *cr_slot(v, idx);
	struct vmt_sim_pending p = { .reason = VMT_REASON_WRITE_CTRLREG,
				     .kind = (uint8_t)idx, .value = val };

	if (!cr_event(d, idx, old, val)) {
		commit_write(h, v, &p);
		return false;
	}
	ev_begin(h, d, v, VMT_REASON_WRITE_CTRLREG, d->mon.cr_sync[idx]);
	setp(v, VMT_P_CTRLREG_INDEX, idx);
	setp(v, VMT_P_CTRLREG_NEW_VALUE, val);
	setp(v, VMT_P_CTRLREG_OLD_VALUE, old);
	if (d->mon.cr_sync[idx]) {
		p.is_write = true;
		p.rip = v->pend.rip;
		v->pend = p;         /* the write waits for the response */
	} else {
		commit_write(h, v, &p);
	}
	return true;
}

/* Return: monitored? with *onchange set (monitored_msr, monitor.c). */
static bool msr_monitored(const struct vmt_sim_dom *d, uint32_t msr,
			  bool *onchange)
{
	int bit = vmt_sim_msr_bit(msr);

	if (!mon_on(d, VMT_XSIM_MON_MSR) || bit < 0)
		return false;
	uint64_t b = 1ull << (bit % 64);
	*onchange = d->mon.msr_onchange[bit / 64] & b;
	return d->mon.msr_on[bit / 64] & b;
}

static bool do_msr(struct vmt_sim_host *h, struct vmt_sim_dom *d,
		   struct vmt_sim_vcpu *v)
{
	uint32_t msr = (uint32_t)v->cur.a;
	uint64_t *slot = msr_slot(v, msr), old = slot ? *slot : 0;
	uint64_t val = msr_next(msr, old, v->cur.b);
	struct vmt_sim_pending p = { .reason = VMT_REASON_MOV_TO_MSR,
				     .msr = msr, .value = val, .is_write = true };
	bool onchange = false, mon = msr_monitored(d, msr, &onchange);

	v->reg[VMT_REG_RCX] = msr;
	v->reg[VMT_REG_RAX] = val & 0xffffffff;
	v->reg[VMT_REG_RDX] = val >> 32;
	if (!mon || (onchange && val == old)) {
		commit_write(h, v, &p);
		return false;
	}
	ev_begin(h, d, v, VMT_REASON_MOV_TO_MSR, true);
	setp(v, VMT_P_MSR_MSR, msr);
	setp(v, VMT_P_MSR_NEW_VALUE, val);
	setp(v, VMT_P_MSR_OLD_VALUE, old);
	p.rip = v->pend.rip;
	v->pend = p;
	return true;
}

static bool mem_access(struct vmt_sim_host *h, struct vmt_sim_dom *d,
		       struct vmt_sim_vcpu *v, uint64_t gfn, uint64_t gla,
		       uint8_t kind)
{
	bool sync = true;

	if (!vmt_sim_access_allows(vmt_sim_access_of(d, v, gfn), kind) &&
	    vmt_sim_access_violation(h, d, v, gfn, kind, &sync) != 0) {
		if (d->state != VMT_DOM_ALIVE)
			return false;
		ev_begin(h, d, v, VMT_REASON_MEM_ACCESS, sync);
		setp(v, VMT_P_MEM_ACCESS_GFN, gfn);
		setp(v, VMT_P_MEM_ACCESS_OFFSET, gla & 0xfff);
		setp(v, VMT_P_MEM_ACCESS_GLA, gla);
		setp(v, VMT_P_MEM_ACCESS_FLAGS, kind | VMT_MEM_ACCESS_GLA_VALID |
						VMT_MEM_ACCESS_FAULT_WITH_GLA);
		v->pend.gfn = gfn;
		v->pend.kind = kind;
		return true;
	}
	/* The access ran: through another gfn's page if the view remaps it. */
	if (vmt_sim_remap(d, v, gfn) != gfn)
		d->c.remapped_accesses++;
	return false;
}

static bool trap(struct vmt_sim_host *h, struct vmt_sim_dom *d,
		 struct vmt_sim_vcpu *v, bool debug)
{
	const struct vmt_sim_proc *pr = &h->sc.procs[v->proc];
	bool sync = !debug || d->mon.dbg_sync;

	if (!mon_on(d, debug ? VMT_XSIM_MON_DEBUG : VMT_XSIM_MON_BREAKPOINT))
		return false;
	ev_begin(h, d, v, debug ? VMT_REASON_DEBUG_EXCEPTION :
			       VMT_REASON_SOFTWARE_BREAKPOINT, sync);
	setp(v, VMT_P_DEBUG_GFN, code_gfn(pr, v->reg[VMT_REG_RIP]));
	setp(v, VMT_P_DEBUG_INSN_LENGTH, debug ? 0 : 1);
	setp(v, VMT_P_DEBUG_TYPE, debug ? 3 : 6);
	if (debug)
		setp(v, VMT_P_DEBUG_PENDING_DBG, 0x1);
	return true;
}

/*
 * The simulated CPU's CPUID table: leaf 0 names a GenuineIntel CPU with
 * basic leaves up to 0xd, leaf 0x80000000 extended leaves up to
 * 0x80000008, any other (leaf, subleaf) a fixed value of its own.
 */
static void cpuid_result(uint32_t leaf, uint32_t subleaf, uint64_t r[4])
{
	static const uint32_t vendor[4] = { 0xd, 0x756e6547, 0x6c65746e,
					    0x49656e69 };   /* eax ebx ecx edx */

	for (int i = 0; i < 4; i++) {
		uint64_t z = ((uint64_t)leaf << 32 | subleaf) * 0x9e3779b97f4a7c15ull;
		z = (z ^ (z >> 29) ^ (uint64_t)i) * 0xbf58476d1ce4e5b9ull;
		r[i] = leaf == 0 ? vendor[i] :
		       leaf == 0x80000000u ? (i ? 0 : 0x80000008u) :
		       (z ^ (z >> 32)) & 0xffffffff;
	}
}

/*
 * hvm_vmexit_cpuid (arch/x86/hvm/hvm.c, Xen 4.17): the results are in
 * rax, rbx, rcx, rdx (32-bit writes clear the upper halves) before the
 * monitor sees the CPUID; a monitored CPUID leaves rip on the instruction
 * (vmx_vmexit_handler skips update_guest_eip), so the consumer advances it.
 */
static bool do_cpuid(struct vmt_sim_host *h, struct vmt_sim_dom *d,
		     struct vmt_sim_vcpu *v)
{
	static const uint8_t out[4] = { VMT_REG_RAX, VMT_REG_RBX, VMT_REG_RCX,
					VMT_REG_RDX };
	uint64_t res[4];

	cpuid_result((uint32_t)v->cur.a, (uint32_t)v->cur.b, res);
	for (int i = 0; i < 4; i++)
		v->reg[out[i]] = res[i];
	if (!mon_on(d, VMT_XSIM_MON_CPUID)) {
		v->reg[VMT_REG_RIP] += 2;
		return false;
	}
	ev_begin(h, d, v, VMT_REASON_CPUID, true);
	setp(v, VMT_P_CPUID_INSN_LENGTH, 2);
	setp(v, VMT_P_CPUID_LEAF, v->cur.a);
	setp(v, VMT_P_CPUID_SUBLEAF, v->cur.b);
	v->pend.insn_len = 2;
	return true;
}

static bool do_simple(struct vmt_sim_host *h, struct vmt_sim_dom *d,
		      struct vmt_sim_vcpu *v)
{
	const struct vmt_sim_step *s = &v->cur;

	switch (s->act) {
	case VMT_ACT_MARKER:
		v->reg[VMT_REG_RIP] = MARKER_RIP;
		v->reg[VMT_REG_RAX] = s->a;
		v->reg[VMT_REG_RBX] = MARKER_TAG;
		if (!mon_on(d, VMT_XSIM_MON_GUEST_REQUEST))
			return false;
		ev_begin(h, d, v, VMT_REASON_GUEST_REQUEST, d->mon.gr_sync);
		return true;
	case VMT_ACT_DESCRIPTOR:
		if (!mon_on(d, VMT_XSIM_MON_DESC))
			return false;
		ev_begin(h, d, v, VMT_REASON_DESCRIPTOR_ACCESS, true);
		setp(v, VMT_P_DESC_INSTR_INFO, (s->b >> 8) & 0xffff);
		setp(v, VMT_P_DESC_EXIT_QUALIFICATION, (s->b >> 24) & 0xff);
		setp(v, VMT_P_DESC_DESCRIPTOR, s->kind);
		setp(v, VMT_P_DESC_IS_WRITE, s->b & 1);
		return true;
	case VMT_ACT_VMEXIT:
		if (!mon_on(d, VMT_XSIM_MON_VMEXIT))
			return false;
		ev_begin(h, d, v, VMT_REASON_VMEXIT, d->mon.vmexit_sync);
		setp(v, VMT_P_VMEXIT_REASON, s->a);
		setp(v, VMT_P_VMEXIT_QUALIFICATION, s->b & 0xffffff);
		return true;
	default:
		return false;
	}
}

static bool execute(struct vmt_sim_host *h, struct vmt_sim_dom *d,
		    struct vmt_sim_vcpu *v)
{
	const struct vmt_sim_scenario *sc = &h->sc;
	const struct vmt_sim_step *s = &v->cur;
	bool user;

	v->reg[VMT_REG_RIP] = s->rip;
	v->reg[VMT_REG_RBX] = s->gpr[0];
	v->reg[VMT_REG_RSI] = s->gpr[1];
	v->reg[VMT_REG_RDI] = s->gpr[2];
	v->reg[VMT_REG_RDX] = s->gpr[3];
	user = s->rip < KERNEL_HALF;
	v->reg[VMT_REG_CS_SEL] = user ? 0x33 : 0x10;
	v->reg[VMT_REG_SS_SEL] = user ? 0x2b : 0x18;
	switch (s->act) {
	case VMT_ACT_SWITCH:
		return cr_write(h, d, v, VMT_CR3, sc->procs[s->a].cr3);
	case VMT_ACT_CR:
		return cr_write(h, d, v, s->kind,
				*cr_slot(v, s->kind) ^ cr_flip[s->kind]);
	case VMT_ACT_SYSCALL:
		v->reg[VMT_REG_RAX] = s->a;
		v->reg[VMT_REG_RCX] = s->rip + 2;
		v->reg[VMT_REG_R11] = v->reg[VMT_REG_RFLAGS];
		v->reg[VMT_REG_RIP] = sc->syscall_rip;
		v->reg[VMT_REG_CS_SEL] = 0x10;
		v->reg[VMT_REG_SS_SEL] = 0x18;
		return mem_access(h, d, v, sc->syscall_gfn, sc->syscall_rip,
				  VMT_MEM_ACCESS_X);
	case VMT_ACT_ACCESS: {
		uint64_t gla = DIRECT_MAP + (s->a << 12) + s->b;
		if (s->kind == VMT_MEM_ACCESS_X)
			v->reg[VMT_REG_RIP] = gla;
		return mem_access(h, d, v, s->a, gla, s->kind);
	}
	case VMT_ACT_BREAKPOINT:
	case VMT_ACT_DEBUG:
		return trap(h, d, v, s->act == VMT_ACT_DEBUG);
	case VMT_ACT_CPUID:
		return do_cpuid(h, d, v);
	case VMT_ACT_MSR:
		return do_msr(h, d, v);
	default:
		return do_simple(h, d, v);
	}
}

bool vmt_sim_vcpu_step(struct vmt_sim_host *h, struct vmt_sim_dom *d,
		       struct vmt_sim_vcpu *v)
{
	if (v->want_irq) {
		/* GET_NEXT_INTERRUPT: report the next delivery (timer). */
		v->want_irq = false;
		ev_begin(h, d, v, VMT_REASON_INTERRUPT, true);
		setp(v, VMT_P_INTERRUPT_VECTOR, 0xec);
		setp(v, VMT_P_INTERRUPT_TYPE, 0);
		setp(v, VMT_P_INTERRUPT_ERROR_CODE, 0);
		setp(v, VMT_P_INTERRUPT_CR2, v->reg[VMT_REG_CR2]);
		return true;
	}
	if (!v->redo)
		choose(h, v);
	v->redo = false;
	if (v->singlestep && mon_on(d, VMT_XSIM_MON_SINGLESTEP) && !v->ss_done) {
		v->ss_done = true;
		v->redo = true;      /* the stepped instruction runs next */
		v->reg[VMT_REG_RIP] = v->cur.rip;
		ev_begin(h, d, v, VMT_REASON_SINGLESTEP, true);
		setp(v, VMT_P_SINGLESTEP_GFN, v->cur.rip >> 12);
		return true;
	}
	v->ss_done = false;
	return execute(h, d, v);
}

void vmt_sim_vcpu_unheard(struct vmt_sim_host *h, struct vmt_sim_vcpu *v)
{
	if (v->pend.is_write)
		commit_write(h, v, &v->pend);
	v->staged_ok = false;
}

/* ---- what an accepted response does ------------------------------------ */

static void load_registers(struct vmt_sim_vcpu *v, const struct vmt_event *rsp)
{
	/* Xen loads only the GPRs, rflags and rip (abi.md 5.1 notes). */
	for (unsigned r = VMT_REG_RAX; r <= VMT_REG_RFLAGS; r++)
		v->reg[r] = rsp->reg[r];
	v->reg[VMT_REG_RIP] = rsp->reg[VMT_REG_RIP];
}

void vmt_sim_vcpu_resume(struct vmt_sim_host *h, struct vmt_sim_dom *d,
			 struct vmt_sim_vcpu *v, const struct vmt_event *rsp)
{
	const struct vmt_sim_pending *p = &v->pend;

	/* vm_event_resume's order: the view switch comes before the access
	 * is retried, so a switch to a view that allows it is no refault. */
	if (rsp->flags & VMT_FLAG_ALTERNATE_P2M)
		vmt_sim_altp2m_vcpu_switch(d, v, rsp->altp2m_idx);
	if (rsp->flags & VMT_FLAG_SET_REGISTERS) {
		load_registers(v, rsp);
		d->c.register_sets++;
	}
	switch (p->reason) {
	case VMT_REASON_CPUID:
		/* Without rip advanced the CPUID runs again. */
		if (v->reg[VMT_REG_RIP] == p->rip) {
			d->c.reexecuted++;
			v->redo = true;
		}
		break;
	case VMT_REASON_MEM_ACCESS:
		if (!(rsp->flags & (VMT_FLAG_EMULATE | VMT_FLAG_EMULATE_NOWRITE)) &&
		    !vmt_sim_access_allows(vmt_sim_access_of(d, v, p->gfn),
					   p->kind)) {
			d->c.refaults++;
			v->redo = true;
		}
		break;
	case VMT_REASON_WRITE_CTRLREG:
	case VMT_REASON_MOV_TO_MSR:
		if (!p->is_write)
			break;
		if (rsp->flags & VMT_FLAG_DENY)
			d->c.denied_writes++;
		else
			commit_write(h, v, p);
		break;
	default:
		break;
	}
	if (rsp->flags & VMT_FLAG_TOGGLE_SINGLESTEP)
		v->singlestep = !v->singlestep;
	if ((rsp->flags & VMT_FLAG_GET_NEXT_INTERRUPT) &&
	    (vmt_sim_caps(h->abi) & (1u << VMT_XSIM_MON_INTERRUPT)))
		v->want_irq = true;
}
