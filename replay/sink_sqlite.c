/*
 * sink_sqlite.c - vmt_replay_import(): one trace into the schema.
 *
 * The caller's thread walks and decodes the trace and turns each record
 * into rows (cells) in a batch; a second thread takes full batches from a
 * bounded queue and feeds them to the batched table writers.  Memory is
 * the few batches in flight plus one CR3 table, whatever the trace size.
 * Everything happens in one transaction with the journal in memory: a
 * failure rolls the trace back.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "replay_int.h"
#include "vmt_le.h"

/* Values per insert statement (SCHEMA.md "Import"): more rows per
 * statement changed nothing measurable (BENCHMARKS.md "Replay"). */
#define ROW_VALUES 512

/* ---- tables ---- */

/* Tables written by INSERT, plus T_RSP_LATE: a response whose request's
 * row already left for SQLite, set on that row by an UPDATE. */
enum tab {
	T_EVENTS, T_REGBLOCKS, T_LONE, T_MARKERS, T_NOTES, T_RING_STATS,
	T_GAPS, T_PROCESSES, T_COUNT, T_RSP_LATE = T_COUNT
};

/*
 * The registers event_rows holds as columns; the register blocks hold the
 * others (schema.sql).  Each column costs the SQLite thread about 0.035 us
 * per event; rip and rax are what vmtrail-analyze reads of every event
 * (BENCHMARKS.md "Schema 4").
 */
static const enum vmt_reg ev_regs[] = { VMT_REG_RIP, VMT_REG_RAX };

/* event_rows columns: fixed ones, ev_regs, the payload, the response
 * (schema.sql) */
#define EV_VCPU 3
#define EV_FIXED 8
#define EV_NREGS ((int)VMT_ARRAY_SIZE(ev_regs))
#define EV_P1 (EV_FIXED + EV_NREGS)
#define EV_NP 4
#define EV_RSP (EV_P1 + EV_NP)
#define EV_NRSP 7
#define MAX_COLS 32

struct tabspec {
	const char *name;
	const char *cols[MAX_COLS];
};

static const char *const ev_tail[] = {
	"p1", "p2", "p3", "p4", "rsp_ts_ns", "rsp_vcpu", "rsp_flags",
	"rsp_altp2m_idx", "set_regs", "new_rip", "p2midx",
};

static const struct tabspec tabs[T_COUNT + 1] = {
	/*
	 * + ev_regs and ev_tail.  No event_id: SQLite
	 * gives a row without one the largest id + 1, which is event_base +
	 * ordinal since rows come in ordinal order (ids_check() makes sure);
	 * a bound id costs a B-tree lookup per row to refuse a duplicate,
	 * 6 % of the SQLite thread's instructions (BENCHMARKS.md "Replay").
	 */
	[T_EVENTS] = { "event_rows", { "run_id", "seq", "ts_ns", "vcpu", "reason",
				   "flags", "altp2m_idx", "process_id" } },
	[T_REGBLOCKS] = { "reg_blocks", { "block_id", "run_id", "entries", "data",
					  "regs" } },
	[T_LONE] = { "lone_responses", { "run_id", "seq", "ts_ns", "vcpu", "flags",
					 "altp2m_idx", "new_rip", "p2midx" } },
	[T_MARKERS] = { "markers", { "run_id", "seq", "ts_ns", "text" } },
	[T_NOTES] = { "notes", { "run_id", "seq", "ts_ns", "text" } },
	[T_RING_STATS] = { "ring_stats", { "run_id", "seq", "ts_ns", "occupancy",
					   "handled", "batch_ns", "backpressure_ns" } },
	[T_GAPS] = { "gaps", { "run_id", "kind", "chunk", "first_seq", "last_seq",
			       "first_ns", "last_ns", "count", "cause" } },
	[T_PROCESSES] = { "processes", { "process_id", "run_id", "cr3", "epoch",
					 "first_ns", "last_ns", "first_seq",
					 "last_seq", "events" } },
	/* an UPDATE: the response columns of event_rows (EV_RSP...), event_id */
	[T_RSP_LATE] = { "event_rows", { "rsp_ts_ns", "rsp_vcpu", "rsp_flags",
					 "rsp_altp2m_idx", "set_regs", "new_rip",
					 "p2midx", "event_id" } },
};

/* The spec of @t; returns its column count. */
static int tab_spec(int t, struct tabspec *s)
{
	int n = 0;

	*s = tabs[t];
	while (n < MAX_COLS && s->cols[n])
		n++;
	if (t != T_EVENTS)
		return n;
	for (int i = 0; i < EV_NREGS; i++)
		s->cols[n++] = vmt_reg_name(ev_regs[i]);
	for (size_t i = 0; i < VMT_ARRAY_SIZE(ev_tail); i++)
		s->cols[n++] = ev_tail[i];
	return n;
}

