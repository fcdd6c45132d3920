/*
 * Format 2 of the contract: what real APIs send beyond a code and a status.
 * A request id in the body, vendor rate-limit header families drawn from
 * one limiter, retry hints, retry-after-ms, an optional Retry-After, wait
 * rules beyond Retry-After and the rules for retrying a POST without a key.
 * contract.c calls these loaders; the lookups serve the mock and harness.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "contract.h"
#include "contract_ext.h"

static const char *const limit_fields[LF__COUNT] = {
	"limit", "remaining", "used", "reset_at", "reset_after", "reset_time", "resource",
};

const char *limit_field_name(int f)
{
	return f >= 0 && f < LF__COUNT ? limit_fields[f] : NULL;
}

static int limit_field_parse(const char *s)
{
	int i;

	for (i = 0; i < LF__COUNT; i++)
		if (!strcmp(limit_fields[i], s))
			return i;
	return -1;
}

int contract_needs_v2(struct jload *ld, const struct contract *c, json_t *obj, const char *key)
{
	if (c->format >= 2 || !json_object_get(obj, key))
		return 0;
	jpath_key(&ld->path, key);
	return jload_fail(ld, 1, "'%s' needs format 2 (\"errata\": 2)", key);
}

/* A header name: an RFC 9110 token. */
int contract_header_name_valid(const char *s)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~";

	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(tchar, *s)))
			return 0;
	return 1;
}

static const char *header_member(struct jload *ld, json_t *obj, const char *key, int nullable)
{
	const char *h = jload_string(ld, obj, key, nullable);

	if (h && !contract_header_name_valid(h)) {
		jpath_key(&ld->path, key);
		jload_fail(ld, 0, "'%s' is not a header name", h);
		return NULL;
	}
	return h;
}

/* "presence": "required" (the default) or "optional", into *optional. */
static int load_presence(struct jload *ld, json_t *obj, int *optional)
{
	const char *presence = jload_string(ld, obj, "presence", 0);

	if (ld->failed)
		return -1;
	if (presence && strcmp(presence, "required") && strcmp(presence, "optional")) {
		jpath_key(&ld->path, "presence");
		return jload_fail(ld, 0, "presence must be \"required\" or \"optional\", not '%s'", presence);
	}
	*optional = presence && !strcmp(presence, "optional");
	return 0;
}

static const struct jkey request_id_keys[] = {
	{ "header", JREQUIRED }, { "prefix", JOPTIONAL }, { "presence", JOPTIONAL }, { NULL, 0 }
};

int contract_load_request_id(struct jload *ld, struct contract *c, json_t *hdr)
{
	json_t *v = json_object_get(hdr, "request_id");

	if (!json_is_object(v)) {
		c->request_id_header = header_member(ld, hdr, "request_id", 1);
		return ld->failed ? -1 : 0;
	}
	if (c->format < 2) {
		jpath_key(&ld->path, "request_id");
		return jload_fail(ld, 0, "request_id as an object needs format 2 (\"errata\": 2)");
	}
	v = jload_enter(ld, hdr, "request_id", request_id_keys);
	if (!v)
		return -1;
	c->request_id_header = header_member(ld, v, "header", 0);
	c->request_id_prefix = jload_string(ld, v, "prefix", 0);
	if (ld->failed || load_presence(ld, v, &c->request_id_optional))
		return -1;
	if (c->request_id_prefix) {
		const char *p;

		for (p = c->request_id_prefix; *p; p++)
			if (*p < 0x21 || *p > 0x7e || *p == '"' || *p == '\\') {
				jpath_key(&ld->path, "prefix");
				return jload_fail(ld, 0, "the request id prefix may hold only visible ASCII");
			}
		if (strlen(c->request_id_prefix) > 64) {
			jpath_key(&ld->path, "prefix");
			return jload_fail(ld, 0, "the request id prefix is longer than 64 bytes");
		}
	}
	jpath_pop(&ld->path);
	return 0;
}

int contract_load_retry_after_ext(struct jload *ld, struct contract *c, json_t *ra)
{
	if (contract_needs_v2(ld, c, ra, "presence") || contract_needs_v2(ld, c, ra, "ms_header") ||
	    load_presence(ld, ra, &c->retry_after_optional))
		return -1;
	c->retry_after_ms_header = header_member(ld, ra, "ms_header", 0);
	return ld->failed ? -1 : 0;
}

static const struct jkey hint_keys[] = { { "header", JREQUIRED }, { NULL, 0 } };
static const struct jkey family_keys[] = {
	{ "on", JREQUIRED }, { "fields", JREQUIRED }, { "resource", JOPTIONAL },
	{ "quota", JREQUIRED }, { "window", JREQUIRED }, { NULL, 0 }
};

