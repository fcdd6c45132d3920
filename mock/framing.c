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
	p->body = BODY_NONE;
	if (te) {
		size_t k = strlen(te);

		while (k && (te[k - 1] == ' ' || te[k - 1] == '\t'))
			k--;
		if (k != 7 || strncasecmp(te, "chunked", 7))
			return refuse(why, size, "Transfer-Encoding '%.60s' is not 'chunked', the one coding "
				      "the proxy passes on", te);
		p->body = BODY_CHUNKED;
	} else if (cl) {
		char *end;

		if (!*cl || strspn(cl, "0123456789") != strlen(cl) || strlen(cl) > 18)
			return refuse(why, size, "Content-Length '%.40s' is not a length", cl);
		p->length = strtoull(cl, &end, 10);
		p->body = BODY_LENGTH;
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

/* 1 when two parsed URLs have the same scheme, host and port. */
static int same_origin(CURLU *a, CURLU *b)
{
	static const CURLUPart part[] = { CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT };
	size_t i;
	int same = 1;

	for (i = 0; i < 3 && same; i++) {
		char *x = NULL, *y = NULL;

		curl_url_get(a, part[i], &x, CURLU_DEFAULT_PORT);
		curl_url_get(b, part[i], &y, CURLU_DEFAULT_PORT);
		same = x && y && !strcasecmp(x, y);
		curl_free(x);
		curl_free(y);
	}
	return same;
}

int framing_check_upstream(const char *upstream, char *why, size_t size)
{
	CURLU *u = parse(upstream);
	char *scheme = NULL, *host = NULL, *query = NULL, *frag = NULL;
	int ok;

	if (u) {
		curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
		curl_url_get(u, CURLUPART_HOST, &host, 0);
		curl_url_get(u, CURLUPART_QUERY, &query, 0);
		curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0);
	}
	ok = u && scheme && host && (!strcasecmp(scheme, "http") || !strcasecmp(scheme, "https")) &&
	     !query && !frag;
	curl_free(scheme);
	curl_free(host);
	curl_free(query);
	curl_free(frag);
	curl_url_cleanup(u);
	if (!ok)
		snprintf(why, size, "--upstream '%.200s' is not an http:// or https:// URL with a host "
			 "(and no query or fragment)", upstream);
	return ok ? 0 : -1;
}

/* The path and query of the target: origin-form, or absolute-form naming
 * the upstream itself (*owned then holds them). */
static const char *target_path(CURLU *up, const char *target, char **owned, char *why, size_t size)
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

/* The upstream's URL for a path and query: its origin and base path, as
 * curl's URL API reads the upstream, then the target's path and query,
 * read back by the URL API (setting a part would change a %2F's case). */
static int build_url(CURLU *u, const char *target, struct forward_plan *p, char *why, size_t size)
{
	char *base = NULL, *origin = NULL, *whole;
	size_t bn, on;
	CURLU *w;
	int rc;

	if (curl_url_get(u, CURLUPART_PATH, &base, 0) || curl_url_set(u, CURLUPART_PATH, "/", 0) ||
	    curl_url_get(u, CURLUPART_URL, &origin, 0)) {
		curl_free(base);
		return refuse(why, size, "%s", "the upstream URL has no origin");
	}
	bn = strlen(base);
	on = strlen(origin);
	while (bn && base[bn - 1] == '/')
		bn--;
	while (on && origin[on - 1] == '/')
		on--;
	if ((whole = malloc(on + bn + strlen(target) + 1)))
		sprintf(whole, "%.*s%.*s%s", (int)on, origin, (int)bn, base, target);
	curl_free(base);
	curl_free(origin);
	if (!whole)
		return refuse(why, size, "%s", "out of memory");
	w = parse(whole);
	free(whole);
	rc = !w || curl_url_get(w, CURLUPART_URL, &p->url, 0);
	curl_url_cleanup(w);
	if (rc)
		return refuse(why, size, "the request target '%.80s' makes no URL", target);
	return 0;
}

int framing_plan(const char *upstream, const char *target, const struct field *f, size_t n,
		 struct forward_plan *p, char *why, size_t size)
{
	CURLU *u, *check;
	char *owned = NULL;
	const char *t;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	if (n > FRAMING_MAX_FIELDS)
		return refuse(why, size, "more than %s header fields", "100");
	if (plan_body(f, n, p, why, size) || plan_fields(f, n, p, why, size))
		return -1;
	if (!(u = parse(upstream)))
		return refuse(why, size, "the upstream URL '%.80s' does not parse", upstream);
	if ((t = target_path(u, target, &owned, why, size)) && !build_url(u, t, p, why, size)) {
		/* what curl will be given must name the upstream and nothing else */
		check = parse(p->url);
		rc = check && same_origin(u, check) ? 0 : -1;
		curl_url_cleanup(check);
		if (rc)
			refuse(why, size, "the request target '%.80s' would leave the upstream", target);
	}
	free(owned);
	curl_url_cleanup(u);
	if (rc)
		framing_plan_release(p);
	return rc;
}

void framing_plan_release(struct forward_plan *p)
{
	curl_free(p->url);
	p->url = NULL;
}
