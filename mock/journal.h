#ifndef ERRATA_JOURNAL_H
#define ERRATA_JOURNAL_H
/*
 * The mock's request journal: a ring of the last N requests, bounded in
 * entries and in bytes per entry. Secret header values are redacted when an
 * entry is written, so no secret is ever stored. Thread-safe, and without
 * a lock that all requests share.
 */
#include <stdatomic.h>
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
#define JOURNAL_FIXED 13         /* method, path, contract, code, key, scenario, fault,
				    the Retry-After served, the wait rule applied, and
				    for errata proxy the upstream's part and conformance,
				    a stream's course, and the replica that served it */
#define JOURNAL_MAX_PAIRS 128    /* header and query pairs planned per entry */

/*
 * One request, in one allocation that never changes once it is in the ring.
 * The ring holds one reference; a reader takes its own, so an entry it is
 * writing out stays whole while newer requests replace it in the ring.
 */
struct journal_entry {
	atomic_uint refs;
	uint64_t seq;            /* 1, 2, ... in arrival order */
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
	unsigned scenario_at;    /* offset of the scenario string in blob */
	char blob[];             /* method, path, contract, code, idempotency key,
				    scenario, fault, Retry-After, wait, upstream,
				    conformance, stream, replica, then header and query
				    name/value pairs, NUL-separated */
};

/* A slot of the ring: its entry, and a flag held for a few instructions
 * while a writer swaps the pointer or a reader takes a reference. */
struct journal_slot {
	atomic_flag busy;
	struct journal_entry *e;
};

/*
 * No lock is shared by all requests: a writer takes its seq with one atomic
 * add and then touches only its own slot; a reader takes references slot by
 * slot and writes JSON outside every lock.
 */
struct journal {
	struct journal_slot *ring;
	size_t capacity;         /* 0: the journal is off */
	char apart[64];          /* next_seq, written by every request, on a
				    cache line of its own (padding, not _Alignas:
				    the mock is in a malloc'd block) */
	_Atomic uint64_t next_seq;  /* seq of the next entry */
	char apart2[56];
	_Atomic uint64_t cleared_before;  /* below it: deleted */
};

/* What a request handler hands over; all borrowed for the call. */
struct journal_record {
	uint64_t connection;
	int64_t t_us;
	const char *method, *path, *contract, *code, *idempotency_key;
	const char *scenario, *fault;  /* NULL or "" when none */
	const char *retry_after;       /* the Retry-After served: NULL or "" when none */
	const char *wait;              /* "header: value" of the wait rule applied, or NULL */
	const char *upstream;          /* proxy: "forwarded", or why the upstream failed; NULL */
	const char *conformance;       /* proxy: the checks an upstream error failed, or NULL */
	const char *stream;            /* a streamed answer: "3 events, then reset mid-event", or NULL */
	const char *replica;           /* with --state: the replica's name, or NULL */
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

/* journal_append() in its two steps: begin redacts, copies and takes the
 * seq (NULL when the journal is off or memory is short); commit puts the
 * entry in the ring. Between them, readers see the entry as being written. */
struct journal_entry *journal_begin(struct journal *j, const struct journal_record *r);
void journal_commit(struct journal *j, struct journal_entry *e);

/* An entry made as journal_begin() makes it, for no ring (a shared journal
 * gives it its seq); NULL when out of memory. journal_entry_unref() it. */
struct journal_entry *journal_entry_new(const struct journal_record *r);
void journal_entry_unref(struct journal_entry *e);

/*
 * An entry as bytes for a store, and back (journal_wire.c). Decoding checks
 * everything a hostile store could change: NULL when the bytes are not an
 * entry this code wrote. The entry gets `seq`.
 */
char *journal_entry_encode(const struct journal_entry *e, size_t *len);
struct journal_entry *journal_entry_decode(const char *p, size_t len, uint64_t seq);

/*
 * A consistent cut of the journal: references to the entries with
 * seq >= since (and of `scenario`, when not NULL), oldest first, at most
 * `limit` (0: all). It ends before the first entry still being written, and
 * next_seq says where: a reader that asks again with since = next_seq misses
 * nothing. Taking it holds no lock that a request waits on.
 */
struct journal_view {
	struct journal_entry **e;
	size_t n;
	uint64_t next_seq;
	size_t capacity, size;
	/* the reader's place in the JSON text */
	size_t at;
	int stage;
	char *pend;
	size_t pend_len, pend_off, pend_cap;
};

int journal_view(struct journal *j, uint64_t since, size_t limit, const char *scenario,
		 struct journal_view *v);

/* The view's entries as exchanges (model/exchange.h), borrowing their
 * strings: valid while the view is held. One block to free(); NULL when
 * out of memory (or when the view is empty: *n is 0 then). */
struct exchange;
struct exchange *journal_exchanges(const struct journal_view *v, size_t *n);

/*
 * The view as JSON, {capacity, size, next_seq, entries: [...]}, up to `max`
 * bytes per call into out: the bytes written; 0 at the end, -1 when out of
 * memory. Each call does work in proportion to `max`, so a server can send
 * a large journal between other requests.
 */
long journal_view_read(struct journal_view *v, char *out, size_t max);

/* Drop the view's references. */
void journal_view_release(struct journal_view *v);

/* journal_view() and journal_view_read() into one JSON value (for the
 * in-process mock and the tests); NULL when out of memory. */
json_t *journal_dump(struct journal *j, uint64_t since, size_t limit, const char *scenario);

/* Forget every entry; returns how many there were. */
size_t journal_clear(struct journal *j);

/* FNV-1a 64, for the body fingerprint: start with JOURNAL_HASH_INIT. */
#define JOURNAL_HASH_INIT 0xcbf29ce484222325ULL
uint64_t journal_hash(uint64_t h, const void *data, size_t len);

#endif
