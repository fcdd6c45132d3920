/*
 * YAML into jansson, on libyaml's event parser: one frame per open mapping
 * or sequence, values added to the frame on top. See yaml.h.
 */
#include "yaml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct frame {
	json_t *node;            /* a reference of the frame's own */
	char *key;               /* a mapping's key awaiting its value */
	int merge;               /* that key is "<<" */
	int merge_on_end;        /* this node is a "<<" value: merged when complete */
};

struct builder {
	struct frame stack[YAML_MAX_DEPTH];
	int depth;
	json_t *root;
	json_t *anchors;         /* name -> node */
	size_t aliases;
	struct load_error *err;
	int failed;
};

static int fail_at(struct builder *b, const yaml_mark_t *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(struct builder *b, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;

	if (b->failed++ || !b->err)
		return -1;
	b->err->line = m ? (int)m->line + 1 : 0;
	b->err->column = m ? (int)m->column + 1 : 0;
	va_start(ap, fmt);
	vsnprintf(b->err->text, sizeof(b->err->text), fmt, ap);
	va_end(ap);
	return -1;
}

static int is_int(const char *s, long long *out)
{
	const char *p = s + (*s == '-' || *s == '+');
	char *end;
	int base = 10;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o') && p[2]) {
		base = p[1] == 'x' ? 16 : 8;
		p += 2;
	}
	if (!*p || strspn(p, base == 16 ? "0123456789abcdefABCDEF" : "0123456789") != strlen(p))
		return 0;
	errno = 0;
	*out = strtoll(p, &end, base);
	if (errno)
		return 0;    /* too large: read as a float, or text */
	if (*s == '-')
		*out = -*out;
	return 1;
}

static int is_float(const char *s, double *out)
{
	char *end;

	if (!*s || strspn(s, "0123456789+-.eE") != strlen(s) || !strpbrk(s, "0123456789"))
		return 0;
	errno = 0;
	*out = strtod(s, &end);
	return !*end && !errno;
}

/* A plain scalar as the core schema reads it. */
static json_t *plain_scalar(const char *s, size_t len)
{
	long long i;
	double f;

	if (strlen(s) != len)        /* a NUL inside: text */
		return json_stringn(s, len);
	if (!len || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"))
		return json_null();
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return json_true();
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return json_false();
	if (is_int(s, &i))
		return json_integer(i);
	if (is_float(s, &f))
		return json_real(f);
	return json_stringn(s, len);
}

static int merge_into(json_t *dst, json_t *src)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_array(src)) {
		json_array_foreach(src, i, v)
			if (merge_into(dst, v))
				return -1;
		return 0;
	}
	if (!json_is_object(src))
		return -1;
	json_object_foreach(src, k, v)
		if (!json_object_get(dst, k))
			json_object_set(dst, k, v);
	return 0;
}

/* Add v (a new reference) where the open frame wants it. */
static int add(struct builder *b, json_t *v, const yaml_mark_t *m)
{
	struct frame *f;
	int rc = 0;

	if (!v)
		return fail_at(b, m, "out of memory");
	if (!b->depth) {
		if (b->root) {
			json_decref(v);
			return fail_at(b, m, "more than one document; a description is one");
		}
		b->root = v;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	if (json_is_array(f->node))
		return json_array_append_new(f->node, v) ? fail_at(b, m, "out of memory") : 0;
	if (f->merge)
		rc = merge_into(f->node, v) ? fail_at(b, m, "'<<' merges a mapping or a list of mappings") : 0;
	else if (json_object_set_new(f->node, f->key, v))
		return fail_at(b, m, "key '%.60s' is not UTF-8", f->key);
	else
		v = NULL;
	json_decref(v);
	free(f->key);
	f->key = NULL;
	f->merge = 0;
	return rc;
}

static int awaiting_key(const struct builder *b)
{
	return b->depth && json_is_object(b->stack[b->depth - 1].node) && !b->stack[b->depth - 1].key;
}

static int anchor(struct builder *b, const yaml_char_t *name, json_t *v)
{
	if (name)
		json_object_set(b->anchors, (const char *)name, v);
	return 0;
}

static int on_scalar(struct builder *b, yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	json_t *v;

	if (awaiting_key(b)) {
		struct frame *f = &b->stack[b->depth - 1];

		if (!(f->key = strndup(s, len)))
			return fail_at(b, &ev->start_mark, "out of memory");
		f->merge = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !strcmp(f->key, "<<");
		return 0;
	}
	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (!tag || strcmp(tag, YAML_STR_TAG)))
		v = plain_scalar(s, len);
	else
		v = json_stringn(s, len);
	if (!v)
		return fail_at(b, &ev->start_mark, "a scalar that is not UTF-8");
	anchor(b, ev->data.scalar.anchor, v);
	return add(b, v, &ev->start_mark);
}

