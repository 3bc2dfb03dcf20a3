/*
 * fuzz_abi.c - libFuzzer target for the vm_event ABI decoder table: any
 * bytes decode without fault, and decode -> encode -> decode is stable.
 * The input is tried as is (exercising the version and length checks) and
 * again with its version forced into VMT_ABI_MIN..VMT_ABI_MAX, so every
 * layout gets coverage.
 * Built as a real fuzzer with -DVMT_FUZZ=ON (clang) and replayed over
 * tests/fuzz/corpus/abi/ by regression_main.c in every build.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmt/event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() rather than assert(): the check must also run under NDEBUG. */
#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static void same_event(const struct vmt_event *a, const struct vmt_event *b)
{
	uint64_t members = a->p_present &
			   ~(UINT64_C(1) << VMT_P_FAST_SINGLESTEP_P2MIDX);

	CHECK(a->version == b->version && a->flags == b->flags);
	CHECK(a->reason == b->reason && a->vcpu_id == b->vcpu_id);
	CHECK(a->altp2m_idx == b->altp2m_idx);
	CHECK(a->reg_present == b->reg_present && a->p_present == b->p_present);
	for (int i = 0; i < VMT_REG_COUNT; i++)
		CHECK(!(a->reg_present >> i & 1) || a->reg[i] == b->reg[i]);
	for (int i = 0; i < VMT_P_COUNT; i++)
		CHECK(!(a->p_present >> i & 1) || a->p[i] == b->p[i]);
	/* without a member the payload travels as raw bytes */
	if (!members)
		CHECK(!memcmp(a->raw_u, b->raw_u, sizeof(a->raw_u)));
}

static void round_trip(const uint8_t *raw, size_t len)
{
	uint8_t out[VMT_ENTRY_MAX], again[VMT_ENTRY_MAX];
	struct vmt_event ev, ev2;
	int n;

	if (vmt_event_decode(raw, len, &ev) != 0)
		return;
	n = vmt_event_encode(&ev, out, sizeof(out));
	CHECK(n > 0 && (size_t)n == vmt_abi_entry_size(ev.version));
	CHECK(vmt_event_decode(out, (size_t)n, &ev2) == 0);
	same_event(&ev, &ev2);
	CHECK(vmt_event_encode(&ev2, again, sizeof(again)) == n);
	CHECK(!memcmp(out, again, (size_t)n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t entry[VMT_ENTRY_MAX] = { 0 };

	round_trip(data, size);
	if (!size)
		return 0;
	memcpy(entry, data, size < sizeof(entry) ? size : sizeof(entry));
	entry[0] = (uint8_t)(VMT_ABI_MIN + data[0] % VMT_ABI_COUNT);
	entry[1] = entry[2] = entry[3] = 0;
	round_trip(entry, sizeof(entry));
	return 0;
}
