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

#define C_BASE "#3b6ea5"
#define C_CAND "#e07b28"
#define C_BAD "#c0392b"
#define C_GOOD "#2e8b57"
#define C_NOISE "#a0a0a0"
#define MAX_BARS 20

static void html_str(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}"
	"h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}"
	".verdict{padding:10px 14px;border-radius:6px;font-weight:600;color:#fff}"
	".bad{background:" C_BAD "}.ok{background:" C_GOOD "}.warn{background:#b8860b}"
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
		     int w, int h, int pad)
{
	fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"", color);
	for (int b = 0; b < VMT_AN_BUCKETS; b++)
		fprintf(f, "%.1f,%.1f ", pad + (w - 2.0 * pad) * (b + 0.5) / VMT_AN_BUCKETS,
			h - pad - (h - 2.0 * pad) * (ymax > 0 ? y[b] / ymax : 0));
	fputs("\"/>\n", f);
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
	polyline(f, yb, ymax, C_BASE, w, h, pad);
	polyline(f, yc, ymax, C_CAND, w, h, pad);
	fputs("</svg></div>\n", f);
}

/* ---- bars ------------------------------------------------------------------ */

static int cmp_abs_log2(const void *pa, const void *pb)
{
	const struct vmt_an_row *a = *(const struct vmt_an_row *const *)pa;
	const struct vmt_an_row *b = *(const struct vmt_an_row *const *)pb;
	double x = fabs(a->log2_ratio), y = fabs(b->log2_ratio);

	if ((a->verdict != VMT_AN_SAME) != (b->verdict != VMT_AN_SAME))
		return a->verdict != VMT_AN_SAME ? -1 : 1;
	/* among rows within noise, the best-supported changes first */
	if (a->verdict == VMT_AN_SAME && a->p != b->p)
		return a->p < b->p ? -1 : 1;
	return (x < y) - (x > y);
}

static const char *row_color(const struct vmt_an_row *r)
{
	if (r->verdict == VMT_AN_SAME)
		return C_NOISE;
	return r->verdict == VMT_AN_DOWN || r->verdict == VMT_AN_GONE ? C_GOOD : C_BAD;
}

static void bar_row(FILE *f, const struct vmt_an_row *r, int i, double x0,
		    double x1, const char *label, const char *value)
{
	const int rowh = 20, top = 10;
	double lo = fmin(x0, x1), w = fabs(x1 - x0);

	fprintf(f, "<text x=\"4\" y=\"%d\">", top + i * rowh + 14);
	html_str(f, label);
	fprintf(f, "</text><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"14\" fill=\"%s\">"
		"<title>", lo, top + i * rowh + 3, w < 1 ? 1 : w, row_color(r));
	html_str(f, label);
	fprintf(f, ": %s</title></rect><text x=\"%.1f\" y=\"%d\">%s</text>\n", value,
		fmax(x0, x1) + 4, top + i * rowh + 14, value);
}

/* Whole-run rows with a finite change: flagged ones by |log2|, then the
 * rest by p (a large swing on a handful of events says little). */
