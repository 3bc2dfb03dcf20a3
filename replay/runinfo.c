/*
 * runinfo.c - what replay derives from a trace header: labels and monitors
 * split into pairs, the recording-conditions fingerprint (SCHEMA.md
 * "Fingerprint"), names of end and loss causes, the detail-table layout
 * built from format/'s field table, and small text helpers.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "replay_int.h"

const enum vmt_reg vmt_key_regs[10] = {
	VMT_REG_RIP, VMT_REG_RSP, VMT_REG_CR3, VMT_REG_RAX, VMT_REG_RBX,
	VMT_REG_RCX, VMT_REG_RDX, VMT_REG_RSI, VMT_REG_RDI, VMT_REG_RFLAGS,
};

const enum vmt_reg vmt_block_regs[VMT_KR_N] = {
	VMT_REG_RSP, VMT_REG_RBX, VMT_REG_RCX, VMT_REG_RDX, VMT_REG_RSI,
	VMT_REG_RDI, VMT_REG_RFLAGS,
};

/* Splits @s at @sep and each piece at the first @kv; empty pieces skipped. */
static int split_each(const char *s, char sep, char kv,
		      int (*fn)(void *, const char *, size_t, const char *, size_t),
		      void *ctx)
{
	while (s && *s) {
		const char *end = strchr(s, sep);
		size_t n = end ? (size_t)(end - s) : strlen(s);
		const char *mid = memchr(s, kv, n);
		int ret = 0;

		if (n)
			ret = mid ? fn(ctx, s, (size_t)(mid - s), mid + 1,
				       n - (size_t)(mid - s) - 1)
				  : fn(ctx, s, n, s + n, 0);
		if (ret)
			return ret;
		s = end ? end + 1 : NULL;
	}
	return 0;
}

int vmt_labels_each(const char *labels,
		    int (*fn)(void *, const char *, size_t, const char *, size_t),
		    void *ctx)
{
	return split_each(labels, ';', '=', fn, ctx);
}

int vmt_monitors_each(const char *monitors,
		      int (*fn)(void *, const char *, size_t, const char *, size_t),
		      void *ctx)
{
	return split_each(monitors, ';', ':', fn, ctx);
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

struct label_ref {
	const char *k;
	size_t kn, n;               /* key length, whole "k=v" length */
};

struct label_list {
	struct label_ref *v;
	size_t n;
};

static int label_collect(void *ctx, const char *k, size_t kn, const char *v,
			 size_t vn)
{
	struct label_list *l = ctx;

	l->v[l->n++] = (struct label_ref){ k, kn, v == k + kn ? kn : kn + 1 + vn };
	return 0;
}

static int label_cmp(const void *a, const void *b)
{
	const struct label_ref *x = a, *y = b;
	size_t n = x->kn < y->kn ? x->kn : y->kn;
	int c = memcmp(x->k, y->k, n);

	return c ? c : (x->kn > y->kn) - (x->kn < y->kn);
}

/* Labels in key order: the fingerprint must not depend on how they were typed. */
static uint64_t hash_labels(uint64_t h, const char *labels)
{
	struct label_ref refs[VMT_TEXT_MAX / 2];
	struct label_list l = { refs, 0 };

	vmt_labels_each(labels, label_collect, &l);
	qsort(refs, l.n, sizeof(refs[0]), label_cmp);
	for (size_t i = 0; i < l.n; i++) {
		if (i)
			h = fnv1a(h, ";", 1);
		h = fnv1a(h, refs[i].k, refs[i].n);
	}
	return h;
}

VMT_API void vmt_replay_fingerprint(uint32_t abi_version, uint32_t vcpus,
				    const char *monitors, const char *labels,
				    char out[17])
{
	char head[64];
	uint64_t h = 0xcbf29ce484222325ull;
	int n = snprintf(head, sizeof(head), "abi=%u\nvcpus=%u\nmonitors=",
			 abi_version, vcpus);

	h = fnv1a(h, head, (size_t)n);
	h = fnv1a(h, monitors, strlen(monitors));
	h = fnv1a(h, "\nlabels=", 8);
	h = hash_labels(h, labels);
	h = fnv1a(h, "\n", 1);
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

int64_t vmt_summary_end_cause(const struct vmt_run_summary *s)
{
	return s->from_trailer ? (int64_t)s->end_cause : -1;
}

const char *vmt_summary_end_name(const struct vmt_run_summary *s)
{
	return s->from_trailer ? vmt_end_cause_name(s->end_cause) : "none";
}

const char *vmt_end_cause_name(uint32_t cause)
{
	static const char *const names[] = {
		[VMT_END_LIMIT] = "limit", [VMT_END_SIGNAL] = "signal",
		[VMT_END_WRITE_ERROR] = "write_error",
		[VMT_END_DOMAIN_GONE] = "domain_gone",
		[VMT_END_RING_FAULT] = "ring_fault", [VMT_END_OTHER] = "other",
	};

	return cause < VMT_ARRAY_SIZE(names) ? names[cause] : "unknown";
}

const char *vmt_loss_cause_name(uint32_t cause)
{
	static const char *const names[] = {
		[VMT_LOSS_RING_FAULT] = "ring_fault",
		[VMT_LOSS_WRITE_ERROR] = "write_error",
		[VMT_LOSS_BAD_ENTRY] = "bad_entry",
		[VMT_LOSS_BACKLOG] = "backlog",
	};

	return cause < VMT_ARRAY_SIZE(names) && names[cause] ? names[cause]
							    : "unknown";
}

void vmt_iso_time(uint64_t ns, char out[40])
{
	time_t s = (time_t)(ns / 1000000000u);
	struct tm tm;
	char day[24];

	gmtime_r(&s, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 40, "%s.%09uZ", day, (unsigned)(ns % 1000000000u));
}

/* debug_exception shares software_breakpoint's payload struct in Xen. */
static uint32_t payload_owner(uint32_t reason)
{
	return reason == VMT_REASON_DEBUG_EXCEPTION ?
		       VMT_REASON_SOFTWARE_BREAKPOINT : reason;
}

static struct vmt_detail details[VMT_REASON_COUNT];
static const struct vmt_detail no_detail;

static void detail_build(void)
{
	for (uint32_t r = 1; r < VMT_REASON_COUNT; r++) {
		struct vmt_detail *d = &details[r];

		for (int f = 0; f < VMT_P_COUNT; f++)
			if (vmt_pfield_reason((enum vmt_pfield)f) == payload_owner(r) &&
			    d->nfields < (int)VMT_ARRAY_SIZE(d->fields))
				d->fields[d->nfields++] = (enum vmt_pfield)f;
		if (d->nfields)
			d->table = vmt_reason_name(r);
	}
}

const struct vmt_detail *vmt_detail_of(uint32_t reason)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, detail_build);
	return reason < VMT_REASON_COUNT ? &details[reason] : &no_detail;
}

const char *vmt_payload_arg_name(enum vmt_pfield f, char buf[64])
{
	const char *name = vmt_pfield_name(f);
	const char *table = vmt_reason_name(vmt_pfield_reason(f));
	int clash = !strcmp(name, "seq") || !strcmp(name, "reason") ||
		    !strcmp(name, "flags");

	for (size_t i = 0; i < VMT_ARRAY_SIZE(vmt_key_regs); i++)
		clash |= !strcmp(name, vmt_reg_name(vmt_key_regs[i]));
	if (!clash || !table)
		return name;
	snprintf(buf, 64, "%s_%s", table, name);
	return buf;
}
