/*
 * keys.c - behaviour keys: what identifies "the same thing happening" for
 * each vm_event reason, and how a key reads in a report.  The definitions
 * are documented in analyze/README.md "Behaviour keys".  The keys of the
 * detail tables are defined once, below; load.c and load_ch.c render them
 * as the SQL of their database.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_int.h"
#include "keys.h"
#include "vmt/event.h"

/* In the order the loaders scan the detail tables. */
const struct vmt_an_detail_key vmt_an_detail_keys[VMT_AN_DETAIL_KEYS] = {
	{ VMT_REASON_MOV_TO_MSR, "mov_to_msr", "msr", NULL, NULL, VMT_AN_B_ZERO, 0 },
	{ VMT_REASON_WRITE_CTRLREG, "write_ctrlreg", "index", "old_value", "new_value",
	  VMT_AN_B_CR_BITS, 0 },
	{ VMT_REASON_CPUID, "cpuid", "leaf", "subleaf", NULL, VMT_AN_B_COLUMN, 0 },
	{ VMT_REASON_MEM_ACCESS, "mem_access", "gfn", "flags", NULL, VMT_AN_B_ACCESS, 1 },
	{ VMT_REASON_INTERRUPT, "interrupt", "vector", NULL, NULL, VMT_AN_B_ZERO, 0 },
	{ VMT_REASON_DESCRIPTOR_ACCESS, "descriptor_access", "descriptor", "is_write", NULL,
	  VMT_AN_B_COLUMN, 0 },
	{ VMT_REASON_VMEXIT, "vmexit", "reason", NULL, NULL, VMT_AN_B_ZERO, 0 },
	{ VMT_REASON_IO_INSTRUCTION, "io_instruction", "port", "in", NULL, VMT_AN_B_COLUMN, 0 },
};

/* Well-known MSRs, named in reports because an index alone says little. */
static const struct {
	uint32_t msr;
	const char *name;
} msr_names[] = {
	{0x10, "TSC"}, {0x1b, "APIC_BASE"}, {0x174, "SYSENTER_CS"},
	{0x175, "SYSENTER_ESP"}, {0x176, "SYSENTER_EIP"}, {0x277, "PAT"},
	{0xc0000080, "EFER"}, {0xc0000081, "STAR"}, {0xc0000082, "LSTAR"},
	{0xc0000083, "CSTAR"}, {0xc0000084, "SFMASK"}, {0xc0000100, "FS_BASE"},
	{0xc0000101, "GS_BASE"}, {0xc0000102, "KERNEL_GS_BASE"},
	{0xc0000103, "TSC_AUX"}, {0x6e0, "TSC_DEADLINE"}, {0x48, "SPEC_CTRL"},
};

static const char *msr_name(uint64_t msr)
{
	for (size_t i = 0; i < sizeof(msr_names) / sizeof(msr_names[0]); i++)
		if (msr_names[i].msr == msr)
			return msr_names[i].name;
	return NULL;
}

const char *vmt_an_reason_label(uint32_t reason, char *buf, size_t cap)
{
	const char *n = vmt_reason_name(reason);

	if (n)
		return n;
	snprintf(buf, cap, "reason_%" PRIu32, reason);
	return buf;
}

static void access_text(uint64_t acc, char out[4])
{
	out[0] = acc & VMT_MEM_ACCESS_R ? 'r' : '-';
	out[1] = acc & VMT_MEM_ACCESS_W ? 'w' : '-';
	out[2] = acc & VMT_MEM_ACCESS_X ? 'x' : '-';
	out[3] = 0;
}

static const char *const cr_names[] = {"cr0", "cr3", "cr4", "xcr0"};

int vmt_an_names_add(struct vmt_an_names *m, uint64_t code, const char *name)
{
	uint64_t *c;
	char **n;

	if (vmt_an_names_get(m, code))
		return 0;
	c = realloc(m->code, (m->n + 1) * sizeof(*c));
	if (c)
		m->code = c;
	n = c ? realloc(m->name, (m->n + 1) * sizeof(*n)) : NULL;
	if (n)
		m->name = n;
	if (!n || !(n[m->n] = strdup(name)))
		return -ENOMEM;
	c[m->n++] = code;
	return 0;
}

