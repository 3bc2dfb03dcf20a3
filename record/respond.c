/*
 * respond.c - the default response policy: answer every request so that
 * the guest behaves exactly as if nobody watched (record/README.md
 * "Responses").  Works on raw slot bytes; the few per-version offsets it
 * needs are learned once from format/'s encoder, so no layout table is
 * duplicated here.
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

/* Offset of the first occurrence of @width bytes of @pat in an encoded
 * entry of @version, or 0 (never a valid payload/register offset). */
static uint32_t locate(uint32_t version, uint32_t reason, int is_reg,
		       unsigned id, uint64_t pat, unsigned width)
{
	struct vmt_event ev;
	uint8_t raw[VMT_ENTRY_MAX];

	vmt_event_init(&ev, version, reason);
	if (is_reg)
		ev.reg[id] = pat;
	else if (vmt_event_set_p(&ev, (enum vmt_pfield)id, pat))
		return 0;
	int n = vmt_event_encode(&ev, raw, sizeof(raw));
	for (int off = 16; n > 0 && off + (int)width <= n; off++) {
		uint64_t v = 0;
		memcpy(&v, raw + off, width);
		if (v == pat)
			return (uint32_t)off;
	}
	return 0;
}

int vmt_policy_init(struct vmt_policy *pol, uint32_t version)
{
	size_t esz = vmt_abi_entry_size(version);
	if (!esz)
		return -VMT_E_ABI;
	pol->version = version;
	pol->entry_size = (uint32_t)esz;
	pol->off_rip = locate(version, VMT_REASON_CPUID, 1, VMT_REG_RIP,
			      0x8877665544332211ull, 8);
	pol->off_cpuid_len = locate(version, VMT_REASON_CPUID, 0,
				    VMT_P_CPUID_INSN_LENGTH, 0xa1b2c3d4u, 4);
	pol->off_dbg_len = locate(version, VMT_REASON_SOFTWARE_BREAKPOINT, 0,
				  VMT_P_DEBUG_INSN_LENGTH, 0xa1b2c3d4u, 4);
	pol->off_dbg_type = locate(version, VMT_REASON_SOFTWARE_BREAKPOINT, 0,
				   VMT_P_DEBUG_TYPE, 0xe7, 1);
	return pol->off_rip ? 0 : -VMT_E_ABI;
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
	uint32_t reason = vmt_get32(req + 8);
	uint32_t flags = vmt_get32(req + 4) & VMT_FLAG_VCPU_PAUSED;
	int rc = 0;

	/* version, flags, reason, vcpu_id from our copy: the slot is shared */
	memcpy(slot, req, 16);
	switch (reason) {
	case VMT_REASON_MEM_ACCESS:
		flags |= VMT_FLAG_EMULATE;
		break;
	case VMT_REASON_CPUID:
		if (!pol->off_cpuid_len)
			break;
		memcpy(slot + 56, req + 56, pol->entry_size - 56);
		vmt_put64(slot + pol->off_rip, vmt_get64(req + pol->off_rip) +
					   vmt_get32(req + pol->off_cpuid_len));
		flags |= VMT_FLAG_SET_REGISTERS;
		break;
	case VMT_REASON_SOFTWARE_BREAKPOINT:
	case VMT_REASON_DEBUG_EXCEPTION:
		rc = reinject(pol, req, reason, vmt_get32(req + 12));
		break;
	}
	vmt_put32(slot + 4, flags);
	return rc;
}
