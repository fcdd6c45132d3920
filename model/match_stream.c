/*
 * A streamed response judged: the event stream parsed event by event
 * (sse.h), its first error event read against the contract's stream.error
 * template by the same walk as an error body.
 */
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "sse.h"

#define EVENT_MAX (256 * 1024)   /* an error event's data, at most */

int contract_stream_is_error(const struct contract *c, const char *event, const char *data, size_t len)
{
	json_t *v, *tmpl = c->stream.error_data;
	const char *key;
	json_t *want;
	int yes = 1;

	if (!tmpl)
		return 0;
	if (c->stream.error_event)
		return event && !strcmp(event, c->stream.error_event);
	if (!json_is_object(tmpl) || !len || data[0] != '{')
		return 0;
	json_object_foreach(tmpl, key, want) /* each content event passes here: parse only a likely one */
		if (!memmem(data, len, key, strlen(key)))
			return 0;
	if (!(v = json_loadb(data, len, 0, NULL)))
		return 0;
	json_object_foreach(tmpl, key, want)
		yes &= json_object_get(v, key) != NULL;
	yes &= json_is_object(v) && json_object_size(tmpl) > 0;
	json_decref(v);
	return yes;
}

struct seek {
	const struct contract *c;
	char *data;              /* the first error event's, or NULL */
	size_t len, at;
};

static int seek_error(void *ctx, const struct sse_event *ev)
{
	struct seek *s = ctx;

	if (!contract_stream_is_error(s->c, ev->event, ev->data, ev->data_len))
		return 0;
	s->data = malloc(ev->data_len + 1);
	if (s->data) {
		memcpy(s->data, ev->data, ev->data_len + 1);
		s->len = ev->data_len;
	}
	s->at = ev->index;
	return 1; /* the first is the one judged */
}

size_t match_stream(const struct contract *c, const struct response *r, struct match_result *m)
{
	struct sse_parser p;
	struct seek s = { c, NULL, 0, 0 };
	json_error_t err;
	json_t *body;

	m->streamed = 1;
	sse_init(&p, EVENT_MAX);
	if (r->body_len)
		sse_feed(&p, r->body, r->body_len, seek_error, &s);
	m->events = s.data ? s.at : p.events;
	sse_release(&p);
	if (!s.data)
		return m->failures; /* a stream without an error event: nothing to judge */
	body = json_loadb(s.data, s.len, 0, &err);
	if (!body) {
		match_add(m, CHECK_ENVELOPE_JSON, SEV_FAIL, "error event %zu: its data is not JSON (%s)", s.at + 1, err.text);
	} else {
		match_parsed(c, r, c->stream.error_data, body, m);
		if (m->code && m->code->stream == STREAM_NO)
			match_add(m, CHECK_STREAM_DOCUMENTED, SEV_WARN,
				  "%s arrived in error event %zu of a stream; the contract documents it as an HTTP %d only",
				  m->code->code, s.at + 1, m->code->status);
	}
	json_decref(body);
	free(s.data);
	return m->failures;
}
