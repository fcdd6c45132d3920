/*
 * contract_docs(): Markdown or HTML from a contract, written to a memory
 * stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docs.h"
#include "envelope.h"

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

char *contract_docs(const struct contract *c, int html)
{
	char *buf = NULL, st[16];
	size_t size = 0, i;
	const char *key;
	json_t *v;
	int has_name = 0, has_domain = 0, has_category = 0, n, inferred = 0;
	FILE *f = open_memstream(&buf, &size);
	const struct contract_code *first = NULL;

	if (!f)
		return NULL;
	for (i = 0; i < c->nr_codes; i++) {
		has_name |= c->codes[i].name != NULL;
		has_domain |= c->codes[i].domain != NULL;
		has_category |= c->codes[i].category != NULL;
		if (!first && !c->codes[i].status_only)
			first = &c->codes[i];
		inferred |= c->codes[i].inferred != NULL;
	}
	if (!first)
		first = &c->codes[0];
	if (html) {
		fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
		text(f, c->title, 1);
		fputs("</title>\n</head>\n<body>\n", f);
	}
	heading(f, 1, c->title, html);
	if (html)
		fputs("<p>", f);
	fputs("Every error response is ", f);
	fputs(html ? "<code>" : "`", f);
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

	heading(f, 2, "Reference", html);
	if (html)
		fputs("<table>\n", f);
	{
		const char *cells[6];

		n = 0;
		cells[n++] = "Code";
		cells[n++] = "Status";
		if (has_name)
			cells[n++] = "Name";
		if (has_domain || has_category)
			cells[n++] = has_domain ? "Domain" : "Category";
		cells[n++] = "Retry?";
		cells[n++] = "Default message";
		row(f, cells, n, 1, html);
	}
	for (i = 0; i < c->nr_codes; i++) {
		const struct contract_code *cc = &c->codes[i];
		const char *cells[6];

		snprintf(st, sizeof(st), "%d", cc->status);
		n = 0;
		cells[n++] = cc->code;
		cells[n++] = st;
		if (has_name)
			cells[n++] = cc->name ? cc->name : "";
		if (has_domain || has_category)
			cells[n++] = has_domain ? (cc->domain ? cc->domain : "") : (cc->category ? cc->category : "");
		cells[n++] = cc->retryable ? "Yes" : "No";
		cells[n++] = cc->message;
		row(f, cells, n, 0, html);
	}
	if (html)
		fputs("</table>\n", f);
	else
		fputc('\n', f);

	if (inferred || (c->inferred && json_object_size(c->inferred))) {
		heading(f, 2, "Not stated by the source document", html);
		fputs(html ? "<ul>\n" : "", f);
		if (c->inferred)
			json_object_foreach(c->inferred, key, v) {
				fputs(html ? "<li><code>" : "- `", f);
				text(f, key, html);
				fputs(html ? "</code>: " : "`: ", f);
				text(f, json_string_value(v), html);
				fputs(html ? "</li>\n" : "\n", f);
			}
		for (i = 0; i < c->nr_codes; i++)
			if (c->codes[i].inferred)
				json_object_foreach(c->codes[i].inferred, key, v) {
					fputs(html ? "<li><code>" : "- `", f);
					text(f, c->codes[i].code, html);
					fputs(html ? "</code> " : "` ", f);
					text(f, key, html);
					fputs(": ", f);
					text(f, json_string_value(v), html);
					fputs(html ? "</li>\n" : "\n", f);
				}
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
	if (html)
		fputs("</body>\n</html>\n", f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
