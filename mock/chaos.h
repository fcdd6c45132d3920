#ifndef ERRATA_CHAOS_H
#define ERRATA_CHAOS_H
/*
 * Chaos, judged: every error --inject serves is a shot, and the request
 * that repeats it (the same Idempotency-Key; without one, the same method,
 * target and body) is its retry. Each shot gets a verdict: retried when
 * the contract says it is retryable and not otherwise, after the wait the
 * response asked for, with the same key and the same body (JSON compared
 * as JSON, multipart part by part whatever its boundary).
 *
 * Everything is noted when a request completes (chaos_conclude), under one
 * lock; verdicts are read when asked for (chaos_report), so that a shot
 * whose retry has not come yet is "waiting" rather than failed.
 */
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct chaos;

/* What a completed request was, as the chaos judge needs it. */
struct chaos_request {
	const char *method, *target; /* target: the path as journaled (masked) */
	const char *key;             /* the Idempotency-Key sent, or NULL */
	const char *content_type;    /* of the request body, or NULL */
	const char *body;            /* the body kept (NULL: none) */
	size_t body_len;
	int64_t t_us;                /* when it was answered */
	int injected;                /* --inject answered it */
	const char *code;            /* the code served ("" for a fault) */
	const char *fault;           /* the fault served, or NULL */
	int status, retryable;
	const char *retry_after;     /* the Retry-After sent, or NULL */
	const char *retry_after_ms;  /* a retry-after-ms sent, or NULL */
};

/* max_in_a_row: errors one request may get in a row (0: no bound). */
struct chaos *chaos_new(unsigned max_in_a_row);
void chaos_free(struct chaos *ch);

/* May a request to (method, path) get an error now? 0 when that method
 * and path have had max_in_a_row in a row: a retry gets its answer even
 * when it comes with a new key or body. */
int chaos_may_inject(struct chaos *ch, const char *method, const char *path);

/* Note a completed request: a shot, a retry of one, or neither. */
void chaos_conclude(struct chaos *ch, const struct chaos_request *r);

/* The verdicts at `now_us`: {injected, judged, passed, failed, waiting,
 * shots: [{n, method, path, code, status, retryable, outcome, checks:
 * [{id, outcome, message}]}]}. A new reference. */
json_t *chaos_report(struct chaos *ch, int64_t now_us);

/* The same body for the judge: JSON as sorted compact JSON, multipart with
 * its boundary left out, anything else as it is. */
uint64_t chaos_body_hash(const char *content_type, const char *body, size_t len);

#endif