static int on_alias(struct builder *b, yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	json_t *v = json_object_get(b->anchors, name);
	int i;

	if (!v)
		return fail_at(b, &ev->start_mark, "alias '*%.60s' names no anchor before it", name);
	if (++b->aliases > YAML_MAX_ALIASES)
		return fail_at(b, &ev->start_mark, "more than %d aliases", YAML_MAX_ALIASES);
	for (i = 0; i < b->depth; i++)
		if (b->stack[i].node == v)
			return fail_at(b, &ev->start_mark, "alias '*%.60s' refers to a node that holds it (a cycle)", name);
	if (awaiting_key(b)) {
		if (!json_is_string(v))
			return fail_at(b, &ev->start_mark, "a key that is not a scalar");
		b->stack[b->depth - 1].key = strdup(json_string_value(v));
		return b->stack[b->depth - 1].key ? 0 : fail_at(b, &ev->start_mark, "out of memory");
	}
	return add(b, json_incref(v), &ev->start_mark);
}

/* A mapping or sequence begins: its frame holds `node` (taken) until it
 * ends. A "<<" value is merged into its parent when it is complete. */
static int on_start(struct builder *b, yaml_event_t *ev, json_t *node, const yaml_char_t *name)
{
	int merge = b->depth && b->stack[b->depth - 1].merge;

	if (!node)
		return fail_at(b, &ev->start_mark, "out of memory");
	if (awaiting_key(b)) {
		json_decref(node);
		return fail_at(b, &ev->start_mark, "a key that is not a scalar");
	}
	if (b->depth == YAML_MAX_DEPTH) {
		json_decref(node);
		return fail_at(b, &ev->start_mark, "nested deeper than %d levels", YAML_MAX_DEPTH);
	}
	anchor(b, name, node);
	if (!merge && add(b, json_incref(node), &ev->start_mark)) {
		json_decref(node);
		return -1;
	}
	b->stack[b->depth++] = (struct frame){ .node = node, .merge_on_end = merge };
	return 0;
}

static int on_end(struct builder *b, yaml_event_t *ev)
{
	struct frame f = b->stack[--b->depth];
	int rc = 0;

	free(f.key);
	if (f.merge_on_end) {
		struct frame *p = &b->stack[b->depth - 1];

		if (merge_into(p->node, f.node))
			rc = fail_at(b, &ev->start_mark, "'<<' merges a mapping or a list of mappings");
		free(p->key);
		p->key = NULL;
		p->merge = 0;
	}
	json_decref(f.node);
	return rc;
}

static int on_event(struct builder *b, yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_ALIAS_EVENT:
		return on_alias(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(b, ev, json_array(), ev->data.sequence_start.anchor);
	case YAML_MAPPING_START_EVENT:
		return on_start(b, ev, json_object(), ev->data.mapping_start.anchor);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(b, ev);
	default:
		return 0;
	}
}

static json_t *load_json(const char *text, size_t len, struct load_error *err)
{
	json_error_t je;
	json_t *v = json_loadb(text, len, JSON_DECODE_ANY, &je);

	if (!v && err) {
		err->line = je.line > 0 ? je.line : 0;
		err->column = je.column > 0 ? je.column : 0;
		snprintf(err->text, sizeof(err->text), "%s", je.text);
	}
	return v;
}

json_t *yaml_load(const char *text, size_t len, const char *source, struct load_error *err)
{
	struct builder b = { .err = err };
	yaml_parser_t p;
	yaml_event_t ev;
	size_t i = 0;
	int done = 0;

	if (err) {
		memset(err, 0, sizeof(*err));
		snprintf(err->source, sizeof(err->source), "%s", source);
	}
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
		i++;  /* `text` need not end in a NUL */
	if (i < len && (text[i] == '{' || text[i] == '['))
		return load_json(text, len, err);
	if (!(b.anchors = json_object()) || !yaml_parser_initialize(&p)) {
		json_decref(b.anchors);
		fail_at(&b, NULL, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done && !b.failed) {
		if (!yaml_parser_parse(&p, &ev)) {
			fail_at(&b, &p.problem_mark, "%s%s%s", p.problem ? p.problem : "malformed YAML",
				p.context ? " " : "", p.context ? p.context : "");
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		on_event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	while (b.depth) {
		free(b.stack[--b.depth].key);
		json_decref(b.stack[b.depth].node);
	}
	json_decref(b.anchors);
	if (!b.failed && !b.root)
		fail_at(&b, NULL, "the document is empty");
	if (b.failed) {
		json_decref(b.root);
		return NULL;
	}
	return b.root;
}
