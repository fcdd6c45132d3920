#ifndef ERRATA_UTF8_H
#define ERRATA_UTF8_H
#include <stddef.h>

/* A copy of `s` with each byte that is not valid UTF-8 replaced by U+FFFD;
 * how many into *bad (may be NULL). A new string to free(), or NULL. */
char *utf8_sanitize(const char *s, size_t *bad);

#endif
