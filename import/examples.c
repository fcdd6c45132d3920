/*
 * errata contract import, the JSON a page shows: its error examples, the
 * code in an example (or an RFC 9457 problem), the members that hold a
 * message or a status, and codes named in prose.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../model/contract.h"
#include "import_doc.h"
#include "../model/envelope.h"
#include "../model/utf8.h"

/* An example as documents print them: "..." standing for more members or
 * elements, and the comma left before a closing bracket. The balanced
 * object at `text`, those taken out, parsed; NULL when it still is not
 * JSON. *used is how much of the text the object spans. */
static json_t *lenient_json(const char *text, size_t len, size_t *used)
{
	size_t i, n = 0, depth = 0;
	int in_str = 0, esc = 0;
	char *buf = malloc(len + 1);
	json_t *v = NULL;

	if (!buf)
		return NULL;
	for (i = 0; i < len; i++) {
		char c = text[i];

		if (in_str) {
			buf[n++] = c;
			esc = !esc && c == '\\';
			in_str = esc || c != '"';
			continue;
		}
		if (c == '.' && i + 2 < len && text[i + 1] == '.' && text[i + 2] == '.') {
			i += 2; /* "...": more of the same */
			continue;
		}
		if (c == '}' || c == ']') {
			size_t k = n;

			while (k && strchr(" \t\r\n", buf[k - 1]))
				k--;
			if (k && buf[k - 1] == ',')
				buf[k - 1] = ' ';
		}
		buf[n++] = c;
		in_str = c == '"';
		depth += c == '{' || c == '[';
		if ((c == '}' || c == ']') && (!depth || !--depth))
			break;
	}
	*used = i + 1;
	if (!depth && i < len)
		v = json_loadb(buf, n, JSON_REJECT_DUPLICATES, NULL);
	free(buf);
	return v;
}

/* The status of the response line over the example at line i ("HTTP/1.1
 * 403 Forbidden", then headers, then the body), or 0. */
static int response_status(const struct doc *d, size_t i)
{
	size_t k;

	for (k = i; k-- > 0 && i - k <= 12;) {
		const char *l = d->lines[k] + strspn(d->lines[k], " \t");

		if (l[0] == '#' || l[0] == '{' || l[0] == '}')
			return 0;
		if (!strncmp(l, "HTTP/", 5)) {
			const char *p = l + 5 + strcspn(l + 5, " ");
			int st = atoi(p);

			return st >= 100 && st <= 599 ? st : 0;
		}
	}
	return 0;
}

/* A name of the error in a "reason" or "status" member, beside an integer
 * that is an HTTP status (Google's {"code": 429, "status":
 * "RESOURCE_EXHAUSTED"}): the name is the code, the integer the status. */
static const char *status_name(json_t *v)
{
	/* Kubernetes' Status: {"status": "Failure", "reason": "NotFound", "code": 404} */
	static const char *const keys[] = { "reason", "status", NULL };
	size_t k;

	for (k = 0; keys[k]; k++) {
		const char *s = json_string_value(json_object_get(v, keys[k]));

		if (s && *s && isalpha((unsigned char)*s) && import_valid_code(s) && strlen(s) > 2)
			return s;
	}
	return NULL;
}

static int status_beside_name(json_t *v, json_t *m)
{
	return json_integer_value(m) >= 100 && json_integer_value(m) <= 599 && status_name(v);
}

/* An integer code member ({"code": 50014}) as text, so that one walker reads
 * every example; the page is marked as sending integers (body_code). */
static void integer_code(struct doc *d, json_t *v)
{
	const char *key;
	json_t *m;

	json_object_foreach(v, key, m) {
		if ((import_key_is(key, "code") || import_key_is(key, "errcode") || import_key_is(key, "errorcode")) &&
		    json_is_integer(m) && !status_beside_name(v, m)) {
			char num[32];

			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(m));
			json_object_set_new(v, key, json_string(num));
			d->int_codes = 1;
			return;
		}
		if (json_is_object(m))
			integer_code(d, m);
		else if (json_is_array(m) && json_is_object(json_array_get(m, 0)))
			integer_code(d, json_array_get(m, 0));
	}
}

