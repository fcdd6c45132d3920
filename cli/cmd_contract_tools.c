/*
 * errata contract import|diff|docs: from a document to a contract, between
 * two versions of a contract, and from a contract back to a document.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "../model/contract.h"
#include "../model/diff.h"
#include "../model/docs.h"
#include "../import/import.h"
#include "../import/openapi.h"

#define MAX_DOC (64u << 20)  /* OPENAPI_MAX_BYTES: the bound on a description */

/* The whole of a file, NUL-terminated; NULL with a message on stderr. */
char *read_all(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0, r;

	if (!f) {
		fprintf(stderr, "errata: cannot open '%s': %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n + 65536 + 1 > cap) {
			cap = cap ? cap * 2 : 65536 * 2;
			if (!(nb = realloc(buf, cap)))
				break;
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (n > MAX_DOC) {
			fprintf(stderr, "errata: '%s' is larger than %u MiB\n", path, MAX_DOC >> 20);
			goto fail;
		}
		if (r == 0)
			break;
	}
	if (ferror(f) || !buf) {
		fprintf(stderr, "errata: cannot read '%s': %s\n", path, strerror(errno));
		goto fail;
	}
	if (f != stdin)
		fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	if (f != stdin)
		fclose(f);
	free(buf);
	return NULL;
}

static int write_out(const char *path, const char *text, int newline)
{
	FILE *f = path ? fopen(path, "w") : stdout;

	if (!f) {
		fprintf(stderr, "errata contract: cannot write '%s': %s\n", path, strerror(errno));
		return -1;
	}
	fputs(text, f);
	if (newline)
		fputc('\n', f);
	if (path ? fclose(f) : fflush(f)) {
		fprintf(stderr, "errata contract: cannot write '%s': %s\n", path ? path : "stdout", strerror(errno));
		return -1;
	}
	return 0;
}

/* The confidence summary; 1 when the result is not credible (nothing is
 * written then), else 0. */
static int import_confidence(const char *doc, const struct contract *c, json_t *report)
{
	json_t *conf = json_object_get(report, "confidence"), *v;
	size_t i;

	fprintf(stderr, "errata contract import: %s: %zu codes%s, %zu warnings\n", doc, c->nr_documented,
		c->nr_codes > c->nr_documented ? " plus status-only entries" : "",
		json_array_size(json_object_get(report, "warnings")));
	fprintf(stderr, "errata contract import: confidence: %s: %s\n",
		json_string_value(json_object_get(conf, "level")), json_string_value(json_object_get(conf, "summary")));
	json_array_foreach(json_object_get(conf, "doubts"), i, v)
		fprintf(stderr, "errata contract import: doubt: %s\n", json_string_value(v));
	if (json_is_true(json_object_get(conf, "credible")))
		return 0;
	fprintf(stderr, "errata contract import: %s: the result is not credible; no contract is written\n", doc);
	return 1;
}

/* --explain: how each code's values were found, and what was assumed. */
static void print_explain(json_t *report)
{
	json_t *ex = json_object_get(report, "explain"), *e, *v;
	const char *code, *field;
	size_t i;

	json_object_foreach(ex, code, e) {
		fprintf(stderr, "  %s\n", code);
		json_array_foreach(json_object_get(e, "found"), i, v)
			fprintf(stderr, "    found in %s\n", json_string_value(v));
		json_object_foreach(json_object_get(e, "inferred"), field, v)
			fprintf(stderr, "    %s inferred: %s\n", field, json_string_value(v));
	}
}

int contract_import_cmd(int argc, char **argv)
{
	const char *doc = NULL, *id = NULL, *out = NULL;
	struct load_error err;
	struct contract *check;
	json_t *report = json_object(), *c, *w;
	char *text, *json, msg[600];
	size_t len, i;
	int rc = 2, explain = 0, spec;

	for (i = 0; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "--id") && i + 1 < (size_t)argc)
			id = argv[++i];
		else if (!strcmp(argv[i], "-o") && i + 1 < (size_t)argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "--explain"))
			explain = 1;
		else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "errata contract import: unknown option '%s'\n", argv[i]);
			goto done;
		} else if (doc) {
			fprintf(stderr, "errata contract import: one document at a time\n");
			goto done;
		} else {
			doc = argv[i];
		}
	}
	if (!doc) {
		usage_fail("contract", "import needs a DOC (usage: errata contract import DOC [--id ID] [-o FILE] [--explain])");
		goto done;
	}
	if (!(text = read_all(doc, &len)))
		goto done;
	spec = openapi_sniff(text, len);
	c = spec ? openapi_import(text, len, doc, id, report, &err) : contract_import(text, len, doc, id, report, &err);
	free(text);
	json_array_foreach(json_object_get(report, "found"), i, w)
		fprintf(stderr, "errata contract import: read: %s\n", json_string_value(w));
	if (!c) {
		load_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "errata contract import: %s\n", msg);
		goto done;
	}
	json = json_dumps(c, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(c);
	/* what the importer writes must load, like any contract */
	check = json ? contract_load_buffer(json, strlen(json), out ? out : "(import)", &err) : NULL;
	if (!check) {
		if (json)
			load_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "errata contract import: the contract built from '%s' does not load: %s\n",
			doc, json ? msg : "out of memory");
		free(json);
		goto done;
	}
	json_array_foreach(json_object_get(report, "warnings"), i, w)
		fprintf(stderr, "errata contract import: warning: %s\n", json_string_value(w));
	if (explain)
		print_explain(report);
	rc = import_confidence(doc, check, report);
	contract_free(check);
	if (rc == 0 && write_out(out, json, 1))
		rc = 2;
	free(json);
