/*
 * Loading and validating contracts. Every rule of contracts/README.md is
 * enforced here, and every error points at the key or value at fault with
 * the file's line and column.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <ctype.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "contract.h"
#include "utf8.h"
#include "envelope.h"
#include "jload.h"
#include "contract_ext.h"

#define CONTRACT_MAX_BYTES (4 << 20)

static const char *const role_names[ROLE__COUNT] = {
	"auth_required", "auth_invalid", "forbidden", "not_found", "validation",
	"conflict", "payload_too_large", "not_ready", "rate_limited",
	"concurrency_limited", "insufficient_credits", "quota", "capacity",
	"timeout", "internal", "upstream", "unavailable", "misconfigured",
	"idempotency_conflict",
};

const char *role_name(int role)
{
	return role >= 0 && role < ROLE__COUNT ? role_names[role] : NULL;
}

int role_parse(const char *name)
{
	int i;

	for (i = 0; i < ROLE__COUNT; i++)
		if (!strcmp(role_names[i], name))
			return i;
	return -1;
}

int contract_check_status(struct jload *ld, json_t *v, int error_only)
{
	json_int_t n;

	if (!json_is_integer(v))
		return jload_fail(ld, 0, "status must be an integer");
	n = json_integer_value(v);
	if (n < 100 || n > 599)
		return jload_fail(ld, 0, "status %" JSON_INTEGER_FORMAT " is not an HTTP status", n);
	if (error_only && n < 400)
		return jload_fail(ld, 0, "status %" JSON_INTEGER_FORMAT " is not an error status (4xx or 5xx)", n);
	return (int)n;
}

static int get_statuses(struct jload *ld, json_t *obj, const char *key,
			int *out, size_t cap, size_t *nr)
{
	json_t *arr = json_object_get(obj, key), *v;
	size_t i;

	*nr = 0;
	jpath_key(&ld->path, key);
	if (!json_is_array(arr)) {
		jload_fail(ld, 0, "'%s' must be an array of HTTP statuses", key);
		goto out;
	}
	json_array_foreach(arr, i, v) {
		int st;

		jpath_index(&ld->path, i);
		st = contract_check_status(ld, v, 1);
		jpath_pop(&ld->path);
		if (st < 0)
			break;
		if (*nr == cap) {
			jload_fail(ld, 0, "'%s' lists more than %zu statuses", key, cap);
			break;
		}
		out[(*nr)++] = st;
	}
out:
	jpath_pop(&ld->path);
	return ld->failed ? -1 : 0;
}

int contract_has_status(const int *list, size_t nr, int status)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (list[i] == status)
			return 1;
	return 0;
}

/* type "/" subtype, each an RFC 9110 token; no parameters. */
int contract_media_is_json(const char *t)
{
	size_t n = strcspn(t, ";");

	while (n && t[n - 1] == ' ')
		n--;
	return (n == 16 && !strncasecmp(t, "application/json", 16)) || (n > 5 && !strncasecmp(t + n - 5, "+json", 5));
}

int contract_media_type_valid(const char *s)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~";
	int slashes = 0, run = 0;

	for (; *s; s++) {
		if (*s == '/') {
			if (!run || slashes++)
				return 0;
			run = 0;
		} else if (isalnum((unsigned char)*s) || strchr(tchar, *s)) {
			run++;
		} else {
			return 0;
		}
	}
	return slashes == 1 && run > 0;
}

static int valid_id(const char *s)
{
	if (!*s || !strchr("abcdefghijklmnopqrstuvwxyz0123456789", *s))
		return 0;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789._-", *s))
			return 0;
	return 1;
}

