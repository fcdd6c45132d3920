/*
 * Text from outside (documents, client output) made valid UTF-8 before it
 * goes into JSON or XML.
 */
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

size_t utf8_char(const unsigned char *p, unsigned *codepoint)
{
	unsigned cp;
	size_t n, i;

	if (p[0] < 0x80) {
		cp = p[0];
		n = 1;
		goto out;
	}
	if ((p[0] & 0xe0) == 0xc0) { n = 2; cp = p[0] & 0x1f; }
	else if ((p[0] & 0xf0) == 0xe0) { n = 3; cp = p[0] & 0x0f; }
	else if ((p[0] & 0xf8) == 0xf0) { n = 4; cp = p[0] & 0x07; }
	else return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
out:
	if (codepoint)
		*codepoint = cp;
	return n;
}

char *utf8_sanitize(const char *s, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = malloc(strlen(s) * 3 + 1), *o = out;

	if (bad)
		*bad = 0;
	if (!out)
		return NULL;
	while (*p) {
		size_t n = *p ? utf8_char(p, NULL) : 0;

		if (!n) {
			o = stpcpy(o, "\xef\xbf\xbd");  /* U+FFFD */
			if (bad)
				(*bad)++;
			p++;
			continue;
		}
		memcpy(o, p, n);
		o += n;
		p += n;
	}
	*o = '\0';
	return out;
}

/* utf8_char, reading no byte at or past `end`. */
static size_t char_in(const unsigned char *p, const unsigned char *end)
{
	size_t need = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : 4;

	if (!p[0] || need > (size_t)(end - p))
		return 0;
	return utf8_char(p, NULL);
}

int utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		size_t n;

		if (*p && *p < 0x80) {
			p++;
			continue;
		}
		n = char_in(p, end);
		if (!n)
			return 0;
		p += n;
	}
	return 1;
}

size_t utf8_cut(const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t at = 0;

	if (len <= max)
		return len;
	/* decode forward, as utf8_escape does, so that a cut never splits what
	 * it reads as one character (stepping back over continuation bytes
	 * cannot tell a character from junk before it) */
	while (at < max) {
		size_t n = char_in(p + at, end);

		if (!n)
			n = 1; /* a byte that is not UTF-8 is a unit of its own */
		if (at + n > max)
			break;
		at += n;
	}
	return at;
}

char *utf8_escape(const char *s, size_t len, int *escaped)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	int valid = utf8_valid(s, len);
	char *out = malloc(valid ? len + 1 : 4 * len + 1), *o = out;

	if (escaped)
		*escaped = !valid;
	if (!out)
		return NULL;
	if (valid) {
		memcpy(out, s, len);
		out[len] = '\0';
		return out;
	}
	while (p < end) {
		size_t n = char_in(p, end);

		if (n && *p != '\\') {
			memcpy(o, p, n);
			o += n;
			p += n;
		} else if (*p == '\\') {
			*o++ = '\\';
			*o++ = '\\';
			p++;
		} else {
			static const char hex[] = "0123456789ABCDEF";

			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
			p++;
		}
	}
	*o = '\0';
	return out;
}
