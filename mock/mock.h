#ifndef ERRATA_MOCK_H
#define ERRATA_MOCK_H
/*
 * errata serve: the mock server. It mounts each contract at /<id>/ and
 * replays any documented error on demand, byte-exact; /__errata/ is its
 * admin API. errata proxy is the same server with another stage table and
 * an upstream (proxy.c, framing.c, forward.c, upstream.c, transfer.c).
 *
 * mock/ uses model/ only; the harness and the CLI embed it, and it never
 * includes a harness header.
 */
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "../model/contract.h"
#include "../model/jload.h"
#include "../model/redact.h"
#include "upstream.h"

struct mock;

struct mock_config {
	struct contract **contracts; /* borrowed; must outlive the mock */
	size_t nr_contracts;
	const char *host;            /* numeric address to bind, e.g. "127.0.0.1" */
	unsigned port;               /* 0: any free port */
	size_t journal_size;         /* entries; 0 turns the journal off */
	const char *admin_token;     /* NULL: admin API open (loopback only) */
	const char *const *admin_hosts; /* Host names the admin API also answers to */
	size_t nr_admin_hosts;
	unsigned threads;            /* worker threads; 0: one per core */
	int rate_quota, rate_window; /* a token bucket per API key; 0: no limit */
	unsigned max_concurrent;     /* in-flight API requests; 0: no limit */
	int root;                    /* with one contract: also serve it at / (for
				      * clients that take only a host and a port) */
	/* errata proxy: with one contract, every request that asks the mock
	 * for nothing goes to this upstream */
	const struct upstream_config *upstream;
	const char *inject;          /* --inject's spec, or NULL */
	const struct redactor *redactor; /* secrets kept out of conformance evidence */
	/* GET /__errata/report?format=NAME: the text of the report (malloc'd,
	 * *type its media type), or NULL with why (a format it does not write)
	 * or without (out of memory); the findings as JSON without it */
	char *(*report)(void *ctx, struct mock *m, const char *format, size_t *len,
			const char **type, char *why, size_t size);
	void *report_ctx;
	/* called once, on a server thread, as the first request's head arrives
	 * (errata client: the client's start-up is over) */
	void (*first_request)(void *ctx);
	void *first_request_ctx;
	/* --state: the store replicas share (mock/shared.h; borrowed, outlives
	 * the mock), and this replica's name in the journal */
	struct shared *shared;
	const char *replica;
};

struct mock;

/* Start serving. Returns NULL with a message in `why` on failure. */
struct mock *mock_start(const struct mock_config *cfg, char *why, size_t size);

/*
 * Add scenarios from a JSON document (one scenario object or an array of
 * them); `source` names it in errors. Returns 0, or -1 with *err set.
 */
int mock_load_scenarios(struct mock *m, const char *text, size_t len, const char *source,
			struct load_error *err);

/* The exchanges the journal holds for a scenario, in C (model/exchange.h),
 * held until mock_exchanges_release(); x is NULL when there are none. */
struct exchange;
struct mock_exchanges {
	struct exchange *x;
	size_t n;
	void *view;
};
int mock_exchanges(struct mock *m, const char *scenario, struct mock_exchanges *out);
void mock_exchanges_release(struct mock_exchanges *ex);

/* errata proxy's findings: {forwarded, injected, upstream_failed,
 * inject_seed, conformance: {observed, violating, unjudged, groups}}
 * (new reference; NULL for errata serve). */
json_t *mock_proxy_report(struct mock *m);

/* --inject's verdicts (chaos.h's chaos_report), or NULL without --inject. */
json_t *mock_chaos_report(struct mock *m);

/* The port actually bound. */
unsigned mock_port(const struct mock *m);

/* Wait, at most max_ms, until no stream is being written: a stream is
 * journaled when it ends, a stalled one soon after its client goes. 0, or
 * -1 when one is still open. */
int mock_settle(struct mock *m, unsigned max_ms);

/* Stop accepting, let in-flight requests finish (up to `drain_ms`), stop
 * and free everything; accepts NULL. */
void mock_stop(struct mock *m, unsigned drain_ms);

/* 1 when `host` is a loopback address (127.0.0.0/8, ::1, localhost). */
int mock_is_loopback(const char *host);

/* errata proxy's findings, as the report writers read them. */
struct conformance;
struct proxy_findings {
	unsigned long long forwarded, injected, upstream_failed;
	unsigned long long observed, violating, unjudged;
	struct conformance *conformance;   /* its groups: conformance_each() */
	json_t *chaos;                     /* --inject's verdicts (a new reference), or NULL */
};

/* 0, or -1 when the mock is neither errata proxy nor injecting. */
int mock_proxy_findings(struct mock *m, struct proxy_findings *out);

#endif
