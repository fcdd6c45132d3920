/*
 * The TAP and JUnit writers. Both take everything from the finished run,
 * so counts always agree with the children they summarise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report.h"
#include "../model/redact.h"
#include "../model/tap.h"
#include "../model/utf8.h"
#include "../model/version.h"

const char *report_case_status(const struct case_result *cr)
{
	size_t i;
	int skip = cr->nr > 0;

	for (i = 0; i < cr->nr; i++) {
		if ((cr->checks[i].outcome == OUT_FAIL || cr->checks[i].outcome == OUT_ERROR) && !cr->checks[i].known)
			return "not ok";
		if (cr->checks[i].outcome != OUT_SKIP)
			skip = 0;
	}
	return skip ? "skip" : "ok";
}

const char *report_default_name(char *buf, size_t size, const struct check_run *run,
				const struct report_meta *meta)
{
	const struct redactor *red = run->cfg.redactor;
	char *raw = NULL, *safe;

	if (!strcmp(meta->tool, "client")) {
		/* the command's words without their folders: "python3 client.py --mode x" */
		const char *p = meta->command ? meta->command : "?";
		size_t len = 0;
		FILE *f = open_memstream(&raw, &len);

		if (f) {
			fprintf(f, "%s with ", run->cfg.contract->id);
			while (*p) {
				size_t w = strcspn(p, " ");
				const char *slash = memrchr(p, '/', w);

				if (slash && slash + 1 < p + w && strncmp(p, "http", 4)) {
					w -= (size_t)(slash + 1 - p);
					p = slash + 1;
				}
				fwrite(p, 1, w, f);
				p += w;
				if (*p)
					fputc(*p++, f);
			}
			if (fclose(f)) {
				free(raw);
				raw = NULL;
			}
		}
	} else {
		char *u = redact_url(meta->base_url ? meta->base_url : "");
		const char *host = u ? strstr(u, "://") : NULL;
		size_t n = 1;

		if (host) { /* the authority without its userinfo */
			const char *at;

			host += 3;
			n = strcspn(host, "/?#");
			if ((at = memrchr(host, '@', n))) {
				n -= (size_t)(at + 1 - host);
				host = at + 1;
			}
		}
		if (asprintf(&raw, "%s at %.*s", run->cfg.contract->id, (int)n, host ? host : "?") < 0)
			raw = NULL;
		free(u);
	}
	safe = raw ? redact_evidence(red, raw, strlen(raw), size > 4 ? size - 4 : 0) : NULL;
	snprintf(buf, size, "%s", safe ? safe : run->cfg.contract->id);
	free(raw);
	free(safe);
	return buf;
}

void report_tap(FILE *out, const struct check_run *run, const struct report_meta *meta)
{
	struct tap t, sub;
	size_t i, j;
	char name[400];

	tap_init(&t, out, meta->tap_version == 13 ? 13 : TAP_VERSION);
	if (run->unreachable) {
		char why[400];

		snprintf(why, sizeof(why), "the target is unreachable: %s",
			 run->unreachable_why[0] ? run->unreachable_why : "no reason was given");
		tap_bail(&t, why);
		return;
	}
	tap_plan(&t, (int)run->nr);
	for (i = 0; i < run->nr; i++) {
		const struct case_result *cr = &run->results[i];
		const char *st = report_case_status(cr);

		snprintf(name, sizeof(name), "%s: %s", run->cfg.contract->id, cr->fc->name);
		tap_subtest(&sub, &t, name);
		tap_plan(&sub, (int)cr->nr);
		for (j = 0; j < cr->nr; j++) {
			const struct check_result *ch = &cr->checks[j];

			switch (ch->outcome) {
			case OUT_SKIP:
				tap_skip(&sub, ch->message, "%s", ch->id);
				break;
			case OUT_PASS:
				tap_ok(&sub, 1, "%s", ch->id);
				break;
			case OUT_WARN:
				tap_ok(&sub, 1, "%s", ch->id);
				tap_diag(&sub, "warning: %s", ch->message);
				break;
			default: {
				json_t *y = json_pack("{ss ss ss sO*}", "check", ch->id,
						      "outcome", outcome_name(ch->outcome), "message", ch->message,
						      "evidence", cr->evidence);

				json_object_set_new(y, "source", json_string(cr->fc->source));
				if (ch->known) /* TAP's TODO: a failure that does not fail the suite */
					tap_todo(&sub, 0, "known failure (baseline)", "%s", ch->id);
				else
					tap_ok(&sub, 0, "%s", ch->id);
				tap_yaml(&sub, y);
				json_decref(y);
			}
			}
		}
		tap_done(&sub);
		if (!strcmp(st, "skip"))
			tap_skip(&t, "no check applies", "%s", name);
		else
			tap_ok(&t, !strcmp(st, "ok"), "%s", name);
	}
	tap_diag(&t, "%zu passed, %zu failed, %zu errors, %zu skipped, %zu warnings; %zu backoffs on 429/503",
		 run->passed, run->failed, run->errors, run->skipped, run->warnings, run->backoffs);
	if (run->known)
		tap_diag(&t, "%zu known failures (baseline) not counted", run->known);
	tap_done(&t);
}

