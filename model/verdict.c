/*
 * The client verdict engine: attempts read back from the mock's journal,
 * then each check of the scenario's kind judged from them and the client's
 * end. A check that saw no attempt never passes.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "verdict.h"
#include "exchange.h"
#include "redact.h"
#include "utf8.h"
#include "match.h"
#include "retry_after.h"

#define MESSAGE_MAX 1024   /* a check's message, after redaction */

const char *outcome_name(enum outcome o)
{
	static const char *const n[] = { "pass", "fail", "error", "skip", "warn" };

	return (unsigned)o < 5 ? n[o] : "?";
}

static void add(struct verdicts *out, const struct redactor *red, const char *id, enum outcome o,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void add(struct verdicts *out, const struct redactor *red, const char *id, enum outcome o,
		const char *fmt, ...)
{
	char *buf = NULL;
	va_list ap;
	int n;

	if (out->nr == out->alloc) {
		size_t alloc = out->alloc ? 2 * out->alloc : 8;
		struct client_check *v = realloc(out->v, alloc * sizeof(*v));

		if (!v)
			return;
		out->v = v;
		out->alloc = alloc;
	}
	va_start(ap, fmt);
	n = vasprintf(&buf, fmt, ap);
	va_end(ap);
	out->v[out->nr].id = id;
	out->v[out->nr].outcome = o;
	/* formatted whole, then redacted, then cut */
	out->v[out->nr].message = n >= 0 ? redact_evidence(red, buf, (size_t)n, MESSAGE_MAX) : NULL;
	out->nr++;
	free(n >= 0 ? buf : NULL);
}

#define verdict(id, o, ...) add(out, red, id, o, __VA_ARGS__)

void verdicts_release(struct verdicts *v)
{
	size_t i;

	for (i = 0; i < v->nr; i++)
		free(v->v[i].message);
	free(v->v);
	json_decref(v->attempts);
	memset(v, 0, sizeof(*v));
}

json_t *verdicts_json(const struct verdicts *v)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < v->nr; i++)
		json_array_append_new(a, json_pack("{ss ss ss}", "id", v->v[i].id, "outcome",
						   outcome_name(v->v[i].outcome), "message",
						   v->v[i].message ? v->v[i].message : ""));
	return a;
}

struct attempt {
	double t;              /* seconds since the first attempt (server clock) */
	double wall;           /* epoch seconds, ms precision */
	const char *key, *fault, *method;
	const char *retry_after; /* the Retry-After the mock served, or NULL */
	const char *wait;        /* "header: value" of the wait rule the mock's reply applied */
	uint64_t body_hash;
	int status;
};

static void attempt_read(struct attempt *a, const struct exchange *x)
{
	memset(a, 0, sizeof(*a));
	a->wall = x->wall;
	a->t = (double)x->t_us / 1e6;
	a->key = x->idempotency_key;
	a->retry_after = x->retry_after;
	a->wait = x->wait;
	a->body_hash = x->body_hash;
	a->fault = x->fault;
	a->method = x->method;
	a->status = x->status;
}

/* A string for the evidence: valid UTF-8, whatever the client sent. */
static json_t *text(const char *s)
{
	char *u = s ? utf8_sanitize(s, NULL) : NULL;
	json_t *v = u ? json_string(u) : json_null();

	free(u);
	return v;
}

static json_t *headers_json(const struct exchange *x, const struct redactor *red)
{
	json_t *out = json_array();
	size_t i;

	for (i = 0; i + 1 < 2 * x->nr_headers; i += 2) {
		char *safe = redact_evidence(red, x->headers[i + 1], strlen(x->headers[i + 1]), 1024);

		if (safe)
			json_array_append_new(out, json_pack("[oo]", text(x->headers[i]), text(safe)));
		free(safe);
	}
	return out;
}

