#ifndef ERRATA_IMPORT_H
#define ERRATA_IMPORT_H
/*
 * import/ is errata contract import's room, over model/ alone and used by
 * the CLI alone: pages (Markdown through md4c, HTML through libxml2, text)
 * and OpenAPI descriptions (YAML through libyaml) to contracts.
 *
 * Import: read an API's error reference as its docs present it (Markdown,
 * the plain text a docs page copies as, or HTML) and write a contract.
 *
 * What it reads: pipe tables (with or without their leading pipe and
 * separator row), tables whose cells a copy glued together ("CodeDescription",
 * "StatusMeaning"), status bullet lists ("429: rate limiting"), retry guidance
 * in prose, and JSON envelope examples. Every value the document does not
 * state is marked inferred with the rule that produced it, and what the
 * document contradicts is listed in the contract's inconsistencies (and in
 * `warnings`). The rules are written out in contracts/README.md.
 */
#include <stddef.h>
#include <jansson.h>

#include "../model/jload.h"

/*
 * Build a contract from the document `text`. `source` is recorded in the
 * contract and names the document in errors; `id` may be NULL (derived from
 * source). When `report` (an object) is not NULL, the importer sets in it
 * "warnings" (strings: inconsistencies, then what it could not read),
 * "found" (strings: each table, list and example it read or set aside, and
 * why) and "explain" (code -> {"found": [how], "inferred": {field: why}}).
 * Returns the contract as JSON (a new reference), or NULL with *err set when
 * the document holds no error codes errata can read.
 */
json_t *contract_import(const char *text, size_t len, const char *source,
			const char *id, json_t *report, struct load_error *err);

#endif
