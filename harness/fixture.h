#ifndef ERRATA_FIXTURE_H
#define ERRATA_FIXTURE_H
/*
 * Fixtures: cases that provoke a documented error from a live API, written
 * once per contract (format: fixtures/README.md).
 */
#include <stddef.h>
#include <jansson.h>

#include "../model/contract.h"
#include "../model/jload.h"

enum case_kind { CASE_PLAIN, CASE_IDEMPOTENCY, CASE_BURST, CASE_CODE };

struct fixture_case {
	char *name;
	char *source;                    /* "file:line" where it is defined */
	enum case_kind kind;
	char *method, *path;
	char **headers;                  /* "Name: value" lines (values may name ${VARS}) */
	size_t nr_headers;
	char *body;                      /* NULL: none */
	char *other_body;                /* CASE_IDEMPOTENCY: the second, different payload */
	long long count;                 /* CASE_BURST: requests sent */
	/* what the response must be */
	const struct contract_code *code;/* a documented code, or NULL */
	int role;                        /* a role, or -1 */
	int status;                      /* 0: as the contract says */
	int any_error;                   /* any documented error will do */
};

struct fixtures {
	struct fixture_case *v;
	size_t nr, alloc;
};

void fixtures_init(struct fixtures *f);
void fixtures_release(struct fixtures *f);

/*
 * Load the cases of a fixture file, or of every *.json in a folder, for
 * contract c. Returns 0, or -1 with *err set (compiler-style).
 */
int fixtures_load(struct fixtures *f, const char *path, const struct contract *c,
		  struct load_error *err);

/* The same from a buffer; `source` names it in errors. */
int fixtures_load_buffer(struct fixtures *f, const char *text, size_t len, const char *source,
			 const struct contract *c, struct load_error *err);

/* One case per documented code, to be asked for with X-Errata-Error. */
int fixtures_all_codes(struct fixtures *f, const struct contract *c);

/* The code a case expects, for the selector: its code, or its role's first. */
const struct contract_code *fixture_expected_code(const struct fixture_case *fc,
						  const struct contract *c);

#endif
