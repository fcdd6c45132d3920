/*
 * Redaction of secret header values, JSON members, URL credentials and
 * known secret strings.
 */
#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "redact.h"
#include "utf8.h"

int redact_is_secret_name(const char *name)
{
	static const char *const exact[] = {
		"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key",
	};
	static const char *const parts[] = {
		"token", "key", "secret", "password", "auth", "session", "credential",
	};
	char low[128];
	size_t i, n = strlen(name);

	if (n >= sizeof(low))
		return 1; /* an absurdly long name: safer hidden */
	for (i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	if (!strcmp(low, "idempotency-key"))
		return 0;
	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (!strcmp(low, exact[i]))
			return 1;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (strstr(low, parts[i]))
			return 1;
	return 0;
}

void redact_json(json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, key, item) {
			if (redact_is_secret_name(key))
				json_object_set_new(v, key, json_string(REDACTED));
			else
				redact_json(item);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			redact_json(item);
	}
}

/* Append n bytes to a growing string. */
static int put(char **out, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t ncap = (*len + n + 1) * 2;
		char *p = realloc(*out, ncap);

		if (!p)
			return -1;
		*out = p;
		*cap = ncap;
	}
	memcpy(*out + *len, s, n);
	*len += n;
	(*out)[*len] = '\0';
	return 0;
}

char *redact_url(const char *url)
{
	char *out = NULL;
	size_t len = 0, cap = 0;
	const char *p = url, *scheme = strstr(url, "://"), *auth_end, *q;

	if (scheme) {
		const char *host = scheme + 3, *at, *colon;

		auth_end = host + strcspn(host, "/?#");
		at = memchr(host, '@', (size_t)(auth_end - host));
		if (at) {
			colon = memchr(host, ':', (size_t)(at - host));
			if (put(&out, &len, &cap, url, (size_t)((colon ? colon : at) - url)) ||
			    (colon && put(&out, &len, &cap, ":" REDACTED, strlen(REDACTED) + 1)))
				goto oom;
			p = at;
		}
	}
	q = strchr(p, '?');
	if (!q) {
		if (put(&out, &len, &cap, p, strlen(p)))
			goto oom;
		return out;
	}
	if (put(&out, &len, &cap, p, (size_t)(q - p) + 1))
		goto oom;
	p = q + 1;
	while (*p && *p != '#') {
		size_t n = strcspn(p, "&#"), k = strcspn(p, "=&#");
		char name[128];

		if (k < sizeof(name) && p[k] == '=') {
			memcpy(name, p, k);
			name[k] = '\0';
			if (redact_is_secret_name(name)) {
				if (put(&out, &len, &cap, p, k + 1) ||
				    put(&out, &len, &cap, REDACTED, strlen(REDACTED)))
					goto oom;
				goto next;
			}
		}
		if (put(&out, &len, &cap, p, n))
			goto oom;
next:
		p += n;
		if (*p == '&') {
			if (put(&out, &len, &cap, "&", 1))
				goto oom;
			p++;
		}
	}
	if (put(&out, &len, &cap, p, strlen(p)))
		goto oom;
	return out;
oom:
	free(out);
	return NULL;
}

void redactor_init(struct redactor *r)
{
	memset(r, 0, sizeof(*r));
}

void redactor_release(struct redactor *r)
{
	size_t i;

	for (i = 0; i < r->nr; i++)
		free(r->secrets[i]);
	free(r->secrets);
	redactor_init(r);
}

int redactor_add(struct redactor *r, const char *secret)
{
	if (strlen(secret) < 4)
		return 0;
	if (r->nr == r->alloc) {
		size_t alloc = r->alloc ? r->alloc * 2 : 4;
		char **s = realloc(r->secrets, alloc * sizeof(*s));

		if (!s)
			return -1;
		r->secrets = s;
		r->alloc = alloc;
	}
	if (!(r->secrets[r->nr] = strdup(secret)))
		return -1;
	r->first[(unsigned char)secret[0]] = 1;
	r->nr++;
	return 0;
}

/* s percent-encoded: every byte but the unreserved ones, or '/' kept too,
 * or a space as '+'. */
static char *url_escape(const char *s, int keep_slash, int plus)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(s) * 3 + 1), *o = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || strchr("-._~", c) || (keep_slash && c == '/'))
			*o++ = (char)c;
		else if (plus && c == ' ')
			*o++ = '+';
		else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

/* s as the inside of a JSON string; '/' written "\/" when asked. */
static char *json_escape(const char *s, int slash)
{
	char *out = malloc(strlen(s) * 6 + 1), *o = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\' || (slash && c == '/')) {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c < 0x20) {
			o += sprintf(o, "\\u%04x", c);
		} else {
			*o++ = (char)c;
		}
	}
	*o = '\0';
	return out;
}

