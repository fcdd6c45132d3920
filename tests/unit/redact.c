/*
 * Redaction: which names are secret, JSON members at any depth, URLs, and
 * known secret values in free text.
 */
#include "test.h"
#include "../../model/utf8.h"
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

/* The one evidence helper: redact, then make UTF-8, then cut on a character,
 * never leaving the edge of a secret at a cut. */
static void test_evidence(struct tap *t)
{
	static const char tok[] = "tok_0123456789abcdef0123";
	struct redactor r;
	char text[256], *out;
	size_t max;
	int leaks = 0, bad = 0;

	redactor_init(&r);
	redactor_add(&r, tok);
	/* the token at every offset around a cut of 64 bytes */
	for (max = 20; max < 100; max++) {
		size_t at;

		for (at = 0; at + sizeof(tok) < sizeof(text) - 1 && at < 120; at++) {
			size_t k;

			memset(text, 'x', sizeof(text));
			memcpy(text + at, tok, sizeof(tok) - 1);
			text[200] = '\0';
			out = redact_evidence(&r, text, 200, max);
			for (k = 0; out && k + 12 <= sizeof(tok) - 1; k++)
				leaks += memmem(out, strlen(out), tok + k, 12) != NULL;
			/* what is left of the token at the cut: never more than 0 bytes */
			if (out && strlen(out) > 6 && !strcmp(out + strlen(out) - 6, " [cut]")) {
				size_t n = strlen(out) - 6, j;

				for (j = 1; j < sizeof(tok) - 1 && j <= n; j++)
					leaks += !memcmp(out + n - j, tok, j) && j > 1;
			}
			bad += !out || strlen(out) > max;
			free(out);
			out = redact_evidence_tail(&r, text, 200, max);
			for (k = 0; out && k + 12 <= sizeof(tok) - 1; k++)
				leaks += memmem(out, strlen(out), tok + k, 12) != NULL;
			bad += !out || strlen(out) > max;
			free(out);
		}
	}
	tap_ok(t, !leaks && !bad, "a token at every offset around cuts of 20 to 99 bytes: none of it shows (%d), none too long (%d)",
	       leaks, bad);
	out = redact_evidence(NULL, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 12, 5 + 6);
	tap_ok(t, out && !strcmp(out, "\xc3\xa9\xc3\xa9 [cut]"), "a cut inside a character moves back to its start (%s)", out);
	free(out);
	out = redact_evidence(NULL, "a\xff\0b", 4, 100);
	tap_ok(t, out && !strcmp(out, "a\xef\xbf\xbd\xef\xbf\xbd" "b"), "bad bytes and NULs become U+FFFD");
	free(out);
	redactor_release(&r);
}

/* Escaped journal strings: no two byte strings give the same text and flag. */
static void test_escape(struct tap *t)
{
	int e1, e2, e3;
	char *a = utf8_escape("a\xe9", 2, &e1), *b = utf8_escape("a\\xE9", 5, &e2),
	     *c = utf8_escape("\\\xe9", 2, &e3);

	tap_ok(t, a && b && c && !strcmp(a, "a\\xE9") && e1 && !strcmp(b, "a\\xE9") && !e2 &&
	       !strcmp(c, "\\\\\\xE9") && e3,
	       "a byte and its spelling differ by the escaped flag; a backslash beside a bad byte is doubled (%s, %s, %s)",
	       a, b, c);
	free(a);
	free(b);
	free(c);
	tap_ok(t, utf8_cut("ab\xe2\x82\xac", 5, 4) == 2 && utf8_cut("ab\xe2\x82\xac", 5, 5) == 5 &&
	       utf8_cut("abc", 3, 10) == 3, "utf8_cut never splits a character");
	/* found by fuzz_journal: junk continuation bytes after a character made
	 * stepping back stop inside the character */
	tap_ok(t, utf8_cut("\xe2\x82\x82\xac\xac\x82", 6, 5) == 5 && utf8_cut("\xe2\x82\x82\xac\xac\x82", 6, 2) == 0,
	       "a cut after junk continuation bytes keeps the character before them whole");
}

int main(void)
{
	struct tap t;

	tap_init(&t, stdout, TAP_VERSION_TESTS);
	test_names(&t);
	test_json(&t);
	test_url(&t);
	test_redactor(&t);
	test_evidence(&t);
	test_escape(&t);
	return tap_done(&t) ? 1 : 0;
}
