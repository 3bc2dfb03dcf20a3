/*
 * gen_runs.c - write synthetic vmtrail traces of a seeded three-phase
 * guest (the shape of samples/workloads/variants/base.wl) through the
 * format library, for the analyze tests that must not depend on xensim
 * timing and for the 10M-event benchmark.
 *
 * usage: gen_runs OUT.vmt [--seed N] [--events N] [--vcpus N] [--rate EV/S]
 *                 [--variant base|new-msr|syscall-2x|new-page] [--no-responses]
 *                 [--label K=V] [--monitors TEXT]
 *                 [--steps N] [--speed F] [--phase-speed B,L,W]
 *                 [--phase-names CODE=NAME;...]  (header phase names)
 *
 * Events are spaced 1/rate apart with exponential jitter, so counts per
 * behaviour are Poisson-like for a fixed duration.  Each vCPU walks the
 * phases boot (first 20% of its events), login (next 30%) and work,
 * announcing each with a guest request rax = phase, rbx = 0x564d54 as
 * xensim does.
 *
 * A busy host, as xensim's guest meets it: --steps N makes boot and login
 * N events per vCPU each (fixed guest work, like a scenario's steps=);
 * --speed F runs the whole guest F times as fast, so a recording of fixed
 * length holds F times as much of the open-ended work phase; --phase-speed
 * changes each phase's pace on top (its duration, never its events).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmt/event.h"
#include "vmt/format.h"

#define LSTAR 0xffffffff81e00000ull
#define SYSCALL_GFN 0x1e00
#define MARKER_MAGIC 0x564d54

enum action { A_SYSCALL, A_SYSCALL39, A_ACCESS, A_CPUID, A_MSR, A_MSR_NEW,
	      A_PAGE_NEW, A_BREAKPOINT, A_CR, A_COUNT };

struct gen {
	uint64_t rng;
	const char *variant;
	uint32_t vcpus;
	uint64_t events;
	double rate;
	int responses;
	uint64_t steps;        /* boot and login events per vCPU; 0: 20% / 30% */
	double speed;          /* whole-run pace and share of the work phase */
	double phase_speed[3];
};

static uint64_t next(struct gen *g)
{
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 2685821657736338717ull;
}

static double uniform(struct gen *g)
{
	return (double)(next(g) >> 11) / 9007199254740992.0;
}

/* A draw in [0, n) from the high bits (xorshift64*'s low bits are weak). */
static uint64_t below(struct gen *g, uint64_t n)
{
	return (uint64_t)(uniform(g) * (double)n);
}

/* Weights per phase, as in base.wl; the variant changes one entry. */
static void weights(const struct gen *g, int phase, unsigned w[A_COUNT])
{
	static const unsigned base[3][A_COUNT] = {
		/* syscall sys39 access cpuid msr msr_new page_new bp cr */
		{400, 0, 200, 300, 100, 0, 0, 0, 50},
		{500, 60, 300, 50, 90, 0, 0, 0, 0},
		{500, 0, 300, 50, 100, 0, 0, 50, 0},
	};

	memcpy(w, base[phase], sizeof(base[phase]));
	if (!strcmp(g->variant, "syscall-2x") && phase == 1)
		w[A_SYSCALL39] = 120;
	if (!strcmp(g->variant, "new-msr") && phase == 2)
		w[A_MSR_NEW] = 30;
	if (!strcmp(g->variant, "new-page") && phase == 2)
		w[A_PAGE_NEW] = 30;
}

static enum action pick(struct gen *g, int phase)
{
	unsigned w[A_COUNT], sum = 0, r;

	weights(g, phase, w);
	for (int i = 0; i < A_COUNT; i++)
		sum += w[i];
	r = (unsigned)below(g, sum);
	for (int i = 0; i < A_COUNT; i++) {
		if (r < w[i])
			return (enum action)i;
		r -= w[i];
	}
	return A_SYSCALL;
}

