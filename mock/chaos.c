/*
 * Chaos, judged (chaos.h): the shots --inject fired, their retries, and a
 * verdict for each.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "chaos.h"
#include "journal.h"
#include "../model/retry_after.h"

#define CHAOS_MAX_SHOTS 100000
#define REPEAT_HORIZON_US (120LL * 1000000)  /* a repeat later than this is a new request */
#define WAIT_GRACE_MS 50                      /* timers and clocks: a retry this early still waited */
#define RETRY_PATIENCE_US (30LL * 1000000)   /* past the wait asked, a retry that has not come won't */

struct shot {
	char *method, *target, *key, *code, *fault;
	int status, retryable;       /* retryable: 1 yes, 0 no, -1 the contract cannot say (a fault) */
	uint64_t body;
	int64_t sent_us;
	long long asked_ms;          /* the wait the response asked for, or -1 */
	int retried, same_key, same_body;
	int64_t retry_us;
};

struct chaos {
	pthread_mutex_t lock;
	unsigned max;
	struct shot *v;
	size_t nr, cap, dropped;
	json_t *pending;             /* "K key" and "B method target body" -> the shot's index */
	json_t *streak;              /* "method path" -> errors in a row */
};

struct chaos *chaos_new(unsigned max_in_a_row)
{
	struct chaos *ch = calloc(1, sizeof(*ch));

	if (!ch)
		return NULL;
	pthread_mutex_init(&ch->lock, NULL);
	ch->max = max_in_a_row;
	ch->pending = json_object();
	ch->streak = json_object();
	if (!ch->pending || !ch->streak) {
		chaos_free(ch);
		return NULL;
	}
	return ch;
}

void chaos_free(struct chaos *ch)
{
	size_t i;

	if (!ch)
		return;
	for (i = 0; i < ch->nr; i++) {
		free(ch->v[i].method);
		free(ch->v[i].target);
		free(ch->v[i].key);
		free(ch->v[i].code);
		free(ch->v[i].fault);
	}
	free(ch->v);
	json_decref(ch->pending);
	json_decref(ch->streak);
	pthread_mutex_destroy(&ch->lock);
	free(ch);
}

static void streak_id(char *buf, size_t size, const char *method, const char *path)
{
	snprintf(buf, size, "%s %s", method, path);
}

int chaos_may_inject(struct chaos *ch, const char *method, const char *path)
{
	char id[1400];
	json_int_t n;

	if (!ch->max)
		return 1;
	streak_id(id, sizeof(id), method, path);
	pthread_mutex_lock(&ch->lock);
	n = json_integer_value(json_object_get(ch->streak, id));
	pthread_mutex_unlock(&ch->lock);
	return n < (json_int_t)ch->max;
}

/* --- the same body --- */

static int media_is(const char *type, const char *want)
{
	size_t n = strlen(want);

	return type && !strncasecmp(type, want, n) && (!type[n] || type[n] == ';' || type[n] == ' ');
}

/* The boundary parameter of a multipart type, into buf; 0 when found. */
static int boundary_of(const char *type, char *buf, size_t size)
{
	const char *b = strcasestr(type, "boundary=");
	size_t n;

	if (!b)
		return -1;
	b += 9;
	if (*b == '"')
		b++;
	n = strcspn(b, "\";, ");
	if (!n || n >= size)
		return -1;
	memcpy(buf, b, n);
	buf[n] = '\0';
	return 0;
}

static uint64_t multipart_hash(const char *boundary, const char *body, size_t len)
{
	uint64_t h = JOURNAL_HASH_INIT;
	size_t bn = strlen(boundary), i = 0, from = 0;

	while (i + bn <= len) {
		if (!memcmp(body + i, boundary, bn)) {
			h = journal_hash(h, body + from, i - from);
			i += bn;
			from = i;
		} else {
			i++;
		}
	}
	return journal_hash(h, body + from, len - from);
}

uint64_t chaos_body_hash(const char *type, const char *body, size_t len)
{
	char boundary[128], *dump;
	uint64_t h;
	json_t *v;

	if (!body || !len)
		return JOURNAL_HASH_INIT;
	if (type && (media_is(type, "application/json") || strstr(type, "+json")) &&
	    (v = json_loadb(body, len, JSON_DECODE_ANY, NULL))) {
		dump = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		json_decref(v);
		if (dump) {
			h = journal_hash(JOURNAL_HASH_INIT, dump, strlen(dump));
			free(dump);
			return h;
		}
	}
	if (type && media_is(type, "multipart/form-data") && !boundary_of(type, boundary, sizeof(boundary)))
		return multipart_hash(boundary, body, len);
	return journal_hash(JOURNAL_HASH_INIT, body, len);
}

