/*
 * The bundled contracts: they load, hold the documents' codes, mark what the
 * documents do not state, and look codes up the documented ways.
 */
#include "test.h"

static void test_counts(struct tap *t)
{
	static const struct {
		const char *id;
		size_t documented, status_only;
	} want[] = {
		{ "breezeblue", 40, 0 }, { "breezeblue-v1", 38, 0 },
		{ "segmenter", 21, 3 }, { "genapi", 7, 4 }, { "studio", 36, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct contract *c = load_bundled(t, want[i].id);

		tap_ok(t, c->nr_documented == want[i].documented &&
		       c->nr_codes - c->nr_documented == want[i].status_only,
		       "%s has %zu documented codes and %zu status-only entries (got %zu, %zu)",
		       want[i].id, want[i].documented, want[i].status_only,
		       c->nr_documented, c->nr_codes - c->nr_documented);
		tap_ok(t, !strcmp(c->id, want[i].id), "%s: id matches its file name", want[i].id);
		contract_free(c);
	}
}

static void test_lookup(struct tap *t)
{
	struct contract *st = load_bundled(t, "studio"), *bb = load_bundled(t, "breezeblue");
	const struct contract_code *a = contract_find(st, "STUDIO_1600"),
				   *b = contract_find(st, "RATE_LIMIT_EXCEEDED");

	tap_ok(t, a && a == b && a->status == 429, "studio: STUDIO_1600 and RATE_LIMIT_EXCEEDED are one entry");
	tap_ok(t, a && a->retry_after && !contract_code_inferred(a, "retry_after"),
	       "studio: RATE_LIMIT_EXCEEDED documents Retry-After");
	a = contract_find(st, "QUOTA_EXCEEDED");
	tap_ok(t, a && a->status == 429 && !a->retryable && !a->retry_after,
	       "studio: QUOTA_EXCEEDED is a 429 that is not retried, so no Retry-After");
	tap_ok(t, !contract_find(st, "STUDIO_9999") && !contract_find(st, "studio_1600"),
	       "studio: unknown and wrongly cased codes are not found");
	a = contract_find_status(bb, 503);
	tap_ok(t, a && !strcmp(a->code, "AUTH_CONFIG_MISSING"),
	       "breezeblue: status 503 picks the first 503 in document order (%s)", a ? a->code : "none");
	a = contract_find_role(bb, ROLE_RATE_LIMITED);
	tap_ok(t, a && !strcmp(a->code, "RATE_LIMITED"), "breezeblue: role rate_limited is RATE_LIMITED");
	contract_free(st);
	contract_free(bb);
}

/* Retry safety is per code, not per status (issue: breezeblue's 502/503s). */
static void test_retry_per_code(struct tap *t)
{
	static const struct {
		const char *code;
		int status, retryable;
	} want[] = {
		{ "GENERATION_CAPACITY_EXCEEDED", 503, 0 }, { "AUTH_CONFIG_MISSING", 503, 0 },
		{ "UPSTREAM_GENERATION_SERVICE_ERROR", 502, 0 }, { "UPSTREAM_GENERATION_ERROR", 502, 1 },
		{ "DISPATCH_TIMEOUT", 503, 1 }, { "GENERATION_NOT_READY", 425, 1 },
	};
	struct contract *c = load_bundled(t, "breezeblue");
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct contract_code *cc = contract_find(c, want[i].code);

		tap_ok(t, cc && cc->status == want[i].status && cc->retryable == want[i].retryable &&
		       cc->retry_after == (want[i].retryable && want[i].status == 503) &&
		       !cc->inferred,
		       "breezeblue: %s is %d, %s, documented", want[i].code, want[i].status,
		       want[i].retryable ? "retryable" : "not retryable");
	}
	contract_free(c);
}

static void test_inferred(struct tap *t)
{
	struct contract *seg = load_bundled(t, "segmenter"), *gen = load_bundled(t, "genapi");
	const struct contract_code *cc;
	size_t i, unmarked = 0;

	for (i = 0; i < seg->nr_codes; i++) {
		cc = &seg->codes[i];
		if (!cc->status_only && strcmp(cc->code, "INVALID_PARAMS") &&
		    !contract_code_inferred(cc, "status"))
			unmarked++;
	}
	tap_ok(t, unmarked == 0, "segmenter: every per-code status but INVALID_PARAMS's is inferred (%zu unmarked)", unmarked);
	cc = contract_find(seg, "INVALID_PARAMS");
	tap_ok(t, cc && cc->status == 422 && !contract_code_inferred(cc, "status") &&
	       cc->details && json_object_get(cc->details, "fields"),
	       "segmenter: INVALID_PARAMS is 422 with details.fields, as its example shows");
	cc = contract_find(gen, "CONCURRENT_GENERATION_LIMIT");
	tap_ok(t, cc && contract_code_inferred(cc, "status") && cc->extra &&
	       json_integer_value(json_object_get(cc->extra, "active_requests")) == 1 &&
	       json_integer_value(json_object_get(cc->extra, "concurrency_limit")) == 1,
	       "genapi: CONCURRENT_GENERATION_LIMIT's status is inferred; its extras are documented");
	cc = contract_find(gen, "INSUFFICIENT_CREDITS");
	tap_ok(t, cc && !strcmp(cc->message, "API call limit reached") &&
	       !contract_code_inferred(cc, "message"), "genapi: documented messages are not marked inferred");
	tap_ok(t, contract_find(gen, "HTTP_401") && contract_find(gen, "HTTP_404") &&
	       contract_find(gen, "HTTP_429") && contract_find(gen, "HTTP_500") &&
	       contract_find(seg, "HTTP_429") && contract_find(seg, "HTTP_500") &&
	       contract_find(seg, "HTTP_503"),
	       "status-only entries: genapi 401, 404, 429, 500; segmenter 429, 500, 503");
	tap_ok(t, gen->idempotency_header && !strcmp(gen->idempotency_header, "Idempotency-Key") &&
	       gen->post_requires_idempotency_key && gen->honour_retry_after &&
	       !json_object_get(gen->inferred, "policy.retry"),
	       "genapi: the documented retry policy is not marked inferred");
	contract_free(seg);
	contract_free(gen);
}

static void test_inconsistencies(struct tap *t)
{
	struct contract *c = load_bundled(t, "studio");
	json_t *v;
	size_t i;
	int found = 0;

	json_array_foreach(c->inconsistencies, i, v)
		found |= strstr(json_string_value(v), "44") && strstr(json_string_value(v), "36");
	tap_ok(t, found, "studio: the 44-versus-36 count is recorded");
	contract_free(c);
}

int main(void)
{
	struct tap t;

	tap_init(&t, stdout, TAP_VERSION_TESTS);
	test_counts(&t);
	test_lookup(&t);
	test_retry_per_code(&t);
	test_inferred(&t);
	test_inconsistencies(&t);
	return tap_done(&t) ? 1 : 0;
}
