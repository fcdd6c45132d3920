/*
 * Judging what format 2 adds to a response: vendor rate-limit header
 * families, retry hints, retry-after-ms, and whether a rate-limited error
 * tells the client how long to wait by the contract's wait rules.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "match.h"
#include "retry_after.h"
#include "utf8.h"

#define CUT(s, n) (int)utf8_cut((s), strlen(s), (n)), (s)

/* A whole non-negative decimal integer of at most 15 digits. */
static int parse_count(const char *s, long long *out)
{
	long long n = 0;
	size_t i;

	for (i = 0; s[i]; i++) {
		if (!isdigit((unsigned char)s[i]) || i >= 15)
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	if (!i)
		return -1;
	*out = n;
	return 0;
}

/* A non-negative decimal number (digits, an optional fraction). */
static int parse_number(const char *s, double *out)
{
	size_t i = 0, digits = 0;

	while (isdigit((unsigned char)s[i]) && i < 15)
		i++, digits++;
	if (s[i] == '.') {
		i++;
		while (isdigit((unsigned char)s[i]) && i < 30)
			i++, digits++;
	}
	if (!digits || s[i])
		return -1;
	*out = strtod(s, NULL);
	return isfinite(*out) ? 0 : -1;
}

/* RFC 3339: 2026-12-04T13:53:15Z, fractional seconds and offsets allowed. */
static int parse_rfc3339(const char *s, double *epoch)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, sec, n = 0, oh = 0, om = 0;
	double frac = 0;
	const char *p;

	if (sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
		return -1;
	p = s + n;
	if (*p == '.') {
		const char *q = ++p;

		while (isdigit((unsigned char)*p) && p - q < 9)
			p++;
		if (p == q || isdigit((unsigned char)*p))
			return -1;
		frac = strtod(q - 1, NULL);
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
		   p[3] == ':' && isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5])) {
		oh = (p[1] - '0') * 10 + (p[2] - '0');
		om = (p[4] - '0') * 10 + (p[5] - '0');
		if (*p == '-')
			oh = -oh, om = -om;
		p += 6;
	} else {
		return -1;
	}
	if (*p || y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60 || oh > 23 || oh < -23 || om > 59 || om < -59)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*epoch = (double)timegm(&tm) + frac - (oh * 3600 + om * 60);
	return 0;
}

int wait_value_parse(int form, const char *v, double now, double *seconds)
{
	struct retry_after ra;
	long long n;
	double x;

	switch (form) {
	case WAIT_RETRY_AFTER:
		if (retry_after_parse(v, (time_t)now, &ra, NULL))
			return -1;
		x = ra.is_date ? (double)ra.date - now : (double)ra.seconds;
		break;
	case WAIT_SECONDS:
		if (parse_number(v, &x))
			return -1;
		break;
	case WAIT_MS:
		if (parse_number(v, &x))
			return -1;
		x /= 1000;
		break;
	case WAIT_EPOCH:
		if (parse_count(v, &n))
			return -1;
		x = (double)n - now;
		break;
	case WAIT_RFC3339:
		if (parse_rfc3339(v, &x))
			return -1;
		x -= now;
		break;
	default:
		return -1;
	}
	*seconds = x < 0 ? 0 : x;
	return 0;
}

/* The implicit rules of a contract that states none: the ms header, then
 * Retry-After. */
static size_t rules(const struct contract *c, struct wait_rule *out)
{
	size_t n = 0;

	if (c->nr_wait) {
		memcpy(out, c->wait, c->nr_wait * sizeof(*out));
		return c->nr_wait;
	}
	if (c->retry_after_ms_header)
		out[n++] = (struct wait_rule){ .header = c->retry_after_ms_header, .form = WAIT_MS };
	out[n++] = (struct wait_rule){ .header = "Retry-After", .form = WAIT_RETRY_AFTER };
	return n;
}

int contract_wait(const struct contract *c, const struct response *r, double now,
		  double *seconds, const char **header)
{
	struct wait_rule w[CONTRACT_MAX_WAIT + 2];
	size_t n = rules(c, w), i;

	for (i = 0; i < n; i++) {
		const char *v;

		if (!w[i].header) {
			*seconds = w[i].min_seconds;
			*header = NULL;
			return 0;
		}
		if (w[i].when_header) {
			const char *cond = response_header(r, w[i].when_header);

			if (!cond || strcmp(cond, w[i].when_equals))
				continue;
		}
		v = response_header(r, w[i].header);
		if (v && !wait_value_parse(w[i].form, v, now, seconds)) {
			*header = w[i].header;
			return 1;
		}
	}
	return -1;
}

