/*
 * tab.c - the (behaviour, phase) -> count table every run is reduced to:
 * open addressing with linear probing, grown at 50% load, so a scan of
 * millions of events costs one hash and one probe per event.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_int.h"

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

static uint64_t hash_key(const struct vmt_an_bkey *k, uint32_t phase)
{
	uint64_t h = mix(((uint64_t)k->kind << 40) ^ ((uint64_t)k->reason << 8) ^ phase);

	h = mix(h ^ k->a);
	return mix(h ^ (k->b + 0x9e3779b97f4a7c15ull));
}

static int same(const struct vmt_an_entry *e, const struct vmt_an_bkey *k,
		uint32_t phase)
{
	return e->count && e->phase == phase && e->key.kind == k->kind &&
	       e->key.reason == k->reason && e->key.a == k->a && e->key.b == k->b;
}

static struct vmt_an_entry *probe(struct vmt_an_entry *slot, size_t cap,
				  const struct vmt_an_bkey *k, uint32_t phase)
{
	size_t i = hash_key(k, phase) & (cap - 1);

	while (slot[i].count && !same(&slot[i], k, phase))
		i = (i + 1) & (cap - 1);
	return &slot[i];
}

static int grow(struct vmt_an_tab *t)
{
	size_t cap = t->cap ? t->cap * 2 : 256;
	struct vmt_an_entry *slot = calloc(cap, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i].count)
			*probe(slot, cap, &t->slot[i].key, t->slot[i].phase) = t->slot[i];
	free(t->slot);
	t->slot = slot;
	t->cap = cap;
	return 0;
}

int vmt_an_tab_add(struct vmt_an_tab *t, const struct vmt_an_bkey *k,
		   uint32_t phase, uint64_t n)
{
	struct vmt_an_entry *e;

	if (!n)
		return 0;
	if ((t->len + 1) * 2 > t->cap) {
		int err = grow(t);

		if (err)
			return err;
	}
	e = probe(t->slot, t->cap, k, phase);
	if (!e->count) {
		e->key = *k;
		e->phase = phase;
		t->len++;
	}
	e->count += n;
	return 0;
}

const struct vmt_an_entry *vmt_an_tab_get(const struct vmt_an_tab *t,
					  const struct vmt_an_bkey *k,
					  uint32_t phase)
{
	const struct vmt_an_entry *e;

	if (!t->cap)
		return NULL;
	e = probe(t->slot, t->cap, k, phase);
	return e->count ? e : NULL;
}

void vmt_an_tab_free(struct vmt_an_tab *t)
{
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

void vmt_an_run_free(struct vmt_an_run *r)
{
	if (!r)
		return;
	for (uint32_t i = 0; i < r->nphases; i++)
		free(r->phases[i].name);
	free(r->phases);
	vmt_an_names_free(&r->names);
	vmt_an_tab_free(&r->tab);
	vmt_an_spill_close(&r->spill);
	free(r->name);
	free(r->monitors);
	free(r->labels);
	free(r->uuid);
	free(r->domain);
	free(r);
}

int vmt_an_tab_fold(struct vmt_an_tab *t)
{
	size_t cap = t->cap;
	struct vmt_an_entry *copy = malloc((cap ? cap : 1) * sizeof(*copy));
	int err = copy ? 0 : -ENOMEM;

	if (copy && cap)   /* an empty table has no slot array at all */
		memcpy(copy, t->slot, cap * sizeof(*copy));
	for (size_t i = 0; !err && i < cap; i++)
		if (copy[i].count && copy[i].phase)
			err = vmt_an_tab_add(t, &copy[i].key, 0, copy[i].count);
	free(copy);
	return err;
}
