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

struct passive_run {
	struct check_run run;
	struct fixture_case *cases;
	size_t nr;
};

/* Build from mock_proxy_report()'s JSON. 0, or -1 when out of memory. */
int passive_run_build(struct passive_run *p, const struct contract *c, json_t *report,
		      struct redactor *red);
void passive_run_release(struct passive_run *p);

#endif
