/*
 * compat.c - the older libxenctrl names that LibVMI's Xen driver still
 * resolves for Xen 4.17: the compat event-channel and foreign-map calls,
 * which Xen's libxenctrl implements by calling libxenevtchn and
 * libxenforeignmemory (tools/libs/ctrl/xc_evtchn_compat.c,
 * xc_foreign_memory.c), the raw xc_domctl, the unsigned-long HVM parameter
 * calls and the TSC information.  Here the event-channel code of
 * xenevtchn.c is linked in (its names stay local to this library) and the
 * maps share fmem.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#define XC_WANT_COMPAT_EVTCHN_API 1
#define XC_WANT_COMPAT_MAP_FOREIGN_API 1
#include <xenctrl.h>
#include <xenevtchn.h>

#include "client.h"

/* ---- event channels (tools/libs/ctrl/xc_evtchn_compat.c) --------------- */

XSIM_EXPORT xc_evtchn *xc_evtchn_open(xentoollog_logger *logger,
				      unsigned open_flags)
{
	return xenevtchn_open(logger, open_flags);
}

XSIM_EXPORT int xc_evtchn_close(xc_evtchn *xce)
{
	return xenevtchn_close(xce);
}

XSIM_EXPORT int xc_evtchn_fd(xc_evtchn *xce)
{
	return xenevtchn_fd(xce);
}

XSIM_EXPORT int xc_evtchn_notify(xc_evtchn *xce, evtchn_port_t port)
{
	return xenevtchn_notify(xce, port);
}

XSIM_EXPORT xc_evtchn_port_or_error_t
xc_evtchn_bind_interdomain(xc_evtchn *xce, uint32_t domid,
			   evtchn_port_t remote_port)
{
	return xenevtchn_bind_interdomain(xce, domid, remote_port);
}

XSIM_EXPORT int xc_evtchn_unbind(xc_evtchn *xce, evtchn_port_t port)
{
	return xenevtchn_unbind(xce, port);
}

XSIM_EXPORT xc_evtchn_port_or_error_t xc_evtchn_pending(xc_evtchn *xce)
{
	return xenevtchn_pending(xce);
}

XSIM_EXPORT int xc_evtchn_unmask(xc_evtchn *xce, evtchn_port_t port)
{
	return xenevtchn_unmask(xce, port);
}

/* ---- foreign maps (tools/libs/ctrl/xc_foreign_memory.c) ---------------- */

XSIM_EXPORT void *xc_map_foreign_pages(xc_interface *xch, uint32_t dom,
				       int prot, const xen_pfn_t *arr, int num)
{
	if (num < 0) {
		errno = EINVAL;
		return NULL;
	}
	return vmt_xsim_fmem_map(xch ? &xch->c : NULL, dom, prot,
				 (size_t)num, arr, NULL);
}

XSIM_EXPORT void *xc_map_foreign_range(xc_interface *xch, uint32_t dom,
				       int size, int prot, unsigned long mfn)
{
	int num = (size + XC_PAGE_SIZE - 1) >> XC_PAGE_SHIFT;
	xen_pfn_t *arr;
	void *p;

	if (num <= 0) {
		errno = EINVAL;
		return NULL;
	}
	arr = calloc((size_t)num, sizeof(*arr));
	if (!arr)
		return NULL;
	for (int i = 0; i < num; i++)
		arr[i] = mfn + (unsigned long)i;
	p = xc_map_foreign_pages(xch, dom, prot, arr, num);
	free(arr);
	return p;
}

/* ---- HVM parameters, the pre-4.5 spelling (xc_private.c) --------------- */

XSIM_EXPORT int xc_set_hvm_param(xc_interface *handle, uint32_t dom,
				 int param, unsigned long value)
{
	return xc_hvm_param_set(handle, dom, (uint32_t)param, value);
}

XSIM_EXPORT int xc_get_hvm_param(xc_interface *handle, uint32_t dom,
				 int param, unsigned long *value)
{
	uint64_t v;
	int rc = xc_hvm_param_get(handle, dom, (uint32_t)param, &v);

	if (!rc)
		*value = (unsigned long)v;
	return rc;
}

/* ---- TSC (xen/arch/x86/time.c tsc_get_info) ---------------------------- */

/* The simulated guest's TSC runs at a fixed 1 GHz from the host's boot
 * (CLOCK_MONOTONIC), with no scaling: Xen's TSC_MODE_DEFAULT without
 * emulation reports the host's TSC as nanoseconds and the host's rate. */
#define SIM_TSC_KHZ 1000000u

