/*
 * The rules across a contract's entries, checked once every code is loaded:
 * no code or name twice, retry safety that agrees with the retried
 * statuses, refusal codes that exist, and (format 2) no two entries that a
 * body cannot tell apart. Duplicates are found by sorting, not pairwise.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "contract_ext.h"

/* A code or a name, for finding duplicates by sorting. */
struct label {
	const char *s;
	size_t index;
	int is_name;
};

static int label_cmp(const void *a, const void *b)
{
	const struct label *x = a, *y = b;
	int d = strcmp(x->s, y->s);

	return d ? d : x->index < y->index ? -1 : x->index > y->index;
}

/* The first duplicate among codes and names, in document order: sorting
 * makes this O(n log n) (a pairwise scan took 5 s at 40,000 codes). */
static int check_duplicates(struct jload *ld, struct contract *c)
{
	struct label *v = malloc((2 * c->nr_codes + 1) * sizeof(*v));
	size_t n = 0, i, at = SIZE_MAX, first = 0;
	int at_name = 0;

	if (!v)
		return jload_fail(ld, 0, "out of memory");
	for (i = 0; i < c->nr_codes; i++) {
		v[n++] = (struct label){ c->codes[i].code, i, 0 };
		if (c->codes[i].name)
			v[n++] = (struct label){ c->codes[i].name, i, 1 };
	}
	qsort(v, n, sizeof(*v), label_cmp);
	/* in each run of equal labels, the second entry is the duplicate */
	for (i = 0; i < n; i++) {
		size_t j = i;

		while (j + 1 < n && !strcmp(v[j + 1].s, v[i].s) && v[j + 1].index == v[i].index)
			j++; /* a code equal to its own name is no duplicate */
		if (j + 1 < n && !strcmp(v[j + 1].s, v[i].s) &&
		    (v[j + 1].index < at || (v[j + 1].index == at && !v[j + 1].is_name && at_name))) {
			at = v[j + 1].index;
			at_name = v[j + 1].is_name;
			first = v[i].index;
		}
		while (i + 1 < n && !strcmp(v[i + 1].s, v[i].s))
			i++;
	}
	free(v);
	if (at == SIZE_MAX)
		return 0;
	jpath_key(&ld->path, "codes");
	jpath_index(&ld->path, at);
	jpath_key(&ld->path, at_name ? "name" : "code");
	return jload_fail(ld, 0, "duplicate %s '%s' (first at codes[%zu])", at_name ? "name" : "code",
			  at_name ? c->codes[at].name : c->codes[at].code, first);
}

/* Cross-entry rules, checked once every code is loaded. */
int contract_check_codes(struct jload *ld, struct contract *c)
{
	size_t i, j;

	if (check_duplicates(ld, c))
		return -1;
	for (i = 0; i < c->nr_codes; i++) {
		const struct contract_code *a = &c->codes[i];
		int retried = contract_has_status(c->retry_statuses, c->nr_retry_statuses, a->status);

		jpath_key(&ld->path, "codes");
		jpath_index(&ld->path, i);
		/* an error in a 2xx (GraphQL's rate limit) is retried by its code:
		 * no client retries a status of 200 */
		if (c->retry_basis_code && a->retryable && !retried && a->status >= 300) {
			jpath_key(&ld->path, "retryable");
			return jload_fail(ld, 0, "code '%s' is retryable but its status %d is not in policy.retry.statuses",
				    a->code, a->status);
		}
		if (!c->retry_basis_code && a->retryable != retried) {
			jpath_key(&ld->path, "retryable");
			return jload_fail(ld, 0, "code '%s' has retryable: %s, but policy.retry.basis is \"status\" and %d is %s",
				    a->code, a->retryable ? "true" : "false", a->status,
				    retried ? "retried" : "not retried");
		}
		jpath_pop(&ld->path);
		jpath_pop(&ld->path);
	}
	for (i = 0; i < c->nr_retry_statuses; i++) {
		for (j = 0; j < c->nr_codes; j++)
			if (c->codes[j].status == c->retry_statuses[i] && c->codes[j].retryable)
				break;
		if (j == c->nr_codes) {
			jpath_key(&ld->path, "policy");
			jpath_key(&ld->path, "retry");
			jpath_key(&ld->path, "statuses");
			jpath_index(&ld->path, i);
			return jload_fail(ld, 0, "status %d is retried but no retryable code has it",
				    c->retry_statuses[i]);
		}
	}
	if (c->idempotency_conflict && !contract_find(c, c->idempotency_conflict)) {
		jpath_key(&ld->path, "policy");
		jpath_key(&ld->path, "idempotency");
		jpath_key(&ld->path, "conflict_code");
		return jload_fail(ld, 0, "conflict_code '%s' is not a code of this contract",
			    c->idempotency_conflict);
	}
	if (c->idempotency_missing && !contract_find(c, c->idempotency_missing)) {
		jpath_key(&ld->path, "policy");
		jpath_key(&ld->path, "idempotency");
		jpath_key(&ld->path, "missing_code");
		return jload_fail(ld, 0, "missing_code '%s' is not a code of this contract",
			    c->idempotency_missing);
	}
	return 0;
}

