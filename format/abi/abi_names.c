/*
 * abi_names.c - stable lowercase names of reasons, payload fields and flag
 * bits.  replay/ uses them as table and column names and in JSONL/CSV keys,
 * so a name, once published, never changes (vm_event-abi.md 4.2, 6.1, 6.2).
 */
#include <errno.h>
#include <string.h>

#include "vmt/event.h"

static const char *const reason_names[VMT_REASON_COUNT] = {
	[VMT_REASON_UNKNOWN] = "unknown",
	[VMT_REASON_MEM_ACCESS] = "mem_access",
	[VMT_REASON_MEM_SHARING] = "mem_sharing",
	[VMT_REASON_MEM_PAGING] = "mem_paging",
	[VMT_REASON_WRITE_CTRLREG] = "write_ctrlreg",
	[VMT_REASON_MOV_TO_MSR] = "mov_to_msr",
	[VMT_REASON_SOFTWARE_BREAKPOINT] = "software_breakpoint",
	[VMT_REASON_SINGLESTEP] = "singlestep",
	[VMT_REASON_GUEST_REQUEST] = "guest_request",
	[VMT_REASON_DEBUG_EXCEPTION] = "debug_exception",
	[VMT_REASON_CPUID] = "cpuid",
	[VMT_REASON_PRIVILEGED_CALL] = "privileged_call",
	[VMT_REASON_INTERRUPT] = "interrupt",
	[VMT_REASON_DESCRIPTOR_ACCESS] = "descriptor_access",
	[VMT_REASON_EMUL_UNIMPLEMENTED] = "emul_unimplemented",
	[VMT_REASON_VMEXIT] = "vmexit",
	[VMT_REASON_IO_INSTRUCTION] = "io_instruction",
};

/* The bare field name inside its member, and the reason owning the member. */
static const struct {
	const char *name;
	uint32_t reason;
} pfields[VMT_P_COUNT] = {
#define P(id, n, r) [VMT_P_##id] = { n, VMT_REASON_##r }
	P(MEM_ACCESS_GFN, "gfn", MEM_ACCESS),
	P(MEM_ACCESS_OFFSET, "offset", MEM_ACCESS),
	P(MEM_ACCESS_GLA, "gla", MEM_ACCESS),
	P(MEM_ACCESS_FLAGS, "flags", MEM_ACCESS),
	P(CTRLREG_INDEX, "index", WRITE_CTRLREG),
	P(CTRLREG_NEW_VALUE, "new_value", WRITE_CTRLREG),
	P(CTRLREG_OLD_VALUE, "old_value", WRITE_CTRLREG),
	P(MSR_MSR, "msr", MOV_TO_MSR),
	P(MSR_NEW_VALUE, "new_value", MOV_TO_MSR),
	P(MSR_OLD_VALUE, "old_value", MOV_TO_MSR),
	P(DEBUG_GFN, "gfn", SOFTWARE_BREAKPOINT),
	P(DEBUG_PENDING_DBG, "pending_dbg", SOFTWARE_BREAKPOINT),
	P(DEBUG_INSN_LENGTH, "insn_length", SOFTWARE_BREAKPOINT),
	P(DEBUG_TYPE, "type", SOFTWARE_BREAKPOINT),
	P(SINGLESTEP_GFN, "gfn", SINGLESTEP),
	P(CPUID_INSN_LENGTH, "insn_length", CPUID),
	P(CPUID_LEAF, "leaf", CPUID),
	P(CPUID_SUBLEAF, "subleaf", CPUID),
	P(INTERRUPT_VECTOR, "vector", INTERRUPT),
	P(INTERRUPT_TYPE, "type", INTERRUPT),
	P(INTERRUPT_ERROR_CODE, "error_code", INTERRUPT),
	P(INTERRUPT_CR2, "cr2", INTERRUPT),
	P(DESC_INSTR_INFO, "instr_info", DESCRIPTOR_ACCESS),
	P(DESC_EXIT_QUALIFICATION, "exit_qualification", DESCRIPTOR_ACCESS),
	P(DESC_DESCRIPTOR, "descriptor", DESCRIPTOR_ACCESS),
	P(DESC_IS_WRITE, "is_write", DESCRIPTOR_ACCESS),
	P(VMEXIT_REASON, "reason", VMEXIT),
	P(VMEXIT_QUALIFICATION, "qualification", VMEXIT),
	P(IO_BYTES, "bytes", IO_INSTRUCTION),
	P(IO_PORT, "port", IO_INSTRUCTION),
	P(IO_IN, "in", IO_INSTRUCTION),
	P(IO_STR, "str", IO_INSTRUCTION),
	P(PAGING_GFN, "gfn", MEM_PAGING),
	P(PAGING_P2MT, "p2mt", MEM_PAGING),
	P(PAGING_FLAGS, "flags", MEM_PAGING),
	P(SHARING_GFN, "gfn", MEM_SHARING),
	P(SHARING_P2MT, "p2mt", MEM_SHARING),
	/* Rides on any reason's response, so it belongs to none. */
	P(FAST_SINGLESTEP_P2MIDX, "p2midx", UNKNOWN),
#undef P
};

static const char *const flag_names[] = {
	"vcpu_paused", "foreign", "emulate", "emulate_nowrite",
	"toggle_singlestep", "set_emul_read_data", "deny", "alternate_p2m",
	"set_registers", "set_emul_insn_data", "get_next_interrupt",
	"fast_singlestep", "nested_p2m", "reset_vmtrace", "reset_fork_state",
	"reset_fork_memory",
};

VMT_API const char *vmt_reason_name(uint32_t reason)
{
	return reason < VMT_REASON_COUNT ? reason_names[reason] : NULL;
}

VMT_API int vmt_reason_from_name(const char *name)
{
	for (int r = 0; name && r < VMT_REASON_COUNT; r++)
		if (!strcmp(name, reason_names[r]))
			return r;
	return -EINVAL;
}

VMT_API const char *vmt_pfield_name(enum vmt_pfield f)
{
	return (unsigned)f < VMT_P_COUNT ? pfields[f].name : NULL;
}

VMT_API uint32_t vmt_pfield_reason(enum vmt_pfield f)
{
	return (unsigned)f < VMT_P_COUNT ? pfields[f].reason
					  : VMT_REASON_UNKNOWN;
}

VMT_API const char *vmt_flag_name(unsigned bit)
{
	return bit < sizeof(flag_names) / sizeof(flag_names[0]) ?
		       flag_names[bit] : NULL;
}
