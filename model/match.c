/*
 * Judging a received error response against its contract: the envelope is
 * walked alongside its template, then the code found in it decides what the
 * status, message and headers must be.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "envelope.h"
#include "match.h"
#include "utf8.h"

/* A value quoted in a message, cut on a character boundary (then redacted
 * and cut again by whoever reports it). */
#define CUT(s, n) (int)utf8_cut((s), strlen(s), (n)), (s)
#include "ratelimit.h"
#include "retry_after.h"

static const struct {
	const char *id, *text;
} checks[] = {
	{ CHECK_STATUS, "the HTTP status is the one the contract gives the code returned" },
	{ CHECK_ENVELOPE_JSON, "the body parses as JSON, where the envelope is JSON" },
	{ CHECK_ENVELOPE_SHAPE, "the body has the envelope's keys, types and constants" },
	{ CHECK_ENVELOPE_STATUS, "the envelope's status field equals the HTTP status" },
	{ CHECK_CODE_DOCUMENTED, "the code is documented in the contract" },
	{ CHECK_MESSAGE_FIXED, "the message is the documented one, where messages are fixed" },
	{ CHECK_CONTENT_TYPE, "the Content-Type is the contract's media type" },
	{ CHECK_RETRY_AFTER_PRESENT, "Retry-After is present where the contract requires it" },
	{ CHECK_RETRY_AFTER_VALID, "Retry-After is delay-seconds or an HTTP-date" },
	{ CHECK_RETRY_AFTER_MISREAD, "Retry-After is not a value clients misread (warning)" },
	{ CHECK_REQUEST_ID, "the request id header is present and not empty" },
	{ CHECK_RATELIMIT, "RateLimit and RateLimit-Policy, where present, are well formed" },
	{ CHECK_REQUEST_ID_BODY, "the body's request id equals the request id header" },
	{ CHECK_RATELIMIT_FAMILY, "the vendor rate-limit headers are present where due, well formed and agree" },
	{ CHECK_RETRY_HINT, "the retry hint header is true or false (a warning when it contradicts the documentation)" },
	{ CHECK_RETRY_AFTER_MS, "the retry-after-ms header is a number of milliseconds" },
	{ CHECK_WAIT_INFO, "a rate limit tells the client how long to wait, by the contract's wait rules" },
	{ CHECK_ENVELOPE_XML, "the body parses as XML, where the envelope is XML" },
	{ CHECK_HEADERS_REQUIRED, "the headers the contract requires on this code are present" },
	{ CHECK_HEADERS_FORBIDDEN, "the headers the contract forbids on this code are absent" },
	{ CHECK_CODE_OPERATION, "the code is one the operation the request hit documents" },
	{ CHECK_STREAM_DOCUMENTED, "an error event inside a 200 stream carries a code documented as arriving there" },
};

const char *const check_ids[] = {
	CHECK_STATUS, CHECK_ENVELOPE_JSON, CHECK_ENVELOPE_SHAPE, CHECK_ENVELOPE_STATUS,
	CHECK_CODE_DOCUMENTED, CHECK_MESSAGE_FIXED, CHECK_CONTENT_TYPE,
	CHECK_RETRY_AFTER_PRESENT, CHECK_RETRY_AFTER_VALID, CHECK_RETRY_AFTER_MISREAD,
	CHECK_REQUEST_ID, CHECK_RATELIMIT, CHECK_REQUEST_ID_BODY, CHECK_RATELIMIT_FAMILY,
	CHECK_RETRY_HINT, CHECK_RETRY_AFTER_MS, CHECK_WAIT_INFO, CHECK_ENVELOPE_XML,
	CHECK_HEADERS_REQUIRED, CHECK_HEADERS_FORBIDDEN, CHECK_CODE_OPERATION, CHECK_STREAM_DOCUMENTED, NULL
};

const char *check_describe(const char *id)
{
	size_t i;

	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		if (!strcmp(checks[i].id, id))
			return checks[i].text;
	return NULL;
}