static const struct jkey top_keys[] = {
	{ "errata", JREQUIRED }, { "id", JREQUIRED }, { "title", JREQUIRED },
	{ "source", JREQUIRED }, { "version", JOPTIONAL },
	{ "content_type", JREQUIRED }, { "messages", JREQUIRED },
	{ "envelope", JREQUIRED }, { "headers", JREQUIRED }, { "policy", JREQUIRED },
	{ "inferred", JOPTIONAL }, { "inconsistencies", JOPTIONAL },
	{ "codes", JREQUIRED }, { "operations", JOPTIONAL }, { "operations_complete", JOPTIONAL },
	{ "stream", JOPTIONAL }, { NULL, 0 }
};
static const struct jkey envelope_keys[] = {
	{ "error", JREQUIRED }, { "success", JREQUIRED }, { "kind", JOPTIONAL },
	{ "array", JOPTIONAL }, { "code_header", JOPTIONAL }, { NULL, 0 }
};
static const struct jkey headers_keys[] = {
	{ "request_id", JREQUIRED }, { "retry_after", JREQUIRED },
	{ "rate_limit", JOPTIONAL }, { "retry_hint", JOPTIONAL },
	{ "families", JOPTIONAL }, { NULL, 0 }
};
static const struct jkey rate_limit_keys[] = {
	{ "policy", JREQUIRED }, { "quota", JREQUIRED }, { "window", JREQUIRED }, { NULL, 0 }
};
static const struct jkey retry_after_keys[] = {
	{ "statuses", JREQUIRED }, { "retryable_only", JREQUIRED },
	{ "default_seconds", JREQUIRED }, { "presence", JOPTIONAL },
	{ "ms_header", JOPTIONAL }, { NULL, 0 }
};
static const struct jkey policy_keys[] = {
	{ "retry", JREQUIRED }, { "idempotency", JREQUIRED }, { NULL, 0 }
};
static const struct jkey retry_keys[] = {
	{ "basis", JREQUIRED }, { "statuses", JREQUIRED },
	{ "honour_retry_after", JREQUIRED },
	{ "post_requires_idempotency_key", JOPTIONAL }, { "wait", JOPTIONAL },
	{ "keyless_post", JOPTIONAL }, { NULL, 0 }
};
static const struct jkey idem_keys[] = {
	{ "header", JREQUIRED }, { "methods", JREQUIRED },
	{ "conflict_code", JREQUIRED }, { "required", JOPTIONAL },
	{ "missing_code", JOPTIONAL }, { "ttl_seconds", JOPTIONAL }, { NULL, 0 }
};

/* Enter object member `key`, which must be an object; checks its keys. */
static int load_envelope(struct jload *ld, struct contract *c, json_t *root,
			 struct envelope_info *info)
{
	json_t *env = jload_enter(ld, root, "envelope", envelope_keys), *tmpl;
	char why[200];

	if (!env)
		return -1;
	tmpl = json_object_get(env, "error");
	jpath_key(&ld->path, "error");
	if (!json_is_object(tmpl))
		return jload_fail(ld, 0, "the error envelope must be an object");
	memset(info, 0, sizeof(*info));
	if (envelope_scan(tmpl, &ld->path, info, why, sizeof(why)))
		return jload_fail(ld, 0, "%s", why);
	/* format 2 may name the code more than once (Twilio's more_info URL
	 * repeats it), or not at all (GitHub) */
	if (c->format < 2 && info->codes != 1)
		return jload_fail(ld, 0, "the error envelope must hold \"{{code}}\" exactly once (found %d)", info->codes);
	c->has_code = info->codes > 0;
	c->has_message = info->messages > 0;
	if (info->messages < 1 && c->format < 2)
		return jload_fail(ld, 0, "the error envelope has no \"{{message}}\" placeholder");
	if (c->format < 2 && (info->types || info->request_ids))
		return jload_fail(ld, 0, "\"{{%s}}\" needs format 2 (\"errata\": 2)",
				  info->types ? "type" : "request_id");
	if (info->types > 1 || info->request_ids > 1)
		return jload_fail(ld, 0, "the error envelope may hold \"{{%s}}\" once",
				  info->types > 1 ? "type" : "request_id");
	c->has_type = info->types;
	c->has_request_id = info->request_ids;
	jpath_pop(&ld->path);
	c->error_envelope = tmpl;
	c->success_envelope = json_object_get(env, "success");
	if (contract_load_envelope_kind(ld, c, env, tmpl))
		return -1;
	jpath_pop(&ld->path);
	return 0;
}

