/*
 * Loading fixture files strictly: unknown keys, unknown codes and roles, and
 * malformed requests are errors with the file's line and column.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fixture.h"

void fixtures_init(struct fixtures *f)
{
	memset(f, 0, sizeof(*f));
}

static void case_release(struct fixture_case *fc)
{
	size_t i;

	for (i = 0; i < fc->nr_headers; i++)
		free(fc->headers[i]);
	free(fc->headers);
	free(fc->name);
	free(fc->source);
	free(fc->method);
	free(fc->path);
	free(fc->body);
	free(fc->other_body);
}

void fixtures_release(struct fixtures *f)
{
	size_t i;

	for (i = 0; i < f->nr; i++)
		case_release(&f->v[i]);
	free(f->v);
	fixtures_init(f);
}

static struct fixture_case *add_case(struct fixtures *f)
{
	if (f->nr == f->alloc) {
		size_t alloc = f->alloc ? 2 * f->alloc : 32;
		struct fixture_case *v = realloc(f->v, alloc * sizeof(*v));

		if (!v)
			return NULL;
		f->v = v;
		f->alloc = alloc;
	}
	memset(&f->v[f->nr], 0, sizeof(f->v[0]));
	f->v[f->nr].role = -1;
	return &f->v[f->nr++];
}

static const struct jkey file_keys[] = { { "cases", JREQUIRED }, { NULL, 0 } };
static const struct jkey case_keys[] = {
	{ "name", JREQUIRED }, { "kind", JOPTIONAL }, { "request", JREQUIRED },
	{ "expect", JOPTIONAL }, { "other_body", JOPTIONAL }, { "count", JOPTIONAL }, { NULL, 0 }
};
static const struct jkey request_keys[] = {
	{ "method", JREQUIRED }, { "path", JREQUIRED }, { "headers", JOPTIONAL },
	{ "body", JOPTIONAL }, { NULL, 0 }
};
static const struct jkey expect_keys[] = {
	{ "code", JOPTIONAL }, { "role", JOPTIONAL }, { "status", JOPTIONAL },
	{ "any_error", JOPTIONAL }, { NULL, 0 }
};

static char *body_text(json_t *v)
{
	return json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* A case's request: method, path, headers (null removes the run's), body. */
static int load_request(struct jload *ld, json_t *o, struct fixture_case *fc)
{
	json_t *req = jload_enter(ld, o, "request", request_keys), *h, *v;
	const char *method, *path, *key;

	if (!req)
		return -1;
	method = jload_string(ld, req, "method", 0);
	path = jload_string(ld, req, "path", 0);
	if (ld->failed)
		return -1;
	if (path[0] != '/' || strpbrk(path, " \r\n")) {
		jpath_key(&ld->path, "path");
		return jload_fail(ld, 0, "path must start with '/' and hold no spaces or line breaks");
	}
	if (strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(method)) {
		jpath_key(&ld->path, "method");
		return jload_fail(ld, 0, "method '%s' must be an upper-case token", method);
	}
	fc->method = strdup(method);
	fc->path = strdup(path);
	if ((h = json_object_get(req, "headers"))) {
		jpath_key(&ld->path, "headers");
		if (!json_is_object(h))
			return jload_fail(ld, 0, "headers must be an object of name: value");
		fc->headers = calloc(json_object_size(h) + 1, sizeof(char *));
		json_object_foreach(h, key, v) {
			size_t len;

			jpath_key(&ld->path, key);
			if (!*key || strpbrk(key, " :\r\n\t") || (!json_is_string(v) && !json_is_null(v)) ||
			    (json_is_string(v) && strpbrk(json_string_value(v), "\r\n")))
				return jload_fail(ld, 1, "header '%s' needs a token name and a one-line string value (or null to remove it)", key);
			len = strlen(key) + (json_is_string(v) ? json_string_length(v) : 0) + 3;
			fc->headers[fc->nr_headers] = malloc(len);
			if (json_is_null(v)) /* "Name:" removes the run's header of that name */
				snprintf(fc->headers[fc->nr_headers++], len, "%s:", key);
			else
				snprintf(fc->headers[fc->nr_headers++], len, "%s: %s", key, json_string_value(v));
			jpath_pop(&ld->path);
		}
		jpath_pop(&ld->path);
	}
	if ((v = json_object_get(req, "body")))
		fc->body = body_text(v);
	jpath_pop(&ld->path);
	return 0;
}

