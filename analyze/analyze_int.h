/*
 * analyze_int.h - the analyze/ module's internal model: a run reduced to
 * behaviour counts per phase, the comparison of two sides of runs, and the
 * report renderers.  Shared by the analyze/ sources, the CLI and tests/analyze;
 * never installed.
 *
 * Behaviour keys, phases and the statistics: analyze/README.md.
 */
#ifndef VMT_ANALYZE_INT_H
#define VMT_ANALYZE_INT_H

#include <stdint.h>
#include <stdio.h>

#include "vmt/error.h"
#include "vmt/event.h"

struct sqlite3;

/* What a row counts. */
enum vmt_an_kind {
	VMT_AN_REASON = 0, /* every event of one reason */
	VMT_AN_VCPU = 1,   /* every event of one vCPU (reason unused) */
	VMT_AN_KEY = 2,    /* one behaviour key of one reason (keys.c) */
	VMT_AN_SPACE = 3,  /* events per address space (CR3); summary only */
	VMT_AN_RARE = 4,   /* events of rare keys a loader pooled (reason unused):
			    * work, never a row (compare.c "rare behaviours") */
};

/* Behaviour identity: integers, formatted only for display. */
struct vmt_an_bkey {
	uint32_t kind;     /* enum vmt_an_kind */
	uint32_t reason;
	uint64_t a, b;     /* reason-specific key values (keys.c) */
};

struct vmt_an_entry {
	struct vmt_an_bkey key;
	uint32_t phase;    /* 0: whole run; i: the run's phase i - 1 */
	uint64_t count;
};

/* Open-addressing table of (behaviour, phase) -> count. */
struct vmt_an_tab {
	struct vmt_an_entry *slot;
	size_t cap, len;
};

int vmt_an_tab_add(struct vmt_an_tab *t, const struct vmt_an_bkey *k,
		   uint32_t phase, uint64_t n);
const struct vmt_an_entry *vmt_an_tab_get(const struct vmt_an_tab *t,
					  const struct vmt_an_bkey *k,
					  uint32_t phase);
void vmt_an_tab_free(struct vmt_an_tab *t);
/** vmt_an_tab_fold() - add every per-phase count to its whole-run entry */
int vmt_an_tab_fold(struct vmt_an_tab *t);

struct vmt_an_phase {
	char *name;        /* marker text that opens it; "(start)" before any */
	uint64_t start_ns; /* first time a vCPU entered it */
	uint64_t exposure_ns; /* vCPU-ns spent in it / vCPUs: the rate divisor */
	uint64_t events;
	int entered;
};

/* The names a recording gave its guests' marker codes (vmtrail-record
 * --phase-names, table phase_names), as far as the run's markers used
 * them: the key "guest_request request 1" reads "request 1 (login)". */
struct vmt_an_names {
	uint64_t *code;
	char **name;
	size_t n;
};

/** vmt_an_names_add() - remember @code's @name (the first name of a code
 * wins).  Return: 0, or -ENOMEM. */
int vmt_an_names_add(struct vmt_an_names *m, uint64_t code, const char *name);
/** vmt_an_names_get() - @code's name, or NULL (also when @m is NULL) */
const char *vmt_an_names_get(const struct vmt_an_names *m, uint64_t code);
void vmt_an_names_free(struct vmt_an_names *m);

/*
 * spill.c: a run's counts sorted by key in an unlinked temporary file, read
 * by one cursor (compare.c), so that a diff holds a buffer per run instead
 * of every run's table.  Errors are sticky in @err.
 */
struct vmt_an_spill {
	FILE *f;
	size_t entries;
	struct vmt_an_entry cur; /* read ahead by the last search, when @have */
	int have;
	int sought;              /* @last is the key sought last in this sweep */
	struct vmt_an_bkey last;
	int err;
};

/** vmt_an_key_cmp() - the order of keys in rows and spills: kind, reason,
 * b, a */
int vmt_an_key_cmp(const struct vmt_an_bkey *a, const struct vmt_an_bkey *b);
/** vmt_an_entry_cmp() - two struct vmt_an_entry: key order, then phase */
int vmt_an_entry_cmp(const void *a, const void *b);

#define VMT_AN_BUCKETS 60
#define VMT_AN_REASONS VMT_REASON_COUNT /* unknown reasons pool in 0 */

