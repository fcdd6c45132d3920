/*
 * errata contract import for OpenAPI descriptions: walk every operation's
 * error responses (and components/responses), read what they state into the
 * importer's document (import_doc.h), let the importer's rules fill the
 * rest, then set what the description states outright: the headers it
 * declares, its media type and its operations.
 */
#include "openapi.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "import_doc.h"
#include "openapi_int.h"
#include "../model/utf8.h"

static const char *const methods[] = { "get", "put", "post", "delete", "options", "head", "patch", "trace", NULL };

int openapi_sniff(const char *text, size_t len)
{
	size_t n = len < 65536 ? len : 65536, i = 0;

	while (i < n && isspace((unsigned char)text[i]))
		i++;
	if (i < n && text[i] == '{') {
		const char *p = memmem(text, n, "\"openapi\"", 9);
		const char *q = memmem(text, n, "\"swagger\"", 9);

		return p || q;
	}
	for (i = 0; i < n; i++) {
		if (i && text[i - 1] != '\n')
			continue;
		if ((n - i >= 8 && !strncmp(text + i, "openapi:", 8)) ||
		    (n - i >= 8 && !strncmp(text + i, "swagger:", 8)) ||
		    (n - i >= 10 && (!strncmp(text + i, "\"openapi\":", 10) || !strncmp(text + i, "'openapi':", 10))))
			return 1;
	}
	return 0;
}

