/*
 * bench_format.c - the trace format alone: writer and reader throughput,
 * bytes per event at several zstd levels, and an experiment with a
 * field-aware encoding of the register block.  A program that prints
 * figures, never a test (BENCHMARKS.md has the latest ones).
 *
 *   bench_format [-n EVENTS] [-v VCPUS] [-r REPS] [-d DIR] [-s SEED]
 *                [-t TRACE]   (a real trace's records instead of the
 *                              synthetic stream)
 *
 * The stream imitates what vmtrail-record writes for the xensim "mixed"
 * scenario at ABI 7: per request a REQUEST record (raw 400-byte slot), a
 * RESPONSE record (the same slot answered: mostly the same bytes), and one
 * RING_STATS record per drain batch of 1..4 requests.  Registers evolve
 * the way a guest's do between exits: rip walks code or returns to a few
 * hot sites, cr3 belongs to one of a few processes, rsp moves inside a
 * stack, rax churns, most other registers rarely change.  A stream of
 * random bytes would make zstd look useless and a stream of constants
 * would make it look magic; neither says anything about real traces.
 *
 * The stream is generated once into 1 MiB chunk buffers (the recorder's
 * chunk size) so the timings cover the format code and zstd only.
 * "Event" below always means one request (with its response and its share
 * of RING_STATS), the unit the targets are stated in.
 *
 * The transform experiment never changes the file format: it compresses
 * the same chunk buffers with zstd directly, plain and transformed, one
 * after the other in each repetition, and checks that every transform
 * inverts exactly.  Transforms: responses XOR their request, record-header
 * seq/ts deltas, and register fields XOR / minus the same vCPU's previous
 * request (alone and combined), so the register part can be judged apart.
 */
#include <getopt.h>
#include <sys/stat.h>
#include <zstd.h>          /* the experiment compresses chunks directly */

#include "bench_common.h"
#include "vmt/format.h"

#define ABI 7             /* of the generated stream */
#define MAXV 64
#define REC_HDR 24
#define REGS_AT 56         /* register block offset in every ABI version */

/* ABI of the stream: ABI when generated, the trace's with -t. */
static uint32_t abi = ABI;

/* ---------------------------------------------------------------- */
/* The synthetic guest                                                */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: fast, seeded, good enough for a workload mix */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* The processes of samples/workloads/mixed.wl, plus a kernel stack. */
struct proc {
	uint64_t cr3, code_lo, code_hi, fs_base, stack_top;
	uint64_t data_gfn_lo, data_gfn_hi;
};

static const struct proc procs[] = {
	{ 0x1c0a000, 0xffffffff81000000ull, 0xffffffff81800000ull, 0,
	  0xffffc90000004000ull, 0x2000, 0x2400 },
	{ 0x4a10000, 0x555555554000ull, 0x5555555d0000ull, 0x7f0000001740ull,
	  0x7ffffffde000ull, 0x21000, 0x21200 },
	{ 0x7c3d000, 0x555555554000ull, 0x555555640000ull, 0x7f00000a2740ull,
	  0x7ffffffee000ull, 0x25000, 0x25400 },
	{ 0xe6a0000, 0x7f1234000000ull, 0x7f1234400000ull, 0x7f1233fff740ull,
	  0x7ffc12340000ull, 0x71000, 0x72000 },
};
#define NPROC (sizeof(procs) / sizeof(procs[0]))
#define KERNEL_RIP_LO 0xffffffff81000000ull
#define KERNEL_RIP_HI 0xffffffff81800000ull
#define SYSCALL_ENTRY 0xffffffff81e00000ull
#define NHOT 12

struct vcpu {
	uint64_t reg[VMT_REG_COUNT];
	unsigned proc;
	int kernel;
	uint64_t hot[NHOT];    /* instructions that keep causing exits */
	uint64_t kstack;
};

static void set_mode(struct vcpu *c, int kernel)
{
	/* Segment units: limit in bits 0-19, access rights in bits 20-31. */
	c->kernel = kernel;
	c->reg[VMT_REG_CS_SEL] = kernel ? 0x10 : 0x33;
	c->reg[VMT_REG_SS_SEL] = kernel ? 0x18 : 0x2b;
	c->reg[VMT_REG_CS] = (kernel ? 0xa9bull : 0xafbull) << 20 | 0xfffff;
	c->reg[VMT_REG_SS] = (kernel ? 0xc93ull : 0xcf3ull) << 20 | 0xfffff;
	/* swapgs on every kernel entry and exit */
	uint64_t g = c->reg[VMT_REG_GS_BASE];
	c->reg[VMT_REG_GS_BASE] = c->reg[VMT_REG_SHADOW_GS];
	c->reg[VMT_REG_SHADOW_GS] = g;
}

