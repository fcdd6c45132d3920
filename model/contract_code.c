/*
 * One code of a contract as the loader reads it: its fields, status, role,
 * details and extra members (each allowed by the envelope), the values
 * marked inferred, and format 2's additions. contract.c reads the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "contract_ext.h"
#include "envelope.h"
#include "jload.h"

static int valid_code(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-", *s))
			return 0;
	return 1;
}

/* An inferred-marker object: keys name fields of `owner` that exist. */
static json_t *get_inferred(struct jload *ld, json_t *owner)
{
	json_t *inf = json_object_get(owner, "inferred"), *v;
	const char *key;

	if (!inf)
		return NULL;
	jpath_key(&ld->path, "inferred");
	if (!json_is_object(inf)) {
		jload_fail(ld, 0, "'inferred' must be an object of field: reason");
		goto out;
	}
	json_object_foreach(inf, key, v) {
		jpath_key(&ld->path, key);
		if (!json_is_string(v) || !json_string_length(v))
			jload_fail(ld, 0, "the reason for inferred '%s' must be a non-empty string", key);
		else if (!strcmp(key, "inferred") || !json_object_get(owner, key))
			jload_fail(ld, 1, "inferred '%s' names no field of this entry", key);
		jpath_pop(&ld->path);
		if (ld->failed)
			break;
	}
out:
	jpath_pop(&ld->path);
	return ld->failed ? NULL : inf;
}

/* Does "a.b[].c" name something in root? Each [] means every element. */
int contract_path_exists(json_t *root, const char *path)
{
	char seg[64];
	const char *dot;
	size_t n, i;
	int all;
	json_t *v, *elem;

	if (!*path)
		return 1;
	dot = strchr(path, '.');
	n = dot ? (size_t)(dot - path) : strlen(path);
	if (n == 0 || n >= sizeof(seg))
		return 0;
	memcpy(seg, path, n);
	seg[n] = '\0';
	all = n > 2 && !strcmp(seg + n - 2, "[]");
	if (all)
		seg[n - 2] = '\0';
	v = json_is_object(root) ? json_object_get(root, seg) : NULL;
	if (!v)
		return 0;
	if (!all)
		return contract_path_exists(v, dot ? dot + 1 : "");
	if (!json_is_array(v) || !json_array_size(v))
		return 0;
	json_array_foreach(v, i, elem)
		if (!contract_path_exists(elem, dot ? dot + 1 : ""))
			return 0;
	return 1;
}

static const struct jkey code_keys[] = {
	{ "code", JREQUIRED }, { "name", JOPTIONAL }, { "status", JREQUIRED },
	{ "retryable", JREQUIRED }, { "retry_after", JOPTIONAL },
	{ "status_only", JOPTIONAL }, { "message", JREQUIRED },
	{ "description", JOPTIONAL }, { "domain", JOPTIONAL },
	{ "category", JOPTIONAL }, { "resolution", JOPTIONAL },
	{ "role", JREQUIRED }, { "details", JOPTIONAL }, { "extra", JOPTIONAL },
	{ "inferred", JOPTIONAL }, { "body_code", JOPTIONAL }, { "type", JOPTIONAL },
	{ "body", JOPTIONAL }, { "headers", JOPTIONAL }, { "forbidden_headers", JOPTIONAL },
	{ "stream", JOPTIONAL }, { NULL, 0 }
};

/* The object of the template that holds the "{{extra}}" member, or NULL. */
static json_t *extra_home(json_t *tmpl)
{
	const char *key;
	json_t *v, *found;
	size_t i;

	if (json_is_object(tmpl)) {
		if (json_object_get(tmpl, ENVELOPE_EXTRA_KEY))
			return tmpl;
		json_object_foreach(tmpl, key, v)
			if ((found = extra_home(v)))
				return found;
	} else if (json_is_array(tmpl)) {
		json_array_foreach(tmpl, i, v)
			if ((found = extra_home(v)))
				return found;
	}
	return NULL;
}

/* A code's body_code and type (format 2). */
static int load_code_v2(struct jload *ld, struct contract *c, json_t *obj,
			struct contract_code *cc, const struct envelope_info *env)
{
	json_t *v;

	if (contract_needs_v2(ld, c, obj, "body_code") || contract_needs_v2(ld, c, obj, "type"))
		return -1;
	cc->type = jload_string(ld, obj, "type", 0);
	if (ld->failed)
		return -1;
	if (cc->type && !env->types) {
		jpath_key(&ld->path, "type");
		return jload_fail(ld, 1, "code '%s' has a type but the envelope has no \"{{type}}\"", cc->code);
	}
	if (!cc->type && env->types && !cc->status_only) {
		jpath_key(&ld->path, "code");
		return jload_fail(ld, 1, "the envelope holds \"{{type}}\" but code '%s' has no type", cc->code);
	}
	v = json_object_get(obj, "body_code");
	if (v) {
		if (!json_is_null(v) && !json_is_integer(v) && !(json_is_string(v) && json_string_length(v))) {
			jpath_key(&ld->path, "body_code");
			return jload_fail(ld, 0, "body_code must be null, an integer or a non-empty string");
		}
		if (cc->status_only) {
			jpath_key(&ld->path, "body_code");
			return jload_fail(ld, 1, "a status-only entry has no code to carry in the body");
		}
		cc->body_code = v;
	}
	return 0;
}

