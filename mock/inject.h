#ifndef ERRATA_INJECT_H
#define ERRATA_INJECT_H
/*
 * errata proxy's seeded random injection: --inject 'rate=10%,codes=A|B,seed=7'.
 * Whether request n gets an error, and which, is a function of the seed
 * and n alone: the same seed and the same order of requests give the same
 * injections.
 */
#include <stddef.h>
#include <stdint.h>

#define INJECT_MAX_CHOICES 64

struct inject_spec {
	unsigned rate_ppm;           /* per million requests */
	uint64_t seed;
	int has_seed;
	char *choice[INJECT_MAX_CHOICES]; /* codes, statuses or fault names (owned) */
	int is_fault[INJECT_MAX_CHOICES];
	size_t nr;                   /* 0: every retryable code of the contract */
	unsigned max_in_a_row;       /* errors one request gets in a row (default 1; 0: no bound) */
};

/*
 * Parse "rate=R,codes=A|B,faults=F|G,seed=N,max-in-a-row=K": R as "10%" or
 * a fraction ("0.1"); without codes or faults, the contract's retryable
 * codes. Returns 0, or -1 with why.
 */
int inject_spec_parse(const char *text, struct inject_spec *s, char *why, size_t size);
void inject_spec_release(struct inject_spec *s);

/* The choice for request n (0, 1, ...): its index, or -1 for none. */
int inject_pick(const struct inject_spec *s, uint64_t n);

#endif