/* An entry as a body tells it: status, the code's JSON and the type. */
struct identity {
	char *key;
	size_t index;
};

static int identity_cmp(const void *a, const void *b)
{
	const struct identity *x = a, *y = b;
	int d = strcmp(x->key, y->key);

	return d ? d : x->index < y->index ? -1 : x->index > y->index;
}

/* Two entries whose bodies and statuses would be the same cannot be told
 * apart by a client or by errata check: found by sorting, as duplicates are. */
int contract_check_identities(struct jload *ld, struct contract *c)
{
	struct identity *v = calloc(c->nr_codes + 1, sizeof(*v));
	size_t i, n = 0, at = SIZE_MAX, first = 0;

	if (!v)
		return jload_fail(ld, 0, "out of memory");
	for (i = 0; i < c->nr_codes; i++) {
		const struct contract_code *cc = &c->codes[i];
		char *code;

		if (cc->status_only || (c->has_code && !cc->body_code && !c->has_type))
			continue; /* distinct codes: check_duplicates has seen them */
		/* the code as the body carries it: a string as itself, else its JSON */
		code = cc->body_code && !json_is_string(cc->body_code) ?
		       json_dumps(cc->body_code, JSON_ENCODE_ANY) : NULL;
		if (asprintf(&v[n].key, "%d\x1f%s%s\x1f%s", cc->status, code ? "j" : "s",
			     !c->has_code ? (c->has_message ? cc->message : "") : code ? code :
			     cc->body_code ? json_string_value(cc->body_code) : cc->code,
			     cc->type ? cc->type : "") < 0)
			v[n].key = NULL;
		free(code);
		if (!v[n].key)
			break;
		v[n++].index = i;
	}
	qsort(v, n, sizeof(*v), identity_cmp);
	for (i = 0; i + 1 < n; i++)
		if (!strcmp(v[i].key, v[i + 1].key) && v[i + 1].index < at) {
			at = v[i + 1].index;
			first = v[i].index;
		}
	for (i = 0; i < n; i++)
		free(v[i].key);
	free(v);
	if (at == SIZE_MAX)
		return 0;
	jpath_key(&ld->path, "codes");
	jpath_index(&ld->path, at);
	jpath_key(&ld->path, "code");
	return jload_fail(ld, 0, "code '%s' cannot be told apart from '%s' (codes[%zu]): the same status, %s",
			  c->codes[at].code, c->codes[first].code, first,
			  !c->has_code ? (c->has_message ? "and message (the body carries no code)" :
					  "and nothing else (the body carries neither code nor message)") :
			  c->has_type ? "body code and type" : "and body code");
}
