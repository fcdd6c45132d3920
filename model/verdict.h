#ifndef ERRATA_VERDICT_H
#define ERRATA_VERDICT_H
/*
 * The client verdict engine: a scenario of the suite, the attempts the
 * mock journaled for it and what became of the client give the checks
 * (retry.attempted, retry.waited, retry.same-key, ...) with their
 * evidence. errata client and the mock's admin API both judge with it, so
 * a command spawned per scenario and an SDK's own test get one answer.
 */
#include <stddef.h>
#include <jansson.h>

#include "contract.h"
#include "exchange.h"
#include "redact.h"
#include "suite.h"

/* A check's outcome (munit's): pass; fail (the client broke the contract);
 * error (it could not be tested); skip, for a check that does not apply. */
enum outcome { OUT_PASS, OUT_FAIL, OUT_ERROR, OUT_SKIP, OUT_WARN };

/* "pass", "fail", "error", "skip", "warn" */
const char *outcome_name(enum outcome o);

/* What became of the client. A test that reports nothing leaves `known`
 * 0: the checks that need its end are then skipped, never passed. */
struct client_end {
	int known;
	int exited, exit_code;       /* exit_code 0: the call succeeded */
	int signaled, signal, timed_out;
	int stopped;                 /* ended once enough was seen (a long wait watched) */
	double seconds;
	const char *output;          /* what it printed or raised (head), or NULL */
	size_t output_len;
	const char *tail;
	size_t tail_len;
};

struct client_check {
	const char *id;              /* static */
	enum outcome outcome;
	char *message;               /* redacted */
};

struct verdicts {
	struct client_check *v;
	size_t nr, alloc;
	json_t *attempts;            /* evidence: one object per attempt (redacted) */
	int attempts_cut;            /* more attempts were journaled than judged */
};

#define VERDICT_MAX_ATTEMPTS 200

/* A long wait is watched this long after the first response: a client
 * that has not retried by then is not retrying early, and is stopped. */
#define VERDICT_LONG_WAIT_WATCH_S 5.0

/*
 * Judge scenario `sc` of contract c from its exchanges x[0..nr) (its
 * requests, oldest first, as the mock journaled them) and the client's
 * end. Messages and evidence are redacted with `red` (may be NULL).
 * Returns 0, or -1 when out of memory.
 */
int verdict_judge(struct verdicts *out, const struct contract *c, const struct suite_scenario *sc,
		  const struct exchange *x, size_t nr, const struct client_end *end, double timeout_s,
		  const struct redactor *red);
void verdicts_release(struct verdicts *v);

/* The checks as JSON: [{"id", "outcome", "message"}] (new reference). */
json_t *verdicts_json(const struct verdicts *v);

#endif
