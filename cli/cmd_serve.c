/*
 * errata serve: load the contracts, start the mock, report where it
 * listens, and stop cleanly on SIGINT or SIGTERM.
 */
#include <stdio.h>
#include <string.h>

#include "serve.h"
#include "../mock/limit.h"

static const char usage[] =
	"usage: errata serve [--contracts PATH]... [--listen HOST:PORT] [--port-file FILE]\n"
	"                    [--journal-size N] [--admin-token-file FILE] [--admin-host NAME]...\n"
	"                    [--threads N] [--scenarios FILE] [--rate-limit N/s|m|h] [--max-concurrent N]\n"
	"                    [--root] [--inject SPEC] [--state redis://HOST:PORT[/DB]\n"
	"                    [--state-password-file FILE] [--state-timeout MS] [--replica NAME]]\n"
	"                    [SPEC.yaml [--id ID]]\n"
	"\n"
	"Serve every documented error of the contracts on demand.\n"
	"\n"
	"  SPEC.yaml           an OpenAPI description (YAML or JSON), imported in memory\n"
	"                      and served at / : every operation answers its documented\n"
	"                      success (its example, or a body made from its schema), a\n"
	"                      method and path no operation has its 404 or 405\n"
	"  --id ID             the id of the contract made from SPEC.yaml\n"
	"  --root              serve the one contract at / as well as under /<id>/\n"
	"  --inject SPEC       chaos: 'rate=20%' of requests get one of the contract's\n"
	"                      retryable errors (or codes=A|B, faults=F); 'max-in-a-row=N'\n"
	"                      (default 1) bounds the errors one request gets in a row,\n"
	"                      'seed=N' repeats a run. Every injected error is judged:\n"
	"                      retried or not as documented, after the wait asked, with\n"
	"                      the same Idempotency-Key and body (GET /__errata/report)\n"
	"  --contracts PATH    a contract file, or a folder of them (repeatable);\n"
	"                      default: every bundled contract\n"
	"  --listen HOST:PORT  default 127.0.0.1:8080; port 0 picks a free port\n"
	"  --port-file FILE    write the bound port there once listening\n"
	"  --journal-size N    requests kept in the journal (default 10000; 0: off)\n"
	"  --admin-token-file FILE  admin requests need 'Authorization: Bearer TOKEN'\n"
	"                      with the token in FILE (first line); or set\n"
	"                      ERRATA_ADMIN_TOKEN; required off loopback. (--admin-token\n"
	"                      TOKEN works too, but shows the token in ps)\n"
	"  --admin-host NAME   a Host name the admin API also answers to (repeatable);\n"
	"                      it answers to loopback and the bound address\n"
	"  --threads N         worker threads (default: two per core)\n"
	"  --scenarios FILE    scenarios to load at start-up (one object or an array)\n"
	"  --rate-limit N/s    a token bucket per API key (or client address): over it,\n"
	"                      the contract's rate-limit code with a truthful Retry-After\n"
	"  --max-concurrent N  over N requests in flight, the contract's concurrency code\n"
	"  --state redis://HOST:PORT[/DB]  replicas share their state through this Redis\n"
	"                      (or Valkey): scenario steps, Idempotency-Keys, rate limits\n"
	"                      and one journal. A store that fails gives 503 naming it,\n"
	"                      never an answer from this process's own state\n"
	"  --state-password-file FILE  the store's password (first line); never printed\n"
	"  --state-timeout MS  a store command's limit (default 500)\n"
	"  --replica NAME      this replica's name in the journal (default HOST:PID)\n"
	"The verdicts of --inject, written when the mock stops (TAP on stdout when none\n"
	"is named; --name, --tap-version as for errata check):\n"
	"@formats\n"
	"\n"
	"Ask for an error with 'X-Errata-Error: CODE', 'Prefer: code=CODE|STATUS' or\n"
	"'?__error=CODE' on any path under /<contract-id>/; a stream that fails after its\n"
	"200 with 'X-Errata-Stream: error[:CODE]|reset|stall|end' (; events=N; interval_ms=N;\n"
	"stall_ms=N). Admin: /__errata/health, /__errata/contracts, /__errata/journal.\n";

