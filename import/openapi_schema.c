/*
 * The envelope of an OpenAPI error schema: a template with "{{code}}",
 * "{{message}}", "{{type}}", "{{status}}" and "{{request_id}}" where the
 * schema's members hold them, and the place of the code (openapi.c reads
 * examples and enums there).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_doc.h"
#include "openapi_int.h"

#define MAX_SCHEMA_DEPTH 8

/* Members that hold a code, as import_key_is compares them (case, '_' and
 * '-' aside): Plaid's error_code, Matrix's errcode, Xero's Type, DynamoDB's
 * __type, in this order of preference. */
static const char *const code_keys[] = { "code", "errorcode", "errcode", "id", "error", "type", "errortype",
					 "errornumber", "reason", NULL };

/* One more schema node visited: 1 when the attempt is over its budget. */
static int spend(struct oas *o)
{
	return ++o->visits > OAS_SCHEMA_BUDGET;
}

/* Does the schema admit `type` (3.0's type, 3.1's list, anyOf of types)? */
static int admits_at(struct oas *o, json_t *s, const char *file, const char *type, int depth)
{
	json_t *t = json_object_get(s, "type"), *alt;
	size_t i;

	if (spend(o) || depth > MAX_SCHEMA_DEPTH)
		return 0;
	if (json_is_string(t))
		return !strcmp(json_string_value(t), type);
	if (json_is_array(t)) {
		json_array_foreach(t, i, alt)
			if (json_is_string(alt) && !strcmp(json_string_value(alt), type))
				return 1;
		return 0;
	}
	if (!strcmp(type, "null") && json_is_true(json_object_get(s, "nullable")))
		return 1;
	for (i = 0; i < json_array_size(json_object_get(s, "anyOf")); i++) {
		const char *f = file;
		json_t *a = oas_deref(&o->files, json_array_get(json_object_get(s, "anyOf"), i), &f);

		if (a && admits_at(o, a, f, type, depth + 1))
			return 1;
	}
	for (i = 0; i < json_array_size(json_object_get(s, "oneOf")); i++) {
		const char *f = file;
		json_t *a = oas_deref(&o->files, json_array_get(json_object_get(s, "oneOf"), i), &f);

		if (a && admits_at(o, a, f, type, depth + 1))
			return 1;
	}
	return !t && !json_object_get(s, "anyOf") && !json_object_get(s, "oneOf") &&
	       !json_object_get(s, "properties") && strcmp(type, "null") && strcmp(type, "object");
}

static int admits(struct oas *o, json_t *s, const char *file, const char *type)
{
	return admits_at(o, s, file, type, 0);
}

/* The properties and required names of s, allOf members merged in. */
static void gather(struct oas *o, json_t *s, const char *file, json_t *props, json_t *req, int depth)
{
	json_t *v, *p = json_object_get(s, "properties");
	const char *k;
	size_t i;

	if (depth > MAX_SCHEMA_DEPTH || spend(o))
		return;
	json_object_foreach(p, k, v) {
		const char *f = file;
		json_t *ps = oas_deref(&o->files, v, &f);

		if (ps && !json_object_get(props, k))
			json_object_set_new(props, k, json_pack("{s:O,s:s}", "s", ps, "f", f));
	}
	json_array_foreach(json_object_get(s, "required"), i, v)
		json_array_append(req, v);
	json_array_foreach(json_object_get(s, "allOf"), i, v) {
		const char *f = file;
		json_t *m = oas_deref(&o->files, v, &f);

		if (m)
			gather(o, m, f, props, req, depth + 1);
	}
}

static int is_required(json_t *req, const char *k)
{
	json_t *v;
	size_t i;

	json_array_foreach(req, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), k))
			return 1;
	return 0;
}

/* The object alternative of a schema's anyOf/oneOf, or s itself. */
static json_t *object_of(struct oas *o, json_t *s, const char **file)
{
	static const char *const alts[] = { "anyOf", "oneOf" };
	size_t i, k;

	if (json_object_get(s, "properties") || json_object_get(s, "allOf"))
		return s;
	for (k = 0; k < 2; k++)
		for (i = 0; i < json_array_size(json_object_get(s, alts[k])); i++) {
			const char *f = *file;
			json_t *a = oas_deref(&o->files, json_array_get(json_object_get(s, alts[k]), i), &f);

			if (a && (json_object_get(a, "properties") || json_object_get(a, "allOf"))) {
				*file = f;
				return a;
			}
		}
	return NULL;
}

static json_t *template_of(struct oas *o, json_t *s, const char *file, json_t *path, int depth);

