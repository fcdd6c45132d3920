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

#include "contract.h"
#include "import.h"
#include "envelope.h"
#include "import_doc.h"
#include "utf8.h"

/* --- rules -------------------------------------------------------------------------- */

static int in_list(int v, const int *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == v)
			return 1;
	return 0;
}

/* Is `status` in the document's status table (any status, when it has none)? */
static int listed(const struct doc *d, int status)
{
	return !d->nr_statuses || import_status_meaning(d, status) != NULL;
}

/*
 * A status for a code the document gives none, from the words of its code
 * and description by the HTTP conventions named in each reason. Only
 * statuses in the document's status table are chosen when it has one.
 */
static int guess_status(const struct doc *d, const struct icode *c, const char **why)
{
	static const struct {
		const char *words;  /* any of these, '|' separated, in the code or text */
		int status, alt;    /* alt: when status is not listed */
		const char *why;
	} rules[] = {
		{ "NOT_FOUND|does not exist|not found", 404, 0, "\"not found\" is 404" },
		{ "TOKEN|JWT|KEY_REVOKED|UNAUTHORIZED|UNAUTHENTICATED|SESSION|authentication|credential", 401, 0,
		  "invalid or missing authentication is 401" },
		{ "SCOPE|PERMISSION|FORBIDDEN|permissions", 403, 0, "missing permission is 403" },
		{ "EXPIRED|GONE", 410, 404, "an expired resource is gone: 410, or 404 when the page lists no 410" },
		{ "ALREADY|EXISTS|CONFLICT|DUPLICATE|already", 409, 0, "a state conflict is 409" },
		{ "TOO_LARGE|too large|exceeds maximum size", 413, 0, "a payload too large is 413" },
		{ "CONCURREN|RATE_LIMIT|TOO_MANY", 429, 0, "too many requests is 429" },
		{ "QUOTA|PAYMENT|CREDITS|SPENDING|BILLING", 402, 403,
		  "a refusal for payment is 402, or 403 when the page lists no 402" },
		{ "UNSUPPORTED", 415, 400, "an unsupported format is 415, or 400 when the page lists no 415" },
		{ "INVALID|MISSING|MALFORMED|BAD_REQUEST", 400, 0, "an invalid or missing parameter is 400" },
		{ "TIMEOUT", 504, 0, "a timeout is 504" },
		{ "UNAVAILABLE", 503, 0, "unavailable is 503" },
	};
	char hay[1024], word[128];
	size_t r;

	snprintf(hay, sizeof(hay), "%s %s", c->code, c->description ? c->description : "");
	for (r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
		const char *w = rules[r].words;
		int hit = 0;

		while (*w && !hit) {
			size_t n = strcspn(w, "|");

			snprintf(word, sizeof(word), "%.*s", (int)n, w);
			/* upper-case words are matched in the code, case-insensitively
			 * (invalid_request); the others in the description */
			if (isupper((unsigned char)word[0]) ? strcasestr(c->code, word) != NULL
							    : strstr(hay + strlen(c->code), word) != NULL)
				hit = 1;
			w += n + (w[n] == '|');
		}
		if (!hit)
			continue;
		if (listed(d, rules[r].status)) {
			*why = rules[r].why;
			return rules[r].status;
		}
		if (rules[r].alt && listed(d, rules[r].alt)) {
			*why = rules[r].why;
			return rules[r].alt;
		}
	}
	if (listed(d, 422)) {
		*why = "no rule names a status; a request that was understood but cannot be processed is 422";
		return 422;
	}
	*why = "no rule names a status; 400 is the general client error";
	return 400;
}

