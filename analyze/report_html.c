/*
 * report_html.c - the comparison as one self-contained HTML page: inline
 * CSS and inline SVG charts (rate over time per reason for both sides, the
 * largest changes as bars, behaviours seen on one side only), no script,
 * no network.  Layout choices: analyze/README.md "Output".
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_int.h"
#include "report.h"

/* Okabe-Ito colours, told apart without red-green vision; every direction
 * also carries a sign (up, down) and the sides a shape (circle, diamond) */
#define C_BASE "#0072b2"
#define C_CAND "#e69f00"
#define C_UP "#d55e00"
#define C_DOWN "#0072b2"
#define C_OK "#009e73"
#define C_NOISE "#a0a0a0"
#define MAX_BARS 20
#define UP_SIGN "\u25b2"
#define DOWN_SIGN "\u25bc"

/* User text by the reports' common rule, then HTML's entities. */
static void html_str(FILE *f, const char *s)
{
	char *t = vmt_an_text_rule(s);

	for (s = t ? t : "?"; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
	free(t);
}

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}"
	"h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}"
	".verdict{padding:10px 14px;border-radius:6px;font-weight:600;color:#fff}"
	".bad{background:" C_UP "}.ok{background:" C_OK "}.warn{background:#b8860b}"
	".change{margin:6px 0 14px}.change b{font-size:15px}.up{color:" C_UP "}.down{color:" C_DOWN "}"
	"table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 8px;text-align:right;"
	"border-bottom:1px solid #eee;font-variant-numeric:tabular-nums}"
	"td:first-child,th:first-child{text-align:left}tr.flag td{background:#fdecea}"
	".charts{display:flex;flex-wrap:wrap;gap:12px}.chart{border:1px solid #eee;padding:4px}"
	".legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}"
	"code{background:#f4f4f4;padding:1px 4px}svg text{font:11px sans-serif}";

/* ---- rate over time ------------------------------------------------------ */

/* Mean rate of one reason in bucket @b over the runs of a side (events/s). */
static double side_bucket(struct vmt_an_run *const *v, size_t n, uint32_t reason, int b)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += (double)v[i]->buckets[reason][b] / (v[i]->duration_s / VMT_AN_BUCKETS);
	return sum / (double)n;
}

static void polyline(FILE *f, const double *y, double ymax, const char *color,
		     const char *dash, int w, int h, int pad)
{
	fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\"%s points=\"", color, dash);
	for (int b = 0; b < VMT_AN_BUCKETS; b++)
		fprintf(f, "%.1f,%.1f ", pad + (w - 2.0 * pad) * (b + 0.5) / VMT_AN_BUCKETS,
			h - pad - (h - 2.0 * pad) * (ymax > 0 ? y[b] / ymax : 0));
	fputs("\"/>\n", f);
}

/* Where a common phase starts, as a share of the run: the mean over every
 * run of both sides (the charts' x axis is the share of each run). */
static double phase_start(const struct vmt_an_diff *d, uint32_t p)
{
	size_t n = d->nb + d->nc;
	double sum = 0;

	for (size_t i = 0; i < n; i++) {
		const struct vmt_an_run *r = i < d->nb ? d->base[i] : d->cand[i - d->nb];
		uint32_t local = d->local[i * d->stride + p];
		double len = r->duration_s * 1e9;

		sum += len > 0 ? (double)r->phases[local].start_ns / len : 0;
	}
	return sum / (double)n;
}

static void phase_marks(FILE *f, const struct vmt_an_diff *d, int w, int h, int pad)
{
	for (uint32_t p = 0; p < d->nphases; p++) {
		double x = pad + (w - 2.0 * pad) * fmin(fmax(phase_start(d, p), 0), 1);

		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#555\""
			" stroke-dasharray=\"2,2\"/><text x=\"%.1f\" y=\"%d\" font-size=\"9\">",
			x, pad, x, h - pad, x + 2, pad + 10 + 10 * (int)(p % 3));
		html_str(f, d->phase_names[p]);
		fputs("</text>\n", f);
	}
}

