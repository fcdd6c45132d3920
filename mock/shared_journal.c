/*
 * The journal that replicas share (shared.h): one Redis stream, capped at
 * --journal-size entries, each entry's id 0-SEQ where SEQ comes from one
 * INCR in the same script that adds it. A script runs alone in Redis, so
 * an entry is visible exactly when its seq is given: a reader that saw
 * the stream up to seq N at one instant has seen every entry up to N, and
 * asks next from N + 1 without missing or repeating one.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../store/redis.h"
#include "shared_int.h"

#define READ_BATCH 1000

/* ARGV: the cap, then the entries: seqs from one INCRBY, then one trim. */
static const char lua_append[] =
	"local k = #ARGV - 1\n"
	"local n = redis.call('INCRBY', KEYS[2], k)\n"
	"for i = 2, #ARGV do\n"
	"  redis.call('XADD', KEYS[1], '0-' .. (n - k + i - 1), 'e', ARGV[i])\n"
	"end\n"
	"redis.call('XTRIM', KEYS[1], 'MAXLEN', ARGV[1])\n"
	"return n\n";

/* The last seq, the stream's length, and up to ARGV[2] entries from ARGV[1],
 * read at one instant. */
static const char lua_read[] =
	"local last = tonumber(redis.call('GET', KEYS[2]) or '0')\n"
	"local r = redis.call('XRANGE', KEYS[1], '0-' .. ARGV[1], '+', 'COUNT', ARGV[2])\n"
	"return {last, redis.call('XLEN', KEYS[1]), r}\n";

static const char lua_clear[] =
	"local n = redis.call('XLEN', KEYS[1])\n"
	"redis.call('DEL', KEYS[1])\n"
	"return n\n";

/* Write k entries from the queue's head in one script: 0, or -1 with why. */
static int write_batch(struct shared *sh, char **buf, size_t *len, size_t k, char *why, size_t size)
{
	const char *argv[JOURNAL_BATCH + 3];
	size_t lens[JOURNAL_BATCH + 3], i;
	char cap[24];
	redisReply *r;
	int ok;

	snprintf(cap, sizeof(cap), "%zu", sh->journal_size);
	argv[0] = "errata:journal", lens[0] = 14;
	argv[1] = "errata:journal:seq", lens[1] = 18;
	argv[2] = cap, lens[2] = strlen(cap);
	for (i = 0; i < k; i++)
		argv[3 + i] = buf[i], lens[3 + i] = len[i];
	r = store_script(sh->st, lua_append, 2, (int)k + 3, argv, lens, why, size);
	ok = r && r->type == REDIS_REPLY_INTEGER;
	freeReplyObject(r);
	return ok ? 0 : -1;
}

/* Settle k entries at the head: written (or, lost, counted). Lock held. */
static void settle(struct shared *sh, size_t k, int lost)
{
	struct jqueue *q = sh->q;
	size_t i;

	for (i = 0; i < k; i++) {
		free(q->buf[(q->head + i) % JOURNAL_QUEUE_MAX]);
		q->buf[(q->head + i) % JOURNAL_QUEUE_MAX] = NULL;
	}
	q->head = (q->head + k) % JOURNAL_QUEUE_MAX;
	q->n -= k;
	q->settled += k;
	if (lost)
		atomic_fetch_add(&sh->lost, k);
	pthread_cond_broadcast(&q->drained);
}

/* The writer: batches from the head, in order. While the store fails it
 * keeps them (the queue's bound applies) and tries every 100 ms; when the
 * mock stops it tries once more, then counts what is left as lost. */
