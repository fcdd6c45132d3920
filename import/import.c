/*
 * errata contract import: from an error reference to a contract.
 *
 * import_read.c reads the page's tables, status lists and JSON examples into
 * a list of codes; the rules here fill what the page leaves out, each value
 * marked inferred with its reason, and the result is checked by the ordinary
 * contract loader (cli/cmd_contract_tools.c).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model/contract.h"
#include "import.h"
#include "../model/envelope.h"
#include "import_doc.h"
#include "../model/utf8.h"

/* --- the envelope ------------------------------------------------------------------ */

/* Replace the example's code, message and status by placeholders. */
struct tmpl_state {
	const char *code, *message;
	int status;
	int codes;               /* placeholders for the code placed so far */
};

/* Replace the example's code, message and status by placeholders. The code
 * is placed once; a second copy of it is dropped. */
static void templatize(json_t *v, struct tmpl_state *st)
{
	const char *key;
	json_t *m;
	void *tmp;

	json_object_foreach_safe(v, tmp, key, m) {
		if (json_is_string(m)) {
			const char *s = json_string_value(m);
			size_t sl = strlen(s), cl = strlen(st->code);
			int in = sl > cl && !strcmp(s + sl - cl, st->code) && strchr("/#:", s[sl - cl - 1]);

			if (!strncmp(s, "{{", 2))
				continue;
			if (!strcmp(key, "request_id") || !strcmp(key, "requestId") || !strcmp(key, "RequestId")) {
				json_object_set_new(v, key, json_string("{{request_id}}"));
				continue;
			}
			if ((!strcmp(s, st->code) || in) && st->codes++) {
				json_object_del(v, key);
			} else if (!strcmp(s, st->code)) {
				json_object_set_new(v, key, json_string("{{code}}"));
			} else if (in) {
				char *t = import_printf("%.*s{{code}}", (int)(sl - cl), s);

				json_object_set_new(v, key, json_string(t ? t : s));
				free(t);
			} else if ((st->message && !strcmp(s, st->message)) || import_is_message_key(key)) {
				json_object_set_new(v, key, json_string("{{message}}"));
			}
		} else if (json_is_integer(m) && (import_is_status_key(key) || !strcmp(key, "code")) &&
			   json_integer_value(m) >= 100 && json_integer_value(m) <= 599 &&
			   (json_integer_value(m) == st->status || !st->status)) {  /* Google's "code": 429 */
			json_object_set_new(v, key, json_string("{{status}}"));
		} else if (json_is_object(m) && !strcmp(key, "details")) {
			json_object_set_new(v, key, json_string("{{details}}"));
		} else if (json_is_object(m)) {
			templatize(m, st);
		} else if (json_is_array(m) && json_is_object(json_array_get(m, 0))) {
			/* a list of errors: the first is the template */
			while (json_array_size(m) > 1)
				json_array_remove(m, 1);
			templatize(json_array_get(m, 0), st);
		}
	}
}

/* The success body: the envelope's booleans flipped and its error member
 * null; strings (codes, messages) dropped. */
static json_t *success_of(json_t *tmpl)
{
	json_t *out = json_object(), *m;
	const char *key;

	json_object_foreach(tmpl, key, m) {
		if (!strncmp(key, "{{", 2))
			continue;
		if (json_is_boolean(m))
			json_object_set_new(out, key, json_boolean(!json_is_true(m)));
		else if (json_is_null(m))
			json_object_set_new(out, key, json_null());
		else if (json_is_object(m) && json_object_size(tmpl) > 1)
			json_object_set_new(out, key, json_null());
	}
	return out;
}

/* --- building the contract -------------------------------------------------------- */

static int has_details(json_t *v)
{
	const char *key;
	json_t *m;

	json_object_foreach(v, key, m)
		if ((json_is_string(m) && !strncmp(json_string_value(m), "{{details", 9)) ||
		    (json_is_object(m) && has_details(m)))
			return 1;
	return 0;
}

static int has_extra(json_t *v)
{
	const char *key;
	json_t *m;

	json_object_foreach(v, key, m)
		if (!strcmp(key, "{{extra}}") || (json_is_object(m) && has_extra(m)))
			return 1;
	return 0;
}