/* ---- batches of rows, handed from the decoder to the SQLite thread ---- */

#define B_ROWS 8192
#define B_CELLS 65536
#define B_ARENA (1u << 20)
#define B_FLIGHT 3          /* batches in the pipeline */

struct batch {
	uint32_t nrows, ncells;
	size_t alen;
	struct batch *next;
	uint16_t tab[B_ROWS];
	uint32_t cell0[B_ROWS];
	struct vmt_cell cells[B_CELLS];
	uint8_t arena[B_ARENA];
};

/*
 * Registers: seven of the key registers of BLOCK_EVENTS consecutive
 * events, coded apart (the regs column, KR_SLOTS below: the events view
 * reads them without the raw entries, and out of the entries' frame they
 * no longer slow its compression down), and the raw entries less the
 * bytes event_rows and regs hold (regmask.c: the key
 * registers and the payload change on most events, so they were most of a
 * block's bytes, stored twice), each XORed with the entry before it (most other
 * registers repeat from one event to the next, so the block is mostly
 * zeros) and compressed as one zstd frame on the decoder thread (SCHEMA.md
 * "events, event_regs").  The format lets an entry name any earlier one
 * of its block; XOR with the same vCPU's last entry came out 8 % larger on
 * the benchmark's trace than with the entry just before, so the encoder
 * names that one.
 */
/* 128: blocks of about 12 KiB fill SQLite's 64 KiB pages (5 to a page);
 * blocks of 256 left 40 % of their pages empty (2 to a page), and blocks
 * of 64 or 32 compress worse than the pages they save (BENCHMARKS.md). */
#define BLOCK_EVENTS 128
#define EHDR 5                     /* length, back, mask (SCHEMA.md) */
#define BLOCK_BYTES (BLOCK_EVENTS * (EHDR + VMT_ENTRY_MAX))
#define ENTRY_MAX VMT_RING_PAGE    /* an entry beyond a page is refused */
/* zstd's fast level -1: the blocks come out 1 % larger than at level 1 for
 * 0.2-0.3 us less of the decoder thread per event (BENCHMARKS.md
 * "Schema 4"). */
#define ZLEVEL (-1)


/*
 * The regs column: per entry, which registers the event has, how many
 * entries back the same vCPU's last entry of the block sits (0: none),
 * the byte count of each value XORed with that entry's, then those low
 * bytes (SCHEMA.md "events, event_regs").  Registers repeat or drift on
 * one vCPU, so most values take 0-2 bytes, at a few instructions each
 * where zstd took about 1,200 per event.  A vCPU is found by its id
 * modulo KR_SLOTS; one that shares a slot with another of the block just
 * names no entry.
 */
#define KR_SLOTS 64
#define KR_MAX (6 + 8 * VMT_KR_N)
struct krslot {
	uint32_t vcpu, gen;
	uint8_t idx;
	uint64_t v[VMT_KR_N];
};

/* Where the row of a recent request sits, to put its response there. */
#define PEND 4096
struct pend {
	uint64_t ordinal, gen;
	uint32_t cell;
	int valid;
};

struct sink {
	sqlite3 *db;
	int64_t run_id, event_base;
	int no_regs, threaded;
	uint16_t masked;             /* mask slots kept out of the raw entries */
	int ncols[T_COUNT + 1];
	struct vmt_tw tw[T_COUNT];
	sqlite3_stmt *late;          /* UPDATE for T_RSP_LATE */
	struct vmt_procs procs;
	struct batch *cur;
	uint64_t gen;                /* batches submitted so far */
	struct pend pend[PEND];
	/* the register block being filled */
	uint8_t *kr;                      /* its regs column, KR_MAX an entry */
	size_t krlen;
	uint32_t bgen;                    /* blocks begun (krslot's epoch) */
	struct krslot krslot[KR_SLOTS];
	uint8_t kidx[VMT_KR_N];           /* the mask slot of each */
	uint8_t *blk, *zbuf, *prev;       /* prev: the last entry, masked */
	uint8_t *cur_entry;               /* the entry being masked */
	size_t blen, bcap, zcap, prev_len;
	uint32_t bn;
	int64_t bfirst;
	ZSTD_CCtx *zc;
	struct vmt_regmask_cache masks;
	/* the queue */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	struct batch *full, *full_tail, *free;
	int closing, err;
};

/* A response for a row already given to SQLite: its insert goes out
 * first, then the UPDATE (rare: only at batch edges). */
