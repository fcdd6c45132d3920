/*
 * errata contract import, reading: lines, pipe and glued tables and status
 * lists (the notes are notes.c's, the JSON examples examples.c's).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model/contract.h"
#include "import_doc.h"
#include "table.h"
#include "../model/utf8.h"


/* --- lines and cells ----------------------------------------------------------------- */

size_t import_line(const struct doc *d, size_t i)
{
	return d->src_line && i < d->nr_src_line ? d->src_line[i] : i + 1;
}

int import_split_lines(struct doc *d)
{
	size_t n = 1, i, len = strlen(d->text), k = 0;
	char *p;

	for (i = 0; i < len; i++)
		n += d->text[i] == '\n';
	d->linebuf = strdup(d->text);
	d->lines = calloc(n, sizeof(*d->lines));
	d->offs = calloc(n, sizeof(*d->offs));
	if (!d->linebuf || !d->lines || !d->offs)
		return -1;
	p = d->linebuf;
	d->lines[k] = p;
	d->offs[k++] = 0;
	for (i = 0; i < len; i++)
		if (p[i] == '\n') {
			p[i] = '\0';
			if (i > 0 && p[i - 1] == '\r')
				p[i - 1] = '\0';
			d->lines[k] = p + i + 1;
			d->offs[k++] = i + 1;
		}
	d->nr_lines = k;
	return 0;
}

int import_valid_code(const char *s)
{
	size_t i;

	if (!*s || strlen(s) > 100)
		return 0;
	for (i = 0; s[i]; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return 0;
	return 1;
}

struct icode *import_find_code(struct doc *d, const char *code)
{
	size_t i;

	for (i = 0; i < d->nr_codes; i++)
		if (!strcmp(d->codes[i].code, code) ||
		    (d->codes[i].name && !strcmp(d->codes[i].name, code)))
			return &d->codes[i];
	return NULL;
}

struct icode *import_add_code(struct doc *d, const char *code)
{
	struct icode *c;

	if (import_find_code(d, code)) {
		import_warn(d, "%s is listed twice; the first entry is kept", code);
		return NULL;
	}
	if (d->nr_codes == MAX_CODES) {
		if (!d->nr_dropped++) /* one note, not one per code */
			import_note(d, "more than %d codes; %s and every later one are not read", MAX_CODES, code);
		return NULL;
	}
	c = &d->codes[d->nr_codes++];
	memset(c, 0, sizeof(*c));
	c->code = strdup(code);
	c->retry = -1;
	c->role = -1;
	return c;
}

/* The heading above line `i` (a table's category): the nearest non-empty line
 * before it, when it reads like a heading. Returns a new string or NULL. */
static char *heading_before(struct doc *d, size_t i)
{
	char buf[256], *h, *e;

	while (i-- > 0) {
		const char *l = d->lines[i];

		if (!*l || strspn(l, " \t") == strlen(l))
			continue;
		if (strchr(l, '|') || strlen(l) > 120)
			return NULL;
		snprintf(buf, sizeof(buf), "%s", l);
		h = buf;
		while (*h == '#' || *h == ' ' || *h == '}')
			h++;
		h = import_trim(h);
		e = h + strlen(h);
		if (e > h && (e[-1] == '.' || e[-1] == ':'))
			return NULL;
		/* "Image GenerationSTUDIO_1000-1099": a glued code range */
		while (e > h && (isdigit((unsigned char)e[-1]) || e[-1] == '-'))
			e--;
		if (e > h && e[-1] == '_') {
			while (e > h && (isupper((unsigned char)e[-1]) || e[-1] == '_'))
				e--;
			*e = '\0';
		}
		h = import_trim(h);
		return *h ? strdup(h) : NULL;
	}
	return NULL;
}

static int parse_status(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return (*s && !*import_trim(end) && v >= 100 && v <= 599) ? (int)v : 0;
}

/* A status cell in words ("if authenticated 403, else 401"): its first
 * status, or 0. */
static int status_in_words(const char *s)
{
	const char *p;

	for (p = s; *p; p++)
		if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
		    !isalnum((unsigned char)p[3]) && (p == s || !isalnum((unsigned char)p[-1])) &&
		    import_reason_phrase(atoi(p)))
			return atoi(p);
	return 0;
}

