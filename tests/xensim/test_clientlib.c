/*
 * test_clientlib.c - xensim's client libraries called the way a consumer
 * calls Xen's: domain enumeration, xenstore names, versions, capabilities,
 * monitor switches, ring ownership, pause counts, p2m access, foreign
 * mappings, and a consumer scribbling on the ring header.  Each test starts
 * its own daemon on a private socket.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define XC_WANT_COMPAT_DEVICEMODEL_API 1
#define XC_WANT_COMPAT_EVTCHN_API 1
#define XC_WANT_COMPAT_MAP_FOREIGN_API 1
#include <xenctrl.h>
#include <xen/hvm/params.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xenstore.h>
#include <xen/vm_event.h>

static pid_t daemon_pid;
static char dir[64];

/* Starts xensim with @args (NULL-terminated) and waits until it answers. */
static void start(const char *const *args)
{
	const char *argv[24] = { VMT_BINARY_DIR "/bin/xensim" };
	char sock[128];
	int n = 1;

	strcpy(dir, "/tmp/xensim-unit.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/s.sock", dir);
	setenv("VMT_XENSIM_SOCKET", sock, 1);
	for (; args && *args && n < 22; args++)
		argv[n++] = *args;
	daemon_pid = fork();
	cr_assert_neq(daemon_pid, -1);
	if (daemon_pid == 0) {
		freopen("/dev/null", "w", stderr);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	/* The socket path appears only once xensim listens: connect until
	 * it answers, or fail as soon as the daemon has exited instead. */
	for (;;) {
		xc_interface *x = xc_interface_open(NULL, NULL, 0);
		if (x) {
			xc_interface_close(x);
			return;
		}
		cr_assert_eq(waitpid(daemon_pid, NULL, WNOHANG), 0,
			     "xensim exited before it listened");
		usleep(20000);
	}
}

static void stop(void)
{
	char path[128];

	if (daemon_pid > 0) {
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, NULL, 0);
	}
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	unlink(path);
	rmdir(dir);
}

#define START(...) start((const char *const[]){ __VA_ARGS__, NULL })

static xc_interface *xc(void)
{
	xc_interface *x = xc_interface_open(NULL, NULL, 0);

	cr_assert_not_null(x, "xc_interface_open: %s", strerror(errno));
	return x;
}

Test(clientlib, no_daemon)
{
	setenv("VMT_XENSIM_SOCKET", "/tmp/xensim-unit-nobody-here.sock", 1);
	errno = 0;
	cr_expect_null(xc_interface_open(NULL, NULL, 0));
	cr_expect(errno == ENOENT || errno == ECONNREFUSED, "errno %d", errno);
	cr_expect_null(xenevtchn_open(NULL, 0));
	cr_expect_null(xs_open(0));
}

Test(clientlib, getinfo_enumerates_like_xen, .fini = stop)
{
	xc_dominfo_t info[4];

	START("--domain", "3:alpha", "--domain", "7:beta", "--vcpus", "3");
	xc_interface *x = xc();
	cr_assert_eq(xc_domain_getinfo(x, 0, 1, info), 1);
	cr_expect_eq(info[0].domid, 3);
	cr_expect_eq(info[0].max_vcpu_id, 2);
	cr_expect_eq(info[0].nr_online_vcpus, 3);
	cr_expect(info[0].hvm && !info[0].dying && !info[0].paused);
	cr_assert_eq(xc_domain_getinfo(x, 4, 1, info), 1);
	cr_expect_eq(info[0].domid, 7);
	cr_expect_eq(xc_domain_getinfo(x, 8, 1, info), 0);
	cr_expect_eq(xc_domain_getinfo(x, 0, 4, info), 2);
	xc_interface_close(x);
}

Test(clientlib, xenstore_names, .fini = stop)
{
	unsigned n = 0, len = 0;

	START("--domain", "3:alpha", "--domain", "7:beta");
	struct xs_handle *h = xs_open(0);
	cr_assert_not_null(h);
	char **d = xs_directory(h, XBT_NULL, "/local/domain", &n);
	cr_assert_not_null(d);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(d[0], "3");
	cr_expect_str_eq(d[1], "7");
	free(d);
	char *name = xs_read(h, XBT_NULL, "/local/domain/7/name", &len);
	cr_assert_not_null(name);
	cr_expect_str_eq(name, "beta");
	cr_expect_eq(len, 4);
	free(name);
	errno = 0;
	cr_expect_null(xs_read(h, XBT_NULL, "/local/domain/9/name", &len));
	cr_expect_eq(errno, ENOENT);
	xs_close(h);
}

