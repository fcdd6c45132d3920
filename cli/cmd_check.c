/*
 * errata check: verify a live, staging or mock API against its contract and
 * write TAP 14 and JUnit reports. Exit 0 all passed, 1 a check failed or
 * could not run, 2 usage or a bad fixture, 3 the target is unreachable.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "../harness/check.h"
#include "../harness/http.h"
#include "../harness/report.h"

static const char usage[] =
	"usage: errata check --contract ID|FILE --base-url URL [--fixtures PATH]... [--all-codes]\n"
	"                    [--header 'Name: value']... [--FORMAT FILE]... [--tap-version 13|14]\n"
	"                    [--name NAME] [--jobs N] [--timeout S]\n"
	"                    [--deadline S] [--rate N/s|m|h] [--shard I/N] [--selector] [--burst]\n"
	"\n"
	"  --contract ID|FILE   a bundled contract id, or a contract file\n"
	"  --base-url URL       where the API (for the mock: .../<contract-id>) answers\n"
	"  --fixtures PATH      fixture file or folder (repeatable); default fixtures/<id>/\n"
	"                       unless --all-codes is given\n"
	"  --all-codes          ask for every documented code with X-Errata-Error and verify each\n"
	"  --header 'N: v'      sent with every request; ${VAR} takes the value from the\n"
	"                       environment, and such values are redacted everywhere\n"
	"@formats\n"
	"  --tap-version 13|14  the TAP version declared (default 14; 13 for Debian 12's prove)\n"
	"  --name NAME          the suite's name in the reports (default: '<id> at <host>')\n"
	"  --jobs N             cases run in parallel (default 4)\n"
	"  --timeout S          seconds per request (default 10)\n"
	"  --deadline S         no backoff on the target's 429/503 waits past this (default 300)\n"
	"  --rate N/s|m|h       at most N requests per second, minute or hour (default: no limit)\n"
	"  --shard I/N          run every Nth case, starting at the Ith\n"
	"  --selector           also send X-Errata-Error with each fixture's expected code,\n"
	"                       for targets that implement the selector (errata serve)\n"
	"  --burst              run burst cases, which spend quota\n"
	"\n"
	"Exit: 0 all passed; 1 a check failed or could not run; 2 usage or a bad fixture;\n"
	"3 the target is unreachable (the reason is printed). Each failing check is also\n"
	"printed on stderr as one line, whatever reports are written.\n";

static const char *const valued[] = { "--contract", "--base-url", "--fixtures", "--header", "--jobs",
				      "--timeout", "--deadline", "--rate", "--shard", NULL };

#define usage_error(...) usage_fail("check", __VA_ARGS__)

int cmd_check(int argc, char **argv)
{
	struct check_config cfg = { 0 };
	struct check_run run;
	struct fixtures fx;
	struct redactor red;
	struct load_error err;
	struct contract *c = NULL;
	struct report_opts ro;
	struct report_meta meta = { .tool = "check" };
	const char *contract = NULL, *base = NULL, *fixture_paths[64];
	char *headers[64], why[300], msg[700];
	size_t nr_fixtures = 0, i;
	int all_codes = 0, rc = 2;
	double rate;

	report_opts_init(&ro);
	cfg.headers = headers;
	cfg.timeout_ms = 10000;
	cfg.jobs = 4;
	fixtures_init(&fx);
	redactor_init(&red);
	cfg.redactor = &red;
	/* secrets in the environment (API_TOKEN, ...) are scrubbed too, however
	 * they reach a request: ${VAR} in --header, the shell, a fixture */
	if (redactor_add_env(&red, environ)) {
		fprintf(stderr, "errata check: out of memory\n");
		rc = 3;
		goto out;
	}
	for (i = 1; i < (size_t)argc; i++) {
		const char *a = argv[i], *v = i + 1 < (size_t)argc ? argv[i + 1] : NULL;
		char extra;
		unsigned x, y;
		int r;

		if (is_help(a)) {
			report_usage(stdout, usage);
			rc = 0;
			goto out;
		}
		if (!strcmp(a, "--all-codes")) { all_codes = 1; continue; }
		if (!strcmp(a, "--selector")) { cfg.selector = 1; continue; }
		if (!strcmp(a, "--burst")) { cfg.burst = 1; continue; }
		if (!opt_in(a, valued) && !report_takes(a)) {
			rc = usage_error(a[0] == '-' ? "unknown option '%s'" : "'%s' is not an option", a);
			goto out;
		}
		if (!v) {
			rc = usage_error("'%s' needs a value", a);
			goto out;
		}
		i++;
		if ((r = report_option(&ro, a, v, "check"))) {
			if (r < 0)
				goto out;
			continue;
		}
		if (!strcmp(a, "--contract")) contract = v;
		else if (!strcmp(a, "--base-url")) {
			base = v;
			if (strchr(v, '?'))
				redactor_add_query(&red, strchr(v, '?') + 1); /* ?api_key=... */
		}
		else if (!strcmp(a, "--fixtures")) {
			if (nr_fixtures == 64) { rc = usage_error("too many --fixtures (%s)", v); goto out; }
			fixture_paths[nr_fixtures++] = v;
		} else if (!strcmp(a, "--header")) {
			const char *colon = strchr(v, ':');

			if (!colon || colon == v || strpbrk(v, "\r\n") || cfg.nr_headers == 60) {
				rc = usage_error("--header takes 'Name: value' on one line (%s)",
						 cfg.nr_headers == 60 ? "at most 60 of them" : "its value is not shown: it may be a secret");
				goto out;
			}
			if (!(headers[cfg.nr_headers] = expand_env(v, &red, why, sizeof(why)))) {
				fprintf(stderr, "errata check: --header: %s\n", why);
				goto out;
			}
			{ /* a literal secret value on the command line is still a secret */
				char name[128];
				size_t n = (size_t)(colon - v);

				if (n < sizeof(name)) {
					const char *hv = strchr(headers[cfg.nr_headers], ':') + 1;

					memcpy(name, v, n);
					name[n] = '\0';
					while (*hv == ' ')
						hv++;
					if (redact_is_secret_name(name))
						redactor_add_field(&red, name, hv);
				}
			}
			cfg.nr_headers++;
		} else if (!strcmp(a, "--jobs")) {
			if (sscanf(v, "%u%c", &x, &extra) != 1 || !x || x > 64) { rc = usage_error("--jobs '%s' is not 1 to 64", v); goto out; }
			cfg.jobs = x;
		} else if (!strcmp(a, "--timeout")) {
			double s;

			if (parse_seconds(v, 3600, &s)) { rc = usage_error("--timeout '%s' is not seconds (up to 3600)", v); goto out; }
			cfg.timeout_ms = (long)(s * 1000);
		} else if (!strcmp(a, "--deadline")) {
			double s;

			if (parse_seconds(v, 86400, &s)) { rc = usage_error("--deadline '%s' is not seconds (up to 86400)", v); goto out; }
			cfg.deadline_s = s;
		} else if (!strcmp(a, "--rate")) {
			if (parse_rate(v, &rate)) {
				rc = usage_error("--rate '%s' is not N/s, N/m or N/h (N up to 1000000)", v);
				goto out;
			}
			cfg.rate = rate;
		} else if (!strcmp(a, "--shard")) {
			if (sscanf(v, "%u/%u%c", &x, &y, &extra) != 2 || !y || !x || x > y) { rc = usage_error("--shard '%s' is not I/N with 1 <= I <= N", v); goto out; }
			cfg.shard = x;
			cfg.shards = y;
		}
	}
	if (!contract || !base) {
		rc = usage_error("%s", !contract ? "--contract is required" : "--base-url is required");
		goto out;
	}
	if (strncmp(base, "http://", 7) && strncmp(base, "https://", 8)) {
		char *u = redact_url(base), *safe = u ? redactor_apply(&red, u) : NULL;

		rc = usage_error("--base-url must be an http:// or https:// URL, not '%s'", safe ? safe : "?");
		free(u);
		free(safe);
		goto out;
	}
	c = contract_open(contract, &err);
	if (!c) {
		load_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
		goto out;
	}
	if (all_codes && fixtures_all_codes(&fx, c))
		goto out;
	if (!nr_fixtures && !all_codes) {
		static char def[300];
		struct stat st;

		snprintf(def, sizeof(def), "fixtures/%s", c->id);
		if (stat(def, &st)) {
			fprintf(stderr, "errata check: no fixtures given and no '%s' folder; use --fixtures or --all-codes\n", def);
			goto out;
		}
		fixture_paths[nr_fixtures++] = def;
	}
	for (i = 0; i < nr_fixtures; i++)
		if (fixtures_load(&fx, fixture_paths[i], c, &err)) {
			load_error_format(&err, msg, sizeof(msg));
			fprintf(stderr, "%s\n", msg);
			goto out;
		}
	cfg.contract = c;
	cfg.base_url = base;
	cfg.progress = isatty(2);
	if (http_global_init()) {
		fprintf(stderr, "errata check: cannot initialise libcurl\n");
		rc = 1;
		goto out;
	}
	check_run(&run, &cfg, &fx);
	meta.base_url = base;
	if (report_write_all(&ro, &run, &meta))
		rc = 1;
	else
		rc = run.unreachable ? 3 : run.failed || run.errors ? 1 : 0;
	{
		char line[400], *safe, *u = redact_url(base);

		snprintf(line, sizeof(line), "errata check: %s at %s: %zu cases; %zu passed, %zu failed, "
			 "%zu errors, %zu skipped, %zu warnings; %zu backoffs; %.2f s%s",
			 c->id, u ? u : "", run.nr, run.passed, run.failed, run.errors, run.skipped,
			 run.warnings, run.backoffs, run.seconds,
			 run.unreachable ? "; the target is unreachable" : "");
		safe = redactor_apply(&red, line);
		fprintf(stderr, "%s\n", safe ? safe : "");
		free(safe);
		free(u);
	}
	check_run_release(&run);
	http_global_cleanup();
out:
	for (i = 0; i < cfg.nr_headers; i++)
		free(headers[i]);
	fixtures_release(&fx);
	redactor_release(&red);
	contract_free(c);
	return rc;
}
