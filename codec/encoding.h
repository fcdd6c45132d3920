#ifndef ERRATA_ENCODING_H
#define ERRATA_ENCODING_H
/*
 * Content-Encoding, undone for the judge: errata proxy reads an upstream's
 * gzip, deflate (zlib-wrapped or raw, as servers send both) and br error
 * bodies before judging them. zlib and Debian's libbrotli do the work;
 * the output is bounded, so a small body that inflates without end (a
 * decompression bomb) is refused, not followed.
 */
#include <stddef.h>

enum decoded {
	DECODED = 0,
	DECODE_UNKNOWN,              /* an encoding errata does not read (zstd, compress) */
	DECODE_BROKEN,               /* not a valid stream of that encoding */
	DECODE_TOO_LARGE             /* more than `max` bytes once decoded */
};

/* 1 when `encoding` is absent or identity: nothing to undo. */
int encoding_is_identity(const char *encoding);

/* Decode `in` by `encoding` (one coding, case-insensitive) into *out (to
 * free(), NUL-terminated) of *out_len bytes, at most `max`. */
enum decoded encoding_decode(const char *encoding, const char *in, size_t len, size_t max, char **out,
			     size_t *out_len);

#endif
