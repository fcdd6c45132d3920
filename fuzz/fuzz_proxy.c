/*
 * errata proxy's parsers: --inject's spec (and the choices it makes from
 * the seed), and the upstream's response header lines as they are split
 * before being passed on. The first byte picks which.
 */
#include "fuzz.h"
#include "../mock/inject.h"
#include "../mock/upstream.h"

static void inject(const char *s)
{
	struct inject_spec spec;
	char why[300] = "";
	uint64_t n;
	size_t i;

	if (inject_spec_parse(s, &spec, why, sizeof(why))) {
		FUZZ_ASSERT(why[0] && strlen(why) < sizeof(why), "a refused spec without a reason");
		return;
	}
	/* no choices: the contract's retryable codes, filled in at start-up */
	FUZZ_ASSERT(spec.nr <= INJECT_MAX_CHOICES && spec.rate_ppm <= 1000000 && spec.max_in_a_row <= 9999,
		    "a spec accepted out of bounds: %zu choices, %u ppm, %u in a row", spec.nr, spec.rate_ppm,
		    spec.max_in_a_row);
	FUZZ_ASSERT(spec.nr || inject_pick(&spec, 0) == -1, "a pick from no choices");
	for (i = 0; i < spec.nr; i++)
		FUZZ_ASSERT(spec.choice[i][0] && strlen(spec.choice[i]) <= 100 && !strpbrk(spec.choice[i], ",|="),
			    "a choice that is not a name: '%s'", spec.choice[i]);
	for (n = 0; n < 64; n++) {
		int k = inject_pick(&spec, n);

		FUZZ_ASSERT(k >= -1 && k < (int)spec.nr, "a pick outside the choices: %d", k);
		FUZZ_ASSERT(k == inject_pick(&spec, n), "the same seed and request gave another pick");
		FUZZ_ASSERT(spec.rate_ppm || k == -1, "a rate of 0 injected");
	}
	inject_spec_release(&spec);
}

static void header(const uint8_t *data, size_t size)
{
	const char *b = (const char *)data, *v;
	size_t nl, vl;

	if (upstream_header_split(b, size, &nl, &v, &vl))
		return;
	FUZZ_ASSERT(nl > 0 && nl < size && b[nl] == ':', "a name that does not end at a colon");
	FUZZ_ASSERT(v > b + nl && v + vl <= b + size, "a value outside the line");
	FUZZ_ASSERT(!memchr(v, '\r', vl) && !memchr(v, '\n', vl) && !memchr(b, '\0', size),
		    "a CR, LF or NUL passed on");
	FUZZ_ASSERT(!vl || (v[0] != ' ' && v[0] != '\t' && v[vl - 1] != ' ' && v[vl - 1] != '\t'),
		    "blanks kept around a value");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (!size)
		return 0;
	if (data[0] & 1) {
		header(data + 1, size - 1);
		return 0;
	}
	s = fuzz_string(data + 1, size - 1);
	inject(s);
	free(s);
	return 0;
}