/* A case's expectation: exactly one of a code, a role or any error. */
static int load_expect(struct jload *ld, json_t *o, const struct contract *c, struct fixture_case *fc)
{
	json_t *exp = json_object_get(o, "expect");
	const char *code, *role;
	long long n;

	if (!exp) {
		if (fc->kind != CASE_IDEMPOTENCY)
			return jload_fail(ld, 0, "a %s case needs an expect", fc->kind == CASE_BURST ? "burst" : "plain");
		return 0;
	}
	if (!jload_enter(ld, o, "expect", expect_keys))
		return -1;
	code = jload_string(ld, exp, "code", 0);
	role = jload_string(ld, exp, "role", 0);
	fc->any_error = jload_bool(ld, exp, "any_error", 0);
	if (jload_int(ld, exp, "status", 400, 599, 0, &n))
		return -1;
	fc->status = (int)n;
	if (ld->failed)
		return -1;
	if (!!code + !!role + !!fc->any_error != 1)
		return jload_fail(ld, 0, "expect needs exactly one of code, role or any_error");
	if (code && !(fc->code = contract_find(c, code))) {
		jpath_key(&ld->path, "code");
		return jload_fail(ld, 0, "'%s' is not a code of %s", code, c->id);
	}
	if (role) {
		fc->role = role_parse(role);
		jpath_key(&ld->path, "role");
		if (fc->role < 0)
			return jload_fail(ld, 0, "unknown role '%s'", role);
		if (!contract_find_role(c, fc->role))
			return jload_fail(ld, 0, "no code of %s has the role '%s'", c->id, role);
		jpath_pop(&ld->path);
	}
	jpath_pop(&ld->path);
	return 0;
}

static int load_case(struct jload *ld, json_t *o, const struct contract *c,
		     struct fixture_case *fc, const char *file)
{
	static const char *const kinds[] = { [CASE_PLAIN] = "plain", [CASE_IDEMPOTENCY] = "idempotency",
					     [CASE_BURST] = "burst" };
	const char *kind;
	char src[600];
	int line = 0, col = 0;
	long long n;
	json_t *v;

	if (!json_is_object(o))
		return jload_fail(ld, 0, "each case must be an object");
	if (jload_keys(ld, o, "a case", case_keys))
		return -1;
	jsonpos_find(ld->text, ld->len, &ld->path, 0, &line, &col);
	snprintf(src, sizeof(src), "%s:%d", file, line);
	fc->source = strdup(src);
	fc->name = strdup(jload_string(ld, o, "name", 0) ? jload_string(ld, o, "name", 0) : "");
	kind = jload_string(ld, o, "kind", 0);
	if (ld->failed)
		return -1;
	for (fc->kind = CASE_PLAIN; kind && strcmp(kinds[fc->kind], kind) && fc->kind < CASE_BURST; fc->kind++)
		;
	if (kind && strcmp(kinds[fc->kind], kind)) {
		jpath_key(&ld->path, "kind");
		return jload_fail(ld, 0, "kind must be plain, idempotency or burst, not '%s'", kind);
	}
	if (load_request(ld, o, fc))
		return -1;
	if ((v = json_object_get(o, "other_body")))
		fc->other_body = body_text(v);
	if (fc->kind == CASE_IDEMPOTENCY && (!fc->body || !fc->other_body))
		return jload_fail(ld, 0, "an idempotency case needs request.body and a different other_body");
	if (jload_int(ld, o, "count", 2, 10000, 30, &n))
		return -1;
	fc->count = n;
	return load_expect(ld, o, c, fc);
}