static int update_late(struct sink *s, const struct vmt_cell *c)
{
	int n = s->ncols[T_RSP_LATE], rc, err = vmt_tw_flush(&s->tw[T_EVENTS]);

	if (err)
		return err;
	if (!s->late) {
		rc = sqlite3_prepare_v2(s->db, "UPDATE event_rows SET rsp_ts_ns = ?1, "
					"rsp_vcpu = ?2, rsp_flags = ?3, rsp_altp2m_idx = ?4, "
					"set_regs = ?5, new_rip = ?6, p2midx = ?7 "
					"WHERE event_id = ?8", -1, &s->late, NULL);
		if (rc != SQLITE_OK)
			return vmt_db_err(s->db, rc, "preparing the response update");
	}
	for (int i = 0; i < n; i++)
		if (c[i].type == VMT_CELL_INT)
			sqlite3_bind_int64(s->late, i + 1, c[i].v);
		else
			sqlite3_bind_null(s->late, i + 1);
	rc = sqlite3_step(s->late);
	sqlite3_reset(s->late);
	return rc == SQLITE_DONE ? 0 : vmt_db_err(s->db, rc, "response update");
}

static int consume(struct sink *s, struct batch *b)
{
	int err = 0;

	for (uint32_t r = 0; !err && r < b->nrows; r++)
		err = b->tab[r] == T_RSP_LATE ? update_late(s, b->cells + b->cell0[r]) :
			vmt_tw_add(&s->tw[b->tab[r]], b->cells + b->cell0[r], b->arena);
	b->nrows = b->ncells = 0;
	b->alen = 0;
	return err;
}

