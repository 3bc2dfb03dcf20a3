/*
 * test_abi_v7.c - the v7 decoder against Xen's own layout: requests are
 * built through vm_event_request_t from the installed <xen/vm_event.h>
 * (4.17), so the compiler, not a table, places every field.  Reason 16
 * (io, added in 4.18) is missing from those headers and is checked against
 * vm_event-abi.md in test_abi_layout.c; here only its header and registers.
 */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdint.h>   /* Xen's public headers expect these types defined */
#include <string.h>

/* vm_event.h hides its structs from anything but Xen and its tools. */
#define __XEN_TOOLS__ 1
#include <xen/vm_event.h>

#include "vmt/event.h"

_Static_assert(VM_EVENT_INTERFACE_VERSION == 7, "headers are not ABI v7");
_Static_assert(sizeof(vm_event_request_t) == 400, "v7 entry size");

/* Every x86 register that is a plain integer in Xen's struct. */
#define X86_INTS(X)                                                        \
	X(RAX, rax) X(RCX, rcx) X(RDX, rdx) X(RBX, rbx) X(RSP, rsp)        \
	X(RBP, rbp) X(RSI, rsi) X(RDI, rdi) X(R8, r8) X(R9, r9)            \
	X(R10, r10) X(R11, r11) X(R12, r12) X(R13, r13) X(R14, r14)        \
	X(R15, r15) X(RFLAGS, rflags) X(DR6, dr6) X(DR7, dr7) X(RIP, rip)  \
	X(CR0, cr0) X(CR2, cr2) X(CR3, cr3) X(CR4, cr4)                    \
	X(SYSENTER_CS, sysenter_cs) X(SYSENTER_ESP, sysenter_esp)          \
	X(SYSENTER_EIP, sysenter_eip) X(MSR_EFER, msr_efer)                \
	X(MSR_STAR, msr_star) X(MSR_LSTAR, msr_lstar)                      \
	X(GDTR_BASE, gdtr_base) X(NPT_BASE, npt_base)                      \
	X(VMTRACE_POS, vmtrace_pos) X(CS_BASE, cs_base) X(SS_BASE, ss_base) \
	X(DS_BASE, ds_base) X(ES_BASE, es_base) X(FS_BASE, fs_base)        \
	X(GS_BASE, gs_base) X(SHADOW_GS, shadow_gs)                        \
	X(GDTR_LIMIT, gdtr_limit) X(CS_SEL, cs_sel) X(SS_SEL, ss_sel)      \
	X(DS_SEL, ds_sel) X(ES_SEL, es_sel) X(FS_SEL, fs_sel)              \
	X(GS_SEL, gs_sel)
/* The packed {limit:20, ar:12} segment units. */
#define X86_SEGS(X) X(CS, cs) X(SS, ss) X(DS, ds) X(ES, es) X(FS, fs) X(GS, gs)

struct expect {
	int id;
	uint64_t val;
};

/* A different value for every call, with all bytes non-zero and varied. */
static uint64_t next_val(uint64_t *k)
{
	*k += 1;
	return (*k * UINT64_C(0x9e3779b97f4a7c15)) | UINT64_C(0x0101010101010101);
}

static void fill_regs(vm_event_request_t *r, uint64_t *k)
{
	struct vm_event_regs_x86 *x = &r->data.regs.x86;

#define SET_INT(id, f) x->f = (__typeof__(x->f))next_val(k);
#define SET_SEG(id, f) \
	x->f.limit = next_val(k) & 0xfffff; x->f.ar = next_val(k) & 0xfff;
	X86_INTS(SET_INT)
	X86_SEGS(SET_SEG)
#undef SET_INT
#undef SET_SEG
}

