/*
 * Scenario definitions, their step counter, and the registry.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fnmatch.h>
#include <strings.h>

#include "scenario.h"
#include "stream.h"
#include "../model/envelope.h"

static const char *const fault_names[] = {
	"", "CONNECTION_RESET_BY_PEER", "EMPTY_RESPONSE", "MALFORMED_RESPONSE_CHUNK",
	"RANDOM_DATA_THEN_CLOSE", "TRUNCATED_BODY", "HANG", "DRIBBLE", "GATEWAY_HTML",
	"WRONG_CONTENT_TYPE",
};

const char *fault_name(enum fault f)
{
	return (size_t)f < sizeof(fault_names) / sizeof(fault_names[0]) ? fault_names[f] : "";
}

static const struct jkey scenario_keys[] = {
	{ "id", JOPTIONAL }, { "contract", JREQUIRED }, { "match", JOPTIONAL },
	{ "steps", JREQUIRED }, { "cycle", JOPTIONAL }, { "seed", JOPTIONAL },
	{ "require_idempotency_key", JOPTIONAL }, { NULL, 0 }
};
static const struct jkey match_keys[] = {
	{ "method", JOPTIONAL }, { "path", JOPTIONAL }, { NULL, 0 }
};
static const struct jkey step_keys[] = {
	{ "error", JOPTIONAL }, { "status", JOPTIONAL }, { "body", JOPTIONAL },
	{ "headers", JOPTIONAL }, { "repeat", JOPTIONAL }, { "retry_after", JOPTIONAL },
	{ "reset_after", JOPTIONAL },
	{ "delay_ms", JOPTIONAL }, { "delay", JOPTIONAL }, { "fault", JOPTIONAL },
	{ "duration_ms", JOPTIONAL }, { "upstream", JOPTIONAL }, { "stream", JOPTIONAL }, { NULL, 0 }
};

#define DELAY_MAX_MS 600000LL
/* Retry-After bounds: delay-seconds up to 12 digits (far past any client's
 * cap, still a valid header); a date within 100 years either way of now,
 * so that it formats as an IMF-fixdate with a four-digit year. */
#define RA_SECONDS_MAX 999999999999LL
#define RA_DATE_MAX 3155760000LL

static int parse_retry_after(struct jload *ld, json_t *v, struct step *st)
{
	jpath_key(&ld->path, "retry_after");
	if (json_is_null(v)) {
		st->ra_mode = RA_NONE;
	} else if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return jload_fail(ld, 0, "retry_after seconds must not be negative (send \"-1\" as a string to test that)");
		if (json_integer_value(v) > RA_SECONDS_MAX)
			return jload_fail(ld, 0, "retry_after seconds must be at most %lld (send a string to test more digits)",
					  RA_SECONDS_MAX);
		st->ra_mode = RA_SECONDS;
		st->ra_seconds = json_integer_value(v);
	} else if (json_is_string(v)) {
		st->ra_mode = RA_VERBATIM;
		st->ra_text = json_string_value(v);
		if (strpbrk(st->ra_text, "\r\n"))
			return jload_fail(ld, 0, "retry_after must not contain a line break");
	} else if (json_is_object(v)) {
		json_t *d = json_object_get(v, "date");

		if (json_object_size(v) != 1 || !json_is_integer(d))
			return jload_fail(ld, 0, "retry_after must be seconds, {\"date\": seconds from now} or a string");
		if (json_integer_value(d) < -RA_DATE_MAX || json_integer_value(d) > RA_DATE_MAX) {
			jpath_key(&ld->path, "date");
			return jload_fail(ld, 0, "a retry_after date must be within %lld seconds (100 years) of now",
					  RA_DATE_MAX);
		}
		st->ra_mode = RA_DATE;
		st->ra_seconds = json_integer_value(d);
	} else {
		return jload_fail(ld, 0, "retry_after must be seconds, {\"date\": seconds from now}, a string or null");
	}
	jpath_pop(&ld->path);
	return 0;
}

