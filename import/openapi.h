#ifndef ERRATA_OPENAPI_H
#define ERRATA_OPENAPI_H
/*
 * Import an OpenAPI description (3.0 or 3.1, JSON or YAML, in one file or
 * many joined by $ref) as a contract.
 *
 * Every operation's 4xx, 5xx and "default" responses, and those of
 * components/responses, give the codes (from examples, from an enum of the
 * code member, or a status-only entry when there is neither), the statuses,
 * the envelope (from the error schema), the headers the responses declare
 * (a request id, Retry-After, rate-limit families) and the operations each
 * error can occur on. What cannot be mapped is said in the warnings; values
 * the description does not state are marked inferred, as the prose importer
 * marks them (import.h).
 *
 * $ref is followed inside a file and across files (relative paths and JSON
 * pointers); a remote $ref, one that leaves the root file's directory, a
 * missing target and a cycle of $refs are errors. The files read together
 * are bounded at OPENAPI_MAX_BYTES.
 */
#include <stddef.h>
#include <jansson.h>

#include "../model/jload.h"

#define OPENAPI_MAX_BYTES ((size_t)64 << 20)

/* Does `text` look like an OpenAPI description (an "openapi" or "swagger"
 * member at the top)? */
int openapi_sniff(const char *text, size_t len);

/*
 * Build a contract from the description `text`, read from `path` (other
 * files are found relative to it; "-" means the current directory). `id`
 * may be NULL. `report`, when not NULL, gets what contract_import()'s does
 * (import.h). Returns the contract (a new reference) or NULL with *err set.
 */
json_t *openapi_import(const char *text, size_t len, const char *path, const char *id,
		       json_t *report, struct load_error *err);

#endif