Test(clientlib, versions_follow_abi, .fini = stop)
{
	char extra[XEN_EXTRAVERSION_LEN];

	START("--abi", "5");
	xc_interface *x = xc();
	cr_expect_eq(xc_vm_event_get_version(x), 5);
	cr_expect_eq(xc_version(x, XENVER_version, NULL), 4 << 16 | 13);
	cr_expect_eq(xc_version(x, XENVER_extraversion, extra), 0);
	cr_expect_neq(extra[0], '\0');
	xc_interface_close(x);
}

Test(clientlib, capabilities_and_switches, .fini = stop)
{
	uint32_t caps = 0;

	START("--abi", "1");
	xc_interface *x = xc();
	cr_assert_eq(xc_monitor_get_capabilities(x, 1, &caps), 0);
	cr_expect(caps & (1u << XEN_DOMCTL_MONITOR_EVENT_SOFTWARE_BREAKPOINT));
	cr_expect_not(caps & (1u << XEN_DOMCTL_MONITOR_EVENT_CPUID));
	cr_expect_eq(xc_monitor_cpuid(x, 1, true), -1);
	cr_expect_eq(errno, EOPNOTSUPP);
	cr_expect_eq(xc_monitor_privileged_call(x, 1, true), -1);
	cr_expect_eq(errno, EOPNOTSUPP);
	cr_expect_eq(xc_monitor_software_breakpoint(x, 1, true), 0);
	cr_expect_eq(xc_monitor_software_breakpoint(x, 1, true), -1);
	cr_expect_eq(errno, EEXIST);
	cr_expect_eq(xc_monitor_write_ctrlreg(x, 1, 1, true, true, 0, false), 0);
	cr_expect_eq(xc_monitor_write_ctrlreg(x, 1, 4, true, true, 0, false), -1);
	cr_expect_eq(errno, EINVAL);
	cr_expect_eq(xc_monitor_mov_to_msr(x, 1, 0xc0000080, true, false), 0);
	cr_expect_eq(xc_monitor_mov_to_msr(x, 1, 0xc0000080, false, false), 0);
	cr_expect_eq(xc_monitor_cpuid(x, 99, true), -1);
	cr_expect_eq(errno, ESRCH);
	xc_interface_close(x);
}

Test(clientlib, ring_ownership, .fini = stop)
{
	uint32_t port;

	START("--vcpus", "2");
	xc_interface *a = xc(), *b = xc();
	void *ring = xc_monitor_enable(a, 1, &port);
	cr_assert_not_null(ring);
	errno = 0;
	cr_expect_null(xc_monitor_enable(b, 1, &port));
	cr_expect_eq(errno, EBUSY);
	cr_expect_null(xc_monitor_enable(b, 42, &port));
	cr_expect_eq(errno, ESRCH);
	cr_expect_eq(xc_monitor_disable(b, 1), 0);
	cr_expect_eq(xc_monitor_disable(b, 1), -1);
	cr_expect_eq(errno, EINVAL);
	munmap(ring, XC_PAGE_SIZE);
	ring = xc_monitor_enable(b, 1, &port);
	cr_expect_not_null(ring);
	xc_interface_close(a);
	xc_interface_close(b);
}

Test(clientlib, pause_counts, .fini = stop)
{
	xc_dominfo_t info;

	START("--vcpus", "1");
	xc_interface *x = xc();
	cr_assert_eq(xc_domain_pause(x, 1), 0);
	cr_assert_eq(xc_domain_pause(x, 1), 0);
	cr_assert_eq(xc_domain_getinfo(x, 1, 1, &info), 1);
	cr_expect(info.paused);
	cr_expect_eq(xc_domain_unpause(x, 1), 0);
	cr_assert_eq(xc_domain_getinfo(x, 1, 1, &info), 1);
	cr_expect(info.paused);
	cr_expect_eq(xc_domain_unpause(x, 1), 0);
	cr_expect_eq(xc_domain_unpause(x, 1), -1);
	cr_expect_eq(errno, EINVAL);
	xc_interface_close(x);
}

