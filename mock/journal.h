#ifndef ERRATA_JOURNAL_H
#define ERRATA_JOURNAL_H
/*
 * The mock's request journal: a ring of the last N requests, bounded in
 * entries and in bytes per entry. Secret header values are redacted when an
 * entry is written, so no secret is ever stored. Thread-safe.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <jansson.h>

/*
 * Bytes kept per entry. The method, contract, code, scenario and fault keep
 * 256 bytes each, the path 8 KiB, the Idempotency-Key JOURNAL_KEY_MAX; the
 * headers and query what is left (at least 4 KiB). What does not fit is cut
 * on a character boundary and the entry is marked "truncated".
 */
#define JOURNAL_ENTRY_MAX 16384
#define JOURNAL_KEY_MAX 2048
#define JOURNAL_FIXED 9          /* method, path, contract, code, key, scenario, fault,
				    the Retry-After served and the wait rule applied */
#define JOURNAL_MAX_PAIRS 128    /* header and query pairs planned per entry */

struct journal_entry {
	uint64_t seq;            /* 1, 2, ... in arrival order; 0: slot unused */
	uint64_t connection;
	int64_t t_us;            /* monotonic microseconds since the mock started */
	struct timespec wall;
	int status;              /* 0 when a fault sent no status */
	int truncated;           /* something was cut or dropped */
	int step;                /* the scenario step served, or -1 */
	int replayed;            /* an idempotent replay */
	long long delay_ms;
	uint64_t body_size, body_hash;
	unsigned nr_headers, nr_query;
	char *blob;              /* method, path, contract, code, idempotency key,
				    scenario, fault, Retry-After, then header and query
				    name/value pairs, NUL-separated */
};

struct journal {
	pthread_mutex_t lock;
	struct journal_entry *ring;
	size_t capacity;         /* 0: the journal is off */
	uint64_t next_seq;       /* seq of the next entry */
	uint64_t cleared_before; /* entries below this seq were deleted */
};

/* What a request handler hands over; all borrowed for the call. */
struct journal_record {
	uint64_t connection;
	int64_t t_us;
	const char *method, *path, *contract, *code, *idempotency_key;
	const char *scenario, *fault;  /* NULL or "" when none */
	const char *retry_after;       /* the Retry-After served: NULL or "" when none */
	const char *wait;              /* "header: value" of the wait rule applied, or NULL */
	int step;                      /* -1 when no scenario */
	int replayed;
	long long delay_ms;
	const char **headers;        /* name, value, name, value, ...; secret values
				      * are replaced by REDACTED in place */
	unsigned nr_headers;
	const char **query;          /* name, value, ... (the same) */
	unsigned nr_query;
	int dropped;                 /* the caller left out headers or query pairs */
	uint64_t body_size, body_hash;
	int status;
};

int journal_init(struct journal *j, size_t capacity);
void journal_release(struct journal *j);

/* Append a record (redacting, then copying it); the oldest entry goes when full. */
void journal_append(struct journal *j, const struct journal_record *r);

/*
 * The entries with seq >= since (and of `scenario`, when not NULL), oldest
 * first, at most `limit` (0: all), as a new JSON object
 * {capacity, size, next_seq, entries: [...]}.
 */
json_t *journal_dump(struct journal *j, uint64_t since, size_t limit, const char *scenario);

/* Forget every entry; returns how many there were. */
size_t journal_clear(struct journal *j);

/* FNV-1a 64, for the body fingerprint: start with JOURNAL_HASH_INIT. */
#define JOURNAL_HASH_INIT 0xcbf29ce484222325ULL
uint64_t journal_hash(uint64_t h, const void *data, size_t len);

#endif
