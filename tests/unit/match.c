/*
 * Render then match is clean for every code of every bundled contract, and
 * each mutation of a correct response gives exactly the violations it should
 * and no other (a verdict engine that passes everything is worse than none).
 */
#include <time.h>

#include "test.h"
#include "../../model/envelope.h"
#include "../../model/match.h"
#include "../../model/retry_after.h"

#define NOW ((time_t)784111777) /* Sun, 06 Nov 1994 08:49:37 GMT */

/* A correct response for `cc`, built from the contract; then mutated. */
struct resp {
	int status;
	struct header h[4];
	size_t nr;
	json_t *body;
	char *raw;        /* a body that is not JSON, when set */
	char ctype[64];
	char code_in[128]; /* a type URI written by a mutation */
};

static void set_header(struct resp *r, const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < r->nr; i++)
		if (!strcmp(r->h[i].name, name)) {
			if (value) {
				r->h[i].value = value;
			} else {
				r->h[i] = r->h[--r->nr];
			}
			return;
		}
	if (value && r->nr < 4) {
		r->h[r->nr].name = name;
		r->h[r->nr++].value = value;
	}
}

static void build(const struct contract *c, const struct contract_code *cc, struct resp *r)
{
	memset(r, 0, sizeof(*r));
	r->status = cc->status;
	r->body = envelope_render(c, cc, NULL, cc->status);
	snprintf(r->ctype, sizeof(r->ctype), "%s; charset=utf-8", c->content_type);
	set_header(r, "Content-Type", r->ctype);
	set_header(r, c->request_id_header, "req-0001");
	if (cc->retry_after)
		set_header(r, "Retry-After", "1");
}

/* The first place in the body whose template value is placeholder `ph`. */
static json_t *find_parent(json_t *tmpl, json_t *body, enum placeholder ph, const char **key)
{
	const char *k;
	json_t *v, *hit;

	if (!json_is_object(tmpl) || !json_is_object(body))
		return NULL;
	json_object_foreach(tmpl, k, v) {
		if (json_is_string(v) && envelope_placeholder(json_string_value(v)) == ph &&
		    json_object_get(body, k)) {
			*key = k;
			return body;
		}
		if ((hit = find_parent(v, json_object_get(body, k), ph, key)))
			return hit;
	}
	return NULL;
}

/* Where the code is: a whole "{{code}}" or one inside a string (*tmpl set). */
static json_t *code_parent(const struct contract *c, json_t *body, const char **key,
			   const char **tmpl)
{
	json_t *p = find_parent(c->error_envelope, body, PH_CODE, key);

	*tmpl = NULL;
	if (!p && (p = find_parent(c->error_envelope, body, PH_CODE_IN, key)))
		*tmpl = json_string_value(json_object_get(find_parent(c->error_envelope,
			c->error_envelope, PH_CODE_IN, key), *key));
	return p;
}

static void judge(const struct contract *c, struct resp *r, struct match_result *m)
{
	char *text = r->raw ? NULL : json_dumps(r->body, JSON_COMPACT);
	const char *body = r->raw ? r->raw : text;
	struct response resp = { r->status, r->h, r->nr, body, strlen(body), 0, NULL, NULL };

	match_result_init(m);
	contract_match(c, &resp, NOW, m);
	free(text);
}

/* Does the result hold exactly these checks (a NULL-terminated list)? */
static int exactly(const struct match_result *m, const char *const *want, char *why, size_t size)
{
	size_t i, n = 0;

	for (; want[n]; n++)
		if (!match_find(m, want[n])) {
			snprintf(why, size, "missing %s", want[n]);
			return 0;
		}
	for (i = 0; i < m->nr; i++) {
		size_t j;

		for (j = 0; j < n; j++)
			if (!strcmp(m->v[i].check, want[j]))
				break;
		if (j == n) {
			snprintf(why, size, "unexpected %s: %s", m->v[i].check, m->v[i].text);
			return 0;
		}
	}
	if (m->nr != n) {
		snprintf(why, size, "%zu violations for %zu checks", m->nr, n);
		return 0;
	}
	return 1;
}

/* A mutation returns 0 when it does not apply to this code (it is skipped). */
typedef int (*mutate_fn)(const struct contract *, const struct contract_code *,
			 struct resp *, const char **want);

static int m_none(const struct contract *c, const struct contract_code *cc,
		  struct resp *r, const char **want)
{
	(void)c; (void)cc; (void)r; (void)want;
	return 1;
}

static int m_wrong_status(const struct contract *c, const struct contract_code *cc,
			  struct resp *r, const char **want)
{
	const char *key;

