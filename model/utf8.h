#ifndef ERRATA_UTF8_H
#define ERRATA_UTF8_H
#include <stddef.h>

/* The length of the UTF-8 sequence at p (1 to 4; NUL counts as 1), its code
 * point into *codepoint (may be NULL); 0 when p holds no valid sequence. */
size_t utf8_char(const unsigned char *p, unsigned *codepoint);

/* A copy of `s` with each byte that is not valid UTF-8 replaced by U+FFFD;
 * how many into *bad (may be NULL). A new string to free(), or NULL. */
char *utf8_sanitize(const char *s, size_t *bad);

/* The longest prefix of s[0..len) of at most `max` bytes that does not end
 * inside a UTF-8 sequence (a cut there leaves whole characters). */
size_t utf8_cut(const char *s, size_t len, size_t max);

/*
 * s[0..len) for JSON: valid UTF-8 is kept as it is; when any byte is not
 * (or is a NUL), every such byte becomes "\xHH" and every backslash "\\",
 * and *escaped is set (may be NULL), so that two different byte strings
 * never give the same text with the same flag. A new string to free().
 */
char *utf8_escape(const char *s, size_t len, int *escaped);

/* 1 when s[0..len) is valid UTF-8 without NULs. */
int utf8_valid(const char *s, size_t len);

#endif
