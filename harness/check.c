/*
 * Running cases: polite to the target (bounded jobs, a client-side rate,
 * Retry-After honoured on unexpected 429 and 503), bounded in time and
 * memory, and redacting everything it keeps as evidence.
 */
#include <ctype.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "http.h"
#include "../model/match.h"
#include "../model/retry_after.h"

#define BACKOFF_TRIES 3
#define BACKOFF_CAP_S 30
#define EXCERPT 512
#define MESSAGE_MAX 1024   /* a check's message, after redaction */
#define REPRO_MAX 16384

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

char *expand_env(const char *s, struct redactor *r, char *why, size_t size)
{
	size_t cap = strlen(s) + 1, len = 0;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	while (*s) {
		const char *end;
		char name[128];
		const char *val;
		size_t n;

		if (s[0] != '$' || s[1] != '{' || !(end = strchr(s, '}'))) {
			out[len++] = *s++;
			continue;
		}
		n = (size_t)(end - s - 2);
		if (n == 0 || n >= sizeof(name)) {
			snprintf(why, size, "'${...}' needs a variable name");
			free(out);
			return NULL;
		}
		memcpy(name, s + 2, n);
		name[n] = '\0';
		val = getenv(name);
		if (!val) {
			snprintf(why, size, "the environment variable '%s' is not set", name);
			free(out);
			return NULL;
		}
		redactor_add_forms(r, val);
		cap += strlen(val);
		{
			char *o = realloc(out, cap);

			if (!o) {
				free(out);
				return NULL;
			}
			out = o;
		}
		memcpy(out + len, val, strlen(val));
		len += strlen(val);
		s = end + 1;
	}
	out[len] = '\0';
	return out;
}

void case_result_add(struct case_result *cr, const char *id, enum outcome o,
		     const struct redactor *red, const char *fmt, ...)
{
	char *buf = NULL;
	va_list ap;
	int n;

	if (cr->nr == cr->alloc) {
		size_t alloc = cr->alloc ? 2 * cr->alloc : 16;
		struct check_result *v = realloc(cr->checks, alloc * sizeof(*v));

		if (!v)
			return;
		cr->checks = v;
		cr->alloc = alloc;
	}
	va_start(ap, fmt);
	n = vasprintf(&buf, fmt, ap);
	va_end(ap);
	cr->checks[cr->nr].id = id;
	cr->checks[cr->nr].outcome = o;
	cr->checks[cr->nr].known = 0;
	/* formatted whole, then redacted, then cut: the one way to evidence */
	cr->checks[cr->nr].message = n >= 0 ? redact_evidence(red, buf, (size_t)n, MESSAGE_MAX) : NULL;
	if (!cr->checks[cr->nr].message)
		cr->checks[cr->nr].message = strdup("(out of memory)");
	free(n >= 0 ? buf : NULL);
	cr->nr++;
}

/* Write s shell-quoted in single quotes. */
static void shell_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++)
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	fputc('\'', f);
}

/* A shell-quoted reproduction command, secrets redacted. It grows as it is
 * written (open_memstream), so no method, URL or header can overflow it. */
static char *repro(const struct check_config *cfg, const char *method, const char *url,
		   char *const *headers, size_t nr, const char *body)
{
	char *out = NULL, *red, *u = redact_url(url);
	size_t len = 0, i;
	FILE *f = open_memstream(&out, &len);

	if (!f) {
		free(u);
		return NULL;
	}
	fputs("curl -X ", f);
	shell_quote(f, method);
	fputc(' ', f);
	shell_quote(f, u ? u : "");
	for (i = 0; i < nr; i++) {
		size_t n = strcspn(headers[i], ":");
		char *name = strndup(headers[i], n);

		const char *value = headers[i][n] ? headers[i] + n + 1 + strspn(headers[i] + n + 1, " ") : "";

		fputs(" -H ", f);
		if (name && *value && redact_is_secret_name(name)) {
			char *line = NULL;

			if (asprintf(&line, "%s: " REDACTED, name) >= 0) {
				shell_quote(f, line);
				free(line);
			}
		} else {
			shell_quote(f, headers[i]);
		}
		free(name);
	}
	if (body) {
		fputs(" --data ", f);
		shell_quote(f, body);
	}
	if (fclose(f)) {
		free(out);
		free(u);
		return NULL;
	}
	red = redact_evidence(cfg->redactor, out, len, REPRO_MAX);
	free(out);
	free(u);
	return red;
}