static int positive(struct jload *ld, json_t *obj, const char *key, int *out)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > INT_MAX) {
		jpath_key(&ld->path, key);
		return jload_fail(ld, 0, "'%s' must be a positive integer", key);
	}
	*out = (int)json_integer_value(v);
	return 0;
}

/* headers.rate_limit: the policy advertised in RateLimit-Policy on 429s. */
static int load_rate_limit(struct jload *ld, struct contract *c, json_t *hdr)
{
	json_t *rl = jload_enter(ld, hdr, "rate_limit", rate_limit_keys);
	const char *p;

	if (!rl)
		return -1;
	c->rate_limit_policy = jload_string(ld, rl, "policy", 0);
	if (ld->failed)
		return -1;
	for (p = c->rate_limit_policy; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.", *p)) {
			jpath_key(&ld->path, "policy");
			return jload_fail(ld, 0, "policy name '%s' may hold only letters, digits, '_', '-' and '.'",
				    c->rate_limit_policy);
		}
	if (positive(ld, rl, "quota", &c->rate_limit_quota) ||
	    positive(ld, rl, "window", &c->rate_limit_window))
		return -1;
	jpath_pop(&ld->path);
	return 0;
}

static int load_policy(struct jload *ld, struct contract *c, json_t *root)
{
	json_t *pol, *retry, *idem, *methods, *v;
	const char *basis;
	long long ttl;
	size_t i;

	pol = jload_enter(ld, root, "policy", policy_keys);
	if (!pol)
		return -1;
	retry = jload_enter(ld, pol, "retry", retry_keys);
	if (!retry)
		return -1;
	basis = jload_string(ld, retry, "basis", 0);
	if (ld->failed)
		return -1;
	if (strcmp(basis, "code") && strcmp(basis, "status")) {
		jpath_key(&ld->path, "basis");
		return jload_fail(ld, 0, "basis must be \"code\" or \"status\", not '%s'", basis);
	}
	c->retry_basis_code = !strcmp(basis, "code");
	if (get_statuses(ld, retry, "statuses", c->retry_statuses,
			 sizeof(c->retry_statuses) / sizeof(c->retry_statuses[0]),
			 &c->nr_retry_statuses))
		return -1;
	c->honour_retry_after = jload_bool(ld, retry, "honour_retry_after", 1);
	c->post_requires_idempotency_key =
		jload_bool(ld, retry, "post_requires_idempotency_key", 0);
	if (ld->failed || contract_load_retry_ext(ld, c, retry))
		return -1;
	jpath_pop(&ld->path);

	idem = jload_enter(ld, pol, "idempotency", idem_keys);
	if (!idem)
		return -1;
	c->idempotency_header = jload_string(ld, idem, "header", 1);
	c->idempotency_conflict = jload_string(ld, idem, "conflict_code", 1);
	c->idempotency_missing = jload_string(ld, idem, "missing_code", 1);
	c->idempotency_required = jload_bool(ld, idem, "required", 0);
	if (jload_int(ld, idem, "ttl_seconds", 1, 365LL * 86400, 86400, &ttl))
		return -1;
	c->idempotency_ttl = (int)ttl;
	methods = json_object_get(idem, "methods");
	jpath_key(&ld->path, "methods");
	if (!json_is_array(methods))
		return jload_fail(ld, 0, "'methods' must be an array of HTTP methods");
	json_array_foreach(methods, i, v) {
		if (!json_is_string(v) || !json_string_length(v)) {
			jpath_index(&ld->path, i);
			return jload_fail(ld, 0, "each method must be a non-empty string");
		}
	}
	jpath_pop(&ld->path);
	jpath_pop(&ld->path);
	jpath_pop(&ld->path);
	return ld->failed ? -1 : 0;
}

