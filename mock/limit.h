#ifndef ERRATA_LIMIT_H
#define ERRATA_LIMIT_H
/*
 * A real rate limit for the mock: one token bucket per API key (or client
 * address), holding `quota` tokens and refilled at quota per `window`.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define LIMIT_MAX_KEYS 10000

struct bucket;

struct limiter {
	pthread_mutex_t lock;
	int quota;          /* tokens, and requests per window */
	int window;         /* seconds */
	struct bucket *buckets;
	size_t count;
};

/* Parse "N/s", "N/m" or "N/h" into quota and window. 0 or -1. */
int limit_parse(const char *spec, int *quota, int *window);

int limiter_init(struct limiter *l, int quota, int window);
void limiter_release(struct limiter *l);

/*
 * Take a token for `key` at `now_us`. Returns 1 when allowed, 0 when over
 * the limit. *remaining is the whole tokens left; *reset_s the seconds
 * (rounded up) until the next token, when refused, or until the bucket is
 * full, when allowed.
 */
int limiter_take(struct limiter *l, const char *key, int64_t now_us, int *remaining,
		 long long *reset_s);

/* Forget every bucket. */
void limiter_clear(struct limiter *l);

#endif
