/*
 * The Idempotency-Key stage of the request path: whether the contract's
 * policy applies, and what a key decides (a replay, a conflict, a key in
 * flight), with the store (idem.c) consulted once per request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "shared.h"

int applies_idempotency(const struct contract *c, const char *method)
{
	json_t *methods = json_object_get(json_object_get(json_object_get(c->root, "policy"),
							  "idempotency"), "methods"), *v;
	size_t i;

	if (!c->idempotency_header)
		return 0;
	json_array_foreach(methods, i, v)
		if (!strcasecmp(json_string_value(v), method))
			return 1;
	return 0;
}

/* A replay of a stored response. */
static enum MHD_Result replay(struct mock *m, struct MHD_Connection *conn, const struct mount *mt,
			      const struct scenario *sc, struct request *rq, struct idem_reply *stored)
{
	struct reply rp;
	struct served sv = { sc ? sc->id : NULL, NULL, -1, 1, 0, NULL, NULL, 0, NULL, NULL, NULL };
	const struct contract_code *seen = NULL;
	enum MHD_Result ret;
	unsigned i;

	reply_init(&rp);
	rp.status = stored->status;
	for (i = 0; i < stored->nr_headers; i++)
		reply_header(&rp, stored->names[i], stored->values[i]);
	rp.body = stored->body;
	rp.len = stored->body_len;
	sv.retry_after = reply_value(&rp, MHD_HTTP_HEADER_RETRY_AFTER);
	ret = send_reply(conn, &rp, 1);
	for (i = 0; i < mt->c->nr_codes && !seen; i++)
		if (mt->codes[i].len == stored->body_len &&
		    !memcmp(mt->codes[i].body, stored->body, stored->body_len))
			seen = mt->codes[i].cc;
	decide(m, rq, mt, seen, stored->status, &sv);
	idem_reply_release(stored);
	return ret;
}

void mock_idem_finish(struct mock *m, struct request *rq, const struct idem_reply *ir)
{
	char why[400];

	if (!m->shared) {
		idem_finish(&m->idem, rq->idem_key, ir);
	} else if (shared_idem_finish(m->shared, rq->idem_key, rq->idem_fp, rq->idem_ttl_ms, ir, why, sizeof(why))) {
		fprintf(stderr, "errata: a response for an Idempotency-Key was not stored: %s\n", why);
		shared_idem_abort(m->shared, rq->idem_key, rq->idem_fp);
	}
}

void mock_idem_abort(struct mock *m, struct request *rq)
{
	if (m->shared)
		shared_idem_abort(m->shared, rq->idem_key, rq->idem_fp);
	else
		idem_abort(&m->idem, rq->idem_key);
}

/*
 * The Idempotency-Key stage: 0 to go on serving (a new key, now in flight
 * and owned by the request), or 1 with *ret when the key decided the
 * response (a replay, a conflict, a key in flight, out of memory). The key
 * is compared whole, scoped by contract; one idem_begin() decides.
 */
int idempotency_stage(struct mock *m, struct MHD_Connection *conn, const char *method,
		       const char *url, const struct mount *mt, const struct scenario *sc,
		       const char *key, struct request *rq, enum MHD_Result *ret)
{
	struct idem_reply stored;
	enum idem_state state;
	char why[400];
	const struct contract_code *conflict;
	uint64_t fp = journal_hash(JOURNAL_HASH_INIT, method, strlen(method) + 1);
	uint64_t body = rq->body_hash;
	char *scoped = malloc(mt->id_len + strlen(key) + 2);

	fp = journal_hash(fp, url, strlen(url) + 1);
	fp = journal_hash(fp, &body, sizeof(body));
	if (!scoped) {
		*ret = MHD_NO;
		return 1;
	}
	sprintf(scoped, "%s\n%s", mt->c->id, key);
	rq->idem_fp = fp;
	rq->idem_ttl_ms = (long long)mt->c->idempotency_ttl * 1000;
	if (m->shared) {
		if (shared_idem_begin(m->shared, scoped, fp, rq->idem_ttl_ms, &stored, &state, why, sizeof(why))) {
			free(scoped);
			*ret = replicas_unavailable(m, conn, rq, mt, why);
			return 1;
		}
	} else {
		state = idem_begin(&m->idem, scoped, fp, mock_now_us(m), rq->idem_ttl_ms * 1000, &stored);
	}
	switch (state) {
	case IDEM_NEW:
		rq->idem_key = scoped;
		return 0;
	case IDEM_REPLAY:
		free(scoped);
		*ret = replay(m, conn, mt, sc, rq, &stored);
		return 1;
	case IDEM_IN_FLIGHT:
		free(scoped);
		conflict = mt->c->idempotency_conflict ? contract_find(mt->c, mt->c->idempotency_conflict) : NULL;
		if (conflict && conflict->status == 409) {
			*ret = serve_code(m, conn, mt, conflict, -1, 0, rq);
			return 1;
		}
		*ret = refuse(m, conn, rq, mt, MHD_HTTP_CONFLICT, "idempotency-key-in-use", "Idempotency-Key in use",
			      NULL, "a request with this key is still being processed");
		return 1;
	case IDEM_CONFLICT:
		break;
	}
	free(scoped);
	conflict = mt->c->idempotency_conflict ? contract_find(mt->c, mt->c->idempotency_conflict) : NULL;
	if (conflict) {
		*ret = serve_code(m, conn, mt, conflict, -1, 0, rq);
		return 1;
	}
	*ret = refuse(m, conn, rq, mt, 422, "idempotency-key-reused", "Idempotency-Key reused", NULL,
		      "this key was used with a different request");
	return 1;
}