XSIM_EXPORT int xc_domain_get_tsc_info(xc_interface *xch, uint32_t domid,
				       uint32_t *tsc_mode,
				       uint64_t *elapsed_nsec,
				       uint32_t *gtsc_khz,
				       uint32_t *incarnation)
{
	xc_domaininfo_t info;
	struct timespec ts;

	if (xc_domain_getinfolist(xch, domid, 1, &info) != 1 ||
	    info.domain != domid)
		return vmt_xsim_fail(-ESRCH);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	*tsc_mode = 0;          /* TSC_MODE_DEFAULT */
	*elapsed_nsec = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	*gtsc_khz = SIM_TSC_KHZ;
	*incarnation = 0;
	return 0;
}

/* ---- the raw domctl (xen/common/domctl.c do_domctl) --------------------- */

static int domctl_dominfo(xc_interface *xch, struct xen_domctl *d)
{
	if (d->domain >= DOMID_FIRST_RESERVED)
		return vmt_xsim_fail(-EINVAL);
	/* Xen 4.17 answers with the first domain >= the one asked. */
	if (xc_domain_getinfolist(xch, d->domain, 1, &d->u.getdomaininfo) != 1)
		return vmt_xsim_fail(-ESRCH);
	d->domain = d->u.getdomaininfo.domain;
	return 0;
}

/* The commands a monitor sends through xc_domctl, each with the semantics
 * of the named libxc call; any other command is one xensim does not model
 * and gets ENOSYS, Xen's answer to a command it lacks (arch_do_domctl). */
XSIM_EXPORT int xc_domctl(xc_interface *xch, struct xen_domctl *domctl)
{
	xc_domaininfo_t info;
	uint32_t dom = domctl->domain;

	domctl->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
	if (domctl->cmd == XEN_DOMCTL_getdomaininfo)
		return domctl_dominfo(xch, domctl);
	if (xc_domain_getinfolist(xch, dom, 1, &info) != 1 || info.domain != dom)
		return vmt_xsim_fail(-ESRCH);
	switch (domctl->cmd) {
	case XEN_DOMCTL_pausedomain:
		return xc_domain_pause(xch, dom);
	case XEN_DOMCTL_unpausedomain:
		return xc_domain_unpause(xch, dom);
	case XEN_DOMCTL_max_mem:
		return xc_domain_setmaxmem(xch, dom, domctl->u.max_mem.max_memkb);
	case XEN_DOMCTL_set_access_required:
		return xc_domain_set_access_required(xch, dom,
			domctl->u.access_required.access_required);
	case XEN_DOMCTL_debug_op:
		return xc_domain_debug_control(xch, dom, domctl->u.debug_op.op,
					       domctl->u.debug_op.vcpu);
	case XEN_DOMCTL_gettscinfo:
		return xc_domain_get_tsc_info(xch, dom,
			&domctl->u.tsc_info.tsc_mode,
			&domctl->u.tsc_info.elapsed_nsec,
			&domctl->u.tsc_info.gtsc_khz,
			&domctl->u.tsc_info.incarnation);
	case XEN_DOMCTL_get_address_size:
		/* Every simulated domain is HVM (arch/x86/domctl.c). */
		return vmt_xsim_fail(-EOPNOTSUPP);
	default:
		return vmt_xsim_fail(-ENOSYS);
	}
}

/* ---- memory reservation (tools/libs/ctrl/xc_domain.c) ------------------- */

/* A simulated guest's memory is fixed by its scenario: no extent is ever
 * added or released.  The _exact calls then fail as libxc's do when Xen
 * did none of the extents: EBUSY for populate (as for a domain at its
 * max_pages, page_alloc.c assign_pages), EINVAL for decrease. */
static int no_extent(xc_interface *xch, uint32_t domid, unsigned long nr,
		     int err)
{
	xc_domaininfo_t info;

	if (xc_domain_getinfolist(xch, domid, 1, &info) != 1 ||
	    info.domain != domid)
		return vmt_xsim_fail(-ESRCH);
	return nr ? vmt_xsim_fail(-err) : 0;
}

XSIM_EXPORT int xc_domain_populate_physmap_exact(xc_interface *xch,
						 uint32_t domid,
						 unsigned long nr_extents,
						 unsigned int extent_order,
						 unsigned int mem_flags,
						 xen_pfn_t *extent_start)
{
	return no_extent(xch, domid, nr_extents, EBUSY);
}

XSIM_EXPORT int xc_domain_decrease_reservation_exact(xc_interface *xch,
						     uint32_t domid,
						     unsigned long nr_extents,
						     unsigned int extent_order,
						     xen_pfn_t *extent_start)
{
	return no_extent(xch, domid, nr_extents, EINVAL);
}
