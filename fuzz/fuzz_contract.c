/*
 * The contract loader on arbitrary bytes: an error or a contract, never a
 * crash; and for every contract it accepts, each code's rendered error
 * matches the contract with no failure (the mock and the harness agree).
 */
#include "fuzz.h"
#include "../model/envelope.h"
#include "../model/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct load_error err;
	struct contract *c = contract_load_buffer((const char *)data, size, "fuzz", &err);
	size_t i;

	if (!c) {
		FUZZ_ASSERT(err.text[0], "a refused contract without a reason");
		return 0;
	}
	for (i = 0; i < c->nr_codes && i < 64; i++) {
		const struct contract_code *cc = &c->codes[i];
		json_t *doc = envelope_render_id(c, cc, NULL, cc->status, "req-1");
		char *body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
		struct header h[4 + CONTRACT_MAX_FAMILIES * FAMILY_MAX_HEADERS] = { { "Content-Type", c->content_type } };
		struct response r = { cc->status, h, 1, body, body ? strlen(body) : 0, 0, NULL, NULL };
		struct match_result m;
		size_t f, k;

		json_decref(doc);
		/* the vendor headers as the mock renders them, the limit exhausted */
		for (f = 0; f < c->nr_families; f++)
			for (k = 0; k < c->families[f].nr; k++) {
				static const char *const v[LF__COUNT] = { "5", "0", "5", "60", "60",
									  "1970-01-01T00:01:00Z", NULL };
				int field = c->families[f].h[k].field;

				h[r.nr_headers].name = c->families[f].h[k].header;
				h[r.nr_headers++].value = field == LF_RESOURCE ? c->families[f].resource : v[field];
			}

		if (c->request_id_header) {
			h[r.nr_headers].name = c->request_id_header;
			h[r.nr_headers++].value = "req-1";
		}
		if (cc->retry_after) {
			h[r.nr_headers].name = "Retry-After";
			h[r.nr_headers++].value = "1";
		}
		if (cc->retry_after && c->retry_after_ms_header) {
			h[r.nr_headers].name = c->retry_after_ms_header;
			h[r.nr_headers++].value = "1000";
		}
		match_result_init(&m);
		contract_match(c, &r, 0, &m);
		FUZZ_ASSERT(m.failures == 0, "%s: its own rendering %s fails: %s", cc->code, body ? body : "(none)",
			    m.nr ? m.v[0].text : "?");
		match_result_release(&m);
		free(body);
	}
	contract_free(c);
	return 0;
}
