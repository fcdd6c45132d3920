/*
 * Error bodies as real APIs send them (format 2): the envelope's kind (JSON
 * or XML) and which element of an array of errors rules; per code, a body
 * that is absent or free, and the headers a response must or must not carry.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "contract_ext.h"
#include "envelope.h"

static int has_error_array(json_t *t)
{
	const char *key;
	json_t *v;

	if (json_is_array(t))
		return envelope_has_placeholder(t);
	if (json_is_object(t))
		json_object_foreach(t, key, v)
			if (has_error_array(v))
				return 1;
	return 0;
}

int contract_load_envelope_kind(struct jload *ld, struct contract *c, json_t *env, json_t *tmpl)
{
	const char *kind, *array;
	char why[200];

	c->kind = &body_json;
	if (contract_needs_v2(ld, c, env, "kind") || contract_needs_v2(ld, c, env, "array") ||
	    contract_needs_v2(ld, c, env, "code_header"))
		return -1;
	c->code_header = jload_string(ld, env, "code_header", 0);
	if (c->code_header && !contract_header_name_valid(c->code_header)) {
		jpath_key(&ld->path, "code_header");
		return jload_fail(ld, 0, "'%.60s' is not a header name", c->code_header);
	}
	kind = jload_string(ld, env, "kind", 0);
	array = jload_string(ld, env, "array", 0);
	if (ld->failed)
		return -1;
	if (kind && !(c->kind = body_kind_find(kind))) {
		jpath_key(&ld->path, "kind");
		return jload_fail(ld, 0, "envelope kind '%.40s' is not json or xml", kind);
	}
	if (array) {
		jpath_key(&ld->path, "array");
		if (strcmp(array, "first") && strcmp(array, "all"))
			return jload_fail(ld, 0, "'array' is \"first\" (the first error's code rules) or \"all\" "
					  "(every error's code is read), not '%.40s'", array);
		if (!has_error_array(tmpl))
			return jload_fail(ld, 0, "'array' says which error of an array rules, but the envelope holds no array of errors");
		c->array_all = !strcmp(array, "all");
		jpath_pop(&ld->path);
	}
	jpath_key(&ld->path, "error");
	if (c->kind->valid(tmpl, why, sizeof(why)))
		return jload_fail(ld, 0, "%s", why);
	jpath_pop(&ld->path);
	return 0;
}

static int load_required(struct jload *ld, json_t *h, struct contract_code *cc)
{
	const char *key;
	json_t *v;

	jpath_key(&ld->path, "headers");
	if (!json_is_object(h))
		return jload_fail(ld, 0, "'headers' must be an object of header: the value the mock sends");
	json_object_foreach(h, key, v) {
		jpath_key(&ld->path, key);
		if (!contract_header_name_valid(key))
			return jload_fail(ld, 1, "'%.60s' is not a header name", key);
		if (!json_is_string(v) || strpbrk(json_string_value(v), "\r\n"))
			return jload_fail(ld, 0, "the value of %s must be a string on one line", key);
		if (!strcasecmp(key, "Content-Type") || !strcasecmp(key, "Content-Length"))
			return jload_fail(ld, 1, "%s follows from the body; it is not a code's header", key);
		jpath_pop(&ld->path);
	}
	jpath_pop(&ld->path);
	cc->headers = h;
	return 0;
}

static int load_forbidden(struct jload *ld, json_t *f, struct contract_code *cc)
{
	json_t *v;
	size_t i;

	jpath_key(&ld->path, "forbidden_headers");
	if (!json_is_array(f))
		return jload_fail(ld, 0, "'forbidden_headers' must be an array of header names");
	json_array_foreach(f, i, v) {
		const char *name = json_string_value(v);

		jpath_index(&ld->path, i);
		if (!name || !contract_header_name_valid(name))
			return jload_fail(ld, 0, "each forbidden header must be a header name");
		if (cc->headers && json_object_get(cc->headers, name))
			return jload_fail(ld, 0, "%s is both required and forbidden on %s", name, cc->code);
		if (!strcasecmp(name, "Retry-After") && cc->retry_after)
			return jload_fail(ld, 0, "Retry-After is forbidden on %s, which the contract says carries it "
					  "(set \"retry_after\": false)", cc->code);
		jpath_pop(&ld->path);
	}
	jpath_pop(&ld->path);
	cc->forbidden = f;
	return 0;
}

int contract_load_code_body(struct jload *ld, const struct contract *c, json_t *obj, struct contract_code *cc)
{
	const char *body;
	json_t *v;

	if (contract_needs_v2(ld, c, obj, "body") || contract_needs_v2(ld, c, obj, "headers") ||
	    contract_needs_v2(ld, c, obj, "forbidden_headers"))
		return -1;
	body = jload_string(ld, obj, "body", 0);
	if (ld->failed)
		return -1;
	cc->body = BODY_ENVELOPE;
	if (body) {
		jpath_key(&ld->path, "body");
		if (!strcmp(body, "none"))
			cc->body = BODY_NONE;
		else if (!strcmp(body, "any"))
			cc->body = BODY_ANY;
		else if (strcmp(body, "envelope"))
			return jload_fail(ld, 0, "'body' is \"envelope\", \"none\" or \"any\", not '%.40s'", body);
		if (cc->body != BODY_ENVELOPE && (cc->details || cc->extra || cc->body_code || cc->type))
			return jload_fail(ld, 1, "%s carries no envelope, so no details, extra, body_code or type",
					  cc->code);
		jpath_pop(&ld->path);
	}
	if ((v = json_object_get(obj, "headers")) && load_required(ld, v, cc))
		return -1;
	if ((v = json_object_get(obj, "forbidden_headers")) && load_forbidden(ld, v, cc))
		return -1;
	return 0;
}
