#ifndef ERRATA_SUITE_H
#define ERRATA_SUITE_H
/*
 * The client suite: scenarios derived from a contract (or read from a
 * file), each one error or fault the mock serves and what a correct
 * client does about it. errata client runs them with a command; the
 * mock's admin API creates them for an SDK's own tests. verdict.h judges
 * the outcome.
 */
#include <stddef.h>
#include <jansson.h>

#include "contract.h"
#include "jload.h"

enum suite_expect {
	EXPECT_RETRY,       /* retried, after the wait the reply told */
	EXPECT_NO_RETRY,    /* one attempt, the error shown */
	EXPECT_BACKOFF,     /* retries that slow down, then giving up */
	EXPECT_FAULT,       /* a broken response is not a success */
	EXPECT_LONG_WAIT,   /* a Retry-After above common caps: never retried early */
	EXPECT_STREAM_ERROR, /* an error event inside a 200 stream: surfaced */
	EXPECT_STREAM_RESET, /* a stream reset mid-event: surfaced, not parsed */
	EXPECT_STREAM_STALL  /* a stream that stalls, the connection open: abandoned */
};

/* "retry", "no_retry", "backoff", "fault", "long_wait", "stream_error",
 * "stream_reset", "stream_stall"; -1 for none. */
const char *suite_expect_name(enum suite_expect e);
int suite_expect_parse(const char *s);

/* The operation a scenario's client performs when none is chosen. */
#define SUITE_PROBE_METHOD "POST"
#define SUITE_PROBE_PATH "/v1/errata-probe"
#define SUITE_PROBE_BODY "{\"prompt\":\"errata probe\"}"

/* Waits the standard suite serves: none of them a common fixed backoff. */
#define SUITE_RETRY_AFTER_S 3        /* delay-seconds */
#define SUITE_RETRY_AFTER_DATE_S 2   /* an HTTP-date this far ahead */
#define SUITE_LONG_WAIT_S 120        /* above the 60 s cap of common SDKs */
#define SUITE_RETRY_AFTER_MS_TEXT "2500"

/* The stream family: content events before the failure, and a stall the
 * mock holds far longer than the scenario runs. A client still waiting
 * SUITE_STALL_TIMEOUT_S into it hangs (errata client --timeout moves it
 * to a client's own documented idle timeout). */
#define SUITE_STREAM_EVENTS 3
#define SUITE_STALL_MS 120000
#define SUITE_STALL_TIMEOUT_S 12
#define SUITE_STREAM_BODY "{\"prompt\":\"errata probe\",\"stream\":true}"

struct suite_scenario {
	char *name;
	enum suite_expect expect;
	const struct contract_code *code;   /* the error served, or NULL */
	int date_form;                      /* Retry-After as an HTTP-date */
	const char *hint;                   /* the retry hint header sent as "false", or NULL */
	json_t *steps;                      /* the mock's steps (owned) */
	char *source;
	char *method, *path, *body;         /* the operation; body NULL for none */
	double timeout_s;                   /* long enough for a correct client */
	double watch_s;                     /* a long wait's watch; 0: VERDICT_LONG_WAIT_WATCH_S */
	int stream;                         /* the client streams (ERRATA_STREAM=1) */
};


struct suite {
	struct suite_scenario *v;
	size_t nr, alloc;
};

/* How long a long wait is watched for a second request. */
double suite_watch_s(const struct suite_scenario *sc);

/* The opt-in long watch (errata client --long-waits): each long wait again
 * with Retry-After: SUITE_LONG_WATCH_RA, watched SUITE_LONG_WATCH_S, which
 * catches a client that caps Retry-After at 60 s (skopeo). 0, or -1. */
#define SUITE_LONG_WATCH_RA 75
#define SUITE_LONG_WATCH_S 80.0
int suite_long_watch(struct suite *s);

/* The seconds a correct client's run is expected to take, its waits told
 * and watched: the order a suite starts its scenarios in (longest first). */
double suite_expected_s(const struct suite_scenario *sc);

void suite_init(struct suite *s);
void suite_release(struct suite *s);

/* An operation to run the suite on: "GET /v1/models" (a path template's
 * {params} are filled in). 0, or -1 with why. */
struct suite_op {
	char method[16];
	char path[512];
};
int suite_op_parse(const char *text, struct suite_op *op, char *why, size_t size);

/*
 * The standard suite for contract c, on each of `ops` (names end in
 * " [METHOD PATH]" when there are several). With no ops, each scenario
 * runs on an operation of the contract's that documents its error, or on
 * the probe POST when the contract lists no operations. 0, or -1 (memory).
 */
int suite_standard(struct suite *s, const struct contract *c, const struct suite_op *ops, size_t nr_ops);

/* Scenarios from a file (format: fixtures/README.md). 0, or -1 with *err. */
int suite_load(struct suite *s, const char *file, const struct contract *c, struct load_error *err);

/* One scenario from a JSON object {name, expect, code?, steps, operation?}
 * (the same members as a file); `ld` positions errors. */
int suite_load_json(struct suite *s, struct jload *ld, json_t *root, const struct contract *c,
		    const char *source);

/*
 * Keep only the scenarios a name selects: "=NAME" that name exactly; NAME
 * that name, or the names that continue it with " [" (its operations) or
 * " (" (its variants) or " " (a prefix such as "retry"). The number kept.
 */
size_t suite_filter(struct suite *s, char *const *names, size_t nr_names);

/* The scenario named exactly `name`, or NULL. */
const struct suite_scenario *suite_find(const struct suite *s, const char *name);

/* A deep copy of one scenario into its own allocation (for the mock's
 * registry); free it with suite_scenario_free. */
struct suite_scenario *suite_scenario_dup(const struct suite_scenario *sc);
void suite_scenario_free(struct suite_scenario *sc);

/* The stream family's expectations: the client streams. */
int suite_expect_streams(enum suite_expect e);

/* Whether a retry of `method` needs the same idempotency key (POST, PATCH). */
int suite_method_unsafe(const char *method);

#endif
