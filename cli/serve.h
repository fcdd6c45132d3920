#ifndef ERRATA_SERVE_H
#define ERRATA_SERVE_H
/*
 * What errata serve and errata proxy share (serve.c).
 */
#include <signal.h>

#include "cmd.h"
#include "../mock/mock.h"

struct contracts {
	struct contract **v;
	size_t nr, alloc;
};

struct serve_cli {
	const char *cmd;             /* "serve" or "proxy", in messages */
	struct contracts cs;
	struct mock_config cfg;
	const char *port_file, *scenarios_file;
	const char *state_url, *state_password_file; /* --state */
	unsigned state_timeout_ms;
	char host[256], token[1024], replica[128];
	const char *admin_hosts[16];
	size_t nr_admin_hosts;
	int have_contracts;
	sigset_t sigs;
};

/* The options serve_cli_option() takes, each with a value. */
extern const char *const serve_valued[];

void serve_cli_init(struct serve_cli *s, const char *cmd);
/* 1 when `a` (with value v) was one of serve_valued, 0 when it is not, -1
 * after an error was printed. */
int serve_cli_option(struct serve_cli *s, const char *a, const char *v);
/* Every bundled contract when none was given. 0, or -1 (said). */
int serve_cli_default_contracts(struct serve_cli *s);
/* Check, block the stop signals, start, load scenarios, write the port
 * file: the mock, or NULL with *rc the exit status (said). */
struct mock *serve_cli_start(struct serve_cli *s, int *rc);
/* Wait for SIGINT or SIGTERM. */
void serve_cli_wait(struct serve_cli *s);
void serve_cli_release(struct serve_cli *s);

/* A contract file, or every *.json in a folder. 0, or -1 (said). */
int serve_add_contracts(struct contracts *cs, const char *path);
/* An OpenAPI description imported in memory (id: NULL, or the contract's),
 * or a contract file. 0, or -1 (said). */
int serve_add_spec(struct contracts *cs, const char *path, const char *id);
int serve_parse_listen(const char *arg, char *host, size_t size, unsigned *port);
int serve_number(const char *s, unsigned long max, unsigned long *out);

/* findings.c: the report of errata proxy's conformance and of the
 * errors --inject served, judged. */
struct findings_ctx {
	const struct contract *contract;
	struct redactor red;
	struct report_meta meta;
	char name[300];
};
/* The mock_config report callback (ctx: a findings_ctx). */
char *findings_render(void *ctx, struct mock *m, const char *format, size_t *len, const char **type,
		      char *why, size_t size);
/* Write the reports asked for at the stop, and say what was found: the
 * exit status, 1 when a check failed. */
int findings_finish(struct mock *m, struct findings_ctx *px, const struct report_opts *ro);

#endif
