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

/* What the command line asked for. */
struct check_args {
	struct check_config cfg;
	struct report_opts ro;
	struct redactor red;
	const char *contract, *base, *fixture_paths[64];
	char *headers[64];
	size_t nr_fixtures;
	int all_codes;
};

/* --header 'Name: value': ${VAR} expanded; a secret's value, in every
 * form, to the redactor. 0, or the exit status. */
static int add_header(struct check_args *a, const char *v)
{
	const char *colon = strchr(v, ':'), *hv;
	char why[300], name[128];
	size_t n;

	if (!colon || colon == v || strpbrk(v, "\r\n") || a->cfg.nr_headers == 60)
		return usage_error("--header takes 'Name: value' on one line (%s)",
				   a->cfg.nr_headers == 60 ? "at most 60 of them" : "its value is not shown: it may be a secret");
	if (!(a->headers[a->cfg.nr_headers] = expand_env(v, &a->red, why, sizeof(why)))) {
		fprintf(stderr, "errata check: --header: %s\n", why);
		return 2;
	}
	n = (size_t)(colon - v);
	hv = strchr(a->headers[a->cfg.nr_headers], ':') + 1;
	a->cfg.nr_headers++;
	if (n >= sizeof(name))
		return 0;
	memcpy(name, v, n); /* a literal secret value on the command line is still a secret */
	name[n] = '\0';
	while (*hv == ' ')
		hv++;
	if (redact_is_secret_name(name))
		redactor_add_field(&a->red, name, hv);
	return 0;
}

/* One option with its value: 0, or the exit status after a usage error. */
static int check_option(struct check_args *a, const char *o, const char *v)
{
	struct check_config *cfg = &a->cfg;
	unsigned x, y;
	double d;
	char extra;

	if (!strcmp(o, "--contract")) a->contract = v;
	else if (!strcmp(o, "--base-url")) {
		a->base = v;
		if (strchr(v, '?'))
			redactor_add_query(&a->red, strchr(v, '?') + 1); /* ?api_key=... */
	} else if (!strcmp(o, "--fixtures")) {
		if (a->nr_fixtures == 64)
			return usage_error("too many --fixtures (%s)", v);
		a->fixture_paths[a->nr_fixtures++] = v;
	} else if (!strcmp(o, "--header")) {
		return add_header(a, v);
	} else if (!strcmp(o, "--jobs")) {
		if (sscanf(v, "%u%c", &x, &extra) != 1 || !x || x > 64)
			return usage_error("--jobs '%s' is not 1 to 64", v);
		cfg->jobs = x;
	} else if (!strcmp(o, "--timeout")) {
		if (parse_seconds(v, 3600, &d))
			return usage_error("--timeout '%s' is not seconds (up to 3600)", v);
		cfg->timeout_ms = (long)(d * 1000);
	} else if (!strcmp(o, "--deadline")) {
		if (parse_seconds(v, 86400, &cfg->deadline_s))
			return usage_error("--deadline '%s' is not seconds (up to 86400)", v);
	} else if (!strcmp(o, "--rate")) {
		if (parse_rate(v, &cfg->rate))
			return usage_error("--rate '%s' is not N/s, N/m or N/h (N up to 1000000)", v);
	} else if (!strcmp(o, "--shard")) {
		if (sscanf(v, "%u/%u%c", &x, &y, &extra) != 2 || !y || !x || x > y)
			return usage_error("--shard '%s' is not I/N with 1 <= I <= N", v);
		cfg->shard = x;
		cfg->shards = y;
	}
	return 0;
}

/* The command line into a: -1 to go on, else the exit status. */
static int parse_args(struct check_args *a, int argc, char **argv)
{
	size_t i;
	int r;

	for (i = 1; i < (size_t)argc; i++) {
		const char *o = argv[i], *v = i + 1 < (size_t)argc ? argv[i + 1] : NULL;

		if (is_help(o)) {
			report_usage(stdout, usage);
			return 0;
		}
		if (!strcmp(o, "--all-codes")) { a->all_codes = 1; continue; }
		if (!strcmp(o, "--selector")) { a->cfg.selector = 1; continue; }
		if (!strcmp(o, "--burst")) { a->cfg.burst = 1; continue; }
		if (!opt_in(o, valued) && !report_takes(o))
			return usage_error(o[0] == '-' ? "unknown option '%s'" : "'%s' is not an option", o);
		if (!v)
			return usage_error("'%s' needs a value", o);
		i++;
		if ((r = report_option(&a->ro, o, v, "check")))
			r = r < 0 ? 2 : 0;
		else
			r = check_option(a, o, v);
		if (r)
			return r;
	}
	if (!a->contract || !a->base)
		return usage_error("%s", !a->contract ? "--contract is required" : "--base-url is required");
	if (strncmp(a->base, "http://", 7) && strncmp(a->base, "https://", 8)) {
		char *u = redact_url(a->base), *safe = u ? redactor_apply(&a->red, u) : NULL;

		r = usage_error("--base-url must be an http:// or https:// URL, not '%s'", safe ? safe : "?");
		free(u);
		free(safe);
		return r;
	}
	return -1;
}

