/*
 * The client suite: what the mock serves in each scenario, on which
 * operation, and how long a correct client may take.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "suite.h"
#include "verdict.h"

static const char *const expect_names[] = { "retry", "no_retry", "backoff", "fault", "long_wait",
					     "stream_error", "stream_reset", "stream_stall" };

const char *suite_expect_name(enum suite_expect e)
{
	return (unsigned)e < sizeof(expect_names) / sizeof(expect_names[0]) ? expect_names[e] : "?";
}

int suite_expect_parse(const char *s)
{
	size_t i;

	for (i = 0; s && i < sizeof(expect_names) / sizeof(expect_names[0]); i++)
		if (!strcmp(s, expect_names[i]))
			return (int)i;
	return -1;
}

int suite_method_unsafe(const char *method)
{
	return method && (!strcmp(method, "POST") || !strcmp(method, "PATCH"));
}

void suite_init(struct suite *s)
{
	memset(s, 0, sizeof(*s));
}

static void scenario_clear(struct suite_scenario *sc)
{
	free(sc->name);
	free(sc->source);
	free(sc->method);
	free(sc->path);
	free(sc->body);
	json_decref(sc->steps);
}

void suite_release(struct suite *s)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		scenario_clear(&s->v[i]);
	free(s->v);
	suite_init(s);
}

void suite_scenario_free(struct suite_scenario *sc)
{
	if (sc) {
		scenario_clear(sc);
		free(sc);
	}
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

struct suite_scenario *suite_scenario_dup(const struct suite_scenario *sc)
{
	struct suite_scenario *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	*d = *sc;
	d->name = dup_or_null(sc->name);
	d->source = dup_or_null(sc->source);
	d->method = dup_or_null(sc->method);
	d->path = dup_or_null(sc->path);
	d->body = dup_or_null(sc->body);
	d->steps = json_deep_copy(sc->steps);
	if (!d->name || !d->source || !d->method || !d->path || (sc->body && !d->body) || !d->steps) {
		suite_scenario_free(d);
		return NULL;
	}
	return d;
}

/* A path template with each {param} filled in ("errata-1"), cut to fit. */
static void fill_template(const char *tmpl, char *out, size_t size)
{
	size_t n = 0;

	while (*tmpl && n + 1 < size) {
		const char *close = *tmpl == '{' ? strchr(tmpl, '}') : NULL;

		if (close && n + 9 < size) {
			memcpy(out + n, "errata-1", 8);
			n += 8;
			tmpl = close + 1;
		} else {
			out[n++] = *tmpl++;
		}
	}
	out[n] = '\0';
}

int suite_op_parse(const char *text, struct suite_op *op, char *why, size_t size)
{
	const char *sp = strchr(text, ' ');
	size_t i, mlen = sp ? (size_t)(sp - text) : 0;

	if (!sp || !mlen || mlen >= sizeof(op->method) || sp[1] != '/' || strlen(sp + 1) >= sizeof(op->path)) {
		snprintf(why, size, "'%.200s' is not an operation: say 'METHOD /path' (for example 'GET /v1/models')", text);
		return -1;
	}
	for (i = 0; i < mlen; i++)
		if (text[i] < 'A' || text[i] > 'Z') {
			snprintf(why, size, "'%.*s' is not an HTTP method in capitals", (int)mlen, text);
			return -1;
		}
	for (i = 1; sp[i]; i++)
		if ((unsigned char)sp[i] <= ' ' || sp[i] == 0x7f) {
			snprintf(why, size, "the path of '%.200s' holds a space or a control character", text);
			return -1;
		}
	memcpy(op->method, text, mlen);
	op->method[mlen] = '\0';
	fill_template(sp + 1, op->path, sizeof(op->path));
	return 0;
}

/* The operation of c's that documents cc (by code, then by status), the
 * first one for a fault, or NULL. */
