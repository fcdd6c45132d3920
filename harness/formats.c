/*
 * The report formats, as rows of one table: the option (--NAME FILE), the
 * admin API's ?format=NAME, its media type, the line of the usage text,
 * and its writer. A new format is its writer (one file) and one row here:
 * the CLI's options, its usage texts and GET /__errata/report find it.
 */
#include <stdio.h>
#include <string.h>

#include "baseline.h"
#include "formats.h"

static void json_writer(FILE *out, const struct check_run *run, const struct report_meta *meta)
{
	char buf[300];

	report_json(out, run, meta->tool, meta->name ? meta->name : report_default_name(buf, sizeof(buf), run, meta),
		    meta->command);
}

const struct report_format report_formats[] = {
	{ "tap", "text/plain; charset=utf-8", "FILE|-", "TAP (default: stdout when no other report is asked for)",
	  report_tap },
	{ "junit", "application/xml", "FILE", "JUnit XML", report_junit },
	{ "html", "text/html; charset=utf-8", "FILE",
	  "one self-contained HTML page: each case's request, response and verdicts", report_html },
	{ "json", "application/json", "FILE", "the results as JSON: each case, its checks and evidence", json_writer },
	{ NULL, NULL, NULL, NULL, NULL }
};

const struct report_format *report_format_find(const char *name)
{
	const struct report_format *f;

	for (f = report_formats; f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

const struct report_format *report_format_option(const char *option)
{
	return strncmp(option, "--", 2) ? NULL : report_format_find(option + 2);
}

void report_formats_usage(FILE *out)
{
	const struct report_format *f;

	for (f = report_formats; f->name; f++) {
		int n = fprintf(out, "  --%s %s", f->name, f->arg);

		fprintf(out, "%*s%s\n", n < 23 ? 23 - n : 1, "", f->help);
	}
}

void report_formats_list(char *buf, size_t size)
{
	const struct report_format *f;
	size_t o = 0;

	buf[0] = '\0';
	for (f = report_formats; f->name && o < size; f++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? ", " : "", f->name);
}
