#ifndef ERRATA_RATELIMIT_H
#define ERRATA_RATELIMIT_H
/*
 * The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-10):
 *   RateLimit-Policy: "default";q=60;w=60
 *   RateLimit: "default";r=0;t=30
 * Both are Structured Field lists of items (a string or a token) with
 * integer or string parameters.
 */
#include <stddef.h>

/* Format the two fields into buffers of `size` bytes; a negative `reset`
 * leaves t out (no Retry-After says when the quota comes back). */
void ratelimit_format_policy(char *buf, size_t size, const char *name, int quota, int window);
void ratelimit_format(char *buf, size_t size, const char *name, int remaining, long long reset);

/*
 * Check a received field: `is_policy` selects RateLimit-Policy (each item
 * needs q) or RateLimit (each item needs r). Returns 0 when well formed, or
 * -1 with *why (a static string) saying what is wrong.
 */
int ratelimit_check(const char *value, int is_policy, const char **why);

#endif
