/*
 * The route stage: where a contract lists every operation of its API
 * ("operations_complete", as an imported OpenAPI description does), a
 * method and path that no operation has get the API's own 404 (or 405
 * where the path is an operation's under another method), in its
 * envelope, with a header saying what was asked and the nearest
 * operation: an SDK's test of an unknown path expects exactly that.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define ROUTE_HEADER "X-Errata-Route"

/* The contract's entry for the status: a not-found role first for 404. */
static const struct contract_code *code_for(const struct contract *c, int status)
{
	const struct contract_code *any = NULL;
	size_t i;

	for (i = 0; i < c->nr_codes; i++) {
		const struct contract_code *cc = &c->codes[i];

		if (cc->status != status)
			continue;
		if (status != 404 || cc->role == ROLE_NOT_FOUND)
			return cc;
		if (!any)
			any = cc;
	}
	return any;
}

/* "GET /v1/x is no operation of openai; nearest: GET /v1/x/{id}". */
static void diagnose(const struct contract *c, const char *method, const char *path, int other,
		     char *out, size_t size)
{
	json_t *near = contract_nearest(c, path);

	if (other)
		snprintf(out, size, "%.200s is an operation of %s under other methods, not %.16s", path, c->id, method);
	else if (near)
		snprintf(out, size, "%.16s %.200s is no operation of %s; nearest: %s %.200s", method, path, c->id,
			 json_string_value(json_object_get(near, "method")),
			 json_string_value(json_object_get(near, "path")));
	else
		snprintf(out, size, "%.16s %.200s is no operation of %s", method, path, c->id);
	for (; *out; out++) /* it quotes the request: a header value has no control bytes */
		if ((unsigned char)*out < 0x20 || (unsigned char)*out >= 0x7f)
			*out = '?';
}

/* The methods the path has, for a 405's Allow. */
static void allowed(const struct contract *c, const char *path, char *out, size_t size)
{
	static const char *const methods[] = { "GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", NULL };
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; methods[i]; i++)
		if (contract_route(c, methods[i], path, NULL) && n + strlen(methods[i]) + 3 < size)
			n += (size_t)snprintf(out + n, size - n, "%s%s", n ? ", " : "", methods[i]);
}

/* The API documents no entry for the status: an RFC 9457 problem of ours. */
static int problem(struct reply *rp, int status, const char *why)
{
	json_t *pb = json_pack("{ss ss si ss}", "type", status == 405 ? "/__errata/problems/method-not-allowed" :
			       "/__errata/problems/no-operation", "title", status == 405 ? "Method not allowed" :
			       "No such operation", "status", status, "detail", why);

	reply_init(rp);
	rp->status = status;
	rp->owned = pb ? json_dumps(pb, JSON_COMPACT) : NULL;
	json_decref(pb);
	if (!rp->owned)
		return -1;
	rp->body = rp->owned;
	rp->len = strlen(rp->owned);
	reply_header(rp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/problem+json");
	return 0;
}

int stage_route(struct pass *p)
{
	const struct contract *c = p->mt->c;
	const struct contract_code *cc;
	char path[2049], why[600], allow[64];
	struct reply rp;
	size_t n = strcspn(p->below, "?#");
	int other, status;

	if (!c->ops_complete || p->rq->op)
		return GO_ON;
	/* no template is longer than 2048 bytes: a longer path is no operation's */
	memcpy(path, p->below, n < sizeof(path) ? n : sizeof(path) - 1);
	path[n < sizeof(path) ? n : sizeof(path) - 1] = '\0';
	if (!n)
		strcpy(path, "/");
	other = 0;
	if (n < sizeof(path) && contract_route(c, p->method, path, &other))
		return GO_ON;
	if (p->dry)
		return DECIDED;
	status = other ? 405 : 404;
	diagnose(c, p->method, path, other, why, sizeof(why));
	if (other)
		allowed(c, path, allow, sizeof(allow));
	if ((cc = code_for(c, status))) {
		build_code(p->m, p->mt, cc, -1, 0, p->rq, &rp);
	} else if (problem(&rp, status, why)) {
		p->ret = MHD_NO; /* out of memory: no reply, the connection closes */
		return DECIDED;
	}
	reply_header(&rp, ROUTE_HEADER, why);
	if (other)
		reply_header(&rp, "Allow", allow);
	p->ret = send_reply(p->conn, &rp, 0);
	decide(p->m, p->rq, p->mt, cc, rp.status, NULL);
	reply_release(&rp);
	return DECIDED;
}
