/*
 * The mock's daemon and its request path. Every body a contract can serve is
 * rendered at start-up; a request only picks a prepared body, adds the
 * headers that differ per response, and writes one journal entry.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "framing.h"
#include "select.h"
#include "../model/envelope.h"
#include "../model/ratelimit.h"
#include "../model/retry_after.h"
#include "../model/utf8.h"

#define BODY_MAX (1 << 20)  /* request bodies above this get 413 */
/* A body over BODY_MAX is read and dropped up to this, so a client that
 * sends it all gets its 413 rather than a reset; a longer one, or one whose
 * client waits for "100 Continue", gets the 413 at once (the rest unread). */
#define DISCARD_MAX (64 << 20)
#define MAX_HEADERS 64
#define MAX_QUERY 32
/*
 * Per-connection memory pool. libmicrohttpd's 32 KiB default costs cache at
 * hundreds of connections; 16 KiB still takes a 12 KB header line (nginx's
 * default limit is 8 KB) and served ~15% more requests per CPU-second at 512
 * connections (bench/RESULTS.md). Larger header blocks get 431.
 */
#define CONNECTION_MEMORY (16 * 1024)

/* req_cls of a request without a body (NO_BODY): nothing to allocate. */
const char no_body_marker;

static void request_free(struct request *rq)
{
	if (!rq || rq == NO_BODY)
		return;
	if (rq->idem_key && rq->m)
		idem_abort(&rq->m->idem, rq->idem_key); /* ended without a stored response */
	free(rq->idem_key);
	free(rq->admin_body);
	free(rq->raw);
	free(rq->raw_uri);
	forwarding_free(rq->fw);
	free(rq->url);
	free(rq->method);
	transfer_unref(rq->xfer);
	scenario_unref(rq->sc);
	free(rq);
}

struct request *ensure_request(void **req_cls)
{
	struct request *rq = *req_cls;

	if (rq && rq != NO_BODY)
		return rq;
	rq = calloc(1, sizeof(*rq));
	if (rq) {
		rq->body_hash = JOURNAL_HASH_INIT;
		*req_cls = rq;
	}
	return rq;
}

int64_t mock_now_us(const struct mock *m)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - m->started.tv_sec) * 1000000 +
	       (now.tv_nsec - m->started.tv_nsec) / 1000;
}

int mock_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (!strcasecmp(host, "localhost"))
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

