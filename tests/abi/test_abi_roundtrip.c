/*
 * test_abi_roundtrip.c - encode is the inverse of decode for every version
 * and reason: decode -> encode gives back exactly the bytes the decoder
 * understands (zero elsewhere), and events built with vmt_event_init() /
 * vmt_event_set_p() survive encode -> decode unchanged.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "abi/abi_doc.h"
#include "vmt/event.h"

#define NREASONS 19   /* 0..16 and two unknown codes */

static uint32_t reason_at(unsigned i)
{
	return i <= 16 ? i : i == 17 ? 17 : 0xfffffff0u;
}

static void mark(uint8_t *covered, struct doc_list l)
{
	for (size_t i = 0; i < l.n; i++)
		memset(covered + l.f[i].off, 1, l.f[i].width);
}

/* Which entry bytes a decoder of @v understands for this reason/flags. */
static void coverage(unsigned v, uint32_t reason, uint32_t flags,
		     uint8_t *covered)
{
	struct doc_list pl = doc_payload(v, reason);

	memset(covered, 0, doc_entry_size(v));
	memset(covered, 1, 18);                  /* header up to altp2m_idx */
	mark(covered, doc_regs(v));
	if (pl.n)
		mark(covered, pl);
	else
		memset(covered + 24, 1, 32);     /* raw_u is written back */
	if (flags & VMT_FLAG_FAST_SINGLESTEP)
		mark(covered, doc_fast_singlestep(v));
}

static void assert_same_event(const struct vmt_event *a,
			      const struct vmt_event *b, const char *ctx)
{
	cr_assert_eq(a->version, b->version, "%s", ctx);
	cr_assert_eq(a->flags, b->flags, "%s", ctx);
	cr_assert_eq(a->reason, b->reason, "%s", ctx);
	cr_assert_eq(a->vcpu_id, b->vcpu_id, "%s", ctx);
	cr_assert_eq(a->altp2m_idx, b->altp2m_idx, "%s", ctx);
	cr_assert_eq(a->reg_present, b->reg_present, "%s", ctx);
	cr_assert_eq(a->p_present, b->p_present, "%s", ctx);
	for (int i = 0; i < VMT_REG_COUNT; i++)
		if (a->reg_present >> i & 1)
			cr_assert_eq(a->reg[i], b->reg[i], "%s: %s", ctx,
				     vmt_reg_name(i));
	for (int i = 0; i < VMT_P_COUNT; i++)
		if (a->p_present >> i & 1)
			cr_assert_eq(a->p[i], b->p[i], "%s: %s", ctx,
				     vmt_pfield_name(i));
}

Test(abi_roundtrip, decode_encode_reproduces_understood_bytes)
{
	static const uint32_t flags[] = {
		VMT_FLAG_VCPU_PAUSED, 0xfff0f7ffu, 0xffffffffu,
	};
	uint8_t raw[512], out[512], covered[512];
	struct vmt_event ev, ev2;
	char ctx[96];

	for (unsigned v = VMT_ABI_MIN; v <= VMT_ABI_MAX; v++)
		for (unsigned r = 0; r < NREASONS; r++)
			for (unsigned f = 0; f < 3; f++) {
				size_t size = doc_entry_size(v);

				snprintf(ctx, sizeof(ctx), "v%u reason %u flags %#x",
					 v, reason_at(r), flags[f]);
				doc_fill(raw, sizeof(raw), v * 977 + r * 31 + f);
				doc_put_le(raw, 0, 4, v);
				doc_put_le(raw, 4, 4, flags[f]);
				doc_put_le(raw, 8, 4, reason_at(r));
				cr_assert_eq(vmt_event_decode(raw, size, &ev), 0, "%s", ctx);
				memset(out, 0xee, sizeof(out));
				cr_assert_eq(vmt_event_encode(&ev, out, sizeof(out)),
					     (int)size, "%s", ctx);
				coverage(v, reason_at(r), flags[f], covered);
				for (size_t i = 0; i < size; i++)
					cr_assert_eq(out[i], covered[i] ? raw[i] : 0,
						     "%s: byte %zu", ctx, i);
				cr_assert_eq(out[size], 0xee, "%s: wrote past entry", ctx);
				cr_assert_eq(vmt_event_decode(out, size, &ev2), 0);
				assert_same_event(&ev, &ev2, ctx);
			}
}

