/*
 * What errata serve and errata proxy share: loading contracts, the
 * listening and admin options, starting the mock, and waiting for SIGINT
 * or SIGTERM to stop it.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serve.h"
#include "../mock/shared.h"
#include "../import/openapi.h"
#include "../mock/limit.h"

static const char *who = "serve";   /* the command, in messages */

static int push(struct contracts *cs, struct contract *c);

static int add(struct contracts *cs, const char *path)
{
	struct load_error err;
	struct contract *c = contract_load(path, &err);
	char msg[600];

	if (!c) {
		load_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
		return -1;
	}
	return push(cs, c) ? -1 : 0;
}

/* Keep c (taken: freed on failure); -1 on a repeated id. */
static int push(struct contracts *cs, struct contract *c)
{
	size_t i;

	for (i = 0; i < cs->nr; i++)
		if (!strcmp(cs->v[i]->id, c->id)) {
			fprintf(stderr, "errata %s: '%s' and '%s' both have the id '%s'\n", who,
				cs->v[i]->path, c->path, c->id);
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

/* An OpenAPI description, imported in memory: every operation, its
 * success, its errors. What cannot be served as documented is said. */
int serve_add_spec(struct contracts *cs, const char *path, const char *id)
{
	struct load_error err;
	json_t *report = json_object(), *c = NULL, *op;
	struct contract *ct = NULL;
	char *text, *json = NULL, msg[600];
	size_t len, i, n = 0;
	int rc = -1;

	if (!(text = read_all(path, &len)))
		goto out;
	if (!openapi_sniff(text, len)) {
		free(text);
		json_decref(report);
		return add(cs, path); /* a contract */
	}
	c = openapi_import(text, len, path, id, report, &err);
	if (c && (json = json_dumps(c, JSON_COMPACT)))
		ct = contract_load_buffer(json, strlen(json), path, &err);
	if (!ct) {
		load_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "errata %s: %s\n", who, msg);
		goto out;
	}
	json_array_foreach(json_object_get(c, "operations"), i, op)
		if (json_object_get(op, "success_unavailable") && n++ < 20)
			fprintf(stderr, "errata %s: note: answered with a 500 problem: %s\n", who,
				json_string_value(json_object_get(op, "success_unavailable")));
	if (n > 20)
		fprintf(stderr, "errata %s: note: %zu more operations without a success body\n", who, n - 20);
	fprintf(stderr, "errata %s: %s: %zu operations, %zu error entries, served at /\n", who, path,
		ct->nr_operations, ct->nr_codes);
	rc = push(cs, ct);
out:
	free(text);
	free(json);
	json_decref(c);
	json_decref(report);
	return rc;
}

/* A file, or every *.json in a folder (in name order). */
int serve_add_contracts(struct contracts *cs, const char *path)
{
	struct stat st;
	struct dirent **names;
	int n, i, rc = 0;

	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return add(cs, path);
	n = scandir(path, &names, json_file, alphasort);
	if (n < 0) {
		fprintf(stderr, "errata %s: cannot read '%s': %s\n", who, path, strerror(errno));
		return -1;
	}
	if (n == 0) {
		fprintf(stderr, "errata %s: no *.json contracts in '%s'\n", who, path);
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
int serve_parse_listen(const char *arg, char *host, size_t size, unsigned *port)
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

int serve_number(const char *s, unsigned long max, unsigned long *out)
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
		fprintf(stderr, "errata %s: cannot open admin token file '%s': %s\n", who, file, strerror(errno));
		return -1;
	}
	if (!fgets(buf, (int)size, f)) {
		buf[0] = '\0';
		if (ferror(f)) {
			fprintf(stderr, "errata %s: cannot read admin token file '%s': %s\n", who, file, strerror(errno));
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	n = strcspn(buf, "\r\n");
	if (n == size - 1 && buf[n] == '\0') {
		fprintf(stderr, "errata %s: the admin token in '%s' is longer than %zu bytes\n", who, file, size - 2);
		return -1;
	}
	buf[n] = '\0';
	if (!*buf) {
		fprintf(stderr, "errata %s: the admin token file '%s' is empty\n", who, file);
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
		fprintf(stderr, "errata %s: cannot write port file '%s': %s\n", who, file, strerror(errno));
		return -1;
	}
	if (rename(tmp, file)) {
		fprintf(stderr, "errata %s: cannot write port file '%s': %s\n", who, file, strerror(errno));
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
static void serve_raise_fd_limit(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

const char *const serve_valued[] = { "--contracts", "--listen", "--port-file", "--journal-size",
				     "--admin-token", "--admin-token-file", "--admin-host", "--scenarios",
				     "--threads", "--state", "--state-password-file", "--state-timeout", "--replica",
				     NULL };

void serve_cli_init(struct serve_cli *s, const char *cmd)
{
	memset(s, 0, sizeof(*s));
	who = cmd;
	s->cmd = cmd;
	snprintf(s->host, sizeof(s->host), "127.0.0.1");
	s->cfg.port = 8080;
	s->cfg.journal_size = 10000;
}

int serve_cli_option(struct serve_cli *s, const char *a, const char *v)
{
	unsigned long n;

	if (!opt_in(a, serve_valued))
		return 0;
	if (!strcmp(a, "--contracts")) {
		s->have_contracts = 1;
		if (serve_add_contracts(&s->cs, v))
			return -1;
	} else if (!strcmp(a, "--listen")) {
		if (serve_parse_listen(v, s->host, sizeof(s->host), &s->cfg.port)) {
			fprintf(stderr, "errata %s: --listen '%s' is not HOST:PORT\n", who, v);
			return -1;
		}
	} else if (!strcmp(a, "--port-file")) {
		s->port_file = v;
	} else if (!strcmp(a, "--journal-size")) {
		if (serve_number(v, 10000000, &n)) {
			fprintf(stderr, "errata %s: --journal-size '%s' is not a number from 0 to 10000000\n", who, v);
			return -1;
		}
		s->cfg.journal_size = n;
	} else if (!strcmp(a, "--admin-token")) {
		if (!*v) {
			fprintf(stderr, "errata %s: --admin-token must not be empty\n", who);
			return -1;
		}
		s->cfg.admin_token = v;
	} else if (!strcmp(a, "--admin-token-file")) {
		if (read_token_file(v, s->token, sizeof(s->token)))
			return -1;
		s->cfg.admin_token = s->token;
	} else if (!strcmp(a, "--admin-host")) {
		if (!*v || strlen(v) > 253 || strpbrk(v, " /:@\t") ||
		    s->nr_admin_hosts == sizeof(s->admin_hosts) / sizeof(s->admin_hosts[0])) {
			fprintf(stderr, "errata %s: --admin-host '%s' is not a host name (at most 16 of them)\n", who, v);
			return -1;
		}
		s->admin_hosts[s->nr_admin_hosts++] = v;
	} else if (!strcmp(a, "--scenarios")) {
		s->scenarios_file = v;
	} else if (!strcmp(a, "--state")) {
		s->state_url = v;
	} else if (!strcmp(a, "--state-password-file")) {
		s->state_password_file = v;
	} else if (!strcmp(a, "--state-timeout")) {
		if (serve_number(v, 60000, &n) || !n) {
			fprintf(stderr, "errata %s: --state-timeout '%s' is not a number of ms from 1 to 60000\n", who, v);
			return -1;
		}
		s->state_timeout_ms = (unsigned)n;
	} else if (!strcmp(a, "--replica")) {
		if (!*v || strlen(v) > 100) {
			fprintf(stderr, "errata %s: --replica must be a name of 1 to 100 bytes\n", who);
			return -1;
		}
		s->cfg.replica = v;
	} else if (!strcmp(a, "--threads")) {
		if (serve_number(v, 1024, &n) || !n) {
			fprintf(stderr, "errata %s: --threads '%s' is not a number from 1 to 1024\n", who, v);
			return -1;
		}
		s->cfg.threads = (unsigned)n;
	}
	return 1;
}

int serve_cli_default_contracts(struct serve_cli *s)
{
	char *dir;
	int bad;

	if (s->have_contracts)
		return 0;
	dir = contract_default_dir();
	bad = serve_add_contracts(&s->cs, dir);
	free(dir);
	return bad ? -1 : 0;
}

/* --state: the store, reached once before anything listens (exit 2 when it
 * cannot be); the replica's name defaults to the host name and pid. */
static int open_state(struct serve_cli *s)
{
	struct shared_config sc = { s->state_url, s->state_password_file, s->state_timeout_ms,
				    s->cfg.journal_size };
	char why[600], host[64] = "";

	if (!s->state_url) {
		if (s->state_password_file || s->state_timeout_ms || s->cfg.replica) {
			fprintf(stderr, "errata %s: --state-password-file, --state-timeout and --replica go with --state\n",
				who);
			return -1;
		}
		return 0;
	}
	if (!(s->cfg.shared = shared_open(&sc, why, sizeof(why)))) {
		fprintf(stderr, "errata %s: --state: %s\n", who, why);
		return -1;
	}
	if (!s->cfg.replica) {
		gethostname(host, sizeof(host) - 1);
		snprintf(s->replica, sizeof(s->replica), "%s:%ld", host[0] ? host : "errata", (long)getpid());
		s->cfg.replica = s->replica;
	}
	return 0;
}

struct mock *serve_cli_start(struct serve_cli *s, int *rc)
{
	struct mock *m;
	char why[512];

	*rc = 2;
	if (!s->cfg.admin_token && getenv("ERRATA_ADMIN_TOKEN") && *getenv("ERRATA_ADMIN_TOKEN"))
		s->cfg.admin_token = getenv("ERRATA_ADMIN_TOKEN");
	s->cfg.admin_hosts = s->admin_hosts;
	s->cfg.nr_admin_hosts = s->nr_admin_hosts;
	if (!mock_is_loopback(s->host) && !s->cfg.admin_token) {
		fprintf(stderr, "errata %s: refusing to listen on '%s' without an admin token "
			"(the admin API would be open to the network)\n", who, s->host);
		return NULL;
	}
	s->cfg.contracts = s->cs.v;
	s->cfg.nr_contracts = s->cs.nr;
	s->cfg.host = s->host;
	serve_raise_fd_limit();

	/* Block the stop signals before MHD starts its threads, then wait for them. */
	sigemptyset(&s->sigs);
	sigaddset(&s->sigs, SIGINT);
	sigaddset(&s->sigs, SIGTERM);
	sigaddset(&s->sigs, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &s->sigs, NULL);
	/* after the mask: the store's writer thread must not take SIGTERM either */
	if (open_state(s))
		return NULL;
	m = mock_start(&s->cfg, why, sizeof(why));
	if (!m) {
		fprintf(stderr, "errata %s: %s\n", who, why);
		*rc = 1;
		return NULL;
	}
	if (s->scenarios_file && load_scenarios(m, s->scenarios_file)) {
		mock_stop(m, 0);
		return NULL;
	}
	if (s->port_file && write_port_file(s->port_file, mock_port(m))) {
		mock_stop(m, 0);
		*rc = 1;
		return NULL;
	}
	*rc = 0;
	return m;
}

void serve_cli_wait(struct serve_cli *s)
{
	int sig;

	sigdelset(&s->sigs, SIGPIPE);
	do {
		if (sigwait(&s->sigs, &sig))
			break;
	} while (sig != SIGINT && sig != SIGTERM);
	fprintf(stderr, "errata %s: stopping\n", who);
}

void serve_cli_release(struct serve_cli *s)
{
	size_t i;

	shared_close(s->cfg.shared);
	s->cfg.shared = NULL;
	for (i = 0; i < s->cs.nr; i++)
		contract_free(s->cs.v[i]);
	free(s->cs.v);
}
