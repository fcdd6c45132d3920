#ifndef ERRATA_JLOAD_H
#define ERRATA_JLOAD_H
/*
 * Strict loading of JSON documents (contracts, scenarios, fixtures): typed
 * member access, unknown-key detection, and the first error reported
 * compiler-style at the line and column of the key or value at fault.
 */
#include <stddef.h>
#include <jansson.h>

#include "jsonpos.h"

/* Where and why loading failed; the first error wins. */
struct load_error {
	char source[256];
	int line, column;        /* 1-based; 0 when unknown */
	char text[256];
};

/* Format as "source:line:col: text" (or "source: text"). */
void load_error_format(const struct load_error *err, char *buf, size_t size);

struct jload {
	const char *text;        /* the document, for positions */
	size_t len;
	struct jpath path;       /* where the walk is; errors point here */
	struct load_error *err;  /* may be NULL */
	int failed;
};

/*
 * Parse `text` (rejecting duplicate keys) and start a walk. Returns the root
 * (a new reference) or NULL with ld->err set.
 */
json_t *jload_parse(struct jload *ld, const char *text, size_t len, const char *source,
		    struct load_error *err);

/* Record an error at the current path (at its key with `at_key`); returns -1. */
int jload_fail(struct jload *ld, int at_key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

enum jneed { JOPTIONAL, JREQUIRED };

struct jkey {
	const char *name;
	enum jneed need;
};

/* Every key of obj must be in spec (NULL-terminated); required ones present. */
int jload_keys(struct jload *ld, json_t *obj, const char *what, const struct jkey *spec);

/* Enter member `key`, which must be an object (its keys checked with spec,
 * when given); pushes the key. Returns it, or NULL after an error. */
json_t *jload_enter(struct jload *ld, json_t *parent, const char *key, const struct jkey *spec);

/* A non-empty string member, or NULL when absent (or null, with nullable). */
const char *jload_string(struct jload *ld, json_t *obj, const char *key, int nullable);

/* A boolean member, or dflt when absent. */
int jload_bool(struct jload *ld, json_t *obj, const char *key, int dflt);

/* An integer member in [min, max] into *out; dflt when absent. 0 or -1. */
int jload_int(struct jload *ld, json_t *obj, const char *key, long long min,
	      long long max, long long dflt, long long *out);

#endif