	if (cc->status_only)
		return 0; /* its body names no code: a status is all that tells it */
	r->status = cc->status == 500 ? 501 : 500;
	want[0] = CHECK_STATUS;
	/* an envelope carrying the status now disagrees with the HTTP status too */
	if (find_parent(c->error_envelope, r->body, PH_STATUS, &key))
		want[1] = CHECK_ENVELOPE_STATUS;
	return 1;
}

static int m_envelope_status(const struct contract *c, const struct contract_code *cc,
			     struct resp *r, const char **want)
{
	const char *key;
	json_t *p = find_parent(c->error_envelope, r->body, PH_STATUS, &key);

	if (!p)
		return 0;
	json_object_set_new(p, key, json_integer(cc->status == 400 ? 401 : 400));
	want[0] = CHECK_ENVELOPE_STATUS;
	return 1;
}

static int m_missing_key(const struct contract *c, const struct contract_code *cc,
			 struct resp *r, const char **want)
{
	const char *key;
	json_t *p = find_parent(c->error_envelope, r->body, PH_MESSAGE, &key);

	(void)cc;
	json_object_del(p, key);
	want[0] = CHECK_ENVELOPE_SHAPE;
	return 1;
}

static int m_wrong_type(const struct contract *c, const struct contract_code *cc,
			struct resp *r, const char **want)
{
	const char *key;
	json_t *p = find_parent(c->error_envelope, r->body, PH_MESSAGE, &key);

	(void)cc;
	json_object_set_new(p, key, json_integer(42));
	want[0] = CHECK_ENVELOPE_SHAPE;
	return 1;
}

static int m_code_not_string(const struct contract *c, const struct contract_code *cc,
			     struct resp *r, const char **want)
{
	const char *key, *tmpl;
	json_t *p = code_parent(c, r->body, &key, &tmpl);

	if (!p || !key || cc->status_only)
		return 0; /* a status-only entry's body has no code member */

	json_object_set_new(p, key, json_integer(cc->status));
	want[0] = CHECK_ENVELOPE_SHAPE;
	return 1;
}

static int m_undocumented(const struct contract *c, const struct contract_code *cc,
			  struct resp *r, const char **want)
{
	const char *key, *tmpl;
	json_t *p = code_parent(c, r->body, &key, &tmpl);
	size_t i;

	if (!p || !key || cc->status_only)
		return 0; /* a status-only entry's body has no code member */

	if (tmpl) {
		const char *in = strstr(tmpl, "{{code}}");

		snprintf(r->code_in, sizeof(r->code_in), "%.*sERRATA_NOT_DOCUMENTED%s",
			 (int)(in - tmpl), tmpl, in + 8);
		json_object_set_new(p, key, json_string(r->code_in));
	} else {
		json_object_set_new(p, key, json_string("ERRATA_NOT_DOCUMENTED"));
	}
	/* a status the document lists without a code accepts any code */
	for (i = 0; i < c->nr_codes; i++)
		if (c->codes[i].status_only && c->codes[i].status == cc->status)
			return 1;
	want[0] = CHECK_CODE_DOCUMENTED;
	return 1;
}

/* A code inside a string, with the constant text around it changed. */
static int m_code_in_text(const struct contract *c, const struct contract_code *cc,
			  struct resp *r, const char **want)
{
	const char *key, *tmpl;
	json_t *p = code_parent(c, r->body, &key, &tmpl);

	if (!tmpl || !p || !key || cc->status_only)
		return 0;
	snprintf(r->code_in, sizeof(r->code_in), "https://elsewhere.example/%s", cc->code);
	json_object_set_new(p, key, json_string(r->code_in));
	want[0] = CHECK_ENVELOPE_SHAPE;
	return 1;
}

static int m_no_retry_after(const struct contract *c, const struct contract_code *cc,
			    struct resp *r, const char **want)
{
	(void)c;
	if (!cc->retry_after)
		return 0;
	set_header(r, "Retry-After", NULL);
	want[0] = CHECK_RETRY_AFTER_PRESENT;
	return 1;
}

static int m_fractional_retry_after(const struct contract *c, const struct contract_code *cc,
				    struct resp *r, const char **want)
{
	(void)c; (void)cc;
	set_header(r, "Retry-After", "1.5");
	want[0] = CHECK_RETRY_AFTER_VALID;
	return 1;
}

