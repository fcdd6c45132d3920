/*
 * Retry-After, HTTP-dates and the RateLimit fields on arbitrary text. A date
 * that parses formats back to an IMF-fixdate that parses to the same time.
 * Each form of a format-2 wait header (seconds, ms, epoch, RFC 3339) gives a
 * finite, non-negative wait or a refusal.
 */
#include <math.h>
#include "fuzz.h"
#include "../model/ratelimit.h"
#include "../model/retry_after.h"
#include "../model/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size), again[HTTP_DATE_SIZE];
	struct retry_after ra;
	enum http_date_form form;
	const char *why;
	time_t t, t2;

	if (!retry_after_parse(s, 1700000000, &ra, &why))
		(void)retry_after_misread(&ra);
	else
		FUZZ_ASSERT(why && *why, "a refused Retry-After without a reason");
	if (!http_date_parse(s, &t, &form)) {
		http_date_format(t, again);
		FUZZ_ASSERT(!http_date_parse(again, &t2, &form) && t2 == t && form == HTTP_DATE_IMF,
			    "'%s' parsed, but its IMF-fixdate '%s' does not round-trip", s, again);
	}
	for (int wf = WAIT_RETRY_AFTER; wf <= WAIT_RFC3339; wf++) {
		double w = -1;

		if (!wait_value_parse(wf, s, 1700000000.5, &w))
			FUZZ_ASSERT(isfinite(w) && w >= 0, "'%s' read as form %d gives the wait %f", s, wf, w);
	}
	(void)ratelimit_check(s, 0, &why);
	(void)ratelimit_check(s, 1, &why);
	free(s);
	return 0;
}
