/*
 * errata proxy's conformance as a check run (passive.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passive.h"
#include "../model/match.h"

#define CHECK_UPSTREAM_ANSWERED "upstream.answered"
#define CHECK_OBSERVED          "conformance.observed"

/* The static id of a check named in the report, or NULL. */
static const char *known_id(const char *id)
{
	size_t i;

	for (i = 0; id && check_ids[i]; i++)
		if (!strcmp(check_ids[i], id))
			return check_ids[i];
	return NULL;
}

static struct case_result *new_case(struct passive_run *p, const char *name, const char *method,
				    const char *path)
{
	struct fixture_case *fc = &p->cases[p->nr];
	struct case_result *cr = &p->run.results[p->nr];

	memset(fc, 0, sizeof(*fc));
	memset(cr, 0, sizeof(*cr));
	fc->name = strdup(name);
	fc->source = strdup("errata proxy");
	fc->method = strdup(method);
	fc->path = strdup(path);
	fc->role = -1;
	cr->fc = fc;
	p->nr++;
	p->run.nr = p->nr;
	return fc->name && fc->source && fc->method && fc->path ? cr : NULL;
}

static void group_case(struct passive_run *p, json_t *g, struct redactor *red)
{
	const char *method = json_string_value(json_object_get(g, "method"));
	const char *route = json_string_value(json_object_get(g, "route"));
	const char *code = json_string_value(json_object_get(g, "code"));
	json_int_t count = json_integer_value(json_object_get(g, "count"));
	int status = (int)json_integer_value(json_object_get(g, "status"));
	char name[600];
	struct case_result *cr;
	json_t *ck;
	size_t i;

	snprintf(name, sizeof(name), "%s %s: %d%s%s (%lld response%s)", method ? method : "?",
		 route ? route : "?", status, code && *code ? " " : "", code ? code : "",
		 (long long)count, count == 1 ? "" : "s");
	if (!(cr = new_case(p, name, method ? method : "", route ? route : "")))
		return;
	json_array_foreach(json_object_get(g, "checks"), i, ck) {
		const char *id = known_id(json_string_value(json_object_get(ck, "id")));
		const char *msg = json_string_value(json_object_get(ck, "message"));
		json_int_t pass = json_integer_value(json_object_get(ck, "pass"));
		json_int_t fail = json_integer_value(json_object_get(ck, "fail"));
		json_int_t warn = json_integer_value(json_object_get(ck, "warn"));

		if (!id)
			continue;
		if (fail)
			case_result_add(cr, id, OUT_FAIL, red, "failed on %lld of %lld: %s", (long long)fail,
					(long long)count, msg ? msg : "");
		else if (warn)
			case_result_add(cr, id, OUT_WARN, red, "warned on %lld of %lld: %s", (long long)warn,
					(long long)count, msg ? msg : "");
		else if (pass)
			case_result_add(cr, id, OUT_PASS, red, "%s (%lld of %lld)", check_describe(id),
					(long long)pass, (long long)count);
		else
			case_result_add(cr, id, OUT_SKIP, red, "does not apply to these responses");
	}
	cr->evidence = json_pack("{sO*}", "example", json_object_get(g, "example"));
}

static void health_case(struct passive_run *p, json_t *report, struct redactor *red)
{
	json_int_t fwd = json_integer_value(json_object_get(report, "forwarded"));
	json_int_t bad = json_integer_value(json_object_get(report, "upstream_failed"));
	json_t *conf = json_object_get(report, "conformance");
	json_int_t seen = json_integer_value(json_object_get(conf, "observed"));
	json_int_t unjudged = json_integer_value(json_object_get(conf, "unjudged"));
	struct case_result *cr = new_case(p, "the upstream", "*", "*");

	if (!cr)
		return;
	if (!fwd)
		case_result_add(cr, CHECK_UPSTREAM_ANSWERED, OUT_SKIP, red, "no request was forwarded");
	else if (bad)
		case_result_add(cr, CHECK_UPSTREAM_ANSWERED, OUT_ERROR, red,
				"%lld of %lld forwarded requests got no answer from the upstream (the journal "
				"says why): their error responses could not be judged", (long long)bad, (long long)fwd);
	else
		case_result_add(cr, CHECK_UPSTREAM_ANSWERED, OUT_PASS, red, "the upstream answered all %lld forwarded requests",
				(long long)fwd);
	if (!seen)
		case_result_add(cr, CHECK_OBSERVED, OUT_SKIP, red, "no error response came from the upstream%s: "
				"nothing was judged", unjudged ? " that could be read (compressed bodies)" : "");
	else
		case_result_add(cr, CHECK_OBSERVED, OUT_PASS, red, "%lld error responses judged%s", (long long)seen,
				unjudged ? " (more were compressed and not judged)" : "");
}

int passive_run_build(struct passive_run *p, const struct contract *c, json_t *report,
		      struct redactor *red)
{
	json_t *groups = json_object_get(json_object_get(report, "conformance"), "groups"), *g;
	size_t i, n = json_array_size(groups) + 1, k;

	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->run.lock, NULL);
	p->run.cfg.contract = c;
	p->run.cfg.redactor = red;
	if (!(p->cases = calloc(n, sizeof(*p->cases))) || !(p->run.results = calloc(n, sizeof(*p->run.results))))
		return -1;
	health_case(p, report, red);
	json_array_foreach(groups, i, g)
		group_case(p, g, red);
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
