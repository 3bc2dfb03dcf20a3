/*
 * session.c - the recorder's conversation with Xen outside the hot path:
 * loading the libraries, finding the domain, learning the ABI version,
 * checking capabilities, enabling the ring and the event sources, and the
 * teardown every exit path goes through (vm_event-abi.md 8.1, 10, 11).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "record_int.h"

/* ---- Xen's own diagnostics go to our log, at debug level ---- */

static void quiet_vmessage(struct xentoollog_logger *l, xentoollog_level level,
			 int errnoval, const char *context, const char *fmt,
			 va_list ap)
{
	struct vmt_xen_logger *x = (struct vmt_xen_logger *)l;
	char msg[sizeof(x->last_error)];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	vmt_log(VMT_LOG_DEBUG, "%s: %s", context ? context : "xen", msg);
	if (level >= XTL_ERROR)
		memcpy(x->last_error, msg, sizeof(msg));
}

static void quiet_progress(struct xentoollog_logger *l, const char *context,
			 const char *doing, int percent, unsigned long done,
			 unsigned long total)
{
}

static void quiet_destroy(struct xentoollog_logger *l)
{
}

static xentoollog_logger *xen_logger(struct vmt_recorder *r)
{
	r->xlog.l = (xentoollog_logger){ quiet_vmessage, quiet_progress,
					 quiet_destroy };
	r->xlog.last_error[0] = '\0';
	return &r->xlog.l;
}

/* ---- opening ---- */

static int load_and_open(struct vmt_recorder *r, const char *libdir,
			 struct vmt_rec_error *err)
{
	char why[600];
	int rc = vmt_xen_load(&r->xen, libdir, why, sizeof(why));
	if (rc && !libdir)
		return VMT_ERR(err, rc, VMT_STAGE_LIBS,
			       "no Xen found: %s (install the Xen tools, or "
			       "to record a simulated guest use --sim)", why);
	if (rc)
		return VMT_ERR(err, rc, VMT_STAGE_LIBS,
			       "cannot load the Xen libraries: %s", why);
	r->xch = r->xen.xc_interface_open(xen_logger(r), xen_logger(r), 0);
	if (!r->xch) {
		rc = -(errno ? errno : ENODEV);
		if (!libdir)
			return VMT_ERR(err, rc, VMT_STAGE_NOXEN,
				       "no Xen hypervisor found (cannot open the "
				       "Xen control interface: %s); to record a "
				       "simulated guest use --sim",
				       strerror(-rc));
		if (r->xlog.last_error[0])
			return VMT_ERR(err, rc, VMT_STAGE_NOXEN,
				       "cannot open the Xen control interface: "
				       "%s", r->xlog.last_error);
		return VMT_ERR(err, rc, VMT_STAGE_NOXEN,
			       "cannot open the Xen control interface of %s: "
			       "%s", libdir, strerror(-rc));
	}
	return 0;
}

/* xenstore: /local/domain/<id>/name.  @name NULL: look up @domid by name. */
static int store_name(struct vmt_recorder *r, uint32_t *domid, char *name,
		      size_t cap, const char *want)
{
	const struct vmt_xen *x = &r->xen;
	if (!x->xs_open || !x->xs_read || !x->xs_directory || !x->xs_close)
		return -ENOSYS;
	struct xs_handle *h = x->xs_open(0);
	if (!h)
		return -(errno ? errno : EIO);
	int rc = -ENOENT;
	unsigned n = 0;
	char **ids = want ? x->xs_directory(h, XBT_NULL, "/local/domain", &n) :
			    NULL;
	for (unsigned i = 0; want && ids && i < n && rc; i++) {
		char path[128];
		unsigned len;
		snprintf(path, sizeof(path), "/local/domain/%s/name", ids[i]);
		char *v = x->xs_read(h, XBT_NULL, path, &len);
		if (v && !strcmp(v, want)) {
			*domid = (uint32_t)strtoul(ids[i], NULL, 10);
			rc = 0;
		}
		free(v);
	}
	free(ids);
	if (!want) {
		char path[64];
		unsigned len;
		snprintf(path, sizeof(path), "/local/domain/%u/name", *domid);
		char *v = x->xs_read(h, XBT_NULL, path, &len);
		if (v)
			snprintf(name, cap, "%s", v);
		rc = v ? 0 : -ENOENT;
		free(v);
	}
	x->xs_close(h);
	return rc;
}

