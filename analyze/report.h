/*
 * report.h - helpers shared by the text, JSON and HTML renderers
 * (analyze/ internal).
 */
#ifndef VMT_ANALYZE_REPORT_H
#define VMT_ANALYZE_REPORT_H

#include "analyze_int.h"

/** vmt_an_verdict_name() - "~", "up", "down", "new", "vanished" */
const char *vmt_an_verdict_name(enum vmt_an_verdict v);

/**
 * vmt_an_entries() - whole-run entries of one kind (and reason, or -1),
 * most frequent first (vCPUs and reasons in natural order)
 * @out: OUT: array to free(); entries point into the run's table
 * Return: the number of entries.
 */
size_t vmt_an_entries(const struct vmt_an_run *r, uint32_t kind, int reason,
		      const struct vmt_an_entry ***out);

/** vmt_an_perturbation() - share of vCPU time paused for the recorder */
double vmt_an_perturbation(const struct vmt_an_run *r);
/** vmt_an_coverage() - share of the run's time outside known gaps */
double vmt_an_coverage(const struct vmt_an_run *r);

/**
 * vmt_an_text_rule() - @s as every report shows user text: vmt_out.h's
 * terminal rule (controls, DEL, C1 and bytes outside well-formed UTF-8 as
 * \xNN, '\' as \\), so HTML, JUnit and Markdown stay valid UTF-8 without
 * controls before their own escaping
 * Return: a string to free(), NULL when out of memory.
 */
char *vmt_an_text_rule(const char *s);

const char *vmt_an_scope_name(const struct vmt_an_diff *d, int scope);
void vmt_an_method(const struct vmt_an_diff *d, char *out, size_t cap);
/** vmt_an_unit() - what the rates count: "per 1000 events of work", "per second" */
const char *vmt_an_unit(const struct vmt_an_diff *d);
/** vmt_an_fmt_log2() - "+0.79", or "+\u221e" / "-\u221e" for new and vanished */
void vmt_an_fmt_log2(const struct vmt_an_row *row, char *out, size_t cap);
/** vmt_an_fmt_ci() - the change with its interval, or "new" */
void vmt_an_fmt_ci(const struct vmt_an_row *row, char *out, size_t cap);
/** vmt_an_headline_rank() - flagged rows in the order a reader wants
 * them: 0 behaviours in phases, 1 behaviours of the whole run, 2 totals */
int vmt_an_headline_rank(const struct vmt_an_row *r);
/** vmt_an_mw_floor() - smallest exact rank-test p the run counts allow */
double vmt_an_mw_floor(const struct vmt_an_diff *d);

#endif
