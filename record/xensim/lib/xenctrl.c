/*
 * xenctrl.c - xensim's libxenctrl.so.4.17: the hypervisor-control calls a
 * vm_event monitor uses (vm_event-abi.md section 8), served by the xensim
 * daemon.  Prototypes come from the installed <xenctrl.h>, so any mismatch
 * with Xen 4.17 is a compile error.  libxc convention: -1 and errno.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* xc_hvm_inject_trap() is only declared in the compat section. */
#define XC_WANT_COMPAT_DEVICEMODEL_API 1
#include <xenctrl.h>

#include "client.h"

XSIM_EXPORT xc_interface *xc_interface_open(xentoollog_logger *logger,
					    xentoollog_logger *dombuild_logger,
					    unsigned open_flags)
{
	return vmt_xsim_handle_new(sizeof(xc_interface), logger);
}

XSIM_EXPORT int xc_interface_close(xc_interface *xch)
{
	return vmt_xsim_handle_free(xch);
}

/* One call; Return: the reply's ret, or -1 with errno. */
static int64_t call(xc_interface *xch, uint32_t op, uint32_t dom,
		    const uint64_t *a, unsigned na, struct vmt_xsim_rsp *out)
{
	return vmt_xsim_op(xch ? &xch->c : NULL, op, dom, a, na, out);
}

static int simple(xc_interface *xch, uint32_t op, uint32_t dom)
{
	return call(xch, op, dom, NULL, 0, NULL) < 0 ? -1 : 0;
}

/* The first domain >= *next (Xen's getdomaininfo); advances *next.
 * Return: 1 found, 0 none left, -1 with errno. */
static int next_domain(xc_interface *xch, uint32_t *next,
		       struct vmt_xsim_rsp *r)
{
	if (call(xch, VMT_XSIM_OP_DOMINFO, *next, NULL, 0, r) < 0)
		return -1;
	if (r->ret != 1)
		return 0;
	*next = (uint32_t)r->v[0] + 1;
	return 1;
}

XSIM_EXPORT int xc_domain_getinfo(xc_interface *xch, uint32_t first_domid,
				  unsigned int max_doms, xc_dominfo_t *info)
{
	uint32_t next = first_domid;
	struct vmt_xsim_rsp r;
	unsigned n = 0;
	int rc = 0;

	while (n < max_doms && (rc = next_domain(xch, &next, &r)) == 1) {
		xc_dominfo_t *d = &info[n++];
		memset(d, 0, sizeof(*d));
		d->domid = (uint32_t)r.v[0];
		d->nr_online_vcpus = (unsigned)r.v[1];
		d->max_vcpu_id = (unsigned)r.v[1] - 1;
		d->paused = r.v[2] != 0;
		d->dying = r.v[3] != 0;
		d->shutdown = r.v[4] != 0;
		d->running = !d->paused && !d->dying;
		d->hvm = 1;
		d->hap = 1;
		d->nr_pages = r.v[5] & 0xffffffff;
		d->max_memkb = (r.v[5] >> 32) * 4;
	}
	return rc < 0 && !n ? -1 : (int)n;
}

XSIM_EXPORT int xc_domain_pause(xc_interface *xch, uint32_t domid)
{
	return simple(xch, VMT_XSIM_OP_DOM_PAUSE, domid);
}

XSIM_EXPORT int xc_domain_unpause(xc_interface *xch, uint32_t domid)
{
	return simple(xch, VMT_XSIM_OP_DOM_UNPAUSE, domid);
}

XSIM_EXPORT int xc_domain_maximum_gpfn(xc_interface *xch, uint32_t domid,
				       xen_pfn_t *gpfns)
{
	int64_t r = call(xch, VMT_XSIM_OP_MAX_GPFN, domid, NULL, 0, NULL);

	if (r < 0)
		return -1;
	*gpfns = (xen_pfn_t)r;
	return 0;
}

XSIM_EXPORT int xc_vm_event_get_version(xc_interface *xch)
{
	return (int)call(xch, VMT_XSIM_OP_ABI, 0, NULL, 0, NULL);
}

