/*
 * vmt/event.h - the normalized vm_event and the ABI decoder table (versions
 * VMT_ABI_MIN..VMT_ABI_MAX).
 *
 * A raw monitor-ring entry (request or response, same layout) of any
 * vm_event interface version decodes to one struct vmt_event.  Registers and
 * payload fields live in arrays indexed by enum, with a presence bitmask:
 * a field the ABI version lacks (dr6 before v4, MSR old value before v3,
 * npt_base before v7...) is absent, never a silent zero.  Unknown reason
 * codes and flag bits are kept raw, never rejected.
 *
 * Layouts: ABI.md (each version's entry layout and what the decoder
 * decides) and SPEC.md section "ABI decoders", installed in
 * share/doc/vmtrail (format/abi/README.md and format/SPEC.md in the
 * source tree).
 */
#ifndef VMT_EVENT_H
#define VMT_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "vmt/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The interface versions this build decodes.  Everything else (loops,
 * arrays, usage text, xensim's --abi) derives from these two numbers and
 * the table in format/abi/abi_table.c, which has one row per version.
 */
#define VMT_ABI_MIN 1
#define VMT_ABI_MAX 7
#define VMT_ABI_COUNT (VMT_ABI_MAX - VMT_ABI_MIN + 1)
#define VMT_NUM_STR_(x) #x
#define VMT_NUM_STR(x) VMT_NUM_STR_(x)  /* a macro's value as a string */
/* "1..7", for messages and usage text */
#define VMT_ABI_RANGE VMT_NUM_STR(VMT_ABI_MIN) ".." VMT_NUM_STR(VMT_ABI_MAX)
#define VMT_ENTRY_MAX 400           /* largest entry of any version */

/*
 * Entry header offsets, the same in every version (vm_event-abi.md 2).
 * Registers and payload fields move between versions: ask
 * vmt_abi_reg_offset() / vmt_abi_pfield_offset() for those.
 */
#define VMT_ABI_OFF_VERSION 0
#define VMT_ABI_OFF_FLAGS 4
#define VMT_ABI_OFF_REASON 8
#define VMT_ABI_OFF_VCPU 12
#define VMT_ABI_OFF_ALTP2M 16      /* also: bytes of the four u32 before it */
#define VMT_ABI_OFF_U 24           /* the 32-byte payload union */
#define VMT_ABI_U_SIZE 32
#define VMT_ABI_OFF_REGS 56        /* data.regs.x86, to the end of the entry */
#define VMT_RING_PAGE 4096
#define VMT_RING_HDR 64             /* shared ring header bytes */
#define VMT_RING_SLOTS 8            /* entries per ring, every version */

/* VM_EVENT_REASON_* (vm_event-abi.md 6.1). */
enum vmt_reason {
	VMT_REASON_UNKNOWN = 0,
	VMT_REASON_MEM_ACCESS = 1,
	VMT_REASON_MEM_SHARING = 2,
	VMT_REASON_MEM_PAGING = 3,
	VMT_REASON_WRITE_CTRLREG = 4,
	VMT_REASON_MOV_TO_MSR = 5,
	VMT_REASON_SOFTWARE_BREAKPOINT = 6,
	VMT_REASON_SINGLESTEP = 7,
	VMT_REASON_GUEST_REQUEST = 8,
	VMT_REASON_DEBUG_EXCEPTION = 9,
	VMT_REASON_CPUID = 10,
	VMT_REASON_PRIVILEGED_CALL = 11,
	VMT_REASON_INTERRUPT = 12,
	VMT_REASON_DESCRIPTOR_ACCESS = 13,
	VMT_REASON_EMUL_UNIMPLEMENTED = 14,
	VMT_REASON_VMEXIT = 15,
	VMT_REASON_IO_INSTRUCTION = 16,
	VMT_REASON_COUNT
};

