/*
 * The client verdict engine on the admin API, for an SDK's own tests:
 * a scenario created from the client suite (or with an expectation of its
 * own), the SDK call run from any test framework, then its verdicts:
 *
 *   POST /__errata/scenarios  {"contract": "breezeblue", "suite": "retry RATE_LIMITED"}
 *   ... the SDK's call, with X-Errata-Scenario: <id> or at /__s/<id>/<contract>/...
 *   POST /__errata/scenarios/<id>/outcome  {"ok": false, "output": "RateLimitError: ..."}
 *   GET  /__errata/scenarios/<id>/verdicts
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "shared.h"
#include "../model/verdict.h"

#define OWN_SOURCE "admin API"   /* the source of a scenario with an "expect" of its own */

static struct contract *contract_named(struct mock *m, const char *id)
{
	size_t i;

	for (i = 0; id && i < m->nr_mounts; i++)
		if (!strcmp(m->mounts[i].c->id, id))
			return m->mounts[i].c;
	return NULL;
}

/* The names of the standard suite, for a problem's "valid". */
static json_t *suite_names(const struct suite *s)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < s->nr; i++)
		json_array_append_new(a, json_string(s->v[i].name));
	return a;
}

/*
 * The suite's steps for errata proxy: the success a step would invent is
 * the real API's answer instead ("503 twice, then the real API").
 */
static json_t *upstream_steps(json_t *steps)
{
	json_t *out = json_array(), *st;
	size_t i;

	json_array_foreach(steps, i, st) {
		json_t *status = json_object_get(st, "status");

		if (!json_object_get(st, "error") && !json_object_get(st, "fault") &&
		    !json_object_get(st, "body") && (!status || json_integer_value(status) < 300)) {
			json_t *up = json_pack("{sb}", "upstream", 1);

			if (json_object_get(st, "repeat"))
				json_object_set(up, "repeat", json_object_get(st, "repeat"));
			json_array_append_new(out, up);
		} else {
			json_array_append(out, st);
		}
	}
	return out;
}

int verdict_spec_take(struct mock *m, json_t *def, json_t **parse, struct suite_scenario **spec,
		      json_t **valid, char *why, size_t size)
{
	const char *name = json_string_value(json_object_get(def, "suite"));
	json_t *expect = json_object_get(def, "expect"), *opt = json_object_get(def, "operation");
	struct contract *c = contract_named(m, json_string_value(json_object_get(def, "contract")));
	struct suite s;
	struct suite_op op;
	const struct suite_scenario *found;

	*parse = NULL;
	*spec = NULL;
	*valid = NULL;
	if (!name && !expect) {
		*parse = def;   /* a scenario without verdicts */
		return 0;
	}
	if (!c) {
		snprintf(why, size, "a scenario with verdicts names a mounted contract (\"contract\")");
		json_decref(def);
		return -1;
	}
	if (opt && (!json_is_string(opt) || suite_op_parse(json_string_value(opt), &op, why, size))) {
		if (!json_is_string(opt))
			snprintf(why, size, "\"operation\" must be a string such as 'GET /v1/models'");
		json_decref(def);
		return -1;
	}
	suite_init(&s);
	if (name) {
		if (expect || json_object_get(def, "steps")) {
			snprintf(why, size, "\"suite\" takes its steps and expectation from the suite; "
				 "give \"steps\" and \"expect\" instead for a scenario of your own");
			json_decref(def);
			return -1;
		}
		if (suite_standard(&s, c, opt ? &op : NULL, opt ? 1 : 0)) {
			suite_release(&s);
			snprintf(why, size, "out of memory");
			json_decref(def);
			return -1;
		}
		found = suite_find(&s, name[0] == '=' ? name + 1 : name);
		if (!found) {
			snprintf(why, size, "'%.100s' is not a scenario of %s's suite (valid lists them)", name, c->id);
			*valid = suite_names(&s);
		} else if ((*spec = suite_scenario_dup(found))) {
			*parse = json_pack("{sO* ss so sO*}", "id", json_object_get(def, "id"), "contract", c->id,
					   "steps", mock_forwards(m) ? upstream_steps(found->steps) : json_incref(found->steps),
					   "match", json_object_get(def, "match"));
		}
	} else {
		struct jload ld;
		struct load_error err = { 0 };
		json_t *own = json_pack("{ss sO sO* sO* sO*}", "name", "own", "expect", expect, "code",
					json_object_get(def, "code"), "steps", json_object_get(def, "steps"),
					"operation", opt), *root = NULL;
		char *text = own ? json_dumps(own, JSON_COMPACT) : NULL;

		json_decref(own);
		if (text && (root = jload_parse(&ld, text, strlen(text), "request body", &err)) &&
		    !suite_load_json(&s, &ld, root, c, OWN_SOURCE))
			*spec = suite_scenario_dup(&s.v[0]);
		else if (text)
			load_error_format(&err, why, size);
		json_decref(root);
		free(text);
		if (*spec) {
			*parse = json_deep_copy(def);
			json_object_del(*parse, "expect");
			json_object_del(*parse, "code");
			json_object_del(*parse, "operation");
		}
	}
	suite_release(&s);
	json_decref(def);
	if (*spec && !*parse) {
		suite_scenario_free(*spec);
		*spec = NULL;
	}
	if (!*spec && !*valid && !why[0])
		snprintf(why, size, "out of memory");
	return *spec ? 0 : -1;
}

