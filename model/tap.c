/*
 * TAP 14 output. One writer for the product's reports and the test suite,
 * so that both are held to the same escaping rules.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

void tap_init(struct tap *t, FILE *out, int version)
{
	memset(t, 0, sizeof(*t));
	t->out = out;
	t->planned = -1;
	fprintf(out, "TAP version %d\n", version);
}

void tap_subtest(struct tap *child, struct tap *parent, const char *name)
{
	memset(child, 0, sizeof(*child));
	child->out = parent->out;
	child->indent = parent->indent + 4;
	child->planned = -1;
	fprintf(parent->out, "%*s# Subtest: ", parent->indent, "");
	tap_escape(parent->out, name);
	fputc('\n', parent->out);
}

void tap_escape(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '#' || ch == '\\')
			fputc('\\', out);
		fputc(ch < 0x20 || ch == 0x7f ? ' ' : ch, out);
	}
}

void tap_plan(struct tap *t, int n)
{
	fprintf(t->out, "%*s1..%d\n", t->indent, "", n);
	t->planned = n;
}

static void point(struct tap *t, int ok, const char *fmt, va_list ap)
{
	char *desc = NULL;
	int n;
	va_list cp;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n >= 0 && (desc = malloc((size_t)n + 1)))
		vsnprintf(desc, (size_t)n + 1, fmt, ap);
	t->n++;
	fprintf(t->out, "%*s%s %d", t->indent, "", ok ? "ok" : "not ok", t->n);
	if (desc && *desc) {
		fputs(" - ", t->out);
		tap_escape(t->out, desc);
	}
	free(desc);
}

int tap_ok(struct tap *t, int ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	point(t, ok, fmt, ap);
	va_end(ap);
	fputc('\n', t->out);
	if (!ok)
		t->failed++;
	return ok;
}

void tap_skip(struct tap *t, const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	point(t, 1, fmt, ap);
	va_end(ap);
	fputs(" # SKIP ", t->out);
	tap_escape(t->out, reason);
	fputc('\n', t->out);
}

int tap_todo(struct tap *t, int ok, const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	point(t, ok, fmt, ap);
	va_end(ap);
	fputs(" # TODO ", t->out);
	tap_escape(t->out, reason);
	fputc('\n', t->out);
	return ok;
}

void tap_yaml(struct tap *t, json_t *obj)
{
	const char *key;
	json_t *v;

	fprintf(t->out, "%*s  ---\n", t->indent, "");
	if (!obj) /* never an empty block: TAP parsers refuse one */
		fprintf(t->out, "%*s  message: \"the evidence could not be encoded\"\n", t->indent, "");
	json_object_foreach(obj, key, v) {
		char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(6));
		json_t *k = json_string(key);
		char *ktext = k ? json_dumps(k, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : NULL;

		fprintf(t->out, "%*s  %s: %s\n", t->indent, "", ktext ? ktext : "\"?\"",
			text ? text : "null");
		free(text);
		free(ktext);
		json_decref(k);
	}
	fprintf(t->out, "%*s  ...\n", t->indent, "");
}

void tap_diag(struct tap *t, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (p = buf; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	fprintf(t->out, "%*s# %s\n", t->indent, "", buf);
}

void tap_bail(struct tap *t, const char *reason)
{
	fputs("Bail out! ", t->out);
	tap_escape(t->out, reason);
	fputc('\n', t->out);
}

int tap_done(struct tap *t)
{
	if (t->planned < 0)
		tap_plan(t, t->n);
	else if (t->planned != t->n)
		t->failed++;
	fflush(t->out);
	return t->failed;
}
