#ifndef ERRATA_MOCK_INTERNAL_H
#define ERRATA_MOCK_INTERNAL_H
/*
 * What the mock's files share: the prepared responses and the server
 * state. Not for use outside mock/.
 */
#include <stdatomic.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "conform.h"
#include "idem.h"
#include "chaos.h"
#include "inject.h"
#include "journal.h"
#include "limit.h"
#include "mock.h"
#include "scenario.h"
#include "stream.h"
#include "timer.h"
#include "upstream.h"

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

struct pass;
struct request;
typedef int (*stage_fn)(struct pass *p);

#define MOCK_IDLE_TIMEOUT_S 60     /* an idle connection is closed */
#define BODY_MAX (1 << 20)         /* request bodies above this get 413 */

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
	int root;                    /* the one contract also answers at / */
	int prefix_mounts;           /* contracts answer under /<id>/ (errata serve) */
	const stage_fn *stages;      /* the request path: serve_stages, or errata proxy's */
	/* errata proxy's hook on a request's first call: 1 with *ret when it took
	 * the request (forwarded as it streams, or refused) */
	int (*first_call)(struct mock *m, struct MHD_Connection *conn, const char *url, const char *method,
			  struct request *rq, enum MHD_Result *ret);
	void (*kick)(struct mock *m);   /* wake the threads that run the daemons, after a resume */
	int keep_bodies;             /* every request keeps its body (an upstream step sends it) */
	atomic_int active;           /* API requests in flight */
	atomic_int streaming;        /* streams not yet journaled (mock_settle) */
	struct timer timer;
	atomic_int stopping;
	char *admin_token;
	char host[64];               /* the bound address, as given */
	char **admin_hosts;          /* more names the admin API answers to */
	size_t nr_admin_hosts;
	struct timespec started;     /* CLOCK_MONOTONIC */
	char boot[12];               /* per-process prefix of request ids */
	atomic_uint_least64_t next_request, next_connection;
	unsigned port;
	/* errata proxy */
	struct upstream *up;         /* the real API; NULL: errata serve */
	struct framing_upstream *fup; /* its URL, read once */
	struct MHD_Daemon **daemons; /* a daemon per upstream thread (daemon is the first) */
	unsigned nr_daemons;
	const struct redactor *redactor; /* secrets to keep out of conformance evidence */
	struct conformance conf;
	struct inject_spec inject;
	struct scenario *inject_sc;  /* one step per choice; NULL: no injection */
	struct chaos *chaos;         /* the injected errors' verdicts (chaos.h), or NULL */
	atomic_uint_least64_t inject_n, answered, forwarded, upstream_failed;
	char *(*report)(void *ctx, struct mock *m, const char *format, size_t *len,
			const char **type, char *why, size_t size);
	void *report_ctx;
	void (*first_request)(void *ctx);
	void *first_request_ctx;
	atomic_flag heard;           /* the first request has arrived */
	/* --state: replicas share scenarios, keys, buckets and the journal */
	struct shared *shared;       /* borrowed from the caller, or NULL */
	atomic_llong sc_version;     /* the store's scenarios version held */
	_Atomic int64_t sc_checked;  /* when the last good version check began (timer_now_us) */
	pthread_mutex_t sync_lock;   /* one rebuild at a time */
	int64_t epoch_us;            /* mock_now_us() + epoch_us: epoch microseconds */
	char replica[128];           /* its name in the journal */
};

int64_t mock_now_us(const struct mock *m);

/* What a response was, beyond its code and status, for the journal. */
struct served {
	const char *scenario, *fault;
	int step, replayed;
	long long delay_ms;
	const char *retry_after;     /* the Retry-After sent, or NULL */
	const char *wait;            /* "header: value", the wait rule that applied, or NULL */
	int64_t t_us;                /* when the request came (0: now) */
	const char *upstream;        /* proxy: "forwarded", or why the upstream failed */
	const char *conformance;     /* proxy: the checks an upstream error failed */
	const char *stream;          /* a streamed answer's course, or NULL */
};

/*
 * What was decided for a request and what was served, filled as the
 * stages decide; conclude() writes it to the journal, once, when the
 * answer is settled (the mock's reply queued, or the upstream's relayed).
 */