/* What the test needs to run the call: the pinned base path and the
 * operation the suite expects. */
/* A scenario's name: the suite's, or for one of the caller's own its id
 * (the spec is shared by readers once added, so it is never renamed). */
static const char *spec_name(const struct scenario *sc)
{
	return strcmp(sc->spec->source, OWN_SOURCE) ? sc->spec->name : sc->id;
}

json_t *verdict_spec_json(const struct mock *m, const struct scenario *sc)
{
	const struct suite_scenario *sp = sc->spec;
	char base[200];

	if (!m->prefix_mounts) /* errata proxy: one contract, at the root */
		snprintf(base, sizeof(base), "/__s/%s", sc->id);
	else
		snprintf(base, sizeof(base), "/__s/%s/%s", sc->id, sc->contract->id);
	return json_pack("{ss ss ss ss s{ss ss ss* sb} sf}", "id", sc->id, "name", spec_name(sc), "expect",
			 suite_expect_name(sp->expect), "base_path", base, "operation", "method", sp->method,
			 "path", sp->path, "body", sp->body, "stream", sp->stream, "timeout_s", sp->timeout_s);
}

static const struct jkey outcome_keys[] = {
	{ "ok", JREQUIRED }, { "output", JOPTIONAL }, { NULL, 0 }
};

/* The outcome with --state: set once in the store, for every replica. */
static enum MHD_Result shared_outcome(struct mock *m, struct MHD_Connection *conn, struct scenario *sc,
				      json_t *def)
{
	char *text = json_dumps(def, JSON_COMPACT), why[400];
	int rc = text ? shared_outcome_set(m->shared, sc->id, text, why, sizeof(why)) : -1;

	free(text);
	json_decref(def);
	if (rc < 0)
		return replicas_admin_unavailable(m, conn, text ? why : "out of memory");
	if (!rc)
		return mock_problem(m, conn, MHD_HTTP_CONFLICT, "outcome-exists", "Outcome already reported",
				    "a scenario's outcome is reported once; create a new scenario for another run", NULL);
	return mock_reply_json(conn, MHD_HTTP_OK, "application/json", json_pack("{ss sb}", "id", sc->id, "recorded", 1));
}

enum MHD_Result verdict_outcome(struct mock *m, struct MHD_Connection *conn, struct scenario *sc,
				const char *body, size_t len)
{
	struct load_error err;
	struct jload ld;
	json_t *def = jload_parse(&ld, body ? body : "", len, "request body", &err), *expected = NULL;
	char why[600];

	if (def && !json_is_object(def))
		jload_fail(&ld, 0, "an outcome is an object: {\"ok\": true|false, \"output\": \"what the call returned or raised\"}");
	else if (def && !jload_keys(&ld, def, "an outcome", outcome_keys)) {
		if (!json_is_boolean(json_object_get(def, "ok")))
			jload_fail(&ld, 0, "\"ok\" must be true (the call succeeded) or false (it failed)");
		else if (json_object_get(def, "output") && !json_is_string(json_object_get(def, "output")))
			jload_fail(&ld, 0, "\"output\" must be a string");
	}
	if (!def || ld.failed) {
		load_error_format(&err, why, sizeof(why));
		json_decref(def);
		return mock_problem(m, conn, MHD_HTTP_BAD_REQUEST, "invalid-outcome", "Invalid outcome", why, NULL);
	}
	if (m->shared)
		return shared_outcome(m, conn, sc, def);
	if (atomic_load(&sc->end)) {
		json_decref(def);
		return mock_problem(m, conn, MHD_HTTP_CONFLICT, "outcome-exists", "Outcome already reported",
				    "a scenario's outcome is reported once; create a new scenario for another run", NULL);
	}
	if (scenarios_charge(&m->scenarios, sc, len + 256, why, sizeof(why))) {
		json_decref(def);
		return mock_problem(m, conn, 507, "registry-full", "Scenario registry full", why, NULL);
	}
	if (!atomic_compare_exchange_strong(&sc->end, &expected, def)) { /* a racing report won */
		json_decref(def);
		return mock_problem(m, conn, MHD_HTTP_CONFLICT, "outcome-exists", "Outcome already reported",
				    "a scenario's outcome is reported once; create a new scenario for another run", NULL);
	}
	return mock_reply_json(conn, MHD_HTTP_OK, "application/json", json_pack("{ss sb}", "id", sc->id, "recorded", 1));
}

