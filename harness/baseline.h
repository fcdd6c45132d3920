#ifndef ERRATA_BASELINE_H
#define ERRATA_BASELINE_H
/*
 * Gating on regressions only: a baseline file lists the failing checks of
 * a run ({"errata_baseline": 1, "contract", "failures": [{"scenario",
 * "check"}]}). Applied to a later run, a listed failure is known (reported,
 * not failing the run), an unlisted one is new, and a listed one that now
 * passes is fixed.
 */
#include <stdio.h>

#include "check.h"

/* The run's failures and errors as a baseline. 0, or -1 (errno). */
int baseline_write(const char *file, const struct check_run *run);

struct baseline_outcome {
	size_t known, fresh, fixed, absent;   /* absent: listed, its scenario not run */
};

/*
 * Mark the run's failures that `file` lists as known (they leave
 * run->failed and run->errors for run->known), and print on `log` each
 * fixed one. 0, or -1 with why (an unreadable or malformed baseline, or
 * one of another contract).
 */
int baseline_apply(const char *file, struct check_run *run, struct baseline_outcome *out, FILE *log,
		   const char *tool, char *why, size_t size);

/* The JSON report: every check of every case, passes with their evidence
 * too, and the totals. */
void report_json(FILE *out, const struct check_run *run, const char *tool, const char *name,
		 const char *command);

#endif
