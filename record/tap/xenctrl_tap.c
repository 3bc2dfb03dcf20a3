/*
 * xenctrl_tap.c - the tap's libxenctrl.so.4.17: every function of the real
 * library (or xensim's) is forwarded by a generated trampoline; only
 * xc_monitor_enable and xc_monitor_disable are wrapped, to hand the
 * consumer a shadow of the ring page and to stop capturing at the end,
 * and xc_domain_pause: once the domain is paused its ring holds every
 * request it will hold, and a consumer tearing down reads the ring
 * without waiting for an event (xen-access does), so it must all be in
 * the shadow already.  The monitor calls (MONITOR_CALLS) are wrapped only
 * to tell the tap what the consumer switched on, for the trace's monitor
 * text.
 */
#include <dlfcn.h>
#include <errno.h>
#include <string.h>

#include <xenctrl.h>

#include "tap_core.h"
#include "tap_stream.h"
#include "vmt/event.h"
#include "vmt/record.h"

#define EXPORT __attribute__((visibility("default")))

/* The monitor calls the tap follows: name, then how a success is told. */
#define MONITOR_CALLS(X)                                                  \
	X(xc_monitor_write_ctrlreg, (xc_interface *xch, uint32_t d,        \
	  uint16_t index, bool enable, bool sync, uint64_t bitmask,        \
	  bool onchangeonly), (xch, d, index, enable, sync, bitmask,       \
	  onchangeonly), vmt_tap_mon_cr(d, index, enable, sync, onchangeonly)) \
	X(xc_monitor_mov_to_msr, (xc_interface *xch, uint32_t d, uint32_t msr, \
	  bool enable, bool onchangeonly), (xch, d, msr, enable,           \
	  onchangeonly), vmt_tap_mon_msr(d, msr, enable))                  \
	X(xc_monitor_singlestep, (xc_interface *xch, uint32_t d, bool enable), \
	  (xch, d, enable), vmt_tap_mon_kind(d, VMT_MON_SINGLESTEP, enable, 1)) \
	X(xc_monitor_software_breakpoint, (xc_interface *xch, uint32_t d,  \
	  bool enable), (xch, d, enable),                                  \
	  vmt_tap_mon_kind(d, VMT_MON_BREAKPOINT, enable, 1))              \
	X(xc_monitor_descriptor_access, (xc_interface *xch, uint32_t d,    \
	  bool enable), (xch, d, enable),                                  \
	  vmt_tap_mon_kind(d, VMT_MON_DESC_ACCESS, enable, 1))             \
	X(xc_monitor_guest_request, (xc_interface *xch, uint32_t d,        \
	  bool enable, bool sync, bool allow_userspace),                   \
	  (xch, d, enable, sync, allow_userspace),                         \
	  vmt_tap_mon_kind(d, VMT_MON_GUEST_REQUEST, enable, sync))        \
	X(xc_monitor_debug_exceptions, (xc_interface *xch, uint32_t d,     \
	  bool enable, bool sync), (xch, d, enable, sync),                 \
	  vmt_tap_mon_kind(d, VMT_MON_DEBUG, enable, sync))                \
	X(xc_monitor_cpuid, (xc_interface *xch, uint32_t d, bool enable),  \
	  (xch, d, enable), vmt_tap_mon_kind(d, VMT_MON_CPUID, enable, 1)) \
	X(xc_monitor_privileged_call, (xc_interface *xch, uint32_t d,      \
	  bool enable), (xch, d, enable),                                  \
	  vmt_tap_mon_kind(d, VMT_MON_PRIVCALL, enable, 1))                \
	X(xc_monitor_emul_unimplemented, (xc_interface *xch, uint32_t d,   \
	  bool enable), (xch, d, enable),                                  \
	  vmt_tap_mon_kind(d, VMT_MON_EMUL_UNIMPL, enable, 1))             \
	X(xc_monitor_vmexit, (xc_interface *xch, uint32_t d, bool enable,  \
	  bool sync), (xch, d, enable, sync),                              \
	  vmt_tap_mon_kind(d, VMT_MON_VMEXIT, enable, sync))               \
	X(xc_set_mem_access, (xc_interface *xch, uint32_t d,               \
	  xenmem_access_t access, uint64_t first_pfn, uint32_t nr),        \
	  (xch, d, access, first_pfn, nr),                                 \
	  vmt_tap_mon_mem(d, (unsigned)access, first_pfn, nr))

extern const char *const vmt_tap_names_ctrl[];
extern void *vmt_tap_fwd_ctrl[];

static struct {
	__typeof__(xc_monitor_enable) *enable;
	__typeof__(xc_monitor_disable) *disable;
	__typeof__(xc_domain_pause) *pause;
	__typeof__(xc_vm_event_get_version) *abi;     /* 4.13+ */
	__typeof__(xc_version) *version;
	__typeof__(xc_domain_getinfo) *getinfo;       /* gone after 4.17 */
#define MON_PTR(name, params, args, tell) __typeof__(name) *name;
	MONITOR_CALLS(MON_PTR)
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
#define MON_SYM(name, params, args, tell) sym(h, #name, &real.name);
	MONITOR_CALLS(MON_SYM)
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

/* Forwarded; a success is told to the tap (a target without the call
 * ends the process, as for any function it lacks). */
#define MON_WRAP(name, params, args, tell)                                 \
	EXPORT int name params                                              \
	{                                                                   \
		if (!real.name)                                             \
			vmt_tap_missing();                                  \
		int rc = real.name args;                                    \
		int saved = errno;                                          \
		if (!rc)                                                    \
			tell;                                               \
		errno = saved;                                              \
		return rc;                                                  \
	}
MONITOR_CALLS(MON_WRAP)
