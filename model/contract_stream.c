/*
 * Format 2's "stream": the operations that answer as a server-sent event
 * stream, their content events, a clean end, and the error event that
 * carries a documented code after the 200 has gone (Anthropic's
 * "event: error", OpenAI's data-only {"error": {...}}). A code says
 * whether it arrives that way with "stream": "also" or "only".
 */
#include <string.h>

#include "contract.h"
#include "contract_ext.h"
#include "envelope.h"

static const char *const stream_rule_names[] = { "no", "also", "only" };

const char *stream_rule_name(int rule)
{
	return rule >= STREAM_NO && rule <= STREAM_ONLY ? stream_rule_names[rule] : NULL;
}

static const struct jkey stream_keys[] = {
	{ "operations", JREQUIRED }, { "events", JREQUIRED }, { "end", JOPTIONAL },
	{ "error", JOPTIONAL }, { "source", JREQUIRED }, { NULL, 0 }
};
static const struct jkey event_keys[] = { { "event", JOPTIONAL }, { "data", JREQUIRED }, { NULL, 0 } };

/* An event type: what an "event:" line can carry (no line break, no NUL). */
static int event_type_valid(const char *s)
{
	return *s && strlen(s) < 128 && !strpbrk(s, "\r\n");
}

/* "event" (a type, or null) and "data" (a JSON value; a string is sent as
 * it is: OpenAI's "[DONE]"). */
static int load_event(struct jload *ld, json_t *ev)
{
	const char *type;

	if (!json_is_object(ev))
		return jload_fail(ld, 0, "an event must be an object {\"event\": TYPE or null, \"data\": ...}");
	if (jload_keys(ld, ev, "an event", event_keys))
		return -1;
	type = jload_string(ld, ev, "event", 1);
	if (ld->failed)
		return -1;
	if (type && !event_type_valid(type)) {
		jpath_key(&ld->path, "event");
		return jload_fail(ld, 0, "an event type is a non-empty line under 128 bytes");
	}
	return 0;
}

static int load_events(struct jload *ld, json_t *stream, const char *key, int required)
{
	json_t *list = json_object_get(stream, key), *ev;
	size_t i;

	jpath_key(&ld->path, key);
	if (!list && !required) {
		jpath_pop(&ld->path);
		return 0;
	}
	if (!json_is_array(list) || (required && !json_array_size(list)))
		return jload_fail(ld, 0, "%s must be an array of events%s", key, required ? ", not empty" : "");
	json_array_foreach(list, i, ev) {
		jpath_index(&ld->path, i);
		if (load_event(ld, ev))
			return -1;
		jpath_pop(&ld->path);
	}
	jpath_pop(&ld->path);
	return 0;
}

/* "METHOD /path": a method in capitals, a path template. */
static const struct jkey op_keys[] = {
	{ "operation", JREQUIRED }, { "events", JOPTIONAL }, { "end", JOPTIONAL }, { NULL, 0 }
};

/* "METHOD /path" of an entry of operations: the string, or the object's. */
static const char *op_text(json_t *v)
{
	return json_is_object(v) ? json_string_value(json_object_get(v, "operation")) : json_string_value(v);
}

const char *contract_stream_op(const struct contract *c, size_t i)
{
	return op_text(json_array_get(c->stream.operations, i));
}

/* An entry of operations: "METHOD /path" (a method in capitals, a path
 * template), or {"operation", "events"?, "end"?}: its own events. */
static int load_operation(struct jload *ld, struct contract *c, json_t *v)
{
	const char *s, *sp;
	size_t m;

	if (json_is_object(v)) {
		if (jload_keys(ld, v, "a streaming operation", op_keys) || load_events(ld, v, "events", 0) ||
		    load_events(ld, v, "end", 0))
			return -1;
		c->stream.per_operation = 1;
		jpath_key(&ld->path, "operation");
	}
	s = op_text(v);
	sp = s ? strchr(s, ' ') : NULL;
	m = sp ? (size_t)(sp - s) : 0;
	if (!sp || !m || m > 10 || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != m || sp[1] != '/' ||
	    strpbrk(sp + 1, " \t\r\n"))
		return jload_fail(ld, 0, "an operation is \"METHOD /path\" (a method in capitals), not %s%s%s",
				  s ? "'" : "", s ? s : "a string", s ? "'" : "");
	if (json_is_object(v))
		jpath_pop(&ld->path);
	return 0;
}

static int load_operations(struct jload *ld, struct contract *c, json_t *stream)
{
	json_t *ops = json_object_get(stream, "operations"), *v;
	size_t i;

	jpath_key(&ld->path, "operations");
	if (!json_is_array(ops) || !json_array_size(ops))
		return jload_fail(ld, 0, "operations must list the streaming operations, as \"POST /v1/messages\"");
	json_array_foreach(ops, i, v) {
		jpath_index(&ld->path, i);
		if (load_operation(ld, c, v))
			return -1;
		jpath_pop(&ld->path);
	}
	jpath_pop(&ld->path);
	return 0;
}

