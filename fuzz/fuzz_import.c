/*
 * errata contract import on arbitrary pages: an error or a contract, and a
 * contract it builds always loads (the importer never writes an invalid one).
 */
#include "fuzz.h"
#include "../import/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct load_error err;
	json_t *warnings = json_object();
	json_t *c = contract_import((const char *)data, size, "fuzz.md", "fuzz", warnings, &err);

	if (c) {
		char *text = json_dumps(c, JSON_COMPACT);
		struct contract *loaded = text ? contract_load_buffer(text, strlen(text), "imported", &err) : NULL;

		FUZZ_ASSERT(loaded, "the imported contract does not load: %s:%d:%d: %s", err.source, err.line,
			    err.column, err.text);
		contract_free(loaded);
		free(text);
		json_decref(c);
	} else {
		FUZZ_ASSERT(err.text[0], "a refused page without a reason");
	}
	json_decref(warnings);
	return 0;
}
