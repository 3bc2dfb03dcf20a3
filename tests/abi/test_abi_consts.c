/*
 * test_abi_consts.c - the numbers other modules derive from format/ agree
 * with format/'s table: every version in VMT_ABI_MIN..VMT_ABI_MAX has a
 * row (entry size, Xen releases), nothing outside it does, VMT_ENTRY_MAX is
 * the largest entry, the public header offsets are where the encoder puts
 * the header, and every reason below VMT_REASON_COUNT has a name.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmt/error.h"
#include "vmt/event.h"

static uint64_t le(const uint8_t *b, unsigned off, unsigned width)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < width; i++)
		v |= (uint64_t)b[off + i] << 8 * i;
	return v;
}

Test(abi_consts, every_version_in_range_has_a_row)
{
	size_t largest = 0;

	cr_assert_eq(VMT_ABI_COUNT, VMT_ABI_MAX - VMT_ABI_MIN + 1);
	for (uint32_t v = VMT_ABI_MIN; v <= VMT_ABI_MAX; v++) {
		size_t esz = vmt_abi_entry_size(v);
		unsigned major = 0, minor = 0;

		cr_assert_gt(esz, VMT_ABI_OFF_REGS, "v%u entry size %zu", v, esz);
		cr_assert_leq(esz, VMT_ENTRY_MAX, "v%u entry size %zu", v, esz);
		largest = esz > largest ? esz : largest;
		cr_assert_eq(vmt_abi_xen_release(v, &major, &minor), 0, "v%u", v);
		cr_assert_geq(major, 4, "v%u", v);
		cr_assert_eq(vmt_abi_from_xen(major, minor), (int)v,
			     "v%u: its reference release %u.%u speaks v%d", v,
			     major, minor, vmt_abi_from_xen(major, minor));
		cr_assert_eq(vmt_abi_reg_offset(v, VMT_REG_RIP, NULL) >= 0, 1,
			     "v%u has no rip", v);
	}
	cr_assert_eq(largest, VMT_ENTRY_MAX, "VMT_ENTRY_MAX %d, largest %zu",
		     VMT_ENTRY_MAX, largest);
}

Test(abi_consts, nothing_outside_the_range)
{
	static const uint32_t out[] = { VMT_ABI_MIN - 1, VMT_ABI_MAX + 1,
					VMT_ABI_MAX + 100, UINT32_MAX };
	uint8_t b[VMT_ENTRY_MAX] = { 0 };
	struct vmt_event ev;

	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		uint32_t v = out[i];
		unsigned major = 99, minor = 99;

		cr_assert_eq(vmt_abi_entry_size(v), 0, "v%u", v);
		cr_assert_eq(vmt_abi_xen_release(v, &major, &minor), -VMT_E_ABI);
		cr_assert_eq(major, 99);
		cr_assert_eq(vmt_abi_reg_offset(v, VMT_REG_RIP, NULL), -VMT_E_ABI);
		for (int k = 0; k < 4; k++)
			b[k] = (uint8_t)(v >> 8 * k);
		cr_assert_eq(vmt_event_decode(b, sizeof(b), &ev), -VMT_E_ABI,
			     "v%u", v);
	}
}

/* Newer releases speak newer versions; anything past the last known one
 * speaks the newest, anything before the first none. */
Test(abi_consts, releases_rise_with_the_version)
{
	unsigned prev = 0, major = 0, minor = 0;

	for (uint32_t v = VMT_ABI_MIN; v <= VMT_ABI_MAX; v++) {
		vmt_abi_xen_release(v, &major, &minor);
		cr_assert_gt(major << 16 | minor, prev, "v%u", v);
		prev = major << 16 | minor;
	}
	vmt_abi_xen_release(VMT_ABI_MAX, &major, &minor);
	cr_assert_eq(vmt_abi_from_xen(major, minor + 40), VMT_ABI_MAX);
	cr_assert_eq(vmt_abi_from_xen(major + 1, 0), VMT_ABI_MAX);
	vmt_abi_xen_release(VMT_ABI_MIN, &major, &minor);
	cr_assert_eq(vmt_abi_from_xen(major, minor - 1), -VMT_E_ABI);
	cr_assert_eq(vmt_abi_from_xen(major - 1, 99), -VMT_E_ABI);
}

Test(abi_consts, range_text)
{
	char want[32];

	snprintf(want, sizeof(want), "%d..%d", VMT_ABI_MIN, VMT_ABI_MAX);
	cr_assert_str_eq(VMT_ABI_RANGE, want);
	cr_assert_not_null(strstr(vmt_strerror(-VMT_E_ABI), want), "%s",
			   vmt_strerror(-VMT_E_ABI));
}

/* The header offsets the recorder reads raw slots with are where format/'s
 * encoder writes the header, in every version. */
Test(abi_consts, header_offsets_match_the_encoder)
{
	for (uint32_t v = VMT_ABI_MIN; v <= VMT_ABI_MAX; v++) {
		struct vmt_event ev;
		uint8_t raw[VMT_ENTRY_MAX];

		vmt_event_init(&ev, v, VMT_REASON_GUEST_REQUEST);
		ev.flags = 0x81234567u;
		ev.vcpu_id = 0x0badcafeu;
		ev.altp2m_idx = 0x5a5a;
		for (int i = 0; i < VMT_ABI_U_SIZE; i++)
			ev.raw_u[i] = (uint8_t)(0xc0 + i);
		ev.reg[VMT_REG_RAX] = 0x1122334455667788ull;
		cr_assert_eq(vmt_event_encode(&ev, raw, sizeof(raw)),
			     (int)vmt_abi_entry_size(v));
		cr_assert_eq(le(raw, VMT_ABI_OFF_VERSION, 4), v);
		cr_assert_eq(le(raw, VMT_ABI_OFF_FLAGS, 4), 0x81234567u);
		cr_assert_eq(le(raw, VMT_ABI_OFF_REASON, 4),
			     VMT_REASON_GUEST_REQUEST);
		cr_assert_eq(le(raw, VMT_ABI_OFF_VCPU, 4), 0x0badcafeu);
		cr_assert_eq(le(raw, VMT_ABI_OFF_ALTP2M, 2), 0x5a5a);
		cr_assert_eq(memcmp(raw + VMT_ABI_OFF_U, ev.raw_u,
				    VMT_ABI_U_SIZE), 0, "v%u", v);
		cr_assert_eq(vmt_abi_reg_offset(v, VMT_REG_RAX, NULL),
			     VMT_ABI_OFF_REGS, "v%u", v);
		cr_assert_eq(le(raw, VMT_ABI_OFF_REGS, 8), 0x1122334455667788ull);
	}
}

Test(abi_consts, every_reason_below_the_count_is_named)
{
	for (uint32_t r = 1; r < VMT_REASON_COUNT; r++) {
		const char *n = vmt_reason_name(r);

		cr_assert_not_null(n, "reason %u", r);
		cr_assert_eq(vmt_reason_from_name(n), (int)r, "%s", n);
	}
	cr_assert_null(vmt_reason_name(VMT_REASON_COUNT));
	for (int f = 0; f < VMT_P_COUNT; f++)
		cr_assert_lt(vmt_pfield_reason((enum vmt_pfield)f),
			     VMT_REASON_COUNT, "field %d", f);
}