static int m_past_retry_after(const struct contract *c, const struct contract_code *cc,
			      struct resp *r, const char **want)
{
	(void)c; (void)cc;
	set_header(r, "Retry-After", "Sat, 05 Nov 1994 08:49:37 GMT");
	want[0] = CHECK_RETRY_AFTER_MISREAD;
	return 1;
}

static int m_content_type(const struct contract *c, const struct contract_code *cc,
			  struct resp *r, const char **want)
{
	(void)c; (void)cc;
	set_header(r, "Content-Type", "text/plain");
	want[0] = CHECK_CONTENT_TYPE;
	return 1;
}

static int m_no_request_id(const struct contract *c, const struct contract_code *cc,
			   struct resp *r, const char **want)
{
	(void)cc;
	set_header(r, c->request_id_header, NULL);
	want[0] = CHECK_REQUEST_ID;
	return 1;
}

static int m_html(const struct contract *c, const struct contract_code *cc,
		  struct resp *r, const char **want)
{
	(void)c; (void)cc;
	r->raw = "<html><body><h1>502 Bad Gateway</h1></body></html>";
	want[0] = CHECK_ENVELOPE_JSON;
	return 1;
}

static int m_constant(const struct contract *c, const struct contract_code *cc,
		      struct resp *r, const char **want)
{
	const char *key;
	json_t *v;

	(void)cc;
	json_object_foreach(c->error_envelope, key, v) {
		if (!json_is_object(v) && !json_is_string(v)) {
			json_object_set_new(r->body, key, json_string("changed"));
			want[0] = CHECK_ENVELOPE_SHAPE;
			return 1;
		}
	}
	return 0;
}

static int m_missing_extra(const struct contract *c, const struct contract_code *cc,
			   struct resp *r, const char **want)
{
	const char *key, *tmpl;
	json_t *v, *p;

	if (!cc->extra)
		return 0;
	p = code_parent(c, r->body, &key, &tmpl);
	json_object_foreach(cc->extra, key, v) {
		json_object_del(p, key);
		break;
	}
	want[0] = CHECK_ENVELOPE_SHAPE;
	return 1;
}

static const struct {
	const char *name;
	mutate_fn fn;
} mutations[] = {
	{ "unchanged: render then match is clean", m_none },
	{ "wrong HTTP status", m_wrong_status },
	{ "envelope status field differs from HTTP", m_envelope_status },
	{ "message key missing", m_missing_key },
	{ "message of the wrong type", m_wrong_type },
	{ "code of the wrong type", m_code_not_string },
	{ "undocumented code", m_undocumented },
	{ "text around a code in a string changed", m_code_in_text },
	{ "Retry-After missing", m_no_retry_after },
	{ "Retry-After fractional", m_fractional_retry_after },
	{ "Retry-After a past date (warning)", m_past_retry_after },
	{ "wrong Content-Type", m_content_type },
	{ "request id missing", m_no_request_id },
	{ "HTML body", m_html },
	{ "constant member changed", m_constant },
	{ "documented extra member missing", m_missing_extra },
};

static void run_mutations(struct tap *t, const char *id)
{
	struct contract *c = load_bundled(t, id);
	size_t k, i;

	for (k = 0; k < sizeof(mutations) / sizeof(mutations[0]); k++) {
		size_t applied = 0, bad = 0;
		char why[300] = "", first[400] = "";

		for (i = 0; i < c->nr_codes; i++) {
			const char *want[4] = { NULL };
			struct match_result m;
			struct resp r;

			build(c, &c->codes[i], &r);
			if (k == 0 || mutations[k].fn(c, &c->codes[i], &r, want)) {
				applied++;
				judge(c, &r, &m);
				if (!exactly(&m, want, why, sizeof(why)) && !bad++)
					snprintf(first, sizeof(first), "%s: %s", c->codes[i].code, why);
				match_result_release(&m);
			}
			json_decref(r.body);
		}
		if (!applied)
			tap_skip(t, "no code of this contract has what it changes",
				 "%s: %s", id, mutations[k].name);
		else
			tap_ok(t, !bad, "%s: %s gives exactly its violations (%zu codes%s%s)",
			       id, mutations[k].name, applied, bad ? "; first bad " : "", first);
	}
	contract_free(c);
}