XSIM_EXPORT int xc_version(xc_interface *xch, int cmd, void *arg)
{
	struct vmt_xsim_req q = { .op = VMT_XSIM_OP_XEN_VERSION };
	struct vmt_xsim_rsp r;
	char extra[XEN_EXTRAVERSION_LEN] = "";
	int rc;

	if (!xch || (cmd != XENVER_version && cmd != XENVER_extraversion))
		return vmt_xsim_fail(-EINVAL);
	rc = vmt_xsim_call(&xch->c, &q, &r, extra, sizeof(extra) - 1, NULL, NULL);
	if (rc)
		return vmt_xsim_fail(rc);
	if (cmd == XENVER_version)
		return (int)r.ret;
	if (!arg)
		return vmt_xsim_fail(-EFAULT);
	memcpy(arg, extra, sizeof(extra));
	return 0;
}

/* ---- monitor ring --------------------------------------------------------- */

XSIM_EXPORT void *xc_monitor_enable(xc_interface *xch, uint32_t domain_id,
				    uint32_t *port)
{
	struct vmt_xsim_req q = { .op = VMT_XSIM_OP_MON_ENABLE, .dom = domain_id };
	struct vmt_xsim_rsp r;
	int fd = -1, nfds = 1, rc;
	void *page;

	if (!xch || !port) {
		errno = EINVAL;
		return NULL;
	}
	rc = vmt_xsim_call(&xch->c, &q, &r, NULL, 0, &fd, &nfds);
	if (!rc && nfds != 1)
		rc = -EPROTO;
	if (rc) {
		errno = -rc;
		return NULL;
	}
	page = mmap(NULL, XC_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	rc = errno;
	close(fd);
	if (page == MAP_FAILED) {
		/* Leave nothing half-enabled behind, as libxc does. */
		simple(xch, VMT_XSIM_OP_MON_DISABLE, domain_id);
		errno = rc;
		return NULL;
	}
	*port = (uint32_t)r.ret;
	return page;
}

XSIM_EXPORT int xc_monitor_disable(xc_interface *xch, uint32_t domain_id)
{
	return simple(xch, VMT_XSIM_OP_MON_DISABLE, domain_id);
}

XSIM_EXPORT int xc_monitor_resume(xc_interface *xch, uint32_t domain_id)
{
	return simple(xch, VMT_XSIM_OP_MON_RESUME, domain_id);
}

XSIM_EXPORT int xc_monitor_get_capabilities(xc_interface *xch,
					    uint32_t domain_id,
					    uint32_t *capabilities)
{
	int64_t r = call(xch, VMT_XSIM_OP_MON_CAPS, domain_id, NULL, 0, NULL);

	if (r < 0)
		return -1;
	*capabilities = (uint32_t)r;
	return 0;
}

/* Every monitor switch is one message: kind, enable, sync, param, mask, flag. */
static int toggle(xc_interface *xch, uint32_t dom, unsigned kind, bool enable,
		  bool sync, uint64_t param, uint64_t mask, bool flag)
{
	const uint64_t a[6] = { kind, enable, sync, param, mask, flag };

	return call(xch, VMT_XSIM_OP_MON_TOGGLE, dom, a, 6, NULL) < 0 ? -1 : 0;
}

XSIM_EXPORT int xc_monitor_write_ctrlreg(xc_interface *xch, uint32_t domain_id,
					 uint16_t index, bool enable, bool sync,
					 uint64_t bitmask, bool onchangeonly)
{
	return toggle(xch, domain_id, VMT_XSIM_MON_CTRLREG, enable, sync, index,
		      bitmask, onchangeonly);
}

XSIM_EXPORT int xc_monitor_mov_to_msr(xc_interface *xch, uint32_t domain_id,
				      uint32_t msr, bool enable,
				      bool onchangeonly)
{
	return toggle(xch, domain_id, VMT_XSIM_MON_MSR, enable, true, msr, 0,
		      onchangeonly);
}

XSIM_EXPORT int xc_monitor_singlestep(xc_interface *xch, uint32_t domain_id,
				      bool enable)
{
	return toggle(xch, domain_id, VMT_XSIM_MON_SINGLESTEP, enable, true, 0, 0, 0);
}

XSIM_EXPORT int xc_monitor_software_breakpoint(xc_interface *xch,
					       uint32_t domain_id, bool enable)
{
	return toggle(xch, domain_id, VMT_XSIM_MON_BREAKPOINT, enable, true, 0, 0, 0);
}

XSIM_EXPORT int xc_monitor_descriptor_access(xc_interface *xch,
					     uint32_t domain_id, bool enable)
{
	return toggle(xch, domain_id, VMT_XSIM_MON_DESC, enable, true, 0, 0, 0);
}

XSIM_EXPORT int xc_monitor_guest_request(xc_interface *xch, uint32_t domain_id,
					 bool enable, bool sync,
					 bool allow_userspace)
{
	return toggle(xch, domain_id, VMT_XSIM_MON_GUEST_REQUEST, enable, sync,
		      0, 0, allow_userspace);
}

XSIM_EXPORT int xc_monitor_inguest_pagefault(xc_interface *xch,
					     uint32_t domain_id, bool disable)
{
	return toggle(xch, domain_id, VMT_XSIM_MON_INGUEST_PF, disable, false,
		      0, 0, 0);
}

XSIM_EXPORT int xc_monitor_debug_exceptions(xc_interface *xch,
					    uint32_t domain_id, bool enable,
					    bool sync)
{
	return toggle(xch, domain_id, VMT_XSIM_MON_DEBUG, enable, sync, 0, 0, 0);
}

XSIM_EXPORT int xc_monitor_cpuid(xc_interface *xch, uint32_t domain_id,
				 bool enable)
{
	return toggle(xch, domain_id, VMT_XSIM_MON_CPUID, enable, true, 0, 0, 0);
}

XSIM_EXPORT int xc_monitor_privileged_call(xc_interface *xch,
					   uint32_t domain_id, bool enable)
{
	return toggle(xch, domain_id, VMT_XSIM_MON_PRIVCALL, enable, true, 0, 0, 0);
}

XSIM_EXPORT int xc_monitor_emul_unimplemented(xc_interface *xch,
					      uint32_t domain_id, bool enable)
{
	return toggle(xch, domain_id, VMT_XSIM_MON_EMUL_UNIMPL, enable, true,
		      0, 0, 0);
}

XSIM_EXPORT int xc_monitor_vmexit(xc_interface *xch, uint32_t domain_id,
				  bool enable, bool sync)
{
	return toggle(xch, domain_id, VMT_XSIM_MON_VMEXIT, enable, sync, 0, 0, 0);
}

XSIM_EXPORT int xc_monitor_emulate_each_rep(xc_interface *xch,
					    uint32_t domain_id, bool enable)
{
	return toggle(xch, domain_id, VMT_XSIM_MON_EACH_REP, enable, false,
		      0, 0, 0);
}

/* ---- p2m access and trap injection -------------------------------------- */

XSIM_EXPORT int xc_set_mem_access(xc_interface *xch, uint32_t domain_id,
				  xenmem_access_t access, uint64_t first_pfn,
				  uint32_t nr)
{
	const uint64_t a[3] = { (uint64_t)access, first_pfn, nr };

	return call(xch, VMT_XSIM_OP_MEM_ACCESS, domain_id, a, 3, NULL) < 0 ? -1 : 0;
}

XSIM_EXPORT int xc_set_mem_access_multi(xc_interface *xch, uint32_t domain_id,
					uint8_t *access, uint64_t *pages,
					uint32_t nr)
{
	/* p2m_set_mem_access_multi: entry by entry, stopping at the first
	 * failure; no range check beyond the guest's gfns. */
	for (uint32_t i = 0; i < nr; i++) {
		const uint64_t a[4] = { access[i], pages[i], 1, 1 };
		if (call(xch, VMT_XSIM_OP_MEM_ACCESS, domain_id, a, 4, NULL) < 0)
			return -1;
	}
	return 0;
}

XSIM_EXPORT int xc_get_mem_access(xc_interface *xch, uint32_t domain_id,
				  uint64_t pfn, xenmem_access_t *access)
{
	const uint64_t a[1] = { pfn };
	int64_t r = call(xch, VMT_XSIM_OP_GET_MEM_ACCESS, domain_id, a, 1, NULL);

	if (r < 0)
		return -1;
	*access = (xenmem_access_t)r;
	return 0;
}

XSIM_EXPORT int xc_hvm_inject_trap(xc_interface *xch, uint32_t domid, int vcpu,
				   uint8_t vector, uint8_t type,
				   uint32_t error_code, uint8_t insn_len,
				   uint64_t cr2)
{
	const uint64_t a[6] = { (uint64_t)(int64_t)vcpu, vector, type,
				error_code, insn_len, cr2 };

	if (vcpu < 0)
		return vmt_xsim_fail(-EINVAL);
	return call(xch, VMT_XSIM_OP_INJECT, domid, a, 6, NULL) < 0 ? -1 : 0;
}

/* ---- domain controls a monitor uses ------------------------------------ */

XSIM_EXPORT int xc_domain_set_access_required(xc_interface *xch,
					      uint32_t domid,
					      unsigned int required)
{
	const uint64_t a[1] = { required };

	return call(xch, VMT_XSIM_OP_ACCESS_REQUIRED, domid, a, 1, NULL) < 0 ?
	       -1 : 0;
}

XSIM_EXPORT int xc_domain_debug_control(xc_interface *xch, uint32_t domid,
					uint32_t sop, uint32_t vcpu)
{
	const uint64_t a[2] = { sop, vcpu };

	return call(xch, VMT_XSIM_OP_DEBUG_CONTROL, domid, a, 2, NULL) < 0 ?
	       -1 : 0;
}

/* ---- what LibVMI's start-up asks ------------------------------------------ */

XSIM_EXPORT int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain,
				      unsigned int max_domains,
				      xc_domaininfo_t *info)
{
	uint32_t next = first_domain;
	struct vmt_xsim_rsp r;
	unsigned n = 0;
	int rc = 0;

	while (n < max_domains && (rc = next_domain(xch, &next, &r)) == 1) {
		xc_domaininfo_t *d = &info[n++];
		memset(d, 0, sizeof(*d));
		d->domain = (domid_t)r.v[0];
		d->flags = XEN_DOMINF_hvm_guest | XEN_DOMINF_hap |
			   (r.v[2] ? XEN_DOMINF_paused : 0) |
			   (r.v[3] ? XEN_DOMINF_dying : 0) |
			   (r.v[4] ? XEN_DOMINF_shutdown : 0) |
			   (!r.v[2] && !r.v[3] ? XEN_DOMINF_running : 0);
		d->tot_pages = r.v[5] & 0xffffffff;
		d->max_pages = r.v[5] >> 32;
		d->nr_online_vcpus = (uint32_t)r.v[1];
		d->max_vcpu_id = (uint32_t)r.v[1] - 1;
	}
	return rc < 0 && !n ? -1 : (int)n;
}

