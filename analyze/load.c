/*
 * load.c - reduce one run of a vmtrail database (replay/SCHEMA.md) to a
 * struct vmt_an_run: facts, behaviour counts per phase, rate buckets.
 *
 * Speed is the design constraint (two 10M-event runs in seconds): the
 * events of a run are read in one sequential rowid-range scan and counted
 * as they stream into a hash table.  Keys the events row decides alone
 * (RIPs, guest requests, breakpoints at the syscall entry) are counted
 * there; each detail table is then scanned over the same rowid range,
 * without joins, and finds what the first scan learned about an event
 * (its phase; for a fault at the syscall entry, its syscall number) in a
 * 4-byte slot.  MSR_LSTAR is followed per vCPU as a timeline: its value in
 * the vCPU's first event, then every recorded write to it, so the raw
 * register blobs are read once per vCPU.  No event is kept in memory and
 * no SQL sort is needed.  Keys: analyze/README.md "Behaviour keys".
 */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_int.h"
#include "format_log.h"
#include "keys.h"
#include "load.h"
#include "vmt/event.h"
#include "vmt/format.h"

#define GR_MARKER_MAGIC 0x564d54 /* rbx of xensim's phase markers: "VMT" */
#define MSR_LSTAR 0xc0000082u
#define MAX_PHASES 1024
#define MAX_VCPUS 4096

static char *dup_col(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return strdup(t ? (const char *)t : "");
}

static int sql_err(sqlite3 *db, const char *what)
{
	vmt_log(VMT_LOG_ERROR, "%s: %s", what, sqlite3_errmsg(db));
	return -EIO;
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
		return sql_err(db, "prepare");
	return 0;
}

/* ---- run facts -------------------------------------------------------- */

static int load_facts(sqlite3 *db, struct vmt_an_run *r)
{
	sqlite3_stmt *st;
	int err = prepare(db,
		"SELECT abi_version, vcpus, monitors, labels, uuid, domain_name,"
		" duration_ns, first_ts_ns, last_ts_ns, lost, imported_events"
		" FROM runs WHERE run_id = ?1", &st);

	if (err)
		return err;
	sqlite3_bind_int64(st, 1, r->run_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return -ENOENT;
	}
	r->abi_version = (uint32_t)sqlite3_column_int(st, 0);
	r->vcpus = (uint32_t)sqlite3_column_int(st, 1);
	r->monitors = dup_col(st, 2);
	r->labels = dup_col(st, 3);
	r->uuid = dup_col(st, 4);
	r->domain = dup_col(st, 5);
	r->first_ns = (uint64_t)sqlite3_column_int64(st, 7);
	r->last_ns = (uint64_t)sqlite3_column_int64(st, 8);
	r->duration_s = (double)sqlite3_column_int64(st, 6) / 1e9;
	if ((double)r->last_ns / 1e9 > r->duration_s)
		r->duration_s = (double)r->last_ns / 1e9;
	r->lost = (uint64_t)sqlite3_column_int64(st, 9);
	r->events = (uint64_t)sqlite3_column_int64(st, 10);
	sqlite3_finalize(st);
	if (!r->monitors || !r->labels || !r->uuid || !r->domain)
		return -ENOMEM;
	if (r->vcpus == 0 || r->vcpus > MAX_VCPUS)
		r->vcpus = r->vcpus ? MAX_VCPUS : 1;
	return 0;
}

/* ---- phases ------------------------------------------------------------ */

