/*
 * A page in the importer's normal form, read with real parsers: Markdown
 * (GitHub's dialect, tables included) with md4c, HTML with libxml2's HTML
 * parser. The normal form is the lines the readers of import_read.c know:
 * "## heading", "- item", pipe tables with their separator row, fenced code
 * with its language, and paragraphs whose line breaks are kept (a page's
 * copied text keeps its lines). Inline markup is dropped but code spans keep
 * their backticks; links keep their text.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <md4c.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "import_doc.h"

#define NORM_MAX ((size_t)64 << 20)
#define MAX_NEST 64

struct norm {
	char *buf;
	size_t len, cap;
	int failed;
	int in_cell, in_code, in_html, list_depth, rows, head_rows;
	size_t row_start;        /* where the row being written began */
	const char *src;         /* the page, for the source line of each line */
	size_t src_len, *starts, nr_starts;
	size_t *map, map_cap, out_line;  /* output line -> page line (1-based; 0 unknown) */
};

/* Output line n->out_line came from the page's line `line`, unless known. */
static void mark_line(struct norm *n, size_t line)
{
	if (n->out_line >= n->map_cap) {
		size_t cap = (n->out_line + 1) * 2;
		size_t *m = realloc(n->map, cap * sizeof(*m));

		if (!m) {
			n->failed = 1;
			return;
		}
		memset(m + n->map_cap, 0, (cap - n->map_cap) * sizeof(*m));
		n->map = m;
		n->map_cap = cap;
	}
	if (!n->map[n->out_line])
		n->map[n->out_line] = line;
}

