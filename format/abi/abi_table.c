/*
 * abi_table.c - the vm_event ABI decoder table: where each register and
 * payload field sits in a raw ring entry of each interface version, and
 * which Xen releases speak it.  Adding a version means adding its row to
 * VMT_ABI_ROWS below and raising VMT_ABI_MAX; the asserts here say what
 * else is missing.
 * Data only; abi_codec.c is the one loop that reads and writes it.
 * Layouts transcribed from vm_event-abi.md sections 3, 4 and 5.1 (format/abi/
 * README.md); the v7 rows are checked against Xen's own <xen/vm_event.h> in
 * tests/abi/test_abi_v7.c.
 */
#include <stddef.h>

#include "abi_int.h"

#define NA (-1)

/*
 * The x86 register block, one row per register, one offset column per
 * distinct layout (vm_event-abi.md 5.1).  Offsets are inside the block,
 * which starts at entry byte 56.  v1-v3 share one layout, v5-v6 another.
 *
 *   X(enum suffix, Xen field name, width, v1-v3, v4, v5-v6, v7)
 */
#define VMT_X86_REGS(X)                                          \
	X(RAX, rax, 8, 0, 0, 0, 0)                               \
	X(RCX, rcx, 8, 8, 8, 8, 8)                               \
	X(RDX, rdx, 8, 16, 16, 16, 16)                           \
	X(RBX, rbx, 8, 24, 24, 24, 24)                           \
	X(RSP, rsp, 8, 32, 32, 32, 32)                           \
	X(RBP, rbp, 8, 40, 40, 40, 40)                           \
	X(RSI, rsi, 8, 48, 48, 48, 48)                           \
	X(RDI, rdi, 8, 56, 56, 56, 56)                           \
	X(R8, r8, 8, 64, 64, 64, 64)                             \
	X(R9, r9, 8, 72, 72, 72, 72)                             \
	X(R10, r10, 8, 80, 80, 80, 80)                           \
	X(R11, r11, 8, 88, 88, 88, 88)                           \
	X(R12, r12, 8, 96, 96, 96, 96)                           \
	X(R13, r13, 8, 104, 104, 104, 104)                       \
	X(R14, r14, 8, 112, 112, 112, 112)                       \
	X(R15, r15, 8, 120, 120, 120, 120)                       \
	X(RFLAGS, rflags, 8, 128, 128, 128, 128)                 \
	X(DR6, dr6, 8, NA, 136, 136, 136)                        \
	X(DR7, dr7, 8, 136, 144, 144, 144)                       \
	X(RIP, rip, 8, 144, 152, 152, 152)                       \
	X(CR0, cr0, 8, 152, 160, 160, 160)                       \
	X(CR2, cr2, 8, 160, 168, 168, 168)                       \
	X(CR3, cr3, 8, 168, 176, 176, 176)                       \
	X(CR4, cr4, 8, 176, 184, 184, 184)                       \
	X(SYSENTER_CS, sysenter_cs, 8, 184, 192, 192, 192)       \
	X(SYSENTER_ESP, sysenter_esp, 8, 192, 200, 200, 200)     \
	X(SYSENTER_EIP, sysenter_eip, 8, 200, 208, 208, 208)     \
	X(MSR_EFER, msr_efer, 8, 208, 216, 216, 216)             \
	X(MSR_STAR, msr_star, 8, 216, 224, 224, 224)             \
	X(MSR_LSTAR, msr_lstar, 8, 224, 232, 232, 232)           \
	X(GDTR_BASE, gdtr_base, 8, NA, NA, 240, 240)             \
	X(NPT_BASE, npt_base, 8, NA, NA, NA, 248)                \
	X(VMTRACE_POS, vmtrace_pos, 8, NA, NA, NA, 256)          \
	X(CS_BASE, cs_base, 4, NA, 240, 248, 264)                \
	X(SS_BASE, ss_base, 4, NA, 244, 252, 268)                \
	X(DS_BASE, ds_base, 4, NA, 248, 256, 272)                \
	X(ES_BASE, es_base, 4, NA, 252, 260, 276)                \
	X(FS_BASE, fs_base, 8, 232, 256, 264, 280)               \
	X(GS_BASE, gs_base, 8, 240, 264, 272, 288)               \
	X(CS_ARBYTES, cs_arbytes, 4, 248, NA, NA, NA)            \
	X(CS, cs, 4, NA, 272, 280, 296)                          \
	X(SS, ss, 4, NA, 276, 284, 300)                          \
	X(DS, ds, 4, NA, 280, 288, 304)                          \
	X(ES, es, 4, NA, 284, 292, 308)                          \
	X(FS, fs, 4, NA, 288, 296, 312)                          \
	X(GS, gs, 4, NA, 292, 300, 316)                          \
	X(SHADOW_GS, shadow_gs, 8, NA, 296, 304, 320)            \
	X(GDTR_LIMIT, gdtr_limit, 2, NA, NA, 312, 328)           \
	X(CS_SEL, cs_sel, 2, NA, 304, 314, 330)                  \
	X(SS_SEL, ss_sel, 2, NA, 306, 316, 332)                  \
	X(DS_SEL, ds_sel, 2, NA, 308, 318, 334)                  \
	X(ES_SEL, es_sel, 2, NA, 310, 320, 336)                  \
	X(FS_SEL, fs_sel, 2, NA, 312, 322, 338)                  \
	X(GS_SEL, gs_sel, 2, NA, 314, 324, 340)

