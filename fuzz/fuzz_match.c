/*
 * The envelope matcher against hostile responses: the first byte picks a
 * status, the next lines are Content-Type, Retry-After, RateLimit-Policy and
 * RateLimit values, then the vendor headers of format 2 (rate-limit
 * families, retry hints, retry-after-ms, request ids), the rest is the body;
 * judged by every bundled contract.
 * A verdict is always reached, and a body that does not parse as the
 * envelope's kind (JSON, XML) fails, unless the contract leaves it free.
 */
#include "fuzz.h"
#include "../model/match.h"

static const char *line(char **p)
{
	char *s = *p, *nl = strchr(s, '\n');

	if (nl) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = s + strlen(s);
	}
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int statuses[] = { 200, 400, 401, 402, 403, 404, 409, 413, 422, 425, 429,
					 500, 502, 503, 504, 599, 0, 999 };
	size_t n, i;
	struct contract **cs = fuzz_contracts(&n);
	char *s, *p;
	static const char *const vendor[] = {
		"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-used", "x-ratelimit-reset",
		"x-ratelimit-resource", "x-should-retry", "Stripe-Should-Retry", "retry-after-ms",
		"anthropic-ratelimit-requests-reset", "ratelimit-remaining", "ratelimit-reset", "request-id",
	};
	struct header h[5 + sizeof(vendor) / sizeof(vendor[0])];
	struct response r = { 0 };

	if (size < 1)
		return 0;
	s = fuzz_string(data + 1, size - 1);
	p = s;
	h[0].name = "Content-Type";
	h[0].value = line(&p);
	h[1].name = "Retry-After";
	h[1].value = line(&p);
	h[2].name = "RateLimit-Policy";
	h[2].value = line(&p);
	h[3].name = "RateLimit";
	h[3].value = line(&p);
	h[4].name = "X-Request-Id";
	h[4].value = "r";
	r.status = statuses[data[0] % (sizeof(statuses) / sizeof(statuses[0]))];
	for (i = 0; i < sizeof(vendor) / sizeof(vendor[0]); i++) {
		h[5 + i].name = vendor[i];
		h[5 + i].value = line(&p);
	}
	r.headers = h;
	r.nr_headers = sizeof(h) / sizeof(h[0]);
	r.body = p;
	r.body_len = size - 1 - (size_t)(p - s);
	for (i = 0; i < n; i++) {
		struct match_result m;

		match_result_init(&m);
		contract_match(cs[i], &r, 1700000000, &m);
		/* only a status whose body the contract leaves free (or absent)
		 * passes a body that does not parse; a 200 event stream is an
		 * error only when an error event in it says so */
		FUZZ_ASSERT(m.parsed || m.failures > 0 || m.body_rule || (m.streamed && !m.code),
			    "a body that does not parse passed");
		FUZZ_ASSERT(!m.streamed || r.status == 200, "a %d judged as a stream", r.status);
		match_result_release(&m);
	}
	free(s);
	return 0;
}
