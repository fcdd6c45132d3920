/*
 * A contract's operations (format 2): the method and path template of each
 * operation, the error statuses it is documented to return, and the codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract_ext.h"
#include "redact.h"

#define OP_PATH_MAX 2048

static const struct jkey op_keys[] = {
	{ "method", JREQUIRED }, { "path", JREQUIRED }, { "statuses", JREQUIRED },
	{ "codes", JOPTIONAL }, { "success", JOPTIONAL }, { "success_type", JOPTIONAL },
	{ "success_status", JOPTIONAL }, { "success_unavailable", JOPTIONAL }, { NULL, 0 }
};

static int method_valid(const char *m)
{
	static const char *const known[] = { "GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE", NULL };
	size_t i;

	for (i = 0; known[i]; i++)
		if (!strcmp(m, known[i]))
			return 1;
	return 0;
}

/* An operation's documented success: its body (any JSON; a string for a
 * media type other than JSON, sent as it is), media type and status; or
 * why none can be made. */
static int load_op_success(struct jload *ld, json_t *op)
{
	json_t *t = json_object_get(op, "success_type"), *st = json_object_get(op, "success_status");
	json_t *un = json_object_get(op, "success_unavailable");

	if (st && (!json_is_integer(st) || json_integer_value(st) < 200 || json_integer_value(st) > 299)) {
		jpath_key(&ld->path, "success_status");
		return jload_fail(ld, 0, "'success_status' must be a status from 200 to 299");
	}
	if (un && (!json_is_string(un) || !json_string_length(un) || json_object_get(op, "success"))) {
		jpath_key(&ld->path, "success_unavailable");
		return jload_fail(ld, 0, "'success_unavailable' is a reason (a string) for an operation without 'success'");
	}
	if (!t)
		return 0;
	jpath_key(&ld->path, "success_type");
	if (!json_is_string(t) || !contract_media_type_valid(json_string_value(t)))
		return jload_fail(ld, 0, "'success_type' must be a media type, type/subtype");
	if (!json_object_get(op, "success"))
		return jload_fail(ld, 1, "'success_type' names the media type of a 'success' body the operation does not give");
	if (!contract_media_is_json(json_string_value(t)) && !json_is_string(json_object_get(op, "success")))
		return jload_fail(ld, 1, "a 'success' of type %s is sent as it is: it must be a string",
				  json_string_value(t));
	jpath_pop(&ld->path);
	return 0;
}

static int load_op(struct jload *ld, const struct contract *c, json_t *op)
{
	const char *m, *p;
	json_t *v;
	size_t i;

	if (!json_is_object(op))
		return jload_fail(ld, 0, "an operation must be an object with method, path and statuses");
	if (jload_keys(ld, op, "operation", op_keys))
		return -1;
	if (!(m = jload_string(ld, op, "method", 0)) || !(p = jload_string(ld, op, "path", 0)))
		return -1;
	if (!method_valid(m)) {
		jpath_key(&ld->path, "method");
		return jload_fail(ld, 0, "method '%s' is not an HTTP method in upper case", m);
	}
	if (p[0] != '/' || strlen(p) > OP_PATH_MAX || strpbrk(p, " \t\r\n?#")) {
		jpath_key(&ld->path, "path");
		return jload_fail(ld, 0, "path '%.80s' is not a path template (a '/' first, no space, query or fragment)", p);
	}
	if (strstr(p, "+}") && strstr(strstr(p, "+}") + 2, "+}")) {
		jpath_key(&ld->path, "path");
		return jload_fail(ld, 0, "path '%.80s' has more than one greedy {name+} parameter", p);
	}
	jpath_key(&ld->path, "statuses");
	if (!json_is_array(json_object_get(op, "statuses")))
		return jload_fail(ld, 0, "'statuses' must be an array of HTTP statuses");
	json_array_foreach(json_object_get(op, "statuses"), i, v)
		if (!json_is_integer(v) || json_integer_value(v) < 100 || json_integer_value(v) > 599) {
			jpath_index(&ld->path, i);
			return jload_fail(ld, 0, "each status must be an integer from 100 to 599");
		}
	jpath_pop(&ld->path);
	if (load_op_success(ld, op))
		return -1;
	if (!(v = json_object_get(op, "codes")))
		return 0;
	jpath_key(&ld->path, "codes");
	if (!json_is_array(v))
		return jload_fail(ld, 0, "'codes' must be an array of the contract's codes");
	for (i = 0; i < json_array_size(v); i++) {
		const char *code = json_string_value(json_array_get(v, i));

		if (!code || !contract_find(c, code)) {
			jpath_index(&ld->path, i);
			return jload_fail(ld, 0, "'%s' is no code of the contract", code ? code : "(not a string)");
		}
	}
	jpath_pop(&ld->path);
	return 0;
}

/* 1 when a template names a parameter as a credential: "/bot{token}/...". */
static int template_has_secret(const char *t)
{
	char name[128];

	while (t && (t = strchr(t, '{'))) {
		size_t n = strcspn(t + 1, "}");

		snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) - 1 ? n : sizeof(name) - 1), t + 1);
		if (redact_is_secret_name(name))
			return 1;
		t += 1 + n;
	}
	return 0;
}