static json_t *attempt_json(const struct attempt *a, double t, const struct exchange *x, double prev_t,
			    const struct redactor *red)
{
	char hash[32];
	json_t *o = json_pack("{sf si so so so so}", "t_s", t, "status", a->status, "method", text(a->method),
			      "path", text(x->path), "idempotency_key", text(a->key), "fault", text(a->fault));
	struct retry_after ra;

	if (!o)
		return NULL;
	snprintf(hash, sizeof(hash), "fnv1a64:%016llx", (unsigned long long)a->body_hash);
	json_object_set_new(o, "body_hash", json_string(hash));
	json_object_set_new(o, "retry_after", text(a->retry_after));
	if (prev_t >= 0)
		json_object_set_new(o, "gap_s", json_real(t - prev_t));
	if (a->wait)
		json_object_set_new(o, "wait", text(a->wait));
	if (a->retry_after && !retry_after_parse(a->retry_after, (time_t)a->wall, &ra, NULL))
		json_object_set_new(o, "wait_s", json_real(ra.is_date ? (double)ra.date - a->wall :
							  (double)ra.seconds));
	if (x->nr_headers)
		json_object_set_new(o, "request_headers", headers_json(x, red));
	return o;
}

/* Is `what` in the head or the tail of the client's output? */
static int in_output(const struct client_end *p, const char *what)
{
	size_t n = what ? strlen(what) : 0;

	return n && ((p->output && memmem(p->output, p->output_len, what, n)) ||
		     (p->tail && memmem(p->tail, p->tail_len, what, n)));
}

/* "manifest blob unknown" for MANIFEST_BLOB_UNKNOWN, "denied" for DENIED:
 * how Go registry clients (containers/image, go-containerregistry) print a
 * code. */
static int spoken_in_output(const struct client_end *p, const char *code)
{
	char spoken[128];
	size_t i;

	if (strlen(code) >= sizeof(spoken) || strlen(code) < 4)
		return 0;
	for (i = 0; code[i]; i++)
		spoken[i] = code[i] == '_' ? ' ' : (char)tolower((unsigned char)code[i]);
	spoken[i] = '\0';
	return in_output(p, spoken);
}

/* The error as the body names it: its code (a string or an integer), in
 * the lower-case spoken form too, its type, its second name, its documented
 * message; the message when the body carries no code. */
static int code_in_output(const struct client_end *p, const struct contract_code *cc)
{
	char num[32];
	const char *wire = cc->body_code && json_is_string(cc->body_code) ? json_string_value(cc->body_code) :
			   cc->body_code ? NULL : cc->code;

	if (wire && spoken_in_output(p, wire))
		return 1;
	if (cc->message && strlen(cc->message) >= 8 && in_output(p, cc->message))
		return 1;

	if (cc->body_code && json_is_integer(cc->body_code)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(cc->body_code));
		if (in_output(p, num))
			return 1;
	} else if (cc->body_code && json_is_string(cc->body_code)) {
		if (in_output(p, json_string_value(cc->body_code)))
			return 1;
	} else if (!cc->body_code && in_output(p, cc->code)) {
		return 1;
	}
	if ((cc->type && in_output(p, cc->type)) || (cc->name && in_output(p, cc->name)))
		return 1;
	return cc->body_code && json_is_null(cc->body_code) && !cc->type && in_output(p, cc->message);
}

/* The form of wait header `name`: by the contract's rules, else implicit. */
static int wait_form_of(const struct contract *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nr_wait; i++)
		if (c->wait[i].header && !strcasecmp(c->wait[i].header, name))
			return c->wait[i].form;
	if (c->retry_after_ms_header && !strcasecmp(c->retry_after_ms_header, name))
		return WAIT_MS;
	return WAIT_RETRY_AFTER;
}

/*
 * When the first attempt's reply told the client it may retry, from the
 * wait rule the mock applied and journaled ("header: value"). The value is
 * read against the attempt's own time, so an absolute form (an HTTP-date,
 * epoch seconds, RFC 3339) gives the very instant that was sent.
 */
static int wait_deadline(const struct contract *c, const struct attempt *a0, double *deadline,
			 char *name, size_t size)
{
	const char *colon = a0->wait ? strchr(a0->wait, ':') : NULL;
	double x;

	if (!colon || (size_t)(colon - a0->wait) >= size || colon[1] != ' ')
		return -1;
	memcpy(name, a0->wait, (size_t)(colon - a0->wait));
	name[colon - a0->wait] = '\0';
	if (wait_value_parse(wait_form_of(c, name), colon + 2, a0->wall, &x))
		return -1;
	*deadline = a0->wall + x;
	return 0;
}

