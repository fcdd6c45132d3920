/*
 * The TAP, JUnit and HTML writers with arbitrary bytes in case names,
 * messages and evidence (client attempts among it, with arbitrary times and
 * Retry-After values): the TAP must still parse (plans match their test
 * points, every '#' in a description is escaped, YAML blocks are closed),
 * the JUnit must be well-formed XML, read here by libxml2, and the HTML
 * must hold no element but the writer's own: no input becomes markup.
 */
#include <ctype.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>

#include "fuzz.h"
#include "../harness/check.h"
#include "../harness/report.h"
#include "../harness/baseline.h"
#include "../model/utf8.h"

#define LEVELS 8

/* Is every line of a TAP stream one a TAP 14 parser accepts? */
static int tap_valid(char *text, char *why, size_t size)
{
	int plan[LEVELS], count[LEVELS], lvl, yaml = -1, k, first = 1;
	char *line, *save = NULL;

	for (k = 0; k < LEVELS; k++)
		plan[k] = count[k] = -1;
	plan[0] = count[0] = -1;
	count[0] = 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t ind = strspn(line, " ");
		const char *rest = line + ind;

		if (yaml >= 0) {
			if (ind == (size_t)yaml && !strcmp(rest, "..."))
				yaml = -1;
			else if (ind < (size_t)yaml) {
				snprintf(why, size, "a YAML block is not closed before '%.60s'", line);
				return 0;
			}
			continue;
		}
		if (ind % 4 == 2 && !strcmp(rest, "---")) {
			yaml = (int)ind;
			continue;
		}
		if (ind % 4) {
			snprintf(why, size, "indented by %zu: '%.60s'", ind, line);
			return 0;
		}
		lvl = (int)(ind / 4);
		if (lvl >= LEVELS - 1)
			return 1;
		/* lines at a shallower level close the deeper ones */
		for (k = LEVELS - 1; k > lvl; k--) {
			if (count[k] >= 0 && plan[k] != count[k]) {
				snprintf(why, size, "a subtest planned %d and ran %d", plan[k], count[k]);
				return 0;
			}
			if (k > lvl)
				plan[k] = count[k] = -1;
		}
		if (count[lvl] < 0)
			count[lvl] = 0;
		if (first && !strncmp(rest, "TAP version ", 12)) {
			first = 0;
			continue;
		}
		first = 0;
		if (!strncmp(rest, "# Subtest: ", 11)) {
			count[lvl + 1] = 0;
			plan[lvl + 1] = -1;
			continue;
		}
		if (rest[0] == '#' || !strncmp(rest, "Bail out!", 9))
			continue;
		if (isdigit((unsigned char)rest[0])) {
			int a, b;
			char tail;

			if (sscanf(rest, "%d..%d%c", &a, &b, &tail) != 2 || a != 1) {
				snprintf(why, size, "a bad plan '%.60s'", rest);
				return 0;
			}
			plan[lvl] = b;
			continue;
		}
		if (!strncmp(rest, "ok ", 3) || !strncmp(rest, "not ok ", 7)) {
			const char *p = rest + (rest[0] == 'n' ? 7 : 3), *h;
			int num = atoi(p);

			if (num != count[lvl] + 1) {
				snprintf(why, size, "test point %d after %d", num, count[lvl]);
				return 0;
			}
			count[lvl]++;
			for (h = p; (h = strchr(h, '#')); h++)
				if (h[-1] != '\\')
					break;
			if (h && strncasecmp(h, "# SKIP", 6) && strncasecmp(h, "# TODO", 6)) {
				snprintf(why, size, "an unescaped '#' in '%.60s'", rest);
				return 0;
			}
			continue;
		}
		snprintf(why, size, "not a TAP line: '%.60s'", line);
		return 0;
	}
	if (yaml >= 0) {
		snprintf(why, size, "a YAML block never closed");
		return 0;
	}
	for (k = 0; k < LEVELS; k++)
		if (count[k] >= 0 && plan[k] != count[k]) {
			snprintf(why, size, "level %d planned %d and ran %d", k, plan[k], count[k]);
			return 0;
		}
	return 1;
}

/* Is every tag in the page one the HTML writer writes? */
static int html_tags_ours(const char *html, char *why, size_t size)
{
	static const char *const ours[] = { "!DOCTYPE", "html", "head", "meta", "title", "style", "body",
		"h1", "h2", "h3", "p", "code", "section", "table", "tr", "th", "td", "span", "svg", "rect",
		"text", "g", "line", "circle", "ul", "li", "a", "pre", "details", "summary", NULL };
	const char *p;

	for (p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
		const char *name = p + 1 + (p[1] == '/');
		size_t len = strcspn(name, " >/\n"), k;

		for (k = 0; ours[k]; k++)
			if (strlen(ours[k]) == len && !strncmp(name, ours[k], len))
				break;
		if (!ours[k]) {
			snprintf(why, size, "a tag the writer does not write: '%.40s'", p);
			return 0;
		}
	}
	return 1;
}