/* The template value of member k (schema ps), or NULL to leave it out. */
static json_t *member(struct oas *o, const char *k, json_t *ps, const char *f, int required,
		      json_t *path, int code_here, int depth)
{
	const char *ef = f;
	json_t *ex = json_object_get(ps, "example"), *en = json_object_get(ps, "enum"), *obj;

	if (code_here) {
		json_decref(o->code_path);
		o->code_path = json_deep_copy(path);
		json_array_append_new(o->code_path, json_string(k));
		if (json_is_array(en) && json_array_size(en)) {
			json_decref(o->code_enum);  /* a second code member (another schema tried) */
			o->code_enum = json_incref(en);
			json_decref(o->code_doc);
			o->code_doc = json_is_string(json_object_get(ps, "description")) ?
				      json_incref(json_object_get(ps, "description")) : NULL;
		}
		o->code_nullable = admits(o, ps, f, "null");
		return json_string("{{code}}");
	}
	if (!o->has_message && import_is_message_key(k) && admits(o, ps, f, "string")) {
		o->has_message = 1;
		return json_string("{{message}}");
	}
	if (strstr(k, "request_id") || !strcmp(k, "requestId")) {
		o->body_request_id = 1;
		return json_string(required ? "{{request_id}}" : "{{request_id?}}");
	}
	if (import_is_status_key(k) && admits(o, ps, f, "integer"))
		return json_string("{{status}}");
	if (!strcmp(k, "type") && o->code_path && !json_is_string(ex) && json_array_size(en) != 1) {
		o->has_type = 1;
		return json_string("{{type}}");
	}
	if (admits(o, ps, f, "array") && json_object_get(ps, "items") && depth < MAX_SCHEMA_DEPTH) {
		const char *itf = f;
		json_t *items = oas_deref(&o->files, json_object_get(ps, "items"), &itf), *sub = NULL, *p2;

		if (items && (obj = object_of(o, items, &itf))) { /* a list of errors: its first is the template */
			p2 = json_deep_copy(path);
			json_array_append_new(p2, json_string(k));
			json_array_append_new(p2, json_integer(0));
			sub = template_of(o, obj, itf, p2, depth + 1);
			json_decref(p2);
		}
		if (sub && json_object_size(sub) && (o->has_message || o->code_path))
			return json_pack("[o]", sub);
		json_decref(sub);
	}
	if ((obj = object_of(o, ps, &ef)) && depth < MAX_SCHEMA_DEPTH) {
		json_t *sub, *p2 = json_deep_copy(path);

		json_array_append_new(p2, json_string(k));
		sub = template_of(o, obj, ef, p2, depth + 1);
		json_decref(p2);
		if (sub && (json_object_size(sub) || required))
			return sub;
		json_decref(sub);
		return admits(o, ps, f, "null") ? json_null() : NULL;
	}
	if (json_array_size(en) == 1)
		return json_incref(json_array_get(en, 0));
	if (json_object_get(ps, "const"))
		return json_incref(json_object_get(ps, "const"));
	if (admits(o, ps, f, "null"))
		return json_null();
	if (required && ex && !json_is_object(ex) && !json_is_array(ex))
		return json_incref(ex);
	json_array_append_new(o->pending, json_sprintf("the error schema's member '%s' has no constant value; it is left out of the envelope", k));
	return NULL;
}

static json_t *template_of(struct oas *o, json_t *s, const char *file, json_t *path, int depth)
{
	json_t *props = json_object(), *req = json_array(), *out = json_object(), *p, *m;
	const char *k, *code_key = NULL;
	size_t i;

	if (spend(o)) {
		json_decref(props);
		json_decref(req);
		return out;
	}
	gather(o, s, file, props, req, depth);
	for (i = 0; !o->code_path && code_keys[i] && !code_key; i++)
		json_object_foreach(props, k, m) {
			const char *f = json_string_value(json_object_get(m, "f"));

			p = json_object_get(m, "s");
			if (import_key_is(k, code_keys[i]) && p && !json_object_get(p, "properties") &&
			    (admits(o, p, f, "string") || admits(o, p, f, "integer"))) {
				code_key = k;
				break;
			}
		}
	json_object_foreach(props, k, p) {
		json_t *v;

		if (o->visits > OAS_SCHEMA_BUDGET)
			break;
		v = member(o, k, json_object_get(p, "s"), json_string_value(json_object_get(p, "f")),
				   is_required(req, k), path, code_key && !strcmp(k, code_key), depth);

		if (v)
			json_object_set_new(out, k, v);
	}
	json_decref(props);
	json_decref(req);
	return out;
}

/* One schema's template, or NULL: with a code member, or (GitHub's
 * basic-error) a message and no code. */
static json_t *attempt(struct oas *o, json_t *schema, const char *file)
{
	json_t *path = json_array(), *t;
	const char *f = file;
	json_t *obj = object_of(o, schema, &f);

	o->has_message = o->has_type = o->body_request_id = 0;
	json_array_clear(o->pending);
	if (!obj) {
		json_decref(path);
		return NULL;
	}
	o->visits = 0;
	t = template_of(o, obj, f, path, 0);
	json_decref(path);
	if (o->visits > OAS_SCHEMA_BUDGET) {
		json_decref(t);
		return NULL;
	}
	if (!o->code_path && !o->has_message) {
		json_decref(t);
		return NULL;
	}
	return t;
}

void oas_consider_schema(struct oas *o, json_t *schema, const char *file, const char *where)
{
	char key[32];
	json_t *t, *note;
	size_t i;
	int m = o->has_message, ty = o->has_type, rid = o->body_request_id;

	snprintf(key, sizeof(key), "%p", (void *)schema);
	if (o->tmpl || json_object_get(o->tried, key))
		return;
	json_object_set_new(o->tried, key, json_true());
	if (!(t = attempt(o, schema, file))) {
		if (o->visits > OAS_SCHEMA_BUDGET && !o->over[0])
			snprintf(o->over, sizeof(o->over), "the error schema of %.100s expands past %d nodes "
				 "(nested $refs or YAML aliases): not read", where, OAS_SCHEMA_BUDGET);
		json_decref(o->code_path);
		o->code_path = NULL;
		o->has_message = m;
		o->has_type = ty;
		o->body_request_id = rid;
		return;
	}
	json_decref(o->tmpl);
	o->tmpl = t;
	o->tmpl_schema = schema;
	json_array_foreach(o->pending, i, note)
		import_note(o->d, "%s", json_string_value(note));
	import_found(o->d, "the schema of %s became the envelope%s", where,
		     o->code_path ? "" : " (a message and no code: entries are told apart by status and message)");
}