static int guess_role(const char *code, int status)
{
	char up[160];
	size_t i;

	for (i = 0; code[i] && i < sizeof(up) - 1; i++)
		up[i] = (char)toupper((unsigned char)code[i]);
	up[i] = '\0';
#define HAS(w) (strstr(up, (w)) != NULL)
	if (HAS("IDEMPOTEN") && (HAS("REUSE") || HAS("MISMATCH") || HAS("CONFLICT")))
		return ROLE_IDEMPOTENCY_CONFLICT;
	switch (status) {
	case 401:
		return HAS("REQUIRED") || HAS("MISSING") || HAS("UNAUTHORIZED") || HAS("UNAUTHENTICATED")
		       ? ROLE_AUTH_REQUIRED : ROLE_AUTH_INVALID;
	case 402: return HAS("QUOTA") || HAS("SPEND") ? ROLE_QUOTA : ROLE_INSUFFICIENT_CREDITS;
	case 403:
		if (HAS("QUOTA"))
			return ROLE_QUOTA;
		return HAS("PAYMENT") || HAS("CREDIT") ? ROLE_INSUFFICIENT_CREDITS : ROLE_FORBIDDEN;
	case 404: case 410: return ROLE_NOT_FOUND;
	case 409: return ROLE_CONFLICT;
	case 413: return ROLE_PAYLOAD_TOO_LARGE;
	case 425: return ROLE_NOT_READY;
	case 429:
		if (HAS("CONCURREN"))
			return ROLE_CONCURRENCY_LIMITED;
		if (HAS("QUOTA"))
			return ROLE_QUOTA;
		return HAS("QUEUE") || HAS("CAPACITY") ? ROLE_CAPACITY : ROLE_RATE_LIMITED;
	case 500: return ROLE_INTERNAL;
	case 502: return ROLE_UPSTREAM;
	case 503:
		if (HAS("CONFIG"))
			return ROLE_MISCONFIGURED;
		if (HAS("CAPACITY"))
			return ROLE_CAPACITY;
		if (HAS("TIMEOUT"))
			return ROLE_TIMEOUT;
		return HAS("UPSTREAM") || HAS("STORAGE") ? ROLE_UPSTREAM : ROLE_UNAVAILABLE;
	case 504: return ROLE_TIMEOUT;
	default: return status >= 500 ? ROLE_INTERNAL : ROLE_VALIDATION;
	}
#undef HAS
}

/* The role a status table's line describes, for status-only entries. */
static int status_role(int status, const char *meaning)
{
	if (status == 429 && meaning && (import_has_word(meaning, "quota")))
		return ROLE_QUOTA;
	return guess_role("", status);
}

static int same_role_family(int a, int b)
{
	int auth_a = a == ROLE_AUTH_REQUIRED || a == ROLE_AUTH_INVALID;
	int auth_b = b == ROLE_AUTH_REQUIRED || b == ROLE_AUTH_INVALID;

	return a == b || (auth_a && auth_b);
}

/*
 * Retry safety from a Resolution cell: retry when it says to retry as it is
 * ("Retry; ...", "Retry with ..."), to back off, or to wait and then retry;
 * not when the caller must change or check something first ("Check ... and
 * retry"). A 4xx other than 408, 425 and 429 is never retried.
 */
static int retry_from_resolution(const char *res, int status, const char **why)
{
	int transient4xx = status == 408 || status == 425 || status == 429;

	if (status < 500 && !transient4xx) {
		*why = "client error (4xx); the resolution asks for a changed request";
		return 0;
	}
	if (!strncasecmp(res, "retry", 5)) {
		*why = "the resolution begins with \"Retry\"";
		return 1;
	}
	if (import_has_word(res, "backoff") || import_has_word(res, "back off")) {
		*why = "the resolution asks for backoff";
		return 1;
	}
	if (!strncasecmp(res, "wait", 4) && import_has_word(res, "retry")) {
		*why = "the resolution asks to wait, then retry";
		return 1;
	}
	*why = "the resolution asks for a change before any retry";
	return 0;
}

static const int conventional[] = { 408, 425, 429, 500, 502, 503, 504, 529 };  /* 529: overloaded (Anthropic) */

/*
 * Retry guidance in prose: bullets that begin "Retry" name the statuses to
 * retry (a "5xx" stands for the document's 5xx statuses). Returns the count
 * of statuses found, 0 when the page gives none.
 */
