/*
 * report_ci.c - a diff for CI systems: JUnit XML (one test case per
 * behaviour family, a failure per significant change) and a short Markdown
 * summary for a pull-request comment or $GITHUB_STEP_SUMMARY
 * (analyze/README.md "CI reports").
 *
 * User text (run names, phase names, the gate's reason) may hold anything:
 * it is first written by the terminal rule of vmt_out.h (controls, DEL, C1
 * and bytes outside well-formed UTF-8 as \xNN, '\' as \\), so both outputs
 * are valid UTF-8 without controls; then escaped for the format: XML's five
 * entities, or, for Markdown, HTML's three and a backslash before every
 * other ASCII punctuation mark (no table cell split, no code span, no
 * emphasis, link, mention or math).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_int.h"
#include "report.h"
#include "vmt_out.h"

#define MD_ROWS 20

/* ---- escaping ------------------------------------------------------------ */

char *vmt_an_text_rule(const char *s)
{
	char *t = NULL;
	size_t n;
	FILE *m = open_memstream(&t, &n);

	if (!m)
		return NULL;
	vmt_text_str(m, s, strlen(s));
	if (fclose(m)) {
		free(t);
		return NULL;
	}
	return t;
}

/* U+FFFE and U+FFFF are well-formed UTF-8 but not XML characters. */
static int xml_nonchar(const unsigned char *p)
{
	return p[0] == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf);
}

static int xml_str(FILE *f, const char *s)
{
	char *t = vmt_an_text_rule(s);

	if (!t)
		return -ENOMEM;
	for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
		switch (*p) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if (xml_nonchar(p)) {
				fprintf(f, "\\x%02x\\x%02x\\x%02x", p[0], p[1], p[2]);
				p += 2;
			} else {
				putc(*p, f);
			}
		}
	}
	free(t);
	return 0;
}

static int md_str(FILE *f, const char *s)
{
	char *t = vmt_an_text_rule(s);

	if (!t)
		return -ENOMEM;
	for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
		if (*p == '<')
			fputs("&lt;", f);
		else if (*p == '>')
			fputs("&gt;", f);
		else if (*p == '&')
			fputs("&amp;", f);
		else if (*p < 0x80 && strchr("!\"#$%'()*+,-./:;=?@[\\]^_`{|}~", *p))
			fprintf(f, "\\%c", *p);
		else
			putc(*p, f);
	}
	free(t);
	return 0;
}

/* ---- families ------------------------------------------------------------ */

/* A behaviour family: the rows of one kind (of one reason, for keys). */
struct family {
	uint32_t kind, reason;
	size_t rows, changes;
};

static int same_family(const struct family *fa, const struct vmt_an_row *r)
{
	return fa->kind == r->key.kind && (r->key.kind != VMT_AN_KEY || fa->reason == r->key.reason);
}

/* The families of @d's rows in order of first appearance (@out: free()). */
static size_t families(const struct vmt_an_diff *d, struct family **out)
{
	size_t n = 0, cap = 16, i, k;
	struct family *v = malloc(cap * sizeof(*v));

	for (i = 0; v && i < d->nrows; i++) {
		const struct vmt_an_row *r = vmt_an_diff_row(d, i);

		for (k = 0; k < n && !same_family(&v[k], r); k++)
			;
		if (k == n && n == cap) { /* a few kinds, a key family per reason */
			struct family *g = realloc(v, (cap *= 2) * sizeof(*v));

			if (!g) {
				free(v);
				v = NULL;
				break;
			}
			v = g;
		}
		if (k == n)
			v[n++] = (struct family){ r->key.kind, r->key.reason, 0, 0 };
		v[k].rows++;
		v[k].changes += r->verdict != VMT_AN_SAME;
	}
	*out = v;
	return v ? n : 0;
}

static void family_name(const struct family *fa, char *out, size_t cap)
{
	char rb[24];

	switch (fa->kind) {
	case VMT_AN_REASON: snprintf(out, cap, "events per reason"); break;
	case VMT_AN_VCPU: snprintf(out, cap, "events per vCPU"); break;
	case VMT_AN_SPACE: snprintf(out, cap, "events per address space"); break;
	default:
		snprintf(out, cap, "%s behaviours", vmt_an_reason_label(fa->reason, rb, sizeof(rb)));
	}
}

/* "+81.6% [+50.1%, +120.3%]" or "new", with the sign of the move. */
static void change_text(const struct vmt_an_row *r, char *out, size_t cap)
{
	char ci[96];

	vmt_an_fmt_ci(r, ci, sizeof(ci));
	snprintf(out, cap, "%s %s", r->change > 0 ? "\u25b2" : "\u25bc", ci);
}

/* ---- JUnit --------------------------------------------------------------- */

