/*
 * errata proxy's server side: which requests go to the real API, and how
 * they go. A request with no selector, no scenario and no injection is
 * streamed to the upstream as it arrives; one the mock answers first (a
 * scenario's "upstream": true step) is forwarded with the body it kept.
 * The response streams back through the transfer's buffer; the connection
 * is suspended whenever there is nothing to do, so no worker ever waits.
 * When the request ends it is journaled once, with the upstream's part and
 * the conformance of an error response.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "select.h"

#define FORWARD_BLOCK (16 * 1024)  /* libmicrohttpd zeroes it per response */

/* Not passed on: hop-by-hop headers, what curl sets itself, the selectors. */
static int skipped_request_header(const char *name)
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

static int skipped_response_header(const char *name)
{
	static const char *const skip[] = {
		"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Content-Length",
		"Trailer", "TE", "Upgrade", "Date", NULL
	};
	size_t i;

	for (i = 0; skip[i]; i++)
		if (!strcasecmp(name, skip[i]))
			return 1;
	return 0;
}

struct header_lines {
	char *line[MAX_FORWARD_HEADERS];
	size_t n;
	int oom;
};

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	struct header_lines *h = cls;
	size_t kn, vn;

	(void)kind;
	if (!value)
		value = "";
	if (skipped_request_header(key) || h->n == MAX_FORWARD_HEADERS)
		return MHD_YES;
	kn = strlen(key);
	vn = strlen(value);
	if (!(h->line[h->n] = malloc(kn + vn + 3))) {
		h->oom = 1;
		return MHD_NO;
	}
	memcpy(h->line[h->n], key, kn);
	memcpy(h->line[h->n] + kn, ": ", 2);
	memcpy(h->line[h->n] + kn + 2, value, vn + 1);
	h->n++;
	return MHD_YES;
}

/* The target to ask the upstream for: the request's own, as sent, less
 * a /__s/<id> pin (and the scheme and host of an absolute form). */
static const char *upstream_target(const struct request *rq)
{
	const char *t = rq->raw_uri ? rq->raw_uri : "/";

	if (strncmp(t, "/", 1)) { /* http://host/path */
		const char *p = strstr(t, "://");

		t = p ? p + 3 + strcspn(p + 3, "/") : t;
		if (!*t)
			return "/";
	}
	if (!strncmp(t, "/__s/", 5)) {
		t += 5 + strcspn(t + 5, "/");
		if (!*t)
			return "/";
	}
	return t;
}

/* Under the transfer's lock: the connection waits. */
static void suspend_cb(void *arg)
{
	struct request *rq = arg;

	rq->suspended = 1;
	MHD_suspend_connection(rq->conn);
}

/* Under the transfer's lock, from an upstream thread: go on. */
static void wake_cb(void *arg)
{
	struct request *rq = arg;

	if (rq->suspended) {
		rq->suspended = 0;
		MHD_resume_connection(rq->conn);
	}
}

/* Start the transfer; the body follows with forward_continue (streamed),
 * or is the one the request kept (after a scenario's step). */
static int start(struct mock *m, struct MHD_Connection *conn, const char *method, struct request *rq,
		 int streamed)
{
	struct header_lines h = { .n = 0 };
	struct transfer_request tr;
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	size_t i;

	rq->conn = conn;
	rq->forwarding = 1;
	rq->arrived_us = rq->arrived_us ? rq->arrived_us : mock_now_us(m);
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &h);
	if (h.oom || atomic_load(&m->stopping)) {
		for (i = 0; i < h.n; i++)
			free(h.line[i]);
		return -1;
	}
	tr.method = method;
	tr.target = upstream_target(rq);
	tr.headers = (const char *const *)h.line;
	tr.nr_headers = h.n;
	tr.has_body = cl || te;
	if (!streamed)
		tr.body_size = tr.has_body ? (long long)rq->admin_len : -1;
	else
		tr.body_size = cl ? strtoll(cl, NULL, 10) : -1;
	tr.wake = wake_cb;
	tr.arg = rq;
	rq->xfer = transfer_new(m->up, &tr);
	for (i = 0; i < h.n; i++)
		free(h.line[i]);
	if (!rq->xfer)
		return -1;
	if (!streamed) {
		if (tr.has_body && rq->admin_len)
			(void)transfer_push(rq->xfer, rq->admin_body, rq->admin_len, NULL, NULL);
		transfer_push_end(rq->xfer);
		rq->pushed_end = 1;
	}
	return 0;
}

