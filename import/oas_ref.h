#ifndef ERRATA_OAS_REF_H
#define ERRATA_OAS_REF_H
/*
 * The files of an OpenAPI description and its $refs: internal to openapi.c.
 * Files are read once, when a $ref first needs them, and kept until
 * oas_files_release().
 */
#include <limits.h>
#include <stddef.h>
#include <jansson.h>

#include "../model/jload.h"

struct oas_files {
	char dir[PATH_MAX];      /* the root file's directory: no $ref leaves it */
	char root_name[256];     /* the root file, as messages name it */
	json_t *docs;            /* real path -> parsed document */
	size_t bytes;            /* read so far, bounded by OPENAPI_MAX_BYTES */
	size_t nr_refs;          /* $refs followed */
	struct load_error *err;  /* the first error */
	int failed;
};

/* Parse the root document `text` (from `path`, "-" for standard input).
 * Returns it (borrowed: held by f) or NULL with f->err set. */
json_t *oas_files_init(struct oas_files *f, const char *text, size_t len, const char *path,
		       struct load_error *err);
void oas_files_release(struct oas_files *f);

/*
 * Follow `node`'s $ref (and the $refs its target has) from the document in
 * *file; returns the node reached, with *file set to its document (a string
 * held by f), or NULL after an error (a missing target, a remote or escaping
 * path, a cycle). A node without $ref is returned as it is.
 */
json_t *oas_deref(struct oas_files *f, json_t *node, const char **file);

/* The root document's name in f (for *file). */
const char *oas_root_name(struct oas_files *f);

#endif