static int parse_delay(struct jload *ld, json_t *obj, struct step *st)
{
	json_t *d = json_object_get(obj, "delay"), *u, *l;
	long long ms;

	if (jload_int(ld, obj, "delay_ms", 0, DELAY_MAX_MS, -1, &ms))
		return -1;
	if (ms >= 0) {
		if (d) {
			jpath_key(&ld->path, "delay");
			return jload_fail(ld, 1, "give delay_ms or delay, not both");
		}
		st->delay = DELAY_FIXED;
		st->delay_a = (double)ms;
		return 0;
	}
	if (!d)
		return 0;
	jpath_key(&ld->path, "delay");
	u = json_object_get(d, "uniform");
	l = json_object_get(d, "lognormal");
	if (json_is_object(d) && json_object_size(d) == 1 && json_is_array(u) && json_array_size(u) == 2 &&
	    json_is_number(json_array_get(u, 0)) && json_is_number(json_array_get(u, 1))) {
		st->delay = DELAY_UNIFORM;
		st->delay_a = json_number_value(json_array_get(u, 0));
		st->delay_b = json_number_value(json_array_get(u, 1));
		if (st->delay_a < 0 || st->delay_b < st->delay_a || st->delay_b > DELAY_MAX_MS)
			return jload_fail(ld, 0, "uniform needs 0 <= lo <= hi <= %lld ms", DELAY_MAX_MS);
	} else if (json_is_object(d) && json_object_size(d) == 1 && json_is_object(l) &&
		   json_is_number(json_object_get(l, "median")) &&
		   json_is_number(json_object_get(l, "sigma")) && json_object_size(l) == 2) {
		st->delay = DELAY_LOGNORMAL;
		st->delay_a = json_number_value(json_object_get(l, "median"));
		st->delay_b = json_number_value(json_object_get(l, "sigma"));
		if (st->delay_a <= 0 || st->delay_a > DELAY_MAX_MS || st->delay_b < 0 || st->delay_b > 10)
			return jload_fail(ld, 0, "lognormal needs 0 < median <= %lld ms and 0 <= sigma <= 10", DELAY_MAX_MS);
	} else {
		return jload_fail(ld, 0, "delay must be {\"uniform\": [lo, hi]} or {\"lognormal\": {\"median\": m, \"sigma\": s}}");
	}
	jpath_pop(&ld->path);
	return 0;
}

static const char gateway_page[] =
	"<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n"
	"<center><h1>%d %s</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n";

/* A step's headers: token names, one-line string values, a bounded number. */
static int parse_step_headers(struct jload *ld, json_t *v, struct step *st)
{
	const char *key;
	json_t *hv;

	jpath_key(&ld->path, "headers");
	if (!json_is_object(v))
		return jload_fail(ld, 0, "headers must be an object of name: value");
	if (json_object_size(v) > STEP_MAX_HEADERS)
		return jload_fail(ld, 0, "a step may set at most %d headers (%zu given)", STEP_MAX_HEADERS,
				  json_object_size(v));
	json_object_foreach(v, key, hv) {
		jpath_key(&ld->path, key);
		if (!*key || strpbrk(key, " :\r\n\t") || !json_is_string(hv) ||
		    strpbrk(json_string_value(hv), "\r\n"))
			return jload_fail(ld, 1, "header '%s' needs a token name and a one-line string value", key);
		jpath_pop(&ld->path);
	}
	jpath_pop(&ld->path);
	st->headers = json_incref(v);
	return 0;
}

/* "upstream": true, and none of what the mock would send instead. */
static int parse_upstream(struct jload *ld, json_t *obj, json_t *v, struct step *st)
{
	size_t i;
	static const char *const only_mock[] = { "error", "status", "body", "headers", "retry_after",
						 "reset_after", "fault", "duration_ms", NULL };

	jpath_key(&ld->path, "upstream");
	if (!json_is_true(v))
		return jload_fail(ld, 0, "upstream is true (the request goes to the real API) or absent");
	jpath_pop(&ld->path);
	for (i = 0; only_mock[i]; i++)
		if (json_object_get(obj, only_mock[i])) {
			jpath_key(&ld->path, only_mock[i]);
			return jload_fail(ld, 0, "an upstream step passes the request to the real API; "
					  "'%s' says what the mock sends instead (keep repeat and delay)", only_mock[i]);
		}
	st->upstream = 1;
	return 0;
}

/* "stream": {...}, and none of what a single response would say. */
static int parse_stream_step(struct jload *ld, json_t *obj, json_t *v, const struct contract *c, struct step *st)
{
	static const char *const single[] = { "error", "status", "body", "fault", "duration_ms", "upstream", NULL };
	size_t i;

	for (i = 0; single[i]; i++)
		if (json_object_get(obj, single[i])) {
			jpath_key(&ld->path, single[i]);
			return jload_fail(ld, 0, "a stream step answers 200 with events; '%s' belongs to a single "
					  "response (a streamed error is \"stream\": {\"then\": \"error\", \"error\": CODE})",
					  single[i]);
		}
	return stream_plan_parse(ld, v, c, &st->stream);
}

