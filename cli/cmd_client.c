/*
 * errata client: prove that a client SDK handles every documented error.
 * Each scenario gets its own in-process mock; the client command runs with
 * ERRATA_BASE_URL and friends and is judged from the mock's journal, its
 * exit and its output. Exit codes as errata check's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "../model/redact.h"
#include "../harness/client.h"
#include "../harness/report.h"

static const char usage[] =
	"usage: errata client --contract ID|FILE [--scenario NAME|=NAME|FILE]... [--operation 'METHOD /path']...\n"
	"                     [--jobs N] [--timeout S] [--host-url] [--long-waits] [--list]\n"
	"                     [--FORMAT FILE]... [--tap-version 13|14]\n"
	"                     [--baseline FILE] [--write-baseline FILE] [--name NAME] -- COMMAND [ARGS...]\n"
	"\n"
	"Runs COMMAND once per scenario against an isolated mock, with ERRATA_BASE_URL,\n"
	"ERRATA_CONTRACT, ERRATA_CONTRACT_FILE, ERRATA_SCENARIO, ERRATA_METHOD,\n"
	"ERRATA_PATH and ERRATA_BODY set: the one operation the client should perform;\n"
	"ERRATA_STREAM=1 for the stream family (the client streams its call).\n"
	"\n"
	"  --scenario NAME       run only these scenarios of the standard suite: 'retry RATE_LIMITED'\n"
	"                        (that one, on each operation), '=NAME' (that name exactly), a\n"
	"                        family such as 'fault', or a scenario file (fixtures/README.md);\n"
	"                        repeatable\n"
	"  --operation 'GET /v1/models'  the operation the client performs (repeatable: the suite\n"
	"                        runs for each); default: an operation of the contract's that\n"
	"                        documents each error, else POST /v1/errata-probe\n"
	"  --host-url            ERRATA_BASE_URL is http://127.0.0.1:PORT, without the contract's\n"
	"                        path (for SDKs that take only a host and a port)\n"
	"  --jobs N              scenarios at once, 1 to 256 (default: enough for the scenarios to\n"
	"                        wait in parallel); clients start one per core at a time, the\n"
	"                        longest scenarios first, and a start ends at the first request\n"
	"  --timeout S           seconds each client run may take (default: each scenario's own,\n"
	"                        long enough for a correct client: 30 s plus twice its wait, 90 s\n"
	"                        for a backoff)\n"
	"  --long-waits          also each long wait with Retry-After: 75, watched 80 s: catches\n"
	"                        a client that caps Retry-After at 60 s (the default watch is 5 s)\n"
	"  --list                print the suite and exit\n"
	"@formats\n"
	"  --tap-version 13|14   the TAP version declared (default 14; 13 for Debian 12's prove)\n"
	"                        (the HTML report draws each scenario's attempts on a time axis,\n"
	"                        the Retry-After windows shaded; the JSON one has every check's\n"
	"                        evidence: attempt times, gaps, keys, statuses, headers sent)\n"
	"  --write-baseline FILE the run's failing checks, as a baseline\n"
	"  --baseline FILE       failures it lists are known: reported (TAP TODO, JUnit skipped),\n"
	"                        not failing the run; new ones fail it; fixed ones are printed\n"
	"  --name NAME           the suite's name in the reports (default: '<id> with <command>')\n"
	"\n"
	"On a terminal a progress line shows the scenarios done and the time spent.\n"
	"Each failing check is also printed on stderr as one line.\n"
	"Exit: 0 all passed (or failed only as the baseline knows); 1 a new failure, or a\n"
	"check could not run; 2 usage.\n";

static const char *const valued[] = { "--contract", "--scenario", "--jobs", "--timeout", "--operation",
				      "--baseline", "--write-baseline", NULL };

/* The command as one line, redacted (its credentials never shown), cut on a
 * character. NULL when out of memory. */
static char *command_line(const struct redactor *red, char *const *argv)
{
	char *out = NULL, *safe;
	size_t len = 0, i;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	for (i = 0; argv[i]; i++)
		fprintf(f, "%s%s", i ? " " : "", argv[i]);
	if (fclose(f)) {
		free(out);
		return NULL;
	}
	safe = redact_evidence(red, out, len, 400);
	free(out);
	return safe;
}