/* A problem for a transfer that failed before its head came. */
static enum MHD_Result upstream_problem(struct mock *m, struct MHD_Connection *conn, struct request *rq)
{
	char why[300], detail[400];
	enum upstream_failure f = rq->xfer ? transfer_failure(rq->xfer, why, sizeof(why)) : UPF_INTERNAL;
	int status = f == UPF_TIMEOUT ? 504 : 502;

	if (!rq->xfer)
		snprintf(why, sizeof(why), "%s", atomic_load(&m->stopping) ? "the proxy is stopping" : "out of memory");
	snprintf(detail, sizeof(detail), "the upstream %s: %s",
		 f == UPF_TIMEOUT ? "did not answer in time" : f == UPF_UNREACHABLE ? "cannot be reached" :
		 f == UPF_TLS ? "failed the TLS handshake or its certificate" :
		 f == UPF_CLOSED ? "closed the connection" : f == UPF_PROTOCOL ? "did not answer HTTP" :
		 "was not asked", why);
	rq->upstream_status = status;
	rq->problem = 1;
	return mock_problem(m, conn, (unsigned)status,
			    f == UPF_TIMEOUT ? "upstream-timeout" : f == UPF_UNREACHABLE ? "upstream-unreachable" :
			    f == UPF_TLS ? "upstream-tls" : "upstream-failed",
			    status == 504 ? "Upstream timeout" : "Bad upstream", detail, NULL);
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct request *rq = cls;
	int failed;
	long k;

	(void)pos;
	k = transfer_read(rq->xfer, buf, max, &failed, suspend_cb, rq);
	if (k > 0)
		return k;
	if (k == -2)
		return 0; /* suspended until bytes come */
	return failed ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
}

/* The upstream's head is here: its response, streamed. */
static enum MHD_Result relay(struct MHD_Connection *conn, const char *method, struct request *rq)
{
	size_t n, i;
	const struct upstream_header *h = transfer_headers(rq->xfer, &n);
	int status = transfer_status(rq->xfer);
	uint64_t size = MHD_SIZE_UNKNOWN;
	struct MHD_Response *r;
	enum MHD_Result ret;
	const char *whole;
	size_t len;