/* --- noting requests --- */

static void body_id(char *buf, size_t size, const char *method, const char *target, uint64_t body)
{
	snprintf(buf, size, "B %s %s %016llx", method, target, (unsigned long long)body);
}

/* The shot this request repeats, or NULL; its pending entries removed. */
static struct shot *repeated(struct chaos *ch, const struct chaos_request *r, uint64_t body)
{
	char kid[1100], bid[1400];
	json_t *v = NULL;
	struct shot *s;

	snprintf(kid, sizeof(kid), "K %s", r->key ? r->key : "");
	body_id(bid, sizeof(bid), r->method, r->target, body);
	if (r->key)
		v = json_object_get(ch->pending, kid);
	if (!v)
		v = json_object_get(ch->pending, bid);
	if (!v)
		return NULL;
	s = &ch->v[json_integer_value(v)];
	if (s->key) {
		snprintf(kid, sizeof(kid), "K %s", s->key);
		json_object_del(ch->pending, kid);
	}
	body_id(bid, sizeof(bid), s->method, s->target, s->body);
	json_object_del(ch->pending, bid);
	return r->t_us - s->sent_us <= REPEAT_HORIZON_US ? s : NULL;
}

static long long asked_ms(const struct chaos_request *r)
{
	struct retry_after ra;
	char *end;
	long long ms;

	if (r->retry_after_ms && (ms = strtoll(r->retry_after_ms, &end, 10)) >= 0 && !*end)
		return ms;
	if (r->retry_after && !retry_after_parse(r->retry_after, time(NULL), &ra, NULL))
		return ra.seconds < 0 ? 0 : ra.seconds * 1000;
	return -1;
}