static int parse_step(struct jload *ld, json_t *obj, const struct contract *c, struct step *st)
{
	const char *error, *fault;
	json_t *v;
	long long n;
	size_t i;

	if (!json_is_object(obj))
		return jload_fail(ld, 0, "each step must be an object");
	if (jload_keys(ld, obj, "a step", step_keys))
		return -1;
	if ((v = json_object_get(obj, "upstream")) && parse_upstream(ld, obj, v, st))
		return -1;
	if ((v = json_object_get(obj, "stream")) && parse_stream_step(ld, obj, v, c, st))
		return -1;
	error = jload_string(ld, obj, "error", 0);
	fault = jload_string(ld, obj, "fault", 0);
	if (ld->failed)
		return -1;
	if (error && !(st->code = contract_find(c, error))) {
		jpath_key(&ld->path, "error");
		return jload_fail(ld, 0, "'%s' is not a code of %s", error, c->id);
	}
	if (fault) {
		for (i = 1; i < sizeof(fault_names) / sizeof(fault_names[0]); i++)
			if (!strcmp(fault, fault_names[i]))
				st->fault = (enum fault)i;
		if (!st->fault) {
			jpath_key(&ld->path, "fault");
			return jload_fail(ld, 0, "unknown fault '%s' (CONNECTION_RESET_BY_PEER, EMPTY_RESPONSE, "
					  "MALFORMED_RESPONSE_CHUNK, RANDOM_DATA_THEN_CLOSE, TRUNCATED_BODY, HANG, "
					  "DRIBBLE, GATEWAY_HTML, WRONG_CONTENT_TYPE)", fault);
		}
	}
	if (jload_int(ld, obj, "status", 100, 599,
		      st->code ? st->code->status : st->fault == FAULT_GATEWAY_HTML ? 502 : 200, &n))
		return -1;
	st->status = (int)n;
	if (jload_int(ld, obj, "repeat", 1, 1000000000, 1, &st->repeat))
		return -1;
	if (jload_int(ld, obj, "duration_ms", 1, DELAY_MAX_MS,
		      st->fault == FAULT_HANG ? 30000 : 2000, &st->fault_ms))
		return -1;
	if ((v = json_object_get(obj, "retry_after")) && parse_retry_after(ld, v, st))
		return -1;
	if (jload_int(ld, obj, "reset_after", 0, 86400, -1, &st->reset_after))
		return -1;
	if (parse_delay(ld, obj, st))
		return -1;
	if ((v = json_object_get(obj, "headers")) && parse_step_headers(ld, v, st))
		return -1;
	v = json_object_get(obj, "body");
	if (v)
		st->body = json_is_string(v) ? strdup(json_string_value(v)) :
			   json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	else if (st->fault == FAULT_GATEWAY_HTML) {
		const char *reason = st->status == 503 ? "Service Temporarily Unavailable" :
				     st->status == 504 ? "Gateway Time-out" : "Bad Gateway";
		size_t len = sizeof(gateway_page) + 64;

		if ((st->body = malloc(len)))
			snprintf(st->body, len, gateway_page, st->status, reason, st->status, reason);
	} else if (st->code)
		st->body = envelope_render_text(c, st->code, NULL, st->code->status);
	else
		st->body = envelope_success_text(c);
	if (!st->body)
		return jload_fail(ld, 0, "out of memory");
	st->body_len = strlen(st->body);
	return 0;
}