static void vcpu_init(struct vcpu *c, unsigned id)
{
	memset(c, 0, sizeof(*c));
	c->proc = id % NPROC;
	c->reg[VMT_REG_CR0] = 0x80050033;
	c->reg[VMT_REG_CR3] = procs[c->proc].cr3;
	c->reg[VMT_REG_CR4] = 0x3506f0;
	c->reg[VMT_REG_DR6] = 0xffff0ff0;
	c->reg[VMT_REG_DR7] = 0x400;
	c->reg[VMT_REG_RFLAGS] = 0x246;
	c->reg[VMT_REG_MSR_EFER] = 0xd01;
	c->reg[VMT_REG_MSR_STAR] = 0x0023001000000000ull;
	c->reg[VMT_REG_MSR_LSTAR] = SYSCALL_ENTRY;
	c->reg[VMT_REG_SYSENTER_CS] = 0x10;
	c->reg[VMT_REG_SYSENTER_ESP] = 0xfffffe0000003000ull + id * 0x10000ull;
	c->reg[VMT_REG_SYSENTER_EIP] = 0xffffffff81e01680ull;
	c->reg[VMT_REG_GDTR_BASE] = 0xfffffe0000001000ull + id * 0x10000ull;
	c->reg[VMT_REG_GDTR_LIMIT] = 0x7f;
	c->reg[VMT_REG_NPT_BASE] = 0x21f3c5000ull;
	c->reg[VMT_REG_SHADOW_GS] = 0xffff88807dc00000ull + id * 0x40000ull;
	c->reg[VMT_REG_DS_SEL] = c->reg[VMT_REG_ES_SEL] = 0;
	c->reg[VMT_REG_DS] = c->reg[VMT_REG_ES] = 0xc0fffff;
	c->reg[VMT_REG_FS] = c->reg[VMT_REG_GS] = 0xc0fffff;
	c->reg[VMT_REG_FS_BASE] = procs[c->proc].fs_base;
	c->kstack = 0xffffc90000000000ull + id * 0x100000ull + 0x3f00;
	c->reg[VMT_REG_RSP] = procs[c->proc].stack_top - 0x200;
	c->reg[VMT_REG_RIP] = procs[c->proc].code_lo + 0x1000;
	for (int i = 0; i < NHOT; i++)
		c->hot[i] = i < NHOT / 2 ?
			KERNEL_RIP_LO + rnd_below(KERNEL_RIP_HI - KERNEL_RIP_LO) :
			procs[c->proc].code_lo + rnd_below(0x40000);
	set_mode(c, 0);
}

/* A value such as a guest keeps in a general-purpose register. */
static uint64_t gpr_value(const struct vcpu *c)
{
	switch (rnd_below(6)) {
	case 0: return rnd_below(512);                         /* counters, nrs */
	case 1: return 0xffff888000000000ull + (rnd_below(1 << 26) << 6); /* kernel heap */
	case 2: return 0x555555700000ull + (rnd_below(1 << 20) << 4);     /* user heap */
	case 3: return c->reg[VMT_REG_RSP] + rnd_below(256) * 8;          /* stack slot */
	case 4: return rnd() & 0xffffffff;
	default: return 0;
	}
}

/* The guest runs between two exits: registers drift. */
static void vcpu_step(struct vcpu *c)
{
	static const enum vmt_reg often[] = {
		VMT_REG_RBX, VMT_REG_RCX, VMT_REG_RDX, VMT_REG_RSI,
		VMT_REG_RDI, VMT_REG_RBP };
	static const uint64_t rflags[] = { 0x246, 0x202, 0x286, 0x206, 0x247 };

	if (rnd_below(10) < 3)
		set_mode(c, !c->kernel);
	if (rnd_below(2))
		c->reg[VMT_REG_RAX] = gpr_value(c);
	for (size_t i = 0; i < sizeof(often) / sizeof(often[0]); i++)
		if (rnd_below(100) < 35)
			c->reg[often[i]] = gpr_value(c);
	for (int r = VMT_REG_R8; r <= VMT_REG_R15; r++)
		if (rnd_below(100) < 12)
			c->reg[r] = gpr_value(c);
	if (rnd_below(10) < 3)
		c->reg[VMT_REG_RFLAGS] = rflags[rnd_below(5)];
	if (rnd_below(100) < 5)
		c->reg[VMT_REG_CR2] = procs[c->proc].code_lo + (rnd_below(1 << 20) << 12);

	uint64_t lo = c->kernel ? KERNEL_RIP_LO : procs[c->proc].code_lo;
	uint64_t hi = c->kernel ? KERNEL_RIP_HI : procs[c->proc].code_hi;
	uint64_t rip = c->reg[VMT_REG_RIP], roll = rnd_below(100);
	if (rip < lo || rip >= hi || roll < 15)
		rip = lo + rnd_below(hi - lo);                   /* far jump */
	else if (roll < 40)
		rip = c->hot[(c->kernel ? 0 : NHOT / 2) + rnd_below(NHOT / 2)];
	else
		rip += 1 + rnd_below(48);                        /* walks on */
	c->reg[VMT_REG_RIP] = rip;

	uint64_t top = c->kernel ? c->kstack : procs[c->proc].stack_top;
	uint64_t rsp = c->reg[VMT_REG_RSP];
	if (rsp > top || rsp < top - 0x4000)
		rsp = top - 0x100 - rnd_below(64) * 8;
	else if (rnd_below(10) < 7)
		rsp += (rnd_below(65) - 32) * 8;
	c->reg[VMT_REG_RSP] = rsp;
}