int redactor_add_forms(struct redactor *r, const char *secret)
{
	char *form[6];
	size_t i;
	int rc = 0;

	if (strlen(secret) < 4)
		return 0;
	form[0] = url_escape(secret, 0, 0);
	form[1] = url_escape(secret, 0, 1);
	form[2] = url_escape(secret, 1, 0);
	form[3] = json_escape(secret, 0);
	form[4] = json_escape(secret, 1);
	form[5] = NULL;
	rc = redactor_add(r, secret);
	for (i = 0; i < 5; i++) {
		if (!form[i])
			rc = -1;
		else if (strcmp(form[i], secret) && redactor_add(r, form[i]))
			rc = -1;
		free(form[i]);
	}
	return rc;
}

/* Percent-decoding ('+' a space): a new string, or NULL. */
static char *url_unescape(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char h[3] = { s[i + 1], s[i + 2], 0 };

			*o++ = (char)strtol(h, NULL, 16);
			i += 2;
		} else {
			*o++ = s[i] == '+' ? ' ' : s[i];
		}
	}
	*o = '\0';
	return out;
}

/* Base64 (RFC 4648, padding optional): a new string, or NULL when it is not. */
static char *base64_decode(const char *s)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strcspn(s, "= \t"), i, o = 0;
	char *out = malloc(n * 3 / 4 + 3);
	unsigned acc = 0;
	int bits = 0;

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		const char *p = s[i] ? strchr(alpha, s[i]) : NULL;

		if (!p) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)(p - alpha);
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	if (strlen(out) != o) { /* a NUL inside: not text */
		free(out);
		return NULL;
	}
	return out;
}

/* The decoded user:password of a Basic credential, and the password alone. */
static int add_basic(struct redactor *r, const char *b64)
{
	char *pair = base64_decode(b64), *colon;
	int rc = 0;

	if (!pair)
		return 0;
	if ((colon = strchr(pair, ':'))) {
		rc = redactor_add_forms(r, pair);
		if (redactor_add_forms(r, colon + 1))
			rc = -1;
	}
	free(pair);
	return rc;
}

/* Each cookie's value: "a=1; session=xyz". */
static int add_cookies(struct redactor *r, const char *v)
{
	int rc = 0;

	while (*v) {
		size_t n = strcspn(v, ";");
		const char *eq = memchr(v, '=', n);

		if (eq) {
			char *val = strndup(eq + 1, n - (size_t)(eq + 1 - v));

			if (!val || redactor_add_forms(r, val))
				rc = -1;
			free(val);
		}
		v += n;
		v += strspn(v, "; ");
	}
	return rc;
}

int redactor_add_field(struct redactor *r, const char *name, const char *value)
{
	const char *sp;
	int rc;

	if (!redact_is_secret_name(name))
		return 0;
	rc = redactor_add_forms(r, value);
	if (!strcasecmp(name, "Cookie"))
		return add_cookies(r, value) ? -1 : rc;
	sp = strchr(value, ' ');
	if (sp && sp > value && !memchr(value, '=', (size_t)(sp - value))) { /* "scheme credentials" */
		while (*sp == ' ')
			sp++;
		if (redactor_add_forms(r, sp))
			rc = -1;
		if (!strncasecmp(value, "Basic ", 6) && add_basic(r, sp))
			rc = -1;
	}
	return rc;
}

int redactor_add_query(struct redactor *r, const char *query)
{
	int rc = 0;

	while (query && *query) {
		size_t n = strcspn(query, "&;"), k = strcspn(query, "=");
		char *name, *raw, *val;

		if (k < n) {
			name = url_unescape(query, k);
			raw = strndup(query + k + 1, n - k - 1);
			val = url_unescape(query + k + 1, n - k - 1);
			if (!name || !raw || !val)
				rc = -1;
			else if (redact_is_secret_name(name) && (redactor_add(r, raw) || redactor_add_forms(r, val)))
				rc = -1;
			free(name);
			free(raw);
			free(val);
		}
		query += n;
		query += strspn(query, "&;");
	}
	return rc;
}

int redactor_add_env(struct redactor *r, char *const *envp)
{
	for (; envp && *envp; envp++) {
		const char *eq = strchr(*envp, '=');
		char *name;
		int secret;

		if (!eq || strlen(eq + 1) < 6)
			continue;
		if (!(name = strndup(*envp, (size_t)(eq - *envp))))
			return -1;
		secret = redact_is_secret_name(name);
		free(name);
		if (secret && redactor_add(r, eq + 1))
			return -1;
	}
	return 0;
}

