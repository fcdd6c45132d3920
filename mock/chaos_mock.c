/*
 * --inject on errata serve and errata proxy, judged: which requests get an
 * error (the seed, the request's number, and the bound on errors in a
 * row), and each completed request handed to the chaos judge (chaos.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "chaos.h"

int mock_chaos_start(struct mock *m, const struct mock_config *cfg, char *why, size_t size)
{
	if (!cfg->inject)
		return 0;
	if (m->nr_mounts != 1) {
		snprintf(why, size, "--inject serves the errors of one contract, and %zu are loaded", m->nr_mounts);
		return -1;
	}
	if (inject_spec_parse(cfg->inject, &m->inject, why, size) ||
	    !(m->inject_sc = forward_inject_scenario(m, why, size)))
		return -1;
	if (!(m->chaos = chaos_new(m->inject.max_in_a_row))) {
		snprintf(why, size, "out of memory");
		return -1;
	}
	m->keep_bodies = 1; /* the judge compares a retry's body with the first */
	m->report = cfg->report;
	m->report_ctx = cfg->report_ctx;
	return 0;
}

/* The contract's idempotency header, else the one most APIs and SDKs
 * send (Stripe's, OpenAI's, the IETF draft's): a retry is judged by it
 * even where the description does not declare it. */
static const char *key_header(const struct contract *c)
{
	return c->idempotency_header ? c->idempotency_header : "Idempotency-Key";
}

/* Does request n get an error (its choice in rq->inject)? */
int mock_chaos_pick(struct mock *m, struct MHD_Connection *conn, const struct mount *mt, const char *method,
		    const char *path, struct request *rq)
{
	const char *key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, key_header(mt->c));
	int k;

	if (!m->inject_sc || (k = inject_pick(&m->inject, atomic_fetch_add(&m->inject_n, 1))) < 0)
		return 0;
	(void)key;
	if (m->inject_sc->steps[k].stream && /* a stream's failure, on a request for a stream */
	    !stream_requested(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT),
			      rq->admin_body, rq->admin_len))
		return 0;
	if (m->chaos && !chaos_may_inject(m->chaos, method, path))
		return 0;
	rq->inject = k;
	return 1;
}

/* The wait a retry-after-ms rule asked for ("retry-after-ms: 1500"). */
static const char *ms_of(const char *wait)
{
	return wait && !strncasecmp(wait, "retry-after-ms:", 15) ? wait + 15 + strspn(wait + 15, " ") : NULL;
}

void mock_chaos_conclude(struct mock *m, struct MHD_Connection *conn, const struct request *rq,
			 const char *method, const char *path)
{
	const struct decision *d = &rq->d;
	struct chaos_request r = { 0 };

	if (!m->chaos || !d->mt)
		return;
	r.method = method;
	r.target = path;
	r.key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, key_header(d->mt->c));
	r.content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	r.body = rq->admin_body;
	r.body_len = rq->admin_len;
	r.t_us = d->t_us;
	r.injected = rq->inject >= 0 && !d->sv.upstream;
	r.code = d->cc ? d->cc->code : "";
	r.fault = d->sv.fault && *d->sv.fault ? d->sv.fault : NULL; /* "": a step with no fault */
	r.status = d->status;
	r.retryable = d->cc && d->cc->retryable;
	r.retry_after = d->sv.retry_after;
	r.retry_after_ms = ms_of(d->sv.wait);
	chaos_conclude(m->chaos, &r);
}

json_t *mock_chaos_report(struct mock *m)
{
	return m->chaos ? chaos_report(m->chaos, mock_now_us(m)) : NULL;
}