/* "error": {"event": TYPE or null, "data": a template with {{code}}}. */
static int load_error_event(struct jload *ld, struct contract *c, json_t *stream)
{
	json_t *err = json_object_get(stream, "error"), *data;
	struct envelope_info info;
	char why[200];

	if (!err)
		return 0;
	jpath_key(&ld->path, "error");
	if (load_event(ld, err))
		return -1;
	c->stream.error_event = jload_string(ld, err, "event", 1);
	data = json_object_get(err, "data");
	jpath_key(&ld->path, "data");
	if (!json_is_object(data) && !json_is_array(data))
		return jload_fail(ld, 0, "the error event's data is a template like the envelope: an object");
	memset(&info, 0, sizeof(info));
	if (envelope_scan(data, &ld->path, &info, why, sizeof(why)))
		return jload_fail(ld, 0, "%s", why);
	if (!info.codes && !info.types)
		return jload_fail(ld, 0, "the error event's data must hold \"{{code}}\" (or \"{{type}}\"): "
				  "else no streamed error could be told from another");
	c->stream.error_data = data;
	jpath_pop(&ld->path);
	jpath_pop(&ld->path);
	return 0;
}

int contract_load_stream(struct jload *ld, struct contract *c, json_t *root)
{
	json_t *stream = json_object_get(root, "stream");

	memset(&c->stream, 0, sizeof(c->stream));
	if (!stream)
		return 0;
	if (contract_needs_v2(ld, c, root, "stream"))
		return -1;
	jpath_key(&ld->path, "stream");
	if (!json_is_object(stream))
		return jload_fail(ld, 0, "stream must be an object (see contracts/README.md, Streamed errors)");
	if (jload_keys(ld, stream, "stream", stream_keys))
		return -1;
	c->stream.source = jload_string(ld, stream, "source", 0);
	if (ld->failed)
		return -1;
	if (load_operations(ld, c, stream) || load_events(ld, stream, "events", 1) ||
	    load_events(ld, stream, "end", 0) || load_error_event(ld, c, stream))
		return -1;
	c->stream.operations = json_object_get(stream, "operations");
	c->stream.events = json_object_get(stream, "events");
	c->stream.end = json_object_get(stream, "end");
	jpath_pop(&ld->path);
	return 0;
}

int contract_load_code_stream(struct jload *ld, struct contract *c, json_t *obj, struct contract_code *cc)
{
	const char *rule;

	if (!json_object_get(obj, "stream"))
		return 0;
	if (contract_needs_v2(ld, c, obj, "stream"))
		return -1;
	rule = jload_string(ld, obj, "stream", 0);
	if (ld->failed)
		return -1;
	jpath_key(&ld->path, "stream");
	if (!strcmp(rule, "also"))
		cc->stream = STREAM_ALSO;
	else if (!strcmp(rule, "only"))
		cc->stream = STREAM_ONLY;
	else if (strcmp(rule, "no"))
		return jload_fail(ld, 0, "stream must be \"also\", \"only\" or \"no\", not '%s'", rule);
	if (cc->stream && !c->stream.error_data)
		return jload_fail(ld, 0, "code '%s' arrives inside a stream, but the contract's stream documents "
				  "no error event (stream.error)", cc->code);
	if (cc->stream && cc->status_only)
		return jload_fail(ld, 0, "a status-only entry has no code to send inside a stream");
	jpath_pop(&ld->path);
	if (cc->stream)
		c->stream.nr_streamed++;
	return 0;
}

/* The entry of operations that (method, path) is, or NULL. */
static json_t *stream_op(const struct contract *c, const char *method, const char *path)
{
	char buf[1024];
	size_t i, n = strcspn(path, "?#"), m = strlen(method);
	json_t *v;

	if (!c->stream.operations || n >= sizeof(buf))
		return NULL;
	memcpy(buf, path, n);
	buf[n] = '\0';
	json_array_foreach(c->stream.operations, i, v) {
		const char *op = op_text(v);

		if (!strncmp(op, method, m) && op[m] == ' ' && contract_path_matches(op + m + 1, buf))
			return v;
	}
	return NULL;
}

int contract_streams(const struct contract *c, const char *method, const char *path)
{
	return stream_op(c, method, path) != NULL;
}

json_t *contract_stream_events(const struct contract *c, const char *method, const char *path, json_t **end)
{
	json_t *op = method && path ? stream_op(c, method, path) : NULL;
	json_t *ev = json_object_get(op, "events"), *e = json_object_get(op, "end");

	*end = e ? e : c->stream.end;
	return ev ? ev : c->stream.events;
}