static void *sql_thread(void *arg)
{
	struct sink *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct batch *b = s->full;

		if (!b && s->closing)
			break;
		if (!b) {
			pthread_cond_wait(&s->cv, &s->mu);
			continue;
		}
		s->full = b->next;
		pthread_mutex_unlock(&s->mu);
		int err = s->err ? 0 : consume(s, b);
		pthread_mutex_lock(&s->mu);
		if (err && !s->err)
			s->err = err;
		b->nrows = b->ncells = 0;
		b->alen = 0;
		b->next = s->free;
		s->free = b;
		pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Hands the current batch over and takes an empty one. */
static int submit(struct sink *s)
{
	struct batch *b = s->cur;
	int err;

	s->gen++;
	if (!s->threaded)
		return consume(s, b);
	pthread_mutex_lock(&s->mu);
	b->next = NULL;
	if (s->full_tail && s->full)
		s->full_tail->next = b;
	else
		s->full = b;
	s->full_tail = b;
	pthread_cond_broadcast(&s->cv);
	while (!s->free && !s->err)
		pthread_cond_wait(&s->cv, &s->mu);
	s->cur = s->free;
	if (s->cur)
		s->free = s->cur->next;
	err = s->err;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return err;
}

/* Room for one row of @t with @bytes of BLOB/TEXT; NULL on a failure. */
static struct vmt_cell *row(struct sink *s, int t, size_t bytes, int *err)
{
	struct batch *b = s->cur;
	struct vmt_cell *c;

	if (b->nrows == B_ROWS || b->ncells + s->ncols[t] > B_CELLS ||
	    b->alen + bytes > B_ARENA) {
		*err = submit(s);
		if (*err)
			return NULL;
		b = s->cur;
	}
	b->tab[b->nrows] = (uint16_t)t;
	b->cell0[b->nrows++] = b->ncells;
	c = b->cells + b->ncells;
	b->ncells += (uint32_t)s->ncols[t];
	return c;
}

static inline struct vmt_cell cint(int64_t v)
{
	return (struct vmt_cell){ .v = v, .type = VMT_CELL_INT };
}

static inline struct vmt_cell copt(int present, uint64_t v)
{
	return (struct vmt_cell){ .v = (int64_t)v, .type = present ? VMT_CELL_INT
								   : VMT_CELL_NULL };
}

/* Copies @n bytes into the batch arena (room checked by row()). */
static struct vmt_cell cbytes(struct sink *s, int type, const void *p, size_t n)
{
	struct batch *b = s->cur;
	struct vmt_cell c = { .v = (int64_t)b->alen, .len = (uint32_t)n,
			      .type = (uint8_t)type };

	memcpy(b->arena + b->alen, p, n);
	b->alen += n;
	return c;
}

/* ---- register blocks ---- */

/* out = a XOR b over @n bytes, b taken as zeros past @bn; eight at a time
 * (memcpy keeps it free of alignment and aliasing assumptions). */
static void xor_into(uint8_t *out, const uint8_t *a, size_t n,
		     const uint8_t *b, size_t bn)
{
	size_t i = 0, m = n < bn ? n : bn;

	for (; i + 8 <= m; i += 8) {
		uint64_t x, y;

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		x ^= y;
		memcpy(out + i, &x, 8);
	}
	for (; i < m; i++)
		out[i] = a[i] ^ b[i];
	if (i < n)
		memcpy(out + i, a + i, n - i);
}

/* Compresses the block being filled into a reg_blocks row (data NULL
 * with --no-regs: only the regs column is kept). */
static int block_flush(struct sink *s)
{
	size_t n = 0;
	struct vmt_cell *c;
	int err = 0;

	if (!s->bn)
		return 0;
	if (!s->no_regs) {
		n = ZSTD_compressCCtx(s->zc, s->zbuf, s->zcap, s->blk, s->blen, ZLEVEL);
		if (ZSTD_isError(n)) {
			vmt_log(VMT_LOG_ERROR, "compressing registers: %s",
				ZSTD_getErrorName(n));
			return -EIO;
		}
	}
	c = row(s, T_REGBLOCKS, n + s->krlen, &err);
	if (!c)
		return err;
	c[0] = cint(s->bfirst);
	c[1] = cint(s->run_id);
	c[2] = cint(s->bn);
	c[3] = s->no_regs ? copt(0, 0) : cbytes(s, VMT_CELL_BLOB, s->zbuf, n);
	c[4] = cbytes(s, VMT_CELL_BLOB, s->kr, s->krlen);
	s->krlen = 0;
	s->bn = 0;
	s->blen = 0;
	s->prev_len = 0;
	return 0;
}

/* The mask slot of key register @r (one of vmt_key_regs). */
static int slot_of(enum vmt_reg r)
{
	int i = 0;

	while (i < VMT_MASK_REGS - 1 && vmt_key_regs[i] != r)
		i++;
	return i;
}

/* The mask slots of the key registers in @regs. */
static uint16_t slots_of(const enum vmt_reg *regs, int n)
{
	uint16_t m = 0;

	for (int k = 0; k < n; k++)
		m |= (uint16_t)(1u << slot_of(regs[k]));
	return m;
}

/* The mask slots whose values are kept elsewhere, so left out of the raw
 * entries: ev_regs and the payload (event_rows), vmt_block_regs (regs). */
static uint16_t masked_slots(void)
{
	return (uint16_t)(slots_of(ev_regs, EV_NREGS) |
			  slots_of(vmt_block_regs, VMT_KR_N) |
			  ((1u << VMT_MASK_P) - 1) << VMT_MASK_REGS);
}

/* Entry bn of the block's regs column (KR_SLOTS above). */
static void kr_put(struct sink *s, uint32_t vcpu, const uint64_t *vals,
		   uint16_t have)
{
	struct krslot *k = &s->krslot[vcpu % KR_SLOTS];
	int same = k->gen == s->bgen && k->vcpu == vcpu;
	uint8_t *p = s->kr + s->krlen, *q = p + 6, present = 0;
	uint32_t nib = 0;

	for (int j = 0; j < VMT_KR_N; j++) {
		int has = have >> s->kidx[j] & 1;
		uint64_t v = has ? vals[s->kidx[j]] : 0, x = v ^ (same ? k->v[j] : 0);
		unsigned w = 0;

		while (w < 8 && x >> 8 * w)
			q[w] = (uint8_t)(x >> 8 * w), w++;
		q += w;
		nib |= (uint32_t)w << 4 * j;
		present |= (uint8_t)(has << j);
		k->v[j] = v;
	}
	p[0] = present;
	p[1] = same ? (uint8_t)(s->bn - k->idx) : 0;
	vmt_put32(p + 2, nib);
	k->gen = s->bgen;
	k->vcpu = vcpu;
	k->idx = (uint8_t)s->bn;
	s->krlen = (size_t)(q - s->kr);
}

/* The column values of @ev's mask slots; the slots it has. */
static uint16_t slot_values(const struct vmt_event *ev, uint64_t *vals)
{
	const struct vmt_detail *d = vmt_detail_of(ev->reason);
	int np = d->table ? d->nfields : 0;
	uint16_t have = 0;

	for (int i = 0; i < VMT_MASK_REGS; i++) {
		vals[i] = ev->reg[vmt_key_regs[i]];
		have |= (uint16_t)((ev->reg_present >> vmt_key_regs[i] & 1) << i);
	}
	for (int k = 0; k < VMT_MASK_P; k++) {
		int f = k < np ? d->fields[k] : 0;

		vals[VMT_MASK_REGS + k] = k < np ? ev->p[f] : 0;
		if (k < np && (ev->p_present >> f & 1))
			have |= (uint16_t)(1u << (VMT_MASK_REGS + k));
	}
	return have;
}

/* Appends the raw entry of event @id to a block; its block_id. */
static int64_t block_add(struct sink *s, const struct vmt_record *rec,
			 const struct vmt_event *ev, int64_t id)
{
	uint64_t vals[VMT_MASK_N];
	uint16_t mask, have;
	uint8_t *p;
	int err;

	if (rec->size > ENTRY_MAX) {
		vmt_log(VMT_LOG_ERROR, "seq %llu: ring entry of %u bytes",
			(unsigned long long)rec->seq, (unsigned)rec->size);
		return -EINVAL;
	}
	if (s->bn == BLOCK_EVENTS ||
	    (!s->no_regs && s->blen + EHDR + rec->size > s->bcap)) {
		err = block_flush(s);
		if (err)
			return err;
	}
	if (!s->bn) {
		s->bfirst = id;
		s->bgen++;
	}
	have = slot_values(ev, vals);
	kr_put(s, ev->vcpu_id, vals, have);
	if (s->no_regs) {
		s->bn++;
		return s->bfirst;
	}
	p = s->blk + s->blen;
	memcpy(s->cur_entry, rec->data, rec->size);
	mask = vmt_regmask_apply(vmt_regmask_of(&s->masks, ev->version, ev->reason),
				 s->cur_entry, rec->size, vals,
				 have & s->masked);
	vmt_put16(p, (uint16_t)rec->size);
	p[2] = s->bn ? 1 : 0;           /* XORed with the entry 1 back */
	vmt_put16(p + 3, mask);
	xor_into(p + EHDR, s->cur_entry, rec->size, s->prev, s->prev_len);
	memcpy(s->prev, s->cur_entry, rec->size);
	s->prev_len = rec->size;
	s->bn++;
	s->blen += EHDR + rec->size;
	return s->bfirst;
}

/* ---- walker callbacks: records to rows ---- */

static int emit_process(void *ctx, const struct vmt_proc *p)
{
	struct sink *s = ctx;
	int err = 0;
	struct vmt_cell *c = row(s, T_PROCESSES, 0, &err);

	if (!c)
		return err;
	c[0] = cint(p->id);
	c[1] = cint(s->run_id);
	c[2] = cint((int64_t)p->cr3);
	c[3] = cint(p->epoch);
	c[4] = cint((int64_t)p->first_ns);
	c[5] = cint((int64_t)p->last_ns);
	c[6] = cint((int64_t)p->first_seq);
	c[7] = cint((int64_t)p->last_seq);
	c[8] = cint((int64_t)p->events);
	return 0;
}

/* The payload columns p1..p4: the detail fields of the reason, in order. */
static void put_payload(struct vmt_cell *c, const struct vmt_event *ev)
{
	const struct vmt_detail *d = vmt_detail_of(ev->reason);
	int n = d->table ? d->nfields : 0;

	for (int i = 0; i < EV_NP; i++)
		c[i] = copt(i < n && (ev->p_present >> d->fields[i] & 1),
			    i < n ? ev->p[d->fields[i]] : 0);
}

static int put_event(void *ctx, const struct vmt_record *rec,
		     const struct vmt_event *ev, uint64_t ordinal)
{
	struct sink *s = ctx;
	int64_t id = s->event_base + (int64_t)ordinal, pid = -1, blk;
	struct pend *q = &s->pend[ordinal % PEND];
	struct vmt_cell *c;
	int err = 0;

	if (ev->reg_present >> VMT_REG_CR3 & 1) {
		pid = vmt_procs_see(&s->procs, ev->reg[VMT_REG_CR3], rec->ts_ns,
				    rec->seq);
		if (pid < 0)
			return (int)pid;
	}
	blk = block_add(s, rec, ev, id);
	if (blk < 0)
		return (int)blk;
	c = row(s, T_EVENTS, 0, &err);
	if (!c)
		return err;
	*q = (struct pend){ ordinal, s->gen, (uint32_t)(c - s->cur->cells), 1 };
	c[0] = cint(s->run_id);
	c[1] = cint((int64_t)rec->seq);
	c[2] = cint((int64_t)rec->ts_ns);
	c[EV_VCPU] = cint(ev->vcpu_id);
	c[4] = cint(ev->reason);
	c[5] = cint(ev->flags);
	c[6] = cint(ev->altp2m_idx);
	c[7] = copt(pid >= 0, (uint64_t)pid);
	for (int i = 0; i < EV_NREGS; i++)
		c[EV_FIXED + i] = copt(ev->reg_present >> ev_regs[i] & 1,
				       ev->reg[ev_regs[i]]);
	put_payload(c + EV_P1, ev);
	for (int i = 0; i < EV_NRSP; i++)
		c[EV_RSP + i] = copt(0, 0);
	return 0;
}

/* The response columns of the request's row: ts, vcpu, flags, altp2m,
 * set_regs, new_rip, p2midx. */
static void put_rsp_cols(struct vmt_cell *c, const struct vmt_record *rec,
			 const struct vmt_walk_rsp *r, uint32_t req_vcpu)
{
	const struct vmt_event *ev = r->ev;
	int setregs = !!(ev->flags & VMT_FLAG_SET_REGISTERS);

	c[0] = cint((int64_t)rec->ts_ns);
	c[1] = copt(ev->vcpu_id != req_vcpu, ev->vcpu_id);
	c[2] = cint(ev->flags);
	c[3] = copt(ev->flags & VMT_FLAG_ALTERNATE_P2M, ev->altp2m_idx);
	c[4] = copt(r->has_set_regs, r->set_regs);
	c[5] = copt(setregs && (ev->reg_present >> VMT_REG_RIP & 1),
		    ev->reg[VMT_REG_RIP]);
	c[6] = copt(ev->p_present >> VMT_P_FAST_SINGLESTEP_P2MIDX & 1,
		    ev->p[VMT_P_FAST_SINGLESTEP_P2MIDX]);
}

/* A response whose request was not imported. */
static int put_lone(struct sink *s, const struct vmt_record *rec,
		    const struct vmt_event *ev)
{
	int err = 0, setregs = !!(ev->flags & VMT_FLAG_SET_REGISTERS);
	struct vmt_cell *c = row(s, T_LONE, 0, &err);

	if (!c)
		return err;
	c[0] = cint(s->run_id);
	c[1] = cint((int64_t)rec->seq);
	c[2] = cint((int64_t)rec->ts_ns);
	c[3] = cint(ev->vcpu_id);
	c[4] = cint(ev->flags);
	c[5] = copt(ev->flags & VMT_FLAG_ALTERNATE_P2M, ev->altp2m_idx);
	c[6] = copt(setregs && (ev->reg_present >> VMT_REG_RIP & 1),
		    ev->reg[VMT_REG_RIP]);
	c[7] = copt(ev->p_present >> VMT_P_FAST_SINGLESTEP_P2MIDX & 1,
		    ev->p[VMT_P_FAST_SINGLESTEP_P2MIDX]);
	return 0;
}

static int put_response(void *ctx, const struct vmt_record *rec,
			const struct vmt_walk_rsp *r)
{
	struct sink *s = ctx;
	uint64_t ord = (uint64_t)r->req_ordinal;
	struct pend *q = &s->pend[ord % PEND];
	struct vmt_cell *c;
	int err = 0;

	if (r->req_ordinal < 0)
		return put_lone(s, rec, r->ev);
	if (q->valid && q->ordinal == ord && q->gen == s->gen) {
		c = s->cur->cells + q->cell;
		put_rsp_cols(c + EV_RSP, rec, r, (uint32_t)c[EV_VCPU].v);
		q->valid = 0;
		return 0;
	}
	c = row(s, T_RSP_LATE, 0, &err);
	if (!c)
		return err;
	/* the request's vcpu is not at hand: keep the response's */
	put_rsp_cols(c, rec, r, UINT32_MAX);
	c[EV_NRSP] = cint(s->event_base + r->req_ordinal);
	return 0;
}

static int put_text(struct sink *s, int t, const struct vmt_record *rec)
{
	size_t n = rec->size;
	struct vmt_cell *c;
	int err = 0;

	while (n && !rec->data[n - 1])     /* C strings may carry their NUL */
		n--;
	if (n > B_ARENA / 2) {
		vmt_log(VMT_LOG_WARN, "seq %llu: text of %zu bytes cut to %u",
			(unsigned long long)rec->seq, n, B_ARENA / 2);
		n = B_ARENA / 2;
	}
	c = row(s, t, n, &err);
	if (!c)
		return err;
	c[0] = cint(s->run_id);
	c[1] = cint((int64_t)rec->seq);
	c[2] = cint((int64_t)rec->ts_ns);
	c[3] = cbytes(s, VMT_CELL_TEXT, rec->data, n);
	return 0;
}

static int put_marker(void *ctx, const struct vmt_record *rec)
{
	return put_text(ctx, T_MARKERS, rec);
}

static int put_note(void *ctx, const struct vmt_record *rec)
{
	return put_text(ctx, T_NOTES, rec);
}

static int put_ring_stats(void *ctx, const struct vmt_record *rec,
			  const struct vmt_ring_stats *st)
{
	struct sink *s = ctx;
	int err = 0;
	struct vmt_cell *c = row(s, T_RING_STATS, 0, &err);

	if (!c)
		return err;
	c[0] = cint(s->run_id);
	c[1] = cint((int64_t)rec->seq);
	c[2] = cint((int64_t)rec->ts_ns);
	c[3] = cint(st->occupancy);
	c[4] = cint(st->handled);
	c[5] = cint((int64_t)st->batch_ns);
	c[6] = cint((int64_t)st->backpressure_ns);
	return 0;
}

static int put_gap(void *ctx, const struct vmt_gap *g)
{
	struct sink *s = ctx;
	size_t kn = strlen(g->kind), cn = strlen(g->cause);
	int err = 0;
	struct vmt_cell *c = row(s, T_GAPS, kn + cn, &err);

	if (!c)
		return err;
	c[0] = cint(s->run_id);
	c[1] = cbytes(s, VMT_CELL_TEXT, g->kind, kn);
	c[2] = copt(g->chunk >= 0, (uint64_t)g->chunk);
	for (int i = 0; i < VMT_G_NV; i++)
		c[3 + i] = copt(g->known >> i & 1, g->v[i]);
	c[8] = cbytes(s, VMT_CELL_TEXT, g->cause, cn);
	return 0;
}

static const struct vmt_walk_ops sink_ops = {
	.event = put_event, .response = put_response, .marker = put_marker,
	.note = put_note, .ring_stats = put_ring_stats, .gap = put_gap,
};

/* ---- set-up and tear-down ---- */

static int rows_per_insert(int ncols)
{
	int n = ROW_VALUES / ncols;

	return n < 1 ? 1 : n;
}

static int block_open(struct sink *s)
{
	for (int j = 0; j < VMT_KR_N; j++)
		s->kidx[j] = (uint8_t)slot_of(vmt_block_regs[j]);
	s->kr = malloc((size_t)BLOCK_EVENTS * KR_MAX);
	if (!s->kr)
		return -ENOMEM;
	if (s->no_regs)
		return 0;
	/* room for a block of full-size entries, or one of the largest */
	s->bcap = BLOCK_BYTES > EHDR + ENTRY_MAX ? BLOCK_BYTES : EHDR + ENTRY_MAX;
	s->zcap = ZSTD_compressBound(s->bcap);
	s->blk = malloc(s->bcap);
	s->prev = malloc(ENTRY_MAX);
	s->cur_entry = malloc(ENTRY_MAX);
	s->zbuf = malloc(s->zcap);
	s->zc = ZSTD_createCCtx();
	return s->blk && s->zbuf && s->zc && s->prev && s->cur_entry ? 0 : -ENOMEM;
}

static int sink_open(struct sink *s, sqlite3 *db)
{
	struct tabspec spec;
	int want_thread = s->threaded, err = 0;

	s->threaded = 0;
	s->masked = masked_slots();
	err = vmt_tw_module(db);
	for (int t = 0; !err && t <= T_COUNT; t++) {
		s->ncols[t] = tab_spec(t, &spec);
		if (t < T_COUNT)
			err = vmt_tw_init(&s->tw[t], db, spec.name, spec.cols,
					  s->ncols[t], rows_per_insert(s->ncols[t]));
	}
	if (!err)
		err = block_open(s);
	if (err)
		return err;
	s->free = NULL;
	for (int i = 0; i < (want_thread ? B_FLIGHT : 1); i++) {
		struct batch *b = calloc(1, sizeof(*b));

		if (!b)
			return -ENOMEM;
		b->next = s->free;
		s->free = b;
	}
	s->cur = s->free;
	s->free = s->cur->next;
	if (!want_thread)
		return 0;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	err = -pthread_create(&s->th, NULL, sql_thread, s);
	s->threaded = !err;
	return err;
}

/* Drains the queue and stops the SQLite thread; returns its error. */
static int sink_drain(struct sink *s, int err)
{
	if (!err)
		err = block_flush(s);
	if (!err && s->cur && s->cur->nrows)
		err = submit(s);
	if (s->threaded) {
		pthread_mutex_lock(&s->mu);
		s->closing = 1;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->th, NULL);
		s->threaded = 0;
		err = err ? err : s->err;
	}
	for (int t = 0; !err && t < T_COUNT; t++)
		err = vmt_tw_flush(&s->tw[t]);
	return err;
}

