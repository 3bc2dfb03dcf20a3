/*
 * p2m.c - memory access per gfn and altp2m views, with Xen 4.17's rules:
 * mem_access_memop and p2m_mem_access_check (common/mem_access.c,
 * arch/x86/mm/mem_access.c), the altp2m view calls (arch/x86/hvm/hvm.c
 * do_altp2m_op, arch/x86/mm/p2m.c).  Where each rule was read is cited at
 * the function that applies it; record/xensim/README.md lists them.
 *
 * Storage grows with the gfns set: 4096-entry leaves are allocated on the
 * first set in their range, the leaf table is sized by the guest's memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "sim.h"

#define LEAF_BITS 12
#define LEAF_GFNS (1ull << LEAF_BITS)

/* rwx bits each access allows (VMT_MEM_ACCESS_R/W/X = 1/2/4); rx2rw
 * allows what rx does, n2rwx nothing (both convert on a violation). */
static const uint8_t allows[VMT_ACC_DEFAULT] = { 0, 1, 2, 3, 4, 5, 6, 7, 5, 0 };

bool vmt_sim_access_allows(uint8_t access, uint8_t kind)
{
	return access < VMT_ACC_DEFAULT && (allows[access] & kind) == kind;
}

int vmt_sim_p2m_init(struct vmt_sim_p2m *p, uint64_t gfns, uint8_t dflt)
{
	memset(p, 0, sizeof(*p));
	p->nleaf = (gfns + LEAF_GFNS - 1) >> LEAF_BITS;
	p->leaf = calloc(p->nleaf ? p->nleaf : 1, sizeof(*p->leaf));
	p->dflt = dflt;
	return p->leaf ? 0 : -ENOMEM;
}

void vmt_sim_p2m_free(struct vmt_sim_p2m *p)
{
	for (uint64_t i = 0; p->leaf && i < p->nleaf; i++)
		free(p->leaf[i]);
	free(p->leaf);
	memset(p, 0, sizeof(*p));
}

/* Return: the entry's own access, or -1 if it has none. */
static int entry_get(const struct vmt_sim_p2m *p, uint64_t gfn)
{
	uint64_t l = gfn >> LEAF_BITS;

	if (l >= p->nleaf || !p->leaf[l])
		return -1;
	return (int)p->leaf[l][gfn & (LEAF_GFNS - 1)] - 1;
}

static int entry_set(struct vmt_sim_p2m *p, uint64_t gfn, uint8_t access)
{
	uint64_t l = gfn >> LEAF_BITS;

	if (l >= p->nleaf)
		return -EINVAL;
	if (!p->leaf[l]) {
		if (!(p->leaf[l] = calloc(LEAF_GFNS, 1)))
			return -ENOMEM;
		p->nalloc++;
	}
	uint8_t *e = &p->leaf[l][gfn & (LEAF_GFNS - 1)];
	p->restricted -= *e && *e != VMT_ACC_RWX + 1;
	*e = (uint8_t)(access + 1);
	p->restricted += access != VMT_ACC_RWX;
	return 0;
}

void vmt_sim_dom_p2m_free(struct vmt_sim_dom *d)
{
	vmt_sim_p2m_free(&d->p2m);
	for (unsigned i = 1; i < VMT_SIM_MAX_ALTP2M; i++) {
		struct vmt_sim_view *w = d->altp2m.view[i];
		if (w) {
			vmt_sim_p2m_free(&w->p2m);
			free(w->remap);
			free(w);
		}
		d->altp2m.view[i] = NULL;
	}
}

/* The view @v runs on, NULL for the host p2m (view 0 is the host's). */
static struct vmt_sim_view *vcpu_view(const struct vmt_sim_dom *d,
				      const struct vmt_sim_vcpu *v)
{
	if (!d->altp2m.active || !v || !v->p2midx)
		return NULL;
	return d->altp2m.view[v->p2midx];
}

