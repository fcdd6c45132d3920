/*
 * The mock's request headers that errata itself reads: X-Errata-Error,
 * Prefer and ?__error (one per input line), X-Errata-Retry-After, and the
 * redaction of header names, URLs and JSON bodies that the journal applies.
 */
#include "fuzz.h"
#include "../mock/select.h"
#include "../model/redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n, i;
	struct contract **cs = fuzz_contracts(&n);
	char *s = fuzz_string(data, size), *parts[3] = { s, NULL, NULL }, why[300], *u;
	long long secs;
	int as_date;
	json_t *j;

	for (i = 1; i < 3; i++) {
		char *nl = parts[i - 1] ? strchr(parts[i - 1], '\n') : NULL;

		if (nl) {
			*nl = '\0';
			parts[i] = nl + 1;
		}
	}
	for (i = 0; i < n; i++) {
		const struct contract_code *out = NULL;
		enum select_problem p = select_code(cs[i], parts[0], parts[1], parts[2], &out, why, sizeof(why));

		FUZZ_ASSERT(p == SELECT_OK || why[0], "a refused selector without a reason");
		FUZZ_ASSERT(p != SELECT_OK || !out || out >= cs[i]->codes, "a code outside the contract");
	}
	for (i = 0; i < n; i++) { /* X-Errata-Stream */
		long long nv[3] = { -1, -1, -1 };
		const struct contract_code *cc = NULL;
		int e;

		why[0] = '\0';
		e = select_stream(cs[i], s, nv, &cc, why, sizeof(why));
		FUZZ_ASSERT(e >= 0 || why[0], "a refused X-Errata-Stream without a reason");
		FUZZ_ASSERT(e < 0 || (e <= 3 && nv[0] <= 10000 && nv[1] <= 60000 && nv[2] <= 600000 && (!cc || e == 0)),
			    "X-Errata-Stream '%s' read out of range", s);
	}
	if (!select_retry_after(s, &secs, &as_date))
		FUZZ_ASSERT(secs >= 0, "a negative Retry-After was accepted: %lld", secs);
	(void)redact_is_secret_name(s);
	u = redact_url(s);
	free(u);
	j = json_loadb((const char *)data, size, 0, NULL);
	if (j) {
		redact_json(j);
		json_decref(j);
	}
	free(s);
	return 0;
}