Test(clientlib, mem_access_and_foreign_maps, .fini = stop)
{
	xenmem_access_t acc;
	xen_pfn_t max = 0;

	START("--vcpus", "1");
	xc_interface *x = xc();
	cr_assert_eq(xc_domain_maximum_gpfn(x, 1, &max), 0);
	cr_expect_eq(max, 262143);
	/* mem_access_memop: no monitor ring, no access op. */
	cr_expect_eq(xc_set_mem_access(x, 1, XENMEM_access_rx, 0x100, 16), -1);
	cr_expect_eq(errno, ENODEV);
	cr_expect_eq(xc_get_mem_access(x, 1, 0x100, &acc), -1);
	cr_expect_eq(errno, ENODEV);
	uint32_t port;
	void *ring = xc_monitor_enable(x, 1, &port);
	cr_assert_not_null(ring);
	cr_assert_eq(xc_set_mem_access(x, 1, XENMEM_access_rx, 0x100, 16), 0);
	cr_assert_eq(xc_get_mem_access(x, 1, 0x10f, &acc), 0);
	cr_expect_eq(acc, XENMEM_access_rx);
	cr_assert_eq(xc_get_mem_access(x, 1, 0x110, &acc), 0);
	cr_expect_eq(acc, XENMEM_access_rwx);
	/* A range past the last gfn, or empty, is refused as a whole. */
	cr_expect_eq(xc_set_mem_access(x, 1, XENMEM_access_r, max + 1, 1), -1);
	cr_expect_eq(errno, EINVAL);
	cr_expect_eq(xc_set_mem_access(x, 1, XENMEM_access_r, max, 2), -1);
	cr_expect_eq(xc_set_mem_access(x, 1, XENMEM_access_r, 5, 0), -1);
	cr_expect_eq(xc_get_mem_access(x, 1, max + 1, &acc), -1);
	cr_expect_eq(errno, EINVAL);
	/* The default applies to entries made later, not to existing ones. */
	cr_assert_eq(xc_set_mem_access(x, 1, XENMEM_access_n, ~0ull, 0), 0);
	cr_assert_eq(xc_get_mem_access(x, 1, ~0ull, &acc), 0);
	cr_expect_eq(acc, XENMEM_access_n);
	cr_assert_eq(xc_get_mem_access(x, 1, 0x110, &acc), 0);
	cr_expect_eq(acc, XENMEM_access_rwx);
	cr_assert_eq(xc_set_mem_access(x, 1, XENMEM_access_default, 0x200, 1), 0);
	cr_assert_eq(xc_get_mem_access(x, 1, 0x200, &acc), 0);
	cr_expect_eq(acc, XENMEM_access_n);
	cr_expect_eq(xc_set_mem_access(x, 1, (xenmem_access_t)11, 0x200, 1), -1);
	cr_expect_eq(errno, EINVAL);
	/* _multi: entry by entry, gfns beyond memory are no entry at all. */
	uint8_t accs[3] = { XENMEM_access_w, XENMEM_access_x, XENMEM_access_rx2rw };
	uint64_t gfns[3] = { 0x300, max + 7, 0x301 };
	cr_assert_eq(xc_set_mem_access_multi(x, 1, accs, gfns, 3), 0);
	cr_assert_eq(xc_get_mem_access(x, 1, 0x301, &acc), 0);
	cr_expect_eq(acc, XENMEM_access_rx2rw);
	/* Disabling the monitor leaves the restrictions in place (Xen 4.17). */
	cr_assert_eq(xc_domain_pause(x, 1), 0);
	cr_assert_eq(xc_monitor_disable(x, 1), 0);
	munmap(ring, XC_PAGE_SIZE);
	ring = xc_monitor_enable(x, 1, &port);
	cr_assert_not_null(ring);
	cr_assert_eq(xc_get_mem_access(x, 1, 0x10f, &acc), 0);
	cr_expect_eq(acc, XENMEM_access_rx);
	cr_assert_eq(xc_monitor_disable(x, 1), 0);
	munmap(ring, XC_PAGE_SIZE);

	xenforeignmemory_handle *fm = xenforeignmemory_open(NULL, 0);
	cr_assert_not_null(fm);
	xen_pfn_t pfns[2] = { 0x10, max + 5 };
	int err[2] = { 1, 1 };
	uint8_t *p = xenforeignmemory_map(fm, 1, PROT_READ, 2, pfns, err);
	cr_assert_not_null(p);
	cr_expect_eq(err[0], 0);
	cr_expect_eq(err[1], -EINVAL);
	uint8_t *q = xenforeignmemory_map(fm, 1, PROT_READ, 1, pfns, NULL);
	cr_assert_not_null(q);
	cr_expect_eq(memcmp(p, q, 4096), 0, "same gfn, same bytes");
	cr_expect_null(xenforeignmemory_map(fm, 1, PROT_READ, 2, pfns, NULL));
	xenforeignmemory_unmap(fm, p, 2);
	xenforeignmemory_unmap(fm, q, 1);
	xenforeignmemory_close(fm);
	xc_interface_close(x);
}