struct decision {
	int decided, journaled;
	int open;                    /* a stream still being written: journaled once it ends */
	const struct mount *mt;
	const struct contract_code *cc;
	int status;                  /* 0: a transport fault, no status */
	int64_t t_us;                /* when it was settled */
	struct served sv;            /* its strings point below, or live as long as the request */
	char retry_after[64], wait[160];
	char *upstream, *conformance; /* errata proxy's (owned) */
	char stream[160];            /* a streamed answer's course, once it ends */
};

/* Per-request state, hung on MHD's req_cls and freed when the request ends. */
enum phase { PH_NEW, PH_WAITING, PH_READY, PH_CLOSE };

struct request {
	uint64_t body_size, body_hash;
	char *admin_body;            /* admin requests keep their body (capped) */
	size_t admin_len;
	int counted;                 /* counted in m->active */
	int declared_too_large;      /* Content-Length announced more than BODY_MAX */
	/* a response deferred by a delay, hang or dribble */
	enum phase phase;
	struct mock *m;
	struct MHD_Connection *conn;
	const struct mount *mt;
	struct scenario *sc;         /* a reference, or NULL */
	const struct step *step;
	size_t step_index;
	long long delay_ms;
	char *idem_key;              /* the scoped key this request stores its response under */
	uint64_t idem_fp;            /* ... the request's fingerprint under it */
	long long idem_ttl_ms;       /* ... and the key's lifetime */
	char *raw;                   /* DRIBBLE, a stream: the whole response, written by the timer */
	size_t raw_len, raw_off, chunk;
	const struct stream_plan *sp; /* a stream's plan (its step's, or own_plan) */
	struct stream_plan *own_plan; /* a plan made for this request (a selector's) */
	size_t seg, head_len;        /* the segment being written; the head's bytes */
	int64_t stall_from;          /* when a stall began (monotonic us), or 0 */
	int64_t interval_us;
	int rl_remaining;            /* the limiter's view, for the RateLimit fields */
	long long rl_reset;
	int rl_on;
	/* errata proxy */
	char *raw_uri;               /* the request target as sent */
	int fresh;                   /* nothing decided yet */
	int forward;                 /* answered by the upstream: calls go to forward_continue */
	int forwarding;              /* a transfer was started (journaled by forward_end) */
	int inject;                  /* the injection chosen, or -1 */
	struct transfer *xfer;
	int pushed_end, suspended, problem, upstream_status;
	int body_timeout;            /* the connection's timeout is the body's */
	int64_t arrived_us;
	char *url, *method;          /* for the journal, when the request ends */
	const char *path;            /* the path below a /__s/ pin (libmicrohttpd's memory) */
	json_t *op;                  /* its operation, where the contract documents an
				      * operation's success (borrowed), or NULL */
	struct forwarding *fw;       /* what goes upstream, once planned */
	struct decision d;
};



/* --- replicas.c: --state --- */

struct shared;
/* What admin_scenario_build() says of a definition it refuses. */
struct admin_problem {
	unsigned status;
	const char *slug, *title;
	char why[600];
	json_t *valid;               /* the choices, or NULL (taken by mock_problem) */
};
/* A scenario from a definition as the admin API takes it (one reference),
 * or NULL with the problem. */
struct scenario *admin_scenario_build(struct mock *m, const char *body, size_t len, struct admin_problem *pb);

int replicas_start(struct mock *m, const struct mock_config *cfg);
void replicas_stop(struct mock *m);
/* Hold the store's scenarios, as of a check begun within the lease (sync)
 * or now (check): 0, or -1 with why (the store failed). After a change
 * through the admin API, wait out the lease before answering (changed). */
#define REPLICAS_LEASE_US 2000
int replicas_sync(struct mock *m, char *why, size_t size);
int replicas_check(struct mock *m, char *why, size_t size);
void replicas_changed(void);
/* A request the store failed: 503 naming the store, decided and journaled. */
enum MHD_Result replicas_unavailable(struct mock *m, struct MHD_Connection *conn, struct request *rq,
				     const struct mount *mt, const char *why);
