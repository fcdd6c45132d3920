/*
 * Codes a page presents as terms: a definition list ("`M_FORBIDDEN`" then
 * ": Forbidden access"), and a paragraph led by a code alone on its line
 * ("**AccessDeniedException**" then "Message: ...", "OK to retry? No"),
 * under a section heading that gives the status ("HTTP status code 400").
 * A paragraph led by a status title ("Internal Server Error (HTTP 500)") is
 * a status-only entry. Only in a section on errors.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "import_doc.h"
#include "layouts.h"

/* A line without its leading blanks. */
static const char *import_trim_line(const char *l)
{
	return l + strspn(l, " \t");
}

/* Is the section of line i about errors (its heading says "error" or
 * "codes")? A list of headers or settings is no list of codes. */
int import_about_errors(const struct doc *d, size_t i)
{
	while (i-- > 0)
		if (d->lines[i][0] == '#')
			return strcasestr(d->lines[i], "error") || strcasestr(d->lines[i], "codes") ||
			       strcasestr(d->lines[i], "status code") || strcasestr(d->lines[i], "exception");
	return 0;
}

/* A definition list of codes: a term that is a code alone ("`M_FORBIDDEN`"),
 * its definition on the lines below (": Forbidden access, ..."), where the
 * code's status and retry advice are read. */
void import_definition(struct doc *d, size_t i)
{
	const char *code, *rest, *t = d->lines[i];
	size_t n, k;
	int st = 0, retry = -1;
	struct icode *ic;
	char *c;

	if (*t != '`' || !import_lead_code(t, &code, &n, &rest) || *rest || i + 1 >= d->nr_lines ||
	    strncmp(d->lines[i + 1], ": ", 2) || !import_about_errors(d, i))
		return;
	d->candidates++;
	d->nr_terms++;
	for (k = i + 1; k < d->nr_lines && k < i + 30 && (d->lines[k][0] != '`' || d->lines[k][1] == '`') &&
	     d->lines[k][0] != '#'; k++) {
		const char *l = d->lines[k];

		if (retry < 0)
			retry = import_retry_advice(l);
		if (!st)
			st = import_status_in_text(l);
	}
	if (!(c = strndup(code, n)) || import_find_code(d, c) || !(ic = import_add_code(d, c))) {
		free(c);
		return;
	}
	free(c);
	ic->status = st;
	ic->retry = retry;
	ic->description = import_untick(d->lines[i + 1] + 2, strlen(d->lines[i + 1] + 2));
	import_explain(ic, "the definition list's term on line %zu%s", import_line(d, i), st ? ", its status in the definition" : "");
	d->nr_read++;
}


/* The status the section heading over line i gives ("HTTP status code
 * 400"), or 0. */
static int heading_status_over(const struct doc *d, size_t i)
{
	while (i-- > 0)
		if (d->lines[i][0] == '#')
			return import_status_in_text(d->lines[i]);
	return 0;
}

/* "OK to retry? Yes", "Retryable: no": 1, 0, or -1 when the line says neither. */
static int retry_line(const char *l)
{
	const char *q = strcasestr(l, "retry?");

	if (!q)
		q = strcasestr(l, "retryable:");
	if (!q)
		return import_retry_advice(l);
	q += strcspn(q, "?:") + 1;
	q += strspn(q, " *_");
	return !strncasecmp(q, "yes", 3) ? 1 : !strncasecmp(q, "no", 2) ? 0 : -1;
}

/* A paragraph led by a code alone on line i: its message ("Message: ..."),
 * retry ("OK to retry? No") and status (its text, else its section's). */
static void term_paragraph(struct doc *d, size_t i, const char *code, size_t n)
{
	int st = 0, retry = -1, said = 0;
	char *msg = NULL, *c;
	size_t k;
	struct icode *ic;

	for (k = i + 1; k < d->nr_lines && *import_trim_line(d->lines[k]); k++) {
		const char *l = import_trim_line(d->lines[k]);

		if (!strncasecmp(l, "message:", 8) && !msg)
			msg = import_untick(l + 8 + strspn(l + 8, " "), strlen(l + 8 + strspn(l + 8, " ")));
		if (retry < 0 && (retry = retry_line(l)) >= 0)
			said = 1;
		if (!st)
			st = import_status_in_text(l);
	}
	if (!msg && !said) {
		free(msg);
		return;  /* a paragraph that happens to start with a word */
	}
	d->candidates++;
	if (!st)
		st = heading_status_over(d, i);
	if (!(c = strndup(code, n)) || import_find_code(d, c) || !(ic = import_add_code(d, c))) {
		free(c);
		free(msg);
		return;
	}
	free(c);
	ic->status = st;
	ic->retry = retry;
	ic->message = msg;
	d->nr_terms++;
	d->nr_read++;
	import_explain(ic, "the paragraph led by it on line %zu%s", import_line(d, i),
		       st ? ", its status in the text or its section's heading" : "");
}

