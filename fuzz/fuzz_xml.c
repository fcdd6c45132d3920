/*
 * The XML body kind (codec/xml.c) against hostile bodies: a body either
 * reads into a tree or is refused with a reason; a tree it reads writes
 * back out, and reads in again as the same tree (what the mock renders is
 * what errata check reads). Entities are never expanded into the tree.
 */
#include "fuzz.h"
#include "../codec/body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[200] = "";
	json_t *tree = body_xml.parse((const char *)data, size, why, sizeof(why)), *again;
	char *text;

	if (!tree) {
		FUZZ_ASSERT(why[0], "a body refused without a reason");
		return 0;
	}
	text = body_xml.dump(tree);
	FUZZ_ASSERT(text, "a tree read from XML could not be written");
	again = body_xml.parse(text, strlen(text), why, sizeof(why));
	FUZZ_ASSERT(again && json_equal(tree, again), "written and read again, the tree changed: %s", text);
	json_decref(again);
	json_decref(tree);
	free(text);
	return 0;
}