/* xensim's counts (--query stats) into @buf. */
static void stats(char *buf, size_t cap)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "%s/bin/xensim --query stats", VMT_BINARY_DIR);
	FILE *f = popen(cmd, "r");
	cr_assert_not_null(f);
	size_t n = fread(buf, 1, cap - 1, f);
	pclose(f);
	buf[n] = '\0';
}

/* Domain 1's ring, and its event channel bound into *@e as *@lp. */
static uint32_t *open_ring(xc_interface *x, xenevtchn_handle **e, int *lp)
{
	uint32_t port;
	uint32_t *ring = xc_monitor_enable(x, 1, &port);

	cr_assert_not_null(ring);
	*e = xenevtchn_open(NULL, 0);
	cr_assert_not_null(*e);
	*lp = xenevtchn_bind_interdomain(*e, 1, port);
	cr_assert_geq(*lp, 0);
	return ring;
}

/* A consumer that publishes more responses than there are requests must
 * not make xensim read beyond what it produced. */
Test(clientlib, corrupt_rsp_prod_is_clamped, .fini = stop)
{
	xenevtchn_handle *e;
	int lp;
	char buf[4096];

	START("--vcpus", "1");
	xc_interface *x = xc();
	uint32_t *ring = open_ring(x, &e, &lp);
	memset(ring, 0, 64);
	cr_assert_eq(xc_monitor_cpuid(x, 1, true), 0);
	struct pollfd pfd = { .fd = xenevtchn_fd(e), .events = POLLIN };
	cr_assert_eq(poll(&pfd, 1, 5000), 1, "no request arrived");
	cr_assert_eq(xenevtchn_pending(e), lp);
	cr_assert_eq(xenevtchn_unmask(e, (evtchn_port_t)lp), 0);
	cr_assert_eq(__atomic_load_n(&ring[0], __ATOMIC_ACQUIRE), 1u,
		     "one sync request, one vCPU: exactly one on the ring");
	/* The untouched request is a valid answer (version, vCPU, flag). */
	__atomic_store_n(&ring[2], 100u, __ATOMIC_RELEASE);
	cr_assert_eq(xenevtchn_notify(e, (evtchn_port_t)lp), 0);
	stats(buf, sizeof(buf));
	cr_expect_not_null(strstr(buf, "\"bad_rsp_prod\": 1"), "%s", buf);
	cr_expect_not_null(strstr(buf, "\"responses_consumed\": 1,"), "%s", buf);
	xenevtchn_close(e);
	xc_interface_close(x);
}

/* Answer everything on @ring with the requests themselves (valid answers
 * to asynchronous requests), the domain paused, and tell xensim. */
static void answer_all(uint32_t *ring, xenevtchn_handle *e, int lp)
{
	uint32_t prod = __atomic_load_n(&ring[0], __ATOMIC_ACQUIRE);

	__atomic_store_n(&ring[2], prod, __ATOMIC_RELEASE);
	cr_assert_eq(xenevtchn_notify(e, (evtchn_port_t)lp), 0);
}

/*
 * A vCPU asleep for ring space made its request before the consumer
 * switched the source off: as in Xen, it places the request once a slot
 * frees and the domain runs, and xc_monitor_disable is EBUSY until then.
 * This is the recorder's teardown (switch off, pause, answer, disable,
 * unpause and retry on EBUSY); a xensim that held such a vCPU back
 * forever made that teardown give up with EBUSY.
 */
