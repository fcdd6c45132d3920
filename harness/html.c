/*
 * The HTML report: one file, no network. A summary, then each case: its
 * verdicts, its evidence, and for a client scenario a timeline of the
 * attempts on a time axis, with each Retry-After the client was asked to
 * respect shaded, the gaps labelled, and a retry that came too early in red.
 * For check, each case shows its request and its response(s).
 *
 * Everything in a run is redacted already; every string is escaped here
 * (xml_escape: HTML's five, invalid UTF-8 as U+FFFD).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "../model/redact.h"
#include "../model/utf8.h"
#include "../model/version.h"

#define PLOT_W 720.0   /* px of the time axis */
#define PLOT_X 60.0    /* left margin */
#define EARLY_SLACK 0.02

static const char style[] =
	"body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1000px;padding:1em;color:#222}"
	"h1{font-size:1.4em}h2{font-size:1.1em;margin:0 0 .4em}"
	".meta{color:#555}.case{border:1px solid #ccc;border-radius:6px;padding:.8em;margin:1em 0}"
	".case.fail{border-color:#c62828}.badge{font-size:.8em;padding:.1em .5em;border-radius:4px;color:#fff}"
	".badge.ok{background:#2e7d32}.badge.fail{background:#c62828}.badge.skip{background:#777}"
	"table{border-collapse:collapse}td,th{padding:.2em .6em;text-align:left;vertical-align:top}"
	"tr.pass td.o{color:#2e7d32}tr.fail td.o,tr.error td.o{color:#c62828;font-weight:bold}"
	"tr.skip td.o{color:#777}tr.warn td.o{color:#b26a00}"
	"pre{background:#f6f6f6;padding:.5em;overflow:auto;max-height:24em;white-space:pre-wrap;word-break:break-all}"
	"svg.timeline{display:block;margin:.4em 0}.ra-window{fill:#ffe082;fill-opacity:.55}"
	".attempt line{stroke:#1565c0;stroke-width:2}.attempt circle{fill:#1565c0}"
	".attempt.early line{stroke:#c62828}.attempt.early circle{fill:#c62828}"
	".attempt text,.gap,.tick text{font-size:11px}.attempt.early text{fill:#c62828;font-weight:bold}"
	".ra-label{font-size:11px;fill:#8d6e00}.axis{stroke:#444}.tick line{stroke:#bbb}.gap{fill:#555}"
	"#summary td.n{text-align:right;font-variant-numeric:tabular-nums}";

static void esc(FILE *out, const char *s)
{
	xml_escape(out, s ? s : "");
}

static double num(const json_t *o, const char *key, double dflt)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

/* A tick step that gives about 6 to 12 ticks over `span` seconds. */
static double tick_step(double span)
{
	static const double steps[] = { 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600 };
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (span / steps[i] <= 12)
			return steps[i];
	return span / 10;
}

/* The span the axis covers: every attempt, and every window asked for. */
static double timeline_span(const json_t *attempts)
{
	double end = 0.1;
	size_t i;
	json_t *a;

	json_array_foreach(attempts, i, a) {
		double t = num(a, "t_s", 0), w = num(a, "wait_s", 0);

		if (t > end)
			end = t;
		if (w > 0 && w < 86400 && t + w > end)
			end = t + w;
	}
	return end * 1.08;
}

static double to_x(double t, double span)
{
	return PLOT_X + (span > 0 ? t / span : 0) * PLOT_W;
}

static void timeline_axis(FILE *out, double span)
{
	double step = tick_step(span), t;

	fprintf(out, "<line class=\"axis\" x1=\"%.1f\" y1=\"70\" x2=\"%.1f\" y2=\"70\"/>", PLOT_X, PLOT_X + PLOT_W);
	for (t = 0; t <= span + 1e-9; t += step)
		fprintf(out, "<g class=\"tick\"><line x1=\"%.1f\" y1=\"20\" x2=\"%.1f\" y2=\"74\"/>"
			"<text x=\"%.1f\" y=\"86\" text-anchor=\"middle\">%g s</text></g>",
			to_x(t, span), to_x(t, span), to_x(t, span), t);
}

/*
 * The attempts of a client scenario on a time axis. An attempt is early
 * when it came before the window the previous response asked for ended.
 */