/* A contract whose messages are fixed holds responses to the default. */
static void test_fixed_messages(struct tap *t)
{
	static const char text[] =
		"{\"errata\":1,\"id\":\"fixed\",\"title\":\"t\",\"source\":\"s\","
		"\"content_type\":\"application/problem+json\",\"messages\":\"fixed\","
		"\"envelope\":{\"error\":{\"type\":\"about:blank\",\"title\":\"{{message}}\","
		"\"status\":\"{{status}}\",\"code\":\"{{code}}\"},\"success\":{}},"
		"\"headers\":{\"request_id\":null,\"retry_after\":{\"statuses\":[],"
		"\"retryable_only\":true,\"default_seconds\":1}},"
		"\"policy\":{\"retry\":{\"basis\":\"code\",\"statuses\":[],\"honour_retry_after\":true},"
		"\"idempotency\":{\"header\":null,\"methods\":[],\"conflict_code\":null}},"
		"\"codes\":[{\"code\":\"NOPE\",\"status\":404,\"retryable\":false,"
		"\"message\":\"Not here.\",\"role\":\"not_found\"}]}";
	struct load_error err;
	struct contract *c = contract_load_buffer(text, strlen(text), "inline", &err);
	struct header h[] = { { "Content-Type", "application/problem+json" } };
	struct match_result m;
	const char *good = "{\"type\":\"about:blank\",\"title\":\"Not here.\",\"status\":404,\"code\":\"NOPE\"}";
	const char *bad = "{\"type\":\"about:blank\",\"title\":\"Gone.\",\"status\":404,\"code\":\"NOPE\"}";
	struct response r = { 404, h, 1, good, strlen(good), 0, NULL, NULL };
	char why[300];
	const char *want[] = { CHECK_MESSAGE_FIXED, NULL }, *none[] = { NULL };

	if (!tap_ok(t, c != NULL, "an inline problem+json contract with fixed messages loads (%s)", c ? "" : err.text))
		return;
	match_result_init(&m);
	contract_match(c, &r, NOW, &m);
	tap_ok(t, exactly(&m, none, why, sizeof(why)), "fixed messages: the default message passes");
	match_result_release(&m);
	r.body = bad;
	r.body_len = strlen(bad);
	contract_match(c, &r, NOW, &m);
	tap_ok(t, exactly(&m, want, why, sizeof(why)), "fixed messages: another message fails message.fixed");
	match_result_release(&m);
	contract_free(c);
}

/* The rendered bytes are those the documents show. */
static void test_render_bytes(struct tap *t)
{
	static const struct {
		const char *id, *code, *want;
	} cases[] = {
		{ "breezeblue", "AUTH_REQUIRED",
		  "{\"ok\":false,\"code\":\"AUTH_REQUIRED\",\"detail\":\"Authentication required.\",\"error\":\"Authentication required.\"}" },
		{ "studio", "RATE_LIMIT_EXCEEDED",
		  "{\"error\":{\"code\":\"STUDIO_1600\",\"message\":\"Rate limit exceeded for this tenant or user\",\"http\":429}}" },
		{ "genapi", "CONCURRENT_GENERATION_LIMIT",
		  "{\"success\":false,\"data\":null,\"error\":{\"code\":\"CONCURRENT_GENERATION_LIMIT\",\"message\":\"Too many active generation jobs for this user.\",\"active_requests\":1,\"concurrency_limit\":1}}" },
		{ "genapi", "INSUFFICIENT_CREDITS",
		  "{\"success\":false,\"data\":null,\"error\":{\"code\":\"INSUFFICIENT_CREDITS\",\"message\":\"API call limit reached\"}}" },
		{ "ledger", "out-of-credit",
		  "{\"type\":\"https://ledger.example/problems/out-of-credit\",\"title\":\"You do not have enough credit.\",\"status\":403,\"detail\":\"Your current balance is 30, but that costs 50.\"}" },
		{ "segmenter", "JOB_NOT_FOUND",
		  "{\"error\":{\"code\":\"JOB_NOT_FOUND\",\"message\":\"Job ID does not exist\",\"status\":404,\"details\":{}}}" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct contract *c = load_bundled(t, cases[i].id);
		const struct contract_code *cc = contract_find(c, cases[i].code);
		char *got = cc ? envelope_render_text(c, cc, NULL, cc->status) : NULL;

		if (!tap_ok(t, got && !strcmp(got, cases[i].want), "%s %s renders as documented",
			    cases[i].id, cases[i].code))
			tap_diag(t, "got %s", got ? got : "(nothing)");
		free(got);
		contract_free(c);
	}
}

int main(void)
{
	struct tap t;
	size_t i;

	tap_init(&t, stdout, TAP_VERSION_TESTS);
	for (i = 0; bundled[i]; i++)
		run_mutations(&t, bundled[i]);
	test_fixed_messages(&t);
	test_render_bytes(&t);
	return tap_done(&t) ? 1 : 0;
}
