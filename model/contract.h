#ifndef ERRATA_CONTRACT_H
#define ERRATA_CONTRACT_H
/*
 * The contract model: one API's documented errors, loaded from a JSON file
 * (format: contracts/README.md) and validated strictly. The mock renders
 * responses from it and the harness matches responses against it.
 *
 * model/ is the ground floor: the contract and its judgement, over jansson
 * alone. Every other room (import, mock, harness, cli) uses it; it uses none.
 */
#include <stddef.h>
#include <jansson.h>

#include "../codec/body.h"
#include "jload.h"

/* The newest format this build reads; format 1 contracts keep loading. */
#define CONTRACT_FORMAT 2

/* The shared vocabulary that fixtures and scenarios are written in. */
enum role {
	ROLE_AUTH_REQUIRED,
	ROLE_AUTH_INVALID,
	ROLE_FORBIDDEN,
	ROLE_NOT_FOUND,
	ROLE_VALIDATION,
	ROLE_CONFLICT,
	ROLE_PAYLOAD_TOO_LARGE,
	ROLE_NOT_READY,
	ROLE_RATE_LIMITED,
	ROLE_CONCURRENCY_LIMITED,
	ROLE_INSUFFICIENT_CREDITS,
	ROLE_QUOTA,
	ROLE_CAPACITY,
	ROLE_TIMEOUT,
	ROLE_INTERNAL,
	ROLE_UPSTREAM,
	ROLE_UNAVAILABLE,
	ROLE_MISCONFIGURED,
	ROLE_IDEMPOTENCY_CONFLICT,
	ROLE__COUNT
};

/* "rate_limited" for ROLE_RATE_LIMITED; NULL when out of range. */
const char *role_name(int role);
/* The role named `name`, or -1. */
int role_parse(const char *name);

/*
 * One documented error. Strings and json_t pointers are borrowed from the
 * contract and live as long as it does; optional ones are NULL when absent.
 */
struct contract_code {
	const char *code;        /* the documented code, or HTTP_nnn for a status-only entry */
	const char *name;        /* a second documented name (studio), or NULL */
	int status;
	int retryable;
	int retry_after;         /* errors of this code carry Retry-After */
	int status_only;         /* the document lists the status without a code */
	const char *message;     /* the default message */
	const char *description; /* when the document gives one besides the message */
	const char *domain, *category, *resolution;
	int role;
	json_t *details;         /* per-code details (rendered into {{details}}) */
	json_t *extra;           /* per-code members spliced at {{extra}} */
	json_t *inferred;        /* object: field name -> one-line reason, or NULL */
	size_t index;            /* position in document order */
	/* format 2 */
	json_t *body_code;       /* what "{{code}}" carries when not the code: null,
				  * an integer or another string; NULL: the code */
	const char *type;        /* rendered at "{{type}}", or NULL */
	int body;                /* enum body_rule: what body this error carries */
	json_t *headers;         /* object: header -> the value the mock sends; a
				  * response must carry each (any value), or NULL */
	json_t *forbidden;       /* array of headers a response must not carry, or NULL */
	int stream;              /* enum stream_rule: whether it arrives inside an event stream */
};

/* Where an error arrives (format 2, "stream" of a code). */
enum stream_rule {
	STREAM_NO,               /* as an HTTP status only (the default) */
	STREAM_ALSO,             /* as a status, and as an error event inside a 200 stream */
	STREAM_ONLY              /* only as an error event inside a stream */
};

/* "no", "also", "only"; NULL when out of range. */
const char *stream_rule_name(int rule);

/*
 * The operations that answer as a server-sent event stream, and what the
 * stream carries (format 2, "stream"): the content events, a clean end,
 * the error event. Borrowed from the contract's root; operations NULL when
 * the contract documents no stream.
 */
struct contract_stream {
	json_t *operations;      /* "METHOD /path template", or {"operation", "events"?,
				  * "end"?}: an operation with events of its own */
	json_t *events;          /* [{"event"?, "data"}]: the content, in order */
	json_t *end;             /* the same, what a clean end sends (may be empty) */
	const char *error_event; /* the error's event type; NULL: a data-only event */
	json_t *error_data;      /* the error's data, a template like the envelope;
				  * NULL: no error is documented inside a stream */
	const char *source;      /* where the stream's form is documented */
	size_t nr_streamed;      /* codes whose rule is not STREAM_NO */
	int per_operation;       /* an operation has events of its own */
};

/* What body an error carries (format 2, "body" of a code). */
enum body_rule {
	BODY_ENVELOPE,           /* the envelope (the default) */
	BODY_NONE,               /* none: judged on status and headers */
	BODY_ANY                 /* any body the server likes: not judged */
};

