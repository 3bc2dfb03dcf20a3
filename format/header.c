/*
 * header.c - the file header (SPEC.md "File header" and "Metadata
 * records"): fixed preamble, TLV metadata records described by one table,
 * header CRC.  Decoding validates every length against the bytes present
 * before using it (libbpf btf_parse_hdr style).
 */
#include "format_int.h"

const uint8_t vmt_file_magic[VMT_MAGIC_LEN] = { 0x89, 'V', 'M', 'T', '\r', '\n', 0x1a, '\n' };

/* One fixed-width field of a metadata record: 4/8 = integer, 16 = bytes. */
struct meta_field {
	uint8_t width;
	uint16_t off;
};

/*
 * One metadata record type: up to three fixed fields, then optionally a
 * text that runs to the end of the record.  A record's layout never
 * changes; a new fact gets a new type (SPEC.md "Metadata records").
 */
struct meta_tlv {
	uint16_t type;
	uint16_t flags;
	uint8_t nfix;
	struct meta_field fix[3];
	int16_t text_off;          /* -1: no text */
	uint16_t text_cap;
};

#define F4(m) { 4, offsetof(struct vmt_trace_info, m) }
#define F8(m) { 8, offsetof(struct vmt_trace_info, m) }
#define TXT(m) offsetof(struct vmt_trace_info, m), sizeof(((struct vmt_trace_info *)0)->m)

static const struct meta_tlv meta_table[] = {
	{ 1, VMT_TLV_CRITICAL, 1, { F4(abi_version) }, -1, 0 },
	{ 2, VMT_TLV_CRITICAL, 3, { F4(req_size), F4(rsp_size), F4(page_size) }, -1, 0 },
	{ 3, 0, 2, { F4(xen_major), F4(xen_minor) }, TXT(xen_extra) },
	{ 4, 0, 0, { { 0, 0 } }, TXT(host) },
	{ 5, 0, 2, { F4(domid), F4(vcpus) }, TXT(domain_name) },
	{ 6, 0, 0, { { 0, 0 } }, TXT(monitors) },
	{ 7, 0, 2, { F8(clock_mono_ns), F8(clock_wall_ns) }, -1, 0 },
	{ 8, 0, 0, { { 0, 0 } }, TXT(recorder_version) },
	{ 9, 0, 0, { { 0, 0 } }, TXT(cmdline) },
	{ 10, 0, 1, { { 16, offsetof(struct vmt_trace_info, uuid) } }, -1, 0 },
	{ 11, VMT_TLV_CRITICAL, 2, { F4(codec), F4(level) }, -1, 0 },
	{ 12, 0, 0, { { 0, 0 } }, TXT(labels) },
	{ 13, 0, 0, { { 0, 0 } }, TXT(phase_names) },
};
#define META_N (sizeof(meta_table) / sizeof(meta_table[0]))
/* Types 1, 2 and 11 must be present. */
#define META_REQUIRED ((1u << 1) | (1u << 2) | (1u << 11))

static size_t meta_fixed(const struct meta_tlv *t)
{
	size_t n = 0;

	for (int i = 0; i < t->nfix; i++)
		n += t->fix[i].width;
	return n;
}

size_t vmt_header_bound(void)
{
	size_t n = VMT_FHDR_FIXED + 4;

	for (size_t i = 0; i < META_N; i++)
		n += VMT_TLV_HDR + meta_fixed(&meta_table[i]) + meta_table[i].text_cap;
	return n;
}

static size_t meta_put(const struct meta_tlv *t, const struct vmt_trace_info *info,
		       uint8_t *out)
{
	const uint8_t *base = (const uint8_t *)info;
	uint8_t *p = out + VMT_TLV_HDR;
	size_t tlen = 0;

	for (int i = 0; i < t->nfix; i++) {
		const uint8_t *src = base + t->fix[i].off;
		uint32_t v32;
		uint64_t v64;

		if (t->fix[i].width == 4) {
			memcpy(&v32, src, 4);
			vmt_put32(p, v32);
		} else if (t->fix[i].width == 8) {
			memcpy(&v64, src, 8);
			vmt_put64(p, v64);
		} else {
			memcpy(p, src, t->fix[i].width);
		}
		p += t->fix[i].width;
	}
	if (t->text_off >= 0) {
		tlen = strnlen((const char *)base + t->text_off, t->text_cap - 1u);
		memcpy(p, base + t->text_off, tlen);
	}
	vmt_put16(out, t->type);
	vmt_put16(out + 2, t->flags);
	vmt_put32(out + 4, (uint32_t)(meta_fixed(t) + tlen));
	return VMT_TLV_HDR + meta_fixed(t) + tlen;
}