static void sink_free(struct sink *s)
{
	struct batch *b = s->free;

	for (int t = 0; t < T_COUNT; t++)
		if (s->ncols[t])
			vmt_tw_free(&s->tw[t]);
	sqlite3_finalize(s->late);
	while (b) {
		struct batch *n = b->next;

		free(b);
		b = n;
	}
	for (b = s->full; b;) {
		struct batch *n = b->next;

		free(b);
		b = n;
	}
	free(s->cur);
	free(s->kr);
	free(s->blk);
	free(s->zbuf);
	free(s->prev);
	free(s->cur_entry);
	ZSTD_freeCCtx(s->zc);
	vmt_procs_free(&s->procs);
}

/* ---- vmt_replay_import() ---- */

/*
 * Page cache during the load: big enough that the right-hand edges of
 * every table stay cached and SQLite writes each page about once, small
 * enough for the memory bound (SCHEMA.md "Import").
 */
#define CACHE_KIB 65536
#define VMT_STR2(x) #x
#define VMT_STR(x) VMT_STR2(x)

static int query_i64(sqlite3 *db, const char *sql, const char *arg, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return vmt_db_err(db, rc, sql);
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : vmt_db_err(db, rc, sql);
}

/* Ids continue after those already in the database. */
static int next_ids(sqlite3 *db, const char *uuid, int64_t *run_id,
		    int64_t *event_base, int64_t *proc_base)
{
	int64_t dup;
	int err = query_i64(db, "SELECT count(*) FROM runs WHERE uuid = ?", uuid, &dup);

	if (!err && dup)
		return -EEXIST;
	if (!err)
		err = query_i64(db, "SELECT coalesce(max(run_id), 0) + 1 FROM runs",
				NULL, run_id);
	if (!err)
		err = query_i64(db, "SELECT coalesce(max(event_id), 0) + 1 FROM event_rows",
				NULL, event_base);
	if (!err)
		err = query_i64(db, "SELECT coalesce(max(process_id), 0) + 1 FROM processes",
				NULL, proc_base);
	return err;
}