static int load_family(struct jload *ld, struct header_family *f, json_t *obj)
{
	const char *on, *key;
	json_t *fields, *v;
	int has_resource = 0;
	long long quota, window;

	if (!json_is_object(obj))
		return jload_fail(ld, 0, "each header family must be an object");
	if (jload_keys(ld, obj, "a header family", family_keys))
		return -1;
	on = jload_string(ld, obj, "on", 0);
	f->resource = jload_string(ld, obj, "resource", 0);
	if (ld->failed || jload_int(ld, obj, "quota", 1, INT_MAX, 1, &quota) ||
	    jload_int(ld, obj, "window", 1, 86400 * 366, 1, &window))
		return -1;
	f->quota = (int)quota;
	f->window = (int)window;
	if (strcmp(on, "all") && strcmp(on, "rate_limited")) {
		jpath_key(&ld->path, "on");
		return jload_fail(ld, 0, "on must be \"all\" or \"rate_limited\", not '%s'", on);
	}
	f->on_all = !strcmp(on, "all");
	fields = json_object_get(obj, "fields");
	jpath_key(&ld->path, "fields");
	if (!json_is_object(fields) || !json_object_size(fields))
		return jload_fail(ld, 0, "'fields' must map header names to limiter fields");
	json_object_foreach(fields, key, v) {
		int field = json_is_string(v) ? limit_field_parse(json_string_value(v)) : -1;

		jpath_key(&ld->path, key);
		if (!contract_header_name_valid(key))
			return jload_fail(ld, 1, "'%s' is not a header name", key);
		if (field < 0)
			return jload_fail(ld, 0, "header '%s' names no limiter field (limit, remaining, used, "
					  "reset_at, reset_after, reset_time or resource)", key);
		if (f->nr == FAMILY_MAX_HEADERS)
			return jload_fail(ld, 1, "a family holds at most %d headers", FAMILY_MAX_HEADERS);
		f->h[f->nr].header = key;
		f->h[f->nr].field = field;
		f->nr++;
		has_resource |= field == LF_RESOURCE;
		jpath_pop(&ld->path);
	}
	jpath_pop(&ld->path);
	if (has_resource && !f->resource)
		return jload_fail(ld, 0, "a family with a resource field names its \"resource\"");
	return 0;
}

int contract_load_headers_ext(struct jload *ld, struct contract *c, json_t *hdr)
{
	json_t *v, *fam;
	size_t i;

	if (contract_needs_v2(ld, c, hdr, "retry_hint") || contract_needs_v2(ld, c, hdr, "families"))
		return -1;
	if (json_object_get(hdr, "retry_hint")) {
		v = jload_enter(ld, hdr, "retry_hint", hint_keys);
		if (!v || !(c->retry_hint_header = header_member(ld, v, "header", 0)))
			return -1;
		jpath_pop(&ld->path);
	}
	fam = json_object_get(hdr, "families");
	if (!fam)
		return 0;
	jpath_key(&ld->path, "families");
	if (!json_is_array(fam) || json_array_size(fam) > CONTRACT_MAX_FAMILIES)
		return jload_fail(ld, 0, "'families' must be an array of at most %d header families",
				  CONTRACT_MAX_FAMILIES);
	json_array_foreach(fam, i, v) {
		jpath_index(&ld->path, i);
		if (load_family(ld, &c->families[c->nr_families++], v))
			return -1;
		jpath_pop(&ld->path);
	}
	jpath_pop(&ld->path);
	return 0;
}

static const struct jkey wait_keys[] = {
	{ "header", JOPTIONAL }, { "form", JOPTIONAL }, { "when", JOPTIONAL },
	{ "min_seconds", JOPTIONAL }, { "then", JOPTIONAL }, { NULL, 0 }
};
static const struct jkey when_keys[] = {
	{ "header", JREQUIRED }, { "equals", JREQUIRED }, { NULL, 0 }
};
static const char *const wait_forms[] = { "retry-after", "seconds", "ms", "epoch", "rfc3339", NULL };

