/*
 * reStructuredText grid tables in the normal form: a row that spans several
 * lines between "+----+" borders becomes one pipe row, each cell its lines
 * joined; the borders and continuation lines become separator rows, so every
 * line keeps its number. A cell's RST anchor (".. _pgrst000:") and line-block
 * bars are no part of its text.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_doc.h"

#define GRID_MAX_COLS 12

/* A border "+----+-----+" (or "+====+"): the '+' offsets into at[], their count. */
static int border(const char *l, size_t *at, int *header)
{
	size_t i = strspn(l, " "), start = i;
	int n = 0;

	if (l[i] != '+')
		return 0;
	*header = 0;
	for (; l[i] && l[i] != ' '; i++) {
		if (l[i] == '+') {
			if (n == GRID_MAX_COLS + 1)
				return 0;
			at[n++] = i;
		} else if (l[i] == '=') {
			*header = 1;
		} else if (l[i] != '-') {
			return 0;
		}
	}
	return n >= 2 && i - start >= 4 && !l[i + strspn(l + i, " ")] ? n : 0;
}

/* Append the text of l between offsets a and b to cell, anchors and bars left out. */
static void add_text(char *cell, size_t cap, const char *l, size_t len, size_t a, size_t b)
{
	size_t n = strlen(cell), k;
	const char *p;

	if (a >= len)
		return;
	if (b > len)
		b = len;
	p = l + a;
	k = b - a;
	while (k && (*p == ' ' || *p == '|'))
		p++, k--;
	while (k && p[k - 1] == ' ')
		k--;
	if (k >= 4 && !strncmp(p, ".. _", 4) && p[k - 1] == ':')
		return;
	if (!k || n + k + 2 >= cap)
		return;
	if (n)
		cell[n++] = ' ';
	for (; k; k--, p++)
		cell[n++] = *p == '|' ? ' ' : *p;
	cell[n] = '\0';
}

char *import_separator_line(int cols)
{
	char *s = malloc((size_t)cols * 4 + 2), *o = s;
	int k;

	if (!s)
		return NULL;
	for (k = 0; k < cols; k++, o += 4)
		memcpy(o, "|---", 4);
	strcpy(o, "|");
	return s;
}

/* Keep s for the doc's lifetime at line i; 0, or -1 when out of memory. */
int import_own_line(struct doc *d, size_t i, char *s)
{
	char **o;

	size_t n = d->nr_owned;

	if (!s)
		return -1;
	/* full at 0, 16, 32, 64, ...: grown twofold */
	if (!n || (n >= 16 && !(n & (n - 1)))) {
		if (!(o = realloc(d->owned, (n ? n * 2 : 16) * sizeof(*o)))) {
			free(s);
			return -1;
		}
		d->owned = o;
	}
	d->owned[d->nr_owned++] = s;
	d->lines[i] = s;
	return 0;
}

/* The logical row of lines [from, to) as a pipe row at line `from`. */
static int join_row(struct doc *d, size_t from, size_t to, const size_t *at, int n)
{
	size_t cap = 0, i, used = 0;
	int k;
	char *row, **cells = calloc((size_t)n, sizeof(*cells));

	for (i = from; i < to; i++)
		cap += strlen(d->lines[i]) + 2;
	for (k = 0; cells && k < n - 1; k++)
		if ((cells[k] = calloc(1, cap + 1)))
			for (i = from; i < to; i++)
				add_text(cells[k], cap + 1, d->lines[i], strlen(d->lines[i]), at[k] + 1, at[k + 1]);
	row = malloc(cap + (size_t)n * 3 + 2);
	for (k = 0; row && cells && k < n - 1; k++) {
		size_t len = cells[k] ? strlen(cells[k]) : 0;

		memcpy(row + used, "| ", 2);
		if (len)
			memcpy(row + used + 2, cells[k], len);
		used += 2 + len;
		row[used++] = ' ';
	}
	if (row) {
		row[used++] = '|';
		row[used] = '\0';
	}
	for (k = 0; cells && k < n - 1; k++)
		free(cells[k]);
	free(cells);
	if (import_own_line(d, from, row) < 0)
		return -1;
	for (i = from + 1; i < to; i++)
		if (import_own_line(d, i, import_separator_line(n - 1)) < 0)
			return -1;
	return 0;
}

