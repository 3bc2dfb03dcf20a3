/*
 * ops.c - the daemon's side of each client call (proto.h ops): what the
 * Xen hypercalls behind libxenctrl / libxenevtchn / libxenstore do, applied
 * to the simulated host.  Errors travel back as positive errno in the reply.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server_int.h"

/* ---- domain lookup ------------------------------------------------------ */

static struct vmt_sim_dom *find_dom(struct vmt_sim_host *h, uint32_t id)
{
	for (uint32_t i = 0; i < h->n_dom; i++)
		if (h->dom[i].id == id && h->dom[i].state != VMT_DOM_GONE)
			return &h->dom[i];
	return NULL;
}

static struct vmt_sim_dom *alive_dom(struct vmt_sim_host *h, uint32_t id,
				     struct reply *rp)
{
	struct vmt_sim_dom *d = find_dom(h, id);

	if (!d || d->state != VMT_DOM_ALIVE) {
		rp->r.err = ESRCH;
		return NULL;
	}
	return d;
}

/* ---- op handlers -------------------------------------------------------- */

static void op_dominfo(struct vmt_sim_server *s, const struct vmt_xsim_req *q,
		       struct reply *rp)
{
	const struct vmt_sim_dom *best = NULL;

	/* Xen's getdomaininfo: the first existing domain >= the id. */
	for (uint32_t i = 0; i < s->h->n_dom; i++) {
		const struct vmt_sim_dom *d = &s->h->dom[i];
		if (d->state != VMT_DOM_GONE && d->id >= q->dom &&
		    (!best || d->id < best->id))
			best = d;
	}
	if (!best)
		return;
	rp->r.ret = 1;
	rp->r.v[0] = best->id;
	rp->r.v[1] = best->nvcpus;
	rp->r.v[2] = best->pause_count > 0;
	rp->r.v[3] = best->state == VMT_DOM_DYING;
	rp->r.v[4] = best->state == VMT_DOM_DYING;
	rp->r.v[5] = s->h->sc.memory | best->max_pages << 32;
}

static void op_pause(struct vmt_sim_server *s, const struct vmt_xsim_req *q,
		     struct reply *rp)
{
	struct vmt_sim_dom *d = alive_dom(s->h, q->dom, rp);

	if (!d)
		return;
	if (q->op == VMT_XSIM_OP_DOM_PAUSE)
		d->pause_count++;
	else if (d->pause_count)
		d->pause_count--;
	else
		rp->r.err = EINVAL;
}

static void op_version(struct vmt_sim_server *s, const struct vmt_xsim_req *q,
		       struct reply *rp)
{
	unsigned major, minor;

	if (q->op == VMT_XSIM_OP_ABI) {
		rp->r.ret = s->h->abi;
		return;
	}
	vmt_abi_xen_release(s->h->abi, &major, &minor);
	rp->r.ret = (int64_t)(major << 16 | minor);
	rp->data = ".0-xensim";
	rp->r.len = sizeof(".0-xensim");
}

static void op_enable(struct vmt_sim_server *s, struct vmt_sim_conn *c,
		      const struct vmt_xsim_req *q, struct reply *rp)
{
	struct vmt_sim_dom *d = alive_dom(s->h, q->dom, rp);
	int rc;

	if (!d)
		return;
	rc = vmt_sim_ring_enable(s->h, d);
	if (rc) {
		rp->r.err = -rc;
		return;
	}
	d->ring.owner = c;
	rp->r.ret = d->ring.port;
	rp->fds[rp->nfds++] = d->ring.memfd;
}

static void op_ring(struct vmt_sim_server *s, const struct vmt_xsim_req *q,
		    struct reply *rp)
{
	struct vmt_sim_dom *d = alive_dom(s->h, q->dom, rp);

	if (!d)
		return;
	if (q->op == VMT_XSIM_OP_MON_DISABLE) {
		rp->r.err = -vmt_sim_ring_disable(s->h, d);
	} else if (q->op == VMT_XSIM_OP_MON_CAPS) {
		rp->r.ret = vmt_sim_caps(s->h->abi);
	} else if (!d->ring.enabled) {
		rp->r.err = EINVAL;
	} else {
		vmt_sim_ring_consume(s->h, d);   /* resume */
	}
}