struct judging {
	struct verdicts *out;
	const struct contract *c;
	const struct suite_scenario *sc;
	const struct client_end *end;
	const struct attempt *a;
	size_t n;                    /* attempts judged (at most VERDICT_MAX_ATTEMPTS) */
	double timeout_s;
	const struct redactor *red;
	size_t all;                  /* attempts journaled: what messages count */
};

static void judge_waited(const struct judging *j)
{
	struct verdicts *out = j->out;
	const struct redactor *red = j->red;
	const struct attempt *a = j->a;
	char name[128];
	double deadline;

	if (!a[0].wait && !a[0].retry_after) {
		verdict("retry.waited", OUT_SKIP, "the error carried no wait (no Retry-After or wait header)");
		return;
	}
	if (wait_deadline(j->c, &a[0], &deadline, name, sizeof(name))) {
		verdict("retry.waited", OUT_ERROR, "the mock journaled no wait it could read back ('%s')",
			a[0].wait ? a[0].wait : "none");
		return;
	}
	verdict("retry.waited", a[1].wall >= deadline - 0.02 ? OUT_PASS : OUT_FAIL,
		"%s (%s) asked for %.3f s after the first response; the retry came after %.3f s",
		name, a[0].wait + strlen(name) + 2, deadline - a[0].wall, a[1].wall - a[0].wall);
}

/* Retries without a key: of a method that is not POST or PATCH, always
 * fine; of a POST, allowed or not by the contract's keyless_post rules for
 * `status` (0: a connection fault after sending). */
static void judge_key(const struct judging *j, const char *id, int same_key, int status)
{
	struct verdicts *out = j->out;
	const struct redactor *red = j->red;
	const struct attempt *a = j->a;
	const char *m = a[0].method ? a[0].method : "request";
	char situation[64];

	snprintf(situation, sizeof(situation), status ? "after a %d" : "after a reset once the request was sent", status);
	if (a[0].key)
		verdict(id, same_key ? OUT_PASS : OUT_FAIL,
			same_key ? "every attempt carried the Idempotency-Key '%s'" :
			"the retried %s carried Idempotency-Keys '%s' then '%s'",
			same_key ? a[0].key : m, a[0].key, a[1].key ? a[1].key : "(none)");
	else if (!suite_method_unsafe(a[0].method))
		verdict(id, OUT_PASS, "the %s was retried without a key: it is idempotent by its method", m);
	else if (contract_keyless_retry_ok(j->c, status))
		verdict(id, OUT_PASS, "the %s was retried without a key, which the contract allows %s", m, situation);
	else
		verdict(id, OUT_FAIL, "the %s was retried without a key; the contract forbids a keyless retry %s", m, situation);
}

/* How the client ended, in words. */
static const char *ended(const struct client_end *p)
{
	if (p->stopped)
		return "was stopped, still waiting, once enough was seen";
	if (p->timed_out)
		return "was still running at the timeout";
	if (p->signaled)
		return "died of a signal";
	if (!p->exited)
		return "did not exit";
	return p->exit_code ? "exited non-zero (the call failed)" : "exited 0 (the call succeeded)";
}

#define NO_END "the test reported no outcome (POST /__errata/scenarios/ID/outcome), so the client's end is not judged"

/* A check of the client's end: pass when `ok`, skipped when it is unknown. */
#define end_verdict(id, ok, ...) \
	do { \
		if (!j->end->known) \
			verdict(id, OUT_SKIP, NO_END); \
		else \
			verdict(id, (ok) ? OUT_PASS : OUT_FAIL, __VA_ARGS__); \
	} while (0)