static void rate_chart(FILE *f, const struct vmt_an_diff *d, uint32_t reason)
{
	double yb[VMT_AN_BUCKETS], yc[VMT_AN_BUCKETS], ymax = 0;
	const int w = 360, h = 150, pad = 28;
	char rb[24];
	const char *rn = vmt_an_reason_label(reason, rb, sizeof(rb));

	for (int b = 0; b < VMT_AN_BUCKETS; b++) {
		yb[b] = side_bucket(d->base, d->nb, reason, b);
		yc[b] = side_bucket(d->cand, d->nc, reason, b);
		ymax = fmax(ymax, fmax(yb[b], yc[b]));
	}
	if (ymax <= 0)
		return;
	fprintf(f, "<div class=\"chart\"><svg width=\"%d\" height=\"%d\" role=\"img\">"
		"<title>%s rate over time</title>\n", w, h, rn);
	fprintf(f, "<text x=\"%d\" y=\"14\" font-weight=\"bold\">%s</text>"
		"<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.0f/s</text>"
		"<text x=\"%d\" y=\"%d\">0</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">100%% of run</text>\n",
		pad, rn, w - 4, pad - 4, ymax,
		pad, h - 8, w - pad, h - 8);
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" stroke=\"#ddd\"/>\n",
		pad, pad, w - 2 * pad, h - 2 * pad);
	phase_marks(f, d, w, h, pad);
	polyline(f, yb, ymax, C_BASE, "", w, h, pad);
	polyline(f, yc, ymax, C_CAND, " stroke-dasharray=\"5,3\"", w, h, pad);
	fputs("</svg></div>\n", f);
}

/* ---- bars ------------------------------------------------------------------ */

static int cmp_p(const struct vmt_an_row *a, const struct vmt_an_row *b)
{
	if ((a->verdict != VMT_AN_SAME) != (b->verdict != VMT_AN_SAME))
		return a->verdict != VMT_AN_SAME ? -1 : 1;
	return (a->p > b->p) - (a->p < b->p);
}

static int cmp_abs_log2(const void *pa, const void *pb)
{
	const struct vmt_an_row *a = pa, *b = pb;
	double x = fabs(a->log2_ratio), y = fabs(b->log2_ratio);

	return (x < y) - (x > y);
}

static const char *row_color(const struct vmt_an_row *r)
{
	if (r->verdict == VMT_AN_SAME)
		return C_NOISE;
	return r->verdict == VMT_AN_DOWN || r->verdict == VMT_AN_GONE ? C_DOWN : C_UP;
}

static const char *row_sign(const struct vmt_an_row *r)
{
	return r->change > 0 ? UP_SIGN : DOWN_SIGN;
}

static void bar_label(FILE *f, int y, const char *label)
{
	fprintf(f, "<text x=\"4\" y=\"%d\">", y);
	html_str(f, label);
	fputs("</text>", f);
}

static void bar_row(FILE *f, const struct vmt_an_row *r, int i, double x0,
		    double x1, const char *label, const char *value)
{
	const int rowh = 20, top = 10;
	double lo = fmin(x0, x1), w = fabs(x1 - x0);

	bar_label(f, top + i * rowh + 14, label);
	fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"14\" fill=\"%s\">"
		"<title>", lo, top + i * rowh + 3, w < 1 ? 1 : w, row_color(r));
	html_str(f, label);
	fprintf(f, ": %s</title></rect><text x=\"%.1f\" y=\"%d\">%s</text>\n", value,
		fmax(x0, x1) + 4, top + i * rowh + 14, value);
}

/* log2 of a change in percent, clamped to the chart's half width */
static double log2_of(double pct, double max)
{
	double v = pct <= -100 ? -INFINITY : log2(1 + pct / 100);

	return fmax(-max, fmin(max, v));
}

/*
 * @r into @v, the first @n of the rows read so far in cmp_p() order (of
 * equals, the first read first), unless MAX_BARS come before it.  Return:
 * how many @v holds now.
 */
static size_t keep_first(struct vmt_an_row *v, size_t n, const struct vmt_an_row *r)
{
	size_t at = n;

	while (at > 0 && cmp_p(r, &v[at - 1]) < 0)
		at--;
	if (at == MAX_BARS)
		return n;
	n = n < MAX_BARS ? n + 1 : MAX_BARS;
	memmove(&v[at + 1], &v[at], (n - 1 - at) * sizeof(*v));
	v[at] = *r;
	return n;
}

/*
 * The largest changes: the flagged rows and the best-supported others (a
 * large swing on a handful of events says little), then drawn by size,
 * each bar with its interval as a whisker.
 */