/*
 * The ids SQLite gave the events rows are the ones the register blocks
 * and the late responses were written with (tabs[T_EVENTS]).
 */
static int ids_check(struct sink *s, uint64_t events)
{
	int64_t last;
	int err;

	if (!events)
		return 0;
	err = query_i64(s->db, "SELECT max(event_id) FROM event_rows", NULL, &last);
	if (!err && last != s->event_base + (int64_t)events - 1) {
		vmt_log(VMT_LOG_ERROR, "events rows got ids up to %lld, expected %lld",
			(long long)last, (long long)(s->event_base + (int64_t)events - 1));
		err = -EIO;
	}
	return err;
}

static int import_walk(struct sink *s, struct vmt_walk *w, const char *trace,
		       const char *uuid, int64_t proc_base)
{
	int err = vmt_procs_init(&s->procs, proc_base, w->o.process_idle_ns,
				 emit_process, s);

	if (!err)
		err = sink_open(s, s->db);
	if (!err)
		err = vmt_walk_run(w, &sink_ops, s);
	if (!err)
		err = vmt_procs_finish(&s->procs);
	err = sink_drain(s, err);
	if (!err)
		err = ids_check(s, w->events);
	if (!err)
		err = vmt_run_insert(s->db, s->run_id, w, trace, uuid);
	if (!err)
		err = vmt_run_pairs_insert(s->db, s->run_id, vmt_reader_info(w->r));
	return err;
}