static int load_wait_rule(struct jload *ld, struct wait_rule *w, json_t *obj)
{
	const char *form, *then;
	long long min;
	json_t *when;
	int i;

	if (!json_is_object(obj))
		return jload_fail(ld, 0, "each wait rule must be an object");
	if (jload_keys(ld, obj, "a wait rule", wait_keys))
		return -1;
	w->header = header_member(ld, obj, "header", 0);
	form = jload_string(ld, obj, "form", 0);
	then = jload_string(ld, obj, "then", 0);
	if (ld->failed || jload_int(ld, obj, "min_seconds", 0, 86400, 0, &min))
		return -1;
	w->min_seconds = (int)min;
	w->form = w->header && !strcasecmp(w->header, "Retry-After") ? WAIT_RETRY_AFTER : WAIT_SECONDS;
	if (form) {
		for (i = 0; wait_forms[i] && strcmp(wait_forms[i], form); i++)
			;
		jpath_key(&ld->path, "form");
		if (!wait_forms[i])
			return jload_fail(ld, 0, "form must be retry-after, seconds, ms, epoch or rfc3339, not '%s'", form);
		if (!w->header)
			return jload_fail(ld, 1, "a form needs a header");
		jpath_pop(&ld->path);
		w->form = i;
	}
	if (then && strcmp(then, "exponential")) {
		jpath_key(&ld->path, "then");
		return jload_fail(ld, 0, "then must be \"exponential\", not '%s'", then);
	}
	w->exponential = then != NULL;
	if (w->header && (json_object_get(obj, "min_seconds") || then))
		return jload_fail(ld, 0, "a wait rule reads a header or is a fallback (min_seconds, then), not both");
	if (!w->header && !json_object_get(obj, "min_seconds") && !then)
		return jload_fail(ld, 0, "a wait rule names a header, or min_seconds for a fallback");
	when = json_object_get(obj, "when");
	if (when) {
		if (!(when = jload_enter(ld, obj, "when", when_keys)))
			return -1;
		w->when_header = header_member(ld, when, "header", 0);
		w->when_equals = jload_string(ld, when, "equals", 0);
		if (ld->failed)
			return -1;
		jpath_pop(&ld->path);
	}
	return 0;
}

static const struct jkey keyless_keys[] = {
	{ "after_5xx", JREQUIRED }, { "after_429", JREQUIRED },
	{ "reset_before_send", JREQUIRED }, { "reset_after_send", JREQUIRED }, { NULL, 0 }
};

int contract_load_retry_ext(struct jload *ld, struct contract *c, json_t *retry)
{
	json_t *wait, *v;
	size_t i;
	int dflt = !c->post_requires_idempotency_key;

	if (contract_needs_v2(ld, c, retry, "wait") || contract_needs_v2(ld, c, retry, "keyless_post"))
		return -1;
	/* the default: a POST that needs no key may be retried without one */
	c->keyless = (struct keyless_post){ dflt, dflt, dflt, dflt };
	if (json_object_get(retry, "keyless_post")) {
		if (!(v = jload_enter(ld, retry, "keyless_post", keyless_keys)))
			return -1;
		c->keyless.after_5xx = jload_bool(ld, v, "after_5xx", dflt);
		c->keyless.after_429 = jload_bool(ld, v, "after_429", dflt);
		c->keyless.reset_before_send = jload_bool(ld, v, "reset_before_send", dflt);
		c->keyless.reset_after_send = jload_bool(ld, v, "reset_after_send", dflt);
		if (ld->failed)
			return -1;
		if (c->post_requires_idempotency_key &&
		    (c->keyless.after_5xx || c->keyless.after_429 || c->keyless.reset_after_send)) {
			return jload_fail(ld, 0, "post_requires_idempotency_key is true, yet a keyless retry "
					  "after the request was sent is allowed");
		}
		jpath_pop(&ld->path);
	}
	wait = json_object_get(retry, "wait");
	if (!wait)
		return 0;
	jpath_key(&ld->path, "wait");
	if (!json_is_array(wait) || !json_array_size(wait) || json_array_size(wait) > CONTRACT_MAX_WAIT)
		return jload_fail(ld, 0, "'wait' must be an array of 1 to %d rules", CONTRACT_MAX_WAIT);
	json_array_foreach(wait, i, v) {
		jpath_index(&ld->path, i);
		if (load_wait_rule(ld, &c->wait[c->nr_wait++], v))
			return -1;
		if (!c->wait[i].header && i + 1 < json_array_size(wait))
			return jload_fail(ld, 0, "a fallback rule must come last: the rules after it never apply");
		jpath_pop(&ld->path);
	}
	jpath_pop(&ld->path);
	return 0;
}

