/*
 * load_ch.c - runs reduced to counts by ClickHouse (replay/CLICKHOUSE.md):
 * the same struct vmt_an_run that load.c builds from SQLite, with the same
 * behaviour keys, phases and buckets, but every per-event count is a GROUP
 * BY on the server.  The client reads only what is few per run: the
 * markers, the guest-request markers, the MSR_LSTAR writes and one raw
 * entry per vCPU; from them it builds each vCPU's phase and MSR_LSTAR
 * timelines and sends them back inside the queries as array constants, so
 * the server can give each event its phase and tell a syscall entry.
 * Client memory is the grouped rows: it does not grow with the events.
 *
 * Where load.c walks events in order, here the order is made explicit: a
 * global marker takes effect at the first event (in sequence order) whose
 * time reaches it, a guest-request marker at its own event, both before
 * that event is counted; an MSR_LSTAR write takes effect after its own
 * event.  That gives the same phase and key to every event.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_int.h"
#include "keys.h"
#include "load.h"
#include "vmt/clickhouse.h"
#include "vmt/event.h"

#define GR_MARKER_MAGIC 0x564d54 /* as load.c */
#define MSR_LSTAR 0xc0000082u
#define MAX_VCPUS 4096
#define NO_POS INT64_MAX

/* A move of one vCPU (guest marker) or of all (global marker). */
struct move {
	int64_t pos;       /* sequence number of the first event it applies to */
	int global;
	uint32_t v;
	int phase;
	uint64_t ts;
	size_t order;      /* reading order: ties keep it */
};

struct lstar_write {
	int64_t seq;
	uint32_t v;
	int64_t value;
};

struct chload {
	struct vmt_ch *c;
	struct vmt_an_run *r;
	int64_t id;
	uint32_t nv;
	struct move *m;
	size_t nm, ng;          /* moves; of which global (first ng) */
	struct lstar_write *w;
	size_t nw;
	int64_t *first_id;      /* per vCPU: event whose entry gives MSR_LSTAR */
	int64_t *lstar;         /* per vCPU, from that entry */
	uint8_t *known;
	char *ph_expr, *entry_expr;
	char **names;           /* phase_names of the run: [i] for codes[i] */
	int64_t *codes;
	size_t nnames;
	struct vmt_an_sort *out; /* a diff's: the counts, sorted on disk; NULL:
				  * into the run's table */
	struct vmt_an_spill *kept; /* a diff's keys that may reach its rare
				    * floor; the others pool (NULL: none) */
};

static int grow(void **p, size_t n, size_t sz)
{
	void *q = realloc(*p, (n + 1) * sz);

	if (!q)
		return -ENOMEM;
	*p = q;
	return 0;
}

static int64_t num(const char *s)
{
	return s[0] == '\\' && s[1] == 'N' ? 0 : strtoll(s, NULL, 10);
}

static int is_null(const char *s)
{
	return s[0] == '\\' && s[1] == 'N';
}

/* ---- facts ---- */

static int fact_row(void *ctx, char **col, size_t n)
{
	struct vmt_an_run *r = ctx;

	if (n < 11)
		return -EIO;
	r->abi_version = (uint32_t)num(col[0]);
	r->vcpus = (uint32_t)num(col[1]);
	r->monitors = strdup(col[2]);
	r->labels = strdup(col[3]);
	r->uuid = strdup(col[4]);
	r->domain = strdup(col[5]);
	r->duration_s = (double)num(col[6]) / 1e9;
	r->first_ns = (uint64_t)num(col[7]);
	r->last_ns = (uint64_t)num(col[8]);
	r->lost = (uint64_t)num(col[9]);
	r->events = (uint64_t)num(col[10]);
	return 0;
}

static int load_facts(struct chload *l)
{
	struct vmt_an_run *r = l->r;
	char sql[512];
	int err;

	snprintf(sql, sizeof(sql), "SELECT abi_version, vcpus, monitors, labels, uuid,"
		 " domain_name, duration_ns, first_ts_ns, last_ts_ns, lost, imported_events"
		 " FROM runs WHERE run_id = %" PRId64 " LIMIT 1", l->id);
	err = vmt_ch_select(l->c, sql, fact_row, r);
	if (err)
		return err;
	if (!r->uuid)
		return -ENOENT;
	if (!r->monitors || !r->labels || !r->domain)
		return -ENOMEM;
	if ((double)r->last_ns / 1e9 > r->duration_s)
		r->duration_s = (double)r->last_ns / 1e9;
	if (r->vcpus == 0 || r->vcpus > MAX_VCPUS)
		r->vcpus = r->vcpus ? MAX_VCPUS : 1;
	l->nv = r->vcpus;
	return 0;
}

/* ---- phase moves ---- */

static int add_move(struct chload *l, int64_t pos, int global, uint32_t v,
		    const char *name, uint64_t ts)
{
	int ph = vmt_an_phase_id(l->r, name);

	if (ph < 0)
		return ph;
	if (grow((void **)&l->m, l->nm, sizeof(*l->m)))
		return -ENOMEM;
	l->m[l->nm] = (struct move){ pos, global, v, ph, ts, l->nm };
	l->nm++;
	return 0;
}

