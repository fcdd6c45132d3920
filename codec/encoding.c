/*
 * Content-Encoding, undone (encoding.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <brotli/decode.h>
#include <zlib.h>

#include "encoding.h"

int encoding_is_identity(const char *e)
{
	return !e || !*e || !strcasecmp(e, "identity");
}

/* windowBits: 15 + 32 reads gzip or zlib by their header, -15 raw deflate. */
static enum decoded inflate_all(const char *in, size_t len, size_t max, int bits, char *out, size_t *out_len)
{
	z_stream z;
	int rc;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, bits) != Z_OK)
		return DECODE_BROKEN;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)(max + 1); /* one byte over: a body that fills it is too large */
	rc = inflate(&z, Z_FINISH);
	*out_len = z.total_out;
	inflateEnd(&z);
	if (*out_len > max)
		return DECODE_TOO_LARGE;
	return rc == Z_STREAM_END ? DECODED : DECODE_BROKEN;
}

static enum decoded brotli_all(const char *in, size_t len, size_t max, char *out, size_t *out_len)
{
	BrotliDecoderState *s = BrotliDecoderCreateInstance(NULL, NULL, NULL);
	const uint8_t *next_in = (const uint8_t *)in;
	uint8_t *next_out = (uint8_t *)out;
	size_t avail_in = len, avail_out = max + 1;
	BrotliDecoderResult r;

	if (!s)
		return DECODE_BROKEN;
	r = BrotliDecoderDecompressStream(s, &avail_in, &next_in, &avail_out, &next_out, NULL);
	BrotliDecoderDestroyInstance(s);
	*out_len = max + 1 - avail_out;
	if (*out_len > max || r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT)
		return DECODE_TOO_LARGE;
	return r == BROTLI_DECODER_RESULT_SUCCESS ? DECODED : DECODE_BROKEN;
}

enum decoded encoding_decode(const char *e, const char *in, size_t len, size_t max, char **out, size_t *out_len)
{
	enum decoded d;
	char *buf;

	*out = NULL;
	*out_len = 0;
	if (strcasecmp(e, "gzip") && strcasecmp(e, "x-gzip") && strcasecmp(e, "deflate") && strcasecmp(e, "br"))
		return DECODE_UNKNOWN;
	if (len > (size_t)UINT32_MAX || max > (size_t)UINT32_MAX - 2 || !(buf = malloc(max + 2)))
		return DECODE_TOO_LARGE;
	if (!strcasecmp(e, "br"))
		d = brotli_all(in, len, max, buf, out_len);
	else if ((d = inflate_all(in, len, max, 15 + 32, buf, out_len)) == DECODE_BROKEN && !strcasecmp(e, "deflate"))
		d = inflate_all(in, len, max, -15, buf, out_len); /* deflate as many servers send it: raw */
	if (d != DECODED) {
		free(buf);
		*out_len = 0;
		return d;
	}
	buf[*out_len] = '\0';
	*out = buf;
	return DECODED;
}
