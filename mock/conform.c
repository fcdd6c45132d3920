/*
 * Passive conformance (conform.h): the same checks as errata check, on
 * the real API's error responses as they pass through the proxy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conform.h"

#define EXAMPLE_BODY_MAX 2048
#define MESSAGE_MAX 600

struct conform_group {
	char *method, *route, *code;
	int status;
	unsigned long long count;
	unsigned long long *n;     /* per check: pass, fail, warn, skip */
	char **message;            /* per check: the first failure or warning, redacted */
	json_t *example;           /* the first response that broke a check, else the first */
	int example_bad;
};

int conformance_init(struct conformance *cf)
{
	memset(cf, 0, sizeof(*cf));
	while (check_ids[cf->nr_checks])
		cf->nr_checks++;
	return pthread_mutex_init(&cf->lock, NULL) ? -1 : 0;
}

static void group_free(struct conformance *cf, struct conform_group *g)
{
	size_t i;

	if (!g)
		return;
	for (i = 0; g->message && i < cf->nr_checks; i++)
		free(g->message[i]);
	free(g->message);
	free(g->n);
	free(g->method);
	free(g->route);
	free(g->code);
	json_decref(g->example);
	free(g);
}

void conformance_release(struct conformance *cf)
{
	size_t i;

	for (i = 0; i < cf->nr; i++)
		group_free(cf, cf->g[i]);
	free(cf->g);
	pthread_mutex_destroy(&cf->lock);
	memset(cf, 0, sizeof(*cf));
}

/* s with every known secret redacted, as valid UTF-8 of at most max bytes. */
static char *scrub(const struct redactor *const *red, size_t nr_red, const char *s, size_t len, size_t max)
{
	char *t = NULL, *u;
	size_t i, n = len;

	for (i = 0; i < nr_red; i++) {
		if (!red[i])
			continue;
		u = redactor_apply_n(red[i], t ? t : s, t ? n : len, &n);
		free(t);
		if (!(t = u))
			return NULL;
	}
	u = redact_evidence(NULL, t ? t : s, t ? n : len, max);
	free(t);
	return u;
}

static json_t *example_json(const struct response *r, const struct redactor *const *red, size_t nr_red)
{
	json_t *h = json_array(), *ex;
	char *body = scrub(red, nr_red, r->body ? r->body : "", r->body_len, EXAMPLE_BODY_MAX);
	size_t i;

	for (i = 0; i < r->nr_headers && i < 64; i++) {
		char *v = redact_is_secret_name(r->headers[i].name) ? strdup(REDACTED) :
			  scrub(red, nr_red, r->headers[i].value, strlen(r->headers[i].value), 512);
		char *name = scrub(NULL, 0, r->headers[i].name, strlen(r->headers[i].name), 128);

		json_array_append_new(h, json_pack("[s?s?]", name, v));
		free(v);
		free(name);
	}
	ex = json_pack("{si so ss?}", "status", r->status, "headers", h, "body", body);
	free(body);
	return ex;
}

static struct conform_group *group_get(struct conformance *cf, const char *method, const char *route,
				       int status, const char *code)
{
	struct conform_group *g;
	size_t i;

	if (cf->nr >= CONFORM_MAX_GROUPS) { /* bounded: the rest by status alone */
		method = "*";
		route = "(other operations)";
		code = "";
	}
	for (i = 0; i < cf->nr; i++) {
		g = cf->g[i];
		if (g->status == status && !strcmp(g->method, method) && !strcmp(g->route, route) &&
		    !strcmp(g->code, code))
			return g;
	}
	if (cf->nr == cf->alloc) {
		size_t na = cf->alloc ? 2 * cf->alloc : 16;
		struct conform_group **v = realloc(cf->g, na * sizeof(*v));

		if (!v)
			return NULL;
		cf->g = v;
		cf->alloc = na;
	}
	if (!(g = calloc(1, sizeof(*g))))
		return NULL;
	g->status = status;
	if (!(g->method = strdup(method)) || !(g->route = strdup(route)) || !(g->code = strdup(code)) ||
	    !(g->n = calloc(cf->nr_checks * 4, sizeof(*g->n))) ||
	    !(g->message = calloc(cf->nr_checks, sizeof(*g->message)))) {
		group_free(cf, g);
		return NULL;
	}
	cf->g[cf->nr++] = g;
	return g;
}

static void add_summary(char *summary, size_t size, const char *id)
{
	size_t n = strlen(summary);

	snprintf(summary + n, size - n, "%s%s", n ? ", " : "", id);
}