static void say(struct oas *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Add a line to what the description says (the rules read it, as a page). */
static void say(struct oas *o, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (o->text_len + (size_t)n + 2 > o->text_cap && o->text_len + n + 2 < ((size_t)8 << 20)) {
		size_t cap = (o->text_cap + (size_t)n + 2) * 2;
		char *t = realloc(o->text, cap);

		if (t) {
			o->text = t;
			o->text_cap = cap;
		}
	}
	if (o->text_len + (size_t)n + 2 <= o->text_cap) {
		memcpy(o->text + o->text_len, s, (size_t)n);
		o->text_len += (size_t)n;
		o->text[o->text_len++] = '\n';
		o->text[o->text_len] = '\0';
	}
	free(s);
}

/* The first sentence or line of a description, at most 160 bytes (a UTF-8
 * boundary), as a status's meaning; a new string. */
static char *first_sentence(const char *desc)
{
	size_t n = strcspn(desc, "\n"), k;
	const char *dot;

	for (dot = desc; (dot = strstr(dot, ". ")) && (size_t)(dot - desc) < n; dot++) {
		n = (size_t)(dot - desc) + 1;
		break;
	}
	k = utf8_cut(desc, n, 160);
	return strndup(desc, k);
}

/* 400..599 -> itself; "4XX"/"5XX" -> 400/500 (*range); "default" -> 0; else -1. */
static int status_of(const char *key, int *range)
{
	*range = 0;
	if (!strcmp(key, "default"))
		return 0;
	if ((key[0] == '4' || key[0] == '5') && strlen(key) == 3 && !strcasecmp(key + 1, "xx")) {
		*range = 1;
		return (key[0] - '0') * 100;
	}
	if (strlen(key) == 3 && strspn(key, "0123456789") == 3 && key[0] >= '4' && key[0] <= '5')
		return atoi(key);
	return -1;
}

/* The header's limiter field, by its name (lower case), or NULL. */
static const char *family_field(const char *h)
{
	static const struct { const char *suffix, *field; } map[] = {
		{ "-limit", "limit" }, { "-remaining", "remaining" }, { "-used", "used" },
		{ "-reset-after", "reset_after" }, { "-reset", "reset_at" }, { NULL, NULL }
	};
	size_t i, hl = strlen(h);

	if (strncmp(h, "x-ratelimit", 11) && strncmp(h, "ratelimit", 9) && strncmp(h, "x-rate-limit", 12))
		return NULL;
	for (i = 0; map[i].suffix; i++) {
		size_t sl = strlen(map[i].suffix);

		if (hl > sl && !strcmp(h + hl - sl, map[i].suffix))
			return map[i].field;
	}
	return NULL;
}

static void add_unique_int(json_t *a, int v)
{
	json_t *x;
	size_t i;

	json_array_foreach(a, i, x)
		if (json_integer_value(x) == v)
			return;
	json_array_append_new(a, json_integer(v));
}

static void read_headers(struct oas *o, json_t *resp, int st, const char *where)
{
	const char *name;
	json_t *h;

	json_object_foreach(json_object_get(resp, "headers"), name, h) {
		char low[128];
		size_t i;
		const char *field;

		for (i = 0; name[i] && i + 1 < sizeof(low); i++)
			low[i] = (char)tolower((unsigned char)name[i]);
		low[i] = '\0';
		if (!name[0] || name[i] || strspn(low, "abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~") != i) {
			import_note(o->d, "'%.60s' of %s is not a header name; it is not read", name, where);
			continue;
		}
		say(o, "header %s", name);
		if (!strcmp(low, "retry-after")) {
			if (st > 0)
				add_unique_int(o->ra_statuses, st);
		} else if (strstr(low, "request-id") || strstr(low, "request_id") || !strcmp(low, "x-trace-id")) {
			if (!o->request_id_header)
				o->request_id_header = strdup(low);
		} else if (!strcmp(low, "retry-after-ms")) {
			o->ms_header = 1;
		} else if (strstr(low, "should-retry")) {
			if (!o->retry_hint)
				o->retry_hint = strdup(low);
		} else if ((field = family_field(low))) {
			json_object_set_new(o->families, low, json_string(field));
		} else if (!strncmp(low, "x-ratelimit", 11) || !strncmp(low, "ratelimit", 9)) {
			import_note(o->d, "the header %s of %s names no limiter field errata knows; it is not sent", name, where);
		}
	}
}

/* The body at o->code_path in example ex: its code, message and type. */
static json_t *code_at(struct oas *o, json_t *ex, json_t **holder)
{
	json_t *v = ex, *k;
	size_t i;

	*holder = NULL;
	json_array_foreach(o->code_path, i, k) {
		*holder = v;
		v = json_is_integer(k) ? json_array_get(v, (size_t)json_integer_value(k)) /* a list of errors */
				       : json_object_get(v, json_string_value(k));
	}
	return v;
}

static void code_from_example(struct oas *o, json_t *ex, int st, int range, const char *desc,
			      json_t *codes, const char *where)
{
	json_t *holder, *v = code_at(o, ex, &holder), *m;
	struct icode *ic;
	char num[32];
	const char *code;
	int null_code = 0;

	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		code = num;
	} else if ((json_is_null(v) || !v) && o->has_type && json_is_string(json_object_get(holder, "type"))) {
		/* OpenAI's {"type": "server_error", "code": null}: the type names the entry */
		code = json_string_value(json_object_get(holder, "type"));
		null_code = 1;
	} else if (!json_is_string(v)) {
		import_found(o->d, "the example of %s shows no code at the envelope's code member; it gives no code", where);
		return;
	} else {
		code = json_string_value(v);
	}
	if (!import_valid_code(code)) {
		import_note(o->d, "the example of %s gives the code '%.80s', which is not a code errata can name", where, code);
		return;
	}
	o->nr_examples++;
	if ((ic = import_find_code(o->d, code))) {
		if (st && ic->status && ic->status != st)
			import_warn(o->d, "the code %s is shown on %d (%s) and on %d responses", code, st, where, ic->status);
		json_array_append_new(codes, json_string(code));
		return;
	}
	if (!(ic = import_add_code(o->d, code)))
		return;
	json_array_append_new(codes, json_string(code));
	ic->status = st ? st : 500;
	ic->retry = -1;
	if (!st)
		import_infer(ic, "status", "only the 'default' response of %s shows this code, and it states no status; 500 is assumed", where);
	else if (range)
		import_infer(ic, "status", "the response of %s is for the range %dxx; %d stands for it", where, st / 100, st);
	m = json_object_get(holder, "message");
	if (json_is_string(m) && *json_string_value(m)) {
		ic->message = strdup(json_string_value(m));
	} else if (desc && *desc) {
		ic->message = first_sentence(desc);
		import_infer(ic, "message", "the example shows no message; the response's description is used");
	}
	if (o->has_type && json_is_string(json_object_get(holder, "type")))
		ic->type = strdup(json_string_value(json_object_get(holder, "type")));
	if (null_code) {
		ic->body_code = json_null();
		import_infer(ic, "code", "the example's code is null; errata names the entry after its type");
	} else if (json_is_integer(v)) {
		ic->body_code = json_incref(v);
	}
	import_explain(ic, "the example of the %s response of %s", st ? "error" : "default", where);
}