static int parse_yes_no(const char *s)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcasecmp(s, "y"))
		return 1;
	if (!strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcasecmp(s, "n"))
		return 0;
	return -1;
}

void import_add_status(struct doc *d, int status, const char *meaning)
{
	size_t i;

	if (!*meaning)  /* a status with no words is no entry */
		return;
	for (i = 0; i < d->nr_statuses; i++)
		if (d->statuses[i].status == status)
			return;
	if (d->nr_statuses == sizeof(d->statuses) / sizeof(d->statuses[0])) {
		import_note(d, "more than %zu statuses; %d is not read", d->nr_statuses, status);
		return;
	}
	d->statuses[d->nr_statuses].status = status;
	d->statuses[d->nr_statuses++].meaning = strdup(meaning);
}

const char *import_status_meaning(const struct doc *d, int status)
{
	size_t i;

	for (i = 0; i < d->nr_statuses; i++)
		if (d->statuses[i].status == status)
			return d->statuses[i].meaning;
	return NULL;
}

/* A cell's text into *dst; a column given twice keeps the last. */
static void replace(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
}

/* A pipe table starting at header line i; returns the first line after it. */
/* A row for every code the table does not name ("other", "default"). */
static int catch_all(const char *code)
{
	static const char *const words[] = { "other", "others", "default", "any", "all", "else", "*", NULL };
	size_t k;

	for (k = 0; words[k]; k++)
		if (!strcasecmp(code, words[k]))
			return 1;
	return 0;
}

/* A code of lower-case words ("no such element", WebDriver's): at most five. */
static int spaced_code(const char *s)
{
	size_t words = 1;

	if (!islower((unsigned char)*s) || strlen(s) > 64)
		return 0;
	for (; *s; s++) {
		if (*s == ' ' && (s[1] == ' ' || !s[1]))
			return 0;
		if (!islower((unsigned char)*s) && *s != ' ')
			return 0;
		words += *s == ' ';
	}
	return words <= 5;
}

/* Does the code column of the table at `head` hold codes of words, four rows in five? */
static int spaced_column(struct doc *d, size_t head, const enum col *cols, int ncols)
{
	char buf[2048], *cells[MAX_CELLS];
	int k, rows = 0, hits = 0;
	size_t i;

	for (k = 0; k < ncols && cols[k] != COL_CODE; k++)
		;
	for (i = head + 1; k < ncols && i < d->nr_lines && strchr(d->lines[i], '|'); i++) {
		int n = import_cells_of(d->lines[i], buf, sizeof(buf), cells);

		if (n != ncols || import_separator_row(cells, n))
			continue;
		rows++;
		hits += spaced_code(cells[k]);
	}
	return rows >= 3 && hits * 5 >= rows * 4;
}

