/*
 * An operation's success, as an SDK's generated test suite needs it: the
 * 2xx the description gives (its status and media type), with the body its
 * example shows or, where none does, the smallest body the schema admits
 * (the required members, each of its first admitted type, enum value or
 * format), so that the SDK's own types parse it. Deterministic: the same
 * description gives the same bodies.
 *
 * What cannot be generated (a cycle through required members, a type
 * JSON Schema does not have) is said, and the operation carries
 * "success_unavailable": the mock answers it with a 500 problem naming it,
 * never with a silent {}.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_doc.h"
#include "openapi_int.h"
#include "../model/contract_ext.h"

#define GEN_DEPTH 32
#define GEN_BUDGET 50000
#define GEN_STRING_MAX 256

struct gen {
	struct oas *o;
	json_t *stack[GEN_DEPTH];    /* the schemas being generated, for cycles */
	size_t depth, visits;
	char why[240];               /* the first reason a body cannot be made */
};

static json_t *gen(struct gen *g, json_t *s, const char *file);

static json_t *fail(struct gen *g, const char *fmt, const char *arg)
{
	if (!g->why[0])
		snprintf(g->why, sizeof(g->why), fmt, arg);
	return NULL;
}

static int admits_null(json_t *s)
{
	json_t *t = json_object_get(s, "type"), *v;
	size_t i;

	if (json_is_true(json_object_get(s, "nullable")))
		return 1;
	json_array_foreach(t, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), "null"))
			return 1;
	return 0;
}

/* The first type the schema names other than null; NULL when it names none. */
static const char *type_of(json_t *s)
{
	json_t *t = json_object_get(s, "type"), *v;
	size_t i;

	if (json_is_string(t))
		return json_string_value(t);
	json_array_foreach(t, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), "null"))
			return json_string_value(v);
	if (json_is_array(t) && json_array_size(t))
		return "null";
	if (json_object_get(s, "properties") || json_object_get(s, "required") ||
	    json_object_get(s, "additionalProperties"))
		return "object";
	if (json_object_get(s, "items"))
		return "array";
	return NULL;
}

static json_t *gen_string(json_t *s)
{
	static const struct { const char *format, *value; } formats[] = {
		{ "date-time", "2026-01-01T00:00:00Z" }, { "date", "2026-01-01" }, { "time", "00:00:00Z" },
		{ "uri", "https://example.com/" }, { "url", "https://example.com/" }, { "email", "user@example.com" },
		{ "uuid", "00000000-0000-4000-8000-000000000000" }, { "ipv4", "127.0.0.1" }, { "ipv6", "::1" },
		{ "hostname", "example.com" }, { "binary", "" }, { "byte", "" }, { NULL, NULL }
	};
	const char *f = json_string_value(json_object_get(s, "format"));
	json_int_t min = json_integer_value(json_object_get(s, "minLength"));
	json_t *max = json_object_get(s, "maxLength");
	char buf[GEN_STRING_MAX + 1] = "string";
	size_t i, n;

	for (i = 0; f && formats[i].format; i++)
		if (!strcmp(f, formats[i].format))
			return json_string(formats[i].value);
	n = strlen(buf);
	while (n < (size_t)min && n < GEN_STRING_MAX)
		buf[n++] = 's';
	if (json_is_integer(max) && json_integer_value(max) >= 0 && (size_t)json_integer_value(max) < n)
		n = (size_t)json_integer_value(max);
	buf[n] = '\0';
	return json_string(buf);
}

/* The number nearest 0 inside the schema's bounds (3.0's and 3.1's). */
static json_t *gen_number(json_t *s, int integer)
{
	json_t *min = json_object_get(s, "minimum"), *max = json_object_get(s, "maximum");
	json_t *xmin = json_object_get(s, "exclusiveMinimum"), *xmax = json_object_get(s, "exclusiveMaximum");
	double v = 0;

	if (json_is_number(min) && v < json_number_value(min))
		v = json_number_value(min);
	if (json_is_number(xmin) && v <= json_number_value(xmin))
		v = json_number_value(xmin) + 1;
	if (json_is_number(max) && v > json_number_value(max))
		v = json_number_value(max);
	if (json_is_number(xmax) && v >= json_number_value(xmax))
		v = json_number_value(xmax) - 1;
	return integer ? json_integer((json_int_t)v) : json_real(v);
}

static json_t *gen_array(struct gen *g, json_t *s, const char *file)
{
	json_int_t i, n = json_integer_value(json_object_get(s, "minItems"));
	json_t *out = json_array(), *items = json_object_get(s, "items");

	for (i = 0; i < n && i < 16; i++) {
		json_t *v = items ? gen(g, items, file) : json_object();

		if (!v) {
			json_decref(out);
			return NULL;
		}
		json_array_append_new(out, v);
	}
	return out;
}

