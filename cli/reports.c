/*
 * The report options errata check and errata client share (--tap, --junit,
 * --html, --tap-version, --name), and writing what they ask for: the
 * reports, then each failing check as a line on stderr for the CI log.
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

int report_option(struct report_opts *o, const char *a, const char *v, const char *cmd)
{
	if (!strcmp(a, "--tap")) o->tap = v;
	else if (!strcmp(a, "--junit")) o->junit = v;
	else if (!strcmp(a, "--html")) o->html = v;
	else if (!strcmp(a, "--json")) o->json = v;
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

static void json_writer(FILE *out, const struct check_run *run, const struct report_meta *meta)
{
	char buf[300];

	report_json(out, run, meta->tool, meta->name ? meta->name : report_default_name(buf, sizeof(buf), run, meta),
		    meta->command);
}

int report_write_all(const struct report_opts *o, const struct check_run *run,
		     struct report_meta *meta)
{
	int bad = 0;

	meta->name = o->name;
	meta->tap_version = o->tap_version;
	if (!o->tap && !o->junit && !o->html && !o->json)
		bad |= write_one("-", report_tap, run, meta, meta->tool);
	if (o->tap)
		bad |= write_one(o->tap, report_tap, run, meta, meta->tool);
	if (o->junit)
		bad |= write_one(o->junit, report_junit, run, meta, meta->tool);
	if (o->html)
		bad |= write_one(o->html, report_html, run, meta, meta->tool);
	if (o->json)
		bad |= write_one(o->json, json_writer, run, meta, meta->tool);
	report_failures(stderr, run, meta);
	return bad ? -1 : 0;
}