#define FIXTURE_MAX (4 << 20)

int fixtures_load_buffer(struct fixtures *f, const char *text, size_t len, const char *source,
			 const struct contract *c, struct load_error *err)
{
	struct jload ld;
	json_t *root, *cases, *v;
	size_t i;
	int rc = -1;

	root = jload_parse(&ld, text, len, source, err);
	if (!root)
		return -1;
	if (!json_is_object(root)) {
		jload_fail(&ld, 0, "a fixture file must be an object with \"cases\"");
		goto out;
	}
	if (jload_keys(&ld, root, "a fixture file", file_keys))
		goto out;
	cases = json_object_get(root, "cases");
	jpath_key(&ld.path, "cases");
	if (!json_is_array(cases) || !json_array_size(cases)) {
		jload_fail(&ld, 0, "cases must be a non-empty array");
		goto out;
	}
	json_array_foreach(cases, i, v) {
		struct fixture_case *fc = add_case(f);

		jpath_index(&ld.path, i);
		if (!fc || load_case(&ld, v, c, fc, source))
			goto out;
		jpath_pop(&ld.path);
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

static int load_file(struct fixtures *f, const char *file, const struct contract *c,
		     struct load_error *err)
{
	FILE *fp = fopen(file, "rb");
	char *text = NULL;
	size_t len = 0;
	int rc = -1;

	memset(err, 0, sizeof(*err));
	snprintf(err->source, sizeof(err->source), "%s", file);
	if (!fp) {
		snprintf(err->text, sizeof(err->text), "cannot open fixture: %s", strerror(errno));
		return -1;
	}
	text = malloc(FIXTURE_MAX + 1);
	if (!text)
		snprintf(err->text, sizeof(err->text), "out of memory");
	else if ((len = fread(text, 1, FIXTURE_MAX + 1, fp)) > FIXTURE_MAX)
		snprintf(err->text, sizeof(err->text), "a fixture file is limited to %d MiB", FIXTURE_MAX >> 20);
	else if (ferror(fp))
		snprintf(err->text, sizeof(err->text), "cannot read fixture: %s", strerror(errno));
	else
		rc = fixtures_load_buffer(f, text, len, file, c, err);
	fclose(fp);
	free(text);
	return rc;
}

static int json_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && !strcmp(d->d_name + n - 5, ".json") && d->d_name[0] != '.';
}

int fixtures_load(struct fixtures *f, const char *path, const struct contract *c,
		  struct load_error *err)
{
	struct stat st;
	struct dirent **names;
	int n, i, rc = 0;

	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return load_file(f, path, c, err);
	n = scandir(path, &names, json_file, alphasort);
	if (n < 0) {
		memset(err, 0, sizeof(*err));
		snprintf(err->source, sizeof(err->source), "%s", path);
		snprintf(err->text, sizeof(err->text), "cannot read fixtures: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		char file[4096];

		snprintf(file, sizeof(file), "%s/%s", path, names[i]->d_name);
		if (!rc && load_file(f, file, c, err))
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int fixtures_all_codes(struct fixtures *f, const struct contract *c)
{
	size_t i;

	for (i = 0; i < c->nr_codes; i++) {
		struct fixture_case *fc = add_case(f);
		char name[200];

		if (!fc)
			return -1;
		snprintf(name, sizeof(name), "all-codes %s", c->codes[i].code);
		fc->name = strdup(name);
		fc->source = strdup("--all-codes");
		fc->kind = CASE_CODE;
		fc->method = strdup("GET");
		fc->path = strdup("/");
		fc->code = &c->codes[i];
	}
	return 0;
}

const struct contract_code *fixture_expected_code(const struct fixture_case *fc,
						  const struct contract *c)
{
	if (fc->code)
		return fc->code;
	if (fc->role >= 0)
		return contract_find_role(c, fc->role);
	return NULL;
}
