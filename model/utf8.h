#ifndef ERRATA_UTF8_H
#define ERRATA_UTF8_H
#include <stddef.h>

/* The length of the UTF-8 sequence at p (1 to 4; NUL counts as 1), its code
 * point into *codepoint (may be NULL); 0 when p holds no valid sequence. */
size_t utf8_char(const unsigned char *p, unsigned *codepoint);

/* A copy of `s` with each byte that is not valid UTF-8 replaced by U+FFFD;
 * how many into *bad (may be NULL). A new string to free(), or NULL. */
char *utf8_sanitize(const char *s, size_t *bad);

#endif