int contract_sends_header(const struct contract *c, const char *name)
{
	size_t i, j;

	if (c->request_id_header && !strcasecmp(name, c->request_id_header))
		return 1;
	if (c->retry_after_ms_header && !strcasecmp(name, c->retry_after_ms_header))
		return 1;
	if (c->retry_hint_header && !strcasecmp(name, c->retry_hint_header))
		return 1;
	if (c->rate_limit_policy && (!strcasecmp(name, "RateLimit") || !strcasecmp(name, "RateLimit-Policy")))
		return 1;
	if (!strcasecmp(name, "Retry-After"))
		for (i = 0; i < c->nr_codes; i++)
			if (c->codes[i].retry_after)
				return 1;
	for (i = 0; i < c->nr_families; i++)
		for (j = 0; j < c->families[i].nr; j++)
			if (!strcasecmp(name, c->families[i].h[j].header))
				return 1;
	return 0;
}

/* The family header `name`: its field, and its family in *f; -1 when none. */
static int family_field(const struct contract *c, const char *name, const struct header_family **f)
{
	size_t i, j;

	for (i = 0; i < c->nr_families; i++)
		for (j = 0; j < c->families[i].nr; j++)
			if (!strcasecmp(name, c->families[i].h[j].header)) {
				*f = &c->families[i];
				return c->families[i].h[j].field;
			}
	return -1;
}

/* Does the header carry a value the rule's form reads? */
static int readable(const struct contract *c, const struct contract_code *cc, const char *h, int form)
{
	const struct header_family *f;
	int field = family_field(c, h, &f);

	if (!strcasecmp(h, "Retry-After"))
		return cc->retry_after && (form == WAIT_RETRY_AFTER || form == WAIT_SECONDS);
	if (c->retry_after_ms_header && !strcasecmp(h, c->retry_after_ms_header))
		return cc->retry_after && form == WAIT_MS;
	return (field == LF_RESET_AT && form == WAIT_EPOCH) || (field == LF_RESET_TIME && form == WAIT_RFC3339) ||
	       (field == LF_RESET_AFTER && (form == WAIT_SECONDS || form == WAIT_RETRY_AFTER));
}

/* Does a rule's condition hold on a rate limit as the mock serves it? */
static int condition_holds(const struct contract *c, const struct contract_code *cc, const struct wait_rule *w)
{
	const struct header_family *f;
	int field;

	if (!w->when_header)
		return 1;
	if (c->retry_hint_header && !strcasecmp(w->when_header, c->retry_hint_header))
		return !strcmp(w->when_equals, cc->retryable ? "true" : "false");
	field = family_field(c, w->when_header, &f);
	return (field == LF_REMAINING && !strcmp(w->when_equals, "0")) ||
	       (field == LF_RESOURCE && !strcmp(w->when_equals, f->resource));
}

/* A rate-limit code must be one that some header rule can tell the wait of,
 * as the mock serves it (Retry-After where the code carries it, a family's
 * reset, remaining 0): else errata check would fail the mock's own reply. */
static int check_rate_limits(struct jload *ld, const struct contract *c)
{
	size_t i, k;

	for (i = 0; i < c->nr_codes && c->nr_wait; i++) {
		const struct contract_code *cc = &c->codes[i];

		if (cc->status_only || (cc->role != ROLE_RATE_LIMITED && cc->role != ROLE_CONCURRENCY_LIMITED))
			continue;
		for (k = 0; k < c->nr_wait; k++)
			if (c->wait[k].header && readable(c, cc, c->wait[k].header, c->wait[k].form) &&
			    condition_holds(c, cc, &c->wait[k]))
				break;
		if (k == c->nr_wait) {
			jpath_key(&ld->path, "codes");
			jpath_index(&ld->path, i);
			jpath_key(&ld->path, "role");
			return jload_fail(ld, 0, "code '%s' is a rate limit, but no wait rule can apply to it as served "
					  "(no Retry-After it carries, no reset its families send where the rule's condition holds)",
					  cc->code);
		}
	}
	return 0;
}

/* A header the contract names, with where it names it. */
struct named {
	const char *name, *what;
	int kind;        /* 0 request id, 1 ms_header, 2 retry hint, 3 a family's */
	size_t family;
	int object_form; /* request id given as an object */
};

static void named_path(struct jload *ld, const struct named *n)
{
	jpath_key(&ld->path, "headers");
	switch (n->kind) {
	case 0:
		jpath_key(&ld->path, "request_id");
		if (n->object_form)
			jpath_key(&ld->path, "header");
		break;
	case 1:
		jpath_key(&ld->path, "retry_after");
		jpath_key(&ld->path, "ms_header");
		break;
	case 2:
		jpath_key(&ld->path, "retry_hint");
		jpath_key(&ld->path, "header");
		break;
	default:
		jpath_key(&ld->path, "families");
		jpath_index(&ld->path, n->family);
		jpath_key(&ld->path, "fields");
		jpath_key(&ld->path, n->name);
	}
}

