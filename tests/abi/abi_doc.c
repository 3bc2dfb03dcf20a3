/*
 * abi_doc.c - vm_event-abi.md's layout tables, absolute offsets, typed
 * by hand from the document (see abi_doc.h for why they are separate from
 * the decoder's own tables).
 */
#include "abi/abi_doc.h"

#include "vmt/event.h"

#define LIST(a) ((struct doc_list){ a, sizeof(a) / sizeof((a)[0]) })
#define NONE ((struct doc_list){ NULL, 0 })

/* rax .. rflags: bytes 56-191 in every version. */
#define GPRS                                                                 \
	{ VMT_REG_RAX, 56, 8 }, { VMT_REG_RCX, 64, 8 }, { VMT_REG_RDX, 72, 8 }, \
	{ VMT_REG_RBX, 80, 8 }, { VMT_REG_RSP, 88, 8 }, { VMT_REG_RBP, 96, 8 }, \
	{ VMT_REG_RSI, 104, 8 }, { VMT_REG_RDI, 112, 8 },                     \
	{ VMT_REG_R8, 120, 8 }, { VMT_REG_R9, 128, 8 },                       \
	{ VMT_REG_R10, 136, 8 }, { VMT_REG_R11, 144, 8 },                     \
	{ VMT_REG_R12, 152, 8 }, { VMT_REG_R13, 160, 8 },                     \
	{ VMT_REG_R14, 168, 8 }, { VMT_REG_R15, 176, 8 },                     \
	{ VMT_REG_RFLAGS, 184, 8 }

static const struct doc_field regs_v1[] = {
	GPRS,
	{ VMT_REG_DR7, 192, 8 }, { VMT_REG_RIP, 200, 8 },
	{ VMT_REG_CR0, 208, 8 }, { VMT_REG_CR2, 216, 8 },
	{ VMT_REG_CR3, 224, 8 }, { VMT_REG_CR4, 232, 8 },
	{ VMT_REG_SYSENTER_CS, 240, 8 }, { VMT_REG_SYSENTER_ESP, 248, 8 },
	{ VMT_REG_SYSENTER_EIP, 256, 8 }, { VMT_REG_MSR_EFER, 264, 8 },
	{ VMT_REG_MSR_STAR, 272, 8 }, { VMT_REG_MSR_LSTAR, 280, 8 },
	{ VMT_REG_FS_BASE, 288, 8 }, { VMT_REG_GS_BASE, 296, 8 },
	{ VMT_REG_CS_ARBYTES, 304, 4 },
};

static const struct doc_field regs_v4[] = {
	GPRS,
	{ VMT_REG_DR6, 192, 8 }, { VMT_REG_DR7, 200, 8 },
	{ VMT_REG_RIP, 208, 8 }, { VMT_REG_CR0, 216, 8 },
	{ VMT_REG_CR2, 224, 8 }, { VMT_REG_CR3, 232, 8 },
	{ VMT_REG_CR4, 240, 8 }, { VMT_REG_SYSENTER_CS, 248, 8 },
	{ VMT_REG_SYSENTER_ESP, 256, 8 }, { VMT_REG_SYSENTER_EIP, 264, 8 },
	{ VMT_REG_MSR_EFER, 272, 8 }, { VMT_REG_MSR_STAR, 280, 8 },
	{ VMT_REG_MSR_LSTAR, 288, 8 },
	{ VMT_REG_CS_BASE, 296, 4 }, { VMT_REG_SS_BASE, 300, 4 },
	{ VMT_REG_DS_BASE, 304, 4 }, { VMT_REG_ES_BASE, 308, 4 },
	{ VMT_REG_FS_BASE, 312, 8 }, { VMT_REG_GS_BASE, 320, 8 },
	{ VMT_REG_CS, 328, 4 }, { VMT_REG_SS, 332, 4 }, { VMT_REG_DS, 336, 4 },
	{ VMT_REG_ES, 340, 4 }, { VMT_REG_FS, 344, 4 }, { VMT_REG_GS, 348, 4 },
	{ VMT_REG_SHADOW_GS, 352, 8 },
	{ VMT_REG_CS_SEL, 360, 2 }, { VMT_REG_SS_SEL, 362, 2 },
	{ VMT_REG_DS_SEL, 364, 2 }, { VMT_REG_ES_SEL, 366, 2 },
	{ VMT_REG_FS_SEL, 368, 2 }, { VMT_REG_GS_SEL, 370, 2 },
};