static int unconstrained(json_t *v)
{
	return json_is_object(v) && !json_object_size(v);
}

/* allOf over objects: the members of every part (and of their own allOf),
 * the first schema given a member kept, with the document it is in. */
struct members {
	json_t *props;               /* name -> [schema, file as an integer] */
	json_t *req;                 /* name -> true */
};

static int gather(struct gen *g, json_t *parts, const char *file, struct members *m, int depth)
{
	json_t *p, *ps, *k;
	const char *name;
	size_t i, j;

	json_array_foreach(parts, i, p) {
		const char *f = file;

		if (depth > 8 || !(p = oas_deref(&g->o->files, p, &f)) || !json_is_object(p))
			return -1;
		if (json_is_array(json_object_get(p, "allOf")) && gather(g, json_object_get(p, "allOf"), f, m, depth + 1))
			return -1;
		json_object_foreach(json_object_get(p, "properties"), name, ps)
			if (!json_object_get(m->props, name))
				json_object_set_new(m->props, name, json_pack("[O,I]", ps, (json_int_t)(intptr_t)f));
		json_array_foreach(json_object_get(p, "required"), j, k)
			if (json_is_string(k))
				json_object_set_new(m->req, json_string_value(k), json_true());
	}
	return 0;
}

static json_t *gen_members(struct gen *g, const struct members *m)
{
	json_t *out = json_object(), *v, *t;
	const char *name;

	json_object_foreach(m->req, name, t) {
		json_t *ps = json_object_get(m->props, name);

		v = ps ? gen(g, json_array_get(ps, 0), (const char *)(intptr_t)json_integer_value(json_array_get(ps, 1)))
		       : json_object();
		if (!v) {
			json_decref(out);
			return NULL;
		}
		json_object_set_new(out, name, v);
	}
	return out;
}

/* Every required member, from its property's schema (or any value): one
 * object read as allOf reads its parts. */
static json_t *gen_object(struct gen *g, json_t *s, const char *file)
{
	struct members m = { json_object(), json_object() };
	json_t *one = json_pack("[O]", s), *out = NULL;

	if (one && !gather(g, one, file, &m, 0))
		out = gen_members(g, &m);
	json_decref(one);
	json_decref(m.props);
	json_decref(m.req);
	return out || g->why[0] ? out : json_object();
}

/* allOf: over objects, the members of all parts; else each part made
 * alone, a part that constrains nothing ({} from a description or
 * nullable alone) never replacing what another made. */
static json_t *gen_all(struct gen *g, json_t *parts, const char *file)
{
	struct members m = { json_object(), json_object() };
	json_t *out = NULL, *p;
	size_t i;

	if (!gather(g, parts, file, &m, 0) && (json_object_size(m.props) || json_object_size(m.req)))
		out = gen_members(g, &m);
	json_decref(m.props);
	json_decref(m.req);
	if (out || g->why[0])
		return out;
	json_array_foreach(parts, i, p) {
		json_t *v = gen(g, p, file);

		if (!v) {
			json_decref(out);
			return NULL;
		}
		if (out && unconstrained(v)) {
			json_decref(v);
		} else {
			json_decref(out);
			out = v;
		}
	}
	return out ? out : json_object();
}

/* oneOf, anyOf: the first alternative that can be made. */
static json_t *gen_any(struct gen *g, json_t *alts, const char *file)
{
	char why[sizeof(g->why)];
	json_t *a, *v;
	size_t i;

	memcpy(why, g->why, sizeof(why));
	json_array_foreach(alts, i, a) {
		if ((v = gen(g, a, file))) {
			memcpy(g->why, why, sizeof(why));
			return v;
		}
	}
	return NULL;
}

static json_t *gen_typed(struct gen *g, json_t *s, const char *file)
{
	json_t *v;
	const char *t;

	if ((v = json_object_get(s, "const")) || (v = json_object_get(s, "default")))
		return json_incref(v);
	if ((v = json_array_get(json_object_get(s, "enum"), 0)))
		return json_incref(v);
	if (json_is_array(v = json_object_get(s, "allOf")))
		return gen_all(g, v, file);
	if (json_is_array(v = json_object_get(s, "oneOf")) || json_is_array(v = json_object_get(s, "anyOf")))
		return gen_any(g, v, file);
	if (!(t = type_of(s)))
		return json_object(); /* any value will do */
	if (!strcmp(t, "object"))
		return gen_object(g, s, file);
	if (!strcmp(t, "array"))
		return gen_array(g, s, file);
	if (!strcmp(t, "string"))
		return gen_string(s);
	if (!strcmp(t, "integer") || !strcmp(t, "number"))
		return gen_number(s, !strcmp(t, "integer"));
	if (!strcmp(t, "boolean"))
		return json_true();
	if (!strcmp(t, "null"))
		return json_null();
	return fail(g, "its schema has type '%.60s', which JSON Schema does not define", t);
}