/* The page line of a pointer into the page (binary search of line starts). */
static void mark_ptr(struct norm *n, const char *s)
{
	size_t lo = 0, hi = n->nr_starts, off;

	if (!n->starts || s < n->src || s >= n->src + n->src_len)
		return;
	off = (size_t)(s - n->src);
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (n->starts[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	mark_line(n, lo + 1);
}

static void put(struct norm *n, const char *s, size_t len)
{
	if (n->failed || !len)
		return;
	if (n->len + len + 1 > n->cap) {
		size_t cap = (n->len + len + 1) * 2;
		char *b = cap <= NORM_MAX ? realloc(n->buf, cap) : NULL;

		if (!b) {
			n->failed = 1;
			return;
		}
		n->buf = b;
		n->cap = cap;
	}
	memcpy(n->buf + n->len, s, len);
	n->len += len;
	n->buf[n->len] = '\0';
	for (; len; s++, len--)
		n->out_line += *s == '\n';
}

static void puts_(struct norm *n, const char *s)
{
	put(n, s, strlen(s));
}

/* Start a new line, unless at one. */
static void newline(struct norm *n)
{
	if (n->len && n->buf[n->len - 1] != '\n')
		put(n, "\n", 1);
}

/* Text: in a cell, on one line and without pipes. */
static void text(struct norm *n, const char *s, size_t len)
{
	size_t i, from = 0;

	mark_ptr(n, s);
	if (!n->in_cell) {
		put(n, s, len);
		return;
	}
	for (i = 0; i < len; i++)
		if (s[i] == '|' || s[i] == '\n' || s[i] == '\r') {
			put(n, s + from, i - from);
			put(n, s[i] == '|' ? "/" : " ", 1);
			from = i + 1;
		}
	put(n, s + from, len - from);
}

static void heading(struct norm *n, int level)
{
	newline(n);
	put(n, "\n", 1);
	put(n, "######", (size_t)(level < 1 ? 1 : level > 6 ? 6 : level));
	put(n, " ", 1);
}

static void list_item(struct norm *n)
{
	int i;

	newline(n);
	for (i = 1; i < n->list_depth && i < MAX_NEST; i++)
		put(n, "  ", 2);
	put(n, "- ", 2);
}

static void row_start(struct norm *n)
{
	newline(n);
	n->row_start = n->len;
	put(n, "|", 1);
}

static void row_end(struct norm *n, int cells)
{
	int i;

	newline(n);
	if (++n->rows == 1)   /* the header row: a separator follows */
		for (i = 0; i < cells; i++)
			puts_(n, i + 1 < cells ? "|---" : "|---|\n");
}

static void cell_end(struct norm *n)
{
	put(n, " |", 2);
}

/* --- Markdown (md4c) ----------------------------------------------------------------- */

struct md_state {
	struct norm *n;
	int cells;
};

static int md_enter(MD_BLOCKTYPE type, void *detail, void *ud)
{
	struct md_state *st = ud;
	struct norm *n = st->n;

	switch (type) {
	case MD_BLOCK_H:
		heading(n, (int)((MD_BLOCK_H_DETAIL *)detail)->level);
		break;
	case MD_BLOCK_P: case MD_BLOCK_HTML:
		if (n->len >= 2 && !strcmp(n->buf + n->len - 2, "- "))
			break;  /* a list item's first paragraph stays on its marker's line */
		newline(n);
		if (!n->list_depth && !n->in_cell)
			put(n, "\n", 1);
		n->in_html = type == MD_BLOCK_HTML;
		break;
	case MD_BLOCK_UL: case MD_BLOCK_OL:
		n->list_depth++;
		break;
	case MD_BLOCK_LI:
		list_item(n);
		break;
	case MD_BLOCK_CODE: {
		const MD_ATTRIBUTE *lang = &((MD_BLOCK_CODE_DETAIL *)detail)->lang;

		newline(n);
		puts_(n, "```");
		put(n, lang->text, lang->size);
		put(n, "\n", 1);
		n->in_code = 1;
		break;
	}
	case MD_BLOCK_TABLE:
		newline(n);
		put(n, "\n", 1);
		n->rows = 0;
		break;
	case MD_BLOCK_TR:
		st->cells = 0;
		row_start(n);
		break;
	case MD_BLOCK_TH: case MD_BLOCK_TD:
		put(n, " ", 1);
		n->in_cell = 1;
		break;
	default:
		break;
	}
	return 0;
}

static int md_leave(MD_BLOCKTYPE type, void *detail, void *ud)
{
	struct md_state *st = ud;
	struct norm *n = st->n;

	(void)detail;
	switch (type) {
	case MD_BLOCK_H: case MD_BLOCK_P: case MD_BLOCK_LI: case MD_BLOCK_HTML:
		if (!n->in_cell)
			newline(n);
		n->in_html = 0;
		break;
	case MD_BLOCK_UL: case MD_BLOCK_OL:
		n->list_depth--;
		break;
	case MD_BLOCK_CODE:
		newline(n);
		puts_(n, "```\n");
		n->in_code = 0;
		break;
	case MD_BLOCK_TH: case MD_BLOCK_TD:
		n->in_cell = 0;
		st->cells++;
		cell_end(n);
		break;
	case MD_BLOCK_TR:
		row_end(n, st->cells);
		break;
	case MD_BLOCK_TABLE:
		put(n, "\n", 1);
		break;
	default:
		break;
	}
	return 0;
}

static int md_span(MD_SPANTYPE type, void *detail, void *ud)
{
	(void)detail;
	if (type == MD_SPAN_CODE)
		put(((struct md_state *)ud)->n, "`", 1);
	return 0;
}

static int md_text(MD_TEXTTYPE type, const MD_CHAR *s, MD_SIZE size, void *ud)
{
	struct norm *n = ((struct md_state *)ud)->n;
	static const struct { const char *name, *text; } ent[] = {
		{ "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" }, { "&#39;", "'" },
		{ "&nbsp;", " " }, { "&mdash;", "-" }, { "&ndash;", "-" }, { NULL, NULL }
	};
	size_t i;

	switch (type) {
	case MD_TEXT_SOFTBR: case MD_TEXT_BR:
		text(n, "\n", 1);
		break;
	case MD_TEXT_NULLCHAR:
		break;
	case MD_TEXT_ENTITY:
		for (i = 0; ent[i].name; i++)
			if (size == strlen(ent[i].name) && !memcmp(s, ent[i].name, size)) {
				text(n, ent[i].text, strlen(ent[i].text));
				return 0;
			}
		text(n, s, size);
		break;
	case MD_TEXT_HTML:   /* a comment block stays (it may name the source); inline, a <br> is a break */
		if (n->in_html && size >= 4 && !strncmp(s, "<!--", 4))
			text(n, s, size);
		else if (size >= 3 && !strncasecmp(s, "<br", 3))
			text(n, "\n", 1);
		break;
	default:
		text(n, s, size);
		break;
	}
	return 0;
}

/* YAML front matter ("---" ... "---" at the top, after an HTML comment) is
 * no part of the page. */
static size_t front_matter(const char *s, size_t len)
{
	size_t at = 0;
	const char *end;

	if (len > 4 && !strncmp(s, "<!--", 4) && (end = strstr(s, "-->")))
		at = (size_t)(end - s) + 3 + strspn(end + 3, "\r\n");
	if (len - at < 4 || strncmp(s + at, "---\n", 4))
		return 0;
	end = strstr(s + at + 4, "\n---\n");
	return end ? (size_t)(end - s) + 5 : 0;
}

static int line_starts(struct norm *n, const char *in, size_t len)
{
	size_t i, k = 1;

	for (i = 0; i < len; i++)
		k += in[i] == '\n';
	if (!(n->starts = malloc(k * sizeof(*n->starts))))
		return -1;
	n->starts[0] = 0;
	for (i = 0, k = 1; i < len; i++)
		if (in[i] == '\n')
			n->starts[k++] = i + 1;
	n->nr_starts = k;
	n->src = in;
	n->src_len = len;
	return 0;
}

/* The map of output lines to page lines, gaps filled from the line before. */
static size_t *take_map(struct norm *n, size_t *nr)
{
	size_t i;

	free(n->starts);
	mark_line(n, 0);  /* sizes the map to every output line */
	for (i = 0; i <= n->out_line && i < n->map_cap; i++)
		if (!n->map[i])
			n->map[i] = i ? n->map[i - 1] : 1;
	*nr = n->failed ? 0 : n->out_line + 1;
	return n->map;
}

char *import_markdown_to_text(const char *in, size_t len, size_t **map, size_t *nr_map)
{
	struct norm n = { 0 };
	struct md_state st = { &n, 0 };
	MD_PARSER p = { 0 };
	size_t skip = front_matter(in, len);

	*map = NULL;
	*nr_map = 0;
	if (line_starts(&n, in, len))
		return NULL;
	p.flags = MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_NOINDENTEDCODEBLOCKS;
	p.enter_block = md_enter;
	p.leave_block = md_leave;
	p.enter_span = md_span;
	p.leave_span = md_span;
	p.text = md_text;
	if (skip) {  /* keep the comment (it names the source) */
		put(&n, in, strcspn(in, "\n"));
		put(&n, "\n", 1);
	}
	if (md_parse(in + skip, (MD_SIZE)(len - skip), &p, &st) || n.failed || !(*map = take_map(&n, nr_map))) {
		free(n.buf);
		free(n.map);
		*map = NULL;
		return NULL;
	}
	return n.buf ? n.buf : strdup("");
}

/* --- HTML (libxml2) ------------------------------------------------------------------ */

static int is(const xmlNode *e, const char *name)
{
	return !strcasecmp((const char *)e->name, name);
}

static const char *attr(xmlNode *e, const char *name, char *buf, size_t size)
{
	xmlChar *v = xmlGetProp(e, (const xmlChar *)name);

	if (!v)
		return NULL;
	snprintf(buf, size, "%s", (const char *)v);
	xmlFree(v);
	return buf;
}

static void html_walk(struct norm *n, xmlNode *e, int depth);

/* Text outside <pre>: runs of white space are one space. */
static void html_text(struct norm *n, const char *s)
{
	int space = n->len && (n->buf[n->len - 1] == ' ' || n->buf[n->len - 1] == '\n');

	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			if (!space)
				text(n, " ", 1);
			space = 1;
		} else {
			text(n, s, 1);
			space = 0;
		}
	}
}