static int rate_limited(const struct contract_code *cc)
{
	return cc && (cc->role == ROLE_RATE_LIMITED || cc->role == ROLE_CONCURRENCY_LIMITED);
}

static void check_family(const struct contract *c, const struct header_family *f,
			 const struct contract_code *cc, const struct response *r,
			 struct match_result *m)
{
	long long val[LF__COUNT];
	int have[LF__COUNT] = { 0 };
	size_t i;

	for (i = 0; i < f->nr; i++) {
		const char *h = f->h[i].header, *v = response_header(r, h);
		int field = f->h[i].field, bad = 0;
		double x;

		if (!v) {
			if (f->on_all || rate_limited(cc))
				match_add(m, CHECK_RATELIMIT_FAMILY, SEV_FAIL, "no %s header (%s), which %s carries",
					  h, limit_field_name(field), f->on_all ? "every response" : "a rate limit");
			continue;
		}
		if (field == LF_RESOURCE)
			bad = strcmp(v, f->resource) ? 2 : 0;
		else if (field == LF_RESET_TIME)
			bad = parse_rfc3339(v, &x);
		else
			bad = parse_count(v, &val[field]);
		if (bad == 2)
			match_add(m, CHECK_RATELIMIT_FAMILY, SEV_WARN, "%s '%.*s': the contract names resource '%s'",
				  h, CUT(v, 60), f->resource);
		else if (bad)
			match_add(m, CHECK_RATELIMIT_FAMILY, SEV_FAIL, "%s '%.*s' is not %s", h, CUT(v, 60),
				  field == LF_RESET_TIME ? "an RFC 3339 time" : "a non-negative integer");
		else
			have[field] = 1;
	}
	if (have[LF_LIMIT] && have[LF_REMAINING] && val[LF_REMAINING] > val[LF_LIMIT])
		match_add(m, CHECK_RATELIMIT_FAMILY, SEV_FAIL, "remaining %lld exceeds the limit %lld",
			  val[LF_REMAINING], val[LF_LIMIT]);
	if (have[LF_LIMIT] && have[LF_REMAINING] && have[LF_USED] &&
	    val[LF_USED] + val[LF_REMAINING] != val[LF_LIMIT])
		match_add(m, CHECK_RATELIMIT_FAMILY, SEV_FAIL, "used %lld and remaining %lld do not add up to the limit %lld",
			  val[LF_USED], val[LF_REMAINING], val[LF_LIMIT]);
	(void)c;
}

void match_vendor_headers(const struct contract *c, const struct contract_code *cc,
			  const struct response *r, time_t now, struct match_result *m)
{
	const char *v, *header;
	double x;
	size_t i;

	for (i = 0; i < c->nr_families; i++)
		check_family(c, &c->families[i], cc, r, m);
	if (c->retry_hint_header && (v = response_header(r, c->retry_hint_header))) {
		if (strcmp(v, "true") && strcmp(v, "false"))
			match_add(m, CHECK_RETRY_HINT, SEV_FAIL, "%s '%.*s' is neither true nor false",
				  c->retry_hint_header, CUT(v, 60));
		else if (cc && !cc->status_only && cc->retryable != !strcmp(v, "true"))
			match_add(m, CHECK_RETRY_HINT, SEV_WARN, "%s: %s, but %s is documented as %sretryable",
				  c->retry_hint_header, v, cc->code, cc->retryable ? "" : "not ");
	}
	if (c->retry_after_ms_header && (v = response_header(r, c->retry_after_ms_header))) {
		if (wait_value_parse(WAIT_MS, v, (double)now, &x))
			match_add(m, CHECK_RETRY_AFTER_MS, SEV_FAIL, "%s '%.*s' is not a number of milliseconds",
				  c->retry_after_ms_header, CUT(v, 60));
	}
	for (i = 0; i < c->nr_wait; i++) {
		const struct wait_rule *w = &c->wait[i];

		if (w->header && (v = response_header(r, w->header)) &&
		    wait_value_parse(w->form, v, (double)now, &x))
			match_add(m, CHECK_WAIT_INFO, SEV_FAIL, "%s '%.*s' cannot be read as a wait", w->header, CUT(v, 60));
	}
	if (c->nr_wait && rate_limited(cc) && !match_find(m, CHECK_WAIT_INFO) &&
	    contract_wait(c, r, (double)now, &x, &header) != 1)
		match_add(m, CHECK_WAIT_INFO, SEV_FAIL, "%s (%d) is a rate limit, but no header tells the client how long to wait",
			  cc->code, r->status);
}