/* Fill every field @ev may carry, each value fitting its width. */
static void fill_event(struct vmt_event *ev, uint64_t *seed)
{
	struct doc_list regs = doc_regs(ev->version);
	struct doc_list pl = doc_payload(ev->version, ev->reason);
	struct doc_list fss = doc_fast_singlestep(ev->version);

	ev->flags = (uint32_t)doc_rand(seed);
	ev->vcpu_id = (uint32_t)doc_rand(seed);
	ev->altp2m_idx = (uint16_t)doc_rand(seed);
	for (size_t i = 0; i < regs.n; i++)
		ev->reg[regs.f[i].id] = doc_rand(seed) >>
					(64 - 8 * regs.f[i].width);
	for (size_t i = 0; i < pl.n; i++)
		cr_assert_eq(vmt_event_set_p(ev, pl.f[i].id, doc_rand(seed) >>
					     (64 - 8 * pl.f[i].width)), 0,
			     "v%u reason %u: set_p(%s)", ev->version, ev->reason,
			     vmt_pfield_name(pl.f[i].id));
	if (!pl.n)
		for (size_t i = 0; i < sizeof(ev->raw_u); i++)
			ev->raw_u[i] = (uint8_t)doc_rand(seed);
	/* p2midx shares its bytes with the member: keep them consistent */
	if ((ev->flags & VMT_FLAG_FAST_SINGLESTEP) && fss.n) {
		uint64_t low = pl.n ? ev->p[pl.f[0].id] & 0xffff
				    : (uint64_t)ev->raw_u[0] | ev->raw_u[1] << 8;

		cr_assert_eq(vmt_event_set_p(ev, VMT_P_FAST_SINGLESTEP_P2MIDX,
					     low), 0);
	}
}

Test(abi_roundtrip, built_event_encode_decode_identity)
{
	uint8_t raw[VMT_ENTRY_MAX];
	struct vmt_event ev, back;
	uint64_t seed = 42;
	char ctx[64];

	for (unsigned v = VMT_ABI_MIN; v <= VMT_ABI_MAX; v++)
		for (unsigned r = 0; r < NREASONS; r++)
			for (int rep = 0; rep < 4; rep++) {
				snprintf(ctx, sizeof(ctx), "v%u reason %u rep %d",
					 v, reason_at(r), rep);
				vmt_event_init(&ev, v, reason_at(r));
				cr_assert_eq(ev.reg_present, doc_mask(doc_regs(v)), "%s", ctx);
				cr_assert_eq(ev.p_present, 0, "%s", ctx);
				fill_event(&ev, &seed);
				cr_assert_eq(vmt_event_encode(&ev, raw, sizeof(raw)),
					     (int)doc_entry_size(v), "%s", ctx);
				cr_assert_eq(vmt_event_decode(raw, sizeof(raw), &back), 0);
				assert_same_event(&ev, &back, ctx);
				if (!doc_payload(v, reason_at(r)).n)
					cr_assert_arr_eq(back.raw_u, ev.raw_u, 32, "%s", ctx);
			}
}

