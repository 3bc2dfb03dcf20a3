/*
 * context.c - vCPU register state in libxenctrl.so.4.17: xc_vcpu_get/
 * setcontext and the HVM save records (xc_domain_hvm_getcontext,
 * _partial, setcontext).  The daemon keeps each vCPU's registers (the
 * state its requests carry); this file only converts them to and from
 * Xen's structures.  Xen's rules: XEN_DOMCTL_getvcpucontext /
 * setvcpucontext (an HVM vCPU takes GPRs, rip, rflags and debug
 * registers, arch_set_info_guest) and hvm_save_one / hvm_load
 * (xen/arch/x86/hvm/save.c).  HEADER and CPU records are produced; the
 * other record types are not modelled.
 */
#include <errno.h>
#include <string.h>

#include <xenctrl.h>
#include <xen/hvm/save.h>

#include "client.h"
#include "vmt/event.h"

typedef uint64_t regs_t[VMT_XSIM_REGS];

/* Return: the domain's vCPU count, or -1 with errno (-ENOENT: no vCPU). */
static int get_regs(xc_interface *xch, uint32_t dom, uint32_t vcpu,
		    regs_t regs)
{
	struct vmt_xsim_req q = { .op = VMT_XSIM_OP_VCPU_GET, .dom = dom,
				  .a = { vcpu } };
	struct vmt_xsim_rsp r;
	int rc;

	if (!xch)
		return vmt_xsim_fail(-EINVAL);
	memset(regs, 0, sizeof(regs_t));
	rc = vmt_xsim_call(&xch->c, &q, &r, regs, sizeof(regs_t), NULL, NULL);
	return rc ? vmt_xsim_fail(rc) : (int)r.ret;
}

static int set_regs(xc_interface *xch, uint32_t dom, uint32_t vcpu,
		    const regs_t regs, unsigned what)
{
	struct vmt_xsim_req q = { .op = VMT_XSIM_OP_VCPU_SET, .dom = dom,
				  .a = { vcpu, what } };
	struct vmt_xsim_rsp r;
	int rc;

	if (!xch)
		return vmt_xsim_fail(-EINVAL);
	memcpy(q.regs, regs, sizeof(q.regs));
	rc = vmt_xsim_call(&xch->c, &q, &r, NULL, 0, NULL, NULL);
	return rc ? vmt_xsim_fail(rc) : 0;
}

/* ---- xc_vcpu_getcontext / setcontext ------------------------------------ */

/* The GPRs in cpu_user_regs order next to the register block's. */
#define GPRS(X) X(rax, RAX) X(rbx, RBX) X(rcx, RCX) X(rdx, RDX) \
	X(rsi, RSI) X(rdi, RDI) X(rbp, RBP) X(rsp, RSP) X(r8, R8) X(r9, R9) \
	X(r10, R10) X(r11, R11) X(r12, R12) X(r13, R13) X(r14, R14) \
	X(r15, R15) X(rip, RIP) X(rflags, RFLAGS)

XSIM_EXPORT int xc_vcpu_getcontext(xc_interface *xch, uint32_t domid,
				   uint32_t vcpu, vcpu_guest_context_any_t *ctxt)
{
	regs_t g;
	int rc = get_regs(xch, domid, vcpu, g);

	if (rc < 0)
		return errno == ENOENT ? vmt_xsim_fail(-ESRCH) : -1;
	struct vcpu_guest_context_x86_64 *c = &ctxt->x64;
	memset(c, 0, sizeof(*c));
	c->flags = VGCF_online | VGCF_in_kernel;
#define GET(f, R) c->user_regs.f = g[VMT_REG_##R];
	GPRS(GET)
#undef GET
	c->user_regs.cs = (uint16_t)g[VMT_REG_CS_SEL];
	c->user_regs.ss = (uint16_t)g[VMT_REG_SS_SEL];
	c->user_regs.ds = (uint16_t)g[VMT_REG_DS_SEL];
	c->user_regs.es = (uint16_t)g[VMT_REG_ES_SEL];
	c->user_regs.fs = (uint16_t)g[VMT_REG_FS_SEL];
	c->user_regs.gs = (uint16_t)g[VMT_REG_GS_SEL];
	c->ctrlreg[0] = g[VMT_REG_CR0];
	c->ctrlreg[2] = g[VMT_REG_CR2];
	c->ctrlreg[3] = g[VMT_REG_CR3];
	c->ctrlreg[4] = g[VMT_REG_CR4];
	c->debugreg[6] = g[VMT_REG_DR6];
	c->debugreg[7] = g[VMT_REG_DR7];
	c->fs_base = g[VMT_REG_FS_BASE];
	c->gs_base_kernel = g[VMT_REG_SHADOW_GS];
	c->gs_base_user = g[VMT_REG_GS_BASE];
	return 0;
}