done:
	json_decref(report);
	return rc;
}

int contract_diff_cmd(int argc, char **argv)
{
	struct contract *a, *b;
	struct load_error err;
	struct diff_entry *d = NULL;
	size_t n, i, breaking = 0;
	char msg[600];

	if (argc != 2) {
		fprintf(stderr, "usage: errata contract diff OLD NEW\n");
		return 2;
	}
	if (!(a = contract_open(argv[0], &err)) || !(b = contract_open(argv[1], &err))) {
		load_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "errata contract diff: %s\n", msg);
		contract_free(a);
		return 2;
	}
	n = contract_diff(a, b, &d);
	for (i = 0; i < n; i++) {
		printf("%s %s\n", d[i].breaking ? "BREAKING" : "ok      ", d[i].text);
		breaking += d[i].breaking;
	}
	printf("%s -> %s: %zu changes, %zu breaking\n", a->id, b->id, n, breaking);
	free(d);
	contract_free(a);
	contract_free(b);
	return breaking ? 1 : 0;
}

int contract_docs_cmd(int argc, char **argv)
{
	const char *id = NULL, *format = "md", *out = NULL;
	struct load_error err;
	struct contract *c;
	char *text, msg[600];
	int i, rc;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--format") && i + 1 < argc)
			format = argv[++i];
		else if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (argv[i][0] == '-')
			return usage_fail("contract", "docs: '%s' is not an option here (or needs a value)", argv[i]);
		else if (id)
			return usage_fail("contract", "docs takes one ID or FILE, not '%s' too", argv[i]);
		else
			id = argv[i];
	}
	if (!id)
		return usage_fail("contract", "docs needs an ID or FILE");
	if (strcmp(format, "md") && strcmp(format, "html"))
		return usage_fail("contract", "docs: --format '%s' is not md or html", format);
	if (!(c = contract_open(id, &err))) {
		load_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "errata contract docs: %s\n", msg);
		return 1;
	}
	text = contract_docs(c, !strcmp(format, "html"));
	rc = text && !write_out(out, text, 0) ? 0 : 2;
	free(text);
	contract_free(c);
	return rc;
}
