/*
 * abi_codec.c - the one decode/encode loop over the ABI table of
 * abi_table.c: raw ring entry <-> struct vmt_event for every version.
 * Each field is read or written little-endian at its own width; no struct
 * is ever laid over the raw bytes (style.md practices 12-13).
 */
#include <errno.h>
#include <string.h>

#include "abi_int.h"
#include "format_int.h"   /* vmt_get16..64 / vmt_put16..64 */

static uint64_t load_le(const uint8_t *p, unsigned width)
{
	switch (width) {
	case 1:
		return p[0];
	case 2:
		return vmt_get16(p);
	case 4:
		return vmt_get32(p);
	default:
		return vmt_get64(p);
	}
}

static void store_le(uint8_t *p, unsigned width, uint64_t v)
{
	switch (width) {
	case 1:
		p[0] = (uint8_t)v;
		break;
	case 2:
		vmt_put16(p, (uint16_t)v);
		break;
	case 4:
		vmt_put32(p, (uint32_t)v);
		break;
	default:
		vmt_put64(p, v);
		break;
	}
}

/* Width-0 entries are registers the layout lacks (see abi_table.c). */
static uint64_t read_fields(const struct vmt_abi_layout *l,
			    const uint8_t *base, uint64_t *out)
{
	uint64_t present = 0;

	for (unsigned i = 0; i < l->n; i++) {
		const struct vmt_abi_field *f = &l->fields[i];

		if (!f->width)
			continue;
		out[f->id] = load_le(base + f->off, f->width);
		present |= UINT64_C(1) << f->id;
	}
	return present;
}

/* Values wider than their field are truncated to it, as a C store would. */
static void write_fields(const struct vmt_abi_layout *l, uint8_t *base,
			 const uint64_t *in, uint64_t present)
{
	for (unsigned i = 0; i < l->n; i++) {
		const struct vmt_abi_field *f = &l->fields[i];

		if (f->width && (present >> f->id & 1))
			store_le(base + f->off, f->width, in[f->id]);
	}
}

static const struct vmt_abi_layout *payload_of(const struct vmt_abi_desc *d,
					       uint32_t reason)
{
	return reason < VMT_REASON_COUNT ? d->payload[reason] : NULL;
}

/*
 * fast_singlestep.p2midx is a response field that overlays the first two
 * bytes of whatever member the reason uses; it exists only when the flags
 * ask for it (v6+).
 */
static const struct vmt_abi_layout *fss_of(const struct vmt_abi_desc *d,
					   uint32_t flags)
{
	return (flags & VMT_FLAG_FAST_SINGLESTEP) ? d->fast_singlestep : NULL;
}

VMT_API int vmt_event_decode(const void *raw, size_t len, struct vmt_event *ev)
{
	const uint8_t *b = raw;
	const struct vmt_abi_desc *d;
	const struct vmt_abi_layout *l;

	VMT_RETURN_IF(len < 4, -VMT_E_TRUNCATED);
	d = vmt_abi_desc(vmt_get32(b + VMT_ABI_OFF_VERSION));
	VMT_RETURN_IF(!d, -VMT_E_ABI);
	VMT_RETURN_IF(len < d->entry_size, -VMT_E_TRUNCATED);

	memset(ev, 0, sizeof(*ev));
	ev->version = vmt_get32(b + VMT_ABI_OFF_VERSION);
	ev->flags = vmt_get32(b + VMT_ABI_OFF_FLAGS);
	ev->reason = vmt_get32(b + VMT_ABI_OFF_REASON);
	ev->vcpu_id = vmt_get32(b + VMT_ABI_OFF_VCPU);
	ev->altp2m_idx = vmt_get16(b + VMT_ABI_OFF_ALTP2M);
	memcpy(ev->raw_u, b + VMT_ABI_OFF_U, VMT_ABI_U_SIZE);
	ev->reg_present = read_fields(d->regs, b + VMT_ABI_OFF_REGS, ev->reg);
	if ((l = payload_of(d, ev->reason)))
		ev->p_present = read_fields(l, b + VMT_ABI_OFF_U, ev->p);
	if ((l = fss_of(d, ev->flags)))
		ev->p_present |= read_fields(l, b + VMT_ABI_OFF_U, ev->p);
	return 0;
}