enum MHD_Result verdict_reply(struct mock *m, struct MHD_Connection *conn, struct scenario *sc)
{
	struct mock_exchanges ex;
	struct verdicts v;
	struct client_end end = { 0 };
	char why[400];
	json_t *endj, *out, *checks;
	const char *output;
	size_t i, failed = 0, passed = 0;

	if (!sc->spec)
		return mock_problem(m, conn, MHD_HTTP_CONFLICT, "no-expectation", "No expectation",
				    "this scenario was created without \"suite\" or \"expect\", so nothing says what a correct client does",
				    NULL);
	if (!m->journal.capacity)
		return mock_problem(m, conn, MHD_HTTP_CONFLICT, "journal-off", "Journal off",
				    "verdicts are judged from the journal, and it is off (--journal-size 0)", NULL);
	if (m->shared && replicas_outcome(m, sc, why, sizeof(why)))
		return replicas_admin_unavailable(m, conn, why);
	endj = atomic_load(&sc->end);
	output = json_string_value(json_object_get(endj, "output"));
	if (endj) {
		end.known = end.exited = 1;
		end.exit_code = json_is_true(json_object_get(endj, "ok")) ? 0 : 1;
		end.output = output;
		end.output_len = output ? strlen(output) : 0;
	}
	if (mock_exchanges(m, sc->id, &ex)) {
		mock_exchanges_release(&ex);
		return m->shared ? replicas_admin_unavailable(m, conn, "the shared journal could not be read") : MHD_NO;
	}
	if (verdict_judge(&v, sc->contract, sc->spec, ex.x, ex.n, &end, sc->spec->timeout_s, NULL)) {
		mock_exchanges_release(&ex);
		return MHD_NO;
	}
	mock_exchanges_release(&ex);
	for (i = 0; i < v.nr; i++) {
		failed += v.v[i].outcome == OUT_FAIL || v.v[i].outcome == OUT_ERROR;
		passed += v.v[i].outcome == OUT_PASS || v.v[i].outcome == OUT_WARN;
	}
	checks = verdicts_json(&v);
	out = json_pack("{ss ss ss so sb s{sO sb so*}}", "id", sc->id, "scenario", spec_name(sc), "expect",
			suite_expect_name(sc->spec->expect), "checks", checks, "passed", !failed && passed,
			"evidence", "attempts", v.attempts, "attempts_cut", v.attempts_cut,
			"client", endj ? json_pack("{sO sO*}", "ok", json_object_get(endj, "ok"),
						   "output", json_object_get(endj, "output")) : NULL);
	verdicts_release(&v);
	return mock_reply_json(conn, MHD_HTTP_OK, "application/json", out);
}

/* GET /__errata/suite?contract=ID[&operation=...]: the client suite's
 * scenarios, each with what a correct client does. */
enum MHD_Result verdict_suite_reply(struct mock *m, struct MHD_Connection *conn)
{
	const char *id = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "contract"),
		   *optext = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "operation");
	struct contract *c = contract_named(m, id);
	struct suite_op op;
	struct suite s;
	json_t *a;
	char why[300];
	size_t i;

	if (!c) {
		json_t *ids = json_array();

		for (i = 0; i < m->nr_mounts; i++)
			json_array_append_new(ids, json_string(m->mounts[i].c->id));
		snprintf(why, sizeof(why), "'%.100s' is not a mounted contract: ask for ?contract=ID", id ? id : "");
		return mock_problem(m, conn, MHD_HTTP_BAD_REQUEST, "unknown-contract", "Unknown contract", why, ids);
	}
	if (optext && suite_op_parse(optext, &op, why, sizeof(why)))
		return mock_problem(m, conn, MHD_HTTP_BAD_REQUEST, "malformed-query", "Malformed query", why, NULL);
	suite_init(&s);
	if (suite_standard(&s, c, optext ? &op : NULL, optext ? 1 : 0) || !(a = json_array())) {
		suite_release(&s);
		return MHD_NO;
	}
	for (i = 0; i < s.nr; i++)
		json_array_append_new(a, json_pack("{ss ss ss* s{ss ss ss* sb} sf}", "name", s.v[i].name, "expect",
						   suite_expect_name(s.v[i].expect), "code",
						   s.v[i].code ? s.v[i].code->code : NULL, "operation", "method",
						   s.v[i].method, "path", s.v[i].path, "body", s.v[i].body,
						   "stream", s.v[i].stream, "timeout_s", s.v[i].timeout_s));
	suite_release(&s);
	return mock_reply_json(conn, MHD_HTTP_OK, "application/json", json_pack("{ss so}", "contract", c->id, "scenarios", a));
}
