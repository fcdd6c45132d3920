/*
 * errata contract import: from an error reference to a contract.
 *
 * The document is split into lines once; tables, status lists and JSON
 * examples are read from them into a list of codes, and whatever the document
 * leaves out is filled by the rules below, each marked inferred with its
 * reason. The result is checked by the ordinary contract loader.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "import.h"

#define MAX_CODES 512
#define MAX_CELLS 12

struct icode {
	char *code, *name, *message, *description, *domain, *category, *resolution;
	int status;              /* 0 until known */
	int retry;               /* -1 until known */
	int status_only;
	int category_col;        /* the category came from a Category column */
	int role;
	json_t *details, *extra; /* from an example */
	json_t *inferred;        /* field -> reason */
};

struct istatus {
	int status;
	char *meaning;
};

struct doc {
	char *text;              /* the (converted) document, NUL-terminated */
	char **lines;            /* into a copy of text, one per line */
	size_t *offs;            /* each line's offset in text */
	size_t nr_lines;
	char *linebuf;
	struct icode codes[MAX_CODES];
	size_t nr_codes;
	size_t nr_tables;
	int has_retry_col, has_message_col, has_resolution_col;
	struct istatus statuses[64];
	size_t nr_statuses;
	json_t *examples;        /* array of the JSON objects the page shows */
	json_t *warnings;        /* array of strings: the inconsistencies */
	json_t *notes;           /* what the importer could not read (warnings only) */
};

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static void warn(struct doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct doc *d, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	size_t i;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s)
		return;
	for (i = 0; i < json_array_size(d->warnings); i++)
		if (!strcmp(json_string_value(json_array_get(d->warnings, i)), s))
			break;
	if (i == json_array_size(d->warnings))
		json_array_append_new(d->warnings, json_string(s));
	free(s);
}

static void note(struct doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct doc *d, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s)
		json_array_append_new(d->notes, json_string(s));
	free(s);
}

static void infer(struct icode *c, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void infer(struct icode *c, const char *field, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s)
		return;
	if (!c->inferred)
		c->inferred = json_object();
	json_object_set_new(c->inferred, field, json_string(s));
	free(s);
}

/* Trim spaces and Markdown code ticks in place. */
static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '`')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '`' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int has_word(const char *hay, const char *word)
{
	return strcasestr(hay, word) != NULL;
}

/* --- HTML to text ---------------------------------------------------------------- */

/* Table rows become pipe rows and block ends become line breaks; other tags
 * go and the common entities are decoded. */
static char *html_to_text(const char *in, size_t len)
{
	static const struct { const char *tag, *out; } map[] = {
		{ "<tr", "\n|" }, { "</td", " |" }, { "</th", " |" }, { "</tr", "" },
		{ "<br", "\n" }, { "</p", "\n" }, { "<li", "\n- " }, { "</li", "\n" }, { "</h", "\n" },
		{ "<h1", "\n# " }, { "<h2", "\n## " }, { "<h3", "\n### " }, { "<pre", "\n" },
		{ "</pre", "\n" }, { "</div", "\n" }, { "</table", "\n" },
	};
	static const struct { const char *ent; char c; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' },
		{ "&#39;", '\'' }, { "&#x27;", '\'' }, { "&nbsp;", ' ' },
	};
	char *out = malloc(len * 3 + 1), *o = out;
	size_t i = 0, k;
	int in_table = 0;

	if (!out)
		return NULL;
	while (i < len) {
		if (in[i] == '<') {
			const char *end = memchr(in + i, '>', len - i);

			if (len - i > 6 && !strncasecmp(in + i, "<table", 6))
				in_table = 1;
			if (len - i > 7 && !strncasecmp(in + i, "</table", 7))
				in_table = 0;

			for (k = 0; k < sizeof(map) / sizeof(map[0]); k++) {
				size_t n = strlen(map[k].tag);

				if (len - i > n && !strncasecmp(in + i, map[k].tag, n) &&
				    !isalpha((unsigned char)in[i + n])) {
					o = stpcpy(o, map[k].out);
					break;
				}
			}
			i = end ? (size_t)(end - in) + 1 : len;
			continue;
		}
		if (in[i] == '&') {
			for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
				size_t n = strlen(ents[k].ent);

				if (len - i >= n && !strncmp(in + i, ents[k].ent, n)) {
					*o++ = ents[k].c;
					i += n;
					break;
				}
			}
			if (k < sizeof(ents) / sizeof(ents[0]))
				continue;
		}
		if (in_table && (in[i] == '\n' || in[i] == '\r')) {
			*o++ = ' ';  /* a row may span lines; "<tr" starts a new one */
			i++;
			continue;
		}
		*o++ = in[i++];
	}
	*o = '\0';
	return out;
}

/* --- lines and cells ----------------------------------------------------------------- */

static int split_lines(struct doc *d)
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

/* Split a pipe row into trimmed cells (the leading and trailing pipes are
 * optional); `buf` receives a copy it points into. Returns the count. */
static int cells_of(const char *line, char *buf, size_t size, char **cells)
{
	int n = 0;
	char *p, *bar;

	snprintf(buf, size, "%s", line);
	p = trim(buf);
	if (*p == '|')
		p++;
	if (*p && p[strlen(p) - 1] == '|')
		p[strlen(p) - 1] = '\0';
	while (n < MAX_CELLS) {
		bar = strchr(p, '|');
		if (bar)
			*bar = '\0';
		cells[n++] = trim(p);
		if (!bar)
			break;
		p = bar + 1;
	}
	return n;
}

enum col { COL_NONE, COL_CODE, COL_STATUS, COL_DOMAIN, COL_RETRY, COL_MESSAGE,
	   COL_NAME, COL_DESCRIPTION, COL_RESOLUTION, COL_CATEGORY, COL_MEANING };

static enum col column_of(const char *head)
{
	static const struct { const char *name; enum col col; } names[] = {
		{ "code", COL_CODE }, { "error code", COL_CODE }, { "error", COL_CODE },
		{ "problem type", COL_CODE }, { "type", COL_CODE },
		{ "status", COL_STATUS }, { "http", COL_STATUS }, { "http status", COL_STATUS },
		{ "status code", COL_STATUS }, { "domain", COL_DOMAIN },
		{ "retry?", COL_RETRY }, { "retry", COL_RETRY }, { "retryable", COL_RETRY },
		{ "retryable?", COL_RETRY }, { "retriable", COL_RETRY },
		{ "default message", COL_MESSAGE }, { "message", COL_MESSAGE }, { "title", COL_MESSAGE },
		{ "name", COL_NAME }, { "description", COL_DESCRIPTION }, { "detail", COL_DESCRIPTION },
		{ "resolution", COL_RESOLUTION }, { "action", COL_RESOLUTION },
		{ "category", COL_CATEGORY }, { "meaning", COL_MEANING },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(head, names[i].name))
			return names[i].col;
	return COL_NONE;
}

