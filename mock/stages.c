/*
 * The mock's request path in stages, as nginx runs phases: each stage
 * declines (GO_ON) or decides (its reply queued, the decision noted).
 *
 *   admit       the body's size, the Idempotency-Key's length, concurrency,
 *               the rate limit
 *   route       a method and path no operation has (route.c)
 *   choose      what --inject picked, a scenario (pinned, named or
 *               matching), a selector's code; errata proxy adds "forward"
 *               (nothing was asked of the mock: the real API answers)
 *   idempotency a key's replay, conflict or key in flight (errata serve;
 *               behind errata proxy the real API keeps its keys)
 *   deliver     the code, or the scenario's step, now or after its delay
 *
 * Which stages run is a table per mock (serve_stages here, errata proxy's
 * in proxy.c). What was decided lives in the request's struct decision, and
 * conclude() journals it once; refuse() replies and notes a refusal at once.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "shared.h"
#include "select.h"
#include "../model/envelope.h"

#define MAX_HEADERS 64
#define MAX_QUERY 32

/* --- the decision and the one journal writer --- */

static void copy_str(char *dst, size_t size, const char **field, const char *v)
{
	if (!v)
		return;
	snprintf(dst, size, "%s", v);
	*field = dst;
}

void decide(struct mock *m, struct request *rq, const struct mount *mt, const struct contract_code *cc,
	    int status, const struct served *sv)
{
	struct decision *d = &rq->d;

	d->decided = 1;
	d->mt = mt;
	d->cc = cc;
	d->status = status;
	d->t_us = sv && sv->t_us ? sv->t_us : mock_now_us(m);
	memset(&d->sv, 0, sizeof(d->sv));
	d->sv.step = -1;
	if (!sv)
		return;
	d->sv = *sv;
	d->sv.retry_after = d->sv.wait = NULL;
	copy_str(d->retry_after, sizeof(d->retry_after), &d->sv.retry_after, sv->retry_after);
	copy_str(d->wait, sizeof(d->wait), &d->sv.wait, sv->wait);
	d->sv.upstream = d->sv.conformance = NULL;
	d->sv.stream = NULL;
	if (sv->upstream && (d->upstream = strdup(sv->upstream)))
		d->sv.upstream = d->upstream;
	if (sv->conformance && (d->conformance = strdup(sv->conformance)))
		d->sv.conformance = d->conformance;
}

struct collect {
	const char *kv[2 * MAX_HEADERS];
	unsigned n, max;
	int dropped;                 /* more than max were there */
};

static enum MHD_Result collect_kv(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
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
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

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

void conclude(struct mock *m, struct MHD_Connection *conn, struct request *rq, const char *method,
	      const char *url)
{
	const struct decision *d = &rq->d;
	struct collect h, q;         /* kv is filled as collected: no 2 KB memset per request */
	struct journal_record r;
	char masked[1024];
	const char *path;

	if (!d->decided || d->journaled || d->open)
		return;
	rq->d.journaled = 1;
	if (d->mt && !d->sv.upstream) /* answered by the mock (errata proxy: injected) */
		atomic_fetch_add(&m->answered, 1);
	if (!m->chaos && !m->journal.capacity)
		return;
	path = journal_path(d->mt, method, url, masked, sizeof(masked));
	if (m->chaos)
		mock_chaos_conclude(m, conn, rq, method, path);
	if (!m->journal.capacity)
		return;
	h.n = q.n = 0;
	h.dropped = q.dropped = 0;
	h.max = MAX_HEADERS;
	q.max = MAX_QUERY;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_kv, &h);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_kv, &q);
	r.connection = connection_id(conn);
	r.t_us = d->t_us;
	r.method = method;
	r.path = path;
	r.contract = d->mt ? d->mt->c->id : "";
	r.code = d->cc ? d->cc->code : "";
	r.idempotency_key = d->mt && d->mt->c->idempotency_header ?
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, d->mt->c->idempotency_header) : NULL;
	r.headers = h.kv;
	r.nr_headers = h.n;
	r.query = q.kv;
	r.nr_query = q.n;
	r.dropped = h.dropped || q.dropped;
	r.body_size = rq->body_size;
	r.body_hash = rq->body_hash;
	r.status = d->status;
	r.scenario = d->sv.scenario;
	r.fault = d->sv.fault;
	r.retry_after = d->sv.retry_after;
	r.wait = d->sv.wait;
	r.upstream = d->sv.upstream;
	r.conformance = d->sv.conformance;
	r.stream = d->sv.stream;
	r.step = d->sv.step;
	r.replayed = d->sv.replayed;
	r.delay_ms = d->sv.delay_ms;
	r.replica = NULL;
	if (m->shared)
		replicas_journal(m, &r, rq->sc && rq->sc->spec);
	else
		journal_append(&m->journal, &r);
}