static void check_regs(const vm_event_request_t *r, const struct vmt_event *ev)
{
	const struct vm_event_regs_x86 *x = &r->data.regs.x86;
	uint64_t mask = 0;

#define CHECK_INT(id, f)                                                   \
	cr_assert_eq(ev->reg[VMT_REG_##id], (uint64_t)x->f,                \
		     "reason %u: %s", ev->reason, #f);                     \
	mask |= UINT64_C(1) << VMT_REG_##id;
#define CHECK_SEG(id, f)                                                   \
	cr_assert_eq(ev->reg[VMT_REG_##id],                                \
		     (uint64_t)x->f.limit | (uint64_t)x->f.ar << 20,       \
		     "reason %u: %s", ev->reason, #f);                     \
	mask |= UINT64_C(1) << VMT_REG_##id;
	X86_INTS(CHECK_INT)
	X86_SEGS(CHECK_SEG)
#undef CHECK_INT
#undef CHECK_SEG
	cr_assert_eq(ev->reg_present, mask, "v7 register set");
}

/* Set one member field through Xen's struct and note what must come out. */
#define PUT(member, pf)                                                   \
	do {                                                              \
		r->u.member = (__typeof__(r->u.member))next_val(k);       \
		e[n++] = (struct expect){ VMT_P_##pf, (uint64_t)r->u.member }; \
	} while (0)

/* Return: how many payload fields @reason's member has (0: none). */
static size_t fill_payload(vm_event_request_t *r, uint64_t *k,
			   struct expect *e)
{
	size_t n = 0;

	switch (r->reason) {
	case VM_EVENT_REASON_MEM_ACCESS:
		PUT(mem_access.gfn, MEM_ACCESS_GFN);
		PUT(mem_access.offset, MEM_ACCESS_OFFSET);
		PUT(mem_access.gla, MEM_ACCESS_GLA);
		PUT(mem_access.flags, MEM_ACCESS_FLAGS);
		break;
	case VM_EVENT_REASON_MEM_SHARING:
		PUT(mem_sharing.gfn, SHARING_GFN);
		PUT(mem_sharing.p2mt, SHARING_P2MT);
		break;
	case VM_EVENT_REASON_MEM_PAGING:
		PUT(mem_paging.gfn, PAGING_GFN);
		PUT(mem_paging.p2mt, PAGING_P2MT);
		PUT(mem_paging.flags, PAGING_FLAGS);
		break;
	case VM_EVENT_REASON_WRITE_CTRLREG:
		PUT(write_ctrlreg.index, CTRLREG_INDEX);
		PUT(write_ctrlreg.new_value, CTRLREG_NEW_VALUE);
		PUT(write_ctrlreg.old_value, CTRLREG_OLD_VALUE);
		break;
	case VM_EVENT_REASON_MOV_TO_MSR:
		PUT(mov_to_msr.msr, MSR_MSR);
		PUT(mov_to_msr.new_value, MSR_NEW_VALUE);
		PUT(mov_to_msr.old_value, MSR_OLD_VALUE);
		break;
	case VM_EVENT_REASON_SOFTWARE_BREAKPOINT:
		PUT(software_breakpoint.gfn, DEBUG_GFN);
		PUT(software_breakpoint.pending_dbg, DEBUG_PENDING_DBG);
		PUT(software_breakpoint.insn_length, DEBUG_INSN_LENGTH);
		PUT(software_breakpoint.type, DEBUG_TYPE);
		break;
	case VM_EVENT_REASON_SINGLESTEP:
		PUT(singlestep.gfn, SINGLESTEP_GFN);
		break;
	case VM_EVENT_REASON_DEBUG_EXCEPTION:
		PUT(debug_exception.gfn, DEBUG_GFN);
		PUT(debug_exception.pending_dbg, DEBUG_PENDING_DBG);
		PUT(debug_exception.insn_length, DEBUG_INSN_LENGTH);
		PUT(debug_exception.type, DEBUG_TYPE);
		break;
	case VM_EVENT_REASON_CPUID:
		PUT(cpuid.insn_length, CPUID_INSN_LENGTH);
		PUT(cpuid.leaf, CPUID_LEAF);
		PUT(cpuid.subleaf, CPUID_SUBLEAF);
		break;
	case VM_EVENT_REASON_INTERRUPT:
		PUT(interrupt.x86.vector, INTERRUPT_VECTOR);
		PUT(interrupt.x86.type, INTERRUPT_TYPE);
		PUT(interrupt.x86.error_code, INTERRUPT_ERROR_CODE);
		PUT(interrupt.x86.cr2, INTERRUPT_CR2);
		break;
	case VM_EVENT_REASON_DESCRIPTOR_ACCESS:
		PUT(desc_access.arch.vmx.instr_info, DESC_INSTR_INFO);
		PUT(desc_access.arch.vmx.exit_qualification,
		    DESC_EXIT_QUALIFICATION);
		PUT(desc_access.descriptor, DESC_DESCRIPTOR);
		PUT(desc_access.is_write, DESC_IS_WRITE);
		break;
	case VM_EVENT_REASON_VMEXIT:
		PUT(vmexit.arch.vmx.reason, VMEXIT_REASON);
		PUT(vmexit.arch.vmx.qualification, VMEXIT_QUALIFICATION);
		break;
	default:
		/* no member: GUEST_REQUEST, PRIVILEGED_CALL, EMUL_UNIMPL., unknown */
		for (size_t i = 0; i < sizeof(r->u); i++)
			((uint8_t *)&r->u)[i] = (uint8_t)next_val(k);
		break;
	}
	return n;
}

static void check_reason(uint32_t reason, uint64_t *k)
{
	vm_event_request_t r;
	struct vmt_event ev;
	struct expect e[8];
	uint64_t mask = 0;
	size_t n;

	memset(&r, 0, sizeof(r));
	r.version = VM_EVENT_INTERFACE_VERSION;
	r.flags = VM_EVENT_FLAG_VCPU_PAUSED | VM_EVENT_FLAG_ALTERNATE_P2M |
		  VM_EVENT_FLAG_NESTED_P2M | (uint32_t)(next_val(k) << 20);
	r.flags &= ~(uint32_t)VM_EVENT_FLAG_FAST_SINGLESTEP;
	r.reason = reason;
	r.vcpu_id = (uint32_t)next_val(k);
	r.altp2m_idx = (uint16_t)next_val(k);
	fill_regs(&r, k);
	n = fill_payload(&r, k, e);

	cr_assert_eq(vmt_event_decode(&r, sizeof(r), &ev), 0, "reason %u", reason);
	cr_assert_eq(ev.version, 7);
	cr_assert_eq(ev.flags, r.flags, "unknown flag bits kept");
	cr_assert_eq(ev.reason, reason);
	cr_assert_eq(ev.vcpu_id, r.vcpu_id);
	cr_assert_eq(ev.altp2m_idx, r.altp2m_idx);
	cr_assert_arr_eq(ev.raw_u, &r.u, 32, "reason %u raw_u", reason);
	check_regs(&r, &ev);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(ev.p[e[i].id], e[i].val, "reason %u: %s", reason,
			     vmt_pfield_name(e[i].id));
		mask |= UINT64_C(1) << e[i].id;
	}
	if (reason != VMT_REASON_IO_INSTRUCTION)
		cr_assert_eq(ev.p_present, mask, "reason %u payload set", reason);
	else
		cr_assert_eq(ev.p_present,
			     UINT64_C(1) << VMT_P_IO_BYTES | UINT64_C(1) << VMT_P_IO_PORT |
			     UINT64_C(1) << VMT_P_IO_IN | UINT64_C(1) << VMT_P_IO_STR);
}

Test(abi_v7, every_reason_against_xen_headers)
{
	uint64_t k = 0;

	cr_assert_eq(vmt_abi_entry_size(VM_EVENT_INTERFACE_VERSION),
		     sizeof(vm_event_request_t));
	for (uint32_t reason = 0; reason <= 16; reason++)
		check_reason(reason, &k);
	check_reason(17, &k);
	check_reason(0x7fffffffu, &k);
}

Test(abi_v7, fast_singlestep_response)
{
	vm_event_response_t rsp;
	struct vmt_event ev;

	memset(&rsp, 0, sizeof(rsp));
	rsp.version = VM_EVENT_INTERFACE_VERSION;
	rsp.flags = VM_EVENT_FLAG_VCPU_PAUSED | VM_EVENT_FLAG_FAST_SINGLESTEP;
	rsp.reason = VM_EVENT_REASON_SINGLESTEP;
	rsp.u.fast_singlestep.p2midx = 0x1234;
	cr_assert_eq(vmt_event_decode(&rsp, sizeof(rsp), &ev), 0);
	cr_assert(ev.p_present & UINT64_C(1) << VMT_P_FAST_SINGLESTEP_P2MIDX);
	cr_assert_eq(ev.p[VMT_P_FAST_SINGLESTEP_P2MIDX], 0x1234);

	rsp.flags = VM_EVENT_FLAG_VCPU_PAUSED;
	cr_assert_eq(vmt_event_decode(&rsp, sizeof(rsp), &ev), 0);
	cr_assert_not(ev.p_present & UINT64_C(1) << VMT_P_FAST_SINGLESTEP_P2MIDX,
		      "p2midx only with FAST_SINGLESTEP");
}

Test(abi_v7, constants_match_xen)
{
	cr_assert_eq(VMT_REASON_VMEXIT, VM_EVENT_REASON_VMEXIT);
	cr_assert_eq(VMT_REASON_EMUL_UNIMPLEMENTED, VM_EVENT_REASON_EMUL_UNIMPLEMENTED);
	cr_assert_eq(VMT_FLAG_RESET_FORK_MEMORY, VM_EVENT_FLAG_RESET_FORK_MEMORY);
	cr_assert_eq(VMT_FLAG_FAST_SINGLESTEP, VM_EVENT_FLAG_FAST_SINGLESTEP);
	cr_assert_eq(VMT_MEM_ACCESS_FAULT_IN_GPT, MEM_ACCESS_FAULT_IN_GPT);
	cr_assert_eq(VMT_XCR0, VM_EVENT_X86_XCR0);
}