void vmt_session_domain_name(struct vmt_recorder *r, uint32_t domid,
			     char *out, size_t cap)
{
	if (store_name(r, &domid, out, cap, NULL))
		out[0] = '\0';
}

static int resolve_domain(struct vmt_recorder *r, const char *dom,
			  struct vmt_rec_error *err)
{
	char *end;
	errno = 0;
	unsigned long id = strtoul(dom, &end, 10);
	if (*dom && !*end && !errno && id < 0x7ff0) {
		r->domid = (uint32_t)id;
		store_name(r, &r->domid, r->info.domain_name,
			   sizeof(r->info.domain_name), NULL);
		return 0;
	}
	int rc = store_name(r, &r->domid, NULL, 0, dom);
	if (rc == -ENOSYS)
		return VMT_ERR(err, rc, VMT_STAGE_DOMAIN,
			       "cannot look up domain name '%s': no libxenstore "
			       "(give the domain id instead)", dom);
	if (rc)
		return VMT_ERR(err, rc, VMT_STAGE_DOMAIN,
			       "no domain named '%s' (xenstore: %s)", dom,
			       strerror(-rc));
	snprintf(r->info.domain_name, sizeof(r->info.domain_name), "%s", dom);
	return 0;
}

static int domain_info(struct vmt_recorder *r, xc_dominfo_t *di)
{
	memset(di, 0, sizeof(*di));
	int n = r->xen.xc_domain_getinfo(r->xch, r->domid, 1, di);
	if (n < 0)
		return -(errno ? errno : EIO);
	return (n == 1 && di->domid == r->domid) ? 0 : -ESRCH;
}

int vmt_session_domain_alive(struct vmt_recorder *r)
{
	xc_dominfo_t di;
	return domain_info(r, &di) == 0 && !di.dying && !di.shutdown;
}

static int learn_versions(struct vmt_recorder *r, struct vmt_rec_error *err)
{
	int v = r->xen.xc_version(r->xch, XENVER_version, NULL);
	if (v < 0)
		return VMT_ERR(err, -errno, VMT_STAGE_XEN,
			       "cannot read the Xen version: %s",
			       strerror(errno));
	r->info.xen_major = (uint32_t)v >> 16;
	r->info.xen_minor = (uint32_t)v & 0xffff;
	xen_extraversion_t extra = { 0 };
	if (r->xen.xc_version(r->xch, XENVER_extraversion, &extra) == 0)
		snprintf(r->info.xen_extra, sizeof(r->info.xen_extra), "%.*s",
			 (int)sizeof(extra), extra);
	int abi = r->xen.xc_vm_event_get_version ?
			  r->xen.xc_vm_event_get_version(r->xch) : -1;
	if (abi <= 0)
		abi = vmt_abi_from_xen(r->info.xen_major, r->info.xen_minor);
	if (abi < VMT_ABI_MIN || abi > VMT_ABI_MAX)
		return VMT_ERR(err, -VMT_E_ABI, VMT_STAGE_XEN,
			       "Xen %u.%u speaks vm_event interface version %d, "
			       "which this recorder does not know (" VMT_ABI_RANGE ")",
			       r->info.xen_major, r->info.xen_minor, abi);
	r->info.abi_version = (uint32_t)abi;
	r->info.req_size = r->info.rsp_size = (uint32_t)vmt_abi_entry_size(abi);
	r->info.page_size = VMT_RING_PAGE;
	return 0;
}

/* XEN_DOMCTL_MONITOR_EVENT_* bit of each simple kind. */
static const int kind_cap[VMT_MON_KIND_COUNT] = {
	[VMT_MON_BREAKPOINT] = 3, [VMT_MON_CPUID] = 6, [VMT_MON_DEBUG] = 5,
	[VMT_MON_DESC_ACCESS] = 9, [VMT_MON_EMUL_UNIMPL] = 10,
	[VMT_MON_GUEST_REQUEST] = 4, [VMT_MON_PRIVCALL] = 7,
	[VMT_MON_SINGLESTEP] = 2, [VMT_MON_VMEXIT] = 12,
};
static const char *const kind_opt[VMT_MON_KIND_COUNT] = {
	"breakpoint", "cpuid", "debug", "desc-access", "emul-unimpl",
	"guest-request", "privcall", "singlestep", "vmexit",
};

