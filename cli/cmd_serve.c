/*
 * errata serve: load the contracts, start the mock, report where it
 * listens, and stop cleanly on SIGINT or SIGTERM.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "cmd.h"
#include "../mock/limit.h"
#include "../mock/mock.h"

static const char usage[] =
	"usage: errata serve [--contracts PATH]... [--listen HOST:PORT] [--port-file FILE]\n"
	"                    [--journal-size N] [--admin-token-file FILE] [--admin-host NAME]...\n"
	"                    [--threads N] [--scenarios FILE] [--rate-limit N/s|m|h] [--max-concurrent N]\n"
	"\n"
	"Serve every documented error of the contracts on demand.\n"
	"\n"
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
	"  --threads N         worker threads (default: one per core)\n"
	"  --scenarios FILE    scenarios to load at start-up (one object or an array)\n"
	"  --rate-limit N/s    a token bucket per API key (or client address): over it,\n"
	"                      the contract's rate-limit code with a truthful Retry-After\n"
	"  --max-concurrent N  over N requests in flight, the contract's concurrency code\n"
	"\n"
	"Ask for an error with 'X-Errata-Error: CODE', 'Prefer: code=CODE|STATUS' or\n"
	"'?__error=CODE' on any path under /<contract-id>/. Admin: /__errata/health,\n"
	"/__errata/contracts, /__errata/journal.\n";

struct contracts {
	struct contract **v;
	size_t nr, alloc;
};

static int add(struct contracts *cs, const char *path)
{
	struct load_error err;
	struct contract *c = contract_load(path, &err);
	char msg[600];
	size_t i;

	if (!c) {
		load_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
		return -1;
	}
	for (i = 0; i < cs->nr; i++)
		if (!strcmp(cs->v[i]->id, c->id)) {
			fprintf(stderr, "errata serve: '%s' and '%s' both have the id '%s'\n",
				cs->v[i]->path, path, c->id);
			contract_free(c);
			return -1;
		}
	if (cs->nr == cs->alloc) {
		size_t alloc = cs->alloc ? 2 * cs->alloc : 8;
		struct contract **v = realloc(cs->v, alloc * sizeof(*v));

		if (!v) {
			contract_free(c);
			return -1;
		}
		cs->v = v;
		cs->alloc = alloc;
	}
	cs->v[cs->nr++] = c;
	return 0;
}

static int json_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && !strcmp(d->d_name + n - 5, ".json") && d->d_name[0] != '.';
}

/* A file, or every *.json in a folder (in name order). */
static int add_path(struct contracts *cs, const char *path)
{
	struct stat st;
	struct dirent **names;
	int n, i, rc = 0;

	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return add(cs, path);
	n = scandir(path, &names, json_file, alphasort);
	if (n < 0) {
		fprintf(stderr, "errata serve: cannot read '%s': %s\n", path, strerror(errno));
		return -1;
	}
	if (n == 0) {
		fprintf(stderr, "errata serve: no *.json contracts in '%s'\n", path);
		rc = -1;
	}
	for (i = 0; i < n; i++) {
		char file[4096];

		snprintf(file, sizeof(file), "%s/%s", path, names[i]->d_name);
		if (!rc && add(cs, file))
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

/* "HOST:PORT" or "[V6]:PORT" into host (copied) and port. */
static int parse_listen(const char *arg, char *host, size_t size, unsigned *port)
{
	const char *colon;
	char *end;
	unsigned long p;
	size_t n;

	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');

		if (!close || close[1] != ':')
			return -1;
		n = (size_t)(close - arg - 1);
		colon = close + 1;
		arg++;
	} else {
		colon = strrchr(arg, ':');
		if (!colon)
			return -1;
		n = (size_t)(colon - arg);
	}
	if (!n || n >= size || !colon[1])
		return -1;
	memcpy(host, arg, n);
	host[n] = '\0';
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (*end || errno || p > 65535 || colon[1] == '-')
		return -1;
	*port = (unsigned)p;
	return 0;
}

static int number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	if (!*s || *s == '-')
		return -1;
	*out = strtoul(s, &end, 10);
	return *end || errno || *out > max ? -1 : 0;
}