/* A paragraph led by a status's title ("Internal Server Error (HTTP 500)"). */
static void status_paragraph(struct doc *d, size_t i, const char *l)
{
	const char *p = strstr(l, "(HTTP ");
	int st = p ? atoi(p + 6) : 0;

	if (st >= 400 && st <= 599 && import_reason_phrase(st) && p > l) {
		char *title = strndup(l, (size_t)(p - l));

		if (title && *import_trim(title)) {
			import_add_status(d, st, import_trim(title));
			import_found(d, "line %zu: a paragraph led by \"%.60s\": a status-only entry for %d",
				     import_line(d, i), import_trim(title), st);
		}
		free(title);
	}
}

/* "`PERMISSION_DENIED` (HTTP 403)" in a sentence: a code with its status. */
static void code_with_status(struct doc *d, size_t i)
{
	const char *p = d->lines[i], *q, *end;

	while ((q = strchr(p, '`')) && (end = strchr(q + 1, '`'))) {
		size_t n = (size_t)(end - q - 1);
		const char *after = end + 1;
		int st;
		char code[80];

		p = end + 1;
		if (!strcmp(after, " (HTTP") && i + 1 < d->nr_lines)  /* the line wraps before the number */
			st = atoi(d->lines[i + 1] + strspn(d->lines[i + 1], " "));
		else if (!strncmp(after, " (HTTP ", 7))
			st = atoi(after + 7);
		else
			continue;
		if (n < 3 || n >= sizeof(code))
			continue;
		memcpy(code, q + 1, n);
		code[n] = '\0';
		if (st < 400 || st > 599 || !import_valid_code(code) || !memchr(code, '_', n) || import_find_code(d, code))
			continue;
		{
			struct icode *ic = import_add_code(d, code);

			if (!ic)
				return;
			ic->status = st;
			ic->retry = -1;
			d->nr_terms++;
			d->nr_read++;
			d->candidates++;
			import_explain(ic, "the text on line %zu: \"%s (HTTP %d)\"", import_line(d, i), code, st);
		}
	}
}

void import_read_terms(struct doc *d)
{
	const char *code;
	size_t i, n;
	int ticked;

	for (i = 0; i < d->nr_lines; i++)
		if (strstr(d->lines[i], "` (HTTP"))
			code_with_status(d, i);
	for (i = 1; i < d->nr_lines; i++) {
		const char *l = import_trim_line(d->lines[i]);
		char *t;

		if (*import_trim_line(d->lines[i - 1]) || !*l || strchr("#|`->{<", *l) || (*l == '*' && l[1] == ' ') ||
		    i + 1 >= d->nr_lines || !*import_trim_line(d->lines[i + 1]) || !import_about_errors(d, i))
			continue;
		/* "**AccessDeniedException **": emphasis Markdown did not take is no part of it */
		if (!(t = import_untick(l, strlen(l))))
			continue;
		if (import_code_heading(t, &code, &n, &ticked) && !ticked)
			term_paragraph(d, i, code, n);
		else
			status_paragraph(d, i, t);
		free(t);
	}
}

/* Retry safety a section's heading states ("Retryable codes", "Non-retryable
 * codes"): 1, 0, or -1. */
static int heading_retry(const struct doc *d, size_t i)
{
	while (i-- > 0)
		if (d->lines[i][0] == '#') {
			const char *h = d->lines[i];

			if (strcasestr(h, "non-retr") || strcasestr(h, "not retr") || strcasestr(h, "non retr"))
				return 0;
			return strcasestr(h, "retryable") || strcasestr(h, "retriable") ? 1 : -1;
		}
	return -1;
}

/* Is line i under a heading that names codes ("Retryable codes")? A list of
 * a section on other errors ("WebSocket mode errors") or on fields is not. */
static int section_on_codes(const struct doc *d, size_t i)
{
	while (i-- > 0)
		if (d->lines[i][0] == '#')
			return strcasestr(d->lines[i], "codes") || strcasestr(d->lines[i], "error code");
	return 0;
}

void import_code_bullet(struct doc *d, size_t i, const char *t)
{
	const char *code, *rest;
	size_t n;
	struct icode *ic;
	char *c;
	int named;

	if (*t != '`' || !import_lead_code(t, &code, &n, &rest) || !*rest || !section_on_codes(d, i) ||
	    !(c = strndup(code, n)))
		return;
	if ((named = import_status_of_name(c)) && named < 400) {
		import_note(d, "line %zu: '%s' names a success; it is no error", import_line(d, i), c);
		free(c);
		return;
	}
	d->candidates++;
	if (import_find_code(d, c) || !(ic = import_add_code(d, c))) {
		free(c);
		return;
	}
	free(c);
	ic->status = import_status_in_text(rest);
	if ((ic->retry = heading_retry(d, i)) < 0)
		ic->retry = import_retry_in_words(rest);
	ic->description = import_untick(rest, strlen(rest));
	d->nr_terms++;
	d->nr_read++;
	import_explain(ic, "the bullet led by it on line %zu%s", import_line(d, i),
		       ic->retry >= 0 ? ", its retry safety from its section's heading or its text" : "");
}