enum MHD_Result replicas_admin_unavailable(struct mock *m, struct MHD_Connection *conn, const char *why);
/* POST /__errata/scenarios with --state (takes sc's reference). */
enum MHD_Result replicas_add(struct mock *m, struct MHD_Connection *conn, struct scenario *sc,
			     const char *body, size_t len);
/* The scenario's served counts, or every scenario as JSON, from the store. */
int replicas_account(struct mock *m, struct scenario *sc, char *why, size_t size);
json_t *replicas_scenarios_json(struct mock *m, char *why, size_t size);
/* The client's outcome, reported to any replica, onto sc: 0, or -1. */
int replicas_outcome(struct mock *m, struct scenario *sc, char *why, size_t size);
/* The record into the shared journal: now (a request of a scenario with
 * verdicts: they read every attempt), or queued for the writer thread,
 * which sends the queue in batches, in order; a loss is counted and said. */
struct journal_record;
void replicas_journal(struct mock *m, struct journal_record *r, int now);

/* --- vendor.c --- */

/*
 * What format 2 adds to an error response, in one place: the request id
 * spliced into the body, the vendor rate-limit families from the limiter
 * (or the contract), the retry hint and retry-after-ms. `wait_s` is the
 * Retry-After in seconds (-1: none), `reset_after` the step's (-1: none).
 */
struct reply;
void reply_vendor(struct mock *m, const struct mount *mt, const struct request *rq,
		  const struct contract_code *cc, long long wait_s, long long reset_after,
		  struct reply *rp);

/* Splice the request id header's value into the body (a body made for this
 * response, freed by reply_release()). */
void reply_splice_request_id(const struct contract *c, struct reply *rp);

/* The wait rule that applies to the reply, as "header: value" in buf, or
 * NULL when none does. */
const char *reply_wait(const struct contract *c, const struct reply *rp, char *buf, size_t size);

/* --- stages.c: the request path --- */

/* Note what was decided and served (sv may be NULL: a plain response). */
void decide(struct mock *m, struct request *rq, const struct mount *mt, const struct contract_code *cc,
	    int status, const struct served *sv);
/* Write the decision to the journal: the one writer, once per request. */
void conclude(struct mock *m, struct MHD_Connection *conn, struct request *rq, const char *method,
	      const char *url);
/* A refusal by the mock itself: the problem sent and the decision noted. */
enum MHD_Result refuse(struct mock *m, struct MHD_Connection *conn, struct request *rq, const struct mount *mt,
		       unsigned status, const char *slug, const char *title, json_t *valid, const char *fmt, ...)
	__attribute__((format(printf, 9, 10)));
/* Run a request through the mock's stages, from its mount on. */
enum MHD_Result stages_run(struct mock *m, struct MHD_Connection *conn, const char *url, const char *method,
			   struct request *rq);

/* One run of the stages over a request: what they chose so far. */
struct pass {
	struct mock *m;
	struct MHD_Connection *conn;
	struct request *rq;
	const char *method, *url, *below, *pin;
	const struct mount *mt;
	const struct contract_code *cc;  /* a selector's code (NULL: success) */
	int asked;                       /* a selector asked for cc */
	struct scenario *sc;             /* a scenario's (a reference) */
	long long ask;                   /* X-Errata-Retry-After, or -1 */
	int ask_date;
	long step_index;                 /* --inject's step, or -1 */
	int dry;                         /* only look: no reply, no state changed */
	int forward;                     /* a dry pass found the upstream would answer */
	enum MHD_Result ret;             /* the reply, once a stage decided */
};

enum { GO_ON = 0, DECIDED = 1 };

/* The stages; a mock runs the NULL-terminated table m->stages. */
int stage_admit_body(struct pass *p);
int stage_admit_key(struct pass *p);
int stage_admit_concurrency(struct pass *p);
int stage_admit_rate(struct pass *p);
int stage_route(struct pass *p);
int stage_choose_injected(struct pass *p);
int stage_choose_scenario(struct pass *p);
int stage_choose_selector(struct pass *p);
int stage_choose_stream(struct pass *p);
int stage_idempotency(struct pass *p);
extern const stage_fn serve_stages[];
void pass_init(struct pass *p, struct mock *m, struct MHD_Connection *conn, struct request *rq,
	       const char *method, const char *url);
