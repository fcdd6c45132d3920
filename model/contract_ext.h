#ifndef ERRATA_CONTRACT_EXT_H
#define ERRATA_CONTRACT_EXT_H
/*
 * What contract.c calls while it loads a contract (internal to the model):
 * the loaders of format 2's additions and the rules across entries. Each
 * returns 0, or -1 with the error in ld.
 */
#include "contract.h"
#include "jload.h"

/* Fails when `key` is in obj and the contract declares format 1. */
int contract_needs_v2(struct jload *ld, const struct contract *c, json_t *obj, const char *key);

/* headers.request_id: a header name, null, or {"header", "prefix"}. */
int contract_load_request_id(struct jload *ld, struct contract *c, json_t *hdr);
/* headers.retry_after's presence and ms_header. */
int contract_load_retry_after_ext(struct jload *ld, struct contract *c, json_t *ra);
/* headers.retry_hint and headers.families. */
int contract_load_headers_ext(struct jload *ld, struct contract *c, json_t *hdr);
/* policy.retry.wait and policy.retry.keyless_post. */
int contract_load_retry_ext(struct jload *ld, struct contract *c, json_t *retry);
/* operations (contract_ops.c): method, path template, statuses, codes. */
int contract_load_operations(struct jload *ld, struct contract *c, json_t *root);
/* Rules across the whole contract, checked once the codes are loaded. */
int contract_check_ext(struct jload *ld, const struct contract *c);

/* A media type: type "/" subtype, each an RFC 9110 token, no parameters. */
int contract_media_type_valid(const char *s);
/* 1 when the media type is JSON: application/json or a +json suffix
 * (parameters after ';' ignored). */
int contract_media_is_json(const char *t);

/* A header name: an RFC 9110 token. */
int contract_header_name_valid(const char *s);

/* contract_body.c: envelope.kind and envelope.array; a code's body rule,
 * required and forbidden headers. */
int contract_load_envelope_kind(struct jload *ld, struct contract *c, json_t *env, json_t *tmpl);
int contract_load_code_body(struct jload *ld, const struct contract *c, json_t *obj, struct contract_code *cc);

/* contract_stream.c: "stream" (before the codes), and a code's "stream". */
int contract_load_stream(struct jload *ld, struct contract *c, json_t *root);
int contract_load_code_stream(struct jload *ld, struct contract *c, json_t *obj, struct contract_code *cc);

/* Is `status` among the nr statuses of list? */
int contract_has_status(const int *list, size_t nr, int status);

/* contract_rules.c: duplicates, retry safety against the retried statuses,
 * the refusal codes; then entries a body cannot tell apart. */
int contract_check_codes(struct jload *ld, struct contract *c);
int contract_check_identities(struct jload *ld, struct contract *c);

/* contract_code.c: one code of the codes array; contract.c's helpers it uses. */
struct envelope_info;
int contract_load_code(struct jload *ld, struct contract *c, json_t *obj, struct contract_code *cc,
		       const struct envelope_info *env, const int *ra_statuses, size_t nr_ra, int ra_retryable_only);
int contract_path_exists(json_t *root, const char *path);
int contract_check_status(struct jload *ld, json_t *v, int error_only);

#endif
