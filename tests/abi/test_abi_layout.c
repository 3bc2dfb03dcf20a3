/*
 * test_abi_layout.c - every ABI version 1..7 decodes each field from the
 * offset vm_event-abi.md gives it (abi_doc.c), for every reason; fields a
 * version lacks come out absent.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "abi/abi_doc.h"
#include "vmt/event.h"

/* 0..16, then codes no version knows: they must decode as payload-less. */
static const uint32_t reasons[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 0xabcdef01,
};

static void check_list(const struct vmt_event *ev, const uint8_t *b,
		       struct doc_list l, const uint64_t *vals, const char *what)
{
	for (size_t i = 0; i < l.n; i++) {
		const struct doc_field *f = &l.f[i];
		uint64_t want = doc_le(b, f->off, f->width);

		cr_assert_eq(vals[f->id], want,
			     "v%u reason %u flags %#x: %s %d at %u: %#lx != %#lx",
			     ev->version, ev->reason, ev->flags, what, f->id,
			     f->off, (unsigned long)vals[f->id],
			     (unsigned long)want);
	}
}

static void check_entry(unsigned v, uint32_t reason, uint32_t flags,
			uint64_t seed)
{
	uint8_t b[512];
	struct vmt_event ev;
	struct doc_list pl = doc_payload(v, reason);
	struct doc_list fss = (flags & VMT_FLAG_FAST_SINGLESTEP) ?
		doc_fast_singlestep(v) : (struct doc_list){ NULL, 0 };
	size_t size = doc_entry_size(v);

	doc_fill(b, sizeof(b), seed);
	doc_put_le(b, 0, 4, v);
	doc_put_le(b, 4, 4, flags);
	doc_put_le(b, 8, 4, reason);
	cr_assert_eq(vmt_event_decode(b, size, &ev), 0, "v%u reason %u", v, reason);

	cr_assert_eq(ev.version, v);
	cr_assert_eq(ev.flags, flags);
	cr_assert_eq(ev.reason, reason);
	cr_assert_eq(ev.vcpu_id, doc_le(b, 12, 4));
	cr_assert_eq(ev.altp2m_idx, doc_le(b, 16, 2));
	cr_assert_arr_eq(ev.raw_u, b + 24, 32, "v%u reason %u raw_u", v, reason);

	cr_assert_eq(ev.reg_present, doc_mask(doc_regs(v)),
		     "v%u: register set %#lx != %#lx", v,
		     (unsigned long)ev.reg_present,
		     (unsigned long)doc_mask(doc_regs(v)));
	check_list(&ev, b, doc_regs(v), ev.reg, "reg");

	cr_assert_eq(ev.p_present, doc_mask(pl) | doc_mask(fss),
		     "v%u reason %u flags %#x: payload set %#lx", v, reason,
		     flags, (unsigned long)ev.p_present);
	/* p2midx overlays the member's first bytes: read it last */
	check_list(&ev, b, pl, ev.p, "payload");
	check_list(&ev, b, fss, ev.p, "fast_singlestep");
}

Test(abi_layout, entry_sizes)
{
	for (unsigned v = 0; v <= 9; v++)
		cr_assert_eq(vmt_abi_entry_size(v), doc_entry_size(v), "v%u", v);
	cr_assert_eq(vmt_abi_entry_size(UINT32_MAX), 0);
	cr_assert_geq(VMT_ENTRY_MAX, doc_entry_size(7));
}

Test(abi_layout, every_version_reason_and_flags)
{
	/* unknown high bits, with and without FAST_SINGLESTEP */
	static const uint32_t flags[] = {
		0, VMT_FLAG_VCPU_PAUSED | 0x80000000u,
		VMT_FLAG_FAST_SINGLESTEP | VMT_FLAG_VCPU_PAUSED, 0xffffffffu,
	};

	for (unsigned v = VMT_ABI_MIN; v <= VMT_ABI_MAX; v++)
		for (size_t r = 0; r < sizeof(reasons) / sizeof(reasons[0]); r++)
			for (size_t f = 0; f < 4; f++)
				for (uint64_t seed = 1; seed <= 3; seed++)
					check_entry(v, reasons[r], flags[f],
						    seed * 1000 + v * 100 + r);
}

