/*
 * regmask.c - which bytes of a raw ring entry the columns of events
 * already hold (the key registers and the payload p1..p4), so that the
 * register blocks leave them out and vmt_entry() puts them back
 * (SCHEMA.md "events, event_regs").  The offsets come from format/'s
 * decoder table, once per (ABI version, reason).
 */
#include <string.h>

#include "replay_int.h"
#include "vmt_le.h"

static void set_slot(struct vmt_regmask *m, int i, int off, unsigned width)
{
	m->off[i] = (int16_t)(off >= 0 && width && width <= 8 ? off : -1);
	m->width[i] = (uint8_t)width;
}

static void layout(struct vmt_regmask *m, uint32_t version, uint32_t reason)
{
	const struct vmt_detail *d = vmt_detail_of(reason);
	int np = d->table ? d->nfields : 0;
	unsigned w = 0;

	for (int i = 0; i < VMT_MASK_REGS; i++) {
		int off = vmt_abi_reg_offset(version, vmt_key_regs[i], &w);

		set_slot(m, i, off, w);
	}
	for (int k = 0; k < VMT_MASK_P; k++) {
		int off = k < np ? vmt_abi_pfield_offset(version, reason,
							  d->fields[k], &w) : -1;

		set_slot(m, VMT_MASK_REGS + k, off, off >= 0 ? w : 0);
	}
}

const struct vmt_regmask *vmt_regmask_of(struct vmt_regmask_cache *c,
					 uint32_t version, uint32_t reason)
{
	uint32_t r = reason < VMT_REASON_COUNT ? reason : VMT_REASON_COUNT;
	struct vmt_regmask *m;

	if (version < VMT_ABI_MIN || version > VMT_ABI_MAX)
		return NULL;
	m = &c->m[version - VMT_ABI_MIN][r];
	if (!m->ready) {
		layout(m, version, r);
		m->ready = 1;
	}
	return m;
}

/* The fields are 1, 2, 4 or 8 bytes wide (vm_event-abi.md). */
static uint64_t load_le(const uint8_t *p, unsigned width)
{
	uint64_t v = 0;

	switch (width) {
	case 8:
		return vmt_get64(p);
	case 4:
		return vmt_get32(p);
	case 2:
		return vmt_get16(p);
	default:
		for (unsigned i = width; i--;)
			v = v << 8 | p[i];
		return v;
	}
}

/* memset() of a width known only at run time compiles to "rep stos",
 * whose start-up cost was 8 % of the importer's CPU on 14 short fields. */
static void zero_le(uint8_t *p, unsigned width)
{
	switch (width) {
	case 8:
		vmt_put64(p, 0);
		return;
	case 4:
		vmt_put32(p, 0);
		return;
	case 2:
		vmt_put16(p, 0);
		return;
	default:
		for (unsigned i = 0; i < width; i++)
			p[i] = 0;
	}
}

uint16_t vmt_regmask_apply(const struct vmt_regmask *m, uint8_t *entry,
			   size_t len, const uint64_t *vals, uint16_t have)
{
	uint16_t done = 0;

	for (int i = 0; m && have >> i; i++) {
		size_t off = (size_t)m->off[i], w = m->width[i];

		if (!(have >> i & 1) || m->off[i] < 0 || off + w > len ||
		    load_le(entry + off, (unsigned)w) != vals[i])
			continue;
		zero_le(entry + off, (unsigned)w);
		done |= (uint16_t)(1u << i);
	}
	return done;
}

void vmt_regmask_fill(const struct vmt_regmask *m, uint8_t *entry, size_t len,
		      const uint64_t *vals, uint16_t masked)
{
	for (int i = 0; m && i < VMT_MASK_N; i++) {
		size_t off = (size_t)m->off[i], w = m->width[i];

		if (!(masked >> i & 1) || m->off[i] < 0 || off + w > len)
			continue;
		for (size_t b = 0; b < w; b++)
			entry[off + b] = (uint8_t)(vals[i] >> (8 * b));
	}
}
