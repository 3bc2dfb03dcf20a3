/*
 * test_misc.c - the small pieces: CRC32C against its published check
 * value, chunk buffer limits, fixed payload helpers, UUID text, versions,
 * error strings.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "format_int.h"

Test(misc, crc32c_check_values)
{
	static const uint8_t zeros[32];

	cr_assert_eq(vmt_crc32c(0, "123456789", 9), 0xE3069283u);
	cr_assert_eq(vmt_crc32c(0, zeros, 32), 0x8A9136AAu);
	/* chained == whole */
	cr_assert_eq(vmt_crc32c(vmt_crc32c(0, "12345", 5), "6789", 4), 0xE3069283u);
}

Test(misc, chunkbuf_fills_then_refuses)
{
	struct vmt_chunkbuf c;
	uint8_t *p;
	int n = 0;

	cr_assert_eq(vmt_chunkbuf_init(&c, 1000), 0);
	while ((p = vmt_chunkbuf_reserve(&c, VMT_REC_REQUEST, 0, (uint64_t)(100 - n), 5, 13)))
		memset(p, 0xab, 13), n++;
	cr_assert_eq(n, 1000 / (24 + 16));
	cr_assert_eq(c.nrec, (uint32_t)n);
	cr_assert_eq(c.first_seq, (uint64_t)(100 - n + 1), "ranges are min/max");
	cr_assert_eq(c.last_seq, 100);
	cr_assert_eq(vmt_chunkbuf_append(&c, 1, 0, 0, 0, "x", 1), -ENOSPC);
	vmt_chunkbuf_reset(&c);
	cr_assert_eq(c.len, 0);
	cr_assert_eq(vmt_chunkbuf_append(&c, 1, 0, 0, 0, "x", 1), 0);
	cr_assert_eq(c.buf[24 + 1], 0, "padding is zero");
	vmt_chunkbuf_free(&c);
	cr_assert_eq(vmt_chunkbuf_init(&c, VMT_CHUNK_MAX + 1), -EINVAL);
}

Test(misc, fixed_payloads)
{
	struct vmt_ring_stats s = { 7, 5, 123456789012ull, 99 }, s2;
	struct vmt_loss l = { 1000, 17, VMT_LOSS_RING_FAULT }, l2;
	uint8_t b[VMT_RING_STATS_SIZE], lb[VMT_LOSS_SIZE];
	struct vmt_record r = { .type = VMT_REC_RING_STATS, .size = sizeof(b), .data = b };

	vmt_ring_stats_put(b, &s);
	cr_assert_eq(b[0], 7, "little-endian");
	cr_assert_eq(vmt_ring_stats_get(&r, &s2), 0);
	cr_assert_eq(memcmp(&s, &s2, sizeof(s)), 0);
	r.size = 23;
	cr_assert_eq(vmt_ring_stats_get(&r, &s2), -VMT_E_CORRUPT);
	cr_assert_eq(vmt_loss_get(&r, &l2), -EINVAL);
	vmt_loss_put(lb, &l);
	r = (struct vmt_record){ .type = VMT_REC_LOSS, .size = sizeof(lb), .data = lb };
	cr_assert_eq(vmt_loss_get(&r, &l2), 0);
	cr_assert_eq(l2.first_seq, 1000);
	cr_assert_eq(l2.count, 17);
	cr_assert_eq(l2.cause, VMT_LOSS_RING_FAULT);
}

Test(misc, uuid_version_strerror)
{
	uint8_t u[16];
	char out[37];

	for (int i = 0; i < 16; i++)
		u[i] = (uint8_t)(i * 17);
	vmt_uuid_format(u, out);
	cr_assert_str_eq(out, "00112233-4455-6677-8899-aabbccddeeff");
	cr_assert_eq(vmt_version_number(), VMT_VERSION_NUMBER);
	cr_assert_str_eq(vmt_version_string(), "0.1.0");
	cr_assert_str_eq(vmt_strerror(-VMT_E_DAMAGED), "damaged chunk (strict mode)");
	cr_assert_str_eq(vmt_strerror(-ENOSPC), strerror(ENOSPC));
}

/* Whatever implementation vmt_crc32c() picked (the CPU's instruction or
 * the tables) equals the bit-at-a-time definition, at every length and
 * alignment the 8-byte steps and the tail can meet. */
static uint32_t crc_bitwise(const uint8_t *p, size_t n)
{
	uint32_t c = ~0u;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
	}
	return ~c;
}

Test(misc, crc32c_equals_its_definition)
{
	uint8_t buf[300];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131u + 7u);
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; n + off <= sizeof(buf); n += 1 + n / 16)
			cr_assert_eq(vmt_crc32c(0, buf + off, n), crc_bitwise(buf + off, n),
				     "offset %zu length %zu", off, n);
}