/* The facts every reader relies on, once all records are read. */
static int header_check_info(const struct vmt_trace_info *info)
{
	VMT_RETURN_IF(info->abi_version < VMT_ABI_MIN || info->abi_version > VMT_ABI_MAX,
		      -VMT_E_ABI);
	VMT_RETURN_IF(info->req_size == 0 || info->req_size > VMT_RING_PAGE, -VMT_E_CORRUPT);
	VMT_RETURN_IF(info->rsp_size == 0 || info->rsp_size > VMT_RING_PAGE, -VMT_E_CORRUPT);
	VMT_RETURN_IF(info->codec != VMT_CODEC_ZSTD && info->codec != VMT_CODEC_NONE,
		      -VMT_E_INCOMPAT);
	/* Readers look names up by code: one grammar, checked both ways. */
	VMT_RETURN_IF(vmt_phase_names_check(info->phase_names), -VMT_E_CORRUPT);
	return 0;
}

int vmt_header_encode(const struct vmt_trace_info *info, uint8_t *out, size_t cap)
{
	size_t len = VMT_FHDR_FIXED;
	int err = header_check_info(info);

	if (err)
		return err;
	if (cap < vmt_header_bound())
		return -EINVAL;
	memcpy(out, vmt_file_magic, VMT_MAGIC_LEN);
	vmt_put16(out + 8, VMT_FILE_MAJOR);
	vmt_put16(out + 10, VMT_FILE_MINOR);
	vmt_put32(out + 16, 0);    /* compat_flags */
	vmt_put32(out + 20, 0);    /* incompat_flags */
	for (size_t i = 0; i < META_N; i++)
		len += meta_put(&meta_table[i], info, out + len);
	vmt_put32(out + 12, (uint32_t)(len + 4));
	vmt_put32(out + len, vmt_crc32c(0, out, len));
	return (int)(len + 4);
}

static const struct meta_tlv *meta_find(uint16_t type)
{
	for (size_t i = 0; i < META_N; i++)
		if (meta_table[i].type == type)
			return &meta_table[i];
	return NULL;
}

static int meta_get(const struct meta_tlv *t, const uint8_t *p, uint32_t size,
		    struct vmt_trace_info *info)
{
	uint8_t *base = (uint8_t *)info;
	size_t fixed = meta_fixed(t);

	VMT_RETURN_IF(size < fixed, -VMT_E_CORRUPT);
	VMT_RETURN_IF(t->text_off < 0 && size != fixed, -VMT_E_CORRUPT);
	for (int i = 0; i < t->nfix; i++) {
		uint8_t *dst = base + t->fix[i].off;
		uint32_t v32;
		uint64_t v64;

		if (t->fix[i].width == 4) {
			v32 = vmt_get32(p);
			memcpy(dst, &v32, 4);
		} else if (t->fix[i].width == 8) {
			v64 = vmt_get64(p);
			memcpy(dst, &v64, 8);
		} else {
			memcpy(dst, p, t->fix[i].width);
		}
		p += t->fix[i].width;
	}
	if (t->text_off >= 0) {
		size_t tlen = size - fixed;

		VMT_RETURN_IF(tlen >= t->text_cap, -VMT_E_TOOBIG);
		VMT_RETURN_IF(memchr(p, 0, tlen) != NULL, -VMT_E_CORRUPT);
		memcpy(base + t->text_off, p, tlen);
		base[t->text_off + tlen] = 0;
	}
	return 0;
}

/* A header the reader refuses: which field, its value, what was expected
 * (the error code alone cannot say; SPEC.md section 3 names the fields). */
#define HDR_BAD(cond, code, ...)                                        \
	do {                                                             \
		if (cond) {                                              \
			vmt_log(VMT_LOG_ERROR, "trace header: " __VA_ARGS__); \
			return (code);                                   \
		}                                                        \
	} while (0)

