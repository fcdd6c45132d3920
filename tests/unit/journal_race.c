/*
 * The journal under concurrency: writers on several threads and readers
 * polling at the same time. Counts stay exact, every read is ordered and
 * valid JSON, a reader that follows next_seq sees every entry exactly once,
 * and the text comes out the same whatever the size of the pieces it is
 * read in. Built with ThreadSanitizer too (make check).
 */
#include <pthread.h>

#include "test.h"
#include "../../mock/journal.h"

#define WRITERS 4
#define PER_WRITER 5000
#define TOTAL (WRITERS * PER_WRITER)

static struct journal j;
static atomic_int writing;

static void *writer(void *arg)
{
	char path[64], key[32];
	const char *headers[] = { "Authorization", "Bearer sk_live_secret", "Accept", "*/*" };
	struct journal_record r = { 0 };
	int i, id = (int)(intptr_t)arg;

	r.method = "POST";
	r.contract = "breezeblue";
	r.scenario = id == 0 ? "zero" : "";
	r.step = -1;
	r.status = 429;
	r.nr_headers = 2;
	for (i = 0; i < PER_WRITER; i++) {
		const char *h[4] = { headers[0], headers[1], headers[2], headers[3] };

		snprintf(path, sizeof(path), "/w%d/%d", id, i);
		snprintf(key, sizeof(key), "k%d", i);
		r.path = path;
		r.idempotency_key = key;
		r.headers = h;
		journal_append(&j, &r);
	}
	atomic_fetch_sub(&writing, 1);
	return NULL;
}

struct poll_result {
	unsigned char *seen;     /* seen[seq]: times a polling reader got it */
	int disordered, bad_json, beyond, reads;
};

/* Poll as a client would, 256 at a time: since = one past the last entry
 * of a full read, else next_seq, until the writers are done and a read
 * comes back short. */
static void *poller(void *arg)
{
	struct poll_result *pr = arg;
	uint64_t since = 0;
	int last = 0;

	while (!last) {
		json_t *d, *e;
		size_t i;
		uint64_t prev = 0, next;

		last = atomic_load(&writing) == 0;
		d = journal_dump(&j, since, 256, NULL);
		pr->reads++;
		if (!d) {
			pr->bad_json++;
			continue;
		}
		next = (uint64_t)json_integer_value(json_object_get(d, "next_seq"));
		json_array_foreach(json_object_get(d, "entries"), i, e) {
			uint64_t seq = (uint64_t)json_integer_value(json_object_get(e, "seq"));

			if (seq <= prev)
				pr->disordered++;
			if (seq >= next || seq > TOTAL)
				pr->beyond++;
			else
				pr->seen[seq]++;
			prev = seq;
		}
		/* a limited read goes on after its last entry */
		since = json_array_size(json_object_get(d, "entries")) == 256 ? prev + 1 : next;
		if (since != next)
			last = 0;
		json_decref(d);
	}
	return NULL;
}

/* The whole view read in pieces of `piece` bytes. */
static char *read_all(size_t piece, size_t *len)
{
	struct journal_view v;
	char *text = NULL;
	size_t cap = 0;
	long n;

	*len = 0;
	if (journal_view(&j, 0, 0, NULL, &v))
		return NULL;
	do {
		if (cap - *len < piece) {
			cap = (cap + piece) * 2;
			text = realloc(text, cap);
		}
		n = journal_view_read(&v, text + *len, piece);
		*len += n > 0 ? (size_t)n : 0;
	} while (n > 0);
	journal_view_release(&v);
	return text;
}

/* Writers, clears and reads at once: a read's size and a clear's count
 * never exceed the ring, nor wrap below zero. */
static atomic_int racing;
static atomic_uint_least64_t worst;

static void *clearer(void *arg)
{
	(void)arg;
	while (atomic_load(&racing)) {
		size_t n = journal_clear(&j);

		if (n > atomic_load(&worst))
			atomic_store(&worst, n);
	}
	return NULL;
}

static void *sizer(void *arg)
{
	(void)arg;
	while (atomic_load(&racing)) {
		struct journal_view v;

		if (!journal_view(&j, 0, 1, NULL, &v)) {
			if (v.size > atomic_load(&worst))
				atomic_store(&worst, v.size);
			journal_view_release(&v);
		}
	}
	return NULL;
}

static void clear_race(struct tap *t)
{
	pthread_t th[4];
	int i;

	atomic_store(&racing, 1);
	atomic_store(&writing, 2);
	pthread_create(&th[0], NULL, writer, (void *)(intptr_t)7);
	pthread_create(&th[1], NULL, writer, (void *)(intptr_t)8);
	pthread_create(&th[2], NULL, clearer, NULL);
	pthread_create(&th[3], NULL, sizer, NULL);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	atomic_store(&racing, 0);
	pthread_join(th[2], NULL);
	pthread_join(th[3], NULL);
	for (i = 0; i < 2000; i++) { /* one thread, many clears between appends */
		struct journal_view v;

		journal_clear(&j);
		if (!journal_view(&j, 0, 0, NULL, &v)) {
			if (v.size > atomic_load(&worst))
				atomic_store(&worst, v.size);
			journal_view_release(&v);
		}
	}
	tap_ok(t, atomic_load(&worst) <= TOTAL,
	       "sizes read and counts cleared while appends and clears race stay within the ring (worst %llu)",
	       (unsigned long long)atomic_load(&worst));
}