static void change_bars(FILE *f, const struct vmt_an_diff *d)
{
	struct vmt_an_row v[MAX_BARS];
	size_t n = 0;
	double max = 0;
	const int w = 900, label = 380, mid = label + (w - label - 120) / 2;
	const double half = (w - label - 120) / 2.0;

	for (size_t i = 0; i < d->nrows; i++) {
		const struct vmt_an_row *r = vmt_an_diff_row(d, i);

		if (r->key.kind == VMT_AN_KEY && !r->set && isfinite(r->log2_ratio))
			n = keep_first(v, n, r);
	}
	qsort(v, n, sizeof(*v), cmp_abs_log2);
	for (size_t i = 0; i < n; i++)
		max = fmax(max, fabs(v[i].log2_ratio));
	max = max > 0 ? 1.5 * max : 1;
	fprintf(f, "<svg width=\"%d\" height=\"%zu\" role=\"img\"><title>largest changes</title>\n"
		"<line x1=\"%d\" y1=\"4\" x2=\"%d\" y2=\"%zu\" stroke=\"#888\"/>\n",
		w, 20 + n * 20, mid, mid, 14 + n * 20);
	for (size_t i = 0; i < n; i++) {
		const struct vmt_an_row *r = &v[i];
		char name[160], val[64];
		int y = 10 + (int)i * 20 + 10;

		vmt_an_key_format(&r->key, &d->names, name, sizeof(name));
		if (r->scope >= 0)
			snprintf(name + strlen(name), sizeof(name) - strlen(name), " [%s]",
				 vmt_an_scope_name(d, r->scope));
		snprintf(val, sizeof(val), "%s %+.1f%% (%s)", row_sign(r), r->change,
			 vmt_an_verdict_name(r->verdict));
		bar_row(f, r, (int)i, mid, mid + half * r->log2_ratio / max, name, val);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#222\">"
			"<title>interval %+.1f%% .. %+.1f%%</title></line>\n",
			mid + half * log2_of(r->ci_lo, max) / max, y,
			mid + half * (isfinite(r->ci_hi) ? log2_of(r->ci_hi, max) : max) / max, y,
			r->ci_lo, r->ci_hi);
	}
	fputs("</svg>\n", f);
}

/* ---- what changed: one block per flagged row, per-run values as dots -- */

static void dots(FILE *f, const struct vmt_an_diff *d, size_t ri)
{
	const double *v = vmt_an_row_values(d, ri);
	const int w = 520, h = 46, pad = 70;
	double hi = 0;

	for (size_t i = 0; i < d->nb + d->nc; i++)
		hi = fmax(hi, v[i]);
	hi = hi > 0 ? hi * 1.1 : 1;
	fprintf(f, "<svg width=\"%d\" height=\"%d\" role=\"img\"><title>per-run values</title>"
		"<text x=\"0\" y=\"14\">baseline</text><text x=\"0\" y=\"36\">candidate</text>"
		"<line x1=\"%d\" y1=\"42\" x2=\"%d\" y2=\"42\" stroke=\"#ccc\"/>"
		"<text x=\"%d\" y=\"46\" font-size=\"9\">0</text>"
		"<text x=\"%d\" y=\"46\" font-size=\"9\" text-anchor=\"end\">%.4g</text>\n",
		w, h, pad, w - 10, pad - 8, w - 10, hi);
	for (size_t i = 0; i < d->nb + d->nc; i++) {
		double x = pad + (w - 10 - pad) * v[i] / hi;

		if (i < d->nb)
			fprintf(f, "<circle cx=\"%.1f\" cy=\"10\" r=\"5\" fill=\"" C_BASE
				"\"><title>%.4g</title></circle>", x, v[i]);
		else
			fprintf(f, "<path d=\"M%.1f 26 l6 6 l-6 6 l-6 -6 z\" fill=\"" C_CAND
				"\"><title>%.4g</title></path>", x, v[i]);
	}
	fputs("</svg>\n", f);
}

static int headline_rank(const struct vmt_an_row *r)
{
	return r->key.kind != VMT_AN_KEY ? 2 : r->scope < 0 ? 1 : 0;
}

