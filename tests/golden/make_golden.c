/*
 * make_golden.c - generates the golden traces of tests/golden/ ONCE, with
 * their expected dumps.  Not run by the suite, and it refuses to replace
 * a file: golden files are frozen, only new ones are added (style.md 17).
 *
 *   make_golden DIR      writes DIR/valid/... and DIR/invalid/...
 *
 * The traces are built through the public writer and vmt_event_encode();
 * the invalid ones are valid traces with one documented defect each.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format_int.h"
#include "golden_dump.h"

static const char *dir;

static const char *gpath(const char *sub, const char *name, const char *ext)
{
	static char p[1024];

	snprintf(p, sizeof(p), "%s/%s/%s%s", dir, sub, name, ext);
	return p;
}

/* Frozen files stay: only names that do not exist yet are written. */
static int exists(const char *path)
{
	if (access(path, F_OK) != 0)
		return 0;
	printf("kept %s\n", path);
	return 1;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "make_golden: %s: %s\n", what, vmt_strerror(err));
	exit(1);
}

static void info_for(struct vmt_trace_info *i, uint32_t abi)
{
	memset(i, 0, sizeof(*i));
	i->abi_version = abi;
	i->req_size = i->rsp_size = (uint32_t)vmt_abi_entry_size(abi);
	i->page_size = 4096;
	i->xen_major = 4;
	/* the first release that speaks @abi, so the header is plausible */
	for (i->xen_minor = 6; i->xen_minor < 30; i->xen_minor++)
		if (vmt_abi_from_xen(4, i->xen_minor) == (int)abi)
			break;
	strcpy(i->xen_extra, ".0-golden");
	strcpy(i->host, "golden-host");
	i->domid = 3;
	strcpy(i->domain_name, "golden-guest");
	i->vcpus = 2;
	strcpy(i->monitors, "mem_access:rw;write_ctrlreg:cr3;mov_to_msr;singlestep;cpuid");
	i->clock_mono_ns = 5000000000ull;
	i->clock_wall_ns = 1760000000000000000ull;
	strcpy(i->recorder_version, "0.1.0");
	strcpy(i->cmdline, "vmtrail-record --domain golden-guest -o golden.vmt");
	for (int k = 0; k < 16; k++)
		i->uuid[k] = (uint8_t)(abi * 16 + k);
	strcpy(i->labels, "scenario=golden;abi=x");
	i->labels[strlen(i->labels) - 1] = (char)('0' + abi);
}

static const uint32_t reasons[] = {
	VMT_REASON_MEM_ACCESS, VMT_REASON_WRITE_CTRLREG, VMT_REASON_MOV_TO_MSR,
	VMT_REASON_SOFTWARE_BREAKPOINT, VMT_REASON_SINGLESTEP, VMT_REASON_GUEST_REQUEST,
	VMT_REASON_DEBUG_EXCEPTION, VMT_REASON_CPUID, VMT_REASON_INTERRUPT,
	VMT_REASON_DESCRIPTOR_ACCESS, VMT_REASON_IO_INSTRUCTION, 99,
};
#define NREASONS (sizeof(reasons) / sizeof(reasons[0]))

/* Event @i: every register and every payload field its version carries. */
static int make_event(uint32_t abi, unsigned i, int response, uint8_t *raw)
{
	struct vmt_event ev;

	vmt_event_init(&ev, abi, reasons[i % NREASONS]);
	ev.vcpu_id = i % 2;
	ev.flags = response ? VMT_FLAG_VCPU_PAUSED : VMT_FLAG_VCPU_PAUSED | (i == 3 ? VMT_FLAG_ALTERNATE_P2M : 0);
	ev.altp2m_idx = i == 3 ? 2 : 0;
	for (int r = 0; r < VMT_REG_COUNT; r++)
		ev.reg[r] = 0x1000ull * (uint64_t)(r + 1) + i;
	for (int f = 0; f < VMT_P_COUNT; f++)
		vmt_event_set_p(&ev, (enum vmt_pfield)f, 0x100ull * (uint64_t)(f + 1) + i);
	for (int k = 0; k < 32; k++)
		ev.raw_u[k] = (uint8_t)(k + i);
	return vmt_event_encode(&ev, raw, VMT_ENTRY_MAX);
}