/* 1 when two entries carry one code on the wire (at different statuses:
 * the operation tells which). A set of wire codes, O(codes). */
static int wire_twins(const struct contract *c)
{
	json_t *seen = json_object();
	char key[64];
	const char *k;
	size_t i;
	int twins = 0;

	for (i = 0; i < c->nr_codes && seen && !twins; i++) {
		const struct contract_code *cc = &c->codes[i];

		if (cc->status_only)
			continue;
		k = cc->code;
		if (cc->body_code && json_is_integer(cc->body_code))
			snprintf(key, sizeof(key), "%" JSON_INTEGER_FORMAT, json_integer_value(cc->body_code)), k = key;
		else if (cc->body_code)
			k = json_is_string(cc->body_code) ? json_string_value(cc->body_code) : "\x01null";
		twins = json_object_get(seen, k) != NULL;
		json_object_set_new(seen, k, json_true());
	}
	json_decref(seen);
	return twins;
}

int contract_load_operations(struct jload *ld, struct contract *c, json_t *root)
{
	json_t *ops = json_object_get(root, "operations"), *v;
	size_t i;

	if (!ops && json_object_get(root, "operations_complete")) {
		jpath_key(&ld->path, "operations_complete");
		return jload_fail(ld, 0, "'operations_complete' says the operations are all the API's, but there are none");
	}
	if (!ops)
		return 0;
	if (contract_needs_v2(ld, c, root, "operations"))
		return -1;
	jpath_key(&ld->path, "operations");
	if (!json_is_array(ops))
		return jload_fail(ld, 0, "'operations' must be an array");
	for (i = 0; i < json_array_size(ops); i++) {
		jpath_index(&ld->path, i);
		if (load_op(ld, c, json_array_get(ops, i)))
			return -1;
		jpath_pop(&ld->path);
	}
	jpath_pop(&ld->path);
	c->operations = ops;
	c->nr_operations = json_array_size(ops);
	if ((v = json_object_get(root, "operations_complete")) && !json_is_boolean(v)) {
		jpath_key(&ld->path, "operations_complete");
		return jload_fail(ld, 0, "'operations_complete' must be true or false");
	}
	c->ops_complete = json_is_true(v);
	c->wire_twins = wire_twins(c);
	for (i = 0; i < c->nr_operations; i++)
		c->op_success |= json_object_get(json_array_get(ops, i), "success") != NULL ||
				 json_object_get(json_array_get(ops, i), "success_unavailable") != NULL;
	for (i = 0; i < c->nr_operations && !c->secret_paths; i++)
		c->secret_paths = template_has_secret(json_string_value(json_object_get(json_array_get(ops, i), "path")));
	return 0;
}

/* Does `path` (no query) match the template ("/v1/widgets/{id}"): each
 * "{name}" one non-empty segment, "{name+}" one or more (an OCI repository
 * "library/ubuntu", an S3 key "a/b.txt": AWS's greedy label), every other
 * byte the same? `depth` bounds the greedy labels' backtracking. */
static int path_matches_at(const char *tmpl, const char *path, int depth)
{
	while (*tmpl && *path) {
		if (*tmpl == '{') {
			const char *close = strchr(tmpl, '}');
			size_t seg = strcspn(path, "/");

			if (!close || !seg)
				return 0;
			if (close[-1] == '+' && depth < 1) {
				/* the shortest extent that lets the rest match */
				for (;;) {
					if (path_matches_at(close + 1, path + seg, depth + 1))
						return 1;
					if (path[seg] != '/' || !path[seg + 1] || path[seg + 1] == '/')
						return 0;
					seg += 1 + strcspn(path + seg + 1, "/");
				}
			}
			tmpl = close + 1;
			path += seg;
			continue;
		}
		if (*tmpl++ != *path++)
			return 0;
	}
	return !*tmpl && (!*path || (*path == '/' && !path[1]));
}

int contract_path_matches(const char *tmpl, const char *path)
{
	return path_matches_at(tmpl, path, 0);
}

json_t *contract_operation(const struct contract *c, const char *method, const char *path)
{
	char buf[OP_PATH_MAX + 1];
	size_t n = strcspn(path, "?#");

	if (!c->operations || n > OP_PATH_MAX)
		return NULL;
	memcpy(buf, path, n);
	buf[n] = '\0';
	return contract_route(c, method, buf, NULL);
}

static size_t params_in(const char *t)
{
	size_t n = 0;

	while ((t = strchr(t, '{')))
		n++, t++;
	return n;
}

/* Of the templates that match, the most literal ("/files/search" before
 * "/files/{id}"), so that the order of the operations does not matter. */
