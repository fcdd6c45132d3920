/*
 * The client verdict engine's inputs: a scenario definition (a file's, or
 * the admin API's body), an operation ("GET /v1/models"), journal entries
 * (what the mock recorded, written as the admin API's JSON and handed to
 * the engine as exchanges) judged against every kind of scenario
 * with and without the client's end, and a baseline file applied to a run.
 * Line 1: the scenario; line 2: the operation; line 3: the entries; line 4:
 * the baseline. Properties: nothing crashes, a judgement that saw no
 * attempt never passes, and every message is valid UTF-8.
 */
#include <time.h>
#include <unistd.h>

#include "fuzz.h"
#include "../harness/baseline.h"
#include "../model/jload.h"
#include "../model/suite.h"
#include "../model/utf8.h"
#include "../model/verdict.h"

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The fuzzed journal entries (JSON, as the admin API writes them) as the
 * exchanges the mock hands the engine: hostile values reach it as they are. */
static struct exchange *to_exchanges(json_t *entries, const char ***hbuf)
{
	size_t n = json_array_size(entries), i, k, pairs = 0;
	struct exchange *x = calloc(n + 1, sizeof(*x));
	const char **h;
	json_t *e;

	json_array_foreach(entries, i, e)
		pairs += json_array_size(json_object_get(e, "headers"));
	h = *hbuf = calloc(2 * pairs + 1, sizeof(*h));
	json_array_foreach(entries, i, e) {
		const char *hash = str(e, "body_hash"), *when = str(e, "time");
		struct tm tm = { 0 };
		int ms = 0;
		json_t *pair;

		x[i].t_us = json_integer_value(json_object_get(e, "t_us"));
		if (when && sscanf(when, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
				   &tm.tm_min, &tm.tm_sec, &ms) == 7) {
			tm.tm_year -= 1900;
			tm.tm_mon -= 1;
			x[i].wall = (double)timegm(&tm) + ms / 1000.0;
		}
		x[i].method = str(e, "method") ? str(e, "method") : "";
		x[i].path = str(e, "path") ? str(e, "path") : "";
		x[i].idempotency_key = str(e, "idempotency_key");
		x[i].fault = str(e, "fault");
		x[i].retry_after = str(e, "retry_after");
		x[i].wait = str(e, "wait");
		x[i].body_hash = hash ? strtoull(hash + strcspn(hash, ":") + (strchr(hash, ':') ? 1 : 0), NULL, 16) : 0;
		x[i].status = (int)json_integer_value(json_object_get(e, "status"));
		x[i].headers = h;
		json_array_foreach(json_object_get(e, "headers"), k, pair) {
			const char *name = json_string_value(json_array_get(pair, 0));
			const char *value = json_string_value(json_array_get(pair, 1));

			if (name && value) {
				*h++ = name;
				*h++ = value;
				x[i].nr_headers++;
			}
		}
	}
	return x;
}

static void judge_all(const struct contract *c, const struct suite *s, json_t *entries, const char *out, size_t len)
{
	const char **hbuf = NULL;
	struct exchange *x = to_exchanges(entries, &hbuf);
	struct client_end ends[2] = { { 0 }, { 1, 1, (int)(len % 3), 0, 0, (int)(len % 5 == 0), (int)(len % 7 == 0),
					     1.5, out, len, NULL, 0 } };
	size_t i, k, e;

	for (i = 0; i < s->nr && i < 12; i++)
		for (e = 0; e < 2; e++) {
			struct verdicts v;
			int passed = 0;

			if (verdict_judge(&v, c, &s->v[i], x, json_array_size(entries), &ends[e], 30, NULL))
				continue;
			for (k = 0; k < v.nr; k++) {
				FUZZ_ASSERT(v.v[k].message && utf8_valid(v.v[k].message, strlen(v.v[k].message)),
					    "check %s: a message that is not UTF-8", v.v[k].id);
				passed |= v.v[k].outcome == OUT_PASS;
			}
			FUZZ_ASSERT(json_array_size(entries) || !passed, "a judgement that saw no attempt passed");
			json_decref(verdicts_json(&v));
			verdicts_release(&v);
		}
	free(x);
	free(hbuf);
}

static void baseline(const char *text, const struct contract *c, const struct suite *s)
{
	char path[] = "/tmp/errata-fuzz-baseline-XXXXXX", why[300];
	struct case_result cr[2];
	struct fixture_case fc[2];
	struct check_result checks[2][2];
	struct check_run run;
	struct baseline_outcome bo;
	FILE *devnull = fopen("/dev/null", "w");
	int fd = mkstemp(path);
	size_t i;

	if (fd < 0 || !devnull || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		if (fd >= 0)
			close(fd);
		if (devnull)
			fclose(devnull);
		return;
	}
	close(fd);
	memset(&run, 0, sizeof(run));
	memset(cr, 0, sizeof(cr));
	memset(fc, 0, sizeof(fc));
	run.cfg.contract = c;
	run.results = cr;
	run.nr = s->nr < 2 ? s->nr : 2;
	for (i = 0; i < run.nr; i++) {
		fc[i].name = s->v[i].name;
		cr[i].fc = &fc[i];
		cr[i].checks = checks[i];
		cr[i].nr = 2;
		checks[i][0] = (struct check_result){ "retry.waited", OUT_FAIL, "m", 0 };
		checks[i][1] = (struct check_result){ "client.exit", OUT_PASS, "m", 0 };
		run.failed++;
	}
	if (!baseline_apply(path, &run, &bo, devnull, "client", why, sizeof(why)))
		FUZZ_ASSERT(bo.known + bo.fresh == run.nr && run.failed + run.known == run.nr, "baseline counts disagree");
	else
		FUZZ_ASSERT(why[0], "a refused baseline without a reason");
	unlink(path);
	fclose(devnull);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n, i;
	struct contract **cs = fuzz_contracts(&n);
	const struct contract *c = cs[size % n];
	char *s = fuzz_string(data, size), *parts[4] = { 0 }, *p = s, why[300];
	struct suite suite;
	struct suite_op op;
	struct load_error err;
	struct jload ld;
	json_t *root, *entries;

	for (i = 0; i < 4; i++) {
		char *nl = strchr(p, '\n');

		parts[i] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	for (i = 0; i < 4; i++)
		if (!parts[i])
			parts[i] = "";
	suite_init(&suite);
	if ((root = jload_parse(&ld, parts[0], strlen(parts[0]), "fuzz", &err))) {
		if (suite_load_json(&suite, &ld, root, c, "fuzz"))
			FUZZ_ASSERT(err.text[0], "a refused scenario without a reason");
		json_decref(root);
	}
	if (!suite_op_parse(parts[1], &op, why, sizeof(why)))
		suite_standard(&suite, c, &op, 1);
	else
		suite_standard(&suite, c, NULL, 0);
	entries = json_loads(parts[2], 0, NULL);
	if (!json_is_array(entries)) {
		json_decref(entries);
		entries = json_array();
	}
	judge_all(c, &suite, entries, parts[3], strlen(parts[3]));
	baseline(parts[3], c, &suite);
	json_decref(entries);
	suite_release(&suite);
	free(s);
	return 0;
}
