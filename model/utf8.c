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