/* The row's code (its Code cell; a problem type URI's last segment), or NULL. */
static struct icode *row_code(struct doc *d, size_t i, char **cells, const enum col *cols, int ncols, int status,
			      int spaced, struct icode **seen)
{
	struct icode *c = NULL;
	int k;

	*seen = NULL;
	for (k = 0; k < ncols; k++)
		if (cols[k] == COL_CODE) {
			const char *code = cells[k], *slash = strrchr(code, '/');

			if (slash && slash[1])  /* a problem type URI: its last segment */
				code = slash + 1;
			if (catch_all(code)) {
				import_note(d, "line %zu: '%.60s' stands for every other code; the row is not read", import_line(d, i), code);
				return NULL;
			}
			if (!import_valid_code(code) && spaced && spaced_code(code)) {
				/* "no such element": sent as written, named with '_' */
				char *slug = strdup(code), *p;

				for (p = slug; p && *p; p++)
					*p = *p == ' ' ? '_' : *p;
				if (!slug || (*seen = import_find_code(d, slug)) || !(c = import_add_code(d, slug))) {
					free(slug);
					return NULL;
				}
				free(slug);
				c->body_code = json_string(code);
				import_explain(c, "a code of words, sent as written (\"%s\")", code);
				return c;
			}
			if (!import_valid_code(code)) {
				import_note(d, "line %zu: '%.60s' is not a code; the row is not read", import_line(d, i), cells[k]);
				return NULL;
			}
			if ((*seen = import_find_code(d, code)) && (*seen)->table == (int)d->nr_seen_tables) {
				*seen = NULL;
				return import_add_code(d, code);  /* twice in one table: said */
			}
			if (*seen)
				return NULL;  /* listed again (per endpoint): its status may be new */
			c = import_add_code(d, code);
			if (c && !strncmp(code, "HTTP_", 5) && parse_status(code + 5) && status == parse_status(code + 5))
				c->status_only = 1;  /* errata's name for a status-only entry */
		}
	return c;
}

/* One cell of a code's row into the code. */
static void read_cell(struct doc *d, size_t i, struct icode *c, enum col col, const char *v, int status)
{
	switch (col) {
	case COL_STATUS:
		if (!status)
			import_note(d, "line %zu: '%s' is not an HTTP status", import_line(d, i), v);
		break;
	case COL_DOMAIN: if (*v) replace(&c->domain, v); break;
	case COL_RETRY:
		c->retry = parse_yes_no(v);
		if (c->retry < 0)
			import_note(d, "line %zu: retry '%s' is neither Yes nor No", import_line(d, i), v);
		break;
	case COL_MESSAGE: if (*v) replace(&c->message, v); break;
	case COL_NAME: if (*v && strcmp(v, c->code)) replace(&c->name, v); break;
	case COL_DESCRIPTION: case COL_MEANING:
		if (*v) {
			replace(&c->description, v);
			if (c->retry < 0 && !d->has_retry_col)
				c->retry = import_retry_in_words(v);
		}
		break;
	case COL_RESOLUTION: if (*v) replace(&c->resolution, v); break;
	case COL_CATEGORY:
		if (*v) {
			replace(&c->category, v);
			c->category_col = 1;
		}
		break;
	case COL_BODY_TYPE: if (*v) replace(&c->type, v); break;
	case COL_BODY_CODE:
		if (*v) {
			json_decref(c->body_code);
			if (!(c->body_code = json_loads(v, JSON_DECODE_ANY, NULL)))
				c->body_code = json_string(v);  /* "JSON Error Code": the words sent */
		}
		break;
	case COL_ROLE:
		if (role_parse(v) >= 0) {
			c->role = role_parse(v);
			c->role_col = 1;
		} else if (*v) {
			import_note(d, "line %zu: role '%s' is not one errata knows; it is guessed", import_line(d, i), v);
		}
		break;
	case COL_RETRY_AFTER:
		c->retry_after = parse_yes_no(v) + 1;  /* 0 unknown, 1 no, 2 yes */
		break;
	case COL_WIRE: /* errata contract docs's: body, headers, forbidden_headers */
		if (*v) {
			json_decref(c->wire);
			c->wire = json_loads(v, 0, NULL);
			if (!json_is_object(c->wire)) {
				import_note(d, "line %zu: wire '%.60s' is not a JSON object", import_line(d, i), v);
				json_decref(c->wire);
				c->wire = NULL;
			}
		}
		break;
	default: break;
	}
}

/* The line after the "#" or "##" heading over line i, or 0. */
static size_t top_section(const struct doc *d, size_t i)
{
	while (i-- > 0)
		if (d->lines[i][0] == '#' && (d->lines[i][1] == ' ' || (d->lines[i][1] == '#' && d->lines[i][2] == ' ')))
			return i + 1;
	return 0;
}