void import_add_example(struct doc *d, size_t i, json_t *v)
{
	integer_code(d, v);
	json_array_append_new(d->examples, v);
	json_array_append_new(d->example_status, json_integer(response_status(d, i)));
}

void import_read_examples(struct doc *d)
{
	size_t i, len = strlen(d->text);

	for (i = 0; i < d->nr_lines; i++) {
		const char *l = d->lines[i];
		size_t lead = strspn(l, " \t"), off = d->offs[i] + lead, end, k;
		json_error_t jerr;
		json_t *v;

		if (l[lead] != '{') {
			import_read_xml_example(d, &i);
			continue;
		}
		v = json_loadb(d->text + off, len - off, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &jerr);
		if (!v) {
			size_t used;

			if (!(v = lenient_json(d->text + off, len - off, &used)))
				continue;
			jerr.position = (int)used;
		}
		if (!json_is_object(v) || !json_object_size(v)) {
			json_decref(v);
			continue;
		}
		for (k = 0; k < json_array_size(d->examples); k++)
			if (json_equal(json_array_get(d->examples, k), v))
				break;
		if (k < json_array_size(d->examples))
			import_warn(d, "the page prints the same JSON example twice (line %zu)", i + 1);
		import_add_example(d, i, v);
		end = off + (size_t)jerr.position;
		while (i + 1 < d->nr_lines && d->offs[i + 1] < end)
			i++;
	}
}

/* The object holding the code in an example, and the code: a "code" member
 * at any depth, or a problem type URI ("type"). */
json_t *import_example_error(json_t *v, const char **code)
{
	const char *key;
	json_t *m, *hit;

	static const char *const keys[] = { "code", "errcode", "errorcode", NULL };
	size_t k;

	if (!json_is_object(v))
		return NULL;
	/* "code", XML's "Code" (S3, Azure), Matrix's "errcode", "error_code" */
	for (k = 0; keys[k]; k++)
		json_object_foreach(v, key, m)
			if (import_key_is(key, keys[k]) && json_is_string(m)) {
				*code = json_string_value(m);
				return v;
			}
	if (json_is_integer(json_object_get(v, "code")) && status_beside_name(v, json_object_get(v, "code"))) {
		*code = status_name(v);
		return v;
	}
	/* AWS's JSON protocols: {"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"} */
	json_object_foreach(v, key, m)
		if (import_key_is(key, "type") && json_is_string(m) && strchr(json_string_value(m), '#') &&
		    strrchr(json_string_value(m), '#')[1]) {
			*code = strrchr(json_string_value(m), '#') + 1;
			return v;
		}
	json_object_foreach(v, key, m) {
		if (json_is_array(m)) /* a list of errors: its first is the one shown */
			m = json_array_get(m, 0);
		if ((hit = import_example_error(m, code)))
			return hit;
	}
	return NULL;
}

int import_is_problem(json_t *v)
{
	return json_is_string(json_object_get(v, "type")) && json_object_get(v, "title") &&
	       !json_object_get(v, "code");
}

/* A problem example's code: its type URI's last segment. */
const char *import_problem_code(json_t *v)
{
	const char *t = json_string_value(json_object_get(v, "type")), *slash = strrchr(t, '/');

	return slash && slash[1] ? slash + 1 : NULL;
}

/* Does every example's error object have member `key`? Those that only some
 * examples show are a code's extra members. */
int import_in_every_example(json_t *examples, const char *key)
{
	size_t i;

	for (i = 0; i < json_array_size(examples); i++) {
		json_t *ex = json_array_get(examples, i), *err;
		const char *code;

		if ((err = import_example_error(ex, &code)) && !json_object_get(err, key))
			return 0;
	}
	return 1;
}

int import_key_is(const char *k, const char *norm)
{
	const char *p = k;

	for (; *p && *norm; p++) {
		if (*p == '_' || *p == '-')
			continue;
		if (tolower((unsigned char)*p) != *norm++)
			return 0;
	}
	while (*p == '_' || *p == '-')
		p++;
	return !*p && !*norm;
}