/* Switches a boolean source; Xen refuses a no-op change with EEXIST. */
static int set_flag(struct vmt_sim_mon *m, unsigned kind, bool on)
{
	bool old = m->enabled & (1u << kind);

	if (old == on)
		return EEXIST;
	m->enabled ^= 1u << kind;
	return 0;
}

static int toggle_cr(struct vmt_sim_mon *m, const struct vmt_xsim_req *q)
{
	unsigned idx = (unsigned)q->a[3];
	bool on = q->a[1];

	if (idx > VMT_XCR0)
		return EINVAL;
	if (m->cr_on[idx] == on)
		return EEXIST;
	m->cr_on[idx] = on;
	m->cr_sync[idx] = on && q->a[2];
	m->cr_onchange[idx] = on && q->a[5];
	m->cr_mask[idx] = on ? q->a[4] : 0;
	bool any = m->cr_on[0] || m->cr_on[1] || m->cr_on[2] || m->cr_on[3];
	m->enabled = (m->enabled & ~(1u << VMT_XSIM_MON_CTRLREG)) |
		     (uint32_t)any << VMT_XSIM_MON_CTRLREG;
	return 0;
}

/* XEN_DOMCTL_MONITOR_EVENT_MOV_TO_MSR (arch/x86/monitor.c): a bitmap
 * over Xen's three MSR windows, EINVAL outside them, EEXIST for no change. */
static int toggle_msr(struct vmt_sim_mon *m, const struct vmt_xsim_req *q)
{
	int bit = vmt_sim_msr_bit((uint32_t)q->a[3]);
	bool on = q->a[1];

	if (bit < 0)
		return EINVAL;
	uint64_t w = (unsigned)bit / 64, b = 1ull << (bit % 64);
	if (!!(m->msr_on[w] & b) == on)
		return EEXIST;
	m->msr_on[w] ^= b;
	m->msr_onchange[w] = q->a[5] && on ? m->msr_onchange[w] | b :
					     m->msr_onchange[w] & ~b;
	m->n_msr += on ? 1 : -1;
	m->enabled = (m->enabled & ~(1u << VMT_XSIM_MON_MSR)) |
		     (uint32_t)(m->n_msr > 0) << VMT_XSIM_MON_MSR;
	return 0;
}

static void op_toggle(struct vmt_sim_server *s, const struct vmt_xsim_req *q,
		      struct reply *rp)
{
	struct vmt_sim_dom *d = alive_dom(s->h, q->dom, rp);
	unsigned kind = (unsigned)q->a[0];
	bool on = q->a[1];

	if (!d)
		return;
	struct vmt_sim_mon *m = &d->mon;
	if (kind == VMT_XSIM_MON_EACH_REP) {
		/* emulate_each_rep exists from Xen 4.7 (ABI 1 = 4.6 here) */
		if (s->h->abi < 2)
			rp->r.err = EOPNOTSUPP;
		m->each_rep = on;
		return;
	}
	if (kind > 30 || !(vmt_sim_caps(s->h->abi) & (1u << kind)) ||
	    kind == VMT_XSIM_MON_INTERRUPT) {
		rp->r.err = EOPNOTSUPP;
		return;
	}
	switch (kind) {
	case VMT_XSIM_MON_CTRLREG:
		rp->r.err = toggle_cr(m, q);
		return;
	case VMT_XSIM_MON_MSR:
		rp->r.err = toggle_msr(m, q);
		return;
	case VMT_XSIM_MON_INGUEST_PF:
		m->inguest_pf = on;   /* a mode switch, never EEXIST */
		return;
	}
	rp->r.err = set_flag(m, kind, on);
	if (rp->r.err)
		return;
	if (kind == VMT_XSIM_MON_GUEST_REQUEST) {
		m->gr_sync = on && q->a[2];
		m->gr_user = on && q->a[5];
	} else if (kind == VMT_XSIM_MON_DEBUG) {
		m->dbg_sync = on && q->a[2];
	} else if (kind == VMT_XSIM_MON_VMEXIT) {
		m->vmexit_sync = on && q->a[2];
	}
}

/*
 * XENMEM_access_op_set_access(_multi) (common/mem_access.c
 * mem_access_memop): -ENODEV without a monitor ring; a range reaching past
 * the last gfn (or nr = 0) is -EINVAL; _multi checks no range.
 */
