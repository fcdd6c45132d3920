/*
 * The journal ring. Entries are packed into one allocation each, built
 * outside the lock; the lock only swaps pointers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "../model/redact.h"
#include "../model/utf8.h"

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

/*
 * An entry is laid out in two steps that cannot disagree: plan_entry() decides
 * every string's length once (cutting on a character boundary what does
 * not fit in JOURNAL_ENTRY_MAX, and marking the entry truncated), then the
 * blob is allocated at exactly the planned size and filled from the plan.
 */
#define FIELDS (JOURNAL_FIXED + 2 * JOURNAL_MAX_PAIRS)

struct plan {
	const char *s[FIELDS];
	size_t len[FIELDS];
	unsigned n;
	size_t total;            /* bytes of the blob: every string and its NUL */
	int truncated;
};

/* Plan s (NULL: ""), cut to `cap` bytes and to the room that is left. */
static void plan_add(struct plan *p, const char *s, size_t cap)
{
	size_t len = s ? strlen(s) : 0;
	size_t room = p->total < JOURNAL_ENTRY_MAX ? JOURNAL_ENTRY_MAX - p->total - 1 : 0;

	if (cap > room)
		cap = room;
	if (len > cap) {
		len = utf8_cut(s, len, cap);
		p->truncated = 1;
	}
	p->s[p->n] = s ? s : "";
	p->len[p->n++] = len;
	p->total += len + 1;
}

/* Plan name/value pairs while whole pairs fit; the first that does not is
 * cut to what is left and the rest are dropped, the entry marked truncated. */
static unsigned plan_pairs(struct plan *p, const char *const *pairs, unsigned nr)
{
	unsigned i;

	for (i = 0; i < nr; i++) {
		size_t room = JOURNAL_ENTRY_MAX - p->total; /* plan_add keeps total <= MAX */
		size_t need = strlen(pairs[2 * i]) + strlen(pairs[2 * i + 1]) + 2;

		if (p->n + 2 > FIELDS || room < 2)
			break;
		/* a pair that does not fit whole: the name gets at most half, and
		 * it is the last one planned */
		plan_add(p, pairs[2 * i], need <= room ? room : (room - 2) / 2);
		plan_add(p, pairs[2 * i + 1], room);
		if (need > room) {
			i++;
			break;
		}
	}
	if (i < nr)
		p->truncated = 1;
	return i;
}

static void plan_entry(struct plan *p, const struct journal_record *r, struct journal_entry *e)
{
	/* caps that add up to well under JOURNAL_ENTRY_MAX: the fixed strings
	 * always fit, and headers have at least 4 KiB */
	static const size_t cap[JOURNAL_FIXED] = { 256, 8192, 256, 256, JOURNAL_KEY_MAX, 256, 256, 128, 256 };
	const char *fixed[JOURNAL_FIXED] = { r->method, r->path, r->contract, r->code,
					     r->idempotency_key, r->scenario, r->fault,
					     r->retry_after, r->wait };
	unsigned i;

	p->n = 0; /* the arrays are filled as planned: no 4 KB memset per request */
	p->total = 0;
	p->truncated = 0;
	for (i = 0; i < JOURNAL_FIXED; i++)
		plan_add(p, fixed[i], cap[i]);
	e->nr_headers = plan_pairs(p, r->headers, r->nr_headers);
	e->nr_query = plan_pairs(p, r->query, r->nr_query);
	e->truncated = p->truncated || r->dropped;
}

