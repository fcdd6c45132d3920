/*
 * What errata proxy and the chaos judge undo or normalise in a hostile
 * body: Content-Encoding (codec/encoding.c) and the body a retry is
 * compared by (mock/chaos.c). The first byte picks the encoding or the
 * media type. A decoded body is never over the bound and always ends in a
 * NUL; a refusal has no output; the same body always hashes the same.
 */
#include "fuzz.h"
#include "../codec/encoding.h"
#include "../mock/chaos.h"

#define BOUND 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const enc[] = { "gzip", "deflate", "br", "x-gzip", "zstd" };
	static const char *const types[] = { "application/json", "multipart/form-data; boundary=xyz",
					     "multipart/form-data; boundary=\"\"", "application/problem+json",
					     "text/plain", "multipart/form-data; boundary=" };
	const char *in = (const char *)data + 1;
	size_t len = size ? size - 1 : 0, out_len;
	enum decoded d;
	char *out;

	if (!size)
		return 0;
	d = encoding_decode(enc[data[0] % 5], in, len, BOUND, &out, &out_len);
	FUZZ_ASSERT(d == DECODED ? out && out_len <= BOUND && out[out_len] == '\0' : !out && !out_len,
		    "decode %d gave %zu bytes", (int)d, out_len);
	free(out);
	FUZZ_ASSERT(chaos_body_hash(types[data[0] % 6], in, len) == chaos_body_hash(types[data[0] % 6], in, len),
		    "one body, two hashes");
	return 0;
}