static const struct doc_field regs_v5[] = {
	GPRS,
	{ VMT_REG_DR6, 192, 8 }, { VMT_REG_DR7, 200, 8 },
	{ VMT_REG_RIP, 208, 8 }, { VMT_REG_CR0, 216, 8 },
	{ VMT_REG_CR2, 224, 8 }, { VMT_REG_CR3, 232, 8 },
	{ VMT_REG_CR4, 240, 8 }, { VMT_REG_SYSENTER_CS, 248, 8 },
	{ VMT_REG_SYSENTER_ESP, 256, 8 }, { VMT_REG_SYSENTER_EIP, 264, 8 },
	{ VMT_REG_MSR_EFER, 272, 8 }, { VMT_REG_MSR_STAR, 280, 8 },
	{ VMT_REG_MSR_LSTAR, 288, 8 }, { VMT_REG_GDTR_BASE, 296, 8 },
	{ VMT_REG_CS_BASE, 304, 4 }, { VMT_REG_SS_BASE, 308, 4 },
	{ VMT_REG_DS_BASE, 312, 4 }, { VMT_REG_ES_BASE, 316, 4 },
	{ VMT_REG_FS_BASE, 320, 8 }, { VMT_REG_GS_BASE, 328, 8 },
	{ VMT_REG_CS, 336, 4 }, { VMT_REG_SS, 340, 4 }, { VMT_REG_DS, 344, 4 },
	{ VMT_REG_ES, 348, 4 }, { VMT_REG_FS, 352, 4 }, { VMT_REG_GS, 356, 4 },
	{ VMT_REG_SHADOW_GS, 360, 8 }, { VMT_REG_GDTR_LIMIT, 368, 2 },
	{ VMT_REG_CS_SEL, 370, 2 }, { VMT_REG_SS_SEL, 372, 2 },
	{ VMT_REG_DS_SEL, 374, 2 }, { VMT_REG_ES_SEL, 376, 2 },
	{ VMT_REG_FS_SEL, 378, 2 }, { VMT_REG_GS_SEL, 380, 2 },
};

static const struct doc_field regs_v7[] = {
	GPRS,
	{ VMT_REG_DR6, 192, 8 }, { VMT_REG_DR7, 200, 8 },
	{ VMT_REG_RIP, 208, 8 }, { VMT_REG_CR0, 216, 8 },
	{ VMT_REG_CR2, 224, 8 }, { VMT_REG_CR3, 232, 8 },
	{ VMT_REG_CR4, 240, 8 }, { VMT_REG_SYSENTER_CS, 248, 8 },
	{ VMT_REG_SYSENTER_ESP, 256, 8 }, { VMT_REG_SYSENTER_EIP, 264, 8 },
	{ VMT_REG_MSR_EFER, 272, 8 }, { VMT_REG_MSR_STAR, 280, 8 },
	{ VMT_REG_MSR_LSTAR, 288, 8 }, { VMT_REG_GDTR_BASE, 296, 8 },
	{ VMT_REG_NPT_BASE, 304, 8 }, { VMT_REG_VMTRACE_POS, 312, 8 },
	{ VMT_REG_CS_BASE, 320, 4 }, { VMT_REG_SS_BASE, 324, 4 },
	{ VMT_REG_DS_BASE, 328, 4 }, { VMT_REG_ES_BASE, 332, 4 },
	{ VMT_REG_FS_BASE, 336, 8 }, { VMT_REG_GS_BASE, 344, 8 },
	{ VMT_REG_CS, 352, 4 }, { VMT_REG_SS, 356, 4 }, { VMT_REG_DS, 360, 4 },
	{ VMT_REG_ES, 364, 4 }, { VMT_REG_FS, 368, 4 }, { VMT_REG_GS, 372, 4 },
	{ VMT_REG_SHADOW_GS, 376, 8 }, { VMT_REG_GDTR_LIMIT, 384, 2 },
	{ VMT_REG_CS_SEL, 386, 2 }, { VMT_REG_SS_SEL, 388, 2 },
	{ VMT_REG_DS_SEL, 390, 2 }, { VMT_REG_ES_SEL, 392, 2 },
	{ VMT_REG_FS_SEL, 394, 2 }, { VMT_REG_GS_SEL, 396, 2 },
};

