#ifndef ERRATA_EXCHANGE_H
#define ERRATA_EXCHANGE_H
/*
 * One exchange: a request the mock journaled and what it served. The mock
 * writes it (mock/journal.c keeps each as one entry) and the client verdict
 * engine reads it as it is, in C; JSON is only for what leaves the process
 * (the admin API's journal, reports). Strings are borrowed from the entry,
 * as the client sent them ("" when absent); NULL only where noted.
 */
#include <stddef.h>
#include <stdint.h>

struct exchange {
	int64_t t_us;                 /* monotonic microseconds since the mock started */
	double wall;                  /* epoch seconds, when it was journaled */
	const char *method, *path;
	const char *idempotency_key;  /* NULL: none was sent */
	const char *fault;            /* the fault served, or NULL */
	const char *retry_after;      /* the Retry-After served, or NULL */
	const char *wait;             /* "header: value" of the wait rule applied, or NULL */
	const char *stream;           /* a streamed answer's course ("3 events, then reset
				       * mid-event"), or NULL */
	uint64_t body_hash;           /* FNV-1a 64 of the request body */
	int status;                   /* 0: a fault sent none */
	const char *const *headers;   /* name, value, name, value... (secrets redacted) */
	size_t nr_headers;
};

#endif