/* The libxenctrl entry point of a kind, if this library has it. */
static int kind_available(const struct vmt_xen *x, int k)
{
	switch (k) {
	case VMT_MON_BREAKPOINT:
	case VMT_MON_DEBUG:
		/* Useless without re-injection: the guest would lose traps. */
		return x->xc_hvm_inject_trap &&
		       (k == VMT_MON_BREAKPOINT || x->xc_monitor_debug_exceptions);
	case VMT_MON_CPUID: return !!x->xc_monitor_cpuid;
	case VMT_MON_DESC_ACCESS: return !!x->xc_monitor_descriptor_access;
	case VMT_MON_EMUL_UNIMPL: return !!x->xc_monitor_emul_unimplemented;
	case VMT_MON_PRIVCALL: return !!x->xc_monitor_privileged_call;
	case VMT_MON_VMEXIT: return !!x->xc_monitor_vmexit;
	default: return 1;
	}
}

static int kind_ok(const struct vmt_recorder *r, int k)
{
	return (r->caps & (1u << kind_cap[k])) && kind_available(&r->xen, k);
}

/* Best effort (the default set): drop what this Xen cannot do. */
static void drop_unsupported(struct vmt_recorder *r, int cr_ok, int msr_ok)
{
	struct vmt_monitors *m = &r->mon;
	if (!cr_ok)
		memset(m->cr, 0, sizeof(m->cr));
	if (!msr_ok)
		m->n_msr = 0;
	for (int k = 0; k < VMT_MON_KIND_COUNT; k++)
		if (!kind_ok(r, k))
			m->on[k] = VMT_MON_OFF;
}

static int check_caps(struct vmt_recorder *r, int best_effort,
		      struct vmt_rec_error *err)
{
	const struct vmt_monitors *m = &r->mon;
	if (r->xen.xc_monitor_get_capabilities(r->xch, r->domid, &r->caps))
		return VMT_ERR(err, -errno, VMT_STAGE_CAPS,
			       "cannot read the monitor capabilities of domain "
			       "%u: %s", r->domid, strerror(errno));
	/* Before 4.8 the MSR call could not select MSRs. */
	int cr_ok = r->caps & 1u;
	int msr_ok = (r->caps & 2u) &&
		     r->xen.ctrl_release >= VMT_XEN_REL(4u, 8u);
	if (best_effort) {
		drop_unsupported(r, cr_ok, msr_ok);
		if (!vmt_monitors_empty(m))
			return 0;
	}
	const char *miss = NULL;
	if ((m->cr[0] | m->cr[1] | m->cr[2] | m->cr[3]) && !cr_ok)
		miss = "control-register writes (--cr)";
	if (m->n_msr && !msr_ok)
		miss = "MSR writes (--msr; needs libxenctrl 4.8+)";
	for (int k = 0; k < VMT_MON_KIND_COUNT && !miss; k++)
		if (m->on[k] && !kind_ok(r, k))
			miss = kind_opt[k];
	if (best_effort && !miss)
		miss = "any of the default monitors";
	if (miss)
		return VMT_ERR(err, -EOPNOTSUPP, VMT_STAGE_CAPS,
			       "this Xen (%u.%u) cannot monitor %s for domain "
			       "%u (capabilities 0x%x)", r->info.xen_major,
			       r->info.xen_minor, miss, r->domid, r->caps);
	return 0;
}

/* ---- the ring ---- */

static void ring_init(struct vmt_recorder *r)
{
	/* SHARED_RING_INIT: indices 0, events 1, padding 0. */
	uint32_t *w = r->ring;
	memset((uint8_t *)r->ring + 16, 0, VMT_RING_HDR - 16);
	__atomic_store_n(&w[0], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&w[1], 1, __ATOMIC_RELAXED);
	__atomic_store_n(&w[2], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&w[3], 1, __ATOMIC_SEQ_CST);
	r->req_cons = 0;
}