/* The cases: every code (--all-codes), the fixtures named, or the contract's own folder. */
static int load_cases(struct check_args *a, struct fixtures *fx, const struct contract *c)
{
	static char def[300];
	struct load_error err;
	struct stat st;
	char msg[700];
	size_t i;

	if (a->all_codes && fixtures_all_codes(fx, c))
		return -1;
	if (!a->nr_fixtures && !a->all_codes) {
		snprintf(def, sizeof(def), "fixtures/%s", c->id);
		if (stat(def, &st)) {
			fprintf(stderr, "errata check: no fixtures given and no '%s' folder; use --fixtures or --all-codes\n", def);
			return -1;
		}
		a->fixture_paths[a->nr_fixtures++] = def;
	}
	for (i = 0; i < a->nr_fixtures; i++)
		if (fixtures_load(fx, a->fixture_paths[i], c, &err)) {
			load_error_format(&err, msg, sizeof(msg));
			fprintf(stderr, "%s\n", msg);
			return -1;
		}
	return 0;
}

/* The run: its reports, its line on stderr, its exit status. */
static int run_and_report(struct check_args *a, const struct contract *c, struct fixtures *fx)
{
	struct report_meta meta = { .tool = "check" };
	struct check_run run;
	char line[400], *safe, *u;
	int rc;

	a->cfg.contract = c;
	a->cfg.base_url = a->base;
	a->cfg.progress = isatty(2);
	if (http_global_init()) {
		fprintf(stderr, "errata check: cannot initialise libcurl\n");
		return 1;
	}
	check_run(&run, &a->cfg, fx);
	meta.base_url = a->base;
	if (report_write_all(&a->ro, &run, &meta))
		rc = 1;
	else
		rc = run.unreachable ? 3 : run.failed || run.errors ? 1 : 0;
	u = redact_url(a->base);
	snprintf(line, sizeof(line), "errata check: %s at %s: %zu cases; %zu passed, %zu failed, "
		 "%zu errors, %zu skipped, %zu warnings; %zu backoffs; %.2f s%s",
		 c->id, u ? u : "", run.nr, run.passed, run.failed, run.errors, run.skipped,
		 run.warnings, run.backoffs, run.seconds, run.unreachable ? "; the target is unreachable" : "");
	safe = redactor_apply(&a->red, line);
	fprintf(stderr, "%s\n", safe ? safe : "");
	free(safe);
	free(u);
	check_run_release(&run);
	http_global_cleanup();
	return rc;
}

int cmd_check(int argc, char **argv)
{
	struct check_args a = { .cfg = { .timeout_ms = 10000, .jobs = 4 } };
	struct fixtures fx;
	struct load_error err;
	struct contract *c = NULL;
	char msg[700];
	size_t i;
	int rc;

	report_opts_init(&a.ro);
	a.cfg.headers = a.headers;
	fixtures_init(&fx);
	redactor_init(&a.red);
	a.cfg.redactor = &a.red;
	/* secrets in the environment (API_TOKEN, ...) are scrubbed too, however
	 * they reach a request: ${VAR} in --header, the shell, a fixture */
	if (redactor_add_env(&a.red, environ)) {
		fprintf(stderr, "errata check: out of memory\n");
		rc = 3;
	} else if ((rc = parse_args(&a, argc, argv)) < 0) {
		rc = 2;
		if (!(c = contract_open(a.contract, &err))) {
			load_error_format(&err, msg, sizeof(msg));
			fprintf(stderr, "%s\n", msg);
		} else if (!load_cases(&a, &fx, c)) {
			rc = run_and_report(&a, c, &fx);
		}
	}
	for (i = 0; i < a.cfg.nr_headers; i++)
		free(a.headers[i]);
	fixtures_release(&fx);
	redactor_release(&a.red);
	contract_free(c);
	return rc;
}
