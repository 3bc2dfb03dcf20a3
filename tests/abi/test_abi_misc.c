/*
 * test_abi_misc.c - the edges of the decoder API: version lookup from a Xen
 * release, rejected versions, truncated and short buffers, and the stable
 * names replay/ builds its schema from.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "vmt/event.h"

Test(abi_misc, version_from_xen_release)
{
	/* vm_event-abi.md 1.1, row by row */
	static const struct { unsigned major, minor; int v; } rel[] = {
		{ 3, 4, -VMT_E_ABI }, { 4, 0, -VMT_E_ABI }, { 4, 5, -VMT_E_ABI },
		{ 4, 6, 1 }, { 4, 7, 1 }, { 4, 8, 2 }, { 4, 9, 2 }, { 4, 10, 2 },
		{ 4, 11, 3 }, { 4, 12, 4 }, { 4, 13, 5 }, { 4, 14, 6 },
		{ 4, 15, 7 }, { 4, 16, 7 }, { 4, 17, 7 }, { 4, 18, 7 },
		{ 4, 22, 7 }, { 4, 99, 7 }, { 5, 0, 7 }, { 0, 0, -VMT_E_ABI },
	};

	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++)
		cr_assert_eq(vmt_abi_from_xen(rel[i].major, rel[i].minor),
			     rel[i].v, "Xen %u.%u", rel[i].major, rel[i].minor);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

Test(abi_misc, bad_versions_and_truncation)
{
	/* vm_event-abi.md 3, indexed by version */
	static const size_t size[] = { 0, 312, 312, 312, 376, 384, 384, 400 };
	_Static_assert(sizeof(size) / sizeof(size[0]) == VMT_ABI_MAX + 1,
		       "one documented size per ABI version");
	uint8_t b[VMT_ENTRY_MAX + 8] = { 0 };
	struct vmt_event ev;

	cr_assert_eq(vmt_event_decode(b, 3, &ev), -VMT_E_TRUNCATED);
	cr_assert_eq(vmt_event_decode(b, 0, &ev), -VMT_E_TRUNCATED);
	cr_assert_eq(vmt_event_decode(b, sizeof(b), &ev), -VMT_E_ABI, "version 0");
	put32(b, VMT_ABI_MAX + 1);
	cr_assert_eq(vmt_event_decode(b, sizeof(b), &ev), -VMT_E_ABI, "version max + 1");
	put32(b, 0x07000000);   /* a big-endian 7 is not 7 */
	cr_assert_eq(vmt_event_decode(b, sizeof(b), &ev), -VMT_E_ABI);
	for (uint32_t v = VMT_ABI_MIN; v <= VMT_ABI_MAX; v++) {
		put32(b, v);
		cr_assert_eq(vmt_event_decode(b, size[v] - 1, &ev),
			     -VMT_E_TRUNCATED, "v%u one byte short", v);
		cr_assert_eq(vmt_event_decode(b, size[v], &ev), 0, "v%u", v);
		cr_assert_eq(vmt_event_decode(b, size[v] + 8, &ev), 0, "v%u", v);
	}
}

Test(abi_misc, encode_errors)
{
	uint8_t b[VMT_ENTRY_MAX];
	struct vmt_event ev;

	vmt_event_init(&ev, 7, VMT_REASON_SINGLESTEP);
	cr_assert_eq(vmt_event_encode(&ev, b, 399), -ENOSPC);
	cr_assert_eq(vmt_event_encode(&ev, b, 400), 400);
	vmt_event_init(&ev, 1, VMT_REASON_SINGLESTEP);
	cr_assert_eq(vmt_event_encode(&ev, b, 311), -ENOSPC);
	cr_assert_eq(vmt_event_encode(&ev, b, 312), 312);
	ev.version = 0;
	cr_assert_eq(vmt_event_encode(&ev, b, sizeof(b)), -VMT_E_ABI);
	ev.version = VMT_ABI_MAX + 1;
	cr_assert_eq(vmt_event_encode(&ev, b, sizeof(b)), -VMT_E_ABI);
}

Test(abi_misc, unknown_reason_and_flags_kept_raw)
{
	uint8_t b[VMT_ENTRY_MAX] = { 0 }, out[VMT_ENTRY_MAX];
	struct vmt_event ev;

	put32(b, 2);
	put32(b + 4, 0xfffff800u);          /* bits 11-31 unknown to v2 */
	put32(b + 8, 4242);
	for (int i = 0; i < 32; i++)
		b[24 + i] = (uint8_t)(0xa0 + i);
	cr_assert_eq(vmt_event_decode(b, 312, &ev), 0);
	cr_assert_eq(ev.flags, 0xfffff800u);
	cr_assert_eq(ev.reason, 4242);
	cr_assert_eq(ev.p_present, 0);
	cr_assert_arr_eq(ev.raw_u, b + 24, 32);
	cr_assert_null(vmt_reason_name(ev.reason));
	cr_assert_eq(vmt_event_encode(&ev, out, sizeof(out)), 312);
	cr_assert_arr_eq(out, b, 312, "unknown payload written back as is");

	/* v1 has no cpuid member: reason 10 keeps its bytes raw */
	put32(b, 1);
	put32(b + 8, VMT_REASON_CPUID);
	cr_assert_eq(vmt_event_decode(b, 312, &ev), 0);
	cr_assert_eq(ev.p_present, 0);
	cr_assert_eq(vmt_event_encode(&ev, out, sizeof(out)), 312);
	cr_assert_arr_eq(out + 24, b + 24, 32);
}