const char *response_header(const struct response *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nr_headers; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

void match_result_init(struct match_result *m)
{
	memset(m, 0, sizeof(*m));
}

void match_result_release(struct match_result *m)
{
	size_t i;

	for (i = 0; i < m->nr; i++)
		free(m->v[i].text);
	free(m->v);
	free(m->code_seen);
	match_result_init(m);
}

void match_add(struct match_result *m, const char *check, enum severity sev,
	       const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;
	int n;

	if (m->nr == m->alloc) {
		size_t alloc = m->alloc ? m->alloc * 2 : 8;
		struct violation *v = realloc(m->v, alloc * sizeof(*v));

		if (!v)
			return;
		m->v = v;
		m->alloc = alloc;
	}
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n >= 0 && (text = malloc((size_t)n + 1))) {
		va_start(ap, fmt);
		vsnprintf(text, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	m->v[m->nr].check = check;
	m->v[m->nr].severity = sev;
	m->v[m->nr].text = text;
	m->nr++;
	if (sev == SEV_FAIL)
		m->failures++;
}

const struct violation *match_find(const struct match_result *m, const char *check)
{
	size_t i;

	for (i = 0; i < m->nr; i++)
		if (!strcmp(m->v[i].check, check))
			return &m->v[i];
	return NULL;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

/* What the walk over the body found. */
struct found {
	json_t *code;     /* owned: the code as the body carries it */
	int code_missing; /* the member holding the code is absent */
	int type_missing; /* the member holding the type is absent */
	int wide_codes;   /* format 2: a code may be an integer or null */
	int secondary;    /* in a later error of an array: its shape, and its code */
	int text_values;  /* XML: every value is text, and one element may stand
			   * where a list would repeat it */
	json_t *more[ENVELOPE_ARRAY_MAX]; /* owned: the codes of the later errors */
	json_t *status_text;              /* owned: an XML status read as a number */
	size_t nr_more;
	const char *type, *request_id; /* borrowed from the body */
	json_t *status, *extras;
	json_t *messages[8];
	size_t nr_messages;
};

/* "429" as 429 (a new reference), or NULL. */
static json_t *text_integer(json_t *s)
{
	const char *t = json_string_value(s);
	char *end;
	long long v;

	if (!*t || strlen(t) > 18 || strspn(t, "0123456789-") != strlen(t))
		return NULL;
	v = strtoll(t, &end, 10);
	return *end ? NULL : json_integer(v);
}

/* A constant of the template as XML text carries it: "false", "0". */
static int text_equal(json_t *tmpl, json_t *body)
{
	char *t;
	int eq;

	if (!json_is_string(body) || json_is_object(tmpl) || json_is_array(tmpl))
		return 0;
	if (json_is_null(tmpl))
		return !json_string_length(body);
	t = json_dumps(tmpl, JSON_ENCODE_ANY);
	if (!t)
		return 0;
	if (json_is_string(tmpl))
		eq = !strcmp(json_string_value(tmpl), json_string_value(body));
	else
		eq = !strcmp(t, json_string_value(body));
	free(t);
	return eq;
}

/* A short excerpt of a JSON value for a message; owned by the caller. */
static char *excerpt(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	if (s && strlen(s) > 80)
		strcpy(s + 72, "...");
	return s;
}

/* Two places of one code agree: the same JSON, or an integer and its
 * digits inside a string (Twilio's "code": 20404 and ".../errors/20404"). */
static int same_code(const json_t *a, const json_t *b)
{
	char num[32];

	if (json_equal((json_t *)a, (json_t *)b))
		return 1;
	if (json_is_integer(a) && json_is_string(b)) {
		const json_t *t = a;

		a = b;
		b = t;
	}
	if (!json_is_string(a) || !json_is_integer(b))
		return 0;
	snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(b));
	return !strcmp(num, json_string_value(a));
}

/* A code found in the body (taken): the first is kept, a later one must agree. */
static void code_seen(struct found *f, json_t *code, const char *path, struct match_result *m)
{
	if (!code)
		return;
	if (!f->code) {
		f->code = code;
		return;
	}
	if (!same_code(f->code, code)) {
		char *a = excerpt(f->code), *b = excerpt(code);

		match_add(m, CHECK_ENVELOPE_SHAPE, SEV_FAIL, "%s: the code %s differs from the code %s found before",
			  path, b ? b : "?", a ? a : "?");
		free(a);
		free(b);
	}
	json_decref(code);
}

static void walk(json_t *tmpl, json_t *body, char *path, size_t cap,
		 struct match_result *m, struct found *f);

/* An array of errors ({"errors": [{"code": ...}]}): each element is read
 * by the template's element at its place (the last one past the end); the
 * first error gives the code, message and type, the others their shape. */
static void walk_array(json_t *tmpl, json_t *body, char *path, size_t cap, struct match_result *m, struct found *f)
{
	size_t len = strlen(path), i, n = json_array_size(tmpl);
	int was = f->secondary;

	if (f->text_values && json_is_object(body)) { /* <Errors><Error>..</Error></Errors> */
		walk(json_array_get(tmpl, 0), body, path, cap, m, f);
		return;
	}
	if (!json_is_array(body) || !json_array_size(body)) {
		match_add(m, CHECK_ENVELOPE_SHAPE, SEV_FAIL, "%s: expected an array of errors, got %s", len ? path : "body",
			  json_is_array(body) ? "an empty array" : type_name(body));
		return;
	}
	for (i = 0; i < json_array_size(body) && i < ENVELOPE_ARRAY_MAX; i++) {
		snprintf(path + len, cap - len, "[%zu]", i);
		f->secondary = was || i > 0;
		walk(json_array_get(tmpl, i < n ? i : n - 1), json_array_get(body, i), path, cap, m, f);
		path[len] = '\0';
	}
	f->secondary = was;
}

/* A placeholder of the template: what the body holds in its place. */
static void walk_placeholder(json_t *tmpl, json_t *body, const char *path, struct match_result *m, struct found *f)
{
	enum placeholder ph = envelope_placeholder(json_string_value(tmpl));
	int ok = 1;

	switch (ph) {
	case PH_CODE:
		ok = json_is_string(body) ||
		     (f->wide_codes && (json_is_integer(body) || json_is_null(body)));
		if (ok && !f->secondary)
			code_seen(f, json_incref(body), path, m);
		else if (ok && f->nr_more < ENVELOPE_ARRAY_MAX)
			f->more[f->nr_more++] = json_incref(body);
		break;
	case PH_TYPE:
		ok = json_is_string(body);
		if (ok && !f->secondary)
			f->type = json_string_value(body);
		break;
	case PH_REQUEST_ID: case PH_REQUEST_ID_OPT:
		ok = json_is_string(body);
		if (ok && !f->secondary)
			f->request_id = json_string_value(body);
		break;
	case PH_CODE_IN:
		if (!json_is_string(body)) {
			ok = 0;
			break;
		}
		{
			char *in = envelope_code_in(json_string_value(tmpl), json_string_value(body));

			if (in) {
				if (!f->secondary)
					code_seen(f, json_string(in), path, m);
				free(in);
				break;
			}
		}
		{
			char *got = excerpt(body);

			match_add(m, CHECK_ENVELOPE_SHAPE, SEV_FAIL,
				  "%s: expected \"%s\" with a code in place of {{code}}, got %s",
				  path, json_string_value(tmpl), got ? got : "?");
			free(got);
		}
		break;
	case PH_MESSAGE: case PH_MESSAGE_OPT:
		ok = json_is_string(body);
		if (ok && f->nr_messages < 8 && !f->secondary)
			f->messages[f->nr_messages++] = body;
		break;
	case PH_STATUS: case PH_STATUS_STRING: {
		/* as text in XML, as a string in JSON:API ("404"), else an integer */
		json_t *st = ph == PH_STATUS_STRING && !json_is_string(body) ? NULL : body;

		if (st && json_is_string(st) && (f->text_values || ph == PH_STATUS_STRING) && !f->status_text &&
		    (f->status_text = text_integer(st)))
			st = f->status_text;
		ok = st && json_is_integer(st);
		if (ok && !f->secondary)
			f->status = st;
		break;
	}
	case PH_DETAIL: ok = json_is_string(body); break;
	case PH_DETAILS: case PH_DETAILS_OPT: ok = json_is_object(body); break;
	case PH_ANY_OPT: break;
	default: break;
	}
	if (!ok)
		match_add(m, CHECK_ENVELOPE_SHAPE, SEV_FAIL, "%s: expected %s, got %s",
			  path, ph == PH_CODE && f->wide_codes ? "a code (a string, an integer or null)" :
			  ph == PH_STATUS ? "an integer" : ph == PH_STATUS_STRING ? "the status as a string" :
			  ph == PH_DETAILS || ph == PH_DETAILS_OPT ? "an object" : "a string",
			  type_name(body));
}

static void walk(json_t *tmpl, json_t *body, char *path, size_t cap,
		 struct match_result *m, struct found *f)
{
	size_t len = strlen(path);
	const char *key;
	json_t *tv;
	enum placeholder ph = json_is_string(tmpl) ? envelope_placeholder(json_string_value(tmpl)) : PH_NONE;

	if (ph != PH_NONE && ph != PH_UNKNOWN) {
		walk_placeholder(tmpl, body, path, m, f);
		return;
	}
	if (json_is_object(tmpl)) {
		if (!json_is_object(body)) {
			match_add(m, CHECK_ENVELOPE_SHAPE, SEV_FAIL, "%s: expected an object, got %s",
				  path, type_name(body));
			return;
		}
		json_object_foreach(tmpl, key, tv) {
			json_t *bv;

			if (!strcmp(key, ENVELOPE_EXTRA_KEY)) {
				if (!f->secondary)
					f->extras = body;
				continue;
			}
			snprintf(path + len, cap - len, "%s%s", len ? "." : "", key);
			bv = json_object_get(body, key);
			if (!bv) {
				enum placeholder want = json_is_string(tv) ?
					envelope_placeholder(json_string_value(tv)) : PH_NONE;

				if ((want == PH_CODE || want == PH_CODE_IN) && !f->secondary)
					f->code_missing = 1; /* a status-only entry's: judged below */
				else if (want == PH_TYPE && !f->secondary)
					f->type_missing = 1; /* the same */
				else if (want == PH_CODE || want == PH_CODE_IN || want == PH_TYPE)
					match_add(m, CHECK_ENVELOPE_SHAPE, SEV_FAIL, "%s: missing", path);
				else if (want != PH_DETAILS_OPT && want != PH_REQUEST_ID_OPT && want != PH_MESSAGE_OPT &&
					 want != PH_ANY_OPT)
					match_add(m, CHECK_ENVELOPE_SHAPE, SEV_FAIL,
						  "%s: missing", path);
			} else {
				walk(tv, bv, path, cap, m, f);
			}
			path[len] = '\0';
		}
		return;
	}
	if (json_is_array(tmpl) && envelope_has_placeholder(tmpl)) {
		walk_array(tmpl, body, path, cap, m, f);
		return;
	}
	if (!json_equal(tmpl, body) && !(f->text_values && text_equal(tmpl, body))) { /* a constant */
		char *want = excerpt(tmpl), *got = excerpt(body);

		match_add(m, CHECK_ENVELOPE_SHAPE, SEV_FAIL, "%s: expected %s, got %s",
			  len ? path : "body", want ? want : "?", got ? got : "?");
		free(want);
		free(got);
	}
}

/* The media type of a Content-Type value matches, parameters ignored. */
static int media_type_is(const char *value, const char *want)
{
	size_t n = strcspn(value, ";");

	while (n && (value[n - 1] == ' ' || value[n - 1] == '\t'))
		n--;
	while (n && (*value == ' ' || *value == '\t')) {
		value++;
		n--;
	}
	return n == strlen(want) && !strncasecmp(value, want, n);
}

/* A message that begins with the documented one, ending there or at a
 * sentence or clause ("API rate limit exceeded for user ID 1." for "API
 * rate limit exceeded"). */
static int message_extends(const char *doc, const char *got)
{
	size_t n = strlen(doc);

	return !strncmp(doc, got, n) && (!got[n] || strchr(" .,:;(", got[n]));
}

/*
 * With no code in the body, the status tells, and among the entries of one
 * status the documented message: the same, else one it begins with. Failing
 * both, the first entry of that status that is not a rate limit (a message
 * no document gives is not taken as a rate limit), else the first.
 */
static const struct contract_code *identify_by_message(const struct contract *c, int status, const char *msg)
{
	const struct contract_code *any = NULL, *plain = NULL, *ext = NULL;
	size_t i;

	for (i = 0; i < c->nr_codes; i++) {
		const struct contract_code *cc = &c->codes[i];

		if (cc->status != status)
			continue;
		if (msg && !strcmp(cc->message, msg))
			return cc;
		if (msg && !ext && message_extends(cc->message, msg))
			ext = cc;
		if (!any)
			any = cc;
		if (!plain && cc->role != ROLE_RATE_LIMITED && cc->role != ROLE_CONCURRENCY_LIMITED)
			plain = cc;
	}
	return ext ? ext : plain ? plain : any;
}

/* The entry the body names; a missing code member is a status-only entry's. */
static const struct contract_code *identify(const struct contract *c, const struct response *r,
					    const struct found *f, struct match_result *m)
{
	const struct contract_code *cc = NULL, *so = NULL;
	size_t i;

	for (i = 0; i < c->nr_codes; i++) /* a free body's entry names no envelope */
		if (c->codes[i].status_only && c->codes[i].status == r->status && c->codes[i].body == BODY_ENVELOPE)
			so = &c->codes[i];
	if (!c->has_code && !f->code)
		return identify_by_message(c, r->status, f->nr_messages ? json_string_value(f->messages[0]) : NULL);
	if (f->code_missing && !f->code) {
		if (so)
			return so; /* the document gives this status no code */
		/* a documented null code may be left out of the body (its type,
		 * where the envelope has one, still tells the entry) */
		if ((!c->has_type || f->type) &&
		    (cc = contract_identify(c, json_null(), f->type, r->status)) && cc->status == r->status)
			return cc;
		match_add(m, CHECK_ENVELOPE_SHAPE, SEV_FAIL, "the code member is missing");
		return NULL;
	}
	if (!f->code)
		return NULL;
	free(m->code_seen);
	m->code_seen = json_is_string(f->code) ? strdup(json_string_value(f->code)) :
		       json_dumps(f->code, JSON_ENCODE_ANY);
	cc = contract_identify(c, f->code, f->type, r->status);
	if (cc)
		return cc;
	if (so)
		return so; /* the document gives this status no code: any will do */
	if (!m->code_seen)
		return NULL;
	if (f->type)
		match_add(m, CHECK_CODE_DOCUMENTED, SEV_FAIL,
			  "code %.*s with type '%.*s' is not a documented error of %s",
			  CUT(m->code_seen, 80), CUT(f->type, 80), c->id);
	else
		match_add(m, CHECK_CODE_DOCUMENTED, SEV_FAIL,
			  "'%.*s' is not a documented code of %s", CUT(m->code_seen, 80), c->id);
	return NULL;
}

static void check_retry_after(const struct contract *c, const struct contract_code *cc,
			      const struct response *r, time_t now, struct match_result *m)
{
	const char *v = response_header(r, "Retry-After"), *why, *misread;
	struct retry_after ra;

	if (!v) {
		if (cc && cc->retry_after && !c->retry_after_optional)
			match_add(m, CHECK_RETRY_AFTER_PRESENT, SEV_FAIL,
				  "%s (%d) requires Retry-After; none was sent", cc->code, cc->status);
		return;
	}
	if (retry_after_parse(v, now, &ra, &why)) {
		match_add(m, CHECK_RETRY_AFTER_VALID, SEV_FAIL, "Retry-After '%.*s': %s", CUT(v, 60), why);
		return;
	}
	misread = retry_after_misread(&ra);
	if (misread)
		match_add(m, CHECK_RETRY_AFTER_MISREAD, SEV_WARN, "Retry-After '%.*s': %s", CUT(v, 60), misread);
}

/* 0 when another code shares cc's status (then a status names no code). */
static int unique_status(const struct contract *c, const struct contract_code *cc)
{
	size_t i;

	for (i = 0; i < c->nr_codes; i++)
		if (&c->codes[i] != cc && c->codes[i].status == cc->status)
			return 0;
	return 1;
}

/* The code's extra members, each present with its type. */
static void match_extras(const struct contract_code *cc, const struct found *f, struct match_result *m)
{
	const char *key;
	json_t *want;

	json_object_foreach(cc->extra, key, want) {
		json_t *got = f->extras ? json_object_get(f->extras, key) : NULL;

		if (!got)
			match_add(m, CHECK_ENVELOPE_SHAPE, SEV_FAIL, "%s: %s carries '%s'; missing",
				  cc->code, cc->code, key);
		else if (json_typeof(got) != json_typeof(want) &&
			 !(json_is_boolean(got) && json_is_boolean(want)) && !f->text_values)
			match_add(m, CHECK_ENVELOPE_SHAPE, SEV_FAIL, "%s: '%s' should be %s, got %s",
				  cc->code, key, type_name(want), type_name(got));
	}
}

/* The code a header carries (up to a ':'), beside the body's: the two agree. */
static void header_code(const struct contract *c, const struct response *r, struct found *f, struct match_result *m)
{
	const char *v = response_header(r, c->code_header);
	char code[128], where[160];
	size_t n = v ? strcspn(v, ":") : 0;

	if (!n)
		return;
	snprintf(code, sizeof(code), "%.*s", (int)(n < sizeof(code) ? n : sizeof(code) - 1), v);
	snprintf(where, sizeof(where), "the %s header", c->code_header);
	code_seen(f, json_string(code), where, m);
}

/* The headers every error carries: the request id, RateLimit fields. */
static void match_common_headers(const struct contract *c, const struct response *r, struct match_result *m)
{
	const char *why;
	const char *pol = response_header(r, "RateLimit-Policy"), *rl = response_header(r, "RateLimit");

	if (c->request_id_header) {
		const char *rid = response_header(r, c->request_id_header);

		if (rid ? !*rid : !c->request_id_optional)
			match_add(m, CHECK_REQUEST_ID, SEV_FAIL, "no %s header", c->request_id_header);
	}
	if (pol && ratelimit_check(pol, 1, &why))
		match_add(m, CHECK_RATELIMIT, SEV_FAIL, "RateLimit-Policy '%.*s': %s", CUT(pol, 80), why);
	if (rl && ratelimit_check(rl, 0, &why))
		match_add(m, CHECK_RATELIMIT, SEV_FAIL, "RateLimit '%.*s': %s", CUT(rl, 80), why);
}

/* What follows from the entry judged: its headers, Retry-After, the vendor's. */
static size_t match_entry_headers(const struct contract *c, const struct contract_code *cc,
				  const struct response *r, time_t now, struct match_result *m)
{
	check_retry_after(c, cc, r, now, m);
	match_code_headers(cc, r, m);
	match_vendor_headers(c, cc, r, now, m);
	return m->failures;
}

/* With every code of an array read, the response is retryable only when
 * each error is: the first that is not rules. */
static const struct contract_code *match_all_codes(const struct contract *c, const struct response *r,
						   const struct contract_code *cc, struct found *f,
						   struct match_result *m)
{
	size_t i;

	for (i = 0; i < f->nr_more; i++) {
		const struct contract_code *o = contract_identify(c, f->more[i], NULL, r->status);
		char *got = o ? NULL : excerpt(f->more[i]);

		if (!o && !json_is_null(f->more[i]))
			match_add(m, CHECK_CODE_DOCUMENTED, SEV_FAIL, "error %zu: %s is not a documented code of %s",
				  i + 2, got ? got : "?", c->id);
		free(got);
		if (o && cc && cc->retryable && !o->retryable)
			cc = o;
	}
	return cc;
}

/* The body, walked and read: the entry it names, and what must agree with it. */
static void match_body(const struct contract *c, const struct response *r, json_t *tmpl, json_t *body,
		       struct found *f, struct match_result *m)
{
	const struct contract_code *cc;
	char path[256] = "";
	size_t i;

	m->parsed = 1;
	f->wide_codes = c->format >= 2;
	f->text_values = c->kind == &body_xml;
	walk(tmpl, body, path, sizeof(path), m, f);
	if (c->code_header) /* "ValidationException:http://internal..." */
		header_code(c, r, f, m);
	cc = identify(c, r, f, m);
	match_operation(c, r, &cc, m);
	if (c->array_all)
		cc = match_all_codes(c, r, cc, f, m);
	m->code = cc;
	if (f->type_missing && !(cc && cc->status_only))
		match_add(m, CHECK_ENVELOPE_SHAPE, SEV_FAIL, "the type member is missing");
	if (cc && r->status != cc->status && !m->streamed) /* an event's status is its stream's 200 */
		match_add(m, CHECK_STATUS, SEV_FAIL, "%s is documented as %d, got %d",
			  cc->code, cc->status, r->status);
	if (f->status && json_integer_value(f->status) != r->status)
		match_add(m, CHECK_ENVELOPE_STATUS, SEV_FAIL,
			  "the envelope says %" JSON_INTEGER_FORMAT ", the HTTP status is %d",
			  json_integer_value(f->status), r->status);
	if (cc && c->messages_fixed)
		for (i = 0; i < f->nr_messages; i++)
			if (strcmp(json_string_value(f->messages[i]), cc->message))
				match_add(m, CHECK_MESSAGE_FIXED, SEV_FAIL,
					  "expected \"%s\", got \"%.*s\"", cc->message,
					  CUT(json_string_value(f->messages[i]), 80));
	if (cc && cc->extra)
		match_extras(cc, f, m);
	if (c->has_request_id && c->request_id_header) {
		const char *hv = response_header(r, c->request_id_header);

		if (f->request_id && hv && strcmp(f->request_id, hv))
			match_add(m, CHECK_REQUEST_ID_BODY, SEV_FAIL, "the body's request id '%.*s' is not the %s header's '%.*s'",
				  CUT(f->request_id, 80), c->request_id_header, CUT(hv, 80));
		else if (f->request_id && !hv)
			match_add(m, CHECK_REQUEST_ID_BODY, SEV_FAIL, "the body carries request id '%.*s' but no %s header came",
				  CUT(f->request_id, 80), c->request_id_header);
	}
}

/* A response judged as an entry without an envelope: status and headers. */
static size_t match_free(const struct contract *c, const struct contract_code *cc, const struct response *r,
			 time_t now, struct match_result *m)
{
	size_t i, kept = 0;

	/* what the envelope's walk said no longer counts: keep the rest */
	for (i = 0; i < m->nr; i++) {
		const char *id = m->v[i].check;

		if (!strcmp(id, CHECK_REQUEST_ID) || !strcmp(id, CHECK_RATELIMIT)) {
			m->v[kept++] = m->v[i];
			continue;
		}
		if (m->v[i].severity == SEV_FAIL)
			m->failures--;
		free(m->v[i].text);
	}
	m->nr = kept;
	free(m->code_seen);
	m->code_seen = NULL;
	m->parsed = 0;
	m->body_rule = cc->body;
	m->code = cc;
	return match_entry_headers(c, cc, r, now, m);
}

void match_parsed(const struct contract *c, const struct response *r, json_t *tmpl, json_t *body,
		  struct match_result *m)
{
	struct found f = { 0 };
	size_t i;

	match_body(c, r, tmpl, body, &f, m);
	json_decref(f.code);
	json_decref(f.status_text);
	for (i = 0; i < f.nr_more; i++)
		json_decref(f.more[i]);
}

size_t contract_match(const struct contract *c, const struct response *r,
		      time_t now, struct match_result *m)
{
	const char *ct = response_header(r, "Content-Type");
	const struct contract_code *cc;
	char why[200];
	json_t *body;

	if (c->stream.error_data && r->status >= 200 && r->status < 300 && ct && media_type_is(ct, "text/event-stream"))
		return match_stream(c, r, m); /* an error, if any, comes as one of its events */
	match_common_headers(c, r, m);
	if (!r->head_only && (cc = match_free_body(c, r, BODY_NONE)))
		return match_free(c, cc, r, now, m);
	if (!ct || !media_type_is(ct, c->content_type))
		match_add(m, CHECK_CONTENT_TYPE, SEV_FAIL, "expected %s, got %s",
			  c->content_type, ct ? ct : "no Content-Type");
	if (r->head_only) { /* no body: the code is the status's, when only one has it */
		cc = contract_find_status(c, r->status);
		m->code = cc && unique_status(c, cc) ? cc : NULL;
		return match_entry_headers(c, m->code, r, now, m);
	}
	body = c->kind->parse(r->body, r->body_len, why, sizeof(why));
	if (body)
		match_parsed(c, r, c->error_envelope, body, m);
	else
		match_add(m, c->kind->check, SEV_FAIL, "%s", why);
	json_decref(body);
	/* a status whose body the document leaves free: a body that reads as
	 * the envelope's kind is judged as such, anything else as that entry */
	if (!m->parsed && (cc = match_free_body(c, r, BODY_ANY)))
		return match_free(c, cc, r, now, m);
	return match_entry_headers(c, m->code, r, now, m);
}
