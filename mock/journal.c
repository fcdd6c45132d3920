/*
 * The journal ring. An entry is planned, redacted and packed into one
 * allocation before it goes in; putting it in is one atomic add and a
 * pointer swap in its own slot. Reading takes references slot by slot and
 * writes JSON outside every lock, a piece at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "../model/exchange.h"
#include "../model/redact.h"
#include "../model/utf8.h"

int journal_init(struct journal *j, size_t capacity)
{
	size_t i;

	memset(j, 0, sizeof(*j));
	atomic_init(&j->next_seq, 1);
	atomic_init(&j->cleared_before, 0);
	j->capacity = capacity;
	if (capacity && !(j->ring = calloc(capacity, sizeof(*j->ring))))
		return -1;
	for (i = 0; i < capacity; i++)
		atomic_flag_clear(&j->ring[i].busy);
	return 0;
}

static void entry_unref(struct journal_entry *e)
{
	if (e && atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1)
		free(e);
}

void journal_release(struct journal *j)
{
	size_t i;

	for (i = 0; i < j->capacity; i++)
		entry_unref(j->ring[i].e);
	free(j->ring);
	memset(j, 0, sizeof(*j));
}

static void slot_lock(struct journal_slot *s)
{
	while (atomic_flag_test_and_set_explicit(&s->busy, memory_order_acquire))
		; /* held for a pointer swap or a reference: a few instructions */
}