static void op_mem_access(struct vmt_sim_server *s,
			  const struct vmt_xsim_req *q, struct reply *rp)
{
	struct vmt_sim_dom *d = alive_dom(s->h, q->dom, rp);
	uint64_t first = q->a[1], nr = q->a[2], last = s->h->sc.memory - 1;

	if (!d)
		return;
	if (!d->ring.enabled) {
		rp->r.err = ENODEV;
		return;
	}
	if (!q->a[3] && first != ~0ull &&
	    (first + nr - 1 < first || first + nr - 1 > last)) {
		rp->r.err = EINVAL;
		return;
	}
	rp->r.err = -vmt_sim_mem_set(s->h, d, 0, q->a[0], first, nr);
}

/* XENMEM_access_op_get_access: -ENODEV without a ring, -EINVAL past the
 * last gfn. */
static void op_get_access(struct vmt_sim_server *s,
			  const struct vmt_xsim_req *q, struct reply *rp)
{
	struct vmt_sim_dom *d = alive_dom(s->h, q->dom, rp);
	uint8_t a = 0;

	if (!d)
		return;
	if (!d->ring.enabled)
		rp->r.err = ENODEV;
	else if (q->a[0] != ~0ull && q->a[0] >= s->h->sc.memory)
		rp->r.err = EINVAL;
	else
		rp->r.err = -vmt_sim_mem_get(s->h, d, 0, q->a[0], &a);
	rp->r.ret = a;
}

/* XEN_DOMCTL_set_access_required (common/domctl.c): every p2m of the
 * domain (arch_p2m_set_access_required). */
static void op_access_required(struct vmt_sim_server *s,
			       const struct vmt_xsim_req *q, struct reply *rp)
{
	struct vmt_sim_dom *d = alive_dom(s->h, q->dom, rp);

	if (d)
		d->access_required = q->a[0] != 0;
}

/* XEN_DOMCTL_debug_op (arch/x86/domctl.c, hvm_debug_op): the vCPU's
 * single_step flag, the one TOGGLE_SINGLESTEP flips. */
static void op_debug_control(struct vmt_sim_server *s,
			     const struct vmt_xsim_req *q, struct reply *rp)
{
	struct vmt_sim_dom *d = alive_dom(s->h, q->dom, rp);

	if (!d)
		return;
	if (q->a[1] >= d->nvcpus)
		rp->r.err = EINVAL;
	else if (q->a[0] > 1)     /* SINGLE_STEP_OFF = 0, _ON = 1 */
		rp->r.err = ENOSYS;
	else
		d->vcpu[q->a[1]].singlestep = q->a[0] == 1;
}

_Static_assert(VMT_REG_COUNT <= VMT_XSIM_REG_XCR0,
	       "the register block fits the wire's register array");

/* XEN_DOMCTL_getvcpucontext / gethvmcontext: the vCPU's register state,
 * the one its requests carry. */
/* vCPU a[0] of a live domain; Return: it, or NULL with the error set
 * (ENOENT: no such vCPU, as hvm_save_one). */
static struct vmt_sim_vcpu *live_vcpu(struct vmt_sim_server *s,
				      const struct vmt_xsim_req *q,
				      struct reply *rp)
{
	struct vmt_sim_dom *d = alive_dom(s->h, q->dom, rp);

	if (d && q->a[0] >= d->nvcpus)
		rp->r.err = ENOENT;
	if (!d || rp->r.err)
		return NULL;
	rp->r.ret = d->nvcpus;
	return &d->vcpu[q->a[0]];
}

static void op_vcpu_get(struct vmt_sim_server *s, const struct vmt_xsim_req *q,
			struct reply *rp)
{
	struct vmt_sim_vcpu *v = live_vcpu(s, q, rp);
	uint64_t out[VMT_XSIM_REGS] = { 0 };

	if (!v)
		return;
	_Static_assert(sizeof(rp->small) >= sizeof(out),
		       "reply buffer holds a register block");
	memcpy(out, v->reg, sizeof(v->reg));
	out[VMT_XSIM_REG_XCR0] = v->xcr0;
	memcpy(rp->small, out, sizeof(out));
	rp->data = rp->small;
	rp->r.len = VMT_XSIM_REGS * sizeof(uint64_t);
}

/* XEN_DOMCTL_setvcpucontext (arch_set_info_guest: an HVM vCPU takes the
 * GPRs, rip, rflags and debug registers) and sethvmcontext (all). */
