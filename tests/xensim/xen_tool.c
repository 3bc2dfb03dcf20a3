/*
 * xen_tool.c - a monitor written the way Xen's own tools are: against
 * Debian's libxen-dev 4.17 headers (<xenctrl.h>, <xenevtchn.h>,
 * <xen/vm_event.h> with its ring macros), linked to Debian's
 * libxenctrl.so.4.17 and libxenevtchn.so.1, and run against xensim's
 * libraries through the library path.  It uses nothing of vmtrail.
 *
 * Modes (each ends with xen-access's teardown unless it says otherwise):
 *   pages N      the whole guest restricted to n; each violated gfn is
 *                relaxed to rwx, until N distinct gfns were relaxed
 *   required on|off
 *                access_required set, restrictions left behind by a
 *                disabled monitor: exits with the ring gone
 *   altp2m N     xen-access's altp2m write flow for N mem_access events
 *   cpuid N      CPUID answered with SET_REGISTERS and rip advanced; the
 *                registers the last answer set, read back through
 *                getcontext and the HVM save records, then written
 *   async N      guest requests, asynchronous (vCPUs block for ring space)
 *   signal       breakpoints until SIGTERM, then the teardown
 * Exit status: 0 done, 1 a call failed or a check did not hold.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <xenctrl.h>
#include <xenevtchn.h>
#include <xen/hvm/save.h>
#include <xen/vm_event.h>

static xc_interface *xch;
static xenevtchn_handle *xce;
static uint32_t dom = 1;
static void *ring_page;
static vm_event_back_ring_t back;
static int lport = -1;
static xen_pfn_t max_gpfn;
static volatile sig_atomic_t stop;
static uint16_t view;            /* the altp2m view made by altp2m mode */
static unsigned long failures;

#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "xen_tool: " \
	__VA_ARGS__); fputc('\n', stderr); failures++; } } while (0)