	for (i = 0; i < n; i++)
		if (!strcasecmp(h[i].name, "Content-Length")) {
			char *end;
			unsigned long long v = strtoull(h[i].value, &end, 10);

			if (end != h[i].value && !*end)
				size = v;
		}
	if (status == 204 || status == 304 || (status >= 100 && status < 200))
		size = 0;
	if (status < 100 || status > 999)
		return MHD_NO;
	rq->upstream_status = status;
	if (!strcmp(method, "HEAD"))
		r = MHD_create_response_from_callback(size, FORWARD_BLOCK, reader, rq, NULL);
	else if ((whole = transfer_body_whole(rq->xfer, &len)) && (size == MHD_SIZE_UNKNOWN || size == len))
		r = MHD_create_response_from_buffer(len, (void *)whole, MHD_RESPMEM_MUST_COPY);
	else if (whole)
		return MHD_NO; /* fewer or more bytes than its Content-Length said: cut it */
	else
		r = MHD_create_response_from_callback(size, FORWARD_BLOCK, reader, rq, NULL);
	if (!r)
		return MHD_NO;
	for (i = 0; i < n; i++)
		if (!skipped_response_header(h[i].name))
			MHD_add_response_header(r, h[i].name, h[i].value);
	ret = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

/* The request is whole (or has none): answer when the head is here. */
static enum MHD_Result answer(struct mock *m, struct MHD_Connection *conn, const char *method,
			      struct request *rq)
{
	if (!rq->xfer)
		return upstream_problem(m, conn, rq);
	if (!rq->pushed_end) {
		transfer_push_end(rq->xfer);
		rq->pushed_end = 1;
	}
	switch (transfer_head(rq->xfer, suspend_cb, rq)) {
	case TS_PENDING:
		return MHD_YES;
	case TS_FAILED:
		return upstream_problem(m, conn, rq);
	case TS_HEAD:
		break;
	}
	return relay(conn, method, rq);
}

enum MHD_Result forward_begin(struct mock *m, struct MHD_Connection *conn, const char *url,
			      const char *method, struct request *rq)
{
	if (!(rq->url = strdup(url)) || !(rq->method = strdup(method)))
		return MHD_NO;
	if (start(m, conn, method, rq, 1)) {
		transfer_unref(rq->xfer);
		rq->xfer = NULL;
	}
	return MHD_YES;
}

enum MHD_Result forward_continue(struct mock *m, struct MHD_Connection *conn, const char *method,
				 const char *upload_data, size_t *upload_data_size, struct request *rq)
{
	if (*upload_data_size) {
		size_t k = rq->xfer ? transfer_push(rq->xfer, upload_data, *upload_data_size, suspend_cb, rq)
				    : *upload_data_size;

		rq->body_hash = journal_hash(rq->body_hash, upload_data, k);
		rq->body_size += k;
		*upload_data_size -= k;
		return MHD_YES;
	}
	return answer(m, conn, method, rq);
}

enum MHD_Result forward_step(struct mock *m, struct MHD_Connection *conn, const char *url,
			     const char *method, struct request *rq)
{
	if ((!rq->url && !(rq->url = strdup(url))) || (!rq->method && !(rq->method = strdup(method))))
		return MHD_NO;
	if (start(m, conn, method, rq, 0)) {
		transfer_unref(rq->xfer);
		rq->xfer = NULL;
	}
	rq->forward = 1; /* a resumed call comes back here */
	return answer(m, conn, method, rq);
}

/* The route an error is grouped under: its operation's template, or its path. */
static void route_of(const struct contract *c, const char *method, const char *path, char *out, size_t size)
{
	json_t *op = contract_operation(c, method, path);
	const char *t = op ? json_string_value(json_object_get(op, "path")) : NULL;

	snprintf(out, size, "%s", t ? t : path);
}

/* The request's secrets (credentials it sent), to keep out of evidence. */
static enum MHD_Result collect_secret(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct redactor *red = cls;

	(void)kind;
	if (value && redact_is_secret_name(key)) {
		redactor_add(red, value);
		if (!strncasecmp(value, "Bearer ", 7) || !strncasecmp(value, "Basic ", 6))
			redactor_add(red, strchr(value, ' ') + 1);
	}
	return MHD_YES;
}

/* Judge an error response the upstream sent; the summary for the journal. */
static const struct contract_code *judge(struct mock *m, struct MHD_Connection *conn, struct request *rq,
					 char *summary, size_t size)
{
	const struct contract *c = m->mounts[0].c;
	size_t n, i, cap_len;
	int cut;
	const struct upstream_header *h = transfer_headers(rq->xfer, &n);
	const char *cap = transfer_capture(rq->xfer, &cap_len, &cut);
	struct header hv[UPSTREAM_MAX_HEADERS];
	struct redactor own;
	const struct redactor *red[2] = { &own, m->redactor };
	struct response r = { rq->upstream_status, hv, n, cap ? cap : "", cap_len };
	const struct contract_code *cc;
	char route[256];

	if (cut) { /* judging a part would call a good body broken */
		conformance_unjudged(&m->conf);
		snprintf(summary, size, "not judged: the body is over %d KiB", UPSTREAM_CAPTURE_MAX / 1024);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		hv[i].name = h[i].name;
		hv[i].value = h[i].value;
		if (!strcasecmp(h[i].name, "Content-Encoding") && strcasecmp(h[i].value, "identity")) {
			conformance_unjudged(&m->conf);
			snprintf(summary, size, "not judged: the body is %.40s-encoded", h[i].value);
			return NULL;
		}
	}
	route_of(c, rq->method, rq->url, route, sizeof(route));
	redactor_init(&own);
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_secret, &own);
	cc = conformance_observe(&m->conf, c, rq->method, route, &r, red, 2, summary, size);
	redactor_release(&own);
	return cc;
}

void forward_end(struct mock *m, struct MHD_Connection *conn, struct request *rq,
		 enum MHD_RequestTerminationCode toe)
{
	struct served sv = { rq->sc ? rq->sc->id : NULL, NULL, rq->sc ? (int)rq->step_index : -1, 0, 0, NULL, NULL, 0, NULL, NULL };
	char upstream[320], why[260], summary[600] = "";
	const struct contract_code *cc = NULL;
	enum upstream_failure f = UPF_INTERNAL;