/* A code's details and extra members, each allowed by the envelope. */
static int load_details_extra(struct jload *ld, const struct contract *c, json_t *obj, struct contract_code *cc,
			      const struct envelope_info *env)
{
	json_t *v;

	v = json_object_get(obj, "details");
	if (v) {
		jpath_key(&ld->path, "details");
		if (!json_is_object(v))
			jload_fail(ld, 0, "'details' must be an object");
		else if (!env->details)
			jload_fail(ld, 1, "code '%s' has details but the envelope has no {{details}} placeholder", cc->code);
		jpath_pop(&ld->path);
		cc->details = v;
	}
	v = json_object_get(obj, "extra");
	if (v) {
		jpath_key(&ld->path, "extra");
		if (!json_is_object(v))
			jload_fail(ld, 0, "'extra' must be an object");
		else if (!env->extras)
			jload_fail(ld, 1, "code '%s' has extra members but the envelope has no \"{{extra}}\" member", cc->code);
		else {
			/* an extra member beside the envelope's own would replace one of
			 * them: the mock would serve what errata check then fails */
			json_t *home = extra_home(c->error_envelope), *x;
			const char *key;

			json_object_foreach(v, key, x)
				if (home && json_object_get(home, key)) {
					jpath_key(&ld->path, key);
					jload_fail(ld, 0, "extra member '%s' of code '%s' is a member of the envelope already",
						   key, cc->code);
					jpath_pop(&ld->path);
					break;
				}
		}
		jpath_pop(&ld->path);
		cc->extra = v;
	}
	return ld->failed ? -1 : 0;

}

int contract_load_code(struct jload *ld, struct contract *c, json_t *obj,
		     struct contract_code *cc, const struct envelope_info *env,
		     const int *ra_statuses, size_t nr_ra, int ra_retryable_only)
{
	const char *role;
	int st;

	if (!json_is_object(obj))
		return jload_fail(ld, 0, "each code must be an object");
	if (jload_keys(ld, obj, "a code", code_keys))
		return -1;
	cc->code = jload_string(ld, obj, "code", 0);
	if (ld->failed)
		return -1;
	if (!valid_code(cc->code)) {
		jpath_key(&ld->path, "code");
		jload_fail(ld, 0, "code '%s' may hold only letters, digits, '_', '.' and '-'", cc->code);
		jpath_pop(&ld->path);
		return -1;
	}
	cc->name = jload_string(ld, obj, "name", 0);
	cc->message = jload_string(ld, obj, "message", 0);
	cc->description = jload_string(ld, obj, "description", 0);
	cc->domain = jload_string(ld, obj, "domain", 0);
	cc->category = jload_string(ld, obj, "category", 0);
	cc->resolution = jload_string(ld, obj, "resolution", 0);
	role = jload_string(ld, obj, "role", 0);
	cc->retryable = jload_bool(ld, obj, "retryable", 0);
	cc->status_only = jload_bool(ld, obj, "status_only", 0);
	if (ld->failed)
		return -1;

	jpath_key(&ld->path, "status");
	st = contract_check_status(ld, json_object_get(obj, "status"), c->format < 2);
	if (st >= 0 && st < 200)
		st = jload_fail(ld, 0, "status %d is not an error status (2xx with an error body, 4xx or 5xx)", st);
	else if (st >= 300 && st < 400)
		st = jload_fail(ld, 0, "status %d is a redirect, not an error", st);
	jpath_pop(&ld->path);
	if (st < 0)
		return -1;
	cc->status = st;
	if (load_code_v2(ld, c, obj, cc, env))
		return -1;

	cc->role = role_parse(role);
	if (cc->role < 0) {
		jpath_key(&ld->path, "role");
		jload_fail(ld, 0, "unknown role '%s' (see contracts/README.md for the vocabulary)", role);
		jpath_pop(&ld->path);
		return -1;
	}
	if (cc->status_only) {
		char want[16];

		snprintf(want, sizeof(want), "HTTP_%d", cc->status);
		if (strcmp(cc->code, want)) {
			jpath_key(&ld->path, "code");
			jload_fail(ld, 0, "a status-only entry for %d must be named '%s'", cc->status, want);
			jpath_pop(&ld->path);
			return -1;
		}
	}

	if (load_details_extra(ld, c, obj, cc, env))
		return -1;
	cc->retry_after = contract_has_status(ra_statuses, nr_ra, cc->status) &&
			  (cc->retryable || !ra_retryable_only);
	cc->retry_after = jload_bool(ld, obj, "retry_after", cc->retry_after);
	if (ld->failed || contract_load_code_body(ld, c, obj, cc) || contract_load_code_stream(ld, c, obj, cc))
		return -1;
	cc->inferred = get_inferred(ld, obj);
	(void)c;
	return ld->failed ? -1 : 0;
}
