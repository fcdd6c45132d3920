/*
 * errata contract import's entry for reference pages: the document's
 * state (import_doc_new, import_doc_free), from its text to a contract
 * (contract_import), the confidence summary and the report of what was
 * read, and the check that what is built loads as any contract does.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model/contract.h"
#include "import.h"
#include "import_doc.h"
#include "../model/utf8.h"

struct doc *import_doc_new(char *text)
{
	struct doc *d = calloc(1, sizeof(*d));

	if (!d) {
		free(text);
		return NULL;
	}
	d->text = text;
	d->examples = json_array();
	d->example_status = json_array();
	d->warnings = json_array();
	d->notes = json_array();
	d->found = json_array();
	if (!d->text || !d->examples || !d->example_status || !d->warnings || !d->notes || !d->found || import_split_lines(d)) {
		import_doc_free(d);
		return NULL;
	}
	return d;
}

static void code_release(struct icode *ic)
{
	if (ic->description == ic->message)
		ic->description = NULL;
	free(ic->code); free(ic->name); free(ic->message); free(ic->description);
	free(ic->domain); free(ic->category); free(ic->resolution); free(ic->type);
	json_decref(ic->details); json_decref(ic->extra); json_decref(ic->inferred);
	json_decref(ic->why);
	json_decref(ic->body_code);
	json_decref(ic->wire);
}

/* Is `name` a member of an example body (at any depth)? */
static int example_member(json_t *v, const char *name)
{
	const char *k;
	json_t *m;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, m)
			if (example_member(m, name))
				return 1;
		return 0;
	}
	json_object_foreach(v, k, m)
		if (!strcmp(k, name) || example_member(m, name))
			return 1;
	return 0;
}

void import_drop_non_codes(struct doc *d)
{
	static const char *const words[] = { "string", "integer", "float", "boolean", "number", "object", "array",
					     "null", "json", "html", "xml", "yaml", "csv", "text", NULL };
	size_t i, k, n = 0;

	for (i = 0; i < d->nr_codes; i++) {
		struct icode *ic = &d->codes[i];
		int word = 0;

		for (k = 0; words[k] && !ic->status_only; k++)
			word |= !strcmp(ic->code, words[k]);
		if (!ic->status_only && (word || example_member(d->examples, ic->code))) {
			import_note(d, "'%s' is %s, not a code: it is left out", ic->code,
				    word ? "a type or a format's name" : "a member of the page's error example");
			code_release(ic);
			continue;
		}
		d->codes[n++] = *ic;
	}
	d->nr_codes = n;
}

/* The table whose names an example shows as its type, beside a code that
 * table does not name; 0 when none. */
static int type_table(struct doc *d)
{
	size_t i;

	for (i = 0; i < json_array_size(d->examples); i++) {
		const char *code = NULL;
		json_t *err = import_example_error(json_array_get(d->examples, i), &code);
		const char *type = json_string_value(json_object_get(err, "type"));
		struct icode *t = type ? import_find_code(d, type) : NULL, *c = code ? import_find_code(d, code) : NULL;

		if (t && t->table && (!c || c->table != t->table))
			return t->table;
	}
	return 0;
}

void import_drop_type_tables(struct doc *d)
{
	int table = type_table(d);
	size_t i, n = 0;

	if (!table)
		return;
	for (i = 0; i < d->nr_codes; i++) {
		struct icode *ic = &d->codes[i];

		if (ic->table == table) {
			import_note(d, "'%s' is a value of the example's type member, not a code: its table lists types", ic->code);
			code_release(ic);
			continue;
		}
		d->codes[n++] = *ic;
	}
	d->nr_codes = n;
	d->nr_tables--;
}

void import_drop_other_sections(struct doc *d)
{
	struct icode *shown = NULL;
	size_t i, n = 0, dropped = 0, section;
	char name[128];

	for (i = 0; i < json_array_size(d->examples) && !shown; i++) {
		const char *code = NULL;

		if (import_example_error(json_array_get(d->examples, i), &code) && code)
			shown = import_find_code(d, code);
	}
	if (!shown || !shown->table || !shown->section)
		return;
	section = shown->section;  /* the codes move below: keep what is needed of it */
	snprintf(name, sizeof(name), "%s", shown->code);
	for (i = 0; i < d->nr_codes; i++) {
		struct icode *ic = &d->codes[i];

		if (ic->table && ic->section && ic->section != section &&
		    !strcasestr(d->lines[ic->section - 1], "error")) {
			if (!dropped++)
				import_note(d, "the example's code %s is listed under '%.60s'; codes under '%.60s' are not "
					    "this API's error codes: left out", name, d->lines[section - 1],
					    d->lines[ic->section - 1]);
			code_release(ic);
			continue;
		}
		d->codes[n++] = *ic;
	}
	d->nr_codes = n;
	if (dropped)
		import_found(d, "%zu codes of other sections left out (the example's code is listed under '%.60s')",
			     dropped, d->lines[section - 1]);
}