/*
 * The recorder's teardown on a domain whose ring is full and whose
 * sources are off: pause, answer, disable, and while that is EBUSY (a
 * vCPU asleep for ring space) unpause until the waiters' requests arrive
 * and answer those.  The count bounds a vCPU held back for good, not time.
 */
static void disable_past_waiters(xc_interface *x, uint32_t *ring, xenevtchn_handle *e,
				 int lp)
{
	int tries = 0, rc;

	cr_assert_eq(xc_domain_pause(x, 1), 0);
	answer_all(ring, e, lp);
	while ((rc = xc_monitor_disable(x, 1)) && errno == EBUSY && tries++ < 8) {
		uint32_t before = __atomic_load_n(&ring[0], __ATOMIC_ACQUIRE);
		struct pollfd pfd = { .fd = xenevtchn_fd(e), .events = POLLIN };

		cr_assert_eq(xc_domain_unpause(x, 1), 0);
		/* The waiters' requests arrive with a notification; the
		 * bound only turns a vCPU held back for good into a failure. */
		while (__atomic_load_n(&ring[0], __ATOMIC_ACQUIRE) == before) {
			cr_assert_eq(poll(&pfd, 1, 60000), 1,
				     "a vCPU asleep for ring space never placed its request");
			int p = xenevtchn_pending(e);
			cr_assert_eq(p, lp);
			cr_assert_eq(xenevtchn_unmask(e, (evtchn_port_t)p), 0);
		}
		cr_assert_eq(xc_domain_pause(x, 1), 0);
		answer_all(ring, e, lp);
	}
	cr_assert_eq(rc, 0, "xc_monitor_disable: %s after %d tries", strerror(errno), tries);
	cr_assert_eq(xc_domain_unpause(x, 1), 0);
}

/* Every control-register monitor of domain 1 on or off. */
static void all_crs(xc_interface *x, bool on)
{
	for (uint16_t cr = VM_EVENT_X86_CR0; cr <= VM_EVENT_X86_XCR0; cr++)
		cr_assert_eq(xc_monitor_write_ctrlreg(x, 1, cr, on, false, 0, false), 0);
}

/* Until a vCPU sleeps for ring space (bounded by a count, not time). */
static void until_ring_full(char *buf, size_t cap)
{
	for (int q = 0; stats(buf, cap), !strstr(buf, "\"ring_full\""); q++)
		cr_assert_lt(q, 100000, "no vCPU ever waited for ring space: %s", buf);
}

Test(clientlib, ring_waiter_places_after_switch_off, .fini = stop)
{
	char buf[16384];
	xenevtchn_handle *e;
	int lp;

	/* 10 vCPUs, 8 slots, nobody answering: 8 requests, 2 vCPUs asleep. */
	START("--vcpus", "10", "--workload", "boot");
	xc_interface *x = xc();
	uint32_t *ring = open_ring(x, &e, &lp);
	all_crs(x, true);
	until_ring_full(buf, sizeof(buf));
	all_crs(x, false);
	disable_past_waiters(x, ring, e, lp);
	stats(buf, sizeof(buf));
	cr_expect_not_null(strstr(buf, "\"responses_rejected\": 0,"), "%s", buf);
	cr_expect_null(strstr(buf, "\"ring_full\""), "%s", buf);
	munmap(ring, XC_PAGE_SIZE);
	xenevtchn_close(e);
	xc_interface_close(x);
}

/*
 * --events counts a request from the moment a vCPU makes it: with 9
 * allowed and 8 slots, one vCPU waits for space and no second one makes a
 * request the quota cannot take, which would hold it asleep for good.
 */
Test(clientlib, events_quota_counts_ring_waiters, .fini = stop)
{
	char buf[16384];
	xenevtchn_handle *e;
	int lp;

	START("--vcpus", "10", "--workload", "boot", "--events", "9");
	xc_interface *x = xc();
	uint32_t *ring = open_ring(x, &e, &lp);
	all_crs(x, true);
	until_ring_full(buf, sizeof(buf));
	disable_past_waiters(x, ring, e, lp);
	stats(buf, sizeof(buf));
	cr_expect_not_null(strstr(buf, "\"produced_total\": 9,"), "%s", buf);
	cr_expect_not_null(strstr(buf, "\"responses_consumed\": 9,"), "%s", buf);
	cr_expect_null(strstr(buf, "\"ring_full\""), "%s", buf);
	munmap(ring, XC_PAGE_SIZE);
	xenevtchn_close(e);
	xc_interface_close(x);
}

