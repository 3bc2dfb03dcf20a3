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

#include "replay_int.h"

/* ---- tables ---- */

enum tab {
	T_EVENTS, T_REGS, T_RESPONSES, T_MARKERS, T_NOTES, T_RING_STATS,
	T_GAPS, T_PROCESSES, T_DETAIL,
	T_COUNT = T_DETAIL + VMT_REASON_COUNT
};

#define EVENT_FIXED 9       /* events columns before the key registers */
#define MAX_COLS 24

struct tabspec {
	const char *name;
	const char *cols[MAX_COLS];
};

static const struct tabspec fixed_tabs[T_DETAIL] = {
	[T_EVENTS] = { "events", { "event_id", "run_id", "seq", "ts_ns", "vcpu",
				   "reason", "flags", "altp2m_idx", "process_id" } },
	[T_REGS] = { "event_regs", { "event_id", "entry" } },
	[T_RESPONSES] = { "responses", { "run_id", "seq", "event_id", "ts_ns",
					 "latency_ns", "vcpu", "flags", "altp2m_idx",
					 "set_regs", "new_rip", "p2midx" } },
	[T_MARKERS] = { "markers", { "run_id", "seq", "ts_ns", "text" } },
	[T_NOTES] = { "notes", { "run_id", "seq", "ts_ns", "text" } },
	[T_RING_STATS] = { "ring_stats", { "run_id", "seq", "ts_ns", "occupancy",
					   "handled", "batch_ns", "backpressure_ns" } },
	[T_GAPS] = { "gaps", { "run_id", "kind", "chunk", "first_seq", "last_seq",
			       "first_ns", "last_ns", "count", "cause" } },
	[T_PROCESSES] = { "processes", { "process_id", "run_id", "cr3", "epoch",
					 "first_ns", "last_ns", "first_seq",
					 "last_seq", "events" } },
};

