/*
 * The journal ring. Entries are packed into one allocation each, built
 * outside the lock; the lock only swaps pointers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "../model/redact.h"

int journal_init(struct journal *j, size_t capacity)
{
	memset(j, 0, sizeof(*j));
	j->next_seq = 1;
	j->capacity = capacity;
	if (capacity && !(j->ring = calloc(capacity, sizeof(*j->ring))))
		return -1;
	return pthread_mutex_init(&j->lock, NULL) ? -1 : 0;
}

void journal_release(struct journal *j)
{
	size_t i;

	for (i = 0; i < j->capacity; i++)
		free(j->ring[i].blob);
	free(j->ring);
	pthread_mutex_destroy(&j->lock);
	memset(j, 0, sizeof(*j));
}

uint64_t journal_hash(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Append s and its NUL if it fits in `cap`; returns 0, or -1 when it does not. */
static int pack(char *blob, size_t *len, size_t cap, const char *s)
{
	size_t n = strlen(s ? s : "") + 1;

	if (*len + n > cap)
		return -1;
	if (blob)
		memcpy(blob + *len, s ? s : "", n);
	*len += n;
	return 0;
}

/* Pack name/value pairs (secrets already redacted); counts what fitted. */
static void pack_pairs(char *blob, size_t *len, size_t cap, const char *const *pairs,
		       unsigned nr, unsigned *kept, int *truncated)
{
	unsigned i;

	for (i = 0; i < nr; i++) {
		const char *name = pairs[2 * i], *value = pairs[2 * i + 1];
		size_t before = *len;

		if (pack(blob, len, cap, name) || pack(blob, len, cap, value)) {
			*len = before;
			*truncated = 1;
			return;
		}
		(*kept)++;
	}
}

/* Lay out an entry's strings: with blob NULL, only measure. */
static size_t layout(char *blob, const struct journal_record *r, struct journal_entry *e)
{
	size_t len = 0, cap = JOURNAL_ENTRY_MAX;

	e->nr_headers = e->nr_query = 0;
	e->truncated = 0;
	if (pack(blob, &len, cap, r->method) || pack(blob, &len, cap, r->path) ||
	    pack(blob, &len, cap, r->contract) || pack(blob, &len, cap, r->code) ||
	    pack(blob, &len, cap, r->idempotency_key) || pack(blob, &len, cap, r->scenario) ||
	    pack(blob, &len, cap, r->fault)) {
		/* a path this long is cut; the seven strings must all be there */
		len = 0;
		pack(blob, &len, cap, r->method);
		pack(blob, &len, cap, "");
		pack(blob, &len, cap, r->contract);
		pack(blob, &len, cap, r->code);
		pack(blob, &len, cap, "");
		pack(blob, &len, cap, r->scenario);
		pack(blob, &len, cap, r->fault);
		e->truncated = 1;
	}
	pack_pairs(blob, &len, cap, r->headers, r->nr_headers, &e->nr_headers, &e->truncated);
	pack_pairs(blob, &len, cap, r->query, r->nr_query, &e->nr_query, &e->truncated);
	return len;
}

/* Replace secret values in name/value pairs, in place: decided once per header. */
static void redact_pairs(const char **pairs, unsigned nr)
{
	unsigned i;

	for (i = 0; i < nr; i++)
		if (redact_is_secret_name(pairs[2 * i]))
			pairs[2 * i + 1] = REDACTED;
}

void journal_append(struct journal *j, const struct journal_record *r)
{
	struct journal_entry e = { 0 };
	char *old;

	if (!j->capacity)
		return;
	redact_pairs(r->headers, r->nr_headers);
	redact_pairs(r->query, r->nr_query);
	e.blob = malloc(layout(NULL, r, &e));
	if (!e.blob)
		return;
	layout(e.blob, r, &e);
	e.connection = r->connection;
	e.t_us = r->t_us;
	clock_gettime(CLOCK_REALTIME, &e.wall);
	e.status = r->status;
	e.body_size = r->body_size;
	e.body_hash = r->body_hash;
	e.step = r->step;
	e.replayed = r->replayed;
	e.delay_ms = r->delay_ms;

	pthread_mutex_lock(&j->lock);
	e.seq = j->next_seq++;
	old = j->ring[e.seq % j->capacity].blob;
	j->ring[e.seq % j->capacity] = e;
	pthread_mutex_unlock(&j->lock);
	free(old);
}

