/*
 * scenario.c - parser for xensim workload scenarios
 * (samples/workloads/FORMAT.md is the specification).
 *
 * Errors name the file and line; nothing is printed here, the message goes
 * back to the caller in @err.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

/* Symbolic list items of some keys (FORMAT.md "Action lines"). */
struct sym { const char *name; uint64_t val; };
static const struct sym kinds_syms[] = {
	{ "r", 1 }, { "w", 2 }, { "x", 4 }, { NULL, 0 } };
static const struct sym cr_syms[] = {
	{ "cr0", 0 }, { "cr4", 2 }, { "xcr0", 3 }, { NULL, 0 } };
static const struct sym desc_syms[] = {
	{ "idtr", 1 }, { "gdtr", 2 }, { "ldtr", 3 }, { "tr", 4 }, { NULL, 0 } };

/*
 * Per action: its name and up to two keys, each with a default list and
 * optional symbols.  A NULL default means "absent unless given" (the
 * meaning of absence is the action's, e.g. access uses the process data).
 */
struct act_def {
	const char *name;
	struct { const char *key, *dflt; const struct sym *syms; } k[2];
};
static const struct act_def act_defs[VMT_ACT_COUNT] = {
	[VMT_ACT_SWITCH] = { "switch", { { 0 }, { 0 } } },
	[VMT_ACT_SYSCALL] = { "syscall", { { "nrs", "0-334", NULL }, { 0 } } },
	[VMT_ACT_ACCESS] = { "access", { { "gfns", NULL, NULL },
					 { "kinds", "r,w", kinds_syms } } },
	[VMT_ACT_BREAKPOINT] = { "breakpoint", { { 0 }, { 0 } } },
	[VMT_ACT_DEBUG] = { "debug", { { 0 }, { 0 } } },
	[VMT_ACT_CPUID] = { "cpuid", {
		{ "leaves", "0,1,7,0xd,0x80000000-0x80000008", NULL },
		{ "subleaves", "0", NULL } } },
	[VMT_ACT_MSR] = { "msr", { { "msrs", "0x6e0", NULL }, { 0 } } },
	[VMT_ACT_CR] = { "cr", { { "regs", "cr0,cr4", cr_syms }, { 0 } } },
	[VMT_ACT_MARKER] = { "marker", { { "id", NULL, NULL }, { 0 } } },
	[VMT_ACT_DESCRIPTOR] = { "descriptor", {
		{ "descs", "idtr,gdtr,ldtr,tr", desc_syms }, { 0 } } },
	[VMT_ACT_VMEXIT] = { "vmexit", { { "reasons", "1,10,12,30,48", NULL },
					 { 0 } } },
};

#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
		   "0123456789-_."

struct parser {
	struct vmt_sim_scenario *sc;
	const char *path;
	unsigned line;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->errlen, "%s:%u: ", p->path, p->line);

	if (n < 0 || (size_t)n >= p->errlen)
		return -VMT_E_CORRUPT;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -VMT_E_CORRUPT;
}

const char *vmt_sim_act_name(unsigned act)
{
	return act < VMT_ACT_COUNT ? act_defs[act].name : NULL;
}