static void html_code_block(struct norm *n, xmlNode *e)
{
	char cls[128] = "", lang[64];
	const char *l;
	xmlNode *code = e->children;
	xmlChar *content;

	while (code && code->type != XML_ELEMENT_NODE)
		code = code->next;
	if (!attr(e, "class", cls, sizeof(cls)) && code)
		attr(code, "class", cls, sizeof(cls));
	l = strstr(cls, "language-") ? strstr(cls, "language-") + 9 : strstr(cls, "json") ? "json" : "";
	snprintf(lang, sizeof(lang), "%.*s", (int)strcspn(l, " "), l);
	newline(n);
	puts_(n, "```");
	puts_(n, lang);
	put(n, "\n", 1);
	if ((content = xmlNodeGetContent(e))) {
		puts_(n, (const char *)content);
		xmlFree(content);
	}
	newline(n);
	puts_(n, "```\n");
}

static void html_row(struct norm *n, xmlNode *tr, int depth)
{
	xmlNode *c;
	int cells = 0;

	row_start(n);
	for (c = tr->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || (!is(c, "td") && !is(c, "th")))
			continue;
		put(n, " ", 1);
		n->in_cell = 1;
		html_walk(n, c->children, depth + 1);
		n->in_cell = 0;
		cell_end(n);
		cells++;
	}
	row_end(n, cells);
}