/* Every example a media type shows: example, examples.*.value, the schema's.
 * `file` is the media type's document (its $refs are relative to it). */
static int read_examples(struct oas *o, json_t *media, json_t *schema, const char *file, int st, int range,
			 const char *desc, json_t *codes, const char *where)
{
	const char *k;
	json_t *e;

	if (json_object_get(media, "example"))
		code_from_example(o, json_object_get(media, "example"), st, range, desc, codes, where);
	json_object_foreach(json_object_get(media, "examples"), k, e) {
		const char *f = file;
		json_t *x = oas_deref(&o->files, e, &f);

		if (!x)
			return -1;
		if (json_object_get(x, "value"))
			code_from_example(o, json_object_get(x, "value"), st, range, desc, codes, where);
		else if (json_object_get(x, "externalValue"))
			import_note(o->d, "the example '%s' of %s is external; errata does not fetch it", k, where);
	}
	if (!json_object_get(media, "example") && !json_object_get(media, "examples") &&
	    json_is_object(json_object_get(schema, "example")))
		code_from_example(o, json_object_get(schema, "example"), st, range, desc, codes, where);
	return 0;
}

static json_t *json_media(json_t *content, const char **type)
{
	const char *k;
	json_t *v;

	json_object_foreach(content, k, v)
		if (strstr(k, "json")) {
			*type = k;
			return v;
		}
	return NULL;
}

/* The survey: how many error responses use each schema (the envelope is the
 * most used one's). Returns an empty array to go on with, or NULL. */
static json_t *survey_response(struct oas *o, json_t *resp, const char *file, const char *where)
{
	const char *mt, *sf = file;
	json_t *media = json_media(json_object_get(resp, "content"), &mt), *schema;
	size_t i;

	if (!media || !json_object_get(media, "schema"))
		return o->empty;
	if (!(schema = oas_deref(&o->files, json_object_get(media, "schema"), &sf)))
		return NULL;
	for (i = 0; i < o->nr_uses; i++)
		if (o->uses[i].schema == schema) {
			o->uses[i].n++;
			return o->empty;
		}
	if (o->nr_uses < OAS_MAX_SCHEMAS) {
		o->uses[o->nr_uses].schema = schema;
		o->uses[o->nr_uses].file = sf;
		snprintf(o->uses[o->nr_uses].where, sizeof(o->uses[0].where), "%s", where);
		o->uses[o->nr_uses++].n = 1;
	}
	return o->empty;
}

static int cmp_uses(const void *a, const void *b)
{
	const struct oas_use *x = a, *y = b;

	return (y->n > x->n) - (y->n < x->n);
}

/* The envelope: the schema most error responses use that can be one. */
static void choose_envelope(struct oas *o)
{
	size_t i;

	qsort(o->uses, o->nr_uses, sizeof(o->uses[0]), cmp_uses);
	for (i = 0; i < o->nr_uses && !o->tmpl; i++)
		oas_consider_schema(o, o->uses[i].schema, o->uses[i].file, o->uses[i].where);
	if (o->tmpl)
		import_found(o->d, "%zu error schemas; the envelope's is used by %zu error responses", o->nr_uses,
			     o->uses[i - 1].n);
}

