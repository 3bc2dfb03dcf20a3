/*
 * monitors.c - the monitor set of a recording: parsing of the command-line
 * monitor options and the canonical text stored in the trace header (and
 * compared by analyze/ to refuse incomparable runs), plus canonical labels.
 * Grammar and text: record/README.md "Monitors" and "Monitor text".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmt/record.h"

/* Kind names, also the item names of the canonical text. */
static const char *const kind_names[VMT_MON_KIND_COUNT] = {
	[VMT_MON_BREAKPOINT] = "breakpoint",
	[VMT_MON_CPUID] = "cpuid",
	[VMT_MON_DEBUG] = "debug",
	[VMT_MON_DESC_ACCESS] = "desc-access",
	[VMT_MON_EMUL_UNIMPL] = "emul-unimpl",
	[VMT_MON_GUEST_REQUEST] = "guest-request",
	[VMT_MON_PRIVCALL] = "privcall",
	[VMT_MON_SINGLESTEP] = "singlestep",
	[VMT_MON_VMEXIT] = "vmexit",
};
/* Kinds whose event can be asynchronous (Xen takes a sync argument). */
static const uint8_t kind_has_sync[VMT_MON_KIND_COUNT] = {
	[VMT_MON_DEBUG] = 1, [VMT_MON_GUEST_REQUEST] = 1, [VMT_MON_VMEXIT] = 1,
};
static const char *const cr_names[4] = { "cr0", "cr3", "cr4", "xcr0" };
/* xenmem_access_t values 0..7 by name. */
static const char *const access_names[8] = {
	"n", "r", "w", "rw", "x", "rx", "wx", "rwx"
};

#define WHY(...) (snprintf(why, whylen, __VA_ARGS__), -EINVAL)

static int parse_u64(const char *s, uint64_t *v, char **end)
{
	errno = 0;
	if (!s || *s == '-' || *s == '\0')
		return -EINVAL;
	*v = strtoull(s, end, 0);
	return (errno || *end == s) ? -EINVAL : 0;
}