char *redactor_apply_n(const struct redactor *r, const char *text, size_t len, size_t *out_len)
{
	char *out = NULL;
	size_t olen = 0, cap = 0, i;
	const char *p = text, *end = text + len;

	if (put(&out, &olen, &cap, "", 0))
		return NULL;
	while (p < end) {
		size_t best = 0;

		for (i = 0; i < r->nr; i++) {
			size_t n = strlen(r->secrets[i]);

			if (n > best && n <= (size_t)(end - p) && !memcmp(p, r->secrets[i], n))
				best = n;
		}
		if (best) {
			if (put(&out, &olen, &cap, REDACTED, strlen(REDACTED)))
				goto oom;
			p += best;
		} else {
			/* copy up to the next byte that could start a secret */
			const char *q = p + 1;

			while (q < end && !r->first[(unsigned char)*q])
				q++;
			if (put(&out, &olen, &cap, p, (size_t)(q - p)))
				goto oom;
			p = q;
		}
	}
	if (out_len)
		*out_len = olen;
	return out;
oom:
	free(out);
	return NULL;
}

char *redactor_apply(const struct redactor *r, const char *text)
{
	return redactor_apply_n(r, text, strlen(text), NULL);
}

int redactor_found(const struct redactor *r, const char *text, size_t len)
{
	size_t i;

	for (i = 0; i < r->nr; i++)
		if (memmem(text, len, r->secrets[i], strlen(r->secrets[i])))
			return 1;
	return 0;
}

#define CUT_MARK " [cut]"

/* A NUL-free copy of s[0..len), known secrets redacted, valid UTF-8. */
static char *scrub(const struct redactor *r, const char *s, size_t len)
{
	char *flat = malloc(len + 1), *red, *out;
	size_t i;

	if (!flat)
		return NULL;
	for (i = 0; i < len; i++)
		flat[i] = s[i] ? s[i] : '\xff'; /* no text holds it: U+FFFD below */
	flat[len] = '\0';
	red = r ? redactor_apply(r, flat) : flat;
	if (red != flat)
		free(flat);
	if (!red)
		return NULL;
	out = utf8_sanitize(red, NULL);
	free(red);
	return out;
}

/* How many bytes at the end of t[0..n) begin a known secret (at_end), or
 * at its start end one (!at_end); 0: none. */
static size_t secret_edge(const struct redactor *r, const char *t, size_t n, int at_end)
{
	size_t i, k, best = 0;

	for (i = 0; r && i < r->nr; i++) {
		size_t sl = strlen(r->secrets[i]);

		for (k = sl - 1 < n ? sl - 1 : n; k > best; k--)
			if (at_end ? !memcmp(t + n - k, r->secrets[i], k) : !memcmp(t, r->secrets[i] + sl - k, k)) {
				best = k;
				break;
			}
	}
	return best;
}

char *redact_evidence(const struct redactor *r, const char *s, size_t len, size_t max)
{
	char *t = scrub(r, s, len);
	size_t n, tl;

	if (!t)
		return NULL;
	tl = strlen(t);
	if (tl <= max)
		return t;
	if (max < sizeof(CUT_MARK)) { /* no room even for the mark */
		t[0] = '\0';
		return t;
	}
	n = utf8_cut(t, tl, max - (sizeof(CUT_MARK) - 1));
	n = utf8_cut(t, tl, n - secret_edge(r, t, n, 1));
	memcpy(t + n, CUT_MARK, sizeof(CUT_MARK));
	return t;
}

char *redact_evidence_tail(const struct redactor *r, const char *s, size_t len, size_t max)
{
	char *t = scrub(r, s, len), *out;
	size_t start, tl, keep;

	if (!t)
		return NULL;
	tl = strlen(t);
	if (tl <= max)
		return t;
	if (max < sizeof(CUT_MARK)) {
		t[0] = '\0';
		return t;
	}
	keep = max - (sizeof(CUT_MARK) - 1);
	start = tl - keep;
	while (start < tl && ((unsigned char)t[start] & 0xc0) == 0x80)
		start++; /* begin on a character */
	start += secret_edge(r, t + start, tl - start, 0);
	while (start < tl && ((unsigned char)t[start] & 0xc0) == 0x80)
		start++;
	out = malloc(sizeof(CUT_MARK) + tl - start);
	if (out) {
		memcpy(out, "[cut] ", sizeof(CUT_MARK) - 1);
		memcpy(out + sizeof(CUT_MARK) - 1, t + start, tl - start + 1);
	}
	free(t);
	return out;
}