static void judge_retry(const struct judging *j, int same_key, int same_body)
{
	struct verdicts *out = j->out;
	const struct redactor *red = j->red;
	const struct client_end *p = j->end;
	const struct attempt *a = j->a;
	const struct contract_code *cc = j->sc->code;
	size_t n = j->n;
	/* a POST sent without a key that the contract forbids retrying without
	 * one: not retrying it is right */
	int keyless_stop = !a[0].key && cc && suite_method_unsafe(a[0].method) &&
			   !contract_keyless_retry_ok(j->c, cc->status);

	if (n < 2 && keyless_stop)
		verdict("retry.attempted", OUT_PASS,
			"1 attempt: the %s carried no key, and the contract forbids retrying it without one after a %d",
			a[0].method, cc->status);
	else
		verdict("retry.attempted", n >= 2 ? OUT_PASS : OUT_FAIL, "%zu attempt%s for a retryable %s", j->all,
			j->all == 1 ? "" : "s", cc ? cc->code : "error");
	if (n < 2) {
		verdict("retry.waited", OUT_SKIP, "there was no retry");
		verdict("retry.same-key", OUT_SKIP, "there was no retry");
		verdict("retry.same-body", OUT_SKIP, "there was no retry");
	} else {
		judge_waited(j);
		judge_key(j, "retry.same-key", same_key, cc ? cc->status : 500);
		verdict("retry.same-body", same_body ? OUT_PASS : OUT_FAIL,
			same_body ? "every attempt sent the same body" : "the retry sent a different body");
	}
	if (n < 2 && keyless_stop)
		end_verdict("client.exit", p->exited && p->exit_code != 0, "having not retried, the client %s", ended(p));
	else
		end_verdict("client.exit", p->exited && !p->signaled && !p->timed_out && p->exit_code == 0,
			    "after a retryable error and then success the client %s", ended(p));
}

static void judge_no_retry(const struct judging *j)
{
	struct verdicts *out = j->out;
	const struct redactor *red = j->red;
	const struct client_end *p = j->end;
	const struct contract_code *cc = j->sc->code;
	size_t n = j->n;

	if (j->sc->hint)
		verdict("no-retry.one-attempt", n == 1 ? OUT_PASS : OUT_FAIL, "%zu attempt%s for %s sent with %s: false",
			j->all, j->all == 1 ? "" : "s", cc->code, j->sc->hint);
	else
		verdict("no-retry.one-attempt", n == 1 ? OUT_PASS : OUT_FAIL,
			"%zu attempt%s for %s, documented as not retryable", j->all, j->all == 1 ? "" : "s", cc->code);
	end_verdict("client.exit", p->exited && p->exit_code != 0, "the client %s", ended(p));
	if (cc->status_only)
		verdict("no-retry.code-shown", OUT_SKIP, "the document defines no code for %d, so none is served or required",
			cc->status);
	else if (!j->c->has_code) /* the body carries no code: its message tells the error */
		end_verdict("no-retry.code-shown", in_output(p, cc->message), "the message of %s %s in the client's output",
			    cc->code, in_output(p, cc->message) ? "appears" : "does not appear");
	else
		end_verdict("no-retry.code-shown", code_in_output(p, cc), "%s %s in the client's output", cc->code,
			    code_in_output(p, cc) ? "appears" : "does not appear");
}

static void judge_backoff(const struct judging *j)
{
	struct verdicts *out = j->out;
	const struct redactor *red = j->red;
	const struct client_end *p = j->end;
	const struct attempt *a = j->a;
	size_t n = j->n;
	double first = n >= 2 ? a[1].t : 0, last = n >= 2 ? a[n - 1].t - a[n - 2].t : 0;

	if (n < 2) {
		verdict("backoff.first-delay", OUT_SKIP, "there was no retry");
		verdict("backoff.grows", OUT_SKIP, "there was no retry");
	} else {
		verdict("backoff.first-delay", first >= 0.05 ? OUT_PASS : OUT_FAIL,
			"the first retry came %.3f s after the first attempt", first);
		if (n < 3)
			verdict("backoff.grows", OUT_SKIP, "only one retry: no delays to compare");
		else
			/* growth beyond noise: a quarter as long again, and 50 ms
			 * more. A doubling schedule with 25% jitter (the openai and
			 * anthropic SDKs) can grow by just 1.5x, and the timing of
			 * a loaded machine takes some of that; a fixed delay grows
			 * by nothing */
			verdict("backoff.grows", last >= first * 1.25 && last - first >= 0.05 ? OUT_PASS : OUT_FAIL,
				"the delays went from %.3f s to %.3f s over %zu attempts", first, last, n);
	}
	if (!p->known)
		verdict("backoff.bounded", n <= 100 ? OUT_SKIP : OUT_FAIL, "%zu attempts; %s", j->all,
			n <= 100 ? NO_END : "more than 100");
	else
		verdict("backoff.bounded", p->exited && p->exit_code != 0 && n <= 100 ? OUT_PASS : OUT_FAIL,
			"%zu attempts; the client %s within %.0f s", j->all,
			p->timed_out ? "was still retrying" : p->exited ? (p->exit_code ? "gave up" : "reported success") :
			"died", j->timeout_s);
}