static int parse_num(const char *s, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * A key with symbols takes nothing else: FORMAT.md lists only the names,
 * and guest.c indexes its tables with the values (regs=9 used to index past
 * cr_slot()'s and cr_flip[]'s).
 */
static int parse_item(const char *s, const struct sym *syms, uint64_t *out)
{
	if (!syms)
		return parse_num(s, out);
	for (const struct sym *y = syms; y->name; y++)
		if (!strcmp(s, y->name)) {
			*out = y->val;
			return 0;
		}
	return -EINVAL;
}

static int parse_list(const char *text, const struct sym *syms,
		      struct vmt_sim_list *l)
{
	char buf[1024];
	char *save = NULL;

	if (strlen(text) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, text);
	free(l->r);
	memset(l, 0, sizeof(*l));
	for (char *it = strtok_r(buf, ",", &save); it;
	     it = strtok_r(NULL, ",", &save)) {
		uint64_t lo, hi;
		char *dash = syms ? NULL : strchr(it, '-');
		if (dash)
			*dash = '\0';
		if (parse_item(it, syms, &lo) ||
		    (dash ? parse_num(dash + 1, &hi) : (hi = lo, 0)) || hi < lo)
			return -EINVAL;
		/* Keep the count far from overflow; no scenario needs more. */
		if (hi - lo >= (1ull << 48) || l->total >= (1ull << 56))
			return -EINVAL;
		void *nr = realloc(l->r, (l->n + 1) * sizeof(*l->r));
		if (!nr)
			return -ENOMEM;
		l->r = nr;
		l->r[l->n][0] = lo;
		l->r[l->n][1] = hi;
		l->n++;
		l->total += hi - lo + 1;
	}
	return l->total ? 0 : -EINVAL;
}

uint64_t vmt_sim_list_pick(const struct vmt_sim_list *l, uint64_t rnd)
{
	uint64_t k = rnd % l->total;

	for (uint32_t i = 0; i < l->n; i++) {
		uint64_t span = l->r[i][1] - l->r[i][0] + 1;
		if (k < span)
			return l->r[i][0] + k;
		k -= span;
	}
	return l->r[0][0];
}

/* Splits "key=value"; Return: the value, or NULL if there is no '='. */
static char *kv(char *word)
{
	char *eq = strchr(word, '=');

	if (!eq)
		return NULL;
	*eq = '\0';
	return eq + 1;
}

static int parse_range(const char *v, uint64_t *lo, uint64_t *hi)
{
	char buf[64];
	char *dash;

	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, v);
	dash = strchr(buf, '-');
	if (!dash)
		return -EINVAL;
	*dash = '\0';
	if (parse_num(buf, lo) || parse_num(dash + 1, hi) || *hi < *lo)
		return -EINVAL;
	return 0;
}

static int do_process(struct parser *p, char **w, int nw)
{
	struct vmt_sim_scenario *sc = p->sc;
	struct vmt_sim_proc pr = { 0 };
	bool have_cr3 = false, have_code = false, have_gfn = false;

	if (nw < 2 || strlen(w[1]) >= sizeof(pr.name))
		return perr(p, "process needs a name (up to 31 characters)");
	strcpy(pr.name, w[1]);
	for (int i = 2; i < nw; i++) {
		char *v = kv(w[i]);
		int bad = !v;
		if (!bad && !strcmp(w[i], "cr3"))
			bad = parse_num(v, &pr.cr3), have_cr3 = true;
		else if (!bad && !strcmp(w[i], "code"))
			bad = parse_range(v, &pr.code_lo, &pr.code_hi),
			have_code = true;
		else if (!bad && !strcmp(w[i], "gfn"))
			bad = parse_num(v, &pr.gfn), have_gfn = true;
		else if (!bad && !strcmp(w[i], "data"))
			bad = parse_range(v, &pr.data_lo, &pr.data_hi);
		else
			return perr(p, "process: unknown key '%s'", w[i]);
		if (bad)
			return perr(p, "process: bad value for '%s'", w[i]);
	}
	if (!have_cr3 || !have_code || !have_gfn)
		return perr(p, "process needs cr3=, code= and gfn=");
	if (pr.code_hi - pr.code_lo < 16)
		return perr(p, "process: code range too small");
	void *np = realloc(sc->procs, (sc->n_procs + 1) * sizeof(*sc->procs));
	if (!np)
		return -ENOMEM;
	sc->procs = np;
	sc->procs[sc->n_procs++] = pr;
	return 0;
}

static int do_phase(struct parser *p, char **w, int nw)
{
	struct vmt_sim_scenario *sc = p->sc;
	struct vmt_sim_phase ph = { .steps = 1000 };

	if (nw < 2 || strlen(w[1]) >= sizeof(ph.name))
		return perr(p, "phase needs a name (up to 31 characters)");
	strcpy(ph.name, w[1]);
	for (int i = 2; i < nw; i++) {
		char *v = kv(w[i]);
		if (!v || strcmp(w[i], "steps"))
			return perr(p, "phase: unknown key '%s'", w[i]);
		if (parse_num(v, &ph.steps) || !ph.steps)
			return perr(p, "phase: bad steps '%s'", v);
	}
	void *np = realloc(sc->phases, (sc->n_phases + 1) * sizeof(*sc->phases));
	if (!np)
		return -ENOMEM;
	sc->phases = np;
	sc->phases[sc->n_phases++] = ph;
	return 0;
}

static void action_free(struct vmt_sim_action *a)
{
	free(a->a.r);
	free(a->b.r);
}