static const char *next_str(const char **p)
{
	const char *s = *p;

	*p += strlen(s) + 1;
	return s;
}

/* The scenario an entry was served by ("" for none). */
static const char *entry_scenario(const struct journal_entry *e)
{
	const char *p = e->blob;
	int i;

	for (i = 0; i < 5; i++)
		p += strlen(p) + 1;
	return p;
}

static json_t *entry_json(const struct journal_entry *e)
{
	const char *p = e->blob, *method, *path, *contract, *code, *idem, *scenario, *fault;
	json_t *o, *headers = json_array(), *query = json_object();
	char when[96], hash[32];
	struct tm tm;
	unsigned i;

	method = next_str(&p);
	path = next_str(&p);
	contract = next_str(&p);
	code = next_str(&p);
	idem = next_str(&p);
	scenario = next_str(&p);
	fault = next_str(&p);
	for (i = 0; i < e->nr_headers; i++) {
		const char *n = next_str(&p), *v = next_str(&p);

		json_array_append_new(headers, json_pack("[ss]", n, v));
	}
	for (i = 0; i < e->nr_query; i++) {
		const char *n = next_str(&p), *v = next_str(&p);

		json_object_set_new(query, n, json_string(v));
	}
	gmtime_r(&e->wall.tv_sec, &tm);
	snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, e->wall.tv_nsec / 1000000);
	snprintf(hash, sizeof(hash), "fnv1a64:%016llx", (unsigned long long)e->body_hash);
	o = json_pack("{sI sI sI ss ss ss so so sI ss si}",
		      "seq", (json_int_t)e->seq, "t_us", (json_int_t)e->t_us,
		      "connection", (json_int_t)e->connection, "time", when,
		      "method", method, "path", path, "headers", headers, "query", query,
		      "body_size", (json_int_t)e->body_size, "body_hash", hash,
		      "status", e->status);
	json_object_set_new(o, "contract", *contract ? json_string(contract) : json_null());
	json_object_set_new(o, "code", *code ? json_string(code) : json_null());
	json_object_set_new(o, "idempotency_key", *idem ? json_string(idem) : json_null());
	json_object_set_new(o, "scenario", *scenario ? json_string(scenario) : json_null());
	json_object_set_new(o, "step", e->step >= 0 ? json_integer(e->step) : json_null());
	json_object_set_new(o, "fault", *fault ? json_string(fault) : json_null());
	json_object_set_new(o, "delay_ms", json_integer(e->delay_ms));
	json_object_set_new(o, "replayed", json_boolean(e->replayed));
	if (e->truncated)
		json_object_set_new(o, "truncated", json_true());
	return o;
}

/* The seq of the oldest entry still held; caller holds the lock. */
static uint64_t oldest(const struct journal *j)
{
	uint64_t first = j->next_seq > j->capacity ? j->next_seq - j->capacity : 1;

	return first < j->cleared_before ? j->cleared_before : first;
}

json_t *journal_dump(struct journal *j, uint64_t since, size_t limit, const char *scenario)
{
	json_t *out, *entries = json_array();
	uint64_t first, seq;
	size_t n = 0;

	pthread_mutex_lock(&j->lock);
	first = oldest(j);
	if (since > first)
		first = since;
	for (seq = first; j->capacity && seq < j->next_seq && (!limit || n < limit); seq++) {
		const struct journal_entry *e = &j->ring[seq % j->capacity];

		if (scenario && strcmp(entry_scenario(e), scenario))
			continue;
		json_array_append_new(entries, entry_json(e));
		n++;
	}
	out = json_pack("{sI sI sI}", "capacity", (json_int_t)j->capacity,
			"size", (json_int_t)(j->next_seq - oldest(j)),
			"next_seq", (json_int_t)j->next_seq);
	pthread_mutex_unlock(&j->lock);
	json_object_set_new(out, "entries", entries);
	return out;
}

size_t journal_clear(struct journal *j)
{
	size_t n;

	pthread_mutex_lock(&j->lock);
	n = (size_t)(j->next_seq - oldest(j));
	j->cleared_before = j->next_seq;
	pthread_mutex_unlock(&j->lock);
	return n;
}
