/*
 * The journal with arbitrary requests: the input is split on NUL bytes into
 * method, path, contract, code, Idempotency-Key, scenario, fault and then
 * header and query name/value pairs (the first byte says how many of the
 * pairs are query), any lengths up to the fuzzer's 64 KiB and any bytes.
 * Properties: an entry is always written and dumped as valid JSON; what was
 * not cut comes back exactly (escaped when it is not UTF-8); what was cut
 * is a prefix of what was sent, and the entry says so; read in pieces of
 * 1 to 4096 bytes, the text is the same.
 */
#include "fuzz.h"
#include "../mock/journal.h"
#include "../model/utf8.h"

#define MAX_STRINGS (JOURNAL_FIXED + 2 * 100)

/* Is the dumped `got` the escaped form of `sent`, or of a prefix of it? */
static int same_or_prefix(const char *got, const char *sent, int *whole)
{
	char *want = utf8_escape(sent, strlen(sent), NULL);
	size_t n = strlen(got);
	int ok = want && !strncmp(want, got, n);

	*whole = want && !strcmp(want, got);
	free(want);
	/* a cut prefix is escaped on its own: when it is UTF-8 it is kept as is */
	return ok || !strncmp(sent, got, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *p, *end, *str[MAX_STRINGS];
	const char *pairs[2 * 100];
	struct journal_record r = { 0 };
	struct journal j;
	unsigned n = 0, nq, i, nr_pairs;
	json_t *dump, *e;
	char *text;

	if (size < 1)
		return 0;
	nq = data[0];
	s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	for (p = s, end = s + size - 1; n < MAX_STRINGS; n++) {
		str[n] = p;
		p += strlen(p);
		if (p >= end)
			break;
		p++;
	}
	n = n < MAX_STRINGS ? n + 1 : MAX_STRINGS;
	while (n < JOURNAL_FIXED)
		str[n++] = "";
	nr_pairs = (n - JOURNAL_FIXED) / 2;
	for (i = 0; i < 2 * nr_pairs; i++)
		pairs[i] = str[JOURNAL_FIXED + i];
	nq = nr_pairs ? nq % (nr_pairs + 1) : 0;
	r.method = str[0];
	r.path = str[1];
	r.contract = str[2];
	r.code = str[3];
	r.idempotency_key = str[4];
	r.scenario = str[5];
	r.fault = str[6];
	r.upstream = str[9];
	r.conformance = str[10];
	r.step = -1;
	r.headers = pairs;
	r.nr_headers = nr_pairs - nq;
	r.query = pairs + 2 * r.nr_headers;
	r.nr_query = nq;
	journal_init(&j, 2);
	journal_append(&j, &r);
	journal_append(&j, &r);
	journal_append(&j, &r);
	dump = journal_dump(&j, 0, 0, NULL);
	text = json_dumps(dump, JSON_COMPACT);
	FUZZ_ASSERT(text != NULL, "the dump is not JSON");
	FUZZ_ASSERT(json_array_size(json_object_get(dump, "entries")) == 2, "the ring lost an entry");
	e = json_array_get(json_object_get(dump, "entries"), 1);
	{
		static const char *const fixed[] = { "method", "path", "contract", "code",
						     "idempotency_key", "scenario", "fault" };
		int truncated = json_is_true(json_object_get(e, "truncated")), whole;
		const char *sent[] = { r.method, r.path, r.contract, r.code, r.idempotency_key,
				       r.scenario, r.fault };

		for (i = 0; i < 7; i++) {
			json_t *v = json_object_get(e, fixed[i]);
			const char *got = json_is_string(v) ? json_string_value(v) : "";

			FUZZ_ASSERT(v != NULL, "member %s is missing", fixed[i]);
			FUZZ_ASSERT(same_or_prefix(got, sent[i], &whole), "%s is not what was sent", fixed[i]);
			FUZZ_ASSERT(whole || truncated, "%s was cut without a mark", fixed[i]);
		}
		FUZZ_ASSERT(json_array_size(json_object_get(e, "headers")) == r.nr_headers || truncated,
			    "headers were dropped without a mark");
	}
	{
		/* the text read in pieces of 1 to 4096 bytes is the text of the dump */
		struct journal_view v;
		size_t piece = (size_t)data[0] * 37 % 4096 + 1, len = 0, cap = 0;
		char *whole = NULL, *grown;
		json_t *again;
		long got;

		FUZZ_ASSERT(!journal_view(&j, 0, 0, NULL, &v), "no view");
		do {
			if (cap - len < piece) {
				cap = 2 * cap + piece;
				grown = realloc(whole, cap);
				FUZZ_ASSERT(grown != NULL, "out of memory");
				whole = grown;
			}
			got = journal_view_read(&v, whole + len, piece);
			len += got > 0 ? (size_t)got : 0;
		} while (got > 0);
		journal_view_release(&v);
		again = json_loadb(whole, len, 0, NULL);
		FUZZ_ASSERT(again && json_equal(again, dump), "read in pieces of %zu, the text differs", piece);
		json_decref(again);
		free(whole);
	}
	free(text);
	json_decref(dump);
	journal_release(&j);
	free(s);
	return 0;
}