enum MHD_Result mock_reply_json(struct MHD_Connection *conn, unsigned status,
				const char *content_type, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	struct MHD_Response *r;
	enum MHD_Result ret;

	json_decref(body);
	if (!text)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result mock_problem(struct mock *m, struct MHD_Connection *conn, unsigned status,
			     const char *slug, const char *title, const char *detail,
			     json_t *valid)
{
	char type[96], *text = utf8_sanitize(detail, NULL); /* it may quote the request */
	json_t *p;

	(void)m;
	snprintf(type, sizeof(type), "/__errata/problems/%s", slug);
	p = json_pack("{ss ss si ss}", "type", type, "title", title, "status", (int)status,
		      "detail", text ? text : "");
	free(text);
	if (valid)
		json_object_set_new(p, "valid", valid);
	return mock_reply_json(conn, status, "application/problem+json", p);
}

/* --- start-up: render everything the hot path will serve --- */

static int prepare(struct mount *mt, struct contract *c)
{
	size_t i;
	json_t *ok;

	mt->c = c;
	mt->id_len = strlen(c->id);
	mt->codes = calloc(c->nr_codes, sizeof(*mt->codes));
	if (!mt->codes)
		return -1;
	for (i = 0; i < c->nr_codes; i++) {
		mt->codes[i].cc = &c->codes[i];
		mt->codes[i].body = envelope_render_text(c, &c->codes[i], NULL, c->codes[i].status);
		if (!mt->codes[i].body)
			return -1;
		mt->codes[i].len = strlen(mt->codes[i].body);
	}
	ok = c->success_envelope;
	mt->success = json_dumps(ok, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!mt->success)
		return -1;
	mt->success_len = strlen(mt->success);
	snprintf(mt->retry_after, sizeof(mt->retry_after), "%d", c->retry_after_default);
	if (c->rate_limit_policy)
		ratelimit_format_policy(mt->policy, sizeof(mt->policy), c->rate_limit_policy,
					c->rate_limit_quota, c->rate_limit_window);
	return 0;
}

static void unprepare(struct mount *mt)
{
	size_t i;

	if (mt->codes)
		for (i = 0; i < mt->c->nr_codes; i++)
			free(mt->codes[i].body);
	free(mt->codes);
	free(mt->success);
}

/* --- the request path --- */

struct collect {
	const char *kv[2 * MAX_HEADERS];
	unsigned n, max;
	int dropped;                 /* more than max were there */
};

static enum MHD_Result collect_kv(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	struct collect *c = cls;

	(void)kind;
	if (c->n < c->max) {
		c->kv[2 * c->n] = key;
		c->kv[2 * c->n + 1] = value ? value : "";
		c->n++;
	} else {
		c->dropped = 1;
	}
	return MHD_YES;
}

static uint64_t connection_id(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? (uint64_t)(uintptr_t)ci->socket_context : 0;
}

/* The path as the journal keeps it: a credential its operation's template
 * names ("/bot{token}/...") is written as that name. */
static const char *journal_path(const struct mount *mt, const char *method, const char *url, char *buf,
				size_t size)
{
	const char *rel = url;
	size_t pre;

	if (!mt || !mt->c->secret_paths)
		return url;
	if (url[0] == '/' && !strncmp(url + 1, mt->c->id, mt->id_len) && url[1 + mt->id_len] == '/')
		rel = url + 1 + mt->id_len;
	pre = (size_t)(rel - url);
	if (pre >= size)
		return url;
	memcpy(buf, url, pre);
	return contract_mask_path(mt->c, method, rel, buf + pre, size - pre, NULL) ? buf : url;
}

void record_ex(struct mock *m, struct MHD_Connection *conn, const char *method,
		      const char *url, const struct mount *mt, const struct contract_code *cc,
		      int status, const struct request *rq, const struct served *sv)
{
	struct collect h, q;         /* kv is filled as collected: no 2 KB memset per request */
	struct journal_record r;
	char masked[1024];

	if (m->up && mt && !(sv && sv->upstream)) /* errata proxy: answered here, not by the real API */
		atomic_fetch_add(&m->injected, 1);
	if (!m->journal.capacity)
		return;
	h.n = q.n = 0;
	h.dropped = q.dropped = 0;
	h.max = MAX_HEADERS;
	q.max = MAX_QUERY;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_kv, &h);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_kv, &q);
	r.connection = connection_id(conn);
	r.t_us = sv && sv->t_us ? sv->t_us : mock_now_us(m);
	r.method = method;
	r.path = journal_path(mt, method, url, masked, sizeof(masked));
	r.contract = mt ? mt->c->id : "";
	r.code = cc ? cc->code : "";
	r.idempotency_key = mt && mt->c->idempotency_header ?
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, mt->c->idempotency_header) : NULL;
	r.headers = h.kv;
	r.nr_headers = h.n;
	r.query = q.kv;
	r.nr_query = q.n;
	r.dropped = h.dropped || q.dropped;
	r.body_size = rq && rq != NO_BODY ? rq->body_size : 0;
	r.body_hash = rq && rq != NO_BODY ? rq->body_hash : JOURNAL_HASH_INIT;
	r.status = status;
	r.scenario = sv ? sv->scenario : NULL;
	r.fault = sv ? sv->fault : NULL;
	r.retry_after = sv ? sv->retry_after : NULL;
	r.wait = sv ? sv->wait : NULL;
	r.upstream = sv ? sv->upstream : NULL;
	r.conformance = sv ? sv->conformance : NULL;
	r.step = sv ? sv->step : -1;
	r.replayed = sv ? sv->replayed : 0;
	r.delay_ms = sv ? sv->delay_ms : 0;
	journal_append(&m->journal, &r);
}

void record(struct mock *m, struct MHD_Connection *conn, const char *method,
		   const char *url, const struct mount *mt, const struct contract_code *cc,
		   int status, const struct request *rq)
{
	record_ex(m, conn, method, url, mt, cc, status, rq, NULL);
}