/* The contract's own fields: format, id, title, source, media type, messages. */
static int load_identity(struct jload *ld, struct contract *c, json_t *root)
{
	json_t *v = json_object_get(root, "errata");
	const char *messages;

	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > CONTRACT_FORMAT) {
		jpath_key(&ld->path, "errata");
		return jload_fail(ld, 0, "unsupported contract format (\"errata\" must be 1 to %d)", CONTRACT_FORMAT);
	}
	c->format = (int)json_integer_value(v);
	c->id = jload_string(ld, root, "id", 0);
	c->title = jload_string(ld, root, "title", 0);
	c->source = jload_string(ld, root, "source", 0);
	c->version = jload_string(ld, root, "version", 0);
	c->content_type = jload_string(ld, root, "content_type", 0);
	messages = jload_string(ld, root, "messages", 0);
	if (ld->failed)
		return -1;
	if (!valid_id(c->id)) {
		jpath_key(&ld->path, "id");
		return jload_fail(ld, 0, "id '%s' must be lower case letters, digits, '.', '_' or '-'", c->id);
	}
	if (!contract_media_type_valid(c->content_type)) {
		jpath_key(&ld->path, "content_type");
		return jload_fail(ld, 0, "content_type '%s' is not a media type", c->content_type);
	}
	if (strcmp(messages, "default") && strcmp(messages, "fixed")) {
		jpath_key(&ld->path, "messages");
		return jload_fail(ld, 0, "messages must be \"default\" or \"fixed\", not '%s'", messages);
	}
	c->messages_fixed = !strcmp(messages, "fixed");
	return 0;
}

/* Which codes carry Retry-After, from the headers' retry_after. */
struct ra_rule {
	int statuses[16];
	size_t nr;
	int retryable_only;
};

static int load_headers(struct jload *ld, struct contract *c, json_t *root, struct ra_rule *ra_rule)
{
	json_t *hdr = jload_enter(ld, root, "headers", headers_keys), *ra, *v;

	if (!hdr || contract_load_request_id(ld, c, hdr))
		return -1;
	if (c->has_request_id && !c->request_id_header) {
		jpath_key(&ld->path, "request_id");
		return jload_fail(ld, 0, "the envelope holds \"{{request_id}}\" but no request id header is named");
	}
	ra = jload_enter(ld, hdr, "retry_after", retry_after_keys);
	if (!ra || get_statuses(ld, ra, "statuses", ra_rule->statuses, 16, &ra_rule->nr) ||
	    contract_load_retry_after_ext(ld, c, ra))
		return -1;
	ra_rule->retryable_only = jload_bool(ld, ra, "retryable_only", 1);
	v = json_object_get(ra, "default_seconds");
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT_MAX) {
		jpath_key(&ld->path, "default_seconds");
		return jload_fail(ld, 0, "default_seconds must be a non-negative integer");
	}
	c->retry_after_default = (int)json_integer_value(v);
	jpath_pop(&ld->path);
	if (json_object_get(hdr, "rate_limit") && load_rate_limit(ld, c, hdr))
		return -1;
	if (contract_load_headers_ext(ld, c, hdr))
		return -1;
	jpath_pop(&ld->path);
	return 0;
}

static int load_codes(struct jload *ld, struct contract *c, json_t *root, const struct envelope_info *env,
		      const struct ra_rule *ra)
{
	json_t *codes = json_object_get(root, "codes"), *v;
	size_t i;

	jpath_key(&ld->path, "codes");
	if (!json_is_array(codes) || !json_array_size(codes))
		return jload_fail(ld, 0, "'codes' must be a non-empty array");
	c->nr_codes = json_array_size(codes);
	c->codes = calloc(c->nr_codes, sizeof(*c->codes));
	if (!c->codes)
		return jload_fail(ld, 0, "out of memory");
	json_array_foreach(codes, i, v) {
		jpath_index(&ld->path, i);
		c->codes[i].index = i;
		if (contract_load_code(ld, c, v, &c->codes[i], env, ra->statuses, ra->nr, ra->retryable_only))
			return -1;
		if (!c->codes[i].status_only)
			c->nr_documented++;
		jpath_pop(&ld->path);
	}
	jpath_pop(&ld->path);
	return 0;
}

