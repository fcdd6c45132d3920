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
#include "framing.h"
#include "select.h"
#include "../codec/encoding.h"

#define FORWARD_BLOCK (16 * 1024)  /* libmicrohttpd zeroes it per response */

/* Not passed back: hop-by-hop fields, what libmicrohttpd sets itself. */
static int skipped_response_header(const char *name, const struct upstream_header *h, size_t n)
{
	static const char *const skip[] = {
		"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Content-Length",
		"Trailer", "TE", "Upgrade", "Date", NULL
	};
	size_t i;

	for (i = 0; skip[i]; i++)
		if (!strcasecmp(name, skip[i]))
			return 1;
	for (i = 0; i < n; i++)
		if (!strcasecmp(h[i].name, "Connection") && framing_listed(h[i].value, name))
			return 1;
	return 0;
}

static const char *upstream_target(const struct request *rq);

struct fields {
	struct field f[FRAMING_MAX_FIELDS + 1];
	size_t n;
};

static enum MHD_Result collect_field(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct fields *fs = cls;

	(void)kind;
	if (fs->n == FRAMING_MAX_FIELDS + 1)
		return MHD_NO;
	fs->f[fs->n].name = key;
	fs->f[fs->n].value = value ? value : "";
	fs->n++;
	return MHD_YES;
}

void forwarding_free(struct forwarding *fw)
{
	size_t i;

	if (!fw)
		return;
	for (i = 0; i < fw->nr_lines; i++)
		free(fw->lines[i]);
	free(fw->url);
	free(fw);
}

/* "Name: value" for each field passed on. */
static int header_lines(struct forwarding *fw, const struct fields *fs, const struct forward_plan *p)
{
	size_t i;

	for (i = 0; i < p->nr_keep; i++) {
		const struct field *f = &fs->f[p->keep[i]];
		size_t kn = strlen(f->name), vn = strlen(f->value);

		if (!(fw->lines[i] = malloc(kn + vn + 3)))
			return -1;
		fw->nr_lines++;
		memcpy(fw->lines[i], f->name, kn);
		memcpy(fw->lines[i] + kn, ": ", 2);
		memcpy(fw->lines[i] + kn + 2, f->value, vn + 1);
	}
	return 0;
}

int forward_prepare(struct mock *m, struct MHD_Connection *conn, struct request *rq, char *why, size_t size)
{
	struct fields fs = { .n = 0 };
	struct forward_plan p;

	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_field, &fs);
	if (framing_plan(m->fup, upstream_target(rq), fs.f, fs.n, &p, why, size))
		return -1;
	if (!(rq->fw = calloc(1, sizeof(*rq->fw))) || header_lines(rq->fw, &fs, &p)) {
		framing_plan_release(&p);
		snprintf(why, size, "out of memory");
		return -2;
	}
	rq->fw->url = p.url; /* taken */
	rq->fw->body = p.body;
	rq->fw->length = p.length;
	return 0;
}

/* The target to ask the upstream for: the request's own, as sent, less
 * a /__s/<id> pin. */
static const char *upstream_target(const struct request *rq)
{
	const char *t = rq->raw_uri ? rq->raw_uri : "/";

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

/* The contract's streamed error, as the transfer asks (match.h). */
static int is_error_event(void *ctx, const char *event, const char *data, size_t len)
{
	return contract_stream_is_error(ctx, event, data, len);
}

/* Start the transfer; the body follows with forward_continue (streamed),
 * or is the one the request kept (after a scenario's step). */
static int start(struct mock *m, struct MHD_Connection *conn, const char *method, struct request *rq,
		 int streamed)
{
	const struct forwarding *fw = rq->fw;
	struct transfer_request tr = { 0 };

	rq->conn = conn;
	rq->forwarding = 1;
	rq->arrived_us = rq->arrived_us ? rq->arrived_us : mock_now_us(m);
	if (!fw || atomic_load(&m->stopping))
		return -1;
	tr.method = method;
	tr.url = fw->url;
	tr.headers = (const char *const *)fw->lines;
	tr.nr_headers = fw->nr_lines;
	tr.has_body = fw->body != FRAMED_NONE;
	if (!streamed)
		tr.body_size = tr.has_body ? (long long)rq->admin_len : -1;
	else
		tr.body_size = fw->body == FRAMED_LENGTH ? (long long)fw->length : -1;
	tr.wake = wake_cb;
	tr.arg = rq;
	if (m->mounts[0].c->stream.error_data) { /* its streams are read for their error events */
		tr.is_error_event = is_error_event;
		tr.event_ctx = m->mounts[0].c;
	}
	if (!(rq->xfer = transfer_new(m->up, &tr)))
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
		if (!skipped_response_header(h[i].name, h, n))
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
	if (rq->body_timeout) { /* the body is whole: back to the idle timeout */
		MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)MOCK_IDLE_TIMEOUT_S);
		rq->body_timeout = 0;
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
	if (rq->fw && rq->fw->body != FRAMED_NONE) { /* a body that stalls ends the request */
		long s = (upstream_timeout_ms(m->up) + 999) / 1000;

		MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)(s > 0 ? s : 1));
		rq->body_timeout = 1;
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