/* The fields that moved between versions, named so a failure is obvious. */
Test(abi_layout, moved_fields)
{
	uint8_t b[512];
	struct vmt_event ev;
	struct { unsigned v; int reg; unsigned off; } moved[] = {
		{ 3, VMT_REG_DR7, 192 }, { 4, VMT_REG_DR6, 192 },
		{ 4, VMT_REG_DR7, 200 }, { 3, VMT_REG_CS_ARBYTES, 304 },
		{ 5, VMT_REG_GDTR_BASE, 296 }, { 6, VMT_REG_GDTR_LIMIT, 368 },
		{ 7, VMT_REG_NPT_BASE, 304 }, { 7, VMT_REG_VMTRACE_POS, 312 },
		{ 7, VMT_REG_GS_SEL, 396 }, { 4, VMT_REG_GS_SEL, 370 },
	};

	for (size_t i = 0; i < sizeof(moved) / sizeof(moved[0]); i++) {
		memset(b, 0, sizeof(b));
		doc_put_le(b, 0, 4, moved[i].v);
		doc_put_le(b, moved[i].off, 2, 0x5aa5);
		cr_assert_eq(vmt_event_decode(b, sizeof(b), &ev), 0);
		cr_assert_eq(ev.reg[moved[i].reg], 0x5aa5, "v%u %s",
			     moved[i].v, vmt_reg_name(moved[i].reg));
	}
	cr_assert_eq(vmt_event_decode(b, sizeof(b), &ev), 0);
	cr_assert_not(ev.reg_present & (UINT64_C(1) << VMT_REG_CS_ARBYTES));

	memset(b, 0, sizeof(b));
	doc_put_le(b, 0, 4, 2);
	doc_put_le(b, 8, 4, VMT_REASON_MOV_TO_MSR);
	doc_put_le(b, 40, 8, 77);
	cr_assert_eq(vmt_event_decode(b, sizeof(b), &ev), 0);
	cr_assert_not(ev.p_present & (UINT64_C(1) << VMT_P_MSR_OLD_VALUE),
		      "v2 has no MSR old value");
	doc_put_le(b, 0, 4, 3);
	cr_assert_eq(vmt_event_decode(b, sizeof(b), &ev), 0);
	cr_assert_eq(ev.p[VMT_P_MSR_OLD_VALUE], 77);

	doc_put_le(b, 0, 4, 6);
	doc_put_le(b, 8, 4, VMT_REASON_DEBUG_EXCEPTION);
	doc_put_le(b, 32, 8, 0x1122334455667788);
	doc_put_le(b, 40, 4, 3);
	cr_assert_eq(vmt_event_decode(b, sizeof(b), &ev), 0);
	cr_assert_eq(ev.p[VMT_P_DEBUG_PENDING_DBG], 0x1122334455667788);
	cr_assert_eq(ev.p[VMT_P_DEBUG_INSN_LENGTH], 3);
}

/* The offset queries answer from the same table as the decoder. */
Test(abi_layout, offset_queries)
{
	unsigned w;

	for (unsigned v = VMT_ABI_MIN; v <= VMT_ABI_MAX; v++) {
		struct doc_list regs = doc_regs(v);
		uint64_t mask = doc_mask(regs);

		for (size_t i = 0; i < regs.n; i++) {
			w = 0;
			cr_assert_eq(vmt_abi_reg_offset(v, regs.f[i].id, &w),
				     (int)regs.f[i].off, "v%u %s", v,
				     vmt_reg_name(regs.f[i].id));
			cr_assert_eq(w, regs.f[i].width);
		}
		for (int r = 0; r < VMT_REG_COUNT; r++)
			if (!(mask >> r & 1))
				cr_assert_eq(vmt_abi_reg_offset(v, r, NULL), -ENOENT,
					     "v%u %s", v, vmt_reg_name(r));
		for (size_t k = 0; k < sizeof(reasons) / sizeof(reasons[0]); k++) {
			struct doc_list pl = doc_payload(v, reasons[k]);
			uint64_t pm = doc_mask(pl) | doc_mask(doc_fast_singlestep(v));

			for (size_t i = 0; i < pl.n; i++) {
				w = 0;
				cr_assert_eq(vmt_abi_pfield_offset(v, reasons[k], pl.f[i].id, &w),
					     (int)pl.f[i].off, "v%u reason %u %s", v,
					     reasons[k], vmt_pfield_name(pl.f[i].id));
				cr_assert_eq(w, pl.f[i].width);
			}
			for (int f = 0; f < VMT_P_COUNT; f++)
				if (!(pm >> f & 1))
					cr_assert_eq(vmt_abi_pfield_offset(v, reasons[k], f, NULL),
						     -ENOENT, "v%u reason %u %s", v,
						     reasons[k], vmt_pfield_name(f));
		}
		cr_assert_eq(vmt_abi_pfield_offset(v, VMT_REASON_SINGLESTEP,
						   VMT_P_FAST_SINGLESTEP_P2MIDX, &w),
			     v >= 6 ? 24 : -ENOENT, "v%u p2midx", v);
	}
	cr_assert_eq(vmt_abi_reg_offset(0, VMT_REG_RAX, NULL), -VMT_E_ABI);
	cr_assert_eq(vmt_abi_pfield_offset(8, 1, VMT_P_MEM_ACCESS_GFN, NULL), -VMT_E_ABI);
	cr_assert_eq(vmt_abi_reg_offset(7, VMT_REG_COUNT, NULL), -ENOENT);
}
