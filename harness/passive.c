/*
 * errata proxy's conformance as a check run (passive.h), read from the
 * proxy's findings in C: its counters and its groups (conformance_each).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passive.h"
#include "../mock/conform.h"
#include "../model/match.h"

#define CHECK_UPSTREAM_ANSWERED "upstream.answered"
#define CHECK_OBSERVED          "conformance.observed"

static struct case_result *new_case(struct passive_run *p, const char *name, const char *method,
				    const char *path)
{
	struct fixture_case *fc;
	struct case_result *cr;

	if (p->nr == p->cap)
		return NULL; /* groups past those counted: in the next report */
	fc = &p->cases[p->nr];
	cr = &p->run.results[p->nr];
	memset(fc, 0, sizeof(*fc));
	memset(cr, 0, sizeof(*cr));
	fc->name = strdup(name);
	fc->source = strdup(p->source);
	fc->method = strdup(method);
	fc->path = strdup(path);
	fc->role = -1;
	cr->fc = fc;
	p->nr++;
	p->run.nr = p->nr;
	return fc->name && fc->source && fc->method && fc->path ? cr : NULL;
}

struct building {
	struct passive_run *p;
	struct redactor *red;
};

/* One group of judged responses: a case, a check per contract check. */
static void group_case(void *ctx, const struct conform_view *g)
{
	struct building *bd = ctx;
	struct redactor *red = bd->red;
	long long count = (long long)g->count;
	char name[600];
	struct case_result *cr;
	size_t i;

	snprintf(name, sizeof(name), "%s %s: %d%s%s (%lld response%s)", g->method, g->route, g->status,
		 *g->code ? " " : "", g->code, count, count == 1 ? "" : "s");
	if (!(cr = new_case(bd->p, name, g->method, g->route)))
		return;
	for (i = 0; check_ids[i]; i++) {
		const char *msg = g->message[i];
		long long pass = (long long)g->n[4 * i], fail = (long long)g->n[4 * i + 1];
		long long warn = (long long)g->n[4 * i + 2];

		if (fail)
			case_result_add(cr, check_ids[i], OUT_FAIL, red, "failed on %lld of %lld: %s", fail, count,
					msg ? msg : "");
		else if (warn)
			case_result_add(cr, check_ids[i], OUT_WARN, red, "warned on %lld of %lld: %s", warn, count,
					msg ? msg : "");
		else if (pass)
			case_result_add(cr, check_ids[i], OUT_PASS, red, "%s (%lld of %lld)", check_describe(check_ids[i]),
					pass, count);
		else
			case_result_add(cr, check_ids[i], OUT_SKIP, red, "does not apply to these responses");
	}
	cr->evidence = json_pack("{sO*}", "example", g->example);
}

static void health_case(struct passive_run *p, const struct proxy_findings *f, struct redactor *red)
{
	long long fwd = (long long)f->forwarded, bad = (long long)f->upstream_failed;
	struct case_result *cr = new_case(p, "the upstream", "*", "*");

	if (!cr)
		return;
	if (!fwd)
		case_result_add(cr, CHECK_UPSTREAM_ANSWERED, OUT_SKIP, red, "no request was forwarded");
	else if (bad)
		case_result_add(cr, CHECK_UPSTREAM_ANSWERED, OUT_ERROR, red,
				"%lld of %lld forwarded requests got no answer from the upstream (the journal "
				"says why): their error responses could not be judged", bad, fwd);
	else
		case_result_add(cr, CHECK_UPSTREAM_ANSWERED, OUT_PASS, red, "the upstream answered all %lld forwarded requests",
				fwd);
	if (!f->observed)
		case_result_add(cr, CHECK_OBSERVED, OUT_SKIP, red, "no error response came from the upstream%s: "
				"nothing was judged", f->unjudged ? " that could be read (compressed bodies)" : "");
	else
		case_result_add(cr, CHECK_OBSERVED, OUT_PASS, red, "%lld error responses judged%s", (long long)f->observed,
				f->unjudged ? " (more were compressed and not judged)" : "");
}