static int marker_row(void *ctx, char **col, size_t n)
{
	struct chload *l = ctx;

	return n < 2 ? -EIO : add_move(l, NO_POS, 1, 0, col[1], (uint64_t)num(col[0]));
}

static int name_row(void *ctx, char **col, size_t n)
{
	struct chload *l = ctx;

	if (n < 2)
		return -EIO;
	if (grow((void **)&l->names, l->nnames, sizeof(*l->names)) ||
	    grow((void **)&l->codes, l->nnames, sizeof(*l->codes)) ||
	    !(l->names[l->nnames] = strdup(col[1])))
		return -ENOMEM;
	l->codes[l->nnames++] = num(col[0]);
	return vmt_an_names_add(&l->r->names, (uint64_t)num(col[0]), col[1]);
}

/* A guest marker's phase: the name the recording gave its code
 * (phase_names), else "request CODE", as load.c names it. */
static int guest_row(void *ctx, char **col, size_t n)
{
	struct chload *l = ctx;
	char name[600];

	if (n < 4)
		return -EIO;
	snprintf(name, sizeof(name), "request %" PRIu64, (uint64_t)num(col[3]));
	for (size_t i = 0; i < l->nnames; i++)
		if (l->codes[i] == num(col[3]))
			snprintf(name, sizeof(name), "%s", l->names[i]);
	return add_move(l, num(col[0]), 0, (uint32_t)num(col[2]) % l->nv, name,
			(uint64_t)num(col[1]));
}

static int first_seq_row(void *ctx, char **col, size_t n)
{
	int64_t *pos = ctx;
	char *p = col[0];

	/* [a,b,c]: the first event at or after each marker's time */
	for (size_t i = 0; p && *p; i++) {
		p += strspn(p, "[,");
		if (*p == ']' || !*p)
			break;
		pos[i] = strtoll(p, &p, 10);
	}
	return 0;
}

/* Where each global marker takes effect: the first event, in sequence
 * order, whose time reaches it and every marker before it. */
static int place_globals(struct chload *l)
{
	char *sql;
	size_t len;
	FILE *f;
	int64_t *pos;
	uint64_t reach = 0;
	int err;

	if (!l->ng)
		return 0;
	pos = calloc(l->ng, sizeof(*pos));
	f = open_memstream(&sql, &len);
	if (!pos || !f) {
		free(pos);
		if (f)
			fclose(f);
		return -ENOMEM;
	}
	/* (lambdas see only their arguments in older servers: replicate()) */
	fputs("SELECT minForEach(arrayMap((m, t, s) -> if(t >= m, s, toInt64(9223372036854775807)), [", f);
	for (size_t i = 0; i < l->ng; i++) {
		reach = l->m[i].ts > reach ? l->m[i].ts : reach;
		fprintf(f, "%s%" PRId64, i ? "," : "", (int64_t)reach);
	}
	fprintf(f, "] AS ms, replicate(ts_ns, ms), replicate(seq, ms))) FROM events"
		" WHERE run_id = %" PRId64, l->id);
	fclose(f);
	for (size_t i = 0; i < l->ng; i++)
		pos[i] = NO_POS;
	err = vmt_ch_select(l->c, sql, first_seq_row, pos);
	for (size_t i = 0; i < l->ng; i++)
		l->m[i].pos = pos[i];
	free(pos);
	free(sql);
	return err;
}

/* Global before guest at the same event, as load.c applies them. */
static int move_cmp(const void *a, const void *b)
{
	const struct move *x = a, *y = b;

	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	if (x->global != y->global)
		return x->global ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int load_moves(struct chload *l)
{
	char sql[512];
	int err;

	if (vmt_an_phase_id(l->r, "(start)") < 0)
		return -ENOMEM;
	l->r->phases[0].entered = 1;
	snprintf(sql, sizeof(sql), "SELECT ts_ns, text FROM markers WHERE run_id = %" PRId64
		 " ORDER BY seq", l->id);
	err = vmt_ch_select(l->c, sql, marker_row, l);
	l->ng = l->nm;
	if (!err)
		err = place_globals(l);
	snprintf(sql, sizeof(sql), "SELECT code, name FROM phase_names WHERE run_id = %"
		 PRId64, l->id);
	if (!err)
		err = vmt_ch_select(l->c, sql, name_row, l);
	snprintf(sql, sizeof(sql), "SELECT seq, ts_ns, vcpu, ifNull(rax, 0) FROM events"
		 " WHERE run_id = %" PRId64 " AND reason = %d AND rbx = %d ORDER BY event_id",
		 l->id, VMT_REASON_GUEST_REQUEST, GR_MARKER_MAGIC);
	if (!err)
		err = vmt_ch_select(l->c, sql, guest_row, l);
	if (!err && l->nm)
		qsort(l->m, l->nm, sizeof(*l->m), move_cmp);
	return err;
}

/* Exposures: the moves replayed in order, as load.c's scan makes them. */
static int phase_times(struct chload *l)
{
	struct vmt_an_tracker *t = vmt_an_tracker_new(l->nv);

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < l->nm; i++)
		for (uint32_t v = 0; v < l->nv; v++)
			if (l->m[i].global || l->m[i].v == v)
				vmt_an_tracker_move(t, l->r, v, l->m[i].phase, l->m[i].ts);
	vmt_an_tracker_end(t, l->r, (uint64_t)(l->r->duration_s * 1e9));
	return 0;
}