/* The request's mount and path below it (0), or -1 when none serves it. */
int stages_mount(struct pass *p, const char *path);
/* The path after a /__s/<id> pin (the id into pin), the url when there is
 * none, NULL when the pin is malformed. */
const char *stages_pin(const char *url, char *pin, size_t size);

/* mock.c: a daemon serving the mock on `port` (a pool of `pool` threads,
 * 0: none, or none of its own when flags say so); `reuse` shares the port. */
struct MHD_Daemon *mock_daemon_start(struct mock *m, const struct mock_config *cfg, unsigned flags,
				     uint16_t port, struct sockaddr_storage *ss, unsigned pool, int reuse);

/* --- proxy.c: errata proxy's state --- */

/* errata proxy's stages: errata serve's with "forward" after the choices,
 * and no Idempotency-Key stage (the real API keeps its keys). */
extern const stage_fn proxy_stages[];
/* Conformance and --inject; 0, or -1 with why. */
int proxy_start(struct mock *m, const struct mock_config *cfg, char *why, size_t size);
/* Stop errata proxy's transfers; release its parts (nothing for errata serve). */
void proxy_stop(struct mock *m);
void proxy_release(struct mock *m);
/* 1 when the mock has a real API to pass requests to (errata proxy). */
int mock_forwards(const struct mock *m);
/* A daemon per upstream thread on one port, and the threads. */
int proxy_daemons(struct mock *m, const struct mock_config *cfg, unsigned flags,
		  struct sockaddr_storage *ss, unsigned threads, char *why, size_t size);

/* --- forward.c: errata proxy --- */

/* What goes upstream: framing_plan's decision, in the form curl takes. */
struct forwarding {
	char *url;
	int body;                    /* enum framing_body */
	unsigned long long length;
	char *lines[100];            /* "Name: value" (FRAMING_MAX_FIELDS) */
	size_t nr_lines;
};
void forwarding_free(struct forwarding *fw);
/* Plan what goes upstream (rq->fw): 0; -1 with why when the request is
 * the client's mistake (a 400), -2 when out of memory. */
int forward_prepare(struct mock *m, struct MHD_Connection *conn, struct request *rq, char *why, size_t size);

/* Start streaming a request to the upstream as its body arrives. */
enum MHD_Result forward_begin(struct mock *m, struct MHD_Connection *conn, const char *url,
			      const char *method, struct request *rq);
/* Each later call of a streamed request: body bytes, then the answer. */
enum MHD_Result forward_continue(struct mock *m, struct MHD_Connection *conn, const char *method,
				 const char *upload_data, size_t *upload_data_size, struct request *rq);
/* Forward a request the mock decided to pass on (its kept body). */
enum MHD_Result forward_step(struct mock *m, struct MHD_Connection *conn, const char *url,
			     const char *method, struct request *rq);
/* The request is over: stop its transfer, judge, journal. */
void forward_end(struct mock *m, struct MHD_Connection *conn, struct request *rq,
		 enum MHD_RequestTerminationCode toe);
/* The choose stage errata proxy adds: nothing asked of the mock, the
 * upstream answers (a dry pass only says so). */
int stage_choose_forward(struct pass *p);

/* --- chaos_mock.c: --inject, judged --- */

/* Parse --inject, make its scenario and judge; 0 (also without --inject),
 * or -1 with why. */
int mock_chaos_start(struct mock *m, const struct mock_config *cfg, char *why, size_t size);
/* 1 when this request gets an error (its choice set in rq->inject). */
int mock_chaos_pick(struct mock *m, struct MHD_Connection *conn, const struct mount *mt, const char *method,
		    const char *path, struct request *rq);
/* Hand a completed request to the judge (path: as journaled). */
void mock_chaos_conclude(struct mock *m, struct MHD_Connection *conn, const struct request *rq,
			 const char *method, const char *path);

/* The scenario --inject serves from (a step per choice); NULL with why. */
struct scenario *forward_inject_scenario(struct mock *m, char *why, size_t size);

/* --- idempotency.c --- */

/* Store the response for the request's key; forget a key whose request
 * ended without one (in the store, with --state). */
