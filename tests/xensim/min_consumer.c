/*
 * min_consumer.c - an independent, minimal vm_event monitor used to test
 * xensim (and as the reference load for the recorder's benchmark).  It is
 * the loop of Xen's xen-access: poll the event channel, read the pending
 * port and unmask it, copy each request off the ring, answer it in the
 * same slot, push the responses and notify once per batch.  It links the
 * Xen libraries by name (xensim's at build time) and decodes requests with
 * format/'s decoder only for checks and dumps.
 *
 * Exit status: 0 ok, 1 failure (a check failed, a Xen call failed),
 * 2 usage, 3 xc_monitor_enable() said EBUSY.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define XC_WANT_COMPAT_DEVICEMODEL_API 1
#include <xenctrl.h>
#include <xenevtchn.h>

#include "vmt/event.h"

#define MAX_VCPUS 128
#define MAX_LIST 32
#define MARKER_TAG 0x564d54ull

enum mode { M_NEUTRAL, M_MINIMAL };

struct range { uint64_t lo, hi; unsigned perm; };

static struct {
	uint32_t dom, abi_expect;
	uint64_t count, quiesce_after;
	enum mode mode;
	bool deny, check, disable_only, no_pause, toggle_ss, next_irq;
	uint64_t wrong_vcpus, hang_vcpus;      /* bit masks, vCPUs < 64 */
	const char *monitors, *dump, *raw_dir;
	struct range restrict_[MAX_LIST];
	unsigned n_restrict;
	uint64_t cr3s[MAX_LIST];
	unsigned n_cr3s;
} opt = { .dom = 1, .monitors = "all" };

static struct {
	xc_interface *xch;
	xenevtchn_handle *xce;
	uint8_t *ring;
	evtchn_port_t lport;
	uint32_t abi, nvcpus, caps;
	uint64_t max_gpfn;
	size_t esz;
	uint32_t req_cons, rsp_prod_pvt;
	uint64_t requests, responses, wrong_sent, failures;
	uint64_t by_vcpu[MAX_VCPUS], by_reason[VMT_REASON_COUNT + 1];
	uint64_t cr3[MAX_VCPUS];
	bool cr3_known[MAX_VCPUS], ss_on[MAX_VCPUS];
	FILE *dump, *raw[MAX_VCPUS];
} st;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

