#ifndef ERRATA_TAP_H
#define ERRATA_TAP_H
/*
 * A TAP version 14 writer, used by errata's reports and by its own tests.
 * Descriptions are escaped ('#' and '\'), control characters never reach the
 * stream, and YAML diagnostics are written as JSON (valid YAML 1.2).
 */
#include <stdio.h>
#include <jansson.h>

struct tap {
	FILE *out;
	int indent;      /* spaces before each line: 4 per subtest level */
	int planned;     /* the plan, once printed; -1 before */
	int n;           /* test points written */
	int failed;      /* "not ok" points that were not TODO */
};

/*
 * Start a stream on `out` with the line "TAP version <version>". Reports
 * declare 14; the project's own tests declare 13, because Debian 12's prove
 * (Test::Harness 3.44) rejects 14 and TAP 14 is a superset of 13.
 */
#define TAP_VERSION 14
#define TAP_VERSION_TESTS 13
void tap_init(struct tap *t, FILE *out, int version);

/* Start a subtest of `parent` named `name` ("# Subtest: name"). */
void tap_subtest(struct tap *child, struct tap *parent, const char *name);

/* Print the plan "1..n" (at the start, or at the end with n = t->n). */
void tap_plan(struct tap *t, int n);

/* A test point. Returns `ok`. */
int tap_ok(struct tap *t, int ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A test point with a directive: "# SKIP reason" or "# TODO reason". */
void tap_skip(struct tap *t, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int tap_todo(struct tap *t, int ok, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* YAML diagnostics for the last test point: each member of `obj` on a line. */
void tap_yaml(struct tap *t, json_t *obj);

/* A comment line "# ...". */
void tap_diag(struct tap *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "Bail out! reason". */
void tap_bail(struct tap *t, const char *reason);

/* Close a stream: print a trailing plan if none was printed. Returns the
 * number of failures (for a subtest, pass it to the parent's tap_ok). */
int tap_done(struct tap *t);

/* Write `s` escaped for a description into `out` (no newline). */
void tap_escape(FILE *out, const char *s);

#endif