void import_doc_free(struct doc *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->nr_codes; i++)
		code_release(&d->codes[i]);
	for (i = 0; i < d->nr_statuses; i++)
		free(d->statuses[i].meaning);
	json_decref(d->examples);
	json_decref(d->example_status);
	json_decref(d->warnings);
	json_decref(d->notes);
	json_decref(d->found);
	json_decref(d->envelope);
	json_decref(d->settings);
	for (i = 0; i < d->nr_owned; i++)
		free(d->owned[i]);
	free(d->owned);
	free(d->text); free(d->linebuf); free(d->lines); free(d->offs); free(d->src_line);
	free(d);
}

static int named_like_status(const char *code)
{
	return strlen(code) == 3 && strspn(code, "0123456789") == 3 && code[0] >= '1' && code[0] <= '5';
}

static const char *what_it_saw(const struct doc *d, char *out, size_t size);

/* How far the result can be trusted, and the doubts that make it not credible. */
static json_t *judge(const struct doc *d)
{
	size_t i, n = 0, st_inf = 0, retry_inf = 0, so = 0, like_status = 0, at422 = 0;
	json_t *doubts = json_array(), *out;
	const char *example = NULL;
	char seen[200];
	const char *level;
	char *summary;

	for (i = 0; i < d->nr_codes; i++) {
		const struct icode *ic = &d->codes[i];

		if (ic->status_only) {
			so++;
			continue;
		}
		n++;
		st_inf += json_object_get(ic->inferred, "status") != NULL;
		retry_inf += json_object_get(ic->inferred, "retryable") != NULL;
		like_status += named_like_status(ic->code);
		at422 += ic->status == 422 && json_object_get(ic->inferred, "status");
	}
	for (i = 0; i < d->nr_codes && !example; i++)
		if (!d->codes[i].status_only && (!like_status || named_like_status(d->codes[i].code)))
			example = d->codes[i].code;
	if (like_status)
		json_array_append_new(doubts, json_sprintf("%zu of %zu codes are named like HTTP statuses ('%s'): the page's statuses were read as codes",
							   like_status, n, example));
	if (n >= 3 && at422 == n)
		json_array_append_new(doubts, json_sprintf("every code's status is an inferred 422 ('%s' among them)", example));
	if (d->candidates > d->nr_read)
		json_array_append_new(doubts, json_sprintf("the page shows %zu error entries; %zu were read; %s", d->candidates,
							   d->nr_read, what_it_saw(d, seen, sizeof(seen))));
	level = json_array_size(doubts) ? "not credible" : !n ? "low" :
		!st_inf && !json_array_size(d->warnings) ? "high" : st_inf * 2 <= n ? "medium" : "low";
	summary = import_printf("%zu codes (%zu with a stated status, %zu inferred), %zu status-only entries, "
				"%zu retry values inferred, %zu warnings", n, n - st_inf, st_inf, so, retry_inf,
				json_array_size(d->warnings) + json_array_size(d->notes));
	out = json_pack("{s:s,s:s,s:o,s:b}", "level", level, "summary", summary ? summary : "",
			"doubts", doubts, "credible", !json_array_size(doubts));
	free(summary);
	return out;
}

/* The importer's last check: what it built must load like any contract
 * (a settings block or a description can state what lint refuses). On
 * failure *c is released and err says why. Returns 0 or -1. */
int import_verify(json_t **c, struct load_error *err)
{
	struct load_error le;
	struct contract *loaded;
	char *text, msg[300];

	if (!*c)
		return -1;
	text = json_dumps(*c, JSON_COMPACT);
	loaded = text ? contract_load_buffer(text, strlen(text), "(import)", &le) : NULL;
	free(text);
	if (loaded) {
		contract_free(loaded);
		return 0;
	}
	load_error_format(&le, msg, sizeof(msg));
	if (err)
		snprintf(err->text, sizeof(err->text), "the contract built from it does not load (%.200s)", msg);
	json_decref(*c);
	*c = NULL;
	return -1;
}

void import_report(struct doc *d, json_t *report)
{
	json_t *w = json_array(), *ex = json_object();
	size_t i;

	if (!report) {
		json_decref(w);
		json_decref(ex);
		return;
	}
	json_array_extend(w, d->warnings);
	json_array_extend(w, d->notes);
	for (i = 0; i < d->nr_codes; i++) {
		const struct icode *ic = &d->codes[i];

		json_object_set_new(ex, ic->code, json_pack("{s:O*,s:O*}", "found", ic->why, "inferred", ic->inferred));
	}
	json_object_set_new(report, "warnings", w);
	json_object_set(report, "found", d->found);
	json_object_set_new(report, "explain", ex);
	json_object_set_new(report, "confidence", judge(d));
}

