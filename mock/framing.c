/*
 * errata proxy's request framing and upstream URL (framing.h): pure
 * functions of the target and the fields, so that the fuzz target can
 * hold them to "one request, to the upstream's own host and port".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "framing.h"

/* RFC 9110 section 5.6.2: tchar. */
static int is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_token(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!is_tchar((unsigned char)*s))
			return 0;
	return 1;
}

/* A field value: no control byte but HTAB (obs-text is let through). */
static int is_field_value(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return 0;
	return 1;
}

int framing_hop_by_hop(const char *name)
{
	static const char *const skip[] = {
		"Host", "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "TE",
		"Trailer", "Transfer-Encoding", "Upgrade", "Content-Length", "Expect", NULL
	};
	size_t i;

	if (!strncasecmp(name, "X-Errata-", 9))
		return 1;
	for (i = 0; skip[i]; i++)
		if (!strcasecmp(name, skip[i]))
			return 1;
	return 0;
}

int framing_listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	while (*list) {
		size_t k;

		list += strspn(list, " \t,");
		k = strcspn(list, ",");
		while (k && (list[k - 1] == ' ' || list[k - 1] == '\t'))
			k--;
		if (k == n && !strncasecmp(list, name, n))
			return 1;
		list += k;
		list += strcspn(list, ",");
	}
	return 0;
}

static int refuse(char *why, size_t size, const char *fmt, const char *what)
{
	snprintf(why, size, fmt, what);
	return -1;
}

/* The body's framing, as libmicrohttpd framed it; -1 when it is ambiguous. */
static int plan_body(const struct field *f, size_t n, struct forward_plan *p, char *why, size_t size)
{
	const char *cl = NULL, *te = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcasecmp(f[i].name, "Content-Length")) {
			if (cl)
				return refuse(why, size, "%s", "Content-Length is given twice");
			cl = f[i].value;
		} else if (!strcasecmp(f[i].name, "Transfer-Encoding")) {
			if (te)
				return refuse(why, size, "%s", "Transfer-Encoding is given twice");
			te = f[i].value;
		}
	}
	if (cl && te)
		return refuse(why, size, "%s", "the request has both Content-Length and Transfer-Encoding "
			      "(RFC 9112 section 6.3): its body could be read two ways");
	p->body = FRAMED_NONE;
	if (te) {
		size_t k = strlen(te);

		while (k && (te[k - 1] == ' ' || te[k - 1] == '\t'))
			k--;
		if (k != 7 || strncasecmp(te, "chunked", 7))
			return refuse(why, size, "Transfer-Encoding '%.60s' is not 'chunked', the one coding "
				      "the proxy passes on", te);
		p->body = FRAMED_CHUNKED;
	} else if (cl) {
		char *end;

		if (!*cl || strspn(cl, "0123456789") != strlen(cl) || strlen(cl) > 18)
			return refuse(why, size, "Content-Length '%.40s' is not a length", cl);
		p->length = strtoull(cl, &end, 10);
		p->body = FRAMED_LENGTH;
	}
	return 0;
}

static int plan_fields(const struct field *f, size_t n, struct forward_plan *p, char *why, size_t size)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (!is_token(f[i].name))
			return refuse(why, size, "the header name '%.60s' is not a token (white space before "
				      "the colon, RFC 9112 section 5.1?)", f[i].name);
		if (!is_field_value(f[i].value))
			return refuse(why, size, "the value of %.60s holds a control character", f[i].name);
	}
	p->nr_keep = 0;
	for (i = 0; i < n && p->nr_keep < FRAMING_MAX_FIELDS; i++) {
		int drop = framing_hop_by_hop(f[i].name);

		for (j = 0; j < n && !drop; j++)
			drop = !strcasecmp(f[j].name, "Connection") && framing_listed(f[j].value, f[i].name);
		if (!drop)
			p->keep[p->nr_keep++] = i;
	}
	return 0;
}

/* Parse a URL with curl's URL API; NULL when it does not parse. */
static CURLU *parse(const char *url)
{
	CURLU *u = curl_url();

	if (u && curl_url_set(u, CURLUPART_URL, url, CURLU_PATH_AS_IS | CURLU_NON_SUPPORT_SCHEME)) {
		curl_url_cleanup(u);
		return NULL;
	}
	return u;
}

/* 1 when a parsed URL has the upstream's scheme, host and port. */
static int same_origin(const struct framing_upstream *up, CURLU *b)
{
	const char *want[3] = { up->scheme, up->host, up->port };
	static const CURLUPart part[] = { CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT };
	size_t i;
	int same = 1;

	for (i = 0; i < 3 && same; i++) {
		char *y = NULL;

		curl_url_get(b, part[i], &y, CURLU_DEFAULT_PORT);
		same = y && !strcasecmp(want[i], y);
		curl_free(y);
	}
	return same;
}

void framing_upstream_release(struct framing_upstream *u)
{
	free(u->origin);
	free(u->base);
	curl_free(u->scheme);
	curl_free(u->host);
	curl_free(u->port);
	memset(u, 0, sizeof(*u));
}

/* s without its trailing slashes, as a new string. */
static char *unslashed(const char *s)
{
	size_t n = strlen(s);

	while (n && s[n - 1] == '/')
		n--;
	return strndup(s, n);
}

