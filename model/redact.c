/*
 * Redaction of secret header values, JSON members, URL credentials and
 * known secret strings.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

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
