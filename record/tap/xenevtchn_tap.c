/*
 * xenevtchn_tap.c - the tap's libxenevtchn.so.1: every function is
 * forwarded by a generated trampoline except the three through which a
 * consumer learns of requests and hands back responses:
 *   xenevtchn_pending, xenevtchn_unmask: new requests are moved to the
 *     shadow (and captured) before the consumer looks at the ring;
 *   xenevtchn_notify: the consumer's responses are moved to Xen's ring
 *     (and captured) before Xen is told.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <xenevtchn.h>

#include "tap_core.h"
#include "tap_stream.h"

#define EXPORT __attribute__((visibility("default")))

extern const char *const vmt_tap_names_evtchn[];
extern void *vmt_tap_fwd_evtchn[];

static struct {
	__typeof__(xenevtchn_pending) *pending;
	__typeof__(xenevtchn_unmask) *unmask;
	__typeof__(xenevtchn_notify) *notify;
} real;

static void sym(void *h, const char *name, void *slot)
{
	void *p = dlsym(h, name);
	if (!p)
		vmt_tap_missing();
	memcpy(slot, &p, sizeof(p));
}

__attribute__((constructor)) static void load_target(void)
{
	void *h = vmt_tap_target(VMT_TAP_ENV_EVTCHN);

	vmt_tap_forward(h, vmt_tap_names_evtchn, vmt_tap_fwd_evtchn);
	sym(h, "xenevtchn_pending", &real.pending);
	sym(h, "xenevtchn_unmask", &real.unmask);
	sym(h, "xenevtchn_notify", &real.notify);
}

EXPORT xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
	xenevtchn_port_or_error_t port = real.pending(xce);
	int saved = errno;
	vmt_tap_pull();
	errno = saved;
	return port;
}

EXPORT int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
	int rc = real.unmask(xce, port);
	int saved = errno;
	vmt_tap_pull();
	errno = saved;
	return rc;
}

EXPORT int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
	vmt_tap_push();
	return real.notify(xce, port);
}