/* The mix of mixed.wl as the recorder's default monitors see it, plus
 * page accesses: weights out of 100. */
static uint32_t pick_reason(void)
{
	uint64_t r = rnd_below(100);

	if (r < 40) return VMT_REASON_MEM_ACCESS;
	if (r < 60) return VMT_REASON_WRITE_CTRLREG;
	if (r < 75) return VMT_REASON_CPUID;
	if (r < 88) return VMT_REASON_MOV_TO_MSR;
	if (r < 93) return VMT_REASON_SOFTWARE_BREAKPOINT;
	if (r < 96) return VMT_REASON_DESCRIPTOR_ACCESS;
	return VMT_REASON_GUEST_REQUEST;
}

static void must(int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "bench_format: %s: %s\n", what, vmt_strerror(rc));
		exit(1);
	}
}

/* One request of vCPU @id laid out in @raw; the guest state moves on. */
static void make_request(struct vcpu *c, uint32_t id, uint8_t *raw)
{
	static const uint64_t msrs[] = { 0xc0000080, 0xc0000082, 0x6e0,
					 0xc0000100, 0xc0000102 };
	static const uint32_t leaves[] = { 0, 1, 7, 0xd, 0x80000000, 0x80000001,
					   0x80000008 };
	struct vmt_event ev;
	uint32_t reason = pick_reason();
	unsigned next_proc = c->proc;

	vcpu_step(c);
	vmt_event_init(&ev, ABI, reason);
	ev.vcpu_id = id;
	ev.flags = VMT_FLAG_VCPU_PAUSED;
	switch (reason) {
	case VMT_REASON_MEM_ACCESS: {
		const struct proc *p = &procs[c->proc];
		uint64_t gfn = p->data_gfn_lo + rnd_below(p->data_gfn_hi - p->data_gfn_lo);
		uint64_t off = rnd_below(512) * 8;
		must(vmt_event_set_p(&ev, VMT_P_MEM_ACCESS_GFN, gfn), "gfn");
		must(vmt_event_set_p(&ev, VMT_P_MEM_ACCESS_OFFSET, off), "off");
		must(vmt_event_set_p(&ev, VMT_P_MEM_ACCESS_GLA,
				     p->code_hi + (gfn << 12) + off), "gla");
		must(vmt_event_set_p(&ev, VMT_P_MEM_ACCESS_FLAGS,
				     (rnd_below(2) ? VMT_MEM_ACCESS_R : VMT_MEM_ACCESS_W) |
				     VMT_MEM_ACCESS_GLA_VALID), "flags");
		break;
	}
	case VMT_REASON_WRITE_CTRLREG:
		/* a context switch: async cr3 monitor, the vCPU runs on */
		next_proc = (unsigned)rnd_below(NPROC);
		ev.flags = 0;
		must(vmt_event_set_p(&ev, VMT_P_CTRLREG_INDEX, VMT_CR3), "index");
		must(vmt_event_set_p(&ev, VMT_P_CTRLREG_NEW_VALUE,
				     procs[next_proc].cr3), "new");
		must(vmt_event_set_p(&ev, VMT_P_CTRLREG_OLD_VALUE,
				     c->reg[VMT_REG_CR3]), "old");
		break;
	case VMT_REASON_CPUID: {
		uint32_t leaf = leaves[rnd_below(7)];
		c->reg[VMT_REG_RAX] = leaf;
		c->reg[VMT_REG_RCX] = rnd_below(2);
		must(vmt_event_set_p(&ev, VMT_P_CPUID_INSN_LENGTH, 2), "len");
		must(vmt_event_set_p(&ev, VMT_P_CPUID_LEAF, leaf), "leaf");
		must(vmt_event_set_p(&ev, VMT_P_CPUID_SUBLEAF,
				     c->reg[VMT_REG_RCX]), "subleaf");
		break;
	}
	case VMT_REASON_MOV_TO_MSR: {
		uint64_t msr = msrs[rnd_below(5)], val = gpr_value(c);
		c->reg[VMT_REG_RCX] = msr;
		c->reg[VMT_REG_RAX] = val & 0xffffffff;
		c->reg[VMT_REG_RDX] = val >> 32;
		must(vmt_event_set_p(&ev, VMT_P_MSR_MSR, msr), "msr");
		must(vmt_event_set_p(&ev, VMT_P_MSR_NEW_VALUE, val), "new");
		must(vmt_event_set_p(&ev, VMT_P_MSR_OLD_VALUE, gpr_value(c)), "old");
		break;
	}
	case VMT_REASON_SOFTWARE_BREAKPOINT:
		must(vmt_event_set_p(&ev, VMT_P_DEBUG_GFN,
				     c->reg[VMT_REG_RIP] >> 12 & 0x3ffff), "gfn");
		must(vmt_event_set_p(&ev, VMT_P_DEBUG_INSN_LENGTH, 1), "len");
		must(vmt_event_set_p(&ev, VMT_P_DEBUG_TYPE, 6), "type");
		break;
	case VMT_REASON_DESCRIPTOR_ACCESS:
		must(vmt_event_set_p(&ev, VMT_P_DESC_INSTR_INFO, 0x1000), "info");
		must(vmt_event_set_p(&ev, VMT_P_DESC_EXIT_QUALIFICATION, 0), "qual");
		must(vmt_event_set_p(&ev, VMT_P_DESC_DESCRIPTOR, 1), "desc");
		must(vmt_event_set_p(&ev, VMT_P_DESC_IS_WRITE, 0), "write");
		break;
	default:
		/* guest request: a phase marker, async */
		ev.flags = 0;
		c->reg[VMT_REG_RAX] = 1;
		c->reg[VMT_REG_RBX] = 0x564d54;
		break;
	}
	memcpy(ev.reg, c->reg, sizeof(ev.reg));
	must(vmt_event_encode(&ev, raw, VMT_ENTRY_MAX), "encode");
	if (next_proc != c->proc) {
		c->proc = next_proc;
		c->reg[VMT_REG_CR3] = procs[next_proc].cr3;
		c->reg[VMT_REG_FS_BASE] = procs[next_proc].fs_base;
	}
}