static void *writer(void *arg)
{
	struct shared *sh = arg;
	struct jqueue *q = sh->q;
	char *buf[JOURNAL_BATCH], why[300];
	size_t len[JOURNAL_BATCH], k, i;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (!q->n && !q->stop)
			pthread_cond_wait(&q->more, &q->lock);
		if (!q->n)
			break;
		k = q->n < JOURNAL_BATCH ? q->n : JOURNAL_BATCH;
		for (i = 0; i < k; i++) {
			buf[i] = q->buf[(q->head + i) % JOURNAL_QUEUE_MAX];
			len[i] = q->len[(q->head + i) % JOURNAL_QUEUE_MAX];
		}
		pthread_mutex_unlock(&q->lock);
		if (!write_batch(sh, buf, len, k, why, sizeof(why))) {
			pthread_mutex_lock(&q->lock);
			if (q->failing)
				fprintf(stderr, "errata: the shared journal is written again (%llu entries lost in all)\n",
					(unsigned long long)atomic_load(&sh->lost));
			q->failing = 0;
			settle(sh, k, 0);
			continue;
		}
		pthread_mutex_lock(&q->lock);
		if (!q->failing)
			fprintf(stderr, "errata: the shared journal cannot be written, kept until it can: %s\n", why);
		q->failing = 1;
		if (q->stop) {
			settle(sh, q->n, 1);
			break;
		}
		pthread_mutex_unlock(&q->lock);
		usleep(100000);
		pthread_mutex_lock(&q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int shared_journal_start(struct shared *sh, char *why, size_t size)
{
	if (!(sh->q = calloc(1, sizeof(*sh->q))) || pthread_mutex_init(&sh->q->lock, NULL) ||
	    pthread_cond_init(&sh->q->more, NULL) || pthread_cond_init(&sh->q->drained, NULL) ||
	    pthread_create(&sh->q->thread, NULL, writer, sh)) {
		free(sh->q);
		sh->q = NULL;
		snprintf(why, size, "cannot start the shared journal's writer");
		return -1;
	}
	return 0;
}

void shared_journal_stop(struct shared *sh)
{
	struct jqueue *q = sh->q;

	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->stop = 1;
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->more);
	pthread_cond_destroy(&q->drained);
	free(q);
	sh->q = NULL;
}

int shared_journal_append(struct shared *sh, const struct journal_entry *e, char *why, size_t size)
{
	struct jqueue *q = sh->q;
	size_t len;
	char *bytes = journal_entry_encode(e, &len);

	if (!bytes) {
		snprintf(why, size, "out of memory");
		return -1;
	}
	pthread_mutex_lock(&q->lock);
	if (q->n == JOURNAL_QUEUE_MAX) {
		pthread_mutex_unlock(&q->lock);
		free(bytes);
		snprintf(why, size, "%d entries wait for the store already", JOURNAL_QUEUE_MAX);
		return -1;
	}
	q->buf[(q->head + q->n) % JOURNAL_QUEUE_MAX] = bytes;
	q->len[(q->head + q->n) % JOURNAL_QUEUE_MAX] = len;
	if (!q->n++)
		pthread_cond_signal(&q->more);
	q->queued++;
	pthread_mutex_unlock(&q->lock);
	return 0;
}

int shared_journal_write(struct shared *sh, const struct journal_entry *e, char *why, size_t size)
{
	size_t len;
	char *bytes = journal_entry_encode(e, &len);
	int rc;

	if (!bytes) {
		snprintf(why, size, "out of memory");
		return -1;
	}
	rc = write_batch(sh, &bytes, &len, 1, why, size);
	free(bytes);
	return rc;
}

/* Wait, at most ms, until what this replica queued so far is written:
 * a reader then sees its own replica's requests. */
static void flush(struct shared *sh, unsigned ms)
{
	struct jqueue *q = sh->q;
	struct timespec until;
	unsigned long long want;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000)
		until.tv_sec++, until.tv_nsec -= 1000000000;
	pthread_mutex_lock(&q->lock);
	want = q->queued;
	while (q->settled < want && !q->failing &&
	       pthread_cond_timedwait(&q->drained, &q->lock, &until) == 0)
		;
	pthread_mutex_unlock(&q->lock);
}