/* VM_EVENT_FLAG_* bits (vm_event-abi.md 6.2). */
#define VMT_FLAG_VCPU_PAUSED        (1u << 0)
#define VMT_FLAG_FOREIGN            (1u << 1)
#define VMT_FLAG_EMULATE            (1u << 2)
#define VMT_FLAG_EMULATE_NOWRITE    (1u << 3)
#define VMT_FLAG_TOGGLE_SINGLESTEP  (1u << 4)
#define VMT_FLAG_SET_EMUL_READ_DATA (1u << 5)
#define VMT_FLAG_DENY               (1u << 6)
#define VMT_FLAG_ALTERNATE_P2M      (1u << 7)
#define VMT_FLAG_SET_REGISTERS      (1u << 8)
#define VMT_FLAG_SET_EMUL_INSN_DATA (1u << 9)
#define VMT_FLAG_GET_NEXT_INTERRUPT (1u << 10)
#define VMT_FLAG_FAST_SINGLESTEP    (1u << 11)
#define VMT_FLAG_NESTED_P2M         (1u << 12)
#define VMT_FLAG_RESET_VMTRACE      (1u << 13)
#define VMT_FLAG_RESET_FORK_STATE   (1u << 14)
#define VMT_FLAG_RESET_FORK_MEMORY  (1u << 15)

/* u.mem_access.flags (vm_event-abi.md 6.3). */
#define VMT_MEM_ACCESS_R              (1u << 0)
#define VMT_MEM_ACCESS_W              (1u << 1)
#define VMT_MEM_ACCESS_X              (1u << 2)
#define VMT_MEM_ACCESS_GLA_VALID      (1u << 3)
#define VMT_MEM_ACCESS_FAULT_WITH_GLA (1u << 4)
#define VMT_MEM_ACCESS_FAULT_IN_GPT   (1u << 5)

/* u.write_ctrlreg.index */
enum vmt_ctrlreg { VMT_CR0 = 0, VMT_CR3 = 1, VMT_CR4 = 2, VMT_XCR0 = 3 };

/*
 * x86 register block fields, the union of every version (vm_event-abi.md
 * 5.1).  Segment units (cs..gs) hold limit in bits 0-19 and ar in bits 20-31
 * exactly as Xen packs them; cs_arbytes exists only in v1-v3.
 */
enum vmt_reg {
	VMT_REG_RAX, VMT_REG_RCX, VMT_REG_RDX, VMT_REG_RBX,
	VMT_REG_RSP, VMT_REG_RBP, VMT_REG_RSI, VMT_REG_RDI,
	VMT_REG_R8, VMT_REG_R9, VMT_REG_R10, VMT_REG_R11,
	VMT_REG_R12, VMT_REG_R13, VMT_REG_R14, VMT_REG_R15,
	VMT_REG_RFLAGS, VMT_REG_DR6, VMT_REG_DR7, VMT_REG_RIP,
	VMT_REG_CR0, VMT_REG_CR2, VMT_REG_CR3, VMT_REG_CR4,
	VMT_REG_SYSENTER_CS, VMT_REG_SYSENTER_ESP, VMT_REG_SYSENTER_EIP,
	VMT_REG_MSR_EFER, VMT_REG_MSR_STAR, VMT_REG_MSR_LSTAR,
	VMT_REG_GDTR_BASE, VMT_REG_NPT_BASE, VMT_REG_VMTRACE_POS,
	VMT_REG_CS_BASE, VMT_REG_SS_BASE, VMT_REG_DS_BASE, VMT_REG_ES_BASE,
	VMT_REG_FS_BASE, VMT_REG_GS_BASE,
	VMT_REG_CS_ARBYTES,
	VMT_REG_CS, VMT_REG_SS, VMT_REG_DS, VMT_REG_ES, VMT_REG_FS, VMT_REG_GS,
	VMT_REG_SHADOW_GS, VMT_REG_GDTR_LIMIT,
	VMT_REG_CS_SEL, VMT_REG_SS_SEL, VMT_REG_DS_SEL, VMT_REG_ES_SEL,
	VMT_REG_FS_SEL, VMT_REG_GS_SEL,
	VMT_REG_COUNT
};

/*
 * Reason payload fields (the `u` union, vm_event-abi.md 4.2), the union of
 * every version.  software_breakpoint and debug_exception share one struct
 * in Xen and share the VMT_P_DEBUG_* fields here.
 */
