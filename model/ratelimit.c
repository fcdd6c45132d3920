/*
 * Formatting and checking the RateLimit and RateLimit-Policy fields: a
 * minimal Structured Field list parser (RFC 8941), enough to tell a
 * well-formed field from a malformed one.
 */
#include <stdio.h>
#include <string.h>

#include "ratelimit.h"

void ratelimit_format_policy(char *buf, size_t size, const char *name, int quota, int window)
{
	snprintf(buf, size, "\"%s\";q=%d;w=%d", name, quota, window);
}

void ratelimit_format(char *buf, size_t size, const char *name, int remaining, long long reset)
{
	if (reset < 0)
		snprintf(buf, size, "\"%s\";r=%d", name, remaining);
	else
		snprintf(buf, size, "\"%s\";r=%d;t=%lld", name, remaining, reset);
}

static void ows(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

static int is_lcalpha(char c) { return c >= 'a' && c <= 'z'; }
static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* sf-string */
static int sf_string(const char **p)
{
	if (**p != '"')
		return -1;
	for ((*p)++; **p && **p != '"'; (*p)++) {
		if (**p == '\\') {
			(*p)++;
			if (**p != '"' && **p != '\\')
				return -1;
		} else if ((unsigned char)**p < 0x20 || (unsigned char)**p >= 0x7f) {
			return -1;
		}
	}
	if (**p != '"')
		return -1;
	(*p)++;
	return 0;
}

/* sf-token */
static int sf_token(const char **p)
{
	if (!is_alpha(**p) && **p != '*')
		return -1;
	while (**p && (is_alpha(**p) || is_digit(**p) || strchr("!#$%&'*+-.^_`|~:/", **p)))
		(*p)++;
	return 0;
}

/* sf-binary: ":" base64 ":" */
static int sf_binary(const char **p)
{
	if (**p != ':')
		return -1;
	for ((*p)++; **p && **p != ':'; (*p)++)
		if (!is_alpha(**p) && !is_digit(**p) && !strchr("+/=", **p))
			return -1;
	if (**p != ':')
		return -1;
	(*p)++;
	return 0;
}

/* sf-integer, non-negative here: both drafts' parameters are counts. */
static int sf_uint(const char **p)
{
	int n = 0;

	if (**p == '-')
		return -1;
	while (is_digit(**p)) {
		(*p)++;
		if (++n > 15)
			return -1;
	}
	return n ? 0 : -1;
}

int ratelimit_check(const char *value, int is_policy, const char **why)
{
	const char *p = value, *dummy;
	int items = 0;

	if (!why)
		why = &dummy;
	ows(&p);
	for (;;) {
		int has_required = 0;

		if (*p == '"' ? sf_string(&p) : sf_token(&p)) {
			*why = "each item must be a quoted policy name or a token";
			return -1;
		}
		items++;
		while (*p == ';') {
			char key[16];
			size_t n = 0;

			p++;
			ows(&p);
			if (!is_lcalpha(*p) && *p != '*') {
				*why = "a parameter key must start with a lower-case letter";
				return -1;
			}
			while (*p && (is_lcalpha(*p) || is_digit(*p) || strchr("_-.*", *p))) {
				if (n + 1 < sizeof(key))
					key[n++] = *p;
				p++;
			}
			key[n] = '\0';
			if (*p != '=') {
				*why = "a parameter needs a value";
				return -1;
			}
			p++;
			if (!strcmp(key, "q") || !strcmp(key, "r") || !strcmp(key, "w") || !strcmp(key, "t")) {
				if (sf_uint(&p)) {
					*why = "q, r, w and t must be non-negative integers";
					return -1;
				}
			} else if (*p == '"' ? sf_string(&p) : *p == ':' ? sf_binary(&p) :
				   is_digit(*p) ? sf_uint(&p) : sf_token(&p)) {
				*why = "a parameter value is malformed";
				return -1;
			}
			if (!strcmp(key, is_policy ? "q" : "r"))
				has_required = 1;
		}
		if (!has_required) {
			*why = is_policy ? "a policy item lacks q (its quota)" : "an item lacks r (remaining)";
			return -1;
		}
		ows(&p);
		if (!*p)
			return items ? 0 : -1;
		if (*p != ',') {
			*why = "items must be separated by commas";
			return -1;
		}
		p++;
		ows(&p);
	}
}