static uint8_t host_access(const struct vmt_sim_dom *d, uint64_t gfn)
{
	int a = entry_get(&d->p2m, gfn);

	return a < 0 ? VMT_ACC_RWX : (uint8_t)a;
}

/* A view without its own entry copies the host's on first use
 * (p2m_altp2m_get_or_propagate), so reading it gives the host's. */
uint8_t vmt_sim_access_of(const struct vmt_sim_dom *d,
			  const struct vmt_sim_vcpu *v, uint64_t gfn)
{
	const struct vmt_sim_view *w = vcpu_view(d, v);
	int a = w ? entry_get(&w->p2m, gfn) : -1;

	return a < 0 ? host_access(d, gfn) : (uint8_t)a;
}

bool vmt_sim_p2m_restricts(const struct vmt_sim_dom *d)
{
	if (d->p2m.restricted)
		return true;
	for (unsigned i = 1; d->altp2m.active && i < VMT_SIM_MAX_ALTP2M; i++)
		if (d->altp2m.view[i] && d->altp2m.view[i]->p2m.restricted)
			return true;
	return false;
}

static uint64_t p2m_bytes(const struct vmt_sim_p2m *p)
{
	return p->nleaf * sizeof(*p->leaf) + p->nalloc * LEAF_GFNS;
}

uint64_t vmt_sim_p2m_bytes(const struct vmt_sim_dom *d)
{
	uint64_t n = p2m_bytes(&d->p2m);

	for (unsigned i = 1; i < VMT_SIM_MAX_ALTP2M; i++)
		if (d->altp2m.view[i])
			n += p2m_bytes(&d->altp2m.view[i]->p2m);
	return n;
}

/* xenmem_access_to_p2m_access: default means the p2m's default_access. */
static int to_p2m_access(const struct vmt_sim_p2m *p, uint64_t xa, uint8_t *a)
{
	if (xa > VMT_ACC_DEFAULT)
		return -EINVAL;
	*a = xa == VMT_ACC_DEFAULT ? p->dflt : (uint8_t)xa;
	return 0;
}

/* A host entry change reaches every view that holds the gfn
 * (p2m_altp2m_propagate_change): the view takes the host's mapping. */
static int set_host(struct vmt_sim_dom *d, uint64_t gfn, uint8_t a)
{
	int rc = entry_set(&d->p2m, gfn, a);

	for (unsigned i = 1; !rc && d->altp2m.active && i < VMT_SIM_MAX_ALTP2M; i++) {
		struct vmt_sim_view *w = d->altp2m.view[i];
		if (w && entry_get(&w->p2m, gfn) >= 0)
			rc = entry_set(&w->p2m, gfn, a);
	}
	return rc;
}

/* Return: the view for altp2m index @idx (NULL = host) or -EINVAL in *rc. */
static struct vmt_sim_view *view_of(struct vmt_sim_dom *d, unsigned idx,
				    int *rc)
{
	*rc = 0;
	if (!idx)
		return NULL;
	if (idx >= VMT_SIM_MAX_ALTP2M || !d->altp2m.view[idx])
		*rc = -EINVAL;
	return *rc ? NULL : d->altp2m.view[idx];
}

/*
 * p2m_set_mem_access over @nr gfns from @gfn (gfn ~0: the default access).
 * A view entry is set only for gfns the guest has (set_mem_access skips
 * -ESRCH); the memop itself checked the range before.
 */
int vmt_sim_mem_set(struct vmt_sim_host *h, struct vmt_sim_dom *d,
		    unsigned view, uint64_t access, uint64_t gfn, uint64_t nr)
{
	int rc;
	struct vmt_sim_view *w = view_of(d, view, &rc);
	uint8_t a;

	if (rc || (rc = to_p2m_access(&d->p2m, access, &a)))
		return rc;
	if (gfn == ~0ull) {
		d->p2m.dflt = a;
		return 0;
	}
	for (uint64_t i = 0; i < nr && !rc; i++) {
		if (gfn + i >= h->sc.memory)
			continue;
		rc = w ? entry_set(&w->p2m, gfn + i, a) : set_host(d, gfn + i, a);
	}
	return rc;
}

