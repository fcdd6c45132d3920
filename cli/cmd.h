#ifndef ERRATA_CMD_H
#define ERRATA_CMD_H
/*
 * Subcommands of bin/errata. Each takes the arguments after its own name
 * and returns the process exit status. cli/ is the top floor: it may use
 * every room (harness, mock, import, model); none uses it.
 */
int cmd_contract(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_client(int argc, char **argv);
int cmd_proxy(int argc, char **argv);

/* errata contract import|diff|docs (cmd_contract_tools.c): the arguments
 * after the subcommand's name. */
int contract_import_cmd(int argc, char **argv);
int contract_diff_cmd(int argc, char **argv);
int contract_docs_cmd(int argc, char **argv);

/* 1 when argv[i] is -h or --help. */
int is_help(const char *arg);

/* A finite number of seconds in (0, max], the whole argument: 0, or -1 (no
 * NaN, no infinity, nothing after it). */
int parse_seconds(const char *v, double max, double *out);

/* A usage error: "errata CMD: <message>" and where the options are, on
 * stderr. Returns 2, the exit status. */
int usage_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 1 when `a` is one of the NULL-terminated `names`. */
int opt_in(const char *a, const char *const *names);

/*
 * Request rate "N/s", "N/m" or "N/h" (N from 1 to 1000000, a bare N is per
 * second), as requests per second. 0, or -1.
 */
int parse_rate(const char *v, double *per_second);

/* --- reports.c: the report options of check and client --- */
#include "../harness/report.h"
#include "../harness/baseline.h"
#include "../harness/formats.h"

struct report_opts {
	const char *file[REPORT_MAX_FORMATS]; /* by row of report_formats */
	const char *name;
	int tap_version;
};

void report_opts_init(struct report_opts *o);

/* 1 when `a` (with value v) was a report option, 0 when it is not one,
 * -1 after a usage error was printed. */
int report_option(struct report_opts *o, const char *a, const char *v, const char *cmd);

/* 1 when `a` is a report option (it takes a value). */
int report_takes(const char *a);

/* The usage text, its "@formats" line replaced by a line per format. */
void report_usage(FILE *out, const char *usage);

/* Write every report asked for (TAP to stdout when none), then each failing
 * check as a line on stderr. 0, or -1 when a report could not be written. */
int report_write_all(const struct report_opts *o, const struct check_run *run,
		     struct report_meta *meta);

/* A document read whole ("-": standard input), NUL-terminated, at most
 * 64 MiB: a new buffer, or NULL (said). */
char *read_all(const char *path, size_t *len);

#endif
