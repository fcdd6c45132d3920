/*
 * contract_docs(): Markdown or HTML from a contract, written to a memory
 * stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docs.h"
#include "envelope.h"
#include "sse.h"

/* Text for a table cell or a paragraph: '|' escaped in Markdown; &, <, >
 * in HTML. */
static void text(FILE *f, const char *s, int html)
{
	for (; s && *s; s++) {
		if (html && *s == '&')
			fputs("&amp;", f);
		else if (html && *s == '<')
			fputs("&lt;", f);
		else if (html && *s == '>')
			fputs("&gt;", f);
		else if (!html && *s == '|')
			fputs("\\|", f);
		else if (!html && *s == '\\') /* Markdown reads a backslash as an escape */
			fputs("\\\\", f);
		else if (*s == '\n')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

static void example(FILE *f, const struct contract *c, const struct contract_code *cc, int html)
{
	json_t *body = envelope_render(c, cc, NULL, cc->status);
	char *s = body ? json_dumps(body, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

	if (html) {
		fputs("<pre><code>", f);
		text(f, s, 1);
		fputs("</code></pre>\n", f);
	} else {
		fprintf(f, "```json\n%s\n```\n", s ? s : "{}");
	}
	free(s);
	json_decref(body);
}

static void heading(FILE *f, int level, const char *s, int html)
{
	if (html) {
		fprintf(f, "<h%d>", level);
		text(f, s, 1);
		fprintf(f, "</h%d>\n", level);
	} else {
		fprintf(f, "%.*s %s\n\n", level, "######", s);
	}
}

static void row(FILE *f, const char *const *cells, int n, int head, int html)
{
	int i;

	if (html) {
		fputs("<tr>", f);
		for (i = 0; i < n; i++) {
			fputs(head ? "<th>" : "<td>", f);
			text(f, cells[i], 1);
			fputs(head ? "</th>" : "</td>", f);
		}
		fputs("</tr>\n", f);
		return;
	}
	fputs("|", f);
	for (i = 0; i < n; i++) {
		fputc(' ', f);
		text(f, cells[i], 0);
		fputs(" |", f);
	}
	fputc('\n', f);
	if (head) {
		fputs("|", f);
		for (i = 0; i < n; i++)
			fputs(i == 1 ? "---:|" : "---|", f);
		fputc('\n', f);
	}
}

/* Does a code carry Retry-After unless it says otherwise (as contract.c
 * decides when the code has no "retry_after")? */
static int ra_default(const struct contract *c, const struct contract_code *cc)
{
	json_t *ra = json_object_get(json_object_get(c->root, "headers"), "retry_after"), *v;
	int only = json_is_true(json_object_get(ra, "retryable_only")), listed = 0;
	size_t i;

	json_array_foreach(json_object_get(ra, "statuses"), i, v)
		listed |= json_integer_value(v) == cc->status;
	return listed && (cc->retryable || !only);
}

/* The contract's envelope, headers, policy (and operations) as it states
 * them: what import reads back, so that a page it renders is the contract. */
static void settings(FILE *f, const struct contract *c, int html)
{
	static const char *const keys[] = { "errata", "content_type", "messages", "envelope", "headers", "policy",
					    "operations", "operations_complete", "stream", NULL };
	json_t *o = json_object();
	char *s;
	size_t i;

	json_t *per = json_object();

	for (i = 0; keys[i]; i++)
		if (json_object_get(c->root, keys[i]))
			json_object_set(o, keys[i], json_object_get(c->root, keys[i]));
	for (i = 0; i < c->nr_codes; i++) {  /* what the table has no column for */
		const struct contract_code *cc = &c->codes[i];

		if (cc->details || cc->extra || cc->stream)
			json_object_set_new(per, cc->code, json_pack("{s:O*,s:O*,s:s*}", "details", cc->details, "extra",
								     cc->extra, "stream", cc->stream ? stream_rule_name(cc->stream) : NULL));
	}
	if (json_object_size(per))
		json_object_set(o, "code_members", per);
	json_decref(per);
	s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	heading(f, 2, "Contract settings", html);
	fputs(html ? "<p>" : "", f);
	fputs("The envelope, headers and retry policy of this contract, as errata reads them (", f);
	fputs(html ? "<code>errata contract import</code>" : "`errata contract import`", f);
	fputs(" reads this page back to the same contract):", f);
	if (html) {
		fputs("</p>\n<pre><code class=\"language-json\">", f);
		text(f, s, 1);
		fputs("</code></pre>\n", f);
	} else {
		fprintf(f, "\n\n```json\n%s\n```\n\n", s ? s : "{}");
	}
	free(s);
}

/* Streamed errors: the operations that stream, the codes that arrive
 * inside a stream, and the error event as it is written. */
static void streamed(FILE *f, const struct contract *c, int html)
{
	const struct contract_code *first = NULL;
	json_t *data, *ev;
	char *text_ = NULL, *dumped;
	size_t i, n;

	if (!c->stream.operations)
		return;
	heading(f, 2, "Streamed errors", html);
	fputs(html ? "<p>" : "", f);
	fputs("These operations answer as a server-sent event stream (text/event-stream):", f);
	json_array_foreach(c->stream.operations, i, ev) {
		fputs(i ? ", " : " ", f);
		text(f, contract_stream_op(c, i), html);
	}
	fputs(html ? ".</p>\n" : ".\n\n", f);
	for (i = 0; i < c->nr_codes; i++)
		if (c->codes[i].stream && !first)
			first = &c->codes[i];
	if (!first || !c->stream.error_data)
		return;
	fputs(html ? "<p>" : "", f);
	fputs("After the 200 has begun, an error arrives as an event of the stream:", f);
	for (i = 0, n = 0; i < c->nr_codes; i++)
		if (c->codes[i].stream) {
			fprintf(f, "%s%s (%s)", n++ ? ", " : " ", c->codes[i].code,
				c->codes[i].stream == STREAM_ONLY ? "only there" : "also as its status");
		}
	fputs(html ? ".</p>\n<pre><code class=\"language-text\">" : ".\n\n```text\n", f);
	data = envelope_render_in(c->stream.error_data, first, NULL, first->status, NULL);
	dumped = data ? json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (dumped)
		text_ = sse_write(c->stream.error_event, dumped, strlen(dumped), &n);
	if (text_ && html)
		text(f, text_, 1);
	else if (text_)
		fputs(text_, f); /* a fence: as it is on the wire */
	fputs(html ? "</code></pre>\n" : "```\n\n", f);
	free(text_);
	free(dumped);
	json_decref(data);
}

/* The reference table's optional columns: those some code fills. */
struct columns {
	int name, domain, category, type, body_code, ra, wire;
};

/* What a code's response carries beside its envelope, as one JSON object:
 * {"body": "none"|"any", "headers": {...}, "forbidden_headers": [...]}. */
static char *wire_json(const struct contract_code *cc)
{
	json_t *w = json_object();
	char *text;

	if (cc->body != BODY_ENVELOPE)
		json_object_set_new(w, "body", json_string(cc->body == BODY_NONE ? "none" : "any"));
	if (cc->headers)
		json_object_set(w, "headers", cc->headers);
	if (cc->forbidden)
		json_object_set(w, "forbidden_headers", cc->forbidden);
	text = json_object_size(w) ? json_dumps(w, JSON_COMPACT) : NULL;
	json_decref(w);
	return text;
}

static void reference_head(FILE *f, const struct columns *k, int html)
{
	const char *cells[12];
	int n = 0;

	cells[n++] = "Code";
	cells[n++] = "Status";
	if (k->name)
		cells[n++] = "Name";
	if (k->domain)
		cells[n++] = "Domain";
	if (k->category)
		cells[n++] = "Category";
	if (k->type)
		cells[n++] = "Body type";
	if (k->body_code)
		cells[n++] = "Body code";
	cells[n++] = "Retry?";
	if (k->ra)
		cells[n++] = "Retry-After";
	if (k->wire)
		cells[n++] = "Wire";
	cells[n++] = "Role";
	cells[n++] = "Default message";
	row(f, cells, n, 1, html);
}

static void reference_row(FILE *f, const struct contract_code *cc, const struct columns *k, int html)
{
	const char *cells[12];
	char st[16], *bc = cc->body_code ? json_dumps(cc->body_code, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
	char *wire = k->wire ? wire_json(cc) : NULL;
	int n = 0;

	snprintf(st, sizeof(st), "%d", cc->status);
	cells[n++] = cc->code;
	cells[n++] = st;
	if (k->name)
		cells[n++] = cc->name ? cc->name : "";
	if (k->domain)
		cells[n++] = cc->domain ? cc->domain : "";
	if (k->category)
		cells[n++] = cc->category ? cc->category : "";
	if (k->type)
		cells[n++] = cc->type ? cc->type : "";
	if (k->body_code)
		cells[n++] = bc ? bc : "";
	cells[n++] = cc->retryable ? "Yes" : "No";
	if (k->ra)
		cells[n++] = cc->retry_after ? "Yes" : "No";
	if (k->wire)
		cells[n++] = wire ? wire : "";
	cells[n++] = role_name(cc->role);
	cells[n++] = cc->message;
	row(f, cells, n, 0, html);
	free(bc);
	free(wire);
}

static void reference(FILE *f, const struct contract *c, int html)
{
	struct columns k = { 0 };
	size_t i;

	for (i = 0; i < c->nr_codes; i++) {
		k.name |= c->codes[i].name != NULL;
		k.domain |= c->codes[i].domain != NULL;
		k.category |= c->codes[i].category != NULL;
		k.type |= c->codes[i].type != NULL;
		k.body_code |= c->codes[i].body_code != NULL;
		k.ra |= c->codes[i].retry_after != ra_default(c, &c->codes[i]);
		k.wire |= c->codes[i].body != BODY_ENVELOPE || c->codes[i].headers || c->codes[i].forbidden;
	}
	heading(f, 2, "Reference", html);
	if (html)
		fputs("<table>\n", f);
	reference_head(f, &k, html);
	for (i = 0; i < c->nr_codes; i++)
		reference_row(f, &c->codes[i], &k, html);
	fputs(html ? "</table>\n" : "\n", f);
}

static void bullet(FILE *f, const char *code, const char *key, const char *text_, int html)
{
	fputs(html ? "<li><code>" : "- `", f);
	if (code) {
		text(f, code, html);
		fputs(html ? "</code> " : "` ", f);
		text(f, key, html);
		fputs(": ", f);
	} else {
		text(f, key, html);
		fputs(html ? "</code>: " : "`: ", f);
	}
	text(f, text_, html);
	fputs(html ? "</li>\n" : "\n", f);
}

/* What the source document did not state, and where it contradicts itself. */
static void notes(FILE *f, const struct contract *c, int html)
{
	int inferred = c->inferred && json_object_size(c->inferred);
	const char *key;
	json_t *v;
	size_t i;

	for (i = 0; i < c->nr_codes; i++)
		inferred |= c->codes[i].inferred != NULL;
	if (inferred) {
		heading(f, 2, "Not stated by the source document", html);
		fputs(html ? "<ul>\n" : "", f);
		if (c->inferred)
			json_object_foreach(c->inferred, key, v)
				bullet(f, NULL, key, json_string_value(v), html);
		for (i = 0; i < c->nr_codes; i++)
			if (c->codes[i].inferred)
				json_object_foreach(c->codes[i].inferred, key, v)
					bullet(f, c->codes[i].code, key, json_string_value(v), html);
		fputs(html ? "</ul>\n" : "\n", f);
	}
	if (c->inconsistencies && json_array_size(c->inconsistencies)) {
		heading(f, 2, "Inconsistencies in the source document", html);
		fputs(html ? "<ul>\n" : "", f);
		json_array_foreach(c->inconsistencies, i, v) {
			fputs(html ? "<li>" : "- ", f);
			text(f, json_string_value(v), html);
			fputs(html ? "</li>\n" : "\n", f);
		}
		fputs(html ? "</ul>\n" : "\n", f);
	}
}

/* The title, the media type, and the envelope with its examples. */
static void envelope_part(FILE *f, const struct contract *c, int html)
{
	const struct contract_code *first = NULL;
	size_t i;

	for (i = 0; i < c->nr_codes && !first; i++)
		if (!c->codes[i].status_only)
			first = &c->codes[i];
	if (!first)
		first = &c->codes[0];
	if (html) {
		fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
		text(f, c->title, 1);
		fputs("</title>\n</head>\n<body>\n", f);
	}
	heading(f, 1, c->title, html);
	fputs(html ? "<p>Every error response is <code>" : "Every error response is `", f);
	text(f, c->content_type, html);
	fputs(html ? "</code>" : "`", f);
	fprintf(f, ". This page is rendered from the errata contract '%s' (source: ", c->id);
	text(f, c->source, html);
	fputs(html ? ").</p>\n" : ").\n\n", f);
	heading(f, 2, "Error envelope", html);
	example(f, c, first, html);
	for (i = 0; i < c->nr_codes; i++) {
		const struct contract_code *cc = &c->codes[i];
		char title[160];

		if (cc == first || (!cc->details && !cc->extra))
			continue;
		snprintf(title, sizeof(title), "Example: %s", cc->code);
		if (!html)
			fputc('\n', f);
		heading(f, 3, title, html);
		example(f, c, cc, html);
	}
	if (!html)
		fputc('\n', f);
}

char *contract_docs(const struct contract *c, int html)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	envelope_part(f, c, html);
	reference(f, c, html);
	streamed(f, c, html);
	settings(f, c, html);
	notes(f, c, html);
	if (html)
		fputs("</body>\n</html>\n", f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