static size_t read_pipe_table(struct doc *d, size_t i, enum col *cols, int ncols)
{
	char buf[2048], *cells[MAX_CELLS], *category = heading_before(d, i);
	size_t start = i, rows = 0;
	int k, has_status_col = 0, has_role_col = 0, spaced;

	spaced = spaced_column(d, i, cols, ncols);
	for (k = 0; k < ncols; k++) {
		has_status_col |= cols[k] == COL_STATUS;
		has_role_col |= cols[k] == COL_ROLE;
		d->has_retry_col |= cols[k] == COL_RETRY;
		d->has_message_col |= cols[k] == COL_MESSAGE;
		d->has_resolution_col |= cols[k] == COL_RESOLUTION;
	}
	for (i++; i < d->nr_lines && strchr(d->lines[i], '|'); i++) {
		int n = import_cells_of(d->lines[i], buf, sizeof(buf), cells), status = 0;
		struct icode *c, *seen;

		if (import_separator_row(cells, n))
			continue;
		if (n != ncols) {
			import_note(d, "line %zu: %d cells where the table's header has %d; the row is not read",
			     import_line(d, i), n, ncols);
			continue;
		}
		for (k = 0; k < ncols; k++)
			if (cols[k] == COL_STATUS && !(status = parse_status(cells[k])))
				status = status_in_words(cells[k]);
		/* a 2xx row is a success, except in a table errata contract docs
		 * wrote (its Role column): there it is an error in a 2xx (GraphQL) */
		if (status && status < 400 && !(has_role_col && status < 300)) {
			import_note(d, "line %zu: status %d is not an error status; the row is not read", import_line(d, i), status);
			continue;
		}
		if (!(c = row_code(d, i, cells, cols, ncols, status, spaced, &seen))) {
			if (seen && !seen->status && !seen->status_only &&
			    (status || (!has_status_col && (status = import_section_status(d, start))))) {
				seen->status = status;
				import_explain(seen, "listed again on line %zu, under a status of %d", import_line(d, i), status);
			}
			continue;
		}
		c->table = (int)d->nr_seen_tables;
		c->section = top_section(d, start);
		rows++;
		if (!status && !has_status_col && (status = import_section_status(d, start)))
			import_explain(c, "a table with no status column; the text above it gives %d for its rows", status);
		c->status = status;
		for (k = 0; k < ncols; k++)
			read_cell(d, i, c, cols[k], cells[k], status);
		if (category && !c->category)
			c->category = strdup(category);
	}
	if (rows)
		d->nr_tables++;
	else
		import_note(d, "line %zu: a table of codes with no rows", import_line(d, start));
	free(category);
	return i;
}

/* A code a status row names in another cell ("**Code:** `slow_down`",
 * OpenAI's overview cells): a code at the row's status, the row's title its
 * message. */
static void labelled_code(struct doc *d, size_t line, char **cells, int n, int scol, int st, const char *title)
{
	char code[80];
	const char *p, *e;
	struct icode *ic;
	int k;

	for (k = 0; k < n; k++) {
		if (k == scol || !(p = strstr(cells[k], "Code: `")) || !(e = strchr(p + 7, '`')) ||
		    (size_t)(e - p - 7) >= sizeof(code) || st < 400)
			continue;
		memcpy(code, p + 7, (size_t)(e - p - 7));
		code[e - p - 7] = '\0';
		if (!import_valid_code(code) || import_find_code(d, code) || !(ic = import_add_code(d, code)))
			continue;
		ic->status = st;
		ic->retry = import_retry_in_words(cells[k]);
		if (title && *title)
			ic->message = strdup(title);
		d->nr_read++;
		import_explain(ic, "the row on line %zu names it (\"Code: %s\") under status %d", import_line(d, line), code, st);
	}
}

/* A status table (Status | Meaning) in pipe form; a Status cell may list
 * several ("`404`/`400`"), a row without words is given the status's
 * reason phrase. */