static json_t *operation_for(const struct contract *c, const struct contract_code *cc)
{
	json_t *op, *v, *by_status = NULL;
	size_t i, j;

	if (!c->operations || !c->nr_operations)
		return NULL;
	if (!cc)
		return json_array_get(c->operations, 0);
	json_array_foreach(c->operations, i, op) {
		json_array_foreach(json_object_get(op, "codes"), j, v)
			if (json_is_string(v) && !strcmp(json_string_value(v), cc->code))
				return op;
		json_array_foreach(json_object_get(op, "statuses"), j, v)
			if (!by_status && json_integer_value(v) == cc->status)
				by_status = op;
	}
	return by_status ? by_status : json_array_get(c->operations, 0);
}

/* How long a correct client may take: its start, the waits it is told, and
 * for a backoff a schedule that gives up within a minute. */
static double timeout_for(enum suite_expect e, const json_t *steps)
{
	json_t *ra = json_object_get(json_array_get(steps, 0), "retry_after");
	double wait = json_is_integer(ra) ? (double)json_integer_value(ra) :
		      json_is_object(ra) ? (double)json_integer_value(json_object_get(ra, "date")) : 0;

	switch (e) {
	case EXPECT_BACKOFF: return 90;
	case EXPECT_LONG_WAIT: return 30;  /* stopped once watched long enough (verdict.h) */
	case EXPECT_STREAM_STALL: return SUITE_STALL_TIMEOUT_S;
	case EXPECT_RETRY: return 30 + 2 * wait;
	default: return 30;
	}
}

double suite_watch_s(const struct suite_scenario *sc)
{
	return sc->watch_s > 0 ? sc->watch_s : VERDICT_LONG_WAIT_WATCH_S;
}

int suite_long_watch(struct suite *s)
{
	size_t i, nr = s->nr;
	char name[480];

	for (i = 0; i < nr; i++) {
		struct suite_scenario *d, *v;

		if (s->v[i].expect != EXPECT_LONG_WAIT || s->v[i].watch_s > 0)
			continue;
		if (s->nr == s->alloc) {
			v = realloc(s->v, (s->alloc ? 2 * s->alloc : 32) * sizeof(*v));
			if (!v)
				return -1;
			s->v = v;
			s->alloc = s->alloc ? 2 * s->alloc : 32;
		}
		if (!(d = suite_scenario_dup(&s->v[i])))
			return -1;
		snprintf(name, sizeof(name), "long wait %s (Retry-After: %d, watched %.0f s)",
			 s->v[i].code ? s->v[i].code->code : "?", SUITE_LONG_WATCH_RA, SUITE_LONG_WATCH_S);
		free(d->name);
		d->name = strdup(name);
		json_object_set_new(json_array_get(d->steps, 0), "retry_after", json_integer(SUITE_LONG_WATCH_RA));
		d->watch_s = SUITE_LONG_WATCH_S;
		d->timeout_s = SUITE_LONG_WATCH_S + 30;
		s->v[s->nr++] = *d;
		free(d); /* its members now belong to the suite */
		if (!s->v[s->nr - 1].name)
			return -1;
	}
	return 0;
}

double suite_expected_s(const struct suite_scenario *sc)
{
	double s = sc->expect == EXPECT_LONG_WAIT ? suite_watch_s(sc) : 0;
	size_t i;
	json_t *step;

	json_array_foreach(sc->steps, i, step) {
		json_t *ra = json_object_get(step, "retry_after");
		json_t *delay = json_object_get(step, "delay_ms");

		if (json_is_object(ra)) { /* a date's whole seconds: up to one more */
			ra = json_object_get(ra, "date");
			s += 1;
		}
		if (json_is_integer(ra) && sc->expect != EXPECT_LONG_WAIT)
			s += (double)json_integer_value(ra);
		if (json_is_integer(delay))
			s += (double)json_integer_value(delay) / 1000;
	}
	if (sc->expect == EXPECT_BACKOFF || sc->expect == EXPECT_FAULT)
		s += 3; /* the client's own schedule: a few growing waits */
	if (sc->expect == EXPECT_STREAM_STALL)
		s += sc->timeout_s; /* a client that hangs takes all of it */
	return s;
}