/* The spec of @t: fixed tables as above, detail tables from format/. */
static int tab_spec(int t, struct tabspec *s)
{
	int n = 0;

	if (t < T_DETAIL) {
		*s = fixed_tabs[t];
		while (n < MAX_COLS && s->cols[n])
			n++;
		if (t == T_EVENTS)
			for (size_t i = 0; i < VMT_ARRAY_SIZE(vmt_key_regs); i++)
				s->cols[n++] = vmt_reg_name(vmt_key_regs[i]);
		return n;
	} else {
		const struct vmt_detail *d = vmt_detail_of((uint32_t)(t - T_DETAIL));

		if (!d->table)
			return 0;
		*s = (struct tabspec){ d->table, { "event_id", "run_id" } };
		for (n = 0; n < d->nfields; n++)
			s->cols[n + 2] = vmt_pfield_name(d->fields[n]);
		return n + 2;
	}
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

struct sink {
	sqlite3 *db;
	int64_t run_id, event_base;
	int no_regs, threaded;
	int ncols[T_COUNT];
	struct vmt_tw tw[T_COUNT];
	struct vmt_procs procs;
	struct batch *cur;
	/* the queue */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	struct batch *full, *full_tail, *free;
	int closing, err;
};

static int consume(struct sink *s, struct batch *b)
{
	int err = 0;

	for (uint32_t r = 0; !err && r < b->nrows; r++)
		err = vmt_tw_add(&s->tw[b->tab[r]], b->cells + b->cell0[r], b->arena);
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

static int put_detail(struct sink *s, const struct vmt_event *ev, int64_t id)
{
	const struct vmt_detail *d = vmt_detail_of(ev->reason);
	struct vmt_cell *c;
	int err = 0;

	if (!d->table)
		return 0;
	c = row(s, T_DETAIL + (int)ev->reason, 0, &err);
	if (!c)
		return err;
	c[0] = cint(id);
	c[1] = cint(s->run_id);
	for (int i = 0; i < d->nfields; i++)
		c[2 + i] = copt(ev->p_present >> d->fields[i] & 1, ev->p[d->fields[i]]);
	return 0;
}

static int put_event(void *ctx, const struct vmt_record *rec,
		     const struct vmt_event *ev, uint64_t ordinal)
{
	struct sink *s = ctx;
	int64_t id = s->event_base + (int64_t)ordinal, pid = -1;
	struct vmt_cell *c;
	int err = 0;

	if (ev->reg_present >> VMT_REG_CR3 & 1) {
		pid = vmt_procs_see(&s->procs, ev->reg[VMT_REG_CR3], rec->ts_ns,
				    rec->seq);
		if (pid < 0)
			return (int)pid;
	}
	c = row(s, T_EVENTS, 0, &err);
	if (!c)
		return err;
	c[0] = cint(id);
	c[1] = cint(s->run_id);
	c[2] = cint((int64_t)rec->seq);
	c[3] = cint((int64_t)rec->ts_ns);
	c[4] = cint(ev->vcpu_id);
	c[5] = cint(ev->reason);
	c[6] = cint(ev->flags);
	c[7] = cint(ev->altp2m_idx);
	c[8] = copt(pid >= 0, (uint64_t)pid);
	for (size_t i = 0; i < VMT_ARRAY_SIZE(vmt_key_regs); i++)
		c[EVENT_FIXED + i] = copt(ev->reg_present >> vmt_key_regs[i] & 1,
					  ev->reg[vmt_key_regs[i]]);
	if (!s->no_regs) {
		c = row(s, T_REGS, rec->size, &err);
		if (!c)
			return err;
		c[0] = cint(id);
		c[1] = cbytes(s, VMT_CELL_BLOB, rec->data, rec->size);
	}
	return put_detail(s, ev, id);
}

static int put_response(void *ctx, const struct vmt_record *rec,
			const struct vmt_walk_rsp *r)
{
	struct sink *s = ctx;
	const struct vmt_event *ev = r->ev;
	int known = r->req_ordinal >= 0, err = 0;
	int setregs = !!(ev->flags & VMT_FLAG_SET_REGISTERS);
	struct vmt_cell *c = row(s, T_RESPONSES, 0, &err);

	if (!c)
		return err;
	c[0] = cint(s->run_id);
	c[1] = cint((int64_t)rec->seq);
	c[2] = copt(known, (uint64_t)(s->event_base + r->req_ordinal));
	c[3] = cint((int64_t)rec->ts_ns);
	c[4] = copt(known, r->latency_ns);
	c[5] = cint(ev->vcpu_id);
	c[6] = cint(ev->flags);
	c[7] = copt(ev->flags & VMT_FLAG_ALTERNATE_P2M, ev->altp2m_idx);
	c[8] = copt(known && r->has_set_regs, r->set_regs);
	c[9] = copt(setregs && (ev->reg_present >> VMT_REG_RIP & 1),
		    ev->reg[VMT_REG_RIP]);
	c[10] = copt(ev->p_present >> VMT_P_FAST_SINGLESTEP_P2MIDX & 1,
		     ev->p[VMT_P_FAST_SINGLESTEP_P2MIDX]);
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
	int n = 512 / ncols;

	return n < 1 ? 1 : n;
}

static int sink_open(struct sink *s, sqlite3 *db)
{
	struct tabspec spec;
	int want_thread = s->threaded, err = 0;

	s->threaded = 0;

	for (int t = 0; !err && t < T_COUNT; t++) {
		s->ncols[t] = tab_spec(t, &spec);
		if (s->ncols[t])
			err = vmt_tw_init(&s->tw[t], db, spec.name, spec.cols,
					  s->ncols[t], rows_per_insert(s->ncols[t]));
	}
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
		if (s->ncols[t])
			err = vmt_tw_flush(&s->tw[t]);
	return err;
}

static void sink_free(struct sink *s)
{
	struct batch *b = s->free;

	for (int t = 0; t < T_COUNT; t++)
		if (s->ncols[t])
			vmt_tw_free(&s->tw[t]);
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
		err = query_i64(db, "SELECT coalesce(max(event_id), 0) + 1 FROM events",
				NULL, event_base);
	if (!err)
		err = query_i64(db, "SELECT coalesce(max(process_id), 0) + 1 FROM processes",
				NULL, proc_base);
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
