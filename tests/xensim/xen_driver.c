/*
 * xen_driver.c - a monitor that starts the way LibVMI's Xen driver does
 * (driver/xen: xen.c, libxc_wrapper.c, libxs_wrapper.c, xen_events.c),
 * run under `xensim run` and linked to no Xen library at all:
 *   1. reads the Xen release from /sys/hypervisor (type, version/major,
 *      version/minor) before it loads any Xen library;
 *   2. dlopen("libxenctrl.so") (then "libxenctrl.so.4.17") and resolves
 *      every name LibVMI's wrapper looks up, checking the 4.17 set LibVMI
 *      requires; dlopen("libxenstore.so") likewise;
 *   3. finds its domain by name through xenstore (/local/domain/<id>/name);
 *   4. reads vCPU 0's registers and one page, watches @introduceDomain and
 *      @releaseDomain (each fires once at registration), enables the
 *      monitor ring and receives events through libxenctrl's xc_evtchn_*
 *      names, polling the event channel and xenstore together;
 *   5. answers N events, then tears down: nobody is left paused.
 * Usage: xen_driver NAME N.  Prints "domain ID events N watches W".
 * Exit status: 0 done, 1 a call failed or a check did not hold.
 */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define XC_WANT_COMPAT_DEVICEMODEL_API 1
#define XC_WANT_COMPAT_EVTCHN_API 1
#define XC_WANT_COMPAT_MAP_FOREIGN_API 1
#include <xenctrl.h>
#include <xenstore.h>
#include <xen/hvm/save.h>
#include <xen/vm_event.h>

/* Every libxenctrl name LibVMI's wrapper resolves. */
static const char *const xc_names[] = {
	"xc_interface_open", "xc_interface_close", "xc_version",
	"xc_map_foreign_pages", "xc_map_foreign_range",
	"xc_domain_get_tsc_info", "xc_vcpu_getcontext", "xc_vcpu_setcontext",
	"xc_domain_hvm_getcontext", "xc_domain_hvm_getcontext_partial",
	"xc_domain_hvm_setcontext", "xc_domain_getinfolist", "xc_domctl",
	"xc_domain_pause", "xc_domain_unpause", "xc_domain_maximum_gpfn",
	"xc_domain_cacheflush", "xc_domain_setmaxmem",
	"xc_vm_event_get_version", "xc_domain_debug_control",
	"xc_domain_set_access_required",
	"xc_domain_decrease_reservation_exact", "xc_hvm_inject_trap",
	"xc_domain_populate_physmap_exact", "xc_evtchn_open",
	"xc_evtchn_close", "xc_evtchn_fd", "xc_evtchn_notify",
	"xc_evtchn_pending", "xc_evtchn_unmask", "xc_evtchn_unbind",
	"xc_evtchn_bind_interdomain", "xc_set_mem_access", "xc_get_mem_access",
	"xc_monitor_enable", "xc_monitor_disable", "xc_monitor_resume",
	"xc_monitor_get_capabilities", "xc_monitor_write_ctrlreg",
	"xc_monitor_mov_to_msr", "xc_monitor_singlestep",
	"xc_monitor_software_breakpoint", "xc_monitor_guest_request",
	"xc_monitor_privileged_call", "xc_monitor_descriptor_access",
	"xc_monitor_emul_unimplemented", "xc_altp2m_get_domain_state",
	"xc_altp2m_set_domain_state", "xc_altp2m_set_vcpu_enable_notify",
	"xc_altp2m_create_view", "xc_altp2m_destroy_view",
	"xc_altp2m_switch_to_view", "xc_altp2m_set_mem_access",
	"xc_altp2m_set_mem_access_multi", "xc_altp2m_change_gfn",
	"xc_monitor_debug_exceptions", "xc_monitor_cpuid", "xc_monitor_vmexit",
	"xc_hvm_param_get", "xc_hvm_param_set", "xc_get_hvm_param",
	"xc_set_hvm_param",
};
/* Names LibVMI also looks up that Xen 4.17's library does not have (older
 * releases' calls, and xc_monitor_io of 4.18): they must stay absent. */
