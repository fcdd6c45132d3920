/*
 * errata client: prove that a client SDK handles every documented error.
 * Each scenario gets its own in-process mock; the client command runs with
 * ERRATA_BASE_URL and friends and is judged from the mock's journal, its
 * exit and its output. Exit codes as errata check's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "../model/redact.h"
#include "../harness/client.h"
#include "../harness/report.h"

static const char usage[] =
	"usage: errata client --contract ID|FILE [--scenario NAME|FILE]... [--jobs N]\n"
	"                     [--tap FILE|-] [--tap-version 13|14] [--junit FILE] [--html FILE]\n"
	"                     [--name NAME] [--timeout S] [--list] -- COMMAND [ARGS...]\n"
	"\n"
	"Runs COMMAND once per scenario against an isolated mock, with ERRATA_BASE_URL,\n"
	"ERRATA_CONTRACT, ERRATA_CONTRACT_FILE, ERRATA_SCENARIO, ERRATA_METHOD,\n"
	"ERRATA_PATH and ERRATA_BODY set: the one operation the client should perform.\n"
	"\n"
	"  --scenario NAME|FILE  run only the named scenarios of the standard suite (a name\n"
	"                        such as 'retry RATE_LIMITED', or a prefix such as 'fault'), or\n"
	"                        a scenario file (fixtures/README.md); repeatable\n"
	"  --jobs N              scenarios in parallel (default: one per core)\n"
	"  --timeout S           seconds each client run may take (default 30)\n"
	"  --list                print the suite and exit\n"
	"  --tap FILE|-          TAP (default: stdout when no other report is asked for)\n"
	"  --tap-version 13|14   the TAP version declared (default 14; 13 for Debian 12's prove)\n"
	"  --junit FILE          JUnit XML\n"
	"  --html FILE           one self-contained HTML page: each scenario's attempts on a\n"
	"                        time axis, the Retry-After windows shaded, and the verdicts\n"
	"  --name NAME           the suite's name in the reports (default: '<id> with <command>')\n"
	"\n"
	"On a terminal a progress line shows the scenarios done and the time spent.\n"
	"Each failing check is also printed on stderr as one line.\n"
	"Exit: 0 all passed; 1 a check failed or could not run; 2 usage.\n";

static const char *const valued[] = { "--contract", "--scenario", "--jobs", "--timeout",
				      REPORT_OPTIONS, NULL };

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

static const char *const expect_names[] = { "retry", "no retry", "backoff", "fault" };

int cmd_client(int argc, char **argv)
{
	struct client_config cfg = { 0 };
	struct redactor red = { 0 };
	char *cmd_shown = NULL;
	struct client_suite suite;
	struct check_run run;
	struct fixtures cases;
	struct load_error err;
	const char *contract = NULL;
	struct report_opts ro;
	struct report_meta meta = { .tool = "client" };
	char *names[64], *files[64], msg[700];
	size_t nr_names = 0, nr_files = 0, i;
	int list = 0, rc = 2, cmd_at = -1;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	report_opts_init(&ro);
	cfg.timeout_s = 30;
	cfg.jobs = cores > 0 ? (unsigned)cores : 1;
	client_suite_init(&suite);
	for (i = 1; i < (size_t)argc; i++) {
		const char *a = argv[i], *v = i + 1 < (size_t)argc ? argv[i + 1] : NULL;
		char extra;
		unsigned x;
		double s;
		int r;

		if (!strcmp(a, "--")) {
			cmd_at = (int)i + 1;
			break;
		}
		if (is_help(a)) {
			fputs(usage, stdout);
			rc = 0;
			goto out;
		}
		if (!strcmp(a, "--list")) {
			list = 1;
			continue;
		}
		if (!opt_in(a, valued)) {
			rc = usage_fail("client", a[0] == '-' ? "unknown option '%s'" :
					"'%s' is not an option (the client command goes after --)", a);
			goto out;
		}
		if (!v) {
			rc = usage_fail("client", "'%s' needs a value", a);
			goto out;
		}
		i++;
		if ((r = report_option(&ro, a, v, "client"))) {
			if (r < 0)
				goto out;
			continue;
		}
		if (!strcmp(a, "--contract")) {
			contract = v;
		} else if (!strcmp(a, "--scenario")) {
			size_t n = strlen(v);

			if (nr_names + nr_files >= 64) {
				usage_fail("client", "too many --scenario (at most 64)");
				goto out;
			}
			if (strchr(v, '/') || (n > 5 && !strcmp(v + n - 5, ".json")))
				files[nr_files++] = (char *)v;
			else
				names[nr_names++] = (char *)v;
		} else if (!strcmp(a, "--jobs")) {
			if (sscanf(v, "%u%c", &x, &extra) != 1 || !x || x > 64) {
				usage_fail("client", "--jobs '%s' is not 1 to 64", v);
				goto out;
			}
			cfg.jobs = x;
		} else if (!strcmp(a, "--timeout")) {
			if (parse_seconds(v, 3600, &s)) {
				usage_fail("client", "--timeout '%s' is not seconds (up to 3600)", v);
				goto out;
			}
			cfg.timeout_s = s;
		}
	}
	if (!contract) {
		usage_fail("client", "--contract is required");
		goto out;
	}
	if (!list && (cmd_at < 0 || cmd_at >= argc)) {
		usage_fail("client", "give the client command after --");
		goto out;
	}
	cfg.contract = contract_open(contract, &err);
	if (!cfg.contract) {
		load_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
		goto out;
	}
	if (!nr_files || nr_names)
		client_suite_standard(&suite, cfg.contract);
	if (nr_names && !client_suite_filter(&suite, names, nr_names)) {
		fprintf(stderr, "errata client: no scenario of the standard suite is named '%s' (see --list)\n", names[0]);
		goto out;
	}
	if (nr_files && !nr_names)
		client_suite_release(&suite);
	for (i = 0; i < nr_files; i++)
		if (client_suite_load(&suite, files[i], cfg.contract, &err)) {
			load_error_format(&err, msg, sizeof(msg));
			fprintf(stderr, "%s\n", msg);
			goto out;
		}
	if (list) {
		for (i = 0; i < suite.nr; i++)
			printf("%-9s %s\n", expect_names[suite.v[i].expect], suite.v[i].name);
		rc = 0;
		goto out;
	}
	cfg.command = argv + cmd_at;
	cfg.progress = isatty(2);
	/* a client gets its credentials from the environment: whatever it prints
	 * of them is scrubbed from every report */
	redactor_init(&red);
	if (redactor_add_env(&red, environ)) {
		fprintf(stderr, "errata client: out of memory\n");
		goto out;
	}
	cfg.redactor = &red;
	cmd_shown = command_line(&red, cfg.command);
	client_run(&run, &cfg, &suite, &cases);
	meta.command = cmd_shown ? cmd_shown : "?";
	if (report_write_all(&ro, &run, &meta)) {
		rc = 1;
		goto done;
	}
	rc = run.failed || run.errors ? 1 : 0;
	fprintf(stderr, "errata client: %s with %s: %zu scenarios; %zu passed, %zu failed, %zu errors, %zu skipped; %.2f s\n",
		cfg.contract->id, cmd_shown ? cmd_shown : "?", run.nr, run.passed, run.failed, run.errors, run.skipped, run.seconds);
done:
	check_run_release(&run);
	fixtures_release(&cases);
out:
	client_suite_release(&suite);
	contract_free(cfg.contract);
	redactor_release(&red);
	free(cmd_shown);
	return rc;
}
