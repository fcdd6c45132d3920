#ifndef ERRATA_REPORT_H
#define ERRATA_REPORT_H
/*
 * Reports of a check run: TAP version 14 (one subtest per case, a test
 * point per check, YAML evidence) and JUnit XML as CI systems read it.
 * Everything written has already been redacted by the run.
 */
#include <stdio.h>

#include "check.h"

void report_tap(FILE *out, const struct check_run *run);

/* `base_url` is redacted before it is written. */
void report_junit(FILE *out, const struct check_run *run, const char *base_url);

/* Write s as XML character data: escaped, invalid UTF-8 and characters XML
 * 1.0 forbids replaced by U+FFFD. */
void xml_escape(FILE *out, const char *s);

#endif
