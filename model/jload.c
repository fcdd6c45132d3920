/*
 * Helpers for strict, positioned JSON loading, shared by every loader.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jload.h"

void load_error_format(const struct load_error *err, char *buf, size_t size)
{
	if (err->line > 0)
		snprintf(buf, size, "%s:%d:%d: %s", err->source, err->line, err->column, err->text);
	else
		snprintf(buf, size, "%s: %s", err->source, err->text);
}

json_t *jload_parse(struct jload *ld, const char *text, size_t len, const char *source,
		    struct load_error *err)
{
	json_error_t jerr;
	json_t *root;

	memset(ld, 0, sizeof(*ld));
	ld->text = text;
	ld->len = len;
	ld->err = err;
	if (err) {
		memset(err, 0, sizeof(*err));
		snprintf(err->source, sizeof(err->source), "%s", source);
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		ld->failed = 1;
		if (err) {
			err->line = jerr.line > 0 ? jerr.line : 0;
			err->column = jerr.line > 0 ? (jerr.column > 0 ? jerr.column : 1) : 0;
			snprintf(err->text, sizeof(err->text), "invalid JSON: %s", jerr.text);
		}
	}
	return root;
}

int jload_fail(struct jload *ld, int at_key, const char *fmt, ...)
{
	va_list ap;
	int line = 0, col = 0;

	if (ld->failed++ || !ld->err)
		return -1;
	if (jsonpos_find(ld->text, ld->len, &ld->path, at_key, &line, &col))
		line = col = 0;
	ld->err->line = line;
	ld->err->column = col;
	va_start(ap, fmt);
	vsnprintf(ld->err->text, sizeof(ld->err->text), fmt, ap);
	va_end(ap);
	return -1;
}

int jload_keys(struct jload *ld, json_t *obj, const char *what, const struct jkey *spec)
{
	const char *key;
	json_t *v;
	const struct jkey *s;

	json_object_foreach(obj, key, v) {
		for (s = spec; s->name; s++)
			if (!strcmp(s->name, key))
				break;
		if (!s->name) {
			jpath_key(&ld->path, key);
			jload_fail(ld, 1, "unknown key '%s' in %s", key, what);
			jpath_pop(&ld->path);
			return -1;
		}
	}
	for (s = spec; s->name; s++)
		if (s->need == JREQUIRED && !json_object_get(obj, s->name))
			return jload_fail(ld, 0, "%s lacks the required key '%s'", what, s->name);
	return 0;
}

json_t *jload_enter(struct jload *ld, json_t *parent, const char *key, const struct jkey *spec)
{
	json_t *v = json_object_get(parent, key);

	jpath_key(&ld->path, key);
	if (!json_is_object(v)) {
		jload_fail(ld, 0, "'%s' must be an object", key);
		return NULL;
	}
	if (spec && jload_keys(ld, v, key, spec))
		return NULL;
	return v;
}

const char *jload_string(struct jload *ld, json_t *obj, const char *key, int nullable)
{
	json_t *v = json_object_get(obj, key);

	if (!v || (nullable && json_is_null(v)))
		return NULL;
	if (!json_is_string(v) || !json_string_length(v)) {
		jpath_key(&ld->path, key);
		jload_fail(ld, 0, "'%s' must be a non-empty string", key);
		jpath_pop(&ld->path);
		return NULL;
	}
	return json_string_value(v);
}

int jload_bool(struct jload *ld, json_t *obj, const char *key, int dflt)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return dflt;
	if (!json_is_boolean(v)) {
		jpath_key(&ld->path, key);
		jload_fail(ld, 0, "'%s' must be true or false", key);
		jpath_pop(&ld->path);
		return dflt;
	}
	return json_is_true(v);
}

int jload_int(struct jload *ld, json_t *obj, const char *key, long long min,
	      long long max, long long dflt, long long *out)
{
	json_t *v = json_object_get(obj, key);

	*out = dflt;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		jpath_key(&ld->path, key);
		jload_fail(ld, 0, "'%s' must be an integer from %lld to %lld", key, min, max);
		jpath_pop(&ld->path);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}