/* The response as evidence: status, headers (secrets redacted), a body
 * excerpt, each string through redact_evidence(). */
static json_t *response_json(const struct check_config *cfg, const struct http_response *h)
{
	json_t *hdrs = json_object(), *o;
	char *body;
	size_t i;

	for (i = 0; i < h->nr_headers; i++) {
		const char *name = h->headers[i].name, *value = h->headers[i].value;
		char *n = redact_evidence(cfg->redactor, name, strlen(name), 200);
		char *v = redact_is_secret_name(name) ? strdup(REDACTED) :
			  redact_evidence(cfg->redactor, value, strlen(value), 1024);

		if (n && v)
			json_object_set_new(hdrs, n, json_string(v));
		free(n);
		free(v);
	}
	body = redact_evidence(cfg->redactor, h->body ? h->body : "", h->body ? h->body_len : 0, EXCERPT);
	o = json_pack("{si so ss sI sf}", "status", h->status, "headers", hdrs, "body", body ? body : "",
		      "body_bytes", (json_int_t)h->wire_len, "seconds", h->seconds);
	free(body);
	return o;
}

/* Merge the run's headers with the case's: a case's "Name:" (no value) removes one. */
/* Is a header `name` among the "Name: value" lines? (whole name, any case) */
static int has_header(char *const *lines, size_t n, const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i < n; i++)
		if (lines[i] && !strncasecmp(lines[i], name, len) && lines[i][len] == ':')
			return 1;
	return 0;
}

static size_t merge_headers(const struct check_config *cfg, const struct fixture_case *fc,
			    char **out, size_t cap, const char *extra, struct redactor *red)
{
	size_t n = 0, i, j;

	for (i = 0; i < cfg->nr_headers && n < cap; i++) {
		size_t nl = strcspn(cfg->headers[i], ":");
		int overridden = 0;

		for (j = 0; j < fc->nr_headers; j++)
			if (!strncasecmp(fc->headers[j], cfg->headers[i], nl) && fc->headers[j][nl] == ':')
				overridden = 1;
		if (!overridden)
			out[n++] = strdup(cfg->headers[i]);
	}
	for (j = 0; j < fc->nr_headers && n < cap; j++) {
		char why[200];

		/* "Name:" removes the header: curl, and the reproduction, read it so */
		out[n] = expand_env(fc->headers[j], red, why, sizeof(why));
		if (!out[n])
			out[n] = strdup(fc->headers[j]);
		n++;
	}
	if (extra && n < cap)
		out[n++] = strdup(extra);
	/* a body is JSON unless the fixture says otherwise (else libcurl would
	 * call it a form) */
	if (fc->body && n < cap && !has_header(out, n, "Content-Type"))
		out[n++] = strdup("Content-Type: application/json");
	return n;
}

/* Wait for the client-side rate's next slot. */
static void polite(struct check_run *run)
{
	double wait = 0, t;

	if (run->cfg.rate <= 0)
		return;
	pthread_mutex_lock(&run->lock);
	t = now_s();
	if (run->next_slot > t)
		wait = run->next_slot - t;
	run->next_slot = (run->next_slot > t ? run->next_slot : t) + 1.0 / run->cfg.rate;
	pthread_mutex_unlock(&run->lock);
	sleep_s(wait);
}

/* One exchange at the run's rate; the response is redacted before anything
 * reads it, so no cut made later can leave part of a secret. */
static void perform(struct check_run *run, const struct http_request *req, struct http_response *out)
{
	polite(run);
	http_perform(req, out);
	http_response_redact(out, run->cfg.redactor);
}

/* Send, backing off on a 429 or 503 the case does not expect. */
static void send_req(struct check_run *run, struct case_result *cr, const struct http_request *req,
		     int expected_status, struct http_response *out, int may_backoff)
{
	int tries = 0;

	for (;;) {
		const char *ra;
		struct response r;
		struct retry_after parsed;
		double wait = 1;

		perform(run, req, out);
		if (!may_backoff || out->outcome != HTTP_DONE || (out->status != 429 && out->status != 503) ||
		    out->status == expected_status || tries++ >= BACKOFF_TRIES)
			return;
		http_as_response(out, &r);
		ra = response_header(&r, "Retry-After");
		if (ra && !retry_after_parse(ra, time(NULL), &parsed, NULL))
			wait = parsed.seconds < 1 ? 1 : parsed.seconds > BACKOFF_CAP_S ? BACKOFF_CAP_S : (double)parsed.seconds;
		if (now_s() + wait > run->started + (run->cfg.deadline_s > 0 ? run->cfg.deadline_s : 300))
			return; /* the run's deadline: judge the 429/503 as it is */
		cr->backoffs++;
		http_response_release(out);
		sleep_s(wait);
	}
}

