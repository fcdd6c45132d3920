#ifndef ERRATA_SCENARIO_H
#define ERRATA_SCENARIO_H
/*
 * Scripted sequences: "503 twice, then 200". A scenario belongs to one
 * contract; requests are pinned to it with X-Errata-Scenario: <id>, or
 * matched by method and path glob. Its counter is one atomic, so steps are
 * served exactly as scripted under concurrent requests.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "../model/contract.h"
#include "../model/jload.h"
#include "../model/suite.h"

struct stream_plan;

enum fault {
	FAULT_NONE,
	FAULT_CONNECTION_RESET_BY_PEER,
	FAULT_EMPTY_RESPONSE,
	FAULT_MALFORMED_RESPONSE_CHUNK,
	FAULT_RANDOM_DATA_THEN_CLOSE,
	FAULT_TRUNCATED_BODY,
	FAULT_HANG,
	FAULT_DRIBBLE,
	FAULT_GATEWAY_HTML,
	FAULT_WRONG_CONTENT_TYPE,
};

/* "CONNECTION_RESET_BY_PEER" for FAULT_CONNECTION_RESET_BY_PEER; "" for none. */
const char *fault_name(enum fault f);

enum retry_after_mode {
	RA_CONTRACT,   /* as the contract says for the code (default seconds) */
	RA_SECONDS,    /* delay-seconds, even 0 or huge */
	RA_DATE,       /* an IMF-fixdate this many seconds from now (negative: past) */
	RA_VERBATIM,   /* a string sent as given: "1.5", garbage */
	RA_NONE        /* no Retry-After, whatever the contract says */
};

/* Headers a step may add; a response carries at most 16 of its own. */
#define STEP_MAX_HEADERS 32

enum delay_mode { DELAY_NONE, DELAY_FIXED, DELAY_UNIFORM, DELAY_LOGNORMAL };

struct step {
	const struct contract_code *code;  /* an error to serve, or NULL */
	int status;                        /* the HTTP status */
	char *body;                        /* the body to send (owned) */
	size_t body_len;
	json_t *headers;                   /* extra headers: name -> string, or NULL */
	long long repeat;                  /* requests this step serves */
	enum retry_after_mode ra_mode;
	long long ra_seconds;
	const char *ra_text;               /* RA_VERBATIM (borrowed from def) */
	enum delay_mode delay;
	double delay_a, delay_b;           /* ms: fixed a; uniform [a, b]; lognormal median a, sigma b */
	enum fault fault;
	long long fault_ms;                /* HANG cap, DRIBBLE duration */
	long long reset_after;             /* seconds to the vendor limiter's reset, or -1 */
	int upstream;                      /* errata proxy: pass the request to the real API */
	struct stream_plan *stream;        /* a streamed answer (stream.h), or NULL (owned) */
};

struct scenario {
	char id[64];
	const struct contract *contract;   /* borrowed from the mock */
	char *method;                      /* NULL: any */
	char *path;                        /* glob below /<contract>/, NULL: any */
	int has_match;                     /* without "match", only pinned requests */
	struct step *steps;
	size_t nr_steps;
	long long total;                   /* sum of repeats */
	int cycle;                         /* after the last step: 1 restart, 0 repeat it */
	int require_idempotency_key;
	uint64_t seed;
	json_t *def;                       /* the definition as given (owned) */
	size_t bytes;                      /* what it holds, for the registry's bound */
	atomic_llong served;
	atomic_llong *per_step;            /* served by each step */
	atomic_int refs;
	struct suite_scenario *spec;       /* what a correct client does, for verdicts (owned), or NULL */
	_Atomic(json_t *) end;             /* the client's outcome as its test reported it, or NULL */
};

/*
 * Parse one scenario definition (a JSON object) against the mounted
 * contracts; `ld` positions errors. Returns a new scenario (one reference)
 * or NULL after ld's error is set.
 */
struct scenario *scenario_parse(struct jload *ld, json_t *def, struct contract *const *contracts,
				size_t nr_contracts);

/* Take the next step: its index (for the journal) into *index and the
 * request's number in the scenario (0-based) into *n. */
const struct step *scenario_next(struct scenario *s, size_t *index, long long *n);

/* The step that serves request k (0-based) of the scenario; its index into *index. */
const struct step *scenario_step_at(const struct scenario *s, long long k, size_t *index);

/* Set the served counts as n requests would have (a shared scenario's). */
void scenario_account(struct scenario *s, long long n);

/* A reproducible delay in ms for request n of the scenario at this step. */
long long scenario_delay_ms(const struct scenario *s, const struct step *st, long long n);

/* 1 when a step says "upstream": true (only errata proxy can serve it). */
int scenario_has_upstream(const struct scenario *s);

void scenario_ref(struct scenario *s);
void scenario_unref(struct scenario *s);   /* frees at zero; accepts NULL */

/* The state as JSON: definition, served counts (new reference). */
json_t *scenario_json(struct scenario *s);

/* The registry: scenarios by id, in creation order. Thread-safe. Bounded
 * in number and in the bytes the scenarios hold (bodies, headers, counts). */
#define SCENARIOS_MAX 4096
#define SCENARIOS_BYTES_MAX (64u << 20)

struct scenarios {
	pthread_mutex_t lock;
	struct scenario **v;
	size_t nr, alloc;
	size_t bytes;                      /* held by the scenarios in v */
	unsigned long long next_id;
};

int scenarios_init(struct scenarios *r);
void scenarios_release(struct scenarios *r);

enum scenarios_refusal { SCENARIOS_ADDED, SCENARIOS_EXISTS, SCENARIOS_FULL };

/* Add (taking the reference on success); SCENARIOS_EXISTS when the id is
 * taken, SCENARIOS_FULL when the registry holds SCENARIOS_MAX scenarios or
 * SCENARIOS_BYTES_MAX bytes (why says which). A scenario without an id gets
 * "sc-<n>". */
enum scenarios_refusal scenarios_add(struct scenarios *r, struct scenario *s, char *why, size_t size);

/* Count n more bytes the scenario holds (its outcome) in the registry's
 * bound: 0, or -1 with why when they would pass it. */
int scenarios_charge(struct scenarios *r, struct scenario *s, size_t n, char *why, size_t size);

/* A new reference to the scenario with this id, or NULL. */
struct scenario *scenarios_get(struct scenarios *r, const char *id);

/* A new reference to the first scenario of `contract` matching method and
 * path (below the mount), or NULL. */
struct scenario *scenarios_match(struct scenarios *r, const struct contract *contract,
				 const char *method, const char *path);

/* Remove one (0) or report it unknown (-1); remove all, returning how many. */
int scenarios_remove(struct scenarios *r, const char *id);
size_t scenarios_clear(struct scenarios *r);

/* Put fresh's scenarios in r, at once, and r's in fresh (to release). */
void scenarios_swap(struct scenarios *r, struct scenarios *fresh);

/* New references to all of them, in order, in *out (free it): how many. */
size_t scenarios_snapshot(struct scenarios *r, struct scenario ***out);

/* All of them as a JSON array (new reference). */
json_t *scenarios_json(struct scenarios *r);

#endif
