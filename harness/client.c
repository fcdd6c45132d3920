/*
 * errata client's runs: each scenario of the suite against an isolated
 * in-process mock, the client command started with the operation to
 * perform, and the verdicts drawn from the mock's journal.
 */
#include <math.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "../model/utf8.h"
#include "../model/verdict.h"
#include "proc.h"
#include "../mock/mock.h"

/* Bytes of the output's head and of its tail kept as evidence. */
#define OUTPUT_EVIDENCE 2048
#define JOBS_MAX 256

/* --- running --- */

struct client_job {
	struct check_run *run;
	const struct client_config *cfg;
	const struct suite *suite;
	size_t next, done;
	pthread_mutex_t lock;
	struct timespec t0;
	long cores;
	long starting;             /* clients between spawn and first request */
	pthread_cond_t started;
	size_t *order;             /* scenarios, longest expected first */
};

unsigned client_default_jobs(size_t nr_scenarios)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t want = (size_t)(cores > 0 ? cores : 1) * 32;

	if (want > nr_scenarios)
		want = nr_scenarios;
	if (want > JOBS_MAX)
		want = JOBS_MAX;
	return want ? (unsigned)want : 1;
}

/*
 * Clients start a few at a time. A client is starting from its spawn until
 * its first request reaches its mock, it ends, or START_BOUND_S pass; at
 * most one per core starts at once. Start-ups that compute (an interpreter,
 * a version manager's shim forking its helpers, a Node SDK's imports) then
 * take turns instead of stretching each other past the waits being judged,
 * while clients that wait (nearly all of a scenario) hold no slot.
 */
#define START_BOUND_S 2.0

struct start_slot {
	struct client_job *job;
	atomic_int held;
};

static void start_leave(void *arg);

static void start_enter(struct start_slot *s)
{
	struct client_job *job = s->job;

	pthread_mutex_lock(&job->lock);
	while (job->starting >= job->cores)
		pthread_cond_wait(&job->started, &job->lock);
	job->starting++;
	atomic_store(&s->held, 1);
	pthread_mutex_unlock(&job->lock);
}

/* The mock's first_request hook, and the end of a run: once only. */
static void start_leave(void *arg)
{
	struct start_slot *s = arg;
	struct client_job *job = s->job;

	if (!atomic_exchange(&s->held, 0))
		return;
	pthread_mutex_lock(&job->lock);
	job->starting--;
	pthread_cond_signal(&job->started);
	pthread_mutex_unlock(&job->lock);
}

/* The client's environment: the base URL and the operation to perform. */
struct client_env {
	char url[300], contract[200], file[4200], scenario[300], method[48], path[600], body[300];
	char stream[20];
	char *v[9];
};

static void client_env(struct client_env *e, const struct client_config *cfg, const struct suite_scenario *sc,
		       unsigned port)
{
	snprintf(e->url, sizeof(e->url), "ERRATA_BASE_URL=http://127.0.0.1:%u%s%s", port,
		 cfg->root_url ? "" : "/", cfg->root_url ? "" : cfg->contract->id);
	snprintf(e->contract, sizeof(e->contract), "ERRATA_CONTRACT=%s", cfg->contract->id);
	snprintf(e->file, sizeof(e->file), "ERRATA_CONTRACT_FILE=%s", cfg->contract->path);
	snprintf(e->scenario, sizeof(e->scenario), "ERRATA_SCENARIO=%s", sc->name);
	snprintf(e->method, sizeof(e->method), "ERRATA_METHOD=%s", sc->method);
	snprintf(e->path, sizeof(e->path), "ERRATA_PATH=%s", sc->path);
	snprintf(e->body, sizeof(e->body), "ERRATA_BODY=%s", sc->body ? sc->body : "");
	e->v[0] = e->url; e->v[1] = e->contract; e->v[2] = e->file; e->v[3] = e->scenario;
	snprintf(e->stream, sizeof(e->stream), "ERRATA_STREAM=%d", sc->stream);
	e->v[4] = e->method; e->v[5] = e->path; e->v[6] = e->body; e->v[7] = e->stream; e->v[8] = NULL;
}

/* The evidence of a run: the attempts, how the client ended and what it
 * printed, each part of the output redacted whole, then cut (its margin
 * holds any secret that straddles the cut), then made valid UTF-8. */