enum vmt_pfield {
	VMT_P_MEM_ACCESS_GFN, VMT_P_MEM_ACCESS_OFFSET, VMT_P_MEM_ACCESS_GLA,
	VMT_P_MEM_ACCESS_FLAGS,
	VMT_P_CTRLREG_INDEX, VMT_P_CTRLREG_NEW_VALUE, VMT_P_CTRLREG_OLD_VALUE,
	VMT_P_MSR_MSR, VMT_P_MSR_NEW_VALUE, VMT_P_MSR_OLD_VALUE,
	VMT_P_DEBUG_GFN, VMT_P_DEBUG_PENDING_DBG, VMT_P_DEBUG_INSN_LENGTH,
	VMT_P_DEBUG_TYPE,
	VMT_P_SINGLESTEP_GFN,
	VMT_P_CPUID_INSN_LENGTH, VMT_P_CPUID_LEAF, VMT_P_CPUID_SUBLEAF,
	VMT_P_INTERRUPT_VECTOR, VMT_P_INTERRUPT_TYPE,
	VMT_P_INTERRUPT_ERROR_CODE, VMT_P_INTERRUPT_CR2,
	VMT_P_DESC_INSTR_INFO, VMT_P_DESC_EXIT_QUALIFICATION,
	VMT_P_DESC_DESCRIPTOR, VMT_P_DESC_IS_WRITE,
	VMT_P_VMEXIT_REASON, VMT_P_VMEXIT_QUALIFICATION,
	VMT_P_IO_BYTES, VMT_P_IO_PORT, VMT_P_IO_IN, VMT_P_IO_STR,
	VMT_P_PAGING_GFN, VMT_P_PAGING_P2MT, VMT_P_PAGING_FLAGS,
	VMT_P_SHARING_GFN, VMT_P_SHARING_P2MT,
	VMT_P_FAST_SINGLESTEP_P2MIDX,
	VMT_P_COUNT
};

/**
 * struct vmt_event - one decoded request or response, any ABI version
 * @version:    interface version read from bytes 0-3 of the entry
 * @flags:      VM_EVENT_FLAG_* bits, unknown bits kept
 * @reason:     VM_EVENT_REASON_*, unknown codes kept
 * @vcpu_id:    vCPU that raised the event (echoed in responses)
 * @altp2m_idx: altp2m view; meaningful with VMT_FLAG_ALTERNATE_P2M
 * @reg:        x86 registers by enum vmt_reg; valid where @reg_present has
 *              bit (1 << id)
 * @reg_present: which @reg entries this version's layout carries
 * @p:          payload fields by enum vmt_pfield, for the fields of @reason
 * @p_present:  which @p entries were decoded (only those of @reason's
 *              member in this version)
 * @raw_u:      the 32 payload bytes as found, always (unknown reasons too)
 *
 * Decoding a response gives the same struct; in a response the register
 * block is meaningful only with VMT_FLAG_SET_REGISTERS.
 */
struct vmt_event {
	uint32_t version;
	uint32_t flags;
	uint32_t reason;
	uint32_t vcpu_id;
	uint16_t altp2m_idx;
	uint64_t reg_present;
	uint64_t p_present;
	uint64_t reg[VMT_REG_COUNT];
	uint64_t p[VMT_P_COUNT];
	uint8_t raw_u[32];
};

/**
 * vmt_abi_entry_size() - bytes of one ring entry for an ABI version
 * Return: the version's entry size (312 for v1 ... 400 for v7), 0 for a
 *         version outside VMT_ABI_MIN..VMT_ABI_MAX.
 */
VMT_API size_t vmt_abi_entry_size(uint32_t version);

/**
 * vmt_abi_from_xen() - interface version a stock Xen release speaks
 * Return: VMT_ABI_MIN..VMT_ABI_MAX, or -VMT_E_ABI for a release without
 *         vm_event (< 4.6).  Releases newer than the last one known are
 *         assumed to speak VMT_ABI_MAX.
 */
VMT_API int vmt_abi_from_xen(unsigned major, unsigned minor);

/**
 * vmt_abi_xen_release() - the Xen release the project takes as the
 * reference for an ABI version: the one xensim simulates (its monitor
 * capabilities, its version string) and generated traces claim
 * @major, @minor: OUT (may be NULL)
 * Return: 0, or -VMT_E_ABI for a version outside VMT_ABI_MIN..VMT_ABI_MAX.
 */
VMT_API int vmt_abi_xen_release(uint32_t version, unsigned *major,
				unsigned *minor);

/**
 * vmt_event_decode() - normalize one raw ring entry
 * @raw: entry bytes; the version is read from bytes 0-3
 * @len: bytes available at @raw
 * @ev:  OUT: the decoded event (fully overwritten)
 *
 * Return: 0; -VMT_E_ABI if the version is not VMT_ABI_MIN..VMT_ABI_MAX;
 *         -VMT_E_TRUNCATED if @len is shorter than that version's entry.
 */