static char *plan_fill(const struct plan *p)
{
	char *blob = malloc(p->total), *o = blob;
	unsigned i;

	if (!blob)
		return NULL;
	for (i = 0; i < p->n; i++) {
		memcpy(o, p->s[i], p->len[i]);
		o += p->len[i];
		*o++ = '\0';
	}
	return blob;
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
	struct plan p;
	char *old;

	if (!j->capacity)
		return;
	redact_pairs(r->headers, r->nr_headers);
	redact_pairs(r->query, r->nr_query);
	plan_entry(&p, r, &e);
	e.blob = plan_fill(&p);
	if (!e.blob)
		return;
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

/*
 * A stored string as JSON: as it is when it is UTF-8, else escaped (bytes
 * as \xHH, backslashes doubled), and `member` listed in the entry's
 * "escaped" array, so that no byte is lost and no two values collide.
 */
static json_t *jstr(const char *s, const char *member, json_t *escaped)
{
	int esc = 0;
	char *t = utf8_escape(s, strlen(s), &esc);
	json_t *v = t ? json_string(t) : NULL;

	free(t);
	if (esc) {
		size_t i;
		json_t *m;

		json_array_foreach(escaped, i, m)
			if (!strcmp(json_string_value(m), member))
				break;
		if (i == json_array_size(escaped))
			json_array_append_new(escaped, json_string(member));
	}
	return v ? v : json_string("");
}

/* A member that is null when empty. */
static json_t *jstr_or_null(const char *s, const char *member, json_t *escaped)
{
	return *s ? jstr(s, member, escaped) : json_null();
}

static json_t *entry_json(const struct journal_entry *e)
{
	const char *p = e->blob, *method, *path, *contract, *code, *idem, *scenario, *fault, *ra, *wait;
	json_t *o, *headers = json_array(), *query = json_object(), *escaped = json_array();
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
	ra = next_str(&p);
	wait = next_str(&p);
	for (i = 0; i < e->nr_headers; i++) {
		const char *n = next_str(&p), *v = next_str(&p);

		json_array_append_new(headers, json_pack("[oo]", jstr(n, "headers", escaped),
							 jstr(v, "headers", escaped)));
	}
	for (i = 0; i < e->nr_query; i++) {
		const char *n = next_str(&p), *v = next_str(&p);
		json_t *k = jstr(n, "query", escaped);

		json_object_set_new(query, json_string_value(k), jstr(v, "query", escaped));
		json_decref(k);
	}
	if (!gmtime_r(&e->wall.tv_sec, &tm))
		memset(&tm, 0, sizeof(tm));
	snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, e->wall.tv_nsec / 1000000);
	snprintf(hash, sizeof(hash), "fnv1a64:%016llx", (unsigned long long)e->body_hash);
	o = json_pack("{sI sI sI ss so so so so sI ss si}",
		      "seq", (json_int_t)e->seq, "t_us", (json_int_t)e->t_us,
		      "connection", (json_int_t)e->connection, "time", when,
		      "method", jstr(method, "method", escaped), "path", jstr(path, "path", escaped),
		      "headers", headers, "query", query,
		      "body_size", (json_int_t)e->body_size, "body_hash", hash,
		      "status", e->status);
	json_object_set_new(o, "contract", jstr_or_null(contract, "contract", escaped));
	json_object_set_new(o, "code", jstr_or_null(code, "code", escaped));
	json_object_set_new(o, "idempotency_key", jstr_or_null(idem, "idempotency_key", escaped));
	json_object_set_new(o, "scenario", jstr_or_null(scenario, "scenario", escaped));
	json_object_set_new(o, "step", e->step >= 0 ? json_integer(e->step) : json_null());
	json_object_set_new(o, "fault", jstr_or_null(fault, "fault", escaped));
	json_object_set_new(o, "retry_after", jstr_or_null(ra, "retry_after", escaped));
	json_object_set_new(o, "wait", jstr_or_null(wait, "wait", escaped));
	json_object_set_new(o, "delay_ms", json_integer(e->delay_ms));
	json_object_set_new(o, "replayed", json_boolean(e->replayed));
	if (e->truncated)
		json_object_set_new(o, "truncated", json_true());
	if (json_array_size(escaped))
		json_object_set_new(o, "escaped", escaped);
	else
		json_decref(escaped);
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