static void op_vcpu_set(struct vmt_sim_server *s, const struct vmt_xsim_req *q,
			struct reply *rp)
{
	struct vmt_sim_vcpu *v = live_vcpu(s, q, rp);

	if (!v)
		return;
	if (q->a[1] == VMT_XSIM_SET_ALL) {
		memcpy(v->reg, q->regs, sizeof(v->reg));
		v->xcr0 = q->regs[VMT_XSIM_REG_XCR0];
		return;
	}
	for (unsigned r = VMT_REG_RAX; r <= VMT_REG_RFLAGS; r++)
		v->reg[r] = q->regs[r];
	v->reg[VMT_REG_RIP] = q->regs[VMT_REG_RIP];
	v->reg[VMT_REG_DR6] = q->regs[VMT_REG_DR6];
	v->reg[VMT_REG_DR7] = q->regs[VMT_REG_DR7];
}

/* XEN_DOMCTL_max_mem: any value (Xen 4.17 dropped the tot_pages check). */
static void op_set_maxmem(struct vmt_sim_server *s,
			  const struct vmt_xsim_req *q, struct reply *rp)
{
	struct vmt_sim_dom *d = alive_dom(s->h, q->dom, rp);

	if (d)
		d->max_pages = q->a[0] > UINT32_MAX ? UINT32_MAX : q->a[0];
}

/* HVMOP_get_param / set_param: an index past HVM_NR_PARAMS is -EINVAL;
 * HVM_PARAM_ALTP2M takes disabled..limited (hvm_allow_set_param). */
static void op_hvm_param(struct vmt_sim_server *s,
			 const struct vmt_xsim_req *q, struct reply *rp)
{
	struct vmt_sim_dom *d = alive_dom(s->h, q->dom, rp);
	uint64_t idx = q->a[0], val = q->a[2];

	if (!d)
		return;
	if (idx >= VMT_XSIM_HVM_PARAMS) {
		rp->r.err = EINVAL;
		return;
	}
	if (!q->a[1]) {
		rp->r.ret = (int64_t)(idx == VMT_XSIM_HVM_PARAM_ALTP2M ?
				      d->altp2m.mode : d->hvm_param[idx]);
		return;
	}
	if (idx == VMT_XSIM_HVM_PARAM_ALTP2M) {
		if (val > VMT_ALTP2M_LIMITED)
			rp->r.err = EINVAL;
		else
			d->altp2m.mode = (uint8_t)val;
		return;
	}
	d->hvm_param[idx] = val;
}

static void op_altp2m(struct vmt_sim_server *s, const struct vmt_xsim_req *q,
		      struct reply *rp)
{
	struct vmt_sim_dom *d = alive_dom(s->h, q->dom, rp);
	uint64_t out = 0;

	if (!d)
		return;
	rp->r.err = -vmt_sim_altp2m_op(s->h, d, (unsigned)q->a[0], q->a + 1,
				       &out);
	rp->r.ret = (int64_t)out;
}

static void op_inject(struct vmt_sim_server *s, const struct vmt_xsim_req *q,
		      struct reply *rp)
{
	struct vmt_sim_dom *d = alive_dom(s->h, q->dom, rp);

	if (!d)
		return;
	if (q->a[0] >= d->nvcpus) {
		rp->r.err = EINVAL;
		return;
	}
	d->vcpu[q->a[0]].injected++;
	d->c.reinjected_traps++;
}

static void op_bind(struct vmt_sim_server *s, struct vmt_sim_conn *c,
		    const struct vmt_xsim_req *q, struct reply *rp)
{
	struct vmt_sim_dom *d = alive_dom(s->h, q->dom, rp);
	int sp[2], up;

	if (!d)
		return;
	struct vmt_sim_ring *r = &d->ring;
	if (!r->enabled || r->port != q->a[0]) {
		rp->r.err = EINVAL;
		return;
	}
	if (r->bound) {
		rp->r.err = EBUSY;
		return;
	}
	up = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (up < 0 || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK |
				 SOCK_CLOEXEC, 0, sp) < 0) {
		rp->r.err = errno;
		if (up >= 0)
			close(up);
		return;
	}
	r->bound = true;
	r->up_fd = up;
	r->notify_fd = sp[0];
	r->local_port = s->h->next_port++;
	r->bind_owner = c;
	s->h->on_notify_fd(s->h, d, true);
	rp->r.ret = r->local_port;
	rp->fds[0] = up;
	rp->fds[1] = sp[1];
	rp->nfds = 2;
	rp->close_fds = true;   /* only sp[1]: see send_reply() */
}