static int rip_off = -1;

/* The recorder's default policy on the raw slot (record/README.md). */
static void make_response(const uint8_t *req, uint8_t *rsp, size_t esz)
{
	uint32_t flags = (uint32_t)bench_get_le(req + 4, 4) & VMT_FLAG_VCPU_PAUSED;
	uint32_t reason = (uint32_t)bench_get_le(req + 8, 4);

	memcpy(rsp, req, esz);
	if (reason == VMT_REASON_MEM_ACCESS)
		flags |= VMT_FLAG_EMULATE;
	if (reason == VMT_REASON_CPUID) {
		flags |= VMT_FLAG_SET_REGISTERS;
		bench_put_le(rsp + rip_off, 8, bench_get_le(req + rip_off, 8) + 2);
	}
	bench_put_le(rsp + 4, 4, flags);
}

struct stream {
	struct vmt_chunkbuf *chunk;
	size_t nchunks, cap;
	uint64_t events, records, ubytes;
};

static struct vmt_chunkbuf *new_chunk(struct stream *s)
{
	if (s->nchunks == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->chunk = realloc(s->chunk, s->cap * sizeof(*s->chunk));
		if (!s->chunk)
			exit(1);
	}
	struct vmt_chunkbuf *c = &s->chunk[s->nchunks++];
	must(vmt_chunkbuf_init(c, VMT_CHUNK_DEFAULT), "chunkbuf");
	return c;
}

static void add(struct stream *s, uint16_t type, uint64_t seq, uint64_t ts,
		const void *data, uint32_t size)
{
	struct vmt_chunkbuf *c = &s->chunk[s->nchunks - 1];

	if (vmt_chunkbuf_append(c, type, 0, seq, ts, data, size)) {
		c = new_chunk(s);
		must(vmt_chunkbuf_append(c, type, 0, seq, ts, data, size), "append");
	}
	s->records++;
}

static void generate(struct stream *s, uint64_t nevents, unsigned nvcpus)
{
	static struct vcpu vc[MAXV];
	uint8_t req[VMT_ENTRY_MAX], rsp[VMT_ENTRY_MAX];
	size_t esz = vmt_abi_entry_size(ABI);
	uint64_t seq = 0, ts = 1000000;
	unsigned w;

	rip_off = vmt_abi_reg_offset(ABI, VMT_REG_RIP, &w);
	for (unsigned i = 0; i < nvcpus; i++)
		vcpu_init(&vc[i], i);
	new_chunk(s);
	while (seq < nevents) {
		unsigned batch = 1 + (unsigned)rnd_below(4);
		uint64_t t_first = ts;

		for (unsigned b = 0; b < batch && seq < nevents; b++, seq++) {
			uint32_t id = (uint32_t)rnd_below(nvcpus);
			make_request(&vc[id], id, req);
			make_response(req, rsp, esz);
			add(s, VMT_REC_REQUEST, seq, ts, req, (uint32_t)esz);
			add(s, VMT_REC_RESPONSE, seq, ts + 60 + rnd_below(200),
			    rsp, (uint32_t)esz);
			ts += 300 + rnd_below(700);
		}
		struct vmt_ring_stats st = {
			.occupancy = batch, .handled = batch,
			.batch_ns = ts - t_first, .backpressure_ns = 0 };
		uint8_t buf[VMT_RING_STATS_SIZE];
		vmt_ring_stats_put(buf, &st);
		add(s, VMT_REC_RING_STATS, seq, ts, buf, sizeof(buf));
		ts += 1000 + rnd_below(20000);       /* the ring idles */
	}
	s->events = seq;
	for (size_t i = 0; i < s->nchunks; i++)
		s->ubytes += s->chunk[i].len;
}

