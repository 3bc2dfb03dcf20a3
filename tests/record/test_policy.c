/*
 * test_policy.c - the default response policy, for every ABI version, on
 * requests built with format/'s encoder: the guest must proceed as if
 * unwatched (vm_event-abi.md 7.4, 12; record/README.md "Responses").
 */
#include <criterion/criterion.h>
#include <string.h>

#include "record_int.h"

static struct vmt_policy pol;

static void make(uint32_t v, uint32_t reason, uint32_t flags, uint8_t *raw,
		 struct vmt_event *ev)
{
	vmt_event_init(ev, v, reason);
	ev->flags = flags;
	ev->vcpu_id = 5;
	for (int r = 0; r < VMT_REG_COUNT; r++)
		ev->reg[r] = 0x1000u + (uint64_t)r;
	ev->reg[VMT_REG_RIP] = 0xffffffff81000000ull;
	if (reason == VMT_REASON_CPUID) {
		vmt_event_set_p(ev, VMT_P_CPUID_INSN_LENGTH, 2);
		vmt_event_set_p(ev, VMT_P_CPUID_LEAF, 7);
	}
	cr_assert_gt(vmt_event_encode(ev, raw, VMT_ENTRY_MAX), 0);
	cr_assert_eq(vmt_policy_init(&pol, v), 0, "v%u", v);
}

static void respond(uint8_t *raw, struct vmt_event *out)
{
	uint8_t req[VMT_ENTRY_MAX];
	memcpy(req, raw, sizeof(req));
	cr_assert_eq(vmt_policy_respond(&pol, req, raw), 0);
	cr_assert_eq(vmt_event_decode(raw, VMT_ENTRY_MAX, out), 0);
}

Test(policy, header_echoed_paused_bit_only)
{
	for (uint32_t v = VMT_ABI_MIN; v <= VMT_ABI_MAX; v++) {
		uint8_t raw[VMT_ENTRY_MAX];
		struct vmt_event ev, rsp;
		for (uint32_t f = 0; f < 2; f++) {
			make(v, VMT_REASON_WRITE_CTRLREG,
			     f | VMT_FLAG_ALTERNATE_P2M | VMT_FLAG_FOREIGN, raw, &ev);
			respond(raw, &rsp);
			cr_assert_eq(rsp.version, v);
			cr_assert_eq(rsp.vcpu_id, 5);
			cr_assert_eq(rsp.reason, VMT_REASON_WRITE_CTRLREG);
			cr_assert_eq(rsp.flags, f, "v%u: flags 0x%x", v, rsp.flags);
		}
	}
}

Test(policy, mem_access_is_emulated_never_denied)
{
	for (uint32_t v = VMT_ABI_MIN; v <= VMT_ABI_MAX; v++) {
		uint8_t raw[VMT_ENTRY_MAX];
		struct vmt_event ev, rsp;
		make(v, VMT_REASON_MEM_ACCESS, VMT_FLAG_VCPU_PAUSED, raw, &ev);
		respond(raw, &rsp);
		cr_assert_eq(rsp.flags, VMT_FLAG_VCPU_PAUSED | VMT_FLAG_EMULATE);
	}
}

Test(policy, cpuid_advances_rip_and_sets_registers)
{
	for (uint32_t v = 2; v <= VMT_ABI_MAX; v++) {
		uint8_t raw[VMT_ENTRY_MAX];
		struct vmt_event ev, rsp;
		make(v, VMT_REASON_CPUID, VMT_FLAG_VCPU_PAUSED, raw, &ev);
		respond(raw, &rsp);
		cr_assert_eq(rsp.flags, VMT_FLAG_VCPU_PAUSED | VMT_FLAG_SET_REGISTERS);
		cr_assert_eq(rsp.reg[VMT_REG_RIP], ev.reg[VMT_REG_RIP] + 2, "v%u", v);
		for (int r = VMT_REG_RAX; r <= VMT_REG_RFLAGS; r++)
			cr_assert_eq(rsp.reg[r], ev.reg[r], "v%u reg %d", v, r);
	}
}

Test(policy, offsets_learned_for_every_version)
{
	/* vm_event-abi.md 5.1: entry offset of rip, indexed by version */
	static const uint32_t rip[] = { 0, 200, 200, 200, 208, 208, 208, 208 };
	_Static_assert(sizeof(rip) / sizeof(rip[0]) == VMT_ABI_MAX + 1,
		       "one rip offset per ABI version");
	for (uint32_t v = VMT_ABI_MIN; v <= VMT_ABI_MAX; v++) {
		cr_assert_eq(vmt_policy_init(&pol, v), 0);
		cr_assert_eq(pol.off_rip, rip[v], "v%u rip at %u", v, pol.off_rip);
		cr_assert_eq(pol.off_dbg_len, v == 1 ? 0 : v < 6 ? 32 : 40, "v%u", v);
		cr_assert_eq(pol.off_dbg_type, v == 1 ? 0 : v < 6 ? 36 : 44, "v%u", v);
		cr_assert_eq(pol.off_cpuid_len, v == 1 ? 0 : 24, "v%u", v);
	}
	cr_assert_neq(vmt_policy_init(&pol, VMT_ABI_MAX + 1), 0);
}