struct judging_case {
	const struct check_config *cfg;
	struct case_result *cr;
};

static void add_verdict(void *ctx, const char *check, enum verdict vd, const char *text, const struct violation *v)
{
	static const enum outcome as[] = { [VERDICT_PASS] = OUT_PASS, [VERDICT_FAIL] = OUT_FAIL,
					   [VERDICT_WARN] = OUT_WARN, [VERDICT_SKIP] = OUT_SKIP };
	struct judging_case *j = ctx;

	(void)v;
	case_result_add(j->cr, check, as[vd], j->cfg->redactor, "%s", text);
}

/* The contract's checks on an error response: the one check loop. */
static void judge(const struct check_config *cfg, struct case_result *cr, const struct http_response *h,
		  struct match_result *m)
{
	struct judging_case j = { cfg, cr };
	struct response r;

	http_as_response(h, &r);
	r.method = cr->fc->method; /* the operation it hit names its codes */
	r.path = cr->fc->path;
	judge_response(cfg->contract, &r, time(NULL), m, add_verdict, &j);
}

/* A 2xx that carries a documented error (an {"ok": false} API): its body
 * names a code the contract documents with that status. */
static int error_in_success(const struct check_config *cfg, const struct http_response *h)
{
	const struct contract *c = cfg->contract;
	struct match_result m;
	struct response r;
	size_t i;
	int yes;

	for (i = 0; i < c->nr_codes && c->codes[i].status != h->status; i++)
		;
	if (i == c->nr_codes && !c->stream.error_data)
		return 0;
	http_as_response(h, &r);
	match_result_init(&m);
	contract_match(c, &r, time(NULL), &m);
	/* a stream's error event, judged (an undocumented code in it too) */
	yes = (m.code && m.code->status == h->status) || (m.streamed && (m.code || m.nr));
	match_result_release(&m);
	return yes;
}

static void error_all(struct case_result *cr, const struct check_config *cfg, const struct http_response *h)
{
	case_result_add(cr, CHECK_TRANSPORT, OUT_ERROR, cfg->redactor, "could not be tested: %s", h->error);
	if (h->outcome == HTTP_UNREACHABLE) {
		char *why = redact_evidence(cfg->redactor, h->error, strlen(h->error), sizeof(cr->unreachable_why) - 1);

		cr->unreachable = 1;
		snprintf(cr->unreachable_why, sizeof(cr->unreachable_why), "%s", why ? why : "");
		free(why);
	}
}

static void expect_check(const struct check_config *cfg, struct case_result *cr,
			 const struct fixture_case *fc, const struct http_response *h,
			 const struct match_result *m)
{
	const struct contract_code *want = fixture_expected_code(fc, cfg->contract);
	char what[200];

	if (fc->code)
		snprintf(what, sizeof(what), "%s (%d)", fc->code->code, fc->status ? fc->status : fc->code->status);
	else if (fc->role >= 0)
		snprintf(what, sizeof(what), "a %s error", role_name(fc->role));
	else
		snprintf(what, sizeof(what), "a documented error");
	if (h->status >= 300 && h->status < 400) {
		struct response r;
		const char *loc;

		http_as_response(h, &r);
		loc = response_header(&r, "Location");
		case_result_add(cr, CHECK_EXPECT, OUT_ERROR, cfg->redactor,
		    "expected %s, got a redirect %d%s%s; errata check follows no redirect: point --base-url at where it leads",
		    what, h->status, loc ? " to " : "", loc ? loc : "");
		return;
	}
	if (h->status < 400 && !(m->code && (m->code->status == h->status || m->streamed))) {
		case_result_add(cr, CHECK_EXPECT, OUT_FAIL, cfg->redactor, "expected %s, got an unexpected success %d", what, h->status);
		return;
	}
	if (!m->code) { /* code.documented or envelope.json reports what is wrong */
		case_result_add(cr, CHECK_EXPECT, OUT_SKIP, cfg->redactor, "expected %s; %d carries %s", what, h->status,
		    m->code_seen ? "an undocumented code" : h->head ? "no body to read a code from (a response to HEAD), "
		    "and the contract gives its status more than one code" : "no envelope to read a code from");
		return;
	}
	if ((fc->code && m->code != fc->code) || (fc->role >= 0 && m->code->role != fc->role) ||
	    (fc->status && h->status != fc->status && !m->streamed)) {
		case_result_add(cr, CHECK_EXPECT, OUT_FAIL, cfg->redactor, "expected %s, got %s (%d)", what, m->code->code, h->status);
		return;
	}
	(void)want;
	if (m->streamed)
		case_result_add(cr, CHECK_EXPECT, OUT_PASS, cfg->redactor, "expected %s, got %s in error event %zu of "
				"a 200 stream", what, m->code->code, m->events + 1);
	else
		case_result_add(cr, CHECK_EXPECT, OUT_PASS, cfg->redactor, "expected %s, got %s (%d)", what,
				m->code->code, h->status);
}