static void op_unbind(struct vmt_sim_server *s, struct vmt_sim_conn *c,
		      const struct vmt_xsim_req *q, struct reply *rp)
{
	for (uint32_t i = 0; i < s->h->n_dom; i++) {
		struct vmt_sim_dom *d = &s->h->dom[i];
		if (d->ring.bound && d->ring.local_port == q->a[0] &&
		    d->ring.bind_owner == c) {
			vmt_sim_unbind(s->h, d);
			return;
		}
	}
	rp->r.err = EINVAL;
}

/* /local/domain/<id>/name and .../domid, like a real xenstore. */
static void host_xs(struct vmt_sim_server *s, const struct vmt_xsim_req *q,
		    struct reply *rp)
{
	const char *p = q->path, *pre = "/local/domain";
	size_t n = strlen(pre);
	char tail[32] = "";
	unsigned id;
	int len = 0;

	if (strncmp(p, pre, n) || (p[n] && p[n] != '/')) {
		rp->r.err = ENOENT;
		return;
	}
	if (!p[n] || !p[n + 1]) {      /* the directory of domains */
		if (q->op != VMT_XSIM_OP_XS_DIR) {
			rp->data = "";
			rp->r.len = 1;
			return;
		}
		for (uint32_t i = 0; i < s->h->n_dom; i++)
			if (s->h->dom[i].state != VMT_DOM_GONE)
				len += snprintf(rp->small + len,
						sizeof(rp->small) - (size_t)len,
						"%u", s->h->dom[i].id) + 1;
		rp->data = rp->small;
		rp->r.len = (uint32_t)len;
		return;
	}
	if (sscanf(p + n, "/%u%31s", &id, tail) < 1 || !find_dom(s->h, id)) {
		rp->r.err = ENOENT;
		return;
	}
	const struct vmt_sim_dom *d = find_dom(s->h, id);
	if (q->op == VMT_XSIM_OP_XS_DIR && !tail[0]) {
		memcpy(rp->small, "name\0domid", 11);
		rp->data = rp->small;
		rp->r.len = 11;
	} else if (q->op == VMT_XSIM_OP_XS_READ && !strcmp(tail, "/name")) {
		rp->data = d->name;
		rp->r.len = (uint32_t)strlen(d->name) + 1;
	} else if (q->op == VMT_XSIM_OP_XS_READ && !strcmp(tail, "/domid")) {
		rp->r.len = (uint32_t)snprintf(rp->small, sizeof(rp->small),
					       "%u", d->id) + 1;
		rp->data = rp->small;
	} else {
		rp->r.err = ENOENT;
	}
}

/* Written nodes (store.c) shadow the host's and add to its directories. */
static void op_xs(struct vmt_sim_server *s, const struct vmt_xsim_req *q,
		  struct reply *rp)
{
	if (q->op == VMT_XSIM_OP_XS_READ && vmt_sim_store_read(s, q->path, rp))
		return;
	host_xs(s, q, rp);
	if (q->op != VMT_XSIM_OP_XS_DIR)
		return;
	size_t len = rp->r.err ? 0 : rp->r.len;
	if (len && rp->data != rp->small)
		return;
	len = vmt_sim_store_children(s, q->path, rp->small, len,
				     sizeof(rp->small));
	if (len) {
		rp->r.err = 0;
		rp->data = rp->small;
		rp->r.len = (uint32_t)len;
	}
}

static void op_xs_change(struct vmt_sim_server *s, const struct vmt_xsim_req *q,
			 struct reply *rp)
{
	struct reply host = { 0 };
	struct vmt_xsim_req dir = *q;

	dir.op = VMT_XSIM_OP_XS_DIR;
	host_xs(s, &dir, &host);
	if (host.r.err) {
		dir.op = VMT_XSIM_OP_XS_READ;
		memset(&host, 0, sizeof(host));
		host_xs(s, &dir, &host);
	}
	vmt_sim_store_change(s, q, !host.r.err, rp);
}

static void op_stats(struct vmt_sim_server *s, struct reply *rp)
{
	size_t len = 0;

	rp->heap = vmt_sim_stats_json(s->h, &len);
	if (!rp->heap || len + 1 > VMT_XSIM_MSG_MAX - sizeof(rp->r)) {
		rp->r.err = ENOMEM;
		return;
	}
	rp->data = rp->heap;
	rp->r.len = (uint32_t)len + 1;
}

