/*
 * libcurl behind one function. Each exchange uses its own easy handle, so
 * worker threads share nothing but the global init.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "http.h"
#include "../model/redact.h"

#define HEADER_BYTES_MAX 65536

int http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void http_global_cleanup(void)
{
	curl_global_cleanup();
}

struct sink {
	struct http_response *r;
	size_t cap;
	int over;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	struct http_response *r = s->r;
	size_t len = size * n;

	if (r->body_len + len > HTTP_BODY_MAX) {
		s->over = 1;
		return 0; /* abort the transfer: the cap is the cap */
	}
	if (r->body_len + len + 1 > s->cap) {
		size_t cap = (r->body_len + len + 1) * 2;
		char *b = realloc(r->body, cap > HTTP_BODY_MAX + 1 ? HTTP_BODY_MAX + 1 : cap);

		if (!b)
			return 0;
		r->body = b;
		s->cap = cap > HTTP_BODY_MAX + 1 ? HTTP_BODY_MAX + 1 : cap;
	}
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct http_response *r = arg;
	size_t len = size * n;

	if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
		r->hlen = 0; /* a new response (after a 100 Continue): start again */
		return len;
	}
	if (r->hlen + len + 1 > HEADER_BYTES_MAX)
		return len; /* kept headers are capped; the rest is read and dropped */
	if (!r->hbuf && !(r->hbuf = malloc(HEADER_BYTES_MAX)))
		return 0;
	memcpy(r->hbuf + r->hlen, data, len);
	r->hlen += len;
	r->hbuf[r->hlen] = '\0';
	return len;
}

/* Split the raw header block into name/value pairs, in place. */
static void parse_headers(struct http_response *r)
{
	char *p = r->hbuf, *end = r->hbuf ? r->hbuf + r->hlen : NULL;

	r->nr_headers = 0;
	while (p && p < end && r->nr_headers < HTTP_HEADERS_MAX) {
		char *eol = memchr(p, '\n', (size_t)(end - p)), *colon, *v, *e;

		if (!eol)
			eol = end;
		*eol = '\0';
		e = eol;
		if (e > p && e[-1] == '\r')
			*--e = '\0';
		colon = memchr(p, ':', (size_t)(e - p));
		if (colon) {
			*colon = '\0';
			v = colon + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
				*--e = '\0';
			r->headers[r->nr_headers].name = p;
			r->headers[r->nr_headers++].value = v;
		}
		p = eol + 1;
	}
}

/*
 * When the request never reached an HTTP exchange (DNS, a refused or timed
 * out connection, a TLS handshake), say why in out->error and return 1.
 */
static int unreachable_why(CURL *c, CURLcode rc, const char *errbuf, long status,
			   struct http_response *out)
{
	long os_errno = 0;
	double connect_s = -1;
	const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);

	curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
	curl_easy_getinfo(c, CURLINFO_CONNECT_TIME, &connect_s);
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(out->error, sizeof(out->error), "DNS: the host name does not resolve (%s)", detail);
		return 1;
	case CURLE_COULDNT_CONNECT:
		snprintf(out->error, sizeof(out->error), "%s (%s)",
			 os_errno == ECONNREFUSED ? "connection refused" :
			 os_errno ? strerror((int)os_errno) : "cannot connect", detail);
		return 1;
	case CURLE_OPERATION_TIMEDOUT:
		if (status || out->hlen || connect_s != 0)
			return 0; /* connected: a slow response, not an unreachable target */
		snprintf(out->error, sizeof(out->error), "timeout: no connection within the timeout (%s)", detail);
		return 1;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		snprintf(out->error, sizeof(out->error), "TLS: %s", detail);
		return 1;
	default:
		return 0;
	}
}

void http_perform(const struct http_request *req, struct http_response *out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	struct sink sink = { out, 0, 0 };
	CURLcode rc;
	long status = 0;
	size_t i;
	char errbuf[CURL_ERROR_SIZE] = "";

	memset(out, 0, sizeof(*out));
	out->outcome = HTTP_FAILED;
	out->head = !strcmp(req->method, "HEAD");
	if (!c) {
		snprintf(out->error, sizeof(out->error), "cannot start libcurl");
		return;
	}
	for (i = 0; i < req->nr_headers; i++)
		hdrs = curl_slist_append(hdrs, req->headers[i]);
	if (req->body && !req->nr_headers)
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	if (!strcmp(req->method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (req->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HTTP_BODY_MAX);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "errata-check");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &out->seconds);
	out->status = (int)status;
	if (rc == CURLE_OK) {
		out->outcome = HTTP_DONE;
	} else if (unreachable_why(c, rc, errbuf, status, out)) {
		out->outcome = HTTP_UNREACHABLE;
	} else if (sink.over || rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(out->error, sizeof(out->error), "the body exceeds %d bytes", HTTP_BODY_MAX);
	} else {
		snprintf(out->error, sizeof(out->error), "%s", curl_easy_strerror(rc));
	}
	if (!out->body && (out->body = malloc(1)))
		out->body[0] = '\0';
	out->wire_len = out->body_len;
	parse_headers(out);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
}

void http_response_release(struct http_response *r)
{
	free(r->body);
	free(r->hbuf);
	memset(r, 0, sizeof(*r));
}

int http_response_redact(struct http_response *r, const struct redactor *red)
{
	size_t i, len = 0, cap = 0;
	char *buf = NULL;
	size_t off[2 * HTTP_HEADERS_MAX];

	if (!red || !red->nr)
		return 0;
	if (r->body && redactor_found(red, r->body, r->body_len)) {
		size_t n;
		char *b = redactor_apply_n(red, r->body, r->body_len, &n);

		if (!b)
			goto oom;
		free(r->body);
		r->body = b;
		r->body_len = n;
	}
	/* one new block of NUL-terminated names and values, headers re-pointed */
	for (i = 0; i < 2 * r->nr_headers; i++) {
		const char *s = i % 2 ? r->headers[i / 2].value : r->headers[i / 2].name;
		char *t = redactor_apply(red, s);
		size_t n = t ? strlen(t) + 1 : 0;

		if (!t)
			goto oom;
		if (len + n > cap) {
			char *nb = realloc(buf, cap = (len + n) * 2);

			if (!nb) {
				free(t);
				goto oom;
			}
			buf = nb;
		}
		memcpy(buf + len, t, n);
		off[i] = len;
		len += n;
		free(t);
	}
	for (i = 0; i < r->nr_headers; i++) {
		r->headers[i].name = buf + off[2 * i];
		r->headers[i].value = buf + off[2 * i + 1];
	}
	free(r->hbuf);
	r->hbuf = buf;
	r->hlen = len;
	return 0;
oom:
	free(buf);
	r->nr_headers = 0;
	r->body_len = 0;
	if (r->body)
		r->body[0] = '\0';
	return -1;
}

void http_as_response(const struct http_response *h, struct response *r)
{
	r->status = h->status;
	r->headers = h->headers;
	r->nr_headers = h->nr_headers;
	r->body = h->body;
	r->body_len = h->body_len;
	r->head_only = h->head;
	r->method = r->path = NULL;
}
