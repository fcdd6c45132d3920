/*
 * errata proxy's request framing and upstream URL (mock/framing.c). The
 * first byte picks an upstream; then the target, a line; then header
 * lines "name:value" up to an empty line; then the body as the client
 * framed it. Whatever framing_plan accepts must make, written the way curl
 * writes it, exactly one request, to the upstream's own scheme, host and
 * port, with no field that could frame it another way.
 */
#include <strings.h>

#include <curl/curl.h>

#include "fuzz.h"
#include "../mock/framing.h"

static const char *const upstreams[] = {
	"http://127.0.0.1:8080", "https://api.example.com/v1/", "http://[::1]:9/base",
	"http://user:pw@up.example:81/a/b", "https://UP.example",
};

static char *part(CURLU *u, CURLUPart what)
{
	char *s = NULL;

	curl_url_get(u, what, &s, CURLU_DEFAULT_PORT);
	return s;
}

/* The URL names the upstream's scheme, host and port; its path and query. */
static void check_url(const char *upstream, const char *url, char **target)
{
	static const CURLUPart origin[] = { CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT };
	CURLU *a = curl_url(), *b = curl_url();
	char *path, *query;
	size_t i;

	FUZZ_ASSERT(!curl_url_set(a, CURLUPART_URL, upstream, 0), "the upstream does not parse");
	FUZZ_ASSERT(!curl_url_set(b, CURLUPART_URL, url, CURLU_PATH_AS_IS), "a URL curl cannot read: %s", url);
	for (i = 0; i < 3; i++) {
		char *x = part(a, origin[i]), *y = part(b, origin[i]);

		FUZZ_ASSERT(x && y && !strcasecmp(x, y), "the URL %s leaves the upstream %s", url, upstream);
		curl_free(x);
		curl_free(y);
	}
	path = part(b, CURLUPART_PATH);
	query = part(b, CURLUPART_QUERY);
	FUZZ_ASSERT(path && path[0] == '/', "no path in %s", url);
	*target = malloc(strlen(path) + (query ? strlen(query) : 0) + 2);
	sprintf(*target, "%s%s%s", path, query ? "?" : "", query ? query : "");
	curl_free(path);
	curl_free(query);
	curl_url_cleanup(a);
	curl_url_cleanup(b);
}

static void put(char **buf, size_t *len, const void *s, size_t n)
{
	*buf = realloc(*buf, *len + n + 1);
	memcpy(*buf + *len, s, n);
	*len += n;
}

/* A strict reading of one request: its head, its framing, its body; how
 * many bytes it took (all of them, or the input is two requests). */
static size_t one_request(const char *b, size_t len)
{
	const char *end = memmem(b, len, "\r\n\r\n", 4), *line, *eol;
	int cl = -1, te = 0, fields = 0;
	size_t at;

	FUZZ_ASSERT(end, "no end of the head");
	eol = memmem(b, (size_t)(end - b), "\r\n", 2);
	line = b;
	FUZZ_ASSERT(memchr(line, ' ', (size_t)((eol ? eol : end) - line)), "a request line without a target");
	for (line = eol ? eol + 2 : end; line < end; line = eol + 2) {
		const char *colon;

		eol = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
		colon = memchr(line, ':', (size_t)(eol - line));
		FUZZ_ASSERT(colon && colon > line && !memchr(line, ' ', (size_t)(colon - line)) &&
			    !memchr(line, '\t', (size_t)(colon - line)), "a field line a server would misread");
		FUZZ_ASSERT(!memchr(line, '\n', (size_t)(eol - line)) && !memchr(line, '\r', (size_t)(eol - line)) &&
			    !memchr(line, '\0', (size_t)(eol - line)), "a CR, LF or NUL inside a field");
		if ((size_t)(colon - line) == 14 && !strncasecmp(line, "Content-Length", 14))
			cl = atoi(colon + 1), fields++;
		if ((size_t)(colon - line) == 17 && !strncasecmp(line, "Transfer-Encoding", 17))
			te = 1, fields++;
	}
	FUZZ_ASSERT(fields <= 1, "%d framing fields in one request", fields);
	at = (size_t)(end + 4 - b);
	if (cl >= 0)
		return at + (size_t)cl;
	while (te) { /* chunks up to the last */
		const char *crlf = memmem(b + at, len - at, "\r\n", 2);
		size_t k;

		FUZZ_ASSERT(crlf, "a chunk without its size line");
		k = strtoul(b + at, NULL, 16);
		at = (size_t)(crlf + 2 - b) + k + 2;
		FUZZ_ASSERT(at <= len, "a chunk past the end");
		if (!k)
			break;
	}
	return at;
}