/* One error response (read once per node and status); its codes, borrowed. */
static json_t *read_response(struct oas *o, json_t *resp, const char *file, int st, int range, const char *where)
{
	const char *desc = json_string_value(json_object_get(resp, "description")), *mt = NULL, *sf = file;
	json_t *codes, *media, *schema = NULL, *content = json_object_get(resp, "content");
	char key[64];

	if (o->survey)
		return survey_response(o, resp, file, where);
	snprintf(key, sizeof(key), "%p", (void *)resp);
	json_object_set_new(o->used, key, json_true());
	snprintf(key, sizeof(key), "%p/%d", (void *)resp, st);
	if ((codes = json_object_get(o->seen, key)))
		return codes;
	codes = json_array();
	json_object_set_new(o->seen, key, codes);
	o->nr_responses++;
	say(o, "%d %s", st, desc ? desc : "");
	if (st > 0 && desc && *desc) {
		char *m = first_sentence(desc);

		if (m)
			import_add_status(o->d, st, m);
		free(m);
	}
	read_headers(o, resp, st, where);
	media = json_media(content, &mt);
	if (!media) {
		if (json_object_size(content))
			import_found(o->d, "%s: %s body is not JSON; it gives no envelope", where, "its");
		return codes;
	}
	if (!o->ctype || strstr(mt, "problem"))
		o->ctype = strstr(mt, "problem") ? "application/problem+json" : "application/json";
	if (json_object_get(media, "schema") && !(schema = oas_deref(&o->files, json_object_get(media, "schema"), &sf)))
		return NULL;

	if (schema && schema == o->tmpl_schema && o->code_enum && st > 0)
		add_unique_int(o->enum_statuses, st);
	else if (schema && o->tmpl_schema && schema != o->tmpl_schema && !o->other_schema++)
		import_note(o->d, "%s uses an error schema other than the envelope's; its members are not checked", where);
	if (o->code_path && read_examples(o, media, schema, file, st, range, desc, codes, where))
		return NULL;
	if (o->files.failed)  /* a $ref the schema walk could not follow */
		return NULL;
	if (!st && !json_array_size(codes)) {
		o->nr_defaults++;
		import_found(o->d, "the 'default' response of %s states no status and shows no code; it is not imported", where);
	}
	else if (range)
		import_note(o->d, "the %dXX response of %s is read as %d", st / 100, where, st);
	return codes;
}

static int read_operation(struct oas *o, const char *method, const char *path, json_t *op, const char *file)
{
	const char *k, *rf = file;
	json_t *responses = oas_deref(&o->files, json_object_get(op, "responses"), &rf), *r, *opj;
	char where[300];

	o->nr_ops += !o->survey;
	if (!responses)
		return o->files.failed ? -1 : 0;
	opj = json_pack("{s:s,s:s,s:[],s:[]}", "method", method, "path", path, "statuses", "codes");
	json_object_foreach(responses, k, r) {
		const char *f = rf;
		int range, st = status_of(k, &range);
		json_t *resp, *codes, *c;
		size_t i;

		if (st < 0)
			continue;
		snprintf(where, sizeof(where), "%s %.200s %s", method, path, k);
		if (!(resp = oas_deref(&o->files, r, &f)) || !(codes = read_response(o, resp, f, st, range, where))) {
			json_decref(opj);
			return -1;
		}
		if (st)
			add_unique_int(json_object_get(opj, "statuses"), st);
		json_array_foreach(codes, i, c)
			json_array_append(json_object_get(opj, "codes"), c);
	}
	if (!o->survey) { /* every operation: an SDK's suite calls them all */
		snprintf(where, sizeof(where), "%s %.200s", method, path);
		oas_success(o, op, file, opj, where);
		json_array_append(o->ops, opj);
	}
	json_decref(opj);
	return 0;
}

