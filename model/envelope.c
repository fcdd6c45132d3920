/*
 * Envelope templates: validating them, and rendering a code's error body.
 * Matching lives in match.c, which walks the same template.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"

enum placeholder envelope_placeholder(const char *s)
{
	static const struct {
		const char *text;
		enum placeholder ph;
	} table[] = {
		{ "{{code}}", PH_CODE }, { "{{message}}", PH_MESSAGE }, { "{{message?}}", PH_MESSAGE_OPT },
		{ "{{status}}", PH_STATUS }, { "{{status_string}}", PH_STATUS_STRING }, { "{{details}}", PH_DETAILS },
		{ "{{detail}}", PH_DETAIL },
		{ "{{details?}}", PH_DETAILS_OPT }, { "{{any?}}", PH_ANY_OPT }, { "{{type}}", PH_TYPE },
		{ "{{request_id}}", PH_REQUEST_ID }, { "{{request_id?}}", PH_REQUEST_ID_OPT },
	};
	size_t i;

	const char *in;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(s, table[i].text))
			return table[i].ph;
	in = strstr(s, "{{code}}");
	if (in && !strstr(in + 8, "{{") && (in == s || !memmem(s, (size_t)(in - s), "{{", 2)))
		return PH_CODE_IN;
	return strstr(s, "{{") ? PH_UNKNOWN : PH_NONE;
}

char *envelope_code_in(const char *tmpl, const char *s)
{
	const char *in = strstr(tmpl, "{{code}}");
	size_t pre, post, n = strlen(s);
	char *code;

	if (!in)
		return NULL;
	pre = (size_t)(in - tmpl);
	post = strlen(in + 8);
	/* AWS's "ns#Name" may go on ":url": a code holds no ':', so cut there */
	if (!post && pre && tmpl[pre - 1] == '#' && !strncmp(s, tmpl, pre) && strchr(s + pre, ':'))
		n = (size_t)(strchr(s + pre, ':') - s);
	if (n <= pre + post || strncmp(s, tmpl, pre) || (post && strcmp(s + n - post, in + 8)))
		return NULL;
	code = malloc(n - pre - post + 1);
	if (code) {
		memcpy(code, s + pre, n - pre - post);
		code[n - pre - post] = '\0';
	}
	return code;
}

/* `tmpl` with {{code}} replaced by `code`: a new reference. */
static json_t *code_in_render(const char *tmpl, const char *code)
{
	const char *in = strstr(tmpl, "{{code}}");
	size_t pre = (size_t)(in - tmpl), clen = strlen(code), post = strlen(in + 8);
	char *buf = malloc(pre + clen + post + 1);
	json_t *out;

	if (!buf)
		return NULL;
	memcpy(buf, tmpl, pre);
	memcpy(buf + pre, code, clen);
	memcpy(buf + pre + clen, in + 8, post + 1);
	out = json_string(buf);
	free(buf);
	return out;
}

int envelope_has_placeholder(json_t *t)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_string(t))
		return envelope_placeholder(json_string_value(t)) != PH_NONE;
	if (json_is_object(t)) {
		json_object_foreach(t, key, v)
			if (!strcmp(key, ENVELOPE_EXTRA_KEY) || envelope_has_placeholder(v))
				return 1;
	} else if (json_is_array(t)) {
		json_array_foreach(t, i, v)
			if (envelope_has_placeholder(v))
				return 1;
	}
	return 0;
}

int envelope_scan(json_t *tmpl, struct jpath *path, struct envelope_info *info,
		  char *why, size_t whysize)
{
	const char *key;
	json_t *v;
	size_t i;

	switch (json_typeof(tmpl)) {
	case JSON_STRING:
		switch (envelope_placeholder(json_string_value(tmpl))) {
		case PH_CODE: case PH_CODE_IN: info->codes++; break;
		case PH_MESSAGE: case PH_MESSAGE_OPT: info->messages++; break;
		case PH_STATUS: case PH_STATUS_STRING: info->statuses++; break;
		case PH_DETAILS: case PH_DETAILS_OPT: case PH_ANY_OPT: info->details++; break;
		case PH_TYPE: info->types++; break;
		case PH_REQUEST_ID: case PH_REQUEST_ID_OPT: info->request_ids++; break;
		case PH_NONE: case PH_DETAIL: break;
		case PH_UNKNOWN:
			snprintf(why, whysize, "unknown placeholder '%s' (known: {{code}}, also inside a string, {{message}}, {{message?}}, {{status}}, {{status_string}}, {{detail}}, {{details}}, {{details?}}, {{any?}}, {{type}}, {{request_id}}, {{request_id?}}, and the member \"{{extra}}\": null)",
				 json_string_value(tmpl));
			return -1;
		}
		return 0;
	case JSON_OBJECT:
		json_object_foreach(tmpl, key, v) {
			jpath_key(path, key);
			if (!strcmp(key, ENVELOPE_EXTRA_KEY)) {
				if (!json_is_null(v)) {
					snprintf(why, whysize, "the \"{{extra}}\" member must have the value null");
					return -1;
				}
				info->extras++;
			} else if (strstr(key, "{{")) {
				snprintf(why, whysize, "unknown placeholder key '%s' (only \"{{extra}}\" may be a key)", key);
				return -1;
			} else if (envelope_scan(v, path, info, why, whysize)) {
				return -1;
			}
			jpath_pop(path);
		}
		return 0;
	case JSON_ARRAY:
		json_array_foreach(tmpl, i, v) {
			if (i && envelope_has_placeholder(v)) {
				snprintf(why, whysize, "an array of errors holds its placeholders in its first element only: "
					 "each error of a body is read by it (element %zu has some)", i);
				return -1;
			}
			jpath_index(path, i);
			if (envelope_scan(v, path, info, why, whysize))
				return -1;
			jpath_pop(path);
		}
		return 0;
	default:
		return 0;
	}
}

