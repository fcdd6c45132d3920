/*
 * The XML kind (S3, Azure Storage): read with libxml2 into the tree the
 * envelope walker reads, and written with it. <Error><Code>SlowDown</Code>
 * <Message>...</Message></Error> reads as {"Error": {"Code": "SlowDown",
 * "Message": "..."}}, and that template renders back to the same bytes.
 * No entity is expanded and nothing is fetched: a body is data, never a
 * reason to open a file or a connection.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "body.h"

#define XML_DEPTH_MAX 32

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
	xmlInitParser();
}

/* Text of an element without element children: its text and CDATA nodes
 * alone. An entity reference stays unexpanded (xmlNodeGetContent would
 * expand it, and a body could nest entities a billion characters deep). */
static json_t *text_of(xmlNode *n)
{
	xmlBufferPtr buf = xmlBufferCreate();
	xmlNode *k;
	json_t *v;

	if (!buf)
		return NULL;
	for (k = n->children; k; k = k->next)
		if ((k->type == XML_TEXT_NODE || k->type == XML_CDATA_SECTION_NODE) && k->content)
			xmlBufferCat(buf, k->content);
	v = json_string((const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	return v ? v : json_string("");
}

static json_t *element(xmlNode *n, int depth);

/* A child joins its parent's object; a name seen before turns into an array
 * (an element's own value is never one, so an array is always a repeat). */
static int add_child(json_t *obj, xmlNode *k, int depth)
{
	const char *name = (const char *)k->name;
	json_t *v = element(k, depth + 1), *have;

	if (!v)
		return -1;
	have = json_object_get(obj, name);
	if (!have)
		return json_object_set_new(obj, name, v);
	if (!json_is_array(have)) {
		json_t *arr = json_array();

		json_array_append(arr, have);
		json_object_set_new(obj, name, arr);
		have = arr;
	}
	return json_array_append_new(have, v);
}

static json_t *element(xmlNode *n, int depth)
{
	json_t *obj;
	xmlNode *k;
	int children = 0;

	if (depth > XML_DEPTH_MAX)
		return NULL;
	for (k = n->children; k; k = k->next)
		children += k->type == XML_ELEMENT_NODE;
	if (!children)
		return text_of(n);
	obj = json_object();
	for (k = n->children; k; k = k->next)
		if (k->type == XML_ELEMENT_NODE && add_child(obj, k, depth)) {
			json_decref(obj);
			return NULL;
		}
	return obj;
}

static json_t *xml_parse(const char *body, size_t len, char *why, size_t whysize)
{
	xmlParserCtxtPtr ctx;
	xmlDocPtr doc;
	xmlNode *root;
	json_t *tree = NULL, *v;

	pthread_once(&once, init);
	if (len > 16u << 20) {
		snprintf(why, whysize, "the body is not XML the mock reads (%zu bytes)", len);
		return NULL;
	}
	ctx = xmlNewParserCtxt();
	if (!ctx) {
		snprintf(why, whysize, "out of memory reading XML");
		return NULL;
	}
	doc = xmlCtxtReadMemory(ctx, body ? body : "", (int)len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root) {
		const char *msg = ctx->lastError.message;
		size_t n = msg ? strcspn(msg, "\n") : 0;

		snprintf(why, whysize, "the body is not XML (%.*s at line %d)", (int)(n > 120 ? 120 : n),
			 msg ? msg : "no root element", ctx->lastError.line);
	} else if (!(v = element(root, 0))) {
		snprintf(why, whysize, "the body is not XML the walker reads (nested deeper than %d)", XML_DEPTH_MAX);
	} else {
		tree = json_object();
		json_object_set_new(tree, (const char *)root->name, v);
	}
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctx);
	return tree;
}

static int write_value(xmlNode *parent, const char *name, json_t *v);

static int write_members(xmlNode *n, json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
		if (write_value(n, key, v))
			return -1;
	return 0;
}

/* One member as an element: an array as the element repeated. */
static int write_value(xmlNode *parent, const char *name, json_t *v)
{
	char num[64];
	const char *text = NULL;
	xmlNode *n;
	size_t i;
	json_t *item;

	if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			if (write_value(parent, name, item))
				return -1;
		return 0;
	}
	if (json_is_string(v))
		text = json_string_value(v);
	else if (json_is_integer(v))
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v)), text = num;
	else if (json_is_real(v))
		snprintf(num, sizeof(num), "%.17g", json_real_value(v)), text = num;
	else if (json_is_boolean(v))
		text = json_is_true(v) ? "true" : "false";
	n = xmlNewTextChild(parent, NULL, (const xmlChar *)name, (const xmlChar *)text);
	if (!n)
		return -1;
	return json_is_object(v) ? write_members(n, v) : 0;
}

static char *xml_dump(json_t *tree)
{
	xmlDocPtr doc;
	xmlNode *root;
	xmlChar *buf = NULL;
	const char *name;
	json_t *v;
	char *out = NULL;
	int len = 0;

	pthread_once(&once, init);
	if (json_is_object(tree) && !json_object_size(tree))
		return strdup(""); /* no root element: no document */
	if (!json_is_object(tree) || json_object_size(tree) != 1)
		return NULL;
	doc = xmlNewDoc((const xmlChar *)"1.0");
	json_object_foreach(tree, name, v) {
		root = xmlNewDocNode(doc, NULL, (const xmlChar *)name, NULL);
		xmlDocSetRootElement(doc, root);
		if (!json_is_object(v))
			xmlNodeSetContent(root, NULL), xmlNodeAddContent(root, (const xmlChar *)(json_is_string(v) ?
												json_string_value(v) : ""));
		else if (write_members(root, v))
			goto out;
	}
	xmlDocDumpMemoryEnc(doc, &buf, &len, "UTF-8");
	if (buf && (out = malloc((size_t)len + 1))) {
		memcpy(out, buf, (size_t)len);
		out[len] = '\0';
	}
out:
	xmlFree(buf);
	xmlFreeDoc(doc);
	return out;
}

static int name_ok(const char *s)
{
	return xmlValidateName((const xmlChar *)s, 0) == 0 && !strchr(s, ':');
}

/* Every key an element name; no array of arrays (an element repeats, a list
 * of lists has no XML form). */
static int xml_valid_in(json_t *t, char *why, size_t whysize)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_object(t)) {
		json_object_foreach(t, key, v) {
			if (strcmp(key, "{{extra}}") && !name_ok(key)) {
				snprintf(why, whysize, "'%.60s' is not an XML element name", key);
				return -1;
			}
			if (xml_valid_in(v, why, whysize))
				return -1;
		}
	} else if (json_is_array(t)) {
		json_array_foreach(t, i, v) {
			if (json_is_array(v)) {
				snprintf(why, whysize, "an XML envelope cannot hold an array in an array");
				return -1;
			}
			if (xml_valid_in(v, why, whysize))
				return -1;
		}
	}
	return 0;
}

static int xml_valid(json_t *tmpl, char *why, size_t whysize)
{
	const char *key;
	json_t *v;

	if (json_object_size(tmpl) != 1) {
		snprintf(why, whysize, "an XML envelope is one root element: an object with one member, not %zu",
			 json_object_size(tmpl));
		return -1;
	}
	json_object_foreach(tmpl, key, v)
		if (json_is_array(v)) {
			snprintf(why, whysize, "the root element '%.60s' cannot repeat", key);
			return -1;
		}
	return xml_valid_in(tmpl, why, whysize);
}

const struct body_kind body_xml = { "xml", "envelope.xml", "XML", xml_parse, xml_dump, xml_valid };