void mock_idem_finish(struct mock *m, struct request *rq, const struct idem_reply *ir);
void mock_idem_abort(struct mock *m, struct request *rq);

/* 1 when the contract's idempotency policy covers `method`. */
int applies_idempotency(const struct contract *c, const char *method);

/*
 * The Idempotency-Key stage: 0 to go on serving (a new key, now in flight
 * and owned by the request in *req_cls), or 1 with *ret when the key decided
 * the response (a replay, a conflict, a key in flight, out of memory).
 */
int idempotency_stage(struct mock *m, struct MHD_Connection *conn, const char *method,
		      const char *url, const struct mount *mt, const struct scenario *sc,
		      const char *key, struct request *rq, enum MHD_Result *ret);


/* --- respond.c --- */

/* A response's own headers (at most 16) and a step's */
#define REPLY_MAX_HEADERS (40 + STEP_MAX_HEADERS)

/* A response being built: kept as data so it can also be stored for replay. */
struct reply {
	int status;
	unsigned nr;
	const char *names[REPLY_MAX_HEADERS];
	const char *values[REPLY_MAX_HEADERS];
	char store[24][64 + 40];            /* values formatted per response */
	unsigned used;
	const char *body;
	size_t len;
	int body_persistent;                /* lives as long as the mock */
	char *owned;                        /* a body made for this response (the
					     * request id spliced in), or NULL */
};

/* Free what the reply owns; its headers and body are gone after. */
void reply_release(struct reply *rp);

/* Empty a reply (cheaply: its value store is left as it is). */
void reply_init(struct reply *rp);

/* Add a header (a later value for the same name wins). */
void reply_header(struct reply *rp, const char *name, const char *value);

/* The value of header `name` in the reply (case-insensitive), or NULL. */
const char *reply_value(const struct reply *rp, const char *name);

/* Queue the reply; `replayed` adds Idempotent-Replayed: true. */
enum MHD_Result send_reply(struct MHD_Connection *conn, const struct reply *rp, int replayed);

/* A documented code's response (NULL: success); ask >= 0 overrides Retry-After. */
void build_code(struct mock *m, const struct mount *mt, const struct contract_code *cc,
		long long ask, int ask_date, const struct request *rq, struct reply *rp);

/* Build, send, store for the request's Idempotency-Key, and journal. */
enum MHD_Result serve_code(struct mock *m, struct MHD_Connection *conn, const struct mount *mt,
			   const struct contract_code *cc, long long ask, int ask_date, struct request *rq);

/* Store a response under the request's Idempotency-Key, if it has one and
 * the response is not a retryable error (cc: the code served, or NULL). */
void idem_store_reply(struct mock *m, struct request *rq, const struct reply *rp,
		      const struct contract_code *cc);

/* Serve the request's scenario step now (its delay is over). */
enum MHD_Result deliver_step(struct mock *m, struct MHD_Connection *conn, const char *method,
			     const char *url, struct request *rq);

/* The connection's socket, or -1. */
int mock_connection_fd(struct MHD_Connection *conn);

/* Serve the request's own stream plan (X-Errata-Stream). */
enum MHD_Result serve_stream(struct mock *m, struct MHD_Connection *conn, const struct mount *mt, struct request *rq,
			     const char *method, const char *url);

/* Timer callback: resume a suspended request's connection. */
void resume_cb(void *arg);

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

/* verdicts.c: a scenario's expectation from "suite" (a name of the client
 * suite) or "expect" (its own steps), taken out of `def` (consumed): *parse
 * is what scenario_parse reads, *spec the expectation (NULL without one).
 * -1 with why (and *valid, the suite's names, for an unknown one). */
int verdict_spec_take(struct mock *m, json_t *def, json_t **parse, struct suite_scenario **spec,
		      json_t **valid, char *why, size_t size);
json_t *verdict_spec_json(const struct mock *m, const struct scenario *sc);
enum MHD_Result verdict_outcome(struct mock *m, struct MHD_Connection *conn, struct scenario *sc,
				const char *body, size_t len);
enum MHD_Result verdict_reply(struct mock *m, struct MHD_Connection *conn, struct scenario *sc);
enum MHD_Result verdict_suite_reply(struct mock *m, struct MHD_Connection *conn);

#endif