static json_t *valid_codes(const struct contract *c)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < c->nr_codes; i++) {
		json_array_append_new(a, json_string(c->codes[i].code));
		if (c->codes[i].name)
			json_array_append_new(a, json_string(c->codes[i].name));
	}
	return a;
}

static json_t *valid_statuses(const struct contract *c)
{
	json_t *a = json_array();
	size_t i, j;

	for (i = 0; i < c->nr_codes; i++) {
		for (j = 0; j < i; j++)
			if (c->codes[j].status == c->codes[i].status)
				break;
		if (j == i)
			json_array_append_new(a, json_integer(c->codes[i].status));
	}
	return a;
}

static const struct mount *find_mount(const struct mock *m, const char *url)
{
	size_t i;

	if (url[0] != '/')
		return NULL;
	for (i = 0; i < m->nr_mounts; i++) {
		const struct mount *mt = &m->mounts[i];

		if (!strncmp(url + 1, mt->c->id, mt->id_len) &&
		    (url[1 + mt->id_len] == '/' || url[1 + mt->id_len] == '\0'))
			return mt;
	}
	return NULL;
}

static json_t *valid_scenarios(struct mock *m)
{
	json_t *all = scenarios_json(&m->scenarios), *ids = json_array(), *v;
	size_t i;

	json_array_foreach(all, i, v)
		json_array_append(ids, json_object_get(v, "id"));
	json_decref(all);
	return ids;
}

/* The code that refuses a request over a limit: the first of these roles. */
static const struct contract_code *limit_code(const struct contract *c, int concurrency)
{
	const struct contract_code *cc = NULL;

	if (concurrency)
		cc = contract_find_role(c, ROLE_CONCURRENCY_LIMITED);
	if (!cc)
		cc = contract_find_role(c, ROLE_RATE_LIMITED);
	return cc;
}

/* The key a rate limit counts by, whole: the API key, else the client
 * address. Returns `buf` or a new string to free() when the key is longer. */
static char *limit_key(struct MHD_Connection *conn, char *buf, size_t size)
{
	const char *k = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	const union MHD_ConnectionInfo *ci;
	char *out = buf;

	if (!k)
		k = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Api-Key");
	if (k) {
		if (strlen(k) + 5 > size && !(out = malloc(strlen(k) + 5)))
			return NULL;
		sprintf(out, "key:%s", k);
		return out;
	}
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)ci->client_addr)->sin_addr, out, (socklen_t)size);
	else if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ci->client_addr)->sin6_addr, out, (socklen_t)size);
	else
		snprintf(out, size, "unknown");
	return out;
}

/* One API request: `below` is its path under the mount, `pin` the
 * scenario its path names (/__s/<id>/...), or NULL. */
