#ifndef ERRATA_DIFF_H
#define ERRATA_DIFF_H
/*
 * The difference between two versions of a contract, as a client sees it.
 * Breaking: a removed code, a changed status, retry safety flipped either
 * way, a changed envelope, media type, request id or idempotency header, and
 * a changed message when messages are fixed. Not breaking: an added code, a
 * changed default message, name, domain or category.
 */
#include <stddef.h>

#include "contract.h"

struct diff_entry {
	int breaking;
	char text[600];
};

/* Compare `a` (old) with `b` (new). Returns the number of entries and sets
 * *out to an array to free() (NULL when there are none). */
size_t contract_diff(const struct contract *a, const struct contract *b, struct diff_entry **out);

#endif