static int action_fill(struct parser *p, struct vmt_sim_action *a, char **w,
		       int nw)
{
	const struct act_def *def = &act_defs[a->act];
	struct vmt_sim_list *lists[2] = { &a->a, &a->b };

	for (int i = 2; i < nw; i++) {
		char *v = kv(w[i]);
		int k = 0;
		while (k < 2 && !(def->k[k].key && v && !strcmp(w[i], def->k[k].key)))
			k++;
		if (k == 2)
			return perr(p, "%s: unknown key '%s'", def->name, w[i]);
		if (parse_list(v, def->k[k].syms, lists[k]))
			return perr(p, "%s: bad list '%s=%s'", def->name, w[i], v);
	}
	for (int k = 0; k < 2; k++)
		if (def->k[k].dflt && !lists[k]->total &&
		    parse_list(def->k[k].dflt, def->k[k].syms, lists[k]))
			return -ENOMEM;
	return 0;
}

static int do_action(struct parser *p, unsigned act, char **w, int nw)
{
	struct vmt_sim_scenario *sc = p->sc;
	struct vmt_sim_action a = { .act = (uint8_t)act };
	uint64_t weight;
	int rc;

	if (!sc->n_phases)
		return perr(p, "action '%s' before the first phase", w[0]);
	if (nw < 2 || parse_num(w[1], &weight) || !weight || weight > 1000000)
		return perr(p, "%s: weight must be 1..1000000", w[0]);
	a.weight = (uint32_t)weight;
	rc = action_fill(p, &a, w, nw);
	struct vmt_sim_phase *ph = &sc->phases[sc->n_phases - 1];
	void *na = rc ? NULL : realloc(ph->acts, (ph->n_acts + 1) * sizeof(a));
	if (!na) {
		action_free(&a);
		return rc ? rc : -ENOMEM;
	}
	ph->acts = na;
	ph->acts[ph->n_acts++] = a;
	ph->total_weight += a.weight;
	return 0;
}

static int do_header(struct parser *p, char **w, int nw)
{
	struct vmt_sim_scenario *sc = p->sc;

	if (sc->n_phases)
		return perr(p, "'%s' must come before the first phase", w[0]);
	if (!strcmp(w[0], "name")) {
		/* Shown in JSON stats unescaped: keep it to a safe alphabet. */
		if (nw != 2 || strlen(w[1]) >= sizeof(sc->name) ||
		    strspn(w[1], NAME_CHARS) != strlen(w[1]))
			return perr(p, "name takes one word of letters, digits, "
				    "'-', '_' and '.'");
		strcpy(sc->name, w[1]);
		return 0;
	}
	if (!strcmp(w[0], "rate") || !strcmp(w[0], "memory")) {
		uint64_t *dst = w[0][0] == 'r' ? &sc->rate : &sc->memory;
		if (nw != 2 || parse_num(w[1], dst) || !*dst)
			return perr(p, "%s takes one positive number", w[0]);
		return 0;
	}
	/* syscall-entry */
	bool rip = false, gfn = false;
	for (int i = 1; i < nw; i++) {
		char *v = kv(w[i]);
		if (v && !strcmp(w[i], "rip") && !parse_num(v, &sc->syscall_rip))
			rip = true;
		else if (v && !strcmp(w[i], "gfn") &&
			 !parse_num(v, &sc->syscall_gfn))
			gfn = true;
		else
			return perr(p, "syscall-entry: bad key or value '%s'", w[i]);
	}
	if (!rip || !gfn)
		return perr(p, "syscall-entry needs rip= and gfn=");
	sc->has_syscall = true;
	return 0;
}

static int parse_line(struct parser *p, char *line)
{
	char *w[16];
	int nw = 0;
	char *save = NULL, *hash = strchr(line, '#');

	if (hash)
		*hash = '\0';
	for (char *t = strtok_r(line, " \t\r\n", &save); t;
	     t = strtok_r(NULL, " \t\r\n", &save)) {
		if (nw == 16)
			return perr(p, "too many words");
		w[nw++] = t;
	}
	if (!nw)
		return 0;
	if (!strcmp(w[0], "process"))
		return do_process(p, w, nw);
	if (!strcmp(w[0], "phase"))
		return do_phase(p, w, nw);
	if (!strcmp(w[0], "name") || !strcmp(w[0], "rate") ||
	    !strcmp(w[0], "memory") || !strcmp(w[0], "syscall-entry"))
		return do_header(p, w, nw);
	for (unsigned a = 0; a < VMT_ACT_COUNT; a++)
		if (!strcmp(w[0], act_defs[a].name))
			return do_action(p, a, w, nw);
	return perr(p, "unknown directive '%s'", w[0]);
}