static int header_tlvs(const uint8_t *p, uint32_t len, struct vmt_trace_info *info,
		       uint32_t *unknown)
{
	uint32_t seen = 0, pos = 0;
	int err;

	while (pos < len) {
		HDR_BAD(len - pos < VMT_TLV_HDR, -VMT_E_CORRUPT, "metadata "
			"ends %u bytes into a record header (at offset %u)",
			len - pos, VMT_FHDR_FIXED + pos);
		uint16_t type = vmt_get16(p + pos), flags = vmt_get16(p + pos + 2);
		uint32_t size = vmt_get32(p + pos + 4);
		const struct meta_tlv *t = meta_find(type);

		pos += VMT_TLV_HDR;
		HDR_BAD(size > len - pos, -VMT_E_CORRUPT, "metadata record "
			"type %u (at offset %u) has size %u, %u bytes are left",
			type, VMT_FHDR_FIXED + pos - VMT_TLV_HDR, size, len - pos);
		if (!t) {
			if (flags & VMT_TLV_CRITICAL) {
				vmt_log(VMT_LOG_DEBUG, "unknown critical header record type %u", type);
				return -VMT_E_INCOMPAT;
			}
			(*unknown)++;
		} else {
			HDR_BAD(seen & (1u << type), -VMT_E_CORRUPT, "metadata "
				"record type %u appears twice", type);
			seen |= 1u << type;
			err = meta_get(t, p + pos, size, info);
			if (err)
				return err;
		}
		pos += size;
	}
	HDR_BAD((seen & META_REQUIRED) != META_REQUIRED, -VMT_E_CORRUPT,
		"required metadata record type %d missing",
		__builtin_ctz(META_REQUIRED & ~seen));
	return header_check_info(info);
}

int vmt_header_decode(const uint8_t *buf, uint64_t len, struct vmt_trace_info *info,
		      uint32_t *hdr_len, uint32_t *unknown)
{
	uint32_t hlen, incompat;

	memset(info, 0, sizeof(*info));
	*unknown = 0;
	/* A file shorter than the magic is "cut" only if what is there matches. */
	VMT_RETURN_IF(len == 0, -VMT_E_TRUNCATED);
	VMT_RETURN_IF(memcmp(buf, vmt_file_magic, len < VMT_MAGIC_LEN ? len : VMT_MAGIC_LEN),
		      -VMT_E_MAGIC);
	VMT_RETURN_IF(len < VMT_FHDR_FIXED, -VMT_E_TRUNCATED);
	HDR_BAD(vmt_get16(buf + 8) != VMT_FILE_MAJOR, -VMT_E_VERSION,
		"major %u, this reader reads major %u", vmt_get16(buf + 8),
		VMT_FILE_MAJOR);
	hlen = vmt_get32(buf + 12);
	HDR_BAD(hlen < VMT_FHDR_FIXED + 4, -VMT_E_CORRUPT,
		"header_len %u, below the minimum %u", hlen, VMT_FHDR_FIXED + 4);
	HDR_BAD(hlen > VMT_HEADER_MAX, -VMT_E_TOOBIG,
		"header_len %u, above the maximum %u", hlen, VMT_HEADER_MAX);
	HDR_BAD(hlen > len, -VMT_E_TRUNCATED, "header_len %u, but the file "
		"has %llu bytes", hlen, (unsigned long long)len);
	uint32_t crc = vmt_crc32c(0, buf, hlen - 4), stored = vmt_get32(buf + hlen - 4);
	HDR_BAD(VMT_CRC_BAD(crc, stored), -VMT_E_CHECKSUM, "crc 0x%08x at "
		"offset %u, but the CRC32C of bytes 0-%u is 0x%08x (a damaged "
		"header field or header_len)", stored, hlen - 4, hlen - 5, crc);
	incompat = vmt_get32(buf + 20);
	/* The error code cannot carry the bit, so say it here. */
	HDR_BAD(incompat & ~VMT_INCOMPAT_KNOWN, -VMT_E_INCOMPAT,
		"incompat_flags 0x%08x: unknown feature bit %d", incompat,
		__builtin_ctz(incompat & ~VMT_INCOMPAT_KNOWN));
	*hdr_len = hlen;
	return header_tlvs(buf + VMT_FHDR_FIXED, hlen - VMT_FHDR_FIXED - 4, info, unknown);
}