static int is_separator_row(char **cells, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!*cells[i] || strspn(cells[i], "-: ") != strlen(cells[i]))
			return 0;
	return n > 0;
}

static int valid_code(const char *s)
{
	size_t i;

	if (!*s || strlen(s) > 100)
		return 0;
	for (i = 0; s[i]; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return 0;
	return 1;
}

static struct icode *find_code(struct doc *d, const char *code)
{
	size_t i;

	for (i = 0; i < d->nr_codes; i++)
		if (!strcmp(d->codes[i].code, code) ||
		    (d->codes[i].name && !strcmp(d->codes[i].name, code)))
			return &d->codes[i];
	return NULL;
}

static struct icode *add_code(struct doc *d, const char *code)
{
	struct icode *c;

	if (find_code(d, code)) {
		warn(d, "%s is listed twice; the first entry is kept", code);
		return NULL;
	}
	if (d->nr_codes == MAX_CODES) {
		note(d, "more than %d codes; %s and later ones are not read", MAX_CODES, code);
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
		h = trim(h);
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
		h = trim(h);
		return *h ? strdup(h) : NULL;
	}
	return NULL;
}

static int parse_status(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return (*s && !*trim(end) && v >= 100 && v <= 599) ? (int)v : 0;
}

static int parse_yes_no(const char *s)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcasecmp(s, "y"))
		return 1;
	if (!strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcasecmp(s, "n"))
		return 0;
	return -1;
}

static void add_status(struct doc *d, int status, const char *meaning)
{
	size_t i;

	for (i = 0; i < d->nr_statuses; i++)
		if (d->statuses[i].status == status)
			return;
	if (d->nr_statuses == sizeof(d->statuses) / sizeof(d->statuses[0]))
		return;
	d->statuses[d->nr_statuses].status = status;
	d->statuses[d->nr_statuses++].meaning = strdup(meaning);
}

static const char *status_meaning(const struct doc *d, int status)
{
	size_t i;

	for (i = 0; i < d->nr_statuses; i++)
		if (d->statuses[i].status == status)
			return d->statuses[i].meaning;
	return NULL;
}

/* A pipe table starting at header line i; returns the first line after it. */
static size_t read_pipe_table(struct doc *d, size_t i, enum col *cols, int ncols)
{
	char buf[2048], *cells[MAX_CELLS], *category = heading_before(d, i);
	size_t start = i, rows = 0;
	int k;

	for (k = 0; k < ncols; k++) {
		d->has_retry_col |= cols[k] == COL_RETRY;
		d->has_message_col |= cols[k] == COL_MESSAGE;
		d->has_resolution_col |= cols[k] == COL_RESOLUTION;
	}
	for (i++; i < d->nr_lines && strchr(d->lines[i], '|'); i++) {
		int n = cells_of(d->lines[i], buf, sizeof(buf), cells);
		struct icode *c = NULL;
		int status = 0;

		if (is_separator_row(cells, n))
			continue;
		if (n != ncols) {
			note(d, "line %zu: %d cells where the table's header has %d; the row is not read",
			     i + 1, n, ncols);
			continue;
		}
		for (k = 0; k < ncols; k++)
			if (cols[k] == COL_STATUS)
				status = parse_status(cells[k]);
		for (k = 0; k < ncols; k++)
			if (cols[k] == COL_CODE) {
				const char *code = cells[k], *slash = strrchr(code, '/');

				if (slash && slash[1])  /* a problem type URI: its last segment */
					code = slash + 1;
				if (!valid_code(code)) {
					note(d, "line %zu: '%.60s' is not a code; the row is not read", i + 1, cells[k]);
					break;
				}
				if (!strncmp(code, "HTTP_", 5) && parse_status(code + 5) && status == parse_status(code + 5)) {
					c = add_code(d, code);  /* errata's name for a status-only entry */
					if (c)
						c->status_only = 1;
				} else {
					c = add_code(d, code);
				}
			}
		if (!c)
			continue;
		rows++;
		c->status = status;
		for (k = 0; k < ncols; k++) {
			const char *v = cells[k];

			switch (cols[k]) {
			case COL_STATUS:
				if (!status)
					note(d, "line %zu: '%s' is not an HTTP status", i + 1, v);
				break;
			case COL_DOMAIN: if (*v) c->domain = strdup(v); break;
			case COL_RETRY:
				c->retry = parse_yes_no(v);
				if (c->retry < 0)
					note(d, "line %zu: retry '%s' is neither Yes nor No", i + 1, v);
				break;
			case COL_MESSAGE: if (*v) c->message = strdup(v); break;
			case COL_NAME: if (*v && strcmp(v, c->code)) c->name = strdup(v); break;
			case COL_DESCRIPTION: if (*v) c->description = strdup(v); break;
			case COL_RESOLUTION: if (*v) c->resolution = strdup(v); break;
			case COL_CATEGORY:
				if (*v) {
					c->category = strdup(v);
					c->category_col = 1;
				}
				break;
			default: break;
			}
		}
		if (category && !c->category)
			c->category = strdup(category);
	}
	if (rows)
		d->nr_tables++;
	else
		note(d, "line %zu: a table of codes with no rows", start + 1);
	free(category);
	return i;
}

/* A status table (Status | Meaning) in pipe form. */
static size_t read_status_table(struct doc *d, size_t i, int scol, int mcol)
{
	char buf[2048], *cells[MAX_CELLS];

	for (i++; i < d->nr_lines && strchr(d->lines[i], '|'); i++) {
		int n = cells_of(d->lines[i], buf, sizeof(buf), cells), st;

		if (is_separator_row(cells, n) || n <= scol || n <= mcol)
			continue;
		st = parse_status(cells[scol]);
		if (st)
			add_status(d, st, cells[mcol]);
	}
	return i;
}