static size_t read_status_table(struct doc *d, size_t i, int scol, int mcol)
{
	char buf[2048], *cells[MAX_CELLS];
	size_t errors = 0;

	for (i++; i < d->nr_lines && strchr(d->lines[i], '|'); i++) {
		int n = import_cells_of(d->lines[i], buf, sizeof(buf), cells), st;
		const char *rest = "", *p;

		if (import_separator_row(cells, n) || n <= scol || (mcol >= 0 && n <= mcol))
			continue;
		for (p = cells[scol]; (st = import_lead_status(p, &rest)); p = rest + strspn(rest, "/,` ")) {
			/* the row's title ("401 - Invalid Authentication"), else its meaning cell */
			const char *m = *rest && !strchr("/,`", *rest) ? rest : mcol >= 0 && *cells[mcol] ? cells[mcol] :
					import_reason_phrase(st);

			import_add_status(d, st, m ? m : "");
			errors += st >= 400;
			labelled_code(d, i, cells, n, scol, st, *rest && !strchr("/,`", *rest) ? rest : m);
			if (rest == p || !*rest || !strchr("/,` ", *rest))
				break;
		}
	}
	d->nr_status_tables += errors >= 2;
	return i;
}

int import_acronym_at(const char *s)
{
	static const char *const acr[] = {
		"API", "URL", "URI", "JWT", "HTTP", "HTTPS", "ID", "JSON", "XML", "SSL", "TLS",
		"IP", "DNS", "OAuth", "SSO", "MFA", "CSV", "PDF", "UUID", "SDK", "CLI", NULL
	};
	size_t k, n;

	for (k = 0; acr[k]; k++) {
		n = strlen(acr[k]);
		if (!strncmp(s, acr[k], n) && !isalnum((unsigned char)s[n]) && s[n] != '_')
			return 1;
	}
	return 0;
}

/*
 * Where the code ends in a glued row ("UNAUTHORIZEDMissing or invalid API
 * key"): the description begins with a capital. An acronym that starts the
 * description ("KEY_REVOKEDAPI key ...") is recognised; otherwise the first
 * capital followed by a lower-case letter starts it. 0 when no split.
 */