static const struct doc_field p_mem_access[] = {
	{ VMT_P_MEM_ACCESS_GFN, 24, 8 }, { VMT_P_MEM_ACCESS_OFFSET, 32, 8 },
	{ VMT_P_MEM_ACCESS_GLA, 40, 8 }, { VMT_P_MEM_ACCESS_FLAGS, 48, 4 },
};
static const struct doc_field p_paging[] = {
	{ VMT_P_PAGING_GFN, 24, 8 }, { VMT_P_PAGING_P2MT, 32, 4 },
	{ VMT_P_PAGING_FLAGS, 36, 4 },
};
static const struct doc_field p_sharing[] = {
	{ VMT_P_SHARING_GFN, 24, 8 }, { VMT_P_SHARING_P2MT, 32, 4 },
};
static const struct doc_field p_ctrlreg[] = {
	{ VMT_P_CTRLREG_INDEX, 24, 4 }, { VMT_P_CTRLREG_NEW_VALUE, 32, 8 },
	{ VMT_P_CTRLREG_OLD_VALUE, 40, 8 },
};
static const struct doc_field p_msr_v1[] = {
	{ VMT_P_MSR_MSR, 24, 8 }, { VMT_P_MSR_NEW_VALUE, 32, 8 },
};
static const struct doc_field p_msr_v3[] = {
	{ VMT_P_MSR_MSR, 24, 8 }, { VMT_P_MSR_NEW_VALUE, 32, 8 },
	{ VMT_P_MSR_OLD_VALUE, 40, 8 },
};
static const struct doc_field p_singlestep[] = {
	{ VMT_P_SINGLESTEP_GFN, 24, 8 },
};
static const struct doc_field p_debug_v1[] = {
	{ VMT_P_DEBUG_GFN, 24, 8 },
};
static const struct doc_field p_debug_v2[] = {
	{ VMT_P_DEBUG_GFN, 24, 8 }, { VMT_P_DEBUG_INSN_LENGTH, 32, 4 },
	{ VMT_P_DEBUG_TYPE, 36, 1 },
};
static const struct doc_field p_debug_v6[] = {
	{ VMT_P_DEBUG_GFN, 24, 8 }, { VMT_P_DEBUG_PENDING_DBG, 32, 8 },
	{ VMT_P_DEBUG_INSN_LENGTH, 40, 4 }, { VMT_P_DEBUG_TYPE, 44, 1 },
};
static const struct doc_field p_cpuid[] = {
	{ VMT_P_CPUID_INSN_LENGTH, 24, 4 }, { VMT_P_CPUID_LEAF, 28, 4 },
	{ VMT_P_CPUID_SUBLEAF, 32, 4 },
};
static const struct doc_field p_desc[] = {
	{ VMT_P_DESC_INSTR_INFO, 24, 4 },
	{ VMT_P_DESC_EXIT_QUALIFICATION, 32, 8 },
	{ VMT_P_DESC_DESCRIPTOR, 40, 1 }, { VMT_P_DESC_IS_WRITE, 41, 1 },
};
static const struct doc_field p_interrupt[] = {
	{ VMT_P_INTERRUPT_VECTOR, 24, 4 }, { VMT_P_INTERRUPT_TYPE, 28, 4 },
	{ VMT_P_INTERRUPT_ERROR_CODE, 32, 4 }, { VMT_P_INTERRUPT_CR2, 40, 8 },
};
static const struct doc_field p_vmexit[] = {
	{ VMT_P_VMEXIT_REASON, 24, 8 }, { VMT_P_VMEXIT_QUALIFICATION, 32, 8 },
};
static const struct doc_field p_io[] = {
	{ VMT_P_IO_BYTES, 24, 4 }, { VMT_P_IO_PORT, 28, 2 },
	{ VMT_P_IO_IN, 30, 1 }, { VMT_P_IO_STR, 31, 1 },
};
static const struct doc_field p_fss[] = {
	{ VMT_P_FAST_SINGLESTEP_P2MIDX, 24, 2 },
};