static void what_changed(FILE *f, const struct vmt_an_diff *d)
{
	size_t shown = 0;

	if (!d->regressions)
		return;
	fputs("<h2>What changed</h2>\n", f);
	for (int rank = 0; rank < 3; rank++) {
		for (size_t i = 0; i < d->nrows; i++) {
			const struct vmt_an_row *r = vmt_an_diff_row(d, i);
			char name[128], ci[96];

			if (!r->verdict || headline_rank(r) != rank || shown++ >= MAX_BARS)
				continue;
			vmt_an_key_format(&r->key, &d->names, name, sizeof(name));
			vmt_an_fmt_ci(r, ci, sizeof(ci));
			fprintf(f, "<div class=\"change\"><b class=\"%s\">%s %s</b> <b>",
				r->change > 0 ? "up" : "down", row_sign(r),
				r->change > 0 ? "up" : "down");
			html_str(f, name);
			fputs("</b> ", f);
			if (r->scope >= 0) {
				fputs("in phase <b>", f);
				html_str(f, vmt_an_scope_name(d, r->scope));
				fputs("</b>", f);
			} else {
				fputs("over the whole run", f);
			}
			fputs(": ", f);
			html_str(f, ci);
			fprintf(f, " (%.3g%% interval), q %.2g, %s<br>\n", 100 * (1 - d->opts.alpha),
				r->q, vmt_an_unit(d));
			dots(f, d, i);
			fputs("</div>\n", f);
		}
	}
	if (shown > MAX_BARS)
		fprintf(f, "<p>%zu more in the tables below.</p>\n", shown - MAX_BARS);
}

static int set_shown(const struct vmt_an_row *r)
{
	return r->scope < 0 && r->set && r->consistent;
}

/* Behaviours on one side only that hold in every run of that side. */
static void set_bars(FILE *f, const struct vmt_an_diff *d)
{
	size_t n = 0, sporadic = 0, i;
	double max = 0;
	const int w = 900, label = 380;

	for (i = 0; i < d->nrows; i++) {
		const struct vmt_an_row *r = vmt_an_diff_row(d, i);

		if (set_shown(r) && n < MAX_BARS) {
			max = fmax(max, fmax(r->rate_b, r->rate_c));
			n++;
		}
		sporadic += r->scope < 0 && r->set && !r->consistent;
	}
	fprintf(f, "<p>%zu more seen on one side in only some of its runs (not shown).</p>\n",
		sporadic);
	if (!n) {
		fputs("<p>None in every run of a side.</p>\n", f);
		return;
	}
	fprintf(f, "<svg width=\"%d\" height=\"%zu\" role=\"img\"><title>behaviours seen on one side only</title>\n",
		w, 20 + n * 20);
	for (i = 0, n = 0; i < d->nrows && n < MAX_BARS; i++) {
		const struct vmt_an_row *r = vmt_an_diff_row(d, i);
		char name[160], val[64];
		double rate = r->set > 0 ? r->rate_c : r->rate_b;

		if (!set_shown(r))
			continue;
		vmt_an_key_format(&r->key, &d->names, name, sizeof(name));
		snprintf(val, sizeof(val), "%s %.3g/s (%s)", r->set > 0 ? "new" : "vanished",
			 rate, vmt_an_verdict_name(r->verdict));
		bar_row(f, r, (int)n++, label, label + (w - label - 200) * rate / (max > 0 ? max : 1),
			name, val);
	}
	fputs("</svg>\n", f);
}

/* ---- tables ---------------------------------------------------------------- */

static void table(FILE *f, const struct vmt_an_diff *d, int scope)
{
	int shown = 0;

	for (size_t i = 0; i < d->nrows; i++) {
		const struct vmt_an_row *r = vmt_an_diff_row(d, i);
		char name[128], l2[16];

		if (r->scope != scope || !(r->verdict || (scope < 0 && r->key.kind != VMT_AN_KEY)))
			continue;
		if (!shown++)
			fputs("<table><tr><th>behaviour</th><th>baseline /s</th><th>candidate /s</th>"
			      "<th>change</th><th>log2 ratio</th><th>p</th><th>q (BH)</th><th>verdict</th></tr>\n", f);
		vmt_an_key_format(&r->key, &d->names, name, sizeof(name));
		fprintf(f, "<tr%s><td>", r->verdict ? " class=\"flag\"" : "");
		html_str(f, name);
		fprintf(f, "</td><td>%.3f</td><td>%.3f</td><td>", r->rate_b, r->rate_c);
		if (r->set)
			fputs(r->set > 0 ? "new" : "-100%", f);
		else
			fprintf(f, "%+.1f%%", r->change);
		vmt_an_fmt_log2(r, l2, sizeof(l2));
		fprintf(f, "</td><td>%s</td><td>%.2g</td><td>%.2g</td><td>%s%s</td></tr>\n",
			l2, r->p, r->q, r->verdict ? row_sign(r) : "", vmt_an_verdict_name(r->verdict));
	}
	if (shown)
		fputs("</table>\n", f);
	else
		fputs("<p>Nothing flagged.</p>\n", f);
}