int suite_expect_streams(enum suite_expect e)
{
	return e == EXPECT_STREAM_ERROR || e == EXPECT_STREAM_RESET || e == EXPECT_STREAM_STALL;
}

/* Does a step of these answer with a stream? */
static int steps_stream(const json_t *steps)
{
	size_t i;
	json_t *st;

	json_array_foreach(steps, i, st)
		if (json_object_get(st, "stream"))
			return 1;
	return 0;
}

struct gen {
	struct suite *s;
	const struct contract *c;
	const struct suite_op *op;   /* a chosen operation, or NULL */
	int suffix;                  /* name it in the scenario's name */
	int failed;
};

static struct suite_scenario *add(struct gen *g, enum suite_expect e, const struct contract_code *code,
				  json_t *steps, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static struct suite_scenario *add(struct gen *g, enum suite_expect e, const struct contract_code *code,
				  json_t *steps, const char *fmt, ...)
{
	struct suite *s = g->s;
	struct suite_scenario *sc;
	char name[400], path[512], why[300];
	const char *method = SUITE_PROBE_METHOD;
	int stream = suite_expect_streams(e) || steps_stream(steps);
	json_t *op = g->op || stream ? NULL : operation_for(g->c, code);
	struct suite_op sop;
	size_t n;
	va_list ap;

	if (s->nr == s->alloc) {
		size_t alloc = s->alloc ? 2 * s->alloc : 32;
		struct suite_scenario *v = realloc(s->v, alloc * sizeof(*v));

		if (v) {
			s->v = v;
			s->alloc = alloc;
		}
	}
	if (!steps || s->nr == s->alloc) {
		json_decref(steps);
		g->failed = 1;
		return NULL;
	}
	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s", SUITE_PROBE_PATH);
	if (g->op) {
		method = g->op->method;
		snprintf(path, sizeof(path), "%s", g->op->path);
	} else if (stream && g->c->stream.operations && /* the contract's first streaming operation */
		   !suite_op_parse(contract_stream_op(g->c, 0), &sop, why, sizeof(why))) {
		method = sop.method;
		snprintf(path, sizeof(path), "%s", sop.path);
	} else if (op) {
		method = json_string_value(json_object_get(op, "method"));
		fill_template(json_string_value(json_object_get(op, "path")), path, sizeof(path));
	}
	if (g->suffix && (n = strlen(name)) < sizeof(name))
		snprintf(name + n, sizeof(name) - n, " [%s %.160s]", method, path);
	sc = &s->v[s->nr];
	memset(sc, 0, sizeof(*sc));
	sc->name = strdup(name);
	sc->source = strdup("standard suite");
	sc->method = strdup(method);
	sc->path = strdup(path);
	sc->body = strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "DELETE") ?
		   strdup(stream ? SUITE_STREAM_BODY : SUITE_PROBE_BODY) : NULL;
	sc->stream = stream;
	sc->expect = e;
	sc->code = code;
	sc->steps = steps;
	sc->timeout_s = timeout_for(e, steps);
	s->nr++;
	if (!sc->name || !sc->source || !sc->method || !sc->path) {
		g->failed = 1;
		return NULL;
	}
	return sc;
}

/* The first retryable code with this role (-1: any), or NULL. */
static const struct contract_code *first_retryable(const struct contract *c, int role, int with_retry_after)
{
	size_t i;

	for (i = 0; i < c->nr_codes; i++)
		if (c->codes[i].retryable && (role < 0 || c->codes[i].role == role) &&
		    (!with_retry_after || c->codes[i].retry_after))
			return &c->codes[i];
	return NULL;
}

/*
 * Format 2's scenarios: a rate limit told only by a header family's reset
 * (a wait rule beyond Retry-After), a wait told only by retry-after-ms,
 * and a retryable error whose retry hint says false.
 */
