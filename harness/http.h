#ifndef ERRATA_HTTP_H
#define ERRATA_HTTP_H
/*
 * One HTTP exchange with libcurl, bounded in every direction: a timeout on
 * each request, a cap on the body and on the headers kept, and a refusal of
 * any declared length over the cap before a byte of it is read.
 */
#include <stddef.h>

#include "../model/match.h"

#define HTTP_BODY_MAX (1 << 20)
#define HTTP_HEADERS_MAX 100

struct http_request {
	const char *method;
	const char *url;
	const char *const *headers;   /* "Name: value" lines */
	size_t nr_headers;
	const char *body;             /* NULL: none */
	size_t body_len;
	long timeout_ms;
};

enum http_outcome {
	HTTP_DONE,          /* a complete response */
	HTTP_UNREACHABLE,   /* no connection could be made */
	HTTP_FAILED         /* a timeout, a reset, a body over the cap, not HTTP */
};

struct http_response {
	enum http_outcome outcome;
	int status;
	struct header headers[HTTP_HEADERS_MAX]; /* names and values point into hbuf */
	size_t nr_headers;
	char *hbuf;
	size_t hlen;
	char *body;                   /* NUL-terminated; body_len may hold NULs */
	size_t body_len;
	size_t wire_len;              /* the body's bytes as received (before redaction) */
	int head;                     /* the request was HEAD: no body came, none is judged */
	double seconds;
	char error[256];              /* what went wrong, for HTTP_UNREACHABLE and HTTP_FAILED */
};

/* Call once before any thread uses http_perform (curl_global_init). */
int http_global_init(void);
void http_global_cleanup(void);

/* Perform the exchange. Always fills *out (release it). */
void http_perform(const struct http_request *req, struct http_response *out);
void http_response_release(struct http_response *r);

struct redactor;

/*
 * Redact, in place, every known secret in the response's header names,
 * header values and body, so that nothing judged or reported afterwards can
 * hold one, however it is cut. Does nothing when `red` is NULL or empty.
 * 0, or -1 when out of memory (the response is then emptied).
 */
int http_response_redact(struct http_response *r, const struct redactor *red);

/* The response as a struct response for the matcher (borrowed pointers). */
void http_as_response(const struct http_response *h, struct response *r);

#endif