int framing_upstream_init(struct framing_upstream *u, const char *url, char *why, size_t size)
{
	CURLU *c = parse(url);
	char *query = NULL, *frag = NULL, *path = NULL, *origin = NULL;
	int ok;

	memset(u, 0, sizeof(*u));
	if (c) {
		curl_url_get(c, CURLUPART_SCHEME, &u->scheme, 0);
		curl_url_get(c, CURLUPART_HOST, &u->host, 0);
		curl_url_get(c, CURLUPART_PORT, &u->port, CURLU_DEFAULT_PORT);
		curl_url_get(c, CURLUPART_QUERY, &query, 0);
		curl_url_get(c, CURLUPART_FRAGMENT, &frag, 0);
		curl_url_get(c, CURLUPART_PATH, &path, 0);
		if (!curl_url_set(c, CURLUPART_PATH, "/", 0))
			curl_url_get(c, CURLUPART_URL, &origin, 0);
	}
	ok = c && u->scheme && u->host && u->port && path && origin && !query && !frag &&
	     (!strcasecmp(u->scheme, "http") || !strcasecmp(u->scheme, "https"));
	if (ok) {
		u->origin = unslashed(origin);
		u->base = unslashed(path);
		ok = u->origin && u->base;
	}
	curl_free(query);
	curl_free(frag);
	curl_free(path);
	curl_free(origin);
	curl_url_cleanup(c);
	if (!ok) {
		framing_upstream_release(u);
		snprintf(why, size, "--upstream '%.200s' is not an http:// or https:// URL with a host "
			 "(and no query or fragment)", url);
		return -1;
	}
	return 0;
}

/* The path and query of the target: origin-form, or absolute-form naming
 * the upstream itself (*owned then holds them). */
static const char *target_path(const struct framing_upstream *up, const char *target, char **owned, char *why,
			       size_t size)
{
	const unsigned char *c;
	CURLU *t;
	char *path = NULL, *query = NULL, *user = NULL;
	int same;

	for (c = (const unsigned char *)target; *c; c++)
		if (*c <= 0x20 || *c >= 0x7f || *c == '#')
			return refuse(why, size, "the request target holds a byte a target cannot "
				      "(white space, a control or non-ASCII byte, or '#'): %.80s", target), NULL;
	if (target[0] == '/')
		return target;
	if (!strncasecmp(target, "http://", 7) || !strncasecmp(target, "https://", 8)) {
		if (!(t = parse(target)))
			return refuse(why, size, "the absolute target '%.80s' is not a URL", target), NULL;
		same = same_origin(up, t) && curl_url_get(t, CURLUPART_USER, &user, 0) == CURLUE_NO_USER;
		curl_free(user);
		if (same && !curl_url_get(t, CURLUPART_PATH, &path, 0)) {
			curl_url_get(t, CURLUPART_QUERY, &query, 0);
			if ((*owned = malloc(strlen(path) + (query ? strlen(query) + 1 : 0) + 1)))
				sprintf(*owned, "%s%s%s", path, query ? "?" : "", query ? query : "");
		}
		curl_free(path);
		curl_free(query);
		curl_url_cleanup(t);
		if (!same)
			return refuse(why, size, "the absolute target '%.80s' names another server than the "
				      "upstream: the proxy forwards only to its upstream", target), NULL;
		if (!*owned)
			refuse(why, size, "%s", "out of memory");
		return *owned;
	}
	return refuse(why, size, "the request target '%.80s' is not a path ('/...'): the proxy takes "
		      "origin-form targets, or absolute ones naming its upstream", target), NULL;
}

/* The upstream's URL for a path and query: its origin and base path as
 * curl's URL API read them, then the target's; read back by the URL API,
 * which must find the upstream's scheme, host and port in it. (Setting the
 * path part instead would change the case of a %2F.) */
static int build_url(const struct framing_upstream *up, const char *target, struct forward_plan *p, char *why,
		     size_t size)
{
	size_t on = strlen(up->origin), bn = strlen(up->base), tn = strlen(target);
	CURLU *w;
	int same;

	if (!(p->url = malloc(on + bn + tn + 1)))
		return refuse(why, size, "%s", "out of memory");
	memcpy(p->url, up->origin, on);
	memcpy(p->url + on, up->base, bn);
	memcpy(p->url + on + bn, target, tn + 1);
	w = parse(p->url);
	same = w && same_origin(up, w);
	curl_url_cleanup(w);
	if (!same)
		return refuse(why, size, "the request target '%.80s' would leave the upstream", target);
	return 0;
}

int framing_plan(const struct framing_upstream *up, const char *target, const struct field *f, size_t n,
		 struct forward_plan *p, char *why, size_t size)
{
	char *owned = NULL;
	const char *t;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	if (n > FRAMING_MAX_FIELDS)
		return refuse(why, size, "more than %s header fields", "100");
	if (plan_body(f, n, p, why, size) || plan_fields(f, n, p, why, size))
		return -1;
	if ((t = target_path(up, target, &owned, why, size)))
		rc = build_url(up, t, p, why, size);
	free(owned);
	if (rc)
		framing_plan_release(p);
	return rc;
}

void framing_plan_release(struct forward_plan *p)
{
	free(p->url);
	p->url = NULL;
}