static size_t glued_split(const char *s)
{
	size_t i;

	for (i = 1; s[i] && (isupper((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_'); i++)
		if (s[i - 1] != '_' && isupper((unsigned char)s[i]) && import_acronym_at(s + i))
			return i;
	for (i = 1; s[i] && (isupper((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_'); i++)
		if (s[i - 1] != '_' && isupper((unsigned char)s[i]) && islower((unsigned char)s[i + 1]))
			return i;
	/* the description starts with capitals that are no known acronym: the
	 * split cannot be told */
	return 0;
}

/* A glued table: a "CodeDescription" or "StatusMeaning" line, then rows up to
 * a blank line. */
static size_t read_glued_table(struct doc *d, size_t i, int status_table)
{
	char *category = status_table ? NULL : heading_before(d, i);
	size_t rows = 0;

	for (i++; i < d->nr_lines && *import_trim(d->lines[i]); i++) {
		char *l = import_trim(d->lines[i]);

		if (status_table) {
			int st = isdigit((unsigned char)l[0]) && isdigit((unsigned char)l[1]) &&
				 isdigit((unsigned char)l[2]) ? (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0') : 0;

			if (st >= 100 && st <= 599 && l[3])
				import_add_status(d, st, import_trim(l + 3));
			continue;
		} else {
			size_t at = glued_split(l);
			struct icode *c;
			char code[128];

			if (!at || at >= sizeof(code) || (memcpy(code, l, at), code[at] = '\0', !import_valid_code(code))) {
				import_note(d, "line %zu: cannot tell where the code ends in '%.60s'", i + 1, l);
				continue;
			}
			memcpy(code, l, at);
			code[at] = '\0';
			c = import_add_code(d, code);
			if (!c)
				continue;
			rows++;
			if (*import_trim(l + at))
				c->description = strdup(import_trim(l + at));
			if (category)
				c->category = strdup(category);
		}
	}
	if (rows)
		d->nr_tables++;
	free(category);
	return i;
}

/* "  • 429: service-level rate limiting." */
static int status_bullet(const char *l, int *status, const char **text)
{
	size_t skip = 0;

	while (l[skip] && !isdigit((unsigned char)l[skip]) && skip < 8) {
		unsigned char ch = (unsigned char)l[skip];

		if (isalpha(ch))
			return 0;
		skip++;
	}
	if (!isdigit((unsigned char)l[skip]) || !isdigit((unsigned char)l[skip + 1]) ||
	    !isdigit((unsigned char)l[skip + 2]) || l[skip + 3] != ':')
		return 0;
	*status = (l[skip] - '0') * 100 + (l[skip + 1] - '0') * 10 + (l[skip + 2] - '0');
	*text = l + skip + 4;
	while (**text == ' ')
		(*text)++;
	return *status >= 400 && *status <= 599 && **text;
}

/* A table's header row as "A | B | C", at most size bytes. */
static const char *header_of(const char *line, char *out, size_t size)
{
	size_t n = 0;
	const char *p = line + strspn(line, " |");

	for (; *p && n + 1 < size; p++) {
		if (*p == '|' && !p[1 + strspn(p + 1, " ")])
			break;
		out[n++] = *p;
	}
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return out;
}

void import_read_tables(struct doc *d)
{
	char buf[2048], *cells[MAX_CELLS], hdr[200];
	size_t i = 0;

	while (i < d->nr_lines) {
		const char *l = d->lines[i];
		char *t;
		int n, k, st;
		const char *text;

		if (strchr(l, '|')) {
			enum col cols[MAX_CELLS];
			int code = -1, status = -1, meaning = -1, known = 0;

			n = import_cells_of(l, buf, sizeof(buf), cells);
			known = import_table_columns(d, i, n, cells, cols, &code, &status, &meaning);
			if (code >= 0 && known >= 2 && n >= 2) {
				d->nr_seen_tables++;
				import_found(d, "line %zu: a table (%s): read, codes from its '%s' column", import_line(d, i),
					     header_of(l, hdr, sizeof(hdr)), cells[code]);
				for (k = 0; k < n; k++)
					if (cols[k] == COL_NONE)
						import_note(d, "line %zu: column '%s' is not read", import_line(d, i), cells[k]);
				i = read_pipe_table(d, i, cols, n);
				continue;
			}
			if (status >= 0 && code < 0) {
				d->nr_seen_tables++;
				import_found(d, "line %zu: a table (%s): read as statuses without codes", import_line(d, i),
					     header_of(l, hdr, sizeof(hdr)));
				i = read_status_table(d, i, status, meaning);
				continue;
			}
			if (i + 1 < d->nr_lines && strstr(d->lines[i + 1], "---") && ++d->nr_seen_tables) {
				import_found(d, "line %zu: a table (%s): %s", import_line(d, i), header_of(l, hdr, sizeof(hdr)),
					     code >= 0 ? "its code column has no status, retry or message column beside it; rows that lead with a status are read as entries" :
					     "no column is a code, status or message column errata knows; rows that lead with a status are read as entries");
				while (i + 1 < d->nr_lines && strchr(d->lines[i + 1], '|'))
					i++; /* its rows are no headers */
			}
			i++;
			continue;
		}
		snprintf(buf, sizeof(buf), "%s", l);
		t = import_trim(buf);
		if (!strcmp(t, "CodeDescription") || !strcmp(t, "CodeMessage") || !strcmp(t, "ErrorDescription")) {
			i = read_glued_table(d, i, 0);
			continue;
		}
		if (!strcmp(t, "StatusMeaning") || !strcmp(t, "StatusDescription")) {
			i = read_glued_table(d, i, 1);
			continue;
		}
		if (status_bullet(l, &st, &text)) {
			char *m = strdup(text);

			if (m) {
				m[0] = (char)toupper((unsigned char)m[0]);
				import_add_status(d, st, m);
				free(m);
			}
		}
		i++;
	}
}
