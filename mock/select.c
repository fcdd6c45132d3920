/*
 * Selector parsing for the mock. Prefer follows RFC 7240: a comma-separated
 * list of preferences, each token[=value] with optional ;parameters; only
 * "code" is read and the rest are ignored, as Prism does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <errno.h>

#include "select.h"
#include "stream.h"

static int all_digits(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Find code=<value> in a Prefer header; copy the value. 1 found, 0 not, -1 bad. */
static int prefer_code(const char *prefer, char *value, size_t size)
{
	const char *p = prefer;

	while (*p) {
		const char *name, *v = NULL;
		size_t nlen, vlen = 0;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		name = p;
		while (*p && !strchr("=;, \t", *p))
			p++;
		nlen = (size_t)(p - name);
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '=') {
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '"') {
				v = ++p;
				while (*p && *p != '"')
					p++;
				if (*p != '"')
					return -1;
				vlen = (size_t)(p - v);
				p++;
			} else {
				v = p;
				while (*p && !strchr(";, \t", *p))
					p++;
				vlen = (size_t)(p - v);
			}
		}
		while (*p && *p != ',')
			p++; /* parameters of this preference are ignored */
		if (nlen == 4 && !strncasecmp(name, "code", 4)) {
			if (!v || !vlen || vlen >= size)
				return -1;
			memcpy(value, v, vlen);
			value[vlen] = '\0';
			return 1;
		}
	}
	return 0;
}

static enum select_problem lookup(const struct contract *c, const char *what,
				  const char *value, int status_ok,
				  const struct contract_code **out, char *why, size_t size)
{
	size_t n = strlen(value);

	if (!n || n > 128) {
		snprintf(why, size, "%s is empty or too long", what);
		return SELECT_MALFORMED;
	}
	if (status_ok && all_digits(value, n)) {
		int status = n <= 3 ? atoi(value) : 0;

		*out = contract_find_status(c, status);
		if (*out)
			return SELECT_OK;
		snprintf(why, size, "%s asks for status %.8s, which no code of %s has", what, value, c->id);
		return SELECT_UNKNOWN_STATUS;
	}
	*out = contract_find(c, value);
	if (*out)
		return SELECT_OK;
	snprintf(why, size, "%s names '%.128s', which is not a code of %s", what, value, c->id);
	return SELECT_UNKNOWN_CODE;
}

enum select_problem select_code(const struct contract *c, const char *x_errata_error,
				const char *prefer, const char *query_error,
				const struct contract_code **out, char *why, size_t size)
{
	const struct contract_code *found[3] = { NULL, NULL, NULL };
	const char *names[3] = { "X-Errata-Error", "Prefer code", "__error" };
	char pvalue[136];
	enum select_problem p;
	int i, have = -1;

	*out = NULL;
	if (x_errata_error) {
		char v[136];
		size_t n = strlen(x_errata_error);

		while (n && (x_errata_error[n - 1] == ' ' || x_errata_error[n - 1] == '\t'))
			n--;
		while (n && (*x_errata_error == ' ' || *x_errata_error == '\t')) {
			x_errata_error++;
			n--;
		}
		if (n >= sizeof(v))
			n = sizeof(v) - 1;
		memcpy(v, x_errata_error, n);
		v[n] = '\0';
		if ((p = lookup(c, names[0], v, 0, &found[0], why, size)) != SELECT_OK)
			return p;
	}
	if (prefer) {
		int r = prefer_code(prefer, pvalue, sizeof(pvalue));

		if (r < 0) {
			snprintf(why, size, "Prefer: '%.100s' has a code preference without a value", prefer);
			return SELECT_MALFORMED;
		}
		if (r > 0 && (p = lookup(c, names[1], pvalue, 1, &found[1], why, size)) != SELECT_OK)
			return p;
	}
	if (query_error && (p = lookup(c, names[2], query_error, 0, &found[2], why, size)) != SELECT_OK)
		return p;
	for (i = 0; i < 3; i++) {
		if (!found[i])
			continue;
		if (have >= 0 && found[have] != found[i]) {
			snprintf(why, size, "%s asks for %s but %s asks for %s", names[have],
				 found[have]->code, names[i], found[i]->code);
			return SELECT_CONFLICT;
		}
		have = i;
	}
	*out = have >= 0 ? found[have] : NULL;
	return SELECT_OK;
}

int select_retry_after(const char *value, long long *seconds, int *as_date)
{
	const char *p = value;
	long long v = 0;

	*as_date = !strncmp(p, "date:", 5);
	if (*as_date)
		p += 5;
	if (!*p || strlen(p) > 9)
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	*seconds = v;
	return 0;
}

int select_status_only(const char *x_errata_error, const char *prefer, const char *query_error)
{
	char v[136];

	if (x_errata_error || query_error || !prefer || prefer_code(prefer, v, sizeof(v)) <= 0)
		return 0;
	return strlen(v) == 3 && all_digits(v, 3) ? atoi(v) : 0;
}

/* "name=N" with N in [lo, hi]: 0, or -1. */
static int stream_param(const char *p, size_t len, const char *name, long long lo, long long hi, long long *out)
{
	size_t k = strlen(name);
	char num[24], *end;
	long long v;

	if (len <= k + 1 || len - k - 1 >= sizeof(num) || strncmp(p, name, k) || p[k] != '=')
		return -1;
	memcpy(num, p + k + 1, len - k - 1);
	num[len - k - 1] = '\0';
	errno = 0;
	v = strtoll(num, &end, 10);
	if (errno || *end || end == num || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int select_stream(const struct contract *c, const char *value, long long n[3], const struct contract_code **cc,
		  char *why, size_t size)
{
	static const struct { const char *name; long long lo, hi; } params[3] = {
		{ "events", 0, STREAM_MAX_EVENTS }, { "interval_ms", 0, 60000 }, { "stall_ms", 1, 600000 }
	};
	size_t w = strcspn(value, ":; "), i;
	const char *p = value + w;
	char word[16], code[128];
	int end;

	snprintf(word, sizeof(word), "%.*s", (int)(w < sizeof(word) ? w : sizeof(word) - 1), value);
	if (w >= sizeof(word) || (end = stream_end_parse(word)) < 0) {
		snprintf(why, size, "X-Errata-Stream: '%.60s' is not error, error:CODE, reset, stall or end", value);
		return -1;
	}
	*cc = NULL;
	if (*p == ':') {
		size_t k = strcspn(++p, "; ");

		if (end != SE_ERROR || !k || k >= sizeof(code)) {
			snprintf(why, size, "X-Errata-Stream: only error takes a code (error:CODE), in '%.60s'", value);
			return -1;
		}
		snprintf(code, sizeof(code), "%.*s", (int)k, p);
		if (!(*cc = contract_find(c, code))) {
			snprintf(why, size, "X-Errata-Stream: '%.100s' is not a code of %s", code, c->id);
			return -1;
		}
		p += k;
	}
	while (*p) {
		size_t k;

		p += strspn(p, "; ");
		if (!*p)
			break;
		k = strcspn(p, "; ");
		for (i = 0; i < 3 && stream_param(p, k, params[i].name, params[i].lo, params[i].hi, &n[i]); i++)
			;
		if (i == 3) {
			snprintf(why, size, "X-Errata-Stream: '%.*s' is not events=0..10000, interval_ms=0..60000 "
				 "or stall_ms=1..600000", (int)(k > 60 ? 60 : k), p);
			return -1;
		}
		p += k;
	}
	return end;
}
