#ifndef ERRATA_MATCH_H
#define ERRATA_MATCH_H
/*
 * Matching a received error response against a contract. Every violation
 * cites a stable check id (the ids are the CHECK_* strings below and are
 * listed with their meaning by check_describe()).
 */
#include <stddef.h>
#include <time.h>

#include "contract.h"

#define CHECK_STATUS              "status"
#define CHECK_ENVELOPE_JSON       "envelope.json"
#define CHECK_ENVELOPE_SHAPE      "envelope.shape"
#define CHECK_ENVELOPE_STATUS     "envelope.status"
#define CHECK_CODE_DOCUMENTED     "code.documented"
#define CHECK_MESSAGE_FIXED       "message.fixed"
#define CHECK_CONTENT_TYPE        "content-type"
#define CHECK_RETRY_AFTER_PRESENT "retry-after.present"
#define CHECK_RETRY_AFTER_VALID   "retry-after.valid"
#define CHECK_RETRY_AFTER_MISREAD "retry-after.misread"
#define CHECK_REQUEST_ID          "request-id"
#define CHECK_RATELIMIT           "ratelimit"
#define CHECK_REQUEST_ID_BODY     "request-id.body"
#define CHECK_RATELIMIT_FAMILY    "ratelimit.family"
#define CHECK_RETRY_HINT          "retry-hint"
#define CHECK_RETRY_AFTER_MS      "retry-after-ms"
#define CHECK_WAIT_INFO           "wait.info"
#define CHECK_ENVELOPE_XML        "envelope.xml"
#define CHECK_HEADERS_REQUIRED    "headers.required"
#define CHECK_HEADERS_FORBIDDEN   "headers.forbidden"
#define CHECK_CODE_OPERATION      "code.operation"
#define CHECK_STREAM_DOCUMENTED   "stream.documented"

/* One line saying what the check verifies, or NULL for an unknown id. */
const char *check_describe(const char *id);
/* The ids in a stable order, NULL-terminated. */
extern const char *const check_ids[];

struct header {
	const char *name;
	const char *value;
};

/* A response as received; nothing here is owned by the matcher. */
struct response {
	int status;
	const struct header *headers;
	size_t nr_headers;
	const char *body;
	size_t body_len;
	int head_only;          /* a response to HEAD: status and headers, no body to judge */
	const char *method, *path; /* the request, when known: its operation's codes apply */
};

/* The value of header `name` (case-insensitive), or NULL. */
const char *response_header(const struct response *r, const char *name);

enum severity { SEV_FAIL, SEV_WARN };

struct violation {
	const char *check;      /* a CHECK_* id */
	enum severity severity;
	char *text;             /* owned: what was expected and what came */
};

struct match_result {
	struct violation *v;
	size_t nr, alloc;
	size_t failures;        /* violations with SEV_FAIL */
	const struct contract_code *code; /* the entry the response was judged as, or NULL */
	char *code_seen;        /* the code string in the body, or NULL (owned) */
	int parsed;             /* the body parsed as the envelope's kind */
	int body_rule;          /* BODY_NONE or BODY_ANY: the entry judged carries no
				 * envelope, so the body was not judged */
	int streamed;           /* a 200 event stream: its error event, if any, was judged */
	size_t events;          /* ... after this many events */
	const char *operation;  /* "PUT /v2/{name+}/manifests/{reference}": the
				 * operation the request hit, or NULL (borrowed) */
};

void match_result_init(struct match_result *m);
void match_result_release(struct match_result *m);

/* Append a violation (printf-style text). */
void match_add(struct match_result *m, const char *check, enum severity sev,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The first violation citing `check`, or NULL. */
const struct violation *match_find(const struct match_result *m, const char *check);

/*
 * Judge an error response against the contract; `now` is the time it was
 * received (for HTTP-date Retry-After). Fills `out` (initialised by the
 * caller) and returns the number of failures.
 */
size_t contract_match(const struct contract *c, const struct response *r,
		      time_t now, struct match_result *out);

/* The body read (body, parsed) against template tmpl: the envelope's, or
 * the stream's error event's. */
void match_parsed(const struct contract *c, const struct response *r, json_t *tmpl, json_t *body,
		  struct match_result *m);

/* match_stream.c: a 200 event stream (contract_match calls it): its first
 * error event judged against stream.error like an error body; none, no
 * violation (m->code NULL). The failures. */
size_t match_stream(const struct contract *c, const struct response *r, struct match_result *m);

/* Is this event (its type and data) the contract's streamed error? By
 * its event type where the contract names one, else by a JSON object
 * holding each member of stream.error's data (OpenAI's {"error": ...}). */
int contract_stream_is_error(const struct contract *c, const char *event, const char *data, size_t len);

/* match_rules.c: a code's required and forbidden headers; the operation
 * the request hit, which may name the entry (*cc) the body's code is. */
void match_code_headers(const struct contract_code *cc, const struct response *r, struct match_result *m);
void match_operation(const struct contract *c, const struct response *r, const struct contract_code **cc,
		     struct match_result *m);
/* The entry of r's status whose body is free (BODY_ANY) or absent (BODY_NONE,
 * for an empty body), or NULL: such a response is judged on status and
 * headers. */
const struct contract_code *match_free_body(const struct contract *c, const struct response *r, int rule);
/* The verdict's reason to skip one of the checks above, or NULL. */
const char *match_rules_skip(const struct contract *c, const struct match_result *m, const char *check);

/* Judge the vendor headers of format 2 (families, hints, retry-after-ms,
 * wait rules); called by contract_match(). */
void match_vendor_headers(const struct contract *c, const struct contract_code *cc,
			  const struct response *r, time_t now, struct match_result *m);

/* Read a wait header's value in `form` (enum wait_form) at `now` (epoch
 * seconds) into *seconds (>= 0). 0, or -1 when it does not parse. */
int wait_value_parse(int form, const char *v, double now, double *seconds);

/*
 * How long response `r`, received at `now`, asks a client to wait, by the
 * contract's wait rules (else its retry-after-ms header, then Retry-After):
 * 1 with *seconds and *header when a header rule applies; 0 when only a
 * fallback does (*seconds its minimum, *header NULL); -1 when none does.
 */
int contract_wait(const struct contract *c, const struct response *r, double now,
		  double *seconds, const char **header);

enum verdict { VERDICT_PASS, VERDICT_FAIL, VERDICT_WARN, VERDICT_SKIP };

/*
 * The verdict of one check on a judged response: SKIP (with *why, a static
 * string) when it does not apply, else FAIL, WARN or PASS from m's
 * violations. `v` (may be NULL) gets the first violation citing it.
 */
enum verdict check_verdict(const struct contract *c, const struct response *r,
			   const struct match_result *m, const char *check,
			   const struct violation **v, const char **why);

/*
 * The one check loop: match the response against the contract (into m,
 * initialised here; the caller releases it), then hand each check's
 * verdict to `each` with its text: the violation's message, why it was
 * skipped, or what it checked. errata check and errata proxy judge
 * through it; a new check is a row of check_ids and its rule in
 * contract_match() and check_verdict().
 */
typedef void (*judge_fn)(void *ctx, const char *check, enum verdict vd, const char *text,
			 const struct violation *v);
void judge_response(const struct contract *c, const struct response *r, time_t now, struct match_result *m,
		    judge_fn each, void *ctx);

#endif