/* -t: the records of a real trace (a recording of xensim, say), packed
 * into 1 MiB chunks again, instead of the synthetic stream. */
static void load_trace(struct stream *s, const char *path, unsigned *nvcpus)
{
	struct vmt_reader *r;
	struct vmt_record rec;
	int rc;

	must(vmt_reader_open(&r, path, NULL), path);
	abi = vmt_reader_info(r)->abi_version;
	*nvcpus = vmt_reader_info(r)->vcpus;
	new_chunk(s);
	while ((rc = vmt_reader_next(r, &rec)) == 1) {
		add(s, rec.type, rec.seq, rec.ts_ns, rec.data, rec.size);
		s->events += rec.type == VMT_REC_REQUEST;
	}
	must(rc, path);
	vmt_reader_close(r);
	for (size_t i = 0; i < s->nchunks; i++)
		s->ubytes += s->chunk[i].len;
}

/* ---------------------------------------------------------------- */
/* Writer and reader through the library                              */

static void trace_info(struct vmt_trace_info *ti, unsigned nvcpus)
{
	memset(ti, 0, sizeof(*ti));
	ti->abi_version = abi;
	ti->req_size = ti->rsp_size = (uint32_t)vmt_abi_entry_size(abi);
	ti->page_size = VMT_RING_PAGE;
	ti->xen_major = 4;
	ti->xen_minor = 17;
	ti->domid = 1;
	ti->vcpus = nvcpus;
	snprintf(ti->host, sizeof(ti->host), "bench");
	snprintf(ti->domain_name, sizeof(ti->domain_name), "guest-1");
	snprintf(ti->monitors, sizeof(ti->monitors),
		 "breakpoint;cpuid;cr3:async,onchange;desc-access;"
		 "guest-request:async;mem-access:0x2000-0x72000:x;"
		 "msr:0x6e0,0xc0000080,0xc0000082,0xc0000100,0xc0000102");
	snprintf(ti->recorder_version, sizeof(ti->recorder_version), "bench_format");
}

/* Write every chunk into @path at @level; return CPU seconds (user + sys,
 * so the write() calls count), wall seconds in @wall, file size in @bytes. */
static double write_trace(const struct stream *s, const char *path, int level,
			  unsigned nvcpus, uint64_t *bytes, double *wall)
{
	static struct vmt_trace_info ti;
	VMT_OPTS(vmt_writer_opts, o, .level = level, .overwrite = 1);
	struct vmt_writer *w;
	struct stat st;

	trace_info(&ti, nvcpus);
	/* level 0 in the options means "the writer's default" */
	double t0 = bench_now(), c0 = bench_proc_cpu();
	must(vmt_writer_open(&w, path, &ti, &o), path);
	for (size_t i = 0; i < s->nchunks; i++)
		must(vmt_writer_put_chunk(w, &s->chunk[i]), "put_chunk");
	must(vmt_writer_close(w, NULL), "close");
	*wall = bench_now() - t0;
	*bytes = stat(path, &st) ? 0 : (uint64_t)st.st_size;
	return bench_proc_cpu() - c0;
}

/* Iterate (and optionally decode) every record; CPU seconds, wall in @wall. */
static double read_trace(const char *path, int decode, uint64_t *nrec,
			 uint64_t *sink, double *wall)
{
	struct vmt_reader *r;
	struct vmt_record rec;
	struct vmt_event ev;
	int rc;

	double t0 = bench_now(), c0 = bench_proc_cpu();
	must(vmt_reader_open(&r, path, NULL), path);
	*nrec = 0;
	while ((rc = vmt_reader_next(r, &rec)) == 1) {
		(*nrec)++;
		if (decode && (rec.type == VMT_REC_REQUEST ||
			       rec.type == VMT_REC_RESPONSE)) {
			must(vmt_event_decode(rec.data, rec.size, &ev), "decode");
			*sink += ev.reg[VMT_REG_RIP];
		}
	}
	must(rc, "next");
	vmt_reader_close(r);
	*wall = bench_now() - t0;
	return bench_proc_cpu() - c0;
}

/* ---------------------------------------------------------------- */
/* The transform experiment                                           */

/* Each encoding is a set of transforms applied before zstd. */
enum { T_RSP = 1, T_HDR = 2, T_RXOR = 4, T_RDELTA = 8 };
enum variant { V_PLAIN, V_RXOR, V_RDELTA, V_RSP, V_RSP_HDR, V_ALL_XOR,
	       V_ALL_DELTA, V_COUNT };