static void side_list(FILE *f, const char *label, struct vmt_an_run *const *v, size_t n)
{
	fprintf(f, "<p><b>%s</b> (%zu run%s):", label, n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		fputs(" <code>", f);
		html_str(f, v[i]->name);
		fputs("</code>", f);
	}
	fputs("</p>\n", f);
}

static void banner(FILE *f, const struct vmt_an_diff *d)
{
	if (d->incomparable[0] && !d->forced) {
		fputs("<p class=\"verdict warn\">Incomparable runs: ", f);
		html_str(f, d->incomparable);
		fputs("</p>\n", f);
		return;
	}
	if (d->forced) {
		fputs("<p class=\"verdict warn\">Compared with --force although ", f);
		html_str(f, d->incomparable);
		fputs("</p>\n", f);
	}
	fprintf(f, "<p class=\"verdict %s\">%d significant change%s%s</p>\n",
		d->regressions ? "bad" : "ok", d->regressions, d->regressions == 1 ? "" : "s",
		d->regressions ? ": regression" : ": no significant change");
}

int vmt_an_diff_html(FILE *f, const struct vmt_an_diff *d)
{
	char method[512];

	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<title>vmtrail comparison</title><style>%s</style></head><body>\n"
		"<h1>vmtrail comparison</h1>\n", css);
	banner(f, d);
	if (!d->incomparable[0] || d->forced)
		what_changed(f, d);
	side_list(f, "Baseline", d->base, d->nb);
	side_list(f, "Candidate", d->cand, d->nc);
	if (d->incomparable[0] && !d->forced)
		goto end;
	vmt_an_method(d, method, sizeof(method));
	fputs("<p>Method: ", f);
	html_str(f, method);
	fprintf(f, "; Benjamini-Hochberg over the %zu of %zu rows with enough events; alpha %.3g;"
		" min change %.3g%%. Rates are %s (--per %s).</p>\n", d->tested, d->nrows,
		d->opts.alpha, d->opts.min_change, vmt_an_unit(d),
		d->opts.per == VMT_AN_PER_WORK ? "work" : "second");
	fputs("<h2>Rate over time per reason (events per second)</h2><p class=\"legend\">"
	      "<span style=\"background:" C_BASE "\"></span>baseline (mean of runs, solid)"
	      "<span style=\"background:" C_CAND "\"></span>candidate (dashed); dotted lines:"
	      " phase starts (mean over runs)</p><div class=\"charts\">\n", f);
	for (uint32_t r = 0; r < VMT_AN_REASONS; r++)
		rate_chart(f, d, r);
	fputs("</div>\n<h2>Largest changes (log2 rate ratio, with intervals)</h2><p class=\"legend\">"
	      "<span style=\"background:" C_UP "\"></span>" UP_SIGN " significant increase"
	      "<span style=\"background:" C_DOWN "\"></span>" DOWN_SIGN " significant decrease"
	      "<span style=\"background:" C_NOISE "\"></span>within noise (~)</p>\n", f);
	change_bars(f, d);
	fputs("<h2>Behaviours seen on one side only</h2>\n", f);
	set_bars(f, d);
	fputs("<h2>Totals and flagged behaviours (whole run)</h2>\n", f);
	table(f, d, -1);
	for (uint32_t p = 0; p < d->nphases; p++) {
		fputs("<h2>Phase ", f);
		html_str(f, d->phase_names[p]);
		fputs("</h2>\n", f);
		table(f, d, (int)p);
	}
end:
	fputs("</body></html>\n", f);
	return ferror(f) ? -EIO : 0;
}