/* Header parameters that name an idempotency key, for the rules. */
static void read_parameters(struct oas *o, json_t *params, const char *file, const char *method)
{
	json_t *p;
	size_t i;

	json_array_foreach(params, i, p) {
		const char *f = file, *name;

		if (!(p = oas_deref(&o->files, p, &f)))
			return;
		name = json_string_value(json_object_get(p, "name"));
		if (name && strcasestr(name, "idempotency") && !o->survey)
			say(o, "parameter %s %s", name, method);
	}
}

static int read_paths(struct oas *o, json_t *root)
{
	const char *file = oas_root_name(&o->files), *key;
	json_t *paths = oas_deref(&o->files, json_object_get(root, "paths"), &file), *item;
	size_t m;

	if (!paths)
		return o->files.failed ? -1 : 0;
	json_object_foreach(paths, key, item) {
		const char *f = file, *path = key;
		char tmpl[1024];

		if (path[0] != '/')
			continue;
		if (strcspn(path, "?#") < strlen(path) || strlen(path) >= sizeof(tmpl)) {
			/* OpenAI keys variants of one path by a query ("/responses?beta=true") */
			snprintf(tmpl, sizeof(tmpl), "%.*s", (int)strcspn(path, "?#"), path);
			import_found(o->d, "the path '%.200s' carries a query; its operations are read as '%s'", path, tmpl);
			path = tmpl;
		}
		if (!(item = oas_deref(&o->files, item, &f)))
			return -1;
		for (m = 0; methods[m]; m++) {
			const char *of = f;
			json_t *op = json_object_get(item, methods[m]);
			char up[8];
			size_t i;

			if (!op)
				continue;
			for (i = 0; methods[m][i]; i++)
				up[i] = (char)toupper((unsigned char)methods[m][i]);
			up[i] = '\0';
			if (!(op = oas_deref(&o->files, op, &of)))
				return -1;
			read_parameters(o, json_object_get(item, "parameters"), f, up);
			read_parameters(o, json_object_get(op, "parameters"), of, up);
			if (read_operation(o, up, path, op, of))
				return -1;
		}
	}
	return 0;
}

/* components/responses that no operation used are errors too. */
static int read_components(struct oas *o, json_t *root)
{
	const char *file = oas_root_name(&o->files), *name;
	json_t *rs = json_object_get(json_object_get(root, "components"), "responses"), *r;

	json_object_foreach(rs, name, r) {
		const char *f = file;
		json_t *resp = oas_deref(&o->files, r, &f);
		int range, st;
		char where[200];

		if (!resp)
			return -1;
		st = status_of(name, &range);
		snprintf(where, sizeof(where), "components/responses/%.120s", name);
		if (st < 0) {  /* named, not numbered: only a use gives its status */
			char key[64];

			snprintf(key, sizeof(key), "%p", (void *)resp);
			if (!json_object_get(o->used, key))
				import_found(o->d, "%s is used by no operation, so no status is known for it; it is not imported", where);
			continue;
		}
		if (!read_response(o, resp, f, st, range, where))
			return -1;
	}
	return 0;
}

/* What the code member's description says of one enum value: "* `not_found`
 * - 404: the requested resource was not found." gives its status, message
 * and retry advice. 1 when it gives a status. */
static int enum_doc(struct oas *o, struct icode *ic)
{
	const char *doc = json_string_value(o->code_doc), *p = doc, *q;
	size_t n = strlen(ic->code);
	char *line;
	int st;

	for (; p && (p = strstr(p, ic->code)); p += n) {
		if ((p > doc && (isalnum((unsigned char)p[-1]) || p[-1] == '_')) || isalnum((unsigned char)p[n]) || p[n] == '_')
			continue;
		q = p + n + strspn(p + n, "`*\" ");
		q += strspn(q, "-:\xe2\x80\x93 ");  /* '-', ':' or an en dash */
		if (!isdigit((unsigned char)q[0]) || !isdigit((unsigned char)q[1]) || !isdigit((unsigned char)q[2]) ||
		    isdigit((unsigned char)q[3]) || (st = atoi(q)) < 400 || st > 599)
			continue;
		ic->status = st;
		q += 3;
		while (*q == '/' && isdigit((unsigned char)q[1]))  /* "409/422": the first */
			q += 4;
		q += strspn(q, " :-");
		if ((line = strndup(q, strcspn(q, "\n"))) && *line) {
			free(ic->message);
			ic->message = line;
			ic->retry = import_retry_advice(line);
			line = NULL;
		}
		free(line);
		import_explain(ic, "the code member's description: \"%.60s\"", p);
		return 1;
	}
	return 0;
}