static int is_acronym_at(const char *s)
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
static size_t glued_split(const char *s, int *ambiguous)
{
	size_t i;

	*ambiguous = 0;
	for (i = 1; s[i] && (isupper((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_'); i++)
		if (s[i - 1] != '_' && isupper((unsigned char)s[i]) && is_acronym_at(s + i))
			return i;
	for (i = 1; s[i] && (isupper((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_'); i++)
		if (s[i - 1] != '_' && isupper((unsigned char)s[i]) && islower((unsigned char)s[i + 1]))
			return i;
	/* the description starts with capitals that are no known acronym */
	for (i = 1; s[i] && (isupper((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_'); i++)
		;
	if (s[i] == ' ') {
		while (i > 1 && isupper((unsigned char)s[i - 1]))
			i--;
		*ambiguous = 1;
		return i > 1 ? i + 1 : 0;
	}
	return 0;
}

/* A glued table: a "CodeDescription" or "StatusMeaning" line, then rows up to
 * a blank line. */
static size_t read_glued_table(struct doc *d, size_t i, int status_table)
{
	char *category = status_table ? NULL : heading_before(d, i);
	size_t rows = 0;

	for (i++; i < d->nr_lines && *trim(d->lines[i]); i++) {
		char *l = trim(d->lines[i]);

		if (status_table) {
			int st = isdigit((unsigned char)l[0]) && isdigit((unsigned char)l[1]) &&
				 isdigit((unsigned char)l[2]) ? (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0') : 0;

			if (st >= 100 && st <= 599 && l[3])
				add_status(d, st, trim(l + 3));
			continue;
		} else {
			int amb;
			size_t at = glued_split(l, &amb);
			struct icode *c;
			char code[128];

			if (!at || at >= sizeof(code)) {
				note(d, "line %zu: cannot tell where the code ends in '%.60s'", i + 1, l);
				continue;
			}
			memcpy(code, l, at);
			code[at] = '\0';
			if (amb)
				note(d, "line %zu: where the code ends in '%.60s' is a guess (%s)", i + 1, l, code);
			c = add_code(d, code);
			if (!c)
				continue;
			rows++;
			c->description = strdup(trim(l + at));
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

static void read_structure(struct doc *d)
{
	char buf[2048], *cells[MAX_CELLS];
	size_t i = 0;

	while (i < d->nr_lines) {
		const char *l = d->lines[i];
		char *t;
		int n, k, st;
		const char *text;

		if (strchr(l, '|')) {
			enum col cols[MAX_CELLS];
			int code = -1, status = -1, meaning = -1, known = 0;

			n = cells_of(l, buf, sizeof(buf), cells);
			for (k = 0; k < n; k++) {
				cols[k] = column_of(cells[k]);
				known += cols[k] != COL_NONE;
				if (cols[k] == COL_CODE && code < 0)
					code = k;
				if (cols[k] == COL_STATUS && status < 0)
					status = k;
				if ((cols[k] == COL_MEANING || cols[k] == COL_DESCRIPTION) && meaning < 0)
					meaning = k;
			}
			if (code >= 0 && known >= 2 && n >= 2) {
				for (k = 0; k < n; k++)
					if (cols[k] == COL_NONE)
						note(d, "line %zu: column '%s' is not read", i + 1, cells[k]);
				i = read_pipe_table(d, i, cols, n);
				continue;
			}
			if (status >= 0 && meaning >= 0 && code < 0) {
				i = read_status_table(d, i, status, meaning);
				continue;
			}
			i++;
			continue;
		}
		snprintf(buf, sizeof(buf), "%s", l);
		t = trim(buf);
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
				add_status(d, st, m);
				free(m);
			}
		}
		i++;
	}
}

/* --- JSON examples ---------------------------------------------------------------- */

static void read_examples(struct doc *d)
{
	size_t i, len = strlen(d->text);

	for (i = 0; i < d->nr_lines; i++) {
		const char *l = d->lines[i];
		size_t lead = strspn(l, " \t"), off = d->offs[i] + lead, end, k;
		json_error_t jerr;
		json_t *v;

		if (l[lead] != '{')
			continue;
		v = json_loadb(d->text + off, len - off, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &jerr);
		if (!v)
			continue;
		if (!json_is_object(v) || !json_object_size(v)) {
			json_decref(v);
			continue;
		}
		for (k = 0; k < json_array_size(d->examples); k++)
			if (json_equal(json_array_get(d->examples, k), v))
				break;
		if (k < json_array_size(d->examples))
			warn(d, "the page prints the same JSON example twice (line %zu)", i + 1);
		json_array_append_new(d->examples, v);
		end = off + (size_t)jerr.position;
		while (i + 1 < d->nr_lines && d->offs[i + 1] < end)
			i++;
	}
}

/* The object holding the code in an example, and the code: a "code" member
 * at any depth, or a problem type URI ("type"). */
static json_t *example_error(json_t *v, const char **code)
{
	const char *key;
	json_t *m, *hit;

	if (!json_is_object(v))
		return NULL;
	m = json_object_get(v, "code");
	if (json_is_string(m)) {
		*code = json_string_value(m);
		return v;
	}
	json_object_foreach(v, key, m)
		if ((hit = example_error(m, code)))
			return hit;
	return NULL;
}

static int is_problem(json_t *v)
{
	return json_is_string(json_object_get(v, "type")) && json_object_get(v, "title") &&
	       !json_object_get(v, "code");
}

/* A problem example's code: its type URI's last segment. */
static const char *problem_code(json_t *v)
{
	const char *t = json_string_value(json_object_get(v, "type")), *slash = strrchr(t, '/');

	return slash && slash[1] ? slash + 1 : NULL;
}

/* Does every example's error object have member `key`? Those that only some
 * examples show are a code's extra members. */
static int in_every_example(json_t *examples, const char *key)
{
	size_t i;

	for (i = 0; i < json_array_size(examples); i++) {
		json_t *ex = json_array_get(examples, i), *err;
		const char *code;

		if ((err = example_error(ex, &code)) && !json_object_get(err, key))
			return 0;
	}
	return 1;
}

static int is_message_key(const char *k)
{
	return !strcmp(k, "message") || !strcmp(k, "detail") || !strcmp(k, "error") ||
	       !strcmp(k, "title") || !strcmp(k, "description") || !strcmp(k, "msg") ||
	       !strcmp(k, "error_description");
}

static int is_status_key(const char *k)
{
	return !strcmp(k, "status") || !strcmp(k, "http") || !strcmp(k, "status_code") ||
	       !strcmp(k, "statusCode") || !strcmp(k, "http_status");
}

/* --- rules -------------------------------------------------------------------------- */

static int in_list(int v, const int *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == v)
			return 1;
	return 0;
}

/* Is `status` in the document's status table (any status, when it has none)? */
static int listed(const struct doc *d, int status)
{
	return !d->nr_statuses || status_meaning(d, status) != NULL;
}

/*
 * A status for a code the document gives none, from the words of its code
 * and description by the HTTP conventions named in each reason. Only
 * statuses in the document's status table are chosen when it has one.
 */
static int guess_status(const struct doc *d, const struct icode *c, const char **why)
{
	static const struct {
		const char *words;  /* any of these, '|' separated, in the code or text */
		int status, alt;    /* alt: when status is not listed */
		const char *why;
	} rules[] = {
		{ "NOT_FOUND|does not exist|not found", 404, 0, "\"not found\" is 404" },
		{ "TOKEN|JWT|KEY_REVOKED|UNAUTHORIZED|UNAUTHENTICATED|SESSION|authentication|credential", 401, 0,
		  "invalid or missing authentication is 401" },
		{ "SCOPE|PERMISSION|FORBIDDEN|permissions", 403, 0, "missing permission is 403" },
		{ "EXPIRED|GONE", 410, 404, "an expired resource is gone: 410, or 404 when the page lists no 410" },
		{ "ALREADY|EXISTS|CONFLICT|DUPLICATE|already", 409, 0, "a state conflict is 409" },
		{ "TOO_LARGE|too large|exceeds maximum size", 413, 0, "a payload too large is 413" },
		{ "CONCURREN|RATE_LIMIT|TOO_MANY", 429, 0, "too many requests is 429" },
		{ "QUOTA|PAYMENT|CREDITS|SPENDING|BILLING", 402, 403,
		  "a refusal for payment is 402, or 403 when the page lists no 402" },
		{ "UNSUPPORTED", 415, 400, "an unsupported format is 415, or 400 when the page lists no 415" },
		{ "INVALID|MISSING|MALFORMED|BAD_REQUEST", 400, 0, "an invalid or missing parameter is 400" },
		{ "TIMEOUT", 504, 0, "a timeout is 504" },
		{ "UNAVAILABLE", 503, 0, "unavailable is 503" },
	};
	char hay[1024], word[128];
	size_t r;

	snprintf(hay, sizeof(hay), "%s %s", c->code, c->description ? c->description : "");
	for (r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
		const char *w = rules[r].words;
		int hit = 0;

		while (*w && !hit) {
			size_t n = strcspn(w, "|");

			snprintf(word, sizeof(word), "%.*s", (int)n, w);
			/* upper-case words are matched in the code, case-insensitively
			 * (invalid_request); the others in the description */
			if (isupper((unsigned char)word[0]) ? strcasestr(c->code, word) != NULL
							    : strstr(hay + strlen(c->code), word) != NULL)
				hit = 1;
			w += n + (w[n] == '|');
		}
		if (!hit)
			continue;
		if (listed(d, rules[r].status)) {
			*why = rules[r].why;
			return rules[r].status;
		}
		if (rules[r].alt && listed(d, rules[r].alt)) {
			*why = rules[r].why;
			return rules[r].alt;
		}
	}
	if (listed(d, 422)) {
		*why = "no rule names a status; a request that was understood but cannot be processed is 422";
		return 422;
	}
	*why = "no rule names a status; 400 is the general client error";
	return 400;
}

static int guess_role(const char *code, int status)
{
	char up[160];
	size_t i;

	for (i = 0; code[i] && i < sizeof(up) - 1; i++)
		up[i] = (char)toupper((unsigned char)code[i]);
	up[i] = '\0';
#define HAS(w) (strstr(up, (w)) != NULL)
	if (HAS("IDEMPOTEN") && (HAS("REUSE") || HAS("MISMATCH") || HAS("CONFLICT")))
		return ROLE_IDEMPOTENCY_CONFLICT;
	switch (status) {
	case 401:
		return HAS("REQUIRED") || HAS("MISSING") || HAS("UNAUTHORIZED") || HAS("UNAUTHENTICATED")
		       ? ROLE_AUTH_REQUIRED : ROLE_AUTH_INVALID;
	case 402: return HAS("QUOTA") || HAS("SPEND") ? ROLE_QUOTA : ROLE_INSUFFICIENT_CREDITS;
	case 403:
		if (HAS("QUOTA"))
			return ROLE_QUOTA;
		return HAS("PAYMENT") || HAS("CREDIT") ? ROLE_INSUFFICIENT_CREDITS : ROLE_FORBIDDEN;
	case 404: case 410: return ROLE_NOT_FOUND;
	case 409: return ROLE_CONFLICT;
	case 413: return ROLE_PAYLOAD_TOO_LARGE;
	case 425: return ROLE_NOT_READY;
	case 429:
		if (HAS("CONCURREN"))
			return ROLE_CONCURRENCY_LIMITED;
		if (HAS("QUOTA"))
			return ROLE_QUOTA;
		return HAS("QUEUE") || HAS("CAPACITY") ? ROLE_CAPACITY : ROLE_RATE_LIMITED;
	case 500: return ROLE_INTERNAL;
	case 502: return ROLE_UPSTREAM;
	case 503:
		if (HAS("CONFIG"))
			return ROLE_MISCONFIGURED;
		if (HAS("CAPACITY"))
			return ROLE_CAPACITY;
		if (HAS("TIMEOUT"))
			return ROLE_TIMEOUT;
		return HAS("UPSTREAM") || HAS("STORAGE") ? ROLE_UPSTREAM : ROLE_UNAVAILABLE;
	case 504: return ROLE_TIMEOUT;
	default: return status >= 500 ? ROLE_INTERNAL : ROLE_VALIDATION;
	}
#undef HAS
}

/* The role a status table's line describes, for status-only entries. */
static int status_role(int status, const char *meaning)
{
	if (status == 429 && meaning && (has_word(meaning, "quota")))
		return ROLE_QUOTA;
	return guess_role("", status);
}

static int same_role_family(int a, int b)
{
	int auth_a = a == ROLE_AUTH_REQUIRED || a == ROLE_AUTH_INVALID;
	int auth_b = b == ROLE_AUTH_REQUIRED || b == ROLE_AUTH_INVALID;

	return a == b || (auth_a && auth_b);
}

/*
 * Retry safety from a Resolution cell: retry when it says to retry as it is
 * ("Retry; ...", "Retry with ..."), to back off, or to wait and then retry;
 * not when the caller must change or check something first ("Check ... and
 * retry"). A 4xx other than 408, 425 and 429 is never retried.
 */
static int retry_from_resolution(const char *res, int status, const char **why)
{
	int transient4xx = status == 408 || status == 425 || status == 429;

	if (status < 500 && !transient4xx) {
		*why = "client error (4xx); the resolution asks for a changed request";
		return 0;
	}
	if (!strncasecmp(res, "retry", 5)) {
		*why = "the resolution begins with \"Retry\"";
		return 1;
	}
	if (has_word(res, "backoff") || has_word(res, "back off")) {
		*why = "the resolution asks for backoff";
		return 1;
	}
	if (!strncasecmp(res, "wait", 4) && has_word(res, "retry")) {
		*why = "the resolution asks to wait, then retry";
		return 1;
	}
	*why = "the resolution asks for a change before any retry";
	return 0;
}

static const int conventional[] = { 408, 425, 429, 500, 502, 503, 504 };

/*
 * Retry guidance in prose: bullets that begin "Retry" name the statuses to
 * retry (a "5xx" stands for the document's 5xx statuses). Returns the count
 * of statuses found, 0 when the page gives none.
 */
static size_t retry_guidance(struct doc *d, int *out, size_t cap)
{
	size_t i, n = 0, k;

	for (i = 0; i < d->nr_lines; i++) {
		const char *l = d->lines[i], *p;

		while (*l && !isalpha((unsigned char)*l))
			l++;
		if (strncasecmp(l, "retry ", 6))
			continue;
		for (p = l; *p; p++) {
			int st;

			if (!isdigit((unsigned char)p[0]) || (p > l && isalnum((unsigned char)p[-1])))
				continue;
			if (p[1] == 'x' && p[2] == 'x') {
				for (k = 0; k < d->nr_statuses; k++)
					if (d->statuses[k].status / 100 == p[0] - '0' && n < cap &&
					    !in_list(d->statuses[k].status, out, n))
						out[n++] = d->statuses[k].status;
				continue;
			}
			st = atoi(p);
			if (st >= 400 && st <= 599 && isdigit((unsigned char)p[2]) && n < cap && !in_list(st, out, n))
				out[n++] = st;
			while (isdigit((unsigned char)p[1]))
				p++;
		}
	}
	return n;
}

/* "INVALID_URL" -> "Invalid URL." */
static char *message_from_code(const char *code)
{
	char *out = malloc(strlen(code) * 2 + 2), *o = out;
	const char *p = code;
	int first = 1;

	if (!out)
		return NULL;
	while (*p) {
		size_t n = strcspn(p, "_-. ");
		char word[128];
		size_t k;

		snprintf(word, sizeof(word), "%.*s", (int)(n < 127 ? n : 127), p);
		if (*word) {
			int acronym = is_acronym_at(word) && strlen(word) <= 5;

			if (!first)
				*o++ = ' ';
			for (k = 0; word[k]; k++)
				*o++ = acronym ? (char)toupper((unsigned char)word[k]) :
				       (first && !k) ? (char)toupper((unsigned char)word[k]) :
				       (char)tolower((unsigned char)word[k]);
			first = 0;
		}
		p += n;
		if (*p)
			p++;
	}
	*o++ = '.';
	*o = '\0';
	return out;
}

/* Codes the prose names: "Expect codes like FORBIDDEN, INVALID_URL ...",
 * "can fail with INSUFFICIENT_CREDITS or ...". */
static void read_prose_codes(struct doc *d)
{
	static const char *const skip[] = {
		"POST", "PATCH", "DELETE", "HEAD", "OPTIONS", "JSON", "HTTP", "HTTPS", "NOTE", "TODO", NULL
	};
	size_t i, k;

	for (i = 0; i < d->nr_lines; i++) {
		const char *l = d->lines[i], *p = l;

		if (!strstr(l, "code") && !strstr(l, "fail with"))
			continue;
		while (*p) {
			size_t n;
			char word[128];

			if (!isupper((unsigned char)*p) || (p > l && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))) {
				p++;
				continue;
			}
			n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
			if (n >= 4 && n < sizeof(word) && !islower((unsigned char)p[n]) && p[n - 1] != '_') {
				snprintf(word, sizeof(word), "%.*s", (int)n, p);
				for (k = 0; skip[k] && strcmp(skip[k], word); k++)
					;
				if (!skip[k] && !find_code(d, word)) {
					struct icode *c = add_code(d, word);

					(void)c;
				}
			}
			p += n ? n : 1;
		}
	}
}

/* --- the envelope ------------------------------------------------------------------ */

/* Replace the example's code, message and status by placeholders. */
static void templatize(json_t *v, const char *code, const char *message, int status)
{
	const char *key;
	json_t *m;
	void *tmp;

	json_object_foreach_safe(v, tmp, key, m) {
		if (json_is_string(m)) {
			const char *s = json_string_value(m);
			size_t sl = strlen(s), cl = strlen(code);

			if (!strncmp(s, "{{", 2))
				continue;
			if (!strcmp(s, code))
				json_object_set_new(v, key, json_string("{{code}}"));
			else if (sl > cl && !strcmp(s + sl - cl, code) && s[sl - cl - 1] == '/') {
				char *t = xprintf("%.*s{{code}}", (int)(sl - cl), s);

				json_object_set_new(v, key, json_string(t ? t : s));
				free(t);
			} else if ((message && !strcmp(s, message)) || is_message_key(key))
				json_object_set_new(v, key, json_string("{{message}}"));
		} else if (json_is_integer(m) && is_status_key(key) &&
			   (json_integer_value(m) == status || !status)) {
			json_object_set_new(v, key, json_string("{{status}}"));
		} else if (json_is_object(m) && !strcmp(key, "details")) {
			json_object_set_new(v, key, json_string("{{details}}"));
		} else if (json_is_object(m)) {
			templatize(m, code, message, status);
		}
	}
}

/* The success body: the envelope's booleans flipped and its error member
 * null; strings (codes, messages) dropped. */
static json_t *success_of(json_t *tmpl)
{
	json_t *out = json_object(), *m;
	const char *key;

	json_object_foreach(tmpl, key, m) {
		if (!strncmp(key, "{{", 2))
			continue;
		if (json_is_boolean(m))
			json_object_set_new(out, key, json_boolean(!json_is_true(m)));
		else if (json_is_null(m))
			json_object_set_new(out, key, json_null());
		else if (json_is_object(m) && json_object_size(tmpl) > 1)
			json_object_set_new(out, key, json_null());
	}
	return out;
}

/* --- building the contract -------------------------------------------------------- */

static int has_extra(json_t *v)
{
	const char *key;
	json_t *m;

	json_object_foreach(v, key, m)
		if (!strcmp(key, "{{extra}}") || (json_is_object(m) && has_extra(m)))
			return 1;
	return 0;
}

static json_t *int_array(const int *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

static void set_str(json_t *o, const char *key, const char *v)
{
	if (v)
		json_object_set_new(o, key, json_string(v));
}

static char *default_id(const char *source)
{
	const char *base = strrchr(source, '/');
	char *id = strdup(base ? base + 1 : source), *p, *dot;

	if (!id)
		return NULL;
	dot = strchr(id, '.');
	if (dot && dot != id)
		*dot = '\0';
	for (p = id; *p; p++)
		*p = isalnum((unsigned char)*p) || *p == '_' || *p == '-' ? (char)tolower((unsigned char)*p) : '-';
	return id;
}

static char *title_of(struct doc *d)
{
	size_t i;

	for (i = 0; i < d->nr_lines; i++) {
		char buf[256], *t;

		snprintf(buf, sizeof(buf), "%s", d->lines[i]);
		t = buf;
		if (*t == '>')
			continue;
		while (*t == '#' || *t == ' ')
			t++;
		t = trim(t);
		if (*t && strlen(t) < 80 && strcasecmp(t, "skip to main content") && !strchr(t, '|'))
			return strdup(t);
	}
	return strdup("API errors");
}

/* The first "NN error codes" a heading claims, against the tables' count. */
static void check_claimed_count(struct doc *d, size_t documented)
{
	size_t i;

	for (i = 0; i < d->nr_lines; i++) {
		const char *p = d->lines[i];

		if (strchr("-*>", p[strspn(p, " ")]))  /* a list or a quote, no heading */
			continue;
		for (; *p; p++) {
			char *end;
			long n;

			if (!isdigit((unsigned char)*p) || (p > d->lines[i] && isalnum((unsigned char)p[-1])))
				continue;
			n = strtol(p, &end, 10);
			if (!strncmp(end, " error codes", 12) || !strncmp(end, " codes", 6)) {
				if ((size_t)n != documented) {
					const char *l = d->lines[i];

					warn(d, "the page says \"%.*s\"; its tables list %zu codes",
					     (int)strcspn(l, ".\n"), l, documented);
				}
				return;
			}
			p = end - 1;
		}
	}
}

static void check_consistency(struct doc *d)
{
	size_t i, j, lower = 0, upper = 0;

	for (i = 0; i < d->nr_codes; i++) {
		struct icode *a = &d->codes[i];

		if (a->status_only)
			continue;
		for (j = i + 1; j < d->nr_codes; j++) {
			struct icode *b = &d->codes[j];

			if (b->status_only || !a->message || !b->message)
				continue;
			if (a->status == b->status && !strcmp(a->message, b->message) &&
			    a->retry >= 0 && b->retry >= 0 && a->retry != b->retry)
				warn(d, "%s and %s share status %d and the message \"%s\" but have opposite retry safety",
				     a->code, b->code, a->status, a->message);
		}
		if (a->retry == 0 && a->message &&
		    (has_word(a->message, "try again") || has_word(a->message, "retry shortly")))
			warn(d, "%s is documented as not retryable, yet its message says \"%s\"",
			     a->code, a->message);
		if (strpbrk(a->code, "abcdefghijklmnopqrstuvwxyz"))
			lower++;
		else
			upper++;
	}
	if (lower && upper && upper > lower)
		warn(d, "code case is mixed: %zu codes are lower case, %zu upper case", lower, upper);
}

static json_t *build(struct doc *d, const char *source, const char *id_arg)
{
	json_t *c = json_object(), *codes = json_array(), *inferred = json_object();
	json_t *tmpl = NULL, *headers, *policy, *retry, *idem, *ra;
	int retry_st[16], ra_st[4] = { 429, 503 }, retry_by_code, guided, problem = 0;
	size_t nr_retry = 0, nr_ra = 2, i, k, documented = 0;
	const char *conflict = NULL, *missing = NULL, *why;
	char *id = id_arg ? strdup(id_arg) : default_id(source), *title = title_of(d);
	const char *ctype;

	/* examples: the envelope, and what they say of their codes */
	for (i = 0; i < json_array_size(d->examples); i++) {
		json_t *ex = json_array_get(d->examples, i), *err, *m;
		const char *code = NULL, *key;
		struct icode *ic;

		if (is_problem(ex)) {
			code = problem_code(ex);
			err = ex;
			problem = 1;
		} else {
			err = example_error(ex, &code);
		}
		if (!err || !code)
			continue;
		ic = find_code(d, code);
		if (!ic && !d->nr_tables && valid_code(code))
			ic = add_code(d, code);
		if (!tmpl && (ic || i + 1 == json_array_size(d->examples) || !d->nr_tables)) {
			tmpl = json_deep_copy(ex);
			if (problem) {
				json_object_del(tmpl, "instance");
				json_object_set_new(tmpl, "detail", json_string("{{detail}}"));
			}
			templatize(tmpl, code, json_string_value(json_object_get(err, "message")),
				   ic ? ic->status : 0);
		}
		if (!ic)
			continue;
		/* the example's message and status are documented values */
		m = json_object_get(err, problem ? "title" : "message");
		if (json_is_string(m)) {
			const char *msg = json_string_value(m);

			if (!ic->message && !d->has_message_col) {
				if (ic->description && strcmp(ic->description, msg))
					warn(d, "the example message for %s (\"%s\") differs from its table description (\"%s\")",
					     ic->code, msg, ic->description);
				ic->message = strdup(msg);
			} else if (ic->message && strcmp(ic->message, msg)) {
				warn(d, "the example message for %s (\"%s\") differs from the table's (\"%s\")",
				     ic->code, msg, ic->message);
			}
		}
		json_object_foreach(err, key, m) {
			if (is_status_key(key) && json_is_integer(m)) {
				int st = (int)json_integer_value(m);

				if (!ic->status)
					ic->status = st;
				else if (ic->status != st)
					warn(d, "the example gives %s status %d, the table %d", ic->code, st, ic->status);
			} else if (!strcmp(key, "details") && json_is_object(m) && json_object_size(m)) {
				if (!ic->details)
					ic->details = json_deep_copy(m);
			} else if (!problem && strcmp(key, "code") && !is_message_key(key) &&
				   !is_status_key(key) && strcmp(key, "details") && !json_is_object(m) &&
				   !in_every_example(d->examples, key)) {
				if (!ic->extra)
					ic->extra = json_object();
				json_object_set(ic->extra, key, m);
			}
		}
	}
	if (!d->nr_tables)
		read_prose_codes(d);
	if (!d->nr_codes) {
		json_decref(c);
		json_decref(codes);
		json_decref(inferred);
		json_decref(tmpl);
		free(id);
		free(title);
		return NULL;
	}

	/* the envelope: members some examples lack are optional, and members
	 * beyond the template are a code's extras */
	if (!tmpl) {
		tmpl = json_pack("{s:{s:s,s:s}}", "error", "code", "{{code}}", "message", "{{message}}");
		json_object_set_new(inferred, "envelope.error",
				    json_string("the page shows no envelope example; {\"error\": {\"code\", \"message\"}} is assumed"));
	} else {
		json_t *holder = NULL;
		const char *dummy;

		for (i = 0; i < json_array_size(d->examples); i++) {
			json_t *ex = json_array_get(d->examples, i), *err = example_error(ex, &dummy);
			struct icode *ic = err ? find_code(d, dummy) : NULL;

			if (!ic)
				continue;
			holder = NULL;
			{
				/* the template's object holding {{code}} */
				json_t *stack[8];
				size_t sp = 0;
				const char *key;
				json_t *m;

				stack[sp++] = tmpl;
				while (sp && !holder) {
					json_t *o = stack[--sp];

					json_object_foreach(o, key, m) {
						if (json_is_string(m) && !strcmp(json_string_value(m), "{{code}}"))
							holder = o;
						else if (json_is_object(m) && sp < 8)
							stack[sp++] = m;
					}
				}
			}
			if (!holder)
				continue;
			if (json_is_string(json_object_get(holder, "details")) && !json_object_get(err, "details"))
				json_object_set_new(holder, "details", json_string("{{details?}}"));
			if (ic->extra)
				json_object_set_new(holder, "{{extra}}", json_null());
		}
		/* extras the first example showed are not constants of the template */
		if (holder && json_object_get(holder, "{{extra}}")) {
			for (i = 0; i < d->nr_codes; i++) {
				const char *key;
				json_t *m;

				if (d->codes[i].extra)
					json_object_foreach(d->codes[i].extra, key, m)
						json_object_del(holder, key);
			}
		}
	}

	/* statuses, messages and roles */
	for (i = 0; i < d->nr_codes; i++) {
		struct icode *ic = &d->codes[i];

		if (!ic->status) {
			ic->status = guess_status(d, ic, &why);
			infer(ic, "status", "the page gives no status for this code; %s", why);
		}
		if (!ic->message && ic->description) {
			ic->message = ic->description;
			ic->description = NULL;
			infer(ic, "message", "the page gives only a description; it is used as the message");
		} else if (ic->description && ic->message && !strcmp(ic->description, ic->message)) {
			free(ic->description);
			ic->description = NULL;
		}
		if (!ic->message) {
			ic->message = message_from_code(ic->code);
			infer(ic, "message", "the page names this code without a message; errata words one from the code");
		}
		if (!ic->status_only)
			documented++;
		ic->role = guess_role(ic->code, ic->status);
	}
	/* a listed status no code covers in its sense gets a status-only entry */
	for (k = 0; k < d->nr_statuses; k++) {
		int st = d->statuses[k].status, role = status_role(st, d->statuses[k].meaning), have = 0;
		char name[16];
		struct icode *ic;

		if (st < 400)
			continue;
		for (i = 0; i < d->nr_codes; i++)
			have |= d->codes[i].status == st && same_role_family(d->codes[i].role, role);
		snprintf(name, sizeof(name), "HTTP_%d", st);
		if (have || find_code(d, name) || !(ic = add_code(d, name)))
			continue;
		ic->status_only = 1;
		ic->status = st;
		ic->message = strdup(d->statuses[k].meaning);
		ic->role = role;
		infer(ic, "code", "the page lists %d with no application code; errata names the entry %s", st, name);
		infer(ic, "message", "the page gives no message; its description of %d is used", st);
	}

	/* retry safety */
	retry_by_code = d->has_retry_col || d->has_resolution_col;
	guided = 0;
	if (!retry_by_code) {
		nr_retry = retry_guidance(d, retry_st, 16);
		guided = nr_retry > 0;
		if (!guided)
			for (k = 0; k < sizeof(conventional) / sizeof(conventional[0]); k++) {
				int used = 0;

				for (i = 0; i < d->nr_codes; i++)
					used |= d->codes[i].status == conventional[k];
				if (used && nr_retry < 16)
					retry_st[nr_retry++] = conventional[k];
			}
	}
	for (i = 0; i < d->nr_codes; i++) {
		struct icode *ic = &d->codes[i];

		if (ic->retry >= 0)
			continue;
		if (ic->resolution) {
			ic->retry = retry_from_resolution(ic->resolution, ic->status, &why);
			infer(ic, "retryable", "%s", why);
		} else if (retry_by_code) {
			ic->retry = in_list(ic->status, conventional, sizeof(conventional) / sizeof(conventional[0]));
			infer(ic, "retryable", "the page gives no retry safety for this code; %d is %s by HTTP convention",
			      ic->status, ic->retry ? "transient" : "not cured by retrying");
		} else {
			ic->retry = in_list(ic->status, retry_st, nr_retry);
			infer(ic, "retryable", guided ? "the page's retry guidance %s %d" :
			      "the page gives no retry guidance; %s %d by HTTP convention",
			      ic->retry ? "retries" : "does not retry", ic->status);
		}
	}
	if (retry_by_code) {
		nr_retry = 0;
		for (i = 0; i < d->nr_codes; i++)
			if (d->codes[i].retry == 1 && !in_list(d->codes[i].status, retry_st, nr_retry) && nr_retry < 16)
				retry_st[nr_retry++] = d->codes[i].status;
		for (i = 1; i < nr_retry; i++)  /* sorted, for reading */
			for (k = i; k > 0 && retry_st[k - 1] > retry_st[k]; k--) {
				int t = retry_st[k];

				retry_st[k] = retry_st[k - 1];
				retry_st[k - 1] = t;
			}
	}
	if (d->nr_tables < 2)  /* a single table's heading is no category */
		for (i = 0; i < d->nr_codes; i++)
			if (!d->codes[i].category_col) {
				free(d->codes[i].category);
				d->codes[i].category = NULL;
			}
	check_claimed_count(d, documented);
	check_consistency(d);

	/* the codes */
	for (i = 0; i < d->nr_codes; i++) {
		struct icode *ic = &d->codes[i];
		json_t *e = json_object();

		set_str(e, "code", ic->code);
		set_str(e, "name", ic->name);
		if (ic->status_only)
			json_object_set_new(e, "status_only", json_true());
		json_object_set_new(e, "status", json_integer(ic->status));
		json_object_set_new(e, "retryable", json_boolean(ic->retry == 1));
		set_str(e, "message", ic->message);
		set_str(e, "description", ic->description);
		set_str(e, "domain", ic->domain);
		set_str(e, "category", ic->category);
		set_str(e, "resolution", ic->resolution);
		json_object_set_new(e, "role", json_string(role_name(ic->role)));
		if (ic->details)
			json_object_set(e, "details", ic->details);
		if (ic->extra && has_extra(tmpl))
			json_object_set(e, "extra", ic->extra);
		if (ic->inferred)
			json_object_set(e, "inferred", ic->inferred);
		json_array_append_new(codes, e);
		if (!conflict && ic->status == 409 && !ic->status_only)
			conflict = ic->code;
		if (ic->role == ROLE_IDEMPOTENCY_CONFLICT)
			conflict = ic->code;
		if (!missing && strcasestr(ic->code, "idempotency") && (strcasestr(ic->code, "missing") || strcasestr(ic->code, "required")))
			missing = ic->code;
	}

	json_object_set_new(c, "errata", json_integer(CONTRACT_FORMAT));
	json_object_set_new(c, "id", json_string(id ? id : "imported"));
	json_object_set_new(c, "title", json_string(title));
	json_object_set_new(c, "source", json_string(source));
	ctype = strstr(d->text, "application/problem+json") ? "application/problem+json" :
		strstr(d->text, "application/json") ? "application/json" : NULL;
	json_object_set_new(c, "content_type", json_string(ctype ? ctype : "application/json"));
	if (!ctype)
		json_object_set_new(inferred, "content_type", json_string("the page names no media type; application/json is assumed"));
	json_object_set_new(c, "messages", json_string("default"));
	json_object_set_new(c, "envelope", json_pack("{s:o,s:o}", "error", tmpl, "success", success_of(tmpl)));
	json_object_set_new(inferred, "envelope.success",
			    json_string("the page documents only errors; the success body is assumed from the error envelope"));

	headers = json_object();
	{
		const char *rid = strcasestr(d->text, "x-request-id");

		json_object_set_new(headers, "request_id", json_string("X-Request-Id"));
		if (!rid)
			json_object_set_new(inferred, "headers.request_id",
					    json_string("the page names no request id header; X-Request-Id is assumed"));
	}
	ra = json_pack("{s:o,s:b,s:i}", "statuses", int_array(ra_st, nr_ra), "retryable_only", 1,
		       "default_seconds", 1);
	json_object_set_new(headers, "retry_after", ra);
	if (!strcasestr(d->text, "retry-after"))
		json_object_set_new(inferred, "headers.retry_after",
				    json_string("the page does not mention Retry-After; assumed on retryable 429 and 503 responses (RFC 9110, RFC 6585)"));
	json_object_set_new(headers, "rate_limit", json_pack("{s:s,s:i,s:i}", "policy", "default", "quota", 60, "window", 60));
	json_object_set_new(inferred, "headers.rate_limit",
			    json_string("the importer reads no quota or window; errata advertises 60 requests per 60 seconds"));
	json_object_set_new(c, "headers", headers);

	policy = json_object();
	retry = json_pack("{s:s,s:o,s:b}", "basis", retry_by_code ? "code" : "status",
			  "statuses", int_array(retry_st, nr_retry), "honour_retry_after", 1);
	if (strcasestr(d->text, "idempotency") && strstr(d->text, "POST"))
		json_object_set_new(retry, "post_requires_idempotency_key", json_true());
	json_object_set_new(policy, "retry", retry);
	if (!retry_by_code && !guided)
		json_object_set_new(inferred, "policy.retry",
				    json_string("the page gives no retry guidance; statuses are retried by HTTP convention"));
	idem = json_pack("{s:s,s:[s],s:s?}", "header", "Idempotency-Key", "methods", "POST",
			 "conflict_code", conflict);
	if (!conflict)
		json_object_set_new(idem, "conflict_code", json_null());
	if (missing && strcasestr(d->text, "must carry an idempotency-key")) {
		json_object_set_new(idem, "required", json_true());
		json_object_set_new(idem, "missing_code", json_string(missing));
	}
	json_object_set_new(policy, "idempotency", idem);
	if (!strcasestr(d->text, "idempotency-key"))
		json_object_set_new(inferred, "policy.idempotency",
				    json_string("the page does not mention idempotency; the IETF draft header is assumed"));
	json_object_set_new(c, "policy", policy);
	json_object_set_new(c, "inferred", inferred);
	json_object_set(c, "inconsistencies", d->warnings);
	json_object_set_new(c, "codes", codes);
	free(id);
	free(title);
	return c;
}

json_t *contract_import(const char *text, size_t len, const char *source,
			const char *id, json_t *warnings, struct load_error *err)
{
	struct doc *d = calloc(1, sizeof(*d));
	json_t *c = NULL;
	size_t i;

	if (err) {
		memset(err, 0, sizeof(*err));
		snprintf(err->source, sizeof(err->source), "%s", source);
	}
	if (!d)
		goto oom;
	if (memchr(text, '\0', len)) {
		if (err)
			snprintf(err->text, sizeof(err->text), "the document holds NUL bytes; it is not text");
		free(d);
		return NULL;
	}
	d->text = strcasestr(text, "<table") || strcasestr(text, "<tr") ? html_to_text(text, len) : strndup(text, len);
	d->examples = json_array();
	d->warnings = json_array();
	d->notes = json_array();
	if (!d->text || split_lines(d))
		goto oom;
	read_structure(d);
	read_examples(d);
	c = build(d, source, id);
	if (!c && err)
		snprintf(err->text, sizeof(err->text),
			 "no error codes found (a table with a Code column, a \"CodeDescription\" table, or JSON examples with a \"code\")");
	if (warnings) {
		json_array_extend(warnings, d->warnings);
		json_array_extend(warnings, d->notes);
	}
	goto out;
oom:
	if (err)
		snprintf(err->text, sizeof(err->text), "out of memory");
out:
	if (d) {
		for (i = 0; i < d->nr_codes; i++) {
			struct icode *ic = &d->codes[i];

			if (ic->description == ic->message)
				ic->description = NULL;
			free(ic->code); free(ic->name); free(ic->message); free(ic->description);
			free(ic->domain); free(ic->category); free(ic->resolution);
			json_decref(ic->details); json_decref(ic->extra); json_decref(ic->inferred);
		}
		for (i = 0; i < d->nr_statuses; i++)
			free(d->statuses[i].meaning);
		json_decref(d->examples);
		json_decref(d->warnings);
		json_decref(d->notes);
		free(d->text); free(d->linebuf); free(d->lines); free(d->offs);
		free(d);
	}
	return c;
}