static size_t retry_guidance(struct doc *d, int *out, size_t cap)
{
	size_t i, n = 0, k;

	for (i = 0; i < d->nr_lines; i++) {
		const char *l = d->lines[i], *p;

		while (*l && !isalpha((unsigned char)*l))
			l++;
		if (strncasecmp(l, "retry ", 6))
			continue;
		for (p = l; *p; p++) {
			int st;

			if (!isdigit((unsigned char)p[0]) || (p > l && isalnum((unsigned char)p[-1])))
				continue;
			if (p[1] == 'x' && p[2] == 'x') {
				for (k = 0; k < d->nr_statuses; k++)
					if (d->statuses[k].status / 100 == p[0] - '0' && n < cap &&
					    !in_list(d->statuses[k].status, out, n))
						out[n++] = d->statuses[k].status;
				continue;
			}
			st = atoi(p);
			if (st >= 400 && st <= 599 && isdigit((unsigned char)p[2]) && n < cap && !in_list(st, out, n))
				out[n++] = st;
			while (isdigit((unsigned char)p[1]))
				p++;
		}
	}
	return n;
}

/* "INVALID_URL" -> "Invalid URL." */
static char *message_from_code(const char *code)
{
	char *out = malloc(strlen(code) * 2 + 2), *o = out;
	const char *p = code;
	int first = 1;

	if (!out)
		return NULL;
	while (*p) {
		size_t n = strcspn(p, "_-. ");
		char word[128];
		size_t k;

		snprintf(word, sizeof(word), "%.*s", (int)(n < 127 ? n : 127), p);
		if (*word) {
			int acronym = import_acronym_at(word) && strlen(word) <= 5;

			if (!first)
				*o++ = ' ';
			for (k = 0; word[k]; k++)
				*o++ = acronym ? (char)toupper((unsigned char)word[k]) :
				       (first && !k) ? (char)toupper((unsigned char)word[k]) :
				       (char)tolower((unsigned char)word[k]);
			first = 0;
		}
		p += n;
		if (*p)
			p++;
	}
	*o++ = '.';
	*o = '\0';
	return out;
}

/* Codes the prose names: "Expect codes like FORBIDDEN, INVALID_URL ...",
 * "can fail with INSUFFICIENT_CREDITS or ...". */
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
			int in = sl > cl && !strcmp(s + sl - cl, st->code) && s[sl - cl - 1] == '/';

			if (!strncmp(s, "{{", 2))
				continue;
			if (!strcmp(key, "request_id") || !strcmp(key, "requestId")) {
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
		} else if (json_is_integer(m) && import_is_status_key(key) &&
			   (json_integer_value(m) == st->status || !st->status)) {
			json_object_set_new(v, key, json_string("{{status}}"));
		} else if (json_is_object(m) && !strcmp(key, "details")) {
			json_object_set_new(v, key, json_string("{{details}}"));
		} else if (json_is_object(m)) {
			templatize(m, st);
		}
	}
}

/* Does `v` hold text a template would read as an unknown placeholder? */
static int holds_braces(json_t *v)
{
	size_t i;
	json_t *m;

	if (json_is_string(v))
		return envelope_placeholder(json_string_value(v)) == PH_UNKNOWN;
	if (json_is_array(v))
		json_array_foreach(v, i, m)
			if (holds_braces(m) || json_is_object(m))
				return 1;
	return 0;
}

/* Members of an example that a template cannot hold as constants (text
 * with "{{" in a key or a value) are left out. */
