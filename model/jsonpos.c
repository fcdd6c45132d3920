/*
 * A minimal JSON scanner that walks to a path and reports its line and
 * column. It trusts that jansson has already accepted the text, so it only
 * needs to skip values correctly, not to validate them.
 */
#include <string.h>

#include "jsonpos.h"

struct scan {
	const char *s, *end;
	int line, col;
};

void jpath_key(struct jpath *p, const char *key)
{
	if (p->nr < JPATH_MAX) {
		p->key[p->nr] = key;
		p->index[p->nr] = 0;
	}
	p->nr++;
}

void jpath_index(struct jpath *p, size_t index)
{
	if (p->nr < JPATH_MAX) {
		p->key[p->nr] = NULL;
		p->index[p->nr] = index;
	}
	p->nr++;
}

void jpath_pop(struct jpath *p)
{
	if (p->nr > 0)
		p->nr--;
}

static void advance(struct scan *sc)
{
	if (sc->s >= sc->end)
		return;
	if (*sc->s == '\n') {
		sc->line++;
		sc->col = 1;
	} else if (((unsigned char)*sc->s & 0xc0) != 0x80) {
		sc->col++; /* count characters, not UTF-8 continuation bytes */
	}
	sc->s++;
}

static void skip_ws(struct scan *sc)
{
	while (sc->s < sc->end && strchr(" \t\r\n", *sc->s))
		advance(sc);
}

/* Skip a string starting at its opening quote; copy up to cap-1 raw bytes. */
static int skip_string(struct scan *sc, char *copy, size_t cap)
{
	size_t n = 0;

	if (sc->s >= sc->end || *sc->s != '"')
		return -1;
	advance(sc);
	while (sc->s < sc->end && *sc->s != '"') {
		if (*sc->s == '\\') {
			advance(sc);
			if (copy && n + 1 < cap)
				copy[n++] = '\\';
		}
		if (copy && n + 1 < cap && sc->s < sc->end)
			copy[n++] = *sc->s;
		advance(sc);
	}
	if (sc->s >= sc->end)
		return -1;
	advance(sc);
	if (copy)
		copy[n < cap ? n : cap - 1] = '\0';
	return 0;
}

static int skip_value(struct scan *sc)
{
	int depth = 0;

	skip_ws(sc);
	do {
		if (sc->s >= sc->end)
			return -1;
		if (*sc->s == '"') {
			if (skip_string(sc, NULL, 0))
				return -1;
			continue;
		}
		if (*sc->s == '{' || *sc->s == '[')
			depth++;
		else if (*sc->s == '}' || *sc->s == ']')
			depth--;
		else if (depth == 0 && strchr(",:", *sc->s))
			return 0;
		if (depth < 0)
			return 0; /* the closing bracket of our container */
		advance(sc);
	} while (depth > 0 || (sc->s < sc->end && !strchr(",}] \t\r\n", *sc->s)));
	return 0;
}

/* Compare a raw (still escaped) key with the wanted one. */
static int key_equals(const char *raw, const char *want)
{
	return strcmp(raw, want) == 0;
}

int jsonpos_find(const char *text, size_t len, const struct jpath *path,
		 int want_key, int *line, int *column)
{
	struct scan sc = { text, text + len, 1, 1 };
	char key[256];
	int step, depth = path->nr < JPATH_MAX ? path->nr : JPATH_MAX;

	for (step = 0; step < depth; step++) {
		int last = step == depth - 1;

		skip_ws(&sc);
		if (sc.s >= sc.end)
			return -1;
		if (path->key[step]) {
			if (*sc.s != '{')
				return -1;
			advance(&sc);
			for (;;) {
				int kline, kcol;

				skip_ws(&sc);
				if (sc.s >= sc.end || *sc.s == '}')
					return -1;
				kline = sc.line;
				kcol = sc.col;
				if (skip_string(&sc, key, sizeof(key)))
					return -1;
				skip_ws(&sc);
				if (sc.s >= sc.end || *sc.s != ':')
					return -1;
				advance(&sc);
				if (key_equals(key, path->key[step])) {
					if (last && want_key) {
						*line = kline;
						*column = kcol;
						return 0;
					}
					break;
				}
				if (skip_value(&sc))
					return -1;
				skip_ws(&sc);
				if (sc.s < sc.end && *sc.s == ',')
					advance(&sc);
			}
		} else {
			size_t i;

			if (*sc.s != '[')
				return -1;
			advance(&sc);
			for (i = 0; i < path->index[step]; i++) {
				skip_ws(&sc);
				if (sc.s >= sc.end || *sc.s == ']')
					return -1;
				if (skip_value(&sc))
					return -1;
				skip_ws(&sc);
				if (sc.s >= sc.end || *sc.s != ',')
					return -1;
				advance(&sc);
			}
		}
	}
	skip_ws(&sc);
	if (sc.s >= sc.end)
		return -1;
	*line = sc.line;
	*column = sc.col;
	return 0;
}