json_t *contract_route(const struct contract *c, const char *method, const char *path, int *other_method)
{
	json_t *best = NULL;
	size_t i, best_params = 0;

	if (other_method)
		*other_method = 0;
	for (i = 0; i < c->nr_operations; i++) {
		json_t *op = json_array_get(c->operations, i);
		const char *t = json_string_value(json_object_get(op, "path"));

		if (!contract_path_matches(t, path))
			continue;
		if (strcmp(json_string_value(json_object_get(op, "method")), method)) {
			if (other_method)
				*other_method = 1;
			continue;
		}
		if (!best || params_in(t) < best_params)
			best = op, best_params = params_in(t);
	}
	return best;
}

/* How many leading segments of `path` the template matches. */
static size_t shared_segments(const char *t, const char *path)
{
	size_t n = 0;

	while (*t == '/' && *path == '/') {
		size_t a = strcspn(t + 1, "/"), b = strcspn(path + 1, "/");

		if (!b || (!(t[1] == '{' && t[a] == '}') && (a != b || strncmp(t + 1, path + 1, a))))
			break;
		n++;
		t += 1 + a;
		path += 1 + b;
	}
	return n;
}

json_t *contract_nearest(const struct contract *c, const char *path)
{
	json_t *best = NULL;
	size_t i, most = 0;

	for (i = 0; i < c->nr_operations; i++) {
		json_t *op = json_array_get(c->operations, i);
		size_t n = shared_segments(json_string_value(json_object_get(op, "path")), path);

		if (n > most)
			best = op, most = n;
	}
	return best;
}

const struct contract_code *contract_operation_code(const struct contract *c, json_t *op, int status)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(op, "codes"), i, v) {
		const struct contract_code *cc = contract_find(c, json_string_value(v));

		if (cc && cc->status == status)
			return cc;
	}
	return NULL;
}

/* What an entry's code looks like in a body: body_code, else the code. */
static int same_wire(const struct contract_code *a, const struct contract_code *b)
{
	json_t *wa = a->body_code, *wb = b->body_code;

	if (wa || wb) {
		if (wa && wb)
			return json_equal(wa, wb);
		return json_is_string(wa ? wa : wb) && !strcmp(json_string_value(wa ? wa : wb), wa ? b->code : a->code);
	}
	return !strcmp(a->code, b->code);
}

static int op_lists(json_t *op, const struct contract_code *cc)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(op, "codes"), i, v)
		if (!strcmp(json_string_value(v), cc->code))
			return 1;
	return 0;
}

const struct contract_code *contract_operation_own(const struct contract *c, json_t *op,
						   const struct contract_code *cc)
{
	size_t i;

	if (op_lists(op, cc))
		return cc;
	for (i = 0; i < c->nr_codes; i++)
		if (!c->codes[i].status_only && same_wire(&c->codes[i], cc) && op_lists(op, &c->codes[i]))
			return &c->codes[i];
	return NULL;
}

/* How much of `p` a greedy "{name+}" takes when `rest` of the template
 * follows it: the extent path_matches_at() settles on (a query ends it). */
static size_t greedy_extent(const char *rest, const char *p)
{
	char buf[OP_PATH_MAX + 1];
	size_t n = strcspn(p, "?#"), seg = strcspn(p, "/");

	if (n > OP_PATH_MAX)
		return seg;
	memcpy(buf, p, n);
	buf[n] = '\0';
	for (;;) {
		if (path_matches_at(rest, buf + seg, 1))
			return seg;
		if (buf[seg] != '/' || !buf[seg + 1] || buf[seg + 1] == '/')
			return strcspn(p, "/");
		seg += 1 + strcspn(buf + seg + 1, "/");
	}
}

int contract_mask_path(const struct contract *c, const char *method, const char *path, char *out, size_t size,
		       struct redactor *r)
{
	json_t *op = c->secret_paths ? contract_operation(c, method, path) : NULL;
	const char *t = op ? json_string_value(json_object_get(op, "path")) : NULL, *p = path;
	size_t o = 0;
	int masked = 0;

	if (!t || !size)
		return 0;
	while (*t && *p && o + 1 < size) {
		if (*t == '{') {
			size_t n = strcspn(t + 1, "}"), seg = strcspn(p, "/");
			char name[128];

			if (n && t[n] == '+' && t[n + 1] == '}') /* {key+}: every segment it spans */
				seg = greedy_extent(t + n + 2, p);
			snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) - 1 ? n : sizeof(name) - 1), t + 1);
			if (redact_is_secret_name(name)) {
				char *v = r ? strndup(p, seg) : NULL;

				if (v)
					redactor_add_forms(r, v);
				free(v);
				o += (size_t)snprintf(out + o, size - o, "{%s}", name);
				masked = 1;
			} else {
				o += (size_t)snprintf(out + o, size - o, "%.*s", (int)seg, p);
			}
			t += n + 2;
			p += seg;
			continue;
		}
		out[o++] = *p++;
		t++;
	}
	if (o >= size) /* cut: a mask must not be lost to it */
		o = size - 1;
	out[o] = '\0';
	if (masked && o + strlen(p) < size)
		strcat(out, p); /* the query, or a trailing '/' */
	return masked;
}
