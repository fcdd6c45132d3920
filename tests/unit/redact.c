/*
 * Redaction: which names are secret, JSON members at any depth, URLs, and
 * known secret values in free text.
 */
#include "test.h"
#include "../../model/redact.h"

static void test_names(struct tap *t)
{
	static const char *const secret[] = {
		"Authorization", "proxy-authorization", "Cookie", "Set-Cookie", "X-Api-Key",
		"X-Auth-Token", "X-Session-Id", "Api-Secret", "x-password", "X-Credentials",
		"access_token", "apikey", "OAuth-Info",
	};
	static const char *const plain[] = {
		"Idempotency-Key", "idempotency-key", "Content-Type", "X-Request-Id",
		"Retry-After", "Accept", "RateLimit-Policy", "User-Agent",
	};
	size_t i;

	for (i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
		tap_ok(t, redact_is_secret_name(secret[i]), "'%s' is secret", secret[i]);
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		tap_ok(t, !redact_is_secret_name(plain[i]), "'%s' is not secret", plain[i]);
}

static void test_json(struct tap *t)
{
	json_t *v = json_loads("{\"user\":{\"name\":\"ada\",\"password\":\"hunter2\"},"
			       "\"items\":[{\"api_key\":\"k-123\",\"n\":1}],"
			       "\"session\":{\"id\":\"s\"},\"note\":\"keep\"}", 0, NULL);
	char *s;

	redact_json(v);
	s = json_dumps(v, JSON_COMPACT);
	tap_ok(t, s && !strcmp(s, "{\"user\":{\"name\":\"ada\",\"password\":\"[REDACTED]\"},"
			     "\"items\":[{\"api_key\":\"[REDACTED]\",\"n\":1}],"
			     "\"session\":\"[REDACTED]\",\"note\":\"keep\"}"),
	       "JSON: secret members redacted at any depth, others kept (%s)", s);
	free(s);
	json_decref(v);
}

static void test_url(struct tap *t)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "https://api.example.com/v1?x=1", "https://api.example.com/v1?x=1" },
		{ "https://ada:pw@api.example.com/v1", "https://ada:[REDACTED]@api.example.com/v1" },
		{ "https://api.example.com/v1?api_key=abc&q=1&token=t#frag",
		  "https://api.example.com/v1?api_key=[REDACTED]&q=1&token=[REDACTED]#frag" },
		{ "http://127.0.0.1:8080/breezeblue", "http://127.0.0.1:8080/breezeblue" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = redact_url(cases[i].in);

		tap_ok(t, got && !strcmp(got, cases[i].out), "URL '%s' -> '%s' (got '%s')",
		       cases[i].in, cases[i].out, got ? got : "NULL");
		free(got);
	}
}

static void test_redactor(struct tap *t)
{
	struct redactor r;
	char *out;

	redactor_init(&r);
	redactor_add(&r, "s3cr3t-token-value");
	redactor_add(&r, "s3cr3t");
	redactor_add(&r, "abc"); /* too short to scrub */
	out = redactor_apply(&r, "Authorization: Bearer s3cr3t-token-value; again s3cr3t; abc");
	tap_ok(t, out && !strcmp(out, "Authorization: Bearer [REDACTED]; again [REDACTED]; abc"),
	       "known secrets are scrubbed from text, longest first (%s)", out);
	free(out);
	redactor_release(&r);
}

int main(void)
{
	struct tap t;

	tap_init(&t, stdout, TAP_VERSION_TESTS);
	test_names(&t);
	test_json(&t);
	test_url(&t);
	test_redactor(&t);
	return tap_done(&t) ? 1 : 0;
}