static void drop_braces(json_t *v)
{
	const char *key;
	json_t *m;
	void *tmp;

	json_object_foreach_safe(v, tmp, key, m) {
		if ((strstr(key, "{{") && strcmp(key, ENVELOPE_EXTRA_KEY)) || holds_braces(m))
			json_object_del(v, key);
		else if (json_is_object(m))
			drop_braces(m);
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
static json_t *example_by_value(struct doc *d, json_t *v, const char **code)
{
	const char *key;
	json_t *m, *hit;

	json_object_foreach(v, key, m)
		if (json_is_string(m) && !import_is_message_key(key) && import_find_code(d, json_string_value(m))) {
			*code = json_string_value(m);
			return v;
		}
	json_object_foreach(v, key, m)
		if (json_is_object(m) && (hit = example_by_value(d, m, code)))
			return hit;
	return NULL;
}

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
			err = example_by_value(d, ex, &code);  /* {"error": {"type": "not_found_error"}} */
		}
		if (!err || !code)
			continue;
		ic = import_find_code(d, code);
		if (!ic && !d->nr_tables && import_valid_code(code))
			ic = import_add_code(d, code);
		if (!tmpl && (ic || i + 1 == json_array_size(d->examples) || !d->nr_tables)) {
			tmpl = json_deep_copy(ex);
			if (!json_is_object(tmpl))
				continue;
			if (problem) {  /* RFC 9457: instance is optional, detail varies */
				json_object_del(tmpl, "instance");
				json_object_set_new(tmpl, "detail", json_string("{{detail}}"));
			}
			struct tmpl_state st = { code, json_string_value(json_object_get(err, "message")),
						 ic ? ic->status : 0, 0 };

			drop_braces(tmpl);
			templatize(tmpl, &st);
		}
		if (!ic)
			continue;
		/* the example's message and status are documented values */
		m = json_object_get(err, problem ? "title" : "message");
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
			if (import_is_status_key(key) && json_is_integer(m)) {
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
		    (info.codes != 1 && !(d->structured && !info.codes && info.messages))) {
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

		if (ic->message && !*ic->message) {  /* "``" read as a message: none */
			free(ic->message);
			ic->message = NULL;
		}
		if (!ic->status) {
			ic->status = guess_status(d, ic, &why);
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
			ic->message = message_from_code(ic->code);
			import_infer(ic, "message", "the page names this code without a message; errata words one from the code");
		}
		if (!ic->role_col)
			ic->role = guess_role(ic->code, ic->status);
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
		int st = d->statuses[k].status, role = status_role(st, d->statuses[k].meaning), have = 0;
		char name[16];
		struct icode *ic;

		if (st < 400)
			continue;
		for (i = 0; i < d->nr_codes; i++)
			have |= d->codes[i].status == st && same_role_family(d->codes[i].role, role);
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
	const size_t nconv = sizeof(conventional) / sizeof(conventional[0]);
	const char *why;
	size_t i, k;

	memset(rp, 0, sizeof(*rp));
	rp->by_code = d->has_retry_col || d->has_resolution_col;
	for (i = 0; i < d->nr_codes; i++)  /* a code's own text said (a layout's retry advice) */
		rp->by_code |= d->codes[i].retry >= 0;
	if (!rp->by_code) {
		rp->n = retry_guidance(d, rp->statuses, 16);
		rp->guided = rp->n > 0;
		for (k = 0; !rp->guided && k < nconv; k++)
			for (i = 0; i < d->nr_codes; i++)
				if (d->codes[i].status == conventional[k] && !in_list(conventional[k], rp->statuses, rp->n)) {
					rp->statuses[rp->n++] = conventional[k];
					break;
				}
	}
	for (i = 0; i < d->nr_codes; i++) {
		struct icode *ic = &d->codes[i];

		if (ic->retry >= 0)
			continue;
		if (ic->resolution) {
			ic->retry = retry_from_resolution(ic->resolution, ic->status, &why);
			import_infer(ic, "retryable", "%s", why);
		} else if (rp->by_code) {
			ic->retry = in_list(ic->status, conventional, nconv);
			import_infer(ic, "retryable", "the page gives no retry safety for this code; %d is %s by HTTP convention",
				     ic->status, ic->retry ? "transient" : "not cured by retrying");
		} else {
			ic->retry = in_list(ic->status, rp->statuses, rp->n);
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
			if (d->codes[i].retry == 1 && !in_list(d->codes[i].status, rp->statuses, rp->n) && rp->n < 16)
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

	const char *rid = strcasestr(d->text, "x-request-id") ? "X-Request-Id" :
			  strcasestr(d->text, "`request-id`") || strcasestr(d->text, "request-id header") ? "request-id" : NULL;

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
					    "operations", NULL };
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
	}
}

json_t *import_build(struct doc *d, const char *source, const char *id_arg)
{
	json_t *c, *codes, *inferred, *tmpl;
	struct retry_policy rp;
	const char *ctype;
	char *id, *title;
	size_t i, documented = 0;

	take_settings(d);
	tmpl = read_example_codes(d);
	if (!d->nr_tables && !d->structured)
		import_read_prose_codes(d);
	if (!d->nr_codes && !((d->structured || d->nr_read) && d->nr_statuses)) {
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
	ctype = strstr(d->text, "application/problem+json") ? "application/problem+json" :
		strstr(d->text, "application/json") ? "application/json" : NULL;
	if (!ctype)
		json_object_set_new(inferred, "content_type", json_string("the page names no media type; application/json is assumed"));
	json_object_set_new(inferred, "envelope.success",
			    json_string("the page documents only errors; the success body is assumed from the error envelope"));
	c = json_pack("{s:i,s:s,s:s,s:s,s:s,s:s}", "errata", CONTRACT_FORMAT, "id", id ? id : "imported",
		      "title", title ? title : "API errors", "source", source,
		      "content_type", ctype ? ctype : "application/json", "messages", "default");
	json_object_set_new(c, "envelope", json_pack("{s:o,s:o}", "error", tmpl, "success", success_of(tmpl)));
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

struct doc *import_doc_new(char *text)
{
	struct doc *d = calloc(1, sizeof(*d));

	if (!d) {
		free(text);
		return NULL;
	}
	d->text = text;
	d->examples = json_array();
	d->warnings = json_array();
	d->notes = json_array();
	d->found = json_array();
	if (!d->text || !d->examples || !d->warnings || !d->notes || !d->found || import_split_lines(d)) {
		import_doc_free(d);
		return NULL;
	}
	return d;
}

void import_doc_free(struct doc *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->nr_codes; i++) {
		struct icode *ic = &d->codes[i];

		if (ic->description == ic->message)
			ic->description = NULL;
		free(ic->code); free(ic->name); free(ic->message); free(ic->description);
		free(ic->domain); free(ic->category); free(ic->resolution); free(ic->type);
		json_decref(ic->details); json_decref(ic->extra); json_decref(ic->inferred);
		json_decref(ic->why);
		json_decref(ic->body_code);
	}
	for (i = 0; i < d->nr_statuses; i++)
		free(d->statuses[i].meaning);
	json_decref(d->examples);
	json_decref(d->warnings);
	json_decref(d->notes);
	json_decref(d->found);
	json_decref(d->envelope);
	json_decref(d->settings);
	free(d->text); free(d->linebuf); free(d->lines); free(d->offs); free(d->src_line);
	free(d);
}

static int named_like_status(const char *code)
{
	return strlen(code) == 3 && strspn(code, "0123456789") == 3 && code[0] >= '1' && code[0] <= '5';
}

/* How far the result can be trusted, and the doubts that make it not credible. */
static json_t *judge(const struct doc *d)
{
	size_t i, n = 0, st_inf = 0, retry_inf = 0, so = 0, like_status = 0, at422 = 0;
	json_t *doubts = json_array(), *out;
	const char *level;
	char *summary;

	for (i = 0; i < d->nr_codes; i++) {
		const struct icode *ic = &d->codes[i];

		if (ic->status_only) {
			so++;
			continue;
		}
		n++;
		st_inf += json_object_get(ic->inferred, "status") != NULL;
		retry_inf += json_object_get(ic->inferred, "retryable") != NULL;
		like_status += named_like_status(ic->code);
		at422 += ic->status == 422 && json_object_get(ic->inferred, "status");
	}
	if (like_status)
		json_array_append_new(doubts, json_sprintf("%zu of %zu codes are named like HTTP statuses: the page's statuses were read as codes",
							   like_status, n));
	if (n >= 3 && at422 == n)
		json_array_append_new(doubts, json_sprintf("every code's status is an inferred 422"));
	if (d->candidates > d->nr_read)
		json_array_append_new(doubts, json_sprintf("the page shows %zu error entries; %zu were read", d->candidates, d->nr_read));
	level = json_array_size(doubts) ? "not credible" : !n ? "low" :
		!st_inf && !json_array_size(d->warnings) ? "high" : st_inf * 2 <= n ? "medium" : "low";
	summary = import_printf("%zu codes (%zu with a stated status, %zu inferred), %zu status-only entries, "
				"%zu retry values inferred, %zu warnings", n, n - st_inf, st_inf, so, retry_inf,
				json_array_size(d->warnings) + json_array_size(d->notes));
	out = json_pack("{s:s,s:s,s:o,s:b}", "level", level, "summary", summary ? summary : "",
			"doubts", doubts, "credible", !json_array_size(doubts));
	free(summary);
	return out;
}

/* The importer's last check: what it built must load like any contract
 * (a settings block or a description can state what lint refuses). On
 * failure *c is released and err says why. Returns 0 or -1. */
int import_verify(json_t **c, struct load_error *err)
{
	struct load_error le;
	struct contract *loaded;
	char *text, msg[300];

	if (!*c)
		return -1;
	text = json_dumps(*c, JSON_COMPACT);
	loaded = text ? contract_load_buffer(text, strlen(text), "(import)", &le) : NULL;
	free(text);
	if (loaded) {
		contract_free(loaded);
		return 0;
	}
	load_error_format(&le, msg, sizeof(msg));
	if (err)
		snprintf(err->text, sizeof(err->text), "the contract built from it does not load (%.200s)", msg);
	json_decref(*c);
	*c = NULL;
	return -1;
}

void import_report(struct doc *d, json_t *report)
{
	json_t *w = json_array(), *ex = json_object();
	size_t i;

	if (!report) {
		json_decref(w);
		json_decref(ex);
		return;
	}
	json_array_extend(w, d->warnings);
	json_array_extend(w, d->notes);
	for (i = 0; i < d->nr_codes; i++) {
		const struct icode *ic = &d->codes[i];

		json_object_set_new(ex, ic->code, json_pack("{s:O*,s:O*}", "found", ic->why, "inferred", ic->inferred));
	}
	json_object_set_new(report, "warnings", w);
	json_object_set(report, "found", d->found);
	json_object_set_new(report, "explain", ex);
	json_object_set_new(report, "confidence", judge(d));
}

/* An HTML page (not Markdown with a tag in it): it opens with a doctype or
 * <html>, or holds a table or several block tags. */
static int is_html(const char *s)
{
	const char *p = s + strspn(s, " \t\r\n");

	if (!strncasecmp(p, "<!doctype html", 14) || !strncasecmp(p, "<html", 5))
		return 1;
	return strcasestr(s, "<table") || strcasestr(s, "<tr>") ||
	       (strcasestr(s, "<p>") && (strcasestr(s, "<h1") || strcasestr(s, "<h2") || strcasestr(s, "<li")));
}

json_t *contract_import(const char *text, size_t len, const char *source,
			const char *id, json_t *report, struct load_error *err)
{
	struct doc *d;
	json_t *c = NULL;
	char *copy, *clean;
	size_t bad = 0, *map = NULL, nr_map = 0;

	if (err) {
		memset(err, 0, sizeof(*err));
		snprintf(err->source, sizeof(err->source), "%s", source);
	}
	if (memchr(text, '\0', len)) {
		if (err)
			snprintf(err->text, sizeof(err->text), "the document holds NUL bytes; it is not text");
		return NULL;
	}
	/* `text` need not end in a NUL or be UTF-8: work on a copy that is both */
	copy = strndup(text, len);
	clean = copy ? utf8_sanitize(copy, &bad) : NULL;
	free(copy);
	if (clean) {
		char *plain = is_html(clean) ? import_html_to_text(clean, strlen(clean), &map, &nr_map) :
			      import_markdown_to_text(clean, strlen(clean), &map, &nr_map);

		free(clean);
		clean = plain;
	}
	if (!(d = import_doc_new(clean))) {
		free(map);
		if (err)
			snprintf(err->text, sizeof(err->text), "out of memory");
		return NULL;
	}
	d->src_line = map;
	d->nr_src_line = nr_map;
	if (bad)
		import_note(d, "%zu bytes are not UTF-8; each is read as U+FFFD", bad);
	import_read_tables(d);
	import_read_layouts(d);
	import_read_examples(d);
	c = import_build(d, source, id);
	if (c) {
		import_verify(&c, err);
	} else if (err)
		snprintf(err->text, sizeof(err->text),
			 "no error codes found: %zu tables, %zu JSON examples and no entry led by a status or a code (the 'read:' lines say what each was)",
			 d->nr_seen_tables, json_array_size(d->examples));
	import_report(d, report);
	import_doc_free(d);
	return c;
}