/* One run reduced to what summaries and comparisons need. */
struct vmt_an_run {
	char *name;        /* how the user named it: path, or db:id */
	int64_t run_id;
	struct sqlite3 *db; /* where it lives (not owned) */
	/* comparability facts */
	uint32_t abi_version;
	uint32_t vcpus;
	char *monitors;
	char *labels;
	char *uuid;
	char *domain;
	/* time */
	uint64_t first_ns, last_ns;
	double duration_s;     /* exposure for rates */
	/* observer ledger */
	uint64_t paused_ns;    /* vCPU time paused waiting for the recorder */
	uint64_t gap_ns;       /* run time with known gaps (losses, stalls) */
	uint64_t lost;
	uint64_t events;
	/* aggregates */
	struct vmt_an_tab tab;
	struct vmt_an_phase *phases;
	uint32_t nphases;
	struct vmt_an_names names; /* marker codes its phases are named by */
	uint64_t pooled_below;     /* keys seen fewer times than this in all the
				    * diff's runs are in VMT_AN_RARE (0: none) */
	uint64_t buckets[VMT_AN_REASONS][VMT_AN_BUCKETS];
	struct vmt_an_spill spill; /* a diff's: @tab moved to disk (spill.c) */
};

void vmt_an_run_free(struct vmt_an_run *r);

/** vmt_an_spill() - move @r's table into r->spill (a no-op when there);
 * the table is then empty.  Return: 0; -errno when no temporary file could
 * be made ($TMPDIR, else /tmp), the table untouched; -EIO when writing it
 * failed, the counts lost. */
int vmt_an_spill(struct vmt_an_run *r);
struct vmt_an_sort;
/**
 * vmt_an_spill_sorted() - @s from the entries @in returns in key and phase
 * order (sort.c, after vmt_an_sort_done()), however many of one (key,
 * phase) it holds: their counts are summed.  With @fold each key's phase 0
 * also gets its other phases' counts (as vmt_an_tab_fold()); with @kept,
 * a behaviour key that @kept does not hold is pooled into VMT_AN_RARE.
 * @width: phases of a run's table, whole run included (entries beyond are
 * an error).  Return: 0, -ENOMEM, -EIO, the error of @in or @kept, or the
 * -errno of the temporary file.
 */
int vmt_an_spill_sorted(struct vmt_an_spill *s, struct vmt_an_sort *in, size_t width,
			int fold, struct vmt_an_spill *kept);
/** vmt_an_spill_rewind() - the next vmt_an_spill_next() reads the first
 * entry.  Return: 0 or the cursor's error. */
int vmt_an_spill_rewind(struct vmt_an_spill *s);
/** vmt_an_spill_next() - the next entry in key order, then phase order.
 * Return: 1, 0 at the end, or the cursor's error. */
int vmt_an_spill_next(struct vmt_an_spill *s, struct vmt_an_entry *e);
/** vmt_an_spill_peek() - the next entry, left for the next
 * vmt_an_spill_next() to read.  Return: as vmt_an_spill_next(). */
int vmt_an_spill_peek(struct vmt_an_spill *s, const struct vmt_an_entry **e);
/** vmt_an_spill_find() - @k's count in each table phase below @phases into
 * @count (0 where absent).  Keys sought in ascending order read the file
 * once; a key at or below the last one sought reads it again from the top. */
void vmt_an_spill_find(struct vmt_an_spill *s, const struct vmt_an_bkey *k,
		       uint64_t *count, size_t phases);
void vmt_an_spill_close(struct vmt_an_spill *s);
/** vmt_an_spill_dir() - where the files go: $TMPDIR, else /tmp */
const char *vmt_an_spill_dir(void);
/** vmt_an_scratch() - an unlinked read-write file there into *@out.
 * Return: 0 or -errno (*@out NULL). */
int vmt_an_scratch(FILE **out);

/*
 * sort.c: records of @size bytes sorted in bounded memory, through a
 * temporary file once they outgrow @cap.  Add every record, then
 * vmt_an_sort_done(), then read them in @cmp's order with
 * vmt_an_sort_next().  Errors are sticky in @err.
 */
struct vmt_an_sort_run;

struct vmt_an_sort {
	int (*cmp)(const void *, const void *);
	size_t size;
	unsigned char *buf;      /* a run being sorted; then the runs' reads */
	size_t cap, len, pos;
	uint64_t n;              /* records added */
	FILE *f;                 /* the sorted runs, @cap records each */
	struct vmt_an_sort_run *run;
	size_t *heap, nheap, share;
	int err;
};

/** vmt_an_sort_open() - no records; runs of @cap.  Return: 0 or -ENOMEM. */
int vmt_an_sort_open(struct vmt_an_sort *s, size_t cap, size_t size,
		     int (*cmp)(const void *, const void *));