static enum MHD_Result api(struct mock *m, struct MHD_Connection *conn, const char *url, const char *below,
			   const char *method, const struct mount *mt, const char *pin, void **req_cls)
{
	struct request *rq = *req_cls;
	const struct contract_code *cc = NULL;
	struct scenario *sc = NULL;
	long long ask = -1;
	int ask_date = 0;
	enum select_problem p;
	const char *v, *key;
	char why[400];

	if (rq && rq != NO_BODY && rq->body_size > BODY_MAX) {
		snprintf(why, sizeof(why), "the request body is over %d bytes", BODY_MAX);
		record(m, conn, method, url, mt, NULL, 413, rq);
		return mock_problem(m, conn, 413, "body-too-large", "Request body too large", why, NULL);
	}
	key = mt->c->idempotency_header ?
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, mt->c->idempotency_header) : NULL;
	if (key && strlen(key) > IDEM_KEY_MAX) {
		snprintf(why, sizeof(why), "the %s header has %zu bytes; the mock keeps keys of at most %d",
			 mt->c->idempotency_header, strlen(key), IDEM_KEY_MAX);
		record(m, conn, method, url, mt, NULL, 400, rq);
		return mock_problem(m, conn, MHD_HTTP_BAD_REQUEST, "idempotency-key-too-long",
				    "Idempotency-Key too long", why, NULL);
	}
	if (m->max_concurrent) {
		int active;

		if (!(rq = ensure_request(req_cls)))
			return MHD_NO;
		rq->m = m;
		rq->counted = 1;
		active = atomic_fetch_add(&m->active, 1) + 1;
		if ((unsigned)active > m->max_concurrent && (cc = limit_code(mt->c, 1))) {
			struct contract_code over = *cc;
			json_t *extra = NULL;
			char *body;
			struct reply rp;
			enum MHD_Result ret;

			if (cc->extra) { /* the documented extras, with the real figures */
				extra = json_pack("{si si}", "active_requests", active - 1,
						  "concurrency_limit", (int)m->max_concurrent);
				over.extra = extra;
			}
			body = envelope_render_text(mt->c, &over, NULL, over.status);
			build_code(m, mt, cc, -1, 0, rq, &rp);
			reply_release(&rp);
			rp.body = body;
			rp.len = body ? strlen(body) : 0;
			rp.body_persistent = 0;
			reply_splice_request_id(mt->c, &rp);
			ret = body ? send_reply(conn, &rp, 0) : MHD_NO;
			record(m, conn, method, url, mt, cc, cc->status, rq);
			free(body);
			json_decref(extra);
			return ret;
		}
	}
	if (m->rate_limited) {
		char buf[128], *lkey;
		int remaining, allowed;
		long long reset;

		if (!(rq = ensure_request(req_cls)) || !(lkey = limit_key(conn, buf, sizeof(buf))))
			return MHD_NO;
		rq->m = m;
		rq->rl_on = 1;
		allowed = limiter_take(&m->limiter, lkey, mock_now_us(m), &remaining, &reset);
		if (lkey != buf)
			free(lkey);
		if (!allowed) {
			rq->rl_remaining = 0;
			rq->rl_reset = reset;
			cc = limit_code(mt->c, 0);
			if (cc)
				return serve_code(m, conn, method, url, mt, cc, reset, 0, rq);
			record(m, conn, method, url, mt, NULL, 429, rq);
			return mock_problem(m, conn, 429, "rate-limited", "Rate limited",
					    "the mock's --rate-limit refused this request", NULL);
		}
		rq->rl_remaining = remaining;
		rq->rl_reset = reset;
	}

	if (m->up && rq && rq != NO_BODY && rq->inject >= 0 && m->inject_sc) { /* --inject chose it */
		scenario_ref(m->inject_sc);
		rq->m = m;
		rq->conn = conn;
		rq->mt = mt;
		rq->sc = m->inject_sc;
		rq->step_index = (size_t)rq->inject;
		rq->step = &m->inject_sc->steps[rq->inject];
		return deliver_step(m, conn, method, url, rq, req_cls);
	}

	/* which response: a scenario's step, or a selector's code */
	v = pin ? pin : MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Errata-Scenario");
	if (v) {
		sc = scenarios_get(&m->scenarios, v);
		if (!sc || sc->contract != mt->c) {
			snprintf(why, sizeof(why), "%s names '%.100s', which is not a scenario of %s",
				 pin ? "The path" : "X-Errata-Scenario", v, mt->c->id);
			scenario_unref(sc);
			record(m, conn, method, url, mt, NULL, 400, rq);
			return mock_problem(m, conn, MHD_HTTP_BAD_REQUEST, "unknown-scenario",
					    "Unknown scenario", why, valid_scenarios(m));
		}
	} else {
		sc = scenarios_match(&m->scenarios, mt->c, method, below);
	}
	if (!sc) {
		p = select_code(mt->c,
				MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Errata-Error"),
				MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Prefer"),
				MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "__error"),
				&cc, why, sizeof(why));
		if (p != SELECT_OK) {
			record(m, conn, method, url, mt, NULL, 400, rq);
			switch (p) {
			case SELECT_UNKNOWN_CODE:
				return mock_problem(m, conn, MHD_HTTP_BAD_REQUEST, "unknown-code",
						    "Unknown error code", why, valid_codes(mt->c));
			case SELECT_UNKNOWN_STATUS:
				return mock_problem(m, conn, MHD_HTTP_BAD_REQUEST, "unknown-status",
						    "No code has this status", why, valid_statuses(mt->c));
			default:
				return mock_problem(m, conn, MHD_HTTP_BAD_REQUEST, "malformed-selector",
						    "Malformed selector", why, valid_codes(mt->c));
			}
		}
		if (cc && select_status_only(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Errata-Error"),
					     MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Prefer"),
					     MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "__error"))) {
			/* a status asked for on a documented operation: that operation's code for it */
			json_t *op = contract_operation(mt->c, method, below);
			const struct contract_code *own = op ? contract_operation_code(mt->c, op, cc->status) : NULL;

			if (own)
				cc = own;
		}
		if (m->up && !cc && rq && rq != NO_BODY) /* errata proxy: nothing asked of the mock */
			return forward_step(m, conn, url, method, rq);
		v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Errata-Retry-After");
		if (v && select_retry_after(v, &ask, &ask_date)) {
			snprintf(why, sizeof(why), "X-Errata-Retry-After: '%.100s' is not <seconds> or date:<seconds>", v);
			record(m, conn, method, url, mt, NULL, 400, rq);
			return mock_problem(m, conn, MHD_HTTP_BAD_REQUEST, "malformed-selector",
					    "Malformed selector", why, NULL);
		}
	}

	/* Idempotency-Key, as the contract's policy says (errata proxy: the real API's) */
	if (!m->up && applies_idempotency(mt->c, method)) {
		key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, mt->c->idempotency_header);
		if (!key && (mt->c->idempotency_required || (sc && sc->require_idempotency_key))) {
			const struct contract_code *miss = mt->c->idempotency_missing ?
				contract_find(mt->c, mt->c->idempotency_missing) : NULL;

			scenario_unref(sc);
			if (miss)
				return serve_code(m, conn, method, url, mt, miss, -1, 0, rq);
			snprintf(why, sizeof(why), "%s requires the %s header", method, mt->c->idempotency_header);
			record(m, conn, method, url, mt, NULL, 400, rq);
			return mock_problem(m, conn, MHD_HTTP_BAD_REQUEST, "idempotency-key-missing",
					    "Idempotency-Key missing", why, NULL);
		}
		if (key) {
			enum MHD_Result ret;

			if (idempotency_stage(m, conn, method, url, mt, sc, key, req_cls, &ret)) {
				scenario_unref(sc);
				return ret;
			}
			rq = *req_cls;
		}
	}
	if (!sc)
		return serve_code(m, conn, method, url, mt, cc, ask, ask_date, rq);

	/* a scenario step: now, or after its delay */
	if (!(rq = ensure_request(req_cls))) {
		scenario_unref(sc);
		return MHD_NO;
	}
	rq->m = m;
	rq->conn = conn;
	rq->mt = mt;
	rq->sc = sc;
	{
		long long n;

		rq->step = scenario_next(sc, &rq->step_index, &n);
		rq->delay_ms = scenario_delay_ms(sc, rq->step, n);
	}
	if (rq->delay_ms > 0 && !atomic_load(&m->stopping)) {
		rq->phase = PH_WAITING;
		MHD_suspend_connection(conn);
		if (timer_add(&m->timer, timer_now_us() + rq->delay_ms * 1000, resume_cb, rq))
			resume_cb(rq);
		return MHD_YES;
	}
	return deliver_step(m, conn, method, url, rq, req_cls);
}