int import_is_message_key(const char *k)
{
	static const char *const keys[] = { "message", "detail", "error", "title", "description", "msg",
					    "errordescription", "errormessage", "errmsg", "errormsg", NULL };
	size_t i;

	for (i = 0; keys[i]; i++)
		if (import_key_is(k, keys[i]))
			return 1;
	return 0;
}

int import_is_status_key(const char *k)
{
	return !strcmp(k, "status") || !strcmp(k, "http") || !strcmp(k, "status_code") ||
	       !strcmp(k, "statusCode") || !strcmp(k, "http_status");
}


/* Does line l name an UPPER_SNAKE code? */
static int snake_on(const char *l)
{
	const char *p;

	for (p = l; *p; p++)
		if (isupper((unsigned char)*p) && (p == l || !isalnum((unsigned char)p[-1]))) {
			size_t n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");

			if (n >= 4 && memchr(p, '_', n) && p[n - 1] != '_' && !islower((unsigned char)p[n]))
				return 1;
			p += n ? n - 1 : 0;
		}
	return 0;
}

void import_read_prose_codes(struct doc *d)
{
	static const char *const skip[] = {
		"POST", "PATCH", "DELETE", "HEAD", "OPTIONS", "JSON", "HTTP", "HTTPS", "NOTE", "TODO", NULL
	};
	size_t i, k;

	for (i = 0; i < d->nr_lines; i++) {
		const char *l = d->lines[i], *p = l;

		if (!strstr(l, "code") && !strstr(l, "fail with"))
			continue;
		while (*p) {
			size_t n;
			char word[128];

			if (!isupper((unsigned char)*p) || (p > l && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))) {
				p++;
				continue;
			}
			n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
			/* a capitalised word is prose (MUST, HTML5); a code has a '_', or
			 * is listed beside codes that have one ("FORBIDDEN, INVALID_URL") */
			if (n >= 4 && n < sizeof(word) && !islower((unsigned char)p[n]) && p[n - 1] != '_' &&
			    (memchr(p, '_', n) || (snake_on(l) && (p[n] == ',' || (p - l >= 2 && !strncmp(p - 2, ", ", 2)) ||
								    (p - l >= 3 && !strncmp(p - 3, "or ", 3)))))) {
				snprintf(word, sizeof(word), "%.*s", (int)n, p);
				for (k = 0; skip[k] && strcmp(skip[k], word); k++)
					;
				if (!skip[k] && !import_find_code(d, word)) {
					struct icode *c = import_add_code(d, word);

					(void)c;
				}
			}
			p += n ? n : 1;
		}
	}
}

/* Examples that show no code (Mastodon's {"error": "Record not found"},
 * GitLab's {"message": "404 Not Found"}): the members every example
 * shares, a message's text as {{message}}; NULL when they share no
 * message member or one example is not an object. */
json_t *import_message_only(struct doc *d)
{
	/* of several texts, the message is the first of these the examples share */
	static const char *const order[] = { "message", "error", "detail", "title", "msg", "description",
					     "error_description", "Message", NULL };
	json_t *first = json_array_get(d->examples, 0);
	size_t i, k;

	if (!json_is_object(first) || d->structured)
		return NULL;
	/* a member every example has, text in the first (GitLab's message is
	 * text, or an object of field errors) */
	for (k = 0; order[k]; k++) {
		if (!json_is_string(json_object_get(first, order[k])))
			continue;
		for (i = 0; i < json_array_size(d->examples); i++)
			if (!json_object_get(json_array_get(d->examples, i), order[k]))
				break;
		if (i == json_array_size(d->examples))
			break;
	}
	if (!order[k])
		return NULL;
	d->message_only = 1;
	return json_pack("{s:s}", order[k], "{{message}}");
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
			if (holds_braces(m) || (json_is_object(m) && i))
				return 1; /* a list of errors is read by its first: a template shows one */
	return 0;
}