/* What one rendering fills the placeholders with. */
struct fill {
	const struct contract_code *code;
	const char *message, *request_id;
	int status;
};

/* A member the entry has no value for: a status-only entry's code and type
 * (no document defines them, so none is invented), a null body code inside
 * a string. */
static int left_out(const struct contract_code *code, enum placeholder ph)
{
	if (ph == PH_DETAILS_OPT || ph == PH_ANY_OPT)
		return !code->details;
	if (ph == PH_CODE || ph == PH_CODE_IN || ph == PH_TYPE)
		return code->status_only || (ph == PH_CODE_IN && code->body_code &&
					     json_is_null(code->body_code));
	return 0;
}

static json_t *render_code_in(const char *tmpl, const struct contract_code *code)
{
	char num[32];

	if (code->body_code && json_is_integer(code->body_code)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(code->body_code));
		return code_in_render(tmpl, num);
	}
	return code_in_render(tmpl, code->body_code ? json_string_value(code->body_code) : code->code);
}

static json_t *render(json_t *tmpl, const struct fill *fl)
{
	const struct contract_code *code = fl->code;
	const char *key, *message = fl->message;
	int status = fl->status;
	json_t *v, *out;
	size_t i;

	switch (json_typeof(tmpl)) {
	case JSON_STRING:
		switch (envelope_placeholder(json_string_value(tmpl))) {
		case PH_CODE:
			return code->body_code ? json_deep_copy(code->body_code) : json_string(code->code);
		case PH_CODE_IN: return render_code_in(json_string_value(tmpl), code);
		case PH_TYPE: return json_string(code->type ? code->type : "");
		case PH_REQUEST_ID: case PH_REQUEST_ID_OPT: return json_string(fl->request_id);
		case PH_MESSAGE: case PH_MESSAGE_OPT: return json_string(message);
		case PH_STATUS: return json_integer(status);
		case PH_STATUS_STRING: {
			char st[16];

			snprintf(st, sizeof(st), "%d", status);
			return json_string(st);
		}
		case PH_DETAIL:
			return json_string(code->description ? code->description : message);
		case PH_DETAILS:
		case PH_DETAILS_OPT:
		case PH_ANY_OPT:
			return code->details ? json_deep_copy(code->details) : json_object();
		default: return json_incref(tmpl);
		}
	case JSON_OBJECT:
		out = json_object();
		json_object_foreach(tmpl, key, v) {
			if (!strcmp(key, ENVELOPE_EXTRA_KEY)) {
				if (code->extra)
					json_object_update(out, code->extra);
				continue;
			}
			if (json_is_string(v) && left_out(code, envelope_placeholder(json_string_value(v))))
				continue;
			json_object_set_new(out, key, render(v, fl));
		}
		return out;
	case JSON_ARRAY:
		out = json_array();
		json_array_foreach(tmpl, i, v)
			json_array_append_new(out, render(v, fl));
		return out;
	default:
		return json_incref(tmpl);
	}
}

json_t *envelope_render_id(const struct contract *c, const struct contract_code *code,
			   const char *message, int status, const char *request_id)
{
	struct fill fl = { code, message ? message : code->message,
			   request_id ? request_id : ENVELOPE_EXAMPLE_ID, status };

	return render(c->error_envelope, &fl);
}

json_t *envelope_render_in(const json_t *tmpl, const struct contract_code *code, const char *message,
			   int status, const char *request_id)
{
	struct fill fl = { code, message ? message : code->message,
			   request_id ? request_id : ENVELOPE_EXAMPLE_ID, status };

	return render((json_t *)tmpl, &fl);
}

json_t *envelope_render(const struct contract *c, const struct contract_code *code,
			const char *message, int status)
{
	return envelope_render_id(c, code, message, status, NULL);
}

char *envelope_render_text(const struct contract *c, const struct contract_code *code,
			   const char *message, int status)
{
	json_t *body;
	char *text;

	if (code->body == BODY_NONE)
		return strdup("");
	if (code->body == BODY_ANY) { /* what a router in front of the API sends */
		text = malloc(strlen(code->message) + 2);
		if (text)
			sprintf(text, "%s\n", code->message);
		return text;
	}
	body = envelope_render(c, code, message, status);
	text = body ? (c->kind ? c->kind : &body_json)->dump(body) : NULL;

	json_decref(body);
	return text;
}

char *envelope_success_text(const struct contract *c)
{
	return (c->kind ? c->kind : &body_json)->dump(c->success_envelope);
}
