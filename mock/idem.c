/*
 * The idempotency store: a list in insertion order (the oldest is evicted
 * first when full) searched linearly per contract key. Keys are few per
 * test, so a list beats a table on simplicity; the bound keeps it honest.
 */
#include <stdlib.h>
#include <string.h>

#include "idem.h"

struct idem_entry {
	struct idem_entry *prev, *next;
	char *key;
	uint64_t fingerprint;
	int64_t created_us;
	int done;
	struct idem_reply reply;
};

void idem_reply_release(struct idem_reply *r)
{
	unsigned i;

	for (i = 0; i < r->nr_headers; i++) {
		free(r->names[i]);
		free(r->values[i]);
	}
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static int copy_reply(struct idem_reply *dst, const struct idem_reply *src)
{
	unsigned i;

	memset(dst, 0, sizeof(*dst));
	dst->status = src->status;
	for (i = 0; i < src->nr_headers && i < IDEM_MAX_HEADERS; i++) {
		dst->names[i] = strdup(src->names[i]);
		dst->values[i] = strdup(src->values[i]);
		dst->nr_headers++;
		if (!dst->names[i] || !dst->values[i])
			goto oom;
	}
	dst->body = malloc(src->body_len + 1);
	if (!dst->body)
		goto oom;
	memcpy(dst->body, src->body, src->body_len);
	dst->body[src->body_len] = '\0';
	dst->body_len = src->body_len;
	return 0;
oom:
	idem_reply_release(dst);
	return -1;
}

int idem_init(struct idem_store *s)
{
	memset(s, 0, sizeof(*s));
	return pthread_mutex_init(&s->lock, NULL) ? -1 : 0;
}

static void unlink_entry(struct idem_store *s, struct idem_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		s->first = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		s->last = e->prev;
	s->count--;
	idem_reply_release(&e->reply);
	free(e->key);
	free(e);
}

size_t idem_clear(struct idem_store *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->count;
	while (s->first)
		unlink_entry(s, s->first);
	pthread_mutex_unlock(&s->lock);
	return n;
}

void idem_release(struct idem_store *s)
{
	idem_clear(s);
	pthread_mutex_destroy(&s->lock);
}

static struct idem_entry *find(struct idem_store *s, const char *key)
{
	struct idem_entry *e;

	for (e = s->last; e; e = e->prev)
		if (!strcmp(e->key, key))
			return e;
	return NULL;
}

enum idem_state idem_begin(struct idem_store *s, const char *key, uint64_t fingerprint,
			   int64_t now_us, int64_t ttl_us, struct idem_reply *out)
{
	struct idem_entry *e;
	enum idem_state st = IDEM_NEW;

	pthread_mutex_lock(&s->lock);
	e = find(s, key);
	if (e && now_us - e->created_us > ttl_us) {
		unlink_entry(s, e); /* expired: the key is new again */
		e = NULL;
	}
	if (e) {
		if (e->fingerprint != fingerprint)
			st = IDEM_CONFLICT;
		else if (!e->done)
			st = IDEM_IN_FLIGHT;
		else if (copy_reply(out, &e->reply))
			st = IDEM_IN_FLIGHT; /* out of memory: refuse rather than re-run */
		else
			st = IDEM_REPLAY;
		goto out;
	}
	while (s->count >= IDEM_MAX_ENTRIES)
		unlink_entry(s, s->first);
	e = calloc(1, sizeof(*e));
	if (!e || !(e->key = strdup(key))) {
		free(e);
		goto out; /* not remembered: served as if the key were absent */
	}
	e->fingerprint = fingerprint;
	e->created_us = now_us;
	e->prev = s->last;
	if (s->last)
		s->last->next = e;
	else
		s->first = e;
	s->last = e;
	s->count++;
out:
	pthread_mutex_unlock(&s->lock);
	return st;
}

void idem_finish(struct idem_store *s, const char *key, const struct idem_reply *r)
{
	struct idem_entry *e;

	pthread_mutex_lock(&s->lock);
	e = find(s, key);
	if (e && !e->done) {
		if (copy_reply(&e->reply, r))
			unlink_entry(s, e);
		else
			e->done = 1;
	}
	pthread_mutex_unlock(&s->lock);
}

void idem_abort(struct idem_store *s, const char *key)
{
	struct idem_entry *e;

	pthread_mutex_lock(&s->lock);
	e = find(s, key);
	if (e && !e->done)
		unlink_entry(s, e);
	pthread_mutex_unlock(&s->lock);
}