static void vendor_scenarios(struct gen *g)
{
	const struct contract *c = g->c;
	const struct contract_code *rl = first_retryable(c, ROLE_RATE_LIMITED, 0), *any = first_retryable(c, -1, 0);
	size_t i;

	for (i = 0; rl && i < c->nr_wait; i++) {
		const struct wait_rule *w = &c->wait[i];

		if (!w->header || !strcasecmp(w->header, "Retry-After") ||
		    (w->form != WAIT_EPOCH && w->form != WAIT_RFC3339))
			continue;
		add(g, EXPECT_RETRY, rl, json_pack("[{ss sn si} {si}]", "error", rl->code, "retry_after",
						   "reset_after", SUITE_RETRY_AFTER_S, "status", 200),
		    "retry %s (%s)", rl->code, w->header);
		break;
	}
	if (c->retry_after_ms_header && any)
		add(g, EXPECT_RETRY, any, json_pack("[{ss sn s{ss}} {si}]", "error", any->code, "retry_after",
						    "headers", c->retry_after_ms_header, SUITE_RETRY_AFTER_MS_TEXT,
						    "status", 200),
		    "retry %s (%s)", any->code, c->retry_after_ms_header);
	if (c->retry_hint_header && any) {
		struct suite_scenario *h = add(g, EXPECT_NO_RETRY, any,
			json_pack("[{ss s{ss}} {si}]", "error", any->code, "headers", c->retry_hint_header,
				  "false", "status", 200),
			"no retry %s (%s: false)", any->code, c->retry_hint_header);

		if (h)
			h->hint = c->retry_hint_header;
	}
}

/*
 * The backoff scenario's code: the status clients most commonly retry
 * (503, then 500, 502, 504, 429, then any other), one without Retry-After
 * before one with (the client must pick its own delays), the first in
 * document order among equals.
 */
static int backoff_rank(const struct contract_code *cc)
{
	static const int common[] = { 429, 504, 502, 500, 503 };
	int rank = 0;
	size_t i;

	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (cc->status == common[i])
			rank = (int)i + 1;
	return rank * 2 + !cc->retry_after;
}

static void retry_scenarios(struct gen *g, const struct contract_code *cc)
{
	const struct contract *c = g->c;
	struct suite_scenario *sc, *d;

	sc = add(g, EXPECT_RETRY, cc, json_pack("[{ss si} {si}]", "error", cc->code, "retry_after",
						cc->retry_after ? SUITE_RETRY_AFTER_S : 0, "status", 200),
		 "retry %s", cc->code);
	if (!sc)
		return;
	if (!cc->retry_after) /* served as the contract says: no Retry-After */
		json_object_set_new(json_array_get(sc->steps, 0), "retry_after", json_null());
	if (c->nr_families) /* a vendor family's reset no later than the Retry-After */
		json_object_set_new(json_array_get(sc->steps, 0), "reset_after",
				    json_integer(cc->retry_after ? SUITE_RETRY_AFTER_S : 1));
	if (!cc->retry_after)
		return;
	d = add(g, EXPECT_RETRY, cc, json_pack("[{ss s{si}} {si}]", "error", cc->code, "retry_after", "date",
					       SUITE_RETRY_AFTER_DATE_S, "status", 200),
		"retry %s (HTTP-date)", cc->code);
	if (d)
		d->date_form = 1;
	if (d && c->nr_families)
		json_object_set_new(json_array_get(d->steps, 0), "reset_after", json_integer(SUITE_RETRY_AFTER_DATE_S));
}

/*
 * The stream family, for a contract that documents streams: each code
 * that arrives inside one, a reset mid-event and a stall, each after
 * SUITE_STREAM_EVENTS content events; a re-send gets a clean stream.
 */
static void stream_scenarios(struct gen *g)
{
	const struct contract *c = g->c;
	size_t i;

	if (!c->stream.operations)
		return;
	for (i = 0; c->stream.error_data && i < c->nr_codes; i++)
		if (c->codes[i].stream != STREAM_NO)
			add(g, EXPECT_STREAM_ERROR, &c->codes[i],
			    json_pack("[{s{ss ss si}} {s{ss}}]", "stream", "then", "error", "error", c->codes[i].code,
				      "events", SUITE_STREAM_EVENTS, "stream", "then", "end"),
			    "stream error %s", c->codes[i].code);
	add(g, EXPECT_STREAM_RESET, NULL,
	    json_pack("[{s{ss si}} {s{ss}}]", "stream", "then", "reset", "events", SUITE_STREAM_EVENTS,
		      "stream", "then", "end"), "stream reset mid-event");
	add(g, EXPECT_STREAM_STALL, NULL,
	    json_pack("[{s{ss si si}} {s{ss}}]", "stream", "then", "stall", "events", SUITE_STREAM_EVENTS - 1,
		      "stall_ms", SUITE_STALL_MS, "stream", "then", "end"), "stream stall");
}

