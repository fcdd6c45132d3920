/*
 * XML escaping for JUnit: markup escaped, characters XML 1.0 forbids and
 * invalid UTF-8 replaced, valid UTF-8 kept, "]]>" harmless (no CDATA used).
 */
#include "test.h"
#include "../../harness/report.h"

static const struct {
	const char *in, *out, *what;
} cases[] = {
	{ "a<b>&\"c'", "a&lt;b&gt;&amp;&quot;c&apos;", "markup is escaped" },
	{ "tab\tnl\ncr\r", "tab\tnl\ncr\r", "tab, LF and CR are kept" },
	{ "nul\x01" "bell\x07" "esc\x1b", "nul\xef\xbf\xbd" "bell\xef\xbf\xbd" "esc\xef\xbf\xbd", "C0 controls become U+FFFD" },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "valid UTF-8 is kept" },
	{ "bad\xff\xfe", "bad\xef\xbf\xbd\xef\xbf\xbd", "invalid bytes become U+FFFD" },
	{ "over\xc0\xaf", "over\xef\xbf\xbd\xef\xbf\xbd", "an overlong encoding is invalid" },
	{ "sur\xed\xa0\x80", "sur\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", "a UTF-16 surrogate is invalid" },
	{ "x]]>y", "x]]&gt;y", "]]> cannot end anything" },
};

int main(void)
{
	struct tap t;
	size_t i;

	tap_init(&t, stdout, TAP_VERSION_TESTS);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		xml_escape(f, cases[i].in);
		fclose(f);
		tap_ok(&t, buf && !strcmp(buf, cases[i].out), "%s", cases[i].what);
		free(buf);
	}
	return tap_done(&t) ? 1 : 0;
}