static int enable_ring(struct vmt_recorder *r, const char *dom,
		       struct vmt_rec_error *err)
{
	r->ring = r->xen.xc_monitor_enable(r->xch, r->domid, &r->remote_port);
	if (!r->ring && errno == EBUSY)
		return VMT_ERR(err, -EBUSY, VMT_STAGE_BUSY,
			       "domain %u already has a vm_event monitor ring "
			       "(EBUSY): another monitor is attached, or one "
			       "ended without detaching (killed?).  If no other "
			       "monitor is running, clear it with: "
			       "vmtrail-record %s-d %s --release", r->domid,
			       r->xen.libdir[0] ? "--sim " : "", dom);
	if (!r->ring)
		return VMT_ERR(err, -errno, VMT_STAGE_XEN,
			       "cannot enable the monitor ring of domain %u: %s",
			       r->domid, strerror(errno));
	r->ring_enabled = 1;
	ring_init(r);
	vmt_drain_shadow_init(r);
	r->xce = r->xen.xenevtchn_open(xen_logger(r), 0);
	if (!r->xce)
		return VMT_ERR(err, -errno, VMT_STAGE_XEN,
			       "cannot open the event-channel device: %s",
			       strerror(errno));
	r->local_port = r->xen.xenevtchn_bind_interdomain(r->xce, r->domid,
							   r->remote_port);
	if (r->local_port < 0)
		return VMT_ERR(err, -errno, VMT_STAGE_XEN,
			       "cannot bind to event channel %u of domain %u: %s",
			       r->remote_port, r->domid, strerror(errno));
	return 0;
}

int vmt_session_open(struct vmt_recorder *r, const struct vmt_recorder_opts *o,
		     struct vmt_rec_error *err)
{
	xc_dominfo_t di;
	int rc = load_and_open(r, o->xen_libdir, err);
	if (!rc)
		rc = resolve_domain(r, o->domain, err);
	if (!rc && (rc = domain_info(r, &di)))
		rc = VMT_ERR(err, rc, VMT_STAGE_DOMAIN,
			     "domain %u does not exist", r->domid);
	if (!rc && (di.dying || di.shutdown))
		rc = VMT_ERR(err, -ESRCH, VMT_STAGE_DOMAIN,
			     "domain %u is shutting down", r->domid);
	/* Checked before the file and the ring exist: a refusal touches
	 * nothing.  Unpausing a running domain would fail in Xen (EINVAL at
	 * a pause count of 0) or, worse, drop someone else's pause. */
	if (!rc && o->unpause && !di.paused)
		rc = VMT_ERR(err, -EINVAL, VMT_STAGE_DOMAIN,
			     "domain %u is not paused, so it cannot be recorded "
			     "from its first instruction: create it paused "
			     "(xl create -p, xensim --paused), or record it "
			     "without --unpause", r->domid);
	if (rc)
		return rc;
	r->info.domid = r->domid;
	r->info.vcpus = di.max_vcpu_id + 1;
	rc = learn_versions(r, err);
	if (!rc)
		rc = check_caps(r, o->best_effort, err);
	return rc;
}

/* Enables the ring and the sources; separate so the file exists first. */
int vmt_session_attach(struct vmt_recorder *r, const char *dom,
		       struct vmt_rec_error *err)
{
	int rc = enable_ring(r, dom, err);
	if (!rc)
		rc = vmt_session_sources(r, 1, err);
	return rc;
}

/*
 * Drop one toolstack pause: the one Xen's domain_create() leaves for the
 * toolstack (xl create -p keeps it).  Pauses nest, so a domain someone
 * else also paused stays paused until they unpause it too.
 */
int vmt_session_unpause(struct vmt_recorder *r, struct vmt_rec_error *err)
{
	if (r->xen.xc_domain_unpause(r->xch, r->domid))
		return VMT_ERR(err, -errno, VMT_STAGE_XEN,
			       "cannot unpause domain %u: %s", r->domid,
			       strerror(errno));
	return 0;
}

/* ---- event sources ---- */