static void standard_on(struct gen *g)
{
	static const char *const faults[] = {
		"CONNECTION_RESET_BY_PEER", "EMPTY_RESPONSE", "TRUNCATED_BODY", "GATEWAY_HTML"
	};
	const struct contract *c = g->c;
	const struct contract_code *backoff = NULL, *wait = first_retryable(c, ROLE_RATE_LIMITED, 1);
	size_t i;

	for (i = 0; i < c->nr_codes; i++) {
		const struct contract_code *cc = &c->codes[i];

		if (!cc->retryable || cc->stream == STREAM_ONLY) /* no status carries it */
			continue;
		retry_scenarios(g, cc);
		/* a rate limit whose family tells its reset leaves the client no
		 * delays of its own to choose: no backoff is judged on it */
		if ((cc->role == ROLE_RATE_LIMITED || cc->role == ROLE_CONCURRENCY_LIMITED) && c->nr_families && c->nr_wait)
			continue;
		if (!backoff || backoff_rank(cc) > backoff_rank(backoff))
			backoff = cc;
	}
	if (!wait)
		wait = first_retryable(c, -1, 1);
	if (wait)
		add(g, EXPECT_LONG_WAIT, wait, json_pack("[{ss si} {si}]", "error", wait->code, "retry_after",
							 SUITE_LONG_WAIT_S, "status", 200),
		    "long wait %s (Retry-After: %d)", wait->code, SUITE_LONG_WAIT_S);
	for (i = 0; i < c->nr_codes; i++)
		if (!c->codes[i].retryable && c->codes[i].stream != STREAM_ONLY)
			add(g, EXPECT_NO_RETRY, &c->codes[i],
			    json_pack("[{ss} {si}]", "error", c->codes[i].code, "status", 200),
			    "no retry %s", c->codes[i].code);
	vendor_scenarios(g);
	if (backoff)
		add(g, EXPECT_BACKOFF, backoff,
		    json_pack("[{ss sn si}]", "error", backoff->code, "retry_after", "repeat", 1000000),
		    "backoff %s without Retry-After", backoff->code);
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		add(g, EXPECT_FAULT, NULL, json_pack("[{ss si}]", "fault", faults[i], "repeat", 1000000),
		    "fault %s", faults[i]);
	stream_scenarios(g);
}

int suite_standard(struct suite *s, const struct contract *c, const struct suite_op *ops, size_t nr_ops)
{
	struct gen g = { s, c, NULL, nr_ops > 1, 0 };
	size_t i;

	if (!nr_ops)
		standard_on(&g);
	for (i = 0; i < nr_ops; i++) {
		g.op = &ops[i];
		standard_on(&g);
	}
	return g.failed ? -1 : 0;
}

static const struct jkey scenario_keys[] = {
	{ "name", JREQUIRED }, { "expect", JREQUIRED }, { "code", JOPTIONAL },
	{ "steps", JREQUIRED }, { "operation", JOPTIONAL }, { NULL, 0 }
};

