/*
 * What each column of a page's pipe table holds: by its header ("Code",
 * "HTTP Status", "Retry?"), and by its cells where the header is wrong or
 * silent: a column of statuses headed "Error Code" or copied from another
 * table ("Parameter | Required"), a column of codes headed "Name".
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "table.h"

int import_cells_of(const char *line, char *buf, size_t size, char **cells)
{
	int n = 0;
	char *p, *bar;

	snprintf(buf, size, "%s", line);
	p = import_trim(buf);
	if (*p == '|')
		p++;
	if (*p && p[strlen(p) - 1] == '|')
		p[strlen(p) - 1] = '\0';
	while (n < MAX_CELLS) {
		bar = strchr(p, '|');
		if (bar)
			*bar = '\0';
		cells[n++] = import_trim(p);
		if (!bar)
			break;
		p = bar + 1;
	}
	return n;
}

/* s in lower case without spaces, '_' or '-' (at most size - 1 bytes). */
static const char *squeeze(const char *s, char *out, size_t size)
{
	size_t n = 0;

	for (; *s && n + 1 < size; s++)
		if (!strchr(" _-", *s))
			out[n++] = (char)tolower((unsigned char)*s);
	out[n] = '\0';
	return out;
}

/* Is `w` one of the words of head (case aside)? */
static int word_in(const char *head, const char *w)
{
	size_t n = strlen(w);
	const char *p;

	for (p = head; (p = strcasestr(p, w)); p++)
		if ((p == head || p[-1] == ' ') && (!p[n] || p[n] == ' '))
			return 1;
	return 0;
}

static enum col column_of(const char *head)
{
	static const struct { const char *name; enum col col; } names[] = {
		{ "code", COL_CODE }, { "error code", COL_CODE }, { "error", COL_CODE },
		{ "problem type", COL_CODE }, { "type", COL_CODE }, { "reason", COL_CODE },
		{ "status", COL_STATUS }, { "http", COL_STATUS }, { "http status", COL_STATUS },
		{ "status code", COL_STATUS }, { "http status code", COL_STATUS }, { "http code", COL_STATUS },
		{ "response code", COL_STATUS }, { "http response", COL_STATUS }, { "domain", COL_DOMAIN },
		{ "error type", COL_CODE }, { "error_code", COL_CODE }, { "should retry", COL_RETRY },
		{ "retry safe", COL_RETRY }, { "safe to retry", COL_RETRY },
		{ "retry?", COL_RETRY }, { "retry", COL_RETRY }, { "retryable", COL_RETRY },
		{ "retryable?", COL_RETRY }, { "retriable", COL_RETRY },
		{ "default message", COL_MESSAGE }, { "message", COL_MESSAGE }, { "title", COL_MESSAGE },
		{ "name", COL_NAME }, { "description", COL_DESCRIPTION }, { "detail", COL_DESCRIPTION },
		{ "resolution", COL_RESOLUTION }, { "action", COL_RESOLUTION },
		{ "category", COL_CATEGORY }, { "meaning", COL_MEANING },
		/* errata contract docs's columns for format 2 */
		{ "body type", COL_BODY_TYPE }, { "body code", COL_BODY_CODE }, { "retry-after", COL_RETRY_AFTER },
		{ "role", COL_ROLE }, { "wire", COL_WIRE },
	};
	size_t i;

	char h[64], nm[64];

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(head, names[i].name))
			return names[i].col;
	/* "ErrorCode", "Status_Code": the same names glued */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(squeeze(head, h, sizeof(h)), squeeze(names[i].name, nm, sizeof(nm))) && *h)
			return names[i].col;
	/* a longer header by its words: "PostgreSQL error code(s)", "HTTP status
	 * returned", "Error description" */
	if (word_in(head, "status"))
		return COL_STATUS;
	if (word_in(head, "code") || word_in(head, "codes") || word_in(head, "code(s)"))
		return COL_CODE;
	if (word_in(head, "description"))
		return COL_DESCRIPTION;
	if (word_in(head, "message"))
		return COL_MESSAGE;
	return COL_NONE;
}