/* The admin token from the first line of `file`, into buf. 0 or -1 (said). */
static int read_token_file(const char *file, char *buf, size_t size)
{
	FILE *f = fopen(file, "r");
	size_t n;

	if (!f) {
		fprintf(stderr, "errata serve: cannot open admin token file '%s': %s\n", file, strerror(errno));
		return -1;
	}
	if (!fgets(buf, (int)size, f)) {
		buf[0] = '\0';
		if (ferror(f)) {
			fprintf(stderr, "errata serve: cannot read admin token file '%s': %s\n", file, strerror(errno));
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	n = strcspn(buf, "\r\n");
	if (n == size - 1 && buf[n] == '\0') {
		fprintf(stderr, "errata serve: the admin token in '%s' is longer than %zu bytes\n", file, size - 2);
		return -1;
	}
	buf[n] = '\0';
	if (!*buf) {
		fprintf(stderr, "errata serve: the admin token file '%s' is empty\n", file);
		return -1;
	}
	return 0;
}

static int write_port_file(const char *file, unsigned port)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%u\n", port) < 0 || fclose(f)) {
		fprintf(stderr, "errata serve: cannot write port file '%s': %s\n", file, strerror(errno));
		return -1;
	}
	if (rename(tmp, file)) {
		fprintf(stderr, "errata serve: cannot write port file '%s': %s\n", file, strerror(errno));
		return -1;
	}
	return 0;
}

static int load_scenarios(struct mock *m, const char *file)
{
	struct load_error err;
	char *text = NULL, msg[600];
	size_t len = 0;
	FILE *f = fopen(file, "rb");
	int rc;

	if (f) {
		text = malloc(1 << 22);
		len = text ? fread(text, 1, (1 << 22) - 1, f) : 0;
		fclose(f);
	}
	if (!text) {
		fprintf(stderr, "%s: cannot read scenarios: %s\n", file, f ? "out of memory" : strerror(errno));
		return -1;
	}
	rc = mock_load_scenarios(m, text, len, file, &err);
	if (rc) {
		load_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
	}
	free(text);
	return rc;
}