static void fill(struct gen *g, struct vmt_event *ev, enum action a, int phase)
{
	static const uint32_t leaves[] = {0, 1, 7, 0xd, 0x80000000, 0x80000001};
	uint32_t reason;

	switch (a) {
	case A_SYSCALL: case A_SYSCALL39: case A_ACCESS: case A_PAGE_NEW:
		reason = VMT_REASON_MEM_ACCESS; break;
	case A_CPUID: reason = VMT_REASON_CPUID; break;
	case A_MSR: case A_MSR_NEW: reason = VMT_REASON_MOV_TO_MSR; break;
	case A_CR: reason = VMT_REASON_WRITE_CTRLREG; break;
	default: reason = VMT_REASON_SOFTWARE_BREAKPOINT; break;
	}
	vmt_event_init(ev, 7, reason);
	ev->flags = VMT_FLAG_VCPU_PAUSED;
	ev->reg[VMT_REG_MSR_LSTAR] = LSTAR;
	ev->reg[VMT_REG_CR3] = 0x4a10000;
	ev->reg[VMT_REG_RIP] = 0x400000 + (below(g, 0x80000) & ~3ull);
	ev->reg[VMT_REG_RAX] = below(g, 400);
	switch (a) {
	case A_SYSCALL: case A_SYSCALL39:
		ev->reg[VMT_REG_RIP] = LSTAR;
		ev->reg[VMT_REG_RAX] = a == A_SYSCALL39 ? 39 : below(g, 41);
		vmt_event_set_p(ev, VMT_P_MEM_ACCESS_GFN, SYSCALL_GFN);
		vmt_event_set_p(ev, VMT_P_MEM_ACCESS_FLAGS, VMT_MEM_ACCESS_X);
		break;
	case A_ACCESS: case A_PAGE_NEW:
		vmt_event_set_p(ev, VMT_P_MEM_ACCESS_GFN, a == A_PAGE_NEW ? 0x21080
				: 0x21000 + below(g, phase ? 0x40 : 0x10));
		vmt_event_set_p(ev, VMT_P_MEM_ACCESS_FLAGS,
				a == A_PAGE_NEW || below(g, 2) ? VMT_MEM_ACCESS_W : VMT_MEM_ACCESS_R);
		break;
	case A_CPUID:
		vmt_event_set_p(ev, VMT_P_CPUID_LEAF, phase == 1 ? 1 : leaves[below(g, 6)]);
		vmt_event_set_p(ev, VMT_P_CPUID_SUBLEAF, 0);
		vmt_event_set_p(ev, VMT_P_CPUID_INSN_LENGTH, 2);
		break;
	case A_MSR: case A_MSR_NEW:
		vmt_event_set_p(ev, VMT_P_MSR_MSR, a == A_MSR_NEW ? 0xc0000081
				: phase == 0 ? 0xc0000080 : 0x6e0);
		vmt_event_set_p(ev, VMT_P_MSR_NEW_VALUE, next(g));
		vmt_event_set_p(ev, VMT_P_MSR_OLD_VALUE, next(g));
		break;
	case A_CR: {
		/* CR0.TS or CR4.PGE flips, as xensim's cr action does */
		int cr4 = (int)below(g, 2);
		uint64_t old = cr4 ? 0x3406f0 : 0x80050033, bit = cr4 ? 0x80 : 0x8;

		vmt_event_set_p(ev, VMT_P_CTRLREG_INDEX, cr4 ? VMT_CR4 : VMT_CR0);
		vmt_event_set_p(ev, VMT_P_CTRLREG_OLD_VALUE, old);
		vmt_event_set_p(ev, VMT_P_CTRLREG_NEW_VALUE, old ^ bit);
		break;
	}
	default:
		vmt_event_set_p(ev, VMT_P_DEBUG_TYPE, 6);
		vmt_event_set_p(ev, VMT_P_DEBUG_INSN_LENGTH, 1);
		break;
	}
}

