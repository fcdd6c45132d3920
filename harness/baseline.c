/*
 * Baselines (known failures) and the JSON report: the two views of a run
 * made for tools rather than people.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "../model/jload.h"
#include "../model/version.h"

#define BASELINE_MAX (16u << 20)

static int failing(const struct check_result *ch)
{
	return ch->outcome == OUT_FAIL || ch->outcome == OUT_ERROR;
}

int baseline_write(const char *file, const struct check_run *run)
{
	json_t *list = json_array(), *doc;
	size_t i, j;
	int rc;

	for (i = 0; i < run->nr; i++)
		for (j = 0; j < run->results[i].nr; j++)
			if (failing(&run->results[i].checks[j]))
				json_array_append_new(list, json_pack("{ss ss}", "scenario", run->results[i].fc->name,
								      "check", run->results[i].checks[j].id));
	doc = json_pack("{si ss so}", "errata_baseline", 1, "contract", run->cfg.contract->id, "failures", list);
	rc = doc ? json_dump_file(doc, file, JSON_INDENT(2) | JSON_ENSURE_ASCII) : -1;
	json_decref(doc);
	return rc ? -1 : 0;
}

static const struct jkey baseline_keys[] = {
	{ "errata_baseline", JREQUIRED }, { "contract", JREQUIRED }, { "failures", JREQUIRED }, { NULL, 0 }
};
static const struct jkey entry_keys[] = { { "scenario", JREQUIRED }, { "check", JREQUIRED }, { NULL, 0 } };

/* The baseline's entries, checked: an array of {scenario, check}. */
static json_t *baseline_read(const char *file, const char *contract, char *why, size_t size)
{
	struct load_error err = { 0 };
	struct jload ld;
	FILE *f = fopen(file, "rb");
	char *text = malloc(BASELINE_MAX);
	size_t len = f && text ? fread(text, 1, BASELINE_MAX, f) : 0, i;
	json_t *root = NULL, *list = NULL, *e;

	if (!f || !text || len == BASELINE_MAX) {
		snprintf(why, size, "%s: %s", file, !f ? strerror(errno) : !text ? "out of memory" :
			 "a baseline is at most 16 MiB");
		goto out;
	}
	root = jload_parse(&ld, text, len, file, &err);
	if (root && (!json_is_object(root) ? jload_fail(&ld, 0, "a baseline is an object (written by --write-baseline)") :
		     jload_keys(&ld, root, "a baseline", baseline_keys))) {
		/* the error is in err */
	} else if (root && json_integer_value(json_object_get(root, "errata_baseline")) != 1) {
		jload_fail(&ld, 0, "errata_baseline must be 1");
	} else if (root && !jload_string(&ld, root, "contract", 0)) {
		/* the error is in err */
	} else if (root && strcmp(json_string_value(json_object_get(root, "contract")), contract)) {
		jload_fail(&ld, 0, "this baseline is of contract '%.100s', not '%.100s'",
			   json_string_value(json_object_get(root, "contract")), contract);
	} else if (root && !json_is_array(json_object_get(root, "failures"))) {
		jload_fail(&ld, 0, "failures must be an array of {\"scenario\", \"check\"}");
	} else if (root) {
		jpath_key(&ld.path, "failures");
		json_array_foreach(json_object_get(root, "failures"), i, e) {
			jpath_index(&ld.path, i);
			if (!json_is_object(e) || jload_keys(&ld, e, "a baseline entry", entry_keys) ||
			    !jload_string(&ld, e, "scenario", 0) || !jload_string(&ld, e, "check", 0)) {
				if (!ld.failed)
					jload_fail(&ld, 0, "a baseline entry is {\"scenario\": NAME, \"check\": ID}");
				break;
			}
			jpath_pop(&ld.path);
		}
		if (!ld.failed)
			list = json_incref(json_object_get(root, "failures"));
	}
	if (!list)
		load_error_format(&err, why, size);
out:
	if (f)
		fclose(f);
	free(text);
	json_decref(root);
	return list;
}