/* One injected error: a case, its verdict's checks. A shot still waiting
 * for its retry is a skip, said so: nothing seen never passes. */
static void shot_case(struct passive_run *p, json_t *shot, struct redactor *red)
{
	const char *outcome = json_string_value(json_object_get(shot, "outcome"));
	char name[600];
	struct case_result *cr;
	json_t *c;
	size_t i;

	snprintf(name, sizeof(name), "injected #%" JSON_INTEGER_FORMAT " %s %s: %" JSON_INTEGER_FORMAT " %s (retryable: %s)",
		 json_integer_value(json_object_get(shot, "n")), json_string_value(json_object_get(shot, "method")),
		 json_string_value(json_object_get(shot, "path")), json_integer_value(json_object_get(shot, "status")),
		 json_string_value(json_object_get(shot, "code")), json_string_value(json_object_get(shot, "retryable")));
	if (!(cr = new_case(p, name, json_string_value(json_object_get(shot, "method")),
			    json_string_value(json_object_get(shot, "path")))))
		return;
	if (outcome && !strcmp(outcome, "waiting"))
		case_result_add(cr, "chaos.retried", OUT_SKIP, red, "its retry has not come yet");
	json_array_foreach(json_object_get(shot, "checks"), i, c) {
		const char *o = json_string_value(json_object_get(c, "outcome"));

		case_result_add(cr, json_string_value(json_object_get(c, "id")),
				!strcmp(o, "pass") ? OUT_PASS : !strcmp(o, "fail") ? OUT_FAIL : OUT_SKIP, red, "%s",
				json_string_value(json_object_get(c, "message")));
	}
}

static void count_group(void *ctx, const struct conform_view *g)
{
	(void)g;
	(*(size_t *)ctx)++;
}

int passive_run_build(struct passive_run *p, const struct contract *c, const struct proxy_findings *f,
		      struct redactor *red)
{
	struct building bd = { p, red };
	size_t i, n = 1, k;
	json_t *shot;

	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->run.lock, NULL);
	p->run.cfg.contract = c;
	p->run.cfg.redactor = red;
	p->source = f->conformance ? "errata proxy" : "errata serve --inject";
	if (f->conformance)
		conformance_each(f->conformance, count_group, &n);
	n += 8 + json_array_size(json_object_get(f->chaos, "shots")); /* groups added since they were counted */
	if (!(p->cases = calloc(n, sizeof(*p->cases))) || !(p->run.results = calloc(n, sizeof(*p->run.results))))
		return -1;
	p->cap = n;
	if (f->conformance) { /* errata proxy */
		health_case(p, f, red);
		conformance_each(f->conformance, group_case, &bd);
	}
	json_array_foreach(json_object_get(f->chaos, "shots"), i, shot)
		shot_case(p, shot, red);
	for (i = 0; i < p->nr; i++)
		for (k = 0; k < p->run.results[i].nr; k++) {
			p->run.results[i].checks[k].known = 0;
			switch (p->run.results[i].checks[k].outcome) {
			case OUT_PASS: p->run.passed++; break;
			case OUT_FAIL: p->run.failed++; break;
			case OUT_ERROR: p->run.errors++; break;
			case OUT_SKIP: p->run.skipped++; break;
			case OUT_WARN: p->run.warnings++; p->run.passed++; break;
			}
		}
	return 0;
}

void passive_run_release(struct passive_run *p)
{
	size_t i;

	for (i = 0; i < p->nr; i++) {
		free(p->cases[i].name);
		free(p->cases[i].source);
		free(p->cases[i].method);
		free(p->cases[i].path);
	}
	free(p->cases);
	check_run_release(&p->run); /* the results */
	memset(p, 0, sizeof(*p));
}
