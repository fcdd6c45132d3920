/*
 * errata proxy: the mock in front of a real API. Requests that ask the
 * mock for nothing go to the upstream and back unchanged; selectors,
 * pinned scenarios and --inject answer from the contract instead. Every
 * error the upstream returns is judged, and the findings are written as
 * errata check's reports when the proxy stops (and on GET /__errata/report).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"
#include "../harness/passive.h"

extern char **environ;

static const char usage[] =
	"usage: errata proxy --upstream URL --contract ID|FILE [--listen HOST:PORT] [--port-file FILE]\n"
	"                    [--upstream-ca FILE] [--insecure] [--upstream-timeout S] [--connect-timeout S]\n"
	"                    [--inject SPEC] [--scenarios FILE] [--journal-size N] [--threads N]\n"
	"                    [--admin-token-file FILE] [--admin-host NAME]...\n"
	"                    [--state redis://HOST:PORT[/DB] [--state-password-file FILE]\n"
	"                    [--state-timeout MS] [--replica NAME]]\n"
	"                    [--FORMAT FILE]... [--name NAME] [--tap-version 13|14]\n"
	"\n"
	"Sit in front of a real API: pass its traffic through unchanged, inject its\n"
	"documented errors on demand, and judge every error it returns.\n"
	"\n"
	"  --upstream URL      the real API's base, http:// or https:// (paths are appended)\n"
	"  --contract ID|FILE  the API's contract: a bundled id or a contract file\n"
	"  --listen HOST:PORT  default 127.0.0.1:8080; port 0 picks a free port\n"
	"  --upstream-ca FILE  trust these CA certificates (PEM) for an https upstream\n"
	"  --insecure          do not verify the upstream's certificate (never in production)\n"
	"  --upstream-timeout S  the response head, and each byte after it, within S\n"
	"                      seconds, else 504 (default 30)\n"
	"  --connect-timeout S connecting and the TLS handshake within S seconds, else 502\n"
	"                      (default 10)\n"
	"  --inject SPEC       seeded random errors: 'rate=10%,codes=RATE_LIMITED|503,\n"
	"                      faults=CONNECTION_RESET_BY_PEER,seed=7' (same seed, same order\n"
	"                      of requests: the same injections); an injected request is\n"
	"                      never forwarded\n"
	"  --scenarios FILE    scenarios to load; a step {\"upstream\": true} passes the request on\n"
	"  --journal-size N, --threads N, --port-file FILE, --admin-token-file FILE,\n"
	"  --admin-host NAME, --state URL, --state-password-file FILE, --state-timeout MS,\n"
	"  --replica NAME      as for errata serve (--state: replicas share scenarios,\n"
	"                      rate limits and one journal)\n"
	"The conformance reports, written when the proxy stops (TAP on stdout when none\n"
	"is named; --name, --tap-version as for errata check):\n"
	"@formats\n"
	"\n"
	"Ask for an error with 'X-Errata-Error: CODE', 'Prefer: code=CODE|STATUS',\n"
	"'?__error=CODE', a failing stream with 'X-Errata-Stream: error|reset|stall|end',\n"
	"or pin a scenario with X-Errata-Scenario or /__s/<id>/...\n"
	"The findings so far: GET /__errata/report[?format=FORMAT]. Exit status: 0,\n"
	"or 1 when an upstream error broke the contract or the upstream failed.\n";

static const char *const valued[] = { "--upstream", "--contract", "--upstream-ca", "--upstream-timeout",
				      "--connect-timeout", "--inject", NULL };

/* http(s)://host[:port][/base], without a query or fragment; the trailing
 * slash dropped. 0, or -1 (said). */
static int check_upstream(char *url)
{
	size_t n;
	const char *host;

	if (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8)) {
		fprintf(stderr, "errata proxy: --upstream '%s' is not an http:// or https:// URL\n", url);
		return -1;
	}
	host = strstr(url, "://") + 3;
	if (!*host || *host == '/' || strpbrk(url, "?# \t\r\n")) {
		fprintf(stderr, "errata proxy: --upstream names a host and a base path, without a query "
			"or fragment ('https://api.example.com/v1')\n");
		return -1;
	}
	n = strlen(url);
	while (n > (size_t)(host - url) && url[n - 1] == '/')
		url[--n] = '\0';
	return 0;
}

/* --contract: a file, or a bundled contract's id. */
static int pick_contract(struct serve_cli *s, const char *v)
{
	struct contracts all = { 0 };
	char *dir;
	size_t i;
	int rc = -1;

	if (access(v, R_OK) == 0 || strchr(v, '/') || strstr(v, ".json"))
		return serve_add_contracts(&s->cs, v);
	dir = contract_default_dir();
	if (!serve_add_contracts(&all, dir)) {
		for (i = 0; i < all.nr; i++)
			if (!strcmp(all.v[i]->id, v) && s->cs.nr == 0) {
				s->cs.v = calloc(1, sizeof(*s->cs.v));
				if (s->cs.v) {
					s->cs.v[s->cs.nr++] = all.v[i];
					s->cs.alloc = 1;
					all.v[i] = NULL;
					rc = 0;
				}
			}
		if (rc)
			fprintf(stderr, "errata proxy: no bundled contract has the id '%s' (see 'errata contract "
				"show'), and there is no file of that name\n", v);
	}
	for (i = 0; i < all.nr; i++)
		contract_free(all.v[i]);
	free(all.v);
	free(dir);
	return rc;
}