Test(abi_misc, names)
{
	static const char *const reasons[] = {
		"unknown", "mem_access", "mem_sharing", "mem_paging",
		"write_ctrlreg", "mov_to_msr", "software_breakpoint",
		"singlestep", "guest_request", "debug_exception", "cpuid",
		"privileged_call", "interrupt", "descriptor_access",
		"emul_unimplemented", "vmexit", "io_instruction",
	};

	for (uint32_t r = 0; r < VMT_REASON_COUNT; r++) {
		cr_assert_str_eq(vmt_reason_name(r), reasons[r]);
		cr_assert_eq(vmt_reason_from_name(reasons[r]), (int)r);
	}
	cr_assert_null(vmt_reason_name(VMT_REASON_COUNT));
	cr_assert_eq(vmt_reason_from_name("MEM_ACCESS"), -EINVAL);
	cr_assert_eq(vmt_reason_from_name(NULL), -EINVAL);

	cr_assert_str_eq(vmt_reg_name(VMT_REG_RAX), "rax");
	cr_assert_str_eq(vmt_reg_name(VMT_REG_DR6), "dr6");
	cr_assert_str_eq(vmt_reg_name(VMT_REG_MSR_LSTAR), "msr_lstar");
	cr_assert_str_eq(vmt_reg_name(VMT_REG_CS_ARBYTES), "cs_arbytes");
	cr_assert_str_eq(vmt_reg_name(VMT_REG_CS), "cs");
	cr_assert_str_eq(vmt_reg_name(VMT_REG_CS_SEL), "cs_sel");
	cr_assert_str_eq(vmt_reg_name(VMT_REG_GS_SEL), "gs_sel");
	cr_assert_null(vmt_reg_name(VMT_REG_COUNT));
	for (int i = 0; i < VMT_REG_COUNT; i++)
		cr_assert_not_null(vmt_reg_name(i), "reg %d", i);

	cr_assert_str_eq(vmt_pfield_name(VMT_P_MEM_ACCESS_GLA), "gla");
	cr_assert_str_eq(vmt_pfield_name(VMT_P_MSR_OLD_VALUE), "old_value");
	cr_assert_str_eq(vmt_pfield_name(VMT_P_DESC_EXIT_QUALIFICATION),
			 "exit_qualification");
	cr_assert_str_eq(vmt_pfield_name(VMT_P_IO_IN), "in");
	cr_assert_str_eq(vmt_pfield_name(VMT_P_FAST_SINGLESTEP_P2MIDX), "p2midx");
	cr_assert_null(vmt_pfield_name(VMT_P_COUNT));
	cr_assert_eq(vmt_pfield_reason(VMT_P_DEBUG_PENDING_DBG),
		     VMT_REASON_SOFTWARE_BREAKPOINT);
	cr_assert_eq(vmt_pfield_reason(VMT_P_IO_STR), VMT_REASON_IO_INSTRUCTION);
	cr_assert_eq(vmt_pfield_reason(VMT_P_SHARING_P2MT), VMT_REASON_MEM_SHARING);
	cr_assert_eq(vmt_pfield_reason(VMT_P_FAST_SINGLESTEP_P2MIDX),
		     VMT_REASON_UNKNOWN);
	/* within one reason, column names never repeat */
	for (int i = 0; i < VMT_P_COUNT; i++) {
		cr_assert_not_null(vmt_pfield_name(i), "pfield %d", i);
		for (int j = i + 1; j < VMT_P_COUNT; j++)
			cr_assert(vmt_pfield_reason(i) != vmt_pfield_reason(j) ||
				  strcmp(vmt_pfield_name(i), vmt_pfield_name(j)),
				  "%d and %d", i, j);
	}

	cr_assert_str_eq(vmt_flag_name(0), "vcpu_paused");
	cr_assert_str_eq(vmt_flag_name(7), "alternate_p2m");
	cr_assert_str_eq(vmt_flag_name(11), "fast_singlestep");
	cr_assert_str_eq(vmt_flag_name(15), "reset_fork_memory");
	cr_assert_null(vmt_flag_name(16));
	cr_assert_null(vmt_flag_name(31));
	cr_assert_null(vmt_flag_name(1000));
}