int import_separator_row(char **cells, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!*cells[i] || strspn(cells[i], "-: ") != strlen(cells[i]))
			return 0;
	return n > 0;
}

int import_lead_status(const char *s, const char **rest)
{
	const char *p = s + strspn(s, "`*_ ");
	int v;

	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) ||
	    isalnum((unsigned char)p[3]) || p[3] == '.' || (p[3] == ',' && isdigit((unsigned char)p[4])))
		return 0;
	v = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	if (v < 100 || v > 599)
		return 0;
	p += 3;
	p += strspn(p, "`*_ \t-:");
	*rest = p;
	return v;
}

/* A column the header does not name as codes, whose cells (at least three,
 * and four in five) read as codes: `snake_case`, UPPER_CASE or kebab-case. */
static int code_column_by_content(struct doc *d, size_t head, int ncols, const enum col *cols, char **heads)
{
	char buf[2048], *cells[MAX_CELLS];
	int k, rows[MAX_CELLS] = { 0 }, codes[MAX_CELLS] = { 0 }, erring = 0;
	size_t i;

	for (i = head + 1; i < d->nr_lines && strchr(d->lines[i], '|'); i++) {
		int n = import_cells_of(d->lines[i], buf, sizeof(buf), cells);

		if (n != ncols || import_separator_row(cells, n))
			continue;
		for (k = 0; k < n; k++) {
			const char *c = import_trim(cells[k]);

			rows[k]++;
			codes[k] += import_valid_code(c) && !strchr(c, ' ') && (strpbrk(c, "_-") || strlen(c) > 2) &&
				    !isdigit((unsigned char)c[0]) && (strpbrk(c, "_-") || !strpbrk(c, "abcdefghijklmnopqrstuvwxyz"));
		}
	}
	/* beside a status or retry column; else only under an error-ish header
	 * (a table of header names or settings is no table of codes) */
	for (k = 0; k < ncols; k++)
		erring |= cols[k] == COL_STATUS || cols[k] == COL_RETRY;
	for (k = 0; k < ncols; k++)
		if ((cols[k] == COL_NONE || cols[k] == COL_NAME) && rows[k] >= 3 && codes[k] * 5 >= rows[k] * 4 &&
		    (erring || import_has_word(heads[k], "error") || import_has_word(heads[k], "type") ||
		     import_has_word(heads[k], "reason") || import_has_word(heads[k], "kind")))
			return k;
	return -1;
}

/* A column whose cells (at least two, four in five) lead with an HTTP
 * status, error statuses among them, whatever its header says ("Error Code",
 * or a header copied from another table); the one with the most error
 * statuses (a Failure column beside a Success column), or -1. */
static int status_column_by_content(struct doc *d, size_t head, int ncols)
{
	char buf[2048], *cells[MAX_CELLS];
	int k, best = -1, rows = 0, hits[MAX_CELLS] = { 0 }, errs[MAX_CELLS] = { 0 };
	size_t i;

	for (i = head + 1; i < d->nr_lines && strchr(d->lines[i], '|'); i++) {
		int n = import_cells_of(d->lines[i], buf, sizeof(buf), cells), st;
		const char *rest;

		if (n != ncols || import_separator_row(cells, n))
			continue;
		rows++;
		for (k = 0; k < n; k++) {
			st = import_lead_status(cells[k], &rest);
			hits[k] += st != 0;
			errs[k] += st >= 400;
		}
	}
	for (k = 0; k < ncols; k++)
		if (rows >= 2 && hits[k] * 5 >= rows * 4 && errs[k] && (best < 0 || errs[k] > errs[best]))
			best = k;
	return best;
}

/* The column beside a status column that reads as prose (three words a
 * cell on average), or -1. */