VMT_API int vmt_event_encode(const struct vmt_event *ev, void *raw, size_t cap)
{
	uint8_t *b = raw;
	const struct vmt_abi_desc *d = vmt_abi_desc(ev->version);
	const struct vmt_abi_layout *l;

	if (!d)
		return -VMT_E_ABI;
	if (cap < d->entry_size)
		return -ENOSPC;
	memset(b, 0, d->entry_size);
	vmt_put32(b + VMT_ABI_OFF_VERSION, ev->version);
	vmt_put32(b + VMT_ABI_OFF_FLAGS, ev->flags);
	vmt_put32(b + VMT_ABI_OFF_REASON, ev->reason);
	vmt_put32(b + VMT_ABI_OFF_VCPU, ev->vcpu_id);
	vmt_put16(b + VMT_ABI_OFF_ALTP2M, ev->altp2m_idx);
	write_fields(d->regs, b + VMT_ABI_OFF_REGS, ev->reg, ev->reg_present);
	if ((l = payload_of(d, ev->reason)))
		write_fields(l, b + VMT_ABI_OFF_U, ev->p, ev->p_present);
	else
		memcpy(b + VMT_ABI_OFF_U, ev->raw_u, VMT_ABI_U_SIZE);
	if ((l = fss_of(d, ev->flags)))
		write_fields(l, b + VMT_ABI_OFF_U, ev->p, ev->p_present);
	return d->entry_size;
}

VMT_API void vmt_event_init(struct vmt_event *ev, uint32_t version,
			    uint32_t reason)
{
	const struct vmt_abi_desc *d = vmt_abi_desc(version);

	memset(ev, 0, sizeof(*ev));
	ev->version = version;
	ev->reason = reason;
	ev->reg_present = d ? d->reg_mask : 0;
}

static const struct vmt_abi_field *layout_find(const struct vmt_abi_layout *l,
					       unsigned id)
{
	for (unsigned i = 0; l && i < l->n; i++)
		if (l->fields[i].id == id && l->fields[i].width)
			return &l->fields[i];
	return NULL;
}

static int layout_has(const struct vmt_abi_layout *l, unsigned id)
{
	return layout_find(l, id) != NULL;
}

static int field_offset(const struct vmt_abi_field *f, unsigned base,
			unsigned *width)
{
	if (!f)
		return -ENOENT;
	if (width)
		*width = f->width;
	return (int)(base + f->off);
}

VMT_API int vmt_abi_reg_offset(uint32_t version, enum vmt_reg reg,
			       unsigned *width)
{
	const struct vmt_abi_desc *d = vmt_abi_desc(version);

	if (!d)
		return -VMT_E_ABI;
	return field_offset(layout_find(d->regs, reg), VMT_ABI_OFF_REGS, width);
}

VMT_API int vmt_abi_pfield_offset(uint32_t version, uint32_t reason,
				  enum vmt_pfield field, unsigned *width)
{
	const struct vmt_abi_desc *d = vmt_abi_desc(version);
	const struct vmt_abi_field *f;

	if (!d)
		return -VMT_E_ABI;
	f = layout_find(payload_of(d, reason), field);
	if (!f)
		f = layout_find(d->fast_singlestep, field);
	return field_offset(f, VMT_ABI_OFF_U, width);
}

VMT_API int vmt_event_set_p(struct vmt_event *ev, enum vmt_pfield field,
			    uint64_t value)
{
	const struct vmt_abi_desc *d = vmt_abi_desc(ev->version);

	if (!d || (!layout_has(payload_of(d, ev->reason), field) &&
		   !layout_has(fss_of(d, ev->flags), field)))
		return -EINVAL;
	ev->p[field] = value;
	ev->p_present |= UINT64_C(1) << field;
	return 0;
}