static const unsigned vflags[V_COUNT] = {
	0, T_RXOR, T_RDELTA, T_RSP, T_RSP | T_HDR, T_RSP | T_HDR | T_RXOR,
	T_RSP | T_HDR | T_RDELTA,
};
static const char *const vname[V_COUNT] = {
	"plain zstd",
	"regs xor",
	"regs delta",
	"rsp^req",
	"rsp^req + hdr delta",
	"rsp^req + hdr delta + regs xor",
	"rsp^req + hdr delta + regs delta",
};
static const char *const tname[4] = {
	"`rsp^req`: a RESPONSE payload XOR its REQUEST's (same seq; answered "
	"slots differ from the request in a few flag and register bytes)",
	"`hdr delta`: each record header's seq and ts as differences from the "
	"previous record's",
	"`regs xor`: each register field (per the ABI table) XOR the same field "
	"of the previous REQUEST of the same vCPU in the chunk",
	"`regs delta`: the same, subtracting (mod 2^width) instead of XOR",
};

struct field { unsigned off, width; };
static struct field fields[VMT_REG_COUNT];
static unsigned nfields;

static void fields_init(void)
{
	for (int r = 0; r < VMT_REG_COUNT; r++) {
		unsigned w;
		int off = vmt_abi_reg_offset(abi, (enum vmt_reg)r, &w);
		if (off >= REGS_AT && (w == 2 || w == 4 || w == 8))
			fields[nfields++] = (struct field){ (unsigned)off, w };
	}
}

static inline uint64_t combine(uint64_t a, uint64_t b, int xor, int inverse,
			       unsigned width)
{
	uint64_t v = xor ? a ^ b : inverse ? a + b : a - b;
	return width == 8 ? v : v & ((1ull << (8 * width)) - 1);
}

/*
 * Transform one chunk payload @in into @out (same length), or undo it
 * (@inverse).  State is per chunk, so chunks stay independent as the
 * format requires.  The vCPU id (bytes 12-15) is never transformed: the
 * inverse needs it to find the previous request.
 */
static void xform(enum variant v, const uint8_t *in, uint8_t *out, size_t len,
		  size_t esz, int inverse)
{
	static uint8_t last[MAXV][VMT_ENTRY_MAX];
	unsigned t = vflags[v];
	uint64_t have = 0, prev_seq = 0, prev_ts = 0, req_seq = 0;
	const uint8_t *req = NULL;   /* the last REQUEST, untransformed */
	size_t off = 0;

	while (off + REC_HDR <= len) {
		const uint8_t *h = in + off;
		uint8_t *o = out + off;
		uint16_t type = (uint16_t)bench_get_le(h, 2);
		uint32_t size = (uint32_t)bench_get_le(h + 4, 4);
		size_t span = REC_HDR + ((size + 7u) & ~7u);
		uint64_t seq = bench_get_le(h + 8, 8);

		if (off + span > len)
			span = len - off;
		memcpy(o, h, span);
		if (t & T_HDR) {
			uint64_t ts = bench_get_le(h + 16, 8);
			if (inverse) {
				seq += prev_seq;
				ts += prev_ts;
				bench_put_le(o + 8, 8, seq);
				bench_put_le(o + 16, 8, ts);
			} else {
				bench_put_le(o + 8, 8, seq - prev_seq);
				bench_put_le(o + 16, 8, ts - prev_ts);
			}
			prev_seq = seq;
			prev_ts = ts;
		}
		const uint8_t *src = h + REC_HDR;
		uint8_t *dst = o + REC_HDR;
		const uint8_t *orig = inverse ? dst : src;
		if (type == VMT_REC_REQUEST && size == esz) {
			uint32_t id = (uint32_t)bench_get_le(src + 12, 4);
			if ((t & (T_RXOR | T_RDELTA)) && id < MAXV && (have >> id & 1)) {
				for (unsigned f = 0; f < nfields; f++) {
					unsigned fo = fields[f].off, fw = fields[f].width;
					bench_put_le(dst + fo, fw, combine(
						bench_get_le(src + fo, fw),
						bench_get_le(last[id] + fo, fw),
						t & T_RXOR, inverse, fw));
				}
			}
			if (id < MAXV) {
				memcpy(last[id], orig, esz);
				have |= 1ull << id;
			}
			req = orig;
			req_seq = seq;
		} else if (type == VMT_REC_RESPONSE && (t & T_RSP) && req &&
			   seq == req_seq && size == esz) {
			for (size_t i = 0; i < esz; i++)
				dst[i] = src[i] ^ req[i];
		}
		off += span;
	}
}

struct xresult { double csec, dsec; uint64_t cbytes; };

/* Compress every chunk (after the transform), then decompress and undo;
 * @check compares the result with the original. */