struct client_args {
	const char *contract, *baseline, *write_baseline;
	char *names[64], *files[64];
	size_t nr_names, nr_files;
	struct suite_op ops[64];
	size_t nr_ops;
	int list, cmd_at, jobs_given, long_waits;
};

/* One valued option of client's own; 0, or 2 after a usage error. */
static int client_option(struct client_args *a, struct client_config *cfg, const char *o, const char *v)
{
	char extra, why[300];
	unsigned x;
	double s;

	if (!strcmp(o, "--contract")) {
		a->contract = v;
	} else if (!strcmp(o, "--scenario")) {
		size_t n = strlen(v);

		if (a->nr_names + a->nr_files >= 64)
			return usage_fail("client", "too many --scenario (at most 64)");
		if (v[0] != '=' && (strchr(v, '/') || (n > 5 && !strcmp(v + n - 5, ".json"))))
			a->files[a->nr_files++] = (char *)v;
		else if (v[0] == '=' && !v[1])
			return usage_fail("client", "--scenario '=' needs a name after the '='");
		else
			a->names[a->nr_names++] = (char *)v;
	} else if (!strcmp(o, "--operation")) {
		if (a->nr_ops >= 64)
			return usage_fail("client", "too many --operation (at most 64)");
		if (suite_op_parse(v, &a->ops[a->nr_ops], why, sizeof(why)))
			return usage_fail("client", "--operation: %s", why);
		a->nr_ops++;
	} else if (!strcmp(o, "--jobs")) {
		if (sscanf(v, "%u%c", &x, &extra) != 1 || !x || x > 256)
			return usage_fail("client", "--jobs '%s' is not 1 to 256", v);
		cfg->jobs = x;
		a->jobs_given = 1;
	} else if (!strcmp(o, "--timeout")) {
		if (parse_seconds(v, 3600, &s) || s <= 0)
			return usage_fail("client", "--timeout '%s' is not seconds (up to 3600)", v);
		cfg->timeout_s = s;
	} else if (!strcmp(o, "--baseline")) {
		a->baseline = v;
	} else if (!strcmp(o, "--write-baseline")) {
		a->write_baseline = v;
	}
	return 0;
}

/* The command line into a and cfg; -1 to go on, else the exit status. */
static int client_parse(int argc, char **argv, struct client_args *a, struct client_config *cfg,
			struct report_opts *ro)
{
	size_t i;
	int r;

	for (i = 1; i < (size_t)argc; i++) {
		const char *o = argv[i], *v = i + 1 < (size_t)argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--")) {
			a->cmd_at = (int)i + 1;
			break;
		}
		if (is_help(o)) {
			report_usage(stdout, usage);
			return 0;
		}
		if (!strcmp(o, "--list") || !strcmp(o, "--host-url") || !strcmp(o, "--long-waits")) {
			*(!strcmp(o, "--list") ? &a->list : !strcmp(o, "--host-url") ? &cfg->root_url : &a->long_waits) = 1;
			continue;
		}
		if (!opt_in(o, valued) && !report_takes(o))
			return usage_fail("client", o[0] == '-' ? "unknown option '%s'" :
					  "'%s' is not an option (the client command goes after --)", o);
		if (!v)
			return usage_fail("client", "'%s' needs a value", o);
		i++;
		if ((r = report_option(ro, o, v, "client")) < 0)
			return 2;
		if (r == 0 && client_option(a, cfg, o, v))
			return 2;
	}
	if (!a->contract)
		return usage_fail("client", "--contract is required");
	if (!a->list && (a->cmd_at < 0 || a->cmd_at >= argc))
		return usage_fail("client", "give the client command after --");
	return -1;
}