/* Members of an example that a template cannot hold as constants (text
 * with "{{" in a key or a value) are left out. */
void import_drop_braces(json_t *v)
{
	const char *key;
	json_t *m;
	void *tmp;

	json_object_foreach_safe(v, tmp, key, m) {
		if (json_is_array(m) && json_is_object(json_array_get(m, 0)))
			while (json_array_size(m) > 1) /* a list of errors: the first shows the shape */
				json_array_remove(m, 1);
		if ((strstr(key, "{{") && strcmp(key, ENVELOPE_EXTRA_KEY)) || holds_braces(m))
			json_object_del(v, key);
		else if (json_is_object(m))
			import_drop_braces(m);
		else if (json_is_array(m) && json_is_object(json_array_get(m, 0)))
			import_drop_braces(json_array_get(m, 0));
	}
}

int import_placeholder_value(json_t *err, const char *v)
{
	static const char *const words[] = { "string", "code", "error", "error_code", "errorcode", "message", NULL };
	size_t i;

	if (v[0] == '<' || v[0] == '{' || v[0] == '$')
		return 1;
	for (i = 0; words[i]; i++)
		if (!strcasecmp(v, words[i]))
			return 1;
	return json_object_get(err, v) != NULL; /* a member's own name */
}

/* The JSON media type a response the page shows states ("Content-Type:
 * application/x-amz-json-1.0"), parameters left out; NULL when none. */
const char *import_stated_media_type(const struct doc *d, char *out, size_t size)
{
	size_t i, n, error_line = 0;
	int pass;

	/* first in an error response (under "HTTP/1.1 4xx"), else anywhere */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < d->nr_lines; i++) {
			const char *l = d->lines[i] + strspn(d->lines[i], " \t");

			if (!strncmp(l, "HTTP/", 5) && atoi(l + 5 + strcspn(l + 5, " ")) >= 400)
				error_line = i + 1;
			if (strncasecmp(l, "Content-Type:", 13) || (!pass && (!error_line || i - error_line > 6)))
				continue;
			l += 13 + strspn(l + 13, " ");
			n = strcspn(l, " ;\"'`");
			if (n && n < size && memmem(l, n, "json", 4) && memchr(l, '/', n)) {
				memcpy(out, l, n);
				out[n] = '\0';
				return out;
			}
		}
	return NULL;
}

/* The code a value names: a code, or the words a code's body carries. */
struct icode *import_code_by_value(struct doc *d, const char *v)
{
	struct icode *ic = import_find_code(d, v);
	size_t i;

	for (i = 0; !ic && i < d->nr_codes; i++)
		if (json_is_string(d->codes[i].body_code) && !strcmp(json_string_value(d->codes[i].body_code), v))
			ic = &d->codes[i];
	return ic;
}

json_t *import_example_by_value(struct doc *d, json_t *v, const char **code)
{
	const char *key;
	json_t *m, *hit;

	/* a member whose value is a documented code, whatever its name
	 * (WebDriver's {"value": {"error": "invalid session id"}}) */
	json_object_foreach(v, key, m)
		if (json_is_string(m) && import_code_by_value(d, json_string_value(m))) {
			*code = json_string_value(m);
			return v;
		}
	json_object_foreach(v, key, m) {
		if (json_is_array(m)) /* a list of errors: its first is the one shown */
			m = json_array_get(m, 0);
		if (json_is_object(m) && (hit = import_example_by_value(d, m, code)))
			return hit;
	}
	/* a code the page does not list, in a member shaped for one (Slack's
	 * {"ok": false, "error": "too_many_attachments"} beside its table) */
	json_object_foreach(v, key, m)
		if (d->nr_tables && json_is_string(m) && strchr(json_string_value(m), '_') &&
		    !strchr(json_string_value(m), '.') && import_valid_code(json_string_value(m)) &&
		    (import_key_is(key, "error") || import_key_is(key, "reason"))) {
			*code = json_string_value(m);
			return v;
		}
	return NULL;
}