static void change_bars(FILE *f, const struct vmt_an_diff *d)
{
	const struct vmt_an_row **v = malloc((d->nrows + 1) * sizeof(*v));
	size_t n = 0;
	double max = 0;
	const int w = 900, label = 380, mid = label + (w - label) / 2;

	if (!v)
		return;
	for (size_t i = 0; i < d->nrows; i++)
		if (d->rows[i].scope < 0 && !d->rows[i].set && isfinite(d->rows[i].log2_ratio))
			v[n++] = &d->rows[i];
	qsort(v, n, sizeof(*v), cmp_abs_log2);
	n = n < MAX_BARS ? n : MAX_BARS;
	for (size_t i = 0; i < n; i++)
		max = fmax(max, fabs(v[i]->log2_ratio));
	max = max > 0 ? max : 1;
	fprintf(f, "<svg width=\"%d\" height=\"%zu\" role=\"img\"><title>largest changes</title>\n"
		"<line x1=\"%d\" y1=\"4\" x2=\"%d\" y2=\"%zu\" stroke=\"#888\"/>\n",
		w, 20 + n * 20, mid, mid, 14 + n * 20);
	for (size_t i = 0; i < n; i++) {
		char name[128], val[48];

		vmt_an_key_format(&v[i]->key, name, sizeof(name));
		snprintf(val, sizeof(val), "%+.1f%% (%s)", v[i]->change,
			 vmt_an_verdict_name(v[i]->verdict));
		bar_row(f, v[i], (int)i, mid,
			mid + (w - label - 120) / 2.0 * v[i]->log2_ratio / max, name, val);
	}
	fputs("</svg>\n", f);
	free(v);
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
		if (set_shown(&d->rows[i]) && n < MAX_BARS) {
			max = fmax(max, fmax(d->rows[i].rate_b, d->rows[i].rate_c));
			n++;
		}
		sporadic += d->rows[i].scope < 0 && d->rows[i].set && !d->rows[i].consistent;
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
		const struct vmt_an_row *r = &d->rows[i];
		char name[160], val[64];
		double rate = r->set > 0 ? r->rate_c : r->rate_b;

		if (!set_shown(r))
			continue;
		vmt_an_key_format(&r->key, name, sizeof(name));
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
		const struct vmt_an_row *r = &d->rows[i];
		char name[128];

		if (r->scope != scope || !(r->verdict || (scope < 0 && r->key.kind != VMT_AN_KEY)))
			continue;
		if (!shown++)
			fputs("<table><tr><th>behaviour</th><th>baseline /s</th><th>candidate /s</th>"
			      "<th>change</th><th>log2 ratio</th><th>p</th><th>q (BH)</th><th>verdict</th></tr>\n", f);
		vmt_an_key_format(&r->key, name, sizeof(name));
		fprintf(f, "<tr%s><td>", r->verdict ? " class=\"flag\"" : "");
		html_str(f, name);
		fprintf(f, "</td><td>%.3f</td><td>%.3f</td><td>", r->rate_b, r->rate_c);
		if (r->set)
			fputs(r->set > 0 ? "new" : "-100%", f);
		else
			fprintf(f, "%+.1f%%", r->change);
		fprintf(f, "</td><td>%.2f</td><td>%.2g</td><td>%.2g</td><td>%s</td></tr>\n",
			isfinite(r->log2_ratio) ? r->log2_ratio : copysign(99, r->log2_ratio),
			r->p, r->q, vmt_an_verdict_name(r->verdict));
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
	char method[256];

	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<title>vmtrail comparison</title><style>%s</style></head><body>\n"
		"<h1>vmtrail comparison</h1>\n", css);
	side_list(f, "Baseline", d->base, d->nb);
	side_list(f, "Candidate", d->cand, d->nc);
	banner(f, d);
	if (d->incomparable[0] && !d->forced)
		goto end;
	vmt_an_method(d, method, sizeof(method));
	fputs("<p>Method: ", f);
	html_str(f, method);
	fprintf(f, "; Benjamini-Hochberg over the %zu of %zu rows with enough events; alpha %.3g;"
		" min change %.3g%%.</p>\n", d->tested, d->nrows, d->opts.alpha, d->opts.min_change);
	fputs("<h2>Rate over time per reason</h2><p class=\"legend\"><span style=\"background:"
	      C_BASE "\"></span>baseline (mean of runs)<span style=\"background:" C_CAND
	      "\"></span>candidate</p><div class=\"charts\">\n", f);
	for (uint32_t r = 0; r < VMT_AN_REASONS; r++)
		rate_chart(f, d, r);
	fputs("</div>\n<h2>Largest changes (log2 rate ratio)</h2><p class=\"legend\">"
	      "<span style=\"background:" C_BAD "\"></span>significant increase"
	      "<span style=\"background:" C_GOOD "\"></span>significant decrease"
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