/* What LibVMI's Xen driver asks at start-up, and HVM_PARAM_ALTP2M gating
 * the altp2m calls as in do_altp2m_op. */
Test(clientlib, libvmi_startup_calls, .fini = stop)
{
	xc_domaininfo_t di[4];
	uint64_t v = 0;
	bool on = true;

	START("--domain", "3:alpha", "--domain", "7:beta", "--vcpus", "2");
	xc_interface *x = xc();
	cr_assert_eq(xc_domain_getinfolist(x, 0, 4, di), 2);
	cr_expect_eq(di[0].domain, 3);
	cr_expect_eq(di[1].domain, 7);
	cr_expect_eq(di[1].max_vcpu_id, 1);
	cr_expect(di[0].flags & XEN_DOMINF_hvm_guest);
	cr_expect(di[0].flags & XEN_DOMINF_running);
	cr_expect_eq(di[0].tot_pages, 262144);
	cr_assert_eq(xc_domain_setmaxmem(x, 3, 2 * 1024 * 1024), 0);
	cr_assert_eq(xc_domain_getinfolist(x, 3, 1, di), 1);
	cr_expect_eq(di[0].max_pages, 512 * 1024);
	cr_expect_eq(xc_domain_cacheflush(x, 3, 0, 16), 0);
	cr_assert_eq(xc_hvm_param_get(x, 3, HVM_PARAM_ALTP2M, &v), 0);
	cr_expect_eq(v, XEN_ALTP2M_external);
	cr_expect_eq(xc_hvm_param_get(x, 3, HVM_NR_PARAMS, &v), -1);
	cr_expect_eq(errno, EINVAL);
	cr_expect_eq(xc_hvm_param_set(x, 3, HVM_PARAM_ALTP2M, 9), -1);
	cr_expect_eq(errno, EINVAL);
	/* altp2m off by the domain's parameter: EINVAL as in do_altp2m_op;
	 * with altp2m inactive the view calls are EOPNOTSUPP first. */
	cr_assert_eq(xc_hvm_param_set(x, 3, HVM_PARAM_ALTP2M, XEN_ALTP2M_disabled), 0);
	cr_expect_eq(xc_altp2m_set_domain_state(x, 3, true), -1);
	cr_expect_eq(errno, EINVAL);
	cr_expect_eq(xc_altp2m_get_domain_state(x, 3, &on), -1);
	cr_expect_eq(xc_altp2m_switch_to_view(x, 3, 0), -1);
	cr_expect_eq(errno, EOPNOTSUPP);
	cr_assert_eq(xc_altp2m_set_domain_state(x, 7, true), 0);
	uint16_t view = 0;
	for (int i = 1; i < 10; i++)
		cr_assert_eq(xc_altp2m_create_view(x, 7, XENMEM_access_rwx, &view), 0);
	cr_expect_eq(view, 9, "Xen's 10 views, 0 being the host's");
	cr_expect_eq(xc_altp2m_create_view(x, 7, XENMEM_access_rwx, &view), -1);
	cr_expect_eq(errno, EINVAL);
	cr_expect_eq(xc_altp2m_set_mem_access(x, 7, 12, 0x10, XENMEM_access_r), -1);
	cr_expect_eq(errno, EINVAL);
	cr_expect_eq(xc_altp2m_set_vcpu_enable_notify(x, 7, 0, 0x10), -1);
	cr_expect_eq(errno, EOPNOTSUPP);
	/* Monitored MSRs: Xen's three windows, no count limit. */
	for (uint32_t m = 0; m < 40; m++)
		cr_assert_eq(xc_monitor_mov_to_msr(x, 7, 0xc0000080 + m, true, false), 0);
	cr_expect_eq(xc_monitor_mov_to_msr(x, 7, 0x80000000, true, false), -1);
	cr_expect_eq(errno, EINVAL);
	xc_interface_close(x);
}

/* The compat names LibVMI resolves for 4.17 behave as the libraries they
 * wrap in Xen, and xc_domctl as do_domctl for an HVM domain. */
