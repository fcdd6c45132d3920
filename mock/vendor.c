/*
 * The headers and body parts that real APIs add to an error (format 2 of
 * the contract): a request id in the body equal to the header's, vendor
 * rate-limit families drawn from one limiter state, a retry hint and
 * retry-after-ms. Called by respond.c's builders, never on its own.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "../model/envelope.h"
#include "../model/match.h"

void reply_release(struct reply *rp)
{
	free(rp->owned);
	rp->owned = NULL;
}

static const char *store(struct reply *rp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *store(struct reply *rp, const char *fmt, ...)
{
	va_list ap;

	if (rp->used >= sizeof(rp->store) / sizeof(rp->store[0]))
		return NULL;
	va_start(ap, fmt);
	vsnprintf(rp->store[rp->used], sizeof(rp->store[0]), fmt, ap);
	va_end(ap);
	return rp->store[rp->used++];
}

/* The body's "{{request_id}}" was rendered as the example id: put the
 * header's value in its place, in a body made for this response. The id is
 * the same text in a JSON string and in an XML element. */
void reply_splice_request_id(const struct contract *c, struct reply *rp)
{
	static const char mark[] = ENVELOPE_EXAMPLE_ID;
	const char *rid = c->request_id_header ? reply_value(rp, c->request_id_header) : NULL;
	const char *at;
	size_t pre, rlen, post;

	if (!c->has_request_id || !rid || !rp->body)
		return;
	at = memmem(rp->body, rp->len, mark, sizeof(mark) - 1);
	if (!at)
		return;
	pre = (size_t)(at - rp->body);
	rlen = strlen(rid);
	post = rp->len - pre - (sizeof(mark) - 1);
	rp->owned = malloc(pre + rlen + post + 1);
	if (!rp->owned)
		return; /* the example id stays: a mismatch errata check reports */
	memcpy(rp->owned, rp->body, pre);
	memcpy(rp->owned + pre, rid, rlen);
	memcpy(rp->owned + pre + rlen, at + sizeof(mark) - 1, post);
	rp->owned[pre + rlen + post] = '\0';
	rp->body = rp->owned;
	rp->len = pre + rlen + post;
	rp->body_persistent = 0;
}

static int is_rate_limit(const struct contract_code *cc)
{
	return cc && (cc->role == ROLE_RATE_LIMITED || cc->role == ROLE_CONCURRENCY_LIMITED);
}

/* One family's headers. The limiter's state when --rate-limit is on; else
 * the family's quota. A rate-limit code always shows its bucket exhausted
 * (remaining 0, the reset ahead), whatever the limiter's state: a selector
 * may ask for one while the limiter still has room. */
static void family(struct mock *m, const struct header_family *f, const struct request *rq,
		   const struct contract_code *cc, long long reset_after, struct reply *rp)
{
	long long limit = f->quota, remaining, used, reset;
	time_t now = time(NULL);
	struct tm tm;
	size_t i;

	if (!f->on_all && !is_rate_limit(cc))
		return;
	if (rq && rq->rl_on) {
		limit = m->limiter.quota;
		remaining = is_rate_limit(cc) ? 0 : rq->rl_remaining;
		reset = is_rate_limit(cc) && rq->rl_reset <= 0 ? (reset_after > 0 ? reset_after : 1) : rq->rl_reset;
	} else if (is_rate_limit(cc)) {
		remaining = 0;
		reset = reset_after >= 0 ? reset_after : f->window;
	} else {
		remaining = limit > 0 ? limit - 1 : 0;
		reset = f->window;
	}
	used = limit - remaining;
	for (i = 0; i < f->nr; i++) {
		const char *v = NULL;
		time_t at = now + (time_t)reset;

		switch (f->h[i].field) {
		case LF_LIMIT: v = store(rp, "%lld", limit); break;
		case LF_REMAINING: v = store(rp, "%lld", remaining); break;
		case LF_USED: v = store(rp, "%lld", used); break;
		case LF_RESET_AT: v = store(rp, "%lld", (long long)at); break;
		case LF_RESET_AFTER: v = store(rp, "%lld", reset); break;
		case LF_RESET_TIME:
			if (gmtime_r(&at, &tm))
				v = store(rp, "%04lld-%02d-%02dT%02d:%02d:%02dZ", 1900LL + tm.tm_year, tm.tm_mon + 1,
					  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
			break;
		case LF_RESOURCE: v = f->resource; break;
		}
		if (v)
			reply_header(rp, f->h[i].header, v);
	}
}

void reply_vendor(struct mock *m, const struct mount *mt, const struct request *rq,
		  const struct contract_code *cc, long long wait_s, long long reset_after,
		  struct reply *rp)
{
	const struct contract *c = mt->c;
	const char *ra;
	size_t i;

	reply_splice_request_id(c, rp);
	if (reset_after < 0)
		reset_after = wait_s;
	for (i = 0; i < c->nr_families; i++)
		family(m, &c->families[i], rq, cc, reset_after, rp);
	if (cc && c->retry_hint_header)
		reply_header(rp, c->retry_hint_header, cc->retryable ? "true" : "false");
	/* beside delay-seconds only: with an HTTP-date, a client that reads the
	 * ms header first would never be asked to parse the date */
	if (c->retry_after_ms_header && wait_s >= 0 && wait_s <= 100000000LL &&
	    (ra = reply_value(rp, "Retry-After")) && ra[0] >= '0' && ra[0] <= '9') {
		const char *v = store(rp, "%lld", wait_s * 1000);

		if (v)
			reply_header(rp, c->retry_after_ms_header, v);
	}
}

const char *reply_wait(const struct contract *c, const struct reply *rp, char *buf, size_t size)
{
	struct header h[REPLY_MAX_HEADERS];
	struct response r = { rp->status, h, rp->nr, NULL, 0, 0, NULL, NULL };
	const char *name;
	double seconds;
	unsigned i;

	/* the common case on the hot path: no rule of its own, no wait sent */
	if (!c->nr_wait && !reply_value(rp, "Retry-After") &&
	    !(c->retry_after_ms_header && reply_value(rp, c->retry_after_ms_header)))
		return NULL;
	for (i = 0; i < rp->nr; i++) {
		h[i].name = rp->names[i];
		h[i].value = rp->values[i];
	}
	if (contract_wait(c, &r, (double)time(NULL), &seconds, &name) != 1)
		return NULL;
	snprintf(buf, size, "%s: %.200s", name, reply_value(rp, name));
	return buf;
}
