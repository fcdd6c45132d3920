/*
 * errata contract import for OpenAPI: what the description states outright,
 * set on the contract the rules built (its operations with their codes by
 * status, its media type, the headers it declares), and the type member
 * dropped from an envelope whose errors carry none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "import_doc.h"
#include "openapi_int.h"

static int cmp_json_int(const void *a, const void *b)
{
	json_int_t x = json_integer_value(*(json_t *const *)a), y = json_integer_value(*(json_t *const *)b);

	return (x > y) - (x < y);
}

static json_t *sorted(json_t *a)
{
	size_t n = json_array_size(a), i;
	json_t **v = calloc(n ? n : 1, sizeof(*v)), *out = json_array();

	for (i = 0; v && i < n; i++)
		v[i] = json_array_get(a, i);
	if (v)
		qsort(v, n, sizeof(*v), cmp_json_int);
	for (i = 0; v && i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

/* The code of the contract's entry for status st: a code of the operation's,
 * else the status-only entry's. */
static void op_codes(json_t *op, json_t *by_status, json_t *known)
{
	json_t *codes = json_object_get(op, "codes"), *out = json_array(), *v, *c;
	size_t i, k;

	json_array_foreach(codes, i, c)
		if (json_object_get(known, json_string_value(c)))
			json_array_append(out, c);
	json_array_foreach(json_object_get(op, "statuses"), i, v) {
		char st[16];
		int have = 0;

		snprintf(st, sizeof(st), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		json_array_foreach(out, k, c)
			have |= json_integer_value(json_object_get(known, json_string_value(c))) == json_integer_value(v);
		if (!have && (c = json_object_get(by_status, st)))
			json_array_append(out, c);
	}
	json_object_set_new(op, "codes", out);
}

/* The operations that answer text/event-stream, each with the event its
 * schema makes: the contract's stream. No error event is documented by a
 * schema of events alone, so none is invented. */
static void patch_stream(struct oas *o, json_t *c)
{
	json_t *inferred = json_object_get(c, "inferred");

	if (!json_array_size(o->streams))
		return;
	json_object_set_new(c, "stream", json_pack("{s:O,s:O,s:s}", "operations", o->streams, "events",
						   json_object_get(json_array_get(o->streams, 0), "events"), "source",
						   "the description's text/event-stream responses, an event made from each "
						   "one's schema"));
	if (!json_is_object(inferred))
		json_object_set_new(c, "inferred", inferred = json_object());
	json_object_set_new(inferred, "stream.events", json_string(
		"made from each streaming operation's event schema (its example first); the description names no "
		"event types, so the events are data-only, and documents no error event inside a stream"));
}

/* What the description states outright, over what the rules assumed. */
void oas_patch(struct oas *o, json_t *c)
{
	json_t *headers = json_object_get(c, "headers"), *inferred = json_object_get(c, "inferred");
	json_t *known = json_object(), *by_status = json_object(), *e, *op;
	size_t i;

	if (o->request_id_header) {
		json_object_set_new(headers, "request_id", json_pack("{s:s,s:s}", "header", o->request_id_header,
								     "presence", "optional"));
		json_object_del(inferred, "headers.request_id");
	}
	if (json_array_size(o->ra_statuses)) {
		json_t *ra = json_object_get(headers, "retry_after");

		json_object_set_new(ra, "statuses", sorted(o->ra_statuses));
		json_object_set_new(ra, "presence", json_string("optional"));
		json_object_set_new(inferred, "headers.retry_after",
				    json_string("the description declares Retry-After on these statuses, and OpenAPI headers are optional unless required"));
	}
	if (o->ms_header)
		json_object_set_new(json_object_get(headers, "retry_after"), "ms_header", json_string("retry-after-ms"));
	if (o->retry_hint)
		json_object_set_new(headers, "retry_hint", json_pack("{s:s}", "header", o->retry_hint));
	if (json_object_size(o->families)) {
		json_object_set_new(headers, "families", json_pack("[{s:s,s:i,s:i,s:O}]", "on", "all", "quota", 60,
								   "window", 60, "fields", o->families));
		json_object_set_new(inferred, "headers.families",
				    json_string("the description declares these rate-limit headers but no quota or window; 60 requests per 60 seconds is assumed"));
	}
	if (o->ctype) {
		json_object_set_new(c, "content_type", json_string(o->ctype));
		json_object_del(inferred, "content_type");
	}
	json_array_foreach(json_object_get(c, "codes"), i, e) {
		const char *code = json_string_value(json_object_get(e, "code"));
		char st[16];

		json_object_set(known, code, json_object_get(e, "status"));
		snprintf(st, sizeof(st), "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(e, "status")));
		if (json_is_true(json_object_get(e, "status_only")) || !json_object_get(by_status, st))
			json_object_set_new(by_status, st, json_string(code));
	}
	json_array_foreach(o->ops, i, op)
		op_codes(op, by_status, known);
	if (json_array_size(o->ops)) { /* every one of the description's */
		json_object_set(c, "operations", o->ops);
		json_object_set_new(c, "operations_complete", json_true());
	}
	patch_stream(o, c);
	json_decref(known);
	json_decref(by_status);
}

/* Remove the member holding "{{type}}" at any depth; 1 when found. */
static int drop_type_member(json_t *v)
{
	const char *k;
	json_t *m;
	void *tmp;

	json_object_foreach_safe(v, tmp, k, m) {
		if (json_is_string(m) && !strcmp(json_string_value(m), "{{type}}")) {
			json_object_del(v, k);
			return 1;
		}
		if (json_is_object(m) && drop_type_member(m))
			return 1;
	}
	return 0;
}

/* "{{type}}" renders each code's type: a code no example gave one (an enum's
 * code) has none, so the member is left out rather than invented. */
void oas_drop_untyped(struct oas *o)
{
	size_t i, untyped = 0;

	if (!o->has_type || !o->tmpl)
		return;
	for (i = 0; i < o->d->nr_codes; i++)
		untyped += !o->d->codes[i].type;
	if (!untyped || !drop_type_member(o->tmpl))
		return;
	for (i = 0; i < o->d->nr_codes; i++) {
		free(o->d->codes[i].type);
		o->d->codes[i].type = NULL;
	}
	o->has_type = 0;
	import_note(o->d, "the envelope's type member is left out: %zu codes show no type in any example", untyped);
}
