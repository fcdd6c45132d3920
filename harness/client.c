/*
 * The client suite: scenarios derived from the contract, each run against
 * an isolated in-process mock, and the verdicts drawn from its journal.
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "../model/match.h"
#include "../model/retry_after.h"
#include "../model/utf8.h"
#include "proc.h"
#include "../mock/mock.h"

#define PROBE_PATH "/v1/errata-probe"
#define PROBE_BODY "{\"prompt\":\"errata probe\"}"
#define RETRY_AFTER_S 1
#define RETRY_AFTER_DATE_S 3
#define RESET_AFTER_S 3          /* a vendor family's reset, seconds ahead */
#define RETRY_AFTER_MS_TEXT "2500"

void client_suite_init(struct client_suite *s)
{
	memset(s, 0, sizeof(*s));
}

void client_suite_release(struct client_suite *s)
{
	size_t i;

	for (i = 0; i < s->nr; i++) {
		free(s->v[i].name);
		free(s->v[i].source);
		json_decref(s->v[i].steps);
	}
	free(s->v);
	client_suite_init(s);
}

static struct client_scenario *add(struct client_suite *s, enum client_expect e,
				   const struct contract_code *code, json_t *steps, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static struct client_scenario *add(struct client_suite *s, enum client_expect e,
				   const struct contract_code *code, json_t *steps, const char *fmt, ...)
{
	char name[200];
	va_list ap;

	if (s->nr == s->alloc) {
		size_t alloc = s->alloc ? 2 * s->alloc : 32;
		struct client_scenario *v = realloc(s->v, alloc * sizeof(*v));

		if (!v) {
			json_decref(steps);
			return NULL;
		}
		s->v = v;
		s->alloc = alloc;
	}
	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	memset(&s->v[s->nr], 0, sizeof(s->v[0]));
	s->v[s->nr].name = strdup(name);
	s->v[s->nr].source = strdup("standard suite");
	s->v[s->nr].expect = e;
	s->v[s->nr].code = code;
	s->v[s->nr].steps = steps;
	return &s->v[s->nr++];
}

/* The first retryable code with this role (-1: any), or NULL. */
static const struct contract_code *first_retryable(const struct contract *c, int role)
{
	size_t i;

	for (i = 0; i < c->nr_codes; i++)
		if (c->codes[i].retryable && (role < 0 || c->codes[i].role == role))
			return &c->codes[i];
	return NULL;
}

/*
 * Format 2's scenarios: a rate limit told only by a header family's reset
 * (a wait rule beyond Retry-After), a wait told only by retry-after-ms,
 * and a retryable error whose retry hint says false.
 */
static void vendor_scenarios(struct client_suite *s, const struct contract *c)
{
	const struct contract_code *rl = first_retryable(c, ROLE_RATE_LIMITED), *any = first_retryable(c, -1);
	size_t i;

	for (i = 0; rl && i < c->nr_wait; i++) {
		const struct wait_rule *w = &c->wait[i];

		if (!w->header || !strcasecmp(w->header, "Retry-After") ||
		    (w->form != WAIT_EPOCH && w->form != WAIT_RFC3339))
			continue;
		add(s, EXPECT_RETRY, rl, json_pack("[{ss sn si} {si}]", "error", rl->code, "retry_after",
						   "reset_after", RESET_AFTER_S, "status", 200),
		    "retry %s (%s)", rl->code, w->header);
		break;
	}
	if (c->retry_after_ms_header && any)
		add(s, EXPECT_RETRY, any, json_pack("[{ss sn s{ss}} {si}]", "error", any->code, "retry_after",
						    "headers", c->retry_after_ms_header, RETRY_AFTER_MS_TEXT,
						    "status", 200),
		    "retry %s (%s)", any->code, c->retry_after_ms_header);
	if (c->retry_hint_header && any) {
		struct client_scenario *h = add(s, EXPECT_NO_RETRY, any,
			json_pack("[{ss s{ss}} {si}]", "error", any->code, "headers", c->retry_hint_header,
				  "false", "status", 200),
			"no retry %s (%s: false)", any->code, c->retry_hint_header);

		if (h)
			h->hint = c->retry_hint_header;
	}
}

/* The backoff scenario's code: one that carries no Retry-After (the client
 * must pick its own delays), a 5xx before a rate limit (whose vendor headers
 * may tell a wait), the first in document order among equals. */
static int backoff_rank(const struct contract_code *cc)
{
	return (!cc->retry_after) * 2 + (cc->status >= 500);
}

int client_suite_standard(struct client_suite *s, const struct contract *c)
{
	static const char *const faults[] = {
		"CONNECTION_RESET_BY_PEER", "EMPTY_RESPONSE", "TRUNCATED_BODY", "GATEWAY_HTML"
	};
	const struct contract_code *backoff = NULL;
	size_t i;

	for (i = 0; i < c->nr_codes; i++) {
		const struct contract_code *cc = &c->codes[i];

		if (!cc->retryable)
			continue;
		add(s, EXPECT_RETRY, cc, json_pack("[{ss si} {si}]", "error", cc->code, "retry_after",
						   cc->retry_after ? RETRY_AFTER_S : 0, "status", 200),
		    "retry %s", cc->code);
		if (!cc->retry_after) /* served as the contract says: no Retry-After */
			json_object_set_new(json_array_get(s->v[s->nr - 1].steps, 0), "retry_after", json_null());
		if (c->nr_families) /* a vendor family's reset no later than the Retry-After */
			json_object_set_new(json_array_get(s->v[s->nr - 1].steps, 0), "reset_after",
					    json_integer(RETRY_AFTER_S));
		if (cc->retry_after) {
			struct client_scenario *d = add(s, EXPECT_RETRY, cc,
				json_pack("[{ss s{si}} {si}]", "error", cc->code, "retry_after", "date",
					  RETRY_AFTER_DATE_S, "status", 200),
				"retry %s (HTTP-date)", cc->code);

			if (d)
				d->date_form = 1;
			if (d && c->nr_families)
				json_object_set_new(json_array_get(d->steps, 0), "reset_after",
						    json_integer(RETRY_AFTER_DATE_S));
		}
		if (!backoff || backoff_rank(cc) > backoff_rank(backoff))
			backoff = cc;
	}
	for (i = 0; i < c->nr_codes; i++)
		if (!c->codes[i].retryable)
			add(s, EXPECT_NO_RETRY, &c->codes[i],
			    json_pack("[{ss} {si}]", "error", c->codes[i].code, "status", 200),
			    "no retry %s", c->codes[i].code);
	vendor_scenarios(s, c);
	if (backoff)
		add(s, EXPECT_BACKOFF, backoff,
		    json_pack("[{ss sn si}]", "error", backoff->code, "retry_after", "repeat", 1000000),
		    "backoff %s without Retry-After", backoff->code);
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		add(s, EXPECT_FAULT, NULL, json_pack("[{ss si}]", "fault", faults[i], "repeat", 1000000),
		    "fault %s", faults[i]);
	return 0;
}

static const struct jkey scenario_file_keys[] = {
	{ "name", JREQUIRED }, { "expect", JREQUIRED }, { "code", JOPTIONAL },
	{ "steps", JREQUIRED }, { NULL, 0 }
};

int client_suite_load(struct client_suite *s, const char *file, const struct contract *c,
		      struct load_error *err)
{
	static const char *const kinds[] = { "retry", "no_retry", "backoff", "fault" };
	struct jload ld;
	FILE *f = fopen(file, "rb");
	char *text = malloc(1 << 20);
	size_t len = f && text ? fread(text, 1, (1 << 20) - 1, f) : 0, i;
	json_t *root = NULL, *steps;
	const char *name, *expect, *code;
	const struct contract_code *cc = NULL;
	struct client_scenario *sc;
	int rc = -1, k = -1;

	if (f)
		fclose(f);
	if (!f || !text) {
		memset(err, 0, sizeof(*err));
		snprintf(err->source, sizeof(err->source), "%s", file);
		snprintf(err->text, sizeof(err->text), "cannot read scenario file");
		goto out;
	}
	root = jload_parse(&ld, text, len, file, err);
	if (!root)
		goto out;
	if (!json_is_object(root)) {
		jload_fail(&ld, 0, "a scenario file must be an object");
		goto out;
	}
	if (jload_keys(&ld, root, "a client scenario", scenario_file_keys))
		goto out;
	name = jload_string(&ld, root, "name", 0);
	expect = jload_string(&ld, root, "expect", 0);
	code = jload_string(&ld, root, "code", 0);
	if (ld.failed)
		goto out;
	for (i = 0; i < 4; i++)
		if (!strcmp(expect, kinds[i]))
			k = (int)i;
	if (k < 0) {
		jpath_key(&ld.path, "expect");
		jload_fail(&ld, 0, "expect must be retry, no_retry, backoff or fault, not '%s'", expect);
		goto out;
	}
	if (code && !(cc = contract_find(c, code))) {
		jpath_key(&ld.path, "code");
		jload_fail(&ld, 0, "'%s' is not a code of %s", code, c->id);
		goto out;
	}
	if ((k == EXPECT_RETRY || k == EXPECT_NO_RETRY) && !cc) {
		jload_fail(&ld, 0, "a %s scenario names the code it serves (\"code\")", expect);
		goto out;
	}
	steps = json_object_get(root, "steps");
	if (!json_is_array(steps) || !json_array_size(steps)) {
		jpath_key(&ld.path, "steps");
		jload_fail(&ld, 0, "steps must be a non-empty array of mock steps (see errata serve's scenarios)");
		goto out;
	}
	sc = add(s, (enum client_expect)k, cc, json_incref(steps), "%s", name);
	if (sc) {
		free(sc->source);
		sc->source = strdup(file);
	}
	rc = 0;
out:
	json_decref(root);
	free(text);
	return rc;
}

size_t client_suite_filter(struct client_suite *s, char *const *names, size_t nr_names)
{
	size_t i, j, kept = 0;

	for (i = 0; i < s->nr; i++) {
		int keep = 0;

		for (j = 0; j < nr_names && !keep; j++) {
			size_t n = strlen(names[j]);

			keep = !strcmp(s->v[i].name, names[j]) ||
			       (!strncmp(s->v[i].name, names[j], n) && s->v[i].name[n] == ' ');
		}
		if (keep) {
			s->v[kept++] = s->v[i];
		} else {
			free(s->v[i].name);
			free(s->v[i].source);
			json_decref(s->v[i].steps);
		}
	}
	s->nr = kept;
	return kept;
}

/* --- judging --- */

/* Bytes of the output's head and of its tail kept as evidence. */
#define OUTPUT_EVIDENCE 2048

struct attempt {
	double t;              /* seconds since the first attempt (server clock) */
	double wall;           /* epoch seconds, ms precision */
	const char *key, *body_hash, *fault;
	const char *retry_after; /* the Retry-After the mock served, or NULL */
	const char *wait;        /* "header: value" of the wait rule the mock's reply applied */
	int key_escaped;       /* the journal wrote the key's bytes escaped */
	int status;
};

static double iso_to_epoch(const char *s)
{
	struct tm tm = { 0 };
	int ms = 0;

	if (sscanf(s, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec, &ms) != 7)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (double)timegm(&tm) + ms / 1000.0;
}

/*
 * An attempt as evidence. With the Retry-After served, "wait_s" is how long
 * after this attempt the client was asked to wait: the delay-seconds, or
 * the HTTP-date less the attempt's wall time.
 */
static json_t *attempt_json(const struct attempt *a, double t)
{
	json_t *o = json_pack("{sf si ss* ss* ss* ss*}", "t_s", t, "status", a->status,
			      "idempotency_key", a->key, "fault", a->fault, "body_hash", a->body_hash,
			      "retry_after", a->retry_after);
	struct retry_after ra;

	if (o && a->wait)
		json_object_set_new(o, "wait", json_string(a->wait));
	if (o && a->retry_after && !retry_after_parse(a->retry_after, (time_t)a->wall, &ra, NULL))
		json_object_set_new(o, "wait_s", json_real(ra.is_date ? (double)ra.date - a->wall :
							  (double)ra.seconds));
	return o;
}

/* A verdict, its message redacted with `red` (in scope wherever it is used). */
#define verdict(cr, id, o, ...) case_result_add(cr, id, o, red, __VA_ARGS__)

/* Is `what` in the head or the tail of the client's output? */
static int in_output(const struct proc_result *p, const char *what)
{
	size_t n = strlen(what);

	return (p->output && memmem(p->output, p->output_len, what, n)) ||
	       (p->tail && memmem(p->tail, p->tail_len, what, n));
}

/* The error as the body names it: its code (a string or an integer), its
 * type, its second name; the message when the body carries no code. */
static int code_in_output(const struct proc_result *p, const struct contract_code *cc)
{
	char num[32];

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

	if (!colon || (size_t)(colon - a0->wait) >= size)
		return -1;
	memcpy(name, a0->wait, (size_t)(colon - a0->wait));
	name[colon - a0->wait] = '\0';
	if (wait_value_parse(wait_form_of(c, name), colon + 2, a0->wall, &x))
		return -1;
	*deadline = a0->wall + x;
	return 0;
}

static void judge_waited(const struct contract *c, struct case_result *cr, const struct attempt *a,
			 const struct redactor *red)
{
	char name[128];
	double deadline;

	if (!a[0].wait && !a[0].retry_after) {
		verdict(cr, "retry.waited", OUT_SKIP, "the error carried no wait (no Retry-After or wait header)");
		return;
	}
	if (wait_deadline(c, &a[0], &deadline, name, sizeof(name))) {
		verdict(cr, "retry.waited", OUT_ERROR, "the mock journaled no wait it could read back ('%s')",
			a[0].wait ? a[0].wait : "none");
		return;
	}
	verdict(cr, "retry.waited", a[1].wall >= deadline - 0.02 ? OUT_PASS : OUT_FAIL,
		"%s (%s) asked for %.3f s after the first response; the retry came after %.3f s",
		name, a[0].wait + strlen(name) + 2, deadline - a[0].wall, a[1].wall - a[0].wall);
}

/* Retries of a POST without a key: allowed or not by the contract's
 * keyless_post rules, for `status` (0: a connection fault after sending). */
static void judge_key(const struct contract *c, struct case_result *cr, const char *id,
		      const struct attempt *a, int same_key, int status, const struct redactor *red)
{
	if (a[0].key) {
		verdict(cr, id, same_key ? OUT_PASS : OUT_FAIL,
			same_key ? "every attempt carried the Idempotency-Key '%s'" :
			"the retried POST carried Idempotency-Keys '%s' then '%s'",
			a[0].key, a[1].key ? a[1].key : "(none)");
	} else if (contract_keyless_retry_ok(c, status)) {
		verdict(cr, id, OUT_PASS, "the POST was retried without a key, which the contract allows %s%.0d",
			status ? "after a " : "after a reset once the request was sent", status);
	} else {
		verdict(cr, id, OUT_FAIL, "the POST was retried without a key; the contract forbids a keyless retry %s%.0d",
			status ? "after a " : "after a reset once the request was sent", status);
	}
}

static void judge(const struct contract *c, struct case_result *cr, const struct client_scenario *sc,
		  const struct proc_result *p, const struct attempt *a, size_t n, double timeout_s,
		  const struct redactor *red)
{
	int crashed = p->signaled || p->timed_out;
	size_t i;
	int same_key = 1, same_body = 1;

	if (!n) {
		/* a check that saw no attempt cannot pass: nothing was tested */
		verdict(cr, "client.run", OUT_ERROR,
			"the client made no request to the mock (it %s); no check can be judged",
			p->timed_out ? "was still running at the timeout" : p->signaled ? "died of a signal" :
			p->exit_code ? "exited non-zero" : "exited 0");
		return;
	}
	if (crashed)
		verdict(cr, "client.no-crash", OUT_FAIL, "the client %s",
			p->timed_out ? "was still running at the timeout" : "died of a signal");
	else
		verdict(cr, "client.no-crash", OUT_PASS, "the client exited with %d", p->exit_code);
	for (i = 1; i < n; i++) {
		same_key &= a[i].key && a[0].key && !strcmp(a[i].key, a[0].key) &&
			    a[i].key_escaped == a[0].key_escaped;
		same_body &= !strcmp(a[i].body_hash, a[0].body_hash);
	}
	switch (sc->expect) {
	case EXPECT_RETRY: {
		/* a POST sent without a key that the contract forbids retrying
		 * without one: not retrying it is right */
		int keyless_stop = !a[0].key && sc->code && !contract_keyless_retry_ok(c, sc->code->status);

		if (n < 2 && keyless_stop)
			verdict(cr, "retry.attempted", OUT_PASS,
				"1 attempt: the POST carried no key, and the contract forbids retrying it without one after a %d",
				sc->code->status);
		else
			verdict(cr, "retry.attempted", n >= 2 ? OUT_PASS : OUT_FAIL,
				"%zu attempt%s for a retryable %s", n, n == 1 ? "" : "s", sc->code ? sc->code->code : "error");
		if (n < 2)
			verdict(cr, "retry.waited", OUT_SKIP, "there was no retry");
		else
			judge_waited(c, cr, a, red);
		if (n < 2) {
			verdict(cr, "retry.same-key", OUT_SKIP, "there was no retry");
			verdict(cr, "retry.same-body", OUT_SKIP, "there was no retry");
		} else {
			judge_key(c, cr, "retry.same-key", a, same_key, sc->code ? sc->code->status : 500, red);
			verdict(cr, "retry.same-body", same_body ? OUT_PASS : OUT_FAIL,
				same_body ? "every attempt sent the same body" : "the retry sent a different body");
		}
		if (n < 2 && keyless_stop)
			verdict(cr, "client.exit", p->exited && p->exit_code != 0 ? OUT_PASS : OUT_FAIL,
				"having not retried, the client %s",
				p->exited ? (p->exit_code ? "exited non-zero" : "exited 0, reporting success") : "did not exit");
		else
			verdict(cr, "client.exit", !crashed && p->exited && p->exit_code == 0 ? OUT_PASS : OUT_FAIL,
				"after a retryable error and then success the client %s",
				p->exited ? (p->exit_code ? "exited non-zero" : "exited 0") : "did not exit");
		break;
	}
	case EXPECT_NO_RETRY:
		if (sc->hint)
			verdict(cr, "no-retry.one-attempt", n == 1 ? OUT_PASS : OUT_FAIL,
				"%zu attempt%s for %s sent with %s: false", n, n == 1 ? "" : "s", sc->code->code, sc->hint);
		else
			verdict(cr, "no-retry.one-attempt", n == 1 ? OUT_PASS : OUT_FAIL,
				"%zu attempt%s for %s, documented as not retryable", n, n == 1 ? "" : "s", sc->code->code);
		verdict(cr, "client.exit", p->exited && p->exit_code != 0 ? OUT_PASS : OUT_FAIL,
			"the client %s", p->exited ? (p->exit_code ? "exited non-zero" : "exited 0, reporting success") :
			"did not exit");
		if (sc->code->status_only)
			verdict(cr, "no-retry.code-shown", OUT_SKIP, "the document defines no code for %d, so none is served or required",
				sc->code->status);
		else if (!c->has_code) /* the body carries no code: its message tells the error */
			verdict(cr, "no-retry.code-shown", in_output(p, sc->code->message) ? OUT_PASS : OUT_FAIL,
				"the message of %s %s in the client's output", sc->code->code,
				in_output(p, sc->code->message) ? "appears" : "does not appear");
		else
			verdict(cr, "no-retry.code-shown", code_in_output(p, sc->code) ? OUT_PASS : OUT_FAIL,
				"%s %s in the client's output", sc->code->code,
				code_in_output(p, sc->code) ? "appears" : "does not appear");
		break;
	case EXPECT_BACKOFF: {
		int grows = n >= 3;
		double first = n >= 2 ? a[1].t : 0, last = n >= 2 ? a[n - 1].t - a[n - 2].t : 0;

		if (n < 2) {
			verdict(cr, "backoff.first-delay", OUT_SKIP, "there was no retry");
			verdict(cr, "backoff.grows", OUT_SKIP, "there was no retry");
		} else {
			verdict(cr, "backoff.first-delay", first >= 0.05 ? OUT_PASS : OUT_FAIL,
				"the first retry came %.3f s after the first attempt", first);
			if (n < 3)
				verdict(cr, "backoff.grows", OUT_SKIP, "only one retry: no delays to compare");
			else
				/* growth beyond noise: a quarter as long again, and 50 ms
				 * more. A doubling schedule with 25% jitter (the openai and
				 * anthropic SDKs) can grow by just 1.5x, and the timing of
				 * a loaded machine takes some of that; a fixed delay grows
				 * by nothing */
				verdict(cr, "backoff.grows", grows && last >= first * 1.25 && last - first >= 0.05 ?
					OUT_PASS : OUT_FAIL,
					"the delays went from %.3f s to %.3f s over %zu attempts", first, last, n);
		}
		verdict(cr, "backoff.bounded", p->exited && p->exit_code != 0 && n <= 100 ? OUT_PASS : OUT_FAIL,
			"%zu attempts; the client %s within %.0f s", n,
			p->timed_out ? "was still retrying" : p->exited ? (p->exit_code ? "gave up" : "reported success") :
			"died", timeout_s);
		break;
	}
	case EXPECT_FAULT:
		verdict(cr, "fault.not-success", p->exited && p->exit_code != 0 ? OUT_PASS : OUT_FAIL,
			"after %zu attempt%s that all failed the client %s", n, n == 1 ? "" : "s",
			p->exited ? (p->exit_code ? "exited non-zero" : "exited 0, reporting success") : "did not exit");
		if (n < 2)
			verdict(cr, "fault.post-retry-key", OUT_SKIP, "the POST was not retried");
		else /* a gateway page is a 502; the other faults come after the request was sent */
			judge_key(c, cr, "fault.post-retry-key", a, same_key,
				  a[0].fault && !strcmp(a[0].fault, "GATEWAY_HTML") ? 502 : 0, red);
		break;
	}
}

/* --- running --- */

struct client_job {
	struct check_run *run;
	const struct client_config *cfg;
	const struct client_suite *suite;
	size_t next, done;
	pthread_mutex_t lock;
	struct timespec t0;
};

static void run_one(const struct client_config *cfg, const struct client_scenario *sc, struct case_result *cr)
{
	struct contract *contracts[1] = { cfg->contract };
	struct mock_config mc = { .contracts = contracts, .nr_contracts = 1, .host = "127.0.0.1",
				  .journal_size = 100000, .threads = 1 };
	struct load_error err;
	struct proc_result p = { 0 };
	struct attempt a[200];
	char why[300], *def_text, env_url[300], env_contract[200], env_file[4200], env_scenario[300],
	     env_method[32], env_path[200], env_body[300], *env[8];
	json_t *def, *journal, *attempts, *e;
	struct mock *m;
	size_t n = 0, i;
	int capped = 0;
	const struct redactor *red = cfg->redactor;

	m = mock_start(&mc, why, sizeof(why));
	if (!m) {
		verdict(cr, "client.run", OUT_ERROR, "cannot start the mock: %s", why);
		return;
	}
	def = json_pack("{ss ss s{} sO}", "id", "s", "contract", cfg->contract->id, "match", "steps", sc->steps);
	def_text = json_dumps(def, JSON_COMPACT);
	json_decref(def);
	if (!def_text || mock_load_scenarios(m, def_text, strlen(def_text), sc->name, &err)) {
		load_error_format(&err, why, sizeof(why));
		verdict(cr, "client.run", OUT_ERROR, "the scenario does not load: %s", why);
		free(def_text);
		mock_stop(m, 0);
		return;
	}
	free(def_text);
	snprintf(env_url, sizeof(env_url), "ERRATA_BASE_URL=http://127.0.0.1:%u/%s", mock_port(m), cfg->contract->id);
	snprintf(env_contract, sizeof(env_contract), "ERRATA_CONTRACT=%s", cfg->contract->id);
	snprintf(env_file, sizeof(env_file), "ERRATA_CONTRACT_FILE=%s", cfg->contract->path);
	snprintf(env_scenario, sizeof(env_scenario), "ERRATA_SCENARIO=%s", sc->name);
	snprintf(env_method, sizeof(env_method), "ERRATA_METHOD=POST");
	snprintf(env_path, sizeof(env_path), "ERRATA_PATH=%s", PROBE_PATH);
	snprintf(env_body, sizeof(env_body), "ERRATA_BODY=%s", PROBE_BODY);
	env[0] = env_url; env[1] = env_contract; env[2] = env_file; env[3] = env_scenario;
	env[4] = env_method; env[5] = env_path; env[6] = env_body; env[7] = NULL;
	proc_run(cfg->command, env, cfg->timeout_s, &p);
	journal = mock_journal(m, "s");
	attempts = json_array();
	json_array_foreach(json_object_get(journal, "entries"), i, e) {
		double t = (double)json_integer_value(json_object_get(e, "t_us")) / 1e6;

		if (n == sizeof(a) / sizeof(a[0])) {
			capped = 1;
			break;
		}
		a[n].wall = iso_to_epoch(json_string_value(json_object_get(e, "time")));
		a[n].t = n ? t - a[0].t : t;
		a[n].key = json_string_value(json_object_get(e, "idempotency_key"));
		a[n].retry_after = json_string_value(json_object_get(e, "retry_after"));
		a[n].wait = json_string_value(json_object_get(e, "wait"));
		a[n].key_escaped = 0;
		{
			json_t *esc = json_object_get(e, "escaped"), *member;
			size_t k;

			json_array_foreach(esc, k, member)
				a[n].key_escaped |= !strcmp(json_string_value(member), "idempotency_key");
		}
		a[n].body_hash = json_string_value(json_object_get(e, "body_hash"));
		a[n].fault = json_string_value(json_object_get(e, "fault"));
		a[n].status = (int)json_integer_value(json_object_get(e, "status"));
		json_array_append_new(attempts, attempt_json(&a[n], n ? a[n].t : 0.0));
		n++;
	}
	if (n)
		a[0].t = 0;
	if (p.spawn_failed)
		verdict(cr, "client.run", OUT_ERROR, "%s", p.output ? p.output : "cannot run the client");
	else
		judge(cfg->contract, cr, sc, &p, a, n, cfg->timeout_s, red);
	{
		/* each part redacted whole, then cut (its margin holds any secret
		 * that straddles the cut), then made valid UTF-8 */
		char *head = redact_evidence(red, p.output ? p.output : "", p.output_len, OUTPUT_EVIDENCE);
		char *tail = p.tail ? redact_evidence_tail(red, p.tail, p.tail_len, OUTPUT_EVIDENCE) : NULL;

		cr->evidence = json_pack("{ss so s{sb si sb si sb sf sI sb} ss ss*}", "scenario", sc->name,
					 "attempts", attempts, "client", "exited", p.exited, "exit_code", p.exit_code,
					 "signaled", p.signaled, "signal", p.signal, "timed_out", p.timed_out,
					 "seconds", p.seconds, "output_bytes", (json_int_t)p.total,
					 "output_cut", p.truncated || p.output_len > OUTPUT_EVIDENCE ||
					 p.tail_len > OUTPUT_EVIDENCE, "output", head ? head : "",
					 "output_tail", tail);
		if (capped)
			json_object_set_new(cr->evidence, "attempts_cut",
					    json_pack("{si ss}", "kept", (int)n, "why",
						      "the first 200 attempts are judged; there were more"));
		free(head);
		free(tail);
	}
	json_decref(journal);
	proc_result_release(&p);
	mock_stop(m, 0);
}

static void *client_worker(void *arg)
{
	struct client_job *job = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&job->lock);
		i = job->next++;
		pthread_mutex_unlock(&job->lock);
		if (i >= job->run->nr)
			break;
		run_one(job->cfg, &job->suite->v[i], &job->run->results[i]);
		if (job->cfg->progress) { /* a terminal only: "12/52 scenarios, 8.3 s, last: ..." */
			struct timespec now;
			const char *last = job->suite->v[i].name;

			clock_gettime(CLOCK_MONOTONIC, &now);
			pthread_mutex_lock(&job->lock);
			fprintf(stderr, "\r\033[Kerrata client: %zu/%zu scenarios, %.1f s, last: %.*s", ++job->done,
				job->run->nr, (double)(now.tv_sec - job->t0.tv_sec) + (now.tv_nsec - job->t0.tv_nsec) / 1e9,
				(int)utf8_cut(last, strlen(last), 60), last);
			pthread_mutex_unlock(&job->lock);
		}
	}
	return NULL;
}