Test(clientlib, libxenctrl_compat_names, .fini = stop)
{
	START("--domain", "3:alpha", "--domain", "7:beta", "--paused");
	xc_interface *x = xc();
	struct xen_domctl d = { .cmd = XEN_DOMCTL_getdomaininfo, .domain = 4 };
	cr_assert_eq(xc_domctl(x, &d), 0);
	cr_expect_eq(d.domain, 7, "Xen 4.17: the first domain >= the one asked");
	cr_expect(d.u.getdomaininfo.flags & XEN_DOMINF_paused);
	d = (struct xen_domctl){ .cmd = XEN_DOMCTL_getdomaininfo, .domain = 8 };
	cr_expect_eq(xc_domctl(x, &d), -1);
	cr_expect_eq(errno, ESRCH);
	d = (struct xen_domctl){ .cmd = XEN_DOMCTL_get_address_size, .domain = 3 };
	cr_expect_eq(xc_domctl(x, &d), -1);
	cr_expect_eq(errno, EOPNOTSUPP, "HVM: arch_do_domctl");
	d = (struct xen_domctl){ .cmd = XEN_DOMCTL_unpausedomain, .domain = 3 };
	cr_assert_eq(xc_domctl(x, &d), 0);
	cr_expect_eq(xc_domctl(x, &d), -1, "the pause count is 0 again");
	d = (struct xen_domctl){ .cmd = XEN_DOMCTL_unpausedomain, .domain = 5 };
	cr_expect_eq(xc_domctl(x, &d), -1);
	cr_expect_eq(errno, ESRCH);
	d = (struct xen_domctl){ .cmd = XEN_DOMCTL_shadow_op, .domain = 3 };
	cr_expect_eq(xc_domctl(x, &d), -1);
	cr_expect_eq(errno, ENOSYS);

	unsigned long v = 0;
	cr_assert_eq(xc_set_hvm_param(x, 3, HVM_PARAM_ALTP2M, XEN_ALTP2M_mixed), 0);
	cr_assert_eq(xc_get_hvm_param(x, 3, HVM_PARAM_ALTP2M, &v), 0);
	cr_expect_eq(v, XEN_ALTP2M_mixed);

	/* A range maps the same bytes as libxenforeignmemory's map. */
	xen_pfn_t pfns[2] = { 0x40, 0x41 };
	uint8_t *r = xc_map_foreign_range(x, 3, 2 * XC_PAGE_SIZE, PROT_READ, 0x40);
	uint8_t *p = xc_map_foreign_pages(x, 3, PROT_READ, pfns, 2);
	cr_assert(r && p);
	cr_expect_eq(memcmp(r, p, 2 * XC_PAGE_SIZE), 0);
	munmap(r, 2 * XC_PAGE_SIZE);
	munmap(p, 2 * XC_PAGE_SIZE);
	cr_expect_null(xc_map_foreign_range(x, 3, XC_PAGE_SIZE, PROT_READ, 1ul << 30));
	cr_expect_eq(errno, EINVAL);

	/* The libxenctrl event channel is libxenevtchn's: bound to the ring's
	 * port, readable after requests, masked by pending. */
	uint32_t port;
	void *ring = xc_monitor_enable(x, 7, &port);
	cr_assert_not_null(ring);
	xc_evtchn *e = xc_evtchn_open(NULL, 0);
	cr_assert_not_null(e);
	int local = xc_evtchn_bind_interdomain(e, 7, port);
	cr_assert_geq(local, 0);
	cr_expect_eq(xc_evtchn_bind_interdomain(e, 7, port), -1);
	cr_expect_eq(errno, EBUSY);
	cr_assert_eq(xc_monitor_software_breakpoint(x, 7, true), 0);
	cr_assert_eq(xc_domain_unpause(x, 7), 0);
	struct pollfd pf = { .fd = xc_evtchn_fd(e), .events = POLLIN };
	cr_assert_eq(poll(&pf, 1, 60000), 1);
	cr_expect_eq(xc_evtchn_pending(e), local);
	cr_expect_eq(poll(&pf, 1, 0), 0, "masked until unmasked");
	cr_expect_eq(xc_evtchn_unmask(e, (evtchn_port_t)local), 0);
	cr_expect_eq(xc_evtchn_notify(e, (evtchn_port_t)local), 0);
	cr_assert_eq(xc_domain_pause(x, 7), 0);
	cr_expect_eq(xc_evtchn_unbind(e, (evtchn_port_t)local), 0);
	cr_expect_eq(xc_evtchn_unmask(e, (evtchn_port_t)local), -1);
	cr_expect_eq(errno, EINVAL);
	cr_expect_eq(xc_evtchn_close(e), 0);
	cr_assert_eq(xc_monitor_disable(x, 7), 0);
	munmap(ring, XC_PAGE_SIZE);
	xc_interface_close(x);
}

