#ifndef ERRATA_MOCK_INTERNAL_H
#define ERRATA_MOCK_INTERNAL_H
/*
 * What the mock's files share: the prepared responses and the server
 * state. Not for use outside mock/.
 */
#include <stdatomic.h>
#include <microhttpd.h>

#include "idem.h"
#include "journal.h"
#include "limit.h"
#include "mock.h"
#include "scenario.h"
#include "timer.h"

/* A code's response, rendered once at start-up. */
struct prepared {
	const struct contract_code *cc;
	char *body;
	size_t len;
};

/* A contract mounted at /<id>/. */
struct mount {
	struct contract *c;
	size_t id_len;
	struct prepared *codes;      /* parallel to c->codes */
	char *success;
	size_t success_len;
	char retry_after[24];        /* the default Retry-After value */
	char policy[96];             /* RateLimit-Policy, or "" */
};

struct mock {
	struct MHD_Daemon *daemon;
	struct mount *mounts;
	size_t nr_mounts;
	struct contract **contracts; /* the mounted contracts, for scenario parsing */
	struct journal journal;
	struct scenarios scenarios;
	struct idem_store idem;
	struct limiter limiter;
	int rate_limited;            /* the limiter is on */
	unsigned max_concurrent;
	atomic_int active;           /* API requests in flight */
	struct timer timer;
	atomic_int stopping;
	char *admin_token;
	struct timespec started;     /* CLOCK_MONOTONIC */
	char boot[12];               /* per-process prefix of request ids */
	atomic_uint_least64_t next_request, next_connection;
	unsigned port;
};

int64_t mock_now_us(const struct mock *m);

/* Queue a JSON response (takes the reference to body). */
enum MHD_Result mock_reply_json(struct MHD_Connection *conn, unsigned status,
				const char *content_type, json_t *body);

/* Queue an RFC 9457 problem from the mock itself; `valid` (taken, may be
 * NULL) lists the valid choices. */
enum MHD_Result mock_problem(struct mock *m, struct MHD_Connection *conn, unsigned status,
			     const char *slug, const char *title, const char *detail,
			     json_t *valid);

/* The admin API under /__errata/; `body` is the request body (may be NULL). */
enum MHD_Result admin_handle(struct mock *m, struct MHD_Connection *conn,
			     const char *method, const char *url, const char *body, size_t len);

#endif