static int seconds_option(const char *a, const char *v, long *ms)
{
	double s;

	if (parse_seconds(v, 3600, &s)) {
		fprintf(stderr, "errata proxy: %s '%s' is not a number of seconds in (0, 3600]\n", a, v);
		return -1;
	}
	*ms = (long)(s * 1000 + 0.5);
	return 0;
}

static int proxy_option(struct serve_cli *s, struct upstream_config *uc, struct report_opts *ro,
			char **upstream, const char *a, const char *v)
{
	int r = report_option(ro, a, v, "proxy");

	if (r)
		return r < 0 ? -1 : 0;
	if (!strcmp(a, "--upstream")) {
		free(*upstream);
		if (!(*upstream = strdup(v)) || check_upstream(*upstream))
			return -1;
	} else if (!strcmp(a, "--contract")) {
		if (s->cs.nr) {
			fprintf(stderr, "errata proxy: one --contract: the proxy speaks for one API\n");
			return -1;
		}
		return pick_contract(s, v);
	} else if (!strcmp(a, "--upstream-ca")) {
		if (access(v, R_OK)) {
			fprintf(stderr, "errata proxy: cannot read --upstream-ca '%s': %s\n", v, strerror(errno));
			return -1;
		}
		uc->ca_file = v;
	} else if (!strcmp(a, "--upstream-timeout")) {
		return seconds_option(a, v, &uc->timeout_ms);
	} else if (!strcmp(a, "--connect-timeout")) {
		return seconds_option(a, v, &uc->connect_ms);
	} else if (!strcmp(a, "--inject")) {
		s->cfg.inject = v;
	}
	return 0;
}

/* --inject without a seed gets one, said on stderr so a run can be repeated. */
static char *seeded(const char *spec)
{
	size_t n = strlen(spec) + 40;
	char *out;

	if (strstr(spec, "seed="))
		return strdup(spec);
	if (!(out = malloc(n)))
		return NULL;
	snprintf(out, n, "%s,seed=%llu", spec, (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 16));
	return out;
}

int cmd_proxy(int argc, char **argv)
{
	struct serve_cli s;
	struct upstream_config uc = { 0 };
	struct report_opts ro;
	struct findings_ctx px;
	struct mock *m = NULL;
	char *upstream = NULL, *inject = NULL, *shown = NULL;
	int i, rc = 2, r;

	serve_cli_init(&s, "proxy");
	report_opts_init(&ro);
	memset(&px, 0, sizeof(px));
	redactor_init(&px.red);
	uc.timeout_ms = 30000;
	uc.connect_ms = 10000;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (is_help(a)) {
			report_usage(stdout, usage);
			rc = 0;
			goto out;
		}
		if (!strcmp(a, "--insecure")) {
			uc.insecure = 1;
			continue;
		}
		if (!strcmp(a, "--contracts")) {
			rc = usage_fail("proxy", "the proxy speaks for one API: --contract ID|FILE");
			goto out;
		}
		if (!opt_in(a, valued) && !opt_in(a, serve_valued) && !report_takes(a)) {
			rc = usage_fail("proxy", a[0] == '-' ? "unknown option '%s'" : "'%s' is not an option", a);
			goto out;
		}
		if (!v) {
			rc = usage_fail("proxy", "'%s' needs a value", a);
			goto out;
		}
		i++;
		if ((r = serve_cli_option(&s, a, v)) < 0 ||
		    (!r && proxy_option(&s, &uc, &ro, &upstream, a, v)))
			goto out;
	}
	if (!upstream || !s.cs.nr) {
		rc = usage_fail("proxy", "--upstream URL and --contract ID|FILE are required");
		goto out;
	}
	if (s.cfg.inject && !(s.cfg.inject = inject = seeded(s.cfg.inject)))
		goto out;
	redactor_add_env(&px.red, environ);
	shown = redact_url(upstream);
	px.contract = s.cs.v[0];
	px.meta.tool = "proxy";
	px.meta.base_url = shown;
	px.meta.tap_version = ro.tap_version;
	snprintf(px.name, sizeof(px.name), "%s at %s (errata proxy)", px.contract->id, shown ? shown : "?");
	px.meta.name = ro.name ? ro.name : px.name;
	uc.url = upstream;
	s.cfg.upstream = &uc;
	s.cfg.redactor = &px.red;
	s.cfg.report = findings_render;
	s.cfg.report_ctx = &px;
	if (!(m = serve_cli_start(&s, &rc)))
		goto out;
	fprintf(stderr, "listening on http://%s%s%s:%u, forwarding to %s%s%s\n", strchr(s.host, ':') ? "[" : "",
		s.host, strchr(s.host, ':') ? "]" : "", mock_port(m), shown ? shown : "the upstream",
		inject ? ", injecting " : "", inject ? inject : "");
	fflush(stderr);
	serve_cli_wait(&s);
	rc = findings_finish(m, &px, &ro);
out:
	mock_stop(m, 1000);
	serve_cli_release(&s);
	redactor_release(&px.red);
	free(upstream);
	free(inject);
	free(shown);
	return rc;
}
