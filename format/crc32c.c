/*
 * crc32c.c - CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the
 * checksum of every header, chunk and trailer (SPEC.md "Conventions").
 * Slicing-by-8 over tables built once, or the CPU's own CRC32C
 * instruction where there is one (x86-64 SSE4.2): uncompressed chunks put
 * every byte a recorder writes through this function, and the instruction
 * is several times faster than the tables.
 */
#include <pthread.h>
#include <string.h>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define VMT_CRC_HW 1
#endif

#include "format_int.h"

static uint32_t crc_tab[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
		crc_tab[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^
					crc_tab[0][crc_tab[t - 1][i] & 0xff];
}

static uint32_t crc_tables(uint32_t crc, const uint8_t *p, size_t len)
{
	pthread_once(&crc_once, crc_init);
	while (len >= 8) {
		uint32_t lo = crc ^ vmt_get32(p);
		uint32_t hi = vmt_get32(p + 4);

		crc = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^
		      crc_tab[5][(lo >> 16) & 0xff] ^ crc_tab[4][lo >> 24] ^
		      crc_tab[3][hi & 0xff] ^ crc_tab[2][(hi >> 8) & 0xff] ^
		      crc_tab[1][(hi >> 16) & 0xff] ^ crc_tab[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ crc_tab[0][(crc ^ *p++) & 0xff];
	return crc;
}

#ifdef VMT_CRC_HW
/* The instruction takes its input in host order, which on x86-64 is the
 * little-endian order the tables read. */
__attribute__((target("sse4.2")))
static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc;

	for (; len >= 8; p += 8, len -= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c = _mm_crc32_u64(c, v);
	}
	for (; len; len--)
		c = _mm_crc32_u8((uint32_t)c, *p++);
	return (uint32_t)c;
}

static uint32_t (*crc_impl)(uint32_t, const uint8_t *, size_t);
static pthread_once_t impl_once = PTHREAD_ONCE_INIT;

static void impl_init(void)
{
	__builtin_cpu_init();
	crc_impl = __builtin_cpu_supports("sse4.2") ? crc_hw : crc_tables;
}
#endif

/* @crc is a previous result (0 to start), so buffers can be chained. */
uint32_t vmt_crc32c(uint32_t crc, const void *buf, size_t len)
{
#ifdef VMT_CRC_HW
	pthread_once(&impl_once, impl_init);
	return ~crc_impl(~crc, buf, len);
#else
	return ~crc_tables(~crc, buf, len);
#endif
}
