/*
 * Replies from a hostile store (--state): the bytes as Redis protocol, read
 * by hiredis's own reader, then by every decoder errata applies to a reply
 * (the scenarios' definitions, a batch of the journal, a rate-limit
 * answer), and as a stored journal entry, an Idempotency-Key's value, a
 * store URL and a store's error text. Nothing may crash or leak; an entry
 * that decodes encodes back to bytes that decode to the same entry, its
 * journal JSON parses, and a store's words never show the password.
 */
#include <hiredis/hiredis.h>
#include <jansson.h>

#include "fuzz.h"
#include "../mock/shared.h"
#include "../store/redis.h"
#include "../model/utf8.h"

static void journal_json_parses(struct journal_view *v)
{
	char buf[4096], *text = NULL;
	size_t len = 0;
	long n;

	v->capacity = 10;
	while ((n = journal_view_read(v, buf, sizeof(buf))) > 0) {
		char *t = realloc(text, len + (size_t)n + 1);

		FUZZ_ASSERT(t, "out of memory");
		text = t;
		memcpy(text + len, buf, (size_t)n);
		len += (size_t)n;
	}
	FUZZ_ASSERT(n == 0, "the journal view could not be written");
	if (text) {
		json_t *j = json_loadb(text, len, 0, NULL);

		FUZZ_ASSERT(j, "the journal JSON of decoded entries does not parse: %.*s", (int)(len < 300 ? len : 300),
			    text);
		json_decref(j);
	}
	free(text);
}

static void replies(const uint8_t *data, size_t size)
{
	redisReader *rd = store_reader();
	void *reply;
	int k;

	if (!rd)
		return;
	redisReaderFeed(rd, (const char *)data, size);
	for (k = 0; k < 8 && redisReaderGetReply(rd, &reply) == REDIS_OK && reply; k++) {
		struct shared_defs d;
		struct journal_view v;
		long long version;
		uint64_t last, after = 1;
		size_t scanned, alloc = 0;
		int remaining;
		long long reset;

		if (!shared_defs_decode(reply, &version, &d)) {
			size_t i;

			for (i = 0; i < d.n; i++)
				FUZZ_ASSERT(strlen(d.ids[i]) < 64, "a scenario id of %zu bytes", strlen(d.ids[i]));
			shared_defs_release(&d);
		}
		memset(&v, 0, sizeof(v));
		if (shared_journal_decode(reply, k & 1 ? "sc-1" : NULL, k & 2 ? 1 : 0, &v, &alloc, &last, &scanned,
					  &after) >= 0)
			journal_json_parses(&v);
		journal_view_release(&v);
		shared_rate_decode(reply, &remaining, &reset);
		freeReplyObject(reply);
	}
	redisReaderFree(rd);
}

static void entry(const uint8_t *data, size_t size)
{
	struct journal_entry *e = journal_entry_decode((const char *)data, size, 7), *e2;
	struct journal_view v = { 0 };
	size_t len, len2;
	char *a, *b;

	if (!e)
		return;
	a = journal_entry_encode(e, &len);
	FUZZ_ASSERT(a, "a decoded entry does not encode");
	e2 = journal_entry_decode(a, len, 7);
	FUZZ_ASSERT(e2, "an encoded entry does not decode: %.*s", (int)(len < 200 ? len : 200), a);
	b = journal_entry_encode(e2, &len2);
	FUZZ_ASSERT(b && len2 == len && !memcmp(a, b, len), "encode, decode, encode changed the entry");
	free(a);
	free(b);
	journal_entry_unref(e2);
	v.e = malloc(sizeof(*v.e));
	FUZZ_ASSERT(v.e, "out of memory");
	v.e[0] = e;
	v.n = 1;
	journal_json_parses(&v);
	journal_view_release(&v);
}

/* A store's error text as errata repeats it: the first byte sets a password
 * of letters and digits made from the next bytes; the rest is the text. */
static void words(const uint8_t *data, size_t size)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	char pw[16], out[STORE_WORDS], *text;
	size_t k = size ? (size_t)(data[0] % 16) : 0, i, n;

	if (size < 1 + k)
		return;
	for (i = 0; i < k; i++)
		pw[i] = alnum[data[1 + i] % 36];
	pw[k] = '\0';
	if (!(text = fuzz_string(data + 1 + k, size - 1 - k)))
		return;
	store_words(pw, text, out);
	n = strlen(out);
	FUZZ_ASSERT(n < STORE_WORDS, "%zu bytes of a store's words", n);
	for (i = 0; i < n; i++)
		FUZZ_ASSERT((unsigned char)out[i] >= 0x20 && out[i] != 0x7f, "a control byte in a store's words");
	FUZZ_ASSERT(!utf8_valid(text, strlen(text)) || utf8_valid(out, n), "UTF-8 text cut inside a character: %s",
		    out);
	FUZZ_ASSERT(k < 4 || strstr("[password]", pw) || !strstr(out, pw), "the password '%s' is in '%s'", pw, out);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idem_reply out;
	enum idem_state state;
	struct store_url u;
	char why[300], *s;

	replies(data, size);
	entry(data, size);
	words(data, size);
	if (!shared_idem_decode((const char *)data, size, 0x1234, &out, &state) && state == IDEM_REPLAY)
		FUZZ_ASSERT(out.status >= 100 && out.status <= 999 && out.nr_headers <= IDEM_MAX_HEADERS,
			    "a replay with status %d and %u headers", out.status, out.nr_headers);
	idem_reply_release(&out);
	if ((s = fuzz_string(data, size))) {
		if (!store_parse_url(s, &u, why, sizeof(why)))
			FUZZ_ASSERT(u.host[0] && u.port >= 1 && u.port <= 65535, "a URL with host '%s' port %d", u.host,
				    u.port);
		free(s);
	}
	return 0;
}
