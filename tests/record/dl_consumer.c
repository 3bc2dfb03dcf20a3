/*
 * dl_consumer.c - a vm_event monitor that, like LibVMI, links no Xen
 * library: it dlopens "libxenctrl.so" and "libxenevtchn.so" by name and
 * looks every function up.  The tap tests run it to show that a consumer
 * loading Xen this way is tapped too.  Loop: xen-access's (poll, pending,
 * unmask, answer each request in its slot with VCPU_PAUSED echoed, push,
 * notify); monitors: CR3 writes, CPUID, guest requests.
 *
 * Usage: dl_consumer DOMID COUNT.  Prints "requests=N responses=N".
 * Exit: 0 ok, 1 failure, 2 usage.
 */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vmt/event.h"

/* The prototypes of the few calls used (Xen 4.17), as opaque handles. */
typedef void *open_fn(void *, void *, unsigned);
typedef int close_fn(void *);
typedef int ver_fn(void *);
typedef int dom_fn(void *, uint32_t);
typedef void *enable_fn(void *, uint32_t, uint32_t *);
typedef int cr_fn(void *, uint32_t, uint16_t, bool, bool, uint64_t, bool);
typedef int flag_fn(void *, uint32_t, bool);
typedef int gr_fn(void *, uint32_t, bool, bool, bool);
typedef void *eopen_fn(void *, unsigned);
typedef int fd_fn(void *);
typedef int bind_fn(void *, uint32_t, uint32_t);
typedef int port_fn(void *, uint32_t);
typedef int pend_fn(void *);

static struct {
	open_fn *xc_interface_open;
	close_fn *xc_interface_close;
	ver_fn *xc_vm_event_get_version;
	dom_fn *xc_domain_pause, *xc_domain_unpause, *xc_monitor_disable;
	enable_fn *xc_monitor_enable;
	cr_fn *xc_monitor_write_ctrlreg;
	flag_fn *xc_monitor_cpuid;
	gr_fn *xc_monitor_guest_request;
	eopen_fn *xenevtchn_open;
	close_fn *xenevtchn_close;
	fd_fn *xenevtchn_fd;
	bind_fn *xenevtchn_bind_interdomain;
	port_fn *xenevtchn_unbind, *xenevtchn_unmask, *xenevtchn_notify;
	pend_fn *xenevtchn_pending;
} x;

static void die(const char *what)
{
	fprintf(stderr, "dl_consumer: %s: %s\n", what, errno ? strerror(errno) : "failed");
	exit(1);
}

static void look_up(void *h, const char *name, void *slot)
{
	void *p = dlsym(h, name);
	if (!p) {
		fprintf(stderr, "dl_consumer: %s: %s\n", name, dlerror());
		exit(1);
	}
	memcpy(slot, &p, sizeof(p));
}

#define LOOK(h, n) look_up(h, #n, &x.n)

static void load(void)
{
	void *c = dlopen("libxenctrl.so", RTLD_NOW | RTLD_LOCAL);
	void *e = dlopen("libxenevtchn.so", RTLD_NOW | RTLD_LOCAL);
	if (!c || !e) {
		fprintf(stderr, "dl_consumer: dlopen: %s\n", dlerror());
		exit(1);
	}
	LOOK(c, xc_interface_open); LOOK(c, xc_interface_close);
	LOOK(c, xc_vm_event_get_version); LOOK(c, xc_domain_pause);
	LOOK(c, xc_domain_unpause); LOOK(c, xc_monitor_disable);
	LOOK(c, xc_monitor_enable); LOOK(c, xc_monitor_write_ctrlreg);
	LOOK(c, xc_monitor_cpuid); LOOK(c, xc_monitor_guest_request);
	LOOK(e, xenevtchn_open); LOOK(e, xenevtchn_close); LOOK(e, xenevtchn_fd);
	LOOK(e, xenevtchn_bind_interdomain); LOOK(e, xenevtchn_unbind);
	LOOK(e, xenevtchn_unmask); LOOK(e, xenevtchn_notify);
	LOOK(e, xenevtchn_pending);
}