/* Phase index by name, appended in order of first appearance. */
static int phase_id(struct vmt_an_run *r, const char *name)
{
	struct vmt_an_phase *p;

	for (uint32_t i = 0; i < r->nphases; i++)
		if (!strcmp(r->phases[i].name, name))
			return (int)i;
	if (r->nphases >= MAX_PHASES)
		return -E2BIG;
	p = realloc(r->phases, (r->nphases + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	r->phases = p;
	memset(&p[r->nphases], 0, sizeof(*p));
	p[r->nphases].name = strdup(name);
	if (!p[r->nphases].name)
		return -ENOMEM;
	return (int)r->nphases++;
}

/* The global markers (recorder control socket) of a run, in time order. */
struct markers {
	uint64_t *ts;
	int *phase;
	size_t n, next;
};

static int load_markers(sqlite3 *db, struct vmt_an_run *r, struct markers *m)
{
	sqlite3_stmt *st;
	int err = prepare(db, "SELECT ts_ns, text FROM markers WHERE run_id = ?1"
			      " ORDER BY seq", &st);

	if (err)
		return err;
	sqlite3_bind_int64(st, 1, r->run_id);
	while (!err && sqlite3_step(st) == SQLITE_ROW) {
		uint64_t *ts = realloc(m->ts, (m->n + 1) * sizeof(*ts));
		int *ph = realloc(m->phase, (m->n + 1) * sizeof(*ph));

		if (ts)
			m->ts = ts;
		if (ph)
			m->phase = ph;
		if (!ts || !ph) {
			err = -ENOMEM;
			break;
		}
		m->ts[m->n] = (uint64_t)sqlite3_column_int64(st, 0);
		err = phase_id(r, (const char *)sqlite3_column_text(st, 1));
		if (err >= 0) {
			m->phase[m->n++] = err;
			err = 0;
		}
	}
	sqlite3_finalize(st);
	return err;
}

/*
 * Each vCPU is in one phase at a time: global markers move every vCPU,
 * a guest-request marker moves only the vCPU that made it.  Exposure of a
 * phase = vCPU-seconds spent in it / vCPUs, so phase rates read like
 * whole-run rates.
 */
struct tracker {
	uint32_t nv;
	int *cur;
	uint64_t *since;
	double *vcpu_ns;     /* per phase: vCPU-ns spent in it */
};

static int tracker_init(struct tracker *t, uint32_t vcpus)
{
	t->nv = vcpus;
	t->cur = calloc(vcpus, sizeof(*t->cur));
	t->since = calloc(vcpus, sizeof(*t->since));
	t->vcpu_ns = calloc(MAX_PHASES, sizeof(*t->vcpu_ns));
	return t->cur && t->since && t->vcpu_ns ? 0 : -ENOMEM;
}

static void tracker_move(struct tracker *t, struct vmt_an_run *r, uint32_t v,
			 int phase, uint64_t ts)
{
	if (t->cur[v] == phase)
		return;
	if (!r->phases[phase].entered || ts < r->phases[phase].start_ns) {
		r->phases[phase].start_ns = ts;
		r->phases[phase].entered = 1;
	}
	if (ts > t->since[v])
		t->vcpu_ns[t->cur[v]] += (double)(ts - t->since[v]);
	t->cur[v] = phase;
	t->since[v] = ts > t->since[v] ? ts : t->since[v];
}

static void tracker_finish(struct tracker *t, struct vmt_an_run *r, uint64_t end)
{
	for (uint32_t v = 0; v < t->nv; v++)
		if (end > t->since[v])
			t->vcpu_ns[t->cur[v]] += (double)(end - t->since[v]);
	for (uint32_t p = 0; p < r->nphases; p++)
		r->phases[p].exposure_ns = (uint64_t)(t->vcpu_ns[p] / t->nv);
}

static void tracker_free(struct tracker *t)
{
	free(t->cur);
	free(t->since);
	free(t->vcpu_ns);
}

/* ---- the event scan ------------------------------------------------- */

/* ---- the event scan ------------------------------------------------- */

/* What the event scan leaves for the detail scans, per event_id - lo. */
struct slot {
	uint16_t phase;
	uint16_t sysno;          /* NO_SYSCALL, or rax at the syscall entry */
};
#define NO_SYSCALL 0xffffu

/* MSR_LSTAR writes recorded in mov_to_msr, in event order. */
struct lstar_writes {
	int64_t *id;
	uint64_t *value;
	size_t n, next;
};

struct scan {
	sqlite3 *db;
	struct vmt_an_run *r;
	int64_t lo, hi;          /* event_id range of the run */
	int exact;               /* range from min/max, not from time order */
	uint64_t scanned;        /* events the scan met */
	struct slot *slot;
	struct markers m;
	struct tracker t;
	struct lstar_writes w;
	uint64_t *lstar;         /* per vCPU */
	uint8_t *lstar_state;    /* per vCPU: 0 unread, 1 known, 2 unknown */
	sqlite3_stmt *regs;      /* MSR_LSTAR of one event's raw entry */
	sqlite3_stmt *pname;     /* phase_names of a code; NULL: none */
	int pname_tried;
	int with_spaces;
	/* reason and vCPU totals per phase, counted in arrays (not the hash
	 * table: they are hit by every event) and flushed at the end */
	uint64_t *tot;           /* [phase][VMT_AN_REASONS + vcpus] */
	uint32_t tot_phases;
};

static uint32_t tot_width(const struct scan *s)
{
	return VMT_AN_REASONS + s->t.nv;
}

static int tot_add(struct scan *s, uint32_t ph, uint32_t reason, uint32_t v)
{
	uint32_t w = tot_width(s);

	if (ph >= s->tot_phases) {
		uint32_t n = ph + 8;
		uint64_t *t = realloc(s->tot, (size_t)n * w * sizeof(*t));

		if (!t)
			return -ENOMEM;
		memset(t + (size_t)s->tot_phases * w, 0, (size_t)(n - s->tot_phases) * w * sizeof(*t));
		s->tot = t;
		s->tot_phases = n;
	}
	if (reason < VMT_AN_REASONS)
		s->tot[(size_t)ph * w + reason]++;
	s->tot[(size_t)ph * w + VMT_AN_REASONS + v]++;
	return 0;
}

/* Totals into the table, per phase (folded into the whole run later). */
static int tot_flush(struct scan *s)
{
	uint32_t w = tot_width(s);
	int err = 0;

	for (uint32_t ph = 1; ph < s->tot_phases && !err; ph++)
		for (uint32_t i = 0; i < w && !err; i++) {
			uint64_t n = s->tot[(size_t)ph * w + i];
			struct vmt_an_bkey k = {i < VMT_AN_REASONS ? VMT_AN_REASON : VMT_AN_VCPU,
						i < VMT_AN_REASONS ? i : 0,
						i < VMT_AN_REASONS ? 0 : i - VMT_AN_REASONS, 0};

			err = vmt_an_tab_add(&s->r->tab, &k, ph, n);
		}
	return err;
}

/* Per phase only: the whole-run entries are folded in once at the end. */
static int count(struct vmt_an_run *r, uint32_t kind, uint32_t reason,
		 uint64_t a, uint64_t b, uint32_t phase)
{
	struct vmt_an_bkey k = {kind, reason, a, b};

	return vmt_an_tab_add(&r->tab, &k, phase, 1);
}

/*
 * The run's rowid range.  An import writes a run's events contiguously and
 * in time order, so the events at its first and last timestamps bound it,
 * found through the (run_id, ts_ns) index in O(log n).  vmt_an_load()
 * checks the count afterwards and retries with the exact min/max (a full
 * index scan) if the assumption failed.
 */
static int run_range(struct scan *s)
{
	static const char *const sql[2] = {
		"SELECT (SELECT min(event_id) FROM events WHERE run_id = ?1 AND ts_ns ="
		" (SELECT min(ts_ns) FROM events WHERE run_id = ?1)),"
		" (SELECT max(event_id) FROM events WHERE run_id = ?1 AND ts_ns ="
		" (SELECT max(ts_ns) FROM events WHERE run_id = ?1))",
		"SELECT min(event_id), max(event_id) FROM events WHERE run_id = ?1",
	};
	sqlite3_stmt *st;
	int err = prepare(s->db, sql[s->exact], &st);

	if (err)
		return err;
	sqlite3_bind_int64(st, 1, s->r->run_id);
	s->lo = 1;
	s->hi = 0;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		s->lo = sqlite3_column_int64(st, 0);
		s->hi = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (s->hi >= s->lo) {
		s->slot = calloc((size_t)(s->hi - s->lo + 1), sizeof(*s->slot));
		if (!s->slot)
			return -ENOMEM;
	}
	return 0;
}

/* Apply the global markers up to @ts to every vCPU. */
static void apply_markers(struct scan *s, uint64_t ts)
{
	while (s->m.next < s->m.n && s->m.ts[s->m.next] <= ts) {
		for (uint32_t v = 0; v < s->t.nv; v++)
			tracker_move(&s->t, s->r, v, s->m.phase[s->m.next],
				     s->m.ts[s->m.next]);
		s->m.next++;
	}
}

/*
 * The name the recording gave marker @code (vmtrail-record --phase-names,
 * table phase_names), else "request CODE".  A database made before the
 * table existed has no names: the statement then fails to prepare once.
 */
static int marker_name(struct scan *s, uint64_t code, char *out, size_t cap)
{
	int err = 0;

	if (!s->pname_tried) {
		s->pname_tried = 1;
		if (sqlite3_prepare_v2(s->db, "SELECT name FROM phase_names WHERE"
				       " run_id = ?1 AND code = ?2", -1, &s->pname,
				       NULL) != SQLITE_OK)
			s->pname = NULL;
	}
	snprintf(out, cap, "request %" PRIu64, code);
	if (!s->pname)
		return 0;
	sqlite3_bind_int64(s->pname, 1, s->r->run_id);
	sqlite3_bind_int64(s->pname, 2, (int64_t)code);
	if (sqlite3_step(s->pname) == SQLITE_ROW) {
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(s->pname, 0));
		err = vmt_an_names_add(&s->r->names, code, out);
	}
	sqlite3_reset(s->pname);
	return err;
}

static int guest_marker(struct scan *s, uint32_t v, uint64_t code, uint64_t ts)
{
	char name[VMT_PHASE_NAME_MAX + 24];
	int ph;

	ph = marker_name(s, code, name, sizeof(name));
	if (!ph)
		ph = phase_id(s->r, name);
	if (ph < 0)
		return ph;
	tracker_move(&s->t, s->r, v, ph, ts);
	return 0;
}

/* ---- MSR_LSTAR, per vCPU ------------------------------------------------ */

static int load_lstar_writes(struct scan *s)
{
	sqlite3_stmt *st;
	int err = prepare(s->db, "SELECT event_id, new_value FROM mov_to_msr"
				 " WHERE event_id BETWEEN ?1 AND ?2 AND msr = ?3"
				 " AND new_value IS NOT NULL ORDER BY event_id", &st);

	if (err)
		return err;
	sqlite3_bind_int64(st, 1, s->lo);
	sqlite3_bind_int64(st, 2, s->hi);
	sqlite3_bind_int64(st, 3, MSR_LSTAR);
	while (!err && sqlite3_step(st) == SQLITE_ROW) {
		int64_t *id = realloc(s->w.id, (s->w.n + 1) * sizeof(*id));
		uint64_t *v = realloc(s->w.value, (s->w.n + 1) * sizeof(*v));

		if (id)
			s->w.id = id;
		if (v)
			s->w.value = v;
		if (!id || !v) {
			err = -ENOMEM;
			break;
		}
		s->w.id[s->w.n] = sqlite3_column_int64(st, 0);
		s->w.value[s->w.n++] = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (!err)
		err = prepare(s->db, "SELECT vmt_reg(entry, 'msr_lstar') FROM event_regs"
				     " WHERE event_id = ?1", &s->regs);
	return err;
}

/* MSR_LSTAR as event @id of vCPU @v saw it; *known = 0 if nobody knows. */
static uint64_t lstar_at(struct scan *s, uint32_t v, int64_t id, int *known)
{
	if (!s->lstar_state[v]) {
		s->lstar_state[v] = 2;
		sqlite3_bind_int64(s->regs, 1, id);
		if (sqlite3_step(s->regs) == SQLITE_ROW &&
		    sqlite3_column_type(s->regs, 0) != SQLITE_NULL) {
			s->lstar[v] = (uint64_t)sqlite3_column_int64(s->regs, 0);
			s->lstar_state[v] = 1;
		}
		sqlite3_reset(s->regs);
	}
	*known = s->lstar_state[v] == 1;
	return s->lstar[v];
}

/* A recorded write takes effect after its own event. */
static void lstar_written(struct scan *s, uint32_t v, int64_t id)
{
	while (s->w.next < s->w.n && s->w.id[s->w.next] <= id) {
		if (s->w.id[s->w.next] == id) {
			s->lstar[v] = s->w.value[s->w.next];
			s->lstar_state[v] = 1;
		}
		s->w.next++;
	}
}

/* ---- one event row ---------------------------------------------------- */

/* Keys the events row alone decides (columns: see scan_events()). */
static int row_keys(struct scan *s, sqlite3_stmt *st, uint32_t v, uint32_t reason,
		    uint32_t ph, struct slot *sl)
{
	int64_t id = sqlite3_column_int64(st, 0);
	uint64_t rip = (uint64_t)sqlite3_column_int64(st, 4);
	uint64_t rax = (uint64_t)sqlite3_column_int64(st, 5);
	int known = 0, entry;

	switch (reason) {
	case VMT_REASON_GUEST_REQUEST:
		return count(s->r, VMT_AN_KEY, reason, rax, 0, ph);
	case VMT_REASON_DEBUG_EXCEPTION:
	case VMT_REASON_SINGLESTEP:
		return count(s->r, VMT_AN_KEY, reason, rip, 0, ph);
	case VMT_REASON_SOFTWARE_BREAKPOINT:
	case VMT_REASON_MEM_ACCESS:
		entry = sqlite3_column_type(st, 4) != SQLITE_NULL &&
			rip == lstar_at(s, v, id, &known) && known;
		if (reason == VMT_REASON_MEM_ACCESS) {
			if (sl)
				sl->sysno = !entry ? NO_SYSCALL
					    : rax < VMT_AN_SYSNO_MAX ? (uint16_t)rax : VMT_AN_SYSNO_MAX;
			return 0;
		}
		return entry ? count(s->r, VMT_AN_KEY, reason, rax, VMT_AN_KEY_SYSCALL, ph)
			     : count(s->r, VMT_AN_KEY, reason, rip, 0, ph);
	default:
		return 0;
	}
}

static int one_event(struct scan *s, sqlite3_stmt *st)
{
	struct vmt_an_run *r = s->r;
	int64_t id = sqlite3_column_int64(st, 0);
	uint64_t ts = (uint64_t)sqlite3_column_int64(st, 1);
	uint32_t v = (uint32_t)sqlite3_column_int64(st, 2) % s->t.nv;
	uint32_t reason = (uint32_t)sqlite3_column_int64(st, 3);
	uint32_t ph, rb = reason < VMT_AN_REASONS ? reason : 0;
	uint64_t span = r->duration_s > 0 ? (uint64_t)(r->duration_s * 1e9) : 1;
	struct slot *sl = id >= s->lo && id <= s->hi ? &s->slot[id - s->lo] : NULL;
	int err;

	apply_markers(s, ts);
	if (reason == VMT_REASON_GUEST_REQUEST &&
	    (uint64_t)sqlite3_column_int64(st, 6) == GR_MARKER_MAGIC) {
		err = guest_marker(s, v, (uint64_t)sqlite3_column_int64(st, 5), ts);
		if (err)
			return err;
	}
	ph = (uint32_t)s->t.cur[v] + 1;
	if (sl)
		sl->phase = (uint16_t)ph;
	r->buckets[rb][ts >= span ? VMT_AN_BUCKETS - 1 : ts * VMT_AN_BUCKETS / span]++;
	r->phases[ph - 1].events++;
	s->scanned++;
	err = reason < VMT_AN_REASONS ? 0 : count(r, VMT_AN_REASON, reason, 0, 0, ph);
	if (!err)
		err = tot_add(s, ph, reason, v);
	if (!err)
		err = row_keys(s, st, v, reason, ph, sl);
	if (reason == VMT_REASON_MOV_TO_MSR)
		lstar_written(s, v, id);
	if (!err && s->with_spaces && sqlite3_column_type(st, 7) != SQLITE_NULL) {
		struct vmt_an_bkey k = {VMT_AN_SPACE, 0, (uint64_t)sqlite3_column_int64(st, 7), 0};

		err = vmt_an_tab_add(&r->tab, &k, 0, 1);
	}
	return err;
}

static int scan_events(struct scan *s)
{
	sqlite3_stmt *st;
	char sql[256];
	int err, rc;

	/* rbx and cr3 only where used: in schema 4 each is a lookup per row */
	snprintf(sql, sizeof(sql), "SELECT event_id, ts_ns, vcpu, reason, rip, rax,"
		 " CASE reason WHEN %d THEN rbx END%s FROM events"
		 " WHERE event_id BETWEEN ?2 AND ?3 AND +run_id = ?1 ORDER BY event_id",
		 VMT_REASON_GUEST_REQUEST, s->with_spaces ? ", cr3" : "");
	err = prepare(s->db, sql, &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, s->r->run_id);
	sqlite3_bind_int64(st, 2, s->lo);
	sqlite3_bind_int64(st, 3, s->hi);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW)
		err = one_event(s, st);
	if (!err && rc != SQLITE_DONE)
		err = sql_err(s->db, "events scan");
	sqlite3_finalize(st);
	return err;
}

/* ---- detail tables ------------------------------------------------------
 * Each query returns (event_id, a, b) over the run's rowid range: the keys
 * of keys.c in SQLite's dialect.
 */
static void detail_sql(const struct vmt_an_detail_key *k, char *out, size_t cap)
{
	char b[320];

	switch (k->b_rule) {
	case VMT_AN_B_ZERO:
		snprintf(b, sizeof(b), "0");
		break;
	case VMT_AN_B_COLUMN:
		snprintf(b, sizeof(b), "\"%s\"", k->b);
		break;
	case VMT_AN_B_ACCESS:
		snprintf(b, sizeof(b), "\"%s\" & 7", k->b);
		break;
	case VMT_AN_B_CR_BITS:
		/* SQLite has no XOR: (x | y) & ~(x & y), overflow-free */
		snprintf(b, sizeof(b), "CASE WHEN \"%s\" = 1 THEN 0 ELSE"
			 " (coalesce(\"%s\", 0) | coalesce(\"%s\", 0))"
			 " & ~(coalesce(\"%s\", 0) & coalesce(\"%s\", 0)) END",
			 k->a, k->b, k->b2, k->b, k->b2);
		break;
	}
	snprintf(out, cap, "SELECT event_id, \"%s\", %s FROM %s", k->a, b, k->table);
}

/* RIP of one event: asked only for execute faults away from the entry. */
static int rip_of(struct scan *s, sqlite3_stmt **st, int64_t id, uint64_t *rip)
{
	int err = *st ? 0 : prepare(s->db, "SELECT rip FROM events WHERE event_id = ?1", st);

	if (err)
		return err;
	sqlite3_bind_int64(*st, 1, id);
	*rip = sqlite3_step(*st) == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(*st, 0) : 0;
	sqlite3_reset(*st);
	return 0;
}

/* An execute fault is keyed by the syscall number when the event scan saw
 * it at the syscall entry, else by its RIP; other accesses by gfn + kind. */
static int detail_key(struct scan *s, sqlite3_stmt **rip_st,
		      const struct vmt_an_detail_key *k, int64_t id, uint64_t *a, uint64_t *b)
{
	const struct slot *sl = &s->slot[id - s->lo];

	if (!k->exec_rekey || !(*b & VMT_MEM_ACCESS_X))
		return 0;
	if (sl->sysno != NO_SYSCALL) {
		*a = sl->sysno;
		*b = VMT_AN_KEY_SYSCALL;
		return 0;
	}
	*b = VMT_AN_KEY_EXEC;
	return rip_of(s, rip_st, id, a);
}

static int scan_detail(struct scan *s, const struct vmt_an_detail_key *d)
{
	char sql[512];
	sqlite3_stmt *st, *rip_st = NULL;
	int err, rc;

	detail_sql(d, sql, sizeof(sql));
	snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), " WHERE event_id BETWEEN ?1 AND ?2");
	err = prepare(s->db, sql, &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, s->lo);
	sqlite3_bind_int64(st, 2, s->hi);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t ev = sqlite3_column_int64(st, 0);
		uint64_t a = (uint64_t)sqlite3_column_int64(st, 1);
		uint64_t b = (uint64_t)sqlite3_column_int64(st, 2);

		err = detail_key(s, &rip_st, d, ev, &a, &b);
		if (!err)
			err = count(s->r, VMT_AN_KEY, d->reason, a, b, s->slot[ev - s->lo].phase);
	}
	if (!err && rc != SQLITE_DONE)
		err = sql_err(s->db, "detail scan");
	sqlite3_finalize(st);
	sqlite3_finalize(rip_st);
	return err;
}