int main(void)
{
	pthread_t w[WRITERS], p;
	struct poll_result pr = { 0 };
	struct tap t;
	json_t *d;
	size_t i, missing = 0, twice = 0, la, lb;
	char *a, *b;

	tap_init(&t, stdout, TAP_VERSION_TESTS);
	journal_init(&j, TOTAL);
	pr.seen = calloc(TOTAL + 1, 1);
	atomic_store(&writing, WRITERS);
	pthread_create(&p, NULL, poller, &pr);
	for (i = 0; i < WRITERS; i++)
		pthread_create(&w[i], NULL, writer, (void *)(intptr_t)i);
	for (i = 0; i < WRITERS; i++)
		pthread_join(w[i], NULL);
	pthread_join(p, NULL);
	for (i = 1; i <= TOTAL; i++) {
		missing += pr.seen[i] == 0;
		twice += pr.seen[i] > 1;
	}
	tap_ok(&t, pr.reads > 1 && missing == 0 && twice == 0,
	       "%d writers, %d entries, a reader following next_seq over %d reads: %zu missed, %zu seen twice",
	       WRITERS, TOTAL, pr.reads, missing, twice);
	tap_ok(&t, pr.disordered == 0 && pr.beyond == 0 && pr.bad_json == 0,
	       "every read is in seq order (%d out of order), below its next_seq (%d beyond), and JSON (%d not)",
	       pr.disordered, pr.beyond, pr.bad_json);
	d = journal_dump(&j, 0, 0, NULL);
	tap_ok(&t, d && json_integer_value(json_object_get(d, "next_seq")) == TOTAL + 1 &&
	       json_array_size(json_object_get(d, "entries")) == TOTAL &&
	       json_integer_value(json_object_get(d, "size")) == TOTAL,
	       "the count is exact: next_seq %d, %d entries held", TOTAL + 1, TOTAL);
	json_decref(d);
	d = journal_dump(&j, 0, 0, "zero");
	tap_ok(&t, json_array_size(json_object_get(d, "entries")) == PER_WRITER,
	       "the scenario filter finds the %d entries of one writer's scenario", PER_WRITER);
	json_decref(d);
	d = journal_dump(&j, 100, 10, NULL);
	tap_ok(&t, d && json_array_size(json_object_get(d, "entries")) == 10 &&
	       json_integer_value(json_object_get(json_array_get(json_object_get(d, "entries"), 0), "seq")) == 100,
	       "since 100, limit 10: entries 100 to 109");
	json_decref(d);
	a = read_all(1, &la);
	b = read_all(65536, &lb);
	tap_ok(&t, a && b && la == lb && !memcmp(a, b, la) && !memmem(a, la, "sk_live", 7),
	       "read a byte at a time or 64 KiB at a time, the text is the same (%zu bytes), with no secret", la);
	free(a);
	free(b);
	{
		/* an entry still being written ends a read, and comes in the next */
		struct journal_record r = { .method = "GET", .path = "/slow", .step = -1 };
		struct journal_entry *slow = journal_begin(&j, &r), *fast;
		uint64_t s = (uint64_t)TOTAL + 1;

		r.path = "/fast";
		fast = journal_begin(&j, &r);
		journal_commit(&j, fast);
		d = journal_dump(&j, s, 0, NULL);
		tap_ok(&t, d && json_array_size(json_object_get(d, "entries")) == 0 &&
		       (uint64_t)json_integer_value(json_object_get(d, "next_seq")) == s,
		       "seq %llu begun, %llu committed: a read returns neither, and next_seq is %llu",
		       (unsigned long long)s, (unsigned long long)s + 1, (unsigned long long)s);
		json_decref(d);
		journal_commit(&j, slow);
		d = journal_dump(&j, s, 0, NULL);
		tap_ok(&t, d && json_array_size(json_object_get(d, "entries")) == 2 &&
		       !strcmp(json_string_value(json_object_get(json_array_get(json_object_get(d, "entries"), 0), "path")), "/slow"),
		       "once it is committed, the next read from there returns both, in seq order");
		json_decref(d);
	}
	tap_ok(&t, journal_clear(&j) == TOTAL, "clear reports the %d entries it held (the ring is full)", TOTAL);
	d = journal_dump(&j, 0, 0, NULL);
	tap_ok(&t, d && json_array_size(json_object_get(d, "entries")) == 0 &&
	       json_integer_value(json_object_get(d, "next_seq")) == TOTAL + 3,
	       "after a clear nothing is listed and seq goes on");
	json_decref(d);
	clear_race(&t);
	free(pr.seen);
	journal_release(&j);
	return tap_done(&t) ? 1 : 0;
}
