/*
 * A journal entry as bytes, for a journal that replicas share through a
 * store: one line of numbers, then the entry's blob as it is. Decoding
 * trusts nothing: every number is range-checked, and the blob must be
 * exactly the strings its counts say, each ending with its NUL.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"

#define WIRE_HEAD_MAX 400

static size_t blob_len(const struct journal_entry *e)
{
	size_t n = JOURNAL_FIXED + 2u * (e->nr_headers + e->nr_query), len = 0;

	while (n--)
		len += strlen(e->blob + len) + 1;
	return len;
}

char *journal_entry_encode(const struct journal_entry *e, size_t *len)
{
	size_t bl = blob_len(e);
	char head[WIRE_HEAD_MAX], *out;
	int hl = snprintf(head, sizeof(head),
			  "J1 %" PRIu64 " %" PRId64 " %lld %ld %d %d %d %d %lld %" PRIu64 " %" PRIu64 " %u %u\n",
			  e->connection, e->t_us, (long long)e->wall.tv_sec, e->wall.tv_nsec, e->status,
			  e->truncated, e->step, e->replayed, e->delay_ms, e->body_size, e->body_hash,
			  e->nr_headers, e->nr_query);

	if (hl < 0 || (size_t)hl >= sizeof(head) || !(out = malloc((size_t)hl + bl)))
		return NULL;
	memcpy(out, head, (size_t)hl);
	memcpy(out + hl, e->blob, bl);
	*len = (size_t)hl + bl;
	return out;
}

/* The next decimal number of the head (signed when neg), within [lo, hi]. */
static int num(const char **p, const char *end, int neg, long long lo, unsigned long long hi,
	       unsigned long long *out)
{
	const char *s = *p;
	unsigned long long v = 0;
	int minus = 0, digits = 0;

	if (s < end && *s == ' ')
		s++;
	if (neg && s < end && *s == '-')
		minus = 1, s++;
	while (s < end && *s >= '0' && *s <= '9' && digits < 20) {
		unsigned d = (unsigned)(*s++ - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
		digits++;
	}
	if (!digits || (s < end && *s != ' ' && *s != '\n'))
		return -1;
	if (minus ? v > (unsigned long long)-(lo + 1) + 1 : v > hi)
		return -1;
	*out = minus && v ? (unsigned long long)(-(long long)(v - 1) - 1) : v;
	*p = s;
	return 0;
}

struct head {
	unsigned long long v[13];
};

static int read_head(const char *p, const char *end, struct head *h, const char **blob)
{
	static const struct {
		int neg;
		long long lo;
		unsigned long long hi;
	} f[13] = {
		{ 0, 0, UINT64_MAX },           /* connection */
		{ 1, INT64_MIN, INT64_MAX },    /* t_us */
		{ 1, INT64_MIN, INT64_MAX },    /* wall seconds */
		{ 0, 0, 999999999 },            /* wall nanoseconds */
		{ 0, 0, 999 },                  /* status */
		{ 0, 0, 1 },                    /* truncated */
		{ 1, -1, 1000000000 },          /* step */
		{ 0, 0, 1 },                    /* replayed */
		{ 1, -1, INT64_MAX },           /* delay_ms */
		{ 0, 0, UINT64_MAX },           /* body size */
		{ 0, 0, UINT64_MAX },           /* body hash */
		{ 0, 0, JOURNAL_MAX_PAIRS },    /* headers */
		{ 0, 0, JOURNAL_MAX_PAIRS },    /* query pairs */
	};
	unsigned i;

	if (end - p < 3 || memcmp(p, "J1", 2))
		return -1;
	p += 2;
	for (i = 0; i < 13; i++)
		if (num(&p, end, f[i].neg, f[i].lo, f[i].hi, &h->v[i]))
			return -1;
	if (p >= end || *p != '\n')
		return -1;
	*blob = p + 1;
	return 0;
}

/* 0 when blob[0..len) is exactly `n` NUL-terminated strings; the offset
 * of the sixth (the scenario) into *scenario_at. */
static int check_blob(const char *blob, size_t len, size_t n, unsigned *scenario_at)
{
	size_t at = 0, i;

	if (len > JOURNAL_ENTRY_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		const char *z = memchr(blob + at, '\0', len - at);

		if (!z)
			return -1;
		if (i == 5)
			*scenario_at = (unsigned)at;
		at = (size_t)(z - blob) + 1;
	}
	return at == len ? 0 : -1;
}

struct journal_entry *journal_entry_decode(const char *p, size_t len, uint64_t seq)
{
	const char *end = p + len, *blob;
	struct journal_entry *e;
	struct head h;
	unsigned at = 0;
	size_t bl;

	if (!p || read_head(p, end, &h, &blob))
		return NULL;
	bl = (size_t)(end - blob);
	if (check_blob(blob, bl, JOURNAL_FIXED + 2 * (size_t)(h.v[11] + h.v[12]), &at) ||
	    !(e = calloc(1, sizeof(*e) + bl)))
		return NULL;
	atomic_init(&e->refs, 1);
	e->seq = seq;
	e->connection = h.v[0];
	e->t_us = (int64_t)h.v[1];
	e->wall.tv_sec = (time_t)(long long)h.v[2];
	e->wall.tv_nsec = (long)h.v[3];
	e->status = (int)h.v[4];
	e->truncated = (int)h.v[5];
	e->step = (int)(long long)h.v[6];
	e->replayed = (int)h.v[7];
	e->delay_ms = (long long)h.v[8];
	e->body_size = h.v[9];
	e->body_hash = h.v[10];
	e->nr_headers = (unsigned)h.v[11];
	e->nr_query = (unsigned)h.v[12];
	e->scenario_at = at;
	memcpy(e->blob, blob, bl);
	return e;
}