static int kind_switch(struct vmt_recorder *r, int k, bool on, bool sync)
{
	const struct vmt_xen *x = &r->xen;
	uint32_t d = r->domid;
	switch (k) {
	case VMT_MON_BREAKPOINT: return x->xc_monitor_software_breakpoint(r->xch, d, on);
	case VMT_MON_CPUID: return x->xc_monitor_cpuid(r->xch, d, on);
	case VMT_MON_DEBUG: return x->xc_monitor_debug_exceptions(r->xch, d, on, sync);
	case VMT_MON_DESC_ACCESS: return x->xc_monitor_descriptor_access(r->xch, d, on);
	case VMT_MON_EMUL_UNIMPL: return x->xc_monitor_emul_unimplemented(r->xch, d, on);
	case VMT_MON_GUEST_REQUEST:
		if (x->ctrl_release < VMT_XEN_REL(4u, 10u))
			return ((vmt_xc_guest_request_pre410 *)(void *)
				x->xc_monitor_guest_request)(r->xch, (domid_t)d, on, sync);
		return x->xc_monitor_guest_request(r->xch, d, on, sync, true);
	case VMT_MON_PRIVCALL: return x->xc_monitor_privileged_call(r->xch, d, on);
	case VMT_MON_SINGLESTEP: return x->xc_monitor_singlestep(r->xch, d, on);
	case VMT_MON_VMEXIT: return x->xc_monitor_vmexit(r->xch, d, on, sync);
	}
	return -1;
}

/* The two calls whose prototypes changed, by library release. */
static int ctrlreg_switch(struct vmt_recorder *r, uint16_t i, bool on)
{
	const struct vmt_monitors *m = &r->mon;
	bool sync = m->cr[i] == VMT_MON_SYNC, change = !m->cr_all[i];
	if (r->xen.ctrl_release < VMT_XEN_REL(4u, 10u))
		return ((vmt_xc_write_ctrlreg_pre410 *)(void *)
			r->xen.xc_monitor_write_ctrlreg)(r->xch, (domid_t)r->domid,
							 i, on, sync, change);
	return r->xen.xc_monitor_write_ctrlreg(r->xch, r->domid, i, on, sync, 0,
					       change);
}

static int msr_switch(struct vmt_recorder *r, uint32_t msr, bool on)
{
	if (r->xen.ctrl_release < VMT_XEN_REL(4u, 11u))
		return ((vmt_xc_mov_to_msr_pre411 *)(void *)
			r->xen.xc_monitor_mov_to_msr)(r->xch, (domid_t)r->domid,
						      msr, on);
	return r->xen.xc_monitor_mov_to_msr(r->xch, r->domid, msr, on, false);
}

/*
 * Switch every selected source on or off.  Switching on stops at the first
 * failure; switching off tries everything (teardown must not give up) and
 * restores full access (rwx) over each restricted range.
 */
int vmt_session_sources(struct vmt_recorder *r, int enable,
			struct vmt_rec_error *err)
{
	const struct vmt_monitors *m = &r->mon;
	const struct vmt_xen *x = &r->xen;
	int first = 0;
	const char *what = NULL;
#define STEP(call, name)                                  \
	do {                                              \
		if ((call) && !first) {                   \
			first = -(errno ? errno : EIO);   \
			what = (name);                    \
			if (enable)                       \
				goto out;                 \
		}                                         \
	} while (0)
	if (enable)
		r->mon_on = 1;
	for (uint16_t i = 0; i < 4; i++)
		if (m->cr[i])
			STEP(ctrlreg_switch(r, i, enable), "--cr");
	for (unsigned i = 0; i < m->n_msr; i++)
		STEP(msr_switch(r, m->msr[i], enable), "--msr");
	for (int k = 0; k < VMT_MON_KIND_COUNT; k++)
		if (m->on[k])
			STEP(kind_switch(r, k, enable, m->on[k] == VMT_MON_SYNC),
			     kind_opt[k]);
	for (unsigned i = 0; i < m->n_mem; i++)
		STEP(x->xc_set_mem_access(r->xch, r->domid,
			enable ? (xenmem_access_t)m->mem[i].access : XENMEM_access_rwx,
			m->mem[i].first, (uint32_t)(m->mem[i].last - m->mem[i].first + 1)),
		     "--mem-access");
#undef STEP
out:
	if (!enable)
		r->mon_on = 0;
	if (first)
		return VMT_ERR(err, first, VMT_STAGE_XEN,
			       "cannot switch %s monitor %s for domain %u: %s",
			       enable ? "on" : "off", what, r->domid,
			       strerror(-first));
	return 0;
}

/* ---- teardown (vm_event-abi.md 8.1 step 8, 11.3) ---- */

static void notify(struct vmt_recorder *r)
{
	r->xen.xenevtchn_notify(r->xce, (evtchn_port_t)r->local_port);
}