/* One header, one meaning: a name given twice (the retry hint and the ms
 * header both x-should-retry) would be sent with two values, or a
 * standard field's name taken for a vendor one. */
static int check_header_names(struct jload *ld, const struct contract *c)
{
	static const char *const reserved[] = { "Content-Type", "Retry-After", "RateLimit", "RateLimit-Policy",
						"Content-Length", NULL };
	struct named v[3 + CONTRACT_MAX_FAMILIES * FAMILY_MAX_HEADERS];
	size_t n = 0, i, j;

	if (c->request_id_header)
		v[n++] = (struct named){ c->request_id_header, "the request id header", 0, 0,
					 json_is_object(json_object_get(json_object_get(c->root, "headers"), "request_id")) };
	if (c->retry_after_ms_header)
		v[n++] = (struct named){ c->retry_after_ms_header, "ms_header", 1, 0, 0 };
	if (c->retry_hint_header)
		v[n++] = (struct named){ c->retry_hint_header, "the retry hint", 2, 0, 0 };
	for (i = 0; i < c->nr_families; i++)
		for (j = 0; j < c->families[i].nr; j++)
			v[n++] = (struct named){ c->families[i].h[j].header, "a family's header", 3, i, 0 };
	for (i = 0; i < n; i++) {
		for (j = 0; reserved[j] && strcasecmp(reserved[j], v[i].name); j++)
			;
		if (reserved[j]) {
			named_path(ld, &v[i]);
			return jload_fail(ld, 0, "%s may not be '%s', a field errata sends itself", v[i].what, v[i].name);
		}
		for (j = 0; j < i; j++)
			if (!strcasecmp(v[i].name, v[j].name)) {
				named_path(ld, &v[i]);
				return jload_fail(ld, 0, "header '%s' is named twice: as %s and as %s", v[i].name,
						  v[j].what, v[i].what);
			}
	}
	return 0;
}

/* Cross-checks once every code is loaded: one meaning per header, the wait
 * rules' headers are sent, and every rate limit can tell its wait. */
int contract_check_ext(struct jload *ld, const struct contract *c)
{
	size_t i;

	if (check_header_names(ld, c))
		return -1;
	for (i = 0; i < c->nr_wait; i++) {
		const struct wait_rule *w = &c->wait[i];
		const char *bad = w->header && !contract_sends_header(c, w->header) ? w->header :
				  w->when_header && !contract_sends_header(c, w->when_header) ? w->when_header : NULL;

		if (!bad)
			continue;
		jpath_key(&ld->path, "policy");
		jpath_key(&ld->path, "retry");
		jpath_key(&ld->path, "wait");
		jpath_index(&ld->path, i);
		jpath_key(&ld->path, bad == w->header ? "header" : "when");
		return jload_fail(ld, 0, "wait rule names '%s', a header the contract never sends", bad);
	}
	return check_rate_limits(ld, c);
}

static int wire_code_equal(const struct contract_code *cc, const json_t *code)
{
	char num[32];

	if (cc->body_code && json_is_integer(cc->body_code) && json_is_string(code)) {
		/* an integer code read from inside a string (".../errors/20404") */
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(cc->body_code));
		return !strcmp(num, json_string_value(code));
	}
	if (cc->body_code)
		return json_equal(cc->body_code, (json_t *)code);
	return json_is_string(code) && !strcmp(json_string_value(code), cc->code);
}

const struct contract_code *contract_identify(const struct contract *c, const json_t *code,
					      const char *type, int status)
{
	const struct contract_code *first = NULL;
	size_t i;

	for (i = 0; i < c->nr_codes; i++) {
		const struct contract_code *cc = &c->codes[i];

		if (cc->status_only || !wire_code_equal(cc, code))
			continue;
		if (c->has_type && type && (!cc->type || strcmp(cc->type, type)))
			continue;
		if (cc->status == status)
			return cc;
		if (!first)
			first = cc;
	}
	if (!first && json_is_string(code) && !c->has_type)
		first = contract_find(c, json_string_value(code)); /* a second name */
	return first;
}

int contract_keyless_retry_ok(const struct contract *c, int status)
{
	if (status < 0)
		return c->keyless.reset_before_send;
	if (status == 0)
		return c->keyless.reset_after_send;
	if (status == 429)
		return c->keyless.after_429;
	if (status >= 500)
		return c->keyless.after_5xx;
	return !c->post_requires_idempotency_key; /* 408, 409, 425 ...: as for a 5xx when unsaid */
}