struct scenario *scenario_parse(struct jload *ld, json_t *def, struct contract *const *contracts,
				size_t nr_contracts)
{
	struct scenario *s;
	const char *id, *cid, *method = NULL, *path = NULL;
	json_t *steps, *m, *v;
	long long seed;
	size_t i;

	if (!json_is_object(def)) {
		jload_fail(ld, 0, "a scenario must be a JSON object");
		return NULL;
	}
	if (jload_keys(ld, def, "a scenario", scenario_keys))
		return NULL;
	id = jload_string(ld, def, "id", 0);
	cid = jload_string(ld, def, "contract", 0);
	if (ld->failed)
		return NULL;
	if (id && (strlen(id) >= sizeof(s->id) || strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(id))) {
		jpath_key(&ld->path, "id");
		jload_fail(ld, 0, "id '%s' may hold only letters, digits, '.', '_' and '-' (at most 63)", id);
		return NULL;
	}
	if ((m = json_object_get(def, "match"))) {
		if (!jload_enter(ld, def, "match", match_keys))
			return NULL;
		method = jload_string(ld, m, "method", 0);
		path = jload_string(ld, m, "path", 0);
		if (ld->failed)
			return NULL;
		jpath_pop(&ld->path);
	}
	for (i = 0; i < nr_contracts; i++)
		if (!strcmp(contracts[i]->id, cid))
			break;
	if (i == nr_contracts) {
		jpath_key(&ld->path, "contract");
		jload_fail(ld, 0, "'%s' is not a mounted contract", cid);
		return NULL;
	}
	if (jload_int(ld, def, "seed", 0, 0x7fffffffffffffffLL, 1, &seed))
		return NULL;
	steps = json_object_get(def, "steps");
	jpath_key(&ld->path, "steps");
	if (!json_is_array(steps) || !json_array_size(steps) || json_array_size(steps) > 1000) {
		jload_fail(ld, 0, "steps must be an array of 1 to 1000 steps");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->steps = calloc(json_array_size(steps), sizeof(*s->steps))) ||
	    !(s->per_step = calloc(json_array_size(steps), sizeof(*s->per_step)))) {
		if (s)
			free(s->steps);
		free(s);
		jload_fail(ld, 0, "out of memory");
		return NULL;
	}
	atomic_init(&s->refs, 1);
	s->contract = contracts[i];
	s->def = json_incref(def);
	s->seed = (uint64_t)seed;
	if (id)
		snprintf(s->id, sizeof(s->id), "%s", id);
	s->has_match = m != NULL;
	s->method = method ? strdup(method) : NULL;
	s->path = path ? strdup(path) : NULL;
	json_array_foreach(steps, i, v) {
		jpath_index(&ld->path, i);
		s->nr_steps++;
		if (parse_step(ld, v, s->contract, &s->steps[i])) {
			scenario_unref(s);
			return NULL;
		}
		s->total += s->steps[i].repeat;
		s->bytes += sizeof(struct step) + sizeof(atomic_llong) + s->steps[i].body_len + 1 +
			    (s->steps[i].stream ? s->steps[i].stream->len + sizeof(*s->steps[i].stream) : 0);
		jpath_pop(&ld->path);
	}
	jpath_pop(&ld->path);
	s->cycle = jload_bool(ld, def, "cycle", 0);
	s->require_idempotency_key = jload_bool(ld, def, "require_idempotency_key", 0);
	if (ld->failed) {
		scenario_unref(s);
		return NULL;
	}
	{
		/* the definition is kept too (headers, verbatim values point into it) */
		char *text = json_dumps(def, JSON_COMPACT);

		s->bytes += sizeof(*s) + (text ? strlen(text) : 0);
		free(text);
	}
	return s;
}

const struct step *scenario_step_at(const struct scenario *s, long long k, size_t *index)
{
	size_t i;

	if (k >= s->total)
		k = s->cycle ? k % s->total : s->total - 1;
	for (i = 0; i < s->nr_steps - 1 && k >= s->steps[i].repeat; i++)
		k -= s->steps[i].repeat;
	*index = i;
	return &s->steps[i];
}

const struct step *scenario_next(struct scenario *s, size_t *index, long long *n)
{
	long long k = atomic_fetch_add(&s->served, 1);
	const struct step *st = scenario_step_at(s, k, index);

	*n = k;
	atomic_fetch_add(&s->per_step[*index], 1);
	return st;
}

void scenario_account(struct scenario *s, long long n)
{
	long long full = s->cycle ? n / s->total : 0, rest = s->cycle ? n % s->total : n, at = 0;
	size_t i;

	atomic_store(&s->served, n);
	for (i = 0; i < s->nr_steps; i++) {
		long long rep = s->steps[i].repeat, here = rest - at;

		if (here < 0)
			here = 0;
		if (here > rep && (s->cycle || i + 1 < s->nr_steps))
			here = rep; /* without cycle the last step serves what is left */
		atomic_store(&s->per_step[i], full * rep + here);
		at += rep;
	}
}

