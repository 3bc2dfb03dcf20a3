/*
 * respond.c - the default response policy: answer every request so that
 * the guest behaves exactly as if nobody watched (record/README.md
 * "Responses").  Works on raw slot bytes; the few per-version offsets it
 * needs are asked of format/'s layout table once per recording, so no
 * layout is duplicated here and no lookup happens per event.
 *
 *   every reason       header echoed, flags = request & VCPU_PAUSED
 *   MEM_ACCESS         + EMULATE (the restriction stays, the access runs)
 *   CPUID              + SET_REGISTERS, registers as requested, rip +=
 *                      instruction length (Xen does not execute it)
 *   breakpoint / #DB   the trap is re-injected before answering
 *   nothing is denied; no other flag is ever set
 */
#include <errno.h>
#include <string.h>

#include "record_int.h"

/* Entry offset of a payload field of @reason, or 0 if @version lacks it
 * (0 is never a payload offset: the header is there). */
static uint32_t pfield_off(uint32_t version, uint32_t reason,
			   enum vmt_pfield f, unsigned want_width)
{
	unsigned width = 0;
	int off = vmt_abi_pfield_offset(version, reason, f, &width);

	return off > 0 && width == want_width ? (uint32_t)off : 0;
}

int vmt_policy_init(struct vmt_policy *pol, uint32_t version)
{
	size_t esz = vmt_abi_entry_size(version);
	unsigned width = 0;
	if (!esz)
		return -VMT_E_ABI;
	pol->version = version;
	pol->entry_size = (uint32_t)esz;
	int rip = vmt_abi_reg_offset(version, VMT_REG_RIP, &width);
	if (rip <= 0 || width != 8)
		return -VMT_E_ABI;
	pol->off_rip = (uint32_t)rip;
	pol->off_cpuid_len = pfield_off(version, VMT_REASON_CPUID,
					VMT_P_CPUID_INSN_LENGTH, 4);
	pol->off_dbg_len = pfield_off(version, VMT_REASON_SOFTWARE_BREAKPOINT,
				      VMT_P_DEBUG_INSN_LENGTH, 4);
	pol->off_dbg_type = pfield_off(version, VMT_REASON_SOFTWARE_BREAKPOINT,
				       VMT_P_DEBUG_TYPE, 1);
	return 0;
}

/* Give the guest back the INT3 / #DB Xen took from it. */
static int reinject(struct vmt_policy *pol, const uint8_t *req,
		    uint32_t reason, uint32_t vcpu)
{
	/* v1 has no type/length: a plain INT3 (software exception, 1 byte) */
	uint8_t type = pol->off_dbg_type ? req[pol->off_dbg_type] : 6;
	uint32_t len = pol->off_dbg_len ? vmt_get32(req + pol->off_dbg_len) : 1;
	uint8_t vector = reason == VMT_REASON_SOFTWARE_BREAKPOINT ? 3 : 1;

	if (!pol->xen || !pol->xen->xc_hvm_inject_trap)
		return -ENOSYS;
	if (pol->xen->xc_hvm_inject_trap(pol->xch, pol->domid, (int)vcpu,
					 vector, type, UINT32_MAX,
					 (uint8_t)len, 0) == 0)
		return 0;
	pol->inject_failures++;
	return -(errno ? errno : EIO);
}

int vmt_policy_respond(struct vmt_policy *pol, const uint8_t *req,
		       uint8_t *slot)
{
	uint32_t reason = vmt_get32(req + VMT_ABI_OFF_REASON);
	uint32_t flags = vmt_get32(req + VMT_ABI_OFF_FLAGS) & VMT_FLAG_VCPU_PAUSED;
	int rc = 0;

	/* version, flags, reason, vcpu_id from our copy: the slot is shared */
	memcpy(slot, req, VMT_ABI_OFF_ALTP2M);
	switch (reason) {
	case VMT_REASON_MEM_ACCESS:
		flags |= VMT_FLAG_EMULATE;
		break;
	case VMT_REASON_CPUID:
		if (!pol->off_cpuid_len)
			break;
		memcpy(slot + VMT_ABI_OFF_REGS, req + VMT_ABI_OFF_REGS,
		       pol->entry_size - VMT_ABI_OFF_REGS);
		vmt_put64(slot + pol->off_rip, vmt_get64(req + pol->off_rip) +
					   vmt_get32(req + pol->off_cpuid_len));
		flags |= VMT_FLAG_SET_REGISTERS;
		break;
	case VMT_REASON_SOFTWARE_BREAKPOINT:
	case VMT_REASON_DEBUG_EXCEPTION:
		rc = reinject(pol, req, reason, vmt_get32(req + VMT_ABI_OFF_VCPU));
		break;
	}
	vmt_put32(slot + VMT_ABI_OFF_FLAGS, flags);
	return rc;
}