static enum MHD_Result handle(struct mock *m, struct MHD_Connection *conn, const char *url,
			      const char *method, void **req_cls)
{
	struct request *rq = *req_cls;
	const struct mount *mt;
	char why[400], pin[64] = "";

	if (rq && rq != NO_BODY) {
		if (rq->phase == PH_CLOSE)
			return MHD_NO; /* a hang or dribble has ended: close */
		if (rq->phase == PH_WAITING) {
			rq->phase = PH_READY; /* resumed after a delay */
			return deliver_step(m, conn, method, url, rq, req_cls);
		}
	}
	if (!strncmp(url, "/__errata", 9) && (url[9] == '/' || url[9] == '\0'))
		return admin_handle(m, conn, method, url,
				    rq && rq != NO_BODY ? rq->admin_body : NULL,
				    rq && rq != NO_BODY ? rq->admin_len : 0);
	if (!strncmp(url, "/__s/", 5)) { /* /__s/<scenario-id>/<contract>/...: pinned by its path */
		size_t n = strcspn(url + 5, "/");

		if (!n || n >= sizeof(pin) || url[5 + n] != '/') {
			record(m, conn, method, url, NULL, NULL, 400, rq);
			return mock_problem(m, conn, MHD_HTTP_BAD_REQUEST, "unknown-scenario", "Unknown scenario",
					    "a pinned path is /__s/<scenario-id>/<contract-id>/... (an id of 1 to 63 bytes)", NULL);
		}
		memcpy(pin, url + 5, n);
		pin[n] = '\0';
		url += 5 + n;
	}
	mt = m->up ? NULL : find_mount(m, url);
	if (mt)
		return api(m, conn, url, url + 1 + mt->id_len, method, mt, pin[0] ? pin : NULL, req_cls);
	if (m->root && m->nr_mounts == 1) /* the one contract, served at the root too */
		return api(m, conn, url, url, method, &m->mounts[0], pin[0] ? pin : NULL, req_cls);
	{
		json_t *ids = json_array();
		size_t i;

		for (i = 0; i < m->nr_mounts; i++)
			json_array_append_new(ids, json_string(m->mounts[i].c->id));
		snprintf(why, sizeof(why), "'%.200s' is not under a mounted contract; requests go to /<contract-id>/...", url);
		record(m, conn, method, url, NULL, NULL, 400, rq);
		return mock_problem(m, conn, MHD_HTTP_BAD_REQUEST, "unknown-contract",
				    "Unknown contract", why, ids);
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	struct mock *m = cls;
	struct request *rq = *req_cls;
	int first = !rq;

	(void)version;
	if (rq == NO_BODY)
		return handle(m, conn, url, method, req_cls);
	if (m->up) { /* errata proxy: every request has its state from on_uri */
		if (!rq)
			return MHD_NO;
		if (rq->forward)
			return forward_continue(m, conn, method, upload_data, upload_data_size, rq);
		first = rq->fresh;
		if (rq->fresh) {
			char why[300];
			int bad;

			rq->fresh = 0;
			if ((bad = forward_prepare(m, conn, rq, why, sizeof(why)))) {
				record(m, conn, method, url, NULL, NULL, bad == -1 ? 400 : 500, rq);
				return bad == -2 ? MHD_NO : mock_problem(m, conn, MHD_HTTP_BAD_REQUEST, "bad-request",
									 "Bad request", why, NULL);
			}
			if (forward_route(m, conn, url, method, rq)) {
				rq->forward = 1;
				return forward_begin(m, conn, url, method, rq);
			}
		}
	}
	if (first) {
		if (!MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH) &&
		    !MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
			if (!rq)
				*req_cls = NO_BODY;
			return MHD_YES;
		}
		if (!(rq = ensure_request(req_cls)))
			return MHD_NO;
		rq->m = m;
		{
			/* a body declared too large is refused before a byte is read */
			const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
								     MHD_HTTP_HEADER_CONTENT_LENGTH);

			const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
									 MHD_HTTP_HEADER_EXPECT);
			unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;

			/* too large, and either the client waits for "100 Continue" (it
			 * sends nothing: answer now) or it is too large to read and drop */
			if (declared > BODY_MAX &&
			    ((expect && strcasestr(expect, "100-continue")) || declared > DISCARD_MAX)) {
				rq->body_size = (uint64_t)BODY_MAX + 1;
				rq->declared_too_large = 1;
				return handle(m, conn, url, method, req_cls);
			}
		}
		return MHD_YES;
	}
	if (rq->body_size > DISCARD_MAX || rq->declared_too_large) {
		/* answer 413 now; libmicrohttpd reads no more and closes */
		*upload_data_size = 0;
		return handle(m, conn, url, method, req_cls);
	}
	if (*upload_data_size) {
		if (rq->body_size <= BODY_MAX) {
			rq->body_hash = journal_hash(rq->body_hash, upload_data, *upload_data_size);
			/* kept: an admin request's, and errata proxy's (an upstream step sends it) */
			if ((m->up || !strncmp(url, "/__errata", 9)) &&
			    rq->admin_len + *upload_data_size <= BODY_MAX) {
				char *b = realloc(rq->admin_body, rq->admin_len + *upload_data_size + 1);

				if (!b)
					return MHD_NO;
				memcpy(b + rq->admin_len, upload_data, *upload_data_size);
				rq->admin_len += *upload_data_size;
				b[rq->admin_len] = '\0';
				rq->admin_body = b;
			}
		}
		rq->body_size += *upload_data_size;
		*upload_data_size = 0;
		return MHD_YES;
	}
	return handle(m, conn, url, method, req_cls);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct mock *m = cls;
	struct request *rq = *req_cls;

	(void)toe;
	if (rq && rq != NO_BODY && rq->forwarding)
		forward_end(m, conn, rq, toe);
	if (rq && rq != NO_BODY && rq->counted)
		atomic_fetch_sub(&m->active, 1);
	request_free(rq);
	*req_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct mock *m = cls;

	(void)conn;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		*socket_context = (void *)(uintptr_t)atomic_fetch_add(&m->next_connection, 1);
}