XSIM_EXPORT int xc_vcpu_setcontext(xc_interface *xch, uint32_t domid,
				   uint32_t vcpu, vcpu_guest_context_any_t *ctxt)
{
	regs_t g = { 0 };
	const struct vcpu_guest_context_x86_64 *c = &ctxt->x64;

	if (!ctxt)
		return vmt_xsim_fail(-EINVAL);
#define PUT(f, R) g[VMT_REG_##R] = c->user_regs.f;
	GPRS(PUT)
#undef PUT
	g[VMT_REG_DR6] = c->debugreg[6];
	g[VMT_REG_DR7] = c->debugreg[7];
	if (set_regs(xch, domid, vcpu, g, VMT_XSIM_SET_GPRS))
		return errno == ENOENT ? vmt_xsim_fail(-ESRCH) : -1;
	return 0;
}

/* ---- HVM save records ----------------------------------------------------- */

/* Segments: the block packs limit (bits 0-19) and the 12-bit attributes
 * (bits 20-31) as vm_event does; the save record has them apart. */
#define SEGS(X) X(cs, CS) X(ds, DS) X(es, ES) X(fs, FS) X(gs, GS) X(ss, SS)
/* The 64-bit control, debug and MSR fields, named alike in both (the
 * 32-bit gdtr_limit is converted by hand). */
#define SYSREGS(X) X(cr0, CR0) X(cr2, CR2) X(cr3, CR3) X(cr4, CR4) \
	X(dr6, DR6) X(dr7, DR7) X(gdtr_base, GDTR_BASE) \
	X(sysenter_cs, SYSENTER_CS) X(sysenter_esp, SYSENTER_ESP) \
	X(sysenter_eip, SYSENTER_EIP) X(shadow_gs, SHADOW_GS) \
	X(msr_lstar, MSR_LSTAR) X(msr_star, MSR_STAR) X(msr_efer, MSR_EFER)

static void to_cpu(const regs_t g, struct hvm_hw_cpu *c)
{
	memset(c, 0, sizeof(*c));
#define GET(f, R) c->f = g[VMT_REG_##R];
	GPRS(GET)
#undef GET
#define SEG(s, R) c->s##_sel = (uint32_t)g[VMT_REG_##R##_SEL]; \
	c->s##_limit = (uint32_t)(g[VMT_REG_##R] & 0xfffff); \
	c->s##_arbytes = (uint32_t)(g[VMT_REG_##R] >> 20 & 0xfff); \
	c->s##_base = g[VMT_REG_##R##_BASE];
	SEGS(SEG)
#undef SEG
#define GET(f, R) c->f = g[VMT_REG_##R];
	SYSREGS(GET)
#undef GET
	c->gdtr_limit = (uint32_t)g[VMT_REG_GDTR_LIMIT];
}