VMT_API int vmt_event_decode(const void *raw, size_t len, struct vmt_event *ev);

/**
 * vmt_event_encode() - lay out an event in a version's entry format
 * @ev:      the event; ev->version selects the layout
 * @raw:     OUT: zero-filled then written
 * @cap:     bytes available at @raw
 *
 * Fields absent from the version are not written; for a reason with no
 * payload member in the version (unknown codes, GUEST_REQUEST, ...)
 * @ev->raw_u is written as the payload.  decode(encode(ev)) == ev for every
 * field the version carries.
 *
 * Return: the entry size written, -VMT_E_ABI, or -ENOSPC if @cap is short.
 */
VMT_API int vmt_event_encode(const struct vmt_event *ev, void *raw, size_t cap);

/**
 * vmt_event_init() - an empty event of a version (present masks filled for
 * the registers that version carries; the payload mask left for the
 * caller's fields, see vmt_event_set_p())
 */
VMT_API void vmt_event_init(struct vmt_event *ev, uint32_t version,
			    uint32_t reason);

/**
 * vmt_event_set_p() - set a payload field and mark it present
 * Return: 0, or -EINVAL if @field does not exist for ev->reason in
 *         ev->version (nothing written).  VMT_P_FAST_SINGLESTEP_P2MIDX
 *         exists in v6+ once ev->flags has VMT_FLAG_FAST_SINGLESTEP.
 */
VMT_API int vmt_event_set_p(struct vmt_event *ev, enum vmt_pfield field,
			    uint64_t value);

/**
 * vmt_abi_reg_offset() - where a register sits in a raw entry
 * @version: ABI version VMT_ABI_MIN..VMT_ABI_MAX
 * @reg:     the register
 * @width:   OUT: its width in bytes (may be NULL)
 *
 * For code that patches entries in place (response policies) instead of
 * going through vmt_event_encode().
 *
 * Return: byte offset from the start of the entry; -ENOENT if @version has
 *         no such register; -VMT_E_ABI for a version outside the range.
 */
VMT_API int vmt_abi_reg_offset(uint32_t version, enum vmt_reg reg,
			       unsigned *width);

/**
 * vmt_abi_pfield_offset() - where a payload field sits in a raw entry
 * @version: ABI version VMT_ABI_MIN..VMT_ABI_MAX
 * @reason:  selects the `u` member, as in vmt_event_decode()
 * @field:   the field (VMT_P_FAST_SINGLESTEP_P2MIDX: any reason, v6+)
 * @width:   OUT: its width in bytes (may be NULL)
 *
 * Return: byte offset from the start of the entry; -ENOENT if @reason's
 *         member in @version has no such field; -VMT_E_ABI for a bad version.
 */
VMT_API int vmt_abi_pfield_offset(uint32_t version, uint32_t reason,
				  enum vmt_pfield field, unsigned *width);

/** vmt_reason_name() - "mem_access", "write_ctrlreg"...; NULL if unknown */
VMT_API const char *vmt_reason_name(uint32_t reason);
/** vmt_reason_from_name() - inverse of vmt_reason_name(); -EINVAL if none */
VMT_API int vmt_reason_from_name(const char *name);
/** vmt_reg_name() - "rax", "cs_sel"...; NULL for an id out of range */
VMT_API const char *vmt_reg_name(enum vmt_reg reg);
/** vmt_pfield_name() - column name inside its detail table: "gfn", "new_value"... */
VMT_API const char *vmt_pfield_name(enum vmt_pfield f);
/** vmt_pfield_reason() - the reason whose payload carries @f
 * (VMT_P_DEBUG_* answer VMT_REASON_SOFTWARE_BREAKPOINT; the response-only
 * VMT_P_FAST_SINGLESTEP_P2MIDX and out-of-range ids VMT_REASON_UNKNOWN) */
VMT_API uint32_t vmt_pfield_reason(enum vmt_pfield f);
/** vmt_flag_name() - "vcpu_paused"... for a single bit 0..31; NULL if unknown */
VMT_API const char *vmt_flag_name(unsigned bit);

#ifdef __cplusplus
}
#endif
#endif
