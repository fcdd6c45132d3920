/*
 * The OpenAPI importer on arbitrary descriptions (YAML or JSON, through
 * libyaml and yaml.c's builder): an error with a reason, or a contract that
 * loads. $refs resolve against the current directory, which the fuzzer
 * cannot write, so a run reads only the tree it starts in.
 */
#include "fuzz.h"
#include "../import/openapi.h"
#include "../import/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct load_error err;
	json_t *report = json_object(), *c, *y;

	/* the YAML reader alone: a tree or an error with a reason */
	y = yaml_load((const char *)data, size, "fuzz.yaml", &err);
	FUZZ_ASSERT(y || err.text[0], "a refused YAML document without a reason");
	json_decref(y);

	c = openapi_import((const char *)data, size, "-", "fuzz", report, &err);
	if (c) {
		char *text = json_dumps(c, JSON_COMPACT);
		struct contract *loaded = text ? contract_load_buffer(text, strlen(text), "imported", &err) : NULL;

		FUZZ_ASSERT(loaded, "the imported contract does not load: %s:%d:%d: %s", err.source, err.line,
			    err.column, err.text);
		contract_free(loaded);
		free(text);
		json_decref(c);
	} else {
		FUZZ_ASSERT(err.text[0], "a refused description without a reason");
	}
	json_decref(report);
	return 0;
}