/* One judged response's verdicts, counted into its group. */
struct observing {
	struct conformance *cf;
	struct conform_group *g;
	const struct redactor *const *red;
	size_t nr_red, i;
	char fails[400], warns[400];
};

static void count_verdict(void *ctx, const char *check, enum verdict vd, const char *text,
			  const struct violation *v)
{
	struct observing *o = ctx;
	size_t i = o->i++;

	(void)text;
	if (vd == VERDICT_FAIL)
		add_summary(o->fails, sizeof(o->fails), check);
	else if (vd == VERDICT_WARN)
		add_summary(o->warns, sizeof(o->warns), check);
	if (!o->g)
		return;
	o->g->n[4 * i + (vd == VERDICT_PASS ? 0 : vd == VERDICT_FAIL ? 1 : vd == VERDICT_WARN ? 2 : 3)]++;
	if ((vd == VERDICT_FAIL || vd == VERDICT_WARN) && v && !o->g->message[i])
		o->g->message[i] = scrub(o->red, o->nr_red, v->text, strlen(v->text), MESSAGE_MAX);
}

const struct contract_code *conformance_observe(struct conformance *cf, const struct contract *c, const char *method,
			 const char *route, const struct response *r,
			 const struct redactor *const *red, size_t nr_red, char *summary, size_t size)
{
	struct observing o = { cf, NULL, red, nr_red, 0, "", "" };
	struct match_result m;
	const struct contract_code *cc;
	char *code;

	match_result_init(&m);
	contract_match(c, r, time(NULL), &m);
	code = scrub(red, nr_red, m.code ? m.code->code : m.code_seen ? m.code_seen : "",
		     m.code ? strlen(m.code->code) : m.code_seen ? strlen(m.code_seen) : 0, 200);
	match_result_release(&m);
	pthread_mutex_lock(&cf->lock);
	cf->observed++;
	o.g = code ? group_get(cf, method, route, r->status, code) : NULL;
	if (o.g)
		o.g->count++;
	judge_response(c, r, time(NULL), &m, count_verdict, &o);
	if (o.fails[0])
		cf->violating++;
	if (o.g && (!o.g->example || (o.fails[0] && !o.g->example_bad))) {
		json_decref(o.g->example);
		o.g->example = example_json(r, red, nr_red);
		o.g->example_bad = o.fails[0] != '\0';
	}
	pthread_mutex_unlock(&cf->lock);
	if (o.fails[0])
		snprintf(summary, size, "fail: %s%s%s", o.fails, o.warns[0] ? "; warn: " : "", o.warns);
	else if (o.warns[0])
		snprintf(summary, size, "warn: %s", o.warns);
	else
		snprintf(summary, size, "pass");
	free(code);
	cc = m.code;
	match_result_release(&m);
	return cc;
}

void conformance_unjudged(struct conformance *cf)
{
	pthread_mutex_lock(&cf->lock);
	cf->unjudged++;
	pthread_mutex_unlock(&cf->lock);
}

void conformance_each(struct conformance *cf, void (*fn)(void *ctx, const struct conform_view *g), void *ctx)
{
	size_t i;

	pthread_mutex_lock(&cf->lock);
	for (i = 0; i < cf->nr; i++) {
		const struct conform_group *g = cf->g[i];
		struct conform_view v = { g->method, g->route, g->code, g->status, g->count, g->n, g->message,
					  g->example };

		fn(ctx, &v);
	}
	pthread_mutex_unlock(&cf->lock);
}

json_t *conformance_json(struct conformance *cf)
{
	json_t *groups = json_array(), *out;
	size_t i, k;

	pthread_mutex_lock(&cf->lock);
	for (i = 0; i < cf->nr; i++) {
		struct conform_group *g = cf->g[i];
		json_t *checks = json_array();

		for (k = 0; k < cf->nr_checks; k++)
			json_array_append_new(checks, json_pack("{ss sI sI sI sI ss?}", "id", check_ids[k],
				"pass", (json_int_t)g->n[4 * k], "fail", (json_int_t)g->n[4 * k + 1],
				"warn", (json_int_t)g->n[4 * k + 2], "skip", (json_int_t)g->n[4 * k + 3],
				"message", g->message[k]));
		json_array_append_new(groups, json_pack("{ss ss si ss sI so sO*}", "method", g->method,
			"route", g->route, "status", g->status, "code", g->code, "count", (json_int_t)g->count,
			"checks", checks, "example", g->example));
	}
	out = json_pack("{sI sI sI so}", "observed", (json_int_t)cf->observed,
			"violating", (json_int_t)cf->violating, "unjudged", (json_int_t)cf->unjudged,
			"groups", groups);
	pthread_mutex_unlock(&cf->lock);
	return out;
}
