/*
 * Token buckets in a list, most recently used first; the least recently
 * used bucket goes when there are too many keys.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limit.h"

struct bucket {
	struct bucket *next;
	char *key;
	double tokens;
	int64_t last_us;
};

int limit_parse(const char *spec, int *quota, int *window)
{
	char unit, extra;
	int n;

	if (sscanf(spec, "%d/%c%c", &n, &unit, &extra) != 2 || n < 1 || n > 1000000)
		return -1;
	*quota = n;
	switch (unit) {
	case 's': *window = 1; return 0;
	case 'm': *window = 60; return 0;
	case 'h': *window = 3600; return 0;
	default: return -1;
	}
}

int limiter_init(struct limiter *l, int quota, int window)
{
	memset(l, 0, sizeof(*l));
	l->quota = quota;
	l->window = window;
	return pthread_mutex_init(&l->lock, NULL) ? -1 : 0;
}

void limiter_clear(struct limiter *l)
{
	pthread_mutex_lock(&l->lock);
	while (l->buckets) {
		struct bucket *b = l->buckets;

		l->buckets = b->next;
		free(b->key);
		free(b);
	}
	l->count = 0;
	pthread_mutex_unlock(&l->lock);
}

void limiter_release(struct limiter *l)
{
	limiter_clear(l);
	pthread_mutex_destroy(&l->lock);
}

int limiter_take(struct limiter *l, const char *key, int64_t now_us, int *remaining,
		 long long *reset_s)
{
	double per_us = (double)l->quota / (l->window * 1e6);
	struct bucket *b, **pp;
	int allowed;

	pthread_mutex_lock(&l->lock);
	for (pp = &l->buckets; (b = *pp); pp = &b->next)
		if (!strcmp(b->key, key))
			break;
	if (b) {
		*pp = b->next; /* move to the front */
	} else {
		if (l->count >= LIMIT_MAX_KEYS) {
			struct bucket **last = &l->buckets;

			while ((*last)->next)
				last = &(*last)->next;
			free((*last)->key);
			free(*last);
			*last = NULL;
			l->count--;
		}
		b = calloc(1, sizeof(*b));
		if (!b || !(b->key = strdup(key))) {
			free(b);
			pthread_mutex_unlock(&l->lock);
			*remaining = 0;
			*reset_s = 0;
			return 1; /* out of memory: do not refuse what cannot be counted */
		}
		b->tokens = l->quota;
		b->last_us = now_us;
		l->count++;
	}
	b->next = l->buckets;
	l->buckets = b;
	b->tokens += (now_us - b->last_us) * per_us;
	if (b->tokens > l->quota)
		b->tokens = l->quota;
	b->last_us = now_us;
	allowed = b->tokens >= 1.0;
	if (allowed)
		b->tokens -= 1.0;
	*remaining = (int)floor(b->tokens);
	/* never earlier than the next token; for an allowed request, until full */
	*reset_s = (long long)ceil(((allowed ? l->quota : 1.0) - b->tokens) / per_us / 1e6);
	if (!allowed && *reset_s < 1)
		*reset_s = 1;
	pthread_mutex_unlock(&l->lock);
	return allowed;
}