static void marker(struct vmt_event *ev, int phase)
{
	vmt_event_init(ev, 7, VMT_REASON_GUEST_REQUEST);
	ev->reg[VMT_REG_RAX] = (uint64_t)phase;
	ev->reg[VMT_REG_RBX] = MARKER_MAGIC;
	ev->reg[VMT_REG_MSR_LSTAR] = LSTAR;
}

static int put(struct vmt_writer *w, struct gen *g, struct vmt_event *ev,
	       uint64_t seq, uint64_t ts)
{
	uint8_t raw[VMT_ENTRY_MAX];
	int n = vmt_event_encode(ev, raw, sizeof(raw));
	int err = n < 0 ? n : vmt_writer_append(w, VMT_REC_REQUEST, 0, seq, ts, raw, (uint32_t)n);

	if (!err && g->responses)
		err = vmt_writer_append(w, VMT_REC_RESPONSE, 0, seq, ts + 20000, raw, (uint32_t)n);
	return err;
}

/* The phase of a vCPU's @done-th event; *@per_vcpu is its event count. */
static int phase_at(const struct gen *g, uint64_t done, uint64_t per_vcpu)
{
	if (!g->steps)
		return done < per_vcpu / 5 ? 0 : done < per_vcpu / 2 ? 1 : 2;
	return done < g->steps ? 0 : done < 2 * g->steps ? 1 : 2;
}

static int generate(struct vmt_writer *w, struct gen *g, uint64_t *end_ns)
{
	uint64_t *done = calloc(g->vcpus, sizeof(*done)), per_vcpu = g->events / g->vcpus;
	int *phase = calloc(g->vcpus, sizeof(*phase)), err = 0;
	double t = 0;

	if (g->steps && per_vcpu > 2 * g->steps) /* a faster guest gets further */
		per_vcpu = 2 * g->steps + (uint64_t)((double)(per_vcpu - 2 * g->steps) * g->speed);
	if (!done || !phase)
		err = -ENOMEM;
	for (uint64_t seq = 0; !err && seq < per_vcpu * g->vcpus; seq++) {
		uint32_t v = (uint32_t)(seq % g->vcpus);
		int want = phase_at(g, done[v], per_vcpu);
		struct vmt_event ev;

		t += -log(1.0 - uniform(g)) / (g->rate * g->speed * g->phase_speed[want]);
		if (!done[v] || want != phase[v]) {
			phase[v] = want;
			marker(&ev, want);
		} else {
			fill(g, &ev, pick(g, phase[v]), phase[v]);
		}
		ev.vcpu_id = v;
		done[v]++;
		err = put(w, g, &ev, seq, (uint64_t)(t * 1e9));
	}
	*end_ns = (uint64_t)(t * 1e9) + 1000;
	free(done);
	free(phase);
	return err;
}