/* p2m_get_mem_access: a view index needs altp2m active and the view. */
int vmt_sim_mem_get(struct vmt_sim_host *h, struct vmt_sim_dom *d,
		    unsigned view, uint64_t gfn, uint8_t *access)
{
	int rc;
	struct vmt_sim_view *w;

	if (view && !d->altp2m.active)
		return -EINVAL;
	w = view_of(d, view, &rc);
	if (rc)
		return rc;
	if (gfn == ~0ull) {
		*access = w ? w->p2m.dflt : d->p2m.dflt;
		return 0;
	}
	if (gfn >= h->sc.memory)
		return -ESRCH;         /* no entry: INVALID_MFN */
	int own = w ? entry_get(&w->p2m, gfn) : -1;
	*access = own >= 0 ? (uint8_t)own : host_access(d, gfn);
	return 0;
}

/* The p2m a violation converts an entry in: the vCPU's view or the host. */
static int set_in_use(struct vmt_sim_dom *d, struct vmt_sim_vcpu *v,
		      uint64_t gfn, uint8_t a)
{
	struct vmt_sim_view *w = vcpu_view(d, v);

	return w ? entry_set(&w->p2m, gfn, a) : set_host(d, gfn, a);
}

/*
 * p2m_mem_access_check (arch/x86/mm/mem_access.c): rx2rw becomes rw on a
 * write with no event; n2rwx becomes rwx and the event does not pause;
 * with no ring, access_required crashes the domain, otherwise the entry
 * is relaxed to rwx and the access proceeds.
 */
int vmt_sim_access_violation(struct vmt_sim_host *h, struct vmt_sim_dom *d,
			     struct vmt_sim_vcpu *v, uint64_t gfn,
			     uint8_t kind, bool *sync)
{
	uint8_t a = vmt_sim_access_of(d, v, gfn);

	(void)h;
	if (a == VMT_ACC_RX2RW && (kind & VMT_MEM_ACCESS_W)) {
		set_in_use(d, v, gfn, VMT_ACC_RW);
		return 0;
	}
	if (a == VMT_ACC_N2RWX)
		set_in_use(d, v, gfn, VMT_ACC_RWX);
	if (!d->ring.enabled) {
		if (d->access_required) {
			d->c.access_crashes++;
			d->crashed = true;
			vmt_sim_dom_kill(h, d);
			return -1;
		}
		if (a != VMT_ACC_N2RWX)
			set_in_use(d, v, gfn, VMT_ACC_RWX);
		d->c.access_relaxed++;
		return 0;
	}
	*sync = a != VMT_ACC_N2RWX;
	return 1;
}

/* ---- change_gfn remaps -------------------------------------------------- */