static void xml_num(FILE *f, const char *key, double v)
{
	if (isfinite(v))
		fprintf(f, "%s: %.6g\n", key, v);
	else
		fprintf(f, "%s: %s\n", key, isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
}

/* One <failure>: the message a CI page lists, the numbers in its body
 * ("key: value" lines, the keys of the diff's JSON rows). */
static int junit_failure(FILE *f, const struct vmt_an_diff *d, const struct vmt_an_row *r)
{
	char name[128], ch[128], level[16];
	int err;

	vmt_an_key_format(&r->key, &d->names, name, sizeof(name));
	change_text(r, ch, sizeof(ch));
	snprintf(level, sizeof(level), "%.3g%%", 100 * (1 - d->opts.alpha));
	fprintf(f, "   <failure type=\"%s\" message=\"", vmt_an_verdict_name(r->verdict));
	xml_str(f, name);
	fputs(r->scope < 0 ? " (whole run)" : " in phase &quot;", f);
	err = r->scope < 0 ? 0 : xml_str(f, vmt_an_scope_name(d, r->scope));
	fprintf(f, "%s: %s%s%s%s, q %.2g\">", r->scope < 0 ? "" : "&quot;", ch,
		r->set ? "" : " (", r->set ? "" : level, r->set ? "" : " interval)", r->q);
	fputs("behaviour: ", f);
	xml_str(f, name);
	fputs("\nscope: ", f);
	err = err ? err : xml_str(f, vmt_an_scope_name(d, r->scope));
	fprintf(f, "\nverdict: %s\n", vmt_an_verdict_name(r->verdict));
	xml_num(f, "change_pct", r->change);
	xml_num(f, "ci_low_pct", r->ci_lo);
	xml_num(f, "ci_high_pct", r->ci_hi);
	xml_num(f, "q", r->q);
	xml_num(f, "p", r->p);
	xml_num(f, "baseline_rate", r->rate_b);
	xml_num(f, "candidate_rate", r->rate_c);
	fprintf(f, "baseline_events: %llu\ncandidate_events: %llu\nrate_unit: %s\n",
		(unsigned long long)r->kb, (unsigned long long)r->kc, vmt_an_unit(d));
	fputs("</failure>\n", f);
	return err;
}

static int junit_property(FILE *f, const char *name, const char *value)
{
	fprintf(f, "   <property name=\"%s\" value=\"", name);
	int err = xml_str(f, value);

	fputs("\"/>\n", f);
	return err;
}

static int junit_props(FILE *f, const struct vmt_an_diff *d)
{
	char method[512], num[32];
	int err = 0;

	vmt_an_method(d, method, sizeof(method));
	fputs("  <properties>\n", f);
	for (size_t i = 0; i < d->nb + d->nc; i++)
		err |= junit_property(f, i < d->nb ? "baseline" : "candidate",
				      (i < d->nb ? d->base[i] : d->cand[i - d->nb])->name);
	err |= junit_property(f, "method", method);
	err |= junit_property(f, "rate_unit", vmt_an_unit(d));
	snprintf(num, sizeof(num), "%.6g", d->opts.alpha);
	err |= junit_property(f, "alpha", num);
	snprintf(num, sizeof(num), "%d", d->regressions);
	err |= junit_property(f, "significant_changes", num);
	fputs("  </properties>\n", f);
	return err ? -ENOMEM : 0;
}

int vmt_an_diff_junit(FILE *f, const struct vmt_an_diff *d)
{
	struct family *fam;
	size_t nf = families(d, &fam), failed = 0;
	int blocked = d->incomparable[0] && !d->forced, err;
	char name[64];

	if (!fam)
		return -ENOMEM;
	for (size_t k = 0; k < nf; k++)
		failed += fam[k].changes > 0;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fprintf(f, "<testsuites name=\"vmtrail-analyze diff\" tests=\"%zu\" failures=\"%zu\""
		" errors=\"%d\">\n <testsuite name=\"vmtrail-analyze diff\" tests=\"%zu\""
		" failures=\"%zu\" errors=\"%d\" skipped=\"0\">\n", nf + 1, failed, blocked,
		nf + 1, failed, blocked);
	err = junit_props(f, d);
	/* the gate is a test of its own: incomparable runs are an error */
	fputs("  <testcase classname=\"vmtrail.diff\" name=\"comparability\">\n", f);
	if (blocked) {
		fputs("   <error type=\"incomparable\" message=\"", f);
		err = err ? err : xml_str(f, d->incomparable);
		fputs("\"/>\n", f);
	} else if (d->incomparable[0]) {
		fputs("   <system-out>compared with --force although ", f);
		err = err ? err : xml_str(f, d->incomparable);
		fputs("</system-out>\n", f);
	}
	fputs("  </testcase>\n", f);
	for (size_t k = 0; k < nf; k++) {
		family_name(&fam[k], name, sizeof(name));
		fprintf(f, "  <testcase classname=\"vmtrail.diff\" name=\"%s\">\n", name);
		for (size_t i = 0; !err && i < d->nrows; i++) {
			const struct vmt_an_row *r = vmt_an_diff_row(d, i);

			if (r->verdict != VMT_AN_SAME && same_family(&fam[k], r))
				err = junit_failure(f, d, r);
		}
		fprintf(f, "   <system-out>%zu rows compared, %zu significant</system-out>\n"
			"  </testcase>\n", fam[k].rows, fam[k].changes);
	}
	fputs(" </testsuite>\n</testsuites>\n", f);
	free(fam);
	return err ? err : ferror(f) ? -EIO : 0;
}

/* ---- Markdown ------------------------------------------------------------ */

static int md_names(FILE *f, const char *side, struct vmt_an_run *const *v, size_t n)
{
	int err = 0;

	fprintf(f, "%s (%zu run%s):", side, n, n == 1 ? "" : "s");
	for (size_t i = 0; !err && i < n && i < 10; i++) {
		fputs(i ? ", " : " ", f);
		err = md_str(f, v[i]->name);
	}
	fputs(n > 10 ? ", \u2026  \n" : "  \n", f);
	return err;
}

static int md_row(FILE *f, const struct vmt_an_diff *d, const struct vmt_an_row *r)
{
	char name[128], ch[128];
	int err;

	vmt_an_key_format(&r->key, &d->names, name, sizeof(name));
	change_text(r, ch, sizeof(ch));
	fputs("| ", f);
	err = md_str(f, name);
	fputs(" | ", f);
	if (!err)
		err = md_str(f, vmt_an_scope_name(d, r->scope));
	fprintf(f, " | %s | %s | %.2g | %.4g | %.4g |\n", vmt_an_verdict_name(r->verdict), ch,
		r->q, r->rate_b, r->rate_c);
	return err;
}

/* The flagged rows, most telling first (as the text report's headlines). */
static int md_table(FILE *f, const struct vmt_an_diff *d)
{
	size_t shown = 0;
	int err = 0;

	fprintf(f, "| behaviour | phase | verdict | change [%.3g%% interval] | q | baseline | candidate |\n"
		"|:--|:--|:--|--:|--:|--:|--:|\n", 100 * (1 - d->opts.alpha));
	for (int rank = 0; rank < 3; rank++)
		for (size_t i = 0; !err && i < d->nrows; i++) {
			const struct vmt_an_row *r = vmt_an_diff_row(d, i);

			if (r->verdict && vmt_an_headline_rank(r) == rank && shown++ < MD_ROWS)
				err = md_row(f, d, r);
		}
	if (shown > MD_ROWS)
		fprintf(f, "\n\u2026 and %zu more significant changes (the JSON or `--all` lists them).\n",
			shown - MD_ROWS);
	return err;
}

static int md_first(FILE *f, const struct vmt_an_diff *d)
{
	for (int rank = 0; rank < 3; rank++)
		for (size_t i = 0; i < d->nrows; i++) {
			const struct vmt_an_row *r = vmt_an_diff_row(d, i);
			char name[128], ch[128];
			int err;

			if (!r->verdict || vmt_an_headline_rank(r) != rank)
				continue;
			vmt_an_key_format(&r->key, &d->names, name, sizeof(name));
			change_text(r, ch, sizeof(ch));
			fputs("**What changed first:** ", f);
			err = md_str(f, name);
			fputs(r->scope < 0 ? " (whole run)" : " in phase \u201c", f);
			if (!err && r->scope >= 0)
				err = md_str(f, vmt_an_scope_name(d, r->scope));
			fprintf(f, "%s: %s, q %.2g\n\n", r->scope < 0 ? "" : "\u201d", ch, r->q);
			return err;
		}
	return 0;
}

int vmt_an_diff_markdown(FILE *f, const struct vmt_an_diff *d)
{
	char method[512];
	int err;

	if (d->incomparable[0] && !d->forced) {
		fputs("### vmtrail-analyze diff: runs not comparable\n\n", f);
		err = md_str(f, d->incomparable);
		fputs(" (`--force` compares them anyway).\n\n", f);
	} else {
		fprintf(f, "### vmtrail-analyze diff: %d significant change%s\n\n", d->regressions,
			d->regressions == 1 ? "" : "s");
		err = md_first(f, d);
		if (!err && d->regressions)
			err = md_table(f, d);
		else if (!err)
			fputs("No behaviour changed significantly.\n", f);
		if (!err && d->forced) {
			fputs("\n**Warning:** compared with `--force` although ", f);
			err = md_str(f, d->incomparable);
			fputs(".\n", f);
		}
	}
	vmt_an_method(d, method, sizeof(method));
	fprintf(f, "\nRates %s; %s; Benjamini-Hochberg over the %zu of %zu rows with enough"
		" events, alpha %.3g.\n\n", vmt_an_unit(d), method, d->tested, d->nrows,
		d->opts.alpha);
	if (!err)
		err = md_names(f, "Baseline", d->base, d->nb);
	if (!err)
		err = md_names(f, "Candidate", d->cand, d->nc);
	fprintf(f, "\n**Verdict: %s** (exit status %d)\n",
		d->incomparable[0] && !d->forced ? "not compared" :
		d->regressions ? "regression" : "no significant change",
		d->incomparable[0] && !d->forced ? 2 : d->regressions ? 1 : 0);
	return err ? err : ferror(f) ? -EIO : 0;
}
