/*
 * vmt_le.h - little-endian field access for raw bytes: trace structures,
 * ring slots.  Shared-private: format/, record/ and xensim use it; never
 * installed.  Values are converted to little-endian first and then moved
 * with memcpy, which compilers turn into one load or store (byte loops
 * cost the drain ~350 instructions per event in record headers alone).
 */
#ifndef VMT_LE_H
#define VMT_LE_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

static inline void vmt_put16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void vmt_put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void vmt_put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

static inline uint16_t vmt_get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static inline uint32_t vmt_get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static inline uint64_t vmt_get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

#endif