/* Is st one of the statuses the envelope's schema is used on? */
static int allowed(const struct oas *o, int st)
{
	json_t *v;
	size_t i;

	json_array_foreach(o->enum_statuses, i, v)
		if (json_integer_value(v) == st)
			return 1;
	return 0;
}

/* The code member's enum: codes the description allows, on the statuses
 * whose responses use the envelope's schema. */
static void read_enum(struct oas *o)
{
	json_t *v;
	size_t i, k;
	int first = 0, named, guess;
	char list[200] = "";
	const char *why;

	if (!o->code_enum || !json_array_size(o->enum_statuses))
		return;
	json_array_foreach(o->enum_statuses, k, v) {
		int st = (int)json_integer_value(v);

		if (!first || st < first)
			first = st;
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%d", k ? ", " : "", st);
	}
	json_array_foreach(o->code_enum, i, v) {
		const char *code = json_string_value(v);
		struct icode *ic;

		if (code && (ic = import_find_code(o->d, code))) {
			/* shown by an example on a 'default' response: the description's status wins */
			if (json_object_get(ic->inferred, "status") && enum_doc(o, ic))
				json_object_del(ic->inferred, "status");
			continue;
		}
		if (!code || !import_valid_code(code))
			continue;
		if ((named = import_status_of_name(code)) && named < 400) {
			import_note(o->d, "the code enum's '%s' names a success (%d); it is no error", code, named);
			continue;
		}
		if (!(ic = import_add_code(o->d, code)))
			continue;
		o->nr_enums++;
		ic->status = first;
		ic->retry = -1;
		import_explain(ic, "the enum of the error schema's code member");
		if (enum_doc(o, ic))
			continue;
		if (named && named != first) {
			ic->status = named;
			import_infer(ic, "status", "the description states no status for it; the code is the name of %d (%s)",
				     named, import_reason_phrase(named) ? import_reason_phrase(named) : "its reason phrase");
			continue;
		}
		if (json_array_size(o->enum_statuses) > 1 && allowed(o, guess = import_guess_status(o->d, ic, &why))) {
			ic->status = guess;
			import_infer(ic, "status", "the schema allows this code on %s responses and says no more; %s", list, why);
		} else if (json_array_size(o->enum_statuses) > 1) {
			import_infer(ic, "status", "the schema allows this code on %s responses and says no more; %d is assumed",
				     list, first);
		}
	}
}

static void oas_release(struct oas *o)
{
	oas_files_release(&o->files);
	json_decref(o->tmpl);
	json_decref(o->code_path);
	json_decref(o->code_enum);
	json_decref(o->code_doc);
	json_decref(o->enum_statuses);
	json_decref(o->seen);
	json_decref(o->used);
	json_decref(o->tried);
	json_decref(o->empty);
	json_decref(o->pending);
	json_decref(o->ops);
	json_decref(o->streams);
	json_decref(o->ra_statuses);
	json_decref(o->families);
	free(o->request_id_header);
	free(o->retry_hint);
	free(o->text);
}

static json_t *import_root(struct oas *o, json_t *root, const char *path, const char *id, json_t *report,
			   struct load_error *err)
{
	json_t *info = json_object_get(root, "info"), *c = NULL;
	const char *title = json_string_value(json_object_get(info, "title"));
	const char *ver = json_string_value(json_object_get(root, "openapi"));