static int run_variant(const struct stream *s, enum variant v, int level,
		       ZSTD_CCtx *cc, ZSTD_DCtx *dc, uint8_t *tbuf, uint8_t *zbuf,
		       size_t zcap, uint8_t *back, int check, struct xresult *res)
{
	size_t esz = vmt_abi_entry_size(abi);
	double c0 = bench_thread_cpu(), csum = 0, dsum = 0;

	memset(res, 0, sizeof(*res));
	for (size_t i = 0; i < s->nchunks; i++) {
		const struct vmt_chunkbuf *c = &s->chunk[i];
		const uint8_t *src = c->buf;

		c0 = bench_thread_cpu();
		if (v != V_PLAIN) {
			xform(v, c->buf, tbuf, c->len, esz, 0);
			src = tbuf;
		}
		size_t n = ZSTD_compressCCtx(cc, zbuf, zcap, src, c->len, level);
		csum += bench_thread_cpu() - c0;
		if (ZSTD_isError(n)) {
			fprintf(stderr, "zstd: %s\n", ZSTD_getErrorName(n));
			return -1;
		}
		res->cbytes += n + 64;  /* + the chunk header the file adds */

		c0 = bench_thread_cpu();
		size_t u = ZSTD_decompressDCtx(dc, v == V_PLAIN ? back : tbuf,
					       c->len, zbuf, n);
		if (v != V_PLAIN)
			xform(v, tbuf, back, c->len, esz, 1);
		dsum += bench_thread_cpu() - c0;
		if (u != c->len || (check && memcmp(back, c->buf, c->len))) {
			fprintf(stderr, "bench_format: %s does not invert (chunk %zu)\n",
				vname[v], i);
			return -1;
		}
	}
	res->csec = csum;
	res->dsec = dsum;
	return 0;
}

