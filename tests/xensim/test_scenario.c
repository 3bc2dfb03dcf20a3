/*
 * test_scenario.c - xensim's scenario parser (record/xensim/scenario.c,
 * syntax in samples/workloads/FORMAT.md) and --fault parser (faults.c):
 * every shipped scenario loads, and each kind of mistake is refused with a
 * message naming the file, the line and the problem.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "record/xensim/sim.h"

static const char *write_tmp(const char *text)
{
	static char path[64];

	strcpy(path, "/tmp/xensim-scenario.XXXXXX");
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

Test(scenario, shipped_scenarios_load)
{
	static const char *const names[] = { "idle", "boot", "syscall-heavy",
					      "memory", "mixed" };
	struct vmt_sim_scenario sc;
	char path[512], err[256];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/samples/workloads/%s.wl",
			 VMT_SOURCE_DIR, names[i]);
		cr_assert_eq(vmt_sim_scenario_load(&sc, path, err, sizeof(err)), 0,
			     "%s: %s", names[i], err);
		cr_expect_str_eq(sc.name, names[i]);
		cr_expect_geq(sc.n_procs, 2);
		cr_expect_geq(sc.n_phases, 1);
		cr_expect(sc.has_syscall);
		vmt_sim_scenario_free(&sc);
	}
}

Test(scenario, defaults_and_lists)
{
	struct vmt_sim_scenario sc;
	char err[256];
	const char *p = write_tmp(
		"# comment\n"
		"rate 250\n"
		"process a cr3=0x1000 code=0x400000-0x401000 gfn=0x10 # trailing\n"
		"process b cr3=0x2000 code=0x400000-0x402000 gfn=0x20 data=5-9\n"
		"phase one steps=3\n"
		"  cpuid 2 leaves=1,0x10-0x12\n"
		"phase two\n"
		"  switch 1\n"
		"  access 4 kinds=x\n");

	cr_assert_eq(vmt_sim_scenario_load(&sc, p, err, sizeof(err)), 0, "%s", err);
	unlink(p);
	cr_expect_eq(sc.rate, 250);
	cr_expect_eq(sc.memory, 262144);
	cr_expect_eq(sc.procs[1].data_hi, 9);
	cr_expect_eq(sc.phases[0].steps, 3);
	cr_expect_eq(sc.phases[1].total_weight, 5);
	const struct vmt_sim_action *c = &sc.phases[0].acts[0];
	cr_expect_eq(c->a.total, 4);           /* 1, 0x10, 0x11, 0x12 */
	cr_expect_eq(vmt_sim_list_pick(&c->a, 0), 1);
	cr_expect_eq(vmt_sim_list_pick(&c->a, 3), 0x12);
	cr_expect_eq(c->b.total, 1, "subleaves default to 0");
	cr_expect_eq(vmt_sim_list_pick(&sc.phases[1].acts[1].b, 7), 4, "x = 4");
	vmt_sim_scenario_free(&sc);
}

/* Inline strings: Criterion re-executes the binary for each case, so
 * pointers into the parent's data would not survive. */
struct bad_case {
	char text[96];
	char msg[80];        /* expected after "<file>:" */
};