void vmt_an_sort_add(struct vmt_an_sort *s, const void *rec);
/** vmt_an_sort_done() - no more records.  Return: 0 or the error. */
int vmt_an_sort_done(struct vmt_an_sort *s);
/** vmt_an_sort_next() - the next record into @out.  Return: 1, 0 at the
 * end, or the error. */
int vmt_an_sort_next(struct vmt_an_sort *s, void *out);
void vmt_an_sort_close(struct vmt_an_sort *s);

/* The records a diff's correction sorts (compare.c). */
struct vmt_an_pair {
	double v;
	uint64_t i;
};

/* ---- keys.c: behaviour keys per reason ---------------------------- */

/** vmt_an_key_format() - display text of a key, e.g. "msr 0xc0000080";
 * @names (may be NULL) names guest-request codes: "request 1 (login)" */
void vmt_an_key_format(const struct vmt_an_bkey *k, const struct vmt_an_names *names,
		       char *out, size_t cap);
/** vmt_an_reason_label() - reason name, or "reason_N" for unknown codes */
const char *vmt_an_reason_label(uint32_t reason, char *buf, size_t cap);

/* ---- compare.c ----------------------------------------------------- */

/* What a rate is counted against (analyze/README.md "Statistics"). */
enum vmt_an_per {
	VMT_AN_PER_WORK = 0,   /* the guest's work: events of unchanged behaviours */
	VMT_AN_PER_SECOND = 1, /* wall-clock seconds */
};

struct vmt_an_cmp_opts {
	double alpha;          /* significance after BH (default 0.05) */
	enum vmt_an_per per;   /* default: per unit of work */
	double min_change;     /* percent; smaller changes are "~" */
	int strict_sets;       /* every consistent new/vanished key regresses */
	int force;             /* compare incomparable runs anyway */
	const char *ignore_labels; /* comma-separated label keys the gate skips */
	uint64_t rare_cap;     /* 0: rare floor as vmt_an_rare_floor(); else at most
				* this (1: every key is a row, --keep-rare) */
	size_t sort_run;       /* p-values the correction sorts in memory at once
				* (0: 32,768); tests set a few to go through disk */
};

enum vmt_an_verdict {
	VMT_AN_SAME = 0,       /* "~": within noise or below --min-change */
	VMT_AN_UP,
	VMT_AN_DOWN,
	VMT_AN_NEW,            /* consistent in candidate, never in baseline */
	VMT_AN_GONE,           /* the reverse */
};

struct vmt_an_row {
	struct vmt_an_bkey key;
	int scope;             /* -1 whole run, else phase index */
	uint64_t kb, kc;       /* pooled counts */
	double tb, tc;         /* pooled exposures (work events, or s) */
	double rate_b, rate_c; /* per 1000 events of work, or per second */
	double change;         /* percent; +inf for new */
	double ci_lo, ci_hi;   /* interval of the change (percent) */
	double log2_ratio;     /* effect size; +-inf for new/vanished */
	double dispersion;     /* quasi-Poisson factor used (1: Poisson) */
	double df;             /* its degrees of freedom (prior + row's own) */
	double p, p_rank, q;   /* pooled test, rank test (reported), BH */
	int testable;          /* enough events to ever reach alpha */
	uint32_t pres_b, pres_c; /* runs in which the key occurs */
	int set;               /* 1 new, -1 vanished, 0 neither */
	int consistent;        /* set membership holds in every run */
	enum vmt_an_verdict verdict;
	double x2, own_df;     /* Pearson X^2 within sides and its df (a pass's) */
};

/*
 * rows.c: a diff's rows in a temporary file, read and written through a
 * window that holds a few hundred of them.  A row's pointer is valid until
 * a row outside its window is asked for; errors are sticky in @err, and an
 * access after one gets a zeroed row.
 */
struct vmt_an_rows {
	FILE *f;
	size_t n;              /* rows */
	struct vmt_an_row *win;
	size_t base, len;      /* the window: rows base .. base + len - 1 */
	int dirty;
	int err;
	struct vmt_an_row none;
};

/** vmt_an_rows_open() - no rows.  Return: 0, -ENOMEM or the -errno of the
 * temporary file. */
int vmt_an_rows_open(struct vmt_an_rows *s);
/** vmt_an_rows_at() - row @i to change (@i == s->n appends a zeroed row) */
struct vmt_an_row *vmt_an_rows_at(struct vmt_an_rows *s, size_t i);
/** vmt_an_rows_get() - row @i to read */
const struct vmt_an_row *vmt_an_rows_get(struct vmt_an_rows *s, size_t i);
/** vmt_an_rows_err() - the first error, or 0 (also for NULL) */
int vmt_an_rows_err(const struct vmt_an_rows *s);
void vmt_an_rows_close(struct vmt_an_rows *s);