/* A Retry-After above common caps (60 s): a retry before it is early. A
 * client that gives up, or is still waiting when the scenario ends, did
 * not retry early; whether it must wait is the contract's policy. */
static void judge_long_wait(const struct judging *j)
{
	struct verdicts *out = j->out;
	const struct redactor *red = j->red;
	const struct attempt *a = j->a;
	char name[128];
	double deadline;

	if (wait_deadline(j->c, &a[0], &deadline, name, sizeof(name))) {
		verdict("long-wait.not-early", OUT_ERROR, "the mock journaled no wait it could read back ('%s')",
			a[0].wait ? a[0].wait : "none");
		return;
	}
	if (j->n < 2)
		verdict("long-wait.not-early", OUT_PASS,
			"no retry before the %.0f s that %s asked for: the client %s", deadline - a[0].wall, name,
			!j->end->known ? "made no second request" : j->end->stopped ?
			"was still waiting when it was stopped" : j->end->timed_out ?
			"was still waiting at the timeout" : "gave up");
	else if (a[1].wall >= deadline - 0.02)
		verdict("long-wait.not-early", OUT_PASS, "the retry came after %.3f s, as %s asked",
			a[1].wall - a[0].wall, name);
	else
		verdict("long-wait.not-early", j->c->honour_retry_after ? OUT_FAIL : OUT_PASS,
			"the retry came after %.3f s, though %s asked for %.0f s%s", a[1].wall - a[0].wall, name,
			deadline - a[0].wall, j->c->honour_retry_after ? " (the contract says Retry-After is honoured)" :
			"; the contract does not require honouring it");
}

/* A re-send after a stream failed mid-way: allowed, never required; its
 * key is judged by the contract's rule for a reset once the request was
 * sent (the stream had begun). */
static void judge_resend(const struct judging *j, int same_key)
{
	struct verdicts *out = j->out;
	const struct redactor *red = j->red;

	if (j->n < 2)
		verdict("retry.same-key", OUT_SKIP, "the request was not re-sent after the stream failed");
	else
		judge_key(j, "retry.same-key", same_key, 0);
}

/* The stream family: what the caller of the client saw of a failure that
 * came after the 200. A client that re-sent and then had a clean stream
 * handled it; one that stopped must say so, never report a success. */
static void judge_stream(const struct judging *j, int same_key)
{
	struct verdicts *out = j->out;
	const struct redactor *red = j->red;
	const struct client_end *p = j->end;
	const struct contract_code *cc = j->sc->code;
	int resent = j->n >= 2, failed = p->exited && p->exit_code != 0;

	switch (j->sc->expect) {
	case EXPECT_STREAM_ERROR:
		if (resent)
			end_verdict("stream.error-surfaced", p->exited && !p->exit_code,
				    "re-sent after the error event; then the client %s", ended(p));
		else
			end_verdict("stream.error-surfaced", failed || (cc && code_in_output(p, cc)),
				    "after %d content events and the error event %s the client %s%s",
				    SUITE_STREAM_EVENTS, cc ? cc->code : "?", ended(p),
				    failed ? "" : cc && code_in_output(p, cc) ? ", naming the error" :
				    ", and its output does not name the error: a silently truncated success");
		break;
	case EXPECT_STREAM_RESET:
		end_verdict("stream.reset-surfaced", resent ? p->exited && !p->exit_code : failed,
			    "the stream was reset mid-event after %d events; %sthe client %s%s", SUITE_STREAM_EVENTS,
			    resent ? "it was re-sent, and then " : "", ended(p),
			    !resent && p->exited && !p->exit_code ? ": a cut stream taken as complete" : "");
		break;
	default: /* EXPECT_STREAM_STALL */
		if (!p->known)
			verdict("stream.stall-abandoned", OUT_SKIP, NO_END);
		else if (p->timed_out)
			verdict("stream.stall-abandoned", OUT_FAIL, "the stream stalled after %d events, the connection "
				"open; the client was still waiting %.0f s later: a hang", SUITE_STREAM_EVENTS - 1, j->timeout_s);
		else
			verdict("stream.stall-abandoned", failed || (resent && p->exited) ? OUT_PASS : OUT_FAIL,
				"the stream stalled after %d events; the client %s after %.1f s%s", SUITE_STREAM_EVENTS - 1,
				ended(p), p->seconds, !failed && !resent && p->exited ? ": a stalled stream taken as complete" : "");
		break;
	}
	judge_resend(j, same_key);
}