/* "0-N" into *seq: 0, or -1. */
static int entry_seq(const redisReply *id, uint64_t *seq)
{
	uint64_t v = 0;
	size_t i;

	if (id->type != REDIS_REPLY_STRING || id->len < 3 || id->len > 22 || memcmp(id->str, "0-", 2))
		return -1;
	for (i = 2; i < id->len; i++) {
		if (id->str[i] < '0' || id->str[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(id->str[i] - '0');
	}
	*seq = v;
	return v && v < UINT64_MAX / 2 ? 0 : -1;
}

/* One stream entry ([id, [field, value, ...]]) as a journal entry, or NULL. */
static struct journal_entry *entry_of(const redisReply *x, uint64_t *seq)
{
	const redisReply *f;

	if (x->type != REDIS_REPLY_ARRAY || x->elements != 2 || entry_seq(x->element[0], seq))
		return NULL;
	f = x->element[1];
	if (f->type != REDIS_REPLY_ARRAY || f->elements != 2 || f->element[0]->type != REDIS_REPLY_STRING ||
	    f->element[0]->len != 1 || f->element[0]->str[0] != 'e' || f->element[1]->type != REDIS_REPLY_STRING)
		return NULL;
	return journal_entry_decode(f->element[1]->str, f->element[1]->len, *seq);
}

static int view_push(struct journal_view *v, struct journal_entry *e, size_t *alloc)
{
	if (v->n == *alloc) {
		size_t na = *alloc ? *alloc * 2 : 64;
		struct journal_entry **ne = realloc(v->e, na * sizeof(*ne));

		if (!ne)
			return -1;
		v->e = ne;
		*alloc = na;
	}
	v->e[v->n++] = e;
	return 0;
}

int shared_journal_decode(struct redisReply *r, const char *scenario, size_t limit,
			  struct journal_view *v, size_t *alloc, uint64_t *last, size_t *scanned, uint64_t *after)
{
	const redisReply *list;
	size_t i, added = 0;
	uint64_t prev = 0;

	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3 || r->element[0]->type != REDIS_REPLY_INTEGER ||
	    r->element[1]->type != REDIS_REPLY_INTEGER || r->element[2]->type != REDIS_REPLY_ARRAY ||
	    r->element[0]->integer < 0 || r->element[1]->integer < 0)
		return -1;
	list = r->element[2];
	*last = (uint64_t)r->element[0]->integer;
	v->size = (size_t)r->element[1]->integer;
	*scanned = 0;
	for (i = 0; i < list->elements && (!limit || v->n < limit); i++) {
		uint64_t seq;
		struct journal_entry *e = entry_of(list->element[i], &seq);

		if (!e || seq <= prev || seq > *last) {
			journal_entry_unref(e);
			return -1;
		}
		prev = seq;
		*after = seq + 1;
		++*scanned;
		if (scenario && strcmp(e->blob + e->scenario_at, scenario)) {
			journal_entry_unref(e);
			continue;
		}
		if (view_push(v, e, alloc)) {
			journal_entry_unref(e);
			return -1;
		}
		added++;
	}
	if (i < list->elements) /* the limit was reached: the rest is for the next read */
		*scanned = (size_t)-1;
	return (int)added;
}

int shared_journal_view(struct shared *sh, uint64_t since, size_t limit, const char *scenario,
			struct journal_view *v, char *why, size_t size)
{
	char from[24], count[24];
	const char *argv[4] = { "errata:journal", "errata:journal:seq", from, count };
	size_t lens[4] = { 14, 18, 0, 0 }, scanned, alloc = 0;
	uint64_t at = since ? since : 1, last = 0, after;

	flush(sh, 2000);
	memset(v, 0, sizeof(*v));
	v->capacity = sh->journal_size;
	for (;;) {
		redisReply *r;
		int got;

		snprintf(from, sizeof(from), "%" PRIu64, at);
		snprintf(count, sizeof(count), "%d", READ_BATCH);
		lens[2] = strlen(from), lens[3] = strlen(count);
		if (!(r = store_script(sh->st, lua_read, 2, 4, argv, lens, why, size)))
			goto fail;
		after = at;
		got = shared_journal_decode(r, scenario, limit, v, &alloc, &last, &scanned, &after);
		freeReplyObject(r);
		if (got < 0) {
			snprintf(why, size, "%s holds a journal entry errata cannot read (after seq %" PRIu64 ")",
				 store_where(sh->st), at - 1);
			goto fail;
		}
		if (scanned == (size_t)-1 || (limit && v->n >= limit)) { /* stopped at the limit */
			v->next_seq = after;
			return 0;
		}
		if (scanned < READ_BATCH) { /* the whole stream up to `last`, read at one instant */
			v->next_seq = last + 1; /* as the local journal: its end, even for a since past it */
			return 0;
		}
		at = after;
	}
fail:
	journal_view_release(v);
	return -1;
}

long long shared_journal_clear(struct shared *sh, char *why, size_t size)
{
	const char *argv[1] = { "errata:journal" };
	size_t lens[1] = { 14 };
	redisReply *r = store_script(sh->st, lua_clear, 1, 0, argv, lens, why, size);
	long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;

	freeReplyObject(r);
	return n;
}
