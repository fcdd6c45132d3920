/*
 * errata contract import, the XML a page shows: an S3- or Azure-style error
 * example (<Error><Code>NoSuchKey</Code>...</Error>, its lines perhaps
 * numbered "1. "), read through the XML body kind into the same tree a JSON
 * example is; the template it leaves, kept to what identifies an error; and
 * the request id header a page names.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../codec/body.h"
#include "../model/envelope.h"
#include "import_doc.h"

#define XML_EXAMPLE_LINES 200

/* The line without its indent and a list number ("1. "). */
static const char *unnumbered(const char *l)
{
	const char *p = l + strspn(l, " \t");
	size_t digits = strspn(p, "0123456789");

	if (digits && p[digits] == '.' && p[digits + 1] == ' ')
		p += digits + 2;
	return p + strspn(p, " \t");
}

static int has_code_member(json_t *tree)
{
	const char *key;
	json_t *v;

	json_object_foreach(tree, key, v) {
		if (!strcasecmp(key, "code") && json_is_string(v))
			return 1;
		if (json_is_object(v) && has_code_member(v))
			return 1;
	}
	return 0;
}

int import_read_xml_example(struct doc *d, size_t *i)
{
	const char *first = unnumbered(d->lines[*i]), *p;
	char root[64] = "", close[70], why[200], *buf;
	size_t j, n = 0, cap = 0;
	json_t *tree;

	if (first[0] != '<' || !(first[1] == '?' || isalpha((unsigned char)first[1])))
		return 0;
	for (j = *i; j < d->nr_lines && j < *i + XML_EXAMPLE_LINES; j++) {
		p = unnumbered(d->lines[j]);
		if (!root[0] && p[0] == '<' && isalpha((unsigned char)p[1]))
			sscanf(p + 1, "%63[A-Za-z0-9_:.-]", root);
		cap += strlen(p) + 1;
		if (root[0] && snprintf(close, sizeof(close), "</%s>", root) > 0 && strstr(p, close))
			break;
	}
	if (!root[0] || j == d->nr_lines || j == *i + XML_EXAMPLE_LINES || !(buf = malloc(cap + 1)))
		return 0;
	for (n = 0, j = *i; n < cap; j++) {
		p = unnumbered(d->lines[j]);
		n += (size_t)sprintf(buf + n, "%s\n", p);
		if (strstr(p, close))
			break;
	}
	tree = body_xml.parse(buf, n, why, sizeof(why));
	free(buf);
	if (!tree || !has_code_member(tree)) {
		json_decref(tree);
		return 0;
	}
	import_add_example(d, *i, tree);
	if (!d->xml)
		import_found(d, "line %zu: an XML error example (<%s>): the envelope is XML", import_line(d, *i), root);
	d->xml = 1;
	*i = j;
	return 1;
}

/* An XML template keeps what identifies an error: the code, the message, the
 * request id. What else the example shows (S3's Resource, HostId) varies per
 * request and is not on every error; the walker reads past it. */
static void prune(json_t *v, json_t *dropped)
{
	const char *key;
	json_t *m;
	void *tmp;

	json_object_foreach_safe(v, tmp, key, m) {
		if (json_is_object(m)) {
			prune(m, dropped);
			if (!json_object_size(m))
				json_object_del(v, key);
		} else if (!json_is_string(m) || envelope_placeholder(json_string_value(m)) == PH_NONE) {
			json_array_append_new(dropped, json_string(key));
			json_object_del(v, key);
		}
	}
}

void import_xml_envelope(json_t *tmpl, json_t *inferred)
{
	json_t *dropped = json_array();
	char list[300] = "";
	size_t i, o = 0;
	json_t *k;

	prune(tmpl, dropped);
	json_array_foreach(dropped, i, k)
		if (o < sizeof(list))
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "", json_string_value(k));
	if (json_array_size(dropped))
		json_object_set_new(inferred, "envelope.error", json_pack("s++", "the example also shows ", list,
			"; they vary per request and not every error carries them, so the envelope holds only the code, "
			"the message and the request id"));
	json_decref(dropped);
}

/* The request id header a page names: "X-Request-Id", "x-amz-request-id",
 * "request-id", as a token ending in request-id; NULL when none. */
const char *import_request_id_header(const struct doc *d, char *out, size_t size)
{
	const char *t = d->text, *hit;

	while ((hit = strcasestr(t, "request-id"))) {
		const char *s = hit;
		size_t n;

		while (s > d->text && (isalnum((unsigned char)s[-1]) || s[-1] == '-'))
			s--;
		n = (size_t)(hit - s) + 10;
		if ((s == hit || !strncasecmp(s, "x-", 2)) && n < size && !isalnum((unsigned char)hit[10])) {
			snprintf(out, size, "%.*s", (int)n, s);
			return out;
		}
		t = hit + 10;
	}
	return NULL;
}