/* Whole-file checks that no single line can make. */
static int validate(struct parser *p)
{
	struct vmt_sim_scenario *sc = p->sc;

	p->line = 0;
	if (!sc->n_procs)
		return perr(p, "no process defined");
	if (!sc->n_phases)
		return perr(p, "no phase defined");
	for (uint32_t i = 0; i < sc->n_phases; i++) {
		struct vmt_sim_phase *ph = &sc->phases[i];
		if (!ph->n_acts)
			return perr(p, "phase '%s' has no action", ph->name);
		for (uint32_t k = 0; k < ph->n_acts; k++)
			if (ph->acts[k].act == VMT_ACT_SYSCALL && !sc->has_syscall)
				return perr(p, "phase '%s' uses syscall but "
					    "there is no syscall-entry", ph->name);
	}
	if (sc->n_procs < 2)
		for (uint32_t i = 0; i < sc->n_phases; i++)
			for (uint32_t k = 0; k < sc->phases[i].n_acts; k++)
				if (sc->phases[i].acts[k].act == VMT_ACT_SWITCH)
					return perr(p, "switch needs two processes");
	return 0;
}

static void default_name(struct vmt_sim_scenario *sc, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strcspn(base, ".");
	if (n >= sizeof(sc->name))
		n = sizeof(sc->name) - 1;
	for (size_t i = 0; i < n; i++)
		sc->name[i] = strchr(NAME_CHARS, base[i]) ? base[i] : '_';
	sc->name[n] = '\0';
}

int vmt_sim_scenario_parse(struct vmt_sim_scenario *sc, const char *text,
			   size_t len, const char *name, char *err,
			   size_t errlen)
{
	struct parser p = { sc, name, 0, err, errlen };
	char line[1024];
	size_t pos = 0;
	int rc = 0;

	memset(sc, 0, sizeof(*sc));
	sc->memory = 262144;
	snprintf(sc->path, sizeof(sc->path), "%s", name);
	while (!rc && pos < len) {
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;

		p.line++;
		pos += n + (nl != NULL);
		/* the limit files always had: a line, its newline and a NUL */
		if (n > sizeof(line) - 2)
			rc = perr(&p, "line too long");
		else if (memchr(start, '\0', n))
			rc = perr(&p, "NUL byte in line");
		else {
			memcpy(line, start, n);
			line[n] = '\0';
			rc = parse_line(&p, line);
		}
	}
	if (!rc)
		rc = validate(&p);
	if (!rc && !sc->name[0])
		default_name(sc, name);
	if (rc)
		vmt_sim_scenario_free(sc);
	return rc;
}

/* Far beyond any scenario; stops a wrong path (a device) early. */
#define SCENARIO_MAX (16u << 20)

int vmt_sim_scenario_load(struct vmt_sim_scenario *sc, const char *path,
			  char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;
	FILE *f;

	memset(sc, 0, sizeof(*sc));
	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	for (;;) {
		if (len == cap) {
			char *nt = cap < SCENARIO_MAX ? realloc(text, cap + 65536) : NULL;

			if (!nt) {
				rc = cap < SCENARIO_MAX ? -ENOMEM : -EFBIG;
				break;
			}
			text = nt;
			cap += 65536;
		}
		len += fread(text + len, 1, cap - len, f);
		if (len < cap) {
			rc = ferror(f) ? -EIO : 0;
			break;
		}
	}
	fclose(f);
	if (rc)
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	else
		rc = vmt_sim_scenario_parse(sc, text, len, path, err, errlen);
	free(text);
	return rc;
}

void vmt_sim_scenario_free(struct vmt_sim_scenario *sc)
{
	for (uint32_t i = 0; i < sc->n_phases; i++) {
		for (uint32_t k = 0; k < sc->phases[i].n_acts; k++)
			action_free(&sc->phases[i].acts[k]);
		free(sc->phases[i].acts);
	}
	free(sc->phases);
	free(sc->procs);
	sc->phases = NULL;
	sc->procs = NULL;
	sc->n_phases = sc->n_procs = 0;
}
