#ifndef ERRATA_CHECK_H
#define ERRATA_CHECK_H
/*
 * harness/ runs things and reports on them, over mock/ and model/: errata
 * check (this engine), errata client (client.c), errata proxy's findings
 * (passive.c), and the report formats (formats.c), one result model for all.
 *
 * errata check's engine: run fixture cases against a target and judge each
 * response against the contract. Three outcomes per check (munit's): pass,
 * fail (the target broke the contract), error (it could not be tested);
 * and skip, for a check that does not apply.
 */
#include <pthread.h>
#include <stddef.h>
#include <jansson.h>

#include "fixture.h"
#include "../model/redact.h"
#include "../model/verdict.h"

#define CHECK_EXPECT              "expect"
#define CHECK_TRANSPORT           "transport"
#define CHECK_IDEMPOTENCY_REPLAY  "idempotency.replay"
#define CHECK_IDEMPOTENCY_CONFLICT "idempotency.conflict"
#define CHECK_BURST_LIMITED       "burst.limited"

struct check_result {
	const char *id;
	enum outcome outcome;
	char *message;        /* redacted */
	int known;            /* a failure the baseline lists: reported, not failing the run */
};

struct case_result {
	const struct fixture_case *fc;
	struct check_result *checks;
	size_t nr, alloc;
	json_t *evidence;     /* redacted: request, response, attempts */
	double seconds;
	int backoffs;
	int unreachable;
	char unreachable_why[256];  /* why, redacted */
};

struct check_config {
	const struct contract *contract;
	const char *base_url;
	char **headers;       /* "Name: value", ${VARS} expanded */
	size_t nr_headers;
	struct redactor *redactor;
	long timeout_ms;
	unsigned jobs;
	double rate;          /* requests per second; 0: no limit */
	int selector;         /* send X-Errata-Error for the expected code */
	int burst;            /* run burst cases */
	unsigned shard, shards;
	int progress;         /* a progress line on stderr */
	double deadline_s;    /* backoff waits never run past this many seconds; 0: 300 */
};

struct check_run {
	struct check_config cfg;
	struct case_result *results;
	size_t nr;
	double seconds;
	size_t passed, failed, errors, skipped, warnings, backoffs;
	size_t known;         /* failures and errors the baseline lists (not in failed, errors) */
	int unreachable;
	char unreachable_why[256];  /* the first case's reason, redacted */
	/* internal */
	pthread_mutex_t lock;
	size_t next, done;
	double next_slot;
	double started;
};

/* Run the cases (all of `f`, or this shard's); fills run (release it). */
int check_run(struct check_run *run, const struct check_config *cfg, const struct fixtures *f);
void check_run_release(struct check_run *run);

/* Append a check's result; the message is formatted, then redacted with
 * `red` (may be NULL). */
void case_result_add(struct case_result *cr, const char *id, enum outcome o,
		     const struct redactor *red, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Expand ${VAR} in `s` from the environment; each expanded value is added to
 * the redactor. Returns a new string, or NULL naming the unset variable in why. */
char *expand_env(const char *s, struct redactor *r, char *why, size_t size);

#endif
