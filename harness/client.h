#ifndef ERRATA_CLIENT_H
#define ERRATA_CLIENT_H
/*
 * errata client's engine: a suite of scenarios derived from the contract,
 * each served by its own in-process mock to a client command, and the
 * client judged from the mock's journal, its exit and its output.
 */
#include <stddef.h>
#include <jansson.h>

#include "check.h"
#include "../model/redact.h"
#include "../model/contract.h"
#include "../model/jload.h"

enum client_expect { EXPECT_RETRY, EXPECT_NO_RETRY, EXPECT_BACKOFF, EXPECT_FAULT };

struct client_scenario {
	char *name;
	enum client_expect expect;
	const struct contract_code *code;   /* the error served, or NULL */
	int date_form;                      /* Retry-After as an HTTP-date */
	const char *hint;                   /* the retry hint header sent as "false", or NULL */
	json_t *steps;                      /* the mock's steps (owned) */
	char *source;
};

struct client_suite {
	struct client_scenario *v;
	size_t nr, alloc;
};

void client_suite_init(struct client_suite *s);
void client_suite_release(struct client_suite *s);

/* The standard suite for contract c. */
int client_suite_standard(struct client_suite *s, const struct contract *c);

/* Scenarios from a file (format: fixtures/README.md). 0, or -1 with *err. */
int client_suite_load(struct client_suite *s, const char *file, const struct contract *c,
		      struct load_error *err);

/* Keep only the scenarios whose name is `name` or starts with "name "; the
 * number kept. */
size_t client_suite_filter(struct client_suite *s, char *const *names, size_t nr_names);

struct client_config {
	struct contract *contract;
	char *const *command;
	double timeout_s;
	unsigned jobs;
	int progress;
	const struct redactor *redactor; /* secrets scrubbed from messages and evidence, or NULL */
};

/* Run every scenario; the results go into a check_run (release it with
 * check_run_release) so that the TAP and JUnit writers serve both halves.
 * `cases` must outlive the run. */
int client_run(struct check_run *run, const struct client_config *cfg,
	       const struct client_suite *suite, struct fixtures *cases);

#endif