int suite_load_json(struct suite *s, struct jload *ld, json_t *root, const struct contract *c,
		    const char *source)
{
	struct gen g = { s, c, NULL, 0, 0 };
	struct suite_op op;
	const char *name, *expect, *code, *opt;
	const struct contract_code *cc = NULL;
	struct suite_scenario *sc;
	json_t *steps;
	char why[300];
	int k;

	if (!json_is_object(root))
		return jload_fail(ld, 0, "a client scenario must be an object");
	if (jload_keys(ld, root, "a client scenario", scenario_keys))
		return -1;
	name = jload_string(ld, root, "name", 0);
	expect = jload_string(ld, root, "expect", 0);
	code = jload_string(ld, root, "code", 0);
	opt = jload_string(ld, root, "operation", 0);
	if (ld->failed)
		return -1;
	if ((k = suite_expect_parse(expect)) < 0) {
		jpath_key(&ld->path, "expect");
		return jload_fail(ld, 0, "expect must be retry, no_retry, backoff, fault, long_wait, stream_error, "
				  "stream_reset or stream_stall, not '%s'", expect);
	}
	if (code && !(cc = contract_find(c, code))) {
		jpath_key(&ld->path, "code");
		return jload_fail(ld, 0, "'%s' is not a code of %s", code, c->id);
	}
	if ((k == EXPECT_RETRY || k == EXPECT_NO_RETRY || k == EXPECT_LONG_WAIT || k == EXPECT_STREAM_ERROR) && !cc)
		return jload_fail(ld, 0, "a %s scenario names the code it serves (\"code\")", expect);
	if (opt && suite_op_parse(opt, &op, why, sizeof(why))) {
		jpath_key(&ld->path, "operation");
		return jload_fail(ld, 0, "%s", why);
	}
	if (opt)
		g.op = &op;
	steps = json_object_get(root, "steps");
	if (!json_is_array(steps) || !json_array_size(steps)) {
		jpath_key(&ld->path, "steps");
		return jload_fail(ld, 0, "steps must be a non-empty array of mock steps (see errata serve's scenarios)");
	}
	sc = add(&g, (enum suite_expect)k, cc, json_incref(steps), "%s", name);
	if (!sc)
		return jload_fail(ld, 0, "out of memory");
	free(sc->source);
	sc->source = strdup(source);
	return sc->source ? 0 : jload_fail(ld, 0, "out of memory");
}

int suite_load(struct suite *s, const char *file, const struct contract *c, struct load_error *err)
{
	struct jload ld;
	FILE *f = fopen(file, "rb");
	char *text = malloc(1 << 20);
	size_t len = f && text ? fread(text, 1, (1 << 20) - 1, f) : 0;
	json_t *root = NULL;
	int rc = -1;

	if (f)
		fclose(f);
	if (!f || !text) {
		memset(err, 0, sizeof(*err));
		snprintf(err->source, sizeof(err->source), "%s", file);
		snprintf(err->text, sizeof(err->text), "cannot read scenario file");
		goto out;
	}
	root = jload_parse(&ld, text, len, file, err);
	if (root)
		rc = suite_load_json(s, &ld, root, c, file);
out:
	json_decref(root);
	free(text);
	return rc;
}

/* Does `name` select scenario `have` (see suite.h)? `family`: as a prefix. */
static int selects(const char *name, const char *have, int family)
{
	size_t n = strlen(name);

	if (name[0] == '=')
		return !strcmp(have, name + 1);
	if (strncmp(have, name, n))
		return 0;
	return !have[n] || (have[n] == ' ' && (family || have[n + 1] == '['));
}

size_t suite_filter(struct suite *s, char *const *names, size_t nr_names)
{
	size_t i, j, kept = 0;
	int family[64] = { 0 };

	/* a name that selects no scenario itself is a family's prefix */
	for (j = 0; j < nr_names && j < 64; j++) {
		family[j] = 1;
		for (i = 0; i < s->nr && family[j]; i++)
			family[j] = !selects(names[j], s->v[i].name, 0);
	}
	for (i = 0; i < s->nr; i++) {
		int keep = 0;

		for (j = 0; j < nr_names && j < 64 && !keep; j++)
			keep = selects(names[j], s->v[i].name, family[j]);
		if (keep)
			s->v[kept++] = s->v[i];
		else
			scenario_clear(&s->v[i]);
	}
	s->nr = kept;
	return kept;
}

const struct suite_scenario *suite_find(const struct suite *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		if (!strcmp(s->v[i].name, name))
			return &s->v[i];
	return NULL;
}