	if (rq->xfer) {
		transfer_cancel(rq->xfer); /* nothing when it is over */
		f = transfer_failure(rq->xfer, why, sizeof(why));
		if (f == UPF_CANCELLED && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
			f = UPF_NONE; /* the client had it all before curl said so */
		else if (f == UPF_NONE && toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
			f = UPF_CANCELLED;
			snprintf(why, sizeof(why), "the client went away");
		}
	} else {
		snprintf(why, sizeof(why), "%s", atomic_load(&m->stopping) ? "the proxy is stopping" : "out of memory");
	}
	if (f == UPF_NONE)
		snprintf(upstream, sizeof(upstream), "forwarded");
	else
		snprintf(upstream, sizeof(upstream), "%s: %s", upstream_failure_name(f), why);
	if (rq->problem || (f != UPF_NONE && f != UPF_CANCELLED)) /* a problem sent, or a body cut */
		atomic_fetch_add(&m->upstream_failed, 1);
	if (!rq->problem && rq->xfer && rq->upstream_status >= 400 && f == UPF_NONE)
		cc = judge(m, conn, rq, summary, sizeof(summary));
	atomic_fetch_add(&m->forwarded, 1);
	sv.t_us = rq->arrived_us;
	if (rq->xfer && transfer_head_us(rq->xfer)) { /* the upstream's time to its head */
		int64_t head = transfer_head_us(rq->xfer) - (timer_now_us() - mock_now_us(m));

		sv.delay_ms = head > rq->arrived_us ? (head - rq->arrived_us) / 1000 : 0;
	}
	sv.upstream = upstream;
	sv.conformance = summary[0] ? summary : NULL;
	record_ex(m, conn, rq->method ? rq->method : "", rq->url ? rq->url : "", &m->mounts[0], cc,
		  rq->upstream_status, rq, &sv);
}

int forward_route(struct mock *m, struct MHD_Connection *conn, const char *url, const char *method,
		  struct request *rq)
{
	const struct contract *c = m->mounts[0].c;
	const struct contract_code *cc = NULL;
	const char *prefer = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Prefer");
	struct scenario *sc;
	char why[200];

	if (!strncmp(url, "/__errata", 9) && (url[9] == '/' || !url[9]))
		return 0;
	if (!strncmp(url, "/__s/", 5) ||
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Errata-Error") ||
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Errata-Scenario") ||
	    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "__error"))
		return 0;
	if (prefer && (select_code(c, NULL, prefer, NULL, &cc, why, sizeof(why)) != SELECT_OK || cc))
		return 0;
	if ((sc = scenarios_match(&m->scenarios, c, method, url))) {
		scenario_unref(sc);
		return 0;
	}
	if (m->inject_sc) {
		int k = inject_pick(&m->inject, atomic_fetch_add(&m->inject_n, 1));

		if (k >= 0) {
			rq->inject = k;
			return 0;
		}
	}
	return 1;
}

/* The injection's scenario: one step per code or fault named. */
struct scenario *forward_inject_scenario(struct mock *m, char *why, size_t size)
{
	struct contract *c = m->mounts[0].c;
	json_t *steps = json_array(), *def;
	struct load_error err = { 0 };
	struct jload ld;
	struct scenario *sc;
	size_t i, k;
	char *text;

	for (i = 0; i < m->inject.nr; i++) {
		const char *name = m->inject.choice[i];
		const struct contract_code *cc = m->inject.is_fault[i] ? NULL : contract_find(c, name);
		int fault = m->inject.is_fault[i];

		for (k = 0; !cc && !fault && k < (size_t)FAULT_WRONG_CONTENT_TYPE + 1; k++)
			fault = !strcmp(fault_name((enum fault)k), name) && k;
		if (!cc && !fault && strspn(name, "0123456789") == strlen(name))
			for (k = 0; k < c->nr_codes && !cc; k++)
				if (c->codes[k].status == atoi(name))
					cc = &c->codes[k];
		if (!cc && !fault) {
			snprintf(why, size, "--inject: '%s' is not a code of %s, a status it documents, or a fault "
				 "(CONNECTION_RESET_BY_PEER, EMPTY_RESPONSE, HANG, GATEWAY_HTML, ...)", name, c->id);
			json_decref(steps);
			return NULL;
		}
		json_array_append_new(steps, cc ? json_pack("{ss}", "error", cc->code)
						: json_pack("{ss}", "fault", name));
	}
	def = json_pack("{ss ss so}", "id", "inject", "contract", c->id, "steps", steps);
	text = def ? json_dumps(def, JSON_COMPACT) : NULL;
	json_decref(def);
	def = text ? jload_parse(&ld, text, strlen(text), "--inject", &err) : NULL;
	sc = def ? scenario_parse(&ld, def, m->contracts, m->nr_mounts) : NULL;
	if (!sc)
		load_error_format(&err, why, size);
	json_decref(def);
	free(text);
	return sc;
}
