#ifndef ERRATA_FORMATS_H
#define ERRATA_FORMATS_H
/*
 * The report formats (formats.c): one row each. Adding one is its writer
 * and its row.
 */
#include <stddef.h>
#include <stdio.h>

#include "report.h"

struct report_format {
	const char *name;        /* --NAME FILE, ?format=NAME */
	const char *media_type;
	const char *arg;         /* what the option takes, for the usage text */
	const char *help;        /* its line in the usage text */
	void (*write)(FILE *out, const struct check_run *run, const struct report_meta *meta);
};

#define REPORT_MAX_FORMATS 8

/* NULL-terminated; the first is the default (TAP, on stdout). */
extern const struct report_format report_formats[];

const struct report_format *report_format_find(const char *name);
/* The format an option names ("--junit"), or NULL. */
const struct report_format *report_format_option(const char *option);
/* One usage line per format. */
void report_formats_usage(FILE *out);
/* "tap, junit, html, json" into buf. */
void report_formats_list(char *buf, size_t size);

#endif