static json_t *gen(struct gen *g, json_t *s, const char *file)
{
	const char *f = file;
	json_t *v;
	size_t i;

	if (++g->visits > GEN_BUDGET)
		return fail(g, "its schema is larger than %s nodes", "50000");
	if (!(s = oas_deref(&g->o->files, s, &f)))
		return fail(g, "a $ref in its schema cannot be followed%s", "");
	if (!json_is_object(s))
		return json_is_true(s) ? json_object() : fail(g, "its schema is %s", "false");
	for (i = 0; i < g->depth; i++)
		if (g->stack[i] == s)
			return admits_null(s) ? json_null() :
			       fail(g, "its required members form a cycle%s (no finite body has them all)", "");
	if (g->depth == GEN_DEPTH)
		return fail(g, "its schema nests deeper than %s levels", "32");
	g->stack[g->depth++] = s;
	v = gen_typed(g, s, f);
	g->depth--;
	return v;
}

/* The lowest 2xx the responses give, and its status. */
static json_t *success_response(struct oas *o, json_t *responses, const char **file, int *status)
{
	json_t *r, *best = NULL;
	const char *k;
	int st;

	*status = 0;
	json_object_foreach(responses, k, r) {
		st = (k[0] == '2' && strlen(k) == 3) ? (k[1] == 'X' || k[1] == 'x' ? 200 : atoi(k)) : 0;
		if (st >= 200 && st < 300 && (!*status || st < *status)) {
			*status = st;
			best = r;
		}
	}
	return best ? oas_deref(&o->files, best, file) : NULL;
}

/* The media type served: JSON first, then any other but an event stream
 * (a stream is what a request opts into: "stream": true). */
static const char *success_media(json_t *content, json_t **media)
{
	const char *k, *pick = NULL;
	json_t *v;
	int rank = 0;

	json_object_foreach(content, k, v) {
		int r = contract_media_is_json(k) ? 3 : strcmp(k, "text/event-stream") ? 2 : 1;

		if (r > rank) {
			rank = r;
			pick = k;
			*media = v;
		}
	}
	return pick;
}

/* --- an example against its schema's types --- */

static int admits_value(json_t *s, json_t *v)
{
	json_t *t = json_object_get(s, "type"), *x;
	size_t i;
	int ok = 0;

	if (!t)
		return 1;
	if (json_is_null(v) && admits_null(s))
		return 1;
	for (i = 0; i < (json_is_array(t) ? json_array_size(t) : 1); i++) {
		const char *n = json_string_value(json_is_array(t) ? json_array_get(t, i) : t);

		if (!n)
			return 1;
		x = v;
		ok |= (!strcmp(n, "string") && json_is_string(x)) || (!strcmp(n, "boolean") && json_is_boolean(x)) ||
		      (!strcmp(n, "object") && json_is_object(x)) || (!strcmp(n, "array") && json_is_array(x)) ||
		      (!strcmp(n, "null") && json_is_null(x)) || (!strcmp(n, "number") && json_is_number(x)) ||
		      (!strcmp(n, "integer") && json_is_integer(x));
	}
	return ok;
}

/* Where the example's value has a type its schema does not admit, into
 * `at` (a JSON pointer); 1 then. Types only: no bound, format or pattern
 * is judged, and an alternative (oneOf, anyOf) that admits it is enough. */
static int clash(struct gen *g, json_t *s, const char *file, json_t *v, char *at, size_t size, int depth)
{
	const char *f = file, *k;
	json_t *alts, *x, *ps;
	size_t i, n = strlen(at);

	if (depth > GEN_DEPTH || ++g->visits > GEN_BUDGET || !(s = oas_deref(&g->o->files, s, &f)) || !json_is_object(s))
		return 0;
	json_array_foreach(json_object_get(s, "allOf"), i, x)
		if (clash(g, x, f, v, at, size, depth + 1))
			return 1;
	if (json_is_array(alts = json_object_get(s, "oneOf")) || json_is_array(alts = json_object_get(s, "anyOf"))) {
		json_array_foreach(alts, i, x) {
			at[n] = '\0';
			if (!clash(g, x, f, v, at, size, depth + 1))
				return 0;
		}
		return json_array_size(alts) > 0;
	}
	if (!admits_value(s, v))
		return 1;
	if (json_is_object(v) && (ps = json_object_get(s, "properties")))
		json_object_foreach(v, k, x) {
			snprintf(at + n, size - n, "/%s", k);
			if (json_object_get(ps, k) && clash(g, json_object_get(ps, k), f, x, at, size, depth + 1))
				return 1;
		}
	if (json_is_array(v) && json_object_get(s, "items"))
		json_array_foreach(v, i, x) {
			snprintf(at + n, size - n, "/%zu", i);
			if (i < 64 && clash(g, json_object_get(s, "items"), f, x, at, size, depth + 1))
				return 1;
		}
	at[n] = '\0';
	return 0;
}

