#ifndef ERRATA_PASSIVE_H
#define ERRATA_PASSIVE_H
/*
 * errata proxy's findings as a check run, so that its reports are errata
 * check's: TAP, JUnit and JSON from the same writers. One case per group of
 * upstream error responses (operation, status, code), one check per
 * contract check, plus the upstream's own health. A proxy that saw no
 * error response reports that, as a skip: nothing is ever passed unseen.
 */
#include <jansson.h>

#include "check.h"
#include "../mock/mock.h"

struct passive_run {
	struct check_run run;
	struct fixture_case *cases;
	size_t nr, cap;
	const char *source;          /* "errata proxy", or "errata serve --inject" */
};

/* Build from the proxy's findings, read in C, and the verdicts of the
 * errors --inject served (f->chaos: a case each); errata serve's findings
 * have no conformance. 0, or -1 when out of memory. */
int passive_run_build(struct passive_run *p, const struct contract *c, const struct proxy_findings *f,
		      struct redactor *red);
void passive_run_release(struct passive_run *p);

#endif
