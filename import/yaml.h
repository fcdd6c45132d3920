#ifndef ERRATA_YAML_H
#define ERRATA_YAML_H
/*
 * YAML (1.1 and 1.2, as OpenAPI descriptions are written) read into a jansson
 * tree with libyaml's event parser. JSON text is YAML too; it is handed to
 * jansson directly, which is faster and says more about a mistake.
 *
 * Plain scalars resolve as YAML's core schema does (null, true/false,
 * integers, floats); quoted ones stay strings; a key is always its text.
 * Anchors and aliases share one node (no copy), "<<" merges mappings, and
 * an alias of a node still being read (a cycle) is refused, as are more
 * than YAML_MAX_ALIASES aliases, nesting past YAML_MAX_DEPTH, a key that is
 * not a scalar, and a stream of more than one document.
 */
#include <stddef.h>
#include <jansson.h>

#include "../model/jload.h"

#define YAML_MAX_DEPTH   256
#define YAML_MAX_ALIASES 10000

/* The document `text` as JSON (a new reference), or NULL with *err set
 * (line and column 1-based). `source` names the document in err. */
json_t *yaml_load(const char *text, size_t len, const char *source, struct load_error *err);

#endif
