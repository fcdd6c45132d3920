/*
 * The body kinds table, and the JSON kind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"

const struct body_kind *const body_kinds[] = { &body_json, &body_xml, NULL };

const struct body_kind *body_kind_find(const char *name)
{
	size_t i;

	for (i = 0; body_kinds[i]; i++)
		if (!strcmp(body_kinds[i]->name, name))
			return body_kinds[i];
	return NULL;
}

static json_t *json_parse(const char *body, size_t len, char *why, size_t whysize)
{
	json_error_t err;
	json_t *t = json_loadb(body ? body : "", len, 0, &err);

	if (!t)
		snprintf(why, whysize, "the body is not JSON (%s at byte %d)", err.text, err.position);
	return t;
}

static char *json_dump(json_t *tree)
{
	return json_dumps(tree, JSON_COMPACT | JSON_ENCODE_ANY);
}

static int json_valid(json_t *tmpl, char *why, size_t whysize)
{
	(void)tmpl;
	(void)why;
	(void)whysize;
	return 0;
}

const struct body_kind body_json = { "json", "envelope.json", "JSON", json_parse, json_dump, json_valid };