VMT_API int vmt_replay_import(struct sqlite3 *db, const char *trace,
			      const struct vmt_import_opts *opts,
			      struct vmt_import_result *res)
{
	struct vmt_import_result tmp;
	struct vmt_walk w;
	struct sink *s;
	int64_t proc_base = 0;
	int err;

	res = res ? res : &tmp;
	memset(res, 0, sizeof(*res));
	err = vmt_walk_open(&w, trace, opts, res);
	if (err)
		return err;
	s = calloc(1, sizeof(*s));
	if (!s) {
		vmt_walk_close(&w);
		return -ENOMEM;
	}
	s->db = db;
	s->no_regs = w.o.no_regs;
	s->threaded = !w.o.single_thread;
	err = vmt_db_exec(db, "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF;"
			  "PRAGMA cache_size=-" VMT_STR(CACHE_KIB) "; BEGIN");
	if (!err) {
		err = next_ids(db, res->uuid, &s->run_id, &s->event_base, &proc_base);
		if (!err)
			err = import_walk(s, &w, trace, res->uuid, proc_base);
		if (!err)
			err = vmt_db_exec(db, "COMMIT");
		if (err)
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	if (!err) {
		vmt_walk_result(&w, res);
		res->run_id = s->run_id;
		res->processes = (uint64_t)(s->procs.next_id - proc_base);
	}
	sink_free(s);
	free(s);
	vmt_walk_close(&w);
	return err;
}
