#ifndef ERRATA_ENVELOPE_H
#define ERRATA_ENVELOPE_H
/*
 * The error envelope: one template per contract, written with typed
 * placeholders, serves both directions. The mock renders a body from it;
 * the harness matches a received body against it.
 *
 *   "{{code}}"     a string, the documented code
 *   "x{{code}}y"   a string holding the code between constant text (an
 *                  RFC 9457 type URI: "https://example.com/probs/{{code}}")
 *   "{{message}}"  a string, the code's default message
 *   "{{message?}}" the same, but a response may leave the member out
 *   "{{status}}"   an integer, the HTTP status
 *   "{{status_string}}" the same as a string ("404", JSON:API's status)
 *   "{{detail}}"   a string that may vary per occurrence (RFC 9457 detail);
 *                  renders the code's description, or else its message
 *   "{{details}}"  an object, the code's details or {}
 *   "{{details?}}" the same, but the member is omitted when the code has none
 *   "{{any?}}"     any JSON value, or absent (OCI's "arbitrary JSON data");
 *                  renders the code's details, else is left out
 *   "{{extra}}": null   a member that splices in the code's extra members
 *   "{{type}}"     a string, the code's type (format 2)
 *   "{{request_id}}" a string equal to the request id header (format 2)
 *   "{{request_id?}}" the same, but a response may leave the member out
 *
 * A status-only entry renders without the members holding its code and
 * type: no document defines them, so none is invented.
 */
#include <jansson.h>

#include "contract.h"
#include "jsonpos.h"

enum placeholder {
	PH_NONE,          /* not a placeholder: a constant */
	PH_CODE,
	PH_CODE_IN,       /* {{code}} between constant text */
	PH_MESSAGE,
	PH_MESSAGE_OPT,   /* {{message?}}: a response may leave the member out */
	PH_STATUS,
	PH_STATUS_STRING, /* {{status_string}}: the status as a string (JSON:API) */
	PH_DETAIL,
	PH_DETAILS,
	PH_DETAILS_OPT,
	PH_ANY_OPT,       /* {{any?}}: any JSON value, or absent (OCI's detail) */
	PH_TYPE,
	PH_REQUEST_ID,
	PH_REQUEST_ID_OPT,
	PH_UNKNOWN        /* looks like {{...}} but is not one of the above */
};

#define ENVELOPE_EXTRA_KEY "{{extra}}"

/* Classify a template string. */
enum placeholder envelope_placeholder(const char *s);

/* 1 when the template holds a placeholder anywhere. An array that does is
 * an array of errors: its first element holds the placeholders (lint
 * refuses them elsewhere), and each error of a body is read by it. */
int envelope_has_placeholder(json_t *t);
#define ENVELOPE_ARRAY_MAX 64   /* errors of an array read, at most */

/*
 * For a PH_CODE_IN template string: the code inside `s`, which must read
 * `tmpl` with {{code}} replaced by a non-empty code. Returns a new string to
 * free(), or NULL when `s` does not have that form.
 */
char *envelope_code_in(const char *tmpl, const char *s);

/* What a template contains, as found by envelope_scan(). */
struct envelope_info {
	int codes, messages, statuses, details, extras, types, request_ids;
};

/*
 * Validate a template and count its placeholders. On a bad placeholder it
 * returns -1, leaves `path` pointing at it and writes the reason to `why`.
 */
int envelope_scan(json_t *tmpl, struct jpath *path, struct envelope_info *info,
		  char *why, size_t whysize);

/*
 * Render the error body of `code` with `message` (NULL: the default) and
 * HTTP `status`. Returns a new reference.
 */
json_t *envelope_render(const struct contract *c, const struct contract_code *code,
			const char *message, int status);

/* The id "{{request_id}}" renders as when none is given. */
#define ENVELOPE_EXAMPLE_ID "req_0123456789abcdef"

/* The same, with "{{request_id}}" rendered as `request_id` (NULL: the
 * example id). */
json_t *envelope_render_id(const struct contract *c, const struct contract_code *code,
			   const char *message, int status, const char *request_id);

/* The same from another template of the contract's (a stream's error
 * event data). */
json_t *envelope_render_in(const json_t *tmpl, const struct contract_code *code, const char *message,
			   int status, const char *request_id);

/* The same, written in the contract's body kind (compact JSON, or XML);
 * "" for a code without a body, the message as plain text for a code whose
 * body is free (ENVELOPE_FREE_TYPE). Returns a string to free(). */
#define ENVELOPE_FREE_TYPE "text/plain; charset=utf-8"
char *envelope_render_text(const struct contract *c, const struct contract_code *code,
			   const char *message, int status);

/* The success body, in the contract's body kind (XML's {} is no body: S3's
 * PUT answers 200 with none). Returns a string to free(). */
char *envelope_success_text(const struct contract *c);

#endif