/* The limiter fields a vendor rate-limit header can carry (format 2). */
enum limit_field {
	LF_LIMIT,        /* requests per window */
	LF_REMAINING,    /* requests left */
	LF_USED,         /* requests used in this window */
	LF_RESET_AT,     /* UTC epoch seconds when the window resets */
	LF_RESET_AFTER,  /* seconds until it resets */
	LF_RESET_TIME,   /* RFC 3339 time when it resets */
	LF_RESOURCE,     /* the family's constant resource name */
	LF__COUNT
};

/* "limit" for LF_LIMIT; NULL when out of range. */
const char *limit_field_name(int f);

#define FAMILY_MAX_HEADERS 8

/* A vendor header family rendered from one limiter state. */
struct header_family {
	int on_all;              /* on every response; else on rate-limited codes */
	int quota, window;       /* requests per window (seconds), without --rate-limit */
	const char *resource;    /* the value of an LF_RESOURCE header, or NULL */
	size_t nr;
	struct { const char *header; int field; } h[FAMILY_MAX_HEADERS];
};

/* How a wait header's value reads. */
enum wait_form {
	WAIT_RETRY_AFTER,        /* delay-seconds or an HTTP-date */
	WAIT_SECONDS,            /* seconds, possibly fractional */
	WAIT_MS,                 /* milliseconds, possibly fractional */
	WAIT_EPOCH,              /* UTC epoch seconds */
	WAIT_RFC3339             /* an RFC 3339 time */
};

/* One rule of policy.retry.wait, tried in order; the first that applies wins. */
struct wait_rule {
	const char *header;      /* NULL for a fallback rule */
	int form;                /* enum wait_form */
	const char *when_header, *when_equals; /* applies only when that header has that value */
	int min_seconds;         /* fallback: wait at least this long */
	int exponential;         /* fallback: then back off exponentially */
};

/* Whether a POST may be retried without an idempotency key, by situation. */
struct keyless_post {
	int after_5xx, after_429, reset_before_send, reset_after_send;
};

#define CONTRACT_MAX_FAMILIES 4
#define CONTRACT_MAX_WAIT 8

struct contract {
	char *path;              /* the file it came from (owned) */
	json_t *root;            /* owns every borrowed pointer below */
	const char *id, *title, *source, *version;
	const char *content_type;
	int messages_fixed;      /* 1: a response must carry the default message */
	json_t *error_envelope;  /* the template, with {{placeholders}} */
	json_t *success_envelope;
	const char *request_id_header;
	int retry_after_default; /* seconds */
	const char *rate_limit_policy; /* RateLimit-Policy on 429s, or NULL */
	int rate_limit_quota, rate_limit_window;
	int retry_basis_code;    /* 1: retry safety is per code; 0: by status */
	int retry_statuses[16];
	size_t nr_retry_statuses;
	int honour_retry_after;
	int post_requires_idempotency_key;
	const char *idempotency_header;   /* NULL when the API has none */
	const char *idempotency_conflict; /* the code refusing a reused key, or NULL */
	const char *idempotency_missing;  /* the code refusing a missing key, or NULL */
	int idempotency_required;         /* the key is required on its methods */
	int idempotency_ttl;              /* seconds a key is remembered (default 86400) */
	struct contract_code *codes;      /* document order (owned array) */
	size_t nr_codes;
	size_t nr_documented;    /* codes that are not status_only */
	json_t *inconsistencies; /* array of strings, possibly empty */
	json_t *operations;      /* format 2: [{method, path, statuses, codes}], or NULL */
	size_t nr_operations;
	int secret_paths;        /* an operation's path names a credential: {token} */
	int op_success;          /* an operation documents its success body */
	int ops_complete;        /* the operations are all the API's: any other
				  * method and path is a 404 (or a 405) */
	int wire_twins;          /* two entries carry one code (the operation tells
				  * which status is its): see contract_operation_own() */
	json_t *inferred;        /* object: contract field path -> reason */
	/* format 2 */
	int format;              /* the "errata" version the file declares */
	const char *request_id_prefix;    /* rendered before the mock's id, or NULL */
	int request_id_optional;          /* some responses leave the header out */
	int retry_after_optional;         /* Retry-After may be present, not must */
	const char *retry_after_ms_header;/* e.g. retry-after-ms, or NULL */
	const char *retry_hint_header;    /* e.g. x-should-retry (true|false), or NULL */
	struct header_family families[CONTRACT_MAX_FAMILIES];
	size_t nr_families;
	struct wait_rule wait[CONTRACT_MAX_WAIT];
	size_t nr_wait;                   /* 0: Retry-After alone, where honoured */
	struct keyless_post keyless;
	int has_type;            /* the envelope holds "{{type}}" */
	int has_message;         /* the envelope holds "{{message}}" (format 2 may not) */
	int has_code;            /* the envelope holds "{{code}}" (format 2 may not:
				  * entries are then told apart by status and message) */
	int has_request_id;      /* the envelope holds "{{request_id}}" */
	const struct body_kind *kind; /* how the envelope travels: JSON, XML */
	const char *code_header; /* a header carrying the code too (AWS's
				  * X-Amzn-ErrorType: "Name:url"), or NULL */
	struct contract_stream stream;
	int array_all;           /* an array of errors: every element's code is
				  * read, and the response is retryable only when
				  * each is; else the first element's code rules */
};

