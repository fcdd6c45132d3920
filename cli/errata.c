/*
 * bin/errata: parse the first argument, hand the rest to a subcommand.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "../model/version.h"

static const char usage[] =
	"usage: errata [--help] [--version] <command> [<args>]\n"
	"\n"
	"commands:\n"
	"  contract lint FILE...     validate contracts (exit 1 if any is invalid)\n"
	"  contract show ID|FILE     print a contract's codes as a table\n"
	"  serve [options]           the mock: serve every documented error on demand\n"
	"  check [options]           verify an API against its contract (TAP 14, JUnit)\n"
	"  client [options] -- CMD   prove that a client handles every documented error\n"
	"\n"
	"Run 'errata <command> --help' for a command's options.\n";

int parse_seconds(const char *v, double max, double *out)
{
	char extra;

	return sscanf(v, "%lf%c", out, &extra) == 1 && isfinite(*out) && *out > 0 && *out <= max ? 0 : -1;
}

int is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	if (is_help(argv[1])) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("errata %s\n", ERRATA_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "contract"))
		return cmd_contract(argc - 1, argv + 1);
	if (!strcmp(argv[1], "serve"))
		return cmd_serve(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(argv[1], "client"))
		return cmd_client(argc - 1, argv + 1);
	fprintf(stderr, "errata: unknown command '%s'\n\n%s", argv[1], usage);
	return 2;
}
