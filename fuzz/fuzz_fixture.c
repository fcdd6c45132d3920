/*
 * Fixture files on arbitrary bytes, for every bundled contract.
 */
#include "fuzz.h"
#include "../harness/fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n, i;
	struct contract **cs = fuzz_contracts(&n);

	for (i = 0; i < n; i++) {
		struct fixtures f;
		struct load_error err;

		fixtures_init(&f);
		if (fixtures_load_buffer(&f, (const char *)data, size, "fuzz", cs[i], &err))
			FUZZ_ASSERT(err.text[0], "a refused fixture file without a reason");
		else
			FUZZ_ASSERT(f.nr > 0, "a fixture file loaded with no case");
		fixtures_release(&f);
	}
	return 0;
}
