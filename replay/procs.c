/*
 * procs.c - address-space residencies: the processes table's rule
 * (SCHEMA.md "Processes").  One open-addressing table keyed by CR3 holds
 * the open residency of each address space seen; a CR3 idle for longer
 * than idle_ns is closed (emitted) and reopened with the next epoch.
 * Memory grows with distinct CR3 values, never with events.
 */
#include <errno.h>
#include <stdlib.h>

#include "replay_int.h"

int vmt_procs_init(struct vmt_procs *p, int64_t first_id, uint64_t idle_ns,
		   int (*emit)(void *ctx, const struct vmt_proc *pr), void *ctx)
{
	*p = (struct vmt_procs){ .next_id = first_id, .idle_ns = idle_ns,
				 .emit = emit, .ctx = ctx, .cap = 256 };
	p->tab = calloc(p->cap, sizeof(*p->tab));
	return p->tab ? 0 : -ENOMEM;
}

void vmt_procs_free(struct vmt_procs *p)
{
	free(p->tab);
	p->tab = NULL;
}

static size_t slot_of(const struct vmt_proc *tab, size_t cap, uint64_t cr3)
{
	size_t i = (size_t)((cr3 * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);

	while (tab[i].used && tab[i].cr3 != cr3)
		i = (i + 1) & (cap - 1);
	return i;
}

static int grow(struct vmt_procs *p)
{
	size_t cap = p->cap * 2;
	struct vmt_proc *tab = calloc(cap, sizeof(*tab));

	if (!tab)
		return -ENOMEM;
	for (size_t i = 0; i < p->cap; i++)
		if (p->tab[i].used)
			tab[slot_of(tab, cap, p->tab[i].cr3)] = p->tab[i];
	free(p->tab);
	p->tab = tab;
	p->cap = cap;
	return 0;
}

static void open_epoch(struct vmt_procs *p, struct vmt_proc *e, uint64_t ts,
		       uint64_t seq)
{
	e->id = p->next_id++;
	e->first_ns = e->last_ns = ts;
	e->first_seq = e->last_seq = seq;
	e->events = 0;
}

int64_t vmt_procs_see(struct vmt_procs *p, uint64_t cr3, uint64_t ts_ns,
		      uint64_t seq)
{
	struct vmt_proc *e;

	if (p->n * 2 >= p->cap) {
		int err = grow(p);

		if (err)
			return err;
	}
	e = &p->tab[slot_of(p->tab, p->cap, cr3)];
	if (!e->used) {
		*e = (struct vmt_proc){ .cr3 = cr3, .used = 1 };
		p->n++;
		open_epoch(p, e, ts_ns, seq);
	} else if (ts_ns > e->last_ns && ts_ns - e->last_ns > p->idle_ns) {
		int err = p->emit(p->ctx, e);

		if (err)
			return err < 0 ? err : -EIO;
		e->epoch++;
		open_epoch(p, e, ts_ns, seq);
	}
	e->last_ns = ts_ns > e->last_ns ? ts_ns : e->last_ns;
	e->last_seq = seq;
	e->events++;
	return e->id;
}

int vmt_procs_finish(struct vmt_procs *p)
{
	for (size_t i = 0; i < p->cap; i++) {
		int err = p->tab[i].used ? p->emit(p->ctx, &p->tab[i]) : 0;

		if (err)
			return err < 0 ? err : -EIO;
	}
	return 0;
}