static void die(const char *what)
{
	fprintf(stderr, "xen_tool: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ---- ring set-up and teardown, as xen-access does ---------------------- */

static void setup(void)
{
	uint32_t port;

	xch = xc_interface_open(NULL, NULL, 0);
	if (!xch)
		die("xc_interface_open");
	if (xc_domain_maximum_gpfn(xch, dom, &max_gpfn))
		die("xc_domain_maximum_gpfn");
	if (xc_domain_pause(xch, dom))
		die("xc_domain_pause");
	ring_page = xc_monitor_enable(xch, dom, &port);
	if (!ring_page)
		die("xc_monitor_enable");
	xce = xenevtchn_open(NULL, 0);
	if (!xce)
		die("xenevtchn_open");
	lport = xenevtchn_bind_interdomain(xce, dom, port);
	if (lport < 0)
		die("xenevtchn_bind_interdomain");
	SHARED_RING_INIT((vm_event_sring_t *)ring_page);
	BACK_RING_INIT(&back, (vm_event_sring_t *)ring_page, XC_PAGE_SIZE);
}

static void answer(void);

static void teardown(bool restore)
{
	if (xc_domain_pause(xch, dom))
		die("xc_domain_pause");
	if (restore && xc_set_mem_access(xch, dom, XENMEM_access_rwx, 0,
					 (uint32_t)max_gpfn + 1))
		die("xc_set_mem_access (restore)");
	answer();
	if (xc_monitor_disable(xch, dom))
		die("xc_monitor_disable");
	if (xc_domain_unpause(xch, dom))
		die("xc_domain_unpause");
	munmap(ring_page, XC_PAGE_SIZE);
	xenevtchn_unbind(xce, (evtchn_port_t)lport);
	xenevtchn_close(xce);
	xc_interface_close(xch);
}

/* ---- the event loop ------------------------------------------------------ */

typedef void (*handler_fn)(const vm_event_request_t *q, vm_event_response_t *r);

static unsigned long handled;

static void handle_one(handler_fn h)
{
	vm_event_request_t q;
	vm_event_response_t r;

	memcpy(&q, RING_GET_REQUEST(&back, back.req_cons), sizeof(q));
	back.req_cons++;
	back.sring->req_event = back.req_cons + 1;
	CHECK(q.version == VM_EVENT_INTERFACE_VERSION, "request version %u",
	      q.version);
	memset(&r, 0, sizeof(r));
	r.version = VM_EVENT_INTERFACE_VERSION;
	r.vcpu_id = q.vcpu_id;
	r.reason = q.reason;
	r.flags = q.flags & VM_EVENT_FLAG_VCPU_PAUSED;
	if (h)
		h(&q, &r);
	memcpy(RING_GET_RESPONSE(&back, back.rsp_prod_pvt), &r, sizeof(r));
	back.rsp_prod_pvt++;
	RING_PUSH_RESPONSES(&back);
	handled++;
}

/* Plain answers to whatever is on the ring (teardown). */
static void answer(void)
{
	while (RING_HAS_UNCONSUMED_REQUESTS(&back))
		handle_one(NULL);
	xenevtchn_notify(xce, (evtchn_port_t)lport);
}

/* Runs @h on requests until @n were handled, @done says so, or a signal. */
static void loop(handler_fn h, unsigned long n, bool (*done)(void))
{
	struct pollfd p = { .fd = xenevtchn_fd(xce), .events = POLLIN };

	while (!stop && handled < n && !(done && done())) {
		int rc = poll(&p, 1, 100);
		if (rc < 0 && errno != EINTR)
			die("poll");
		if (rc <= 0)
			continue;
		int port = xenevtchn_pending(xce);
		if (port < 0)
			die("xenevtchn_pending");
		xenevtchn_unmask(xce, (evtchn_port_t)port);
		while (RING_HAS_UNCONSUMED_REQUESTS(&back) && handled < n)
			handle_one(h);
		if (xenevtchn_notify(xce, (evtchn_port_t)lport))
			die("xenevtchn_notify");
	}
}

/* ---- pages: relax one gfn per violation ------------------------------- */

static uint8_t *relaxed;         /* one bit per gfn */
static unsigned long n_relaxed, want_relaxed;

static void relax(const vm_event_request_t *q, vm_event_response_t *r)
{
	uint64_t g = q->u.mem_access.gfn;
	xenmem_access_t a;

	(void)r;
	CHECK(q->reason == VM_EVENT_REASON_MEM_ACCESS, "reason %u", q->reason);
	CHECK(g <= max_gpfn, "gfn 0x%llx past the guest", (unsigned long long)g);
	if (q->reason != VM_EVENT_REASON_MEM_ACCESS || g > max_gpfn)
		return;
	CHECK(!(relaxed[g / 8] & (1u << (g % 8))),
	      "gfn 0x%llx faulted again after it was relaxed",
	      (unsigned long long)g);
	relaxed[g / 8] |= (uint8_t)(1u << (g % 8));
	n_relaxed++;
	if (xc_set_mem_access(xch, dom, XENMEM_access_rwx, g, 1))
		die("xc_set_mem_access (relax)");
	if (xc_get_mem_access(xch, dom, g, &a))
		die("xc_get_mem_access");
	CHECK(a == XENMEM_access_rwx, "gfn 0x%llx reads back %d",
	      (unsigned long long)g, a);
}

static bool enough_relaxed(void)
{
	return n_relaxed >= want_relaxed;
}

static void mode_pages(unsigned long n)
{
	xenmem_access_t a;

	relaxed = calloc(max_gpfn / 8 + 1, 1);
	if (!relaxed)
		die("calloc");
	want_relaxed = n;
	/* The whole guest in one call, as xen-access restricts it. */
	if (xc_set_mem_access(xch, dom, XENMEM_access_n, 0, (uint32_t)max_gpfn + 1))
		die("xc_set_mem_access (all)");
	if (xc_get_mem_access(xch, dom, max_gpfn, &a))
		die("xc_get_mem_access (last gfn)");
	CHECK(a == XENMEM_access_n, "last gfn reads back %d", a);
	if (xc_domain_unpause(xch, dom))
		die("xc_domain_unpause");
	loop(relax, ~0ul, enough_relaxed);
	CHECK(n_relaxed >= n, "only %lu gfns relaxed", n_relaxed);
	printf("relaxed %lu\n", n_relaxed);
	teardown(true);
}

/* ---- access_required with nobody listening ---------------------------- */

static void mode_required(bool on)
{
	/* The data pages the memory scenario's processes touch. */
	if (xc_domain_set_access_required(xch, dom, on))
		die("xc_domain_set_access_required");
	if (xc_set_mem_access(xch, dom, XENMEM_access_n, 0x2000, 0x6000) ||
	    xc_set_mem_access(xch, dom, XENMEM_access_n, 0x10000, 0x20000))
		die("xc_set_mem_access");
	/* Disabled with the restrictions left in place (Xen 4.17). */
	answer();
	if (xc_monitor_disable(xch, dom))
		die("xc_monitor_disable");
	if (xc_domain_unpause(xch, dom))
		die("xc_domain_unpause");
	munmap(ring_page, XC_PAGE_SIZE);
	xenevtchn_unbind(xce, (evtchn_port_t)lport);
	xenevtchn_close(xce);
	xc_interface_close(xch);
}

/* ---- altp2m: xen-access's write flow ---------------------------------- */

static unsigned long mem_events, ss_events;

static void altp2m_step(const vm_event_request_t *q, vm_event_response_t *r)
{
	CHECK(q->flags & VM_EVENT_FLAG_ALTERNATE_P2M,
	      "request without ALTERNATE_P2M while altp2m is active");
	if (q->reason == VM_EVENT_REASON_MEM_ACCESS) {
		CHECK(q->altp2m_idx == view, "mem_access in view %u", q->altp2m_idx);
		/* Let the write through on the host's view for one step. */
		r->flags |= VM_EVENT_FLAG_ALTERNATE_P2M |
			    VM_EVENT_FLAG_TOGGLE_SINGLESTEP;
		r->altp2m_idx = 0;
		mem_events++;
	} else if (q->reason == VM_EVENT_REASON_SINGLESTEP) {
		CHECK(q->altp2m_idx == 0, "singlestep in view %u", q->altp2m_idx);
		r->flags |= VM_EVENT_FLAG_ALTERNATE_P2M |
			    VM_EVENT_FLAG_TOGGLE_SINGLESTEP;
		r->altp2m_idx = view;
		ss_events++;
	} else {
		CHECK(0, "unexpected reason %u", q->reason);
	}
}

static unsigned long want_mem;

static bool enough_mem(void)
{
	return mem_events >= want_mem && !(ss_events < mem_events);
}

static void altp2m_views(void)
{
	xenmem_access_t a;
	uint16_t idx = 99;
	bool state = true;

	/* change_gfn: the old gfn takes what the new one maps. */
	if (xc_altp2m_set_mem_access(xch, dom, view, 0x5000, XENMEM_access_x) ||
	    xc_altp2m_change_gfn(xch, dom, view, 0x5001, 0x5000))
		die("xc_altp2m_change_gfn");
	if (xc_altp2m_get_mem_access(xch, dom, view, 0x5001, &a))
		die("xc_altp2m_get_mem_access");
	CHECK(a == XENMEM_access_x, "remapped gfn has access %d", a);
	if (xc_altp2m_change_gfn(xch, dom, view, 0x5001, ~0ul))
		die("xc_altp2m_change_gfn (reset)");
	if (xc_altp2m_get_vcpu_p2m_idx(xch, dom, 0, &idx))
		die("xc_altp2m_get_vcpu_p2m_idx");
	CHECK(idx == view || idx == 0, "vCPU 0 on view %u", idx);
	if (xc_altp2m_switch_to_view(xch, dom, view) ||
	    xc_altp2m_get_vcpu_p2m_idx(xch, dom, 0, &idx))
		die("xc_altp2m_switch_to_view");
	CHECK(idx == view, "vCPU 0 on view %u after the switch", idx);
	/* A view in use cannot go; view 0 never can. */
	CHECK(xc_altp2m_destroy_view(xch, dom, view) == -1 && errno == EBUSY,
	      "destroying a view in use");
	if (xc_altp2m_switch_to_view(xch, dom, 0))
		die("xc_altp2m_switch_to_view 0");
	if (xc_altp2m_destroy_view(xch, dom, view))
		die("xc_altp2m_destroy_view");
	CHECK(xc_altp2m_destroy_view(xch, dom, 0) == -1 && errno == EBUSY,
	      "destroying view 0");
	if (xc_altp2m_set_domain_state(xch, dom, false) ||
	    xc_altp2m_get_domain_state(xch, dom, &state))
		die("xc_altp2m_set_domain_state off");
	CHECK(!state, "altp2m still active");
	CHECK(xc_altp2m_switch_to_view(xch, dom, 0) == -1 && errno == EOPNOTSUPP,
	      "altp2m call with altp2m off");
}

static void mode_altp2m(unsigned long n)
{
	bool state = false;

	if (xc_altp2m_set_domain_state(xch, dom, true) ||
	    xc_altp2m_get_domain_state(xch, dom, &state) || !state)
		die("xc_altp2m_set_domain_state");
	if (xc_altp2m_create_view(xch, dom, XENMEM_access_rwx, &view))
		die("xc_altp2m_create_view");
	CHECK(view != 0, "a new view got index 0");
	/* The data pages read-only in the view only. */
	for (xen_pfn_t g = 0x2000; g < 0x2400; g++)
		if (xc_altp2m_set_mem_access(xch, dom, view, g, XENMEM_access_rx))
			die("xc_altp2m_set_mem_access");
	/* Reads of 0x2100.. in the view reach the pages of 0x2000.. */
	for (xen_pfn_t g = 0; g < 0x100; g++)
		if (xc_altp2m_change_gfn(xch, dom, view, 0x2100 + g, 0x2000 + g))
			die("xc_altp2m_change_gfn");
	if (xc_monitor_singlestep(xch, dom, true))
		die("xc_monitor_singlestep");
	if (xc_altp2m_switch_to_view(xch, dom, view))
		die("xc_altp2m_switch_to_view");
	if (xc_domain_unpause(xch, dom))
		die("xc_domain_unpause");
	want_mem = n;
	loop(altp2m_step, ~0ul, enough_mem);
	if (xc_domain_pause(xch, dom))
		die("xc_domain_pause");
	while (RING_HAS_UNCONSUMED_REQUESTS(&back))
		handle_one(altp2m_step);
	xenevtchn_notify(xce, (evtchn_port_t)lport);
	if (xc_monitor_singlestep(xch, dom, false))
		die("xc_monitor_singlestep off");
	altp2m_views();
	if (xc_domain_unpause(xch, dom))
		die("xc_domain_unpause");
	printf("altp2m %lu %lu\n", mem_events, ss_events);
	teardown(false);
}

/* ---- cpuid with SET_REGISTERS ----------------------------------------- */

static unsigned long vendor_seen, cpuid_want;
static vm_event_response_t last_rsp;   /* the final answer, for the checks */

static void cpuid_step(const vm_event_request_t *q, vm_event_response_t *r)
{
	const struct vm_event_regs_x86 *x = &q->data.regs.x86;

	CHECK(q->reason == VM_EVENT_REASON_CPUID, "reason %u", q->reason);
	CHECK(!((x->rax | x->rbx | x->rcx | x->rdx) >> 32),
	      "cpuid results wider than 32 bits");
	if (q->u.cpuid.leaf == 0) {
		CHECK(x->rbx == 0x756e6547 && x->rdx == 0x49656e69 &&
		      x->rcx == 0x6c65746e, "leaf 0 without the vendor");
		vendor_seen++;
	}
	/* xen-access: hand the results back and step over the instruction. */
	r->data = q->data;
	r->data.regs.x86.rip += q->u.cpuid.insn_length;
	r->flags |= VM_EVENT_FLAG_SET_REGISTERS;
	if (handled + 1 == cpuid_want) {
		/* The last answer: hold the guest so its registers stay
		 * what the answer set, and mark one the guest never writes. */
		if (xc_domain_pause(xch, dom))
			die("xc_domain_pause");
		r->data.regs.x86.r8 = 0x5e75e7;
		last_rsp = *r;
	}
}

/* The registers the last answer set, through every read call; then
 * setcontext and hvm_setcontext write what reads see. */
static void check_registers(void)
{
	const struct vm_event_regs_x86 *w = &last_rsp.data.regs.x86;
	uint32_t v = last_rsp.vcpu_id;
	vcpu_guest_context_any_t c;
	struct hvm_hw_cpu cpu;

	if (xc_vcpu_getcontext(xch, dom, v, &c))
		die("xc_vcpu_getcontext");
	CHECK(c.x64.user_regs.rip == w->rip && c.x64.user_regs.rax == w->rax &&
	      c.x64.user_regs.rdx == w->rdx && c.x64.user_regs.r8 == w->r8 &&
	      c.x64.ctrlreg[3] == w->cr3,
	      "getcontext: rip %llx rax %llx r8 %llx, the answer set rip %llx rax %llx",
	      (unsigned long long)c.x64.user_regs.rip,
	      (unsigned long long)c.x64.user_regs.rax,
	      (unsigned long long)c.x64.user_regs.r8,
	      (unsigned long long)w->rip, (unsigned long long)w->rax);
	if (xc_domain_hvm_getcontext_partial(xch, dom, HVM_SAVE_CODE(CPU), v,
					     &cpu, sizeof(cpu)))
		die("xc_domain_hvm_getcontext_partial");
	CHECK(cpu.rip == w->rip && cpu.rbx == w->rbx && cpu.r8 == w->r8 &&
	      cpu.cr3 == w->cr3 && cpu.msr_lstar == w->msr_lstar,
	      "hvm CPU record differs from the answer's registers");
	CHECK(xc_domain_hvm_getcontext_partial(xch, dom, HVM_SAVE_CODE(CPU), 99,
					       &cpu, sizeof(cpu)) == -1 &&
	      errno == ENOENT, "CPU record of a missing vCPU");
	c.x64.user_regs.r9 = 0x919191;
	if (xc_vcpu_setcontext(xch, dom, v, &c))
		die("xc_vcpu_setcontext");
	int n = xc_domain_hvm_getcontext(xch, dom, NULL, 0);
	if (n <= 0)
		die("xc_domain_hvm_getcontext (size)");
	uint8_t *buf = malloc((size_t)n);
	if (!buf || xc_domain_hvm_getcontext(xch, dom, buf, (uint32_t)n) != n)
		die("xc_domain_hvm_getcontext");
	/* Walk to vCPU v's CPU record, change r10, load it all back. */
	struct hvm_save_descriptor d;
	struct hvm_hw_cpu *rec = NULL;
	for (uint32_t off = 0; off + sizeof(d) <= (uint32_t)n; off += d.length) {
		memcpy(&d, buf + off, sizeof(d));
		off += sizeof(d);
		if (d.typecode == HVM_SAVE_CODE(CPU) && d.instance == v)
			rec = (struct hvm_hw_cpu *)(void *)(buf + off);
	}
	CHECK(rec && rec->r9 == 0x919191, "setcontext's r9 not in the save");
	if (rec) {
		rec->r10 = 0x101010;
		if (xc_domain_hvm_setcontext(xch, dom, buf, (uint32_t)n))
			die("xc_domain_hvm_setcontext");
		if (xc_domain_hvm_getcontext_partial(xch, dom, HVM_SAVE_CODE(CPU),
						     v, &cpu, sizeof(cpu)))
			die("xc_domain_hvm_getcontext_partial");
		CHECK(cpu.r10 == 0x101010 && cpu.r9 == 0x919191,
		      "hvm_setcontext's r10 not read back");
	}
	free(buf);
}

static void mode_cpuid(unsigned long n)
{
	if (xc_monitor_cpuid(xch, dom, true))
		die("xc_monitor_cpuid");
	if (xc_domain_unpause(xch, dom))
		die("xc_domain_unpause");
	cpuid_want = n;
	loop(cpuid_step, n, NULL);
	check_registers();
	if (xc_domain_unpause(xch, dom))
		die("xc_domain_unpause");
	if (xc_monitor_cpuid(xch, dom, false))
		die("xc_monitor_cpuid off");
	CHECK(vendor_seen > 0, "no CPUID leaf 0 in %lu requests", handled);
	printf("cpuid %lu\n", handled);
	teardown(false);
}

/* ---- async guest requests; breakpoints until a signal ------------------ */

static void mode_async(unsigned long n)
{
	if (xc_monitor_guest_request(xch, dom, true, false, true))
		die("xc_monitor_guest_request");
	if (xc_domain_unpause(xch, dom))
		die("xc_domain_unpause");
	loop(NULL, n, NULL);
	if (xc_monitor_guest_request(xch, dom, false, false, true))
		die("xc_monitor_guest_request off");
	teardown(false);
}

static void mode_signal(void)
{
	if (xc_monitor_software_breakpoint(xch, dom, true))
		die("xc_monitor_software_breakpoint");
	if (xc_domain_unpause(xch, dom))
		die("xc_domain_unpause");
	printf("running\n");
	fflush(stdout);
	loop(NULL, ~0ul, NULL);
	teardown(false);
}

/* Calls every monitoring tool makes before it watches (xen-access). */
static void probe_calls(void)
{
	if (xc_domain_debug_control(xch, dom, XEN_DOMCTL_DEBUG_OP_SINGLE_STEP_ON, 0) ||
	    xc_domain_debug_control(xch, dom, XEN_DOMCTL_DEBUG_OP_SINGLE_STEP_OFF, 0))
		die("xc_domain_debug_control");
	CHECK(xc_domain_debug_control(xch, dom, 7, 0) == -1 && errno == ENOSYS,
	      "debug_control with an unknown op");
	if (xc_domain_set_access_required(xch, dom, 0))
		die("xc_domain_set_access_required");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	unsigned long n = argc > 2 ? strtoul(argv[2], NULL, 0) : 1000;
	struct sigaction sa = { .sa_handler = on_signal };

	if (getenv("XEN_TOOL_DOMAIN"))
		dom = (uint32_t)strtoul(getenv("XEN_TOOL_DOMAIN"), NULL, 0);
	/* The ABI of the headers it was built against: the host it meets
	 * must speak it, whatever xensim's newest ABI is. */
	if (!strcmp(mode, "abi")) {
		printf("%d\n", VM_EVENT_INTERFACE_VERSION);
		return 0;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setup();
	probe_calls();
	if (!strcmp(mode, "pages"))
		mode_pages(n);
	else if (!strcmp(mode, "required"))
		mode_required(argc > 2 && !strcmp(argv[2], "on"));
	else if (!strcmp(mode, "altp2m"))
		mode_altp2m(n);
	else if (!strcmp(mode, "cpuid"))
		mode_cpuid(n);
	else if (!strcmp(mode, "async"))
		mode_async(n);
	else if (!strcmp(mode, "signal"))
		mode_signal();
	else {
		fprintf(stderr, "usage: xen_tool abi|pages|required|altp2m|cpuid|async|signal [N|on|off]\n");
		teardown(false);
		return 2;
	}
	if (failures)
		fprintf(stderr, "xen_tool: %lu check(s) failed\n", failures);
	return failures ? 1 : 0;
}
