/*
 * The report options errata check, client and proxy share (one per row of
 * harness/formats.c, --tap-version, --name), their lines in the usage
 * texts, and writing what they ask for: the reports, then each failing
 * check as a line on stderr for the CI log.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

void report_opts_init(struct report_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->tap_version = 14;
}

int report_takes(const char *a)
{
	return report_format_option(a) || !strcmp(a, "--name") || !strcmp(a, "--tap-version");
}

int report_option(struct report_opts *o, const char *a, const char *v, const char *cmd)
{
	const struct report_format *f = report_format_option(a);

	if (f)
		o->file[f - report_formats] = v;
	else if (!strcmp(a, "--name")) {
		if (!*v || strlen(v) > 200 || strpbrk(v, "\r\n"))
			return usage_fail(cmd, "--name is 1 to 200 bytes on one line"), -1;
		o->name = v;
	} else if (!strcmp(a, "--tap-version")) {
		if (strcmp(v, "13") && strcmp(v, "14"))
			return usage_fail(cmd, "--tap-version '%s' is not 13 or 14", v), -1;
		o->tap_version = v[1] - '0' + 10;
	} else {
		return 0;
	}
	return 1;
}

typedef void (*writer)(FILE *, const struct check_run *, const struct report_meta *);

void report_usage(FILE *out, const char *usage)
{
	const char *at = strstr(usage, "@formats\n");

	if (!at) {
		fputs(usage, out);
		return;
	}
	fwrite(usage, 1, (size_t)(at - usage), out);
	report_formats_usage(out);
	fputs(at + 9, out);
}

static int write_one(const char *file, writer w, const struct check_run *run,
		     const struct report_meta *meta, const char *cmd)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "w") : stdout;

	if (!f) {
		fprintf(stderr, "errata %s: cannot write '%s': %s\n", cmd, file, strerror(errno));
		return -1;
	}
	w(f, run, meta);
	if (f != stdout ? fclose(f) : fflush(f)) {
		fprintf(stderr, "errata %s: cannot write '%s': %s\n", cmd, file, strerror(errno));
		return -1;
	}
	return 0;
}

int report_write_all(const struct report_opts *o, const struct check_run *run,
		     struct report_meta *meta)
{
	int bad = 0;

	const struct report_format *f;
	int any = 0;

	meta->name = o->name;
	meta->tap_version = o->tap_version;
	for (f = report_formats; f->name; f++)
		if (o->file[f - report_formats]) {
			bad |= write_one(o->file[f - report_formats], f->write, run, meta, meta->tool);
			any = 1;
		}
	if (!any) /* the first format, on stdout */
		bad |= write_one("-", report_formats[0].write, run, meta, meta->tool);
	report_failures(stderr, run, meta);
	return bad ? -1 : 0;
}