static void put(struct vmt_writer *w, uint16_t type, uint64_t seq, uint64_t ts,
		const void *data, uint32_t size)
{
	int err = vmt_writer_append(w, type, 0, seq, ts, data, size);

	if (err)
		die("append", err);
}

/* The record stream every golden trace shares, in one ABI version. */
static void write_stream(struct vmt_writer *w, uint32_t abi, unsigned nev)
{
	uint8_t raw[VMT_ENTRY_MAX], b[VMT_RING_STATS_SIZE];
	struct vmt_loss loss = { 40, 3, VMT_LOSS_RING_FAULT };

	put(w, VMT_REC_NOTE, 0, 0, "recorder started", 16);
	for (unsigned i = 0; i < nev; i++) {
		uint64_t ts = 1000ull * i + 7;
		int n = make_event(abi, i, 0, raw);

		if (n < 0)
			die("encode", n);
		put(w, VMT_REC_REQUEST, i, ts, raw, (uint32_t)n);
		n = make_event(abi, i, 1, raw);
		put(w, VMT_REC_RESPONSE, i, ts + 300, raw, (uint32_t)n);
		if (i % 4 == 3) {
			struct vmt_ring_stats s = { 4, 4, 900 + i, i == 7 ? 5000 : 0 };

			vmt_ring_stats_put(b, &s);
			put(w, VMT_REC_RING_STATS, i + 1, ts + 400, b, sizeof(b));
		}
		if (i == 5)
			put(w, VMT_REC_MARKER, i + 1, ts + 500, "phase two", 9);
	}
	vmt_loss_put(b, &loss);
	put(w, VMT_REC_LOSS, nev, 1000ull * nev, b, VMT_LOSS_SIZE);
}

static void write_trace_info(const char *path, const struct vmt_trace_info *info,
			     uint32_t codec, unsigned nev, int finish)
{
	struct vmt_run_summary s = { .duration_ns = 1000ull * nev + 999, .end_cause = VMT_END_LIMIT };
	struct vmt_writer *w;
	int err;

	VMT_OPTS(vmt_writer_opts, o, .codec = codec, .level = 3, .chunk_size = 4096);
	err = vmt_writer_open(&w, path, info, &o);
	if (err)
		die(path, err);
	write_stream(w, info->abi_version, nev);
	if (!finish) {
		if ((err = vmt_writer_flush(w)))
			die("flush", err);
		vmt_writer_abandon(w);
		return;
	}
	if ((err = vmt_writer_close(w, &s)))
		die("close", err);
}

static void write_trace(const char *path, uint32_t abi, uint32_t codec, unsigned nev,
			int finish)
{
	struct vmt_trace_info info;

	info_for(&info, abi);
	write_trace_info(path, &info, codec, nev, finish);
}

static void write_expected(const char *vmt, const char *exp, int valid)
{
	FILE *f = fopen(exp, "wx");
	int err;

	if (!f)
		die(exp, -errno);
	if (valid) {
		err = golden_dump(vmt, f);
		if (err)
			die(vmt, err);
	} else {
		golden_errors(vmt, f);
	}
	fclose(f);
}

static void valid(const char *name, uint32_t abi, uint32_t codec, unsigned nev, int finish)
{
	char vmt[1024];

	snprintf(vmt, sizeof(vmt), "%s", gpath("valid", name, ".vmt"));
	if (exists(vmt))
		return;
	write_trace(vmt, abi, codec, nev, finish);
	write_expected(vmt, gpath("valid", name, ".expected"), 1);
}

/* ---- defects, applied to a copy of a valid trace in memory ---- */

struct img {
	uint8_t *b;
	size_t len;
};

static struct img slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct img m;

	if (!f)
		die(path, -errno);
	fseek(f, 0, SEEK_END);
	m.len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	m.b = malloc(m.len);
	if (!m.b || fread(m.b, 1, m.len, f) != m.len)
		die("read", -EIO);
	fclose(f);
	return m;
}