static char *url_for(const struct check_config *cfg, const char *path)
{
	size_t n = strlen(cfg->base_url);
	char *u = malloc(n + strlen(path) + 1);

	if (!u)
		return NULL;
	memcpy(u, cfg->base_url, n);
	while (n && u[n - 1] == '/')
		n--;
	strcpy(u + n, path);
	return u;
}

static void random_key(char *out, size_t size)
{
	unsigned char b[16];
	int fd = open("/dev/urandom", O_RDONLY);
	size_t i;

	if (fd < 0 || read(fd, b, sizeof(b)) != (ssize_t)sizeof(b)) {
		for (i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)(rand() ^ (int)time(NULL));
	}
	if (fd >= 0)
		close(fd);
	snprintf(out, size, "errata-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

/* An idempotency case: the same key and body twice (a replay), then the
 * key with another body (a conflict). */
static void run_idempotency(struct check_run *run, struct case_result *cr, struct http_request *req)
{
	const struct check_config *cfg = &run->cfg;
	const struct fixture_case *fc = cr->fc;
	struct http_response h, h2, h3;
	struct match_result m;
	const struct contract_code *conflict = cfg->contract->idempotency_conflict ?
		contract_find(cfg->contract, cfg->contract->idempotency_conflict) : NULL;

	if (!cfg->contract->idempotency_header) {
		case_result_add(cr, CHECK_IDEMPOTENCY_REPLAY, OUT_SKIP, cfg->redactor, "the contract names no idempotency header");
		return;
	}
	send_req(run, cr, req, 0, &h, 1);
	if (h.outcome != HTTP_DONE) {
		error_all(cr, cfg, &h);
		http_response_release(&h);
		return;
	}
	send_req(run, cr, req, 0, &h2, 1);
	req->body = fc->other_body;
	req->body_len = strlen(fc->other_body);
	send_req(run, cr, req, conflict ? conflict->status : 422, &h3, 1);
	json_object_set_new(cr->evidence, "first", response_json(cfg, &h));
	json_object_set_new(cr->evidence, "repeat", response_json(cfg, &h2));
	json_object_set_new(cr->evidence, "other_body", response_json(cfg, &h3));
	if (h2.outcome != HTTP_DONE)
		case_result_add(cr, CHECK_IDEMPOTENCY_REPLAY, OUT_ERROR, cfg->redactor, "the repeat failed: %s", h2.error);
	else if (h2.status != h.status || h2.body_len != h.body_len || memcmp(h2.body, h.body, h.body_len))
		case_result_add(cr, CHECK_IDEMPOTENCY_REPLAY, OUT_FAIL, cfg->redactor,
		    "the same key and body gave %d then %d with %s bodies", h.status, h2.status,
		    h2.body_len == h.body_len && !memcmp(h2.body, h.body, h.body_len) ? "equal" : "different");
	else
		case_result_add(cr, CHECK_IDEMPOTENCY_REPLAY, OUT_PASS, cfg->redactor,
		    "the same key and body replayed %d and the same body", h.status);
	if (h3.outcome != HTTP_DONE) {
		case_result_add(cr, CHECK_IDEMPOTENCY_CONFLICT, OUT_ERROR, cfg->redactor, "the reuse failed: %s", h3.error);
	} else {
		struct response r3;

		http_as_response(&h3, &r3);
		match_result_init(&m);
		contract_match(cfg->contract, &r3, time(NULL), &m);
		if (conflict ? (m.code == conflict && h3.status == conflict->status) : h3.status == 422)
			case_result_add(cr, CHECK_IDEMPOTENCY_CONFLICT, OUT_PASS, cfg->redactor,
			    "the key reused with another body was refused with %s", conflict ? conflict->code : "422");
		else
			case_result_add(cr, CHECK_IDEMPOTENCY_CONFLICT, OUT_FAIL, cfg->redactor,
			    "the key reused with another body got %d%s%s, not %s", h3.status,
			    m.code_seen ? " " : "", m.code_seen ? m.code_seen : "",
			    conflict ? conflict->code : "422");
		match_result_release(&m);
	}
	http_response_release(&h);
	http_response_release(&h2);
	http_response_release(&h3);
}

/* A burst: requests until the contract's limit code comes back. */
static void run_burst(struct check_run *run, struct case_result *cr, struct http_request *req)
{
	const struct check_config *cfg = &run->cfg;
	const struct fixture_case *fc = cr->fc;
	struct http_response h;
	struct match_result m;
	long long k;
	int limited = 0;

	for (k = 0; k < fc->count && !limited; k++) {
		perform(run, req, &h); /* --rate holds for bursts too */
		if (h.outcome != HTTP_DONE) {
			error_all(cr, cfg, &h);
			http_response_release(&h);
			return;
		}
		if (h.status >= 400 || error_in_success(cfg, &h)) {
			struct response r;

			http_as_response(&h, &r);
			match_result_init(&m);
			contract_match(cfg->contract, &r, time(NULL), &m);
			if (m.code && m.code->role == fc->role) {
				limited = 1;
				json_object_set_new(cr->evidence, "response", response_json(cfg, &h));
				case_result_add(cr, CHECK_BURST_LIMITED, OUT_PASS, cfg->redactor,
				    "limited after %lld requests with %s", k + 1, m.code->code);
				match_result_release(&m);
				judge(cfg, cr, &h, &m);
			}
			match_result_release(&m);
		}
		http_response_release(&h);
	}
	if (!limited)
		case_result_add(cr, CHECK_BURST_LIMITED, OUT_FAIL, cfg->redactor,
		    "%lld requests in a burst were never limited with a %s error", fc->count, role_name(fc->role));
}

/* One request, its expectation first in the report, then the checks. */
static void run_plain(struct check_run *run, struct case_result *cr, struct http_request *req,
		      const struct contract_code *want)
{
	const struct check_config *cfg = &run->cfg;
	const struct fixture_case *fc = cr->fc;
	struct http_response h;
	struct match_result m;

	send_req(run, cr, req, want ? want->status : 0, &h, 1);
	if (h.outcome != HTTP_DONE) {
		error_all(cr, cfg, &h);
	} else {
		json_object_set_new(cr->evidence, "response", response_json(cfg, &h));
		if (h.status < 400 && !error_in_success(cfg, &h)) {
			match_result_init(&m);
			expect_check(cfg, cr, fc, &h, &m);
		} else {
			judge(cfg, cr, &h, &m);
			/* the expectation, first in the report */
			{
				struct check_result first;
				size_t last;

				expect_check(cfg, cr, fc, &h, &m);
				last = cr->nr - 1;
				first = cr->checks[last];
				memmove(&cr->checks[1], &cr->checks[0], last * sizeof(first));
				cr->checks[0] = first;
			}
		}
		match_result_release(&m);
	}
	http_response_release(&h);
}

static void run_case(struct check_run *run, struct case_result *cr)
{
	const struct check_config *cfg = &run->cfg;
	const struct fixture_case *fc = cr->fc;
	const struct contract_code *want = fixture_expected_code(fc, cfg->contract);
	char *headers[64], selector[200] = "", *url = url_for(cfg, fc->path), *rp;
	struct http_request req = { fc->method, url, NULL, 0, fc->body, fc->body ? strlen(fc->body) : 0,
				    cfg->timeout_ms };
	size_t nr, i;
	double t0 = now_s();

	if (want && (fc->kind == CASE_CODE || (cfg->selector && fc->kind == CASE_PLAIN)))
		snprintf(selector, sizeof(selector), "X-Errata-Error: %s", want->code);
	nr = merge_headers(cfg, fc, headers, 60, selector[0] ? selector : NULL, cfg->redactor);
	if (fc->kind == CASE_IDEMPOTENCY && cfg->contract->idempotency_header) {
		char key[80], line[200];

		random_key(key, sizeof(key));
		snprintf(line, sizeof(line), "%s: %s", cfg->contract->idempotency_header, key);
		headers[nr++] = strdup(line);
	}
	req.headers = (const char *const *)headers;
	req.nr_headers = nr;
	rp = repro(cfg, fc->method, url ? url : "", headers, nr, fc->body);
	cr->evidence = json_pack("{ss}", "request", rp ? rp : "");
	free(rp);
	if (fc->kind == CASE_BURST && !cfg->burst)
		case_result_add(cr, CHECK_BURST_LIMITED, OUT_SKIP, cfg->redactor, "a burst spends quota; run with --burst");
	else if (fc->kind == CASE_IDEMPOTENCY)
		run_idempotency(run, cr, &req);
	else if (fc->kind == CASE_BURST)
		run_burst(run, cr, &req);
	else
		run_plain(run, cr, &req, want);
	json_object_set_new(cr->evidence, "backoffs", json_integer(cr->backoffs));
	cr->seconds = now_s() - t0;
	for (i = 0; i < nr; i++)
		free(headers[i]);
	free(url);
}

static void *worker(void *arg)
{
	struct check_run *run = arg;

	for (;;) {
		size_t i;

		char why[sizeof(run->unreachable_why)];
		int gave_up;

		pthread_mutex_lock(&run->lock);
		i = run->next++;
		gave_up = run->unreachable;
		memcpy(why, run->unreachable_why, sizeof(why));
		pthread_mutex_unlock(&run->lock);
		if (i >= run->nr)
			break;
		if (gave_up) {
			/* one case found the target unreachable: the rest would wait
			 * out their timeouts (or the --rate) to learn the same */
			struct case_result *cr = &run->results[i];

			case_result_add(cr, CHECK_TRANSPORT, OUT_ERROR, NULL, "not run: the target is unreachable: %s", why);
			cr->unreachable = 1;
			memcpy(cr->unreachable_why, why, sizeof(why));
		} else {
			run_case(run, &run->results[i]);
		}
		pthread_mutex_lock(&run->lock);
		if (run->results[i].unreachable && !run->unreachable) {
			run->unreachable = 1;
			memcpy(run->unreachable_why, run->results[i].unreachable_why, sizeof(run->unreachable_why));
		}
		run->done++;
		if (run->cfg.progress)
			fprintf(stderr, "\r\033[Kerrata check: %s: %zu/%zu cases, %.1f s", run->cfg.contract->id,
				run->done, run->nr, now_s() - run->started);
		pthread_mutex_unlock(&run->lock);
	}
	return NULL;
}

int check_run(struct check_run *run, const struct check_config *cfg, const struct fixtures *f)
{
	pthread_t threads[64];
	unsigned jobs = cfg->jobs ? cfg->jobs : 1, t, started = 0;
	double t0 = now_s();
	size_t i, j, n = 0;

	memset(run, 0, sizeof(*run));
	run->cfg = *cfg;
	run->started = t0;
	pthread_mutex_init(&run->lock, NULL);
	run->results = calloc(f->nr ? f->nr : 1, sizeof(*run->results));
	if (!run->results)
		return -1;
	for (i = 0; i < f->nr; i++)
		if (!cfg->shards || i % cfg->shards == cfg->shard - 1)
			run->results[n++].fc = &f->v[i];
	run->nr = n;
	if (jobs > 64)
		jobs = 64;
	for (t = 0; t < jobs && t < n; t++)
		if (!pthread_create(&threads[t], NULL, worker, run))
			started++;
	if (!started)
		worker(run);
	for (t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	if (cfg->progress && n)
		fputs("\r\033[K", stderr);
	run->seconds = now_s() - t0;
	for (i = 0; i < n; i++) {
		struct case_result *cr = &run->results[i];

		run->backoffs += (size_t)cr->backoffs;
		for (j = 0; j < cr->nr; j++)
			switch (cr->checks[j].outcome) {
			case OUT_PASS: run->passed++; break;
			case OUT_FAIL: run->failed++; break;
			case OUT_ERROR: run->errors++; break;
			case OUT_SKIP: run->skipped++; break;
			case OUT_WARN: run->warnings++; run->passed++; break;
			}
	}
	return 0;
}

void check_run_release(struct check_run *run)
{
	size_t i, j;

	for (i = 0; i < run->nr; i++) {
		for (j = 0; j < run->results[i].nr; j++)
			free(run->results[i].checks[j].message);
		free(run->results[i].checks);
		json_decref(run->results[i].evidence);
	}
	free(run->results);
	pthread_mutex_destroy(&run->lock);
}