static int parse_cr(struct vmt_monitors *m, const char *arg, char *why,
		    size_t whylen)
{
	char buf[64];
	if (!arg || strlen(arg) >= sizeof(buf))
		return WHY("--cr needs REG[:sync|async][,all|onchange]");
	snprintf(buf, sizeof(buf), "%s", arg);
	char *params = strchr(buf, ':');
	if (params)
		*params++ = '\0';
	int idx = -1;
	for (int i = 0; i < 4; i++)
		if (!strcmp(buf, cr_names[i]))
			idx = i;
	if (idx < 0)
		return WHY("unknown control register '%s' (cr0, cr3, cr4, xcr0)",
			   buf);
	uint8_t mode = VMT_MON_ASYNC, all = 0;
	for (char *save = NULL, *p = params ? strtok_r(params, ",", &save) : NULL;
	     p; p = strtok_r(NULL, ",", &save)) {
		if (!strcmp(p, "sync") || !strcmp(p, "async"))
			mode = p[0] == 's' ? VMT_MON_SYNC : VMT_MON_ASYNC;
		else if (!strcmp(p, "all") || !strcmp(p, "onchange"))
			all = p[0] == 'a';
		else
			return WHY("unknown --cr parameter '%s' (sync, async, "
				   "onchange, all)", p);
	}
	m->cr[idx] = mode;
	m->cr_all[idx] = all;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static int parse_msr(struct vmt_monitors *m, const char *arg, char *why,
		     size_t whylen)
{
	struct vmt_monitors t = *m;  /* all or nothing */
	const char *p = arg;
	if (!arg || !*arg)
		return WHY("--msr needs a list of MSR numbers");
	while (*p) {
		uint64_t v;
		char *end;
		if (parse_u64(p, &v, &end) || v > UINT32_MAX ||
		    (*end && *end != ','))
			return WHY("bad MSR list '%s' (numbers such as "
				   "0xc0000080, comma separated)", arg);
		int dup = 0;
		for (unsigned i = 0; i < t.n_msr; i++)
			dup |= t.msr[i] == v;
		if (!dup && t.n_msr == VMT_MON_MAX_MSR)
			return -E2BIG;
		if (!dup)
			t.msr[t.n_msr++] = (uint32_t)v;
		p = *end ? end + 1 : end;
	}
	qsort(t.msr, t.n_msr, sizeof(t.msr[0]), cmp_u32);
	*m = t;
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct vmt_mem_range *x = a, *y = b;
	return (x->first > y->first) - (x->first < y->first);
}

static int parse_access(const char *s, uint32_t *acc)
{
	for (uint32_t i = 0; i < 7; i++)  /* rwx would restrict nothing */
		if (!strcmp(s, access_names[i]))
			return (*acc = i), 0;
	return -EINVAL;
}

static int parse_mem(struct vmt_monitors *m, const char *arg, char *why,
		     size_t whylen)
{
	struct vmt_mem_range r;
	char *end;
	if (!arg || parse_u64(arg, &r.first, &end))
		return WHY("--mem-access needs START[-END]:PERM, e.g. "
			   "0x1000-0x10ff:rw");
	r.last = r.first;
	if (*end == '-' && parse_u64(end + 1, &r.last, &end))
		return WHY("bad range end in '%s'", arg);
	if (*end != ':' || parse_access(end + 1, &r.access))
		return WHY("'%s': PERM must be one of n r w rw x rx wx (the "
			   "access the guest keeps)", arg);
	if (r.last < r.first || r.last - r.first >= UINT32_MAX)
		return WHY("'%s': empty or too large gfn range", arg);
	for (unsigned i = 0; i < m->n_mem; i++)
		if (r.first <= m->mem[i].last && m->mem[i].first <= r.last)
			return WHY("'%s' overlaps another --mem-access range",
				   arg);
	if (m->n_mem == VMT_MON_MAX_MEM)
		return -E2BIG;
	m->mem[m->n_mem++] = r;
	qsort(m->mem, m->n_mem, sizeof(m->mem[0]), cmp_range);
	return 0;
}

static int parse_kind(struct vmt_monitors *m, int k, const char *arg,
		      char *why, size_t whylen)
{
	if (!arg) {
		m->on[k] = kind_has_sync[k] ? VMT_MON_ASYNC : VMT_MON_SYNC;
		return 0;
	}
	if (kind_has_sync[k] && (!strcmp(arg, "sync") || !strcmp(arg, "async"))) {
		m->on[k] = arg[0] == 's' ? VMT_MON_SYNC : VMT_MON_ASYNC;
		return 0;
	}
	return WHY("--%s takes %s", kind_names[k],
		   kind_has_sync[k] ? "an optional =sync or =async" :
				      "no argument");
}

int vmt_monitors_parse(struct vmt_monitors *m, const char *opt,
		       const char *arg, char *why, size_t whylen)
{
	if (!strcmp(opt, "cr"))
		return parse_cr(m, arg, why, whylen);
	if (!strcmp(opt, "msr"))
		return parse_msr(m, arg, why, whylen);
	if (!strcmp(opt, "mem-access"))
		return parse_mem(m, arg, why, whylen);
	for (int k = 0; k < VMT_MON_KIND_COUNT; k++)
		if (!strcmp(opt, kind_names[k]))
			return parse_kind(m, k, arg, why, whylen);
	return WHY("unknown monitor '%s'", opt);
}

int vmt_monitors_empty(const struct vmt_monitors *m)
{
	int any = m->n_msr || m->n_mem;
	for (int i = 0; i < 4; i++)
		any |= m->cr[i];
	for (int k = 0; k < VMT_MON_KIND_COUNT; k++)
		any |= m->on[k];
	return !any;
}

/* Items are produced unsorted into a small table, then sorted by name. */
struct item {
	char text[1024];
};

static int cmp_item(const void *a, const void *b)
{
	return strcmp(((const struct item *)a)->text,
		      ((const struct item *)b)->text);
}

static void item_list(char *out, size_t cap, const char *name,
		      const char *fmt, const uint64_t *v, unsigned n,
		      const struct vmt_mem_range *mem)
{
	size_t len = (size_t)snprintf(out, cap, "%s", name);
	for (unsigned i = 0; i < n && len < cap; i++) {
		const char *sep = i ? "," : ":";
		if (mem)
			len += (size_t)snprintf(out + len, cap - len,
				"%s0x%" PRIx64 "-0x%" PRIx64 ":%s", sep,
				mem[i].first, mem[i].last,
				access_names[mem[i].access & 7]);
		else
			len += (size_t)snprintf(out + len, cap - len, fmt, sep,
						v[i]);
	}
}

static unsigned collect_items(const struct vmt_monitors *m, struct item *it)
{
	unsigned n = 0;
	for (int i = 0; i < 4; i++)
		if (m->cr[i])
			snprintf(it[n++].text, sizeof(it->text), "%s:%s,%s",
				 cr_names[i],
				 m->cr[i] == VMT_MON_SYNC ? "sync" : "async",
				 m->cr_all[i] ? "all" : "onchange");
	for (int k = 0; k < VMT_MON_KIND_COUNT; k++)
		if (m->on[k])
			snprintf(it[n++].text, sizeof(it->text), "%s%s",
				 kind_names[k], !kind_has_sync[k] ? "" :
				 m->on[k] == VMT_MON_SYNC ? ":sync" : ":async");
	if (m->n_msr) {
		uint64_t v[VMT_MON_MAX_MSR];
		for (unsigned i = 0; i < m->n_msr; i++)
			v[i] = m->msr[i];
		item_list(it[n++].text, sizeof(it->text), "msr", "%s0x%" PRIx64,
			  v, m->n_msr, NULL);
	}
	if (m->n_mem)
		item_list(it[n++].text, sizeof(it->text), "mem-access", NULL,
			  NULL, m->n_mem, m->mem);
	return n;
}

int vmt_monitors_canonical(const struct vmt_monitors *m, char *out, size_t cap)
{
	struct item it[4 + VMT_MON_KIND_COUNT + 2];
	unsigned n = collect_items(m, it);
	size_t len = 0;

	qsort(it, n, sizeof(it[0]), cmp_item);
	if (cap)
		out[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		int w = snprintf(out + len, cap > len ? cap - len : 0, "%s%s",
				 i ? ";" : "", it[i].text);
		len += (size_t)w;
		if (len >= cap)
			return -ENOSPC;
	}
	return (int)len;
}

/* Splits canonical label text in place-free fashion: finds key @k. */
static const char *label_find(const char *labels, const char *k, size_t klen)
{
	for (const char *p = labels; p && *p; p = strchr(p, ';') ? strchr(p, ';') + 1 : NULL)
		if (!strncmp(p, k, klen) && p[klen] == '=')
			return p;
	return NULL;
}

int vmt_labels_add(char *labels, size_t cap, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv || strchr(eq + 1, ';') ||
	    memchr(kv, ';', (size_t)(eq - kv)) ||
	    label_find(labels, kv, (size_t)(eq - kv)))
		return -EINVAL;
	if (strlen(labels) + strlen(kv) + 2 > cap)
		return -ENOSPC;
	/* Insert before the first item whose key sorts after ours. */
	size_t klen = (size_t)(eq - kv);
	char *p = labels;
	while (*p) {
		const char *peq = strchr(p, '=');
		size_t plen = (size_t)(peq - p);
		size_t mn = plen < klen ? plen : klen;
		int c = strncmp(p, kv, mn);
		if (c > 0 || (c == 0 && plen > klen))
			break;
		char *semi = strchr(p, ';');
		p = semi ? semi + 1 : p + strlen(p);
	}
	size_t add = strlen(kv) + 1;  /* item + ';' */
	int at_end = *p == '\0';
	if (at_end && p != labels) {
		/* Append ";kv" */
		memmove(p + 1, kv, add);
		p[0] = ';';
		return 0;
	}
	memmove(p + add, p, strlen(p) + 1);
	memcpy(p, kv, add - 1);
	p[add - 1] = at_end ? '\0' : ';';
	return 0;
}