struct MHD_Daemon *mock_daemon_start(struct mock *m, const struct mock_config *cfg, unsigned flags,
				       uint16_t port, struct sockaddr_storage *ss, unsigned pool, int reuse)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	return MHD_start_daemon(flags, port, NULL, NULL, on_request, m,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)ss,
		MHD_OPTION_THREAD_POOL_SIZE, pool,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)16384,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)4096,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)MOCK_IDLE_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, m,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, m,
		MHD_OPTION_URI_LOG_CALLBACK, cfg->upstream ? proxy_on_uri : NULL, m,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)reuse,
		MHD_OPTION_END);
}

static void boot_prefix(char *out, size_t size)
{
	struct timespec ts;
	unsigned long long x;

	clock_gettime(CLOCK_REALTIME, &ts);
	x = (unsigned long long)ts.tv_nsec ^ ((unsigned long long)ts.tv_sec << 20) ^
	    ((unsigned long long)getpid() << 40);
	snprintf(out, size, "%06llx-", x & 0xffffff);
}

struct mock *mock_start(const struct mock_config *cfg, char *why, size_t size)
{
	struct mock *m = calloc(1, sizeof(*m));
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	const union MHD_DaemonInfo *info;
	unsigned threads = cfg->threads;
	const char *host = !strcasecmp(cfg->host, "localhost") ? "127.0.0.1" : cfg->host;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO |
			 MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
	size_t i;