/* ---- the observer ledger ------------------------------------------------ */

static int64_t scalar(sqlite3 *db, const char *sql, int64_t run_id)
{
	sqlite3_stmt *st;
	int64_t v = 0;

	if (prepare(db, sql, &st))
		return 0;
	sqlite3_bind_int64(st, 1, run_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int vmt_an_load_ledger(sqlite3 *db, struct vmt_an_run *r)
{
	uint64_t end = (uint64_t)(r->duration_s * 1e9);

	/* a paused vCPU waits from its request to the response that frees it */
	r->paused_ns = (uint64_t)scalar(db,
		"SELECT coalesce(sum(latency_ns), 0) FROM responses"
		" WHERE run_id = ?1 AND flags & 1 AND latency_ns > 0", r->run_id);
	/* gaps with an open bound reach the run's start or end */
	r->gap_ns = (uint64_t)scalar(db,
		"SELECT coalesce(sum(max(0, coalesce(last_ns, ?2) -"
		" coalesce(first_ns, 0))), 0) FROM gaps WHERE run_id = ?1"
		" AND (first_ns IS NOT NULL OR last_ns IS NOT NULL)", r->run_id);
	if (r->gap_ns > end)
		r->gap_ns = end;
	return 0;
}

/* ---- entry points ------------------------------------------------------- */


/* ---- entry point ---------------------------------------------------------- */

static int scan_all(struct scan *s)
{
	uint32_t nv = s->r->vcpus;
	int err = run_range(s);

	if (!err)
		err = phase_id(s->r, "(start)") < 0 ? -ENOMEM : 0;
	if (!err)
		s->r->phases[0].entered = 1;
	if (!err)
		err = load_markers(s->db, s->r, &s->m);
	if (!err)
		err = tracker_init(&s->t, nv);
	s->lstar = calloc(nv, sizeof(*s->lstar));
	s->lstar_state = calloc(nv, 1);
	if (!err && (!s->lstar || !s->lstar_state))
		err = -ENOMEM;
	if (!err)
		err = load_lstar_writes(s);
	if (!err)
		err = scan_events(s);
	for (size_t i = 0; !err && s->slot && i < VMT_AN_DETAIL_KEYS; i++)
		err = scan_detail(s, &vmt_an_detail_keys[i]);
	if (!err)
		err = tot_flush(s);
	if (!err)
		err = vmt_an_tab_fold(&s->r->tab);
	if (!err) {
		apply_markers(s, UINT64_MAX);
		tracker_finish(&s->t, s->r, (uint64_t)(s->r->duration_s * 1e9));
	}
	return err;
}

static void scan_free(struct scan *s)
{
	free(s->tot);
	free(s->slot);
	free(s->m.ts);
	free(s->m.phase);
	free(s->w.id);
	free(s->w.value);
	free(s->lstar);
	free(s->lstar_state);
	sqlite3_finalize(s->regs);
	sqlite3_finalize(s->pname);
	tracker_free(&s->t);
}

static int load_run(sqlite3 *db, int64_t run_id, const char *name, int with_spaces,
		    int exact, struct vmt_an_run **out, uint64_t *scanned)
{
	struct vmt_an_run *r = calloc(1, sizeof(*r));
	struct scan s = {.db = db, .r = r, .with_spaces = with_spaces, .exact = exact};
	int err;

	if (!r)
		return -ENOMEM;
	r->run_id = run_id;
	r->db = db;
	r->name = strdup(name);
	err = r->name ? load_facts(db, r) : -ENOMEM;
	if (!err)
		err = scan_all(&s);
	*scanned = s.scanned;
	scan_free(&s);
	if (err) {
		vmt_an_run_free(r);
		return err;
	}
	*out = r;
	return 0;
}

int vmt_an_load(sqlite3 *db, int64_t run_id, const char *name,
		int with_spaces, struct vmt_an_run **out)
{
	uint64_t scanned;
	int err = load_run(db, run_id, name, with_spaces, 0, out, &scanned);

	/* a run whose time order is not its import order: take the exact range */
	if (!err && scanned != (*out)->events) {
		vmt_an_run_free(*out);
		err = load_run(db, run_id, name, with_spaces, 1, out, &scanned);
	}
	return err;
}

/* ---- for load_ch.c: the same phase bookkeeping over other sources ---- */

int vmt_an_phase_id(struct vmt_an_run *r, const char *name)
{
	return phase_id(r, name);
}

struct vmt_an_tracker {
	struct tracker t;
};

struct vmt_an_tracker *vmt_an_tracker_new(uint32_t vcpus)
{
	struct vmt_an_tracker *t = calloc(1, sizeof(*t));

	if (t && tracker_init(&t->t, vcpus)) {
		tracker_free(&t->t);
		free(t);
		t = NULL;
	}
	return t;
}

void vmt_an_tracker_move(struct vmt_an_tracker *t, struct vmt_an_run *r,
			 uint32_t v, int phase, uint64_t ts)
{
	tracker_move(&t->t, r, v, phase, ts);
}

void vmt_an_tracker_end(struct vmt_an_tracker *t, struct vmt_an_run *r, uint64_t end)
{
	if (r)
		tracker_finish(&t->t, r, end);
	tracker_free(&t->t);
	free(t);
}