/* ---- MSR_LSTAR per vCPU ---- */

static int first_row(void *ctx, char **col, size_t n)
{
	struct chload *l = ctx;
	uint32_t v = (uint32_t)num(col[0]);

	if (n < 2 || v >= l->nv)
		return -EIO;
	l->first_id[v] = num(col[1]);
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One raw entry (hex): MSR_LSTAR for every vCPU whose first event it is. */
static int entry_row(void *ctx, char **col, size_t n)
{
	struct chload *l = ctx;
	size_t len = n < 2 ? 0 : strlen(col[1]) / 2;
	uint8_t *raw = malloc(len + 1);
	struct vmt_event ev;
	int64_t id = num(col[0]);

	if (!raw)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++)
		raw[i] = (uint8_t)(hexval(col[1][2 * i]) << 4 | hexval(col[1][2 * i + 1]));
	if (len && !vmt_event_decode(raw, len, &ev) &&
	    (ev.reg_present >> VMT_REG_MSR_LSTAR & 1))
		for (uint32_t v = 0; v < l->nv; v++)
			if (l->first_id[v] == id) {
				l->lstar[v] = (int64_t)ev.reg[VMT_REG_MSR_LSTAR];
				l->known[v] = 1;
			}
	free(raw);
	return 0;
}

static int write_row(void *ctx, char **col, size_t n)
{
	struct chload *l = ctx;

	if (n < 3)
		return -EIO;
	if (grow((void **)&l->w, l->nw, sizeof(*l->w)))
		return -ENOMEM;
	l->w[l->nw++] = (struct lstar_write){ num(col[0]), (uint32_t)num(col[1]) % l->nv,
					      num(col[2]) };
	return 0;
}

static int load_lstar(struct chload *l)
{
	char sql[1024], *ids;
	size_t len;
	FILE *f;
	int err;

	l->first_id = malloc(l->nv * sizeof(*l->first_id));
	l->lstar = calloc(l->nv, sizeof(*l->lstar));
	l->known = calloc(l->nv, 1);
	if (!l->first_id || !l->lstar || !l->known)
		return -ENOMEM;
	for (uint32_t v = 0; v < l->nv; v++)
		l->first_id[v] = -1;
	snprintf(sql, sizeof(sql), "SELECT vcpu %% %u AS v, min(event_id) FROM events"
		 " WHERE run_id = %" PRId64 " AND reason IN (%d, %d) AND rip IS NOT NULL"
		 " GROUP BY v", l->nv, l->id, VMT_REASON_MEM_ACCESS,
		 VMT_REASON_SOFTWARE_BREAKPOINT);
	err = vmt_ch_select(l->c, sql, first_row, l);
	if (err || !(f = open_memstream(&ids, &len)))
		return err ? err : -ENOMEM;
	fprintf(f, "SELECT event_id, hex(entry) FROM event_regs WHERE run_id = %" PRId64
		" AND event_id IN (-1", l->id);
	for (uint32_t v = 0; v < l->nv; v++)
		if (l->first_id[v] >= 0)
			fprintf(f, ",%" PRId64, l->first_id[v]);
	fputs(")", f);
	fclose(f);
	err = vmt_ch_select(l->c, ids, entry_row, l);
	free(ids);
	snprintf(sql, sizeof(sql), "SELECT seq, vcpu, new_value FROM mov_to_msr"
		 " ANY INNER JOIN (SELECT event_id, seq, vcpu FROM events"
		 " WHERE run_id = %" PRId64 " AND reason = %d) USING event_id"
		 " WHERE run_id = %" PRId64 " AND msr = %u AND new_value IS NOT NULL"
		 " ORDER BY seq", l->id, VMT_REASON_MOV_TO_MSR, l->id, MSR_LSTAR);
	if (!err)
		err = vmt_ch_select(l->c, sql, write_row, l);
	return err;
}

/* ---- the per-event expressions the queries use ---- */

/* [[a,b],[c],...]: per vCPU, a sentinel then the items of that vCPU. */
typedef void (*item_fn)(FILE *f, const struct chload *l, uint32_t v, size_t i, int first);

static void per_vcpu(FILE *f, const struct chload *l, size_t n, item_fn fn,
		     int (*mine)(const struct chload *l, size_t i, uint32_t v))
{
	fputc('[', f);
	for (uint32_t v = 0; v < l->nv; v++) {
		fprintf(f, "%s[", v ? "," : "");
		fn(f, l, v, 0, 1);
		for (size_t i = 0; i < n; i++)
			if (mine(l, i, v)) {
				fputc(',', f);
				fn(f, l, v, i, 0);
			}
		fputc(']', f);
	}
	fputc(']', f);
}

static int move_mine(const struct chload *l, size_t i, uint32_t v)
{
	return l->m[i].pos != NO_POS && (l->m[i].global || l->m[i].v == v);
}

static void move_pos(FILE *f, const struct chload *l, uint32_t v, size_t i, int first)
{
	fprintf(f, "%" PRId64, first ? 0 : l->m[i].pos);
}

static void move_phase(FILE *f, const struct chload *l, uint32_t v, size_t i, int first)
{
	fprintf(f, "%d", first ? 1 : l->m[i].phase + 1);
}