static json_t *int_array(const int *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

/* v as the member key; bytes that are not UTF-8 (a cut the readers made in
 * a character) become U+FFFD rather than losing the member. */
static void set_str(json_t *o, const char *key, const char *v)
{
	json_t *s;
	size_t bad;
	char *clean;

	if (!v)
		return;
	if (!(s = json_string(v)) && (clean = utf8_sanitize(v, &bad))) {
		s = json_string(clean);
		free(clean);
	}
	json_object_set_new(o, key, s);
}

static char *default_id(const char *source)
{
	const char *base = strrchr(source, '/');
	char *id = strdup(base ? base + 1 : source), *p, *dot;

	if (!id)
		return NULL;
	dot = strchr(id, '.');
	if (dot && dot != id)
		*dot = '\0';
	for (p = id; *p; p++)
		*p = isalnum((unsigned char)*p) || *p == '_' || *p == '-' ? (char)tolower((unsigned char)*p) : '-';
	return id;
}

static char *title_of(struct doc *d)
{
	size_t i;

	for (i = 0; i < d->nr_lines; i++) {
		char buf[256], *t;

		snprintf(buf, sizeof(buf), "%s", d->lines[i]);
		t = buf;
		if (*t == '>')
			continue;
		while (*t == '#' || *t == ' ')
			t++;
		t = import_trim(t);
		if (*t && strlen(t) < 80 && strcasecmp(t, "skip to main content") && !strchr(t, '|'))
			return strdup(t);
	}
	return strdup("API errors");
}

/* The first "NN error codes" a heading claims, against the tables' count. */
static void check_claimed_count(struct doc *d, size_t documented)
{
	size_t i;

	for (i = 0; i < d->nr_lines; i++) {
		const char *p = d->lines[i];

		if (strchr("-*>", p[strspn(p, " ")]))  /* a list or a quote, no heading */
			continue;
		for (; *p; p++) {
			char *end;
			long n;

			if (!isdigit((unsigned char)*p) || (p > d->lines[i] && isalnum((unsigned char)p[-1])))
				continue;
			n = strtol(p, &end, 10);
			if (!strncmp(end, " error codes", 12) || !strncmp(end, " codes", 6)) {
				if ((size_t)n != documented) {
					const char *l = d->lines[i];

					import_warn(d, "the page says \"%.*s\"; its tables list %zu codes",
					     (int)strcspn(l, ".\n"), l, documented);
				}
				return;
			}
			p = end - 1;
		}
	}
}

static void check_consistency(struct doc *d)
{
	size_t i, j, lower = 0, upper = 0;

	for (i = 0; i < d->nr_codes; i++) {
		struct icode *a = &d->codes[i];

		if (a->status_only)
			continue;
		for (j = i + 1; j < d->nr_codes; j++) {
			struct icode *b = &d->codes[j];

			if (b->status_only || !a->message || !b->message)
				continue;
			if (a->status == b->status && !strcmp(a->message, b->message) &&
			    a->retry >= 0 && b->retry >= 0 && a->retry != b->retry)
				import_warn(d, "%s and %s share status %d and the message \"%s\" but have opposite retry safety",
				     a->code, b->code, a->status, a->message);
		}
		if (a->retry == 0 && a->message &&
		    (import_has_word(a->message, "try again") || import_has_word(a->message, "retry shortly")))
			import_warn(d, "%s is documented as not retryable, yet its message says \"%s\"",
			     a->code, a->message);
		if (strpbrk(a->code, "abcdefghijklmnopqrstuvwxyz"))
			lower++;
		else
			upper++;
	}
	if (lower && upper && upper > lower)
		import_warn(d, "code case is mixed: %zu codes are lower case, %zu upper case", lower, upper);
}

/* The object of an example holding, under any key but a message's, a code
 * the page lists elsewhere (Anthropic's "type"), and that code. */
/* What the examples say: the envelope template (from the first that shows a
 * code), and each shown code's message, status, details and extras. */
static json_t *read_example_codes(struct doc *d)
{
	json_t *tmpl = d->envelope ? json_deep_copy(d->envelope) : NULL;
	size_t i;

	for (i = 0; i < json_array_size(d->examples); i++) {
		json_t *ex = json_array_get(d->examples, i), *err, *m;
		const char *code = NULL, *key;
		struct icode *ic;
		int problem = import_is_problem(ex);

		if (problem) {
			code = import_problem_code(ex);
			err = ex;
		} else if (!(err = import_example_error(ex, &code))) {
			err = import_example_by_value(d, ex, &code);  /* {"error": {"type": "not_found_error"}} */
		}
		if (!err || !code)
			continue;
		ic = import_code_by_value(d, code);
		if (!ic && !d->nr_tables && import_valid_code(code) && !import_placeholder_value(err, code))
			ic = import_add_code(d, code);
		if (!tmpl && (ic || i + 1 == json_array_size(d->examples) || !d->nr_tables)) {
			tmpl = json_deep_copy(ex);
			if (!json_is_object(tmpl))
				continue;
			if (problem) {  /* RFC 9457: instance is optional, detail varies */
				json_object_del(tmpl, "instance");
				json_object_set_new(tmpl, "detail", json_string("{{detail}}"));
			}
			struct tmpl_state st = { code, json_string_value(json_object_get(err, json_object_get(err, "Message") ?
										   "Message" : "message")),
						 ic ? ic->status : 0, 0 };

			import_drop_braces(tmpl);
			templatize(tmpl, &st);
		}
		if (!ic)
			continue;
		if (!ic->status && json_integer_value(json_array_get(d->example_status, i)) >= 400) {
			ic->status = (int)json_integer_value(json_array_get(d->example_status, i));
			import_explain(ic, "the status line of the response its example shows");
		}
		/* the example's message and status are documented values */
		m = json_object_get(err, problem ? "title" : json_object_get(err, "Message") ? "Message" : "message");
		if (json_is_string(m) && *json_string_value(m)) {
			const char *msg = json_string_value(m);

			if (!ic->message && !d->has_message_col) {
				if (ic->description && strcmp(ic->description, msg))
					import_warn(d, "the example message for %s (\"%s\") differs from its table description (\"%s\")",
						    ic->code, msg, ic->description);
				ic->message = strdup(msg);
			} else if (ic->message && strcmp(ic->message, msg)) {
				import_warn(d, "the example message for %s (\"%s\") differs from the table's (\"%s\")",
					    ic->code, msg, ic->message);
			}
		}
		json_object_foreach(err, key, m) {
			json_t *nested = json_is_object(m) ? json_object_get(m, "status") : NULL;

			if (json_is_integer(nested) && !ic->status && json_integer_value(nested) >= 400 &&
			    json_integer_value(nested) <= 599) /* WordPress: {"code", "message", "data": {"status"}} */
				ic->status = (int)json_integer_value(nested);
			if ((import_is_status_key(key) || (!strcmp(key, "code") && strcmp(code, "code"))) && json_is_integer(m)) {
				json_int_t st = json_integer_value(m);

				if (st < 400 || st > 599)
					import_note(d, "the example for %s gives %s %" JSON_INTEGER_FORMAT
						    ", not an error status; it is not read", ic->code, key, st);
				else if (!ic->status)
					ic->status = st;
				else if (ic->status != st)
					import_warn(d, "the example gives %s status %d, the table %d", ic->code, (int)st, ic->status);
			} else if (!strcmp(key, "details") && json_is_object(m) && json_object_size(m)) {
				if (!ic->details)
					ic->details = json_deep_copy(m);
			} else if (!problem && strcmp(key, "code") && !import_is_message_key(key) &&
				   !import_is_status_key(key) && strcmp(key, "details") && !json_is_object(m) &&
				   !import_in_every_example(d->examples, key)) {
				if (!ic->extra)
					ic->extra = json_object();
				json_object_set(ic->extra, key, m);
			}
		}
	}
	return tmpl;
}

/* The template's object that holds "{{code}}", or NULL. */
static json_t *code_holder(json_t *v)
{
	const char *key;
	json_t *m, *hit;

	json_object_foreach(v, key, m) {
		if (json_is_string(m) && !strcmp(json_string_value(m), "{{code}}"))
			return v;
		if (json_is_object(m) && (hit = code_holder(m)))
			return hit;
	}
	return NULL;
}

/* Finish the envelope: details that some examples lack are optional, and
 * members only some examples show are the codes' extras. */
static json_t *finish_envelope(struct doc *d, json_t *tmpl, json_t *inferred)
{
	json_t *holder;
	const char *key;
	json_t *m;
	size_t i;

	if (!tmpl) {
		json_object_set_new(inferred, "envelope.error",
				    json_string("the page shows no envelope example; {\"error\": {\"code\", \"message\"}} is assumed"));
		return json_pack("{s:{s:s,s:s}}", "error", "code", "{{code}}", "message", "{{message}}");
	}
	{
		struct envelope_info info = { 0 };
		struct jpath path = { 0 };
		char why[200];

		/* a description's schema may carry a message and no code (format 2) */
		if (envelope_scan(tmpl, &path, &info, why, sizeof(why)) ||
		    (info.codes != 1 && !((d->structured || d->message_only) && !info.codes && info.messages))) {
			import_note(d, "the envelope example cannot be a template (%s); {\"error\": {\"code\", \"message\"}} is assumed",
				    info.codes != 1 ? "no single place for the code" : why);
			json_decref(tmpl);
			return finish_envelope(d, NULL, inferred);
		}
		if (!info.messages) {
			json_t *at = code_holder(tmpl);

			json_object_set_new(at ? at : tmpl, "message", json_string("{{message}}"));
			json_object_set_new(inferred, "envelope.error",
					    json_string("the envelope example shows no message; a \"message\" member is assumed"));
		}
	}
	if (!(holder = code_holder(tmpl)))
		return tmpl;
	for (i = 0; i < json_array_size(d->examples); i++) {
		const char *code;
		json_t *err = import_example_error(json_array_get(d->examples, i), &code);

		if (err && import_find_code(d, code) && json_is_string(json_object_get(holder, "details")) &&
		    !json_object_get(err, "details"))
			json_object_set_new(holder, "details", json_string("{{details?}}"));
	}
	for (i = 0; i < d->nr_codes; i++) {
		if (!d->codes[i].extra)
			continue;
		json_object_set_new(holder, "{{extra}}", json_null());
		/* the first example's extras are no constants of the template */
		json_object_foreach(d->codes[i].extra, key, m)
			json_object_del(holder, key);
	}
	return tmpl;
}

/* Status, message and role of every code, and the status-only entries. */
static void fill_codes(struct doc *d)
{
	const char *why;
	size_t i, k;

	for (i = 0; i < d->nr_codes; i++) {
		struct icode *ic = &d->codes[i];

		if (d->int_codes && !ic->status_only && !ic->body_code && ic->code[strspn(ic->code, "-")] &&
		    strspn(ic->code + (ic->code[0] == '-'), "0123456789") == strlen(ic->code + (ic->code[0] == '-')))
			ic->body_code = json_integer(strtoll(ic->code, NULL, 10));  /* sent as the examples send it */
		if (ic->message && !*ic->message) {  /* "``" read as a message: none */
			free(ic->message);
			ic->message = NULL;
		}
		if (!ic->status) {
			ic->status = import_guess_status(d, ic, &why);
			import_infer(ic, "status", "the page gives no status for this code; %s", why);
		}
		if (!ic->message && ic->description) {
			ic->message = ic->description;
			ic->description = NULL;
			import_infer(ic, "message", "the page gives only a description; it is used as the message");
		} else if (ic->description && ic->message && !strcmp(ic->description, ic->message)) {
			free(ic->description);
			ic->description = NULL;
		}
		if (!ic->message) {
			ic->message = import_message_from_code(ic->code);
			import_infer(ic, "message", "the page names this code without a message; errata words one from the code");
		}
		if (!ic->role_col)
			ic->role = import_guess_role(ic->code, ic->status);
	}
	/* a second name must name nothing else */
	for (i = 0; i < d->nr_codes; i++) {
		struct icode *ic = &d->codes[i];
		struct icode *other = ic->name ? import_find_code(d, ic->name) : NULL;

		if (other && other != ic) {
			import_note(d, "%s's name %s is taken by %s; it is not kept", ic->code, ic->name, other->code);
			free(ic->name);
			ic->name = NULL;
		}
	}
	/* a listed status no code covers in its sense gets a status-only entry */
	for (k = 0; k < d->nr_statuses; k++) {
		int st = d->statuses[k].status, role = import_status_role(st, d->statuses[k].meaning), have = 0;
		char name[16];
		struct icode *ic;

		if (st < 400)
			continue;
		for (i = 0; i < d->nr_codes; i++)
			have |= d->codes[i].status == st && import_same_role_family(d->codes[i].role, role);
		snprintf(name, sizeof(name), "HTTP_%d", st);
		if (have || import_find_code(d, name) || !(ic = import_add_code(d, name)))
			continue;
		ic->status_only = 1;
		ic->status = st;
		ic->message = strdup(d->statuses[k].meaning);
		ic->role = role;
		import_infer(ic, "code", "the page lists %d with no application code; errata names the entry %s", st, name);
		import_infer(ic, "message", "the page gives no message; its description of %d is used", st);
	}
	if (d->nr_tables < 2)  /* a single table's heading is no category */
		for (i = 0; i < d->nr_codes; i++)
			if (!d->codes[i].category_col) {
				free(d->codes[i].category);
				d->codes[i].category = NULL;
			}
}

struct retry_policy {
	int by_code;             /* per code (a Retry? or Resolution column) */
	int guided;              /* the page's retry bullets name the statuses */
	int statuses[16];
	size_t n;
};

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Retry safety of every code, and the statuses the policy lists. */
static void decide_retry(struct doc *d, struct retry_policy *rp)
{
	const size_t nconv = IMPORT_NR_CONVENTIONAL;
	const char *why;
	size_t i, k;

	memset(rp, 0, sizeof(*rp));
	rp->by_code = d->has_retry_col || d->has_resolution_col;
	for (i = 0; i < d->nr_codes; i++)  /* a code's own text said (a layout's retry advice) */
		rp->by_code |= d->codes[i].retry >= 0;
	if (!rp->by_code) {
		rp->n = import_retry_guidance(d, rp->statuses, 16);
		rp->guided = rp->n > 0;
		for (k = 0; !rp->guided && k < nconv; k++)
			for (i = 0; i < d->nr_codes; i++)
				if (d->codes[i].status == import_conventional[k] && !import_in_list(import_conventional[k], rp->statuses, rp->n)) {
					rp->statuses[rp->n++] = import_conventional[k];
					break;
				}
	}
	for (i = 0; i < d->nr_codes; i++) {
		struct icode *ic = &d->codes[i];

		if (ic->retry >= 0)
			continue;
		if (ic->resolution) {
			ic->retry = import_retry_from_resolution(ic->resolution, ic->status, &why);
			import_infer(ic, "retryable", "%s", why);
		} else if (rp->by_code) {
			ic->retry = import_in_list(ic->status, import_conventional, nconv);
			import_infer(ic, "retryable", "the page gives no retry safety for this code; %d is %s by HTTP convention",
				     ic->status, ic->retry ? "transient" : "not cured by retrying");
		} else {
			ic->retry = import_in_list(ic->status, rp->statuses, rp->n);
			import_infer(ic, "retryable", rp->guided ? "the page's retry guidance %s %d" :
				     "the page gives no retry guidance; %s %d by HTTP convention",
				     ic->retry ? "retries" : "does not retry", ic->status);
		}
	}
	/* a status is retried only when a retryable code has it */
	if (!rp->by_code) {
		size_t kept = 0;

		for (k = 0; k < rp->n; k++)
			for (i = 0; i < d->nr_codes; i++)
				if (d->codes[i].status == rp->statuses[k] && d->codes[i].retry == 1) {
					rp->statuses[kept++] = rp->statuses[k];
					break;
				}
		rp->n = kept;
	}
	if (rp->by_code) {
		rp->n = 0;
		for (i = 0; i < d->nr_codes; i++)
			if (d->codes[i].retry == 1 && !import_in_list(d->codes[i].status, rp->statuses, rp->n) && rp->n < 16)
				rp->statuses[rp->n++] = d->codes[i].status;
		qsort(rp->statuses, rp->n, sizeof(int), cmp_int);
	}
}

static json_t *code_json(const struct icode *ic, int with_details, int with_extra)
{
	json_t *e = json_object();

	set_str(e, "code", ic->code);
	set_str(e, "name", ic->name);
	if (ic->status_only)
		json_object_set_new(e, "status_only", json_true());
	json_object_set_new(e, "status", json_integer(ic->status));
	json_object_set_new(e, "retryable", json_boolean(ic->retry == 1));
	set_str(e, "message", ic->message);
	set_str(e, "description", ic->description);
	set_str(e, "domain", ic->domain);
	set_str(e, "category", ic->category);
	set_str(e, "resolution", ic->resolution);
	set_str(e, "type", ic->type);
	if (ic->body_code)
		json_object_set(e, "body_code", ic->body_code);
	if (ic->wire) {
		const char *keys[] = { "body", "headers", "forbidden_headers" };
		size_t k;

		for (k = 0; k < 3; k++)
			if (json_object_get(ic->wire, keys[k]))
				json_object_set(e, keys[k], json_object_get(ic->wire, keys[k]));
	}
	if (ic->retry_after)
		json_object_set_new(e, "retry_after", json_boolean(ic->retry_after == 2));
	json_object_set_new(e, "role", json_string(role_name(ic->role)));
	if (ic->details && with_details)
		json_object_set(e, "details", ic->details);
	if (ic->extra && with_extra)
		json_object_set(e, "extra", ic->extra);
	if (ic->inferred)
		json_object_set(e, "inferred", ic->inferred);
	return e;
}

/* "X-Request-Id", Retry-After, the RateLimit fields; inferred unless named. */
static json_t *headers_json(const struct doc *d, json_t *inferred)
{
	static const int ra_statuses[] = { 429, 503 };

	char named[64];
	const char *rid = import_request_id_header(d, named, sizeof(named));

	if (!rid)
		json_object_set_new(inferred, "headers.request_id",
				    json_string("the page names no request id header; X-Request-Id is assumed"));
	if (!strcasestr(d->text, "retry-after"))
		json_object_set_new(inferred, "headers.retry_after",
				    json_string("the page does not mention Retry-After; assumed on retryable 429 and 503 responses (RFC 9110, RFC 6585)"));
	json_object_set_new(inferred, "headers.rate_limit",
			    json_string("the importer reads no quota or window; errata advertises 60 requests per 60 seconds"));
	return json_pack("{s:s,s:{s:o,s:b,s:i},s:{s:s,s:i,s:i}}", "request_id", rid ? rid : "X-Request-Id",
			 "retry_after", "statuses", int_array(ra_statuses, 2), "retryable_only", 1, "default_seconds", 1,
			 "rate_limit", "policy", "default", "quota", 60, "window", 60);
}

static json_t *policy_json(const struct doc *d, const struct retry_policy *rp, json_t *inferred)
{
	const char *conflict = NULL, *missing = NULL;
	json_t *retry, *idem;
	size_t i;

	for (i = 0; i < d->nr_codes; i++) {
		const struct icode *ic = &d->codes[i];

		if ((!conflict && ic->status == 409 && !ic->status_only) || ic->role == ROLE_IDEMPOTENCY_CONFLICT)
			conflict = ic->code;
		if (!missing && strcasestr(ic->code, "idempotency") &&
		    (strcasestr(ic->code, "missing") || strcasestr(ic->code, "required")))
			missing = ic->code;
	}
	retry = json_pack("{s:s,s:o,s:b}", "basis", rp->by_code ? "code" : "status",
			  "statuses", int_array(rp->statuses, rp->n), "honour_retry_after", 1);
	if (strcasestr(d->text, "idempotency") && strstr(d->text, "POST"))
		json_object_set_new(retry, "post_requires_idempotency_key", json_true());
	if (!rp->by_code && !rp->guided)
		json_object_set_new(inferred, "policy.retry",
				    json_string("the page gives no retry guidance; statuses are retried by HTTP convention"));
	idem = json_pack("{s:s,s:[s],s:o}", "header", "Idempotency-Key", "methods", "POST",
			 "conflict_code", conflict ? json_string(conflict) : json_null());
	if (missing) {  /* a code for a missing key: the key is required */
		json_object_set_new(idem, "required", json_true());
		json_object_set_new(idem, "missing_code", json_string(missing));
	}
	if (!strcasestr(d->text, "idempotency-key"))
		json_object_set_new(inferred, "policy.idempotency",
				    json_string("the page does not mention idempotency; the IETF draft header is assumed"));
	return json_pack("{s:o,s:o}", "retry", retry, "idempotency", idem);
}

/* The settings block errata contract docs writes (envelope, headers and
 * policy as JSON), taken out of the examples. */
static void take_settings(struct doc *d)
{
	json_t *ex;
	size_t i;

	json_array_foreach(d->examples, i, ex)
		if (json_object_get(ex, "envelope") && json_object_get(ex, "headers") && json_object_get(ex, "policy")) {
			d->settings = json_incref(ex);
			json_array_remove(d->examples, i);
			import_found(d, "the contract settings block (envelope, headers, policy): read as they are");
			return;
		}
}

/* What the settings block states replaces what the rules assumed. */
static void apply_settings(struct doc *d, json_t *c)
{
	static const char *const keys[] = { "errata", "content_type", "messages", "envelope", "headers", "policy",
					    "operations", "stream", NULL };
	json_t *inferred = json_object_get(c, "inferred");
	const char *k;
	void *tmp;
	json_t *v;
	size_t i;

	for (i = 0; keys[i]; i++) {
		size_t kl = strlen(keys[i]);

		if (!json_object_get(d->settings, keys[i]))
			continue;
		json_object_set(c, keys[i], json_object_get(d->settings, keys[i]));
		json_object_foreach_safe(inferred, tmp, k, v)
			if (!strncmp(k, keys[i], kl) && (!k[kl] || k[kl] == '.'))
				json_object_del(inferred, k);
	}
	/* each code's details and extra members, as the contract states them */
	json_array_foreach(json_object_get(c, "codes"), i, v) {
		json_t *m = json_object_get(json_object_get(d->settings, "code_members"),
					    json_string_value(json_object_get(v, "code")));

		json_object_del(v, "details");
		json_object_del(v, "extra");
		if (json_is_object(json_object_get(m, "details")))
			json_object_set(v, "details", json_object_get(m, "details"));
		if (json_is_object(json_object_get(m, "extra")))
			json_object_set(v, "extra", json_object_get(m, "extra"));
		if (json_is_string(json_object_get(m, "stream"))) /* "also" or "only": where it arrives */
			json_object_set(v, "stream", json_object_get(m, "stream"));
	}
}

json_t *import_build(struct doc *d, const char *source, const char *id_arg)
{
	json_t *c, *codes, *inferred, *tmpl;
	struct retry_policy rp;
	const char *ctype;
	char *id, *title, ctype_buf[128];
	size_t i, documented = 0;

	take_settings(d);
	import_drop_type_tables(d);
	import_drop_other_sections(d);
	tmpl = read_example_codes(d);
	if (!tmpl)
		tmpl = import_message_only(d);
	if (!d->nr_tables && !d->nr_status_tables && !d->nr_terms && !d->structured)
		import_read_prose_codes(d);
	import_drop_non_codes(d);
	if (!d->nr_codes && !((d->structured || d->nr_read || d->nr_status_tables) && d->nr_statuses)) {
		json_decref(tmpl);
		return NULL;
	}
	inferred = json_object();
	tmpl = finish_envelope(d, tmpl, inferred);
	fill_codes(d);
	decide_retry(d, &rp);
	for (i = 0; i < d->nr_codes; i++)
		documented += !d->codes[i].status_only;
	check_claimed_count(d, documented);
	check_consistency(d);

	codes = json_array();
	for (i = 0; i < d->nr_codes; i++)
		json_array_append_new(codes, code_json(&d->codes[i], has_details(tmpl), has_extra(tmpl)));
	id = id_arg ? strdup(id_arg) : default_id(source);
	title = title_of(d);
	ctype = d->xml ? "application/xml" : import_stated_media_type(d, ctype_buf, sizeof(ctype_buf)) ? ctype_buf :
		strstr(d->text, "application/problem+json") ? "application/problem+json" :
		strstr(d->text, "application/json") ? "application/json" : NULL;
	if (!ctype)
		json_object_set_new(inferred, "content_type", json_string("the page names no media type; application/json is assumed"));
	json_object_set_new(inferred, "envelope.success",
			    json_string("the page documents only errors; the success body is assumed from the error envelope"));
	c = json_pack("{s:i,s:s,s:s,s:s,s:s,s:s}", "errata", CONTRACT_FORMAT, "id", id ? id : "imported",
		      "title", title ? title : "API errors", "source", source,
		      "content_type", ctype ? ctype : "application/json", "messages", "default");
	if (d->xml)
		import_xml_envelope(tmpl, inferred);
	json_object_set_new(c, "envelope", json_pack("{s:o,s:o}", "error", tmpl, "success", success_of(tmpl)));
	if (d->xml)
		json_object_set_new(json_object_get(c, "envelope"), "kind", json_string("xml"));
	json_object_set_new(c, "headers", headers_json(d, inferred));
	json_object_set_new(c, "policy", policy_json(d, &rp, inferred));
	json_object_set_new(c, "inferred", inferred);
	json_object_set(c, "inconsistencies", d->warnings);
	json_object_set_new(c, "codes", codes);
	if (d->settings)
		apply_settings(d, c);
	free(id);
	free(title);
	return c;
}