static uint8_t *ring;
static uint32_t abi, req_cons, dom;
static size_t esz;
static uint64_t requests;

static uint32_t *idx(unsigned off) { return (uint32_t *)(void *)(ring + off); }

static void drain(void)
{
	uint32_t prod = __atomic_load_n(idx(0), __ATOMIC_ACQUIRE);
	while (req_cons != prod) {
		uint8_t *s = ring + VMT_RING_HDR + (req_cons & (VMT_RING_SLOTS - 1)) * esz;
		struct vmt_event q, r;
		if (vmt_event_decode(s, esz, &q) < 0)
			die("undecodable request");
		vmt_event_init(&r, abi, q.reason);
		r.vcpu_id = q.vcpu_id;
		r.flags = q.flags & VMT_FLAG_VCPU_PAUSED;
		if (vmt_event_encode(&r, s, esz) < 0)
			die("encode");
		req_cons++;
		requests++;
	}
	*idx(4) = req_cons + 1;
	__atomic_store_n(idx(8), req_cons, __ATOMIC_RELEASE);
}

static void monitors(void *xch, bool on)
{
	if (x.xc_monitor_write_ctrlreg(xch, dom, VMT_CR3, on, true, 0, false) ||
	    x.xc_monitor_cpuid(xch, dom, on) ||
	    x.xc_monitor_guest_request(xch, dom, on, true, false))
		die("monitor switch");
}

int main(int argc, char **argv)
{
	uint32_t port;
	if (argc != 3) {
		fprintf(stderr, "usage: dl_consumer DOMID COUNT\n");
		return 2;
	}
	dom = (uint32_t)strtoul(argv[1], NULL, 0);
	uint64_t count = strtoull(argv[2], NULL, 0);
	load();
	void *xch = x.xc_interface_open(NULL, NULL, 0);
	if (!xch)
		die("xc_interface_open");
	abi = (uint32_t)x.xc_vm_event_get_version(xch);
	esz = vmt_abi_entry_size(abi);
	if (!esz)
		die("unknown ABI");
	if (x.xc_domain_pause(xch, dom))
		die("pause");
	ring = x.xc_monitor_enable(xch, dom, &port);
	if (!ring)
		die("xc_monitor_enable");
	memset(ring, 0, VMT_RING_HDR);
	*idx(4) = *idx(12) = 1;
	void *xce = x.xenevtchn_open(NULL, 0);
	int lport = xce ? x.xenevtchn_bind_interdomain(xce, dom, port) : -1;
	if (lport < 0)
		die("event channel");
	monitors(xch, true);
	if (x.xc_domain_unpause(xch, dom))
		die("unpause");
	while (requests < count) {
		struct pollfd p = { .fd = x.xenevtchn_fd(xce), .events = POLLIN };
		if (poll(&p, 1, 100) > 0) {
			int pp = x.xenevtchn_pending(xce);
			if (pp < 0 || x.xenevtchn_unmask(xce, (uint32_t)pp))
				die("pending");
		}
		drain();
		if (x.xenevtchn_notify(xce, (uint32_t)lport))
			die("notify");
	}
	if (x.xc_domain_pause(xch, dom))
		die("pause");
	monitors(xch, false);
	struct pollfd p = { .fd = x.xenevtchn_fd(xce), .events = POLLIN };
	if (poll(&p, 1, 0) > 0 && x.xenevtchn_pending(xce) >= 0)
		x.xenevtchn_unmask(xce, (uint32_t)lport);
	drain();
	x.xenevtchn_notify(xce, (uint32_t)lport);
	if (x.xc_monitor_disable(xch, dom) || x.xc_domain_unpause(xch, dom))
		die("teardown");
	munmap(ring, 4096);
	x.xenevtchn_unbind(xce, (uint32_t)lport);
	x.xenevtchn_close(xce);
	x.xc_interface_close(xch);
	printf("requests=%llu\n", (unsigned long long)requests);
	return 0;
}