static int write_mine(const struct chload *l, size_t i, uint32_t v)
{
	return l->w[i].v == v;
}

static void write_seq(FILE *f, const struct chload *l, uint32_t v, size_t i, int first)
{
	fprintf(f, "%" PRId64, first ? 0 : l->w[i].seq + 1);
}

static void write_value(FILE *f, const struct chload *l, uint32_t v, size_t i, int first)
{
	fprintf(f, "toInt64(%" PRId64 ")", first ? l->lstar[v] : l->w[i].value);
}

static void write_known(FILE *f, const struct chload *l, uint32_t v, size_t i, int first)
{
	fprintf(f, "%d", first ? l->known[v] : 1);
}

/*
 * ph_expr: the event's phase + 1 (the last move at or before its sequence
 * number on its vCPU; a leading 0 position stands for the start); entry_expr: 1 when its RIP is its vCPU's MSR_LSTAR
 * (the last write before it, else the value in the vCPU's first entry).
 */
static int build_exprs(struct chload *l)
{
	char v1[32];
	size_t len;
	FILE *f;

	snprintf(v1, sizeof(v1), "(vcpu %% %u + 1)", l->nv);
	if (!(f = open_memstream(&l->ph_expr, &len)))
		return -ENOMEM;
	fprintf(f, "arrayElement(arrayElement(");
	per_vcpu(f, l, l->nm, move_phase, move_mine);
	fprintf(f, ", %s), arrayCount((p, q) -> p <= q, arrayElement(", v1);
	per_vcpu(f, l, l->nm, move_pos, move_mine);
	fprintf(f, ", %s) AS mp, replicate(seq, mp)))", v1);
	fclose(f);
	if (!(f = open_memstream(&l->entry_expr, &len)))
		return -ENOMEM;
	fputs("(ifNull(rip = arrayElement(arrayElement(", f);
	per_vcpu(f, l, l->nw, write_value, write_mine);
	fprintf(f, ", %s), lstar_k), 0) AND arrayElement(arrayElement(", v1);
	per_vcpu(f, l, l->nw, write_known, write_mine);
	fprintf(f, ", %s), lstar_k) = 1)", v1);
	fclose(f);
	return 0;
}

/* The WITH clause naming lstar_k (how many writes precede, plus one): a
 * write at sequence s counts from s + 1 on. */
static void with_lstar_k(FILE *f, const struct chload *l)
{
	fputs("WITH arrayCount((s, q) -> s <= q, arrayElement(", f);
	per_vcpu(f, l, l->nw, write_seq, write_mine);
	fprintf(f, ", (vcpu %% %u + 1)) AS mw, replicate(seq, mw)) AS lstar_k ", l->nv);
}

/* ---- the grouped counts ---- */

static int add_entry(struct chload *l, const struct vmt_an_bkey *k, uint32_t phase,
		     uint64_t n)
{
	struct vmt_an_entry e = { *k, phase, n };

	if (!l->out)
		return vmt_an_tab_add(&l->r->tab, k, phase, n);
	vmt_an_sort_add(l->out, &e);
	return l->out->err;
}

static int add_key(struct chload *l, uint32_t kind, uint32_t reason, uint64_t a,
		   uint64_t b, uint32_t phase, uint64_t n)
{
	struct vmt_an_bkey k = { kind, reason, a, b };

	return add_entry(l, &k, phase, n);
}

/* ph, v, reason, bucket, count */
static int total_row(void *ctx, char **col, size_t n)
{
	struct chload *l = ctx;
	struct vmt_an_run *r = l->r;
	uint32_t ph = (uint32_t)num(col[0]), v = (uint32_t)num(col[1]);
	uint32_t reason = (uint32_t)num(col[2]), b = (uint32_t)num(col[3]);
	uint64_t k = (uint64_t)num(col[4]);
	int err;

	if (n < 5 || ph < 1 || ph > r->nphases || b >= VMT_AN_BUCKETS)
		return -EIO;
	r->buckets[reason < VMT_AN_REASONS ? reason : 0][b] += k;
	r->phases[ph - 1].events += k;
	err = add_key(l, VMT_AN_REASON, reason, 0, 0, ph, k);
	return err ? err : add_key(l, VMT_AN_VCPU, 0, v, 0, ph, k);
}

struct key_ctx {
	struct chload *l;
	uint32_t kind, reason;   /* reason: fixed, or UINT32_MAX from column 1 */
};

/* ph, [reason,] a, b, count (a diff pools its rare keys later: spill.c) */
static int key_row(void *ctx, char **col, size_t n)
{
	struct key_ctx *k = ctx;
	size_t c = k->reason == UINT32_MAX;
	struct vmt_an_bkey key = { k->kind, c ? (uint32_t)num(col[1]) : k->reason, 0, 0 };

	if (n < 4 + c)
		return -EIO;
	key.a = (uint64_t)num(col[1 + c]);
	key.b = (uint64_t)num(col[2 + c]);
	return add_entry(k->l, &key, (uint32_t)num(col[0]), (uint64_t)num(col[3 + c]));
}