static const char *const xc_not_417[] = {
	"xc_map_foreign_batch", "xc_mem_access_enable", "xc_mem_access_disable",
	"xc_mem_access_resume", "xc_monitor_io",
};
static const char *const xs_names[] = {
	"xs_open", "xs_close", "xs_directory", "xs_read", "xs_fileno",
	"xs_is_domain_introduced", "xs_read_watch", "xs_watch", "xs_unwatch",
};

#define N_XC (sizeof(xc_names) / sizeof(xc_names[0]))
#define N_XS (sizeof(xs_names) / sizeof(xs_names[0]))
static void *xc_sym[N_XC], *xs_sym[N_XS];
static unsigned long failures;

#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "xen_driver: " \
	__VA_ARGS__); fputc('\n', stderr); failures++; } } while (0)

static void die(const char *what)
{
	fprintf(stderr, "xen_driver: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *lookup(const char *name, const char *const *names,
		    void *const *syms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return syms[i];
	fprintf(stderr, "xen_driver: %s is not in the list\n", name);
	exit(1);
}

/* A resolved function, with the type <xenctrl.h>/<xenstore.h> declare. */
#define XC(f) ((__typeof__(&f))lookup(#f, xc_names, xc_sym, N_XC))
#define XS(f) ((__typeof__(&f))lookup(#f, xs_names, xs_sym, N_XS))

/* ---- 1. the release, from /sys/hypervisor (xen_get_version) ------------ */

static long read_line(const char *path)
{
	char *line = NULL;
	size_t len = 0;
	long v = -1;
	FILE *f = fopen(path, "r");

	if (f && getline(&line, &len, f) > 0)
		v = strncmp(line, "xen", 3) ? strtol(line, NULL, 10) : 0;
	free(line);
	if (f)
		fclose(f);
	return v;
}

static void probe(void)
{
	if (read_line("/sys/hypervisor/type") != 0)
		die("/sys/hypervisor/type does not say xen");
	long major = read_line("/sys/hypervisor/version/major");
	long minor = read_line("/sys/hypervisor/version/minor");
	if (major != 4 || minor != 17) {
		fprintf(stderr, "xen_driver: Xen %ld.%ld, not 4.17\n", major, minor);
		exit(1);
	}
}

/* ---- 2. the libraries (create_libxc_wrapper, create_libxs_wrapper) ----- */

static void *open_lib(const char *const *sonames)
{
	void *h = NULL;

	for (; *sonames && !h; sonames++)
		h = dlopen(*sonames, RTLD_NOW | RTLD_GLOBAL);
	if (!h) {
		fprintf(stderr, "xen_driver: dlopen: %s\n", dlerror());
		exit(1);
	}
	return h;
}

static void resolve(void)
{
	static const char *const xc_so[] = { "libxenctrl.so", "libxenctrl.so.4.17",
					     NULL };
	static const char *const xs_so[] = { "libxenstore.so", NULL };
	void *xc = open_lib(xc_so), *xs = open_lib(xs_so);

	for (size_t i = 0; i < N_XC; i++) {
		xc_sym[i] = dlsym(xc, xc_names[i]);
		CHECK(xc_sym[i], "missing symbol %s", xc_names[i]);
	}
	for (size_t i = 0; i < sizeof(xc_not_417) / sizeof(xc_not_417[0]); i++)
		CHECK(!dlsym(xc, xc_not_417[i]), "%s is not a 4.17 name",
		      xc_not_417[i]);
	for (size_t i = 0; i < N_XS; i++) {
		xs_sym[i] = dlsym(xs, xs_names[i]);
		CHECK(xs_sym[i], "missing symbol %s", xs_names[i]);
	}
	if (failures)
		exit(1);
}

/* ---- 3. the domain by name (xen_get_domainid_from_name) ---------------- */

static uint32_t find_domain(struct xs_handle *xs, const char *name)
{
	unsigned n = 0;
	char **ids = XS(xs_directory)(xs, XBT_NULL, "/local/domain", &n);
	long found = -1;

	if (!ids)
		die("xs_directory /local/domain");
	for (unsigned i = 0; i < n && found < 0; i++) {
		char path[96];
		unsigned len;
		snprintf(path, sizeof(path), "/local/domain/%s/name", ids[i]);
		char *v = XS(xs_read)(xs, XBT_NULL, path, &len);
		if (v && !strcmp(v, name))
			found = strtol(ids[i], NULL, 10);
		free(v);
	}
	free(ids);
	if (found < 0) {
		fprintf(stderr, "xen_driver: no domain named %s\n", name);
		exit(1);
	}
	return (uint32_t)found;
}

/* ---- 4./5. events (xen_init_events, xen_events_listen) ----------------- */

struct mon {
	xc_interface *xch;
	xc_evtchn *xce;
	uint32_t dom;
	int port;
	void *page;
	vm_event_back_ring_t back;
	unsigned long handled, watches;
};

static void answer_all(struct mon *m)
{
	vm_event_back_ring_t *b = &m->back;

	while (RING_HAS_UNCONSUMED_REQUESTS(b)) {
		vm_event_request_t q;
		vm_event_response_t r = { .version = VM_EVENT_INTERFACE_VERSION };
		memcpy(&q, RING_GET_REQUEST(b, b->req_cons), sizeof(q));
		b->req_cons++;
		b->sring->req_event = b->req_cons + 1;
		CHECK(q.version == VM_EVENT_INTERFACE_VERSION, "version %u",
		      q.version);
		r.vcpu_id = q.vcpu_id;
		r.reason = q.reason;
		r.flags = q.flags & VM_EVENT_FLAG_VCPU_PAUSED;
		memcpy(RING_GET_RESPONSE(b, b->rsp_prod_pvt), &r, sizeof(r));
		b->rsp_prod_pvt++;
		RING_PUSH_RESPONSES(b);
		m->handled++;
	}
	if (XC(xc_evtchn_notify)(m->xce, (evtchn_port_t)m->port))
		die("xc_evtchn_notify");
}

static void start_events(struct mon *m)
{
	uint32_t rport;

	if (XC(xc_domain_pause)(m->xch, m->dom))
		die("xc_domain_pause");
	m->page = XC(xc_monitor_enable)(m->xch, m->dom, &rport);
	if (!m->page)
		die("xc_monitor_enable");
	m->xce = XC(xc_evtchn_open)(NULL, 0);
	if (!m->xce)
		die("xc_evtchn_open");
	m->port = XC(xc_evtchn_bind_interdomain)(m->xce, m->dom, rport);
	if (m->port < 0)
		die("xc_evtchn_bind_interdomain");
	SHARED_RING_INIT((vm_event_sring_t *)m->page);
	BACK_RING_INIT(&m->back, (vm_event_sring_t *)m->page, XC_PAGE_SIZE);
	if (XC(xc_monitor_software_breakpoint)(m->xch, m->dom, true) ||
	    XC(xc_monitor_write_ctrlreg)(m->xch, m->dom, VM_EVENT_X86_CR3, true,
					 true, 0, false))
		die("monitor switches");
	if (XC(xc_domain_unpause)(m->xch, m->dom))
		die("xc_domain_unpause");
}

/* One poll over the event channel and xenstore, as xen_events_listen. */
static void listen_once(struct mon *m, struct xs_handle *xs)
{
	struct pollfd p[2] = {
		{ .fd = XC(xc_evtchn_fd)(m->xce), .events = POLLIN },
		{ .fd = XS(xs_fileno)(xs), .events = POLLIN },
	};

	if (poll(p, 2, 1000) < 0 && errno != EINTR)
		die("poll");
	if (p[1].revents & POLLIN) {
		unsigned n;
		char **v = XS(xs_read_watch)(xs, &n);
		if (!v)
			die("xs_read_watch");
		m->watches++;
		free(v);
	}
	if (p[0].revents & POLLIN) {
		int port = XC(xc_evtchn_pending)(m->xce);
		if (port != m->port)
			die("xc_evtchn_pending");
		if (XC(xc_evtchn_unmask)(m->xce, (evtchn_port_t)port))
			die("xc_evtchn_unmask");
		answer_all(m);
	}
}

static void stop_events(struct mon *m)
{
	if (XC(xc_domain_pause)(m->xch, m->dom))
		die("xc_domain_pause");
	if (XC(xc_monitor_software_breakpoint)(m->xch, m->dom, false) ||
	    XC(xc_monitor_write_ctrlreg)(m->xch, m->dom, VM_EVENT_X86_CR3, false,
					 true, 0, false))
		die("monitor switches off");
	answer_all(m);
	if (XC(xc_monitor_disable)(m->xch, m->dom))
		die("xc_monitor_disable");
	if (XC(xc_domain_unpause)(m->xch, m->dom))
		die("xc_domain_unpause");
	munmap(m->page, XC_PAGE_SIZE);
	if (XC(xc_evtchn_unbind)(m->xce, (evtchn_port_t)m->port) ||
	    XC(xc_evtchn_close)(m->xce))
		die("xc_evtchn_unbind/close");
}

/* What LibVMI's init reads: the domain, its memory, vCPU 0, one page. */
static void inspect(struct mon *m)
{
	xc_domaininfo_t info;
	xen_pfn_t max = 0;
	struct hvm_hw_cpu cpu;

	CHECK(XC(xc_domain_getinfolist)(m->xch, m->dom, 1, &info) == 1 &&
	      info.domain == m->dom, "xc_domain_getinfolist");
	CHECK(info.flags & XEN_DOMINF_hvm_guest, "not an HVM guest");
	CHECK(!XC(xc_domain_maximum_gpfn)(m->xch, m->dom, &max) && max,
	      "xc_domain_maximum_gpfn");
	CHECK(XC(xc_vm_event_get_version)(m->xch) == VM_EVENT_INTERFACE_VERSION,
	      "vm_event version");
	CHECK(!XC(xc_domain_hvm_getcontext_partial)(m->xch, m->dom,
		HVM_SAVE_CODE(CPU), 0, &cpu, sizeof(cpu)) && cpu.cr0,
	      "xc_domain_hvm_getcontext_partial");
	void *page = XC(xc_map_foreign_range)(m->xch, m->dom, XC_PAGE_SIZE,
					      PROT_READ, 0x10);
	CHECK(page, "xc_map_foreign_range");
	if (page)
		munmap(page, XC_PAGE_SIZE);
}

int main(int argc, char **argv)
{
	struct mon m = { .port = -1 };

	if (argc != 3) {
		fputs("usage: xen_driver NAME N\n", stderr);
		return 1;
	}
	unsigned long want = strtoul(argv[2], NULL, 10);
	probe();
	resolve();
	m.xch = XC(xc_interface_open)(NULL, NULL, 0);
	struct xs_handle *xs = XS(xs_open)(0);
	if (!m.xch || !xs)
		die("xc_interface_open / xs_open");
	m.dom = find_domain(xs, argv[1]);
	CHECK(XS(xs_is_domain_introduced)(xs, m.dom), "not introduced");
	inspect(&m);
	if (!XS(xs_watch)(xs, "@introduceDomain", "vmi-intro") ||
	    !XS(xs_watch)(xs, "@releaseDomain", "vmi-release"))
		die("xs_watch");
	start_events(&m);
	while (m.handled < want || m.watches < 2)
		listen_once(&m, xs);
	stop_events(&m);
	XS(xs_unwatch)(xs, "@introduceDomain", "vmi-intro");
	XS(xs_unwatch)(xs, "@releaseDomain", "vmi-release");
	XS(xs_close)(xs);
	XC(xc_interface_close)(m.xch);
	printf("domain %u events %lu watches %lu\n", m.dom, m.handled, m.watches);
	return failures ? 1 : 0;
}
