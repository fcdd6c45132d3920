#ifndef ERRATA_JSONPOS_H
#define ERRATA_JSONPOS_H
/*
 * Where a value sits in a JSON text. jansson reports positions for syntax
 * errors only; the contract loader uses this to point its semantic errors at
 * the offending key or value, compiler-style.
 */
#include <stddef.h>

#define JPATH_MAX 16

/* A path from the root: each step is an object member (key) or an array index. */
struct jpath {
	int nr;
	const char *key[JPATH_MAX]; /* NULL for an array step */
	size_t index[JPATH_MAX];
};

void jpath_key(struct jpath *p, const char *key);   /* push a member step */
void jpath_index(struct jpath *p, size_t index);    /* push an index step */
void jpath_pop(struct jpath *p);

/*
 * Find the value at `path` in `text` (or, with `want_key`, the key of its
 * last step). Sets 1-based *line and *column and returns 0; returns -1 when
 * the path is not in the text (then *line and *column are left alone).
 */
int jsonpos_find(const char *text, size_t len, const struct jpath *path,
		 int want_key, int *line, int *column);

#endif