static struct img base_image(void)
{
	const char *tmp = gpath("invalid", ".base", ".tmp");
	struct img m;

	remove(tmp);
	write_trace(tmp, 7, VMT_CODEC_ZSTD, 12, 1);
	m = slurp(tmp);
	remove(tmp);
	return m;
}

static void fix_header_crc(struct img *m)
{
	uint32_t h = vmt_get32(m->b + 12);

	vmt_put32(m->b + h - 4, vmt_crc32c(0, m->b, h - 4));
}

static void invalid(const char *name, const struct img *m, size_t len)
{
	char vmt[1024];
	FILE *f;

	snprintf(vmt, sizeof(vmt), "%s", gpath("invalid", name, ".vmt"));
	if (exists(vmt))
		return;
	f = fopen(vmt, "wx");
	if (!f || fwrite(m->b, 1, len, f) != len)
		die(vmt, -errno);
	fclose(f);
	write_expected(vmt, gpath("invalid", name, ".expected_error"), 0);
}

/* Each defect in its own copy; the name says what is wrong. */
static void invalids(void)
{
	struct img m = base_image();
	uint32_t h = vmt_get32(m.b + 12), c0 = h;
	uint32_t c1 = c0 + 64 + vmt_get32(m.b + c0 + 8);
	struct img t = { malloc(m.len), m.len };

#define FRESH() memcpy(t.b, m.b, m.len)
	FRESH();
	invalid("empty-file", &t, 0);
	FRESH(); t.b[3] = 'X';
	invalid("bad-magic", &t, t.len);
	FRESH(); vmt_put16(t.b + 8, 2); fix_header_crc(&t);
	invalid("major-2", &t, t.len);
	FRESH(); vmt_put32(t.b + 20, 1u << 3); fix_header_crc(&t);
	invalid("incompat-bit-3", &t, t.len);
	FRESH(); t.b[h - 10] ^= 0x20;
	invalid("header-crc", &t, t.len);
	FRESH(); vmt_put32(t.b + 32, 9); fix_header_crc(&t);
	invalid("abi-9", &t, t.len);
	FRESH(); vmt_put32(t.b + 12, (uint32_t)t.len + 100);
	invalid("header-len-beyond-file", &t, t.len);
	FRESH(); vmt_put16(t.b + 24, 4000); fix_header_crc(&t);  /* ABI record renamed: critical + unknown */
	invalid("critical-unknown-meta", &t, t.len);
	FRESH();
	invalid("cut-mid-chunk-1", &t, c1 + 64 + 10);
	FRESH(); t.b[c1 + 64 + 20] ^= 0x01;
	invalid("flipped-byte-chunk-1", &t, t.len);
	FRESH(); vmt_put32(t.b + c0 + 12, VMT_CHUNK_MAX + 1);
	vmt_put32(t.b + c0 + 60, vmt_crc32c(0, t.b + c0, 60));
	invalid("chunk-0-usize-over-cap", &t, t.len);
	FRESH(); t.b[t.len - 40] ^= 0x01;
	invalid("trailer-crc", &t, t.len);
	FRESH();
	invalid("header-only", &t, h);
	free(t.b);
	free(m.b);
}

/*
 * A newer writer's trace: unknown record types between the known ones and
 * an unknown metadata record in the header, every offset after it moved
 * so the trailer stays valid.  Readers skip and count both.
 */