struct vmt_an_diff {
	struct vmt_an_run **base, **cand;
	size_t nb, nc;
	struct vmt_an_rows *rows; /* on disk: vmt_an_diff_row() reads one */
	size_t nrows;
	char **phase_names;    /* phases common to every run (not owned) */
	struct vmt_an_names names; /* marker code names of every run, first wins */
	uint32_t nphases;      /* 0: whole runs only */
	uint32_t *local;       /* [run * stride + common] = run's phase index */
	uint32_t stride;
	struct vmt_an_cmp *cmp;       /* the last pass's work measure (compare.c) */
	double unit;           /* rates are per @unit events of work, or per s */
	int passes;            /* work-normalization passes until stable */
	char incomparable[512];/* non-empty: the first differing factor */
	int forced;
	int regressions;       /* rows whose verdict is not SAME */
	size_t tested;         /* rows in the Benjamini-Hochberg family */
	uint64_t rare_floor;   /* keys seen fewer times in all runs are no rows */
	uint64_t rare_events;  /* their events (counted as work all the same) */
	struct vmt_an_cmp_opts opts;
};

/**
 * vmt_an_gate() - the comparability gate
 * @why: OUT: "vcpus differ (baseline 2, candidate 4)" for the first
 *       differing factor
 * Return: 0 comparable, 1 not comparable.
 */
int vmt_an_gate(struct vmt_an_run *const *base, size_t nb,
		struct vmt_an_run *const *cand, size_t nc, const char *ignore,
		char *why, size_t cap);

/**
 * vmt_an_rare_floor() - the rare floor a diff of @nb against @nc runs starts
 * from (opts->rare_cap 0): keys seen fewer times in all runs together can be
 * neither flagged nor tested nor part of a dispersion fit, whatever the
 * runs hold; each pass checks that against its own exposures (compare.c).
 * A loader may pool such keys' events (VMT_AN_RARE) instead of keeping them.
 */
uint64_t vmt_an_rare_floor(size_t nb, size_t nc, const struct vmt_an_cmp_opts *opts);

/**
 * vmt_an_compare() - every row, its tests, BH correction and verdicts
 * Return: 0, -ENOMEM; -EAGAIN when runs were loaded with keys pooled below
 * a floor that this comparison's exposures do not allow: load them again
 * with opts->rare_cap = d->rare_floor (free @d first) and compare again.
 * An incomparable pair without opts->force leaves d->incomparable set and
 * no rows.
 */
int vmt_an_compare(struct vmt_an_diff *d, struct vmt_an_run **base, size_t nb,
		   struct vmt_an_run **cand, size_t nc,
		   const struct vmt_an_cmp_opts *opts);
void vmt_an_diff_free(struct vmt_an_diff *d);
/** vmt_an_diff_row() - row @ri, valid until a row far from it is read
 * (rows are read in order: a window follows) */
const struct vmt_an_row *vmt_an_diff_row(const struct vmt_an_diff *d, size_t ri);
/** vmt_an_diff_err() - a failed read of the rows or the runs' counts since
 * the comparison (a report made then is incomplete), or 0 */
int vmt_an_diff_err(const struct vmt_an_diff *d);
/**
 * vmt_an_row_values() - row @ri's rate in every run, baseline first: from
 * the runs' counts and the last pass's work, when asked (reports), so
 * nothing of size rows x runs is kept.  Valid until the next call on @d.
 */
const double *vmt_an_row_values(const struct vmt_an_diff *d, size_t ri);

/* ---- report_*.c ------------------------------------------------------- */

int vmt_an_summary_text(FILE *f, const struct vmt_an_run *r);
int vmt_an_summary_json(FILE *f, const struct vmt_an_run *r);
int vmt_an_diff_text(FILE *f, const struct vmt_an_diff *d, int all_rows);
int vmt_an_diff_json(FILE *f, const struct vmt_an_diff *d);
int vmt_an_diff_html(FILE *f, const struct vmt_an_diff *d);
/* report_ci.c: JUnit XML and a Markdown summary for CI systems */
int vmt_an_diff_junit(FILE *f, const struct vmt_an_diff *d);
int vmt_an_diff_markdown(FILE *f, const struct vmt_an_diff *d);

/* json helpers shared by the JSON renderers */
void vmt_an_json_str(FILE *f, const char *s);

#endif