/* Xen handles a notify inside the sender's hypercall; here a notify may
 * still sit in a socket when the same consumer's next call arrives, so
 * pending notifies are handled first to keep the consumer's order. */
bool vmt_sim_drain_notify(struct vmt_sim_dom *d, bool all)
{
	char buf[64];
	bool any = false;

	/* From epoll one datagram is enough (level-triggered: more wake us
	 * again), which saves a syscall per round trip. */
	while (d->ring.bound && d->ring.notify_fd >= 0 &&
	       recv(d->ring.notify_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
		any = true;
		if (!all)
			break;
	}
	return any;
}

static void flush_notifies(struct vmt_sim_host *h)
{
	for (uint32_t i = 0; i < h->n_dom; i++)
		if (vmt_sim_drain_notify(&h->dom[i], true))
			vmt_sim_ring_consume(h, &h->dom[i]);
}

void vmt_sim_dispatch(struct vmt_sim_server *s, struct vmt_sim_conn *c,
		     const struct vmt_xsim_req *q, struct reply *rp)
{
	flush_notifies(s->h);
	switch (q->op) {
	case VMT_XSIM_OP_HELLO:
		rp->r.err = q->a[0] == VMT_XSIM_PROTO_VERSION ? 0 : EPROTO;
		break;
	case VMT_XSIM_OP_DOMINFO: op_dominfo(s, q, rp); break;
	case VMT_XSIM_OP_DOM_PAUSE:
	case VMT_XSIM_OP_DOM_UNPAUSE: op_pause(s, q, rp); break;
	case VMT_XSIM_OP_MAX_GPFN:
		if (alive_dom(s->h, q->dom, rp))
			rp->r.ret = (int64_t)s->h->sc.memory - 1;
		break;
	case VMT_XSIM_OP_ABI:
	case VMT_XSIM_OP_XEN_VERSION: op_version(s, q, rp); break;
	case VMT_XSIM_OP_MON_ENABLE: op_enable(s, c, q, rp); break;
	case VMT_XSIM_OP_MON_DISABLE:
	case VMT_XSIM_OP_MON_RESUME:
	case VMT_XSIM_OP_MON_CAPS: op_ring(s, q, rp); break;
	case VMT_XSIM_OP_MON_TOGGLE: op_toggle(s, q, rp); break;
	case VMT_XSIM_OP_MEM_ACCESS: op_mem_access(s, q, rp); break;
	case VMT_XSIM_OP_GET_MEM_ACCESS: op_get_access(s, q, rp); break;
	case VMT_XSIM_OP_INJECT: op_inject(s, q, rp); break;
	case VMT_XSIM_OP_EVT_BIND: op_bind(s, c, q, rp); break;
	case VMT_XSIM_OP_EVT_UNBIND: op_unbind(s, c, q, rp); break;
	case VMT_XSIM_OP_XS_READ:
	case VMT_XSIM_OP_XS_DIR: op_xs(s, q, rp); break;
	case VMT_XSIM_OP_XS_WATCH:
	case VMT_XSIM_OP_XS_UNWATCH: vmt_sim_store_watch(s, c, q, rp); break;
	case VMT_XSIM_OP_XS_WRITE:
	case VMT_XSIM_OP_XS_RM: op_xs_change(s, q, rp); break;
	case VMT_XSIM_OP_STATS: op_stats(s, rp); break;
	case VMT_XSIM_OP_SHUTDOWN: s->stop = true; break;
	case VMT_XSIM_OP_ACCESS_REQUIRED: op_access_required(s, q, rp); break;
	case VMT_XSIM_OP_DEBUG_CONTROL: op_debug_control(s, q, rp); break;
	case VMT_XSIM_OP_ALTP2M: op_altp2m(s, q, rp); break;
	case VMT_XSIM_OP_VCPU_GET: op_vcpu_get(s, q, rp); break;
	case VMT_XSIM_OP_VCPU_SET: op_vcpu_set(s, q, rp); break;
	case VMT_XSIM_OP_SET_MAXMEM: op_set_maxmem(s, q, rp); break;
	case VMT_XSIM_OP_HVM_PARAM: op_hvm_param(s, q, rp); break;
	default: rp->r.err = ENOSYS; break;
	}
}