XSIM_EXPORT int xc_domain_setmaxmem(xc_interface *xch, uint32_t domid,
				    uint64_t max_memkb)
{
	const uint64_t a[1] = { max_memkb >> 2 };   /* KiB -> 4 KiB pages */

	return call(xch, VMT_XSIM_OP_SET_MAXMEM, domid, a, 1, NULL) < 0 ? -1 : 0;
}

/* x86 keeps caches coherent: libxc answers 0 without a hypercall. */
XSIM_EXPORT int xc_domain_cacheflush(xc_interface *xch, uint32_t domid,
				     xen_pfn_t start_pfn, xen_pfn_t nr_pfns)
{
	return 0;
}

XSIM_EXPORT int xc_hvm_param_get(xc_interface *handle, uint32_t dom,
				 uint32_t param, uint64_t *value)
{
	const uint64_t a[3] = { param, 0, 0 };
	int64_t r = call(handle, VMT_XSIM_OP_HVM_PARAM, dom, a, 3, NULL);

	if (r < 0)
		return -1;
	*value = (uint64_t)r;
	return 0;
}

XSIM_EXPORT int xc_hvm_param_set(xc_interface *handle, uint32_t dom,
				 uint32_t param, uint64_t value)
{
	const uint64_t a[3] = { param, 1, value };

	return call(handle, VMT_XSIM_OP_HVM_PARAM, dom, a, 3, NULL) < 0 ? -1 : 0;
}