static uint64_t remap_find(const struct vmt_sim_view *w, uint64_t gfn)
{
	uint64_t lo = 0, hi = w->n_remap;

	while (lo < hi) {
		uint64_t mid = (lo + hi) / 2;
		if (w->remap[mid].from < gfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uint64_t vmt_sim_remap(const struct vmt_sim_dom *d,
		       const struct vmt_sim_vcpu *v, uint64_t gfn)
{
	const struct vmt_sim_view *w = vcpu_view(d, v);
	uint64_t i;

	if (!w || !w->n_remap)
		return gfn;
	i = remap_find(w, gfn);
	return i < w->n_remap && w->remap[i].from == gfn ? w->remap[i].to : gfn;
}

static int remap_put(struct vmt_sim_view *w, uint64_t from, uint64_t to)
{
	uint64_t i = remap_find(w, from);
	bool have = i < w->n_remap && w->remap[i].from == from;

	if (to == from || to == ~0ull) {
		if (have) {
			memmove(&w->remap[i], &w->remap[i + 1],
				(w->n_remap - i - 1) * sizeof(w->remap[0]));
			w->n_remap--;
		}
		return 0;
	}
	if (!have) {
		if (w->n_remap == w->cap_remap) {
			uint64_t cap = w->cap_remap ? w->cap_remap * 2 : 16;
			void *p = realloc(w->remap, cap * sizeof(w->remap[0]));
			if (!p)
				return -ENOMEM;
			w->remap = p;
			w->cap_remap = cap;
		}
		memmove(&w->remap[i + 1], &w->remap[i],
			(w->n_remap - i) * sizeof(w->remap[0]));
		w->n_remap++;
	}
	w->remap[i].from = from;
	w->remap[i].to = to;
	return 0;
}

/*
 * p2m_change_altp2m_gfn: in view @idx, @old maps what @new maps, with
 * @new's access; @new = ~0 drops the view's entry for @old.  Both gfns
 * must exist in the guest (altp2m_get_effective_entry fails otherwise).
 */
static int change_gfn(struct vmt_sim_host *h, struct vmt_sim_dom *d,
		      unsigned idx, uint64_t old, uint64_t new)
{
	struct vmt_sim_view *w;
	int rc;

	if (!idx || idx >= VMT_SIM_MAX_ALTP2M || !(w = d->altp2m.view[idx]))
		return -EINVAL;
	if (new == ~0ull) {
		if (old < h->sc.memory && entry_get(&w->p2m, old) >= 0)
			w->p2m.leaf[old >> LEAF_BITS][old & (LEAF_GFNS - 1)] = 0;
		return remap_put(w, old, ~0ull);
	}
	if (old >= h->sc.memory || new >= h->sc.memory)
		return -ESRCH;
	int a = entry_get(&w->p2m, new);
	rc = entry_set(&w->p2m, old, a < 0 ? host_access(d, new) : (uint8_t)a);
	return rc ? rc : remap_put(w, old, new);
}

/* ---- views -------------------------------------------------------------- */

static int view_create(struct vmt_sim_host *h, struct vmt_sim_dom *d,
		       uint64_t dflt, uint64_t *idx)
{
	uint8_t a;

	/* p2m_init_next_altp2m: a bad default or no free slot is -EINVAL. */
	if (to_p2m_access(&d->p2m, dflt, &a))
		return -EINVAL;
	for (unsigned i = 1; i < VMT_SIM_MAX_ALTP2M; i++) {
		if (d->altp2m.view[i])
			continue;
		struct vmt_sim_view *w = calloc(1, sizeof(*w));
		if (!w || vmt_sim_p2m_init(&w->p2m, h->sc.memory, a)) {
			free(w);
			return -ENOMEM;
		}
		d->altp2m.view[i] = w;
		*idx = i;
		return 0;
	}
	return -EINVAL;
}

static void view_free(struct vmt_sim_dom *d, unsigned i)
{
	struct vmt_sim_view *w = d->altp2m.view[i];

	vmt_sim_p2m_free(&w->p2m);
	free(w->remap);
	free(w);
	d->altp2m.view[i] = NULL;
}

/* p2m_destroy_altp2m_by_id: view 0, a missing view or one a vCPU uses
 * is -EBUSY. */
static int view_destroy(struct vmt_sim_dom *d, uint64_t idx)
{
	if (!idx || idx >= VMT_SIM_MAX_ALTP2M || !d->altp2m.view[idx])
		return -EBUSY;
	for (uint32_t k = 0; k < d->nvcpus; k++)
		if (d->vcpu[k].p2midx == idx)
			return -EBUSY;
	view_free(d, (unsigned)idx);
	return 0;
}

void vmt_sim_altp2m_vcpu_switch(struct vmt_sim_dom *d,
				struct vmt_sim_vcpu *v, unsigned idx)
{
	/* p2m_switch_vcpu_altp2m_by_id: only to an existing view. */
	if (!d->altp2m.active || idx >= VMT_SIM_MAX_ALTP2M ||
	    (idx && !d->altp2m.view[idx]) || v->p2midx == idx)
		return;
	v->p2midx = (uint16_t)idx;
	d->c.altp2m_switches++;
}

static int set_state(struct vmt_sim_dom *d, bool on)
{
	if (on == d->altp2m.active)
		return 0;
	d->altp2m.active = on;
	/* altp2m_vcpu_initialise puts every vCPU on view 0; turning altp2m
	 * off flushes every view (p2m_flush_altp2m). */
	for (uint32_t k = 0; k < d->nvcpus; k++)
		d->vcpu[k].p2midx = 0;
	if (!on)
		for (unsigned i = 1; i < VMT_SIM_MAX_ALTP2M; i++)
			if (d->altp2m.view[i])
				view_free(d, i);
	return 0;
}

/*
 * do_altp2m_op (arch/x86/hvm/hvm.c): every command but get/set state
 * needs altp2m active (-EOPNOTSUPP); HVM_PARAM_ALTP2M disabled is -EINVAL.
 * #VE (enable/disable notify) needs a CPU feature xensim does not model,
 * so those fail as on a CPU without it; suppress_ve is not modelled.
 * @a: the command's arguments; @out: a value returned (view, state).
 */
int vmt_sim_altp2m_op(struct vmt_sim_host *h, struct vmt_sim_dom *d,
		      unsigned cmd, const uint64_t *a, uint64_t *out)
{
	if (cmd != VMT_ALTP2M_GET_STATE && cmd != VMT_ALTP2M_SET_STATE &&
	    !d->altp2m.active)
		return -EOPNOTSUPP;
	if (d->altp2m.mode == VMT_ALTP2M_DISABLED)
		return -EINVAL;
	switch (cmd) {
	case VMT_ALTP2M_GET_STATE:
		*out = d->altp2m.active;
		return 0;
	case VMT_ALTP2M_SET_STATE:
		return set_state(d, a[0] != 0);
	case VMT_ALTP2M_CREATE:
		return view_create(h, d, a[0], out);
	case VMT_ALTP2M_DESTROY:
		return view_destroy(d, a[0]);
	case VMT_ALTP2M_SWITCH:
		/* p2m_switch_domain_altp2m_by_id: every vCPU, existing view */
		if (a[0] >= VMT_SIM_MAX_ALTP2M || (a[0] && !d->altp2m.view[a[0]]))
			return -EINVAL;
		for (uint32_t k = 0; k < d->nvcpus; k++)
			d->vcpu[k].p2midx = (uint16_t)a[0];
		return 0;
	case VMT_ALTP2M_SET_MEM_ACCESS:   /* a: view, gfn, access */
		return vmt_sim_mem_set(h, d, (unsigned)a[0], a[2], a[1], 1);
	case VMT_ALTP2M_GET_MEM_ACCESS: {
		uint8_t acc = 0;
		int rc = vmt_sim_mem_get(h, d, (unsigned)a[0], a[1], &acc);
		*out = acc;
		return rc;
	}
	case VMT_ALTP2M_CHANGE_GFN:       /* a: view, old, new */
		return change_gfn(h, d, (unsigned)a[0], a[1], a[2]);
	case VMT_ALTP2M_GET_P2M_IDX:      /* a: vcpu */
		if (a[0] >= d->nvcpus)
			return -EINVAL;
		*out = d->vcpu[a[0]].p2midx;
		return 0;
	case VMT_ALTP2M_VCPU_ENABLE_NOTIFY:
	case VMT_ALTP2M_VCPU_DISABLE_NOTIFY:
		return a[0] >= d->nvcpus ? -EINVAL : -EOPNOTSUPP;
	default:
		return -EOPNOTSUPP;
	}
}