static void timeline(FILE *out, const json_t *attempts)
{
	double span = timeline_span(attempts), prev_t = 0, until = -1;
	size_t i, n = json_array_size(attempts);
	json_t *a;

	if (!n)
		return;
	fprintf(out, "<svg class=\"timeline\" role=\"img\" width=\"%.0f\" height=\"112\" "
		"viewBox=\"0 0 %.0f 112\" data-span=\"%.3f\" data-attempts=\"%zu\">"
		"<title>attempts on a time axis: %zu</title>", PLOT_X * 2 + PLOT_W, PLOT_X * 2 + PLOT_W, span, n, n);
	json_array_foreach(attempts, i, a) { /* windows first, under the marks */
		double t = num(a, "t_s", 0), w = num(a, "wait_s", -1);

		if (w > 0 && w < 86400) {
			fprintf(out, "<rect class=\"ra-window\" x=\"%.1f\" y=\"24\" width=\"%.1f\" height=\"46\" "
				"data-from=\"%.3f\" data-until=\"%.3f\"><title>Retry-After: ",
				to_x(t, span), to_x(t + w, span) - to_x(t, span), t, t + w);
			esc(out, json_string_value(json_object_get(a, "retry_after")));
			fprintf(out, " (wait until %.3f s)</title></rect>"
				"<text class=\"ra-label\" x=\"%.1f\" y=\"64\">Retry-After %.3g s</text>",
				t + w, to_x(t, span) + 6, w);
		}
	}
	timeline_axis(out, span);
	json_array_foreach(attempts, i, a) {
		double t = num(a, "t_s", 0), w = num(a, "wait_s", -1), x = to_x(t, span);
		int early = i > 0 && until >= 0 && t < until - EARLY_SLACK;
		const char *fault = json_string_value(json_object_get(a, "fault"));
		char label[80];

		if (fault) /* cut on a character: a label is never half of one */
			snprintf(label, sizeof(label), "%.*s", (int)utf8_cut(fault, strlen(fault), sizeof(label) - 1), fault);
		else
			snprintf(label, sizeof(label), "%d", (int)num(a, "status", 0));
		fprintf(out, "<g class=\"attempt%s\" data-n=\"%zu\" data-t=\"%.3f\" data-status=\"%d\">"
			"<line x1=\"%.1f\" y1=\"30\" x2=\"%.1f\" y2=\"70\"/><circle cx=\"%.1f\" cy=\"30\" r=\"4\"/>"
			"<text x=\"%.1f\" y=\"%d\">", early ? " early" : "", i + 1, t,
			(int)num(a, "status", 0), x, x, x, x + 4, i % 2 ? 12 : 20);
		esc(out, label);
		if (early)
			fprintf(out, " (%.2f s early)", until - t);
		fprintf(out, "</text><title>attempt %zu at %.3f s: ", i + 1, t);
		esc(out, label);
		if (json_is_string(json_object_get(a, "idempotency_key"))) {
			fputs(", Idempotency-Key ", out);
			esc(out, json_string_value(json_object_get(a, "idempotency_key")));
		}
		fputs("</title></g>", out);
		if (i > 0)
			fprintf(out, "<text class=\"gap\" x=\"%.1f\" y=\"102\" text-anchor=\"middle\">%.3f s</text>",
				(to_x(prev_t, span) + x) / 2, t - prev_t);
		until = w > 0 ? t + w : -1;
		prev_t = t;
	}
	fputs("</svg>\n", out);
}

static void json_pre(FILE *out, const char *cls, const json_t *v)
{
	char *text = json_dumps(v, JSON_INDENT(2) | JSON_REAL_PRECISION(6));

	fprintf(out, "<pre class=\"%s\">", cls);
	esc(out, text ? text : "");
	fputs("</pre>\n", out);
	free(text);
}

/* check: the request (a curl line) and each response the case recorded. */
static void exchange(FILE *out, const json_t *ev)
{
	const char *key;
	json_t *v;

	if (json_is_string(json_object_get(ev, "request"))) {
		fputs("<h3>request</h3><pre class=\"request\">", out);
		esc(out, json_string_value(json_object_get(ev, "request")));
		fputs("</pre>\n", out);
	}
	json_object_foreach((json_t *)ev, key, v)
		if (json_is_object(v) && json_object_get(v, "status")) {
			fputs("<h3>response", out);
			if (strcmp(key, "response")) {
				fputs(" (", out);
				esc(out, key);
				fputc(')', out);
			}
			fputs("</h3>", out);
			json_pre(out, "response", v);
		}
}