static void unknowns(void)
{
	static const uint8_t meta[8 + 6] = { 0xe7, 0x03, 0, 0, 6, 0, 0, 0, 'f', 'u', 't', 'u', 'r', 'e' };
	const char *tmp = gpath("valid", ".unk", ".tmp");
	struct vmt_trace_info info;
	struct vmt_writer *w;
	struct img m;
	FILE *f;
	int err;

	if (exists(gpath("valid", "unknown-types", ".vmt")))
		return;
	info_for(&info, 6);
	remove(tmp);
	if ((err = vmt_writer_open(&w, tmp, &info, NULL)))
		die(tmp, err);
	put(w, VMT_REC_NOTE, 0, 0, "from the future", 15);
	put(w, 200, 0, 5, "opaque", 6);
	put(w, VMT_REC_MARKER, 0, 10, "m", 1);
	put(w, 0, 0, 20, "", 0);
	if ((err = vmt_writer_close(w, NULL)))
		die("close", err);
	f = fopen(tmp, "rb");
	fseek(f, 0, SEEK_END);
	m.len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	m.b = malloc(m.len + sizeof(meta));
	if (fread(m.b, 1, m.len, f) != m.len)
		die("read", -EIO);
	fclose(f);
	remove(tmp);

	uint32_t h = vmt_get32(m.b + 12);
	uint64_t toff = vmt_get64(m.b + m.len - 24), tlen = vmt_get64(m.b + m.len - 16);

	memmove(m.b + h - 4 + sizeof(meta), m.b + h - 4, m.len - (h - 4));
	memcpy(m.b + h - 4, meta, sizeof(meta));
	m.len += sizeof(meta);
	vmt_put32(m.b + 12, h + (uint32_t)sizeof(meta));
	fix_header_crc(&m);
	toff += sizeof(meta);
	for (uint32_t i = 0; i < vmt_get32(m.b + toff + 4); i++) {
		uint8_t *e = m.b + toff + 16 + 56 * i;

		vmt_put64(e, vmt_get64(e) + sizeof(meta));
	}
	vmt_put32(m.b + toff + tlen - 4, vmt_crc32c(0, m.b + toff, tlen - 4));
	vmt_put64(m.b + m.len - 24, toff);
	vmt_put32(m.b + m.len - 4, vmt_crc32c(0, m.b + m.len - 32, 28));
	char vmt[1024];

	snprintf(vmt, sizeof(vmt), "%s", gpath("valid", "unknown-types", ".vmt"));
	f = fopen(vmt, "wx");
	if (!f || fwrite(m.b, 1, m.len, f) != m.len)
		die("unknown-types", -errno);
	fclose(f);
	free(m.b);
	write_expected(vmt, gpath("valid", "unknown-types", ".expected"), 1);
}

/*
 * Format 1.1: a trace whose header names the guest's phase markers, and
 * the same trace with two codes swapped (no longer ascending), which
 * readers refuse.
 */
static void phase_names(void)
{
	static const char names[] = "0=boot;1=login;2=work";
	char vmt[1024];
	struct vmt_trace_info info;
	struct img m;

	snprintf(vmt, sizeof(vmt), "%s", gpath("valid", "phase-names", ".vmt"));
	info_for(&info, 7);
	strcpy(info.phase_names, names);
	if (!exists(vmt)) {
		write_trace_info(vmt, &info, VMT_CODEC_ZSTD, 12, 1);
		write_expected(vmt, gpath("valid", "phase-names", ".expected"), 1);
	}
	m = slurp(vmt);
	uint32_t h = vmt_get32(m.b + 12);
	for (uint32_t i = 0; i + 14 <= h; i++)
		if (!memcmp(m.b + i, "0=boot;1=login", 14)) {
			memcpy(m.b + i, "1=boot;0=login", 14);
			break;
		}
	fix_header_crc(&m);
	invalid("phase-names-unsorted", &m, m.len);
	free(m.b);
}

int main(int argc, char **argv)
{
	char name[32];

	if (argc != 2) {
		fprintf(stderr, "usage: make_golden DIR\n");
		return 2;
	}
	dir = argv[1];
	vmt_set_log_fn(NULL, NULL);
	for (uint32_t abi = VMT_ABI_MIN; abi <= VMT_ABI_MAX; abi++) {
		snprintf(name, sizeof(name), "abi-v%u", abi);
		valid(name, abi, VMT_CODEC_ZSTD, 12, 1);
	}
	valid("abi-v7-uncompressed", 7, VMT_CODEC_NONE, 6, 1);
	valid("abi-v5-interrupted", 5, VMT_CODEC_ZSTD, 12, 0);
	valid("no-events", 7, VMT_CODEC_ZSTD, 0, 1);
	unknowns();
	invalids();
	phase_names();
	return 0;
}