/* Write the request as curl does, and read it back. */
static void check_wire(const struct forward_plan *p, const struct field *f, const char *target,
		       const char *body, size_t body_len)
{
	char *w = NULL, num[32];
	size_t wl = 0, i;

	if (p->body == FRAMED_LENGTH && p->length > body_len)
		return; /* libmicrohttpd would wait for the rest */
	put(&w, &wl, "POST ", 5);
	put(&w, &wl, target, strlen(target));
	put(&w, &wl, " HTTP/1.1\r\nHost: upstream\r\n", 27);
	for (i = 0; i < p->nr_keep; i++) {
		put(&w, &wl, f[p->keep[i]].name, strlen(f[p->keep[i]].name));
		put(&w, &wl, ": ", 2);
		put(&w, &wl, f[p->keep[i]].value, strlen(f[p->keep[i]].value));
		put(&w, &wl, "\r\n", 2);
	}
	if (p->body == FRAMED_LENGTH) {
		i = (size_t)snprintf(num, sizeof(num), "Content-Length: %llu\r\n\r\n", p->length);
		put(&w, &wl, num, i);
		put(&w, &wl, body, (size_t)p->length);
	} else if (p->body == FRAMED_CHUNKED) {
		put(&w, &wl, "Transfer-Encoding: chunked\r\n\r\n", 30);
		if (body_len) {
			i = (size_t)snprintf(num, sizeof(num), "%zx\r\n", body_len);
			put(&w, &wl, num, i);
			put(&w, &wl, body, body_len);
			put(&w, &wl, "\r\n", 2);
		}
		put(&w, &wl, "0\r\n\r\n", 5);
	} else {
		put(&w, &wl, "\r\n", 2);
	}
	FUZZ_ASSERT(one_request(w, wl) == wl, "what is forwarded is not exactly one request");
	free(w);
}

static void check_fields(const struct forward_plan *p, const struct field *f, size_t n)
{
	size_t i, j;
	int te = 0, cl = 0;

	for (i = 0; i < n; i++) {
		te |= !strcasecmp(f[i].name, "Transfer-Encoding");
		cl |= !strcasecmp(f[i].name, "Content-Length");
	}
	FUZZ_ASSERT(!(te && cl), "Content-Length with Transfer-Encoding accepted");
	FUZZ_ASSERT(te ? p->body == FRAMED_CHUNKED : cl ? p->body == FRAMED_LENGTH : p->body == FRAMED_NONE,
		    "the body framed otherwise than the client framed it");
	for (i = 0; i < p->nr_keep; i++) {
		const struct field *k = &f[p->keep[i]];

		FUZZ_ASSERT(!framing_hop_by_hop(k->name), "a hop-by-hop field passed on: %s", k->name);
		for (j = 0; j < n; j++)
			FUZZ_ASSERT(strcasecmp(f[j].name, "Connection") || !framing_listed(f[j].value, k->name),
				    "a field Connection names passed on: %s", k->name);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct field f[FRAMING_MAX_FIELDS + 1] = { { NULL, NULL } };
	struct forward_plan p;
	struct framing_upstream up;
	char *s, *line, *body, *target = NULL, why[300] = "";
	const char *upstream;
	size_t n = 0, body_len;

	if (size < 2)
		return 0;
	upstream = upstreams[data[0] % (sizeof(upstreams) / sizeof(upstreams[0]))];
	s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	body = strstr(s, "\n\n");
	body_len = body ? size - 1 - (size_t)(body + 2 - s) : 0;
	if (body) {
		*body = '\0';
		body += 2;
	}
	line = strchr(s, '\n');
	if (line)
		*line++ = '\0';
	while (line && *line && n <= FRAMING_MAX_FIELDS) {
		char *next = strchr(line, '\n'), *colon;

		if (next)
			*next++ = '\0';
		colon = strchr(line, ':');
		if (colon)
			*colon = '\0';
		f[n].name = line;
		f[n++].value = colon ? colon + 1 : "";
		line = next;
	}
	FUZZ_ASSERT(!framing_upstream_init(&up, upstream, why, sizeof(why)), "the upstream %s refused: %s", upstream, why);
	if (framing_plan(&up, s, f, n, &p, why, sizeof(why))) {
		FUZZ_ASSERT(why[0], "a request refused without a reason");
	} else {
		check_fields(&p, f, n);
		check_url(upstream, p.url, &target);
		check_wire(&p, f, target, body ? body : "", body_len);
		free(target);
		framing_plan_release(&p);
	}
	framing_upstream_release(&up);
	free(s);
	return 0;
}