static void fail(const char *what)
{
	fprintf(stderr, "min_consumer: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ---- checks: is this request consistent with the scenario? -------------- */

__attribute__((format(printf, 2, 3)))
static void bad(const struct vmt_event *e, const char *fmt, ...)
{
	va_list ap;

	if (st.failures++ >= 10)
		return;
	fprintf(stderr, "min_consumer: request %llu (vcpu %u, reason %u): ",
		(unsigned long long)st.requests, e->vcpu_id, e->reason);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const struct range *restriction(uint64_t gfn)
{
	for (unsigned i = opt.n_restrict; i-- > 0;)
		if (gfn >= opt.restrict_[i].lo && gfn <= opt.restrict_[i].hi)
			return &opt.restrict_[i];
	return NULL;
}

static bool known_cr3(uint64_t v)
{
	for (unsigned i = 0; i < opt.n_cr3s; i++)
		if (opt.cr3s[i] == v)
			return true;
	return !opt.n_cr3s;
}

static void check_payload(const struct vmt_event *e)
{
	const uint64_t *p = e->p, *r = e->reg;

	switch (e->reason) {
	case VMT_REASON_CPUID:
		/* The request carries the results (hvm_vmexit_cpuid): 32-bit
		 * values, and leaf 0 names the vendor in ebx, edx, ecx. */
		if ((r[VMT_REG_RAX] | r[VMT_REG_RBX] | r[VMT_REG_RCX] |
		     r[VMT_REG_RDX]) >> 32)
			bad(e, "cpuid results wider than 32 bits");
		if (p[VMT_P_CPUID_LEAF] == 0 &&
		    (r[VMT_REG_RBX] != 0x756e6547 || r[VMT_REG_RDX] != 0x49656e69 ||
		     r[VMT_REG_RCX] != 0x6c65746e))
			bad(e, "cpuid leaf 0 without the vendor's name");
		break;
	case VMT_REASON_MEM_ACCESS: {
		const struct range *x = restriction(p[VMT_P_MEM_ACCESS_GFN]);
		unsigned kind = (unsigned)p[VMT_P_MEM_ACCESS_FLAGS] & 7;
		if (!x || (x->perm & kind))
			bad(e, "mem_access on gfn 0x%llx the restriction allows",
			    (unsigned long long)p[VMT_P_MEM_ACCESS_GFN]);
		break;
	}
	case VMT_REASON_WRITE_CTRLREG:
		if (p[VMT_P_CTRLREG_INDEX] == VMT_CR3 &&
		    (p[VMT_P_CTRLREG_OLD_VALUE] != r[VMT_REG_CR3] ||
		     !known_cr3(p[VMT_P_CTRLREG_NEW_VALUE])))
			bad(e, "cr3 write inconsistent with cr3 register/scenario");
		break;
	case VMT_REASON_GUEST_REQUEST:
		if (r[VMT_REG_RBX] != MARKER_TAG)
			bad(e, "guest request without the marker tag");
		break;
	}
}

static bool listed(const char *item);

static void check(const struct vmt_event *e)
{
	uint32_t v = e->vcpu_id;

	if (e->version != st.abi)
		bad(e, "version %u, ring speaks %u", e->version, st.abi);
	if (v >= st.nvcpus) {
		bad(e, "vcpu out of range");
		return;
	}
	if (!known_cr3(e->reg[VMT_REG_CR3]))
		bad(e, "cr3 0x%llx is no scenario process",
		    (unsigned long long)e->reg[VMT_REG_CR3]);
	/* A CR3 write (unless denied) is the CR3 of that vCPU's next event;
	 * only checkable while every CR3 write is reported. */
	if (listed("cr3") && st.cr3_known[v] && e->reg[VMT_REG_CR3] != st.cr3[v])
		bad(e, "cr3 0x%llx, expected 0x%llx after the last write",
		    (unsigned long long)e->reg[VMT_REG_CR3],
		    (unsigned long long)st.cr3[v]);
	st.cr3[v] = e->reg[VMT_REG_CR3];
	st.cr3_known[v] = true;
	check_payload(e);
}

/* ---- answering ----------------------------------------------------------- */

static void record(const uint8_t *raw, const struct vmt_event *e)
{
	if (e->vcpu_id < MAX_VCPUS) {
		st.by_vcpu[e->vcpu_id]++;
		if (opt.raw_dir && !st.raw[e->vcpu_id]) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/vcpu%u.bin", opt.raw_dir,
				 e->vcpu_id);
			st.raw[e->vcpu_id] = fopen(path, "wb");
			if (!st.raw[e->vcpu_id])
				fail(path);
		}
		if (st.raw[e->vcpu_id])
			fwrite(raw, 1, st.esz, st.raw[e->vcpu_id]);
	}
	st.by_reason[e->reason < VMT_REASON_COUNT ? e->reason : VMT_REASON_COUNT]++;
	if (st.dump)
		fprintf(st.dump, "%llu %u %s 0x%x cr3=0x%llx rip=0x%llx rax=0x%llx\n",
			(unsigned long long)st.requests, e->vcpu_id,
			vmt_reason_name(e->reason) ? vmt_reason_name(e->reason) : "?",
			e->flags, (unsigned long long)e->reg[VMT_REG_CR3],
			(unsigned long long)e->reg[VMT_REG_RIP],
			(unsigned long long)e->reg[VMT_REG_RAX]);
}

/* xen-access's answers, which leave the guest's behaviour unchanged. */
static void neutral(const struct vmt_event *q, struct vmt_event *r)
{
	switch (q->reason) {
	case VMT_REASON_CPUID:
		memcpy(r->reg, q->reg, sizeof(r->reg));
		r->reg_present = q->reg_present;
		r->reg[VMT_REG_RIP] += q->p[VMT_P_CPUID_INSN_LENGTH];
		r->flags |= VMT_FLAG_SET_REGISTERS;
		break;
	case VMT_REASON_MEM_ACCESS:
		r->flags |= VMT_FLAG_EMULATE;
		break;
	case VMT_REASON_SOFTWARE_BREAKPOINT:
	case VMT_REASON_DEBUG_EXCEPTION: {
		bool dbg = q->reason == VMT_REASON_DEBUG_EXCEPTION;
		if (xc_hvm_inject_trap(st.xch, opt.dom, (int)q->vcpu_id,
				       dbg ? 1 : 3, (uint8_t)q->p[VMT_P_DEBUG_TYPE],
				       ~0u, (uint8_t)q->p[VMT_P_DEBUG_INSN_LENGTH],
				       0))
			fail("xc_hvm_inject_trap");
		break;
	}
	}
}

static uint8_t *slot_at(uint32_t idx)
{
	return st.ring + VMT_RING_HDR + (idx & (VMT_RING_SLOTS - 1)) * st.esz;
}

/* Handles the request in @req_slot; Return: true if a response was put
 * in the next response slot (answers may lag requests: --hang). */
static bool answer(const uint8_t *req_slot)
{
	static struct vmt_event q, r;
	uint8_t raw[VMT_ENTRY_MAX];
	uint8_t *slot_bytes;

	memcpy(raw, req_slot, st.esz);       /* copy before answering */
	if (vmt_event_decode(raw, st.esz, &q) < 0) {
		/* A request we cannot read: leave it and its vCPU alone. */
		st.failures++;
		memset(&q, 0, sizeof(q));
	}
	record(raw, &q);
	if (opt.check)
		check(&q);
	if (q.vcpu_id < 64 && (opt.hang_vcpus >> q.vcpu_id & 1))
		return false;
	slot_bytes = slot_at(st.rsp_prod_pvt);
	/* A fresh, zeroed response: version, vCPU, reason, VCPU_PAUSED. */
	vmt_event_init(&r, st.abi, q.reason);
	r.vcpu_id = q.vcpu_id;
	r.flags = q.flags & VMT_FLAG_VCPU_PAUSED;
	if (opt.mode == M_NEUTRAL)
		neutral(&q, &r);
	/* Single-stepping on from each vCPU's first paused request on. */
	if (opt.toggle_ss && (q.flags & VMT_FLAG_VCPU_PAUSED) &&
	    q.vcpu_id < MAX_VCPUS && !st.ss_on[q.vcpu_id]) {
		r.flags |= VMT_FLAG_TOGGLE_SINGLESTEP;
		st.ss_on[q.vcpu_id] = true;
	}
	if (opt.next_irq && q.reason == VMT_REASON_CPUID)
		r.flags |= VMT_FLAG_GET_NEXT_INTERRUPT;
	if (opt.deny && (q.reason == VMT_REASON_MOV_TO_MSR ||
			 q.reason == VMT_REASON_WRITE_CTRLREG)) {
		r.flags |= VMT_FLAG_DENY;
		if (q.reason == VMT_REASON_WRITE_CTRLREG &&
		    q.p[VMT_P_CTRLREG_INDEX] == VMT_CR3 && q.vcpu_id < MAX_VCPUS &&
		    (q.flags & VMT_FLAG_VCPU_PAUSED))
			st.cr3[q.vcpu_id] = q.p[VMT_P_CTRLREG_OLD_VALUE];
	}
	if (q.reason == VMT_REASON_WRITE_CTRLREG && !opt.deny &&
	    q.p[VMT_P_CTRLREG_INDEX] == VMT_CR3 && q.vcpu_id < MAX_VCPUS)
		st.cr3[q.vcpu_id] = q.p[VMT_P_CTRLREG_NEW_VALUE];
	if (vmt_event_encode(&r, slot_bytes, st.esz) < 0)
		st.failures++;
	if (q.vcpu_id < 64 && (opt.wrong_vcpus >> q.vcpu_id & 1)) {
		uint32_t wrong = st.abi == VMT_ABI_MAX ? VMT_ABI_MAX - 1 :
							 VMT_ABI_MAX;
		memcpy(slot_bytes, &wrong, 4);   /* bytes 0-3: version, LE host */
		st.wrong_sent++;
	}
	st.responses++;
	return true;
}

/* ---- the ring (Xen's io/ring.h back end, vm_event-abi.md 7) -------------- */

#define IDX(off) ((uint32_t *)(void *)(st.ring + (off)))

static void ring_init(void)
{
	memset(st.ring, 0, 64);        /* SHARED_RING_INIT */
	*IDX(4) = 1;                   /* req_event */
	*IDX(12) = 1;                  /* rsp_event */
	st.req_cons = st.rsp_prod_pvt = 0;
}

static bool want_more(void)
{
	return !opt.count || st.requests < opt.count;
}

static unsigned drain(void)
{
	unsigned n = 0;
	uint32_t prod = __atomic_load_n(IDX(0), __ATOMIC_ACQUIRE);

	if (prod - st.req_cons > VMT_RING_SLOTS) {
		fprintf(stderr, "min_consumer: req_prod %u is %u past req_cons: "
			"corrupt ring\n", prod, prod - st.req_cons);
		exit(1);
	}
	while (st.req_cons != prod) {
		const uint8_t *s = slot_at(st.req_cons);
		st.req_cons++;
		st.requests++;
		if (answer(s))
			st.rsp_prod_pvt++;
		n++;
	}
	*IDX(4) = st.req_cons + 1;
	__atomic_store_n(IDX(8), st.rsp_prod_pvt, __ATOMIC_RELEASE);
	return n;
}

static void wait_and_drain(int timeout_ms)
{
	struct pollfd p = { .fd = xenevtchn_fd(st.xce), .events = POLLIN };
	int n = poll(&p, 1, timeout_ms);

	if (n < 0 && errno != EINTR)
		fail("poll");
	if (n > 0) {
		xenevtchn_port_or_error_t port = xenevtchn_pending(st.xce);
		if (port < 0 || xenevtchn_unmask(st.xce, (evtchn_port_t)port))
			fail("xenevtchn_pending/unmask");
	}
	drain();
	/* Once per batch, even when nothing was handled (as xen-access). */
	if (xenevtchn_notify(st.xce, st.lport)) {
		if (errno == ESRCH)
			interrupted = -1;  /* the domain is gone */
		else
			fail("xenevtchn_notify");
	}
}

/* ---- monitors -------------------------------------------------------------- */

static bool cap(unsigned bit)
{
	return st.caps & (1u << bit);
}

static void want(const char *name, int rc)
{
	if (rc && errno != EEXIST) {
		fprintf(stderr, "min_consumer: enabling %s: %s\n", name,
			strerror(errno));
		exit(1);
	}
}

static const uint32_t msrs[] = { 0x6e0, 0x1b, 0x277, 0xc0000080, 0xc0000081,
				 0xc0000082, 0xc0000100, 0xc0000101, 0xc0000102 };

static bool listed(const char *item)
{
	char buf[512];
	char *save = NULL;

	snprintf(buf, sizeof(buf), "%s", opt.monitors);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (!strcmp(t, item) || !strcmp(t, "all"))
			return true;
	return false;
}

static void monitors(bool on)
{
	uint32_t d = opt.dom;
	xc_interface *x = st.xch;

	for (uint16_t i = 0; i < 4; i++) {
		static const char *const n[4] = { "cr0", "cr3", "cr4", "xcr0" };
		if (listed(n[i]))
			want(n[i], xc_monitor_write_ctrlreg(x, d, i, on, true, 0, false));
	}
	if (listed("msr"))
		for (size_t i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++)
			want("msr", xc_monitor_mov_to_msr(x, d, msrs[i], on, false));
	if (listed("singlestep"))
		want("singlestep", xc_monitor_singlestep(x, d, on));
	if (listed("breakpoint"))
		want("breakpoint", xc_monitor_software_breakpoint(x, d, on));
	if (listed("guest-request"))
		want("guest-request", xc_monitor_guest_request(x, d, on, true, false));
	if (listed("debug") && cap(XEN_DOMCTL_MONITOR_EVENT_DEBUG_EXCEPTION))
		want("debug", xc_monitor_debug_exceptions(x, d, on, true));
	if (listed("cpuid") && cap(XEN_DOMCTL_MONITOR_EVENT_CPUID))
		want("cpuid", xc_monitor_cpuid(x, d, on));
	if (listed("descriptor") && cap(XEN_DOMCTL_MONITOR_EVENT_DESC_ACCESS))
		want("descriptor", xc_monitor_descriptor_access(x, d, on));
	if (listed("vmexit") && cap(XEN_DOMCTL_MONITOR_EVENT_VMEXIT))
		want("vmexit", xc_monitor_vmexit(x, d, on, true));
	for (unsigned i = 0; i < opt.n_restrict; i++) {
		const struct range *r = &opt.restrict_[i];
		/* Xen refuses a range past the guest's last gfn: clip it. */
		uint64_t hi = r->hi < st.max_gpfn ? r->hi : st.max_gpfn;
		if (r->lo <= hi &&
		    xc_set_mem_access(x, d, on ? (xenmem_access_t)r->perm :
					      XENMEM_access_rwx,
				      r->lo, (uint32_t)(hi - r->lo + 1)))
			fail("xc_set_mem_access");
	}
}

/* ---- setup and teardown ------------------------------------------------------ */

static void setup(void)
{
	xc_dominfo_t info;
	uint32_t port;

	st.xch = xc_interface_open(NULL, NULL, 0);
	if (!st.xch)
		fail("xc_interface_open");
	if (opt.disable_only) {
		if (!xc_monitor_disable(st.xch, opt.dom))
			exit(0);
		fprintf(stderr, "min_consumer: xc_monitor_disable: %s\n",
			strerror(errno));
		exit(errno == EBUSY ? 3 : 1);
	}
	int abi = xc_vm_event_get_version(st.xch);
	if (abi < VMT_ABI_MIN || abi > VMT_ABI_MAX)
		fail("xc_vm_event_get_version");
	if (opt.abi_expect && (uint32_t)abi != opt.abi_expect) {
		fprintf(stderr, "min_consumer: host speaks ABI %d, expected %u\n",
			abi, opt.abi_expect);
		exit(1);
	}
	st.abi = (uint32_t)abi;
	st.esz = vmt_abi_entry_size(st.abi);
	if (xc_domain_getinfo(st.xch, opt.dom, 1, &info) != 1 ||
	    info.domid != opt.dom) {
		fprintf(stderr, "min_consumer: no domain %u\n", opt.dom);
		exit(1);
	}
	st.nvcpus = info.max_vcpu_id + 1;
	xen_pfn_t max_gpfn;
	if (xc_domain_maximum_gpfn(st.xch, opt.dom, &max_gpfn))
		fail("xc_domain_maximum_gpfn");
	st.max_gpfn = max_gpfn;
	if (xc_monitor_get_capabilities(st.xch, opt.dom, &st.caps))
		fail("xc_monitor_get_capabilities");
	/* Paused while sources are switched on, so every run sees the
	 * guest start from the same point (LibVMI does the same). */
	if (!opt.no_pause && xc_domain_pause(st.xch, opt.dom))
		fail("xc_domain_pause");
	st.ring = xc_monitor_enable(st.xch, opt.dom, &port);
	if (!st.ring) {
		int e = errno;
		if (!opt.no_pause)
			xc_domain_unpause(st.xch, opt.dom);
		errno = e;
		if (errno == EBUSY) {
			fprintf(stderr, "min_consumer: monitor ring busy on "
				"domain %u (active now or left by a dead consumer)\n",
				opt.dom);
			exit(3);
		}
		fail("xc_monitor_enable");
	}
	st.xce = xenevtchn_open(NULL, 0);
	if (!st.xce)
		fail("xenevtchn_open");
	xenevtchn_port_or_error_t lp = xenevtchn_bind_interdomain(st.xce, opt.dom, port);
	if (lp < 0)
		fail("xenevtchn_bind_interdomain");
	st.lport = (evtchn_port_t)lp;
	ring_init();
	monitors(true);
	if (!opt.no_pause && xc_domain_unpause(st.xch, opt.dom))
		fail("xc_domain_unpause");
}

static void teardown(void)
{
	if (interrupted != -1) {
		/* Pause, switch off, answer what is left, then disable. */
		if (xc_domain_pause(st.xch, opt.dom))
			fail("xc_domain_pause");
		monitors(false);
		wait_and_drain(0);
		if (xc_monitor_disable(st.xch, opt.dom))
			fail("xc_monitor_disable");
		if (xc_domain_unpause(st.xch, opt.dom))
			fail("xc_domain_unpause");
	}
	munmap(st.ring, XC_PAGE_SIZE);
	xenevtchn_unbind(st.xce, st.lport);
	xenevtchn_close(st.xce);
	xc_interface_close(st.xch);
}

static void quiesce(void)
{
	monitors(false);
	wait_and_drain(0);
	printf("quiesced\n");
	fflush(stdout);
	while (!interrupted)
		pause();
}

static void summary(void)
{
	printf("{\"requests\": %llu, \"responses\": %llu, \"wrong_version_sent\": %llu, "
	       "\"check_failures\": %llu, \"abi\": %u, \"by_vcpu\": [",
	       (unsigned long long)st.requests, (unsigned long long)st.responses,
	       (unsigned long long)st.wrong_sent, (unsigned long long)st.failures,
	       st.abi);
	for (uint32_t v = 0; v < st.nvcpus && v < MAX_VCPUS; v++)
		printf("%s%llu", v ? ", " : "", (unsigned long long)st.by_vcpu[v]);
	printf("], \"by_reason\": {");
	const char *sep = "";
	for (unsigned r = 0; r <= VMT_REASON_COUNT; r++)
		if (st.by_reason[r]) {
			const char *n = vmt_reason_name(r);
			printf("%s\"%s\": %llu", sep, n ? n : "other",
			       (unsigned long long)st.by_reason[r]);
			sep = ", ";
		}
	printf("}}\n");
}

/* ---- options -------------------------------------------------------------- */

static const char usage[] =
"Usage: min_consumer [OPTION]...\n"
"A minimal vm_event monitor (xen-access's loop) for testing xensim.\n"
"  --domain ID          domain to monitor (default 1)\n"
"  --abi V              fail unless the host speaks ABI V\n"
"  --count N            stop after N requests (default: until SIGINT/SIGTERM)\n"
"  --monitors LIST      cr0,cr3,cr4,xcr0,msr,breakpoint,guest-request,debug,\n"
"                       cpuid,descriptor,vmexit,singlestep or all (default)\n"
"  --restrict G[-G]=P   set p2m access P (n,r,w,rw,x,rx,wx,rwx) on gfns\n"
"  --minimal            answer with VCPU_PAUSED only (no emulate, no\n"
"                       re-injection, no register update)\n"
"  --deny               DENY every MSR and control-register write\n"
"  --toggle-singlestep  turn single-stepping on with each vCPU's first answer\n"
"  --next-interrupt     ask for the next interrupt with every CPUID answer\n"
"  --wrong-version LIST answer requests of these vCPUs with another version\n"
"  --hang LIST          never answer requests of these vCPUs\n"
"  --quiesce-after N    after N requests switch sources off, answer what is\n"
"                       left (except --hang vCPUs), print 'quiesced', sleep\n"
"  --disable-only       just call xc_monitor_disable and exit\n"
"  --no-pause           do not pause the domain around set-up\n"
"  --check              check each request against Xen's rules and the\n"
"                       scenario (--cr3 values, --restrict ranges)\n"
"  --cr3 LIST           the scenario's process CR3 values\n"
"  --dump FILE          one text line per request\n"
"  --raw-dir DIR        raw request bytes per vCPU in DIR/vcpuN.bin\n"
"Prints a JSON summary on stdout.  Exit: 0 ok, 1 failure, 2 usage,\n"
"3 monitor ring busy (EBUSY).\n";

static uint64_t num(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (!*s || *end) {
		fprintf(stderr, "min_consumer: bad number '%s'\n%s", s, usage);
		exit(2);
	}
	return v;
}

static uint64_t mask_of(char *list)
{
	uint64_t m = 0;
	char *save = NULL;

	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
		m |= 1ull << (num(t) & 63);
	return m;
}

static void add_restrict(char *arg)
{
	static const char *const perms[8] = { "n", "r", "w", "rw", "x", "rx",
					       "wx", "rwx" };
	char *eq = strchr(arg, '='), *dash;
	struct range r;

	if (!eq || opt.n_restrict == MAX_LIST)
		goto bad;
	*eq = '\0';
	dash = strchr(arg, '-');
	if (dash)
		*dash = '\0';
	r.lo = num(arg);
	r.hi = dash ? num(dash + 1) : r.lo;
	for (r.perm = 0; r.perm < 8 && strcmp(perms[r.perm], eq + 1); r.perm++)
		;
	if (r.perm == 8 || r.hi < r.lo)
		goto bad;
	opt.restrict_[opt.n_restrict++] = r;
	return;
bad:
	fprintf(stderr, "min_consumer: bad --restrict\n%s", usage);
	exit(2);
}

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "domain", 1, 0, 'd' }, { "abi", 1, 0, 'a' }, { "count", 1, 0, 'n' },
		{ "monitors", 1, 0, 'm' }, { "restrict", 1, 0, 'R' },
		{ "minimal", 0, 0, 'M' }, { "deny", 0, 0, 'D' },
		{ "toggle-singlestep", 0, 0, 'T' }, { "next-interrupt", 0, 0, 'I' },
		{ "wrong-version", 1, 0, 'W' }, { "hang", 1, 0, 'H' },
		{ "quiesce-after", 1, 0, 'Q' }, { "disable-only", 0, 0, 'X' },
		{ "no-pause", 0, 0, 'P' }, { "check", 0, 0, 'C' },
		{ "cr3", 1, 0, '3' }, { "dump", 1, 0, 'o' }, { "raw-dir", 1, 0, 'r' },
		{ "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd': opt.dom = (uint32_t)num(optarg); break;
		case 'a': opt.abi_expect = (uint32_t)num(optarg); break;
		case 'n': opt.count = num(optarg); break;
		case 'm': opt.monitors = optarg; break;
		case 'R': add_restrict(optarg); break;
		case 'M': opt.mode = M_MINIMAL; break;
		case 'D': opt.deny = true; break;
		case 'T': opt.toggle_ss = true; break;
		case 'I': opt.next_irq = true; break;
		case 'W': opt.wrong_vcpus = mask_of(optarg); break;
		case 'H': opt.hang_vcpus = mask_of(optarg); break;
		case 'Q': opt.quiesce_after = num(optarg); break;
		case 'X': opt.disable_only = true; break;
		case 'P': opt.no_pause = true; break;
		case 'C': opt.check = true; break;
		case 'o': opt.dump = optarg; break;
		case 'r': opt.raw_dir = optarg; break;
		case '3': {
			char *save = NULL;
			for (char *t = strtok_r(optarg, ",", &save);
			     t && opt.n_cr3s < MAX_LIST; t = strtok_r(NULL, ",", &save))
				opt.cr3s[opt.n_cr3s++] = num(t);
			break;
		}
		case 'h': fputs(usage, stdout); exit(0);
		default: fputs(usage, stderr); exit(2);
		}
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };

	parse(argc, argv);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (opt.dump && !(st.dump = fopen(opt.dump, "w")))
		fail(opt.dump);
	setup();
	while (!interrupted && want_more()) {
		wait_and_drain(100);
		if (opt.quiesce_after && st.requests >= opt.quiesce_after)
			quiesce();
	}
	teardown();
	for (unsigned v = 0; v < MAX_VCPUS; v++)
		if (st.raw[v])
			fclose(st.raw[v]);
	if (st.dump)
		fclose(st.dump);
	summary();
	return st.failures ? 1 : 0;
}