/* An HTML page (not Markdown with a tag in it): it opens with a doctype or
 * <html>, or holds a table or several block tags. */
static int is_html(const char *s)
{
	const char *p = s + strspn(s, " \t\r\n");

	if (!strncasecmp(p, "<!doctype html", 14) || !strncasecmp(p, "<html", 5))
		return 1;
	/* Markdown headings or fences: Markdown with HTML blocks in it (md4c reads both) */
	if (!strncmp(p, "# ", 2) || !strncmp(p, "## ", 3) || strstr(s, "\n# ") || strstr(s, "\n## ") ||
	    strstr(s, "\n### ") || strstr(s, "\n```"))
		return 0;
	return strcasestr(s, "<table") || strcasestr(s, "<tr>") ||
	       (strcasestr(s, "<p>") && (strcasestr(s, "<h1") || strcasestr(s, "<h2") || strcasestr(s, "<li")));
}

/* A line of what the page shows, for a refusal: its first table's header,
 * else its first heading, else its first line of text (quoted, cut on a
 * UTF-8 boundary). */
static const char *what_it_saw(const struct doc *d, char *out, size_t size)
{
	const char *pick = NULL, *what = "";
	size_t i, line = 0, k;

	for (i = 0; i + 1 < d->nr_lines && !pick; i++)
		if (d->lines[i][0] == '|' && strstr(d->lines[i + 1], "---"))
			pick = d->lines[i], what = "its first table is", line = i;
	for (i = 0; i < d->nr_lines && !pick; i++)
		if (d->lines[i][0] == '#' && d->lines[i][strspn(d->lines[i], "# ")])
			pick = d->lines[i], what = "its first heading is", line = i;
	for (i = 0; i < d->nr_lines && !pick; i++)
		if (d->lines[i][strspn(d->lines[i], " \t")])
			pick = d->lines[i], what = "it begins", line = i;
	if (!pick) {
		snprintf(out, size, "the page holds no text");
		return out;
	}
	k = utf8_cut(pick, strlen(pick), 80);
	snprintf(out, size, "%s '%.*s%s' (line %zu)", what, (int)k, pick, k < strlen(pick) ? "..." : "",
		 import_line(d, line));
	return out;
}

json_t *contract_import(const char *text, size_t len, const char *source,
			const char *id, json_t *report, struct load_error *err)
{
	struct doc *d;
	json_t *c = NULL;
	char *copy, *clean;
	size_t bad = 0, *map = NULL, nr_map = 0;

	if (err) {
		memset(err, 0, sizeof(*err));
		snprintf(err->source, sizeof(err->source), "%s", source);
	}
	if (memchr(text, '\0', len)) {
		if (err)
			snprintf(err->text, sizeof(err->text), "the document holds NUL bytes; it is not text");
		return NULL;
	}
	/* `text` need not end in a NUL or be UTF-8: work on a copy that is both */
	copy = strndup(text, len);
	clean = copy ? utf8_sanitize(copy, &bad) : NULL;
	free(copy);
	if (clean && !is_html(clean) && (strstr(clean, "\n==") || !strncmp(clean, "==", 2))) {  /* RST simple tables */
		char *md = import_rst_simple_tables(clean);

		free(clean);
		clean = md;
	}
	if (clean) {
		char *plain = is_html(clean) ? import_html_to_text(clean, strlen(clean), &map, &nr_map) :
			      import_markdown_to_text(clean, strlen(clean), &map, &nr_map);

		free(clean);
		clean = plain;
	}
	if (!(d = import_doc_new(clean))) {
		free(map);
		if (err)
			snprintf(err->text, sizeof(err->text), "out of memory");
		return NULL;
	}
	d->src_line = map;
	d->nr_src_line = nr_map;
	if (bad)
		import_note(d, "%zu bytes are not UTF-8; each is read as U+FFFD", bad);
	import_read_grid_tables(d);
	import_read_asciidoc(d);
	import_read_tables(d);
	import_read_layouts(d);
	import_read_examples(d);
	c = import_build(d, source, id);
	if (c) {
		import_verify(&c, err);
	} else if (err) {
		char seen[200];

		snprintf(err->text, sizeof(err->text),
			 "no error codes found: %zu tables, %zu JSON examples and no entry led by a status or a code; %s. "
			 "errata reads a table with a Code or Status column, '## `code`' or '## 404 ...' headings, "
			 "a definition list of codes, or an error example with a code member",
			 d->nr_seen_tables, json_array_size(d->examples), what_it_saw(d, seen, sizeof(seen)));
	}
	import_report(d, report);
	import_doc_free(d);
	return c;
}
