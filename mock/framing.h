#ifndef ERRATA_FRAMING_H
#define ERRATA_FRAMING_H
/*
 * What errata proxy forwards of a client's request, decided from its
 * target and header fields alone, before a byte goes upstream:
 *
 * - the body's framing, as libmicrohttpd framed it: none, a Content-Length,
 *   or chunked. A request that could be read two ways (Content-Length with
 *   Transfer-Encoding, two lengths, a coding other than chunked) is refused
 *   (RFC 9112 section 6.3);
 * - the fields to pass on: never one whose name is not a token (white
 *   space before the colon, RFC 9112 section 5.1), whose value holds a
 *   control byte, a hop-by-hop field or one the Connection field names
 *   (RFC 9110 section 7.6.1), Host, the framing fields or X-Errata-*;
 * - the upstream URL, built with curl's URL API from the upstream's own
 *   scheme, host and port: only an origin-form target ("/...") or an
 *   absolute form naming the upstream itself is taken, so nothing a client
 *   sends can send the request elsewhere.
 */
#include <stddef.h>

#define FRAMING_MAX_FIELDS 100

struct field {
	const char *name, *value;
};

enum framing_body { FRAMED_NONE, FRAMED_LENGTH, FRAMED_CHUNKED };

struct forward_plan {
	char *url;                          /* the upstream's URL */
	enum framing_body body;
	unsigned long long length;          /* FRAMED_LENGTH: its size */
	size_t keep[FRAMING_MAX_FIELDS];    /* the fields passed on, by index */
	size_t nr_keep;
};

/* The upstream as curl's URL API reads it, once. */
struct framing_upstream {
	char *origin;                       /* scheme://[userinfo@]host[:port] */
	char *base;                         /* its base path, no trailing '/' */
	char *scheme, *host, *port;         /* the port defaulted */
};

/* Read the upstream's URL (http or https, a host, no query or fragment):
 * 0, or -1 with why. */
int framing_upstream_init(struct framing_upstream *u, const char *url, char *why, size_t size);
void framing_upstream_release(struct framing_upstream *u);

/*
 * Plan the forwarding of a request: 0, or -1 with why (a 400 the client
 * gets; nothing is forwarded). `target` is the request target as sent.
 */
int framing_plan(const struct framing_upstream *up, const char *target, const struct field *f, size_t n,
		 struct forward_plan *p, char *why, size_t size);
void framing_plan_release(struct forward_plan *p);

/* 1 when a Connection value lists `name` (comma-separated, OWS around). */
int framing_listed(const char *list, const char *name);

/* 1 when a field of this name is never passed on (Connection's list aside). */
int framing_hop_by_hop(const char *name);

#endif