static void html_table(struct norm *n, xmlNode *e, int depth)
{
	xmlNode *c, *r;

	newline(n);
	put(n, "\n", 1);
	n->rows = 0;
	for (c = e->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is(c, "tr"))
			html_row(n, c, depth);
		else if (is(c, "thead") || is(c, "tbody") || is(c, "tfoot"))
			for (r = c->children; r; r = r->next)
				if (r->type == XML_ELEMENT_NODE && is(r, "tr"))
					html_row(n, r, depth);
	}
	put(n, "\n", 1);
}

static void html_element(struct norm *n, xmlNode *e, int depth)
{
	static const char *const skip[] = { "script", "style", "head", "nav", "footer", "noscript", "svg", "button", NULL };
	static const char *const blocks[] = { "p", "div", "section", "article", "main", "header", "dd",
					      "blockquote", "aside", "details", "summary", "figure", NULL };
	size_t i;

	for (i = 0; skip[i]; i++)
		if (is(e, skip[i]))
			return;
	if (strlen((const char *)e->name) == 2 && tolower(e->name[0]) == 'h' && e->name[1] >= '1' && e->name[1] <= '6') {
		heading(n, e->name[1] - '0');
		html_walk(n, e->children, depth + 1);
		newline(n);
		return;
	}
	if (is(e, "dt") && !n->in_cell) {  /* a term (a code) and its definition below, as a heading */
		heading(n, 4);
		html_walk(n, e->children, depth + 1);
		newline(n);
		return;
	}
	if (is(e, "table") && !n->in_cell)
		return html_table(n, e, depth);
	if (is(e, "pre") && !n->in_cell)
		return html_code_block(n, e);
	if (is(e, "br")) {
		text(n, "\n", 1);
		return;
	}
	if (is(e, "code")) {
		put(n, "`", 1);
		html_walk(n, e->children, depth + 1);
		put(n, "`", 1);
		return;
	}
	if (is(e, "ul") || is(e, "ol")) {
		n->list_depth++;
		html_walk(n, e->children, depth + 1);
		n->list_depth--;
		newline(n);
		return;
	}
	if (is(e, "li") && !n->in_cell) {
		list_item(n);
		html_walk(n, e->children, depth + 1);
		newline(n);
		return;
	}
	for (i = 0; blocks[i]; i++)
		if (is(e, blocks[i]) && !n->in_cell) {
			newline(n);
			html_walk(n, e->children, depth + 1);
			newline(n);
			return;
		}
	html_walk(n, e->children, depth + 1);
}

static void html_walk(struct norm *n, xmlNode *e, int depth)
{
	if (depth > 256)   /* libxml2 bounds depth too; this keeps the stack small */
		return;
	for (; e && !n->failed; e = e->next) {
		if (e->type == XML_TEXT_NODE || e->type == XML_CDATA_SECTION_NODE) {
			if (xmlGetLineNo(e) > 0)
				mark_line(n, (size_t)xmlGetLineNo(e));
			html_text(n, (const char *)e->content);
		}
		else if (e->type == XML_ELEMENT_NODE)
			html_element(n, e, depth);
	}
}

char *import_html_to_text(const char *in, size_t len, size_t **map, size_t *nr_map)
{
	struct norm n = { 0 };
	htmlDocPtr doc;

	*map = NULL;
	*nr_map = 0;
	if (len > (size_t)1 << 30)
		return NULL;
	doc = htmlReadMemory(in, (int)len, NULL, "UTF-8",
			     HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	if (!doc)
		return strdup("");
	html_walk(&n, xmlDocGetRootElement(doc), 0);
	xmlFreeDoc(doc);
	if (n.failed || !(*map = take_map(&n, nr_map))) {
		free(n.buf);
		free(n.map);
		*map = NULL;
		return NULL;
	}
	return n.buf ? n.buf : strdup("");
}