static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ids[] = { "status", "envelope.shape", "retry-after.valid", "expect", "request-id" };
	size_t n, i, k;
	struct contract **cs = fuzz_contracts(&n);
	char *s = fuzz_string(data, size), *parts[6] = { 0 }, *p = s, *tap = NULL, *xml = NULL, *html = NULL, *js = NULL, why[200];
	size_t tap_len = 0, xml_len = 0, html_len = 0, js_len = 0;
	struct report_meta meta = { 0 };
	struct fixture_case fc[2];
	struct case_result cr[2];
	struct check_result checks[2][5];
	struct check_run run;
	FILE *f;
	xmlDocPtr doc;

	xmlSetGenericErrorFunc(NULL, quiet);
	for (i = 0; i < 6; i++) {
		char *nl = strchr(p, '\n');

		parts[i] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	for (i = 0; i < 6; i++)
		if (!parts[i])
			parts[i] = "";
	memset(&run, 0, sizeof(run));
	memset(fc, 0, sizeof(fc));
	memset(cr, 0, sizeof(cr));
	run.cfg.contract = cs[size % n];
	run.results = cr;
	run.nr = 2;
	for (i = 0; i < 2; i++) {
		json_t *body = json_string(parts[5]);

		fc[i].name = parts[i];
		fc[i].source = parts[2];
		cr[i].fc = &fc[i];
		cr[i].checks = checks[i];
		cr[i].nr = 5;
		cr[i].evidence = json_pack("{s:s?,s:o}", "url", parts[3],
					   "body", body ? body : json_string("(not UTF-8)"));
		{ /* attempts from the input's bytes: any times, waits and labels */
			json_t *att = json_array();

			for (k = 0; k < 4 && k < size; k++)
				json_array_append_new(att, json_pack("{sf sf si ss* ss*}", "t_s",
					(double)(int8_t)data[k] / 7.0, "wait_s", (double)(int8_t)data[size - 1 - k] * 1e3,
					"status", (int)data[k] * 3 - 100, "retry_after", utf8_valid(parts[1], strlen(parts[1])) ? parts[1] : NULL,
					"fault", k % 2 && utf8_valid(parts[0], strlen(parts[0])) ? parts[0] : NULL));
			json_object_set_new(cr[i].evidence, "attempts", att);
		}
		for (k = 0; k < 5; k++) {
			checks[i][k].id = ids[k];
			checks[i][k].outcome = (enum outcome)((k + i + size) % 5);
			/* a baseline's known failures: TAP TODO, JUnit skipped, JSON "known" */
			checks[i][k].known = size % 3 == 0 && (checks[i][k].outcome == OUT_FAIL ||
								checks[i][k].outcome == OUT_ERROR);
			checks[i][k].message = parts[(k + i) % 6];
		}
	}
	meta.tool = size % 2 ? "client" : "check";
	meta.base_url = size % 2 ? NULL : parts[4];
	meta.command = size % 2 ? parts[4] : NULL;
	meta.name = size % 3 ? NULL : parts[3];
	meta.tap_version = size % 4 ? 14 : 13;
	f = open_memstream(&tap, &tap_len);
	report_tap(f, &run, &meta);
	fclose(f);
	f = open_memstream(&xml, &xml_len);
	report_junit(f, &run, &meta);
	fclose(f);
	f = open_memstream(&html, &html_len);
	report_html(f, &run, &meta);
	fclose(f);
	f = open_memstream(&js, &js_len);
	report_json(f, &run, meta.tool, meta.name, meta.command);
	fclose(f);
	{
		json_t *j = json_loadb(js, js_len, 0, NULL);

		/* names and messages reach it as UTF-8 (the runs make them so); jansson refuses other bytes */
		int utf8 = 1;

		for (i = 0; i < 6; i++)
			utf8 &= utf8_valid(parts[i], strlen(parts[i]));
		FUZZ_ASSERT(j || !utf8, "the JSON report does not parse");
		json_decref(j);
	}
	free(js);
	FUZZ_ASSERT(html_tags_ours(html, why, sizeof(why)), "HTML: %s", why);
	doc = htmlReadMemory(html, (int)html_len, "report.html", "UTF-8",
			     HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
	FUZZ_ASSERT(doc != NULL && xmlDocGetRootElement(doc) &&
		    !strcmp((const char *)xmlDocGetRootElement(doc)->name, "html"), "the HTML does not parse to <html>");
	xmlFreeDoc(doc);
	FUZZ_ASSERT(tap_valid(tap, why, sizeof(why)), "invalid TAP: %s", why);
	doc = xmlReadMemory(xml, (int)xml_len, "junit.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	FUZZ_ASSERT(doc != NULL, "the JUnit report is not well-formed XML");
	FUZZ_ASSERT(!strcmp((const char *)xmlDocGetRootElement(doc)->name, "testsuites"), "the root is not <testsuites>");
	xmlFreeDoc(doc);
	for (i = 0; i < 2; i++)
		json_decref(cr[i].evidence);
	free(tap);
	free(xml);
	free(html);
	free(s);
	return 0;
}