static int query(struct chload *l, FILE *f, char **sql, vmt_ch_row_fn fn, void *ctx)
{
	int err;

	if (fclose(f))
		return -ENOMEM;
	err = vmt_ch_select(l->c, *sql, fn, ctx);
	free(*sql);
	*sql = NULL;
	return err;
}

static int count_totals(struct chload *l)
{
	uint64_t span = l->r->duration_s > 0 ? (uint64_t)(l->r->duration_s * 1e9) : 1;
	char *sql;
	size_t len;
	FILE *f = open_memstream(&sql, &len);

	if (!f)
		return -ENOMEM;
	fprintf(f, "SELECT %s AS ph, vcpu %% %u AS v, reason, if(ts_ns >= %" PRIu64
		", %d, intDiv(ts_ns * %d, %" PRIu64 ")) AS bucket, count() FROM events"
		" WHERE run_id = %" PRId64 " GROUP BY ph, v, reason, bucket",
		l->ph_expr, l->nv, span, VMT_AN_BUCKETS - 1, VMT_AN_BUCKETS, span, l->id);
	return query(l, f, &sql, total_row, l);
}

/* Keys the events row decides: guest requests, RIPs of debug events and
 * breakpoints, and breakpoints at the syscall entry (by syscall number). */
static int count_event_keys(struct chload *l)
{
	struct key_ctx k = { l, VMT_AN_KEY, UINT32_MAX };
	char *sql;
	size_t len;
	FILE *f = open_memstream(&sql, &len);

	if (!f)
		return -ENOMEM;
	with_lstar_k(f, l);
	fprintf(f, ", %s AS entry SELECT %s AS ph, reason,"
		" multiIf(reason = %d, ifNull(rax, 0), reason = %d AND entry, ifNull(rax, 0),"
		" ifNull(rip, 0)) AS a, if(reason = %d AND entry, %u, 0) AS b, count()"
		" FROM events WHERE run_id = %" PRId64 " AND reason IN (%d, %d, %d, %d)"
		" GROUP BY ph, reason, a, b",
		l->entry_expr, l->ph_expr, VMT_REASON_GUEST_REQUEST,
		VMT_REASON_SOFTWARE_BREAKPOINT, VMT_REASON_SOFTWARE_BREAKPOINT,
		VMT_AN_KEY_SYSCALL, l->id, VMT_REASON_GUEST_REQUEST,
		VMT_REASON_DEBUG_EXCEPTION, VMT_REASON_SINGLESTEP,
		VMT_REASON_SOFTWARE_BREAKPOINT);
	return query(l, f, &sql, key_row, &k);
}

/* The keys of keys.c in ClickHouse's dialect: a and b of one detail row;
 * an execute fault re-keyed by syscall number at the entry (the joined
 * event's entry flag), else by RIP. */
static void detail_exprs(FILE *f, const struct vmt_an_detail_key *k)
{
	char a[64], b[256];

	snprintf(a, sizeof(a), "ifNull(`%s`, 0)", k->a);
	switch (k->b_rule) {
	case VMT_AN_B_ZERO:
		snprintf(b, sizeof(b), "0");
		break;
	case VMT_AN_B_COLUMN:
		snprintf(b, sizeof(b), "ifNull(`%s`, 0)", k->b);
		break;
	case VMT_AN_B_ACCESS:
		snprintf(b, sizeof(b), "bitAnd(ifNull(`%s`, 0), 7)", k->b);
		break;
	case VMT_AN_B_CR_BITS:
		snprintf(b, sizeof(b), "if(ifNull(`%s` = 1, 0), 0, bitXor(ifNull(`%s`, 0), ifNull(`%s`, 0)))",
			 k->a, k->b, k->b2);
		break;
	}
	if (!k->exec_rekey) {
		fprintf(f, "%s AS a, %s AS b", a, b);
		return;
	}
	fprintf(f, "if(bitAnd(%s, %u) = 0, %s, if(entry, if(toUInt64(ifNull(rax, 0)) < %u,"
		" ifNull(rax, 0), %u), ifNull(rip, 0))) AS a, if(bitAnd(%s, %u) = 0, %s,"
		" if(entry, %u, %u)) AS b", b, VMT_MEM_ACCESS_X, a, VMT_AN_SYSNO_MAX,
		VMT_AN_SYSNO_MAX, b, VMT_MEM_ACCESS_X, b, VMT_AN_KEY_SYSCALL, VMT_AN_KEY_EXEC);
}

static int count_detail(struct chload *l, size_t i)
{
	const struct vmt_an_detail_key *d = &vmt_an_detail_keys[i];
	struct key_ctx k = { l, VMT_AN_KEY, d->reason };
	char *sql;
	size_t len;
	FILE *f = open_memstream(&sql, &len);

	if (!f)
		return -ENOMEM;
	fputs("SELECT ph, ", f);
	detail_exprs(f, d);
	fprintf(f, ", count() FROM %s ANY INNER JOIN (", d->table);
	with_lstar_k(f, l);
	fprintf(f, "SELECT event_id, %s AS ph, %s AS entry, rip, rax FROM events"
		" WHERE run_id = %" PRId64 " AND reason = %u) USING event_id"
		" WHERE run_id = %" PRId64 " GROUP BY ph, a, b",
		l->ph_expr, l->entry_expr, l->id, d->reason, l->id);
	return query(l, f, &sql, key_row, &k);
}