	if (!ver && json_object_get(root, "swagger")) {
		snprintf(err->text, sizeof(err->text), "Swagger 2.0 is not read; convert it to OpenAPI 3 first");
		return NULL;
	}
	if (!ver || (strncmp(ver, "3.0", 3) && strncmp(ver, "3.1", 3))) {
		snprintf(err->text, sizeof(err->text), "'openapi' is %s%s%s; errata reads OpenAPI 3.0 and 3.1",
			 ver ? "'" : "", ver ? ver : "missing", ver ? "'" : "");
		return NULL;
	}
	say(o, "# %s errors", title ? title : "API");
	o->survey = 1;
	if (read_paths(o, root))
		return NULL;
	o->survey = 0;
	choose_envelope(o);
	if (o->over[0]) {
		snprintf(err->text, sizeof(err->text), "%.200s", o->over);
		return NULL;
	}
	if (read_paths(o, root) || read_components(o, root))
		return NULL;
	read_enum(o);
	import_found(o->d, "%zu operations, %zu distinct error responses, %zu codes from examples, %zu from the code's enum; %zu files, %zu $refs followed",
		     o->nr_ops, o->nr_responses, o->nr_examples, o->nr_enums, json_object_size(o->files.docs), o->files.nr_refs);
	if (!o->tmpl)
		import_note(o->d, "no error response has a JSON schema with a member for the code or the message; the envelope is assumed");
	/* the rules read what the description said */
	free(o->d->text);
	o->d->text = o->text ? o->text : strdup("");
	o->text = NULL;
	free(o->d->lines); free(o->d->offs); free(o->d->linebuf);
	o->d->lines = NULL; o->d->offs = NULL; o->d->linebuf = NULL;
	if (!o->d->text || import_split_lines(o->d)) {
		snprintf(err->text, sizeof(err->text), "out of memory");
		return NULL;
	}
	oas_drop_untyped(o);
	o->d->envelope = json_incref(o->tmpl);
	if (!(c = import_build(o->d, path, id))) {
		snprintf(err->text, sizeof(err->text), "no error responses (4xx, 5xx, or default with a code) in %zu operations%s",
			 o->nr_ops, o->nr_defaults ? "; their 'default' responses state no status and show no code" : "");
		return NULL;
	}
	if (ver)
		json_object_set_new(c, "version", json_string(json_string_value(json_object_get(info, "version")) ?
							      json_string_value(json_object_get(info, "version")) : ver));
	oas_patch(o, c);
	import_report(o->d, report);
	import_verify(&c, err);
	return c;
}

json_t *openapi_import(const char *text, size_t len, const char *path, const char *id,
		       json_t *report, struct load_error *err)
{
	struct load_error e;
	struct oas o = { 0 };
	json_t *root, *c = NULL;

	if (!err)
		err = &e;
	memset(err, 0, sizeof(*err));
	snprintf(err->source, sizeof(err->source), "%s", path);
	if (!(root = oas_files_init(&o.files, text, len, path, err)))
		goto out;
	o.d = import_doc_new(strdup(""));
	o.seen = json_object();
	o.used = json_object();
	o.ops = json_array();
	o.streams = json_array();
	o.ra_statuses = json_array();
	o.families = json_object();
	o.enum_statuses = json_array();
	o.tried = json_object();
	o.pending = json_array();
	o.empty = json_array();
	if (!o.d || !o.tried || !o.pending || !o.empty || !o.seen || !o.used || !o.ops || !o.ra_statuses || !o.families || !o.enum_statuses) {
		snprintf(err->text, sizeof(err->text), "out of memory");
		goto out;
	}
	o.d->structured = 1;
	if (!json_is_object(root)) {
		snprintf(err->text, sizeof(err->text), "the description is not a mapping");
		goto out;
	}
	c = import_root(&o, root, path, id, report, err);
out:
	if (!c && o.files.failed && !err->text[0])
		snprintf(err->text, sizeof(err->text), "the description cannot be read");
	import_doc_free(o.d);
	oas_release(&o);
	return c;
}