static int idempotent(const char *method, const char *key)
{
	return key || !strcmp(method, "GET") || !strcmp(method, "HEAD") || !strcmp(method, "OPTIONS") ||
	       !strcmp(method, "PUT") || !strcmp(method, "DELETE");
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void fire(struct chaos *ch, const struct chaos_request *r, uint64_t body)
{
	char id[1400];
	struct shot *s;

	if (ch->nr == CHAOS_MAX_SHOTS) {
		ch->dropped++;
		return;
	}
	if (ch->nr == ch->cap) {
		size_t cap = ch->cap ? 2 * ch->cap : 64;
		struct shot *v = realloc(ch->v, cap * sizeof(*v));

		if (!v) {
			ch->dropped++;
			return;
		}
		ch->v = v;
		ch->cap = cap;
	}
	s = &ch->v[ch->nr];
	memset(s, 0, sizeof(*s));
	s->method = strdup(r->method);
	s->target = strdup(r->target);
	s->key = dup_or_null(r->key);
	s->code = strdup(r->code ? r->code : "");
	s->fault = dup_or_null(r->fault);
	s->status = r->status;
	/* a stream cut or failed mid-way may be re-sent, never must be: SDKs
	 * surface it to the caller; a re-send is judged on its key */
	s->retryable = r->fault ? (strncmp(r->fault, "STREAM_", 7) && idempotent(r->method, r->key) ? 1 : -1) :
		       r->retryable;
	s->body = body;
	s->sent_us = r->t_us;
	s->asked_ms = asked_ms(r);
	if (!s->method || !s->target || !s->code || (r->key && !s->key) || (r->fault && !s->fault)) {
		free(s->method);
		free(s->target);
		free(s->key);
		free(s->code);
		free(s->fault);
		ch->dropped++;
		return;
	}
	if (s->key) {
		snprintf(id, sizeof(id), "K %s", s->key);
		json_object_set_new(ch->pending, id, json_integer((json_int_t)ch->nr));
	}
	body_id(id, sizeof(id), s->method, s->target, body);
	json_object_set_new(ch->pending, id, json_integer((json_int_t)ch->nr));
	ch->nr++;
}

void chaos_conclude(struct chaos *ch, const struct chaos_request *r)
{
	uint64_t body = chaos_body_hash(r->content_type, r->body, r->body_len);
	char id[1400];
	struct shot *s;

	streak_id(id, sizeof(id), r->method, r->target);
	pthread_mutex_lock(&ch->lock);
	if ((s = repeated(ch, r, body))) {
		s->retried = 1;
		s->retry_us = r->t_us;
		s->same_key = !strcmp(s->key ? s->key : "", r->key ? r->key : "");
		s->same_body = s->body == body;
	}
	if (r->injected) {
		json_object_set_new(ch->streak, id, json_integer(json_integer_value(json_object_get(ch->streak, id)) + 1));
		fire(ch, r, body);
	} else {
		json_object_del(ch->streak, id);
	}
	pthread_mutex_unlock(&ch->lock);
}

/* --- verdicts --- */

static void check(json_t *checks, const char *id, const char *outcome, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void check(json_t *checks, const char *id, const char *outcome, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(checks, json_pack("{ss ss ss}", "id", id, "outcome", outcome, "message", msg));
}

/* The checks of a retried retryable shot. */
static void judge_retry(const struct shot *s, json_t *checks)
{
	long long after = (s->retry_us - s->sent_us) / 1000;

	check(checks, "chaos.retried", "pass", "retried after %lld ms, as a retryable error should be", after);
	if (s->asked_ms < 0)
		check(checks, "chaos.waited", "skip", "the response asked for no wait");
	else if (after + WAIT_GRACE_MS >= s->asked_ms)
		check(checks, "chaos.waited", "pass", "waited %lld ms; the response asked for %lld", after, s->asked_ms);
	else
		check(checks, "chaos.waited", "fail", "retried after %lld ms; the response asked for %lld", after,
		      s->asked_ms);
	if (!s->key)
		check(checks, "chaos.same-key", "skip", "the request sent no Idempotency-Key");
	else
		check(checks, "chaos.same-key", s->same_key ? "pass" : "fail", "%s",
		      s->same_key ? "the retry sent the same Idempotency-Key" : "the retry sent another Idempotency-Key");
	check(checks, "chaos.same-body", s->same_body ? "pass" : "fail", "%s",
	      s->same_body ? "the retry sent the same body" : "the retry sent another body");
}

/* "pass", "fail", "waiting" or "skip" for one shot; its checks appended. */
static const char *judge(const struct shot *s, int64_t now_us, json_t *checks)
{
	int64_t patience = (s->asked_ms > 0 ? s->asked_ms * 1000 : 0) + RETRY_PATIENCE_US;
	size_t i;

	if (s->retryable < 0 && !s->retried) {
		check(checks, "chaos.retried", "skip", "a %s without an Idempotency-Key may or may not be retried "
		      "after %s", s->method, s->fault);
		return "skip";
	}
	if (s->retryable && !s->retried && now_us - s->sent_us < patience)
		return "waiting";
	if (s->retryable && !s->retried)
		check(checks, "chaos.retried", "fail", "not retried within %lld s, and its contract says it is retryable",
		      (long long)(patience / 1000000));
	else if (!s->retryable && s->retried)
		check(checks, "chaos.retried", "fail", "retried after %lld ms, and its contract says it is not retryable",
		      (long long)((s->retry_us - s->sent_us) / 1000));
	else if (!s->retryable)
		check(checks, "chaos.retried", "pass", "not retried, as its contract says");
	else
		judge_retry(s, checks);
	for (i = 0; i < json_array_size(checks); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(checks, i), "outcome")), "fail"))
			return "fail";
	return "pass";
}

json_t *chaos_report(struct chaos *ch, int64_t now_us)
{
	json_t *shots = json_array(), *out;
	size_t i, passed = 0, failed = 0, waiting = 0;

	pthread_mutex_lock(&ch->lock);
	for (i = 0; i < ch->nr; i++) {
		const struct shot *s = &ch->v[i];
		json_t *checks = json_array();
		const char *o = judge(s, now_us, checks);

		passed += !strcmp(o, "pass");
		failed += !strcmp(o, "fail");
		waiting += !strcmp(o, "waiting");
		json_array_append_new(shots, json_pack("{sI ss ss ss si ss ss so}", "n", (json_int_t)i + 1,
						       "method", s->method, "path", s->target,
						       "code", s->fault ? s->fault : s->code, "status", s->status,
						       "retryable", s->retryable > 0 ? "yes" : s->retryable ? "unknown" : "no",
						       "outcome", o, "checks", checks));
	}
	out = json_pack("{sI sI sI sI sI sI so}", "injected", (json_int_t)(ch->nr + ch->dropped),
			"judged", (json_int_t)(passed + failed), "passed", (json_int_t)passed,
			"failed", (json_int_t)failed, "waiting", (json_int_t)waiting,
			"not_kept", (json_int_t)ch->dropped, "shots", shots);
	pthread_mutex_unlock(&ch->lock);
	return out;
}
