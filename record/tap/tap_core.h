/*
 * tap_core.h - the capturing half of the tap, inside the consumer's
 * process (libvmtrail-tap.so).  The interposing libxenctrl and
 * libxenevtchn call it around the few calls that move ring traffic; every
 * other Xen call is forwarded untouched (trampolines, gen_tramp.sh).
 * record/README.md "Tap" explains why no request can be missed.
 */
#ifndef VMT_TAP_CORE_H
#define VMT_TAP_CORE_H

#include <stdint.h>

#define VMT_TAP_API __attribute__((visibility("default")))

/* What the consumer's Xen says about the ring it just enabled. */
struct vmt_tap_facts {
	uint32_t domid, abi, vcpus;
	uint32_t xen_major, xen_minor;
	const char *xen_extra;
};

/*
 * vmt_tap_attach() - the consumer enabled @f->domid's ring at @page
 * Return: the page to hand the consumer: a shadow of @page when this
 * process captures the ring, else @page itself (no stream, another
 * process or ring already captured, an ABI without a known layout).
 */
VMT_TAP_API void *vmt_tap_attach(const struct vmt_tap_facts *f, void *page);

/* vmt_tap_detach() - @domid's ring was disabled: capture no more. */
VMT_TAP_API void vmt_tap_detach(uint32_t domid);

/* vmt_tap_pull() - new requests: Xen's ring -> stream -> shadow. */
VMT_TAP_API void vmt_tap_pull(void);

/* vmt_tap_push() - the consumer's responses: shadow -> stream -> Xen. */
VMT_TAP_API void vmt_tap_push(void);

/*
 * The consumer's monitor calls that succeeded, for the trace's monitor
 * text (record/README.md "Tap"): vmt_tap_mon_cr() for
 * xc_monitor_write_ctrlreg, vmt_tap_mon_kind() (enum vmt_mon_kind) for the
 * on/off sources, vmt_tap_mon_msr() for xc_monitor_mov_to_msr,
 * vmt_tap_mon_mem() for xc_set_mem_access.
 */
VMT_TAP_API void vmt_tap_mon_cr(uint32_t domid, unsigned index, int enable,
				int sync, int onchangeonly);
VMT_TAP_API void vmt_tap_mon_kind(uint32_t domid, unsigned kind, int enable,
				  int sync);
VMT_TAP_API void vmt_tap_mon_msr(uint32_t domid, uint32_t msr, int enable);
VMT_TAP_API void vmt_tap_mon_mem(uint32_t domid, unsigned access,
				 uint64_t first, uint32_t nr);

/*
 * vmt_tap_target() - dlopen the real library named by environment
 * variable @env (an absolute path vmtrail-record sets), so that it cannot
 * resolve back to the interposer.  On failure the process cannot do what
 * it was linked to do: it says so and exits 127, as the dynamic loader
 * does for a missing library.
 */
VMT_TAP_API void *vmt_tap_target(const char *env);

/*
 * vmt_tap_forward() - fill a trampoline table: @fwd[i] = @names[i] in the
 * target @h, or vmt_tap_missing (@names ends with NULL).
 */
VMT_TAP_API void vmt_tap_forward(void *h, const char *const *names,
				 void **fwd);

/* vmt_tap_missing() - the target lacks a function the consumer called. */
VMT_TAP_API void vmt_tap_missing(void);

#endif
