/*
 * What the fuzz targets share: the bundled contracts, loaded once.
 */
#include "fuzz.h"

static const char *const ids[] = {
	"breezeblue", "breezeblue-v1", "segmenter", "genapi", "studio", "ledger",
	"tests/data/registry.json", /* an array of errors */
	"oci-registry",             /* every error of the array read, free 4XX bodies, headers */
	"s3",                       /* XML */
	"github-graphql",           /* errors in a 200 */
};

struct contract **fuzz_contracts(size_t *n)
{
	static struct contract *loaded[sizeof(ids) / sizeof(ids[0])];
	static size_t nr;
	size_t i;

	if (!nr) {
		setenv("ERRATA_CONTRACTS", "contracts", 0);  /* run from the project root */
		for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
			struct load_error err;
			struct contract *c = contract_open(ids[i], &err);

			if (!c) {
				fprintf(stderr, "fuzz: cannot load contract '%s': %s (run from the project root)\n",
					ids[i], err.text);
				exit(2);
			}
			loaded[nr++] = c;
		}
	}
	*n = nr;
	return loaded;
}

char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}