const char *vmt_an_names_get(const struct vmt_an_names *m, uint64_t code)
{
	for (size_t i = 0; m && i < m->n; i++)
		if (m->code[i] == code)
			return m->name[i];
	return NULL;
}

void vmt_an_names_free(struct vmt_an_names *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->name[i]);
	free(m->name);
	free(m->code);
	memset(m, 0, sizeof(*m));
}

static void format_behaviour(const struct vmt_an_bkey *k, const struct vmt_an_names *names,
			     char *out, size_t cap)
{
	const char *nm;
	char acc[4];

	if (k->b == VMT_AN_KEY_SYSCALL) {
		snprintf(out, cap, "syscall %" PRIu64, k->a);
		return;
	}
	switch (k->reason) {
	case VMT_REASON_MOV_TO_MSR:
		nm = msr_name(k->a);
		snprintf(out, cap, "msr 0x%" PRIx64 "%s%s%s", k->a, nm ? " (" : "",
			 nm ? nm : "", nm ? ")" : "");
		break;
	case VMT_REASON_WRITE_CTRLREG:
		if (k->a < 4 && k->a != VMT_CR3)
			snprintf(out, cap, "%s bits 0x%" PRIx64, cr_names[k->a], k->b);
		else if (k->a < 4)
			snprintf(out, cap, "%s", cr_names[k->a]);
		else
			snprintf(out, cap, "cr#%" PRIu64 " bits 0x%" PRIx64, k->a, k->b);
		break;
	case VMT_REASON_CPUID:
		snprintf(out, cap, "leaf 0x%" PRIx64 "/0x%" PRIx64, k->a, k->b);
		break;
	case VMT_REASON_MEM_ACCESS:
		if (k->b == VMT_AN_KEY_EXEC) {
			snprintf(out, cap, "exec rip 0x%" PRIx64, k->a);
		} else {
			access_text(k->b, acc);
			snprintf(out, cap, "gfn 0x%" PRIx64 " %s", k->a, acc);
		}
		break;
	case VMT_REASON_SOFTWARE_BREAKPOINT:
	case VMT_REASON_DEBUG_EXCEPTION:
	case VMT_REASON_SINGLESTEP:
		snprintf(out, cap, "rip 0x%" PRIx64, k->a);
		break;
	case VMT_REASON_GUEST_REQUEST:
		nm = vmt_an_names_get(names, k->a);
		snprintf(out, cap, "request %" PRIu64 "%s%s%s", k->a, nm ? " (" : "",
			 nm ? nm : "", nm ? ")" : "");
		break;
	case VMT_REASON_INTERRUPT:
		snprintf(out, cap, "vector %" PRIu64, k->a);
		break;
	case VMT_REASON_IO_INSTRUCTION:
		snprintf(out, cap, "port 0x%" PRIx64 " %s", k->a, k->b ? "in" : "out");
		break;
	default:
		snprintf(out, cap, "0x%" PRIx64 "/0x%" PRIx64, k->a, k->b);
		break;
	}
}

void vmt_an_key_format(const struct vmt_an_bkey *k, const struct vmt_an_names *names,
		       char *out, size_t cap)
{
	char rb[24], body[160];
	const char *rn = vmt_an_reason_label(k->reason, rb, sizeof(rb));

	switch (k->kind) {
	case VMT_AN_REASON:
		snprintf(out, cap, "%s (all)", rn);
		break;
	case VMT_AN_VCPU:
		snprintf(out, cap, "vcpu %" PRIu64 " (all)", k->a);
		break;
	case VMT_AN_SPACE:
		snprintf(out, cap, "cr3 0x%" PRIx64, k->a);
		break;
	default:
		format_behaviour(k, names, body, sizeof(body));
		snprintf(out, cap, "%s %s", rn, body);
		break;
	}
}
