/*
 * xenctrl_tap.c - the tap's libxenctrl.so.4.17: every function of the real
 * library (or xensim's) is forwarded by a generated trampoline; only
 * xc_monitor_enable and xc_monitor_disable are wrapped, to hand the
 * consumer a shadow of the ring page and to stop capturing at the end,
 * and xc_domain_pause: once the domain is paused its ring holds every
 * request it will hold, and a consumer tearing down reads the ring
 * without waiting for an event (xen-access does), so it must all be in
 * the shadow already.
 */
#include <dlfcn.h>
#include <errno.h>
#include <string.h>

#include <xenctrl.h>

#include "tap_core.h"
#include "tap_stream.h"
#include "vmt/event.h"

#define EXPORT __attribute__((visibility("default")))

extern const char *const vmt_tap_names_ctrl[];
extern void *vmt_tap_fwd_ctrl[];

static struct {
	__typeof__(xc_monitor_enable) *enable;
	__typeof__(xc_monitor_disable) *disable;
	__typeof__(xc_domain_pause) *pause;
	__typeof__(xc_vm_event_get_version) *abi;     /* 4.13+ */
	__typeof__(xc_version) *version;
	__typeof__(xc_domain_getinfo) *getinfo;       /* gone after 4.17 */
} real;

/* dlsym returns a data pointer; function pointers share its
 * representation on every ELF host. */
static void sym(void *h, const char *name, void *slot)
{
	void *p = dlsym(h, name);
	memcpy(slot, &p, sizeof(p));
}

__attribute__((constructor)) static void load_target(void)
{
	void *h = vmt_tap_target(VMT_TAP_ENV_CTRL);

	vmt_tap_forward(h, vmt_tap_names_ctrl, vmt_tap_fwd_ctrl);
	sym(h, "xc_monitor_enable", &real.enable);
	sym(h, "xc_monitor_disable", &real.disable);
	sym(h, "xc_domain_pause", &real.pause);
	sym(h, "xc_vm_event_get_version", &real.abi);
	sym(h, "xc_version", &real.version);
	sym(h, "xc_domain_getinfo", &real.getinfo);
	if (!real.enable || !real.disable || !real.pause || !real.version)
		vmt_tap_missing();
}

/* What the trace header needs, asked of the consumer's own Xen. */
static void facts(xc_interface *xch, struct vmt_tap_facts *f, char *extra)
{
	int v = real.version(xch, XENVER_version, NULL);
	xen_extraversion_t ex;
	xc_dominfo_t info;

	if (v > 0) {
		f->xen_major = (uint32_t)v >> 16;
		f->xen_minor = (uint32_t)v & 0xffff;
	}
	if (!real.version(xch, XENVER_extraversion, &ex)) {
		memcpy(extra, ex, sizeof(ex));
		extra[sizeof(ex)] = '\0';
		f->xen_extra = extra;
	}
	int abi = real.abi ? real.abi(xch) : -1;
	if (abi <= 0)
		abi = vmt_abi_from_xen(f->xen_major, f->xen_minor);
	f->abi = abi > 0 ? (uint32_t)abi : 0;
	if (real.getinfo && real.getinfo(xch, f->domid, 1, &info) == 1 &&
	    info.domid == f->domid)
		f->vcpus = info.max_vcpu_id + 1;
}

EXPORT void *xc_monitor_enable(xc_interface *xch, uint32_t domain_id,
			       uint32_t *port)
{
	void *page = real.enable(xch, domain_id, port);
	if (!page)
		return NULL;
	int saved = errno;
	char extra[sizeof(xen_extraversion_t) + 1] = "";
	struct vmt_tap_facts f = { .domid = domain_id };
	facts(xch, &f, extra);
	page = vmt_tap_attach(&f, page);
	errno = saved;
	return page;
}

EXPORT int xc_monitor_disable(xc_interface *xch, uint32_t domain_id)
{
	int rc = real.disable(xch, domain_id);
	int saved = errno;
	if (!rc)
		vmt_tap_detach(domain_id);
	errno = saved;
	return rc;
}

EXPORT int xc_domain_pause(xc_interface *xch, uint32_t domid)
{
	int rc = real.pause(xch, domid);
	int saved = errno;
	vmt_tap_pull();
	errno = saved;
	return rc;
}