static json_t *run_evidence(const struct suite_scenario *sc, struct verdicts *v, const struct proc_result *p,
			    double timeout_s, const struct redactor *red)
{
	char *head = redact_evidence(red, p->output ? p->output : "", p->output_len, OUTPUT_EVIDENCE);
	char *tail = p->tail ? redact_evidence_tail(red, p->tail, p->tail_len, OUTPUT_EVIDENCE) : NULL;
	json_t *ev;

	ev = json_pack("{ss s{ss ss ss*} sf sO s{sb si sb si sb sf sI sb} ss ss*}", "scenario", sc->name,
		       "operation", "method", sc->method, "path", sc->path, "body", sc->body, "timeout_s", timeout_s,
		       "attempts", v->attempts, "client", "exited", p->exited, "exit_code", p->exit_code,
		       "signaled", p->signaled, "signal", p->signal, "timed_out", p->timed_out, "seconds", p->seconds,
		       "output_bytes", (json_int_t)p->total, "output_cut", p->truncated ||
		       p->output_len > OUTPUT_EVIDENCE || p->tail_len > OUTPUT_EVIDENCE, "output", head ? head : "",
		       "output_tail", tail);
	if (ev && p->stopped)
		json_object_set_new(json_object_get(ev, "client"), "stopped", json_true());
	if (ev && v->attempts_cut)
		json_object_set_new(ev, "attempts_cut", json_pack("{si ss}", "kept", VERDICT_MAX_ATTEMPTS, "why",
								   "the first attempts are judged; there were more"));
	free(head);
	free(tail);
	return ev;
}

/* What the run's watcher looks at: the start slot, held until the bound,
 * and a long wait watched long enough (the first response is its watch
 * old, and there is no second request). */
struct run_watch {
	struct mock *m;
	struct start_slot *slot;
	double long_wait;  /* the watch, in seconds, or 0 */
	double spawned;
	double first;   /* the first response's monotonic time, or 0 */
};

/* How many of the scenario's requests the mock has journaled (-1: unknown). */
static long journaled(struct mock *m)
{
	struct mock_exchanges ex;
	long n = mock_exchanges(m, "s", &ex) ? -1 : (long)ex.n;

	mock_exchanges_release(&ex);
	return n;
}

static double monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run_watched(void *arg)
{
	struct run_watch *w = arg;
	double now = monotonic_s();

	if (!w->spawned)
		w->spawned = now;
	if (now - w->spawned >= START_BOUND_S)
		start_leave(w->slot);
	if (!w->long_wait)
		return 0;
	if (!w->first) {
		if (journaled(w->m) > 0)
			w->first = now;
		return 0;
	}
	return now - w->first >= w->long_wait && journaled(w->m) == 1;
}

/* The scenario as the mock loads it: served on its operation alone. Other
 * requests (a registry client's GET /v2/ check, its /v1/_ping, a token
 * fetch, a HEAD before the GET) get the documented success, and are
 * journaled outside the scenario: never counted as its attempts. */
static json_t *scenario_def(const struct client_config *cfg, const struct suite_scenario *sc)
{
	char glob[1200];
	size_t o = 0;
	const char *p;

	for (p = sc->path; p && *p && *p != '?' && o + 2 < sizeof(glob); p++) { /* the path, as a glob of itself */
		if (strchr("*?[\\", *p))
			glob[o++] = '\\';
		glob[o++] = *p;
	}
	glob[o] = '\0';
	if (!sc->method || !sc->path || (p && *p && *p != '?'))
		return json_pack("{ss ss s{} sO}", "id", "s", "contract", cfg->contract->id, "match", "steps", sc->steps);
	return json_pack("{ss ss s{ss ss} sO}", "id", "s", "contract", cfg->contract->id, "match", "method",
			 sc->method, "path", glob, "steps", sc->steps);
}

/* One scenario, its start slot held by the caller (and given up here). */
static void run_one(struct client_job *job, struct start_slot *slot, const struct suite_scenario *sc,
		    struct case_result *cr)
{
	const struct client_config *cfg = job->cfg;
	struct contract *contracts[1] = { cfg->contract };
	struct mock_config mc = { .contracts = contracts, .nr_contracts = 1, .host = "127.0.0.1",
				  .journal_size = 1024, .threads = 1, .root = cfg->root_url,
				  .first_request = start_leave, .first_request_ctx = slot };
	const struct redactor *red = cfg->redactor;
	double timeout_s = cfg->timeout_s > 0 ? cfg->timeout_s : sc->timeout_s;
	struct load_error err;
	struct proc_result p = { 0 };
	struct client_end end = { 0 };
	struct client_env env;
	struct verdicts v;
	char why[300], *def_text;
	json_t *def;
	struct mock_exchanges ex;
	int got;
	struct mock *m;
	size_t i;