/* The route an error is grouped under: its operation's template; else
 * its path, with each segment that could be an id or a credential (16
 * bytes or more, a digit among them) written {id}: never a raw token. */
static void route_of(const struct contract *c, const char *method, const char *path, char *out, size_t size)
{
	json_t *op = contract_operation(c, method, path);
	const char *t = op ? json_string_value(json_object_get(op, "path")) : NULL;
	size_t o = 0;

	if (t) {
		snprintf(out, size, "%s", t);
		return;
	}
	out[0] = '\0';
	while (*path && o + 1 < size) {
		size_t seg = strcspn(path + 1, "/") + 1;
		int id = seg > 16 && strpbrk(path + 1, "0123456789") && strpbrk(path + 1, "0123456789") < path + seg;

		o += (size_t)snprintf(out + o, size - o, "%.*s", id ? 1 : (int)seg, path);
		if (id && o + 1 < size)
			o += (size_t)snprintf(out + o, size - o, "{id}");
		path += seg;
	}
}

/* The request's credentials, in every form a server may echo them. */
static enum MHD_Result collect_secret(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	if (value)
		redactor_add_field(cls, key, value);
	return MHD_YES;
}

/* An encoded body (gzip, deflate, br), decoded in place of r's: 0, or -1
 * with why it is not judged (an encoding errata does not read, a broken
 * stream, more than the capture bound once decoded). */
static int decoded_body(const char *encoding, struct response *r, char **plain, char *summary, size_t size)
{
	size_t len;

	switch (encoding_decode(encoding, r->body, r->body_len, UPSTREAM_CAPTURE_MAX, plain, &len)) {
	case DECODED:
		r->body = *plain;
		r->body_len = len;
		return 0;
	case DECODE_UNKNOWN:
		snprintf(summary, size, "not judged: the body is %.40s-encoded", encoding);
		return -1;
	case DECODE_TOO_LARGE:
		snprintf(summary, size, "not judged: the %.40s body is over %d KiB decoded", encoding,
			 UPSTREAM_CAPTURE_MAX / 1024);
		return -1;
	default:
		snprintf(summary, size, "not judged: the body is not valid %.40s", encoding);
		return -1;
	}
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
	struct response r = { rq->upstream_status, hv, n, cap ? cap : "", cap_len, !strcmp(rq->method, "HEAD"),
			      rq->method, rq->url };
	const struct contract_code *cc;
	char route[256], masked[512], *plain = NULL;

	if (cut) { /* judging a part would call a good body broken */
		conformance_unjudged(&m->conf);
		snprintf(summary, size, "not judged: the body is over %d KiB", UPSTREAM_CAPTURE_MAX / 1024);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		hv[i].name = h[i].name;
		hv[i].value = h[i].value;
		if (!strcasecmp(h[i].name, "Content-Encoding") && !encoding_is_identity(h[i].value) &&
		    decoded_body(h[i].value, &r, &plain, summary, size)) {
			conformance_unjudged(&m->conf);
			return NULL;
		}
	}
	route_of(c, rq->method, rq->url, route, sizeof(route));
	redactor_init(&own);
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_secret, &own);
	if (rq->raw_uri && strchr(rq->raw_uri, '?'))
		redactor_add_query(&own, strchr(rq->raw_uri, '?') + 1);
	contract_mask_path(c, rq->method, rq->url, masked, sizeof(masked), &own);
	cc = conformance_observe(&m->conf, c, rq->method, route, &r, red, 2, summary, size);
	redactor_release(&own);
	free(plain);
	return cc;
}

