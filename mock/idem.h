#ifndef ERRATA_IDEM_H
#define ERRATA_IDEM_H
/*
 * Idempotency-Key emulation (draft-ietf-httpapi-idempotency-key-header):
 * the first request with a key is served and its response stored; the same
 * key and payload replays it; another payload is a conflict; a repeat while
 * the first is in flight is refused. Bounded in entries, with a TTL.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define IDEM_MAX_ENTRIES 10000
#define IDEM_MAX_HEADERS 72     /* REPLY_MAX_HEADERS: a replay has every header */
/* Longer keys are refused with a 400 problem (Stripe allows 255 characters;
 * the draft sets no bound): every key the mock accepts is kept whole. */
#define IDEM_KEY_MAX 1024

/* A stored response. */
struct idem_reply {
	int status;
	unsigned nr_headers;
	char *names[IDEM_MAX_HEADERS], *values[IDEM_MAX_HEADERS];
	char *body;
	size_t body_len;
};

void idem_reply_release(struct idem_reply *r);

enum idem_state { IDEM_NEW, IDEM_REPLAY, IDEM_CONFLICT, IDEM_IN_FLIGHT };

struct idem_entry;

struct idem_store {
	pthread_mutex_t lock;
	struct idem_entry *first, *last;   /* insertion order, for eviction */
	size_t count;
};

int idem_init(struct idem_store *s);
void idem_release(struct idem_store *s);

/*
 * Look up `key` (scoped by the caller, e.g. "<contract>\n<key>") with the
 * request's fingerprint. IDEM_NEW records it in flight; IDEM_REPLAY copies
 * the stored response into *out (release it with idem_reply_release).
 */
enum idem_state idem_begin(struct idem_store *s, const char *key, uint64_t fingerprint,
			   int64_t now_us, int64_t ttl_us, struct idem_reply *out);

/* Store the response of a request begun with IDEM_NEW (copied). */
void idem_finish(struct idem_store *s, const char *key, const struct idem_reply *r);

/* Forget a key whose request ended without a response (a fault). */
void idem_abort(struct idem_store *s, const char *key);

/* Forget everything; returns how many keys there were. */
size_t idem_clear(struct idem_store *s);

#endif