	if (!m) {
		snprintf(why, size, "out of memory");
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &m->started);
	boot_prefix(m->boot, sizeof(m->boot));
	atomic_init(&m->next_request, 1);
	atomic_init(&m->next_connection, 1);
	if (journal_init(&m->journal, cfg->journal_size)) {
		snprintf(why, size, "cannot allocate a journal of %zu entries", cfg->journal_size);
		free(m);
		return NULL;
	}
	m->max_concurrent = cfg->max_concurrent;
	m->root = cfg->root;
	m->rate_limited = cfg->rate_quota > 0;
	if (scenarios_init(&m->scenarios) || idem_init(&m->idem) ||
	    limiter_init(&m->limiter, cfg->rate_quota, cfg->rate_window) || timer_start(&m->timer)) {
		snprintf(why, size, "cannot start the mock's threads");
		goto fail;
	}
	m->contracts = cfg->contracts;
	if (cfg->admin_token && !(m->admin_token = strdup(cfg->admin_token)))
		goto oom;
	snprintf(m->host, sizeof(m->host), "%s", host);
	if (cfg->nr_admin_hosts && !(m->admin_hosts = calloc(cfg->nr_admin_hosts, sizeof(char *))))
		goto oom;
	for (i = 0; i < cfg->nr_admin_hosts; i++, m->nr_admin_hosts++)
		if (!(m->admin_hosts[i] = strdup(cfg->admin_hosts[i])))
			goto oom;
	m->mounts = calloc(cfg->nr_contracts ? cfg->nr_contracts : 1, sizeof(*m->mounts));
	if (!m->mounts)
		goto oom;
	for (i = 0; i < cfg->nr_contracts; i++) {
		m->nr_mounts++;
		if (prepare(&m->mounts[i], cfg->contracts[i]))
			goto oom;
	}
	if (cfg->upstream && proxy_start(m, cfg, why, size))
		goto fail;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)cfg->port);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)cfg->port);
		flags |= MHD_USE_IPv6;
	} else {
		snprintf(why, size, "'%s' is not a numeric IPv4 or IPv6 address (or localhost)", cfg->host);
		goto fail;
	}
	if (!threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		threads = n > 0 ? (unsigned)n : 1;
	}
	if (cfg->upstream) {
		if (proxy_daemons(m, cfg, flags, &ss, threads, why, size))
			goto fail;
		return m;
	}
	m->daemon = mock_daemon_start(m, cfg, flags, (uint16_t)cfg->port, &ss, threads > 1 ? threads : 0, 0);
	if (!m->daemon) {
		snprintf(why, size, "cannot listen on %s:%u (in use, or not an address of this machine)",
			 cfg->host, cfg->port);
		goto fail;
	}
	info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
	m->port = info ? info->port : cfg->port;
	return m;