static json_t *example_of(struct oas *o, json_t *media, const char *file)
{
	json_t *ex = json_object_get(media, "example"), *exs = json_object_get(media, "examples");
	const char *f = file, *k;
	json_t *v;

	if (ex)
		return json_incref(ex);
	json_object_foreach(exs, k, v) {
		if ((v = oas_deref(&o->files, v, &f)) && json_object_get(v, "value"))
			return json_incref(json_object_get(v, "value"));
		break;
	}
	return NULL;
}

/* A body of a non-JSON type (takes `body`): an event stream's one event,
 * else the text a string schema gives, else no bytes. */
static json_t *text_body(const char *type, json_t *body)
{
	char *dump = NULL;
	json_t *out;

	if (strcmp(type, "text/event-stream"))
		out = json_is_string(body) ? json_incref(body) : json_string("");
	else if (body && (dump = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY)))
		out = json_sprintf("data: %s\n\n", dump);
	else
		out = json_string("data: {}\n\n");
	free(dump);
	json_decref(body);
	return out;
}

/* An operation that answers text/event-stream: its event, made from the
 * stream's schema (its example first), kept for the contract's stream. The
 * description names no event type: the event is a data-only one. */
static void stream_event(struct oas *o, json_t *content, const char *file, json_t *opj)
{
	const char *rf = file;
	json_t *media = content ? oas_deref(&o->files, json_object_get(content, "text/event-stream"), &rf) : NULL;
	struct gen g = { .o = o };
	json_t *data = NULL, *have;
	char op[600];
	size_t i;

	snprintf(op, sizeof(op), "%s %s", json_string_value(json_object_get(opj, "method")),
		 json_string_value(json_object_get(opj, "path")));
	json_array_foreach(o->streams, i, have) /* one path under two keys (?beta=true) */
		if (!strcmp(json_string_value(json_object_get(have, "operation")), op))
			return;
	data = media ? example_of(o, media, rf) : NULL;
	if (media && !data && json_object_get(media, "schema"))
		data = gen(&g, json_object_get(media, "schema"), rf);
	if (!data || !o->streams)
		return json_decref(data);
	json_array_append_new(o->streams, json_pack("{s:s,s:[{s:n,s:o}]}", "operation", op, "events", "event", "data",
						    data));
}

void oas_success(struct oas *o, json_t *op, const char *file, json_t *opj, const char *where)
{
	const char *rf = file, *type;
	json_t *responses = oas_deref(&o->files, json_object_get(op, "responses"), &rf);
	json_t *resp, *media = NULL, *body, *content;
	struct gen g = { .o = o };
	char at[300] = "";
	int status;

	if (!responses || !(resp = success_response(o, responses, &rf, &status)))
		return;
	if (status != 200)
		json_object_set_new(opj, "success_status", json_integer(status));
	content = json_object_get(resp, "content") ? oas_deref(&o->files, json_object_get(resp, "content"), &rf) : NULL;
	stream_event(o, content, rf, opj);
	type = success_media(content, &media);
	if (media && !(media = oas_deref(&o->files, media, &rf)))
		type = NULL;
	if (type && !contract_media_type_valid(type)) { /* a wildcard, or a parameter after the type */
		import_note(o->d, "%s: its success's media type '%.80s' is not type/subtype; it is served as bytes", where, type);
		media = NULL;
		type = NULL;
	}
	if (!type) {
		json_object_set_new(opj, "success", json_string(""));
		json_object_set_new(opj, "success_type", json_string("application/octet-stream"));
		return;
	}
	body = example_of(o, media, rf);
	if (body && contract_media_is_json(type) && json_object_get(media, "schema") &&
	    clash(&g, json_object_get(media, "schema"), rf, body, at, sizeof(at), 0)) {
		import_note(o->d, "%s: its success example contradicts its schema at '%.120s' (the value's type); the body is made "
			    "from the schema instead", where, at[0] ? at : "/");
		json_decref(body);
		body = NULL;
		g.visits = 0;
	}
	if (!body && json_object_get(media, "schema"))
		body = gen(&g, json_object_get(media, "schema"), rf);
	if (!body && g.why[0]) {
		import_note(o->d, "%s: no success body can be made: %s", where, g.why);
		json_object_set_new(opj, "success_unavailable", json_sprintf("%s: %s", where, g.why));
		return;
	}
	if (!contract_media_is_json(type))
		body = text_body(type, body);
	json_object_set_new(opj, "success", body ? body : json_object());
	json_object_set_new(opj, "success_type", json_string(type));
}
