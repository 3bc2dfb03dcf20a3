/*
 * fuzz_scenario.c - libFuzzer target for xensim's workload-scenario parser
 * (record/xensim/scenario.c, samples/workloads/FORMAT.md): any bytes parse
 * or are refused with a message, never read past the input, never leak;
 * and a scenario that parses holds everything guest.c takes for granted
 * when it steps a vCPU through it (it divides by, indexes with and loops
 * over these values without checking them again).  Built as a real fuzzer
 * with -DVMT_FUZZ=ON (clang) and replayed over tests/fuzz/corpus/scenario/
 * by regression_main.c in every build.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) fail(#cond, __LINE__); } while (0)

static void fail(const char *what, int line)
{
	fprintf(stderr, "fuzz_scenario:%d: invariant broken: %s\n", line, what);
	abort();
}

#define NAME "fuzz.wl"
#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
		   "0123456789-_."

/* What guest.c does with an action's two lists (draw_params()). */
enum use { NONE, OPTIONAL, PICKED };
static const struct {
	enum use a, b;
	uint64_t a_set, b_set;   /* allowed values as bits; 0 = any value */
} uses[VMT_ACT_COUNT] = {
	[VMT_ACT_SWITCH] = { NONE, NONE, 0, 0 },
	[VMT_ACT_SYSCALL] = { PICKED, NONE, 0, 0 },
	/* kinds: r, w, x; the access kind is a uint8_t bit */
	[VMT_ACT_ACCESS] = { OPTIONAL, PICKED, 0, 1u << 1 | 1u << 2 | 1u << 4 },
	[VMT_ACT_BREAKPOINT] = { NONE, NONE, 0, 0 },
	[VMT_ACT_DEBUG] = { NONE, NONE, 0, 0 },
	[VMT_ACT_CPUID] = { PICKED, OPTIONAL, 0, 0 },
	[VMT_ACT_MSR] = { PICKED, NONE, 0, 0 },
	/* regs: cr0, cr4, xcr0; cr_slot() and cr_flip[] index with them */
	[VMT_ACT_CR] = { PICKED, NONE, 1u << 0 | 1u << 2 | 1u << 3, 0 },
	[VMT_ACT_MARKER] = { OPTIONAL, NONE, 0, 0 },
	/* descs: idtr, gdtr, ldtr, tr */
	[VMT_ACT_DESCRIPTOR] = { PICKED, NONE, 0x1e, 0 },
	[VMT_ACT_VMEXIT] = { PICKED, NONE, 0, 0 },
};

static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int in_list(const struct vmt_sim_list *l, uint64_t v)
{
	for (uint32_t i = 0; i < l->n; i++)
		if (v >= l->r[i][0] && v <= l->r[i][1])
			return 1;
	return 0;
}

static void check_list(const struct vmt_sim_list *l, enum use use,
		       uint64_t set, uint64_t *seed)
{
	uint64_t total = 0;

	if (use == NONE || (use == OPTIONAL && !l->total)) {
		CHECK(!l->n && !l->total);
		return;
	}
	CHECK(l->n && l->r && l->total);
	for (uint32_t i = 0; i < l->n; i++) {
		CHECK(l->r[i][0] <= l->r[i][1]);
		total += l->r[i][1] - l->r[i][0] + 1;
		if (!set)
			continue;
		CHECK(l->r[i][1] < 64);
		for (uint64_t v = l->r[i][0]; v <= l->r[i][1]; v++)
			CHECK(set >> v & 1);
	}
	CHECK(total == l->total);
	/* the ends of the draw range, and a few values from the input */
	const uint64_t fixed[] = { 0, 1, l->total - 1, l->total, UINT64_MAX };
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		CHECK(in_list(l, vmt_sim_list_pick(l, fixed[i])));
	for (int i = 0; i < 4; i++)
		CHECK(in_list(l, vmt_sim_list_pick(l, mix(seed))));
	CHECK(vmt_sim_list_pick(l, 0) == l->r[0][0]);
	CHECK(vmt_sim_list_pick(l, l->total - 1) == l->r[l->n - 1][1]);
}