static int space_row(void *ctx, char **col, size_t n)
{
	return n < 2 ? -EIO : add_key(ctx, VMT_AN_SPACE, 0, (uint64_t)num(col[0]), 0, 0,
				      (uint64_t)num(col[1]));
}

static int count_spaces(struct chload *l)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT cr3, count() FROM events WHERE run_id = %" PRId64
		 " AND cr3 IS NOT NULL GROUP BY cr3", l->id);
	return vmt_ch_select(l->c, sql, space_row, l);
}

/* ---- one run ---- */

static void chload_free(struct chload *l)
{
	for (size_t i = 0; i < l->nnames; i++)
		free(l->names[i]);
	free(l->names);
	free(l->codes);
	free(l->m);
	free(l->w);
	free(l->first_id);
	free(l->lstar);
	free(l->known);
	free(l->ph_expr);
	free(l->entry_expr);
}

static int load_counts(struct chload *l, int with_spaces)
{
	int err = load_moves(l);

	if (!err)
		err = load_lstar(l);
	if (!err)
		err = build_exprs(l);
	if (!err)
		err = count_totals(l);
	if (!err)
		err = count_event_keys(l);
	for (size_t i = 0; !err && i < VMT_AN_DETAIL_KEYS; i++)
		err = count_detail(l, i);
	if (!err && with_spaces)
		err = count_spaces(l);
	if (!err && l->out) { /* a diff's: pooled and folded on the way to disk */
		err = vmt_an_sort_done(l->out);
		if (!err)
			err = vmt_an_spill_sorted(&l->r->spill, l->out, l->r->nphases + 1, 1,
						  l->kept);
	} else if (!err) {
		err = vmt_an_tab_fold(&l->r->tab);
	}
	if (!err)
		err = phase_times(l);
	return err;
}

/* The entries a diff's load sorts in memory at once (40 B each). */
#define LOAD_RUN 16384

/* @diff: the counts go to r->spill through a sort on disk, so that a load
 * holds a bounded buffer, not the run's distinct behaviours. */
static int load_run(struct vmt_ch *c, int64_t id, int with_spaces, int diff,
		    struct vmt_an_spill *kept, uint64_t floor, struct vmt_an_run **out)
{
	struct vmt_an_run *r = calloc(1, sizeof(*r));
	struct chload l = { .c = c, .r = r, .id = id, .kept = kept };
	struct vmt_an_sort sort;
	int err;

	if (!r)
		return -ENOMEM;
	r->run_id = id;
	r->pooled_below = kept ? floor : 0;
	err = load_facts(&l);
	if (!err && !(r->name = strdup(r->uuid)))
		err = -ENOMEM;
	if (!err && diff && !(err = vmt_an_sort_open(&sort, LOAD_RUN, sizeof(struct vmt_an_entry),
						     vmt_an_entry_cmp)))
		l.out = &sort;
	if (!err)
		err = load_counts(&l, with_spaces);
	if (l.out)
		vmt_an_sort_close(l.out);
	chload_free(&l);
	if (err) {
		vmt_an_run_free(r);
		return err;
	}
	*out = r;
	return 0;
}

/* ---- naming runs ---- */

struct ids {
	int64_t *v;
	size_t n;
};

static int id_row(void *ctx, char **col, size_t n)
{
	struct ids *ids = ctx;

	if (grow((void **)&ids->v, ids->n, sizeof(*ids->v)))
		return -ENOMEM;
	ids->v[ids->n++] = num(col[0]);
	return 0;
}

static int is_uuid(const char *s)
{
	size_t n = strlen(s);

	return n == 36 && strspn(s, "0123456789abcdefABCDEF-") == n;
}

/* The runs one entry of the list names, in a stable order. */
static int select_runs(struct vmt_ch *c, const char *item, struct ids *ids,
		       char *why, size_t cap)
{
	char sql[1200], q1[520], q2[520];
	const char *eq;
	char *end;
	long long id;
	int err;

	if (!strncmp(item, "label:", 6) && (eq = strchr(item + 6, '='))) {
		char key[512];

		snprintf(key, sizeof(key), "%.*s", (int)(eq - item - 6), item + 6);
		if (vmt_ch_quote(key, q1, sizeof(q1)) < 0 || vmt_ch_quote(eq + 1, q2, sizeof(q2)) < 0)
			return -E2BIG;
		snprintf(sql, sizeof(sql), "SELECT run_id FROM runs WHERE run_id IN"
			 " (SELECT run_id FROM run_labels WHERE key = %s AND value = %s)"
			 " ORDER BY start_wall_ns, uuid", q1, q2);
	} else if (is_uuid(item)) {
		vmt_ch_quote(item, q1, sizeof(q1));
		snprintf(sql, sizeof(sql), "SELECT run_id FROM runs WHERE uuid = %s", q1);
	} else {
		id = strtoll(item, &end, 10);
		if (!*item || *end) {
			snprintf(why, cap, "'%s': not a run UUID, run id or label:KEY=VALUE", item);
			return -EINVAL;
		}
		snprintf(sql, sizeof(sql), "SELECT run_id FROM runs WHERE run_id = %lld", id);
	}
	size_t before = ids->n;

	err = vmt_ch_select(c, sql, id_row, ids);
	if (!err && ids->n == before) {
		snprintf(why, cap, "no run '%s' in ClickHouse database '%s'", item,
			 vmt_ch_database(c));
		err = -ENOENT;
	}
	return err;
}