/* Length of a valid UTF-8 sequence at p that XML 1.0 allows, or 0. */
static size_t xml_char(const unsigned char *p)
{
	unsigned cp;
	size_t n = utf8_char(p, &cp);

	if (!n || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

void xml_escape(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = xml_char(p);

		if (!n) {
			fputs("\xef\xbf\xbd", out); /* U+FFFD */
			p++;
			continue;
		}
		switch (*p) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		default: fwrite(p, 1, n, out);
		}
		p += n;
	}
}

static void attr(FILE *out, const char *name, const char *value)
{
	fprintf(out, " %s=\"", name);
	xml_escape(out, value);
	fputc('"', out);
}

static void property(FILE *out, const char *name, const char *value)
{
	fputs("      <property", out);
	attr(out, "name", name);
	attr(out, "value", value ? value : "");
	fputs("/>\n", out);
}

void report_junit(FILE *out, const struct check_run *run, const struct report_meta *meta)
{
	size_t i, j, tests = 0, failures = 0, errors = 0, skipped = 0;
	char stamp[32], host[256] = "localhost", suite[300], tool[32];
	char *url = meta->base_url ? redact_url(meta->base_url) : NULL;
	const char *name = meta->name ? meta->name : report_default_name(suite, sizeof(suite), run, meta);
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	gethostname(host, sizeof(host) - 1);
	for (i = 0; i < run->nr; i++)
		for (j = 0; j < run->results[i].nr; j++) {
			tests++;
			if (run->results[i].checks[j].known) {
				skipped++;
				continue;
			}
			switch (run->results[i].checks[j].outcome) {
			case OUT_FAIL: failures++; break;
			case OUT_ERROR: errors++; break;
			case OUT_SKIP: skipped++; break;
			default: break;
			}
		}
	snprintf(tool, sizeof(tool), "errata %s", meta->tool);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", out);
	attr(out, "name", tool);
	fprintf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
		tests, failures, errors, skipped, run->seconds);
	fputs("  <testsuite", out);
	attr(out, "name", name);
	fprintf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\"",
		tests, failures, errors, skipped, run->seconds);
	attr(out, "timestamp", stamp);
	attr(out, "hostname", host);
	fputs(">\n    <properties>\n", out);
	property(out, "errata.tool", meta->tool);
	property(out, "errata.version", ERRATA_VERSION);
	property(out, "contract.id", run->cfg.contract->id);
	property(out, "contract.source", run->cfg.contract->source);
	if (url)
		property(out, "base_url", url);
	if (meta->command)
		property(out, "client.command", meta->command);
	fputs("    </properties>\n", out);
	for (i = 0; i < run->nr; i++) {
		const struct case_result *cr = &run->results[i];
		char classname[400], *evidence = json_dumps(cr->evidence, JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(6));

		snprintf(classname, sizeof(classname), "%s.%s", name, cr->fc->name);
		for (j = 0; j < cr->nr; j++) {
			const struct check_result *ch = &cr->checks[j];

			fputs("    <testcase", out);
			attr(out, "classname", classname);
			attr(out, "name", ch->id);
			fprintf(out, " time=\"%.3f\"", cr->nr ? cr->seconds / (double)cr->nr : 0.0);
			if (ch->known) { /* CI systems have no "expected failure": a skip that says so */
				fputs(">\n      <skipped message=\"known failure (baseline): ", out);
				xml_escape(out, ch->message);
				fputs("\"/>\n    </testcase>\n", out);
				continue;
			}
			switch (ch->outcome) {
			case OUT_FAIL:
			case OUT_ERROR:
				fputs(">\n      <", out);
				fputs(ch->outcome == OUT_FAIL ? "failure" : "error", out);
				attr(out, "message", ch->message);
				attr(out, "type", ch->id);
				fputs(">", out);
				xml_escape(out, evidence ? evidence : "");
				fprintf(out, "</%s>\n    </testcase>\n", ch->outcome == OUT_FAIL ? "failure" : "error");
				break;
			case OUT_SKIP:
				fputs(">\n      <skipped", out);
				attr(out, "message", ch->message);
				fputs("/>\n    </testcase>\n", out);
				break;
			case OUT_WARN:
				fputs(">\n      <system-out>warning: ", out);
				xml_escape(out, ch->message);
				fputs("</system-out>\n    </testcase>\n", out);
				break;
			default:
				fputs("/>\n", out);
			}
		}
		free(evidence);
	}
	fputs("  </testsuite>\n</testsuites>\n", out);
	free(url);
}

/* s on one line: control characters (newlines among them) as spaces */
static void one_line(FILE *out, const char *s)
{
	for (; s && *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s, out);
}

size_t report_failures(FILE *err, const struct check_run *run, const struct report_meta *meta)
{
	size_t i, j, n = 0;

	if (run->unreachable) {
		fprintf(err, "errata %s: the target is unreachable: ", meta->tool);
		one_line(err, run->unreachable_why[0] ? run->unreachable_why : "no reason was given");
		fputc('\n', err);
		return 1;
	}
	for (i = 0; i < run->nr; i++)
		for (j = 0; j < run->results[i].nr; j++) {
			const struct check_result *ch = &run->results[i].checks[j];

			if ((ch->outcome != OUT_FAIL && ch->outcome != OUT_ERROR) || ch->known)
				continue;
			fprintf(err, "errata %s: %s: ", meta->tool, ch->outcome == OUT_FAIL ? "not ok" : "error");
			one_line(err, run->results[i].fc->name);
			fprintf(err, ": %s: ", ch->id);
			one_line(err, ch->message);
			fputc('\n', err);
			n++;
		}
	return n;
}
