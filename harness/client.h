#ifndef ERRATA_CLIENT_H
#define ERRATA_CLIENT_H
/*
 * errata client's engine: each scenario of a suite (model/suite.h) served
 * by its own in-process mock to a client command, and the client judged by
 * the verdict engine (model/verdict.h) from the mock's journal, its exit
 * and its output.
 */
#include <stddef.h>
#include <jansson.h>

#include "check.h"
#include "../model/redact.h"
#include "../model/contract.h"
#include "../model/suite.h"

struct client_config {
	struct contract *contract;
	char *const *command;
	double timeout_s;      /* seconds per run; 0: each scenario's own */
	unsigned jobs;         /* scenarios at once (they mostly wait) */
	int progress;
	int root_url;          /* ERRATA_BASE_URL is the host and port alone */
	const struct redactor *redactor; /* secrets scrubbed from messages and evidence, or NULL */
};

/* The default jobs: scenarios wait far more than they compute, so many
 * run at once; their clients start one per core at a time, until each
 * one's first request (see client.c). */
unsigned client_default_jobs(size_t nr_scenarios);

/* Run every scenario; the results go into a check_run (release it with
 * check_run_release) so that the report writers serve both halves.
 * `cases` must outlive the run. */
int client_run(struct check_run *run, const struct client_config *cfg,
	       const struct suite *suite, struct fixtures *cases);

#endif