void forward_end(struct mock *m, struct MHD_Connection *conn, struct request *rq,
		 enum MHD_RequestTerminationCode toe)
{
	struct served sv = { rq->sc ? rq->sc->id : NULL, NULL, rq->sc ? (int)rq->step_index : -1, 0, 0, NULL, NULL, 0, NULL, NULL, NULL };
	char upstream[320], why[260], summary[600] = "";
	const struct contract_code *cc = NULL;
	enum upstream_failure f = UPF_INTERNAL;

	if (rq->xfer) {
		transfer_cancel(rq->xfer); /* nothing when it is over */
		f = transfer_failure(rq->xfer, why, sizeof(why));
		if (f == UPF_CANCELLED && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
			f = UPF_NONE; /* the client had it all before curl said so */
		else if (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED && rq->body_timeout) {
			f = UPF_CANCELLED;
			snprintf(why, sizeof(why), "the client sent no body byte in %ld ms", upstream_timeout_ms(m->up));
			rq->upstream_status = 408;
		} else if (f == UPF_NONE && toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
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
	if (!rq->problem && rq->xfer && (rq->upstream_status >= 400 || transfer_event_kept(rq->xfer)) && f == UPF_NONE)
		cc = judge(m, conn, rq, summary, sizeof(summary));
	atomic_fetch_add(&m->forwarded, 1);
	sv.t_us = rq->arrived_us;
	if (rq->xfer && transfer_head_us(rq->xfer)) { /* the upstream's time to its head */
		int64_t head = transfer_head_us(rq->xfer) - (timer_now_us() - mock_now_us(m));

		sv.delay_ms = head > rq->arrived_us ? (head - rq->arrived_us) / 1000 : 0;
	}
	sv.upstream = upstream;
	sv.conformance = summary[0] ? summary : NULL;
	decide(m, rq, &m->mounts[0], cc, rq->upstream_status, &sv);
	conclude(m, conn, rq, rq->method ? rq->method : "", rq->url ? rq->url : "");
}

int stage_choose_forward(struct pass *p)
{
	if (p->sc || p->asked)
		return GO_ON;
	if (p->dry)
		p->forward = 1;
	else
		p->ret = forward_step(p->m, p->conn, p->url, p->method, p->rq);
	return DECIDED;
}

/* No codes named: every retryable code of the contract. 0, or -1 with why. */
static int retryable_choices(struct mock *m, const struct contract *c, char *why, size_t size)
{
	size_t i;

	for (i = 0; i < c->nr_codes && m->inject.nr < INJECT_MAX_CHOICES; i++)
		if (c->codes[i].retryable && (m->inject.choice[m->inject.nr] = strdup(c->codes[i].code)))
			m->inject.is_fault[m->inject.nr++] = 0;
	if (!m->inject.nr)
		snprintf(why, size, "--inject: %s documents no retryable error; name codes= or faults=", c->id);
	return m->inject.nr ? 0 : -1;
}

/* The injection's scenario: one step per code or fault named. */
struct scenario *forward_inject_scenario(struct mock *m, char *why, size_t size)
{
	struct contract *c = m->mounts[0].c;
	json_t *steps, *def;
	struct load_error err = { 0 };
	struct jload ld;
	struct scenario *sc;
	size_t i, k;
	char *text;

	if (!m->inject.nr && retryable_choices(m, c, why, size))
		return NULL;
	steps = json_array();
	for (i = 0; i < m->inject.nr; i++) {
		const char *name = m->inject.choice[i];
		const struct contract_code *cc = m->inject.is_fault[i] ? NULL : contract_find(c, name);
		int fault = m->inject.is_fault[i];

		if (fault && stream_fault_parse(name) >= 0) { /* served on streaming requests only */
			json_array_append_new(steps, json_pack("{s{ss}}", "stream", "then",
							       stream_end_name(stream_fault_parse(name))));
			continue;
		}
		for (k = 0; !cc && !fault && k < (size_t)FAULT_WRONG_CONTENT_TYPE + 1; k++)
			fault = !strcmp(fault_name((enum fault)k), name) && k;
		if (!cc && !fault && strspn(name, "0123456789") == strlen(name))
			for (k = 0; k < c->nr_codes && !cc; k++)
				if (c->codes[k].status == atoi(name))
					cc = &c->codes[k];
		if (!cc && !fault) {
			snprintf(why, size, "--inject: '%s' is not a code of %s, a status it documents, or a fault "
				 "(CONNECTION_RESET_BY_PEER, EMPTY_RESPONSE, HANG, GATEWAY_HTML, ..., and on streaming "
				 "requests STREAM_ERROR, STREAM_RESET, STREAM_STALL)", name, c->id);
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