/* Many concurrent clients need many descriptors: raise the soft limit. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static const char *const valued[] = { "--contracts", "--listen", "--port-file", "--journal-size",
				      "--admin-token", "--admin-token-file", "--admin-host", "--scenarios",
				      "--rate-limit", "--max-concurrent", "--threads", NULL };

int cmd_serve(int argc, char **argv)
{
	struct contracts cs = { 0 };
	struct mock_config cfg = { 0 };
	struct mock *m = NULL;
	const char *port_file = NULL, *scenarios_file = NULL;
	char host[256] = "127.0.0.1", why[512], token[1024];
	const char *admin_hosts[16];
	size_t nr_admin_hosts = 0;
	unsigned long n;
	sigset_t sigs;
	int i, sig, rc = 2, have_contracts = 0;

	cfg.port = 8080;
	cfg.journal_size = 10000;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (is_help(a)) {
			fputs(usage, stdout);
			rc = 0;
			goto out;
		}
		if (!opt_in(a, valued)) {
			rc = usage_fail("serve", a[0] == '-' ? "unknown option '%s'" : "'%s' is not an option", a);
			goto out;
		}
		if (!v) {
			rc = usage_fail("serve", "'%s' needs a value", a);
			goto out;
		}
		i++;
		if (!strcmp(a, "--contracts")) {
			have_contracts = 1;
			if (add_path(&cs, v))
				goto out;
		} else if (!strcmp(a, "--listen")) {
			if (parse_listen(v, host, sizeof(host), &cfg.port)) {
				fprintf(stderr, "errata serve: --listen '%s' is not HOST:PORT\n", v);
				goto out;
			}
		} else if (!strcmp(a, "--port-file")) {
			port_file = v;
		} else if (!strcmp(a, "--journal-size")) {
			if (number(v, 10000000, &n)) {
				fprintf(stderr, "errata serve: --journal-size '%s' is not a number from 0 to 10000000\n", v);
				goto out;
			}
			cfg.journal_size = n;
		} else if (!strcmp(a, "--admin-token")) {
			if (!*v) {
				fprintf(stderr, "errata serve: --admin-token must not be empty\n");
				goto out;
			}
			cfg.admin_token = v;
		} else if (!strcmp(a, "--admin-token-file")) {
			if (read_token_file(v, token, sizeof(token)))
				goto out;
			cfg.admin_token = token;
		} else if (!strcmp(a, "--admin-host")) {
			if (!*v || strlen(v) > 253 || strpbrk(v, " /:@\t") ||
			    nr_admin_hosts == sizeof(admin_hosts) / sizeof(admin_hosts[0])) {
				fprintf(stderr, "errata serve: --admin-host '%s' is not a host name (at most 16 of them)\n", v);
				goto out;
			}
			admin_hosts[nr_admin_hosts++] = v;
		} else if (!strcmp(a, "--scenarios")) {
			scenarios_file = v;
		} else if (!strcmp(a, "--rate-limit")) {
			if (limit_parse(v, &cfg.rate_quota, &cfg.rate_window)) {
				fprintf(stderr, "errata serve: --rate-limit '%s' is not N/s, N/m or N/h (N from 1 to 1000000)\n", v);
				goto out;
			}
		} else if (!strcmp(a, "--max-concurrent")) {
			if (number(v, 1000000, &n) || !n) {
				fprintf(stderr, "errata serve: --max-concurrent '%s' is not a number from 1 to 1000000\n", v);
				goto out;
			}
			cfg.max_concurrent = (unsigned)n;
		} else if (!strcmp(a, "--threads")) {
			if (number(v, 1024, &n) || !n) {
				fprintf(stderr, "errata serve: --threads '%s' is not a number from 1 to 1024\n", v);
				goto out;
			}
			cfg.threads = (unsigned)n;
		}
	}
	if (!have_contracts) {
		char *dir = contract_default_dir();
		int bad = add_path(&cs, dir);

		free(dir);
		if (bad)
			goto out;
	}
	if (!cfg.admin_token && getenv("ERRATA_ADMIN_TOKEN") && *getenv("ERRATA_ADMIN_TOKEN"))
		cfg.admin_token = getenv("ERRATA_ADMIN_TOKEN");
	cfg.admin_hosts = admin_hosts;
	cfg.nr_admin_hosts = nr_admin_hosts;
	if (!mock_is_loopback(host) && !cfg.admin_token) {
		fprintf(stderr, "errata serve: refusing to listen on '%s' without an admin token "
			"(the admin API would be open to the network)\n", host);
		goto out;
	}
	cfg.contracts = cs.v;
	cfg.nr_contracts = cs.nr;
	cfg.host = host;
	raise_fd_limit();

	/* Block the stop signals before MHD starts its threads, then wait for them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	m = mock_start(&cfg, why, sizeof(why));
	if (!m) {
		fprintf(stderr, "errata serve: %s\n", why);
		rc = 1;
		goto out;
	}
	if (scenarios_file && load_scenarios(m, scenarios_file)) {
		rc = 2;
		goto out;
	}
	if (port_file && write_port_file(port_file, mock_port(m))) {
		rc = 1;
		goto out;
	}
	fprintf(stderr, "listening on http://%s%s%s:%u\n", strchr(host, ':') ? "[" : "", host,
		strchr(host, ':') ? "]" : "", mock_port(m));
	fflush(stderr);
	sigdelset(&sigs, SIGPIPE);
	do {
		if (sigwait(&sigs, &sig))
			break;
	} while (sig != SIGINT && sig != SIGTERM);
	fprintf(stderr, "errata serve: stopping\n");
	rc = 0;
out:
	mock_stop(m, 1000);
	for (i = 0; i < (int)cs.nr; i++)
		contract_free(cs.v[i]);
	free(cs.v);
	return rc;
}