/* What the document said of itself: its inconsistencies and inferred values. */
static int load_notes(struct jload *ld, struct contract *c, json_t *root)
{
	const char *key;
	json_t *v;
	size_t i;

	if ((c->inconsistencies = json_object_get(root, "inconsistencies"))) {
		jpath_key(&ld->path, "inconsistencies");
		if (!json_is_array(c->inconsistencies))
			return jload_fail(ld, 0, "'inconsistencies' must be an array of strings");
		json_array_foreach(c->inconsistencies, i, v) {
			if (!json_is_string(v) || !json_string_length(v)) {
				jpath_index(&ld->path, i);
				return jload_fail(ld, 0, "each inconsistency must be a non-empty string");
			}
		}
		jpath_pop(&ld->path);
	}
	if (!(c->inferred = json_object_get(root, "inferred")))
		return 0;
	jpath_key(&ld->path, "inferred");
	if (!json_is_object(c->inferred))
		return jload_fail(ld, 0, "'inferred' must be an object of path: reason");
	json_object_foreach(c->inferred, key, v) {
		jpath_key(&ld->path, key);
		if (!json_is_string(v) || !json_string_length(v))
			return jload_fail(ld, 0, "the reason for inferred '%s' must be a non-empty string", key);
		if (!contract_path_exists(root, key))
			return jload_fail(ld, 1, "inferred '%s' names nothing in the contract", key);
		jpath_pop(&ld->path);
	}
	jpath_pop(&ld->path);
	return 0;
}

static int load_root(struct jload *ld, struct contract *c)
{
	json_t *root = c->root;
	struct envelope_info env;
	struct ra_rule ra = { { 0 }, 0, 1 };

	if (!json_is_object(root))
		return jload_fail(ld, 0, "a contract must be a JSON object");
	if (jload_keys(ld, root, "the contract", top_keys) || load_identity(ld, c, root) ||
	    load_envelope(ld, c, root, &env) || load_headers(ld, c, root, &ra) || load_policy(ld, c, root) ||
	    contract_load_stream(ld, c, root) || load_codes(ld, c, root, &env, &ra) || load_notes(ld, c, root))
		return -1;
	if (contract_check_codes(ld, c) || contract_check_identities(ld, c) ||
	    contract_load_operations(ld, c, root))
		return -1;
	return contract_check_ext(ld, c);
}

struct contract *contract_load_buffer(const char *text, size_t len,
				      const char *source,
				      struct load_error *err)
{
	struct jload ld;
	struct contract *c;

	if (len > CONTRACT_MAX_BYTES) { /* lint, import and every loader: one bound */
		if (err) {
			memset(err, 0, sizeof(*err));
			snprintf(err->source, sizeof(err->source), "%s", source);
			snprintf(err->text, sizeof(err->text), "the contract is larger than %d bytes (4 MiB): %zu%s",
				 CONTRACT_MAX_BYTES, len, len == CONTRACT_MAX_BYTES + 1 ? " or more" : "");
		}
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->kind = &body_json;
	if (!c || !(c->path = strdup(source))) {
		free(c);
		if (err) {
			memset(err, 0, sizeof(*err));
			snprintf(err->source, sizeof(err->source), "%s", source);
			snprintf(err->text, sizeof(err->text), "out of memory");
		}
		return NULL;
	}
	c->root = jload_parse(&ld, text, len, source, err);
	if (!c->root || load_root(&ld, c)) {
		contract_free(c);
		return NULL;
	}
	return c;
}

struct contract *contract_load(const char *path, struct load_error *err)
{
	FILE *f = fopen(path, "rb");
	struct contract *c = NULL;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (err) {
		memset(err, 0, sizeof(*err));
		snprintf(err->source, sizeof(err->source), "%s", path);
	}
	if (!f) {
		if (err)
			snprintf(err->text, sizeof(err->text), "cannot open contract: %s", strerror(errno));
		return NULL;
	}
	for (;;) {
		if (len == cap) {
			char *nb;

			if (cap > CONTRACT_MAX_BYTES)
				break; /* one byte past the bound: contract_load_buffer says so */
			cap = cap ? cap * 2 : 16384;
			cap = cap > CONTRACT_MAX_BYTES ? CONTRACT_MAX_BYTES + 1 : cap;
			nb = realloc(buf, cap);
			if (!nb)
				goto out;
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		if (err)
			snprintf(err->text, sizeof(err->text), "cannot read contract: %s", strerror(errno));
		goto out;
	}
	c = contract_load_buffer(buf, len, path, err);
out:
	free(buf);
	fclose(f);
	return c;
}

/* An id that names no bundled contract: say which ids there are. */
static void unknown_id(const char *id, const char *dir, struct load_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char list[200] = "";
	size_t used = 0, more = 0;

	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n <= 5 || strcmp(de->d_name + n - 5, ".json"))
			continue;
		if (used + n + 2 < sizeof(list) - 4)
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%.*s", used ? ", " : "",
						 (int)(n - 5), de->d_name);
		else
			more++;
	}
	if (d)
		closedir(d);
	snprintf(err->source, sizeof(err->source), "%s", dir);
	err->line = err->column = 0;
	snprintf(err->text, sizeof(err->text), "no bundled contract has the id '%.*s'; the ids are: %s%s",
		 (int)utf8_cut(id, strlen(id), 60), id, used ? list : "(none)", more ? ", ..." : "");
}