static void expect_event(struct xs_handle *xs, const char *path,
			 const char *token)
{
	struct pollfd p = { .fd = xs_fileno(xs), .events = POLLIN };
	unsigned n = 0;

	cr_assert_eq(poll(&p, 1, 60000), 1, "no event for %s", path);
	char **v = xs_read_watch(xs, &n);
	cr_assert_not_null(v);
	cr_expect_eq(n, 2);
	cr_expect_str_eq(v[XS_WATCH_PATH], path);
	cr_expect_str_eq(v[XS_WATCH_TOKEN], token);
	free(v);
}

/* xenstored's watch rules: once at registration, then on every write or
 * removal at or below the path, from any connection; @releaseDomain when
 * a domain dies. */
Test(clientlib, xenstore_watches, .fini = stop)
{
	START("--domain", "2:web", "--fault", "domain-die=3");
	struct xs_handle *xs = xs_open(0), *other = xs_open(0);
	cr_assert(xs && other);
	cr_expect(xs_is_domain_introduced(xs, 2));
	cr_expect(!xs_is_domain_introduced(xs, 3));
	cr_assert(xs_watch(xs, "/vmt", "tok"));
	expect_event(xs, "/vmt", "tok");
	cr_expect(!xs_watch(xs, "/vmt", "tok"));
	cr_expect_eq(errno, EEXIST);
	cr_expect_null(xs_check_watch(xs));
	cr_expect_eq(errno, EAGAIN, "one event per registration");
	cr_assert(xs_write(other, XBT_NULL, "/vmt/a/b", "hello", 5));
	expect_event(xs, "/vmt/a/b", "tok");
	cr_assert(xs_write(other, XBT_NULL, "/elsewhere", "x", 1));
	unsigned len = 0;
	char *v = xs_read(xs, XBT_NULL, "/vmt/a/b", &len);
	cr_assert_not_null(v);
	cr_expect_str_eq(v, "hello");
	free(v);
	unsigned n = 0;
	char **names = xs_directory(xs, XBT_NULL, "/vmt", &n);
	cr_assert_not_null(names);
	cr_expect_eq(n, 1);
	cr_expect_str_eq(names[0], "a");
	free(names);
	cr_assert(xs_rm(other, XBT_NULL, "/vmt/a"));
	expect_event(xs, "/vmt/a", "tok");
	cr_expect_null(xs_read(xs, XBT_NULL, "/vmt/a/b", &len));
	cr_expect(!xs_rm(other, XBT_NULL, "/vmt/a"));
	cr_expect_eq(errno, ENOENT);
	cr_expect(!xs_rm(other, XBT_NULL, "/local/domain/2/name"));
	cr_expect_eq(errno, EACCES, "the host's nodes stay");
	cr_expect_null(xs_check_watch(xs), "nothing for /elsewhere");
	cr_assert(xs_unwatch(xs, "/vmt", "tok"));
	cr_expect(!xs_unwatch(xs, "/vmt", "tok"));
	cr_expect_eq(errno, ENOENT);

	/* The domain dies after its third request (the ring holds 8). */
	cr_assert(xs_watch(xs, "@releaseDomain", "rel"));
	expect_event(xs, "@releaseDomain", "rel");
	xc_interface *x = xc();
	uint32_t port;
	void *ring = xc_monitor_enable(x, 2, &port);
	cr_assert_not_null(ring);
	cr_assert_eq(xc_monitor_write_ctrlreg(x, 2, VM_EVENT_X86_CR3, true,
					      false, 0, false), 0);
	expect_event(xs, "@releaseDomain", "rel");
	munmap(ring, XC_PAGE_SIZE);
	xc_interface_close(x);
	xs_close(other);
	xs_close(xs);
}
