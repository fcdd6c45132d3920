/*
 * The journal redacts when it writes, not when it is read: after appending
 * requests that carry secrets in headers and the query, the bytes stored in
 * the ring hold none of them. Also its bounds: entries and bytes per entry.
 */
#include "test.h"
#include "../../mock/journal.h"

/* Is `needle` anywhere in the stored bytes of the ring? */
static int stored(const struct journal *j, const char *needle)
{
	size_t i, n = strlen(needle);

	for (i = 0; i < j->capacity; i++) {
		const struct journal_entry *e = j->ring[i].e;
		const char *p;
		size_t len;

		if (!e)
			continue;
		/* the blob is NUL-separated: walk its fields */
		for (p = e->blob, len = 0; len < JOURNAL_FIXED + 2u * (e->nr_headers + e->nr_query); len++) {
			if (memmem(p, strlen(p), needle, n))
				return 1;
			p += strlen(p) + 1;
		}
	}
	return 0;
}

int main(void)
{
	static const char *const secrets[] = {
		"sk_live_4eC39HqLyjWDarjtT1zdp7dc", "ghp_abcdefghijklmnop", "cookie-session-xyz",
		"query-token-123", "hunter2-password"
	};
	const char *headers[] = {
		"Authorization", "Bearer sk_live_4eC39HqLyjWDarjtT1zdp7dc",
		"X-Api-Key", "ghp_abcdefghijklmnop",
		"Cookie", "sid=cookie-session-xyz",
		"X-Client-Password", "hunter2-password",
		"Idempotency-Key", "idem-1",
		"Accept", "application/json",
	};
	const char *query[] = { "access_token", "query-token-123", "page", "2" };
	struct journal_record r = { 0 };
	struct journal j;
	struct tap t;
	json_t *dump;
	char *text;
	size_t i, found = 0;

	tap_init(&t, stdout, TAP_VERSION_TESTS);
	journal_init(&j, 8);
	r.method = "POST";
	r.path = "/breezeblue/v1/generations";
	r.contract = "breezeblue";
	r.idempotency_key = "idem-1";
	r.step = -1;
	r.headers = headers;
	r.nr_headers = 6;
	r.query = query;
	r.nr_query = 2;
	r.status = 201;
	for (i = 0; i < 20; i++)
		journal_append(&j, &r);
	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		found += stored(&j, secrets[i]);
	tap_ok(&t, found == 0, "no secret is in the bytes the ring stores (%zu of %zu found)", found,
	       sizeof(secrets) / sizeof(secrets[0]));
	tap_ok(&t, stored(&j, "idem-1") && stored(&j, "application/json") && stored(&j, "2"),
	       "what is no secret is stored as sent (Idempotency-Key, Accept, page)");
	tap_ok(&t, stored(&j, "[REDACTED]"), "secret values are stored as [REDACTED]");
	dump = journal_dump(&j, 0, 0, NULL);
	text = json_dumps(dump, 0);
	tap_ok(&t, json_array_size(json_object_get(dump, "entries")) == 8 && text && !strstr(text, "sk_live"),
	       "20 appended to a journal of 8: the last 8 are kept, none with a secret");
	free(text);
	json_decref(dump);
	journal_release(&j);

	{
		/* the request that overflowed the blob: a 4 KB key, one header of a
		 * 127-byte name and an 8 KB value (and a 12 KB key alone) */
		static char key[12289], name[128], value[8193];
		const char *big[] = { "Idempotency-Key", key, name, value };
		json_t *e;

		memset(key, 'k', 4096);
		memset(name, 'n', 127);
		memset(value, 'v', 8192);
		journal_init(&j, 4);
		r.idempotency_key = key;
		r.headers = big;
		r.nr_headers = 2;
		r.nr_query = 0;
		journal_append(&j, &r);
		memset(key, 'k', 12288);
		r.nr_headers = 1;
		journal_append(&j, &r);
		dump = journal_dump(&j, 0, 0, NULL);
		e = json_array_get(json_object_get(dump, "entries"), 0);
		tap_ok(&t, e && strlen(json_string_value(json_object_get(e, "idempotency_key"))) == JOURNAL_KEY_MAX &&
		       json_is_true(json_object_get(e, "truncated")) &&
		       json_array_size(json_object_get(e, "headers")) == 2 &&
		       strlen(json_string_value(json_array_get(json_array_get(json_object_get(e, "headers"), 1), 1))) == 8192,
		       "a 4 KB key and a header of 8 KB: the key member cut and marked, both headers whole");
		e = json_array_get(json_object_get(dump, "entries"), 1);
		tap_ok(&t, e && json_is_true(json_object_get(e, "truncated")) &&
		       strlen(json_string_value(json_object_get(e, "idempotency_key"))) == JOURNAL_KEY_MAX,
		       "a 12 KB key: cut to %d bytes and the entry marked truncated", JOURNAL_KEY_MAX);
		json_decref(dump);
		journal_release(&j);
	}
	return tap_done(&t) ? 1 : 0;
}