static int listed(json_t *list, const char *scenario, const char *check)
{
	json_t *e;
	size_t i;

	json_array_foreach(list, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "scenario")), scenario) &&
		    !strcmp(json_string_value(json_object_get(e, "check")), check))
			return 1;
	return 0;
}

int baseline_apply(const char *file, struct check_run *run, struct baseline_outcome *out, FILE *log,
		   const char *tool, char *why, size_t size)
{
	json_t *list = baseline_read(file, run->cfg.contract->id, why, size), *e;
	size_t i, j;

	memset(out, 0, sizeof(*out));
	if (!list)
		return -1;
	for (i = 0; i < run->nr; i++)
		for (j = 0; j < run->results[i].nr; j++) {
			struct check_result *ch = &run->results[i].checks[j];

			if (!failing(ch))
				continue;
			if (!listed(list, run->results[i].fc->name, ch->id)) {
				out->fresh++;
				continue;
			}
			ch->known = 1;
			out->known++;
			run->known++;
			if (ch->outcome == OUT_FAIL)
				run->failed--;
			else
				run->errors--;
		}
	json_array_foreach(list, j, e) {
		const char *sc = json_string_value(json_object_get(e, "scenario")),
			   *id = json_string_value(json_object_get(e, "check"));
		const struct check_result *now = NULL;

		for (i = 0; i < run->nr && !now; i++) {
			size_t k;

			if (strcmp(run->results[i].fc->name, sc))
				continue;
			for (k = 0; k < run->results[i].nr && !now; k++)
				if (!strcmp(run->results[i].checks[k].id, id))
					now = &run->results[i].checks[k];
			if (!now)
				now = &run->results[i].checks[0]; /* run, but that check did not apply */
		}
		if (!now) {
			out->absent++;
		} else if (!failing(now)) {
			out->fixed++;
			fprintf(log, "errata %s: fixed (in the baseline, now passing): %s: %s\n", tool, sc, id);
		}
	}
	json_decref(list);
	return 0;
}

void report_json(FILE *out, const struct check_run *run, const char *tool, const char *name,
		 const char *command)
{
	json_t *cases = json_array(), *doc;
	size_t i, j;

	for (i = 0; i < run->nr; i++) {
		const struct case_result *cr = &run->results[i];
		json_t *checks = json_array();

		for (j = 0; j < cr->nr; j++) {
			json_t *c = json_pack("{ss ss ss}", "id", cr->checks[j].id, "outcome",
					      outcome_name(cr->checks[j].outcome), "message",
					      cr->checks[j].message ? cr->checks[j].message : "");

			if (c && cr->checks[j].known)
				json_object_set_new(c, "known", json_true());
			json_array_append_new(checks, c);
		}
		json_array_append_new(cases, json_pack("{ss ss so sO* sf}", "name", cr->fc->name, "source",
						       cr->fc->source ? cr->fc->source : "", "checks", checks,
						       "evidence", cr->evidence, "seconds", cr->seconds));
	}
	doc = json_pack("{ss ss ss* ss* ss* s{sI sI sI sI sI sI} sf so}", "errata", ERRATA_VERSION, "tool", tool,
			"name", name, "contract", run->cfg.contract ? run->cfg.contract->id : NULL, "command", command,
			"totals", "cases", (json_int_t)run->nr, "passed", (json_int_t)run->passed, "failed",
			(json_int_t)run->failed, "errors", (json_int_t)run->errors, "skipped", (json_int_t)run->skipped,
			"known", (json_int_t)run->known, "seconds", run->seconds, "cases", cases);
	if (run->unreachable && doc)
		json_object_set_new(doc, "unreachable", json_string(run->unreachable_why));
	if (doc)
		json_dumpf(doc, out, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
	fputc('\n', out);
	json_decref(doc);
}