Test(abi_roundtrip, set_p_refuses_fields_of_other_reasons_and_versions)
{
	struct vmt_event ev;

	vmt_event_init(&ev, 2, VMT_REASON_MOV_TO_MSR);
	cr_assert_eq(vmt_event_set_p(&ev, VMT_P_MSR_NEW_VALUE, 5), 0);
	cr_assert_eq(vmt_event_set_p(&ev, VMT_P_MSR_OLD_VALUE, 5), -EINVAL,
		     "v2 MSR events have no old value");
	cr_assert_eq(vmt_event_set_p(&ev, VMT_P_CTRLREG_INDEX, 1), -EINVAL);
	cr_assert_eq(ev.p_present, UINT64_C(1) << VMT_P_MSR_NEW_VALUE);
	vmt_event_init(&ev, 3, VMT_REASON_MOV_TO_MSR);
	cr_assert_eq(vmt_event_set_p(&ev, VMT_P_MSR_OLD_VALUE, 5), 0);

	vmt_event_init(&ev, 1, VMT_REASON_CPUID);
	cr_assert_eq(vmt_event_set_p(&ev, VMT_P_CPUID_LEAF, 1), -EINVAL,
		     "v1 has no cpuid member");
	vmt_event_init(&ev, 5, VMT_REASON_DEBUG_EXCEPTION);
	cr_assert_eq(vmt_event_set_p(&ev, VMT_P_DEBUG_PENDING_DBG, 1), -EINVAL);
	cr_assert_eq(vmt_event_set_p(&ev, VMT_P_DEBUG_TYPE, 6), 0);
	vmt_event_init(&ev, 7, VMT_REASON_GUEST_REQUEST);
	cr_assert_eq(vmt_event_set_p(&ev, VMT_P_MEM_ACCESS_GFN, 1), -EINVAL);
	cr_assert_eq(vmt_event_set_p(&ev, VMT_P_COUNT, 1), -EINVAL);
	cr_assert_eq(vmt_event_set_p(&ev, (enum vmt_pfield)200, 1), -EINVAL);

	cr_assert_eq(vmt_event_set_p(&ev, VMT_P_FAST_SINGLESTEP_P2MIDX, 1), -EINVAL,
		     "p2midx needs the FAST_SINGLESTEP flag");
	ev.flags = VMT_FLAG_FAST_SINGLESTEP;
	cr_assert_eq(vmt_event_set_p(&ev, VMT_P_FAST_SINGLESTEP_P2MIDX, 1), 0);
	vmt_event_init(&ev, 5, VMT_REASON_SINGLESTEP);
	ev.flags = VMT_FLAG_FAST_SINGLESTEP;
	cr_assert_eq(vmt_event_set_p(&ev, VMT_P_FAST_SINGLESTEP_P2MIDX, 1), -EINVAL,
		     "fast_singlestep is v6+");
	vmt_event_init(&ev, 0, VMT_REASON_SINGLESTEP);
	cr_assert_eq(ev.reg_present, 0);
	cr_assert_eq(vmt_event_set_p(&ev, VMT_P_SINGLESTEP_GFN, 1), -EINVAL);
}

Test(abi_roundtrip, encode_writes_only_present_fields)
{
	uint8_t raw[VMT_ENTRY_MAX], want[VMT_ENTRY_MAX] = { 0 };
	struct vmt_event ev;

	vmt_event_init(&ev, 4, VMT_REASON_WRITE_CTRLREG);
	ev.reg[VMT_REG_RIP] = 0x1122334455667788;
	ev.reg[VMT_REG_CS_ARBYTES] = 0xdeadbeef;   /* not in v4: not written */
	ev.reg_present |= UINT64_C(1) << VMT_REG_CS_ARBYTES;
	ev.reg[VMT_REG_RAX] = 9;                   /* cleared from the mask */
	ev.reg_present &= ~(UINT64_C(1) << VMT_REG_RAX);
	ev.p[VMT_P_CTRLREG_OLD_VALUE] = 7;         /* never marked present */
	cr_assert_eq(vmt_event_set_p(&ev, VMT_P_CTRLREG_NEW_VALUE, 0x42), 0);
	memset(raw, 0xcc, sizeof(raw));
	cr_assert_eq(vmt_event_encode(&ev, raw, sizeof(raw)), 376);

	doc_put_le(want, 0, 4, 4);
	doc_put_le(want, 8, 4, VMT_REASON_WRITE_CTRLREG);
	doc_put_le(want, 32, 8, 0x42);
	doc_put_le(want, 208, 8, 0x1122334455667788);
	cr_assert_arr_eq(raw, want, 376);
}
