/*
 * The rules beyond the envelope: a code's required and forbidden headers,
 * the codes an operation documents, and entries whose body is absent or
 * free. contract_match() calls each; check_verdict() asks why one skips.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"

void match_code_headers(const struct contract_code *cc, const struct response *r, struct match_result *m)
{
	const char *key;
	json_t *v;
	size_t i;

	if (!cc)
		return;
	if (cc->headers)
		json_object_foreach(cc->headers, key, v) {
			const char *got = response_header(r, key);

			if (!got || !*got)
				match_add(m, CHECK_HEADERS_REQUIRED, SEV_FAIL, "%s (%d) must carry %s; %s",
					  cc->code, cc->status, key, got ? "it came empty" : "none was sent");
		}
	if (cc->forbidden)
		json_array_foreach(cc->forbidden, i, v)
			if (response_header(r, json_string_value(v)))
				match_add(m, CHECK_HEADERS_FORBIDDEN, SEV_FAIL, "%s (%d) must not carry %s; it did",
					  cc->code, cc->status, json_string_value(v));
}

/* The operation's codes, for a message: "A (404), B (400)". */
static void op_codes_text(const struct contract *c, json_t *op, char *out, size_t size)
{
	json_t *v;
	size_t i, o = 0;

	out[0] = '\0';
	json_array_foreach(json_object_get(op, "codes"), i, v) {
		const struct contract_code *cc = contract_find(c, json_string_value(v));

		if (cc && o < size)
			o += (size_t)snprintf(out + o, size - o, "%s%s (%d)", o ? ", " : "", cc->code, cc->status);
	}
}

void match_operation(const struct contract *c, const struct response *r, const struct contract_code **cc,
		     struct match_result *m)
{
	json_t *op = r->method && r->path ? contract_operation(c, r->method, r->path) : NULL;
	const struct contract_code *own;
	char list[300];

	if (!op)
		return;
	m->operation = json_string_value(json_object_get(op, "path"));
	if (!*cc || (*cc)->status_only || !json_array_size(json_object_get(op, "codes")))
		return;
	/* the same code on the wire, at the status this operation gives it */
	if ((own = contract_operation_own(c, op, *cc))) {
		*cc = own;
		return;
	}
	op_codes_text(c, op, list, sizeof(list));
	match_add(m, CHECK_CODE_OPERATION, SEV_FAIL, "%s (%d) is not documented for %s %s; it documents %s",
		  (*cc)->code, (*cc)->status, r->method, m->operation, list[0] ? list : "other codes");
}

static int body_empty(const struct response *r)
{
	size_t i;

	for (i = 0; i < r->body_len; i++)
		if (!strchr(" \t\r\n", r->body[i]))
			return 0;
	return 1;
}

const struct contract_code *match_free_body(const struct contract *c, const struct response *r, int rule)
{
	size_t i;

	if (rule == BODY_NONE && !body_empty(r))
		return NULL;
	for (i = 0; i < c->nr_codes; i++)
		if (c->codes[i].body == rule && c->codes[i].status == r->status)
			return &c->codes[i];
	return NULL;
}

const char *match_rules_skip(const struct contract *c, const struct match_result *m, const char *check)
{
	if (!strcmp(check, CHECK_HEADERS_REQUIRED) && (!m->code || !m->code->headers))
		return m->code ? "the contract requires no header of this code" : "no documented code";
	if (!strcmp(check, CHECK_HEADERS_FORBIDDEN) && (!m->code || !m->code->forbidden))
		return m->code ? "the contract forbids no header on this code" : "no documented code";
	if (!strcmp(check, CHECK_CODE_OPERATION) && !m->operation)
		return c->nr_operations ? "the request is none of the contract's operations" :
					  "the contract lists no operations";
	if (!strcmp(check, CHECK_CODE_OPERATION) && (!m->code || m->code->status_only))
		return "no documented code";
	if ((!strcmp(check, CHECK_ENVELOPE_JSON) || !strcmp(check, CHECK_ENVELOPE_XML)) &&
	    strcmp(check, c->kind->check))
		return c->kind == &body_xml ? "the envelope is XML" : "the envelope is JSON";
	return NULL;
}