int client_run(struct check_run *run, const struct client_config *cfg,
	       const struct client_suite *suite, struct fixtures *cases)
{
	struct client_job job = { run, cfg, suite, 0, 0, PTHREAD_MUTEX_INITIALIZER, { 0, 0 } };
	pthread_t threads[64];
	unsigned jobs = cfg->jobs ? cfg->jobs : 1, t, started = 0;
	struct timespec t0, t1;
	size_t i, j;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	job.t0 = t0;
	memset(run, 0, sizeof(*run));
	pthread_mutex_init(&run->lock, NULL);
	run->cfg.contract = cfg->contract;
	run->cfg.redactor = (struct redactor *)cfg->redactor; /* read only: evidence is made */
	fixtures_init(cases);
	run->results = calloc(suite->nr ? suite->nr : 1, sizeof(*run->results));
	cases->v = calloc(suite->nr ? suite->nr : 1, sizeof(*cases->v));
	if (!run->results || !cases->v)
		return -1;
	cases->nr = cases->alloc = suite->nr;
	for (i = 0; i < suite->nr; i++) {
		cases->v[i].name = strdup(suite->v[i].name);
		cases->v[i].source = strdup(suite->v[i].source);
		cases->v[i].role = -1;
		run->results[i].fc = &cases->v[i];
	}
	run->nr = suite->nr;
	for (t = 0; t < jobs && t < 64 && t < suite->nr; t++)
		if (!pthread_create(&threads[t], NULL, client_worker, &job))
			started++;
	if (!started)
		client_worker(&job);
	for (t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	if (cfg->progress)
		fputs("\r\033[K", stderr);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	run->seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	for (i = 0; i < run->nr; i++)
		for (j = 0; j < run->results[i].nr; j++)
			switch (run->results[i].checks[j].outcome) {
			case OUT_PASS: run->passed++; break;
			case OUT_FAIL: run->failed++; break;
			case OUT_ERROR: run->errors++; break;
			case OUT_SKIP: run->skipped++; break;
			case OUT_WARN: run->warnings++; run->passed++; break;
			}
	pthread_mutex_destroy(&job.lock);
	return 0;
}