/* ---------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: bench_format [-n EVENTS] [-v VCPUS] [-r REPS] "
		"[-d DIR] [-s SEED] [-t TRACE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const int levels[] = { -3, 1, 3, 0 };   /* 0: writer default */
	static const int xlevels[] = { -3, 1, 3 };
	enum { NL = 4, NXL = 3, MAXREP = 16 };
	uint64_t nevents = 200000, seed = 1;
	unsigned nvcpus = 4, reps = 3;
	const char *dir = "/tmp", *trace = NULL;
	char path[512];
	int opt;

	while ((opt = getopt(argc, argv, "n:v:r:d:s:t:")) != -1) {
		switch (opt) {
		case 'n': nevents = strtoull(optarg, NULL, 0); break;
		case 'v': nvcpus = (unsigned)atoi(optarg); break;
		case 'r': reps = (unsigned)atoi(optarg); break;
		case 'd': dir = optarg; break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 't': trace = optarg; break;
		default: usage();
		}
	}
	if (!nevents || !nvcpus || nvcpus > MAXV || !reps || reps > MAXREP)
		usage();
	rng_state = seed * 0x9E3779B97F4A7C15ull | 1;
	snprintf(path, sizeof(path), "%s/bench_format.%d.vmt", dir, (int)getpid());
	bench_preamble(argc, argv);

	struct stream s = { 0 };
	double g0 = bench_now();
	if (trace)
		load_trace(&s, trace, &nvcpus);
	else
		generate(&s, nevents, nvcpus);
	if (!s.events) {
		fprintf(stderr, "bench_format: no requests in the stream\n");
		return 1;
	}
	printf("# stream: %s: %llu events (%u vCPUs, ABI %u), %llu records, "
	       "%.1f MiB uncompressed in %zu chunks of 1 MiB; %.1f B/event "
	       "uncompressed; %s in %.2f s\n",
	       trace ? trace : "synthetic, mixed reasons",
	       (unsigned long long)s.events, nvcpus, abi,
	       (unsigned long long)s.records, (double)s.ubytes / (1 << 20),
	       s.nchunks, (double)s.ubytes / (double)s.events,
	       trace ? "loaded" : "generated", bench_now() - g0);
	printf("# event = one request with its response and its share of RING_STATS; "
	       "rates from CPU time (user + sys) unless marked wall; median of %u "
	       "repetitions, configurations alternated inside each repetition\n\n",
	       reps);

	/* 1. the writer, one level after the other in each repetition */
	double wt[NL][MAXREP], ww[NL][MAXREP];
	uint64_t wbytes[NL] = { 0 };
	for (unsigned r = 0; r < reps; r++)
		for (int l = 0; l < NL; l++)
			wt[l][r] = write_trace(&s, path, levels[l], nvcpus,
					       &wbytes[l], &ww[l][r]);

	printf("## Writer (vmt_writer_put_chunk of 1 MiB chunks, file in %s)\n\n", dir);
	printf("| zstd level | records/s | events/s | MB/s in (uncompressed) | "
	       "MB/s wall | bytes/event | ratio |\n");
	printf("|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int l = 0; l < NL; l++) {
		double t = bench_median(wt[l], reps), w = bench_median(ww[l], reps);
		char name[32];
		if (levels[l])
			snprintf(name, sizeof(name), "%d", levels[l]);
		else
			snprintf(name, sizeof(name), "default (3)");
		printf("| %s | %.2f M | %.2f M | %.0f | %.0f | %.1f | %.1fx |\n", name,
		       (double)s.records / t / 1e6, (double)s.events / t / 1e6,
		       (double)s.ubytes / t / 1e6, (double)s.ubytes / w / 1e6,
		       (double)wbytes[l] / (double)s.events,
		       (double)s.ubytes / (double)wbytes[l]);
	}

	/* 2. the reader, on the default-level file */
	uint64_t nrec = 0, sink = 0;
	double rt[2][MAXREP], rw[2][MAXREP], dummy;
	write_trace(&s, path, 0, nvcpus, &wbytes[0], &dummy);
	for (unsigned r = 0; r < reps; r++) {
		rt[0][r] = read_trace(path, 0, &nrec, &sink, &rw[0][r]);
		rt[1][r] = read_trace(path, 1, &nrec, &sink, &rw[1][r]);
	}
	if (nrec != s.records) {
		fprintf(stderr, "bench_format: read %llu records, wrote %llu\n",
			(unsigned long long)nrec, (unsigned long long)s.records);
		return 1;
	}
	printf("\n## Reader (vmt_reader_next over the default-level file)\n\n");
	printf("| pass | records/s | events/s | MB/s out (uncompressed) | MB/s wall |\n");
	printf("|---|---:|---:|---:|---:|\n");
	for (int p = 0; p < 2; p++) {
		double t = bench_median(rt[p], reps), w = bench_median(rw[p], reps);
		printf("| %s | %.2f M | %.2f M | %.0f | %.0f |\n",
		       p ? "iterate + vmt_event_decode (requests and responses)" :
			   "iterate (open, verify, decompress)",
		       (double)s.records / t / 1e6, (double)s.events / t / 1e6,
		       (double)s.ubytes / t / 1e6, (double)s.ubytes / w / 1e6);
	}
	unlink(path);

	/* 3. the transform experiment */
	fields_init();
	size_t zcap = ZSTD_compressBound(VMT_CHUNK_DEFAULT);
	uint8_t *tbuf = malloc(VMT_CHUNK_DEFAULT), *zbuf = malloc(zcap),
		*back = malloc(VMT_CHUNK_DEFAULT);
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	if (!tbuf || !zbuf || !back || !cc || !dc)
		return 1;
	static struct xresult xr[NXL][V_COUNT][MAXREP];
	for (unsigned r = 0; r < reps; r++)
		for (int l = 0; l < NXL; l++)
			for (int v = 0; v < V_COUNT; v++)
				if (run_variant(&s, (enum variant)v, xlevels[l], cc, dc,
						tbuf, zbuf, zcap, back, r == 0,
						&xr[l][v][r]))
					return 1;
	printf("\n## Field-aware encoding of the register block (experiment, "
	       "format unchanged)\n\n");
	printf("Same chunks, zstd called directly; bytes/event include the 64-byte "
	       "chunk headers. Speeds are thread CPU time of transform + zstd "
	       "(MB of uncompressed chunk per second). Every transform was checked "
	       "to invert exactly.\n\n");
	for (int i = 0; i < 4; i++)
		printf("- %s\n", tname[i]);
	printf("\n| level | encoding | bytes/event | vs plain | compress MB/s | "
	       "decompress MB/s |\n|---:|---|---:|---:|---:|---:|\n");
	for (int l = 0; l < NXL; l++) {
		double plain = 0;
		for (int v = 0; v < V_COUNT; v++) {
			double cs[MAXREP], ds[MAXREP];
			for (unsigned r = 0; r < reps; r++) {
				cs[r] = xr[l][v][r].csec;
				ds[r] = xr[l][v][r].dsec;
			}
			double bpe = (double)xr[l][v][0].cbytes / (double)s.events;
			if (v == V_PLAIN)
				plain = bpe;
			printf("| %d | %s | %.1f | %+.1f%% | %.0f | %.0f |\n",
			       xlevels[l], vname[v], bpe, (bpe / plain - 1) * 100,
			       (double)s.ubytes / bench_median(cs, reps) / 1e6,
			       (double)s.ubytes / bench_median(ds, reps) / 1e6);
		}
	}
	char load[96];
	bench_loadavg(load, sizeof(load));
	printf("\n# load average at end: %s\n", load);
	ZSTD_freeCCtx(cc);
	ZSTD_freeDCtx(dc);
	free(tbuf);
	free(zbuf);
	free(back);
	for (size_t i = 0; i < s.nchunks; i++)
		vmt_chunkbuf_free(&s.chunk[i]);
	free(s.chunk);
	return sink == 42;
}