static void judge(const struct judging *j)
{
	struct verdicts *out = j->out;
	const struct redactor *red = j->red;
	const struct client_end *p = j->end;
	const struct attempt *a = j->a;
	/* a long wait or a stall is watched to its end: still waiting then is
	 * their own check's finding, not a crash */
	int same_key = 1, same_body = 1, crashed = p->signaled || (p->timed_out && j->sc->expect != EXPECT_LONG_WAIT &&
								  j->sc->expect != EXPECT_STREAM_STALL);
	size_t i;

	if (!j->n) {
		/* a check that saw no attempt cannot pass: nothing was tested */
		verdict("client.run", OUT_ERROR, "the client made no request to the mock (%s); no check can be judged",
			p->known ? ended(p) : "none was journaled for this scenario");
		return;
	}
	end_verdict("client.no-crash", !crashed, "the client %s", crashed ? ended(p) : p->exited ?
		    "exited normally" : ended(p));
	for (i = 1; i < j->n; i++) {
		same_key &= a[i].key && a[0].key && !strcmp(a[i].key, a[0].key);
		same_body &= a[i].body_hash == a[0].body_hash;
	}
	switch (j->sc->expect) {
	case EXPECT_RETRY: judge_retry(j, same_key, same_body); break;
	case EXPECT_NO_RETRY: judge_no_retry(j); break;
	case EXPECT_BACKOFF: judge_backoff(j); break;
	case EXPECT_LONG_WAIT: judge_long_wait(j); break;
	case EXPECT_STREAM_ERROR:
	case EXPECT_STREAM_RESET:
	case EXPECT_STREAM_STALL: judge_stream(j, same_key); break;
	case EXPECT_FAULT:
		end_verdict("fault.not-success", p->exited && p->exit_code != 0,
			    "after %zu attempt%s that all failed the client %s", j->all, j->all == 1 ? "" : "s", ended(p));
		if (j->n < 2)
			verdict("fault.post-retry-key", OUT_SKIP, "the request was not retried");
		else /* a gateway page is a 502; the other faults come after the request was sent */
			judge_key(j, "fault.post-retry-key", same_key,
				  a[0].fault && !strcmp(a[0].fault, "GATEWAY_HTML") ? 502 : 0);
		break;
	}
}

int verdict_judge(struct verdicts *out, const struct contract *c, const struct suite_scenario *sc,
		  const struct exchange *x, size_t nr, const struct client_end *end, double timeout_s,
		  const struct redactor *red)
{
	struct attempt *a = calloc(VERDICT_MAX_ATTEMPTS, sizeof(*a));
	struct judging j = { out, c, sc, end, a, 0, timeout_s, red, nr };
	double t0 = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->attempts = json_array();
	if (!a || !out->attempts) {
		free(a);
		return -1;
	}
	for (i = 0; i < nr; i++) {
		if (j.n == VERDICT_MAX_ATTEMPTS) {
			out->attempts_cut = 1;
			break;
		}
		attempt_read(&a[j.n], &x[i]);
		if (!j.n)
			t0 = a[0].t;
		a[j.n].t -= t0;
		json_array_append_new(out->attempts, attempt_json(&a[j.n], a[j.n].t, &x[i], j.n ? a[j.n - 1].t : -1, red));
		j.n++;
	}
	judge(&j);
	free(a);
	return 0;
}
