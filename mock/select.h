#ifndef ERRATA_SELECT_H
#define ERRATA_SELECT_H
/*
 * Which documented error a request asks the mock for: the X-Errata-Error
 * header, Prefer: code=<CODE|status>, or the __error query parameter; and
 * the Retry-After it asks for with X-Errata-Retry-After.
 */
#include <stddef.h>

#include "../model/contract.h"

enum select_problem {
	SELECT_OK,
	SELECT_UNKNOWN_CODE,     /* a well-formed selector naming no code */
	SELECT_UNKNOWN_STATUS,   /* Prefer: code=<status> with no code at that status */
	SELECT_MALFORMED,        /* a selector that cannot be read */
	SELECT_CONFLICT          /* two selectors naming different codes */
};

/*
 * Resolve the selectors (each may be NULL when absent). On SELECT_OK, *out
 * is the code asked for, or NULL when none was (the success response). On
 * a problem, `why` says what was wrong, naming the selector.
 */
enum select_problem select_code(const struct contract *c, const char *x_errata_error,
				const char *prefer, const char *query_error,
				const struct contract_code **out, char *why, size_t size);

/* The status asked for when the only selector is Prefer: code=<status>
 * (the mock then serves the code the request's operation documents at that
 * status), else 0. */
int select_status_only(const char *x_errata_error, const char *prefer, const char *query_error);

/*
 * Parse X-Errata-Retry-After: "<seconds>" or "date:<seconds>". Returns 0
 * with *seconds and *as_date set, or -1 when malformed.
 */
int select_retry_after(const char *value, long long *seconds, int *as_date);

/*
 * X-Errata-Stream: "error", "error:CODE", "reset", "stall" or "end", then
 * any of "; events=N" (0 to 10000), "; interval_ms=N" (0 to 60000) and
 * "; stall_ms=N" (1 to 600000) into n[0], n[1], n[2] (left as they are
 * when not given). The ending (stream.h's enum stream_end) and the code
 * after "error:" into *cc; -1 with why.
 */
int select_stream(const struct contract *c, const char *value, long long n[3], const struct contract_code **cc,
		  char *why, size_t size);

#endif
