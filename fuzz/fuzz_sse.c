/*
 * The event-stream parser and writer on arbitrary bytes. The same bytes
 * fed whole, split at any point, or byte by byte give the same events; an
 * event over the bound is dropped, never cut; what the writer writes reads
 * back as the same event (its line breaks as LF).
 */
#include "fuzz.h"
#include "../model/sse.h"

struct seen {
	uint64_t hash;
	size_t n;
	size_t max;
};

static uint64_t fnv(uint64_t h, const char *p, size_t n)
{
	while (n--)
		h = (h ^ (unsigned char)*p++) * 0x100000001b3ULL;
	return h;
}

static int note(void *ctx, const struct sse_event *ev)
{
	struct seen *s = ctx;

	FUZZ_ASSERT(ev->data_len <= s->max, "an event of %zu bytes passed the bound %zu", ev->data_len, s->max);
	FUZZ_ASSERT(strlen(ev->event) < 128 && ev->index == s->n, "event %zu came as %zu", s->n, ev->index);
	s->hash = fnv(fnv(s->hash, ev->event, strlen(ev->event) + 1), ev->data, ev->data_len);
	s->n++;
	return 0;
}

static struct seen parse(const uint8_t *data, size_t size, size_t split, size_t step, size_t max)
{
	struct sse_parser p;
	struct seen s = { 0xcbf29ce484222325ULL, 0, max };
	size_t i;

	sse_init(&p, max);
	if (step) {
		for (i = 0; i < size; i += step)
			FUZZ_ASSERT(sse_feed(&p, (const char *)data + i, size - i < step ? size - i : step, note, &s) == 0,
				    "feed failed");
	} else {
		FUZZ_ASSERT(!sse_feed(&p, (const char *)data, split, note, &s), "feed failed");
		FUZZ_ASSERT(!sse_feed(&p, (const char *)data + split, size - split, note, &s), "feed failed");
	}
	sse_release(&p);
	return s;
}

static int first(void *ctx, const struct sse_event *ev)
{
	struct sse_event *out = ctx;

	if (!out->data) {
		out->event = strdup(ev->event);
		out->data = memcpy(malloc(ev->data_len + 1), ev->data, ev->data_len + 1);
		out->data_len = ev->data_len;
	}
	return 0;
}

/* The writer: name = the input up to its first NUL (no line breaks), data = the rest. */
static void round_trip(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *nul = memchr(in, '\0', size);
	size_t name_len = nul ? (size_t)(nul - in) : 0, len, n = 0, i;
	char *name = strndup(in, name_len), *wire, *want = malloc(size + 1);
	struct sse_event got = { 0 };
	struct sse_parser p;
	const char *d = nul ? nul + 1 : in;
	size_t dl = size - (size_t)(d - in);

	wire = sse_write(name_len ? name : NULL, d, dl, &len);
	/* an event type of 128 bytes or more drops its event (sse.h): none is documented */
	if (strpbrk(name, "\r\n") || memchr(d, '\0', dl) || name_len >= 128) {
		free(wire);
		goto out;
	}
	FUZZ_ASSERT(wire, "the writer refused a name without line breaks");
	for (i = 0; i < dl; i++) /* CRLF and CR read back as LF */
		if (d[i] == '\r' && i + 1 < dl && d[i + 1] == '\n')
			continue;
		else
			want[n++] = d[i] == '\r' ? '\n' : d[i];
	sse_init(&p, 0);
	FUZZ_ASSERT(!sse_feed(&p, wire, len, first, &got), "feed failed");
	FUZZ_ASSERT(!sse_partial(&p), "a written event left the parser mid-event");
	FUZZ_ASSERT(got.data && got.data_len == n && !memcmp(got.data, want, n),
		    "data of %zu bytes read back as %zu", n, got.data_len);
	if (name_len)
		FUZZ_ASSERT(!strcmp(got.event, name), "event '%s' read back as '%s'", name, got.event);
	sse_release(&p);
	free(wire);
	free((char *)got.event);
	free((char *)got.data);
out:
	free(name);
	free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t split = size ? data[0] % (size + 1) : 0, max = 16 + (size ? data[size - 1] : 0);
	struct seen whole = parse(data, size, size, 0, max), cut = parse(data, size, split, 0, max),
		    bytes = parse(data, size, 0, 1, max);

	FUZZ_ASSERT(whole.n == cut.n && whole.hash == cut.hash, "split at %zu: %zu events, whole: %zu", split,
		    cut.n, whole.n);
	FUZZ_ASSERT(whole.n == bytes.n && whole.hash == bytes.hash, "byte by byte: %zu events, whole: %zu",
		    bytes.n, whole.n);
	round_trip(data, size);
	return 0;
}