static void verdicts(FILE *out, const struct case_result *cr)
{
	size_t j;

	fputs("<table class=\"verdicts\"><tr><th>outcome</th><th>check</th><th>evidence</th></tr>\n", out);
	for (j = 0; j < cr->nr; j++) {
		const struct check_result *ch = &cr->checks[j];
		const char *o = outcome_name(ch->outcome);

		fprintf(out, "<tr class=\"%s\" data-check=\"", o);
		esc(out, ch->id);
		fprintf(out, "\"><td class=\"o\">%s</td><td>", o);
		esc(out, ch->id);
		fputs("</td><td>", out);
		esc(out, ch->message);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
}

static void one_case(FILE *out, const struct case_result *cr, size_t i, int client)
{
	const char *st = report_case_status(cr), *cls = !strcmp(st, "not ok") ? "fail" : st;
	const json_t *ev = cr->evidence;

	fprintf(out, "<section class=\"case %s\" id=\"case-%zu\" data-status=\"%s\" data-name=\"", cls, i + 1, cls);
	esc(out, cr->fc->name);
	fputs("\">\n<h2>", out);
	esc(out, cr->fc->name);
	fprintf(out, " <span class=\"badge %s\">%s</span></h2>\n", cls, st);
	if (client)
		timeline(out, json_object_get(ev, "attempts"));
	verdicts(out, cr);
	if (!client)
		exchange(out, ev);
	else if (json_is_string(json_object_get(ev, "output"))) {
		fputs("<h3>client output</h3><pre class=\"output\">", out);
		esc(out, json_string_value(json_object_get(ev, "output")));
		fputs("</pre>\n", out);
		if (json_is_string(json_object_get(ev, "output_tail"))) {
			fputs("<h3>the end of its output</h3><pre class=\"output-tail\">", out);
			esc(out, json_string_value(json_object_get(ev, "output_tail")));
			fputs("</pre>\n", out);
		}
	}
	if (ev) {
		fputs("<details><summary>evidence (JSON)</summary>", out);
		json_pre(out, "evidence", ev);
		fputs("</details>\n", out);
	}
	fputs("</section>\n", out);
}

static void summary(FILE *out, const struct check_run *run)
{
	size_t i, bad = 0;

	fprintf(out, "<section id=\"summary\" data-cases=\"%zu\" data-passed=\"%zu\" data-failed=\"%zu\" "
		"data-errors=\"%zu\" data-skipped=\"%zu\" data-warnings=\"%zu\">\n<table>"
		"<tr><td>cases</td><td class=\"n\">%zu</td></tr><tr><td>checks passed</td><td class=\"n\">%zu</td></tr>"
		"<tr><td>failed</td><td class=\"n\">%zu</td></tr><tr><td>errors</td><td class=\"n\">%zu</td></tr>"
		"<tr><td>skipped</td><td class=\"n\">%zu</td></tr><tr><td>warnings</td><td class=\"n\">%zu</td></tr>"
		"<tr><td>seconds</td><td class=\"n\">%.2f</td></tr></table>\n",
		run->nr, run->passed, run->failed, run->errors, run->skipped, run->warnings,
		run->nr, run->passed, run->failed, run->errors, run->skipped, run->warnings, run->seconds);
	if (run->unreachable) {
		fputs("<p class=\"unreachable\">The target is unreachable: ", out);
		esc(out, run->unreachable_why);
		fputs("</p>\n", out);
	}
	for (i = 0; i < run->nr; i++) {
		const struct case_result *cr = &run->results[i];

		if (strcmp(report_case_status(cr), "not ok"))
			continue;
		if (!bad++)
			fputs("<h2>failing</h2><ul class=\"failing\">\n", out);
		fprintf(out, "<li><a href=\"#case-%zu\">", i + 1);
		esc(out, cr->fc->name);
		fputs("</a></li>\n", out);
	}
	if (bad)
		fputs("</ul>\n", out);
	fputs("</section>\n", out);
}

void report_html(FILE *out, const struct check_run *run, const struct report_meta *meta)
{
	char name[300], stamp[32];
	const char *title = meta->name ? meta->name : report_default_name(name, sizeof(name), run, meta);
	int client = !strcmp(meta->tool, "client");
	time_t now = time(NULL);
	struct tm tm;
	size_t i;

	if (!gmtime_r(&now, &tm))
		memset(&tm, 0, sizeof(tm));
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	      "<title>errata ", out);
	esc(out, meta->tool);
	fputs(": ", out);
	esc(out, title);
	fprintf(out, "</title>\n<style>%s</style></head>\n<body data-tool=\"%s\">\n<h1>errata %s: ",
		style, client ? "client" : "check", client ? "client" : "check");
	esc(out, title);
	fputs("</h1>\n<p class=\"meta\">contract ", out);
	esc(out, run->cfg.contract->id);
	fputs(" (", out);
	esc(out, run->cfg.contract->source);
	fputs("); ", out);
	if (meta->base_url) {
		char *u = redact_url(meta->base_url);
		char *safe = u ? redact_evidence(run->cfg.redactor, u, strlen(u), 400) : NULL;

		fputs("target <code>", out);
		esc(out, safe);
		fputs("</code>; ", out);
		free(u);
		free(safe);
	}
	if (meta->command) {
		fputs("client <code>", out);
		esc(out, meta->command);
		fputs("</code>; ", out);
	}
	fprintf(out, "errata %s; %s</p>\n", ERRATA_VERSION, stamp);
	summary(out, run);
	for (i = 0; i < run->nr; i++)
		one_case(out, &run->results[i], i, client);
	fputs("</body></html>\n", out);
}