static const char *const valued[] = { "--rate-limit", "--max-concurrent", "--inject", "--id", NULL };

extern char **environ;

/* With --inject: the verdicts on GET /__errata/report and at the stop. */
static void chaos_reports(struct serve_cli *s, struct findings_ctx *fx, const struct report_opts *ro)
{
	fx->contract = s->cs.v[0];
	redactor_add_env(&fx->red, environ);
	fx->meta.tool = "serve";
	fx->meta.base_url = "errata serve";
	fx->meta.tap_version = ro->tap_version;
	snprintf(fx->name, sizeof(fx->name), "%s: the retries of injected errors (errata serve)", fx->contract->id);
	fx->meta.name = ro->name ? ro->name : fx->name;
	s->cfg.redactor = &fx->red;
	s->cfg.report = findings_render;
	s->cfg.report_ctx = fx;
}

int cmd_serve(int argc, char **argv)
{
	struct findings_ctx fx;
	struct report_opts ro;
	struct serve_cli s;
	struct mock *m = NULL;
	const char *spec = NULL, *id = NULL;
	unsigned long n;
	int i, rc = 2, r;

	serve_cli_init(&s, "serve");
	memset(&fx, 0, sizeof(fx));
	redactor_init(&fx.red);
	report_opts_init(&ro);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (is_help(a)) {
			report_usage(stdout, usage);
			rc = 0;
			goto out;
		}
		if (!strcmp(a, "--root")) {
			s.cfg.root = 1;
			continue;
		}
		if (a[0] != '-' && !spec) {
			spec = a;
			continue;
		}
		if (!opt_in(a, valued) && !opt_in(a, serve_valued) && !report_takes(a)) {
			rc = usage_fail("serve", a[0] == '-' ? "unknown option '%s'" : "'%s': one SPEC at a time", a);
			goto out;
		}
		if (!v) {
			rc = usage_fail("serve", "'%s' needs a value", a);
			goto out;
		}
		i++;
		if ((r = report_option(&ro, a, v, "serve")) < 0 || (!r && (r = serve_cli_option(&s, a, v)) < 0))
			goto out;
		if (r)
			continue;
		if (!strcmp(a, "--rate-limit")) {
			if (limit_parse(v, &s.cfg.rate_quota, &s.cfg.rate_window)) {
				fprintf(stderr, "errata serve: --rate-limit '%s' is not N/s, N/m or N/h (N from 1 to 1000000)\n", v);
				goto out;
			}
		} else if (!strcmp(a, "--max-concurrent")) {
			if (serve_number(v, 1000000, &n) || !n) {
				fprintf(stderr, "errata serve: --max-concurrent '%s' is not a number from 1 to 1000000\n", v);
				goto out;
			}
			s.cfg.max_concurrent = (unsigned)n;
		} else if (!strcmp(a, "--inject")) {
			s.cfg.inject = v;
		} else if (!strcmp(a, "--id")) {
			id = v;
		}
	}
	if (id && !spec) {
		rc = usage_fail("serve", "--id names the contract made from a SPEC, and none was given");
		goto out;
	}
	if (spec && (s.have_contracts = 1, s.cfg.root = 1, serve_add_spec(&s.cs, spec, id)))
		goto out;
	if (serve_cli_default_contracts(&s))
		goto out;
	if (s.cfg.root && s.cs.nr > 1) {
		rc = usage_fail("serve", "--root serves one contract at /, and %zu were given", s.cs.nr);
		goto out;
	}
	if (s.cfg.inject)
		chaos_reports(&s, &fx, &ro);
	if (!(m = serve_cli_start(&s, &rc)))
		goto out;
	fprintf(stderr, "listening on http://%s%s%s:%u\n", strchr(s.host, ':') ? "[" : "", s.host,
		strchr(s.host, ':') ? "]" : "", mock_port(m));
	fflush(stderr);
	serve_cli_wait(&s);
	rc = s.cfg.inject ? findings_finish(m, &fx, &ro) : 0;
out:
	mock_stop(m, 1000);
	serve_cli_release(&s);
	redactor_release(&fx.red);
	return rc;
}