/* The grid table whose first border is line t; the line after it. */
static size_t grid_table(struct doc *d, size_t t, const size_t *at, int n)
{
	size_t i = t + 1, row = i, pos[GRID_MAX_COLS + 1];
	int hdr;  /* a table with no "+===+" line: its first row is its header */

	d->lines[t] = "";
	for (; i < d->nr_lines; i++) {
		const char *l = d->lines[i];

		if (border(l, pos, &hdr) == n) {
			if (i > row && join_row(d, row, i, at, n) < 0)
				return i;
			if (import_own_line(d, i, import_separator_line(n - 1)) < 0)
				return i;
			row = i + 1;
			continue;
		}
		if (l[strspn(l, " ")] != '|')
			break;
	}
	return i;
}

void import_read_grid_tables(struct doc *d)
{
	size_t i, at[GRID_MAX_COLS + 1];
	int n, hdr;

	for (i = 0; i < d->nr_lines; i++)
		if ((n = border(d->lines[i], at, &hdr)) && i + 1 < d->nr_lines &&
		    d->lines[i + 1][strspn(d->lines[i + 1], " ")] == '|')
			i = grid_table(d, i, at, n) - 1;
}

/* A simple table's border ("=====  ==========="): the columns' starts into
 * at[], their count (two or more), or 0. */
static int simple_border(const char *l, size_t len, size_t *at)
{
	size_t i = 0;
	int n = 0;

	while (i < len && l[i] == ' ')
		i++;
	if (i == len || l[i] != '=')
		return 0;
	while (i < len) {
		if (l[i] == '=') {
			if (n == GRID_MAX_COLS)
				return 0;
			at[n++] = i;
			while (i < len && l[i] == '=')
				i++;
		} else if (l[i] == ' ') {
			i++;
		} else if (l[i] == '\r' && i + 1 == len) {
			i++;
		} else {
			return 0;
		}
	}
	return n >= 2 ? n : 0;
}

/* Append line l (len bytes) as a pipe row of n columns starting at at[]
 * (out NULL: only count). */
static void put(char *out, size_t *o, char c)
{
	if (out)
		out[*o] = c;
	(*o)++;
}

static void simple_row(char *out, size_t *o, const char *l, size_t len, const size_t *at, int n)
{
	int k;

	for (k = 0; k < n; k++) {
		size_t a = at[k], b = k + 1 < n ? at[k + 1] : len, j;

		if (a > len)
			a = len;
		if (b > len)
			b = len;
		while (a < b && l[a] == ' ')
			a++;
		while (b > a && (l[b - 1] == ' ' || l[b - 1] == '\r'))
			b--;
		put(out, o, '|');
		put(out, o, ' ');
		for (j = a; j < b; j++)
			put(out, o, l[j] == '|' ? ' ' : l[j]);
		put(out, o, ' ');
	}
	put(out, o, '|');
}

/* The line at p (to its newline): its length. */
static size_t line_len(const char *p)
{
	return strcspn(p, "\n");
}

/* The text with its simple tables as pipe tables, into out (NULL: only
 * measured); the length written. */
static size_t simple_tables(const char *text, char *out)
{
	size_t o = 0, at[GRID_MAX_COLS], at2[GRID_MAX_COLS], j;
	const char *p = text;
	int state = 0, n = 0, k;  /* state 0 outside, 1 header, 2 rows */

	while (*p) {
		size_t l = line_len(p);
		int b = simple_border(p, l, at2);

		if (state == 0 && b && p[l] == '\n' && p[l + 1] && p[l + 1] != '\n') {
			memcpy(at, at2, sizeof(at));
			n = b;
			state = 1;  /* the top border: a blank line */
		} else if (state && b == n) {
			if (state == 1)
				for (k = 0; k <= n; k++)
					for (j = 0; j < (k < n ? 4 : 1); j++)
						put(out, &o, "|---"[j]);
			state = state == 1 ? 2 : 0;  /* the bottom border: a blank line */
		} else if (state && l) {
			simple_row(out, &o, p, l, at, n);
		} else {
			state = 0;
			for (j = 0; j < l; j++)
				put(out, &o, p[j]);
		}
		p += l;
		if (*p == '\n')
			put(out, &o, *p++);
	}
	return o;
}

char *import_rst_simple_tables(const char *text)
{
	size_t n = simple_tables(text, NULL);
	char *out = malloc(n + 1);

	if (!out)
		return NULL;
	simple_tables(text, out);
	out[n] = '\0';
	return out;
}
