/*
 * Helpers shared by the unit tests: each test is a TAP program built on the
 * project's own writer (model/tap.c) and run by prove from the top folder.
 */
#ifndef ERRATA_TEST_H
#define ERRATA_TEST_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../model/contract.h"
#include "../../model/tap.h"

static const char *const bundled[] = {
	"breezeblue", "breezeblue-v1", "segmenter", "genapi", "studio", "ledger", NULL
};

/* Load a bundled contract by id or bail out: nothing else can be tested. */
static inline struct contract *load_bundled(struct tap *t, const char *id)
{
	char path[256], msg[600];
	struct load_error err;
	struct contract *c;

	snprintf(path, sizeof(path), "contracts/%s.json", id);
	c = contract_load(path, &err);
	if (!c) {
		load_error_format(&err, msg, sizeof(msg));
		tap_bail(t, msg);
		exit(1);
	}
	return c;
}

#endif
