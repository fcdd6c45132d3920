#ifndef ERRATA_BODY_H
#define ERRATA_BODY_H
/*
 * Body kinds: how an error envelope travels on the wire. codec/ is a room
 * below the model, over jansson and libxml2 and nothing of errata's own.
 * Each kind reads a received body into the tree the one envelope walker
 * (model/match.c) reads, and writes a rendered tree out; the template is
 * the same JSON tree for every kind. A new kind is one file and one row of
 * body_kinds[] (body.c).
 *
 *   json  the body is the tree itself
 *   xml   an element is an object of its child elements (a name that
 *         repeats becomes an array), an element without children is its
 *         text; attributes, comments and namespaces' prefixes are not read
 */
#include <stddef.h>
#include <jansson.h>

struct body_kind {
	const char *name;        /* what "envelope": {"kind": ...} says */
	const char *check;       /* the check a body that does not parse fails */
	const char *noun;        /* "JSON", "XML": in messages */
	/* A received body as a tree (a new reference), or NULL with `why`. */
	json_t *(*parse)(const char *body, size_t len, char *why, size_t whysize);
	/* A rendered tree as text (to free()), or NULL. */
	char *(*dump)(json_t *tree);
	/* 0 when a template can be written in this kind, else -1 with `why`. */
	int (*valid)(json_t *tmpl, char *why, size_t whysize);
};

extern const struct body_kind body_json, body_xml;

/* The kind named `name`, or NULL. */
const struct body_kind *body_kind_find(const char *name);
/* The kinds, NULL-terminated (for check ids and messages). */
extern const struct body_kind *const body_kinds[];

#endif
