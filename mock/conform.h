#ifndef ERRATA_CONFORM_H
#define ERRATA_CONFORM_H
/*
 * errata proxy's passive conformance: every error response the real API
 * returns is judged by errata check's checks (status, envelope,
 * Retry-After, request id, rate-limit headers) and counted, grouped by
 * operation, status and code. Judging never alters the response. Bounded:
 * CONFORM_MAX_GROUPS groups, then one overflow group per status.
 */
#include <pthread.h>
#include <stddef.h>
#include <jansson.h>

#include "../model/contract.h"
#include "../model/match.h"
#include "../model/redact.h"

#define CONFORM_MAX_GROUPS 256

struct conform_group;

struct conformance {
	pthread_mutex_t lock;
	struct conform_group **g;
	size_t nr, alloc;
	size_t nr_checks;
	unsigned long long observed, violating, unjudged;
};

int conformance_init(struct conformance *cf);
void conformance_release(struct conformance *cf);

/*
 * Judge response r to `method` on `route` (an operation's path template,
 * or the path). Messages and evidence are redacted with each of `red`
 * (NULL entries skipped). `summary` gets what the journal keeps:
 * "pass", or "fail: check, check" / "warn: ...". Returns the documented
 * code the response was judged as, or NULL.
 */
const struct contract_code *conformance_observe(struct conformance *cf, const struct contract *c, const char *method,
			 const char *route, const struct response *r,
			 const struct redactor *const *red, size_t nr_red, char *summary, size_t size);

/* An error response that could not be judged (a compressed body). */
void conformance_unjudged(struct conformance *cf);

/* One group as the report writers read it (under the lock: copy what you keep). */
struct conform_view {
	const char *method, *route, *code;
	int status;
	unsigned long long count;
	const unsigned long long *n;  /* per check of check_ids: pass, fail, warn, skip */
	char *const *message;         /* per check: the first failure or warning, or NULL */
	json_t *example;              /* borrowed */
};

/* Each group, in order, under the conformance's lock. */
void conformance_each(struct conformance *cf, void (*fn)(void *ctx, const struct conform_view *g), void *ctx);

/*
 * The groups as JSON (new reference), for the admin API:
 * {observed, violating, unjudged, groups: [{method, route, status, code,
 *  count, checks: [{id, pass, fail, warn, skip, message}], example}]}
 */
json_t *conformance_json(struct conformance *cf);

#endif