static int prose_column(struct doc *d, size_t head, int ncols, int status)
{
	char buf[2048], *cells[MAX_CELLS];
	int k, rows = 0, words[MAX_CELLS] = { 0 };
	size_t i;

	for (i = head + 1; i < d->nr_lines && strchr(d->lines[i], '|'); i++) {
		int n = import_cells_of(d->lines[i], buf, sizeof(buf), cells);

		if (n != ncols || import_separator_row(cells, n))
			continue;
		rows++;
		for (k = 0; k < n; k++) {
			const char *c;

			for (c = cells[k]; *c; c++)
				words[k] += c[0] != ' ' && (c[1] == ' ' || !c[1]) && strchr("`|/", c[0]) == NULL;
		}
	}
	for (k = 0; k < ncols; k++)
		if (k != status && rows && words[k] >= rows * 3)
			return k;
	return -1;
}

/* Do four in five of column k's cells read as codes (no sentence
 * punctuation, at most four words)? */
static int codes_in_column(struct doc *d, size_t head, int ncols, int k)
{
	char buf[2048], *cells[MAX_CELLS];
	int rows = 0, hits = 0;
	size_t i;

	for (i = head + 1; i < d->nr_lines && strchr(d->lines[i], '|'); i++) {
		int n = import_cells_of(d->lines[i], buf, sizeof(buf), cells), words = 1;
		const char *c;

		if (n != ncols || import_separator_row(cells, n))
			continue;
		rows++;
		for (c = cells[k]; *c && !strchr(",;()", *c); c++)
			words += *c == ' ';
		hits += *cells[k] && !*c && words <= 4;
	}
	return rows && hits * 5 >= rows * 4;
}

int import_table_columns(struct doc *d, size_t i, int n, char **cells, enum col *cols,
			 int *code, int *status, int *meaning)
{
	int k, known = 0;

	*code = *status = *meaning = -1;
	for (k = 0; k < n; k++) {
		cols[k] = column_of(cells[k]);
		known += cols[k] != COL_NONE;
		if (cols[k] == COL_CODE && *code < 0)
			*code = k;
		if (cols[k] == COL_STATUS && *status < 0)
			*status = k;
		if ((cols[k] == COL_MEANING || cols[k] == COL_DESCRIPTION) && *meaning < 0)
			*meaning = k;
	}
	if (n >= 2 && *status < 0 && (k = status_column_by_content(d, i, n)) >= 0) {
		import_found(d, "line %zu: column '%s' holds HTTP statuses (its cells lead with one)",
			     import_line(d, i), cells[k]);
		known += cols[k] == COL_NONE;
		cols[*status = k] = COL_STATUS;
		for (*code = -1, k = 0; k < n; k++)
			if (cols[k] == COL_CODE && !codes_in_column(d, i, n, k))
				cols[k] = COL_DESCRIPTION;
			else if (cols[k] == COL_CODE && *code < 0)
				*code = k;
		if (*meaning < 0 || cols[*meaning] == COL_STATUS)
			*meaning = prose_column(d, i, n, *status);
		return known; /* no codes by content beside statuses found so */
	}
	for (k = 0; k < n; k++)  /* a second code column, "JSON Error Code": what the body carries */
		if (k != *code && *code >= 0 && cols[k] == COL_CODE &&
		    (strcasestr(cells[k], "json") || strcasestr(cells[k], "body") || strcasestr(cells[k], "wire")))
			cols[k] = COL_BODY_CODE;
	if (*code >= 0 && !strcasecmp(cells[*code], "type") && !import_about_errors(d, i)) {
		/* "Type | Description" under "Authentication types": types, not errors */
		import_found(d, "line %zu: a 'Type' column outside a section on errors: not read as codes", import_line(d, i));
		cols[*code] = COL_NONE;
		*code = -1;
		known--;
	}
	if (*code < 0 && known >= 1 && n >= 2 && (*code = code_column_by_content(d, i, n, cols, cells)) >= 0) {
		import_found(d, "line %zu: column '%s' holds codes (its cells read as codes)", import_line(d, i), cells[*code]);
		known += cols[*code] == COL_NONE;
		cols[*code] = COL_CODE;
	}
	return known;
}