oom:
	snprintf(why, size, "out of memory");
fail:
	mock_stop(m, 0);
	return NULL;
}

json_t *mock_journal(struct mock *m, const char *scenario)
{
	return journal_dump(&m->journal, 0, 0, scenario);
}

unsigned mock_port(const struct mock *m)
{
	return m->port;
}

void mock_stop(struct mock *m, unsigned drain_ms)
{
	size_t i;

	if (!m)
		return;
	atomic_store(&m->stopping, 1);
	if (m->daemon) {
		MHD_socket listen_fd[64];
		unsigned waited = 0, k, nd = m->nr_daemons ? m->nr_daemons : 1;
		struct MHD_Daemon **ds = m->nr_daemons ? m->daemons : &m->daemon;

		for (k = 0; k < nd && k < 64; k++)
			listen_fd[k] = MHD_quiesce_daemon(ds[k]);
		timer_stop(&m->timer); /* resumes every suspended connection */
		while (waited < drain_ms) {
			unsigned open = 0;

			for (k = 0; k < nd; k++) {
				const union MHD_DaemonInfo *info =
					MHD_get_daemon_info(ds[k], MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

				open += info ? info->num_connections : 0;
			}
			if (!open)
				break;
			usleep(10000);
			waited += 10;
		}
		upstream_stop(m->up); /* ends every transfer: their connections resume */
		for (k = 0; k < nd; k++) {
			MHD_stop_daemon(ds[k]);
			if (k < 64 && listen_fd[k] != MHD_INVALID_SOCKET)
				close(listen_fd[k]);
		}
	} else {
		upstream_stop(m->up);
	}
	timer_stop(&m->timer);
	if (m->up) {
		upstream_free(m->up);
		conformance_release(&m->conf);
	}
	if (m->fup) {
		framing_upstream_release(m->fup);
		free(m->fup);
	}
	scenario_unref(m->inject_sc);
	inject_spec_release(&m->inject);
	free(m->daemons);
	for (i = 0; i < m->nr_mounts; i++)
		unprepare(&m->mounts[i]);
	free(m->mounts);
	free(m->admin_token);
	for (i = 0; i < m->nr_admin_hosts; i++)
		free(m->admin_hosts[i]);
	free(m->admin_hosts);
	journal_release(&m->journal);
	scenarios_release(&m->scenarios);
	idem_release(&m->idem);
	limiter_release(&m->limiter);
	free(m);
}

int mock_load_scenarios(struct mock *m, const char *text, size_t len, const char *source,
			struct load_error *err)
{
	struct jload ld;
	json_t *root = jload_parse(&ld, text, len, source, err), *v;
	size_t i, n;
	int rc = 0;

	if (!root)
		return -1;
	n = json_is_array(root) ? json_array_size(root) : 1;
	for (i = 0; i < n && !rc; i++) {
		struct scenario *sc;
		char why[200];

		v = json_is_array(root) ? json_array_get(root, i) : root;
		if (json_is_array(root))
			jpath_index(&ld.path, i);
		sc = scenario_parse(&ld, v, m->contracts, m->nr_mounts);
		if (!sc) {
			rc = -1;
		} else if (!m->up && scenario_has_upstream(sc)) {
			scenario_unref(sc);
			jload_fail(&ld, 0, "a step says \"upstream\": true, and only errata proxy has a real API to pass it to");
			rc = -1;
		} else if (scenarios_add(&m->scenarios, sc, why, sizeof(why))) {
			scenario_unref(sc);
			ld.path.nr = json_is_array(root) ? 1 : 0;
			jload_fail(&ld, 0, "%s", why);
			rc = -1;
		}
		ld.path.nr = 0;
	}
	json_decref(root);
	return rc;
}