static void info_init(struct vmt_trace_info *in, const struct gen *g,
		      const char *labels, const char *monitors)
{
	memset(in, 0, sizeof(*in));
	in->abi_version = 7;
	in->req_size = in->rsp_size = (uint32_t)vmt_abi_entry_size(7);
	in->page_size = 4096;
	in->xen_major = 4;
	in->xen_minor = 17;
	snprintf(in->host, sizeof(in->host), "gen_runs");
	in->domid = 1;
	snprintf(in->domain_name, sizeof(in->domain_name), "synthetic");
	in->vcpus = g->vcpus;
	snprintf(in->monitors, sizeof(in->monitors), "%s", monitors);
	snprintf(in->labels, sizeof(in->labels), "%s", labels);
	snprintf(in->recorder_version, sizeof(in->recorder_version), "gen_runs");
	snprintf(in->cmdline, sizeof(in->cmdline), "gen_runs variant=%s", g->variant);
	/* the UUID names the run: seed, variant, vCPUs, size and monitors */
	uint64_t h = 0xcbf29ce484222325ull ^ g->rng ^ g->events ^ ((uint64_t)g->vcpus << 40);
	for (const char *p = g->variant; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	for (const char *p = monitors; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	for (int i = 0; i < 16; i++) {
		h = (h ^ (uint64_t)i) * 0x100000001b3ull;
		in->uuid[i] = (uint8_t)(h >> 56);
	}
	in->codec = VMT_CODEC_ZSTD;
	in->level = 1;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"seed", 1, NULL, 's'}, {"events", 1, NULL, 'n'}, {"vcpus", 1, NULL, 'c'},
		{"rate", 1, NULL, 'r'}, {"variant", 1, NULL, 'v'}, {"label", 1, NULL, 'l'},
		{"monitors", 1, NULL, 'm'}, {"no-responses", 0, NULL, 'R'}, {"steps", 1, NULL, 'S'},
		{"speed", 1, NULL, 'F'}, {"phase-speed", 1, NULL, 'P'},
		{"phase-names", 1, NULL, 'N'}, {NULL, 0, NULL, 0},
	};
	struct gen g = {.variant = "base", .vcpus = 2, .events = 20000, .rate = 10000, .responses = 1,
			.speed = 1, .phase_speed = {1, 1, 1}};
	const char *labels = "test=analyze", *monitors =
		"breakpoint;cpuid;cr0;cr4;guest-request:async;mem-access:0x1e00-0x1e00:rw,0x21000-0x210ff:n;"
		"msr:0x6e0,0xc0000080,0xc0000081";
	const char *phase_names = "";
	uint64_t seed = 1, end_ns = 0;
	struct vmt_trace_info info;
	struct vmt_run_summary sum;
	struct vmt_writer *w;
	int c, err;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'n': g.events = strtoull(optarg, NULL, 0); break;
		case 'c': g.vcpus = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'r': g.rate = strtod(optarg, NULL); break;
		case 'v': g.variant = optarg; break;
		case 'l': labels = optarg; break;
		case 'm': monitors = optarg; break;
		case 'N': phase_names = optarg; break;
		case 'R': g.responses = 0; break;
		case 'S': g.steps = strtoull(optarg, NULL, 0); break;
		case 'F': g.speed = strtod(optarg, NULL); break;
		case 'P':
			if (sscanf(optarg, "%lf,%lf,%lf", &g.phase_speed[0], &g.phase_speed[1],
				   &g.phase_speed[2]) != 3)
				return 2;
			break;
		default: return 2;
		}
	}
	if (optind != argc - 1 || !g.vcpus || g.rate <= 0 || !(g.speed > 0) ||
	    !(g.phase_speed[0] > 0 && g.phase_speed[1] > 0 && g.phase_speed[2] > 0)) {
		fprintf(stderr, "usage: gen_runs OUT.vmt [--seed N] [--events N] [--vcpus N] "
			"[--rate EV/S] [--variant V] [--label K=V] [--monitors M] [--no-responses]"
			" [--steps N] [--speed F] [--phase-speed B,L,W] [--phase-names CODE=NAME;...]\n");
		return 2;
	}
	g.rng = seed * 0x9e3779b97f4a7c15ull + 0x2545f4914f6cdd1dull;
	info_init(&info, &g, labels, monitors);
	snprintf(info.phase_names, sizeof(info.phase_names), "%s", phase_names);
	err = vmt_writer_open(&w, argv[optind], &info,
			      &(struct vmt_writer_opts){.sz = sizeof(struct vmt_writer_opts),
							.level = 1, .overwrite = 1});
	if (err) {
		fprintf(stderr, "gen_runs: %s: %s\n", argv[optind], vmt_strerror(err));
		return 1;
	}
	err = generate(w, &g, &end_ns);
	memset(&sum, 0, sizeof(sum));
	sum.duration_ns = end_ns;
	if (err) {
		vmt_writer_abandon(w);
	} else {
		err = vmt_writer_close(w, &sum);
	}
	if (err) {
		fprintf(stderr, "gen_runs: %s: %s\n", argv[optind], vmt_strerror(err));
		return 1;
	}
	return 0;
}
