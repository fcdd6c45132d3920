#ifndef ERRATA_REPORT_H
#define ERRATA_REPORT_H
/*
 * Reports of a check run: TAP version 14 (one subtest per case, a test
 * point per check, YAML evidence) and JUnit XML as CI systems read it.
 * Everything written has already been redacted by the run.
 */
#include <stdio.h>

#include "check.h"

/* Who wrote a report, and about what: the same writers serve both halves. */
struct report_meta {
	const char *tool;        /* "check" or "client" */
	const char *name;        /* the suite's name: --name, or derived */
	const char *base_url;    /* check: the target (redacted before it is written) */
	const char *command;     /* client: the command, already redacted */
	int tap_version;         /* 13 or 14 */
};

/* The suite's name when no --name is given: "<contract> at <host>" for
 * check, "<contract> with <command's basename>" for client. Static buffer
 * of `size` bytes; redacted. */
const char *report_default_name(char *buf, size_t size, const struct check_run *run,
				const struct report_meta *meta);

void report_tap(FILE *out, const struct check_run *run, const struct report_meta *meta);
void report_junit(FILE *out, const struct check_run *run, const struct report_meta *meta);

/*
 * One self-contained HTML page (html.c): a summary, then each case with its
 * verdicts and evidence, and for a client scenario a timeline of the
 * attempts with the Retry-After windows they were asked to respect. It
 * fetches nothing: a Content-Security-Policy forbids every load.
 */
void report_html(FILE *out, const struct check_run *run, const struct report_meta *meta);

/*
 * For the CI log: each failing or erroring check as one line
 * "errata TOOL: not ok: CASE: CHECK: message", whatever reports were asked
 * for. Control characters become spaces. Returns the lines written.
 */
size_t report_failures(FILE *err, const struct check_run *run, const struct report_meta *meta);

/* "not ok", "ok" or "skip" for a case, from its checks. */
const char *report_case_status(const struct case_result *cr);

/* Write s as XML character data: escaped, invalid UTF-8 and characters XML
 * 1.0 forbids replaced by U+FFFD. */
void xml_escape(FILE *out, const char *s);

#endif