ParameterizedTestParameters(scenario, refused)
{
	static struct bad_case cases[] = {
		{ "frobnicate 1\n", ":1: unknown directive 'frobnicate'" },
		{ "process a cr3=1 code=0x1000-0x2000\n", ":1: process needs cr3=, code= and gfn=" },
		{ "process a cr3=1 code=0x2000-0x1000 gfn=1\n", ":1: process: bad value for 'code'" },
		{ "process a cr3=1 code=0x1000-0x2000 gfn=1\ncpuid 1\n", ":2: action 'cpuid' before the first phase" },
		{ "process a cr3=1 code=0x1000-0x2000 gfn=1\nphase p\n cpuid 0\n", ":3: cpuid: weight must be 1..1000000" },
		{ "process a cr3=1 code=0x1000-0x2000 gfn=1\nphase p\n access 1 kinds=q\n", ":3: access: bad list 'kinds=q'" },
		{ "process a cr3=1 code=0x1000-0x2000 gfn=1\nphase p\n cr 1 regs=cr0,9\n", ":3: cr: bad list 'regs=cr0,9'" },
		{ "process a cr3=1 code=0x1000-0x2000 gfn=1\nphase p\n syscall 1\n", ":0: phase 'p' uses syscall but there is no syscall-entry" },
		{ "process a cr3=1 code=0x1000-0x2000 gfn=1\nphase p\n switch 1\n", ":0: switch needs two processes" },
		{ "process a cr3=1 code=0x1000-0x2000 gfn=1\nphase p\n", ":0: phase 'p' has no action" },
		{ "process a cr3=1 code=0x1000-0x2000 gfn=1\n", ":0: no phase defined" },
		{ "phase p\n cpuid 1\nrate 5\n", ":3: 'rate' must come before the first phase" },
		{ "name bad\"name\n", ":1: name takes one word of letters, digits, '-', '_' and '.'" },
		{ "rate -5\n", ":1: rate takes one positive number" },
	};
	return cr_make_param_array(struct bad_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_case *c, scenario, refused)
{
	struct vmt_sim_scenario sc;
	char err[256];
	const char *p = write_tmp(c->text);

	cr_assert_eq(vmt_sim_scenario_load(&sc, p, err, sizeof(err)), -VMT_E_CORRUPT,
		     "accepted: %s", c->text);
	unlink(p);
	cr_expect(strncmp(err, p, strlen(p)) == 0, "no file name in '%s'", err);
	cr_expect_str_eq(err + strlen(p), c->msg);
}

Test(scenario, parse_from_memory)
{
	static const char text[] = "process a cr3=1 code=0x1000-0x2000 gfn=1\n"
				   "phase p\n cpuid 1\nbad\0 cpuid 1\n";
	size_t good = strlen(text) - strlen("bad");
	struct vmt_sim_scenario sc;
	char err[256];

	/* only the bytes given are read: no NUL needed at the end */
	cr_assert_eq(vmt_sim_scenario_parse(&sc, text, good, "dir/mem.wl", err,
					    sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(sc.name, "mem");
	cr_expect_str_eq(sc.path, "dir/mem.wl");
	vmt_sim_scenario_free(&sc);
	cr_expect_eq(vmt_sim_scenario_parse(&sc, text, good + 3, "m", err,
					    sizeof(err)), -VMT_E_CORRUPT);
	cr_expect_str_eq(err, "m:4: unknown directive 'bad'");
	cr_expect_eq(vmt_sim_scenario_parse(&sc, text, sizeof(text) - 1, "m", err,
					    sizeof(err)), -VMT_E_CORRUPT);
	cr_expect_str_eq(err, "m:4: NUL byte in line");
}

Test(scenario, missing_file)
{
	struct vmt_sim_scenario sc;
	char err[256];

	cr_expect_lt(vmt_sim_scenario_load(&sc, "/nonexistent/x.wl", err, sizeof(err)), 0);
	cr_expect_str_eq(err, "/nonexistent/x.wl: No such file or directory");
}

Test(faults, parse)
{
	struct vmt_sim_faults f = { 0 };

	cr_expect_eq(vmt_sim_fault_parse(&f, "ring-jump", 7), 0);
	cr_expect_eq(f.at[VMT_FAULT_RING_JUMP], 100);
	cr_expect_eq(vmt_sim_fault_parse(&f, "unknown-reason=77@5", 7), 0);
	cr_expect_eq(f.arg[VMT_FAULT_UNKNOWN_REASON], 77);
	cr_expect_eq(f.at[VMT_FAULT_UNKNOWN_REASON], 5);
	/* the newest version but the host's */
	cr_expect_eq(vmt_sim_fault_parse(&f, "bad-version", VMT_ABI_MAX), 0);
	cr_expect_eq(f.arg[VMT_FAULT_BAD_VERSION], VMT_ABI_MAX - 1);
	cr_expect_eq(vmt_sim_fault_parse(&f, "bad-version", 3), 0);
	cr_expect_eq(f.arg[VMT_FAULT_BAD_VERSION], VMT_ABI_MAX);
	cr_expect_eq(vmt_sim_fault_parse(&f, "domain-die=12", 7), 0);
	cr_expect_eq(f.at[VMT_FAULT_DOMAIN_DIE], 12);
	cr_expect_eq(vmt_sim_fault_parse(&f, "slow-evtchn=250", 7), 0);
	cr_expect_eq(f.arg[VMT_FAULT_SLOW_EVTCHN], 250);
	cr_expect_eq(vmt_sim_fault_parse(&f, "slow-evtchn=250@3", 7), -EINVAL);
	cr_expect_eq(vmt_sim_fault_parse(&f, "domain-die=0", 7), -EINVAL);
	cr_expect_eq(vmt_sim_fault_parse(&f, "ring", 7), -EINVAL);
	cr_expect_eq(vmt_sim_fault_parse(&f, "ring-jump=x", 7), -EINVAL);
}
