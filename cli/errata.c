/*
 * bin/errata: parse the first argument, hand the rest to a subcommand.
 */
#include <math.h>
#include <stdarg.h>
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
	"  contract import DOC       read an error reference page and write a contract\n"
	"  contract diff OLD NEW     list changes, breaking ones marked (exit 1 if any)\n"
	"  contract docs ID|FILE     render a contract as a Markdown or HTML reference\n"
	"  serve [options]           the mock: serve every documented error on demand\n"
	"  check [options]           verify an API against its contract (TAP, JUnit, HTML)\n"
	"  client [options] -- CMD   prove that a client handles every documented error\n"
	"  proxy [options]           in front of a real API: pass through, inject, judge\n"
	"\n"
	"Run 'errata <command> --help' for a command's options.\n";

int parse_seconds(const char *v, double max, double *out)
{
	char extra;

	return sscanf(v, "%lf%c", out, &extra) == 1 && isfinite(*out) && *out > 0 && *out <= max ? 0 : -1;
}

int parse_rate(const char *v, double *per_second)
{
	char unit = 's', extra;
	double n;
	int got = sscanf(v, "%lf/%c%c", &n, &unit, &extra);

	if ((got != 1 && got != 2) || !isfinite(n) || n <= 0 || n > 1e6 || (got == 1 && strchr(v, '/')))
		return -1;
	switch (unit) {
	case 's': *per_second = n; return 0;
	case 'm': *per_second = n / 60; return 0;
	case 'h': *per_second = n / 3600; return 0;
	default: return -1;
	}
}

int usage_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "errata %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'errata %s --help' for the options)\n", cmd);
	return 2;
}

int opt_in(const char *a, const char *const *names)
{
	for (; *names; names++)
		if (!strcmp(a, *names))
			return 1;
	return 0;
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
	if (!strcmp(argv[1], "proxy"))
		return cmd_proxy(argc - 1, argv + 1);
	fprintf(stderr, "errata: unknown command '%s'\n(see 'errata --help' for the commands)\n", argv[1]);
	return 2;
}