static void slot_unlock(struct journal_slot *s)
{
	atomic_flag_clear_explicit(&s->busy, memory_order_release);
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
	static const size_t cap[JOURNAL_FIXED] = { 256, 8192, 256, 256, JOURNAL_KEY_MAX, 256, 256, 128, 256,
						   320, 512, 160, 128 };
	const char *fixed[JOURNAL_FIXED] = { r->method, r->path, r->contract, r->code,
					     r->idempotency_key, r->scenario, r->fault,
					     r->retry_after, r->wait, r->upstream, r->conformance,
					     r->stream, r->replica };
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

/* Copy the planned strings into blob (p->total bytes); the offset of the
 * scenario, the sixth string, into *scenario_at. */
static void plan_fill(const struct plan *p, char *blob, unsigned *scenario_at)
{
	char *o = blob;
	unsigned i;

	for (i = 0; i < p->n; i++) {
		if (i == 5)
			*scenario_at = (unsigned)(o - blob);
		memcpy(o, p->s[i], p->len[i]);
		o += p->len[i];
		*o++ = '\0';
	}
}

/* Replace secret values in name/value pairs, in place: decided once per header. */
static void redact_pairs(const char **pairs, unsigned nr)
{
	unsigned i;

	for (i = 0; i < nr; i++)
		if (redact_is_secret_name(pairs[2 * i]))
			pairs[2 * i + 1] = REDACTED;
}

/* Put e in its slot, unless a writer that came later lapped it there. */
static void put(struct journal *j, struct journal_entry *e)
{
	struct journal_slot *s = &j->ring[e->seq % j->capacity];
	struct journal_entry *old;

	slot_lock(s);
	old = s->e;
	if (old && old->seq > e->seq) {
		old = e;         /* already older than the whole ring */
	} else {
		s->e = e;
	}
	slot_unlock(s);
	entry_unref(old);
}

struct journal_entry *journal_entry_new(const struct journal_record *r)
{
	struct journal_entry h = { 0 }, *e;
	struct plan p;

	redact_pairs(r->headers, r->nr_headers);
	redact_pairs(r->query, r->nr_query);
	plan_entry(&p, r, &h);
	e = malloc(sizeof(*e) + p.total);
	if (!e)
		return NULL;
	memcpy(e, &h, sizeof(*e));
	plan_fill(&p, e->blob, &e->scenario_at);
	atomic_init(&e->refs, 1);
	e->connection = r->connection;
	e->t_us = r->t_us;
	clock_gettime(CLOCK_REALTIME, &e->wall);
	e->status = r->status;
	e->body_size = r->body_size;
	e->body_hash = r->body_hash;
	e->step = r->step;
	e->replayed = r->replayed;
	e->delay_ms = r->delay_ms;
	return e;
}

void journal_entry_unref(struct journal_entry *e)
{
	entry_unref(e);
}

struct journal_entry *journal_begin(struct journal *j, const struct journal_record *r)
{
	struct journal_entry *e;

	if (!j->capacity || !(e = journal_entry_new(r)))
		return NULL;
	e->seq = atomic_fetch_add_explicit(&j->next_seq, 1, memory_order_relaxed);
	return e;
}

void journal_commit(struct journal *j, struct journal_entry *e)
{
	if (e)
		put(j, e);
}

void journal_append(struct journal *j, const struct journal_record *r)
{
	journal_commit(j, journal_begin(j, r));
}

/* The seq of the oldest entry held, for a journal whose next seq is `next`
 * (as read before: a clear since may be past it, so never more than it). */
static uint64_t oldest(const struct journal *j, uint64_t next)
{
	uint64_t first = next > j->capacity ? next - j->capacity : 1;
	uint64_t cleared = atomic_load_explicit(&j->cleared_before, memory_order_acquire);

	first = first < cleared ? cleared : first;
	return first < next ? first : next;
}

/*
 * A reference to the entry of `seq`, or NULL: *pending is set when that
 * entry is still being written (its slot holds an older one, or none).
 */
static struct journal_entry *take(struct journal *j, uint64_t seq, const char *scenario,
				  int *pending)
{
	struct journal_slot *s = &j->ring[seq % j->capacity];
	struct journal_entry *e;

	slot_lock(s);
	e = s->e;
	*pending = !e || e->seq < seq;
	if (e && (e->seq != seq || (scenario && strcmp(e->blob + e->scenario_at, scenario))))
		e = NULL;
	if (e)
		atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
	slot_unlock(s);
	return e;
}

int journal_view(struct journal *j, uint64_t since, size_t limit, const char *scenario,
		 struct journal_view *v)
{
	uint64_t next = atomic_load_explicit(&j->next_seq, memory_order_acquire);
	uint64_t first = oldest(j, next), seq;
	size_t cap;

	memset(v, 0, sizeof(*v));
	v->capacity = j->capacity;
	v->size = (size_t)(next - first);
	v->next_seq = next;
	if (since > first)
		first = since;
	if (!j->capacity || first >= next)
		return 0;
	cap = (size_t)(next - first);
	if (limit && limit < cap)
		cap = limit;
	if (!(v->e = malloc(cap * sizeof(*v->e))))
		return -1;
	for (seq = first; seq < next && v->n < cap; seq++) {
		int pending;
		struct journal_entry *e = take(j, seq, scenario, &pending);

		if (pending) {
			v->next_seq = seq;
			break;
		}
		if (e)
			v->e[v->n++] = e;
	}
	return 0;
}

void journal_view_release(struct journal_view *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		entry_unref(v->e[i]);
	free(v->e);
	free(v->pend);
	memset(v, 0, sizeof(*v));
}

/* Clears that race move the mark forward only; each counts what it moved
 * past, so the counts of racing clears add up to what was held. */
size_t journal_clear(struct journal *j)
{
	uint64_t next = atomic_load_explicit(&j->next_seq, memory_order_acquire);
	uint64_t was = atomic_load_explicit(&j->cleared_before, memory_order_acquire), from;

	do {
		if (was >= next)
			return 0; /* a racing clear went as far */
	} while (!atomic_compare_exchange_weak_explicit(&j->cleared_before, &was, next, memory_order_acq_rel,
							memory_order_acquire));
	from = next > j->capacity ? next - j->capacity : 1;
	from = from < was ? was : from;
	return (size_t)(next - from);
}

static const char *blob_next(const char **p)
{
	const char *s = *p;

	*p += strlen(s) + 1;
	return s;
}

static const char *or_null(const char *s)
{
	return *s ? s : NULL;
}

struct exchange *journal_exchanges(const struct journal_view *v, size_t *n)
{
	size_t i, k, pairs = 0;
	struct exchange *x;
	const char **h;

	*n = 0;
	for (i = 0; i < v->n; i++)
		pairs += v->e[i]->nr_headers;
	if (!v->n || !(x = malloc(v->n * sizeof(*x) + 2 * pairs * sizeof(*h) + 1)))
		return NULL;
	h = (const char **)(x + v->n);
	for (i = 0; i < v->n; i++) {
		const struct journal_entry *e = v->e[i];
		const char *p = e->blob, *f[JOURNAL_FIXED];

		for (k = 0; k < JOURNAL_FIXED; k++)
			f[k] = blob_next(&p);
		x[i].t_us = e->t_us;
		x[i].wall = (double)e->wall.tv_sec + (double)(e->wall.tv_nsec / 1000000) / 1000.0;
		x[i].method = f[0];
		x[i].path = f[1];
		x[i].idempotency_key = or_null(f[4]);
		x[i].fault = or_null(f[6]);
		x[i].retry_after = or_null(f[7]);
		x[i].wait = or_null(f[8]);
		x[i].stream = or_null(f[11]);
		x[i].body_hash = e->body_hash;
		x[i].status = e->status;
		x[i].headers = h;
		x[i].nr_headers = e->nr_headers;
		for (k = 0; k < 2 * e->nr_headers; k++)
			*h++ = blob_next(&p);
	}
	*n = v->n;
	return x;
}