/* One column of the rows above, as a field table or a presence mask. */
#define REG_FIELD(id, w, o) \
	{ VMT_REG_##id, (o) < 0 ? 0 : (w), (o) < 0 ? 0 : (o) },
#define REG_BIT(id, o) | ((o) < 0 ? 0 : UINT64_C(1) << VMT_REG_##id)
#define FIELD_A(id, n, w, a, b, c, d) REG_FIELD(id, w, a)
#define FIELD_B(id, n, w, a, b, c, d) REG_FIELD(id, w, b)
#define FIELD_C(id, n, w, a, b, c, d) REG_FIELD(id, w, c)
#define FIELD_D(id, n, w, a, b, c, d) REG_FIELD(id, w, d)
#define BIT_A(id, n, w, a, b, c, d) REG_BIT(id, a)
#define BIT_B(id, n, w, a, b, c, d) REG_BIT(id, b)
#define BIT_C(id, n, w, a, b, c, d) REG_BIT(id, c)
#define BIT_D(id, n, w, a, b, c, d) REG_BIT(id, d)
#define REG_NAME(id, n, w, a, b, c, d) [VMT_REG_##id] = #n,

#define LAYOUT(arr) { arr, sizeof(arr) / sizeof((arr)[0]) }

/*
 * Xen's register structs have no packing holes: every field is naturally
 * aligned and inside its block (256/320/328/344 bytes).  A mistyped offset
 * almost always breaks one of the two, so check every cell at compile time.
 */
#define CELL_OK(o, w, block) ((o) < 0 || ((o) % (w) == 0 && (o) + (w) <= (block)))
#define REG_CHECK(id, n, w, a, b, c, d)                                    \
	_Static_assert(CELL_OK(a, w, 256) && CELL_OK(b, w, 320) &&         \
		       CELL_OK(c, w, 328) && CELL_OK(d, w, 344), #n);
VMT_X86_REGS(REG_CHECK)

_Static_assert(VMT_REG_COUNT <= 64 && VMT_P_COUNT <= 64,
	       "presence masks are 64-bit");

static const struct vmt_abi_field regs_a[] = { VMT_X86_REGS(FIELD_A) };
static const struct vmt_abi_field regs_b[] = { VMT_X86_REGS(FIELD_B) };
static const struct vmt_abi_field regs_c[] = { VMT_X86_REGS(FIELD_C) };
static const struct vmt_abi_field regs_d[] = { VMT_X86_REGS(FIELD_D) };
static const struct vmt_abi_layout regs_v1 = LAYOUT(regs_a);
static const struct vmt_abi_layout regs_v4 = LAYOUT(regs_b);
static const struct vmt_abi_layout regs_v5 = LAYOUT(regs_c);
static const struct vmt_abi_layout regs_v7 = LAYOUT(regs_d);
#define MASK_V1 (0 VMT_X86_REGS(BIT_A))
#define MASK_V4 (0 VMT_X86_REGS(BIT_B))
#define MASK_V5 (0 VMT_X86_REGS(BIT_C))
#define MASK_V7 (0 VMT_X86_REGS(BIT_D))

static const char *const reg_names[VMT_REG_COUNT] = { VMT_X86_REGS(REG_NAME) };

/*
 * Members of the `u` union (vm_event-abi.md 4.2); offsets inside `u`, which
 * starts at entry byte 24.  Pads are not fields: encode leaves them zero.
 */
#define F(id, w, o) { VMT_P_##id, w, o }
static const struct vmt_abi_field f_paging[] = {
	F(PAGING_GFN, 8, 0), F(PAGING_P2MT, 4, 8), F(PAGING_FLAGS, 4, 12),
};
static const struct vmt_abi_field f_sharing[] = {
	F(SHARING_GFN, 8, 0), F(SHARING_P2MT, 4, 8),
};
static const struct vmt_abi_field f_mem_access[] = {
	F(MEM_ACCESS_GFN, 8, 0), F(MEM_ACCESS_OFFSET, 8, 8),
	F(MEM_ACCESS_GLA, 8, 16), F(MEM_ACCESS_FLAGS, 4, 24),
};
static const struct vmt_abi_field f_ctrlreg[] = {
	F(CTRLREG_INDEX, 4, 0), F(CTRLREG_NEW_VALUE, 8, 8),
	F(CTRLREG_OLD_VALUE, 8, 16),
};
/* v1-v2 call the second field `value`; v3 keeps its bytes as new_value. */
static const struct vmt_abi_field f_msr16[] = {
	F(MSR_MSR, 8, 0), F(MSR_NEW_VALUE, 8, 8),
};
static const struct vmt_abi_field f_msr24[] = {
	F(MSR_MSR, 8, 0), F(MSR_NEW_VALUE, 8, 8), F(MSR_OLD_VALUE, 8, 16),
};
static const struct vmt_abi_field f_singlestep[] = {
	F(SINGLESTEP_GFN, 8, 0),
};
/* software_breakpoint / debug_exception: 8 bytes (v1), 16 (v2-v5), 24 (v6+) */
static const struct vmt_abi_field f_debug8[] = {
	F(DEBUG_GFN, 8, 0),
};
static const struct vmt_abi_field f_debug16[] = {
	F(DEBUG_GFN, 8, 0), F(DEBUG_INSN_LENGTH, 4, 8), F(DEBUG_TYPE, 1, 12),
};
static const struct vmt_abi_field f_debug24[] = {
	F(DEBUG_GFN, 8, 0), F(DEBUG_PENDING_DBG, 8, 8),
	F(DEBUG_INSN_LENGTH, 4, 16), F(DEBUG_TYPE, 1, 20),
};
static const struct vmt_abi_field f_cpuid[] = {
	F(CPUID_INSN_LENGTH, 4, 0), F(CPUID_LEAF, 4, 4), F(CPUID_SUBLEAF, 4, 8),
};
/*
 * The VMX arm only: in 4.9-4.13 (late v2 to v5) an SVM arm {exitinfo 8,
 * pad 8} overlays bytes 0-15; an SVM host's exitinfo therefore reads as
 * instr_info (low half) and the high half stays in raw_u.
 */
static const struct vmt_abi_field f_desc[] = {
	F(DESC_INSTR_INFO, 4, 0), F(DESC_EXIT_QUALIFICATION, 8, 8),
	F(DESC_DESCRIPTOR, 1, 16), F(DESC_IS_WRITE, 1, 17),
};
static const struct vmt_abi_field f_interrupt[] = {
	F(INTERRUPT_VECTOR, 4, 0), F(INTERRUPT_TYPE, 4, 4),
	F(INTERRUPT_ERROR_CODE, 4, 8), F(INTERRUPT_CR2, 8, 16),
};
static const struct vmt_abi_field f_vmexit[] = {
	F(VMEXIT_REASON, 8, 0), F(VMEXIT_QUALIFICATION, 8, 8),
};
static const struct vmt_abi_field f_io[] = {
	F(IO_BYTES, 4, 0), F(IO_PORT, 2, 4), F(IO_IN, 1, 6), F(IO_STR, 1, 7),
};
static const struct vmt_abi_field f_fast_singlestep[] = {
	F(FAST_SINGLESTEP_P2MIDX, 2, 0),
};
#undef F

static const struct vmt_abi_layout m_paging = LAYOUT(f_paging);
static const struct vmt_abi_layout m_sharing = LAYOUT(f_sharing);
static const struct vmt_abi_layout m_mem_access = LAYOUT(f_mem_access);
static const struct vmt_abi_layout m_ctrlreg = LAYOUT(f_ctrlreg);
static const struct vmt_abi_layout m_msr16 = LAYOUT(f_msr16);
static const struct vmt_abi_layout m_msr24 = LAYOUT(f_msr24);
static const struct vmt_abi_layout m_singlestep = LAYOUT(f_singlestep);
static const struct vmt_abi_layout m_debug8 = LAYOUT(f_debug8);
static const struct vmt_abi_layout m_debug16 = LAYOUT(f_debug16);
static const struct vmt_abi_layout m_debug24 = LAYOUT(f_debug24);
static const struct vmt_abi_layout m_cpuid = LAYOUT(f_cpuid);
static const struct vmt_abi_layout m_desc = LAYOUT(f_desc);
static const struct vmt_abi_layout m_interrupt = LAYOUT(f_interrupt);
static const struct vmt_abi_layout m_vmexit = LAYOUT(f_vmexit);
static const struct vmt_abi_layout m_io = LAYOUT(f_io);
static const struct vmt_abi_layout m_fast_singlestep = LAYOUT(f_fast_singlestep);

/*
 * Which member each reason uses in version v (vm_event-abi.md 4.1).  A
 * version covers every release that spoke it, so v2 decodes the 4.9
 * additions and v7 the 4.17/4.18 ones.  GUEST_REQUEST, PRIVILEGED_CALL and
 * EMUL_UNIMPLEMENTED carry no member; their `u` bytes live in raw_u only.
 */
#define PAYLOADS(v) {                                                        \
	[VMT_REASON_MEM_ACCESS] = &m_mem_access,                             \
	[VMT_REASON_MEM_SHARING] = &m_sharing,                               \
	[VMT_REASON_MEM_PAGING] = &m_paging,                                 \
	[VMT_REASON_WRITE_CTRLREG] = &m_ctrlreg,                             \
	[VMT_REASON_MOV_TO_MSR] = (v) < 3 ? &m_msr16 : &m_msr24,             \
	[VMT_REASON_SOFTWARE_BREAKPOINT] =                                   \
		(v) < 2 ? &m_debug8 : (v) < 6 ? &m_debug16 : &m_debug24,     \
	[VMT_REASON_SINGLESTEP] = &m_singlestep,                             \
	[VMT_REASON_DEBUG_EXCEPTION] =                                       \
		(v) < 2 ? NULL : (v) < 6 ? &m_debug16 : &m_debug24,          \
	[VMT_REASON_CPUID] = (v) < 2 ? NULL : &m_cpuid,                      \
	[VMT_REASON_INTERRUPT] = (v) < 2 ? NULL : &m_interrupt,              \
	[VMT_REASON_DESCRIPTOR_ACCESS] = (v) < 2 ? NULL : &m_desc,           \
	[VMT_REASON_VMEXIT] = (v) < 7 ? NULL : &m_vmexit,                    \
	[VMT_REASON_IO_INSTRUCTION] = (v) < 7 ? NULL : &m_io,                \
}

/*
 * One row per interface version (vm_event-abi.md 1.1 and 3):
 *   X(version, entry size, register layout, register mask,
 *     first Xen release speaking it, reference release)
 * The reference release is the one xensim simulates for the version: the
 * last of a series where later ones added reasons (4.10 for v2), Debian's
 * 4.17 for v7.
 */
#define VMT_ABI_ROWS(X)                                       \
	X(1, 312, regs_v1, MASK_V1, REL(4, 6), REL(4, 6))     \
	X(2, 312, regs_v1, MASK_V1, REL(4, 8), REL(4, 10))    \
	X(3, 312, regs_v1, MASK_V1, REL(4, 11), REL(4, 11))   \
	X(4, 376, regs_v4, MASK_V4, REL(4, 12), REL(4, 12))   \
	X(5, 384, regs_v5, MASK_V5, REL(4, 13), REL(4, 13))   \
	X(6, 384, regs_v5, MASK_V5, REL(4, 14), REL(4, 14))   \
	X(7, 400, regs_v7, MASK_V7, REL(4, 15), REL(4, 17))

#define REL(maj, min) ((maj) << 16 | (min))

#define DESC(v, size, regs, mask, first, ref)                            \
	[(v) - VMT_ABI_MIN] = { size, &regs, mask, PAYLOADS(v),          \
				(v) < 6 ? NULL : &m_fast_singlestep,     \
				first, ref },

static const struct vmt_abi_desc abi_table[] = { VMT_ABI_ROWS(DESC) };

/*
 * The rows and the public constants must agree: exactly one row per version
 * in range (a duplicate index is an override-init error), releases rising
 * with the version, and VMT_ENTRY_MAX the largest entry.
 */
#define ROW_ONE(v, size, regs, mask, first, ref) +1
#define ROW_CHECK(v, size, regs, mask, first, ref)                           \
	_Static_assert((v) >= VMT_ABI_MIN && (v) <= VMT_ABI_MAX,             \
		       "ABI row " #v " outside VMT_ABI_MIN..VMT_ABI_MAX");   \
	_Static_assert((size) <= VMT_ENTRY_MAX && (size) > VMT_ABI_OFF_REGS, \
		       "ABI row " #v ": entry size vs VMT_ENTRY_MAX");       \
	_Static_assert((first) <= (ref), "ABI row " #v ": release order");
#define ROW_IS_MAX(v, size, regs, mask, first, ref) || (size) == VMT_ENTRY_MAX
VMT_ABI_ROWS(ROW_CHECK)
_Static_assert((0 VMT_ABI_ROWS(ROW_ONE)) == VMT_ABI_COUNT,
	       "one VMT_ABI_ROWS row per version VMT_ABI_MIN..VMT_ABI_MAX");
_Static_assert(sizeof(abi_table) / sizeof(abi_table[0]) == VMT_ABI_COUNT,
	       "abi_table size");
_Static_assert(0 VMT_ABI_ROWS(ROW_IS_MAX), "VMT_ENTRY_MAX is no row's size");

const struct vmt_abi_desc *vmt_abi_desc(uint32_t version)
{
	if (version < VMT_ABI_MIN || version > VMT_ABI_MAX)
		return NULL;
	return &abi_table[version - VMT_ABI_MIN];
}

VMT_API size_t vmt_abi_entry_size(uint32_t version)
{
	const struct vmt_abi_desc *d = vmt_abi_desc(version);

	return d ? d->entry_size : 0;
}

VMT_API const char *vmt_reg_name(enum vmt_reg reg)
{
	return (unsigned)reg < VMT_REG_COUNT ? reg_names[reg] : NULL;
}

VMT_API int vmt_abi_from_xen(unsigned major, unsigned minor)
{
	uint32_t rel = REL((uint32_t)major, minor > 0xffff ? 0xffff : minor);
	int v = -VMT_E_ABI;

	if (major > 0xffff)
		return VMT_ABI_MAX;
	for (uint32_t i = 0; i < VMT_ABI_COUNT; i++)
		if (rel >= abi_table[i].xen_first)
			v = (int)(VMT_ABI_MIN + i);
	return v;
}

VMT_API int vmt_abi_xen_release(uint32_t version, unsigned *major,
				unsigned *minor)
{
	const struct vmt_abi_desc *d = vmt_abi_desc(version);

	if (!d)
		return -VMT_E_ABI;
	if (major)
		*major = d->xen_ref >> 16;
	if (minor)
		*minor = d->xen_ref & 0xffff;
	return 0;
}