	m = mock_start(&mc, why, sizeof(why));
	if (!m) {
		start_leave(slot);
		case_result_add(cr, "client.run", OUT_ERROR, red, "cannot start the mock: %s", why);
		return;
	}
	def = scenario_def(cfg, sc);
	def_text = def ? json_dumps(def, JSON_COMPACT) : NULL;
	json_decref(def);
	if (!def_text || mock_load_scenarios(m, def_text, strlen(def_text), sc->name, &err)) {
		load_error_format(&err, why, sizeof(why));
		case_result_add(cr, "client.run", OUT_ERROR, red, "the scenario does not load: %s", why);
		start_leave(slot);
		free(def_text);
		mock_stop(m, 0);
		return;
	}
	free(def_text);
	client_env(&env, cfg, sc, mock_port(m));
	{
		struct run_watch w = { m, slot, sc->expect == EXPECT_LONG_WAIT ? suite_watch_s(sc) : 0, 0, 0 };

		proc_run_watch(cfg->command, env.v, timeout_s, run_watched, &w, &p);
	}
	start_leave(slot);
	mock_settle(m, 1000); /* a stream its client left is journaled at once */
	got = !mock_exchanges(m, "s", &ex);
	end = (struct client_end){ 1, p.exited, p.exit_code, p.signaled, p.signal, p.timed_out, p.stopped,
				   p.seconds, p.output, p.output_len, p.tail, p.tail_len };
	cr->seconds = p.seconds;
	if (p.spawn_failed) {
		case_result_add(cr, "client.run", OUT_ERROR, red, "%s", p.output ? p.output : "cannot run the client");
	} else if (got && !verdict_judge(&v, cfg->contract, sc, ex.x, ex.n, &end, timeout_s, red)) {
		for (i = 0; i < v.nr; i++)
			case_result_add(cr, v.v[i].id, v.v[i].outcome, NULL, "%s", v.v[i].message ? v.v[i].message : "");
		cr->evidence = run_evidence(sc, &v, &p, timeout_s, red);
		verdicts_release(&v);
	} else {
		case_result_add(cr, "client.run", OUT_ERROR, red, "out of memory");
	}
	mock_exchanges_release(&ex);
	proc_result_release(&p);
	mock_stop(m, 0);
}

static void *client_worker(void *arg)
{
	struct client_job *job = arg;

	for (;;) {
		struct start_slot slot = { job, 0 };
		size_t i;

		start_enter(&slot); /* first the slot, then the next scenario: in order */
		pthread_mutex_lock(&job->lock);
		i = job->next++;
		pthread_mutex_unlock(&job->lock);
		if (i >= job->run->nr) {
			start_leave(&slot);
			break;
		}
		i = job->order[i];
		run_one(job, &slot, &job->suite->v[i], &job->run->results[i]);
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

/* The scenarios, longest expected first (stable): the suite then ends
 * near its longest scenario, the short ones run in its shadow. */
static size_t *longest_first(const struct suite *suite)
{
	size_t *order = malloc((suite->nr ? suite->nr : 1) * sizeof(*order));
	double *len = malloc((suite->nr ? suite->nr : 1) * sizeof(*len));
	size_t i, j;

	if (!order || !len) {
		free(order);
		free(len);
		return NULL;
	}
	for (i = 0; i < suite->nr; i++) {
		double l = suite_expected_s(&suite->v[i]);

		for (j = i; j > 0 && len[j - 1] < l; j--) {
			len[j] = len[j - 1];
			order[j] = order[j - 1];
		}
		len[j] = l;
		order[j] = i;
	}
	free(len);
	return order;
}

int client_run(struct check_run *run, const struct client_config *cfg,
	       const struct suite *suite, struct fixtures *cases)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	struct client_job job = { run, cfg, suite, 0, 0, PTHREAD_MUTEX_INITIALIZER, { 0, 0 }, cores > 0 ? cores : 1,
				  0, PTHREAD_COND_INITIALIZER, NULL };
	pthread_t threads[JOBS_MAX];
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
	job.order = longest_first(suite);
	if (!run->results || !cases->v || !job.order) {
		free(job.order);
		return -1;
	}
	cases->nr = cases->alloc = suite->nr;
	for (i = 0; i < suite->nr; i++) {
		cases->v[i].name = strdup(suite->v[i].name);
		cases->v[i].source = strdup(suite->v[i].source);
		cases->v[i].role = -1;
		run->results[i].fc = &cases->v[i];
	}
	run->nr = suite->nr;
	for (t = 0; t < jobs && t < JOBS_MAX && t < suite->nr; t++)
		if (!pthread_create(&threads[started], NULL, client_worker, &job))
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
	pthread_cond_destroy(&job.started);
	free(job.order);
	return 0;
}
