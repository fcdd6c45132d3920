/*
 * Scenario definitions (POST /__errata/scenarios, --scenarios files) on
 * arbitrary bytes, against the bundled contracts; a scenario that loads is
 * stepped through.
 */
#include "fuzz.h"
#include "../mock/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n, index, k;
	struct contract **cs = fuzz_contracts(&n);
	struct load_error err;
	struct jload ld;
	struct scenario *sc;
	json_t *def = jload_parse(&ld, (const char *)data, size, "fuzz", &err);

	if (!def)
		return 0;
	sc = scenario_parse(&ld, def, cs, n);
	if (sc) {
		json_t *j = scenario_json(sc);

		for (k = 0; k < 20; k++) {
			long long nth;
			const struct step *st = scenario_next(sc, &index, &nth);

			if (!st)
				break;
			FUZZ_ASSERT(scenario_delay_ms(sc, st, nth) >= 0, "a negative delay");
		}
		json_decref(j);
		scenario_unref(sc);
	} else {
		FUZZ_ASSERT(err.text[0], "a refused scenario without a reason");
	}
	json_decref(def);
	return 0;
}