static int append_run(struct vmt_an_run ***runs, size_t *n, struct vmt_an_run *r)
{
	if (grow((void **)runs, *n, sizeof(**runs)))
		return -ENOMEM;
	(*runs)[(*n)++] = r;
	return 0;
}

/* Every run one comma-separated list names, in list order. */
static int select_list(struct vmt_ch *c, const char *list, struct ids *ids, char *why,
		       size_t cap)
{
	char *copy = strdup(list), *save, *item;
	int err = copy ? 0 : -ENOMEM;

	for (item = copy ? strtok_r(copy, ",", &save) : NULL; !err && item;
	     item = strtok_r(NULL, ",", &save))
		err = select_runs(c, item, ids, why, cap);
	free(copy);
	return err;
}

static int load_ids(struct vmt_ch *c, const struct ids *ids, int with_spaces, int diff,
		    struct vmt_an_spill *kept, uint64_t floor,
		    struct vmt_an_run ***runs, size_t *n, char *why, size_t cap)
{
	int err = 0;

	for (size_t i = 0; !err && i < ids->n; i++) {
		struct vmt_an_run *r;

		err = load_run(c, ids->v[i], with_spaces, diff, kept, floor, &r);
		if (!err && (err = append_run(runs, n, r)))
			vmt_an_run_free(r);
		if (err && !why[0])
			snprintf(why, cap, "run %" PRId64 " of ClickHouse database '%s': %s",
				 ids->v[i], vmt_ch_database(c),
				 vmt_ch_error(c)[0] ? vmt_ch_error(c) : vmt_strerror(err));
	}
	return err;
}

static int ch_why(struct vmt_ch *c, int err, char *why, size_t cap)
{
	if (err && !why[0])
		snprintf(why, cap, "ClickHouse: %s", vmt_ch_error(c)[0] ? vmt_ch_error(c)
							      : vmt_strerror(err));
	return err;
}

int vmt_an_ch_resolve(struct vmt_ch *c, const char *list, int with_spaces,
		      struct vmt_an_run ***runs, size_t *n, char *why, size_t cap)
{
	struct ids ids = { 0 };
	int err = select_list(c, list, &ids, why, cap);

	if (!err)
		err = load_ids(c, &ids, with_spaces, 0, NULL, 0, runs, n, why, cap);
	free(ids.v);
	return ch_why(c, err, why, cap);
}

/* ---- a diff's rare keys (compare.c "rare behaviours") ---- */

static void in_ids(FILE *f, const struct ids *b, const struct ids *c)
{
	fputs("run_id IN (", f);
	for (size_t i = 0; i < b->n + c->n; i++)
		fprintf(f, "%s%" PRId64, i ? "," : "", i < b->n ? b->v[i] : c->v[i - b->n]);
	fputc(')', f);
}

static int kept_row(void *ctx, char **col, size_t n)
{
	struct vmt_an_entry e = { { VMT_AN_KEY, 0, 0, 0 }, 0, 1 };

	if (n < 3)
		return -EIO;
	e.key.reason = (uint32_t)num(col[0]);
	e.key.a = (uint64_t)num(col[1]);
	e.key.b = (uint64_t)num(col[2]);
	vmt_an_sort_add(ctx, &e);
	return ((struct vmt_an_sort *)ctx)->err;
}

/* The events of these runs whose @d row is an execute fault. */
static void exec_events(FILE *f, const struct vmt_an_detail_key *d, const struct ids *b,
			const struct ids *c)
{
	in_ids(f, b, c);
	fprintf(f, " AND (run_id, event_id) IN (SELECT run_id, event_id FROM %s WHERE"
		" bitAnd(ifNull(`%s`, 0), %u) != 0 AND ", d->table, d->b, VMT_MEM_ACCESS_X);
	in_ids(f, b, c);
	fputc(')', f);
}

/* One branch per key rule of the exact queries, each an upper bound of a
 * key's events in all runs: where a key depends on the syscall entry (which
 * the exact queries tell per run), an event counts for both keys it may
 * have. */