/* Answer what is on the ring, domain paused so nothing new arrives. */
static void drain_paused(struct vmt_recorder *r, int alive)
{
	if (!r->ring || !r->xce || r->local_port < 0)
		return;
	if (!alive) {
		/* Nothing to answer for, but our mapping outlives the
		 * domain: keep the requests it placed before it died. */
		if (!r->ring_jumped)
			vmt_drain_ring(r);
		return;
	}
	if (!r->paused_by_us && r->xen.xc_domain_pause(r->xch, r->domid) == 0)
		r->paused_by_us = 1;
	if (r->ring_jumped)
		vmt_drain_salvage(r);
	else
		vmt_drain_ring(r);
	notify(r);
}

static void unpause(struct vmt_recorder *r)
{
	if (r->paused_by_us)
		r->xen.xc_domain_unpause(r->xch, r->domid);
	r->paused_by_us = 0;
}

static int disable_ring(struct vmt_recorder *r, int alive)
{
	/* A time budget, not a count of tries: on a loaded host the vCPUs
	 * waiting for ring space may take longer than a few tries to place
	 * their events, and giving up leaves the ring attached. */
	uint64_t deadline = vmt_now_ns() + 3000000000ull;
	int rc = 0;
	while (1) {
		drain_paused(r, alive);
		rc = r->xen.xc_monitor_disable(r->xch, r->domid) ? -errno : 0;
		if (rc != -EBUSY || vmt_now_ns() > deadline)
			break;
		/* A vCPU still waits for ring space: let it place its
		 * event, answer it, retry. */
		unpause(r);
		usleep(2000);
	}
	unpause(r);
	return rc;
}

void vmt_session_teardown(struct vmt_recorder *r)
{
	if (!r->ring_enabled)
		return;
	int alive = vmt_session_domain_alive(r);
	if (r->mon_on && alive) {
		struct vmt_rec_error e;
		if (vmt_session_sources(r, 0, &e))
			r->teardown_error = e.code;
	}
	int rc = disable_ring(r, alive);
	if (rc && alive) {
		vmt_log(VMT_LOG_WARN, "cannot disable the monitor ring of "
			"domain %u: %s", r->domid, strerror(-rc));
		r->teardown_error = rc;
	}
	r->ring_enabled = 0;
	if (r->xce && r->local_port >= 0)
		r->xen.xenevtchn_unbind(r->xce, (evtchn_port_t)r->local_port);
	r->local_port = -1;
	munmap(r->ring, VMT_RING_PAGE);
	r->ring = NULL;
}

void vmt_session_close(struct vmt_recorder *r)
{
	vmt_session_teardown(r);
	if (r->xce)
		r->xen.xenevtchn_close(r->xce);
	if (r->xch)
		r->xen.xc_interface_close(r->xch);
	r->xce = NULL;
	r->xch = NULL;
	vmt_xen_unload(&r->xen);
}

/*
 * A recorder killed between its teardown's pause and unpause leaves the
 * whole domain paused.  Xen keeps a pause count, not who paused: undoing
 * a pause an administrator took would be worse, so --release says how.
 */
static void warn_paused(struct vmt_recorder *r)
{
	xc_dominfo_t di;
	if (domain_info(r, &di) || !di.paused)
		return;
	vmt_log(VMT_LOG_WARN, "domain %u is still paused: a recorder killed "
		"during its teardown leaves it so; if nobody else paused it, "
		"run 'xl unpause %u'", r->domid, r->domid);
}

int vmt_recorder_release(const char *xen_libdir, const char *domain,
			 uint32_t *domid, struct vmt_rec_error *err)
{
	struct vmt_recorder *r = calloc(1, sizeof(*r));
	if (!r)
		return VMT_ERR(err, -ENOMEM, VMT_STAGE_RUN, "out of memory");
	int rc = load_and_open(r, xen_libdir, err);
	if (!rc)
		rc = resolve_domain(r, domain, err);
	if (!rc && r->xen.xc_monitor_disable(r->xch, r->domid))
		rc = VMT_ERR(err, -errno, VMT_STAGE_XEN,
			     "cannot disable the monitor ring of domain %u: %s",
			     r->domid, strerror(errno));
	if (!rc)
		warn_paused(r);
	if (domid)
		*domid = r->domid;
	vmt_session_close(r);
	free(r);
	return rc;
}
