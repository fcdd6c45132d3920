#ifndef ERRATA_FUZZ_H
#define ERRATA_FUZZ_H
/*
 * Shared by the fuzz targets (libFuzzer with clang, `make fuzz`; or the
 * file driver driver.c with the ordinary compiler, in `make test`).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model/contract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The bundled contracts, loaded once from $ERRATA_CONTRACTS or contracts/. */
struct contract **fuzz_contracts(size_t *n);

/* A NUL-terminated copy of the input, to free(). */
char *fuzz_string(const uint8_t *data, size_t size);

/* A property that must hold: abort (a crash the fuzzer reports) if not. */
#define FUZZ_ASSERT(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz: property failed at %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		abort(); \
	} \
} while (0)

#endif
