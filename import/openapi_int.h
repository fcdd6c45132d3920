#ifndef ERRATA_OPENAPI_INT_H
#define ERRATA_OPENAPI_INT_H
/* The OpenAPI importer's state: internal to openapi.c and openapi_schema.c. */
#include <jansson.h>

#include "oas_ref.h"

struct doc;

#define OAS_MAX_SCHEMAS 256

struct oas_use {             /* an error schema, and how many responses use it */
	json_t *schema;
	const char *file;
	size_t n;
	char where[160];
};

struct oas {
	struct oas_files files;
	struct doc *d;
	json_t *tmpl;            /* the envelope, from the first error schema */
	json_t *code_path;       /* the keys from the body to its code */
	json_t *code_enum;       /* the code member's enum, or NULL */
	json_t *code_doc;        /* the code member's description (its enum's values explained), or NULL */
	int code_nullable, has_message, has_type, body_request_id;
	json_t *tmpl_schema;     /* the schema it came from (borrowed) */
	json_t *enum_statuses;   /* statuses whose responses use that schema */
	int other_schema;        /* responses with another error schema */
	json_t *seen;            /* a response read: "node/status" -> its codes */
	json_t *used;            /* "node" of each response an operation uses */
	json_t *tried;           /* "node" of each schema tried as the envelope */
	struct oas_use uses[OAS_MAX_SCHEMAS];
	size_t nr_uses;
	int survey;              /* the first walk: counting schemas only */
	json_t *empty;           /* the codes of a response the survey saw */
	json_t *pending;         /* notes of the schema being tried */
	json_t *ops;             /* the operations: {method, path, statuses, codes} */
	json_t *streams;         /* the operations that stream: {operation, events} */
	json_t *ra_statuses;     /* statuses whose responses declare Retry-After */
	json_t *families;        /* rate-limit header (lower case) -> field */
	char *request_id_header;
	char *retry_hint;        /* a declared should-retry header, lower case */
	int ms_header;           /* retry-after-ms is declared */
	const char *ctype;
	char *text;              /* what the description says of its errors, for the rules */
	size_t text_len, text_cap;
	size_t nr_ops, nr_responses, nr_examples, nr_enums, nr_status_only, nr_defaults;
	size_t visits;           /* schema nodes visited by the attempt in hand */
	char over[200];          /* why an error schema was refused as too large, or "" */
};

/* Schema nodes one envelope attempt may visit: nested $refs and YAML
 * aliases make a tree exponential in its text, so a bound, not a depth. */
#define OAS_SCHEMA_BUDGET 20000

/* Make the error schema the envelope (o->tmpl, o->code_path and the o->has_*
 * flags) unless one is kept already; a schema with neither a code nor a
 * message member cannot be one. Each schema is tried once. */
void oas_consider_schema(struct oas *o, json_t *schema, const char *file, const char *where);

/* openapi_patch.c: set what the description states on the contract built;
 * drop the type member from an envelope whose errors carry none. */
void oas_patch(struct oas *o, json_t *c);
void oas_drop_untyped(struct oas *o);

/* openapi_success.c: set the operation's documented success on opj
 * (success, success_type, success_status), or success_unavailable with
 * why no body can be made (said as a note too). */
void oas_success(struct oas *o, json_t *op, const char *file, json_t *opj, const char *where);

#endif