static void bound_branches(FILE *f, const struct ids *b, const struct ids *c)
{
	fprintf(f, "SELECT toInt64(reason) AS reason, toInt64(multiIf(reason = %d, ifNull(rax, 0),"
		" ifNull(rip, 0))) AS a, toInt64(0) AS b FROM events WHERE ",
		VMT_REASON_GUEST_REQUEST);
	in_ids(f, b, c);
	fprintf(f, " AND reason IN (%d, %d, %d, %d) UNION ALL SELECT toInt64(%d), toInt64(ifNull(rax, 0)),"
		" toInt64(%u) FROM events WHERE ", VMT_REASON_GUEST_REQUEST,
		VMT_REASON_DEBUG_EXCEPTION, VMT_REASON_SINGLESTEP, VMT_REASON_SOFTWARE_BREAKPOINT,
		VMT_REASON_SOFTWARE_BREAKPOINT, VMT_AN_KEY_SYSCALL);
	in_ids(f, b, c);
	fprintf(f, " AND reason = %d", VMT_REASON_SOFTWARE_BREAKPOINT);
	for (size_t i = 0; i < VMT_AN_DETAIL_KEYS; i++) {
		const struct vmt_an_detail_key *d = &vmt_an_detail_keys[i];
		struct vmt_an_detail_key plain = *d;

		plain.exec_rekey = 0;
		fprintf(f, " UNION ALL SELECT toInt64(%u), toInt64(a), toInt64(b) FROM (SELECT ",
			d->reason);
		detail_exprs(f, &plain);
		fprintf(f, " FROM %s WHERE ", d->table);
		in_ids(f, b, c);
		fputc(')', f);
		if (!d->exec_rekey)
			continue;
		/* an execute fault: by RIP, or by syscall number at the entry */
		fprintf(f, " UNION ALL SELECT toInt64(%u), toInt64(ifNull(rip, 0)), toInt64(%u)"
			" FROM events WHERE reason = %u AND ", d->reason, VMT_AN_KEY_EXEC, d->reason);
		exec_events(f, d, b, c);
		fprintf(f, " UNION ALL SELECT toInt64(%u), toInt64(if(toUInt64(ifNull(rax, 0)) < %u,"
			" ifNull(rax, 0), %u)), toInt64(%u) FROM events WHERE reason = %u AND ",
			d->reason, VMT_AN_SYSNO_MAX, VMT_AN_SYSNO_MAX, VMT_AN_KEY_SYSCALL, d->reason);
		exec_events(f, d, b, c);
	}
}

/* The keys whose bound reaches @floor, sorted on disk: every other key is
 * seen fewer times in all these runs, and each run's load pools it. */
static int load_kept(struct vmt_ch *c, const struct ids *b, const struct ids *cand,
		     uint64_t floor, struct vmt_an_spill *kept)
{
	struct vmt_an_sort sort;
	char *sql;
	size_t len;
	FILE *f = open_memstream(&sql, &len);
	int err;

	if (!f)
		return -ENOMEM;
	fputs("SELECT reason, a, b FROM (", f);
	bound_branches(f, b, cand);
	fprintf(f, ") GROUP BY reason, a, b HAVING count() >= %" PRIu64, floor);
	if (fclose(f))
		return -ENOMEM;
	err = vmt_an_sort_open(&sort, LOAD_RUN, sizeof(struct vmt_an_entry), vmt_an_entry_cmp);
	if (!err)
		err = vmt_ch_select(c, sql, kept_row, &sort);
	free(sql);
	if (!err && !(err = vmt_an_sort_done(&sort)))
		err = vmt_an_spill_sorted(kept, &sort, 1, 0, NULL);
	vmt_an_sort_close(&sort);
	return err;
}


int vmt_an_ch_resolve_diff(struct vmt_ch *c, const char *base, const char *cand,
			   const struct vmt_an_cmp_opts *opts, struct vmt_an_run ***b,
			   size_t *nb, struct vmt_an_run ***cc, size_t *nc, char *why,
			   size_t cap)
{
	struct ids ib = { 0 }, ic = { 0 };
	struct vmt_an_spill kept = { 0 };
	uint64_t floor = 1;
	int err = select_list(c, base, &ib, why, cap);

	if (!err)
		err = select_list(c, cand, &ic, why, cap);
	if (!err && ib.n && ic.n)
		floor = vmt_an_rare_floor(ib.n, ic.n, opts);
	if (!err && floor > 1)
		err = load_kept(c, &ib, &ic, floor, &kept);
	if (!err)
		err = load_ids(c, &ib, 0, 1, floor > 1 ? &kept : NULL, floor, b, nb, why, cap);
	if (!err)
		err = load_ids(c, &ic, 0, 1, floor > 1 ? &kept : NULL, floor, cc, nc, why, cap);
	vmt_an_spill_close(&kept);
	free(ib.v);
	free(ic.v);
	return ch_why(c, err, why, cap);
}

static int scalar_row(void *ctx, char **col, size_t n)
{
	*(uint64_t *)ctx = is_null(col[0]) ? 0 : (uint64_t)num(col[0]);
	return 0;
}

int vmt_an_ch_ledger(struct vmt_ch *c, struct vmt_an_run *r)
{
	uint64_t end = (uint64_t)(r->duration_s * 1e9);
	char sql[512];
	int err;

	/* as vmt_an_load_ledger(): requests to the responses that freed them,
	 * and gaps, an open bound reaching the run's start or end */
	snprintf(sql, sizeof(sql), "SELECT sum(latency_ns) FROM responses WHERE run_id = %"
		 PRId64 " AND bitAnd(flags, 1) = 1 AND latency_ns > 0", r->run_id);
	err = vmt_ch_select(c, sql, scalar_row, &r->paused_ns);
	snprintf(sql, sizeof(sql), "SELECT sum(greatest(0, ifNull(last_ns, %" PRIu64 ")"
		 " - ifNull(first_ns, 0))) FROM gaps WHERE run_id = %" PRId64
		 " AND (first_ns IS NOT NULL OR last_ns IS NOT NULL)", end, r->run_id);
	if (!err)
		err = vmt_ch_select(c, sql, scalar_row, &r->gap_ns);
	if (r->gap_ns > end)
		r->gap_ns = end;
	return err;
}
