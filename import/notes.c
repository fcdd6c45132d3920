/*
 * What the importers print and explain: warnings, notes, what was read
 * ("found"), each code's explanation and inferred values, always valid
 * UTF-8; and the small text helpers they share.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model/contract.h"
#include "import_doc.h"
#include "../model/utf8.h"

/* Formatted, and valid UTF-8 whatever a '%.60s' cut through. */
static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL, *t;
	int n = vasprintf(&s, fmt, ap);

	if (n < 0)
		return NULL;
	if (utf8_valid(s, (size_t)n))
		return s;
	t = utf8_sanitize(s, NULL);
	free(s);
	return t;
}

/* Warnings and notes listed at most; past it, one line says so. */
#define NOTES_MAX 200

char *import_printf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vformat(fmt, ap);
	va_end(ap);
	return s;
}

void import_warn(struct doc *d, const char *fmt, ...)
{
	va_list ap;
	char *s;
	size_t i;

	va_start(ap, fmt);
	s = vformat(fmt, ap);
	va_end(ap);
	if (!s)
		return;
	for (i = 0; i < json_array_size(d->warnings); i++)
		if (!strcmp(json_string_value(json_array_get(d->warnings, i)), s))
			break;
	if (i == NOTES_MAX)
		json_array_append_new(d->warnings, json_string("more than 200 warnings; the rest are not listed"));
	else if (i == json_array_size(d->warnings) && i < NOTES_MAX)
		json_array_append_new(d->warnings, json_string(s));
	free(s);
}

void import_note(struct doc *d, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vformat(fmt, ap);
	va_end(ap);
	if (s && json_array_size(d->notes) < NOTES_MAX)
		json_array_append_new(d->notes, json_string(s));
	else if (s && json_array_size(d->notes) == NOTES_MAX)
		json_array_append_new(d->notes, json_string("more than 200 notes; the rest are not listed"));
	free(s);
}

void import_infer(struct icode *c, const char *field, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vformat(fmt, ap);
	va_end(ap);
	if (!s)
		return;
	if (!c->inferred)
		c->inferred = json_object();
	json_object_set_new(c->inferred, field, json_string(s));
	free(s);
}

void import_found(struct doc *d, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vformat(fmt, ap);
	va_end(ap);
	if (s && json_array_size(d->found) < NOTES_MAX)
		json_array_append_new(d->found, json_string(s));
	else if (s && json_array_size(d->found) == NOTES_MAX)
		json_array_append_new(d->found, json_string("more than 200 findings; the rest are not listed"));
	free(s);
}

void import_explain(struct icode *c, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vformat(fmt, ap);
	va_end(ap);
	if (!s)
		return;
	if (!c->why)
		c->why = json_array();
	if (json_array_size(c->why) < 16)
		json_array_append_new(c->why, json_string(s));
	free(s);
}

/* Trim spaces and Markdown code ticks in place. */
char *import_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '`')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '`' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int import_has_word(const char *hay, const char *word)
{
	return strcasestr(hay, word) != NULL;
}
