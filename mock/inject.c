/*
 * Parsing --inject and picking, from the seed and the request's number,
 * which requests get which error (inject.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inject.h"

void inject_spec_release(struct inject_spec *s)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		free(s->choice[i]);
	memset(s, 0, sizeof(*s));
}

/* "10%", "0.5%", "0.1", "1": per million. -1 when it is not a rate. */
static long rate_ppm(const char *v, size_t n)
{
	char buf[32], *end;
	double x;
	int pct = n && v[n - 1] == '%';

	if (!n || n >= sizeof(buf) || !(isdigit((unsigned char)v[0]) || v[0] == '.'))
		return -1;
	memcpy(buf, v, n - (size_t)pct);
	buf[n - (size_t)pct] = '\0';
	errno = 0;
	x = strtod(buf, &end);
	if (errno || *end || x != x)
		return -1;
	if (pct)
		x /= 100;
	return x < 0 || x > 1 ? -1 : (long)(x * 1e6 + 0.5);
}

static int add_choices(struct inject_spec *s, const char *v, size_t n, int fault, char *why, size_t size)
{
	const char *p = v, *end = v + n;

	if (!n) {
		snprintf(why, size, "--inject: %s= names at least one %s", fault ? "faults" : "codes",
			 fault ? "fault" : "code");
		return -1;
	}
	while (p <= end) {
		const char *bar = memchr(p, '|', (size_t)(end - p));
		size_t k = (size_t)((bar ? bar : end) - p), i;

		if (!k || k > 100) {
			snprintf(why, size, "--inject: an empty or over-long name in '%.*s'", (int)(n > 200 ? 200 : n), v);
			return -1;
		}
		for (i = 0; i < k; i++)
			if (!isalnum((unsigned char)p[i]) && p[i] != '_' && p[i] != '-' && p[i] != '.') {
				snprintf(why, size, "--inject: '%.*s' is not a code, status or fault name",
					 (int)k, p);
				return -1;
			}
		if (s->nr == INJECT_MAX_CHOICES) {
			snprintf(why, size, "--inject: at most %d codes and faults", INJECT_MAX_CHOICES);
			return -1;
		}
		if (!(s->choice[s->nr] = strndup(p, k))) {
			snprintf(why, size, "out of memory");
			return -1;
		}
		s->is_fault[s->nr++] = fault;
		if (!bar)
			break;
		p = bar + 1;
	}
	return 0;
}

static int parse_pair(struct inject_spec *s, const char *p, size_t n, int *has_rate, char *why, size_t size)
{
	const char *eq = memchr(p, '=', n), *v;
	size_t kn, vn;

	if (!eq) {
		snprintf(why, size, "--inject: '%.*s' is not key=value (rate, codes, faults, seed, max-in-a-row)",
			 (int)(n > 100 ? 100 : n), p);
		return -1;
	}
	kn = (size_t)(eq - p);
	v = eq + 1;
	vn = n - kn - 1;
	if (kn == 4 && !memcmp(p, "rate", 4)) {
		long r = rate_ppm(v, vn);

		if (r < 0) {
			snprintf(why, size, "--inject: rate '%.*s' is not a share such as 10%% or 0.1",
				 (int)(vn > 50 ? 50 : vn), v);
			return -1;
		}
		s->rate_ppm = (unsigned)r;
		*has_rate = 1;
		return 0;
	}
	if (kn == 5 && !memcmp(p, "codes", 5))
		return add_choices(s, v, vn, 0, why, size);
	if (kn == 6 && !memcmp(p, "faults", 6))
		return add_choices(s, v, vn, 1, why, size);
	if (kn == 12 && !memcmp(p, "max-in-a-row", 12)) {
		if (!vn || vn > 4 || strspn(v, "0123456789") < vn) {
			snprintf(why, size, "--inject: max-in-a-row is a number from 0 (no bound) to 9999");
			return -1;
		}
		s->max_in_a_row = (unsigned)atoi(v);
		return 0;
	}
	if (kn == 4 && !memcmp(p, "seed", 4)) {
		char buf[24], *end;

		if (!vn || vn >= sizeof(buf) || !isdigit((unsigned char)v[0])) {
			snprintf(why, size, "--inject: seed is a whole number from 0 to 2^64-1");
			return -1;
		}
		memcpy(buf, v, vn);
		buf[vn] = '\0';
		errno = 0;
		s->seed = strtoull(buf, &end, 10);
		if (errno || *end) {
			snprintf(why, size, "--inject: seed is a whole number from 0 to 2^64-1");
			return -1;
		}
		s->has_seed = 1;
		return 0;
	}
	snprintf(why, size, "--inject: unknown key '%.*s' (rate, codes, faults, seed, max-in-a-row)", (int)(kn > 50 ? 50 : kn), p);
	return -1;
}

int inject_spec_parse(const char *text, struct inject_spec *s, char *why, size_t size)
{
	const char *p = text, *end = text + strlen(text);
	int has_rate = 0;

	memset(s, 0, sizeof(*s));
	s->max_in_a_row = 1;
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t n = (size_t)((comma ? comma : end) - p);

		if (parse_pair(s, p, n, &has_rate, why, size)) {
			inject_spec_release(s);
			return -1;
		}
		p += n + 1;
	}
	if (!has_rate) {
		snprintf(why, size, "--inject needs a rate (and codes or faults, else the retryable codes): "
			 "'rate=10%%,codes=RATE_LIMITED|503,faults=CONNECTION_RESET_BY_PEER,seed=7,max-in-a-row=1'");
		inject_spec_release(s);
		return -1;
	}
	return 0;
}

/* splitmix64: a well-mixed 64-bit value from any 64-bit input. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

int inject_pick(const struct inject_spec *s, uint64_t n)
{
	uint64_t x = mix(s->seed ^ mix(n));

	if (!s->nr || x % 1000000 >= s->rate_ppm)
		return -1;
	return (int)(mix(x) % s->nr);
}
