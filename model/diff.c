/*
 * contract_diff(): old and new contract, code by code and then the parts
 * every code shares.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"

struct diffs {
	struct diff_entry *v;
	size_t n, cap;
};

static void add(struct diffs *d, int breaking, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add(struct diffs *d, int breaking, const char *fmt, ...)
{
	va_list ap;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct diff_entry *v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			return;
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n].breaking = breaking;
	va_start(ap, fmt);
	vsnprintf(d->v[d->n].text, sizeof(d->v[d->n].text), fmt, ap);
	va_end(ap);
	d->n++;
}

static const char *retry_word(int r)
{
	return r ? "retryable" : "not retryable";
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* json_equal() is false for two NULLs; absent and absent are the same here. */
static int same_json(json_t *a, json_t *b)
{
	return (!a && !b) || (a && b && json_equal(a, b));
}

static const char *or_none(const char *s)
{
	return s ? s : "(none)";
}

/* The code of `b` that is `code` of `a`: by code, or by its second name. */
static const struct contract_code *counterpart(const struct contract *b, const struct contract_code *ca)
{
	const struct contract_code *cb = contract_find(b, ca->code);

	return cb && !strcmp(cb->code, ca->code) ? cb : NULL;
}

size_t contract_diff(const struct contract *a, const struct contract *b, struct diff_entry **out)
{
	struct diffs d = { 0 };
	size_t i;

	for (i = 0; i < a->nr_codes; i++) {
		const struct contract_code *ca = &a->codes[i], *cb = counterpart(b, ca);

		if (!cb) {
			add(&d, 1, "- %s removed (was %d, %s)", ca->code, ca->status, retry_word(ca->retryable));
			continue;
		}
		if (ca->status != cb->status)
			add(&d, 1, "~ %s status %d -> %d", ca->code, ca->status, cb->status);
		if (ca->retryable != cb->retryable)
			add(&d, 1, "~ %s %s -> %s", ca->code, retry_word(ca->retryable), retry_word(cb->retryable));
		if (!same(ca->message, cb->message))
			add(&d, b->messages_fixed, "~ %s message \"%s\" -> \"%s\"%s", ca->code, ca->message,
			    cb->message, b->messages_fixed ? " (messages are fixed)" : "");
		if (ca->retry_after != cb->retry_after)
			add(&d, 0, "~ %s Retry-After %s -> %s", ca->code, ca->retry_after ? "sent" : "not sent",
			    cb->retry_after ? "sent" : "not sent");
		if (!same(ca->name, cb->name))
			add(&d, 0, "~ %s name %s -> %s", ca->code, or_none(ca->name), or_none(cb->name));
		if (!same(ca->domain, cb->domain))
			add(&d, 0, "~ %s domain %s -> %s", ca->code, or_none(ca->domain), or_none(cb->domain));
		if (!same(ca->category, cb->category))
			add(&d, 0, "~ %s category %s -> %s", ca->code, or_none(ca->category), or_none(cb->category));
		if (!same_json(ca->body_code, cb->body_code) || !same(ca->type, cb->type)) {
			/* what a client matches on in the body: breaking */
			char *ja = ca->body_code ? json_dumps(ca->body_code, JSON_ENCODE_ANY) : NULL;
			char *jb = cb->body_code ? json_dumps(cb->body_code, JSON_ENCODE_ANY) : NULL;

			add(&d, 1, "~ %s body code %s, type %s -> body code %s, type %s", ca->code,
			    ja ? ja : ca->code, or_none(ca->type), jb ? jb : cb->code, or_none(cb->type));
			free(ja);
			free(jb);
		}
		if (ca->body != cb->body || !same_json(ca->headers, cb->headers) || !same_json(ca->forbidden, cb->forbidden))
			/* what a response must carry changed: breaking */
			add(&d, 1, "~ %s body or required or forbidden headers changed", ca->code);
		if (ca->stream != cb->stream) /* a client must now read it from a stream, or may no longer */
			add(&d, 1, "~ %s inside a stream: %s -> %s", ca->code, stream_rule_name(ca->stream),
			    stream_rule_name(cb->stream));
		if (!same_json(ca->details, cb->details) || !same_json(ca->extra, cb->extra))
			add(&d, (ca->extra && !cb->extra) || (ca->details && !cb->details),
			    "~ %s details or extra members changed", ca->code);
	}
	for (i = 0; i < b->nr_codes; i++) {
		const struct contract_code *cb = &b->codes[i];

		if (!counterpart(a, cb))
			add(&d, 0, "+ %s added (%d, %s): %s", cb->code, cb->status, retry_word(cb->retryable), cb->message);
	}
	if (!json_equal(a->error_envelope, b->error_envelope)) {
		char *ea = json_dumps(a->error_envelope, JSON_COMPACT | JSON_SORT_KEYS);
		char *eb = json_dumps(b->error_envelope, JSON_COMPACT | JSON_SORT_KEYS);

		add(&d, 1, "~ envelope %s -> %s", ea ? ea : "?", eb ? eb : "?");
		free(ea);
		free(eb);
	}
	if (!same_json(json_object_get(a->root, "stream"), json_object_get(b->root, "stream")))
		/* what an SDK's stream parser reads changed */
		add(&d, !!a->stream.operations, "~ stream %s", !a->stream.operations ? "added" : !b->stream.operations ?
		    "removed" : "operations, events or error event changed");
	if (strcmp(a->content_type, b->content_type))
		add(&d, 1, "~ content type %s -> %s", a->content_type, b->content_type);
	if (!same(a->request_id_header, b->request_id_header))
		add(&d, 1, "~ request id header %s -> %s", or_none(a->request_id_header), or_none(b->request_id_header));
	if (!same(a->idempotency_header, b->idempotency_header))
		add(&d, 1, "~ idempotency header %s -> %s", or_none(a->idempotency_header), or_none(b->idempotency_header));
	if (a->idempotency_required != b->idempotency_required)
		add(&d, b->idempotency_required, "~ idempotency key %s -> %s",
		    a->idempotency_required ? "required" : "optional", b->idempotency_required ? "required" : "optional");
	if (a->messages_fixed != b->messages_fixed)
		add(&d, b->messages_fixed, "~ messages %s -> %s", a->messages_fixed ? "fixed" : "default",
		    b->messages_fixed ? "fixed" : "default");
	*out = d.v;
	return d.n;
}