size_t doc_entry_size(unsigned v)
{
	static const size_t size[] = { 0, 312, 312, 312, 376, 384, 384, 400 };

	return v < sizeof(size) / sizeof(size[0]) ? size[v] : 0;
}

struct doc_list doc_regs(unsigned v)
{
	if (v >= 1 && v <= 3)
		return LIST(regs_v1);
	if (v == 4)
		return LIST(regs_v4);
	if (v == 5 || v == 6)
		return LIST(regs_v5);
	return v == 7 ? LIST(regs_v7) : NONE;
}

struct doc_list doc_payload(unsigned v, unsigned reason)
{
	switch (reason) {
	case VMT_REASON_MEM_ACCESS: return LIST(p_mem_access);
	case VMT_REASON_MEM_SHARING: return LIST(p_sharing);
	case VMT_REASON_MEM_PAGING: return LIST(p_paging);
	case VMT_REASON_WRITE_CTRLREG: return LIST(p_ctrlreg);
	case VMT_REASON_MOV_TO_MSR: return v >= 3 ? LIST(p_msr_v3) : LIST(p_msr_v1);
	case VMT_REASON_SINGLESTEP: return LIST(p_singlestep);
	case VMT_REASON_SOFTWARE_BREAKPOINT:
		if (v == 1)
			return LIST(p_debug_v1);
		return v >= 6 ? LIST(p_debug_v6) : LIST(p_debug_v2);
	case VMT_REASON_DEBUG_EXCEPTION:
		if (v == 1)
			return NONE;
		return v >= 6 ? LIST(p_debug_v6) : LIST(p_debug_v2);
	case VMT_REASON_CPUID: return v >= 2 ? LIST(p_cpuid) : NONE;
	case VMT_REASON_INTERRUPT: return v >= 2 ? LIST(p_interrupt) : NONE;
	case VMT_REASON_DESCRIPTOR_ACCESS: return v >= 2 ? LIST(p_desc) : NONE;
	case VMT_REASON_VMEXIT: return v >= 7 ? LIST(p_vmexit) : NONE;
	case VMT_REASON_IO_INSTRUCTION: return v >= 7 ? LIST(p_io) : NONE;
	default: return NONE;
	}
}

struct doc_list doc_fast_singlestep(unsigned v)
{
	return v >= 6 ? LIST(p_fss) : NONE;
}

uint64_t doc_mask(struct doc_list l)
{
	uint64_t m = 0;

	for (size_t i = 0; i < l.n; i++)
		m |= UINT64_C(1) << l.f[i].id;
	return m;
}

uint64_t doc_le(const uint8_t *b, unsigned off, unsigned width)
{
	uint64_t v = 0;

	for (unsigned i = width; i-- > 0;)
		v = v << 8 | b[off + i];
	return v;
}

void doc_put_le(uint8_t *b, unsigned off, unsigned width, uint64_t v)
{
	for (unsigned i = 0; i < width; i++, v >>= 8)
		b[off + i] = (uint8_t)v;
}

uint64_t doc_rand(uint64_t *s)
{
	/* xorshift64*: deterministic, so a failure names a reproducible case */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

void doc_fill(uint8_t *b, size_t n, uint64_t seed)
{
	uint64_t s = seed | 1;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(doc_rand(&s) >> 56);
}
