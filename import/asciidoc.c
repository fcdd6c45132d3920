/*
 * AsciiDoc in the normal form: "== Title" headings become "## Title" (the
 * same length, in place), and a "|===" table whose cells stand one or more to
 * a line becomes one pipe row per table row, its other lines separator rows,
 * so every line keeps its number.
 */
#include <stdlib.h>
#include <string.h>

#include "import_doc.h"

#define ADOC_MAX_CELLS 12

static int is_delimiter(const char *l)
{
	l += strspn(l, " ");
	return (l[0] == '|' || l[0] == '!') && !strncmp(l + 1, "===", 3) && !l[4 + strspn(l + 4, "= ")];
}

/* Cells that start on line l ("|a |b", "a|spec"): their count, each appended
 * (trimmed) to cells[*n...]; 0 when the line continues the last cell. */
static int line_cells(const char *l, char **cells, int *n, size_t cap)
{
	const char *p = strchr(l, '|'), *e;
	int got = 0;

	if (!p) {  /* text that continues the last cell */
		if (*n && *l) {
			size_t k = strlen(cells[*n - 1]);

			if (k + strlen(l) + 2 < cap) {
				cells[*n - 1][k] = ' ';
				strcpy(cells[*n - 1] + k + 1, l + strspn(l, " "));
			}
		}
		return 0;
	}
	while (p && *n < ADOC_MAX_CELLS) {
		size_t k;

		p++;
		e = strchr(p, '|');
		k = e ? (size_t)(e - p) : strlen(p);
		while (k && p[k - 1] == ' ')
			k--;
		p += strspn(p, " ");
		if (k > cap - 1)
			k = cap - 1;
		memcpy(cells[*n], p, k < strlen(p) ? k : strlen(p));
		cells[*n][k < strlen(p) ? k : strlen(p)] = '\0';
		(*n)++;
		got++;
		p = e;
	}
	return got;
}

/* The pipe row of cells[0..n) (a new string), or NULL. */
static char *pipe_row(char **cells, int n)
{
	size_t len = 2, k;
	int i;
	char *row;

	for (i = 0; i < n; i++)
		len += strlen(cells[i]) + 3;
	if (!(row = malloc(len + 1)))
		return NULL;
	for (k = 0, i = 0; i < n; i++) {
		size_t c = strlen(cells[i]), j;

		row[k++] = '|';
		row[k++] = ' ';
		for (j = 0; j < c; j++)  /* a '|' inside a cell would split it */
			row[k++] = cells[i][j] == '|' ? ' ' : cells[i][j];
		row[k++] = ' ';
	}
	row[k++] = '|';
	row[k] = '\0';
	return row;
}

/* The table opening at line t; the line after its closing delimiter. A row
 * is written when the next one starts or the table ends: a cell runs on
 * until the next '|'. */
static size_t table(struct doc *d, size_t t)
{
	char *cells[ADOC_MAX_CELLS], buf[ADOC_MAX_CELLS][1024];
	size_t i, row = 0;
	int n = 0, cols = 0, k;

	for (k = 0; k < ADOC_MAX_CELLS; k++)
		cells[k] = buf[k];
	d->lines[t] = "";
	for (i = t + 1; i < d->nr_lines && !is_delimiter(d->lines[i]); i++) {
		const char *l = d->lines[i];

		if (!cols) {
			if (!*l)
				continue;
			line_cells(l, cells, &n, sizeof(buf[0]));
			cols = n;  /* the first line holds the header row */
			if (!cols || import_own_line(d, i, pipe_row(cells, n)) < 0)
				return i;
			n = 0;
			continue;
		}
		if (strchr(l, '|') && n >= cols) {  /* a new row: the last one is whole */
			if (import_own_line(d, row, pipe_row(cells, cols)) < 0)
				return i;
			n = 0;
		}
		if (strchr(l, '|') && !n)
			row = i;
		line_cells(l, cells, &n, sizeof(buf[0]));
		if (import_own_line(d, i, import_separator_line(cols)) < 0)
			return i;
	}
	if (cols && n >= cols && import_own_line(d, row, pipe_row(cells, cols)) < 0)
		return i;
	if (i < d->nr_lines)
		d->lines[i] = "";
	return i + 1;
}

void import_read_asciidoc(struct doc *d)
{
	size_t i, k;

	for (i = 0; i < d->nr_lines; i++) {
		char *l = d->lines[i];

		k = strspn(l, "=");
		if (k >= 1 && k <= 6 && l[k] == ' ' && l[k + 1] && l[k + 1] != '=')
			memset(l, '#', k);  /* "== Title" is "## Title" */
		else if (is_delimiter(l))
			i = table(d, i) - 1;
	}
}
