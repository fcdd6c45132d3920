/*
 * The verdict of each check on a judged response, and the one check loop
 * that hands them out (errata check and errata proxy judge through it).
 */
#include <string.h>

#include "envelope.h"
#include "match.h"

static int template_has(json_t *t, enum placeholder ph)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_string(t))
		return envelope_placeholder(json_string_value(t)) == ph;
	if (json_is_object(t)) {
		json_object_foreach(t, key, v)
			if (template_has(v, ph))
				return 1;
	} else if (json_is_array(t)) {
		json_array_foreach(t, i, v)
			if (template_has(v, ph))
				return 1;
	}
	return 0;
}

static int is_body_check(const char *check)
{
	static const char *const body_checks[] = {
		CHECK_ENVELOPE_JSON, CHECK_ENVELOPE_XML, CHECK_ENVELOPE_SHAPE, CHECK_ENVELOPE_STATUS,
		CHECK_CODE_DOCUMENTED, CHECK_MESSAGE_FIXED, CHECK_REQUEST_ID_BODY, CHECK_CONTENT_TYPE, NULL
	};
	size_t i;

	for (i = 0; body_checks[i]; i++)
		if (!strcmp(check, body_checks[i]))
			return 1;
	return 0;
}

static const char *not_parsed(const struct contract *c)
{
	return c->kind == &body_xml ? "the body is not XML" : "the body is not JSON";
}

/* A streamed error is judged on its event: the response's status and
 * headers are its stream's, not the error's. */
static const char *stream_skip(const struct match_result *m, const char *check)
{
	static const char *const event_checks[] = {
		CHECK_ENVELOPE_JSON, CHECK_ENVELOPE_SHAPE, CHECK_CODE_DOCUMENTED, CHECK_MESSAGE_FIXED,
		CHECK_STREAM_DOCUMENTED, NULL
	};
	size_t i;

	if (!m->streamed)
		return strcmp(check, CHECK_STREAM_DOCUMENTED) ? NULL : "not an error inside a stream";
	if (!m->code && !m->nr)
		return "a stream without an error event";
	if (!m->code && !strcmp(check, CHECK_STREAM_DOCUMENTED))
		return "no documented code in the error event";
	for (i = 0; event_checks[i]; i++)
		if (!strcmp(check, event_checks[i]))
			return NULL;
	return "an error inside a 200 stream: judged on its event";
}

enum verdict check_verdict(const struct contract *c, const struct response *r,
			   const struct match_result *m, const char *check,
			   const struct violation **vp, const char **why)
{
	const struct violation *v = match_find(m, check);
	const char *ra = response_header(r, "Retry-After");

	if (vp)
		*vp = v;
	if ((*why = stream_skip(m, check)))
		return VERDICT_SKIP;
	*why = match_rules_skip(c, m, check);
	if (*why)
		return VERDICT_SKIP;
	if ((r->head_only || m->body_rule) && is_body_check(check) &&
	    (m->body_rule || strcmp(check, CHECK_CONTENT_TYPE)))
		*why = r->head_only ? "a response to HEAD has no body" :
		       m->body_rule == BODY_NONE ? "the contract documents no body here" :
						   "the contract allows any body here";
	else if (!strcmp(check, CHECK_STATUS) && !m->code)
		*why = "no documented code to judge the status by";
	else if ((!strcmp(check, CHECK_ENVELOPE_SHAPE)) && !m->parsed)
		*why = not_parsed(c);
	else if (!strcmp(check, CHECK_ENVELOPE_STATUS) &&
		 (!m->parsed || (!template_has(c->error_envelope, PH_STATUS) &&
				 !template_has(c->error_envelope, PH_STATUS_STRING))))
		*why = m->parsed ? "the envelope has no status field" : not_parsed(c);
	else if (!strcmp(check, CHECK_CODE_DOCUMENTED) && !m->code_seen)
		*why = "no code in the body";
	else if (!strcmp(check, CHECK_MESSAGE_FIXED) && (!c->messages_fixed || !m->code))
		*why = c->messages_fixed ? "no documented code" : "the contract's messages may vary";
	else if (!strcmp(check, CHECK_RETRY_AFTER_PRESENT) && (!m->code || !m->code->retry_after))
		*why = m->code ? "the contract requires no Retry-After for this code" : "no documented code";
	else if ((!strcmp(check, CHECK_RETRY_AFTER_VALID) || !strcmp(check, CHECK_RETRY_AFTER_MISREAD)) &&
		 (!ra || (!strcmp(check, CHECK_RETRY_AFTER_MISREAD) && match_find(m, CHECK_RETRY_AFTER_VALID))))
		*why = ra ? "Retry-After is malformed" : "no Retry-After";
	else if (!strcmp(check, CHECK_REQUEST_ID) && !c->request_id_header)
		*why = "the contract names no request id header";
	else if (!strcmp(check, CHECK_REQUEST_ID) && c->request_id_optional &&
		 !response_header(r, c->request_id_header))
		*why = "no request id header, which the contract says some responses leave out";
	else if (!strcmp(check, CHECK_RATELIMIT) && !response_header(r, "RateLimit") &&
		 !response_header(r, "RateLimit-Policy"))
		*why = "no RateLimit fields";
	else if (!strcmp(check, CHECK_REQUEST_ID_BODY) && (!c->has_request_id || !m->parsed))
		*why = c->has_request_id ? not_parsed(c) : "the envelope carries no request id";
	else if (!strcmp(check, CHECK_RATELIMIT_FAMILY) && !c->nr_families)
		*why = "the contract names no vendor rate-limit headers";
	else if (!strcmp(check, CHECK_RETRY_HINT) &&
		 (!c->retry_hint_header || !response_header(r, c->retry_hint_header)))
		*why = c->retry_hint_header ? "no retry hint header" : "the contract names no retry hint";
	else if (!strcmp(check, CHECK_RETRY_AFTER_MS) &&
		 (!c->retry_after_ms_header || !response_header(r, c->retry_after_ms_header)))
		*why = c->retry_after_ms_header ? "no retry-after-ms header" : "the contract names no retry-after-ms";
	else if (!strcmp(check, CHECK_WAIT_INFO) && !v &&
		 (!c->nr_wait || !m->code || (m->code->role != ROLE_RATE_LIMITED &&
					      m->code->role != ROLE_CONCURRENCY_LIMITED)))
		*why = c->nr_wait ? "not a rate limit" : "the contract states no wait rules";
	if (*why)
		return VERDICT_SKIP;
	if (!v)
		return VERDICT_PASS;
	return v->severity == SEV_WARN ? VERDICT_WARN : VERDICT_FAIL;
}

void judge_response(const struct contract *c, const struct response *r, time_t now, struct match_result *m,
		    judge_fn each, void *ctx)
{
	size_t i;

	match_result_init(m);
	contract_match(c, r, now, m);
	for (i = 0; check_ids[i]; i++) {
		const struct violation *v;
		const char *why;
		enum verdict vd = check_verdict(c, r, m, check_ids[i], &v, &why);

		each(ctx, check_ids[i], vd, vd == VERDICT_SKIP ? why : v ? v->text : check_describe(check_ids[i]), v);
	}
}
