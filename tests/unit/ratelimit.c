/*
 * RateLimit and RateLimit-Policy (draft-ietf-httpapi-ratelimit-headers-10):
 * what errata formats is well formed, and malformed fields are caught.
 */
#include "test.h"
#include "../../model/ratelimit.h"

static const struct {
	const char *value;
	int is_policy, valid;
} cases[] = {
	{ "\"default\";q=60;w=60", 1, 1 },
	{ "\"burst\";q=100;w=60, \"daily\";q=1000;w=86400", 1, 1 },
	{ "burst;q=100;w=60;qu=\"requests\";pk=:cHsdsRa894==:", 1, 1 },
	{ "burst;q=100;pk=:not base64:", 1, 0 },
	{ "burst;q=100;qu=\"requests\"", 1, 1 },
	{ "\"default\";w=60", 1, 0 },
	{ "\"default\";q=-1", 1, 0 },
	{ "\"default\";q=1.5", 1, 0 },
	{ "limit=100, remaining=50, reset=5", 0, 0 },
	{ "\"default\";r=0;t=1", 0, 1 },
	{ "\"default\";r=50", 0, 1 },
	{ "\"default\";t=30", 0, 0 },
	{ "\"default\" r=0", 0, 0 },
	{ "\"unterminated;r=0", 0, 0 },
	{ "", 0, 0 },
	{ "100", 0, 0 },
	/* found by fuzz_retry_after: a key running into the end of the value was
	 * read past it (strchr matches the terminating NUL) */
	{ "\"dat:a\";qe", 0, 0 },
	{ "\"default\";q", 1, 0 },
};

int main(void)
{
	struct tap t;
	char buf[96];
	size_t i;

	tap_init(&t, stdout, TAP_VERSION_TESTS);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = NULL;
		int rc = ratelimit_check(cases[i].value, cases[i].is_policy, &why);

		tap_ok(&t, (rc == 0) == cases[i].valid, "%s '%s' is %s (%s)",
		       cases[i].is_policy ? "RateLimit-Policy" : "RateLimit", cases[i].value,
		       cases[i].valid ? "well formed" : "malformed", rc ? why : "ok");
	}
	ratelimit_format_policy(buf, sizeof(buf), "default", 60, 60);
	tap_ok(&t, !strcmp(buf, "\"default\";q=60;w=60") && !ratelimit_check(buf, 1, NULL),
	       "the policy errata sends is well formed");
	ratelimit_format(buf, sizeof(buf), "default", 0, 7);
	tap_ok(&t, !strcmp(buf, "\"default\";r=0;t=7") && !ratelimit_check(buf, 0, NULL),
	       "the RateLimit errata sends is well formed");
	ratelimit_format(buf, sizeof(buf), "default", 0, -1);
	tap_ok(&t, !strcmp(buf, "\"default\";r=0") && !ratelimit_check(buf, 0, NULL),
	       "without a reset time, t is left out");
	return tap_done(&t) ? 1 : 0;
}