static void check_scenario(const struct vmt_sim_scenario *sc, uint64_t seed)
{
	int has_switch = 0, has_syscall = 0;

	CHECK(strnlen(sc->name, sizeof(sc->name)) < sizeof(sc->name));
	CHECK(strspn(sc->name, NAME_CHARS) == strlen(sc->name));
	CHECK(!strcmp(sc->path, NAME));
	CHECK(sc->memory > 0);                       /* gfn %= memory */
	CHECK(sc->n_procs >= 1 && sc->procs);        /* vCPUs start in procs[0] */
	for (uint32_t i = 0; i < sc->n_procs; i++) {
		const struct vmt_sim_proc *p = &sc->procs[i];

		CHECK(strnlen(p->name, sizeof(p->name)) < sizeof(p->name));
		/* rip is drawn modulo the code size, in 4-byte steps */
		CHECK(p->code_lo <= p->code_hi && p->code_hi - p->code_lo >= 16);
		CHECK(p->data_lo <= p->data_hi);
	}
	CHECK(sc->n_phases >= 1 && sc->phases);
	for (uint32_t i = 0; i < sc->n_phases; i++) {
		const struct vmt_sim_phase *ph = &sc->phases[i];
		uint64_t total = 0;

		CHECK(strnlen(ph->name, sizeof(ph->name)) < sizeof(ph->name));
		CHECK(ph->steps >= 1);                   /* --phase_left == 0 */
		CHECK(ph->n_acts >= 1 && ph->acts);
		for (uint32_t k = 0; k < ph->n_acts; k++) {
			const struct vmt_sim_action *a = &ph->acts[k];

			CHECK(a->act < VMT_ACT_COUNT && vmt_sim_act_name(a->act));
			CHECK(a->weight >= 1 && a->weight <= 1000000);
			total += a->weight;
			has_switch |= a->act == VMT_ACT_SWITCH;
			has_syscall |= a->act == VMT_ACT_SYSCALL;
			check_list(&a->a, uses[a->act].a, uses[a->act].a_set, &seed);
			check_list(&a->b, uses[a->act].b, uses[a->act].b_set, &seed);
		}
		/* choose() walks the weights down from rnd % total_weight */
		CHECK(total == ph->total_weight);
	}
	CHECK(!has_switch || sc->n_procs >= 2);      /* r % (n_procs - 1) */
	CHECK(!has_syscall || sc->has_syscall);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmt_sim_scenario sc;
	char err[256], small[24];
	uint64_t seed = size;
	int rc, rc2;

	for (size_t i = 0; i < size && i < 64; i++)
		seed = seed * 131 + data[i];
	memset(err, 'x', sizeof(err));
	rc = vmt_sim_scenario_parse(&sc, (const char *)data, size, NAME, err,
				    sizeof(err));
	if (!rc) {
		check_scenario(&sc, seed);
		vmt_sim_scenario_free(&sc);
		CHECK(!sc.phases && !sc.procs && !sc.n_phases && !sc.n_procs);
		return 0;
	}
	/* refused: nothing kept, and the message names the input and line */
	CHECK(!sc.phases && !sc.procs && !sc.n_phases && !sc.n_procs);
	CHECK(rc == -VMT_E_CORRUPT || rc == -ENOMEM);
	if (rc == -VMT_E_CORRUPT) {
		CHECK(memchr(err, '\0', sizeof(err)));
		CHECK(!strncmp(err, NAME ":", strlen(NAME ":")));
	}
	/* a short message buffer only shortens the message */
	rc2 = vmt_sim_scenario_parse(&sc, (const char *)data, size, NAME, small,
				     1 + seed % sizeof(small));
	CHECK(rc2 == rc);
	vmt_sim_scenario_free(&sc);
	return 0;
}
