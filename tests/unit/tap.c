/*
 * The TAP writer against golden output: escaping, directives, YAML blocks,
 * subtests, and a plan at the end.
 */
#include "test.h"

static const char golden[] =
	"TAP version 14\n"
	"ok 1 - plain\n"
	"not ok 2 - hash \\# and backslash \\\\ and newline gone\n"
	"  ---\n"
	"  \"expected\": 429\n"
	"  \"got\": \"a \\\"quoted\\\"\\nline\"\n"
	"  ...\n"
	"ok 3 - skipped # SKIP does not apply \\# here\n"
	"not ok 4 - known # TODO later\n"
	"# Subtest: child \\#1\n"
	"    1..1\n"
	"    ok 1 - inner\n"
	"ok 5 - child \\#1\n"
	"# a comment with a newline\n"
	"1..5\n";

int main(void)
{
	struct tap t, out, child;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *y = json_pack("{s:i,s:s}", "expected", 429, "got", "a \"quoted\"\nline");
	int failed;

	tap_init(&out, f, TAP_VERSION);
	tap_ok(&out, 1, "plain");
	tap_ok(&out, 0, "hash # and backslash \\ and newline\ngone");
	tap_yaml(&out, y);
	tap_skip(&out, "does not apply # here", "skipped");
	tap_todo(&out, 0, "later", "known");
	tap_subtest(&child, &out, "child #1");
	tap_plan(&child, 1);
	tap_ok(&child, 1, "inner");
	tap_ok(&out, tap_done(&child) == 0, "child #1");
	tap_diag(&out, "a comment\nwith a newline");
	failed = tap_done(&out);
	fclose(f);
	json_decref(y);

	tap_init(&t, stdout, TAP_VERSION_TESTS);
	if (!tap_ok(&t, buf && !strcmp(buf, golden), "the writer's output equals the golden stream"))
		tap_diag(&t, "got: %s", buf);
	tap_ok(&t, failed == 1, "one failure counted: the TODO is not one (got %d)", failed);
	free(buf);
	return tap_done(&t) ? 1 : 0;
}
