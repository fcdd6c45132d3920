#ifndef ERRATA_DOCS_H
#define ERRATA_DOCS_H
/*
 * A contract rendered as the reference page documents show: the error
 * envelope (an example, plus one per code with details or extra members),
 * the table of codes (code, status, name, domain, retry, message) and the
 * values the source document does not state. contract_import() reads it
 * back to the same codes, statuses, messages and retry safety.
 */
#include "contract.h"

/* Markdown, or a standalone HTML page when `html`. Returns a string to
 * free(), or NULL when out of memory. */
char *contract_docs(const struct contract *c, int html);

#endif