/*
 * Load and validate the contract at `path`. Returns a new contract to be
 * released with contract_free(), or NULL with *err filled (err may be NULL).
 */
struct contract *contract_load(const char *path, struct load_error *err);

/* The same, from a buffer; `source` names it in errors. */
struct contract *contract_load_buffer(const char *text, size_t len,
				      const char *source,
				      struct load_error *err);

/*
 * Resolve an argument that is either a file (it contains '/' or ends in
 * ".json") or the id of a bundled contract in `dir`. Returns a new string to
 * free(), the path to load.
 */
char *contract_resolve(const char *id_or_file, const char *dir);

/* The directory holding the bundled contracts: $ERRATA_CONTRACTS, or the
 * contracts/ folder next to the binary's bin/. Returns a new string. */
char *contract_default_dir(void);

/* Resolve (contract_resolve, in contract_default_dir) and load. NULL with
 * *err set when it cannot. */
struct contract *contract_open(const char *id_or_file, struct load_error *err);

/* Frees the contract and everything it owns; accepts NULL. */
void contract_free(struct contract *c);

/* Look up by code, or by its second name (studio's RATE_LIMIT_EXCEEDED). */
const struct contract_code *contract_find(const struct contract *c, const char *code);

/* The first code with this status in document order, or NULL. */
const struct contract_code *contract_find_status(const struct contract *c, int status);

/* The first code with this role in document order, or NULL. */
const struct contract_code *contract_find_role(const struct contract *c, int role);

/*
 * The operation (borrowed from c) that `method` and `path` (below the
 * contract's mount, a query ignored) match, or NULL: "{name}" in a path
 * template matches one segment. contract_operation_code() is the code that
 * operation documents at `status`, or NULL.
 */
json_t *contract_operation(const struct contract *c, const char *method, const char *path);

/* The operation for method and path (no query), the most literal template
 * first; *other_method (may be NULL) set when the path is an operation's
 * under another method (a 405). */
json_t *contract_route(const struct contract *c, const char *method, const char *path, int *other_method);

/* The operation sharing the most leading segments with `path`, or NULL. */
json_t *contract_nearest(const struct contract *c, const char *path);
/* When `path` matches an operation whose template names a credential
 * ("/bot{token}/sendMessage"), the path with each such segment written as
 * its {name} into out (1), each such value added to r (may be NULL); else
 * 0, out untouched. */
struct redactor;
int contract_mask_path(const struct contract *c, const char *method, const char *path, char *out, size_t size,
		       struct redactor *r);
const struct contract_code *contract_operation_code(const struct contract *c, json_t *op, int status);
/* The entry of operation `op` that carries cc's code on the wire: cc when
 * the operation lists it, else one listed with the same code at the status
 * this operation gives it (BLOB_UNKNOWN at 400 on a manifest PUT), or NULL. */
const struct contract_code *contract_operation_own(const struct contract *c, json_t *op,
						   const struct contract_code *cc);

/*
 * Every documented entry whose body would carry this code value (a string,
 * an integer or null) and, when the envelope has one, this type (NULL: any),
 * preferring one with `status`. NULL when none does.
 */
const struct contract_code *contract_identify(const struct contract *c, const json_t *code,
					      const char *type, int status);

/* Does the contract send header `name` (case-insensitive) on any response? */
int contract_sends_header(const struct contract *c, const char *name);

/* May a POST be retried without a key after `status` (0: a connection
 * fault after the request was sent, -1: before)? */
int contract_keyless_retry_ok(const struct contract *c, int status);

/* Does (method, path below the mount, a query ignored) answer as an event
 * stream by the contract's "stream.operations"? */
int contract_streams(const struct contract *c, const char *method, const char *path);

/* "METHOD /path" of the i-th streaming operation, or NULL. */
const char *contract_stream_op(const struct contract *c, size_t i);

/* The content events of operation (method, path below the mount), and
 * into *end what its clean end sends: its own where the entry of
 * stream.operations has them, else the stream's. method NULL: the
 * stream's. Borrowed from the contract. */
json_t *contract_stream_events(const struct contract *c, const char *method, const char *path, json_t **end);

/* Does `path` (no query) match the path template ("{name}" one segment,
 * "{name+}" one or more)? */
int contract_path_matches(const char *tmpl, const char *path);

/* The reason a code's field is inferred, or NULL when it is documented. */
const char *contract_code_inferred(const struct contract_code *code, const char *field);

#endif