/* splitmix64: a reproducible stream from the seed and the request number. */
static double uniform01(uint64_t seed, uint64_t n)
{
	uint64_t z = seed + (n + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

long long scenario_delay_ms(const struct scenario *s, const struct step *st, long long n)
{
	double ms = 0, u, v;

	switch (st->delay) {
	case DELAY_NONE: return 0;
	case DELAY_FIXED: return (long long)st->delay_a;
	case DELAY_UNIFORM:
		ms = st->delay_a + (st->delay_b - st->delay_a) * uniform01(s->seed, (uint64_t)n);
		break;
	case DELAY_LOGNORMAL:
		u = uniform01(s->seed, 2 * (uint64_t)n);
		v = uniform01(s->seed, 2 * (uint64_t)n + 1);
		if (u < 1e-12)
			u = 1e-12;
		ms = st->delay_a * exp(st->delay_b * sqrt(-2 * log(u)) * cos(2 * M_PI * v));
		break;
	}
	return ms > DELAY_MAX_MS ? DELAY_MAX_MS : (long long)(ms + 0.5);
}

int scenario_has_upstream(const struct scenario *s)
{
	size_t i;

	for (i = 0; i < s->nr_steps; i++)
		if (s->steps[i].upstream)
			return 1;
	return 0;
}

void scenario_ref(struct scenario *s)
{
	atomic_fetch_add(&s->refs, 1);
}

void scenario_unref(struct scenario *s)
{
	size_t i;

	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	for (i = 0; i < s->nr_steps; i++) {
		free(s->steps[i].body);
		json_decref(s->steps[i].headers);
		stream_plan_free(s->steps[i].stream);
	}
	free(s->steps);
	free((void *)s->per_step);
	free(s->method);
	free(s->path);
	json_decref(s->def);
	suite_scenario_free(s->spec);
	json_decref(atomic_load(&s->end));
	free(s);
}

json_t *scenario_json(struct scenario *s)
{
	json_t *per = json_array(), *o;
	size_t i;

	for (i = 0; i < s->nr_steps; i++)
		json_array_append_new(per, json_integer(atomic_load(&s->per_step[i])));
	o = json_deep_copy(s->def);
	json_object_set_new(o, "id", json_string(s->id));
	json_object_set_new(o, "served", json_integer(atomic_load(&s->served)));
	json_object_set_new(o, "served_per_step", per);
	return o;
}

int scenarios_init(struct scenarios *r)
{
	memset(r, 0, sizeof(*r));
	r->next_id = 1;
	return pthread_mutex_init(&r->lock, NULL) ? -1 : 0;
}

void scenarios_release(struct scenarios *r)
{
	scenarios_clear(r);
	free(r->v);
	pthread_mutex_destroy(&r->lock);
}

enum scenarios_refusal scenarios_add(struct scenarios *r, struct scenario *s, char *why, size_t size)
{
	size_t i;
	enum scenarios_refusal rc = SCENARIOS_FULL;

	pthread_mutex_lock(&r->lock);
	if (r->nr >= SCENARIOS_MAX) {
		snprintf(why, size, "the registry is full: there are already %d scenarios; delete some or POST /__errata/reset",
			 SCENARIOS_MAX);
		goto out;
	}
	if (s->bytes > SCENARIOS_BYTES_MAX - r->bytes) {
		snprintf(why, size, "the registry is full: its scenarios hold %zu bytes and this one %zu, over %u; "
			 "delete some or POST /__errata/reset", r->bytes, s->bytes, SCENARIOS_BYTES_MAX);
		goto out;
	}
	if (!s->id[0])
		snprintf(s->id, sizeof(s->id), "sc-%llu", r->next_id++);
	for (i = 0; i < r->nr; i++)
		if (!strcmp(r->v[i]->id, s->id)) {
			snprintf(why, size, "a scenario with the id '%s' exists", s->id);
			rc = SCENARIOS_EXISTS;
			goto out;
		}
	if (r->nr == r->alloc) {
		size_t alloc = r->alloc ? 2 * r->alloc : 16;
		struct scenario **v = realloc(r->v, alloc * sizeof(*v));

		if (!v) {
			snprintf(why, size, "out of memory");
			goto out;
		}
		r->v = v;
		r->alloc = alloc;
	}
	r->v[r->nr++] = s;
	r->bytes += s->bytes;
	rc = SCENARIOS_ADDED;
out:
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int scenarios_charge(struct scenarios *r, struct scenario *s, size_t n, char *why, size_t size)
{
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&r->lock);
	for (i = 0; i < r->nr && r->v[i] != s; i++)
		;
	if (i < r->nr) { /* not in the registry any more: freed with it */
		if (n > SCENARIOS_BYTES_MAX - r->bytes) {
			snprintf(why, size, "the registry is full: its scenarios and outcomes hold %zu bytes and this "
				 "outcome %zu, over %u; delete some scenarios or POST /__errata/reset",
				 r->bytes, n, SCENARIOS_BYTES_MAX);
			rc = -1;
		} else {
			r->bytes += n;
			s->bytes += n;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

struct scenario *scenarios_get(struct scenarios *r, const char *id)
{
	struct scenario *s = NULL;
	size_t i;

	pthread_mutex_lock(&r->lock);
	for (i = 0; i < r->nr; i++)
		if (!strcmp(r->v[i]->id, id)) {
			s = r->v[i];
			scenario_ref(s);
			break;
		}
	pthread_mutex_unlock(&r->lock);
	return s;
}

/* "/bucket/" matches as "/bucket": a trailing slash names the same
 * resource (an S3 SDK's CreateBucket path, a registry's /v2/). */
static int slash_match(const char *glob, const char *path)
{
	char buf[1024];
	size_t n = strlen(path);

	if (n < 2 || path[n - 1] != '/' || n > sizeof(buf))
		return 0;
	memcpy(buf, path, n - 1);
	buf[n - 1] = '\0';
	return !fnmatch(glob, buf, 0);
}

struct scenario *scenarios_match(struct scenarios *r, const struct contract *contract,
				 const char *method, const char *path)
{
	struct scenario *s = NULL;
	size_t i;

	pthread_mutex_lock(&r->lock);
	for (i = 0; i < r->nr; i++) {
		struct scenario *c = r->v[i];

		if (!c->has_match || c->contract != contract ||
		    (c->method && strcasecmp(c->method, method)) ||
		    (c->path && fnmatch(c->path, path, 0) && !slash_match(c->path, path)))
			continue;
		s = c;
		scenario_ref(s);
		break;
	}
	pthread_mutex_unlock(&r->lock);
	return s;
}

int scenarios_remove(struct scenarios *r, const char *id)
{
	struct scenario *s = NULL;
	size_t i;

	pthread_mutex_lock(&r->lock);
	for (i = 0; i < r->nr; i++)
		if (!strcmp(r->v[i]->id, id)) {
			s = r->v[i];
			memmove(&r->v[i], &r->v[i + 1], (r->nr - i - 1) * sizeof(*r->v));
			r->nr--;
			r->bytes -= s->bytes;
			break;
		}
	pthread_mutex_unlock(&r->lock);
	scenario_unref(s);
	return s ? 0 : -1;
}

size_t scenarios_clear(struct scenarios *r)
{
	struct scenario **v;
	size_t n, i;

	pthread_mutex_lock(&r->lock);
	v = r->v;
	n = r->nr;
	r->v = NULL;
	r->nr = r->alloc = 0;
	r->bytes = 0;
	pthread_mutex_unlock(&r->lock);
	for (i = 0; i < n; i++)
		scenario_unref(v[i]);
	free(v);
	return n;
}

void scenarios_swap(struct scenarios *r, struct scenarios *fresh)
{
	struct scenario **v;
	size_t nr, alloc, bytes;

	pthread_mutex_lock(&r->lock);
	v = r->v, nr = r->nr, alloc = r->alloc, bytes = r->bytes;
	r->v = fresh->v, r->nr = fresh->nr, r->alloc = fresh->alloc, r->bytes = fresh->bytes;
	pthread_mutex_unlock(&r->lock);
	fresh->v = v, fresh->nr = nr, fresh->alloc = alloc, fresh->bytes = bytes;
}

size_t scenarios_snapshot(struct scenarios *r, struct scenario ***out)
{
	size_t i, n;

	pthread_mutex_lock(&r->lock);
	n = r->nr;
	*out = n ? malloc(n * sizeof(**out)) : NULL;
	if (!*out)
		n = 0;
	for (i = 0; i < n; i++) {
		(*out)[i] = r->v[i];
		scenario_ref(r->v[i]);
	}
	pthread_mutex_unlock(&r->lock);
	return n;
}

json_t *scenarios_json(struct scenarios *r)
{
	json_t *a = json_array();
	size_t i;

	pthread_mutex_lock(&r->lock);
	for (i = 0; i < r->nr; i++)
		json_array_append_new(a, scenario_json(r->v[i]));
	pthread_mutex_unlock(&r->lock);
	return a;
}
