/*
 * Building and delivering the mock's responses: documented codes, scenario
 * steps, replays, and the faults that write their own bytes or none.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "../model/envelope.h"
#include "internal.h"
#include "../model/contract_ext.h"
#include "../model/retry_after.h"

/* --- building responses --- */

void reply_init(struct reply *rp)
{
	rp->status = 0;
	rp->nr = rp->used = 0;
	rp->body = NULL;
	rp->len = 0;
	rp->body_persistent = 0;
	rp->owned = NULL;
}

void reply_header(struct reply *rp, const char *name, const char *value)
{
	unsigned i;

	for (i = 0; i < rp->nr; i++)
		if (!strcasecmp(rp->names[i], name)) {
			rp->values[i] = value; /* a later value (a step's headers) wins */
			return;
		}
	if (rp->nr < REPLY_MAX_HEADERS) {
		rp->names[rp->nr] = name;
		rp->values[rp->nr++] = value;
	}
}

const char *reply_value(const struct reply *rp, const char *name)
{
	unsigned i;

	for (i = 0; i < rp->nr; i++)
		if (!strcasecmp(rp->names[i], name))
			return rp->values[i];
	return NULL;
}

/* A formatted header value, kept in the reply. */
static void reply_headerf(struct reply *rp, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void reply_headerf(struct reply *rp, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (rp->used >= sizeof(rp->store) / sizeof(rp->store[0]))
		return;
	va_start(ap, fmt);
	vsnprintf(rp->store[rp->used], sizeof(rp->store[0]), fmt, ap);
	va_end(ap);
	reply_header(rp, name, rp->store[rp->used++]);
}

enum MHD_Result send_reply(struct MHD_Connection *conn, const struct reply *rp, int replayed)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned i;

	r = MHD_create_response_from_buffer(rp->len, (void *)rp->body,
					    rp->body_persistent ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	for (i = 0; i < rp->nr; i++)
		MHD_add_response_header(r, rp->names[i], rp->values[i]);
	if (replayed)
		MHD_add_response_header(r, "Idempotent-Replayed", "true");
	ret = MHD_queue_response(conn, (unsigned)rp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static void reply_request_id(struct mock *m, const struct contract *c, struct reply *rp)
{
	static const char hex[] = "0123456789abcdef";
	unsigned long long n;
	char *p;
	size_t len;
	int i;

	if (!c->request_id_header || rp->used >= sizeof(rp->store) / sizeof(rp->store[0]))
		return;
	n = (unsigned long long)atomic_fetch_add(&m->next_request, 1);
	p = rp->store[rp->used++];
	len = c->request_id_prefix ? strlen(c->request_id_prefix) : 0; /* at most 64 */
	if (len)
		memcpy(p, c->request_id_prefix, len);
	memcpy(p + len, m->boot, strlen(m->boot));
	len += strlen(m->boot);
	for (i = 11; i >= 0; i--, n >>= 4)
		p[len + (size_t)i] = hex[n & 15];
	p[len + 12] = '\0';
	reply_header(rp, c->request_id_header, p);
}

/* RateLimit fields: the limiter's, when on; else the contract's on a 429.
 * A rate-limit code shows its bucket empty, whatever the limiter says. */
static void reply_ratelimit(const struct mount *mt, const struct request *rq, struct reply *rp,
			    const struct contract_code *cc, long long ra_seconds)
{
	const struct contract *c = mt->c;
	const char *name = c->rate_limit_policy ? c->rate_limit_policy : "default";

	if (rq && rq->rl_on) {
		reply_headerf(rp, "RateLimit-Policy", "\"%s\";q=%d;w=%d", name,
			      rq->m->limiter.quota, rq->m->limiter.window);
		if (cc && (cc->role == ROLE_RATE_LIMITED || cc->role == ROLE_CONCURRENCY_LIMITED))
			reply_headerf(rp, "RateLimit", "\"%s\";r=0;t=%lld", name,
				      rq->rl_reset > 0 ? rq->rl_reset : ra_seconds > 0 ? ra_seconds : 1);
		else
			reply_headerf(rp, "RateLimit", "\"%s\";r=%d;t=%lld", name, rq->rl_remaining, rq->rl_reset);
	} else if (cc && cc->status == 429 && mt->policy[0]) {
		reply_header(rp, "RateLimit-Policy", mt->policy);
		if (cc->retry_after)
			reply_headerf(rp, "RateLimit", "\"%s\";r=0;t=%lld", name, ra_seconds);
		else
			reply_headerf(rp, "RateLimit", "\"%s\";r=0", name);
	}
}

/*
 * The time `seconds` from now as an HTTP-date can say it: whole seconds,
 * rounded up, so that the date is never nearer than asked. (Rounded down,
 * "2 s" could be 1.01 s away, and a client that waits 1 s would pass a
 * scenario written to catch it, now and then.)
 */
static time_t date_from_now(long long seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + (ts.tv_nsec > 0) + (time_t)seconds;
}

/* The headers the contract requires on a code, with its values; the code
 * itself where a header carries it too (AWS's X-Amzn-ErrorType). */
static void reply_code_headers(struct reply *rp, const struct contract *c, const struct contract_code *cc)
{
	const char *key;
	json_t *v;

	if (cc && cc->headers)
		json_object_foreach(cc->headers, key, v)
			reply_header(rp, key, json_string_value(v));
	if (!cc || !c->code_header || cc->status_only || cc->body != BODY_ENVELOPE)
		return;
	if (cc->body_code && json_is_integer(cc->body_code))
		reply_headerf(rp, c->code_header, "%" JSON_INTEGER_FORMAT, json_integer_value(cc->body_code));
	else if (!cc->body_code || json_is_string(cc->body_code))
		reply_header(rp, c->code_header, cc->body_code ? json_string_value(cc->body_code) : cc->code);
}

/* The success the request's operation documents (a registry's manifest,
 * S3's empty PUT, a generated body): its status, body and media type; a
 * string of a type other than JSON is sent as it is. An operation whose
 * body could not be made answers a 500 problem saying why. 1 when the
 * operation has its own success, else 0. */
static int op_success(const struct request *rq, struct reply *rp)
{
	json_t *op = rq ? rq->op : NULL, *body = json_object_get(op, "success");
	const char *type = json_string_value(json_object_get(op, "success_type"));
	const char *why = json_string_value(json_object_get(op, "success_unavailable"));
	json_int_t st = json_integer_value(json_object_get(op, "success_status"));
	int raw = body && json_is_string(body) && type && !contract_media_is_json(type);
	json_t *problem;

	if (why) {
		problem = json_pack("{ss ss si ss}", "type", "/__errata/problems/no-success-body", "title", "No success body",
				    "status", 500, "detail", why);
		rp->owned = problem ? json_dumps(problem, JSON_COMPACT) : NULL;
		json_decref(problem);
		type = "application/problem+json";
		rp->status = 500;
	} else if (raw && (rp->owned = malloc(json_string_length(body) + 1))) {
		memcpy(rp->owned, json_string_value(body), json_string_length(body) + 1);
	} else if (body && !raw) {
		rp->owned = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
	}
	if (!rp->owned)
		return 0;
	rp->body = rp->owned;
	rp->len = raw ? json_string_length(body) : strlen(rp->owned);
	rp->body_persistent = 0;
	if (st && rp->status == 200)
		rp->status = (int)st;
	reply_header(rp, MHD_HTTP_HEADER_CONTENT_TYPE, type ? type : "application/json");
	return 1;
}

/* A documented code's response; `ask` overrides Retry-After (seconds < 0: none asked). */
void build_code(struct mock *m, const struct mount *mt, const struct contract_code *cc,
		       long long ask_seconds, int ask_date, const struct request *rq, struct reply *rp)
{
	const struct contract *c = mt->c;
	const struct prepared *pc = cc ? &mt->codes[cc->index] : NULL;
	long long ra = ask_seconds >= 0 ? ask_seconds : c->retry_after_default;
	int sent = cc && cc->retry_after;

	reply_init(rp);
	rp->status = cc ? cc->status : 200;
	rp->body = pc ? pc->body : mt->success;
	rp->len = pc ? pc->len : mt->success_len;
	rp->body_persistent = 1;
	if (cc ? cc->body != BODY_NONE : !op_success(rq, rp)) /* an operation's own success has its own type */
		reply_header(rp, MHD_HTTP_HEADER_CONTENT_TYPE, cc && cc->body == BODY_ANY ? ENVELOPE_FREE_TYPE : c->content_type);
	reply_request_id(m, c, rp);
	reply_code_headers(rp, c, cc);
	if (cc && cc->retry_after) {
		if (ask_seconds >= 0 && ask_date) {
			char date[HTTP_DATE_SIZE];

			if (!http_date_format(date_from_now(ra), date)) /* bounded by select_retry_after */
				reply_headerf(rp, MHD_HTTP_HEADER_RETRY_AFTER, "%s", date);
		} else if (ask_seconds >= 0) {
			reply_headerf(rp, MHD_HTTP_HEADER_RETRY_AFTER, "%lld", ra);
		} else {
			reply_header(rp, MHD_HTTP_HEADER_RETRY_AFTER, mt->retry_after);
		}
	}
	reply_ratelimit(mt, rq, rp, cc, ra);
	reply_vendor(m, mt, rq, cc, sent ? ra : -1, -1, rp);
}

/* A scenario step's response. */
static void build_step(struct mock *m, const struct mount *mt, const struct step *st,
		       const struct request *rq, struct reply *rp)
{
	const struct contract *c = mt->c;
	long long ra = c->retry_after_default;
	const char *key;
	json_t *v;

	reply_init(rp);
	rp->status = st->status;
	rp->body = st->body;
	rp->len = st->body_len;
	if (st->code || st->fault || st->status >= 300 || !op_success(rq, rp))
		reply_header(rp, MHD_HTTP_HEADER_CONTENT_TYPE,
			     st->fault == FAULT_GATEWAY_HTML ? "text/html" :
			     st->fault == FAULT_WRONG_CONTENT_TYPE ? "text/plain" : c->content_type);
	if (st->fault != FAULT_GATEWAY_HTML)
		reply_request_id(m, c, rp);
	if (st->fault != FAULT_GATEWAY_HTML && st->code && st->code->status == st->status)
		reply_code_headers(rp, c, st->code);
	switch (st->ra_mode) {
	case RA_CONTRACT:
		if (st->code && st->code->retry_after)
			reply_header(rp, MHD_HTTP_HEADER_RETRY_AFTER, mt->retry_after);
		break;
	case RA_SECONDS:
		ra = st->ra_seconds;
		reply_headerf(rp, MHD_HTTP_HEADER_RETRY_AFTER, "%lld", ra);
		break;
	case RA_DATE: {
		char date[HTTP_DATE_SIZE];

		ra = st->ra_seconds;
		if (!http_date_format(date_from_now(ra), date)) /* bounded by the scenario's parser */
			reply_headerf(rp, MHD_HTTP_HEADER_RETRY_AFTER, "%s", date);
		break;
	}
	case RA_VERBATIM:
		reply_header(rp, MHD_HTTP_HEADER_RETRY_AFTER, st->ra_text);
		break;
	case RA_NONE:
		break;
	}
	if (st->fault != FAULT_GATEWAY_HTML)
		reply_vendor(m, mt, rq, st->code && st->code->status == st->status ? st->code : NULL,
			     st->ra_mode == RA_SECONDS || st->ra_mode == RA_DATE ||
			     (st->ra_mode == RA_CONTRACT && st->code && st->code->retry_after) ? ra : -1,
			     st->reset_after, rp);
	if (st->fault != FAULT_GATEWAY_HTML)
		reply_ratelimit(mt, rq, rp, st->code && st->code->status == st->status ? st->code : NULL,
				ra < 0 ? 0 : ra);
	if (st->headers)
		json_object_foreach(st->headers, key, v)
			reply_header(rp, key, json_string_value(v));
}

/* The whole response as bytes on the wire, for faults that write it
 * themselves. Written to a stream that grows (open_memstream): no size is
 * measured first, so none can be wrong. */
static char *raw_response(const struct reply *rp, size_t body_len, size_t declared, size_t *out_len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, out_len);
	unsigned i;

	if (!f)
		return NULL;
	fprintf(f, "HTTP/1.1 %d %s\r\n", rp->status, MHD_get_reason_phrase_for((unsigned)rp->status));
	for (i = 0; i < rp->nr; i++)
		fprintf(f, "%s: %s\r\n", rp->names[i], rp->values[i]);
	fprintf(f, "Content-Length: %zu\r\nConnection: close\r\n\r\n", declared);
	fwrite(rp->body, 1, body_len, f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

int mock_connection_fd(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

	return ci ? ci->connect_fd : -1;
}

/* Write what fits now; a fault's bytes are few, and the socket buffer is empty. */
static void write_some(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/*
 * The transport faults that end the connection. Returns MHD_NO, which makes
 * libmicrohttpd close it (with MHD_USE_TURBO it does not shut it down first,
 * so a zero linger turns the close into a reset).
 */
static enum MHD_Result transport_fault(struct MHD_Connection *conn, const struct step *st,
				       const struct reply *rp, const struct scenario *sc, long long n)
{
	int fd = mock_connection_fd(conn);
	struct linger lg = { 1, 0 };
	char *raw;
	size_t len, i;

	switch (st->fault) {
	case FAULT_CONNECTION_RESET_BY_PEER:
		if (fd >= 0)
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		break;
	case FAULT_EMPTY_RESPONSE:
		break;
	case FAULT_MALFORMED_RESPONSE_CHUNK:
		if (fd >= 0) {
			char head[256];
			int k = snprintf(head, sizeof(head),
					 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\n"
					 "zz\r\n%.20s\r\n", rp->status,
					 MHD_get_reason_phrase_for((unsigned)rp->status), rp->values[0], rp->body);

			write_some(fd, head, (size_t)k);
		}
		break;
	case FAULT_RANDOM_DATA_THEN_CLOSE:
		if (fd >= 0) {
			unsigned char junk[256];
			uint64_t x = sc->seed + (uint64_t)n * 0x9e3779b97f4a7c15ULL + 1;

			for (i = 0; i < sizeof(junk); i++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				junk[i] = (unsigned char)x;
			}
			junk[0] = 0xff; /* never a valid status line */
			write_some(fd, (const char *)junk, sizeof(junk));
		}
		break;
	case FAULT_TRUNCATED_BODY:
		raw = raw_response(rp, rp->len / 2, rp->len + 64, &len);
		if (raw && fd >= 0)
			write_some(fd, raw, len);
		free(raw);
		break;
	default:
		break;
	}
	return MHD_NO;
}

/* Resume a connection from the timer thread. errata proxy's threads run
 * their daemons themselves and are not woken by libmicrohttpd's own
 * signal from another thread: they are told. */
static void resume_from_timer(struct request *rq)
{
	struct mock *m = rq->m; /* rq may be gone as soon as the connection resumes */

	MHD_resume_connection(rq->conn);
	if (m && m->kick)
		m->kick(m);
}

void resume_cb(void *arg)
{
	resume_from_timer(arg);
}

/* DRIBBLE: the next slice of the response; the last one ends the request. */
static void dribble_cb(void *arg)
{
	struct request *rq = arg;
	int fd = mock_connection_fd(rq->conn);
	int stopping = atomic_load(&rq->m->stopping);

	if (fd >= 0 && rq->raw_off < rq->raw_len && !stopping) {
		size_t n = rq->raw_len - rq->raw_off < rq->chunk ? rq->raw_len - rq->raw_off : rq->chunk;
		ssize_t w = send(fd, rq->raw + rq->raw_off, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w > 0)
			rq->raw_off += (size_t)w;
		else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			rq->raw_off = rq->raw_len; /* the client went away */
	}
	if (rq->raw_off < rq->raw_len && !stopping &&
	    !timer_add(&rq->m->timer, timer_now_us() + rq->interval_us, dribble_cb, rq))
		return;
	rq->phase = PH_CLOSE;
	resume_from_timer(rq);
}

static void hang_cb(void *arg)
{
	struct request *rq = arg;

	rq->phase = PH_CLOSE;
	resume_from_timer(rq);
}

_Static_assert(IDEM_MAX_HEADERS >= REPLY_MAX_HEADERS, "a stored reply keeps every header");

/* Store a response for its Idempotency-Key, if the request has one. */
void idem_store_reply(struct mock *m, struct request *rq, const struct reply *rp,
		      const struct contract_code *cc)
{
	struct idem_reply ir = { 0 };
	unsigned i;

	if (!rq || !rq->idem_key)
		return;
	/*
	 * A retryable error says the request was not processed: nothing is
	 * stored, so a retry with the same key is processed anew (Stripe saves
	 * no result for a request that did not execute, either).
	 */
	if (cc ? cc->retryable : rp->status == 429 || rp->status >= 500) {
		mock_idem_abort(m, rq);
		free(rq->idem_key);
		rq->idem_key = NULL;
		return;
	}
	ir.status = rp->status;
	for (i = 0; i < rp->nr && i < IDEM_MAX_HEADERS; i++) {
		ir.names[i] = (char *)rp->names[i];
		ir.values[i] = (char *)rp->values[i];
	}
	ir.nr_headers = i;
	ir.body = (char *)rp->body;
	ir.body_len = rp->len;
	mock_idem_finish(m, rq, &ir);
	free(rq->idem_key);
	rq->idem_key = NULL;
}

/* Serve a scenario step now (its delay, if any, is over). */
enum MHD_Result deliver_step(struct mock *m, struct MHD_Connection *conn, const char *method,
				    const char *url, struct request *rq)
{
	const struct step *st = rq->step;
	struct served sv = { rq->sc->id, fault_name(st->fault), (int)rq->step_index, 0, rq->delay_ms, NULL, NULL, 0, NULL, NULL, NULL };
	struct reply rp;
	enum MHD_Result ret;

	char wait[300];

	if (st->upstream) /* "503 twice, then the real API" (only errata proxy takes such a step) */
		return forward_step(m, conn, url, method, rq);

	build_step(m, rq->mt, st, rq, &rp);
	if (st->stream || rq->own_plan) {
		const struct stream_plan *sp = stream_plan_for(rq, st->stream, method, url);

		sv.fault = stream_fault_name(sp->then);
		decide(m, rq, rq->mt, NULL, rp.status, &sv);
		ret = atomic_load(&m->stopping) || stream_serve(m, conn, rq, sp, &rp, method, url) ? MHD_NO : MHD_YES;
		reply_release(&rp);
		return ret;
	}
	sv.retry_after = reply_value(&rp, MHD_HTTP_HEADER_RETRY_AFTER);
	sv.wait = reply_wait(rq->mt->c, &rp, wait, sizeof(wait));
	switch (st->fault) {
	case FAULT_CONNECTION_RESET_BY_PEER:
	case FAULT_EMPTY_RESPONSE:
	case FAULT_MALFORMED_RESPONSE_CHUNK:
	case FAULT_RANDOM_DATA_THEN_CLOSE:
	case FAULT_TRUNCATED_BODY:
		decide(m, rq, rq->mt, st->code, 0, &sv);
		ret = transport_fault(conn, st, &rp, rq->sc, 0);
		reply_release(&rp);
		return ret;
	case FAULT_HANG:
		decide(m, rq, rq->mt, st->code, 0, &sv);
		reply_release(&rp);
		if (atomic_load(&m->stopping))
			return MHD_NO;
		rq->phase = PH_WAITING;
		MHD_suspend_connection(conn);
		if (timer_add(&m->timer, timer_now_us() + st->fault_ms * 1000, hang_cb, rq))
			hang_cb(rq);
		return MHD_YES;
	case FAULT_DRIBBLE: {
		long long slices = st->fault_ms / 100 > 0 ? st->fault_ms / 100 : 1;

		decide(m, rq, rq->mt, st->code, st->status, &sv);
		rq->raw = raw_response(&rp, rp.len, rp.len, &rq->raw_len);
		reply_release(&rp);
		if (!rq->raw || atomic_load(&m->stopping))
			return MHD_NO;
		rq->chunk = rq->raw_len / (size_t)slices + 1;
		rq->interval_us = st->fault_ms * 1000 / slices;
		rq->phase = PH_WAITING;
		MHD_suspend_connection(conn);
		dribble_cb(rq);
		return MHD_YES;
	}
	default:
		break;
	}
	ret = send_reply(conn, &rp, 0);
	idem_store_reply(m, rq, &rp, st->code && st->code->status == st->status ? st->code : NULL);
	decide(m, rq, rq->mt, st->code, st->status, &sv);
	reply_release(&rp);
	return ret;
}

/* Serve a documented code (or success), storing it for an Idempotency-Key. */
enum MHD_Result serve_code(struct mock *m, struct MHD_Connection *conn, const struct mount *mt,
			   const struct contract_code *cc, long long ask, int ask_date, struct request *rq)
{
	struct reply rp;
	enum MHD_Result ret;

	struct served sv = { NULL, NULL, -1, 0, 0, NULL, NULL, 0, NULL, NULL, NULL };
	char wait[300];

	build_code(m, mt, cc, ask, ask_date, rq, &rp);
	sv.retry_after = reply_value(&rp, MHD_HTTP_HEADER_RETRY_AFTER);
	sv.wait = reply_wait(mt->c, &rp, wait, sizeof(wait));
	ret = send_reply(conn, &rp, 0);
	idem_store_reply(m, rq, &rp, cc);
	decide(m, rq, mt, cc, rp.status, &sv);
	reply_release(&rp);
	return ret;
}