enum MHD_Result refuse(struct mock *m, struct MHD_Connection *conn, struct request *rq, const struct mount *mt,
		       unsigned status, const char *slug, const char *title, json_t *valid, const char *fmt, ...)
{
	char why[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	decide(m, rq, mt, NULL, (int)status, NULL);
	return mock_problem(m, conn, status, slug, title, why, valid);
}

/* --- the choices a refusal lists --- */

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

static json_t *valid_scenarios(struct mock *m)
{
	json_t *all = scenarios_json(&m->scenarios), *ids = json_array(), *v;
	size_t i;

	json_array_foreach(all, i, v)
		json_array_append(ids, json_object_get(v, "id"));
	json_decref(all);
	return ids;
}

/* A refusal from a stage: sent, unless the pass only looks (dry). */
static int stage_refuse(struct pass *p, unsigned status, const char *slug, const char *title, json_t *valid,
			const char *why)
{
	if (p->dry) {
		json_decref(valid);
		return DECIDED;
	}
	p->ret = refuse(p->m, p->conn, p->rq, p->mt, status, slug, title, valid, "%s", why);
	return DECIDED;
}

/* The shared state failed (--state): a 503 naming the store. */
static int stage_unavailable(struct pass *p, const char *why)
{
	if (!p->dry)
		p->ret = replicas_unavailable(p->m, p->conn, p->rq, p->mt, why);
	return DECIDED;
}

/* --- admit --- */

int stage_admit_body(struct pass *p)
{
	char why[100];

	if (p->rq->body_size <= BODY_MAX)
		return GO_ON;
	snprintf(why, sizeof(why), "the request body is over %d bytes", BODY_MAX);
	return stage_refuse(p, 413, "body-too-large", "Request body too large", NULL, why);
}

int stage_admit_key(struct pass *p)
{
	const struct contract *c = p->mt->c;
	const char *key = c->idempotency_header ?
		MHD_lookup_connection_value(p->conn, MHD_HEADER_KIND, c->idempotency_header) : NULL;
	char why[200];

	if (!key || strlen(key) <= IDEM_KEY_MAX)
		return GO_ON;
	snprintf(why, sizeof(why), "the %s header has %zu bytes; the mock keeps keys of at most %d",
		 c->idempotency_header, strlen(key), IDEM_KEY_MAX);
	return stage_refuse(p, MHD_HTTP_BAD_REQUEST, "idempotency-key-too-long", "Idempotency-Key too long", NULL, why);
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

/* The concurrency code, with the documented extras carrying the real figures. */
static enum MHD_Result serve_over(struct pass *p, const struct contract_code *cc, int active)
{
	struct contract_code over = *cc;
	json_t *extra = NULL;
	char *body;
	struct reply rp;
	enum MHD_Result ret;

	if (cc->extra) {
		extra = json_pack("{si si}", "active_requests", active - 1, "concurrency_limit",
				  (int)p->m->max_concurrent);
		over.extra = extra;
	}
	body = envelope_render_text(p->mt->c, &over, NULL, over.status);
	build_code(p->m, p->mt, cc, -1, 0, p->rq, &rp);
	reply_release(&rp);
	rp.body = body;
	rp.len = body ? strlen(body) : 0;
	rp.body_persistent = 0;
	reply_splice_request_id(p->mt->c, &rp);
	ret = body ? send_reply(p->conn, &rp, 0) : MHD_NO;
	decide(p->m, p->rq, p->mt, cc, cc->status, NULL);
	free(body);
	json_decref(extra);
	return ret;
}

int stage_admit_concurrency(struct pass *p)
{
	const struct contract_code *cc;
	int active;

	if (!p->m->max_concurrent || p->dry)
		return GO_ON;
	p->rq->counted = 1;
	active = atomic_fetch_add(&p->m->active, 1) + 1;
	if ((unsigned)active <= p->m->max_concurrent || !(cc = limit_code(p->mt->c, 1)))
		return GO_ON;
	p->ret = serve_over(p, cc, active);
	return DECIDED;
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

int stage_admit_rate(struct pass *p)
{
	struct request *rq = p->rq;
	const struct contract_code *cc;
	char buf[128], *lkey, why[400];
	int remaining, allowed;
	long long reset;

	if (!p->m->rate_limited || p->dry)
		return GO_ON;
	if (!(lkey = limit_key(p->conn, buf, sizeof(buf)))) {
		p->ret = MHD_NO;
		return DECIDED;
	}
	rq->rl_on = 1;
	allowed = p->m->shared ? shared_rate_take(p->m->shared, lkey, p->m->limiter.quota, p->m->limiter.window,
						  &remaining, &reset, why, sizeof(why)) :
		limiter_take(&p->m->limiter, lkey, mock_now_us(p->m), &remaining, &reset);
	if (lkey != buf)
		free(lkey);
	if (allowed < 0)
		return stage_unavailable(p, why);
	rq->rl_remaining = allowed ? remaining : 0;
	rq->rl_reset = reset;
	if (allowed)
		return GO_ON;
	if ((cc = limit_code(p->mt->c, 0))) {
		p->ret = serve_code(p->m, p->conn, p->mt, cc, reset, 0, rq);
		return DECIDED;
	}
	return stage_refuse(p, 429, "rate-limited", "Rate limited", NULL, "the mock's --rate-limit refused this request");
}

/* --- choose --- */

int stage_choose_injected(struct pass *p)
{
	struct request *rq = p->rq;

	if (!p->m->inject_sc)
		return GO_ON;
	if (rq->inject < 0 && (p->dry || mock_forwards(p->m) || p->pin ||
			       !mock_chaos_pick(p->m, p->conn, p->mt, p->method, p->below, rq)))
		return GO_ON; /* errata proxy picks in its first call */
	if (!p->sc) {
		scenario_ref(p->m->inject_sc);
		p->sc = p->m->inject_sc;
	}
	p->step_index = rq->inject;
	return GO_ON;
}

int stage_choose_scenario(struct pass *p)
{
	const char *v = p->pin ? p->pin : MHD_lookup_connection_value(p->conn, MHD_HEADER_KIND, "X-Errata-Scenario");
	char why[400];

	if (p->sc)
		return GO_ON;
	if (p->m->shared && replicas_sync(p->m, why, sizeof(why)))
		return stage_unavailable(p, why);
	if (!v) {
		p->sc = scenarios_match(&p->m->scenarios, p->mt->c, p->method, p->below);
		return GO_ON;
	}
	p->sc = scenarios_get(&p->m->scenarios, v);
	if (p->sc && p->sc->contract == p->mt->c)
		return GO_ON;
	scenario_unref(p->sc);
	p->sc = NULL;
	snprintf(why, sizeof(why), "%s names '%.100s', which is not a scenario of %s",
		 p->pin ? "The path" : "X-Errata-Scenario", v, p->mt->c->id);
	return stage_refuse(p, MHD_HTTP_BAD_REQUEST, "unknown-scenario", "Unknown scenario",
			    p->dry ? NULL : valid_scenarios(p->m), why);
}

/* A status asked for on a documented operation: that operation's code for it. */
static void own_code(struct pass *p, const char *err, const char *prefer, const char *q)
{
	json_t *op;
	const struct contract_code *own;

	if (!p->cc || (!p->mt->c->wire_twins && !select_status_only(err, prefer, q)))
		return;
	op = contract_operation(p->mt->c, p->method, p->below);
	if (op && !select_status_only(err, prefer, q)) { /* a code: the operation's own status for it */
		if (json_array_size(json_object_get(op, "codes")) && (own = contract_operation_own(p->mt->c, op, p->cc)))
			p->cc = own;
		return;
	}
	own = op ? contract_operation_code(p->mt->c, op, p->cc->status) : NULL;
	if (own)
		p->cc = own;
}

int stage_choose_selector(struct pass *p)
{
	const char *err = MHD_lookup_connection_value(p->conn, MHD_HEADER_KIND, "X-Errata-Error");
	const char *prefer = MHD_lookup_connection_value(p->conn, MHD_HEADER_KIND, "Prefer");
	const char *q = MHD_lookup_connection_value(p->conn, MHD_GET_ARGUMENT_KIND, "__error");
	const char *v;
	char why[400];

	if (p->sc)
		return GO_ON;
	switch (select_code(p->mt->c, err, prefer, q, &p->cc, why, sizeof(why))) {
	case SELECT_OK:
		break;
	case SELECT_UNKNOWN_CODE:
		return stage_refuse(p, MHD_HTTP_BAD_REQUEST, "unknown-code", "Unknown error code",
				    p->dry ? NULL : valid_codes(p->mt->c), why);
	case SELECT_UNKNOWN_STATUS:
		return stage_refuse(p, MHD_HTTP_BAD_REQUEST, "unknown-status", "No code has this status",
				    p->dry ? NULL : valid_statuses(p->mt->c), why);
	default:
		return stage_refuse(p, MHD_HTTP_BAD_REQUEST, "malformed-selector", "Malformed selector",
				    p->dry ? NULL : valid_codes(p->mt->c), why);
	}
	own_code(p, err, prefer, q);
	p->asked = p->cc != NULL;
	v = MHD_lookup_connection_value(p->conn, MHD_HEADER_KIND, "X-Errata-Retry-After");
	if (v && select_retry_after(v, &p->ask, &p->ask_date)) {
		snprintf(why, sizeof(why), "X-Errata-Retry-After: '%.100s' is not <seconds> or date:<seconds>", v);
		return stage_refuse(p, MHD_HTTP_BAD_REQUEST, "malformed-selector", "Malformed selector", NULL, why);
	}
	return GO_ON;
}

/* X-Errata-Stream: "error", "error:CODE", "reset", "stall" or "end", then
 * "; events=N", "; interval_ms=N", "; stall_ms=N" as wanted: a streamed
 * answer made for this request. */
int stage_choose_stream(struct pass *p)
{
	const char *v = MHD_lookup_connection_value(p->conn, MHD_HEADER_KIND, "X-Errata-Stream");
	long long n[3] = { STREAM_DEFAULT_EVENTS, STREAM_DEFAULT_INTERVAL_MS, STREAM_DEFAULT_STALL_MS };
	const struct contract_code *cc = NULL, *named = NULL;
	char why[400];
	int end;

	if (!v && p->cc && p->cc->stream == STREAM_ONLY && !p->sc)
		v = "error"; /* a code documented only inside a stream arrives there */
	else if (!v || p->sc)
		return GO_ON;
	if (p->cc) /* X-Errata-Error's code, for an error event */
		cc = p->cc;
	p->asked = 1; /* the mock answers, errata proxy too */
	if (p->dry)
		return GO_ON;
	if ((end = select_stream(p->mt->c, v, n, &named, why, sizeof(why))) < 0 ||
	    !(p->rq->own_plan = stream_plan_make(p->mt->c, (enum stream_end)end, named ? named : cc, n[0], n[1],
						  n[2], p->method, p->below, why, sizeof(why))))
		return stage_refuse(p, MHD_HTTP_BAD_REQUEST, "malformed-selector", "Malformed selector", NULL, why);
	return GO_ON;
}

/* --- idempotency --- */

int stage_idempotency(struct pass *p)
{
	const struct contract *c = p->mt->c;
	const char *key;
	const struct contract_code *miss;

	if (p->dry || !applies_idempotency(c, p->method))
		return GO_ON;
	key = MHD_lookup_connection_value(p->conn, MHD_HEADER_KIND, c->idempotency_header);
	if (key)
		return idempotency_stage(p->m, p->conn, p->method, p->url, p->mt, p->sc, key, p->rq, &p->ret);
	if (!c->idempotency_required && !(p->sc && p->sc->require_idempotency_key))
		return GO_ON;
	miss = c->idempotency_missing ? contract_find(c, c->idempotency_missing) : NULL;
	if (miss) {
		p->ret = serve_code(p->m, p->conn, p->mt, miss, -1, 0, p->rq);
		return DECIDED;
	}
	p->ret = refuse(p->m, p->conn, p->rq, p->mt, MHD_HTTP_BAD_REQUEST, "idempotency-key-missing",
			"Idempotency-Key missing", NULL, "%s requires the %s header", p->method, c->idempotency_header);
	return DECIDED;
}

const stage_fn serve_stages[] = {
	stage_admit_body, stage_admit_key, stage_admit_concurrency, stage_admit_rate, stage_route,
	stage_choose_injected, stage_choose_scenario, stage_choose_selector, stage_choose_stream,
	stage_idempotency, NULL
};

/* --- deliver --- */

/* A scenario's step: now, or after its delay. */
static enum MHD_Result deliver(struct pass *p)
{
	struct request *rq = p->rq;
	char why[400];
	long long n;

	if (!p->sc && rq->own_plan)
		return serve_stream(p->m, p->conn, p->mt, rq, p->method, p->url);
	if (!p->sc)
		return serve_code(p->m, p->conn, p->mt, p->cc, p->ask, p->ask_date, rq);
	rq->conn = p->conn;
	rq->mt = p->mt;
	rq->sc = p->sc; /* the request's reference now */
	p->sc = NULL;
	if (p->step_index >= 0) { /* --inject's pick: its step, no delay */
		rq->step_index = (size_t)p->step_index;
		rq->step = &rq->sc->steps[p->step_index];
		return deliver_step(p->m, p->conn, p->method, p->url, rq);
	}
	if (!p->m->shared) {
		rq->step = scenario_next(rq->sc, &rq->step_index, &n);
	} else if (!shared_scenario_step(p->m->shared, rq->sc->id, &n, why, sizeof(why))) {
		rq->step = scenario_step_at(rq->sc, n, &rq->step_index);
	} else {
		return replicas_unavailable(p->m, p->conn, rq, p->mt, why);
	}
	rq->delay_ms = scenario_delay_ms(rq->sc, rq->step, n);
	if (rq->delay_ms > 0 && !atomic_load(&p->m->stopping)) {
		rq->phase = PH_WAITING;
		MHD_suspend_connection(p->conn);
		if (timer_add(&p->m->timer, timer_now_us() + rq->delay_ms * 1000, resume_cb, rq))
			resume_cb(rq);
		return MHD_YES;
	}
	return deliver_step(p->m, p->conn, p->method, p->url, rq);
}

void pass_init(struct pass *p, struct mock *m, struct MHD_Connection *conn, struct request *rq,
	       const char *method, const char *url)
{
	memset(p, 0, sizeof(*p));
	p->m = m;
	p->conn = conn;
	p->rq = rq;
	p->method = method;
	p->url = url;
	p->ask = -1;
	p->step_index = -1;
	p->ret = MHD_YES;
}

/* Run the stages of the mock's table; deliver what they chose. */
static enum MHD_Result run(struct pass *p)
{
	const stage_fn *s;
	enum MHD_Result ret;

	for (s = p->m->stages; *s; s++)
		if ((*s)(p) == DECIDED) {
			scenario_unref(p->sc);
			return p->ret;
		}
	ret = deliver(p);
	scenario_unref(p->sc);
	return ret;
}

/* /__s/<scenario-id>/...: the pin into pin, the rest of the path returned;
 * NULL when the path is not a pin's. */
const char *stages_pin(const char *url, char *pin, size_t size)
{
	size_t n;

	pin[0] = '\0';
	if (strncmp(url, "/__s/", 5))
		return url;
	n = strcspn(url + 5, "/");
	if (!n || n >= size || url[5 + n] != '/')
		return NULL;
	memcpy(pin, url + 5, n);
	pin[n] = '\0';
	return url + 5 + n;
}

static const struct mount *find_mount(const struct mock *m, const char *url)
{
	size_t i;

	if (url[0] != '/' || !m->prefix_mounts)
		return NULL;
	for (i = 0; i < m->nr_mounts; i++) {
		const struct mount *mt = &m->mounts[i];

		if (!strncmp(url + 1, mt->c->id, mt->id_len) &&
		    (url[1 + mt->id_len] == '/' || url[1 + mt->id_len] == '\0'))
			return mt;
	}
	return NULL;
}

/* Where the request goes: its mount and the path below it; 0, or -1. */
int stages_mount(struct pass *p, const char *path)
{
	if ((p->mt = find_mount(p->m, path))) {
		p->below = path + 1 + p->mt->id_len;
	} else if (p->m->root && p->m->nr_mounts == 1) { /* the one contract, served at the root too */
		p->mt = &p->m->mounts[0];
		p->below = path;
	} else {
		return -1;
	}
	if (p->mt->c->op_success || p->mt->c->ops_complete) /* its success is the operation's own */
		p->rq->op = contract_operation(p->mt->c, p->method, p->below);
	return 0;
}

enum MHD_Result stages_run(struct mock *m, struct MHD_Connection *conn, const char *url, const char *method,
			   struct request *rq)
{
	struct pass p;
	char pin[64];
	const char *path = stages_pin(url, pin, sizeof(pin));
	json_t *ids;
	size_t i;

	pass_init(&p, m, conn, rq, method, url);
	if (!path)
		return refuse(m, conn, rq, NULL, MHD_HTTP_BAD_REQUEST, "unknown-scenario", "Unknown scenario", NULL,
			      "a pinned path is /__s/<scenario-id>/<contract-id>/... (an id of 1 to 63 bytes)");
	p.url = rq->path = path;
	p.pin = pin[0] ? pin : NULL;
	if (!stages_mount(&p, path))
		return run(&p);
	ids = json_array();
	for (i = 0; i < m->nr_mounts; i++)
		json_array_append_new(ids, json_string(m->mounts[i].c->id));
	return refuse(m, conn, rq, NULL, MHD_HTTP_BAD_REQUEST, "unknown-contract", "Unknown contract", ids,
		      "'%.200s' is not under a mounted contract; requests go to /<contract-id>/...", path);
}