static void from_cpu(const struct hvm_hw_cpu *c, regs_t g)
{
#define PUT(f, R) g[VMT_REG_##R] = c->f;
	GPRS(PUT)
#undef PUT
#define SEG(s, R) g[VMT_REG_##R##_SEL] = c->s##_sel; \
	g[VMT_REG_##R] = (c->s##_limit & 0xfffff) | \
			 (uint64_t)(c->s##_arbytes & 0xfff) << 20; \
	g[VMT_REG_##R##_BASE] = c->s##_base;
	SEGS(SEG)
#undef SEG
#define PUT(f, R) g[VMT_REG_##R] = c->f;
	SYSREGS(PUT)
#undef PUT
	g[VMT_REG_GDTR_LIMIT] = c->gdtr_limit;
}

static void header(struct hvm_save_header *h)
{
	memset(h, 0, sizeof(*h));
	h->magic = HVM_FILE_MAGIC;
	h->version = HVM_FILE_VERSION;
}

XSIM_EXPORT int xc_domain_hvm_getcontext_partial(xc_interface *xch,
						 uint32_t domid,
						 uint16_t typecode,
						 uint16_t instance,
						 void *ctxt_buf,
						 uint32_t size)
{
	regs_t g;
	struct hvm_hw_cpu cpu;
	struct hvm_save_header hdr;

	if (!ctxt_buf)
		return vmt_xsim_fail(-EINVAL);
	/* hvm_save_one: a per-vCPU record of a missing vCPU is -ENOENT, a
	 * buffer smaller than the record -ENOBUFS. */
	if (typecode == HVM_SAVE_CODE(HEADER)) {
		if (get_regs(xch, domid, 0, g) < 0)
			return -1;
		if (size < sizeof(hdr))
			return vmt_xsim_fail(-ENOBUFS);
		header(&hdr);
		memcpy(ctxt_buf, &hdr, sizeof(hdr));
		return 0;
	}
	if (typecode != HVM_SAVE_CODE(CPU))
		return vmt_xsim_fail(-EINVAL);
	if (get_regs(xch, domid, instance, g) < 0)
		return -1;
	if (size < sizeof(cpu))
		return vmt_xsim_fail(-ENOBUFS);
	to_cpu(g, &cpu);
	memcpy(ctxt_buf, &cpu, sizeof(cpu));
	return 0;
}

/* Appends one record; Return: the new offset. */
static uint32_t put_record(uint8_t *buf, uint32_t off, uint16_t type,
			   uint16_t inst, const void *data, uint32_t len)
{
	struct hvm_save_descriptor d = { type, inst, len };

	memcpy(buf + off, &d, sizeof(d));
	if (len)
		memcpy(buf + off + sizeof(d), data, len);
	return off + (uint32_t)sizeof(d) + len;
}

XSIM_EXPORT int xc_domain_hvm_getcontext(xc_interface *xch, uint32_t domid,
					 uint8_t *ctxt_buf, uint32_t size)
{
	const uint32_t d = sizeof(struct hvm_save_descriptor);
	regs_t g;
	int n = get_regs(xch, domid, 0, g);

	if (n < 0)
		return -1;
	uint32_t need = d + sizeof(struct hvm_save_header) +
			(uint32_t)n * (d + sizeof(struct hvm_hw_cpu)) + d;
	if (!ctxt_buf)
		return (int)need;          /* the size a caller must provide */
	if (size < need)
		return vmt_xsim_fail(-ENOSPC);
	struct hvm_save_header hdr;
	struct hvm_hw_cpu cpu;
	header(&hdr);
	uint32_t off = put_record(ctxt_buf, 0, HVM_SAVE_CODE(HEADER), 0, &hdr,
				  sizeof(hdr));
	for (int v = 0; v < n; v++) {
		if (get_regs(xch, domid, (uint32_t)v, g) < 0)
			return -1;
		to_cpu(g, &cpu);
		off = put_record(ctxt_buf, off, HVM_SAVE_CODE(CPU), (uint16_t)v,
				 &cpu, sizeof(cpu));
	}
	return (int)put_record(ctxt_buf, off, HVM_SAVE_CODE(END), 0, NULL, 0);
}

/* hvm_load: the header first (magic and version), then records up to END;
 * CPU records load their vCPU, other types are skipped. */
XSIM_EXPORT int xc_domain_hvm_setcontext(xc_interface *xch, uint32_t domid,
					 uint8_t *hvm_ctxt, uint32_t size)
{
	struct hvm_save_descriptor d;
	struct hvm_save_header hdr;
	uint32_t off = 0;

	if (!hvm_ctxt || size < sizeof(d) + sizeof(hdr))
		return vmt_xsim_fail(-EINVAL);
	memcpy(&d, hvm_ctxt, sizeof(d));
	memcpy(&hdr, hvm_ctxt + sizeof(d), sizeof(hdr));
	if (d.typecode != HVM_SAVE_CODE(HEADER) || hdr.magic != HVM_FILE_MAGIC ||
	    hdr.version != HVM_FILE_VERSION)
		return vmt_xsim_fail(-EINVAL);
	off = (uint32_t)(sizeof(d) + d.length);
	while (off + sizeof(d) <= size) {
		memcpy(&d, hvm_ctxt + off, sizeof(d));
		off += sizeof(d);
		if (d.typecode == HVM_SAVE_CODE(END))
			return 0;
		if (d.length > size - off)
			return vmt_xsim_fail(-EINVAL);
		if (d.typecode == HVM_SAVE_CODE(CPU)) {
			struct hvm_hw_cpu cpu;
			regs_t g = { 0 };
			if (d.length < sizeof(cpu))
				return vmt_xsim_fail(-EINVAL);
			memcpy(&cpu, hvm_ctxt + off, sizeof(cpu));
			if (get_regs(xch, domid, d.instance, g) < 0)
				return -1;
			from_cpu(&cpu, g);
			if (set_regs(xch, domid, d.instance, g, VMT_XSIM_SET_ALL))
				return -1;
		}
		off += d.length;
	}
	return vmt_xsim_fail(-EINVAL);     /* no END record */
}