/* The suite the options ask for; 0, or 2 with the reason printed. */
static int client_build(struct client_args *a, struct suite *suite, const struct contract *c)
{
	struct load_error err;
	char msg[700];
	size_t i;

	if ((!a->nr_files || a->nr_names) && (suite_standard(suite, c, a->ops, a->nr_ops) ||
					       (a->long_waits && suite_long_watch(suite)))) {
		fprintf(stderr, "errata client: out of memory\n");
		return 2;
	}
	if (a->nr_names && !suite_filter(suite, a->names, a->nr_names)) {
		fprintf(stderr, "errata client: no scenario of the standard suite is named '%s' (see --list)\n",
			a->names[0]);
		return 2;
	}
	if (a->nr_files && !a->nr_names)
		suite_release(suite);
	for (i = 0; i < a->nr_files; i++)
		if (suite_load(suite, a->files[i], c, &err)) {
			load_error_format(&err, msg, sizeof(msg));
			fprintf(stderr, "%s\n", msg);
			return 2;
		}
	return 0;
}

static void client_list(const struct suite *s)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		printf("%-9s %-60s %s %s\n", suite_expect_name(s->v[i].expect), s->v[i].name, s->v[i].method,
		       s->v[i].path);
}

/* Reports, the baseline, the summary; the exit status. */
static int client_finish(struct client_args *a, struct check_run *run, const struct report_opts *ro,
			 struct report_meta *meta)
{
	struct baseline_outcome bo = { 0 };
	char why[700];
	int rc = 0;

	if (a->baseline && baseline_apply(a->baseline, run, &bo, stderr, "client", why, sizeof(why))) {
		fprintf(stderr, "errata client: --baseline: %s\n", why);
		rc = 1;
	}
	if (a->write_baseline && baseline_write(a->write_baseline, run)) {
		fprintf(stderr, "errata client: cannot write the baseline '%s': %s\n", a->write_baseline, strerror(errno));
		rc = 1;
	}
	if (report_write_all(ro, run, meta))
		rc = 1;
	if (run->failed || run->errors)
		rc = 1;
	fprintf(stderr, "errata client: %s with %s: %zu scenarios; %zu passed, %zu failed, %zu errors, %zu skipped; %.2f s\n",
		run->cfg.contract->id, meta->command, run->nr, run->passed, run->failed, run->errors, run->skipped,
		run->seconds);
	if (a->baseline && !rc)
		fprintf(stderr, "errata client: baseline: %zu known failures, %zu new, %zu fixed, %zu not run\n",
			bo.known, bo.fresh, bo.fixed, bo.absent);
	else if (a->baseline)
		fprintf(stderr, "errata client: baseline: %zu known failures, %zu new, %zu fixed, %zu not run\n",
			bo.known, bo.fresh, bo.fixed, bo.absent);
	return rc;
}

int cmd_client(int argc, char **argv)
{
	struct client_config cfg = { 0 };
	struct client_args a = { .cmd_at = -1 };
	struct redactor red = { 0 };
	struct suite suite;
	struct check_run run;
	struct fixtures cases;
	struct load_error err;
	struct report_opts ro;
	struct report_meta meta = { .tool = "client" };
	char *cmd_shown = NULL, msg[700];
	int rc;

	report_opts_init(&ro);
	suite_init(&suite);
	redactor_init(&red);
	if ((rc = client_parse(argc, argv, &a, &cfg, &ro)) >= 0)
		goto out;
	rc = 2;
	cfg.contract = contract_open(a.contract, &err);
	if (!cfg.contract) {
		load_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
		goto out;
	}
	if ((rc = client_build(&a, &suite, cfg.contract)))
		goto out;
	if (a.list) {
		client_list(&suite);
		goto out;
	}
	if (!a.jobs_given)
		cfg.jobs = client_default_jobs(suite.nr);
	cfg.command = argv + a.cmd_at;
	cfg.progress = isatty(2);
	/* a client gets its credentials from the environment: whatever it prints
	 * of them is scrubbed from every report */
	if (redactor_add_env(&red, environ)) {
		fprintf(stderr, "errata client: out of memory\n");
		goto out;
	}
	cfg.redactor = &red;
	cmd_shown = command_line(&red, cfg.command);
	meta.command = cmd_shown ? cmd_shown : "?";
	client_run(&run, &cfg, &suite, &cases);
	rc = client_finish(&a, &run, &ro, &meta);
	check_run_release(&run);
	fixtures_release(&cases);
out:
	suite_release(&suite);
	contract_free(cfg.contract);
	redactor_release(&red);
	free(cmd_shown);
	return rc;
}