struct contract *contract_open(const char *id_or_file, struct load_error *err)
{
	char *dir = contract_default_dir(), *path = dir ? contract_resolve(id_or_file, dir) : NULL;
	struct contract *c = NULL;

	if (path)
		c = contract_load(path, err);
	else if (err)
		snprintf(err->text, sizeof(err->text), "out of memory");
	if (!c && path && err && access(path, F_OK) && !strchr(id_or_file, '/') && strcmp(path, id_or_file))
		unknown_id(id_or_file, dir, err);
	free(path);
	free(dir);
	return c;
}

void contract_free(struct contract *c)
{
	if (!c)
		return;
	json_decref(c->root);
	free(c->codes);
	free(c->path);
	free(c);
}

const struct contract_code *contract_find(const struct contract *c, const char *code)
{
	size_t i;

	for (i = 0; i < c->nr_codes; i++)
		if (!strcmp(c->codes[i].code, code))
			return &c->codes[i];
	for (i = 0; i < c->nr_codes; i++)
		if (c->codes[i].name && !strcmp(c->codes[i].name, code))
			return &c->codes[i];
	return NULL;
}

const struct contract_code *contract_find_status(const struct contract *c, int status)
{
	size_t i;

	for (i = 0; i < c->nr_codes; i++)
		if (c->codes[i].status == status)
			return &c->codes[i];
	return NULL;
}

const struct contract_code *contract_find_role(const struct contract *c, int role)
{
	size_t i;

	for (i = 0; i < c->nr_codes; i++)
		if (c->codes[i].role == role)
			return &c->codes[i];
	return NULL;
}

const char *contract_code_inferred(const struct contract_code *code, const char *field)
{
	return code->inferred ? json_string_value(json_object_get(code->inferred, field)) : NULL;
}

char *contract_resolve(const char *id_or_file, const char *dir)
{
	size_t n = strlen(id_or_file);
	char *path;

	if (strchr(id_or_file, '/') || (n > 5 && !strcmp(id_or_file + n - 5, ".json")) || !dir)
		return strdup(id_or_file);
	path = malloc(strlen(dir) + n + 7);
	if (path)
		sprintf(path, "%s/%s.json", dir, id_or_file);
	return path;
}

char *contract_default_dir(void)
{
	const char *env = getenv("ERRATA_CONTRACTS");
	char exe[4096], *slash;
	ssize_t n;

	if (env && *env)
		return strdup(env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 32);
	if (n <= 0)
		return strdup("contracts");
	exe[n] = '\0';
	/* <top>/bin/errata or <top>/build/.../errata: walk up to a contracts/ */
	while ((slash = strrchr(exe, '/')) && slash != exe) {
		*slash = '\0';
		strcat(exe, "/contracts");
		if (access(exe, R_OK | X_OK) == 0)
			return strdup(exe);
		exe[strlen(exe) - strlen("/contracts")] = '\0';
	}
	return strdup("contracts");
}
