/*
 * xen_api.h - the recorder's only door to Xen: one table of function
 * pointers with the exact prototypes of the installed Xen 4.17 headers,
 * filled at run time by dlopen/dlsym (xen_dl.c) from the system's Xen
 * libraries or from xensim's.  Nothing in record/ links against Xen, so one
 * binary starts on any host, with or without Xen.
 *
 * Library-internal to record/; never installed.
 */
#ifndef VMT_XEN_API_H
#define VMT_XEN_API_H

#include <stdbool.h>
#include <stdint.h>

/* xc_hvm_inject_trap() (trap re-injection) is declared only in the compat
 * section of xenctrl.h; libxenctrl still exports it in every release. */
#define XC_WANT_COMPAT_DEVICEMODEL_API 1
#include <xenctrl.h>
#include <xenevtchn.h>
#include <xenstore.h>

/* Which library a symbol comes from (index into vmt_xen.lib[]). */
enum vmt_xen_lib { VMT_LIB_CTRL, VMT_LIB_EVTCHN, VMT_LIB_STORE, VMT_LIB_COUNT };

/*
 * X(lib, name, required): every call the recorder makes.  Optional symbols
 * are NULL when the loaded library lacks them:
 *   xc_vm_event_get_version   4.13+ (else the ABI comes from the version)
 *   xc_monitor_debug_exceptions, xc_monitor_cpuid, xc_monitor_privileged_call
 *                             4.8+
 *   xc_monitor_descriptor_access 4.9+, xc_monitor_emul_unimplemented 4.10+
 *   xc_monitor_vmexit         4.17+
 *   xc_hvm_inject_trap        needed only to re-inject breakpoints / #DB
 *   xs_*                      only for domain names
 */
#define VMT_XEN_SYMBOLS(X)                                   \
	X(VMT_LIB_CTRL, xc_interface_open, 1)                \
	X(VMT_LIB_CTRL, xc_interface_close, 1)               \
	X(VMT_LIB_CTRL, xc_version, 1)                       \
	X(VMT_LIB_CTRL, xc_domain_getinfo, 1)                \
	X(VMT_LIB_CTRL, xc_domain_pause, 1)                  \
	X(VMT_LIB_CTRL, xc_domain_unpause, 1)                \
	X(VMT_LIB_CTRL, xc_monitor_enable, 1)                \
	X(VMT_LIB_CTRL, xc_monitor_disable, 1)               \
	X(VMT_LIB_CTRL, xc_monitor_get_capabilities, 1)      \
	X(VMT_LIB_CTRL, xc_monitor_write_ctrlreg, 1)         \
	X(VMT_LIB_CTRL, xc_monitor_mov_to_msr, 1)            \
	X(VMT_LIB_CTRL, xc_monitor_singlestep, 1)            \
	X(VMT_LIB_CTRL, xc_monitor_software_breakpoint, 1)   \
	X(VMT_LIB_CTRL, xc_monitor_guest_request, 1)         \
	X(VMT_LIB_CTRL, xc_set_mem_access, 1)                \
	X(VMT_LIB_CTRL, xc_vm_event_get_version, 0)          \
	X(VMT_LIB_CTRL, xc_monitor_debug_exceptions, 0)      \
	X(VMT_LIB_CTRL, xc_monitor_cpuid, 0)                 \
	X(VMT_LIB_CTRL, xc_monitor_privileged_call, 0)       \
	X(VMT_LIB_CTRL, xc_monitor_descriptor_access, 0)     \
	X(VMT_LIB_CTRL, xc_monitor_emul_unimplemented, 0)    \
	X(VMT_LIB_CTRL, xc_monitor_vmexit, 0)                \
	X(VMT_LIB_CTRL, xc_hvm_inject_trap, 0)               \
	X(VMT_LIB_EVTCHN, xenevtchn_open, 1)                 \
	X(VMT_LIB_EVTCHN, xenevtchn_close, 1)                \
	X(VMT_LIB_EVTCHN, xenevtchn_fd, 1)                   \
	X(VMT_LIB_EVTCHN, xenevtchn_bind_interdomain, 1)     \
	X(VMT_LIB_EVTCHN, xenevtchn_unbind, 1)               \
	X(VMT_LIB_EVTCHN, xenevtchn_pending, 1)              \
	X(VMT_LIB_EVTCHN, xenevtchn_unmask, 1)               \
	X(VMT_LIB_EVTCHN, xenevtchn_notify, 1)               \
	X(VMT_LIB_STORE, xs_open, 0)                         \
	X(VMT_LIB_STORE, xs_close, 0)                        \
	X(VMT_LIB_STORE, xs_read, 0)                         \
	X(VMT_LIB_STORE, xs_directory, 0)

/*
 * struct vmt_xen - the loaded libraries and their entry points
 *
 * Each member has the type of a pointer to the function of the same name
 * as declared by the Xen headers, so a prototype mismatch is a compile
 * error.  Older libraries differ in three signatures; session.c calls those
 * through the vmt_xc_*_pre4xx types below when ctrl_release says so.
 */
struct vmt_xen {
	void *lib[VMT_LIB_COUNT];
	char libdir[512];          /* "" = the system's search path */
	unsigned ctrl_release;     /* libxenctrl's release from its soname,
				    * (major << 8 | minor); 0x411 if unknown */
#define VMT_XEN_MEMBER(lib, name, req) __typeof__(name) *name;
	VMT_XEN_SYMBOLS(VMT_XEN_MEMBER)
#undef VMT_XEN_MEMBER
};

/*
 * Prototypes that changed (vm_event-abi.md 8.2).  They belong to the
 * library, not to the hypervisor, so the choice follows ctrl_release.
 */
#define VMT_XEN_REL(maj, min) ((maj) << 8 | (min))
typedef int vmt_xc_write_ctrlreg_pre410(xc_interface *xch, domid_t domid,
					 uint16_t index, bool enable, bool sync,
					 bool onchangeonly);
typedef int vmt_xc_mov_to_msr_pre411(xc_interface *xch, domid_t domid,
				      uint32_t msr, bool enable);
typedef int vmt_xc_guest_request_pre410(xc_interface *xch, domid_t domid,
					 bool enable, bool sync);

/*
 * vmt_xen_load() - dlopen the Xen libraries and resolve every symbol
 * @x:      OUT: the table (zeroed first)
 * @libdir: directory of the libraries, or NULL for the system's
 * @why:    OUT: on failure, a sentence naming the library or symbol missing
 *
 * Return: 0; -ENOENT if a library is missing; -ENOSYS if a required
 *         symbol is missing.  Nothing stays loaded on failure.
 */
int vmt_xen_load(struct vmt_xen *x, const char *libdir, char *why,
		 size_t whylen);

/** vmt_xen_unload() - dlclose what vmt_xen_load() opened */
void vmt_xen_unload(struct vmt_xen *x);

#endif
